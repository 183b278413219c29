//! The checkpoint flow's streaming state root: a downloaded state is hashed while it arrives,
//! its tasks handed to a [`HashPool`] (threads here, Web Workers in a browser) or hashed inline.
//!
//! Known answers: the Electra pre-state of consensus-spec-tests `sanity/blocks/empty_block_transition`
//! (fixtures/grandine-electra-sanity-block), whose latest block header hashes to block 1's
//! `parent_root` 0x1664f61a…618b (produced by pyspec) only with the right state root filled in;
//! and the devnet over real HTTP, whose faults must keep their error codes with a pool too.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use beacon_lightsync::beacon_api::{
    ApiError, BeaconApi, BodySink, FinalityCheckpoints, Genesis, HeaderInfo, RawBody, SszState,
};
use beacon_lightsync::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, HashPool, Phase, PoolResult, PoolTask,
    Source, StateFile, Verified,
};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::{Ctx, Env};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::event::Event;
use beacon_lightsync::merkle::{state_head_len, TaskHasher, TaskSpec, DEFAULT_TASK_BYTES};
use beacon_lightsync::store::{MemoryStore, Store};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{
    AnyBeaconState, ForkName, Mainnet, PresetName, TreeHash, B256, FAR_FUTURE_EPOCH,
};
use beacon_lightsync::ws::{FixedClock, SystemClock, WsCheckpoint};
use devnet_common::{apis, checkpoint, empty_store, network, start_devnet};
use futures::executor::block_on;
use futures::future::LocalBoxFuture;

/// What a pool does with a task, to test the fallbacks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Behaviour {
    /// Hash every task right.
    Honest,
    /// Refuse every 4th task at `submit` and fail every 3rd in the worker.
    Flaky,
    /// Flip a bit of every root it returns.
    Lying,
}

type Job = (u64, usize, ForkName, PresetName, TaskSpec, Vec<u8>);

