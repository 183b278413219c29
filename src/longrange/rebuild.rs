//! The light long-range rebuild: a new anchor from a stale one, without trusting any provider.
//!
//! Why: an anchor older than its weak-subjectivity period can no longer be followed safely by
//! finality alone (exited validators could sign another history). Giving up would force the user
//! to find a new trusted checkpoint; the `light` mode instead uses the sync committees, which are
//! committed to by the verified anchor state itself. The steps (DESIGN.md, "Long-range modes"):
//!
//! 1. **committees**: `current_sync_committee` and `next_sync_committee` come from the stored
//!    anchor record (they were read from the verified state), and the anchor's block header is
//!    fetched untrusted and accepted only if it hashes to the anchor's block root. No provider's
//!    `light_client/bootstrap` is needed.
//! 2. **updates**: `light_client/updates` is walked from the anchor's period to the clock's,
//!    finished periods [`UPDATES_PER_REQUEST`] to an answer and the running one alone; each
//!    update goes through the spec's `process_light_client_update` (BLS signature of the
//!    committee known so far, next-committee and finality branches), the signatures of one
//!    answer checked as one randomised batch (`sync_protocol::process_updates`).
//! 3. **finality**: the latest `light_client/finality_update` moves the finalized header as far
//!    as the last known committee allows.
//! 4. **headers**: the headers between the new finalized header and the old anchor are downloaded
//!    untrusted and accepted only if the `parent_root` chain reaches the old anchor's root
//!    ([`link_back`]): the new anchor is then provably a descendant of the old one.
//! 5. **state**: the state of the new finalized header is fetched and checked against that
//!    header exactly as in the trusted-block-root checkpoint flow (header root, state root,
//!    epoch-boundary link); its sync committee must be the one the light client followed to.
//! 6. **store**: the new anchor is stored and made active with `trust: light-client`; its
//!    weak-subjectivity period is recomputed from its own state. In the same transaction
//!    (`Store::commit_rebuilt_anchor`) go the headers step 4 verified (they were accepted only
//!    because the hash chain reached the old anchor's root, so the header history has no gap
//!    between the two anchors), the new anchor's block as the followed head, and, unless a
//!    stored backfill already hangs from the old anchor's block, a backfill cursor at that block
//!    (so a later backfill continues below it instead of clashing with the stored chain).
//!
//! No provider is trusted, so none is needed to be honest but one: every step that verifies
//! something a provider served (updates, finality, headers, state) takes it from the first
//! provider whose answer passes; a provider whose answer fails is reported
//! (`Event::ProviderRejected`) and the next one is tried. A step fails only when every
//! provider failed it ([`RebuildError::AllProviders`] names each one's failure; with a single
//! provider its own error is returned).
//!
//! Every step reports progress; every failure names its step, the period it was at and what did
//! not verify ([`RebuildError`]).
//!
//! # Public keys: what each committee costs
//!
//! A committee's keys arrive inside a next-committee branch proven against a state root that the
//! previous committee signed (or inside the verified anchor state). Signature checks follow the
//! IETF draft's `FastAggregateVerify` (section 3.3.4): each key is only decompressed
//! (`pubkey_to_point`), and `KeyValidate` runs once on the aggregate inside `CoreVerify`
//! (section 2.7); the per-key precondition (proof of possession) is established by the state
//! transition, which `KeyValidate`s every member key when it builds the committee (altair
//! `get_next_sync_committee` through `eth_aggregate_pubkeys`). When fewer than half of the
//! members are absent, the participants' aggregate is the committee's committed
//! `aggregate_pubkey` minus the absent keys. The argument for both, and where they fall back to
//! the spec's sum, is written out on `sync_protocol::TrustedCommittee`. Decompressed points are
//! cached with the committee for its whole period. A new committee therefore costs one
//! decompression plus one per absent member, instead of 512 `KeyValidate`s (measured by
//! [`crate::light::bench`]: `lightsync bench light` and `www/bench/light.html`).

use std::fmt;
use std::future::Future;

use tree_hash::TreeHash;

use crate::beacon_api::{
    first_passing, stop_on_abort, ApiError, BeaconApi, Next, RawBody, Rejection,
};
use crate::checkpoint::{CheckpointError, CheckpointOptions, CheckpointSync, LongRange, Source};
use crate::config::NetworkConfig;
use crate::ctx::{boxed, Ctx, Env};
use crate::event::Event;
use crate::light::error::{LightClientError, UpdateFailure, UpdateKind};
use crate::light::fork_digest::BlobSchedule;
use crate::light::input::{parse_finality_update, parse_updates};
use crate::light::sync_protocol::{
    compute_sync_committee_period_at_slot, process_light_client_finality_update, process_updates,
    LightClientStore,
};
use crate::longrange::follow::{
    header_record, link_back, no_providers, AnyLightStore, LinkError, Tip,
};
use crate::store::{
    AnchorRecord, BackfillCursor, HeadRecord, HeadSource, HeaderRecord, RebuiltBackfill, Store,
    StoreError, SyncCommitteeRecord, Trust,
};
use crate::types::altair::SyncCommittee;
use crate::types::hex0x;
use crate::types::phase0::BeaconBlockHeader;
use crate::types::{BlsPublicKey, FixedVector, Mainnet, Minimal, Preset, PresetName, Slot};
use crate::ws::{ChainClock, Clock, WsError, WsStatus};

