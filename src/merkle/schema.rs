//! The BeaconState schema per fork and preset, as data: which SSZ type each field has.
//!
//! The fast merkleizer walks SSZ bytes guided by this schema instead of decoding into the typed
//! structs of `crate::types`, so it never allocates per validator and never holds a second copy
//! of the state. The schema is not written here: it is derived ([`SszSchema`]) from the same
//! container declarations as the typed structs, with the preset's own limits, so the two cannot
//! disagree on a field, its order or a limit. Each schema is a constant ([`SszSchema::SSZ_TYPE`]);
//! the functions here pick one and build nothing.

use crate::types::{
    altair, bellatrix, capella, deneb, electra, fulu, gloas, phase0, with_preset, ForkName, Preset,
    PresetName, SszSchema,
};

pub use crate::types::{ContainerType, SszType};

/// The `BeaconState` container of `fork` under `preset`.
pub fn beacon_state(fork: ForkName, preset: PresetName) -> &'static SszType {
    with_preset!(preset, P => beacon_state_of::<P>(fork))
}

/// `$ty::<$P>`'s schema in the module of the fork `$fork` names.
macro_rules! of_fork {
    ($fork:expr, $ty:ident::<$P:ident>) => {
        match $fork {
            ForkName::Phase0 => phase0::$ty::<$P>::ssz_type(),
            ForkName::Altair => altair::$ty::<$P>::ssz_type(),
            ForkName::Bellatrix => bellatrix::$ty::<$P>::ssz_type(),
            ForkName::Capella => capella::$ty::<$P>::ssz_type(),
            ForkName::Deneb => deneb::$ty::<$P>::ssz_type(),
            ForkName::Electra => electra::$ty::<$P>::ssz_type(),
            ForkName::Fulu => fulu::$ty::<$P>::ssz_type(),
            ForkName::Gloas => gloas::$ty::<$P>::ssz_type(),
        }
    };
}

/// The `BeaconState` container of `fork` under `P` (Gloas's is a `ProgressiveContainer`,
/// EIP-7688: the merkleizer takes its shape from the schema).
fn beacon_state_of<P: Preset>(fork: ForkName) -> &'static SszType {
    of_fork!(fork, BeaconState::<P>)
}

/// The `SignedBeaconBlock` container of `fork` under `preset`.
pub fn signed_beacon_block(fork: ForkName, preset: PresetName) -> &'static SszType {
    with_preset!(preset, P => of_fork!(fork, SignedBeaconBlock::<P>))
}

/// `BeaconBlockHeader` (unchanged since phase0).
pub fn beacon_block_header() -> &'static SszType {
    phase0::BeaconBlockHeader::ssz_type()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Mainnet, Minimal};
    use ssz::Encode;

    #[test]
    fn field_counts_match_the_specs() {
        // Field counts of BeaconState in specs/<fork>/beacon-chain.md.
        let want = [
            (ForkName::Phase0, 21),
            (ForkName::Altair, 24),
            (ForkName::Bellatrix, 25),
            (ForkName::Capella, 28),
            (ForkName::Deneb, 28),
            (ForkName::Electra, 37),
            (ForkName::Fulu, 38),
            (ForkName::Gloas, 46),
        ];
        for (fork, n) in want {
            for preset in [PresetName::Mainnet, PresetName::Minimal] {
                assert_eq!(beacon_state(fork, preset).fields().len(), n, "{fork:?}");
            }
        }
    }

    #[test]
    fn validator_is_121_bytes() {
        assert_eq!(phase0::Validator::ssz_type().fixed_size(), Some(121));
        assert_eq!(beacon_block_header().fixed_size(), Some(112));
        assert_eq!(
            beacon_state(ForkName::Deneb, PresetName::Mainnet).fixed_size(),
            None
        );
    }

    /// Spot checks of the derived layout against the specs' own numbers, per preset: the
    /// vectors sized by the preset and the limits of the lists the merkleizer bounds.
    #[test]
    fn derived_limits_are_the_presets() {
        fn check<P: Preset>(preset: PresetName) {
            let state = beacon_state(ForkName::Fulu, preset);
            let field = |name: &str| state.fields()[state.field_index(name).unwrap()].1;
            assert_eq!(
                field("block_roots"),
                SszType::Vector(
                    &SszType::ByteVector(32),
                    P::SLOTS_PER_HISTORICAL_ROOT as usize
                )
            );
            assert_eq!(
                field("balances"),
                SszType::List(&SszType::Uint(8), P::VALIDATOR_REGISTRY_LIMIT)
            );
            assert_eq!(
                field("previous_epoch_participation"),
                SszType::List(&SszType::Uint(1), P::VALIDATOR_REGISTRY_LIMIT)
            );
            let SszType::List(_, votes) = field("eth1_data_votes") else {
                panic!("eth1_data_votes is a list")
            };
            assert_eq!(votes, P::EPOCHS_PER_ETH1_VOTING_PERIOD * P::SLOTS_PER_EPOCH);
            assert_eq!(
                field("proposer_lookahead"),
                SszType::Vector(
                    &SszType::Uint(8),
                    ((P::MIN_SEED_LOOKAHEAD + 1) * P::SLOTS_PER_EPOCH) as usize
                )
            );
            let SszType::Container(ContainerType { fields: header, .. }) =
                field("latest_execution_payload_header")
            else {
                panic!("the payload header is a container")
            };
            assert_eq!(header[4].1, SszType::ByteVector(256), "logs_bloom");
            assert_eq!(
                header[10].1,
                SszType::List(&SszType::Byte, 32),
                "extra_data"
            );
            assert_eq!(header[11].1, SszType::Uint(32), "base_fee_per_gas");
        }
        check::<Mainnet>(PresetName::Mainnet);
        check::<Minimal>(PresetName::Minimal);
    }

    /// The derived schema sizes every fixed-size container as `ssz_derive` encodes it: encode a
    /// default value and compare.
    #[test]
    fn fixed_sizes_match_the_encoder() {
        fn same<T: SszSchema + Default + Encode>() {
            assert_eq!(
                T::ssz_type().fixed_size(),
                Some(T::default().as_ssz_bytes().len())
            );
        }
        same::<phase0::Fork>();
        same::<phase0::Checkpoint>();
        same::<phase0::Validator>();
        same::<phase0::AttestationData>();
        same::<phase0::Eth1Data>();
        same::<phase0::BeaconBlockHeader>();
        same::<phase0::SignedBeaconBlockHeader>();
        same::<capella::Withdrawal>();
        same::<capella::HistoricalSummary>();
        same::<electra::PendingDeposit>();
        same::<electra::PendingPartialWithdrawal>();
        same::<electra::PendingConsolidation>();
    }
}
