//! The types that cross the C ABI. Strings are owned `ffi::String`s (C#: `Utf8String`): by-value arguments move into
//! Rust; returned strings belong to the caller, which disposes them.

use interoptopus::ffi;
use mgpresence_catalog::binding::CmdletError;

/// A failure of the boundary itself (not of a cmdlet call, which reports through [`CallError`]).
#[ffi]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FfiError {
    /// A panic was caught; `mgpresence_last_panic()` has its message.
    Panicked,
    /// The arguments could not be read (text that is not UTF-8 or too large, where no call error can say so).
    InvalidArguments,
    /// The session handle is zero, made up, or already destroyed.
    InvalidHandle,
}

/// A session, as the caller holds it: a number the engine looks up, never a pointer (see `handles`).
#[ffi]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionHandle {
    pub id: u64,
}

/// A cmdlet call's error; `error_id` is empty when there is none.
#[ffi]
pub struct CallError {
    pub error_id: ffi::String,
    pub message: ffi::String,
    /// A `System.Management.Automation.ErrorCategory` member name.
    pub category: ffi::String,
    /// 1 when the pipeline should stop (ThrowTerminatingError).
    pub terminating: u8,
    /// For an error the service answered or would answer: JSON of `mgpresence_catalog::binding::ServiceError`
    /// (status, reason, code, message, date, headers as `[name, value]` pairs); empty otherwise.
    pub service_json: ffi::String,
}

impl CallError {
    pub fn none() -> Self {
        Self { error_id: empty(), message: empty(), category: empty(), terminating: 0, service_json: empty() }
    }

    pub fn from_cmdlet_error(e: &CmdletError) -> Self {
        let category = serde_json::to_value(e.category).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        Self {
            error_id: ffi::String::from_string(e.error_id.clone()),
            message: ffi::String::from_string(e.message.clone()),
            category: ffi::String::from_string(category),
            terminating: u8::from(e.terminating),
            service_json: ffi::String::from_string(
                e.service.as_ref().and_then(|s| serde_json::to_string(s).ok()).unwrap_or_default(),
            ),
        }
    }
}

/// One cmdlet invocation: which cmdlet, which parameter set, and the bound parameters as JSON.
#[ffi]
pub struct CmdletCall {
    pub cmdlet: ffi::String,
    pub parameter_set: ffi::String,
    pub bound_parameters_json: ffi::String,
    /// 1 to record request/response texts for the debug stream.
    pub trace: u8,
    /// Appended to the User-Agent (host and command), may be empty.
    pub user_agent_suffix: ffi::String,
    /// A number the caller chose for this call, unique among its running calls, so `graph_session_cancel_call` can
    /// stop it; 0 for a call that is not to be cancelled.
    pub call_id: u64,
}

/// What -WhatIf/-Confirm show, or why the call cannot be made.
#[ffi]
pub struct CallDescription {
    pub target: ffi::String,
    pub action: ffi::String,
    pub error: CallError,
}

/// The result of a cmdlet call.
#[ffi]
pub struct CallOutcome {
    /// Final HTTP status; 0 when nothing was sent.
    pub status: u16,
    pub error: CallError,
    /// JSON array of output objects (objects carry their PowerShell type name in `$type`).
    pub output_json: ffi::String,
    /// JSON object of response headers (name → array of values); empty text when not to be set.
    pub response_headers_json: ffi::String,
    /// The variable -ResponseHeadersVariable names; empty when none.
    pub response_headers_variable: ffi::String,
    /// The variable -CountVariable names; empty when none.
    pub count_variable: ffi::String,
    /// The total count (`@odata.count`) for `count_variable`.
    pub count: i64,
    /// Request/response texts for the debug stream, each block separated by a form feed.
    pub debug_text: ffi::String,
    /// 1 when `graph_session_cancel_call` stopped the call (then `error` is `OperationStopped`).
    pub cancelled: u8,
}

/// Connect-MgGraph. `kind`: 0 access token, 1 client secret, 2 client certificate, 3 managed identity. Fields a kind
/// does not use are empty. Secrets are moved into the engine and dropped with the connection.
#[ffi]
pub struct ConnectRequest {
    /// Environment name; empty for Global.
    pub environment: ffi::String,
    pub kind: u8,
    pub access_token: ffi::String,
    pub client_id: ffi::String,
    pub tenant_id: ffi::String,
    pub client_secret: ffi::String,
    /// The certificate's private key, PKCS#8 PEM.
    pub private_key_pem: ffi::String,
    /// The certificate, DER, base64.
    pub certificate_base64: ffi::String,
    pub identity_endpoint: ffi::String,
    pub identity_header: ffi::String,
    pub imds_endpoint: ffi::String,
    /// Client timeout in seconds; 0 for the default (300).
    pub timeout_seconds: u32,
}

