//! Checking one `[[transitions]]` table against the states and declarations around it.

use std::ops::Range;

use chrono::Duration;
use toml::Spanned;

use super::declarations::StateIndex;
use super::raw::RawTransition;
use super::{ANY_NON_TERMINAL, Locator};
use crate::domain::Role;
use crate::domain::ledger::{LedgerRefusal, check_movement};
use crate::domain::text::{display_safe, has_controls};
use crate::workflow::definition::{NoteRule, Outcome, Transition};
use crate::workflow::effect::Effect;

/// Any order amount shows whether effects contradict each other: shares, not sums, decide.
const NOMINAL_AMOUNT_CENTS: i64 = 10_000;

/// A ledger rule, said of one transition's effect list.
fn contradiction(refusal: &LedgerRefusal) -> String {
    match refusal {
        LedgerRefusal::Again(kind) => {
            format!("a transition moves money once per kind ({})", kind.as_str())
        }
        LedgerRefusal::PayoutAfterFullRefund | LedgerRefusal::FullRefundAfterPayout => {
            "a full refund and a payout exclude each other".to_string()
        }
        LedgerRefusal::MoreThanTaken { .. } => {
            "refunds and credits together would return more than the order took".to_string()
        }
        LedgerRefusal::Unrepresentable { .. } => "the amount cannot be computed".to_string(),
    }
}
use crate::workflow::guard::{Expression, Guard, GuardError, GuardFacts, Template};

/// What every transition of one file is checked against, and where its problems go.
pub(super) struct LoadContext<'a, 'text> {
    pub states: &'a StateIndex,
    pub counters: &'a [String],
    /// Guards are evaluated once on these, so unknown keys and wrong types fail the load.
    pub sample_facts: &'a GuardFacts,
    pub at: &'a mut Locator<'text>,
}

impl LoadContext<'_, '_> {
    /// Always returns a transition, even a broken one, so the graph checks see every edge
    /// and do not report a cascade of unreachable states for one typo.
    pub fn transition(&mut self, raw: &Spanned<RawTransition>) -> Transition {
        let t = raw.get_ref();
        let event = t.event.get_ref().trim().to_string();
        // Event names are printed as they are, like state ids: no escapes either.
        if event.is_empty() || event.chars().any(char::is_whitespace) || has_controls(&event) {
            self.at.error(
                t.event.span(),
                format!("event name \"{event}\" must be one word"),
            );
        }
        let from = self.departures(&event, &t.from);
        let outcome = self.outcome(&event, t, raw.span());
        let roles = self.roles(t.roles.get_ref());
        if t.roles.get_ref().is_empty() {
            self.at.error(
                t.roles.span(),
                format!("transition \"{event}\" names no role that may take it"),
            );
        }
        let on_behalf = self.roles(&t.on_behalf);
        if !on_behalf.is_empty() && !roles.iter().any(|r| r.party().is_some()) {
            self.at.error(
                t.on_behalf[0].span(),
                format!("transition \"{event}\" has on_behalf but names no customer or seller role to act for"),
            );
        }
        let guard = self.guard(t);
        let counter_changes = self.counter_changes(&event, t);
        let effects = self.effects(&t.effects);
        let note = self.note(t.note.as_ref());
        let after = self.timer(&event, t, &roles);
        Transition {
            label: t.label.clone().unwrap_or_else(|| event.clone()),
            event,
            from,
            outcome,
            roles,
            owner: t.owner,
            on_behalf,
            guard,
            counter_changes,
            effects,
            note,
            after,
        }
    }

