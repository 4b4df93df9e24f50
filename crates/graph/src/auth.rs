//! Getting access tokens (Microsoft.Graph.Authentication's flows, done by the Rust core):
//!
//! - a token the user supplies (`-AccessToken`), used as is;
//! - client credentials with a secret, or with a certificate: a client assertion JWT signed RS256 with the
//!   certificate's private key, carrying the certificate's SHA-1 thumbprint as `x5t`;
//! - managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service, Azure Automation), else the instance
//!   metadata endpoint (`IMDS_ENDPOINT` overrides its address); the caller passes these values in.
//!
//! - a user's sign-in, with a device code or through the browser ([`crate::browser_sign_in`]), whose refresh token
//!   renews the access token ([`Credential::Delegated`]).
//!
//! Tokens are cached in memory per connection and fetched again five minutes before they expire, or at once after
//! a 401 ([`TokenProvider::invalidate`]). No secret, assertion or token is ever put in an error or a log.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The scope of every client-credential request: Graph's default permissions.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
/// How long before expiry a token is fetched again.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How a connection gets its tokens.
#[derive(Clone)]
pub enum Credential {
    AccessToken(SecretString),
    ClientSecret { tenant_id: String, client_id: String, secret: SecretString },
    /// `private_key_pem` is the certificate's private key (PKCS#8 or PKCS#1 PEM); `certificate_der` the certificate.
    ClientCertificate { tenant_id: String, client_id: String, private_key_pem: SecretString, certificate_der: Vec<u8> },
    /// The endpoints come from the environment of the PowerShell session (IDENTITY_ENDPOINT, IDENTITY_HEADER,
    /// IMDS_ENDPOINT), passed in by the caller.
    ManagedIdentity { client_id: Option<String>, identity_endpoint: Option<String>, identity_header: Option<SecretString>, imds_endpoint: Option<String> },
    /// A user signed in (device code): the tokens the sign-in gave. With a refresh token the connection renews its
    /// access token by itself, before it expires and after a 401; without one it lasts as long as its token.
    Delegated { client_id: String, tenant_id: String, tokens: UserTokens, flow: DelegatedFlow },
}

/// How a user signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelegatedFlow {
    DeviceCode,
    InteractiveBrowser,
}

/// What a delegated sign-in gives: an access token with its expiry, the refresh token (when `offline_access` was
/// granted) and the scopes asked for.
#[derive(Clone)]
pub struct UserTokens {
    pub access_token: SecretString,
    pub expires_at: SystemTime,
    pub refresh_token: Option<SecretString>,
    /// The scopes requested, as sent (`https://graph.microsoft.com/Presence.ReadWrite offline_access`).
    pub scope: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never printed.
        f.write_str(match self {
            Self::AccessToken(_) => "Credential::AccessToken",
            Self::ClientSecret { .. } => "Credential::ClientSecret",
            Self::ClientCertificate { .. } => "Credential::ClientCertificate",
            Self::ManagedIdentity { .. } => "Credential::ManagedIdentity",
            Self::Delegated { .. } => "Credential::Delegated",
        })
    }
}

