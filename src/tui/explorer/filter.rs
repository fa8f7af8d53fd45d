//! The history explorer's filter text, parsed strictly: `actor:sue event:order.refund
//! since:2026-03-01`. Every mistake is one sentence naming the term.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::Role;
use crate::domain::text::display_safe;
use crate::store::ExplorerFilter;
use crate::tui::clock::Zone;
use crate::workflow::Workflows;

/// Longest filter text, and longest value of one term.
pub const MAX_FILTER_CHARS: usize = 200;
const MAX_VALUE_CHARS: usize = 64;

const KEYS: &str = "actor:, role:, event:, state:, workflow:, since: or until:";

/// Parses the filter text; dates are days in the shown zone (`until:` includes its day),
/// times are RFC 3339.
pub fn parse_filter(
    text: &str,
    workflows: &Workflows,
    zone: Zone,
) -> Result<ExplorerFilter, String> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(format!(
            "the filter is longer than {MAX_FILTER_CHARS} characters"
        ));
    }
    let mut filter = ExplorerFilter::default();
    for term in text.split_whitespace() {
        let shown = display_safe(term);
        let Some((key, value)) = term.split_once(':').filter(|(_, v)| !v.is_empty()) else {
            return Err(format!(
                "\"{shown}\" is not a filter term like actor:sue; use {KEYS}"
            ));
        };
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(format!(
                "{key}: is longer than {MAX_VALUE_CHARS} characters"
            ));
        }
        let value_shown = display_safe(value);
        let slot = match key {
            "actor" => &mut filter.actor,
            "event" => &mut filter.event,
            "role" => {
                value.parse::<Role>().map_err(|_| {
                    format!("role: \"{value_shown}\" is not a role (admin, support, seller, customer or system)")
                })?;
                &mut filter.role
            }
            "workflow" => {
                if workflows.get(value).is_none() {
                    return Err(format!(
                        "workflow: no workflow is named \"{value_shown}\" (known: {})",
                        workflows.names().join(", ")
                    ));
                }
                &mut filter.workflow
            }
            "state" => {
                if !workflows.iter().any(|w| w.state(value).is_some()) {
                    return Err(format!(
                        "state: \"{value_shown}\" is not a state of any workflow"
                    ));
                }
                &mut filter.state
            }
            "since" | "until" => {
                let at = parse_when(key, value, zone)?;
                let slot = if key == "since" {
                    &mut filter.since
                } else {
                    &mut filter.until
                };
                if slot.replace(at).is_some() {
                    return Err(format!("{key}: is given twice"));
                }
                continue;
            }
            other => {
                return Err(format!(
                    "unknown filter \"{}\": use {KEYS}",
                    display_safe(other)
                ));
            }
        };
        if slot.replace(value.to_string()).is_some() {
            return Err(format!("{key}: is given twice"));
        }
    }
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since >= until
    {
        return Err("since: must be before until:".to_string());
    }
    Ok(filter)
}

/// A date (a whole day in `zone`) or an RFC 3339 time.
fn parse_when(key: &str, value: &str, zone: Zone) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = zone.start_of(date);
        return Ok(if key == "until" {
            day + Duration::days(1)
        } else {
            day
        });
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "{key}: \"{}\" is not a date like 2026-03-01 or a time like 2026-03-01T12:00:00Z",
                display_safe(value)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parse(text: &str) -> Result<ExplorerFilter, String> {
        let zone = Zone::parse("+02:00").unwrap();
        parse_filter(text, &Workflows::shipped().unwrap(), zone)
    }

    #[test]
    fn terms_fill_the_filter_and_dates_are_days_in_the_zone() {
        let filter =
            parse("actor:sue event:order.refund since:2026-03-01 until:2026-03-02").unwrap();
        assert_eq!(filter.actor.as_deref(), Some("sue"));
        assert_eq!(filter.event.as_deref(), Some("order.refund"));
        assert_eq!(
            filter.since,
            Some(Utc.with_ymd_and_hms(2026, 2, 28, 22, 0, 0).unwrap())
        );
        assert_eq!(
            filter.until,
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 22, 0, 0).unwrap())
        );
        assert_eq!(parse("  ").unwrap(), ExplorerFilter::default());
        let exact = parse("since:2026-03-01T12:00:00Z role:support workflow:checkout state:paid");
        assert!(exact.is_ok(), "{exact:?}");
    }

    #[test]
    fn mistakes_are_one_clear_sentence() {
        let cases = [
            (
                "sue",
                "\"sue\" is not a filter term like actor:sue; use actor:, role:, event:, state:, workflow:, since: or until:",
            ),
            (
                "actor:",
                "\"actor:\" is not a filter term like actor:sue; use actor:, role:, event:, state:, workflow:, since: or until:",
            ),
            (
                "who:sue",
                "unknown filter \"who\": use actor:, role:, event:, state:, workflow:, since: or until:",
            ),
            ("actor:sue actor:sam", "actor: is given twice"),
            (
                "role:boss",
                "role: \"boss\" is not a role (admin, support, seller, customer or system)",
            ),
            (
                "state:nowhere",
                "state: \"nowhere\" is not a state of any workflow",
            ),
            (
                "since:yesterday",
                "since: \"yesterday\" is not a date like 2026-03-01 or a time like 2026-03-01T12:00:00Z",
            ),
            (
                "since:2026-03-02 until:2026-03-01",
                "since: must be before until:",
            ),
        ];
        for (text, error) in cases {
            assert_eq!(parse(text).unwrap_err(), error, "{text}");
        }
        assert!(
            parse("workflow:nope")
                .unwrap_err()
                .starts_with("workflow: no workflow is named \"nope\"")
        );
        assert!(parse(&"x".repeat(201)).is_err());
        assert!(parse(&format!("actor:{}", "a".repeat(65))).is_err());
        assert!(
            parse("event:\u{1b}[2J").is_ok(),
            "values are data, shown display-safe"
        );
    }
}
