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
pub mod pack;
pub mod reads;
mod records;
pub mod verify;

#[cfg(target_arch = "wasm32")]
mod idb;

use crate::types::hex0x;
pub use error::StoreError;
#[cfg(target_arch = "wasm32")]
pub use idb::{storage_estimate, storage_manager, IdbStore};
pub use memory::MemoryStore;
pub use records::state_chunk_key;
pub use records::{
    AnchorPayload, AnchorRecord, AnchorRootsRecord, BackfillCursor, ExecutionBlock, ExecutionJs,
    HeadRecord, HeadSource, HeaderRecord, KeptStateRecord, MetaRecord, PayloadStatus, Root,
    StoreDump, SyncCommitteeRecord, Trust, HEADER_SSZ_LEN, STATE_CHUNK_BYTES,
    STATE_CHUNK_INDEX_BITS, STATE_CHUNK_LAST,
};

/// The schema this library writes. Version 1: object stores `anchors` (key: block root bytes),
/// `headers` (key: slot number), `meta` (string keys) and `states` (key: state root bytes).
/// Version 2 adds `anchor_roots` (key: the anchor's block root bytes; see [`AnchorRootsRecord`]);
/// a version-1 database is migrated by creating that store empty (its anchors simply have no
/// recorded roots, and backfill walks their chain by hash alone).
/// Version 3 adds `head` (one record, key `"tip"`: the followed tip, see [`HeadRecord`]) and
/// stores headers above the anchor (the chain that links the tip to it); a version-2 database is
/// migrated by creating that store empty, every existing record kept (following then resumes
/// from the anchor's block). The bump matters because a version-2 library would reset a backfill
/// without clearing the head, leaving a head whose linking headers are gone; the browser refuses
/// to open a version-3 database at version 2.
/// Version 4 keeps the headers in packs of [`pack::PACK_SLOTS`] slots (object store
/// `header_packs`, key: `slot / PACK_SLOTS`) instead of one record per header (`headers`), and
/// their count in `meta`: reading a million one-header records back costs IndexedDB seconds,
/// a thousand packs a fraction of one. A version-3 database is migrated inside the upgrade
/// transaction (every header moved to its pack, then `headers` deleted; a crash leaves it at
/// version 3, untouched).
/// Version 5 adds `state_chunks` (key: [`state_chunk_key`], value: up to [`STATE_CHUNK_BYTES`]
/// of a kept state's SSZ) and the `meta` record `kept_state` ([`KeptStateRecord`]); a version-4
/// database is migrated by creating that store empty (no state was kept in chunks before).
pub const SCHEMA_VERSION: u32 = 5;

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

    /// Stores an anchor together with the roots its verified state holds about older blocks, and
    /// makes it the active anchor, in one transaction. The same transaction settles the kept state
    /// (option `keepState`): `kept` becomes it and every chunk of another id goes, or with `None`
    /// no state is kept. So the kept state always belongs to a stored anchor, and a crash leaves
    /// either the old anchor with its state or the new one with its own. Refused with
    /// [`StoreError::InvalidAnchorRoots`] when `roots` is not the anchor's or is malformed.
    async fn put_anchor_with_roots(
        &self,
        anchor: &AnchorRecord,
        roots: &AnchorRootsRecord,
        kept: Option<&KeptStateRecord>,
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
    ///
    /// Compare-and-set: the stored cursor is read inside the same transaction, and when there is
    /// one the batch must hang from it (its highest header below the cursor's slot, with the
    /// cursor's `oldest_parent_root` as its root; an empty batch must keep the cursor's oldest
    /// header), else [`StoreError::CursorConflict`]: a stale or second writer can move the
    /// cursor neither backwards nor sideways.
    async fn commit_backfill_batch(
        &self,
        headers: &[HeaderRecord],
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError>;

    /// Drops the lowest part of the backfill, from the stored cursor up to (not including) the
    /// header `cursor` names, and moves the cursor there, in one transaction (used to repair a
    /// damaged range, which backfill then fetches again). Refused with
    /// [`StoreError::CursorConflict`] unless the stored cursor is `expected`, and with
    /// [`StoreError::ChainMismatch`] unless `cursor` names a stored header above it.
    async fn truncate_backfill(
        &self,
        expected: &BackfillCursor,
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError>;

    /// Discards the backfill: every header, the cursor and the followed head (which would
    /// otherwise hang from deleted headers), in one transaction (used when the tail has fallen
    /// outside the weak-subjectivity period). Anchors are kept.
    async fn reset_backfill(&self) -> Result<(), StoreError>;

    /// The followed head, if one is stored.
    async fn head(&self) -> Result<Option<HeadRecord>, StoreError>;

    /// Moves the followed head: stores `headers` (every block from just above the previous tip
    /// up to the new tip, as verified by the hash-chain walk) and `head`, in one transaction, so
    /// a crash leaves either the old tip or the new one with its whole chain. Refused before any
    /// write ([`check_head_chain`]) unless the headers form one `parent_root` chain whose top is
    /// `head` and whose bottom hangs from the stored head or from `head.anchor_root`'s block
    /// (with no headers, `head` must be that block), and `head.anchor_root` is a stored anchor
    /// ([`StoreError::AnchorNotFound`]). A header already stored with the same root is kept; one
    /// with another root is [`StoreError::HeaderConflict`]. Returns how many headers were new.
    async fn commit_head(
        &self,
        head: &HeadRecord,
        headers: &[HeaderRecord],
    ) -> Result<u64, StoreError>;

    /// Stores the anchor of a light rebuild in one transaction with what makes the header history
    /// gapless: the anchor (made active), `headers` (the chain the rebuild verified from the new
    /// anchor's block down towards the old anchor), what becomes of the stored backfill
    /// ([`RebuiltBackfill`]: kept, started, or reset and started again, the reset inside the same
    /// transaction, so a crash never leaves the backfill gone and the old anchor active) and
    /// `head` (the new anchor's block, `head.anchor_root == anchor.block_root`). Same header
    /// rules as [`Store::commit_head`]. Returns how many headers were new.
    async fn commit_rebuilt_anchor(
        &self,
        anchor: &AnchorRecord,
        headers: &[HeaderRecord],
        backfill: RebuiltBackfill<'_>,
        head: &HeadRecord,
    ) -> Result<u64, StoreError>;

    /// Writes chunk `index` of the state with id `id` (see [`KeptStateRecord`]), replacing it.
    /// Nothing names the chunk until [`Store::put_anchor_with_roots`] does. Refused with
    /// [`StoreError::InvalidStateChunk`] when `index` or the chunk's size is out of range.
    async fn put_state_chunk(&self, id: u32, index: u32, bytes: &[u8]) -> Result<(), StoreError>;

    /// Deletes every chunk of the state with id `id` (a pending state that failed, or the rest
    /// of an interrupted one), in one transaction.
    async fn discard_state_chunks(&self, id: u32) -> Result<(), StoreError>;

    /// The kept state's record, if a state is kept.
    async fn kept_state(&self) -> Result<Option<KeptStateRecord>, StoreError>;

    /// Chunk `index` of the state with id `id`, if stored.
    async fn state_chunk(&self, id: u32, index: u32) -> Result<Option<Vec<u8>>, StoreError>;

    /// A deterministic snapshot of everything stored, for tests.
    async fn dump(&self) -> Result<StoreDump, StoreError>;

    /// Deletes the whole database. The store cannot be used afterwards.
    async fn delete(self) -> Result<(), StoreError>
    where
        Self: Sized;
}

/// What a light rebuild's commit does with the stored backfill (see
/// [`Store::commit_rebuilt_anchor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuiltBackfill<'a> {
    /// The stored backfill hangs from the old anchor's block, below the new chain: kept as it is.
    Keep,
    /// No backfill is stored: the new chain starts one, described by this cursor (the lowest of
    /// the chain's headers).
    Start(&'a BackfillCursor),
    /// The stored backfill cannot be joined to the new chain: its headers, cursor and head are
    /// dropped first, in the same transaction, and the new chain starts one with this cursor.
    Replace(&'a BackfillCursor),
}

impl<'a> RebuiltBackfill<'a> {
    /// The cursor written, if any.
    pub fn cursor(self) -> Option<&'a BackfillCursor> {
        match self {
            RebuiltBackfill::Keep => None,
            RebuiltBackfill::Start(c) | RebuiltBackfill::Replace(c) => Some(c),
        }
    }

    /// Whether the stored backfill is dropped first.
    pub fn resets(self) -> bool {
        matches!(self, RebuiltBackfill::Replace(_))
    }
}

/// A cursor for messages: `slot N root 0x… (parent 0x…)`.
fn describe_cursor(c: &BackfillCursor) -> String {
    format!(
        "slot {} root {} (parent {})",
        c.oldest_slot,
        hex0x(c.oldest_root),
        hex0x(c.oldest_parent_root)
    )
}

/// The compare-and-set of a backfill batch against the cursor stored when it is written: the
/// batch must continue the stored backfill (see [`Store::commit_backfill_batch`]).
fn check_continues(
    stored: Option<&BackfillCursor>,
    headers: &[HeaderRecord],
    cursor: &BackfillCursor,
) -> Result<(), StoreError> {
    let Some(stored) = stored else {
        return Ok(());
    };
    match headers.iter().max_by_key(|h| h.slot) {
        None => {
            let same = (
                cursor.oldest_slot,
                cursor.oldest_root,
                cursor.oldest_parent_root,
            ) == (
                stored.oldest_slot,
                stored.oldest_root,
                stored.oldest_parent_root,
            );
            if same {
                return Ok(());
            }
            Err(StoreError::CursorConflict {
                expected: describe_cursor(cursor),
                got: describe_cursor(stored),
            })
        }
        Some(top) if top.slot < stored.oldest_slot && top.root == stored.oldest_parent_root => {
            Ok(())
        }
        Some(top) => Err(StoreError::CursorConflict {
            expected: format!(
                "a cursor the batch hangs from (its top, slot {} root {}, below it as its parent)",
                top.slot,
                hex0x(top.root)
            ),
            got: describe_cursor(stored),
        }),
    }
}

/// The compare-and-set of [`Store::truncate_backfill`]: the stored cursor is `expected`, and
/// `cursor` is at or above it and names the stored header `at` its slot.
fn check_truncate(
    stored: Option<&BackfillCursor>,
    expected: &BackfillCursor,
    cursor: &BackfillCursor,
    at: Option<&HeaderRecord>,
) -> Result<(), StoreError> {
    if stored != Some(expected) {
        return Err(StoreError::CursorConflict {
            expected: describe_cursor(expected),
            got: stored.map_or("none".into(), describe_cursor),
        });
    }
    let named = at.is_some_and(|h| {
        h.root == cursor.oldest_root && h.parent_root() == cursor.oldest_parent_root
    });
    if cursor.oldest_slot < expected.oldest_slot || !named {
        return Err(StoreError::ChainMismatch {
            field: "truncated cursor",
            slot: cursor.oldest_slot,
            expected: format!(
                "a stored header at or above slot {} with root {}",
                expected.oldest_slot,
                hex0x(cursor.oldest_root)
            ),
            got: at.map_or("no header".into(), |h| hex0x(h.root)),
        });
    }
    Ok(())
}

/// The checks every backend applies to a state chunk before writing it: its index fits in the
/// key ([`STATE_CHUNK_INDEX_BITS`]), and it holds 1 to [`STATE_CHUNK_BYTES`] bytes.
fn check_state_chunk(index: u32, bytes: &[u8]) -> Result<(), StoreError> {
    if index > STATE_CHUNK_LAST {
        return Err(StoreError::InvalidStateChunk {
            expected: format!("a chunk index at most {STATE_CHUNK_LAST}"),
            got: index.to_string(),
        });
    }
    if bytes.is_empty() || bytes.len() > STATE_CHUNK_BYTES {
        return Err(StoreError::InvalidStateChunk {
            expected: format!("1 to {STATE_CHUNK_BYTES} bytes"),
            got: format!("{} bytes", bytes.len()),
        });
    }
    Ok(())
}

fn check_slot(slot: u64) -> Result<(), StoreError> {
    if slot > MAX_SLOT {
        return Err(StoreError::SlotOutOfRange { slot });
    }
    Ok(())
}

/// A header's slot is in range and is the slot its encoded header says.
fn check_header_slot(header: &HeaderRecord) -> Result<(), StoreError> {
    check_slot(header.slot)?;
    let encoded = header.encoded_slot();
    if encoded != header.slot {
        return Err(StoreError::HeaderSlotMismatch {
            expected: header.slot,
            got: encoded,
        });
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
        check_header_slot(header)?;
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
                    expected: hex0x(expected),
                    got: hex0x(got),
                });
            }
        }
    }
    Ok(())
}

