//! MgPresence's root package. It has no code of its own: it owns `build.rs`, which writes `generated/` (the C#
//! interop and the PowerShell cmdlet functions), and the cross-crate integration tests in `tests/`.
