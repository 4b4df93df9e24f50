//! The `GraphSession` service: one per PowerShell process (the module keeps it), like Microsoft's
//! `GraphSession.Instance`. It holds the connection (cloud and token), the custom environments, and the tokio
//! runtime that drives HTTP, created on first use so that importing the module costs nothing.

use crate::types::{BulkCall, BulkResult, CallDescription, CallError, CallOutcome, CmdletCall, ConnectRequest, KeptSignInRequest, UserSignInRequest, UserSignInStart, EnvironmentRequest, Refusal};
use mgpresence_graph::auth::{self, DelegatedFlow, DeviceCodeChallenge};
use mgpresence_graph::browser_sign_in::{self, BrowserSignIn};
use interoptopus::ffi;
use mgpresence_catalog::binding::{self, CmdletError, ErrorCategory};
use mgpresence_catalog::bulk::BulkAction;
use mgpresence_graph::bulk::BulkItem;
use mgpresence_catalog::{ApiVersion, find_cmdlet};
use mgpresence_graph::cmdlet_call::{self, CallOptions};
use mgpresence_graph::{Cancellation, Cloud, Credential, GraphClient, GraphClientConfig};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

struct Connection {
    client: Option<GraphClient>,
    custom_environments: Vec<Cloud>,
    /// `CurrentUser` when the connection's sign-in is kept for the user between sessions, `Process` otherwise.
    context_scope: &'static str,
}

impl Default for Connection {
    fn default() -> Self {
        Self { client: None, custom_environments: Vec::new(), context_scope: "Process" }
    }
}

impl Connection {
    /// Makes `client` the connection, for the process only until its sign-in is kept.
    fn connect(&mut self, client: GraphClient) {
        self.client = Some(client);
        self.context_scope = "Process";
    }
}

/// A device code sign-in between its start and its end.
/// A user sign-in waiting for the user.
enum PendingSignIn {
    DeviceCode(DeviceCodeChallenge),
    Browser(BrowserSignIn),
}

struct PendingUserSignIn {
    sign_in: PendingSignIn,
    cloud: Cloud,
    timeout: Option<Duration>,
}

/// The engine a PowerShell session talks to. Foreign callers reach it through a `SessionHandle` (see `exports`).
pub struct GraphSession {
    connection: RwLock<Connection>,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    user_sign_in: std::sync::Mutex<Option<PendingUserSignIn>>,
    /// Set-MgRequestContext's retry settings, for this and later connections.
    retry: RwLock<mgpresence_graph::RetryPolicy>,
    /// The bulk run in progress: its cancel flag and progress counter.
    bulk: std::sync::Mutex<Option<mgpresence_graph::bulk::BulkOptions>>,
    /// The cancellable cmdlet calls in progress, by the caller's call id (a few at most: one per runspace).
    calls: std::sync::Mutex<Vec<(u64, Cancellation)>>,
}

/// A running call's place in `GraphSession::calls`, left when the call returns (or unwinds).
struct RunningCall<'a> {
    calls: &'a std::sync::Mutex<Vec<(u64, Cancellation)>>,
    id: u64,
}

impl Drop for RunningCall<'_> {
    fn drop(&mut self) {
        let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = calls.iter().rposition(|(id, _)| *id == self.id) {
            calls.swap_remove(i);
        }
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GraphSession>();
};

fn text(s: impl Into<String>) -> ffi::String {
    ffi::String::from_string(s.into())
}

fn call_error(error_id: &str, message: impl Into<String>, category: ErrorCategory) -> CmdletError {
    CmdletError { error_id: error_id.to_owned(), message: message.into(), category, terminating: false, service: None }
}

