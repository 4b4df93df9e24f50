//! The emulator as identity provider, over HTTP: tokens from client credentials, device code and managed identity,
//! and the Graph endpoints' 401/403 answers when it requires the tokens it issued.

use mgpresence_emulator::identity::RegisteredApp;
use mgpresence_emulator::server::{DEMO_APP_ID, DEMO_APP_SECRET, DEMO_USER_ID, demo_directory};
use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

async fn strict() -> (RunningEmulator, reqwest::Client, String) {
    mgpresence_graph::client::ensure_tls_provider();
    let emulator = RunningEmulator::start(EmulatorConfig { require_issued_tokens: true, ..EmulatorConfig::default() }).await.unwrap();
    let tenant = demo_directory().tenant_id;
    (emulator, reqwest::Client::new(), tenant)
}

async fn form_post(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let body = serde_urlencoded::to_string(form).unwrap();
    let response = http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn set_presence(http: &reqwest::Client, url: &str, path: &str, token: &str) -> (u16, Value) {
    let response = http
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .json(&json!({"sessionId": "app", "availability": "Away", "activity": "Away"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn app_token(http: &reqwest::Client, emulator: &RunningEmulator, tenant: &str, client_id: &str, secret: &str) -> (u16, Value) {
    form_post(
        http,
        &format!("{}/{tenant}/oauth2/v2.0/token", emulator.url),
        &[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret), ("scope", "https://graph.microsoft.com/.default")],
    )
    .await
}

#[tokio::test]
async fn client_credentials_tokens_open_the_graph_endpoints_until_they_expire() {
    let (emulator, http, tenant) = strict().await;
    let (status, token) = app_token(&http, &emulator, &tenant, DEMO_APP_ID, DEMO_APP_SECRET).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", access).await.0, 200);

    let (status, body) = set_presence(&http, &emulator.url, "/v1.0/me/presence/setPresence", access).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("Forbidden")), "/me needs a delegated token");

    emulator.state.clock.advance(jiff::SignedDuration::from_hours(1));
    let (status, body) = set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", access).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("InvalidAuthenticationToken")));

    let (status, body) = set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", "any-text").await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("InvalidAuthenticationToken")));

    let (status, body) = app_token(&http, &emulator, &tenant, DEMO_APP_ID, "wrong").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert!(!body.to_string().contains(DEMO_APP_SECRET));
    let (status, body) = app_token(&http, &emulator, "some-other-tenant", DEMO_APP_ID, DEMO_APP_SECRET).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    emulator.stop().await;
}

#[tokio::test]
async fn permissions_and_revocation_are_enforced() {
    let (emulator, http, tenant) = strict().await;
    emulator.state.identity.register_app(RegisteredApp {
        client_id: "reader".into(),
        display_name: "reader".into(),
        secrets: vec!["r".into()],
        certificates: Vec::new(),
        roles: vec!["Presence.Read.All".into()],
        scopes: Vec::new(),
        managed_identity: false,
    });
    let (_, token) = app_token(&http, &emulator, &tenant, "reader", "r").await;
    let reader = token["access_token"].as_str().unwrap();
    let (status, body) = set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", reader).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("Forbidden")));
    let read = http.get(format!("{}/v1.0/users/u1/presence", emulator.url)).bearer_auth(reader).send().await.unwrap();
    assert_eq!(read.status().as_u16(), 200);

    let (_, token) = app_token(&http, &emulator, &tenant, DEMO_APP_ID, DEMO_APP_SECRET).await;
    let writer = token["access_token"].as_str().unwrap().to_owned();
    http.post(format!("{}/_emulator/tokens/revoke", emulator.url)).send().await.unwrap();
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", &writer).await.0, 401);
    emulator.state.clock.advance(jiff::SignedDuration::from_secs(2));
    let (_, token) = app_token(&http, &emulator, &tenant, DEMO_APP_ID, DEMO_APP_SECRET).await;
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", token["access_token"].as_str().unwrap()).await.0, 200);
    emulator.stop().await;
}

#[tokio::test]
async fn device_code_sign_in_gives_a_delegated_token_for_me() {
    let (emulator, http, tenant) = strict().await;
    let (status, started) = form_post(
        &http,
        &format!("{}/{tenant}/oauth2/v2.0/devicecode", emulator.url),
        &[("client_id", DEMO_APP_ID), ("scope", "https://graph.microsoft.com/Presence.ReadWrite offline_access")],
    )
    .await;
    assert_eq!(status, 200, "{started}");
    assert!(started["message"].as_str().unwrap().contains(started["user_code"].as_str().unwrap()));
    let device_code = started["device_code"].as_str().unwrap();
    let poll = [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", DEMO_APP_ID), ("device_code", device_code)];
    let token_url = format!("{}/{tenant}/oauth2/v2.0/token", emulator.url);
    let (status, pending) = form_post(&http, &token_url, &poll).await;
    assert_eq!((status, pending["error"].as_str()), (400, Some("authorization_pending")));
    let completed = http
        .post(format!("{}/_emulator/devicecode/complete", emulator.url))
        .json(&json!({"userCode": started["user_code"], "userId": DEMO_USER_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(completed.status().as_u16(), 204);
    let (status, token) = form_post(&http, &token_url, &poll).await;
    assert_eq!(status, 200, "{token}");
    let delegated = token["access_token"].as_str().unwrap();
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/me/presence/setPresence", delegated).await.0, 200);
    emulator.stop().await;
}

#[tokio::test]
async fn managed_identity_tokens_come_from_both_endpoint_forms() {
    let (emulator, http, _) = strict().await;
    let app_service = http
        .get(format!("{}/msi/token?resource=https://graph.microsoft.com&api-version=2019-08-01", emulator.url))
        .header("X-IDENTITY-HEADER", demo_directory().identity_header)
        .send()
        .await
        .unwrap();
    assert_eq!(app_service.status().as_u16(), 200);
    let token: Value = app_service.json().await.unwrap();
    assert!(token["expires_on"].as_str().unwrap().parse::<i64>().is_ok());
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/users/u/presence/setPresence", token["access_token"].as_str().unwrap()).await.0, 200);
    let wrong_header = http.get(format!("{}/msi/token?resource=x", emulator.url)).header("X-IDENTITY-HEADER", "nope").send().await.unwrap();
    assert_eq!(wrong_header.status().as_u16(), 401);
    let imds = http
        .get(format!("{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com", emulator.url))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(imds.status().as_u16(), 200);
    emulator.stop().await;
}
