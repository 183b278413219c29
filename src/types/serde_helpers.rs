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
