//! The Beacon API JSON form of consensus-spec-tests values, for the tests of every type family:
//! a case's `value.yaml` reads through the crate's one JSON reader (`types::json`) into the case's
//! SSZ bytes, and the JSON written from those bytes (`types::json::ssz_to_json`) is that
//! `value.yaml` with its integers as decimal strings (beacon-APIs `types/primitive.yaml`), which
//! reads back into the same bytes.
#![allow(dead_code)]

use std::fmt::Display;

use beacon_lightsync::types::json::{encode_json, json_to_ssz, ssz_to_json};
use beacon_lightsync::types::SszSchema;
use serde_json::Value;

/// `value` with every JSON number written as a decimal string, as Beacon APIs serve them.
pub fn quote_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(quote_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), quote_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Checks `value` (decoded from `bytes`) against the text of its case's `value.yaml`.
pub fn check_value_yaml<T: ssz::Encode + SszSchema>(
    label: impl Display,
    value: &T,
    bytes: &[u8],
    yaml: &str,
) {
    let ty = T::ssz_type();
    let yaml: Value =
        serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{label}: value.yaml: {e}"));
    let read = json_to_ssz(ty, &yaml).unwrap_or_else(|e| panic!("{label}: value.yaml: {e}"));
    assert!(read == bytes, "{label}: value.yaml reads into other bytes");
    let written = ssz_to_json(ty, bytes).unwrap_or_else(|e| panic!("{label}: ssz_to_json: {e}"));
    assert!(
        written == quote_numbers(&yaml),
        "{label}: ssz_to_json does not write value.yaml in the Beacon API form"
    );
    assert!(
        encode_json(value) == written,
        "{label}: the decoded value writes other JSON"
    );
    let back = json_to_ssz(ty, &written).unwrap_or_else(|e| panic!("{label}: JSON written: {e}"));
    assert!(
        back == bytes,
        "{label}: the JSON written reads into other bytes"
    );
}
