//! Sign-in done by the Rust core against the emulator's identity provider, with the emulator requiring the tokens it
//! issues: client secret, certificate assertion, managed identity; refresh on expiry; one retry after a 401.

use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::server::{DEMO_APP_ID, DEMO_APP_SECRET, demo_directory};
use mgpresence_emulator::{EmulatorConfig, RegisteredApp, RunningEmulator};
use mgpresence_graph::cmdlet_call::{self, CallOptions, CmdletCallResult};
use mgpresence_graph::{Cloud, Credential, GraphClient, GraphClientConfig};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use secrecy::SecretString;
use serde_json::json;

async fn strict() -> RunningEmulator {
    RunningEmulator::start(EmulatorConfig { require_issued_tokens: true, ..EmulatorConfig::default() }).await.unwrap()
}

fn client(emulator: &RunningEmulator, credential: Credential) -> GraphClient {
    client_at(&emulator.url, credential)
}

fn client_at(url: &str, credential: Credential) -> GraphClient {
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", url, url).unwrap());
    config.credential = Some(credential);
    GraphClient::new(config).unwrap()
}

fn secret(client_id: &str, value: &str) -> Credential {
    Credential::ClientSecret { tenant_id: demo_directory().tenant_id, client_id: client_id.into(), secret: SecretString::from(value.to_owned()) }
}

async fn set(client: &GraphClient) -> CmdletCallResult {
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let bound = json!({"UserId": "u1", "SessionId": "app", "Availability": "Away", "Activity": "Away"});
    cmdlet_call::run(Some(client), &cmdlet, "SetExpanded", bound.as_object().unwrap(), &CallOptions { trace: true, ..Default::default() }).await
}

