//! A WORM LSU's policy: the S3 object lock mode and the retention every complete image gets.
//!
//! The retain-until date of an image is its creation date plus the retention
//! ([`WormPolicy::retain_until`]): NetBackup computes an image's expiry from its backup time, so
//! a lock counted from anything later (completion, a copy's end) would outlive the expiry and
//! make NetBackup's delete fail with `STS_EWORM` (ost-api.md §5, the WORM/expiry mismatch).
//!
//! Periods are written `<n>s|h|d|y` (seconds, hours, days, years of 365 days). VAST's view
//! fields use `h`, `d`, `m` (months) and `y`; `m` is refused here because VAST's own schema also
//! uses it for minutes, and seconds exist for tests.

use std::fmt;
use std::str::FromStr;

/// The object lock mode of a WORM LSU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetentionMode {
    /// An administrator with the bypass permission can still remove an image early
    /// (`vast-ost image delete --bypass-governance`).
    Governance,
    /// No one can remove an image or shorten its lock before the date.
    Compliance,
}

impl RetentionMode {
    /// Lower-case name (`governance`, `compliance`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Governance => "governance",
            Self::Compliance => "compliance",
        }
    }
}

impl fmt::Display for RetentionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RetentionMode {
    type Err = WormError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "governance" => Ok(Self::Governance),
            "compliance" => Ok(Self::Compliance),
            _ => Err(WormError(format!(
                "retention mode {s:?} is not governance or compliance"
            ))),
        }
    }
}

/// A WORM policy or period that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WormError(pub String);

/// A retention period, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RetentionPeriod(u64);

impl RetentionPeriod {
    /// A period of `secs` seconds (at least one).
    pub fn from_secs(secs: u64) -> Result<Self, WormError> {
        if secs == 0 {
            return Err(WormError("a retention period must be positive".into()));
        }
        Ok(Self(secs))
    }

    /// Seconds.
    pub fn secs(self) -> u64 {
        self.0
    }
}

const UNITS: [(char, u64); 4] = [('y', 365 * 86_400), ('d', 86_400), ('h', 3_600), ('s', 1)];

impl fmt::Display for RetentionPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, size) = UNITS
            .iter()
            .find(|(_, size)| self.0.is_multiple_of(*size))
            .copied()
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", self.0 / size)
    }
}

impl FromStr for RetentionPeriod {
    type Err = WormError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            WormError(format!(
                "retention {s:?} is not <number><unit> with unit s, h, d or y (e.g. 30d)"
            ))
        };
        let unit = s.chars().last().ok_or_else(bad)?;
        if unit == 'm' {
            return Err(WormError(format!(
                "retention {s:?}: 'm' is ambiguous (minutes or months); use h, d or y"
            )));
        }
        let size = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, size)| *size)
            .ok_or_else(bad)?;
        let digits = &s[..s.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        Self::from_secs(n.checked_mul(size).ok_or_else(bad)?)
    }
}

/// What a WORM LSU does to its images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WormPolicy {
    /// The object lock mode.
    pub mode: RetentionMode,
    /// How long after its creation an image stays locked.
    pub retention: RetentionPeriod,
}

impl WormPolicy {
    /// The retain-until date (Unix seconds) of an image created at `created_unix`.
    pub fn retain_until(&self, created_unix: u64) -> u64 {
        created_unix.saturating_add(self.retention.secs())
    }
}

/// `<mode> <period>`, e.g. `compliance 30d` (how the policy is stored with the LSU).
impl fmt::Display for WormPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.mode, self.retention)
    }
}

impl FromStr for WormPolicy {
    type Err = WormError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (mode, period) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| WormError(format!("WORM policy {s:?} is not \"<mode> <period>\"")))?;
        Ok(Self {
            mode: mode.parse()?,
            retention: period.trim().parse()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_round_trip_in_their_largest_unit() {
        for (text, secs) in [
            ("30d", 30 * 86_400),
            ("5s", 5),
            ("12h", 43_200),
            ("7y", 7 * 365 * 86_400),
        ] {
            let p: RetentionPeriod = text.parse().unwrap();
            assert_eq!(p.secs(), secs);
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(RetentionPeriod::from_secs(90).unwrap().to_string(), "90s");
    }

    #[test]
    fn ambiguous_or_empty_periods_are_refused() {
        for bad in [
            "",
            "d",
            "0d",
            "3m",
            "3w",
            "-3d",
            "3.5d",
            "99999999999999999999y",
        ] {
            assert!(bad.parse::<RetentionPeriod>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_policy_is_mode_and_period_and_locks_from_creation() {
        let p: WormPolicy = "Compliance 30d".parse().unwrap();
        assert_eq!(p.mode, RetentionMode::Compliance);
        assert_eq!(p.to_string(), "compliance 30d");
        assert_eq!(p.retain_until(1_000), 1_000 + 30 * 86_400);
        assert!("sometimes 30d".parse::<WormPolicy>().is_err());
        assert!("governance".parse::<WormPolicy>().is_err());
    }
}
