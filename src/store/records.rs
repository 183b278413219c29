//! The persisted records, as plain serialisable structs.
//!
//! Byte fields serialise through `serialize_bytes`, so IndexedDB (via `serde-wasm-bindgen`) stores
//! them as `Uint8Array`s, not as hex strings or arrays of numbers; `u64` fields become `BigInt`s
//! there, so Gwei totals above 2^53 survive. The wasm reads them back without serde
//! (`super::idb`'s reader, field by field, the same shapes); the `Deserialize` impls here serve the
//! native side (JSON of the records, their tests).

use serde::{Deserialize, Serialize};

use crate::types::ForkName;
pub use crate::types::Root;

/// The size of an SSZ `BeaconBlockHeader`: slot 8, proposer_index 8, parent_root 32,
/// state_root 32, body_root 32.
pub const HEADER_SSZ_LEN: usize = 112;

/// How the anchor came to be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trust {
    /// A `block_root:epoch` weak-subjectivity checkpoint given by the user; the state was checked
    /// against both its root and its epoch.
    Checkpoint,
    /// A trusted block root given by the user, without an epoch.
    BlockRoot,
    /// The Beacon API provider(s) were trusted (a `stateId` such as `finalized`); see
    /// [`AnchorRecord::providers`] for which ones agreed.
    Provider,
    /// A local SSZ state file supplied by the user.
    File,
    /// Rebuilt from an older anchor by verifying sync-committee signatures (light-client updates).
    LightClient,
}

impl Trust {
    /// The name as stored and shown to JS (the serde name): `checkpoint`, `block-root`,
    /// `provider`, `file` or `light-client`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trust::Checkpoint => "checkpoint",
            Trust::BlockRoot => "block-root",
            Trust::Provider => "provider",
            Trust::File => "file",
            Trust::LightClient => "light-client",
        }
    }
}

/// A sync committee as stored with an anchor: enough to verify light-client updates from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCommitteeRecord {
    /// The members' BLS public keys (48-byte compressed), in committee order
    /// (`SYNC_COMMITTEE_SIZE` of them: 512 on mainnet).
    pub pubkeys: Vec<[u8; 48]>,
    /// The committee's aggregate public key, as in the state.
    pub aggregate_pubkey: [u8; 48],
}

/// A verified starting point of the chain: a block and its state, and what was learnt from them.
///
/// Written once when the anchor is verified; only [`AnchorRecord::stale`] changes afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRecord {
    /// The network's name (`mainnet`, `sepolia`, `hoodi`, `holesky`, or a custom config's name).
    /// Must equal the store's network.
    pub network: String,
    /// The slot of the anchor state (`state.slot`). For a checkpoint state this is the first slot
    /// of [`Self::epoch`]; the block at [`Self::block_root`] may be older when slots were empty.
    /// A Gloas anchor state is its block's own post-state, so its slot is the block's, which for
    /// a `block_root:epoch` checkpoint may lie in the epoch before.
    pub slot: u64,
    /// The weak-subjectivity checkpoint epoch: `compute_epoch_at_slot(slot)`, or, for a Gloas
    /// block's post-state one epoch before a `block_root:epoch` checkpoint, the checkpoint's
    /// epoch (the boundary slot was empty; the state advanced to it would be at this epoch).
    pub epoch: u64,
    /// The anchor block's root: `hash_tree_root` of the state's `latest_block_header` with its
    /// `state_root` filled in. The key of the record and the top of the backfilled header chain.
    #[serde(with = "bytes32")]
    pub block_root: Root,
    /// `hash_tree_root(state)`, checked against the block header before anything was stored.
    #[serde(with = "bytes32")]
    pub state_root: Root,
    /// The state's fork, by its lower-case spec name (`phase0` … `gloas`).
    pub fork: String,
    /// How the anchor came to be trusted.
    pub trust: Trust,
    /// True when the trusted block is not at the epoch's first slot and the state is the
    /// epoch-boundary state, linked to the block through `state.latest_block_header`.
    pub linked_through_latest_block_header: bool,
    /// The Beacon API base URLs whose answers agreed on this anchor (empty for a local file).
    pub providers: Vec<String>,
    /// `compute_weak_subjectivity_period(state)`, in epochs, with the formula of `fork`.
    pub ws_period_epochs: u64,
    /// `get_total_active_balance(state)`, in Gwei.
    pub total_active_balance: u64,
    /// The number of validators active in the state's current epoch.
    pub active_validators: u64,
    /// `state.current_sync_committee`; `None` for phase0 states, which have none.
    pub current_sync_committee: Option<SyncCommitteeRecord>,
    /// `state.next_sync_committee`; `None` for phase0 states.
    pub next_sync_committee: Option<SyncCommitteeRecord>,
    /// When the anchor was stored, in unix seconds.
    pub created_at: u64,
    /// Set when the anchor was found outside its weak-subjectivity period and kept anyway (the
    /// `lenient` long-range mode); an anchor in use under `strict` is never stale.
    pub stale: bool,
    /// The execution block of the verified state's `latest_execution_payload_header`; `None`
    /// before Bellatrix, before the merge (zero `block_hash`), and in records stored before
    /// this field existed (they load unchanged: no schema change was needed).
    #[serde(default)]
    pub execution: Option<ExecutionBlock>,
    /// Gloas on: the anchor block's execution payload (ePBS: the block carries only a bid, the
    /// payload comes in a separate envelope); `None` before Gloas and in records stored before
    /// this field existed (they load unchanged).
    #[serde(default)]
    pub payload: Option<AnchorPayload>,
}

