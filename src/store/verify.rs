//! Re-checking what is stored: header roots re-hashed, the parent-link chain re-walked, and the
//! active anchor's record re-derived, so a record damaged outside this library (a disk error,
//! an extension, a hand edit in the devtools) is never served as verified.
//!
//! Why here and not at each read: a record is verified once before it is written, and a chain
//! of a million headers cannot be re-hashed on every read. Instead [`verify_store`] re-walks the
//! whole chain on demand (the JS `verifyStore()`), reading it in large slot ranges and hashing
//! every header of a range together with the project's SHA-256 node kernels, and
//! [`check_anchor_record`] checks the record a session starts from when the store is opened.
//!
//! A range is held as it is stored ([`StoredRange`]): the entries of the header packs (see
//! [`super::pack`]), 112 SSZ bytes and the stored 32-byte root each, in one buffer. The walk and
//! the hashers read the headers in place, so a million headers are not decoded into records nor
//! repacked before hashing: what costs time is reading them and hashing them, nothing else.
//!
//! A `BeaconBlockHeader` is an SSZ container of five fields (`slot`, `proposer_index`,
//! `parent_root`, `state_root`, `body_root`): five 32-byte leaves padded with zero chunks to
//! eight, three tree levels above them. The fourth pair of the first level is two zero chunks,
//! whose hash is the constant `zero_hash(1)`, so each header costs six compressions, and a batch
//! of headers feeds the kernels level by level (3N, then 2N, then N nodes per call), which keeps
//! every SIMD lane full (see [`ROOTS_BLOCK`]).

use super::pack::{check_pack_len, decode_pack, headers_in, PACK_ENTRY_LEN};
use super::{
    AnchorRecord, AnchorRootsRecord, BackfillCursor, HeadRecord, HeaderRecord, Root, Store,
    StoreError, HEADER_SSZ_LEN,
};
use crate::merkle::sha256::hash_nodes;
use crate::merkle::tree::zero_hash;
use crate::types::{hex0x, ForkName};
use futures::future::LocalBoxFuture;

/// Headers read (and hashed) per range by [`verify_store`]: large enough that a million headers
/// take a few hundred reads, small enough (about 20 MiB of records) for a page.
pub const VERIFY_BATCH_SLOTS: u64 = 65_536;

/// `hash_tree_root` of each SSZ `BeaconBlockHeader` in `headers`, in order.
pub fn header_roots(headers: &[&[u8; HEADER_SSZ_LEN]]) -> Vec<Root> {
    let mut roots = vec![0u8; headers.len() * 32];
    roots_into(headers.iter().map(|h| &h[..]), &mut roots);
    roots
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32-byte chunks"))
        .collect()
}

/// `hash_tree_root` of the SSZ `BeaconBlockHeader` of each of the `entries.len() /
/// PACK_ENTRY_LEN` pack entries (header, then its stored root, which is not read) concatenated in
/// `entries`, as 32 bytes each, in order: the task a hash worker runs (see [`HeaderHasher`]).
/// `None` when `entries` is not whole entries.
pub fn entry_roots(entries: &[u8]) -> Option<Vec<u8>> {
    if !entries.len().is_multiple_of(PACK_ENTRY_LEN) {
        return None;
    }
    let mut roots = vec![0u8; entries.len() / PACK_ENTRY_LEN * 32];
    roots_into(
        entries
            .chunks_exact(PACK_ENTRY_LEN)
            .map(|e| &e[..HEADER_SSZ_LEN]),
        &mut roots,
    );
    Some(roots)
}

/// Headers hashed together by [`roots_into`]: enough to keep the kernels' lanes full, few
/// enough that the three levels' buffers (about 130 KiB) stay in cache instead of streaming
/// hundreds of megabytes through memory for a million headers.
const ROOTS_BLOCK: usize = 256;

/// Writes the root of each header (`HEADER_SSZ_LEN` bytes each) into the next 32 bytes of
/// `roots`, which holds exactly one root per header.
fn roots_into<'a>(mut headers: impl ExactSizeIterator<Item = &'a [u8]>, roots: &mut [u8]) {
    debug_assert_eq!(roots.len(), headers.len() * 32);
    // Level 1: (slot, proposer_index), (parent_root, state_root), (body_root, 0); the fourth
    // pair (0, 0) is the constant zero_hash(1). Level 2: (n0, n1), (n2, zero_hash(1)). Level 3:
    // the root. The zero padding of level 1 and the zero_hash(1) of level 2 are written once.
    let block = ROOTS_BLOCK.min(headers.len());
    let mut input = vec![0u8; block * 3 * 64];
    let mut level1 = vec![0u8; block * 3 * 32];
    let mut input2 = vec![0u8; block * 2 * 64];
    let mut level2 = vec![0u8; block * 2 * 32];
    let z1 = zero_hash(1);
    for chunk in input2.chunks_exact_mut(2 * 64) {
        chunk[96..128].copy_from_slice(z1);
    }
    for out in roots.chunks_mut(block.max(1) * 32) {
        let n = out.len() / 32;
        for chunk in input.chunks_exact_mut(3 * 64).take(n) {
            let h = headers.next().expect("one header per root");
            chunk[0..8].copy_from_slice(&h[0..8]);
            chunk[32..40].copy_from_slice(&h[8..16]);
            chunk[64..160].copy_from_slice(&h[16..112]);
        }
        hash_nodes(&input[..n * 3 * 64], &mut level1[..n * 3 * 32]);
        for (l1, chunk) in level1[..n * 3 * 32]
            .chunks_exact(3 * 32)
            .zip(input2.chunks_exact_mut(2 * 64))
        {
            chunk[0..96].copy_from_slice(l1);
        }
        hash_nodes(&input2[..n * 2 * 64], &mut level2[..n * 2 * 32]);
        hash_nodes(&level2[..n * 2 * 32], out);
    }
}

/// A range of stored headers as the walk reads it: pack entries (the SSZ header, then its
/// stored root: [`PACK_ENTRY_LEN`] bytes each) in ascending slot order, in one buffer, as
/// [`Store::headers_range`] orders them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredRange {
    entries: Vec<u8>,
    /// Each record's slot, where one differs from the slot its bytes encode (a store that keeps
    /// the slot apart from the bytes); `None` when every slot is the encoded one.
    slots: Option<Vec<u64>>,
}

