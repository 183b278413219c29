//! Backfill: verified, resumable, concurrent block-header history below the anchor.
//!
//! A checkpoint-synced client starts with one trusted block (the anchor) and no history. This
//! module fetches the headers below it from Beacon API providers and stores only those that
//! provably belong to the anchor's chain: the walk ([`walk`]) goes down from the oldest stored
//! header's `parent_root` and accepts a header only if its computed root is that root
//! (Lighthouse's `historical_blocks.rs` and Nimbus's backfill accept blocks the same way). Nothing
//! a provider says is trusted: a 404 is an empty slot, a header that does not link is skipped and
//! counted, a provider that serves malformed or contradicted data is reported and avoided, and a
//! withheld block stops the walk after a bounded search with an error naming the missing root.
//!
//! Where the anchor's state is at hand ([`KnownRoots`]: its `block_roots` and
//! `historical_summaries`), the walk knows which slot holds which root, catches a withheld block
//! at its slot, and verifies whole `SLOTS_PER_HISTORICAL_ROOT` chunks on their own.
//!
//! Durability: verified headers are committed with the cursor in one store transaction
//! ([`Store::commit_backfill_batch`]), so a closed tab or a crash leaves no gap and no unverified
//! header, and the next run resumes below the cursor without refetching. Requests for a batch are
//! shared out over the healthy providers, each with its own `concurrency` lanes (a browser pools
//! connections per origin); slots the anchor's roots show empty are not requested at all;
//! 429/503 wait for `Retry-After`,
//! other transient failures back off exponentially. A stored backfill that hangs from an anchor
//! gone outside its weak-subjectivity period is reset with an [`Event::Reset`] (the
//! Nimbus rule) and the run stops with [`BackfillError::BackfillTooOld`].

mod error;
mod health;
mod roots;
pub mod walk;

pub use crate::event::{BackfillProgress as Progress, ProviderStatus, ResetReason};
pub use error::BackfillError;
pub use roots::{chunk_vector, vector_root, KnownRoots, KnownRootsError};
pub use walk::{Expect, Step, WalkError, WalkLimits, WalkStats, Walker};

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::beacon_api::{first_passing, ApiError, BeaconApi, HeaderInfo, Next, Rejection};
use crate::config::NetworkConfig;
use crate::ctx::{Ctx, Env};
use crate::event::Event;
use crate::store::{AnchorRecord, BackfillCursor, HeaderRecord, Store, StoreError};
use crate::types::hex0x;
use crate::ws::{ChainClock, Clock};

pub use crate::types::Root;

/// Default headers per store transaction. IndexedDB pays a fixed cost per transaction (a few
/// milliseconds to commit), so larger batches store faster; a closed tab loses at most one
/// batch of fetched work. 256 slots is 8 mainnet epochs, about 30 KB of header records.
pub const DEFAULT_BATCH_SIZE: u64 = 256;
/// Default number of requests in flight *per provider*. Browsers cap HTTP/1.1 connections per
/// origin (Chromium: 6 per scheme, host and port) and keep a separate pool for each origin, so
/// each provider gets its own lanes: one provider runs 6 requests at a time, three run 18. More
/// than 6 per provider would only queue inside the browser.
pub const DEFAULT_CONCURRENCY: usize = 6;
/// Default rounds of waiting for a quarantined provider when every provider is quarantined.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Default first quarantine of a failing provider, in milliseconds; doubled per consecutive
/// failure.
pub const DEFAULT_RETRY_BASE_MS: u64 = 250;
/// Default longest quarantine (and longest honoured `Retry-After`), in milliseconds.
pub const DEFAULT_RETRY_MAX_MS: u64 = 30_000;

/// How far back to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Down to the genesis block (slot 0).
    Genesis,
    /// Down to this slot (inclusive).
    Slot(u64),
    /// Down to the oldest slot peers must serve: the first slot of
    /// `max(GENESIS_EPOCH, current_epoch - MIN_EPOCHS_FOR_BLOCK_REQUESTS)` (consensus-specs
    /// p2p-interface, `BeaconBlocksByRange`). The default.
    #[default]
    Horizon,
}

/// `compute_start_slot_at_epoch(max(GENESIS_EPOCH, current_epoch - MIN_EPOCHS_FOR_BLOCK_REQUESTS))`:
/// the oldest slot whose block every peer must still serve.
pub fn block_request_horizon_slot(network: &NetworkConfig, current_epoch: u64) -> u64 {
    let epoch = current_epoch.saturating_sub(network.min_epochs_for_block_requests);
    network.compute_start_slot_at_epoch(epoch)
}

/// The roots recorded with `anchor` when it was stored (from its verified state; see
/// [`Store::put_anchor_with_roots`]), or `None` for an anchor stored without them (a database
/// written before schema 2, an anchor made without a state). A record that does not describe the
/// anchor's state is a corrupt store, not a reason to walk without it.
pub async fn load_known_roots<S: Store>(
    store: &S,
    anchor: &AnchorRecord,
) -> Result<Option<KnownRoots>, BackfillError> {
    let Some(record) = store.anchor_roots(&anchor.block_root).await? else {
        return Ok(None);
    };
    let corrupt = |reason: String| {
        BackfillError::Store(StoreError::CorruptRecord {
            store: "anchor_roots",
            reason,
        })
    };
    if record.block_root != anchor.block_root || record.state_slot != anchor.slot {
        return Err(corrupt(format!(
            "expected the roots of anchor 0x{} at slot {}, got roots of 0x{} at slot {}",
            hex::encode(anchor.block_root),
            anchor.slot,
            hex::encode(record.block_root),
            record.state_slot
        )));
    }
    KnownRoots::from_record(&record)
        .map(Some)
        .map_err(|e| corrupt(e.reason))
}

