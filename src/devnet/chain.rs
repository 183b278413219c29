//! The deterministic chain generator: from a seed, a genesis, a signed header chain with empty
//! slots and orphans, full states at the checkpoints it serves, and signed light-client data.
//!
//! Nothing here runs the state transition; the generator writes down directly what a healthy
//! Electra, Fulu or Gloas chain would contain (or a Fulu chain that forks to Gloas at
//! `gloas_epoch`), so that every check a light-sync client performs holds:
//!
//! - **Served states** (genesis, slot 0, and the epoch-boundary state of every checkpoint an
//!   endpoint names: the head state's finalized checkpoint F, the latest finality update's
//!   finalized checkpoint, and for registries up to [`JSON_STATE_MAX_VALIDATORS`] also the head's
//!   justified checkpoint and every period update's finalized checkpoint) are real
//!   `BeaconState`s: `hash_tree_root(state)` is the `state_root` of the block at that slot,
//!   `latest_block_header` is that block's header with `state_root` zero (as `process_block`
//!   leaves it), `block_roots`/`state_roots` hold the chain's roots for every earlier slot,
//!   `historical_summaries` summarise every completed `SLOTS_PER_HISTORICAL_ROOT` chunk, the
//!   checkpoints lag the state's epoch by one (justified) and two (finalized) epochs, and all
//!   validators are active with 32 ETH, so the weak-subjectivity period is computable.
//!   The generator never leaves slot F (or slot 0) empty unless asked to; another served
//!   boundary may be empty, and then its state is the one `process_slots` gives (latest header
//!   is the earlier checkpoint block's, its state root filled in). Every root with a
//!   light-client bootstrap is such a checkpoint block (or genesis), so a client that
//!   bootstraps or finalizes through light-client data finds the matching state: by the
//!   block's state root, or for an empty boundary by the boundary slot.
//! - **Attested states** of light-client updates are not served; their roots are merkleized from
//!   field roots in which the fields a light client checks are real (slot, latest_block_header,
//!   finalized_checkpoint, current and next sync committee, registry and balances) and the others
//!   are deterministic filler. Branches proven against them are therefore real Merkle branches.
//! - **Other slots' state roots** are deterministic filler (32 bytes from the seed): consistent
//!   wherever they appear (block headers, the served states' `state_roots` vectors).
//! - **Keys**: validators `0..min(N, REAL_KEY_LIMIT)` have real BLS keys
//!   (`SecretKey::from_seed`); proposers and sync committees are drawn only from them, so every
//!   block signature (`DOMAIN_BEACON_PROPOSER`) and sync aggregate (`DOMAIN_SYNC_COMMITTEE`) is
//!   real. Larger registries (mainnet-sized benchmarks) get deterministic placeholder pubkeys
//!   beyond that limit: 48 bytes that are not curve points, which a checkpoint-sync client never
//!   needs to decode. Proposer and committee selection is a seeded hash, not the spec's shuffling.
//! - **Bodies**: real Electra block bodies (empty operations, a deterministic execution payload
//!   chained by `parent_hash`); the RANDAO reveal is deterministic filler, not a signature.
//!   Gloas blocks commit to a bid and carry payload attestations; their payloads come in signed
//!   envelopes, some withheld (see the `gloas` module).
//! - **Gloas states** are served as a Gloas node serves them: the checkpoint block's post-state,
//!   not advanced to the epoch boundary, so an empty boundary slot gives an unaligned state.
//! - **Committees**: period 0 and period 1 share a committee (genesis sets current = next, as
//!   the spec does); each later period draws a new one.
//!
//! The config is the devnet's own: all forks at epoch 0 (Gloas at `gloas_epoch` when given), fork
//! versions `0xNN6c7300` (NN = fork index, "ls" for lightsync), and
//! `genesis_validators_root = hash_tree_root(validators)` of the genesis fork's registry.

mod gloas;
mod light_client;
pub mod live;
mod state;

use state::Registry;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use ssz::Encode;

use super::data::{
    hex0x, merkleize_leaves, tree_levels, BlockEntry, ChainData, Checkpoint as CpWire, Checkpoints,
    ForkEntry, GenesisInfo, HeaderEntry, LcForm, LcObject, StateEntry,
};
use crate::light::bls::{aggregate_public_keys, PublicKey, SecretKey};
use crate::light::fork_digest::{BlobParameters, BlobSchedule};
use crate::types::json::{ssz_to_json, ssz_to_json_text};
use crate::types::light_client::deneb::LightClientHeader;
use crate::types::light_client::electra as lc;
use crate::types::phase0::{BeaconBlockHeader, Checkpoint, Eth1Data, Fork, Validator};
use crate::types::{
    altair::{SyncAggregate, SyncCommittee},
    capella::HistoricalSummary,
    deneb::{ExecutionPayload, ExecutionPayloadHeader},
    electra::{self, BeaconBlock, BeaconBlockBody, ExecutionRequests, SignedBeaconBlock},
    fulu, BitVector, BlsPublicKey, BlsSignature, FixedBytes, FixedVector, ForkName, Mainnet,
    Minimal, Preset, SszSchema, SszType, TreeHash, VariableList, B256, FAR_FUTURE_EPOCH, U256,
};

/// Validators with real BLS keys. Deriving a public key costs ~0.1 ms, so 8192 keys take about a
/// second; proposers and sync committees (512 on mainnet) are drawn from them.
pub const REAL_KEY_LIMIT: u64 = 8192;
/// Gwei per validator: 32 ETH, `MIN_ACTIVATION_BALANCE` (and the pre-Electra maximum).
const BALANCE_GWEI: u64 = 32_000_000_000;
/// `DOMAIN_BEACON_PROPOSER`.
const DOMAIN_BEACON_PROPOSER: [u8; 4] = [0, 0, 0, 0];
/// `DOMAIN_SYNC_COMMITTEE`.
const DOMAIN_SYNC_COMMITTEE: [u8; 4] = [7, 0, 0, 0];
/// Every hundredth empty slot-candidate roll below this gets an orphan (percent of empty slots).
const ORPHAN_PERCENT_OF_EMPTY: u64 = 50;
/// Gas limit written into the generated execution payloads (a mainnet-like value).
const GAS_LIMIT: u64 = 36_000_000;
/// The order of the BLS12-381 scalar field, big-endian: secret keys are summed modulo it.
const CURVE_ORDER_BE: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

