//! Running one catalog cmdlet call end to end: bind the parameters, send the request, map the response to output or
//! an error. The FFI layer (PowerShell) and the CLI both go through here, so a call behaves the same from either.

use crate::client::{ClientError, GraphClient, SendOptions};
use mgpresence_catalog::binding::{self, CmdletError, ErrorCategory};
use mgpresence_catalog::{Cmdlet, response};
use serde_json::{Map, Value};

/// Per-call options that are not cmdlet parameters.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Record request/response texts for the debug stream.
    pub trace: bool,
    pub user_agent_suffix: Option<String>,
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
    pub trace: Vec<String>,
}

impl CmdletCallResult {
    fn failed(error: CmdletError) -> Self {
        Self { error: Some(error), ..Self::default() }
    }
}

/// The error for a request that got no response.
pub fn error_of_client(e: &ClientError) -> CmdletError {
    let (error_id, category) = match e {
        ClientError::NotConnected => ("NotConnected", ErrorCategory::AuthenticationError),
        ClientError::InvalidHeader { .. } => ("InvalidHeader", ErrorCategory::InvalidArgument),
        ClientError::Proxy(_) => ("InvalidProxy", ErrorCategory::InvalidArgument),
        ClientError::Timeout { .. } => ("GraphRequestTimedOut", ErrorCategory::OperationTimeout),
        ClientError::Transport { .. } => ("GraphRequestFailed", ErrorCategory::ConnectionError),
    };
    CmdletError { error_id: error_id.to_owned(), message: e.to_string(), category, terminating: false }
}

/// Binds, sends and maps one call. `client` is `None` while not connected.
pub async fn run(
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
    let response = match client.send(&call.request, &send).await {
        Ok(r) => r,
        Err(e) => return CmdletCallResult::failed(error_of_client(&e)),
    };
    let mut result = CmdletCallResult { status: response.status, trace: response.trace.clone(), ..Default::default() };
    if response.is_success() {
        result.output = response::output_of(cmdlet, call.pass_thru, response.json().as_ref());
        result.response_headers = Some(response.headers.clone());
        result.response_headers_variable = call.response_headers_variable;
    } else {
        result.error = Some(response::error_of_response(response.status, &response.reason, &response.headers, &response.body));
    }
    result
}
