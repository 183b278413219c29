//! The hash-chain walk: which served header may be stored, slot by slot, with no I/O.
//!
//! The walk goes down from the expected root (the oldest stored header's `parent_root`). A
//! header is accepted only if its computed root equals the expected root; the accepted header's
//! `parent_root` becomes the next expected root. Everything else is never stored: a header that
//! does not link (an orphan presented as canonical, a lie) is skipped and counted, a 404 is an
//! empty slot. Because a withheld block would otherwise make every older (real) block look like
//! a non-linking one and the walk run on to genesis, the search since the last link is bounded
//! ([`WalkLimits`]); where the anchor state's roots are known ([`Expect`]), the walk knows the
//! exact slot of the expected block and reports a withheld one at once.

use crate::beacon_api::HeaderInfo;
use crate::store::HeaderRecord;

use super::Root;

/// Bounds of the search for the next linking header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLimits {
    /// Slots examined since the last link before giving up. Default 8192: one
    /// `SLOTS_PER_HISTORICAL_ROOT` chunk, about 27 hours of mainnet slots; a live chain never went
    /// that long without a block, and examining empty (404) slots costs one small request each.
    pub max_search_slots: u64,
    /// Non-linking headers met since the last link before giving up. Default 64 (two mainnet
    /// epochs): orphans between two canonical blocks come from reorgs, and mainnet's deepest
    /// reorgs were a handful of blocks; when the expected block is withheld, every older real
    /// block is non-linking, so this bound trips within about this many slots.
    pub max_non_linking_run: u64,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_search_slots: 8192,
            max_non_linking_run: 64,
        }
    }
}

/// What the anchor state's roots say about one slot, relative to the expected root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The expected block is at this slot.
    Block,
    /// The canonical chain has no block at this slot (the expected block is older).
    Empty,
    /// Not known (outside the recorded roots).
    Unknown,
}

/// Counters of a walk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Headers accepted (linked).
    pub stored: u64,
    /// Headers served that did not link and were skipped.
    pub skipped_non_linking: u64,
    /// Slots answered with 404.
    pub empty_slots: u64,
}

/// What a step did with its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The header linked; store it.
    Linked(HeaderRecord),
    /// A header was served that does not link; it was skipped.
    Skipped,
    /// 404: no block at the slot.
    Empty,
}

/// Why a step could not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    /// The bounded search found no header with the expected root.
    LinkNotFound {
        /// The root searched for.
        expected_root: Root,
        /// Highest slot searched (just below the last link).
        highest_slot: u64,
        /// Lowest slot searched.
        lowest_slot: u64,
        /// Non-linking headers in that range.
        non_linking: u64,
    },
    /// The walk examined every slot down to 0 without finding the expected block: the chain
    /// stops below `oldest_slot`, short of its target.
    Exhausted {
        /// The root searched for (the parent root of the header at `oldest_slot`).
        expected_root: Root,
        /// The oldest linked header's slot: the chain is verified down to here.
        oldest_slot: u64,
        /// The slot the walk had to reach.
        target_slot: u64,
    },
    /// The expected block is known to be at `slot` but something else was served.
    Withheld {
        /// The slot.
        slot: u64,
        /// The root that should be there.
        expected_root: Root,
        /// The root served instead (`None` for 404).
        got: Option<Root>,
    },
}

/// The walk's position. `Clone` so the caller can rewind to the last link and retry a range
/// with another provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walker {
    /// The root the next accepted header must have.
    pub expected: Root,
    /// The next slot to examine; `None` once the walk is complete.
    pub next_slot: Option<u64>,
    /// The slot the walk must reach. It ends at the first link at or below it: a link below it
    /// proves the slots between that block and its child empty, which a provider's 404 alone
    /// cannot (see [`reached`]).
    pub target_slot: u64,
    /// Bounds of the search.
    pub limits: WalkLimits,
    /// Counters.
    pub stats: WalkStats,
    search_top: u64,
    since_link: u64,
    non_linking_run: u64,
}

/// The SSZ record of a served header.
pub fn record(h: &HeaderInfo) -> HeaderRecord {
    HeaderRecord {
        slot: h.header.slot,
        header: h.ssz_bytes(),
        root: h.root,
    }
}

