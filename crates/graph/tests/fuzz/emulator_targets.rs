//! Fuzz targets in the emulator: random and mutated requests — methods, URLs, query options, headers, bodies — sent
//! in-process (`tower::ServiceExt::oneshot`) to the router `mgpresence_emulator::app` builds, the one the emulator
//! serves. Graph routes must answer a Graph error envelope or a success, never a 5xx (no fault is injected there);
//! identity routes an OAuth-shaped error or a success; control routes anything but a 5xx.

use crate::harness::Rng;
use crate::inputs;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use mgpresence_catalog::examples::{EXAMPLE_APP, EXAMPLE_USER, example_body};
use mgpresence_domain::{BodyKind, GraphError, PresenceAction};
use mgpresence_emulator::EmulatorConfig;
use mgpresence_emulator::server::{AppState, DEMO_APP_ID, DEMO_APP_SECRET, DEMO_MANAGED_IDENTITY_ID, DEMO_USER_ID};
use mgpresence_emulator::throttle::{FaultRates, ThrottleLimits};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::OnceLock;
use tower::ServiceExt;

/// The presence action names, from the catalog's operations.
fn action_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = mgpresence_catalog::all_cmdlets()
            .iter()
            .filter_map(|c| match c.spec.operation.action {
                Some(mgpresence_catalog::Action::Presence(action)) => Some(action.name()),
                _ => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    })
}

/// One request to the emulator.
#[derive(Clone)]
pub struct EmulatorRequest {
    method: String,
    uri: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl std::fmt::Debug for EmulatorRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, inputs::Lossy<'_>)> = self.headers.iter().map(|(n, v)| (n.as_str(), inputs::Lossy(v))).collect();
        f.debug_struct("EmulatorRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", &headers)
            .field("body", &inputs::Lossy(&self.body))
            .finish()
    }
}

/// Text as a path segment: everything but unreserved characters percent-encoded.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn version(rng: &mut Rng) -> String {
    match rng.below(12) {
        0..=5 => "v1.0".into(),
        6..=9 => "beta".into(),
        10 => (*rng.pick(&["V1.0", "v2", "", "%761.0", "v1.0.", "BETA"])).into(),
        _ => segment(&inputs::text(rng)),
    }
}

fn user_id(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=3 => EXAMPLE_USER.into(),
        4 => DEMO_USER_ID.to_ascii_uppercase(),
        5 => "a%40b.com".into(),
        6 => (*rng.pick(&["%FF%FE", "%C0%AF", "%00", "%ZZ", "%", "%2F", "..", "."])).into(),
        _ => segment(&inputs::text(rng)),
    }
}

fn action(rng: &mut Rng) -> String {
    let name = *rng.pick(action_names());
    match rng.below(8) {
        0..=3 => name.into(),
        4 => format!("microsoft.graph.{name}"),
        5 => name.to_ascii_uppercase(),
        6 => segment(&inputs::mutate_text(rng, name)),
        _ => segment(&inputs::text(rng)),
    }
}

fn query(rng: &mut Rng) -> String {
    let options = ["$select", "$filter", "$top", "$skip", "$orderby", "$count", "$search", "$expand", "$format"];
    let pairs: Vec<String> = (0..rng.below(4))
        .map(|_| {
            let name = if rng.one_in(8) { segment(&inputs::text(rng)) } else { (*rng.pick(&options)).to_owned() };
            let value = match rng.below(6) {
                0 => {
                    let valid = *rng.pick(&["id eq 'a'", "id in ('a','b')", "id desc", "availability,activity"]);
                    segment(&inputs::mutate_text(rng, valid))
                }
                1 => (*rng.pick(&["18446744073709551615", "18446744073709551616", "-1", "0", "true", "1e3", "%ZZ", "%FF"])).to_owned(),
                2 => rng.below(1000).to_string(),
                _ => segment(&inputs::text(rng)),
            };
            format!("{name}={value}")
        })
        .collect();
    if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
}

