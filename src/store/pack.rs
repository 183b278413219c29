//! Header packs: the stored headers of [`PACK_SLOTS`] consecutive slots in one record.
//!
//! Why: IndexedDB pays a fixed cost per record read (about 17 µs in Chromium, whatever its
//! size), so a million one-header records take some 18 s to read back, which made
//! `verifyStore()` a matter of seconds per hundred thousand headers. The same headers in
//! 1024-slot packs are about a thousand records and read in well under a second; records much
//! smaller than that (a 64-header backfill batch each) still cost seconds per million.
//!
//! A pack is keyed by `slot / PACK_SLOTS` and holds every stored header of its slot range, in
//! ascending slot order, each as [`PACK_ENTRY_LEN`] bytes: the 112-byte SSZ
//! `BeaconBlockHeader` followed by its 32-byte `hash_tree_root`. The slot is the header's own
//! (its first 8 bytes, little-endian), so a record cannot disagree with its bytes. A write that
//! touches a pack reads it inside the writing transaction, merges, and puts it back whole.

use super::{HeaderRecord, Root, HEADER_SSZ_LEN};

/// Slots per pack. Backfill rewrites at most one partly filled pack per batch (about 144 KiB at
/// most), and a million headers are about a thousand records.
pub const PACK_SLOTS: u64 = 1024;

/// Bytes per header in a pack: the SSZ header, then its root.
pub const PACK_ENTRY_LEN: usize = HEADER_SSZ_LEN + 32;

/// The pack that holds `slot`.
pub fn pack_index(slot: u64) -> u64 {
    slot / PACK_SLOTS
}

/// A pack's bytes: `headers` (all of one pack, ascending by slot) concatenated.
pub fn encode_pack<'a>(headers: impl IntoIterator<Item = &'a HeaderRecord>) -> Vec<u8> {
    let mut out = Vec::new();
    for h in headers {
        out.extend_from_slice(&h.header);
        out.extend_from_slice(&h.root);
    }
    out
}

/// The headers of pack `index`, as stored. Refuses (as "expected …, got …") bytes that are not
/// whole entries. An entry whose encoded slot lies outside the pack or out of order is returned
/// as it is (its slot is what its bytes say): a damaged slot is a broken link for the chain walk
/// to report and repair, not a reason to refuse the whole pack.
pub fn decode_pack(index: u64, bytes: &[u8]) -> Result<Vec<HeaderRecord>, String> {
    check_pack_len(index, bytes.len())?;
    Ok(bytes
        .chunks_exact(PACK_ENTRY_LEN)
        .map(|entry| {
            let mut header = [0u8; HEADER_SSZ_LEN];
            header.copy_from_slice(&entry[..HEADER_SSZ_LEN]);
            let mut root: Root = [0u8; 32];
            root.copy_from_slice(&entry[HEADER_SSZ_LEN..]);
            let mut slot = [0u8; 8];
            slot.copy_from_slice(&header[..8]);
            HeaderRecord {
                slot: u64::from_le_bytes(slot),
                header,
                root,
            }
        })
        .collect())
}

/// Refuses (as "expected …, got …") a pack `index` of `len` bytes that are not whole entries.
pub fn check_pack_len(index: u64, len: usize) -> Result<(), String> {
    if !len.is_multiple_of(PACK_ENTRY_LEN) {
        return Err(format!(
            "header pack {index}: expected a multiple of {PACK_ENTRY_LEN} bytes, got {len}"
        ));
    }
    Ok(())
}

/// The headers with `start_slot <= slot < end_slot` of `packs` (decoded, ascending by index),
/// ordered by slot: what a store of packs returns for `Store::headers_range`.
pub fn headers_in(
    packs: Vec<(u64, Vec<HeaderRecord>)>,
    start_slot: u64,
    end_slot: u64,
) -> Vec<HeaderRecord> {
    let mut headers: Vec<HeaderRecord> = packs
        .into_iter()
        .flat_map(|(_, hs)| hs)
        .filter(|h| (start_slot..end_slot).contains(&h.slot))
        .collect();
    // Packs are in slot order unless a stored slot was damaged.
    sort_by_slot(&mut headers);
    headers
}

/// Sorts headers by slot, ascending (stable). Every header sort of the store and the flows goes
/// through here: each `sort_by_key` closure is its own copy of the sort in the wasm.
pub fn sort_by_slot(headers: &mut [HeaderRecord]) {
    headers.sort_by_key(|h| h.slot);
}

/// Groups headers by pack: `(index, headers of that pack ascending)`, packs ascending.
pub fn group_by_pack(mut headers: Vec<HeaderRecord>) -> Vec<(u64, Vec<HeaderRecord>)> {
    sort_by_slot(&mut headers);
    let mut out: Vec<(u64, Vec<HeaderRecord>)> = Vec::new();
    for h in headers {
        let index = pack_index(h.slot);
        match out.last_mut() {
            Some((i, group)) if *i == index => group.push(h),
            _ => out.push((index, vec![h])),
        }
    }
    out
}

/// `stored` (one pack's headers) with `new` added, ascending by slot. `new` must hold no slot
/// already in `stored` (the callers check that first, with their own rule).
pub fn merge_pack(stored: &[HeaderRecord], new: &[&HeaderRecord]) -> Vec<HeaderRecord> {
    let mut merged: Vec<HeaderRecord> = stored.to_vec();
    merged.extend(new.iter().map(|h| (*h).clone()));
    sort_by_slot(&mut merged);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::verify::linked_headers;

    #[test]
    fn a_pack_round_trips_and_refuses_partial_entries() {
        let chain = linked_headers(5);
        let bytes = encode_pack(&chain);
        assert_eq!(bytes.len(), 5 * PACK_ENTRY_LEN);
        assert_eq!(decode_pack(0, &bytes).unwrap(), chain);
        let error = decode_pack(3, &bytes[..bytes.len() - 1]).unwrap_err();
        assert_eq!(
            error,
            format!(
                "header pack 3: expected a multiple of 144 bytes, got {}",
                5 * 144 - 1
            )
        );
        assert!(decode_pack(0, &[]).unwrap().is_empty());
    }

    #[test]
    fn headers_group_by_pack_and_merge_in_slot_order() {
        let chain = linked_headers(2100);
        let picked: Vec<HeaderRecord> = [2099, 5, 1023, 1024, 2047, 0]
            .iter()
            .map(|&i| chain[i].clone())
            .collect();
        let groups = group_by_pack(picked);
        let shape: Vec<(u64, Vec<u64>)> = groups
            .iter()
            .map(|(i, g)| (*i, g.iter().map(|h| h.slot).collect()))
            .collect();
        // linked_headers starts at slot 1: index i is slot i + 1.
        assert_eq!(
            shape,
            vec![
                (0, vec![1, 6]),
                (1, vec![1024, 1025]),
                (2, vec![2048, 2100])
            ]
        );
        let merged = merge_pack(&groups[1].1, &[&chain[1030], &chain[1022]]);
        let slots: Vec<u64> = merged.iter().map(|h| h.slot).collect();
        assert_eq!(slots, vec![1023, 1024, 1025, 1031]);
    }
}
