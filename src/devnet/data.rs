//! What a provider serves: one immutable snapshot of a chain, filled either by the generator
//! ([`super::chain`]) or by replaying recorded responses ([`super::replay`]).
//!
//! Everything here is already in wire form (JSON values, SSZ bytes) so that the request path does
//! no consensus work: the routing layer only looks things up, and faults only mutate copies.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use crate::types::hex0x;
use sha2::{Digest, Sha256};

pub use crate::types::Root;

/// Parses `0x` + 64 hex digits.
pub fn parse_root(s: &str) -> Option<Root> {
    crate::types::parse_hex0x(s)
}

/// A signed beacon block header as served by `/eth/v1/beacon/headers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderEntry {
    pub slot: u64,
    pub proposer_index: u64,
    pub parent_root: Root,
    pub state_root: Root,
    pub body_root: Root,
    pub signature: [u8; 96],
    /// The root the server claims; honest entries carry `hash_tree_root(message)`.
    pub root: Root,
}

impl HeaderEntry {
    /// `hash_tree_root(BeaconBlockHeader)`: five fields padded to eight 32-byte leaves. The devnet
    /// needs it to re-seal headers it alters on purpose (the `broken-parent` fault); clients check
    /// the result with their own implementation.
    pub fn message_root(&self) -> Root {
        let mut leaves = [[0u8; 32]; 8];
        leaves[0][..8].copy_from_slice(&self.slot.to_le_bytes());
        leaves[1][..8].copy_from_slice(&self.proposer_index.to_le_bytes());
        leaves[2] = self.parent_root;
        leaves[3] = self.state_root;
        leaves[4] = self.body_root;
        merkleize_leaves(&leaves)
    }

    pub fn message_json(&self) -> serde_json::Value {
        serde_json::json!({
            "slot": self.slot.to_string(),
            "proposer_index": self.proposer_index.to_string(),
            "parent_root": hex0x(self.parent_root),
            "state_root": hex0x(self.state_root),
            "body_root": hex0x(self.body_root),
        })
    }

    /// The `data` object of a headers response.
    pub fn data_json(&self, canonical: bool) -> serde_json::Value {
        serde_json::json!({
            "root": hex0x(self.root),
            "canonical": canonical,
            "header": { "message": self.message_json(), "signature": hex0x(self.signature) },
        })
    }
}

/// The root of a Merkle tree over `leaves` (padded with zero leaves to a power of two).
pub fn merkleize_leaves(leaves: &[Root]) -> Root {
    tree_levels(leaves).last().map_or([0; 32], |top| top[0])
}

/// All levels of a Merkle tree over `leaves` (padded with zero leaves to a power of two), from
/// the leaves up to the root.
pub fn tree_levels(leaves: &[Root]) -> Vec<Vec<Root>> {
    let n = leaves.len().next_power_of_two().max(1);
    let mut level = leaves.to_vec();
    level.resize(n, [0; 32]);
    let mut levels = vec![level];
    while let Some(prev) = levels.last().filter(|l| l.len() > 1) {
        let next = prev
            .chunks(2)
            .map(|p| {
                Sha256::new()
                    .chain_update(p[0])
                    .chain_update(p[1])
                    .finalize()
                    .into()
            })
            .collect();
        levels.push(next);
    }
    levels
}

/// A full signed block (`/eth/v2/beacon/blocks/{id}`).
#[derive(Clone, Debug)]
pub struct BlockEntry {
    /// Lower-case fork name (`Eth-Consensus-Version`).
    pub fork: String,
    /// The `SignedBeaconBlock` JSON (`{"message":…,"signature":…}`).
    pub json: Option<serde_json::Value>,
    /// The `SignedBeaconBlock` SSZ.
    pub ssz: Option<Arc<Vec<u8>>>,
}

/// A full state (`/eth/v2/debug/beacon/states/{id}`).
#[derive(Clone, Debug)]
pub struct StateEntry {
    pub slot: u64,
    pub fork: String,
    pub ssz: Arc<Vec<u8>>,
    /// The Beacon API JSON of the state (the `data` object), for registries small enough.
    pub json: Option<Arc<Vec<u8>>>,
    /// `{previous_justified, current_justified, finalized}` as recorded in this state.
    pub checkpoints: Option<Checkpoints>,
}

