//! How the parameters bound in one cmdlet call become an HTTP request.
//!
//! The caller (the PowerShell runtime, the CLI, tests) passes the bound parameters as a JSON object: names as the
//! cmdlet's parameters, values as PowerShell gave them (strings, booleans, `[TimeSpan]` as ISO 8601 text,
//! hashtables and objects as JSON objects, a `-BodyParameter` JSON string as a string). The binder applies
//! Microsoft's rules (mg-cmdlet-behavior.md §2.2–§2.6, §2.9) and the service's validation rules, so the request it
//! returns is one the service accepts — or it returns a [`CmdletError`] and nothing is sent.

use crate::inventory::Cmdlet;
use crate::operation::{ApiVersion, HttpMethod};
use crate::parameter::{BodyMode, Parameter, ParameterRole};
use mgpresence_domain::RuleViolation;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value};

/// The categories of `System.Management.Automation.ErrorCategory` that MgPresence uses (same member names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorCategory {
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    NotImplemented,
    AuthenticationError,
    ConnectionError,
    OperationTimeout,
    LimitsExceeded,
    SecurityError,
    OperationStopped,
}

/// Why a cmdlet call failed: refused before anything was sent, or answered with an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CmdletError {
    /// Stable identifier; the PowerShell FullyQualifiedErrorId starts with it.
    pub error_id: String,
    pub message: String,
    pub category: ErrorCategory,
    /// Whether PowerShell should stop the pipeline (ThrowTerminatingError) rather than write a non-terminating error.
    pub terminating: bool,
}

impl CmdletError {
    fn invalid(error_id: &str, message: impl Into<String>) -> Self {
        Self { error_id: error_id.to_owned(), message: message.into(), category: ErrorCategory::InvalidArgument, terminating: false }
    }
}

impl From<RuleViolation> for CmdletError {
    fn from(v: RuleViolation) -> Self {
        Self::invalid(v.error_id(), v.to_string())
    }
}

/// The HTTP request a call makes, relative to the service root of the connected cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRequest {
    pub version: ApiVersion,
    pub method: HttpMethod,
    /// The path after the version segment, percent-encoded (`/users/a%40b.com/presence/setPresence`).
    pub path: String,
    /// Query options, not yet encoded.
    pub query: Vec<(String, String)>,
    /// Extra request headers from `-Headers`.
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// Proxy settings from `-Proxy`, `-ProxyCredential` and `-ProxyUseDefaultCredentials`.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub use_default_credentials: bool,
}

/// Everything one cmdlet call asks for: the request and what to do with the response.
#[derive(Debug, Clone)]
pub struct PreparedCall {
    pub request: PreparedRequest,
    /// What the response carries.
    pub response: crate::operation::ResponseKind,
    pub pass_thru: bool,
    pub response_headers_variable: Option<String>,
    pub proxy: Option<ProxySettings>,
    /// Follow `@odata.nextLink` to the last page (-All).
    pub all_pages: bool,
    /// The global variable to set to `@odata.count` (-CountVariable).
    pub count_variable: Option<String>,
}

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Headers `-Headers` may not set, with the reason.
fn reserved_header(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "authorization" => Some("the access token comes from Connect-MgGraph"),
        "content-type" | "content-length" | "content-encoding" => Some("it is a content header, set from the body"),
        "host" => Some("it is set from the connected cloud's endpoint"),
        _ => None,
    }
}

fn lookup<'a>(bound: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    bound.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).filter(|v| !v.is_null())
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(items.iter().filter_map(text_of).collect::<Vec<_>>().join(",")),
        Value::Null | Value::Object(_) => None,
    }
}

fn is_set(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
}