impl StoredRange {
    /// A range of pack entries (whole entries, ascending by the slot they encode).
    ///
    /// # Panics
    /// If `entries` is not whole entries (a caller bug: stores check their records first).
    pub fn from_entries(entries: Vec<u8>) -> StoredRange {
        assert_eq!(entries.len() % PACK_ENTRY_LEN, 0, "whole pack entries");
        StoredRange {
            entries,
            slots: None,
        }
    }

    /// The range of `records` (ascending by slot, as [`Store::headers_range`] returns them).
    pub fn from_records(records: &[HeaderRecord]) -> StoredRange {
        let mut entries = Vec::with_capacity(records.len() * PACK_ENTRY_LEN);
        for h in records {
            entries.extend_from_slice(&h.header);
            entries.extend_from_slice(&h.root);
        }
        let slots = records
            .iter()
            .any(|h| h.slot != h.encoded_slot())
            .then(|| records.iter().map(|h| h.slot).collect());
        StoredRange { entries, slots }
    }

    /// The headers with `start_slot <= slot < end_slot` of the packs whose bytes are
    /// concatenated in `entries`, pack `index` holding the next `len` bytes for each `(index,
    /// len)` of `packs` (ascending by index): what [`headers_in`] returns for them decoded. When
    /// the slots the entries encode ascend strictly (an undamaged store), those entries are
    /// kept in place, undecoded; otherwise the packs are decoded and sorted. Refuses a pack that
    /// is not whole entries, as [`decode_pack`] does.
    pub fn from_packs(
        mut entries: Vec<u8>,
        packs: &[(u64, usize)],
        start_slot: u64,
        end_slot: u64,
    ) -> Result<StoredRange, String> {
        for &(index, len) in packs {
            check_pack_len(index, len)?;
        }
        if let Some((start, end)) = ascending_span(&entries, start_slot, end_slot) {
            entries.truncate(end * PACK_ENTRY_LEN);
            entries.drain(..start * PACK_ENTRY_LEN);
            return Ok(StoredRange::from_entries(entries));
        }
        let mut decoded = Vec::with_capacity(packs.len());
        let mut at = 0;
        for &(index, len) in packs {
            decoded.push((index, decode_pack(index, &entries[at..at + len])?));
            at += len;
        }
        let headers = headers_in(decoded, start_slot, end_slot);
        Ok(StoredRange::from_records(&headers))
    }

    /// Headers in the range.
    pub fn len(&self) -> usize {
        self.entries.len() / PACK_ENTRY_LEN
    }

    /// Whether the range holds no header.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The pack entries, ascending: what a [`HeaderHasher`] hashes.
    pub fn entries(&self) -> &[u8] {
        &self.entries
    }

    /// Entry `i` as the walk checks it: `(record slot, SSZ header, stored root)`.
    fn get(&self, i: usize) -> (u64, &[u8], &[u8]) {
        let e = &self.entries[i * PACK_ENTRY_LEN..(i + 1) * PACK_ENTRY_LEN];
        let (header, root) = e.split_at(HEADER_SSZ_LEN);
        let slot = match &self.slots {
            Some(slots) => slots[i],
            None => u64_le(&header[0..8]),
        };
        (slot, header, root)
    }
}

/// The entries `start..end` of `entries` (whole pack entries) whose encoded slots lie in
/// `start_slot..end_slot`, when the encoded slots ascend strictly, so that those entries, in
/// place, are what [`headers_in`] returns for them; `None` otherwise (a damaged slot).
fn ascending_span(entries: &[u8], start_slot: u64, end_slot: u64) -> Option<(usize, usize)> {
    let mut previous = None;
    let (mut start, mut end) = (0, 0);
    for (i, e) in entries.chunks_exact(PACK_ENTRY_LEN).enumerate() {
        let slot = u64_le(&e[..8]);
        if previous.is_some_and(|p| slot <= p) {
            return None;
        }
        previous = Some(slot);
        if slot < start_slot {
            start = i + 1;
        }
        if slot < end_slot {
            end = i + 1;
        }
    }
    Some((start, end.max(start)))
}

