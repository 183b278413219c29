//! Progressive SSZ types: [`ProgressiveList`] and [`ProgressiveBitlist`] (EIP-7916), and
//! [`progressive_container!`](crate::progressive_container) for `ProgressiveContainer`
//! (EIP-7495), as Gloas uses them (consensus-specs `ssz/simple-serialize.md`).
//!
//! Why our own: `ssz_types` 0.14 and `tree_hash` 0.12 know neither type. Their serialization is
//! that of `List`, `Bitlist` and `Container`, so encoding and decoding reuse `ethereum_ssz`
//! (`Vec<T>` and the `ssz_derive` container code, with its offset checks); only the
//! merkleization differs, and that comes from [`crate::hash::progressive`], the code the
//! byte-level merkleizer uses too. Each type also has its [`SszSchema`], so a Gloas state can be
//! hashed straight from its bytes.

use ssz::{Decode, DecodeError, Encode};
use tree_hash::{Hash256, PackedEncoding, TreeHash, TreeHashType};

use super::{SszSchema, SszType};
use crate::hash::progressive::{merkleize_progressive, merkleize_progressive_packed};
use crate::hash::tree::{mix_in_length, Reducer};

#[doc(hidden)]
pub use tree_hash as __tree_hash;

/// A `ProgressiveContainer(active_fields)`: which positions of the progressive tree its fields
/// take. Implemented by [`progressive_container!`](crate::progressive_container).
pub trait ProgressiveContainer {
    /// `active_fields`: one `true` per field, in field order; `false` marks a position that a
    /// field of another fork (or a removed field) takes, so every field keeps its gindex.
    const ACTIVE_FIELDS: &'static [bool];
}

/// `ProgressiveList[T]`: a list without a limit (EIP-7916). Serialized as `List[T, N]`;
/// merkleized progressively with the length mixed in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProgressiveList<T>(Vec<T>);

impl<T> ProgressiveList<T> {
    /// The list of `items`.
    pub fn new(items: Vec<T>) -> Self {
        ProgressiveList(items)
    }

    /// The items, given back.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }

    /// Appends an item (there is no limit).
    pub fn push(&mut self, item: T) {
        self.0.push(item)
    }
}

impl<T> From<Vec<T>> for ProgressiveList<T> {
    fn from(items: Vec<T>) -> Self {
        ProgressiveList(items)
    }
}

impl<T> std::ops::Deref for ProgressiveList<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> std::ops::DerefMut for ProgressiveList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: Encode> Encode for ProgressiveList<T> {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    fn ssz_append(&self, buf: &mut Vec<u8>) {
        self.0.ssz_append(buf)
    }

    fn ssz_bytes_len(&self) -> usize {
        self.0.ssz_bytes_len()
    }
}

impl<T: Decode> Decode for ProgressiveList<T> {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    /// Decodes as `Vec<T>` does: fixed-size items must fill the bytes exactly, variable-size
    /// ones are located by validated offsets.
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        Vec::<T>::from_ssz_bytes(bytes).map(ProgressiveList)
    }
}

impl<T: TreeHash> TreeHash for ProgressiveList<T> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::List
    }

    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a list is never packed")
    }

    fn tree_hash_packing_factor() -> usize {
        unreachable!("a list is never packed")
    }

    /// `mix_in_length(merkleize_progressive(pack(value) or element roots), len(value))`.
    fn tree_hash_root(&self) -> Hash256 {
        let mut r = Reducer::new();
        let root = if T::tree_hash_type() == TreeHashType::Basic {
            let mut packed = Vec::with_capacity(self.0.len() * 32 / T::tree_hash_packing_factor());
            for item in &self.0 {
                packed.extend_from_slice(&item.tree_hash_packed_encoding());
            }
            merkleize_progressive_packed(&packed, &mut r)
        } else {
            let mut roots = Vec::with_capacity(self.0.len() * 32);
            for item in &self.0 {
                roots.extend_from_slice(item.tree_hash_root().as_slice());
            }
            merkleize_progressive(&roots, &mut r)
        };
        Hash256::from(mix_in_length(&root, self.0.len() as u64))
    }
}

impl<T: SszSchema> SszSchema for ProgressiveList<T> {
    const SSZ_TYPE: SszType = SszType::ProgressiveList(&T::SSZ_TYPE);
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for ProgressiveList<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(ProgressiveList)
    }
}

/// `ProgressiveBitlist`: a bitlist without a limit (EIP-7916). Serialized as `Bitlist[N]` (a
/// delimiter bit after the last bit); merkleized progressively with the bit length mixed in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProgressiveBitlist {
    /// Number of bits.
    len: usize,
    /// The bits, little-endian within each byte, `len.div_ceil(8)` bytes, unused high bits zero.
    bytes: Vec<u8>,
}

impl ProgressiveBitlist {
    /// `len` zero bits.
    pub fn with_len(len: usize) -> Self {
        ProgressiveBitlist {
            len,
            bytes: vec![0; len.div_ceil(8)],
        }
    }

