//! The C ABI of MgPresence, described with interoptopus so that the C# bindings are generated from it.
//!
//! - [`types`]: the FFI types (defined here; the core crates' types never cross the boundary).
//! - [`session`]: the `GraphSession` service: connection state, cmdlet calls, environments.
//! - [`guard`]: every exported body runs inside [`guard::ffi_guard`], so no panic ever unwinds into .NET.
//!
//! Dynamic data (bound parameter values, output objects, response headers) crosses as JSON text in typed structs;
//! everything else is typed.

pub mod guard;
pub mod session;
pub mod types;

use interoptopus::inventory::RustInventory;
use interoptopus::{builtins_string, ffi, function, guard as api_guard, service};

pub use session::GraphSession;
pub use types::{BulkCall, BulkResult, CallDescription, CallError, CallOutcome, CmdletCall, ConnectRequest, DeviceCodeRequest, DeviceCodeStart, EnvironmentRequest, FfiError};

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
    guard::ffi_guard(|| panic!("{}", message.as_str()))
}

/// Everything exported, for the C# generator.
pub fn inventory() -> RustInventory {
    RustInventory::new()
        .register(builtins_string!())
        .register(api_guard!(inventory))
        .register(function!(mgpresence_version))
        .register(function!(mgpresence_last_panic))
        .register(function!(mgpresence_diagnostics_panic))
        .register(service!(GraphSession))
        .validate()
}