/// A Graph path and the body kind it takes (for the body), for one of the emulator's Graph routes or a random one.
fn graph_path(rng: &mut Rng) -> (String, &'static str, Option<BodyKind>) {
    let (v, id) = (version(rng), user_id(rng));
    let action_of = |rng: &mut Rng| {
        let a = action(rng);
        let kind = PresenceAction::from_segment(&a).and_then(PresenceAction::body);
        (a, kind)
    };
    match rng.below(12) {
        0 => (format!("/{v}/users/{id}/presence"), "GET", None),
        1 | 2 => {
            let (a, kind) = action_of(rng);
            (format!("/{v}/users/{id}/presence/{a}"), "POST", kind)
        }
        3 => (format!("/{v}/communications/presences/{id}"), "GET", None),
        4 => {
            let (a, kind) = action_of(rng);
            (format!("/{v}/communications/presences/{id}/{a}"), "POST", kind)
        }
        5 => (format!("/{v}/me/presence"), "GET", None),
        6 => {
            let (a, kind) = action_of(rng);
            (format!("/{v}/me/presence/{a}"), "POST", kind)
        }
        7 => (format!("/{v}/communications/presences"), "GET", None),
        8 => (format!("/{v}/communications/presences/$count"), "GET", None),
        9 => (format!("/{v}/communications/{}", if rng.bool() { "getPresencesByUserId".into() } else { action(rng) }), "POST", Some(BodyKind::GetPresencesByUserId)),
        10 => (format!("/{v}/$batch"), "POST", None),
        _ => (format!("/{}/{}", segment(&inputs::text(rng)), segment(&inputs::text(rng))), "GET", None),
    }
}

fn method(rng: &mut Rng, usual: &str) -> String {
    match rng.below(10) {
        0..=6 => usual.into(),
        7 => (*rng.pick(&["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"])).into(),
        8 => usual.to_ascii_lowercase(),
        _ => (*rng.pick(&["FOO", "M-SEARCH", "PROPFIND", "TRACE"])).into(),
    }
}

/// Stands for a token the emulator issued (client credentials of the demo app), put in when the request is sent.
const ISSUED_TOKEN: &str = "Bearer {issued}";

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    bytes
        .chunks(3)
        .flat_map(|chunk| {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            (0..=chunk.len()).map(move |i| ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char)
        })
        .collect()
}

fn random_headers(rng: &mut Rng, content_type: &str) -> Vec<(String, Vec<u8>)> {
    let mut headers = Vec::new();
    match rng.below(10) {
        0 => {}
        1 => headers.push(("authorization".into(), rng.pick(&["Bearer ", "Basic dXNlcg==", "bearer x", "Bearer \u{00e9}"]).as_bytes().to_vec())),
        2 => headers.push(("authorization".into(), inputs::bytes(rng, 40))),
        3 => {
            // JWT-shaped: three base64url parts, decoded without verification for the throttling key.
            let part = |rng: &mut Rng| {
                let raw = if rng.bool() { inputs::text(rng) } else { json!({"appid": inputs::text(rng), "tid": inputs::text(rng)}).to_string() };
                base64_url(raw.as_bytes())
            };
            let token = format!("Bearer eyJhbGciOiJIUzI1NiJ9.{}.{}", part(rng), part(rng));
            headers.push(("authorization".into(), token.into_bytes()));
        }
        4 | 5 => headers.push(("authorization".into(), ISSUED_TOKEN.as_bytes().to_vec())),
        _ => headers.push(("authorization".into(), format!("Bearer token-{}", rng.below(4)).into_bytes())),
    }
    if rng.below(5) != 0 {
        headers.push(("content-type".into(), content_type.as_bytes().to_vec()));
    } else if rng.bool() {
        headers.push(("content-type".into(), inputs::text(rng).into_bytes()));
    }
    if rng.bool() {
        headers.push(("client-request-id".into(), inputs::text(rng).into_bytes()));
    }
    for _ in 0..rng.below(3) {
        headers.push((inputs::text(rng), inputs::text(rng).into_bytes()));
    }
    headers
}

