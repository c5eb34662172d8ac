//! Every JSON document the tests read is checked against its published
//! schema (docs/*.schema.json, generated from the output types by
//! `bwrap_doctor_engine::contract`) with a kept validator, the `jsonschema`
//! crate. Strictly: the published schemas let readers meet fields they do
//! not know (additive changes keep the version), but here a field the
//! schema does not name is an error, so no output escapes its schema.

use bwrap_doctor_engine::contract::{self as contracts, Contract};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// The committed schema of `c`, closed: `additionalProperties: false`
/// wherever an object schema names its properties and says nothing else.
pub fn strict(c: &Contract) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(c.file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; generate it with BWD_BLESS=1", path.display()));
    let mut v: Value = serde_json::from_str(&text).unwrap();
    close(&mut v);
    v
}

fn close(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), false.into());
            }
            o.values_mut().for_each(close);
        }
        Value::Array(a) => a.iter_mut().for_each(close),
        _ => {}
    }
}

/// Every violation of `c`'s schema in `doc`, as "path: what"; empty when
/// `doc` is valid.
pub fn violations(c: &Contract, doc: &Value) -> Vec<String> {
    static VALIDATORS: OnceLock<Mutex<BTreeMap<&'static str, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let mut map = VALIDATORS.get_or_init(Default::default).lock().unwrap();
    let validator = *map.entry(c.file).or_insert_with(|| {
        let v = jsonschema::draft202012::new(&strict(c))
            .unwrap_or_else(|e| panic!("{} is not a valid JSON Schema: {e}", c.file));
        Box::leak(Box::new(v))
    });
    drop(map);
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// `doc` is a valid document of the kind its own `schema` field names, at
/// the version its schema publishes.
pub fn assert_valid(doc: &Value) {
    let kind = doc["schema"]
        .as_str()
        .unwrap_or_else(|| panic!("a document without a schema field: {doc:#}"));
    let c = contracts::contract(kind).unwrap_or_else(|| panic!("no published schema for {kind}"));
    let errors = violations(c, doc);
    assert!(
        errors.is_empty(),
        "the {kind} document does not match {}: {errors:#?}\n{doc:#}",
        c.file
    );
}

/// `text` parses as JSON and is valid (see [`assert_valid`]).
pub fn parse_valid(text: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert_valid(&v);
    v
}
