//! The HTTP client: one reqwest client per session (connection reuse), bearer token, `client-request-id`, retries.

use crate::auth::{AuthError, Credential, TokenProvider};
use crate::cloud::Cloud;
use crate::retry::{RetryPolicy, is_retryable, retry_after};
use crate::trace;
use backon::Retryable;
use mgpresence_catalog::binding::{PreparedRequest, ProxySettings};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

/// How a session talks to Graph.
#[derive(Debug, Clone)]
pub struct GraphClientConfig {
    pub cloud: Cloud,
    /// Where tokens come from; `None` until connected.
    pub credential: Option<Credential>,
    pub retry: RetryPolicy,
    /// Whole-request timeout (Microsoft's ClientTimeout: 300 s).
    pub timeout: Duration,
    pub user_agent: String,
    /// Where the extra CA certificates to trust come from, beside the platform's trust store.
    pub trusted_certificates: TrustedCertificates,
}

/// Extra CA certificates a connection trusts (the HTTPS emulator's); nothing else is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedCertificates {
    /// The PEM file [`TRUSTED_CA_VARIABLE`] names, if it is set, read when the connection's client is built.
    FromEnvironment,
    /// These PEM certificates.
    Pem(Vec<u8>),
}

impl GraphClientConfig {
    /// Global cloud, no token, Microsoft's default retry and timeout, extra trust from the environment.
    pub fn new(cloud: Cloud) -> Self {
        Self {
            cloud,
            credential: None,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(300),
            user_agent: format!("MgPresence/{}", env!("CARGO_PKG_VERSION")),
            trusted_certificates: TrustedCertificates::FromEnvironment,
        }
    }
}

/// Per-call options.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    pub proxy: Option<ProxySettings>,
    /// Record the request/response text for the debug stream.
    pub trace: bool,
    /// Appended to the user agent (PowerShell host version and command name, as Microsoft's agent has them).
    pub user_agent_suffix: Option<String>,
}

/// A response, whatever its status.
#[derive(Debug, Clone)]
pub struct GraphResponse {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub client_request_id: String,
    /// How many times the request was sent.
    pub attempts: u32,
    /// Request and response texts, in order, when tracing was asked for.
    pub trace: Vec<String>,
}

impl GraphResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        if self.body.is_empty() { None } else { serde_json::from_slice(&self.body).ok() }
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why no response was obtained.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Authentication needed. Please call Connect-MgGraph.")]
    NotConnected,
    #[error("Getting an access token failed: {0}")]
    Authentication(AuthError),
    #[error("The header '{name}' cannot be sent: {reason}")]
    InvalidHeader { name: String, reason: String },
    #[error("The proxy settings cannot be used: {0}")]
    Proxy(String),
    #[error("The request to {url} timed out after {seconds} seconds.")]
    Timeout { url: String, seconds: u64 },
    #[error("The request to {url} failed: {message}")]
    Transport { url: String, message: String },
    #[error("The certificates {variable} names cannot be used: {message}")]
    TrustedCertificates { variable: &'static str, message: String },
}

/// The environment variable naming a PEM file of extra CA certificates to trust (the emulator's, over HTTPS), beside
/// the platform's trust store. Nothing else is trusted.
pub const TRUSTED_CA_VARIABLE: &str = "MGPRESENCE_TRUSTED_CA";

/// The extra certificates a connection trusts.
fn trusted_certificates(source: &TrustedCertificates) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let refuse = |message: String| ClientError::TrustedCertificates { variable: TRUSTED_CA_VARIABLE, message };
    let (pem, origin) = match source {
        TrustedCertificates::Pem(pem) => (pem.clone(), "the certificates given".to_owned()),
        TrustedCertificates::FromEnvironment => {
            let Some(path) = std::env::var_os(TRUSTED_CA_VARIABLE).filter(|p| !p.is_empty()) else { return Ok(Vec::new()) };
            let shown = std::path::Path::new(&path).display().to_string();
            (std::fs::read(&path).map_err(|e| refuse(format!("{shown}: {e}")))?, shown)
        }
    };
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| refuse(format!("{origin}: not PEM certificates ({e})")))?;
    if certificates.is_empty() {
        return Err(refuse(format!("{origin} hold no CERTIFICATE")));
    }
    Ok(certificates)
}

/// A Graph client for one connection.
#[derive(Debug, Clone)]
pub struct GraphClient {
    config: GraphClientConfig,
    http: reqwest::Client,
    tokens: Option<std::sync::Arc<TokenProvider>>,
}

static TLS_PROVIDER: Once = Once::new();

