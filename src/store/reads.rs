//! Verified reads of stored headers, for apps: a header by slot or root, a range of headers, and
//! the block root at a slot.
//!
//! Why every read re-hashes: the store was filled only with verified headers, but IndexedDB is
//! the page's to alter (devtools, an extension, a broken disk). A header read back is returned
//! only when `hash_tree_root` of its 112 SSZ bytes is still the root stored with it and its
//! bytes still say its slot; otherwise the read fails with [`StoreError::CorruptRecord`], never a
//! value.
//!
//! [`block_root_at`] answers with the spec's `get_block_root_at_slot` meaning: the root of the
//! latest block at or before the slot, so an empty slot answers with the block before it. It
//! answers only where that is proven, and says "unknown" (`None`) everywhere else:
//! - from stored headers: a header at the slot itself; or the stored header below the slot when
//!   the next stored header above it names it as `parent_root` (so no block lies between); or the
//!   anchor's block for slots up to the anchor state's slot;
//! - from the active anchor's recorded `block_roots` (the verified anchor state's
//!   `SLOTS_PER_HISTORICAL_ROOT`-slot window below its slot), which hold exactly that meaning.
//!
//! Everything is plain Rust over the [`Store`] trait: the JS API only converts.

use ssz::Decode;
use tree_hash::TreeHash;

use super::{AnchorRecord, HeaderRecord, Root, Store, StoreError};
use crate::types::hex0x;
use crate::types::phase0::BeaconBlockHeader;

/// Slots read per batch by the range and neighbour searches: one `headers_range` call each (a few
/// IndexedDB packs), 144 bytes per stored header.
pub const READ_BATCH_SLOTS: u64 = 1024;

/// Checks a stored header against its own bytes: the bytes decode as a `BeaconBlockHeader` of
/// the record's slot, and hash to the record's root.
pub fn verify_header_record(h: &HeaderRecord) -> Result<(), StoreError> {
    let corrupt = |reason: String| StoreError::CorruptRecord {
        store: "headers",
        reason,
    };
    let header = BeaconBlockHeader::from_ssz_bytes(&h.header).map_err(|e| {
        corrupt(format!(
            "header at slot {}: expected an SSZ BeaconBlockHeader, got {e:?}",
            h.slot
        ))
    })?;
    if header.slot != h.slot {
        return Err(corrupt(format!(
            "header at slot {}: expected its bytes to say slot {}, got slot {}",
            h.slot, h.slot, header.slot
        )));
    }
    let root = header.tree_hash_root().0;
    if root != h.root {
        return Err(corrupt(format!(
            "header at slot {}: expected the stored root {} to be hash_tree_root of its bytes, got {}",
            h.slot,
            hex0x(h.root),
            hex0x(root)
        )));
    }
    Ok(())
}

fn verified(h: HeaderRecord) -> Result<HeaderRecord, StoreError> {
    verify_header_record(&h)?;
    Ok(h)
}

/// The stored header at `slot`, verified; `None` when none is stored there.
pub async fn header_at<S: Store>(store: &S, slot: u64) -> Result<Option<HeaderRecord>, StoreError> {
    store.header(slot).await?.map(verified).transpose()
}

/// The stored headers with `from_slot <= slot <= to_slot`, ascending and verified, read in one
/// batch (the caller bounds the range; see [`READ_BATCH_SLOTS`]).
pub async fn headers_in<S: Store>(
    store: &S,
    from_slot: u64,
    to_slot: u64,
) -> Result<Vec<HeaderRecord>, StoreError> {
    if from_slot > to_slot {
        return Ok(Vec::new());
    }
    let end = to_slot.saturating_add(1);
    store
        .headers_range(from_slot, end)
        .await?
        .into_iter()
        .map(verified)
        .collect()
}