    fn departures(&mut self, event: &str, from: &Spanned<Vec<Spanned<String>>>) -> Vec<String> {
        let list = from.get_ref();
        if list.is_empty() {
            self.at.error(
                from.span(),
                format!("transition \"{event}\" has an empty from list"),
            );
        }
        let mut states = Vec::new();
        for state in list {
            let id = state.get_ref().as_str();
            if id == ANY_NON_TERMINAL {
                if list.len() > 1 {
                    self.at.error(
                        state.span(),
                        "\"*\" (any non-terminal state) must stand alone in from",
                    );
                }
                states.extend(self.states.non_terminal_ids());
            } else if !self.states.contains(id) {
                self.at.error(
                    state.span(),
                    format!("transition \"{event}\" leaves unknown state \"{id}\""),
                );
            } else if self.states.is_terminal(id) {
                self.at.error(
                    state.span(),
                    format!("transition \"{event}\" leaves terminal state \"{id}\" (terminal states have no way out)"),
                );
            } else {
                states.push(id.to_string());
            }
        }
        states
    }

    fn outcome(&mut self, event: &str, t: &RawTransition, whole: Range<usize>) -> Outcome {
        match (&t.to, &t.refuse) {
            (Some(to), None) => {
                if !self.states.contains(to.get_ref()) {
                    self.at.error(
                        to.span(),
                        format!(
                            "transition \"{event}\" goes to unknown state \"{}\"",
                            to.get_ref()
                        ),
                    );
                }
                Outcome::MoveTo(to.get_ref().clone())
            }
            (None, Some(message)) => {
                if !t.effects.is_empty() || !t.counters.is_empty() {
                    self.at.error(message.span(), format!("transition \"{event}\" refuses, so it cannot have effects or counter changes"));
                }
                Outcome::Refuse(message.get_ref().clone())
            }
            (Some(_), Some(message)) => {
                self.at.error(
                    message.span(),
                    format!("transition \"{event}\" has both to and refuse (choose one)"),
                );
                Outcome::Refuse(message.get_ref().clone())
            }
            (None, None) => {
                self.at.error(whole, format!("transition \"{event}\" needs a target (to = \"state\") or a refusal (refuse = \"message\")"));
                Outcome::Refuse(String::new())
            }
        }
    }

    fn roles(&mut self, list: &[Spanned<String>]) -> Vec<Role> {
        list.iter()
            .filter_map(|role| match role.get_ref().parse::<Role>() {
                Ok(parsed) => Some(parsed),
                Err(error) => {
                    self.at.error(role.span(), error.to_string());
                    None
                }
            })
            .collect()
    }

    fn guard(&mut self, t: &RawTransition) -> Option<Guard> {
        let Some(source) = &t.guard else {
            if let Some(explain) = &t.explain {
                self.at.error(
                    explain.span(),
                    "explain without a guard (it explains a failed guard)",
                );
            }
            return None;
        };
        let explanation = match &t.explain {
            Some(text) => match Template::compile(text.get_ref()) {
                Ok(template) => Some(template),
                Err(error) => {
                    // A CEL syntax error is several lines (a caret under the input): its
                    // first line is the sentence.
                    let (_, message) = cel_syntax_error(&error.to_string());
                    self.at.error(text.span(), format!("explain: {message}"));
                    None
                }
            },
            None => None,
        };
        let compiled = Expression::compile(source.get_ref())
            .and_then(|condition| Guard::new(condition, explanation));
        let guard = match compiled {
            Ok(guard) => guard,
            Err(error) => {
                let (column, message) = match &error {
                    GuardError::Syntax(text) => cel_syntax_error(text),
                    GuardError::NestedTooDeeply { column } => (*column, error.to_string()),
                    _ => (1, error.to_string()),
                };
                // Point into the guard string: past its opening quote, at the column.
                let start = source.span().start + 1 + byte_offset(source.get_ref(), column);
                self.at.error(
                    start..start,
                    format!(
                        "guard `{}` does not compile: {message}",
                        excerpt(source.get_ref())
                    ),
                );
                return None;
            }
        };
        match guard.check_against(self.sample_facts) {
            Ok(()) => Some(guard),
            Err(error) => {
                let unknown_key = match &error {
                    GuardError::Evaluation(text) => text.strip_prefix("No such key: "),
                    _ => None,
                };
                let error = match unknown_key {
                    Some(key) => format!(
                        "refers to unknown key \"{key}\" (declare counters in counters = [...] and attributes under [attributes])"
                    ),
                    None => error.to_string(),
                };
                self.at.error(
                    source.span(),
                    format!("guard `{}` {error}", excerpt(source.get_ref())),
                );
                None
            }
        }
    }

