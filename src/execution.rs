//! The execution-layer block a verified beacon block commits to: what an app needs to check an
//! execution RPC (a block hash and number it can trust) without trusting that RPC.
//!
//! Two verified sources exist, and nothing else is ever taken:
//!
//! - an anchor state whose `hash_tree_root` was checked against its block header: its
//!   `latest_execution_payload_header` (Bellatrix on) is part of those hashed bytes, so it is read
//!   from the very buffer the root was computed over ([`from_state_view`]), never fetched again;
//! - a light-client header that passed `is_valid_light_client_header` (its `execution_branch`
//!   proves the payload header against the beacon block's `body_root`, Capella on):
//!   [`from_light_client_header`];
//! - a block whose root the client already trusts (a followed tip, linked by hash to the
//!   anchor): the provider's `SignedBeaconBlock` is taken only if it hashes to that root, and its
//!   `body.execution_payload` is read from it ([`from_signed_block`]).
//!
//! Gloas (EIP-7732) drops `latest_execution_payload_header` from the state: the payload travels
//! in a separate envelope that the state does not commit to. What a verified Gloas state does
//! hold is `latest_block_hash` (the latest payload delivered) and `latest_execution_payload_bid`
//! (the latest block's bid); [`gloas_payload_from_state_view`] reads both, and whether the
//! state already holds the bid's payload (FULL) or not (EMPTY; the block's own payload status is
//! then the envelope's to tell). An [`ExecutionBlock`] needs the block
//! number, state root, receipts root and timestamp, none of which the Gloas state holds, so a
//! Gloas anchor's `execution` stays absent rather than half-filled or taken from an unverified
//! envelope.
//!
//! Before the merge a Bellatrix payload header is all zeros (`is_merge_transition_complete` is
//! false while `block_hash` is zero); phase0 and Altair states and Altair-shaped light-client
//! headers have none. All of these give `None`: the field is then absent, never a zero block.

use crate::beacon_api::{ApiError, RawBody};
use crate::config::NetworkConfig;
use crate::merkle::{self, StateView};
pub use crate::store::ExecutionBlock;
use crate::types::light_client::LightClientHeader;
use crate::types::{Preset, Slot};

/// A 32-byte hash or root.
pub type Hash = [u8; 32];

/// Offsets of the fields read from an SSZ `ExecutionPayloadHeader` (identical in Bellatrix,
/// Capella, Deneb, Electra and Fulu: later forks append fields after `block_hash`'s fixed part),
/// and from an `ExecutionPayload`, whose fields up to `block_hash` are the header's.
/// parent_hash 0..32, fee_recipient 32..52, state_root 52..84, receipts_root 84..116,
/// logs_bloom 116..372, prev_randao 372..404, block_number 404..412, gas_limit 412..420,
/// gas_used 420..428, timestamp 428..436, extra_data offset 436..440, base_fee_per_gas 440..472,
/// block_hash 472..504, transactions_root 504..536.
mod offset {
    pub const STATE_ROOT: usize = 52;
    pub const RECEIPTS_ROOT: usize = 84;
    pub const BLOCK_NUMBER: usize = 404;
    pub const TIMESTAMP: usize = 428;
    pub const BLOCK_HASH: usize = 472;
    /// The end of Bellatrix's fixed part (the smallest header of any fork).
    pub const MIN_FIXED_LEN: usize = 536;
}

