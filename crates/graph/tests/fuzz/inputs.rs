//! Random and mutated inputs: text, JSON values and bytes, biased towards what the presence code reads (value
//! names, durations, ids, JSON punctuation, percent escapes, odd Unicode).

use crate::harness::Rng;
use serde_json::{Map, Number, Value};

/// Bytes shown as (lossy) text in failure reports.
pub struct Lossy<'a>(pub &'a [u8]);

impl std::fmt::Debug for Lossy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(self.0))
    }
}

/// Words the code under test gives meaning to, and text that often breaks parsers.
pub const TOKENS: &[&str] = &[
    "Available", "AvailableIdle", "AvailableInactive", "Away", "BeRightBack", "Busy", "BusyIdle", "DoNotDisturb", "Offline",
    "OffWork", "InACall", "InAConferenceCall", "InAMeeting", "Presenting", "OutOfOffice", "PresenceUnknown", "Focusing",
    "UrgentInterruptionsOnly", "available", "DONOTDISTURB", "PT5M", "PT4H", "PT1H30M", "P1D", "PT0S", "-PT5M", "PT0.0000001S",
    "P10675199DT2H48M5.4775807S", "P10675199DT2H48M5.4775808S", "P99999999999999999999D", "PT175307617H", "P1Y", "P1M",
    "P1W", "PT", "P", "PT1,5S", "PT1.5H", "text", "html", "office", "remote", "timeOff", "UTC", "Pacific Standard Time",
    "Mars/Olympus", "2030-10-18T17:05:33.2079781", "9999-12-31T23:59:59.9999999", "2026-02-30T00:00:00", "+02:00", "Z",
    "fa8bf3dc-eca7-46b7-bad1-db199b62afc3", "00000000-0000-0000-0000-0000000000a1", "a@b.com", "sessionId", "statusMessage",
    "microsoft.graph.", "setPresence", "$batch", "$count", "@odata.nextLink", "@odata.count", "id eq 'a'", "id in ('a','b')",
    "null", "true", "false", "0", "-1", "18446744073709551616", "1e999", "NaN", "{", "}", "[", "]", "\"", "\\", ":", ",", "%",
    "%FF", "%C0%AF", "%00", "%ZZ", "../", "//", "?", "#", "&", "=", "+", " ", "\t", "\r\n", "\0", "\u{7f}", "\u{feff}",
    "\u{202e}", "ß", "İ", "\u{212a}", "𝔘", "😀", "Bearer ", "bearer", "application/json", "multipart/form-data",
];

/// A random text: tokens, printable ASCII, any Unicode scalar, sometimes long.
pub fn text(rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..1 + rng.below(3) {
        match rng.below(6) {
            0 | 1 => out.push_str(rng.pick::<&str>(TOKENS)),
            2 => (0..rng.below(16)).for_each(|_| out.push((b' ' + rng.below(95) as u8) as char)),
            3 => (0..rng.below(8)).for_each(|_| out.push(char::from_u32(rng.next_u64() as u32 % 0x11_0000).unwrap_or('\u{fffd}'))),
            4 => (0..rng.below(12)).for_each(|_| out.push((b'a' + rng.below(26) as u8) as char)),
            _ => {
                if rng.one_in(20) {
                    out.push_str(&rng.pick(TOKENS).repeat(1 + rng.below(2000)));
                }
            }
        }
    }
    out
}

/// A random JSON number, extremes included.
pub fn number(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => Value::from(rng.next_u64()),
        1 => Value::from(rng.next_u64() as i64),
        2 => Value::from(rng.below(1000) as i64 - 500),
        3 => rng.pick(&[Value::from(u64::MAX), Value::from(i64::MIN), Value::from(0), Value::from(65_736u64), Value::from(-1)]).clone(),
        4 => Number::from_f64(f64::from_bits(rng.next_u64())).map_or(Value::from(0.5), Value::Number),
        5 => Number::from_f64(*rng.pick(&[1e308, -1e308, 0.1, -0.0, 1e-300, 3599.5])).map_or(Value::Null, Value::Number),
        _ => Value::from(rng.below(600) as u64),
    }
}

/// A random JSON value, at most `depth` levels deep.
pub fn json(rng: &mut Rng, depth: usize) -> Value {
    let top = if depth == 0 { 4 } else { 6 };
    match rng.below(top) {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => number(rng),
        3 => Value::String(text(rng)),
        4 => Value::Array((0..rng.below(4)).map(|_| json(rng, depth - 1)).collect()),
        _ => Value::Object((0..rng.below(4)).map(|_| (text(rng), json(rng, depth - 1))).collect()),
    }
}

/// A value as deep as `levels` arrays and objects (deep nesting is a classic parser breaker).
pub fn deeply_nested(rng: &mut Rng, levels: usize) -> Value {
    (0..levels).fold(json(rng, 0), |inner, _| if rng.bool() { Value::Array(vec![inner]) } else { Value::Object(Map::from_iter([(text(rng), inner)])) })
}

