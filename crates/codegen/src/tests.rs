//! The generated PowerShell tests: one per cmdlet and parameter set. Each calls the cmdlet in real PowerShell with
//! the catalog's example values, then asserts the exact request the emulator received (method, path, query, JSON
//! body) and the cmdlet's output. Expected requests come from the catalog's examples (crates/catalog/src/examples.rs),
//! expected outputs from the response kind and from the emulator's documented answers.

use mgpresence_catalog::examples::{EXAMPLE_APP, example_body};
use mgpresence_catalog::parameter::{BodyMode, ParameterSet};
use mgpresence_catalog::{Cmdlet, HttpMethod, Resource, ResponseKind, all_cmdlets};
use mgpresence_domain::{BodyKind, IsoDuration, PresenceAction, PropertyType};
use serde_json::Value;
use std::fmt::Write;

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A [TimeSpan] expression for an ISO 8601 duration.
fn timespan_literal(iso: &str) -> String {
    let d: IsoDuration = iso.parse().expect("examples hold valid durations");
    let secs = d.as_signed_duration().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let text = format!("{}{:02}:{:02}:{:02}", if days > 0 { format!("{days}.") } else { String::new() }, rest / 3600, rest % 3600 / 60, rest % 60);
    format!("([TimeSpan]::Parse({}))", quote(&text))
}

/// A PowerShell literal for a JSON value (objects as hashtables, arrays as arrays).
fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => quote(s),
        Value::Bool(b) => if *b { "$true".into() } else { "$false".into() },
        Value::Number(n) => n.to_string(),
        Value::Null => "$null".into(),
        Value::Array(items) => format!("@({})", items.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let members: Vec<String> = map.iter().map(|(k, v)| format!("{} = {}", quote(k), literal(v))).collect();
            format!("@{{ {} }}", members.join("; "))
        }
    }
}

fn expanded_arguments(kind: BodyKind, example: &Value) -> Vec<String> {
    let properties = kind.properties();
    example
        .as_object()
        .expect("examples are objects")
        .iter()
        .map(|(key, value)| {
            let property = properties.iter().find(|p| &p.wire_name == key).expect("examples use typed members");
            let text = match (property.property_type, value) {
                (PropertyType::Duration, Value::String(iso)) => timespan_literal(iso),
                _ => literal(value),
            };
            format!("-{} {text}", heck::AsUpperCamelCase(key))
        })
        .collect()
}

/// What the emulator answers an operation with, when it is not a success (docs/decisions.md).
fn expected_error(cmdlet: &Cmdlet, set: &ParameterSet) -> Option<&'static str> {
    let op = cmdlet.operation_for(set);
    match (op.method, op.resource) {
        (HttpMethod::Patch, _) => Some("NotFound"),
        (HttpMethod::Delete, _) => Some("MethodNotAllowed"),
        (HttpMethod::Post, Resource::CommunicationPresences) => Some("MethodNotAllowed"),
        _ => None,
    }
}