#[tokio::test]
async fn a_client_secret_signs_in_and_a_wrong_one_says_why() {
    let emulator = strict().await;
    let ok = client(&emulator, secret(DEMO_APP_ID, DEMO_APP_SECRET));
    ok.acquire_token().await.unwrap();
    let result = set(&ok).await;
    assert!(result.error.is_none(), "{:?}", result.error);
    assert_eq!(result.status, 200);

    let wrong = client(&emulator, secret(DEMO_APP_ID, "not-the-secret"));
    let error = wrong.acquire_token().await.unwrap_err().to_string();
    assert!(error.contains("invalid_client") && !error.contains("not-the-secret"), "{error}");
    let result = set(&wrong).await;
    assert_eq!(result.error.unwrap().error_id, "AuthenticationFailed");
    assert!(emulator.requests().len() == 1, "nothing sent without a token");
    emulator.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_after_one_401() {
    let emulator = strict().await;
    let client = client(&emulator, secret(DEMO_APP_ID, DEMO_APP_SECRET));
    assert_eq!(set(&client).await.status, 200);
    // The emulator's clock moves past the token's lifetime; the client still holds the token.
    emulator.state.clock.advance(jiff::SignedDuration::from_mins(61));
    let result = set(&client).await;
    assert!(result.error.is_none(), "{:?}", result.error);
    assert_eq!(result.status, 200);
    assert_eq!(result.trace.len(), 4, "the 401 and the retry with a new token");
    assert!(result.trace[1].contains("Unauthorized") || result.trace[1].contains("401"), "{}", result.trace[1]);
    emulator.stop().await;
}

#[tokio::test]
async fn a_revoked_token_gets_one_refresh_and_retry_then_a_clear_error() {
    let emulator = strict().await;
    let client = client(&emulator, secret(DEMO_APP_ID, DEMO_APP_SECRET));
    assert_eq!(set(&client).await.status, 200);
    // Every token issued in the next hour is refused too, so the fresh token of the retry is (deterministically; a
    // revocation at "now" let a token issued in the next second through).
    emulator.state.identity.revoke_all(emulator.state.clock.now() + jiff::SignedDuration::from_hours(1));
    emulator.state.clear_requests();
    let result = set(&client).await;
    let error = result.error.unwrap();
    assert_eq!(result.status, 401);
    assert_eq!(error.error_id, "InvalidAuthenticationToken");
    assert!(error.message.contains("revoked"), "{}", error.message);
    assert_eq!(emulator.requests().len(), 2, "one retry with a fresh token, no more");
    emulator.stop().await;
}

#[tokio::test]
async fn a_certificate_signs_the_client_assertion() {
    let emulator = strict().await;
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let public_pem = key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    emulator.state.identity.register_app(RegisteredApp {
        client_id: "cert-app".into(),
        display_name: "cert app".into(),
        secrets: Vec::new(),
        certificates: vec![public_pem],
        roles: vec!["Presence.ReadWrite.All".into()],
        scopes: Vec::new(),
        managed_identity: false,
    });
    let credential = |pem: &str| Credential::ClientCertificate {
        tenant_id: demo_directory().tenant_id,
        client_id: "cert-app".into(),
        private_key_pem: SecretString::from(pem.to_owned()),
        certificate_der: b"certificate bytes for x5t".to_vec(),
    };
    let signed = client(&emulator, credential(&private_pem));
    assert_eq!(set(&signed).await.status, 200);

    let other_key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let impostor = client(&emulator, credential(&other_key.to_pkcs8_pem(LineEnding::LF).unwrap()));
    let Err(mgpresence_graph::ClientError::Authentication(error)) = impostor.acquire_token().await else { panic!("expected an authentication error") };
    assert_eq!(error.code, "invalid_client");
    assert!(error.is_refusal(), "asking again with the same key gets the same answer");
    assert!(!error.message.contains("PRIVATE KEY"));
    emulator.stop().await;
}

#[tokio::test]
async fn managed_identity_uses_identity_endpoint_then_instance_metadata() {
    let emulator = strict().await;
    let managed = |client_id: Option<&str>, endpoint: Option<String>, imds: Option<String>| Credential::ManagedIdentity {
        client_id: client_id.map(str::to_owned),
        identity_endpoint: endpoint,
        identity_header: Some(SecretString::from(demo_directory().identity_header)),
        imds_endpoint: imds,
    };
    let app_service = client(&emulator, managed(None, Some(format!("{}/msi/token", emulator.url)), None));
    assert_eq!(set(&app_service).await.status, 200);
    let imds = client(&emulator, managed(None, None, Some(emulator.url.clone())));
    assert_eq!(set(&imds).await.status, 200);
    let unknown = client(&emulator, managed(Some("not-registered"), None, Some(emulator.url.clone())));
    let Err(mgpresence_graph::ClientError::Authentication(error)) = unknown.acquire_token().await else { panic!("expected an authentication error") };
    assert_eq!(error.code, "invalid_request");
    assert!(error.is_refusal());
    // No endpoint answers (the emulator has stopped): that may pass, so it is not a refusal.
    let url = emulator.url.clone();
    emulator.stop().await;
    let gone = client_at(&url, managed(None, Some(format!("{url}/msi/token")), None));
    let Err(mgpresence_graph::ClientError::Authentication(error)) = gone.acquire_token().await else { panic!("expected an authentication error") };
    assert!(!error.is_refusal(), "{}: {}", error.code, error.message);
}

/// A user's device code sign-in lasts: the connection renews its token with the refresh token five minutes before it
/// expires, and at once when the service refuses it (401), without the user.
#[tokio::test]
async fn a_delegated_sign_in_renews_itself_before_expiry_and_after_a_401() {
    use mgpresence_graph::auth::{poll_device_code, start_device_code};
    use std::time::Duration;
    let emulator = strict().await;
    let tenant = demo_directory().tenant_id;
    // A token that is already inside the five-minute margin two seconds from now.
    emulator.state.identity.set_token_lifetime(jiff::SignedDuration::from_secs(302));
    let http = reqwest::Client::new();
    let challenge = start_device_code(&http, &emulator.url, &tenant, DEMO_APP_ID, &["Presence.ReadWrite".to_owned()]).await.unwrap();
    emulator.state.identity.complete_device_code(&challenge.user_code, mgpresence_emulator::server::DEMO_USER_ID).unwrap();
    let tokens = poll_device_code(&http, &challenge, Duration::from_secs(5)).await.unwrap();
    assert!(tokens.refresh_token.is_some(), "offline_access is asked for, so a refresh token comes back");
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", &emulator.url, &emulator.url).unwrap());
    config.credential = Some(Credential::Delegated {
        client_id: DEMO_APP_ID.to_owned(),
        tenant_id: tenant,
        tokens,
        flow: mgpresence_graph::auth::DelegatedFlow::DeviceCode,
    });
    let client = GraphClient::new(config).unwrap();
    let token_id = |client: &GraphClient| client.tokens().unwrap().claims().unwrap()["uti"].as_str().unwrap().to_owned();
    let me = |client: &GraphClient| {
        let client = client.clone();
        async move {
            let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
            let bound = json!({"UserId": mgpresence_emulator::server::DEMO_USER_ID, "SessionId": DEMO_APP_ID, "Availability": "Away", "Activity": "Away"});
            cmdlet_call::run(Some(&client), &cmdlet, "SetExpanded", bound.as_object().unwrap(), &CallOptions::default()).await
        }
    };
    assert_eq!(me(&client).await.status, 200);
    let signed_in = token_id(&client);

    emulator.state.identity.set_token_lifetime(jiff::SignedDuration::from_hours(1));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(me(&client).await.status, 200);
    let renewed = token_id(&client);
    assert_ne!(renewed, signed_in, "renewed before it expired");

    // By the service's clock the token has expired: the 401 makes the connection renew it and send once more.
    emulator.state.clock.advance(jiff::SignedDuration::from_hours(2));
    emulator.state.clear_requests();
    let after_expiry = me(&client).await;
    assert!(after_expiry.error.is_none(), "{:?}", after_expiry.error);
    assert_eq!(emulator.requests().iter().map(|r| r.status).collect::<Vec<_>>(), [401, 200]);
    assert_ne!(token_id(&client), renewed);

    // Once the grant is revoked the connection says the user must sign in again, without showing a token.
    emulator.state.identity.revoke_all(emulator.state.clock.now() + jiff::SignedDuration::from_hours(1));
    let revoked = me(&client).await;
    let error = revoked.error.unwrap();
    assert!(error.message.contains("Connect-MgGraph"), "{}", error.message);
    emulator.stop().await;
}
