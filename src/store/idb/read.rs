//! Reading the records back from the JS values IndexedDB returns (wasm only), field by field with
//! `js_sys`, without serde's deserializer.
//!
//! The shapes read are the ones `serde-wasm-bindgen`'s serializer writes (see
//! [`crate::store::records`]): a record is a plain object with one property per field, named as the
//! field; `u64` is a `BigInt`; `u32` a number; byte strings a `Uint8Array`; unit enums their
//! serde name as a string; `None` is `undefined`. Older values are read as the deserializer this
//! replaces read them: a `u64` may also be a safe whole number, bytes may also be an
//! `ArrayBuffer` or an array of numbers, `None` may also be `null` or a missing property, and
//! properties that are not fields are ignored.
//!
//! A value of the wrong shape is a [`Bad`] naming the field path and what was expected
//! (`backfill_cursor.oldest_slot: expected a bigint, got a string`), which
//! `super` (the IndexedDB store) turns into [`crate::store::StoreError::CorruptRecord`].

use std::fmt;

use js_sys::{Array, ArrayBuffer, Number, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::store::records::{
    AnchorPayload, AnchorRecord, AnchorRootsRecord, BackfillCursor, ExecutionBlock, HeadRecord,
    HeadSource, HeaderRecord, KeptStateRecord, PayloadStatus, SyncCommitteeRecord, Trust,
};

/// A value that is not what its field holds: the path of field names to it (outermost first,
/// empty for the value itself) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    path: Vec<&'static str>,
    problem: String,
}

impl Bad {
    pub(crate) fn new(problem: impl Into<String>) -> Self {
        Bad {
            path: Vec::new(),
            problem: problem.into(),
        }
    }

    /// "expected `what`, got" a description of `value`'s type.
    fn expected(what: &str, value: &JsValue) -> Self {
        Bad::new(format!("expected {what}, got {}", kind(value)))
    }

    /// The same problem, one field further out.
    pub(crate) fn within(mut self, field: &'static str) -> Self {
        self.path.insert(0, field);
        self
    }
}

impl fmt::Display for Bad {
    /// `a.b: problem`, or the problem alone for a value that is no field's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(field)?;
        }
        if !self.path.is_empty() {
            f.write_str(": ")?;
        }
        f.write_str(&self.problem)
    }
}

/// What `value` is, for an error: its JS type (never its content, which may be large).
fn kind(value: &JsValue) -> &'static str {
    if value.is_undefined() {
        "undefined"
    } else if value.is_null() {
        "null"
    } else if value.is_bigint() {
        "a bigint"
    } else if value.as_bool().is_some() {
        "a boolean"
    } else if value.as_f64().is_some() {
        "a number"
    } else if value.is_string() {
        "a string"
    } else if value.is_instance_of::<Uint8Array>() || value.is_instance_of::<ArrayBuffer>() {
        "bytes"
    } else if Array::is_array(value) {
        "an array"
    } else if value.is_function() {
        "a function"
    } else if value.is_object() {
        "an object"
    } else {
        "another value"
    }
}

/// A type read from the JS value of a stored record (or of one of its fields).
pub(crate) trait FromJs: Sized {
    /// Reads `value`.
    fn from_js(value: &JsValue) -> Result<Self, Bad>;

    /// What a missing (or `undefined`) field of this type reads as: nothing but for `Option`s.
    fn missing() -> Option<Self> {
        None
    }
}

/// The field `name` of the object `record`, read as a `T` (see [`FromJs::missing`] for an
/// absent one); the error names the field.
pub(crate) fn field<T: FromJs>(record: &JsValue, name: &'static str) -> Result<T, Bad> {
    match property(record, name)? {
        Some(value) => T::from_js(&value).map_err(|e| e.within(name)),
        None => T::missing().ok_or_else(|| Bad::new("missing").within(name)),
    }
}

