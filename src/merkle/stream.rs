//! `hash_tree_root(BeaconState)` as independent tasks over byte ranges: for streaming (hash each
//! range as soon as its bytes have arrived) and for parallel hashing (send a range to a worker).
//!
//! [`StatePlan`] needs only the state's fixed part (its first ~2.7 MB on mainnet, which holds
//! every offset) and its total length (`Content-Length`) to lay out every field, so it can be built
//! while the body is still downloading. It cuts the state into [`Task`]s in byte order: each big
//! list or vector of fixed-size elements (validators, balances, participation, roots...) becomes
//! parts of `2^height` leaves, every other field is one task. A Gloas `ProgressiveList`
//! (EIP-7916) is cut the same way: its small progressive subtrees (1, 4, 16, ... leaves) are one
//! task each and the big ones parts of `2^height` leaves, so a Gloas state spreads over workers
//! as a Fulu state does; only the short spine is left to the combination. A task's root depends only on its
//! own bytes and its [`TaskSpec`] (field index, field length, part, height), so a Web Worker that
//! holds only [`TaskHasher`] and that slice can compute it. The plan then combines the task roots
//! into field roots and the state root, with zero subtrees standing in for the unused limit.
//!
//! [`StreamingStateRoot`] puts it together for one thread: `push` the body's chunks, hand ready
//! tasks to workers or hash them in place with `step`, and read the root once every task is in.
//! It does not keep the state: the bytes live in a window that lets go of each task's bytes once
//! its root is in, and only what the anchor reads ([`KeptState`]: the fixed part, a few variable
//! fields, the registry's active count and balance) is copied out as it passes. Besides that,
//! what grows with the state is the plan: one task and one 32-byte root per ~1 MiB task.

use super::schema::{beacon_state, SszType};
use super::ssz::{container_ranges_of, container_root, hash_tree_root, SeqPlan};
use super::tree::Reducer;
use super::view::{count_active, ActiveValidators, KeptState, Registry, VALIDATOR_BYTES};
use super::MerkleError;
use crate::types::{with_preset, ForkName, Preset, PresetName};
use std::ops::Range;

/// Default target size of one task's bytes: big enough that a `postMessage` per task is noise
/// next to hashing it (~1 MiB is ~10 ms of hashing in wasm), small enough that two workers finish
/// within a few ms of each other and that the last task after the last byte is short.
pub const DEFAULT_TASK_BYTES: usize = 1 << 20;

/// What a task computes, enough to recompute its root anywhere from its bytes alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSpec {
    /// Index of the BeaconState field (in the fork's field order).
    pub field: u32,
    /// Byte length of the whole field.
    pub field_len: u64,
    /// Part index within the field (0 for a whole-field task).
    pub part: u32,
    /// Subtree height of a part in leaves (`2^height` leaves), or `None` for a whole field.
    pub height: Option<u32>,
}

/// One unit of work: a byte range of the state and how to hash it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Byte range within the state.
    pub range: Range<usize>,
    /// How to hash those bytes.
    pub spec: TaskSpec,
}

/// How a field is split into tasks.
#[derive(Clone, Debug)]
enum FieldTasks {
    /// The field is one task.
    Whole(usize),
    /// The field's parts are tasks `first..first + n`, each a subtree of `2^height` leaves.
    Parts {
        plan: SeqPlan,
        height: u32,
        first: usize,
        n: usize,
    },
}

/// The layout of one BeaconState as tasks, and the combination of their roots.
#[derive(Clone, Debug)]
pub struct StatePlan {
    schema: &'static SszType,
    total_len: usize,
    /// Each field's byte range in the state.
    field_ranges: Vec<Range<usize>>,
    tasks: Vec<Task>,
    fields: Vec<FieldTasks>,
}

/// Bytes a BeaconState of `fork` under `preset` must have before it can be planned: its fixed
/// part (fixed-size fields and the 4-byte offsets of the variable ones).
pub fn state_head_len(fork: ForkName, preset: PresetName) -> usize {
    beacon_state(fork, preset)
        .fields()
        .iter()
        .map(|(_, t)| t.fixed_part_size())
        .sum()
}

/// Validators a real network's registry is taken never to exceed, for [`state_size_ceiling`]:
/// 2^23 = 8,388,608. Mainnet's registry (which never shrinks: exited validators stay) held ~2.2
/// million in 2025; all ETH in existence (~120 million) staked at 32 ETH would be ~3.8 million.
/// `VALIDATOR_REGISTRY_LIMIT` (2^40) is a Merkle-tree depth, not a size anything can reach.
pub const REGISTRY_CEILING: u64 = 1 << 23;

/// Items of every other `BeaconState` list for [`state_size_ceiling`]: 2^20 = 1,048,576, or the
/// list's limit when smaller. The real ones are far shorter: `historical_roots` is frozen at 758
/// entries since Capella, `historical_summaries` grows by one a day (~27 h), pending deposits,
/// withdrawals and consolidations are queues drained every epoch (each entry costs ≥ 1 ETH).
pub const LIST_CEILING: u64 = 1 << 20;

