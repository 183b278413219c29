//! The BeaconState schema per fork and preset, as data: which SSZ type each field has.
//!
//! The fast merkleizer walks SSZ bytes guided by this schema instead of decoding into the typed
//! structs of `crate::types`, so it never allocates per validator and never holds a second copy
//! of the state. Field lists follow `specs/<fork>/beacon-chain.md` of ethereum/consensus-specs;
//! the preset numbers are those of `presets/{mainnet,minimal}/*.yaml`.

use crate::types::{ForkName, PresetName};

/// An SSZ type, enough to locate, validate and merkleize a value from its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SszType {
    /// `uintN` (N = 8 × the byte size); `Uint(32)` is `uint256`.
    Uint(usize),
    /// `boolean`: one byte, 0 or 1.
    Boolean,
    /// `ByteVector[N]` (`Bytes4`, `Bytes32`, `BLSPubkey` = 48, ...).
    ByteVector(usize),
    /// `ByteList[N]`.
    ByteList(usize),
    /// `Vector[T, N]`.
    Vector(Box<SszType>, usize),
    /// `List[T, N]`.
    List(Box<SszType>, u64),
    /// `Bitvector[N]`.
    Bitvector(usize),
    /// `Bitlist[N]`.
    Bitlist(u64),
    /// A container: its name and its fields in order.
    Container(&'static str, Vec<(&'static str, SszType)>),
}

impl SszType {
    /// Size in bytes when the type is fixed-size, `None` for variable-size types.
    pub fn fixed_size(&self) -> Option<usize> {
        match self {
            SszType::Uint(n) | SszType::ByteVector(n) => Some(*n),
            SszType::Boolean => Some(1),
            SszType::Bitvector(n) => Some(n.div_ceil(8)),
            SszType::Vector(e, n) => e.fixed_size().map(|s| s * n),
            SszType::Container(_, fields) => fields.iter().map(|(_, t)| t.fixed_size()).sum(),
            SszType::List(..) | SszType::ByteList(_) | SszType::Bitlist(_) => None,
        }
    }

    /// Basic types (`uintN`, `boolean`) are packed several per chunk.
    pub fn is_basic(&self) -> bool {
        matches!(self, SszType::Uint(_) | SszType::Boolean)
    }

    /// Bytes this type takes in its parent's fixed part: its size, or a 4-byte offset.
    pub fn fixed_part_size(&self) -> usize {
        self.fixed_size().unwrap_or(4)
    }

    /// The fields of a container (empty for other types).
    pub fn fields(&self) -> &[(&'static str, SszType)] {
        match self {
            SszType::Container(_, f) => f,
            _ => &[],
        }
    }

    /// Index of the container field `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields().iter().position(|(n, _)| *n == name)
    }
}

/// The preset values that shape the BeaconState (all counts, no units beyond "items").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresetValues {
    /// `SLOTS_PER_EPOCH` (slots).
    pub slots_per_epoch: u64,
    /// `MIN_SEED_LOOKAHEAD` (epochs).
    pub min_seed_lookahead: u64,
    /// `EPOCHS_PER_ETH1_VOTING_PERIOD` (epochs).
    pub epochs_per_eth1_voting_period: u64,
    /// `SLOTS_PER_HISTORICAL_ROOT` (slots).
    pub slots_per_historical_root: usize,
    /// `EPOCHS_PER_HISTORICAL_VECTOR` (epochs).
    pub epochs_per_historical_vector: usize,
    /// `EPOCHS_PER_SLASHINGS_VECTOR` (epochs).
    pub epochs_per_slashings_vector: usize,
    /// `HISTORICAL_ROOTS_LIMIT`.
    pub historical_roots_limit: u64,
    /// `VALIDATOR_REGISTRY_LIMIT`.
    pub validator_registry_limit: u64,
    /// `MAX_ATTESTATIONS`.
    pub max_attestations: u64,
    /// `MAX_VALIDATORS_PER_COMMITTEE`.
    pub max_validators_per_committee: u64,
    /// `SYNC_COMMITTEE_SIZE`.
    pub sync_committee_size: usize,
    /// `BYTES_PER_LOGS_BLOOM` (bytes).
    pub bytes_per_logs_bloom: usize,
    /// `MAX_EXTRA_DATA_BYTES` (bytes).
    pub max_extra_data_bytes: usize,
    /// `PENDING_DEPOSITS_LIMIT`.
    pub pending_deposits_limit: u64,
    /// `PENDING_PARTIAL_WITHDRAWALS_LIMIT`.
    pub pending_partial_withdrawals_limit: u64,
    /// `PENDING_CONSOLIDATIONS_LIMIT`.
    pub pending_consolidations_limit: u64,
}