/// The property `name` of `record`; `None` when it is missing or `undefined`. Apart from
/// [`field`] so that its monomorphic copies stay small.
#[inline(never)]
fn property(record: &JsValue, name: &'static str) -> Result<Option<JsValue>, Bad> {
    let value = Reflect::get(record, &JsValue::from_str(name))
        .map_err(|_| Bad::new("unreadable").within(name))?;
    Ok((!value.is_undefined()).then_some(value))
}

/// `value` if it is an object, to read fields of.
pub(crate) fn object(value: &JsValue) -> Result<&JsValue, Bad> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(Bad::expected("an object", value))
    }
}

/// A JS number that is a whole number in `0..=2^53 - 1`.
fn safe_whole(value: &JsValue) -> Option<u64> {
    let n = value.as_f64()?;
    (Number::is_safe_integer(value) && n >= 0.0).then_some(n as u64)
}

impl FromJs for u64 {
    /// A `BigInt` in `u64` range, or a safe whole number.
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        if value.is_bigint() {
            return u64::try_from(value.clone())
                .map_err(|_| Bad::new("expected a bigint in the u64 range, got another bigint"));
        }
        safe_whole(value).ok_or_else(|| Bad::expected("a bigint", value))
    }
}

impl FromJs for u32 {
    /// A whole number in `u32` range.
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        safe_whole(value)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| Bad::expected("a whole number below 2^32", value))
    }
}

impl FromJs for bool {
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        value
            .as_bool()
            .ok_or_else(|| Bad::expected("a boolean", value))
    }
}

impl FromJs for String {
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        value
            .as_string()
            .ok_or_else(|| Bad::expected("a string", value))
    }
}

impl<T: FromJs> FromJs for Option<T> {
    /// `None` for `undefined` or `null`.
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        if value.is_undefined() || value.is_null() {
            Ok(None)
        } else {
            T::from_js(value).map(Some)
        }
    }

    fn missing() -> Option<Self> {
        Some(None)
    }
}

impl FromJs for Vec<String> {
    /// An array of strings; the error names the index of a bad element.
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        let array = value
            .dyn_ref::<Array>()
            .ok_or_else(|| Bad::expected("an array", value))?;
        array
            .iter()
            .enumerate()
            .map(|(i, v)| {
                String::from_js(&v).map_err(|e| Bad::new(format!("element {i}: {}", e.problem)))
            })
            .collect()
    }
}

/// A stored byte string: a `Uint8Array` (as written), an `ArrayBuffer`, or an array of numbers
/// each in `0..=255`.
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl FromJs for Bytes {
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        if let Some(array) = value.dyn_ref::<Uint8Array>() {
            return Ok(Bytes(array.to_vec()));
        }
        if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
            return Ok(Bytes(Uint8Array::new(buffer).to_vec()));
        }
        if let Some(array) = value.dyn_ref::<Array>() {
            return array
                .iter()
                .map(|v| safe_whole(&v).and_then(|n| u8::try_from(n).ok()))
                .collect::<Option<Vec<u8>>>()
                .map(Bytes)
                .ok_or_else(|| Bad::new("expected bytes, got an array of other values"));
        }
        Err(Bad::expected("bytes", value))
    }
}

impl<const N: usize> FromJs for [u8; N] {
    /// Exactly `N` bytes (in any form [`Bytes`] reads); a `Uint8Array` is copied straight in.
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        let wrong_length = |len: usize| Bad::new(format!("expected {N} bytes, got {len}"));
        let mut out = [0u8; N];
        if let Some(array) = value.dyn_ref::<Uint8Array>() {
            let len = array.length() as usize;
            if len != N {
                return Err(wrong_length(len));
            }
            array.copy_to(&mut out);
            return Ok(out);
        }
        let Bytes(bytes) = Bytes::from_js(value)?;
        let len = bytes.len();
        bytes.try_into().map_err(|_| wrong_length(len))
    }
}