/// The largest SSZ size of a `BeaconState` of `fork` under `preset` that a real network can
/// have: the fixed part, plus every list at [`REGISTRY_CEILING`] (lists indexed by validator)
/// or [`LIST_CEILING`] items (others), each bounded by its own limit. About 1.4 GiB for a Fulu
/// mainnet state, 4-5x a real mainnet state of 2025 (~300 MB), and still below the 2 GiB a wasm32
/// `Vec` can address; a body announcing more is refused before a byte is read.
///
/// Gloas (EIP-7688) made the state's lists `ProgressiveList`s, which have no limit to tell a
/// list indexed by validator from the others; each keeps the ceiling of its Fulu form (same name,
/// same elements), and a list new in Gloas gets [`LIST_CEILING`] items.
pub fn state_size_ceiling(fork: ForkName, preset: PresetName) -> u64 {
    let registry = with_preset!(preset, P => P::VALIDATOR_REGISTRY_LIMIT);
    let schema = beacon_state(fork, preset);
    let SszType::ProgressiveContainer(state, _) = schema else {
        return bounded_size(schema, registry);
    };
    let fulu = beacon_state(ForkName::Fulu, preset);
    state
        .fields
        .iter()
        .map(|(name, t)| {
            let bounded = match (t, fulu.field_index(name)) {
                (SszType::ProgressiveList(_), Some(i)) => &fulu.fields()[i].1,
                _ => t,
            };
            match bounded.fixed_size() {
                Some(n) => n as u64,
                None => 4 + bounded_size(bounded, registry),
            }
        })
        .sum()
}

/// [`state_size_ceiling`] of the largest fork under `preset`: the ceiling of a state whose fork
/// is not known yet.
pub fn max_state_size(preset: PresetName) -> u64 {
    ForkName::ALL
        .iter()
        .map(|&f| state_size_ceiling(f, preset))
        .max()
        .unwrap_or(0)
}

/// Largest encoding of `ty` with lists bounded as [`state_size_ceiling`] says (`registry`: the
/// limit that marks a list indexed by validator).
fn bounded_size(ty: &SszType, registry: u64) -> u64 {
    // A variable-size item of a list, vector or container also takes a 4-byte offset.
    let item = |t: &SszType| match t.fixed_size() {
        Some(n) => n as u64,
        None => 4 + bounded_size(t, registry),
    };
    match ty {
        SszType::List(e, limit) => {
            let ceiling = if *limit >= registry {
                REGISTRY_CEILING
            } else {
                LIST_CEILING
            };
            (*limit).min(ceiling).saturating_mul(item(e))
        }
        SszType::Bitlist(n) => n / 8 + 1,
        SszType::ProgressiveList(e) => LIST_CEILING.saturating_mul(item(e)),
        SszType::ProgressiveBitlist => LIST_CEILING / 8 + 1,
        SszType::Vector(e, n) => (*n as u64).saturating_mul(item(e)),
        SszType::Container(c) | SszType::ProgressiveContainer(c, _) => {
            c.fields.iter().map(|(_, t)| item(t)).sum()
        }
        fixed => fixed.fixed_size().unwrap_or(0) as u64,
    }
}

/// Makes room in `buf` for `extra` more bytes that have arrived: the capacity at least doubles
/// (O(log n) copies for a whole body) but never goes past `cap` (the size the body may reach)
/// unless what arrived needs it, so a buffer is never sized from a claim alone. `Err(bytes)`:
/// the allocation of that capacity failed (a typed error for the caller, not an abort).
pub fn grow_within(buf: &mut Vec<u8>, extra: usize, cap: u64) -> Result<(), u64> {
    let need = buf.len().saturating_add(extra);
    if need <= buf.capacity() {
        return Ok(());
    }
    let cap = usize::try_from(cap).unwrap_or(usize::MAX).max(need);
    let target = need.max(buf.capacity().saturating_mul(2)).min(cap);
    buf.try_reserve_exact(target - buf.len())
        .map_err(|_| target as u64)
}

fn field_path(schema: &SszType, i: usize) -> String {
    format!(
        "{}.{}",
        schema.name(),
        schema.fields().get(i).map_or("?", |(n, _)| n)
    )
}

/// The height of parts of about `task_bytes` bytes for a field planned as `plan`.
fn part_height(plan: &SeqPlan, task_bytes: usize) -> u32 {
    let per_leaf = plan.leaf_bytes.max(1);
    let want = (task_bytes / per_leaf).max(1) as u64;
    (63 - want.leading_zeros()).min(plan.depth)
}

impl StatePlan {
    /// Plans a state of `total_len` bytes from its first bytes `head` (at least
    /// [`state_head_len`] of them), with tasks of about `task_bytes` bytes. Validates the
    /// offsets and every field's length against its element size and limit.
    pub fn new(
        head: &[u8],
        total_len: usize,
        fork: ForkName,
        preset: PresetName,
        task_bytes: usize,
    ) -> Result<Self, MerkleError> {
        Self::of_container(beacon_state(fork, preset), head, total_len, task_bytes)
    }

