//! The cmdlets MgPresence provides. Each entry is written once and yields a v1.0 cmdlet (`Set-MgUserPresence`) and
//! its beta twin (`Set-MgBetaUserPresence`), which have the same parameter sets (cmdlet-inventory.md §4).

use crate::operation::{ApiVersion, HttpMethod, Operation, Resource, ResponseKind};
use crate::parameter::{self, Parameter, ParameterSet};
use mgpresence_domain::PresenceAction;

/// A cmdlet verb (all approved PowerShell verbs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    Set,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "Get",
            Self::Set => "Set",
        }
    }

    /// The stem of the parameter-set names (`SetExpanded`, `Get`, `GetViaIdentity`).
    pub fn set_stem(self) -> &'static str {
        self.as_str()
    }

    /// Whether the cmdlet reads and so takes `-Property`/`-ExpandProperty`.
    pub fn has_query_options(self) -> bool {
        self == Self::Get
    }
}

/// One cmdlet, written once for both API versions.
#[derive(Debug)]
pub struct CmdletSpec {
    pub verb: Verb,
    /// The noun without the `Mg`/`MgBeta` prefix (`UserPresence`).
    pub noun: &'static str,
    pub operation: Operation,
    pub synopsis: &'static str,
    pub description: &'static str,
    /// The Graph API reference page (`presence-setpresence`).
    pub api_page: &'static str,
    /// One example for the help, written for the v1.0 name; `{name}` is replaced by the cmdlet's name.
    pub example: &'static str,
}

/// Every cmdlet entry. Add a cmdlet here and it is generated, exported, documented and tested everywhere.
pub static CMDLET_SPECS: &[CmdletSpec] = &[
    CmdletSpec {
        verb: Verb::Set,
        noun: "UserPresence",
        operation: Operation {
            method: HttpMethod::Post,
            resource: Resource::UserPresence,
            action: Some(PresenceAction::SetPresence),
            response: ResponseKind::NoContent,
        },
        synopsis: "Set the state of a user's presence session as an application.",
        description: "Set the availability and activity status in a presence session of an application for a user. \
            The session expires after -ExpirationDuration (5 minutes to 4 hours; 5 minutes when omitted).",
        api_page: "presence-setpresence",
        example: "{name} -UserId $userId -SessionId $clientId -Availability Available -Activity Available -ExpirationDuration (New-TimeSpan -Hours 1)",
    },
    CmdletSpec {
        verb: Verb::Get,
        noun: "UserPresence",
        operation: Operation {
            method: HttpMethod::Get,
            resource: Resource::UserPresence,
            action: None,
            response: ResponseKind::Presence,
        },
        synopsis: "Get a user's presence information.",
        description: "Get a user's presence information: availability, activity, status message, out-of-office settings and work location.",
        api_page: "presence-get",
        example: "{name} -UserId $userId",
    },
];

/// A cmdlet of one module version.
#[derive(Debug, Clone, Copy)]
pub struct Cmdlet {
    pub spec: &'static CmdletSpec,
    pub version: ApiVersion,
}

impl Cmdlet {
    /// The cmdlet's name (`Set-MgBetaUserPresence`).
    pub fn name(&self) -> String {
        format!("{}-{}{}", self.spec.verb.as_str(), self.version.noun_prefix(), self.spec.noun)
    }

    /// The name without its verb, as Microsoft's binary cmdlet class uses it (`SetMgUserPresence`).
    pub fn class_name(&self) -> String {
        self.name().replace('-', "")
    }

    /// Whether the cmdlet has -WhatIf/-Confirm: every cmdlet that changes something, and every POST.
    pub fn supports_should_process(&self) -> bool {
        self.spec.operation.method != HttpMethod::Get
    }

    /// Whether the cmdlet has -PassThru: exactly the Set-/Clear-/Remove- cmdlets, which output `System.Boolean`.
    pub fn pass_thru(&self) -> bool {
        self.spec.operation.response == ResponseKind::NoContent
    }

    /// The OutputType Microsoft declares.
    pub fn output_type(&self) -> String {
        match self.spec.operation.response {
            ResponseKind::NoContent => "System.Boolean".to_owned(),
            ResponseKind::Presence => format!("{}.IMicrosoftGraphPresence", self.version.models_namespace()),
        }
    }

    /// The help page of Microsoft's cmdlet of the same name.
    pub fn help_uri(&self) -> String {
        let module = match self.version {
            ApiVersion::V1 => "microsoft.graph.cloudcommunications",
            ApiVersion::Beta => "microsoft.graph.beta.cloudcommunications",
        };
        format!("https://learn.microsoft.com/powershell/module/{module}/{}", self.name().to_lowercase())
    }

    /// The Graph API reference page.
    pub fn api_uri(&self) -> String {
        let view = match self.version {
            ApiVersion::V1 => "graph-rest-1.0",
            ApiVersion::Beta => "graph-rest-beta",
        };
        format!("https://learn.microsoft.com/graph/api/{}?view={view}", self.spec.api_page)
    }

