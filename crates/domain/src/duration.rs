//! ISO 8601 durations (`Edm.Duration`) as Graph sends and receives them, and the ranges presence enforces.
//!
//! A day counts as 24 hours (Graph durations are elapsed time, not calendar time); years, months and weeks are refused
//! because their length is not fixed. The time part (`T1H30M`) is parsed by jiff; the day count is read here, so any
//! length up to [`SignedDuration::MAX`] is accepted — jiff's spans stop at about 20,000 years, while .NET's
//! `TimeSpan.MaxValue` is `P10675199DT2H48M5.4775807S`. Precision is kept to the nanosecond (a `TimeSpan` tick is
//! 100 ns, so every `TimeSpan` survives exactly). The printed form is the canonical one .NET's
//! `XmlConvert.ToString(TimeSpan)` produces, which is what Microsoft's cmdlets put on the wire: 90 minutes →
//! `PT1H30M`, 4 hours → `PT4H`, 1 day → `P1D`, 100 ns → `PT0.0000001S`.

use jiff::fmt::temporal::SpanParser;
use jiff::SignedDuration;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// A non-negative elapsed-time duration written as ISO 8601 (`PT1H30M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDuration(SignedDuration);

/// Why a duration text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text is not an ISO 8601 duration.
    #[error("'{text}' is not an ISO 8601 duration such as PT1H or PT30M")]
    NotIso8601 { text: String },
    /// The duration uses years, months or weeks, or is negative.
    #[error("'{text}' is not an elapsed-time duration: {reason}")]
    Unsupported { text: String, reason: String },
}

impl IsoDuration {
    /// A duration of whole minutes.
    pub const fn from_minutes(minutes: i64) -> Self {
        Self(SignedDuration::from_secs(minutes * 60))
    }

    /// A duration of whole hours.
    pub const fn from_hours(hours: i64) -> Self {
        Self(SignedDuration::from_secs(hours * 3600))
    }

    /// A duration of whole days (of 24 hours).
    pub const fn from_days(days: i64) -> Self {
        Self(SignedDuration::from_secs(days * 86_400))
    }

    /// The length as a [`SignedDuration`].
    pub const fn as_signed_duration(self) -> SignedDuration {
        self.0
    }

    /// The length in milliseconds (saturating).
    pub fn as_millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }

    /// A duration from a [`SignedDuration`]; negative lengths are refused.
    pub fn try_from_signed(d: SignedDuration) -> Result<Self, DurationError> {
        if d.is_negative() {
            return Err(DurationError::Unsupported { text: d.to_string(), reason: "it is negative".into() });
        }
        Ok(Self(d))
    }

    /// The canonical ISO 8601 text (`PT1H30M`, `P1DT2H`, `PT0S`), exactly as `XmlConvert.ToString(TimeSpan)` writes
    /// it: days, hours, minutes and seconds, zero parts left out, the fraction of a second without trailing zeros.
    pub fn to_iso8601(self) -> String {
        use std::fmt::Write as _;
        let seconds = self.0.as_secs().unsigned_abs();
        let nanos = self.0.subsec_nanos().unsigned_abs();
        let (days, hours, minutes, secs) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60, seconds % 60);
        let mut text = String::from("P");
        if days > 0 {
            let _ = write!(text, "{days}D");
        }
        if hours > 0 || minutes > 0 || secs > 0 || nanos > 0 {
            text.push('T');
            if hours > 0 {
                let _ = write!(text, "{hours}H");
            }
            if minutes > 0 {
                let _ = write!(text, "{minutes}M");
            }
            if secs > 0 || nanos > 0 {
                let _ = write!(text, "{secs}");
                if nanos > 0 {
                    let fraction = format!("{nanos:09}");
                    let _ = write!(text, ".{}", fraction.trim_end_matches('0'));
                }
                text.push('S');
            }
        }
        if text == "P" {
            text.push_str("T0S");
        }
        text
    }
}