fn hex_root(root: &Root) -> String {
    hex0x(root)
}

/// The checks every backend applies to a head and its linking headers before writing anything:
/// slots in range and matching their bytes, each slot once, one `parent_root` chain in slot
/// order, topped by `head` (slot, block root, state root). Returns the headers in ascending slot
/// order. Where the chain's bottom hangs is checked by the caller (it needs the stored head).
pub fn check_head_chain<'h>(
    head: &HeadRecord,
    headers: &'h [HeaderRecord],
) -> Result<Vec<&'h HeaderRecord>, StoreError> {
    check_slot(head.slot)?;
    let mut sorted: Vec<&HeaderRecord> = headers.iter().collect();
    sorted.sort_by_key(|h| h.slot);
    for h in &sorted {
        check_header_slot(h)?;
    }
    for pair in sorted.windows(2) {
        let (lo, hi) = (pair[0], pair[1]);
        if lo.slot == hi.slot {
            return Err(StoreError::DuplicateSlotInBatch { slot: hi.slot });
        }
        if hi.parent_root() != lo.root {
            return Err(StoreError::ChainMismatch {
                field: "parent_root",
                slot: hi.slot,
                expected: hex_root(&lo.root),
                got: hex_root(&hi.parent_root()),
            });
        }
    }
    if let Some(top) = sorted.last() {
        let checks = [
            ("head slot", top.slot.to_string(), head.slot.to_string()),
            (
                "head block_root",
                hex_root(&top.root),
                hex_root(&head.block_root),
            ),
            (
                "head state_root",
                hex_root(&top.state_root()),
                hex_root(&head.state_root),
            ),
        ];
        for (field, expected, got) in checks {
            if expected != got {
                return Err(StoreError::ChainMismatch {
                    field,
                    slot: top.slot,
                    expected,
                    got,
                });
            }
        }
    }
    Ok(sorted)
}

