//! The HTTP side of the identity provider (see [`crate::identity`]): token, device code and managed-identity
//! endpoints, and the control endpoints tests use to register apps and users, complete device codes and revoke
//! tokens. Requests to these endpoints are not recorded: they carry secrets.

use crate::identity::{OAuthError, RegisteredApp, RegisteredUser, TokenResponse};
use crate::user_sign_in::AuthorizeFailure;
use crate::server::AppState;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

type Shared = State<Arc<AppState>>;

pub fn identity_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device_code))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/msi/token", get(app_service_identity))
        .route("/metadata/identity/oauth2/token", get(instance_metadata_identity))
        .route("/_emulator/apps", post(register_app))
        .route("/_emulator/users", post(register_user))
        .route("/_emulator/devicecode/complete", post(complete_device_code))
        .route("/_emulator/authorize/user", post(set_sign_in_user))
        .route("/_emulator/tokens/revoke", post(revoke))
}

fn oauth_error(e: OAuthError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({
        "error": e.error,
        "error_description": e.description,
        "error_codes": [e.description.strip_prefix("AADSTS").and_then(|d| d.split(':').next()).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)],
        "timestamp": jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": uuid::Uuid::new_v4().to_string(),
        "correlation_id": uuid::Uuid::new_v4().to_string(),
    });
    (status, Json(body)).into_response()
}

/// A request the extractors could not read (a tenant that is not UTF-8, a body that is not a form, a query that does
/// not parse), answered as Entra ID answers a malformed request: an OAuth `invalid_request`, with the status the
/// extractor chose.
fn unreadable(status: StatusCode, what: String) -> Response {
    oauth_error(OAuthError { status: status.as_u16(), error: "invalid_request", description: format!("AADSTS900144: The request could not be read: {what}") })
}

macro_rules! read_or_answer {
    ($extracted:expr) => {
        match $extracted {
            Ok(value) => value,
            Err(rejection) => return unreadable(rejection.status(), rejection.body_text()),
        }
    };
}

fn tenant_matches(state: &AppState, tenant: &str) -> bool {
    matches!(tenant.to_ascii_lowercase().as_str(), "common" | "organizations") || state.identity.tenant_id().eq_ignore_ascii_case(tenant)
}

fn unknown_tenant(tenant: &str) -> Response {
    oauth_error(OAuthError { status: 400, error: "invalid_request", description: format!("AADSTS90002: Tenant '{tenant}' not found.") })
}

