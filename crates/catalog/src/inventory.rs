//! The cmdlets MgPresence provides: the 27 presence cmdlets of Microsoft.Graph.CloudCommunications, each written once
//! and expanded into its v1.0 name (`Set-MgUserPresence`) and its beta twin (`Set-MgBetaUserPresence`), which have the
//! same parameter sets (cmdlet-inventory.md §3, §4).

use crate::operation::{Action, ApiVersion, HttpMethod, Operation, Resource, ResponseKind};
use crate::parameter::{Parameter, ParameterSet};
use mgpresence_domain::PresenceAction;

/// A cmdlet verb (all approved PowerShell verbs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    Set,
    Clear,
    Update,
    Remove,
    New,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "Get",
            Self::Set => "Set",
            Self::Clear => "Clear",
            Self::Update => "Update",
            Self::Remove => "Remove",
            Self::New => "New",
        }
    }

    /// The stem of the parameter-set names (`SetExpanded`, `GetViaIdentity`, `Delete`, `CreateExpanded`).
    pub fn set_stem(self) -> &'static str {
        match self {
            Self::Remove => "Delete",
            Self::New => "Create",
            other => other.as_str(),
        }
    }
}

/// One cmdlet, written once for both API versions.
#[derive(Debug)]
pub struct CmdletSpec {
    pub verb: Verb,
    /// The noun without the `Mg`/`MgBeta` prefix (`UserPresence`).
    pub noun: &'static str,
    pub operation: Operation,
    /// The collection operation of the default `List` set, for the Get cmdlet that lists as well as gets.
    pub list_operation: Option<Operation>,
    pub synopsis: &'static str,
    pub description: &'static str,
    /// The Graph API reference page (`presence-setpresence`), when Microsoft's help links one.
    pub api_page: Option<&'static str>,
    /// One example for the help; `{name}` is replaced by the cmdlet's name.
    pub example: &'static str,
}

const fn operation(method: HttpMethod, resource: Resource, action: Option<Action>, response: ResponseKind) -> Operation {
    Operation { method, resource, action, response }
}

const fn presence_action(resource: Resource, action: PresenceAction) -> Operation {
    operation(HttpMethod::Post, resource, Some(Action::Presence(action)), ResponseKind::NoContent)
}

const USER: Resource = Resource::UserPresence;
const PRESENCE: Resource = Resource::CommunicationPresence;

macro_rules! spec {
    ($verb:ident $noun:literal, $op:expr, $page:expr, $synopsis:literal, $example:literal) => {
        CmdletSpec {
            verb: Verb::$verb,
            noun: $noun,
            operation: $op,
            list_operation: None,
            synopsis: $synopsis,
            description: $synopsis,
            api_page: $page,
            example: $example,
        }
    };
}

