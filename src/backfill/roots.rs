//! What the anchor state knows about older block roots, and chunk verification with it.
//!
//! A verified anchor state at slot `A` holds `block_roots[s % SLOTS_PER_HISTORICAL_ROOT]` = the
//! root of the latest block at or before `s`, for every `s` in `[A - SLOTS_PER_HISTORICAL_ROOT,
//! A)`, and (from Capella on) `historical_summaries`, whose entry `i` commits to the whole
//! `block_roots` vector of one aligned chunk of `SLOTS_PER_HISTORICAL_ROOT` slots. The last entry
//! covers the chunk that ends at `floor(A / SLOTS_PER_HISTORICAL_ROOT) * SLOTS_PER_HISTORICAL_ROOT`
//! (`process_historical_summaries_update` appends at every such boundary), so entry `i` of `n`
//! covers chunk `floor(A / N) - n + i`, whatever the Capella fork epoch was.
//!
//! With these the walk knows exactly which slot holds which root: a provider that withholds a
//! block is caught at the block's slot instead of after a bounded search, and a whole chunk of
//! headers can be verified on its own (its vector's `hash_tree_root` must be the summary), which
//! is what lets chunks be fetched out of order. Pre-Capella `historical_roots` also commit to
//! `state_roots`, which headers cannot rebuild for empty slots, so they are not used.

use crate::merkle::tree::Reducer;
use crate::merkle::StateView;
use crate::store::AnchorRootsRecord;
use crate::types::{ForkName, PresetName};

use super::Root;

/// Block roots recorded from a verified anchor state (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownRoots {
    /// `state.slot` of the anchor state.
    pub state_slot: u64,
    /// `SLOTS_PER_HISTORICAL_ROOT` of the preset.
    pub slots_per_historical_root: u64,
    /// `state.block_roots` (exactly `slots_per_historical_root` entries).
    pub block_roots: Vec<Root>,
    /// `state.historical_summaries[i].block_summary_root`, in order.
    pub block_summary_roots: Vec<Root>,
}

/// Why state bytes gave no [`KnownRoots`]. Not retryable with the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownRootsError {
    /// What was wrong, as "expected …, got …".
    pub reason: String,
}

impl std::fmt::Display for KnownRootsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "anchor state roots: {}", self.reason)
    }
}

impl std::error::Error for KnownRootsError {}

impl KnownRoots {
    /// Reads the roots of a `BeaconState` SSZ whose `hash_tree_root` must be `state_root` (the
    /// anchor's): the state is hashed here, so roots from an unverified state never get in.
    pub fn from_verified_state(
        bytes: &[u8],
        fork: ForkName,
        preset: PresetName,
        state_root: &Root,
    ) -> Result<KnownRoots, KnownRootsError> {
        let got = crate::merkle::state_root(bytes, fork, preset).map_err(|e| KnownRootsError {
            reason: format!("expected a {fork} BeaconState, got {e}"),
        })?;
        if &got != state_root {
            return Err(KnownRootsError {
                reason: format!(
                    "expected a state with root 0x{}, got 0x{}",
                    hex::encode(state_root),
                    hex::encode(got)
                ),
            });
        }
        let view = StateView::new(bytes, fork, preset).map_err(|e| KnownRootsError {
            reason: e.to_string(),
        })?;
        KnownRoots::from_view(&view)
    }

    /// Reads the roots of a state the caller has already verified (its `hash_tree_root` checked
    /// against a trusted root, as the checkpoint flow does before it builds the anchor). Never
    /// call this on an unverified state: the roots would be trusted as given.
    pub fn from_view(view: &StateView) -> Result<KnownRoots, KnownRootsError> {
        let n = view.slots_per_historical_root();
        let block_roots = (0..n)
            .filter_map(|i| view.block_root(i))
            .collect::<Vec<_>>();
        let block_summary_roots = (0..view.historical_summaries_len())
            .filter_map(|i| view.historical_summary(i).map(|(b, _)| b))
            .collect();
        KnownRoots::new(view.slot(), n as u64, block_roots, block_summary_roots)
    }

    /// Roots recorded elsewhere (e.g. kept with the anchor); checks the vector's length.
    pub fn new(
        state_slot: u64,
        slots_per_historical_root: u64,
        block_roots: Vec<Root>,
        block_summary_roots: Vec<Root>,
    ) -> Result<KnownRoots, KnownRootsError> {
        if !slots_per_historical_root.is_power_of_two()
            || block_roots.len() as u64 != slots_per_historical_root
        {
            return Err(KnownRootsError {
                reason: format!(
                    "expected {slots_per_historical_root} block roots (a power of two), got {}",
                    block_roots.len()
                ),
            });
        }
        Ok(KnownRoots {
            state_slot,
            slots_per_historical_root,
            block_roots,
            block_summary_roots,
        })
    }

    /// The roots as kept with the anchor `block_root` (see [`AnchorRootsRecord`]).
    pub fn to_record(&self, block_root: Root) -> AnchorRootsRecord {
        AnchorRootsRecord {
            block_root,
            state_slot: self.state_slot,
            block_roots: self.block_roots.clone(),
            block_summary_roots: self.block_summary_roots.clone(),
        }
    }

    /// The roots kept with an anchor.
    pub fn from_record(record: &AnchorRootsRecord) -> Result<KnownRoots, KnownRootsError> {
        KnownRoots::new(
            record.state_slot,
            record.block_roots.len() as u64,
            record.block_roots.clone(),
            record.block_summary_roots.clone(),
        )
    }

    /// `get_block_root_at_slot(state, slot)`: the root of the latest block at or before `slot`,
    /// for `state_slot - SLOTS_PER_HISTORICAL_ROOT <= slot < state_slot`; `None` outside.
    pub fn get_block_root_at_slot(&self, slot: u64) -> Option<Root> {
        let n = self.slots_per_historical_root;
        if slot >= self.state_slot || slot + n < self.state_slot {
            return None;
        }
        Some(self.block_roots[(slot % n) as usize])
    }

