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

    // A revocation with a window also refuses the tokens issued within it, and only those.
    let revoke = http.post(format!("{}/_emulator/tokens/revoke", emulator.url)).body(r#"{"through":"PT10S"}"#).send().await.unwrap();
    assert_eq!(revoke.status().as_u16(), 204);
    emulator.state.clock.advance(jiff::SignedDuration::from_secs(5));
    let (_, token) = app_token(&http, &emulator, &tenant, DEMO_APP_ID, DEMO_APP_SECRET).await;
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", token["access_token"].as_str().unwrap()).await.0, 401);
    emulator.state.clock.advance(jiff::SignedDuration::from_secs(6));
    let (_, token) = app_token(&http, &emulator, &tenant, DEMO_APP_ID, DEMO_APP_SECRET).await;
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/users/u1/presence/setPresence", token["access_token"].as_str().unwrap()).await.0, 200);
    let bad = http.post(format!("{}/_emulator/tokens/revoke", emulator.url)).body(r#"{"through":"ten seconds"}"#).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
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

/// Interactive sign-in without a person: `/authorize` signs in the user a test names and sends the browser back to the
/// app's loopback address with a code, which the token endpoint redeems (PKCE) for the tokens MSAL keeps; the refresh
/// token gives new ones.
#[tokio::test]
async fn authorization_code_with_pkce_then_refresh_over_http() {
    use base64::Engine;
    let (emulator, _, tenant) = strict().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let registered = http
        .post(format!("{}/_emulator/users", emulator.url))
        .json(&json!({"id": "u-auth", "userPrincipalName": "lee@contoso.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    let chosen = http.post(format!("{}/_emulator/authorize/user", emulator.url)).json(&json!({"userId": "lee@contoso.example"})).send().await.unwrap();
    assert_eq!(chosen.status().as_u16(), 204);

    let verifier = "k4Jw-verifier-of-forty-three-characters-or-more";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(verifier));
    let redirect_uri = "http://localhost:53117/";
    let page = http
        .get(format!("{}/{tenant}/oauth2/v2.0/authorize", emulator.url))
        .query(&[
            ("client_id", DEMO_APP_ID),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
            ("scope", "https://graph.microsoft.com/Presence.ReadWrite openid profile offline_access"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "s-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 302);
    let location = url::Url::parse(page.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(format!("{}://{}:{}/", location.scheme(), location.host_str().unwrap(), location.port().unwrap()), redirect_uri);
    let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "s-1");

    let token_url = format!("{}/{tenant}/oauth2/v2.0/token", emulator.url);
    let redeem = [
        ("grant_type", "authorization_code"),
        ("client_id", DEMO_APP_ID),
        ("code", pairs["code"].as_str()),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
        ("client_info", "1"),
    ];
    let (status, tokens) = form_post(&http, &token_url, &redeem).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "Presence.ReadWrite openid profile");
    let info = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tokens["client_info"].as_str().unwrap()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&info).unwrap(), json!({"uid": "u-auth", "utid": tenant}));
    let id_claims = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    let id_claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id_claims).unwrap()).unwrap();
    assert_eq!((id_claims["oid"].as_str(), id_claims["aud"].as_str()), (Some("u-auth"), Some(DEMO_APP_ID)));
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/me/presence/setPresence", access).await.0, 200);

    let (status, again) = form_post(&http, &token_url, &redeem).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")), "a code is redeemed once");
    let refresh = [("grant_type", "refresh_token"), ("client_id", DEMO_APP_ID), ("refresh_token", tokens["refresh_token"].as_str().unwrap())];
    let (status, renewed) = form_post(&http, &token_url, &refresh).await;
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"], "each answer carries a new refresh token");
    assert_eq!(set_presence(&http, &emulator.url, "/v1.0/me/presence/setPresence", renewed["access_token"].as_str().unwrap()).await.0, 200);
    let unknown = [("grant_type", "refresh_token"), ("client_id", DEMO_APP_ID), ("refresh_token", "made-up")];
    let (status, refused) = form_post(&http, &token_url, &unknown).await;
    assert_eq!((status, refused["error_codes"][0].as_u64()), (400, Some(9_002_313)), "{refused}");
    emulator.stop().await;
}

/// MSAL asks for `response_mode=form_post`: the page carries the code and state in a form it posts to the app.
#[tokio::test]
async fn authorize_answers_form_post_with_a_page_that_posts_the_code() {
    let (emulator, http, tenant) = strict().await;
    let page = http
        .get(format!("{}/{tenant}/oauth2/v2.0/authorize", emulator.url))
        .query(&[
            ("client_id", DEMO_APP_ID),
            ("response_type", "code"),
            ("response_mode", "form_post"),
            ("redirect_uri", "http://localhost:40001"),
            ("scope", "https://graph.microsoft.com/.default openid offline_access"),
            ("state", "a&b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<form method="POST" name="hiddenform" action="http://localhost:40001/">"#), "{html}");
    assert!(html.contains(r#"<input type="hidden" name="state" value="a&amp;b">"#), "{html}");
    assert!(html.contains(r#"<input type="hidden" name="code" value=""#), "{html}");
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
