//! Fuzz targets in the Graph client, which reads what servers send: `Retry-After`, the debug-stream formatter, and —
//! over loopback, from a scripted server — token replies (client secret, managed identity, device code), next-page
//! links (-All) and `$batch` answers (the bulk path).

use crate::harness::Rng;
use crate::inputs;
use crate::scripted_server::{Canned, ScriptedServer};
use mgpresence_catalog::find_cmdlet;
use mgpresence_graph::auth::{Credential, TokenProvider, poll_device_code, start_device_code};
use mgpresence_graph::bulk::{BulkItem, BulkOptions, run_bulk};
use mgpresence_graph::cmdlet_call::{CallOptions, run};
use mgpresence_graph::retry::retry_after;
use mgpresence_graph::trace::{format_request, format_response};
use mgpresence_graph::{Cloud, GraphClient, GraphClientConfig, GraphResponse, RetryPolicy};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use std::time::{Duration, SystemTime};

/// A status: mostly a success, else any client or server error, else anything a status line can carry.
fn status(rng: &mut Rng) -> u16 {
    match rng.below(8) {
        0..=3 => 200,
        4 => 200 + rng.below(100) as u16,
        5 => 400 + rng.below(200) as u16,
        6 => *rng.pick(&[401, 429, 503, 504, 204, 304]),
        _ => 200 + rng.below(800) as u16,
    }
}

fn headers(rng: &mut Rng) -> Vec<(String, String)> {
    let names = ["Retry-After", "Content-Type", "Date", "request-id", "x-ms-ags-diagnostic", "Location"];
    (0..rng.below(4))
        .map(|_| {
            let name = if rng.bool() { (*rng.pick(&names)).to_owned() } else { inputs::text(rng) };
            (name, inputs::text(rng))
        })
        .collect()
}

fn answer_from(rng: &mut Rng, valid: &Value) -> Canned {
    Canned { status: status(rng), headers: headers(rng), body: inputs::body_from(rng, valid) }
}

// ---- Retry-After and the debug stream -------------------------------------------------------------------------

#[derive(Debug)]
pub struct PureCase {
    retry_after: String,
    now: SystemTime,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    secret: String,
}

pub fn pure_case(rng: &mut Rng) -> PureCase {
    let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(rng.next_u64() >> rng.below(64))).unwrap_or(SystemTime::UNIX_EPOCH);
    let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(rng.below(4_000_000_000) as u64));
    let valid = *rng.pick(&["7", "0", "120", "18446744073709551615", "99999999999999999999", " 3 ", "-1", "1.5"]);
    let retry_after = match rng.below(4) {
        0 => valid.to_owned(),
        1 => date,
        2 => {
            let start = if rng.bool() { valid } else { "Wed, 21 Oct 2015 07:28:00 GMT" };
            inputs::mutate_text(rng, start)
        }
        _ => inputs::text(rng),
    };
    let secret = format!("SECRET-{:016x}", rng.next_u64());
    let mut headers = headers(rng);
    let at = rng.below(headers.len() + 1);
    headers.insert(at, (if rng.bool() { "Authorization" } else { "proxy-authorization" }.to_owned(), format!("Bearer {secret}")));
    let mut token_reply = match inputs::json_from(rng, &json!({"token_type": "Bearer", "expires_in": 3599})) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    token_reply.insert(if rng.bool() { "access_token" } else { "ACCESS_TOKEN" }.into(), Value::String(secret.clone()));
    let body = serde_json::to_vec(&Value::Object(token_reply)).expect("JSON values serialize");
    PureCase { retry_after, now, status: rng.next_u64() as u16, headers, body, secret }
}

/// `retry_after` reads delta-seconds exactly and never panics; the request and response texts never show the
/// Authorization header's token or a JSON body's `access_token`; a response's JSON and headers read without panics.
pub fn check_pure(c: &PureCase) -> Result<(), String> {
    let wait = retry_after(Some(&c.retry_after), c.now);
    if let Ok(seconds) = c.retry_after.trim().parse::<u64>()
        && wait != Some(Duration::from_secs(seconds))
    {
        return Err(format!("Retry-After {:?} gave {wait:?}", c.retry_after));
    }
    let reason = inputs::TOKENS[c.status as usize % inputs::TOKENS.len()];
    for text in [format_response(c.status, reason, &c.headers, &c.body), format_request("POST", "https://g/x", &c.headers, Some(&c.body))] {
        if text.contains(&c.secret) {
            return Err(format!("the secret shows in the debug text:\n{text}"));
        }
    }
    let response = GraphResponse {
        status: c.status,
        reason: reason.to_owned(),
        headers: c.headers.clone(),
        body: c.body.clone(),
        client_request_id: String::new(),
        attempts: 1,
        trace: Vec::new(),
    };
    let _ = (response.json(), response.header("retry-after"), response.is_success());
    Ok(())
}

// ---- The scripted-server targets ----------------------------------------------------------------------------------

/// A runtime, a scripted server and a Graph client connected to it (with a user-supplied token, no retries).
pub struct Loopback {
    pub runtime: tokio::runtime::Runtime,
    pub server: ScriptedServer,
    pub client: GraphClient,
}

