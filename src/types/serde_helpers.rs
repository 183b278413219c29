//! Serde adapters for the Beacon API JSON form that the upstream crates do not provide.
//!
//! The Beacon API writes every integer as a decimal string; spec-test YAML writes plain numbers.
//! The adapters here accept both and always write strings.

pub use serde_utils::{quoted_u256, quoted_u64};
pub use ssz_types::serde_utils::{
    hex_fixed_vec, hex_var_list, list_of_hex_var_list, quoted_u64_fixed_vec, quoted_u64_var_list,
};

/// `List[uint8, N]` (Altair participation flags) as `["0", "7", ...]`; plain numbers accepted.
pub mod quoted_u8_var_list {
    use serde::de::Error;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};
    use ssz_types::{typenum::Unsigned, VariableList};

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct QuotedU8(#[serde(with = "serde_utils::quoted_u8")] u8);

    pub fn serialize<S: Serializer, N: Unsigned>(
        value: &VariableList<u8, N>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(value.len()))?;
        for v in value.iter() {
            seq.serialize_element(&v.to_string())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>, N: Unsigned>(
        deserializer: D,
    ) -> Result<VariableList<u8, N>, D::Error> {
        let items: Vec<QuotedU8> = Vec::deserialize(deserializer)?;
        let len = items.len();
        VariableList::new(items.into_iter().map(|q| q.0).collect()).map_err(|_| {
            D::Error::custom(format!(
                "expected at most {} items, got {len}",
                N::to_usize()
            ))
        })
    }
}

/// `ProgressiveList[uint64]` (Gloas balances, inactivity scores, attesting indices) as
/// `["1", "2", ...]`; plain numbers accepted.
pub mod quoted_u64_prog_list {
    use crate::types::ProgressiveList;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &ProgressiveList<u64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serde_utils::quoted_u64_vec::serialize(value, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ProgressiveList<u64>, D::Error> {
        serde_utils::quoted_u64_vec::deserialize(deserializer).map(ProgressiveList::new)
    }
}

/// `ProgressiveList[uint8]` (Gloas participation flags) as `["0", "7", ...]`; plain numbers
/// accepted.
pub mod quoted_u8_prog_list {
    use crate::types::ProgressiveList;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct QuotedU8(#[serde(with = "serde_utils::quoted_u8")] u8);

    pub fn serialize<S: Serializer>(
        value: &ProgressiveList<u8>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(value.len()))?;
        for v in value.iter() {
            seq.serialize_element(&v.to_string())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ProgressiveList<u8>, D::Error> {
        let items: Vec<QuotedU8> = Vec::deserialize(deserializer)?;
        Ok(ProgressiveList::new(
            items.into_iter().map(|q| q.0).collect(),
        ))
    }
}

/// `ProgressiveByteList` (a Gloas transaction, a block access list) as `0x`-hex.
pub mod hex_prog_bytes {
    use crate::types::ProgressiveList;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &ProgressiveList<u8>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serde_utils::hex_vec::serialize(value, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ProgressiveList<u8>, D::Error> {
        serde_utils::hex_vec::deserialize(deserializer).map(ProgressiveList::new)
    }
}

/// `ProgressiveList[ProgressiveByteList]` (Gloas `transactions`) as a list of `0x`-hex strings.
pub mod list_of_hex_prog_bytes {
    use crate::types::ProgressiveList;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Hex(#[serde(with = "serde_utils::hex_vec")] Vec<u8>);

    pub fn serialize<S: Serializer>(
        value: &ProgressiveList<ProgressiveList<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(value.len()))?;
        for v in value.iter() {
            seq.serialize_element(&crate::types::hex0x(&v[..]))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ProgressiveList<ProgressiveList<u8>>, D::Error> {
        let items: Vec<Hex> = Vec::deserialize(deserializer)?;
        Ok(ProgressiveList::new(
            items
                .into_iter()
                .map(|h| ProgressiveList::new(h.0))
                .collect(),
        ))
    }
}

/// `Vector[Vector[uint64, M], N]` (Gloas `ptc_window`) as nested lists of decimal strings;
/// plain numbers accepted.
pub mod quoted_u64_fixed_vec_vec {
    use serde::de::Error;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};
    use ssz_types::{typenum::Unsigned, FixedVector};

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Row(#[serde(with = "serde_utils::quoted_u64_vec")] Vec<u64>);

    pub fn serialize<S: Serializer, M: Unsigned, N: Unsigned>(
        value: &FixedVector<FixedVector<u64, M>, N>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        struct Quoted<'a>(&'a [u64]);
        impl serde::Serialize for Quoted<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde_utils::quoted_u64_vec::serialize(self.0, s)
            }
        }
        let mut seq = serializer.serialize_seq(Some(value.len()))?;
        for row in value.iter() {
            seq.serialize_element(&Quoted(row))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>, M: Unsigned, N: Unsigned>(
        deserializer: D,
    ) -> Result<FixedVector<FixedVector<u64, M>, N>, D::Error> {
        let rows: Vec<Row> = Vec::deserialize(deserializer)?;
        let n = rows.len();
        let rows = rows
            .into_iter()
            .map(|r| {
                let m = r.0.len();
                FixedVector::new(r.0).map_err(|_| {
                    D::Error::custom(format!("expected {} items, got {m}", M::to_usize()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        FixedVector::new(rows)
            .map_err(|_| D::Error::custom(format!("expected {} rows, got {n}", N::to_usize())))
    }
}