use crate::types::Root;

pub use crate::event::RebuildProgress;
/// A step of the rebuild (named in progress events and errors).
pub use crate::event::RebuildStep as Step;

/// Why the rebuild failed. Nothing was stored. Each variant names the step (and the period where
/// there is one); the docs say whether retrying can help.
#[derive(Debug, Clone, PartialEq)]
pub enum RebuildError {
    /// The anchor record has no sync committee (a phase0 anchor). Not retryable: the `light`
    /// mode needs an anchor from Altair on.
    NoSyncCommittee {
        /// `current` or `next`.
        which: &'static str,
        /// The anchor's slot.
        anchor_slot: Slot,
    },
    /// A stored committee has the wrong number of keys for the network's preset. The record is
    /// corrupt or from another network; not retryable.
    CommitteeSize {
        /// `current` or `next`.
        which: &'static str,
        /// `SYNC_COMMITTEE_SIZE`.
        expected: u64,
        /// Keys in the record.
        got: u64,
    },
    /// No provider knows the anchor's block header. Retry with another provider.
    AnchorHeaderMissing {
        /// The anchor's block root.
        root: Root,
    },
    /// The anchor's block is in another sync-committee period than its state (empty slots across
    /// a period boundary), so the stored committees do not belong to the block's period. Not
    /// retryable with this anchor.
    AnchorPeriodMismatch {
        /// The block's slot.
        block_slot: Slot,
        /// The state's slot.
        state_slot: Slot,
    },
    /// Every provider failed a request of `step`. Retry later or with other providers.
    Api {
        /// The step.
        step: Step,
        /// The period it was at.
        period: Option<u64>,
        /// The last failure.
        error: ApiError,
    },
    /// Light-client data did not verify (or decode): `error` names the update, its period and the
    /// failed check. The provider served forged or broken data; use another one.
    Verify {
        /// [`Step::Updates`] or [`Step::Finality`].
        step: Step,
        /// The period of the update that failed (updates: the first period asked, plus the
        /// update's place in the answer) or the store's period (finality).
        period: u64,
        /// What did not verify.
        error: LightClientError,
    },
    /// After the walk the finalized header is not newer than the old anchor: the providers have
    /// no (valid) updates past it. Retry later or with other providers.
    NoProgress {
        /// The period the light client reached.
        period: u64,
        /// Its finalized slot.
        finalized_slot: Slot,
        /// The old anchor block's slot.
        anchor_slot: Slot,
    },
    /// The headers from the new finalized header down do not reach the old anchor's root.
    Headers {
        /// The period of the new finalized header.
        period: u64,
        /// Why the link failed.
        error: LinkError,
    },
    /// The state of the new finalized header failed the checkpoint checks (or is itself outside
    /// its weak-subjectivity period).
    State {
        /// The period of the new finalized header.
        period: u64,
        /// The checkpoint flow's error.
        error: CheckpointError,
    },
    /// The verified new state's sync committee is not the one the light client followed to: the
    /// state is of another chain. Use other providers.
    CommitteeMismatch {
        /// The period compared.
        period: u64,
    },
    /// The store refused the new anchor. See [`StoreError`].
    Store(StoreError),
    /// The wall clock is unusable (before genesis). Fix the clock.
    Clock(WsError),
    /// The caller aborted at `step`; nothing was stored.
    Aborted {
        /// The step.
        step: Step,
    },
    /// Every provider (two or more) failed `step`, each with its own error (with a single
    /// provider its error is returned as it is). Nothing was stored. Retry later or add a
    /// provider that serves valid data.
    AllProviders {
        /// The step.
        step: Step,
        /// The period it was at.
        period: Option<u64>,
        /// `(provider base URL, its error)`, in the order tried.
        failures: Vec<(String, RebuildError)>,
    },
}

impl RebuildError {
    /// The step that failed.
    pub fn step(&self) -> Step {
        match self {
            RebuildError::NoSyncCommittee { .. } | RebuildError::CommitteeSize { .. } => {
                Step::Committees
            }
            RebuildError::AnchorHeaderMissing { .. }
            | RebuildError::AnchorPeriodMismatch { .. } => Step::AnchorHeader,
            RebuildError::Api { step, .. }
            | RebuildError::Verify { step, .. }
            | RebuildError::AllProviders { step, .. }
            | RebuildError::Aborted { step } => *step,
            RebuildError::NoProgress { .. } => Step::Finality,
            RebuildError::Headers { .. } => Step::Headers,
            RebuildError::State { .. } | RebuildError::CommitteeMismatch { .. } => Step::State,
            RebuildError::Store(_) => Step::Store,
            RebuildError::Clock(_) => Step::Committees,
        }
    }

    /// The period the failure is about, when there is one.
    pub fn period(&self) -> Option<u64> {
        match self {
            RebuildError::Api { period, .. } | RebuildError::AllProviders { period, .. } => *period,
            RebuildError::Verify { period, .. }
            | RebuildError::NoProgress { period, .. }
            | RebuildError::Headers { period, .. }
            | RebuildError::State { period, .. }
            | RebuildError::CommitteeMismatch { period } => Some(*period),
            _ => None,
        }
    }

