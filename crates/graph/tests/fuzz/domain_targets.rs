//! Fuzz targets in the domain: the ISO 8601 duration parser and `BodyKind::to_wire_body`.

use crate::harness::Rng;
use crate::inputs;
use mgpresence_catalog::examples::example_body;
use mgpresence_domain::{BodyKind, IsoDuration};
use serde_json::{Map, Value};

/// A duration text: days, hours, minutes, seconds and a fraction, some parts left out, then mutated or not; or
/// random text.
pub fn duration_text(rng: &mut Rng) -> String {
    let mut text = String::from(if rng.one_in(10) { "-P" } else { "P" });
    if rng.bool() {
        let days = if rng.one_in(4) { rng.next_u64() >> rng.below(64) } else { rng.below(10_675_200) as u64 };
        text += &format!("{days}D");
    }
    if rng.below(4) != 0 {
        text.push('T');
        for unit in ['H', 'M', 'S'] {
            if rng.bool() {
                text += &format!("{}", if rng.one_in(8) { rng.next_u64() >> rng.below(64) } else { rng.below(60) as u64 });
                if unit == 'S' && rng.bool() {
                    text += &format!(".{}", &format!("{:010}", rng.next_u64() % 10_000_000_000)[..1 + rng.below(10)]);
                }
                text.push(unit);
            }
        }
    }
    match rng.below(4) {
        0 | 1 => text,
        2 => inputs::mutate_text(rng, &text),
        _ => inputs::text(rng),
    }
}

/// Parsing never panics; what parses prints, and the printed text parses back to the same length.
pub fn check_duration(text: &String) -> Result<(), String> {
    let Ok(parsed) = text.parse::<IsoDuration>() else { return Ok(()) };
    let printed = parsed.to_string();
    let _ = parsed.as_millis();
    match printed.parse::<IsoDuration>() {
        Ok(again) if again == parsed => Ok(()),
        other => Err(format!("{text:?} parsed to {parsed:?}, printed {printed:?}, which parsed to {other:?}")),
    }
}

/// A body kind and a loose object: a mutated example body, or random members.
pub fn loose_body(rng: &mut Rng) -> (BodyKind, Map<String, Value>) {
    let kinds: Vec<BodyKind> = BodyKind::all().collect();
    let kind = *rng.pick(&kinds);
    let object = match inputs::json_from(rng, &example_body(kind)) {
        Value::Object(map) => map,
        other => Map::from_iter([(inputs::text(rng), other)]),
    };
    (kind, object)
}

/// `to_wire_body` never panics, and what it returns is a canonical body: an object it takes back unchanged.
pub fn check_wire_body((kind, loose): &(BodyKind, Map<String, Value>)) -> Result<(), String> {
    let Ok(wire) = kind.to_wire_body(loose.clone()) else { return Ok(()) };
    let Value::Object(object) = &wire else { return Err(format!("{kind:?}: the wire body {wire} is not an object")) };
    match kind.to_wire_body(object.clone()) {
        Ok(again) if again == wire => Ok(()),
        other => Err(format!("{kind:?}: the wire body {wire} is not taken back unchanged: {other:?}")),
    }
}
