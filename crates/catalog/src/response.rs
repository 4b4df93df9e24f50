//! How a response becomes cmdlet output or an error record's content.
//!
//! Output objects are JSON objects whose `$type` member names the PowerShell type name to give them; their members
//! are the PowerShell property names (PascalCase), with `AdditionalProperties` holding what the model does not type.

use crate::binding::{CmdletError, ErrorCategory};
use crate::inventory::Cmdlet;
use crate::operation::ResponseKind;
use heck::ToUpperCamelCase;
use serde_json::{Map, Value};

/// The typed properties of `IMicrosoftGraphPresence`, in Microsoft's order (cmdlet-inventory.md §2.4).
const PRESENCE_PROPERTIES: &[&str] = &["id", "activity", "availability", "outOfOfficeSettings", "statusMessage", "workLocation"];

/// The objects a successful response (one page of it) produces.
pub fn output_of(cmdlet: &Cmdlet, response: ResponseKind, pass_thru: bool, body: Option<&Value>) -> Vec<Value> {
    let type_name = format!("{}.MicrosoftGraphPresence", cmdlet.version.models_namespace());
    match response {
        ResponseKind::NoContent => {
            if pass_thru {
                vec![Value::Bool(true)]
            } else {
                Vec::new()
            }
        }
        ResponseKind::Presence => match body {
            Some(Value::Object(presence)) => vec![presence_object(presence, &type_name)],
            _ => Vec::new(),
        },
        ResponseKind::PresenceCollection => match body.and_then(|b| b.get("value")).and_then(Value::as_array) {
            Some(items) => items.iter().filter_map(Value::as_object).map(|p| presence_object(p, &type_name)).collect(),
            None => Vec::new(),
        },
        ResponseKind::Count => match body {
            Some(Value::Number(n)) => vec![Value::Number(n.clone())],
            _ => Vec::new(),
        },
    }
}

/// A presence resource as a PowerShell object description.
fn presence_object(presence: &Map<String, Value>, type_name: &str) -> Value {
    let mut out = Map::new();
    out.insert("$type".into(), Value::String(type_name.to_owned()));
    for name in PRESENCE_PROPERTIES {
        let value = presence.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| pascal_case_members(v));
        out.insert(name.to_upper_camel_case(), value.unwrap_or(Value::Null));
    }
    let additional: Map<String, Value> = presence
        .iter()
        .filter(|(k, _)| !k.starts_with("@odata") && !PRESENCE_PROPERTIES.iter().any(|p| p.eq_ignore_ascii_case(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.insert("AdditionalProperties".into(), Value::Object(additional));
    Value::Object(out)
}

/// Nested objects get PascalCase member names, like Microsoft's typed models.
fn pascal_case_members(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.to_upper_camel_case(), pascal_case_members(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(pascal_case_members).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::find_cmdlet;
    use serde_json::json;

    #[test]
    fn presence_becomes_a_typed_object_with_additional_properties() {
        let cmdlet = find_cmdlet("Get-MgUserPresence").unwrap();
        let body = json!({"@odata.context": "x", "id": "u", "availability": "Busy", "activity": "InACall",
                          "outOfOfficeSettings": {"message": null, "isOutOfOffice": false}, "sequenceNumber": "A1"});
        let out = output_of(&cmdlet, ResponseKind::Presence, false, Some(&body));
        assert_eq!(out[0]["$type"], "Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence");
        assert_eq!(out[0]["Availability"], "Busy");
        assert_eq!(out[0]["OutOfOfficeSettings"]["IsOutOfOffice"], false);
        assert_eq!(out[0]["AdditionalProperties"], json!({"sequenceNumber": "A1"}));
    }

    #[test]
    fn collections_give_one_object_per_presence_and_counts_a_number() {
        let cmdlet = find_cmdlet("Get-MgBetaCommunicationPresenceByUserId").unwrap();
        let body = json!({"value": [{"id": "a", "availability": "Away"}, {"id": "b", "availability": "Busy"}]});
        let out = output_of(&cmdlet, ResponseKind::PresenceCollection, false, Some(&body));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1]["Id"], "b");
        assert_eq!(out[0]["$type"], "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence");
        assert_eq!(output_of(&cmdlet, ResponseKind::Count, false, Some(&json!(3))), [json!(3)]);
    }

    #[test]
    fn no_content_outputs_true_only_with_pass_thru() {
        let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
        assert_eq!(output_of(&cmdlet, ResponseKind::NoContent, true, None), [Value::Bool(true)]);
        assert!(output_of(&cmdlet, ResponseKind::NoContent, false, None).is_empty());
    }
}

/// The error record content for a response that is not a success (mg-cmdlet-behavior.md §2.12): the error id is the
/// Graph error code, the message carries the Graph message followed by the `Status/ErrorCode/Date/Headers` block
/// Microsoft's v2 cmdlets print.
pub fn error_of_response(status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> CmdletError {
    let graph = mgpresence_domain::GraphError::parse(body);
    let (code, message) = match &graph {
        Some(g) => (g.error.code.clone(), g.error.message.clone()),
        None => (if reason.is_empty() { format!("Http{status}") } else { reason.to_owned() }, String::from_utf8_lossy(body).chars().take(2000).collect()),
    };
    let date = graph
        .as_ref()
        .and_then(|g| g.error.inner_error.as_ref())
        .and_then(|i| i.date.clone())
        .or_else(|| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("date")).map(|(_, v)| v.clone()))
        .unwrap_or_default();
    let mut text = format!("{message}\n\nStatus: {status} ({reason})\nErrorCode: {code}\nDate: {date}\n\nHeaders:\n");
    for (name, value) in headers.iter().filter(|(n, _)| !n.eq_ignore_ascii_case("authorization")) {
        text.push_str(&format!("{name:<28}: {value}\n"));
    }
    CmdletError {
        error_id: code,
        message: text.trim_end().to_owned(),
        category: match status {
            401 => ErrorCategory::AuthenticationError,
            429 => ErrorCategory::LimitsExceeded,
            _ => ErrorCategory::InvalidOperation,
        },
        terminating: false,
    }
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn graph_errors_keep_code_message_and_correlation_headers() {
        let body = br#"{"error":{"code":"NotFound","message":"The presence session does not exist.","innerError":{"date":"2025-04-21T16:48:06","request-id":"r1"}}}"#;
        let headers = vec![("request-id".to_owned(), "r1".to_owned()), ("client-request-id".to_owned(), "c1".to_owned())];
        let e = error_of_response(404, "NotFound", &headers, body);
        assert_eq!(e.error_id, "NotFound");
        assert!(e.message.starts_with("The presence session does not exist.\n\nStatus: 404 (NotFound)\nErrorCode: NotFound\nDate: 2025-04-21T16:48:06"), "{}", e.message);
        assert!(e.message.contains("client-request-id           : c1"), "{}", e.message);
        assert_eq!(e.category, ErrorCategory::InvalidOperation);
    }

    #[test]
    fn non_graph_bodies_still_give_a_code() {
        let e = error_of_response(502, "BadGateway", &[], b"<html>proxy</html>");
        assert_eq!(e.error_id, "BadGateway");
        assert!(e.message.starts_with("<html>proxy</html>"));
    }
}
