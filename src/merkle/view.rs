//! Zero-copy reads of the state fields other modules need, without decoding the state.
//!
//! [`StateView::new`] validates the top-level layout once (offsets, and that every list of
//! fixed-size elements is a whole number of elements within its limit), so the accessors below
//! cannot read out of bounds; per-index accessors return `None` past the end.
//!
//! A streamed state is not kept whole ([`KeptState`]): only its fixed part and the few
//! variable fields the anchor reads stay, and a view over it has no registry (the validator
//! accessors see an empty one; the weak-subjectivity inputs were counted as the records passed).

use super::schema::{beacon_state, SszType};
use super::ssz::{container_ranges, SeqPlan};
use super::MerkleError;
use crate::types::{with_preset, ForkName, Preset, PresetName};
use std::borrow::Cow;
use std::ops::Range;

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut x = [0u8; N];
    x.copy_from_slice(&b[at..at + N]);
    x
}

/// `Fork` of the state: versions and the epoch of the last fork.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkView {
    /// Fork version before `epoch`.
    pub previous_version: [u8; 4],
    /// Fork version from `epoch` on.
    pub current_version: [u8; 4],
    /// Epoch of the last fork.
    pub epoch: u64,
}

/// `BeaconBlockHeader` (`state_root` is zero in `latest_block_header` until the next slot fills
/// it in, which is why block roots are computed with the state root substituted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderView {
    /// Slot of the block.
    pub slot: u64,
    /// Index of the proposer.
    pub proposer_index: u64,
    /// Root of the parent block.
    pub parent_root: [u8; 32],
    /// Post-state root (zero in `latest_block_header` of the state itself).
    pub state_root: [u8; 32],
    /// Root of the block body.
    pub body_root: [u8; 32],
}

/// `Checkpoint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointView {
    /// Epoch.
    pub epoch: u64,
    /// Block root.
    pub root: [u8; 32],
}

/// One `Validator` record read in place (121 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatorView<'a> {
    bytes: &'a [u8],
}

impl<'a> ValidatorView<'a> {
    /// BLS public key (48 bytes, compressed G1).
    pub fn pubkey(&self) -> &'a [u8] {
        &self.bytes[0..48]
    }
    /// Withdrawal credentials.
    pub fn withdrawal_credentials(&self) -> [u8; 32] {
        arr(self.bytes, 48)
    }
    /// Effective balance in Gwei.
    pub fn effective_balance(&self) -> u64 {
        u64_at(self.bytes, 80)
    }
    /// Whether the validator was slashed (any non-zero byte reads as true).
    pub fn slashed(&self) -> bool {
        self.bytes[88] != 0
    }
    /// Epoch it became eligible for activation.
    pub fn activation_eligibility_epoch(&self) -> u64 {
        u64_at(self.bytes, 89)
    }
    /// Activation epoch.
    pub fn activation_epoch(&self) -> u64 {
        u64_at(self.bytes, 97)
    }
    /// Exit epoch (`FAR_FUTURE_EPOCH` if not exiting).
    pub fn exit_epoch(&self) -> u64 {
        u64_at(self.bytes, 105)
    }
    /// Withdrawable epoch.
    pub fn withdrawable_epoch(&self) -> u64 {
        u64_at(self.bytes, 113)
    }
    /// `is_active_validator(validator, epoch)`: `activation_epoch <= epoch < exit_epoch`.
    pub fn is_active_validator(&self, epoch: u64) -> bool {
        self.activation_epoch() <= epoch && epoch < self.exit_epoch()
    }
}

/// A `SyncCommittee` read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncCommitteeView<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl<'a> SyncCommitteeView<'a> {
    /// Number of members (`SYNC_COMMITTEE_SIZE`).
    pub fn len(&self) -> usize {
        self.size
    }
    /// Always false: a sync committee has `SYNC_COMMITTEE_SIZE > 0` members.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
    /// Public key of member `i` (48 bytes).
    pub fn pubkey(&self, i: usize) -> Option<&'a [u8]> {
        (i < self.size).then(|| &self.bytes[48 * i..48 * i + 48])
    }
    /// All member public keys in order.
    pub fn pubkeys(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let b = self.bytes;
        b[..48 * self.size].chunks_exact(48)
    }
    /// The aggregate public key (48 bytes).
    pub fn aggregate_pubkey(&self) -> &'a [u8] {
        &self.bytes[48 * self.size..48 * self.size + 48]
    }
    /// The raw SSZ bytes of the committee (`pubkeys ++ aggregate_pubkey`).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// Zero-copy view over BeaconState SSZ bytes (all of them, or what a [`KeptState`] kept).
