//! Checkpoint sync against the devnet over real HTTP: every flow, and every devnet fault mapped to
//! its error code with the store left exactly as it was.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::cell::RefCell;

use beacon_lightsync::beacon_api::{
    ApiError, BeaconApi, BodySink, HttpBeaconApi, HttpResponse, Transport, UreqTransport,
};
use beacon_lightsync::checkpoint::{
    commit, CheckpointError, CheckpointOptions, CheckpointSync, LongRange, Phase, ProgressEvent,
    ReadAt, Source, StateFile, Verified,
};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::{Ctx, Env};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::event::Event;
use beacon_lightsync::store::{KeptStateRecord, MemoryStore, Store, Trust};
use beacon_lightsync::ws::{FixedClock, SystemClock, WsCheckpoint};
use devnet_common::{apis, checkpoint, empty_store, network};
use futures::executor::block_on;
use futures::future::LocalBoxFuture;

/// Registry size of the test chains (all active, 32 ETH each).
const VALIDATORS: u64 = 512;
/// Slots of the test chains (minimal preset: 8 slots per epoch; finalized at epoch 10).
const SLOTS: u64 = 96;

fn start(providers: usize, liars: Vec<(usize, u64)>) -> Devnet {
    Devnet::start(DevnetOptions {
        port: 0,
        providers,
        chain: ChainOptions {
            validators: VALIDATORS,
            slots: SLOTS,
            ..ChainOptions::default()
        },
        liars,
        ..DevnetOptions::default()
    })
    .expect("devnet starts")
}

#[derive(Default)]
struct Recorder {
    events: RefCell<Vec<Event>>,
    abort: bool,
    pauses: RefCell<u64>,
}

impl Env for Recorder {
    fn emit(&self, event: &Event) {
        self.events.borrow_mut().push(event.clone());
    }
    async fn pause(&self) {
        *self.pauses.borrow_mut() += 1;
    }
    fn aborted(&self) -> bool {
        self.abort
    }
    fn now_ms(&self) -> Option<f64> {
        Some(std::time::UNIX_EPOCH.elapsed().unwrap().as_secs_f64() * 1000.0)
    }
}

impl Recorder {
    /// The progress events of `phase`, in order.
    fn progress(&self, phase: Phase) -> Vec<ProgressEvent> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                Event::Progress(p) if p.phase == phase => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    fn warnings(&self) -> Vec<&'static str> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                Event::Warning { code, .. } => Some(*code),
                _ => None,
            })
            .collect()
    }
}

/// A checkpoint sync with the wall clock and default options.
fn run<A: BeaconApi>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    hooks: &Recorder,
    source: &Source,
) -> Result<Verified, CheckpointError> {
    run_with(
        net,
        providers,
        store,
        hooks,
        CheckpointOptions::default(),
        source,
    )
}

fn run_with<A: BeaconApi>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    hooks: &Recorder,
    options: CheckpointOptions,
    source: &Source,
) -> Result<Verified, CheckpointError> {
    let sync = CheckpointSync {
        ctx: Ctx {
            network: net,
            providers,
            store,
            clock: &SystemClock,
        },
        env: hooks,
        options,
    };
    block_on(sync.run(source))
}

/// `compute_weak_subjectivity_period` by the Electra formula (consensus-specs
/// electra/weak-subjectivity.md) for `n` active validators of 32 ETH under the devnet's minimal
/// config (MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA 64 ETH, CHURN_LIMIT_QUOTIENT 32,
/// MIN_VALIDATOR_WITHDRAWABILITY_DELAY 256, SAFETY_DECAY 10).
fn electra_period(n: u64) -> u64 {
    let total = n * 32_000_000_000;
    let churn = (total / 32).max(64_000_000_000);
    let churn = churn - churn % 1_000_000_000;
    256 + 10 * total / (2 * churn * 100)
}

