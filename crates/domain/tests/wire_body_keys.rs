//! A body given as a loose JSON object (a `-BodyParameter` hashtable) reaches the wire with every key it had.
//!
//! For every body kind, random valid bodies are built with each documented member under a random letter case, at
//! every level (`StatusMessage.Message.ContentType`), plus unknown members with arbitrary JSON values, also inside
//! nested objects, in random order. `BodyKind::to_wire_body` must accept them and give exactly: each documented
//! member under its wire name (free text unchanged, availability/activity in their PascalCase spelling, durations in
//! the canonical form they were given in, a null top-level member left out as docs/decisions.md says), each unknown
//! member under its own name with its value untouched, and nothing else — documented members first, in the model's
//! order, then the unknown ones in the order given (docs/decisions.md, "Unknown body keys are kept").
//!
//! Documented members and their order are written here from graph-presence-api.md §1.3–§1.9 and §2 (body
//! parameters and complex types); valid values from §3.3, §3.4 (pairs), §1.3 (PT5M..PT4H), §1.7, §1.8.

mod spec_pairs;

use mgpresence_domain::BodyKind;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{Map, Number, Value};
use spec_pairs::{SET_PRESENCE_PAIRS, SET_USER_PREFERRED_PRESENCE_PAIRS};

/// What one documented member of a generated body is.
#[derive(Debug, Clone)]
enum Slot {
    Absent,
    /// Given as null: not sent.
    Null,
    Given { value: Value, wire: Value },
}

fn random_casing(name: &str, mask: u64) -> String {
    name.chars().enumerate().map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
}

