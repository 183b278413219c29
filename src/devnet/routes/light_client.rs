//! The four `beacon/light_client` endpoints, in JSON and SSZ (the `updates` SSZ form is the
//! length-prefixed stream with fork digests of the beacon-APIs spec).
//!
//! Each object is held in its honest form and, for generated chains, in forged forms (a
//! signature or a branch that does not verify); [`Call::forged`] says which to serve, so the
//! fault layer can ask the same route for a forged answer. Recorded objects (replay) are served
//! byte for byte unless a forged form is asked for.

use super::{bad_request, not_found, pick_media, Answer, Call, VERSION_HEADER};
use crate::devnet::data::{parse_root, LcForm, LcObject};
use crate::devnet::http::{Body, Media, Response};

/// `MAX_REQUEST_LIGHT_CLIENT_UPDATES` (consensus-specs altair/light-client/p2p-interface.md).
pub const MAX_REQUEST_LIGHT_CLIENT_UPDATES: u64 = 128;

/// A forged form of a light-client object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    /// A sync-aggregate signature that does not verify.
    BadSignature,
    /// One Merkle-branch node changed.
    BadBranch,
}

/// The first asked-for forged form the object holds, else its honest form.
fn pick<'a>(obj: &'a LcObject, forged: &[Forgery]) -> &'a LcForm {
    forged
        .iter()
        .find_map(|f| match f {
            Forgery::BadSignature => obj.bad_signature.as_ref(),
            Forgery::BadBranch => obj.bad_branch.as_ref(),
        })
        .unwrap_or(&obj.honest)
}

/// `/eth/v1/beacon/light_client/bootstrap/{block_root}`.
pub fn bootstrap(c: &Call) -> Answer {
    let root = parse_root(c.id).ok_or_else(|| {
        bad_request(&format!(
            "Invalid block root: expected 0x + 64 hex digits, got `{}`",
            c.id
        ))
    })?;
    let obj = c
        .chain
        .bootstraps
        .get(&root)
        .ok_or_else(|| not_found("LC bootstrap unavailable"))?;
    single(c, obj)
}

/// `/eth/v1/beacon/light_client/finality_update`.
pub fn finality_update(c: &Call) -> Answer {
    let obj =
        c.chain.finality_update.as_ref().ok_or_else(|| {
            not_found("No LightClientFinalityUpdate is available for requested slot")
        })?;
    single(c, obj)
}

/// `/eth/v1/beacon/light_client/optimistic_update`.
pub fn optimistic_update(c: &Call) -> Answer {
    let obj = c.chain.optimistic_update.as_ref().ok_or_else(|| {
        not_found("No LightClientOptimisticUpdate is available for requested slot")
    })?;
    single(c, obj)
}

/// One object as `{"version", "data"}` JSON or bare SSZ, with `Eth-Consensus-Version`.
fn single(c: &Call, obj: &LcObject) -> Answer {
    let form = pick(obj, c.forged);
    let offered: &[Media] = if form.ssz.is_some() {
        &[Media::Json, Media::Ssz]
    } else {
        &[Media::Json]
    };
    let resp = match (pick_media(c, offered)?, &obj.raw) {
        (Media::Json, Some(raw)) if c.forged.is_empty() => {
            let mut r = Response::new(200, Media::Json.mime(), Vec::new());
            r.body = Body::shared(raw.clone());
            r
        }
        (Media::Json, _) => Response::json(
            200,
            &serde_json::json!({ "version": obj.fork, "data": form.json }),
        ),
        (Media::Ssz, _) => {
            Response::new(200, Media::Ssz.mime(), form.ssz.clone().unwrap_or_default())
        }
    };
    Ok(resp.with_header(VERSION_HEADER, &obj.fork))
}

/// A required decimal `u64` query parameter.
fn query_u64(c: &Call, name: &str) -> Result<u64, Response> {
    let v = c
        .req
        .query_param(name)
        .ok_or_else(|| bad_request(&format!("Missing `{name}` value")))?;
    v.parse().map_err(|_| {
        bad_request(&format!(
            "Invalid `{name}`: expected a decimal u64, got `{v}`"
        ))
    })
}

/// `/eth/v1/beacon/light_client/updates?start_period=&count=`: the periods held in the range,
/// at most `MAX_REQUEST_LIGHT_CLIENT_UPDATES`.
pub fn updates(c: &Call) -> Answer {
    let start = query_u64(c, "start_period")?;
    let count = query_u64(c, "count")?.min(MAX_REQUEST_LIGHT_CLIENT_UPDATES);
    let objs: Vec<&LcObject> = c
        .chain
        .updates
        .range(start..start.saturating_add(count))
        .map(|(_, o)| o)
        .collect();
    let offered: &[Media] = if objs.iter().all(|o| o.honest.ssz.is_some()) {
        &[Media::Json, Media::Ssz]
    } else {
        &[Media::Json]
    };
    let recorded = c.forged.is_empty() && objs.iter().all(|o| o.raw.is_some());
    Ok(match pick_media(c, offered)? {
        Media::Json if recorded => {
            // Recorded elements, byte for byte.
            let mut out = b"[".to_vec();
            for (i, o) in objs.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(o.raw.as_deref().map(Vec::as_slice).unwrap_or_default());
            }
            out.push(b']');
            Response::new(200, Media::Json.mime(), out)
        }
        Media::Json => {
            let arr: Vec<_> = objs
                .iter()
                .map(|o| serde_json::json!({ "version": o.fork, "data": pick(o, c.forged).json }))
                .collect();
            Response::json(200, &serde_json::Value::Array(arr))
        }
        Media::Ssz => {
            let mut out = Vec::new();
            for o in objs {
                let ssz = pick(o, c.forged).ssz.clone().unwrap_or_default();
                out.extend_from_slice(&((ssz.len() + 4) as u64).to_le_bytes());
                out.extend_from_slice(&o.fork_digest);
                out.extend_from_slice(&ssz);
            }
            Response::new(200, Media::Ssz.mime(), out)
        }
    })
}
