//! Fork-tagged enums over each container family, for data whose fork is known only at run time.
//!
//! A Beacon API response says its fork in `Eth-Consensus-Version` (or, for a state, in its own
//! `fork.current_version`); the bytes alone cannot say it, because the SSZ layouts of different
//! forks overlap. So every decoder here takes the fork explicitly, and an enum remembers it.

use ssz::Encode;
use tree_hash::TreeHash;

use super::*;

/// Defines a fork-tagged enum with `from_ssz_bytes(fork, bytes)`, `from_json(fork, text)`,
/// `fork()`, `as_ssz_bytes()` and `tree_hash_root()`. Forks without the type are refused with
/// [`TypesError::TypeNotInFork`]. `every fork T` lists `T` of each fork's module, Phase0 to
/// Gloas.
macro_rules! define_any {
    ($(#[$doc:meta])* $name:ident, $type_name:literal, every fork $ty:ident) => {
        $crate::types::any::define_any!($(#[$doc])* $name, $type_name, {
            Phase0 => phase0::$ty<P>,
            Altair => altair::$ty<P>,
            Bellatrix => bellatrix::$ty<P>,
            Capella => capella::$ty<P>,
            Deneb => deneb::$ty<P>,
            Electra => electra::$ty<P>,
            Fulu => fulu::$ty<P>,
            Gloas => gloas::$ty<P>,
        });
    };
    ($(#[$doc:meta])* $name:ident, $type_name:literal, { $($variant:ident => $ty:ty),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $name<P: Preset> {
            $($variant($ty),)+
        }

        impl<P: Preset> $name<P> {
            /// The Beacon API JSON of the value (its `data`, without the `version`).
            pub fn to_json(&self) -> serde_json::Value {
                match self {
                    $(Self::$variant(inner) => $crate::types::json::encode_json(inner),)+
                }
            }

            /// The SSZ type name, as used by consensus-spec-tests folders.
            pub const TYPE_NAME: &'static str = $type_name;

            /// Decodes SSZ bytes as this type at `fork`.
            pub fn from_ssz_bytes(fork: ForkName, bytes: &[u8]) -> Result<Self, TypesError> {
                match fork {
                    $(ForkName::$variant => decode_ssz::<$ty>(bytes, $type_name, Some(fork)).map(Self::$variant),)+
                    #[allow(unreachable_patterns)]
                    other => Err(TypesError::TypeNotInFork { type_name: $type_name.to_string(), fork: other }),
                }
            }

            /// Parses the Beacon API JSON form of this type at `fork` (see [`super::json`]).
            pub fn from_json(fork: ForkName, text: &str) -> Result<Self, TypesError> {
                let value = serde_json::from_str(text).map_err(|e| TypesError::Json {
                    type_name: $type_name,
                    fork,
                    path: "$".into(),
                    reason: format!("expected JSON, got {e}"),
                })?;
                Self::from_json_value(fork, value)
            }

            /// Like [`Self::from_json`], from an already parsed `serde_json::Value`: read into
            /// SSZ bytes by the schema-driven reader, then decoded as SSZ.
            pub fn from_json_value(fork: ForkName, value: serde_json::Value) -> Result<Self, TypesError> {
                match fork {
                    $(ForkName::$variant => super::json::decode_json::<$ty>(&value, $type_name, fork).map(Self::$variant),)+
                    #[allow(unreachable_patterns)]
                    other => Err(TypesError::TypeNotInFork { type_name: $type_name.to_string(), fork: other }),
                }
            }

            /// The fork this value belongs to.
            pub fn fork(&self) -> ForkName {
                match self {
                    $(Self::$variant(_) => ForkName::$variant,)+
                }
            }

            /// SSZ encoding.
            pub fn as_ssz_bytes(&self) -> Vec<u8> {
                match self {
                    $(Self::$variant(inner) => inner.as_ssz_bytes(),)+
                }
            }

            /// `hash_tree_root` of the value.
            pub fn tree_hash_root(&self) -> Hash256 {
                match self {
                    $(Self::$variant(inner) => inner.tree_hash_root(),)+
                }
            }
        }
    };
}

pub(crate) use define_any;

define_any!(
    /// A `BeaconState` of any fork.
    AnyBeaconState, "BeaconState", every fork BeaconState
);

define_any!(
    /// A `SignedBeaconBlock` of any fork.
    AnySignedBeaconBlock, "SignedBeaconBlock", every fork SignedBeaconBlock
);

define_any!(
    /// A `BeaconBlock` of any fork.
    AnyBeaconBlock, "BeaconBlock", every fork BeaconBlock
);

define_any!(
    /// A `BeaconBlockBody` of any fork.
    AnyBeaconBlockBody, "BeaconBlockBody", every fork BeaconBlockBody
);

define_any!(
    /// An `ExecutionPayloadHeader` of any fork from Bellatrix to Fulu (Electra and Fulu use
    /// Deneb's); Gloas has none.
    AnyExecutionPayloadHeader, "ExecutionPayloadHeader", {
    Bellatrix => bellatrix::ExecutionPayloadHeader<P>,
    Capella => capella::ExecutionPayloadHeader<P>,
    Deneb => deneb::ExecutionPayloadHeader<P>,
    Electra => deneb::ExecutionPayloadHeader<P>,
    Fulu => deneb::ExecutionPayloadHeader<P>,
});

define_any!(
    /// An `ExecutionPayload` of any fork from Bellatrix on (Electra and Fulu use Deneb's; Gloas's
    /// travels in the `ExecutionPayloadEnvelope`).
    AnyExecutionPayload, "ExecutionPayload", {
    Bellatrix => bellatrix::ExecutionPayload<P>,
    Capella => capella::ExecutionPayload<P>,
    Deneb => deneb::ExecutionPayload<P>,
    Electra => deneb::ExecutionPayload<P>,
    Fulu => deneb::ExecutionPayload<P>,
    Gloas => gloas::ExecutionPayload<P>,
});

/// Applies `$body` to the inner value of any variant of an eight-fork enum.
macro_rules! map_all_forks {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            Self::Phase0($inner) => $body,
            Self::Altair($inner) => $body,
            Self::Bellatrix($inner) => $body,
            Self::Capella($inner) => $body,
            Self::Deneb($inner) => $body,
            Self::Electra($inner) => $body,
            Self::Fulu($inner) => $body,
            Self::Gloas($inner) => $body,
        }
    };
}

