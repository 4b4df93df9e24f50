//! Delegated sign-ins, answered as Entra ID answers them, so MSAL and Azure.Identity accept them:
//!
//! - the tokens of a signed-in user carry the granted `scope`; an `id_token` when `openid` was asked for; a
//!   `refresh_token` when `offline_access` was; `client_info` (base64url of `{"uid","utid"}`) when the request said
//!   `client_info=1`, which MSAL's token cache needs;
//! - the `refresh_token` grant (each answer carries a new refresh token; the one redeemed stays valid, as Entra ID's
//!   refresh tokens are not single-use);
//! - the authorization-code grant with PKCE: `/authorize` signs in the directory's sign-in user (the demo user, or the
//!   one `POST /_emulator/authorize/user` names) without a person and redirects to the app's loopback
//!   `redirect_uri` with a code, which the token endpoint redeems once, with the right verifier.
//!
//! Each refusal carries the AADSTS code Entra ID uses for it.

use crate::identity::{Identity, OAuthError, RegisteredApp, RegisteredUser, TokenResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// The OpenID Connect scopes: asked for beside the resource's, never granted as permissions.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];
/// How long a refresh token lasts unused (Entra ID's default inactivity limit).
const REFRESH_TOKEN_LIFETIME: SignedDuration = SignedDuration::from_hours(90 * 24);
/// How long an authorization code may wait for its redemption.
const CODE_LIFETIME: SignedDuration = SignedDuration::from_mins(10);

/// What a user granted an app: enough to issue tokens again.
#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    user: RegisteredUser,
    /// The scopes as requested.
    requested: String,
    issued_at: Timestamp,
    expires_at: Timestamp,
}

/// An authorization code waiting for its redemption.
#[derive(Debug, Clone)]
struct AuthorizationCode {
    grant: Grant,
    redirect_uri: String,
    /// `(method, challenge)` of PKCE.
    challenge: Option<(String, String)>,
    nonce: Option<String>,
}

/// The delegated sign-ins' state.
#[derive(Debug, Default)]
pub struct UserSignIns {
    refresh_tokens: Mutex<HashMap<String, Grant>>,
    codes: Mutex<HashMap<String, AuthorizationCode>>,
    /// Who `/authorize` signs in; the emulator's signed-in user when not set.
    sign_in_user: Mutex<Option<String>>,
}

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    aud: &'a str,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    name: &'a str,
    oid: &'a str,
    preferred_username: &'a str,
    sub: String,
    tid: &'a str,
    ver: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

/// Why `/authorize` cannot sign in: shown on the page when there is no redirect address to send it to, otherwise sent
/// to that address as `error` and `error_description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeFailure {
    Page(OAuthError),
    Redirect { redirect_uri: String, state: Option<String>, error: OAuthError },
}

fn words(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|s| !s.is_empty())
}

/// The resource scopes of a request, by their short names (`https://graph.microsoft.com/Presence.ReadWrite` →
/// `Presence.ReadWrite`).
fn resource_scopes(requested: &str) -> Vec<String> {
    words(requested)
        .filter(|s| !OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s)))
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
        .collect()
}

fn asks_for(requested: &str, scope: &str) -> bool {
    words(requested).any(|s| s.eq_ignore_ascii_case(scope))
}

fn random_token() -> String {
    let bytes: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|u| u.into_bytes()).collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether an address is a loopback `http` redirect address, which public clients may use with any port.
fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

fn invalid_grant(description: impl Into<String>) -> OAuthError {
    OAuthError::new(400, "invalid_grant", description)
}

impl Identity {
    /// The tokens of `user` signed in to `app`, for the scopes `requested` (as the request spelled them).
    pub(crate) fn issue_user_tokens(
        &self,
        app: &RegisteredApp,
        user: &RegisteredUser,
        requested: &str,
        form: &HashMap<String, String>,
        now: Timestamp,
    ) -> TokenResponse {
        self.issue_grant(app, user, requested, form.get("client_info").map(String::as_str) == Some("1"), None, now)
    }

