//! Batched binary-tree reduction with precomputed zero subtrees.
//!
//! SSZ pads every list and vector to a power-of-two number of chunks (the list *limit*, up to
//! 2^40 validators); the padding is all zeros, so `zero_hash(h)`, the root of a zero subtree of
//! height `h`, stands in for it and only the occupied part of the tree is ever hashed. Each tree
//! level is hashed with one kernel call over all its pairs, which is what makes the multi-lane
//! and SHA-NI kernels pay off.

use super::sha256::{hash_nodes, hash_pair};
use std::sync::OnceLock;

/// Deepest zero subtree we precompute. Tree depths in the beacon state reach 41
/// (2^40 validators plus the length mix-in); 64 covers any `List[T, N]` with `N < 2^64`.
pub const MAX_ZERO_DEPTH: usize = 64;

/// `zero_hash(h)`: root of a height-`h` tree of zero chunks (`zero_hash(0)` is 32 zero bytes).
///
/// # Panics
/// If `h > MAX_ZERO_DEPTH` (depths come from schema limits, which are below 2^64).
pub fn zero_hash(h: usize) -> &'static [u8; 32] {
    static ZEROS: OnceLock<[[u8; 32]; MAX_ZERO_DEPTH + 1]> = OnceLock::new();
    &ZEROS.get_or_init(|| {
        let mut z = [[0u8; 32]; MAX_ZERO_DEPTH + 1];
        for i in 1..=MAX_ZERO_DEPTH {
            z[i] = hash_pair(&z[i - 1], &z[i - 1]);
        }
        z
    })[h]
}

/// `ceil(log2(n))`, with `ceil_log2(0) == ceil_log2(1) == 0`: the depth of a tree with `n` leaves.
pub fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// `mix_in_length(root, length)` from the SSZ spec: `hash(root ++ uint256(length))`.
pub fn mix_in_length(root: &[u8; 32], length: u64) -> [u8; 32] {
    let mut len = [0u8; 32];
    len[..8].copy_from_slice(&length.to_le_bytes());
    hash_pair(root, &len)
}

/// Reusable scratch space and a count of hashed nodes (for incremental jobs and benchmarks).
#[derive(Default)]
pub struct Reducer {
    a: Vec<u8>,
    b: Vec<u8>,
    /// Number of 64-byte compressions (node hashes) done so far.
    pub nodes: u64,
}

impl Reducer {
    /// A fresh reducer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hashes pairs through the best kernel and counts them.
    pub fn hash(&mut self, input: &[u8], out: &mut [u8]) {
        self.nodes += (input.len() / 64) as u64;
        hash_nodes(input, out);
    }

    /// Root of a tree of height `height` whose leaves are the 32-byte `chunks` (a multiple of
    /// 32 bytes, at most `2^height` of them) followed by zero subtrees of height `base`, i.e. the
    /// tree sits `base` levels above the real leaves (used when the leaves are themselves subtree
    /// roots). The caller guarantees `chunks.len() / 32 <= 2^height`.
    pub fn reduce(&mut self, chunks: &[u8], height: u32, base: u32) -> [u8; 32] {
        debug_assert!(chunks.len().is_multiple_of(32));
        debug_assert!(height >= 64 || (chunks.len() as u64 / 32) <= (1u64 << height));
        let count = chunks.len() / 32;
        if count == 0 {
            return *zero_hash((base + height) as usize);
        }
        let mut a = std::mem::take(&mut self.a);
        let mut b = std::mem::take(&mut self.b);
        let mut level = 0u32;
        let mut n = count;
        // Level 0 reads straight from `chunks`; later levels ping-pong between `a` and `b`.
        let mut first = true;
        while n > 1 {
            let pairs = n / 2;
            let next = n.div_ceil(2);
            let src: &[u8] = if first { chunks } else { &a[..n * 32] };
            b.clear();
            b.resize(next * 32, 0);
            self.nodes += pairs as u64;
            hash_nodes(&src[..pairs * 64], &mut b[..pairs * 32]);
            if n % 2 == 1 {
                let mut last = [0u8; 32];
                last.copy_from_slice(&src[pairs * 64..pairs * 64 + 32]);
                let h = hash_pair(&last, zero_hash((base + level) as usize));
                self.nodes += 1;
                b[pairs * 32..].copy_from_slice(&h);
            }
            std::mem::swap(&mut a, &mut b);
            first = false;
            n = next;
            level += 1;
        }
        let mut root = [0u8; 32];
        root.copy_from_slice(if first { &chunks[..32] } else { &a[..32] });
        while level < height {
            root = hash_pair(&root, zero_hash((base + level) as usize));
            self.nodes += 1;
            level += 1;
        }
        self.a = a;
        self.b = b;
        root
    }

