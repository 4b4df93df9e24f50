//! Typed request bodies and the presence resource, with their JSON Schemas.
//!
//! Each action body keeps the members it does not know in `additional_properties`, as Microsoft's models do, and
//! writes them after the typed ones. [`BodyKind`] names every body and turns a loosely-typed JSON object (keys in any
//! case, as a PowerShell hashtable gives them) into a validated, canonical wire body.

use crate::duration::IsoDuration;
use crate::rules::{self, RuleViolation};
use crate::values::{Activity, Availability, PREFERRED_PRESENCE_PAIRS, PresencePair, SESSION_PRESENCE_PAIRS};
use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Extra JSON members kept verbatim, in the order given.
pub type AdditionalProperties = Map<String, Value>;

/// Body of `POST …/presence/setPresence`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "Body of the setPresence action: the presence session of an application for a user.")]
pub struct SetPresenceRequest {
    /// The ID of the application's presence session (the application's client ID).
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The base presence information.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// The supplemental information to availability.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// How long the presence session stays valid; PT5M to PT4H, 5 minutes when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_duration: Option<IsoDuration>,
    /// Members not defined by the action, sent as given.
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// Body of `POST …/presence/clearPresence`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "Body of the clearPresence action.")]
pub struct ClearPresenceRequest {
    /// The ID of the presence session to clear (the application's client ID).
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// Body of `POST …/presence/setUserPreferredPresence`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "Body of the setUserPreferredPresence action.")]
pub struct SetUserPreferredPresenceRequest {
    /// The preferred availability.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// The preferred activity.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// How long the preferred presence stays; 1 day for DoNotDisturb/Busy and 7 days otherwise when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_duration: Option<IsoDuration>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// `outOfOfficeSettings` of a presence; not out of office by default, as the service reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutOfOfficeSettings {
    /// The out-of-office text.
    pub message: Option<String>,
    /// Whether the user is out of office now.
    pub is_out_of_office: Option<bool>,
    /// Members the model does not define, kept as given (Microsoft's models keep them at every level).
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

impl Default for OutOfOfficeSettings {
    fn default() -> Self {
        Self { message: None, is_out_of_office: Some(false), additional_properties: AdditionalProperties::new() }
    }
}

/// The presence resource as the service returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    /// The user's object ID.
    pub id: String,
    pub availability: Availability,
    pub activity: Activity,
    pub out_of_office_settings: OutOfOfficeSettings,
    /// A lexicographically sortable version stamp, computed by the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<PresenceStatusMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_location: Option<UserWorkLocation>,
}

/// `itemBody`: a text with its content type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `text` or `html`; presence status messages support only `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Members the model does not define, kept as given (Microsoft's models keep them at every level).
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// `dateTimeTimeZone`: a local date and time (no offset) and the time zone it is in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeTimeZone {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Members the model does not define, kept as given (Microsoft's models keep them at every level).
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// `presenceStatusMessage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceStatusMessage {
    /// The status text; only contentType `text` is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<ItemBody>,
    /// When the message expires; it never does when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date_time: Option<DateTimeTimeZone>,
    /// When the message was published (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub published_date_time: Option<String>,
    /// Members the model does not define, kept as given (Microsoft's models keep them at every level).
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// `userWorkLocation`: the aggregated work location and the layer it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserWorkLocation {
    #[serde(default)]
    pub place_id: Option<String>,
    /// `none`, `manual`, `scheduled`, `automatic`.
    pub source: String,
    /// `unspecified`, `office`, `remote`, `timeOff`.
    pub work_location_type: String,
    /// Members the model does not define, kept as given (Microsoft's models keep them at every level).
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// Body of `setStatusMessage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "Body of the setStatusMessage action.")]
pub struct SetStatusMessageRequest {
    /// The status message to set.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<PresenceStatusMessage>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// Body of `setAutomaticLocation` and `setManualLocation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "Body of the setAutomaticLocation and setManualLocation actions.")]
pub struct SetLocationRequest {
    /// Identifier of the place, if applicable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_id: Option<String>,
    /// The work location type: office, remote or timeOff.
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_location_type: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// Body of `getPresencesByUserId`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "Body of the getPresencesByUserId action.")]
pub struct GetPresencesByUserIdRequest {
    /// The user object IDs (at most 650).
    #[schemars(required)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// A presence entity as a request body (PATCH of the presence, POST to `/communications/presences`). Values are
/// free text, as Microsoft's model types them; the service decides what it accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "A presence entity as a request body.")]
pub struct PresenceEntity {
    /// The user's object ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The supplemental information to availability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// The base presence information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
    /// outOfOfficeSettings
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_office_settings: Option<OutOfOfficeSettings>,
    /// presenceStatusMessage
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<PresenceStatusMessage>,
    /// userWorkLocation
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_location: Option<UserWorkLocation>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub additional_properties: AdditionalProperties,
}

/// The name of the action bound to `cloudCommunications` that reads many presences at once.
pub const GET_PRESENCES_BY_USER_ID: &str = "getPresencesByUserId";

/// The presence actions (OData actions bound to `presence`), by their documented names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "camelCase")]
pub enum PresenceAction {
    SetPresence,
    ClearPresence,
    SetUserPreferredPresence,
    ClearUserPreferredPresence,
    SetStatusMessage,
    SetAutomaticLocation,
    SetManualLocation,
    ClearAutomaticLocation,
    ClearLocation,
}

impl PresenceAction {
    /// The documented path segment (`setPresence`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Finds the action named by a path segment, in its plain (`setPresence`) or namespace-qualified
    /// (`microsoft.graph.setPresence`) spelling. Graph matches action names case-insensitively.
    pub fn from_segment(segment: &str) -> Option<Self> {
        use strum::IntoEnumIterator;
        let plain = segment.strip_prefix("microsoft.graph.").unwrap_or(segment);
        Self::iter().find(|a| a.name().eq_ignore_ascii_case(plain))
    }

