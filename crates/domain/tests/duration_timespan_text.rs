//! Every `[TimeSpan]` PowerShell can hand the engine survives `IsoDuration` exactly.
//!
//! PowerShell passes a `[TimeSpan]` as `System.Xml.XmlConvert.ToString(TimeSpan)` text. For every tick count from 0
//! to `TimeSpan.MaxValue.Ticks` (= `i64::MAX`) this proves: that text parses; the parsed length is exactly the tick
//! count (IsoDuration keeps nanoseconds, and a tick is 100 ns); printing it gives back the very same text; and that
//! text parses to the same value again. A negative tick count (text with a leading `-`) is refused with a
//! `DurationError` that says it is negative, never a panic.

use jiff::SignedDuration;
use mgpresence_domain::IsoDuration;
use mgpresence_domain::duration::DurationError;
use proptest::prelude::*;

const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;

/// The oracle: `XmlConvert.ToString(TimeSpan)` for a tick count, written from .NET's implementation
/// (dotnet/runtime `src/libraries/System.Private.Xml/src/System/Xml/Schema/XsdDuration.cs`: the
/// `XsdDuration(TimeSpan)` constructor splits the ticks into days, hours, minutes, seconds and nanoseconds, and
/// `ToString(DurationType.Duration)` writes `-`?`P`, `nD`, then `T` with `nH`, `nM`, `n.fffffffffS` where zero parts
/// are left out, the fraction loses its trailing zeros, and an empty duration is `PT0S`). Documented examples:
/// `TimeSpan.MaxValue` → `P10675199DT2H48M5.4775807S`, one tick → `PT0.0000001S`.
fn xmlconvert_text(ticks: i64) -> String {
    let magnitude = ticks.unsigned_abs();
    let nanoseconds = (magnitude % 10_000_000) * 100;
    let mut rest = magnitude / 10_000_000;
    let seconds = rest % 60;
    rest /= 60;
    let minutes = rest % 60;
    rest /= 60;
    let hours = rest % 24;
    let days = rest / 24;

    let mut text = String::new();
    if ticks < 0 {
        text.push('-');
    }
    text.push('P');
    if days != 0 {
        text.push_str(&format!("{days}D"));
    }
    if hours != 0 || minutes != 0 || seconds != 0 || nanoseconds != 0 {
        text.push('T');
        if hours != 0 {
            text.push_str(&format!("{hours}H"));
        }
        if minutes != 0 {
            text.push_str(&format!("{minutes}M"));
        }
        if seconds != 0 || nanoseconds != 0 {
            text.push_str(&seconds.to_string());
            if nanoseconds != 0 {
                text.push('.');
                text.push_str(format!("{nanoseconds:09}").trim_end_matches('0'));
            }
            text.push('S');
        }
    }
    if text.ends_with('P') {
        text.push_str("T0S");
    }
    text
}

/// The exact length a non-negative tick count stands for.
fn length_of(ticks: i64) -> SignedDuration {
    SignedDuration::new(ticks / TICKS_PER_SECOND, ((ticks % TICKS_PER_SECOND) * 100) as i32)
}

/// Tick counts over the whole range, weighted towards the shapes that exercise each part of the text.
fn tick_counts() -> impl Strategy<Value = i64> {
    prop_oneof![
        0..=i64::MAX,
        0..=2 * TICKS_PER_DAY,
        0..TICKS_PER_SECOND,
        (0..=i64::MAX / TICKS_PER_SECOND).prop_map(|s| s * TICKS_PER_SECOND),
        (0..=i64::MAX / TICKS_PER_DAY).prop_map(|d| d * TICKS_PER_DAY),
        (0..=i64::MAX / TICKS_PER_DAY, 0..TICKS_PER_SECOND).prop_map(|(d, t)| d * TICKS_PER_DAY + t),
        Just(i64::MAX),
        Just(0),
        Just(1),
    ]
}

#[test]
fn the_oracle_writes_the_documented_forms() {
    assert_eq!(xmlconvert_text(i64::MAX), "P10675199DT2H48M5.4775807S");
    assert_eq!(xmlconvert_text(1), "PT0.0000001S");
    assert_eq!(xmlconvert_text(0), "PT0S");
    assert_eq!(xmlconvert_text(90 * 60 * TICKS_PER_SECOND), "PT1H30M");
    assert_eq!(xmlconvert_text(TICKS_PER_DAY + (2 * 3600 + 3 * 60 + 4) * TICKS_PER_SECOND + 5_000_000), "P1DT2H3M4.5S");
    assert_eq!(xmlconvert_text(-5 * 60 * TICKS_PER_SECOND), "-PT5M");
}

#[test]
fn timespan_max_value_parses_and_prints_back_exactly() {
    let max: IsoDuration = "P10675199DT2H48M5.4775807S".parse().expect("TimeSpan.MaxValue parses");
    assert_eq!(max.as_signed_duration(), length_of(i64::MAX));
    assert_eq!(max.to_string(), "P10675199DT2H48M5.4775807S");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn every_timespan_text_parses_to_its_exact_length_and_prints_back(ticks in tick_counts()) {
        let text = xmlconvert_text(ticks);
        let parsed: IsoDuration = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed.as_signed_duration(), length_of(ticks), "{} (ticks {})", text, ticks);
        let printed = parsed.to_string();
        prop_assert_eq!(&printed, &text);
        prop_assert_eq!(printed.parse::<IsoDuration>().ok(), Some(parsed));
    }

    #[test]
    fn a_negative_timespan_is_refused_as_negative(ticks in i64::MIN..0) {
        let text = xmlconvert_text(ticks);
        match text.parse::<IsoDuration>() {
            Err(DurationError::Unsupported { text: refused, reason }) => {
                prop_assert_eq!(refused, text);
                prop_assert!(reason.contains("negative"), "{}", reason);
            }
            other => prop_assert!(false, "{} gave {:?}", text, other),
        }
    }
}