/// Installs rustls' ring crypto provider for the process (reqwest is built without a default provider).
pub fn ensure_tls_provider() {
    TLS_PROVIDER.call_once(|| {
        // Another component may have installed a provider already; either way one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn http_client(config: &GraphClientConfig, proxy: Option<&ProxySettings>) -> Result<reqwest::Client, ClientError> {
    ensure_tls_provider();
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .user_agent(config.user_agent.clone())
        .tls_certs_merge(trusted_certificates(&config.trusted_certificates)?);
    if let Some(settings) = proxy {
        let with_credentials = |mut p: reqwest::Proxy| {
            if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
                p = p.basic_auth(user, password.expose_secret());
            }
            p
        };
        let invalid = |url: &str, e: reqwest::Error| ClientError::Proxy(format!("'{url}' is not a proxy URL ({e})"));
        if let Some(url) = settings.url.as_deref() {
            builder = builder.proxy(with_credentials(reqwest::Proxy::all(url).map_err(|e| invalid(url, e))?));
        } else if settings.use_default_credentials {
            // The system proxy settings as they are now (reqwest reads them once per process otherwise).
            let variable = |names: &[&str]| names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()));
            let no_proxy = reqwest::NoProxy::from_env();
            if let Some(url) = variable(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]) {
                builder = builder.proxy(with_credentials(reqwest::Proxy::https(&url).map_err(|e| invalid(&url, e))?.no_proxy(no_proxy.clone())));
            }
            if let Some(url) = variable(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]) {
                builder = builder.proxy(with_credentials(reqwest::Proxy::http(&url).map_err(|e| invalid(&url, e))?.no_proxy(no_proxy)));
            }
        }
    }
    builder.build().map_err(|e| ClientError::Transport { url: config.cloud.graph_endpoint.to_string(), message: e.to_string() })
}

/// What one attempt produced.
enum Attempt {
    Done(GraphResponse),
    Retry(GraphResponse),
}

impl GraphClient {
    /// A client for `config`.
    pub fn new(config: GraphClientConfig) -> Result<Self, ClientError> {
        let http = http_client(&config, None)?;
        let tokens = config
            .credential
            .clone()
            .map(|c| std::sync::Arc::new(TokenProvider::new(c, config.cloud.azure_ad_endpoint.as_str())));
        Ok(Self { config, http, tokens })
    }

    /// Changes the retry policy of this connection.
    pub fn set_retry(&mut self, retry: crate::retry::RetryPolicy) {
        self.config.retry = retry;
    }

    /// The HTTP client (for sign-in requests that go to the identity provider).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The token provider of the connection.
    pub fn tokens(&self) -> Option<&TokenProvider> {
        self.tokens.as_deref()
    }

    /// Gets a token now (Connect-MgGraph does, so a wrong credential fails at connect time).
    pub async fn acquire_token(&self) -> Result<(), ClientError> {
        let tokens = self.tokens.as_ref().ok_or(ClientError::NotConnected)?;
        tokens.token(&self.http).await.map(|_| ()).map_err(ClientError::Authentication)
    }

    pub fn config(&self) -> &GraphClientConfig {
        &self.config
    }

    /// The absolute URL a request goes to.
    pub fn url_of(&self, request: &PreparedRequest) -> String {
        let mut url = self.config.cloud.url_for(request.version.segment(), &request.path);
        if !request.query.is_empty() {
            url.push('?');
            url.push_str(&mgpresence_catalog::binding::query_string(&request.query));
        }
        url
    }

    /// Sends a request, retrying as Microsoft's handler does, and returns the final response whatever its status. A
    /// 401 answered to a token the client fetched itself makes it fetch a new token and send once more.
    pub async fn send(&self, request: &PreparedRequest, options: &SendOptions) -> Result<GraphResponse, ClientError> {
        let tokens = self.tokens.as_ref().ok_or(ClientError::NotConnected)?;
        let token = tokens.token(&self.http).await.map_err(ClientError::Authentication)?;
        let first = self.send_with(request, options, &token).await?;
        if first.status != 401 || !tokens.can_refresh() {
            return Ok(first);
        }
        tokens.invalidate();
        let token = tokens.token(&self.http).await.map_err(ClientError::Authentication)?;
        let mut second = self.send_with(request, options, &token).await?;
        let mut trace = first.trace;
        trace.append(&mut second.trace);
        second.trace = trace;
        second.attempts += first.attempts;
        Ok(second)
    }

