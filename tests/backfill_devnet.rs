#![cfg(not(target_arch = "wasm32"))]
//! Backfill against the devnet over real HTTP: generated chains (empty slots, orphans served as
//! canonical, anchor-state roots), every devnet fault with the store checked against the
//! devnet's canonical chain, resume after an interruption, the weak-subjectivity reset, and the
//! real Holesky headers replayed from the shared fixtures.

mod devnet_common;

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use beacon_lightsync::backfill::{
    chunk_vector, load_known_roots, vector_root, Backfill, BackfillError, BackfillOptions,
    BackfillSummary, KnownRoots, ResetReason, Target, WalkLimits,
};
use beacon_lightsync::beacon_api::{ApiError, BeaconApi, HeaderInfo, HttpBeaconApi, UreqTransport};
use beacon_lightsync::checkpoint::Source;
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::{Ctx, Env};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::data::ChainData;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::replay::ReplayNetwork;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::event::Event;
use beacon_lightsync::store::{AnchorRecord, MemoryStore, Store, StoreDump, Trust};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{ForkName, PresetName, B256};
use beacon_lightsync::ws::{FixedClock, SystemClock};
use devnet_common::{
    apis, checkpoint, checkpoint_sync, empty_store, forward_beacon_api, network, start_devnet,
};
use futures::executor::block_on;

/// Slots of the generated chains: minimal preset (8 slots per epoch, 64-slot chunks), so the
/// finalized anchor has several complete chunks summarised below it.
const SLOTS: u64 = 400;

fn start(providers: usize, empty_pct: u32) -> Devnet {
    start_devnet(
        providers,
        ChainOptions {
            validators: 256,
            slots: SLOTS,
            empty_slot_percent: empty_pct,
            ..ChainOptions::default()
        },
    )
}

/// A store holding the anchor a real checkpoint sync made from the devnet's finalized checkpoint.
fn anchored_store(devnet: &Devnet, net: &NetworkConfig) -> MemoryStore {
    let store = empty_store(net);
    let providers = apis(devnet, 5_000);
    let cp = checkpoint(devnet);
    checkpoint_sync(net, &providers[..1], &store, &Source::Checkpoint(cp))
        .expect("checkpoint sync");
    store
}

/// A devnet, its network config and chain, and a store holding the anchor a checkpoint sync made
/// from its finalized checkpoint (`anchored_store`).
fn anchored(
    providers: usize,
    empty_pct: u32,
) -> (
    Devnet,
    NetworkConfig,
    Arc<ChainData>,
    MemoryStore,
    AnchorRecord,
) {
    let devnet = start(providers, empty_pct);
    let net = network(&devnet);
    let chain = devnet.chain();
    let store = anchored_store(&devnet, &net);
    let anchor = block_on(store.active_anchor()).unwrap().unwrap();
    (devnet, net, chain, store, anchor)
}

fn known_roots(devnet: &Devnet, anchor: &AnchorRecord) -> KnownRoots {
    let chain = devnet.chain();
    let state = &chain.states[&anchor.state_root];
    let fork: ForkName = anchor.fork.parse().unwrap();
    KnownRoots::from_verified_state(&state.ssz, fork, PresetName::Minimal, &anchor.state_root)
        .unwrap()
}

#[derive(Default)]
struct Recorder {
    events: RefCell<Vec<Event>>,
    /// Abort once this many progress events were seen.
    abort_after_progress: Cell<Option<usize>>,
    slept_ms: Cell<u64>,
}

impl Env for Recorder {
    fn emit(&self, event: &Event) {
        self.events.borrow_mut().push(event.clone());
    }
    async fn sleep_ms(&self, ms: u64) {
        self.slept_ms.set(self.slept_ms.get() + ms);
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    fn aborted(&self) -> bool {
        match self.abort_after_progress.get() {
            Some(n) => self.progress_count() >= n,
            None => false,
        }
    }
    fn now_ms(&self) -> Option<f64> {
        Some(std::time::UNIX_EPOCH.elapsed().unwrap().as_secs_f64() * 1000.0)
    }
}

impl Recorder {
    fn progress_count(&self) -> usize {
        self.events
            .borrow()
            .iter()
            .filter(|e| matches!(e, Event::Backfill(_)))
            .count()
    }
    fn avoided(&self) -> Vec<&'static str> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                Event::ProviderAvoided { code, .. } => Some(*code),
                _ => None,
            })
            .collect()
    }
    fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.events.borrow().iter().filter(|e| f(e)).count()
    }
}

fn run<A: BeaconApi>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    hooks: &Recorder,
    options: BackfillOptions,
    known: Option<&KnownRoots>,
) -> Result<BackfillSummary, BackfillError> {
    let bf = Backfill {
        ctx: Ctx {
            network: net,
            providers,
            store,
            clock: &SystemClock,
        },
        env: hooks,
        options,
        known,
    };
    block_on(bf.run())
}

/// A backfill to genesis with the options of `opts`.
fn to_genesis<A: BeaconApi>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    hooks: &Recorder,
    known: Option<&KnownRoots>,
) -> Result<BackfillSummary, BackfillError> {
    run(net, providers, store, hooks, opts(Target::Genesis), known)
}

fn opts(target: Target) -> BackfillOptions {
    BackfillOptions {
        target,
        batch_size: 32,
        concurrency: 4,
        retry_base_ms: 20,
        ..BackfillOptions::default()
    }
}