/// Whether the execution payload of a Gloas block was delivered (consensus-specs v1.7.0-alpha.13
/// `PAYLOAD_STATUS_FULL` / `PAYLOAD_STATUS_EMPTY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadStatus {
    /// The payload the block's bid committed to was delivered.
    Full,
    /// It was not: the execution chain stays at the parent's payload.
    Empty,
}

/// The execution payload of a Gloas anchor block, from verified bytes only.
///
/// The anchor state commits to the block's bid (`latest_execution_payload_bid`) and to the
/// latest payload delivered before it (`latest_block_hash`), never to the block's own payload:
/// from v1.7.0-alpha.13 a payload is applied by the next block, so the post-block state a Gloas
/// node serves reads the same whether the payload came or not. The status is FULL when the state
/// itself already holds the bid's payload (`block_hash == latest_block_hash`: the state at the
/// fork upgrade), or when the provider served the block's `SignedExecutionPayloadEnvelope` and
/// it passed the spec's envelope checks against the state (builder signature, bid commitments);
/// EMPTY when the provider answered 404 for it (the spec's fork choice holds a block without a
/// verified envelope as EMPTY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorPayload {
    /// FULL or EMPTY; `None` when nobody could be asked (a local state file).
    pub status: Option<PayloadStatus>,
    /// `latest_execution_payload_bid.block_hash`: the payload the anchor block's bid commits to.
    #[serde(with = "bytes32")]
    pub block_hash: Root,
    /// `latest_block_hash`: the latest payload delivered before the anchor block's own.
    #[serde(with = "bytes32")]
    pub latest_block_hash: Root,
}

impl AnchorRecord {
    /// The one constructor: what identifies the anchor and how it came to be trusted. Every
    /// other field starts empty (no providers, no committees, zero totals and WS period, not
    /// linked, not stale, `created_at` 0); a writer sets what it learnt with struct-update
    /// syntax (`AnchorRecord { ws_period_epochs, ..AnchorRecord::new(…) }`), so a new field is
    /// added here once.
    pub fn new(
        network: impl Into<String>,
        slot: u64,
        epoch: u64,
        block_root: Root,
        state_root: Root,
        fork: ForkName,
        trust: Trust,
    ) -> Self {
        AnchorRecord {
            network: network.into(),
            slot,
            epoch,
            block_root,
            state_root,
            fork: fork.as_str().to_string(),
            trust,
            linked_through_latest_block_header: false,
            providers: Vec::new(),
            ws_period_epochs: 0,
            total_active_balance: 0,
            active_validators: 0,
            current_sync_committee: None,
            next_sync_committee: None,
            created_at: 0,
            stale: false,
            execution: None,
            payload: None,
        }
    }
}