/// What chain to generate.
#[derive(Clone, Debug)]
pub struct ChainOptions {
    /// Registry size (validators).
    pub validators: u64,
    /// Slots after genesis; the head is at this slot.
    pub slots: u64,
    /// `mainnet` or `minimal`.
    pub preset: String,
    /// Fork of the whole chain: `electra`, `fulu` or `gloas` (all forks at epoch 0).
    pub fork: String,
    /// With `fork` = `fulu`: the epoch at which the chain forks to Gloas (`GLOAS_FORK_EPOCH`).
    pub gloas_epoch: Option<u64>,
    /// Seed of every deterministic choice (keys, empty slots, filler roots).
    pub seed: u64,
    /// Unix time of genesis, seconds; `None` = now minus the chain's duration, so the head is at
    /// the wall clock's current slot. An old value makes the anchor stale against the wall clock.
    pub genesis_time: Option<u64>,
    /// Share of empty slots, percent (about half of them hold an orphaned block).
    pub empty_slot_percent: u32,
    /// Leave the finalized checkpoint's epoch-boundary slot empty, so the checkpoint block is
    /// earlier and the served boundary state links to it through `latest_block_header` with
    /// its state root filled in (the case `process_slot` produces).
    pub empty_checkpoint_slot: bool,
    /// `SECONDS_PER_SLOT` of the served config and the block timestamps; `None` = the preset's
    /// reference value (mainnet 12, minimal 6). A live chain advances one slot per this time.
    pub seconds_per_slot: Option<u64>,
    /// `BLOB_SCHEDULE` of the served config (empty = Electra's blob limit throughout). A Fulu
    /// chain's fork digests (light-client stream chunks) follow it, as on a dev node whose
    /// config schedules blob-parameter-only forks.
    pub blob_schedule: Vec<BlobParameters>,
    /// Gloas: share of blocks whose payload is withheld, percent (their envelope is never
    /// published, so the next block builds on the older execution block: an EMPTY slot).
    pub withheld_payload_percent: u32,
    /// Gloas: withhold the payload of the finalized checkpoint block (its envelope answers 404
    /// and its child builds on the older execution block); without it that payload is always
    /// revealed, whatever the roll of `withheld_payload_percent`.
    pub withhold_checkpoint_payload: bool,
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            validators: 2048,
            slots: 256,
            preset: "minimal".into(),
            fork: "fulu".into(),
            gloas_epoch: None,
            seed: 1,
            genesis_time: None,
            empty_slot_percent: 5,
            empty_checkpoint_slot: false,
            seconds_per_slot: None,
            blob_schedule: Vec::new(),
            withheld_payload_percent: 10,
            withhold_checkpoint_payload: false,
        }
    }
}

/// Why a chain could not be generated. Retrying with the same options gives the same error.
#[derive(Debug)]
pub enum ChainError {
    /// An option is out of range.
    BadOption {
        name: &'static str,
        expected: String,
        got: String,
    },
    /// A list exceeded its SSZ limit (cannot happen within the option ranges checked above).
    Ssz { what: &'static str, detail: String },
    /// BLS aggregation failed (a key was the point at infinity).
    Bls { detail: String },
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::BadOption {
                name,
                expected,
                got,
            } => write!(f, "--{name}: expected {expected}, got {got}"),
            ChainError::Ssz { what, detail } => write!(f, "building {what}: {detail}"),
            ChainError::Bls { detail } => write!(f, "BLS: {detail}"),
        }
    }
}

impl std::error::Error for ChainError {}

impl ChainError {
    /// [`ChainError::BadOption`]: `--name`, what it takes, and the value given.
    fn bad_option(name: &'static str, expected: impl Into<String>, got: impl ToString) -> Self {
        ChainError::BadOption {
            name,
            expected: expected.into(),
            got: got.to_string(),
        }
    }
}

/// `Ok` when option `name` is in range (`ok`), else its [`ChainError::BadOption`].
fn require(
    ok: bool,
    name: &'static str,
    expected: impl Into<String>,
    got: impl ToString,
) -> Result<(), ChainError> {
    match ok {
        true => Ok(()),
        false => Err(ChainError::bad_option(name, expected, got)),
    }
}

fn ssz_err<E: fmt::Debug>(what: &'static str) -> impl Fn(E) -> ChainError {
    move |e| ChainError::Ssz {
        what,
        detail: format!("{e:?}"),
    }
}

/// The devnet's fork version for `fork`: `[index, 'l', 's', 0]`.
pub fn fork_version(fork: ForkName) -> [u8; 4] {
    [fork as u8, 0x6c, 0x73, 0x00]
}

/// The fork `name` names: the devnet generates electra, fulu and gloas chains.
fn parse_fork(name: &str) -> Result<ForkName, ChainError> {
    match name {
        "electra" => Ok(ForkName::Electra),
        "fulu" => Ok(ForkName::Fulu),
        "gloas" => Ok(ForkName::Gloas),
        other => Err(ChainError::bad_option(
            "fork",
            "electra, fulu or gloas",
            format!("`{other}`"),
        )),
    }
}

fn unknown_preset(other: &str) -> ChainError {
    ChainError::bad_option("preset", "mainnet or minimal", format!("`{other}`"))
}

/// Generates the chain described by `opts`.
pub fn generate(opts: &ChainOptions) -> Result<ChainData, ChainError> {
    let fork = chain_fork(opts)?;
    match opts.preset.as_str() {
        "mainnet" => Generator::<Mainnet>::new(opts, fork)?.run(),
        "minimal" => Generator::<Minimal>::new(opts, fork)?.run(),
        other => Err(unknown_preset(other)),
    }
}

/// The last fork of the chain `opts` describes (Gloas for a Fulu chain with `gloas_epoch`),
/// after checking the options every chain, one-shot or live, shares.
fn chain_fork(opts: &ChainOptions) -> Result<ForkName, ChainError> {
    let mut fork = parse_fork(&opts.fork)?;
    if let Some(epoch) = opts.gloas_epoch {
        require(
            fork == ForkName::Fulu && epoch != 0,
            "gloas-epoch",
            "an epoch from 1 on, with --fork fulu (the chain then forks to Gloas)",
            format!("{epoch} with --fork {}", opts.fork),
        )?;
        fork = ForkName::Gloas;
    }
    for (name, percent) in [
        ("withheld-payloads", opts.withheld_payload_percent),
        ("empty-slots", opts.empty_slot_percent),
    ] {
        require(percent <= 50, name, "a percentage from 0 to 50", percent)?;
    }
    Ok(fork)
}

/// SHA-256 of a tag and numbers: every deterministic byte string of the chain.
fn h(seed: u64, tag: &str, a: u64, b: u64) -> [u8; 32] {
    let mut s = Sha256::new();
    s.update(b"lightsync-devnet");
    s.update(seed.to_le_bytes());
    s.update(tag.as_bytes());
    s.update(a.to_le_bytes());
    s.update(b.to_le_bytes());
    s.finalize().into()
}

fn h64(seed: u64, tag: &str, a: u64, b: u64) -> u64 {
    let d = h(seed, tag, a, b);
    u64::from_le_bytes(d[..8].try_into().unwrap_or([0; 8]))
}

fn b256(x: [u8; 32]) -> B256 {
    B256::from(x)
}

fn u64_leaf(v: u64) -> [u8; 32] {
    let mut l = [0u8; 32];
    l[..8].copy_from_slice(&v.to_le_bytes());
    l
}

/// Root and the branch (sibling nodes, bottom-up) of leaf `index`.
fn root_and_branch(leaves: &[[u8; 32]], index: usize) -> ([u8; 32], Vec<[u8; 32]>) {
    let levels = tree_levels(leaves);
    let mut branch = Vec::new();
    let mut i = index;
    for level in &levels[..levels.len() - 1] {
        branch.push(level[i ^ 1]);
        i /= 2;
    }
    (levels.last().map(|l| l[0]).unwrap_or([0; 32]), branch)
}

/// `(a + b) mod r` on 32-byte big-endian scalars (both already below r).
fn scalar_add(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    if carry > 0 || out >= CURVE_ORDER_BE {
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = out[i] as i16 - CURVE_ORDER_BE[i] as i16 - borrow;
            out[i] = d.rem_euclid(256) as u8;
            borrow = if d < 0 { 1 } else { 0 };
        }
    }
    out
}

/// One generated block with everything derived from it.
struct Blk<P: Preset> {
    header: BeaconBlockHeader,
    root: [u8; 32],
    signature: [u8; 96],
    canonical: bool,
    body: BlkBody<P>,
}

/// The fork-specific part of a generated block.
enum BlkBody<P: Preset> {
    /// An Electra/Fulu block: the payload is in the body.
    Electra {
        block: Box<BeaconBlock<P>>,
        body_leaves: Vec<[u8; 32]>,
        payload_header: Box<ExecutionPayloadHeader<P>>,
    },
    /// A Gloas block: the body commits to a bid; the payload comes in an envelope.
    Gloas(Box<gloas::GloasBlk<P>>),
}

