//! What tests see of the emulator under `/_emulator/`: the requests it received, faults to inject, and the clock.
//!
//! - `GET /_emulator/requests` → `{"requests":[{method, path, query, headers, body}]}`; `DELETE` forgets them.
//!   Authorization and Proxy-Authorization values are recorded as `<scheme> <redacted>`: secrets never leave the
//!   request.
//! - `POST /_emulator/faults` with a [`Fault`]; `DELETE /_emulator/faults` removes them all.
//! - `POST /_emulator/clock` with `{"advance":"PT5M"}` (`"-PT5M"` moves it back); `GET /_emulator/clock` →
//!   `{"now", "offset"}`.
//! - `GET /_emulator/health` → `{"status":"ok"}`.
//! - `GET/POST /_emulator/throttling` and `/_emulator/fault-rates` (see [`crate::throttle`]).
//! - `POST /_emulator/auth` with `{"requireIssuedTokens": true|false}`; `GET` tells the mode and the tenant id.

use crate::graph_response::{GraphFailure, RequestContext, add_correlation_headers};
use crate::server::AppState;
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mgpresence_domain::IsoDuration;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The largest request body the emulator reads (4 MiB); a larger one is answered 413 `RequestEntityTooLarge`.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// A request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case; repeated headers joined by `,`.
    pub headers: Map<String, Value>,
    /// The body as JSON when it is JSON, as a string otherwise, null when empty.
    pub body: Value,
    /// When it arrived, by the emulator's clock.
    #[serde(default)]
    pub at: String,
    /// The status the emulator answered with.
    #[serde(default)]
    pub status: u16,
    /// The Retry-After the emulator answered with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
}

/// A failure the emulator answers matching requests with, instead of handling them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Only requests with this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path, or path and query (`/v1.0/communications/presences?$skip=2`), contain this text
    /// (any when absent).
    #[serde(default)]
    pub path_contains: Option<String>,
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Sent as the Retry-After header (seconds).
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// How many requests to fail; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    pub(crate) fn matches(&self, method: &str, path_and_query: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path_contains.as_deref().is_none_or(|p| path_and_query.contains(p))
            && self.times != Some(0)
    }
}

/// The middleware every Graph request passes: correlation ids, recording, faults, authentication.
pub async fn graph_middleware(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let client_request_id =
        request.headers().get("client-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let ctx = RequestContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id,
        date: state.clock.now().strftime("%Y-%m-%dT%H:%M:%S").to_string(),
    };
    let (mut parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let mut response = GraphFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("The request body is larger than {MAX_BODY} bytes, or could not be read whole."),
            )
            .into_response_for(&ctx);
            add_correlation_headers(response.headers_mut(), &ctx);
            return response;
        }
    };
    let path = parts.uri.path().to_owned();
    let recorded_index = state.record(RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: recorded_headers(&parts.headers),
        body: recorded_body(&bytes),
        at: state.clock.now().to_string(),
        status: 0,
        retry_after: None,
    });

    let path_and_query = parts.uri.path_and_query().map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let mut response = if let Some(fault) = state.take_fault(parts.method.as_str(), &path_and_query) {
        GraphFailure {
            status: StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: fault.code,
            message: fault.message,
            inner_code: None,
            retry_after: fault.retry_after,
            reset_connection: false,
        }
        .into_response_for(&ctx)
    } else if let Err(failure) = state.authenticate(parts.method.as_str(), &path, &parts.headers) {
        failure.into_response_for(&ctx)
    } else if let Err(failure) = state.throttle(parts.method.as_str(), &path, &parts.headers).await {
        failure.into_response_for(&ctx)
    } else {
        parts.extensions.insert(ctx.clone());
        graph_shaped(next.run(Request::from_parts(parts, Body::from(bytes))).await, &ctx).await
    };
    add_correlation_headers(response.headers_mut(), &ctx);
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.record_outcome(recorded_index, response.status().as_u16(), retry_after);
    response
}

/// An error answer that is not a Graph error envelope — axum's own rejections, such as a path segment that does not
/// decode to UTF-8 — turned into one with the same status, as Graph answers every error.
async fn graph_shaped(response: Response, ctx: &RequestContext) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = to_bytes(response.into_body(), 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge".to_owned(),
        other => other.canonical_reason().unwrap_or("Error").replace([' ', '-'], ""),
    };
    let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("Error").to_owned() } else { text };
    GraphFailure::new(status, &code, message).into_response_for(ctx)
}

