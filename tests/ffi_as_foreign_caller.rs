//! The native library called the way the .NET layer calls it: loaded from disk with the platform loader, entry points
//! found by their exported names, owned strings made with `interoptopus_string_create`, the service handle passed as
//! a raw pointer, and destroyed at the end. It runs against the real emulator over loopback.

use interoptopus::ffi;
use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use mgpresence_ffi::{CallDescription, CallError, CallOutcome, CmdletCall, ConnectRequest, EnvironmentRequest, FfiError, GraphSession};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

type Create = unsafe extern "C-unwind" fn() -> ffi::Result<*const GraphSession, FfiError>;
type Destroy = unsafe extern "C-unwind" fn(*const GraphSession);
type Invoke = unsafe extern "C-unwind" fn(*const GraphSession, CmdletCall) -> ffi::Result<CallOutcome, FfiError>;
type Describe = unsafe extern "C-unwind" fn(*const GraphSession, CmdletCall) -> ffi::Result<CallDescription, FfiError>;
type Connect = unsafe extern "C-unwind" fn(*const GraphSession, ConnectRequest) -> ffi::Result<CallError, FfiError>;
type AddEnvironment = unsafe extern "C-unwind" fn(*const GraphSession, EnvironmentRequest) -> ffi::Result<CallError, FfiError>;
type StringCreate = unsafe extern "C-unwind" fn(*const u8, u64, *mut ffi::String) -> i64;
type Panic = unsafe extern "C-unwind" fn(ffi::String) -> ffi::Result<u32, FfiError>;
type Text = unsafe extern "C-unwind" fn() -> ffi::Result<ffi::String, FfiError>;

fn library() -> &'static libloading::Library {
    static LIBRARY: OnceLock<libloading::Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        // The cdylib is its own crate; build it so this test never runs against a stale library.
        let status = std::process::Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["build", "--quiet", "-p", "mgpresence-native"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the native library failed");
        let name = libloading::library_filename("mgpresence_ffi");
        let path = root.join("target/debug").join(name);
        unsafe { libloading::Library::new(&path) }.unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
    })
}

fn symbol<T: Copy>(name: &str) -> T {
    unsafe { *library().get::<T>(name.as_bytes()).unwrap_or_else(|e| panic!("{name} is not exported: {e}")) }
}

/// A string made by the library, as a foreign caller makes them.
fn text(s: &str) -> ffi::String {
    let create: StringCreate = symbol("interoptopus_string_create");
    let mut out = std::mem::MaybeUninit::<ffi::String>::uninit();
    let rc = unsafe { create(s.as_ptr(), s.len() as u64, out.as_mut_ptr()) };
    assert_eq!(rc, 0, "interoptopus_string_create failed");
    unsafe { out.assume_init() }
}

fn ok<T>(r: ffi::Result<T, FfiError>) -> T {
    match r {
        ffi::Result::Ok(t) => t,
        ffi::Result::Err(e) => panic!("error {e:?}"),
        ffi::Result::Panic => panic!("panic variant"),
        ffi::Result::Null => panic!("null variant"),
    }
}

fn call(cmdlet: &str, set: &str, bound: Value) -> CmdletCall {
    CmdletCall {
        cmdlet: text(cmdlet),
        parameter_set: text(set),
        bound_parameters_json: text(&bound.to_string()),
        trace: 1,
        user_agent_suffix: text("PowerShell/7.4.0 Set-MgUserPresence"),
    }
}

