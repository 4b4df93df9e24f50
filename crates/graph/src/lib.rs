//! The Microsoft Graph client: turns a [`mgpresence_catalog::PreparedRequest`] into an HTTP exchange.
//!
//! - [`cloud`]: the national clouds and custom environments (service roots and sign-in endpoints).
//! - [`auth`]: getting tokens — user-supplied, client secret, certificate assertion, managed identity, a user's
//!   device code sign-in — cached and refreshed.
//! - [`browser_sign_in`]: a user's sign-in through the browser (authorization code with PKCE on a loopback port).
//! - [`cancel`]: stopping a call from another thread (Ctrl+C): requests and retry waits race a [`Cancellation`].
//! - [`budget`]: one request budget (so many requests per window, by a clock the caller gives) shared by a
//!   long-running sender's batches, lowered when the service throttles anyway.
//! - [`bulk`]: one cmdlet call for many users through `$batch`, retrying throttled items, an outcome per item.
//! - [`client`]: the reqwest client — bearer token, `client-request-id`, user agent, proxy, timeouts.
//! - [`retry`]: Microsoft's retry policy (429/503/504, `Retry-After`, exponential backoff, `Retry-Attempt`).
//! - [`cmdlet_call`]: one catalog cmdlet call end to end (bind, send, map), shared by the FFI layer and the CLI.
//! - [`trace`]: the request/response text the cmdlets write to the debug stream (Authorization never shown).

pub mod auth;
pub mod browser_sign_in;
pub mod budget;
pub mod bulk;
pub mod cancel;
pub mod client;
pub mod cmdlet_call;
pub mod cloud;
pub mod retry;
pub mod trace;

pub use cancel::Cancellation;
pub use cmdlet_call::{CallOptions, CmdletCallResult};
pub use client::{ClientError, GraphClient, GraphClientConfig, GraphResponse, SendOptions, TrustedCertificates};
pub use cloud::{Cloud, CloudError};
pub use retry::RetryPolicy;
pub use auth::{AuthError, Credential, TokenProvider};