impl Credential {
    /// A certificate credential from a PEM text that holds the certificate and its private key (as
    /// `AZURE_CLIENT_CERTIFICATE_PATH` names one).
    pub fn client_certificate_from_pem(tenant_id: &str, client_id: &str, pem: &str) -> Result<Self, AuthError> {
        let block = |label: &str| -> Option<String> {
            let begin = format!("-----BEGIN {label}-----");
            let end = format!("-----END {label}-----");
            let start = pem.find(&begin)?;
            let stop = pem[start..].find(&end)? + start + end.len();
            Some(pem[start..stop].to_owned())
        };
        let certificate = block("CERTIFICATE").ok_or_else(|| AuthError::new("InvalidCertificate", "The PEM holds no CERTIFICATE."))?;
        let body: String = certificate.lines().filter(|l| !l.starts_with("-----")).collect();
        let certificate_der = base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|_| AuthError::new("InvalidCertificate", "The PEM's CERTIFICATE is not base64."))?;
        let key = block("PRIVATE KEY")
            .or_else(|| block("RSA PRIVATE KEY"))
            .ok_or_else(|| AuthError::new("InvalidCertificate", "The PEM holds no PRIVATE KEY (the certificate's key must be in the same file)."))?;
        Ok(Self::ClientCertificate {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            private_key_pem: SecretString::from(key),
            certificate_der,
        })
    }

    /// A certificate credential from a file as `AZURE_CLIENT_CERTIFICATE_PATH` names one, read as Azure.Identity's
    /// `EnvironmentCredential` reads it: PEM text with the certificate and its key, or a PFX (PKCS#12) protected by
    /// `password` (`AZURE_CLIENT_CERTIFICATE_PASSWORD`; none for an unprotected one). Errors never hold the password
    /// or the key.
    pub fn client_certificate_from_file(tenant_id: &str, client_id: &str, bytes: &[u8], password: Option<&str>) -> Result<Self, AuthError> {
        if let Ok(text) = std::str::from_utf8(bytes)
            && text.contains("-----BEGIN")
        {
            return Self::client_certificate_from_pem(tenant_id, client_id, text);
        }
        let store = p12_keystore::KeyStore::from_pkcs12(bytes, password.unwrap_or_default(), p12_keystore::Pkcs12ImportPolicy::Strict).map_err(|_| {
            AuthError::new(
                "InvalidCertificate",
                "The file is neither PEM nor a PFX this password opens (AZURE_CLIENT_CERTIFICATE_PASSWORD, for a PFX that has one).",
            )
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| AuthError::new("InvalidCertificate", "The PFX holds no private key with its certificate."))?;
        let certificate = chain.certs().first().ok_or_else(|| AuthError::new("InvalidCertificate", "The PFX's key has no certificate."))?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(chain.key().as_der());
        let mut key = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in encoded.as_bytes().chunks(64) {
            key.push_str(std::str::from_utf8(line).unwrap_or_default());
            key.push('\n');
        }
        key.push_str("-----END PRIVATE KEY-----\n");
        Ok(Self::ClientCertificate {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            private_key_pem: SecretString::from(key),
            certificate_der: certificate.as_der().to_vec(),
        })
    }

    /// Microsoft's AuthType for Get-MgContext.
    pub fn auth_type(&self) -> &'static str {
        match self {
            Self::AccessToken(_) => "UserProvidedAccessToken",
            Self::ClientSecret { .. } | Self::ClientCertificate { .. } => "AppOnly",
            Self::ManagedIdentity { .. } => "ManagedIdentity",
            Self::Delegated { .. } => "Delegated",
        }
    }

    /// Microsoft's TokenCredentialType for Get-MgContext.
    pub fn token_credential_type(&self) -> &'static str {
        match self {
            Self::AccessToken(_) => "UserProvidedAccessToken",
            Self::ClientSecret { .. } => "ClientSecret",
            Self::ClientCertificate { .. } => "ClientCertificate",
            Self::ManagedIdentity { .. } => "ManagedIdentity",
            Self::Delegated { flow: DelegatedFlow::DeviceCode, .. } => "DeviceCode",
            Self::Delegated { flow: DelegatedFlow::InteractiveBrowser, .. } => "InteractiveBrowser",
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::ClientSecret { client_id, .. } | Self::ClientCertificate { client_id, .. } | Self::Delegated { client_id, .. } => {
                Some(client_id)
            }
            Self::ManagedIdentity { client_id, .. } => client_id.as_deref(),
            Self::AccessToken(_) => None,
        }
    }

    pub fn tenant_id(&self) -> Option<&str> {
        match self {
            Self::ClientSecret { tenant_id, .. } | Self::ClientCertificate { tenant_id, .. } | Self::Delegated { tenant_id, .. } => {
                Some(tenant_id)
            }
            _ => None,
        }
    }
}

/// Why no token was obtained. The message never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    /// The identity provider's error (`invalid_client`), or the project's id.
    pub code: String,
    pub message: String,
}

