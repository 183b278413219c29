//! Checkpoint sync: from a trusted starting point to a verified anchor in the store.
//!
//! A light-sync client does not replay the chain from genesis; it starts from a recent finalized
//! state. This module decides whether a state served by a Beacon API (or read from a file) may be
//! trusted, and stores it as the anchor only after every check passed. The flows are the ones of
//! the project's design ("The flows"):
//!
//! - **trusted block root** R (`trustedBlockRoot`, or a `block_root:epoch` checkpoint): the
//!   provider's `genesis_validators_root` must be the network's; the header it serves for R must
//!   hash to R; the state it serves for `header.state_root` must hash to that root. When the
//!   checkpoint block is not at its epoch's first slot (empty slots), the epoch-boundary state is
//!   used instead and linked to R through its `latest_block_header` (state root filled in) and its
//!   `block_roots`/`state_roots`; the anchor records that link. With an epoch, the spec's
//!   `is_within_weak_subjectivity_period` asserts (state epoch = checkpoint epoch, block root at
//!   the epoch = checkpoint root) are checked too;
//! - **provider trust** (`stateId`): the state and its block header must link; with several
//!   providers, a quorum of them must report the same finalized checkpoint first;
//! - **local state file**: at an epoch's first slot, of this network, into an empty database.
//!
//! Gloas (v1.7.0-alpha.13) changes two things. A Gloas node serves a finalized state as the
//! post-state of the finalized block, never advanced to the epoch boundary (the advance would
//! need the block's payload): when the boundary slot was empty that state sits in the epoch
//! before, so a Gloas block one epoch before a `block_root:epoch` checkpoint is taken with its own
//! post-state (its root is the header's `state_root`, its `latest_block_header` the block) and
//! the anchor keeps the checkpoint's epoch; a state file may likewise be the post-state of its
//! own latest block. Pre-Gloas rules are unchanged. And the anchor records whether the block's
//! payload was delivered (FULL or EMPTY, see [`envelope`]): the state cannot tell, so the
//! provider's `SignedExecutionPayloadEnvelope` is fetched and verified against the state, and
//! its 404 means EMPTY.
//!
//! Verification and storage are apart: [`CheckpointSync::verify`] runs every check and stores
//! nothing ([`VerifiedAnchor`]); [`commit`] is the one writer, storing the anchor and its roots
//! in one transaction. The light rebuild uses `verify` alone for the state of its new anchor,
//! which it stores together with the headers that link it to the old one.
//!
//! The fork of a state comes from `Eth-Consensus-Version` and from the fork version inside the
//! state bytes; both must agree (the header may be missing when CORS hides it), and with the
//! network's schedule at the state's slot. The weak-subjectivity period is computed from the
//! verified state and kept in the anchor. Progress and warnings go through the run's [`Env`], which
//! also lets the caller yield to the browser's event loop between hashing slices, abort, and lend a
//! [`HashPool`] (Web Workers): a downloaded state is hashed while it arrives ([`hashing`]), so
//! its root is ready moments after the last byte, and only what the anchor reads of it is kept
//! ([`KeptState`]); a local file's bytes go through the same hashing, piece by piece.

mod envelope;
mod error;
mod hashing;
mod state_file;

pub use crate::beacon_api::TASK_BUDGET_MS;
pub use crate::ctx::{HashPool, PoolResult, PoolTask};
pub use crate::event::{Phase, ProgressEvent};
pub use crate::ws::{LongRange, WsStatus};
pub use envelope::{
    verify_execution_payload_envelope, BUILDER_INDEX_SELF_BUILD, DOMAIN_BEACON_BUILDER,
};
pub use error::CheckpointError;
pub use hashing::{INLINE_TASK_BYTES, READ_AHEAD_BYTES};
pub use state_file::{ReadAt, StateFile};

use crate::beacon_api::{first_passing, ApiError, BeaconApi, HeaderInfo, Next, Rejection};
use crate::config::NetworkConfig;
use crate::ctx::{Ctx, Env};
use crate::event::{Event, ExecutionSource};
use crate::merkle::{
    ActiveValidators, HeaderView, KeptState, StateView, SyncCommitteeView,
    EFFECTIVE_BALANCE_INCREMENT,
};
use crate::store::{
    AnchorPayload, AnchorRecord, AnchorRootsRecord, KeptStateRecord, PayloadStatus, Store,
    StoreError, SyncCommitteeRecord, Trust,
};
use crate::types::hex0x;
use crate::types::phase0::BeaconBlockHeader;
use crate::types::{ForkName, TreeHash, B256};
use crate::ws::{
    compute_weak_subjectivity_period, is_within_weak_subjectivity_period,
    verify_ws_state_block_root, ChainClock, Clock, WsCheckpoint, WsConfig, WsFormula, WsInputs,
};

pub use crate::types::Root;

/// The `provider` named in errors about a local state file.
pub const STATE_FILE: &str = "state file";

/// Node hashes per hashing slice between two [`Env::pause`] calls when the env has no clock
/// ([`Env::now_ms`] is `None`). At the ~1-3 million node hashes per second of SHA-256 in wasm,
/// 32768 nodes take roughly 10-30 ms, which keeps each main-thread task under the ~50 ms that
/// makes a page feel unresponsive.
pub const HASH_NODES_PER_SLICE: u64 = 32_768;

