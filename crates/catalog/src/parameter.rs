//! Parameter sets and parameters, derived from a cmdlet's operation by the rules Microsoft's generator follows
//! (cmdlet-inventory.md §2.1): `<Stem>Expanded` (default when there is a body), `<Stem>`, `<Stem>ViaIdentityExpanded`,
//! `<Stem>ViaIdentity`; id parameters mandatory outside the identity sets; `-InputObject` and `-BodyParameter`
//! mandatory and bound from the pipeline by value in their sets; every body member an optional expanded parameter;
//! the common parameters on every set.

use crate::inventory::Cmdlet;
use crate::operation::ApiVersion;
use heck::ToUpperCamelCase;
use mgpresence_domain::{BodyKind, PropertyType};

/// The PowerShell type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsType {
    String,
    StringArray,
    TimeSpan,
    Boolean,
    Switch,
    Hashtable,
    /// `System.Collections.IDictionary` (-Headers).
    Dictionary,
    /// The `-InputObject` identity of the module.
    Identity(ApiVersion),
    /// A `-BodyParameter` value: a hashtable, an object with properties, or a JSON string.
    Body(BodyKind),
    Uri,
    Credential,
    /// `-HttpPipelineAppend/-Prepend` (Microsoft's `SendAsyncStep[]`).
    PipelineSteps,
}

/// How the binder uses a parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterRole {
    /// Supplies a path parameter (`user-id`).
    PathId { template_name: &'static str },
    /// `-InputObject`: supplies every path parameter from the identity's properties.
    Identity,
    /// An expanded body member.
    BodyMember { wire_name: String },
    /// `-AdditionalProperties`: extra body members.
    AdditionalProperties,
    /// `-BodyParameter`: the whole body.
    BodyParameter,
    /// An OData query option (`$select`, `$expand`), values joined by commas.
    Query { option: &'static str },
    PassThru,
    Headers,
    ResponseHeadersVariable,
    Break,
    HttpPipelineAppend,
    HttpPipelinePrepend,
    Proxy,
    ProxyCredential,
    ProxyUseDefaultCredentials,
}

/// How a parameter belongs to one parameter set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMembership {
    pub set: String,
    pub mandatory: bool,
    pub from_pipeline: bool,
}

/// One parameter of a cmdlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub ps_type: PsType,
    pub aliases: Vec<&'static str>,
    pub help: String,
    /// Hidden from tab completion and syntax (Microsoft's `DontShow`).
    pub dont_show: bool,
    pub role: ParameterRole,
    /// The sets the parameter is in; empty means every set.
    pub memberships: Vec<SetMembership>,
}

/// What a parameter set binds: through an identity or ids, and the body expanded, whole, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    None,
    Expanded,
    Whole,
}

/// One parameter set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSet {
    pub name: String,
    pub is_default: bool,
    pub via_identity: bool,
    pub body: BodyMode,
}

/// The parameter sets of a cmdlet, the default first.
pub fn parameter_sets(cmdlet: &Cmdlet) -> Vec<ParameterSet> {
    let stem = cmdlet.spec.verb.set_stem();
    let has_identity = !cmdlet.spec.operation.resource.path_parameters().is_empty();
    let modes: &[BodyMode] =
        if cmdlet.spec.operation.body().is_some() { &[BodyMode::Expanded, BodyMode::Whole] } else { &[BodyMode::None] };
    let mut sets = Vec::new();
    for via_identity in [false, true] {
        if via_identity && !has_identity {
            continue;
        }
        for &body in modes {
            let name = format!(
                "{stem}{}{}",
                if via_identity { "ViaIdentity" } else { "" },
                if body == BodyMode::Expanded { "Expanded" } else { "" }
            );
            sets.push(ParameterSet { is_default: sets.is_empty(), name, via_identity, body });
        }
    }
    sets
}

fn member_of(sets: &[ParameterSet], pick: impl Fn(&ParameterSet) -> bool, mandatory: bool, from_pipeline: bool) -> Vec<SetMembership> {
    sets.iter()
        .filter(|s| pick(s))
        .map(|s| SetMembership { set: s.name.clone(), mandatory, from_pipeline })
        .collect()
}

fn ps_type_of(property: PropertyType) -> PsType {
    match property {
        PropertyType::String => PsType::String,
        PropertyType::Duration => PsType::TimeSpan,
        PropertyType::Boolean => PsType::Boolean,
        PropertyType::Object => PsType::Hashtable,
    }
}

