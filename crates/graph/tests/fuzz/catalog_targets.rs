//! Fuzz targets in the catalog: `binding::prepare` for every cmdlet and parameter set, and the response mapping
//! (`response::output_of`, `response::error_of_response`).

use crate::harness::Rng;
use crate::inputs;
use mgpresence_catalog::binding::{ErrorCategory, prepare};
use mgpresence_catalog::examples::{EXAMPLE_USER, example_body};
use mgpresence_catalog::parameter::{BodyMode, ParameterRole};
use mgpresence_catalog::response::{error_of_response, output_of};
use mgpresence_catalog::{Cmdlet, ResponseKind, all_cmdlets};
use serde_json::{Map, Value, json};

/// One `prepare` call: the cmdlet, the parameter set name, the bound parameters.
#[derive(Debug)]
pub struct Binding {
    cmdlet: Cmdlet,
    set: String,
    bound: Map<String, Value>,
}

/// The bound parameters of a valid call of `set`: ids, identity, body members or body from the example bodies, and
/// some of the other parameters.
fn valid_bound(rng: &mut Rng, cmdlet: &Cmdlet, set: &str) -> Map<String, Value> {
    let mut bound = Map::new();
    let sets = cmdlet.parameter_sets();
    let Some(set) = sets.iter().find(|s| s.name == set) else { return bound };
    let body = cmdlet.operation_for(set).body().map(example_body).unwrap_or(Value::Null);
    for p in cmdlet.parameters().iter().filter(|p| p.memberships.is_empty() || p.memberships.iter().any(|m| m.set == set.name)) {
        let value = match &p.role {
            ParameterRole::PathId { .. } => Some(json!(EXAMPLE_USER)),
            ParameterRole::Identity => Some(json!({"UserId": EXAMPLE_USER, "PresenceId": EXAMPLE_USER})),
            ParameterRole::BodyMember { wire_name } => body.get(wire_name).cloned(),
            ParameterRole::BodyParameter => Some(if rng.bool() { body.clone() } else { Value::String(body.to_string()) }),
            ParameterRole::AdditionalProperties => rng.one_in(3).then(|| json!({"note": inputs::text(rng)})),
            ParameterRole::Query { .. } | ParameterRole::Header { .. } => rng.one_in(3).then(|| Value::String(inputs::text(rng))),
            ParameterRole::PageSize => rng.one_in(3).then(|| json!(rng.below(1000))),
            ParameterRole::All | ParameterRole::PassThru | ParameterRole::ProxyUseDefaultCredentials => rng.one_in(3).then(|| json!(true)),
            ParameterRole::CountVariable | ParameterRole::ResponseHeadersVariable => rng.one_in(3).then(|| json!("v")),
            ParameterRole::Headers => rng.one_in(3).then(|| json!({"x-fuzz": inputs::text(rng)})),
            ParameterRole::Proxy => rng.one_in(8).then(|| json!("http://127.0.0.1:9")),
            ParameterRole::ProxyCredential => rng.one_in(8).then(|| json!({"UserName": "u", "Password": "p"})),
            ParameterRole::Break | ParameterRole::HttpPipelineAppend | ParameterRole::HttpPipelinePrepend => rng.one_in(20).then(|| json!([{}])),
        };
        if let Some(value) = value {
            bound.insert(p.name.clone(), value);
        }
    }
    bound
}

pub fn binding(rng: &mut Rng) -> Binding {
    let cmdlets = all_cmdlets();
    let cmdlet = *rng.pick(&cmdlets);
    let names: Vec<String> = cmdlet.parameter_sets().iter().map(|s| s.name.clone()).collect();
    let real = rng.pick(&names).clone();
    let bound = valid_bound(rng, &cmdlet, &real);
    let set = match rng.below(12) {
        0 => inputs::mutate_text(rng, &real),
        1 => real.to_ascii_lowercase(),
        _ => real,
    };
    let bound = match inputs::json_from(rng, &Value::Object(bound)) {
        Value::Object(map) => map,
        other => Map::from_iter([("BodyParameter".to_owned(), other)]),
    };
    Binding { cmdlet, set, bound }
}