    /// [`StatePlan::new`] for any container or progressive container `schema` (a state of a
    /// fork the tables do not name yet, or a test container): the same tasks and checks.
    pub fn of_container(
        schema: &'static SszType,
        head: &[u8],
        total_len: usize,
        task_bytes: usize,
    ) -> Result<Self, MerkleError> {
        let ranges = container_ranges_of(schema.fields(), head, total_len, &|| {
            schema.name().to_string()
        })?;
        let mut tasks = Vec::new();
        let mut fields = Vec::with_capacity(ranges.len());
        for (i, ((_, ty), range)) in schema.fields().iter().zip(&ranges).enumerate() {
            let path = || field_path(schema, i);
            let spec = |part, height| TaskSpec {
                field: i as u32,
                field_len: range.len() as u64,
                part,
                height,
            };
            match SeqPlan::new(ty, range.len(), &path)? {
                Some(plan) if range.len() > task_bytes => {
                    let height = part_height(&plan, task_bytes);
                    let n = plan.groups(height);
                    let first = tasks.len();
                    for g in 0..n {
                        let r = plan.group_range(g, height);
                        tasks.push(Task {
                            range: range.start + r.start..range.start + r.end,
                            spec: spec(g as u32, Some(height)),
                        });
                    }
                    fields.push(FieldTasks::Parts {
                        plan,
                        height,
                        first,
                        n,
                    });
                }
                _ => {
                    fields.push(FieldTasks::Whole(tasks.len()));
                    tasks.push(Task {
                        range: range.clone(),
                        spec: spec(0, None),
                    });
                }
            }
        }
        // Fields are laid out in order, so tasks are sorted by byte position except that the
        // fixed fields come before the variable ones; sort so "ready" is a prefix of the list.
        let mut order: Vec<usize> = (0..tasks.len()).collect();
        order.sort_by_key(|&t| (tasks[t].range.end, tasks[t].range.start));
        let mut new_index = vec![0; tasks.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let sorted: Vec<Task> = order.iter().map(|&t| tasks[t].clone()).collect();
        // Parts of one field stay consecutive: their ranges are adjacent and increasing.
        for f in &mut fields {
            match f {
                FieldTasks::Whole(t) => *t = new_index[*t],
                FieldTasks::Parts { first, .. } => *first = new_index[*first],
            }
        }
        Ok(StatePlan {
            schema,
            total_len,
            field_ranges: ranges,
            tasks: sorted,
            fields,
        })
    }

    /// Every task, sorted by the end of its byte range (a task is ready once the bytes up to
    /// `range.end` have arrived, so the ready tasks are always a prefix).
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Size of the whole state in bytes.
    pub fn total_len(&self) -> usize {
        self.total_len
    }

    /// Root of task `index` from exactly its bytes (`&state[tasks()[index].range]`).
    pub fn task_root(
        &self,
        index: usize,
        bytes: &[u8],
        r: &mut Reducer,
    ) -> Result<[u8; 32], MerkleError> {
        let task = self.tasks.get(index).ok_or(MerkleError::WrongPartCount {
            expected: self.tasks.len(),
            got: index + 1,
        })?;
        if bytes.len() != task.range.len() {
            return Err(MerkleError::WrongSize {
                path: format!(
                    "{} task {index}",
                    field_path(self.schema, task.spec.field as usize)
                ),
                expected: task.range.len(),
                got: bytes.len(),
            });
        }
        spec_root(self.schema, &task.spec, bytes, r)
    }

    /// The state root from the roots of every task, in task order.
    pub fn combine(
        &self,
        task_roots: &[[u8; 32]],
        r: &mut Reducer,
    ) -> Result<[u8; 32], MerkleError> {
        if task_roots.len() != self.tasks.len() {
            return Err(MerkleError::WrongPartCount {
                expected: self.tasks.len(),
                got: task_roots.len(),
            });
        }
        let mut leaves = Vec::with_capacity(self.fields.len() * 32);
        for f in &self.fields {
            match f {
                FieldTasks::Whole(t) => leaves.extend_from_slice(&task_roots[*t]),
                FieldTasks::Parts {
                    plan,
                    height,
                    first,
                    n,
                } => {
                    let flat: Vec<u8> = task_roots[*first..first + n].concat();
                    leaves.extend_from_slice(&plan.finish(&flat, *height, r));
                }
            }
        }
        Ok(container_root(self.schema, &leaves, r))
    }
}

/// Root of the bytes of a task described by `spec` in a state of schema `schema`.
fn spec_root(
    schema: &SszType,
    spec: &TaskSpec,
    bytes: &[u8],
    r: &mut Reducer,
) -> Result<[u8; 32], MerkleError> {
    let i = spec.field as usize;
    let Some((_, ty)) = schema.fields().get(i) else {
        return Err(MerkleError::UnknownField {
            name: format!("field #{i}"),
        });
    };
    let path = || field_path(schema, i);
    let Some(height) = spec.height else {
        return hash_tree_root(ty, bytes, &path, r);
    };
    let field_len = usize::try_from(spec.field_len).unwrap_or(usize::MAX);
    let plan = SeqPlan::new(ty, field_len, &path)?
        .ok_or_else(|| MerkleError::NotSplittable { name: path() })?;
    if height > plan.depth {
        return Err(MerkleError::TooLong {
            path: format!("{} part height", path()),
            limit: plan.depth as u64,
            got: height as u64,
        });
    }
    let part = spec.part as usize;
    let want = plan.group_range(part, height);
    if part >= plan.groups(height) || bytes.len() != want.len() {
        return Err(MerkleError::WrongSize {
            path: format!("{} part {part}", path()),
            expected: want.len(),
            got: bytes.len(),
        });
    }
    plan.part_root(bytes, part, height, &path, r)
}

/// Hashes tasks from their [`TaskSpec`] and bytes only: what a Web Worker holds.
pub struct TaskHasher {
    schema: &'static SszType,
    reducer: Reducer,
}

impl TaskHasher {
    /// A hasher for states of `fork` under `preset`.
    pub fn new(fork: ForkName, preset: PresetName) -> Self {
        Self::of_container(beacon_state(fork, preset))
    }

