//! The Graph presence endpoints, in every URL form the service accepts: `/me/presence`, `/users/{id}/presence` and
//! `/communications/presences/{id}`, each under `/v1.0` and `/beta`, with action segments plain (`setPresence`) or
//! namespace-qualified (`microsoft.graph.setPresence`).

use crate::graph_response::{GraphFailure, RequestContext};
use crate::server::AppState;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mgpresence_domain::{
    ClearPresenceRequest, PresenceAction, RuleViolation, SetPresenceRequest, SetUserPreferredPresenceRequest,
};
use serde_json::{Map, Value};
use std::sync::Arc;

type Ctx = Extension<RequestContext>;
type QueryPairs = Query<Vec<(String, String)>>;

pub fn graph_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/{version}/users/{user_id}/presence", get(get_user_presence))
        .route("/{version}/users/{user_id}/presence/{action}", post(user_action))
        .route("/{version}/me/presence", get(get_my_presence))
        .route("/{version}/me/presence/{action}", post(my_action))
        .route("/{version}/communications/presences/{presence_id}", get(get_user_presence))
        .route("/{version}/communications/presences/{presence_id}/{action}", post(user_action))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(unknown_segment)
}

fn check_version(version: &str) -> Result<(), GraphFailure> {
    match version {
        "v1.0" | "beta" => Ok(()),
        other => Err(GraphFailure::bad_request(format!("Invalid version: {other}"))),
    }
}

async fn get_user_presence(
    State(state): State<Arc<AppState>>,
    Extension(ctx): Ctx,
    Path((version, user_id)): Path<(String, String)>,
    Query(query): QueryPairs,
) -> Response {
    presence(&state, &ctx, &version, &user_id, &query).unwrap_or_else(|f| f.into_response_for(&ctx))
}

async fn get_my_presence(
    State(state): State<Arc<AppState>>,
    Extension(ctx): Ctx,
    Path(version): Path<String>,
    Query(query): QueryPairs,
) -> Response {
    let me = state.config.signed_in_user.clone();
    presence(&state, &ctx, &version, &me, &query).unwrap_or_else(|f| f.into_response_for(&ctx))
}

async fn user_action(
    State(state): State<Arc<AppState>>,
    Extension(ctx): Ctx,
    Path((version, user_id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    apply_action(&state, &version, &user_id, &action, &headers, &body).unwrap_or_else(|f| f.into_response_for(&ctx))
}

async fn my_action(
    State(state): State<Arc<AppState>>,
    Extension(ctx): Ctx,
    Path((version, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let me = state.config.signed_in_user.clone();
    apply_action(&state, &version, &me, &action, &headers, &body).unwrap_or_else(|f| f.into_response_for(&ctx))
}

async fn method_not_allowed(Extension(ctx): Ctx) -> Response {
    GraphFailure::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "The HTTP method is not allowed for this resource.")
        .into_response_for(&ctx)
}

async fn unknown_segment(Extension(ctx): Ctx, uri: axum::http::Uri) -> Response {
    let segment = uri.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or_default().to_owned();
    GraphFailure::bad_request(format!("Resource not found for the segment '{segment}'.")).into_response_for(&ctx)
}

fn presence(state: &AppState, _ctx: &RequestContext, version: &str, user_id: &str, query: &[(String, String)]) -> Result<Response, GraphFailure> {
    check_version(version)?;
    let presence = state.store.lock().expect("store lock").presence(user_id, state.clock.now());
    let mut body = match serde_json::to_value(&presence).expect("presence serializes") {
        Value::Object(map) => map,
        _ => unreachable!("a presence is an object"),
    };
    if let Some((_, select)) = query.iter().find(|(k, _)| k.eq_ignore_ascii_case("$select")) {
        let wanted: Vec<&str> = select.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        body.retain(|k, _| k == "id" || wanted.iter().any(|w| w.eq_ignore_ascii_case(k)));
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        Value::String(format!("{}/{version}/$metadata#users('{user_id}')/presence/$entity", state.base_url)),
    );
    out.extend(body);
    Ok(Json(Value::Object(out)).into_response())
}

fn violation(v: RuleViolation) -> GraphFailure {
    GraphFailure {
        status: StatusCode::BAD_REQUEST,
        code: v.graph_code().to_owned(),
        message: v.to_string(),
        inner_code: Some(v.error_id().to_owned()),
        retry_after: None,
    }
}

/// Reads an action body: JSON content, an object, checked by the domain rules, then typed.
fn read_body<T: serde::de::DeserializeOwned>(
    action: PresenceAction,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, GraphFailure> {
    if let Some(content_type) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if !content_type.to_ascii_lowercase().starts_with("application/json") {
            return Err(GraphFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("The content type '{content_type}' is not supported; send application/json."),
            ));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GraphFailure::bad_request("Empty Payload. JSON content expected."));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        GraphFailure::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    })?;
    let Value::Object(map) = value else {
        return Err(violation(RuleViolation::NotAnObject { found: "a non-object JSON value".into() }));
    };
    let kind = action.body().expect("only actions with a body are read");
    let wire = kind.to_wire_body(map).map_err(violation)?;
    Ok(serde_json::from_value(wire).expect("a validated wire body is typed"))
}

fn apply_action(
    state: &AppState,
    version: &str,
    user_id: &str,
    action: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, GraphFailure> {
    check_version(version)?;
    let action = PresenceAction::from_segment(action)
        .ok_or_else(|| GraphFailure::bad_request(format!("Resource not found for the segment '{action}'.")))?;
    let now = state.clock.now();
    match action {
        PresenceAction::SetPresence => {
            let request: SetPresenceRequest = read_body(action, headers, body)?;
            state.store.lock().expect("store lock").set_presence(user_id, &request, now);
        }
        PresenceAction::ClearPresence => {
            let request: ClearPresenceRequest = read_body(action, headers, body)?;
            let session_id = request.session_id.expect("validated");
            state
                .store
                .lock()
                .expect("store lock")
                .clear_presence(user_id, &session_id, now)
                .map_err(|e| GraphFailure::not_found(e.to_string()))?;
        }
        PresenceAction::SetUserPreferredPresence => {
            let request: SetUserPreferredPresenceRequest = read_body(action, headers, body)?;
            state.store.lock().expect("store lock").set_preferred_presence(user_id, &request, now);
        }
        PresenceAction::ClearUserPreferredPresence => {
            state.store.lock().expect("store lock").clear_preferred_presence(user_id);
        }
    }
    Ok(StatusCode::OK.into_response())
}
