//! `beacon/states/{state_id}/root`, `…/finality_checkpoints` and `v2/debug/beacon/states/{state_id}`.
//!
//! Roots answer for any slot the chain knows; full states only for the states retained (see
//! [`crate::devnet::chain`]), as a pruning node answers.

use super::{
    enveloped, not_found, pick_media, resolve_state, shared_body, Answer, Call, VERSION_HEADER,
};
use crate::devnet::data::hex0x;
use crate::devnet::http::{Media, Response};

/// `/eth/v1/beacon/states/{state_id}/root`.
pub fn root(c: &Call) -> Answer {
    let (slot, root) = resolve_state(c.chain, c.id)?;
    enveloped(c.chain, slot, serde_json::json!({ "root": hex0x(root) }))
}

/// `/eth/v1/beacon/states/{state_id}/fork`: the fork of the state's epoch, from the schedule.
pub fn fork(c: &Call) -> Answer {
    let chain = c.chain;
    let (slot, _) = resolve_state(chain, c.id)?;
    let epoch = slot / chain.slots_per_epoch.max(1);
    let f = chain
        .fork_schedule
        .iter()
        .rfind(|f| f.epoch <= epoch)
        .ok_or_else(|| not_found("State not found"))?;
    // A chain that starts in a fork records it as both versions (the genesis state's `fork`);
    // a fork at a later epoch keeps the one it upgraded from (`upgrade_to_*`).
    let previous = if f.epoch == 0 {
        f.current_version
    } else {
        f.previous_version
    };
    enveloped(
        chain,
        slot,
        serde_json::json!({
            "previous_version": hex0x(previous),
            "current_version": hex0x(f.current_version),
            "epoch": f.epoch.to_string(),
        }),
    )
}

/// `/eth/v1/beacon/states/{state_id}/finality_checkpoints`: the state's own checkpoints (the head
/// state's for the head).
pub fn finality_checkpoints(c: &Call) -> Answer {
    let chain = c.chain;
    let (slot, root) = resolve_state(c.chain, c.id)?;
    let cps = match chain.states.get(&root).and_then(|s| s.checkpoints) {
        Some(cps) => cps,
        None if Some(slot) == chain.head_slot => chain.checkpoints,
        None => return Err(not_found("State not retained by this node")),
    };
    enveloped(
        chain,
        slot,
        serde_json::json!({
            "previous_justified": cps.previous_justified.json(),
            "current_justified": cps.current_justified.json(),
            "finalized": cps.finalized.json(),
        }),
    )
}

/// `/eth/v2/debug/beacon/states/{state_id}`: SSZ always; JSON, the API's default, only for
/// states small enough to hold it (see `chain::JSON_STATE_MAX_VALIDATORS`).
pub fn state(c: &Call) -> Answer {
    let (_, root) = resolve_state(c.chain, c.id)?;
    let s = c
        .chain
        .states
        .get(&root)
        .ok_or_else(|| not_found("State not retained by this node"))?;
    let offered: &[Media] = if s.json.is_some() {
        &[Media::Json, Media::Ssz]
    } else {
        &[Media::Ssz]
    };
    let resp = match pick_media(c, offered)? {
        Media::Json => {
            // The stored `data` is spliced in as bytes: a state is too large to re-serialise.
            let data = s.json.as_deref().map(Vec::as_slice).unwrap_or_default();
            let mut out = format!(
                "{{\"version\":\"{}\",\"execution_optimistic\":false,\"finalized\":{},\"data\":",
                s.fork,
                c.chain.is_finalized_slot(s.slot)
            )
            .into_bytes();
            out.extend_from_slice(data);
            out.push(b'}');
            Response::new(200, Media::Json.mime(), out)
        }
        Media::Ssz => shared_body(Media::Ssz, s.ssz.clone()),
    };
    Ok(resp.with_header(VERSION_HEADER, &s.fork))
}