    /// A hasher for the tasks of a [`StatePlan::of_container`] plan of `schema`.
    pub fn of_container(schema: &'static SszType) -> Self {
        TaskHasher {
            schema,
            reducer: Reducer::new(),
        }
    }

    /// Root of one task's bytes. A wrong spec or length gives an error, never a panic.
    pub fn hash(&mut self, spec: &TaskSpec, bytes: &[u8]) -> Result<[u8; 32], MerkleError> {
        spec_root(self.schema, spec, bytes, &mut self.reducer)
    }

    /// Node hashes done so far.
    pub fn nodes_hashed(&self) -> u64 {
        self.reducer.nodes
    }
}

/// Why a streamed state could not be hashed: bad SSZ, or a body that does not match its
/// announced length. Retrying with the same bytes gives the same error; fetch the state again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// The bytes are not a valid BeaconState encoding.
    Invalid(MerkleError),
    /// More bytes arrived than announced.
    TooLong {
        /// Announced length in bytes.
        expected: u64,
        /// Bytes received so far.
        got: u64,
    },
    /// The body ended before its announced length.
    Truncated {
        /// Announced length in bytes.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The buffer for the arriving bytes could not be allocated.
    OutOfMemory {
        /// The capacity that was refused, in bytes.
        bytes: u64,
    },
    /// A task root was supplied for a task that does not exist.
    NoSuchTask {
        /// Number of tasks.
        expected_below: usize,
        /// Index given.
        got: usize,
    },
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Invalid(e) => write!(f, "{e}"),
            StreamError::TooLong { expected, got } => {
                write!(f, "expected a body of {expected} bytes, got at least {got}")
            }
            StreamError::Truncated { expected, got } => {
                write!(f, "expected a body of {expected} bytes, got {got}")
            }
            StreamError::OutOfMemory { bytes } => write!(
                f,
                "expected room for a state buffer of {bytes} bytes, got an allocation failure"
            ),
            StreamError::NoSuchTask {
                expected_below,
                got,
            } => write!(f, "expected a task index below {expected_below}, got {got}"),
        }
    }
}

impl std::error::Error for StreamError {}

impl From<MerkleError> for StreamError {
    fn from(e: MerkleError) -> Self {
        StreamError::Invalid(e)
    }
}

/// Whether a stream keeps field `name` of type `ty` past hashing (see [`KeptState`]): every
/// fixed-size field, every variable-size container (bounded: the execution payload header, the
/// Gloas bid) and `historical_summaries` (backfill verifies with it); not the other lists, which
/// grow with the registry or are queues.
fn kept_field(name: &str, ty: &SszType) -> bool {
    ty.fixed_size().is_some()
        || name == "historical_summaries"
        // Gloas: the withdrawals the anchor block's payload envelope must carry (checked by
        // `checkpoint::envelope`); at most MAX_WITHDRAWALS_PER_PAYLOAD records.
        || name == "payload_expected_withdrawals"
        // Gloas: the builder registry, whose keys sign builder-made envelopes. It holds the
        // staked builders, not the validators: kilobytes, where the validator registry is
        // hundreds of megabytes.
        || name == "builders"
        || matches!(
            ty,
            SszType::Container(..) | SszType::ProgressiveContainer(..)
        )
}

/// What a stream copies out of the body as it passes: the kept fields, and the registry's
/// numbers from the validator records.
struct Keeper {
    /// State byte ranges to keep, in order: the fixed part, then each kept variable field.
    keep: Vec<Range<usize>>,
    /// The kept bytes, `keep` concatenated.
    bytes: Vec<u8>,
    /// Each field's range within `bytes` (`None`: not kept).
    ranges: Vec<Option<Range<usize>>>,
    /// The registry's byte range in the state (empty without one).
    registry: Range<usize>,
    /// The byte range of the latest block header's proposer's record (empty when outside the
    /// registry), and that record as it is copied out.
    proposer_range: Range<usize>,
    proposer: Vec<u8>,
    /// The start of a record split between two chunks (shorter than a record).
    carry: Vec<u8>,
    epoch: u64,
    active: ActiveValidators,
}