#[test]
fn trusted_block_root_and_checkpoint_flows_store_a_verified_anchor() {
    let devnet = start(1, vec![]);
    let net = network(&devnet);
    let providers = apis(&devnet, 5_000);
    let cp = checkpoint(&devnet);
    let chain = devnet.chain();
    let finalized_slot = cp.epoch * net.slots_per_epoch();
    let header = chain
        .headers
        .get(&finalized_slot)
        .expect("block at the boundary");
    assert_eq!(header.root, cp.root);

    let store = empty_store(&net);
    let hooks = Recorder::default();
    let v = run(
        &net,
        &providers,
        &store,
        &hooks,
        &Source::TrustedBlockRoot(cp.root),
    )
    .unwrap();
    assert_eq!(v.anchor.block_root, cp.root);
    assert_eq!(v.anchor.state_root, header.state_root);
    assert_eq!(v.anchor.slot, finalized_slot);
    assert_eq!(v.anchor.epoch, cp.epoch);
    assert_eq!(v.anchor.trust, Trust::BlockRoot);
    assert!(!v.anchor.linked_through_latest_block_header);
    assert_eq!(v.anchor.active_validators, VALIDATORS);
    assert_eq!(v.anchor.total_active_balance, VALIDATORS * 32_000_000_000);
    assert_eq!(v.anchor.ws_period_epochs, electra_period(VALIDATORS));
    assert_eq!(v.ws.expires_epoch, cp.epoch + electra_period(VALIDATORS));
    assert!(!v.ws.stale && !v.anchor.stale);
    assert_eq!(v.anchor.providers, vec![devnet.urls()[0].clone()]);
    assert!(v.anchor.current_sync_committee.is_some());
    assert_eq!(
        block_on(store.active_anchor()).unwrap(),
        Some(v.anchor.clone())
    );
    // Progress: download, hash and store phases, ending complete.
    let events = hooks.events.borrow();
    for phase in [Phase::Download, Phase::Hash, Phase::Store] {
        let last = events
            .iter()
            .filter_map(|e| match e {
                Event::Progress(p) if p.phase == phase => Some(p.clone()),
                _ => None,
            })
            .next_back()
            .unwrap_or_else(|| panic!("no {phase:?} progress"));
        assert_eq!(Some(last.done), last.total, "{phase:?}");
    }
    drop(events);

    // The same block as a `block_root:epoch` checkpoint.
    let store2 = empty_store(&net);
    let v2 = run(
        &net,
        &providers,
        &store2,
        &Recorder::default(),
        &Source::Checkpoint(cp),
    )
    .unwrap();
    assert_eq!(v2.anchor.trust, Trust::Checkpoint);
    assert_eq!(v2.anchor.state_root, v.anchor.state_root);

    // The block is after the first slot of the epoch before: not that epoch's checkpoint.
    let early = WsCheckpoint {
        epoch: cp.epoch - 1,
        ..cp
    };
    let err = run(
        &net,
        &providers,
        &store2,
        &Recorder::default(),
        &Source::Checkpoint(early),
    )
    .unwrap_err();
    assert_eq!(err.code(), "INVALID_CHECKPOINT", "{err}");
}

#[test]
fn verify_stores_nothing_and_commit_stores_the_verified_anchor_with_its_roots() {
    let devnet = start(1, vec![]);
    let net = network(&devnet);
    let providers = apis(&devnet, 5_000);
    let cp = checkpoint(&devnet);
    let store = empty_store(&net);
    let hooks = Recorder::default();
    let sync = CheckpointSync {
        ctx: Ctx {
            network: &net,
            providers: &providers,
            store: &store,
            clock: &SystemClock,
        },
        env: &hooks,
        options: CheckpointOptions::default(),
    };
    let verified = block_on(sync.verify(&Source::Checkpoint(cp))).unwrap();
    assert_eq!(verified.anchor.block_root, cp.root);
    assert_eq!(verified.roots.block_root, cp.root);
    assert!(!verified.ws.stale);
    assert!(
        block_on(store.anchors()).unwrap().is_empty(),
        "verify wrote an anchor"
    );
    assert_eq!(block_on(store.active_anchor()).unwrap(), None);
    assert_eq!(block_on(store.anchor_roots(&cp.root)).unwrap(), None);
    assert!(
        hooks.progress(Phase::Store).is_empty(),
        "verify reported a store phase"
    );

    let v = block_on(commit(&store, &hooks, verified.clone())).unwrap();
    assert_eq!(v.anchor, verified.anchor);
    assert_eq!(v.ws, verified.ws);
    assert_eq!(
        block_on(store.active_anchor()).unwrap(),
        Some(verified.anchor)
    );
    assert_eq!(
        block_on(store.anchor_roots(&cp.root)).unwrap(),
        Some(verified.roots)
    );
    let stored: Vec<(u64, Option<u64>)> = hooks
        .progress(Phase::Store)
        .iter()
        .map(|p| (p.done, p.total))
        .collect();
    assert_eq!(stored, vec![(0, Some(1)), (1, Some(1))]);
}

