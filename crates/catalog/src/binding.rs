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
    ResourceBusy,
    ResourceUnavailable,
    WriteError,
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
    /// For an error the service answered, or would answer (input refused before sending): what the answer said, which
    /// Microsoft's cmdlets put in the record's ErrorDetails. `message` is then the exception's `[code] : message`.
    pub service: Option<Box<ServiceError>>,
}

/// An error answer of the service, as Microsoft's cmdlets report it (mg-cmdlet-behavior.md §2.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceError {
    pub status: u16,
    /// The status's name as .NET's `HttpStatusCode` spells it (`BadRequest`).
    pub reason: String,
    pub code: String,
    pub message: String,
    /// `innerError.date` as the service wrote it.
    pub date: String,
    /// The response headers, as received.
    pub headers: Vec<(String, String)>,
}

impl CmdletError {
    fn invalid(error_id: &str, message: impl Into<String>) -> Self {
        Self { error_id: error_id.to_owned(), message: message.into(), category: ErrorCategory::InvalidArgument, terminating: false, service: None }
    }

    /// The error Microsoft's cmdlets report for a service error: ErrorId the code, category InvalidOperation, the
    /// exception's message `[code] : message`.
    pub fn of_service(service: ServiceError) -> Self {
        Self {
            error_id: service.code.clone(),
            message: format!("[{}] : {}", service.code, service.message),
            category: ErrorCategory::InvalidOperation,
            terminating: false,
            service: Some(Box::new(service)),
        }
    }

    /// The text for a person: the service's message with its status and code, or the message.
    pub fn describe(&self) -> String {
        match &self.service {
            Some(s) => format!("{} ({} {}, {})", s.message, s.status, s.reason, s.code),
            None => format!("{}: {}", self.error_id, self.message),
        }
    }
}

/// Input the service refuses is refused before sending, and reported as the service's answer would be: the code
/// (`InvalidArgument`, `BadRequest`) and message the service gives, status 400, no response headers
/// (docs/decisions.md).
impl From<RuleViolation> for CmdletError {
    fn from(v: RuleViolation) -> Self {
        Self::of_service(ServiceError {
            status: 400,
            reason: "BadRequest".to_owned(),
            code: v.graph_code().to_owned(),
            message: v.to_string(),
            date: jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            headers: Vec::new(),
        })
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

/// The order Microsoft's generated cmdlets append query options in (the OpenAPI parameter order of Graph's list
/// operations, mg-cmdlet-behavior.md §2): anything else goes last.
const QUERY_ORDER: &[&str] = &["$top", "$skip", "$search", "$filter", "$count", "$orderby", "$select", "$expand"];

/// Where a query option goes in Microsoft's order ([`QUERY_ORDER`]).
pub fn query_rank(option: &str) -> usize {
    QUERY_ORDER.iter().position(|o| *o == option).unwrap_or(QUERY_ORDER.len())
}

/// The query options as Microsoft's cmdlets send them: in [`QUERY_ORDER`]; `$search` in double quotes unless it
/// starts with one; `$filter` unescaped first, so a filter given already percent-encoded is not encoded twice.
fn microsoft_query(mut query: Vec<(String, String)>) -> Vec<(String, String)> {
    query.sort_by_key(|(name, _)| query_rank(name));
    for (name, value) in &mut query {
        match name.as_str() {
            "$search" if !value.starts_with('"') => *value = format!("\"{value}\""),
            "$filter" => *value = percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned(),
            _ => {}
        }
    }
    query
}

/// The query string of a request: `name=value` pairs joined by `&`, the names as they are (`$filter`) and each value
/// encoded as .NET's `Uri.EscapeDataString` encodes it (everything but RFC 3986 unreserved characters, a space as
/// `%20`), which is what Microsoft's generated cmdlets send.
pub fn query_string(query: &[(String, String)]) -> String {
    query.iter().map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, PATH_SEGMENT))).collect::<Vec<_>>().join("&")
}

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
                service: None,
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
                service: None,
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
                service: None,
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
    let query = microsoft_query(query);

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
        let refused = with(json!({"Availability": "DoNotDisturb", "Activity": "OutOfOffice"})).unwrap_err();
        assert_eq!(refused.error_id, "InvalidArgument");
        assert!(refused.message.starts_with("[InvalidArgument] : The combination"), "{}", refused.message);
        assert_eq!(refused.service.as_ref().map(|s| s.status), Some(400));
        let out_of_range = with(json!({"Availability": "Available", "Activity": "Available", "ExpirationDuration": "PT3M"})).unwrap_err();
        assert!(out_of_range.message.contains("[ExpirationDuration] is out of range"), "{}", out_of_range.message);
        assert_eq!(with(json!({"Availability": "Available"})).unwrap_err().error_id, "InvalidArgument");
        assert_eq!(
            with(json!({"Availability": "Available", "Activity": "Available", "AdditionalProperties": {"availability": "Away"}}))
                .unwrap_err()
                .error_id,
            "BadRequest",
            "a member given twice, as the service answers it"
        );
    }

    #[test]
    fn query_strings_are_encoded_as_dotnet_escapes_data() {
        let query = [("$filter".to_owned(), "id eq 'a+b'".to_owned()), ("$orderby".to_owned(), "id,availability desc".to_owned())];
        assert_eq!(query_string(&query), "$filter=id%20eq%20%27a%2Bb%27&$orderby=id%2Cavailability%20desc");
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
            [("$top".into(), "5".into()), ("$filter".into(), "id eq 'a'".into()), ("$count".into(), "true".into()), ("$orderby".into(), "id".into())]
        );
        let searched = call("Get-MgCommunicationPresence", "List", json!({"Search": "id:a", "Filter": "id%20eq%20'b'", "Skip": 1})).unwrap();
        assert_eq!(
            searched.request.query,
            [("$skip".into(), "1".into()), ("$search".into(), "\"id:a\"".into()), ("$filter".into(), "id eq 'b'".into())]
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
