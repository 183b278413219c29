//! SSZ types of the beacon chain for every fork from phase0 to Gloas, generic over the preset.
//!
//! Every container is declared once, in `containers.rs`, with the forks at which it changed; the
//! macros of `forks.rs` expand that into one module per fork holding the fork's version of every
//! container. A container that did not change at a fork is re-exported from the fork that last
//! changed it, so `deneb::BeaconBlockHeader` and `phase0::BeaconBlockHeader` are the same type.
//! [`any`] wraps the per-fork families in fork-tagged enums (`AnyBeaconState`,
//! `AnySignedBeaconBlock`, ...) for code that learns the fork at run time (from
//! `Eth-Consensus-Version`, a slot, or the state bytes themselves).
//!
//! Every container derives SSZ `Encode`/`Decode` and `TreeHash`, and implements [`SszSchema`],
//! the layout the byte-level merkleizer walks and the one JSON codec ([`json`]) follows: JSON
//! becomes SSZ bytes, then the typed value, and a value's SSZ bytes become its Beacon API JSON
//! (uints as decimal strings, bytes and bitfields as 0x-hex), so no container carries a serde
//! (de)serializer.

pub mod any;
mod containers;
mod forks;
pub mod gloas;
pub mod json;
pub mod light_client;
pub mod preset;
pub mod progressive;
pub mod ssz_type;
mod uint8;

/// Phase0 containers (the beacon chain at genesis).
pub mod phase0 {
    super::containers::containers!(Phase0, phase0);
}
/// Altair containers: sync committees and participation flags replace pending attestations.
pub mod altair {
    super::containers::containers!(Altair, phase0);
}
/// Bellatrix (the Merge) containers: the execution payload enters the block and its header the
/// state.
pub mod bellatrix {
    super::containers::containers!(Bellatrix, altair);
}
/// Capella containers: withdrawals, BLS-to-execution changes, historical summaries.
pub mod capella {
    super::containers::containers!(Capella, bellatrix);
}
/// Deneb containers: blob KZG commitments in the body, blob gas in the payload.
pub mod deneb {
    super::containers::containers!(Deneb, capella);
}
/// Electra containers: execution-layer requests, balance-based churn queues, and attestations
/// that span all committees of a slot (EIP-7549).
pub mod electra {
    super::containers::containers!(Electra, deneb);
}
/// Fulu containers: the block is Electra's; the state gains `proposer_lookahead` (EIP-7917).
pub mod fulu {
    super::containers::containers!(Fulu, electra);
}

#[allow(unused_imports)]
pub use any::*;
pub(crate) use preset::with_preset;
pub use preset::{Mainnet, Minimal, Preset, PresetName};
pub use progressive::{ProgressiveBitlist, ProgressiveContainer, ProgressiveList};
pub use ssz_type::{ContainerType, SszSchema, SszType};

use std::fmt;
use std::str::FromStr;

pub use alloy_primitives::{Address, FixedBytes, B256, U128, U256};
pub use ssz_types::{BitList, BitVector, FixedVector, VariableList};
pub use tree_hash::TreeHash;

/// Slot number (12-second slots on mainnet).
pub type Slot = u64;
/// Epoch number (`SLOTS_PER_EPOCH` slots).
pub type Epoch = u64;
/// An amount in Gwei (10^-9 ETH).
pub type Gwei = u64;
/// Index into the validator registry.
pub type ValidatorIndex = u64;
/// Index of a committee within a slot.
pub type CommitteeIndex = u64;
/// Global withdrawal counter (Capella).
pub type WithdrawalIndex = u64;
pub use uint8::{ParticipationFlags, Uint8};
/// SSZ `Root` as plain bytes: a 32-byte hash tree root, the one form that the store, the Beacon
/// API layer, the verifiers and the devnet pass around and compare.
pub type Root = [u8; 32];
/// SSZ `Root`/`Bytes32` as a field of the typed containers (alloy's `B256`, as Lighthouse's
/// `Hash256`): it brings hex parsing, `Display` and serde in the Beacon API's `0x…` form.
pub type Hash256 = B256;

/// Bytes as `0x`-prefixed lower-case hex, the form the Beacon API and every message here use.
pub fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The reverse of [`hex0x`] for a fixed size: `0x` and exactly `2 * N` hex digits (either case)
/// as `N` bytes, else `None`. Every `0x…` root, version and signature read from text goes
/// through it, so all of them accept the same forms.
pub fn parse_hex0x<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text.strip_prefix("0x")?, &mut bytes).ok()?;
    Some(bytes)
}

