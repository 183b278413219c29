//! `lightsync devnet`: a local Beacon API over a deterministic generated chain (or over recorded
//! real responses), with faults on demand.
//!
//! The demo, the browser tests and the benchmarks run with no internet, yet must meet a server that
//! behaves like a real beacon node: JSON and SSZ with content negotiation, `Eth-Consensus-Version`,
//! CORS, Beacon API error bodies, and data that passes every check of the checkpoint-sync,
//! backfill and light-client flows. Each of K *providers* is one port on 127.0.0.1 serving the same
//! chain unless a fault (or a lying chain from another seed) says otherwise.
//!
//! Pieces: [`http`] (a hand-written HTTP/1.1 server, so faults control every byte), [`routes`]
//! (the honest answers, one dispatch table), [`api`] (a provider's pipeline: CORS, the event
//! stream, and the wrappers around the routes), [`inject`] (faults applied to responses) with
//! [`faults`] (their rules), [`behave`] (how some real nodes answer differently), [`control`]
//! (the `/_devnet` endpoint), [`events`] (the `/eth/v1/events` stream), [`data`] (what a
//! provider serves, in wire form), [`replay`] (recorded responses) and [`chain`] (the generator;
//! [`chain::live`] keeps it growing in real time with `live: true` / `--live`).
//!
//! Endpoints: `beacon/genesis`, `config/spec`, `config/fork_schedule`, `node/version`,
//! `node/health`, `beacon/headers` (`?slot=`, `?parent_root=`) and `headers/{block_id}`,
//! `v2/beacon/blocks/{block_id}` (JSON and SSZ) and `blocks/{block_id}/root`,
//! `states/{state_id}/root`, `states/{state_id}/finality_checkpoints`,
//! `v2/debug/beacon/states/{state_id}` (SSZ only: JSON is optional in the spec and useless for
//! a 280 MB state), and the four `light_client` endpoints (JSON, and SSZ including the
//! length-prefixed `updates` stream with fork digests). Block ids: `head`, `genesis`,
//! `finalized`, `justified`, a slot, a `0x` root; state ids likewise. Full states are retained
//! for genesis and the checkpoints the endpoints name (see [`chain`]), as a pruning node would;
//! other states give 404 from the debug endpoint, while `states/{id}/root` answers for any slot.
//!
//! One view of finality, as a real node has: the `finalized` block id is the head state's
//! finalized checkpoint root and the `finalized` state id its epoch-boundary state;
//! `states/head/finality_checkpoints` gives the head state's checkpoints, while
//! `states/finalized/finality_checkpoints` (or any retained state) gives that state's own,
//! which lag by its own two epochs. The light-client finality update can finalize one epoch
//! less than the head state (its attested block precedes the head); its finalized state is
//! served too, and `/_devnet/info` names both (`finalized_*` and `light_client_finalized_*`).
//!
//! Faults (see [`faults::FaultKind`] for every kind and option) are set per provider with
//! `--fault [I:]kind,key=value…` or at run time through `/_devnet/faults` on any provider
//! (documented in [`control`]); a rule can target a path pattern, a slot range and a count.
//! `--liar I[:SEED]` (or `POST /_devnet/chain?seed=X`) makes provider I serve another,
//! internally consistent chain, for quorum tests.
//!
//! Other tests start a devnet in process:
//! ```no_run
//! use beacon_lightsync::devnet::{Devnet, DevnetOptions};
//! let devnet = Devnet::start(DevnetOptions { port: 0, ..DevnetOptions::default() }).unwrap();
//! let url = &devnet.urls()[0];
//! # let _ = url;
//! ```

pub mod api;
pub mod behave;
pub mod chain;
pub mod control;
pub mod data;
pub mod events;
pub mod faults;
pub mod http;
pub mod inject;
pub mod replay;
pub mod routes;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use api::{Provider, Shared};
use chain::live::LiveChain;
use data::{hex0x, ChainData};
use faults::{FaultRule, FaultSet};
use http::Server;
use replay::ReplayNetwork;

