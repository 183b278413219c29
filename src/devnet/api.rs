//! The Beacon API subset a light-sync client needs, served from a [`ChainData`] snapshot, plus the
//! devnet's control endpoint. Routing, content negotiation, CORS and fault application live here;
//! the data was prepared ahead of time, so a request costs a lookup and a copy at most.
//!
//! Control endpoint (on every provider, never faulted, never part of the Beacon API):
//! - `GET /_devnet/faults[?provider=I]`: the active rules of provider I (default: this one);
//! - `POST /_devnet/faults?kind=K[&path=P][&slots=A-B][&count=N][&provider=I][&option=value…]`:
//!   adds a rule (see [`super::faults`] for kinds and options); a `text/plain` body with the text
//!   form `kind,key=value,…` works too;
//! - `DELETE /_devnet/faults[?provider=I]` or `POST /_devnet/faults/clear[?provider=I]`: clears;
//! - `POST /_devnet/chain?seed=X[&provider=I]`: provider I starts serving another, internally
//!   consistent chain generated from seed X (a consistent liar); `seed=honest` switches back;
//! - `GET /_devnet/behave[?provider=I]`: provider I's behaviours (see [`super::behave`]);
//!   `POST /_devnet/behave?key=value…[&provider=I]` (or a `text/plain` body `key=value,…`) sets
//!   some, `DELETE /_devnet/behave[?provider=I]` restores the defaults;
//! - `GET /_devnet/info`: the devnet's summary (the same JSON the CLI prints after `DEVNET `).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::behave::BehaviourSet;
use super::data::{hex0x, parse_root, ChainData, HeaderEntry, LcForm, LcObject, Root};
use super::events::{self, EventBus};
use super::faults::{FaultKind, FaultRule, FaultSet};
use super::http::{negotiate, Body, Delivery, Handler, Media, Method, Request, Response};

/// Headers a browser script may read; without `Eth-Consensus-Version` here a client behind CORS
/// cannot learn the fork of an SSZ body from the header.
pub const EXPOSED_HEADERS: &str =
    "Eth-Consensus-Version, Content-Length, Content-Type, Retry-After";
/// `MAX_REQUEST_LIGHT_CLIENT_UPDATES` (consensus-specs altair/light-client/p2p-interface.md).
pub const MAX_REQUEST_LIGHT_CLIENT_UPDATES: u64 = 128;
/// The `Eth-Consensus-Version` header name.
const VERSION_HEADER: &str = "Eth-Consensus-Version";

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

impl Shared {
    /// The honest chain as of now.
    pub fn honest(&self) -> Arc<ChainData> {
        self.honest
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes `chain` the honest chain; providers that served the previous honest chain serve
    /// the new one (liars keep theirs).
    pub fn set_honest(&self, chain: Arc<ChainData>) {
        let mut honest = self.honest.write().unwrap_or_else(|e| e.into_inner());
        for slot in &self.chains {
            let mut c = slot.write().unwrap_or_else(|e| e.into_inner());
            if Arc::ptr_eq(&c, &honest) {
                *c = chain.clone();
            }
        }
        *honest = chain;
    }

    pub fn chain(&self, provider: usize) -> Arc<ChainData> {
        let lock = self.chains[provider]
            .read()
            .unwrap_or_else(|e| e.into_inner());
        lock.clone()
    }

    pub fn set_chain(&self, provider: usize, chain: Arc<ChainData>) {
        *self.chains[provider]
            .write()
            .unwrap_or_else(|e| e.into_inner()) = chain;
    }
}

/// One provider (one port) of the devnet.
pub struct Provider {
    pub index: usize,
    pub shared: Arc<Shared>,
}

fn not_found(msg: &str) -> Response {
    Response::error(404, msg)
}

fn bad_request(msg: &str) -> Response {
    Response::error(400, msg)
}

fn not_acceptable() -> Response {
    Response::error(406, "Accepted media type not supported")
}

/// A resolved block id.
enum BlockRef<'a> {
    Found(&'a HeaderEntry, bool),
    Missing,
    Invalid,
}

fn resolve_block<'a>(chain: &'a ChainData, id: &str) -> BlockRef<'a> {
    let root = match id {
        "head" => match chain.head_slot.and_then(|s| chain.header_at_or_before(s)) {
            Some(h) => return BlockRef::Found(h, true),
            None => return BlockRef::Missing,
        },
        "genesis" => chain.genesis_block_root,
        "finalized" => Some(chain.checkpoints.finalized.root),
        "justified" => Some(chain.checkpoints.current_justified.root),
        _ if id.starts_with("0x") => match parse_root(id) {
            Some(r) => Some(r),
            None => return BlockRef::Invalid,
        },
        _ => match id.parse::<u64>() {
            Ok(slot) => {
                return match chain.headers.get(&slot) {
                    Some(h) => BlockRef::Found(h, true),
                    None => BlockRef::Missing,
                }
            }
            Err(_) => return BlockRef::Invalid,
        },
    };
    match root.and_then(|r| chain.header_by_root(&r)) {
        Some((h, canonical)) => BlockRef::Found(h, canonical),
        None => BlockRef::Missing,
    }
}