    /// A stable code: the inner error's code where there is one (`LC_SIGNATURE`,
    /// `LC_FINALITY_BRANCH`, `HASH_CHAIN_BROKEN`, `STATE_ROOT_MISMATCH`, `WS_STALE`, …).
    pub fn code(&self) -> &'static str {
        match self {
            RebuildError::NoSyncCommittee { .. } => "REBUILD_NO_SYNC_COMMITTEE",
            RebuildError::CommitteeSize { .. } => "REBUILD_COMMITTEE_SIZE",
            RebuildError::AnchorHeaderMissing { .. } => "REBUILD_ANCHOR_HEADER_MISSING",
            RebuildError::AnchorPeriodMismatch { .. } => "REBUILD_ANCHOR_PERIOD_MISMATCH",
            RebuildError::Api { error, .. } => error.code(),
            RebuildError::Verify { error, .. } => error.code(),
            RebuildError::NoProgress { .. } => "REBUILD_NO_PROGRESS",
            RebuildError::Headers { error, .. } => error.code(),
            RebuildError::State { error, .. } => error.code(),
            RebuildError::CommitteeMismatch { .. } => "REBUILD_COMMITTEE_MISMATCH",
            RebuildError::Store(e) => e.code(),
            RebuildError::Clock(e) => e.code(),
            RebuildError::Aborted { .. } => "ABORTED",
            RebuildError::AllProviders { .. } => "REBUILD_ALL_PROVIDERS_FAILED",
        }
    }
}

