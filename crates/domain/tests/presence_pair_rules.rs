//! The domain accepts exactly the (availability, activity) pairs the specification documents, and no other.
//!
//! The oracle is written here from `shared/spec/graph-presence-api.md`: the value lists of §3.1 and §3.2 (both the
//! PascalCase and the current camelCase lists), the five setPresence pairs of §3.3 (normative, docs/decisions.md) and
//! the six setUserPreferredPresence pairs of §3.4. Values compare ASCII-case-insensitively (docs/decisions.md, "Values
//! are compared case-insensitively and sent in PascalCase"). Every spec value × every spec value, in several casings,
//! plus random casings, near misses and random words, go through `BodyKind::to_wire_body`, the entry point every
//! caller (binder, emulator) uses: the body is accepted iff the oracle says the pair is valid, and an accepted body
//! carries the pair in the table's spelling. setPresence's other rule, an expiration in PT5M..=PT4H (§1.3), is
//! checked the same way.

mod spec_pairs;

use mgpresence_domain::BodyKind;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use spec_pairs::{SET_PRESENCE_PAIRS, SET_USER_PREFERRED_PRESENCE_PAIRS};

/// §3.1: the older/beta PascalCase list and the current v1.0 list (which includes activity-like values).
const SPEC_AVAILABILITY_VALUES: &[&str] = &[
    "Available", "AvailableIdle", "Away", "BeRightBack", "Busy", "BusyIdle", "DoNotDisturb", "Offline", "PresenceUnknown",
    "available", "away", "beRightBack", "busy", "doNotDisturb", "focusing", "inACall", "inAMeeting", "offline", "presenting",
    "presenceUnknown",
];

/// §3.2: the older/beta PascalCase list, the current v1.0 list, and the further values the docs use
/// (`AvailableInactive` from the timeout fade of §4, `Focusing` from the beta permutation table).
const SPEC_ACTIVITY_VALUES: &[&str] = &[
    "Available", "Away", "BeRightBack", "Busy", "DoNotDisturb", "InACall", "InAConferenceCall", "Inactive", "InAMeeting",
    "Offline", "OffWork", "OutOfOffice", "PresenceUnknown", "Presenting", "UrgentInterruptionsOnly", "available", "away",
    "beRightBack", "busy", "doNotDisturb", "offline", "outOfOffice", "presenceUnknown", "AvailableInactive", "Focusing",
];

/// The pair of the table that (availability, activity) names, compared case-insensitively.
fn documented_pair(table: &[(&'static str, &'static str)], availability: &str, activity: &str) -> Option<(&'static str, &'static str)> {
    table.iter().copied().find(|(a, b)| a.eq_ignore_ascii_case(availability) && b.eq_ignore_ascii_case(activity))
}

/// One action with a pair rule: its body kind, its table, and the other members a valid body needs.
struct PairRule {
    kind: BodyKind,
    table: &'static [(&'static str, &'static str)],
    other_members: fn() -> Value,
}

const PAIR_RULES: &[PairRule] = &[
    PairRule { kind: BodyKind::SetPresence, table: SET_PRESENCE_PAIRS, other_members: || json!({"sessionId": "22553876-f5ab-4529-bffb-cfe50aa89f87"}) },
    PairRule { kind: BodyKind::SetUserPreferredPresence, table: SET_USER_PREFERRED_PRESENCE_PAIRS, other_members: || json!({}) },
];

fn body_with(rule: &PairRule, availability: &str, activity: &str) -> Map<String, Value> {
    let Value::Object(mut body) = (rule.other_members)() else { unreachable!("the other members are an object") };
    body.insert("availability".into(), Value::String(availability.into()));
    body.insert("activity".into(), Value::String(activity.into()));
    body
}

/// Checks one pair against one rule; `Err` describes a disagreement with the oracle.
fn check(rule: &PairRule, availability: &str, activity: &str) -> Result<(), String> {
    let result = rule.kind.to_wire_body(body_with(rule, availability, activity));
    match (documented_pair(rule.table, availability, activity), result) {
        (Some((a, b)), Ok(wire)) if wire["availability"] == a && wire["activity"] == b => Ok(()),
        (Some(pair), Ok(wire)) => Err(format!("{:?} {availability}/{activity}: accepted as {wire}, expected {pair:?}", rule.kind)),
        (Some(_), Err(e)) => Err(format!("{:?} {availability}/{activity}: documented pair refused: {e}", rule.kind)),
        (None, Ok(wire)) => Err(format!("{:?} {availability}/{activity}: undocumented pair accepted as {wire}", rule.kind)),
        (None, Err(_)) => Ok(()),
    }
}

fn casings(value: &str) -> [String; 3] {
    [value.to_owned(), value.to_ascii_uppercase(), value.to_ascii_lowercase()]
}

#[test]
fn every_spec_value_pair_is_accepted_iff_its_table_lists_it() {
    let mut disagreements = Vec::new();
    let mut accepted = 0;
    for rule in PAIR_RULES {
        for availability in SPEC_AVAILABILITY_VALUES.iter().flat_map(|v| casings(v)) {
            for activity in SPEC_ACTIVITY_VALUES.iter().flat_map(|v| casings(v)) {
                if let Err(e) = check(rule, &availability, &activity) {
                    disagreements.push(e);
                }
                accepted += usize::from(documented_pair(rule.table, &availability, &activity).is_some());
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements, e.g.:\n{}", disagreements.len(), disagreements[..disagreements.len().min(10)].join("\n"));
    assert!(accepted > 0, "the sweep reached valid pairs");
}

/// A spec value with each letter's case chosen by `mask`.
fn random_casing(value: &str, mask: u64) -> String {
    value.chars().enumerate().map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
}

/// A spec value with one letter dropped, doubled or replaced (a near miss).
fn near_miss(value: &str, at: usize, how: u8, letter: char) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let at = at % chars.len();
    match how % 3 {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        _ => chars[at] = letter,
    }
    chars.into_iter().collect()
}

fn candidate_value(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    let spec = proptest::sample::select(values);
    prop_oneof![
        3 => (spec.clone(), any::<u64>()).prop_map(|(v, mask)| random_casing(v, mask)),
        1 => (spec, any::<usize>(), any::<u8>(), proptest::char::range('a', 'z')).prop_map(|(v, at, how, c)| near_miss(v, at, how, c)),
        1 => "[A-Za-z]{0,24}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_and_variant_pairs_are_accepted_iff_documented(
        availability in candidate_value(SPEC_AVAILABILITY_VALUES),
        activity in candidate_value(SPEC_ACTIVITY_VALUES),
    ) {
        for rule in PAIR_RULES {
            check(rule, &availability, &activity).map_err(TestCaseError::fail)?;
        }
    }

    /// §1.3: `expirationDuration` valid range PT5M..PT4H (5–240 min), bounds included.
    #[test]
    fn set_presence_expiration_is_accepted_iff_within_five_minutes_and_four_hours(seconds in 0u32..=5 * 3600, millis in prop_oneof![Just(0u32), 0u32..1000]) {
        let text = if millis == 0 { format!("PT{seconds}S") } else { format!("PT{seconds}.{millis:03}S") };
        let mut body = body_with(&PAIR_RULES[0], "Available", "Available");
        body.insert("expirationDuration".into(), Value::String(text.clone()));
        let total_millis = u64::from(seconds) * 1000 + u64::from(millis);
        let documented = (5 * 60 * 1000..=4 * 3600 * 1000).contains(&total_millis);
        let result = BodyKind::SetPresence.to_wire_body(body);
        prop_assert_eq!(result.is_ok(), documented, "{} gave {:?}", text, result);
    }
}