impl GraphSession {
    /// The cancellation of a call: one [`GraphSession::cancel_call`] reaches until the returned guard drops when the
    /// call id is not 0, else one nothing cancels.
    fn register_call(&self, call_id: u64) -> (Cancellation, Option<RunningCall<'_>>) {
        let cancel = Cancellation::new();
        if call_id == 0 {
            return (cancel, None);
        }
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((call_id, cancel.clone()));
        (cancel, Some(RunningCall { calls: &self.calls, id: call_id }))
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime, CmdletError> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| call_error("RuntimeUnavailable", format!("The HTTP runtime could not start: {e}"), ErrorCategory::NotSpecified))
    }

    fn find_environment(&self, name: &str) -> Result<Cloud, CmdletError> {
        let name = if name.trim().is_empty() { "Global" } else { name.trim() };
        let connection = self.connection.read().expect("connection lock");
        let all: Vec<Cloud> = Cloud::built_in().into_iter().chain(connection.custom_environments.iter().cloned()).collect();
        all.iter().find(|c| c.name.eq_ignore_ascii_case(name)).cloned().ok_or_else(|| {
            call_error(
                "InvalidEnvironment",
                format!(
                    "Unable to find environment with name '{name}'. Known environments: {}.",
                    all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
                ErrorCategory::InvalidArgument,
            )
        })
    }

    fn bound_parameters(call: &CmdletCall) -> Result<Map<String, Value>, CmdletError> {
        match serde_json::from_str::<Value>(call.bound_parameters_json.as_str()) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(call_error("InvalidBoundParameters", "The bound parameters are not a JSON object.", ErrorCategory::InvalidArgument)),
        }
    }

    fn cmdlet_of(call: &CmdletCall) -> Result<mgpresence_catalog::Cmdlet, CmdletError> {
        find_cmdlet(call.cmdlet.as_str()).ok_or_else(|| {
            call_error("UnknownCmdlet", format!("'{}' is not an MgPresence cmdlet.", call.cmdlet.as_str()), ErrorCategory::InvalidArgument)
        })
    }

    fn context_value(client: &GraphClient, context_scope: &str) -> Value {
        let cloud = &client.config().cloud;
        let tokens = client.tokens();
        let credential = tokens.map(|t| t.credential());
        let claims = tokens.and_then(|t| t.claims()).unwrap_or(Value::Null);
        let scopes: Vec<Value> = match (claims.get("roles").and_then(Value::as_array), claims.get("scp").and_then(Value::as_str)) {
            (Some(roles), _) => roles.clone(),
            (None, Some(scp)) => scp.split(' ').filter(|s| !s.is_empty()).map(|s| Value::String(s.to_owned())).collect(),
            _ => Vec::new(),
        };
        let claim = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        json!({
            "ClientId": credential.and_then(|c| c.client_id().map(str::to_owned)).or_else(|| claim("appid")),
            "TenantId": credential.and_then(|c| c.tenant_id().map(str::to_owned)).or_else(|| claim("tid")),
            "Scopes": scopes,
            "AuthType": credential.map_or("UserProvidedAccessToken", |c| c.auth_type()),
            "TokenCredentialType": credential.map_or("UserProvidedAccessToken", |c| c.token_credential_type()),
            "Account": claim("upn"),
            "AppName": Value::Null,
            "ContextScope": context_scope,
            "Environment": cloud.name,
            "GraphEndpoint": cloud.graph_endpoint.as_str().trim_end_matches('/'),
        })
    }

    fn credential_of(request: &ConnectRequest) -> Result<Credential, CmdletError> {
        let text = |s: &ffi::String| s.as_str().trim().to_owned();
        let optional = |s: &ffi::String| Some(text(s)).filter(|v| !v.is_empty());
        let required = |s: &ffi::String, what: &str| {
            optional(s).ok_or_else(|| call_error("InvalidArgument", format!("{what} is required for this sign-in."), ErrorCategory::InvalidArgument))
        };
        Ok(match request.kind {
            0 => {
                let token = text(&request.access_token);
                if token.is_empty() {
                    return Err(call_error("InvalidAccessToken", "The access token is empty.", ErrorCategory::InvalidArgument));
                }
                Credential::AccessToken(SecretString::from(token))
            }
            1 => Credential::ClientSecret {
                tenant_id: required(&request.tenant_id, "-TenantId")?,
                client_id: required(&request.client_id, "The client id (the credential's user name)")?,
                secret: SecretString::from(required(&request.client_secret, "The client secret (the credential's password)")?),
            },
            2 => {
                use base64::Engine;
                let der = base64::engine::general_purpose::STANDARD
                    .decode(text(&request.certificate_base64))
                    .map_err(|_| call_error("InvalidCertificate", "The certificate could not be read.", ErrorCategory::InvalidArgument))?;
                Credential::ClientCertificate {
                    tenant_id: required(&request.tenant_id, "-TenantId")?,
                    client_id: required(&request.client_id, "-ClientId")?,
                    private_key_pem: SecretString::from(required(&request.private_key_pem, "The certificate's private key")?),
                    certificate_der: der,
                }
            }
            3 => Credential::ManagedIdentity {
                client_id: optional(&request.client_id),
                identity_endpoint: optional(&request.identity_endpoint),
                identity_header: optional(&request.identity_header).map(SecretString::from),
                imds_endpoint: optional(&request.imds_endpoint),
            },
            other => return Err(call_error("InvalidArgument", format!("Unknown sign-in kind {other}."), ErrorCategory::InvalidArgument)),
        })
    }

    /// Makes the call: binds, sends, and maps the response.
    pub fn invoke(&self, call: &CmdletCall) -> CallOutcome {
        let outcome = |error: CmdletError| CallOutcome::refused(&error);
        let cmdlet = match Self::cmdlet_of(call) {
            Ok(c) => c,
            Err(e) => return outcome(e),
        };
        let bound = match Self::bound_parameters(call) {
            Ok(b) => b,
            Err(e) => return outcome(e),
        };
        let runtime = match self.runtime() {
            Ok(r) => r,
            Err(e) => return outcome(e),
        };
        let client = self.connection.read().expect("connection lock").client.clone();
        let (cancel, _running) = self.register_call(call.call_id);
        let options = CallOptions {
            trace: call.trace != 0,
            user_agent_suffix: Some(call.user_agent_suffix.as_str().to_owned()).filter(|s| !s.is_empty()),
            cancel,
        };
        let result =
            runtime.block_on(cmdlet_call::run(client.as_ref(), &cmdlet, call.parameter_set.as_str(), &bound, &options));
        let headers_json = match &result.response_headers {
            Some(headers) => {
                let mut grouped: Map<String, Value> = Map::new();
                for (name, value) in headers {
                    let entry = grouped.entry(name.clone()).or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(values) = entry {
                        values.push(Value::String(value.clone()));
                    }
                }
                Value::Object(grouped).to_string()
            }
            None => String::new(),
        };
        CallOutcome {
            status: result.status,
            error: result.error.as_ref().map_or_else(CallError::none, CallError::from_cmdlet_error),
            output_json: text(Value::Array(result.output).to_string()),
            response_headers_json: text(headers_json),
            response_headers_variable: text(result.response_headers_variable.unwrap_or_default()),
            count_variable: text(result.count.as_ref().map(|(name, _)| name.clone()).unwrap_or_default()),
            count: result.count.as_ref().map_or(0, |(_, n)| *n),
            debug_text: text(result.trace.join("\u{c}")),
            cancelled: u8::from(result.cancelled),
        }
    }

    /// Stops the cmdlet call running with `call_id`: its request or retry wait is dropped and it returns a cancelled
    /// outcome. 1 when such a call was running, 0 when none is (not started yet, or finished): nothing is kept for
    /// later, so a caller that must not miss the start asks again.
    pub fn cancel_call(&self, call_id: u64) -> u8 {
        let calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match calls.iter().find(|(id, _)| *id == call_id) {
            Some((_, cancel)) => {
                cancel.cancel();
                1
            }
            None => 0,
        }
    }
}