impl AuthError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }

    /// Whether the identity provider (or the credential itself) refused: asking again with the same credential
    /// gets the same answer. A sign-in that got no answer, an answer that could not be read, or the provider's
    /// `temporarily_unavailable` / `server_error` (RFC 6749 §5.2) may succeed later.
    pub fn is_refusal(&self) -> bool {
        !matches!(self.code.as_str(), "AuthenticationFailed" | "ManagedIdentityUnavailable" | "temporarily_unavailable" | "server_error")
    }
}

#[derive(Clone)]
pub(crate) struct CachedToken {
    pub(crate) token: SecretString,
    pub(crate) expires_at: SystemTime,
    /// The refresh token the answer carried, if any.
    pub(crate) refresh_token: Option<SecretString>,
}

/// Tokens for one connection.
pub struct TokenProvider {
    credential: Credential,
    /// The sign-in authority (`https://login.microsoftonline.com`, or a custom environment's).
    authority: String,
    cache: Mutex<Option<CachedToken>>,
    /// A delegated sign-in's refresh token, replaced by the one each refresh answers with.
    refresh_token: Mutex<Option<SecretString>>,
}

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenProvider").field("credential", &self.credential).field("authority", &self.authority).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OAuthErrorReply {
    error: String,
    #[serde(default)]
    error_description: String,
}

