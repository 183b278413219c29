//! The one error type of every store operation.

use std::fmt;

use super::Root;

/// Why a store operation failed. Every failed write left the database as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database was written by a newer version of this library (a higher schema). It was not
    /// touched. Do not retry: upgrade the library, or delete the database to start over.
    SchemaTooNew {
        /// The schema version found in the database.
        found: u32,
        /// The newest schema this library reads.
        supported: u32,
    },
    /// The database belongs to another network name than the one asked for. Not retryable with
    /// the same arguments.
    NetworkMismatch {
        /// The network the store was opened for.
        expected: String,
        /// The network recorded in the database or in the record.
        got: String,
    },
    /// No anchor with this block root is stored. Store it first.
    AnchorNotFound {
        /// The block root asked for.
        block_root: Root,
    },
    /// A header's record slot differs from the slot inside its SSZ bytes; the caller built a bad
    /// record. Not retryable with the same data.
    HeaderSlotMismatch {
        /// The record's slot.
        expected: u64,
        /// The slot encoded in the header bytes.
        got: u64,
    },
    /// The same slot appears twice in one batch. Not retryable with the same data.
    DuplicateSlotInBatch {
        /// The repeated slot.
        slot: u64,
    },
    /// A header is already stored at this slot: backfill never overwrites a verified header.
    /// Reset the backfill or resume from the stored cursor.
    HeaderAlreadyStored {
        /// The slot.
        slot: u64,
    },
    /// A header to store at `slot` differs from the one already stored there. Verified headers
    /// on one finalized chain never differ, so the new chain is not the stored one: nothing was
    /// written. Use other providers (or reset the database if the stored chain is the wrong one).
    HeaderConflict {
        /// The slot.
        slot: u64,
        /// The stored header's block root.
        stored: Root,
        /// The new header's block root.
        got: Root,
    },
    /// Headers that do not form one `parent_root` chain (each header's parent must be the
    /// previous header's root), or a chain whose top is not the head written with it. Nothing
    /// was written. Not retryable with the same data.
    ChainMismatch {
        /// What was checked.
        field: &'static str,
        /// At which slot.
        slot: u64,
        /// The required value (hex for roots).
        expected: String,
        /// The value given.
        got: String,
    },
    /// The cursor does not describe the oldest header of its batch. Not retryable with the same
    /// data.
    CursorMismatch {
        /// Which cursor field disagrees.
        field: &'static str,
        /// The value implied by the batch's oldest header (hex for roots).
        expected: String,
        /// The cursor's value.
        got: String,
    },
    /// Anchor roots that cannot belong to their anchor (another block root, or a `block_roots`
    /// vector that is not `SLOTS_PER_HISTORICAL_ROOT` long). Nothing was written. Not retryable
    /// with the same data.
    InvalidAnchorRoots {
        /// What the record must be.
        expected: String,
        /// What it was.
        got: String,
    },
    /// A kept-state chunk that cannot be stored: its index does not fit in its key, or it is
    /// empty or larger than a chunk. Nothing was written.
    InvalidStateChunk {
        /// What the chunk must be.
        expected: String,
        /// What it was.
        got: String,
    },
    /// A slot too large to be an IndexedDB number key (above 2^53 - 1); no real chain reaches it.
    SlotOutOfRange {
        /// The slot.
        slot: u64,
    },
    /// A stored record could not be decoded: the database was altered outside this library.
    /// Delete the database and sync again.
    CorruptRecord {
        /// The object store.
        store: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The backfill cursor this write replaces is not the stored one: another writer (another
    /// tab, or a stale run) moved it since this one read it. Nothing was written; read the
    /// cursor again and continue from it.
    CursorConflict {
        /// What the write required the stored cursor to be (or where its batch must hang).
        expected: String,
        /// The stored cursor.
        got: String,
    },
    /// The browser's storage quota for this origin is exhausted. The write was rolled back
    /// (nothing of it remains); free space (or grant persistent storage) and retry.
    QuotaExceeded {
        /// The operation that failed.
        operation: &'static str,
        /// Bytes the write needed, as far as known (the encoded records' size).
        needed: Option<u64>,
        /// `navigator.storage.estimate().usage` after the failure, in bytes, if known.
        usage: Option<u64>,
        /// `navigator.storage.estimate().quota`, in bytes, if known.
        quota: Option<u64>,
    },
    /// The storage backend failed (storage disabled, browser shutting down). The operation had
    /// no effect; retrying later may succeed.
    Backend {
        /// The operation that failed.
        operation: &'static str,
        /// The backend's message.
        message: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SchemaTooNew { found, supported } => write!(
                f,
                "database schema: expected version {supported} or older, got {found} (written by a newer version; left untouched)"
            ),
            Self::NetworkMismatch { expected, got } => {
                write!(f, "network: expected {expected:?}, got {got:?}")
            }
            Self::AnchorNotFound { block_root } => write!(
                f,
                "anchor: expected a stored anchor with block root 0x{}, got none",
                hex::encode(block_root)
            ),
            Self::HeaderSlotMismatch { expected, got } => write!(
                f,
                "header record: expected SSZ bytes for slot {expected}, got bytes for slot {got}"
            ),
            Self::DuplicateSlotInBatch { slot } => write!(
                f,
                "backfill batch: expected each slot once, got slot {slot} twice"
            ),
            Self::HeaderAlreadyStored { slot } => write!(
                f,
                "backfill batch: expected slot {slot} to be empty in the store, got a stored header"
            ),
            Self::HeaderConflict { slot, stored, got } => write!(
                f,
                "header at slot {slot}: expected the stored block 0x{}, got another block 0x{}",
                hex::encode(stored),
                hex::encode(got)
            ),
            Self::ChainMismatch {
                field,
                slot,
                expected,
                got,
            } => write!(f, "header chain {field} at slot {slot}: expected {expected}, got {got}"),
            Self::CursorMismatch {
                field,
                expected,
                got,
            } => write!(
                f,
                "backfill cursor {field}: expected {expected} (the batch's oldest header), got {got}"
            ),
            Self::InvalidAnchorRoots { expected, got } => {
                write!(f, "anchor roots: expected {expected}, got {got}")
            }
            Self::InvalidStateChunk { expected, got } => {
                write!(f, "kept state chunk: expected {expected}, got {got}")
            }
            Self::SlotOutOfRange { slot } => write!(
                f,
                "slot: expected at most 2^53 - 1, got {slot}"
            ),
            Self::CorruptRecord { store, reason } => {
                write!(f, "stored record in {store:?} is unreadable: {reason}")
            }
            Self::CursorConflict { expected, got } => write!(
                f,
                "backfill cursor: expected the stored cursor to be {expected}, got {got} (moved by another writer)"
            ),
            Self::QuotaExceeded {
                operation,
                needed,
                usage,
                quota,
            } => {
                let n = |v: &Option<u64>| v.map_or("unknown".to_string(), |v| format!("{v} bytes"));
                write!(
                    f,
                    "storage quota exceeded during {operation}: expected room for {} more, got usage {} of quota {} (rolled back)",
                    n(needed),
                    n(usage),
                    n(quota)
                )
            }
            Self::Backend { operation, message } => {
                write!(f, "storage failed during {operation}: {message}")
            }
        }
    }
}