fn u64_le(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

fn root_at(bytes: &[u8]) -> Root {
    bytes.try_into().expect("32 bytes")
}

/// Where [`verify_store_with`] has a range's headers hashed: in this thread ([`InThread`],
/// natively and wherever no workers run) or spread over the browser's hash workers
/// (`src/js/hash.rs`). Whatever hashes them, the walk checks every root the same way.
pub trait HeaderHasher {
    /// The roots of the headers of the `entries.len() / PACK_ENTRY_LEN` pack entries
    /// concatenated in `entries` (whole entries; see [`entry_roots`]), 32 bytes each, in order.
    fn roots<'a>(&'a self, entries: &'a [u8]) -> LocalBoxFuture<'a, Vec<u8>>;
}

/// Hashes on the calling thread, with [`entry_roots`].
#[derive(Debug, Clone, Copy, Default)]
pub struct InThread;

impl HeaderHasher for InThread {
    fn roots<'a>(&'a self, entries: &'a [u8]) -> LocalBoxFuture<'a, Vec<u8>> {
        // Lazily, at the first poll: the caller's read of the next range is under way by then.
        Box::pin(async move { entry_roots(entries).expect("whole entries") })
    }
}

/// `hash_tree_root` of one SSZ `BeaconBlockHeader`.
pub fn header_root(header: &[u8; HEADER_SSZ_LEN]) -> Root {
    header_roots(&[header])[0]
}

/// A linked chain of `n` headers at slots `1..=n` (each the previous one's child, proposer and
/// roots varying with the slot), for benchmarks of [`verify_store`]; ascending.
pub fn linked_headers(n: u64) -> Vec<HeaderRecord> {
    let mut out = Vec::with_capacity(n as usize);
    let mut parent = [0u8; 32];
    for slot in 1..=n {
        let mut header = [0u8; HEADER_SSZ_LEN];
        header[0..8].copy_from_slice(&slot.to_le_bytes());
        header[8..16].copy_from_slice(&(slot % 1_000_003).to_le_bytes());
        header[16..48].copy_from_slice(&parent);
        header[48..56].copy_from_slice(&slot.wrapping_mul(0x9e37_79b9).to_le_bytes());
        header[80..88].copy_from_slice(&slot.wrapping_mul(0x85eb_ca6b).to_le_bytes());
        let root = header_root(&header);
        out.push(HeaderRecord { slot, header, root });
        parent = root;
    }
    out
}

/// A [`crate::store::MemoryStore`] holding [`linked_headers`]`(n)` as a finished backfill below
/// an anchor whose block is the top header: what [`verify_store`] walks in the benchmarks.
pub fn bench_store(n: u64) -> crate::store::MemoryStore {
    let store = crate::store::MemoryStore::new("bench", [0xbe; 32]);
    futures::executor::block_on(fill_bench_chain(&store, n, 65_536)).expect("bench chain");
    store
}

/// Stores [`linked_headers`]`(n)` in `store` (of the network `"bench"`) as a finished backfill
/// below an anchor whose block is the top header, committed `batch` headers at a time from the
/// top down, as backfill does: the chain [`verify_store`] walks in the benchmarks, natively and
/// in the browser.
pub async fn fill_bench_chain<S: Store>(store: &S, n: u64, batch: usize) -> Result<(), StoreError> {
    let chain = linked_headers(n.max(1));
    let top = chain.last().expect("at least one header");
    let anchor = AnchorRecord {
        ws_period_epochs: 1,
        ..AnchorRecord::new(
            "bench",
            top.slot,
            top.slot / 32,
            top.root,
            top.state_root(),
            ForkName::Deneb,
            super::Trust::Checkpoint,
        )
    };
    store.put_anchor(&anchor, true).await?;
    commit_chain_below(store, &chain, batch).await
}

/// Commits `chain` (ascending slots, linked) as backfill does: `batch` headers at a time from the
/// top down, each batch with the cursor at its oldest header and target genesis.
pub async fn commit_chain_below<S: Store>(
    store: &S,
    chain: &[HeaderRecord],
    batch: usize,
) -> Result<(), StoreError> {
    for part in chain.rchunks(batch.max(1)) {
        let cursor = BackfillCursor::below(&part[0], 0);
        store.commit_backfill_batch(part, &cursor).await?;
    }
    Ok(())
}

/// What is wrong at the first broken link of the stored chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenKind {
    /// The record's bytes hash to another root than the chain needs there (the bytes changed,
    /// or a record above it is missing).
    Root,
    /// The bytes hash to what the chain needs, but the record's stored `root` differs.
    StoredRoot,
    /// The record's slot differs from the slot inside its bytes.
    Slot,
    /// The chain ends above the cursor: the record the cursor names is not stored.
    Missing,
    /// The cursor does not describe the lowest header of the chain.
    Cursor,
}

impl BrokenKind {
    /// A stable lower-case name (`root`, `stored-root`, `slot`, `missing`, `cursor`).
    pub fn as_str(self) -> &'static str {
        match self {
            BrokenKind::Root => "root",
            BrokenKind::StoredRoot => "stored-root",
            BrokenKind::Slot => "slot",
            BrokenKind::Missing => "missing",
            BrokenKind::Cursor => "cursor",
        }
    }
}

/// The first link of the stored chain that does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenLink {
    /// The slot of the record that failed (for [`BrokenKind::Missing`], the cursor's slot).
    pub slot: u64,
    /// The root the chain needs there (its child's `parent_root`, or the head or anchor block).
    pub expected: Root,
    /// What the record holds: its bytes' `hash_tree_root` (its stored `root` for
    /// [`BrokenKind::StoredRoot`]); `None` when no record is there.
    pub actual: Option<Root>,
    /// What kind of failure.
    pub kind: BrokenKind,
    /// The lowest header above the break that verified, if any: the backfill resumes below it.
    pub last_good: Option<BackfillCursor>,
    /// Whether the break lies below the anchor's block (in the backfill), as opposed to the
    /// chain from the head down to the anchor's block (or the anchor's block itself).
    pub below_anchor: bool,
}

/// The outcome of re-walking the stored chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Headers re-hashed and linked before the walk ended.
    pub checked: u64,
    /// The first broken link, if any.
    pub first_broken: Option<BrokenLink>,
}

/// The walk down the stored chain, fed with headers in descending slot order (see
/// [`verify_store`]): from the top (the followed head of the active anchor, else the anchor's
/// block) through the anchor's block down to the backfill cursor.
#[derive(Debug)]
pub struct ChainWalk {
    expected: Root,
    anchor_root: Root,
    cursor: Option<BackfillCursor>,
    target_slot: u64,
    passed_anchor: bool,
    last_good: Option<(u64, Root, Root)>,
    checked: u64,
    broken: Option<BrokenLink>,
    done: bool,
}

impl ChainWalk {
    /// A walk from `top` (the root the highest header must have) for the anchor `anchor_root`,
    /// down to `cursor` (or, without one, to the anchor's block, whose record backfill alone
    /// stores).
    pub fn new(top: Root, anchor_root: Root, cursor: Option<BackfillCursor>) -> ChainWalk {
        ChainWalk {
            expected: top,
            anchor_root,
            target_slot: cursor.map(|c| c.target_slot).unwrap_or(0),
            cursor,
            passed_anchor: false,
            last_good: None,
            checked: 0,
            broken: None,
            done: false,
        }
    }

    /// Whether the walk needs more headers.
    pub fn wants_more(&self) -> bool {
        !self.done
    }

    fn break_at(&mut self, slot: u64, actual: Option<Root>, kind: BrokenKind) {
        self.broken = Some(BrokenLink {
            slot,
            expected: self.expected,
            actual,
            kind,
            last_good: self.last_good.map(|(slot, root, parent)| BackfillCursor {
                oldest_slot: slot,
                oldest_root: root,
                oldest_parent_root: parent,
                target_slot: self.target_slot,
            }),
            below_anchor: self.passed_anchor,
        });
        self.done = true;
    }

    /// Checks the headers of `range` from its highest slot down (each range below the previous
    /// one), with `roots` the `hash_tree_root` of each entry's header, 32 bytes each, in the
    /// range's (ascending) order.
    pub fn feed_range(&mut self, range: &StoredRange, roots: &[u8]) {
        assert_eq!(range.len() * 32, roots.len(), "one root per header");
        for i in (0..range.len()).rev() {
            if self.done {
                return;
            }
            let (slot, header, stored) = range.get(i);
            self.check(slot, header, stored, root_at(&roots[i * 32..(i + 1) * 32]));
        }
    }