/// A verified execution block, as stored with an anchor or a followed head: what the beacon
/// block commits to in its execution payload header (see `crate::execution` for where it is
/// taken from, always after its verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionBlock {
    /// `block_hash`: the execution block's hash (what `eth_getBlockByHash` takes).
    #[serde(with = "bytes32")]
    pub block_hash: Root,
    /// `block_number`: the execution block's height.
    pub block_number: u64,
    /// `state_root`: the execution state trie root after the block.
    #[serde(with = "bytes32")]
    pub state_root: Root,
    /// `receipts_root`: the receipts trie root of the block.
    #[serde(with = "bytes32")]
    pub receipts_root: Root,
    /// `timestamp`: the block's time, in unix seconds.
    pub timestamp: u64,
}

impl ExecutionBlock {
    /// `None` for the all-zero header of a pre-merge state (zero `block_hash`).
    pub fn merged(self) -> Option<Self> {
        (self.block_hash != [0u8; 32]).then_some(self)
    }

    /// The JS/JSON form: hashes as `0x`-hex, numbers as decimal strings (`blockHash`,
    /// `blockNumber`, `stateRoot`, `receiptsRoot`, `timestamp`), as `typings.d.ts` documents it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.js()).unwrap_or_else(|e| unreachable!("strings serialize: {e}"))
    }

    /// [`Self::to_json`]'s form, written straight into any serializer (the JS payloads use it,
    /// so the wasm needs no `serde_json::Value` on the way).
    pub fn js(&self) -> ExecutionJs<'_> {
        ExecutionJs(self)
    }
}

/// See [`ExecutionBlock::js`].
pub struct ExecutionJs<'a>(&'a ExecutionBlock);

impl Serialize for ExecutionJs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::types::hex0x;
        use serde::ser::SerializeMap;
        let e = self.0;
        // In the order `serde_json::Value` (sorted keys) gave them before.
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("blockHash", &hex0x(e.block_hash))?;
        m.serialize_entry("blockNumber", &e.block_number.to_string())?;
        m.serialize_entry("receiptsRoot", &hex0x(e.receipts_root))?;
        m.serialize_entry("stateRoot", &hex0x(e.state_root))?;
        m.serialize_entry("timestamp", &e.timestamp.to_string())?;
        m.end()
    }
}

/// One stored block header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderRecord {
    /// The header's slot (also the first 8 bytes of `header`, little-endian).
    pub slot: u64,
    /// The SSZ `BeaconBlockHeader`.
    #[serde(with = "bytes112")]
    pub header: [u8; HEADER_SSZ_LEN],
    /// `hash_tree_root(header)`: the block root.
    #[serde(with = "bytes32")]
    pub root: Root,
}

impl HeaderRecord {
    /// The slot encoded in the SSZ bytes.
    pub fn encoded_slot(&self) -> u64 {
        let mut slot = [0u8; 8];
        slot.copy_from_slice(&self.header[0..8]);
        u64::from_le_bytes(slot)
    }

    /// The header's `parent_root` (bytes 16..48).
    pub fn parent_root(&self) -> Root {
        let mut root = [0u8; 32];
        root.copy_from_slice(&self.header[16..48]);
        root
    }

    /// The header's `state_root` (bytes 48..80).
    pub fn state_root(&self) -> Root {
        let mut root = [0u8; 32];
        root.copy_from_slice(&self.header[48..80]);
        root
    }
}