fn number(v: &serde_json::Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

impl TokenProvider {
    pub fn new(credential: Credential, authority: &str) -> Self {
        let (cache, refresh_token) = match &credential {
            Credential::Delegated { tokens, .. } => (
                Some(CachedToken { token: tokens.access_token.clone(), expires_at: tokens.expires_at, refresh_token: None }),
                tokens.refresh_token.clone(),
            ),
            _ => (None, None),
        };
        Self { credential, authority: authority.trim_end_matches('/').to_owned(), cache: Mutex::new(cache), refresh_token: Mutex::new(refresh_token) }
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Whether a new token can be fetched: not for a token the user supplied, nor for a delegated sign-in without a
    /// refresh token.
    pub fn can_refresh(&self) -> bool {
        match self.credential {
            Credential::AccessToken(_) => false,
            Credential::Delegated { .. } => self.refresh_token.lock().expect("refresh token lock").is_some(),
            _ => true,
        }
    }

    /// The claims of the current token, read without verification (for Get-MgContext's Scopes and Account); `None`
    /// when there is no token yet or it is not a JWT.
    pub fn claims(&self) -> Option<serde_json::Value> {
        let token = match &self.credential {
            Credential::AccessToken(t) => t.clone(),
            _ => self.cache.lock().expect("token cache lock").as_ref()?.token.clone(),
        };
        let payload = token.expose_secret().split('.').nth(1)?.to_owned();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?).ok()
    }

    /// A delegated sign-in's current refresh token (to keep it for the user between sessions, `-ContextScope
    /// CurrentUser`); `None` for other credentials.
    pub fn refresh_token(&self) -> Option<SecretString> {
        matches!(self.credential, Credential::Delegated { .. }).then(|| self.refresh_token.lock().expect("refresh token lock").clone()).flatten()
    }

    /// Forgets the cached token (after a 401), when a new one can be had.
    pub fn invalidate(&self) {
        if self.can_refresh() {
            *self.cache.lock().expect("token cache lock") = None;
        }
    }

    /// A token that is valid for at least [`REFRESH_MARGIN`] more.
    pub async fn token(&self, http: &reqwest::Client) -> Result<SecretString, AuthError> {
        if let Credential::AccessToken(token) = &self.credential {
            return Ok(token.clone());
        }
        let cached = self.cache.lock().expect("token cache lock").clone();
        if let Some(cached) = &cached
            && (cached.expires_at > SystemTime::now() + REFRESH_MARGIN || !self.can_refresh())
        {
            // A delegated token that cannot be renewed is used until the service refuses it.
            return Ok(cached.token.clone());
        }
        let fresh = self.fetch(http).await?;
        if let Some(next) = fresh.refresh_token.clone() {
            *self.refresh_token.lock().expect("refresh token lock") = Some(next);
        }
        *self.cache.lock().expect("token cache lock") = Some(fresh.clone());
        Ok(fresh.token)
    }

    fn token_endpoint(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/oauth2/v2.0/token", self.authority)
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<CachedToken, AuthError> {
        match &self.credential {
            Credential::AccessToken(_) => unreachable!("handled by token()"),
            Credential::Delegated { tenant_id, client_id, tokens, .. } => {
                let refresh_token = self.refresh_token.lock().expect("refresh token lock").clone().ok_or_else(|| {
                    AuthError::new("InteractionRequired", "The sign-in has expired and cannot be renewed without the user. Run Connect-MgGraph again.")
                })?;
                let form = [
                    ("grant_type", "refresh_token"),
                    ("client_id", client_id.as_str()),
                    ("refresh_token", refresh_token.expose_secret()),
                    ("scope", tokens.scope.as_str()),
                    ("client_info", "1"),
                ];
                self.post_form(http, &self.token_endpoint(tenant_id), &form).await.map_err(|e| {
                    if e.code == "invalid_grant" {
                        AuthError::new("InteractionRequired", format!("The sign-in can no longer be renewed ({}). Run Connect-MgGraph again.", e.message))
                    } else {
                        e
                    }
                })
            }
            Credential::ClientSecret { tenant_id, client_id, secret } => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.expose_secret()),
                    ("scope", GRAPH_DEFAULT_SCOPE),
                ];
                self.post_form(http, &self.token_endpoint(tenant_id), &form).await
            }
            Credential::ClientCertificate { tenant_id, client_id, private_key_pem, certificate_der } => {
                let endpoint = self.token_endpoint(tenant_id);
                let assertion = client_assertion(client_id, &endpoint, private_key_pem, certificate_der)?;
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", assertion.expose_secret()),
                    ("scope", GRAPH_DEFAULT_SCOPE),
                ];
                self.post_form(http, &endpoint, &form).await
            }
            Credential::ManagedIdentity { client_id, identity_endpoint, identity_header, imds_endpoint } => {
                self.managed_identity(http, client_id.as_deref(), identity_endpoint.as_deref(), identity_header.as_ref(), imds_endpoint.as_deref()).await
            }
        }
    }

    async fn post_form(&self, http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Result<CachedToken, AuthError> {
        token_of(&post_form_text(http, url, form).await?, url)
    }

    async fn managed_identity(
        &self,
        http: &reqwest::Client,
        client_id: Option<&str>,
        identity_endpoint: Option<&str>,
        identity_header: Option<&SecretString>,
        imds_endpoint: Option<&str>,
    ) -> Result<CachedToken, AuthError> {
        let resource = "https://graph.microsoft.com";
        let mut query: Vec<(&str, &str)> = vec![("resource", resource)];
        if let Some(id) = client_id {
            query.push(("client_id", id));
        }
        let request = match identity_endpoint.filter(|v| !v.is_empty()) {
            Some(endpoint) => {
                query.push(("api-version", "2019-08-01"));
                let header = identity_header.map(|h| h.expose_secret().to_owned()).unwrap_or_default();
                http.get(endpoint).query(&query).header("X-IDENTITY-HEADER", header)
            }
            None => {
                let base = imds_endpoint.filter(|v| !v.is_empty()).unwrap_or("http://169.254.169.254");
                query.push(("api-version", "2018-02-01"));
                http.get(format!("{}/metadata/identity/oauth2/token", base.trim_end_matches('/'))).query(&query).header("Metadata", "true")
            }
        };
        let response = request
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| AuthError::new("ManagedIdentityUnavailable", format!("No managed identity endpoint answered: {}", e.without_url())))?;
        let from = "the managed identity endpoint";
        token_of(&response_text(response, from).await?, from)
    }
}

/// Posts a form to an identity endpoint; the answer's text, or the endpoint's OAuth error.
pub(crate) async fn post_form_text(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Result<String, AuthError> {
    let body = serde_urlencoded::to_string(form).map_err(|e| AuthError::new("InvalidRequest", e.to_string()))?;
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| AuthError::new("AuthenticationFailed", format!("The request to {url} failed: {}", e.without_url())))?;
    response_text(response, url).await
}