#[test]
fn state_id_and_provider_quorum() {
    let devnet = start(3, vec![(2, 99)]);
    let net = network(&devnet);
    let providers = apis(&devnet, 5_000);
    let cp = checkpoint(&devnet);
    let urls = devnet.urls();

    // One provider: provider trust.
    let store = empty_store(&net);
    let v = run(
        &net,
        &providers[..1],
        &store,
        &Recorder::default(),
        &Source::StateId("finalized".into()),
    )
    .unwrap();
    assert_eq!(v.anchor.trust, Trust::Provider);
    assert_eq!(v.anchor.block_root, cp.root);

    // Three providers, the third lying (a consistent chain from another seed): unanimity fails
    // and the error names the providers.
    let store = empty_store(&net);
    let before = block_on(store.dump()).unwrap();
    let err = run(
        &net,
        &providers,
        &store,
        &Recorder::default(),
        &Source::StateId("finalized".into()),
    )
    .unwrap_err();
    assert_eq!(err.code(), "PROVIDER_DISAGREEMENT", "{err}");
    let text = err.to_string();
    for u in &urls {
        assert!(text.contains(u.as_str()), "{text}");
    }
    assert_eq!(block_on(store.dump()).unwrap(), before);

    // A quorum of 2: the two honest providers win, with a warning naming the dissenter.
    let hooks = Recorder::default();
    let v = run_with(
        &net,
        &providers,
        &store,
        &hooks,
        CheckpointOptions {
            quorum: Some(2),
            ..CheckpointOptions::default()
        },
        &Source::StateId("finalized".into()),
    )
    .unwrap();
    assert_eq!(v.anchor.block_root, cp.root);
    assert_eq!(v.anchor.providers, urls[..2].to_vec());
    assert!(hooks.warnings().contains(&"PROVIDER_DISSENT"));
}

#[test]
fn local_state_file_flow() {
    let devnet = start(1, vec![]);
    let net = network(&devnet);
    let cp = checkpoint(&devnet);
    let chain = devnet.chain();
    let header = &chain.headers[&(cp.epoch * net.slots_per_epoch())];
    let state = chain.states[&header.state_root].ssz.to_vec();
    let no_providers: Vec<HttpBeaconApi<UreqTransport>> = Vec::new();

    let store = empty_store(&net);
    let v = run(
        &net,
        &no_providers,
        &store,
        &Recorder::default(),
        &Source::StateFile(StateFile::from_bytes(state.clone())),
    )
    .unwrap();
    assert_eq!(v.anchor.trust, Trust::File);
    assert_eq!(v.anchor.block_root, cp.root);
    assert_eq!(v.anchor.state_root, header.state_root);
    assert!(v.anchor.providers.is_empty());

    // Only into an empty database.
    let before = block_on(store.dump()).unwrap();
    let err = run(
        &net,
        &no_providers,
        &store,
        &Recorder::default(),
        &Source::StateFile(StateFile::from_bytes(state.clone())),
    )
    .unwrap_err();
    assert_eq!(err.code(), "DATABASE_NOT_EMPTY", "{err}");
    assert_eq!(block_on(store.dump()).unwrap(), before);

    // Not at an epoch's first slot: patch the slot (offset 40) one slot later.
    let mut shifted = state.clone();
    let slot = u64::from_le_bytes(shifted[40..48].try_into().unwrap()) + 1;
    shifted[40..48].copy_from_slice(&slot.to_le_bytes());
    let empty = empty_store(&net);
    let err = run(
        &net,
        &no_providers,
        &empty,
        &Recorder::default(),
        &Source::StateFile(StateFile::from_bytes(shifted)),
    )
    .unwrap_err();
    assert_eq!(err.code(), "NOT_EPOCH_ALIGNED", "{err}");
    assert_eq!(
        err.expected_actual(),
        Some(((slot - 1).to_string(), slot.to_string()))
    );

    // A file that cannot be read to the end (changed on disk mid-read) fails typed, after
    // reading it piece by piece, and stores nothing.
    let fail_at = state.len() as u64 - 1;
    let file = std::rc::Rc::new(FailingFile {
        bytes: state,
        fail_at,
        reads: Default::default(),
    });
    let err = run(
        &net,
        &no_providers,
        &empty,
        &Recorder::default(),
        &Source::StateFile(StateFile::new(file.clone())),
    )
    .unwrap_err();
    assert_eq!(err.code(), "STATE_FILE_UNREADABLE", "{err}");
    assert!(err.to_string().contains("NotReadableError"), "{err}");
    assert_eq!(
        block_on(empty.dump()).unwrap(),
        block_on(empty_store(&net).dump()).unwrap()
    );
    // Read in pieces of at most 1 MiB, up to the one that failed.
    let pieces = file.bytes.len().div_ceil(1 << 20);
    assert_eq!(file.reads.get(), pieces, "{} bytes", file.bytes.len());
}

