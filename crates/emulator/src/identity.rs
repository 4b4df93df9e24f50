//! The emulator as an identity provider (Microsoft Entra ID's token endpoints, as far as Graph clients use them).
//!
//! - `POST /{tenant}/oauth2/v2.0/token`: `client_credentials` with a client secret or a certificate-signed client
//!   assertion ([`crate::client_assertion`]); the `device_code`, `authorization_code` (PKCE) and `refresh_token`
//!   grants of delegated sign-ins ([`crate::user_sign_in`]).
//! - `GET /{tenant}/oauth2/v2.0/authorize`: the authorization page, which signs in the directory's sign-in user
//!   without a person and redirects to the app's loopback `redirect_uri` with the code.
//! - `POST /{tenant}/oauth2/v2.0/devicecode`: starts a device code sign-in; `/_emulator/devicecode/complete` plays the
//!   user who enters the code.
//! - `GET /msi/token` (App Service / Azure Automation: `IDENTITY_ENDPOINT` + `X-IDENTITY-HEADER`) and
//!   `GET /metadata/identity/oauth2/token` (instance metadata, `Metadata: true`): managed identity.
//!
//! Access tokens are JWTs the emulator signs itself (HS256, a key made at start); they carry `roles` (application
//! permissions) or `scp` (delegated) and expire by the emulator's clock. [`Identity::authorize`] checks them for the
//! Graph endpoints: 401 for a missing, malformed, expired or revoked token, 403 without the needed permission.

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

/// The audience Graph tokens are for.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";

/// An application registered with the emulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredApp {
    pub client_id: String,
    #[serde(default)]
    pub display_name: String,
    /// Client secrets the app may present.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// PEM certificates whose private keys may sign client assertions.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Application permissions granted (`Presence.ReadWrite.All`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Delegated permissions granted to users who sign in to this app (`Presence.ReadWrite`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether this app is the managed identity of the environment (system-assigned when it is the first one).
    #[serde(default)]
    pub managed_identity: bool,
}

/// A user who can complete device code sign-ins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredUser {
    pub id: String,
    pub user_principal_name: String,
}

/// Who the emulator knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    #[serde(default = "default_tenant")]
    pub tenant_id: String,
    #[serde(default)]
    pub apps: Vec<RegisteredApp>,
    #[serde(default)]
    pub users: Vec<RegisteredUser>,
    /// The managed-identity header value the `/msi/token` endpoint requires.
    #[serde(default = "default_identity_header")]
    pub identity_header: String,
}

fn default_tenant() -> String {
    "00000000-0000-0000-0000-00000000c0de".into()
}

fn default_identity_header() -> String {
    "mgpresence-emulator-identity-header".into()
}

/// The claims of the tokens the emulator issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub tid: String,
    /// The application (client) id.
    pub appid: String,
    /// `app` or `user`.
    pub idtyp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// A token id, so tokens can be told apart.
    pub uti: String,
}

impl Claims {
    pub fn is_app(&self) -> bool {
        self.idtyp == "app"
    }

    fn has_role(&self, wanted: &[&str]) -> bool {
        self.roles.iter().flatten().any(|r| wanted.iter().any(|w| w.eq_ignore_ascii_case(r)))
    }

    fn has_scope(&self, wanted: &[&str]) -> bool {
        self.scp.iter().flat_map(|s| s.split(' ')).any(|s| wanted.iter().any(|w| w.eq_ignore_ascii_case(s)))
    }
}

/// What an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// `/me` paths: a signed-in user (delegated token), reading or writing.
    SelfRead,
    SelfWrite,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// 401 with this message.
    Unauthenticated(&'static str),
    /// 403 with this message.
    Forbidden(String),
}

/// An OAuth error answer (`{"error","error_description","error_codes"}`), with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into() }
    }
}

/// A pending device code sign-in.
#[derive(Debug, Clone)]
struct DeviceCode {
    client_id: String,
    user_code: String,
    /// The scopes as requested (`https://graph.microsoft.com/Presence.ReadWrite offline_access openid`).
    requested: String,
    expires_at: Timestamp,
    completed_by: Option<RegisteredUser>,
}

/// A token response. Delegated sign-ins also carry the granted `scope`, an `id_token` (when `openid` was asked
/// for), a `refresh_token` (when `offline_access` was) and `client_info` (when the request said `client_info=1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub expires_in: i64,
    pub ext_expires_in: i64,
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<String>,
}

/// The identity provider's state.
pub struct Identity {
    directory: Mutex<Directory>,
    pub(crate) key: Vec<u8>,
    /// How long the tokens it issues last (an hour; tests shorten it with `POST /_emulator/auth`).
    token_lifetime: Mutex<SignedDuration>,
    device_codes: Mutex<HashMap<String, DeviceCode>>,
    pub(crate) revoked_before: Mutex<Option<i64>>,
    /// Refresh tokens and authorization codes of delegated sign-ins ([`crate::user_sign_in`]).
    pub(crate) user_sign_ins: crate::user_sign_in::UserSignIns,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signing key is a secret: never printed.
        f.debug_struct("Identity").field("token_lifetime", &self.token_lifetime()).finish_non_exhaustive()
    }
}

