//! The emulator survives malformed HTTP on a real TCP connection: garbage bytes, a truncated request line, invalid
//! and huge Content-Length values, a header block over hyper's limits, non-UTF-8 paths (raw and percent-encoded),
//! invalid JSON with a correct Content-Length, a connection closed mid-body, and a slow partial request. Each case
//! gets an error answer (or a closed connection) without anything applied, and afterwards a normal request
//! (`GET /_emulator/health`) still succeeds. Where the request reaches the Graph routes, the error is a Graph envelope.

mod common;

use common::{assert_graph_error, assert_healthy, exchange, exchange_then_close, parse_response, request};
use mgpresence_domain::{Activity, Availability};
use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use std::io::Write;
use std::time::{Duration, Instant};

const AUTH: (&str, &str) = ("Authorization", "Bearer test-token");
const JSON: (&str, &str) = ("Content-Type", "application/json");
const VALID_BODY: &str = r#"{"sessionId":"app","availability":"Busy","activity":"InACall"}"#;

fn presence_of(emulator: &BackgroundEmulator, user: &str) -> (Availability, Activity) {
    let now = emulator.state.clock.now();
    let presence = emulator.state.store.lock().unwrap().presence(user, now, false);
    (presence.availability, presence.activity)
}

/// The status of the answer in `bytes`, if the server answered at all.
fn status_of(bytes: &[u8]) -> Option<u16> {
    parse_response(bytes).map(|r| r.status)
}

#[test]
fn garbage_bytes_are_refused_and_the_emulator_keeps_serving() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let garbage: Vec<u8> = (0..8192)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for bytes in [&garbage[..], b"\x00\x01\x02\r\n\r\n", b"\r\n\r\n\r\n", b"GET\r\n\r\n", b"HELLO / SMTP/9.9\r\n\r\n"] {
        let answer = exchange_then_close(&emulator.url, bytes);
        assert!(matches!(status_of(&answer), None | Some(400..=499)), "{:?}", String::from_utf8_lossy(&answer));
        assert_healthy(&emulator.url);
    }
}

#[test]
fn a_truncated_request_line_is_dropped() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    for bytes in [&b"GET /_emulator/hea"[..], b"POST /v1.0/users/u/presence/setPres", b"GET / HTTP/1."] {
        let answer = exchange_then_close(&emulator.url, bytes);
        assert!(matches!(status_of(&answer), None | Some(400..=499)), "{:?}", String::from_utf8_lossy(&answer));
        assert_healthy(&emulator.url);
    }
}

#[test]
fn invalid_and_huge_content_lengths_are_refused() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let set_presence = |content_length: &str, body: &str| {
        format!(
            "POST /v1.0/users/length-user/presence/setPresence HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer t\r\n\
             Content-Type: application/json\r\nContent-Length: {content_length}\r\nConnection: close\r\n\r\n{body}"
        )
    };
    let cases = [
        set_presence("abc", VALID_BODY),
        set_presence("-1", VALID_BODY),
        set_presence("99999999999999999999999999", VALID_BODY),
        set_presence(&format!("{}, {}", VALID_BODY.len(), VALID_BODY.len() + 1), VALID_BODY),
        // Larger than the cap, and the body never comes: the server must not wait for it forever.
        set_presence("1000000000000", VALID_BODY),
        // Shorter than the body: the rest is a second, garbage request.
        set_presence("5", VALID_BODY),
    ];
    for case in &cases {
        let answer = exchange_then_close(&emulator.url, case.as_bytes());
        assert!(matches!(status_of(&answer), None | Some(400..=499)), "{case}: {:?}", String::from_utf8_lossy(&answer));
        assert_healthy(&emulator.url);
    }
    assert_eq!(presence_of(&emulator, "length-user"), (Availability::Offline, Activity::Offline), "nothing was applied");
}

#[test]
fn a_header_block_over_the_limits_is_refused() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let huge_value = format!("GET /_emulator/health HTTP/1.1\r\nHost: e\r\nX-Big: {}\r\n\r\n", "a".repeat(2 * 1024 * 1024));
    let many_headers = format!("GET /_emulator/health HTTP/1.1\r\nHost: e\r\n{}\r\n", (0..5000).map(|i| format!("X-H{i}: v\r\n")).collect::<String>());
    for case in [huge_value, many_headers] {
        let answer = exchange(&emulator.url, case.as_bytes());
        assert!(matches!(status_of(&answer), None | Some(400..=499)), "{:?}", String::from_utf8_lossy(&answer[..answer.len().min(300)]));
        assert_healthy(&emulator.url);
    }
}

