//! The Graph error envelope: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Graph error response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphError {
    pub error: GraphErrorBody,
}

/// The `error` object: `code` is what clients branch on, `message` is for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphErrorBody {
    pub code: String,
    pub message: String,
    #[serde(rename = "innerError", alias = "innererror", default, skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<GraphInnerError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<GraphErrorBody>,
}

/// Correlation data the service attaches to every error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphInnerError {
    /// A more specific code than the outer one, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(rename = "request-id", default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "client-request-id", default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

impl GraphError {
    /// An error with a code and message and no correlation data yet.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: GraphErrorBody { code: code.into(), message: message.into(), inner_error: None, details: Vec::new() },
        }
    }

    /// Parses a response body; `None` when it is not a Graph error envelope.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}