    /// The bitlist of `bits`.
    pub fn from_bools(bits: &[bool]) -> Self {
        let mut b = Self::with_len(bits.len());
        for (i, _) in bits.iter().enumerate().filter(|(_, &on)| on) {
            b.bytes[i / 8] |= 1 << (i % 8);
        }
        b
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`, `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        (i < self.len).then(|| self.bytes[i / 8] >> (i % 8) & 1 == 1)
    }

    /// Sets bit `i`; returns `false` (and changes nothing) when `i` is past the end.
    pub fn set(&mut self, i: usize, on: bool) -> bool {
        if i >= self.len {
            return false;
        }
        if on {
            self.bytes[i / 8] |= 1 << (i % 8);
        } else {
            self.bytes[i / 8] &= !(1 << (i % 8));
        }
        true
    }

    /// Appends a bit.
    pub fn push(&mut self, on: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        self.len += 1;
        self.set(self.len - 1, on);
    }

    /// The bits in order.
    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(|i| self.bytes[i / 8] >> (i % 8) & 1 == 1)
    }
}

impl Encode for ProgressiveBitlist {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    fn ssz_append(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.extend_from_slice(&self.bytes);
        if self.len.is_multiple_of(8) {
            buf.push(1);
        } else {
            buf[start + self.len / 8] |= 1 << (self.len % 8);
        }
    }

    fn ssz_bytes_len(&self) -> usize {
        self.len / 8 + 1
    }
}

impl Decode for ProgressiveBitlist {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    /// The last byte must hold the delimiter bit (so it is never zero, and there is one).
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let Some(&last) = bytes.last().filter(|&&b| b != 0) else {
            return Err(DecodeError::BytesInvalid(format!(
                "ProgressiveBitlist: expected a last byte holding the length delimiter bit, got {}",
                bytes
                    .last()
                    .map_or("no bytes".to_string(), |b| format!("{b:#04x}"))
            )));
        };
        let high = 7 - last.leading_zeros() as usize;
        let len = 8 * (bytes.len() - 1) + high;
        let mut out = bytes[..len.div_ceil(8)].to_vec();
        if high != 0 {
            // The delimiter shares the last byte with the last bits: clear it.
            let l = out.len() - 1;
            out[l] &= !(1 << high);
        }
        Ok(ProgressiveBitlist { len, bytes: out })
    }
}

impl TreeHash for ProgressiveBitlist {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::List
    }

    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a bitlist is never packed")
    }

    fn tree_hash_packing_factor() -> usize {
        unreachable!("a bitlist is never packed")
    }

    /// `mix_in_length(merkleize_progressive(pack_bits(value)), len(value))`.
    fn tree_hash_root(&self) -> Hash256 {
        let root = merkleize_progressive_packed(&self.bytes, &mut Reducer::new());
        Hash256::from(mix_in_length(&root, self.len as u64))
    }
}

impl SszSchema for ProgressiveBitlist {
    const SSZ_TYPE: SszType = SszType::ProgressiveBitlist;
}

/// JSON and YAML: the SSZ bytes as `0x`-hex, as for `Bitlist[N]`.
impl<'de> serde::Deserialize<'de> for ProgressiveBitlist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(d)?;
        let hex = text.strip_prefix("0x").ok_or_else(|| {
            D::Error::custom(format!("expected 0x-prefixed hex bytes, got `{text}`"))
        })?;
        let bytes = hex::decode(hex)
            .map_err(|e| D::Error::custom(format!("expected hex bytes, got `{text}`: {e}")))?;
        Self::from_ssz_bytes(&bytes).map_err(|e| D::Error::custom(format!("{e:?}")))
    }
}

