//! A local Microsoft Graph presence emulator.
//!
//! It serves the presence endpoints of graph-presence-api.md over HTTP, or HTTPS ([`tls`]), on a loopback address, applies the
//! service's rules ([`store`]), answers with Graph-shaped errors ([`graph_response`]), and takes its time from a
//! clock tests can advance ([`clock`]). For tests it also records every request it received and can be told to fail
//! requests ([`control`], under `/_emulator/`). It is also an identity provider that issues and checks the tokens
//! ([`identity`], [`identity_routes`]). See `docs/emulator.md`.

pub mod batch;
pub mod client_assertion;
pub mod clock;
pub mod control;
pub mod graph_response;
pub mod identity;
pub mod identity_routes;
pub mod routes;
pub mod server;
pub mod store;
pub mod throttle;
pub mod tls;
pub mod user_sign_in;

pub use clock::EmulatorClock;
pub use control::{Fault, RecordedRequest};
pub use server::{BackgroundEmulator, EmulatorConfig, RunningEmulator, app};
pub use identity::{Directory, RegisteredApp, RegisteredUser};