    /// One header of the walk: the record at `slot` with its SSZ bytes `header`, its stored
    /// root `stored` and its bytes' root `computed`.
    fn check(&mut self, slot: u64, header: &[u8], stored: &[u8], computed: Root) {
        if let Some(c) = self.cursor {
            if slot < c.oldest_slot {
                // Below the cursor nothing belongs to the chain: the walk ended above it.
                return self.finish_missing();
            }
        } else if self.passed_anchor
            || (self.expected == self.anchor_root && computed != self.anchor_root)
        {
            // No backfill: the chain ends at the anchor's block (stored or not).
            self.done = true;
            return;
        }
        if u64_le(&header[0..8]) != slot {
            return self.break_at(slot, Some(computed), BrokenKind::Slot);
        }
        if computed != self.expected {
            return self.break_at(slot, Some(computed), BrokenKind::Root);
        }
        if stored != computed {
            return self.break_at(slot, Some(root_at(stored)), BrokenKind::StoredRoot);
        }
        self.checked += 1;
        if computed == self.anchor_root {
            self.passed_anchor = true;
        }
        self.expected = root_at(&header[16..48]);
        self.last_good = Some((slot, computed, self.expected));
        if let Some(c) = self.cursor {
            if slot == c.oldest_slot {
                if c.oldest_root != computed || c.oldest_parent_root != self.expected {
                    self.last_good = None;
                    return self.break_at(slot, Some(computed), BrokenKind::Cursor);
                }
                self.done = true;
            }
        }
    }

    fn finish_missing(&mut self) {
        if let Some(c) = self.cursor {
            self.break_at(c.oldest_slot, None, BrokenKind::Missing);
        }
    }

    /// Ends the walk (no more headers) and reports.
    pub fn finish(mut self) -> ChainReport {
        if !self.done {
            match self.cursor {
                Some(_) => self.finish_missing(),
                // No backfill and no stored anchor block: the head chain must reach it.
                None if !self.passed_anchor && self.expected != self.anchor_root => {
                    let slot = self.last_good.map(|g| g.0).unwrap_or(0);
                    self.break_at(slot, None, BrokenKind::Missing);
                }
                None => {}
            }
        }
        ChainReport {
            checked: self.checked,
            first_broken: self.broken,
        }
    }
}

/// Re-walks the stored chain of the active anchor: every header from the followed head (or the
/// anchor's block) down to the backfill cursor is re-hashed and must be its child's parent.
/// Reads about `batch_slots` slots per `headers_range` (descending, the next range read while the
/// current one is hashed), so memory stays bounded. Without an active anchor nothing is
/// checked. Hashes on this thread; see [`verify_store_with`].
pub async fn verify_store<S: Store>(
    store: &S,
    batch_slots: u64,
) -> Result<ChainReport, StoreError> {
    verify_store_with(store, batch_slots, &InThread).await
}

/// [`verify_store`] with each range's headers hashed by `hasher` (the browser spreads them over
/// its hash workers), while the next range is read. The report does not depend on the hasher.
pub async fn verify_store_with<S: Store, H: HeaderHasher + ?Sized>(
    store: &S,
    batch_slots: u64,
    hasher: &H,
) -> Result<ChainReport, StoreError> {
    let read = |lo: u64, hi: u64| async move {
        let headers = store.headers_range(lo, hi).await?;
        Ok::<_, StoreError>(StoredRange::from_records(&headers))
    };
    verify_store_reading(store, batch_slots, hasher, read).await
}

/// [`verify_store_with`] reading each range with `read(lo, hi)`, which must give what
/// `store.headers_range(lo, hi)` holds (the IndexedDB store reads its packs' bytes as they are
/// stored; see `IdbStore::stored_range`). Range bounds below the top are multiples of
/// `min(batch_slots, PACK_SLOTS)`, so a read takes whole packs.
pub async fn verify_store_reading<S, H, R, F>(
    store: &S,
    batch_slots: u64,
    hasher: &H,
    read: R,
) -> Result<ChainReport, StoreError>
where
    S: Store,
    H: HeaderHasher + ?Sized,
    R: Fn(u64, u64) -> F,
    F: std::future::Future<Output = Result<StoredRange, StoreError>>,
{
    let meta = store.meta().await?;
    let Some(anchor_root) = meta.active_anchor else {
        return Ok(ChainReport {
            checked: 0,
            first_broken: None,
        });
    };
    let anchor = store
        .anchor(&anchor_root)
        .await?
        .ok_or_else(|| StoreError::CorruptRecord {
            store: "meta",
            reason: format!(
                "expected the active anchor {} to be stored, got none",
                hex0x(anchor_root)
            ),
        })?;
    let head = store
        .head()
        .await?
        .filter(|h| h.anchor_root == anchor.block_root);
    let (top, top_slot) = match head {
        Some(h) => (h.block_root, h.slot),
        // The anchor's block is at or below the anchor state's slot.
        None => (anchor.block_root, anchor.slot),
    };
    let cursor = meta.backfill_cursor;
    let bottom = cursor.map(|c| c.oldest_slot).unwrap_or(0);
    let mut walk = ChainWalk::new(top, anchor.block_root, cursor);
    let batch = batch_slots.max(1);
    let align = batch.min(super::pack::PACK_SLOTS);
    let below = |hi: u64| {
        let lo = hi.saturating_sub(batch);
        (lo - lo % align).max(bottom)
    };
    let mut hi = top_slot.saturating_add(1);
    if hi <= bottom {
        return Ok(walk.finish());
    }
    let mut lo = below(hi);
    let mut range = read(lo, hi).await?;
    loop {
        if lo <= bottom {
            walk.feed_range(&range, &hasher.roots(range.entries()).await);
            break;
        }
        // The next range is read while this one is hashed: the store's read (IndexedDB works
        // outside the page's thread) overlaps the hashing.
        hi = lo;
        lo = below(hi);
        let (next, roots) = futures::join!(read(lo, hi), hasher.roots(range.entries()));
        walk.feed_range(&range, &roots);
        if !walk.wants_more() {
            break;
        }
        range = next?;
    }
    Ok(walk.finish())
}

