//! Compile-time presets (`mainnet`, `minimal`): the list and vector limits that shape SSZ containers.
//!
//! A preset fixes the *shape* of the containers (how long `block_roots` is, how many validators a
//! list may hold), so it must be known at compile time: every limit is a `typenum` associated type,
//! mirrored by a `u64` constant for arithmetic. A network's *config* (fork epochs, genesis) is a
//! run-time value and lives in [`crate::config`]. Values are those of the consensus-specs
//! `presets/{mainnet,minimal}/*.yaml` (phase0..gloas); a test compares them key by key.

use std::fmt::Debug;
use std::str::FromStr;

use ssz_types::typenum::{
    Unsigned, U1, U1024, U1048576, U1073741824, U1099511627776, U128, U131072, U134217728, U16,
    U16777216, U2, U2048, U24, U256, U262144, U32, U4, U4096, U512, U64, U65536, U8, U8192, U96,
};

/// The limits of one preset, as typenum lengths (for `ssz_types`) and `u64` constants.
///
/// Names follow the spec (`SLOTS_PER_HISTORICAL_ROOT`), associated types the same in CamelCase.
/// Products the spec writes inline (e.g. `EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH`) get
/// their own associated type because typenum arithmetic in bounds is unreadable.
pub trait Preset:
    'static + Clone + Copy + Debug + Default + PartialEq + Eq + Send + Sync + Unpin
{
    /// Which preset this is.
    const NAME: PresetName;

    // phase0
    type SlotsPerEpoch: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type SlotsPerHistoricalRoot: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type EpochsPerHistoricalVector: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type EpochsPerSlashingsVector: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type HistoricalRootsLimit: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type ValidatorRegistryLimit: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxValidatorsPerCommittee: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxCommitteesPerSlot: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxProposerSlashings: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxAttesterSlashings: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxAttestations: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxDeposits: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxVoluntaryExits: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH` (limit of `eth1_data_votes`).
    type SlotsPerEth1VotingPeriod: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    /// `MAX_ATTESTATIONS * SLOTS_PER_EPOCH` (limit of phase0 `*_epoch_attestations`).
    type MaxPendingAttestations: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // altair
    type SyncCommitteeSize: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // bellatrix
    type MaxBytesPerTransaction: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxTransactionsPerPayload: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type BytesPerLogsBloom: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxExtraDataBytes: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // capella
    type MaxBlsToExecutionChanges: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxWithdrawalsPerPayload: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // deneb
    type MaxBlobCommitmentsPerBlock: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // electra
    type PendingDepositsLimit: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type PendingPartialWithdrawalsLimit: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type PendingConsolidationsLimit: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxAttesterSlashingsElectra: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxAttestationsElectra: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxDepositRequestsPerPayload: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxWithdrawalRequestsPerPayload: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    type MaxConsolidationRequestsPerPayload: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    /// `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT` (Electra attestation bits).
    type MaxValidatorsPerSlot: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // fulu
    /// `(MIN_SEED_LOOKAHEAD + 1) * SLOTS_PER_EPOCH` (length of `proposer_lookahead`).
    type ProposerLookaheadSlots: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    // gloas
    /// `PTC_SIZE`: members of a slot's payload-timeliness committee.
    type PtcSize: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    /// `2 * SLOTS_PER_EPOCH` (length of `builder_pending_payments`).
    type BuilderPendingPaymentsLength: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;
    /// `(2 + MIN_SEED_LOOKAHEAD) * SLOTS_PER_EPOCH` (length of `ptc_window`).
    type PtcWindowLength: Unsigned + Clone + Debug + Send + Sync + PartialEq + Eq;

    /// Slots per epoch.
    const SLOTS_PER_EPOCH: u64 = Self::SlotsPerEpoch::U64;
    const SLOTS_PER_HISTORICAL_ROOT: u64 = Self::SlotsPerHistoricalRoot::U64;
    const EPOCHS_PER_HISTORICAL_VECTOR: u64 = Self::EpochsPerHistoricalVector::U64;
    const EPOCHS_PER_SLASHINGS_VECTOR: u64 = Self::EpochsPerSlashingsVector::U64;
    const HISTORICAL_ROOTS_LIMIT: u64 = Self::HistoricalRootsLimit::U64;
    const VALIDATOR_REGISTRY_LIMIT: u64 = Self::ValidatorRegistryLimit::U64;
    const MAX_VALIDATORS_PER_COMMITTEE: u64 = Self::MaxValidatorsPerCommittee::U64;
    const MAX_COMMITTEES_PER_SLOT: u64 = Self::MaxCommitteesPerSlot::U64;
    const MAX_PROPOSER_SLASHINGS: u64 = Self::MaxProposerSlashings::U64;
    const MAX_ATTESTER_SLASHINGS: u64 = Self::MaxAttesterSlashings::U64;
    const MAX_ATTESTATIONS: u64 = Self::MaxAttestations::U64;
    const MAX_DEPOSITS: u64 = Self::MaxDeposits::U64;
    const MAX_VOLUNTARY_EXITS: u64 = Self::MaxVoluntaryExits::U64;
    /// Epochs per eth1 voting period.
    const EPOCHS_PER_ETH1_VOTING_PERIOD: u64;
    /// Epochs of lookahead for the RANDAO seed.
    const MIN_SEED_LOOKAHEAD: u64;
    /// Gwei.
    const MAX_EFFECTIVE_BALANCE: u64;
    /// Gwei.
    const EFFECTIVE_BALANCE_INCREMENT: u64;
    const SYNC_COMMITTEE_SIZE: u64 = Self::SyncCommitteeSize::U64;
    /// Epochs per sync-committee period.
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64;
    /// Slots.
    const UPDATE_TIMEOUT: u64;
    const MAX_BYTES_PER_TRANSACTION: u64 = Self::MaxBytesPerTransaction::U64;
    const MAX_TRANSACTIONS_PER_PAYLOAD: u64 = Self::MaxTransactionsPerPayload::U64;
    const BYTES_PER_LOGS_BLOOM: u64 = Self::BytesPerLogsBloom::U64;
    const MAX_EXTRA_DATA_BYTES: u64 = Self::MaxExtraDataBytes::U64;
    const MAX_BLS_TO_EXECUTION_CHANGES: u64 = Self::MaxBlsToExecutionChanges::U64;
    const MAX_WITHDRAWALS_PER_PAYLOAD: u64 = Self::MaxWithdrawalsPerPayload::U64;
    const MAX_BLOB_COMMITMENTS_PER_BLOCK: u64 = Self::MaxBlobCommitmentsPerBlock::U64;
    /// Gwei.
    const MIN_ACTIVATION_BALANCE: u64;
    /// Gwei.
    const MAX_EFFECTIVE_BALANCE_ELECTRA: u64;
    const PENDING_DEPOSITS_LIMIT: u64 = Self::PendingDepositsLimit::U64;
    const PENDING_PARTIAL_WITHDRAWALS_LIMIT: u64 = Self::PendingPartialWithdrawalsLimit::U64;
    const PENDING_CONSOLIDATIONS_LIMIT: u64 = Self::PendingConsolidationsLimit::U64;
    const MAX_ATTESTER_SLASHINGS_ELECTRA: u64 = Self::MaxAttesterSlashingsElectra::U64;
    const MAX_ATTESTATIONS_ELECTRA: u64 = Self::MaxAttestationsElectra::U64;
    const MAX_DEPOSIT_REQUESTS_PER_PAYLOAD: u64 = Self::MaxDepositRequestsPerPayload::U64;
    const MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD: u64 = Self::MaxWithdrawalRequestsPerPayload::U64;
    const MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD: u64 =
        Self::MaxConsolidationRequestsPerPayload::U64;
    const PTC_SIZE: u64 = Self::PtcSize::U64;
    /// Gloas `MAX_PAYLOAD_ATTESTATIONS`: a block-processing bound (the body's list is a
    /// `ProgressiveList`, so it shapes no type).
    const MAX_PAYLOAD_ATTESTATIONS: u64;
    /// Gloas `MAX_BUILDER_DEPOSIT_REQUESTS_PER_PAYLOAD` (a processing bound, as above).
    const MAX_BUILDER_DEPOSIT_REQUESTS_PER_PAYLOAD: u64;
    /// Gloas `MAX_BUILDER_EXIT_REQUESTS_PER_PAYLOAD` (a processing bound, as above).
    const MAX_BUILDER_EXIT_REQUESTS_PER_PAYLOAD: u64;
    /// Gloas `MAX_BUILDERS_PER_WITHDRAWALS_SWEEP`.
    const MAX_BUILDERS_PER_WITHDRAWALS_SWEEP: u64;

    /// Every preset value above, by its spec name, for comparison with the preset YAML files.
    fn preset_values() -> Vec<(&'static str, u64)> {
        macro_rules! by_name {
            ($($name:ident,)+) => {
                vec![$((stringify!($name), Self::$name)),+]
            };
        }
        by_name![
            SLOTS_PER_EPOCH,
            SLOTS_PER_HISTORICAL_ROOT,
            EPOCHS_PER_HISTORICAL_VECTOR,
            EPOCHS_PER_SLASHINGS_VECTOR,
            HISTORICAL_ROOTS_LIMIT,
            VALIDATOR_REGISTRY_LIMIT,
            MAX_VALIDATORS_PER_COMMITTEE,
            MAX_COMMITTEES_PER_SLOT,
            MAX_PROPOSER_SLASHINGS,
            MAX_ATTESTER_SLASHINGS,
            MAX_ATTESTATIONS,
            MAX_DEPOSITS,
            MAX_VOLUNTARY_EXITS,
            EPOCHS_PER_ETH1_VOTING_PERIOD,
            MIN_SEED_LOOKAHEAD,
            MAX_EFFECTIVE_BALANCE,
            EFFECTIVE_BALANCE_INCREMENT,
            SYNC_COMMITTEE_SIZE,
            EPOCHS_PER_SYNC_COMMITTEE_PERIOD,
            UPDATE_TIMEOUT,
            MAX_BYTES_PER_TRANSACTION,
            MAX_TRANSACTIONS_PER_PAYLOAD,
            BYTES_PER_LOGS_BLOOM,
            MAX_EXTRA_DATA_BYTES,
            MAX_BLS_TO_EXECUTION_CHANGES,
            MAX_WITHDRAWALS_PER_PAYLOAD,
            MAX_BLOB_COMMITMENTS_PER_BLOCK,
            MIN_ACTIVATION_BALANCE,
            MAX_EFFECTIVE_BALANCE_ELECTRA,
            PENDING_DEPOSITS_LIMIT,
            PENDING_PARTIAL_WITHDRAWALS_LIMIT,
            PENDING_CONSOLIDATIONS_LIMIT,
            MAX_ATTESTER_SLASHINGS_ELECTRA,
            MAX_ATTESTATIONS_ELECTRA,
            MAX_DEPOSIT_REQUESTS_PER_PAYLOAD,
            MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD,
            MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD,
            PTC_SIZE,
            MAX_PAYLOAD_ATTESTATIONS,
            MAX_BUILDER_DEPOSIT_REQUESTS_PER_PAYLOAD,
            MAX_BUILDER_EXIT_REQUESTS_PER_PAYLOAD,
            MAX_BUILDERS_PER_WITHDRAWALS_SWEEP,
        ]
    }

    /// The derived lengths, recomputed from their factors (checked by a test).
    fn derived_lengths_consistent() -> bool {
        Self::SlotsPerEth1VotingPeriod::U64
            == Self::EPOCHS_PER_ETH1_VOTING_PERIOD * Self::SLOTS_PER_EPOCH
            && Self::MaxPendingAttestations::U64 == Self::MAX_ATTESTATIONS * Self::SLOTS_PER_EPOCH
            && Self::MaxValidatorsPerSlot::U64
                == Self::MAX_VALIDATORS_PER_COMMITTEE * Self::MAX_COMMITTEES_PER_SLOT
            && Self::ProposerLookaheadSlots::U64
                == (Self::MIN_SEED_LOOKAHEAD + 1) * Self::SLOTS_PER_EPOCH
            && Self::BuilderPendingPaymentsLength::U64 == 2 * Self::SLOTS_PER_EPOCH
            && Self::PtcWindowLength::U64 == (2 + Self::MIN_SEED_LOOKAHEAD) * Self::SLOTS_PER_EPOCH
    }
}

/// The mainnet preset (used by mainnet, sepolia, holesky, hoodi).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mainnet;

impl Preset for Mainnet {
    const NAME: PresetName = PresetName::Mainnet;
    type SlotsPerEpoch = U32;
    type SlotsPerHistoricalRoot = U8192;
    type EpochsPerHistoricalVector = U65536;
    type EpochsPerSlashingsVector = U8192;
    type HistoricalRootsLimit = U16777216;
    type ValidatorRegistryLimit = U1099511627776;
    type MaxValidatorsPerCommittee = U2048;
    type MaxCommitteesPerSlot = U64;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    type SlotsPerEth1VotingPeriod = U2048;
    type MaxPendingAttestations = U4096;
    type SyncCommitteeSize = U512;
    type MaxBytesPerTransaction = U1073741824;
    type MaxTransactionsPerPayload = U1048576;
    type BytesPerLogsBloom = U256;
    type MaxExtraDataBytes = U32;
    type MaxBlsToExecutionChanges = U16;
    type MaxWithdrawalsPerPayload = U16;
    type MaxBlobCommitmentsPerBlock = U4096;
    type PendingDepositsLimit = U134217728;
    type PendingPartialWithdrawalsLimit = U134217728;
    type PendingConsolidationsLimit = U262144;
    type MaxAttesterSlashingsElectra = U1;
    type MaxAttestationsElectra = U8;
    type MaxDepositRequestsPerPayload = U8192;
    type MaxWithdrawalRequestsPerPayload = U16;
    type MaxConsolidationRequestsPerPayload = U2;
    type MaxValidatorsPerSlot = U131072;
    type ProposerLookaheadSlots = U64;
    type PtcSize = U512;
    type BuilderPendingPaymentsLength = U64;
    type PtcWindowLength = U96;
    const EPOCHS_PER_ETH1_VOTING_PERIOD: u64 = 64;
    const MIN_SEED_LOOKAHEAD: u64 = 1;
    const MAX_EFFECTIVE_BALANCE: u64 = 32_000_000_000;
    const EFFECTIVE_BALANCE_INCREMENT: u64 = 1_000_000_000;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 256;
    const UPDATE_TIMEOUT: u64 = 8192;
    const MIN_ACTIVATION_BALANCE: u64 = 32_000_000_000;
    const MAX_EFFECTIVE_BALANCE_ELECTRA: u64 = 2_048_000_000_000;
    const MAX_PAYLOAD_ATTESTATIONS: u64 = 4;
    const MAX_BUILDER_DEPOSIT_REQUESTS_PER_PAYLOAD: u64 = 64;
    const MAX_BUILDER_EXIT_REQUESTS_PER_PAYLOAD: u64 = 16;
    const MAX_BUILDERS_PER_WITHDRAWALS_SWEEP: u64 = 16_384;
}

/// The minimal preset (spec tests, small devnets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Minimal;

impl Preset for Minimal {
    const NAME: PresetName = PresetName::Minimal;
    type SlotsPerEpoch = U8;
    type SlotsPerHistoricalRoot = U64;
    type EpochsPerHistoricalVector = U64;
    type EpochsPerSlashingsVector = U64;
    type HistoricalRootsLimit = U16777216;
    type ValidatorRegistryLimit = U1099511627776;
    type MaxValidatorsPerCommittee = U2048;
    type MaxCommitteesPerSlot = U4;
    type MaxProposerSlashings = U16;
    type MaxAttesterSlashings = U2;
    type MaxAttestations = U128;
    type MaxDeposits = U16;
    type MaxVoluntaryExits = U16;
    type SlotsPerEth1VotingPeriod = U32;
    type MaxPendingAttestations = U1024;
    type SyncCommitteeSize = U32;
    type MaxBytesPerTransaction = U1073741824;
    type MaxTransactionsPerPayload = U1048576;
    type BytesPerLogsBloom = U256;
    type MaxExtraDataBytes = U32;
    type MaxBlsToExecutionChanges = U16;
    type MaxWithdrawalsPerPayload = U4;
    type MaxBlobCommitmentsPerBlock = U4096;
    type PendingDepositsLimit = U134217728;
    type PendingPartialWithdrawalsLimit = U64;
    type PendingConsolidationsLimit = U64;
    type MaxAttesterSlashingsElectra = U1;
    type MaxAttestationsElectra = U8;
    type MaxDepositRequestsPerPayload = U8192;
    type MaxWithdrawalRequestsPerPayload = U16;
    type MaxConsolidationRequestsPerPayload = U2;
    type MaxValidatorsPerSlot = U8192;
    type ProposerLookaheadSlots = U16;
    type PtcSize = U16;
    type BuilderPendingPaymentsLength = U16;
    type PtcWindowLength = U24;
    const EPOCHS_PER_ETH1_VOTING_PERIOD: u64 = 4;
    const MIN_SEED_LOOKAHEAD: u64 = 1;
    const MAX_EFFECTIVE_BALANCE: u64 = 32_000_000_000;
    const EFFECTIVE_BALANCE_INCREMENT: u64 = 1_000_000_000;
    const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 8;
    const UPDATE_TIMEOUT: u64 = 64;
    const MIN_ACTIVATION_BALANCE: u64 = 32_000_000_000;
    const MAX_EFFECTIVE_BALANCE_ELECTRA: u64 = 2_048_000_000_000;
    const MAX_PAYLOAD_ATTESTATIONS: u64 = 4;
    const MAX_BUILDER_DEPOSIT_REQUESTS_PER_PAYLOAD: u64 = 64;
    const MAX_BUILDER_EXIT_REQUESTS_PER_PAYLOAD: u64 = 16;
    const MAX_BUILDERS_PER_WITHDRAWALS_SWEEP: u64 = 16;
}

/// Evaluates `$body` with the type `$P` bound to the preset named by `$name` (a [`PresetName`]):
/// where a run-time preset name becomes the compile-time preset whose numbers are above.
macro_rules! with_preset {
    ($name:expr, $P:ident => $body:expr) => {
        match $name {
            $crate::types::PresetName::Mainnet => {
                type $P = $crate::types::Mainnet;
                $body
            }
            $crate::types::PresetName::Minimal => {
                type $P = $crate::types::Minimal;
                $body
            }
        }
    };
}
pub(crate) use with_preset;

/// The name of a preset, as written in a config's `PRESET_BASE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresetName {
    Mainnet,
    Minimal,
}

impl PresetName {
    /// The lowercase name (`"mainnet"`, `"minimal"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PresetName::Mainnet => "mainnet",
            PresetName::Minimal => "minimal",
        }
    }
}