/// The calls of the C ABI. `exports` looks the session up, checks the arguments and runs each call inside
/// `ffi_guard`.
impl GraphSession {
    /// A session that is not connected yet. Cheap: nothing starts until the first call.
    pub fn new() -> Self {
        Self { connection: RwLock::new(Connection::default()), runtime: OnceLock::new(), user_sign_in: std::sync::Mutex::new(None), bulk: std::sync::Mutex::new(None), retry: RwLock::new(Default::default()), calls: std::sync::Mutex::new(Vec::new()) }
    }

    /// Connects with an access token to an environment (Global when empty). Returns the error, if any.
    pub fn connect(&self, request: &ConnectRequest) -> CallError {
        let result = (|| {
            let credential = Self::credential_of(request)?;
            let cloud = self.find_environment(request.environment.as_str())?;
            let mut config = GraphClientConfig::new(cloud);
            config.retry = *self.retry.read().expect("retry lock");
            let fetches_tokens = !matches!(credential, Credential::AccessToken(_));
            config.credential = Some(credential);
            if request.timeout_seconds > 0 {
                config.timeout = Duration::from_secs(u64::from(request.timeout_seconds));
            }
            let client = GraphClient::new(config).map_err(|e| cmdlet_call::error_of_client(&e))?;
            if fetches_tokens {
                // Sign in now, so a wrong credential fails here rather than at the first cmdlet.
                self.runtime()?.block_on(client.acquire_token()).map_err(|e| cmdlet_call::error_of_client(&e))?;
            }
            self.connection.write().expect("connection lock").connect(client);
            Ok(())
        })();
        result.err().as_ref().map_or_else(CallError::none, CallError::from_cmdlet_error)
    }

