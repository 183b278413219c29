//! Progressive merkleization: `merkleize_progressive` and `mix_in_active_fields` of the SSZ spec
//! (consensus-specs `ssz/simple-serialize.md`; EIP-7916 `ProgressiveList`/`ProgressiveBitlist`,
//! EIP-7495 `ProgressiveContainer`).
//!
//! A progressive tree has no limit. Its leaves fill subtrees of 1, 4, 16, 64, ... leaves (subtree
//! `k` holds `4^k` leaves, at height `2k`), hung off a spine that grows to the right:
//! `root = hash(s0, hash(s1, hash(s2, 0)))` for three subtrees `s0, s1, s2`, the innermost right
//! child being the zero chunk. (Early drafts of the spec text had the two children the other way
//! round; the v1.7.0-alpha spec vectors, the normative answer, put the subtree on the left, as
//! the current text does.) A leaf therefore keeps its generalized index however long the list
//! grows, which is why Gloas uses it for containers that gain fields and lists without a natural
//! bound. Each subtree is an ordinary zero-padded binary tree, so it is hashed with the batched
//! [`Reducer`] like every other subtree here; only the short spine (one hash per subtree) is
//! new. The typed containers (`crate::types::progressive`) and the byte-level merkleizer both
//! come here, so the two cannot disagree on the tree shape.

use super::sha256::hash_pair;
use super::tree::Reducer;
use std::ops::Range;

/// Leaves (chunks) of progressive subtree `k`: `4^k`.
fn subtree_leaves(k: u32) -> u128 {
    1u128 << (2 * k)
}

/// The leaf indices subtree `k` covers: `(4^k - 1) / 3 .. (4^(k+1) - 1) / 3`.
pub fn subtree_range(k: u32) -> Range<u128> {
    let start = (subtree_leaves(k) - 1) / 3;
    start..start + subtree_leaves(k)
}

/// How many subtrees `leaves` chunks occupy (0 for none): the smallest `n` with
/// `(4^n - 1) / 3 >= leaves`.
pub fn subtree_count(leaves: u64) -> u32 {
    let mut k = 0;
    while subtree_range(k).start < leaves as u128 {
        k += 1;
    }
    k
}

/// The root of a progressive tree from the roots of its subtrees, subtree 0 (one leaf) first;
/// the last may be partly filled (its root then covers zero padding up to `4^k` leaves).
pub fn fold_subtrees(subtree_roots: &[[u8; 32]], r: &mut Reducer) -> [u8; 32] {
    let mut root = [0u8; 32];
    for s in subtree_roots.iter().rev() {
        root = hash_pair(s, &root);
        r.nodes += 1;
    }
    root
}

/// One part of a progressive tree cut for hashing in pieces ([`part`]): leaves
/// `first..first + 2^height` (zero-padded past the last leaf) of subtree `subtree`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// The progressive subtree the part lies in (`4^subtree` leaves, height `2 * subtree`).
    pub subtree: u32,
    /// Index of the part's first leaf in the whole tree.
    pub first: u64,
    /// Height of the part's own subtree: `min(cut height, 2 * subtree)`.
    pub height: u32,
}

/// Parts of subtree `k` of a tree of `leaves` leaves cut at `height`, and their height: the
/// subtree's leaves in use in runs of `2^min(height, 2k)` (the whole subtree when it is at most
/// that big).
fn parts_in_subtree(leaves: u64, height: u32, k: u32) -> (u64, u32) {
    let range = subtree_range(k);
    let used = (leaves as u128).min(range.end).saturating_sub(range.start) as u64;
    let h = height.min(2 * k).min(63);
    (used.div_ceil(1u64 << h), h)
}