    /// The body the action takes, if any.
    pub fn body(self) -> Option<BodyKind> {
        match self {
            Self::SetPresence => Some(BodyKind::SetPresence),
            Self::ClearPresence => Some(BodyKind::ClearPresence),
            Self::SetUserPreferredPresence => Some(BodyKind::SetUserPreferredPresence),
            Self::SetStatusMessage => Some(BodyKind::SetStatusMessage),
            Self::SetAutomaticLocation | Self::SetManualLocation => Some(BodyKind::SetLocation),
            Self::ClearUserPreferredPresence | Self::ClearAutomaticLocation | Self::ClearLocation => None,
        }
    }
}

/// Every request body an operation can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum BodyKind {
    SetPresence,
    ClearPresence,
    SetUserPreferredPresence,
    SetStatusMessage,
    SetLocation,
    GetPresencesByUserId,
    /// The presence entity (PATCH, POST to the collection).
    PresenceEntity,
}

/// The JSON type of one body member, as far as a caller needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    String,
    Duration,
    Boolean,
    Object,
    StringArray,
}

/// One member of a request body, derived from the body's JSON Schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyProperty {
    /// The JSON member name (`sessionId`).
    pub wire_name: String,
    pub property_type: PropertyType,
    pub required: bool,
    pub description: String,
}

impl BodyKind {
    /// Every body kind.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// The JSON Schema of the body.
    /// Computed once per kind: the binder asks for it on every call (and a bulk run on every item).
    pub fn schema(self) -> &'static Schema {
        static SCHEMAS: std::sync::OnceLock<Vec<(BodyKind, Schema)>> = std::sync::OnceLock::new();
        let all = SCHEMAS.get_or_init(|| Self::all().map(|kind| (kind, kind.build_schema())).collect());
        &all.iter().find(|(kind, _)| *kind == self).expect("every kind has a schema").1
    }

    fn build_schema(self) -> Schema {
        match self {
            Self::SetPresence => schemars::schema_for!(SetPresenceRequest),
            Self::ClearPresence => schemars::schema_for!(ClearPresenceRequest),
            Self::SetUserPreferredPresence => schemars::schema_for!(SetUserPreferredPresenceRequest),
            Self::SetStatusMessage => schemars::schema_for!(SetStatusMessageRequest),
            Self::SetLocation => schemars::schema_for!(SetLocationRequest),
            Self::GetPresencesByUserId => schemars::schema_for!(GetPresencesByUserIdRequest),
            Self::PresenceEntity => schemars::schema_for!(PresenceEntity),
        }
    }

    /// The (availability, activity) pairs the body must hold, for the actions that accept only some pairs
    /// (setPresence, setUserPreferredPresence); `None` for bodies without such a rule.
    pub fn presence_pairs(self) -> Option<&'static [PresencePair]> {
        match self {
            Self::SetPresence => Some(SESSION_PRESENCE_PAIRS),
            Self::SetUserPreferredPresence => Some(PREFERRED_PRESENCE_PAIRS),
            _ => None,
        }
    }