impl Keeper {
    /// Lays out what to keep of a state planned as `plan`, whose fixed part is in `head`.
    fn new(plan: &StatePlan, head: &[u8], preset: PresetName) -> Result<Keeper, StreamError> {
        let fields = plan.schema.fields();
        let fixed_len: usize = fields.iter().map(|(_, t)| t.fixed_part_size()).sum();
        let mut keep = Vec::with_capacity(fields.len() + 1);
        keep.push(0..fixed_len);
        let mut ranges = Vec::with_capacity(fields.len());
        let mut at = fixed_len;
        for ((name, ty), r) in fields.iter().zip(&plan.field_ranges) {
            ranges.push(match ty.fixed_size() {
                Some(_) => Some(r.clone()),
                None if kept_field(name, ty) => {
                    keep.push(r.clone());
                    at += r.len();
                    Some(at - r.len()..at)
                }
                None => None,
            });
        }
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(at)
            .map_err(|_| StreamError::OutOfMemory { bytes: at as u64 })?;
        let field = |name| plan.schema.field_index(name).map(|i| &plan.field_ranges[i]);
        let slot = field("slot").map_or(0, |r| {
            u64::from_le_bytes(head[r.start..r.start + 8].try_into().expect("8 bytes"))
        });
        let registry = field("validators").cloned().unwrap_or(0..0);
        // `latest_block_header.proposer_index`: 8 bytes after the header's slot.
        let proposer_range = field("latest_block_header")
            .map(|r| {
                u64::from_le_bytes(head[r.start + 8..r.start + 16].try_into().expect("8 bytes"))
            })
            .and_then(|i| usize::try_from(i).ok()?.checked_mul(VALIDATOR_BYTES))
            .and_then(|off| registry.start.checked_add(off))
            .filter(|start| start.saturating_add(VALIDATOR_BYTES) <= registry.end)
            .map_or(0..0, |start| start..start + VALIDATOR_BYTES);
        Ok(Keeper {
            keep,
            bytes,
            ranges,
            registry,
            proposer_range,
            proposer: Vec::with_capacity(VALIDATOR_BYTES),
            carry: Vec::with_capacity(VALIDATOR_BYTES),
            epoch: slot / with_preset!(preset, P => P::SLOTS_PER_EPOCH),
            active: ActiveValidators::NONE,
        })
    }

    /// Takes what it keeps of `chunk`, the state's bytes from `at` on.
    fn take(&mut self, at: usize, chunk: &[u8]) {
        let within = |r: &Range<usize>| {
            let (s, e) = (r.start.max(at), r.end.min(at + chunk.len()));
            (s < e).then(|| &chunk[s - at..e - at])
        };
        for r in &self.keep {
            if let Some(b) = within(r) {
                self.bytes.extend_from_slice(b);
            }
        }
        if let Some(b) = within(&self.proposer_range) {
            self.proposer.extend_from_slice(b);
        }
        let Some(mut records) = within(&self.registry) else {
            return;
        };
        if !self.carry.is_empty() {
            let n = (VALIDATOR_BYTES - self.carry.len()).min(records.len());
            self.carry.extend_from_slice(&records[..n]);
            records = &records[n..];
            if self.carry.len() < VALIDATOR_BYTES {
                return;
            }
            count_active(&mut self.active, &self.carry, self.epoch);
            self.carry.clear();
        }
        let whole = records.len() - records.len() % VALIDATOR_BYTES;
        count_active(&mut self.active, &records[..whole], self.epoch);
        self.carry.extend_from_slice(&records[whole..]);
    }

    fn finish(self, fork: ForkName, preset: PresetName) -> KeptState<'static> {
        let registry = Registry {
            validators: (self.registry.len() / VALIDATOR_BYTES) as u64,
            epoch: self.epoch,
            active: self.active,
        };
        KeptState::streamed(
            self.bytes,
            self.ranges,
            fork,
            preset,
            registry,
            self.proposer,
        )
    }
}

/// The bytes of state range `r` in a window holding the state's bytes from `base` on.
fn in_window<'w>(window: &'w [u8], base: usize, r: &Range<usize>) -> Option<&'w [u8]> {
    let s = r.start.checked_sub(base)?;
    window.get(s..r.end - base)
}

/// Streaming `hash_tree_root(BeaconState)` that does not keep the state: each task is hashed or
/// handed out as soon as its bytes are in, the body's bytes live in a window from the first task
/// still needing them to the last byte received, and what the anchor reads is copied out as it
/// passes ([`KeptState`]). Memory stays bounded by how far the reading runs ahead of the hashing
/// (the caller's pacing), never by the state's size.
pub struct StreamingStateRoot {
    fork: ForkName,
    preset: PresetName,
    task_bytes: usize,
    total: usize,
    /// The state's bytes `base..base + window.len()`.
    window: Vec<u8>,
    base: usize,
    plan: Option<StatePlan>,
    keeper: Option<Keeper>,
    roots: Vec<Option<[u8; 32]>>,
    missing: usize,
    /// Next task not yet handed out or hashed.
    next: usize,
    /// First task whose root is not in (its bytes, and all after, stay in the window).
    low: usize,
    reducer: Reducer,
    root: Option<[u8; 32]>,
}

impl StreamingStateRoot {
    /// A stream for a state of exactly `total_len` bytes (the body's `Content-Length`). The
    /// window grows as bytes arrive ([`grow_within`]): the length is a provider's claim, and
    /// nothing is allocated from it before the bytes are there.
    pub fn new(fork: ForkName, preset: PresetName, total_len: usize, task_bytes: usize) -> Self {
        StreamingStateRoot {
            fork,
            preset,
            task_bytes: task_bytes.max(1),
            total: total_len,
            window: Vec::new(),
            base: 0,
            plan: None,
            keeper: None,
            roots: Vec::new(),
            missing: 0,
            next: 0,
            low: 0,
            reducer: Reducer::new(),
            root: None,
        }
    }