/// Whether a chain verified down to a header at `oldest_slot` whose parent is
/// `oldest_parent_root` reaches `target_slot`. For slot 0 (genesis) the header must be the
/// genesis block: at slot 0 with a zero `parent_root` (and, where the anchor's roots know the
/// genesis root, the walk only links the header with that root). For a later slot, the oldest
/// linked header must be at or below it: a verified header below the target proves that the
/// slots between it and its child hold no block, whereas empty answers above the target prove
/// nothing (a provider can withhold a block with a 404).
pub fn reached(oldest_slot: u64, oldest_parent_root: &Root, target_slot: u64) -> bool {
    if target_slot == 0 {
        oldest_slot == 0 && *oldest_parent_root == [0u8; 32]
    } else {
        oldest_slot <= target_slot
    }
}

impl Walker {
    /// A walk below a stored header at `oldest_slot` whose parent is `expected`, down to
    /// `target_slot`. Already ended when the stored header is at slot 0, has a zero parent or is
    /// at/below the target (whether that reached the target is [`reached`]'s question).
    pub fn new(expected: Root, oldest_slot: u64, target_slot: u64, limits: WalkLimits) -> Self {
        let next_slot = if oldest_slot == 0 || expected == [0u8; 32] || oldest_slot <= target_slot {
            None
        } else {
            Some(oldest_slot - 1)
        };
        Walker {
            expected,
            next_slot,
            target_slot,
            limits,
            stats: WalkStats::default(),
            search_top: next_slot.unwrap_or(0),
            since_link: 0,
            non_linking_run: 0,
        }
    }

    /// Whether the walk ended: a link at or below the target, a header with no parent, or slot 0
    /// examined. Whether the target was reached is [`reached`]'s question.
    pub fn is_done(&self) -> bool {
        self.next_slot.is_none()
    }

    /// Examines slot `next_slot` with what a provider served there (`None` = 404) and what the
    /// anchor's roots say about it.
    pub fn step(&mut self, served: Option<&HeaderInfo>, expect: Expect) -> Result<Step, WalkError> {
        let Some(slot) = self.next_slot else {
            return Ok(Step::Empty);
        };
        if let Some(h) = served {
            if h.root == self.expected && h.header.slot == slot {
                let rec = record(h);
                self.expected = rec.parent_root();
                self.stats.stored += 1;
                self.since_link = 0;
                self.non_linking_run = 0;
                self.advance(slot, self.expected == [0u8; 32] || slot <= self.target_slot);
                self.search_top = self.next_slot.unwrap_or(0);
                return Ok(Step::Linked(rec));
            }
        }
        if expect == Expect::Block {
            return Err(WalkError::Withheld {
                slot,
                expected_root: self.expected,
                got: served.map(|h| h.root),
            });
        }
        self.since_link += 1;
        let step = match served {
            Some(_) => {
                self.stats.skipped_non_linking += 1;
                self.non_linking_run += 1;
                Step::Skipped
            }
            None => {
                self.stats.empty_slots += 1;
                Step::Empty
            }
        };
        if expect == Expect::Unknown
            && (self.since_link > self.limits.max_search_slots
                || self.non_linking_run > self.limits.max_non_linking_run)
        {
            return Err(WalkError::LinkNotFound {
                expected_root: self.expected,
                highest_slot: self.search_top,
                lowest_slot: slot,
                non_linking: self.non_linking_run,
            });
        }
        if slot == 0 {
            return Err(WalkError::Exhausted {
                expected_root: self.expected,
                oldest_slot: self.search_top + 1,
                target_slot: self.target_slot,
            });
        }
        self.advance(slot, false);
        Ok(step)
    }

    /// The error for a search that went past the expected block: the anchor's roots say the
    /// latest block at or before `slot` is another one, so the expected block lies above `slot`
    /// and was not served where it is.
    pub fn passed_expected(&self, slot: u64) -> WalkError {
        WalkError::LinkNotFound {
            expected_root: self.expected,
            highest_slot: self.search_top,
            lowest_slot: slot,
            non_linking: self.non_linking_run,
        }
    }