impl Loopback {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let server = runtime.block_on(ScriptedServer::start());
        let mut config = GraphClientConfig::new(Cloud::custom("Fuzz", &server.url, &server.url).expect("a loopback endpoint"));
        config.credential = Some(Credential::AccessToken(SecretString::from("fuzz-token")));
        config.retry = RetryPolicy::none();
        config.timeout = Duration::from_secs(10);
        let client = runtime.block_on(async { GraphClient::new(config) }).expect("a client");
        Self { runtime, server, client }
    }
}

#[derive(Debug)]
pub enum TokenCase {
    ClientSecret(Canned),
    ManagedIdentity(Canned),
    DeviceCode { start: Canned, poll: Canned },
}

pub fn token_case(rng: &mut Rng) -> TokenCase {
    let reply = json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ0eXAiOiJKV1QifQ.e30.sig",
                       "expires_on": "1790000000"});
    let error = json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]});
    let token_answer = |rng: &mut Rng| {
        let valid = if rng.one_in(4) { &error } else { &reply };
        answer_from(rng, valid)
    };
    match rng.below(3) {
        0 => TokenCase::ClientSecret(token_answer(rng)),
        1 => TokenCase::ManagedIdentity(token_answer(rng)),
        _ => {
            let challenge = json!({"device_code": "dc", "user_code": "ABCD-EFGH", "verification_uri": "https://microsoft.com/devicelogin",
                                   "expires_in": 900, "interval": 5, "message": "To sign in, enter ABCD-EFGH."});
            let pending = json!({"error": "authorization_pending", "error_description": "AADSTS70016: pending"});
            let start = answer_from(rng, &challenge);
            let poll = match rng.below(3) {
                0 => answer_from(rng, &pending),
                _ => token_answer(rng),
            };
            TokenCase::DeviceCode { start, poll }
        }
    }
}

/// Reading a token reply never panics, and only a success status gives a token.
pub fn check_token(loopback: &Loopback, case: &TokenCase) -> Result<(), String> {
    let http = loopback.client.http();
    let url = &loopback.server.url;
    let success = |c: &Canned| (200..300).contains(&c.status);
    loopback.runtime.block_on(async {
        match case {
            TokenCase::ClientSecret(answer) | TokenCase::ManagedIdentity(answer) => {
                loopback.server.script(vec![answer.clone()]);
                let credential = match case {
                    TokenCase::ClientSecret(_) => {
                        Credential::ClientSecret { tenant_id: "tenant".into(), client_id: "client".into(), secret: SecretString::from("secret") }
                    }
                    _ => Credential::ManagedIdentity {
                        client_id: None,
                        identity_endpoint: Some(format!("{url}/msi/token")),
                        identity_header: Some(SecretString::from("header")),
                        imds_endpoint: None,
                    },
                };
                let token = TokenProvider::new(credential, url).token(http).await;
                if token.is_ok() && !success(answer) {
                    return Err(format!("a token from a {} answer", answer.status));
                }
            }
            TokenCase::DeviceCode { start, poll } => {
                loopback.server.script(vec![start.clone(), poll.clone()]);
                let challenge = start_device_code(http, url, "tenant", "client", &["Presence.Read".to_owned()]).await;
                match challenge {
                    Ok(_) if !success(start) => return Err(format!("a device code from a {} answer", start.status)),
                    Ok(challenge) => {
                        let token = poll_device_code(http, &challenge, Duration::ZERO).await;
                        if token.is_ok() && !success(poll) {
                            return Err(format!("a token from a {} answer", poll.status));
                        }
                    }
                    Err(_) => {}
                }
            }
        }
        Ok(())
    })
}

/// A first page whose `@odata.nextLink` is valid, mutated, elsewhere, or not text; `{BASE}` stands for the
/// connected service root and version (`http://127.0.0.1:PORT/v1.0`).
#[derive(Debug)]
pub struct NextLinkCase {
    first: Canned,
}

pub fn next_link_case(rng: &mut Rng) -> NextLinkCase {
    let link = match rng.below(8) {
        0 | 1 => Value::String("{BASE}/communications/presences?$top=2&$skip=2".into()),
        2 => Value::String(inputs::mutate_text(rng, "{BASE}/communications/presences?$skip=2")),
        3 => Value::String(format!("{{BASE}}{}", rng.pick(&["evil/x", "/../../x", "/%2e%2e/%2e%2e/x", "@evil.example/x", ".evil.example/x", "/\\\\evil", "?x", "#x", ""]))),
        4 => Value::String(rng.pick(&["https://evil.example/v1.0/communications/presences", "http://127.0.0.1:1/v1.0/x", "/v1.0/x", "//evil/x"]).to_string()),
        5 => inputs::json(rng, 2),
        6 => Value::String(inputs::text(rng)),
        _ => Value::String(format!("{{BASE}}/{}", inputs::text(rng))),
    };
    let presence = json!({"id": "u1", "availability": "Busy", "activity": "InACall", "outOfOfficeSettings": {"message": null, "isOutOfOffice": false}});
    let page = json!({"@odata.context": "x", "value": [presence], "@odata.nextLink": link});
    let first = if rng.one_in(3) {
        Canned { status: 200, headers: Vec::new(), body: inputs::body_from(rng, &page) }
    } else {
        Canned::json(200, &page)
    };
    NextLinkCase { first }
}

