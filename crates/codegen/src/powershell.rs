//! The PowerShell cmdlet functions: one advanced function per catalog cmdlet, pointing at its help in the MAML file
//! ([`crate::help`]), with the parameter sets and attributes the catalog derives, and a body that hands the call to
//! the binary cmdlet of the parameter set it was called with ([`crate::variants`]), which calls the Rust engine.

use mgpresence_catalog::parameter::{Parameter, PsType};
use mgpresence_catalog::{Cmdlet, all_cmdlets};
use std::fmt::Write;

/// The .NET type literal of a parameter type.
pub fn type_literal(t: PsType) -> &'static str {
    match t {
        PsType::String => "[string]",
        PsType::StringArray => "[string[]]",
        PsType::Int32 => "[int]",
        PsType::Model => "[MgPresence.Models.GraphObject]",
        PsType::TimeSpan => "[System.TimeSpan]",
        PsType::Boolean => "[bool]",
        PsType::Switch => "[switch]",
        PsType::Hashtable => "[hashtable]",
        PsType::Dictionary => "[System.Collections.IDictionary]",
        PsType::Identity(_) => "[MgPresence.Models.CloudCommunicationsIdentity]",
        PsType::Body(_) => "[MgPresence.Models.RequestBody]",
        PsType::Uri => "[uri]",
        PsType::Credential => "[pscredential]",
        PsType::PipelineSteps => "[object[]]",
    }
}

/// A PowerShell single-quoted string literal.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The `[Parameter()]` attributes: one without a set name when the parameter is in every set alike, otherwise one per
/// set.
fn parameter_attributes(p: &Parameter, set_count: usize) -> Vec<String> {
    let flags = |mandatory: bool, pipeline: bool, dont_show: bool| {
        let mut parts = Vec::new();
        if mandatory {
            parts.push("Mandatory".to_owned());
        }
        if pipeline {
            parts.push("ValueFromPipeline".to_owned());
        }
        if dont_show {
            parts.push("DontShow".to_owned());
        }
        parts
    };
    if p.memberships.is_empty() {
        return vec![format!("[Parameter({})]", flags(false, false, p.dont_show).join(", "))];
    }
    let uniform = p.memberships.windows(2).all(|w| w[0].mandatory == w[1].mandatory && w[0].from_pipeline == w[1].from_pipeline);
    if uniform && p.memberships.len() == set_count {
        let first = &p.memberships[0];
        return vec![format!("[Parameter({})]", flags(first.mandatory, first.from_pipeline, p.dont_show).join(", "))];
    }
    p.memberships
        .iter()
        .map(|m| {
            let mut parts = vec![format!("ParameterSetName = {}", quote(&m.set))];
            parts.extend(flags(m.mandatory, m.from_pipeline, p.dont_show));
            format!("[Parameter({})]", parts.join(", "))
        })
        .collect()
}

fn render_function(out: &mut String, cmdlet: &Cmdlet) {
    let params = cmdlet.parameters();
    let sets = cmdlet.parameter_sets();
    let default_set = sets.iter().find(|s| s.is_default).map(|s| s.name.clone()).unwrap_or_default();
    let name = cmdlet.name();

    writeln!(out, "function {name} {{").unwrap();
    // The help is in the MAML file (crate::help), as in Microsoft's modules: nothing to parse on import.
    writeln!(out, "<#\n.EXTERNALHELP {}\n#>", crate::help::HELP_FILE).unwrap();

    let output_type = cmdlet.output_type();
    if output_type.starts_with("System.") {
        writeln!(out, "    [OutputType([{output_type}])]").unwrap();
    } else {
        writeln!(out, "    [OutputType({})]", quote(&output_type)).unwrap();
    }
    let should_process = if cmdlet.supports_should_process() { ", SupportsShouldProcess = $true, ConfirmImpact = 'Medium'" } else { "" };
    writeln!(out, "    [CmdletBinding(DefaultParameterSetName = {}, PositionalBinding = $false{should_process})]", quote(&default_set)).unwrap();
    writeln!(out, "    param(").unwrap();
    for (i, p) in params.iter().enumerate() {
        for attribute in parameter_attributes(p, sets.len()) {
            writeln!(out, "        {attribute}").unwrap();
        }
        if let Some(completer) = crate::completion::completer_for(cmdlet, p) {
            writeln!(out, "        [ArgumentCompleter([{completer}])]").unwrap();
        }
        if !p.aliases.is_empty() {
            let aliases: Vec<String> = p.aliases.iter().map(|a| quote(a)).collect();
            writeln!(out, "        [Alias({})]", aliases.join(", ")).unwrap();
        }
        let comma = if i + 1 < params.len() { "," } else { "" };
        writeln!(out, "        {} ${}{comma}", type_literal(p.ps_type), p.name).unwrap();
        if i + 1 < params.len() {
            writeln!(out).unwrap();
        }
    }
    writeln!(out, "    )").unwrap();
    writeln!(out, "    process {{").unwrap();
    // The binary cmdlet of the parameter set does the work, as in Microsoft's proxy functions (crate::variants).
    writeln!(out, "        $arguments = [MgPresence.Runtime.VariantCmdlets]::Arguments($PSCmdlet, $PSBoundParameters)").unwrap();
    writeln!(out, "        & ([MgPresence.Runtime.VariantCmdlets]::Get({}, $PSCmdlet.ParameterSetName)) @arguments", quote(&name)).unwrap();
    writeln!(out, "    }}").unwrap();
    writeln!(out, "}}\n").unwrap();
}

/// The names of every generated cmdlet, in catalog order.
pub fn cmdlet_names() -> Vec<String> {
    all_cmdlets().iter().map(Cmdlet::name).collect()
}

pub fn render() -> String {
    let mut out = String::from(
        "# <auto-generated>\n# Generated by crates/codegen from the cmdlet catalog (crates/catalog). Do not edit: change the catalog\n# and build; `cargo xtask test` fails while this file is stale.\n# </auto-generated>\n\n",
    );
    for cmdlet in all_cmdlets() {
        render_function(&mut out, &cmdlet);
    }
    out
}