/// Node hashes per step between two clock reads when the env has a clock: small enough that a
/// slow machine (0.3 million hashes per second) overshoots [`TASK_BUDGET_MS`] by at most ~15 ms.
const HASH_NODES_PER_STEP: u64 = 4_096;

/// Validators read per step of the registry walk between two clock reads (the active balance of
/// the weak-subjectivity period): ~16k records of 121 bytes take well under a millisecond.
const VALIDATORS_PER_STEP: usize = 16_384;

/// Where trust comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A `block_root:epoch` weak-subjectivity checkpoint.
    Checkpoint(WsCheckpoint),
    /// A trusted block root, without an epoch.
    TrustedBlockRoot(Root),
    /// A Beacon API state id (`finalized`, a slot, a 0x state root): trust the provider(s).
    StateId(String),
    /// A local SSZ `BeaconState`, read a piece at a time.
    StateFile(StateFile),
}

/// Options of a checkpoint sync.
#[derive(Debug, Clone, Default)]
pub struct CheckpointOptions {
    /// What to do with a stale checkpoint.
    pub long_range: LongRange,
    /// How many providers must report the same finalized checkpoint in the provider-trust flow
    /// when several are given. `None` = all of them (unanimity): one lying provider among
    /// several then stops the sync instead of being outvoted, which is the safe default when
    /// the providers are trusted in the first place. Clamped to `1..=providers`.
    pub quorum: Option<usize>,
    /// Keep the verified state's SSZ in the store ([`crate::store::KeptStateRecord`]): written
    /// in chunks while it streams, promoted in the transaction that stores its anchor
    /// ([`commit`]), deleted when it fails. Only `run` keeps a state; `verify` alone never writes.
    pub keep_state: bool,
}

/// Emits one progress event; `rate` in bytes per second since `started_ms` when the env
/// have a clock.
#[allow(clippy::too_many_arguments)]
fn emit_progress<E: Env>(
    env: &E,
    phase: Phase,
    done: u64,
    total: Option<u64>,
    bytes: u64,
    started_ms: Option<f64>,
    provider: Option<&str>,
    workers: Option<u32>,
) {
    let rate = match (started_ms, env.now_ms()) {
        (Some(t0), Some(t1)) if t1 > t0 => Some(bytes as f64 * 1000.0 / (t1 - t0)),
        _ => None,
    };
    env.emit(&Event::Progress(ProgressEvent {
        phase,
        done,
        total,
        bytes,
        rate,
        provider: provider.map(str::to_string),
        workers,
    }));
}

/// The fork of state bytes (their first 56 bytes suffice): from the bytes' fork version,
/// checked against `Eth-Consensus-Version` (when present; a `FORK_FROM_STATE_BYTES` warning
/// when a provider sent none) and the network's schedule at the state's slot.
fn state_fork<E: Env>(
    network: &NetworkConfig,
    env: &E,
    provider: &str,
    header_fork: Option<ForkName>,
    bytes: &[u8],
) -> Result<ForkName, CheckpointError> {
    let unknown = |error| CheckpointError::UnknownStateFork {
        provider: provider.to_string(),
        error,
    };
    let from_bytes = network.fork_of_state_ssz(bytes).map_err(unknown)?;
    let slot = crate::types::state_slot_from_ssz(bytes).map_err(unknown)?;
    match header_fork {
        Some(h) if h != from_bytes => {
            return Err(CheckpointError::ForkMismatch {
                provider: provider.to_string(),
                expected: h.to_string(),
                actual: from_bytes.to_string(),
                source: "Eth-Consensus-Version vs state bytes",
            })
        }
        Some(_) => {}
        None if provider != STATE_FILE => env.emit(&Event::Warning {
            code: "FORK_FROM_STATE_BYTES",
            message: format!(
                "{provider} sent no readable Eth-Consensus-Version (CORS?); fork {from_bytes} taken from the state's fork version"
            ),
        }),
        None => {}
    }
    let scheduled = network.fork_at_slot(slot);
    if scheduled != from_bytes {
        return Err(CheckpointError::ForkMismatch {
            provider: provider.to_string(),
            expected: scheduled.to_string(),
            actual: from_bytes.to_string(),
            source: "fork schedule vs state bytes",
        });
    }
    Ok(from_bytes)
}

fn header_from_view(h: &HeaderView) -> BeaconBlockHeader {
    BeaconBlockHeader {
        slot: h.slot,
        proposer_index: h.proposer_index,
        parent_root: B256::from(h.parent_root),
        state_root: B256::from(h.state_root),
        body_root: B256::from(h.body_root),
    }
}

/// The block root of a state's `latest_block_header`, with its state root filled in when it is
/// still zero (the state is the post-state of that very block), and whether it already was
/// filled (the state was advanced through empty slots after the block).
fn latest_block_root(view: &StateView, state_root: &Root) -> (Root, bool) {
    let mut header = header_from_view(&view.latest_block_header());
    let advanced = header.state_root != B256::ZERO;
    if !advanced {
        header.state_root = B256::from(*state_root);
    }
    (header.tree_hash_root().0, advanced)
}