/// `Some($body)` for the listed forks' variants (those whose state has the field), else `None`.
macro_rules! map_forks {
    ($value:expr, [$($fork:ident)+], $inner:ident => $body:expr) => {
        match $value {
            $(Self::$fork($inner) => Some($body),)+
            #[allow(unreachable_patterns)]
            _ => None,
        }
    };
}

impl<P: Preset> AnyBeaconState<P> {
    /// `genesis_time` (Unix seconds).
    pub fn genesis_time(&self) -> u64 {
        map_all_forks!(self, s => s.genesis_time)
    }
    /// `genesis_validators_root`.
    pub fn genesis_validators_root(&self) -> Hash256 {
        map_all_forks!(self, s => s.genesis_validators_root)
    }
    /// `slot`.
    pub fn slot(&self) -> Slot {
        map_all_forks!(self, s => s.slot)
    }
    /// `fork` (the state's `Fork` container, not the [`ForkName`]).
    pub fn fork_info(&self) -> &phase0::Fork {
        map_all_forks!(self, s => &s.fork)
    }
    /// `latest_block_header` as stored (its `state_root` is zero until the next slot fills it).
    pub fn latest_block_header(&self) -> &phase0::BeaconBlockHeader {
        map_all_forks!(self, s => &s.latest_block_header)
    }
    /// `block_roots` (a ring buffer of `SLOTS_PER_HISTORICAL_ROOT` roots).
    pub fn block_roots(&self) -> &FixedVector<Hash256, P::SlotsPerHistoricalRoot> {
        map_all_forks!(self, s => &s.block_roots)
    }
    /// `state_roots` (a ring buffer of `SLOTS_PER_HISTORICAL_ROOT` roots).
    pub fn state_roots(&self) -> &FixedVector<Hash256, P::SlotsPerHistoricalRoot> {
        map_all_forks!(self, s => &s.state_roots)
    }
    /// `historical_roots` (frozen at Capella).
    pub fn historical_roots(&self) -> &VariableList<Hash256, P::HistoricalRootsLimit> {
        map_all_forks!(self, s => &s.historical_roots)
    }
    /// `validators` (a bounded list up to Fulu, a `ProgressiveList` from Gloas).
    pub fn validators(&self) -> &[phase0::Validator] {
        map_all_forks!(self, s => &s.validators)
    }
    /// `balances` (Gwei; a bounded list up to Fulu, a `ProgressiveList` from Gloas).
    pub fn balances(&self) -> &[Gwei] {
        map_all_forks!(self, s => &s.balances)
    }
    /// `finalized_checkpoint`.
    pub fn finalized_checkpoint(&self) -> phase0::Checkpoint {
        map_all_forks!(self, s => s.finalized_checkpoint)
    }
    /// `current_justified_checkpoint`.
    pub fn current_justified_checkpoint(&self) -> phase0::Checkpoint {
        map_all_forks!(self, s => s.current_justified_checkpoint)
    }