/// Number of parts of a progressive tree of `leaves` leaves cut at `height` (0 for an empty
/// tree): each subtree of at most `2^height` leaves is one part, each bigger one is cut into
/// `4^k / 2^height` ordinary subtrees of `2^height` leaves (the last subtree's unused ones are
/// not parts), so a long progressive list splits into the same fixed-size pieces as a bounded
/// one, with a few small parts for the small subtrees in front.
pub fn part_count(leaves: u64, height: u32) -> usize {
    (0..subtree_count(leaves))
        .map(|k| parts_in_subtree(leaves, height, k).0 as usize)
        .sum()
}

/// Part `index` of a progressive tree of `leaves` leaves cut at `height` (see [`part_count`]),
/// in leaf order; `None` past the last one.
pub fn part(leaves: u64, height: u32, index: usize) -> Option<Part> {
    let mut index = index as u64;
    for k in 0..subtree_count(leaves) {
        let (n, h) = parts_in_subtree(leaves, height, k);
        if index < n {
            return Some(Part {
                subtree: k,
                first: subtree_range(k).start as u64 + (index << h),
                height: h,
            });
        }
        index -= n;
    }
    None
}

/// `merkleize_progressive` of a tree of `leaves` leaves from the roots of its parts cut at
/// `height` ([`part`] order, 32 bytes each, concatenated): each subtree's parts are reduced to
/// the subtree root (zero subtrees for its unused leaves), then the spine is folded.
///
/// # Panics
/// When `part_roots` is not [`part_count`] roots (the caller counts them).
pub fn combine_parts(leaves: u64, height: u32, part_roots: &[u8], r: &mut Reducer) -> [u8; 32] {
    assert_eq!(
        part_roots.len(),
        part_count(leaves, height) * 32,
        "one root per part"
    );
    let mut at = 0;
    let subtree_roots: Vec<[u8; 32]> = (0..subtree_count(leaves))
        .map(|k| {
            let (n, h) = parts_in_subtree(leaves, height, k);
            let roots = &part_roots[at..at + n as usize * 32];
            at += roots.len();
            r.reduce(roots, 2 * k - h, h)
        })
        .collect();
    fold_subtrees(&subtree_roots, r)
}

/// `merkleize_progressive(chunks)`: `chunks` are 32-byte chunks, concatenated. An empty input
/// is the zero chunk.
pub fn merkleize_progressive(chunks: &[u8], r: &mut Reducer) -> [u8; 32] {
    debug_assert!(chunks.len().is_multiple_of(32));
    let n = (chunks.len() / 32) as u64;
    let roots: Vec<[u8; 32]> = (0..subtree_count(n))
        .map(|k| {
            let range = subtree_range(k);
            let end = range.end.min(n as u128) as usize;
            r.reduce(&chunks[range.start as usize * 32..end * 32], 2 * k, 0)
        })
        .collect();
    fold_subtrees(&roots, r)
}

/// `merkleize_progressive(pack(bytes))`: packed basic values or bitfield bytes, the last chunk
/// zero-padded as SSZ `pack` says.
pub fn merkleize_progressive_packed(bytes: &[u8], r: &mut Reducer) -> [u8; 32] {
    if bytes.len().is_multiple_of(32) {
        return merkleize_progressive(bytes, r);
    }
    let mut padded = bytes.to_vec();
    padded.resize(bytes.len().next_multiple_of(32), 0);
    merkleize_progressive(&padded, r)
}

/// `mix_in_active_fields(root, active_fields)`: `hash(root, pack_bits(active_fields))`, the
/// bits packed little-endian into one chunk (a progressive container has at most 256 fields).
pub fn mix_in_active_fields(root: &[u8; 32], active_fields: &[bool]) -> [u8; 32] {
    debug_assert!(active_fields.len() <= 256);
    let mut bits = [0u8; 32];
    for (i, _) in active_fields.iter().enumerate().filter(|(_, &on)| on) {
        bits[i / 8] |= 1 << (i % 8);
    }
    hash_pair(root, &bits)
}

