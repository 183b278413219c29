//! Validating `hash_tree_root` of any schema type, straight from its SSZ bytes.
//!
//! Every offset and length is checked before it is used, so truncated or garbage input ends in a
//! [`MerkleError`] naming the field, never in a panic or an out-of-bounds read. Lists and vectors
//! of fixed-size elements (validators, balances, roots, ...) are hashed in groups of `2^h` leaves
//! ([`SeqPlan`]): each group is one batched subtree, and the group roots are reduced on top with
//! zero subtrees standing in for the unused part of the limit. A Gloas `ProgressiveList` of
//! fixed-size elements is grouped the same way inside its progressive subtrees, then the spine is
//! folded. The same groups are the unit of work of the incremental [`super::StateRootJob`] and of
//! the Web Worker split.

use super::progressive::{
    self, merkleize_progressive, merkleize_progressive_packed, progressive_container_root,
};
use super::schema::{ContainerType, SszType};
use super::tree::{ceil_log2, mix_in_length, Reducer};
use super::MerkleError;
use std::ops::Range;

/// Lazily rendered location of a value (`validators[17].slashed`), built only on error.
pub(crate) type PathFn<'a> = &'a dyn Fn() -> String;

/// Target size in bytes of one group's leaf buffer: large enough that each tree level is one
/// long kernel call, small enough to stay in L2 cache and to bound the scratch memory (~2x).
const GROUP_BYTES: usize = 256 * 1024;

