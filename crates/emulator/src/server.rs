//! Starting and stopping the emulator: in the current tokio runtime ([`RunningEmulator`]) or on a thread of its own
//! for synchronous callers ([`BackgroundEmulator`]).

use crate::clock::EmulatorClock;
use crate::control::{self, Fault, RecordedRequest};
use crate::graph_response::GraphFailure;
use crate::identity::{Access, AuthFailure, Directory, Identity, RegisteredApp, RegisteredUser};
use crate::routes;
use crate::store::PresenceStore;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port. Loopback by default.
    pub bind: SocketAddr,
    /// When set, only this bearer token is accepted; otherwise any non-empty one is (unless `require_issued_tokens`).
    pub expected_token: Option<String>,
    /// Graph endpoints accept only tokens the emulator issued, with the permission each endpoint needs.
    pub require_issued_tokens: bool,
    /// The apps and users the identity provider knows.
    pub directory: Directory,
    /// The user `/me` stands for.
    pub signed_in_user: String,
    /// Request limits per application per tenant (the documented presence limits by default).
    pub throttle: crate::throttle::ThrottleLimits,
    /// Random fault rates (none by default).
    pub fault_rates: crate::throttle::FaultRates,
    /// Serve HTTPS with this certificate instead of plain HTTP (the default).
    pub tls: Option<crate::tls::TlsSource>,
    /// How many of the newest requests the request log keeps (`GET /_emulator/requests`); older ones are dropped, so
    /// an emulator that runs for days keeps its memory.
    pub request_log_limit: usize,
}

/// The request log's default size.
pub const DEFAULT_REQUEST_LOG_LIMIT: usize = 50_000;

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            expected_token: None,
            require_issued_tokens: false,
            directory: demo_directory(),
            signed_in_user: DEMO_USER_ID.to_owned(),
            throttle: crate::throttle::ThrottleLimits::default(),
            fault_rates: crate::throttle::FaultRates::default(),
            tls: None,
            request_log_limit: DEFAULT_REQUEST_LOG_LIMIT,
        }
    }
}

/// The demo user: the signed-in user of `/me`, and the one who completes device code sign-ins in the demo.
pub const DEMO_USER_ID: &str = "00000000-0000-0000-0000-0000000000a1";
/// The demo application (client credentials with [`DEMO_APP_SECRET`]; Presence.ReadWrite.All; delegated
/// Presence.ReadWrite and Presence.Read.All).
pub const DEMO_APP_ID: &str = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346";
/// The demo application's client secret. It only opens the local emulator.
pub const DEMO_APP_SECRET: &str = "mgpresence-emulator-demo-secret";
/// The demo managed identity (system-assigned).
pub const DEMO_MANAGED_IDENTITY_ID: &str = "7d9e8a3b-6a4f-4c1d-9e2b-3f5a6b7c8d90";

/// The directory the emulator starts with (docs/emulator.md).
pub fn demo_directory() -> Directory {
    Directory {
        tenant_id: "00000000-0000-0000-0000-00000000c0de".into(),
        apps: vec![
            RegisteredApp {
                client_id: DEMO_APP_ID.into(),
                display_name: "MgPresence emulator demo app".into(),
                secrets: vec![DEMO_APP_SECRET.into()],
                certificates: Vec::new(),
                roles: vec!["Presence.ReadWrite.All".into()],
                scopes: vec!["Presence.ReadWrite".into(), "Presence.Read.All".into(), "User.Read".into()],
                managed_identity: false,
            },
            RegisteredApp {
                client_id: DEMO_MANAGED_IDENTITY_ID.into(),
                display_name: "MgPresence emulator managed identity".into(),
                secrets: Vec::new(),
                certificates: Vec::new(),
                roles: vec!["Presence.ReadWrite.All".into()],
                scopes: Vec::new(),
                managed_identity: true,
            },
        ],
        users: vec![RegisteredUser { id: DEMO_USER_ID.into(), user_principal_name: "adele.vance@contoso.example".into() }],
        identity_header: "mgpresence-emulator-identity-header".into(),
    }
}

