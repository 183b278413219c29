//! Helpers shared by the devnet integration tests: a raw HTTP/1.1 client (for faults that a
//! high-level client would hide: truncation, silence, exact bytes), a ureq wrapper, and the set-up
//! of a sync against a running devnet (its network config, providers, checkpoint, an empty store,
//! a store anchored at genesis), a clock at an epoch, an overseer event recorder, a `lightsync`
//! runner ([`lightsync`], [`CliOut`]), and
//! [`forward_beacon_api!`] for test providers that wrap a real one and change a few answers.
#![allow(dead_code, unused_macros)]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use beacon_lightsync::beacon_api::{BeaconApi, HttpBeaconApi, UreqTransport};
use beacon_lightsync::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, Source, Verified,
};
use beacon_lightsync::config::{network_from_spec, NetworkConfig};
use beacon_lightsync::ctx::{Ctx, Env, Quiet};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::event::Event;
use beacon_lightsync::store::{AnchorRecord, MemoryStore};
use beacon_lightsync::types::json::json_to_ssz;
use beacon_lightsync::types::SszSchema;
use beacon_lightsync::ws::{FixedClock, SystemClock, WsCheckpoint};
use futures::executor::block_on;

/// A devnet on a free port with `providers` providers serving the chain `chain` describes (every
/// other option at its default: no faults, no liars, no replay).
pub fn start_devnet(providers: usize, chain: ChainOptions) -> Devnet {
    Devnet::start(DevnetOptions {
        providers,
        chain,
        ..DevnetOptions::default()
    })
    .expect("devnet starts")
}

/// The devnet's network config, read from its `/eth/v1/config/spec` answer (a config.yaml in
/// JSON form) and its genesis.
pub fn network(devnet: &Devnet) -> NetworkConfig {
    let chain = devnet.chain();
    let gvr = chain
        .genesis
        .as_ref()
        .expect("genesis")
        .genesis_validators_root;
    network_from_spec(&chain.spec, Some(gvr)).expect("devnet config parses")
}

/// One HTTP Beacon API per devnet provider, each with `timeout_ms` and 4 connections.
pub fn apis(devnet: &Devnet, timeout_ms: u64) -> Vec<HttpBeaconApi<UreqTransport>> {
    devnet
        .urls()
        .iter()
        .map(|u| HttpBeaconApi::new(u, UreqTransport::new(timeout_ms, 4)))
        .collect()
}

/// The devnet's finalized checkpoint.
pub fn checkpoint(devnet: &Devnet) -> WsCheckpoint {
    WsCheckpoint::parse(&devnet.checkpoint().expect("devnet finalized")).unwrap()
}

/// An empty store for `net`.
pub fn empty_store(net: &NetworkConfig) -> MemoryStore {
    MemoryStore::new(&net.name, net.genesis_validators_root.0)
}

/// A store whose active anchor is the devnet's genesis state, verified by the trusted-block-root
/// flow (genesis block root from the devnet's own chain) while the wall clock says the chain is
/// young. Checks it is the slot-0 anchor with the sync committee a light client starts from.
pub fn genesis_anchor(
    devnet: &Devnet,
    net: &NetworkConfig,
    timeout_ms: u64,
) -> (MemoryStore, AnchorRecord) {
    let root = devnet.chain().genesis_block_root.expect("genesis block");
    let store = empty_store(net);
    let verified = checkpoint_sync(
        net,
        &apis(devnet, timeout_ms),
        &store,
        &Source::TrustedBlockRoot(root),
    )
    .expect("genesis anchor");
    assert_eq!(verified.anchor.slot, 0);
    assert_eq!(verified.anchor.block_root, root);
    assert!(verified.anchor.current_sync_committee.is_some());
    (store, verified.anchor)
}

/// A clock at the first second of `epoch` (spec `compute_start_slot_at_epoch`, then the slot's
/// start time).
pub fn epoch_clock(net: &NetworkConfig, epoch: u64) -> FixedClock {
    FixedClock(net.slot_start_time(net.compute_start_slot_at_epoch(epoch)))
}

/// Overseer hooks that keep every event, in order.
#[derive(Default)]
pub struct Recorder {
    pub events: RefCell<Vec<Event>>,
}

