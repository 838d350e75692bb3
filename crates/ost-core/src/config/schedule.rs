//! Bandwidth schedules: `"08:00-18:00=200,*=0"`, a limit in MiB/s per time of day (the media
//! server's local time), the one rule of which limit applies when.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// One `HH:MM-HH:MM=MiB` window (`from` == `to`: the whole day; `to` before `from`: across
/// midnight), in minutes of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    from: u16,
    to: u16,
    mib_s: u64,
}

impl Window {
    fn contains(&self, minute: u16) -> bool {
        match self.from.cmp(&self.to) {
            std::cmp::Ordering::Less => (self.from..self.to).contains(&minute),
            std::cmp::Ordering::Greater => minute >= self.from || minute < self.to,
            std::cmp::Ordering::Equal => true,
        }
    }
}

/// A bandwidth schedule: windows of the day with their limit, and `*` for the rest of the day.
/// The first window containing the time decides; else `*`; else the plain key
/// (`max_write_mib_s` / `max_read_mib_s`). Empty: the plain key always.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    windows: Vec<Window>,
    rest: Option<u64>,
}

fn minute_of(text: &str) -> Result<u16, String> {
    let bad = || format!("{text:?} is not a time HH:MM (00:00 to 24:00)");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok((h * 60 + m) % (24 * 60))
}

impl Schedule {
    /// Parses `"HH:MM-HH:MM=MIB,...,*=MIB"` (spaces allowed; an empty string is no schedule).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut schedule = Schedule::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (when, limit) = entry
                .split_once('=')
                .ok_or_else(|| format!("entry {entry:?} is not HH:MM-HH:MM=MIB or *=MIB"))?;
            let mib_s: u64 = limit.trim().parse().map_err(|_| {
                format!("entry {entry:?}: {limit:?} is not a whole number of MiB/s")
            })?;
            if when.trim() == "*" {
                if schedule.rest.replace(mib_s).is_some() {
                    return Err("more than one *= entry".to_owned());
                }
                continue;
            }
            let (from, to) = when
                .split_once('-')
                .ok_or_else(|| format!("entry {entry:?}: {when:?} is not HH:MM-HH:MM"))?;
            schedule.windows.push(Window {
                from: minute_of(from)?,
                to: minute_of(to)?,
                mib_s,
            });
        }
        Ok(schedule)
    }

    /// Whether the schedule says nothing (the plain key always applies).
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty() && self.rest.is_none()
    }

    /// The limit in MiB/s (0: unlimited) at `minute` of the day, `plain` outside every entry.
    pub fn limit_at(&self, minute: u16, plain: u64) -> u64 {
        self.windows
            .iter()
            .find(|w| w.contains(minute))
            .map(|w| w.mib_s)
            .or(self.rest)
            .unwrap_or(plain)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let mut entries: Vec<String> = self
            .windows
            .iter()
            .map(|w| format!("{}-{}={}", hm(w.from), hm(w.to), w.mib_s))
            .collect();
        if let Some(rest) = self.rest {
            entries.push(format!("*={rest}"));
        }
        f.write_str(&entries.join(","))
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Schedule::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The minute of the day now, in the media server's local time (`TZ`, else `/etc/localtime`).
pub(crate) fn local_minute_now() -> u16 {
    use chrono::Timelike;
    let now = chrono::Local::now();
    u16::try_from(now.hour() * 60 + now.minute()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_hours_limited_the_rest_of_the_day_free() {
        let s = Schedule::parse("08:00-18:00=200, *=0").unwrap();
        assert_eq!(s.limit_at(7 * 60 + 59, 50), 0);
        assert_eq!(s.limit_at(8 * 60, 50), 200);
        assert_eq!(s.limit_at(17 * 60 + 59, 50), 200);
        assert_eq!(s.limit_at(18 * 60, 50), 0);
        assert_eq!(s.to_string(), "08:00-18:00=200,*=0");
    }

    #[test]
    fn windows_cross_midnight_and_the_plain_key_fills_the_gaps() {
        let s = Schedule::parse("22:00-06:00=500,12:00-13:00=100").unwrap();
        assert_eq!(s.limit_at(23 * 60, 40), 500);
        assert_eq!(s.limit_at(3 * 60, 40), 500);
        assert_eq!(s.limit_at(12 * 60 + 30, 40), 100);
        assert_eq!(
            s.limit_at(9 * 60, 40),
            40,
            "outside every window: the plain key"
        );
        assert!(Schedule::parse("").unwrap().is_empty());
        assert_eq!(Schedule::parse("00:00-24:00=7").unwrap().limit_at(0, 1), 7);
    }

    #[test]
    fn mistakes_are_named() {
        for (text, says) in [
            ("08:00-18:00", "is not HH:MM-HH:MM=MIB"),
            ("08:00-25:00=1", "is not a time"),
            ("08:00=1", "is not HH:MM-HH:MM"),
            ("08:00-09:00=fast", "not a whole number"),
            ("*=1,*=2", "more than one"),
        ] {
            let err = Schedule::parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
