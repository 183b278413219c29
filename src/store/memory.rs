//! An in-memory [`Store`]: for native tests, the CLI, and pages that opt out of persistence.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{
    check_continues, check_head_base, check_head_chain, check_network, check_rebuilt,
    check_state_chunk, check_truncate, new_headers, state_chunk_key, validate_batch,
    validate_roots, AnchorRecord, AnchorRootsRecord, BackfillCursor, HeadRecord, HeaderRecord,
    KeptStateRecord, MetaRecord, RebuiltBackfill, Root, Store, StoreDump, StoreError,
    SCHEMA_VERSION, STATE_CHUNK_INDEX_BITS, STATE_CHUNK_LAST,
};

/// A [`Store`] held in memory. Each `open` starts empty; nothing survives the process.
///
/// Every write validates fully before it changes anything, so a refused write has no effect,
/// matching the transactional behaviour of the IndexedDB store.
#[derive(Debug)]
pub struct MemoryStore {
    network: String,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    meta: MetaRecord,
    anchors: BTreeMap<Root, AnchorRecord>,
    headers: BTreeMap<u64, HeaderRecord>,
    /// Kept-state chunks by [`state_chunk_key`], and the record naming the kept ones.
    state_chunks: BTreeMap<u64, Vec<u8>>,
    kept_state: Option<KeptStateRecord>,
    anchor_roots: BTreeMap<Root, AnchorRootsRecord>,
    head: Option<HeadRecord>,
}

impl MemoryStore {
    /// An empty store for `network` (synchronous twin of [`Store::open`]).
    pub fn new(network: &str, genesis_validators_root: Root) -> MemoryStore {
        MemoryStore {
            network: network.to_string(),
            inner: Mutex::new(Inner {
                meta: MetaRecord {
                    schema_version: SCHEMA_VERSION,
                    network: network.to_string(),
                    genesis_validators_root,
                    active_anchor: None,
                    backfill_cursor: None,
                },
                anchors: BTreeMap::new(),
                headers: BTreeMap::new(),
                state_chunks: BTreeMap::new(),
                kept_state: None,
                anchor_roots: BTreeMap::new(),
                head: None,
            }),
        }
    }

    /// Stores an anchor, with its roots when given, after every check passed.
    /// Stores `anchor` (with `roots`), making it active if `make_active`; with `kept`, settles
    /// the kept state under the same lock: `Some(Some(k))` keeps `k` and drops every other id's
    /// chunks, `Some(None)` keeps none.
    fn insert_anchor(
        &self,
        anchor: &AnchorRecord,
        roots: Option<&AnchorRootsRecord>,
        make_active: bool,
        kept: Option<Option<&KeptStateRecord>>,
    ) -> Result<(), StoreError> {
        check_network(&self.network, anchor)?;
        if let Some(roots) = roots {
            validate_roots(anchor, roots)?;
        }
        let mut inner = self.lock();
        inner.anchors.insert(anchor.block_root, anchor.clone());
        if let Some(roots) = roots {
            inner.anchor_roots.insert(anchor.block_root, roots.clone());
        }
        if make_active {
            inner.meta.active_anchor = Some(anchor.block_root);
        }
        if let Some(kept) = kept {
            let id = kept.map(|k| k.id);
            inner
                .state_chunks
                .retain(|k, _| Some((k >> STATE_CHUNK_INDEX_BITS) as u32) == id);
            inner.kept_state = kept.copied();
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied write (writes validate
        // first and then only insert), so a poisoned lock still guards consistent data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    /// Every header, the cursor and the head (see [`Store::reset_backfill`]).
    fn clear_backfill(&mut self) {
        self.headers.clear();
        self.meta.backfill_cursor = None;
        self.head = None;
    }
}

impl Store for MemoryStore {
    async fn open(network: &str, genesis_validators_root: Root) -> Result<Self, StoreError> {
        Ok(MemoryStore::new(network, genesis_validators_root))
    }

    fn network(&self) -> &str {
        &self.network
    }

    async fn meta(&self) -> Result<MetaRecord, StoreError> {
        Ok(self.lock().meta.clone())
    }

    async fn put_anchor(&self, anchor: &AnchorRecord, make_active: bool) -> Result<(), StoreError> {
        self.insert_anchor(anchor, None, make_active, None)
    }

    async fn put_anchor_with_roots(
        &self,
        anchor: &AnchorRecord,
        roots: &AnchorRootsRecord,
        kept: Option<&KeptStateRecord>,
    ) -> Result<(), StoreError> {
        self.insert_anchor(anchor, Some(roots), true, Some(kept))
    }

    async fn anchor_roots(
        &self,
        block_root: &Root,
    ) -> Result<Option<AnchorRootsRecord>, StoreError> {
        Ok(self.lock().anchor_roots.get(block_root).cloned())
    }

    async fn anchors(&self) -> Result<Vec<AnchorRecord>, StoreError> {
        Ok(self.lock().anchors.values().cloned().collect())
    }

    async fn anchor(&self, block_root: &Root) -> Result<Option<AnchorRecord>, StoreError> {
        Ok(self.lock().anchors.get(block_root).cloned())
    }

    async fn active_anchor(&self) -> Result<Option<AnchorRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .meta
            .active_anchor
            .and_then(|root| inner.anchors.get(&root).cloned()))
    }

    async fn set_active_anchor(&self, block_root: &Root) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if !inner.anchors.contains_key(block_root) {
            return Err(StoreError::AnchorNotFound {
                block_root: *block_root,
            });
        }
        inner.meta.active_anchor = Some(*block_root);
        Ok(())
    }