    /// Moves below `slot`, or ends the walk when `done` (a link at or below the target, or a
    /// header with no parent) or slot 0 was examined.
    fn advance(&mut self, slot: u64, done: bool) {
        self.next_slot = if done || slot == 0 {
            None
        } else {
            Some(slot - 1)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::phase0::BeaconBlockHeader;
    use crate::types::{TreeHash, B256};

    fn info(slot: u64, parent: Root, salt: u8) -> HeaderInfo {
        let header = BeaconBlockHeader {
            slot,
            proposer_index: 1,
            parent_root: B256::from(parent),
            state_root: B256::from([salt; 32]),
            body_root: B256::from([7; 32]),
        };
        HeaderInfo {
            root: header.tree_hash_root().0,
            canonical: true,
            header,
            signature: [0; 96],
        }
    }

    /// A chain with blocks at `slots` (ascending); returns the headers.
    fn chain(slots: &[u64]) -> Vec<HeaderInfo> {
        let mut parent = [0u8; 32];
        let mut out = Vec::new();
        for &s in slots {
            let h = info(s, parent, 1);
            parent = h.root;
            out.push(h);
        }
        out
    }

    fn served_at(chain: &[HeaderInfo], slot: u64) -> Option<&HeaderInfo> {
        chain.iter().find(|h| h.header.slot == slot)
    }

    #[test]
    fn links_skips_orphans_and_empty_slots_to_genesis() {
        let c = chain(&[0, 1, 3, 4, 7]);
        let orphan = info(5, c[3].root, 9);
        let top = &c[4];
        let mut w = Walker::new(top.header.parent_root.0, 7, 0, WalkLimits::default());
        let mut linked = Vec::new();
        while !w.is_done() {
            let s = w.next_slot.unwrap();
            let served = if s == 5 {
                Some(&orphan)
            } else {
                served_at(&c, s)
            };
            if let Step::Linked(r) = w.step(served, Expect::Unknown).unwrap() {
                linked.push(r.slot);
            }
        }
        assert_eq!(linked, vec![4, 3, 1, 0]);
        assert_eq!(w.stats.skipped_non_linking, 1);
        assert_eq!(w.stats.empty_slots, 2); // slots 6 and 2
    }

    #[test]
    fn stops_at_target() {
        let c = chain(&[0, 1, 2, 3, 4]);
        let mut w = Walker::new(c[4].header.parent_root.0, 4, 2, WalkLimits::default());
        while !w.is_done() {
            let s = w.next_slot.unwrap();
            w.step(served_at(&c, s), Expect::Unknown).unwrap();
        }
        assert_eq!(w.stats.stored, 2);
        assert_eq!(w.expected, c[1].root);
    }

    #[test]
    fn a_target_above_empty_slots_is_reached_by_the_link_below_it() {
        let c = chain(&[0, 1, 4, 5]);
        // Target 3: slots 3 and 2 are empty (404), so the walk goes on below the target to the
        // block at slot 1, whose link proves them empty.
        let mut w = Walker::new(c[3].header.parent_root.0, 5, 3, WalkLimits::default());
        let mut linked = Vec::new();
        while !w.is_done() {
            let s = w.next_slot.unwrap();
            if let Step::Linked(r) = w.step(served_at(&c, s), Expect::Unknown).unwrap() {
                linked.push(r.slot);
            }
        }
        assert_eq!(linked, vec![4, 1]);
        assert!(reached(1, &c[0].root, 3));
        assert!(!reached(4, &c[1].root, 3));
    }

    #[test]
    fn a_walk_without_its_link_down_to_slot_0_is_exhausted() {
        let c = chain(&[0, 1, 2, 6]);
        let mut w = Walker::new(c[3].header.parent_root.0, 6, 0, WalkLimits::default());
        let err = loop {
            let s = w.next_slot.unwrap();
            // Every slot below 6 answered 404.
            if let Err(e) = w.step(None, Expect::Unknown) {
                break (s, e);
            }
        };
        assert_eq!(
            err,
            (
                0,
                WalkError::Exhausted {
                    expected_root: c[2].root,
                    oldest_slot: 6,
                    target_slot: 0
                }
            )
        );
        assert_eq!(w.stats.empty_slots, 6);
        // Genesis is reached only by a slot-0 header without a parent.
        assert!(reached(0, &[0u8; 32], 0));
        assert!(!reached(0, &c[0].root, 0));
        assert!(!reached(3, &[0u8; 32], 0));
    }

    #[test]
    fn withheld_block_is_bounded() {
        let c = chain(&(0..40).collect::<Vec<_>>());
        let limits = WalkLimits {
            max_search_slots: 100,
            max_non_linking_run: 4,
        };
        let mut w = Walker::new(c[39].header.parent_root.0, 39, 0, limits);
        let err = loop {
            let s = w.next_slot.unwrap();
            let served = if s == 38 { None } else { served_at(&c, s) };
            if let Err(e) = w.step(served, Expect::Unknown) {
                break e;
            }
        };
        assert_eq!(
            err,
            WalkError::LinkNotFound {
                expected_root: c[38].root,
                highest_slot: 38,
                lowest_slot: 33,
                non_linking: 5
            }
        );
        // With the slot known, the same withholding is reported at once.
        let mut w = Walker::new(c[39].header.parent_root.0, 39, 0, limits);
        assert_eq!(
            w.step(None, Expect::Block),
            Err(WalkError::Withheld {
                slot: 38,
                expected_root: c[38].root,
                got: None
            })
        );
    }
}