impl Env for Recorder {
    fn emit(&self, event: &Event) {
        self.events.borrow_mut().push(event.clone());
    }
}

/// Inside an `impl BeaconApi for Wrapper`, forwards the named trait methods to the field
/// `$inner` (itself a `BeaconApi`), so a test provider spells out only the answers it changes:
/// `forward_beacon_api!(inner: base_url, genesis, spec, header);`. A method left out of the
/// list and not written by hand keeps the trait's default (for `header_by_slot`,
/// `header_by_root` and `state_ssz_into`: built on the wrapper's own methods).
macro_rules! forward_beacon_api {
    ($inner:ident: $($method:ident),+ $(,)?) => {
        $( forward_beacon_api!(@one $inner $method); )+
    };
    (@one $inner:ident base_url) => {
        fn base_url(&self) -> &str {
            self.$inner.base_url()
        }
    };
    (@one $inner:ident genesis) => {
        async fn genesis(
            &self,
        ) -> Result<::beacon_lightsync::beacon_api::Genesis, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.genesis().await
        }
    };
    (@one $inner:ident spec) => {
        async fn spec(
            &self,
        ) -> Result<
            ::serde_json::Map<String, ::serde_json::Value>,
            ::beacon_lightsync::beacon_api::ApiError,
        > {
            self.$inner.spec().await
        }
    };
    (@one $inner:ident header) => {
        async fn header(
            &self,
            block_id: &str,
        ) -> Result<
            Option<::beacon_lightsync::beacon_api::HeaderInfo>,
            ::beacon_lightsync::beacon_api::ApiError,
        > {
            self.$inner.header(block_id).await
        }
    };
    (@one $inner:ident headers_by_slots) => {
        async fn headers_by_slots(
            &self,
            slots: &[u64],
        ) -> Vec<
            Result<
                Option<::beacon_lightsync::beacon_api::HeaderInfo>,
                ::beacon_lightsync::beacon_api::ApiError,
            >,
        > {
            self.$inner.headers_by_slots(slots).await
        }
    };
    (@one $inner:ident finality_checkpoints) => {
        async fn finality_checkpoints(
            &self,
            state_id: &str,
        ) -> Result<
            ::beacon_lightsync::beacon_api::FinalityCheckpoints,
            ::beacon_lightsync::beacon_api::ApiError,
        > {
            self.$inner.finality_checkpoints(state_id).await
        }
    };
    (@one $inner:ident state_ssz) => {
        async fn state_ssz(
            &self,
            state_id: &str,
            on_progress: &mut dyn FnMut(u64, Option<u64>),
        ) -> Result<::beacon_lightsync::beacon_api::SszState, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.state_ssz(state_id, on_progress).await
        }
    };
    (@one $inner:ident state_ssz_into) => {
        async fn state_ssz_into(
            &self,
            state_id: &str,
            sink: &mut dyn ::beacon_lightsync::beacon_api::BodySink,
        ) -> Result<::beacon_lightsync::beacon_api::SszState, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.state_ssz_into(state_id, sink).await
        }
    };
    (@one $inner:ident block_ssz) => {
        async fn block_ssz(
            &self,
            root: &[u8; 32],
        ) -> Result<::beacon_lightsync::beacon_api::RawBody, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.block_ssz(root).await
        }
    };
    (@one $inner:ident light_client_bootstrap) => {
        async fn light_client_bootstrap(
            &self,
            block_root: &[u8; 32],
        ) -> Result<::beacon_lightsync::beacon_api::RawBody, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.light_client_bootstrap(block_root).await
        }
    };
    (@one $inner:ident light_client_updates) => {
        async fn light_client_updates(
            &self,
            start_period: u64,
            count: u64,
        ) -> Result<::beacon_lightsync::beacon_api::RawBody, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.light_client_updates(start_period, count).await
        }
    };
    (@one $inner:ident light_client_finality_update) => {
        async fn light_client_finality_update(
            &self,
        ) -> Result<::beacon_lightsync::beacon_api::RawBody, ::beacon_lightsync::beacon_api::ApiError>
        {
            self.$inner.light_client_finality_update().await
        }
    };
}
#[allow(unused_imports)] // Only the tests with a wrapping provider use it.
pub(crate) use forward_beacon_api;

