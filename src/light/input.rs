//! Reading light-client data as Beacon API providers serve it: JSON envelopes
//! (`{"version", "data"}`, or an array of them for `light_client/updates`) and SSZ bodies.
//!
//! SSZ carries no fork tag of its own. A single object (bootstrap, finality or optimistic
//! update) is decoded with the fork the caller knows (`Eth-Consensus-Version`); without one,
//! each light-client shape is tried and the one whose header slot belongs to a fork of that
//! shape on this network wins. The `light_client/updates` stream tags every chunk with a fork
//! digest, which is checked against the digest the attested header's epoch implies.

use crate::config::BlobSchedule;
use crate::config::NetworkConfig;
use crate::light::error::LightClientError;
use crate::light::fork_digest::{compute_fork_digest, known_fork_digests};
use crate::light::sync_protocol::compute_epoch_at_slot;
use crate::types::light_client::{
    LightClientBootstrap, LightClientFinalityUpdate, LightClientOptimisticUpdate, LightClientUpdate,
};
use crate::types::{ForkName, Preset, Slot, TypesError};

/// Whether `bytes` look like JSON (first non-blank byte `{` or `[`) rather than SSZ.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

fn json_value(bytes: &[u8], what: &'static str) -> Result<serde_json::Value, LightClientError> {
    serde_json::from_slice(bytes).map_err(|e| LightClientError::Decode {
        what,
        reason: format!("expected JSON, got {e}"),
    })
}

/// The forks whose light-client shape differs, newest first, for shape probing.
const SHAPES: [ForkName; 5] = [
    ForkName::Gloas,
    ForkName::Electra,
    ForkName::Deneb,
    ForkName::Capella,
    ForkName::Altair,
];

fn same_shape(a: ForkName, b: ForkName) -> bool {
    let family = |f: ForkName| match f {
        ForkName::Phase0 => 0,
        ForkName::Altair | ForkName::Bellatrix => 1,
        ForkName::Capella => 2,
        ForkName::Deneb => 3,
        ForkName::Electra | ForkName::Fulu => 4,
        ForkName::Gloas => 5,
    };
    family(a) == family(b)
}