    /// Starts a delegated device code sign-in; the message says where the user goes and which code to enter.
    pub fn begin_device_code(&self, request: &UserSignInRequest) -> UserSignInStart {
        self.begin_user_sign_in(request, |session, http, cloud, scopes| {
            let challenge = session
                .runtime()?
                .block_on(auth::start_device_code(http.http(), cloud.azure_ad_endpoint.as_str(), request.tenant_id.as_str(), request.client_id.as_str(), scopes))
                .map_err(|e| cmdlet_call::error_of_client(&mgpresence_graph::ClientError::Authentication(e)))?;
            let message = challenge.message.clone();
            Ok((PendingSignIn::DeviceCode(challenge), message))
        })
    }

    /// Starts a browser sign-in: listens on a loopback port and answers the address to open in the browser.
    pub fn begin_browser_sign_in(&self, request: &UserSignInRequest) -> UserSignInStart {
        self.begin_user_sign_in(request, |_, _, cloud, scopes| {
            let sign_in = browser_sign_in::start(cloud.azure_ad_endpoint.as_str(), request.tenant_id.as_str(), request.client_id.as_str(), scopes)
                .map_err(|e| cmdlet_call::error_of_client(&mgpresence_graph::ClientError::Authentication(e)))?;
            let url = sign_in.url.clone();
            Ok((PendingSignIn::Browser(sign_in), url))
        })
    }

    /// What both sign-ins share: the environment, the scopes (User.Read when none), the client for the identity
    /// provider; `start` begins the sign-in and says what to give the caller.
    fn begin_user_sign_in(
        &self,
        request: &UserSignInRequest,
        start: impl FnOnce(&Self, &GraphClient, &Cloud, &[String]) -> Result<(PendingSignIn, String), CmdletError>,
    ) -> UserSignInStart {
        let started = (|| {
            let cloud = self.find_environment(request.environment.as_str())?;
            let scopes: Vec<String> = request.scopes.as_str().split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let scopes = if scopes.is_empty() { vec!["User.Read".to_owned()] } else { scopes };
            let mut config = GraphClientConfig::new(cloud.clone());
            let timeout = (request.timeout_seconds > 0).then(|| Duration::from_secs(u64::from(request.timeout_seconds)));
            if let Some(t) = timeout {
                config.timeout = t;
            }
            let http = GraphClient::new(config).map_err(|e| cmdlet_call::error_of_client(&e))?;
            let (sign_in, message) = start(self, &http, &cloud, &scopes)?;
            *self.user_sign_in.lock().expect("user sign-in lock") = Some(PendingUserSignIn { sign_in, cloud, timeout });
            Ok::<_, CmdletError>(message)
        })();
        match started {
            Ok(message) => UserSignInStart { message: text(message), error: CallError::none() },
            Err(e) => UserSignInStart::refused(&e),
        }
    }