/// A `Checkpoint {epoch, root}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub epoch: u64,
    pub root: Root,
}

impl Checkpoint {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "epoch": self.epoch.to_string(), "root": hex0x(self.root) })
    }
}

/// The three checkpoints of `/eth/v1/beacon/states/{id}/finality_checkpoints`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Checkpoints {
    pub previous_justified: Checkpoint,
    pub current_justified: Checkpoint,
    pub finalized: Checkpoint,
}

/// One wire form of a light-client object.
#[derive(Clone, Debug)]
pub struct LcForm {
    /// The `data` object.
    pub json: serde_json::Value,
    /// The SSZ bytes (no length prefix, no digest); `None` when only JSON is known (replay).
    pub ssz: Option<Vec<u8>>,
}

/// A light-client object with its honest form and the forms served under faults.
#[derive(Clone, Debug)]
pub struct LcObject {
    pub fork: String,
    /// `compute_fork_digest` of the attested header's fork, for the SSZ updates stream.
    pub fork_digest: [u8; 4],
    pub honest: LcForm,
    /// Same object with a signature that does not verify (`bad-lc-signature`).
    pub bad_signature: Option<LcForm>,
    /// Same object with one Merkle-branch node changed (`bad-lc-branch`).
    pub bad_branch: Option<LcForm>,
    /// The recorded `{"version":…,"data":…}` bytes (replay), served verbatim when no fault applies.
    pub raw: Option<Arc<Vec<u8>>>,
}

/// A recorded response body, served byte for byte (replay mode).
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// `Eth-Consensus-Version` to send with it, if the endpoint is versioned.
    pub version: Option<String>,
    pub body: Arc<Vec<u8>>,
}

/// `/eth/v1/beacon/genesis`.
#[derive(Clone, Debug)]
pub struct GenesisInfo {
    /// Unix time, seconds.
    pub genesis_time: u64,
    pub genesis_validators_root: Root,
    pub genesis_fork_version: [u8; 4],
}

/// One entry of `/eth/v1/config/fork_schedule`.
#[derive(Clone, Debug)]
pub struct ForkEntry {
    pub previous_version: [u8; 4],
    pub current_version: [u8; 4],
    pub epoch: u64,
}

/// One immutable snapshot of what a provider serves.
#[derive(Clone, Debug, Default)]
pub struct ChainData {
    /// A short label for logs and the control endpoint (e.g. `generated seed=1`, `replay holesky`).
    pub label: String,
    /// How long each generation phase took (phase, seconds), for the CLI's report.
    pub timings: Vec<(String, f64)>,
    pub genesis: Option<GenesisInfo>,
    /// `/eth/v1/config/spec` `data` (every value a string, as the API mandates).
    pub spec: serde_json::Map<String, serde_json::Value>,
    pub fork_schedule: Vec<ForkEntry>,
    /// `/eth/v1/node/version`.
    pub node_version: String,
    /// Slots per epoch of the chain's preset (for `finalized`/`justified` resolution and faults).
    pub slots_per_epoch: u64,
    /// Canonical headers by slot (missing slot = empty slot).
    pub headers: BTreeMap<u64, HeaderEntry>,
    /// Orphaned headers (not canonical) by slot.
    pub orphans: BTreeMap<u64, HeaderEntry>,
    /// Root → (slot, canonical).
    pub by_root: HashMap<Root, (u64, bool)>,
    /// Full blocks by block root (shared, so that a live chain's next snapshot copies pointers).
    pub blocks: HashMap<Root, Arc<BlockEntry>>,
    /// Signed execution payload envelopes (Gloas) by beacon block root; a block without one
    /// had its payload withheld.
    pub envelopes: HashMap<Root, Arc<BlockEntry>>,
    /// From this epoch on (Gloas), the `finalized` and `justified` state ids name the checkpoint
    /// block's post-state rather than the state advanced to the checkpoint's epoch boundary.
    pub block_states_from_epoch: Option<u64>,
    /// The post-state root of every slot the chain knows (including empty slots).
    pub state_roots: BTreeMap<u64, Root>,
    /// Full states by state root.
    pub states: HashMap<Root, StateEntry>,
    /// Head, justified and finalized as seen by the head state.
    pub head_slot: Option<u64>,
    pub checkpoints: Checkpoints,
    /// Genesis block root (`genesis` block id).
    pub genesis_block_root: Option<Root>,
    pub bootstraps: HashMap<Root, LcObject>,
    /// Light-client updates by sync-committee period.
    pub updates: BTreeMap<u64, LcObject>,
    pub finality_update: Option<LcObject>,
    pub optimistic_update: Option<LcObject>,
    /// Recorded JSON responses by request path (replay), served verbatim when no data fault applies.
    pub raw: HashMap<String, RawResponse>,
}