/// Decodes SSZ of a light-client type without a fork tag: tries each shape and keeps the one
/// whose slot (read by `slot_of`) the network assigns to a fork of that shape; the value is
/// re-tagged with that exact fork (e.g. Bellatrix, Fulu).
fn decode_untagged<T>(
    config: &NetworkConfig,
    bytes: &[u8],
    what: &'static str,
    decode: impl Fn(ForkName, &[u8]) -> Result<T, TypesError>,
    slot_of: impl Fn(&T) -> Slot,
) -> Result<T, LightClientError> {
    let mut last_err = None;
    for shape in SHAPES {
        match decode(shape, bytes) {
            Ok(value) => {
                let fork = config.fork_at_slot(slot_of(&value));
                if same_shape(fork, shape) {
                    return if fork == shape {
                        Ok(value)
                    } else {
                        decode(fork, bytes).map_err(LightClientError::from)
                    };
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(LightClientError::Decode {
        what,
        reason: match last_err {
            Some(e) => format!("expected SSZ of an altair..gloas {what} for this network, got {e}"),
            None => format!(
                "expected SSZ of an altair..gloas {what} whose slot matches its fork on this network, got a slot of another fork"
            ),
        },
    })
}

/// A bootstrap from a JSON envelope or SSZ (`fork` from `Eth-Consensus-Version` if known).
pub fn parse_bootstrap<P: Preset>(
    config: &NetworkConfig,
    bytes: &[u8],
    fork: Option<ForkName>,
) -> Result<LightClientBootstrap<P>, LightClientError> {
    if looks_like_json(bytes) {
        return Ok(LightClientBootstrap::from_versioned_json(json_value(
            bytes,
            "LightClientBootstrap",
        )?)?);
    }
    match fork {
        Some(f) => Ok(LightClientBootstrap::from_ssz_bytes(f, bytes)?),
        None => decode_untagged(
            config,
            bytes,
            "LightClientBootstrap",
            LightClientBootstrap::from_ssz_bytes,
            |b| b.header().beacon().slot,
        ),
    }
}

/// A finality update from a JSON envelope or SSZ.
pub fn parse_finality_update<P: Preset>(
    config: &NetworkConfig,
    bytes: &[u8],
    fork: Option<ForkName>,
) -> Result<LightClientFinalityUpdate<P>, LightClientError> {
    if looks_like_json(bytes) {
        return Ok(LightClientFinalityUpdate::from_versioned_json(json_value(
            bytes,
            "LightClientFinalityUpdate",
        )?)?);
    }
    match fork {
        Some(f) => Ok(LightClientFinalityUpdate::from_ssz_bytes(f, bytes)?),
        None => decode_untagged(
            config,
            bytes,
            "LightClientFinalityUpdate",
            LightClientFinalityUpdate::from_ssz_bytes,
            |u| u.parts().attested_header.beacon().slot,
        ),
    }
}

/// An optimistic update from a JSON envelope or SSZ.
pub fn parse_optimistic_update<P: Preset>(
    config: &NetworkConfig,
    bytes: &[u8],
    fork: Option<ForkName>,
) -> Result<LightClientOptimisticUpdate<P>, LightClientError> {
    if looks_like_json(bytes) {
        return Ok(LightClientOptimisticUpdate::from_versioned_json(
            json_value(bytes, "LightClientOptimisticUpdate")?,
        )?);
    }
    match fork {
        Some(f) => Ok(LightClientOptimisticUpdate::from_ssz_bytes(f, bytes)?),
        None => decode_untagged(
            config,
            bytes,
            "LightClientOptimisticUpdate",
            LightClientOptimisticUpdate::from_ssz_bytes,
            |u| u.parts().attested_header.beacon().slot,
        ),
    }
}

/// `light_client/updates` as JSON: an array of envelopes (a single envelope is accepted too).
pub fn parse_updates_json<P: Preset>(
    bytes: &[u8],
) -> Result<Vec<LightClientUpdate<P>>, LightClientError> {
    match json_value(bytes, "LightClientUpdate list")? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| LightClientUpdate::from_versioned_json(v).map_err(LightClientError::from))
            .collect(),
        single => Ok(vec![LightClientUpdate::from_versioned_json(single)?]),
    }
}

/// `light_client/updates` as SSZ: repeated `[u64 LE length][4-byte fork digest][payload]`, the
/// length counting digest + payload. The digest selects the payload type and must equal
/// `compute_fork_digest` at the epoch of the decoded update's attested header.
pub fn parse_updates_ssz<P: Preset>(
    config: &NetworkConfig,
    blobs: &BlobSchedule,
    bytes: &[u8],
) -> Result<Vec<LightClientUpdate<P>>, LightClientError> {
    let digests = known_fork_digests(config, blobs);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut index = 0usize;
    while !rest.is_empty() {
        if rest.len() < 8 {
            return Err(LightClientError::TruncatedStream {
                index,
                expected: 8,
                got: rest.len() as u64,
            });
        }
        let len = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
        rest = &rest[8..];
        if len < 4 || len > rest.len() as u64 {
            return Err(LightClientError::TruncatedStream {
                index,
                expected: len.max(4),
                got: rest.len() as u64,
            });
        }
        let (chunk, tail) = rest.split_at(len as usize);
        rest = tail;
        let got: [u8; 4] = chunk[..4].try_into().expect("4 bytes");
        let Some(&(_, fork, _)) = digests.iter().find(|(d, _, _)| *d == got) else {
            // No fork of this network has that digest: name the digest the network is at now
            // would be guesswork, so report the first known one (Altair's) as "expected".
            let expected = digests.first().map(|d| d.0).unwrap_or([0; 4]);
            return Err(LightClientError::ForkDigestMismatch {
                index,
                expected,
                got,
            });
        };
        let update = LightClientUpdate::<P>::from_ssz_bytes(fork, &chunk[4..])?;
        let epoch = compute_epoch_at_slot::<P>(update.attested_beacon().slot);
        let expected = compute_fork_digest(config, blobs, epoch);
        if expected != got {
            return Err(LightClientError::ForkDigestMismatch {
                index,
                expected,
                got,
            });
        }
        out.push(update);
        index += 1;
    }
    Ok(out)
}

/// Encodes updates as the `light_client/updates` SSZ stream (the devnet serves this).
pub fn encode_updates_ssz<P: Preset>(
    config: &NetworkConfig,
    blobs: &BlobSchedule,
    updates: &[LightClientUpdate<P>],
) -> Vec<u8> {
    let mut out = Vec::new();
    for u in updates {
        let payload = u.as_ssz_bytes();
        let epoch = compute_epoch_at_slot::<P>(u.attested_beacon().slot);
        out.extend_from_slice(&((payload.len() + 4) as u64).to_le_bytes());
        out.extend_from_slice(&compute_fork_digest(config, blobs, epoch));
        out.extend_from_slice(&payload);
    }
    out
}

/// Updates from a file body: JSON (array or envelope) or the SSZ stream.
pub fn parse_updates<P: Preset>(
    config: &NetworkConfig,
    blobs: &BlobSchedule,
    bytes: &[u8],
) -> Result<Vec<LightClientUpdate<P>>, LightClientError> {
    if looks_like_json(bytes) {
        parse_updates_json(bytes)
    } else {
        parse_updates_ssz(config, blobs, bytes)
    }
}
