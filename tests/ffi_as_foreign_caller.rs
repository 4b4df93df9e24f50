//! The native library called the way the .NET layer calls it: loaded from disk with the platform loader, entry points
//! found by their exported names, owned strings made with `interoptopus_string_create`, the session handle passed by
//! value, and destroyed at the end. It runs against the real emulator over loopback. The hardening tests then call it
//! the way a careless or hostile caller would: bad handles, null and non-UTF-8 text, oversized and malformed JSON,
//! calls racing a destroy.

use interoptopus::ffi;
use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use mgpresence_ffi::{BulkCall, BulkResult, CallDescription, CallError, CallOutcome, CmdletCall, ConnectRequest, UserSignInRequest, UserSignInStart, EnvironmentRequest, FfiError, SessionHandle};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

type Create = unsafe extern "C-unwind" fn() -> ffi::Result<SessionHandle, FfiError>;
type Destroy = unsafe extern "C-unwind" fn(SessionHandle) -> ffi::Result<u8, FfiError>;
type Invoke = unsafe extern "C-unwind" fn(SessionHandle, CmdletCall) -> ffi::Result<CallOutcome, FfiError>;
type Describe = unsafe extern "C-unwind" fn(SessionHandle, CmdletCall) -> ffi::Result<CallDescription, FfiError>;
type Connect = unsafe extern "C-unwind" fn(SessionHandle, ConnectRequest) -> ffi::Result<CallError, FfiError>;
type AddEnvironment = unsafe extern "C-unwind" fn(SessionHandle, EnvironmentRequest) -> ffi::Result<CallError, FfiError>;
type BeginDeviceCode = unsafe extern "C-unwind" fn(SessionHandle, UserSignInRequest) -> ffi::Result<UserSignInStart, FfiError>;
type InvokeBulk = unsafe extern "C-unwind" fn(SessionHandle, BulkCall) -> ffi::Result<BulkResult, FfiError>;
type SessionText = unsafe extern "C-unwind" fn(SessionHandle) -> ffi::Result<ffi::String, FfiError>;
type SessionError = unsafe extern "C-unwind" fn(SessionHandle) -> ffi::Result<CallError, FfiError>;
type SessionNumber = unsafe extern "C-unwind" fn(SessionHandle) -> ffi::Result<u32, FfiError>;
type SessionFlag = unsafe extern "C-unwind" fn(SessionHandle) -> ffi::Result<u8, FfiError>;
type CancelCall = unsafe extern "C-unwind" fn(SessionHandle, u64) -> ffi::Result<u8, FfiError>;
type FinishUserSignIn = unsafe extern "C-unwind" fn(SessionHandle, u32, u64) -> ffi::Result<CallError, FfiError>;
type SetRequestContext = unsafe extern "C-unwind" fn(SessionHandle, u32, u32, u32) -> ffi::Result<CallError, FfiError>;
type LiveSessions = unsafe extern "C-unwind" fn() -> ffi::Result<u64, FfiError>;
type StringCreate = unsafe extern "C-unwind" fn(*const u8, u64, *mut ffi::String) -> i64;
type Panic = unsafe extern "C-unwind" fn(ffi::String) -> ffi::Result<u32, FfiError>;
type Text = unsafe extern "C-unwind" fn() -> ffi::Result<ffi::String, FfiError>;

