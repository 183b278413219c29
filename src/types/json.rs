//! Beacon API JSON to SSZ bytes and back, guided by an [`SszType`]: one codec for every
//! container.
//!
//! Why not serde derives: a derived `Deserialize` is monomorphised for every container × fork ×
//! preset, and its visitors were a large share of the wasm. This reader is one non-generic
//! function over the schema that `SszSchema` derives from the same container declarations, so a
//! value is read as JSON → SSZ bytes → the typed SSZ decoder that every type has anyway.
//!
//! The JSON form is the Beacon API's (beacon-APIs `types/primitive.yaml`), which is also the
//! encoding of the consensus-spec-tests `value.yaml` files:
//! - `uintN` (uint256 too) as a decimal string. A JSON integer is accepted as well, as Lighthouse
//!   (`serde_utils::quoted_int`) and Lodestar (`UintNumberType.fromJson`) accept one, and as the
//!   spec-test YAML writes them; a negative, fractional or inexact number is refused;
//! - `boolean` as `true`/`false`;
//! - `ByteVector[N]` and `ByteList[N]` as `0x`-hex; `Bitvector[N]` and `Bitlist[N]` as `0x`-hex
//!   of their SSZ bytes (the delimiter bit included);
//! - containers as objects with the spec's snake_case field names (unknown fields are ignored,
//!   as every client's reader does), lists and vectors as arrays.
//!
//! `ByteList[N]` (`List[byte, N]`: `extra_data`, transactions) is `0x`-hex; `List[uint8, N]`
//! (participation flags) is an array of decimal strings. SSZ encodes both alike; the schema
//! tells them apart (`SszType::Byte` against `SszType::Uint(1)`).
//!
//! [`ssz_to_json`] is the inverse of [`json_to_ssz`]: it writes every `uintN` as a decimal string
//! and validates the bytes as it walks them (sizes, offsets, limits, booleans, bitfield padding
//! and delimiters), so bytes that are no value of the type get an error, never a panic.
//!
//! Errors name the JSON path of the bad value (`$` is the value itself, `$.a.b[3]` a field of
//! a field's element) and say "expected …, got …".

use std::fmt;

use serde_json::Value;

use super::{decode_ssz, ForkName, SszSchema, SszType, TypesError};

/// A JSON value that does not fit its SSZ type, or SSZ bytes that are no value of it: where
/// (the JSON path of the value) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// JSON path of the bad value: `$` is the whole value, `$.field[index]` a part of it.
    pub path: String,
    /// "expected …, got …".
    pub reason: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for JsonError {}

/// Reads `value`, the Beacon API JSON form of a value of type `ty`, into its SSZ bytes.
pub fn json_to_ssz(ty: &SszType, value: &Value) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::new();
    write(ty, value, &mut out).map_err(Failure::into_error)?;
    Ok(out)
}

/// Writes `bytes`, the SSZ encoding of a value of type `ty`, as its Beacon API JSON: the exact
/// inverse of [`json_to_ssz`] (uints as decimal strings).
pub fn ssz_to_json(ty: &SszType, bytes: &[u8]) -> Result<Value, JsonError> {
    to_json(ty, bytes)
        .map(Value::from)
        .map_err(Failure::into_error)
}

/// [`ssz_to_json`] as JSON text, with every object's fields in the spec's order (as Beacon
/// APIs write them; a `serde_json::Value` object sorts its keys).
pub fn ssz_to_json_text(ty: &SszType, bytes: &[u8]) -> Result<Vec<u8>, JsonError> {
    let json = to_json(ty, bytes).map_err(Failure::into_error)?;
    Ok(serde_json::to_vec(&json).unwrap_or_else(|e| unreachable!("strings serialize: {e}")))
}

/// Writes `value` as its Beacon API JSON, through its SSZ bytes and [`ssz_to_json`].
pub fn encode_json<T: ssz::Encode + SszSchema>(value: &T) -> Value {
    ssz_to_json(T::ssz_type(), &value.as_ssz_bytes())
        .unwrap_or_else(|e| unreachable!("a typed value's SSZ bytes fit its schema: {e}"))
}

