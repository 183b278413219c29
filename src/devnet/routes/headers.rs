//! `beacon/headers` (`?slot=`, `?parent_root=`) and `beacon/headers/{block_id}`: JSON only, as
//! the API defines them.

use super::{bad_request, enveloped, pick_media, resolve_block, Answer, Call};
use crate::devnet::data::{parse_root, HeaderEntry};
use crate::devnet::http::{Media, Response};

/// `/eth/v1/beacon/headers`: the head header with no filter; the canonical header and any orphan
/// at `slot`; every header whose parent is `parent_root`.
pub fn list(c: &Call) -> Answer {
    pick_media(c, &[Media::Json])?;
    let chain = c.chain;
    let slot = match c.req.query_param("slot") {
        None => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            bad_request(&format!("Invalid slot: expected a decimal slot, got `{s}`"))
        })?),
    };
    let parent = match c.req.query_param("parent_root") {
        None => None,
        Some(p) => Some(parse_root(p).ok_or_else(|| {
            bad_request(&format!(
                "Invalid parent_root: expected 0x + 64 hex digits, got `{p}`"
            ))
        })?),
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
    let data: Vec<_> = candidates
        .into_iter()
        .filter(|(h, _)| parent.is_none_or(|p| p == h.parent_root))
        .map(|(h, canonical)| h.data_json(canonical))
        .collect();
    let finalized = slot.is_some_and(|s| chain.is_finalized_slot(s));
    Ok(Response::json(
        200,
        &serde_json::json!({ "execution_optimistic": false, "finalized": finalized, "data": data }),
    ))
}

/// `/eth/v1/beacon/headers/{block_id}`.
pub fn one(c: &Call) -> Answer {
    pick_media(c, &[Media::Json])?;
    let (h, canonical) = resolve_block(c.chain, c.id)?;
    enveloped(c.chain, h.slot, h.data_json(canonical))
}