/// Declares a `ProgressiveContainer(active_fields=[...])` (EIP-7495): the struct, its
/// [`ProgressiveContainer`](crate::types::progressive::ProgressiveContainer) configuration,
/// its [`SszSchema`](crate::types::SszSchema) and its `TreeHash`. Serialization is a
/// container's, so derive `ssz_derive::{Encode, Decode}` as for any container. An
/// illegal configuration (empty, over 256 entries, ending in 0, or not one `1` per field) is a
/// compile error.
///
/// ```
/// use beacon_lightsync::progressive_container;
/// use beacon_lightsync::types::progressive::ProgressiveBitlist;
/// use ssz_derive::{Decode, Encode};
///
/// progressive_container! {
///     #[derive(Clone, Debug, Default, PartialEq, Encode, Decode)]
///     pub struct Square active_fields [1, 0, 1] {
///         side: u16,
///         color: u8,
///     }
/// }
/// ```
///
/// `active_fields all` stands for `[1] * n`, one active position per field, as the spec writes
/// every Gloas container (`ProgressiveContainer(active_fields=[1] * 46)`).
#[macro_export]
macro_rules! progressive_container {
    (@bits [$($bit:literal),+ $(,)?]; $($field:ident)+) => { &[$($bit != 0),+] };
    (@bits all; $($field:ident)+) => { &[$({ let _ = stringify!($field); true }),+] };
    (
        $(#[$attr:meta])*
        pub struct $name:ident $(<$p:ident>)? active_fields $bits:tt {
            $($(#[$m:meta])* $field:ident : $ty:ty),+ $(,)?
        }
    ) => {
        $(#[$attr])*
        pub struct $name $(<$p: $crate::types::Preset>)? {
            $($(#[$m])* pub $field: $ty,)+
        }

        const _: () = assert!(
            $crate::hash::progressive::active_fields_valid(
                $crate::progressive_container!(@bits $bits; $($field)+),
                [$(stringify!($field)),+].len(),
            ),
            concat!(
                "illegal active_fields for ",
                stringify!($name),
                ": expected at most 256 entries, ending in 1, one 1 per field"
            ),
        );

        impl $(<$p: $crate::types::Preset>)? $crate::types::progressive::ProgressiveContainer
            for $name $(<$p>)?
        {
            const ACTIVE_FIELDS: &'static [bool] =
                $crate::progressive_container!(@bits $bits; $($field)+);
        }

        impl $(<$p: $crate::types::Preset>)? $crate::types::SszSchema for $name $(<$p>)? {
            const SSZ_TYPE: $crate::types::SszType =
                $crate::types::SszType::ProgressiveContainer(
                    &$crate::types::ContainerType {
                        name: stringify!($name),
                        fields: &[$((stringify!($field), <$ty as $crate::types::SszSchema>::SSZ_TYPE),)+],
                    },
                    <Self as $crate::types::progressive::ProgressiveContainer>::ACTIVE_FIELDS,
                );
        }

        impl $(<$p: $crate::types::Preset>)? $crate::types::progressive::__tree_hash::TreeHash
            for $name $(<$p>)?
        {
            fn tree_hash_type() -> $crate::types::progressive::__tree_hash::TreeHashType {
                $crate::types::progressive::__tree_hash::TreeHashType::Container
            }

            fn tree_hash_packed_encoding(
                &self,
            ) -> $crate::types::progressive::__tree_hash::PackedEncoding {
                unreachable!("a container is never packed")
            }

            fn tree_hash_packing_factor() -> usize {
                unreachable!("a container is never packed")
            }

            fn tree_hash_root(&self) -> $crate::types::progressive::__tree_hash::Hash256 {
                let roots = [$(
                    $crate::types::progressive::__tree_hash::TreeHash::tree_hash_root(
                        &self.$field,
                    ).0,
                )+];
                $crate::types::progressive::__tree_hash::Hash256::from(
                    $crate::hash::progressive::progressive_container_root(
                        <Self as $crate::types::progressive::ProgressiveContainer>::ACTIVE_FIELDS,
                        roots.as_flattened(),
                        &mut $crate::hash::tree::Reducer::new(),
                    ),
                )
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitlist_encoding_keeps_the_delimiter_apart() {
        for len in [0usize, 1, 7, 8, 9, 255, 256, 257] {
            let bits: Vec<bool> = (0..len).map(|i| i % 3 == 0).collect();
            let b = ProgressiveBitlist::from_bools(&bits);
            let enc = b.as_ssz_bytes();
            assert_eq!(enc.len(), len / 8 + 1);
            assert_eq!(enc[len / 8] >> (len % 8), 1, "delimiter at bit {len}");
            let back = ProgressiveBitlist::from_ssz_bytes(&enc).unwrap();
            assert_eq!(back, b);
            assert_eq!(back.iter().collect::<Vec<_>>(), bits);
        }
        let mut b = ProgressiveBitlist::default();
        for i in 0..20 {
            b.push(i % 2 == 1);
        }
        assert_eq!(b.get(19), Some(true));
        assert_eq!(b.get(20), None);
        assert!(!b.set(20, true));
        assert!(matches!(
            ProgressiveBitlist::from_ssz_bytes(&[]),
            Err(DecodeError::BytesInvalid(_))
        ));
        assert!(matches!(
            ProgressiveBitlist::from_ssz_bytes(&[0xff, 0x00]),
            Err(DecodeError::BytesInvalid(_))
        ));
    }

    #[test]
    fn list_decoding_is_a_lists() {
        let l = ProgressiveList::new(vec![1u16, 2, 3]);
        assert_eq!(l.as_ssz_bytes(), vec![1, 0, 2, 0, 3, 0]);
        assert_eq!(
            ProgressiveList::<u16>::from_ssz_bytes(&[1, 0, 2]),
            Err(DecodeError::InvalidByteLength {
                len: 1,
                expected: 2
            })
        );
        assert_eq!(
            ProgressiveList::<u16>::ssz_type(),
            &SszType::ProgressiveList(&SszType::Uint(2))
        );
    }
}