/// The canonical block at or below `slot` in the devnet chain.
fn block_at_or_before(
    chain: &ChainData,
    slot: u64,
) -> &beacon_lightsync::devnet::data::HeaderEntry {
    chain.header_at_or_before(slot).unwrap()
}

/// Checks that the store holds exactly the canonical chain from the anchor block down to its
/// cursor: every stored header is the devnet's canonical header at that slot, every canonical
/// block in that range is stored (no gap), and the cursor describes the oldest one.
fn assert_canonical_prefix(dump: &StoreDump, chain: &ChainData, anchor_root: &[u8; 32]) {
    let cursor = dump.meta.backfill_cursor.expect("a cursor");
    let (anchor_entry, _) = chain.header_by_root(anchor_root).expect("anchor in chain");
    let expected: Vec<_> = chain
        .headers
        .range(cursor.oldest_slot..=anchor_entry.slot)
        .map(|(s, h)| (*s, h.root))
        .collect();
    let got: Vec<_> = dump.headers.iter().map(|h| (h.slot, h.root)).collect();
    assert_eq!(
        got, expected,
        "stored headers = canonical chain from the anchor down"
    );
    for h in &dump.headers {
        let c = &chain.headers[&h.slot];
        assert_eq!(h.parent_root(), c.parent_root);
        assert_eq!(h.state_root(), c.state_root);
    }
    let oldest = dump.headers.first().unwrap();
    assert_eq!(cursor.oldest_root, oldest.root);
    assert_eq!(cursor.oldest_parent_root, oldest.parent_root());
}

/// A provider that serves, at empty slots, the devnet's orphaned blocks as if canonical (the
/// devnet itself answers 404 there), around an honest HTTP provider.
struct OrphanServing {
    inner: HttpBeaconApi<UreqTransport>,
    chain: Arc<ChainData>,
}

fn orphan_info(chain: &ChainData, slot: u64) -> Option<HeaderInfo> {
    let o = chain.orphans.get(&slot)?;
    Some(HeaderInfo {
        root: o.root,
        canonical: true,
        header: BeaconBlockHeader {
            slot: o.slot,
            proposer_index: o.proposer_index,
            parent_root: B256::from(o.parent_root),
            state_root: B256::from(o.state_root),
            body_root: B256::from(o.body_root),
        },
        signature: o.signature,
    })
}

impl BeaconApi for OrphanServing {
    forward_beacon_api!(
        inner: base_url,
        genesis,
        spec,
        header,
        finality_checkpoints,
        state_ssz,
        block_ssz,
        light_client_bootstrap,
        light_client_updates,
        light_client_finality_update,
    );
    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>> {
        let answers = self.inner.headers_by_slots(slots).await;
        answers
            .into_iter()
            .zip(slots)
            .map(|(a, s)| match a {
                Ok(None) => Ok(orphan_info(&self.chain, *s)),
                other => other,
            })
            .collect()
    }
}

#[test]
fn generated_chain_to_genesis_skips_orphans_and_counts_empty_slots() {
    let (devnet, net, chain, store, anchor) = anchored(1, 20);
    let (anchor_entry, _) = chain.header_by_root(&anchor.block_root).unwrap();
    let below = anchor_entry.slot;
    let orphans_below = chain.orphans.range(..below).count() as u64;
    let empty_below = (0..below)
        .filter(|s| !chain.headers.contains_key(s))
        .count() as u64;
    assert!(orphans_below > 0, "the chain has orphans to serve");
    let providers = [OrphanServing {
        inner: apis(&devnet, 5_000).remove(0),
        chain: chain.clone(),
    }];
    let hooks = Recorder::default();
    let s = to_genesis(&net, &providers, &store, &hooks, None).unwrap();
    let dump = block_on(store.dump()).unwrap();
    assert_canonical_prefix(&dump, &chain, &anchor.block_root);
    assert_eq!(s.oldest_slot, 0);
    assert_eq!(s.oldest_parent_root, [0u8; 32]);
    assert_eq!(s.stored, chain.headers.range(..=below).count() as u64);
    assert_eq!(s.skipped_non_linking, orphans_below);
    assert_eq!(s.empty_slots, empty_below - orphans_below);
    assert!(hooks.progress_count() > 1);
}

#[test]
fn checkpoint_sync_records_the_anchor_state_roots_with_the_anchor() {
    let (devnet, _, chain, store, anchor) = anchored(1, 10);
    let stored = block_on(load_known_roots(&store, &anchor))
        .unwrap()
        .expect("the checkpoint flow records the anchor state's roots");
    // The same roots as read (and hashed) from the devnet's own copy of the anchor state.
    assert_eq!(stored, known_roots(&devnet, &anchor));
    assert_eq!(stored.state_slot, anchor.slot);
    // And they say what the devnet's canonical chain says: the latest block at or before every
    // slot of the window, and one summary per complete chunk that the chain's blocks reproduce.
    let n = stored.slots_per_historical_root;
    assert_eq!(n, 64, "minimal preset");
    for slot in anchor.slot - n..anchor.slot {
        assert_eq!(
            stored.get_block_root_at_slot(slot),
            Some(block_at_or_before(&chain, slot).root),
            "slot {slot}"
        );
    }
    assert_eq!(stored.block_summary_roots.len() as u64, anchor.slot / n);
    for chunk in 0..anchor.slot / n {
        let blocks: Vec<_> = chain
            .headers
            .range(chunk * n..(chunk + 1) * n)
            .map(|(s, h)| (*s, h.root, h.parent_root))
            .collect();
        let vector = chunk_vector(chunk * n, n, &blocks).unwrap();
        assert_eq!(
            stored.summary_for_chunk(chunk),
            Some(vector_root(&vector)),
            "chunk {chunk}"
        );
    }
}

