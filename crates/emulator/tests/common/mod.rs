//! Helpers shared by the emulator's hardening tests: raw HTTP over TCP, and the checks of a Graph-shaped answer.

#![allow(dead_code)]

use mgpresence_domain::GraphError;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// The `host:port` of an emulator URL (`http://127.0.0.1:1234`).
pub fn address_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().expect("the emulator URL is http://ip:port")
}

pub fn connect(url: &str) -> TcpStream {
    let stream = TcpStream::connect(address_of(url)).expect("the emulator accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Everything the server sends until it closes the connection or stops sending (a reset counts as the end).
pub fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Sends `bytes` on a new connection and returns what came back until the server closed it. The sending side stays
/// open (hyper drops the answer of a request whose client half-closed the connection).
pub fn exchange(url: &str, bytes: &[u8]) -> Vec<u8> {
    let mut stream = connect(url);
    // The server may answer and close before it has read everything: a failed write is part of some cases.
    let _ = stream.write_all(bytes);
    read_all(&mut stream)
}

/// Sends `bytes` on a new connection, then closes the sending side (the server sees the end of its input), and
/// returns what came back.
pub fn exchange_then_close(url: &str, bytes: &[u8]) -> Vec<u8> {
    let mut stream = connect(url);
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(Shutdown::Write);
    read_all(&mut stream)
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The first response in `bytes` (chunked bodies are joined), or `None` when there is none.
pub fn parse_response(bytes: &[u8]) -> Option<RawResponse> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).collect();
    let rest = &bytes[end + 4..];
    let mut response = RawResponse { status, headers, body: Vec::new() };
    if response.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        let mut at = 0;
        while let Some(line_end) = rest[at..].windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[at..at + line_end]).trim(), 16).ok()?;
            at += line_end + 2;
            if size == 0 {
                break;
            }
            response.body.extend_from_slice(rest.get(at..at + size)?);
            at += size + 2;
        }
    } else {
        let length = response.header("content-length").and_then(|l| l.parse().ok()).unwrap_or(rest.len());
        response.body = rest.get(..length)?.to_vec();
    }
    Some(response)
}

/// Sends one request on its own connection (`Connection: close`) and parses the answer.
pub fn request(url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    let answer = exchange(url, &bytes);
    parse_response(&answer).unwrap_or_else(|| panic!("no HTTP response to {method} {path}: {:?}", String::from_utf8_lossy(&answer)))
}

/// The emulator still answers a normal request: `GET /_emulator/health` is 200 `{"status":"ok"}`.
pub fn assert_healthy(url: &str) {
    let health = request(url, "GET", "/_emulator/health", &[], b"");
    assert_eq!(health.status, 200, "health: {health:?}");
    let body: serde_json::Value = serde_json::from_slice(&health.body).expect("health answers JSON");
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

/// A Graph error envelope (graph-presence-api.md §5.1): JSON `{"error":{code, message, innerError{date,
/// request-id, client-request-id}}}` with a `request-id` header. Returns the error.
pub fn assert_graph_error(status: u16, headers: &[(String, String)], body: &[u8]) -> GraphError {
    let content_type = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str()).unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "status {status}: content type '{content_type}', body {:?}", String::from_utf8_lossy(body));
    let error = GraphError::parse(body).unwrap_or_else(|| panic!("status {status}: not a Graph error: {:?}", String::from_utf8_lossy(body)));
    assert!(!error.error.code.is_empty() && !error.error.message.is_empty(), "{error:?}");
    let inner = error.error.inner_error.as_ref().expect("innerError");
    assert!(inner.request_id.is_some() && inner.date.is_some() && inner.client_request_id.is_some(), "{error:?}");
    assert!(headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("request-id")), "request-id header: {headers:?}");
    error
}