fn read_offset(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Byte ranges of each field of a container encoded in `bytes` (validates the fixed part and the
/// offsets: the first offset must point right after the fixed part, offsets never decrease and
/// never pass the end).
pub(crate) fn container_ranges(
    fields: &[(&'static str, SszType)],
    bytes: &[u8],
    path: PathFn,
) -> Result<Vec<Range<usize>>, MerkleError> {
    container_ranges_of(fields, bytes, bytes.len(), path)
}

/// [`container_ranges`] from only the first bytes of the value (`head`, at least its fixed part)
/// and the value's total length `total`: what a streaming hasher knows before the body arrives.
pub(crate) fn container_ranges_of(
    fields: &[(&'static str, SszType)],
    head: &[u8],
    total: usize,
    path: PathFn,
) -> Result<Vec<Range<usize>>, MerkleError> {
    let fixed_len: usize = fields.iter().map(|(_, t)| t.fixed_part_size()).sum();
    let all_fixed = fields.iter().all(|(_, t)| t.fixed_size().is_some());
    if all_fixed && total != fixed_len {
        return Err(MerkleError::WrongSize {
            path: path(),
            expected: fixed_len,
            got: total,
        });
    }
    if total < fixed_len || head.len() < fixed_len {
        return Err(MerkleError::TooShort {
            path: path(),
            expected_at_least: fixed_len,
            got: total.min(head.len()),
        });
    }
    let bytes = head;
    let mut ranges = Vec::with_capacity(fields.len());
    // (field index, offset) for variable fields, in order.
    let mut var: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    for (i, (_, t)) in fields.iter().enumerate() {
        match t.fixed_size() {
            Some(s) => {
                ranges.push(pos..pos + s);
                pos += s;
            }
            None => {
                var.push((i, read_offset(bytes, pos) as usize));
                ranges.push(0..0);
                pos += 4;
            }
        }
    }
    let mut prev = fixed_len;
    for (k, &(i, off)) in var.iter().enumerate() {
        let (lo, hi) = if k == 0 {
            (fixed_len, fixed_len)
        } else {
            (prev, total)
        };
        if off < lo || off > hi {
            return Err(MerkleError::BadOffset {
                path: format!("{}.{}", path(), fields[i].0),
                expected_min: lo,
                expected_max: hi,
                got: off,
            });
        }
        prev = off;
    }
    for (k, &(i, off)) in var.iter().enumerate() {
        let end = var.get(k + 1).map_or(total, |&(_, o)| o);
        ranges[i] = off..end;
    }
    Ok(ranges)
}

/// Ranges of the elements of a list or vector of variable-size elements (`bytes` starts with one
/// 4-byte offset per element).
fn variable_elements(
    bytes: &[u8],
    path: PathFn,
    max: u64,
) -> Result<Vec<Range<usize>>, MerkleError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    if bytes.len() < 4 {
        return Err(MerkleError::TooShort {
            path: path(),
            expected_at_least: 4,
            got: bytes.len(),
        });
    }
    let first = read_offset(bytes, 0) as usize;
    if !first.is_multiple_of(4) || first == 0 || first > bytes.len() {
        return Err(MerkleError::BadOffset {
            path: format!("{}[0]", path()),
            expected_min: 4,
            expected_max: bytes.len().min((max as usize).saturating_mul(4)),
            got: first,
        });
    }
    let count = first / 4;
    if count as u64 > max {
        return Err(MerkleError::TooLong {
            path: path(),
            limit: max,
            got: count as u64,
        });
    }
    let mut offs = Vec::with_capacity(count + 1);
    offs.push(first);
    for i in 1..count {
        let o = read_offset(bytes, 4 * i) as usize;
        let prev = offs[i - 1];
        if o < prev || o > bytes.len() {
            return Err(MerkleError::BadOffset {
                path: format!("{}[{i}]", path()),
                expected_min: prev,
                expected_max: bytes.len(),
                got: o,
            });
        }
        offs.push(o);
    }
    offs.push(bytes.len());
    Ok(offs.windows(2).map(|w| w[0]..w[1]).collect())
}

/// The chunk of a value whose root is its own (zero-padded) bytes: basic types, byte vectors of
/// at most 32 bytes and bitvectors of at most 256 bits. Validates booleans and bitvector padding.
fn leaf_of(ty: &SszType, bytes: &[u8], path: PathFn) -> Option<Result<[u8; 32], MerkleError>> {
    let size = leaf_size(ty)?;
    Some((|| {
        if bytes.len() != size {
            return Err(MerkleError::WrongSize {
                path: path(),
                expected: size,
                got: bytes.len(),
            });
        }
        check_value(ty, bytes, path)?;
        let mut c = [0u8; 32];
        c[..size].copy_from_slice(bytes);
        Ok(c)
    })())
}

/// Size of a type whose root is its own zero-padded bytes (see [`leaf_of`]).
fn leaf_size(ty: &SszType) -> Option<usize> {
    match ty {
        SszType::Uint(n) | SszType::ByteVector(n) if *n <= 32 => Some(*n),
        SszType::Boolean | SszType::Byte => Some(1),
        SszType::Bitvector(n) if *n <= 256 => Some(n.div_ceil(8)),
        _ => None,
    }
}

/// Value checks beyond the size: booleans are 0 or 1, bitvector padding bits are zero.
fn check_value(ty: &SszType, bytes: &[u8], path: PathFn) -> Result<(), MerkleError> {
    match ty {
        SszType::Boolean if bytes[0] > 1 => Err(MerkleError::BadBoolean {
            path: path(),
            got: bytes[0],
        }),
        SszType::Bitvector(n) if n % 8 != 0 => {
            let last = bytes[bytes.len() - 1];
            if last >> (n % 8) != 0 {
                Err(MerkleError::BitvectorPadding {
                    path: path(),
                    bits: *n,
                    last_byte: last,
                })
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// How a list or vector of fixed-size elements maps onto tree leaves, and how its leaves are
/// cut into groups: `2^h` leaves each for a vector or a bounded list; for a `ProgressiveList`
/// (EIP-7916), whose leaves fill progressive subtrees of 1, 4, 16, ... leaves, the small subtrees
/// are one group each and the big ones are cut into groups of `2^h` leaves
/// ([`progressive::part`]), so both split into the same fixed-size units of work.
#[derive(Clone, Debug)]
pub struct SeqPlan {
    /// Element type.
    pub elem: SszType,
    /// Whether the leaves are the packed bytes themselves (basic elements, `Bytes32`).
    pub packed: bool,
    /// Bytes of data per leaf: 32 when packed, else the element size.
    pub leaf_bytes: usize,
    /// Number of leaves in use (chunks when packed, elements otherwise).
    pub leaves: usize,
    /// Height of the whole tree at leaf level (from the limit or vector length); for a
    /// progressive list, the height of the last progressive subtree in use (no group is higher).
    pub depth: u32,
    /// Whether the leaves are merkleized progressively (a `ProgressiveList`).
    pub progressive: bool,
    /// `Some(element count)` for lists (mixed in), `None` for vectors.
    pub length: Option<u64>,
    /// Byte length of the data.
    pub data_len: usize,
    /// Height of one work group (`2^group_height` leaves), at most `depth`.
    pub group_height: u32,
}

impl SeqPlan {
    /// Plans `ty` over `len` bytes, validating the length against the element size and limit.
    /// `None` when `ty` is not a list or vector of fixed-size elements.
    pub(crate) fn new(ty: &SszType, len: usize, path: PathFn) -> Result<Option<Self>, MerkleError> {
        let (elem, count_limit, is_list, progressive) = match ty {
            SszType::Vector(e, n) => (*e, *n as u64, false, false),
            SszType::List(e, n) => (*e, *n, true, false),
            SszType::ProgressiveList(e) => (*e, u64::MAX, true, true),
            _ => return Ok(None),
        };
        let Some(es) = elem.fixed_size() else {
            return Ok(None);
        };
        if es == 0 || !len.is_multiple_of(es) {
            return Err(MerkleError::NotMultiple {
                path: path(),
                element_size: es,
                got: len,
            });
        }
        let count = (len / es) as u64;
        if is_list && count > count_limit {
            return Err(MerkleError::TooLong {
                path: path(),
                limit: count_limit,
                got: count,
            });
        }
        if !is_list && count != count_limit {
            return Err(MerkleError::WrongSize {
                path: path(),
                expected: count_limit as usize * es,
                got: len,
            });
        }
        let packed = elem.is_basic() || *elem == SszType::ByteVector(32);
        let (leaf_bytes, leaves, mut depth, leaf_tree_bytes) = if packed {
            let limit_chunks = (count_limit as u128 * es as u128).div_ceil(32) as u64;
            (32, len.div_ceil(32), ceil_log2(limit_chunks), 32)
        } else {
            (
                es,
                count as usize,
                ceil_log2(count_limit),
                element_tree_bytes(elem),
            )
        };
        if progressive {
            depth = 2 * progressive::subtree_count(leaves as u64).saturating_sub(1);
        }
        let want = (GROUP_BYTES / leaf_tree_bytes).max(1) as u64;
        let group_height = (63 - want.leading_zeros()).min(depth);
        Ok(Some(SeqPlan {
            elem: *elem,
            packed,
            leaf_bytes,
            leaves,
            depth,
            progressive,
            length: is_list.then_some(count),
            data_len: len,
            group_height,
        }))
    }

    /// Number of groups of at most `2^height` leaves covering the data (at least one, except
    /// for an empty progressive list, which has none).
    pub fn groups(&self, height: u32) -> usize {
        if self.progressive {
            return progressive::part_count(self.leaves as u64, height);
        }
        self.leaves.div_ceil(leaves_in(height)).max(1)
    }

    /// First leaf and subtree height of group `g` of a cut at `height`: `2^height` leaves
    /// from `g * 2^height`, except in the small subtrees of a progressive list (past the last
    /// group: an empty group after the last leaf).
    fn group_at(&self, g: usize, height: u32) -> (usize, u32) {
        if !self.progressive {
            return (g.saturating_mul(leaves_in(height)), height);
        }
        match progressive::part(self.leaves as u64, height, g) {
            Some(p) => (p.first as usize, p.height),
            None => (self.leaves, 0),
        }
    }

    /// Byte range, within the data, of group `g` of a cut at `height`.
    pub fn group_range(&self, g: usize, height: u32) -> Range<usize> {
        let (first, h) = self.group_at(g, height);
        let start = first.saturating_mul(self.leaf_bytes);
        let per = leaves_in(h).saturating_mul(self.leaf_bytes);
        start.min(self.data_len)..start.saturating_add(per).min(self.data_len)
    }

    /// Root of group `g` of a cut at `height` from its bytes (`group_range(g, height)`).
    pub(crate) fn part_root(
        &self,
        bytes: &[u8],
        g: usize,
        height: u32,
        path: PathFn,
        r: &mut Reducer,
    ) -> Result<[u8; 32], MerkleError> {
        let (first, h) = self.group_at(g, height);
        self.group_root(bytes, h, first, path, r)
    }

    /// Root of one group's subtree (height `height`) from its bytes.
    fn group_root(
        &self,
        bytes: &[u8],
        height: u32,
        first_leaf: usize,
        path: PathFn,
        r: &mut Reducer,
    ) -> Result<[u8; 32], MerkleError> {
        if self.packed {
            if let SszType::Boolean = self.elem {
                if let Some(i) = bytes.iter().position(|&b| b > 1) {
                    return Err(MerkleError::BadBoolean {
                        path: format!("{}[{}]", path(), first_leaf * 32 + i),
                        got: bytes[i],
                    });
                }
            }
            return Ok(r.reduce_packed(bytes, height));
        }
        let n = bytes.len() / self.leaf_bytes;
        let mut roots = Vec::with_capacity(n * 32);
        fixed_roots(
            &self.elem,
            bytes,
            self.leaf_bytes,
            n,
            first_leaf,
            &mut roots,
            path,
            r,
        )?;
        Ok(r.reduce(&roots, height, 0))
    }

    /// Root of the whole sequence from its group roots of a cut at `height` (concatenated,
    /// 32 bytes each, [`SeqPlan::groups`] of them).
    pub(crate) fn finish(&self, group_roots: &[u8], height: u32, r: &mut Reducer) -> [u8; 32] {
        let root = if self.progressive {
            progressive::combine_parts(self.leaves as u64, height, group_roots, r)
        } else {
            r.reduce(group_roots, self.depth - height, height)
        };
        match self.length {
            Some(n) => {
                r.nodes += 1;
                mix_in_length(&root, n)
            }
            None => root,
        }
    }

    /// The whole root, group by group.
    pub(crate) fn root(
        &self,
        bytes: &[u8],
        path: PathFn,
        r: &mut Reducer,
    ) -> Result<[u8; 32], MerkleError> {
        let h = self.group_height;
        let mut roots = Vec::with_capacity(self.groups(h) * 32);
        for g in 0..self.groups(h) {
            let range = self.group_range(g, h);
            let root = self.part_root(&bytes[range], g, h, path, r)?;
            roots.extend_from_slice(&root);
        }
        Ok(self.finish(&roots, h, r))
    }
}

/// Leaves of a subtree of height `h`: `2^h`, saturated where `usize` (32 bits in wasm32) cannot
/// hold it, so a height from a task spec never overflows a shift.
fn leaves_in(h: u32) -> usize {
    1usize.checked_shl(h).unwrap_or(usize::MAX)
}

/// Bytes of leaves one element expands to when its root is computed in a batch.
fn element_tree_bytes(t: &SszType) -> usize {
    match t {
        SszType::Container(c) => 32 << ceil_log2(c.fields.len() as u64),
        other => {
            other
                .fixed_size()
                .unwrap_or(32)
                .next_multiple_of(32)
                .max(32)
                * 2
        }
    }
}

/// Appends to `out` the roots of `n` fixed-size values of type `ty`, value `k` starting at
/// `data[k * stride]`. Containers and small byte vectors are done for all `n` at once: their
/// leaves go into one buffer (`2^d` chunks per value) and each level is one kernel call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fixed_roots(
    ty: &SszType,
    data: &[u8],
    stride: usize,
    n: usize,
    first_index: usize,
    out: &mut Vec<u8>,
    path: PathFn,
    r: &mut Reducer,
) -> Result<(), MerkleError> {
    let size = ty.fixed_size().expect("fixed_roots on a fixed-size type");
    if n == 0 {
        return Ok(());
    }
    let at = |k: usize| &data[k * stride..k * stride + size];
    let item_path = |k: usize| format!("{}[{}]", path(), first_index + k);
    match ty {
        SszType::Container(ContainerType { fields, .. }) => {
            let d = ceil_log2(fields.len() as u64);
            let width = 1usize << d;
            let mut leaves = vec![0u8; n * width * 32];
            let mut off = 0;
            for (i, (name, ft)) in fields.iter().enumerate() {
                let fsize = ft.fixed_size().expect("fixed container");
                let fpath = |k: usize| format!("{}.{name}", item_path(k));
                if leaf_size(ft).is_some() {
                    for k in 0..n {
                        let b = &at(k)[off..off + fsize];
                        check_value(ft, b, &|| fpath(k))?;
                        let p = (k * width + i) * 32;
                        leaves[p..p + fsize].copy_from_slice(b);
                    }
                } else {
                    let mut tmp = Vec::with_capacity(n * 32);
                    let sub = &data[off..];
                    let sub_path = || format!("{}.{name}", path());
                    fixed_roots(ft, sub, stride, n, first_index, &mut tmp, &sub_path, r)?;
                    for k in 0..n {
                        let p = (k * width + i) * 32;
                        leaves[p..p + 32].copy_from_slice(&tmp[k * 32..k * 32 + 32]);
                    }
                }
                off += fsize;
            }
            r.reduce_groups_in_place(&mut leaves, d);
            out.extend_from_slice(&leaves);
        }
        SszType::ProgressiveContainer(..) => {
            // Not batched: progressive containers are few and never the elements of a big list.
            for k in 0..n {
                out.extend_from_slice(&hash_tree_root(ty, at(k), &|| item_path(k), r)?);
            }
        }
        SszType::Vector(e, m) if !e.is_basic() => {
            let es = e.fixed_size().expect("fixed vector");
            let mut tmp = Vec::new();
            for k in 0..n {
                tmp.clear();
                let p = || item_path(k);
                fixed_roots(e, at(k), es, *m, 0, &mut tmp, &p, r)?;
                out.extend_from_slice(&r.reduce(&tmp, ceil_log2(*m as u64), 0));
            }
        }
        _ => {
            if leaf_size(ty).is_some() {
                for k in 0..n {
                    check_value(ty, at(k), &|| item_path(k))?;
                    let mut c = [0u8; 32];
                    c[..size].copy_from_slice(at(k));
                    out.extend_from_slice(&c);
                }
                return Ok(());
            }
            // Packed bytes longer than one chunk: ByteVector, Bitvector, Vector of basic.
            if let SszType::Bitvector(_) = ty {
                for k in 0..n {
                    check_value(ty, at(k), &|| item_path(k))?;
                }
            }
            if let SszType::Vector(e, _) = ty {
                if **e == SszType::Boolean {
                    for k in 0..n {
                        if let Some(i) = at(k).iter().position(|&b| b > 1) {
                            return Err(MerkleError::BadBoolean {
                                path: format!("{}[{i}]", item_path(k)),
                                got: at(k)[i],
                            });
                        }
                    }
                }
            }
            let d = ceil_log2(size.div_ceil(32) as u64);
            let width = 32usize << d;
            let mut leaves = vec![0u8; n * width];
            for k in 0..n {
                leaves[k * width..k * width + size].copy_from_slice(at(k));
            }
            r.reduce_groups_in_place(&mut leaves, d);
            out.extend_from_slice(&leaves);
        }
    }
    Ok(())
}

/// `hash_tree_root` of a value of type `ty` encoded in exactly `bytes`.
pub(crate) fn hash_tree_root(
    ty: &SszType,
    bytes: &[u8],
    path: PathFn,
    r: &mut Reducer,
) -> Result<[u8; 32], MerkleError> {
    if let Some(leaf) = leaf_of(ty, bytes, path) {
        return leaf;
    }
    if let Some(plan) = SeqPlan::new(ty, bytes.len(), path)? {
        return plan.root(bytes, path, r);
    }
    match ty {
        SszType::Container(ContainerType { fields, .. }) => {
            if ty.fixed_size().is_some() {
                let size = ty.fixed_size().unwrap_or(0);
                if bytes.len() != size {
                    return Err(MerkleError::WrongSize {
                        path: path(),
                        expected: size,
                        got: bytes.len(),
                    });
                }
                let mut out = Vec::with_capacity(32);
                fixed_roots(ty, bytes, size, 1, 0, &mut out, &|| path(), r)?;
                let mut root = [0u8; 32];
                root.copy_from_slice(&out);
                return Ok(root);
            }
            let ranges = container_ranges(fields, bytes, path)?;
            let roots = field_roots(fields, bytes, &ranges, path, r)?;
            Ok(r.reduce(&roots.concat(), ceil_log2(fields.len() as u64), 0))
        }
        SszType::ByteVector(n) => {
            if bytes.len() != *n {
                return Err(MerkleError::WrongSize {
                    path: path(),
                    expected: *n,
                    got: bytes.len(),
                });
            }
            Ok(r.reduce_packed(bytes, ceil_log2(n.div_ceil(32) as u64)))
        }
        SszType::Bitvector(n) => {
            if bytes.len() != n.div_ceil(8) {
                return Err(MerkleError::WrongSize {
                    path: path(),
                    expected: n.div_ceil(8),
                    got: bytes.len(),
                });
            }
            check_value(ty, bytes, path)?;
            Ok(r.reduce_packed(bytes, ceil_log2(n.div_ceil(256) as u64)))
        }
        SszType::Bitlist(limit) => {
            let (bits, data) = bitlist_bits(bytes, path)?;
            if bits > *limit {
                return Err(MerkleError::TooLong {
                    path: path(),
                    limit: *limit,
                    got: bits,
                });
            }
            let root = r.reduce_packed(&data, ceil_log2(limit.div_ceil(256)));
            Ok(mix_in_length(&root, bits))
        }
        SszType::ProgressiveBitlist => {
            let (bits, data) = bitlist_bits(bytes, path)?;
            let root = merkleize_progressive_packed(&data, r);
            Ok(mix_in_length(&root, bits))
        }
        SszType::ProgressiveList(e) => progressive_list_root(e, bytes, path, r),
        SszType::ProgressiveContainer(ContainerType { fields, .. }, active) => {
            let ranges = container_ranges(fields, bytes, path)?;
            let roots = field_roots(fields, bytes, &ranges, path, r)?;
            Ok(progressive_container_root(active, &roots.concat(), r))
        }
        SszType::List(e, limit) => {
            // Variable-size elements (fixed-size ones took the SeqPlan path).
            let elems = variable_elements(bytes, path, *limit)?;
            let mut roots = Vec::with_capacity(elems.len() * 32);
            for (i, range) in elems.iter().enumerate() {
                let p = || format!("{}[{i}]", path());
                roots.extend_from_slice(&hash_tree_root(e, &bytes[range.clone()], &p, r)?);
            }
            let root = r.reduce(&roots, ceil_log2(*limit), 0);
            Ok(mix_in_length(&root, elems.len() as u64))
        }
        SszType::Vector(e, n) => {
            let elems = variable_elements(bytes, path, *n as u64)?;
            if elems.len() != *n {
                return Err(MerkleError::WrongSize {
                    path: path(),
                    expected: *n,
                    got: elems.len(),
                });
            }
            let mut roots = Vec::with_capacity(elems.len() * 32);
            for (i, range) in elems.iter().enumerate() {
                let p = || format!("{}[{i}]", path());
                roots.extend_from_slice(&hash_tree_root(e, &bytes[range.clone()], &p, r)?);
            }
            Ok(r.reduce(&roots, ceil_log2(*n as u64), 0))
        }
        SszType::Uint(_) | SszType::Byte | SszType::Boolean => {
            unreachable!("basic types are leaves")
        }
    }
}

/// The bit length of a bitlist and its bitfield bytes without the delimiter bit (`pack_bits`
/// input). Errors when the last byte has no delimiter.
fn bitlist_bits(bytes: &[u8], path: PathFn) -> Result<(u64, Vec<u8>), MerkleError> {
    let Some(&last) = bytes.last().filter(|&&b| b != 0) else {
        return Err(MerkleError::MissingBitlistDelimiter { path: path() });
    };
    let bits = 8 * (bytes.len() as u64 - 1) + 7 - last.leading_zeros() as u64;
    let mut data = bytes[..(bits as usize).div_ceil(8)].to_vec();
    if !bits.is_multiple_of(8) {
        let l = data.len() - 1;
        data[l] &= (1u8 << (bits % 8)) - 1;
    }
    Ok((bits, data))
}

/// `hash_tree_root` of a `ProgressiveList[e]` of variable-size elements encoded in `bytes`
/// (elements located by their offsets), then `merkleize_progressive` and the length mixed in.
/// Fixed-size elements take the [`SeqPlan`] path, group by group like a bounded list.
fn progressive_list_root(
    e: &SszType,
    bytes: &[u8],
    path: PathFn,
    r: &mut Reducer,
) -> Result<[u8; 32], MerkleError> {
    let elems = variable_elements(bytes, path, u64::MAX)?;
    let mut roots = Vec::with_capacity(elems.len() * 32);
    for (i, range) in elems.iter().enumerate() {
        let p = || format!("{}[{i}]", path());
        roots.extend_from_slice(&hash_tree_root(e, &bytes[range.clone()], &p, r)?);
    }
    let root = merkleize_progressive(&roots, r);
    Ok(mix_in_length(&root, elems.len() as u64))
}

/// The root of a container or progressive container `ty` from its field roots (concatenated,
/// 32 bytes each, in field order).
pub(crate) fn container_root(ty: &SszType, field_roots: &[u8], r: &mut Reducer) -> [u8; 32] {
    match ty {
        SszType::ProgressiveContainer(_, active) => {
            progressive_container_root(active, field_roots, r)
        }
        _ => r.reduce(field_roots, ceil_log2(ty.fields().len() as u64), 0),
    }
}

/// Roots of every field of a container, given the field byte ranges.
pub(crate) fn field_roots(
    fields: &[(&'static str, SszType)],
    bytes: &[u8],
    ranges: &[Range<usize>],
    path: PathFn,
    r: &mut Reducer,
) -> Result<Vec<[u8; 32]>, MerkleError> {
    fields
        .iter()
        .zip(ranges)
        .map(|((name, t), range)| {
            let p = || format!("{}.{name}", path());
            hash_tree_root(t, &bytes[range.clone()], &p, r)
        })
        .collect()
}
