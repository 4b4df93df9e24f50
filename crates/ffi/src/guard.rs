//! Panic containment at the boundary. interoptopus 0.16 exports plain `extern "C-unwind"` functions without
//! `catch_unwind`, and a panic unwinding into .NET aborts the host process (PowerShell with it). Every exported body
//! therefore runs inside [`ffi_guard`], which turns a panic into `FfiError::Panicked` and keeps its message for
//! `mgpresence_last_panic()`.

use crate::types::FfiError;
use interoptopus::ffi;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static QUIET_HOOK: Once = Once::new();

/// Runs `f`; a panic becomes `Err(FfiError::Panicked)`.
pub fn ffi_guard<T: interoptopus::lang::types::TypeInfo>(f: impl FnOnce() -> ffi::Result<T, FfiError>) -> ffi::Result<T, FfiError> {
    QUIET_HOOK.call_once(|| {
        // The default hook prints to the host's stderr (and a backtrace); the message reaches the caller instead.
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::env::var_os("MGPRESENCE_PANIC_STDERR").is_some() {
                default(info);
            }
        }));
    });
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
            ffi::Err(FfiError::Panicked)
        }
    }
}

/// The last panic message caught on this thread, taken.
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}