pub struct StateView<'a> {
    bytes: &'a [u8],
    fork: ForkName,
    preset: PresetName,
    schema: &'static SszType,
    /// Each field's bytes within `bytes`; `None` for a field a [`KeptState`] did not keep.
    ranges: Vec<Option<Range<usize>>>,
}

impl<'a> StateView<'a> {
    /// Validates the layout of `bytes` as a BeaconState of `fork` under `preset`.
    pub fn new(bytes: &'a [u8], fork: ForkName, preset: PresetName) -> Result<Self, MerkleError> {
        let schema = beacon_state(fork, preset);
        let ranges = container_ranges(schema.fields(), bytes, &|| "BeaconState".to_string())?;
        for ((name, ty), r) in schema.fields().iter().zip(&ranges) {
            SeqPlan::new(ty, r.len(), &|| format!("BeaconState.{name}"))?;
        }
        Ok(StateView {
            bytes,
            fork,
            preset,
            schema,
            ranges: ranges.into_iter().map(Some).collect(),
        })
    }

    /// The fork this view was opened with.
    pub fn fork_name(&self) -> ForkName {
        self.fork
    }

    /// The preset this view was opened with.
    pub fn preset(&self) -> PresetName {
        self.preset
    }

    /// The raw bytes of top-level field `name`, if the fork has it (and, in a view of a
    /// [`KeptState`], if it was kept).
    pub fn field_bytes(&self, name: &str) -> Option<&'a [u8]> {
        let i = self.schema.field_index(name)?;
        Some(&self.bytes[self.ranges[i].clone()?])
    }

    /// A list's bytes, empty when it was not kept (the registry of a [`KeptState`]).
    fn list(&self, name: &str) -> &'a [u8] {
        self.field_bytes(name).unwrap_or_default()
    }

    fn field(&self, name: &str) -> &'a [u8] {
        self.field_bytes(name)
            .expect("field present in every fork's schema")
    }

    /// Genesis time, in seconds since the Unix epoch.
    pub fn genesis_time(&self) -> u64 {
        u64_at(self.field("genesis_time"), 0)
    }
    /// `genesis_validators_root`.
    pub fn genesis_validators_root(&self) -> [u8; 32] {
        arr(self.field("genesis_validators_root"), 0)
    }
    /// Slot of the state.
    pub fn slot(&self) -> u64 {
        u64_at(self.field("slot"), 0)
    }
    /// `fork` field (versions and epoch).
    pub fn fork(&self) -> ForkView {
        let b = self.field("fork");
        ForkView {
            previous_version: arr(b, 0),
            current_version: arr(b, 4),
            epoch: u64_at(b, 8),
        }
    }
    /// `latest_block_header`.
    pub fn latest_block_header(&self) -> HeaderView {
        let b = self.field("latest_block_header");
        HeaderView {
            slot: u64_at(b, 0),
            proposer_index: u64_at(b, 8),
            parent_root: arr(b, 16),
            state_root: arr(b, 48),
            body_root: arr(b, 80),
        }
    }
    /// `block_roots[i]` (`i < SLOTS_PER_HISTORICAL_ROOT`; the spec indexes it by
    /// `slot % SLOTS_PER_HISTORICAL_ROOT`).
    pub fn block_root(&self, i: usize) -> Option<[u8; 32]> {
        let b = self.field("block_roots");
        (i < b.len() / 32).then(|| arr(b, 32 * i))
    }
    /// `state_roots[i]`.
    pub fn state_root_at(&self, i: usize) -> Option<[u8; 32]> {
        let b = self.field("state_roots");
        (i < b.len() / 32).then(|| arr(b, 32 * i))
    }
    /// `SLOTS_PER_HISTORICAL_ROOT` of the preset.
    pub fn slots_per_historical_root(&self) -> usize {
        with_preset!(self.preset, P => P::SLOTS_PER_HISTORICAL_ROOT as usize)
    }
    /// Number of `historical_summaries` (0 before Capella).
    pub fn historical_summaries_len(&self) -> usize {
        self.field_bytes("historical_summaries")
            .map_or(0, |b| b.len() / 64)
    }
    /// `historical_summaries[i]` as `(block_summary_root, state_summary_root)`.
    pub fn historical_summary(&self, i: usize) -> Option<([u8; 32], [u8; 32])> {
        let b = self.field_bytes("historical_summaries")?;
        (i < b.len() / 64).then(|| (arr(b, 64 * i), arr(b, 64 * i + 32)))
    }
    /// `finalized_checkpoint`.
    pub fn finalized_checkpoint(&self) -> CheckpointView {
        let b = self.field("finalized_checkpoint");
        CheckpointView {
            epoch: u64_at(b, 0),
            root: arr(b, 8),
        }
    }
    /// Number of validators in the registry (0 in a view of a [`KeptState`]: see
    /// [`KeptState::registry`]).
    pub fn validators_len(&self) -> usize {
        self.list("validators").len() / 121
    }
    /// `validators[i]`.
    pub fn validator(&self, i: usize) -> Option<ValidatorView<'a>> {
        let b = self.list("validators");
        (i < b.len() / 121).then(|| ValidatorView {
            bytes: &b[121 * i..121 * i + 121],
        })
    }
    /// Every validator, in index order.
    pub fn validators(&self) -> impl Iterator<Item = ValidatorView<'a>> + 'a {
        self.list("validators")
            .chunks_exact(121)
            .map(|bytes| ValidatorView { bytes })
    }
    /// Number of balances (equals the validator count in a valid state).
    pub fn balances_len(&self) -> usize {
        self.list("balances").len() / 8
    }
    /// `balances[i]`, in Gwei.
    pub fn balance(&self, i: usize) -> Option<u64> {
        let b = self.list("balances");
        (i < b.len() / 8).then(|| u64_at(b, 8 * i))
    }
    fn committee(&self, name: &str) -> Option<SyncCommitteeView<'a>> {
        let bytes = self.field_bytes(name)?;
        Some(SyncCommitteeView {
            bytes,
            size: with_preset!(self.preset, P => P::SYNC_COMMITTEE_SIZE as usize),
        })
    }
    /// `current_sync_committee` (`None` before Altair).
    pub fn current_sync_committee(&self) -> Option<SyncCommitteeView<'a>> {
        self.committee("current_sync_committee")
    }
    /// `next_sync_committee` (`None` before Altair).
    pub fn next_sync_committee(&self) -> Option<SyncCommitteeView<'a>> {
        self.committee("next_sync_committee")
    }
}