#[test]
fn non_utf8_paths_are_refused_graph_shaped_when_they_reach_the_routes() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    // Raw bytes that are not UTF-8 in the request line: refused by the HTTP parser or by the routes.
    let raw = b"GET /v1.0/users/\xff\xfe\xc0/presence HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n";
    let answer = exchange(&emulator.url, raw);
    if let Some(response) = parse_response(&answer) {
        assert!((400..500).contains(&response.status), "{response:?}");
    }
    assert_healthy(&emulator.url);
    // Percent-encoded bytes that do not decode to UTF-8 reach the Graph routes: a Graph error.
    for path in ["/v1.0/users/%FF%FE/presence", "/v1.0/users/%C0%AF/presence/setPresence", "/beta/communications/presences/%80"] {
        let method = if path.ends_with("setPresence") { "POST" } else { "GET" };
        let response = request(&emulator.url, method, path, &[AUTH, JSON], VALID_BODY.as_bytes());
        assert_eq!(response.status, 400, "{path}: {response:?}");
        assert_graph_error(response.status, &response.headers, &response.body);
        assert_healthy(&emulator.url);
    }
}

#[test]
fn invalid_json_with_a_correct_length_is_a_graph_bad_request() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    for body in [&b"{\"sessionId\":\"app\",\"availability\":"[..], b"not json", b"{\"a\":1}}", b"\xff\xfe{}", b"[]", b"null"] {
        let response = request(&emulator.url, "POST", "/v1.0/users/json-user/presence/setPresence", &[AUTH, JSON], body);
        assert_eq!(response.status, 400, "{:?}: {response:?}", String::from_utf8_lossy(body));
        assert_graph_error(response.status, &response.headers, &response.body);
        assert_healthy(&emulator.url);
    }
    assert_eq!(presence_of(&emulator, "json-user"), (Availability::Offline, Activity::Offline));
}

#[test]
fn a_connection_closed_mid_body_applies_nothing() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let head = format!(
        "POST /v1.0/users/cut-user/presence/setPresence HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        VALID_BODY.len()
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&VALID_BODY.as_bytes()[..20]);
    let _ = exchange_then_close(&emulator.url, &bytes);
    let mut stream = common::connect(&emulator.url);
    stream.write_all(&bytes).unwrap();
    drop(stream);
    assert_healthy(&emulator.url);
    assert_eq!(presence_of(&emulator, "cut-user"), (Availability::Offline, Activity::Offline));
    assert!(emulator.requests().iter().all(|r| !r.path.contains("cut-user")), "a body never completed is not recorded");
}

#[test]
fn a_slow_partial_request_neither_blocks_others_nor_fails() {
    let emulator = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let full = format!(
        "POST /v1.0/users/slow-user/presence/setPresence HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{VALID_BODY}",
        VALID_BODY.len()
    );
    let mut slow = common::connect(&emulator.url);
    let bytes = full.as_bytes();
    let started = Instant::now();
    for (i, piece) in bytes.chunks(bytes.len() / 8 + 1).enumerate() {
        slow.write_all(piece).unwrap();
        slow.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
        if i == 3 {
            // Half-way through the slow request, others are answered at once.
            let before = Instant::now();
            assert_healthy(&emulator.url);
            assert!(before.elapsed() < Duration::from_secs(2), "a slow client held the emulator up for {:?}", before.elapsed());
            assert_eq!(presence_of(&emulator, "slow-user"), (Availability::Offline, Activity::Offline), "not applied before it is complete");
        }
    }
    let answer = parse_response(&common::read_all(&mut slow)).expect("the slow request is answered");
    assert_eq!(answer.status, 200, "{answer:?} after {:?}", started.elapsed());
    assert_eq!(presence_of(&emulator, "slow-user"), (Availability::Busy, Activity::InACall));
    assert_healthy(&emulator.url);
}