impl std::fmt::Display for PresetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PresetName {
    type Err = super::TypesError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mainnet" => Ok(PresetName::Mainnet),
            "minimal" => Ok(PresetName::Minimal),
            other => Err(super::TypesError::UnknownPreset {
                got: other.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn yaml_values(preset: &str) -> BTreeMap<String, u64> {
        let dir = crate::ssz_io::require_fixtures_dir()
            .join("consensus-specs-configs/presets")
            .join(preset);
        let mut out = BTreeMap::new();
        for fork in [
            "phase0",
            "altair",
            "bellatrix",
            "capella",
            "deneb",
            "electra",
            "fulu",
            "gloas",
        ] {
            let path = dir.join(format!("{fork}.yaml"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let map: BTreeMap<String, serde_yaml::Value> = serde_yaml::from_str(&text).unwrap();
            for (k, v) in map {
                if let Some(n) = v.as_u64() {
                    out.insert(k, n);
                }
            }
        }
        out
    }

    fn check<P: Preset>(name: &str) {
        let yaml = yaml_values(name);
        for (key, value) in P::preset_values() {
            assert_eq!(yaml.get(key), Some(&value), "{name} preset {key}");
        }
        assert!(P::derived_lengths_consistent(), "{name} derived lengths");
    }

    #[test]
    fn mainnet_matches_spec_yaml() {
        check::<Mainnet>("mainnet");
    }

    #[test]
    fn minimal_matches_spec_yaml() {
        check::<Minimal>("minimal");
    }
}