    /// The state's block header with `state_root` filled in with `hash_tree_root(state)` when it
    /// is still zero (as `process_slot` does), so it hashes to the root of the state's latest
    /// block. Hashes the whole state; pass the root if you already have it.
    pub fn latest_block_header_filled(
        &self,
        state_root: Option<Hash256>,
    ) -> phase0::BeaconBlockHeader {
        let mut header = *self.latest_block_header();
        if header.state_root == Hash256::ZERO {
            header.state_root = state_root.unwrap_or_else(|| self.tree_hash_root());
        }
        header
    }

    /// `current_sync_committee` (Altair on).
    pub fn current_sync_committee(&self) -> Option<&altair::SyncCommittee<P>> {
        map_forks!(self, [Altair Bellatrix Capella Deneb Electra Fulu Gloas], s => &s.current_sync_committee)
    }

    /// `next_sync_committee` (Altair on).
    pub fn next_sync_committee(&self) -> Option<&altair::SyncCommittee<P>> {
        map_forks!(self, [Altair Bellatrix Capella Deneb Electra Fulu Gloas], s => &s.next_sync_committee)
    }

    /// `historical_summaries` (Capella on).
    pub fn historical_summaries(
        &self,
    ) -> Option<&VariableList<capella::HistoricalSummary, P::HistoricalRootsLimit>> {
        map_forks!(self, [Capella Deneb Electra Fulu Gloas], s => &s.historical_summaries)
    }

    /// `latest_execution_payload_header` (Bellatrix to Fulu; Gloas drops it, see
    /// [`Self::latest_block_hash`] and [`Self::latest_execution_payload_bid`]).
    pub fn latest_execution_payload_header(&self) -> Option<AnyExecutionPayloadHeader<P>> {
        // The header enum's variant is the state's fork.
        macro_rules! header_of {
            ($($fork:ident)+) => {
                match self {
                    $(Self::$fork(s) => Some(AnyExecutionPayloadHeader::$fork(
                        s.latest_execution_payload_header.clone(),
                    )),)+
                    _ => None,
                }
            };
        }
        header_of!(Bellatrix Capella Deneb Electra Fulu)
    }

    /// `latest_block_hash` (Gloas on): the block hash of the latest execution payload delivered.
    pub fn latest_block_hash(&self) -> Option<Hash32> {
        map_forks!(self, [Gloas], s => s.latest_block_hash)
    }

    /// `latest_execution_payload_bid` (Gloas on): the bid of the latest block, whose payload may
    /// or may not have been delivered.
    pub fn latest_execution_payload_bid(&self) -> Option<&gloas::ExecutionPayloadBid> {
        map_forks!(self, [Gloas], s => &s.latest_execution_payload_bid)
    }

