//! One canonical example per request body: the exact JSON the wire carries for it. The generated per-cmdlet tests
//! pass these values as cmdlet arguments (expanded parameters, or a -BodyParameter hashtable) and assert that the
//! emulator received exactly this body.

use mgpresence_domain::BodyKind;
use serde_json::{Value, json};

/// A user id used in examples.
pub const EXAMPLE_USER: &str = "fa8bf3dc-eca7-46b7-bad1-db199b62afc3";
/// An application (session) id used in examples.
pub const EXAMPLE_APP: &str = "22553876-f5ab-4529-bffb-cfe50aa89f87";

/// The example body of a kind, in wire order.
pub fn example_body(kind: BodyKind) -> Value {
    match kind {
        BodyKind::SetPresence => {
            json!({"sessionId": EXAMPLE_APP, "availability": "Busy", "activity": "InACall", "expirationDuration": "PT1H30M"})
        }
        BodyKind::ClearPresence => json!({"sessionId": EXAMPLE_APP}),
        BodyKind::SetUserPreferredPresence => {
            json!({"availability": "DoNotDisturb", "activity": "DoNotDisturb", "expirationDuration": "PT8H"})
        }
        BodyKind::SetStatusMessage => json!({"statusMessage": {
            "message": {"content": "Hey I'm currently in a meeting.", "contentType": "text"},
            "expiryDateTime": {"dateTime": "2030-10-18T17:05:33.2079781", "timeZone": "Pacific Standard Time"}
        }}),
        BodyKind::SetLocation => json!({"placeId": "eb706f15-137e-4722-b4d1-b601481d9251", "workLocationType": "office"}),
        BodyKind::GetPresencesByUserId => json!({"ids": [EXAMPLE_USER, "66825e03-7ef5-42da-9069-724602c31f6b"]}),
        BodyKind::PresenceEntity => json!({"activity": "InACall", "availability": "Busy"}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_already_canonical() {
        for kind in BodyKind::all() {
            let example = example_body(kind);
            let wire = kind.to_wire_body(example.as_object().unwrap().clone()).unwrap();
            assert_eq!(serde_json::to_string(&wire).unwrap(), serde_json::to_string(&example).unwrap(), "{kind:?}");
        }
    }
}