/// Drops what a broken link made untrustworthy, so backfill fetches it again: below the anchor's
/// block, the headers from the broken one down to the cursor, with the cursor moved to the lowest
/// header that verified; at or above it (the anchor's block, or the chain up to the head), the
/// whole backfill and head ([`Store::reset_backfill`]). Returns the cursor left (`None` after a
/// reset).
pub async fn repair_store<S: Store>(
    store: &S,
    broken: &BrokenLink,
) -> Result<Option<BackfillCursor>, StoreError> {
    let stored = store.backfill_cursor().await?;
    match (broken.below_anchor, broken.last_good, stored) {
        (true, Some(good), Some(stored)) => {
            store.truncate_backfill(&stored, &good).await?;
            Ok(Some(good))
        }
        _ => {
            store.reset_backfill().await?;
            Ok(None)
        }
    }
}

/// Checks the active anchor's record against what can be re-derived, when a store is opened:
/// it decodes (the store already refused it otherwise), it is the record of its key, of this
/// network, its epoch is `compute_epoch_at_slot(slot)`, its sync committees have
/// `SYNC_COMMITTEE_SIZE` keys, its recorded roots (if any) are its own, the followed head (if
/// it hangs from it) is a block at or above it, and its block's header, where stored, hashes to
/// its block root. Returns the anchor (or `None` when no anchor is active).
pub async fn check_anchor_record<S: Store>(
    store: &S,
    slots_per_epoch: u64,
    sync_committee_size: usize,
) -> Result<Option<AnchorRecord>, StoreError> {
    let meta = store.meta().await?;
    let Some(root) = meta.active_anchor else {
        return Ok(None);
    };
    let corrupt = |store: &'static str, reason: String| StoreError::CorruptRecord { store, reason };
    let anchor = store.anchor(&root).await?.ok_or_else(|| {
        corrupt(
            "meta",
            format!(
                "expected the active anchor {} to be stored, got none",
                hex0x(root)
            ),
        )
    })?;
    check_anchor_fields(
        &anchor,
        &root,
        store.network(),
        slots_per_epoch,
        sync_committee_size,
    )
    .map_err(|reason| corrupt("anchors", reason))?;
    if let Some(roots) = store.anchor_roots(&root).await? {
        check_roots_of(&anchor, &roots).map_err(|reason| corrupt("anchor_roots", reason))?;
    }
    if let Some(head) = store.head().await? {
        check_head_of(&anchor, &head).map_err(|reason| corrupt("head", reason))?;
    }
    // The anchor's block header is stored by backfill at its slot (at or below the state's
    // slot): the highest header at or below the anchor slot, if it claims to be the block.
    let below = store
        .headers_range(
            anchor.slot.saturating_sub(slots_per_epoch.max(1) * 4),
            anchor.slot + 1,
        )
        .await?;
    if let Some(h) = below.iter().rev().find(|h| h.root == anchor.block_root) {
        let computed = header_root(&h.header);
        if computed != anchor.block_root {
            return Err(corrupt(
                "headers",
                format!(
                    "the anchor block's header at slot {}: expected hash_tree_root {}, got {}",
                    h.slot,
                    hex0x(anchor.block_root),
                    hex0x(computed)
                ),
            ));
        }
    }
    Ok(Some(anchor))
}

/// The anchor record's own consistency, as "expected …, got …".
fn check_anchor_fields(
    anchor: &AnchorRecord,
    key: &Root,
    network: &str,
    slots_per_epoch: u64,
    sync_committee_size: usize,
) -> Result<(), String> {
    if anchor.block_root != *key {
        return Err(format!(
            "anchor block_root: expected its key {}, got {}",
            hex0x(key),
            hex0x(anchor.block_root)
        ));
    }
    if anchor.network != network {
        return Err(format!(
            "anchor network: expected {network:?}, got {:?}",
            anchor.network
        ));
    }
    // A Gloas block's own post-state may stand for the next epoch's checkpoint (its boundary
    // slot empty; see `crate::checkpoint`): then the epoch is the state's plus one.
    let gloas_checkpoint_state = anchor.fork == ForkName::Gloas.as_str()
        && anchor.trust == super::Trust::Checkpoint
        && !anchor.linked_through_latest_block_header;
    let state_epoch = anchor.slot.checked_div(slots_per_epoch);
    if slots_per_epoch > 0
        && Some(anchor.epoch) != state_epoch
        && !(gloas_checkpoint_state && Some(anchor.epoch) == state_epoch.map(|e| e + 1))
    {
        return Err(format!(
            "anchor epoch: expected compute_epoch_at_slot({}) = {}, got {}",
            anchor.slot,
            anchor.slot / slots_per_epoch,
            anchor.epoch
        ));
    }
    for (name, committee) in [
        ("current_sync_committee", &anchor.current_sync_committee),
        ("next_sync_committee", &anchor.next_sync_committee),
    ] {
        if let Some(c) = committee {
            if c.pubkeys.len() != sync_committee_size {
                return Err(format!(
                    "anchor {name}: expected {sync_committee_size} public keys, got {}",
                    c.pubkeys.len()
                ));
            }
        }
    }
    if anchor.ws_period_epochs == 0 {
        return Err("anchor ws_period_epochs: expected a positive period, got 0".into());
    }
    Ok(())
}

fn check_roots_of(anchor: &AnchorRecord, roots: &AnchorRootsRecord) -> Result<(), String> {
    if roots.block_root != anchor.block_root || roots.state_slot != anchor.slot {
        return Err(format!(
            "anchor roots: expected the roots of {} at slot {}, got roots of {} at slot {}",
            hex0x(anchor.block_root),
            anchor.slot,
            hex0x(roots.block_root),
            roots.state_slot
        ));
    }
    roots
        .check()
        .map_err(|(e, g)| format!("anchor roots: expected {e}, got {g}"))
}

