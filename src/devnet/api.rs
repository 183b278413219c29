//! One provider's request pipeline: the control endpoint ([`super::control`]), CORS, the event
//! stream, and around the honest routes ([`super::routes`]) the two wrappers that make a provider
//! differ from an honest, synced node: its behaviours ([`super::behave`]) and its faults
//! ([`super::inject`]). The data was prepared ahead of time, so a request costs a lookup and a
//! copy at most.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::behave::BehaviourSet;
use super::control;
use super::data::ChainData;
use super::events::{self, EventBus};
use super::faults::FaultSet;
use super::http::{Handler, Method, Request, Response};
use super::inject::Injected;
use super::routes;

/// Headers a browser script may read; without `Eth-Consensus-Version` here a client behind CORS
/// cannot learn the fork of an SSZ body from the header.
pub const EXPOSED_HEADERS: &str =
    "Eth-Consensus-Version, Content-Length, Content-Type, Retry-After";

/// Builds the chain a lying provider serves, from a seed (set by the devnet when it can generate).
pub type ChainFactory = dyn Fn(u64) -> Result<ChainData, String> + Send + Sync;

/// State shared by all providers of one devnet.
pub struct Shared {
    /// The honest chain (replaced every slot when the chain is live).
    pub honest: RwLock<Arc<ChainData>>,
    /// What each provider currently serves.
    pub chains: Vec<RwLock<Arc<ChainData>>>,
    /// Each provider's fault rules.
    pub faults: Vec<FaultSet>,
    /// Each provider's real-node behaviours.
    pub behaviours: Vec<BehaviourSet>,
    /// Generates alternative chains for `POST /_devnet/chain`.
    pub factory: Option<Box<ChainFactory>>,
    /// The summary served at `/_devnet/info`.
    pub info: RwLock<serde_json::Value>,
    /// What the live chain publishes for `/eth/v1/events`.
    pub events: Arc<EventBus>,
    /// Longest silence on an event stream before a keep-alive comment, as a real node sends.
    pub keep_alive: Duration,
}

/// Reads a lock. A panic while one was held cannot leave an `Arc` or a JSON value half-written,
/// so a poisoned lock is read as it is and the devnet keeps serving.
fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The honest chain as of now.
    pub fn honest(&self) -> Arc<ChainData> {
        read(&self.honest)
    }

    /// Makes `chain` the honest chain; providers that served the previous honest chain serve
    /// the new one (liars keep theirs).
    pub fn set_honest(&self, chain: Arc<ChainData>) {
        let mut honest = write(&self.honest);
        for slot in &self.chains {
            let mut c = write(slot);
            if Arc::ptr_eq(&c, &honest) {
                *c = chain.clone();
            }
        }
        *honest = chain;
    }

    /// What provider `provider` serves now.
    pub fn chain(&self, provider: usize) -> Arc<ChainData> {
        read(&self.chains[provider])
    }

    pub fn set_chain(&self, provider: usize, chain: Arc<ChainData>) {
        *write(&self.chains[provider]) = chain;
    }

    /// The summary served at `/_devnet/info`.
    pub fn info(&self) -> serde_json::Value {
        read(&self.info)
    }

    pub fn set_info(&self, info: serde_json::Value) {
        *write(&self.info) = info;
    }
}

/// One provider (one port) of the devnet.
pub struct Provider {
    pub index: usize,
    pub shared: Arc<Shared>,
}

impl Handler for Provider {
    fn handle(&self, req: &Request) -> Response {
        let mut resp = self.answer(req);
        if resp.header("Access-Control-Allow-Origin").is_none() {
            resp.set_header("Access-Control-Allow-Origin", "*");
        }
        resp
    }
}

impl Provider {
    fn answer(&self, req: &Request) -> Response {
        if req.path == "/_devnet" || req.path.starts_with("/_devnet/") {
            let r = match req.method {
                Method::Options => preflight(req),
                _ => control::handle(&self.shared, self.index, req),
            };
            return r.with_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        if req.method == Method::Options {
            return preflight(req);
        }
        if req.method != Method::Get && req.method != Method::Head {
            return Response::error(405, "Method not allowed")
                .with_header("Allow", "GET, HEAD, OPTIONS");
        }
        let chain = self.shared.chain(self.index);
        let matched = routes::find(&req.path);
        let faults = Injected::fire(
            &self.shared.faults[self.index],
            &chain,
            req,
            matched.as_ref(),
        );
        let seg: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
        let behaviour = self.shared.behaviours[self.index].get();
        // What the node itself answers before routing: its CORS layer covers these too.
        let early = |r: Response| {
            let mut r = r.with_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
            behaviour.after(&seg, &mut r);
            r
        };
        if let Some(r) = faults.replacement() {
            return early(r);
        }
        if seg == ["eth", "v1", "events"] {
            return self
                .events(req)
                .with_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        let mut req = req.clone();
        if let Err(r) = behaviour.before(&chain, &mut req, &seg) {
            return early(r);
        }
        let honest = routes::serve(&chain, &req, matched);
        let mut resp = faults.content(&chain, &req, matched.as_ref(), honest);
        resp.set_header("Vary", "Accept");
        if !faults.hides_exposed_headers() {
            resp.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        behaviour.after(&seg, &mut resp);
        faults.transport(&mut resp);
        resp
    }

    /// `/eth/v1/events`: the stream, unless this provider's behaviour refuses it; a stream ends
    /// when `events=drop` is applied after it opened.
    fn events(&self, req: &Request) -> Response {
        let behaviour = self.shared.behaviours[self.index].get();
        if let Some(code) = behaviour.events_off {
            return Response::error(code, "The event stream is not served by this node");
        }
        let topics = match events::parse_topics(req) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let (shared, index) = (self.shared.clone(), self.index);
        let opened_at = behaviour.stream_drops;
        let still_open: events::StillOpen =
            Arc::new(move || shared.behaviours[index].get().stream_drops == opened_at);
        events::stream(
            self.shared.events.clone(),
            topics,
            self.shared.keep_alive,
            still_open,
        )
    }
}

/// Answers a CORS preflight: any origin, the methods the devnet serves, the headers asked for.
fn preflight(req: &Request) -> Response {
    let allow_headers = req
        .header("access-control-request-headers")
        .unwrap_or("Accept, Content-Type")
        .to_string();
    let mut r = Response::new(204, "text/plain", Vec::new());
    r.set_header("Access-Control-Allow-Origin", "*");
    r.set_header(
        "Access-Control-Allow-Methods",
        "GET, HEAD, OPTIONS, POST, DELETE",
    );
    r.set_header("Access-Control-Allow-Headers", &allow_headers);
    r.set_header("Access-Control-Max-Age", "86400");
    r
}
