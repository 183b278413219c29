//! The served `BeaconState`s: the registry every served state shares (built once, its list roots
//! hashed once) and one state per served slot, built as a typed container of the chain's fork
//! and encoded; its field roots come from the byte-level hasher, for the Merkle branches of the
//! light-client objects.

use super::*;
use crate::types::{ParticipationFlags, Uint8};

/// The registry parts shared by every served state (they never change on this chain).
pub(super) struct Registry<P: Preset> {
    pub(super) validators: VariableList<Validator, P::ValidatorRegistryLimit>,
    pub(super) balances: VariableList<u64, P::ValidatorRegistryLimit>,
    pub(super) participation: VariableList<ParticipationFlags, P::ValidatorRegistryLimit>,
    pub(super) inactivity: VariableList<u64, P::ValidatorRegistryLimit>,
    /// The lists' roots in the genesis fork's states.
    roots: RegistryRoots,
    /// Their roots in Gloas states (`ProgressiveList`s, EIP-7688), when the chain forks to
    /// Gloas after genesis.
    gloas_roots: Option<RegistryRoots>,
}

/// `hash_tree_root` of each registry list, as one fork's state types them.
#[derive(Clone, Copy)]
pub(super) struct RegistryRoots {
    pub(super) validators: [u8; 32],
    pub(super) balances: [u8; 32],
    pub(super) participation: [u8; 32],
    pub(super) inactivity: [u8; 32],
}

impl<P: Preset> Registry<P> {
    /// The lists' roots in a state of `fork`.
    pub(super) fn roots(&self, fork: ForkName) -> RegistryRoots {
        match self.gloas_roots {
            Some(g) if fork == ForkName::Gloas => g,
            _ => self.roots,
        }
    }
}

/// `UNSET_DEPOSIT_REQUESTS_START_INDEX` (Electra).
const UNSET_DEPOSIT_REQUESTS_START_INDEX: u64 = u64::MAX;

/// The list itself when `take` (leaving an empty one behind), else a copy.
pub(super) fn take_or_clone<T, N: ssz_types::typenum::Unsigned>(
    list: &mut VariableList<T, N>,
    take: bool,
) -> VariableList<T, N>
where
    T: Clone,
{
    if take {
        std::mem::replace(list, VariableList::empty())
    } else {
        list.clone()
    }
}

/// The fields of a served state that the generator chooses; the rest take their genesis values.
struct StateParts<P: Preset> {
    genesis_time: u64,
    genesis_validators_root: B256,
    slot: u64,
    fork: Fork,
    latest_block_header: BeaconBlockHeader,
    block_roots: FixedVector<B256, P::SlotsPerHistoricalRoot>,
    state_roots: FixedVector<B256, P::SlotsPerHistoricalRoot>,
    eth1_data: Eth1Data,
    eth1_deposit_index: u64,
    validators: VariableList<Validator, P::ValidatorRegistryLimit>,
    balances: VariableList<u64, P::ValidatorRegistryLimit>,
    randao_mixes: FixedVector<B256, P::EpochsPerHistoricalVector>,
    participation: VariableList<ParticipationFlags, P::ValidatorRegistryLimit>,
    justification_bits: BitVector<crate::types::JustificationBitsLength>,
    previous_justified_checkpoint: Checkpoint,
    current_justified_checkpoint: Checkpoint,
    finalized_checkpoint: Checkpoint,
    inactivity_scores: VariableList<u64, P::ValidatorRegistryLimit>,
    current_sync_committee: SyncCommittee<P>,
    next_sync_committee: SyncCommittee<P>,
    latest_execution_payload_header: ExecutionPayloadHeader<P>,
    historical_summaries: VariableList<HistoricalSummary, P::HistoricalRootsLimit>,
    proposer_lookahead: Vec<u64>,
    /// The Gloas-only fields (`None` before Gloas).
    gloas: Option<super::gloas::GloasParts<P>>,
}

use crate::types::gloas as gloas_types;

/// Builds a state of this fork from [`StateParts`].
trait FromPartsDevnet<P: Preset>: Sized {
    fn from_parts_devnet(p: StateParts<P>) -> Self;
}