/// A next link is followed only when it stays under the connected service root and version, and it is followed at
/// most once per page; a link elsewhere is refused with `UntrustedNextLink`.
pub fn check_next_link(loopback: &Loopback, case: &NextLinkCase) -> Result<(), String> {
    let base = format!("{}/v1.0", loopback.server.url);
    let mut first = case.first.clone();
    first.body = String::from_utf8_lossy(&first.body).replace("{BASE}", &base).into_bytes();
    let link = serde_json::from_slice::<Value>(&first.body).ok().and_then(|b| b.get("@odata.nextLink").and_then(Value::as_str).map(str::to_owned));
    let last = Canned::json(200, &json!({"value": []}));
    loopback.server.script(vec![first.clone(), last]);
    let cmdlet = find_cmdlet("Get-MgCommunicationPresence").expect("in the catalog");
    let bound = Map::from_iter([("All".to_owned(), Value::Bool(true))]);
    let result = loopback.runtime.block_on(run(Some(&loopback.client), &cmdlet, "List", &bound, &CallOptions::default()));
    let seen = loopback.server.seen();
    let trusted = |l: &str| l.starts_with(&format!("{base}/"));
    match seen.len() {
        1 => match &link {
            Some(l) if !trusted(l) && result.error.as_ref().is_none_or(|e| e.error_id != "UntrustedNextLink") => {
                Err(format!("the link {l:?} outside {base}/ was not refused: {:?}", result.error))
            }
            _ => Ok(()),
        },
        2 if link.as_deref().is_some_and(trusted) && seen[1].starts_with("GET /v1.0/") => Ok(()),
        _ => Err(format!("the link {link:?} led to the requests {seen:?}")),
    }
}

/// A `$batch` answer for `items` requests: a mutation of one that answers each in turn.
#[derive(Debug)]
pub struct BatchCase {
    items: usize,
    answer: Canned,
}

pub fn batch_case(rng: &mut Rng) -> BatchCase {
    let items = 1 + rng.below(3);
    let responses: Vec<Value> = (0..items)
        .map(|i| {
            let status = match rng.below(4) {
                0 => inputs::number(rng),
                _ => json!(*rng.pick(&[200, 204, 400, 404, 424, 429, 503, 504])),
            };
            let retry = if rng.bool() { json!({"Retry-After": rng.pick(&["1", "0", "18446744073709551615", "soon"]).to_string()}) } else { json!({}) };
            json!({"id": i.to_string(), "status": status, "headers": retry, "body": null})
        })
        .collect();
    let valid = json!({"responses": responses});
    let answer = match rng.below(6) {
        0 => Canned { status: status(rng), headers: headers(rng), body: valid.to_string().into_bytes() },
        1 | 2 => Canned::json(200, &valid),
        _ => Canned { status: 200, headers: headers(rng), body: inputs::body_from(rng, &valid) },
    };
    BatchCase { items, answer }
}

/// Reading a `$batch` answer never panics; every item gets an outcome, and an item succeeds exactly when the batch
/// was answered 200 and the first answer with its id has a status from 200 to 299.
pub fn check_batch(loopback: &Loopback, case: &BatchCase) -> Result<(), String> {
    loopback.server.script(vec![case.answer.clone()]);
    let cmdlet = find_cmdlet("Set-MgUserPresence").expect("in the catalog");
    let items: Vec<BulkItem> = (0..case.items)
        .map(|i| BulkItem {
            key: format!("u{i}"),
            bound: json!({"UserId": format!("u{i}"), "SessionId": "s", "Availability": "Available", "Activity": "Available"})
                .as_object()
                .expect("an object")
                .clone(),
        })
        .collect();
    let options = BulkOptions { concurrency: 1, ..BulkOptions::default() };
    let outcomes = loopback.runtime.block_on(run_bulk(&loopback.client, &cmdlet, "SetExpanded", items, &options));
    if outcomes.len() != case.items {
        return Err(format!("{} outcomes for {} items", outcomes.len(), case.items));
    }
    let body: Value = serde_json::from_slice(&case.answer.body).unwrap_or(Value::Null);
    let answers = body.get("responses").and_then(Value::as_array).cloned().unwrap_or_default();
    for (i, outcome) in outcomes.iter().enumerate() {
        let answer = answers.iter().find(|a| a.get("id").and_then(Value::as_str) == Some(i.to_string().as_str()));
        let item_status = answer.and_then(|a| a.get("status")).and_then(Value::as_u64);
        let succeeded = case.answer.status == 200 && item_status.is_some_and(|s| (200..300).contains(&s));
        if outcome.error.is_none() != succeeded {
            return Err(format!("item {i} (answer status {item_status:?}, batch {}): outcome {outcome:?}", case.answer.status));
        }
    }
    Ok(())
}
