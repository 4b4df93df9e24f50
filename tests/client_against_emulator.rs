//! The Graph client and the cmdlet call runner against the real emulator over loopback.

use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::{EmulatorConfig, Fault, RunningEmulator};
use mgpresence_graph::cmdlet_call::{self, CallOptions, CmdletCallResult};
use mgpresence_graph::{Cloud, GraphClient, GraphClientConfig, RetryPolicy};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::Duration;

fn client(url: &str) -> GraphClient {
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", url, url).unwrap());
    config.credential = Some(mgpresence_graph::Credential::AccessToken(SecretString::from("test-token")));
    config.retry = RetryPolicy { max_retries: 3, delay: Duration::from_millis(10), max_delay: Duration::from_millis(100), total_limit: None };
    GraphClient::new(config).unwrap()
}

async fn call(client: &GraphClient, cmdlet: &str, set: &str, bound: Value) -> CmdletCallResult {
    let cmdlet = find_cmdlet(cmdlet).unwrap();
    cmdlet_call::run(Some(client), &cmdlet, set, bound.as_object().unwrap(), &CallOptions { trace: true, ..Default::default() }).await
}

#[tokio::test]
async fn set_then_get_round_trips_through_the_emulator() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client(&emulator.url);
    let set = call(
        &client,
        "Set-MgUserPresence",
        "SetExpanded",
        json!({"UserId": "u1", "SessionId": "app", "Availability": "busy", "Activity": "InACall", "ExpirationDuration": "PT1H30M", "PassThru": true}),
    )
    .await;
    assert!(set.error.is_none(), "{:?}", set.error);
    assert_eq!(set.status, 200);
    assert_eq!(set.output, [Value::Bool(true)]);

    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1.0/users/u1/presence/setPresence"));
    assert_eq!(sent.body, json!({"sessionId": "app", "availability": "Busy", "activity": "InACall", "expirationDuration": "PT1H30M"}));
    assert_eq!(sent.headers["authorization"], "Bearer <redacted>");
    assert_eq!(sent.headers["content-type"], "application/json");
    let client_request_id = sent.headers["client-request-id"].as_str().unwrap();
    assert_eq!(client_request_id.len(), 36, "a GUID: {client_request_id}");
    let echoed = set.response_headers.unwrap();
    assert!(echoed.iter().any(|(n, v)| n == "client-request-id" && v == client_request_id), "{echoed:?}");

    let get = call(&client, "Get-MgBetaUserPresence", "Get", json!({"UserId": "u1"})).await;
    assert!(get.error.is_none(), "{:?}", get.error);
    assert_eq!(get.output[0]["$value"]["availability"], "Busy");
    assert_eq!(get.output[0]["$value"]["activity"], "InACall");
    assert_eq!(get.output[0]["$type"], "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence");
    assert_eq!(emulator.requests()[1].path, "/beta/users/u1/presence");
    emulator.stop().await;
}

#[tokio::test]
async fn invalid_input_never_reaches_the_wire() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client(&emulator.url);
    let cases = [
        (json!({"UserId": "u", "SessionId": "s", "Availability": "DoNotDisturb", "Activity": "OutOfOffice"}), "InvalidArgument"),
        (json!({"UserId": "u", "SessionId": "s", "Availability": "Available", "Activity": "Available", "ExpirationDuration": "PT3M"}), "InvalidArgument"),
        (json!({"UserId": "u", "SessionId": "s", "Availability": "Available", "Activity": "Available", "ExpirationDuration": "PT5H"}), "InvalidArgument"),
        (json!({"SessionId": "s", "Availability": "Available", "Activity": "Available"}), "MissingIdentifier"),
        (json!({"UserId": "u", "Availability": "Sleeping", "Activity": "Available", "SessionId": "s"}), "BadRequest"),
    ];
    for (bound, expected) in cases {
        let result = call(&client, "Set-MgUserPresence", "SetExpanded", bound.clone()).await;
        let error = result.error.unwrap_or_else(|| panic!("{bound} was accepted"));
        assert_eq!(error.error_id, expected, "{bound}: {}", error.message);
        assert_eq!(result.status, 0);
    }
    assert!(emulator.requests().is_empty(), "{:?}", emulator.requests());
    emulator.stop().await;
}

/// A body refused before sending is reported with the code and message the service answers the same body with.
#[tokio::test]
async fn refused_input_is_reported_as_the_service_answers_it() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client(&emulator.url);
    let http = reqwest::Client::new();
    let cases = [
        json!({"sessionId": "s", "availability": "DoNotDisturb", "activity": "OutOfOffice"}),
        json!({"sessionId": "s", "availability": "Available", "activity": "Available", "expirationDuration": "PT3M"}),
        json!({"sessionId": "s", "availability": "Available"}),
    ];
    for body in cases {
        let mut bound = body.as_object().unwrap().clone();
        bound.insert("UserId".into(), json!("u"));
        let refused = call(&client, "Set-MgUserPresence", "SetExpanded", Value::Object(bound)).await.error.unwrap();
        let service = refused.service.expect("reported as the service's answer");
        let answer = http
            .post(format!("{}/v1.0/users/u/presence/setPresence", emulator.url))
            .bearer_auth("test-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), service.status, "{body}");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["error"]["code"], service.code, "{body}");
        assert_eq!(answer["error"]["message"], service.message, "{body}");
        assert_eq!(refused.message, format!("[{}] : {}", service.code, service.message));
        assert_eq!(refused.error_id, service.code);
    }
    emulator.stop().await;
}