    /// Whether the canonical chain has a block at `slot`, where the anchor state says (see
    /// [`slot_has_block`]). `None` when either slot is outside the recorded window (so for the
    /// window's lowest slot), or for slot 0.
    pub fn slot_has_block(&self, slot: u64) -> Option<bool> {
        slot_has_block(slot, |s| self.get_block_root_at_slot(s))
    }

    /// The chunk index of `slot` (`slot / SLOTS_PER_HISTORICAL_ROOT`).
    pub fn chunk_of(&self, slot: u64) -> u64 {
        slot / self.slots_per_historical_root
    }

    /// The `block_summary_root` committing to chunk `chunk`, if the state has it.
    pub fn summary_for_chunk(&self, chunk: u64) -> Option<Root> {
        let complete = self.state_slot / self.slots_per_historical_root;
        let n = self.block_summary_roots.len() as u64;
        if chunk >= complete || chunk + n < complete {
            return None;
        }
        let i = chunk + n - complete;
        self.block_summary_roots.get(i as usize).copied()
    }
}

/// `hash_tree_root` of a `Vector[Root, N]` (N a power of two).
pub fn vector_root(roots: &[Root]) -> Root {
    let flat: Vec<u8> = roots.iter().flatten().copied().collect();
    let height = (roots.len().max(1) as u64).trailing_zeros();
    Reducer::new().reduce(&flat, height, 0)
}

/// The `block_roots` vector of one chunk (`first_slot .. first_slot + n`) implied by the blocks in
/// `blocks` (slot, root, parent_root; ascending slots, all inside the chunk): each slot takes the
/// root of the latest block at or before it, and the slots before the first block take its
/// parent's root. `None` when the chunk holds no block (nothing to anchor the fill to).
pub fn chunk_vector(first_slot: u64, n: u64, blocks: &[(u64, Root, Root)]) -> Option<Vec<Root>> {
    let first = blocks.first()?;
    let mut current = first.2;
    let mut out = Vec::with_capacity(n as usize);
    let mut it = blocks.iter().peekable();
    for slot in first_slot..first_slot + n {
        while let Some((s, root, _)) = it.peek() {
            if *s <= slot {
                current = *root;
                it.next();
            } else {
                break;
            }
        }
        out.push(current);
    }
    Some(out)
}

/// Whether the canonical chain has a block at `slot`, given `root_at`, a
/// `get_block_root_at_slot`: a slot holds a block exactly when its root differs from the root at
/// `slot - 1` (an empty slot repeats the latest block's root). `None` when `root_at` does not
/// know either root, or for slot 0. The one statement of this rule: the backfill's skipping of
/// empty slots and its per-slot expectations both go through it.
pub(crate) fn slot_has_block(slot: u64, root_at: impl Fn(u64) -> Option<Root>) -> Option<bool> {
    let prev = root_at(slot.checked_sub(1)?)?;
    Some(root_at(slot)? != prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_summary_indices() {
        let roots: Vec<Root> = (0..8u8).map(|i| [i; 32]).collect();
        // State at slot 35 with 8-slot chunks: block_roots cover 27..=34; 4 complete chunks
        // (0..32), two summaries kept → chunks 2 and 3.
        let k = KnownRoots::new(35, 8, roots, vec![[0xa2; 32], [0xa3; 32]]).unwrap();
        assert_eq!(k.get_block_root_at_slot(26), None);
        assert_eq!(k.get_block_root_at_slot(27), Some([3; 32]));
        assert_eq!(k.get_block_root_at_slot(34), Some([2; 32]));
        assert_eq!(k.get_block_root_at_slot(35), None);
        // Every root of `k` differs from its predecessor's: a block at every slot.
        assert_eq!(
            k.slot_has_block(27),
            None,
            "the window's lowest slot has no predecessor"
        );
        assert_eq!(k.slot_has_block(28), Some(true));
        assert_eq!(k.slot_has_block(35), None);
        let mut repeated: Vec<Root> = (0..8u8).map(|i| [i; 32]).collect();
        repeated[5] = repeated[4]; // slot 29 (29 % 8 = 5) repeats slot 28's root: empty.
        let e = KnownRoots::new(35, 8, repeated, vec![]).unwrap();
        assert_eq!(e.slot_has_block(29), Some(false));
        assert_eq!(e.slot_has_block(30), Some(true));
        assert_eq!(k.summary_for_chunk(1), None);
        assert_eq!(k.summary_for_chunk(2), Some([0xa2; 32]));
        assert_eq!(k.summary_for_chunk(3), Some([0xa3; 32]));
        assert_eq!(k.summary_for_chunk(4), None);
        assert!(KnownRoots::new(35, 8, vec![[0; 32]; 7], vec![]).is_err());
    }

    #[test]
    fn chunk_vector_fills_forward_and_back() {
        let v = chunk_vector(8, 4, &[(9, [1; 32], [9; 32]), (11, [2; 32], [1; 32])]).unwrap();
        assert_eq!(v, vec![[9; 32], [1; 32], [1; 32], [2; 32]]);
        assert!(chunk_vector(8, 4, &[]).is_none());
    }

    #[test]
    fn vector_root_is_merkleization() {
        let roots = [[1u8; 32], [2u8; 32]];
        let mut input = [0u8; 64];
        input[..32].copy_from_slice(&roots[0]);
        input[32..].copy_from_slice(&roots[1]);
        use sha2::Digest;
        let expected: [u8; 32] = sha2::Sha256::digest(input).into();
        assert_eq!(vector_root(&roots), expected);
    }
}