/// A state whose field roots are known (served or attested), for Merkle branches.
struct KnownState {
    leaves: Vec<[u8; 32]>,
}

struct Generator<P: Preset> {
    opts: ChainOptions,
    /// The chain's last fork.
    fork: ForkName,
    /// `GLOAS_FORK_EPOCH` (0 on a Gloas chain, `FAR_FUTURE_EPOCH` before Gloas).
    gloas_at: u64,
    seed: u64,
    genesis_time: u64,
    /// `SECONDS_PER_SLOT`.
    sps: u64,
    /// Whether this chain keeps growing (see [`live`]): it then serves every epoch-boundary
    /// state (each one becomes finalized two epochs later) and knows the field roots of every
    /// block's post-state (each one becomes an attested block of the next light-client update).
    live: bool,
    /// The latest canonical block's root and execution block hash (what the next block builds on).
    parent_root: [u8; 32],
    parent_hash: [u8; 32],
    /// `historical_summaries` of the state at the latest generated slot.
    summaries: Vec<HistoricalSummary>,
    n: u64,
    real: u64,
    secret_keys: Vec<SecretKey>,
    pubkeys: Vec<[u8; 48]>,
    /// Post-state root by slot (every slot 0..=head).
    state_roots: Vec<[u8; 32]>,
    /// Latest canonical block root at or before each slot.
    block_roots: Vec<[u8; 32]>,
    blocks: BTreeMap<u64, Blk<P>>,
    orphans: BTreeMap<u64, Blk<P>>,
    known: HashMap<u64, KnownState>,
    committees: HashMap<u64, (SyncCommittee<P>, Vec<u64>)>,
    validators_root: [u8; 32],
    registry: Option<Registry<P>>,
    /// Gloas: the execution side of the state after the latest slot (see [`gloas`]).
    exec: Option<gloas::ExecState<P>>,
    /// The slot of the head state's finalized checkpoint block (known once the slots are
    /// planned; a live chain has none).
    checkpoint_block_slot: Option<u64>,
    /// Gloas: the devnet builder's key (see [`gloas`]).
    builder_key: Option<SecretKey>,
}