/// One `from_parts_devnet` per fork: the fields every fork from Electra on shares, with the
/// registry lists through `$list` (Gloas made them `ProgressiveList`s), the fields the devnet
/// leaves empty as their defaults, and the fork's own `$field`s, computed from `$p` after
/// `$prelude`.
macro_rules! impl_from_parts {
    ($State:ident, $p:ident, $list:path, { $($prelude:tt)* }, { $($field:ident: $value:expr),* $(,)? }) => {
        impl<P: Preset> FromPartsDevnet<P> for $State::BeaconState<P> {
            fn from_parts_devnet($p: StateParts<P>) -> Self {
                $($prelude)*
                $State::BeaconState {
                    genesis_time: $p.genesis_time,
                    genesis_validators_root: $p.genesis_validators_root,
                    slot: $p.slot,
                    fork: $p.fork,
                    latest_block_header: $p.latest_block_header,
                    block_roots: $p.block_roots,
                    state_roots: $p.state_roots,
                    eth1_data: $p.eth1_data,
                    eth1_deposit_index: $p.eth1_deposit_index,
                    validators: $list($p.validators),
                    balances: $list($p.balances),
                    randao_mixes: $p.randao_mixes,
                    previous_epoch_participation: $list($p.participation.clone()),
                    current_epoch_participation: $list($p.participation),
                    justification_bits: $p.justification_bits,
                    previous_justified_checkpoint: $p.previous_justified_checkpoint,
                    current_justified_checkpoint: $p.current_justified_checkpoint,
                    finalized_checkpoint: $p.finalized_checkpoint,
                    inactivity_scores: $list($p.inactivity_scores),
                    current_sync_committee: $p.current_sync_committee,
                    next_sync_committee: $p.next_sync_committee,
                    historical_summaries: $p.historical_summaries,
                    deposit_requests_start_index: UNSET_DEPOSIT_REQUESTS_START_INDEX,
                    historical_roots: Default::default(),
                    eth1_data_votes: Default::default(),
                    slashings: Default::default(),
                    next_withdrawal_index: 0,
                    next_withdrawal_validator_index: 0,
                    deposit_balance_to_consume: 0,
                    exit_balance_to_consume: 0,
                    earliest_exit_epoch: 0,
                    consolidation_balance_to_consume: 0,
                    earliest_consolidation_epoch: 0,
                    pending_deposits: Default::default(),
                    pending_partial_withdrawals: Default::default(),
                    pending_consolidations: Default::default(),
                    $($field: $value,)*
                }
            }
        }
    };
}

/// `proposer_lookahead` (Fulu on) from the devnet's computed one.
fn lookahead<N: ssz_types::typenum::Unsigned>(v: Vec<u64>) -> FixedVector<u64, N> {
    FixedVector::new(v).unwrap_or_else(|_| FixedVector::from_elem(0))
}

/// A `ProgressiveList` with the items of `list` (Gloas's registry lists, EIP-7688).
fn progressive<T: Clone, N: ssz_types::typenum::Unsigned>(
    list: VariableList<T, N>,
) -> crate::types::ProgressiveList<T> {
    crate::types::ProgressiveList::new(list.to_vec())
}

impl_from_parts!(electra, p, std::convert::identity, {}, {
    latest_execution_payload_header: p.latest_execution_payload_header,
});

impl_from_parts!(fulu, p, std::convert::identity, {}, {
    latest_execution_payload_header: p.latest_execution_payload_header,
    proposer_lookahead: lookahead(p.proposer_lookahead),
});

impl_from_parts!(gloas_types, p, progressive, {
    let g = p.gloas.expect("a Gloas state is built with its Gloas parts");
    let ptc_window: Vec<_> = g.ptc_window.into_iter().map(lookahead).collect();
}, {
    latest_block_hash: g.exec.latest_block_hash,
    proposer_lookahead: lookahead(p.proposer_lookahead),
    builders: crate::types::ProgressiveList::new(g.builders),
    next_withdrawal_builder_index: 0,
    execution_payload_availability: g.exec.availability,
    builder_pending_payments: Default::default(),
    builder_pending_withdrawals: Default::default(),
    latest_execution_payload_bid: g.exec.latest_bid,
    payload_expected_withdrawals: Default::default(),
    ptc_window: FixedVector::new(ptc_window)
        .unwrap_or_else(|_| FixedVector::from_elem(FixedVector::from_elem(0))),
});

/// `hash_tree_root` of the state field `name` (a registry list) from its SSZ bytes, through
/// [`crate::merkle`] with the field's type taken from the fork's `BeaconState` schema.
fn registry_field_root(
    fork: ForkName,
    preset: crate::types::PresetName,
    name: &'static str,
    bytes: &[u8],
) -> Result<[u8; 32], ChainError> {
    let schema = crate::merkle::beacon_state_schema(fork, preset);
    let ty = schema
        .fields()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t)
        .ok_or_else(|| ChainError::Ssz {
            what: name,
            detail: format!(
                "expected a `{name}` field in the {} state schema",
                fork.as_str()
            ),
        })?;
    crate::merkle::hash_tree_root(ty, bytes).map_err(ssz_err(name))
}