    fn issue_grant(&self, app: &RegisteredApp, user: &RegisteredUser, requested: &str, client_info: bool, nonce: Option<&str>, now: Timestamp) -> TokenResponse {
        let wanted = resource_scopes(requested);
        // `.default` asks for every permission the app was granted.
        let granted: Vec<String> = if wanted.iter().any(|s| s == ".default") {
            app.scopes.clone()
        } else {
            wanted.into_iter().filter(|s| app.scopes.iter().any(|a| a.eq_ignore_ascii_case(s))).collect()
        };
        let mut tokens = self.issue(app, Some(user), &granted, now);
        let mut scope = granted;
        scope.extend(["openid", "profile", "email"].iter().filter(|o| asks_for(requested, o)).map(|o| (*o).to_owned()));
        tokens.scope = Some(scope.join(" "));
        let tenant = self.tenant_id();
        if asks_for(requested, "offline_access") {
            let refresh_token = random_token();
            let grant = Grant {
                client_id: app.client_id.clone(),
                user: user.clone(),
                requested: requested.to_owned(),
                issued_at: now,
                expires_at: now.saturating_add(REFRESH_TOKEN_LIFETIME).expect("in range"),
            };
            self.user_sign_ins.refresh_tokens.lock().expect("refresh tokens lock").insert(refresh_token.clone(), grant);
            tokens.refresh_token = Some(refresh_token);
        }
        if asks_for(requested, "openid") {
            let claims = IdTokenClaims {
                aud: &app.client_id,
                iss: format!("https://login.microsoftonline.com/{tenant}/v2.0"),
                iat: now.as_second(),
                nbf: now.as_second(),
                exp: now.as_second() + self.token_lifetime().as_secs(),
                name: &user.user_principal_name,
                oid: &user.id,
                preferred_username: &user.user_principal_name,
                // A pairwise subject: the same user has another one in another app.
                sub: URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{}:{}", app.client_id, user.id))),
                tid: &tenant,
                ver: "2.0",
                nonce,
            };
            tokens.id_token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&self.key)).ok();
        }
        if client_info {
            tokens.client_info = Some(URL_SAFE_NO_PAD.encode(serde_json::json!({"uid": user.id, "utid": tenant}).to_string()));
        }
        tokens
    }

    fn revoked(&self, issued_at: Timestamp) -> bool {
        self.revoked_before.lock().expect("revocation lock").is_some_and(|before| issued_at.as_second() < before)
    }

    /// The `refresh_token` grant.
    pub(crate) fn refresh_token_grant(&self, form: &HashMap<String, String>, now: Timestamp) -> Result<TokenResponse, OAuthError> {
        let token = form.get("refresh_token").filter(|t| !t.is_empty()).ok_or_else(|| {
            OAuthError::new(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'refresh_token'.")
        })?;
        let client_id = form.get("client_id").map(String::as_str).unwrap_or_default();
        let mut tokens = self.user_sign_ins.refresh_tokens.lock().expect("refresh tokens lock");
        let grant = tokens.get(token).cloned().ok_or_else(|| invalid_grant("AADSTS9002313: Invalid request. Request is malformed or invalid. The refresh token is not known."))?;
        if !grant.client_id.eq_ignore_ascii_case(client_id) {
            return Err(invalid_grant("AADSTS70000: The provided value for the 'refresh_token' is not valid: it was issued to another application."));
        }
        if now >= grant.expires_at {
            tokens.remove(token);
            return Err(invalid_grant("AADSTS700082: The refresh token has expired due to inactivity."));
        }
        if self.revoked(grant.issued_at) {
            tokens.remove(token);
            return Err(invalid_grant("AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed."));
        }
        // The answer carries a new refresh token; this one stays valid until it expires or is revoked, as Entra ID's
        // are not single-use (a session that kept it, `-ContextScope CurrentUser`, can come back with it).
        drop(tokens);
        let app = self.app(&grant.client_id).ok_or_else(|| invalid_grant("AADSTS700016: The application of the refresh token is gone."))?;
        let requested = form.get("scope").filter(|s| !s.trim().is_empty()).cloned().unwrap_or(grant.requested);
        // A refresh keeps the grant's offline access, as Entra ID's refresh tokens renew themselves.
        let requested = if asks_for(&requested, "offline_access") { requested } else { format!("{requested} offline_access") };
        Ok(self.issue_grant(&app, &grant.user, &requested, form.get("client_info").map(String::as_str) == Some("1"), None, now))
    }

    /// Who `/authorize` signs in from now on (a user of the directory, by id or user principal name).
    pub fn set_sign_in_user(&self, user: &str) -> Result<(), String> {
        let found = self.user(user).ok_or_else(|| format!("no registered user '{user}'"))?;
        *self.user_sign_ins.sign_in_user.lock().expect("sign-in user lock") = Some(found.id);
        Ok(())
    }

    /// The authorization page: signs in the sign-in user (`default_user` unless a test named another) and returns the
    /// address to redirect to, with the code and the state.
    pub fn authorize_request(&self, query: &HashMap<String, String>, default_user: &str, now: Timestamp) -> Result<String, AuthorizeFailure> {
        let field = |name: &str| query.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let client_id = field("client_id").unwrap_or_default();
        let app = self.app(client_id).ok_or_else(|| {
            AuthorizeFailure::Page(OAuthError::new(400, "unauthorized_client", format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory.")))
        })?;
        let redirect_uri = field("redirect_uri").unwrap_or_default().to_owned();
        if !is_loopback_redirect(&redirect_uri) {
            return Err(AuthorizeFailure::Page(OAuthError::new(
                400,
                "invalid_request",
                format!("AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'. The emulator takes loopback addresses (http://localhost or http://127.0.0.1, any port).", app.client_id),
            )));
        }
        let state = field("state").map(str::to_owned);
        let refuse = |error: &'static str, description: String| AuthorizeFailure::Redirect {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error: OAuthError::new(400, error, description),
        };
        if field("response_type") != Some("code") {
            return Err(refuse("unsupported_response_type", format!("AADSTS700054: response_type '{}' is not enabled for the application.", field("response_type").unwrap_or_default())));
        }
        let challenge = match (field("code_challenge"), field("code_challenge_method").unwrap_or("plain")) {
            (None, _) => None,
            (Some(challenge), method @ ("S256" | "plain")) => Some((method.to_owned(), challenge.to_owned())),
            (Some(_), other) => return Err(refuse("invalid_request", format!("AADSTS501484: Invalid code_challenge_method '{other}'; S256 or plain."))),
        };
        let chosen = self.user_sign_ins.sign_in_user.lock().expect("sign-in user lock").clone().unwrap_or_else(|| default_user.to_owned());
        let user = self.user(&chosen).ok_or_else(|| refuse("login_required", "AADSTS50058: A silent sign-in request was sent but no user is signed in.".into()))?;
        let code = random_token();
        let grant = Grant {
            client_id: app.client_id.clone(),
            user,
            requested: field("scope").unwrap_or_default().to_owned(),
            issued_at: now,
            expires_at: now.saturating_add(CODE_LIFETIME).expect("in range"),
        };
        let nonce = field("nonce").map(str::to_owned);
        self.user_sign_ins
            .codes
            .lock()
            .expect("codes lock")
            .insert(code.clone(), AuthorizationCode { grant, redirect_uri: redirect_uri.clone(), challenge, nonce });
        let mut location = url::Url::parse(&redirect_uri).expect("checked above");
        location.query_pairs_mut().append_pair("code", &code);
        if let Some(state) = &state {
            location.query_pairs_mut().append_pair("state", state);
        }
        Ok(location.to_string())
    }

    /// The `authorization_code` grant.
    pub(crate) fn authorization_code_grant(&self, form: &HashMap<String, String>, now: Timestamp) -> Result<TokenResponse, OAuthError> {
        let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let code = field("code").ok_or_else(|| OAuthError::new(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'code'."))?;
        // A code is redeemed once, whatever the outcome.
        let pending = self
            .user_sign_ins
            .codes
            .lock()
            .expect("codes lock")
            .remove(code)
            .ok_or_else(|| invalid_grant("AADSTS70000: The provided authorization code is invalid or was already redeemed."))?;
        if !pending.grant.client_id.eq_ignore_ascii_case(field("client_id").unwrap_or_default()) {
            return Err(invalid_grant("AADSTS70000: The authorization code was issued to another application."));
        }
        if now >= pending.grant.expires_at {
            return Err(invalid_grant("AADSTS70008: The provided authorization code or refresh token has expired due to inactivity."));
        }
        let redirect_uri = field("redirect_uri").unwrap_or_default();
        if redirect_uri != pending.redirect_uri {
            return Err(invalid_grant(format!(
                "AADSTS500112: The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.",
                pending.redirect_uri
            )));
        }
        if let Some((method, challenge)) = &pending.challenge {
            let verifier = field("code_verifier").ok_or_else(|| invalid_grant("AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request."))?;
            let computed = if method == "S256" { URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) } else { verifier.to_owned() };
            if &computed != challenge {
                return Err(invalid_grant("AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request."));
            }
        }
        let app = self.app(&pending.grant.client_id).ok_or_else(|| invalid_grant("AADSTS700016: The application of the code is gone."))?;
        let requested = field("scope").map(str::to_owned).unwrap_or(pending.grant.requested);
        Ok(self.issue_grant(&app, &pending.grant.user, &requested, field("client_info") == Some("1"), pending.nonce.as_deref(), now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Access, Directory};

    fn identity() -> Identity {
        let identity = Identity::new(Directory { tenant_id: "t".into(), identity_header: "h".into(), ..Default::default() });
        identity.register_app(RegisteredApp {
            client_id: "app".into(),
            display_name: String::new(),
            secrets: Vec::new(),
            certificates: Vec::new(),
            roles: Vec::new(),
            scopes: vec!["Presence.ReadWrite".into(), "User.Read".into()],
            managed_identity: false,
        });
        identity.register_user(RegisteredUser { id: "u1".into(), user_principal_name: "adele@contoso.example".into() });
        identity
    }

    fn now() -> Timestamp {
        Timestamp::UNIX_EPOCH.saturating_add(SignedDuration::from_hours(500_000)).unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn authorize(id: &Identity, challenge: &str) -> String {
        let query = form(&[
            ("client_id", "app"),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:49152/"),
            ("scope", "https://graph.microsoft.com/Presence.ReadWrite openid profile offline_access"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "st"),
        ]);
        let location = id.authorize_request(&query, "u1", now()).unwrap();
        let url = url::Url::parse(&location).unwrap();
        assert_eq!(url.query_pairs().find(|(k, _)| k == "state").unwrap().1, "st");
        url.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned()
    }

    #[test]
    fn a_code_with_pkce_gives_the_delegated_tokens_msal_expects_once() {
        let id = identity();
        let verifier = "a-verifier-of-enough-length-for-pkce-0123456789";
        let code = authorize(&id, &URL_SAFE_NO_PAD.encode(Sha256::digest(verifier)));
        let redeem = form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "app"),
            ("code", &code),
            ("redirect_uri", "http://localhost:49152/"),
            ("code_verifier", verifier),
            ("client_info", "1"),
        ]);
        let tokens = id.token(&redeem, now()).unwrap();
        assert_eq!(tokens.scope.as_deref(), Some("Presence.ReadWrite openid profile"));
        assert!(tokens.refresh_token.is_some() && tokens.id_token.is_some());
        let info: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(tokens.client_info.unwrap()).unwrap()).unwrap();
        assert_eq!(info, serde_json::json!({"uid": "u1", "utid": "t"}));
        assert_eq!(id.authorize(&tokens.access_token, Access::SelfWrite, now()).unwrap().oid.as_deref(), Some("u1"));
        let again = id.token(&redeem, now()).unwrap_err();
        assert!(again.description.starts_with("AADSTS70000"), "{again:?}");
    }

    #[test]
    fn a_wrong_verifier_or_address_is_refused_with_entras_codes() {
        let id = identity();
        let code = authorize(&id, &URL_SAFE_NO_PAD.encode(Sha256::digest("right")));
        let wrong = id
            .token(&form(&[("grant_type", "authorization_code"), ("client_id", "app"), ("code", &code), ("redirect_uri", "http://localhost:49152/"), ("code_verifier", "wrong")]), now())
            .unwrap_err();
        assert!(wrong.description.starts_with("AADSTS501481"), "{wrong:?}");
        let code = authorize(&id, &URL_SAFE_NO_PAD.encode(Sha256::digest("right")));
        let moved = id
            .token(&form(&[("grant_type", "authorization_code"), ("client_id", "app"), ("code", &code), ("redirect_uri", "http://localhost:1/"), ("code_verifier", "right")]), now())
            .unwrap_err();
        assert!(moved.description.starts_with("AADSTS500112"), "{moved:?}");
        let outside = id.authorize_request(&form(&[("client_id", "app"), ("response_type", "code"), ("redirect_uri", "https://evil.example/")]), "u1", now());
        assert!(matches!(outside, Err(AuthorizeFailure::Page(e)) if e.description.starts_with("AADSTS50011")));
    }

    #[test]
    fn refresh_tokens_renew_stay_valid_and_are_revocable() {
        let id = identity();
        let verifier = "another-verifier-that-is-long-enough-0123456789";
        let code = authorize(&id, &URL_SAFE_NO_PAD.encode(Sha256::digest(verifier)));
        let first = id
            .token(&form(&[("grant_type", "authorization_code"), ("client_id", "app"), ("code", &code), ("redirect_uri", "http://localhost:49152/"), ("code_verifier", verifier)]), now())
            .unwrap();
        let refresh = first.refresh_token.unwrap();
        let renewed = id.token(&form(&[("grant_type", "refresh_token"), ("client_id", "app"), ("refresh_token", &refresh)]), now()).unwrap();
        assert!(renewed.refresh_token.is_some());
        assert_eq!(id.authorize(&renewed.access_token, Access::SelfWrite, now()).unwrap().scp.as_deref(), Some("Presence.ReadWrite"));
        assert!(id.token(&form(&[("grant_type", "refresh_token"), ("client_id", "app"), ("refresh_token", &refresh)]), now()).is_ok(), "not single-use");
        let elsewhere = id.token(&form(&[("grant_type", "refresh_token"), ("client_id", "other"), ("refresh_token", &refresh)]), now()).unwrap_err();
        assert!(elsewhere.description.starts_with("AADSTS70000"), "{elsewhere:?}");
        id.revoke_all(now());
        let revoked = id
            .token(&form(&[("grant_type", "refresh_token"), ("client_id", "app"), ("refresh_token", &renewed.refresh_token.unwrap())]), now())
            .unwrap_err();
        assert!(revoked.description.starts_with("AADSTS50173"), "{revoked:?}");
    }
}