impl<P: Preset> Generator<P> {
    fn new(opts: &ChainOptions, fork: ForkName) -> Result<Self, ChainError> {
        let spe = P::SLOTS_PER_EPOCH;
        require(
            opts.slots >= 3 * spe,
            "slots",
            format!(
                "at least {} (3 epochs of this preset, so that an epoch is finalized)",
                3 * spe
            ),
            opts.slots,
        )?;
        require(
            opts.slots <= 10_000_000,
            "slots",
            "at most 10000000",
            opts.slots,
        )?;
        let validators = P::SYNC_COMMITTEE_SIZE.min(64)..=P::VALIDATOR_REGISTRY_LIMIT;
        require(
            validators.contains(&opts.validators),
            "validators",
            format!("{}..={}", validators.start(), validators.end()),
            opts.validators,
        )?;
        let seconds_per_slot = opts.seconds_per_slot.unwrap_or_else(seconds_per_slot::<P>);
        require(
            (1..=3600).contains(&seconds_per_slot),
            "seconds-per-slot",
            "1..=3600 seconds",
            seconds_per_slot,
        )?;
        let genesis_time = opts.genesis_time.unwrap_or_else(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            now.saturating_sub(opts.slots * seconds_per_slot)
        });
        Ok(Generator {
            opts: opts.clone(),
            fork,
            gloas_at: match (fork, opts.gloas_epoch) {
                (ForkName::Gloas, e) => e.unwrap_or(0),
                _ => FAR_FUTURE_EPOCH,
            },
            seed: opts.seed,
            genesis_time,
            sps: seconds_per_slot,
            live: false,
            parent_root: [0; 32],
            parent_hash: h(opts.seed, "el-genesis", 0, 0),
            summaries: Vec::new(),
            n: opts.validators,
            real: opts.validators.min(REAL_KEY_LIMIT),
            secret_keys: Vec::new(),
            pubkeys: Vec::new(),
            state_roots: Vec::new(),
            block_roots: Vec::new(),
            blocks: BTreeMap::new(),
            orphans: BTreeMap::new(),
            known: HashMap::new(),
            committees: HashMap::new(),
            validators_root: [0; 32],
            registry: None,
            exec: None,
            checkpoint_block_slot: None,
            builder_key: (fork == ForkName::Gloas).then(|| gloas::builder_key(opts.seed)),
        })
    }

    fn spe(&self) -> u64 {
        P::SLOTS_PER_EPOCH
    }

    fn slots_per_period(&self) -> u64 {
        P::SLOTS_PER_EPOCH * P::EPOCHS_PER_SYNC_COMMITTEE_PERIOD
    }

    fn gvr(&self) -> B256 {
        b256(self.validators_root)
    }

    /// The fork of `slot`: every fork starts at genesis, except Gloas at `gloas_at`.
    fn fork_at(&self, slot: u64) -> ForkName {
        if self.fork == ForkName::Gloas && slot / self.spe() < self.gloas_at {
            ForkName::Fulu
        } else {
            self.fork
        }
    }

    /// The epoch fork `fk` starts at (`FAR_FUTURE_EPOCH` after the chain's last fork).
    fn fork_epoch(&self, fk: ForkName) -> u64 {
        match fk {
            _ if fk > self.fork => FAR_FUTURE_EPOCH,
            ForkName::Gloas => self.gloas_at,
            _ => 0,
        }
    }

    /// `get_domain` at the fork of `slot`.
    fn domain_at(&self, domain_type: [u8; 4], slot: u64) -> B256 {
        let version = FixedBytes::from(fork_version(self.fork_at(slot)));
        crate::config::compute_domain(FixedBytes::from(domain_type), version, self.gvr())
    }

    /// The `BeaconState` schema of the fork of `slot`.
    fn state_schema(&self, slot: u64) -> &'static crate::merkle::SszType {
        crate::merkle::beacon_state_schema(self.fork_at(slot), P::NAME)
    }

    /// `hash_tree_root` of a state at `slot` from its field roots (a progressive container
    /// from Gloas on).
    /// The post-state of a block at `slot` whose header (zero state root) is `header`: built and
    /// served in full, built as field roots only (an attested block's), or neither (a seeded
    /// root). Returns its root and, when served, its SSZ.
    fn post_state(
        &mut self,
        slot: u64,
        kind: &SlotKind,
        header: &BeaconBlockHeader,
        summaries: &[HistoricalSummary],
        payload_header: &ExecutionPayloadHeader<P>,
    ) -> Result<([u8; 32], Option<Vec<u8>>), ChainError> {
        if kind.served {
            let (bytes, leaves) =
                self.build_state(slot, header, summaries, payload_header, kind.take_registry)?;
            let root = self.state_root_of(slot, &leaves);
            self.known.insert(slot, KnownState { leaves });
            Ok((root, Some(bytes)))
        } else if kind.synthetic {
            let leaves = self.attested_leaves(slot, header)?;
            let root = self.state_root_of(slot, &leaves);
            self.known.insert(slot, KnownState { leaves });
            Ok((root, None))
        } else {
            Ok((h(self.seed, "state-root", slot, 0), None))
        }
    }

    fn state_root_of(&self, slot: u64, leaves: &[[u8; 32]]) -> [u8; 32] {
        crate::merkle::container_root_from_fields(self.state_schema(slot), leaves)
    }

    /// The branch of the state field `name` of a state at `slot` from its field roots.
    fn state_branch(&self, slot: u64, leaves: &[[u8; 32]], name: &str) -> Vec<[u8; 32]> {
        let schema = self.state_schema(slot);
        let i = schema.field_index(name).unwrap_or(usize::MAX);
        if i >= leaves.len() {
            return Vec::new();
        }
        crate::merkle::container_field_branch(schema, leaves, i).1
    }

    fn keys(&mut self) {
        let seed = format!("lightsync-devnet-{}", self.seed);
        let real = self.real;
        // Key derivation dominates small devnets; split it over the machine's cores.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let chunk = real.div_ceil(threads.max(1)).max(1);
        let mut parts: Vec<Vec<(SecretKey, [u8; 48])>> = Vec::new();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..real)
                .step_by(chunk as usize)
                .map(|start| {
                    let seed = seed.as_bytes();
                    s.spawn(move || {
                        (start..(start + chunk).min(real))
                            .map(|i| {
                                let sk = SecretKey::from_seed(seed, i);
                                let pk = sk.public_key().to_bytes();
                                (sk, pk)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for hd in handles {
                parts.push(hd.join().unwrap_or_default());
            }
        });
        for (sk, pk) in parts.into_iter().flatten() {
            self.secret_keys.push(sk);
            self.pubkeys.push(pk);
        }
    }

    /// The sync committee of `period` and its members' validator indices.
    fn committee(&mut self, period: u64) -> Result<(SyncCommittee<P>, Vec<u64>), ChainError> {
        // Genesis sets current = next, so periods 0 and 1 share a committee.
        let period = period.max(1);
        if let Some(c) = self.committees.get(&period) {
            return Ok(c.clone());
        }
        let size = P::SYNC_COMMITTEE_SIZE;
        let members: Vec<u64> = (0..size)
            .map(|j| h64(self.seed, "sync-committee", period, j) % self.real)
            .collect();
        let pks: Vec<PublicKey> = members
            .iter()
            .map(|&i| PublicKey::from_bytes(&self.pubkeys[i as usize]))
            .collect::<Result<_, _>>()
            .map_err(|e| ChainError::Bls {
                detail: format!("{e:?}"),
            })?;
        let refs: Vec<&PublicKey> = pks.iter().collect();
        let agg = aggregate_public_keys(&refs).map_err(|e| ChainError::Bls {
            detail: format!("{e:?}"),
        })?;
        let committee = SyncCommittee::<P> {
            pubkeys: FixedVector::new(
                members
                    .iter()
                    .map(|&i| BlsPublicKey::from(self.pubkeys[i as usize]))
                    .collect(),
            )
            .map_err(ssz_err("sync committee"))?,
            aggregate_pubkey: BlsPublicKey::from(agg.to_bytes()),
        };
        self.committees
            .insert(period, (committee.clone(), members.clone()));
        Ok((committee, members))
    }

    /// The sum of the secret keys of `members` (with repeats): its signature equals the
    /// aggregate of the members' individual signatures (BLS is linear in the key), which saves
    /// one signing per member.
    fn summed_key(&self, members: &[u64]) -> Result<SecretKey, ChainError> {
        let mut sum = [0u8; 32];
        for &m in members {
            sum = scalar_add(&sum, &self.secret_keys[m as usize].to_bytes());
        }
        SecretKey::from_bytes(&sum).map_err(|e| ChainError::Bls {
            detail: format!("{e:?}"),
        })
    }

    fn proposer(&self, slot: u64) -> u64 {
        h64(self.seed, "proposer", slot, 0) % self.real
    }

    fn period(&self, slot: u64) -> u64 {
        slot / self.slots_per_period()
    }

    /// Which slots are empty: never 0; the served finalized boundary `f` only when asked.
    fn is_empty(&self, slot: u64, f: u64) -> bool {
        if slot == 0 {
            false
        } else if slot == f {
            self.opts.empty_checkpoint_slot
        } else {
            h64(self.seed, "empty", slot, 0) % 100 < self.opts.empty_slot_percent as u64
        }
    }

    /// On a live chain (no planned finalized boundary, so empty slots are the seeded roll
    /// alone): the epoch whose checkpoint block the block at `slot` is, if any. That is the
    /// slot's own epoch at a boundary slot, and the next epoch when every slot up to the next
    /// boundary is empty. The roll is deterministic, so this is known when the block is made,
    /// before its post-state root goes into its header.
    fn live_checkpoint_epoch(&self, slot: u64) -> Option<u64> {
        let spe = self.spe();
        let epoch = slot.div_ceil(spe);
        (slot + 1..=epoch * spe)
            .all(|s| self.is_empty(s, u64::MAX))
            .then_some(epoch)
    }

    /// The checkpoint a state at `slot` records as finalized (two epochs behind) and justified.
    fn checkpoints_at(&self, slot: u64) -> Checkpoints {
        let e = slot / self.spe();
        let cp = |epoch: u64| {
            if epoch == 0 {
                // The genesis checkpoint has a zero root (spec `initialize_beacon_state…`).
                CpWire {
                    epoch: 0,
                    root: [0; 32],
                }
            } else {
                CpWire {
                    epoch,
                    root: self.block_roots[(epoch * self.spe()) as usize],
                }
            }
        };
        Checkpoints {
            previous_justified: cp(e.saturating_sub(2)),
            current_justified: cp(e.saturating_sub(1)),
            finalized: cp(e.saturating_sub(2)),
        }
    }

    fn typed_cp(c: CpWire) -> Checkpoint {
        Checkpoint {
            epoch: c.epoch,
            root: b256(c.root),
        }
    }

    fn make_block(
        &self,
        slot: u64,
        parent_root: [u8; 32],
        parent_hash: [u8; 32],
        graffiti: &str,
    ) -> Result<BeaconBlock<P>, ChainError> {
        let spe_time = self.sps;
        let mut g = [0u8; 32];
        let gb = graffiti.as_bytes();
        g[..gb.len().min(32)].copy_from_slice(&gb[..gb.len().min(32)]);
        let mut randao = [0u8; 96];
        randao[..32].copy_from_slice(&h(self.seed, "randao", slot, 0));
        randao[32..64].copy_from_slice(&h(self.seed, "randao", slot, 1));
        randao[64..].copy_from_slice(&h(self.seed, "randao", slot, 2));
        let mut infinity = [0u8; 96];
        infinity[0] = 0xc0;
        let payload = ExecutionPayload::<P> {
            parent_hash: b256(parent_hash),
            fee_recipient: Default::default(),
            state_root: b256(h(self.seed, "el-state", slot, 0)),
            receipts_root: b256(h(self.seed, "el-receipts", slot, 0)),
            logs_bloom: FixedVector::from_elem(0),
            prev_randao: b256(h(self.seed, "prev-randao", slot, 0)),
            block_number: slot,
            gas_limit: GAS_LIMIT,
            gas_used: 0,
            timestamp: self.genesis_time + slot * spe_time,
            extra_data: VariableList::new(b"lightsync-devnet".to_vec())
                .map_err(ssz_err("extra_data"))?,
            base_fee_per_gas: U256::from(7u64),
            block_hash: b256(h(self.seed, &format!("el-block-{graffiti}"), slot, 0)),
            transactions: VariableList::empty(),
            withdrawals: VariableList::empty(),
            blob_gas_used: 0,
            excess_blob_gas: 0,
        };
        let body = BeaconBlockBody::<P> {
            randao_reveal: BlsSignature::from(randao),
            eth1_data: self.eth1_data(),
            graffiti: b256(g),
            proposer_slashings: VariableList::empty(),
            attester_slashings: VariableList::empty(),
            attestations: VariableList::empty(),
            deposits: VariableList::empty(),
            voluntary_exits: VariableList::empty(),
            sync_aggregate: SyncAggregate {
                sync_committee_bits: BitVector::new(),
                sync_committee_signature: BlsSignature::from(infinity),
            },
            execution_payload: payload,
            bls_to_execution_changes: VariableList::empty(),
            blob_kzg_commitments: VariableList::empty(),
            execution_requests: ExecutionRequests {
                deposits: VariableList::empty(),
                withdrawals: VariableList::empty(),
                consolidations: VariableList::empty(),
            },
        };
        Ok(BeaconBlock {
            slot,
            proposer_index: if slot == 0 { 0 } else { self.proposer(slot) },
            parent_root: b256(parent_root),
            state_root: B256::ZERO,
            body,
        })
    }

    fn eth1_data(&self) -> Eth1Data {
        Eth1Data {
            deposit_root: b256(h(self.seed, "deposit-root", 0, 0)),
            deposit_count: self.n,
            block_hash: b256(h(self.seed, "eth1-block", 0, 0)),
        }
    }

    fn finish_block(
        &self,
        mut block: BeaconBlock<P>,
        state_root: [u8; 32],
        canonical: bool,
    ) -> Blk<P> {
        block.state_root = b256(state_root);
        let b = &block.body;
        let body_leaves = vec![
            b.randao_reveal.tree_hash_root().0,
            b.eth1_data.tree_hash_root().0,
            b.graffiti.tree_hash_root().0,
            b.proposer_slashings.tree_hash_root().0,
            b.attester_slashings.tree_hash_root().0,
            b.attestations.tree_hash_root().0,
            b.deposits.tree_hash_root().0,
            b.voluntary_exits.tree_hash_root().0,
            b.sync_aggregate.tree_hash_root().0,
            b.execution_payload.tree_hash_root().0,
            b.bls_to_execution_changes.tree_hash_root().0,
            b.blob_kzg_commitments.tree_hash_root().0,
            b.execution_requests.tree_hash_root().0,
        ];
        let header = BeaconBlockHeader {
            slot: block.slot,
            proposer_index: block.proposer_index,
            parent_root: block.parent_root,
            state_root: block.state_root,
            body_root: b256(merkleize_leaves(&body_leaves)),
        };
        let root = header.tree_hash_root().0;
        let p = &b.execution_payload;
        let payload_header = ExecutionPayloadHeader::<P> {
            parent_hash: p.parent_hash,
            fee_recipient: p.fee_recipient,
            state_root: p.state_root,
            receipts_root: p.receipts_root,
            logs_bloom: p.logs_bloom.clone(),
            prev_randao: p.prev_randao,
            block_number: p.block_number,
            gas_limit: p.gas_limit,
            gas_used: p.gas_used,
            timestamp: p.timestamp,
            extra_data: p.extra_data.clone(),
            base_fee_per_gas: p.base_fee_per_gas,
            block_hash: p.block_hash,
            transactions_root: p.transactions.tree_hash_root(),
            withdrawals_root: p.withdrawals.tree_hash_root(),
            blob_gas_used: p.blob_gas_used,
            excess_blob_gas: p.excess_blob_gas,
        };
        Blk {
            header,
            root,
            signature: [0; 96],
            canonical,
            body: BlkBody::Electra {
                block: Box::new(block),
                body_leaves,
                payload_header: Box::new(payload_header),
            },
        }
    }

    /// Field roots of an attested (unserved) state: real where a light client checks, filler
    /// elsewhere (see the module docs).
    fn attested_leaves(
        &mut self,
        slot: u64,
        latest_header: &BeaconBlockHeader,
    ) -> Result<Vec<[u8; 32]>, ChainError> {
        let reg = self.registry.as_ref().ok_or_else(|| ChainError::Ssz {
            what: "attested state",
            detail: "registry not built".into(),
        })?;
        let roots = reg.roots(self.fork_at(slot));
        let field_count = self.state_schema(slot).fields().len() as u64;
        let mut leaves: Vec<[u8; 32]> = (0..field_count)
            .map(|i| h(self.seed, "attested-filler", slot, i))
            .collect();
        let cps = self.checkpoints_at(slot);
        let period = self.period(slot);
        let current = self.committee(period)?.0;
        let next = self.committee(period + 1)?.0;
        let mut header = *latest_header;
        header.state_root = B256::ZERO;
        leaves[0] = u64_leaf(self.genesis_time);
        leaves[1] = self.validators_root;
        leaves[2] = u64_leaf(slot);
        leaves[3] = self.fork_struct(slot).tree_hash_root().0;
        leaves[4] = header.tree_hash_root().0;
        leaves[11] = roots.validators;
        leaves[12] = roots.balances;
        leaves[15] = roots.participation;
        leaves[16] = roots.participation;
        leaves[18] = Self::typed_cp(cps.previous_justified).tree_hash_root().0;
        leaves[19] = Self::typed_cp(cps.current_justified).tree_hash_root().0;
        leaves[20] = Self::typed_cp(cps.finalized).tree_hash_root().0;
        leaves[21] = roots.inactivity;
        leaves[22] = current.tree_hash_root().0;
        leaves[23] = next.tree_hash_root().0;
        Ok(leaves)
    }

    /// `state.fork` at `slot`: a fork from genesis records its version twice; Gloas after
    /// genesis records the Fulu version it upgraded from (`upgrade_to_gloas`).
    fn fork_struct(&self, slot: u64) -> Fork {
        let fork = self.fork_at(slot);
        let epoch = self.fork_epoch(fork);
        let previous = if epoch == 0 { fork } else { ForkName::Fulu };
        Fork {
            previous_version: FixedBytes::from(fork_version(previous)),
            current_version: FixedBytes::from(fork_version(fork)),
            epoch,
        }
    }

    fn run(mut self) -> Result<ChainData, ChainError> {
        let started = std::time::Instant::now();
        let mut timings: Vec<(String, f64)> = Vec::new();
        let mut lap = std::time::Instant::now();
        let mut mark = |name: &str| {
            timings.push((name.to_string(), lap.elapsed().as_secs_f64()));
            lap = std::time::Instant::now();
        };
        self.keys();
        mark("bls keys");
        self.registry()?;
        mark("registry and its roots");
        let spe = self.spe();
        let head = self.opts.slots;
        let fin_epoch = head / spe - 2;
        let f = fin_epoch * spe;

        // Slot plan: empty slots, orphans, and the slots whose states must be known exactly.
        let block_slots: Vec<u64> = (0..=head).filter(|&s| !self.is_empty(s, f)).collect();
        let block_set: BTreeSet<u64> = block_slots.iter().copied().collect();
        self.checkpoint_block_slot = block_set.range(..=f).next_back().copied();
        let mut attested: BTreeMap<u64, u64> = BTreeMap::new(); // attested slot -> signature slot
        let spp = self.slots_per_period();
        for p in 0..=self.period(head) {
            let hi = ((p + 1) * spp - 1).min(head);
            let in_period: Vec<u64> = block_set.range(p * spp..=hi).copied().collect();
            if in_period.len() >= 2 {
                let sig = in_period[in_period.len() - 1];
                let att = in_period[in_period.len() - 2];
                if att / spe >= 3 && att != 0 {
                    attested.insert(att, sig);
                }
            }
        }
        let plan = self.plan_states(head, fin_epoch, &block_set, &attested);
        // Unserved states whose field roots are built (for branches): attested states, and
        // (large registries) the post-states of checkpoint blocks whose boundary slot is empty.
        let mut synthetic: BTreeSet<u64> = attested.keys().copied().collect();
        synthetic.extend(plan.bootstrap_slots.iter().copied());
        let served = &plan.served;
        let last_served = served.iter().next_back().copied().unwrap_or(0);

        // Walk the slots in order: state root of each slot, then its block.
        let mut states: BTreeMap<u64, Arc<Vec<u8>>> = BTreeMap::new();
        for slot in 0..=head {
            let kind = SlotKind {
                block: block_set.contains(&slot),
                served: served.contains(&slot),
                synthetic: synthetic.contains(&slot),
                take_registry: slot == last_served,
            };
            if let Some(bytes) = self.gen_slot(slot, kind)? {
                states.insert(slot, Arc::new(bytes));
            }
        }

        mark("blocks and served states");
        self.sign_blocks();
        mark("block signatures");
        let mut chain = self.assemble(head, states, &plan, &attested)?;
        mark("light-client data and wire forms");
        chain.timings = timings;
        chain.label = format!(
            "generated {} {} seed={} validators={} slots={} ({:.1} s)",
            self.fork_label(),
            P::NAME.as_str(),
            self.seed,
            self.n,
            head,
            started.elapsed().as_secs_f64()
        );
        Ok(chain)
    }

    /// The chain's forks for its label: `fulu`, or `fulu, gloas from epoch N`.
    fn fork_label(&self) -> String {
        match self.fork_at(0) {
            f if f == self.fork => f.as_str().to_string(),
            f => format!(
                "{}, {} from epoch {}",
                f.as_str(),
                self.fork.as_str(),
                self.gloas_at
            ),
        }
    }

    /// Generates `slot` on top of everything before it: its post-state root (a served state
    /// built in full, field roots for a synthetic state, or filler), its block or none (an empty
    /// slot, maybe with an orphan), and the historical summary a completed chunk adds. Returns
    /// the SSZ bytes of a served state. Slots must come in order: this is what both the whole
    /// chain and the live chain's next slot are made of.
    fn gen_slot(&mut self, slot: u64, kind: SlotKind) -> Result<Option<Vec<u8>>, ChainError> {
        let sphr = P::SLOTS_PER_HISTORICAL_ROOT;
        // Historical summaries are appended at the end of every completed chunk.
        if slot > 0 && slot.is_multiple_of(sphr) {
            let lo = (slot - sphr) as usize;
            let br: Vec<B256> = self.block_roots[lo..slot as usize]
                .iter()
                .map(|r| b256(*r))
                .collect();
            let sr: Vec<B256> = self.state_roots[lo..slot as usize]
                .iter()
                .map(|r| b256(*r))
                .collect();
            let brv: FixedVector<B256, P::SlotsPerHistoricalRoot> =
                FixedVector::new(br).map_err(ssz_err("block_roots chunk"))?;
            let srv: FixedVector<B256, P::SlotsPerHistoricalRoot> =
                FixedVector::new(sr).map_err(ssz_err("state_roots chunk"))?;
            self.summaries.push(HistoricalSummary {
                block_summary_root: brv.tree_hash_root(),
                state_summary_root: srv.tree_hash_root(),
            });
        }
        let summaries = self.summaries.clone();
        if self.fork_at(slot) == ForkName::Gloas {
            return self.gen_gloas_slot(slot, kind, &summaries);
        }
        if !kind.block {
            let prev = self.block_roots.last().copied().unwrap_or([0; 32]);
            if kind.served {
                // Empty boundary: the state after process_slots(slot), whose latest header
                // is the last block's, state root filled in.
                let (header, payload) = match self.blocks.values().next_back() {
                    Some(Blk {
                        header,
                        body: BlkBody::Electra { payload_header, .. },
                        ..
                    }) => (*header, (**payload_header).clone()),
                    _ => unreachable_block()?,
                };
                let (bytes, leaves) =
                    self.build_state(slot, &header, &summaries, &payload, kind.take_registry)?;
                let root = self.state_root_of(slot, &leaves);
                self.known.insert(slot, KnownState { leaves });
                self.state_roots.push(root);
                self.block_roots.push(prev);
                return Ok(Some(bytes));
            }
            self.state_roots.push(h(self.seed, "state-root", slot, 0));
            self.block_roots.push(prev);
            if h64(self.seed, "orphan", slot, 0) % 100 < ORPHAN_PERCENT_OF_EMPTY {
                let ob =
                    self.make_block(slot, self.parent_root, self.parent_hash, "lightsync orphan")?;
                let blk = self.finish_block(ob, h(self.seed, "orphan-state", slot, 0), false);
                self.orphans.insert(slot, blk);
            }
            return Ok(None);
        }
        let block =
            self.make_block(slot, self.parent_root, self.parent_hash, "lightsync devnet")?;
        let eph = block.body.execution_payload.block_hash.0;
        // The block's header with a zero state root is what its post-state records.
        let pre = self.finish_block(block.clone(), [0; 32], true);
        let BlkBody::Electra { payload_header, .. } = &pre.body else {
            return unreachable_block();
        };
        let (state_root, served_bytes) =
            self.post_state(slot, &kind, &pre.header, &summaries, payload_header)?;
        let blk = self.finish_block(block, state_root, true);
        self.state_roots.push(state_root);
        self.block_roots.push(blk.root);
        self.parent_root = blk.root;
        self.parent_hash = eph;
        self.blocks.insert(slot, blk);
        Ok(served_bytes)
    }

    /// Chooses the states served in full: genesis and the epoch-boundary state of every
    /// checkpoint an endpoint names. Always the head state's finalized checkpoint (`finalized`
    /// ids) and the latest finality update's finalized checkpoint (one epoch older when the head
    /// is an epoch's first slot: the update's attested block is then in the previous epoch). For
    /// registries small enough to serve as JSON also the head's current justified checkpoint and
    /// the finalized checkpoint of every period's update, as a node that keeps its recent
    /// checkpoint states would; a mainnet-sized registry keeps to the two finalized ones (each
    /// state is ~280 MB). When a boundary slot is empty, the checkpoint block is earlier: its
    /// bootstrap is offered (proven against its own post-state, whose field roots are built),
    /// but only the boundary state is served, which links to the block through
    /// `latest_block_header`, as a node that keeps epoch-boundary states only does.
    fn plan_states(
        &self,
        head: u64,
        fin_epoch: u64,
        block_set: &BTreeSet<u64>,
        attested: &BTreeMap<u64, u64>,
    ) -> StatePlan {
        let spe = self.spe();
        let small = self.n <= JSON_STATE_MAX_VALIDATORS;
        let mut epochs = BTreeSet::from([fin_epoch]);
        let lc_finalized_epoch = attested
            .keys()
            .next_back()
            .map(|a| (a / spe).saturating_sub(2));
        epochs.extend(lc_finalized_epoch);
        if small {
            epochs.insert((head / spe).saturating_sub(1));
            epochs.extend(attested.keys().map(|a| (a / spe).saturating_sub(2)));
        }
        let mut served = BTreeSet::from([0u64]);
        let mut bootstrap_slots = BTreeSet::new();
        for e in epochs {
            let boundary = e * spe;
            if self.fork_at(boundary) == ForkName::Gloas {
                // A Gloas node serves the checkpoint block's post-state, not advanced to the
                // boundary: at an empty boundary slot, an earlier (unaligned) state.
                served.extend(block_set.range(..=boundary).next_back());
                continue;
            }
            served.insert(boundary);
            if !block_set.contains(&boundary) {
                if let Some(&blk) = block_set.range(..boundary).next_back() {
                    bootstrap_slots.insert(blk);
                }
            }
        }
        bootstrap_slots.retain(|s| !served.contains(s));
        StatePlan {
            served,
            bootstrap_slots,
        }
    }

    /// Signs every unsigned block header (canonical and orphaned) with its proposer's key, in
    /// parallel.
    fn sign_blocks(&mut self) {
        let jobs: Vec<(u64, bool, [u8; 32], u64)> = self
            .blocks
            .values()
            .chain(self.orphans.values())
            // The genesis block carries no signature; a live chain signs only its new blocks.
            .filter(|b| b.header.slot != 0 && b.signature == [0; 96])
            .map(|b| (b.header.slot, b.canonical, b.root, b.header.proposer_index))
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = jobs.len().div_ceil(threads).max(1);
        let keys = &self.secret_keys;
        let this = &*self;
        let sigs: Vec<(u64, bool, [u8; 96])> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|&(slot, canonical, root, proposer)| {
                                let domain = this.domain_at(DOMAIN_BEACON_PROPOSER, slot);
                                let signing_root =
                                    crate::config::compute_signing_root(b256(root), domain);
                                let sig = keys[proposer as usize]
                                    .sign(signing_root.as_slice())
                                    .to_bytes();
                                (slot, canonical, sig)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|hd| hd.join().unwrap_or_default())
                .collect()
        });
        for (slot, canonical, sig) in sigs {
            let map = if canonical {
                &mut self.blocks
            } else {
                &mut self.orphans
            };
            if let Some(b) = map.get_mut(&slot) {
                b.signature = sig;
            }
        }
    }

    fn block_at_or_before(&self, slot: u64) -> Option<&Blk<P>> {
        self.blocks.range(..=slot).next_back().map(|(_, b)| b)
    }

    fn assemble(
        &mut self,
        head: u64,
        states: BTreeMap<u64, Arc<Vec<u8>>>,
        plan: &StatePlan,
        attested: &BTreeMap<u64, u64>,
    ) -> Result<ChainData, ChainError> {
        let mut chain = self.chain_base();
        chain.head_slot = Some(head);
        chain.checkpoints = self.checkpoints_at(head);
        chain.state_roots = self
            .state_roots
            .iter()
            .enumerate()
            .map(|(s, r)| (s as u64, *r))
            .collect();
        let blocks: Vec<u64> = self.blocks.keys().copied().collect();
        let orphans: Vec<u64> = self.orphans.keys().copied().collect();
        for slot in blocks {
            self.publish_block(&mut chain, slot, true);
        }
        for slot in orphans {
            self.publish_block(&mut chain, slot, false);
        }
        chain.genesis_block_root = self.blocks.get(&0).map(|b| b.root);
        for (slot, bytes) in states {
            let (root, entry) = self.state_entry(slot, bytes)?;
            chain.states.insert(root, entry);
        }

        // Bootstraps for the checkpoint blocks (a node offers them where it keeps the state):
        // every served state's block, and the block of each empty checkpoint boundary.
        let boot_slots: BTreeSet<u64> = plan
            .served
            .iter()
            .chain(plan.bootstrap_slots.iter())
            .copied()
            .filter(|s| self.blocks.contains_key(s))
            .collect();
        for slot in boot_slots {
            if let Some((root, obj)) = self.bootstrap(slot)? {
                chain.bootstraps.insert(root, obj);
            }
        }

        // One update per period, and the latest finality and optimistic updates.
        for (&att, &sig) in attested {
            if let Some(u) = self.lc_updates(att, sig)? {
                chain.updates.insert(u.period, u.update);
                chain.finality_update = Some(u.finality);
                chain.optimistic_update = Some(u.optimistic);
            }
        }
        Ok(chain)
    }

    /// What every snapshot of this chain shares: config, genesis, fork schedule, version.
    fn chain_base(&self) -> ChainData {
        let mut chain = ChainData {
            node_version: format!("beacon-lightsync-devnet/{}", env!("CARGO_PKG_VERSION")),
            slots_per_epoch: self.spe(),
            ..Default::default()
        };
        chain.spec = self.spec();
        chain.block_states_from_epoch = (self.fork == ForkName::Gloas).then_some(self.gloas_at);
        chain.genesis = Some(GenesisInfo {
            genesis_time: self.genesis_time,
            genesis_validators_root: self.validators_root,
            genesis_fork_version: fork_version(ForkName::Phase0),
        });
        let mut prev = fork_version(ForkName::Phase0);
        chain.fork_schedule.push(ForkEntry {
            previous_version: prev,
            current_version: prev,
            epoch: 0,
        });
        for fk in &ForkName::ALL[1..] {
            if *fk > self.fork {
                break;
            }
            chain.fork_schedule.push(ForkEntry {
                previous_version: prev,
                current_version: fork_version(*fk),
                epoch: self.fork_epoch(*fk),
            });
            prev = fork_version(*fk);
        }
        chain
    }

    /// Adds the (signed) block at `slot`, canonical or orphaned, to `chain`: header and body.
    fn publish_block(&self, chain: &mut ChainData, slot: u64, canonical: bool) {
        let map = if canonical {
            &self.blocks
        } else {
            &self.orphans
        };
        let Some(blk) = map.get(&slot) else {
            return;
        };
        let entry = HeaderEntry {
            slot: blk.header.slot,
            proposer_index: blk.header.proposer_index,
            parent_root: blk.header.parent_root.0,
            state_root: blk.header.state_root.0,
            body_root: blk.header.body_root.0,
            signature: blk.signature,
            root: blk.root,
        };
        let signature = BlsSignature::from(blk.signature);
        let entry_of = |ty: &SszType, ssz: Vec<u8>| BlockEntry {
            fork: self.fork_at(slot).as_str().to_string(),
            json: ssz_to_json(ty, &ssz).ok(),
            ssz: Some(Arc::new(ssz)),
        };
        let block_entry = match &blk.body {
            BlkBody::Electra { block, .. } => {
                let signed = SignedBeaconBlock::<P> {
                    message: (**block).clone(),
                    signature,
                };
                entry_of(SignedBeaconBlock::<P>::ssz_type(), signed.as_ssz_bytes())
            }
            BlkBody::Gloas(g) => {
                let signed = crate::types::gloas::SignedBeaconBlock::<P> {
                    message: g.block.clone(),
                    signature,
                };
                if let (true, Some(env)) = (canonical, &g.envelope) {
                    let ty = crate::types::gloas::SignedExecutionPayloadEnvelope::<P>::ssz_type();
                    let e = entry_of(ty, env.as_ssz_bytes());
                    chain.envelopes.insert(blk.root, Arc::new(e));
                }
                let ty = crate::types::gloas::SignedBeaconBlock::<P>::ssz_type();
                entry_of(ty, signed.as_ssz_bytes())
            }
        };
        chain.blocks.insert(blk.root, Arc::new(block_entry));
        if canonical {
            chain.insert_header(entry);
        } else {
            chain.insert_orphan(entry);
        }
    }

    /// The served form of the state built at `slot`: (state root, entry).
    fn state_entry(
        &self,
        slot: u64,
        bytes: Arc<Vec<u8>>,
    ) -> Result<(super::data::Root, StateEntry), ChainError> {
        let root = self.state_roots[slot as usize];
        let json = if self.n <= JSON_STATE_MAX_VALIDATORS {
            Some(Arc::new(self.state_json(slot, &bytes)?))
        } else {
            None
        };
        Ok((
            root,
            StateEntry {
                slot,
                fork: self.fork_at(slot).as_str().to_string(),
                json,
                ssz: bytes,
                checkpoints: Some(self.checkpoints_at(slot)),
            },
        ))
    }

    /// The Beacon API JSON of a served state (its `data` object), written from its SSZ bytes
    /// so both forms are the same value.
    fn state_json(&self, slot: u64, ssz_bytes: &[u8]) -> Result<Vec<u8>, ChainError> {
        let ty = match self.fork_at(slot) {
            ForkName::Gloas => crate::types::gloas::BeaconState::<P>::ssz_type(),
            ForkName::Fulu => fulu::BeaconState::<P>::ssz_type(),
            _ => electra::BeaconState::<P>::ssz_type(),
        };
        ssz_to_json_text(ty, ssz_bytes).map_err(ssz_err("state JSON"))
    }

    /// `/eth/v1/config/spec`: the devnet's config plus the preset, as the API's strings.
    fn spec(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        for (k, v) in P::preset_values() {
            m.insert(k.to_string(), v.to_string().into());
        }
        let minimal = P::NAME.as_str() == "minimal";
        let secs = self.sps;
        let mut s = |k: &str, v: &dyn fmt::Display| {
            m.insert(k.to_string(), v.to_string().into());
        };
        s("CONFIG_NAME", &"lightsync-devnet");
        s("PRESET_BASE", &P::NAME.as_str());
        // A live chain's genesis is, as on real networks, not MIN_GENESIS_TIME + GENESIS_DELAY
        // (genesis waits for the eth1 block that completes the deposits, then for the delay).
        let (min_genesis_time, genesis_delay) = if self.live {
            let delay = live::GENESIS_DELAY;
            let eth1_wait = live::ETH1_GENESIS_WAIT;
            (self.genesis_time.saturating_sub(delay + eth1_wait), delay)
        } else {
            (self.genesis_time, 0)
        };
        s("MIN_GENESIS_TIME", &min_genesis_time);
        s("GENESIS_DELAY", &genesis_delay);
        s("MIN_GENESIS_ACTIVE_VALIDATOR_COUNT", &self.n.min(16384));
        s(
            "GENESIS_FORK_VERSION",
            &hex0x(fork_version(ForkName::Phase0)),
        );
        for fk in &ForkName::ALL[1..] {
            let name = fk.as_str().to_ascii_uppercase();
            s(&format!("{name}_FORK_VERSION"), &hex0x(fork_version(*fk)));
            s(&format!("{name}_FORK_EPOCH"), &self.fork_epoch(*fk));
        }
        s("SECONDS_PER_SLOT", &secs);
        s("SLOT_DURATION_MS", &(secs * 1000));
        let [min_churn, quotient, act_churn, min_churn_e, max_churn_e, min_epochs_blocks]: [u64;
            6] = if minimal {
            [2, 32, 4, 64_000_000_000, 128_000_000_000, 272]
        } else {
            [4, 65536, 8, 128_000_000_000, 256_000_000_000, 33024]
        };
        s("MIN_PER_EPOCH_CHURN_LIMIT", &min_churn);
        s("CHURN_LIMIT_QUOTIENT", &quotient);
        s("MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT", &act_churn);
        s("MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA", &min_churn_e);
        s("MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT", &max_churn_e);
        s("MIN_VALIDATOR_WITHDRAWABILITY_DELAY", &256);
        s("MIN_EPOCHS_FOR_BLOCK_REQUESTS", &min_epochs_blocks);
        s("EJECTION_BALANCE", &16_000_000_000u64);
        s("MAX_BLOBS_PER_BLOCK_ELECTRA", &MAX_BLOBS_PER_BLOCK_ELECTRA);
        let max_lc_updates = super::routes::MAX_REQUEST_LIGHT_CLIENT_UPDATES;
        s("MAX_REQUEST_LIGHT_CLIENT_UPDATES", &max_lc_updates);
        s("DOMAIN_BEACON_PROPOSER", &"0x00000000");
        s("DOMAIN_SYNC_COMMITTEE", &"0x07000000");
        if self.fork == ForkName::Gloas {
            s(
                "DOMAIN_BEACON_BUILDER",
                &hex0x(gloas::DOMAIN_BEACON_BUILDER),
            );
            s("DOMAIN_PTC_ATTESTER", &hex0x(gloas::DOMAIN_PTC_ATTESTER));
        }
        let schedule = self
            .opts
            .blob_schedule
            .iter()
            .map(|e| {
                serde_json::json!({
                    "EPOCH": e.epoch.to_string(),
                    "MAX_BLOBS_PER_BLOCK": e.max_blobs_per_block.to_string(),
                })
            })
            .collect();
        m.insert("BLOB_SCHEDULE".into(), serde_json::Value::Array(schedule));
        m
    }
}

