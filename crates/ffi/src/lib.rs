//! The C ABI of MgPresence, described with interoptopus so that the C# bindings are generated from it.
//!
//! - [`types`]: the FFI types (defined here; the core crates' types never cross the boundary).
//! - [`session`]: `GraphSession`: connection state, cmdlet calls, environments.
//! - [`exports`]: the session functions of the C ABI, which take a [`SessionHandle`] (a number, never a pointer).
//! - [`handles`]: the live sessions by handle, so a zero, stale or made-up handle is an error, not a crash.
//! - [`arguments`]: every text argument is checked (UTF-8, size) before the engine reads it.
//! - [`guard`]: every exported body runs inside [`guard::ffi_guard`], so no panic ever unwinds into .NET.
//!
//! Dynamic data (bound parameter values, output objects, response headers) crosses as JSON text in typed structs;
//! everything else is typed.

pub mod arguments;
pub mod exports;
pub mod guard;
pub mod handles;
pub mod keep_alive;
pub mod session;
pub mod types;

use interoptopus::inventory::RustInventory;
use interoptopus::{builtins_string, ffi, function, guard as api_guard};

pub use session::GraphSession;
pub use types::{BulkCall, BulkResult, CallDescription, CallError, CallOutcome, CmdletCall, ConnectRequest, KeepAliveRequest, KeepAliveResult, KeptSignInRequest, UserSignInRequest, UserSignInStart, EnvironmentRequest, FfiError, SessionHandle};

/// The library version.
#[ffi]
pub fn mgpresence_version() -> ffi::Result<ffi::String, FfiError> {
    guard::ffi_guard(|| ffi::Ok(ffi::String::from_string(env!("CARGO_PKG_VERSION").to_owned())))
}

/// The message of the last panic caught on the calling thread (empty when none).
#[ffi]
pub fn mgpresence_last_panic() -> ffi::Result<ffi::String, FfiError> {
    guard::ffi_guard(|| ffi::Ok(ffi::String::from_string(guard::last_panic().unwrap_or_default())))
}

/// Panics inside the guard. It exists so the test suites can prove, from C#, PowerShell and Rust, that a panic in
/// the engine becomes an error and never crosses the boundary.
#[ffi]
pub fn mgpresence_diagnostics_panic(message: ffi::String) -> ffi::Result<u32, FfiError> {
    guard::ffi_guard(|| match arguments::check_text("message", &message) {
        Ok(()) => panic!("{}", message.as_str()),
        Err(_) => ffi::Err(FfiError::InvalidArguments),
    })
}

/// How many sessions are live: created and not yet destroyed (for leak checks).
#[ffi]
pub fn mgpresence_diagnostics_live_sessions() -> ffi::Result<u64, FfiError> {
    guard::ffi_guard(|| ffi::Ok(handles::live() as u64))
}

/// Everything exported, for the C# generator.
pub fn inventory() -> RustInventory {
    RustInventory::new()
        .register(builtins_string!())
        .register(api_guard!(inventory))
        .register(function!(mgpresence_version))
        .register(function!(mgpresence_last_panic))
        .register(function!(mgpresence_diagnostics_panic))
        .register(function!(mgpresence_diagnostics_live_sessions))
        .register(function!(exports::graph_session_create))
        .register(function!(exports::graph_session_destroy))
        .register(function!(exports::graph_session_connect))
        .register(function!(exports::graph_session_begin_device_code))
        .register(function!(exports::graph_session_begin_browser_sign_in))
        .register(function!(exports::graph_session_keep_user_sign_in))
        .register(function!(exports::graph_session_keep_alive))
        .register(function!(exports::graph_session_resume_user_sign_in))
        .register(function!(exports::graph_session_finish_user_sign_in))
        .register(function!(exports::graph_session_invoke_bulk))
        .register(function!(exports::graph_session_bulk_progress))
        .register(function!(exports::graph_session_cancel_bulk))
        .register(function!(exports::graph_session_cancel_call))
        .register(function!(exports::graph_session_set_request_context))
        .register(function!(exports::graph_session_request_context_json))
        .register(function!(exports::graph_session_disconnect))
        .register(function!(exports::graph_session_context_json))
        .register(function!(exports::graph_session_add_environment))
        .register(function!(exports::graph_session_environments_json))
        .register(function!(exports::graph_session_describe))
        .register(function!(exports::graph_session_invoke))
        .validate()
}