/// A pool of OS threads, each with a `TaskHasher`: results come back out of order, as from Web
/// Workers.
struct ThreadPool {
    workers: usize,
    behaviour: Behaviour,
    tx: Mutex<Option<Sender<Job>>>,
    results: Arc<Mutex<Vec<PoolResult>>>,
    submitted: RefCell<usize>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl ThreadPool {
    fn new(workers: usize, behaviour: Behaviour) -> ThreadPool {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let results = Arc::new(Mutex::new(Vec::new()));
        let handles = (0..workers)
            .map(|w| {
                let rx: Arc<Mutex<Receiver<Job>>> = rx.clone();
                let results = results.clone();
                std::thread::spawn(move || {
                    let mut hashers: Vec<((ForkName, PresetName), TaskHasher)> = Vec::new();
                    loop {
                        let job = rx.lock().unwrap().recv();
                        let Ok((job, index, fork, preset, spec, bytes)) = job else {
                            break;
                        };
                        if hashers.iter().all(|(k, _)| *k != (fork, preset)) {
                            hashers.push(((fork, preset), TaskHasher::new(fork, preset)));
                        }
                        let h = &mut hashers
                            .iter_mut()
                            .find(|(k, _)| *k == (fork, preset))
                            .unwrap()
                            .1;
                        let root = if behaviour == Behaviour::Flaky && index % 3 == 1 {
                            Err(format!("worker {w} crashed"))
                        } else {
                            h.hash(&spec, &bytes).map_err(|e| e.to_string())
                        };
                        results
                            .lock()
                            .unwrap()
                            .push(PoolResult { job, index, root });
                    }
                })
            })
            .collect();
        ThreadPool {
            workers,
            behaviour,
            tx: Mutex::new(Some(tx)),
            results,
            submitted: RefCell::new(0),
            handles,
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.tx.lock().unwrap().take();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl HashPool for ThreadPool {
    fn workers(&self) -> usize {
        self.workers
    }
    fn submit(&self, t: PoolTask<'_>) -> bool {
        *self.submitted.borrow_mut() += 1;
        if self.behaviour == Behaviour::Flaky && t.index % 4 == 3 {
            return false;
        }
        let tx = self.tx.lock().unwrap();
        tx.as_ref()
            .unwrap()
            .send((t.job, t.index, t.fork, t.preset, t.spec, t.bytes.to_vec()))
            .is_ok()
    }
    fn take_results(&self, out: &mut Vec<PoolResult>) {
        let mut r = std::mem::take(&mut *self.results.lock().unwrap());
        if self.behaviour == Behaviour::Lying {
            for x in &mut r {
                if let Ok(root) = &mut x.root {
                    root[31] ^= 1;
                }
            }
        }
        out.extend(r);
    }
    fn wait(&self) -> LocalBoxFuture<'_, ()> {
        Box::pin(async move {
            while self.results.lock().unwrap().is_empty() {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    }
}

/// Hooks that record events and hand out a pool (or none).
#[derive(Default)]
struct Recorder {
    events: RefCell<Vec<Event>>,
    pool: Option<Rc<ThreadPool>>,
}

impl Recorder {
    fn with_pool(workers: usize, behaviour: Behaviour) -> Recorder {
        Recorder {
            events: RefCell::default(),
            pool: Some(Rc::new(ThreadPool::new(workers, behaviour))),
        }
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
    /// `(done, total)` of every `download` progress event.
    fn download_events(&self) -> Vec<(u64, Option<u64>)> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                Event::Progress(p) if p.phase == Phase::Download => Some((p.done, p.total)),
                _ => None,
            })
            .collect()
    }
    /// `(done, total, workers)` of every `hash` progress event.
    fn hash_events(&self) -> Vec<(u64, Option<u64>, Option<u32>)> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                Event::Progress(p) if p.phase == Phase::Hash => Some((p.done, p.total, p.workers)),
                _ => None,
            })
            .collect()
    }
}

impl Env for Recorder {
    fn emit(&self, event: &Event) {
        self.events.borrow_mut().push(event.clone());
    }
    fn now_ms(&self) -> Option<f64> {
        Some(std::time::UNIX_EPOCH.elapsed().unwrap().as_secs_f64() * 1000.0)
    }
    fn hash_pool(&self) -> Option<Rc<dyn HashPool>> {
        let pool = self.pool.clone()?;
        Some(pool as Rc<dyn HashPool>)
    }
}

fn run<A: BeaconApi, C: beacon_lightsync::ws::Clock>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    clock: &C,
    hooks: &Recorder,
    source: &Source,
) -> Result<Verified, CheckpointError> {
    block_on(
        CheckpointSync {
            ctx: Ctx {
                network: net,
                providers,
                store,
                clock,
            },
            env: hooks,
            options: CheckpointOptions::default(),
        }
        .run(source),
    )
}

/// A provider over the spec-test state that hands the body to the sink in pieces of the sizes
/// of `chunks`, cycled.
struct Chunked {
    genesis: Genesis,
    header: HeaderInfo,
    state_id: String,
    state: Vec<u8>,
    chunks: Vec<usize>,
    /// The body's `Content-Length` is announced (else the sink plans the state at the end).
    announce_length: bool,
}