impl ChainData {
    /// Serves a `/eth/v1/config/spec` whose `MIN_GENESIS_TIME + GENESIS_DELAY` is `lag` seconds
    /// before the genesis time `/eth/v1/beacon/genesis` reports, as on every real network
    /// (genesis waits for enough deposits; mainnet started 23 s after its minimum), so a client
    /// that takes the sum for the genesis time is caught. `GENESIS_DELAY` is kept.
    pub fn lag_spec_genesis(&mut self, lag: u64) {
        let Some(g) = &self.genesis else { return };
        let delay: u64 = self
            .spec
            .get("GENESIS_DELAY")
            .and_then(|v| v.as_str()?.parse().ok())
            .unwrap_or(0);
        let min = g.genesis_time.saturating_sub(delay).saturating_sub(lag);
        self.spec.insert(
            "MIN_GENESIS_TIME".into(),
            serde_json::Value::String(min.to_string()),
        );
    }

    /// Registers a canonical header and its root.
    pub fn insert_header(&mut self, h: HeaderEntry) {
        self.by_root.insert(h.root, (h.slot, true));
        self.headers.insert(h.slot, h);
    }

    /// Registers an orphaned header.
    pub fn insert_orphan(&mut self, h: HeaderEntry) {
        self.by_root.insert(h.root, (h.slot, false));
        self.orphans.insert(h.slot, h);
    }

    /// The header of a block root, canonical or not.
    pub fn header_by_root(&self, root: &Root) -> Option<(&HeaderEntry, bool)> {
        let &(slot, canonical) = self.by_root.get(root)?;
        let h = if canonical {
            self.headers.get(&slot)
        } else {
            self.orphans.get(&slot)
        }?;
        Some((h, canonical))
    }

    /// The canonical header at or before `slot` (the block a state at `slot` builds on).
    pub fn header_at_or_before(&self, slot: u64) -> Option<&HeaderEntry> {
        self.headers.range(..=slot).next_back().map(|(_, h)| h)
    }

    /// Whether a slot is final (at or before the finalized checkpoint's epoch start).
    pub fn is_finalized_slot(&self, slot: u64) -> bool {
        let fin = self.checkpoints.finalized;
        fin.root != [0; 32] && slot <= fin.epoch * self.slots_per_epoch.max(1)
    }
}

/// Changes the last hex digit of a `0x…` JSON string at `path` (object keys and array indices),
/// returning whether something changed. Used to derive faulted forms of recorded JSON.
pub fn tweak_hex(value: &mut serde_json::Value, path: &[&str]) -> bool {
    let mut cur = value;
    for key in path {
        cur = match cur {
            serde_json::Value::Object(m) => match m.get_mut(*key) {
                Some(v) => v,
                None => return false,
            },
            serde_json::Value::Array(a) => {
                match key.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    Some(v) => v,
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    let serde_json::Value::String(s) = cur else {
        return false;
    };
    let Some(last) = s.pop() else { return false };
    let flipped = match last {
        '0' => '1',
        _ => '0',
    };
    s.push(flipped);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tweak_changes_one_digit() {
        let mut v = serde_json::json!({"a": {"b": ["0xab", "0x10"]}});
        assert!(tweak_hex(&mut v, &["a", "b", "1"]));
        assert_eq!(v["a"]["b"][1], "0x11");
        assert!(!tweak_hex(&mut v, &["a", "c"]));
    }
}