/// A resolved state id: (slot, state root).
fn resolve_state(chain: &ChainData, id: &str) -> Result<Option<(u64, Root)>, ()> {
    let spe = chain.slots_per_epoch.max(1);
    let slot = match id {
        "head" => chain.head_slot,
        "genesis" => Some(0),
        "finalized" => Some(chain.checkpoints.finalized.epoch * spe),
        "justified" => Some(chain.checkpoints.current_justified.epoch * spe),
        _ if id.starts_with("0x") => {
            let root = parse_root(id).ok_or(())?;
            if let Some(s) = chain.states.get(&root) {
                return Ok(Some((s.slot, root)));
            }
            return Ok(chain
                .state_roots
                .iter()
                .find(|(_, r)| **r == root)
                .map(|(s, r)| (*s, *r)));
        }
        _ => Some(id.parse::<u64>().map_err(|_| ())?),
    };
    Ok(slot.and_then(|s| chain.state_roots.get(&s).map(|r| (s, *r))))
}

/// The slot a request is about, for slot-ranged faults.
fn request_slot(chain: &ChainData, req: &Request, seg: &[&str]) -> Option<u64> {
    match seg {
        ["eth", "v1", "beacon", "headers"] => req.query_param("slot")?.parse().ok(),
        ["eth", "v1", "beacon", "headers", id]
        | ["eth", "v2", "beacon", "blocks", id]
        | ["eth", "v1", "beacon", "blocks", id, "root"]
        | ["eth", "v1", "beacon", "light_client", "bootstrap", id] => {
            match resolve_block(chain, id) {
                BlockRef::Found(h, _) => Some(h.slot),
                _ => id.parse().ok(),
            }
        }
        ["eth", "v2", "debug", "beacon", "states", id]
        | ["eth", "v1", "beacon", "states", id, "root"]
        | ["eth", "v1", "beacon", "states", id, "finality_checkpoints"] => {
            resolve_state(chain, id).ok().flatten().map(|(s, _)| s)
        }
        _ => None,
    }
}

impl Handler for Provider {
    fn handle(&self, req: &Request) -> Response {
        let mut resp = self.handle_inner(req);
        if !resp.header("Access-Control-Allow-Origin").is_some() {
            resp.set_header("Access-Control-Allow-Origin", "*");
        }
        resp
    }
}