impl PresetValues {
    /// Values from `presets/<preset>/*.yaml` of the consensus specs.
    pub fn of(preset: PresetName) -> Self {
        match preset {
            PresetName::Mainnet => PresetValues {
                slots_per_epoch: 32,
                min_seed_lookahead: 1,
                epochs_per_eth1_voting_period: 64,
                slots_per_historical_root: 8192,
                epochs_per_historical_vector: 65536,
                epochs_per_slashings_vector: 8192,
                historical_roots_limit: 16_777_216,
                validator_registry_limit: 1_099_511_627_776,
                max_attestations: 128,
                max_validators_per_committee: 2048,
                sync_committee_size: 512,
                bytes_per_logs_bloom: 256,
                max_extra_data_bytes: 32,
                pending_deposits_limit: 134_217_728,
                pending_partial_withdrawals_limit: 134_217_728,
                pending_consolidations_limit: 262_144,
            },
            PresetName::Minimal => PresetValues {
                slots_per_epoch: 8,
                min_seed_lookahead: 1,
                epochs_per_eth1_voting_period: 4,
                slots_per_historical_root: 64,
                epochs_per_historical_vector: 64,
                epochs_per_slashings_vector: 64,
                historical_roots_limit: 16_777_216,
                validator_registry_limit: 1_099_511_627_776,
                max_attestations: 128,
                max_validators_per_committee: 2048,
                sync_committee_size: 32,
                bytes_per_logs_bloom: 256,
                max_extra_data_bytes: 32,
                pending_deposits_limit: 134_217_728,
                pending_partial_withdrawals_limit: 64,
                pending_consolidations_limit: 64,
            },
        }
    }
}

/// `JUSTIFICATION_BITS_LENGTH` (spec constant, bits).
const JUSTIFICATION_BITS_LENGTH: usize = 4;

fn u64t() -> SszType {
    SszType::Uint(8)
}
fn root() -> SszType {
    SszType::ByteVector(32)
}
fn bytes(n: usize) -> SszType {
    SszType::ByteVector(n)
}
fn vector(t: SszType, n: usize) -> SszType {
    SszType::Vector(Box::new(t), n)
}
fn list(t: SszType, n: u64) -> SszType {
    SszType::List(Box::new(t), n)
}

/// `Checkpoint`.
pub fn checkpoint() -> SszType {
    SszType::Container("Checkpoint", vec![("epoch", u64t()), ("root", root())])
}

/// `BeaconBlockHeader`.
pub fn beacon_block_header() -> SszType {
    SszType::Container(
        "BeaconBlockHeader",
        vec![
            ("slot", u64t()),
            ("proposer_index", u64t()),
            ("parent_root", root()),
            ("state_root", root()),
            ("body_root", root()),
        ],
    )
}

/// `Validator` (121 bytes, 8 fields: a depth-3 tree).
pub fn validator() -> SszType {
    SszType::Container(
        "Validator",
        vec![
            ("pubkey", bytes(48)),
            ("withdrawal_credentials", root()),
            ("effective_balance", u64t()),
            ("slashed", SszType::Boolean),
            ("activation_eligibility_epoch", u64t()),
            ("activation_epoch", u64t()),
            ("exit_epoch", u64t()),
            ("withdrawable_epoch", u64t()),
        ],
    )
}

fn eth1_data() -> SszType {
    SszType::Container(
        "Eth1Data",
        vec![
            ("deposit_root", root()),
            ("deposit_count", u64t()),
            ("block_hash", root()),
        ],
    )
}

fn pending_attestation(p: &PresetValues) -> SszType {
    let attestation_data = SszType::Container(
        "AttestationData",
        vec![
            ("slot", u64t()),
            ("index", u64t()),
            ("beacon_block_root", root()),
            ("source", checkpoint()),
            ("target", checkpoint()),
        ],
    );
    SszType::Container(
        "PendingAttestation",
        vec![
            (
                "aggregation_bits",
                SszType::Bitlist(p.max_validators_per_committee),
            ),
            ("data", attestation_data),
            ("inclusion_delay", u64t()),
            ("proposer_index", u64t()),
        ],
    )
}

/// `SyncCommittee` (Altair).
pub fn sync_committee(p: &PresetValues) -> SszType {
    SszType::Container(
        "SyncCommittee",
        vec![
            ("pubkeys", vector(bytes(48), p.sync_committee_size)),
            ("aggregate_pubkey", bytes(48)),
        ],
    )
}