impl BeaconApi for Chunked {
    fn base_url(&self) -> &str {
        "fake://chunked"
    }
    async fn genesis(&self) -> Result<Genesis, ApiError> {
        Ok(self.genesis)
    }
    async fn spec(&self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        Ok(Default::default())
    }
    async fn header(&self, block_id: &str) -> Result<Option<HeaderInfo>, ApiError> {
        let me = format!("0x{}", hex::encode(self.header.root));
        Ok((block_id == me).then(|| self.header.clone()))
    }
    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>> {
        slots.iter().map(|_| Ok(None)).collect()
    }
    async fn finality_checkpoints(&self, _: &str) -> Result<FinalityCheckpoints, ApiError> {
        Err(not_served())
    }
    async fn state_ssz(
        &self,
        _: &str,
        _: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<SszState, ApiError> {
        panic!("the checkpoint flow must stream the state (state_ssz_into)")
    }
    async fn state_ssz_into(
        &self,
        state_id: &str,
        sink: &mut dyn BodySink,
    ) -> Result<SszState, ApiError> {
        assert_eq!(state_id, self.state_id);
        let headers = vec![
            ("content-type".into(), "application/octet-stream".into()),
            ("eth-consensus-version".into(), "electra".into()),
        ];
        let length = self.announce_length.then_some(self.state.len() as u64);
        assert!(sink.begin(200, &headers, length)?);
        let mut rest = &self.state[..];
        for size in self.chunks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (now, later) = rest.split_at((*size).clamp(1, rest.len()));
            sink.chunk(now).await?;
            rest = later;
        }
        Ok(SszState {
            url: format!("fake/{state_id}"),
            consensus_version: Some(ForkName::Electra),
            bytes: Vec::new(),
        })
    }
    async fn block_ssz(&self, _: &[u8; 32]) -> Result<RawBody, ApiError> {
        Err(not_served())
    }
    async fn light_client_bootstrap(&self, _: &[u8; 32]) -> Result<RawBody, ApiError> {
        Err(not_served())
    }
    async fn light_client_updates(&self, _: u64, _: u64) -> Result<RawBody, ApiError> {
        Err(not_served())
    }
    async fn light_client_finality_update(&self) -> Result<RawBody, ApiError> {
        Err(not_served())
    }
}

fn not_served() -> ApiError {
    ApiError::Network {
        url: "fake".into(),
        reason: "not served".into(),
    }
}

/// Byte offset of `latest_block_header` in a BeaconState: genesis_time 8 + genesis_validators_root
/// 32 + slot 8 + fork 16.
const HEADER_AT: usize = 64;

/// The spec-test case: its network, the provider's pieces, and the known block root.
struct SpecCase {
    net: NetworkConfig,
    genesis: Genesis,
    header: HeaderInfo,
    state: Vec<u8>,
    block_root: [u8; 32],
    clock: FixedClock,
}

fn spec_case() -> SpecCase {
    let state = beacon_lightsync::ssz_io::read_ssz_file(
        beacon_lightsync::ssz_io::require_fixtures_dir()
            .join("grandine-electra-sanity-block/pre.ssz_snappy"),
    )
    .unwrap();
    let block_root: [u8; 32] =
        hex::decode("1664f61ab6018c5296a50b071098b08121f31c18ac3b5c13a136a97f8734618b")
            .unwrap()
            .try_into()
            .unwrap();
    // The reference root: the typed state through `tree_hash`.
    let state_root = AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Electra, &state)
        .unwrap()
        .tree_hash_root()
        .0;
    let h = &state[HEADER_AT..HEADER_AT + 112];
    let header = BeaconBlockHeader {
        slot: u64::from_le_bytes(h[0..8].try_into().unwrap()),
        proposer_index: u64::from_le_bytes(h[8..16].try_into().unwrap()),
        parent_root: B256::from_slice(&h[16..48]),
        state_root: B256::from(state_root),
        body_root: B256::from_slice(&h[80..112]),
    };
    assert_eq!(header.tree_hash_root().0, block_root, "fixture link");
    let mut net = NetworkConfig::mainnet();
    net.name = "electra-spec-test".into();
    net.genesis_validators_root = B256::from_slice(&state[8..40]);
    net.genesis_time = u64::from_le_bytes(state[0..8].try_into().unwrap());
    for (i, f) in net.forks.iter_mut().enumerate() {
        // Altair..Electra at genesis, Fulu unscheduled, as in the spec test's config.
        f.epoch = if i < 5 { 0 } else { FAR_FUTURE_EPOCH };
    }
    SpecCase {
        genesis: Genesis {
            genesis_time: net.genesis_time,
            genesis_validators_root: net.genesis_validators_root.0,
            genesis_fork_version: net.genesis_fork_version.0,
        },
        header: HeaderInfo {
            root: block_root,
            canonical: true,
            header,
            signature: [0; 96],
        },
        clock: FixedClock(net.genesis_time + 64 * 12),
        net,
        state,
        block_root,
    }
}