    /// Like [`Reducer::reduce`] for packed bytes whose length need not be a multiple of 32: the
    /// last partial chunk is zero-padded (SSZ `pack`).
    pub fn reduce_packed(&mut self, bytes: &[u8], height: u32) -> [u8; 32] {
        if bytes.len().is_multiple_of(32) {
            return self.reduce(bytes, height, 0);
        }
        if bytes.len() <= 4096 {
            let mut buf = [0u8; 4096 + 32];
            let padded = bytes.len().next_multiple_of(32);
            buf[..bytes.len()].copy_from_slice(bytes);
            return self.reduce(&buf[..padded], height, 0);
        }
        let mut v = bytes.to_vec();
        v.resize(bytes.len().next_multiple_of(32), 0);
        self.reduce(&v, height, 0)
    }

    /// Hashes a buffer of `2^levels`-chunk groups in place, level by level, leaving each group's
    /// root in the first `32 * groups` bytes. All groups go through each level in one kernel call.
    pub fn reduce_groups_in_place(&mut self, buf: &mut Vec<u8>, levels: u32) {
        let mut tmp = std::mem::take(&mut self.b);
        for _ in 0..levels {
            let n = buf.len() / 64;
            tmp.clear();
            tmp.resize(n * 32, 0);
            self.hash(buf, &mut tmp);
            std::mem::swap(buf, &mut tmp);
        }
        self.b = tmp;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// SHA-256 of `a ++ b` by the `sha2` crate: the reference the kernels are checked against.
    pub(crate) fn h(a: &[u8], b: &[u8]) -> [u8; 32] {
        let mut s = Sha256::new();
        s.update(a);
        s.update(b);
        s.finalize().into()
    }

    /// Naive merkleization: pad to 2^height chunks and hash pairwise.
    fn naive(chunks: &[u8], height: u32) -> [u8; 32] {
        let mut level: Vec<[u8; 32]> = chunks
            .chunks(32)
            .map(|c| {
                let mut x = [0u8; 32];
                x[..c.len()].copy_from_slice(c);
                x
            })
            .collect();
        level.resize(1 << height, [0; 32]);
        while level.len() > 1 {
            level = level.chunks(2).map(|p| h(&p[0], &p[1])).collect();
        }
        level[0]
    }

    #[test]
    fn zero_hashes_are_hashes_of_zero_trees() {
        assert_eq!(zero_hash(0), &[0u8; 32]);
        assert_eq!(zero_hash(1), &h(&[0; 32], &[0; 32]));
        assert_eq!(zero_hash(5), &naive(&[], 5));
        assert_eq!(zero_hash(40), &h(zero_hash(39), zero_hash(39)));
    }

    #[test]
    fn reduce_matches_naive_for_every_count() {
        let mut r = Reducer::new();
        for height in 0..=6u32 {
            for n in 0..=(1usize << height) {
                let chunks: Vec<u8> = (0..n * 32).map(|i| (i * 7 + n) as u8).collect();
                assert_eq!(
                    r.reduce(&chunks, height, 0),
                    naive(&chunks, height),
                    "{n} {height}"
                );
                // Packed with a partial last chunk.
                if n > 0 {
                    let cut = &chunks[..n * 32 - 5];
                    assert_eq!(r.reduce_packed(cut, height), naive(cut, height));
                }
            }
        }
    }

    #[test]
    fn reduce_with_base_equals_reduce_of_subtree_roots() {
        // 11 chunks in a height-5 tree == 3 subtree roots (height 2) in a height-3 tree, base 2.
        let mut r = Reducer::new();
        let chunks: Vec<u8> = (0..11 * 32).map(|i| (i % 251) as u8).collect();
        let whole = r.reduce(&chunks, 5, 0);
        let mut roots = Vec::new();
        for g in chunks.chunks(4 * 32) {
            roots.extend_from_slice(&r.reduce(g, 2, 0));
        }
        assert_eq!(r.reduce(&roots, 3, 2), whole);
        assert_eq!(whole, naive(&chunks, 5));
    }

    #[test]
    fn ceil_log2_values() {
        let got: Vec<u32> = [0u64, 1, 2, 3, 4, 5, 8, 9, 1 << 40]
            .iter()
            .map(|&n| ceil_log2(n))
            .collect();
        assert_eq!(got, vec![0, 0, 1, 2, 2, 3, 3, 4, 40]);
    }
}