fn render_test(out: &mut String, cmdlet: &Cmdlet, set: &ParameterSet) {
    let name = cmdlet.name();
    let op = cmdlet.operation_for(set);
    let id = format!("{}-{}", name.to_lowercase(), set.name.to_lowercase());
    let mut args: Vec<String> = Vec::new();
    let mut path = format!("/{}{}", cmdlet.version.segment(), op.path_template());
    for p in op.resource.path_parameters() {
        if set.via_identity {
            args.push(format!("-InputObject @{{ {} = {} }}", p.parameter, quote(&id)));
        } else {
            args.push(format!("-{} {}", p.parameter, quote(&id)));
        }
        path = path.replace(&format!("{{{}}}", p.template_name), &id);
    }
    let body = op.body().map(example_body);
    match (set.body, op.body(), &body) {
        (BodyMode::Expanded, Some(kind), Some(example)) => args.extend(expanded_arguments(kind, example)),
        (BodyMode::Whole, Some(_), Some(example)) => args.push(format!("-BodyParameter {}", literal(example))),
        _ => {}
    }
    let query = if set.list { "%24top=1" } else { "" };
    if set.list {
        args.push("-Top 1".into());
    }
    if cmdlet.pass_thru() {
        args.push("-PassThru".into());
    }
    let expected_body = match (set.body, &body) {
        (BodyMode::None, _) | (_, None) => "$null".to_owned(),
        (_, Some(example)) => quote(&serde_json::to_string(example).expect("JSON")),
    };

    writeln!(out, "    It {} {{", quote(&format!("{name} ({})", set.name))).unwrap();
    if op.action == Some(mgpresence_catalog::operation::Action::Presence(PresenceAction::ClearPresence)) {
        let setup = format!(r#"{{"sessionId":"{EXAMPLE_APP}","availability":"Away","activity":"Away"}}"#);
        writeln!(out, "        Invoke-EmulatorGraph 'POST' {} {}", quote(&format!("/{}/users/{id}/presence/setPresence", cmdlet.version.segment())), quote(&setup)).unwrap();
        writeln!(out, "        Clear-EmulatorRequest").unwrap();
    }
    writeln!(out, "        $errors = @()").unwrap();
    writeln!(out, "        $out = @({name} {} -ErrorVariable errors -ErrorAction SilentlyContinue)", args.join(" ")).unwrap();
    writeln!(out, "        Assert-Request {} {} {} {expected_body}", quote(op.method.as_str()), quote(&path), quote(query)).unwrap();
    let type_name = format!("{}.MicrosoftGraphPresence", cmdlet.version.models_namespace());
    match expected_error(cmdlet, set) {
        Some(code) => {
            writeln!(out, "        Assert-Equal 1 $errors.Count 'one error record'").unwrap();
            writeln!(out, "        Assert-Like {} $errors[0].FullyQualifiedErrorId", quote(&format!("{code},*"))).unwrap();
            writeln!(out, "        Assert-Equal 0 $out.Count").unwrap();
        }
        None => {
            writeln!(out, "        Assert-Equal 0 $errors.Count \"no error: $($errors | ForEach-Object {{ $_.Exception.Message }})\"").unwrap();
            match op.response {
                ResponseKind::NoContent => {
                    writeln!(out, "        Assert-Equal 1 $out.Count").unwrap();
                    writeln!(out, "        Assert-True ($out[0] -is [bool] -and $out[0]) '-PassThru outputs $true'").unwrap();
                }
                ResponseKind::Presence => {
                    writeln!(out, "        Assert-Equal 1 $out.Count").unwrap();
                    writeln!(out, "        Assert-Equal {} $out[0].PSObject.TypeNames[0]", quote(&type_name)).unwrap();
                    writeln!(out, "        Assert-Equal {} $out[0].Id", quote(&id)).unwrap();
                }
                ResponseKind::PresenceCollection => {
                    let expected: Vec<String> = match &body {
                        Some(example) => example["ids"].as_array().into_iter().flatten().filter_map(Value::as_str).map(quote).collect(),
                        None => Vec::new(),
                    };
                    if expected.is_empty() {
                        writeln!(out, "        Assert-Equal 1 $out.Count '-Top 1 gives one object'").unwrap();
                    } else {
                        writeln!(out, "        Assert-SequenceEqual @({}) @($out | ForEach-Object {{ $_.Id }})", expected.join(", ")).unwrap();
                    }
                    writeln!(out, "        Assert-Equal {} $out[0].PSObject.TypeNames[0]", quote(&type_name)).unwrap();
                }
                ResponseKind::Count => {
                    writeln!(out, "        Assert-Equal 1 $out.Count").unwrap();
                    writeln!(out, "        Assert-True ($out[0] -is [int] -and $out[0] -ge 0) 'a count'").unwrap();
                }
            }
        }
    }
    writeln!(out, "    }}\n").unwrap();
}

pub fn render() -> String {
    let mut out = String::from(
        "# <auto-generated>\n# Generated by crates/codegen from the cmdlet catalog: one test per cmdlet and parameter set. Do not edit.\n# Run by tests/powershell/Invoke-MgPresenceTests.ps1, which provides the framework, the module and the emulator.\n# </auto-generated>\n\n",
    );
    for cmdlet in all_cmdlets() {
        writeln!(out, "Describe {} {{", quote(&format!("{} (generated)", cmdlet.name()))).unwrap();
        for set in cmdlet.parameter_sets() {
            render_test(&mut out, &cmdlet, &set);
        }
        writeln!(out, "}}\n").unwrap();
    }
    out
}
