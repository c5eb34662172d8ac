//! The JSON documents' schemas, generated from their types: the
//! language-neutral API. `docs/*.schema.json` are these, written by the
//! test `the_committed_schemas_are_the_generated_ones` (`BWD_BLESS=1`
//! rewrites them).
//!
//! Versioning: each document says its `schema` and `schema_version`;
//! additive changes (a new field, a new cause or check id) keep the version,
//! so readers ignore fields they do not know; anything else (a field
//! removed, renamed or retyped, a meaning changed) bumps it, and the
//! schema's `$id` with it.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// One published document: its kind, version, file and schema.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    /// The document's `schema` field, e.g. `bwrap-doctor/check`.
    pub schema: &'static str,
    /// The document's `schema_version` field.
    pub version: u32,
    /// Where the schema is kept, relative to the repository.
    pub file: &'static str,
    generate: fn() -> Schema,
}

impl Contract {
    /// The schema, as written to [`Contract::file`].
    #[must_use]
    pub fn json(&self) -> Value {
        let mut s = (self.generate)();
        let kind = self.schema.trim_start_matches("bwrap-doctor/");
        s.insert(
            "$id".into(),
            format!(
                "https://bwrap-doctor.invalid/schema/{kind}-{}.json",
                self.version
            )
            .into(),
        );
        if let Some(Value::String(title)) = s.get("title").cloned() {
            s.insert(
                "title".into(),
                format!("{title}, version {}", self.version).into(),
            );
        }
        s.to_value()
    }

    /// The schema as the file holds it: pretty, with a final newline.
    #[must_use]
    pub fn text(&self) -> String {
        let mut t = serde_json::to_string_pretty(&self.json()).expect("a schema serializes");
        t.push('\n');
        t
    }
}

/// The schema of the documents `T` serializes to.
fn written<T: JsonSchema + ?Sized>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Every document bwrap-doctor writes for tools.
pub const CONTRACTS: [Contract; 3] = [
    Contract {
        schema: crate::check::model::SCHEMA,
        version: crate::check::model::SCHEMA_VERSION,
        file: "docs/check.schema.json",
        generate: written::<crate::check::model::Report>,
    },
    Contract {
        schema: crate::report::json::SCHEMA,
        version: crate::report::json::SCHEMA_VERSION,
        file: "docs/diagnosis.schema.json",
        generate: written::<crate::report::json::Document<'static>>,
    },
    Contract {
        schema: crate::facts::SNAPSHOT_SCHEMA,
        version: crate::facts::SNAPSHOT_VERSION,
        file: "docs/snapshot.schema.json",
        generate: written::<crate::facts::Snapshot>,
    },
];

/// The contract of documents whose `schema` field is `schema`.
#[must_use]
pub fn contract(schema: &str) -> Option<&'static Contract> {
    CONTRACTS.iter().find(|c| c.schema == schema)
}