fn check_head_of(anchor: &AnchorRecord, head: &HeadRecord) -> Result<(), String> {
    if head.anchor_root != anchor.block_root {
        // A head of another anchor is ignored by the session (and replaced by the next step).
        return Ok(());
    }
    if head.block_root != anchor.block_root && head.slot <= anchor.slot {
        return Err(format!(
            "head: expected a block above the anchor slot {}, got slot {}",
            anchor.slot, head.slot
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{HeadSource, MemoryStore, SyncCommitteeRecord, Trust};
    use futures::executor::block_on;
    use tree_hash::TreeHash;

    fn real_header(slot: u64, parent: Root) -> HeaderRecord {
        let h = crate::types::phase0::BeaconBlockHeader {
            slot,
            proposer_index: slot * 7 + 3,
            parent_root: parent.into(),
            state_root: [slot as u8; 32].into(),
            body_root: [(slot as u8) ^ 0x5a; 32].into(),
        };
        let bytes: [u8; HEADER_SSZ_LEN] = ssz::Encode::as_ssz_bytes(&h).try_into().unwrap();
        HeaderRecord {
            slot,
            header: bytes,
            root: h.tree_hash_root().0,
        }
    }

    #[test]
    fn header_roots_match_tree_hash_for_every_batch_size() {
        let mut parent = [0x11; 32];
        let mut hs = Vec::new();
        for slot in 0..37u64 {
            let h = real_header(slot * 3 + 1, parent);
            parent = h.root;
            hs.push(h);
        }
        for n in [1, 2, 3, 4, 5, 8, 17, 37] {
            let bytes: Vec<_> = hs[..n].iter().map(|h| &h.header).collect();
            let roots = header_roots(&bytes);
            for (h, r) in hs[..n].iter().zip(roots) {
                assert_eq!(r, h.root, "slot {}", h.slot);
            }
        }
        assert_eq!(header_root(&hs[0].header), hs[0].root);
    }

    fn anchor_at(block_root: Root, slot: u64) -> AnchorRecord {
        let committee = SyncCommitteeRecord {
            pubkeys: vec![[3; 48]; 32],
            aggregate_pubkey: [4; 48],
        };
        AnchorRecord {
            ws_period_epochs: 256,
            total_active_balance: 1 << 40,
            active_validators: 64,
            current_sync_committee: Some(committee.clone()),
            next_sync_committee: Some(committee),
            created_at: 1,
            ..AnchorRecord::new(
                "minimal",
                slot,
                slot / 8,
                block_root,
                [0x5e; 32],
                ForkName::Deneb,
                Trust::Checkpoint,
            )
        }
    }

    /// No damage, then each of [`stored_chain`]'s header slots in turn.
    fn damage_cases() -> Vec<Option<u64>> {
        let slots = (10..=48u64).filter(|s| s % 3 != 0).map(Some);
        std::iter::once(None).chain(slots).collect()
    }

    /// A store with real headers: a backfill from the anchor block at slot 40 down to slot 10
    /// (every third slot empty) in batches, and a followed head at 48 above it. Returns the
    /// store, the headers (ascending) and the anchor block's index.
    fn stored_chain(tamper: Option<(u64, usize)>) -> (MemoryStore, Vec<HeaderRecord>, usize) {
        let mut chain = Vec::new();
        let mut parent = [0x11; 32];
        for slot in (10..=48u64).filter(|s| s % 3 != 0) {
            let h = real_header(slot, parent);
            parent = h.root;
            chain.push(h);
        }
        let at = chain.iter().position(|h| h.slot == 40).unwrap();
        let store = MemoryStore::new("minimal", [7; 32]);
        let anchor = anchor_at(chain[at].root, 40);
        let mut stored = chain.clone();
        if let Some((slot, byte)) = tamper {
            // Damage after verification: the store takes records as given.
            let h = stored.iter_mut().find(|h| h.slot == slot).unwrap();
            h.header[byte] ^= 0x01;
        }
        block_on(async {
            store.put_anchor(&anchor, true).await.unwrap();
            commit_chain_below(&store, &stored[..=at], 5).await.unwrap();
            let top = chain.last().unwrap();
            let head = HeadRecord {
                slot: top.slot,
                block_root: top.root,
                state_root: top.state_root(),
                source: HeadSource::Checkpoints,
                anchor_root: anchor.block_root,
                updated_at: 2,
                execution: None,
            };
            store.commit_head(&head, &stored[at + 1..]).await.unwrap();
        });
        (store, chain, at)
    }

    #[test]
    fn an_intact_store_verifies_from_the_head_through_the_anchor_to_the_cursor() {
        let (store, chain, _) = stored_chain(None);
        for batch in [1, 4, 1000] {
            let report = block_on(verify_store(&store, batch)).unwrap();
            assert_eq!(report.first_broken, None, "batch {batch}");
            assert_eq!(report.checked, chain.len() as u64, "batch {batch}");
        }
        let anchor = block_on(check_anchor_record(&store, 8, 32)).unwrap();
        assert_eq!(anchor.map(|a| a.slot), Some(40));
    }

    #[test]
    fn a_damaged_header_is_found_and_its_range_dropped_for_backfill_to_fetch_again() {
        // One bit of the body_root of the header at slot 20.
        let (store, chain, at) = stored_chain(Some((20, 100)));
        let report = block_on(verify_store(&store, 7)).unwrap();
        let broken = report.first_broken.expect("the damage is found");
        let damaged = chain.iter().position(|h| h.slot == 20).unwrap();
        assert_eq!(broken.slot, 20);
        assert_eq!(broken.kind, BrokenKind::Root);
        assert_eq!(broken.expected, chain[damaged].root);
        assert_ne!(broken.actual, Some(chain[damaged].root));
        assert!(broken.below_anchor);
        assert_eq!(report.checked, (chain.len() - damaged - 1) as u64);
        let good = broken.last_good.unwrap();
        assert_eq!(good.oldest_slot, chain[damaged + 1].slot);

        let left = block_on(repair_store(&store, &broken)).unwrap();
        assert_eq!(left, Some(good));
        let report = block_on(verify_store(&store, 7)).unwrap();
        assert_eq!(report.first_broken, None);
        assert_eq!(report.checked, report_count(&store));
        assert!(block_on(store.header(20)).unwrap().is_none());
        assert!(block_on(store.header(chain[at].slot)).unwrap().is_some());
    }

    /// A hasher as a pool behaves: each range cut into runs of `run` headers, hashed in reverse
    /// order after a yield to the executor, the roots put back in place.
    struct Runs {
        run: usize,
        calls: std::cell::Cell<usize>,
    }

    impl HeaderHasher for Runs {
        fn roots<'a>(&'a self, entries: &'a [u8]) -> LocalBoxFuture<'a, Vec<u8>> {
            Box::pin(async move {
                self.calls.set(self.calls.get() + 1);
                let parts: Vec<&[u8]> = entries.chunks(self.run * PACK_ENTRY_LEN).collect();
                let mut out = vec![Vec::new(); parts.len()];
                for (i, part) in parts.iter().enumerate().rev() {
                    futures::pending!();
                    out[i] = entry_roots(part).unwrap();
                }
                out.concat()
            })
        }
    }

    /// `futures::pending!` wakes nobody: this executor polls again at once.
    fn poll_to_end<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn entry_roots_hash_the_headers_not_their_stored_roots_and_take_only_whole_entries() {
        // Two blocks of the kernels and part of a third.
        let chain = linked_headers(2 * ROOTS_BLOCK as u64 + 3);
        let roots: Vec<u8> = chain.iter().flat_map(|h| h.root).collect();
        let mut entries = crate::store::pack::encode_pack(&chain);
        assert_eq!(entry_roots(&entries), Some(roots.clone()));
        // The stored root column is the walk's to compare, not the hasher's input.
        for e in entries.chunks_exact_mut(PACK_ENTRY_LEN) {
            e[HEADER_SSZ_LEN..].fill(0xee);
        }
        assert_eq!(entry_roots(&entries), Some(roots));
        assert_eq!(entry_roots(&[]), Some(Vec::new()));
        assert_eq!(entry_roots(&entries[..PACK_ENTRY_LEN * 2 + 1]), None);
    }

    #[test]
    fn a_range_of_records_keeps_a_slot_that_differs_from_its_bytes() {
        let chain = linked_headers(3);
        let range = StoredRange::from_records(&chain);
        assert_eq!(range.len(), 3);
        assert_eq!(
            range.entries(),
            &crate::store::pack::encode_pack(&chain)[..]
        );
        assert_eq!(range, StoredRange::from_entries(range.entries().to_vec()));
        let mut moved = chain.clone();
        moved[1].slot = 40;
        let range = StoredRange::from_records(&moved);
        assert_eq!(range.get(1).0, 40);
        assert_eq!(range.get(2).0, 3);
    }

    #[test]
    fn a_hasher_that_splits_and_reorders_gives_the_same_report_for_every_damage() {
        // Every header's body root damaged in turn, and none: whatever hashes the ranges, the
        // walk finds the same first broken link and stops at the same place.
        let slots = damage_cases();
        for slot in slots {
            let (store, _, _) = stored_chain(slot.map(|s| (s, 100)));
            for batch in [1, 4, 7, 1000] {
                let expected = block_on(verify_store(&store, batch)).unwrap();
                for run in [1, 2, 3, 64] {
                    let hasher = Runs {
                        run,
                        calls: std::cell::Cell::new(0),
                    };
                    let got = poll_to_end(verify_store_with(&store, batch, &hasher)).unwrap();
                    assert_eq!(
                        got, expected,
                        "damage at {slot:?}, batch {batch}, run {run}"
                    );
                    assert!(hasher.calls.get() > 0);
                }
            }
            if let Some(s) = slot {
                let broken = block_on(verify_store(&store, 4)).unwrap().first_broken;
                assert_eq!(
                    broken.map(|b| (b.slot, b.kind)),
                    Some((s, BrokenKind::Root))
                );
            }
        }
    }

    /// `chain` stored in packs, as the IndexedDB store keeps them: `(index, bytes)` ascending.
    fn packs_of(chain: &[HeaderRecord]) -> Vec<(u64, Vec<u8>)> {
        crate::store::pack::group_by_pack(chain.to_vec())
            .into_iter()
            .map(|(i, hs)| (i, crate::store::pack::encode_pack(&hs)))
            .collect()
    }

    /// The packs `pack_index(lo)..=pack_index(hi - 1)` of `packs` read as the IndexedDB store
    /// reads them for the walk (bytes concatenated, [`StoredRange::from_packs`]) and as its
    /// `headers_range` does (decoded, [`headers_in`]).
    fn read_both(packs: &[(u64, Vec<u8>)], lo: u64, hi: u64) -> (StoredRange, StoredRange) {
        use crate::store::pack::pack_index;
        let picked: Vec<&(u64, Vec<u8>)> = packs
            .iter()
            .filter(|(i, _)| (pack_index(lo)..=pack_index(hi - 1)).contains(i))
            .collect();
        let entries: Vec<u8> = picked.iter().flat_map(|(_, b)| b.clone()).collect();
        let lens: Vec<(u64, usize)> = picked.iter().map(|(i, b)| (*i, b.len())).collect();
        let raw = StoredRange::from_packs(entries, &lens, lo, hi).unwrap();
        let decoded = picked
            .iter()
            .map(|(i, b)| (*i, decode_pack(*i, b).unwrap()))
            .collect();
        (raw, StoredRange::from_records(&headers_in(decoded, lo, hi)))
    }

    #[test]
    fn packs_read_in_place_are_the_decoded_range_whatever_slot_is_damaged() {
        let chain = linked_headers(2500);
        let ranges = [
            (1, 2501),
            (0, 1024),
            (1000, 1030),
            (1024, 2048),
            (7, 8),
            (2400, 9000),
        ];
        let mut damages: Vec<Option<(usize, u64)>> = vec![None];
        // A slot moved below, above, onto its neighbour's, out of its pack, out of every range.
        for (at, slot) in [
            (10, 3),
            (10, 11),
            (10, 12),
            (1500, 2),
            (1500, 2400),
            (700, 1 << 40),
        ] {
            damages.push(Some((at, slot)));
        }
        for damage in damages {
            let mut stored = chain.clone();
            if let Some((at, slot)) = damage {
                stored[at].header[..8].copy_from_slice(&slot.to_le_bytes());
            }
            // The packs keep each header where it was written (by its record's slot); only its
            // bytes changed.
            let packs = packs_of(&stored);
            for (lo, hi) in ranges {
                let (raw, decoded) = read_both(&packs, lo, hi);
                assert_eq!(raw, decoded, "damage {damage:?}, range {lo}..{hi}");
            }
        }
        let packs = packs_of(&chain);
        let error = StoredRange::from_packs(vec![0; 145], &[(3, 145)], 0, 9000).unwrap_err();
        assert_eq!(
            error,
            "header pack 3: expected a multiple of 144 bytes, got 145"
        );
        let (raw, _) = read_both(&packs, 1000, 1030);
        assert_eq!(raw.len(), 30);
        assert_eq!(raw.get(0).0, 1000);
    }

    #[test]
    fn a_walk_over_packs_reports_what_the_walk_over_records_reports() {
        // Every header damaged in turn (a body_root bit; the slot itself), and none: the walk
        // reading packs in place finds what the walk over decoded records finds.
        let slots = damage_cases();
        for byte in [100, 0] {
            for slot in &slots {
                // A store refuses a header whose bytes name another slot: that damage is made in
                // the packs alone, as it would be in IndexedDB.
                let tamper = slot.filter(|_| byte != 0).map(|s| (s, byte));
                let (store, _, _) = stored_chain(tamper);
                let mut headers = block_on(store.dump()).unwrap().headers;
                if let (Some(s), 0) = (slot, byte) {
                    headers.iter_mut().find(|h| h.slot == *s).unwrap().header[0] ^= 0x01;
                }
                let packs = packs_of(&headers);
                for batch in [1, 4, 7, 1000] {
                    let raw = |lo: u64, hi: u64| {
                        let range = read_both(&packs, lo, hi).0;
                        async move { Ok::<_, StoreError>(range) }
                    };
                    let decoded = |lo: u64, hi: u64| {
                        let range = read_both(&packs, lo, hi).1;
                        async move { Ok::<_, StoreError>(range) }
                    };
                    let got = block_on(verify_store_reading(&store, batch, &InThread, raw));
                    let want = block_on(verify_store_reading(&store, batch, &InThread, decoded));
                    let got = got.unwrap();
                    assert_eq!(got, want.unwrap(), "damage {slot:?}/{byte}, batch {batch}");
                    if byte == 100 {
                        let records = block_on(verify_store(&store, batch)).unwrap();
                        assert_eq!(got, records, "damage {slot:?}, batch {batch}");
                    } else if slot.is_some() {
                        assert!(got.first_broken.is_some(), "damage {slot:?}, batch {batch}");
                    }
                }
            }
        }
    }

    fn report_count(store: &MemoryStore) -> u64 {
        block_on(store.dump()).unwrap().headers.len() as u64
    }

    #[test]
    fn a_stored_root_that_differs_from_the_bytes_and_a_missing_record_are_broken_links() {
        let (store, chain, _) = stored_chain(None);
        let dump = block_on(store.dump()).unwrap();
        // Rebuild the store with the record at slot 25 carrying another root.
        let rewrite = |edit: &dyn Fn(&mut Vec<HeaderRecord>)| {
            let fresh = MemoryStore::new("minimal", [7; 32]);
            let mut headers = dump.headers.clone();
            edit(&mut headers);
            let anchor = dump.anchors[0].clone();
            block_on(async {
                fresh.put_anchor(&anchor, true).await.unwrap();
                let c = dump.meta.backfill_cursor.unwrap();
                // One batch carrying everything up to the head's chain.
                fresh.commit_backfill_batch(&headers, &c).await.unwrap();
            });
            fresh
        };
        let fresh = rewrite(&|hs| hs.iter_mut().find(|h| h.slot == 25).unwrap().root = [9; 32]);
        let broken = block_on(verify_store(&fresh, 3))
            .unwrap()
            .first_broken
            .unwrap();
        assert_eq!((broken.slot, broken.kind), (25, BrokenKind::StoredRoot));
        assert_eq!(broken.actual, Some([9; 32]));

        let fresh = rewrite(&|hs| hs.retain(|h| h.slot != 31));
        let broken = block_on(verify_store(&fresh, 3))
            .unwrap()
            .first_broken
            .unwrap();
        let missing = chain.iter().find(|h| h.slot == 31).unwrap();
        assert_eq!(broken.expected, missing.root);
        assert_eq!(broken.slot, 29, "the record below the gap");
    }

    #[test]
    fn damage_at_or_above_the_anchor_block_resets_the_backfill() {
        // The anchor's block itself (its proposer_index).
        let (store, _, _) = stored_chain(Some((40, 9)));
        let broken = block_on(verify_store(&store, 64))
            .unwrap()
            .first_broken
            .unwrap();
        assert_eq!(broken.slot, 40);
        assert!(!broken.below_anchor);
        assert_eq!(block_on(repair_store(&store, &broken)).unwrap(), None);
        let dump = block_on(store.dump()).unwrap();
        assert!(dump.headers.is_empty() && dump.head.is_none());
        assert_eq!(dump.meta.backfill_cursor, None);
        assert_eq!(dump.anchors.len(), 1, "anchors are kept");
    }

    #[test]
    fn an_anchor_record_that_does_not_re_derive_is_corrupt() {
        let store = MemoryStore::new("minimal", [7; 32]);
        // Stores `anchor` as the active one and checks it.
        let check = |anchor: &AnchorRecord| {
            block_on(store.put_anchor(anchor, true)).unwrap();
            block_on(check_anchor_record(&store, 8, 32))
        };
        let mut anchor = anchor_at([0xab; 32], 40);
        anchor.epoch = 6;
        let error = check(&anchor).unwrap_err();
        assert_eq!(error.code(), "CORRUPT_RECORD");
        assert!(
            error
                .to_string()
                .contains("expected compute_epoch_at_slot(40) = 5, got 6"),
            "{error}"
        );
        // The next epoch only for a Gloas block's post-state taken for a `block_root:epoch`
        // checkpoint.
        let mut gloas = anchor.clone();
        gloas.fork = "gloas".into();
        gloas.epoch = 7;
        assert_eq!(check(&gloas).unwrap_err().code(), "CORRUPT_RECORD");
        gloas.epoch = 6;
        gloas.slot = 45;
        check(&gloas).unwrap();
        gloas.trust = Trust::BlockRoot;
        assert_eq!(check(&gloas).unwrap_err().code(), "CORRUPT_RECORD");
        anchor.epoch = 5;
        anchor.next_sync_committee.as_mut().unwrap().pubkeys.pop();
        let error = check(&anchor).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("expected 32 public keys, got 31"),
            "{error}"
        );
    }
}
