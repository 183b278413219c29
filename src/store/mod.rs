//! Persistence of anchors, backfilled headers and the backfill cursor.
//!
//! Why a trait: the sync logic is plain Rust and is tested natively, while the real storage is
//! IndexedDB, which exists only in a browser. [`Store`] is the contract; [`MemoryStore`] backs
//! native tests and the CLI (and works in wasm too), and `IdbStore` (wasm only) is the browser
//! backend. Both keep the same guarantees, which the tests check on each:
//!
//! - one database per network, named after its `genesis_validators_root`, so two networks never
//!   mix and a reload finds its data;
//! - one transaction per logical write: a failed or interrupted write (a closed tab included)
//!   leaves the database exactly as it was, which is what lets backfill resume without gaps;
//! - a schema version, migrated forward on open; a database written by a newer version of this
//!   library is refused, untouched, with [`StoreError::SchemaTooNew`].
//!
//! The trait's futures are not `Send`: in wasm every future lives on the one JS thread, and
//! IndexedDB handles cannot cross threads anyway.

mod error;
mod memory;
mod records;

#[cfg(target_arch = "wasm32")]
mod idb;

pub use error::StoreError;
#[cfg(target_arch = "wasm32")]
pub use idb::IdbStore;
pub use memory::MemoryStore;
pub use records::{
    AnchorRecord, AnchorRootsRecord, BackfillCursor, HeaderRecord, MetaRecord, Root, StoreDump,
    SyncCommitteeRecord, Trust, HEADER_SSZ_LEN,
};

/// The schema this library writes. Version 1: object stores `anchors` (key: block root bytes),
/// `headers` (key: slot number), `meta` (string keys) and `states` (key: state root bytes).
/// Version 2 adds `anchor_roots` (key: the anchor's block root bytes; see [`AnchorRootsRecord`]);
/// a version-1 database is migrated by creating that store empty (its anchors simply have no
/// recorded roots, and backfill walks their chain by hash alone).
pub const SCHEMA_VERSION: u32 = 2;

/// The largest slot a header may have: IndexedDB keys are JS numbers, exact up to 2^53 - 1.
pub const MAX_SLOT: u64 = (1 << 53) - 1;

/// The database name for a network: `beacon-lightsync-0x<genesis_validators_root hex>`.
pub fn database_name(genesis_validators_root: &Root) -> String {
    format!(
        "beacon-lightsync-0x{}",
        hex::encode(genesis_validators_root)
    )
}

/// Storage for one network's anchors, headers and backfill progress.
///
/// All methods take `&self`: implementations synchronise internally and never hold a borrow
/// across an `.await`, so one store can be shared (`Rc`) between the sync tasks of a page.
#[allow(async_fn_in_trait)] // Deliberately no `Send` bound: see the module docs.
pub trait Store {
    /// Opens (creating or migrating as needed) the database of `network`, whose genesis
    /// validators root names it. Refuses a database of a newer schema or another network name.
    async fn open(network: &str, genesis_validators_root: Root) -> Result<Self, StoreError>
    where
        Self: Sized;

    /// The network this store was opened for.
    fn network(&self) -> &str;

    /// The bookkeeping record (schema version, identity, active anchor, cursor).
    async fn meta(&self) -> Result<MetaRecord, StoreError>;

    /// Stores (or replaces, keyed by block root) an anchor and, if `make_active`, makes it the
    /// active anchor, in one transaction. The anchor's network must be the store's.
    async fn put_anchor(&self, anchor: &AnchorRecord, make_active: bool) -> Result<(), StoreError>;

    /// Stores an anchor together with the roots its verified state holds about older blocks, in
    /// one transaction (both or neither), like [`Store::put_anchor`] otherwise. Refused with
    /// [`StoreError::InvalidAnchorRoots`] when `roots` is not the anchor's or is malformed.
    async fn put_anchor_with_roots(
        &self,
        anchor: &AnchorRecord,
        roots: &AnchorRootsRecord,
        make_active: bool,
    ) -> Result<(), StoreError>;

    /// The roots recorded with the anchor `block_root`, if any.
    async fn anchor_roots(
        &self,
        block_root: &Root,
    ) -> Result<Option<AnchorRootsRecord>, StoreError>;

    /// Every stored anchor, ordered by block root.
    async fn anchors(&self) -> Result<Vec<AnchorRecord>, StoreError>;

    /// The anchor with this block root, if stored.
    async fn anchor(&self, block_root: &Root) -> Result<Option<AnchorRecord>, StoreError>;

    /// The active anchor, if one is set.
    async fn active_anchor(&self) -> Result<Option<AnchorRecord>, StoreError>;

    /// Makes a stored anchor the active one; [`StoreError::AnchorNotFound`] if it is not stored.
    async fn set_active_anchor(&self, block_root: &Root) -> Result<(), StoreError>;

