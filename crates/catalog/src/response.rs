//! How a response becomes cmdlet output or an error record's content.
//!
//! A model output object is a JSON object with two members: `$type`, the full .NET name of the model type to make
//! ([`crate::models`]), and `$value`, the service's JSON to fill it from. Other output (`$true`, counts) is plain JSON.

use crate::binding::{CmdletError, ServiceError};
use crate::inventory::Cmdlet;
use crate::models::{PRESENCE_MODEL, full_name};
use crate::operation::ResponseKind;
use serde_json::{Map, Value};

/// The member of a model output object that names its .NET type.
pub const TYPE_MEMBER: &str = "$type";
/// The member of a model output object that holds the service's JSON.
pub const VALUE_MEMBER: &str = "$value";

/// The objects a successful response (one page of it) produces.
pub fn output_of(cmdlet: &Cmdlet, response: ResponseKind, pass_thru: bool, body: Option<&Value>) -> Vec<Value> {
    let type_name = full_name(cmdlet.version.models_namespace(), PRESENCE_MODEL);
    match response {
        ResponseKind::NoContent => {
            if pass_thru {
                vec![Value::Bool(true)]
            } else {
                Vec::new()
            }
        }
        ResponseKind::Presence => match body {
            Some(presence @ Value::Object(_)) => vec![model_object(presence, &type_name)],
            _ => Vec::new(),
        },
        ResponseKind::PresenceCollection => match body.and_then(|b| b.get("value")).and_then(Value::as_array) {
            Some(items) => items.iter().filter(|p| p.is_object()).map(|p| model_object(p, &type_name)).collect(),
            None => Vec::new(),
        },
        ResponseKind::Count => match body {
            Some(Value::Number(n)) => vec![Value::Number(n.clone())],
            _ => Vec::new(),
        },
    }
}

/// A model object: the .NET type to make and the service's JSON to fill it from, as it came (`@odata.context`
/// included, which the model keeps in AdditionalProperties).
fn model_object(value: &Value, type_name: &str) -> Value {
    let mut out = Map::new();
    out.insert(TYPE_MEMBER.into(), Value::String(type_name.to_owned()));
    out.insert(VALUE_MEMBER.into(), value.clone());
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::find_cmdlet;
    use serde_json::json;

    #[test]
    fn presence_becomes_a_model_object_with_the_service_json() {
        let cmdlet = find_cmdlet("Get-MgUserPresence").unwrap();
        let body = json!({"@odata.context": "x", "id": "u", "availability": "Busy", "activity": "InACall",
                          "outOfOfficeSettings": {"message": null, "isOutOfOffice": false}, "sequenceNumber": "A1"});
        let out = output_of(&cmdlet, ResponseKind::Presence, false, Some(&body));
        assert_eq!(out[0]["$type"], "Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence");
        assert_eq!(out[0]["$value"], body);
    }

    #[test]
    fn collections_give_one_object_per_presence_and_counts_a_number() {
        let cmdlet = find_cmdlet("Get-MgBetaCommunicationPresenceByUserId").unwrap();
        let body = json!({"value": [{"id": "a", "availability": "Away"}, {"id": "b", "availability": "Busy"}]});
        let out = output_of(&cmdlet, ResponseKind::PresenceCollection, false, Some(&body));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1]["$value"]["id"], "b");
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

/// The error of a response that is not a success (mg-cmdlet-behavior.md §2.12): the Graph error's code and message,
/// or for a body that is not a Graph error the status's name and the body's start.
pub fn error_of_response(status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> CmdletError {
    let graph = mgpresence_domain::GraphError::parse(body);
    let (code, message) = match &graph {
        Some(g) => (g.error.code.clone(), g.error.message.clone()),
        None => (if reason.is_empty() { format!("Http{status}") } else { reason.to_owned() }, String::from_utf8_lossy(body).chars().take(2000).collect()),
    };
    let date = graph.as_ref().and_then(|g| g.error.inner_error.as_ref()).and_then(|i| i.date.clone()).unwrap_or_default();
    CmdletError::of_service(ServiceError {
        status,
        reason: reason.to_owned(),
        code,
        message,
        date,
        headers: headers.iter().filter(|(n, _)| !n.eq_ignore_ascii_case("authorization")).cloned().collect(),
    })
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
        assert_eq!(e.message, "[NotFound] : The presence session does not exist.");
        let service = e.service.unwrap();
        assert_eq!((service.status, service.date.as_str(), service.headers.len()), (404, "2025-04-21T16:48:06", 2));
    }

    #[test]
    fn non_graph_bodies_still_give_a_code() {
        let e = error_of_response(502, "BadGateway", &[], b"<html>proxy</html>");
        assert_eq!(e.error_id, "BadGateway");
        assert_eq!(e.message, "[BadGateway] : <html>proxy</html>");
    }
}
