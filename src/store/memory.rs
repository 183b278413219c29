//! An in-memory [`Store`]: for native tests, the CLI, and pages that opt out of persistence.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{
    check_network, validate_batch, AnchorRecord, BackfillCursor, HeaderRecord, MetaRecord, Root,
    Store, StoreDump, StoreError, SCHEMA_VERSION,
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
    states: BTreeMap<Root, Vec<u8>>,
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
                states: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied write (writes validate
        // first and then only insert), so a poisoned lock still guards consistent data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        check_network(&self.network, anchor)?;
        let mut inner = self.lock();
        inner.anchors.insert(anchor.block_root, anchor.clone());
        if make_active {
            inner.meta.active_anchor = Some(anchor.block_root);
        }
        Ok(())
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
        if let Some(stored) = headers.iter().find(|h| inner.headers.contains_key(&h.slot)) {
            return Err(StoreError::HeaderAlreadyStored { slot: stored.slot });
        }
        for header in headers {
            inner.headers.insert(header.slot, header.clone());
        }
        inner.meta.backfill_cursor = Some(*cursor);
        Ok(())
    }

    async fn reset_backfill(&self) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.headers.clear();
        inner.meta.backfill_cursor = None;
        Ok(())
    }

    async fn put_state(&self, state_root: &Root, ssz: &[u8]) -> Result<(), StoreError> {
        self.lock().states.insert(*state_root, ssz.to_vec());
        Ok(())
    }

    async fn get_state(&self, state_root: &Root) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().states.get(state_root).cloned())
    }

    async fn dump(&self) -> Result<StoreDump, StoreError> {
        let inner = self.lock();
        Ok(StoreDump {
            meta: inner.meta.clone(),
            anchors: inner.anchors.values().cloned().collect(),
            headers: inner.headers.values().cloned().collect(),
            states: inner
                .states
                .iter()
                .map(|(root, bytes)| (*root, bytes.clone()))
                .collect(),
        })
    }

    async fn delete(self) -> Result<(), StoreError> {
        Ok(())
    }
}
