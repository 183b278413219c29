//! The devnet's control endpoint, `/_devnet/…`, on every provider; never faulted, never part of
//! the Beacon API.
//!
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

use std::sync::Arc;

use super::api::Shared;
use super::faults::FaultRule;
use super::http::{Method, Request, Response};
use super::routes::bad_request;

/// Answers a `/_devnet` request received by provider `index`.
pub fn handle(shared: &Shared, index: usize, req: &Request) -> Response {
    let target = match target(shared, index, req) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match (req.method, req.path.as_str()) {
        (Method::Get | Method::Head, "/_devnet/info") => Response::json(200, &shared.info()),
        (Method::Get | Method::Head, "/_devnet/faults") => list(shared, target),
        (_, "/_devnet/behave") => behave(shared, target, req),
        (Method::Delete, "/_devnet/faults") | (Method::Post, "/_devnet/faults/clear") => {
            shared.faults[target].clear();
            list(shared, target)
        }
        (Method::Post, "/_devnet/faults") => add_fault(shared, target, req),
        (Method::Post, "/_devnet/chain") => set_chain(shared, target, req),
        _ => Response::error(404, "unknown control endpoint"),
    }
}

/// The provider a control request is about: `?provider=I`, else the one that received it.
fn target(shared: &Shared, index: usize, req: &Request) -> Result<usize, Response> {
    let Some(p) = req.query_param("provider") else {
        return Ok(index);
    };
    let count = shared.faults.len();
    p.parse::<usize>()
        .ok()
        .filter(|i| *i < count)
        .ok_or_else(|| {
            bad_request(&format!(
                "expected a provider index below {count}, got `{p}`"
            ))
        })
}

/// Provider `t`'s chain label and fault rules.
fn list(shared: &Shared, t: usize) -> Response {
    let rules: Vec<_> = shared.faults[t]
        .list()
        .iter()
        .map(FaultRule::describe)
        .collect();
    Response::json(
        200,
        &serde_json::json!({ "provider": t, "chain": shared.chain(t).label, "faults": rules }),
    )
}

/// `POST /_devnet/faults`: a rule from the query (`kind=…`) or from a text body.
fn add_fault(shared: &Shared, target: usize, req: &Request) -> Response {
    let parsed = match req.query_param("kind") {
        Some(kind) => {
            let pairs: Vec<(String, String)> = req
                .query
                .iter()
                .filter(|(k, _)| k != "kind")
                .cloned()
                .collect();
            FaultRule::from_pairs(kind, &pairs)
        }
        None => FaultRule::parse(String::from_utf8_lossy(&req.body).trim()),
    };
    match parsed {
        Ok(rule) => {
            shared.faults[target].add(rule);
            list(shared, target)
        }
        Err(e) => bad_request(&e.to_string()),
    }
}

/// `POST /_devnet/chain?seed=X|honest`: makes provider `target` a consistent liar, or honest again.
fn set_chain(shared: &Shared, target: usize, req: &Request) -> Response {
    const EXPECTED: &str = "expected `seed=<u64>` or `seed=honest`";
    let Some(seed) = req.query_param("seed") else {
        return bad_request(EXPECTED);
    };
    if seed == "honest" {
        shared.set_chain(target, shared.honest());
        return list(shared, target);
    }
    let Ok(seed) = seed.parse::<u64>() else {
        return bad_request(&format!("{EXPECTED}, got `{seed}`"));
    };
    let Some(factory) = &shared.factory else {
        return Response::error(501, "this devnet cannot generate chains (replay mode)");
    };
    match factory(seed) {
        Ok(c) => {
            shared.set_chain(target, Arc::new(c));
            list(shared, target)
        }
        Err(e) => Response::error(500, &e),
    }
}

/// `/_devnet/behave`: lists, sets (query pairs or a text body) or resets provider `target`'s
/// behaviours; answers the resulting settings.
fn behave(shared: &Shared, target: usize, req: &Request) -> Response {
    let set = &shared.behaviours[target];
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