#[test]
fn anchor_state_roots_verify_whole_chunks() {
    let (devnet, net, chain, store, anchor) = anchored(1, 10);
    // The roots kept with the anchor, as the browser and the CLI load them.
    let known = block_on(load_known_roots(&store, &anchor))
        .unwrap()
        .expect("recorded roots");
    let hooks = Recorder::default();
    let s = to_genesis(&net, &apis(&devnet, 5_000), &store, &hooks, Some(&known)).unwrap();
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
    assert_eq!(s.oldest_slot, 0);
    // Every complete 64-slot chunk has a summary in the anchor state (the chain starts at
    // genesis with all forks at epoch 0), and each one is verified by it.
    let expected_chunks = known.block_summary_roots.len();
    assert_eq!(
        expected_chunks as u64,
        anchor.slot / known.slots_per_historical_root
    );
    assert!(expected_chunks >= 2, "{expected_chunks}");
    assert_eq!(
        hooks.count(|e| matches!(e, Event::ChunkVerified { .. })),
        expected_chunks
    );
    assert_eq!(
        hooks.count(|e| matches!(e, Event::ChunkUnverified { .. })),
        0
    );
}

#[test]
fn interrupted_backfill_resumes_without_gap_or_refetch() {
    let (devnet, net, chain, store, anchor) = anchored(1, 10);
    let providers = apis(&devnet, 5_000);
    let hooks = Recorder::default();
    hooks.abort_after_progress.set(Some(2));
    let err = to_genesis(&net, &providers, &store, &hooks, None).unwrap_err();
    assert_eq!(err, BackfillError::Aborted);
    let mid = block_on(store.dump()).unwrap();
    assert_canonical_prefix(&mid, &chain, &anchor.block_root);
    let mid_cursor = mid.meta.backfill_cursor.unwrap();
    assert!(mid_cursor.oldest_slot > 0);
    let hooks2 = Recorder::default();
    let s = to_genesis(&net, &providers, &store, &hooks2, None).unwrap();
    let done = block_on(store.dump()).unwrap();
    assert_canonical_prefix(&done, &chain, &anchor.block_root);
    assert_eq!(done.meta.backfill_cursor.unwrap().oldest_slot, 0);
    // The second run stored only what was missing.
    assert_eq!(s.stored as usize, done.headers.len() - mid.headers.len());
}

/// A canonical slot at or above `from`, whose parent block is at the slot before it.
fn victim_slot(chain: &ChainData, from: u64) -> u64 {
    (from.max(2)..)
        .find(|s| chain.headers.contains_key(s) && chain.headers.contains_key(&(s - 1)))
        .unwrap()
}

/// Where the faulty slot lies.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Region {
    /// Inside the anchor state's `block_roots` window (the last 64 slots below the anchor).
    Window,
    /// Inside an older chunk covered by a `historical_summaries` entry.
    Chunk,
}

fn victim_in(chain: &ChainData, anchor_slot: u64, region: Region) -> u64 {
    match region {
        Region::Window => victim_slot(chain, anchor_slot - 40),
        Region::Chunk => victim_slot(chain, 64 + 20),
    }
}

/// Runs a single-provider backfill with `fault` on slot-ranged header requests and returns the
/// error and the store dump, after checking that only canonical, contiguous headers were stored.
fn faulted(
    fault: &str,
    known: bool,
    timeout_ms: u64,
    region: Region,
) -> (
    Result<BackfillSummary, BackfillError>,
    StoreDump,
    u64,
    Arc<ChainData>,
    Recorder,
) {
    let (devnet, net, chain, store, anchor) = anchored(1, 10);
    let roots = known_roots(&devnet, &anchor);
    let victim = victim_in(&chain, anchor.slot, region);
    let rule = FaultRule::parse(&format!(
        "{fault},path=/eth/v1/beacon/headers/*,slots={victim}-{victim}"
    ))
    .unwrap();
    devnet.add_fault(0, rule);
    let hooks = Recorder::default();
    let mut o = opts(Target::Genesis);
    o.max_retries = 2;
    o.limits = WalkLimits {
        max_search_slots: 64,
        max_non_linking_run: 8,
    };
    let r = run(
        &net,
        &apis(&devnet, timeout_ms),
        &store,
        &hooks,
        o,
        known.then_some(&roots),
    );
    let dump = block_on(store.dump()).unwrap();
    assert_canonical_prefix(&dump, &chain, &anchor.block_root);
    (r, dump, victim, chain, hooks)
}

