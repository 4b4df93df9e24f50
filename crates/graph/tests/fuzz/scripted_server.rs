//! A loopback HTTP server that answers each request with the next scripted answer (status, headers, body bytes) and
//! remembers the requests it got: the other side of the client's response parsers.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One scripted answer.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Canned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canned")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &crate::inputs::Lossy(&self.body))
            .finish()
    }
}

impl Canned {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self { status, headers: vec![("content-type".into(), "application/json".into())], body: body.to_string().into_bytes() }
    }
}

#[derive(Default)]
struct Script {
    answers: VecDeque<Canned>,
    /// `METHOD path?query` of every request received.
    seen: Vec<String>,
}

pub struct ScriptedServer {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

/// Headers that decide how the body is framed or encoded: random values there make a broken exchange, not a
/// response for the parsers to read.
const FRAMING: &[&str] = &["content-length", "transfer-encoding", "connection", "content-encoding", "upgrade", "trailer"];

async fn answer(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let canned = {
        let mut script = script.lock().expect("script lock");
        script.seen.push(format!("{} {}", request.method(), request.uri()));
        script.answers.pop_front()
    };
    let Some(canned) = canned else {
        return (StatusCode::IM_A_TEAPOT, "no scripted answer").into_response();
    };
    let mut response = Response::new(axum::body::Body::from(canned.body));
    *response.status_mut() = StatusCode::from_u16(canned.status).unwrap_or(StatusCode::OK);
    for (name, value) in &canned.headers {
        if FRAMING.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes())) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

impl ScriptedServer {
    /// Serves on the current tokio runtime.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new().fallback(answer).with_state(script.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, script }
    }

    /// Forgets earlier requests; the next requests get `answers`, in order.
    pub fn script(&self, answers: Vec<Canned>) {
        let mut script = self.script.lock().expect("script lock");
        script.answers = answers.into();
        script.seen.clear();
    }

    pub fn seen(&self) -> Vec<String> {
        self.script.lock().expect("script lock").seen.clone()
    }
}