    fn counter_changes(&mut self, event: &str, t: &RawTransition) -> Vec<(String, i64)> {
        let mut changes = Vec::new();
        for (name, change) in &t.counters {
            if self.counters.contains(name) {
                changes.push((name.clone(), *change.get_ref()));
            } else {
                self.at.error(change.span(), format!("transition \"{event}\" changes undeclared counter \"{name}\" (declare it in counters = [...])"));
            }
        }
        changes
    }

    /// The effects, parsed; money effects that contradict each other in one transition
    /// (a full refund and a payout, two refunds, more returned than taken) are refused here,
    /// at load, by the same rules the ledger keeps per order.
    fn effects(&mut self, list: &[Spanned<String>]) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut movements = Vec::new();
        for effect in list {
            let parsed = match effect.get_ref().parse::<Effect>() {
                Ok(parsed) => parsed,
                Err(error) => {
                    self.at.error(effect.span(), error.to_string());
                    continue;
                }
            };
            if let Ok(Some(movement)) = parsed.ledger_entry(NOMINAL_AMOUNT_CENTS) {
                if let Err(refusal) = check_movement(NOMINAL_AMOUNT_CENTS, &movements, &movement) {
                    self.at.error(
                        effect.span(),
                        format!(
                            "\"{parsed}\" contradicts the effects before it: {}",
                            contradiction(&refusal)
                        ),
                    );
                }
                movements.push(movement);
            }
            effects.push(parsed);
        }
        effects
    }

    fn note(&mut self, note: Option<&Spanned<String>>) -> NoteRule {
        match note.map(|n| (n.get_ref().as_str(), n.span())) {
            None | Some(("optional", _)) => NoteRule::Optional,
            Some(("required", _)) => NoteRule::Required,
            Some((other, span)) => {
                self.at.error(
                    span,
                    format!("note must be \"required\" or \"optional\", not \"{other}\""),
                );
                NoteRule::Optional
            }
        }
    }

    /// `after = "72h"`: the system fires timers, so it must be among the roles; people with
    /// another of the roles may take the step by hand sooner.
    fn timer(&mut self, event: &str, t: &RawTransition, roles: &[Role]) -> Option<Duration> {
        let text = t.after.as_ref()?;
        match parse_duration(text.get_ref()) {
            Ok(duration) => {
                if !roles.contains(&Role::System) {
                    self.at.error(
                        t.roles.span(),
                        format!(
                            "timer transition \"{event}\" must have \"system\" among its roles"
                        ),
                    );
                }
                Some(duration)
            }
            Err(error) => {
                self.at.error(text.span(), error.to_string());
                None
            }
        }
    }
}

/// A timer's `after` that is not a positive whole number of seconds, minutes, hours or days,
/// or is longer than `MAX_TIMER_DAYS`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadDuration {
    /// `text` as written, untrimmed.
    #[error("duration \"{text}\" must be a whole number followed by s, m, h or d (like 72h)")]
    Malformed { text: String },
    #[error("duration \"{text}\" is longer than the longest timer, {MAX_TIMER_DAYS} days")]
    TooLong { text: String },
}

const SECONDS_PER_MINUTE: i64 = 60;
const SECONDS_PER_HOUR: i64 = 60 * SECONDS_PER_MINUTE;
const SECONDS_PER_DAY: i64 = 24 * SECONDS_PER_HOUR;

/// The longest timer, about ten years: longer than any order policy, and short enough that
/// `now + after` can never leave the range of a date when a timer is armed or fired.
pub const MAX_TIMER_DAYS: i64 = 3_650;