/// A state file whose reads fail from `fail_at` on, as a `File` changed on disk mid-read.
struct FailingFile {
    bytes: Vec<u8>,
    fail_at: u64,
    reads: std::cell::Cell<usize>,
}

impl ReadAt for FailingFile {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(
        &self,
        offset: u64,
        len: usize,
    ) -> futures::future::LocalBoxFuture<'_, Result<Vec<u8>, String>> {
        self.reads.set(self.reads.get() + 1);
        let out = if offset + len as u64 > self.fail_at {
            Err("NotReadableError: the file changed".to_string())
        } else {
            Ok(self.bytes[offset as usize..offset as usize + len].to_vec())
        };
        Box::pin(async move { out })
    }
}

/// A transport that hides `Eth-Consensus-Version`, as a browser does when the node does not
/// expose it through CORS.
struct HidingTransport(UreqTransport);

impl Transport for HidingTransport {
    async fn get(&self, url: &str, accept: &str, max: u64) -> Result<HttpResponse, ApiError> {
        self.0.get(url, accept, max).await.map(hide)
    }
    async fn get_streaming(
        &self,
        url: &str,
        accept: &str,
        max: u64,
        sink: &mut dyn BodySink,
    ) -> Result<HttpResponse, ApiError> {
        let mut hiding = HidingSink(sink);
        self.0
            .get_streaming(url, accept, max, &mut hiding)
            .await
            .map(hide)
    }
    async fn get_many(
        &self,
        urls: &[String],
        accept: &str,
        max: u64,
    ) -> Vec<Result<HttpResponse, ApiError>> {
        self.0
            .get_many(urls, accept, max)
            .await
            .into_iter()
            .map(|r| r.map(hide))
            .collect()
    }
}

/// Hides `Eth-Consensus-Version` from the sink that takes a streamed body too.
struct HidingSink<'s>(&'s mut dyn BodySink);

impl BodySink for HidingSink<'_> {
    fn begin(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        content_length: Option<u64>,
    ) -> Result<bool, ApiError> {
        let mut headers = headers.to_vec();
        headers.retain(|(k, _)| k != "eth-consensus-version");
        self.0.begin(status, &headers, content_length)
    }
    fn chunk<'a>(&'a mut self, bytes: &'a [u8]) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        self.0.chunk(bytes)
    }
}

fn hide(mut r: HttpResponse) -> HttpResponse {
    r.headers.retain(|(k, _)| k != "eth-consensus-version");
    r
}

#[test]
fn fork_from_state_bytes_when_the_header_is_hidden() {
    let devnet = start(1, vec![]);
    let net = network(&devnet);
    let cp = checkpoint(&devnet);
    let providers = vec![HttpBeaconApi::new(
        &devnet.urls()[0],
        HidingTransport(UreqTransport::new(5_000, 2)),
    )];
    let store = empty_store(&net);
    let hooks = Recorder::default();
    let v = run(&net, &providers, &store, &hooks, &Source::Checkpoint(cp)).unwrap();
    assert_eq!(v.anchor.fork, "fulu");
    assert!(hooks.warnings().contains(&"FORK_FROM_STATE_BYTES"));
}