/// What a verified anchor state knows about older blocks, kept beside its anchor (object store
/// `anchor_roots`, key: the anchor's block root) and written in the same transaction.
///
/// Backfill uses it to know which slot holds which root below the anchor (so a withheld block is
/// caught at its slot) and to verify whole `SLOTS_PER_HISTORICAL_ROOT`-slot chunks on their own.
/// The anchor state is dropped after its root is checked, so without this record a reload would
/// have only the hash chain. Immutable once written; deleted never (it is as small as its anchor:
/// 256 KiB of `block_roots` on mainnet, plus 32 bytes per historical summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorRootsRecord {
    /// The anchor's block root (the key; must equal the anchor's `block_root`).
    pub block_root: Root,
    /// `state.slot` of the anchor state the roots were read from.
    pub state_slot: u64,
    /// `state.block_roots`: `SLOTS_PER_HISTORICAL_ROOT` roots (a power of two), entry `i` the root
    /// of the latest block at or before the slot `s` with `s % SLOTS_PER_HISTORICAL_ROOT == i`
    /// in `[state_slot - SLOTS_PER_HISTORICAL_ROOT, state_slot)`.
    pub block_roots: Vec<Root>,
    /// `state.historical_summaries[i].block_summary_root`, in order (empty before Capella).
    pub block_summary_roots: Vec<Root>,
}

impl AnchorRootsRecord {
    /// The record's own consistency: `block_roots` has a power-of-two length (the preset's
    /// `SLOTS_PER_HISTORICAL_ROOT`), as "expected …, got …".
    pub fn check(&self) -> Result<(), (String, String)> {
        let n = self.block_roots.len();
        if n == 0 || !n.is_power_of_two() {
            return Err((
                "SLOTS_PER_HISTORICAL_ROOT block roots (a power of two)".into(),
                format!("{n} block roots"),
            ));
        }
        Ok(())
    }
}

/// Where backfill stands: the oldest verified header and where it should stop.
///
/// Written in the same transaction as the headers it describes, so it never points at a header
/// that is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillCursor {
    /// The slot of the oldest stored header.
    pub oldest_slot: u64,
    /// That header's block root.
    #[serde(with = "bytes32")]
    pub oldest_root: Root,
    /// That header's `parent_root`: the root the next (older) header must have.
    #[serde(with = "bytes32")]
    pub oldest_parent_root: Root,
    /// The slot backfill stops at (inclusive): 0 for genesis, or the weak-subjectivity horizon.
    pub target_slot: u64,
}

impl BackfillCursor {
    /// The cursor after a batch whose oldest header is `oldest`: backfill goes on below it,
    /// towards `target_slot`.
    pub fn below(oldest: &HeaderRecord, target_slot: u64) -> Self {
        BackfillCursor {
            oldest_slot: oldest.slot,
            oldest_root: oldest.root,
            oldest_parent_root: oldest.parent_root(),
            target_slot,
        }
    }
}

/// How the followed head was established (see [`HeadRecord::source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeadSource {
    /// The finalized header of a light-client finality update whose sync-committee signature and
    /// finality branch verified (the `light` mode); no provider was trusted.
    FinalityUpdate,
    /// The finalized checkpoint every answering provider reported (`finality_checkpoints`): their
    /// word for which block is finalized, linked to the previous tip by hash chain.
    Checkpoints,
}

