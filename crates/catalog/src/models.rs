//! The model types of presence objects, as Microsoft's modules name and shape them (mg-cmdlet-behavior.md §3,
//! cmdlet-inventory.md §2.4): `MicrosoftGraphPresence` and the complex types it holds, each with an
//! `IMicrosoftGraph…` interface, in `Microsoft.Graph.PowerShell.Models` (v1.0) and
//! `Microsoft.Graph.Beta.PowerShell.Models` (beta).
//!
//! The members come from the domain's schema of the presence resource, so a member the resource gains appears in the
//! .NET types the code generator writes from this list. Microsoft's generator orders members by name and puts
//! `AdditionalProperties` (what the model does not type) last; [`ModelType::properties`] is in that order.

use heck::ToUpperCamelCase;
use mgpresence_domain::Presence;
use serde_json::Value;

/// The .NET type of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelPropertyKind {
    String,
    Boolean,
    /// `Edm.DateTimeOffset`, which Microsoft's models type as `DateTime?` (UTC).
    DateTime,
    /// A nested complex type, by its short name (`MicrosoftGraphItemBody`).
    Model(String),
}

/// One typed member of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelProperty {
    /// The .NET property name (`StatusMessage`).
    pub name: String,
    /// The JSON member name (`statusMessage`).
    pub wire_name: String,
    pub kind: ModelPropertyKind,
    pub description: String,
}

/// One model type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelType {
    /// The short class name (`MicrosoftGraphPresence`); the interface is `I` + this.
    pub name: String,
    /// Typed members, ordered by name as Microsoft's generator orders them.
    pub properties: Vec<ModelProperty>,
}

/// The short class name of the presence resource.
pub const PRESENCE_MODEL: &str = "MicrosoftGraphPresence";

/// Microsoft's short name for a model the domain calls `rust_name` (`ItemBody` → `MicrosoftGraphItemBody`).
fn microsoft_name(rust_name: &str) -> String {
    match rust_name {
        "Presence" => PRESENCE_MODEL.to_owned(),
        // Graph's `dateTimeTimeZone` is `MicrosoftGraphDateTimeZone` in Microsoft's modules.
        "DateTimeTimeZone" => "MicrosoftGraphDateTimeZone".to_owned(),
        other => format!("MicrosoftGraph{other}"),
    }
}

/// The presence model and every complex type it holds, the presence first.
pub fn model_types() -> Vec<ModelType> {
    let schema = schemars::schema_for!(Presence);
    let root = schema.as_value();
    let mut types = vec![model_type(root, root, PRESENCE_MODEL.to_owned())];
    if let Some(defs) = root.get("$defs").and_then(Value::as_object) {
        for (rust_name, definition) in defs {
            if definition.get("properties").is_some() {
                types.push(model_type(root, definition, microsoft_name(rust_name)));
            }
        }
    }
    types
}

/// The full .NET name of a model in a models namespace (`Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence`).
pub fn full_name(models_namespace: &str, short_name: &str) -> String {
    format!("{models_namespace}.{short_name}")
}

fn model_type(root: &Value, schema: &Value, name: String) -> ModelType {
    let mut properties: Vec<ModelProperty> = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(wire_name, property)| ModelProperty {
            name: wire_name.to_upper_camel_case(),
            wire_name: wire_name.clone(),
            kind: kind_of(root, property),
            description: property.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
        })
        .collect();
    properties.sort_by(|a, b| a.name.cmp(&b.name));
    ModelType { name, properties }
}

fn kind_of(root: &Value, property: &Value) -> ModelPropertyKind {
    let reference = property.get("$ref").and_then(Value::as_str).or_else(|| {
        ["anyOf", "oneOf"].iter().find_map(|key| {
            property.get(*key)?.as_array()?.iter().find_map(|arm| arm.get("$ref").and_then(Value::as_str))
        })
    });
    if let Some(reference) = reference {
        let rust_name = reference.rsplit('/').next().unwrap_or_default();
        let target = reference.strip_prefix('#').and_then(|p| root.pointer(p));
        if target.is_some_and(|t| t.get("properties").is_some()) {
            return ModelPropertyKind::Model(microsoft_name(rust_name));
        }
        // A reference to a value type (the availability and activity enumerations) is text.
        return ModelPropertyKind::String;
    }
    if property.get("format").and_then(Value::as_str) == Some("date-time") {
        return ModelPropertyKind::DateTime;
    }
    let types: Vec<&str> = match property.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"boolean") { ModelPropertyKind::Boolean } else { ModelPropertyKind::String }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_members_are_the_resource_members_in_name_order() {
        let types = model_types();
        let presence = &types[0];
        assert_eq!(presence.name, "MicrosoftGraphPresence");
        let names: Vec<_> = presence.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Activity", "Availability", "Id", "OutOfOfficeSettings", "SequenceNumber", "StatusMessage", "WorkLocation"]);
        let status = presence.properties.iter().find(|p| p.name == "StatusMessage").unwrap();
        assert_eq!(status.kind, ModelPropertyKind::Model("MicrosoftGraphPresenceStatusMessage".into()));
        assert_eq!(presence.properties[0].kind, ModelPropertyKind::String);
    }

    #[test]
    fn nested_types_have_microsoft_names_and_kinds() {
        let types = model_types();
        let names: Vec<_> = types.iter().map(|t| t.name.as_str()).collect();
        for expected in ["MicrosoftGraphOutOfOfficeSettings", "MicrosoftGraphPresenceStatusMessage", "MicrosoftGraphItemBody", "MicrosoftGraphDateTimeZone", "MicrosoftGraphUserWorkLocation"] {
            assert!(names.contains(&expected), "{names:?}");
        }
        let status = types.iter().find(|t| t.name == "MicrosoftGraphPresenceStatusMessage").unwrap();
        let kinds: Vec<_> = status.properties.iter().map(|p| (p.name.as_str(), p.kind.clone())).collect();
        assert_eq!(
            kinds,
            [
                ("ExpiryDateTime", ModelPropertyKind::Model("MicrosoftGraphDateTimeZone".into())),
                ("Message", ModelPropertyKind::Model("MicrosoftGraphItemBody".into())),
                ("PublishedDateTime", ModelPropertyKind::DateTime),
            ]
        );
        let out_of_office = types.iter().find(|t| t.name == "MicrosoftGraphOutOfOfficeSettings").unwrap();
        assert_eq!(out_of_office.properties[0].name, "IsOutOfOffice");
        assert_eq!(out_of_office.properties[0].kind, ModelPropertyKind::Boolean);
    }
}
