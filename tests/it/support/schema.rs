//! A JSON Schema validator for the keywords the documented schemas use
//! (docs/*.schema.json). A keyword it does not know is an error, so a schema
//! can never be silently half-checked.

use serde_json::Value;

/// Every violation, as "path: what"; empty when `doc` is valid.
pub fn validate(schema: &Value, doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, doc, "$", &mut errors);
    errors
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("schema: unknown type {other:?}"),
    }
}

fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        panic!("schema at {at} is not an object");
    };
    for (k, want) in obj {
        match k.as_str() {
            "$schema" | "$id" | "title" | "description" | "$defs" => {}
            "$ref" => {
                let name = want
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .expect("only #/$defs/ references");
                check(root, &root["$defs"][name], v, at, errors);
            }
            "type" => {
                let t = want.as_str().expect("type is one name");
                if !type_ok(t, v) {
                    errors.push(format!("{at}: not of type {t}: {v}"));
                }
            }
            "const" => {
                if v != want {
                    errors.push(format!("{at}: {v} is not {want}"));
                }
            }
            "enum" => {
                if !want.as_array().unwrap().contains(v) {
                    errors.push(format!("{at}: {v} is not one of {want}"));
                }
            }
            "required" => {
                for r in want.as_array().unwrap() {
                    let r = r.as_str().unwrap();
                    if v.as_object().is_some_and(|o| !o.contains_key(r)) {
                        errors.push(format!("{at}: missing {r}"));
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in want.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            check(root, sub, x, &format!("{at}.{name}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                assert_eq!(
                    want,
                    &Value::Bool(false),
                    "only additionalProperties: false"
                );
                if let Some(o) = v.as_object() {
                    let known = obj["properties"].as_object().unwrap();
                    for name in o.keys().filter(|n| !known.contains_key(*n)) {
                        errors.push(format!("{at}: unexpected property {name}"));
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(root, want, x, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "minLength" => {
                if let Some(s) = v.as_str()
                    && (s.chars().count() as u64) < want.as_u64().unwrap()
                {
                    errors.push(format!("{at}: shorter than {want}"));
                }
            }
            "minimum" => {
                if let Some(n) = v.as_f64()
                    && n < want.as_f64().unwrap()
                {
                    errors.push(format!("{at}: {n} < {want}"));
                }
            }
            "pattern" => {
                let re = regex::Regex::new(want.as_str().unwrap()).unwrap();
                if let Some(s) = v.as_str()
                    && !re.is_match(s)
                {
                    errors.push(format!("{at}: {s:?} does not match {want}"));
                }
            }
            other => panic!("schema keyword {other:?} is not supported by this validator"),
        }
    }
}