fn library() -> &'static libloading::Library {
    static LIBRARY: OnceLock<libloading::Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        // `cargo xtask valgrind` names the library it built (release, with symbols) and runs this binary under valgrind.
        if let Some(path) = std::env::var_os("MGPRESENCE_NATIVE_LIBRARY") {
            return unsafe { libloading::Library::new(&path) }.unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
        }
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
        call_id: 0,
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
    assert_eq!(refused.error.error_id.as_str(), "InvalidArgument");
    assert_eq!(refused.error.category.as_str(), "InvalidOperation");
    assert!(refused.error.service_json.as_str().contains(r#""status":400"#), "{}", refused.error.service_json.as_str());

    connect_to_emulator(session, &emulator.url, "emulator", "secret-token-value");

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

    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
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

// ---- Hardening: the library called as a careless or hostile foreign caller would ----

/// Text with arbitrary bytes, made the way a foreign caller makes text (`interoptopus_string_create` copies the bytes
/// without checking them).
fn raw_bytes(bytes: &[u8]) -> ffi::String {
    let create: StringCreate = symbol("interoptopus_string_create");
    let mut out = std::mem::MaybeUninit::<ffi::String>::uninit();
    assert_eq!(unsafe { create(bytes.as_ptr(), bytes.len() as u64, out.as_mut_ptr()) }, 0);
    unsafe { out.assume_init() }
}

/// Text whose pointer is null but whose length says otherwise, as a C caller could fill the struct in.
fn null_text(len: u64) -> ffi::String {
    #[repr(C)]
    struct RawText {
        ptr: *mut u8,
        len: u64,
        capacity: u64,
    }
    const _: () = assert!(std::mem::size_of::<RawText>() == std::mem::size_of::<ffi::String>());
    unsafe { std::mem::transmute(RawText { ptr: std::ptr::null_mut(), len, capacity: 0 }) }
}

fn connect_request(access_token: ffi::String) -> ConnectRequest {
    ConnectRequest {
        environment: text(""),
        kind: 0,
        access_token,
        client_id: text(""),
        tenant_id: text(""),
        client_secret: text(""),
        private_key_pem: text(""),
        certificate_base64: text(""),
        identity_endpoint: text(""),
        identity_header: text(""),
        imds_endpoint: text(""),
        timeout_seconds: 0,
    }
}

fn bulk_call(action: ffi::String, common: ffi::String, items: ffi::String) -> BulkCall {
    BulkCall { action, beta: 0, common_json: common, items_json: items, concurrency: 4 }
}

/// Adds the emulator at `url` as the environment "Emulator" and connects `session` to it (by `environment`, compared
/// case-insensitively) with an access token.
fn connect_to_emulator(session: SessionHandle, url: &str, environment: &str, token: &str) {
    let added = ok(unsafe {
        symbol::<AddEnvironment>("graph_session_add_environment")(
            session,
            EnvironmentRequest { name: text("Emulator"), graph_endpoint: text(url), azure_ad_endpoint: text(url) },
        )
    });
    assert_eq!(added.error_id.as_str(), "");
    let connected = ok(unsafe {
        symbol::<Connect>("graph_session_connect")(session, ConnectRequest { environment: text(environment), timeout_seconds: 30, ..connect_request(text(token)) })
    });
    assert_eq!(connected.error_id.as_str(), "", "{}", connected.message.as_str());
}

fn new_session() -> SessionHandle {
    ok(unsafe { symbol::<Create>("graph_session_create")() })
}

/// The error id and message of a refused describe.
fn described_error(session: SessionHandle, call: CmdletCall) -> (String, String) {
    let d = ok(unsafe { symbol::<Describe>("graph_session_describe")(session, call) });
    (d.error.error_id.as_str().to_owned(), d.error.message.as_str().to_owned())
}

macro_rules! assert_invalid_handle {
    ($call:expr) => {
        match unsafe { $call } {
            ffi::Result::Err(FfiError::InvalidHandle) => {}
            ffi::Result::Ok(_) => panic!("{} accepted a bad handle", stringify!($call)),
            _ => panic!("{} did not answer InvalidHandle", stringify!($call)),
        }
    };
}

#[test]
fn every_session_function_refuses_a_zero_made_up_or_destroyed_handle() {
    let destroyed = new_session();
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(destroyed) }, ffi::Result::Ok(1)));
    for bad in [SessionHandle { id: 0 }, destroyed, SessionHandle { id: u64::MAX }, SessionHandle { id: destroyed.id + 1_000_000 }] {
        assert_invalid_handle!(symbol::<Destroy>("graph_session_destroy")(bad));
        assert_invalid_handle!(symbol::<Invoke>("graph_session_invoke")(bad, call("Set-MgUserPresence", "SetExpanded", json!({}))));
        assert_invalid_handle!(symbol::<Describe>("graph_session_describe")(bad, call("Set-MgUserPresence", "SetExpanded", json!({}))));
        assert_invalid_handle!(symbol::<Connect>("graph_session_connect")(bad, connect_request(text("token"))));
        assert_invalid_handle!(symbol::<AddEnvironment>("graph_session_add_environment")(
            bad,
            EnvironmentRequest { name: text("E"), graph_endpoint: text("http://127.0.0.1:1"), azure_ad_endpoint: text("http://127.0.0.1:1") }
        ));
        assert_invalid_handle!(symbol::<BeginDeviceCode>("graph_session_begin_device_code")(
            bad,
            UserSignInRequest { environment: text(""), client_id: text("c"), tenant_id: text("t"), scopes: text("User.Read"), timeout_seconds: 1 }
        ));
        assert_invalid_handle!(symbol::<FinishUserSignIn>("graph_session_finish_user_sign_in")(bad, 1, 0));
        assert_invalid_handle!(symbol::<InvokeBulk>("graph_session_invoke_bulk")(bad, bulk_call(text("SetPresence"), text("{}"), text("[]"))));
        assert_invalid_handle!(symbol::<SessionNumber>("graph_session_bulk_progress")(bad));
        assert_invalid_handle!(symbol::<SessionFlag>("graph_session_cancel_bulk")(bad));
        assert_invalid_handle!(symbol::<CancelCall>("graph_session_cancel_call")(bad, 1));
        assert_invalid_handle!(symbol::<SetRequestContext>("graph_session_set_request_context")(bad, 3, 3, 0));
        assert_invalid_handle!(symbol::<SessionText>("graph_session_request_context_json")(bad));
        assert_invalid_handle!(symbol::<SessionError>("graph_session_disconnect")(bad));
        assert_invalid_handle!(symbol::<SessionText>("graph_session_context_json")(bad));
        assert_invalid_handle!(symbol::<SessionText>("graph_session_environments_json")(bad));
    }
}