/// The header of block `root` from `p`: [`CheckpointError::HeaderNotFound`] when it has none,
/// [`CheckpointError::HeaderRootMismatch`] when the one it serves hashes to another root.
async fn header_by_root<A: BeaconApi>(p: &A, root: Root) -> Result<HeaderInfo, CheckpointError> {
    match p.header_by_root(&root).await {
        Ok(Some(h)) => Ok(h),
        Ok(None) => Err(CheckpointError::HeaderNotFound {
            provider: p.base_url().to_string(),
            block_root: root,
        }),
        Err(ApiError::HeaderRootMismatch { got, .. }) => Err(CheckpointError::HeaderRootMismatch {
            provider: p.base_url().to_string(),
            expected: root,
            actual: got,
        }),
        Err(e) => Err(e.into()),
    }
}

fn committee_record(c: Option<SyncCommitteeView>) -> Option<SyncCommitteeRecord> {
    let c = c?;
    let pubkeys = c
        .pubkeys()
        .map(|k| {
            let mut key = [0u8; 48];
            key.copy_from_slice(k);
            key
        })
        .collect();
    let mut aggregate_pubkey = [0u8; 48];
    aggregate_pubkey.copy_from_slice(c.aggregate_pubkey());
    Some(SyncCommitteeRecord {
        pubkeys,
        aggregate_pubkey,
    })
}

/// Decides when long work yields. With a clock in the env: before the next step would take
/// the current task past [`TASK_BUDGET_MS`], judged by the longest step seen so far (a step can
/// be indivisible, e.g. one hashing group of about a megabyte). Without a clock: at every check
/// (the caller then keeps each step small on its own).
struct Pacer<'h, E> {
    env: &'h E,
    since: Option<f64>,
    step_started: Option<f64>,
    longest_step_ms: f64,
}

impl<'h, E: Env> Pacer<'h, E> {
    fn new(env: &'h E) -> Self {
        let now = env.now_ms();
        Pacer {
            env,
            since: now,
            step_started: now,
            longest_step_ms: 0.0,
        }
    }

    /// Whether the env has a clock (steps can then be small and paced by time).
    fn timed(&self) -> bool {
        self.since.is_some()
    }

    /// Ends a step: records its duration and says whether to yield before the next one.
    fn due(&mut self) -> bool {
        let (Some(t0), Some(now)) = (self.since, self.env.now_ms()) else {
            return true;
        };
        if let Some(s) = self.step_started {
            self.longest_step_ms = self.longest_step_ms.max(now - s);
        }
        self.step_started = Some(now);
        now - t0 + self.longest_step_ms >= TASK_BUDGET_MS
    }

    async fn pause(&mut self) {
        self.env.pause().await;
        self.since = self.env.now_ms();
        self.step_started = self.since;
    }
}

/// A state whose root is known and whose link to a block was checked: borrowed whole from a
/// local state file (no copy of a multi-hundred-megabyte buffer), or what a download kept.
struct CheckedState<'s> {
    state: KeptState<'s>,
    fork: ForkName,
    state_root: Root,
    block_root: Root,
    linked: bool,
    provider: String,
    /// Gloas on: the anchor block's payload (see [`envelope`]).
    payload: Option<AnchorPayload>,
    /// Where the state's bytes were kept (option `keepState`), not yet named by any record.
    chunks: Option<hashing::KeptChunks>,
}

/// The result of a successful checkpoint sync: the stored anchor and its WS standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The anchor as stored (and made active).
    pub anchor: AnchorRecord,
    /// Its weak-subjectivity standing at the time it was stored.
    pub ws: WsStatus,
}

/// A checkpoint that passed every check of its flow and is not stored yet: what [`commit`]
/// writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAnchor {
    /// The anchor record, as it is to be stored.
    pub anchor: AnchorRecord,
    /// The anchor state's block roots and summaries (the known roots backfill verifies with).
    pub roots: AnchorRootsRecord,
    /// The anchor's weak-subjectivity standing when it was verified.
    pub ws: WsStatus,
    /// The verified state's bytes, written pending (option `keep_state`): [`CheckpointSync::run`]
    /// promotes them once the anchor is stored.
    pub state: Option<KeptStateRecord>,
}

/// Stores a verified anchor and its roots in one transaction and makes it active: the only
/// writer of the checkpoint flow (`Store` progress 0 of 1, then 1 of 1).
pub async fn commit<S: Store, E: Env>(
    store: &S,
    env: &E,
    verified: VerifiedAnchor,
) -> Result<Verified, CheckpointError> {
    emit_progress(env, Phase::Store, 0, Some(1), 0, None, None, None);
    // The anchor, its roots and the kept state in one transaction: this anchor's state, or
    // none when it was not kept (the previous anchor's goes either way).
    store
        .put_anchor_with_roots(&verified.anchor, &verified.roots, verified.state.as_ref())
        .await?;
    emit_progress(env, Phase::Store, 1, Some(1), 0, None, None, None);
    let a = &verified.anchor;
    if let Some(e) = Event::execution(ExecutionSource::Anchor, a.slot, a.block_root, a.execution) {
        env.emit(&e);
    }
    Ok(Verified {
        anchor: verified.anchor,
        ws: verified.ws,
    })
}

