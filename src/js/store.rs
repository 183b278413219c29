//! The store of a `LightSync`: the network's IndexedDB database behind a handle that `reset()`
//! can replace, plus the counters `status()` reports without touching IndexedDB.
//!
//! Why a wrapper and not `IdbStore` itself: `status()` is synchronous (a snapshot a dashboard
//! can read on every frame), yet it reports how many headers are stored and where the backfill
//! tail is. Both change only through this instance's writes (`commit_backfill_batch`,
//! `reset_backfill`), so the wrapper updates them exactly where the writes succeed, and reads
//! them once from the database when it opens. `reset()` deletes the database and opens a fresh
//! one under the same handle, so the `LightSync` stays usable afterwards.
//!
//! Borrow rule (the wasm-bindgen trap): every method clones the current `Rc<IdbStore>` out of
//! its `RefCell` and awaits on the clone; no borrow is held across an `.await`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::store::{
    database_name, AnchorRecord, AnchorRootsRecord, BackfillCursor, HeadRecord, HeaderRecord,
    IdbStore, KeptStateRecord, MetaRecord, RebuiltBackfill, Root, Store, StoreDump, StoreError,
};

/// The network's database, replaceable by `reset()`, with cached counters for `status()`.
pub(crate) struct JsStore {
    network: String,
    genesis_validators_root: Root,
    current: RefCell<Rc<IdbStore>>,
    /// Headers stored in the database, as counted on open and kept up to date by this
    /// instance's backfill writes.
    header_count: Cell<u64>,
    /// The backfill cursor, as read on open and written by this instance.
    cursor: RefCell<Option<BackfillCursor>>,
}

impl JsStore {
    /// The store of this instance now (a clone of the handle: safe to await on).
    fn get(&self) -> Rc<IdbStore> {
        self.current.borrow().clone()
    }

    /// Reads the counters of the open database.
    async fn load_counters(&self) -> Result<(), StoreError> {
        let cursor = self.get().backfill_cursor().await?;
        let count = IdbStore::count_headers(&self.genesis_validators_root).await?;
        *self.cursor.borrow_mut() = cursor;
        self.header_count.set(count);
        Ok(())
    }

    /// The IndexedDB store of this instance now, for reads that need its own API (the walk of
    /// `verifyStore()` reads the packs as stored).
    pub(crate) fn idb(&self) -> Rc<IdbStore> {
        self.get()
    }

    /// Headers stored, as of this instance's last write (or open).
    pub(crate) fn header_count(&self) -> u64 {
        self.header_count.get()
    }

    /// The backfill cursor, as of this instance's last write (or open).
    pub(crate) fn cursor(&self) -> Option<BackfillCursor> {
        *self.cursor.borrow()
    }

    /// The IndexedDB database name.
    pub(crate) fn name(&self) -> String {
        database_name(&self.genesis_validators_root)
    }

    /// Deletes the database and opens an empty one in its place. The old connection closes
    /// itself on the deletion's `versionchange`; other tabs holding it open do the same (see
    /// `IdbStore`), so the deletion is not blocked by a page that merely has it open.
    pub(crate) async fn wipe(&self) -> Result<(), StoreError> {
        IdbStore::delete_database(&self.genesis_validators_root).await?;
        let fresh = IdbStore::open(&self.network, self.genesis_validators_root).await?;
        *self.current.borrow_mut() = Rc::new(fresh);
        *self.cursor.borrow_mut() = None;
        self.header_count.set(0);
        Ok(())
    }
}

impl Store for JsStore {
    async fn open(network: &str, genesis_validators_root: Root) -> Result<Self, StoreError> {
        let idb = IdbStore::open(network, genesis_validators_root).await?;
        let store = JsStore {
            network: network.to_string(),
            genesis_validators_root,
            current: RefCell::new(Rc::new(idb)),
            header_count: Cell::new(0),
            cursor: RefCell::new(None),
        };
        store.load_counters().await?;
        Ok(store)
    }

    fn network(&self) -> &str {
        &self.network
    }

    async fn meta(&self) -> Result<MetaRecord, StoreError> {
        self.get().meta().await
    }

    async fn put_anchor(&self, anchor: &AnchorRecord, make_active: bool) -> Result<(), StoreError> {
        self.get().put_anchor(anchor, make_active).await
    }

    async fn put_anchor_with_roots(
        &self,
        anchor: &AnchorRecord,
        roots: &AnchorRootsRecord,
        kept: Option<&KeptStateRecord>,
    ) -> Result<(), StoreError> {
        self.get().put_anchor_with_roots(anchor, roots, kept).await
    }

