//! The session functions of the C ABI. Each one runs inside [`ffi_guard`], looks the session up by its handle
//! ([`handles`]: an unknown handle is `FfiError::InvalidHandle`), checks every text argument
//! ([`arguments`]: not UTF-8 or too large is a call error naming the argument), and only then calls [`GraphSession`].

use crate::arguments::CheckedArguments;
use crate::guard::ffi_guard;
use crate::handles;
use crate::session::GraphSession;
use crate::types::{
    BulkCall, BulkResult, CallDescription, CallError, CallOutcome, CmdletCall, ConnectRequest, KeepAliveRequest, KeepAliveResult, KeptSignInRequest, UserSignInRequest, UserSignInStart,
    EnvironmentRequest, FfiError, Refusal, SessionHandle,
};
use interoptopus::ffi;
use interoptopus::lang::types::TypeInfo;

fn with_session<T: TypeInfo>(session: SessionHandle, f: impl FnOnce(&GraphSession) -> T) -> ffi::Result<T, FfiError> {
    ffi_guard(|| match handles::get(session) {
        Ok(found) => ffi::Ok(f(&found)),
        Err(e) => ffi::Err(e),
    })
}

fn with_checked<A: CheckedArguments, T: TypeInfo + Refusal>(session: SessionHandle, arguments: &A, f: impl FnOnce(&GraphSession) -> T) -> ffi::Result<T, FfiError> {
    with_session(session, |found| match arguments.check() {
        Ok(()) => f(found),
        Err(refusal) => T::refused(&refusal),
    })
}

/// A new session, not connected yet. Cheap: nothing starts until the first call. Destroy it when done.
#[ffi]
pub fn graph_session_create() -> ffi::Result<SessionHandle, FfiError> {
    ffi_guard(|| ffi::Ok(handles::insert(GraphSession::new())))
}

/// Ends a session. A call still running on it finishes first. An unknown or already destroyed handle is an error.
#[ffi]
pub fn graph_session_destroy(session: SessionHandle) -> ffi::Result<u8, FfiError> {
    ffi_guard(|| match handles::remove(session) {
        Ok(()) => ffi::Ok(1),
        Err(e) => ffi::Err(e),
    })
}

/// Connect-MgGraph: signs in (except with an access token, which is kept as given). Returns the error, if any.
#[ffi]
pub fn graph_session_connect(session: SessionHandle, request: ConnectRequest) -> ffi::Result<CallError, FfiError> {
    with_checked(session, &request, |s| s.connect(&request))
}

/// Starts a delegated device code sign-in; the message says where the user goes and which code to enter.
#[ffi]
pub fn graph_session_begin_device_code(session: SessionHandle, request: UserSignInRequest) -> ffi::Result<UserSignInStart, FfiError> {
    with_checked(session, &request, |s| s.begin_device_code(&request))
}

/// The delegated sign-in of the connection, to keep for the user between sessions (`-ContextScope CurrentUser`):
/// JSON with the client, tenant, scope, flow and refresh token; empty when the connection has none to keep. Marks the
/// connection's ContextScope as CurrentUser. The text holds a secret: the caller stores it protected and drops it.
#[ffi]
pub fn graph_session_keep_user_sign_in(session: SessionHandle) -> ffi::Result<ffi::String, FfiError> {
    with_session(session, |s| s.keep_user_sign_in())
}

/// Connects again from a kept user sign-in: redeems its refresh token now (so a sign-in that cannot be renewed
/// fails here), ContextScope CurrentUser.
#[ffi]
pub fn graph_session_resume_user_sign_in(session: SessionHandle, request: KeptSignInRequest) -> ffi::Result<CallError, FfiError> {
    with_checked(session, &request, |s| s.resume_user_sign_in(&request))
}

/// Adds, removes or lists keep-alive holds in a store (the agent's, which `mgpresence agent run` renews).
#[ffi]
pub fn graph_session_keep_alive(session: SessionHandle, request: KeepAliveRequest) -> ffi::Result<KeepAliveResult, FfiError> {
    with_checked(session, &request, |_| crate::keep_alive::handle(&request))
}

/// Starts a delegated sign-in through the browser (authorization code with PKCE, answered on a loopback port); the
/// message is the address the caller opens in the browser.
#[ffi]
pub fn graph_session_begin_browser_sign_in(session: SessionHandle, request: UserSignInRequest) -> ffi::Result<UserSignInStart, FfiError> {
    with_checked(session, &request, |s| s.begin_browser_sign_in(&request))
}

