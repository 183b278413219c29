//! Faults as a wrapper around the honest answer: the routes ([`super::routes`]) never see a
//! fault; this layer, given the request and the kinds that fired for it, answers instead of the
//! route, rewrites what the route answered, or changes how the bytes travel.
//!
//! Three stages, in the order the provider applies them:
//! - [`Injected::replacement`]: `status` and `no-response` answer before any route runs;
//! - [`Injected::content`]: the lies about data (`withhold`, the header faults, `wrong-gvr`,
//!   `flip-state`, the light-client forgeries) transform the route's response;
//! - [`Injected::transport`]: headers, framing and pacing of the finished response.

use super::data::{hex0x, parse_root, ChainData, HeaderEntry};
use super::faults::{FaultKind, FaultSet};
use super::http::{Body, Delivery, Media, Request, Response};
use super::routes::{self, Call, Endpoint, Forgery, Matched, VERSION_HEADER};

/// The fault kinds firing for one request.
pub struct Injected {
    fired: Vec<FaultKind>,
}

impl Injected {
    /// Fires `set`'s rules for this request (counting them down).
    pub fn fire(set: &FaultSet, chain: &ChainData, req: &Request, m: Option<&Matched>) -> Self {
        let slot = m.and_then(|m| routes::request_slot(chain, req, m));
        Injected {
            fired: set.fire(&req.path, slot),
        }
    }

    fn has(&self, kind: &FaultKind) -> bool {
        self.fired
            .iter()
            .any(|k| std::mem::discriminant(k) == std::mem::discriminant(kind))
    }

    /// `no-expose`: the response goes without `Access-Control-Expose-Headers`.
    pub fn hides_exposed_headers(&self) -> bool {
        self.has(&FaultKind::NoExposeHeader)
    }

    /// The answer given instead of routing, if a fault says so.
    pub fn replacement(&self) -> Option<Response> {
        self.fired.iter().find_map(|f| match f {
            FaultKind::Status { code, retry_after } => {
                let r = Response::error(*code, "Injected fault");
                Some(match retry_after {
                    Some(s) => r.with_header("Retry-After", &s.to_string()),
                    None => r,
                })
            }
            FaultKind::NoResponse { hold_ms } => {
                let mut r = Response::error(500, "");
                r.delivery = Delivery::NoResponse { hold_ms: *hold_ms };
                Some(r)
            }
            _ => None,
        })
    }

    /// The route's response as the faulty provider serves it. `req` is the request as routed.
    pub fn content(
        &self,
        chain: &ChainData,
        req: &Request,
        m: Option<&Matched>,
        mut resp: Response,
    ) -> Response {
        let Some(m) = m else { return resp };
        let endpoint = m.route.endpoint;
        if self.has(&FaultKind::Withhold) {
            if let Some(r) = withhold(endpoint, &mut resp) {
                return r;
            }
        }
        match endpoint {
            Endpoint::Headers | Endpoint::Header if resp.status == 200 => {
                let forged: Vec<&FaultKind> =
                    self.fired.iter().filter(|k| is_header_fault(k)).collect();
                if !forged.is_empty() {
                    rewrite_json(&mut resp, |v| forge_headers(chain, &forged, &mut v["data"]));
                }
            }
            Endpoint::Genesis
                if resp.status == 200 && self.has(&FaultKind::WrongGenesisValidatorsRoot) =>
            {
                rewrite_json(&mut resp, wrong_gvr);
            }
            Endpoint::State if resp.header("Content-Type") == Some(Media::Ssz.mime()) => {
                for f in &self.fired {
                    if let FaultKind::FlipStateByte { offset } = f {
                        flip_byte(&mut resp.body, *offset);
                    }
                }
            }
            Endpoint::Bootstrap
            | Endpoint::FinalityUpdate
            | Endpoint::OptimisticUpdate
            | Endpoint::Updates => {
                let forged: Vec<Forgery> = self.fired.iter().filter_map(forgery).collect();
                if !forged.is_empty() {
                    let call = Call {
                        chain,
                        req,
                        id: m.id,
                        forged: &forged,
                    };
                    return (m.route.serve)(&call).unwrap_or_else(|e| e);
                }
            }
            _ => {}
        }
        resp
    }