fn hash_at(b: &[u8], at: usize) -> Hash {
    let mut h = [0u8; 32];
    h.copy_from_slice(&b[at..at + 32]);
    h
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// The execution block of SSZ `ExecutionPayloadHeader` bytes of any fork from Bellatrix on;
/// `None` for bytes too short to be one or for a pre-merge (zero `block_hash`) header.
pub fn from_payload_header_ssz(bytes: &[u8]) -> Option<ExecutionBlock> {
    if bytes.len() < offset::MIN_FIXED_LEN {
        return None;
    }
    read_fields(bytes).merged()
}

/// The five fields at their offsets (the caller checked the length).
fn read_fields(bytes: &[u8]) -> ExecutionBlock {
    ExecutionBlock {
        block_hash: hash_at(bytes, offset::BLOCK_HASH),
        block_number: u64_at(bytes, offset::BLOCK_NUMBER),
        state_root: hash_at(bytes, offset::STATE_ROOT),
        receipts_root: hash_at(bytes, offset::RECEIPTS_ROOT),
        timestamp: u64_at(bytes, offset::TIMESTAMP),
    }
}

/// The state's `latest_execution_payload_header` as an execution block: `None` before Bellatrix,
/// before the merge, and from Gloas on (the field is gone; see the module docs). `view` must be
/// over the bytes whose root was verified.
pub fn from_state_view(view: &StateView) -> Option<ExecutionBlock> {
    view.field_bytes("latest_execution_payload_header")
        .and_then(from_payload_header_ssz)
}

/// The execution block of a payload or payload header value (its five fields are named alike
/// in every fork), before the pre-merge check.
macro_rules! execution_block {
    ($e:expr) => {
        ExecutionBlock {
            block_hash: $e.block_hash.0,
            block_number: $e.block_number,
            state_root: $e.state_root.0,
            receipts_root: $e.receipts_root.0,
            timestamp: $e.timestamp,
        }
    };
}

pub use crate::store::PayloadStatus;

/// The execution-layer fields of a verified Gloas state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GloasPayload {
    /// `latest_block_hash`: the block hash of the latest execution payload delivered.
    pub latest_block_hash: Hash,
    /// `latest_execution_payload_bid.block_hash`: the payload the latest block's bid committed to.
    pub bid_block_hash: Hash,
    /// FULL when the two agree: the state already holds the bid's payload. EMPTY otherwise,
    /// which from v1.7.0-alpha.13 is every post-block state (a payload is applied by the next
    /// block), whether the payload came or not: the block's own status then needs its envelope
    /// (see `crate::store::AnchorPayload`).
    pub status: PayloadStatus,
}

/// Offset of `block_hash` in an SSZ `ExecutionPayloadBid` (after `parent_block_hash` and
/// `parent_block_root`, 32 bytes each; both fixed-size).
const BID_BLOCK_HASH: usize = 64;

/// The Gloas execution fields of a state: `None` before Gloas. `view` must be over the bytes
/// whose root was verified (the bid's bytes were then validated by the merkleizer).
pub fn gloas_payload_from_state_view(view: &StateView) -> Option<GloasPayload> {
    let latest = view.field_bytes("latest_block_hash")?;
    let bid = view.field_bytes("latest_execution_payload_bid")?;
    if latest.len() != 32 || bid.len() < BID_BLOCK_HASH + 32 {
        return None;
    }
    let latest_block_hash = hash_at(latest, 0);
    let bid_block_hash = hash_at(bid, BID_BLOCK_HASH);
    Some(GloasPayload {
        latest_block_hash,
        bid_block_hash,
        status: if bid_block_hash == latest_block_hash {
            PayloadStatus::Full
        } else {
            PayloadStatus::Empty
        },
    })
}

/// The execution block of a light-client header. Call only after `is_valid_light_client_header`
/// held for it (that is what proves `execution` against the beacon header's `body_root`);
/// `None` for an Altair-shaped header and for the empty execution part of a pre-Capella block,
/// and for a Gloas-shaped header: it proves only the block hash, not the number, roots and
/// timestamp an [`ExecutionBlock`] holds.
pub fn from_light_client_header<P: Preset>(
    header: &LightClientHeader<P>,
) -> Option<ExecutionBlock> {
    match header {
        LightClientHeader::Altair(_) | LightClientHeader::Gloas(_) => None,
        LightClientHeader::Capella(h) => execution_block!(h.execution).merged(),
        LightClientHeader::Deneb(h) => execution_block!(h.execution).merged(),
    }
}