/// Builds a served state of type `S`: its SSZ bytes and its field roots.
///
/// The field roots come from the byte-level hasher ([`crate::merkle::StateRootJob`]) over the
/// fork's schema, with the registry lists' roots fed in precomputed (they are the bulk of the
/// hashing and the same in every served state), so no fork's field list is written here.
fn build_typed<P: Preset, S: FromPartsDevnet<P> + Encode>(
    parts: StateParts<P>,
    fork: ForkName,
    roots: RegistryRoots,
) -> Result<(Vec<u8>, Vec<[u8; 32]>), ChainError> {
    let bytes = S::from_parts_devnet(parts).as_ssz_bytes();
    let mut job =
        crate::merkle::StateRootJob::new(&bytes, fork, P::NAME).map_err(ssz_err("state"))?;
    for (name, root) in [
        ("validators", roots.validators),
        ("balances", roots.balances),
        ("previous_epoch_participation", roots.participation),
        ("current_epoch_participation", roots.participation),
        ("inactivity_scores", roots.inactivity),
    ] {
        job.set_field_root(name, root).map_err(ssz_err("state"))?;
    }
    while let crate::merkle::Progress::Pending { .. } =
        job.step(u64::MAX).map_err(ssz_err("state"))?
    {}
    let leaves = job.field_roots().ok_or_else(|| ChainError::Ssz {
        what: "state",
        detail: "expected the field roots of a finished state root job".into(),
    })?;
    Ok((bytes, leaves))
}

impl<P: Preset> Generator<P> {
    /// Builds the registry (validators, balances, participation, inactivity) and its roots.
    pub(super) fn registry(&mut self) -> Result<(), ChainError> {
        let mut validators = Vec::with_capacity(self.n as usize);
        let mut state = self.seed ^ 0x9e37_79b9_7f4a_7c15;
        for i in 0..self.n {
            let pubkey = if i < self.real {
                self.pubkeys[i as usize]
            } else {
                // Placeholder: deterministic bytes, not a curve point (documented above).
                let mut pk = [0u8; 48];
                for c in pk.chunks_mut(8) {
                    state = splitmix64(state);
                    c.copy_from_slice(&state.to_le_bytes()[..c.len()]);
                }
                pk[0] = 0x80 | (pk[0] & 0x1f); // compressed-point flag bits, as real keys have
                pk
            };
            let mut wc = [0u8; 32];
            wc[0] = 0x01; // ETH1_ADDRESS_WITHDRAWAL_PREFIX + 11 zero bytes + a 20-byte address
            wc[12..20].copy_from_slice(&i.to_le_bytes());
            validators.push(Validator {
                pubkey: BlsPublicKey::from(pubkey),
                withdrawal_credentials: b256(wc),
                effective_balance: BALANCE_GWEI,
                slashed: false,
                activation_eligibility_epoch: 0,
                activation_epoch: 0,
                exit_epoch: FAR_FUTURE_EPOCH,
                withdrawable_epoch: FAR_FUTURE_EPOCH,
            });
        }
        let validators: VariableList<Validator, P::ValidatorRegistryLimit> =
            VariableList::new(validators).map_err(ssz_err("validators"))?;
        let n = self.n as usize;
        let balances: VariableList<u64, P::ValidatorRegistryLimit> =
            VariableList::new(vec![BALANCE_GWEI; n]).map_err(ssz_err("balances"))?;
        // TIMELY_SOURCE | TIMELY_TARGET | TIMELY_HEAD: a healthy, fully participating chain.
        let participation: VariableList<ParticipationFlags, P::ValidatorRegistryLimit> =
            VariableList::new(vec![Uint8(0b111); n]).map_err(ssz_err("participation"))?;
        let inactivity: VariableList<u64, P::ValidatorRegistryLimit> =
            VariableList::new(vec![0; n]).map_err(ssz_err("inactivity_scores"))?;
        // The registry lists are the bulk of the hashing (a 2M registry is ~19M node hashes):
        // merkleize their SSZ bytes with the crate's batched kernels (many nodes per SHA-256
        // call) rather than `tree_hash`'s one-node-at-a-time walk over the typed values.
        let (validators_bytes, balances_bytes, participation_bytes, inactivity_bytes) = (
            validators.as_ssz_bytes(),
            balances.as_ssz_bytes(),
            participation.as_ssz_bytes(),
            inactivity.as_ssz_bytes(),
        );
        let roots_in = |fork: ForkName| -> Result<RegistryRoots, ChainError> {
            let field_root =
                |name: &'static str, bytes: &[u8]| registry_field_root(fork, P::NAME, name, bytes);
            Ok(RegistryRoots {
                validators: field_root("validators", &validators_bytes)?,
                balances: field_root("balances", &balances_bytes)?,
                participation: field_root("current_epoch_participation", &participation_bytes)?,
                inactivity: field_root("inactivity_scores", &inactivity_bytes)?,
            })
        };
        let genesis_fork = self.fork_at(0);
        let roots = roots_in(genesis_fork)?;
        let gloas_roots = if self.fork == ForkName::Gloas && genesis_fork != ForkName::Gloas {
            Some(roots_in(ForkName::Gloas)?)
        } else {
            None
        };
        self.validators_root = roots.validators;
        self.registry = Some(Registry {
            roots,
            gloas_roots,
            validators,
            balances,
            participation,
            inactivity,
        });
        Ok(())
    }