/// The throttling key of a bearer token: tenant and application of a JWT, else the token itself.
fn application_key(authorization: &str) -> String {
    use jsonwebtoken::dangerous::insecure_decode;
    let token = authorization.split_whitespace().nth(1).unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Who {
        #[serde(default)]
        appid: String,
        #[serde(default)]
        tid: String,
    }
    match insecure_decode::<Who>(token) {
        Ok(data) => format!("{}/{}", data.claims.tid, data.claims.appid),
        Err(_) => format!("token/{token}"),
    }
}

/// What a Graph request needs, from its method and path.
fn access_for(method: &str, path: &str) -> Access {
    let me = path.split('/').nth(2) == Some("me");
    let reads = method.eq_ignore_ascii_case("GET") || path.to_ascii_lowercase().ends_with("getpresencesbyuserid");
    match (me, reads) {
        (true, true) => Access::SelfRead,
        (true, false) => Access::SelfWrite,
        (false, true) => Access::Read,
        (false, false) => Access::Write,
    }
}

/// Shared state of a running emulator.
#[derive(Debug)]
pub struct AppState {
    pub config: EmulatorConfig,
    /// Whether Graph endpoints require issued tokens now (starts as `config.require_issued_tokens`; tests switch it
    /// with `POST /_emulator/auth`).
    pub require_issued_tokens: std::sync::atomic::AtomicBool,
    pub clock: EmulatorClock,
    pub store: Mutex<PresenceStore>,
    pub faults: Mutex<Vec<Fault>>,
    requests: Mutex<RequestLog>,
    pub base_url: String,
    pub identity: Identity,
    /// The Graph routes with their middleware, for `$batch` to run its requests through.
    pub graph_router: std::sync::OnceLock<Router>,
    pub throttle: crate::throttle::Throttle,
}

/// The newest requests, at most a limit of them. Each has a sequence number, so the outcome of a request still
/// being answered finds its entry even after older ones were dropped or the log was cleared meanwhile.
#[derive(Debug)]
struct RequestLog {
    entries: std::collections::VecDeque<RecordedRequest>,
    /// The sequence number of `entries[0]`.
    first: u64,
    limit: usize,
}

impl RequestLog {
    fn new(limit: usize) -> Self {
        Self { entries: std::collections::VecDeque::new(), first: 0, limit: limit.max(1) }
    }

    fn push(&mut self, r: RecordedRequest) -> u64 {
        self.entries.push_back(r);
        if self.entries.len() > self.limit {
            self.entries.pop_front();
            self.first += 1;
        }
        self.first + self.entries.len() as u64 - 1
    }

    fn get_mut(&mut self, seq: u64) -> Option<&mut RecordedRequest> {
        let index = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.entries.get_mut(index)
    }

    fn take(&mut self) -> Vec<RecordedRequest> {
        self.first += self.entries.len() as u64;
        std::mem::take(&mut self.entries).into()
    }
}

impl AppState {
    /// Records a request; returns its sequence number, for [`Self::record_outcome`].
    pub(crate) fn record(&self, r: RecordedRequest) -> u64 {
        self.requests.lock().expect("requests lock").push(r)
    }

    pub(crate) fn record_outcome(&self, seq: u64, status: u16, retry_after: Option<String>) {
        if let Some(r) = self.requests.lock().expect("requests lock").get_mut(seq) {
            r.status = status;
            r.retry_after = retry_after;
        }
    }