    async fn anchor_roots(
        &self,
        block_root: &Root,
    ) -> Result<Option<AnchorRootsRecord>, StoreError> {
        self.get().anchor_roots(block_root).await
    }

    async fn anchors(&self) -> Result<Vec<AnchorRecord>, StoreError> {
        self.get().anchors().await
    }

    async fn anchor(&self, block_root: &Root) -> Result<Option<AnchorRecord>, StoreError> {
        self.get().anchor(block_root).await
    }

    async fn active_anchor(&self) -> Result<Option<AnchorRecord>, StoreError> {
        self.get().active_anchor().await
    }

    async fn set_active_anchor(&self, block_root: &Root) -> Result<(), StoreError> {
        self.get().set_active_anchor(block_root).await
    }

    async fn header(&self, slot: u64) -> Result<Option<HeaderRecord>, StoreError> {
        self.get().header(slot).await
    }

    async fn headers_range(
        &self,
        start_slot: u64,
        end_slot: u64,
    ) -> Result<Vec<HeaderRecord>, StoreError> {
        self.get().headers_range(start_slot, end_slot).await
    }

    async fn backfill_cursor(&self) -> Result<Option<BackfillCursor>, StoreError> {
        let cursor = self.get().backfill_cursor().await?;
        *self.cursor.borrow_mut() = cursor;
        Ok(cursor)
    }

    async fn commit_backfill_batch(
        &self,
        headers: &[HeaderRecord],
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError> {
        self.get().commit_backfill_batch(headers, cursor).await?;
        // The transaction committed: every header of the batch is new (a stored slot fails it).
        self.header_count
            .set(self.header_count.get() + headers.len() as u64);
        *self.cursor.borrow_mut() = Some(*cursor);
        Ok(())
    }

    async fn truncate_backfill(
        &self,
        expected: &BackfillCursor,
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError> {
        self.get().truncate_backfill(expected, cursor).await?;
        *self.cursor.borrow_mut() = Some(*cursor);
        // Dropped headers are not counted one by one: count again.
        self.header_count
            .set(IdbStore::count_headers(&self.genesis_validators_root).await?);
        Ok(())
    }

    async fn reset_backfill(&self) -> Result<(), StoreError> {
        self.get().reset_backfill().await?;
        self.header_count.set(0);
        *self.cursor.borrow_mut() = None;
        Ok(())
    }

    async fn head(&self) -> Result<Option<HeadRecord>, StoreError> {
        self.get().head().await
    }

    async fn commit_head(
        &self,
        head: &HeadRecord,
        headers: &[HeaderRecord],
    ) -> Result<u64, StoreError> {
        let new = self.get().commit_head(head, headers).await?;
        self.header_count.set(self.header_count.get() + new);
        Ok(new)
    }

    async fn commit_rebuilt_anchor(
        &self,
        anchor: &AnchorRecord,
        headers: &[HeaderRecord],
        backfill: RebuiltBackfill<'_>,
        head: &HeadRecord,
    ) -> Result<u64, StoreError> {
        let new = self
            .get()
            .commit_rebuilt_anchor(anchor, headers, backfill, head)
            .await?;
        let before = if backfill.resets() {
            0
        } else {
            self.header_count.get()
        };
        self.header_count.set(before + new);
        if let Some(c) = backfill.cursor() {
            *self.cursor.borrow_mut() = Some(*c);
        }
        Ok(new)
    }

    async fn put_state_chunk(&self, id: u32, index: u32, bytes: &[u8]) -> Result<(), StoreError> {
        self.get().put_state_chunk(id, index, bytes).await
    }

    async fn discard_state_chunks(&self, id: u32) -> Result<(), StoreError> {
        self.get().discard_state_chunks(id).await
    }

    async fn kept_state(&self) -> Result<Option<KeptStateRecord>, StoreError> {
        self.get().kept_state().await
    }

    async fn state_chunk(&self, id: u32, index: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.get().state_chunk(id, index).await
    }

    async fn dump(&self) -> Result<StoreDump, StoreError> {
        self.get().dump().await
    }

    async fn delete(self) -> Result<(), StoreError> {
        let gvr = self.genesis_validators_root;
        // Dropping the handle closes this connection (unless an operation still holds it, whose
        // connection then closes on the deletion's `versionchange`).
        drop(self);
        IdbStore::delete_database(&gvr).await
    }
}