/// The slot range stored headers can occupy: from the backfill's oldest slot (or, without a
/// backfill, the anchor state's `block_roots` window, where a rebuilt anchor's block lies) up to
/// the followed head (or the anchor state's slot).
async fn stored_span<S: Store>(
    store: &S,
    anchor: &AnchorRecord,
    window: u64,
) -> Result<(u64, u64), StoreError> {
    let floor = match store.backfill_cursor().await? {
        Some(c) => c.oldest_slot,
        None => anchor.slot.saturating_sub(window),
    };
    let head = store
        .head()
        .await?
        .filter(|h| h.anchor_root == anchor.block_root);
    let ceil = head.map_or(anchor.slot, |h| h.slot.max(anchor.slot));
    Ok((floor, ceil))
}

/// The slots stored headers of the active anchor's chain can occupy, `(lowest, highest)`
/// inclusive (see `stored_span`); `None` without an active anchor. Bounds a range read.
pub async fn stored_bounds<S: Store>(store: &S) -> Result<Option<(u64, u64)>, StoreError> {
    let Some(anchor) = store.active_anchor().await? else {
        return Ok(None);
    };
    let roots = store.anchor_roots(&anchor.block_root).await?;
    let window = roots.as_ref().map_or(0, |r| r.block_roots.len() as u64);
    stored_span(store, &anchor, window).await.map(Some)
}

/// The stored header with root `root`, verified; `None` when no stored header has it. Found at
/// once for the anchor's block, the followed head and blocks in the anchor's `block_roots`
/// window; any other root is searched for by reading the stored range in batches (newest
/// first), which costs one read per [`READ_BATCH_SLOTS`] stored slots.
pub async fn header_by_root<S: Store>(
    store: &S,
    root: &Root,
) -> Result<Option<HeaderRecord>, StoreError> {
    let Some(anchor) = store.active_anchor().await? else {
        return Ok(None);
    };
    let roots = store.anchor_roots(&anchor.block_root).await?;
    let window = roots.as_ref().map_or(0, |r| r.block_roots.len() as u64);
    let mut candidates = Vec::new();
    if let Some(h) = store.head().await?.filter(|h| h.block_root == *root) {
        candidates.push(h.slot);
    }
    if anchor.block_root == *root {
        candidates.push(anchor.slot);
    }
    if let Some(r) = &roots {
        // The block's own slot is the first of the run of slots the window gives its root.
        let n = r.block_roots.len() as u64;
        let first = (r.state_slot.saturating_sub(n)..r.state_slot)
            .find(|s| r.block_roots[(s % n) as usize] == *root);
        candidates.extend(first);
    }
    for slot in candidates {
        if let Some(h) = header_at(store, slot).await?.filter(|h| h.root == *root) {
            return Ok(Some(h));
        }
    }
    let (floor, ceil) = stored_span(store, &anchor, window).await?;
    let mut hi = ceil;
    loop {
        let lo = hi.saturating_sub(READ_BATCH_SLOTS - 1).max(floor);
        // Verify only the match: a corrupt record elsewhere is found by the read that returns it.
        let found = store
            .headers_range(lo, hi.saturating_add(1))
            .await?
            .into_iter()
            .find(|h| h.root == *root);
        if let Some(h) = found {
            return verified(h).map(Some);
        }
        if lo <= floor {
            return Ok(None);
        }
        hi = lo - 1;
    }
}

/// Where [`block_root_at`] found its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    /// Stored, verified headers (or the anchor's block, whose root the anchor record holds).
    Headers,
    /// The active anchor's recorded `block_roots` window.
    AnchorBlockRoots,
}

impl RootSource {
    /// Lower-case name (the JS `source`).
    pub fn as_str(self) -> &'static str {
        match self {
            RootSource::Headers => "headers",
            RootSource::AnchorBlockRoots => "anchor-block-roots",
        }
    }
}

/// The answer of [`block_root_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRootAt {
    /// The root of the latest block at or before the slot asked for.
    pub root: Root,
    /// That block's slot, when a stored header shows it.
    pub block_slot: Option<u64>,
    /// Where the answer came from.
    pub source: RootSource,
}

