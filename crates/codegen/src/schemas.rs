//! JSON Schemas of the request bodies and the presence resource, from the domain models (schemars).

use crate::GeneratedFile;
use mgpresence_domain::models::BodyKind;

pub fn render() -> Vec<GeneratedFile> {
    let mut files: Vec<GeneratedFile> = BodyKind::all()
        .map(|kind| GeneratedFile {
            path: format!("generated/schemas/{}.json", kind.model_name()).into(),
            contents: pretty(kind.schema()),
        })
        .collect();
    files.push(GeneratedFile {
        path: "generated/schemas/Presence.json".into(),
        contents: pretty(&schemars::schema_for!(mgpresence_domain::Presence)),
    });
    files.push(GeneratedFile {
        path: "generated/schemas/GraphError.json".into(),
        contents: pretty(&schemars::schema_for!(mgpresence_domain::GraphError)),
    });
    files
}

fn pretty(schema: &schemars::Schema) -> String {
    serde_json::to_string_pretty(schema).expect("schemas serialize") + "\n"
}