fn random_casing(rng: &mut Rng, s: &str) -> String {
    s.chars().map(|c| if rng.bool() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
}

/// A string changed a little: a character dropped, doubled, replaced, a token inserted, case flipped, cut.
pub fn mutate_text(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let at = if chars.is_empty() { 0 } else { rng.below(chars.len() + 1) };
        match rng.below(8) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => chars.insert(at, chars[at]),
            2 if at < chars.len() => chars[at] = char::from_u32(rng.next_u64() as u32 % 0x3000).unwrap_or('?'),
            3 => {
                let token: Vec<char> = rng.pick(TOKENS).chars().collect();
                chars.splice(at..at, token);
            }
            4 => chars = random_casing(rng, &chars.iter().collect::<String>()).chars().collect(),
            5 => chars.truncate(at),
            6 => return text(rng),
            _ => chars.insert(at, *rng.pick(&[' ', '-', '+', '.', ',', '0', '9', 'T', 'P', 'D', '%', '\'', '"', '/'])),
        }
    }
    chars.into_iter().collect()
}

/// A JSON value changed a little, somewhere inside: members dropped, added, renamed or re-cased, values replaced by
/// random ones, strings and numbers mutated.
pub fn mutate_json(rng: &mut Rng, value: &Value) -> Value {
    let mut out = value.clone();
    for _ in 0..1 + rng.below(3) {
        mutate_somewhere(rng, &mut out, 0);
    }
    out
}

fn mutate_somewhere(rng: &mut Rng, value: &mut Value, depth: usize) {
    // Go deeper into a container most of the time, so nested members get their share.
    let children = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if children > 0 && depth < 8 && rng.below(3) != 0 {
        let at = rng.below(children);
        match value {
            Value::Object(map) => mutate_somewhere(rng, map.values_mut().nth(at).expect("index in range"), depth + 1),
            Value::Array(items) => mutate_somewhere(rng, &mut items[at], depth + 1),
            _ => unreachable!("a container"),
        }
        return;
    }
    match value {
        Value::Object(map) => match rng.below(6) {
            0 if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().expect("index in range");
                map.shift_remove(&key);
            }
            1 if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().expect("index in range");
                let v = map.shift_remove(&key).expect("present");
                map.insert(random_casing(rng, &key), v);
            }
            2 if !map.is_empty() => {
                // The same member twice, under another casing.
                let (key, v) = map.iter().nth(rng.below(map.len())).map(|(k, v)| (k.clone(), v.clone())).expect("index in range");
                map.insert(random_casing(rng, &key), v);
            }
            3 if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().expect("index in range");
                map.insert(key, Value::Null);
            }
            _ => {
                map.insert(text(rng), json(rng, 2));
            }
        },
        Value::Array(items) => match rng.below(3) {
            0 if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            1 if !items.is_empty() => items.push(items[rng.below(items.len())].clone()),
            _ => items.push(json(rng, 2)),
        },
        Value::String(s) => *s = mutate_text(rng, s),
        _ => {}
    }
    if rng.one_in(6) {
        *value = if rng.one_in(10) {
            let levels = 20 + rng.below(200);
            deeply_nested(rng, levels)
        } else {
            json(rng, 3)
        };
    }
}

/// Bytes changed a little: bits flipped, bytes inserted or dropped, a piece cut off or repeated.
pub fn mutate_bytes(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 => out.insert(at, rng.next_u64() as u8),
            2 if at < out.len() => {
                out.remove(at);
            }
            3 => out.truncate(at),
            4 => {
                let piece = out[at..].iter().take(rng.below(64)).copied().collect::<Vec<_>>();
                out.splice(at..at, piece);
            }
            _ => out.splice(at..at, rng.pick(TOKENS).bytes()).for_each(drop),
        }
    }
    out
}

/// Random bytes.
pub fn bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    (0..rng.below(max + 1)).map(|_| rng.next_u64() as u8).collect()
}

/// A JSON body: a mutation of `valid` most of the time, else random JSON or random bytes.
pub fn body_from(rng: &mut Rng, valid: &Value) -> Vec<u8> {
    match rng.below(10) {
        0..=5 => serde_json::to_vec(&mutate_json(rng, valid)).expect("JSON values serialize"),
        6 => serde_json::to_vec(valid).expect("JSON values serialize"),
        7 => mutate_bytes(rng, &serde_json::to_vec(valid).expect("JSON values serialize")),
        8 => serde_json::to_vec(&json(rng, 4)).expect("JSON values serialize"),
        _ => bytes(rng, 64),
    }
}

/// A mutation of `valid`, or (sometimes) a random value.
pub fn json_from(rng: &mut Rng, valid: &Value) -> Value {
    match rng.below(8) {
        0 => valid.clone(),
        1 => json(rng, 3),
        _ => mutate_json(rng, valid),
    }
}