#[test]
fn every_fault_maps_to_its_code_and_leaves_the_store_unchanged() {
    let devnet = start(1, vec![]);
    let net = network(&devnet);
    let cp = checkpoint(&devnet);
    let providers = apis(&devnet, 1_500);
    let store = empty_store(&net);
    // A first, good sync so that the store has something to keep.
    run(
        &net,
        &providers,
        &store,
        &Recorder::default(),
        &Source::Checkpoint(cp),
    )
    .unwrap();
    let before = block_on(store.dump()).unwrap();

    let cases: &[(&str, &str)] = &[
        ("flip-state", "STATE_ROOT_MISMATCH"),
        (
            "bad-header-root,path=/eth/v1/beacon/headers/*",
            "HEADER_ROOT_MISMATCH",
        ),
        (
            "broken-parent,path=/eth/v1/beacon/headers/*",
            "HEADER_ROOT_MISMATCH",
        ),
        (
            "non-canonical,path=/eth/v1/beacon/headers/*",
            "HEADER_ROOT_MISMATCH",
        ),
        ("withhold,path=/eth/v1/beacon/headers/*", "HEADER_NOT_FOUND"),
        (
            "withhold,path=/eth/v2/debug/beacon/states/*",
            "STATE_NOT_FOUND",
        ),
        ("truncate,path=/eth/v2/debug/beacon/states/*", "TRUNCATED"),
        ("oversize,path=/eth/v1/beacon/genesis", "BODY_TOO_LARGE"),
        ("status,code=503,retry_after=5", "HTTP_STATUS"),
        (
            "status,code=500,path=/eth/v1/beacon/headers/*",
            "HTTP_STATUS",
        ),
        ("no-response,hold_ms=4000", "TIMEOUT"),
        ("wrong-version", "FORK_MISMATCH"),
        ("wrong-gvr", "WRONG_NETWORK"),
        ("bad-json,path=/eth/v1/beacon/headers/*", "DECODE"),
        ("bad-json,path=/eth/v1/beacon/genesis", "DECODE"),
        ("bad-ssz,path=/eth/v2/debug/beacon/states/*", "DECODE"),
    ];
    for (fault, code) in cases {
        devnet.clear_faults(0);
        devnet.add_fault(0, FaultRule::parse(fault).unwrap());
        let err = run(
            &net,
            &providers,
            &store,
            &Recorder::default(),
            &Source::Checkpoint(cp),
        )
        .expect_err(fault);
        assert_eq!(err.code(), *code, "fault {fault}: {err}");
        assert_eq!(block_on(store.dump()).unwrap(), before, "fault {fault}");
        if *fault == "status,code=503,retry_after=5" {
            assert!(
                matches!(
                    err,
                    CheckpointError::Api(ApiError::HttpStatus {
                        status: 503,
                        retry_after_seconds: Some(5),
                        ..
                    })
                ),
                "{err:?}"
            );
        }
    }
    devnet.clear_faults(0);

    // A slow (trickled) body still verifies.
    devnet.add_fault(
        0,
        FaultRule::parse("trickle,chunk=65536,delay_ms=1,path=/eth/v2/debug/beacon/states/*")
            .unwrap(),
    );
    run(
        &net,
        &providers,
        &store,
        &Recorder::default(),
        &Source::Checkpoint(cp),
    )
    .expect("trickled state verifies");
    devnet.clear_faults(0);
    let before = block_on(store.dump()).unwrap();

    // Stale: a clock far beyond the WS period. Strict refuses, lenient stores marked stale.
    let far = net.genesis_time + 100_000 * net.seconds_per_slot * net.slots_per_epoch();
    let stale_run = |long_range, store: &MemoryStore, hooks: &Recorder| {
        let sync = CheckpointSync {
            ctx: Ctx {
                network: &net,
                providers: &providers,
                store,
                clock: &FixedClock(far),
            },
            env: hooks,
            options: CheckpointOptions {
                long_range,
                ..CheckpointOptions::default()
            },
        };
        block_on(sync.run(&Source::Checkpoint(cp)))
    };
    let err = stale_run(LongRange::Strict, &store, &Recorder::default()).unwrap_err();
    assert_eq!(err.code(), "WS_STALE", "{err}");
    assert_eq!(block_on(store.dump()).unwrap(), before);
    let lenient_store = empty_store(&net);
    let hooks = Recorder::default();
    let v = stale_run(LongRange::Lenient, &lenient_store, &hooks).unwrap();
    assert!(v.anchor.stale && v.ws.stale);
    assert!(hooks.warnings().contains(&"WS_STALE_LENIENT"));

    // Aborted: nothing stored.
    let hooks = Recorder {
        abort: true,
        ..Recorder::default()
    };
    let err = run(&net, &providers, &store, &hooks, &Source::Checkpoint(cp)).unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    assert_eq!(block_on(store.dump()).unwrap(), before);
}