/// A response's text when it is a success, otherwise its OAuth error (`error`, `error_description`).
async fn response_text(response: reqwest::Response, from: &str) -> Result<String, AuthError> {
    let status = response.status();
    let text = response.text().await.map_err(|e| AuthError::new("AuthenticationFailed", e.without_url().to_string()))?;
    if status.is_success() {
        return Ok(text);
    }
    Err(match serde_json::from_str::<OAuthErrorReply>(&text) {
        Ok(e) => AuthError::new(&e.error, format!("{}: {}", e.error, e.error_description)),
        Err(_) => AuthError::new("AuthenticationFailed", format!("{from} answered {status}")),
    })
}

/// The token in a token endpoint's answer, with its expiry (`expires_on` or `expires_in`).
pub(crate) fn token_of(text: &str, from: &str) -> Result<CachedToken, AuthError> {
    let reply: TokenReply =
        serde_json::from_str(text).map_err(|_| AuthError::new("AuthenticationFailed", format!("{from} did not return a token")))?;
    let now = SystemTime::now();
    // An expiry the clock cannot represent (`expires_on: 18446744073709551615`) counts as not given.
    let expires_on = reply.expires_on.as_ref().and_then(number).and_then(|on| UNIX_EPOCH.checked_add(Duration::from_secs(on)));
    let expires_in = reply.expires_in.as_ref().and_then(number).and_then(|seconds| now.checked_add(Duration::from_secs(seconds)));
    let expires_at = expires_on.or(expires_in).unwrap_or(now + Duration::from_secs(3600));
    Ok(CachedToken { token: SecretString::from(reply.access_token), expires_at, refresh_token: reply.refresh_token.map(SecretString::from) })
}

/// The client assertion of the certificate flow: RS256, `x5t` = base64url(SHA-1(certificate)), for `audience`.
pub fn client_assertion(client_id: &str, audience: &str, private_key_pem: &SecretString, certificate_der: &[u8]) -> Result<SecretString, AuthError> {
    let key = EncodingKey::from_rsa_pem(private_key_pem.expose_secret().as_bytes())
        .map_err(|_| AuthError::new("InvalidCertificate", "The certificate's private key is not an RSA key this client can sign with."))?;
    let mut header = Header::new(Algorithm::RS256);
    header.x5t = Some(URL_SAFE_NO_PAD.encode(Sha1::digest(certificate_der)));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let claims = serde_json::json!({
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": now,
        "iat": now,
        "exp": now + 600,
    });
    jsonwebtoken::encode(&header, &claims, &key)
        .map(SecretString::from)
        .map_err(|_| AuthError::new("InvalidCertificate", "The client assertion could not be signed with the certificate's private key."))
}

/// A device code sign-in waiting for the user.
pub struct DeviceCodeChallenge {
    /// What to show the user (where to go, which code to enter).
    pub message: String,
    pub user_code: String,
    /// The scopes asked for, as sent.
    scope: String,
    device_code: SecretString,
    interval: Duration,
    expires_at: SystemTime,
    token_endpoint: String,
    pub client_id: String,
    pub tenant_id: String,
}

#[derive(Deserialize)]
struct DeviceCodeReply {
    device_code: String,
    user_code: String,
    message: String,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Delegated Graph permissions as a sign-in asks for them: `Presence.ReadWrite` → `https://graph.microsoft.com/Presence.ReadWrite`.
pub(crate) fn graph_scopes(scopes: &[String]) -> Vec<String> {
    scopes.iter().map(|s| if s.contains("://") { s.clone() } else { format!("https://graph.microsoft.com/{s}") }).collect()
}

/// Starts a device code sign-in for `scopes` (delegated Graph permissions).
pub async fn start_device_code(
    http: &reqwest::Client,
    authority: &str,
    tenant_id: &str,
    client_id: &str,
    scopes: &[String],
) -> Result<DeviceCodeChallenge, AuthError> {
    let authority = authority.trim_end_matches('/');
    let mut scope = graph_scopes(scopes);
    scope.push("offline_access".into());
    let scope = scope.join(" ");
    let url = format!("{authority}/{tenant_id}/oauth2/v2.0/devicecode");
    let text = post_form_text(http, &url, &[("client_id", client_id), ("scope", &scope)]).await?;
    let reply: DeviceCodeReply = serde_json::from_str(&text).map_err(|_| AuthError::new("AuthenticationFailed", "The device code answer could not be read."))?;
    Ok(DeviceCodeChallenge {
        message: reply.message,
        user_code: reply.user_code,
        scope,
        device_code: SecretString::from(reply.device_code),
        interval: Duration::from_secs(reply.interval.unwrap_or(5).max(1)),
        expires_at: SystemTime::now()
            .checked_add(Duration::from_secs(reply.expires_in.unwrap_or(900)))
            .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(900)),
        token_endpoint: format!("{authority}/{tenant_id}/oauth2/v2.0/token"),
        client_id: client_id.to_owned(),
        tenant_id: tenant_id.to_owned(),
    })
}