/// The followed tip: the newest finalized block that was linked back, by `parent_root` hash
/// chain, to the previous tip and so to the anchor (object store `head`, one record).
///
/// Written in the same transaction as the headers that link it to the previous tip, so a stored
/// head always hangs from stored headers (or directly from its anchor's block) and a reload
/// resumes following from it. Rewritten by every step that moves the tip; cleared with the
/// headers by a backfill reset; replaced by a light rebuild (which makes the new anchor's block
/// the head).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadRecord {
    /// The tip block's slot.
    pub slot: u64,
    /// The tip's block root (`hash_tree_root` of its header).
    #[serde(with = "bytes32")]
    pub block_root: Root,
    /// The tip header's `state_root`.
    #[serde(with = "bytes32")]
    pub state_root: Root,
    /// What made the tip's block trusted as finalized.
    pub source: HeadSource,
    /// The block root of the anchor the tip descends from: a head is only resumed while that
    /// anchor is the active one.
    #[serde(with = "bytes32")]
    pub anchor_root: Root,
    /// When the tip was stored, in unix seconds (the wall clock of the step).
    pub updated_at: u64,
    /// The tip's execution block, when it was verified with the tip: the light-client header's
    /// `execution` after `is_valid_light_client_header` (Capella on), the new anchor's state
    /// for a light rebuild, or the tip's own block when it hashed to the tip's root (a tip from
    /// the providers' `finality_checkpoints`). `None` otherwise (no provider served that block,
    /// or it has no payload), and in records stored before this field existed.
    #[serde(default)]
    pub execution: Option<ExecutionBlock>,
}

/// The verified anchor state kept as raw SSZ (option `keepState`), in chunks of
/// [`STATE_CHUNK_BYTES`] stored under [`state_chunk_key`]`(id, index)`.
///
/// Why chunks under an id: a state is written while it downloads, before it is verified, so its
/// chunks go to an id no record names yet (pending). The transaction that stores its anchor makes
/// this record name the id (promoted); a failed verification deletes the id's chunks.
/// A chunk whose id this record does not name is never read as the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptStateRecord {
    /// The chunks' id (see [`state_chunk_key`]).
    pub id: u32,
    /// The anchor whose state this is (its block root).
    #[serde(with = "bytes32")]
    pub block_root: Root,
    /// `hash_tree_root` of the kept bytes, the anchor's `state_root`.
    #[serde(with = "bytes32")]
    pub state_root: Root,
    /// The SSZ length in bytes.
    pub length: u64,
    /// How many chunks hold it: `ceil(length / STATE_CHUNK_BYTES)`.
    pub chunks: u32,
}

/// Bytes per kept-state chunk (the last one may be shorter): 1 MiB, one IndexedDB record each,
/// so a 280 MB state is never one allocation, in wasm or in JS, while it is written.
pub const STATE_CHUNK_BYTES: usize = 1 << 20;

/// Bits of a chunk key that number the chunk within its state: 2^20 chunks of 1 MiB is 1 TiB,
/// far above any state's size ceiling.
pub const STATE_CHUNK_INDEX_BITS: u32 = 20;

/// The highest chunk index: every key of one id is `state_chunk_key(id, 0..=STATE_CHUNK_LAST)`.
pub const STATE_CHUNK_LAST: u32 = (1 << STATE_CHUNK_INDEX_BITS) - 1;

/// The key of chunk `index` of the state with id `id`: `id * 2^20 + index`, a number exact in
/// JS (below 2^52), so the chunks of one id are one key range.
pub fn state_chunk_key(id: u32, index: u32) -> u64 {
    (u64::from(id) << STATE_CHUNK_INDEX_BITS) | u64::from(index)
}

/// The database's own bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaRecord {
    /// The schema version the data is written in (see `SCHEMA_VERSION`).
    pub schema_version: u32,
    /// The network's name, recorded when the database was created.
    pub network: String,
    /// The network's `genesis_validators_root`, which also names the database.
    #[serde(with = "bytes32")]
    pub genesis_validators_root: Root,
    /// The block root of the anchor in use, if any.
    #[serde(with = "opt_bytes32")]
    pub active_anchor: Option<Root>,
    /// The backfill position, if backfill has started.
    pub backfill_cursor: Option<BackfillCursor>,
}

/// A deterministic snapshot of a whole database, for tests that compare before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDump {
    /// The bookkeeping record.
    pub meta: MetaRecord,
    /// Every anchor, ordered by block root.
    pub anchors: Vec<AnchorRecord>,
    /// Every header, ordered by slot.
    pub headers: Vec<HeaderRecord>,
    /// Every anchor's recorded roots, ordered by block root.
    pub anchor_roots: Vec<AnchorRootsRecord>,
    /// The followed head, if any.
    pub head: Option<HeadRecord>,
}