/// `prepare` never panics; a request it returns has a filled-in path, no reserved header, and a body exactly when
/// the set sends one — a canonical body the domain takes back unchanged.
pub fn check_binding(b: &Binding) -> Result<(), String> {
    let Ok(call) = prepare(&b.cmdlet, &b.set, &b.bound) else { return Ok(()) };
    let request = &call.request;
    if !request.path.starts_with('/') || request.path.contains(['{', '}']) {
        return Err(format!("path {:?}", request.path));
    }
    let reserved = ["authorization", "content-type", "content-length", "content-encoding", "host"];
    if let Some((name, _)) = request.headers.iter().find(|(n, _)| reserved.contains(&n.to_ascii_lowercase().as_str())) {
        return Err(format!("reserved header {name} in the request"));
    }
    let sets = b.cmdlet.parameter_sets();
    let set = sets.iter().find(|s| s.name.eq_ignore_ascii_case(&b.set)).ok_or("prepared with an unknown set")?;
    match (set.body, b.cmdlet.operation_for(set).body(), &request.body) {
        (BodyMode::Expanded | BodyMode::Whole, Some(kind), Some(Value::Object(body))) => match kind.to_wire_body(body.clone()) {
            Ok(again) if again == Value::Object(body.clone()) => Ok(()),
            other => Err(format!("the body {body:?} is not canonical: {other:?}")),
        },
        (BodyMode::None, _, None) | (_, None, None) => Ok(()),
        (mode, kind, body) => Err(format!("set body {mode:?}, operation body {kind:?}, request body {body:?}")),
    }
}

/// One response to map: the call's shape, the status line, headers (one of them a secret Authorization) and body.
#[derive(Debug)]
pub struct ResponseCase {
    cmdlet: Cmdlet,
    kind: ResponseKind,
    pass_thru: bool,
    json: Option<Value>,
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    secret: String,
}

pub fn response_case(rng: &mut Rng) -> ResponseCase {
    let cmdlets = all_cmdlets();
    let presence = json!({"@odata.context": "x", "id": EXAMPLE_USER, "availability": "Busy", "activity": "InACall",
        "outOfOfficeSettings": {"message": null, "isOutOfOffice": false}, "sequenceNumber": "A0000000001",
        "statusMessage": {"message": {"content": "Hi", "contentType": "text"}}});
    let valid = match rng.below(3) {
        0 => presence.clone(),
        1 => json!({"value": [presence.clone(), presence], "@odata.nextLink": "x", "@odata.count": 2}),
        _ => json!(rng.below(100)),
    };
    let error = json!({"error": {"code": "NotFound", "message": "The presence session does not exist.",
        "innerError": {"date": "2025-04-21T16:48:06", "request-id": "r1", "client-request-id": "c1"}, "details": []}});
    let secret = format!("SECRET-{:016x}", rng.next_u64());
    let mut headers: Vec<(String, String)> = (0..rng.below(4)).map(|_| (inputs::text(rng), inputs::text(rng))).collect();
    let at = rng.below(headers.len() + 1);
    let authorization = if rng.bool() { "authorization".to_owned() } else { "AUTHORIZATION".to_owned() };
    headers.insert(at, (authorization, format!("Bearer {secret}")));
    ResponseCase {
        cmdlet: *rng.pick(&cmdlets),
        kind: *rng.pick(&[ResponseKind::NoContent, ResponseKind::Presence, ResponseKind::PresenceCollection, ResponseKind::Count]),
        pass_thru: rng.bool(),
        json: (!rng.one_in(6)).then(|| inputs::json_from(rng, &valid)),
        status: if rng.one_in(4) { rng.next_u64() as u16 } else { 400 + rng.below(200) as u16 },
        reason: if rng.bool() { String::new() } else { inputs::text(rng) },
        headers,
        body: inputs::body_from(rng, &error),
        secret,
    }
}

/// Mapping never panics; a presence becomes one typed object; an error keeps the status, never shows the
/// Authorization header, and has Microsoft's shape: ErrorId the code, category InvalidOperation.
pub fn check_response(c: &ResponseCase) -> Result<(), String> {
    let output = output_of(&c.cmdlet, c.kind, c.pass_thru, c.json.as_ref());
    match (c.kind, &c.json) {
        (ResponseKind::Presence, Some(Value::Object(_))) if output.len() != 1 || output[0].get("$type").is_none() => {
            return Err(format!("a presence gave {output:?}"));
        }
        (ResponseKind::NoContent, _) if output != (if c.pass_thru { vec![Value::Bool(true)] } else { Vec::new() }) => {
            return Err(format!("no content gave {output:?}"));
        }
        _ => {}
    }
    let error = error_of_response(c.status, &c.reason, &c.headers, &c.body);
    let Some(service) = &error.service else { return Err("a response error without the service's answer".into()) };
    if service.status != c.status {
        return Err(format!("status {} for {}", service.status, c.status));
    }
    if error.message != format!("[{}] : {}", service.code, service.message) || error.error_id != service.code {
        return Err(format!("not Microsoft's shape: {} / {}", error.error_id, error.message));
    }
    if format!("{error:?}").contains(&c.secret) {
        return Err("the Authorization header shows in the error".into());
    }
    if error.category != ErrorCategory::InvalidOperation {
        return Err(format!("category {:?} for {}", error.category, c.status));
    }
    Ok(())
}
