//! [`Uint8`]: the spec's `uint8` as a number (`ParticipationFlags`, `Builder.version`).
//!
//! SSZ encodes and merkleizes a `uint8` exactly like a `byte`; only the JSON differs
//! (beacon-APIs writes a `uint8` as a decimal string, bytes as `0x`-hex). A plain `u8` here is
//! the spec's `byte` (`extra_data`, transactions); this newtype lets the schema
//! ([`SszSchema`]) say which one a field holds, so one JSON codec reads and writes both.

use ssz::{Decode, DecodeError, Encode};
use tree_hash::{Hash256, PackedEncoding, TreeHash, TreeHashType};

use super::{SszSchema, SszType};

/// The spec's `uint8`: a number, not a byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Uint8(pub u8);

/// `ParticipationFlags = uint8` (Altair): a validator's timely source/target/head flag bits.
pub type ParticipationFlags = Uint8;

impl From<u8> for Uint8 {
    fn from(bits: u8) -> Self {
        Self(bits)
    }
}

impl SszSchema for Uint8 {
    const SSZ_TYPE: SszType = SszType::Uint(1);
}

impl Encode for Uint8 {
    fn is_ssz_fixed_len() -> bool {
        true
    }
    fn ssz_fixed_len() -> usize {
        1
    }
    fn ssz_bytes_len(&self) -> usize {
        1
    }
    fn ssz_append(&self, buf: &mut Vec<u8>) {
        buf.push(self.0);
    }
}

impl Decode for Uint8 {
    fn is_ssz_fixed_len() -> bool {
        true
    }
    fn ssz_fixed_len() -> usize {
        1
    }
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        u8::from_ssz_bytes(bytes).map(Self)
    }
}

impl TreeHash for Uint8 {
    fn tree_hash_type() -> TreeHashType {
        u8::tree_hash_type()
    }
    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        self.0.tree_hash_packed_encoding()
    }
    fn tree_hash_packing_factor() -> usize {
        u8::tree_hash_packing_factor()
    }
    fn tree_hash_root(&self) -> Hash256 {
        self.0.tree_hash_root()
    }
}
