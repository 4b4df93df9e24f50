//! Signing a user in through the browser, as MSAL does for public clients: the authorization-code grant with PKCE
//! (S256), the browser sent back to a loopback port this side listens on (`http://localhost:<port>/`), the code
//! redeemed at the token endpoint. Opening the browser is the caller's part (the PowerShell host opens URLs the
//! platform's way); this module makes the address, answers the browser and redeems the code.

use crate::auth::{AuthError, UserTokens, graph_scopes, post_form_text, token_of};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most of a request from the browser that is read.
const MAX_REQUEST: usize = 16 * 1024;
/// How long one browser connection may take to send its request.
const REQUEST_LIMIT: Duration = Duration::from_secs(10);

/// A browser sign-in waiting for the browser to come back.
pub struct BrowserSignIn {
    listener: std::net::TcpListener,
    verifier: SecretString,
    state: String,
    redirect_uri: String,
    token_endpoint: String,
    scope: String,
    pub client_id: String,
    pub tenant_id: String,
    /// The address to open in the browser.
    pub url: String,
}

impl std::fmt::Debug for BrowserSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The verifier is a secret: never printed.
        f.debug_struct("BrowserSignIn").field("redirect_uri", &self.redirect_uri).finish_non_exhaustive()
    }
}

fn random_text() -> String {
    let bytes: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|u| u.into_bytes()).collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts a sign-in of a user of `tenant_id` to `client_id` for `scopes`: listens on a free loopback port and makes
/// the authorization address.
pub fn start(authority: &str, tenant_id: &str, client_id: &str, scopes: &[String]) -> Result<BrowserSignIn, AuthError> {
    let authority = authority.trim_end_matches('/');
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| AuthError::new("BrowserSignInUnavailable", format!("No loopback port to receive the sign-in on: {e}")))?;
    let port = listener.local_addr().map_err(|e| AuthError::new("BrowserSignInUnavailable", e.to_string()))?.port();
    let redirect_uri = format!("http://localhost:{port}/");
    let verifier = random_text();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_text();
    let mut scope = graph_scopes(scopes);
    scope.extend(["offline_access".to_owned(), "openid".to_owned(), "profile".to_owned()]);
    let scope = scope.join(" ");
    let mut url = url::Url::parse(&format!("{authority}/{tenant_id}/oauth2/v2.0/authorize"))
        .map_err(|e| AuthError::new("InvalidAuthority", format!("'{authority}' is not an authority address: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", &scope)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state)
        .append_pair("prompt", "select_account")
        .append_pair("client_info", "1");
    Ok(BrowserSignIn {
        listener,
        verifier: SecretString::from(verifier),
        state,
        redirect_uri,
        token_endpoint: format!("{authority}/{tenant_id}/oauth2/v2.0/token"),
        scope,
        client_id: client_id.to_owned(),
        tenant_id: tenant_id.to_owned(),
        url: url.to_string(),
    })
}

/// What the browser brought back.
enum Answer {
    Code(SecretString),
    Refused { error: String, description: String },
}

fn page(title: &str, text: &str) -> String {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

const NOT_FOUND: &str = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

impl BrowserSignIn {
    /// Waits (at most `give_up_after`) for the browser to come back, answers it, and redeems the code.
    pub async fn wait(self, http: &reqwest::Client, give_up_after: Duration) -> Result<UserTokens, AuthError> {
        let listener = tokio::net::TcpListener::from_std(self.listener.try_clone().map_err(|e| AuthError::new("BrowserSignInUnavailable", e.to_string()))?)
            .map_err(|e| AuthError::new("BrowserSignInUnavailable", e.to_string()))?;
        let answer = tokio::time::timeout(give_up_after, self.receive(&listener))
            .await
            .map_err(|_| AuthError::new("BrowserSignInTimeout", "The browser sign-in was not completed in time."))??;
        let code = match answer {
            Answer::Code(code) => code,
            Answer::Refused { error, description } => return Err(AuthError::new(&error, format!("{error}: {description}"))),
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", self.client_id.as_str()),
            ("code", code.expose_secret()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", self.verifier.expose_secret()),
            ("scope", self.scope.as_str()),
            ("client_info", "1"),
        ];
        let token = token_of(&post_form_text(http, &self.token_endpoint, &form).await?, "the token endpoint")?;
        Ok(UserTokens { access_token: token.token, expires_at: token.expires_at, refresh_token: token.refresh_token, scope: self.scope.clone() })
    }

    /// Takes browser connections until one brings the answer for this sign-in (a code or an error with this
    /// sign-in's state); others (a favicon, a stray request) get a 404.
    async fn receive(&self, listener: &tokio::net::TcpListener) -> Result<Answer, AuthError> {
        loop {
            let (mut stream, _) = listener.accept().await.map_err(|e| AuthError::new("BrowserSignInUnavailable", e.to_string()))?;
            let Ok(Some(target)) = tokio::time::timeout(REQUEST_LIMIT, read_request_target(&mut stream)).await else { continue };
            let Some(query) = target.strip_prefix("/?") else {
                let _ = stream.write_all(NOT_FOUND.as_bytes()).await;
                continue;
            };
            let pairs: std::collections::HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            if pairs.get("state") != Some(&self.state) {
                let _ = stream.write_all(NOT_FOUND.as_bytes()).await;
                continue;
            }
            if let Some(code) = pairs.get("code") {
                let _ = stream.write_all(page("Signed in", "You are signed in. You can close this window and return to PowerShell.").as_bytes()).await;
                return Ok(Answer::Code(SecretString::from(code.clone())));
            }
            let error = pairs.get("error").cloned().unwrap_or_else(|| "access_denied".to_owned());
            let description = pairs.get("error_description").cloned().unwrap_or_default();
            let _ = stream.write_all(page("Sign-in failed", "The sign-in did not complete. PowerShell shows why.").as_bytes()).await;
            return Ok(Answer::Refused { error, description });
        }
    }
}

/// The target of a `GET` request (`/?code=…`), or `None` for anything else.
async fn read_request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 || head.len() + read > MAX_REQUEST {
            return None;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head).lines().next()?.to_owned();
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_owned)
}