/// What [`Generator::gen_slot`] makes of one slot.
#[derive(Clone, Copy, Debug)]
struct SlotKind {
    /// A canonical block is proposed (else the slot is empty).
    block: bool,
    /// The post-state is served in full.
    served: bool,
    /// The post-state's field roots are built (an attested or bootstrap block's state).
    synthetic: bool,
    /// The served state may take the registry lists instead of copying them (the last one).
    take_registry: bool,
}

/// Which states the generator builds in full (see `Generator::plan_states`).
struct StatePlan {
    /// Slots whose states are served in full: genesis and checkpoint states.
    served: BTreeSet<u64>,
    /// Checkpoint blocks before an empty boundary: their post-state is not served but their
    /// bootstrap is, so their field roots are built like attested states'.
    bootstrap_slots: BTreeSet<u64>,
}

/// `MAX_BLOBS_PER_BLOCK_ELECTRA` (mainnet and minimal configs).
const MAX_BLOBS_PER_BLOCK_ELECTRA: u64 = 9;

/// Largest registry whose states are also offered as JSON. The Beacon API makes JSON the default
/// (a request without `Accept` gets it), but a mainnet-sized state is ~1 GB of JSON, which no
/// client wants: above this size the state endpoint offers SSZ only (and answers 406 to a
/// JSON-only `Accept`). 16384 validators give a state of about 3 MB SSZ, 10 MB JSON.
pub const JSON_STATE_MAX_VALIDATORS: u64 = 16384;