/// Options of a backfill run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillOptions {
    /// Where to stop.
    pub target: Target,
    /// Slots fetched per batch and headers per store transaction (see [`DEFAULT_BATCH_SIZE`]).
    pub batch_size: u64,
    /// Lanes per healthy provider (see [`DEFAULT_CONCURRENCY`]): each lane has one transport
    /// call in flight, so a run keeps up to `concurrency × slots_per_call × providers` requests
    /// in flight.
    pub concurrency: usize,
    /// Slots a lane hands its transport in one call: 1 for a transport that sends one request
    /// at a time (the browser's fetch lanes); a transport whose `get_many` fans a call out over
    /// its own connections (the native CLI's threads) takes that many. A lane stops when its
    /// provider is quarantined, so a silent provider costs one request deadline per call, not
    /// one per slot of its share.
    pub slots_per_call: usize,
    /// Rounds with every provider quarantined (waiting for the first to come back) before a
    /// fetch gives up with the last failure; with one provider, its retries.
    pub max_retries: u32,
    /// First quarantine of a failing provider, in milliseconds; doubled per consecutive failure.
    pub retry_base_ms: u64,
    /// Longest quarantine and longest honoured `Retry-After`, in milliseconds.
    pub retry_max_ms: u64,
    /// Bounds of the search for a linking header.
    pub limits: WalkLimits,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions {
            target: Target::Horizon,
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            slots_per_call: 1,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_base_ms: DEFAULT_RETRY_BASE_MS,
            retry_max_ms: DEFAULT_RETRY_MAX_MS,
            limits: WalkLimits::default(),
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct BackfillSummary {
    /// Headers stored in this run.
    pub stored: u64,
    /// Non-linking headers skipped in this run.
    pub skipped_non_linking: u64,
    /// 404 slots in this run.
    pub empty_slots: u64,
    /// The oldest stored slot.
    pub oldest_slot: u64,
    /// Its root.
    pub oldest_root: Root,
    /// Its parent root (the next root backfill would look for).
    pub oldest_parent_root: Root,
    /// The slot the run went down to.
    pub target_slot: u64,
    /// Headers stored per second (when the env has a clock).
    pub headers_per_second: Option<f64>,
    /// Every provider's health at the end, in the order given.
    pub providers: Vec<ProviderStatus>,
}

/// How a request failure is handled.
enum Failure {
    /// Stop the run.
    Fatal,
    /// The provider served bad data: avoid it.
    BadProvider,
    /// Quarantine the provider (at least `Retry-After`, in ms, when given) and retry elsewhere.
    Transient(Option<u64>),
}

fn classify(e: &ApiError) -> Failure {
    match e {
        ApiError::Aborted { .. } | ApiError::InvalidArgument { .. } => Failure::Fatal,
        ApiError::HttpStatus {
            status,
            retry_after_seconds,
            ..
        } => match status {
            429 | 503 => Failure::Transient(retry_after_seconds.map(|s| s.saturating_mul(1000))),
            500..=599 => Failure::Transient(None),
            _ => Failure::BadProvider,
        },
        ApiError::Timeout { .. }
        | ApiError::TooSlow { .. }
        | ApiError::Network { .. }
        | ApiError::Truncated { .. } => Failure::Transient(None),
        ApiError::BodyTooLarge { .. }
        | ApiError::OutOfMemory { .. }
        | ApiError::Decode { .. }
        | ApiError::HeaderRootMismatch { .. } => Failure::BadProvider,
    }
}

/// A slot's entry in the walk's buffer: what was served and by which provider (index), or
/// `(None, None)` for a slot the anchor's roots say is empty, which is never requested.
type Served = (Option<HeaderInfo>, Option<usize>);

/// One backfill run: its run context, its env, options and the anchor's known roots.
pub struct Backfill<'a, A, S, C: ?Sized, E> {
    /// The network (slot timing, `MIN_EPOCHS_FOR_BLOCK_REQUESTS`), the providers (requests are
    /// spread over the healthy ones), the store headers and the cursor go to, and the wall
    /// clock (horizon, weak-subjectivity rule).
    pub ctx: Ctx<'a, A, S, C>,
    /// Events, sleeps, pause and abort.
    pub env: &'a E,
    /// Options.
    pub options: BackfillOptions,
    /// Roots recorded from the verified anchor state, when available.
    pub known: Option<&'a KnownRoots>,
}

/// Mutable state of one run (behind cells: nothing is borrowed across an `.await`).
struct RunState {
    health: health::Health,
    rotation: Cell<usize>,
    /// Milliseconds slept in this run: the run's clock when the env has none.
    slept_ms: Cell<u64>,
}

/// Where the walk of one run stands (see [`Backfill::walk_down`]).
struct Walk {
    /// The hash-chain walker.
    walker: Walker,
    /// The walker after the last linked header: where the walk restarts once a block withheld
    /// below it was found elsewhere.
    snapshot: Walker,
    /// Headers fetched ahead of the walk, by slot.
    buffer: BTreeMap<u64, Served>,
    /// Chunks verified against their summary: their block root at every slot.
    verified: HashMap<u64, Vec<Root>>,
    /// A block found by root after its slot's provider withheld it: (slot, root).
    pinned: Option<(u64, Root)>,
    /// Headers linked since the last commit, descending slots.
    linked: Vec<HeaderRecord>,
    /// The cursor last committed.
    cursor: BackfillCursor,
    /// Headers stored in this run.
    stored: u64,
    /// The slot the run goes down to.
    target_slot: u64,
    /// The cursor's oldest slot when the run started, and the slots from there to the target.
    top: u64,
    total: u64,
    /// The env's clock when the run started.
    started: Option<f64>,
}