/// JSON as the writer builds it: objects keep the schema's field order.
enum Json {
    Text(String),
    Bool(bool),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl From<Json> for Value {
    fn from(json: Json) -> Self {
        match json {
            Json::Text(s) => Value::String(s),
            Json::Bool(b) => Value::Bool(b),
            Json::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Json::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(name, v)| (name.to_string(), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Text(text) => s.serialize_str(text),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (name, value) in fields {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
    }
}

/// Reads `value` as the Beacon API JSON of `T` at `fork`: [`json_to_ssz`] with `T`'s schema,
/// then `T`'s SSZ decoder. `type_name` names the type in errors.
pub fn decode_json<T: ssz::Decode + SszSchema>(
    value: &Value,
    type_name: &'static str,
    fork: ForkName,
) -> Result<T, TypesError> {
    let bytes = json_to_ssz(T::ssz_type(), value).map_err(|e| TypesError::Json {
        type_name,
        fork,
        path: e.path,
        reason: e.reason,
    })?;
    decode_ssz(&bytes, type_name, Some(fork))
}

/// One step of a JSON path.
enum Step {
    Field(&'static str),
    Index(usize),
}

/// An error on its way up: the path is collected innermost first, so only errors pay for it.
struct Failure {
    steps: Vec<Step>,
    reason: String,
}

impl Failure {
    fn at(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    fn into_error(self) -> JsonError {
        let mut path = String::from("$");
        for step in self.steps.iter().rev() {
            match step {
                Step::Field(name) => {
                    path.push('.');
                    path.push_str(name);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        JsonError {
            path,
            reason: self.reason,
        }
    }
}

type Written = Result<(), Failure>;

fn fail<T>(reason: String) -> Result<T, Failure> {
    Err(Failure {
        steps: Vec::new(),
        reason,
    })
}

/// A JSON value as an error message names it: strings quoted (shortened), numbers as written.
fn describe(value: &Value) -> String {
    const QUOTE_CHARS: usize = 80;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > QUOTE_CHARS => {
            let head: String = s.chars().take(QUOTE_CHARS).collect();
            format!("\"{head}…\" ({} characters)", s.chars().count())
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => format!("an array of {} elements", items.len()),
        Value::Object(_) => "an object".into(),
    }
}

fn write(ty: &SszType, value: &Value, out: &mut Vec<u8>) -> Written {
    match ty {
        SszType::Uint(size) => uint(*size, value, out),
        SszType::Boolean => match value {
            Value::Bool(b) => {
                out.push(u8::from(*b));
                Ok(())
            }
            other => fail(format!("expected a boolean, got {}", describe(other))),
        },
        SszType::Byte => byte_vector(1, value, out),
        SszType::ByteVector(n) => byte_vector(*n, value, out),
        SszType::Vector(elem, n) => {
            let items = array(value)?;
            if items.len() != *n {
                return fail(format!(
                    "expected an array of {n} elements, got {} elements",
                    items.len()
                ));
            }
            sequence(elem, items, out)
        }
        SszType::List(elem, limit) => list(elem, Some(*limit), value, out),
        SszType::ProgressiveList(elem) => list(elem, None, value, out),
        SszType::Bitvector(n) => bitvector(*n, value, out),
        SszType::Bitlist(limit) => bitlist(Some(*limit), value, out),
        SszType::ProgressiveBitlist => bitlist(None, value, out),
        SszType::Container(c) | SszType::ProgressiveContainer(c, _) => {
            container(c.fields, value, out)
        }
    }
}

/// `ByteVector[n]` (a lone `byte` is one byte of it) as `0x`-hex.
fn byte_vector(n: usize, value: &Value, out: &mut Vec<u8>) -> Written {
    let bytes = hex_bytes(value)?;
    if bytes.len() != n {
        return fail(format!(
            "expected {n} bytes of 0x-hex, got {} bytes",
            bytes.len()
        ));
    }
    out.extend_from_slice(&bytes);
    Ok(())
}

/// A container: the fixed parts in field order (a 4-byte offset for each variable-size field),
/// then the variable-size fields' bytes.
fn container(fields: &[(&'static str, SszType)], value: &Value, out: &mut Vec<u8>) -> Written {
    let Value::Object(object) = value else {
        return fail(format!("expected an object, got {}", describe(value)));
    };
    let start = out.len();
    let mut variable = Vec::new();
    for (name, ty) in fields {
        let Some(field) = object.get(*name) else {
            return fail(format!("expected the field `{name}`, got none"));
        };
        if ty.fixed_size().is_some() {
            write(ty, field, out).map_err(|f| f.at(Step::Field(name)))?;
        } else {
            variable.push((out.len(), *name, ty, field));
            out.extend_from_slice(&[0; 4]);
        }
    }
    for (slot, name, ty, field) in variable {
        set_offset(out, slot, start)?;
        write(ty, field, out).map_err(|f| f.at(Step::Field(name)))?;
    }
    Ok(())
}

/// Writes at `slot` the offset of the end of `out` from `start`.
fn set_offset(out: &mut [u8], slot: usize, start: usize) -> Written {
    let Ok(offset) = u32::try_from(out.len() - start) else {
        return fail(format!(
            "expected at most 4 GiB of SSZ, got {} bytes",
            out.len() - start
        ));
    };
    out[slot..slot + 4].copy_from_slice(&offset.to_le_bytes());
    Ok(())
}

/// The elements of a vector or list: packed when fixed-size, else offsets then the elements.
fn sequence(elem: &SszType, items: &[Value], out: &mut Vec<u8>) -> Written {
    let at = |i: usize| move |f: Failure| f.at(Step::Index(i));
    if elem.fixed_size().is_some() {
        for (i, item) in items.iter().enumerate() {
            write(elem, item, out).map_err(at(i))?;
        }
        return Ok(());
    }
    let start = out.len();
    out.resize(start + 4 * items.len(), 0);
    for (i, item) in items.iter().enumerate() {
        set_offset(out, start + 4 * i, start)?;
        write(elem, item, out).map_err(at(i))?;
    }
    Ok(())
}

/// `List[T, limit]`, or `ProgressiveList[T]` without a limit; a byte list is `0x`-hex.
fn list(elem: &SszType, limit: Option<u64>, value: &Value, out: &mut Vec<u8>) -> Written {
    let too_many = |len: usize| -> Written {
        match limit {
            Some(limit) if len as u64 > limit => fail(format!(
                "expected at most {limit} elements, got {len} elements"
            )),
            _ => Ok(()),
        }
    };
    if *elem == SszType::Byte {
        let bytes = hex_bytes(value)?;
        too_many(bytes.len())?;
        out.extend_from_slice(&bytes);
        return Ok(());
    }
    let items = array(value)?;
    too_many(items.len())?;
    sequence(elem, items, out)
}

fn array(value: &Value) -> Result<&[Value], Failure> {
    match value {
        Value::Array(items) => Ok(items),
        other => fail(format!("expected an array, got {}", describe(other))),
    }
}

/// `0x`-prefixed hex (either case) as bytes.
fn hex_bytes(value: &Value) -> Result<Vec<u8>, Failure> {
    let Value::String(text) = value else {
        return fail(format!("expected a 0x-hex string, got {}", describe(value)));
    };
    let Some(digits) = text.strip_prefix("0x") else {
        return fail(format!("expected a 0x-hex string, got {}", describe(value)));
    };
    hex::decode(digits).or_else(|e| {
        fail(format!(
            "expected a 0x-hex string, got {} ({e})",
            describe(value)
        ))
    })
}

/// `Bitvector[n]`: exactly `ceil(n / 8)` bytes, the bits past the `n`-th zero.
fn bitvector(n: usize, value: &Value, out: &mut Vec<u8>) -> Written {
    let bytes = hex_bytes(value)?;
    check_bitvector(n, &bytes, value)?;
    out.extend_from_slice(&bytes);
    Ok(())
}

/// `bytes` (written as `value`) is a `Bitvector[n]`: `ceil(n / 8)` bytes, padding bits zero.
fn check_bitvector(n: usize, bytes: &[u8], value: &Value) -> Written {
    if bytes.len() != n.div_ceil(8) {
        return fail(format!(
            "expected a Bitvector[{n}] as 0x-hex of {} bytes, got {} bytes",
            n.div_ceil(8),
            bytes.len()
        ));
    }
    if !n.is_multiple_of(8) && bytes.last().is_some_and(|last| last >> (n % 8) != 0) {
        return fail(format!(
            "expected a Bitvector[{n}] with the bits past the {n}th zero, got {}",
            describe(value)
        ));
    }
    Ok(())
}

/// `Bitlist[limit]` (`None`: a `ProgressiveBitlist`): its SSZ bytes, whose last byte holds the
/// delimiter bit just past the last bit of the list.
fn bitlist(limit: Option<u64>, value: &Value, out: &mut Vec<u8>) -> Written {
    let bytes = hex_bytes(value)?;
    let Some(&last) = bytes.last().filter(|last| **last != 0) else {
        return fail(format!(
            "expected a Bitlist as 0x-hex of its SSZ bytes ending in the delimiter bit, got {}",
            describe(value)
        ));
    };
    let bits = (bytes.len() as u64 - 1) * 8 + u64::from(7 - last.leading_zeros());
    if let Some(limit) = limit.filter(|limit| bits > *limit) {
        return fail(format!(
            "expected a Bitlist of at most {limit} bits, got {bits} bits"
        ));
    }
    out.extend_from_slice(&bytes);
    Ok(())
}

/// `uint(8 × size)` as little-endian bytes, from a decimal string or a JSON integer.
fn uint(size: usize, value: &Value, out: &mut Vec<u8>) -> Written {
    let bits = size * 8;
    let start = out.len();
    out.resize(start + size, 0);
    let le = &mut out[start..];
    let fits = match value {
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.bytes().all(|digit| times_ten_plus(le, digit - b'0'))
        }
        Value::Number(n) => match n.as_u64() {
            Some(v) => {
                let bytes = v.to_le_bytes();
                let (low, high) = bytes.split_at(size.min(8));
                le[..low.len()].copy_from_slice(low);
                high.iter().all(|b| *b == 0)
            }
            None => {
                return fail(format!(
                    "expected a uint{bits} as a decimal string, got {}",
                    describe(value)
                ))
            }
        },
        other => {
            return fail(format!(
                "expected a uint{bits} as a decimal string, got {}",
                describe(other)
            ))
        }
    };
    if !fits {
        return fail(format!(
            "expected a uint{bits} (below 2^{bits}), got {}",
            describe(value)
        ));
    }
    Ok(())
}

/// `le = le × 10 + digit` in place; false when the result does not fit.
fn times_ten_plus(le: &mut [u8], digit: u8) -> bool {
    let mut carry = u16::from(digit);
    for byte in le.iter_mut() {
        let v = u16::from(*byte) * 10 + carry;
        *byte = v as u8;
        carry = v >> 8;
    }
    carry == 0
}

/// The JSON of one value of type `ty` whose SSZ bytes are exactly `bytes`.
fn to_json(ty: &SszType, bytes: &[u8]) -> Result<Json, Failure> {
    if let Some(size) = ty.fixed_size() {
        if bytes.len() != size {
            return fail(format!(
                "expected {size} bytes of SSZ, got {} bytes",
                bytes.len()
            ));
        }
    }
    match ty {
        SszType::Uint(_) => Ok(Json::Text(decimal(bytes))),
        SszType::Boolean => match bytes[0] {
            0 | 1 => Ok(Json::Bool(bytes[0] == 1)),
            other => fail(format!("expected a boolean byte (0 or 1), got {other}")),
        },
        SszType::Byte | SszType::ByteVector(_) => Ok(hex_text(bytes)),
        SszType::Bitvector(n) => {
            check_bitvector(*n, bytes, &Value::from(hex_text(bytes)))?;
            Ok(hex_text(bytes))
        }
        SszType::Bitlist(limit) => {
            bitlist(Some(*limit), &Value::from(hex_text(bytes)), &mut Vec::new())?;
            Ok(hex_text(bytes))
        }
        SszType::ProgressiveBitlist => {
            bitlist(None, &Value::from(hex_text(bytes)), &mut Vec::new())?;
            Ok(hex_text(bytes))
        }
        SszType::Vector(elem, n) => elements(elem, bytes, Some(*n as u64), true),
        SszType::List(elem, limit) => elements(elem, bytes, Some(*limit), false),
        SszType::ProgressiveList(elem) => elements(elem, bytes, None, false),
        SszType::Container(c) | SszType::ProgressiveContainer(c, _) => {
            container_json(c.fields, bytes)
        }
    }
}

fn hex_text(bytes: &[u8]) -> Json {
    Json::Text(super::hex0x(bytes))
}

/// A little-endian unsigned integer of any size as a decimal string.
fn decimal(le: &[u8]) -> String {
    let mut rest: Vec<u8> = le.iter().rev().copied().collect();
    let mut digits = Vec::new();
    while rest.iter().any(|b| *b != 0) {
        let mut remainder = 0u16;
        for byte in rest.iter_mut() {
            let v = (remainder << 8) | u16::from(*byte);
            *byte = (v / 10) as u8;
            remainder = v % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.iter().rev().map(|d| char::from(*d)).collect()
}

/// Reads the 4-byte offset at `at`, which must be within `bytes`.
fn offset_at(bytes: &[u8], at: usize) -> Result<usize, Failure> {
    match bytes.get(at..at + 4) {
        Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
        None => fail(format!(
            "expected a 4-byte offset at byte {at}, got {} bytes",
            bytes.len()
        )),
    }
}

/// Checks that `offsets` (with `end` appended) start at `first`, never decrease and stay
/// within `end`, and returns the ranges between them.
fn ranges(offsets: &[usize], first: usize, end: usize) -> Result<Vec<(usize, usize)>, Failure> {
    let mut prev = first;
    let mut out = Vec::with_capacity(offsets.len());
    for (k, &off) in offsets.iter().enumerate() {
        let lo = if k == 0 { first } else { prev };
        let hi = if k == 0 { first } else { end };
        if off < lo || off > hi {
            return fail(format!("expected an offset from {lo} to {hi}, got {off}"));
        }
        prev = off;
    }
    for (k, &off) in offsets.iter().enumerate() {
        out.push((off, offsets.get(k + 1).copied().unwrap_or(end)));
    }
    Ok(out)
}

/// The elements of a vector (`exact`) or list of at most `count` elements (`None`: no limit).
fn elements(
    elem: &SszType,
    bytes: &[u8],
    count: Option<u64>,
    exact: bool,
) -> Result<Json, Failure> {
    if *elem == SszType::Byte {
        if let Some(limit) = count.filter(|limit| bytes.len() as u64 > *limit) {
            return fail(format!(
                "expected at most {limit} bytes, got {} bytes",
                bytes.len()
            ));
        }
        return Ok(hex_text(bytes));
    }
    let spans = match elem.fixed_size() {
        Some(size) => {
            if !bytes.len().is_multiple_of(size) {
                return fail(format!(
                    "expected a multiple of {size} bytes, got {} bytes",
                    bytes.len()
                ));
            }
            (0..bytes.len() / size)
                .map(|i| (i * size, (i + 1) * size))
                .collect()
        }
        None if bytes.is_empty() => Vec::new(),
        None => {
            let first = offset_at(bytes, 0)?;
            if first == 0 || !first.is_multiple_of(4) || first > bytes.len() {
                return fail(format!(
                    "expected a first offset that is a non-zero multiple of 4 within {} bytes, got {first}",
                    bytes.len()
                ));
            }
            let offsets = (0..first / 4)
                .map(|i| offset_at(bytes, 4 * i))
                .collect::<Result<Vec<_>, _>>()?;
            ranges(&offsets, first, bytes.len())?
        }
    };
    let len = spans.len() as u64;
    match count {
        Some(n) if exact && len != n => {
            return fail(format!("expected {n} elements, got {len} elements"))
        }
        Some(limit) if len > limit => {
            return fail(format!(
                "expected at most {limit} elements, got {len} elements"
            ))
        }
        _ => {}
    }
    spans
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| to_json(elem, &bytes[a..b]).map_err(|f| f.at(Step::Index(i))))
        .collect::<Result<Vec<_>, _>>()
        .map(Json::Array)
}

/// A container as an object with its fields in order.
fn container_json(fields: &[(&'static str, SszType)], bytes: &[u8]) -> Result<Json, Failure> {
    let fixed_len: usize = fields.iter().map(|(_, t)| t.fixed_part_size()).sum();
    if bytes.len() < fixed_len {
        return fail(format!(
            "expected at least {fixed_len} bytes of SSZ, got {} bytes",
            bytes.len()
        ));
    }
    let mut spans = Vec::with_capacity(fields.len());
    let mut offsets = Vec::new();
    let mut pos = 0;
    for (_, ty) in fields {
        let size = ty.fixed_part_size();
        if ty.fixed_size().is_some() {
            spans.push(Some((pos, pos + size)));
        } else {
            offsets.push(offset_at(bytes, pos)?);
            spans.push(None);
        }
        pos += size;
    }
    let mut variable = ranges(&offsets, fixed_len, bytes.len())?.into_iter();
    let mut object = Vec::with_capacity(fields.len());
    for ((name, ty), span) in fields.iter().zip(spans) {
        let (a, b) = span.or_else(|| variable.next()).unwrap_or_default();
        let value = to_json(ty, &bytes[a..b]).map_err(|f| f.at(Step::Field(name)))?;
        object.push((*name, value));
    }
    Ok(Json::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::phase0::BeaconBlockHeader;
    use crate::types::{Hash256, Mainnet};
    use serde_json::json;
    use ssz::Encode;

    fn header_json() -> Value {
        json!({
            "slot": "7",
            "proposer_index": "18446744073709551615",
            "parent_root": format!("0x{}", "01".repeat(32)),
            "state_root": format!("0x{}", "02".repeat(32)),
            "body_root": format!("0x{}", "03".repeat(32)),
        })
    }

    #[test]
    fn reads_a_header_into_its_ssz_bytes() {
        let header = BeaconBlockHeader {
            slot: 7,
            proposer_index: u64::MAX,
            parent_root: Hash256::repeat_byte(1),
            state_root: Hash256::repeat_byte(2),
            body_root: Hash256::repeat_byte(3),
        };
        let bytes = json_to_ssz(BeaconBlockHeader::ssz_type(), &header_json()).unwrap();
        assert_eq!(bytes, header.as_ssz_bytes());
    }

    #[test]
    fn uints_of_every_size_and_their_bounds() {
        let read = |size, v: Value| json_to_ssz(&SszType::Uint(size), &v);
        assert_eq!(read(1, json!("255")).unwrap(), [255]);
        assert_eq!(read(2, json!("258")).unwrap(), [2, 1]);
        assert!(read(1, json!("256"))
            .unwrap_err()
            .reason
            .contains("below 2^8"));
        assert!(read(1, json!(256))
            .unwrap_err()
            .reason
            .contains("below 2^8"));
        assert_eq!(
            read(8, json!("18446744073709551615")).unwrap(),
            [255; 8].to_vec()
        );
        let e = read(8, json!("18446744073709551616")).unwrap_err();
        assert_eq!(
            e.reason,
            "expected a uint64 (below 2^64), got \"18446744073709551616\""
        );
        // uint256: 2^256 - 1 fits, 2^256 does not.
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(read(32, json!(max)).unwrap(), [255; 32].to_vec());
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(read(32, json!(over)).is_err());
        let mut want = [0u8; 32];
        want[..9].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(read(32, json!("18446744073709551616")).unwrap(), want);
        // Not decimal digits.
        for bad in ["", "-1", "+1", "0x10", " 1", "1.0", "1e3"] {
            let e = read(8, json!(bad)).unwrap_err();
            assert!(
                e.reason
                    .starts_with("expected a uint64 as a decimal string, got"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn json_integers_are_accepted_for_uints_but_not_other_numbers() {
        let ty = BeaconBlockHeader::ssz_type();
        let mut with_number = header_json();
        with_number["slot"] = json!(7);
        assert_eq!(
            json_to_ssz(ty, &with_number).unwrap(),
            json_to_ssz(ty, &header_json()).unwrap()
        );
        for bad in [json!(-7), json!(7.5), json!(1e30), json!(null), json!(true)] {
            let mut v = header_json();
            v["slot"] = bad.clone();
            let e = json_to_ssz(ty, &v).unwrap_err();
            assert_eq!(e.path, "$.slot");
            assert!(
                e.reason
                    .starts_with("expected a uint64 as a decimal string, got"),
                "{bad}: {e}"
            );
        }
        // A root given as a number is refused: roots are hex strings only.
        let mut v = header_json();
        v["parent_root"] = json!(5);
        let e = json_to_ssz(ty, &v).unwrap_err();
        assert_eq!(
            e.to_string(),
            "$.parent_root: expected a 0x-hex string, got the number 5"
        );
    }

    #[test]
    fn hex_needs_the_prefix_the_length_and_hex_digits() {
        let ty = BeaconBlockHeader::ssz_type();
        let cases = [
            ("01".repeat(32), "expected a 0x-hex string, got"),
            (
                format!("0x{}", "01".repeat(31)),
                "expected 32 bytes of 0x-hex, got 31 bytes",
            ),
            (
                format!("0x{}", "01".repeat(33)),
                "expected 32 bytes of 0x-hex, got 33 bytes",
            ),
            (
                format!("0x{}0", "01".repeat(31)),
                "expected a 0x-hex string, got",
            ),
            (
                format!("0x{}zz", "01".repeat(31)),
                "expected a 0x-hex string, got",
            ),
        ];
        for (text, want) in cases {
            let mut v = header_json();
            v["state_root"] = json!(text);
            let e = json_to_ssz(ty, &v).unwrap_err();
            assert_eq!(e.path, "$.state_root", "{text}");
            assert!(e.reason.starts_with(want), "{text}: {e}");
        }
        let mut upper = header_json();
        upper["state_root"] = json!(format!("0x{}", "AB".repeat(32)));
        assert_eq!(json_to_ssz(ty, &upper).unwrap()[48..80], [0xab; 32]);
    }

    #[test]
    fn a_missing_field_is_named_and_extra_fields_are_ignored() {
        let ty = BeaconBlockHeader::ssz_type();
        let mut v = header_json();
        v.as_object_mut().unwrap().remove("body_root");
        let e = json_to_ssz(ty, &v).unwrap_err();
        assert_eq!(e.to_string(), "$: expected the field `body_root`, got none");
        let mut v = header_json();
        v["future_field"] = json!("1");
        assert!(json_to_ssz(ty, &v).is_ok());
        let e = json_to_ssz(ty, &json!([1, 2])).unwrap_err();
        assert_eq!(e.reason, "expected an object, got an array of 2 elements");
    }

    #[test]
    fn lists_and_vectors_are_bounded() {
        let list = SszType::List(&SszType::Uint(8), 2);
        assert_eq!(
            json_to_ssz(&list, &json!(["1", "2"])).unwrap(),
            [1u64.to_le_bytes(), 2u64.to_le_bytes()].concat()
        );
        let e = json_to_ssz(&list, &json!(["1", "2", "3"])).unwrap_err();
        assert_eq!(e.reason, "expected at most 2 elements, got 3 elements");
        let e = json_to_ssz(&list, &json!(["1", "x"])).unwrap_err();
        assert_eq!(e.path, "$[1]");
        let vector = SszType::Vector(&SszType::ByteVector(1), 2);
        let e = json_to_ssz(&vector, &json!(["0x01"])).unwrap_err();
        assert_eq!(e.reason, "expected an array of 2 elements, got 1 elements");
        // A byte list is hex, bounded in bytes; a uint8 list (participation flags) is an array
        // of numbers. Each refuses the other's form.
        let bytes = SszType::List(&SszType::Byte, 3);
        assert_eq!(json_to_ssz(&bytes, &json!("0x010203")).unwrap(), [1, 2, 3]);
        let e = json_to_ssz(&bytes, &json!("0x01020304")).unwrap_err();
        assert_eq!(e.reason, "expected at most 3 elements, got 4 elements");
        let e = json_to_ssz(&bytes, &json!(["1", "2"])).unwrap_err();
        assert_eq!(
            e.reason,
            "expected a 0x-hex string, got an array of 2 elements"
        );
        let flags = SszType::List(&SszType::Uint(1), 3);
        assert_eq!(json_to_ssz(&flags, &json!(["1", "7"])).unwrap(), [1, 7]);
        let e = json_to_ssz(&flags, &json!("0x0107")).unwrap_err();
        assert_eq!(e.reason, "expected an array, got \"0x0107\"");
    }

    #[test]
    fn variable_size_elements_get_offsets() {
        // List[List[uint8, 4], 4]: offsets 8 and 10, then the two byte lists.
        let ty = SszType::List(&SszType::List(&SszType::Byte, 4), 4);
        let bytes = json_to_ssz(&ty, &json!(["0xaabb", "0xcc"])).unwrap();
        assert_eq!(bytes, [8, 0, 0, 0, 10, 0, 0, 0, 0xaa, 0xbb, 0xcc]);
        let e = json_to_ssz(&ty, &json!(["0xaabb", "0xccddeeff00"])).unwrap_err();
        assert_eq!(e.path, "$[1]");
    }

    #[test]
    fn bitfields_are_their_ssz_bytes() {
        let bv = SszType::Bitvector(4);
        assert_eq!(json_to_ssz(&bv, &json!("0x0f")).unwrap(), [0x0f]);
        let e = json_to_ssz(&bv, &json!("0x1f")).unwrap_err();
        assert!(e.reason.contains("bits past the 4th zero"), "{e}");
        let e = json_to_ssz(&bv, &json!("0x0f00")).unwrap_err();
        assert_eq!(
            e.reason,
            "expected a Bitvector[4] as 0x-hex of 1 bytes, got 2 bytes"
        );
        let bl = SszType::Bitlist(8);
        // Eight bits and the delimiter: two bytes.
        assert_eq!(json_to_ssz(&bl, &json!("0xff01")).unwrap(), [0xff, 0x01]);
        assert_eq!(json_to_ssz(&bl, &json!("0x01")).unwrap(), [0x01]);
        let e = json_to_ssz(&bl, &json!("0xff03")).unwrap_err();
        assert_eq!(e.reason, "expected a Bitlist of at most 8 bits, got 9 bits");
        for no_delimiter in ["0x", "0xff00"] {
            let e = json_to_ssz(&bl, &json!(no_delimiter)).unwrap_err();
            assert!(e.reason.contains("delimiter bit"), "{e}");
        }
        let e = json_to_ssz(&SszType::Boolean, &json!("true")).unwrap_err();
        assert_eq!(e.reason, "expected a boolean, got \"true\"");
    }

    #[test]
    fn decode_json_names_the_type_fork_and_path() {
        let mut v = header_json();
        v["slot"] = json!("x");
        let e = decode_json::<crate::types::altair::SyncAggregate<Mainnet>>(
            &json!({"sync_committee_bits": "0x00", "sync_committee_signature": "0x00"}),
            "SyncAggregate",
            ForkName::Deneb,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid JSON for a deneb SyncAggregate at $.sync_committee_bits: \
             expected a Bitvector[512] as 0x-hex of 64 bytes, got 1 bytes"
        );
        let e = decode_json::<BeaconBlockHeader>(&v, "BeaconBlockHeader", ForkName::Altair)
            .unwrap_err();
        assert!(
            matches!(&e, TypesError::Json { path, fork: ForkName::Altair, .. } if path == "$.slot"),
            "{e:?}"
        );
    }

    /// `json_to_ssz` then `ssz_to_json` gives `value` back.
    fn round_trip(ty: &SszType, value: Value) {
        let bytes = json_to_ssz(ty, &value).unwrap();
        assert_eq!(ssz_to_json(ty, &bytes).unwrap(), value);
    }

    #[test]
    fn writes_the_json_it_reads() {
        round_trip(BeaconBlockHeader::ssz_type(), header_json());
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        for (size, v) in [
            (1, "0"),
            (1, "255"),
            (2, "258"),
            (8, "18446744073709551615"),
        ] {
            round_trip(&SszType::Uint(size), json!(v));
        }
        round_trip(&SszType::Uint(32), json!(max));
        round_trip(&SszType::Uint(32), json!("18446744073709551616"));
        round_trip(&SszType::Boolean, json!(true));
        round_trip(&SszType::Bitvector(4), json!("0x0f"));
        round_trip(&SszType::Bitlist(8), json!("0xff01"));
        round_trip(&SszType::ProgressiveBitlist, json!("0x01"));
        round_trip(&SszType::List(&SszType::Byte, 3), json!("0x"));
        round_trip(&SszType::List(&SszType::Uint(1), 3), json!(["1", "7"]));
        round_trip(&SszType::ProgressiveList(&SszType::Byte), json!("0xab"));
        let nested = SszType::List(&SszType::List(&SszType::Byte, 4), 4);
        round_trip(&nested, json!(["0xaabb", "0x", "0xcc"]));
        round_trip(&nested, json!([]));
    }

    #[test]
    fn json_text_keeps_the_spec_field_order() {
        let ty = BeaconBlockHeader::ssz_type();
        let bytes = json_to_ssz(ty, &header_json()).unwrap();
        let text = String::from_utf8(ssz_to_json_text(ty, &bytes).unwrap()).unwrap();
        let want = format!(
            r#"{{"slot":"7","proposer_index":"18446744073709551615","parent_root":"0x{}","state_root":"0x{}","body_root":"0x{}"}}"#,
            "01".repeat(32),
            "02".repeat(32),
            "03".repeat(32)
        );
        assert_eq!(text, want);
        let e = ssz_to_json_text(ty, &bytes[1..]).unwrap_err();
        assert_eq!(e.reason, "expected 112 bytes of SSZ, got 111 bytes");
    }

    #[test]
    fn bytes_that_are_no_value_of_the_type_are_refused_with_their_path() {
        let ty = BeaconBlockHeader::ssz_type();
        let bytes = json_to_ssz(ty, &header_json()).unwrap();
        let e = ssz_to_json(ty, &bytes[..111]).unwrap_err();
        assert_eq!(e.to_string(), "$: expected 112 bytes of SSZ, got 111 bytes");
        let e = ssz_to_json(&SszType::Boolean, &[2]).unwrap_err();
        assert_eq!(e.reason, "expected a boolean byte (0 or 1), got 2");
        let e = ssz_to_json(&SszType::Bitvector(4), &[0x1f]).unwrap_err();
        assert!(e.reason.contains("bits past the 4th zero"), "{e}");
        let e = ssz_to_json(&SszType::Bitlist(8), &[0xff, 0x03]).unwrap_err();
        assert_eq!(e.reason, "expected a Bitlist of at most 8 bits, got 9 bits");
        let e = ssz_to_json(&SszType::Bitlist(8), &[0xff, 0x00]).unwrap_err();
        assert!(e.reason.contains("delimiter bit"), "{e}");
        let e = ssz_to_json(&SszType::List(&SszType::Byte, 3), &[1, 2, 3, 4]).unwrap_err();
        assert_eq!(e.reason, "expected at most 3 bytes, got 4 bytes");
        let flags = SszType::List(&SszType::Uint(8), 2);
        let e = ssz_to_json(&flags, &[0; 12]).unwrap_err();
        assert_eq!(e.reason, "expected a multiple of 8 bytes, got 12 bytes");
        let e = ssz_to_json(&flags, &[0; 24]).unwrap_err();
        assert_eq!(e.reason, "expected at most 2 elements, got 3 elements");
        // Offsets: the first must end the offset table, none may go back or past the end.
        let nested = SszType::List(&SszType::List(&SszType::Byte, 4), 4);
        for (bad, want) in [
            (
                vec![8, 0, 0, 0, 12, 0, 0, 0, 0xaa],
                "expected an offset from 8 to 9, got 12",
            ),
            (
                vec![8, 0, 0, 0, 7, 0, 0, 0],
                "expected an offset from 8 to 8, got 7",
            ),
            (vec![6, 0, 0, 0, 0, 0], "non-zero multiple of 4"),
            (
                vec![8, 0],
                "expected a 4-byte offset at byte 0, got 2 bytes",
            ),
        ] {
            let e = ssz_to_json(&nested, &bad).unwrap_err();
            assert!(e.reason.contains(want), "{bad:?}: {e}");
        }
        // A container's first offset must end its fixed part; a bad field is named.
        let payload = SszType::Container(&crate::types::ContainerType {
            name: "P",
            fields: &[
                ("a", SszType::Uint(1)),
                ("b", SszType::List(&SszType::Byte, 1)),
            ],
        });
        assert_eq!(
            ssz_to_json(&payload, &[7, 5, 0, 0, 0, 0xab]).unwrap(),
            json!({"a": "7", "b": "0xab"})
        );
        let e = ssz_to_json(&payload, &[7, 6, 0, 0, 0, 0xab]).unwrap_err();
        assert_eq!(e.reason, "expected an offset from 5 to 5, got 6");
        let e = ssz_to_json(&payload, &[7, 5, 0, 0, 0, 1, 2]).unwrap_err();
        assert_eq!(e.to_string(), "$.b: expected at most 1 bytes, got 2 bytes");
    }
}
