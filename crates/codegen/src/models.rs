//! The .NET model types of presence objects (`generated/Models.cs`): for each API version's models namespace and each
//! model the catalog lists, an `IMicrosoftGraph…` interface and a `MicrosoftGraph…` class with the members in
//! Microsoft's order, nested complex members created on first read (as Microsoft's generator makes them), and
//! `AdditionalProperties` last. What the classes share (JSON, conversion) is the hand-written
//! `MgPresence.Runtime.GraphModel`; this file only lists each class's members.

use mgpresence_catalog::ApiVersion;
use mgpresence_catalog::models::{ModelProperty, ModelPropertyKind, ModelType, full_name, model_types};
use std::fmt::Write;

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The C# type of a member as the interface and class declare it.
fn member_type(kind: &ModelPropertyKind) -> String {
    match kind {
        ModelPropertyKind::String => "string?".to_owned(),
        ModelPropertyKind::Boolean => "bool?".to_owned(),
        ModelPropertyKind::DateTime => "global::System.DateTime?".to_owned(),
        ModelPropertyKind::Model(name) => format!("I{name}"),
    }
}

fn field_name(property: &ModelProperty) -> String {
    let mut chars = property.name.chars();
    let first = chars.next().map(|c| c.to_ascii_lowercase()).unwrap_or_default();
    format!("_{first}{}", chars.as_str())
}

fn kind_literal(kind: &ModelPropertyKind) -> &'static str {
    match kind {
        ModelPropertyKind::String => "String",
        ModelPropertyKind::Boolean => "Boolean",
        ModelPropertyKind::DateTime => "DateTime",
        ModelPropertyKind::Model(_) => "Model",
    }
}

fn summary(out: &mut String, indent: &str, text: &str) {
    if !text.is_empty() {
        writeln!(out, "{indent}/// <summary>{}</summary>", xml_escape(text)).unwrap();
    }
}

fn render_model(out: &mut String, model: &ModelType) {
    let class = &model.name;
    let interface = format!("I{class}");
    writeln!(out, "    [TypeConverter(typeof(global::MgPresence.Runtime.GraphModelConverter))]").unwrap();
    writeln!(out, "    public partial interface {interface}\n    {{").unwrap();
    for p in &model.properties {
        summary(out, "        ", &p.description);
        writeln!(out, "        {} {} {{ get; set; }}", member_type(&p.kind), p.name).unwrap();
    }
    writeln!(out, "        /// <summary>The members the model does not type, as the service sent them.</summary>").unwrap();
    writeln!(out, "        IDictionary<string, object?> AdditionalProperties {{ get; }}").unwrap();
    writeln!(out, "    }}\n").unwrap();

    writeln!(out, "    [TypeConverter(typeof(global::MgPresence.Runtime.GraphModelConverter))]").unwrap();
    writeln!(out, "    public partial class {class} : global::MgPresence.Runtime.GraphModel, {interface}\n    {{").unwrap();
    for p in model.properties.iter().filter(|p| matches!(p.kind, ModelPropertyKind::Model(_))) {
        writeln!(out, "        private {}? {};", member_type(&p.kind), field_name(p)).unwrap();
    }
    writeln!(out, "        private readonly Dictionary<string, object?> _additionalProperties = new();\n").unwrap();
    for p in &model.properties {
        summary(out, "        ", &p.description);
        match &p.kind {
            ModelPropertyKind::Model(nested) => writeln!(
                out,
                "        public {t} {name} {{ get => {field} ??= new {nested}(); set => {field} = value; }}",
                t = member_type(&p.kind),
                name = p.name,
                field = field_name(p),
            )
            .unwrap(),
            kind => writeln!(out, "        public {} {} {{ get; set; }}", member_type(kind), p.name).unwrap(),
        }
    }
    writeln!(out, "        /// <summary>The members the model does not type, as the service sent them.</summary>").unwrap();
    writeln!(out, "        public IDictionary<string, object?> AdditionalProperties => _additionalProperties;\n").unwrap();
    writeln!(out, "        internal override Dictionary<string, object?> Extra => _additionalProperties;\n").unwrap();
    writeln!(out, "        internal override IReadOnlyList<ModelProperty> ModelProperties => Members;\n").unwrap();
    writeln!(out, "        private static readonly ModelProperty[] Members =\n        {{").unwrap();
    for p in &model.properties {
        let (get, set, create) = match &p.kind {
            ModelPropertyKind::Model(nested) => (
                format!("m => (({class})m).{}", field_name(p)),
                format!("(m, v) => (({class})m).{} = (I{nested}?)v", field_name(p)),
                format!(", () => new {nested}()"),
            ),
            kind => (
                format!("m => (({class})m).{}", p.name),
                format!("(m, v) => (({class})m).{} = ({})v", p.name, member_type(kind)),
                String::new(),
            ),
        };
        writeln!(
            out,
            "            new(\"{}\", \"{}\", ModelPropertyKind.{}, {get}, {set}{create}),",
            p.name,
            p.wire_name,
            kind_literal(&p.kind)
        )
        .unwrap();
    }
    writeln!(out, "        }};\n").unwrap();
    writeln!(out, "        /// <summary>A {class} from JSON text, as the service sends it.</summary>").unwrap();
    writeln!(out, "        public static {class} FromJsonString(string json)\n        {{").unwrap();
    writeln!(out, "            var model = new {class}();\n            using var document = ParseJsonObject(json);\n            model.ReadJson(document.RootElement);\n            return model;\n        }}\n").unwrap();
    writeln!(out, "        /// <summary>A {class} from a hashtable; keys match case-insensitively, unknown keys become AdditionalProperties.</summary>").unwrap();
    writeln!(out, "        public static {class} DeserializeFromDictionary(IDictionary content)\n        {{").unwrap();
    writeln!(out, "            var model = new {class}();\n            model.ReadValue(content);\n            return model;\n        }}\n").unwrap();
    writeln!(out, "        /// <summary>A {class} from an object's properties.</summary>").unwrap();
    writeln!(out, "        public static {class} DeserializeFromPSObject(PSObject content)\n        {{").unwrap();
    writeln!(out, "            var model = new {class}();\n            model.ReadValue(content);\n            return model;\n        }}").unwrap();
    writeln!(out, "    }}\n").unwrap();
}

