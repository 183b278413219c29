//! Plain-Rust parsing and checking of Beacon API answers, shared by every transport.

use serde::Deserialize;
use tree_hash::TreeHash;

use super::{parse_consensus_version, ApiError, HttpResponse, Root, CONSENSUS_VERSION_HEADER};
use crate::types::phase0::{BeaconBlockHeader, Checkpoint, SignedBeaconBlockHeader};
use crate::types::serde_helpers::quoted_u64;
use crate::types::{ForkName, Version, B256};

/// How much of an error body is quoted in an error message, in characters.
const ERROR_BODY_QUOTE_CHARS: usize = 200;

/// `/eth/v1/beacon/genesis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Genesis {
    /// Genesis time, in unix seconds.
    pub genesis_time: u64,
    /// `genesis_validators_root`: identifies the network.
    pub genesis_validators_root: Root,
    /// `GENESIS_FORK_VERSION`.
    pub genesis_fork_version: [u8; 4],
}

/// One block header from `/eth/v1/beacon/headers/{block_id}`, its root already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The block root: `hash_tree_root(header)`, equal to the `root` the node claimed.
    pub root: Root,
    /// Whether the node says the block is on its canonical chain (informational only).
    pub canonical: bool,
    /// The header message.
    pub header: BeaconBlockHeader,
    /// The proposer's signature over the header (96 bytes, not verified here).
    pub signature: [u8; 96],
}

impl HeaderInfo {
    /// The 112-byte SSZ encoding of [`Self::header`] (what the store keeps).
    pub fn ssz_bytes(&self) -> [u8; 112] {
        let mut out = [0u8; 112];
        out[0..8].copy_from_slice(&self.header.slot.to_le_bytes());
        out[8..16].copy_from_slice(&self.header.proposer_index.to_le_bytes());
        out[16..48].copy_from_slice(self.header.parent_root.as_slice());
        out[48..80].copy_from_slice(self.header.state_root.as_slice());
        out[80..112].copy_from_slice(self.header.body_root.as_slice());
        out
    }
}

/// `/eth/v1/beacon/states/{state_id}/finality_checkpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct FinalityCheckpoints {
    /// The previous justified checkpoint.
    pub previous_justified: Checkpoint,
    /// The current justified checkpoint.
    pub current_justified: Checkpoint,
    /// The finalized checkpoint.
    pub finalized: Checkpoint,
}

/// A state's SSZ bytes as served, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SszState {
    /// The request.
    pub url: String,
    /// The fork named by `Eth-Consensus-Version`, or `None` when the header is absent (a
    /// browser hides it unless the node lists it in `Access-Control-Expose-Headers`).
    pub consensus_version: Option<ForkName>,
    /// The SSZ `BeaconState`.
    pub bytes: Vec<u8>,
}

/// A body handed on undecoded (light-client objects, decoded by `crate::light`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody {
    /// The request.
    pub url: String,
    /// The fork named by `Eth-Consensus-Version`, if the node sent (and CORS exposed) it.
    pub consensus_version: Option<ForkName>,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct GenesisJson {
    #[serde(with = "quoted_u64")]
    genesis_time: u64,
    genesis_validators_root: B256,
    genesis_fork_version: Version,
}

#[derive(Deserialize)]
struct HeaderJson {
    root: B256,
    #[serde(default = "default_true")]
    canonical: bool,
    header: SignedBeaconBlockHeader,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
struct ErrorJson {
    message: Option<String>,
}

fn decode_json<'a, T: Deserialize<'a>>(
    url: &str,
    what: &'static str,
    body: &'a [u8],
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        url: url.to_string(),
        what,
        reason: format!("expected {what} JSON, got {e}"),
    })
}

fn error_message(body: &[u8]) -> String {
    if let Ok(ErrorJson { message: Some(m) }) = serde_json::from_slice(body) {
        return m;
    }
    String::from_utf8_lossy(body)
        .chars()
        .take(ERROR_BODY_QUOTE_CHARS)
        .collect()
}

fn status_error(url: &str, resp: &HttpResponse) -> ApiError {
    ApiError::HttpStatus {
        url: url.to_string(),
        status: resp.status,
        // Only the delta-seconds form; an HTTP-date gives `None` (the caller backs off itself).
        retry_after_seconds: resp
            .header("retry-after")
            .and_then(|v| v.trim().parse().ok()),
        message: error_message(&resp.body),
    }
}

/// The response if its status is 200, else [`ApiError::HttpStatus`].
pub(super) fn expect_ok(url: &str, resp: HttpResponse) -> Result<HttpResponse, ApiError> {
    if resp.status == 200 {
        Ok(resp)
    } else {
        Err(status_error(url, &resp))
    }
}

/// `Some(response)` for 200, `None` for 404, else [`ApiError::HttpStatus`].
pub(super) fn expect_optional(
    url: &str,
    resp: HttpResponse,
) -> Result<Option<HttpResponse>, ApiError> {
    match resp.status {
        200 => Ok(Some(resp)),
        404 => Ok(None),
        _ => Err(status_error(url, &resp)),
    }
}

pub(super) fn genesis(url: &str, body: &[u8]) -> Result<Genesis, ApiError> {
    let env: Envelope<GenesisJson> = decode_json(url, "genesis", body)?;
    Ok(Genesis {
        genesis_time: env.data.genesis_time,
        genesis_validators_root: env.data.genesis_validators_root.0,
        genesis_fork_version: env.data.genesis_fork_version.0,
    })
}

