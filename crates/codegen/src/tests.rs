//! The generated PowerShell test cases: one per cmdlet and parameter set, as data
//! (`generated/MgPresence.Cmdlets.TestCases.psd1`). Each case holds the cmdlet's arguments (the catalog's example
//! values, as PowerShell text), the exact request the emulator must receive (method, path, query, JSON body) and the
//! expected output or error; the hand-written Pester file `tests/powershell/Cmdlets.Tests.ps1` runs one `It` per case.
//! Expected requests come from the catalog's examples (crates/catalog/src/examples.rs), expected outputs from the
//! response kind and from the emulator's documented answers.

use mgpresence_catalog::examples::{EXAMPLE_APP, example_body};
use mgpresence_catalog::parameter::{BodyMode, ParameterSet};
use mgpresence_catalog::{Cmdlet, HttpMethod, Resource, ResponseKind, all_cmdlets};
use mgpresence_domain::{BodyKind, IsoDuration, PresenceAction, PropertyType};
use serde_json::Value;
use crate::powershell::quote;
use std::fmt::Write;

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

/// What a case expects the cmdlet to output (one of the kinds `tests/powershell/Cmdlets.Tests.ps1` knows), and the
/// ids of the presences it outputs, in order.
fn expected_output(cmdlet: &Cmdlet, set: &ParameterSet, id: &str, body: Option<&Value>) -> (&'static str, Vec<String>) {
    if expected_error(cmdlet, set).is_some() {
        return ("Error", Vec::new());
    }
    match cmdlet.operation_for(set).response {
        ResponseKind::NoContent => ("PassThruTrue", Vec::new()),
        ResponseKind::Presence => ("Presence", vec![id.to_owned()]),
        ResponseKind::PresenceCollection => {
            let ids: Vec<String> = body
                .and_then(|example| example["ids"].as_array())
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            // Without ids the case lists with -Top 1: one object, whichever the emulator has first.
            if ids.is_empty() { ("PresencePage", ids) } else { ("Presences", ids) }
        }
        ResponseKind::Count => ("Count", Vec::new()),
    }
}

fn render_case(out: &mut String, cmdlet: &Cmdlet, set: &ParameterSet) {
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
    let query = if set.list { "$top=1" } else { "" };
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
    let setup = if op.action == Some(mgpresence_catalog::operation::Action::Presence(PresenceAction::ClearPresence)) {
        // Clearing needs a presence of the example session: one is set straight at the emulator first.
        let json = format!(r#"{{"sessionId":"{EXAMPLE_APP}","availability":"Away","activity":"Away"}}"#);
        let setup_path = format!("/{}/users/{id}/presence/setPresence", cmdlet.version.segment());
        format!("@{{ Method = 'POST'; Path = {}; Body = {} }}", quote(&setup_path), quote(&json))
    } else {
        "$null".to_owned()
    };
    let (output, output_ids) = expected_output(cmdlet, set, &id, body.as_ref());
    let type_name = match output {
        "Presence" | "PresencePage" | "Presences" => quote(&format!("{}.MicrosoftGraphPresence", cmdlet.version.models_namespace())),
        _ => "$null".to_owned(),
    };
    let error_code = expected_error(cmdlet, set).map_or_else(|| "$null".to_owned(), quote);

    let key = "                    ";
    writeln!(out, "                @{{").unwrap();
    writeln!(out, "{key}Cmdlet = {}", quote(&name)).unwrap();
    writeln!(out, "{key}ParameterSet = {}", quote(&set.name)).unwrap();
    writeln!(out, "{key}Arguments = {}", quote(&args.join(" "))).unwrap();
    writeln!(out, "{key}Setup = {setup}").unwrap();
    let method = quote(op.method.as_str());
    writeln!(out, "{key}Request = @{{ Method = {method}; Path = {}; Query = {}; Body = {expected_body} }}", quote(&path), quote(query)).unwrap();
    writeln!(out, "{key}ErrorCode = {error_code}").unwrap();
    writeln!(out, "{key}Output = {}", quote(output)).unwrap();
    writeln!(out, "{key}OutputTypeName = {type_name}").unwrap();
    writeln!(out, "{key}OutputIds = @({})", output_ids.iter().map(|i| quote(i)).collect::<Vec<_>>().join(", ")).unwrap();
    writeln!(out, "                }}").unwrap();
}

/// The data file, `@{ Cmdlets = @( @{ Cmdlet = …; ParameterSets = @( case, … ) }, … ) }`, read with
/// Import-PowerShellDataFile. Every case has every key (`$null` or empty where it does not apply), so no case sees a
/// variable left from another.
///
/// A case: `Cmdlet`, `ParameterSet`; `Arguments`, the PowerShell text of the arguments; `Setup`, `$null` or a request
/// (`Method`, `Path`, JSON `Body`) sent straight to the emulator first; `Request`, the one request the emulator must
/// record (`Method`, `Path`, `Query` as sent, `Body` as the JSON text sent, member order included, or `$null`);
/// `ErrorCode`, the Graph code of the one error record expected, or `$null`; `Output`: `Error` (nothing),
/// `PassThruTrue`, `Presence` (one, with the id in `OutputIds`), `PresencePage` (one, from `-Top 1`), `Presences`
/// (the ids in `OutputIds`, in that order) or `Count` (an `[int]`); `OutputTypeName`, the first type name of the
/// presences output.
pub fn render() -> String {
    let mut out = String::from(
        "# <auto-generated>\n# Generated by crates/codegen (src/tests.rs) from the cmdlet catalog: one test case per cmdlet and parameter set.\n# Do not edit. tests/powershell/Cmdlets.Tests.ps1 runs one Pester It per case.\n# </auto-generated>\n@{\n    Cmdlets = @(\n",
    );
    for cmdlet in all_cmdlets() {
        writeln!(out, "        @{{").unwrap();
        writeln!(out, "            Cmdlet = {}", quote(&cmdlet.name())).unwrap();
        writeln!(out, "            ParameterSets = @(").unwrap();
        for set in cmdlet.parameter_sets() {
            render_case(&mut out, &cmdlet, set);
        }
        writeln!(out, "            )").unwrap();
        writeln!(out, "        }}").unwrap();
    }
    out.push_str("    )\n}\n");
    out
}

#[cfg(test)]
mod case_checks {
    use mgpresence_catalog::all_cmdlets;

    const CASE_KEYS: [&str; 9] = ["Cmdlet", "ParameterSet", "Arguments", "Setup", "Request", "ErrorCode", "Output", "OutputTypeName", "OutputIds"];

    #[test]
    fn one_case_per_cmdlet_and_parameter_set_each_with_every_key() {
        let text = super::render();
        let sets: usize = all_cmdlets().iter().map(|c| c.parameter_sets().len()).sum();
        assert_eq!(text.matches("\n            ParameterSets = @(").count(), all_cmdlets().len());
        for key in CASE_KEYS {
            assert_eq!(text.matches(&format!("\n                    {key} = ")).count(), sets, "{key}");
        }
    }

    #[test]
    fn texts_are_single_quoted_with_their_quotes_doubled() {
        let text = super::render();
        assert!(text.contains("Arguments = '-UserId ''get-mguserpresence-get'''"));
        assert!(text.contains("Body = '{\"sessionId\":"));
    }
}