#[test]
fn text_that_is_not_utf8_is_refused_naming_the_argument_and_never_echoing_it() {
    let session = new_session();
    let bad = || raw_bytes(b"Set-Mg\xffUser\xc3");
    let good = || call("Set-MgUserPresence", "SetExpanded", json!({"UserId": "u1", "SessionId": "s", "Availability": "Away", "Activity": "Away"}));
    let cases = [
        ("cmdlet", CmdletCall { cmdlet: bad(), ..good() }),
        ("parameter_set", CmdletCall { parameter_set: bad(), ..good() }),
        ("bound_parameters_json", CmdletCall { bound_parameters_json: raw_bytes(b"{\"UserId\":\"u\xff1\"}"), ..good() }),
        ("user_agent_suffix", CmdletCall { user_agent_suffix: bad(), ..good() }),
    ];
    for (field, refused) in cases {
        let (id, message) = described_error(session, refused);
        assert_eq!(id, "InvalidArgumentText", "{field}: {message}");
        assert!(message.contains(field) && message.contains("not UTF-8"), "{message}");
    }
    let outcome = ok(unsafe { symbol::<Invoke>("graph_session_invoke")(session, CmdletCall { parameter_set: bad(), ..good() }) });
    assert_eq!(outcome.error.error_id.as_str(), "InvalidArgumentText");
    assert_eq!(outcome.status, 0, "nothing is sent");

    // A secret that is not UTF-8: the message names the field and never shows the bytes around the bad one.
    let refused = ok(unsafe { symbol::<Connect>("graph_session_connect")(session, connect_request(raw_bytes(b"secret-token-\xfe-value"))) });
    assert_eq!(refused.error_id.as_str(), "InvalidArgumentText");
    assert!(refused.message.as_str().contains("access_token"));
    assert!(!refused.message.as_str().contains("secret-token"));
    assert_eq!(ok(unsafe { symbol::<SessionText>("graph_session_context_json")(session) }).as_str(), "", "still not connected");

    let env = ok(unsafe {
        symbol::<AddEnvironment>("graph_session_add_environment")(
            session,
            EnvironmentRequest { name: text("E"), graph_endpoint: raw_bytes(b"http://\xff"), azure_ad_endpoint: text("http://127.0.0.1:1") },
        )
    });
    assert!(env.message.as_str().contains("graph_endpoint"), "{}", env.message.as_str());
    let started = ok(unsafe {
        symbol::<BeginDeviceCode>("graph_session_begin_device_code")(
            session,
            UserSignInRequest { environment: text(""), client_id: text("c"), tenant_id: text("t"), scopes: raw_bytes(b"\xc0\xaf"), timeout_seconds: 1 },
        )
    });
    assert!(started.error.message.as_str().contains("scopes"));
    let bulk = ok(unsafe { symbol::<InvokeBulk>("graph_session_invoke_bulk")(session, bulk_call(text("SetPresence"), text("{}"), raw_bytes(b"[{\"UserId\":\"\xed\xa0\x80\"}]"))) });
    assert!(bulk.error.message.as_str().contains("items_json"), "a UTF-16 surrogate encoded in UTF-8 is not UTF-8");
    assert_eq!(bulk.outcomes_json.as_str(), "[]");

    let panic: Panic = symbol("mgpresence_diagnostics_panic");
    assert!(matches!(unsafe { panic(raw_bytes(b"\xff")) }, ffi::Result::Err(FfiError::InvalidArguments)));
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
}

