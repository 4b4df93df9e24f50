//! Valid availability and activity values, and the (availability, activity) pairs each presence action accepts.
//!
//! Values parse case-insensitively (`doNotDisturb`, `DoNotDisturb` and `DONOTDISTURB` are the same value: the current
//! v1.0 documentation lists camelCase values while every wire example uses PascalCase) and serialize in PascalCase.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use strum::{EnumIter, IntoEnumIterator, IntoStaticStr};

/// A value that is not one of an enumeration's members.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {kind}. Valid values: {valid}")]
pub struct UnknownValue {
    /// What kind of value was expected (`availability`, `activity`).
    pub kind: &'static str,
    /// The text that was given.
    pub value: String,
    /// The valid values, comma separated.
    pub valid: String,
}

macro_rules! presence_value_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, [$($variant:ident),+ $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, IntoStaticStr, JsonSchema)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The canonical (PascalCase) wire spelling.
            pub fn as_str(self) -> &'static str { self.into() }

            /// Every value, in declaration order.
            pub fn all() -> impl Iterator<Item = Self> { Self::iter() }

            fn valid_list() -> String {
                Self::iter().map(Self::as_str).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::iter()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| UnknownValue { kind: $kind, value: s.to_owned(), valid: Self::valid_list() })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

presence_value_enum!(
    /// The base presence information of a user (`presence.availability`).
    Availability,
    "availability",
    [Available, AvailableIdle, Away, BeRightBack, Busy, BusyIdle, DoNotDisturb, Offline, PresenceUnknown]
);

presence_value_enum!(
    /// Supplemental information to availability (`presence.activity`).
    Activity,
    "activity",
    [
        Available,
        AvailableInactive,
        Away,
        BeRightBack,
        Busy,
        DoNotDisturb,
        Focusing,
        InACall,
        InAConferenceCall,
        Inactive,
        InAMeeting,
        Offline,
        OffWork,
        OutOfOffice,
        PresenceUnknown,
        Presenting,
        UrgentInterruptionsOnly,
    ]
);

/// An (availability, activity) pair.
pub type PresencePair = (Availability, Activity);

/// The pairs `setPresence` accepts (graph-presence-api.md §3.3, the normative 5-pair table).
pub const SESSION_PRESENCE_PAIRS: &[PresencePair] = &[
    (Availability::Available, Activity::Available),
    (Availability::Busy, Activity::InACall),
    (Availability::Busy, Activity::InAConferenceCall),
    (Availability::Away, Activity::Away),
    (Availability::DoNotDisturb, Activity::Presenting),
];

/// The pairs `setUserPreferredPresence` accepts (graph-presence-api.md §3.4).
pub const PREFERRED_PRESENCE_PAIRS: &[PresencePair] = &[
    (Availability::Available, Activity::Available),
    (Availability::Busy, Activity::Busy),
    (Availability::DoNotDisturb, Activity::DoNotDisturb),
    (Availability::BeRightBack, Activity::BeRightBack),
    (Availability::Away, Activity::Away),
    (Availability::Offline, Activity::OffWork),
];

/// Formats a pair list as `Available/Available, Busy/InACall, …` for error messages.
pub fn describe_pairs(pairs: &[PresencePair]) -> String {
    pairs.iter().map(|(a, b)| format!("{a}/{b}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_case_insensitively_and_print_pascal_case() {
        assert_eq!("doNotDisturb".parse::<Availability>().unwrap(), Availability::DoNotDisturb);
        assert_eq!("INACALL".parse::<Activity>().unwrap(), Activity::InACall);
        assert_eq!(Availability::BeRightBack.to_string(), "BeRightBack");
    }

    #[test]
    fn unknown_values_list_the_valid_ones() {
        let err = "Sleeping".parse::<Availability>().unwrap_err();
        assert!(err.to_string().contains("'Sleeping' is not a valid availability"), "{err}");
        assert!(err.to_string().contains("DoNotDisturb"), "{err}");
    }

    #[test]
    fn serde_round_trip_uses_canonical_spelling() {
        let v: Availability = serde_json::from_str("\"available\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"Available\"");
    }
}
