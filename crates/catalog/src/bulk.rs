//! What the bulk path runs for each item: the actions it offers, the cmdlet and parameter set each uses, and how an
//! item's own values and the run's common values become that cmdlet's bound parameters. The PowerShell bulk cmdlet
//! and the CLI's `bulk` command both go through here.

use crate::inventory::{Cmdlet, Verb};
use crate::operation::ApiVersion;
use crate::parameter::{BodyMode, ParameterRole};
use serde_json::{Map, Value};

/// An action of the bulk path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    SetPresence,
    ClearPresence,
    SetUserPreferredPresence,
    ClearUserPreferredPresence,
}

impl BulkAction {
    /// Every action, by its name (`SetPresence`).
    pub const ALL: [(Self, &'static str); 4] = [
        (Self::SetPresence, "SetPresence"),
        (Self::ClearPresence, "ClearPresence"),
        (Self::SetUserPreferredPresence, "SetUserPreferredPresence"),
        (Self::ClearUserPreferredPresence, "ClearUserPreferredPresence"),
    ];

    /// The action of that name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(a, _)| *a)
    }

    /// The user-scoped cmdlet the action runs per item.
    pub fn cmdlet(self, version: ApiVersion) -> Cmdlet {
        let (verb, noun) = match self {
            Self::SetPresence => (Verb::Set, "UserPresence"),
            Self::ClearPresence => (Verb::Clear, "UserPresence"),
            Self::SetUserPreferredPresence => (Verb::Set, "UserPresenceUserPreferredPresence"),
            Self::ClearUserPreferredPresence => (Verb::Clear, "UserPresenceUserPreferredPresence"),
        };
        let spec = crate::inventory::CMDLET_SPECS.iter().find(|s| s.verb == verb && s.noun == noun).expect("bulk actions are catalog cmdlets");
        Cmdlet { spec, version }
    }

    /// The parameter set each item is bound in: the cmdlet's default (expanded) set.
    pub fn parameter_set(self, version: ApiVersion) -> String {
        self.cmdlet(version).parameter_sets().iter().find(|s| s.is_default).expect("a default set").name.clone()
    }

    /// The bound parameters of one item: `UserId` from the item's UserId (or Id), and each body member from the item
    /// when it has one, else from `common`. Keys are matched case-insensitively.
    pub fn item_bound(self, version: ApiVersion, common: &Map<String, Value>, item: &Map<String, Value>) -> Map<String, Value> {
        let field = |map: &Map<String, Value>, key: &str| {
            map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone()).filter(|v| !v.is_null() && v != "")
        };
        let cmdlet = self.cmdlet(version);
        let set = self.parameter_set(version);
        let mut bound = Map::new();
        bound.insert("UserId".into(), field(item, "UserId").or_else(|| field(item, "Id")).unwrap_or(Value::Null));
        let expanded = cmdlet.parameter_sets().iter().any(|s| s.name == set && s.body == BodyMode::Expanded);
        if expanded {
            for p in cmdlet.parameters() {
                if matches!(p.role, ParameterRole::BodyMember { .. })
                    && let Some(v) = field(item, &p.name).or_else(|| field(common, &p.name))
                {
                    bound.insert(p.name.clone(), v);
                }
            }
        }
        bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_override_common_values_and_take_only_the_cmdlets_members() {
        let common = json!({"SessionId": "app", "Availability": "Busy", "Activity": "InACall"});
        let item = json!({"userid": "u1", "Availability": "Away", "Activity": "Away", "Department": "Sales"});
        let bound = BulkAction::SetPresence.item_bound(ApiVersion::V1, common.as_object().unwrap(), item.as_object().unwrap());
        assert_eq!(serde_json::Value::Object(bound), json!({"UserId": "u1", "SessionId": "app", "Availability": "Away", "Activity": "Away"}));
        assert_eq!(BulkAction::SetPresence.parameter_set(ApiVersion::V1), "SetExpanded");
        assert_eq!(BulkAction::ClearUserPreferredPresence.parameter_set(ApiVersion::Beta), "Clear");
        assert_eq!(BulkAction::from_name("clearpresence"), Some(BulkAction::ClearPresence));
        let cleared = BulkAction::ClearUserPreferredPresence.item_bound(ApiVersion::Beta, common.as_object().unwrap(), &json!({"Id": "u2"}).as_object().unwrap().clone());
        assert_eq!(serde_json::Value::Object(cleared), json!({"UserId": "u2"}));
        assert_eq!(BulkAction::SetPresence.cmdlet(ApiVersion::Beta).name(), "Set-MgBetaUserPresence");
    }
}