impl fmt::Display for RebuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "light rebuild, step {}", self.step())?;
        if let Some(p) = self.period() {
            write!(f, ", period {p}")?;
        }
        f.write_str(": ")?;
        match self {
            RebuildError::NoSyncCommittee { which, anchor_slot } => write!(
                f,
                "expected the anchor (slot {anchor_slot}) to hold a {which} sync committee, got none (phase0 anchor)"
            ),
            RebuildError::CommitteeSize { which, expected, got } => write!(
                f,
                "{which} sync committee: expected {expected} public keys, got {got}"
            ),
            RebuildError::AnchorHeaderMissing { root } => write!(
                f,
                "expected a provider to serve the anchor block header {}, got none",
                hex0x(root)
            ),
            RebuildError::AnchorPeriodMismatch { block_slot, state_slot } => write!(
                f,
                "expected the anchor block (slot {block_slot}) in the sync-committee period of its state (slot {state_slot}), got another period"
            ),
            RebuildError::Api { error, .. } => write!(f, "every provider failed; last: {error}"),
            RebuildError::Verify { error, .. } => write!(f, "{error}"),
            RebuildError::NoProgress { finalized_slot, anchor_slot, .. } => write!(
                f,
                "expected a finalized header newer than the anchor block (slot {anchor_slot}), got slot {finalized_slot}"
            ),
            RebuildError::Headers { error, .. } => write!(f, "{error}"),
            RebuildError::State { error, .. } => write!(f, "{error}"),
            RebuildError::CommitteeMismatch { .. } => f.write_str(
                "expected the new state's current sync committee to be the light client's, got another",
            ),
            RebuildError::Store(e) => write!(f, "{e}"),
            RebuildError::Clock(e) => write!(f, "{e}"),
            RebuildError::Aborted { .. } => f.write_str("aborted; nothing stored"),
            RebuildError::AllProviders { failures, .. } => {
                write!(f, "expected one provider to pass, got {} failures:", failures.len())?;
                for (provider, error) in failures {
                    write!(f, " [{provider}: {}: {error}]", error.code())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RebuildError {}

/// What the rebuild established.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// The new anchor, as stored (active, `trust: light-client`).
    pub anchor: AnchorRecord,
    /// Its weak-subjectivity standing when stored.
    pub ws: WsStatus,
    /// The old anchor's block root (the end of the verified hash chain).
    pub old_anchor_root: Root,
    /// Updates the light client applied or accepted.
    pub updates: u64,
    /// Periods walked (first, last).
    pub periods: (u64, u64),
    /// Headers linked from the new anchor's block down to the old anchor (the old one included).
    pub headers_linked: u64,
    /// Headers newly written to the store with the new anchor (the new anchor's block and every
    /// linked block above the old anchor; the old anchor's own block too when no backfill hung
    /// from it; headers already stored with the same root are not counted).
    pub headers_stored: u64,
    /// The head stored with the new anchor: the new anchor's block.
    pub head: HeadRecord,
    /// The light client after the rebuild, for following forward.
    pub light: AnyLightStore,
}

/// A [`SyncCommittee`] from a stored record; `which` names it in errors.
pub fn committee_from_record<P: Preset>(
    record: Option<&SyncCommitteeRecord>,
    which: &'static str,
    anchor_slot: Slot,
) -> Result<SyncCommittee<P>, RebuildError> {
    let record = record.ok_or(RebuildError::NoSyncCommittee { which, anchor_slot })?;
    let got = record.pubkeys.len() as u64;
    let size = RebuildError::CommitteeSize {
        which,
        expected: P::SYNC_COMMITTEE_SIZE,
        got,
    };
    if got != P::SYNC_COMMITTEE_SIZE {
        return Err(size);
    }
    let keys: Vec<BlsPublicKey> = record
        .pubkeys
        .iter()
        .map(|k| BlsPublicKey::from(*k))
        .collect();
    Ok(SyncCommittee {
        pubkeys: FixedVector::new(keys).map_err(|_| size)?,
        aggregate_pubkey: BlsPublicKey::from(record.aggregate_pubkey),
    })
}

/// The light-client store of a verified anchor: its block header (whose root must be the
/// anchor's block root) and the committees of its state.
pub fn store_from_anchor<P: Preset>(
    anchor: &AnchorRecord,
    header: &BeaconBlockHeader,
) -> Result<LightClientStore<P>, RebuildError> {
    let current = committee_from_record::<P>(
        anchor.current_sync_committee.as_ref(),
        "current",
        anchor.slot,
    )?;
    let next =
        committee_from_record::<P>(anchor.next_sync_committee.as_ref(), "next", anchor.slot)?;
    let period = compute_sync_committee_period_at_slot::<P>;
    if period(header.slot) != period(anchor.slot) {
        return Err(RebuildError::AnchorPeriodMismatch {
            block_slot: header.slot,
            state_slot: anchor.slot,
        });
    }
    Ok(LightClientStore::from_trusted_committees(
        *header,
        current,
        Some(next),
    ))
}

/// Finished periods asked in one `light_client/updates` request by the rebuild's walk. One
/// answer's signatures are checked as one batch, whose single final exponentiation is shared by
/// its updates; beyond about 16 that share is small next to each update's own Miller loop, while
/// a larger answer costs more to fetch again from another provider when one update in it fails.
/// Well under the 128 (`MAX_REQUEST_LIGHT_CLIENT_UPDATES`) servers answer.
pub const UPDATES_PER_REQUEST: u64 = 16;

/// Whether processing an update taught the store something: `false` for an update older than
/// what the anchor already knows (nothing to learn, nothing wrong), the error for any other
/// failure.
fn applied(processed: Result<(), LightClientError>) -> Result<bool, LightClientError> {
    match processed {
        Ok(()) => Ok(true),
        Err(LightClientError::Update { failure, .. }) if not_relevant(&failure) => Ok(false),
        Err(error) => Err(error),
    }
}

/// The failure [`applied`] passes over: an update older than what the store already knows.
fn not_relevant(failure: &UpdateFailure) -> bool {
    matches!(failure, UpdateFailure::NotRelevant { .. })
}

/// One light rebuild: its run context and its env.
pub struct LightRebuild<'a, A, S, C: ?Sized, E> {
    /// The network, the providers (in order of preference, none trusted), the store the new
    /// anchor goes to and the wall clock (current slot of the light client, weak subjectivity
    /// of the new anchor).
    pub ctx: Ctx<'a, A, S, C>,
    /// Progress, pauses, abort and the hash pool (the new anchor's state is hashed with it).
    pub env: &'a E,
}

impl<'a, A: BeaconApi, S: Store, C: Clock + ?Sized, E: Env> LightRebuild<'a, A, S, C, E> {
    /// Rebuilds trust from the stale anchor `old` and stores the new anchor (made active).
    ///
    /// The steps in order (see the module docs); each step reports its progress and names
    /// itself in its errors. The flow is not generic over the preset: the light client is an
    /// [`AnyLightStore`], and only the synchronous checks that need the preset's sizes
    /// (`apply_updates`, `apply_finality_update`, `state_committee`) are compiled per preset,
    /// so the wasm holds one copy of the flow's state machine.
    pub async fn run(&self, old: &AnchorRecord) -> Result<Rebuilt, RebuildError> {
        let preset = self.ctx.network.preset;
        let current_slot = self.current_slot()?;
        self.check_committees(old)?;
        let old_header = self
            .fetch_anchor_header(old, period_at(preset, old.slot))
            .await?;
        let mut store = match preset {
            PresetName::Mainnet => {
                AnyLightStore::Mainnet(store_from_anchor::<Mainnet>(old, &old_header)?)
            }
            PresetName::Minimal => {
                AnyLightStore::Minimal(store_from_anchor::<Minimal>(old, &old_header)?)
            }
        };
        self.progress(Step::AnchorHeader, 1, Some(1), Some(store.period()));
        let first = store.period();
        let (reached, mut updates) = self.walk_updates(&mut store, current_slot).await?;
        if self.apply_finality(&mut store, &old_header).await? {
            updates += 1;
        }
        let finalized = store.finalized();
        let new_period = store.period();
        let old_tip = Tip {
            slot: old_header.slot,
            root: old.block_root,
        };
        let below = self.link_headers(&finalized, old_tip, new_period).await?;
        let headers_linked = below.len() as u64;
        let new_root = finalized.tree_hash_root().0;
        let committee = |a: &AnchorRecord| match &store {
            AnyLightStore::Mainnet(s) => state_committee(s, new_period, a),
            AnyLightStore::Minimal(s) => state_committee(s, new_period, a),
        };
        let (mut anchor, ws) = self.verify_state(new_root, new_period, &committee).await?;
        let (head, headers_stored) = self
            .store_anchor(&mut anchor, old, &old_header, &finalized, below, new_period)
            .await?;
        Ok(Rebuilt {
            anchor,
            ws,
            old_anchor_root: old.block_root,
            updates,
            periods: (first, reached.max(new_period)),
            headers_linked,
            headers_stored,
            head,
            light: store,
        })
    }

    fn progress(&self, step: Step, done: u64, total: Option<u64>, period: Option<u64>) {
        self.env.emit(&Event::Rebuild(RebuildProgress {
            step,
            done,
            total,
            period,
        }));
    }

    fn check_abort(&self, step: Step) -> Result<(), RebuildError> {
        self.env
            .check_abort()
            .map_err(|_| RebuildError::Aborted { step })
    }

    /// Step 1: the anchor record's committees, checked for shape before any network traffic.
    fn check_committees(&self, old: &AnchorRecord) -> Result<(), RebuildError> {
        self.check_abort(Step::Committees)?;
        match self.ctx.network.preset {
            PresetName::Mainnet => committees_of::<Mainnet>(old)?,
            PresetName::Minimal => committees_of::<Minimal>(old)?,
        }
        let period = period_at(self.ctx.network.preset, old.slot);
        self.progress(Step::Committees, 1, Some(1), Some(period));
        Ok(())
    }

    /// Step 2: the anchor's block header, untrusted, accepted by its root (`period`: the
    /// anchor's sync-committee period, for errors).
    async fn fetch_anchor_header(
        &self,
        old: &AnchorRecord,
        period: u64,
    ) -> Result<BeaconBlockHeader, RebuildError> {
        self.check_abort(Step::AnchorHeader)?;
        let header = first_passing(
            self.ctx.providers,
            |p| p.header_by_root(&old.block_root),
            stop_on_abort,
        )
        .await
        .map_err(|rejected| rejected.last().unwrap_or_else(no_providers))
        .map_err(|error| RebuildError::Api {
            step: Step::AnchorHeader,
            period: Some(period),
            error,
        })?
        .ok_or(RebuildError::AnchorHeaderMissing {
            root: old.block_root,
        })?;
        Ok(header.header)
    }

    /// Step 3: `light_client/updates` up to the clock's period, each answer from the first
    /// provider whose updates all verify. The finished periods are asked
    /// [`UPDATES_PER_REQUEST`] at a time, so that one answer's signatures are checked as one
    /// batch ([`process_updates`]); the still-running period is asked alone, as real nodes may
    /// refuse it, and once a range is refused as a whole (404 or 500 from every provider) the
    /// rest of the walk asks one period at a time. Returns the last period with an update and
    /// the updates applied.
    async fn walk_updates(
        &self,
        store: &mut AnyLightStore,
        current_slot: Slot,
    ) -> Result<(u64, u64), RebuildError> {
        let blobs = &self.ctx.network.blob_schedule;
        let first = store.period();
        let last = period_at(self.ctx.network.preset, current_slot).max(first);
        let (mut reached, mut updates) = (first, 0u64);
        let mut p = first;
        // Whether finished periods are still asked several at a time (see below).
        let mut batch = true;
        while p <= last {
            let count = if batch && p < last {
                (last - p).min(UPDATES_PER_REQUEST)
            } else {
                1
            };
            let known: &AnyLightStore = store;
            let outcome = match self
                .first_passing(Step::Updates, |api| {
                    self.updates_from(api, p, count, known, blobs)
                })
                .await?
            {
                Ok(o) => o,
                // Every provider says it has no update for this period (yet): real nodes
                // answer the still-running period with 500 or 404 instead of leaving it out
                // of the range. The walk ends here, as for an empty answer.
                Err(failures)
                    if !failures.is_empty() && failures.iter().all(|(_, e)| no_update_here(e)) =>
                {
                    if count > 1 {
                        // A node whose own running period is earlier than the clock's (a
                        // lagging node, a clock ahead) refuses a range holding it as a whole:
                        // the rest of the walk asks one period at a time, as a node then
                        // answers each finished period.
                        batch = false;
                        continue;
                    }
                    None
                }
                Err(failures) => return Err(all_failed(Step::Updates, Some(p), failures)),
            };
            let Some((next, applied_here, answered)) = outcome else {
                // The provider has nothing for this period (yet): the walk ends here.
                break;
            };
            *store = next;
            updates += applied_here;
            reached = p + answered - 1;
            self.progress(
                Step::Updates,
                reached - first + 1,
                Some(last - first + 1),
                Some(reached),
            );
            p += answered;
            self.env.pause().await;
        }
        Ok((reached, updates))
    }

    /// Step 4: the latest finality update, from the first provider whose update verifies; the
    /// finalized header must then be newer than the old anchor's block. Returns whether the
    /// update taught the store something.
    async fn apply_finality(
        &self,
        store: &mut AnyLightStore,
        old_header: &BeaconBlockHeader,
    ) -> Result<bool, RebuildError> {
        let known: &AnyLightStore = store;
        let (next, applied_here) = self
            .first_passing(Step::Finality, |api| self.finality_from(api, known))
            .await?
            .map_err(|failures| all_failed(Step::Finality, Some(known.period()), failures))?;
        *store = next;
        let finalized = store.finalized();
        let new_period = store.period();
        self.progress(Step::Finality, 1, Some(1), Some(new_period));
        if finalized.slot <= old_header.slot {
            return Err(RebuildError::NoProgress {
                period: new_period,
                finalized_slot: finalized.slot,
                anchor_slot: old_header.slot,
            });
        }
        Ok(applied_here)
    }

    /// Step 5: the headers from the new finalized block down to the old anchor's block
    /// (`old`), all from one provider: the first whose chain reaches the old anchor's root.
    async fn link_headers(
        &self,
        finalized: &BeaconBlockHeader,
        old: Tip,
        new_period: u64,
    ) -> Result<Vec<HeaderRecord>, RebuildError> {
        let span = finalized.slot - old.slot;
        let linked = |api: &'a A| async move {
            link_back(
                std::slice::from_ref(api),
                finalized.slot,
                finalized.parent_root.0,
                old,
                &mut |low| {
                    self.progress(
                        Step::Headers,
                        finalized.slot - low.max(old.slot),
                        Some(span),
                        Some(new_period),
                    )
                },
            )
            .await
            .map_err(|error| RebuildError::Headers {
                period: new_period,
                error,
            })
        };
        self.first_passing(Step::Headers, linked)
            .await?
            .map_err(|failures| all_failed(Step::Headers, Some(new_period), failures))
    }

    /// Step 6: the state of the new finalized block, verified against it, from the first
    /// provider whose state passes (`committee`: the light client's check of the state's sync
    /// committee, see [`state_committee`]).
    async fn verify_state(
        &self,
        new_root: Root,
        new_period: u64,
        committee: &dyn Fn(&AnchorRecord) -> Result<(), RebuildError>,
    ) -> Result<(AnchorRecord, WsStatus), RebuildError> {
        let verified = self
            .first_passing(Step::State, |api| {
                self.state_from(api, new_root, new_period, committee)
            })
            .await?
            .map_err(|failures| all_failed(Step::State, Some(new_period), failures))?;
        self.progress(Step::State, 1, Some(1), Some(new_period));
        Ok(verified)
    }

    /// Step 7: stores the new anchor (`trust: light-client`, made active) with the verified
    /// headers down to the old anchor and the new head, in one transaction, so the header
    /// history has no gap between the two anchors. Returns the head and the headers newly
    /// stored.
    async fn store_anchor(
        &self,
        anchor: &mut AnchorRecord,
        old: &AnchorRecord,
        old_header: &BeaconBlockHeader,
        finalized: &BeaconBlockHeader,
        below: Vec<HeaderRecord>,
        new_period: u64,
    ) -> Result<(HeadRecord, u64), RebuildError> {
        self.check_abort(Step::Store)?;
        anchor.trust = Trust::LightClient;
        anchor.stale = false;
        let new_root = anchor.block_root;
        let mut chain: Vec<HeaderRecord> = below
            .into_iter()
            .filter(|h| h.slot > old_header.slot)
            .collect();
        chain.push(header_record(finalized, new_root));
        let cursor = self
            .ctx
            .store
            .backfill_cursor()
            .await
            .map_err(RebuildError::Store)?;
        // A stored backfill that hangs from the old anchor's block continues below the new
        // chain as it is. Otherwise the chain goes down to the old anchor's block itself and
        // becomes the backfill (cursor at the old anchor's block, which is its target), so a
        // later backfill continues below it; a backfill hanging from anything else cannot be
        // joined to the new chain and is reset first.
        let hangs = match cursor {
            Some(_) => {
                let stored = self
                    .ctx
                    .store
                    .header(old_header.slot)
                    .await
                    .map_err(RebuildError::Store)?;
                stored.map(|h| h.root) == Some(old.block_root)
            }
            None => false,
        };
        let new_cursor = BackfillCursor {
            oldest_slot: old_header.slot,
            oldest_root: old.block_root,
            oldest_parent_root: old_header.parent_root.0,
            target_slot: old_header.slot,
        };
        // The reset of a backfill that cannot be joined happens inside the commit's transaction:
        // a crash between the two would leave the old anchor active with its backfill gone.
        let backfill = match (hangs, cursor.is_some()) {
            (true, _) => RebuiltBackfill::Keep,
            (false, false) => RebuiltBackfill::Start(&new_cursor),
            (false, true) => RebuiltBackfill::Replace(&new_cursor),
        };
        if !hangs {
            chain.push(header_record(old_header, old.block_root));
        }
        let head = HeadRecord {
            slot: finalized.slot,
            block_root: new_root,
            state_root: finalized.state_root.0,
            source: HeadSource::FinalityUpdate,
            anchor_root: new_root,
            updated_at: self.ctx.clock.now_unix_seconds(),
            execution: anchor.execution,
        };
        let headers_stored = self
            .ctx
            .store
            .commit_rebuilt_anchor(anchor, &chain, backfill, &head)
            .await
            .map_err(RebuildError::Store)?;
        let announce = crate::event::ExecutionSource::Anchor;
        if let Some(e) =
            Event::execution(announce, anchor.slot, anchor.block_root, anchor.execution)
        {
            self.env.emit(&e);
        }
        self.progress(Step::Store, 1, Some(1), Some(new_period));
        Ok((head, headers_stored))
    }

    /// The first answer of `attempt` over the providers, in order, that passes: a provider whose
    /// answer fails is reported (`Event::ProviderRejected`) and the next one is tried. `Ok(Err)`
    /// holds every provider's failure when none passed; an abort stops at once.
    async fn first_passing<T, F, Fut>(
        &self,
        step: Step,
        mut attempt: F,
    ) -> Result<Result<T, Vec<(String, RebuildError)>>, RebuildError>
    where
        F: FnMut(&'a A) -> Fut,
        Fut: Future<Output = Result<T, RebuildError>>,
    {
        // An abort is checked before each provider is asked.
        let checked = |api: &'a A| {
            let answer = self.check_abort(step).map(|()| attempt(api));
            async move { answer?.await }
        };
        let judge = |r: &Rejection<RebuildError>, _left: usize| {
            if r.error.code() == "ABORTED" {
                return Next::Stop;
            }
            self.env.emit(&Event::ProviderRejected {
                step: r.error.step(),
                period: r.error.period(),
                provider: r.provider.clone(),
                code: r.error.code(),
                message: r.error.to_string(),
            });
            Next::Try
        };
        match first_passing(self.ctx.providers, checked, judge).await {
            Ok(v) => Ok(Ok(v)),
            Err(rejected) => match rejected.stop_or_all() {
                Err(abort) => Err(RebuildError::Aborted { step: abort.step() }),
                Ok(all) => Ok(Err(all
                    .into_iter()
                    .map(|r| (r.provider, r.error))
                    .collect())),
            },
        }
    }

    /// The wall clock's slot, read when an answer has arrived: on a live chain a walk across many
    /// periods takes seconds, and an update signed after the walk began is not from the future.
    fn current_slot(&self) -> Result<Slot, RebuildError> {
        ChainClock::for_network(self.ctx.network)
            .current_slot(self.ctx.clock)
            .map_err(RebuildError::Clock)
    }

    /// One provider's `light_client/updates` for the `count` periods from `p`, applied to a copy
    /// of `store` ([`apply_updates`]): `None` when it has no update for `p`, else the store, the
    /// updates applied and how many periods the answer covered.
    async fn updates_from(
        &self,
        api: &A,
        p: u64,
        count: u64,
        store: &AnyLightStore,
        blobs: &BlobSchedule,
    ) -> Result<Option<(AnyLightStore, u64, u64)>, RebuildError> {
        let body = api
            .light_client_updates(p, count)
            .await
            .map_err(|error| RebuildError::Api {
                step: Step::Updates,
                period: Some(p),
                error,
            })?;
        let current_slot = self.current_slot()?;
        let net = self.ctx.network;
        let body = &body.body;
        Ok(match store {
            AnyLightStore::Mainnet(s) => {
                apply_updates(net, blobs, body, s, p, count, current_slot)?.map(
                    |(next, applied, answered)| (AnyLightStore::Mainnet(next), applied, answered),
                )
            }
            AnyLightStore::Minimal(s) => {
                apply_updates(net, blobs, body, s, p, count, current_slot)?.map(
                    |(next, applied, answered)| (AnyLightStore::Minimal(next), applied, answered),
                )
            }
        })
    }

    /// One provider's `light_client/finality_update`, applied to a copy of `store`
    /// ([`apply_finality_update`]); `true` when it taught the store something.
    async fn finality_from(
        &self,
        api: &A,
        store: &AnyLightStore,
    ) -> Result<(AnyLightStore, bool), RebuildError> {
        let body = api
            .light_client_finality_update()
            .await
            .map_err(|error| RebuildError::Api {
                step: Step::Finality,
                period: Some(store.period()),
                error,
            })?;
        let current_slot = self.current_slot()?;
        let net = self.ctx.network;
        Ok(match store {
            AnyLightStore::Mainnet(s) => {
                let (next, applied) = apply_finality_update(net, &body, s, current_slot)?;
                (AnyLightStore::Mainnet(next), applied)
            }
            AnyLightStore::Minimal(s) => {
                let (next, applied) = apply_finality_update(net, &body, s, current_slot)?;
                (AnyLightStore::Minimal(next), applied)
            }
        })
    }

    /// The state of the block `new_root` from one provider, checked by the trusted-block-root
    /// checkpoint flow (verified only: nothing is stored before every check of the rebuild
    /// passed), and its sync committee by `committee` (against the light client's).
    async fn state_from(
        &self,
        api: &A,
        new_root: Root,
        new_period: u64,
        committee: &dyn Fn(&AnchorRecord) -> Result<(), RebuildError>,
    ) -> Result<(AnchorRecord, WsStatus), RebuildError> {
        let sync = CheckpointSync {
            ctx: self.ctx.with_providers(std::slice::from_ref(api)),
            env: self.env,
            options: CheckpointOptions {
                long_range: LongRange::Strict,
                quorum: None,
                keep_state: false,
            },
        };
        let source = Source::TrustedBlockRoot(new_root);
        let verified = boxed(sync.verify(&source))
            .await
            .map_err(|error| match error {
                CheckpointError::Aborted => RebuildError::Aborted { step: Step::State },
                error => RebuildError::State {
                    period: new_period,
                    error,
                },
            })?;
        let anchor = verified.anchor;
        if anchor.block_root != new_root {
            return Err(RebuildError::State {
                period: new_period,
                error: CheckpointError::HeaderRootMismatch {
                    provider: api.base_url().to_string(),
                    expected: new_root,
                    actual: anchor.block_root,
                },
            });
        }
        committee(&anchor)?;
        Ok((anchor, verified.ws))
    }
}