#[test]
fn null_text_reads_as_empty_text() {
    let session = new_session();
    let nulls = CmdletCall { cmdlet: null_text(12), parameter_set: null_text(0), bound_parameters_json: null_text(99), trace: 0, user_agent_suffix: null_text(3), call_id: 0 };
    let (id, message) = described_error(session, nulls);
    assert_eq!((id.as_str(), message.as_str()), ("UnknownCmdlet", "'' is not an MgPresence cmdlet."));
    let (id, _) = described_error(session, CmdletCall { bound_parameters_json: null_text(10), ..call("Set-MgUserPresence", "SetExpanded", json!({})) });
    assert_eq!(id, "InvalidBoundParameters");
    let refused = ok(unsafe { symbol::<Connect>("graph_session_connect")(session, connect_request(null_text(64))) });
    assert_eq!(refused.error_id.as_str(), "InvalidAccessToken");
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
}

#[test]
fn oversized_and_malformed_json_are_call_errors() {
    let session = new_session();
    let limit = mgpresence_ffi::arguments::MAX_ARGUMENT_BYTES;
    let oversized = format!("{{\"UserId\":\"{}\"}}", "a".repeat(limit));
    let (id, message) = described_error(session, CmdletCall { bound_parameters_json: text(&oversized), ..call("Set-MgUserPresence", "SetExpanded", json!({})) });
    assert_eq!(id, "InvalidArgumentText");
    assert!(message.contains("bound_parameters_json") && message.contains("64 MiB"), "{message}");
    drop(oversized);

    let deep_array = "[".repeat(200_000);
    let deep_object = "{\"a\":".repeat(100_000);
    let malformed: [&str; 12] = ["", " ", "{", "{not json", "[]", "null", "\"text\"", "1e999999", &deep_array, &deep_object, "\u{feff}{}", "{\"UserId\":\"u1\"}{}"];
    for input in malformed {
        let (id, _) = described_error(session, CmdletCall { bound_parameters_json: text(input), ..call("Set-MgUserPresence", "SetExpanded", json!({})) });
        assert_eq!(id, "InvalidBoundParameters", "{:?}", input.get(..20));
        let outcome = ok(unsafe {
            symbol::<Invoke>("graph_session_invoke")(session, CmdletCall { bound_parameters_json: text(input), ..call("Set-MgUserPresence", "SetExpanded", json!({})) })
        });
        assert_eq!(outcome.error.error_id.as_str(), "InvalidBoundParameters");
    }
    // Well-formed JSON with wrong shapes is refused by binding, with the parameter named. (Numbers and arrays are
    // converted to text, as PowerShell's binder converts them for a [string] parameter.)
    for (bound, expected) in [
        (json!({"UserId": {"id": 12}, "SessionId": "s", "Availability": "Away", "Activity": "Away"}), "UserId"),
        (json!({"UserId": "u", "SessionId": "s", "Availability": {"value": "Away"}, "Activity": "Away"}), "Availability"),
        (json!({"UserId": "u", "SessionId": "s", "Availability": "Away", "Activity": "Away", "ExpirationDuration": {"h": 1}}), "ExpirationDuration"),
    ] {
        let (id, message) = described_error(session, call("Set-MgUserPresence", "SetExpanded", bound));
        assert!(!id.is_empty() && message.to_lowercase().contains(&expected.to_lowercase()), "{id}: {message}");
    }
    let bulk = ok(unsafe { symbol::<InvokeBulk>("graph_session_invoke_bulk")(session, bulk_call(text("SetPresence"), text("{}"), text(&deep_array))) });
    assert_eq!(bulk.error.error_id.as_str(), "InvalidBoundParameters");
    let bulk = ok(unsafe { symbol::<InvokeBulk>("graph_session_invoke_bulk")(session, bulk_call(text("NoSuchAction"), text("[]"), text("[]"))) });
    assert_eq!(bulk.error.error_id.as_str(), "UnknownAction");
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
}