/// Polls the token endpoint until the user completes the sign-in, the code expires, or `give_up_after` passes.
pub async fn poll_device_code(http: &reqwest::Client, challenge: &DeviceCodeChallenge, give_up_after: Duration) -> Result<UserTokens, AuthError> {
    let deadline = SystemTime::now().checked_add(give_up_after).map_or(challenge.expires_at, |limit| std::cmp::min(challenge.expires_at, limit));
    let mut interval = challenge.interval;
    loop {
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", challenge.client_id.as_str()),
            ("device_code", challenge.device_code.expose_secret()),
            ("client_info", "1"),
        ];
        match post_form_text(http, &challenge.token_endpoint, &form).await.and_then(|text| token_of(&text, "the token endpoint")) {
            Ok(token) => {
                return Ok(UserTokens {
                    access_token: token.token,
                    expires_at: token.expires_at,
                    refresh_token: token.refresh_token,
                    scope: challenge.scope.clone(),
                });
            }
            Err(e) if e.code == "authorization_pending" => {}
            Err(e) if e.code == "slow_down" => interval = interval.saturating_add(Duration::from_secs(5)),
            Err(e) => return Err(e),
        }
        if SystemTime::now().checked_add(interval).is_none_or(|next| next > deadline) {
            return Err(AuthError::new("expired_token", "The device code sign-in was not completed in time."));
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_pem_gives_the_certificate_and_its_key_or_says_what_is_missing() {
        let certificate = "-----BEGIN CERTIFICATE-----\nAAECAw==\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n";
        match Credential::client_certificate_from_pem("t", "c", &format!("{key}{certificate}")).unwrap() {
            Credential::ClientCertificate { certificate_der, private_key_pem, client_id, .. } => {
                assert_eq!(certificate_der, [0, 1, 2, 3]);
                assert_eq!(private_key_pem.expose_secret().trim_end(), key.trim_end());
                assert_eq!(client_id, "c");
            }
            other => panic!("{other:?}"),
        }
        let no_key = Credential::client_certificate_from_pem("t", "c", certificate).unwrap_err();
        assert!(no_key.message.contains("no PRIVATE KEY"), "{no_key}");
        assert!(!no_key.message.contains("AAECAw"), "nothing of the file in the error");
        assert!(Credential::client_certificate_from_pem("t", "c", key).unwrap_err().message.contains("no CERTIFICATE"));
    }

    #[test]
    fn expiries_the_clock_cannot_hold_count_as_not_given() {
        for reply in [
            r#"{"access_token":"t","expires_on":"18446744073709551615"}"#,
            r#"{"access_token":"t","expires_in":18446744073709551615}"#,
            r#"{"access_token":"t","expires_on":18446744073709551615,"expires_in":"18446744073709551615"}"#,
        ] {
            let token = token_of(reply, "test").unwrap();
            let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
            assert!(token.expires_at <= in_an_hour, "{reply}");
        }
        let token = token_of(r#"{"access_token":"t","expires_on":"18446744073709551615","expires_in":60}"#, "test").unwrap();
        assert!(token.expires_at <= SystemTime::now() + Duration::from_secs(60));
    }
}