    /// The requests received so far (control requests excluded), the newest `request_log_limit` of them.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("requests lock").entries.iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.requests.lock().expect("requests lock").take();
    }

    /// The requests received so far, leaving the log empty: what a long test reads as it goes, so no request is read
    /// twice or dropped for the limit.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("requests lock").take()
    }

    pub(crate) fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults lock");
        let fault = faults.iter_mut().find(|f| f.matches(method, path))?;
        if let Some(times) = fault.times.as_mut() {
            *times -= 1;
        }
        Some(fault.clone())
    }

    /// Applies throttling and random faults to an authenticated request.
    pub(crate) async fn throttle(&self, method: &str, path: &str, headers: &HeaderMap) -> Result<(), GraphFailure> {
        if let Some(delay) = self.throttle.delay() {
            tokio::time::sleep(delay).await;
        }
        let token = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let key = application_key(token);
        let kind = if path.trim_end_matches('/').ends_with("/$batch") {
            crate::throttle::RequestKind::Batch
        } else if matches!(access_for(method, path), Access::Read | Access::SelfRead) {
            crate::throttle::RequestKind::Read
        } else {
            crate::throttle::RequestKind::Write
        };
        match self.throttle.check(&key, kind, self.clock.now()) {
            crate::throttle::Verdict::Pass => Ok(()),
            crate::throttle::Verdict::Throttled { retry_after } => Err(GraphFailure {
                retry_after: Some(retry_after),
                ..GraphFailure::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", format!("Too many requests. Retry after {retry_after} seconds."))
            }),
            crate::throttle::Verdict::Unavailable => {
                Err(GraphFailure::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "The service is temporarily unavailable."))
            }
            crate::throttle::Verdict::GatewayTimeout => Err(GraphFailure::new(StatusCode::GATEWAY_TIMEOUT, "GatewayTimeout", "The gateway timed out.")),
            crate::throttle::Verdict::Reset => Err(GraphFailure { reset_connection: true, ..GraphFailure::new(StatusCode::OK, "ConnectionReset", "") }),
        }
    }

    pub(crate) fn authenticate(&self, method: &str, path: &str, headers: &HeaderMap) -> Result<(), GraphFailure> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .unwrap_or_default();
        if token.is_empty() {
            return Err(GraphFailure::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "Access token is empty."));
        }
        if self.require_issued_tokens.load(std::sync::atomic::Ordering::SeqCst) {
            return match self.identity.authorize(token, access_for(method, path), self.clock.now()) {
                Ok(_) => Ok(()),
                Err(AuthFailure::Unauthenticated(message)) => {
                    Err(GraphFailure::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message))
                }
                Err(AuthFailure::Forbidden(message)) => Err(GraphFailure::new(StatusCode::FORBIDDEN, "Forbidden", message)),
            };
        }
        match &self.config.expected_token {
            Some(expected) if expected != token => Err(GraphFailure::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            )),
            _ => Ok(()),
        }
    }
}

/// The emulator's whole HTTP application — Graph, identity and control routes — over a fresh state, without a
/// listener. [`RunningEmulator`] serves it; tests can also call it in-process (`tower::ServiceExt::oneshot`).
/// `base_url` is the emulator's own address, used in `@odata.context` and next links.
pub fn app(config: EmulatorConfig, base_url: &str) -> (Router, Arc<AppState>) {
    let identity = Identity::new(config.directory.clone());
    let request_log_limit = config.request_log_limit;
    let state = Arc::new(AppState {
        identity,
        require_issued_tokens: std::sync::atomic::AtomicBool::new(config.require_issued_tokens),
        graph_router: std::sync::OnceLock::new(),
        throttle: crate::throttle::Throttle::new(config.throttle, config.fault_rates),
        config,
        clock: EmulatorClock::default(),
        store: Mutex::new(PresenceStore::default()),
        faults: Mutex::new(Vec::new()),
        requests: Mutex::new(RequestLog::new(request_log_limit)),
        base_url: base_url.to_owned(),
    });
    (router(state.clone()), state)
}

