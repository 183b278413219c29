//! What a client learns about the network before any block: `beacon/genesis`, `config/spec`
//! and `config/fork_schedule`.

use super::{not_found, Answer, Call};
use crate::devnet::data::hex0x;
use crate::devnet::http::Response;

/// `/eth/v1/beacon/genesis`; 404 while the genesis is unknown, as a node before genesis answers.
pub fn genesis(c: &Call) -> Answer {
    let g = c
        .chain
        .genesis
        .as_ref()
        .ok_or_else(|| not_found("Chain genesis info is not yet known"))?;
    Ok(Response::json(
        200,
        &serde_json::json!({ "data": {
            "genesis_time": g.genesis_time.to_string(),
            "genesis_validators_root": hex0x(g.genesis_validators_root),
            "genesis_fork_version": hex0x(g.genesis_fork_version),
        }}),
    ))
}

/// `/eth/v1/config/spec`.
pub fn spec(c: &Call) -> Answer {
    Ok(Response::json(
        200,
        &serde_json::json!({ "data": c.chain.spec }),
    ))
}

/// `/eth/v1/config/fork_schedule`.
pub fn fork_schedule(c: &Call) -> Answer {
    let data: Vec<_> = c
        .chain
        .fork_schedule
        .iter()
        .map(|f| {
            serde_json::json!({
                "previous_version": hex0x(f.previous_version),
                "current_version": hex0x(f.current_version),
                "epoch": f.epoch.to_string(),
            })
        })
        .collect();
    Ok(Response::json(200, &serde_json::json!({ "data": data })))
}