impl Walk {
    fn new(
        cursor: BackfillCursor,
        stored: u64,
        target_slot: u64,
        started: Option<f64>,
        limits: WalkLimits,
    ) -> Self {
        let walker = Walker::new(
            cursor.oldest_parent_root,
            cursor.oldest_slot,
            target_slot,
            limits,
        );
        Walk {
            snapshot: walker.clone(),
            walker,
            buffer: BTreeMap::new(),
            verified: HashMap::new(),
            pinned: None,
            linked: Vec::new(),
            cursor,
            stored,
            target_slot,
            top: cursor.oldest_slot,
            total: cursor.oldest_slot.saturating_sub(target_slot),
            started,
        }
    }
}

impl<'a, A: BeaconApi, S: Store, C: Clock + ?Sized, E: Env> Backfill<'a, A, S, C, E> {
    fn check_options(&self) -> Result<(), BackfillError> {
        if self.ctx.providers.is_empty() {
            return Err(BackfillError::InvalidOption {
                name: "providers",
                expected: "at least one Beacon API URL",
                got: "none".into(),
            });
        }
        if self.options.batch_size == 0 || self.options.batch_size > 1 << 20 {
            return Err(BackfillError::InvalidOption {
                name: "batchSize",
                expected: "1..=1048576 slots",
                got: self.options.batch_size.to_string(),
            });
        }
        if self.options.concurrency == 0 || self.options.concurrency > 256 {
            return Err(BackfillError::InvalidOption {
                name: "concurrency",
                expected: "1..=256 requests per provider",
                got: self.options.concurrency.to_string(),
            });
        }
        Ok(())
    }

    fn check_abort(&self) -> Result<(), BackfillError> {
        self.env.check_abort().map_err(|_| BackfillError::Aborted)
    }

    async fn wait_while_paused(&self) -> Result<(), BackfillError> {
        while self.env.paused() {
            self.check_abort()?;
            self.env.sleep_ms(50).await;
        }
        self.check_abort()
    }

    fn avoid(&self, st: &RunState, p: usize, code: &'static str, reason: String) {
        if st.health.avoid(p) {
            self.env.emit(&Event::ProviderAvoided {
                provider: self.ctx.providers[p].base_url().to_string(),
                code,
                reason,
            });
        }
    }

    /// The providers not avoided for bad data (quarantined ones included), but `except`.
    fn healthy(&self, st: &RunState, except: Option<usize>) -> Vec<usize> {
        st.health.usable(except)
    }

    /// The run's clock in milliseconds: the env's clock, or the time slept so far.
    fn now(&self, st: &RunState) -> f64 {
        self.env
            .now_ms()
            .unwrap_or_else(|| st.slept_ms.get() as f64)
    }

    async fn sleep(&self, st: &RunState, ms: u64) {
        st.slept_ms.set(st.slept_ms.get().saturating_add(ms));
        self.env.sleep_ms(ms).await;
    }

    fn statuses(&self, st: &RunState) -> Vec<ProviderStatus> {
        let urls = self.ctx.providers.iter().map(|p| p.base_url().to_string());
        st.health.statuses(urls, self.now(st))
    }

    /// Shares `pending` out over the `ready` providers, request k to provider (rot + k) mod K
    /// (requests, not lanes, take turns, so every provider is asked even where lanes do not
    /// interleave: blocking native transports run one lane to its end before the next). A
    /// provider back from quarantine gets one request, its probe. Returns the queues and the
    /// slots left for a later round (when only probing providers are ready).
    fn deal(
        &self,
        st: &RunState,
        pending: &[u64],
        ready: &[usize],
    ) -> (Vec<RefCell<VecDeque<u64>>>, Vec<u64>) {
        let rot = st.rotation.get().wrapping_add(1);
        st.rotation.set(rot);
        let mut queues = vec![VecDeque::new(); ready.len()];
        let mut slots = pending.iter().copied();
        let mut full = Vec::new();
        for (i, &p) in ready.iter().enumerate() {
            if st.health.probing(p) {
                queues[i].extend(slots.next());
            } else {
                full.push(i);
            }
        }
        let mut left = Vec::new();
        for (k, slot) in slots.enumerate() {
            match full.len() {
                0 => left.push(slot),
                n => queues[full[(rot + k) % n]].push_back(slot),
            }
        }
        (queues.into_iter().map(RefCell::new).collect(), left)
    }

