//! The native library the PowerShell module loads (`libmgpresence_ffi.so`, `libmgpresence_ffi.dylib`,
//! `mgpresence_ffi.dll`). Its exported symbols are the `#[ffi]` functions and services of `mgpresence-ffi`; this
//! crate only links them into a cdylib.

pub use mgpresence_ffi::*;
