//! The Graph presence endpoints, in every URL form the service accepts: `/me/presence`, `/users/{id}/presence` and
//! `/communications/presences/{id}`, each under `/v1.0` and `/beta`, with action segments plain (`setPresence`) or
//! namespace-qualified (`microsoft.graph.setPresence`); the `/communications/presences` collection (with `$filter`,
//! `$top`, `$skip`, `$count`, and `/$count`); and `getPresencesByUserId`.
//!
//! PATCH and DELETE of a presence and POST to the collection exist in Microsoft's generated cmdlets but not in the
//! service's documentation; the emulator answers them as the service was seen to (see docs/decisions.md).

use crate::graph_response::{GraphFailure, RequestContext};
use crate::server::AppState;
use crate::store::{LocationLayer, StoreError};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mgpresence_domain::{
    BodyKind, ClearPresenceRequest, GET_PRESENCES_BY_USER_ID, GetPresencesByUserIdRequest, Presence, PresenceAction, RuleViolation,
    SetLocationRequest, SetPresenceRequest, SetStatusMessageRequest, SetUserPreferredPresenceRequest,
};
use serde_json::{Map, Value, json};
use std::sync::Arc;

type Ctx = Extension<RequestContext>;
type QueryPairs = Query<Vec<(String, String)>>;
type Shared = State<Arc<AppState>>;

/// How many presences a collection page holds when the request has no `$top`.
const DEFAULT_PAGE_SIZE: usize = 100;

pub fn graph_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/{version}/users/{user_id}/presence", get(get_presence).patch(update_presence).delete(delete_presence))
        .route("/{version}/users/{user_id}/presence/{action}", post(presence_action))
        .route("/{version}/communications/presences/{user_id}", get(get_presence).patch(update_presence).delete(delete_presence))
        .route("/{version}/communications/presences/{user_id}/{action}", post(presence_action))
        .route("/{version}/me/presence", get(get_my_presence).patch(update_my_presence).delete(delete_my_presence))
        .route("/{version}/me/presence/{action}", post(my_presence_action))
        .route("/{version}/communications/presences", get(list_presences).post(create_presence))
        .route("/{version}/communications/presences/$count", get(count_presences))
        .route("/{version}/communications/{action}", post(communications_action))
        .route("/{version}/$batch", post(crate::batch::batch))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(unknown_segment)
}

fn check_version(version: &str) -> Result<(), GraphFailure> {
    match version {
        "v1.0" | "beta" => Ok(()),
        other => Err(GraphFailure::bad_request(format!("Invalid version: {other}"))),
    }
}

fn reply(result: Result<Response, GraphFailure>, ctx: &RequestContext) -> Response {
    result.unwrap_or_else(|f| f.into_response_for(ctx))
}

fn is_signed_in_user(state: &AppState, user_id: &str) -> bool {
    state.config.signed_in_user.eq_ignore_ascii_case(user_id)
}

fn presence_json(state: &AppState, user_id: &str) -> Presence {
    let reader_is_user = is_signed_in_user(state, user_id);
    state.store.lock().expect("store lock").presence(user_id, state.clock.now(), reader_is_user)
}

fn select(mut presence: Map<String, Value>, query: &[(String, String)]) -> Map<String, Value> {
    if let Some((_, wanted)) = query.iter().find(|(k, _)| k.eq_ignore_ascii_case("$select")) {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        presence.retain(|k, _| k == "id" || wanted.iter().any(|w| w.eq_ignore_ascii_case(k)));
    }
    presence
}

fn as_object(presence: &Presence) -> Map<String, Value> {
    match serde_json::to_value(presence).expect("presence serializes") {
        Value::Object(map) => map,
        _ => unreachable!("a presence is an object"),
    }
}

fn one_presence(state: &AppState, version: &str, user_id: &str, query: &[(String, String)]) -> Result<Response, GraphFailure> {
    check_version(version)?;
    let body = select(as_object(&presence_json(state, user_id)), query);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        Value::String(format!("{}/{version}/$metadata#users('{user_id}')/presence/$entity", state.base_url)),
    );
    out.extend(body);
    Ok(Json(Value::Object(out)).into_response())
}