/// How to start a devnet. `Default` gives a small, fully signed fulu chain on one provider.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// First port; provider i listens on `port + i`. 0 = each provider gets a free port.
    pub port: u16,
    /// Number of providers (ports).
    pub providers: usize,
    /// What to serve and how to build it.
    pub chain: chain::ChainOptions,
    /// Serve recorded responses instead of generating: (network, fixtures folder).
    pub replay: Option<(ReplayNetwork, PathBuf)>,
    /// Fault rules set at start: (provider index, rule).
    pub faults: Vec<(usize, FaultRule)>,
    /// Consistent liars: (provider index, seed of the chain it serves instead).
    pub liars: Vec<(usize, u64)>,
    /// Real-node behaviours set at start: (provider index, text form `key[=value],…`; see
    /// [`behave`]).
    pub behaviours: Vec<(usize, String)>,
    /// Grow the chain in real time (see [`chain::live`]): one slot per `SECONDS_PER_SLOT`,
    /// finalizing as it goes, with events on `/eth/v1/events`. Liars stay still.
    pub live: bool,
    /// Seconds by which the served spec's `MIN_GENESIS_TIME + GENESIS_DELAY` precedes the genesis
    /// time (see [`ChainData::lag_spec_genesis`]); 0 = equal (generated chains only).
    pub genesis_lag: u64,
}

impl Default for DevnetOptions {
    fn default() -> Self {
        DevnetOptions {
            port: 0,
            providers: 1,
            chain: chain::ChainOptions::default(),
            replay: None,
            faults: Vec::new(),
            liars: Vec::new(),
            behaviours: Vec::new(),
            live: false,
            genesis_lag: 0,
        }
    }
}

/// Why a devnet could not start. None is retryable with the same options except `Bind` (a port
/// in use may free up).
#[derive(Debug)]
pub enum DevnetError {
    /// Listening on `127.0.0.1:port` failed.
    Bind { port: u16, error: std::io::Error },
    /// Options that cannot work together.
    BadOptions { message: String },
    /// Recorded data could not be loaded.
    Replay(replay::ReplayError),
    /// The chain could not be generated.
    Chain(chain::ChainError),
}

impl fmt::Display for DevnetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevnetError::Bind { port, error } => {
                write!(f, "cannot listen on 127.0.0.1:{port}: {error}")
            }
            DevnetError::BadOptions { message } => write!(f, "{message}"),
            DevnetError::Replay(e) => write!(f, "replay: {e}"),
            DevnetError::Chain(e) => write!(f, "chain generation: {e}"),
        }
    }
}

impl std::error::Error for DevnetError {}

/// A running devnet; dropping it stops every provider (and the live chain).
pub struct Devnet {
    servers: Vec<Server>,
    shared: Arc<Shared>,
    urls: Vec<String>,
    /// The thread growing a live chain, and its stop flag.
    live: Option<(std::thread::JoinHandle<()>, Arc<AtomicBool>)>,
}

/// Unix time now, seconds.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Keep-alive interval of event streams: a slot, within 1..=15 s (real nodes send one every
/// few seconds to a quiet subscriber).
fn keep_alive(seconds_per_slot: u64) -> Duration {
    Duration::from_secs(seconds_per_slot.clamp(1, 15))
}

