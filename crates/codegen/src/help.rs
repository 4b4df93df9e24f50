//! The cmdlets' help as a MAML file (`en-US/MgPresence-help.xml`), the way Microsoft's modules ship it: each generated
//! function points at it with `.EXTERNALHELP`, so the script PowerShell parses on every import carries no help text,
//! and `Get-Help` reads the file only when asked. Synopsis, description, syntax per parameter set, parameters, inputs,
//! outputs, notes, the example and the links all come from the catalog.

use crate::powershell::type_literal;
use mgpresence_catalog::parameter::{Parameter, PsType};
use mgpresence_catalog::{Cmdlet, all_cmdlets};
use std::fmt::Write;

/// The help file's name, as `.EXTERNALHELP` names it; it sits in the module's `en-US` folder.
pub const HELP_FILE: &str = "MgPresence-help.xml";

/// XML text: `&`, `<`, `>` and quotes escaped.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The type name Get-Help shows for a parameter, short as in Microsoft's help files: `TimeSpan`, `IDictionary`.
fn type_name(t: PsType) -> &'static str {
    let literal = type_literal(t).trim_start_matches('[').trim_end_matches(']');
    literal.rsplit('.').next().unwrap_or(literal)
}

/// `<maml:description>` with one paragraph per line of text.
fn description(out: &mut String, indent: &str, text: &str) {
    writeln!(out, "{indent}<maml:description>").unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        writeln!(out, "{indent}  <maml:para>{}</maml:para>", xml(line.trim())).unwrap();
    }
    writeln!(out, "{indent}</maml:description>").unwrap();
}

/// One `<command:parameter>`; `set` narrows required/pipeline to one parameter set (in a syntax item).
fn parameter(out: &mut String, indent: &str, p: &Parameter, set: Option<&str>) {
    let membership = set.and_then(|s| p.memberships.iter().find(|m| m.set == s));
    let required = match set {
        Some(_) => membership.is_some_and(|m| m.mandatory),
        None => p.memberships.iter().any(|m| m.mandatory),
    };
    let pipeline = match set {
        Some(_) => membership.is_some_and(|m| m.from_pipeline),
        None => p.memberships.iter().any(|m| m.from_pipeline),
    };
    let is_switch = matches!(p.ps_type, PsType::Switch);
    let aliases = if p.aliases.is_empty() { "none".to_owned() } else { p.aliases.join(", ") };
    writeln!(
        out,
        "{indent}<command:parameter required=\"{required}\" variableLength=\"true\" globbing=\"false\" pipelineInput=\"{}\" position=\"named\" aliases=\"{}\">",
        if pipeline { "True (ByValue)" } else { "False" },
        xml(&aliases)
    )
    .unwrap();
    writeln!(out, "{indent}  <maml:name>{}</maml:name>", xml(&p.name)).unwrap();
    // A syntax item lists the parameter only; its description is in <command:parameters>, once.
    if set.is_none() {
        description(out, &format!("{indent}  "), &p.help);
    }
    if !is_switch {
        writeln!(out, "{indent}  <command:parameterValue required=\"true\" variableLength=\"false\">{}</command:parameterValue>", xml(type_name(p.ps_type)))
            .unwrap();
    }
    writeln!(out, "{indent}  <dev:type>\n{indent}    <maml:name>{}</maml:name>\n{indent}    <maml:uri />\n{indent}  </dev:type>", xml(type_name(p.ps_type)))
        .unwrap();
    writeln!(out, "{indent}  <dev:defaultValue>{}</dev:defaultValue>", if is_switch { "False" } else { "None" }).unwrap();
    writeln!(out, "{indent}</command:parameter>").unwrap();
}

fn in_set(p: &Parameter, set: &str) -> bool {
    p.memberships.is_empty() || p.memberships.iter().any(|m| m.set == set)
}

fn type_item(out: &mut String, element: &str, type_name: &str) {
    writeln!(out, "      <command:{element}>\n        <dev:type>\n          <maml:name>{}</maml:name>\n        </dev:type>\n        <maml:description>\n          <maml:para></maml:para>\n        </maml:description>\n      </command:{element}>", xml(type_name)).unwrap();
}