impl FromStr for IsoDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let not_iso = || DurationError::NotIso8601 { text: text.to_owned() };
        let unsupported = |reason: &str| DurationError::Unsupported { text: text.to_owned(), reason: reason.to_owned() };
        let (negative, unsigned) = match trimmed.as_bytes().first() {
            Some(b'-') => (true, &trimmed[1..]),
            Some(b'+') => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let designators = unsigned.strip_prefix(['P', 'p']).ok_or_else(not_iso)?;
        let (date, time) = match designators.find(['T', 't']) {
            Some(at) => (&designators[..at], Some(&designators[at..])),
            None => (designators, None),
        };
        if date.contains(['Y', 'y', 'M', 'm', 'W', 'w']) {
            // Only the ISO 8601 grammar (jiff's `Span::from_str` would also take its "friendly" form, `1 hour`).
            return Err(match SpanParser::new().parse_span(trimmed) {
                Ok(_) => unsupported("years, months and weeks have no fixed length; use days, hours, minutes or seconds"),
                Err(_) => not_iso(),
            });
        }
        let days: i64 = match date {
            "" if time.is_none() => return Err(not_iso()),
            "" => 0,
            _ => {
                let digits = date.strip_suffix(['D', 'd']).filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).ok_or_else(not_iso)?;
                digits.parse().map_err(|_| unsupported("it is longer than the longest duration"))?
            }
        };
        let time_of_day = match time {
            // `T1H30M` is the time part of `PT1H30M`, which jiff reads (fractions, either case, either decimal mark).
            Some(time) => SpanParser::new().parse_duration(format!("P{time}")).map_err(|_| not_iso())?,
            None => SignedDuration::ZERO,
        };
        let length = days
            .checked_mul(86_400)
            .map(SignedDuration::from_secs)
            .and_then(|whole_days| whole_days.checked_add(time_of_day))
            .ok_or_else(|| unsupported("it is longer than the longest duration"))?;
        if negative && !length.is_zero() {
            return Err(unsupported("it is negative"));
        }
        Self::try_from_signed(length)
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso8601())
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for IsoDuration {
    fn schema_name() -> Cow<'static, str> {
        "IsoDuration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "duration",
            "description": "ISO 8601 duration (Edm.Duration), e.g. PT1H30M",
        })
    }
}

/// An inclusive range of durations the service accepts for one property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationRange {
    pub min: IsoDuration,
    pub max: IsoDuration,
}

impl DurationRange {
    /// Whether `d` lies inside the range.
    pub fn contains(&self, d: IsoDuration) -> bool {
        self.min <= d && d <= self.max
    }
}

/// `setPresence.expirationDuration`: PT5M..=PT4H (graph-presence-api.md §1.3).
pub const SESSION_EXPIRATION_RANGE: DurationRange =
    DurationRange { min: IsoDuration::from_minutes(5), max: IsoDuration::from_hours(4) };

/// `setPresence.expirationDuration` when omitted: 5 minutes.
pub const SESSION_DEFAULT_EXPIRATION: IsoDuration = IsoDuration::from_minutes(5);

/// After this long without being set again, an `Available` session fades to `Available/AvailableInactive`, and after
/// twice this long to `Away` (graph-presence-api.md §4).
pub const SESSION_FADE_AFTER: IsoDuration = IsoDuration::from_minutes(5);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prints_the_xmlconvert_forms() {
        assert_eq!(IsoDuration::from_minutes(90).to_string(), "PT1H30M");
        assert_eq!(IsoDuration::from_hours(4).to_string(), "PT4H");
        assert_eq!(IsoDuration::from_minutes(5).to_string(), "PT5M");
        assert_eq!(IsoDuration::from_days(1).to_string(), "P1D");
        assert_eq!(IsoDuration::from_minutes(0).to_string(), "PT0S");
        assert_eq!(IsoDuration::from_minutes(24 * 60 + 90).to_string(), "P1DT1H30M");
    }

    #[test]
    fn parses_iso_forms_and_refuses_the_rest() {
        assert_eq!("PT1H".parse::<IsoDuration>().unwrap(), IsoDuration::from_hours(1));
        assert_eq!("pt90m".parse::<IsoDuration>().unwrap(), IsoDuration::from_minutes(90));
        assert_eq!("P1D".parse::<IsoDuration>().unwrap(), IsoDuration::from_days(1));
        assert!(matches!("01:00:00".parse::<IsoDuration>(), Err(DurationError::NotIso8601 { .. })));
        assert!(matches!("1 hour".parse::<IsoDuration>(), Err(DurationError::NotIso8601 { .. })));
        assert!(matches!("P1M".parse::<IsoDuration>(), Err(DurationError::Unsupported { .. })));
        assert!(matches!("-PT5M".parse::<IsoDuration>(), Err(DurationError::Unsupported { .. })));
    }

    #[test]
    fn session_range_is_five_minutes_to_four_hours() {
        assert!(SESSION_EXPIRATION_RANGE.contains("PT5M".parse().unwrap()));
        assert!(SESSION_EXPIRATION_RANGE.contains("PT4H".parse().unwrap()));
        assert!(!SESSION_EXPIRATION_RANGE.contains("PT3M".parse().unwrap()));
        assert!(!SESSION_EXPIRATION_RANGE.contains("PT5H".parse().unwrap()));
        assert!(!SESSION_EXPIRATION_RANGE.contains("PT4H0M1S".parse().unwrap()));
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_duration(secs in 0i64..10_000_000, millis in 0i64..1000) {
            let d = IsoDuration::try_from_signed(SignedDuration::from_millis(secs * 1000 + millis)).unwrap();
            let text = d.to_string();
            prop_assert_eq!(text.parse::<IsoDuration>().unwrap(), d, "{}", text);
        }
    }
}
