//! The presence domain: what Microsoft Graph presence *is*, independent of HTTP, PowerShell or FFI.
//!
//! This crate owns
//! - the valid values of availability and activity and the pairs each action accepts ([`values`]),
//! - ISO 8601 durations and the ranges the service enforces ([`duration`]),
//! - the request bodies and the presence resource as typed models with JSON Schemas ([`models`]),
//! - the service's validation rules, shared by the client (so nothing invalid is sent) and the
//!   emulator (so it rejects what the service rejects) ([`rules`]),
//! - the Graph error envelope ([`graph_error`]).
//!
//! Values are compared case-insensitively and written back in their canonical PascalCase form; see
//! `docs/decisions.md` for why.

pub mod duration;
pub mod graph_error;
pub mod models;
pub mod rules;
pub mod values;

pub use duration::IsoDuration;
pub use graph_error::{GraphError, GraphErrorBody, GraphInnerError};
pub use models::{
    GET_PRESENCES_BY_USER_ID, BodyKind, BodyProperty, ClearPresenceRequest, DateTimeTimeZone, GetPresencesByUserIdRequest, ItemBody, OutOfOfficeSettings,
    Presence, PresenceAction, PresenceEntity, PresenceStatusMessage, PropertyType, SetLocationRequest, SetPresenceRequest,
    SetStatusMessageRequest, SetUserPreferredPresenceRequest, UserWorkLocation,
};
pub use rules::RuleViolation;
pub use values::{Activity, Availability};