impl SpecCase {
    fn provider(&self, chunks: Vec<usize>, announce_length: bool) -> Chunked {
        Chunked {
            genesis: self.genesis,
            header: self.header.clone(),
            state_id: format!("0x{}", hex::encode(self.header.header.state_root)),
            state: self.state.clone(),
            chunks,
            announce_length,
        }
    }

    fn sync(&self, provider: Chunked, hooks: &Recorder) -> Result<Verified, CheckpointError> {
        let store = MemoryStore::new(&self.net.name, self.net.genesis_validators_root.0);
        let cp = WsCheckpoint {
            root: self.block_root,
            epoch: 0,
        };
        run(
            &self.net,
            &[provider],
            &store,
            &self.clock,
            hooks,
            &Source::Checkpoint(cp),
        )
    }
}

/// Chunk schedules whose boundaries fall at every awkward place: single bytes through the fork
/// prefix (56 bytes), one byte either side of the fixed part and of 1 MiB / 256 KiB task edges,
/// odd primes, and the whole body at once.
fn schedules(state_len: usize) -> Vec<Vec<usize>> {
    let head = state_head_len(ForkName::Electra, PresetName::Mainnet);
    let mut first_bytes = vec![1; 60];
    first_bytes.push(65_536);
    vec![
        first_bytes,
        vec![55, 1, 1, 1_000_003],
        vec![56, head - 56 - 1, 1, 2, 262_143],
        vec![57, head - 57, 262_144, 262_145],
        vec![DEFAULT_TASK_BYTES - 1, 1, DEFAULT_TASK_BYTES + 1],
        vec![7_777],
        vec![4_096, 3, 65_521],
        vec![state_len],
    ]
}

#[test]
fn streamed_in_awkward_chunks_inline_and_with_a_pool_gives_the_known_root() {
    let case = spec_case();
    for chunks in schedules(case.state.len()) {
        for workers in [0usize, 1, 3] {
            let hooks = if workers == 0 {
                Recorder::default()
            } else {
                Recorder::with_pool(workers, Behaviour::Honest)
            };
            let v = case
                .sync(case.provider(chunks.clone(), true), &hooks)
                .unwrap_or_else(|e| panic!("chunks {:?}, {workers} workers: {e}", &chunks[..2]));
            assert_eq!(v.anchor.block_root, case.block_root);
            assert_eq!(v.anchor.state_root, case.header.header.state_root.0);
            assert_eq!(v.anchor.active_validators, 256);
            let hashed = hooks.hash_events();
            let last = *hashed.last().expect("hash progress");
            let n = case.state.len() as u64;
            assert_eq!(last, (n, Some(n), Some(workers as u32)), "last hash event");
            // The download's progress ends once, with the last byte.
            let downloads = hooks.download_events();
            assert_eq!(downloads.last(), Some(&(n, Some(n))));
            assert_eq!(downloads.iter().filter(|d| d.0 == n).count(), 1);
            assert!(hooks.warnings().is_empty(), "{:?}", hooks.warnings());
            if let Some(pool) = &hooks.pool {
                assert!(*pool.submitted.borrow() >= 2, "tasks went to the pool");
            }
        }
    }
}

#[test]
fn a_body_without_content_length_is_hashed_at_its_end() {
    let case = spec_case();
    for workers in [0usize, 2] {
        let hooks = if workers == 0 {
            Recorder::default()
        } else {
            Recorder::with_pool(workers, Behaviour::Honest)
        };
        let v = case
            .sync(case.provider(vec![100_000], false), &hooks)
            .unwrap();
        assert_eq!(v.anchor.state_root, case.header.header.state_root.0);
    }
}

#[test]
fn failing_workers_fall_back_to_this_thread_and_lying_ones_are_caught() {
    let case = spec_case();
    let hooks = Recorder::with_pool(2, Behaviour::Flaky);
    let v = case
        .sync(case.provider(vec![65_536], true), &hooks)
        .unwrap();
    assert_eq!(v.anchor.state_root, case.header.header.state_root.0);
    assert_eq!(hooks.warnings(), vec!["HASH_WORKERS_FAILED"]);

    // Wrong task roots make a wrong state root, refused like a provider's wrong state.
    let hooks = Recorder::with_pool(2, Behaviour::Lying);
    let err = case
        .sync(case.provider(vec![65_536], true), &hooks)
        .unwrap_err();
    assert_eq!(err.code(), "STATE_ROOT_MISMATCH", "{err}");
}