/// `hash_tree_root` of a progressive container from the roots of its fields in declaration
/// order (32 bytes each): field `j` sits at the position of the `j`-th `1` in `active_fields`,
/// inactive positions are zero chunks.
///
/// # Panics
/// When the number of roots is not the number of active fields (a schema bug, not bad data).
pub fn progressive_container_root(
    active_fields: &[bool],
    field_roots: &[u8],
    r: &mut Reducer,
) -> [u8; 32] {
    let active = active_fields.iter().filter(|&&on| on).count();
    assert_eq!(field_roots.len(), active * 32, "one root per active field");
    let mut chunks = vec![0u8; active_fields.len() * 32];
    let mut next = field_roots.chunks_exact(32);
    for (i, _) in active_fields.iter().enumerate().filter(|(_, &on)| on) {
        chunks[i * 32..i * 32 + 32].copy_from_slice(next.next().expect("counted above"));
    }
    let root = merkleize_progressive(&chunks, r);
    r.nodes += 1;
    mix_in_active_fields(&root, active_fields)
}

/// Whether `active_fields` is a legal `ProgressiveContainer` configuration for `fields` fields
/// (the spec's "Illegal types"): at most 256 entries, ending in `1`, with one `1` per field.
pub const fn active_fields_valid(active_fields: &[bool], fields: usize) -> bool {
    let n = active_fields.len();
    if n == 0 || n > 256 || !active_fields[n - 1] {
        return false;
    }
    let mut ones = 0;
    let mut i = 0;
    while i < n {
        if active_fields[i] {
            ones += 1;
        }
        i += 1;
    }
    ones == fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::tree::{tests::h, zero_hash};

    /// `merkleize(chunks, limit)` with plain SHA-256, as the spec writes it.
    fn merkleize(chunks: &[[u8; 32]], limit: usize) -> [u8; 32] {
        let mut level = chunks.to_vec();
        level.resize(limit.next_power_of_two(), [0; 32]);
        while level.len() > 1 {
            level = level.chunks(2).map(|p| h(&p[0], &p[1])).collect();
        }
        level[0]
    }

    /// `merkleize_progressive(chunks, num_leaves)`, recursively, as the spec writes it.
    fn spec_progressive(chunks: &[[u8; 32]], num_leaves: usize) -> [u8; 32] {
        if chunks.is_empty() {
            return [0; 32];
        }
        let split = num_leaves.min(chunks.len());
        let a = merkleize(&chunks[..split], num_leaves);
        let b = spec_progressive(&chunks[split..], num_leaves * 4);
        h(&a, &b)
    }

    #[test]
    fn subtrees_are_1_4_16_64() {
        assert_eq!(subtree_range(0), 0..1);
        assert_eq!(subtree_range(1), 1..5);
        assert_eq!(subtree_range(2), 5..21);
        assert_eq!(subtree_range(3), 21..85);
        let counts: Vec<u32> = [0u64, 1, 2, 5, 6, 21, 22, 85, 86]
            .iter()
            .map(|&n| subtree_count(n))
            .collect();
        assert_eq!(counts, vec![0, 1, 2, 2, 3, 3, 4, 4, 5]);
        assert_eq!(subtree_count(u64::MAX), 33);
    }

    #[test]
    fn matches_the_spec_recursion_for_every_length_up_to_100() {
        let mut r = Reducer::new();
        for n in 0..=100usize {
            let chunks: Vec<[u8; 32]> = (0..n)
                .map(|i| {
                    let mut c = [0u8; 32];
                    c[0] = i as u8;
                    c[31] = (i * 7 + 1) as u8;
                    c
                })
                .collect();
            assert_eq!(
                merkleize_progressive(&chunks.concat(), &mut r),
                spec_progressive(&chunks, 1),
                "{n} chunks"
            );
        }
    }

    #[test]
    fn one_chunk_and_empty() {
        let mut r = Reducer::new();
        assert_eq!(merkleize_progressive(&[], &mut r), [0; 32]);
        let c = [7u8; 32];
        assert_eq!(merkleize_progressive(&c, &mut r), h(&c, &[0; 32]));
        // Packed bytes are zero-padded to a chunk.
        let mut padded = [0u8; 32];
        padded[..3].copy_from_slice(&[1, 2, 3]);
        assert_eq!(
            merkleize_progressive_packed(&[1, 2, 3], &mut r),
            h(&padded, &[0; 32])
        );
        // Two chunks: the second sits alone in the 4-leaf subtree.
        let two = [[1u8; 32], [2u8; 32]];
        let s1 = h(&h(&[2; 32], &[0; 32]), zero_hash(1));
        assert_eq!(
            merkleize_progressive(&two.concat(), &mut r),
            h(&[1; 32], &h(&s1, &[0; 32]))
        );
    }

    /// Leaf counts around every subtree boundary up to `4^9` leaves: 0, 2 and `b - 1, b, b + 1`
    /// for each subtree start `b` (1, 5, 21, 85, ...).
    fn boundary_counts() -> Vec<u64> {
        let mut out = vec![0, 2];
        for k in 1..10 {
            let b = subtree_range(k).start as u64;
            out.extend([b - 1, b, b + 1]);
        }
        out
    }

    #[test]
    fn parts_combine_to_the_one_piece_root_around_every_boundary() {
        let mut r = Reducer::new();
        for n in boundary_counts() {
            let chunks: Vec<u8> = (0..n * 32).map(|i| (i * 31 + i / 97) as u8).collect();
            let want = merkleize_progressive(&chunks, &mut r);
            for height in [0, 1, 2, 3, 4, 7, 12, 40] {
                let count = part_count(n, height);
                let mut roots = Vec::with_capacity(count * 32);
                let mut next_leaf = 0;
                for i in 0..count {
                    let p = part(n, height, i).expect("within the count");
                    // Parts tile the leaves in order, inside their subtree, never higher than
                    // the cut.
                    assert_eq!(p.first, next_leaf, "{n} leaves, height {height}, part {i}");
                    assert!(p.height <= height.min(2 * p.subtree));
                    assert!(subtree_range(p.subtree).contains(&(p.first as u128)));
                    let end = (p.first + (1 << p.height)).min(n);
                    next_leaf = end;
                    let leaves = &chunks[p.first as usize * 32..end as usize * 32];
                    roots.extend_from_slice(&r.reduce(leaves, p.height, 0));
                }
                assert_eq!(
                    next_leaf, n,
                    "{n} leaves, height {height}: every leaf in a part"
                );
                assert_eq!(part(n, height, count), None);
                assert_eq!(
                    combine_parts(n, height, &roots, &mut r),
                    want,
                    "{n} leaves, height {height}"
                );
                if count > 0 {
                    roots[count * 32 - 1] ^= 1;
                    assert_ne!(combine_parts(n, height, &roots, &mut r), want);
                }
            }
        }
        // Big subtrees split into `4^k / 2^h` parts: 85 leaves at height 2 are subtrees 0 and
        // 1 whole, then 16 / 4 and 64 / 4 parts.
        assert_eq!(part_count(85, 2), 1 + 1 + 4 + 16);
    }

    #[test]
    fn active_fields_bits_and_positions() {
        let mut r = Reducer::new();
        let active = [true, false, true, false, true];
        let roots = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let chunks = [[1u8; 32], [0; 32], [2; 32], [0; 32], [3; 32]];
        let mut bits = [0u8; 32];
        bits[0] = 0b10101;
        assert_eq!(
            progressive_container_root(&active, &roots.concat(), &mut r),
            h(&spec_progressive(&chunks, 1), &bits)
        );
        assert!(active_fields_valid(&active, 3));
        assert!(!active_fields_valid(&active, 2));
        assert!(!active_fields_valid(&[true, false], 1));
        assert!(!active_fields_valid(&[], 0));
        assert!(!active_fields_valid(&[true; 257], 257));
    }
}