impl Provider {
    fn handle_inner(&self, req: &Request) -> Response {
        if req.path == "/_devnet" || req.path.starts_with("/_devnet/") {
            let mut r = self.control(req);
            r.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
            return r;
        }
        if req.method == Method::Options {
            return preflight(req);
        }
        if req.method != Method::Get && req.method != Method::Head {
            return Response::error(405, "Method not allowed")
                .with_header("Allow", "GET, HEAD, OPTIONS");
        }
        let chain = self.shared.chain(self.index);
        let seg: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
        let slot = request_slot(&chain, req, &seg);
        let fired = self.shared.faults[self.index].fire(&req.path, slot);
        let has = |name: &str| fired.iter().any(|k| k.name() == name);
        for f in &fired {
            match f {
                FaultKind::Status { code, retry_after } => {
                    let mut r = Response::error(*code, "Injected fault");
                    if let Some(s) = retry_after {
                        r.set_header("Retry-After", &s.to_string());
                    }
                    r.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
                    // The node's CORS layer (`expose=eth`) covers injected answers too.
                    self.shared.behaviours[self.index].get().after(&seg, &mut r);
                    return r;
                }
                FaultKind::NoResponse { hold_ms } => {
                    let mut r = Response::error(500, "");
                    r.delivery = Delivery::NoResponse { hold_ms: *hold_ms };
                    return r;
                }
                _ => {}
            }
        }
        if seg == ["eth", "v1", "events"] {
            return self
                .events(req)
                .with_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        let behaviour = self.shared.behaviours[self.index].get();
        let mut req = req.clone();
        if let Err(mut r) = behaviour.before(&chain, &mut req, &seg) {
            r.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
            behaviour.after(&seg, &mut r);
            return r;
        }
        let mut resp = route(&chain, &req, &seg, &fired);
        resp.set_header("Vary", "Accept");
        if !has("no-expose") {
            resp.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        behaviour.after(&seg, &mut resp);
        apply_transport_faults(&mut resp, &fired);
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

    fn target(&self, req: &Request) -> Result<usize, Response> {
        match req.query_param("provider") {
            None => Ok(self.index),
            Some(p) => match p.parse::<usize>() {
                Ok(i) if i < self.shared.faults.len() => Ok(i),
                _ => Err(bad_request(&format!(
                    "expected a provider index below {}, got `{p}`",
                    self.shared.faults.len()
                ))),
            },
        }
    }

    fn control(&self, req: &Request) -> Response {
        if req.method == Method::Options {
            return preflight(req);
        }
        let target = match self.target(req) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let list = |t: usize| {
            let rules: Vec<_> = self.shared.faults[t]
                .list()
                .iter()
                .map(FaultRule::describe)
                .collect();
            Response::json(
                200,
                &serde_json::json!({ "provider": t, "chain": self.shared.chain(t).label, "faults": rules }),
            )
        };
        match (req.method, req.path.as_str()) {
            (Method::Get | Method::Head, "/_devnet/info") => {
                let info = self
                    .shared
                    .info
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                Response::json(200, &info)
            }
            (Method::Get | Method::Head, "/_devnet/faults") => list(target),
            (_, "/_devnet/behave") => self.behave(req, target),
            (Method::Delete, "/_devnet/faults") | (Method::Post, "/_devnet/faults/clear") => {
                self.shared.faults[target].clear();
                list(target)
            }
            (Method::Post, "/_devnet/faults") => {
                let parsed = if let Some(kind) = req.query_param("kind") {
                    let pairs: Vec<(String, String)> = req
                        .query
                        .iter()
                        .filter(|(k, _)| k != "kind")
                        .cloned()
                        .collect();
                    FaultRule::from_pairs(kind, &pairs)
                } else {
                    let text = String::from_utf8_lossy(&req.body).trim().to_string();
                    FaultRule::parse(&text)
                };
                match parsed {
                    Ok(rule) => {
                        self.shared.faults[target].add(rule);
                        list(target)
                    }
                    Err(e) => bad_request(&e.to_string()),
                }
            }
            (Method::Post, "/_devnet/chain") => {
                let Some(seed) = req.query_param("seed") else {
                    return bad_request("expected `seed=<u64>` or `seed=honest`");
                };
                if seed == "honest" {
                    self.shared.set_chain(target, self.shared.honest());
                    return list(target);
                }
                let Ok(seed) = seed.parse::<u64>() else {
                    return bad_request(&format!(
                        "expected `seed=<u64>` or `seed=honest`, got `{seed}`"
                    ));
                };
                let Some(factory) = &self.shared.factory else {
                    return Response::error(
                        501,
                        "this devnet cannot generate chains (replay mode)",
                    );
                };
                match factory(seed) {
                    Ok(c) => {
                        self.shared.set_chain(target, Arc::new(c));
                        list(target)
                    }
                    Err(e) => Response::error(500, &e),
                }
            }
            _ => not_found("unknown control endpoint"),
        }
    }
}

impl Provider {
    /// `/_devnet/behave`: lists, sets (query pairs or a text body) or resets provider `target`'s
    /// behaviours; answers the resulting settings.
    fn behave(&self, req: &Request, target: usize) -> Response {
        let set = &self.shared.behaviours[target];
        let result = match req.method {
            Method::Get | Method::Head => Ok(()),
            Method::Delete => set.update(|b| b.set("reset", "")),
            Method::Post => set.update(|b| {
                for (k, v) in req.query.iter().filter(|(k, _)| k != "provider") {
                    b.set(k, v)?;
                }
                b.apply_text(String::from_utf8_lossy(&req.body).trim())
            }),
            _ => return Response::error(405, "Method not allowed"),
        };
        match result {
            Ok(()) => Response::json(
                200,
                &serde_json::json!({ "provider": target, "behaviours": set.get().describe() }),
            ),
            Err(e) => bad_request(&e.to_string()),
        }
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

/// Meta fields of most GET responses.
fn envelope(chain: &ChainData, slot: u64, data: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "execution_optimistic": false,
        "finalized": chain.is_finalized_slot(slot),
        "data": data,
    })
}

fn apply_header_faults(
    h: &HeaderEntry,
    chain: &ChainData,
    fired: &[FaultKind],
) -> (HeaderEntry, bool) {
    let mut h = h.clone();
    let mut canonical = true;
    for f in fired {
        match f {
            FaultKind::HeaderRootMismatch => {
                h.body_root[31] ^= 0x01; // message changes, claimed root does not
            }
            FaultKind::BrokenParent => {
                h.parent_root[0] ^= 0xff;
                h.root = h.message_root();
            }
            FaultKind::NonCanonical => {
                if let Some(o) = chain.orphans.get(&h.slot) {
                    h = o.clone();
                } else {
                    // No recorded orphan at this slot: forge a sibling block that is self-consistent
                    // but not on the chain.
                    h.body_root[0] ^= 0xff;
                    h.root = h.message_root();
                }
                canonical = true; // presented as canonical: that is the lie
            }
            _ => {}
        }
    }
    (h, canonical)
}

fn route(chain: &ChainData, req: &Request, seg: &[&str], fired: &[FaultKind]) -> Response {
    let has = |name: &str| fired.iter().any(|k| k.name() == name);
    let accept = req.header("accept");
    if let Some(raw) = chain.raw.get(&req.path) {
        let data_fault = fired.iter().any(|k| {
            matches!(
                k,
                FaultKind::HeaderRootMismatch
                    | FaultKind::BrokenParent
                    | FaultKind::NonCanonical
                    | FaultKind::Withhold
            )
        });
        if !data_fault {
            if negotiate(accept, &[Media::Json]).is_none() {
                return not_acceptable();
            }
            let mut r = Response::new(200, Media::Json.mime(), Vec::new());
            r.body = Body::shared(raw.body.clone());
            if let Some(v) = &raw.version {
                r.set_header(VERSION_HEADER, v);
            }
            return r;
        }
    }
    match seg {
        ["eth", "v1", "node", "health"] => Response::new(200, "text/plain", Vec::new()),
        ["eth", "v1", "node", "version"] => Response::json(
            200,
            &serde_json::json!({ "data": { "version": chain.node_version } }),
        ),
        ["eth", "v1", "beacon", "genesis"] => {
            let Some(g) = &chain.genesis else {
                return not_found("Chain genesis info is not yet known");
            };
            let mut gvr = g.genesis_validators_root;
            if has("wrong-gvr") {
                gvr[31] ^= 0xff;
                gvr[0] ^= 0x5a;
            }
            Response::json(
                200,
                &serde_json::json!({ "data": {
                    "genesis_time": g.genesis_time.to_string(),
                    "genesis_validators_root": hex0x(&gvr),
                    "genesis_fork_version": hex0x(&g.genesis_fork_version),
                }}),
            )
        }
        ["eth", "v1", "config", "spec"] => {
            Response::json(200, &serde_json::json!({ "data": chain.spec }))
        }
        ["eth", "v1", "config", "fork_schedule"] => {
            let data: Vec<_> = chain
                .fork_schedule
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "previous_version": hex0x(&f.previous_version),
                        "current_version": hex0x(&f.current_version),
                        "epoch": f.epoch.to_string(),
                    })
                })
                .collect();
            Response::json(200, &serde_json::json!({ "data": data }))
        }
        ["eth", "v1", "beacon", "headers"] => {
            if negotiate(accept, &[Media::Json]).is_none() {
                return not_acceptable();
            }
            let mut out = Vec::new();
            let slot_q = req.query_param("slot");
            let parent_q = req.query_param("parent_root");
            let slot = match slot_q {
                Some(s) => match s.parse::<u64>() {
                    Ok(v) => Some(v),
                    Err(_) => {
                        return bad_request(&format!(
                            "Invalid slot: expected a decimal slot, got `{s}`"
                        ))
                    }
                },
                None => None,
            };
            let parent = match parent_q {
                Some(p) => match parse_root(p) {
                    Some(r) => Some(r),
                    None => {
                        return bad_request(&format!(
                            "Invalid parent_root: expected 0x + 64 hex digits, got `{p}`"
                        ))
                    }
                },
                None => None,
            };
            let candidates: Vec<(&HeaderEntry, bool)> = match (slot, parent) {
                (None, None) => chain
                    .head_slot
                    .and_then(|s| chain.header_at_or_before(s))
                    .map(|h| vec![(h, true)])
                    .unwrap_or_default(),
                (Some(s), _) => chain
                    .headers
                    .get(&s)
                    .map(|h| (h, true))
                    .into_iter()
                    .chain(chain.orphans.get(&s).map(|h| (h, false)))
                    .collect(),
                (None, Some(_)) => chain
                    .headers
                    .values()
                    .map(|h| (h, true))
                    .chain(chain.orphans.values().map(|h| (h, false)))
                    .collect(),
            };
            for (h, canonical) in candidates {
                if parent.is_some_and(|p| p != h.parent_root) {
                    continue;
                }
                if has("withhold") {
                    continue;
                }
                if canonical {
                    let (h2, c2) = apply_header_faults(h, chain, fired);
                    out.push(h2.data_json(c2));
                } else {
                    out.push(h.data_json(false));
                }
            }
            let finalized = slot.is_some_and(|s| chain.is_finalized_slot(s));
            Response::json(
                200,
                &serde_json::json!({ "execution_optimistic": false, "finalized": finalized, "data": out }),
            )
        }
        ["eth", "v1", "beacon", "headers", id] => {
            if negotiate(accept, &[Media::Json]).is_none() {
                return not_acceptable();
            }
            match resolve_block(chain, id) {
                BlockRef::Invalid => bad_request(&format!("Invalid block ID: {id}")),
                BlockRef::Missing => not_found("Block not found"),
                BlockRef::Found(_, _) if has("withhold") => not_found("Block not found"),
                BlockRef::Found(h, canonical) => {
                    let (h2, c2) = if canonical {
                        apply_header_faults(h, chain, fired)
                    } else {
                        (h.clone(), false)
                    };
                    Response::json(200, &envelope(chain, h.slot, h2.data_json(c2)))
                }
            }
        }
        ["eth", "v1", "beacon", "blocks", id, "root"] => match resolve_block(chain, id) {
            BlockRef::Invalid => bad_request(&format!("Invalid block ID: {id}")),
            BlockRef::Missing => not_found("Block not found"),
            BlockRef::Found(_, _) if has("withhold") => not_found("Block not found"),
            BlockRef::Found(h, _) => Response::json(
                200,
                &envelope(chain, h.slot, serde_json::json!({ "root": hex0x(&h.root) })),
            ),
        },
        ["eth", "v2", "beacon", "blocks", id] => match resolve_block(chain, id) {
            BlockRef::Invalid => bad_request(&format!("Invalid block ID: {id}")),
            BlockRef::Missing => not_found("Block not found"),
            BlockRef::Found(_, _) if has("withhold") => not_found("Block not found"),
            BlockRef::Found(h, _) => {
                let Some(b) = chain.blocks.get(&h.root) else {
                    return not_found("Block body not available (header only)");
                };
                let mut offered = Vec::new();
                if b.json.is_some() {
                    offered.push(Media::Json);
                }
                if b.ssz.is_some() {
                    offered.push(Media::Ssz);
                }
                let resp = match negotiate(accept, &offered) {
                    None => return not_acceptable(),
                    Some(Media::Json) => {
                        let mut env = envelope(chain, h.slot, b.json.clone().unwrap_or_default());
                        env["version"] = b.fork.clone().into();
                        Response::json(200, &env)
                    }
                    Some(Media::Ssz) => ssz_response(b.ssz.clone().unwrap_or_default()),
                };
                resp.with_header(VERSION_HEADER, &b.fork)
            }
        },
        ["eth", "v1", "beacon", "states", id, "root"] => match resolve_state(chain, id) {
            Err(()) => bad_request(&format!("Invalid state ID: {id}")),
            Ok(None) => not_found("State not found"),
            Ok(Some((slot, root))) => Response::json(
                200,
                &envelope(chain, slot, serde_json::json!({ "root": hex0x(&root) })),
            ),
        },
        ["eth", "v1", "beacon", "states", id, "finality_checkpoints"] => {
            match resolve_state(chain, id) {
                Err(()) => bad_request(&format!("Invalid state ID: {id}")),
                Ok(None) => not_found("State not found"),
                Ok(Some((slot, root))) => {
                    let cps = match chain.states.get(&root).and_then(|s| s.checkpoints) {
                        Some(c) => c,
                        None if Some(slot) == chain.head_slot => chain.checkpoints,
                        None => return not_found("State not retained by this node"),
                    };
                    Response::json(
                        200,
                        &envelope(
                            chain,
                            slot,
                            serde_json::json!({
                                "previous_justified": cps.previous_justified.json(),
                                "current_justified": cps.current_justified.json(),
                                "finalized": cps.finalized.json(),
                            }),
                        ),
                    )
                }
            }
        }
        ["eth", "v2", "debug", "beacon", "states", id] => match resolve_state(chain, id) {
            Err(()) => bad_request(&format!("Invalid state ID: {id}")),
            Ok(None) => not_found("State not found"),
            Ok(Some(_)) if has("withhold") => not_found("State not found"),
            Ok(Some((_, root))) => {
                let Some(state) = chain.states.get(&root) else {
                    return not_found("State not retained by this node");
                };
                // JSON is the API's default but only offered for small states (see
                // `chain::JSON_STATE_MAX_VALIDATORS`); SSZ always.
                let offered: &[Media] = if state.json.is_some() {
                    &[Media::Json, Media::Ssz]
                } else {
                    &[Media::Ssz]
                };
                match negotiate(accept, offered) {
                    None => return not_acceptable(),
                    Some(Media::Json) => {
                        let data = state.json.as_deref().map(Vec::as_slice).unwrap_or_default();
                        let mut out = format!(
                            "{{\"version\":\"{}\",\"execution_optimistic\":false,\"finalized\":{},\"data\":",
                            state.fork,
                            chain.is_finalized_slot(state.slot)
                        )
                        .into_bytes();
                        out.extend_from_slice(data);
                        out.push(b'}');
                        return Response::new(200, Media::Json.mime(), out)
                            .with_header(VERSION_HEADER, &state.fork);
                    }
                    Some(Media::Ssz) => {}
                }
                let mut body = Body::shared(state.ssz.clone());
                for f in fired {
                    if let FaultKind::FlipStateByte { offset } = f {
                        let len = body.bytes.len();
                        if len > 0 {
                            let off = offset.map(|o| o as usize).unwrap_or(len / 2).min(len - 1);
                            body.patch = Some((off, body.bytes[off] ^ 0xff));
                        }
                    }
                }
                let mut r = Response::new(200, Media::Ssz.mime(), Vec::new());
                r.body = body;
                r.with_header(VERSION_HEADER, &state.fork)
            }
        },
        ["eth", "v1", "beacon", "light_client", "bootstrap", id] => {
            let Some(root) = parse_root(id) else {
                return bad_request(&format!(
                    "Invalid block root: expected 0x + 64 hex digits, got `{id}`"
                ));
            };
            if has("withhold") {
                return not_found("LC bootstrap unavailable");
            }
            match chain.bootstraps.get(&root) {
                None => not_found("LC bootstrap unavailable"),
                Some(obj) => lc_single(obj, accept, fired),
            }
        }
        ["eth", "v1", "beacon", "light_client", "finality_update"] => {
            match &chain.finality_update {
                None => not_found("No LightClientFinalityUpdate is available for requested slot"),
                Some(obj) => lc_single(obj, accept, fired),
            }
        }
        ["eth", "v1", "beacon", "light_client", "optimistic_update"] => {
            match &chain.optimistic_update {
                None => not_found("No LightClientOptimisticUpdate is available for requested slot"),
                Some(obj) => lc_single(obj, accept, fired),
            }
        }
        ["eth", "v1", "beacon", "light_client", "updates"] => {
            let parse = |name: &str| -> Result<u64, Response> {
                match req.query_param(name) {
                    None => Err(bad_request(&format!("Missing `{name}` value"))),
                    Some(v) => v.parse().map_err(|_| {
                        bad_request(&format!(
                            "Invalid `{name}`: expected a decimal u64, got `{v}`"
                        ))
                    }),
                }
            };
            let start = match parse("start_period") {
                Ok(v) => v,
                Err(r) => return r,
            };
            let count = match parse("count") {
                Ok(v) => v,
                Err(r) => return r,
            };
            let count = count.min(MAX_REQUEST_LIGHT_CLIENT_UPDATES);
            let objs: Vec<&LcObject> = chain
                .updates
                .range(start..start.saturating_add(count))
                .map(|(_, o)| o)
                .collect();
            let all_ssz = objs.iter().all(|o| o.honest.ssz.is_some());
            let offered: &[Media] = if all_ssz {
                &[Media::Json, Media::Ssz]
            } else {
                &[Media::Json]
            };
            match negotiate(accept, offered) {
                None => not_acceptable(),
                Some(Media::Json) if !lc_fault(fired) && objs.iter().all(|o| o.raw.is_some()) => {
                    // Recorded elements, byte for byte.
                    let mut out = b"[".to_vec();
                    for (i, o) in objs.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(
                            o.raw.as_deref().map(Vec::as_slice).unwrap_or_default(),
                        );
                    }
                    out.push(b']');
                    Response::new(200, Media::Json.mime(), out)
                }
                Some(Media::Json) => {
                    let arr: Vec<_> = objs
                        .iter()
                        .map(|o| serde_json::json!({ "version": o.fork, "data": pick_form(o, fired).json }))
                        .collect();
                    Response::json(200, &serde_json::Value::Array(arr))
                }
                Some(Media::Ssz) => {
                    let mut out = Vec::new();
                    for o in objs {
                        let ssz = pick_form(o, fired).ssz.clone().unwrap_or_default();
                        out.extend_from_slice(&((ssz.len() + 4) as u64).to_le_bytes());
                        out.extend_from_slice(&o.fork_digest);
                        out.extend_from_slice(&ssz);
                    }
                    Response::new(200, Media::Ssz.mime(), out)
                }
            }
        }
        _ => not_found("Endpoint not found"),
    }
}