#[test]
fn calls_racing_a_destroy_finish_or_get_invalid_handle() {
    let session = new_session();
    let live: LiveSessions = symbol("mgpresence_diagnostics_live_sessions");
    assert!(ok(unsafe { live() }) >= 1);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let (mut served, mut refused) = (0, 0);
                for _ in 0..300 {
                    let bound = json!({"UserId": "u1", "SessionId": "s", "Availability": "Busy", "Activity": "InACall"});
                    match unsafe { symbol::<Describe>("graph_session_describe")(session, call("Set-MgUserPresence", "SetExpanded", bound)) } {
                        ffi::Result::Ok(d) => {
                            assert_eq!(d.action.as_str(), "Set-MgUserPresence_SetExpanded");
                            served += 1;
                        }
                        ffi::Result::Err(FfiError::InvalidHandle) => refused += 1,
                        _ => panic!("unexpected answer"),
                    }
                }
                (served, refused)
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
    let totals = workers.into_iter().map(|w| w.join().expect("no worker crashed")).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(totals.0 + totals.1, 1200, "every call was answered");
    assert_invalid_handle!(symbol::<Describe>("graph_session_describe")(session, call("Set-MgUserPresence", "SetExpanded", json!({}))));
}

/// The engine drives HTTP on a current-thread runtime that the calling threads take turns to drive: calls from several
/// threads at once (ForEach-Object -Parallel, runspace pools) must all be sent and answered, none left waiting.
#[test]
fn calls_from_several_threads_at_once_are_all_sent() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let session = new_session();
    connect_to_emulator(session, &emulator.url, "Emulator", "token");
    let workers: Vec<_> = (0..6)
        .map(|worker| {
            std::thread::spawn(move || {
                for n in 0..50 {
                    let bound = json!({"UserId": format!("t{worker}-{n}"), "SessionId": "app", "Availability": "Busy", "Activity": "InACall"});
                    let outcome = ok(unsafe { symbol::<Invoke>("graph_session_invoke")(session, call("Set-MgUserPresence", "SetExpanded", bound)) });
                    assert_eq!(outcome.error.error_id.as_str(), "", "{}", outcome.error.message.as_str());
                    assert_eq!(outcome.status, 200);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("no worker failed");
    }
    let sent = emulator.requests();
    assert_eq!(sent.len(), 300, "every call was sent once");
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
}

/// 100,000 calls through the C ABI, of every kind the module makes and of the refused kinds, for `cargo xtask valgrind`
/// (which runs this test binary under memcheck against an emulator in a process of its own). Every returned string is
/// freed the way a foreign caller frees it, with `interoptopus_string_destroy`. Run by hand it also checks that every
/// call was answered and that the sessions it made are gone.
#[test]
#[ignore = "a soak for valgrind: `cargo xtask valgrind`"]
fn soak_calls_for_valgrind() {
    type StringDestroy = unsafe extern "C-unwind" fn(ffi::String) -> i64;
    let calls: u64 = std::env::var("MGPRESENCE_SOAK_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let url = std::env::var("MGPRESENCE_EMULATOR_URL").expect("MGPRESENCE_EMULATOR_URL names a running emulator");
    let destroy_text: StringDestroy = symbol("interoptopus_string_destroy");
    let free = |s: ffi::String| assert_eq!(unsafe { destroy_text(s) }, 0);
    let free_error = |e: CallError| {
        free(e.error_id);
        free(e.message);
        free(e.category);
    };
    let free_outcome = |o: CallOutcome| {
        free_error(o.error);
        for t in [o.output_json, o.response_headers_json, o.response_headers_variable, o.count_variable, o.debug_text] {
            free(t);
        }
    };
    let free_description = |d: CallDescription| {
        free(d.target);
        free(d.action);
        free_error(d.error);
    };
    let live: LiveSessions = symbol("mgpresence_diagnostics_live_sessions");
    let live_before = ok(unsafe { live() });

    let session = new_session();
    free_error(ok(unsafe {
        symbol::<AddEnvironment>("graph_session_add_environment")(session, EnvironmentRequest { name: text("Soak"), graph_endpoint: text(&url), azure_ad_endpoint: text(&url) })
    }));
    let connected = ok(unsafe { symbol::<Connect>("graph_session_connect")(session, ConnectRequest { environment: text("Soak"), ..connect_request(text("soak-token")) }) });
    assert_eq!(connected.error_id.as_str(), "");
    free_error(connected);

    let (mut sent, mut refused) = (0u64, 0u64);
    for i in 0..calls {
        let user = format!("soak-{}", i % 50);
        let set = json!({"UserId": user, "SessionId": "soak", "Availability": "Busy", "Activity": "InACall", "ExpirationDuration": "PT10M"});
        match i % 10 {
            0 | 1 => {
                let o = ok(unsafe { symbol::<Invoke>("graph_session_invoke")(session, call("Set-MgUserPresence", "SetExpanded", set)) });
                assert_eq!(o.status, 200, "{}", o.error.message.as_str());
                sent += 1;
                free_outcome(o);
            }
            2 => {
                let o = ok(unsafe { symbol::<Invoke>("graph_session_invoke")(session, call("Get-MgUserPresence", "Get", json!({"UserId": user}))) });
                assert_eq!(o.status, 200);
                sent += 1;
                free_outcome(o);
            }
            3 | 4 => {
                let d = ok(unsafe { symbol::<Describe>("graph_session_describe")(session, call("Set-MgUserPresence", "SetExpanded", set)) });
                assert_eq!(d.error.error_id.as_str(), "");
                free_description(d);
            }
            5 => {
                let bad = json!({"UserId": user, "SessionId": "s", "Availability": "DoNotDisturb", "Activity": "OutOfOffice"});
                let d = ok(unsafe { symbol::<Describe>("graph_session_describe")(session, call("Set-MgUserPresence", "SetExpanded", bad)) });
                assert_eq!(d.error.error_id.as_str(), "UnsupportedPresenceCombination");
                refused += 1;
                free_description(d);
            }
            6 => {
                let d = ok(unsafe {
                    symbol::<Describe>("graph_session_describe")(session, CmdletCall { bound_parameters_json: raw_bytes(b"{\"UserId\":\"\xff\"}"), ..call("Set-MgUserPresence", "SetExpanded", json!({})) })
                });
                assert_eq!(d.error.error_id.as_str(), "InvalidArgumentText");
                refused += 1;
                free_description(d);
            }
            7 => {
                free(ok(unsafe { symbol::<SessionText>("graph_session_context_json")(session) }));
                free(ok(unsafe { symbol::<SessionText>("graph_session_environments_json")(session) }));
            }
            8 => {
                let short_lived = new_session();
                assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(short_lived) }, ffi::Result::Ok(1)));
                assert_invalid_handle!(symbol::<SessionText>("graph_session_context_json")(short_lived));
                refused += 1;
            }
            _ => {
                let panic: Panic = symbol("mgpresence_diagnostics_panic");
                assert!(matches!(unsafe { panic(text("soak panic")) }, ffi::Result::Err(FfiError::Panicked)));
                free(ok(unsafe { symbol::<Text>("mgpresence_last_panic")() }));
                refused += 1;
            }
        }
    }
    assert!(matches!(unsafe { symbol::<Destroy>("graph_session_destroy")(session) }, ffi::Result::Ok(1)));
    assert_eq!(ok(unsafe { live() }), live_before, "every session made here is gone");
    println!("soak: {calls} calls through the C ABI ({sent} sent to the emulator, {refused} refused or failed on purpose)");
}

/// Ctrl+C as the .NET layer sends it: another thread calls `graph_session_cancel_call` with the call's id until the
/// engine has the call (1), and the call blocked in `graph_session_invoke` during a `Retry-After: 180` returns at once,
/// cancelled; the session then serves the next call.
#[test]
fn a_call_waiting_out_retry_after_is_cancelled_from_another_thread() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    emulator.state.faults.lock().unwrap().push(mgpresence_emulator::Fault {
        method: None,
        path_contains: Some("setPresence".into()),
        status: 429,
        code: "TooManyRequests".into(),
        message: "Slow down.".into(),
        retry_after: Some(180),
        times: Some(1),
    });
    let session = new_session();
    connect_to_emulator(session, &emulator.url, "emulator", "token");
    let cancel: CancelCall = symbol("graph_session_cancel_call");
    assert_eq!(ok(unsafe { cancel(session, 77) }), 0, "no call 77 is running");
    assert_invalid_handle!(cancel(SessionHandle { id: 0 }, 77));

    let bound = json!({"UserId": "u1", "SessionId": "app", "Availability": "Busy", "Activity": "InACall"});
    let started = std::time::Instant::now();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = {
        let bound = bound.clone();
        std::thread::spawn(move || {
            let outcome = ok(unsafe { symbol::<Invoke>("graph_session_invoke")(session, CmdletCall { call_id: 77, ..call("Set-MgUserPresence", "SetExpanded", bound) }) });
            let _ = done_tx.send(());
            (outcome.cancelled, outcome.error.error_id.as_str().to_owned(), outcome.status)
        })
    };
    // Wait until the 429 is in, so the cancel lands in the Retry-After wait.
    let waiting_since = std::time::Instant::now();
    while emulator.requests().is_empty() {
        assert!(waiting_since.elapsed() < std::time::Duration::from_secs(30), "the call never reached the emulator");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    while ok(unsafe { cancel(session, 77) }) == 0 {
        assert!(done_rx.try_recv().is_err(), "the call ended before it was cancelled");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (cancelled, error_id, status) = worker.join().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!((cancelled, error_id.as_str(), status), (1, "OperationStopped", 0));
    assert_eq!(ok(unsafe { cancel(session, 77) }), 0, "the finished call is forgotten");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(emulator.requests().len(), 1, "nothing sent after the cancel");

    let next = ok(unsafe { symbol::<Invoke>("graph_session_invoke")(session, CmdletCall { call_id: 78, ..call("Set-MgUserPresence", "SetExpanded", bound) }) });
    assert_eq!((next.cancelled, next.error.error_id.as_str(), next.status), (0, "", 200));
    assert_eq!(emulator.requests().len(), 2);
    ok(unsafe { symbol::<Destroy>("graph_session_destroy")(session) });
}