async fn get_presence(State(state): Shared, Extension(ctx): Ctx, Path((version, user_id)): Path<(String, String)>, Query(query): QueryPairs) -> Response {
    reply(one_presence(&state, &version, &user_id, &query), &ctx)
}

async fn get_my_presence(State(state): Shared, Extension(ctx): Ctx, Path(version): Path<String>, Query(query): QueryPairs) -> Response {
    let me = state.config.signed_in_user.clone();
    reply(one_presence(&state, &version, &me, &query), &ctx)
}

async fn presence_action(
    State(state): Shared,
    Extension(ctx): Ctx,
    Path((version, user_id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    reply(apply_action(&state, &version, &user_id, &action, &headers, &body), &ctx)
}

async fn my_presence_action(
    State(state): Shared,
    Extension(ctx): Ctx,
    Path((version, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let me = state.config.signed_in_user.clone();
    reply(apply_action(&state, &version, &me, &action, &headers, &body), &ctx)
}

/// PATCH of a presence: the service answers 404 (msgraph-sdk-powershell#3287), so the emulator does too.
fn not_updatable(version: &str) -> Result<Response, GraphFailure> {
    check_version(version)?;
    Err(GraphFailure::not_found("The presence cannot be updated with PATCH; use the presence actions (setPresence, setUserPreferredPresence, setStatusMessage)."))
}

/// DELETE of a presence and POST to the collection: not operations of the presence service.
fn not_supported(version: &str, what: &str) -> Result<Response, GraphFailure> {
    check_version(version)?;
    Err(GraphFailure::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", format!("{what} is not supported by the presence service.")))
}

async fn update_presence(Extension(ctx): Ctx, Path((version, _)): Path<(String, String)>) -> Response {
    reply(not_updatable(&version), &ctx)
}

async fn update_my_presence(Extension(ctx): Ctx, Path(version): Path<String>) -> Response {
    reply(not_updatable(&version), &ctx)
}

async fn delete_presence(Extension(ctx): Ctx, Path((version, _)): Path<(String, String)>) -> Response {
    reply(not_supported(&version, "Deleting a presence"), &ctx)
}

async fn delete_my_presence(Extension(ctx): Ctx, Path(version): Path<String>) -> Response {
    reply(not_supported(&version, "Deleting a presence"), &ctx)
}

async fn create_presence(Extension(ctx): Ctx, Path(version): Path<String>) -> Response {
    reply(not_supported(&version, "Creating a presence"), &ctx)
}

/// `$filter` on the collection: `id eq 'x'` and `id in ('a','b')` (the forms presence subscriptions use).
fn filter_ids(filter: &str) -> Result<Vec<String>, GraphFailure> {
    let invalid = || GraphFailure::bad_request(format!("Invalid filter clause: '{filter}'. The emulator supports id eq '…' and id in ('…', …)."));
    let text = filter.trim();
    let rest = text.get(..2).filter(|p| p.eq_ignore_ascii_case("id")).map(|_| text[2..].trim_start()).ok_or_else(invalid)?;
    let quoted = |s: &str| -> Result<String, GraphFailure> {
        let s = s.trim();
        s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).map(str::to_owned).ok_or_else(invalid)
    };
    if let Some(value) = rest.get(..2).filter(|op| op.eq_ignore_ascii_case("eq")).map(|_| &rest[2..]) {
        return Ok(vec![quoted(value)?]);
    }
    if let Some(list) = rest.get(..2).filter(|op| op.eq_ignore_ascii_case("in")).map(|_| rest[2..].trim()) {
        let inner = list.strip_prefix('(').and_then(|l| l.strip_suffix(')')).ok_or_else(invalid)?;
        return inner.split(',').map(quoted).collect();
    }
    Err(invalid())
}

/// The presences of the collection a query selects, in id order.
fn selected_presences(state: &AppState, query: &[(String, String)]) -> Result<Vec<Presence>, GraphFailure> {
    let param = |name: &str| query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    if param("$search").is_some() {
        return Err(GraphFailure::bad_request("Search is not supported on presences."));
    }
    let ids = match param("$filter") {
        Some(filter) => filter_ids(filter)?,
        None => state.store.lock().expect("store lock").user_ids(),
    };
    let mut presences: Vec<Presence> = ids.iter().map(|id| presence_json(state, id)).collect();
    if let Some(order) = param("$orderby") {
        if !order.trim().to_ascii_lowercase().starts_with("id") {
            return Err(GraphFailure::bad_request(format!("Ordering by '{order}' is not supported; the emulator orders by id.")));
        }
        presences.sort_by(|a, b| a.id.cmp(&b.id));
        if order.trim().to_ascii_lowercase().ends_with(" desc") {
            presences.reverse();
        }
    }
    Ok(presences)
}

fn number(query: &[(String, String)], name: &str) -> Result<Option<usize>, GraphFailure> {
    match query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
        None => Ok(None),
        Some((_, v)) => v.trim().parse().map(Some).map_err(|_| GraphFailure::bad_request(format!("Invalid value '{v}' for {name}."))),
    }
}

async fn list_presences(State(state): Shared, Extension(ctx): Ctx, Path(version): Path<String>, Query(query): QueryPairs) -> Response {
    let result = (|| {
        check_version(&version)?;
        let all = selected_presences(&state, &query)?;
        let skip = number(&query, "$skip")?.unwrap_or(0);
        let top = number(&query, "$top")?.unwrap_or(DEFAULT_PAGE_SIZE);
        let page: Vec<Value> = all.iter().skip(skip).take(top).map(|p| Value::Object(select(as_object(p), &query))).collect();
        let mut out = Map::new();
        out.insert("@odata.context".into(), Value::String(format!("{}/{version}/$metadata#communications/presences", state.base_url)));
        let wants_count = query.iter().any(|(k, v)| k.eq_ignore_ascii_case("$count") && v.eq_ignore_ascii_case("true"));
        if wants_count {
            out.insert("@odata.count".into(), json!(all.len()));
        }
        // `$skip` and `$top` are any usize the client sent: the next page starts at their saturated sum, and a page
        // of `$top=0` has no next page (its link would never advance).
        let next_skip = skip.saturating_add(top);
        if top > 0 && next_skip < all.len() {
            let mut next: Vec<(String, String)> =
                query.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("$skip") && !k.eq_ignore_ascii_case("$top")).cloned().collect();
            next.push(("$top".into(), top.to_string()));
            next.push(("$skip".into(), next_skip.to_string()));
            let encoded = serde_urlencoded::to_string(&next).unwrap_or_default();
            out.insert("@odata.nextLink".into(), Value::String(format!("{}/{version}/communications/presences?{encoded}", state.base_url)));
        }
        out.insert("value".into(), Value::Array(page));
        Ok(Json(Value::Object(out)).into_response())
    })();
    reply(result, &ctx)
}

async fn count_presences(State(state): Shared, Extension(ctx): Ctx, Path(version): Path<String>, Query(query): QueryPairs) -> Response {
    let result = (|| {
        check_version(&version)?;
        let count = selected_presences(&state, &query)?.len();
        Ok(([(header::CONTENT_TYPE, "text/plain")], count.to_string()).into_response())
    })();
    reply(result, &ctx)
}

async fn communications_action(
    State(state): Shared,
    Extension(ctx): Ctx,
    Path((version, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = (|| {
        check_version(&version)?;
        let plain = action.strip_prefix("microsoft.graph.").unwrap_or(&action);
        if !plain.eq_ignore_ascii_case(GET_PRESENCES_BY_USER_ID) {
            return Err(GraphFailure::bad_request(format!("Resource not found for the segment '{action}'.")));
        }
        let request: GetPresencesByUserIdRequest = read_body(BodyKind::GetPresencesByUserId, &headers, &body)?;
        let mut seen: Vec<String> = Vec::new();
        for id in request.ids.unwrap_or_default() {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(&id)) {
                seen.push(id);
            }
        }
        let value: Vec<Value> = seen.iter().map(|id| Value::Object(as_object(&presence_json(&state, id)))).collect();
        Ok(Json(json!({"@odata.context": format!("{}/{version}/$metadata#Collection(microsoft.graph.presence)", state.base_url), "value": value}))
            .into_response())
    })();
    reply(result, &ctx)
}

async fn method_not_allowed(Extension(ctx): Ctx) -> Response {
    GraphFailure::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "The HTTP method is not allowed for this resource.")
        .into_response_for(&ctx)
}

async fn unknown_segment(Extension(ctx): Ctx, uri: axum::http::Uri) -> Response {
    let segment = uri.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or_default().to_owned();
    GraphFailure::bad_request(format!("Resource not found for the segment '{segment}'.")).into_response_for(&ctx)
}

fn violation(v: RuleViolation) -> GraphFailure {
    GraphFailure {
        status: StatusCode::BAD_REQUEST,
        code: v.graph_code().to_owned(),
        message: v.to_string(),
        inner_code: Some(v.error_id().to_owned()),
        retry_after: None,
        reset_connection: false,
    }
}

fn store_failure(e: StoreError) -> GraphFailure {
    match e {
        StoreError::SessionNotFound { .. } => GraphFailure::not_found(e.to_string()),
        StoreError::UnknownTimeZone { .. } | StoreError::InvalidDateTime { .. } => {
            GraphFailure::new(StatusCode::BAD_REQUEST, "InvalidArgument", e.to_string())
        }
    }
}

/// Reads an action body: JSON content, an object, checked by the domain rules, then typed.
fn read_body<T: serde::de::DeserializeOwned>(kind: BodyKind, headers: &HeaderMap, body: &[u8]) -> Result<T, GraphFailure> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && !content_type.to_ascii_lowercase().starts_with("application/json")
    {
        return Err(GraphFailure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("The content type '{content_type}' is not supported; send application/json."),
        ));
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
    let kind = action.body();
    let store = || state.store.lock().expect("store lock");
    match action {
        PresenceAction::SetPresence => {
            let request: SetPresenceRequest = read_body(kind.expect("has a body"), headers, body)?;
            store().set_presence(user_id, &request, now);
        }
        PresenceAction::ClearPresence => {
            let request: ClearPresenceRequest = read_body(kind.expect("has a body"), headers, body)?;
            store().clear_presence(user_id, &request.session_id.expect("validated"), now).map_err(store_failure)?;
        }
        PresenceAction::SetUserPreferredPresence => {
            let request: SetUserPreferredPresenceRequest = read_body(kind.expect("has a body"), headers, body)?;
            store().set_preferred_presence(user_id, &request, now);
        }
        PresenceAction::SetStatusMessage => {
            let request: SetStatusMessageRequest = read_body(kind.expect("has a body"), headers, body)?;
            store().set_status_message(user_id, &request, now).map_err(store_failure)?;
        }
        PresenceAction::SetAutomaticLocation | PresenceAction::SetManualLocation => {
            let request: SetLocationRequest = read_body(kind.expect("has a body"), headers, body)?;
            let layer = if action == PresenceAction::SetManualLocation { LocationLayer::Manual } else { LocationLayer::Automatic };
            store().set_location(user_id, layer, &request);
        }
        // Actions without a body accept none, or an empty JSON object (the v1.0 page sends `{}`).
        PresenceAction::ClearUserPreferredPresence => store().clear_preferred_presence(user_id),
        PresenceAction::ClearAutomaticLocation => store().clear_location(user_id, false),
        PresenceAction::ClearLocation => store().clear_location(user_id, true),
    }
    Ok(StatusCode::OK.into_response())
}