#[test]
fn over_http_with_a_pool_faults_keep_their_codes_and_failover_works() {
    let devnet = start_devnet(
        2,
        ChainOptions {
            validators: 512,
            slots: 96,
            ..ChainOptions::default()
        },
    );
    let net = network(&devnet);
    let cp = checkpoint(&devnet);
    let providers = apis(&devnet, 1_500);
    let store = empty_store(&net);
    let hooks = Recorder::with_pool(2, Behaviour::Honest);
    let good = run(
        &net,
        &providers[..1],
        &store,
        &SystemClock,
        &hooks,
        &Source::Checkpoint(cp),
    )
    .unwrap();
    assert!(hooks
        .hash_events()
        .iter()
        .all(|(_, _, workers)| *workers == Some(2)));
    let before = block_on(store.dump()).unwrap();
    for (fault, code) in [
        ("flip-state", "STATE_ROOT_MISMATCH"),
        ("truncate,path=/eth/v2/debug/beacon/states/*", "TRUNCATED"),
        ("bad-ssz,path=/eth/v2/debug/beacon/states/*", "DECODE"),
        ("wrong-version", "FORK_MISMATCH"),
    ] {
        devnet.clear_faults(0);
        devnet.add_fault(0, FaultRule::parse(fault).unwrap());
        let hooks = Recorder::with_pool(2, Behaviour::Honest);
        let err = run(
            &net,
            &providers[..1],
            &store,
            &SystemClock,
            &hooks,
            &Source::Checkpoint(cp),
        )
        .expect_err(fault);
        assert_eq!(err.code(), code, "fault {fault}: {err}");
        assert_eq!(block_on(store.dump()).unwrap(), before, "fault {fault}");
        // The second provider is honest: the sync moves on to it, with the same pool (the
        // first download's late results are told apart by their job).
        let fresh = empty_store(&net);
        let v = run(
            &net,
            &providers,
            &fresh,
            &SystemClock,
            &hooks,
            &Source::Checkpoint(cp),
        )
        .unwrap();
        assert_eq!(v.anchor.state_root, good.anchor.state_root, "fault {fault}");
        assert!(
            hooks.warnings().contains(&"PROVIDER_FAILED"),
            "fault {fault}"
        );
    }
}

#[test]
fn a_local_state_file_is_hashed_by_the_pool_without_download_progress() {
    let case = spec_case();
    let slot = u64::from_le_bytes(case.state[40..48].try_into().unwrap());
    assert_eq!(
        slot % 32,
        0,
        "the fixture state is at an epoch's first slot"
    );
    for workers in [0usize, 2] {
        let hooks = if workers == 0 {
            Recorder::default()
        } else {
            Recorder::with_pool(workers, Behaviour::Flaky)
        };
        let store = MemoryStore::new(&case.net.name, case.net.genesis_validators_root.0);
        let v = run(
            &case.net,
            &[] as &[Chunked],
            &store,
            &case.clock,
            &hooks,
            &Source::StateFile(StateFile::from_bytes(case.state.clone())),
        )
        .unwrap();
        assert_eq!(v.anchor.state_root, case.header.header.state_root.0);
        assert_eq!(v.anchor.active_validators, 256);
        let n = case.state.len() as u64;
        assert_eq!(
            hooks.hash_events().last(),
            Some(&(n, Some(n), Some(workers as u32)))
        );
        assert!(
            hooks.download_events().is_empty(),
            "a file is not downloaded"
        );
        if let Some(pool) = &hooks.pool {
            assert!(*pool.submitted.borrow() >= 2, "tasks went to the pool");
            // Failed workers' tasks were hashed on this thread from the window.
            assert_eq!(hooks.warnings(), vec!["HASH_WORKERS_FAILED"]);
        }
    }
}