/// A `$batch` body: up to a few more requests than allowed, each valid-looking or not, sometimes nested.
fn batch_body(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 && rng.one_in(30) {
        // A chain of batches inside batches, up to past JSON's nesting limit.
        return (0..1 + rng.below(45)).fold(json!({"requests": [{"id": "0", "method": "GET", "url": "/me/presence"}]}), |inner, _| {
            json!({"requests": [{"id": "0", "method": "POST", "url": "/$batch", "headers": {"Content-Type": "application/json"}, "body": inner}]})
        });
    }
    let count = *rng.pick(&[0, 1, 2, 3, 5, 20, 21]);
    let ids: Vec<String> = (0..count).map(|i| if rng.one_in(10) { "1".to_owned() } else { i.to_string() }).collect();
    let requests: Vec<Value> = (0..count)
        .map(|i| {
            let (path, usual, kind) = graph_path(rng);
            // Batch urls are relative to the version: drop the version segment most of the time.
            let url = match rng.below(8) {
                0 => format!("https://graph.microsoft.com{path}"),
                1 if depth < 2 => "/$batch".to_owned(),
                2 => path.clone(),
                _ => path.splitn(3, '/').nth(2).map(|rest| format!("/{rest}")).unwrap_or(path.clone()),
            };
            let mut request = json!({"id": ids[i], "method": method(rng, usual), "url": url});
            if url == "/$batch" {
                request["body"] = batch_body(rng, depth + 1);
                request["headers"] = json!({"Content-Type": "application/json"});
            } else if let Some(kind) = kind {
                request["body"] = inputs::json_from(rng, &example_body(kind));
                if rng.below(5) != 0 {
                    request["headers"] = json!({"Content-Type": "application/json"});
                }
            }
            if i > 0 && rng.one_in(3) {
                request["dependsOn"] = json!([ids[rng.below(i)]]);
            }
            request
        })
        .collect();
    let batch = json!({ "requests": requests });
    if rng.one_in(4) { inputs::mutate_json(rng, &batch) } else { batch }
}

pub fn graph_request(rng: &mut Rng) -> EmulatorRequest {
    let (path, usual, kind) = graph_path(rng);
    let method = method(rng, usual);
    let body = if path.ends_with("/$batch") {
        let batch = batch_body(rng, 0).to_string().into_bytes();
        if rng.below(6) == 0 { inputs::mutate_bytes(rng, &batch) } else { batch }
    } else if let Some(kind) = kind {
        let valid = if kind == BodyKind::GetPresencesByUserId && rng.one_in(10) {
            json!({"ids": (0..651).map(|i| format!("u{i}")).collect::<Vec<_>>()})
        } else {
            example_body(kind)
        };
        inputs::body_from(rng, &valid)
    } else if rng.one_in(5) {
        inputs::body_from(rng, &json!({}))
    } else {
        Vec::new()
    };
    EmulatorRequest { method, uri: format!("{path}{}", query(rng)), headers: random_headers(rng, "application/json"), body }
}

/// Builds the request; `None` when the method, URI or a header cannot be carried by HTTP at all (an HTTP parser
/// would refuse it before the emulator saw it). Headers that cannot be carried are left out.
fn build(request: &EmulatorRequest) -> Option<Request<Body>> {
    let method = Method::from_bytes(request.method.as_bytes()).ok()?;
    let mut builder = Request::builder().method(method).uri(&request.uri);
    for (name, value) in &request.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) {
            builder = builder.header(name, value);
        }
    }
    builder.body(Body::from(request.body.clone())).ok()
}

/// An answer: status, headers, and the body (or why it could not be read).
type Answer = (u16, Vec<(String, String)>, Result<Vec<u8>, String>);

/// A fresh emulator every so many inputs, so state (users, recorded requests) stays small; every other one accepts
/// only tokens it issued (and one it issued is at hand). It counts the answers by status class, to show the inputs
/// reach past the first checks.
pub struct InProcess {
    current: RefCell<Current>,
    runtime: tokio::runtime::Runtime,
    answers: RefCell<std::collections::BTreeMap<String, usize>>,
}

struct Current {
    router: Router,
    state: Arc<AppState>,
    inputs: usize,
    generation: usize,
    issued_token: String,
}

const INPUTS_PER_EMULATOR: usize = 200;

fn fuzz_config() -> EmulatorConfig {
    // Throttling off: a 429 is a valid answer, but it would hide the routes behind it.
    EmulatorConfig { throttle: ThrottleLimits { enabled: false, ..ThrottleLimits::default() }, ..EmulatorConfig::default() }
}

