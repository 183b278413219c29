//! SSZ types as data ([`SszType`]), and [`SszSchema`]: the SSZ type of a Rust type.
//!
//! The byte-level merkleizer (`crate::merkle`) walks SSZ bytes guided by an [`SszType`] instead
//! of decoding into the typed structs, so it never allocates per validator. Every container
//! declared with `fork_container!` implements [`SszSchema`] from its own field list, so that
//! schema cannot drift from the typed containers: one declaration gives both.
//!
//! A schema is static data: [`SszSchema::SSZ_TYPE`] is an associated constant, evaluated by the
//! compiler, whose element types and field lists are `&'static` references to other types'
//! constants. No code builds a schema at run time, and [`SszSchema::ssz_type`] hands out a
//! reference to the constant, so fetching a schema costs nothing.

use ssz_types::typenum::Unsigned;

use super::{Address, BitList, BitVector, FixedBytes, FixedVector, VariableList, U128, U256};

/// An SSZ type, enough to locate, validate and merkleize a value from its bytes.
///
/// Nested types are `&'static`, so a whole schema can be a constant (see [`SszSchema`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SszType {
    /// `uintN` (N = 8 × the byte size); `Uint(32)` is `uint256`.
    Uint(usize),
    /// `byte`: SSZ-wise a `uint8`, but bytes are `0x`-hex in JSON where a `uint8` is a number.
    /// `ByteList[N]` is `List(Byte, N)`; `ByteVector[N]` has its own variant.
    Byte,
    /// `boolean`: one byte, 0 or 1.
    Boolean,
    /// `ByteVector[N]` (`Bytes4`, `Bytes32`, `BLSPubkey` = 48, ...).
    ByteVector(usize),
    /// `Vector[T, N]`.
    Vector(&'static SszType, usize),
    /// `List[T, N]` (`ByteList[N]` is `List[uint8, N]`).
    List(&'static SszType, u64),
    /// `Bitvector[N]`.
    Bitvector(usize),
    /// `Bitlist[N]`.
    Bitlist(u64),
    /// A container: its name and its fields in order.
    Container(&'static ContainerType),
    /// `ProgressiveList[T]` (EIP-7916): a list without a limit, merkleized progressively.
    ProgressiveList(&'static SszType),
    /// `ProgressiveBitlist` (EIP-7916): a bitlist without a limit, merkleized progressively.
    ProgressiveBitlist,
    /// `ProgressiveContainer(active_fields)` (EIP-7495): its name and fields, and its
    /// `active_fields` configuration (the tree position of each field: the `j`-th `true` is
    /// field `j`, a `false` is a position without a field). Serialized like a container;
    /// merkleized progressively with the configuration mixed in.
    ProgressiveContainer(&'static ContainerType, &'static [bool]),
}

/// The name and fields of a container or progressive container. Behind a reference, so that an
/// [`SszType`] stays 16 bytes on wasm32 (a field of a schema is its name and an `SszType`).
#[derive(Debug, PartialEq, Eq)]
pub struct ContainerType {
    /// The container's name (`BeaconState`), for error paths.
    pub name: &'static str,
    /// The fields in order: each one's name and type.
    pub fields: &'static [(&'static str, SszType)],
}

// Every field of every schema constant holds an `SszType`: keep it at 16 bytes on wasm32.
#[cfg(target_pointer_width = "32")]
const _: () = assert!(std::mem::size_of::<SszType>() == 16);

impl SszType {
    /// Size in bytes when the type is fixed-size, `None` for variable-size types.
    pub fn fixed_size(&self) -> Option<usize> {
        match self {
            SszType::Uint(n) | SszType::ByteVector(n) => Some(*n),
            SszType::Boolean | SszType::Byte => Some(1),
            SszType::Bitvector(n) => Some(n.div_ceil(8)),
            SszType::Vector(e, n) => e.fixed_size().map(|s| s * n),
            SszType::Container(c) | SszType::ProgressiveContainer(c, _) => {
                c.fields.iter().map(|(_, t)| t.fixed_size()).sum()
            }
            SszType::List(..)
            | SszType::Bitlist(_)
            | SszType::ProgressiveList(_)
            | SszType::ProgressiveBitlist => None,
        }
    }

    /// Basic types (`uintN`, `byte`, `boolean`) are packed several per chunk.
    pub fn is_basic(&self) -> bool {
        matches!(self, SszType::Uint(_) | SszType::Byte | SszType::Boolean)
    }

    /// Bytes this type takes in its parent's fixed part: its size, or a 4-byte offset.
    pub fn fixed_part_size(&self) -> usize {
        self.fixed_size().unwrap_or(4)
    }

    /// The fields of a container or progressive container (empty for other types).
    pub fn fields(&self) -> &'static [(&'static str, SszType)] {
        match self {
            SszType::Container(c) | SszType::ProgressiveContainer(c, _) => c.fields,
            _ => &[],
        }
    }

    /// The name of a container or progressive container (`""` for other types).
    pub fn name(&self) -> &'static str {
        match self {
            SszType::Container(c) | SszType::ProgressiveContainer(c, _) => c.name,
            _ => "",
        }
    }

    /// Index of the container field `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields().iter().position(|(n, _)| *n == name)
    }
}

