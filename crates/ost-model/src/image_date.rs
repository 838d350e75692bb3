//! Image creation dates.
//!
//! `sts_image_def_t` carries a creation date beside the base name (ost-api.md 1.9, I; the design
//! notes call its type `sts_date_t`, D). Its exact public form is unknown, so vast-ost **chooses**
//! a fixed-width UTC string `YYYYMMDDhhmmss` (14 digits): it sorts in time order, is safe in object
//! keys and converts to and from Unix seconds. Change the form here only.

use std::fmt;
use std::str::FromStr;

use crate::limits::IMAGE_DATE_LEN;

/// Earliest year accepted (Unix epoch).
pub const MIN_IMAGE_YEAR: u32 = 1970;
/// Latest year accepted (four digits).
pub const MAX_IMAGE_YEAR: u32 = 9999;

/// Why an image date string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageDateError {
    /// Not exactly 14 characters.
    #[error("image date must be 14 digits YYYYMMDDhhmmss, got {len} bytes")]
    WrongLength {
        /// Length in bytes.
        len: usize,
    },
    /// A character that is not an ASCII digit.
    #[error("image date has a non-digit at byte {pos}")]
    NonDigit {
        /// Byte position.
        pos: usize,
    },
    /// A field out of range.
    #[error("image date field {field} = {value} is out of range")]
    OutOfRange {
        /// Field name (`year`, `month`, `day`, `hour`, `minute`, `second`).
        field: &'static str,
        /// The value given.
        value: u32,
    },
    /// A Unix time outside the representable years.
    #[error("unix time {secs} is outside the years 1970..=9999")]
    UnixOutOfRange {
        /// Seconds since the epoch.
        secs: u64,
    },
}

/// A validated image creation date (UTC), printed as `YYYYMMDDhhmmss`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ImageDate {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Number of days in `month` of `year`.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm, proleptic Gregorian).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl ImageDate {
    /// Builds a date from its fields, checking every range.
    pub fn from_parts(
        year: u32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<Self, ImageDateError> {
        let check = |field: &'static str, value: u32, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(ImageDateError::OutOfRange { field, value })
            }
        };
        check(
            "year",
            year,
            (MIN_IMAGE_YEAR..=MAX_IMAGE_YEAR).contains(&year),
        )?;
        check("month", month, (1..=12).contains(&month))?;
        check("day", day, day >= 1 && day <= days_in_month(year, month))?;
        check("hour", hour, hour < 24)?;
        check("minute", minute, minute < 60)?;
        check("second", second, second < 60)?;
        Ok(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// The date of a Unix time (seconds since 1970-01-01T00:00:00Z).
    pub fn from_unix_seconds(secs: u64) -> Result<Self, ImageDateError> {
        let out = || ImageDateError::UnixOutOfRange { secs };
        let signed = i64::try_from(secs).map_err(|_| out())?;
        let (year, month, day) = civil_from_days(signed.div_euclid(86_400));
        let rem = signed.rem_euclid(86_400) as u32;
        let year = u32::try_from(year).map_err(|_| out())?;
        if year > MAX_IMAGE_YEAR {
            return Err(out());
        }
        Self::from_parts(year, month, day, rem / 3600, rem / 60 % 60, rem % 60)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn to_unix_seconds(&self) -> u64 {
        let days = days_from_civil(self.year, self.month, self.day);
        // Years start at 1970, so the day count is never negative.
        let days = u64::try_from(days).unwrap_or(0);
        days * 86_400
            + u64::from(self.hour) * 3600
            + u64::from(self.minute) * 60
            + u64::from(self.second)
    }

    /// The date as RFC 3339 (`YYYY-MM-DDThh:mm:ssZ`).
    pub fn to_rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Year (1970..=9999).
    pub fn year(&self) -> u32 {
        self.year
    }
}

impl fmt::Display for ImageDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl FromStr for ImageDate {
    type Err = ImageDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != IMAGE_DATE_LEN {
            return Err(ImageDateError::WrongLength { len: s.len() });
        }
        if let Some(pos) = s.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(ImageDateError::NonDigit { pos });
        }
        let field = |from: usize, to: usize| {
            s.as_bytes()[from..to]
                .iter()
                .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
        };
        Self::from_parts(
            field(0, 4),
            field(4, 6),
            field(6, 8),
            field(8, 10),
            field(10, 12),
            field(12, 14),
        )
    }
}

impl TryFrom<String> for ImageDate {
    type Error = ImageDateError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ImageDate> for String {
    fn from(date: ImageDate) -> Self {
        date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d: ImageDate = "20240115093000".parse().unwrap();
        assert_eq!(d.to_string(), "20240115093000");
        assert_eq!(d.to_rfc3339(), "2024-01-15T09:30:00Z");
        assert_eq!(d.to_unix_seconds(), 1_705_311_000);
        assert_eq!(ImageDate::from_unix_seconds(1_705_311_000).unwrap(), d);
        assert_eq!(
            ImageDate::from_unix_seconds(0).unwrap().to_string(),
            "19700101000000"
        );
    }

    #[test]
    fn validates_calendar() {
        assert!("20240229000000".parse::<ImageDate>().is_ok());
        assert_eq!(
            "20230229000000".parse::<ImageDate>(),
            Err(ImageDateError::OutOfRange {
                field: "day",
                value: 29
            })
        );
        assert_eq!(
            "20231301000000".parse::<ImageDate>(),
            Err(ImageDateError::OutOfRange {
                field: "month",
                value: 13
            })
        );
        assert_eq!(
            "20230101240000".parse::<ImageDate>(),
            Err(ImageDateError::OutOfRange {
                field: "hour",
                value: 24
            })
        );
        assert_eq!(
            "19690101000000".parse::<ImageDate>(),
            Err(ImageDateError::OutOfRange {
                field: "year",
                value: 1969
            })
        );
        assert_eq!(
            "2023010100000".parse::<ImageDate>(),
            Err(ImageDateError::WrongLength { len: 13 })
        );
        assert_eq!(
            "2023-101000000".parse::<ImageDate>(),
            Err(ImageDateError::NonDigit { pos: 4 })
        );
        assert!(ImageDate::from_unix_seconds(u64::MAX).is_err());
    }

    #[test]
    fn unix_round_trip_over_many_days() {
        for secs in (0..400u64 * 366 * 86_400).step_by(86_400 * 7 + 3_601) {
            let d = ImageDate::from_unix_seconds(secs).unwrap();
            assert_eq!(d.to_unix_seconds(), secs);
            assert_eq!(d.to_string().parse::<ImageDate>().unwrap(), d);
        }
    }
}