/// One checkpoint sync: its run context, its env and its options.
pub struct CheckpointSync<'a, A, S, C: ?Sized, E> {
    /// The network the anchor must belong to, the providers, the store the anchor goes to and
    /// the wall clock (weak-subjectivity check, `created_at`).
    pub ctx: Ctx<'a, A, S, C>,
    /// Events, pauses, abort and the hash pool.
    pub env: &'a E,
    /// Options.
    pub options: CheckpointOptions,
}

impl<'a, A: BeaconApi, S: Store, C: Clock + ?Sized, E: Env> CheckpointSync<'a, A, S, C, E> {
    /// Runs the flow of `source`: [`CheckpointSync::verify`], then [`commit`] (the anchor is
    /// stored and made active).
    ///
    /// With `keep_state`, the state's bytes become the kept state in the anchor's own
    /// transaction (replacing the previous anchor's), and are deleted when anything fails.
    pub async fn run(&self, source: &Source) -> Result<Verified, CheckpointError> {
        let result = self.verify_and_commit(source).await;
        if result.is_err() {
            // Best effort: the run's error is what the caller needs; chunks left unnamed here
            // are never read as the kept state, and the next run empties their id first.
            if let Ok(Some(id)) = self.pending_state_id().await {
                let _ = self.ctx.store.discard_state_chunks(id).await;
            }
        }
        result
    }

    async fn verify_and_commit(&self, source: &Source) -> Result<Verified, CheckpointError> {
        let verified = self.verify(source).await?;
        self.check_abort()?;
        commit(self.ctx.store, self.env, verified).await
    }

    /// Every check of the flow of `source`; stores nothing (the store is only read, for a state
    /// file's empty-database rule). The result goes to [`commit`], or is used as it is (the
    /// light rebuild checks a new anchor's state this way before storing it with its headers).
    pub async fn verify(&self, source: &Source) -> Result<VerifiedAnchor, CheckpointError> {
        self.check_abort()?;
        let (checked, trust, providers, checkpoint) = match source {
            Source::StateFile(file) => {
                self.check_store_empty().await?;
                (
                    self.check_state_file(file).await?,
                    Trust::File,
                    Vec::new(),
                    None,
                )
            }
            Source::Checkpoint(cp) => {
                let c = self
                    .with_fallback(self.ctx.providers, |p| {
                        self.trusted_root(p, cp.root, Some(cp.epoch))
                    })
                    .await?;
                let provider = c.provider.clone();
                (c, Trust::Checkpoint, vec![provider], Some(*cp))
            }
            Source::TrustedBlockRoot(root) => {
                let c = self
                    .with_fallback(self.ctx.providers, |p| self.trusted_root(p, *root, None))
                    .await?;
                let provider = c.provider.clone();
                (c, Trust::BlockRoot, vec![provider], None)
            }
            Source::StateId(id) => {
                let (c, agreeing) = self.provider_trust(id).await?;
                (c, Trust::Provider, agreeing, None)
            }
        };
        self.check_abort()?;
        let (anchor, ws) = self
            .build_anchor(&checked, trust, providers, checkpoint.as_ref())
            .await?;
        // The verified state's block roots and summaries are kept with the anchor, so backfill
        // can place and verify older blocks after the state is gone.
        let view = checked.state.view();
        let roots = crate::backfill::KnownRoots::from_view(&view).map_err(|e| {
            CheckpointError::Store(StoreError::InvalidAnchorRoots {
                expected: "the anchor state's block roots".into(),
                got: e.reason,
            })
        })?;
        let state = checked.chunks.map(|c| KeptStateRecord {
            id: c.id,
            block_root: anchor.block_root,
            state_root: checked.state_root,
            length: c.length,
            chunks: c.chunks,
        });
        Ok(VerifiedAnchor {
            roots: roots.to_record(anchor.block_root),
            anchor,
            ws,
            state,
        })
    }

    fn check_abort(&self) -> Result<(), CheckpointError> {
        Ok(self.env.check_abort()?)
    }

    fn warn(&self, code: &'static str, message: String) {
        self.env.emit(&Event::Warning { code, message });
    }