/// The highest stored header at or below `slot`, not below `floor`, verified.
async fn at_or_before<S: Store>(
    store: &S,
    slot: u64,
    floor: u64,
) -> Result<Option<HeaderRecord>, StoreError> {
    let mut hi = slot;
    loop {
        let lo = hi.saturating_sub(READ_BATCH_SLOTS - 1).max(floor);
        let batch = store.headers_range(lo, hi.saturating_add(1)).await?;
        if let Some(h) = batch.into_iter().next_back() {
            return verified(h).map(Some);
        }
        if lo <= floor {
            return Ok(None);
        }
        hi = lo - 1;
    }
}

/// The lowest stored header above `slot`, not above `ceil`, verified.
async fn after<S: Store>(
    store: &S,
    slot: u64,
    ceil: u64,
) -> Result<Option<HeaderRecord>, StoreError> {
    let mut lo = slot.saturating_add(1);
    while lo <= ceil {
        let hi = lo.saturating_add(READ_BATCH_SLOTS - 1).min(ceil);
        let batch = store.headers_range(lo, hi.saturating_add(1)).await?;
        if let Some(h) = batch.into_iter().next() {
            return verified(h).map(Some);
        }
        lo = hi.saturating_add(1);
    }
    Ok(None)
}

/// `get_block_root_at_slot` from what is stored (see the module docs): `None` when the store
/// cannot prove the answer (no active anchor, a slot above the followed head, or below the
/// stored history and the anchor's `block_roots` window). A corrupt header on the way is an
/// error.
pub async fn block_root_at<S: Store>(
    store: &S,
    slot: u64,
) -> Result<Option<BlockRootAt>, StoreError> {
    let Some(anchor) = store.active_anchor().await? else {
        return Ok(None);
    };
    let roots = store.anchor_roots(&anchor.block_root).await?;
    let window = roots.as_ref().map_or(0, |r| r.block_roots.len() as u64);
    let (floor, ceil) = stored_span(store, &anchor, window).await?;
    let from_headers = |root, block_slot| {
        Some(BlockRootAt {
            root,
            block_slot,
            source: RootSource::Headers,
        })
    };
    if slot == anchor.slot {
        // The state's latest block header (state root filled in) is the anchor's block.
        let block_slot = (!anchor.linked_through_latest_block_header).then_some(anchor.slot);
        return Ok(from_headers(anchor.block_root, block_slot));
    }
    if (floor..=ceil).contains(&slot) {
        let below = at_or_before(store, slot, floor).await?;
        if let Some(h) = below.as_ref().filter(|h| h.slot == slot) {
            return Ok(from_headers(h.root, Some(h.slot)));
        }
        let above = after(store, slot, ceil).await?;
        match (&below, &above) {
            (Some(b), Some(a)) if a.parent_root() == b.root => {
                return Ok(from_headers(b.root, Some(b.slot)))
            }
            (Some(b), _) if b.root == anchor.block_root && slot < anchor.slot => {
                return Ok(from_headers(b.root, Some(b.slot)))
            }
            (_, Some(a)) if a.parent_root() == anchor.block_root && slot > anchor.slot => {
                let block_slot = below
                    .as_ref()
                    .filter(|b| b.root == anchor.block_root)
                    .map(|b| b.slot);
                return Ok(from_headers(anchor.block_root, block_slot));
            }
            _ => {}
        }
    }
    if let Some(r) = roots {
        let n = r.block_roots.len() as u64;
        if slot < r.state_slot && slot >= r.state_slot.saturating_sub(n) {
            return Ok(Some(BlockRootAt {
                root: r.block_roots[(slot % n) as usize],
                block_slot: None,
                source: RootSource::AnchorBlockRoots,
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::longrange::follow::header_record;
    use crate::store::{
        AnchorRootsRecord, BackfillCursor, HeadRecord, HeadSource, MemoryStore, Trust,
    };
    use crate::types::ForkName;
    use crate::types::B256;

    const GVR: Root = [7; 32];
    /// The anchor state's slot (minimal preset: `SLOTS_PER_HISTORICAL_ROOT` = 64).
    const ANCHOR_SLOT: u64 = 64;
    const WINDOW: u64 = 64;

    /// Verified-looking headers at `slots` (ascending), each the parent of the next, the first
    /// with `parent` as its parent.
    fn chain(slots: impl IntoIterator<Item = u64>, parent: Root) -> Vec<HeaderRecord> {
        let mut parent = parent;
        slots
            .into_iter()
            .map(|slot| {
                let h = BeaconBlockHeader {
                    slot,
                    proposer_index: slot % 5,
                    parent_root: B256::from(parent),
                    state_root: B256::from([slot as u8; 32]),
                    body_root: B256::from([0xbb; 32]),
                };
                let rec = header_record(&h, h.tree_hash_root().0);
                parent = rec.root;
                rec
            })
            .collect()
    }

    /// Commits `headers` (ascending) as one backfill batch, the cursor at the oldest of them.
    async fn commit_downward(store: &MemoryStore, headers: &[HeaderRecord]) {
        let cursor = BackfillCursor::below(&headers[0], 0);
        store.commit_backfill_batch(headers, &cursor).await.unwrap();
    }

    fn anchor(block_root: Root) -> AnchorRecord {
        AnchorRecord {
            ws_period_epochs: 256,
            total_active_balance: 32_000_000_000,
            active_validators: 1,
            created_at: 1,
            ..AnchorRecord::new(
                "minimal",
                ANCHOR_SLOT,
                ANCHOR_SLOT / 8,
                block_root,
                [2; 32],
                ForkName::Deneb,
                Trust::Checkpoint,
            )
        }
    }

    /// A store with backfilled headers at 40..=64 (empty slots 50, 51, 60; 64 is the anchor's
    /// block) and a followed chain 65..=70 (empty slot 67), and the anchor's `block_roots`.
    struct Fixture {
        store: MemoryStore,
        backfill: Vec<HeaderRecord>,
        followed: Vec<HeaderRecord>,
        roots: AnchorRootsRecord,
    }

    fn fixture() -> Fixture {
        block_on(async {
            let store = MemoryStore::open("minimal", GVR).await.unwrap();
            let slots = (40..=64).filter(|s| ![50, 51, 60].contains(s));
            let backfill = chain(slots, [0x11; 32]);
            let top = backfill.last().unwrap().clone();
            // Entry i: the latest block at or before slot s (s % 64 == i) below the anchor;
            // slots below the backfill get roots only the window knows.
            let mut block_roots: Vec<Root> = (0..WINDOW).map(|i| [0x80 | i as u8; 32]).collect();
            for s in 40..ANCHOR_SLOT {
                let latest = backfill.iter().rfind(|h| h.slot <= s).unwrap();
                block_roots[s as usize] = latest.root;
            }
            let roots = AnchorRootsRecord {
                block_root: top.root,
                state_slot: ANCHOR_SLOT,
                block_roots,
                block_summary_roots: Vec::new(),
            };
            store
                .put_anchor_with_roots(&anchor(top.root), &roots, None)
                .await
                .unwrap();
            commit_downward(&store, &backfill).await;
            let followed = chain([65, 66, 68, 69, 70], top.root);
            let tip = followed.last().unwrap();
            let head = HeadRecord {
                slot: tip.slot,
                block_root: tip.root,
                state_root: tip.state_root(),
                source: HeadSource::FinalityUpdate,
                anchor_root: top.root,
                updated_at: 2,
                execution: None,
            };
            store.commit_head(&head, &followed).await.unwrap();
            Fixture {
                store,
                backfill,
                followed,
                roots,
            }
        })
    }

    fn at(headers: &[HeaderRecord], slot: u64) -> HeaderRecord {
        headers.iter().find(|h| h.slot == slot).unwrap().clone()
    }

    #[test]
    fn headers_read_back_by_slot_root_and_range() {
        let f = fixture();
        block_on(async {
            let h45 = at(&f.backfill, 45);
            assert_eq!(header_at(&f.store, 45).await.unwrap(), Some(h45.clone()));
            assert_eq!(header_at(&f.store, 50).await.unwrap(), None, "empty slot");
            assert_eq!(
                header_at(&f.store, 71).await.unwrap(),
                None,
                "above the head"
            );
            assert_eq!(
                header_by_root(&f.store, &h45.root).await.unwrap(),
                Some(h45)
            );
            let h69 = at(&f.followed, 69);
            assert_eq!(
                header_by_root(&f.store, &h69.root).await.unwrap(),
                Some(h69)
            );
            assert_eq!(header_by_root(&f.store, &[0xee; 32]).await.unwrap(), None);
            let slots: Vec<u64> = headers_in(&f.store, 48, 66)
                .await
                .unwrap()
                .iter()
                .map(|h| h.slot)
                .collect();
            let expected: Vec<u64> = (48..=66).filter(|s| ![50, 51, 60].contains(s)).collect();
            assert_eq!(slots, expected);
            assert!(headers_in(&f.store, 10, 9).await.unwrap().is_empty());
        });
    }

    #[test]
    fn block_root_at_follows_the_spec_for_empty_slots_and_never_guesses() {
        let f = fixture();
        block_on(async {
            let answer = |slot| block_root_at(&f.store, slot);
            let h49 = at(&f.backfill, 49);
            let got = answer(51).await.unwrap().unwrap();
            assert_eq!((got.root, got.block_slot), (h49.root, Some(49)));
            assert_eq!(got.source, RootSource::Headers);
            let h66 = at(&f.followed, 66);
            let got = answer(67).await.unwrap().unwrap();
            assert_eq!((got.root, got.block_slot), (h66.root, Some(66)));
            let got = answer(70).await.unwrap().unwrap();
            assert_eq!(got.root, at(&f.followed, 70).root);
            assert_eq!(answer(71).await.unwrap(), None, "above the followed head");
            let anchor_root = f.roots.block_root;
            assert_eq!(
                answer(ANCHOR_SLOT).await.unwrap().unwrap().root,
                anchor_root
            );
            // Below the backfill: only the anchor state's window knows.
            let got = answer(10).await.unwrap().unwrap();
            assert_eq!(got.root, f.roots.block_roots[10]);
            assert_eq!(got.source, RootSource::AnchorBlockRoots);
            // Agreement where both know.
            assert_eq!(
                answer(60).await.unwrap().unwrap().root,
                f.roots.block_roots[60]
            );
        });
    }

    #[test]
    fn a_header_whose_bytes_do_not_hash_to_its_root_is_an_error_not_a_value() {
        block_on(async {
            let store = MemoryStore::open("minimal", GVR).await.unwrap();
            let mut headers = chain([5, 6], [0x11; 32]);
            headers[1].header[100] ^= 1; // body_root byte: the bytes no longer hash to root
            commit_downward(&store, &headers).await;
            assert!(header_at(&store, 5).await.unwrap().is_some());
            let err = header_at(&store, 6).await.unwrap_err();
            assert_eq!(err.code(), "CORRUPT_RECORD");
            assert!(err.to_string().contains("hash_tree_root"), "{err}");
            let err = headers_in(&store, 0, 10).await.unwrap_err();
            assert_eq!(err.code(), "CORRUPT_RECORD");
            store
                .put_anchor(&anchor(headers[1].root), true)
                .await
                .unwrap();
            let err = header_by_root(&store, &headers[1].root).await.unwrap_err();
            assert_eq!(err.code(), "CORRUPT_RECORD");
        });
    }

    #[test]
    fn no_anchor_no_answer() {
        block_on(async {
            let store = MemoryStore::open("minimal", GVR).await.unwrap();
            assert_eq!(block_root_at(&store, 3).await.unwrap(), None);
            assert_eq!(header_by_root(&store, &[1; 32]).await.unwrap(), None);
        });
    }
}
