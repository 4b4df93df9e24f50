//! The identity provider answers a request it cannot read — a tenant that is not UTF-8, a token request that is not
//! a form, a managed-identity query that does not parse — with an Entra ID-shaped OAuth error (`invalid_request`),
//! not axum's plain-text rejection.

use axum::body::{Body, to_bytes};
use axum::http::Request;
use mgpresence_emulator::EmulatorConfig;
use serde_json::Value;
use tower::ServiceExt;

async fn send(router: &axum::Router, request: Request<Body>) -> (u16, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())))
}

#[tokio::test]
async fn unreadable_identity_requests_get_oauth_errors() {
    let (router, _) = mgpresence_emulator::app(EmulatorConfig::default(), "http://emulator.test");
    let form = "grant_type=client_credentials&client_id=x&client_secret=y";
    let requests = [
        Request::post("/%FF/oauth2/v2.0/token").header("content-type", "application/x-www-form-urlencoded").body(Body::from(form)).unwrap(),
        Request::post("/common/oauth2/v2.0/token").header("content-type", "application/json").body(Body::from("{}")).unwrap(),
        Request::post("/common/oauth2/v2.0/devicecode").body(Body::from(form)).unwrap(),
        Request::get("/msi/token?client_id=a&client_id=b").header("x-identity-header", "mgpresence-emulator-identity-header").body(Body::empty()).unwrap(),
    ];
    for request in requests {
        let uri = request.uri().to_string();
        let (status, body) = send(&router, request).await;
        assert!((400..500).contains(&status), "{uri}: {status} {body}");
        assert_eq!(body["error"], "invalid_request", "{uri}: {body}");
        assert!(body["error_description"].as_str().is_some_and(|d| d.starts_with("AADSTS900144: The request could not be read")), "{uri}: {body}");
    }
}