#[tokio::test]
async fn graph_errors_carry_code_message_and_status_block() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    emulator.state.faults.lock().unwrap().push(Fault {
        method: Some("POST".into()),
        path_contains: Some("setPresence".into()),
        status: 403,
        code: "Forbidden".into(),
        message: "Insufficient privileges to complete the operation.".into(),
        retry_after: None,
        times: Some(1),
    });
    let client = client(&emulator.url);
    let result = call(
        &client,
        "Set-MgUserPresence",
        "SetExpanded",
        json!({"UserId": "u1", "SessionId": "app", "Availability": "Away", "Activity": "Away"}),
    )
    .await;
    let error = result.error.unwrap();
    assert_eq!(result.status, 403);
    assert_eq!(error.error_id, "Forbidden");
    assert_eq!(error.message, "[Forbidden] : Insufficient privileges to complete the operation.");
    let service = error.service.unwrap();
    assert_eq!((service.status, service.reason.as_str(), service.code.as_str()), (403, "Forbidden", "Forbidden"));
    assert_eq!(service.date.len(), "2025-04-21T16:48:06".len(), "innerError.date: {}", service.date);
    assert!(service.headers.iter().any(|(n, _)| n == "request-id"), "{:?}", service.headers);
    assert!(!format!("{service:?}").contains("test-token"));
    assert!(result.response_headers.is_none(), "headers are for successes only");
    emulator.stop().await;
}

#[tokio::test]
async fn throttling_is_retried_with_retry_after_and_retry_attempt() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    emulator.state.faults.lock().unwrap().push(Fault {
        method: None,
        path_contains: Some("/presence".into()),
        status: 429,
        code: "TooManyRequests".into(),
        message: "Too many requests.".into(),
        retry_after: Some(0),
        times: Some(2),
    });
    let client = client(&emulator.url);
    let result = call(&client, "Get-MgUserPresence", "Get", json!({"UserId": "u1"})).await;
    assert!(result.error.is_none(), "{:?}", result.error);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[0].headers.get("retry-attempt").is_none());
    assert_eq!(requests[1].headers["retry-attempt"], "1");
    assert_eq!(requests[2].headers["retry-attempt"], "2");
    let ids: Vec<_> = requests.iter().map(|r| r.headers["client-request-id"].clone()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one client-request-id across retries: {ids:?}");
    assert_eq!(result.trace.len(), 6, "each attempt's request and response are traced");
    emulator.stop().await;
}

#[tokio::test]
async fn retries_stop_after_the_maximum_and_return_the_last_error() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    emulator.state.faults.lock().unwrap().push(Fault {
        method: None,
        path_contains: None,
        status: 503,
        code: "ServiceUnavailable".into(),
        message: "Try later.".into(),
        retry_after: None,
        times: None,
    });
    let client = client(&emulator.url);
    let result = call(&client, "Get-MgUserPresence", "Get", json!({"UserId": "u1"})).await;
    assert_eq!(result.error.unwrap().error_id, "ServiceUnavailable");
    assert_eq!(emulator.requests().len(), 4, "the first attempt and three retries");
    emulator.stop().await;
}

#[tokio::test]
async fn the_emulator_rejects_what_the_service_rejects() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await.unwrap();
    mgpresence_graph::client::ensure_tls_provider();
    let http = reqwest::Client::new();
    let post = |path: &str, body: &str, token: Option<&str>| {
        let mut request = http
            .post(format!("{}{path}", emulator.url))
            .header("content-type", "application/json")
            .header("client-request-id", "c-123")
            .body(body.to_owned());
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };
    let cases = [
        (r#"{"sessionId":"s","availability":"DoNotDisturb","activity":"OutOfOffice"}"#, 400, "InvalidArgument"),
        (r#"{"sessionId":"s","availability":"Available","activity":"Available","expirationDuration":"PT3M"}"#, 400, "InvalidArgument"),
        (r#"{"sessionId":"s","availability":"Available","activity":"Available","expirationDuration":"PT5H"}"#, 400, "InvalidArgument"),
        (r#"{"availability":"Available","activity":"Available"}"#, 400, "InvalidArgument"),
        (r#"not json"#, 400, "BadRequest"),
    ];
    for (body, status, code) in cases {
        let response = post("/v1.0/users/u1/presence/microsoft.graph.setPresence", body, Some("t")).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"]["code"], code, "{body}: {json}");
        let inner = &json["error"]["innerError"];
        assert_eq!(inner["client-request-id"], "c-123");
        assert!(inner["request-id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(inner["date"].as_str().is_some_and(|s| !s.is_empty()));
    }
    let unauthenticated = post("/v1.0/users/u1/presence/setPresence", "{}", None).await.unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let ok = post("/beta/users/u1/presence/setPresence", r#"{"sessionId":"s","availability":"Away","activity":"Away"}"#, Some("t")).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.unwrap(), "", "setPresence answers 200 with an empty body");
    let get: Value = http.get(format!("{}/v1.0/users/u1/presence", emulator.url)).bearer_auth("t").send().await.unwrap().json().await.unwrap();
    assert_eq!((get["availability"].as_str(), get["activity"].as_str()), (Some("Away"), Some("Away")));
    emulator.stop().await;
}