impl InProcess {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let current = Self::fresh(&runtime, 0);
        Self { current: RefCell::new(current), runtime, answers: RefCell::default() }
    }

    fn fresh(runtime: &tokio::runtime::Runtime, generation: usize) -> Current {
        let config = EmulatorConfig { require_issued_tokens: generation % 2 == 1, ..fuzz_config() };
        let (router, state) = mgpresence_emulator::app(config, "http://emulator.fuzz");
        let form = format!("grant_type=client_credentials&client_id={DEMO_APP_ID}&client_secret={DEMO_APP_SECRET}&scope=.default");
        let request = Request::post("/common/oauth2/v2.0/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("a valid request");
        let issued_token = runtime.block_on(async {
            let response = router.clone().oneshot(request).await.expect("the router is infallible");
            let body = to_bytes(response.into_body(), usize::MAX).await.expect("a token answer");
            serde_json::from_slice::<Value>(&body).expect("a token answer is JSON")["access_token"].as_str().expect("a token").to_owned()
        });
        Current { router, state, inputs: 0, generation, issued_token }
    }

    /// `answers: 2xx 123, 4xx 456, …` — how the inputs were answered.
    pub fn answers(&self) -> String {
        let counts: Vec<String> = self.answers.borrow().iter().map(|(class, n)| format!("{class} {n}")).collect();
        format!("answers: {}\n", counts.join(", "))
    }

    /// Sends one request; `None` when it cannot be built.
    fn send(&self, request: &EmulatorRequest) -> Option<Answer> {
        let (router, issued_token) = self.router();
        let mut request = request.clone();
        for (name, value) in &mut request.headers {
            if name == "authorization" && value == ISSUED_TOKEN.as_bytes() {
                *value = format!("Bearer {issued_token}").into_bytes();
            }
        }
        let Some(built) = build(&request) else {
            *self.answers.borrow_mut().entry("not sendable".into()).or_default() += 1;
            return None;
        };
        self.runtime.block_on(async move {
            let response = router.oneshot(built).await.expect("the router is infallible");
            let status = response.status().as_u16();
            let headers = response.headers().iter().map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
            let body = to_bytes(response.into_body(), usize::MAX).await.map(|b| b.to_vec()).map_err(|e| e.to_string());
            *self.answers.borrow_mut().entry(format!("{}xx", status / 100)).or_default() += 1;
            Some((status, headers, body))
        })
    }

    fn router(&self) -> (Router, String) {
        let mut current = self.current.borrow_mut();
        current.inputs += 1;
        if current.inputs > INPUTS_PER_EMULATOR {
            *current = Self::fresh(&self.runtime, current.generation + 1);
            current.inputs = 1;
        }
        (current.router.clone(), current.issued_token.clone())
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A Graph error envelope with the correlation data (graph-presence-api.md §5.1).
fn graph_error(status: u16, headers: &[(String, String)], body: &[u8]) -> Result<(), String> {
    if !header(headers, "content-type").is_some_and(|t| t.starts_with("application/json")) {
        return Err(format!("{status} with content type {:?}: {:?}", header(headers, "content-type"), String::from_utf8_lossy(body)));
    }
    let error = GraphError::parse(body).ok_or_else(|| format!("{status} is not a Graph error: {:?}", String::from_utf8_lossy(body)))?;
    let inner = error.error.inner_error.as_ref().ok_or("no innerError")?;
    if error.error.code.is_empty() || error.error.message.is_empty() || inner.request_id.is_none() || inner.date.is_none() {
        return Err(format!("{status}: incomplete Graph error {error:?}"));
    }
    Ok(())
}

/// Inside a `$batch` answer: each item has a status under 500 and, when it failed, an `error` with code and message
/// (except the answer to a HEAD item, which has no body by HTTP's rules).
fn batch_items(request: &[u8], body: &Value) -> Result<(), String> {
    let sent: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let method_of = |id: &Value| {
        sent["requests"].as_array().and_then(|r| r.iter().find(|i| i["id"] == *id)).and_then(|i| i["method"].as_str()).unwrap_or_default().to_owned()
    };
    for item in body.get("responses").and_then(Value::as_array).ok_or("a batch answer without responses")? {
        let status = item.get("status").and_then(Value::as_u64).ok_or_else(|| format!("a batch item without status: {item}"))?;
        if status >= 500 {
            return Err(format!("a batch item answered {status}: {item}"));
        }
        if status >= 400 && !method_of(&item["id"]).eq_ignore_ascii_case("HEAD") {
            let error = &item["body"]["error"];
            if error["code"].as_str().is_none_or(str::is_empty) || !error["message"].is_string() {
                return Err(format!("a failed batch item without a Graph error: {item}"));
            }
        }
    }
    Ok(())
}

/// The Graph routes answer every request with a Graph-shaped error or a success, and never a 5xx.
pub fn check_graph(emulator: &InProcess, request: &EmulatorRequest) -> Result<(), String> {
    let Some((status, headers, body)) = emulator.send(request) else { return Ok(()) };
    let body = body.map_err(|e| format!("{status}: the body could not be read: {e}"))?;
    if status >= 500 {
        return Err(format!("{status}: {:?}", String::from_utf8_lossy(&body)));
    }
    if header(&headers, "request-id").is_none() {
        return Err(format!("{status} without a request-id header"));
    }
    if request.method.eq_ignore_ascii_case("HEAD") {
        return Ok(());
    }
    if status >= 400 {
        return graph_error(status, &headers, &body);
    }
    if body.is_empty() {
        return Ok(());
    }
    if header(&headers, "content-type").is_some_and(|t| t.starts_with("text/plain")) {
        return String::from_utf8_lossy(&body).parse::<u64>().map(drop).map_err(|_| format!("a text answer that is not a count: {:?}", String::from_utf8_lossy(&body)));
    }
    let json: Value = serde_json::from_slice(&body).map_err(|_| format!("{status}: not JSON: {:?}", String::from_utf8_lossy(&body)))?;
    if request.uri.split('?').next().is_some_and(|p| p.ends_with("/$batch")) && status == 200 {
        batch_items(&request.body, &json)?;
    }
    Ok(())
}

// ---- identity and control routes ---------------------------------------------------------------------------

fn form(rng: &mut Rng, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    for _ in 0..rng.below(3) {
        match rng.below(4) {
            0 if !pairs.is_empty() => {
                pairs.remove(rng.below(pairs.len()));
            }
            1 if !pairs.is_empty() => {
                let at = rng.below(pairs.len());
                pairs[at].1 = inputs::mutate_text(rng, &pairs[at].1);
            }
            2 if !pairs.is_empty() => pairs.push(pairs[rng.below(pairs.len())].clone()),
            _ => pairs.push((inputs::text(rng), inputs::text(rng))),
        }
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default().into_bytes();
    if rng.one_in(8) { inputs::mutate_bytes(rng, &encoded) } else { encoded }
}

pub fn identity_or_control_request(rng: &mut Rng) -> EmulatorRequest {
    let tenant = *rng.pick(&["common", "organizations", "00000000-0000-0000-0000-00000000c0de", "other", "%FF"]);
    let graph_scope = "https://graph.microsoft.com/.default";
    let (method_name, uri, content_type, body): (&str, String, &str, Vec<u8>) = match rng.below(16) {
        0 | 1 => ("POST", format!("/{tenant}/oauth2/v2.0/token"), "application/x-www-form-urlencoded", form(rng, &[
            ("grant_type", "client_credentials"), ("client_id", DEMO_APP_ID), ("client_secret", DEMO_APP_SECRET), ("scope", graph_scope),
        ])),
        2 => ("POST", format!("/{tenant}/oauth2/v2.0/token"), "application/x-www-form-urlencoded", form(rng, &[
            ("grant_type", "client_credentials"), ("client_id", DEMO_APP_ID),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        ])),
        3 => ("POST", format!("/{tenant}/oauth2/v2.0/token"), "application/x-www-form-urlencoded", form(rng, &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", DEMO_APP_ID), ("device_code", "dc"),
        ])),
        4 => ("POST", format!("/{tenant}/oauth2/v2.0/devicecode"), "application/x-www-form-urlencoded", form(rng, &[
            ("client_id", DEMO_APP_ID), ("scope", "Presence.Read offline_access"),
        ])),
        5 => ("GET", format!("/msi/token?resource=https://graph.microsoft.com&api-version=2019-08-01{}", if rng.bool() { format!("&client_id={}", segment(&inputs::mutate_text(rng, DEMO_MANAGED_IDENTITY_ID))) } else { String::new() }), "", Vec::new()),
        6 => ("GET", format!("/metadata/identity/oauth2/token{}", query(rng)), "", Vec::new()),
        7 => ("POST", "/_emulator/faults".into(), "application/json", inputs::body_from(rng, &json!({"method": "POST", "pathContains": "setPresence", "status": 503, "code": "ServiceUnavailable", "message": "m", "retryAfter": 1, "times": 1}))),
        8 => ("POST", "/_emulator/clock".into(), "application/json", {
            let advance = *rng.pick(&["PT5M", "-PT5M", "P10675199DT2H48M5.4775807S", "-P10675199D", "PT175307617H", "P7304484D"]);
            inputs::body_from(rng, &json!({ "advance": advance }))
        }),
        9 => ("POST", "/_emulator/auth".into(), "application/json", {
            let require = rng.bool();
            inputs::body_from(rng, &json!({ "requireIssuedTokens": require }))
        }),
        10 => ("POST", "/_emulator/throttling".into(), "application/json", inputs::body_from(rng, &json!({"enabled": true, "requests": 10, "reads": 5, "windowSeconds": 30}))),
        11 => ("POST", "/_emulator/fault-rates".into(), "application/json", inputs::body_from(rng, &json!({"throttled": 0.1, "unavailable": 0.1, "delayMs": 0}))),
        12 => ("POST", "/_emulator/apps".into(), "application/json", inputs::body_from(rng, &json!({"clientId": EXAMPLE_APP, "secrets": ["s"], "roles": ["Presence.ReadWrite.All"], "scopes": [], "managedIdentity": false}))),
        13 => ("POST", "/_emulator/users".into(), "application/json", inputs::body_from(rng, &json!({"id": EXAMPLE_USER, "userPrincipalName": "u@contoso.example"}))),
        14 => ("POST", "/_emulator/devicecode/complete".into(), "application/json", inputs::body_from(rng, &json!({"userCode": "ABCDEFGHI", "userId": DEMO_USER_ID}))),
        _ => {
            let paths = ["/_emulator/requests", "/_emulator/health", "/_emulator/clock", "/_emulator/auth", "/_emulator/throttling", "/_emulator/fault-rates", "/_emulator/tokens/revoke", "/_emulator/faults"];
            (*rng.pick(&["GET", "DELETE", "POST"]), (*rng.pick(&paths)).to_owned(), "application/json", Vec::new())
        }
    };
    let mut headers = random_headers(rng, content_type);
    match rng.below(3) {
        0 => headers.push(("x-identity-header".into(), b"mgpresence-emulator-identity-header".to_vec())),
        1 => headers.push(("metadata".into(), b"true".to_vec())),
        _ => {}
    }
    EmulatorRequest { method: method(rng, method_name), uri, headers, body }
}

fn is_identity_path(uri: &str) -> bool {
    let path = uri.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    matches!(segments.as_slice(), ["", _, "oauth2", "v2.0", "token" | "devicecode"]) || path == "/msi/token" || path == "/metadata/identity/oauth2/token"
}

/// Identity and control routes never answer a 5xx; identity errors have the OAuth shape (`{"error": "…"}`).
/// After each input the injected faults, fault rates and throttling are reset (they only act on Graph routes);
/// the clock keeps its moves, so later inputs run at far times too.
pub fn check_identity_or_control(emulator: &InProcess, request: &EmulatorRequest) -> Result<(), String> {
    let sent = emulator.send(request);
    {
        let current = emulator.current.borrow();
        let state = &current.state;
        state.faults.lock().expect("faults lock").clear();
        state.throttle.set_rates(FaultRates::default());
        state.throttle.set_limits(ThrottleLimits { enabled: false, ..ThrottleLimits::default() });
    }
    let Some((status, headers, body)) = sent else { return Ok(()) };
    let body = body.map_err(|e| format!("{status}: the body could not be read: {e}"))?;
    if status >= 500 {
        return Err(format!("{status}: {:?}", String::from_utf8_lossy(&body)));
    }
    if is_identity_path(&request.uri) && status >= 400 && !request.method.eq_ignore_ascii_case("HEAD") {
        let oauth = serde_json::from_slice::<Value>(&body).ok().is_some_and(|b| b["error"].is_string());
        // A 405 for a method the route does not have is the HTTP layer's answer, not the identity provider's.
        if !oauth && status != 405 {
            return Err(format!("identity route answered {status} without an OAuth error: {:?} {:?}", header(&headers, "content-type"), String::from_utf8_lossy(&body)));
        }
    }
    Ok(())
}
