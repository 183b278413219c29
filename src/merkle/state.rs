//! `hash_tree_root(BeaconState)` from SSZ bytes: one-shot and incremental (the split for Web
//! Workers is [`super::stream`]'s tasks).
//!
//! Both share one unit of work: a *group* of `2^h` leaves of a big list or vector
//! ([`SeqPlan`]). [`StateRootJob::step`] runs groups until a node budget is spent, so a browser
//! can yield to the event loop between steps (at ~250 ns per node, 100k nodes is ~25 ms).
//! [`StateRootJob::set_field_root`] takes a field root computed elsewhere (the devnet's registry
//! lists, the same in every state it serves) so the job skips that field.

use super::progressive;
use super::schema::{beacon_state, SszType};
use super::ssz::{container_ranges, container_root, hash_tree_root, SeqPlan};
use super::tree::{ceil_log2, Reducer};
use super::MerkleError;
use crate::types::{ForkName, PresetName};
use std::ops::Range;

/// `hash_tree_root` of a BeaconState of `fork` under `preset`, from its SSZ bytes.
///
/// Errors when the bytes are not a valid encoding (see [`MerkleError`]); retrying with the same
/// bytes gives the same error.
pub fn state_root(
    bytes: &[u8],
    fork: ForkName,
    preset: PresetName,
) -> Result<[u8; 32], MerkleError> {
    let mut job = StateRootJob::new(bytes, fork, preset)?;
    loop {
        if let Progress::Done(root) = job.step(u64::MAX)? {
            return Ok(root);
        }
    }
}

/// Where an incremental job stands after a [`StateRootJob::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// More work remains; `bytes_done` of `bytes_total` state bytes are hashed.
    Pending {
        /// State bytes already hashed.
        bytes_done: u64,
        /// Size of the state in bytes.
        bytes_total: u64,
    },
    /// The state root.
    Done([u8; 32]),
}

struct SeqInProgress {
    plan: SeqPlan,
    next_group: usize,
    roots: Vec<u8>,
}

/// Incremental `hash_tree_root(BeaconState)`: call [`StateRootJob::step`] until it returns
/// [`Progress::Done`]. Holds only the borrowed bytes, one group's scratch buffers and the group
/// roots of the field in progress (for 2M validators: 2048 groups x 32 bytes).
pub struct StateRootJob<'a> {
    bytes: &'a [u8],
    schema: &'static SszType,
    ranges: Vec<Range<usize>>,
    roots: Vec<Option<[u8; 32]>>,
    next_field: usize,
    current: Option<SeqInProgress>,
    reducer: Reducer,
    bytes_done: u64,
    root: Option<[u8; 32]>,
}

impl<'a> StateRootJob<'a> {
    /// Validates the top-level layout (fixed part, offsets) and prepares the job; no hashing yet.
    pub fn new(bytes: &'a [u8], fork: ForkName, preset: PresetName) -> Result<Self, MerkleError> {
        let schema = beacon_state(fork, preset);
        let ranges = container_ranges(schema.fields(), bytes, &|| "BeaconState".to_string())?;
        let n = ranges.len();
        Ok(StateRootJob {
            bytes,
            schema,
            ranges,
            roots: vec![None; n],
            next_field: 0,
            current: None,
            reducer: Reducer::new(),
            bytes_done: 0,
            root: None,
        })
    }

    /// Supplies the root of field `name` computed elsewhere (e.g. once for many states),
    /// so the job does not hash it. The value is trusted: a wrong root gives a wrong state root,
    /// which the caller's comparison with the expected root then rejects.
    pub fn set_field_root(&mut self, name: &str, root: [u8; 32]) -> Result<(), MerkleError> {
        let i = self
            .schema
            .field_index(name)
            .ok_or_else(|| MerkleError::UnknownField {
                name: name.to_string(),
            })?;
        self.roots[i] = Some(root);
        Ok(())
    }

    /// Node hashes done so far (64-byte compressions pairs, i.e. tree nodes).
    pub fn nodes_hashed(&self) -> u64 {
        self.reducer.nodes
    }

