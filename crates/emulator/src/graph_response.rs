//! Graph-shaped responses: the error envelope with `innerError{date, request-id, client-request-id}`, and the
//! correlation headers every response carries.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mgpresence_domain::{GraphError, GraphInnerError};

/// Correlation data of one request, set by the emulator's middleware.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub client_request_id: Option<String>,
    /// The emulator's time when the request arrived, as Graph writes it (`2021-07-01T12:01:56`).
    pub date: String,
}

/// A Graph error to answer with.
#[derive(Debug, Clone)]
pub struct GraphFailure {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// A more specific code, placed in `innerError.code`.
    pub inner_code: Option<String>,
    pub retry_after: Option<u64>,
    /// Cut the connection instead of answering (fault injection).
    pub reset_connection: bool,
}

impl GraphFailure {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into(), inner_code: None, retry_after: None, reset_connection: false }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    /// The response, with the request's correlation data.
    pub fn into_response_for(self, ctx: &RequestContext) -> Response {
        if self.reset_connection {
            // Headers go out, then the body fails: the server drops the connection mid-response.
            let failing = futures::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection cut by the emulator"))
            });
            return Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(axum::body::Body::from_stream(failing))
                .expect("a valid response");
        }
        let mut error = GraphError::new(self.code, self.message);
        error.error.inner_error = Some(GraphInnerError {
            code: self.inner_code,
            date: Some(ctx.date.clone()),
            request_id: Some(ctx.request_id.clone()),
            client_request_id: Some(ctx.client_request_id.clone().unwrap_or_else(|| ctx.request_id.clone())),
        });
        let mut response = (self.status, Json(error)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert("Retry-After", HeaderValue::from(secs));
        }
        response
    }
}

/// Adds `request-id` and `client-request-id` to a response.
pub fn add_correlation_headers(headers: &mut HeaderMap, ctx: &RequestContext) {
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert("request-id", v);
    }
    let client = ctx.client_request_id.as_deref().unwrap_or(&ctx.request_id);
    if let Ok(v) = HeaderValue::from_str(client) {
        headers.insert("client-request-id", v);
    }
}