#[test]
fn a_failing_provider_falls_back_to_the_next() {
    let devnet = start(2, vec![]);
    let net = network(&devnet);
    let cp = checkpoint(&devnet);
    let providers = apis(&devnet, 5_000);
    devnet.add_fault(0, FaultRule::parse("flip-state").unwrap());
    let store = empty_store(&net);
    let hooks = Recorder::default();
    let v = run(&net, &providers, &store, &hooks, &Source::Checkpoint(cp)).unwrap();
    assert_eq!(v.anchor.providers, vec![devnet.urls()[1].clone()]);
    assert!(hooks.warnings().contains(&"PROVIDER_FAILED"));
}

/// The kept state's bytes, assembled from its chunks.
fn kept_bytes(store: &MemoryStore, kept: &KeptStateRecord) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..kept.chunks {
        let chunk = block_on(store.state_chunk(kept.id, i))
            .unwrap()
            .expect("chunk stored");
        out.extend_from_slice(&chunk);
    }
    assert_eq!(
        block_on(store.state_chunk(kept.id, kept.chunks)).unwrap(),
        None
    );
    out
}

#[test]
fn keep_state_keeps_the_verified_state_and_nothing_of_a_failed_one() {
    let devnet = start(1, vec![]);
    let net = network(&devnet);
    let cp = checkpoint(&devnet);
    let providers = apis(&devnet, 5_000);
    let store = empty_store(&net);
    let keep = || CheckpointOptions {
        keep_state: true,
        ..CheckpointOptions::default()
    };
    let sync = |store: &MemoryStore, options: CheckpointOptions| {
        run_with(
            &net,
            &providers,
            store,
            &Recorder::default(),
            options,
            &Source::Checkpoint(cp),
        )
    };

    // Without the option nothing is kept.
    sync(&store, CheckpointOptions::default()).unwrap();
    assert_eq!(block_on(store.kept_state()).unwrap(), None);

    let v = sync(&store, keep()).unwrap();
    let kept = block_on(store.kept_state()).unwrap().expect("a kept state");
    assert_eq!(kept.block_root, v.anchor.block_root);
    assert_eq!(kept.state_root, v.anchor.state_root);
    let bytes = kept_bytes(&store, &kept);
    assert_eq!(bytes.len() as u64, kept.length);
    let fork = net.fork_at_slot(v.anchor.slot);
    let root = beacon_lightsync::merkle::state_root(&bytes, fork, net.preset).unwrap();
    assert_eq!(root, v.anchor.state_root);

    // A state that fails its root check, or stops half-way: the kept state stays as it was and
    // no chunk of the failed download remains.
    for fault in ["flip-state", "truncate,path=/eth/v2/debug/beacon/states/*"] {
        devnet.clear_faults(0);
        devnet.add_fault(0, FaultRule::parse(fault).unwrap());
        sync(&store, keep()).expect_err(fault);
        assert_eq!(block_on(store.kept_state()).unwrap(), Some(kept), "{fault}");
        assert_eq!(
            block_on(store.state_chunk(kept.id + 1, 0)).unwrap(),
            None,
            "{fault}"
        );
        assert_eq!(kept_bytes(&store, &kept), bytes, "{fault}");
    }
    devnet.clear_faults(0);

    // A new anchor replaces the kept state: under a new id, the old chunks gone.
    sync(&store, keep()).unwrap();
    let again = block_on(store.kept_state()).unwrap().expect("a kept state");
    assert_ne!(again.id, kept.id);
    assert_eq!(block_on(store.state_chunk(kept.id, 0)).unwrap(), None);
    assert_eq!(kept_bytes(&store, &again), bytes);

    // And a new anchor stored without the option drops it.
    sync(&store, CheckpointOptions::default()).unwrap();
    assert_eq!(block_on(store.kept_state()).unwrap(), None);
    assert_eq!(block_on(store.state_chunk(again.id, 0)).unwrap(), None);
}