    /// Roots of every top-level field, once the job is done (for Merkle branches).
    pub fn field_roots(&self) -> Option<Vec<[u8; 32]>> {
        self.root?;
        self.roots.iter().copied().collect()
    }

    /// Hashes until about `max_nodes` node hashes are done (at least one unit of work: one
    /// group or one small field), then reports progress.
    pub fn step(&mut self, max_nodes: u64) -> Result<Progress, MerkleError> {
        if let Some(root) = self.root {
            return Ok(Progress::Done(root));
        }
        let start = self.reducer.nodes;
        loop {
            if let Some(cur) = &mut self.current {
                let i = self.next_field;
                let h = cur.plan.group_height;
                let base = self.ranges[i].start;
                let range = cur.plan.group_range(cur.next_group, h);
                let name = self.schema.fields()[i].0;
                let path = || format!("BeaconState.{name}");
                let bytes = &self.bytes[base + range.start..base + range.end];
                let root =
                    cur.plan
                        .part_root(bytes, cur.next_group, h, &path, &mut self.reducer)?;
                cur.roots.extend_from_slice(&root);
                self.bytes_done += range.len() as u64;
                cur.next_group += 1;
                if cur.next_group == cur.plan.groups(h) {
                    let root = cur.plan.finish(&cur.roots, h, &mut self.reducer);
                    self.roots[i] = Some(root);
                    self.current = None;
                    self.next_field += 1;
                }
            } else if self.next_field < self.ranges.len() {
                let i = self.next_field;
                let range = self.ranges[i].clone();
                let (name, ty) = &self.schema.fields()[i];
                let path = || format!("BeaconState.{name}");
                if self.roots[i].is_some() {
                    self.bytes_done += range.len() as u64;
                    self.next_field += 1;
                    continue;
                }
                match SeqPlan::new(ty, range.len(), &path)? {
                    Some(plan) if plan.groups(plan.group_height) > 1 => {
                        self.current = Some(SeqInProgress {
                            plan,
                            next_group: 0,
                            roots: Vec::new(),
                        });
                        continue;
                    }
                    _ => {
                        let root = hash_tree_root(
                            ty,
                            &self.bytes[range.clone()],
                            &path,
                            &mut self.reducer,
                        )?;
                        self.roots[i] = Some(root);
                        self.bytes_done += range.len() as u64;
                        self.next_field += 1;
                    }
                }
            } else {
                let leaves: Vec<u8> = self.roots.iter().flatten().flatten().copied().collect();
                let root = container_root(self.schema, &leaves, &mut self.reducer);
                self.root = Some(root);
                return Ok(Progress::Done(root));
            }
            if self.reducer.nodes - start >= max_nodes {
                return Ok(Progress::Pending {
                    bytes_done: self.bytes_done,
                    bytes_total: self.bytes.len() as u64,
                });
            }
        }
    }
}

/// A Merkle proof of one node of the state tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateProof {
    /// Generalized index of the proven node (root = 1).
    pub gindex: u64,
    /// The proven node (a field root, or a chunk inside a field).
    pub leaf: [u8; 32],
    /// Sibling nodes from the leaf up to the root (`depth = floor(log2(gindex))` of them).
    pub branch: Vec<[u8; 32]>,
    /// The state root the branch leads to.
    pub root: [u8; 32],
}

/// Generalized index of a top-level field: `2^depth + index` with `depth = ceil(log2(#fields))`
/// in a container; in a progressive container (Gloas) the position's place in the progressive
/// tree under the `active_fields` mix-in. For example `current_sync_committee` is 54 before
/// Electra, 86 from Electra on and 2945 from Gloas on.
pub fn field_gindex(fork: ForkName, field: &str) -> Option<u64> {
    path_gindex(fork, &[field])
}

/// Generalized index of `path` (field names, outermost first), e.g.
/// `["finalized_checkpoint", "root"]` = 105 before Electra, 169 from Electra on, 735 from Gloas.
pub fn path_gindex(fork: ForkName, path: &[&str]) -> Option<u64> {
    let mut ty = beacon_state(fork, PresetName::Mainnet);
    let mut g = 1u64;
    for name in path {
        let i = ty.field_index(name)?;
        g = child_gindex(ty, g, i);
        ty = &ty.fields()[i].1;
    }
    Some(g)
}