    /// The example from the spec, with this cmdlet's name.
    pub fn example(&self) -> String {
        self.spec.example.replace("{name}", &self.name())
    }

    pub fn parameter_sets(&self) -> Vec<ParameterSet> {
        parameter::parameter_sets(self)
    }

    pub fn parameters(&self) -> Vec<Parameter> {
        parameter::parameters(self)
    }

    /// The -WhatIf/-Confirm text: Microsoft's binary cmdlet variant name and target.
    pub fn should_process_text(&self, parameter_set: &str) -> (String, String) {
        let action = format!("{}_{}", self.name(), parameter_set);
        let target = format!(
            "Call remote '{} {}' operation",
            self.spec.operation.method.as_str(),
            self.spec.operation.openapi_path()
        );
        (target, action)
    }
}

/// Every cmdlet of both modules: the v1.0 ones first, then the beta ones, each in [`CMDLET_SPECS`] order.
pub fn all_cmdlets() -> Vec<Cmdlet> {
    ApiVersion::all()
        .into_iter()
        .flat_map(|version| CMDLET_SPECS.iter().map(move |spec| Cmdlet { spec, version }))
        .collect()
}

/// The cmdlet of that name (case-insensitive, as PowerShell compares command names).
pub fn find_cmdlet(name: &str) -> Option<Cmdlet> {
    all_cmdlets().into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameter::{BodyMode, PsType};

    #[test]
    fn set_mg_user_presence_has_the_four_documented_sets() {
        let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
        let sets = cmdlet.parameter_sets();
        let names: Vec<_> = sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["SetExpanded", "Set", "SetViaIdentityExpanded", "SetViaIdentity"]);
        assert!(sets[0].is_default && sets[0].body == BodyMode::Expanded);
    }

    #[test]
    fn set_mg_user_presence_parameters_match_the_inventory() {
        let cmdlet = find_cmdlet("set-mguserpresence").unwrap();
        let params = cmdlet.parameters();
        let get = |n: &str| params.iter().find(|p| p.name == n).unwrap_or_else(|| panic!("{n}"));
        assert_eq!(get("ExpirationDuration").ps_type, PsType::TimeSpan);
        assert_eq!(get("SessionId").ps_type, PsType::String);
        let user_id = get("UserId");
        assert!(user_id.memberships.iter().all(|m| m.mandatory && !m.from_pipeline));
        assert_eq!(user_id.memberships.iter().map(|m| m.set.as_str()).collect::<Vec<_>>(), ["SetExpanded", "Set"]);
        let input = get("InputObject");
        assert_eq!(input.memberships.iter().map(|m| m.set.as_str()).collect::<Vec<_>>(), ["SetViaIdentityExpanded", "SetViaIdentity"]);
        assert!(input.memberships.iter().all(|m| m.mandatory && m.from_pipeline));
        let body = get("BodyParameter");
        assert_eq!(body.memberships.iter().map(|m| m.set.as_str()).collect::<Vec<_>>(), ["Set", "SetViaIdentity"]);
        assert_eq!(get("ResponseHeadersVariable").aliases, ["RHV"]);
        assert!(get("Headers").memberships.iter().all(|m| m.from_pipeline && !m.mandatory));
        assert!(get("Proxy").dont_show && !get("Headers").dont_show);
        assert!(params.iter().any(|p| p.name == "PassThru"));
        assert!(cmdlet.supports_should_process());
    }

    #[test]
    fn get_has_no_pass_thru_nor_should_process_and_takes_query_options() {
        let cmdlet = find_cmdlet("Get-MgUserPresence").unwrap();
        let names: Vec<_> = cmdlet.parameter_sets().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["Get", "GetViaIdentity"]);
        let params = cmdlet.parameters();
        assert!(!params.iter().any(|p| p.name == "PassThru"));
        assert!(!cmdlet.supports_should_process());
        assert_eq!(params.iter().find(|p| p.name == "Property").unwrap().aliases, ["Select"]);
    }

    #[test]
    fn every_cmdlet_has_a_beta_twin() {
        let names: Vec<_> = all_cmdlets().iter().map(Cmdlet::name).collect();
        assert!(names.contains(&"Set-MgBetaUserPresence".to_owned()));
        assert_eq!(names.len(), CMDLET_SPECS.len() * 2);
    }

    #[test]
    fn what_if_text_names_the_variant_and_the_openapi_path() {
        let (target, action) = find_cmdlet("Set-MgUserPresence").unwrap().should_process_text("SetExpanded");
        assert_eq!(action, "Set-MgUserPresence_SetExpanded");
        assert_eq!(target, "Call remote 'POST /users/{user-id}/presence/microsoft.graph.setPresence' operation");
    }
}