    /// Tries each of `providers` in turn while the failure is the provider's fault, warning
    /// `PROVIDER_FAILED` before moving on; returns the first provider's error when all fail, and
    /// [`CheckpointError::NoProviders`] when there is none.
    async fn with_fallback<I, T, F, Fut>(
        &self,
        providers: I,
        attempt: F,
    ) -> Result<T, CheckpointError>
    where
        I: IntoIterator<Item = &'a A>,
        I::IntoIter: ExactSizeIterator,
        F: FnMut(&'a A) -> Fut,
        Fut: std::future::Future<Output = Result<T, CheckpointError>>,
    {
        let judge = |r: &Rejection<CheckpointError>, left: usize| {
            if !r.error.is_provider_fault() {
                return Next::Stop;
            }
            if left > 0 {
                let e = &r.error;
                self.warn(
                    "PROVIDER_FAILED",
                    format!(
                        "{} failed ({}: {e}); trying the next provider",
                        r.provider,
                        e.code()
                    ),
                );
            }
            Next::Try
        };
        first_passing(providers, attempt, judge)
            .await
            .map_err(|rejected| match rejected.stop_or_all() {
                Err(stop) => stop,
                Ok(all) => all
                    .into_iter()
                    .next()
                    .map_or(CheckpointError::NoProviders, |r| r.error),
            })
    }

    async fn check_store_empty(&self) -> Result<(), CheckpointError> {
        let anchors = self.ctx.store.anchors().await?.len();
        let meta = self.ctx.store.meta().await?;
        let backfill = meta.backfill_cursor.is_some();
        if anchors > 0 || backfill || meta.active_anchor.is_some() {
            return Err(CheckpointError::DatabaseNotEmpty { anchors, backfill });
        }
        Ok(())
    }

    async fn check_genesis(&self, p: &A) -> Result<(), CheckpointError> {
        let g = p.genesis().await?;
        let expected = self.ctx.network.genesis_validators_root.0;
        if g.genesis_validators_root != expected {
            return Err(CheckpointError::GenesisMismatch {
                provider: p.base_url().to_string(),
                expected,
                actual: g.genesis_validators_root,
            });
        }
        Ok(())
    }

    /// The [`CheckedState`] of a flow whose checks all passed: `hashed` anchored at `block_root`
    /// (`linked` through its `latest_block_header`), with the anchor block's payload (looked up
    /// at `p` when there is a provider).
    async fn checked(
        &self,
        p: Option<&A>,
        hashed: hashing::HashedState,
        block_root: Root,
        linked: bool,
        provider: String,
    ) -> Result<CheckedState<'static>, CheckpointError> {
        let payload = self.anchor_payload(p, &hashed.kept, &block_root).await?;
        Ok(CheckedState {
            state: hashed.kept,
            fork: hashed.fork,
            state_root: hashed.root,
            block_root,
            linked,
            provider,
            payload,
            chunks: hashed.chunks,
        })
    }

    /// The anchor block's payload for a verified state (`None` before Gloas): FULL when the state
    /// already holds its bid's payload, else the envelope of `block_root` from `p` decides
    /// (404: EMPTY; served: FULL once it passed [`verify_execution_payload_envelope`]). Without a
    /// provider (a state file) the status stays unknown.
    async fn anchor_payload(
        &self,
        p: Option<&A>,
        state: &KeptState<'_>,
        block_root: &Root,
    ) -> Result<Option<AnchorPayload>, CheckpointError> {
        let Some(mut payload) = envelope::from_state(&state.view()) else {
            return Ok(None);
        };
        if payload.status.is_none() {
            if let Some(p) = p {
                payload.status = Some(match p.execution_payload_envelope_ssz(block_root).await? {
                    None => PayloadStatus::Empty,
                    Some(raw) => {
                        verify_execution_payload_envelope(
                            self.ctx.network,
                            state,
                            block_root,
                            &raw,
                        )?;
                        PayloadStatus::Full
                    }
                });
            }
        }
        Ok(Some(payload))
    }

    /// Whether the block at `block_slot` stands, with its own post-state, for the boundary of
    /// checkpoint `epoch`: a Gloas block in the epoch just before it (the boundary slot was
    /// empty, and a Gloas node serves the block's post-state, not an advanced one).
    fn gloas_block_before_boundary(&self, block_slot: u64, epoch: u64) -> bool {
        let network = self.ctx.network;
        network.fork_at_slot(block_slot) == ForkName::Gloas
            && network.compute_epoch_at_slot(block_slot).saturating_add(1) == epoch
    }

    /// The id a kept state's chunks are written under in this run: the one after the kept
    /// state's (so the kept state stays whole until its replacement is verified), 1 with none;
    /// `None` without `keep_state`.
    async fn pending_state_id(&self) -> Result<Option<u32>, CheckpointError> {
        if !self.options.keep_state {
            return Ok(None);
        }
        let kept = self.ctx.store.kept_state().await?;
        Ok(Some(kept.map_or(1, |k| k.id.wrapping_add(1).max(1))))
    }

