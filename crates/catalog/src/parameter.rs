//! Parameter sets and parameters, derived from a cmdlet's operation by the rules Microsoft's generator follows
//! (cmdlet-inventory.md §2.1): `<Stem>Expanded` (default when there is a body), `<Stem>`, `<Stem>ViaIdentityExpanded`,
//! `<Stem>ViaIdentity`; id parameters mandatory outside the identity sets; `-InputObject` and `-BodyParameter`
//! mandatory and bound from the pipeline by value in their sets; every body member an optional expanded parameter;
//! the common parameters on every set.

use crate::inventory::Cmdlet;
use crate::operation::{ApiVersion, HttpMethod, ResponseKind};
use heck::ToUpperCamelCase;
use mgpresence_domain::{BodyKind, PropertyType};

/// The PowerShell type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsType {
    String,
    StringArray,
    Int32,
    TimeSpan,
    Boolean,
    Switch,
    Hashtable,
    /// `System.Collections.IDictionary` (-Headers).
    Dictionary,
    /// A nested model value (`-StatusMessage`, `-OutOfOfficeSettings`, `-WorkLocation`): a hashtable or an object.
    Model,
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
    /// An OData query option (`$select`, `$expand`, `$filter`, `$top`…), values joined by commas.
    Query { option: &'static str },
    /// A request header (`-IfMatch` → `If-Match`).
    Header { name: &'static str },
    /// `-PageSize`: the `$top` of each page when listing with -All.
    PageSize,
    /// `-All`: follow `@odata.nextLink` to the last page.
    All,
    /// `-CountVariable`: ask for `$count=true` and set this global variable to `@odata.count`.
    CountVariable,
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
    /// The `List` set of a Get cmdlet that also lists the collection.
    pub list: bool,
}

/// The parameter sets of a cmdlet, the default first.
pub fn parameter_sets(cmdlet: &Cmdlet) -> Vec<ParameterSet> {
    let stem = cmdlet.spec.verb.set_stem();
    let has_identity = !cmdlet.spec.operation.resource.path_parameters().is_empty();
    let modes: &[BodyMode] =
        if cmdlet.spec.operation.body().is_some() { &[BodyMode::Expanded, BodyMode::Whole] } else { &[BodyMode::None] };
    let mut sets = Vec::new();
    if cmdlet.spec.list_operation.is_some() {
        sets.push(ParameterSet { name: "List".into(), is_default: true, via_identity: false, body: BodyMode::None, list: true });
    }
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
            sets.push(ParameterSet { is_default: sets.is_empty(), name, via_identity, body, list: false });
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
        PropertyType::Object => PsType::Model,
        PropertyType::StringArray => PsType::StringArray,
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
            member_of(&sets, |s| !s.via_identity && !s.list, true, false),
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
    let reads = op.method == HttpMethod::Get;
    let counts = op.response == ResponseKind::Count;
    let with_alias = |mut p: Parameter, alias: &'static str| {
        p.aliases = vec![alias];
        p
    };
    if reads && !counts {
        out.push(with_alias(
            param("ExpandProperty", PsType::StringArray, "Expand related entities", ParameterRole::Query { option: "$expand" }, Vec::new()),
            "Expand",
        ));
        out.push(with_alias(
            param("Property", PsType::StringArray, "Select properties to be returned", ParameterRole::Query { option: "$select" }, Vec::new()),
            "Select",
        ));
    }
    let list_sets = || member_of(&sets, |s| s.list, false, false);
    if counts || sets.iter().any(|s| s.list) {
        let filter_sets = if counts { Vec::new() } else { list_sets() };
        out.push(param("Filter", PsType::String, "Filter items by property values", ParameterRole::Query { option: "$filter" }, filter_sets.clone()));
        out.push(param("Search", PsType::String, "Search items by search phrases", ParameterRole::Query { option: "$search" }, filter_sets));
    }
    if sets.iter().any(|s| s.list) {
        out.push(param("Skip", PsType::Int32, "Skip the first n items", ParameterRole::Query { option: "$skip" }, list_sets()));
        out.push(with_alias(param("Sort", PsType::StringArray, "Order items by property values", ParameterRole::Query { option: "$orderby" }, list_sets()), "OrderBy"));
        out.push(with_alias(param("Top", PsType::Int32, "Show only the first n items", ParameterRole::Query { option: "$top" }, list_sets()), "Limit"));
        out.push(param("PageSize", PsType::Int32, "Sets the page size of results.", ParameterRole::PageSize, list_sets()));
        out.push(param("All", PsType::Switch, "List all pages.", ParameterRole::All, list_sets()));
        out.push(with_alias(
            param(
                "CountVariable",
                PsType::String,
                "Specifies a count of the total number of items in a collection. By default, this variable will be set in the global scope.",
                ParameterRole::CountVariable,
                list_sets(),
            ),
            "CV",
        ));
    }
    if op.method == HttpMethod::Delete {
        out.push(param("IfMatch", PsType::String, "ETag", ParameterRole::Header { name: "If-Match" }, Vec::new()));
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
