//! The honest Beacon API answers, one module per group of endpoints and one dispatch table.
//!
//! Every route is a pure function of the chain snapshot and the request: it answers what an
//! honest, fully synced node holding [`ChainData`] would answer, and knows nothing about faults
//! or behaviours. Those wrap the answer from outside ([`super::inject`], [`super::behave`]), so
//! that the table below is the whole of what the devnet serves.
//!
//! Recorded responses (replay) are served byte for byte ahead of the table.

mod blocks;
mod config;
mod headers;
pub mod light_client;
mod node;
mod states;

pub use light_client::{Forgery, MAX_REQUEST_LIGHT_CLIENT_UPDATES};

use super::data::{parse_root, ChainData, HeaderEntry, Root};
use super::http::{negotiate, Body, Media, Request, Response};

/// The `Eth-Consensus-Version` header name.
pub const VERSION_HEADER: &str = "Eth-Consensus-Version";

/// Every endpoint the table serves; the fault layer keys its transforms on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    Version,
    Genesis,
    Spec,
    ForkSchedule,
    Headers,
    Header,
    Block,
    BlockRoot,
    Envelope,
    StateFork,
    StateRoot,
    FinalityCheckpoints,
    State,
    Bootstrap,
    FinalityUpdate,
    OptimisticUpdate,
    Updates,
}

/// A route's answer: `Err` carries an early error response, so that routes can use `?`.
pub type Answer = Result<Response, Response>;

/// One entry of the dispatch table: a path pattern (`{id}` stands for one segment).
pub struct Route {
    pub pattern: &'static str,
    pub endpoint: Endpoint,
    pub serve: fn(&Call) -> Answer,
}

/// What a route is given: the snapshot, the request and the pattern's `{id}` (empty if none).
pub struct Call<'a> {
    pub chain: &'a ChainData,
    pub req: &'a Request,
    pub id: &'a str,
    /// Which stored light-client forms to serve; empty for the honest answer (see [`Forgery`]).
    pub forged: &'a [Forgery],
}

#[rustfmt::skip]
const ROUTES: &[Route] = {
    use Endpoint::*;
    &[
        route("/eth/v1/node/health", Health, node::health),
        route("/eth/v1/node/version", Version, node::version),
        route("/eth/v1/beacon/genesis", Genesis, config::genesis),
        route("/eth/v1/config/spec", Spec, config::spec),
        route("/eth/v1/config/fork_schedule", ForkSchedule, config::fork_schedule),
        route("/eth/v1/beacon/headers", Headers, headers::list),
        route("/eth/v1/beacon/headers/{id}", Header, headers::one),
        route("/eth/v2/beacon/blocks/{id}", Block, blocks::block),
        route("/eth/v1/beacon/blocks/{id}/root", BlockRoot, blocks::root),
        route("/eth/v1/beacon/execution_payload_envelopes/{id}", Envelope, blocks::payload_envelope),
        route("/eth/v1/beacon/states/{id}/fork", StateFork, states::fork),
        route("/eth/v1/beacon/states/{id}/root", StateRoot, states::root),
        route("/eth/v1/beacon/states/{id}/finality_checkpoints", FinalityCheckpoints, states::finality_checkpoints),
        route("/eth/v2/debug/beacon/states/{id}", State, states::state),
        route("/eth/v1/beacon/light_client/bootstrap/{id}", Bootstrap, light_client::bootstrap),
        route("/eth/v1/beacon/light_client/finality_update", FinalityUpdate, light_client::finality_update),
        route("/eth/v1/beacon/light_client/optimistic_update", OptimisticUpdate, light_client::optimistic_update),
        route("/eth/v1/beacon/light_client/updates", Updates, light_client::updates),
    ]
};

const fn route(pattern: &'static str, endpoint: Endpoint, serve: fn(&Call) -> Answer) -> Route {
    Route {
        pattern,
        endpoint,
        serve,
    }
}

/// A request path matched to its route.
#[derive(Clone, Copy)]
pub struct Matched<'a> {
    pub route: &'static Route,
    pub id: &'a str,
}

/// The route of `path` (empty segments ignored, as servers do), with its `{id}`.
pub fn find(path: &str) -> Option<Matched<'_>> {
    let seg: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    ROUTES.iter().find_map(|route| {
        let pat: Vec<&str> = route.pattern.split('/').filter(|s| !s.is_empty()).collect();
        if pat.len() != seg.len() {
            return None;
        }
        let mut id = "";
        for (p, s) in pat.iter().zip(&seg) {
            match *p {
                "{id}" => id = s,
                _ if p != s => return None,
                _ => {}
            }
        }
        Some(Matched { route, id })
    })
}

/// The honest answer to `req`: a recorded response if there is one, else the matched route's.
pub fn serve(chain: &ChainData, req: &Request, matched: Option<Matched>) -> Response {
    if let Some(raw) = chain.raw.get(&req.path) {
        if negotiate(req.header("accept"), &[Media::Json]).is_none() {
            return not_acceptable();
        }
        let mut r = shared_body(Media::Json, raw.body.clone());
        if let Some(v) = &raw.version {
            r.set_header(VERSION_HEADER, v);
        }
        return r;
    }
    let Some(m) = matched else {
        return not_found("Endpoint not found");
    };
    let call = Call {
        chain,
        req,
        id: m.id,
        forged: &[],
    };
    (m.route.serve)(&call).unwrap_or_else(|e| e)
}

