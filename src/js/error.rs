//! Errors at the JS boundary: `Error` objects with a stable `code`.
//!
//! A dashboard must tell a stale checkpoint from a network failure without parsing messages, so
//! every failure becomes an `Error` whose `name` is `LightSyncError`, whose `code` is one stable
//! string per kind (the Rust error's `code()`), and, where two values were compared, `expected`
//! and `actual` strings; the message contains both.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::checkpoint::CheckpointError;
use crate::network::NetworkError;
use crate::options::OptionsError;
use crate::store::StoreError;

/// A `LightSyncError`: `new Error(message)` with `name`, `code` and optional `expected`/`actual`.
/// Credentials in URLs (`user:password@`) never reach the message.
pub fn js_error(code: &str, message: &str, expected_actual: Option<(String, String)>) -> JsValue {
    let err = js_sys::Error::new(&crate::beacon_api::redact_credentials(message));
    err.set_name("LightSyncError");
    let obj: &JsValue = err.as_ref();
    let _ = Reflect::set(obj, &"code".into(), &code.into());
    if let Some((expected, actual)) = expected_actual {
        let _ = Reflect::set(obj, &"expected".into(), &expected.into());
        let _ = Reflect::set(obj, &"actual".into(), &actual.into());
    }
    err.into()
}

/// The JS error of a call refused because another runs (`ALREADY_RUNNING`).
pub fn busy(b: &crate::longrange::Busy) -> JsValue {
    js_error(b.code(), &b.to_string(), b.counted.clone())
}

/// The `code` of a JS error, if it has one.
pub fn error_code(e: &JsValue) -> Option<String> {
    Reflect::get(e, &"code".into()).ok()?.as_string()
}

/// The JS error of a checkpoint failure.
pub fn from_checkpoint(e: &CheckpointError) -> JsValue {
    js_error(e.code(), &e.to_string(), e.expected_actual())
}

/// The JS error of a network resolution failure.
pub fn from_network(e: &NetworkError) -> JsValue {
    js_error(e.code(), &e.to_string(), e.expected_actual())
}

/// The JS error of a refused option (`INVALID_OPTIONS`, or `INVALID_CHECKPOINT` for a root or
/// checkpoint string).
pub fn from_options(e: &OptionsError) -> JsValue {
    js_error(e.code(), &e.to_string(), None)
}

/// The JS error of a store failure.
pub fn from_store(e: &StoreError) -> JsValue {
    from_checkpoint(&CheckpointError::Store(e.clone()))
}

/// An invalid option (`code: "INVALID_OPTIONS"`).
pub fn invalid_options(message: impl Into<String>) -> JsValue {
    js_error("INVALID_OPTIONS", &message.into(), None)
}