/// Every parameter of a cmdlet, in the order Microsoft's syntax lists them: ids, identity, body members, body,
/// query options, -PassThru, then the common parameters.
pub fn parameters(cmdlet: &Cmdlet) -> Vec<Parameter> {
    let sets = parameter_sets(cmdlet);
    let op = &cmdlet.spec.operation;
    let mut out = Vec::new();
    let param = |name: &str, ps_type, help: &str, role, memberships| Parameter {
        name: name.to_owned(),
        ps_type,
        aliases: Vec::new(),
        help: help.to_owned(),
        dont_show: false,
        role,
        memberships,
    };

    for id in op.resource.path_parameters() {
        out.push(param(
            id.parameter,
            PsType::String,
            id.description,
            ParameterRole::PathId { template_name: id.template_name },
            member_of(&sets, |s| !s.via_identity, true, false),
        ));
    }
    if sets.iter().any(|s| s.via_identity) {
        out.push(param(
            "InputObject",
            PsType::Identity(cmdlet.version),
            "Identity Parameter. To construct, see NOTES section for INPUTOBJECT properties and create a hash table.",
            ParameterRole::Identity,
            member_of(&sets, |s| s.via_identity, true, true),
        ));
    }
    if let Some(body) = op.body() {
        for property in body.properties() {
            let help = if property.description.is_empty() { ".".to_owned() } else { property.description.clone() };
            out.push(param(
                &property.wire_name.to_upper_camel_case(),
                ps_type_of(property.property_type),
                &help,
                ParameterRole::BodyMember { wire_name: property.wire_name.clone() },
                member_of(&sets, |s| s.body == BodyMode::Expanded, false, false),
            ));
        }
        out.push(param(
            "AdditionalProperties",
            PsType::Hashtable,
            "Additional Parameters",
            ParameterRole::AdditionalProperties,
            member_of(&sets, |s| s.body == BodyMode::Expanded, false, false),
        ));
        out.push(param(
            "BodyParameter",
            PsType::Body(body),
            "The request body: a hashtable (keys matched case-insensitively), an object with properties, or a JSON string.",
            ParameterRole::BodyParameter,
            member_of(&sets, |s| s.body == BodyMode::Whole, true, true),
        ));
    }
    if cmdlet.spec.verb.has_query_options() {
        let mut expand =
            param("ExpandProperty", PsType::StringArray, "Expand related entities", ParameterRole::Query { option: "$expand" }, Vec::new());
        expand.aliases = vec!["Expand"];
        out.push(expand);
        let mut select =
            param("Property", PsType::StringArray, "Select properties to be returned", ParameterRole::Query { option: "$select" }, Vec::new());
        select.aliases = vec!["Select"];
        out.push(select);
    }
    if cmdlet.pass_thru() {
        out.push(param("PassThru", PsType::Switch, "Returns true when the command succeeds", ParameterRole::PassThru, Vec::new()));
    }

    let mut common = vec![
        param("Break", PsType::Switch, "Wait for .NET debugger to attach", ParameterRole::Break, Vec::new()),
        param(
            "Headers",
            PsType::Dictionary,
            "Optional headers that will be added to the request.",
            ParameterRole::Headers,
            sets.iter().map(|s| SetMembership { set: s.name.clone(), mandatory: false, from_pipeline: true }).collect(),
        ),
        param(
            "HttpPipelineAppend",
            PsType::PipelineSteps,
            "SendAsync Pipeline Steps to be appended to the front of the pipeline",
            ParameterRole::HttpPipelineAppend,
            Vec::new(),
        ),
        param(
            "HttpPipelinePrepend",
            PsType::PipelineSteps,
            "SendAsync Pipeline Steps to be prepended to the front of the pipeline",
            ParameterRole::HttpPipelinePrepend,
            Vec::new(),
        ),
        param("Proxy", PsType::Uri, "The URI for the proxy server to use", ParameterRole::Proxy, Vec::new()),
        param(
            "ProxyCredential",
            PsType::Credential,
            "Credentials for a proxy server to use for the remote call",
            ParameterRole::ProxyCredential,
            Vec::new(),
        ),
        param(
            "ProxyUseDefaultCredentials",
            PsType::Switch,
            "Use the default credentials for the proxy",
            ParameterRole::ProxyUseDefaultCredentials,
            Vec::new(),
        ),
    ];
    for p in &mut common {
        p.dont_show = !matches!(p.role, ParameterRole::Headers);
    }
    out.extend(common);
    let mut rhv = param(
        "ResponseHeadersVariable",
        PsType::String,
        "Optional Response Headers Variable.",
        ParameterRole::ResponseHeadersVariable,
        Vec::new(),
    );
    rhv.aliases = vec!["RHV"];
    out.push(rhv);
    out
}