    /// Faults that act on the finished response: its headers, its bytes, or how they travel.
    pub fn transport(&self, resp: &mut Response) {
        for f in &self.fired {
            match f {
                FaultKind::WrongVersion { version } => {
                    if let Some(honest) = resp.header(VERSION_HEADER) {
                        let wrong = match version {
                            Some(v) => v.clone(),
                            None if honest == "electra" => "fulu".into(),
                            None => "electra".into(),
                        };
                        resp.set_header(VERSION_HEADER, &wrong);
                    }
                }
                FaultKind::MalformedJson
                    if resp.header("Content-Type") == Some(Media::Json.mime()) =>
                {
                    let b = resp.body.bytes.as_slice();
                    let mut out = b[..b.len() * 2 / 3].to_vec();
                    out.extend_from_slice(b"\x01}{\"");
                    resp.body = Body::new(out);
                }
                FaultKind::MalformedSsz
                    if resp.header("Content-Type") == Some(Media::Ssz.mime()) =>
                {
                    // One byte short: no SSZ container whose last variable field has items wider
                    // than a byte decodes, and every fixed-size type fails its length check.
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
}

/// `withhold`: an existing block, header, payload envelope, state or bootstrap is answered 404 (a
/// malformed id keeps its 400); the headers list comes back empty. `None` where the endpoint
/// holds nothing to withhold.
fn withhold(endpoint: Endpoint, resp: &mut Response) -> Option<Response> {
    let message = match endpoint {
        Endpoint::Headers => {
            if resp.status == 200 {
                rewrite_json(resp, |v| v["data"] = serde_json::json!([]));
            }
            return None;
        }
        Endpoint::Header | Endpoint::Block | Endpoint::BlockRoot => "Block not found",
        // A node that has the block but not (yet) its payload: what a withheld payload gives.
        Endpoint::Envelope => "Execution payload envelope not found",
        Endpoint::State => "State not found",
        Endpoint::Bootstrap => "LC bootstrap unavailable",
        _ => return None,
    };
    (resp.status != 400).then(|| routes::not_found(message))
}

fn is_header_fault(k: &FaultKind) -> bool {
    matches!(
        k,
        FaultKind::HeaderRootMismatch | FaultKind::BrokenParent | FaultKind::NonCanonical
    )
}

fn forgery(k: &FaultKind) -> Option<Forgery> {
    match k {
        FaultKind::BadLightClientSignature => Some(Forgery::BadSignature),
        FaultKind::BadLightClientBranch => Some(Forgery::BadBranch),
        _ => None,
    }
}

/// Replaces a JSON body by `f` applied to it; a body that is not JSON is left alone.
fn rewrite_json(resp: &mut Response, f: impl FnOnce(&mut serde_json::Value)) {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&resp.body.bytes) else {
        return;
    };
    f(&mut v);
    resp.body = Body::new(serde_json::to_vec(&v).unwrap_or_default());
}

/// `wrong-gvr`: another genesis_validators_root.
fn wrong_gvr(v: &mut serde_json::Value) {
    let field = &mut v["data"]["genesis_validators_root"];
    if let Some(mut gvr) = field.as_str().and_then(parse_root) {
        gvr[31] ^= 0xff;
        gvr[0] ^= 0x5a;
        *field = hex0x(gvr).into();
    }
}

/// `flip-state`: one byte XOR-ed with 0xff (default: the middle one).
fn flip_byte(body: &mut Body, offset: Option<u64>) {
    let len = body.bytes.len();
    if len > 0 {
        let off = offset.map_or(len / 2, |o| o as usize).min(len - 1);
        body.patch = Some((off, body.bytes[off] ^ 0xff));
    }
}

/// Applies the header faults to each canonical header of a headers response's `data` (one object
/// or a list); orphans stay as they are.
fn forge_headers(chain: &ChainData, faults: &[&FaultKind], data: &mut serde_json::Value) {
    let entries: Vec<&mut serde_json::Value> = match data {
        serde_json::Value::Array(items) => items.iter_mut().collect(),
        one => vec![one],
    };
    for d in entries {
        if d["canonical"] != true {
            continue;
        }
        let found = d["root"].as_str().and_then(parse_root);
        if let Some((h, _)) = found.and_then(|r| chain.header_by_root(&r)) {
            *d = forge_header(h, chain, faults).data_json(true);
        }
    }
}

/// A canonical header as a faulty provider presents it (always as canonical: that is the lie).
fn forge_header(h: &HeaderEntry, chain: &ChainData, faults: &[&FaultKind]) -> HeaderEntry {
    let mut h = h.clone();
    for f in faults {
        match f {
            FaultKind::HeaderRootMismatch => {
                h.body_root[31] ^= 0x01; // message changes, claimed root does not
            }
            FaultKind::BrokenParent => {
                h.parent_root[0] ^= 0xff;
                h.root = h.message_root();
            }
            FaultKind::NonCanonical => match chain.orphans.get(&h.slot) {
                Some(o) => h = o.clone(),
                // No recorded orphan at this slot: forge a sibling block that is self-consistent
                // but not on the chain.
                None => {
                    h.body_root[0] ^= 0xff;
                    h.root = h.message_root();
                }
            },
            _ => {}
        }
    }
    h
}
