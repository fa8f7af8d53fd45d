//! Times as people read them: in one configured zone (local time by default), labelled, with
//! the date whenever it is not today, and timers as countdowns with their absolute time.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Local, Offset, Utc};

/// The zone times are shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone {
    offset: FixedOffset,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "time_zone \"{0}\" is neither \"local\", \"UTC\" nor an offset like \"+02:00\" or \"-05:30\""
)]
pub struct BadZone(pub String);

impl Zone {
    pub fn utc() -> Zone {
        Zone { offset: Utc.fix() }
    }

    /// This machine's offset now (a session does not outlive a daylight-saving change by
    /// much, and a fixed offset keeps every frame consistent).
    pub fn local() -> Zone {
        Zone {
            offset: *Local::now().offset(),
        }
    }

    /// "local", "UTC" or "+02:00".
    pub fn parse(text: &str) -> Result<Zone, BadZone> {
        match text.trim() {
            "local" => Ok(Zone::local()),
            "UTC" | "utc" | "Z" => Ok(Zone::utc()),
            offset => {
                let bad = || BadZone(text.to_string());
                let (sign, rest) = match offset.split_at_checked(1) {
                    Some(("+", rest)) => (1, rest),
                    Some(("-", rest)) => (-1, rest),
                    _ => return Err(bad()),
                };
                let (hours, minutes) = rest.split_once(':').ok_or_else(bad)?;
                let hours: i32 = hours.parse().map_err(|_| bad())?;
                let minutes: i32 = minutes.parse().map_err(|_| bad())?;
                if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
                    return Err(bad());
                }
                FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
                    .map(|offset| Zone { offset })
                    .ok_or_else(bad)
            }
        }
    }

    /// "UTC" or "UTC+02:00".
    pub fn label(&self) -> String {
        match self.offset.local_minus_utc() {
            0 => "UTC".to_string(),
            _ => format!("UTC{}", self.offset),
        }
    }

    pub fn at(&self, time: DateTime<Utc>) -> DateTime<FixedOffset> {
        time.with_timezone(&self.offset)
    }

    /// The time of day when it is today in this zone, else the date too: nothing from
    /// yesterday reads as later today.
    pub fn short(&self, time: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let (time, now) = (self.at(time), self.at(now));
        if time.date_naive() == now.date_naive() {
            time.format("%H:%M:%S").to_string()
        } else if time.year() == now.year() {
            time.format("%b %d %H:%M").to_string()
        } else {
            time.format("%Y-%m-%d %H:%M").to_string()
        }
    }

    /// The moment a day starts in this zone, for date filters.
    pub fn start_of(&self, date: chrono::NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        (midnight - Duration::seconds(i64::from(self.offset.local_minus_utc()))).and_utc()
    }

    /// "2026-03-01 12:00".
    pub fn stamp(&self, time: DateTime<Utc>) -> String {
        self.at(time).format("%Y-%m-%d %H:%M").to_string()
    }

    /// A pending timer: "auto-complete in 2d 23h · 25 Nov 02:16 UTC", or "… overdue by 3h".
    pub fn countdown(&self, event: &str, due: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let when = format!("{} {}", self.at(due).format("%d %b %H:%M"), self.label());
        if due >= now {
            format!("{event} in {} · {when}", span(due - now))
        } else {
            format!("{event} OVERDUE by {} · {when}", span(now - due))
        }
    }
}

/// A timer on a card, short: "⏲ 2d 23h", or "⏲ overdue" once it is past due.
pub fn timer_badge(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if due >= now {
        format!("⏲ {}", span(due - now))
    } else {
        "⏲ OVERDUE".to_string()
    }
}

/// A duration in its two largest units: "2d 23h", "5h 12m", "45s".
fn span(duration: Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_from_another_day_carry_their_date() {
        let zone = Zone::parse("+02:00").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let earlier_today = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        let yesterday_late = Utc.with_ymd_and_hms(2026, 11, 21, 21, 30, 0).unwrap();
        assert_eq!(zone.short(earlier_today, now), "10:00:00");
        // 21:30 UTC yesterday is 23:30 yesterday in +02:00: not "later today".
        assert_eq!(zone.short(yesterday_late, now), "Nov 21 23:30");
        assert_eq!(zone.label(), "UTC+02:00");
        assert_eq!(Zone::utc().label(), "UTC");
        assert!(Zone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn timers_count_down_and_overdue_ones_say_so() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 2, 16, 0).unwrap();
        let due = now + Duration::days(2) + Duration::hours(23);
        assert_eq!(
            Zone::utc().countdown("auto-complete", due, now),
            "auto-complete in 2d 23h · 25 Nov 01:16 UTC"
        );
        assert_eq!(
            Zone::utc().countdown("auto-complete", now - Duration::hours(3), now),
            "auto-complete OVERDUE by 3h 0m · 21 Nov 23:16 UTC"
        );
    }
}