/// The SSZ type of a Rust type. Containers get it from `fork_container!`; the SSZ basic types,
/// byte vectors and the `ssz_types` collections have it here.
pub trait SszSchema {
    /// This type's SSZ type, as a constant: nested types refer to their own types' constants.
    const SSZ_TYPE: SszType;

    /// This type's SSZ type: a reference to [`SszSchema::SSZ_TYPE`], built by nothing at run
    /// time.
    fn ssz_type() -> &'static SszType {
        &Self::SSZ_TYPE
    }
}

impl SszSchema for u64 {
    const SSZ_TYPE: SszType = SszType::Uint(8);
}

impl SszSchema for u32 {
    const SSZ_TYPE: SszType = SszType::Uint(4);
}

impl SszSchema for u16 {
    const SSZ_TYPE: SszType = SszType::Uint(2);
}

impl SszSchema for U128 {
    const SSZ_TYPE: SszType = SszType::Uint(16);
}

/// A `u8` is the spec's `byte` (`extra_data`, transactions); a `uint8` that is a number
/// (participation flags, a builder's version) is a [`super::Uint8`]. A vector of bytes is a
/// `ByteVector` (see the `FixedVector` schema).
impl SszSchema for u8 {
    const SSZ_TYPE: SszType = SszType::Byte;
}

impl SszSchema for bool {
    const SSZ_TYPE: SszType = SszType::Boolean;
}

impl SszSchema for U256 {
    const SSZ_TYPE: SszType = SszType::Uint(32);
}

impl<const N: usize> SszSchema for FixedBytes<N> {
    const SSZ_TYPE: SszType = SszType::ByteVector(N);
}

impl SszSchema for Address {
    const SSZ_TYPE: SszType = SszType::ByteVector(20);
}

/// `Vector[T, N]`; a vector of bytes (`T` = `u8`) is a `ByteVector[N]`.
impl<T: SszSchema, N: Unsigned> SszSchema for FixedVector<T, N> {
    const SSZ_TYPE: SszType = match T::SSZ_TYPE {
        SszType::Byte => SszType::ByteVector(N::USIZE),
        _ => SszType::Vector(&T::SSZ_TYPE, N::USIZE),
    };
}

impl<T: SszSchema, N: Unsigned> SszSchema for VariableList<T, N> {
    const SSZ_TYPE: SszType = SszType::List(&T::SSZ_TYPE, N::U64);
}

impl<N: Unsigned> SszSchema for BitVector<N> {
    const SSZ_TYPE: SszType = SszType::Bitvector(N::USIZE);
}

impl<N: Unsigned> SszSchema for BitList<N> {
    const SSZ_TYPE: SszType = SszType::Bitlist(N::U64);
}