pub fn render() -> String {
    let models = model_types();
    let mut out = String::from(
        "// <auto-generated>\n// Generated by crates/codegen from the catalog's model list (crates/catalog/src/models.rs), which reads the\n// domain's presence schema. Do not edit.\n// </auto-generated>\n#nullable enable\nusing System.Collections;\nusing System.Collections.Generic;\nusing System.ComponentModel;\nusing System.Management.Automation;\nusing MgPresence.Runtime;\n\n",
    );
    for version in ApiVersion::all() {
        writeln!(out, "namespace {}\n{{", version.models_namespace()).unwrap();
        for model in &models {
            render_model(&mut out, model);
        }
        out.truncate(out.trim_end().len());
        out.push_str("\n}\n\n");
    }
    out.push_str("namespace MgPresence.Runtime\n{\n    /// <summary>Every generated model type, by its interface and by its full name.</summary>\n    public static class ModelTypes\n    {\n");
    out.push_str("        private static readonly Dictionary<global::System.Type, global::System.Type> Concrete = new()\n        {\n");
    for version in ApiVersion::all() {
        let ns = version.models_namespace();
        for model in &models {
            writeln!(out, "            [typeof(global::{ns}.I{0})] = typeof(global::{ns}.{0}),", model.name).unwrap();
            writeln!(out, "            [typeof(global::{ns}.{0})] = typeof(global::{ns}.{0}),", model.name).unwrap();
        }
    }
    out.push_str("        };\n\n        private static readonly Dictionary<string, global::System.Func<GraphModel>> ByName = new(global::System.StringComparer.Ordinal)\n        {\n");
    for version in ApiVersion::all() {
        let ns = version.models_namespace();
        for model in &models {
            writeln!(out, "            [\"{}\"] = () => new global::{ns}.{}(),", full_name(ns, &model.name), model.name).unwrap();
        }
    }
    out.push_str("        };\n\n        /// <summary>The class to create for a model type or interface; null for other types.</summary>\n        public static global::System.Type? ConcreteType(global::System.Type type) => Concrete.TryGetValue(type, out var concrete) ? concrete : null;\n\n");
    out.push_str("        /// <summary>A new model of the type with this full name; null when there is none.</summary>\n        public static GraphModel? Create(string fullName) => ByName.TryGetValue(fullName, out var create) ? create() : null;\n    }\n}\n");
    out
}