fn execution_payload_header(fork: ForkName, p: &PresetValues) -> SszType {
    let mut f = vec![
        ("parent_hash", root()),
        ("fee_recipient", bytes(20)),
        ("state_root", root()),
        ("receipts_root", root()),
        ("logs_bloom", bytes(p.bytes_per_logs_bloom)),
        ("prev_randao", root()),
        ("block_number", u64t()),
        ("gas_limit", u64t()),
        ("gas_used", u64t()),
        ("timestamp", u64t()),
        ("extra_data", SszType::ByteList(p.max_extra_data_bytes)),
        ("base_fee_per_gas", SszType::Uint(32)),
        ("block_hash", root()),
        ("transactions_root", root()),
    ];
    if fork >= ForkName::Capella {
        f.push(("withdrawals_root", root()));
    }
    if fork >= ForkName::Deneb {
        f.push(("blob_gas_used", u64t()));
        f.push(("excess_blob_gas", u64t()));
    }
    SszType::Container("ExecutionPayloadHeader", f)
}

/// The `BeaconState` container of `fork` under `preset`.
pub fn beacon_state(fork: ForkName, preset: PresetName) -> SszType {
    let p = PresetValues::of(preset);
    let fork_t = SszType::Container(
        "Fork",
        vec![
            ("previous_version", bytes(4)),
            ("current_version", bytes(4)),
            ("epoch", u64t()),
        ],
    );
    let registry = p.validator_registry_limit;
    let mut f: Vec<(&'static str, SszType)> = vec![
        ("genesis_time", u64t()),
        ("genesis_validators_root", root()),
        ("slot", u64t()),
        ("fork", fork_t),
        ("latest_block_header", beacon_block_header()),
        ("block_roots", vector(root(), p.slots_per_historical_root)),
        ("state_roots", vector(root(), p.slots_per_historical_root)),
        ("historical_roots", list(root(), p.historical_roots_limit)),
        ("eth1_data", eth1_data()),
        (
            "eth1_data_votes",
            list(
                eth1_data(),
                p.epochs_per_eth1_voting_period * p.slots_per_epoch,
            ),
        ),
        ("eth1_deposit_index", u64t()),
        ("validators", list(validator(), registry)),
        ("balances", list(u64t(), registry)),
        (
            "randao_mixes",
            vector(root(), p.epochs_per_historical_vector),
        ),
        ("slashings", vector(u64t(), p.epochs_per_slashings_vector)),
    ];
    if fork == ForkName::Phase0 {
        let pending = list(
            pending_attestation(&p),
            p.max_attestations * p.slots_per_epoch,
        );
        f.push(("previous_epoch_attestations", pending.clone()));
        f.push(("current_epoch_attestations", pending));
    } else {
        f.push((
            "previous_epoch_participation",
            list(SszType::Uint(1), registry),
        ));
        f.push((
            "current_epoch_participation",
            list(SszType::Uint(1), registry),
        ));
    }
    f.push((
        "justification_bits",
        SszType::Bitvector(JUSTIFICATION_BITS_LENGTH),
    ));
    f.push(("previous_justified_checkpoint", checkpoint()));
    f.push(("current_justified_checkpoint", checkpoint()));
    f.push(("finalized_checkpoint", checkpoint()));
    if fork >= ForkName::Altair {
        f.push(("inactivity_scores", list(u64t(), registry)));
        f.push(("current_sync_committee", sync_committee(&p)));
        f.push(("next_sync_committee", sync_committee(&p)));
    }
    if fork >= ForkName::Bellatrix {
        f.push((
            "latest_execution_payload_header",
            execution_payload_header(fork, &p),
        ));
    }
    if fork >= ForkName::Capella {
        f.push(("next_withdrawal_index", u64t()));
        f.push(("next_withdrawal_validator_index", u64t()));
        let summary = SszType::Container(
            "HistoricalSummary",
            vec![
                ("block_summary_root", root()),
                ("state_summary_root", root()),
            ],
        );
        f.push((
            "historical_summaries",
            list(summary, p.historical_roots_limit),
        ));
    }
    if fork >= ForkName::Electra {
        f.push(("deposit_requests_start_index", u64t()));
        f.push(("deposit_balance_to_consume", u64t()));
        f.push(("exit_balance_to_consume", u64t()));
        f.push(("earliest_exit_epoch", u64t()));
        f.push(("consolidation_balance_to_consume", u64t()));
        f.push(("earliest_consolidation_epoch", u64t()));
        let pending_deposit = SszType::Container(
            "PendingDeposit",
            vec![
                ("pubkey", bytes(48)),
                ("withdrawal_credentials", root()),
                ("amount", u64t()),
                ("signature", bytes(96)),
                ("slot", u64t()),
            ],
        );
        let pending_partial = SszType::Container(
            "PendingPartialWithdrawal",
            vec![
                ("validator_index", u64t()),
                ("amount", u64t()),
                ("withdrawable_epoch", u64t()),
            ],
        );
        let pending_consolidation = SszType::Container(
            "PendingConsolidation",
            vec![("source_index", u64t()), ("target_index", u64t())],
        );
        f.push((
            "pending_deposits",
            list(pending_deposit, p.pending_deposits_limit),
        ));
        f.push((
            "pending_partial_withdrawals",
            list(pending_partial, p.pending_partial_withdrawals_limit),
        ));
        f.push((
            "pending_consolidations",
            list(pending_consolidation, p.pending_consolidations_limit),
        ));
    }
    if fork >= ForkName::Fulu {
        f.push((
            "proposer_lookahead",
            vector(
                u64t(),
                ((p.min_seed_lookahead + 1) * p.slots_per_epoch) as usize,
            ),
        ));
    }
    SszType::Container("BeaconState", f)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ];
        for (fork, n) in want {
            assert_eq!(
                beacon_state(fork, PresetName::Mainnet).fields().len(),
                n,
                "{fork:?}"
            );
        }
    }

    #[test]
    fn validator_is_121_bytes() {
        assert_eq!(validator().fixed_size(), Some(121));
        assert_eq!(beacon_block_header().fixed_size(), Some(112));
        assert_eq!(
            beacon_state(ForkName::Deneb, PresetName::Mainnet).fixed_size(),
            None
        );
    }

    #[test]
    fn preset_values_match_the_preset_files() {
        // Compare against presets/<preset>/*.yaml in the fixtures (consensus-specs copy).
        let dir = super::super::fixtures_dir().join("consensus-specs-configs/presets");
        for (preset, name) in [
            (PresetName::Mainnet, "mainnet"),
            (PresetName::Minimal, "minimal"),
        ] {
            let mut kv = std::collections::HashMap::new();
            for fork in [
                "phase0",
                "altair",
                "bellatrix",
                "capella",
                "deneb",
                "electra",
                "fulu",
            ] {
                let path = dir.join(name).join(format!("{fork}.yaml"));
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                for line in text.lines() {
                    if let Some((k, v)) = line.split_once(':') {
                        if let Ok(v) = v.trim().trim_matches('\'').parse::<u64>() {
                            kv.insert(k.trim().to_string(), v);
                        }
                    }
                }
            }
            let p = PresetValues::of(preset);
            let get = |k: &str| *kv.get(k).unwrap_or_else(|| panic!("{k} missing in {name}"));
            assert_eq!(p.slots_per_epoch, get("SLOTS_PER_EPOCH"));
            assert_eq!(p.min_seed_lookahead, get("MIN_SEED_LOOKAHEAD"));
            assert_eq!(
                p.epochs_per_eth1_voting_period,
                get("EPOCHS_PER_ETH1_VOTING_PERIOD")
            );
            assert_eq!(
                p.slots_per_historical_root as u64,
                get("SLOTS_PER_HISTORICAL_ROOT")
            );
            assert_eq!(
                p.epochs_per_historical_vector as u64,
                get("EPOCHS_PER_HISTORICAL_VECTOR")
            );
            assert_eq!(
                p.epochs_per_slashings_vector as u64,
                get("EPOCHS_PER_SLASHINGS_VECTOR")
            );
            assert_eq!(p.historical_roots_limit, get("HISTORICAL_ROOTS_LIMIT"));
            assert_eq!(p.validator_registry_limit, get("VALIDATOR_REGISTRY_LIMIT"));
            assert_eq!(p.max_attestations, get("MAX_ATTESTATIONS"));
            assert_eq!(
                p.max_validators_per_committee,
                get("MAX_VALIDATORS_PER_COMMITTEE")
            );
            assert_eq!(p.sync_committee_size as u64, get("SYNC_COMMITTEE_SIZE"));
            assert_eq!(p.bytes_per_logs_bloom as u64, get("BYTES_PER_LOGS_BLOOM"));
            assert_eq!(p.max_extra_data_bytes as u64, get("MAX_EXTRA_DATA_BYTES"));
            assert_eq!(p.pending_deposits_limit, get("PENDING_DEPOSITS_LIMIT"));
            assert_eq!(
                p.pending_partial_withdrawals_limit,
                get("PENDING_PARTIAL_WITHDRAWALS_LIMIT")
            );
            assert_eq!(
                p.pending_consolidations_limit,
                get("PENDING_CONSOLIDATIONS_LIMIT")
            );
        }
    }
}