/// The execution block of the `SignedBeaconBlock` a provider served (`raw`, SSZ) for the block
/// `root` at `slot`, the third verified source: the bytes are read at the fork the network's
/// schedule gives `slot` (a different `Eth-Consensus-Version` is refused), and the block's
/// `message` must hash to `root`, a root the caller already trusts (a header linked to its tip);
/// only then is `body.execution_payload` read from those bytes. `Ok(None)`: a block without a
/// payload (before Bellatrix, or before the merge). A wrong fork or bytes that are not a block
/// are [`ApiError::Decode`]; a block of another root is [`ApiError::HeaderRootMismatch`]: both
/// are that provider's fault.
///
/// Why from bytes: the byte-level merkleizer and the schema the state root already uses cover
/// every fork and preset with one copy of code, where typed block decoders would add each fork's
/// operation containers, twice, to the wasm.
pub fn from_signed_block(
    network: &NetworkConfig,
    raw: &RawBody,
    root: &Hash,
    slot: Slot,
) -> Result<Option<ExecutionBlock>, ApiError> {
    let fork = network.fork_at_slot(slot);
    let decode = |reason: String| ApiError::Decode {
        url: raw.url.clone(),
        what: "SignedBeaconBlock",
        reason,
    };
    if let Some(named) = raw.consensus_version.filter(|named| *named != fork) {
        return Err(decode(format!(
            "expected the block of slot {slot} at fork {fork}, got Eth-Consensus-Version {named}"
        )));
    }
    let block = merkle::signed_beacon_block_schema(fork, network.preset);
    let (message, message_type) = merkle::field_at(block, &raw.body, &["message"])
        .map_err(|e| decode(e.to_string()))?
        .ok_or_else(|| decode("expected a message field".into()))?;
    let got = merkle::hash_tree_root(&message_type, message).map_err(|e| decode(e.to_string()))?;
    if got != *root {
        return Err(ApiError::HeaderRootMismatch {
            url: raw.url.clone(),
            expected: *root,
            got,
        });
    }
    let payload = merkle::field_at(&message_type, message, &["body", "execution_payload"])
        .map_err(|e| decode(e.to_string()))?;
    Ok(payload.and_then(|(bytes, _)| from_payload_ssz(bytes)))
}

/// The execution block of SSZ `ExecutionPayload` bytes (any fork from Bellatrix on: the fields
/// read sit at the same offsets as in the payload header); `None` before the merge.
fn from_payload_ssz(bytes: &[u8]) -> Option<ExecutionBlock> {
    if bytes.len() < offset::BLOCK_HASH + 32 {
        return None;
    }
    read_fields(bytes).merged()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_bytes(block_hash: u8) -> Vec<u8> {
        let mut b = vec![0u8; offset::MIN_FIXED_LEN];
        b[offset::STATE_ROOT..offset::STATE_ROOT + 32].fill(0x20);
        b[offset::RECEIPTS_ROOT..offset::RECEIPTS_ROOT + 32].fill(0x21);
        b[offset::BLOCK_NUMBER..offset::BLOCK_NUMBER + 8].copy_from_slice(&7u64.to_le_bytes());
        b[offset::TIMESTAMP..offset::TIMESTAMP + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
        b[offset::BLOCK_HASH..offset::BLOCK_HASH + 32].fill(block_hash);
        b
    }

    #[test]
    fn reads_the_fields_at_their_offsets() {
        let e = from_payload_header_ssz(&header_bytes(0x55)).unwrap();
        assert_eq!(e.block_hash, [0x55; 32]);
        assert_eq!(e.block_number, 7);
        assert_eq!(e.state_root, [0x20; 32]);
        assert_eq!(e.receipts_root, [0x21; 32]);
        assert_eq!(e.timestamp, 1 << 60);
        let j = e.to_json();
        assert_eq!(j["blockNumber"], "7");
        assert_eq!(j["timestamp"], (1u64 << 60).to_string());
        assert_eq!(j["blockHash"], format!("0x{}", "55".repeat(32)));
    }

    #[test]
    fn pre_merge_and_short_headers_are_absent() {
        assert_eq!(from_payload_header_ssz(&header_bytes(0)), None);
        assert_eq!(
            from_payload_header_ssz(&header_bytes(1)[..offset::MIN_FIXED_LEN - 1]),
            None
        );
    }
}