    /// Electra churn fields `(deposit_balance_to_consume, exit_balance_to_consume,
    /// earliest_exit_epoch)`, Gwei/Gwei/epoch (Electra on).
    pub fn electra_churn(&self) -> Option<(Gwei, Gwei, Epoch)> {
        map_forks!(self, [Electra Fulu Gloas], s => (
            s.deposit_balance_to_consume,
            s.exit_balance_to_consume,
            s.earliest_exit_epoch,
        ))
    }
}

impl<P: Preset> AnySignedBeaconBlock<P> {
    /// The block root: `hash_tree_root(message)`.
    pub fn message_root(&self) -> Hash256 {
        map_all_forks!(self, b => b.message_root())
    }
    /// The block's header, `body_root` filled in.
    pub fn block_header(&self) -> phase0::BeaconBlockHeader {
        map_all_forks!(self, b => b.message.block_header())
    }
    /// The signed header (`message` = [`Self::block_header`]).
    pub fn signed_block_header(&self) -> phase0::SignedBeaconBlockHeader {
        map_all_forks!(self, b => b.signed_block_header())
    }
    /// `message.slot`.
    pub fn slot(&self) -> Slot {
        map_all_forks!(self, b => b.message.slot)
    }
    /// `message.parent_root`.
    pub fn parent_root(&self) -> Hash256 {
        map_all_forks!(self, b => b.message.parent_root)
    }
    /// `message.state_root`.
    pub fn state_root(&self) -> Hash256 {
        map_all_forks!(self, b => b.message.state_root)
    }
    /// `signature`.
    pub fn signature(&self) -> BlsSignature {
        map_all_forks!(self, b => b.signature)
    }
}

impl<P: Preset> AnyBeaconBlock<P> {
    /// The block root (same as `tree_hash_root`).
    pub fn message_root(&self) -> Hash256 {
        self.tree_hash_root()
    }
    /// The block's header, `body_root` filled in.
    pub fn block_header(&self) -> phase0::BeaconBlockHeader {
        map_all_forks!(self, b => b.block_header())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_types_outside_their_forks_and_bad_bytes() {
        let err = AnyExecutionPayloadHeader::<Mainnet>::from_ssz_bytes(ForkName::Altair, &[])
            .unwrap_err();
        assert!(
            matches!(
                err,
                TypesError::TypeNotInFork {
                    fork: ForkName::Altair,
                    ..
                }
            ),
            "{err}"
        );
        let err =
            AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Deneb, &[1, 2, 3]).unwrap_err();
        assert!(
            matches!(
                err,
                TypesError::SszDecode {
                    fork: Some(ForkName::Deneb),
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("deneb BeaconState"), "{err}");
    }

    /// The schema writes the Beacon API form (`json::encode_json`), which the one reader
    /// (`types::json`) reads back; so does the spec-test YAML form (plain numbers).
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn header_round_trips_through_json() {
        use crate::types::json::{decode_json, encode_json};
        let header = phase0::BeaconBlockHeader {
            slot: 7,
            proposer_index: u64::MAX,
            parent_root: Hash256::repeat_byte(1),
            state_root: Hash256::repeat_byte(2),
            body_root: Hash256::repeat_byte(3),
        };
        let json = encode_json(&header);
        assert_eq!(json["slot"], "7");
        assert_eq!(json["proposer_index"], "18446744073709551615");
        assert_eq!(json["parent_root"], format!("0x{}", "01".repeat(32)));
        let read = |v: &serde_json::Value| {
            decode_json::<phase0::BeaconBlockHeader>(v, "BeaconBlockHeader", ForkName::Phase0)
        };
        assert_eq!(read(&json).unwrap(), header);
        let yaml: serde_json::Value = serde_yaml::from_str(&format!(
            "slot: 7\nproposer_index: 18446744073709551615\nparent_root: '0x{}'\nstate_root: '0x{}'\nbody_root: '0x{}'\n",
            "01".repeat(32), "02".repeat(32), "03".repeat(32)
        ))
        .unwrap();
        assert_eq!(read(&yaml).unwrap(), header);
    }
}