    /// The schema's title, which is the Rust model's name (`SetPresenceRequest`).
    pub fn model_name(self) -> &'static str {
        match self {
            Self::SetPresence => "SetPresenceRequest",
            Self::ClearPresence => "ClearPresenceRequest",
            Self::SetUserPreferredPresence => "SetUserPreferredPresenceRequest",
            Self::SetStatusMessage => "SetStatusMessageRequest",
            Self::SetLocation => "SetLocationRequest",
            Self::GetPresencesByUserId => "GetPresencesByUserIdRequest",
            Self::PresenceEntity => "PresenceEntity",
        }
    }

    /// The typed members of the body, in schema order.
    pub fn properties(self) -> &'static [BodyProperty] {
        static PROPERTIES: std::sync::OnceLock<Vec<(BodyKind, Vec<BodyProperty>)>> = std::sync::OnceLock::new();
        let all = PROPERTIES.get_or_init(|| Self::all().map(|kind| (kind, kind.build_properties())).collect());
        &all.iter().find(|(kind, _)| *kind == self).expect("every kind has properties").1
    }

    fn build_properties(self) -> Vec<BodyProperty> {
        let root = self.schema().as_value();
        let required: Vec<&str> = root
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(props) = root.get("properties").and_then(Value::as_object) else { return Vec::new() };
        props
            .iter()
            .map(|(name, prop)| BodyProperty {
                wire_name: name.clone(),
                property_type: property_type_of(root, prop),
                required: required.contains(&name.as_str()),
                description: prop.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Turns a loosely-typed JSON object into the canonical, validated wire body.
    ///
    /// Keys matching a typed member case-insensitively are renamed to the member's wire name; other keys are kept
    /// verbatim as additional properties. Values are checked against the member types and the service's rules, so
    /// a body this returns is one the service accepts.
    pub fn to_wire_body(self, loose: Map<String, Value>) -> Result<Value, RuleViolation> {
        let mut body = self.typed_wire_body(loose)?;
        // A nested model of a typed member (`outOfOfficeSettings`) serializes its unset typed members as null; they
        // are not sent, as Microsoft's serializer sends no nulls. Additional properties stay as given.
        let schema = self.schema().as_value();
        if let Value::Object(members) = &mut body {
            for (name, value) in members.iter_mut() {
                if let Some(property) = schema.get("properties").and_then(|p| p.get(name)) {
                    drop_unset_typed_members(schema, property, value);
                }
            }
        }
        Ok(body)
    }

    fn typed_wire_body(self, loose: Map<String, Value>) -> Result<Value, RuleViolation> {
        let normalized = self.normalize_keys(loose)?;
        match self {
            Self::SetPresence => {
                let body: SetPresenceRequest = typed(normalized)?;
                rules::check_set_presence(&body)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
            Self::ClearPresence => {
                let body: ClearPresenceRequest = typed(normalized)?;
                rules::check_clear_presence(&body)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
            Self::SetUserPreferredPresence => {
                let body: SetUserPreferredPresenceRequest = typed(normalized)?;
                rules::check_set_user_preferred_presence(&body)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
            Self::SetStatusMessage => {
                let body: SetStatusMessageRequest = typed(normalized)?;
                rules::check_set_status_message(&body)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
            Self::SetLocation => {
                let body: SetLocationRequest = typed(normalized)?;
                rules::check_set_location(&body)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
            Self::GetPresencesByUserId => {
                let body: GetPresencesByUserIdRequest = typed(normalized)?;
                rules::check_get_presences_by_user_id(&body)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
            Self::PresenceEntity => {
                let body: PresenceEntity = typed(normalized)?;
                Ok(serde_json::to_value(body).expect("a typed body always serializes"))
            }
        }
    }

    fn normalize_keys(self, loose: Map<String, Value>) -> Result<Map<String, Value>, RuleViolation> {
        let schema = self.schema();
        normalize_object(schema.as_value(), schema.as_value(), loose)
    }
}

/// Removes the null typed members of a nested model value (`schema` is the member's schema), at every depth of
/// nested models; members the model does not type are left as given.
fn drop_unset_typed_members(root: &Value, schema: &Value, value: &mut Value) {
    let Value::Object(members) = value else { return };
    let Some(typed) = resolve_ref(root, schema).get("properties").and_then(Value::as_object) else { return };
    members.retain(|name, v| !(v.is_null() && typed.contains_key(name)));
    for (name, v) in members.iter_mut() {
        if let Some(property) = typed.get(name) {
            drop_unset_typed_members(root, property, v);
        }
    }
}

/// Renames the keys of `object` that match a property of `schema` case-insensitively to the property's name, and does
/// the same inside nested objects (a status message's `Message.Content` becomes `message.content`). Unknown keys
/// stay as they are.
fn normalize_object(root: &Value, schema: &Value, object: Map<String, Value>) -> Result<Map<String, Value>, RuleViolation> {
    let schema = resolve_ref(root, schema);
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut out = Map::with_capacity(object.len());
    for (key, value) in object {
        let known = properties.and_then(|p| p.iter().find(|(name, _)| name.eq_ignore_ascii_case(&key)));
        let (name, value) = match known {
            Some((name, property_schema)) => {
                let value = match value {
                    Value::Object(inner) => Value::Object(normalize_object(root, property_schema, inner)?),
                    other => other,
                };
                (name.clone(), value)
            }
            None => (key, value),
        };
        if out.contains_key(&name) {
            return Err(RuleViolation::DuplicateProperty { property: name });
        }
        out.insert(name, value);
    }
    Ok(out)
}

fn typed<T: DeserializeOwned>(body: Map<String, Value>) -> Result<T, RuleViolation> {
    // The error names the member that is wrong ("availability: invalid type: map, expected a string").
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| RuleViolation::InvalidValue { reason: e.to_string() })
}

fn property_type_of(root: &Value, prop: &Value) -> PropertyType {
    let resolved = resolve_ref(root, prop);
    if resolved.get("format").and_then(Value::as_str) == Some("duration") {
        return PropertyType::Duration;
    }
    let types: Vec<&str> = match resolved.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"array") {
        PropertyType::StringArray
    } else if types.contains(&"boolean") {
        PropertyType::Boolean
    } else if types.contains(&"object") {
        PropertyType::Object
    } else {
        PropertyType::String
    }
}

/// Follows a local `$ref` (`#/$defs/Name`), and the first non-null arm of an `anyOf`/`oneOf`.
fn resolve_ref<'a>(root: &'a Value, prop: &'a Value) -> &'a Value {
    if let Some(reference) = prop.get("$ref").and_then(Value::as_str)
        && let Some(target) = reference.strip_prefix('#').and_then(|p| root.pointer(p))
    {
        return resolve_ref(root, target);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(arms) = prop.get(key).and_then(Value::as_array)
            && let Some(arm) = arms.iter().find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
        {
            return resolve_ref(root, arm);
        }
    }
    prop
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn set_presence_properties_come_from_the_schema() {
        let props = BodyKind::SetPresence.properties();
        let names: Vec<_> = props.iter().map(|p| p.wire_name.as_str()).collect();
        assert_eq!(names, ["sessionId", "availability", "activity", "expirationDuration"]);
        assert_eq!(props[3].property_type, PropertyType::Duration);
        assert_eq!(props[1].property_type, PropertyType::String);
        assert!(props[0].required && props[1].required && props[2].required && !props[3].required);
    }

    #[test]
    fn keys_match_case_insensitively_and_unknown_keys_are_kept_last() {
        let body = BodyKind::SetPresence
            .to_wire_body(obj(json!({
                "Custom": {"a": 1},
                "SESSIONID": "s1",
                "availability": "busy",
                "Activity": "inacall",
                "expirationDuration": "PT90M",
            })))
            .unwrap();
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"sessionId":"s1","availability":"Busy","activity":"InACall","expirationDuration":"PT1H30M","Custom":{"a":1}}"#
        );
    }

    #[test]
    fn actions_are_found_by_plain_or_qualified_segment() {
        assert_eq!(PresenceAction::from_segment("setPresence"), Some(PresenceAction::SetPresence));
        assert_eq!(PresenceAction::from_segment("microsoft.graph.setPresence"), Some(PresenceAction::SetPresence));
        assert_eq!(PresenceAction::from_segment("SETPRESENCE"), Some(PresenceAction::SetPresence));
        assert_eq!(PresenceAction::from_segment("setPresenceNow"), None);
        assert_eq!(PresenceAction::ClearUserPreferredPresence.name(), "clearUserPreferredPresence");
    }

    #[test]
    fn nested_keys_match_case_insensitively_too() {
        let body = BodyKind::SetStatusMessage
            .to_wire_body(obj(json!({"StatusMessage": {"Message": {"Content": "hi", "ContentType": "text"}, "ExpiryDateTime": null}})))
            .unwrap();
        assert_eq!(body, json!({"statusMessage": {"message": {"content": "hi", "contentType": "text"}}}));
    }

    #[test]
    fn nested_nulls_are_not_sent() {
        let body = BodyKind::PresenceEntity.to_wire_body(obj(json!({"OutOfOfficeSettings": {"IsOutOfOffice": true}}))).unwrap();
        assert_eq!(body, json!({"outOfOfficeSettings": {"isOutOfOffice": true}}));
    }

    #[test]
    fn the_same_member_twice_is_refused() {
        let err = BodyKind::SetPresence
            .to_wire_body(obj(json!({"sessionId": "a", "SessionId": "b", "availability": "Available", "activity": "Available"})))
            .unwrap_err();
        assert!(matches!(err, RuleViolation::DuplicateProperty { .. }), "{err:?}");
    }

    #[test]
    fn a_wrongly_typed_member_is_refused_with_its_reason() {
        let err = BodyKind::SetPresence
            .to_wire_body(obj(json!({"sessionId": "a", "availability": 5, "activity": "Available"})))
            .unwrap_err();
        assert!(matches!(err, RuleViolation::InvalidValue { .. }), "{err:?}");
    }
}