#[test]
fn the_native_library_serves_a_whole_cmdlet_call() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let version: Text = symbol("mgpresence_version");
    assert_eq!(ok(unsafe { version() }).as_str(), env!("CARGO_PKG_VERSION"));

    let session = ok(unsafe { symbol::<Create>("graph_session_create")() });
    let invoke: Invoke = symbol("graph_session_invoke");
    let describe: Describe = symbol("graph_session_describe");
    let bound = json!({"UserId": "u1", "SessionId": "app", "Availability": "Available", "Activity": "Available", "ExpirationDuration": "PT1H", "PassThru": true});

    // Not connected yet: Microsoft's message, nothing sent.
    let outcome = ok(unsafe { invoke(session, call("Set-MgUserPresence", "SetExpanded", bound.clone())) });
    assert_eq!(outcome.error.error_id.as_str(), "NotConnected");
    assert_eq!(outcome.error.message.as_str(), "Authentication needed. Please call Connect-MgGraph.");
    assert_eq!(outcome.status, 0);

    // -WhatIf text, after validation.
    let described = ok(unsafe { describe(session, call("Set-MgUserPresence", "SetExpanded", bound.clone())) });
    assert_eq!(described.action.as_str(), "Set-MgUserPresence_SetExpanded");
    assert_eq!(described.target.as_str(), "Call remote 'POST /users/{user-id}/presence/microsoft.graph.setPresence' operation");
    let refused = ok(unsafe {
        describe(session, call("Set-MgUserPresence", "SetExpanded", json!({"UserId": "u1", "SessionId": "s", "Availability": "DoNotDisturb", "Activity": "OutOfOffice"})))
    });
    assert_eq!(refused.error.error_id.as_str(), "UnsupportedPresenceCombination");
    assert_eq!(refused.error.category.as_str(), "InvalidArgument");

    let added = ok(unsafe {
        symbol::<AddEnvironment>("graph_session_add_environment")(
            session,
            EnvironmentRequest { name: text("Emulator"), graph_endpoint: text(&emulator.url), azure_ad_endpoint: text(&emulator.url) },
        )
    });
    assert_eq!(added.error_id.as_str(), "");
    let connected = ok(unsafe {
        symbol::<Connect>("graph_session_connect")(
            session,
            ConnectRequest {
                environment: text("emulator"),
                kind: 0,
                access_token: text("secret-token-value"),
                client_id: text(""),
                tenant_id: text(""),
                client_secret: text(""),
                private_key_pem: text(""),
                certificate_base64: text(""),
                identity_endpoint: text(""),
                identity_header: text(""),
                imds_endpoint: text(""),
                timeout_seconds: 30,
            },
        )
    });
    assert_eq!(connected.error_id.as_str(), "", "{}", connected.message.as_str());

    let outcome = ok(unsafe { invoke(session, call("Set-MgUserPresence", "SetExpanded", bound)) });
    assert_eq!(outcome.error.error_id.as_str(), "", "{}", outcome.error.message.as_str());
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.output_json.as_str(), "[true]");
    let headers: Value = serde_json::from_str(outcome.response_headers_json.as_str()).unwrap();
    assert!(headers["request-id"][0].as_str().is_some());
    assert!(outcome.debug_text.as_str().contains("HTTP Method:\nPOST"));
    assert!(!outcome.debug_text.as_str().contains("secret-token-value"), "the token never appears in debug text");
    let sent = emulator.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["expirationDuration"], "PT1H");
    assert!(sent[0].headers["user-agent"].as_str().unwrap().ends_with("PowerShell/7.4.0 Set-MgUserPresence"));

    // Malformed arguments from the caller are an error, not a crash.
    let bad = CmdletCall { bound_parameters_json: text("{not json"), ..call("Set-MgUserPresence", "SetExpanded", json!({})) };
    let outcome = ok(unsafe { invoke(session, bad) });
    assert_eq!(outcome.error.error_id.as_str(), "InvalidBoundParameters");
    let unknown = ok(unsafe { invoke(session, call("Set-MgNothing", "SetExpanded", json!({}))) });
    assert_eq!(unknown.error.error_id.as_str(), "UnknownCmdlet");

    unsafe { symbol::<Destroy>("graph_session_destroy")(session) };
}

#[test]
fn a_panic_in_the_engine_comes_back_as_an_error() {
    let panic: Panic = symbol("mgpresence_diagnostics_panic");
    let result = unsafe { panic(text("engine panic for the test")) };
    assert!(matches!(result, ffi::Result::Err(FfiError::Panicked)), "{result:?}");
    let last: Text = symbol("mgpresence_last_panic");
    assert_eq!(ok(unsafe { last() }).as_str(), "engine panic for the test");
    // The library still works after the panic.
    let version: Text = symbol("mgpresence_version");
    assert!(!ok(unsafe { version() }).as_str().is_empty());
}