impl Identity {
    pub fn new(directory: Directory) -> Self {
        let key: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|u| u.into_bytes()).collect();
        Self {
            directory: Mutex::new(directory),
            key,
            token_lifetime: Mutex::new(SignedDuration::from_hours(1)),
            device_codes: Mutex::new(HashMap::new()),
            revoked_before: Mutex::new(None),
            user_sign_ins: crate::user_sign_in::UserSignIns::default(),
        }
    }

    /// How long the tokens it issues last.
    pub fn token_lifetime(&self) -> SignedDuration {
        *self.token_lifetime.lock().expect("token lifetime lock")
    }

    pub fn set_token_lifetime(&self, lifetime: SignedDuration) {
        *self.token_lifetime.lock().expect("token lifetime lock") = lifetime;
    }

    pub fn tenant_id(&self) -> String {
        self.directory.lock().expect("directory lock").tenant_id.clone()
    }

    /// Registers (or replaces) an app.
    pub fn register_app(&self, app: RegisteredApp) {
        let mut directory = self.directory.lock().expect("directory lock");
        directory.apps.retain(|a| !a.client_id.eq_ignore_ascii_case(&app.client_id));
        directory.apps.push(app);
    }

    /// Registers (or replaces) a user.
    pub fn register_user(&self, user: RegisteredUser) {
        let mut directory = self.directory.lock().expect("directory lock");
        directory.users.retain(|u| !u.id.eq_ignore_ascii_case(&user.id));
        directory.users.push(user);
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<RegisteredApp> {
        self.directory.lock().expect("directory lock").apps.iter().find(|a| a.client_id.eq_ignore_ascii_case(client_id)).cloned()
    }

    /// Makes every token issued until `now` invalid (a revocation).
    pub fn revoke_all(&self, now: Timestamp) {
        *self.revoked_before.lock().expect("revocation lock") = Some(now.as_second() + 1);
    }

    /// A user of the directory, by object id or user principal name.
    pub(crate) fn user(&self, id_or_upn: &str) -> Option<RegisteredUser> {
        self.directory
            .lock()
            .expect("directory lock")
            .users
            .iter()
            .find(|u| u.id.eq_ignore_ascii_case(id_or_upn) || u.user_principal_name.eq_ignore_ascii_case(id_or_upn))
            .cloned()
    }

    pub(crate) fn issue(&self, app: &RegisteredApp, user: Option<&RegisteredUser>, scopes: &[String], now: Timestamp) -> TokenResponse {
        let tenant = self.tenant_id();
        let exp = now.as_second() + self.token_lifetime().as_secs();
        let claims = Claims {
            aud: GRAPH_AUDIENCE.to_owned(),
            iss: format!("https://sts.windows.net/{tenant}/"),
            tid: tenant,
            appid: app.client_id.clone(),
            idtyp: if user.is_some() { "user" } else { "app" }.to_owned(),
            oid: user.map(|u| u.id.clone()),
            upn: user.map(|u| u.user_principal_name.clone()),
            roles: user.is_none().then(|| app.roles.clone()),
            scp: user.map(|_| scopes.join(" ")),
            iat: now.as_second(),
            nbf: now.as_second(),
            exp,
            uti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&self.key))
            .expect("HS256 signing cannot fail");
        let lifetime = self.token_lifetime().as_secs();
        TokenResponse {
            token_type: "Bearer".into(),
            scope: None,
            expires_in: lifetime,
            ext_expires_in: lifetime,
            access_token: token,
            refresh_token: None,
            id_token: None,
            client_info: None,
        }
    }

    /// The token endpoint: `form` is the decoded form body.
    pub fn token(&self, form: &HashMap<String, String>, now: Timestamp) -> Result<TokenResponse, OAuthError> {
        let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
        match field("grant_type") {
            Some("client_credentials") => self.client_credentials(form, now),
            Some("urn:ietf:params:oauth:grant-type:device_code") | Some("device_code") => self.device_code_grant(form, now),
            Some("refresh_token") => self.refresh_token_grant(form, now),
            Some("authorization_code") => self.authorization_code_grant(form, now),
            Some(other) => Err(OAuthError::new(400, "unsupported_grant_type", format!("AADSTS70003: The grant type '{other}' is not supported by the emulator."))),
            None => Err(OAuthError::new(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")),
        }
    }

    fn client_credentials(&self, form: &HashMap<String, String>, now: Timestamp) -> Result<TokenResponse, OAuthError> {
        let client_id = form.get("client_id").cloned().unwrap_or_default();
        let app = self.app(&client_id).ok_or_else(|| {
            OAuthError::new(400, "unauthorized_client", format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory."))
        })?;
        if let Some(secret) = form.get("client_secret") {
            if !app.secrets.iter().any(|s| s == secret) {
                return Err(OAuthError::new(401, "invalid_client", "AADSTS7000215: Invalid client secret provided."));
            }
        } else if let Some(assertion) = form.get("client_assertion") {
            crate::client_assertion::check(&app, assertion, now)?;
        } else {
            return Err(OAuthError::new(
                401,
                "invalid_client",
                "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ));
        }
        Ok(self.issue(&app, None, &[], now))
    }

    /// Starts a device code sign-in.
    pub fn start_device_code(&self, client_id: &str, scope: &str, verification_uri: &str, now: Timestamp) -> Result<serde_json::Value, OAuthError> {
        self.app(client_id).ok_or_else(|| {
            OAuthError::new(400, "unauthorized_client", format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory."))
        })?;
        let device_code = uuid::Uuid::new_v4().simple().to_string();
        let user_code: String = uuid::Uuid::new_v4().simple().to_string()[..9].to_ascii_uppercase();
        self.device_codes.lock().expect("device codes lock").insert(
            device_code.clone(),
            DeviceCode {
                client_id: client_id.to_owned(),
                user_code: user_code.clone(),
                requested: scope.to_owned(),
                expires_at: now.saturating_add(SignedDuration::from_mins(15)).expect("in range"),
                completed_by: None,
            },
        );
        Ok(serde_json::json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "expires_in": 900,
            "interval": 1,
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }))
    }

    /// Plays the user who enters `user_code` and signs in as `user_id`.
    pub fn complete_device_code(&self, user_code: &str, user_id: &str) -> Result<(), String> {
        let user = self.user(user_id).ok_or_else(|| format!("no registered user '{user_id}'"))?;
        let mut codes = self.device_codes.lock().expect("device codes lock");
        let code = codes.values_mut().find(|c| c.user_code.eq_ignore_ascii_case(user_code)).ok_or_else(|| format!("no pending code '{user_code}'"))?;
        code.completed_by = Some(user);
        Ok(())
    }

    fn device_code_grant(&self, form: &HashMap<String, String>, now: Timestamp) -> Result<TokenResponse, OAuthError> {
        let device_code = form.get("device_code").cloned().unwrap_or_default();
        let mut codes = self.device_codes.lock().expect("device codes lock");
        let code = codes.get(&device_code).cloned().ok_or_else(|| OAuthError::new(400, "invalid_grant", "AADSTS70000: The provided device code is not valid."))?;
        if now >= code.expires_at {
            codes.remove(&device_code);
            return Err(OAuthError::new(400, "expired_token", "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired."));
        }
        let Some(user) = code.completed_by.clone() else {
            return Err(OAuthError::new(400, "authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling."));
        };
        codes.remove(&device_code);
        drop(codes);
        let app = self.app(&code.client_id).ok_or_else(|| OAuthError::new(400, "unauthorized_client", "AADSTS700016: The application is gone."))?;
        Ok(self.issue_user_tokens(&app, &user, &code.requested, form, now))
    }

    /// A managed identity token: the system-assigned identity, or the user-assigned one with `client_id`.
    pub fn managed_identity(&self, client_id: Option<&str>, now: Timestamp) -> Result<TokenResponse, OAuthError> {
        let directory = self.directory.lock().expect("directory lock");
        let app = directory
            .apps
            .iter()
            .filter(|a| a.managed_identity)
            .find(|a| client_id.is_none_or(|c| a.client_id.eq_ignore_ascii_case(c)))
            .cloned()
            .ok_or_else(|| OAuthError::new(400, "invalid_request", "No managed identity is registered with the emulator (for this client id)."))?;
        drop(directory);
        Ok(self.issue(&app, None, &[], now))
    }

    /// Whether the managed identity header is the expected one.
    pub fn identity_header_matches(&self, value: &str) -> bool {
        self.directory.lock().expect("directory lock").identity_header == value
    }

    /// Checks a bearer token for a Graph endpoint.
    pub fn authorize(&self, token: &str, access: Access, now: Timestamp) -> Result<Claims, AuthFailure> {
        if token.is_empty() {
            return Err(AuthFailure::Unauthenticated("Access token is empty."));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&[GRAPH_AUDIENCE]);
        let claims = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&self.key), &validation)
            .map_err(|_| AuthFailure::Unauthenticated("IDX14100: JWT is not well formed, or its signature is not valid."))?
            .claims;
        if claims.exp <= now.as_second() {
            return Err(AuthFailure::Unauthenticated("Lifetime validation failed, the token is expired."));
        }
        if self.revoked_before.lock().expect("revocation lock").is_some_and(|before| claims.iat < before) {
            return Err(AuthFailure::Unauthenticated("Access token has been revoked."));
        }
        let allowed = match access {
            Access::Read => claims.has_role(&["Presence.Read.All", "Presence.ReadWrite.All"]) || claims.has_scope(&["Presence.Read", "Presence.Read.All", "Presence.ReadWrite"]),
            Access::Write => claims.has_role(&["Presence.ReadWrite.All"]) || claims.has_scope(&["Presence.ReadWrite"]),
            Access::SelfRead => !claims.is_app() && claims.has_scope(&["Presence.Read", "Presence.Read.All", "Presence.ReadWrite"]),
            Access::SelfWrite => !claims.is_app() && claims.has_scope(&["Presence.ReadWrite"]),
        };
        if !allowed {
            let needed = match access {
                Access::Read => "Presence.Read.All (application) or Presence.Read (delegated)",
                Access::Write => "Presence.ReadWrite.All (application) or Presence.ReadWrite (delegated)",
                Access::SelfRead | Access::SelfWrite => "a delegated token (a signed-in user) with Presence.Read or Presence.ReadWrite; /me cannot be used with application permissions",
            };
            return Err(AuthFailure::Forbidden(format!("Insufficient privileges to complete the operation. Needed: {needed}.")));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        let identity = Identity::new(Directory { tenant_id: "t".into(), identity_header: "h".into(), ..Default::default() });
        identity.register_app(RegisteredApp {
            client_id: "app".into(),
            display_name: String::new(),
            secrets: vec!["s3cret".into()],
            certificates: Vec::new(),
            roles: vec!["Presence.ReadWrite.All".into()],
            scopes: vec!["Presence.ReadWrite".into()],
            managed_identity: false,
        });
        identity
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn client_secret_tokens_carry_roles_and_expire() {
        let id = identity();
        let now = Timestamp::UNIX_EPOCH.saturating_add(SignedDuration::from_hours(500_000)).unwrap();
        let token = id.token(&form(&[("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "s3cret")]), now).unwrap();
        let claims = id.authorize(&token.access_token, Access::Write, now).unwrap();
        assert_eq!(claims.roles.as_deref(), Some(&["Presence.ReadWrite.All".to_owned()][..]));
        assert!(matches!(id.authorize(&token.access_token, Access::SelfRead, now), Err(AuthFailure::Forbidden(_))));
        let later = now.saturating_add(SignedDuration::from_hours(1)).unwrap();
        assert!(matches!(id.authorize(&token.access_token, Access::Write, later), Err(AuthFailure::Unauthenticated(_))));
        let wrong = id.token(&form(&[("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "nope")]), now).unwrap_err();
        assert_eq!((wrong.status, wrong.error), (401, "invalid_client"));
    }

    #[test]
    fn device_code_waits_for_the_user_then_gives_a_delegated_token() {
        let id = identity();
        id.register_user(RegisteredUser { id: "u1".into(), user_principal_name: "adele@contoso.example".into() });
        let now = Timestamp::UNIX_EPOCH.saturating_add(SignedDuration::from_hours(500_000)).unwrap();
        let started = id.start_device_code("app", "https://graph.microsoft.com/Presence.ReadWrite offline_access", "http://x/devicelogin", now).unwrap();
        let device_code = started["device_code"].as_str().unwrap();
        let poll = form(&[("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", device_code), ("client_id", "app")]);
        assert_eq!(id.token(&poll, now).unwrap_err().error, "authorization_pending");
        id.complete_device_code(started["user_code"].as_str().unwrap(), "adele@contoso.example").unwrap();
        let token = id.token(&poll, now).unwrap();
        let claims = id.authorize(&token.access_token, Access::SelfWrite, now).unwrap();
        assert_eq!(claims.scp.as_deref(), Some("Presence.ReadWrite"));
        assert_eq!(claims.oid.as_deref(), Some("u1"));
    }

    #[test]
    fn revocation_and_forgery_are_refused() {
        let id = identity();
        let now = Timestamp::UNIX_EPOCH.saturating_add(SignedDuration::from_hours(500_000)).unwrap();
        let token = id.token(&form(&[("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "s3cret")]), now).unwrap();
        let forged = format!("{}x", token.access_token);
        assert!(matches!(id.authorize(&forged, Access::Read, now), Err(AuthFailure::Unauthenticated(_))));
        assert!(matches!(id.authorize("not-a-jwt", Access::Read, now), Err(AuthFailure::Unauthenticated(_))));
        id.revoke_all(now);
        assert!(matches!(id.authorize(&token.access_token, Access::Read, now), Err(AuthFailure::Unauthenticated(_))));
        assert!(format!("{id:?}").len() < 80, "the key is not printed");
    }
}