/// The sync-committee period of `slot` under `preset`.
fn period_at(preset: PresetName, slot: Slot) -> u64 {
    match preset {
        PresetName::Mainnet => compute_sync_committee_period_at_slot::<Mainnet>(slot),
        PresetName::Minimal => compute_sync_committee_period_at_slot::<Minimal>(slot),
    }
}

/// Step 1's check of the anchor record's two committees (shape and size for `P`).
fn committees_of<P: Preset>(old: &AnchorRecord) -> Result<(), RebuildError> {
    committee_from_record::<P>(old.current_sync_committee.as_ref(), "current", old.slot)?;
    committee_from_record::<P>(old.next_sync_committee.as_ref(), "next", old.slot)?;
    Ok(())
}

/// Step 3's verification of one `light_client/updates` answer (`body`, asked for the `count`
/// periods from `p`), applied to a copy of `store`: `None` when the answer holds no update,
/// else the store, the updates applied and how many periods the answer covered (at most
/// `count`: updates beyond those asked are not read).
fn apply_updates<P: Preset>(
    network: &NetworkConfig,
    blobs: &BlobSchedule,
    body: &[u8],
    store: &LightClientStore<P>,
    p: u64,
    count: u64,
    current_slot: Slot,
) -> Result<Option<(LightClientStore<P>, u64, u64)>, RebuildError> {
    // The period of the update that failed: its place in the answer counted from `p`.
    let verify = |error: LightClientError| {
        let at = match &error {
            LightClientError::Update { index: Some(i), .. } => *i as u64,
            _ => 0,
        };
        RebuildError::Verify {
            step: Step::Updates,
            period: p + at,
            error,
        }
    };
    let mut list = parse_updates::<P>(network, blobs, body).map_err(verify)?;
    if list.is_empty() {
        return Ok(None);
    }
    list.truncate(count as usize);
    let mut next = store.clone();
    let parts: Vec<_> = list.iter().map(|u| u.parts()).collect();
    let applied_here = process_updates(
        network,
        &mut next,
        &parts,
        current_slot,
        UpdateKind::Update,
        not_relevant,
    )
    .map_err(verify)?;
    Ok(Some((next, applied_here as u64, list.len() as u64)))
}