/// Waits (at most `wait_seconds`) for the user to complete the sign-in begun (device code or browser), then
/// connects; `call_id` (not 0) lets `graph_session_cancel_call` stop the wait.
#[ffi]
pub fn graph_session_finish_user_sign_in(session: SessionHandle, wait_seconds: u32, call_id: u64) -> ffi::Result<CallError, FfiError> {
    with_session(session, |s| s.finish_user_sign_in(wait_seconds, call_id))
}

/// Runs a bulk call through `$batch` and returns an outcome per item. Blocks until done or cancelled.
#[ffi]
pub fn graph_session_invoke_bulk(session: SessionHandle, call: BulkCall) -> ffi::Result<BulkResult, FfiError> {
    with_checked(session, &call, |s| s.invoke_bulk(&call))
}

/// How many items of the bulk run in progress are finished.
#[ffi]
pub fn graph_session_bulk_progress(session: SessionHandle) -> ffi::Result<u32, FfiError> {
    with_session(session, GraphSession::bulk_progress)
}

/// Stops the bulk run in progress: items not yet sent end as "not sent".
#[ffi]
pub fn graph_session_cancel_bulk(session: SessionHandle) -> ffi::Result<u8, FfiError> {
    with_session(session, GraphSession::cancel_bulk)
}

/// Stops the cmdlet call running with `call_id` (see `CmdletCall::call_id`) at once: it sends nothing more and returns
/// a cancelled outcome. 1 when such a call was running, 0 when none is (nothing is remembered for a later call).
#[ffi]
pub fn graph_session_cancel_call(session: SessionHandle, call_id: u64) -> ffi::Result<u8, FfiError> {
    with_session(session, |s| s.cancel_call(call_id))
}

/// Set-MgRequestContext: retries (at most 10), the first retry delay and the total retry time (seconds, 0 = no
/// limit), for the current connection and later ones.
#[ffi]
pub fn graph_session_set_request_context(session: SessionHandle, max_retry: u32, retry_delay_seconds: u32, retries_time_limit_seconds: u32) -> ffi::Result<CallError, FfiError> {
    with_session(session, |s| s.set_request_context(max_retry, retry_delay_seconds, retries_time_limit_seconds))
}

/// Get-MgRequestContext, as a JSON object.
#[ffi]
pub fn graph_session_request_context_json(session: SessionHandle) -> ffi::Result<ffi::String, FfiError> {
    with_session(session, GraphSession::request_context_json)
}

/// Disconnect-MgGraph: forgets the connection. Returns an error when there is none.
#[ffi]
pub fn graph_session_disconnect(session: SessionHandle) -> ffi::Result<CallError, FfiError> {
    with_session(session, GraphSession::disconnect)
}

/// The connection as a JSON object (Get-MgContext); empty text when not connected.
#[ffi]
pub fn graph_session_context_json(session: SessionHandle) -> ffi::Result<ffi::String, FfiError> {
    with_session(session, GraphSession::context_json)
}

/// Add-MgEnvironment: adds (or replaces) a custom environment.
#[ffi]
pub fn graph_session_add_environment(session: SessionHandle, request: EnvironmentRequest) -> ffi::Result<CallError, FfiError> {
    with_checked(session, &request, |s| s.add_environment(&request))
}

/// Get-MgEnvironment: every environment as a JSON array of {Name, GraphEndpoint, AzureADEndpoint, Type}.
#[ffi]
pub fn graph_session_environments_json(session: SessionHandle) -> ffi::Result<ffi::String, FfiError> {
    with_session(session, GraphSession::environments_json)
}

/// What -WhatIf/-Confirm show for a call, after checking that the call can be made.
#[ffi]
pub fn graph_session_describe(session: SessionHandle, call: CmdletCall) -> ffi::Result<CallDescription, FfiError> {
    with_checked(session, &call, |s| s.describe(&call))
}

/// Makes a cmdlet call: binds, sends, and maps the response.
#[ffi]
pub fn graph_session_invoke(session: SessionHandle, call: CmdletCall) -> ffi::Result<CallOutcome, FfiError> {
    with_checked(session, &call, |s| s.invoke(&call))
}
