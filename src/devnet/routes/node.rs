//! `node/health` and `node/version`.

use super::{Answer, Call};
use crate::devnet::http::Response;

/// `/eth/v1/node/health`: 200, empty (a synced node).
pub fn health(_: &Call) -> Answer {
    Ok(Response::new(200, "text/plain", Vec::new()))
}

/// `/eth/v1/node/version`.
pub fn version(c: &Call) -> Answer {
    Ok(Response::json(
        200,
        &serde_json::json!({ "data": { "version": c.chain.node_version } }),
    ))
}