#[test]
fn withheld_or_replaced_blocks_stop_with_the_missing_root_and_no_gap() {
    for fault in ["withhold", "broken-parent", "non-canonical"] {
        for (known, region) in [
            (false, Region::Chunk),
            (true, Region::Chunk),
            (true, Region::Window),
        ] {
            let (r, dump, victim, chain, _) = faulted(fault, known, 5_000, region);
            let err = r.unwrap_err();
            let want_root = chain.headers[&victim].root;
            match (&err, known) {
                (
                    BackfillError::LinkNotFound {
                        expected_root,
                        highest_slot,
                        lowest_slot,
                        ..
                    },
                    _,
                ) if region == Region::Chunk => {
                    assert_eq!(*expected_root, want_root, "{fault}");
                    assert!(*highest_slot >= victim && *lowest_slot < victim, "{err}");
                }
                (
                    BackfillError::Withheld {
                        slot,
                        expected_root,
                        ..
                    },
                    true,
                ) if region == Region::Window => {
                    assert_eq!((*slot, *expected_root), (victim, want_root), "{fault}");
                }
                _ => panic!("{fault} known={known}: unexpected {err}"),
            }
            let cursor = dump.meta.backfill_cursor.unwrap();
            assert_eq!(
                cursor.oldest_parent_root, want_root,
                "stopped right above it"
            );
            assert!(err.to_string().contains(&hex::encode(want_root)), "{err}");
        }
    }
}

#[test]
fn bad_root_truncation_and_server_errors_map_to_their_codes() {
    for (fault, code) in [
        ("bad-header-root", "HEADER_ROOT_MISMATCH"),
        ("truncate", "TRUNCATED"),
        ("status,code=500", "HTTP_STATUS"),
        ("bad-json", "DECODE"),
        ("no-response,hold_ms=3000", "TIMEOUT"),
    ] {
        let (r, _dump, victim, _, _) = faulted(fault, false, 400, Region::Chunk);
        match r.unwrap_err() {
            BackfillError::Api { slot, source } => {
                assert_eq!((slot, source.code()), (victim, code), "{fault}");
            }
            other => panic!("{fault}: unexpected {other}"),
        }
    }
}

#[test]
fn transient_faults_and_rate_limits_are_retried() {
    let (devnet, net, chain, store, anchor) = anchored(1, 10);
    for rule in [
        "status,code=429,retry_after=1,count=1",
        "status,code=503,count=2",
        "truncate,count=1",
    ] {
        devnet.add_fault(
            0,
            FaultRule::parse(&format!("{rule},path=/eth/v1/beacon/headers/*,slots=20-20")).unwrap(),
        );
    }
    let hooks = Recorder::default();
    to_genesis(&net, &apis(&devnet, 5_000), &store, &hooks, None).unwrap();
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
    let waits: Vec<u64> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Retry { wait_ms, .. } => Some(*wait_ms),
            _ => None,
        })
        .collect();
    assert!(waits.contains(&1000), "Retry-After: 1 honoured: {waits:?}");
    assert!(waits.len() >= 3, "{waits:?}");
}

#[test]
fn a_lying_provider_is_avoided_and_the_others_finish() {
    for fault in ["withhold", "bad-header-root", "non-canonical"] {
        for known in [false, true] {
            let (devnet, net, chain, store, anchor) = anchored(2, 10);
            let roots = known_roots(&devnet, &anchor);
            // A run of slots, so that some of them are asked of the faulty provider whatever
            // the spreading of requests.
            let victim = victim_in(&chain, anchor.slot, Region::Window);
            let last = victim + 24;
            devnet.add_fault(
                0,
                FaultRule::parse(&format!(
                    "{fault},path=/eth/v1/beacon/headers/*,slots={victim}-{last}"
                ))
                .unwrap(),
            );
            let hooks = Recorder::default();
            let mut o = opts(Target::Genesis);
            o.limits = WalkLimits {
                max_search_slots: 64,
                max_non_linking_run: 8,
            };
            let providers = apis(&devnet, 5_000);
            let r = run(&net, &providers, &store, &hooks, o, known.then_some(&roots));
            let s = r.unwrap_or_else(|e| panic!("{fault} known={known}: {e}"));
            assert_eq!(s.oldest_slot, 0);
            assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
            let avoided = hooks.avoided();
            assert_eq!(avoided.len(), 1, "{fault} known={known}: {avoided:?}");
        }
    }
}

#[test]
fn stale_anchor_resets_the_stored_backfill_with_an_event() {
    let (devnet, net, _, store, anchor) = anchored(1, 10);
    let hooks = Recorder::default();
    hooks.abort_after_progress.set(Some(1));
    let providers = apis(&devnet, 5_000);
    let _ = to_genesis(&net, &providers, &store, &hooks, None);
    assert!(!block_on(store.dump()).unwrap().headers.is_empty());
    // The wall clock one epoch past the anchor's weak-subjectivity period.
    let spe = net.slots_per_epoch();
    let late_epoch = anchor.epoch + anchor.ws_period_epochs + 1;
    let late = net.genesis_time + late_epoch * spe * net.seconds_per_slot;
    let hooks = Recorder::default();
    let bf = Backfill {
        ctx: Ctx {
            network: &net,
            providers: &providers,
            store: &store,
            clock: &FixedClock(late),
        },
        env: &hooks,
        options: opts(Target::Genesis),
        known: None,
    };
    let err = block_on(bf.run()).unwrap_err();
    assert_eq!(err.code(), "BACKFILL_TOO_OLD");
    let dump = block_on(store.dump()).unwrap();
    assert!(dump.headers.is_empty() && dump.meta.backfill_cursor.is_none());
    assert_eq!(
        hooks.events.borrow().as_slice(),
        &[Event::Reset {
            reason: ResetReason::WsStale {
                anchor_epoch: anchor.epoch,
                ws_period_epochs: anchor.ws_period_epochs,
                current_epoch: late_epoch,
            }
        }]
    );
}