    /// Waits for the user to finish the sign-in begun by `begin_device_code` or `begin_browser_sign_in`, at most
    /// `wait_seconds`; a call id (not 0) lets [`GraphSession::cancel_call`] stop the wait (then the error is
    /// `OperationStopped` and no connection is made).
    pub fn finish_user_sign_in(&self, wait_seconds: u32, call_id: u64) -> CallError {
        let (cancel, _running) = self.register_call(call_id);
        let finished = (|| {
            let pending = self.user_sign_in.lock().expect("user sign-in lock").take().ok_or_else(|| {
                call_error("NoUserSignIn", "No sign-in was started.", ErrorCategory::InvalidOperation)
            })?;
            let mut config = GraphClientConfig::new(pending.cloud.clone());
            if let Some(t) = pending.timeout {
                config.timeout = t;
            }
            let probe = GraphClient::new(config.clone()).map_err(|e| cmdlet_call::error_of_client(&e))?;
            let wait = Duration::from_secs(u64::from(wait_seconds.max(1)));
            let runtime = self.runtime()?;
            let (client_id, tenant_id, flow, signed_in) = match pending.sign_in {
                PendingSignIn::DeviceCode(challenge) => {
                    let poll = auth::poll_device_code(probe.http(), &challenge, wait);
                    (challenge.client_id.clone(), challenge.tenant_id.clone(), DelegatedFlow::DeviceCode, runtime.block_on(cancel.run(poll)))
                }
                PendingSignIn::Browser(sign_in) => {
                    let (client_id, tenant_id) = (sign_in.client_id.clone(), sign_in.tenant_id.clone());
                    let browser = sign_in.wait(probe.http(), wait);
                    (client_id, tenant_id, DelegatedFlow::InteractiveBrowser, runtime.block_on(cancel.run(browser)))
                }
            };
            let tokens = signed_in
                .ok_or_else(cmdlet_call::stopped_error)?
                .map_err(|e| cmdlet_call::error_of_client(&mgpresence_graph::ClientError::Authentication(e)))?;
            config.credential = Some(Credential::Delegated { client_id, tenant_id, tokens, flow });
            let client = GraphClient::new(config).map_err(|e| cmdlet_call::error_of_client(&e))?;
            self.connection.write().expect("connection lock").connect(client);
            Ok::<_, CmdletError>(())
        })();
        finished.err().as_ref().map_or_else(CallError::none, CallError::from_cmdlet_error)
    }

    /// Runs a bulk call through `$batch` and returns an outcome per item. Blocks until done or cancelled.
    pub fn invoke_bulk(&self, call: &BulkCall) -> BulkResult {
        let result = (|| {
            let action = BulkAction::from_name(call.action.as_str()).ok_or_else(|| {
                call_error("UnknownAction", format!("'{}' is not a bulk action.", call.action.as_str()), ErrorCategory::InvalidArgument)
            })?;
            let version = if call.beta != 0 { ApiVersion::Beta } else { ApiVersion::V1 };
            let invalid = |what: &str| call_error("InvalidBoundParameters", format!("The bulk {what} are not valid JSON."), ErrorCategory::InvalidArgument);
            let common: Map<String, Value> = serde_json::from_str(call.common_json.as_str()).map_err(|_| invalid("parameters"))?;
            let items: Vec<Map<String, Value>> = serde_json::from_str(call.items_json.as_str()).map_err(|_| invalid("items"))?;
            let items: Vec<BulkItem> = items.iter().map(|row| BulkItem::of_action(action, version, &common, row)).collect();
            let cmdlet = action.cmdlet(version);
            let client = self
                .connection
                .read()
                .expect("connection lock")
                .client
                .clone()
                .ok_or_else(|| cmdlet_call::error_of_client(&mgpresence_graph::ClientError::NotConnected))?;
            let options = mgpresence_graph::bulk::BulkOptions { concurrency: call.concurrency.clamp(1, 16) as usize, ..Default::default() };
            *self.bulk.lock().expect("bulk lock") = Some(options.clone());
            let outcomes = self.runtime()?.block_on(mgpresence_graph::bulk::run_bulk(&client, &cmdlet, &action.parameter_set(version), items, &options));
            *self.bulk.lock().expect("bulk lock") = None;
            let json: Vec<Value> = outcomes
                .iter()
                .map(|o| {
                    json!({
                        "UserId": o.key,
                        "Succeeded": o.error.is_none(),
                        "Status": o.status,
                        "ErrorCode": o.error_code(),
                        "ErrorMessage": o.error_summary(),
                        "Attempts": o.attempts,
                    })
                })
                .collect();
            Ok::<_, CmdletError>(Value::Array(json).to_string())
        })();
        match result {
            Ok(outcomes) => BulkResult { outcomes_json: text(outcomes), error: CallError::none() },
            Err(e) => BulkResult::refused(&e),
        }
    }

