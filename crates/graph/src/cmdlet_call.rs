//! Running one catalog cmdlet call end to end: bind the parameters, send the request, map the response to output or
//! an error. The FFI layer (PowerShell) and the CLI both go through here, so a call behaves the same from either.

use crate::cancel::Cancellation;
use crate::client::{ClientError, GraphClient, SendOptions};
use mgpresence_catalog::binding::{self, CmdletError, ErrorCategory, PreparedRequest};
use mgpresence_catalog::{Cmdlet, response};
use serde_json::{Map, Value};

/// Per-call options that are not cmdlet parameters.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Record request/response texts for the debug stream.
    pub trace: bool,
    pub user_agent_suffix: Option<String>,
    /// Stops the call when cancelled: the request in flight or the retry wait is dropped, nothing more is sent, and
    /// the result is [`CmdletCallResult::cancelled`]. The default is never cancelled.
    pub cancel: Cancellation,
}

/// What a call produced.
#[derive(Debug, Clone, Default)]
pub struct CmdletCallResult {
    /// Objects to write to the output stream (see [`mgpresence_catalog::response`]).
    pub output: Vec<Value>,
    pub error: Option<CmdletError>,
    /// The final HTTP status; 0 when nothing was sent.
    pub status: u16,
    /// Response headers, set only on success, for `-ResponseHeadersVariable`.
    pub response_headers: Option<Vec<(String, String)>>,
    pub response_headers_variable: Option<String>,
    /// The -CountVariable name and `@odata.count`, when asked for.
    pub count: Option<(String, i64)>,
    pub trace: Vec<String>,
    /// The call was cancelled before it finished (then `error` is `OperationStopped`).
    pub cancelled: bool,
}

impl CmdletCallResult {
    fn failed(error: CmdletError) -> Self {
        Self { error: Some(error), ..Self::default() }
    }

    /// The result of a call stopped by its [`Cancellation`].
    pub fn stopped() -> Self {
        Self { cancelled: true, ..Self::failed(stopped_error()) }
    }
}

/// The error of a call (or a sign-in wait) stopped by its [`Cancellation`].
pub fn stopped_error() -> CmdletError {
    CmdletError {
        error_id: "OperationStopped".to_owned(),
        message: "The call was stopped before it finished.".to_owned(),
        category: ErrorCategory::OperationStopped,
        terminating: true,
        service: None,
    }
}

/// The error for a request that got no response.
pub fn error_of_client(e: &ClientError) -> CmdletError {
    let (error_id, category) = match e {
        ClientError::NotConnected => ("NotConnected", ErrorCategory::AuthenticationError),
        ClientError::Authentication(_) => ("AuthenticationFailed", ErrorCategory::AuthenticationError),
        ClientError::InvalidHeader { .. } => ("InvalidHeader", ErrorCategory::InvalidArgument),
        ClientError::Proxy(_) => ("InvalidProxy", ErrorCategory::InvalidArgument),
        ClientError::Timeout { .. } => ("GraphRequestTimedOut", ErrorCategory::OperationTimeout),
        ClientError::Transport { .. } => ("GraphRequestFailed", ErrorCategory::ConnectionError),
        ClientError::TrustedCertificates { .. } => ("InvalidTrustedCertificates", ErrorCategory::InvalidArgument),
    };
    CmdletError { error_id: error_id.to_owned(), message: e.to_string(), category, terminating: false, service: None }
}

/// Binds, sends and maps one call. `client` is `None` while not connected. The call races `options.cancel`
/// (requests, retry waits and next pages alike).
pub async fn run(
    client: Option<&GraphClient>,
    cmdlet: &Cmdlet,
    parameter_set: &str,
    bound: &Map<String, Value>,
    options: &CallOptions,
) -> CmdletCallResult {
    options.cancel.run(run_to_end(client, cmdlet, parameter_set, bound, options)).await.unwrap_or_else(CmdletCallResult::stopped)
}

async fn run_to_end(
    client: Option<&GraphClient>,
    cmdlet: &Cmdlet,
    parameter_set: &str,
    bound: &Map<String, Value>,
    options: &CallOptions,
) -> CmdletCallResult {
    let call = match binding::prepare(cmdlet, parameter_set, bound) {
        Ok(call) => call,
        Err(e) => return CmdletCallResult::failed(e),
    };
    let Some(client) = client else {
        return CmdletCallResult::failed(error_of_client(&ClientError::NotConnected));
    };
    let send = SendOptions { proxy: call.proxy.clone(), trace: options.trace, user_agent_suffix: options.user_agent_suffix.clone() };
    let mut result = CmdletCallResult::default();
    let mut request = call.request.clone();
    // The next links followed so far: a link seen twice would read the same pages forever.
    let mut followed = std::collections::HashSet::new();
    loop {
        let response = match client.send(&request, &send).await {
            Ok(r) => r,
            Err(e) => {
                result.error = Some(error_of_client(&e));
                return result;
            }
        };
        result.status = response.status;
        result.trace.extend(response.trace.iter().cloned());
        if !response.is_success() {
            result.error = Some(response::error_of_response(response.status, &response.reason, &response.headers, &response.body));
            return result;
        }
        let body = response.json();
        result.output.extend(response::output_of(cmdlet, call.response, call.pass_thru, body.as_ref()));
        if let (Some(name), None) = (&call.count_variable, &result.count) {
            let count = body.as_ref().and_then(|b| b.get("@odata.count")).and_then(Value::as_i64).unwrap_or(result.output.len() as i64);
            result.count = Some((name.clone(), count));
        }
        result.response_headers = Some(response.headers.clone());
        result.response_headers_variable.clone_from(&call.response_headers_variable);
        let next = body.as_ref().and_then(|b| b.get("@odata.nextLink")).and_then(Value::as_str).filter(|_| call.all_pages);
        match next {
            None => return result,
            Some(link) if !followed.insert(link.to_owned()) => {
                result.error = Some(CmdletError {
                    error_id: "NextLinkLoop".to_owned(),
                    message: "The service returned a next page link it had already returned; -All stopped there instead of reading the same pages forever.".to_owned(),
                    category: ErrorCategory::InvalidData,
                    terminating: false,
                    service: None,
                });
                return result;
            }
            Some(link) => match next_page(client, &request, link) {
                Ok(next) => request = next,
                Err(e) => {
                    result.error = Some(e);
                    return result;
                }
            },
        }
    }
}

/// The request for an `@odata.nextLink`. The link must stay on the connected endpoint and version: the token is
/// never sent anywhere else.
fn next_page(client: &GraphClient, current: &PreparedRequest, link: &str) -> Result<PreparedRequest, CmdletError> {
    let base = client.config().cloud.url_for(current.version.segment(), "");
    let refuse = || CmdletError {
        error_id: "UntrustedNextLink".to_owned(),
        message: format!("The service returned a next page link outside {base}; it was not followed, so the access token stays on the connected endpoint."),
        category: ErrorCategory::SecurityError,
        terminating: false,
        service: None,
    };
    let rest = link.strip_prefix(&base).filter(|r| r.starts_with('/')).ok_or_else(refuse)?;
    let parsed = url::Url::parse(&format!("http://next.invalid{rest}")).map_err(|_| refuse())?;
    Ok(PreparedRequest {
        path: parsed.path().to_owned(),
        query: parsed.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        body: None,
        ..current.clone()
    })
}
