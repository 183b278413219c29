//! Serde serializers for the Beacon API JSON form that the upstream crates do not provide.
//!
//! Serde only writes JSON here (the devnet's answers, event data); every reader goes through
//! [`super::json`], guided by the SSZ schema. The Beacon API writes every integer as a decimal
//! string and bytes as `0x`-hex.

pub use serde_utils::{quoted_u256, quoted_u64};
pub use ssz_types::serde_utils::{
    hex_fixed_vec, hex_var_list, list_of_hex_var_list, quoted_u64_fixed_vec, quoted_u64_var_list,
};

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

/// `items` as a JSON array, each written as `f` makes it.
fn seq<S: Serializer, T, U: Serialize>(
    items: &[T],
    serializer: S,
    f: impl Fn(&T) -> U,
) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&f(item))?;
    }
    seq.end()
}

/// `ProgressiveList[uint64]` (Gloas balances, inactivity scores, attesting indices) as
/// `["1", "2", ...]`.
pub mod quoted_u64_prog_list {
    pub fn serialize<S: serde::Serializer>(
        value: &crate::types::ProgressiveList<u64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::seq(value, serializer, u64::to_string)
    }
}

/// `ProgressiveByteList` (a Gloas transaction, a block access list) as `0x`-hex.
pub mod hex_prog_bytes {
    pub fn serialize<S: serde::Serializer>(
        value: &crate::types::ProgressiveList<u8>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::types::hex0x(&value[..]))
    }
}

/// `ProgressiveList[ProgressiveByteList]` (Gloas `transactions`) as a list of `0x`-hex strings.
pub mod list_of_hex_prog_bytes {
    use crate::types::ProgressiveList;

    pub fn serialize<S: serde::Serializer>(
        value: &ProgressiveList<ProgressiveList<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::seq(value, serializer, |v| crate::types::hex0x(&v[..]))
    }
}

/// `Vector[Vector[uint64, M], N]` (Gloas `ptc_window`) as nested lists of decimal strings.
pub mod quoted_u64_fixed_vec_vec {
    use ssz_types::{typenum::Unsigned, FixedVector};

    pub fn serialize<S: serde::Serializer, M: Unsigned, N: Unsigned>(
        value: &FixedVector<FixedVector<u64, M>, N>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        super::seq(value, serializer, |row| {
            row.iter().map(u64::to_string).collect::<Vec<_>>()
        })
    }
}