    /// Fetches `slots` over the healthy providers (never `except`). A transient failure
    /// quarantines its provider ([`health`]) and its requests go to the providers that are ready;
    /// with every provider quarantined the fetch waits for the first to come back, at most
    /// `max_retries` times.
    async fn fetch_slots(
        &self,
        st: &RunState,
        slots: Vec<u64>,
        except: Option<usize>,
    ) -> Result<BTreeMap<u64, Served>, BackfillError> {
        let mut out = BTreeMap::new();
        let mut pending = slots;
        let (mut waits, mut rounds) = (0u32, 0u32);
        let mut last: Option<(u64, usize, ApiError)> = None;
        let give_up = |last: Option<(u64, usize, ApiError)>| match last {
            Some((slot, _, source)) => BackfillError::Api { slot, source },
            None => BackfillError::NoHealthyProvider {
                providers: self.ctx.providers.len(),
            },
        };
        while !pending.is_empty() {
            self.check_abort()?;
            let usable = self.healthy(st, except);
            if usable.is_empty() {
                return Err(BackfillError::NoHealthyProvider {
                    providers: self.ctx.providers.len(),
                });
            }
            let now = self.now(st);
            let ready: Vec<usize> = usable
                .iter()
                .copied()
                .filter(|&p| st.health.ready(p, now))
                .collect();
            if ready.is_empty() {
                // Every provider is quarantined: wait for the first to come back.
                waits += 1;
                if waits > self.options.max_retries {
                    return Err(give_up(last));
                }
                let (p, until) = st
                    .health
                    .earliest_return(&usable)
                    .expect("quarantines are timed between rounds");
                let wait_ms = (until - now).max(0.0).ceil() as u64;
                self.env.emit(&Event::Retry {
                    provider: self.ctx.providers[p].base_url().to_string(),
                    requests: pending.len(),
                    attempt: waits,
                    wait_ms,
                    reason: last
                        .as_ref()
                        .map_or_else(String::new, |(_, _, e)| e.to_string()),
                });
                self.sleep(st, wait_ms).await;
                continue;
            }
            let (queues, left) = self.deal(st, &pending, &ready);
            let answered = self.run_lanes(st, &ready, &queues).await;
            self.check_abort()?;
            let mut failed = Vec::new();
            for (p, group, results) in answered {
                for (slot, result) in group.into_iter().zip(results) {
                    let e = match result {
                        Ok(found) => {
                            out.insert(slot, (found, Some(p)));
                            continue;
                        }
                        Err(e) => e,
                    };
                    match classify(&e) {
                        Failure::Fatal => {
                            if matches!(e, ApiError::Aborted { .. }) {
                                return Err(BackfillError::Aborted);
                            }
                            return Err(BackfillError::Api { slot, source: e });
                        }
                        Failure::BadProvider => {
                            if self.healthy(st, except).len() <= 1 && !st.health.is_avoided(p) {
                                // The last provider left: its bad answer is the error.
                                return Err(BackfillError::Api { slot, source: e });
                            }
                            self.avoid(st, p, e.code(), e.to_string());
                        }
                        // Quarantined in its lane already (see `run_lanes`).
                        Failure::Transient(_) => {}
                    }
                    failed.push(slot);
                    last = Some((slot, p, e));
                }
            }
            // Slots left in the queues of providers that stopped (quarantined mid-round and not
            // taken over by another lane) were never asked: they are pending, not failed.
            let mut unasked: Vec<u64> = queues.iter().flat_map(|q| q.take()).collect();
            unasked.extend(left);
            let now = self.now(st);
            for q in st.health.end_round(now) {
                let reason = match &last {
                    Some((_, p, e)) if *p == q.provider => e.to_string(),
                    _ => String::new(),
                };
                self.env.emit(&Event::ProviderQuarantined {
                    provider: self.ctx.providers[q.provider].base_url().to_string(),
                    strikes: q.strikes,
                    failures: st.health.failures(q.provider),
                    quarantine_ms: q.ms,
                    reason,
                });
            }
            if !failed.is_empty() {
                rounds += 1;
                // Each failing round quarantines a provider; bounded all the same.
                let most =
                    (self.options.max_retries + 1).saturating_mul(self.ctx.providers.len() as u32);
                if rounds > most {
                    return Err(give_up(last));
                }
                let (_, p, e) = last.as_ref().expect("a failure was recorded");
                if usable.iter().any(|&q| st.health.ready(q, now)) {
                    self.env.emit(&Event::Retry {
                        provider: self.ctx.providers[*p].base_url().to_string(),
                        requests: failed.len(),
                        attempt: rounds,
                        wait_ms: 0,
                        reason: e.to_string(),
                    });
                }
            }
            failed.extend(unasked);
            failed.sort_unstable_by(|a, b| b.cmp(a));
            pending = failed;
        }
        Ok(out)
    }

    /// One round: `concurrency` lanes per ready provider, each a sliding window (its next call
    /// as soon as its last one answered, so a slow answer holds up one lane, not a group). A
    /// transient failure quarantines the provider at once and its lanes stop; a lane whose own
    /// queue is empty takes over the queue of a provider that stopped. Returns every answer with
    /// the provider that gave it.
    async fn run_lanes(
        &self,
        st: &RunState,
        ready: &[usize],
        queues: &[RefCell<VecDeque<u64>>],
    ) -> Vec<(usize, Vec<u64>, Vec<Result<Option<HeaderInfo>, ApiError>>)> {
        let per_call = self.options.slots_per_call.max(1);
        let lanes: Vec<(usize, usize)> = ready
            .iter()
            .enumerate()
            .flat_map(|(i, &p)| {
                let calls = queues[i].borrow().len().div_ceil(per_call);
                std::iter::repeat_n((i, p), self.options.concurrency.min(calls))
            })
            .collect();
        let answered = RefCell::new(Vec::new());
        let stopped = |i: usize| st.health.benched(ready[i]);
        futures::future::join_all(lanes.into_iter().map(|(i, p)| {
            let answered = &answered;
            async move {
                loop {
                    if self.env.aborted() || stopped(i) {
                        break;
                    }
                    let group: Vec<u64> = {
                        let from = if queues[i].borrow().is_empty() {
                            (0..queues.len())
                                .find(|&j| stopped(j) && !queues[j].borrow().is_empty())
                        } else {
                            Some(i)
                        };
                        let Some(from) = from else { break };
                        let mut q = queues[from].borrow_mut();
                        let n = per_call.min(q.len());
                        q.drain(..n).collect()
                    };
                    let results = self.ctx.providers[p].headers_by_slots(&group).await;
                    for r in &results {
                        match r {
                            Ok(_) => st.health.succeeded(p),
                            Err(e) => {
                                if let Failure::Transient(after) = classify(e) {
                                    st.health.failed(p, after);
                                }
                            }
                        }
                    }
                    answered.borrow_mut().push((p, group, results));
                }
            }
        }))
        .await;
        answered.into_inner()
    }