    /// A stream over a whole state already in memory (a body that came without a
    /// `Content-Length`): takes `bytes` without copying and plans it at once.
    pub fn with_bytes(
        fork: ForkName,
        preset: PresetName,
        bytes: Vec<u8>,
        task_bytes: usize,
    ) -> Result<Self, StreamError> {
        let mut s = StreamingStateRoot::new(fork, preset, bytes.len(), task_bytes);
        s.window = bytes;
        s.plan_if_ready()?;
        Ok(s)
    }

    fn plan_if_ready(&mut self) -> Result<(), StreamError> {
        if self.plan.is_none()
            && (self.window.len() >= state_head_len(self.fork, self.preset)
                || self.window.len() == self.total)
        {
            let plan = StatePlan::new(
                &self.window,
                self.total,
                self.fork,
                self.preset,
                self.task_bytes,
            )?;
            let mut keeper = Keeper::new(&plan, &self.window, self.preset)?;
            // Nothing was released before the plan: the window holds every byte from 0.
            keeper.take(0, &self.window);
            self.keeper = Some(keeper);
            self.roots = vec![None; plan.tasks().len()];
            self.missing = plan.tasks().len();
            self.plan = Some(plan);
        }
        Ok(())
    }

    /// Drops the bytes no task needs any more from the front of the window, once they are at
    /// least as many as the bytes it still holds (so each byte is moved at most about once).
    fn release(&mut self) {
        let Some(from) = self.needed_from() else {
            return;
        };
        let end = self.received();
        let dead = from - self.base;
        if dead > 0 && dead >= end - from {
            self.window.drain(..dead);
            self.base = from;
        }
    }

    /// The first byte a task still needs (the start of the first task whose root is not in),
    /// once the state is planned; the bytes before it are released.
    fn needed_from(&self) -> Option<usize> {
        let plan = self.plan.as_ref()?;
        let end = self.received();
        Some(
            plan.tasks()
                .get(self.low.min(self.next))
                .map_or(end, |t| t.range.start.min(end)),
        )
    }

    /// Bytes received that a task still needs: from the first task whose root is not in to the
    /// last byte received (every byte received before the state is planned). What the window
    /// must hold, whatever order the roots come back in.
    pub fn unhashed_len(&self) -> usize {
        self.received() - self.needed_from().unwrap_or(self.base)
    }

    /// The window's bytes of state range `r`, when they are all in it.
    fn slice(&self, r: &Range<usize>) -> Option<&[u8]> {
        in_window(&self.window, self.base, r)
    }

