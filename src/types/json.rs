//! Beacon API JSON to SSZ bytes, guided by an [`SszType`]: one reader for every container.
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
//! `List[uint8, N]` and `ByteList[N]` have the same SSZ type; the JSON tells them apart: a string
//! is read as hex (`extra_data`), an array element by element (participation flags).
//!
//! Errors name the JSON path of the bad value (`$` is the value itself, `$.a.b[3]` a field of
//! a field's element) and say "expected …, got …".

use std::fmt;

use serde_json::Value;

use super::{decode_ssz, ForkName, SszSchema, SszType, TypesError};

/// A JSON value that does not fit its SSZ type: where and why.
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

/// Reads `value` as the Beacon API JSON of `T` at `fork`: [`json_to_ssz`] with `T`'s schema,
/// then `T`'s SSZ decoder. `type_name` names the type in errors.
pub fn decode_json<T: ssz::Decode + SszSchema>(
    value: &Value,
    type_name: &'static str,
    fork: ForkName,
) -> Result<T, TypesError> {
    let bytes = json_to_ssz(&T::ssz_type(), value).map_err(|e| TypesError::Json {
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
        SszType::ByteVector(n) => {
            let bytes = hex_bytes(value)?;
            if bytes.len() != *n {
                return fail(format!(
                    "expected {n} bytes of 0x-hex, got {} bytes",
                    bytes.len()
                ));
            }
            out.extend_from_slice(&bytes);
            Ok(())
        }
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
        SszType::Container(_, fields) | SszType::ProgressiveContainer(_, _, fields) => {
            container(fields, value, out)
        }
    }
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

/// `List[T, limit]`, or `ProgressiveList[T]` without a limit; a byte list may come as hex.
fn list(elem: &SszType, limit: Option<u64>, value: &Value, out: &mut Vec<u8>) -> Written {
    let too_many = |len: usize| -> Written {
        match limit {
            Some(limit) if len as u64 > limit => fail(format!(
                "expected at most {limit} elements, got {len} elements"
            )),
            _ => Ok(()),
        }
    };
    if *elem == SszType::Uint(1) && value.is_string() {
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
    out.extend_from_slice(&bytes);
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
        let bytes = json_to_ssz(&BeaconBlockHeader::ssz_type(), &header_json()).unwrap();
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
            json_to_ssz(&ty, &with_number).unwrap(),
            json_to_ssz(&ty, &header_json()).unwrap()
        );
        for bad in [json!(-7), json!(7.5), json!(1e30), json!(null), json!(true)] {
            let mut v = header_json();
            v["slot"] = bad.clone();
            let e = json_to_ssz(&ty, &v).unwrap_err();
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
        let e = json_to_ssz(&ty, &v).unwrap_err();
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
            let e = json_to_ssz(&ty, &v).unwrap_err();
            assert_eq!(e.path, "$.state_root", "{text}");
            assert!(e.reason.starts_with(want), "{text}: {e}");
        }
        let mut upper = header_json();
        upper["state_root"] = json!(format!("0x{}", "AB".repeat(32)));
        assert_eq!(json_to_ssz(&ty, &upper).unwrap()[48..80], [0xab; 32]);
    }

    #[test]
    fn a_missing_field_is_named_and_extra_fields_are_ignored() {
        let ty = BeaconBlockHeader::ssz_type();
        let mut v = header_json();
        v.as_object_mut().unwrap().remove("body_root");
        let e = json_to_ssz(&ty, &v).unwrap_err();
        assert_eq!(e.to_string(), "$: expected the field `body_root`, got none");
        let mut v = header_json();
        v["future_field"] = json!("1");
        assert!(json_to_ssz(&ty, &v).is_ok());
        let e = json_to_ssz(&ty, &json!([1, 2])).unwrap_err();
        assert_eq!(e.reason, "expected an object, got an array of 2 elements");
    }

    #[test]
    fn lists_and_vectors_are_bounded() {
        let list = SszType::List(Box::new(SszType::Uint(8)), 2);
        assert_eq!(
            json_to_ssz(&list, &json!(["1", "2"])).unwrap(),
            [1u64.to_le_bytes(), 2u64.to_le_bytes()].concat()
        );
        let e = json_to_ssz(&list, &json!(["1", "2", "3"])).unwrap_err();
        assert_eq!(e.reason, "expected at most 2 elements, got 3 elements");
        let e = json_to_ssz(&list, &json!(["1", "x"])).unwrap_err();
        assert_eq!(e.path, "$[1]");
        let vector = SszType::Vector(Box::new(SszType::ByteVector(1)), 2);
        let e = json_to_ssz(&vector, &json!(["0x01"])).unwrap_err();
        assert_eq!(e.reason, "expected an array of 2 elements, got 1 elements");
        // A byte list as hex, bounded in bytes; as an array, element by element.
        let bytes = SszType::List(Box::new(SszType::Uint(1)), 3);
        assert_eq!(json_to_ssz(&bytes, &json!("0x010203")).unwrap(), [1, 2, 3]);
        assert_eq!(json_to_ssz(&bytes, &json!(["1", "2"])).unwrap(), [1, 2]);
        let e = json_to_ssz(&bytes, &json!("0x01020304")).unwrap_err();
        assert_eq!(e.reason, "expected at most 3 elements, got 4 elements");
    }

    #[test]
    fn variable_size_elements_get_offsets() {
        // List[List[uint8, 4], 4]: offsets 8 and 10, then the two byte lists.
        let ty = SszType::List(Box::new(SszType::List(Box::new(SszType::Uint(1)), 4)), 4);
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
}