fn recorded_headers(headers: &axum::http::HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                if name == axum::http::header::AUTHORIZATION || name == axum::http::header::PROXY_AUTHORIZATION {
                    let text = v.to_str().unwrap_or_default();
                    let scheme = text.split_whitespace().next().unwrap_or_default();
                    format!("{scheme} <redacted>")
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                }
            })
            .collect();
        out.insert(name.as_str().to_owned(), Value::String(values.join(",")));
    }
    out
}

fn recorded_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    }
}

pub async fn list_requests(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "requests": state.requests() }))
}

pub async fn clear_requests(State(state): State<Arc<AppState>>) -> StatusCode {
    state.clear_requests();
    StatusCode::NO_CONTENT
}

pub async fn add_fault(State(state): State<Arc<AppState>>, Json(fault): Json<Fault>) -> StatusCode {
    state.faults.lock().expect("faults lock").push(fault);
    StatusCode::CREATED
}

/// `GET /_emulator/lapses`: every presence session that faded or expired before it was set again, by the service's
/// rules and the emulator's clock (`until` null: still lapsed).
pub async fn list_lapses(State(state): State<Arc<AppState>>) -> Json<Value> {
    let now = state.clock.now();
    let lapses = state.store.lock().expect("store lock").lapses(now);
    Json(json!({ "lapses": lapses }))
}

/// `DELETE /_emulator/lapses`: forgets the recorded lapses (those of sessions lapsed now stay).
pub async fn clear_lapses(State(state): State<Arc<AppState>>) -> StatusCode {
    state.store.lock().expect("store lock").clear_lapses();
    StatusCode::NO_CONTENT
}

pub async fn clear_faults(State(state): State<Arc<AppState>>) -> StatusCode {
    state.faults.lock().expect("faults lock").clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct ClockChange {
    advance: String,
}

pub async fn advance_clock(State(state): State<Arc<AppState>>, Json(change): Json<ClockChange>) -> Response {
    // A leading '-' moves the clock back (to undo an advance).
    let (back, text) = match change.advance.trim().strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, change.advance.clone()),
    };
    match text.parse::<IsoDuration>() {
        Ok(d) => {
            let by = d.as_signed_duration();
            state.clock.advance(if back { -by } else { by });
            clock_json(&state).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

pub async fn get_clock(State(state): State<Arc<AppState>>) -> Json<Value> {
    clock_json(&state)
}

fn clock_json(state: &AppState) -> Json<Value> {
    let offset = IsoDuration::try_from_signed(state.clock.offset()).map(|d| d.to_string()).unwrap_or_default();
    Json(json!({"now": state.clock.now().to_string(), "offset": offset}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMode {
    #[serde(default)]
    require_issued_tokens: Option<bool>,
    /// How long the tokens issued from now on last, in seconds.
    #[serde(default)]
    token_lifetime_seconds: Option<u32>,
}

/// `POST /_emulator/auth {"requireIssuedTokens": true, "tokenLifetimeSeconds": 301}`: Graph endpoints accept only
/// tokens the emulator issued; the tokens issued from now on last that long. Either member may be left out.
pub async fn set_auth(State(state): State<Arc<AppState>>, Json(mode): Json<AuthMode>) -> Json<Value> {
    if let Some(required) = mode.require_issued_tokens {
        state.require_issued_tokens.store(required, std::sync::atomic::Ordering::SeqCst);
    }
    if let Some(seconds) = mode.token_lifetime_seconds {
        state.identity.set_token_lifetime(jiff::SignedDuration::from_secs(i64::from(seconds.max(1))));
    }
    get_auth(State(state)).await
}

pub async fn get_auth(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({
        "requireIssuedTokens": state.require_issued_tokens.load(std::sync::atomic::Ordering::SeqCst),
        "tenantId": state.identity.tenant_id(),
        "tokenLifetimeSeconds": state.identity.token_lifetime().as_secs(),
    }))
}

pub async fn get_throttling(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(serde_json::to_value(state.throttle.limits()).expect("limits serialize"))
}

/// `POST /_emulator/throttling {"enabled", "requests", "reads", "windowSeconds"}`.
pub async fn set_throttling(State(state): State<Arc<AppState>>, Json(limits): Json<crate::throttle::ThrottleLimits>) -> Json<Value> {
    state.throttle.set_limits(limits);
    get_throttling(State(state)).await
}

pub async fn get_fault_rates(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(serde_json::to_value(state.throttle.rates()).expect("rates serialize"))
}

/// `POST /_emulator/fault-rates {"throttled", "unavailable", "gatewayTimeout", "delayed", "delayMs", "retryAfterSeconds"}`.
pub async fn set_fault_rates(State(state): State<Arc<AppState>>, Json(rates): Json<crate::throttle::FaultRates>) -> Json<Value> {
    state.throttle.set_rates(rates);
    get_fault_rates(State(state)).await
}

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
