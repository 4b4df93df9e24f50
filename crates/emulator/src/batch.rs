//! JSON batching (graph-presence-api.md §5.3): `POST /v1.0/$batch` and `/beta/$batch`.
//!
//! At most 20 requests, each with a unique `id`, a `method` and a relative `url`; a request with a `body` must say
//! its `Content-Type` in `headers`. Requests run in order, each through the same Graph routes (so each is
//! authenticated, recorded and can be throttled or faulted on its own) with the batch's Authorization. A request whose
//! `dependsOn` names a request that did not succeed gets 424 Failed Dependency. The batch answers 200 with
//! `{"responses":[{id, status, headers, body}]}` whenever it could be read, and 400 when it is malformed. A request of
//! a batch cannot be a batch itself (it is answered 400): each level would run on the same stack, so a small body
//! nesting batches a few dozen deep would overflow it and bring the whole emulator down.

use crate::graph_response::{GraphFailure, RequestContext};
use crate::server::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

/// The most requests one batch may hold.
pub const MAX_BATCH_REQUESTS: usize = 20;

/// Marks a request that runs as an item of a batch (a request extension).
#[derive(Debug, Clone, Copy)]
pub struct InsideBatch;

struct BatchItem {
    id: String,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse(body: &[u8]) -> Result<Vec<BatchItem>, GraphFailure> {
    let bad = |m: String| GraphFailure::bad_request(m);
    let value: Value = serde_json::from_slice(body).map_err(|_| bad("The batch request body is not valid JSON.".into()))?;
    let requests = value.get("requests").and_then(Value::as_array).ok_or_else(|| bad("The batch needs a 'requests' array.".into()))?;
    if requests.is_empty() || requests.len() > MAX_BATCH_REQUESTS {
        return Err(bad(format!("A batch holds 1 to {MAX_BATCH_REQUESTS} requests; this one has {}.", requests.len())));
    }
    let mut items: Vec<BatchItem> = Vec::with_capacity(requests.len());
    for r in requests {
        let text = |name: &str| r.get(name).and_then(Value::as_str).map(str::to_owned);
        let id = text("id").filter(|i| !i.is_empty()).ok_or_else(|| bad("Every batch request needs an 'id'.".into()))?;
        if items.iter().any(|i| i.id == id) {
            return Err(bad(format!("The batch request id '{id}' is used twice.")));
        }
        let method = text("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| bad(format!("Batch request '{id}' needs a 'method'.")))?;
        let url = text("url").ok_or_else(|| bad(format!("Batch request '{id}' needs a 'url'.")))?;
        if url.contains("://") {
            return Err(bad(format!("Batch request '{id}' must use a relative url.")));
        }
        let headers: Vec<(String, String)> = r
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))).collect())
            .unwrap_or_default();
        let body = r.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            return Err(bad(format!("Batch request '{id}' has a body but no Content-Type header.")));
        }
        let depends_on: Vec<String> =
            r.get("dependsOn").and_then(Value::as_array).map(|d| d.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default();
        for dependency in &depends_on {
            if !items.iter().any(|i| &i.id == dependency) {
                return Err(bad(format!("Batch request '{id}' depends on '{dependency}', which is not an earlier request of the batch.")));
            }
        }
        items.push(BatchItem { id, method, url, headers, body, depends_on });
    }
    Ok(items)
}

async fn run_item(router: Router, version: &str, item: &BatchItem, authorization: Option<&HeaderValue>) -> (u16, Map<String, Value>, Value) {
    let path = if item.url.starts_with('/') { item.url.clone() } else { format!("/{}", item.url) };
    let mut request = Request::builder().method(item.method.clone()).uri(format!("/{version}{path}")).extension(InsideBatch);
    if let Some(auth) = authorization {
        request = request.header(axum::http::header::AUTHORIZATION, auth.clone());
    }
    for (name, value) in &item.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let body = item.body.as_ref().map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty);
    let response = match request.body(body) {
        Ok(r) => router.oneshot(r).await.expect("the router is infallible"),
        Err(_) => return (400, Map::new(), json!({"error": {"code": "BadRequest", "message": "The batch request could not be built."}})),
    };
    let status = response.status().as_u16();
    let headers: Map<String, Value> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned())))
        .collect();
    let Ok(bytes) = to_bytes(response.into_body(), 4 * 1024 * 1024).await else {
        // A cut connection (fault injection) cannot cut one item of a batch: the item is answered 503 instead, and it
        // was not applied.
        return (503, Map::new(), json!({"error": {"code": "ServiceUnavailable", "message": "The request was not processed."}}));
    };
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())) };
    (status, headers, body)
}

pub async fn batch(
    State(state): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestContext>,
    Path(version): Path<String>,
    inside_batch: Option<Extension<InsideBatch>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if inside_batch.is_some() {
        return GraphFailure::bad_request("A request of a batch cannot be a batch itself.").into_response_for(&ctx);
    }
    if version != "v1.0" && version != "beta" {
        return GraphFailure::bad_request(format!("Invalid version: {version}")).into_response_for(&ctx);
    }
    let items = match parse(&body) {
        Ok(items) => items,
        Err(f) => return f.into_response_for(&ctx),
    };
    let Some(router) = state.graph_router.get().cloned() else {
        return GraphFailure::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "The emulator is starting.").into_response_for(&ctx);
    };
    let authorization = headers.get(axum::http::header::AUTHORIZATION);
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::with_capacity(items.len());
    for item in &items {
        let failed_dependency = item.depends_on.iter().find(|d| !statuses.get(*d).is_some_and(|s| (200..300).contains(s)));
        let (status, item_headers, item_body) = match failed_dependency {
            Some(d) => (
                424,
                Map::new(),
                json!({"error": {"code": "FailedDependency", "message": format!("The request depends on '{d}', which did not succeed.")}}),
            ),
            None => run_item(router.clone(), &version, item, authorization).await,
        };
        statuses.insert(item.id.clone(), status);
        responses.push(json!({"id": item.id, "status": status, "headers": item_headers, "body": item_body}));
    }
    Json(json!({"responses": responses})).into_response()
}