    /// The anchor block's header, by root, from the first healthy provider that has it.
    async fn anchor_header(&self, st: &RunState, root: &Root) -> Result<HeaderInfo, BackfillError> {
        let healthy: Vec<&'a A> = self
            .healthy(st, None)
            .into_iter()
            .map(|p| &self.ctx.providers[p])
            .collect();
        // A 404 is one provider's gap: the next may have the block.
        let header = |p: &'a A| async move {
            match p.header_by_root(root).await {
                Ok(Some(h)) => Ok(h),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            }
        };
        let stop_on_abort = |r: &Rejection<Option<ApiError>>, _| match r.error {
            Some(ApiError::Aborted { .. }) => Next::Stop,
            _ => Next::Try,
        };
        let rejected = match first_passing(healthy, header, stop_on_abort).await {
            Ok(h) => return Ok(h),
            Err(rejected) if rejected.stopped => return Err(BackfillError::Aborted),
            Err(rejected) => rejected,
        };
        match rejected
            .rejections
            .into_iter()
            .filter_map(|r| r.error)
            .next_back()
        {
            Some(source) => Err(BackfillError::Api { slot: 0, source }),
            None => Err(BackfillError::LinkNotFound {
                expected_root: *root,
                highest_slot: 0,
                lowest_slot: 0,
                non_linking: 0,
            }),
        }
    }

    /// The root of the latest block at or before `slot`, where the anchor's roots or a verified
    /// chunk say it.
    fn known_root(&self, slot: u64, verified: &HashMap<u64, Vec<Root>>) -> Option<Root> {
        let known = self.known?;
        known.get_block_root_at_slot(slot).or_else(|| {
            let n = known.slots_per_historical_root;
            verified.get(&(slot / n)).map(|v| v[(slot % n) as usize])
        })
    }

    /// Whether `slot` holds a block, where the anchor's roots or a verified chunk say it
    /// ([`roots::slot_has_block`] over [`Self::known_root`]).
    fn slot_has_block(&self, slot: u64, verified: &HashMap<u64, Vec<Root>>) -> Option<bool> {
        roots::slot_has_block(slot, |s| self.known_root(s, verified))
    }

    fn expect(
        &self,
        walker: &Walker,
        slot: u64,
        verified: &HashMap<u64, Vec<Root>>,
        pinned: Option<(u64, Root)>,
    ) -> Result<Expect, WalkError> {
        if let Some((ps, root)) = pinned {
            if root == walker.expected {
                return Ok(match slot.cmp(&ps) {
                    std::cmp::Ordering::Greater => Expect::Empty,
                    std::cmp::Ordering::Equal => Expect::Block,
                    std::cmp::Ordering::Less => Expect::Unknown,
                });
            }
        }
        let Some(r) = self.known_root(slot, verified) else {
            return Ok(Expect::Unknown);
        };
        if r != walker.expected {
            // The latest block at or before `slot` is another one: the expected block is above
            // `slot`, where it was not served.
            return Err(walker.passed_expected(slot));
        }
        if slot == 0 {
            return Ok(Expect::Block);
        }
        Ok(match self.slot_has_block(slot, verified) {
            Some(true) => Expect::Block,
            Some(false) => Expect::Empty,
            None => Expect::Unknown,
        })
    }

    /// Commits linked headers (descending slots) in groups of `batch_size`, each with its cursor.
    async fn commit(
        &self,
        linked: Vec<HeaderRecord>,
        target_slot: u64,
    ) -> Result<Option<BackfillCursor>, BackfillError> {
        let mut cursor = None;
        for group in linked.chunks(self.options.batch_size as usize) {
            let oldest = group.last().expect("chunks are not empty");
            let c = BackfillCursor::below(oldest, target_slot);
            self.ctx.store.commit_backfill_batch(group, &c).await?;
            cursor = Some(c);
        }
        Ok(cursor)
    }

    /// Verifies a whole chunk against its summary, if the anchor has one and every slot of the
    /// chunk is stored or in `buffer`. Returns the chunk's vector when it matches.
    async fn verify_chunk(
        &self,
        chunk: u64,
        buffer: &BTreeMap<u64, Served>,
    ) -> Result<Option<Vec<Root>>, BackfillError> {
        let Some(known) = self.known else {
            return Ok(None);
        };
        let Some(summary) = known.summary_for_chunk(chunk) else {
            return Ok(None);
        };
        let n = known.slots_per_historical_root;
        let lo = chunk * n;
        // The store is read only for a chunk that is partly stored already (a resumed run, or a
        // chunk whose top was walked in an earlier unit).
        let in_buffer = buffer.range(lo..lo + n).count() as u64;
        let stored = if in_buffer == n {
            Vec::new()
        } else {
            self.ctx.store.headers_range(lo, lo + n).await?
        };
        let mut by_slot: BTreeMap<u64, (Root, Root)> = stored
            .iter()
            .map(|h| (h.slot, (h.root, h.parent_root())))
            .collect();
        for slot in lo..lo + n {
            if by_slot.contains_key(&slot) {
                continue;
            }
            match buffer.get(&slot) {
                Some((Some(h), _)) => {
                    by_slot.insert(slot, (h.root, h.header.parent_root.0));
                }
                Some((None, _)) => {}
                None => return Ok(None),
            }
        }
        let blocks: Vec<(u64, Root, Root)> = by_slot
            .into_iter()
            .map(|(slot, (root, parent))| (slot, root, parent))
            .collect();
        let Some(vector) = chunk_vector(lo, n, &blocks) else {
            return Ok(None);
        };
        if vector_root(&vector) == summary {
            self.env.emit(&Event::ChunkVerified { chunk });
            Ok(Some(vector))
        } else {
            self.env.emit(&Event::ChunkUnverified { chunk });
            Ok(None)
        }
    }

    /// The slots of the next fetch below `below` (exclusive): one batch, or, in summarised
    /// chunks, the rest of the current chunk and as many whole chunks below it as fit in a
    /// batch, so that each can be verified as a whole (and small chunks, as in the minimal
    /// preset, do not shrink the fetch units).
    ///
    /// Below the target the walk only looks for the block its chain needs next (a link there
    /// proves the slots above it empty): units of at most an epoch, as the block is usually a
    /// slot or two away.
    fn next_unit(&self, below: u64, target: u64) -> Vec<u64> {
        if below == 0 {
            return Vec::new();
        }
        let hi = below - 1;
        if hi < target {
            let n = self
                .ctx
                .network
                .slots_per_epoch()
                .min(self.options.batch_size)
                .max(1);
            return (hi.saturating_sub(n - 1)..=hi).rev().collect();
        }
        let mut lo = hi.saturating_add(1).saturating_sub(self.options.batch_size);
        if let Some(known) = self.known {
            let n = known.slots_per_historical_root;
            let chunk = hi / n;
            if known.summary_for_chunk(chunk).is_some() && chunk * n >= target {
                lo = chunk * n;
                while lo >= n
                    && lo - n >= target
                    && known.summary_for_chunk(lo / n - 1).is_some()
                    && hi + 1 - (lo - n) <= self.options.batch_size
                {
                    lo -= n;
                }
            }
        }
        let lo = lo.max(target);
        (lo..=hi).rev().collect()
    }

    /// Runs the backfill to its target (or until an error or abort) and returns what it did:
    /// the anchor is checked against its weak-subjectivity period, a stored backfill is resumed
    /// (or one started at the anchor's block), the walk goes down, and whatever linked is
    /// committed even when the walk failed.
    pub async fn run(&self) -> Result<BackfillSummary, BackfillError> {
        self.check_options()?;
        let st = self.run_state();
        let started = self.env.now_ms();
        let (anchor, current_epoch, cursor) = self.anchor_within_ws_period().await?;
        let target_slot = self.target_slot(current_epoch);
        let (cursor, stored) = self
            .resume_or_start(&st, &anchor, cursor, target_slot)
            .await?;
        let mut walk = Walk::new(cursor, stored, target_slot, started, self.options.limits);
        let result = self.walk_down(&st, &mut walk).await;
        // Whatever linked before a failure is verified: keep it.
        let tail = self.commit_linked(&mut walk).await;
        result?;
        tail?;
        self.check_reached(&walk)?;
        self.progress(&st, &walk);
        Ok(self.summary(&st, &walk))
    }

    /// Provider health for a new run.
    fn run_state(&self) -> RunState {
        RunState {
            health: health::Health::new(
                self.ctx.providers.len(),
                self.options.retry_base_ms,
                self.options.retry_max_ms,
            ),
            rotation: Cell::new(0),
            slept_ms: Cell::new(0),
        }
    }

    /// The active anchor, the current epoch and the stored cursor, once the anchor is inside
    /// its weak-subjectivity period. Outside it a stored backfill is reset (with
    /// [`Event::Reset`]) and the run stops with [`BackfillError::BackfillTooOld`] (Nimbus).
    async fn anchor_within_ws_period(
        &self,
    ) -> Result<(AnchorRecord, u64, Option<BackfillCursor>), BackfillError> {
        let anchor = self
            .ctx
            .store
            .active_anchor()
            .await?
            .ok_or(BackfillError::NoAnchor)?;
        let current_epoch = ChainClock::for_network(self.ctx.network)
            .current_epoch(self.ctx.clock)
            .map_err(BackfillError::Clock)?;
        let cursor = self.ctx.store.backfill_cursor().await?;
        if current_epoch <= anchor.epoch.saturating_add(anchor.ws_period_epochs) {
            return Ok((anchor, current_epoch, cursor));
        }
        if cursor.is_some() {
            self.ctx.store.reset_backfill().await?;
            self.env.emit(&Event::Reset {
                reason: ResetReason::WsStale {
                    anchor_epoch: anchor.epoch,
                    ws_period_epochs: anchor.ws_period_epochs,
                    current_epoch,
                },
            });
        }
        Err(BackfillError::BackfillTooOld {
            anchor_epoch: anchor.epoch,
            ws_period_epochs: anchor.ws_period_epochs,
            current_epoch,
        })
    }

    /// The slot the run goes down to.
    fn target_slot(&self, current_epoch: u64) -> u64 {
        match self.options.target {
            Target::Genesis => 0,
            Target::Slot(s) => s,
            Target::Horizon => block_request_horizon_slot(self.ctx.network, current_epoch),
        }
    }

    /// The cursor to walk down from and the headers stored doing so: the stored one when it
    /// hangs from the anchor's block; otherwise (none, or one of another anchor, which is reset
    /// with [`Event::Reset`]) a new one at the anchor's block, whose header is stored first.
    async fn resume_or_start(
        &self,
        st: &RunState,
        anchor: &AnchorRecord,
        mut cursor: Option<BackfillCursor>,
        target_slot: u64,
    ) -> Result<(BackfillCursor, u64), BackfillError> {
        let top = self.anchor_header(st, &anchor.block_root).await?;
        if cursor.is_some() {
            let stored = self.ctx.store.header(top.header.slot).await?;
            if stored.map(|h| h.root) != Some(anchor.block_root) {
                self.ctx.store.reset_backfill().await?;
                self.env.emit(&Event::Reset {
                    reason: ResetReason::AnchorChanged,
                });
                cursor = None;
            }
        }
        match cursor {
            Some(c) => Ok((c, 0)),
            None => {
                let c = self.commit(vec![walk::record(&top)], target_slot).await?;
                Ok((c.expect("one header committed"), 1))
            }
        }
    }

    /// The walk down the hash chain until it ends (target reached, or nothing more to fetch):
    /// each slot's header is fetched ahead (in units, committing what linked meanwhile), then
    /// stepped over.
    async fn walk_down(&self, st: &RunState, w: &mut Walk) -> Result<(), BackfillError> {
        loop {
            self.wait_while_paused().await?;
            let Some(slot) = w.walker.next_slot else {
                return Ok(());
            };
            if w.buffer.contains_key(&slot) {
                self.step_at(st, w, slot).await?;
            } else if !self.fetch_ahead(st, w, slot).await? {
                return Ok(());
            }
        }
    }

    /// Fetches the next unit of slots from `slot` down (those the anchor's roots show empty are
    /// not requested) while committing the headers linked so far, then verifies every chunk
    /// the unit completed. `false` when there is nothing left to fetch.
    async fn fetch_ahead(
        &self,
        st: &RunState,
        w: &mut Walk,
        slot: u64,
    ) -> Result<bool, BackfillError> {
        let unit: Vec<u64> = self
            .next_unit(slot + 1, w.target_slot)
            .into_iter()
            .filter(|s| !w.buffer.contains_key(s))
            .collect();
        let Some(&lowest) = unit.last() else {
            return Ok(false);
        };
        // Slots known empty are not requested: the walk steps over them as over a 404
        // (`expect` says `Empty` there, by the same rule), and a chunk check still covers them.
        let (known_empty, unit): (Vec<u64>, Vec<u64>) = unit
            .into_iter()
            .partition(|&s| self.slot_has_block(s, &w.verified) == Some(false));
        for s in known_empty {
            w.buffer.insert(s, (None, None));
        }
        let (committed, fetched) =
            futures::join!(self.commit_linked(w), self.fetch_slots(st, unit, None));
        if committed? {
            self.progress(st, w);
        }
        w.buffer.extend(fetched?);
        if let Some(known) = self.known {
            // Every chunk whose lowest slot this unit reached can now be complete.
            let n = known.slots_per_historical_root;
            for chunk in (lowest.div_ceil(n)..=slot / n).rev() {
                if !w.verified.contains_key(&chunk) {
                    if let Some(v) = self.verify_chunk(chunk, &w.buffer).await? {
                        w.verified.insert(chunk, v);
                    }
                }
            }
        }
        Ok(true)
    }

    /// One step of the walk at `slot`, whose header (or 404) is in the buffer.
    async fn step_at(&self, st: &RunState, w: &mut Walk, slot: u64) -> Result<(), BackfillError> {
        let (served, provider) = w.buffer[&slot].clone();
        let stepped = self
            .expect(&w.walker, slot, &w.verified, w.pinned)
            .and_then(|expect| w.walker.step(served.as_ref(), expect));
        match stepped {
            Ok(Step::Linked(rec)) => self.linked(st, w, rec).await,
            Ok(_) => Ok(()),
            Err(e @ WalkError::Withheld { .. }) => self.refetch_withheld(st, w, provider, e).await,
            Err(e @ (WalkError::LinkNotFound { .. } | WalkError::Exhausted { .. })) => {
                self.find_link_elsewhere(st, w, e).await
            }
        }
    }

    /// A header linked: kept for the next commit (committed at once when a batch is full).
    async fn linked(
        &self,
        st: &RunState,
        w: &mut Walk,
        rec: HeaderRecord,
    ) -> Result<(), BackfillError> {
        w.stored += 1;
        w.buffer.split_off(&rec.slot);
        w.linked.push(rec);
        w.snapshot = w.walker.clone();
        w.pinned = None;
        if w.linked.len() as u64 >= self.options.batch_size && self.commit_linked(w).await? {
            self.progress(st, w);
        }
        Ok(())
    }

    /// Commits the headers linked since the last commit and moves the run's cursor; `false`
    /// when there were none.
    async fn commit_linked(&self, w: &mut Walk) -> Result<bool, BackfillError> {
        let batch = std::mem::take(&mut w.linked);
        let committed = self.commit(batch, w.target_slot).await?;
        if let Some(c) = committed {
            w.cursor = c;
        }
        Ok(committed.is_some())
    }

    /// The anchor's roots say a block is at the slot `e` names and its provider served another
    /// (or none): that provider is avoided, its answers dropped, and the slot is asked of the
    /// others; the walk stops with [`BackfillError::Withheld`] when none serves the block.
    async fn refetch_withheld(
        &self,
        st: &RunState,
        w: &mut Walk,
        provider: Option<usize>,
        e: WalkError,
    ) -> Result<(), BackfillError> {
        let WalkError::Withheld {
            slot,
            expected_root,
            got,
        } = e
        else {
            return Err(e.into());
        };
        // A slot known empty is never `Expect::Block`; were it, no provider is to blame.
        let Some(provider) = provider else {
            return Err(e.into());
        };
        if self.healthy(st, Some(provider)).is_empty() {
            return Err(e.into());
        }
        let reason = format!(
            "expected block 0x{} at slot {slot}, got {}",
            hex::encode(expected_root),
            got.map_or("404".to_string(), hex0x)
        );
        self.avoid(st, provider, "BLOCK_WITHHELD", reason);
        w.buffer.retain(|_, (_, p)| *p != Some(provider));
        let again = self.fetch_slots(st, vec![slot], Some(provider)).await?;
        match again.get(&slot).cloned() {
            Some((Some(h), q)) if h.root == expected_root => {
                w.buffer.insert(slot, (Some(h), q));
                Ok(())
            }
            other => Err(BackfillError::Withheld {
                slot,
                expected_root,
                got: other.and_then(|(h, _)| h.map(|h| h.root)),
            }),
        }
    }

    /// No header linked where the chain needs one (`e`): the block is asked for by root. When
    /// a provider has it, below the last linked header, whoever served its slot withheld it
    /// (avoided, answers dropped); the block is pinned at its slot and the walk restarts from
    /// the last linked header. Otherwise, or when a pinned block did not help, `e` stands.
    async fn find_link_elsewhere(
        &self,
        st: &RunState,
        w: &mut Walk,
        e: WalkError,
    ) -> Result<(), BackfillError> {
        let (WalkError::LinkNotFound { expected_root, .. }
        | WalkError::Exhausted { expected_root, .. }) = e
        else {
            return Err(e.into());
        };
        let not_found = BackfillError::from(e);
        if w.pinned.is_some() {
            return Err(not_found);
        }
        let Some((h, q)) = self.find_by_root(st, &expected_root).await? else {
            return Err(not_found);
        };
        let s = h.header.slot;
        if s >= w.snapshot.next_slot.map_or(0, |n| n + 1) {
            return Err(not_found);
        }
        // Another provider has the block: whoever served that slot withheld it.
        if let Some(&(_, Some(p))) = w.buffer.get(&s) {
            if p != q {
                w.buffer.retain(|_, (_, b)| *b != Some(p));
                self.avoid(
                    st,
                    p,
                    "BLOCK_WITHHELD",
                    format!(
                        "withheld block 0x{} at slot {s}",
                        hex::encode(expected_root)
                    ),
                );
            }
        }
        w.buffer.insert(s, (Some(h), Some(q)));
        w.pinned = Some((s, expected_root));
        w.walker = w.snapshot.clone();
        Ok(())
    }

    /// [`BackfillError::Incomplete`] when the walk ended at a header that cannot lead to the
    /// target (no parent, or a slot-0 header with one): nothing further down can link.
    fn check_reached(&self, w: &Walk) -> Result<(), BackfillError> {
        let c = &w.cursor;
        if walk::reached(c.oldest_slot, &c.oldest_parent_root, w.target_slot) {
            return Ok(());
        }
        Err(BackfillError::Incomplete {
            target_slot: w.target_slot,
            oldest_slot: c.oldest_slot,
            expected_root: c.oldest_parent_root,
            lowest_slot: c.oldest_slot,
        })
    }

    /// What the run did.
    fn summary(&self, st: &RunState, w: &Walk) -> BackfillSummary {
        BackfillSummary {
            stored: w.stored,
            skipped_non_linking: w.walker.stats.skipped_non_linking,
            empty_slots: w.walker.stats.empty_slots,
            oldest_slot: w.cursor.oldest_slot,
            oldest_root: w.cursor.oldest_root,
            oldest_parent_root: w.cursor.oldest_parent_root,
            target_slot: w.target_slot,
            headers_per_second: rate(w.stored, w.started, self.env.now_ms()),
            providers: self.statuses(st),
        }
    }

    /// Asks every healthy provider that is not quarantined for the block `root` by root.
    async fn find_by_root(
        &self,
        st: &RunState,
        root: &Root,
    ) -> Result<Option<(HeaderInfo, usize)>, BackfillError> {
        let now = self.now(st);
        for p in self.healthy(st, None) {
            if !st.health.ready(p, now) {
                continue;
            }
            self.check_abort()?;
            if let Ok(Some(h)) = self.ctx.providers[p].header_by_root(root).await {
                return Ok(Some((h, p)));
            }
        }
        Ok(None)
    }

    fn progress(&self, st: &RunState, w: &Walk) {
        let done = match w.walker.next_slot {
            Some(n) => w.top.saturating_sub(n + 1),
            None => w.total,
        }
        .min(w.total);
        let now = self.env.now_ms();
        let eta_seconds = match (w.started, now) {
            (Some(t0), Some(t1)) if t1 > t0 && done > 0 => {
                Some((w.total - done) as f64 * (t1 - t0) / 1000.0 / done as f64)
            }
            _ => None,
        };
        self.env.emit(&Event::Backfill(Progress {
            done,
            total: w.total,
            headers: w.stored,
            headers_per_second: rate(w.stored, w.started, now),
            eta_seconds,
            oldest_slot: w.cursor.oldest_slot,
            skipped_non_linking: w.walker.stats.skipped_non_linking,
            empty_slots: w.walker.stats.empty_slots,
            providers: self.statuses(st),
        }));
    }
}

fn rate(count: u64, started: Option<f64>, now: Option<f64>) -> Option<f64> {
    match (started, now) {
        (Some(t0), Some(t1)) if t1 > t0 => Some(count as f64 * 1000.0 / (t1 - t0)),
        _ => None,
    }
}