/// Where a new head's chain must hang: the lowest header's parent (or, without headers, the head
/// itself) must be the stored head's block (of the same anchor) or the anchor's block.
fn check_head_base(
    head: &HeadRecord,
    sorted: &[&HeaderRecord],
    stored: Option<&HeadRecord>,
) -> Result<(), StoreError> {
    let base = match sorted.first() {
        Some(lowest) => lowest.parent_root(),
        None => head.block_root,
    };
    let from_stored = stored
        .filter(|s| s.anchor_root == head.anchor_root)
        .map(|s| s.block_root);
    if base == head.anchor_root || Some(base) == from_stored {
        return Ok(());
    }
    Err(StoreError::ChainMismatch {
        field: "base of the head's chain",
        slot: sorted.first().map(|h| h.slot).unwrap_or(head.slot),
        expected: match from_stored {
            Some(r) => format!(
                "the stored head 0x{} or the anchor block {}",
                hex::encode(r),
                hex_root(&head.anchor_root)
            ),
            None => format!("the anchor block {}", hex_root(&head.anchor_root)),
        },
        got: hex_root(&base),
    })
}

/// The rebuild's extra checks: the head is the new anchor's block and the cursor, when given,
/// describes the lowest header.
fn check_rebuilt(
    anchor: &AnchorRecord,
    headers: &[HeaderRecord],
    backfill: RebuiltBackfill<'_>,
    head: &HeadRecord,
) -> Result<(), StoreError> {
    let cursor = backfill.cursor();
    for (field, expected, got) in [
        ("head anchor_root", anchor.block_root, head.anchor_root),
        ("head block_root", anchor.block_root, head.block_root),
    ] {
        if expected != got {
            return Err(StoreError::ChainMismatch {
                field,
                slot: head.slot,
                expected: hex_root(&expected),
                got: hex_root(&got),
            });
        }
    }
    if let Some(cursor) = cursor {
        validate_batch(headers, cursor)?;
    }
    Ok(())
}

/// Which of `sorted` are new, given the stored header (if any) at each one's slot: identical ones
/// are skipped, a different one is [`StoreError::HeaderConflict`].
fn new_headers<'h>(
    sorted: &[&'h HeaderRecord],
    stored_at: impl Fn(u64) -> Option<Root>,
) -> Result<Vec<&'h HeaderRecord>, StoreError> {
    let mut out = Vec::with_capacity(sorted.len());
    for h in sorted {
        match stored_at(h.slot) {
            None => out.push(*h),
            Some(root) if root == h.root => {}
            Some(stored) => {
                return Err(StoreError::HeaderConflict {
                    slot: h.slot,
                    stored,
                    got: h.root,
                })
            }
        }
    }
    Ok(out)
}
