//! Helpers shared by the devnet integration tests: a raw HTTP/1.1 client (for faults that a
//! high-level client would hide: truncation, silence, exact bytes), a ureq wrapper, and the set-up
//! of a sync against a running devnet (its network config, providers, checkpoint, an empty store).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use beacon_lightsync::beacon_api::{BeaconApi, HttpBeaconApi, UreqTransport};
use beacon_lightsync::checkpoint::{
    network_from_spec, CheckpointError, CheckpointOptions, CheckpointSync, NoHooks, Source,
    Verified,
};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::devnet::Devnet;
use beacon_lightsync::store::MemoryStore;
use beacon_lightsync::ws::{SystemClock, WsCheckpoint};
use futures::executor::block_on;

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

/// A checkpoint sync from `source` into `store`: the wall clock, no hooks, default options.
pub fn checkpoint_sync<A: BeaconApi>(
    net: &NetworkConfig,
    providers: &[A],
    store: &MemoryStore,
    source: &Source,
) -> Result<Verified, CheckpointError> {
    block_on(
        CheckpointSync {
            network: net,
            providers,
            store,
            clock: &SystemClock,
            hooks: &NoHooks,
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