/// A checkpoint sync from `source` into `store`: the wall clock, no hooks, default options.
pub fn checkpoint_sync<A: BeaconApi>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    source: &Source,
) -> Result<Verified, CheckpointError> {
    block_on(
        CheckpointSync {
            ctx: Ctx {
                network: net,
                providers,
                store,
                clock: &SystemClock,
            },
            env: &Quiet,
            options: CheckpointOptions::default(),
        }
        .run(source),
    )
}

/// A response as it came off the socket.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the connection ended before `Content-Length` bytes arrived.
    pub short: bool,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected a JSON body, got {e}: {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
            )
        })
    }
}

/// Sends one request on a fresh connection and reads the answer (or what arrives of it).
/// `None` when nothing arrives within `timeout`.
pub fn raw_request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Option<Raw> {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect to devnet");
    s.set_read_timeout(Some(timeout)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break,
        }
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = buf[end + 4..].to_vec();
    let len: Option<usize> = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok());
    let short = method != "HEAD" && len.is_some_and(|l| body.len() < l);
    Some(Raw {
        status,
        headers,
        body,
        short,
    })
}

/// GET with an optional Accept header, 10 s timeout.
pub fn get(base: &str, path: &str, accept: Option<&str>) -> Raw {
    let h: Vec<(&str, &str)> = accept.map(|a| vec![("Accept", a)]).unwrap_or_default();
    raw_request(base, "GET", path, &h, Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no response to GET {path}"))
}

/// POST to the control endpoint through ureq (the way a script would).
pub fn control(base: &str, path_and_query: &str) -> serde_json::Value {
    let r = ureq::post(&format!("{base}{path_and_query}"))
        .send_string("")
        .unwrap_or_else(|e| panic!("control {path_and_query}: {e}"));
    serde_json::from_str(&r.into_string().unwrap()).unwrap()
}

/// `value`, the Beacon API JSON of a `T`, read through the crate's one JSON reader
/// (`types::json`: JSON to SSZ bytes by `T`'s schema, then `T`'s SSZ decoder).
pub fn from_json<T: ssz::Decode + SszSchema>(value: &serde_json::Value) -> T {
    let name = std::any::type_name::<T>();
    let bytes = json_to_ssz(T::ssz_type(), value).unwrap_or_else(|e| panic!("{name}: {e}"));
    T::from_ssz_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// What a `lightsync` run printed, and its exit code.
pub struct CliOut {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliOut {
    /// The last line of stdout, as JSON (the commands' result line).
    pub fn json(&self) -> serde_json::Value {
        let line = self.stdout.lines().last().unwrap_or("");
        serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
}

/// Longest a `lightsync` run may take: past it the child is killed and the test fails with what
/// it printed, instead of hanging the test run.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the `lightsync` binary of this package with `args` (standard input closed) and waits for
/// it, at most [`CLI_TIMEOUT`].
pub fn lightsync(args: &[&str]) -> CliOut {
    run_cli(
        Command::new(env!("CARGO_BIN_EXE_lightsync")).args(args),
        false,
    )
}

/// Runs `cmd` with stdout and stderr captured and standard input closed, or held open until the
/// child exits when `hold_stdin` (so that only `--max-steps` or a failure ends a `follow`). A
/// child still running after [`CLI_TIMEOUT`] is killed and the test panics with its output.
pub fn run_cli(cmd: &mut Command, hold_stdin: bool) -> CliOut {
    let mut child = cmd
        .stdin(if hold_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lightsync starts");
    let stdin = child.stdin.take();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let finished = rx.recv_timeout(CLI_TIMEOUT);
    if finished.is_err() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    drop(stdin);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match finished {
        Ok(out) => {
            let out = out.expect("lightsync's output");
            CliOut {
                code: out.status.code().unwrap_or(-1),
                stdout: text(&out.stdout),
                stderr: text(&out.stderr),
            }
        }
        Err(_) => {
            let out = rx.recv().unwrap().expect("lightsync's output");
            panic!(
                "`lightsync {:?}` still ran after {CLI_TIMEOUT:?} and was killed\nstdout:\n{}\nstderr:\n{}",
                cmd.get_args().collect::<Vec<_>>(),
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
}