    async fn send_with(&self, request: &PreparedRequest, options: &SendOptions, token: &SecretString) -> Result<GraphResponse, ClientError> {
        // An explicit proxy, or the system proxy settings as they are now (-ProxyUseDefaultCredentials), need a client
        // of their own; otherwise the session's client (and its connections) is reused.
        let http = match &options.proxy {
            Some(p) if p.url.is_some() || p.use_default_credentials => http_client(&self.config, Some(p))?,
            _ => self.http.clone(),
        };
        let url = self.url_of(request);
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| ClientError::InvalidHeader { name: name.clone(), reason: e.to_string() })?;
            let header_value = HeaderValue::from_str(value)
                .map_err(|e| ClientError::InvalidHeader { name: name.clone(), reason: e.to_string() })?;
            headers.append(header_name, header_value);
        }
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| ClientError::InvalidHeader { name: "Authorization".into(), reason: "the access token has characters a header cannot carry".into() })?;
        bearer.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        headers.insert("client-request-id", HeaderValue::from_str(&client_request_id).expect("a uuid is a valid header"));
        headers.insert(
            "SdkVersion",
            HeaderValue::from_str(&format!("mgpresence/{}", env!("CARGO_PKG_VERSION"))).expect("valid header"),
        );
        if let Some(suffix) = &options.user_agent_suffix
            && let Ok(agent) = HeaderValue::from_str(&format!("{} {suffix}", self.config.user_agent))
        {
            headers.insert(reqwest::header::USER_AGENT, agent);
        }
        let body = request.body.as_ref().map(|b| serde_json::to_vec(b).expect("JSON values serialize"));
        if body.is_some() {
            headers.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }

        let attempts = AtomicU32::new(0);
        let traces = std::sync::Mutex::new(Vec::new());
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes()).expect("catalog methods are valid");
        let attempt = || async {
            let n = attempts.fetch_add(1, Ordering::SeqCst);
            let mut headers = headers.clone();
            if n > 0 {
                headers.insert("Retry-Attempt", HeaderValue::from(n));
            }
            if options.trace {
                let shown: Vec<(String, String)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("<binary>").to_owned()))
                    .collect();
                traces.lock().expect("trace lock").push(trace::format_request(method.as_str(), &url, &shown, body.as_deref()));
            }
            let mut builder = http.request(method.clone(), &url).headers(headers);
            if let Some(b) = &body {
                builder = builder.body(b.clone());
            }
            let response = builder.send().await.map_err(|e| transport_error(&url, &self.config, e))?;
            let status = response.status();
            let response_headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let bytes = response.bytes().await.map_err(|e| transport_error(&url, &self.config, e))?.to_vec();
            let reason = status.canonical_reason().unwrap_or_default().replace(' ', "");
            if options.trace {
                traces.lock().expect("trace lock").push(trace::format_response(status.as_u16(), &reason, &response_headers, &bytes));
            }
            let graph_response = GraphResponse {
                status: status.as_u16(),
                reason,
                headers: response_headers,
                body: bytes,
                client_request_id: client_request_id.clone(),
                attempts: n + 1,
                trace: Vec::new(),
            };
            if is_retryable(graph_response.status) {
                Err(Ok::<_, ClientError>(Attempt::Retry(graph_response)))
            } else {
                Ok(Attempt::Done(graph_response))
            }
        };

        let result = attempt
            .retry(self.config.retry.backoff())
            .when(|e: &Result<Attempt, ClientError>| matches!(e, Ok(Attempt::Retry(_))))
            // `planned` is None once the retries are used up; Retry-After only changes how long to wait.
            .adjust(|e, planned| match e {
                Ok(Attempt::Retry(r)) => planned.map(|backoff| {
                    retry_after(r.header("Retry-After"), SystemTime::now()).map_or(backoff, |d| d.min(self.config.retry.max_delay))
                }),
                _ => planned,
            })
            .notify(|_, wait| tracing::debug!(?wait, "retrying a throttled or unavailable request"))
            .await;
        let mut response = match result {
            Ok(Attempt::Done(r) | Attempt::Retry(r)) | Err(Ok(Attempt::Done(r) | Attempt::Retry(r))) => r,
            Err(Err(e)) => return Err(e),
        };
        response.trace = traces.into_inner().expect("trace lock");
        Ok(response)
    }
}

fn transport_error(url: &str, config: &GraphClientConfig, e: reqwest::Error) -> Result<Attempt, ClientError> {
    // Never include the request (and so the token) in the message: only the URL and the cause.
    let url = url.to_owned();
    if e.is_timeout() {
        return Err(ClientError::Timeout { url, seconds: config.timeout.as_secs() });
    }
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Err(ClientError::Transport { url, message })
}