fn render_command(out: &mut String, cmdlet: &Cmdlet) {
    let name = cmdlet.name();
    let (verb, noun) = name.split_once('-').expect("cmdlet names are Verb-Noun");
    let spec = cmdlet.spec;
    let params: Vec<&Parameter> = cmdlet.parameters().iter().filter(|p| !p.dont_show).collect();
    let sets = cmdlet.parameter_sets();

    writeln!(out, "  <command:command xmlns:maml=\"http://schemas.microsoft.com/maml/2004/10\" xmlns:command=\"http://schemas.microsoft.com/maml/dev/command/2004/10\" xmlns:dev=\"http://schemas.microsoft.com/maml/dev/2004/10\" xmlns:MSHelp=\"http://msdn.microsoft.com/mshelp\">").unwrap();
    writeln!(out, "    <command:details>\n      <command:name>{}</command:name>\n      <command:verb>{}</command:verb>\n      <command:noun>{}</command:noun>", xml(&name), xml(verb), xml(noun)).unwrap();
    description(out, "      ", spec.synopsis);
    writeln!(out, "    </command:details>").unwrap();
    description(out, "    ", spec.description);

    writeln!(out, "    <command:syntax>").unwrap();
    for set in sets {
        writeln!(out, "      <command:syntaxItem>\n        <maml:name>{}</maml:name>", xml(&name)).unwrap();
        for p in params.iter().filter(|p| in_set(p, &set.name)) {
            parameter(out, "        ", p, Some(&set.name));
        }
        writeln!(out, "      </command:syntaxItem>").unwrap();
    }
    writeln!(out, "    </command:syntax>").unwrap();

    writeln!(out, "    <command:parameters>").unwrap();
    for p in &params {
        parameter(out, "      ", p, None);
    }
    writeln!(out, "    </command:parameters>").unwrap();

    // The types of the parameters bound from the pipeline (identity, body, -Headers), in parameter order.
    writeln!(out, "    <command:inputTypes>").unwrap();
    let mut inputs: Vec<&str> = Vec::new();
    for p in params.iter().filter(|p| p.memberships.iter().any(|m| m.from_pipeline)) {
        let full_name = type_literal(p.ps_type).trim_start_matches('[').trim_end_matches(']');
        if !inputs.contains(&full_name) {
            inputs.push(full_name);
            type_item(out, "inputType", full_name);
        }
    }
    writeln!(out, "    </command:inputTypes>").unwrap();
    writeln!(out, "    <command:returnValues>").unwrap();
    type_item(out, "returnValue", &cmdlet.output_type());
    writeln!(out, "    </command:returnValues>").unwrap();

    writeln!(out, "    <maml:alertSet>\n      <maml:alert>").unwrap();
    for line in ["INPUTOBJECT <CloudCommunicationsIdentity>: Identity Parameter", "  [PresenceId <String>]: The unique identifier of presence", "  [UserId <String>]: The unique identifier of user"] {
        writeln!(out, "        <maml:para>{}</maml:para>", xml(line)).unwrap();
    }
    writeln!(out, "      </maml:alert>\n    </maml:alertSet>").unwrap();

    writeln!(
        out,
        "    <command:examples>\n      <command:example>\n        <maml:title>-------------------------- EXAMPLE 1 --------------------------</maml:title>\n        <dev:code>{}</dev:code>\n        <dev:remarks>\n          <maml:para></maml:para>\n        </dev:remarks>\n      </command:example>\n    </command:examples>",
        xml(&cmdlet.example())
    )
    .unwrap();

    writeln!(out, "    <command:relatedLinks>").unwrap();
    // Get-Help -Online opens the first link; Microsoft's help files call it "Online Version:".
    let mut links = vec![("Online Version:".to_owned(), cmdlet.help_uri())];
    links.extend(cmdlet.api_uri().map(|api| (String::new(), api)));
    for (text, uri) in links {
        writeln!(out, "      <maml:navigationLink>\n        <maml:linkText>{}</maml:linkText>\n        <maml:uri>{}</maml:uri>\n      </maml:navigationLink>", xml(&text), xml(&uri)).unwrap();
    }
    writeln!(out, "    </command:relatedLinks>").unwrap();
    writeln!(out, "  </command:command>").unwrap();
}

/// The MAML help file for every generated cmdlet.
pub fn render() -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- Generated by crates/codegen from the cmdlet catalog. Do not edit. -->\n<helpItems schema=\"maml\" xmlns=\"http://msh\">\n",
    );
    for cmdlet in all_cmdlets() {
        render_command(&mut out, &cmdlet);
    }
    out.push_str("</helpItems>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cmdlet_has_one_command_entry_with_a_syntax_item_per_set() {
        let text = render();
        for cmdlet in all_cmdlets() {
            let start = text.find(&format!("<command:name>{}</command:name>", cmdlet.name())).expect("listed");
            let entry = &text[start..start + text[start..].find("</command:command>").unwrap()];
            assert_eq!(entry.matches("<command:syntaxItem>").count(), cmdlet.parameter_sets().len(), "{}", cmdlet.name());
        }
        assert_eq!(text.matches("<command:command ").count(), all_cmdlets().len());
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(xml("a < b & \"c\" > d"), "a &lt; b &amp; &quot;c&quot; &gt; d");
    }
}