fn ssz_response(bytes: Arc<Vec<u8>>) -> Response {
    let mut r = Response::new(200, Media::Ssz.mime(), Vec::new());
    r.body = Body::shared(bytes);
    r
}

fn pick_form<'a>(obj: &'a LcObject, fired: &[FaultKind]) -> &'a LcForm {
    for f in fired {
        match f {
            FaultKind::BadLightClientSignature => {
                if let Some(b) = &obj.bad_signature {
                    return b;
                }
            }
            FaultKind::BadLightClientBranch => {
                if let Some(b) = &obj.bad_branch {
                    return b;
                }
            }
            _ => {}
        }
    }
    &obj.honest
}

fn lc_fault(fired: &[FaultKind]) -> bool {
    fired.iter().any(|k| {
        matches!(
            k,
            FaultKind::BadLightClientSignature | FaultKind::BadLightClientBranch
        )
    })
}

fn lc_single(obj: &LcObject, accept: Option<&str>, fired: &[FaultKind]) -> Response {
    let form = pick_form(obj, fired);
    let offered: &[Media] = if form.ssz.is_some() {
        &[Media::Json, Media::Ssz]
    } else {
        &[Media::Json]
    };
    let resp = match negotiate(accept, offered) {
        None => return not_acceptable(),
        Some(Media::Json) if !lc_fault(fired) && obj.raw.is_some() => {
            let mut r = Response::new(200, Media::Json.mime(), Vec::new());
            r.body = Body::shared(obj.raw.clone().unwrap_or_default());
            r
        }
        Some(Media::Json) => Response::json(
            200,
            &serde_json::json!({ "version": obj.fork, "data": form.json }),
        ),
        Some(Media::Ssz) => {
            Response::new(200, Media::Ssz.mime(), form.ssz.clone().unwrap_or_default())
        }
    };
    resp.with_header(VERSION_HEADER, &obj.fork)
}