    /// Builds a served state at `slot` (0 or the finalized boundary) whose latest block is `blk`.
    pub(super) fn build_state(
        &mut self,
        slot: u64,
        latest_header: &BeaconBlockHeader,
        summaries: &[HistoricalSummary],
        payload_header: &ExecutionPayloadHeader<P>,
        last: bool,
    ) -> Result<(Vec<u8>, Vec<[u8; 32]>), ChainError> {
        let sphr = P::SLOTS_PER_HISTORICAL_ROOT as usize;
        let mut block_roots = vec![B256::ZERO; sphr];
        let mut state_roots = vec![B256::ZERO; sphr];
        for s in 0..slot as usize {
            block_roots[s % sphr] = b256(self.block_roots[s]);
            state_roots[s % sphr] = b256(self.state_roots[s]);
        }
        let period = self.period(slot);
        let current = self.committee(period)?.0;
        let next = self.committee(period + 1)?.0;
        let cps = self.checkpoints_at(slot);
        let header = *latest_header;
        let epochs_hist = P::EPOCHS_PER_HISTORICAL_VECTOR as usize;
        let randao: Vec<B256> = (0..epochs_hist)
            .map(|i| b256(h(self.seed, "randao-mix", i as u64, 0)))
            .collect();
        let mut jbits = BitVector::<crate::types::JustificationBitsLength>::new();
        if slot > 0 {
            for i in 0..3 {
                let _ = jbits.set(i, true);
            }
        }
        let lookahead_len = ((P::MIN_SEED_LOOKAHEAD + 1) * P::SLOTS_PER_EPOCH) as usize;
        let lookahead: Vec<u64> = (0..lookahead_len as u64)
            .map(|i| self.proposer(slot + i))
            .collect();
        let fork_s = self.fork_struct(slot);
        let fork = self.fork_at(slot);
        let gloas = if self.fork_at(slot) == ForkName::Gloas {
            Some(self.gloas_parts(slot)?)
        } else {
            None
        };
        let eth1 = self.eth1_data();
        let reg = self.registry.as_mut().ok_or_else(|| ChainError::Ssz {
            what: "state",
            detail: "registry not built".into(),
        })?;
        // The last served state takes the registry lists instead of copying them: for a
        // mainnet-sized registry that is ~300 MB less at the peak.
        let validators = take_or_clone(&mut reg.validators, last);
        let balances = take_or_clone(&mut reg.balances, last);
        let participation = take_or_clone(&mut reg.participation, last);
        let inactivity = take_or_clone(&mut reg.inactivity, last);
        let reg = &*reg;
        let parts = StateParts {
            genesis_time: self.genesis_time,
            genesis_validators_root: b256(self.validators_root),
            slot,
            fork: fork_s,
            latest_block_header: header,
            block_roots: FixedVector::new(block_roots).map_err(ssz_err("block_roots"))?,
            state_roots: FixedVector::new(state_roots).map_err(ssz_err("state_roots"))?,
            eth1_data: eth1,
            eth1_deposit_index: self.n,
            validators,
            balances,
            randao_mixes: FixedVector::new(randao).map_err(ssz_err("randao_mixes"))?,
            participation,
            justification_bits: jbits,
            previous_justified_checkpoint: Self::typed_cp(cps.previous_justified),
            current_justified_checkpoint: Self::typed_cp(cps.current_justified),
            finalized_checkpoint: Self::typed_cp(cps.finalized),
            inactivity_scores: inactivity,
            current_sync_committee: current,
            next_sync_committee: next,
            latest_execution_payload_header: payload_header.clone(),
            historical_summaries: VariableList::new(summaries.to_vec())
                .map_err(ssz_err("historical_summaries"))?,
            proposer_lookahead: lookahead,
            gloas,
        };
        let roots = reg.roots(fork);
        match fork {
            ForkName::Gloas => {
                build_typed::<P, crate::types::gloas::BeaconState<P>>(parts, fork, roots)
            }
            ForkName::Fulu => build_typed::<P, fulu::BeaconState<P>>(parts, fork, roots),
            _ => build_typed::<P, electra::BeaconState<P>>(parts, fork, roots),
        }
    }
}
