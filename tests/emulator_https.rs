//! The emulator over HTTPS, with a certificate it makes or one it is given, and the Graph client that trusts exactly
//! the CA it is told about.

use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::tls::{self, TlsSource};
use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use mgpresence_graph::cmdlet_call::{self, CallOptions, CmdletCallResult};
use mgpresence_graph::{Cloud, GraphClient, GraphClientConfig, TrustedCertificates};
use secrecy::SecretString;
use serde_json::json;

fn client(url: &str, trust: TrustedCertificates) -> GraphClient {
    let mut config = GraphClientConfig::new(Cloud::custom("Emulator", url, url).unwrap());
    config.credential = Some(mgpresence_graph::Credential::AccessToken(SecretString::from("test-token")));
    config.trusted_certificates = trust;
    GraphClient::new(config).unwrap()
}

async fn set_presence(client: &GraphClient) -> CmdletCallResult {
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let bound = json!({"UserId": "u1", "SessionId": "app", "Availability": "Busy", "Activity": "InACall"});
    cmdlet_call::run(Some(client), &cmdlet, "SetExpanded", bound.as_object().unwrap(), &CallOptions::default()).await
}

#[tokio::test]
async fn a_made_certificate_serves_https_to_a_client_that_trusts_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    let emulator = RunningEmulator::start(EmulatorConfig { tls: Some(TlsSource::Generated { ca_path: ca_path.clone() }), ..Default::default() })
        .await
        .unwrap();
    assert!(emulator.url.starts_with("https://127.0.0.1:"), "{}", emulator.url);
    let written = std::fs::read_to_string(&ca_path).unwrap();
    assert!(written.starts_with("-----BEGIN CERTIFICATE-----"), "{written}");
    assert_eq!(Some(written.clone()), emulator.ca_pem);

    let trusted = set_presence(&client(&emulator.url, TrustedCertificates::Pem(written.into_bytes()))).await;
    assert!(trusted.error.is_none(), "{:?}", trusted.error);
    assert_eq!(trusted.status, 200);
    assert_eq!(emulator.requests().len(), 1);

    // A client told about another CA, or about none, does not trust the emulator's certificate: nothing reaches it.
    let other_ca = tls::generate().unwrap().ca_pem.unwrap();
    let untrusted = set_presence(&client(&emulator.url, TrustedCertificates::Pem(other_ca.into_bytes()))).await;
    let error = untrusted.error.expect("an untrusted certificate is refused");
    assert_eq!(error.error_id, "GraphRequestFailed", "{}", error.message);
    let mut empty = GraphClientConfig::new(Cloud::custom("Emulator", &emulator.url, &emulator.url).unwrap());
    empty.trusted_certificates = TrustedCertificates::Pem(b"no certificate here".to_vec());
    let refused = GraphClient::new(empty).unwrap_err();
    assert!(refused.to_string().contains("hold no CERTIFICATE"), "a list without a certificate is a mistake, said so: {refused}");
    let from_environment = set_presence(&client(&emulator.url, TrustedCertificates::FromEnvironment)).await;
    let error = from_environment.error.expect("the platform's trust store does not hold the emulator's CA");
    assert_eq!(error.error_id, "GraphRequestFailed", "{}", error.message);
    assert_eq!(emulator.requests().len(), 1, "the refused connections sent nothing");
    emulator.stop().await;
}

#[tokio::test]
async fn the_users_own_certificate_and_key_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let made = tls::generate().unwrap();
    let ca = made.ca_pem.clone().unwrap();
    let chain: String = made.chain.iter().map(|c| pem_of("CERTIFICATE", c.as_ref())).collect();
    let key = pem_of("PRIVATE KEY", made.key.secret_der());
    let (certificate, key_path) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&certificate, chain).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let emulator = RunningEmulator::start(EmulatorConfig {
        tls: Some(TlsSource::Files { certificate, key: key_path.clone() }),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(emulator.ca_pem, None, "the user's own certificate: no CA of the emulator's");
    let result = set_presence(&client(&emulator.url, TrustedCertificates::Pem(ca.into_bytes()))).await;
    assert!(result.error.is_none(), "{:?}", result.error);
    emulator.stop().await;

    // A key file that holds no key is a clear error at start.
    std::fs::write(&key_path, "not a key").unwrap();
    let refused = RunningEmulator::start(EmulatorConfig {
        tls: Some(TlsSource::Files { certificate: dir.path().join("server.pem"), key: key_path }),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("server.key"), "{refused}");
}

fn pem_of(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}