impl Devnet {
    /// Builds (or loads) the chain, binds every provider and starts serving.
    pub fn start(opts: DevnetOptions) -> Result<Devnet, DevnetError> {
        if opts.providers == 0 {
            return Err(DevnetError::BadOptions {
                message: "expected at least 1 provider, got 0".into(),
            });
        }
        let check_index = |i: usize, what: &str| {
            if i >= opts.providers {
                Err(DevnetError::BadOptions {
                    message: format!(
                        "{what}: expected a provider index below {}, got {i}",
                        opts.providers
                    ),
                })
            } else {
                Ok(())
            }
        };
        for (i, _) in &opts.faults {
            check_index(*i, "fault")?;
        }
        for (i, _) in &opts.liars {
            check_index(*i, "liar")?;
        }
        let behaviours: Vec<behave::BehaviourSet> =
            (0..opts.providers).map(|_| Default::default()).collect();
        for (i, text) in &opts.behaviours {
            check_index(*i, "behaviour")?;
            behaviours[*i]
                .update(|b| b.apply_text(text))
                .map_err(|e| DevnetError::BadOptions {
                    message: e.to_string(),
                })?;
        }
        if opts.live && opts.replay.is_some() {
            return Err(DevnetError::BadOptions {
                message:
                    "--live: expected a generated chain, got --replay (recordings cannot grow)"
                        .into(),
            });
        }
        let mut live = None;
        let (honest, factory): (Arc<ChainData>, Option<Box<api::ChainFactory>>) = match &opts.replay
        {
            Some((net, dir)) => (
                Arc::new(replay::load(*net, dir).map_err(DevnetError::Replay)?),
                None,
            ),
            None => {
                let honest = if opts.live {
                    let l =
                        LiveChain::start(&opts.chain, unix_now()).map_err(DevnetError::Chain)?;
                    let snapshot = l.snapshot();
                    live = Some(l);
                    snapshot
                } else {
                    let mut chain = chain::generate(&opts.chain).map_err(DevnetError::Chain)?;
                    chain.lag_spec_genesis(opts.genesis_lag);
                    Arc::new(chain)
                };
                let lag = opts.genesis_lag;
                let base = opts.chain.clone();
                let factory = move |seed: u64| {
                    let mut o = base.clone();
                    o.seed = seed;
                    let mut c = chain::generate(&o).map_err(|e| e.to_string())?;
                    c.lag_spec_genesis(lag);
                    Ok(c)
                };
                (honest, Some(Box::new(factory) as Box<api::ChainFactory>))
            }
        };
        let mut chains = Vec::new();
        for i in 0..opts.providers {
            let chain = match opts.liars.iter().find(|(p, _)| *p == i) {
                Some((_, seed)) => {
                    let f = factory.as_ref().ok_or_else(|| DevnetError::BadOptions {
                        message: "a lying provider needs a generated chain, not replay".into(),
                    })?;
                    Arc::new(f(*seed).map_err(|message| DevnetError::BadOptions { message })?)
                }
                None => honest.clone(),
            };
            chains.push(RwLock::new(chain));
        }
        let faults: Vec<FaultSet> = (0..opts.providers).map(|_| FaultSet::default()).collect();
        for (i, rule) in &opts.faults {
            faults[*i].add(rule.clone());
        }
        let sps = live.as_ref().map_or(6, LiveChain::seconds_per_slot);
        let shared = Arc::new(Shared {
            honest: RwLock::new(honest),
            chains,
            faults,
            behaviours,
            factory,
            info: RwLock::new(serde_json::Value::Null),
            events: Arc::default(),
            keep_alive: keep_alive(sps),
        });
        let mut servers = Vec::new();
        for i in 0..opts.providers {
            let port = if opts.port == 0 {
                0
            } else {
                opts.port.wrapping_add(i as u16)
            };
            let provider = Arc::new(Provider {
                index: i,
                shared: shared.clone(),
            });
            let server =
                Server::bind(port, provider).map_err(|error| DevnetError::Bind { port, error })?;
            servers.push(server);
        }
        let urls = servers
            .iter()
            .map(|s| format!("http://127.0.0.1:{}", s.port()))
            .collect();
        let mut devnet = Devnet {
            servers,
            shared,
            urls,
            live: None,
        };
        devnet.shared.set_info(devnet.info());
        if let Some(l) = live {
            let stop = Arc::new(AtomicBool::new(false));
            let (shared, urls, stop2) = (devnet.shared.clone(), devnet.urls.clone(), stop.clone());
            let thread = std::thread::Builder::new()
                .name("devnet-live".into())
                .spawn(move || grow(l, &shared, &urls, &stop2))
                .map_err(|error| DevnetError::Bind { port: 0, error })?;
            devnet.live = Some((thread, stop));
        }
        Ok(devnet)
    }

    /// Base URLs of the providers, `http://127.0.0.1:PORT`, in provider order.
    pub fn urls(&self) -> Vec<String> {
        self.urls.clone()
    }

    /// The honest chain every non-lying provider serves (as of now, when live).
    pub fn chain(&self) -> Arc<ChainData> {
        self.shared.honest()
    }

    /// The trusted checkpoint a client should use, `0x<block_root>:<epoch>` (the latest finalized
    /// checkpoint), or `None` when the chain has not finalized anything.
    pub fn checkpoint(&self) -> Option<String> {
        checkpoint_of(&self.shared.honest())
    }

    /// Adds a fault rule to provider `provider` (same effect as the control endpoint).
    pub fn add_fault(&self, provider: usize, rule: FaultRule) {
        if let Some(f) = self.shared.faults.get(provider) {
            f.add(rule);
        }
    }