    /// How many items of the bulk run in progress are finished.
    pub fn bulk_progress(&self) -> u32 {
        let done = self.bulk.lock().expect("bulk lock").as_ref().map_or(0, |o| o.done.load(std::sync::atomic::Ordering::Relaxed));
        u32::try_from(done).unwrap_or(u32::MAX)
    }

    /// Stops the bulk run in progress: items not yet sent end as "not sent".
    pub fn cancel_bulk(&self) -> u8 {
        if let Some(options) = self.bulk.lock().expect("bulk lock").as_ref() {
            options.cancel.cancel();
        }
        1
    }

    /// Set-MgRequestContext: retries (at most 10), the first retry delay and the total retry time (seconds, 0 = no
    /// limit), for the current connection and later ones.
    pub fn set_request_context(&self, max_retry: u32, retry_delay_seconds: u32, retries_time_limit_seconds: u32) -> CallError {
        if max_retry > 10 || retry_delay_seconds > 180 {
            return CallError::from_cmdlet_error(&call_error(
                "InvalidArgument",
                "-MaxRetry is at most 10 and -RetryDelay at most 180 seconds.",
                ErrorCategory::InvalidArgument,
            ));
        }
        let policy = mgpresence_graph::RetryPolicy {
            max_retries: max_retry as usize,
            delay: Duration::from_secs(u64::from(retry_delay_seconds)),
            max_delay: Duration::from_secs(180),
            total_limit: (retries_time_limit_seconds > 0).then(|| Duration::from_secs(u64::from(retries_time_limit_seconds))),
        };
        *self.retry.write().expect("retry lock") = policy;
        let mut connection = self.connection.write().expect("connection lock");
        if let Some(client) = connection.client.as_mut() {
            client.set_retry(policy);
        }
        CallError::none()
    }

    /// Get-MgRequestContext, as a JSON object.
    pub fn request_context_json(&self) -> ffi::String {
        let policy = *self.retry.read().expect("retry lock");
        text(
            json!({
                "MaxRetry": policy.max_retries,
                "RetryDelay": policy.delay.as_secs(),
                "RetriesTimeLimit": policy.total_limit.map_or(0, |d| d.as_secs()),
            })
            .to_string(),
        )
    }

    /// Forgets the connection. Returns an error when there is none.
    pub fn disconnect(&self) -> CallError {
        let was = self.connection.write().expect("connection lock").client.take();
        match was {
            Some(_) => CallError::none(),
            None => CallError::from_cmdlet_error(&call_error(
                "NotConnected",
                "No application to sign out from.",
                ErrorCategory::InvalidArgument,
            )),
        }
    }

    /// The connection as a JSON object (Get-MgContext); empty text when not connected.
    pub fn context_json(&self) -> ffi::String {
        let connection = self.connection.read().expect("connection lock");
        text(connection.client.as_ref().map(|c| Self::context_value(c, connection.context_scope).to_string()).unwrap_or_default())
    }

    /// The connection's delegated sign-in to keep for the user (see `graph_session_keep_user_sign_in`).
    pub fn keep_user_sign_in(&self) -> ffi::String {
        let mut connection = self.connection.write().expect("connection lock");
        let Some(tokens) = connection.client.as_ref().and_then(GraphClient::tokens) else { return text(String::new()) };
        let (Credential::Delegated { client_id, tenant_id, tokens: signed_in, flow }, Some(refresh_token)) = (tokens.credential(), tokens.refresh_token()) else {
            return text(String::new());
        };
        let kept = json!({
            "clientId": client_id,
            "tenantId": tenant_id,
            "scope": signed_in.scope,
            "flow": u8::from(*flow == DelegatedFlow::InteractiveBrowser),
            "refreshToken": refresh_token.expose_secret(),
        })
        .to_string();
        connection.context_scope = "CurrentUser";
        text(kept)
    }