/// Add-MgEnvironment.
#[ffi]
pub struct EnvironmentRequest {
    pub name: ffi::String,
    pub graph_endpoint: ffi::String,
    pub azure_ad_endpoint: ffi::String,
}

/// Connect-MgGraph's delegated sign-in of a user (device code or browser) for `scopes` (space separated).
#[ffi]
pub struct UserSignInRequest {
    pub environment: ffi::String,
    pub client_id: ffi::String,
    pub tenant_id: ffi::String,
    pub scopes: ffi::String,
    /// Client timeout in seconds; 0 for the default (300).
    pub timeout_seconds: u32,
}

/// A user sign-in kept between sessions (`-ContextScope CurrentUser`), to connect again without the user.
#[ffi]
pub struct KeptSignInRequest {
    pub environment: ffi::String,
    pub client_id: ffi::String,
    pub tenant_id: ffi::String,
    /// The scopes the sign-in asked for, as sent.
    pub scope: ffi::String,
    /// 0 device code, 1 browser.
    pub flow: u8,
    pub refresh_token: ffi::String,
    pub timeout_seconds: u32,
}

/// A request to the keep-alive store: `action` 0 adds the holds of `holds_json` (an array of
/// `{UserId, SessionId, Availability, Activity, Until?}`, `force` 1 to add past the throttle budget), 1 removes those
/// it names (`{UserId, SessionId}`), 2 lists every hold. `store_path` empty means the default store.
#[ffi]
pub struct KeepAliveRequest {
    pub action: u8,
    pub store_path: ffi::String,
    pub holds_json: ffi::String,
    pub force: u8,
}

/// The holds a keep-alive request touched (added as stored, removed, or all), as a JSON array, or why not.
#[ffi]
pub struct KeepAliveResult {
    pub holds_json: ffi::String,
    pub error: CallError,
}

/// The user sign-in that was started: for a device code, the message to show the user; for the browser, the address
/// to open; or why it could not start.
#[ffi]
pub struct UserSignInStart {
    pub message: ffi::String,
    pub error: CallError,
}

/// A bulk call: a bulk action (`SetPresence`, …) for many items. `items_json` is a JSON array of objects with UserId
/// and optionally the action's members; `common_json` an object of the members every item without its own uses.
#[ffi]
pub struct BulkCall {
    pub action: ffi::String,
    /// 1 for the beta API.
    pub beta: u8,
    pub common_json: ffi::String,
    pub items_json: ffi::String,
    /// Batches in flight at once (1 to 16).
    pub concurrency: u32,
}

/// The outcomes of a bulk call (a JSON array, one object per item, in item order), or why it could not run.
#[ffi]
pub struct BulkResult {
    pub outcomes_json: ffi::String,
    pub error: CallError,
}

/// A result that can say "refused before anything ran", with the reason as its call error.
pub trait Refusal {
    fn refused(error: &CmdletError) -> Self;
}

fn empty() -> ffi::String {
    ffi::String::from_string(String::new())
}

impl Refusal for CallError {
    fn refused(error: &CmdletError) -> Self {
        Self::from_cmdlet_error(error)
    }
}

impl Refusal for CallOutcome {
    fn refused(error: &CmdletError) -> Self {
        Self {
            status: 0,
            error: CallError::from_cmdlet_error(error),
            output_json: ffi::String::from_string("[]".to_owned()),
            response_headers_json: empty(),
            response_headers_variable: empty(),
            count_variable: empty(),
            count: 0,
            debug_text: empty(),
            cancelled: 0,
        }
    }
}

impl Refusal for CallDescription {
    fn refused(error: &CmdletError) -> Self {
        Self { target: empty(), action: empty(), error: CallError::from_cmdlet_error(error) }
    }
}

impl Refusal for KeepAliveResult {
    fn refused(error: &CmdletError) -> Self {
        Self { holds_json: ffi::String::from_string("[]".to_owned()), error: CallError::from_cmdlet_error(error) }
    }
}

impl Refusal for UserSignInStart {
    fn refused(error: &CmdletError) -> Self {
        Self { message: empty(), error: CallError::from_cmdlet_error(error) }
    }
}

impl Refusal for BulkResult {
    fn refused(error: &CmdletError) -> Self {
        Self { outcomes_json: ffi::String::from_string("[]".to_owned()), error: CallError::from_cmdlet_error(error) }
    }
}