/// Prepares the request for `cmdlet` called with parameter set `set_name` and parameters `bound`.
pub fn prepare(cmdlet: &Cmdlet, set_name: &str, bound: &Map<String, Value>) -> Result<PreparedCall, CmdletError> {
    let sets = cmdlet.parameter_sets();
    let set = sets.iter().find(|s| s.name.eq_ignore_ascii_case(set_name)).ok_or_else(|| {
        CmdletError::invalid(
            "UnknownParameterSet",
            format!(
                "{} has no parameter set '{set_name}'. Its sets are: {}.",
                cmdlet.name(),
                sets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let params = cmdlet.parameters();
    let in_set = |p: &&Parameter| p.memberships.is_empty() || p.memberships.iter().any(|m| m.set == set.name);

    for p in params.iter().filter(in_set) {
        if matches!(p.role, ParameterRole::HttpPipelineAppend | ParameterRole::HttpPipelinePrepend) && lookup(bound, &p.name).is_some() {
            return Err(CmdletError {
                error_id: "HttpPipelineStepsNotSupported".into(),
                message: format!(
                    "-{} takes SendAsyncStep delegates that run inside the .NET HTTP pipeline of Microsoft's modules. \
                     MgPresence sends requests from its Rust core, where such steps cannot run, so nothing was sent. \
                     Use -Headers to add request headers and -Debug to see each request and response.",
                    p.name
                ),
                category: ErrorCategory::NotImplemented,
                terminating: false,
            });
        }
    }

    let op = &cmdlet.operation_for(set);
    let mut path = op.path_template();
    for id in op.resource.path_parameters() {
        let value = if set.via_identity {
            let identity = lookup(bound, "InputObject").ok_or_else(|| CmdletError {
                error_id: "InputObjectRequired".into(),
                message: "The -InputObject identity is required in this parameter set.".into(),
                category: ErrorCategory::InvalidArgument,
                terminating: true,
            })?;
            let from_identity = match identity {
                Value::Object(map) => lookup(map, id.parameter).and_then(text_of),
                _ => None,
            };
            from_identity.filter(|v| !v.trim().is_empty()).ok_or_else(|| CmdletError {
                error_id: "InputObjectNullValue".into(),
                message: format!("InputObject has null value for InputObject.{}", id.parameter),
                category: ErrorCategory::InvalidArgument,
                terminating: true,
            })?
        } else {
            lookup(bound, id.parameter).and_then(text_of).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                CmdletError::invalid(
                    "MissingIdentifier",
                    format!("-{} is required: {}.", id.parameter, id.description),
                )
            })?
        };
        let encoded = utf8_percent_encode(&value, PATH_SEGMENT).to_string();
        path = path.replace(&format!("{{{}}}", id.template_name), &encoded);
    }

    let body = match (set.body, op.body()) {
        (BodyMode::Expanded, Some(kind)) => {
            let mut loose = Map::new();
            for p in params.iter().filter(in_set) {
                if let ParameterRole::BodyMember { wire_name } = &p.role
                    && let Some(v) = lookup(bound, &p.name)
                {
                    loose.insert(wire_name.clone(), v.clone());
                }
            }
            if let Some(extra) = lookup(bound, "AdditionalProperties") {
                let Value::Object(extra) = extra else {
                    return Err(CmdletError::invalid("InvalidAdditionalProperties", "-AdditionalProperties must be a hashtable."));
                };
                for (k, v) in extra.iter().filter(|(_, v)| !v.is_null()) {
                    if loose.keys().any(|existing| existing.eq_ignore_ascii_case(k)) {
                        return Err(RuleViolation::DuplicateProperty { property: k.clone() }.into());
                    }
                    loose.insert(k.clone(), v.clone());
                }
            }
            Some(kind.to_wire_body(loose)?)
        }
        (BodyMode::Whole, Some(kind)) => {
            let raw = lookup(bound, "BodyParameter")
                .ok_or_else(|| CmdletError::invalid("MissingBodyParameter", "-BodyParameter is required in this parameter set."))?;
            let loose = body_object(raw)?;
            Some(kind.to_wire_body(loose.into_iter().filter(|(_, v)| !v.is_null()).collect())?)
        }
        _ => None,
    };

    let mut query = Vec::new();
    let mut headers = Vec::new();
    for p in params.iter().filter(in_set) {
        let Some(value) = lookup(bound, &p.name).and_then(text_of) else { continue };
        match p.role {
            ParameterRole::Query { option } => query.push((option.to_owned(), value)),
            ParameterRole::Header { name } => headers.push((name.to_owned(), value)),
            _ => {}
        }
    }
    let all_pages = set.list && is_set(lookup(bound, "All"));
    if all_pages && !query.iter().any(|(k, _)| k == "$top")
        && let Some(size) = lookup(bound, "PageSize").and_then(text_of)
    {
        query.push(("$top".to_owned(), size));
    }
    let count_variable = if set.list { lookup(bound, "CountVariable").and_then(text_of).filter(|v| !v.is_empty()) } else { None };
    if count_variable.is_some() {
        query.push(("$count".to_owned(), "true".to_owned()));
    }

    if let Some(h) = lookup(bound, "Headers") {
        let Value::Object(h) = h else {
            return Err(CmdletError::invalid("InvalidHeaders", "-Headers must be a dictionary of header names and values."));
        };
        for (name, value) in h {
            if let Some(reason) = reserved_header(name) {
                return Err(CmdletError::invalid("ReservedHeader", format!("-Headers cannot set '{name}': {reason}.")));
            }
            let value = text_of(value).unwrap_or_default();
            headers.push((name.clone(), value));
        }
    }

    let proxy_url = lookup(bound, "Proxy").and_then(text_of);
    let credential = lookup(bound, "ProxyCredential").and_then(Value::as_object);
    let use_default = is_set(lookup(bound, "ProxyUseDefaultCredentials"));
    let proxy = (proxy_url.is_some() || credential.is_some() || use_default).then(|| ProxySettings {
        url: proxy_url,
        username: credential.and_then(|c| lookup(c, "UserName")).and_then(text_of),
        password: credential.and_then(|c| lookup(c, "Password")).and_then(text_of).map(SecretString::from),
        use_default_credentials: use_default,
    });

    Ok(PreparedCall {
        request: PreparedRequest { version: cmdlet.version, method: op.method, path, query, headers, body },
        response: op.response,
        all_pages,
        count_variable,
        pass_thru: cmdlet.pass_thru() && lookup(bound, "PassThru").is_some(),
        response_headers_variable: lookup(bound, "ResponseHeadersVariable").and_then(text_of).filter(|v| !v.is_empty()),
        proxy,
    })
}

/// A `-BodyParameter` value as a JSON object: an object as is, a string parsed as JSON.
fn body_object(raw: &Value) -> Result<Map<String, Value>, CmdletError> {
    let describe = |v: &Value| match v {
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Null => "null",
        Value::Object(_) => "an object",
    };
    match raw {
        Value::Object(map) => Ok(map.clone()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(CmdletError::invalid(
                "InvalidBodyParameter",
                format!("-BodyParameter is a JSON string holding {}, not a JSON object.", describe(&other)),
            )),
            Err(e) => Err(CmdletError::invalid(
                "InvalidBodyParameter",
                format!("-BodyParameter is a string but not valid JSON ({e}). Pass a hashtable, an object, or a JSON object string."),
            )),
        },
        other => Err(CmdletError::invalid(
            "InvalidBodyParameter",
            format!("-BodyParameter must be a hashtable, an object with properties, or a JSON object string, not {}.", describe(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::find_cmdlet;
    use serde_json::json;

    fn call(cmdlet: &str, set: &str, bound: Value) -> Result<PreparedCall, CmdletError> {
        prepare(&find_cmdlet(cmdlet).unwrap(), set, bound.as_object().unwrap())
    }

    #[test]
    fn expanded_parameters_become_the_body() {
        let c = call(
            "Set-MgUserPresence",
            "SetExpanded",
            json!({"UserId": "a@b.com", "SessionId": "s", "Availability": "Available", "Activity": "Available",
                   "ExpirationDuration": "PT1H30M", "AdditionalProperties": {"note": "x", "skip": null}, "PassThru": true}),
        )
        .unwrap();
        assert_eq!(c.request.path, "/users/a%40b.com/presence/setPresence");
        assert_eq!(c.request.method, HttpMethod::Post);
        assert_eq!(
            c.request.body.unwrap(),
            json!({"sessionId": "s", "availability": "Available", "activity": "Available", "expirationDuration": "PT1H30M", "note": "x"})
        );
        assert!(c.pass_thru);
    }

    #[test]
    fn body_parameter_accepts_objects_and_json_strings() {
        let from_object = call(
            "Set-MgUserPresence",
            "Set",
            json!({"UserId": "u", "BodyParameter": {"sessionid": "s", "AVAILABILITY": "Away", "activity": "Away", "extra": 1}}),
        )
        .unwrap();
        let from_json = call(
            "Set-MgUserPresence",
            "Set",
            json!({"UserId": "u", "BodyParameter": r#"{"sessionId":"s","availability":"Away","activity":"Away","extra":1}"#}),
        )
        .unwrap();
        assert_eq!(from_object.request.body, from_json.request.body);
        assert_eq!(from_object.request.body.unwrap()["extra"], json!(1));
        assert!(!from_object.pass_thru);
    }

    #[test]
    fn body_parameter_of_a_wrong_type_is_refused() {
        let err = call("Set-MgUserPresence", "Set", json!({"UserId": "u", "BodyParameter": 42})).unwrap_err();
        assert_eq!(err.error_id, "InvalidBodyParameter");
        let err = call("Set-MgUserPresence", "Set", json!({"UserId": "u", "BodyParameter": "not json"})).unwrap_err();
        assert!(err.message.contains("not valid JSON"), "{}", err.message);
    }

    #[test]
    fn identity_sets_read_the_user_id_from_the_input_object() {
        let c = call(
            "Set-MgUserPresence",
            "SetViaIdentityExpanded",
            json!({"InputObject": {"userid": "u1"}, "SessionId": "s", "Availability": "Busy", "Activity": "InACall"}),
        )
        .unwrap();
        assert_eq!(c.request.path, "/users/u1/presence/setPresence");
        let err = call("Set-MgUserPresence", "SetViaIdentityExpanded", json!({"InputObject": {"Id": "u1"}})).unwrap_err();
        assert_eq!(err.message, "InputObject has null value for InputObject.UserId");
        assert!(err.terminating);
    }

    #[test]
    fn invalid_bodies_never_become_requests() {
        let base = json!({"UserId": "u", "SessionId": "s"});
        let with = |extra: Value| {
            let mut b = base.as_object().unwrap().clone();
            b.extend(extra.as_object().unwrap().clone());
            call("Set-MgUserPresence", "SetExpanded", Value::Object(b))
        };
        assert_eq!(with(json!({"Availability": "DoNotDisturb", "Activity": "OutOfOffice"})).unwrap_err().error_id, "UnsupportedPresenceCombination");
        assert_eq!(
            with(json!({"Availability": "Available", "Activity": "Available", "ExpirationDuration": "PT3M"})).unwrap_err().error_id,
            "ExpirationDurationOutOfRange"
        );
        assert_eq!(with(json!({"Availability": "Available"})).unwrap_err().error_id, "MissingProperty");
        assert_eq!(
            with(json!({"Availability": "Available", "Activity": "Available", "AdditionalProperties": {"availability": "Away"}}))
                .unwrap_err()
                .error_id,
            "DuplicateProperty"
        );
    }

    #[test]
    fn headers_are_passed_and_reserved_ones_refused() {
        let ok = call("Get-MgUserPresence", "Get", json!({"UserId": "u", "Headers": {"x-test": "1", "ConsistencyLevel": "eventual"}})).unwrap();
        assert_eq!(ok.request.headers, [("x-test".to_owned(), "1".to_owned()), ("ConsistencyLevel".to_owned(), "eventual".to_owned())]);
        let err = call("Get-MgUserPresence", "Get", json!({"UserId": "u", "Headers": {"Authorization": "Bearer x"}})).unwrap_err();
        assert_eq!(err.error_id, "ReservedHeader");
        assert!(!err.message.contains("Bearer x"));
    }

    #[test]
    fn the_list_set_pages_counts_and_filters() {
        let c = call(
            "Get-MgCommunicationPresence",
            "List",
            json!({"Filter": "id eq 'a'", "Top": 5, "Sort": ["id"], "CountVariable": "n", "All": true, "PageSize": 2}),
        )
        .unwrap();
        assert_eq!(c.request.path, "/communications/presences");
        assert_eq!(
            c.request.query,
            [("$filter".into(), "id eq 'a'".into()), ("$orderby".into(), "id".into()), ("$top".into(), "5".into()), ("$count".into(), "true".into())]
        );
        assert!(c.all_pages);
        assert_eq!(c.count_variable.as_deref(), Some("n"));
        let get = call("Get-MgCommunicationPresence", "Get", json!({"PresenceId": "p1"})).unwrap();
        assert_eq!(get.request.path, "/communications/presences/p1");
        let paged = call("Get-MgCommunicationPresence", "List", json!({"All": true, "PageSize": 2})).unwrap();
        assert_eq!(paged.request.query, [("$top".to_owned(), "2".to_owned())]);
    }

    #[test]
    fn remove_sends_if_match_and_by_user_id_sends_ids() {
        let c = call("Remove-MgUserPresence", "Delete", json!({"UserId": "u", "IfMatch": "W/\"1\""})).unwrap();
        assert_eq!(c.request.method, HttpMethod::Delete);
        assert_eq!(c.request.headers, [("If-Match".to_owned(), "W/\"1\"".to_owned())]);
        let ids = call("Get-MgCommunicationPresenceByUserId", "GetExpanded", json!({"Ids": ["a", "b"]})).unwrap();
        assert_eq!(ids.request.path, "/communications/getPresencesByUserId");
        assert_eq!(ids.request.body, Some(json!({"ids": ["a", "b"]})));
    }

    #[test]
    fn query_options_and_pipeline_steps() {
        let c = call("Get-MgUserPresence", "Get", json!({"UserId": "u", "Property": ["availability", "activity"]})).unwrap();
        assert_eq!(c.request.query, [("$select".to_owned(), "availability,activity".to_owned())]);
        let err = call("Get-MgUserPresence", "Get", json!({"UserId": "u", "HttpPipelineAppend": [{}]})).unwrap_err();
        assert_eq!(err.category, ErrorCategory::NotImplemented);
    }
}