    /// Connects from a kept user sign-in (see `graph_session_resume_user_sign_in`).
    pub fn resume_user_sign_in(&self, request: &KeptSignInRequest) -> CallError {
        let resumed = (|| {
            let cloud = self.find_environment(request.environment.as_str())?;
            let mut config = GraphClientConfig::new(cloud);
            if request.timeout_seconds > 0 {
                config.timeout = Duration::from_secs(u64::from(request.timeout_seconds));
            }
            config.credential = Some(Credential::Delegated {
                client_id: request.client_id.as_str().to_owned(),
                tenant_id: request.tenant_id.as_str().to_owned(),
                // No access token yet: the first use redeems the refresh token, which happens right here.
                tokens: auth::UserTokens {
                    access_token: SecretString::from(String::new()),
                    expires_at: std::time::UNIX_EPOCH,
                    refresh_token: Some(SecretString::from(request.refresh_token.as_str().to_owned())),
                    scope: request.scope.as_str().to_owned(),
                },
                flow: if request.flow == 1 { DelegatedFlow::InteractiveBrowser } else { DelegatedFlow::DeviceCode },
            });
            let client = GraphClient::new(config).map_err(|e| cmdlet_call::error_of_client(&e))?;
            let tokens = client.tokens().expect("a credential was given");
            self.runtime()?
                .block_on(tokens.token(client.http()))
                .map_err(|e| cmdlet_call::error_of_client(&mgpresence_graph::ClientError::Authentication(e)))?;
            let mut connection = self.connection.write().expect("connection lock");
            connection.connect(client);
            connection.context_scope = "CurrentUser";
            Ok::<_, CmdletError>(())
        })();
        resumed.err().as_ref().map_or_else(CallError::none, CallError::from_cmdlet_error)
    }

    /// Adds (or replaces) a custom environment (Add-MgEnvironment).
    pub fn add_environment(&self, request: &EnvironmentRequest) -> CallError {
        let name = request.name.as_str().trim().to_owned();
        let result = if name.is_empty() {
            Err(call_error("InvalidEnvironment", "The environment needs a name.", ErrorCategory::InvalidArgument))
        } else if Cloud::built_in().iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            Err(call_error("InvalidEnvironment", format!("'{name}' is a built-in environment and cannot be replaced."), ErrorCategory::InvalidArgument))
        } else {
            Cloud::custom(&name, request.graph_endpoint.as_str(), request.azure_ad_endpoint.as_str())
                .map_err(|e| call_error("InvalidEnvironment", e.to_string(), ErrorCategory::InvalidArgument))
                .map(|cloud| {
                    let mut connection = self.connection.write().expect("connection lock");
                    connection.custom_environments.retain(|c| !c.name.eq_ignore_ascii_case(&name));
                    connection.custom_environments.push(cloud);
                })
        };
        result.err().as_ref().map_or_else(CallError::none, CallError::from_cmdlet_error)
    }

    /// Every environment as a JSON array of {Name, GraphEndpoint, AzureADEndpoint, Type}.
    pub fn environments_json(&self) -> ffi::String {
        let connection = self.connection.read().expect("connection lock");
        let all: Vec<Value> = Cloud::built_in()
            .iter()
            .chain(connection.custom_environments.iter())
            .map(|c| {
                json!({
                    "Name": c.name,
                    "GraphEndpoint": c.graph_endpoint.as_str().trim_end_matches('/'),
                    "AzureADEndpoint": c.azure_ad_endpoint.as_str().trim_end_matches('/'),
                    "Type": if c.built_in { "Built-in" } else { "User-defined" },
                })
            })
            .collect();
        text(Value::Array(all).to_string())
    }

    /// What -WhatIf/-Confirm show for a call, after checking that the call can be made.
    pub fn describe(&self, call: &CmdletCall) -> CallDescription {
        let described = Self::cmdlet_of(call).and_then(|cmdlet| {
            let bound = Self::bound_parameters(call)?;
            binding::prepare(&cmdlet, call.parameter_set.as_str(), &bound)?;
            Ok(cmdlet.should_process_text(call.parameter_set.as_str()))
        });
        match described {
            Ok((target, action)) => CallDescription { target: text(target), action: text(action), error: CallError::none() },
            Err(e) => CallDescription::refused(&e),
        }
    }
}

impl Default for GraphSession {
    fn default() -> Self {
        Self::new()
    }
}