/// An ISO 8601 duration of whole seconds in the form `XmlConvert.ToString(TimeSpan)` writes (zero parts left out).
fn canonical_duration(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60, seconds % 60);
    let mut text = String::from("P");
    if d > 0 {
        text += &format!("{d}D");
    }
    if h + m + s > 0 {
        text.push('T');
        for (n, unit) in [(h, 'H'), (m, 'M'), (s, 'S')] {
            if n > 0 {
                text += &format!("{n}{unit}");
            }
        }
    }
    if text == "P" { "PT0S".into() } else { text }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64).prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((any::<String>(), inner), 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Members no level of any body documents: names that match none of `documented` case-insensitively.
fn unknown_members(documented: Vec<&'static str>) -> impl Strategy<Value = Vec<(String, Value)>> {
    proptest::collection::vec(("[A-Za-z@$._-]{1,16}", json_value()), 0..4).prop_map(move |members| {
        let mut kept: Vec<(String, Value)> = Vec::new();
        for (name, value) in members {
            if !documented.iter().any(|d| d.eq_ignore_ascii_case(&name)) && !kept.iter().any(|(k, _)| *k == name) {
                kept.push((name, value));
            }
        }
        kept
    })
}

/// An object with `documented` members (in model order) and unknown ones: the loose form (random key case, random
/// order) and the wire form the test expects.
fn object_of(documented: Vec<(&'static str, BoxedStrategy<Slot>)>) -> BoxedStrategy<(Map<String, Value>, Map<String, Value>)> {
    let names: Vec<&'static str> = documented.iter().map(|(n, _)| *n).collect();
    let slots: Vec<BoxedStrategy<Slot>> = documented.into_iter().map(|(_, s)| s).collect();
    let masks = proptest::collection::vec(any::<u64>(), names.len());
    (slots, masks, unknown_members(names.clone()), any::<u64>())
        .prop_map(move |(slots, masks, unknown, order_seed)| {
            let mut loose: Vec<(String, Value)> = Vec::new();
            let mut wire = Map::new();
            for ((name, slot), mask) in names.iter().zip(slots).zip(masks) {
                match slot {
                    Slot::Absent => {}
                    Slot::Null => loose.push((random_casing(name, mask), Value::Null)),
                    Slot::Given { value, wire: expected } => {
                        loose.push((random_casing(name, mask), value));
                        wire.insert((*name).to_owned(), expected);
                    }
                }
            }
            let first_unknown = loose.len();
            loose.extend(unknown.iter().cloned());
            wire.extend(unknown);
            // Shuffle the given order, keeping the unknown members' relative order (the wire keeps it).
            let mut state = order_seed | 1;
            for i in (1..first_unknown).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                loose.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let unknown_part = loose.split_off(first_unknown);
            let mut interleaved = Vec::with_capacity(loose.len() + unknown_part.len());
            let (mut a, mut b) = (loose.into_iter(), unknown_part.into_iter());
            loop {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let next = if state & 1 == 0 { a.next().or_else(|| b.next()) } else { b.next().or_else(|| a.next()) };
                match next {
                    Some(member) => interleaved.push(member),
                    None => break,
                }
            }
            (interleaved.into_iter().collect(), wire)
        })
        .boxed()
}

fn given(values: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Slot> {
    values.prop_map(|v| Slot::Given { value: v.clone(), wire: v }).boxed()
}

fn text(pattern: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Slot> {
    given(pattern.prop_map(Value::String))
}

/// An optional top-level member: absent, null (not sent), or given.
fn optional(slot: BoxedStrategy<Slot>) -> BoxedStrategy<Slot> {
    prop_oneof![1 => Just(Slot::Absent), 1 => Just(Slot::Null), 3 => slot].boxed()
}

/// An optional nested member: absent or given.
fn maybe(slot: BoxedStrategy<Slot>) -> BoxedStrategy<Slot> {
    prop_oneof![1 => Just(Slot::Absent), 3 => slot].boxed()
}

fn nested(object: BoxedStrategy<(Map<String, Value>, Map<String, Value>)>) -> BoxedStrategy<Slot> {
    object.prop_map(|(loose, wire)| Slot::Given { value: Value::Object(loose), wire: Value::Object(wire) }).boxed()
}

/// An enumeration value given in a random case; the wire carries the canonical spelling.
fn enumeration(canonical: &'static str) -> BoxedStrategy<Slot> {
    any::<u64>().prop_map(move |mask| Slot::Given { value: random_casing(canonical, mask).into(), wire: canonical.into() }).boxed()
}

fn duration(seconds: std::ops::RangeInclusive<u64>) -> BoxedStrategy<Slot> {
    given(seconds.prop_map(|s| Value::String(canonical_duration(s))))
}

fn non_blank_text() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("not blank", |s| !s.trim().is_empty())
}

/// `presenceStatusMessage` (§2.2) with `itemBody` (§2.3) and `dateTimeTimeZone` (§2.4); contentType `text` (§1.7).
fn status_message() -> BoxedStrategy<Slot> {
    let item_body = object_of(vec![
        ("content", maybe(text(any::<String>()))),
        // contentType is free text checked case-insensitively: the wire keeps the casing given.
        ("contentType", maybe(text(any::<u64>().prop_map(|m| random_casing("text", m))))),
    ]);
    let date_time = (2000u32..2100, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60, 0u32..60, prop_oneof![Just(String::new()), "\\.[0-9]{1,7}"])
        .prop_map(|(y, mo, d, h, mi, s, fraction)| Value::String(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{fraction}")));
    let expiry = object_of(vec![("dateTime", given(date_time)), ("timeZone", maybe(text(any::<String>())))]);
    nested(object_of(vec![
        ("message", maybe(nested(item_body))),
        ("expiryDateTime", maybe(nested(expiry))),
        ("publishedDateTime", maybe(text(any::<String>()))),
    ]))
}

fn body_of(kind: BodyKind) -> BoxedStrategy<(Map<String, Value>, Map<String, Value>)> {
    match kind {
        BodyKind::SetPresence => proptest::sample::select(SET_PRESENCE_PAIRS)
            .prop_flat_map(|(availability, activity)| {
                object_of(vec![
                    ("sessionId", text(non_blank_text())),
                    ("availability", enumeration(availability)),
                    ("activity", enumeration(activity)),
                    ("expirationDuration", optional(duration(5 * 60..=4 * 3600))),
                ])
            })
            .boxed(),
        BodyKind::ClearPresence => object_of(vec![("sessionId", text(non_blank_text()))]),
        BodyKind::SetUserPreferredPresence => proptest::sample::select(SET_USER_PREFERRED_PRESENCE_PAIRS)
            .prop_flat_map(|(availability, activity)| {
                object_of(vec![
                    ("availability", enumeration(availability)),
                    ("activity", enumeration(activity)),
                    ("expirationDuration", optional(duration(0..=30 * 86_400))),
                ])
            })
            .boxed(),
        BodyKind::SetStatusMessage => object_of(vec![("statusMessage", status_message())]),
        BodyKind::SetLocation => object_of(vec![
            ("placeId", optional(text(any::<String>()))),
            (
                "workLocationType",
                proptest::sample::select(&["office", "remote", "timeOff"][..])
                    .prop_flat_map(|t| any::<u64>().prop_map(move |m| random_casing(t, m)))
                    .prop_map(|t| Slot::Given { value: t.clone().into(), wire: t.into() })
                    .boxed(),
            ),
        ]),
        BodyKind::GetPresencesByUserId => {
            object_of(vec![("ids", given(proptest::collection::vec(any::<String>(), 0..6).prop_map(|ids| ids.into_iter().map(Value::String).collect())))])
        }
        // The presence entity (§2.1) as a PATCH/POST body: values are free text. outOfOfficeSettings (§2.5) and
        // workLocation (§2.6) are given whole: their models are the response's, which always writes every member.
        BodyKind::PresenceEntity => object_of(vec![
            ("id", optional(text(any::<String>()))),
            ("activity", optional(text(any::<String>()))),
            ("availability", optional(text(any::<String>()))),
            (
                "outOfOfficeSettings",
                maybe(nested(object_of(vec![("message", text(any::<String>())), ("isOutOfOffice", given(any::<bool>().prop_map(Value::Bool)))]))),
            ),
            ("statusMessage", maybe(status_message())),
            (
                "workLocation",
                maybe(nested(object_of(vec![
                    ("placeId", text(any::<String>())),
                    ("source", text(any::<String>())),
                    ("workLocationType", text(any::<String>())),
                ]))),
            ),
        ]),
    }
}

/// The keys of an object and of every object nested in it, with their paths, in order.
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = format!("{prefix}/{k}");
            out.push(path.clone());
            key_paths(v, &path, out);
        }
    }
}

fn check(kind: BodyKind, loose: Map<String, Value>, expected: Map<String, Value>) -> Result<(), TestCaseError> {
    let wire = kind.to_wire_body(loose.clone()).map_err(|e| TestCaseError::fail(format!("{kind:?} refused {}: {e}", Value::Object(loose.clone()))))?;
    let expected = Value::Object(expected);
    let (mut got_keys, mut expected_keys) = (Vec::new(), Vec::new());
    key_paths(&wire, "", &mut got_keys);
    key_paths(&expected, "", &mut expected_keys);
    prop_assert_eq!(&got_keys, &expected_keys, "{:?}: keys (and their order) from {}", kind, Value::Object(loose.clone()));
    prop_assert_eq!(&wire, &expected, "{:?}: values from {}", kind, Value::Object(loose));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn set_presence_keeps_every_key(body in body_of(BodyKind::SetPresence)) { check(BodyKind::SetPresence, body.0, body.1)?; }

    #[test]
    fn clear_presence_keeps_every_key(body in body_of(BodyKind::ClearPresence)) { check(BodyKind::ClearPresence, body.0, body.1)?; }

    #[test]
    fn set_user_preferred_presence_keeps_every_key(body in body_of(BodyKind::SetUserPreferredPresence)) {
        check(BodyKind::SetUserPreferredPresence, body.0, body.1)?;
    }

    #[test]
    fn set_status_message_keeps_every_key_at_every_level(body in body_of(BodyKind::SetStatusMessage)) {
        check(BodyKind::SetStatusMessage, body.0, body.1)?;
    }

    #[test]
    fn set_location_keeps_every_key(body in body_of(BodyKind::SetLocation)) { check(BodyKind::SetLocation, body.0, body.1)?; }

    #[test]
    fn get_presences_by_user_id_keeps_every_key(body in body_of(BodyKind::GetPresencesByUserId)) {
        check(BodyKind::GetPresencesByUserId, body.0, body.1)?;
    }

    #[test]
    fn presence_entity_keeps_every_key_at_every_level(body in body_of(BodyKind::PresenceEntity)) {
        check(BodyKind::PresenceEntity, body.0, body.1)?;
    }
}