/// `30s`, `5m`, `72h`, `7d`; at most `MAX_TIMER_DAYS`.
pub fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let malformed = || BadDuration::Malformed {
        text: text.to_string(),
    };
    let too_long = || BadDuration::TooLong {
        text: text.to_string(),
    };
    let trimmed = text.trim();
    let unit_at = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(malformed)?;
    let (number, unit) = trimmed.split_at(unit_at);
    if number.is_empty() {
        return Err(malformed());
    }
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => SECONDS_PER_MINUTE,
        "h" => SECONDS_PER_HOUR,
        "d" => SECONDS_PER_DAY,
        _ => return Err(malformed()),
    };
    // Only digits are left, so a failed parse means too many of them. Checked, so a hostile
    // file's `after = "99999999999999999d"` is refused, not a panic.
    let seconds = number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per_unit))
        .ok_or_else(too_long)?;
    if seconds <= 0 {
        return Err(malformed());
    }
    if seconds > MAX_TIMER_DAYS * SECONDS_PER_DAY {
        return Err(too_long());
    }
    Duration::try_seconds(seconds).ok_or_else(too_long)
}

/// Longest guard quoted in full in an error; longer ones are cut, so a hostile guard cannot
/// make a message of megabytes.
const QUOTED_GUARD_CHARS: usize = 80;

/// The guard as an error quotes it: on one line, cut after `QUOTED_GUARD_CHARS`.
fn excerpt(source: &str) -> String {
    let one_line = display_safe(source);
    match one_line.char_indices().nth(QUOTED_GUARD_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line.into_owned(),
    }
}

/// Bytes before the 1-based character `column` of `text` (its length past the end).
fn byte_offset(text: &str, column: usize) -> usize {
    text.char_indices()
        .nth(column.saturating_sub(1))
        .map(|(offset, _)| offset)
        .unwrap_or(text.len())
}

/// CEL reports `ERROR: <input>:1:9: Syntax error: ...` followed by a drawing of the line;
/// keep the column and the first sentence.
fn cel_syntax_error(error: &str) -> (usize, String) {
    let first = error
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(error)
        .trim();
    let Some(rest) = first.strip_prefix("ERROR: <input>:") else {
        return (1, first.to_string());
    };
    let mut parts = rest.splitn(3, ':');
    let _line = parts.next();
    let column = parts
        .next()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(1);
    let message = parts.next().unwrap_or(rest).trim();
    let message = message.strip_prefix("Syntax error: ").unwrap_or(message);
    (column, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_out_of_range_are_refused() {
        assert_eq!(parse_duration("72h"), Ok(Duration::hours(72)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("99999999999999999d").is_err());
        assert!(parse_duration("9223372036854775807s").is_err());
    }

    #[test]
    fn every_unit_is_bounded_by_the_longest_timer() {
        for (longest, unit) in [
            (MAX_TIMER_DAYS * SECONDS_PER_DAY, "s"),
            (MAX_TIMER_DAYS * 24 * 60, "m"),
            (MAX_TIMER_DAYS * 24, "h"),
            (MAX_TIMER_DAYS, "d"),
        ] {
            let days = Duration::days(MAX_TIMER_DAYS);
            assert_eq!(parse_duration(&format!("{longest}{unit}")), Ok(days));
            for too_long in [
                format!("{}{unit}", longest + 1),
                format!("{}{unit}", i64::MAX),
            ] {
                assert!(
                    matches!(parse_duration(&too_long), Err(BadDuration::TooLong { .. })),
                    "{too_long}"
                );
            }
        }
        for malformed in ["", "d", "-5d", "+5d", "5", "5 d", "5dd", "0h", "٣d"] {
            assert!(
                matches!(
                    parse_duration(malformed),
                    Err(BadDuration::Malformed { .. })
                ),
                "{malformed}"
            );
        }
    }
}