/// Holesky's recorded headers 3014658..=3016734, replayed by the devnet: walked down from the
/// last one to the bootstrap block the fixtures name as the first header's parent.
#[test]
fn real_holesky_headers_backfill_to_the_bootstrap_block() {
    let fixtures = beacon_lightsync::ssz_io::require_fixtures_dir();
    let devnet = Devnet::start(DevnetOptions {
        replay: Some((ReplayNetwork::Holesky, fixtures)),
        ..DevnetOptions::default()
    })
    .expect("replay devnet");
    let net = NetworkConfig::by_name("holesky").unwrap();
    let chain = devnet.chain();
    let last = chain.headers.range(..=3_016_734).next_back().unwrap().1;
    assert_eq!(last.slot, 3_016_734);
    let store = MemoryStore::new("holesky", net.genesis_validators_root.0);
    let epoch = last.slot / 32;
    block_on(store.put_anchor(
        &AnchorRecord {
            providers: devnet.urls(),
            ws_period_epochs: 256,
            ..AnchorRecord::new(
                "holesky",
                last.slot,
                epoch,
                last.root,
                last.state_root,
                ForkName::Deneb,
                Trust::BlockRoot,
            )
        },
        true,
    ))
    .unwrap();
    let now = net.genesis_time + (last.slot + 1) * 12;
    let hooks = Recorder::default();
    let bf = Backfill {
        ctx: Ctx {
            network: &net,
            providers: &apis(&devnet, 5_000),
            store: &store,
            clock: &FixedClock(now),
        },
        env: &hooks,
        options: BackfillOptions {
            target: Target::Slot(3_014_658),
            ..BackfillOptions::default()
        },
        known: None,
    };
    let s = block_on(bf.run()).unwrap();
    let bootstrap =
        hex::decode("e5465b2c6f141f5124053ae6a4d63cb7b9cc51991d39306a8dfc64bedb5de26c").unwrap();
    assert_eq!(s.stored, 1922);
    assert_eq!(s.empty_slots, 155, "the recorded empty slots");
    assert_eq!(s.skipped_non_linking, 0);
    assert_eq!(s.oldest_slot, 3_014_658);
    assert_eq!(s.oldest_parent_root.to_vec(), bootstrap);
    let dump = block_on(store.dump()).unwrap();
    assert_eq!(dump.headers.len(), 1922);
    for pair in dump.headers.windows(2) {
        assert_eq!(pair[1].parent_root(), pair[0].root, "unbroken chain");
    }
    // One slot further down, slot 3014657, is empty and the bootstrap block below it is not
    // served as a header: that 404 proves nothing, so the target is not reached, and the
    // error names the bootstrap block as the one the chain needs.
    let bf = Backfill {
        options: BackfillOptions {
            target: Target::Slot(3_014_657),
            limits: WalkLimits {
                max_search_slots: 16,
                ..WalkLimits::default()
            },
            ..BackfillOptions::default()
        },
        ..bf
    };
    match block_on(bf.run()).unwrap_err() {
        BackfillError::LinkNotFound {
            expected_root,
            highest_slot,
            ..
        } => {
            assert_eq!(expected_root.to_vec(), bootstrap);
            assert_eq!(highest_slot, 3_014_657);
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(block_on(store.dump()).unwrap().headers, dump.headers);
}

/// Resolves on its second poll, waking itself first: lets every lane of a `join_all` start its
/// request before any completes, even over a blocking transport.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

/// A provider that records the slots asked of it and its most requests in flight at once
/// (each request yields once before it is sent), around an honest HTTP provider.
struct Counting {
    inner: HttpBeaconApi<UreqTransport>,
    requested: RefCell<Vec<u64>>,
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl Counting {
    fn all(devnet: &Devnet) -> Vec<Counting> {
        apis(devnet, 5_000)
            .into_iter()
            .map(|inner| Counting {
                inner,
                requested: RefCell::default(),
                in_flight: Cell::new(0),
                max_in_flight: Cell::new(0),
            })
            .collect()
    }
}

impl BeaconApi for Counting {
    forward_beacon_api!(
        inner: base_url,
        genesis,
        spec,
        header,
        finality_checkpoints,
        state_ssz,
        block_ssz,
        light_client_bootstrap,
        light_client_updates,
        light_client_finality_update,
    );
    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>> {
        self.requested.borrow_mut().extend_from_slice(slots);
        self.in_flight.set(self.in_flight.get() + slots.len());
        self.max_in_flight
            .set(self.max_in_flight.get().max(self.in_flight.get()));
        YieldOnce(false).await;
        let answers = self.inner.headers_by_slots(slots).await;
        self.in_flight.set(self.in_flight.get() - slots.len());
        answers
    }
}

/// The empty slots of the anchor state's `block_roots` window whose emptiness the roots show
/// (every window slot but the lowest), from the devnet's chain rather than from the roots.
fn window_empty_slots(chain: &ChainData, anchor_slot: u64, n: u64) -> Vec<u64> {
    (anchor_slot - n + 1..anchor_slot)
        .filter(|s| !chain.headers.contains_key(s))
        .collect()
}

/// Every slot asked of `providers`, sorted.
fn requested(providers: &[Counting]) -> Vec<u64> {
    let mut all: Vec<u64> = providers
        .iter()
        .flat_map(|p| p.requested.borrow().clone())
        .collect();
    all.sort_unstable();
    all
}

#[test]
fn slots_known_empty_are_not_requested_and_the_result_is_unchanged() {
    // 30% empty slots, so the 64-slot window holds several.
    let (devnet, net, chain, store, anchor) = anchored(1, 30);
    let known = block_on(load_known_roots(&store, &anchor))
        .unwrap()
        .unwrap();
    let n = known.slots_per_historical_root;
    let skipped = window_empty_slots(&chain, anchor.slot, n);
    assert!(skipped.len() >= 5, "{skipped:?}");

    // The hash chain alone, into a second store with the same anchor: every slot is asked.
    let plain_store = anchored_store(&devnet, &net);
    let plain = Counting::all(&devnet);
    let plain_hooks = Recorder::default();
    let s0 = to_genesis(&net, &plain, &plain_store, &plain_hooks, None).unwrap();
    assert_eq!(requested(&plain), (0..anchor.slot).collect::<Vec<_>>());

    let with_roots = Counting::all(&devnet);
    let hooks = Recorder::default();
    let s1 = to_genesis(&net, &with_roots, &store, &hooks, Some(&known)).unwrap();
    let expected: Vec<u64> = (0..anchor.slot).filter(|s| !skipped.contains(s)).collect();
    assert_eq!(
        requested(&with_roots),
        expected,
        "each other slot asked once"
    );

    // Same headers, same cursor, same counts: the skipped slots are counted as empty.
    let (d0, d1) = (
        block_on(plain_store.dump()).unwrap(),
        block_on(store.dump()).unwrap(),
    );
    assert_canonical_prefix(&d1, &chain, &anchor.block_root);
    assert_eq!(d1.headers, d0.headers);
    assert_eq!(d1.meta.backfill_cursor, d0.meta.backfill_cursor);
    assert_eq!(
        (s1.stored, s1.empty_slots, s1.skipped_non_linking),
        (s0.stored, s0.empty_slots, s0.skipped_non_linking)
    );
    assert_eq!(
        s1.empty_slots,
        (0..anchor.slot)
            .filter(|s| !chain.headers.contains_key(s))
            .count() as u64
    );
    // Every summarised chunk is still verified, the one the window overlaps included (its
    // skipped slots enter the chunk's vector as empty).
    assert_eq!(
        hooks.count(|e| matches!(e, Event::ChunkVerified { .. })),
        known.block_summary_roots.len()
    );
    assert_eq!(
        hooks.count(|e| matches!(e, Event::ChunkUnverified { .. })),
        0
    );
}

#[test]
fn skipping_known_empty_slots_keeps_withheld_blocks_caught() {
    // One provider withholds a block inside the window: the same Withheld error at its slot.
    let (devnet, net, chain, store, anchor) = anchored(1, 30);
    let known = block_on(load_known_roots(&store, &anchor))
        .unwrap()
        .unwrap();
    let n = known.slots_per_historical_root;
    let victim = victim_in(&chain, anchor.slot, Region::Window);
    devnet.add_fault(
        0,
        FaultRule::parse(&format!(
            "withhold,path=/eth/v1/beacon/headers/*,slots={victim}-{victim}"
        ))
        .unwrap(),
    );
    let providers = Counting::all(&devnet);
    let hooks = Recorder::default();
    let mut o = opts(Target::Genesis);
    o.max_retries = 2;
    let err = run(&net, &providers, &store, &hooks, o, Some(&known)).unwrap_err();
    assert_eq!(
        err,
        BackfillError::Withheld {
            slot: victim,
            expected_root: chain.headers[&victim].root,
            got: None
        }
    );
    let dump = block_on(store.dump()).unwrap();
    assert_canonical_prefix(&dump, &chain, &anchor.block_root);
    assert_eq!(
        dump.meta.backfill_cursor.unwrap().oldest_parent_root,
        chain.headers[&victim].root
    );
    let asked = requested(&providers);
    let skipped = window_empty_slots(&chain, anchor.slot, n);
    assert!(!skipped.is_empty());
    assert!(
        skipped.iter().all(|s| !asked.contains(s)),
        "no known-empty slot asked: {skipped:?}"
    );
    assert!(asked.contains(&victim));

    // Two providers, the first withholding a run of window blocks: it is avoided, the other
    // serves them, the result is the canonical chain, and still no known-empty slot is asked.
    let (devnet, net, chain, store, anchor) = anchored(2, 30);
    let known = block_on(load_known_roots(&store, &anchor))
        .unwrap()
        .unwrap();
    let first = anchor.slot - n + 1;
    devnet.add_fault(
        0,
        FaultRule::parse(&format!(
            "withhold,path=/eth/v1/beacon/headers/*,slots={first}-{}",
            anchor.slot - 1
        ))
        .unwrap(),
    );
    let providers = Counting::all(&devnet);
    let hooks = Recorder::default();
    let s = run(
        &net,
        &providers,
        &store,
        &hooks,
        opts(Target::Genesis),
        Some(&known),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.oldest_slot, 0);
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
    assert_eq!(hooks.avoided(), vec!["BLOCK_WITHHELD"]);
    let asked = requested(&providers);
    let skipped = window_empty_slots(&chain, anchor.slot, n);
    assert!(skipped.iter().all(|s| !asked.contains(s)), "{skipped:?}");
}

#[test]
fn concurrency_is_per_provider() {
    let (devnet, net, chain, store, anchor) = anchored(3, 10);
    let providers = Counting::all(&devnet);
    let hooks = Recorder::default();
    let mut o = opts(Target::Genesis);
    o.concurrency = 3;
    o.batch_size = 64;
    run(&net, &providers, &store, &hooks, o, None).unwrap();
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
    // Each provider had its own 3 lanes busy at once (9 requests in flight in all), and the
    // slots were shared out evenly.
    for p in &providers {
        assert_eq!(p.max_in_flight.get(), 3, "{}", p.base_url());
        let share = p.requested.borrow().len() as u64;
        assert!(share >= anchor.slot / 3 - 64, "{share} of {}", anchor.slot);
    }
}

/// The lowest canonical block above `slot` in the devnet chain.
fn block_above(chain: &ChainData, slot: u64) -> &beacon_lightsync::devnet::data::HeaderEntry {
    chain.headers.range(slot + 1..).next().unwrap().1
}

/// Every provider answers 404 for the headers of slots `0..=last` (by slot and by root).
fn withhold_everywhere(devnet: &Devnet, providers: usize, last: u64) {
    for p in 0..providers {
        devnet.add_fault(
            p,
            FaultRule::parse(&format!(
                "withhold,path=/eth/v1/beacon/headers/*,slots=0-{last}"
            ))
            .unwrap(),
        );
    }
}

#[test]
fn a_walk_that_never_finds_genesis_fails_with_where_the_chain_stops() {
    for known in [false, true] {
        let (devnet, net, chain, store, anchor) = anchored(2, 10);
        withhold_everywhere(&devnet, 2, 200);
        let roots = known_roots(&devnet, &anchor);
        let stop = block_above(&chain, 200);
        let hooks = Recorder::default();
        let err = run(
            &net,
            &apis(&devnet, 5_000),
            &store,
            &hooks,
            opts(Target::Genesis),
            known.then_some(&roots),
        )
        .unwrap_err();
        assert_eq!(
            err,
            BackfillError::Incomplete {
                target_slot: 0,
                oldest_slot: stop.slot,
                expected_root: stop.parent_root,
                lowest_slot: 0,
            },
            "known={known}"
        );
        assert_eq!(err.code(), "BACKFILL_INCOMPLETE");
        let message = err.to_string();
        assert!(
            message.contains(&format!("stopping at slot {}", stop.slot)),
            "{message}"
        );
        assert!(
            message.contains(&hex::encode(stop.parent_root)),
            "{message}"
        );
        // What was verified is stored, nothing else: the canonical chain down to that block.
        let dump = block_on(store.dump()).unwrap();
        assert_canonical_prefix(&dump, &chain, &anchor.block_root);
        assert_eq!(dump.meta.backfill_cursor.unwrap().oldest_slot, stop.slot);
        // Resumable: once the providers serve again, the same store finishes at genesis.
        (0..2).for_each(|p| devnet.clear_faults(p));
        let s = run(
            &net,
            &apis(&devnet, 5_000),
            &store,
            &Recorder::default(),
            opts(Target::Genesis),
            known.then_some(&roots),
        )
        .unwrap_or_else(|e| panic!("known={known}: {e}"));
        assert_eq!((s.oldest_slot, s.oldest_parent_root), (0, [0u8; 32]));
        assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
    }
}

#[test]
fn a_slot_target_above_empty_slots_is_reached_by_linking_the_block_below_it() {
    let (devnet, net, chain, store, anchor) = anchored(1, 30);
    // A target slot that is empty, with the next older block one or more slots below it.
    let target = (100..anchor.slot - 70)
        .find(|s| !chain.headers.contains_key(s) && chain.headers.contains_key(&(s + 1)))
        .expect("an empty slot below a block");
    let below = block_at_or_before(&chain, target);
    let s = run(
        &net,
        &apis(&devnet, 5_000),
        &store,
        &Recorder::default(),
        opts(Target::Slot(target)),
        None,
    )
    .unwrap();
    assert_eq!((s.oldest_slot, s.oldest_root), (below.slot, below.root));
    assert_eq!(s.target_slot, target);
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);

    // The block below the target withheld everywhere: the empty answers above the target prove
    // nothing, so the run fails naming the block it needs, with everything above it kept.
    let store = anchored_store(&devnet, &net);
    devnet.add_fault(
        0,
        FaultRule::parse(&format!(
            "withhold,path=/eth/v1/beacon/headers/*,slots={}-{}",
            below.slot, below.slot
        ))
        .unwrap(),
    );
    let err = run(
        &net,
        &apis(&devnet, 5_000),
        &store,
        &Recorder::default(),
        opts(Target::Slot(target)),
        None,
    )
    .unwrap_err();
    let child = block_above(&chain, target);
    assert_eq!(
        err,
        BackfillError::Incomplete {
            target_slot: target,
            oldest_slot: child.slot,
            expected_root: below.root,
            lowest_slot: 0,
        }
    );
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
}

/// `lightsync backfill` against `devnet` to genesis: (exit code, stdout JSON, stderr).
fn cli_backfill(devnet: &Devnet, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let cp = checkpoint(devnet);
    let urls = devnet.urls().join(",");
    let root = format!("0x{}", hex::encode(cp.root));
    let mut args = vec![
        "backfill",
        "--beacon-api",
        &urls,
        "--network",
        "spec",
        "--anchor-root",
        &root,
        "--to-slot",
        "genesis",
    ];
    args.extend_from_slice(extra);
    let out = devnet_common::lightsync(&args);
    let json = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is one JSON object ({e}): {}", out.stdout));
    (out.code, json, out.stderr)
}

#[test]
fn cli_backfill_that_never_finds_genesis_exits_non_zero_with_the_stop() {
    let devnet = start(3, 10);
    let chain = devnet.chain();
    withhold_everywhere(&devnet, 3, 200);
    let stop = block_above(&chain, 200);
    let (code, out, err) = cli_backfill(&devnet, &["--timeout-ms", "5000"]);
    assert_eq!(code, 1, "{out} {err}");
    let e = &out["error"];
    assert_eq!(e["code"], "BACKFILL_INCOMPLETE", "{out}");
    assert_eq!(e["oldest_slot"], stop.slot, "{out}");
    assert_eq!(
        e["expected_root"],
        format!("0x{}", hex::encode(stop.parent_root))
    );
    assert_eq!(e["target_slot"], 0);
    assert!(err.contains("BACKFILL_INCOMPLETE"), "{err}");

    (0..3).for_each(|p| devnet.clear_faults(p));
    let (code, out, err) = cli_backfill(&devnet, &["--timeout-ms", "5000"]);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["oldest_slot"], 0);
    assert_eq!(
        out["oldest_parent_root"],
        format!("0x{}", hex::encode([0u8; 32]))
    );
}

/// The providers the run quarantined, by index, from its events.
fn quarantined(hooks: &Recorder, providers: &[Counting]) -> Vec<usize> {
    let mut out: Vec<usize> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::ProviderQuarantined { provider, .. } => {
                providers.iter().position(|p| p.base_url() == provider)
            }
            _ => None,
        })
        .collect();
    out.dedup();
    out
}