/// Generalized index of field `i` of container `ty` whose root is at `parent`.
///
/// A progressive container's root is `hash(progressive_root, active_fields_chunk)`, so the tree
/// sits at `2 * parent`; position `p` (the `i`-th active one) lies in progressive subtree `k`
/// (leaves `subtree_range(k)`), reached by `k` right turns down the spine and one left turn,
/// then `2k` levels down to leaf `p - subtree_range(k).start`.
fn child_gindex(ty: &SszType, parent: u64, i: usize) -> u64 {
    match ty {
        SszType::ProgressiveContainer(_, active) => {
            let p = progressive_position(active, i);
            let k = progressive_subtree_of(p);
            let spine = ((parent << 1) << k) | ((1u64 << k) - 1);
            let subtree = spine << 1;
            (subtree << (2 * k)) + (p as u64 - progressive::subtree_range(k).start as u64)
        }
        _ => (parent << ceil_log2(ty.fields().len() as u64)) + i as u64,
    }
}

/// Position in the progressive tree of the `i`-th field: the `i`-th `1` of `active_fields`.
fn progressive_position(active: &[bool], i: usize) -> usize {
    active
        .iter()
        .enumerate()
        .filter(|(_, &on)| on)
        .nth(i)
        .map(|(p, _)| p)
        .expect("a field index of the container")
}

/// The progressive subtree holding leaf `p`.
fn progressive_subtree_of(p: usize) -> u32 {
    (0..)
        .find(|&k| progressive::subtree_range(k).contains(&(p as u128)))
        .expect("some subtree")
}

/// Siblings of field `i` of container `ty` (field roots `roots`) up to the container's root,
/// leaf side first, matching [`child_gindex`].
fn container_branch(ty: &SszType, roots: &[[u8; 32]], i: usize) -> Vec<[u8; 32]> {
    let SszType::ProgressiveContainer(_, active) = ty else {
        return branch_in(roots, i, ceil_log2(roots.len() as u64));
    };
    let mut chunks = vec![[0u8; 32]; active.len()];
    for (j, root) in roots.iter().enumerate() {
        chunks[progressive_position(active, j)] = *root;
    }
    let p = progressive_position(active, i);
    let k = progressive_subtree_of(p);
    let mut r = Reducer::new();
    let subtree_roots: Vec<[u8; 32]> = (0..progressive::subtree_count(chunks.len() as u64))
        .map(|m| {
            let range = progressive::subtree_range(m);
            let end = (range.end as usize).min(chunks.len());
            r.reduce(chunks[range.start as usize..end].as_flattened(), 2 * m, 0)
        })
        .collect();
    let range = progressive::subtree_range(k);
    let end = (range.end as usize).min(chunks.len());
    let mut branch = branch_in(
        &chunks[range.start as usize..end],
        p - range.start as usize,
        2 * k,
    );
    branch.push(progressive::fold_subtrees(
        &subtree_roots[k as usize + 1..],
        &mut r,
    ));
    branch.extend(subtree_roots[..k as usize].iter().rev());
    let mut bits = [0u8; 32];
    for (j, _) in active.iter().enumerate().filter(|(_, &on)| on) {
        bits[j / 8] |= 1 << (j % 8);
    }
    branch.push(bits);
    branch
}

/// Siblings of leaf `index` in a tree of `2^depth` leaves (`leaves` padded with zero chunks).
fn branch_in(leaves: &[[u8; 32]], index: usize, depth: u32) -> Vec<[u8; 32]> {
    let mut level: Vec<[u8; 32]> = leaves.to_vec();
    level.resize(1 << depth, [0; 32]);
    let mut idx = index;
    let mut out = Vec::with_capacity(depth as usize);
    for _ in 0..depth {
        out.push(level[idx ^ 1]);
        level = level
            .chunks_exact(2)
            .map(|p| super::hash_pair(&p[0], &p[1]))
            .collect();
        idx /= 2;
    }
    out
}