/// The registry's numbers, counted while its records streamed past (the registry itself is not
/// kept): the inputs of `compute_weak_subjectivity_period` at the state's epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registry {
    /// Validators in the registry.
    pub validators: u64,
    /// The epoch activity was judged at: `compute_epoch_at_slot(state.slot)`.
    pub epoch: u64,
    /// The active validators at `epoch` and their effective balance.
    pub active: ActiveValidators,
}

/// The parts of a verified state the anchor reads, without the rest: the whole fixed part (slot,
/// fork, header, checkpoints, `block_roots`, `state_roots`, both sync committees, ...) and the
/// variable fields that are containers (the execution payload header, the Gloas bid) or
/// `historical_summaries`; every other list (the registry, balances, participation, queues) is
/// dropped once hashed. A local file's state is kept whole, borrowed.
#[derive(Clone, Debug)]
pub struct KeptState<'s> {
    bytes: Cow<'s, [u8]>,
    ranges: Vec<Option<Range<usize>>>,
    fork: ForkName,
    preset: PresetName,
    registry: Option<Registry>,
    /// A streamed state's one kept registry record: the latest block header's proposer's (the
    /// signer of a self-built Gloas payload envelope). Empty when not streamed or out of range.
    proposer: Vec<u8>,
}

impl<'s> KeptState<'s> {
    /// A whole state in memory, validated like [`StateView::new`].
    pub fn whole(bytes: &'s [u8], fork: ForkName, preset: PresetName) -> Result<Self, MerkleError> {
        let ranges = StateView::new(bytes, fork, preset)?.ranges;
        Ok(KeptState {
            bytes: Cow::Borrowed(bytes),
            ranges,
            fork,
            preset,
            registry: None,
            proposer: Vec::new(),
        })
    }