/// The slot a request is about (for slot-ranged faults): `?slot=` of the headers list, the
/// block or state its id names, else none.
pub fn request_slot(chain: &ChainData, req: &Request, m: &Matched) -> Option<u64> {
    match m.route.endpoint {
        Endpoint::Headers => req.query_param("slot")?.parse().ok(),
        Endpoint::Header
        | Endpoint::Block
        | Endpoint::BlockRoot
        | Endpoint::Envelope
        | Endpoint::Bootstrap => match resolve_block(chain, m.id) {
            Ok((h, _)) => Some(h.slot),
            Err(_) => m.id.parse().ok(),
        },
        Endpoint::StateRoot
        | Endpoint::FinalityCheckpoints
        | Endpoint::StateFork
        | Endpoint::State => resolve_state(chain, m.id).ok().map(|(s, _)| s),
        _ => None,
    }
}

pub fn not_found(msg: &str) -> Response {
    Response::error(404, msg)
}

pub fn bad_request(msg: &str) -> Response {
    Response::error(400, msg)
}

pub fn not_acceptable() -> Response {
    Response::error(406, "Accepted media type not supported")
}

/// The media type to answer in, or 406.
fn pick_media(c: &Call, offered: &[Media]) -> Result<Media, Response> {
    negotiate(c.req.header("accept"), offered).ok_or_else(not_acceptable)
}

/// A 200 whose body is shared bytes of `media`.
fn shared_body(media: Media, bytes: std::sync::Arc<Vec<u8>>) -> Response {
    let mut r = Response::new(200, media.mime(), Vec::new());
    r.body = Body::shared(bytes);
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

/// A 200 whose JSON body is `data` at `slot` in the [`envelope`].
fn enveloped(chain: &ChainData, slot: u64, data: serde_json::Value) -> Answer {
    Ok(Response::json(200, &envelope(chain, slot, data)))
}

/// The header a block id names (and whether it is canonical), or the 400/404 answer.
fn resolve_block<'a>(chain: &'a ChainData, id: &str) -> Result<(&'a HeaderEntry, bool), Response> {
    let missing = || not_found("Block not found");
    let invalid = || bad_request(&format!("Invalid block ID: {id}"));
    let root = match id {
        "head" => {
            let head = chain.head_slot.and_then(|s| chain.header_at_or_before(s));
            return head.map(|h| (h, true)).ok_or_else(missing);
        }
        "genesis" => chain.genesis_block_root,
        "finalized" => Some(chain.checkpoints.finalized.root),
        "justified" => Some(chain.checkpoints.current_justified.root),
        _ if id.starts_with("0x") => Some(parse_root(id).ok_or_else(invalid)?),
        _ => {
            let slot = id.parse::<u64>().map_err(|_| invalid())?;
            return chain
                .headers
                .get(&slot)
                .map(|h| (h, true))
                .ok_or_else(missing);
        }
    };
    root.and_then(|r| chain.header_by_root(&r))
        .ok_or_else(missing)
}

/// The (slot, state root) a state id names, or the 400/404 answer.
fn resolve_state(chain: &ChainData, id: &str) -> Result<(u64, Root), Response> {
    let spe = chain.slots_per_epoch.max(1);
    let missing = || not_found("State not found");
    let invalid = || bad_request(&format!("Invalid state ID: {id}"));
    let slot = match id {
        "head" => chain.head_slot,
        "genesis" => Some(0),
        "finalized" | "justified" => {
            let cp = match id {
                "finalized" => chain.checkpoints.finalized,
                _ => chain.checkpoints.current_justified,
            };
            match chain.by_root.get(&cp.root) {
                // A Gloas node: the checkpoint block's post-state, not advanced to the boundary.
                Some(&(slot, _))
                    if chain.block_states_from_epoch.is_some_and(|e| cp.epoch >= e) =>
                {
                    Some(slot)
                }
                _ => Some(cp.epoch * spe),
            }
        }
        _ if id.starts_with("0x") => {
            let root = parse_root(id).ok_or_else(invalid)?;
            if let Some(s) = chain.states.get(&root) {
                return Ok((s.slot, root));
            }
            let found = chain.state_roots.iter().find(|(_, r)| **r == root);
            return found.map(|(s, r)| (*s, *r)).ok_or_else(missing);
        }
        _ => Some(id.parse::<u64>().map_err(|_| invalid())?),
    };
    slot.and_then(|s| chain.state_roots.get(&s).map(|r| (s, *r)))
        .ok_or_else(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_whole_paths_only() {
        let m = find("/eth/v1/beacon/headers/0xab").unwrap();
        assert_eq!(m.route.endpoint, Endpoint::Header);
        assert_eq!(m.id, "0xab");
        let m = find("/eth/v1/beacon/states/head/finality_checkpoints").unwrap();
        assert_eq!(
            (m.route.endpoint, m.id),
            (Endpoint::FinalityCheckpoints, "head")
        );
        assert_eq!(
            find("/eth/v1/beacon/headers").unwrap().route.endpoint,
            Endpoint::Headers
        );
        assert!(find("/eth/v1/beacon/headers/1/extra").is_none());
        assert!(find("/eth/v1/beacon/states/head").is_none());
        assert!(find("/eth/v1/events").is_none());
    }
}