/// `hash_tree_root` of a container (plain or progressive) of schema `ty` from its field roots, in
/// field order: for a generator that knows the roots of a value's fields but not the value.
pub fn container_root_from_fields(ty: &SszType, field_roots: &[[u8; 32]]) -> [u8; 32] {
    container_root(ty, field_roots.as_flattened(), &mut Reducer::new())
}

/// The generalized index of field `i` of container `ty` and its branch (siblings, leaf side
/// first) up to the container's root, from the field roots: what [`container_proof`] gives for a
/// one-name path, without the value's bytes.
pub fn container_field_branch(
    ty: &SszType,
    field_roots: &[[u8; 32]],
    i: usize,
) -> (u64, Vec<[u8; 32]>) {
    (child_gindex(ty, 1, i), container_branch(ty, field_roots, i))
}

/// Merkle proof of `path` (container fields, outermost first) in the state, e.g.
/// `["next_sync_committee"]` or `["finalized_checkpoint", "root"]`, as light-client updates carry.
/// The top level is hashed by a [`StateRootJob`] (as for the state root itself).
pub fn state_proof(
    bytes: &[u8],
    fork: ForkName,
    preset: PresetName,
    path: &[&str],
) -> Result<StateProof, MerkleError> {
    let mut job = StateRootJob::new(bytes, fork, preset)?;
    let state_root = loop {
        if let Progress::Done(r) = job.step(u64::MAX)? {
            break r;
        }
    };
    let top = job.field_roots().unwrap_or_default();
    let schema = beacon_state(fork, preset);
    descend(schema, bytes, &job.ranges, &top, state_root, path)
}

/// Merkle proof of `path` in any container or progressive container `ty` encoded as `bytes`
/// (e.g. a Gloas `BeaconBlockBody` and
/// `["signed_execution_payload_bid", "message", "parent_block_hash"]`).
pub fn container_proof(
    ty: &SszType,
    bytes: &[u8],
    path: &[&str],
) -> Result<StateProof, MerkleError> {
    let what = || ty.name().to_string();
    let ranges = container_ranges(ty.fields(), bytes, &what)?;
    let mut r = Reducer::new();
    let top = super::ssz::field_roots(ty.fields(), bytes, &ranges, &what, &mut r)?;
    let root = container_root(ty, top.as_flattened(), &mut r);
    descend(ty, bytes, &ranges, &top, root, path)
}

/// The proof of `path` below a container whose field ranges and roots are known.
fn descend(
    schema: &SszType,
    bytes: &[u8],
    top_ranges: &[Range<usize>],
    top: &[[u8; 32]],
    root: [u8; 32],
    path: &[&str],
) -> Result<StateProof, MerkleError> {
    let unknown = |n: &str| MerkleError::UnknownField {
        name: n.to_string(),
    };
    let Some((first, rest)) = path.split_first() else {
        return Err(unknown(""));
    };
    let i = schema.field_index(first).ok_or_else(|| unknown(first))?;
    let mut gindex = child_gindex(schema, 1, i);
    let mut branch = container_branch(schema, top, i);
    let mut leaf = top[i];
    // Descend through nested containers; inner siblings go before outer ones.
    let mut ty = &schema.fields()[i].1;
    let mut field_bytes = &bytes[top_ranges[i].clone()];
    let mut r = Reducer::new();
    for name in rest {
        let j = ty.field_index(name).ok_or_else(|| unknown(name))?;
        let fpath = || format!("{}.{}", schema.name(), path.join("."));
        let ranges = container_ranges(ty.fields(), field_bytes, &fpath)?;
        let roots = super::ssz::field_roots(ty.fields(), field_bytes, &ranges, &fpath, &mut r)?;
        let mut inner = container_branch(ty, &roots, j);
        inner.extend(branch);
        branch = inner;
        gindex = child_gindex(ty, gindex, j);
        leaf = roots[j];
        field_bytes = &field_bytes[ranges[j].clone()];
        ty = &ty.fields()[j].1;
    }
    Ok(StateProof {
        gindex,
        leaf,
        branch,
        root,
    })
}