/// SSZ `Bytes32`.
pub type Bytes32 = B256;
/// SSZ `Hash32`: an execution-layer hash.
pub type Hash32 = B256;
/// SSZ `Version` (`Bytes4`): a fork version such as `0x04000000`.
pub type Version = FixedBytes<4>;
/// SSZ `DomainType` (`Bytes4`), e.g. `DOMAIN_BEACON_PROPOSER = 0x00000000`.
pub type DomainType = FixedBytes<4>;
/// SSZ `Domain` (`Bytes32`): domain type followed by 28 bytes of the fork data root.
pub type Domain = B256;
/// A compressed BLS12-381 G1 public key (48 bytes).
pub type BlsPublicKey = FixedBytes<48>;
/// A compressed BLS12-381 G2 signature (96 bytes).
pub type BlsSignature = FixedBytes<96>;
/// An execution-layer transaction (Bellatrix), opaque to the consensus layer.
pub type Transaction<P> = VariableList<u8, <P as Preset>::MaxBytesPerTransaction>;
/// SSZ `ProgressiveByteList` (Gloas transactions and block access lists): bytes without a
/// limit, merkleized progressively (EIP-7916).
pub type ProgressiveByteList = ProgressiveList<u8>;
/// A KZG commitment (48 bytes, Deneb).
pub type KzgCommitment = FixedBytes<48>;
/// An execution-layer address (20 bytes).
pub type ExecutionAddress = Address;

/// `DEPOSIT_CONTRACT_TREE_DEPTH + 1` (a spec constant, not a preset value): length of a
/// `Deposit`'s Merkle proof.
pub type DepositProofLength = ssz_types::typenum::U33;
/// `JUSTIFICATION_BITS_LENGTH` (spec constant).
pub type JustificationBitsLength = ssz_types::typenum::U4;

/// `FAR_FUTURE_EPOCH`: the epoch of a fork that is not scheduled.
pub const FAR_FUTURE_EPOCH: Epoch = u64::MAX;

/// A consensus fork, in activation order, so `ForkName::Deneb >= ForkName::Capella`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ForkName {
    Phase0,
    Altair,
    Bellatrix,
    Capella,
    Deneb,
    Electra,
    Fulu,
    /// Gloas (EIP-7732 enshrined proposer-builder separation), as of consensus-specs
    /// v1.7.0-alpha.13.
    Gloas,
}

impl ForkName {
    /// Every fork, oldest first.
    pub const ALL: [ForkName; 8] = [
        ForkName::Phase0,
        ForkName::Altair,
        ForkName::Bellatrix,
        ForkName::Capella,
        ForkName::Deneb,
        ForkName::Electra,
        ForkName::Fulu,
        ForkName::Gloas,
    ];

    /// The name used by the `Eth-Consensus-Version` header and the spec folders.
    pub fn as_str(self) -> &'static str {
        match self {
            ForkName::Phase0 => "phase0",
            ForkName::Altair => "altair",
            ForkName::Bellatrix => "bellatrix",
            ForkName::Capella => "capella",
            ForkName::Deneb => "deneb",
            ForkName::Electra => "electra",
            ForkName::Fulu => "fulu",
            ForkName::Gloas => "gloas",
        }
    }

    /// The fork before this one (`None` for phase0).
    pub fn previous(self) -> Option<ForkName> {
        let i = self as usize;
        i.checked_sub(1).map(|p| ForkName::ALL[p])
    }

    /// The fork after this one (`None` for the newest supported fork).
    pub fn next(self) -> Option<ForkName> {
        ForkName::ALL.get(self as usize + 1).copied()
    }
}

impl fmt::Display for ForkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ForkName {
    type Err = TypesError;
    /// Parses the exact lowercase names; `Eth-Consensus-Version` values are lowercase, and
    /// accepting other spellings would hide a misbehaving server. ASCII case is tolerated.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        ForkName::ALL
            .into_iter()
            .find(|f| f.as_str() == lower)
            .ok_or_else(|| TypesError::UnknownFork { got: s.to_string() })
    }
}

/// Errors from decoding or classifying beacon-chain data.
///
/// None of them is worth retrying with the same bytes; the caller needs other data (another
/// provider, the right fork, the right preset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypesError {
    /// A fork name that is not one of phase0..gloas.
    UnknownFork { got: String },
    /// A preset name that is not `mainnet` or `minimal`.
    UnknownPreset { got: String },
    /// SSZ bytes that do not decode as the expected type.
    SszDecode {
        type_name: &'static str,
        fork: Option<ForkName>,
        reason: String,
    },
    /// JSON that does not read as the expected type: `path` is where in the value (`$` the
    /// value itself, `$.field[index]` a part of it), `reason` says "expected …, got …".
    Json {
        type_name: &'static str,
        fork: ForkName,
        path: String,
        reason: String,
    },
    /// Input shorter than a fixed layout requires.
    TooShort {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A fork version that the network's schedule does not contain.
    UnknownForkVersion { version: Version, network: String },
    /// A type that does not exist at the given fork (e.g. a SyncCommittee before Altair).
    TypeNotInFork { type_name: String, fork: ForkName },
}