/// Every cmdlet entry, in Microsoft's inventory order. Add a cmdlet here and it is generated, exported, documented
/// and tested everywhere.
pub static CMDLET_SPECS: &[CmdletSpec] = &[
    spec!(Get "UserPresence", operation(HttpMethod::Get, USER, None, ResponseKind::Presence), Some("presence-get"),
        "Get a user's presence information.", "{name} -UserId $userId"),
    spec!(Update "UserPresence", operation(HttpMethod::Patch, USER, None, ResponseKind::Presence), None,
        "Update the navigation property presence in users.", "{name} -UserId $userId -BodyParameter @{ availability = 'Busy' }"),
    spec!(Remove "UserPresence", operation(HttpMethod::Delete, USER, None, ResponseKind::NoContent), None,
        "Delete navigation property presence for users.", "{name} -UserId $userId"),
    CmdletSpec {
        verb: Verb::Set,
        noun: "UserPresence",
        operation: presence_action(USER, PresenceAction::SetPresence),
        list_operation: None,
        synopsis: "Set the state of a user's presence session as an application.",
        description: "Set the availability and activity status in a presence session of an application for a user. \
            The session expires after -ExpirationDuration (5 minutes to 4 hours; 5 minutes when omitted).",
        api_page: Some("presence-setpresence"),
        example: "{name} -UserId $userId -SessionId $clientId -Availability Available -Activity Available -ExpirationDuration (New-TimeSpan -Hours 1)",
    },
    spec!(Clear "UserPresence", presence_action(USER, PresenceAction::ClearPresence), Some("presence-clearpresence"),
        "Clear the application's presence session for a user. If it was the user's only presence session, the user's presence changes to Offline/Offline.",
        "{name} -UserId $userId -SessionId $clientId"),
    spec!(Set "UserPresenceUserPreferredPresence", presence_action(USER, PresenceAction::SetUserPreferredPresence), Some("presence-setuserpreferredpresence"),
        "Set the preferred availability and activity status for a user. The preferred presence shows while the user has at least one presence session.",
        "{name} -UserId $userId -Availability DoNotDisturb -Activity DoNotDisturb -ExpirationDuration (New-TimeSpan -Hours 8)"),
    spec!(Clear "UserPresenceUserPreferredPresence", presence_action(USER, PresenceAction::ClearUserPreferredPresence), Some("presence-clearuserpreferredpresence"),
        "Clear the preferred availability and activity status for a user.", "{name} -UserId $userId"),
    spec!(Set "UserPresenceStatusMessage", presence_action(USER, PresenceAction::SetStatusMessage), Some("presence-setstatusmessage"),
        "Set a presence status message for a user. An optional expiration date and time can be supplied.",
        "{name} -UserId $userId -StatusMessage @{ message = @{ content = 'In a workshop'; contentType = 'text' } }"),
    spec!(Set "UserPresenceAutomaticLocation", presence_action(USER, PresenceAction::SetAutomaticLocation), Some("presence-setautomaticlocation"),
        "Update the automatic work location for a user.", "{name} -UserId $userId -WorkLocationType office -PlaceId $placeId"),
    spec!(Set "UserPresenceManualLocation", presence_action(USER, PresenceAction::SetManualLocation), Some("presence-setmanuallocation"),
        "Set the manual work location signal for a user; it overrides the automatic and scheduled signals.",
        "{name} -UserId $userId -WorkLocationType remote"),
    spec!(Clear "UserPresenceAutomaticLocation", presence_action(USER, PresenceAction::ClearAutomaticLocation), Some("presence-clearautomaticlocation"),
        "Clear the automatic work location signal for a user.", "{name} -UserId $userId"),
    spec!(Clear "UserPresenceLocation", presence_action(USER, PresenceAction::ClearLocation), Some("presence-clearlocation"),
        "Clear the manual and automatic work location signals for a user, for the current date.", "{name} -UserId $userId"),
    CmdletSpec {
        verb: Verb::Get,
        noun: "CommunicationPresence",
        operation: operation(HttpMethod::Get, PRESENCE, None, ResponseKind::Presence),
        list_operation: Some(operation(HttpMethod::Get, Resource::CommunicationPresences, None, ResponseKind::PresenceCollection)),
        synopsis: "Get a user's presence information.",
        description: "Get a user's presence information (-PresenceId), or list the presences of communications (the default List set, with -Filter, -Top, -All and -CountVariable).",
        api_page: Some("presence-get"),
        example: "{name} -PresenceId $userId",
    },
    spec!(Get "CommunicationPresenceCount", operation(HttpMethod::Get, Resource::CommunicationPresences, Some(Action::Count), ResponseKind::Count), None,
        "Get the number of the resource.", "{name}"),
    spec!(Get "CommunicationPresenceByUserId", operation(HttpMethod::Post, Resource::Communications, Some(Action::GetPresencesByUserId), ResponseKind::PresenceCollection),
        Some("cloudcommunications-getpresencesbyuserid"),
        "Get the presence information for multiple users (at most 650 ids per call).", "{name} -Ids $userId1, $userId2"),
    spec!(New "CommunicationPresence", operation(HttpMethod::Post, Resource::CommunicationPresences, None, ResponseKind::Presence), None,
        "Create new navigation property to presences for communications.", "{name} -Id $userId -Availability Available -Activity Available"),
    spec!(Update "CommunicationPresence", operation(HttpMethod::Patch, PRESENCE, None, ResponseKind::Presence), None,
        "Update the navigation property presences in communications.", "{name} -PresenceId $userId -Availability Busy"),
    spec!(Remove "CommunicationPresence", operation(HttpMethod::Delete, PRESENCE, None, ResponseKind::NoContent), None,
        "Delete navigation property presences for communications.", "{name} -PresenceId $userId"),
    spec!(Set "CommunicationPresence", presence_action(PRESENCE, PresenceAction::SetPresence), Some("presence-setpresence"),
        "Set the state of a user's presence session as an application.",
        "{name} -PresenceId $userId -SessionId $clientId -Availability Busy -Activity InACall"),
    spec!(Clear "CommunicationPresence", presence_action(PRESENCE, PresenceAction::ClearPresence), Some("presence-clearpresence"),
        "Clear the application's presence session for a user.", "{name} -PresenceId $userId -SessionId $clientId"),
    spec!(Set "CommunicationPresenceUserPreferredPresence", presence_action(PRESENCE, PresenceAction::SetUserPreferredPresence), Some("presence-setuserpreferredpresence"),
        "Set the preferred availability and activity status for a user.",
        "{name} -PresenceId $userId -Availability Busy -Activity Busy"),
    spec!(Clear "CommunicationPresenceUserPreferredPresence", presence_action(PRESENCE, PresenceAction::ClearUserPreferredPresence), Some("presence-clearuserpreferredpresence"),
        "Clear the preferred availability and activity status for a user.", "{name} -PresenceId $userId"),
    spec!(Set "CommunicationPresenceStatusMessage", presence_action(PRESENCE, PresenceAction::SetStatusMessage), Some("presence-setstatusmessage"),
        "Set a presence status message for a user.",
        "{name} -PresenceId $userId -StatusMessage @{ message = @{ content = 'Back soon'; contentType = 'text' } }"),
    spec!(Set "CommunicationPresenceAutomaticLocation", presence_action(PRESENCE, PresenceAction::SetAutomaticLocation), Some("presence-setautomaticlocation"),
        "Update the automatic work location for a user.", "{name} -PresenceId $userId -WorkLocationType office"),
    spec!(Set "CommunicationPresenceManualLocation", presence_action(PRESENCE, PresenceAction::SetManualLocation), Some("presence-setmanuallocation"),
        "Set the manual work location signal for a user.", "{name} -PresenceId $userId -WorkLocationType timeOff"),
    spec!(Clear "CommunicationPresenceAutomaticLocation", presence_action(PRESENCE, PresenceAction::ClearAutomaticLocation), Some("presence-clearautomaticlocation"),
        "Clear the automatic work location signal for a user.", "{name} -PresenceId $userId"),
    spec!(Clear "CommunicationPresenceLocation", presence_action(PRESENCE, PresenceAction::ClearLocation), Some("presence-clearlocation"),
        "Clear the manual and automatic work location signals for a user, for the current date.", "{name} -PresenceId $userId"),
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

    /// Whether the cmdlet has -WhatIf/-Confirm: every cmdlet that is not a GET (getPresencesByUserId is a POST).
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
            ResponseKind::Count => "System.Int32".to_owned(),
            ResponseKind::Presence | ResponseKind::PresenceCollection => {
                format!("{}.IMicrosoftGraphPresence", self.version.models_namespace())
            }
        }
    }

    /// The operation a parameter set calls.
    pub fn operation_for(&self, parameter_set: &ParameterSet) -> Operation {
        match (parameter_set.list, self.spec.list_operation) {
            (true, Some(list)) => list,
            _ => self.spec.operation,
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

    /// The Graph API reference page, when there is one.
    pub fn api_uri(&self) -> Option<String> {
        let view = match self.version {
            ApiVersion::V1 => "graph-rest-1.0",
            ApiVersion::Beta => "graph-rest-beta",
        };
        self.spec.api_page.map(|page| format!("https://learn.microsoft.com/graph/api/{page}?view={view}"))
    }

    /// The example from the spec, with this cmdlet's name.
    pub fn example(&self) -> String {
        self.spec.example.replace("{name}", &self.name())
    }

    /// The cmdlet's parameter sets (derived once per process, [`crate::derived`]).
    pub fn parameter_sets(&self) -> &'static [ParameterSet] {
        crate::derived::parameter_sets(self)
    }

    /// The cmdlet's parameters (derived once per process, [`crate::derived`]).
    pub fn parameters(&self) -> &'static [Parameter] {
        crate::derived::parameters(self)
    }

    /// The name of the binary cmdlet that does the work of one parameter set (`Set-MgUserPresence_SetExpanded`), as
    /// Microsoft's proxy functions hand each call to one (mg-cmdlet-behavior.md §1.5). It shows in -WhatIf text,
    /// error records and ConciseView.
    pub fn variant_name(&self, parameter_set: &str) -> String {
        format!("{}_{}", self.name(), parameter_set)
    }

    /// The .NET class of that cmdlet, in Microsoft's cmdlets namespace
    /// (`Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresence_SetExpanded`): an error record's FullyQualifiedErrorId
    /// ends with it.
    pub fn variant_class(&self, parameter_set: &str) -> String {
        format!("{}.{}", self.version.cmdlets_namespace(), self.variant_name(parameter_set).replace('-', ""))
    }

    /// The -WhatIf/-Confirm text of a parameter set: Microsoft's binary cmdlet variant name and target.
    pub fn should_process_text(&self, parameter_set: &str) -> (String, String) {
        let sets = self.parameter_sets();
        let operation = sets
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(parameter_set))
            .map_or(self.spec.operation, |s| self.operation_for(s));
        let action = self.variant_name(parameter_set);
        let target = format!("Call remote '{} {}' operation", operation.method.as_str(), operation.openapi_path());
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
    crate::derived::find(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameter::{BodyMode, PsType};

    /// The 27 names of cmdlet-inventory.md §3, in its order.
    const INVENTORY_V1: [&str; 27] = [
        "Get-MgUserPresence", "Update-MgUserPresence", "Remove-MgUserPresence", "Set-MgUserPresence", "Clear-MgUserPresence",
        "Set-MgUserPresenceUserPreferredPresence", "Clear-MgUserPresenceUserPreferredPresence", "Set-MgUserPresenceStatusMessage",
        "Set-MgUserPresenceAutomaticLocation", "Set-MgUserPresenceManualLocation", "Clear-MgUserPresenceAutomaticLocation",
        "Clear-MgUserPresenceLocation", "Get-MgCommunicationPresence", "Get-MgCommunicationPresenceCount",
        "Get-MgCommunicationPresenceByUserId", "New-MgCommunicationPresence", "Update-MgCommunicationPresence",
        "Remove-MgCommunicationPresence", "Set-MgCommunicationPresence", "Clear-MgCommunicationPresence",
        "Set-MgCommunicationPresenceUserPreferredPresence", "Clear-MgCommunicationPresenceUserPreferredPresence",
        "Set-MgCommunicationPresenceStatusMessage", "Set-MgCommunicationPresenceAutomaticLocation",
        "Set-MgCommunicationPresenceManualLocation", "Clear-MgCommunicationPresenceAutomaticLocation",
        "Clear-MgCommunicationPresenceLocation",
    ];

    fn set_names(cmdlet: &str) -> Vec<String> {
        find_cmdlet(cmdlet).unwrap().parameter_sets().iter().map(|s| s.name.clone()).collect()
    }

    #[test]
    fn the_catalog_has_the_54_inventory_cmdlets() {
        let names: Vec<String> = all_cmdlets().iter().map(Cmdlet::name).collect();
        let beta: Vec<String> = INVENTORY_V1.iter().map(|n| n.replacen("-Mg", "-MgBeta", 1)).collect();
        let expected: Vec<String> = INVENTORY_V1.iter().map(|n| (*n).to_owned()).chain(beta).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn parameter_sets_follow_the_inventory() {
        assert_eq!(set_names("Set-MgUserPresence"), ["SetExpanded", "Set", "SetViaIdentityExpanded", "SetViaIdentity"]);
        assert_eq!(set_names("Clear-MgUserPresence"), ["ClearExpanded", "Clear", "ClearViaIdentityExpanded", "ClearViaIdentity"]);
        assert_eq!(set_names("Clear-MgUserPresenceUserPreferredPresence"), ["Clear", "ClearViaIdentity"]);
        assert_eq!(set_names("Get-MgUserPresence"), ["Get", "GetViaIdentity"]);
        assert_eq!(set_names("Get-MgCommunicationPresence"), ["List", "Get", "GetViaIdentity"]);
        assert_eq!(set_names("Get-MgCommunicationPresenceCount"), ["Get"]);
        assert_eq!(set_names("Get-MgCommunicationPresenceByUserId"), ["GetExpanded", "Get"]);
        assert_eq!(set_names("New-MgCommunicationPresence"), ["CreateExpanded", "Create"]);
        assert_eq!(set_names("Update-MgUserPresence"), ["UpdateExpanded", "Update", "UpdateViaIdentityExpanded", "UpdateViaIdentity"]);
        assert_eq!(set_names("Remove-MgBetaCommunicationPresence"), ["Delete", "DeleteViaIdentity"]);
    }

    #[test]
    fn set_mg_user_presence_parameters_match_the_inventory() {
        let cmdlet = find_cmdlet("set-mguserpresence").unwrap();
        let params = cmdlet.parameters();
        let get = |n: &str| params.iter().find(|p| p.name == n).unwrap_or_else(|| panic!("{n}"));
        assert_eq!(get("ExpirationDuration").ps_type, PsType::TimeSpan);
        let user_id = get("UserId");
        assert!(user_id.memberships.iter().all(|m| m.mandatory && !m.from_pipeline));
        assert_eq!(user_id.memberships.iter().map(|m| m.set.as_str()).collect::<Vec<_>>(), ["SetExpanded", "Set"]);
        let input = get("InputObject");
        assert!(input.memberships.iter().all(|m| m.mandatory && m.from_pipeline));
        assert_eq!(get("BodyParameter").memberships.iter().map(|m| m.set.as_str()).collect::<Vec<_>>(), ["Set", "SetViaIdentity"]);
        assert_eq!(get("ResponseHeadersVariable").aliases, ["RHV"]);
        assert!(get("Proxy").dont_show && !get("Headers").dont_show);
        assert!(cmdlet.parameter_sets()[0].is_default && cmdlet.parameter_sets()[0].body == BodyMode::Expanded);
    }

    #[test]
    fn pass_thru_and_should_process_are_where_microsoft_has_them() {
        for cmdlet in all_cmdlets() {
            let name = cmdlet.name();
            let boolean = ["Set-", "Clear-", "Remove-"].iter().any(|v| name.starts_with(v));
            assert_eq!(cmdlet.pass_thru(), boolean, "{name}");
            let reads = name.starts_with("Get-") && !name.ends_with("ByUserId");
            assert_eq!(cmdlet.supports_should_process(), !reads, "{name}");
        }
    }

    #[test]
    fn list_parameters_only_on_the_list_set() {
        let params = find_cmdlet("Get-MgCommunicationPresence").unwrap().parameters();
        for name in ["Filter", "Top", "All", "PageSize", "CountVariable", "Skip", "Sort", "Search"] {
            let p = params.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(p.memberships.iter().map(|m| m.set.as_str()).collect::<Vec<_>>(), ["List"], "{name}");
        }
        let count = find_cmdlet("Get-MgCommunicationPresenceCount").unwrap().parameters();
        assert!(count.iter().any(|p| p.name == "Filter") && !count.iter().any(|p| p.name == "Top" || p.name == "Property"));
        let by_user = find_cmdlet("Get-MgCommunicationPresenceByUserId").unwrap().parameters();
        assert_eq!(by_user.iter().find(|p| p.name == "Ids").unwrap().ps_type, PsType::StringArray);
        assert!(find_cmdlet("Remove-MgUserPresence").unwrap().parameters().iter().any(|p| p.name == "IfMatch"));
    }

    #[test]
    fn what_if_text_names_the_variant_and_the_openapi_path() {
        let (target, action) = find_cmdlet("Set-MgUserPresence").unwrap().should_process_text("SetExpanded");
        assert_eq!(action, "Set-MgUserPresence_SetExpanded");
        assert_eq!(target, "Call remote 'POST /users/{user-id}/presence/microsoft.graph.setPresence' operation");
        let (target, _) = find_cmdlet("Remove-MgCommunicationPresence").unwrap().should_process_text("Delete");
        assert_eq!(target, "Call remote 'DELETE /communications/presences/{presence-id}' operation");
    }

    #[test]
    fn variant_classes_are_in_microsofts_cmdlets_namespaces() {
        assert_eq!(
            find_cmdlet("Set-MgUserPresence").unwrap().variant_class("SetExpanded"),
            "Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresence_SetExpanded"
        );
        assert_eq!(
            find_cmdlet("Get-MgBetaCommunicationPresence").unwrap().variant_class("List"),
            "Microsoft.Graph.Beta.PowerShell.Cmdlets.GetMgBetaCommunicationPresence_List"
        );
    }
}