    /// A [`hashing::Keep`] into the pending id, emptied first (of an earlier download of this
    /// run, or of an interrupted run); `None` without `keep_state`.
    async fn keep(&self) -> Result<Option<hashing::Keep<'a>>, CheckpointError> {
        let Some(id) = self.pending_state_id().await? else {
            return Ok(None);
        };
        self.ctx.store.discard_state_chunks(id).await?;
        Ok(Some(hashing::Keep::new(self.ctx.store, id)))
    }

    /// Downloads a state (SSZ) and computes its root while it arrives (see [`hashing`]),
    /// reporting progress; `Ok(None)` on 404. The fork comes from the state's bytes, checked
    /// against `Eth-Consensus-Version` and the schedule ([`state_fork`]).
    async fn download(
        &self,
        p: &A,
        state_id: &str,
    ) -> Result<Option<hashing::HashedState>, CheckpointError> {
        let url = p.base_url().to_string();
        let keep = self.keep().await?;
        let mut sink = hashing::StateSink::new(self.ctx.network, self.env, &url).keeping(keep);
        match p.state_ssz_into(state_id, &mut sink).await {
            Ok(_) => sink.finish().await.map(Some),
            Err(ApiError::HttpStatus { status: 404, .. }) => Ok(None),
            Err(e) => Err(sink.take_error(e)),
        }
    }

    /// The active validators at `epoch` and their total effective balance (the inputs of
    /// `compute_weak_subjectivity_period`), read in steps that yield like hashing does: a
    /// registry of two million validators is ~240 MB to walk.
    async fn active_validators_paced(
        &self,
        view: &StateView<'_>,
        epoch: u64,
    ) -> Result<ActiveValidators, CheckpointError> {
        let mut pacer = Pacer::new(self.env);
        let mut out = ActiveValidators {
            count: 0,
            total_effective_balance: 0,
        };
        let n = view.validators_len();
        let mut i = 0;
        while i < n {
            let end = (i + VALIDATORS_PER_STEP).min(n);
            for v in (i..end).filter_map(|j| view.validator(j)) {
                if v.is_active_validator(epoch) {
                    out.count += 1;
                    out.total_effective_balance = out
                        .total_effective_balance
                        .saturating_add(v.effective_balance());
                }
            }
            i = end;
            if i < n && pacer.timed() && pacer.due() {
                pacer.pause().await;
                self.check_abort()?;
            }
        }
        Ok(out)
    }

    fn check_state_genesis(&self, provider: &str, view: &StateView) -> Result<(), CheckpointError> {
        let expected = self.ctx.network.genesis_validators_root.0;
        let actual = view.genesis_validators_root();
        if actual != expected {
            return Err(CheckpointError::GenesisMismatch {
                provider: provider.to_string(),
                expected,
                actual,
            });
        }
        Ok(())
    }

    /// The trusted-root flow against one provider (steps 1-4 of the design).
    async fn trusted_root(
        &self,
        p: &A,
        root: Root,
        epoch: Option<u64>,
    ) -> Result<CheckedState<'static>, CheckpointError> {
        let url = p.base_url().to_string();
        self.check_genesis(p).await?;
        let header = header_by_root(p, root).await?;
        let block_slot = header.header.slot;
        let spe = self.ctx.network.slots_per_epoch();
        if let Some(e) = epoch {
            let boundary = self.ctx.network.compute_start_slot_at_epoch(e);
            if block_slot > boundary {
                return Err(CheckpointError::InvalidCheckpoint {
                    reason: format!(
                        "expected the block of {} to be at or before slot {boundary} (the first slot of epoch {e}), got slot {block_slot}",
                        hex0x(root)
                    ),
                });
            }
            if block_slot < boundary && !self.gloas_block_before_boundary(block_slot, e) {
                return self.boundary_state(p, &header, boundary).await;
            }
        }
        let state_id = hex0x(header.header.state_root.as_slice());
        let Some(state) = self.download(p, &state_id).await? else {
            // The provider may keep only epoch-boundary states: fall back to the next boundary
            // when the block is not at one.
            if block_slot % spe != 0 {
                let boundary = self.ctx.network.compute_start_slot_at_epoch(
                    self.ctx.network.compute_epoch_at_slot(block_slot) + 1,
                );
                return self.boundary_state(p, &header, boundary).await;
            }
            return Err(CheckpointError::StateNotFound {
                provider: url,
                state_id,
            });
        };
        let state_root = state.root;
        let expected = header.header.state_root.0;
        if state_root != expected {
            return Err(CheckpointError::StateRootMismatch {
                provider: url,
                expected,
                actual: state_root,
            });
        }
        let view = state.kept.view();
        self.check_state_genesis(&url, &view)?;
        if view.slot() != block_slot {
            return Err(CheckpointError::StateLinkMismatch {
                provider: url,
                what: "slot",
                expected: block_slot.to_string(),
                actual: view.slot().to_string(),
            });
        }
        let (block_root, _) = latest_block_root(&view, &state_root);
        if block_root != root {
            return Err(CheckpointError::StateLinkMismatch {
                provider: url,
                what: "latest_block_header root",
                expected: hex0x(root),
                actual: hex0x(block_root),
            });
        }
        drop(view);
        self.checked(Some(p), state, root, false, url).await
    }

    /// The epoch-boundary state at `boundary` for a block at an earlier slot: it must be at that
    /// slot, its `latest_block_header` (state root already filled in by the empty slots that
    /// followed the block) must hash to the block root, and its `block_roots`/`state_roots` at
    /// the block's slot must be the block root and the block's state root.
    async fn boundary_state(
        &self,
        p: &A,
        header: &HeaderInfo,
        boundary: u64,
    ) -> Result<CheckedState<'static>, CheckpointError> {
        let url = p.base_url().to_string();
        let state_id = boundary.to_string();
        let Some(state) = self.download(p, &state_id).await? else {
            return Err(CheckpointError::StateNotFound {
                provider: url,
                state_id,
            });
        };
        let view = state.kept.view();
        self.check_state_genesis(&url, &view)?;
        let link = |what: &'static str, expected: String, actual: String| {
            Err(CheckpointError::StateLinkMismatch {
                provider: url.clone(),
                what,
                expected,
                actual,
            })
        };
        if view.slot() != boundary {
            return link("slot", boundary.to_string(), view.slot().to_string());
        }
        let latest = header_from_view(&view.latest_block_header());
        let latest_root = latest.tree_hash_root().0;
        if latest_root != header.root {
            return link(
                "latest_block_header root (state root filled in)",
                hex0x(header.root),
                hex0x(latest_root),
            );
        }
        let i = (header.header.slot % view.slots_per_historical_root() as u64) as usize;
        let (br, sr) = (view.block_root(i), view.state_root_at(i));
        if br != Some(header.root) {
            return link(
                "block_roots at the block's slot",
                hex0x(header.root),
                br.map(hex0x).unwrap_or_default(),
            );
        }
        if sr != Some(header.header.state_root.0) {
            return link(
                "state_roots at the block's slot",
                hex0x(header.header.state_root.as_slice()),
                sr.map(hex0x).unwrap_or_default(),
            );
        }
        drop(view);
        self.checked(Some(p), state, header.root, true, url).await
    }

    /// The quorum on finalized checkpoints across providers: the agreeing providers, in order.
    async fn quorum(&self) -> Result<Vec<&'a A>, CheckpointError> {
        let n = self.ctx.providers.len();
        let quorum = self.options.quorum.unwrap_or(n).clamp(1, n);
        // (provider, its finalized (epoch, root) or why it gave none)
        type Answer = (String, Result<(u64, Root), String>);
        let mut answers: Vec<Answer> = Vec::new();
        for p in self.ctx.providers {
            let answer = match p.finality_checkpoints("head").await {
                Ok(f) => Ok((f.finalized.epoch, f.finalized.root.0)),
                Err(ApiError::Aborted { .. }) => return Err(CheckpointError::Aborted),
                Err(e) => Err(format!("{}: {e}", e.code())),
            };
            answers.push((p.base_url().to_string(), answer));
        }
        let mut best: Option<((u64, Root), usize)> = None;
        for (_, a) in &answers {
            if let Ok(cp) = a {
                let count = answers.iter().filter(|(_, b)| b.as_ref() == Ok(cp)).count();
                if best.is_none_or(|(_, c)| count > c) {
                    best = Some((*cp, count));
                }
            }
        }
        let describe = |a: &Result<(u64, Root), String>| match a {
            Ok((e, r)) => format!("{}:{e}", hex0x(r)),
            Err(msg) => format!("error {msg}"),
        };
        match best {
            Some((cp, count)) if count >= quorum => {
                let dissent: Vec<String> = answers
                    .iter()
                    .filter(|(_, a)| a.as_ref() != Ok(&cp))
                    .map(|(p, a)| format!("{p} says {}", describe(a)))
                    .collect();
                if !dissent.is_empty() {
                    self.warn(
                        "PROVIDER_DISSENT",
                        format!(
                            "{count} of {n} providers agree on finalized {}:{}; {}",
                            hex0x(cp.1),
                            cp.0,
                            dissent.join("; ")
                        ),
                    );
                }
                Ok(self
                    .ctx
                    .providers
                    .iter()
                    .zip(&answers)
                    .filter(|(_, (_, a))| a.as_ref() == Ok(&cp))
                    .map(|(p, _)| p)
                    .collect())
            }
            _ => Err(CheckpointError::ProviderDisagreement {
                quorum,
                answers: answers
                    .iter()
                    .map(|(p, a)| (p.clone(), describe(a)))
                    .collect(),
            }),
        }
    }

    /// The provider-trust flow: the quorum (several providers), then the state and its header.
    async fn provider_trust(
        &self,
        state_id: &str,
    ) -> Result<(CheckedState<'static>, Vec<String>), CheckpointError> {
        if self.ctx.providers.is_empty() {
            return Err(CheckpointError::NoProviders);
        }
        let agreeing: Vec<&'a A> = if self.ctx.providers.len() > 1 {
            self.quorum().await?
        } else {
            self.ctx.providers.iter().collect()
        };
        let names: Vec<String> = agreeing.iter().map(|p| p.base_url().to_string()).collect();
        let c = self
            .with_fallback(agreeing, |p| self.state_by_id(p, state_id))
            .await?;
        Ok((c, names))
    }

    async fn state_by_id(
        &self,
        p: &A,
        state_id: &str,
    ) -> Result<CheckedState<'static>, CheckpointError> {
        let url = p.base_url().to_string();
        self.check_genesis(p).await?;
        let Some(state) = self.download(p, state_id).await? else {
            return Err(CheckpointError::StateNotFound {
                provider: url,
                state_id: state_id.to_string(),
            });
        };
        let state_root = state.root;
        let view = state.kept.view();
        self.check_state_genesis(&url, &view)?;
        let (block_root, advanced) = latest_block_root(&view, &state_root);
        let header = header_by_root(p, block_root).await?;
        if !advanced && header.header.state_root.0 != state_root {
            return Err(CheckpointError::StateRootMismatch {
                provider: url,
                expected: header.header.state_root.0,
                actual: state_root,
            });
        }
        drop(view);
        self.checked(Some(p), state, block_root, advanced, url)
            .await
    }

    /// The local-state flow: fork from the bytes, epoch-aligned, this network's, hashed. A Gloas
    /// state may also be the post-state of its own latest block (its `latest_block_header` has no
    /// state root yet) at any slot: that is the finalized state every Gloas node serves, and
    /// there is no advanced one to export when the boundary slot was empty. An unaligned state
    /// advanced through empty slots is refused at every fork.
    async fn check_state_file(
        &self,
        file: &StateFile,
    ) -> Result<CheckedState<'static>, CheckpointError> {
        // Hashed as a download is, piece by piece (with the hash workers when there are); the
        // checks below read what was kept of those same pieces.
        let keep = self.keep().await?;
        let hashed = hashing::hash_local(self.ctx.network, self.env, file, keep).await?;
        let (fork, state_root) = (hashed.fork, hashed.root);
        let view = hashed.kept.view();
        let slot = view.slot();
        let start = self
            .ctx
            .network
            .compute_start_slot_at_epoch(self.ctx.network.compute_epoch_at_slot(slot));
        let post_block_state = view.latest_block_header().state_root == [0u8; 32];
        if slot != start && !(fork == ForkName::Gloas && post_block_state) {
            return Err(CheckpointError::NotEpochAligned {
                expected_slot: start,
                actual_slot: slot,
            });
        }
        self.check_state_genesis(STATE_FILE, &view)?;
        let (block_root, advanced) = latest_block_root(&view, &state_root);
        drop(view);
        self.checked(None, hashed, block_root, advanced, STATE_FILE.to_string())
            .await
    }

    /// The anchor record of a checked state, with the weak-subjectivity check applied.
    async fn build_anchor(
        &self,
        c: &CheckedState<'_>,
        trust: Trust,
        providers: Vec<String>,
        checkpoint: Option<&WsCheckpoint>,
    ) -> Result<(AnchorRecord, WsStatus), CheckpointError> {
        let view = c.state.view();
        let state_epoch = self.ctx.network.compute_epoch_at_slot(view.slot());
        // A Gloas block's own post-state standing for the next boundary (see
        // `gloas_block_before_boundary`) takes the checkpoint's epoch: the state the spec's
        // asserts look at is that post-state advanced through the empty slots to the boundary.
        let epoch = match checkpoint {
            Some(cp) if !c.linked && self.gloas_block_before_boundary(view.slot(), cp.epoch) => {
                cp.epoch
            }
            _ => state_epoch,
        };
        // A streamed state's registry was counted as it passed (at the state's epoch: both are
        // the slot over the preset's SLOTS_PER_EPOCH); a whole one is walked here.
        let active = match c.state.registry() {
            Some(r) => r.active,
            None => self.active_validators_paced(&view, state_epoch).await?,
        };
        let total_active_balance = active
            .total_effective_balance
            .max(EFFECTIVE_BALANCE_INCREMENT);
        let formula = WsFormula::for_fork(c.fork.as_str())?;
        let ws_period = compute_weak_subjectivity_period(&WsInputs {
            fork: formula,
            total_active_balance,
            active_validator_count: active.count,
            config: WsConfig::for_network(self.ctx.network),
        })?;
        let current_epoch =
            ChainClock::for_network(self.ctx.network).current_epoch(self.ctx.clock)?;
        let within = match checkpoint {
            Some(cp) => {
                // The spec's asserts: the state is the checkpoint epoch's, and its block root at
                // the epoch's first slot is the checkpoint root (here the state sits at that
                // slot, so that root is its latest block header's, state root filled in).
                verify_ws_state_block_root(&c.block_root, cp)?;
                is_within_weak_subjectivity_period(current_epoch, epoch, cp, ws_period)?
            }
            None => current_epoch <= epoch.saturating_add(ws_period),
        };
        let ws = WsStatus {
            period_epochs: ws_period,
            expires_epoch: epoch.saturating_add(ws_period),
            current_epoch,
            stale: !within,
        };
        if ws.stale {
            match self.options.long_range {
                // Kept, marked stale, without a warning: the rebuild that follows announces
                // itself (see `crate::policy`).
                LongRange::Light => {}
                LongRange::Strict => {
                    return Err(CheckpointError::WsStale {
                        anchor_epoch: epoch,
                        ws_period,
                        current_epoch,
                    })
                }
                LongRange::Lenient => self.warn(
                    "WS_STALE_LENIENT",
                    format!(
                        "anchor epoch {epoch} + weak subjectivity period {ws_period} epochs < current epoch {current_epoch}; stored as stale (lenient)"
                    ),
                ),
            }
        }
        let anchor = AnchorRecord {
            linked_through_latest_block_header: c.linked,
            providers,
            ws_period_epochs: ws_period,
            total_active_balance,
            active_validators: active.count,
            current_sync_committee: committee_record(view.current_sync_committee()),
            next_sync_committee: committee_record(view.next_sync_committee()),
            created_at: self.ctx.clock.now_unix_seconds(),
            stale: ws.stale,
            // Read from the bytes whose root was just verified.
            execution: crate::execution::from_state_view(&view),
            payload: c.payload,
            ..AnchorRecord::new(
                self.ctx.network.name.clone(),
                view.slot(),
                epoch,
                c.block_root,
                c.state_root,
                c.fork,
                trust,
            )
        };
        Ok((anchor, ws))
    }
}