    /// The header at `slot`, if stored.
    async fn header(&self, slot: u64) -> Result<Option<HeaderRecord>, StoreError>;

    /// The stored headers with `start_slot <= slot < end_slot`, ordered by slot.
    async fn headers_range(
        &self,
        start_slot: u64,
        end_slot: u64,
    ) -> Result<Vec<HeaderRecord>, StoreError>;

    /// The backfill cursor, if backfill has started.
    async fn backfill_cursor(&self) -> Result<Option<BackfillCursor>, StoreError>;

    /// Adds a batch of verified headers and the cursor that describes the new oldest header, in
    /// one transaction: both are written, or neither. A batch is refused if a slot repeats, a
    /// slot is already stored (headers are never overwritten), a record's slot disagrees with its
    /// bytes, or the cursor is not the batch's oldest header. An empty batch only writes the
    /// cursor.
    async fn commit_backfill_batch(
        &self,
        headers: &[HeaderRecord],
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError>;

    /// Discards the backfill: every header and the cursor, in one transaction (used when the
    /// tail has fallen outside the weak-subjectivity period). Anchors are kept.
    async fn reset_backfill(&self) -> Result<(), StoreError>;

    /// Keeps a raw SSZ state under its state root (replacing any previous copy).
    async fn put_state(&self, state_root: &Root, ssz: &[u8]) -> Result<(), StoreError>;

    /// A kept raw SSZ state, if any.
    async fn get_state(&self, state_root: &Root) -> Result<Option<Vec<u8>>, StoreError>;

    /// A deterministic snapshot of everything stored, for tests.
    async fn dump(&self) -> Result<StoreDump, StoreError>;

    /// Deletes the whole database. The store cannot be used afterwards.
    async fn delete(self) -> Result<(), StoreError>
    where
        Self: Sized;
}

fn check_slot(slot: u64) -> Result<(), StoreError> {
    if slot > MAX_SLOT {
        return Err(StoreError::SlotOutOfRange { slot });
    }
    Ok(())
}

fn check_network(expected: &str, anchor: &AnchorRecord) -> Result<(), StoreError> {
    if anchor.network != expected {
        return Err(StoreError::NetworkMismatch {
            expected: expected.to_string(),
            got: anchor.network.clone(),
        });
    }
    Ok(())
}

/// The checks every backend applies to anchor roots before writing anything.
fn validate_roots(anchor: &AnchorRecord, roots: &AnchorRootsRecord) -> Result<(), StoreError> {
    if roots.block_root != anchor.block_root {
        return Err(StoreError::InvalidAnchorRoots {
            expected: format!("the roots of anchor 0x{}", hex::encode(anchor.block_root)),
            got: format!("roots of 0x{}", hex::encode(roots.block_root)),
        });
    }
    if roots.state_slot != anchor.slot {
        return Err(StoreError::InvalidAnchorRoots {
            expected: format!("roots of the anchor state at slot {}", anchor.slot),
            got: format!("roots of a state at slot {}", roots.state_slot),
        });
    }
    roots
        .check()
        .map_err(|(expected, got)| StoreError::InvalidAnchorRoots { expected, got })
}

/// The checks every backend applies to a batch before writing anything.
fn validate_batch(headers: &[HeaderRecord], cursor: &BackfillCursor) -> Result<(), StoreError> {
    check_slot(cursor.oldest_slot)?;
    check_slot(cursor.target_slot)?;
    let mut seen = std::collections::BTreeSet::new();
    for header in headers {
        check_slot(header.slot)?;
        let encoded = header.encoded_slot();
        if encoded != header.slot {
            return Err(StoreError::HeaderSlotMismatch {
                expected: header.slot,
                got: encoded,
            });
        }
        if !seen.insert(header.slot) {
            return Err(StoreError::DuplicateSlotInBatch { slot: header.slot });
        }
    }
    if let Some(oldest) = headers.iter().min_by_key(|h| h.slot) {
        if cursor.oldest_slot != oldest.slot {
            return Err(StoreError::CursorMismatch {
                field: "oldest_slot",
                expected: oldest.slot.to_string(),
                got: cursor.oldest_slot.to_string(),
            });
        }
        let roots = [
            ("oldest_root", oldest.root, cursor.oldest_root),
            (
                "oldest_parent_root",
                oldest.parent_root(),
                cursor.oldest_parent_root,
            ),
        ];
        for (field, expected, got) in roots {
            if expected != got {
                return Err(StoreError::CursorMismatch {
                    field,
                    expected: format!("0x{}", hex::encode(expected)),
                    got: format!("0x{}", hex::encode(got)),
                });
            }
        }
    }
    Ok(())
}