impl Serialize for AnchorRootsRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // Flat byte strings: one 256 KiB Uint8Array for mainnet's block roots, not 8192 arrays.
        let roots: Vec<u8> = self.block_roots.iter().flatten().copied().collect();
        let summaries: Vec<u8> = self.block_summary_roots.iter().flatten().copied().collect();
        let mut s = serializer.serialize_struct("AnchorRootsRecord", 4)?;
        s.serialize_field("block_root", &ByteSlice(&self.block_root))?;
        s.serialize_field("state_slot", &self.state_slot)?;
        s.serialize_field("block_roots", &ByteSlice(&roots))?;
        s.serialize_field("block_summary_roots", &ByteSlice(&summaries))?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for AnchorRootsRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct Raw {
            #[serde(with = "bytes32")]
            block_root: Root,
            state_slot: u64,
            #[serde(with = "byte_vec")]
            block_roots: Vec<u8>,
            #[serde(with = "byte_vec")]
            block_summary_roots: Vec<u8>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let split = |name: &str, bytes: Vec<u8>| -> Result<Vec<Root>, D::Error> {
            if !bytes.len().is_multiple_of(32) {
                return Err(D::Error::custom(format_args!(
                    "{name}: expected a multiple of 32 bytes, got {}",
                    bytes.len()
                )));
            }
            Ok(bytes
                .chunks_exact(32)
                .map(|c| {
                    let mut r = [0u8; 32];
                    r.copy_from_slice(c);
                    r
                })
                .collect())
        };
        let record = AnchorRootsRecord {
            block_root: raw.block_root,
            state_slot: raw.state_slot,
            block_roots: split("block_roots", raw.block_roots)?,
            block_summary_roots: split("block_summary_roots", raw.block_summary_roots)?,
        };
        record
            .check()
            .map_err(|(e, g)| D::Error::custom(format_args!("expected {e}, got {g}")))?;
        Ok(record)
    }
}

impl Serialize for SyncCommitteeRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // One contiguous byte string for the keys: 24 KiB as a single Uint8Array instead of 512.
        let flat: Vec<u8> = self.pubkeys.iter().flatten().copied().collect();
        let mut s = serializer.serialize_struct("SyncCommitteeRecord", 2)?;
        s.serialize_field("pubkeys", &ByteSlice(&flat))?;
        s.serialize_field("aggregate_pubkey", &ByteSlice(&self.aggregate_pubkey))?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for SyncCommitteeRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct Raw {
            #[serde(with = "byte_vec")]
            pubkeys: Vec<u8>,
            #[serde(with = "bytes48")]
            aggregate_pubkey: [u8; 48],
        }
        let raw = Raw::deserialize(deserializer)?;
        if raw.pubkeys.len() % 48 != 0 {
            return Err(D::Error::custom(format_args!(
                "sync committee pubkeys: expected a multiple of 48 bytes, got {}",
                raw.pubkeys.len()
            )));
        }
        let pubkeys = raw
            .pubkeys
            .chunks_exact(48)
            .map(|chunk| {
                let mut key = [0u8; 48];
                key.copy_from_slice(chunk);
                key
            })
            .collect();
        Ok(SyncCommitteeRecord {
            pubkeys,
            aggregate_pubkey: raw.aggregate_pubkey,
        })
    }
}

/// Serialises borrowed bytes with `serialize_bytes`.
pub(crate) struct ByteSlice<'a>(pub(crate) &'a [u8]);

impl Serialize for ByteSlice<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// Accepts bytes in every form a deserializer may present them: a byte buffer (`Uint8Array`,
/// bincode), or a sequence of numbers (JSON).
struct BytesVisitor;

impl<'de> serde::de::Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(byte) = seq.next_element::<u8>()? {
            out.push(byte);
        }
        Ok(out)
    }
}