    /// Removes every fault rule of provider `provider`.
    pub fn clear_faults(&self, provider: usize) {
        if let Some(f) = self.shared.faults.get(provider) {
            f.clear();
        }
    }

    /// The machine-readable summary printed by the CLI after `DEVNET ` and served at
    /// `/_devnet/info` (kept current by a live chain).
    pub fn info(&self) -> serde_json::Value {
        info_json(&self.shared.honest(), &self.urls, self.live.is_some())
    }

    /// Stops every provider.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some((thread, stop)) = self.live.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = thread.join();
        }
        for s in &mut self.servers {
            s.shutdown();
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `0x<block_root>:<epoch>` of a chain's finalized checkpoint, if it has one.
fn checkpoint_of(c: &ChainData) -> Option<String> {
    let cp = c.checkpoints.finalized;
    (cp.root != [0; 32]).then(|| format!("{}:{}", hex0x(cp.root), cp.epoch))
}

/// The live chain's loop: at each slot's start time, make the slot, serve the new snapshot,
/// refresh `/_devnet/info` and publish the slot's events. Behind the clock (a slow machine), it
/// makes the missed slots back to back.
fn grow(mut live: LiveChain, shared: &Shared, urls: &[String], stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let due = live.slot_start(live.head_slot() + 1);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let wait = Duration::from_secs(due).saturating_sub(now);
        if !wait.is_zero() {
            std::thread::sleep(wait.min(Duration::from_millis(100)));
            continue;
        }
        match live.advance() {
            Ok(events) => {
                let chain = live.snapshot();
                let info = info_json(&chain, urls, true);
                shared.set_honest(chain);
                shared.set_info(info);
                shared.events.publish(events);
            }
            Err(e) => {
                eprintln!(
                    "devnet: the live chain stopped at slot {}: {e}",
                    live.head_slot()
                );
                return;
            }
        }
    }
}

/// The devnet summary of `c` (see [`Devnet::info`]).
fn info_json(c: &ChainData, urls: &[String], live: bool) -> serde_json::Value {
    let spe = c.slots_per_epoch.max(1);
    let fin = c.checkpoints.finalized;
    let mut bootstraps: Vec<(u64, String)> = c
        .bootstraps
        .keys()
        .map(|r| (c.header_by_root(r).map_or(0, |(h, _)| h.slot), hex0x(r)))
        .collect();
    bootstraps.sort();
    let lc_fin = c.finality_update.as_ref().and_then(|u| {
        let beacon = &u.honest.json["finalized_header"]["beacon"];
        let slot: u64 = beacon["slot"].as_str()?.parse().ok()?;
        let root = c.headers.get(&slot).map(|h| hex0x(h.root));
        Some((slot, root))
    });
    let mut served: Vec<u64> = c.states.values().map(|s| s.slot).collect();
    served.sort();
    let head = c.head_slot.and_then(|s| c.header_at_or_before(s));
    let justified = c.checkpoints.current_justified;
    serde_json::json!({
        "light_client_finalized_slot": lc_fin.as_ref().map(|(s, _)| *s),
        "light_client_finalized_root": lc_fin.and_then(|(_, r)| r),
        "served_state_slots": served,
        "bootstrap_roots": bootstraps.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
        "urls": urls,
        "checkpoint": checkpoint_of(c),
        "finalized_epoch": fin.epoch,
        "finalized_slot": fin.epoch * spe,
        // The checkpoint block's slot: earlier than `finalized_slot` when the boundary is empty
        // (on Gloas, the slot of the finalized state served).
        "finalized_block_slot": c.by_root.get(&fin.root).map(|(s, _)| *s),
        "finalized_root": hex0x(fin.root),
        "justified_epoch": justified.epoch,
        "justified_root": hex0x(justified.root),
        "head_slot": c.head_slot,
        "head_block_slot": head.map(|h| h.slot),
        "head_root": head.map(|h| hex0x(h.root)),
        "genesis_time": c.genesis.as_ref().map(|g| g.genesis_time),
        "genesis_validators_root": c.genesis.as_ref().map(|g| hex0x(g.genesis_validators_root)),
        "seconds_per_slot": c.spec.get("SECONDS_PER_SLOT").and_then(|v| v.as_str()).and_then(|v| v.parse::<u64>().ok()),
        "live": live,
        "chain": c.label,
        "control": "/_devnet/faults",
    })
}