/// Step 4's verification of one `light_client/finality_update` answer, applied to a copy of
/// `store`; `true` when it taught the store something.
fn apply_finality_update<P: Preset>(
    net: &NetworkConfig,
    body: &RawBody,
    store: &LightClientStore<P>,
    current_slot: Slot,
) -> Result<(LightClientStore<P>, bool), RebuildError> {
    let mut next = store.clone();
    let finality = parse_finality_update::<P>(net, &body.body, body.consensus_version)
        .and_then(|f| process_light_client_finality_update(net, &mut next, &f, current_slot));
    let applied_here = applied(finality).map_err(|error| RebuildError::Verify {
        step: Step::Finality,
        period: store.period(),
        error,
    })?;
    Ok((next, applied_here))
}

/// The state check of step 6 that needs the preset: the current sync committee of the verified
/// state `anchor` must be the one the light client `store` (at `new_period`) follows for the
/// state's period, when it follows one.
fn state_committee<P: Preset>(
    store: &LightClientStore<P>,
    new_period: u64,
    anchor: &AnchorRecord,
) -> Result<(), RebuildError> {
    // The state's committee of the light client's period must be the one that signed.
    let state_period = compute_sync_committee_period_at_slot::<P>(anchor.slot);
    let followed = if state_period == new_period {
        Some(&store.current_sync_committee.committee)
    } else if state_period == new_period + 1 {
        store.next_sync_committee.as_ref().map(|c| &c.committee)
    } else {
        None
    };
    if let Some(expected) = followed {
        let got = committee_from_record::<P>(
            anchor.current_sync_committee.as_ref(),
            "current",
            anchor.slot,
        )?;
        if &got != expected {
            return Err(RebuildError::CommitteeMismatch {
                period: state_period,
            });
        }
    }
    Ok(())
}

/// Whether `e` is a provider's "no update for this period": 404, or the 500 some nodes answer
/// for the still-running period. Anything else (a forged update, a timeout, a node that does
/// not serve light-client data at all: 501) stays a failure.
fn no_update_here(e: &RebuildError) -> bool {
    matches!(
        e,
        RebuildError::Api {
            step: Step::Updates,
            error: ApiError::HttpStatus {
                status: 404 | 500,
                ..
            },
            ..
        }
    )
}

/// The error of a step every provider failed: a single provider's own error, or
/// [`RebuildError::AllProviders`] naming each.
fn all_failed(
    step: Step,
    period: Option<u64>,
    mut failures: Vec<(String, RebuildError)>,
) -> RebuildError {
    match failures.len() {
        0 => RebuildError::Api {
            step,
            period,
            error: no_providers(),
        },
        1 => failures.remove(0).1,
        _ => RebuildError::AllProviders {
            step,
            period,
            failures,
        },
    }
}