pub(super) fn spec(
    url: &str,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let env: Envelope<serde_json::Map<String, serde_json::Value>> =
        decode_json(url, "config/spec", body)?;
    Ok(env.data)
}

pub(super) fn header(url: &str, body: &[u8]) -> Result<HeaderInfo, ApiError> {
    let env: Envelope<HeaderJson> = decode_json(url, "block header", body)?;
    let message = env.data.header.message;
    let computed = message.tree_hash_root().0;
    let claimed = env.data.root.0;
    if computed != claimed {
        return Err(ApiError::HeaderRootMismatch {
            url: url.to_string(),
            expected: claimed,
            got: computed,
        });
    }
    Ok(HeaderInfo {
        root: computed,
        canonical: env.data.canonical,
        header: message,
        signature: env.data.header.signature.0,
    })
}

pub(super) fn finality_checkpoints(
    url: &str,
    body: &[u8],
) -> Result<FinalityCheckpoints, ApiError> {
    let env: Envelope<FinalityCheckpoints> = decode_json(url, "finality checkpoints", body)?;
    Ok(env.data)
}

fn consensus_version(url: &str, resp: &HttpResponse) -> Result<Option<ForkName>, ApiError> {
    resp.header(CONSENSUS_VERSION_HEADER)
        .map(|v| parse_consensus_version(url, v))
        .transpose()
}

pub(super) fn ssz_state(url: &str, resp: HttpResponse) -> Result<SszState, ApiError> {
    if let Some(ct) = resp.header("content-type") {
        if !ct.trim().starts_with(super::ACCEPT_SSZ) {
            return Err(ApiError::Decode {
                url: url.to_string(),
                what: "state body",
                reason: format!("expected Content-Type {}, got {ct}", super::ACCEPT_SSZ),
            });
        }
    }
    Ok(SszState {
        url: url.to_string(),
        consensus_version: consensus_version(url, &resp)?,
        bytes: resp.body,
    })
}

pub(super) fn raw_body(url: &str, resp: HttpResponse) -> Result<RawBody, ApiError> {
    Ok(RawBody {
        url: url.to_string(),
        consensus_version: consensus_version(url, &resp)?,
        content_type: resp.header("content-type").map(str::to_string),
        body: resp.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// Real Holesky header responses (fixtures: gear-bridges historical_proxy): every root
    /// checks, each links to the previous one, and the first one's parent is the block whose
    /// root the fixture README gives (0x6296355e…, slot 2498456).
    #[test]
    fn real_holesky_headers_parse_link_and_check_their_roots() {
        let dir = crate::ssz_io::require_fixtures_dir()
            .join("gear-bridges/tests/src/historical_proxy/headers");
        let mut parent: Option<Root> = None;
        for slot in 2_498_457u64..=2_498_464 {
            let name = format!("holesky-header-2_498_{}.json", slot - 2_498_000);
            let bytes = std::fs::read(dir.join(&name))
                .unwrap_or_else(|e| panic!("cannot read {name} in {}: {e}", dir.display()));
            let h = header("test", &bytes).unwrap();
            assert_eq!(h.header.slot, slot);
            match parent {
                None => assert!(hex::encode(h.header.parent_root).starts_with("6296355e")),
                Some(p) => assert_eq!(h.header.parent_root.0, p, "slot {slot}"),
            }
            parent = Some(h.root);
            // Tamper with the message: the claimed root no longer matches.
            let mut tampered: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            tampered["data"]["header"]["message"]["proposer_index"] = "1".into();
            let err = header("test", &serde_json::to_vec(&tampered).unwrap()).unwrap_err();
            assert_eq!(err.code(), "HEADER_ROOT_MISMATCH", "{err}");
        }
    }

    #[test]
    fn statuses_and_retry_after() {
        let r = resp(
            503,
            &[("Retry-After", "7")],
            r#"{"code":503,"message":"busy"}"#,
        );
        let err = expect_ok("u", r).unwrap_err();
        assert_eq!(
            err,
            ApiError::HttpStatus {
                url: "u".into(),
                status: 503,
                retry_after_seconds: Some(7),
                message: "busy".into()
            }
        );
        assert!(expect_optional("u", resp(404, &[], "")).unwrap().is_none());
        assert!(expect_optional("u", resp(500, &[], "x")).is_err());
    }

    #[test]
    fn genesis_and_bad_json() {
        let body = r#"{"data":{"genesis_time":"1606824023","genesis_validators_root":"0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95","genesis_fork_version":"0x00000000"}}"#;
        let g = genesis("u", body.as_bytes()).unwrap();
        assert_eq!(g.genesis_time, 1606824023);
        assert_eq!(g.genesis_validators_root[0], 0x4b);
        let err = genesis("u", b"{\"data\":{").unwrap_err();
        assert_eq!(err.code(), "DECODE");
        assert!(err.to_string().contains("expected genesis JSON"), "{err}");
    }

    #[test]
    fn ssz_state_reads_the_fork_header() {
        let r = resp(
            200,
            &[
                ("Content-Type", "application/octet-stream"),
                ("Eth-Consensus-Version", "electra"),
            ],
            "abc",
        );
        let s = ssz_state("u", r).unwrap();
        assert_eq!(s.consensus_version, Some(ForkName::Electra));
        let r = resp(200, &[("Eth-Consensus-Version", "gloas2")], "abc");
        assert_eq!(ssz_state("u", r).unwrap_err().code(), "DECODE");
        let r = resp(200, &[("Content-Type", "application/json")], "{}");
        assert_eq!(ssz_state("u", r).unwrap_err().code(), "DECODE");
    }
}