/// Provider 0 of three fails every header request with `fault`; the run finishes from the two
/// honest ones, having quarantined provider 0. Returns the providers and the hooks.
fn one_failing_of_three(
    fault: &str,
    timeout_ms: u64,
) -> (Vec<Counting>, Recorder, BackfillSummary) {
    let (devnet, net, chain, store, anchor) = anchored(3, 10);
    devnet.add_fault(
        0,
        FaultRule::parse(&format!("{fault},path=/eth/v1/beacon/headers/*")).unwrap(),
    );
    let providers: Vec<Counting> = apis(&devnet, timeout_ms)
        .into_iter()
        .map(|inner| Counting {
            inner,
            requested: RefCell::default(),
            in_flight: Cell::new(0),
            max_in_flight: Cell::new(0),
        })
        .collect();
    let hooks = Recorder::default();
    let mut o = opts(Target::Genesis);
    o.retry_base_ms = 200;
    let s =
        run(&net, &providers, &store, &hooks, o, None).unwrap_or_else(|e| panic!("{fault}: {e}"));
    assert_eq!(
        (s.oldest_slot, s.oldest_parent_root),
        (0, [0u8; 32]),
        "{fault}"
    );
    assert_canonical_prefix(&block_on(store.dump()).unwrap(), &chain, &anchor.block_root);
    assert_eq!(quarantined(&hooks, &providers), vec![0], "{fault}");
    // The honest providers were each asked every slot at most once, between them.
    let mut honest: Vec<u64> = providers[1..]
        .iter()
        .flat_map(|p| p.requested.borrow().clone())
        .collect();
    let n = honest.len();
    honest.sort_unstable();
    honest.dedup();
    assert_eq!(
        honest.len(),
        n,
        "{fault}: a slot asked twice of honest providers"
    );
    // The health the summary reports: provider 0 failed, the others never.
    assert!(s.providers[0].failures > 0, "{fault}: {:?}", s.providers);
    assert!(s.providers[1..]
        .iter()
        .all(|p| p.failures == 0 && p.healthy && !p.avoided));
    let last = hooks
        .events
        .borrow()
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Backfill(p) => Some(p.providers.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        last, s.providers,
        "the last progress event carries the health"
    );
    (providers, hooks, s)
}

#[test]
fn a_persistently_failing_provider_is_quarantined_and_the_others_finish() {
    for fault in [
        "status,code=500",
        "status,code=503",
        "status,code=429",
        "truncate",
    ] {
        let (providers, _, _) = one_failing_of_three(fault, 5_000);
        // Its requests are probes after the first failure, one per quarantine, not its share.
        let asked = providers[0].requested.borrow().len();
        let all: usize = providers.iter().map(|p| p.requested.borrow().len()).sum();
        assert!(
            asked < all / 6,
            "{fault}: provider 0 asked {asked} of {all}"
        );
    }
}

#[test]
fn a_silent_provider_costs_a_deadline_per_probe_and_the_others_finish() {
    // No answer at all, held far beyond the 300 ms request deadline: the run completes (the
    // deadline bounds each probe), with the timeouts counted against provider 0 only.
    let (providers, hooks, s) = one_failing_of_three("no-response,hold_ms=20000", 300);
    let reasons: Vec<String> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::ProviderQuarantined { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(reasons[0].contains("300"), "a timeout: {reasons:?}");
    assert_eq!(
        s.providers[0].failures as usize,
        providers[0].requested.borrow().len(),
        "every request to it timed out"
    );
}