/// `SECONDS_PER_SLOT` of the preset's reference config (mainnet 12, minimal 6).
fn seconds_per_slot<P: Preset>() -> u64 {
    if P::NAME.as_str() == "minimal" {
        6
    } else {
        12
    }
}

/// The generator always makes a genesis block before any boundary slot; this is the error if
/// that invariant were ever broken, instead of a panic.
fn unreachable_block<T>() -> Result<T, ChainError> {
    Err(ChainError::Ssz {
        what: "finalized state",
        detail: "no block before the boundary slot".into(),
    })
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_addition_wraps_at_the_curve_order() {
        let mut r_minus_1 = CURVE_ORDER_BE;
        r_minus_1[31] -= 1;
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(scalar_add(&r_minus_1, &one), [0u8; 32]);
        let mut two = [0u8; 32];
        two[31] = 2;
        assert_eq!(scalar_add(&one, &one), two);
    }

    #[test]
    fn branches_verify() {
        let leaves: Vec<[u8; 32]> = (0..5u64).map(u64_leaf).collect();
        let (root, branch) = root_and_branch(&leaves, 3);
        let mut node = leaves[3];
        let mut i = 3;
        for sib in &branch {
            let mut s = Sha256::new();
            if i % 2 == 0 {
                s.update(node);
                s.update(sib);
            } else {
                s.update(sib);
                s.update(node);
            }
            node = s.finalize().into();
            i /= 2;
        }
        assert_eq!(node, root);
        assert_eq!(branch.len(), 3);
    }
}