    async fn header(&self, slot: u64) -> Result<Option<HeaderRecord>, StoreError> {
        Ok(self.lock().headers.get(&slot).cloned())
    }

    async fn headers_range(
        &self,
        start_slot: u64,
        end_slot: u64,
    ) -> Result<Vec<HeaderRecord>, StoreError> {
        if start_slot >= end_slot {
            return Ok(Vec::new());
        }
        Ok(self
            .lock()
            .headers
            .range(start_slot..end_slot)
            .map(|(_, h)| h.clone())
            .collect())
    }

    async fn backfill_cursor(&self) -> Result<Option<BackfillCursor>, StoreError> {
        Ok(self.lock().meta.backfill_cursor)
    }

    async fn commit_backfill_batch(
        &self,
        headers: &[HeaderRecord],
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError> {
        validate_batch(headers, cursor)?;
        let mut inner = self.lock();
        check_continues(inner.meta.backfill_cursor.as_ref(), headers, cursor)?;
        if let Some(stored) = headers.iter().find(|h| inner.headers.contains_key(&h.slot)) {
            return Err(StoreError::HeaderAlreadyStored { slot: stored.slot });
        }
        for header in headers {
            inner.headers.insert(header.slot, header.clone());
        }
        inner.meta.backfill_cursor = Some(*cursor);
        Ok(())
    }

    async fn truncate_backfill(
        &self,
        expected: &BackfillCursor,
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        check_truncate(
            inner.meta.backfill_cursor.as_ref(),
            expected,
            cursor,
            inner.headers.get(&cursor.oldest_slot),
        )?;
        inner.headers = inner.headers.split_off(&cursor.oldest_slot);
        inner.meta.backfill_cursor = Some(*cursor);
        Ok(())
    }

    async fn reset_backfill(&self) -> Result<(), StoreError> {
        self.lock().clear_backfill();
        Ok(())
    }

    async fn head(&self) -> Result<Option<HeadRecord>, StoreError> {
        Ok(self.lock().head)
    }

    async fn commit_head(
        &self,
        head: &HeadRecord,
        headers: &[HeaderRecord],
    ) -> Result<u64, StoreError> {
        let sorted = check_head_chain(head, headers)?;
        let mut inner = self.lock();
        if !inner.anchors.contains_key(&head.anchor_root) {
            return Err(StoreError::AnchorNotFound {
                block_root: head.anchor_root,
            });
        }
        check_head_base(head, &sorted, inner.head.as_ref())?;
        let new = new_headers(&sorted, |slot| inner.headers.get(&slot).map(|h| h.root))?;
        for h in &new {
            inner.headers.insert(h.slot, (*h).clone());
        }
        inner.head = Some(*head);
        Ok(new.len() as u64)
    }

    async fn commit_rebuilt_anchor(
        &self,
        anchor: &AnchorRecord,
        headers: &[HeaderRecord],
        backfill: RebuiltBackfill<'_>,
        head: &HeadRecord,
    ) -> Result<u64, StoreError> {
        check_network(&self.network, anchor)?;
        let sorted = check_head_chain(head, headers)?;
        check_rebuilt(anchor, headers, backfill, head)?;
        let mut inner = self.lock();
        // A reset applies only if the rest is accepted: checked against what remains after it.
        let kept = |slot: u64| {
            (!backfill.resets())
                .then(|| inner.headers.get(&slot).map(|h| h.root))
                .flatten()
        };
        let new = new_headers(&sorted, kept)?;
        let new: Vec<HeaderRecord> = new.into_iter().cloned().collect();
        if backfill.resets() {
            inner.clear_backfill();
        }
        inner.anchors.insert(anchor.block_root, anchor.clone());
        inner.meta.active_anchor = Some(anchor.block_root);
        for h in &new {
            inner.headers.insert(h.slot, h.clone());
        }
        if let Some(c) = backfill.cursor() {
            inner.meta.backfill_cursor = Some(*c);
        }
        inner.head = Some(*head);
        Ok(new.len() as u64)
    }

    async fn put_state_chunk(&self, id: u32, index: u32, bytes: &[u8]) -> Result<(), StoreError> {
        check_state_chunk(index, bytes)?;
        let key = state_chunk_key(id, index);
        self.lock().state_chunks.insert(key, bytes.to_vec());
        Ok(())
    }

    async fn discard_state_chunks(&self, id: u32) -> Result<(), StoreError> {
        let range = state_chunk_key(id, 0)..=state_chunk_key(id, STATE_CHUNK_LAST);
        self.lock().state_chunks.retain(|k, _| !range.contains(k));
        Ok(())
    }

    async fn kept_state(&self) -> Result<Option<KeptStateRecord>, StoreError> {
        Ok(self.lock().kept_state)
    }

    async fn state_chunk(&self, id: u32, index: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let key = state_chunk_key(id, index);
        Ok(self.lock().state_chunks.get(&key).cloned())
    }

    async fn dump(&self) -> Result<StoreDump, StoreError> {
        let inner = self.lock();
        Ok(StoreDump {
            meta: inner.meta.clone(),
            anchors: inner.anchors.values().cloned().collect(),
            headers: inner.headers.values().cloned().collect(),
            anchor_roots: inner.anchor_roots.values().cloned().collect(),
            head: inner.head,
        })
    }

    async fn delete(self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SyncCommitteeRecord, Trust, HEADER_SSZ_LEN, MAX_SLOT};
    use crate::types::ForkName;
    use futures::executor::block_on;

    const GVR: Root = [0x4b; 32];

    fn header(slot: u64, parent: Root) -> HeaderRecord {
        let mut bytes = [0u8; HEADER_SSZ_LEN];
        bytes[0..8].copy_from_slice(&slot.to_le_bytes());
        bytes[8..16].copy_from_slice(&7u64.to_le_bytes());
        bytes[16..48].copy_from_slice(&parent);
        bytes[48..80].copy_from_slice(&[0xaa; 32]);
        // The store does not hash; a root derived from the slot keeps records distinct.
        let mut root = [0u8; 32];
        root[..8].copy_from_slice(&slot.to_be_bytes());
        root[31] = 0x01;
        HeaderRecord {
            slot,
            header: bytes,
            root,
        }
    }

    /// Headers for `slots` (ascending), each linking to the previous one, and the matching cursor.
    fn chain(slots: &[u64]) -> (Vec<HeaderRecord>, BackfillCursor) {
        let mut parent = [0x11; 32];
        let mut out = Vec::new();
        for &slot in slots {
            let h = header(slot, parent);
            parent = h.root;
            out.push(h);
        }
        let cursor = BackfillCursor::below(&out[0], 0);
        (out, cursor)
    }

    /// Headers for `slots` (ascending) that continue the backfill below `cursor`: the highest is
    /// the block the cursor's header names as its parent.
    fn below(cursor: &BackfillCursor, slots: &[u64]) -> (Vec<HeaderRecord>, BackfillCursor) {
        let (mut headers, mut next) = chain(slots);
        headers.last_mut().unwrap().root = cursor.oldest_parent_root;
        next.oldest_root = headers[0].root;
        (headers, next)
    }

    fn anchor(root_byte: u8, slot: u64) -> AnchorRecord {
        let committee = SyncCommitteeRecord {
            pubkeys: (0..4u8).map(|i| [i; 48]).collect(),
            aggregate_pubkey: [9; 48],
        };
        AnchorRecord {
            providers: vec!["http://127.0.0.1:5052".into()],
            ws_period_epochs: 3532,
            total_active_balance: 34_000_000 * 1_000_000_000,
            active_validators: 1_000_000,
            current_sync_committee: Some(committee.clone()),
            next_sync_committee: Some(committee),
            created_at: 1_700_000_000,
            ..AnchorRecord::new(
                "mainnet",
                slot,
                slot / 32,
                [root_byte; 32],
                [root_byte ^ 0xff; 32],
                ForkName::Deneb,
                Trust::Checkpoint,
            )
        }
    }

    #[test]
    fn anchors_are_stored_listed_and_activated() {
        block_on(async {
            let store = MemoryStore::open("mainnet", GVR).await.unwrap();
            assert_eq!(store.active_anchor().await.unwrap(), None);
            store.put_anchor(&anchor(2, 64), false).await.unwrap();
            assert_eq!(store.active_anchor().await.unwrap(), None);
            store.put_anchor(&anchor(1, 32), true).await.unwrap();
            assert_eq!(store.active_anchor().await.unwrap(), Some(anchor(1, 32)));
            let roots: Vec<u8> = store
                .anchors()
                .await
                .unwrap()
                .iter()
                .map(|a| a.block_root[0])
                .collect();
            assert_eq!(roots, vec![1, 2], "ordered by block root");
            store.set_active_anchor(&[2; 32]).await.unwrap();
            assert_eq!(store.meta().await.unwrap().active_anchor, Some([2; 32]));
            let before = store.dump().await.unwrap();
            assert_eq!(
                store.set_active_anchor(&[3; 32]).await,
                Err(StoreError::AnchorNotFound {
                    block_root: [3; 32]
                })
            );
            let mut foreign = anchor(4, 96);
            foreign.network = "sepolia".into();
            assert_eq!(
                store.put_anchor(&foreign, true).await,
                Err(StoreError::NetworkMismatch {
                    expected: "mainnet".into(),
                    got: "sepolia".into()
                })
            );
            assert_eq!(store.dump().await.unwrap(), before);
        });
    }

    #[test]
    fn batches_and_cursor_are_written_together() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let (batch, cursor) = chain(&[100, 101, 103]);
            store.commit_backfill_batch(&batch, &cursor).await.unwrap();
            assert_eq!(store.backfill_cursor().await.unwrap(), Some(cursor));
            let (older, older_cursor) = below(&cursor, &[90, 95]);
            store
                .commit_backfill_batch(&older, &older_cursor)
                .await
                .unwrap();
            let slots = |hs: Vec<HeaderRecord>| hs.iter().map(|h| h.slot).collect::<Vec<_>>();
            assert_eq!(
                slots(store.headers_range(95, 103).await.unwrap()),
                vec![95, 100, 101]
            );
            assert_eq!(
                slots(store.headers_range(0, u64::MAX).await.unwrap()).len(),
                5
            );
            assert!(store.headers_range(103, 103).await.unwrap().is_empty());
            assert_eq!(store.header(101).await.unwrap(), Some(batch[1].clone()));
            assert_eq!(store.header(102).await.unwrap(), None);
            assert_eq!(store.backfill_cursor().await.unwrap(), Some(older_cursor));
        });
    }

    #[test]
    fn a_batch_clashing_with_a_stored_header_changes_nothing() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            store.put_anchor(&anchor(1, 320), true).await.unwrap();
            let (first, cursor) = chain(&[200, 201]);
            store.commit_backfill_batch(&first, &cursor).await.unwrap();
            // A stray header below the cursor (no writer of this library leaves one).
            let stray = header(160, [0x77; 32]);
            store.lock().headers.insert(160, stray);
            let before = store.dump().await.unwrap();
            // New slots first, the clash last: nothing of the batch may stay.
            let (batch, next) = below(&cursor, &[150, 160, 199]);
            assert_eq!(
                store.commit_backfill_batch(&batch, &next).await,
                Err(StoreError::HeaderAlreadyStored { slot: 160 })
            );
            assert_eq!(store.dump().await.unwrap(), before);
        });
    }

    #[test]
    fn a_stale_writer_cannot_move_the_cursor_backwards_or_sideways() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let (first, cursor) = chain(&[200, 201]);
            store.commit_backfill_batch(&first, &cursor).await.unwrap();
            // Two writers read the same cursor and each fetched the batch below it.
            let (a, a_cursor) = below(&cursor, &[180, 190]);
            let (b, b_cursor) = below(&cursor, &[185, 195]);
            store.commit_backfill_batch(&a, &a_cursor).await.unwrap();
            let before = store.dump().await.unwrap();
            let error = store
                .commit_backfill_batch(&b, &b_cursor)
                .await
                .unwrap_err();
            assert!(
                matches!(error, StoreError::CursorConflict { .. }),
                "{error:?}"
            );
            assert_eq!(error.code(), "CURSOR_CONFLICT");
            assert!(error.to_string().contains("slot 180"), "{error}");
            // Backwards: a batch above the stored cursor; sideways: an empty batch that names
            // another oldest header.
            let (above, above_cursor) = below(&a_cursor, &[170, 185]);
            let mut moved = above_cursor;
            moved.oldest_slot = 185;
            moved.oldest_root = above[1].root;
            moved.oldest_parent_root = above[1].parent_root();
            assert!(matches!(
                store.commit_backfill_batch(&above[1..], &moved).await,
                Err(StoreError::CursorConflict { .. })
            ));
            assert!(matches!(
                store.commit_backfill_batch(&[], &b_cursor).await,
                Err(StoreError::CursorConflict { .. })
            ));
            assert_eq!(store.dump().await.unwrap(), before);
            // The writer that lost reads the cursor again and continues below it.
            let (c, c_cursor) = below(&a_cursor, &[170, 175]);
            store.commit_backfill_batch(&c, &c_cursor).await.unwrap();
            let mut retarget = c_cursor;
            retarget.target_slot = 100;
            store.commit_backfill_batch(&[], &retarget).await.unwrap();
            assert_eq!(store.backfill_cursor().await.unwrap(), Some(retarget));
        });
    }

    #[test]
    fn truncating_the_backfill_checks_the_cursor_it_replaces() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let (first, cursor) = chain(&[200, 201]);
            store.commit_backfill_batch(&first, &cursor).await.unwrap();
            let (older, older_cursor) = below(&cursor, &[180, 190]);
            store
                .commit_backfill_batch(&older, &older_cursor)
                .await
                .unwrap();
            let before = store.dump().await.unwrap();
            // Not the stored cursor: refused.
            assert!(matches!(
                store.truncate_backfill(&cursor, &cursor).await,
                Err(StoreError::CursorConflict { .. })
            ));
            // A cursor naming no stored header: refused.
            let mut nowhere = cursor;
            nowhere.oldest_slot = 199;
            assert!(matches!(
                store.truncate_backfill(&older_cursor, &nowhere).await,
                Err(StoreError::ChainMismatch { .. })
            ));
            assert_eq!(store.dump().await.unwrap(), before);
            store
                .truncate_backfill(&older_cursor, &cursor)
                .await
                .unwrap();
            let after = store.dump().await.unwrap();
            assert_eq!(after.headers, first);
            assert_eq!(after.meta.backfill_cursor, Some(cursor));
        });
    }

    #[test]
    fn malformed_batches_are_refused_with_what_is_wrong() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let before = store.dump().await.unwrap();

            let (mut batch, cursor) = chain(&[10, 11]);
            batch[1].slot = 12;
            assert_eq!(
                store.commit_backfill_batch(&batch, &cursor).await,
                Err(StoreError::HeaderSlotMismatch {
                    expected: 12,
                    got: 11
                })
            );

            let (mut batch, cursor) = chain(&[10, 11]);
            batch.push(batch[1].clone());
            assert_eq!(
                store.commit_backfill_batch(&batch, &cursor).await,
                Err(StoreError::DuplicateSlotInBatch { slot: 11 })
            );

            let (batch, mut cursor) = chain(&[10, 11]);
            cursor.oldest_slot = 11;
            assert!(matches!(
                store.commit_backfill_batch(&batch, &cursor).await,
                Err(StoreError::CursorMismatch {
                    field: "oldest_slot",
                    ..
                })
            ));
            let (batch, mut cursor) = chain(&[10, 11]);
            cursor.oldest_root = batch[1].root;
            assert!(matches!(
                store.commit_backfill_batch(&batch, &cursor).await,
                Err(StoreError::CursorMismatch {
                    field: "oldest_root",
                    ..
                })
            ));
            let (batch, mut cursor) = chain(&[10, 11]);
            cursor.oldest_parent_root = [0; 32];
            let error = store
                .commit_backfill_batch(&batch, &cursor)
                .await
                .unwrap_err();
            assert!(matches!(
                error,
                StoreError::CursorMismatch {
                    field: "oldest_parent_root",
                    ..
                }
            ));
            assert!(error.to_string().contains("expected 0x1111"), "{error}");

            let (batch, cursor) = chain(&[MAX_SLOT + 1]);
            assert_eq!(
                store.commit_backfill_batch(&batch, &cursor).await,
                Err(StoreError::SlotOutOfRange { slot: MAX_SLOT + 1 })
            );
            assert_eq!(store.dump().await.unwrap(), before);
        });
    }

    #[test]
    fn reset_backfill_drops_headers_and_cursor_but_keeps_anchors() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            store.put_anchor(&anchor(1, 320), true).await.unwrap();
            let (batch, cursor) = chain(&[300, 301]);
            store.commit_backfill_batch(&batch, &cursor).await.unwrap();
            store.reset_backfill().await.unwrap();
            let dump = store.dump().await.unwrap();
            assert!(dump.headers.is_empty());
            assert_eq!(dump.meta.backfill_cursor, None);
            assert_eq!(dump.anchors, vec![anchor(1, 320)]);
            assert_eq!(dump.meta.active_anchor, Some([1; 32]));
            // After a reset the same slots can be written again.
            store.commit_backfill_batch(&batch, &cursor).await.unwrap();
        });
    }

    fn roots_of(anchor: &AnchorRecord) -> AnchorRootsRecord {
        AnchorRootsRecord {
            block_root: anchor.block_root,
            state_slot: anchor.slot,
            block_roots: (0..8u8).map(|i| [i; 32]).collect(),
            block_summary_roots: vec![[0xa1; 32], [0xa2; 32]],
        }
    }

    #[test]
    fn anchor_roots_are_written_with_their_anchor_or_not_at_all() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let a = anchor(1, 320);
            assert_eq!(store.anchor_roots(&a.block_root).await.unwrap(), None);
            store
                .put_anchor_with_roots(&a, &roots_of(&a), None)
                .await
                .unwrap();
            assert_eq!(store.active_anchor().await.unwrap(), Some(a.clone()));
            assert_eq!(
                store.anchor_roots(&a.block_root).await.unwrap(),
                Some(roots_of(&a))
            );
            let before = store.dump().await.unwrap();
            assert_eq!(before.anchor_roots, vec![roots_of(&a)]);

            // Roots of another block, another state slot, or a vector that no preset has: refused,
            // and the anchor that came with them is not stored either.
            let b = anchor(2, 640);
            let mut other = roots_of(&b);
            other.block_root = [9; 32];
            let mut moved = roots_of(&b);
            moved.state_slot = 641;
            let mut short = roots_of(&b);
            short.block_roots.pop();
            for bad in [other, moved, short] {
                let e = store
                    .put_anchor_with_roots(&b, &bad, None)
                    .await
                    .unwrap_err();
                assert!(matches!(e, StoreError::InvalidAnchorRoots { .. }), "{e}");
                assert!(e.to_string().contains("expected"), "{e}");
            }
            assert_eq!(store.dump().await.unwrap(), before);

            // A backfill reset keeps anchors and their roots.
            store.reset_backfill().await.unwrap();
            assert_eq!(store.dump().await.unwrap().anchor_roots, vec![roots_of(&a)]);
        });
    }

    #[test]
    fn anchor_roots_round_trip_through_serde_and_refuse_partial_roots() {
        let record = roots_of(&anchor(1, 32));
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            serde_json::from_str::<AnchorRootsRecord>(&json).unwrap(),
            record
        );
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["block_roots"] = serde_json::json!(vec![0u8; 33]);
        let e = serde_json::from_value::<AnchorRootsRecord>(v.clone()).unwrap_err();
        assert!(e.to_string().contains("multiple of 32 bytes"), "{e}");
        v["block_roots"] = serde_json::json!(vec![0u8; 96]);
        let e = serde_json::from_value::<AnchorRootsRecord>(v).unwrap_err();
        assert!(e.to_string().contains("power of two"), "{e}");
    }

    #[test]
    fn records_round_trip_through_serde() {
        let record = anchor(1, 32);
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.contains("\"trust\":\"checkpoint\""), "{json}");
        assert_eq!(serde_json::from_str::<AnchorRecord>(&json).unwrap(), record);
        let mut light = record.clone();
        light.trust = Trust::LightClient;
        light.current_sync_committee = None;
        let json = serde_json::to_string(&light).unwrap();
        assert!(json.contains("\"light-client\""), "{json}");
        assert_eq!(serde_json::from_str::<AnchorRecord>(&json).unwrap(), light);

        // A committee whose key bytes are not whole 48-byte keys is refused.
        let bad = format!(
            r#"{{"pubkeys":[1,2,3],"aggregate_pubkey":{:?}}}"#,
            [0u8; 48]
        );
        let error = serde_json::from_str::<SyncCommitteeRecord>(&bad).unwrap_err();
        assert!(error.to_string().contains("multiple of 48"), "{error}");

        let h = header(42, [3; 32]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<HeaderRecord>(&json).unwrap(), h);
        assert_eq!(h.encoded_slot(), 42);
        assert_eq!(h.parent_root(), [3; 32]);
        assert_eq!(h.state_root(), [0xaa; 32]);
    }

    /// Headers at `slots` (ascending), the first a child of `parent`, each the next one's parent.
    fn linked(slots: &[u64], parent: Root) -> Vec<HeaderRecord> {
        let mut parent = parent;
        slots
            .iter()
            .map(|&slot| {
                let h = header(slot, parent);
                parent = h.root;
                h
            })
            .collect()
    }

    fn head_of(top: &HeaderRecord, anchor_root: Root) -> HeadRecord {
        HeadRecord {
            slot: top.slot,
            block_root: top.root,
            state_root: top.state_root(),
            source: crate::store::HeadSource::Checkpoints,
            anchor_root,
            updated_at: 1_700_000_100,
            execution: None,
        }
    }

    #[test]
    fn a_head_is_written_with_its_linking_headers_and_hangs_from_the_tip() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            store.put_anchor(&anchor(1, 32), true).await.unwrap();
            let first = linked(&[33, 35, 36], [1; 32]);
            let head = head_of(&first[2], [1; 32]);
            // Order does not matter: the store sorts by slot.
            let shuffled = vec![first[2].clone(), first[0].clone(), first[1].clone()];
            assert_eq!(store.commit_head(&head, &shuffled).await, Ok(3));
            assert_eq!(store.head().await.unwrap(), Some(head));
            assert_eq!(store.headers_range(0, 100).await.unwrap(), first);

            let second = linked(&[37, 40], first[2].root);
            let head2 = head_of(&second[1], [1; 32]);
            assert_eq!(store.commit_head(&head2, &second).await, Ok(2));
            let before = store.dump().await.unwrap();
            assert_eq!(before.head, Some(head2));

            // Refused, nothing written: a chain that hangs from neither the stored head nor the
            // anchor (a gap), a broken link inside, a top that is not the head, an unknown
            // anchor, a header that differs from the stored one at its slot.
            let gap = linked(&[42, 43], [0x77; 32]);
            assert!(matches!(
                store.commit_head(&head_of(&gap[1], [1; 32]), &gap).await,
                Err(StoreError::ChainMismatch {
                    field: "base of the head's chain",
                    slot: 42,
                    ..
                })
            ));
            let mut broken = linked(&[41, 42], second[1].root);
            broken[1] = header(42, [0x55; 32]);
            assert!(matches!(
                store
                    .commit_head(&head_of(&broken[1], [1; 32]), &broken)
                    .await,
                Err(StoreError::ChainMismatch {
                    field: "parent_root",
                    slot: 42,
                    ..
                })
            ));
            let next = linked(&[41, 42], second[1].root);
            let mut wrong_top = head_of(&next[1], [1; 32]);
            wrong_top.state_root = [0x99; 32];
            assert!(matches!(
                store.commit_head(&wrong_top, &next).await,
                Err(StoreError::ChainMismatch {
                    field: "head state_root",
                    ..
                })
            ));
            assert_eq!(
                store.commit_head(&head_of(&next[1], [3; 32]), &next).await,
                Err(StoreError::AnchorNotFound {
                    block_root: [3; 32]
                })
            );
            let mut other = linked(&[38], first[2].root);
            other[0].root = [0x66; 32];
            let fork = linked(&[39], [0x66; 32]);
            let forked = vec![other[0].clone(), fork[0].clone()];
            // Hangs from the anchor's chain at slot 36 (not the head): refused for its base
            // before any conflict is looked at.
            assert!(store
                .commit_head(&head_of(&forked[1], [1; 32]), &forked)
                .await
                .is_err());
            assert_eq!(store.dump().await.unwrap(), before);

            // The next step from the stored head goes through.
            assert_eq!(
                store.commit_head(&head_of(&next[1], [1; 32]), &next).await,
                Ok(2)
            );
            // A backfill reset drops the head with the headers it hangs from.
            store.reset_backfill().await.unwrap();
            assert_eq!(store.head().await.unwrap(), None);
        });
    }

    #[test]
    fn a_header_that_differs_from_the_stored_one_is_a_conflict() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            store.put_anchor(&anchor(1, 32), true).await.unwrap();
            // A different block already stored at slot 34 (say, by an earlier backfill).
            let mut other = header(34, [0x42; 32]);
            other.root = [0x43; 32];
            let cursor = BackfillCursor {
                oldest_slot: 34,
                oldest_root: other.root,
                oldest_parent_root: other.parent_root(),
                target_slot: 0,
            };
            store
                .commit_backfill_batch(std::slice::from_ref(&other), &cursor)
                .await
                .unwrap();
            let before = store.dump().await.unwrap();
            let chain = linked(&[33, 34, 35], [1; 32]);
            assert_eq!(
                store
                    .commit_head(&head_of(&chain[2], [1; 32]), &chain)
                    .await,
                Err(StoreError::HeaderConflict {
                    slot: 34,
                    stored: [0x43; 32],
                    got: chain[1].root
                })
            );
            assert_eq!(store.dump().await.unwrap(), before);
        });
    }

    #[test]
    fn a_rebuilt_anchor_is_stored_with_its_chain_cursor_and_head_at_once() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let old = anchor(1, 32);
            store.put_anchor(&old, true).await.unwrap();
            // The old anchor's block at slot 30 (its state is at 32), then up to the new block.
            let Rebuilt {
                old_block,
                above,
                mut new,
                mut head,
                chain,
                cursor,
            } = rebuilt();
            new.trust = Trust::LightClient;
            head.source = crate::store::HeadSource::FinalityUpdate;
            let before = store.dump().await.unwrap();

            // Refused, nothing written: a head that is not the new anchor's block, a cursor
            // that is not the chain's lowest header.
            let mut not_anchor = head;
            not_anchor.block_root = [0x21; 32];
            assert!(matches!(
                store
                    .commit_rebuilt_anchor(
                        &new,
                        &chain,
                        RebuiltBackfill::Start(&cursor),
                        &not_anchor
                    )
                    .await,
                Err(StoreError::ChainMismatch {
                    field: "head block_root",
                    ..
                })
            ));
            let mut off = cursor;
            off.oldest_slot = 31;
            assert!(matches!(
                store
                    .commit_rebuilt_anchor(&new, &chain, RebuiltBackfill::Start(&off), &head)
                    .await,
                Err(StoreError::CursorMismatch { .. })
            ));
            assert_eq!(store.dump().await.unwrap(), before);

            assert_eq!(
                store
                    .commit_rebuilt_anchor(&new, &chain, RebuiltBackfill::Start(&cursor), &head)
                    .await,
                Ok(4)
            );
            let after = store.dump().await.unwrap();
            assert_eq!(after.meta.active_anchor, Some(new.block_root));
            assert_eq!(after.meta.backfill_cursor, Some(cursor));
            assert_eq!(after.head, Some(head));
            assert_eq!(after.anchors.len(), 2);
            let mut expected = vec![old_block];
            expected.extend(above);
            assert_eq!(after.headers, expected);
        });
    }

    /// A light rebuild's commit: the old anchor's block at slot 30 (its state at 32), the headers
    /// above it up to the new anchor's block at 64, the head there, and the cursor at slot 30.
    struct Rebuilt {
        old_block: HeaderRecord,
        above: Vec<HeaderRecord>,
        new: AnchorRecord,
        head: HeadRecord,
        chain: Vec<HeaderRecord>,
        cursor: BackfillCursor,
    }

    fn rebuilt() -> Rebuilt {
        let old_block = header(30, [0x11; 32]);
        let above = linked(&[31, 40, 64], old_block.root);
        let mut new = anchor(2, 64);
        new.block_root = above[2].root;
        let head = head_of(&above[2], new.block_root);
        let mut chain = above.clone();
        chain.push(old_block.clone());
        let cursor = BackfillCursor {
            oldest_slot: 30,
            oldest_root: old_block.root,
            oldest_parent_root: old_block.parent_root(),
            target_slot: 30,
        };
        Rebuilt {
            old_block,
            above,
            new,
            head,
            chain,
            cursor,
        }
    }

    #[test]
    fn a_rebuild_that_replaces_the_backfill_resets_it_in_the_same_write() {
        block_on(async {
            let store = MemoryStore::new("mainnet", GVR);
            let old = anchor(1, 32);
            store.put_anchor(&old, true).await.unwrap();
            // A backfill that does not hang from the old anchor's block.
            let (stray, stray_cursor) = chain(&[10, 12]);
            store
                .commit_backfill_batch(&stray, &stray_cursor)
                .await
                .unwrap();
            let Rebuilt {
                new,
                head,
                chain,
                cursor,
                ..
            } = rebuilt();
            let before = store.dump().await.unwrap();
            // Refused: the old backfill is still there (no reset happened on its own).
            let mut off = cursor;
            off.oldest_root = [0x99; 32];
            assert!(store
                .commit_rebuilt_anchor(&new, &chain, RebuiltBackfill::Replace(&off), &head)
                .await
                .is_err());
            assert_eq!(store.dump().await.unwrap(), before);
            // Accepted: the old backfill is gone and the new chain is the backfill.
            store
                .commit_rebuilt_anchor(&new, &chain, RebuiltBackfill::Replace(&cursor), &head)
                .await
                .unwrap();
            let after = store.dump().await.unwrap();
            assert_eq!(after.meta.backfill_cursor, Some(cursor));
            assert_eq!(after.headers.len(), 4);
            assert!(after.headers.iter().all(|h| h.slot >= 30));
            assert_eq!(after.meta.active_anchor, Some(new.block_root));
        });
    }
}