/// Deserialises a variable-length byte string (serialised with [`ByteSlice`]).
pub(crate) mod byte_vec {
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(super::BytesVisitor)
    }
}

fn fixed<'de, D: serde::Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
    use serde::de::Error;
    let bytes = d.deserialize_byte_buf(BytesVisitor)?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| D::Error::custom(format_args!("expected {N} bytes, got {len}")))
}

macro_rules! fixed_bytes_module {
    ($name:ident, $n:expr) => {
        pub(crate) mod $name {
            #[allow(dead_code)] // Not every size is serialised through `with`.
            pub fn serialize<S: serde::Serializer>(v: &[u8; $n], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(v)
            }

            pub fn deserialize<'de, D: serde::Deserializer<'de>>(
                d: D,
            ) -> Result<[u8; $n], D::Error> {
                super::fixed::<D, $n>(d)
            }
        }
    };
}

fixed_bytes_module!(bytes32, 32);
fixed_bytes_module!(bytes48, 48);
fixed_bytes_module!(bytes112, 112);

pub(crate) mod opt_bytes32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(root) => s.serialize_some(&super::ByteSlice(root)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::bytes32")] [u8; 32]);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_names_are_the_serde_names() {
        for t in [
            Trust::Checkpoint,
            Trust::BlockRoot,
            Trust::Provider,
            Trust::File,
            Trust::LightClient,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }

    fn anchor(execution: Option<ExecutionBlock>) -> AnchorRecord {
        AnchorRecord {
            ws_period_epochs: 256,
            total_active_balance: 1,
            active_validators: 1,
            created_at: 3,
            execution,
            ..AnchorRecord::new(
                "mainnet",
                64,
                2,
                [1; 32],
                [2; 32],
                ForkName::Deneb,
                Trust::BlockRoot,
            )
        }
    }

    /// Records written before `execution` existed have no such key: they load, with `None`, so
    /// no schema version bump is needed; new records round-trip it.
    #[test]
    fn records_without_execution_still_load() {
        let execution = ExecutionBlock {
            block_hash: [9; 32],
            block_number: 17_923_026,
            state_root: [8; 32],
            receipts_root: [7; 32],
            timestamp: 1_692_136_151,
        };
        let new = serde_json::to_value(anchor(Some(execution))).unwrap();
        let back: AnchorRecord = serde_json::from_value(new.clone()).unwrap();
        assert_eq!(back.execution, Some(execution));
        let mut old = new;
        old.as_object_mut().unwrap().remove("execution").unwrap();
        let back: AnchorRecord = serde_json::from_value(old).unwrap();
        assert_eq!(back, anchor(None));
        // Nor `payload` (Gloas): absent, it loads as `None`; present, it round-trips.
        let payload = AnchorPayload {
            status: Some(PayloadStatus::Empty),
            block_hash: [6; 32],
            latest_block_hash: [5; 32],
        };
        let gloas = AnchorRecord {
            payload: Some(payload),
            ..anchor(None)
        };
        let json = serde_json::to_value(&gloas).unwrap();
        assert_eq!(json["payload"]["status"], "empty");
        assert_eq!(serde_json::from_value::<AnchorRecord>(json).unwrap(), gloas);
        let mut old = serde_json::to_value(anchor(None)).unwrap();
        old.as_object_mut().unwrap().remove("payload").unwrap();
        assert_eq!(
            serde_json::from_value::<AnchorRecord>(old).unwrap(),
            anchor(None)
        );
        let head = HeadRecord {
            slot: 70,
            block_root: [4; 32],
            state_root: [5; 32],
            source: HeadSource::Checkpoints,
            anchor_root: [1; 32],
            updated_at: 6,
            execution: None,
        };
        let mut old = serde_json::to_value(head).unwrap();
        old.as_object_mut().unwrap().remove("execution").unwrap();
        assert_eq!(serde_json::from_value::<HeadRecord>(old).unwrap(), head);
    }
}
