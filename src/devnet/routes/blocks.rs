//! `v2/beacon/blocks/{block_id}` (JSON and SSZ), `beacon/blocks/{block_id}/root` and (Gloas)
//! `beacon/execution_payload_envelopes/{block_id}`.

use super::{
    envelope, enveloped, not_found, pick_media, resolve_block, shared_body, Answer, Call,
    VERSION_HEADER,
};
use crate::devnet::data::{hex0x, BlockEntry};
use crate::devnet::http::{Media, Response};

/// `/eth/v2/beacon/blocks/{block_id}`: in the forms the chain holds; 404 for a block known by its
/// header only (replayed ranges).
pub fn block(c: &Call) -> Answer {
    let (h, _) = resolve_block(c.chain, c.id)?;
    let b = c
        .chain
        .blocks
        .get(&h.root)
        .ok_or_else(|| not_found("Block body not available (header only)"))?;
    let offered: Vec<Media> = [
        (b.json.is_some(), Media::Json),
        (b.ssz.is_some(), Media::Ssz),
    ]
    .into_iter()
    .filter_map(|(held, m)| held.then_some(m))
    .collect();
    versioned(c, h.slot, b, &offered)
}

/// `/eth/v1/beacon/execution_payload_envelopes/{block_id}`: the block's signed envelope (JSON
/// or SSZ, `Eth-Consensus-Version: gloas`); 404 when the payload was withheld, or for a block
/// before Gloas, which has none.
pub fn payload_envelope(c: &Call) -> Answer {
    let (h, _) = resolve_block(c.chain, c.id)?;
    let e = c
        .chain
        .envelopes
        .get(&h.root)
        .ok_or_else(|| not_found("Execution payload envelope not found"))?;
    versioned(c, h.slot, e, &[Media::Json, Media::Ssz])
}

/// `entry` (a block or an envelope at `slot`) in the form of `offered` the request accepts: its
/// JSON in the [`envelope`] with a `version`, or its SSZ; `Eth-Consensus-Version` either way.
fn versioned(c: &Call, slot: u64, entry: &BlockEntry, offered: &[Media]) -> Answer {
    let resp = match pick_media(c, offered)? {
        Media::Json => {
            let mut env = envelope(c.chain, slot, entry.json.clone().unwrap_or_default());
            env["version"] = entry.fork.clone().into();
            Response::json(200, &env)
        }
        Media::Ssz => shared_body(Media::Ssz, entry.ssz.clone().unwrap_or_default()),
    };
    Ok(resp.with_header(VERSION_HEADER, &entry.fork))
}

/// `/eth/v1/beacon/blocks/{block_id}/root`.
pub fn root(c: &Call) -> Answer {
    let (h, _) = resolve_block(c.chain, c.id)?;
    enveloped(
        c.chain,
        h.slot,
        serde_json::json!({ "root": hex0x(h.root) }),
    )
}