    /// Appends the next chunk of the body; plans the state once its fixed part is in.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), StreamError> {
        let at = self.received();
        let got = at + chunk.len();
        if got > self.total {
            return Err(StreamError::TooLong {
                expected: self.total as u64,
                got: got as u64,
            });
        }
        self.release();
        grow_within(
            &mut self.window,
            chunk.len(),
            (self.total - self.base) as u64,
        )
        .map_err(|bytes| StreamError::OutOfMemory { bytes })?;
        self.window.extend_from_slice(chunk);
        match self.keeper.as_mut() {
            Some(k) => k.take(at, chunk),
            None => self.plan_if_ready()?,
        }
        Ok(())
    }

    /// Makes the window's room `bytes` (at most the body's announced length) at once, when the
    /// caller knows how far its reading runs ahead of the hashing: one allocation instead of a
    /// doubling series whose old blocks a wasm heap keeps. Best effort: without the room, the
    /// window grows as bytes arrive.
    pub fn reserve_window(&mut self, bytes: usize) {
        let want = bytes.min(self.total - self.base);
        let _ = self
            .window
            .try_reserve_exact(want.saturating_sub(self.window.len()));
    }

    /// Bytes received so far.
    pub fn received(&self) -> usize {
        self.base + self.window.len()
    }

    /// Bytes held in the window (received and still needed by a task, or not released yet).
    pub fn window_len(&self) -> usize {
        self.window.len()
    }

    /// Announced size of the state in bytes.
    pub fn total_len(&self) -> usize {
        self.total
    }

    /// The plan, once the fixed part is in.
    pub fn plan(&self) -> Option<&StatePlan> {
        self.plan.as_ref()
    }

    /// Hands out the next task whose bytes have all arrived (its index, spec and bytes), for a
    /// worker; the caller returns its root with [`StreamingStateRoot::set_task_root`]. Its bytes
    /// stay in the window until then (a failed worker's task is hashed here).
    pub fn next_ready(&mut self) -> Option<(usize, TaskSpec, &[u8])> {
        let t = self.plan.as_ref()?.tasks().get(self.next)?;
        let (range, spec) = (t.range.clone(), t.spec);
        if range.end > self.received() {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some((i, spec, self.slice(&range)?))
    }

    /// Whether a task is ready to be handed out.
    pub fn has_ready(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| {
            p.tasks()
                .get(self.next)
                .is_some_and(|t| t.range.end <= self.received())
        })
    }

    /// Records the root of task `index` computed elsewhere. The value is trusted: a wrong root
    /// gives a wrong state root, which the caller's comparison then rejects.
    pub fn set_task_root(&mut self, index: usize, root: [u8; 32]) -> Result<(), StreamError> {
        let n = self.roots.len();
        let slot = self.roots.get_mut(index).ok_or(StreamError::NoSuchTask {
            expected_below: n,
            got: index,
        })?;
        if slot.replace(root).is_none() {
            self.missing -= 1;
        }
        while self.roots.get(self.low).is_some_and(Option::is_some) {
            self.low += 1;
        }
        Ok(())
    }

    /// Hashes task `index` on this thread (one handed out earlier whose worker failed) and
    /// records its root. Its bytes must have arrived; they are still in the window while its
    /// root is not in.
    pub fn hash_task(&mut self, index: usize) -> Result<(), StreamError> {
        let plan = self.plan.as_ref().ok_or(StreamError::NoSuchTask {
            expected_below: 0,
            got: index,
        })?;
        let t = plan.tasks().get(index).ok_or(StreamError::NoSuchTask {
            expected_below: plan.tasks().len(),
            got: index,
        })?;
        if t.range.end > self.received() {
            return Err(StreamError::Truncated {
                expected: t.range.end as u64,
                got: self.received() as u64,
            });
        }
        // Released: its root came in already, and is kept.
        let Some(bytes) = in_window(&self.window, self.base, &t.range) else {
            return Ok(());
        };
        let root = plan.task_root(index, bytes, &mut self.reducer)?;
        self.set_task_root(index, root)
    }

    /// Number of tasks handed out or hashed so far (a prefix of the plan's tasks).
    pub fn tasks_started(&self) -> usize {
        self.next
    }

    /// Hashes ready tasks in place until about `max_nodes` node hashes are done (at least one
    /// task when one is ready). Returns the number of tasks hashed.
    pub fn step(&mut self, max_nodes: u64) -> Result<usize, StreamError> {
        let start = self.reducer.nodes;
        let mut done = 0;
        while self.reducer.nodes - start < max_nodes && self.has_ready() {
            let i = self.next;
            let plan = self.plan.as_ref().expect("has_ready");
            let range = plan.tasks()[i].range.clone();
            let bytes = in_window(&self.window, self.base, &range)
                .expect("a task not started is in the window");
            let root = plan.task_root(i, bytes, &mut self.reducer)?;
            self.next += 1;
            self.set_task_root(i, root)?;
            done += 1;
        }
        Ok(done)
    }

    /// Whether every byte is in and every task root is known.
    pub fn is_complete(&self) -> bool {
        self.plan.is_some() && self.missing == 0 && self.received() == self.total
    }

    /// The state root, once [`StreamingStateRoot::is_complete`]; call after the body ended.
    /// Errors when the body was shorter than announced.
    pub fn finish(&mut self) -> Result<[u8; 32], StreamError> {
        if let Some(r) = self.root {
            return Ok(r);
        }
        if self.received() != self.total || self.plan.is_none() {
            return Err(StreamError::Truncated {
                expected: self.total as u64,
                got: self.received() as u64,
            });
        }
        // Anything not handed out yet is hashed here.
        self.step(u64::MAX)?;
        let plan = self.plan.as_ref().expect("planned above");
        let mut roots = Vec::with_capacity(self.roots.len());
        for (i, r) in self.roots.iter().enumerate() {
            roots.push(r.ok_or(StreamError::NoSuchTask {
                expected_below: i,
                got: i,
            })?);
        }
        let root = plan.combine(&roots, &mut self.reducer)?;
        self.root = Some(root);
        self.window = Vec::new();
        Ok(root)
    }

    /// Node hashes done on this thread.
    pub fn nodes_hashed(&self) -> u64 {
        self.reducer.nodes
    }

    /// What the anchor reads of the state ([`KeptState`]), once [`StreamingStateRoot::finish`]
    /// gave the root; `None` before.
    pub fn into_kept(self) -> Option<KeptState<'static>> {
        self.root?;
        Some(self.keeper?.finish(self.fork, self.preset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genesis() -> Vec<u8> {
        let p = super::super::fixtures_dir().join("genesis-states/mainnet-genesis.ssz");
        std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
    }

    #[test]
    fn plan_tasks_cover_the_state_and_combine_to_the_root() {
        let bytes = genesis();
        let want = super::super::state_root(&bytes, ForkName::Phase0, PresetName::Mainnet).unwrap();
        for task_bytes in [1usize, 4096, 100_000, DEFAULT_TASK_BYTES, usize::MAX] {
            let head = state_head_len(ForkName::Phase0, PresetName::Mainnet);
            let plan = StatePlan::new(
                &bytes[..head],
                bytes.len(),
                ForkName::Phase0,
                PresetName::Mainnet,
                task_bytes,
            )
            .unwrap();
            let mut covered = 0;
            let mut r = Reducer::new();
            let mut hasher = TaskHasher::new(ForkName::Phase0, PresetName::Mainnet);
            let mut roots = Vec::new();
            for (i, t) in plan.tasks().iter().enumerate() {
                covered += t.range.len();
                let a = plan.task_root(i, &bytes[t.range.clone()], &mut r).unwrap();
                let b = hasher.hash(&t.spec, &bytes[t.range.clone()]).unwrap();
                assert_eq!(a, b);
                roots.push(a);
            }
            // Everything but the 4-byte offsets of the variable-size fields is in some task.
            let offsets = 4 * beacon_state(ForkName::Phase0, PresetName::Mainnet)
                .fields()
                .iter()
                .filter(|(_, t)| t.fixed_size().is_none())
                .count();
            assert_eq!(covered + offsets, bytes.len(), "task_bytes {task_bytes}");
            assert!(plan
                .tasks()
                .windows(2)
                .all(|w| w[0].range.end <= w[1].range.end));
            assert_eq!(
                plan.combine(&roots, &mut r).unwrap(),
                want,
                "task_bytes {task_bytes}"
            );
            // A wrong root changes the result.
            roots[0][0] ^= 1;
            assert_ne!(plan.combine(&roots, &mut r).unwrap(), want);
        }
    }

    #[test]
    fn streaming_in_odd_chunks_gives_the_root() {
        let bytes = genesis();
        let want = super::super::state_root(&bytes, ForkName::Phase0, PresetName::Mainnet).unwrap();
        for chunk in [65_536usize, 1_000_003] {
            let mut s = StreamingStateRoot::new(
                ForkName::Phase0,
                PresetName::Mainnet,
                bytes.len(),
                200_000,
            );
            let mut handed = Vec::new();
            for (k, c) in bytes.chunks(chunk).enumerate() {
                s.push(c).unwrap();
                if k % 2 == 0 {
                    s.step(50_000).unwrap();
                } else if let Some((i, spec, b)) = s.next_ready() {
                    handed.push((i, spec, b.to_vec()));
                }
            }
            let mut h = TaskHasher::new(ForkName::Phase0, PresetName::Mainnet);
            for (i, spec, b) in handed {
                let r = h.hash(&spec, &b).unwrap();
                s.set_task_root(i, r).unwrap();
            }
            assert_eq!(s.finish().unwrap(), want);
            let kept = s.into_kept().expect("finished");
            let whole = super::super::StateView::new(&bytes, ForkName::Phase0, PresetName::Mainnet)
                .unwrap();
            assert_eq!(kept.view().block_root(5), whole.block_root(5));
            assert_eq!(kept.view().field_bytes("validators"), None);
        }
    }

    /// What a stream still needs is counted from the first task whose root is not in: roots
    /// of later tasks coming back first do not shrink it; that first root does.
    #[test]
    fn unhashed_len_counts_from_the_first_task_without_its_root() {
        let bytes = genesis();
        let mut s =
            StreamingStateRoot::new(ForkName::Phase0, PresetName::Mainnet, bytes.len(), 100_000);
        assert_eq!(s.unhashed_len(), 0);
        s.push(&bytes[..7]).unwrap();
        assert_eq!(s.unhashed_len(), 7, "before the plan, every byte");
        s.push(&bytes[7..]).unwrap();
        let mut handed = Vec::new();
        while let Some((i, spec, b)) = s.next_ready() {
            handed.push((i, spec, b.to_vec()));
        }
        assert!(handed.len() > 3);
        let first = s.plan().unwrap().tasks()[0].range.start;
        assert_eq!(s.unhashed_len(), bytes.len() - first);
        let mut h = TaskHasher::new(ForkName::Phase0, PresetName::Mainnet);
        for (i, spec, b) in handed.iter().skip(1) {
            let r = h.hash(spec, b).unwrap();
            s.set_task_root(*i, r).unwrap();
        }
        assert_eq!(s.unhashed_len(), bytes.len() - first, "task 0 still out");
        let (i, spec, b) = &handed[0];
        let r = h.hash(spec, b).unwrap();
        s.set_task_root(*i, r).unwrap();
        assert_eq!(s.unhashed_len(), 0, "every root in");
        assert!(s.finish().is_ok());
    }

    #[test]
    fn bad_streams_give_typed_errors() {
        let bytes = genesis();
        let mut s = StreamingStateRoot::new(ForkName::Phase0, PresetName::Mainnet, 1000, 4096);
        assert_eq!(
            s.push(&bytes[..2000]),
            Err(StreamError::TooLong {
                expected: 1000,
                got: 2000
            })
        );
        let mut s =
            StreamingStateRoot::new(ForkName::Phase0, PresetName::Mainnet, bytes.len(), 4096);
        s.push(&bytes[..bytes.len() - 1]).unwrap();
        assert!(matches!(s.finish(), Err(StreamError::Truncated { .. })));
        // Announced length shorter than the fixed part: the plan fails on the offsets.
        let mut s = StreamingStateRoot::new(ForkName::Phase0, PresetName::Mainnet, 100, 4096);
        assert!(matches!(
            s.push(&bytes[..100]),
            Err(StreamError::Invalid(MerkleError::TooShort { .. }))
        ));
        let mut h = TaskHasher::new(ForkName::Phase0, PresetName::Mainnet);
        let spec = TaskSpec {
            field: 11,
            field_len: 121 * 10,
            part: 0,
            height: Some(2),
        };
        assert!(matches!(
            h.hash(&spec, &[0u8; 100]),
            Err(MerkleError::WrongSize { .. })
        ));
        // A part far past the field and a height at the limit's depth: a typed error, not an
        // overflow of the part's byte offset.
        let far = TaskSpec {
            part: u32::MAX,
            height: Some(40),
            ..spec
        };
        assert!(matches!(
            h.hash(&far, &[0u8; 100]),
            Err(MerkleError::WrongSize { .. })
        ));
        let spec = TaskSpec { field: 99, ..spec };
        assert!(matches!(
            h.hash(&spec, &[0u8; 100]),
            Err(MerkleError::UnknownField { .. })
        ));
    }
}