    /// What a stream kept: `bytes` holds the kept fields at `ranges` (validated by the plan).
    pub(super) fn streamed(
        bytes: Vec<u8>,
        ranges: Vec<Option<Range<usize>>>,
        fork: ForkName,
        preset: PresetName,
        registry: Registry,
        proposer: Vec<u8>,
    ) -> KeptState<'static> {
        KeptState {
            bytes: Cow::Owned(bytes),
            ranges,
            fork,
            preset,
            registry: Some(registry),
            proposer,
        }
    }

    /// Validator `i`'s record, where the kept state still holds it: any of a whole state's; of a
    /// streamed one, only the latest block header's proposer's.
    pub fn validator(&self, i: usize) -> Option<ValidatorView<'_>> {
        if self.registry.is_none() {
            return self.view().validator(i);
        }
        let proposer = self.view().latest_block_header().proposer_index;
        (self.proposer.len() == VALIDATOR_BYTES && usize::try_from(proposer) == Ok(i)).then(|| {
            ValidatorView {
                bytes: &self.proposer,
            }
        })
    }

    /// A view of what was kept.
    pub fn view(&self) -> StateView<'_> {
        StateView {
            bytes: &self.bytes,
            fork: self.fork,
            preset: self.preset,
            schema: beacon_state(self.fork, self.preset),
            ranges: self.ranges.clone(),
        }
    }

    /// The registry's numbers when it streamed past; `None` when the state is kept whole (read
    /// them from the view's validators).
    pub fn registry(&self) -> Option<Registry> {
        self.registry
    }

    /// Bytes kept.
    pub fn kept_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Active validators at an epoch, counted in one pass over the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveValidators {
    /// Number of active validators.
    pub count: u64,
    /// Sum of their effective balances, in Gwei (not floored; see [`get_total_active_balance`]).
    pub total_effective_balance: u64,
}

impl ActiveValidators {
    /// None counted yet.
    pub const NONE: ActiveValidators = ActiveValidators {
        count: 0,
        total_effective_balance: 0,
    };

    /// Counts `v` when it is active at `epoch`.
    pub fn add(&mut self, v: ValidatorView, epoch: u64) {
        if v.is_active_validator(epoch) {
            self.count += 1;
            self.total_effective_balance = self
                .total_effective_balance
                .saturating_add(v.effective_balance());
        }
    }
}

/// Bytes of one SSZ `Validator` record.
pub const VALIDATOR_BYTES: usize = 121;

/// Counts active validators at `epoch` and sums their effective balances (Gwei).
pub fn active_validators(view: &StateView, epoch: u64) -> ActiveValidators {
    let mut out = ActiveValidators::NONE;
    for v in view.validators() {
        out.add(v, epoch);
    }
    out
}

/// [`ActiveValidators::add`] for each whole record of `records` (SSZ `Validator`s back to back).
pub fn count_active(out: &mut ActiveValidators, records: &[u8], epoch: u64) {
    for bytes in records.chunks_exact(VALIDATOR_BYTES) {
        out.add(ValidatorView { bytes }, epoch);
    }
}

/// `EFFECTIVE_BALANCE_INCREMENT` in Gwei (same in both presets).
pub const EFFECTIVE_BALANCE_INCREMENT: u64 = 1_000_000_000;

/// `get_total_active_balance(state)` for `epoch` (the spec uses the current epoch), in Gwei:
/// the sum of active effective balances, at least `EFFECTIVE_BALANCE_INCREMENT` so it is never 0.
pub fn get_total_active_balance(view: &StateView, epoch: u64) -> u64 {
    active_validators(view, epoch)
        .total_effective_balance
        .max(EFFECTIVE_BALANCE_INCREMENT)
}