impl StoreError {
    /// The stable code of the failure, as every layer reports it (JS `Error.code`, the CLI's
    /// first word): a corrupt record, a full quota, a moved cursor and a newer schema each ask
    /// for something else than a plain backend failure (`STORE`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::SchemaTooNew { .. } => "SCHEMA_TOO_NEW",
            Self::CorruptRecord { .. } => "CORRUPT_RECORD",
            Self::QuotaExceeded { .. } => "QUOTA_EXCEEDED",
            Self::CursorConflict { .. } => "CURSOR_CONFLICT",
            _ => "STORE",
        }
    }

    /// `(expected, actual)` where the failure compares two values.
    pub fn expected_actual(&self) -> Option<(String, String)> {
        match self {
            Self::SchemaTooNew { found, supported } => {
                Some((format!("at most {supported}"), found.to_string()))
            }
            Self::CursorConflict { expected, got } => Some((expected.clone(), got.clone())),
            Self::QuotaExceeded {
                needed,
                usage,
                quota,
                ..
            } => Some((
                format!(
                    "room for {} bytes",
                    needed.map_or("more".to_string(), |n| n.to_string())
                ),
                format!(
                    "usage {} of quota {}",
                    usage.map_or("unknown".to_string(), |n| n.to_string()),
                    quota.map_or("unknown".to_string(), |n| n.to_string())
                ),
            )),
            _ => None,
        }
    }
}

impl std::error::Error for StoreError {}