impl fmt::Display for TypesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypesError::UnknownFork { got } => write!(
                f,
                "unknown fork: expected one of phase0, altair, bellatrix, capella, deneb, electra, fulu, gloas, got {got:?}"
            ),
            TypesError::UnknownPreset { got } => {
                write!(f, "unknown preset: expected mainnet or minimal, got {got:?}")
            }
            TypesError::SszDecode { type_name, fork: Some(fork), reason } => {
                write!(f, "invalid SSZ: expected a {fork} {type_name}, got bytes that fail with {reason}")
            }
            TypesError::SszDecode { type_name, fork: None, reason } => {
                write!(f, "invalid SSZ: expected a {type_name}, got bytes that fail with {reason}")
            }
            TypesError::Json { type_name, fork, path, reason } => {
                write!(f, "invalid JSON for a {fork} {type_name} at {path}: {reason}")
            }
            TypesError::TooShort { what, expected, got } => {
                write!(f, "{what} too short: expected at least {expected} bytes, got {got}")
            }
            TypesError::UnknownForkVersion { version, network } => write!(
                f,
                "unknown fork version: expected one of the {network} fork versions, got {version}"
            ),
            TypesError::TypeNotInFork { type_name, fork } => {
                write!(f, "type {type_name} does not exist at fork {fork}")
            }
        }
    }
}

impl std::error::Error for TypesError {}

/// Decodes SSZ bytes as `T`, mapping the error into a [`TypesError`] that names the type.
pub fn decode_ssz<T: ssz::Decode>(
    bytes: &[u8],
    type_name: &'static str,
    fork: Option<ForkName>,
) -> Result<T, TypesError> {
    T::from_ssz_bytes(bytes).map_err(|e| TypesError::SszDecode {
        type_name,
        fork,
        reason: format!("{e:?}"),
    })
}

/// Byte offset of `fork.current_version` in every `BeaconState` (phase0..fulu): it follows
/// `genesis_time` (8), `genesis_validators_root` (32), `slot` (8) and `fork.previous_version` (4).
pub const STATE_CURRENT_VERSION_OFFSET: usize = 8 + 32 + 8 + 4;
/// Byte offset of `slot` in every `BeaconState`.
pub const STATE_SLOT_OFFSET: usize = 8 + 32;

/// Reads `fork.current_version` out of a `BeaconState`'s SSZ bytes, without decoding the state.
pub fn state_fork_version_from_ssz(bytes: &[u8]) -> Result<Version, TypesError> {
    let end = STATE_CURRENT_VERSION_OFFSET + 4;
    let slice = bytes
        .get(STATE_CURRENT_VERSION_OFFSET..end)
        .ok_or(TypesError::TooShort {
            what: "BeaconState",
            expected: end,
            got: bytes.len(),
        })?;
    Ok(Version::from_slice(slice))
}

/// Reads `slot` out of a `BeaconState`'s SSZ bytes, without decoding the state.
pub fn state_slot_from_ssz(bytes: &[u8]) -> Result<Slot, TypesError> {
    let end = STATE_SLOT_OFFSET + 8;
    let slice = bytes
        .get(STATE_SLOT_OFFSET..end)
        .ok_or(TypesError::TooShort {
            what: "BeaconState",
            expected: end,
            got: bytes.len(),
        })?;
    let mut le = [0u8; 8];
    le.copy_from_slice(slice);
    Ok(u64::from_le_bytes(le))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_names_round_trip_and_order() {
        for f in ForkName::ALL {
            assert_eq!(f.as_str().parse::<ForkName>().unwrap(), f);
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert!(ForkName::Gloas > ForkName::Fulu && ForkName::Altair > ForkName::Phase0);
        assert_eq!(ForkName::Phase0.previous(), None);
        assert_eq!(ForkName::Gloas.next(), None);
        assert_eq!(ForkName::Fulu.next(), Some(ForkName::Gloas));
        assert_eq!(ForkName::Capella.next(), Some(ForkName::Deneb));
        let err = "heze".parse::<ForkName>().unwrap_err();
        assert!(err.to_string().contains("got \"heze\""), "{err}");
    }

    #[test]
    fn state_prefix_readers_reject_short_input() {
        assert!(matches!(
            state_fork_version_from_ssz(&[0u8; 10]),
            Err(TypesError::TooShort {
                expected: 56,
                got: 10,
                ..
            })
        ));
        let mut bytes = vec![0u8; 64];
        bytes[40] = 7;
        bytes[52..56].copy_from_slice(&[4, 0, 0, 0]);
        assert_eq!(state_slot_from_ssz(&bytes).unwrap(), 7);
        assert_eq!(
            state_fork_version_from_ssz(&bytes).unwrap(),
            Version::from([4, 0, 0, 0])
        );
    }
}