fn router(state: Arc<AppState>) -> Router {
    // The middleware reads every body up to `control::MAX_BODY`; axum's own (lower) default limit is off behind it.
    let graph = routes::graph_routes()
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(state.clone(), control::graph_middleware));
    let _ = state.graph_router.set(graph.clone().with_state(state.clone()));
    let control_routes = Router::new()
        .route("/_emulator/requests", get(control::list_requests).delete(control::clear_requests))
        .route("/_emulator/faults", axum::routing::post(control::add_fault).delete(control::clear_faults))
        .route("/_emulator/lapses", get(control::list_lapses).delete(control::clear_lapses))
        .route("/_emulator/clock", get(control::get_clock).post(control::advance_clock))
        .route("/_emulator/health", get(control::health))
        .route("/_emulator/auth", get(control::get_auth).post(control::set_auth))
        .route("/_emulator/throttling", get(control::get_throttling).post(control::set_throttling))
        .route("/_emulator/fault-rates", get(control::get_fault_rates).post(control::set_fault_rates));
    control_routes.merge(crate::identity_routes::identity_routes()).merge(graph).with_state(state)
}

/// An emulator serving on the current tokio runtime.
#[derive(Debug)]
pub struct RunningEmulator {
    pub url: String,
    pub state: Arc<AppState>,
    /// Over HTTPS with a certificate the emulator made: the PEM of the CA to trust.
    pub ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningEmulator {
    /// Binds and starts serving, over HTTPS when `config.tls` says so.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let Some(source) = config.tls.clone() else { return Self::serve_http(listener, addr, config) };
        let certificate = crate::tls::server_certificate(&source).map_err(std::io::Error::other)?;
        let ca_pem = certificate.ca_pem.clone();
        let acceptor = crate::tls::acceptor(certificate).map_err(std::io::Error::other)?;
        // The address as it is: the certificate names 127.0.0.1 and ::1 as well as localhost.
        let url = format!("https://{addr}");
        let (app, state) = app(config, &url);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let listener = crate::tls::TlsListener::new(listener, acceptor)?;
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the emulator stopped with an error");
            }
        });
        Ok(Self { url, state, ca_pem, shutdown: Some(tx), task })
    }

    fn serve_http(listener: tokio::net::TcpListener, addr: SocketAddr, config: EmulatorConfig) -> std::io::Result<Self> {
        let url = format!("http://{addr}");
        let (app, state) = app(config, &url);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // No Nagle delay: an answer written in more than one piece must not wait for the client's delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
            }
        });
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the emulator stopped with an error");
            }
        });
        Ok(Self { url, state, ca_pem: None, shutdown: Some(tx), task })
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Stops serving and waits until the server has stopped.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Serves until the task ends (for the CLI).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// An emulator on a thread of its own, for callers without a tokio runtime (FFI tests, the PowerShell test host).
#[derive(Debug)]
pub struct BackgroundEmulator {
    pub url: String,
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundEmulator {
    pub fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("mgpresence-emulator".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                match RunningEmulator::start(config).await {
                    Ok(emulator) => {
                        let _ = ready_tx.send(Ok((emulator.url.clone(), emulator.state.clone())));
                        let _ = stop_rx.await;
                        emulator.stop().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
        let (url, state) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the emulator thread ended before it started"))??;
        Ok(Self { url, state, shutdown: Some(stop_tx), thread: Some(thread) })
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }
}

impl Drop for BackgroundEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: path.into(),
            query: None,
            headers: serde_json::Map::new(),
            body: serde_json::Value::Null,
            at: String::new(),
            status: 0,
            retry_after: None,
        }
    }

    #[test]
    fn the_request_log_keeps_the_newest_and_an_outcome_finds_its_own_request() {
        let mut log = RequestLog::new(3);
        let seqs: Vec<u64> = (0..5).map(|i| log.push(request(&format!("/r{i}")))).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4]);
        assert_eq!(log.entries.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/r2", "/r3", "/r4"]);
        assert!(log.get_mut(1).is_none(), "a dropped request's outcome goes nowhere");
        log.get_mut(3).unwrap().status = 204;
        assert_eq!(log.entries[1].status, 204);
        // Taken (or cleared) while a request is still being answered: its outcome does not land on a newer one.
        assert_eq!(log.take().len(), 3);
        let newer = log.push(request("/r5"));
        assert_eq!(newer, 5);
        assert!(log.get_mut(4).is_none());
        assert_eq!(log.entries[0].status, 0);
    }
}
