//! The documented (availability, activity) pairs, written here from `shared/spec/graph-presence-api.md` as the tests'
//! oracle (independent of the domain's own tables): shared by the tests that need them.

/// §3.3, "setPresence — supported (availability, activity) pairs".
pub const SET_PRESENCE_PAIRS: &[(&str, &str)] = &[
    ("Available", "Available"),
    ("Busy", "InACall"),
    ("Busy", "InAConferenceCall"),
    ("Away", "Away"),
    ("DoNotDisturb", "Presenting"),
];

/// §3.4, "setUserPreferredPresence — supported pairs".
pub const SET_USER_PREFERRED_PRESENCE_PAIRS: &[(&str, &str)] = &[
    ("Available", "Available"),
    ("Busy", "Busy"),
    ("DoNotDisturb", "DoNotDisturb"),
    ("BeRightBack", "BeRightBack"),
    ("Away", "Away"),
    ("Offline", "OffWork"),
];
