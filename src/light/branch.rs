//! Merkle-branch checks of the light-client protocol (phase0 `is_valid_merkle_branch`, altair
//! `is_valid_normalized_merkle_branch`) and the generalized indices the protocol proves.
//!
//! A light client never holds a whole `BeaconState`; it holds a header's `state_root` and is
//! handed one leaf plus its sibling path. Checking the path costs `depth` SHA-256 compressions,
//! so it is done with `sha2` directly rather than through a tree-hashing library.

use sha2::{Digest, Sha256};

/// A 32-byte SSZ node.
pub type Node = [u8; 32];

/// `get_generalized_index(altair.BeaconState, 'finalized_checkpoint', 'root')`, Altair to Deneb.
pub const FINALIZED_ROOT_GINDEX: u64 = 105;
/// `get_generalized_index(altair.BeaconState, 'current_sync_committee')`, Altair to Deneb.
pub const CURRENT_SYNC_COMMITTEE_GINDEX: u64 = 54;
/// `get_generalized_index(altair.BeaconState, 'next_sync_committee')`, Altair to Deneb.
pub const NEXT_SYNC_COMMITTEE_GINDEX: u64 = 55;
/// Electra's `BeaconState` has more than 32 fields, so its tree is one level deeper.
pub const FINALIZED_ROOT_GINDEX_ELECTRA: u64 = 169;
/// See [`FINALIZED_ROOT_GINDEX_ELECTRA`].
pub const CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA: u64 = 86;
/// See [`FINALIZED_ROOT_GINDEX_ELECTRA`].
pub const NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA: u64 = 87;
/// `get_generalized_index(BeaconBlockBody, 'execution_payload')`, Capella onwards.
pub const EXECUTION_PAYLOAD_GINDEX: u64 = 25;

/// `floorlog2(gindex)`: the depth of a generalized index (0 for the root, `gindex == 1`).
pub fn floorlog2(gindex: u64) -> u32 {
    63 - gindex.max(1).leading_zeros()
}

/// `get_subtree_index`: the position of `gindex` among the nodes of its depth.
pub fn get_subtree_index(gindex: u64) -> u64 {
    gindex % (1u64 << floorlog2(gindex))
}

fn hash_pair(left: &Node, right: &Node) -> Node {
    let mut h = Sha256::new();
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// phase0 `is_valid_merkle_branch`: whether `leaf` sits at `index` (among `2^depth` leaves) of the
/// tree whose root is `root`. A branch shorter than `depth` is invalid (the spec indexes
/// `branch[i]` for every level; a short branch would raise there).
pub fn is_valid_merkle_branch(
    leaf: &Node,
    branch: &[Node],
    depth: u32,
    index: u64,
    root: &Node,
) -> bool {
    compute_merkle_branch_root(leaf, branch, depth, index).is_some_and(|r| r == *root)
}

/// `compute_merkle_branch_root`: the root that `leaf` at `index` (among `2^depth` leaves) and
/// the first `depth` nodes of `branch` hash up to; `None` when the branch is shorter than `depth`.
pub fn compute_merkle_branch_root(
    leaf: &Node,
    branch: &[Node],
    depth: u32,
    index: u64,
) -> Option<Node> {
    if branch.len() < depth as usize {
        return None;
    }
    let mut value = *leaf;
    for (i, sibling) in branch.iter().take(depth as usize).enumerate() {
        value = if (index >> i) & 1 == 1 {
            hash_pair(sibling, &value)
        } else {
            hash_pair(&value, sibling)
        };
    }
    Some(value)
}

/// altair `is_valid_normalized_merkle_branch`: a branch may be longer than the gindex's depth
/// (an older proof padded to a newer, deeper fork's length); the extra leading nodes must be
/// zero and the rest must prove `leaf` at `gindex`.
pub fn is_valid_normalized_merkle_branch(
    leaf: &Node,
    branch: &[Node],
    gindex: u64,
    root: &Node,
) -> bool {
    let depth = floorlog2(gindex);
    let index = get_subtree_index(gindex);
    let Some(num_extra) = branch.len().checked_sub(depth as usize) else {
        return false;
    };
    if branch[..num_extra].iter().any(|n| *n != [0u8; 32]) {
        return false;
    }
    is_valid_merkle_branch(leaf, &branch[num_extra..], depth, index, root)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a full tree of 8 leaves and checks every leaf's branch against the root.
    #[test]
    fn branches_of_a_small_tree() {
        let leaves: Vec<Node> = (0u8..8).map(|i| [i + 1; 32]).collect();
        let l1: Vec<Node> = leaves.chunks(2).map(|c| hash_pair(&c[0], &c[1])).collect();
        let l2: Vec<Node> = l1.chunks(2).map(|c| hash_pair(&c[0], &c[1])).collect();
        let root = hash_pair(&l2[0], &l2[1]);
        for i in 0..8usize {
            let branch = [leaves[i ^ 1], l1[(i / 2) ^ 1], l2[(i / 4) ^ 1]];
            assert!(is_valid_merkle_branch(
                &leaves[i], &branch, 3, i as u64, &root
            ));
            assert!(!is_valid_merkle_branch(
                &leaves[i],
                &branch,
                3,
                (i ^ 1) as u64,
                &root
            ));
            let gindex = 8 + i as u64;
            assert!(is_valid_normalized_merkle_branch(
                &leaves[i], &branch, gindex, &root
            ));
            // Padded with a zero node: still valid; padded with a non-zero node: invalid.
            let padded = [[0u8; 32], branch[0], branch[1], branch[2]];
            assert!(is_valid_normalized_merkle_branch(
                &leaves[i], &padded, gindex, &root
            ));
            let bad = [[1u8; 32], branch[0], branch[1], branch[2]];
            assert!(!is_valid_normalized_merkle_branch(
                &leaves[i], &bad, gindex, &root
            ));
            // Too short.
            assert!(!is_valid_normalized_merkle_branch(
                &leaves[i],
                &branch[..2],
                gindex,
                &root
            ));
        }
    }

    #[test]
    fn gindex_helpers_match_the_spec_constants() {
        // Depths and subtree indices the spec's branch types are sized by.
        assert_eq!(floorlog2(CURRENT_SYNC_COMMITTEE_GINDEX), 5);
        assert_eq!(floorlog2(FINALIZED_ROOT_GINDEX), 6);
        assert_eq!(floorlog2(CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA), 6);
        assert_eq!(floorlog2(FINALIZED_ROOT_GINDEX_ELECTRA), 7);
        assert_eq!(floorlog2(EXECUTION_PAYLOAD_GINDEX), 4);
        assert_eq!(get_subtree_index(EXECUTION_PAYLOAD_GINDEX), 9);
        assert_eq!(get_subtree_index(NEXT_SYNC_COMMITTEE_GINDEX), 23);
    }
}