/// A token endpoint's form, or the answer when the tenant or the form cannot be read or the tenant is unknown.
#[allow(clippy::result_large_err, reason = "the error is the answer itself, as axum handlers return it")]
fn tenant_form(
    state: &AppState,
    tenant: Result<Path<String>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<HashMap<String, String>, Response> {
    let Path(tenant) = tenant.map_err(|r| unreadable(r.status(), r.body_text()))?;
    let Form(form) = form.map_err(|r| unreadable(r.status(), r.body_text()))?;
    if tenant_matches(state, &tenant) { Ok(form) } else { Err(unknown_tenant(&tenant)) }
}

async fn token(
    State(state): Shared,
    tenant: Result<Path<String>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Response> {
    let form = tenant_form(&state, tenant, form)?;
    Ok(match state.identity.token(&form, state.clock.now()) {
        Ok(t) => Json(t).into_response(),
        Err(e) => oauth_error(e),
    })
}

async fn device_code(
    State(state): Shared,
    tenant: Result<Path<String>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Response> {
    let form = tenant_form(&state, tenant, form)?;
    let client_id = form.get("client_id").map(String::as_str).unwrap_or_default();
    let scope = form.get("scope").map(String::as_str).unwrap_or_default();
    let verification = format!("{}/devicelogin", state.base_url);
    Ok(match state.identity.start_device_code(client_id, scope, &verification, state.clock.now()) {
        Ok(v) => Json(v).into_response(),
        Err(e) => oauth_error(e),
    })
}

/// The managed identity token shape (expires_on in seconds since the epoch, as text).
fn managed_identity_reply(state: &AppState, t: TokenResponse, client_id: Option<&str>) -> Response {
    let expires_on = state.clock.now().as_second() + t.expires_in;
    Json(json!({
        "access_token": t.access_token,
        "expires_on": expires_on.to_string(),
        "expires_in": t.expires_in.to_string(),
        "resource": crate::identity::GRAPH_AUDIENCE,
        "token_type": "Bearer",
        "client_id": client_id.unwrap_or_default(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct IdentityQuery {
    #[serde(default)]
    client_id: Option<String>,
}

async fn app_service_identity(State(state): Shared, headers: HeaderMap, query: Result<Query<IdentityQuery>, QueryRejection>) -> Response {
    let Query(q) = read_or_answer!(query);
    let header = headers.get("x-identity-header").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !state.identity.identity_header_matches(header) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_request", "error_description": "The X-IDENTITY-HEADER is missing or wrong."}))).into_response();
    }
    match state.identity.managed_identity(q.client_id.as_deref(), state.clock.now()) {
        Ok(t) => managed_identity_reply(&state, t, q.client_id.as_deref()),
        Err(e) => oauth_error(e),
    }
}

async fn instance_metadata_identity(State(state): Shared, headers: HeaderMap, query: Result<Query<IdentityQuery>, QueryRejection>) -> Response {
    let Query(q) = read_or_answer!(query);
    if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}))).into_response();
    }
    match state.identity.managed_identity(q.client_id.as_deref(), state.clock.now()) {
        Ok(t) => managed_identity_reply(&state, t, q.client_id.as_deref()),
        Err(e) => oauth_error(e),
    }
}

async fn register_app(State(state): Shared, Json(app): Json<RegisteredApp>) -> StatusCode {
    state.identity.register_app(app);
    StatusCode::CREATED
}

async fn register_user(State(state): Shared, Json(user): Json<RegisteredUser>) -> StatusCode {
    state.identity.register_user(user);
    StatusCode::CREATED
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Completion {
    user_code: String,
    user_id: String,
}

async fn complete_device_code(State(state): Shared, Json(c): Json<Completion>) -> Response {
    match state.identity.complete_device_code(&c.user_code, &c.user_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::NOT_FOUND, Json(json!({"error": e}))).into_response(),
    }
}

/// The authorization page: no person, no form; the sign-in user signs in and the browser is sent back to the app.
async fn authorize(
    State(state): Shared,
    tenant: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let Path(tenant) = read_or_answer!(tenant);
    let Query(query) = read_or_answer!(query);
    if !tenant_matches(&state, &tenant) {
        return unknown_tenant(&tenant);
    }
    let form_post = query.get("response_mode").is_some_and(|m| m == "form_post");
    // The answer goes back to the app as Entra ID sends it: in the redirect's query, or (response_mode=form_post,
    // which MSAL asks for) as a form the page posts to the app's address.
    let answer = |location: String| {
        if !form_post {
            return (StatusCode::FOUND, [(axum::http::header::LOCATION, location)]).into_response();
        }
        let url = url::Url::parse(&location).expect("a checked redirect address");
        let mut action = url.clone();
        action.set_query(None);
        let fields: String = url
            .query_pairs()
            .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", html_escape(&k), html_escape(&v)))
            .collect();
        let page = format!(
            "<!DOCTYPE html><html><head><title>Working...</title></head><body><form method=\"POST\" name=\"hiddenform\" action=\"{}\">{fields}<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\"></noscript></form><script>document.forms[0].submit();</script></body></html>",
            html_escape(action.as_str())
        );
        (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
    };
    match state.identity.authorize_request(&query, &state.config.signed_in_user, state.clock.now()) {
        Ok(location) => answer(location),
        Err(AuthorizeFailure::Page(e)) => oauth_error(e),
        Err(AuthorizeFailure::Redirect { redirect_uri, state: app_state, error }) => {
            let mut location = url::Url::parse(&redirect_uri).expect("a checked redirect address");
            location.query_pairs_mut().append_pair("error", error.error).append_pair("error_description", &error.description);
            if let Some(app_state) = &app_state {
                location.query_pairs_mut().append_pair("state", app_state);
            }
            answer(location.to_string())
        }
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInUser {
    user_id: String,
}

async fn set_sign_in_user(State(state): Shared, Json(u): Json<SignInUser>) -> Response {
    match state.identity.set_sign_in_user(&u.user_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::NOT_FOUND, Json(json!({"error": e}))).into_response(),
    }
}

/// The optional body of `POST /_emulator/tokens/revoke`: `{"through":"PT10S"}` also revokes the tokens issued during
/// that long from now, so a test can count on a retry's fresh token being refused whatever second it is issued in.
#[derive(Deserialize, Default)]
struct Revocation {
    through: Option<String>,
}

async fn revoke(State(state): Shared, body: axum::body::Bytes) -> Response {
    let revocation: Revocation = if body.iter().all(u8::is_ascii_whitespace) {
        Revocation::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response(),
        }
    };
    let window = match revocation.through.as_deref().map(str::parse::<mgpresence_domain::IsoDuration>) {
        None => jiff::SignedDuration::ZERO,
        Some(Ok(d)) => d.as_signed_duration(),
        Some(Err(e)) => return (StatusCode::BAD_REQUEST, Json(json!({"error": format!("through: {e}")}))).into_response(),
    };
    state.identity.revoke_all(state.clock.now().saturating_add(window).unwrap_or(state.clock.now()));
    StatusCode::NO_CONTENT.into_response()
}