/// Faults that act on the finished response: its headers, its bytes, or how they travel.
fn apply_transport_faults(resp: &mut Response, fired: &[FaultKind]) {
    for f in fired {
        match f {
            FaultKind::WrongVersion { version } => {
                if let Some(honest) = resp.header(VERSION_HEADER).map(str::to_string) {
                    let wrong = version.clone().unwrap_or_else(|| {
                        if honest == "electra" {
                            "fulu".into()
                        } else {
                            "electra".into()
                        }
                    });
                    resp.set_header(VERSION_HEADER, &wrong);
                }
            }
            FaultKind::MalformedJson if resp.header("Content-Type") == Some("application/json") => {
                let b = resp.body.bytes.as_slice();
                let mut out = b[..b.len() * 2 / 3].to_vec();
                out.extend_from_slice(b"\x01}{\"");
                resp.body = Body::new(out);
            }
            FaultKind::MalformedSsz if resp.header("Content-Type") == Some(Media::Ssz.mime()) => {
                // One byte short: no SSZ container whose last variable field has items wider than
                // a byte decodes, and every fixed-size type fails its length check.
                let b = resp.body.bytes.as_slice();
                let cut = b.len().saturating_sub(1);
                resp.body = Body::new(b[..cut].to_vec());
            }
            FaultKind::Oversize { extra } => resp.body.padding += extra,
            FaultKind::Truncate { bytes } => {
                let len = resp.body.len();
                resp.delivery = Delivery::Truncate {
                    bytes: bytes.unwrap_or(len / 2).min(len.saturating_sub(1)),
                };
            }
            FaultKind::Trickle { chunk, delay_ms } => {
                resp.delivery = Delivery::Trickle {
                    chunk: *chunk,
                    delay_ms: *delay_ms,
                };
            }
            FaultKind::ClaimLength {
                length,
                send,
                hold_ms,
            } => {
                resp.delivery = Delivery::Claim {
                    length: *length,
                    send: send.unwrap_or(resp.body.len()),
                    hold_ms: *hold_ms,
                };
            }
            FaultKind::NoLength { extra } => {
                // Without end: more spaces than any client reads before hanging up.
                resp.body.padding += extra.unwrap_or(1 << 50);
                resp.delivery = Delivery::CloseDelimited;
            }
            _ => {}
        }
    }
}