/// Reads a unit enum from its serde name, as `rename_all` spells it.
macro_rules! js_enum {
    ($ty:ident { $($name:literal => $variant:ident),* $(,)? }) => {
        impl FromJs for $ty {
            fn from_js(value: &JsValue) -> Result<Self, Bad> {
                let name = value
                    .as_string()
                    .ok_or_else(|| Bad::expected("a string", value))?;
                match name.as_str() {
                    $($name => Ok($ty::$variant),)*
                    _ => Err(Bad::new(format!(
                        concat!("expected one of ", $("`", $name, "` ",)* "got {:?}"),
                        name
                    ))),
                }
            }
        }
    };
}

js_enum!(Trust {
    "checkpoint" => Checkpoint,
    "block-root" => BlockRoot,
    "provider" => Provider,
    "file" => File,
    "light-client" => LightClient,
});

js_enum!(HeadSource {
    "finality-update" => FinalityUpdate,
    "checkpoints" => Checkpoints,
});

js_enum!(PayloadStatus {
    "full" => Full,
    "empty" => Empty,
});

/// Reads a record whose every field is stored under its own name, each with its [`FromJs`].
macro_rules! js_record {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl FromJs for $ty {
            fn from_js(value: &JsValue) -> Result<Self, Bad> {
                let record = object(value)?;
                Ok($ty {
                    $($field: field(record, stringify!($field))?,)*
                })
            }
        }
    };
}

js_record!(AnchorRecord {
    network,
    slot,
    epoch,
    block_root,
    state_root,
    fork,
    trust,
    linked_through_latest_block_header,
    providers,
    ws_period_epochs,
    total_active_balance,
    active_validators,
    current_sync_committee,
    next_sync_committee,
    created_at,
    stale,
    execution,
    payload,
});

js_record!(AnchorPayload {
    status,
    block_hash,
    latest_block_hash,
});

js_record!(ExecutionBlock {
    block_hash,
    block_number,
    state_root,
    receipts_root,
    timestamp,
});

js_record!(HeaderRecord { slot, header, root });

js_record!(BackfillCursor {
    oldest_slot,
    oldest_root,
    oldest_parent_root,
    target_slot,
});

js_record!(HeadRecord {
    slot,
    block_root,
    state_root,
    source,
    anchor_root,
    updated_at,
    execution,
});

js_record!(KeptStateRecord {
    id,
    block_root,
    state_root,
    length,
    chunks,
});

/// `bytes` as `N`-byte pieces, or a [`Bad`] when its length is no multiple of `N`.
fn split<const N: usize>(Bytes(bytes): Bytes) -> Result<Vec<[u8; N]>, Bad> {
    if !bytes.len().is_multiple_of(N) {
        return Err(Bad::new(format!(
            "expected a multiple of {N} bytes, got {}",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(N)
        .map(|c| {
            let mut piece = [0u8; N];
            piece.copy_from_slice(c);
            piece
        })
        .collect())
}

impl FromJs for SyncCommitteeRecord {
    /// The keys are one flat byte string (see its `Serialize`).
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        let record = object(value)?;
        Ok(SyncCommitteeRecord {
            pubkeys: split(field(record, "pubkeys")?).map_err(|e| e.within("pubkeys"))?,
            aggregate_pubkey: field(record, "aggregate_pubkey")?,
        })
    }
}

impl FromJs for AnchorRootsRecord {
    /// The roots are flat byte strings (see its `Serialize`); the record must pass
    /// [`AnchorRootsRecord::check`].
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        let record = object(value)?;
        let roots = |name: &'static str| -> Result<Vec<[u8; 32]>, Bad> {
            split(field(record, name)?).map_err(|e| e.within(name))
        };
        let out = AnchorRootsRecord {
            block_root: field(record, "block_root")?,
            state_slot: field(record, "state_slot")?,
            block_roots: roots("block_roots")?,
            block_summary_roots: roots("block_summary_roots")?,
        };
        out.check()
            .map_err(|(e, g)| Bad::new(format!("expected {e}, got {g}")).within("block_roots"))?;
        Ok(out)
    }
}
