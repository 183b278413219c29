//! Following the chain forward: a new finalized header moves the client's tip only once the
//! header chain links it back to the current tip.
//!
//! Why a link and not just a root: in every long-range mode the client holds one trusted block
//! (the anchor, then the tip it has followed to). A new finalized header comes either from a
//! light-client finality update, whose BLS signature and finality branch make it trustworthy on
//! their own, or from the providers' `finality_checkpoints`, which is only their word. In both
//! cases the headers between the new block and the tip are downloaded untrusted and accepted only
//! by walking `parent_root` down from the new block until the tip's root appears, the same rule
//! backfill uses. A provider that serves a finalized block on another branch, or a gap, is
//! rejected before the tip moves, so the tip is always a descendant of the anchor.
//!
//! [`link_back`] is that walk; the light rebuild uses it too, to connect a new light-client
//! finalized header to the old, stale anchor.

use std::fmt;

use ssz::Encode;
use tree_hash::TreeHash;

use crate::beacon_api::{first_passing, stop_on_abort, ApiError, BeaconApi, HeaderInfo, RawBody};
use crate::config::NetworkConfig;
pub use crate::event::{FollowStep, Tip};
use crate::light::error::{LightClientError, UpdateFailure};
use crate::light::input::parse_finality_update;
use crate::light::sync_protocol::{process_light_client_finality_update, LightClientStore};
use crate::store::HeaderRecord;
use crate::types::hex0x;
use crate::types::phase0::BeaconBlockHeader;
use crate::types::{Mainnet, Minimal, Preset, Slot};

use crate::types::Root;

/// Slots asked for per round of [`link_back`]. The transport runs them concurrently (6 lanes in
/// a browser); 64 header requests of ~1 KB each keep a round well under a second on a local or
/// nearby node while bounding the work lost when a provider fails mid-round.
pub const LINK_BATCH_SLOTS: u64 = 64;

/// Why the header chain could not be linked back to the tip. None is retryable with the same
/// provider answers; another provider may succeed for `Api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// Every provider failed to serve a round of headers; `error` is the last failure. Retry
    /// later or with other providers.
    Api {
        /// The highest slot of the round that failed.
        slot: Slot,
        /// The last provider failure.
        error: ApiError,
    },
    /// The walk went below the tip's slot without meeting the tip's root: the new block is not a
    /// descendant of the tip (another branch), or a provider withheld a block. Do not move the
    /// tip; use other providers.
    Broken {
        /// The root the walk was looking for when it passed the tip's slot.
        expected: Root,
        /// The tip it had to reach.
        tip: Tip,
        /// The slot of the new block the walk started from.
        from_slot: Slot,
        /// Headers that did link before the chain broke.
        linked: u64,
    },
    /// The new block is not above the tip (`from_slot <= tip.slot`) and is not the tip itself.
    NotAbove {
        /// The new block's slot.
        from_slot: Slot,
        /// The tip.
        tip: Tip,
    },
}

impl LinkError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Api { error, .. } => error.code(),
            LinkError::Broken { .. } => "HASH_CHAIN_BROKEN",
            LinkError::NotAbove { .. } => "NOT_ABOVE_TIP",
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Api { slot, error } => {
                write!(f, "headers up to slot {slot}: every provider failed; last: {error}")
            }
            LinkError::Broken { expected, tip, from_slot, linked } => write!(
                f,
                "header chain from slot {from_slot}: expected to reach root {} at slot {} by parent roots, got a break after {linked} linked headers (no header with root {} at or above slot {})",
                hex0x(tip.root),
                tip.slot,
                hex0x(expected),
                tip.slot
            ),
            LinkError::NotAbove { from_slot, tip } => write!(
                f,
                "new block: expected a slot above the tip's {}, got slot {from_slot}",
                tip.slot
            ),
        }
    }
}

impl std::error::Error for LinkError {}

/// The store record of a header whose root was checked (`root == hash_tree_root(header)`).
pub fn header_record(header: &BeaconBlockHeader, root: Root) -> HeaderRecord {
    let mut bytes = [0u8; crate::store::HEADER_SSZ_LEN];
    // A `BeaconBlockHeader` is a fixed-size SSZ container: always `HEADER_SSZ_LEN` bytes.
    bytes.copy_from_slice(&header.as_ssz_bytes());
    HeaderRecord {
        slot: header.slot,
        header: bytes,
        root,
    }
}

/// Walks `parent_root` down from a block at `from_slot` whose parent is `from_parent_root`,
/// fetching headers by slot from `providers` (each round from the first provider that answers),
/// until the tip's root is met. Returns the headers linked below the new block, highest slot
/// first, the tip's own header last when the walk fetched it (it is not fetched when
/// `from_parent_root` is the tip's root). Memory: one 144-byte record per block between the tip
/// and the new block. `on_round(lowest_slot_done)` is called after each round, for progress.
///
/// A header that does not carry the expected root at its slot is ignored (an orphan or a lie);
/// only the chain of roots counts. Passing below `tip.slot` without meeting the tip is
/// [`LinkError::Broken`].
pub async fn link_back<A: BeaconApi>(
    providers: &[A],
    from_slot: Slot,
    from_parent_root: Root,
    tip: Tip,
    on_round: &mut dyn FnMut(Slot),
) -> Result<Vec<HeaderRecord>, LinkError> {
    if from_slot <= tip.slot {
        return Err(LinkError::NotAbove { from_slot, tip });
    }
    let mut expected = from_parent_root;
    let mut chain: Vec<HeaderRecord> = Vec::new();
    // Slots still to look at, highest first: (tip.slot ..= from_slot - 1).
    let mut next = from_slot - 1;
    loop {
        if expected == tip.root {
            return Ok(chain);
        }
        if next < tip.slot {
            return Err(LinkError::Broken {
                expected,
                tip,
                from_slot,
                linked: chain.len() as u64,
            });
        }
        let low = next.saturating_sub(LINK_BATCH_SLOTS - 1).max(tip.slot);
        let slots: Vec<Slot> = (low..=next).rev().collect();
        let answers = fetch_round(providers, &slots).await?;
        for h in answers.iter().flatten() {
            if h.root == expected {
                chain.push(crate::backfill::walk::record(h));
                if h.root == tip.root {
                    on_round(h.header.slot);
                    return Ok(chain);
                }
                expected = h.header.parent_root.0;
            }
        }
        on_round(low);
        if expected == tip.root {
            return Ok(chain);
        }
        if low == tip.slot {
            // The tip's own slot was in this round and the chain did not reach it.
            return Err(LinkError::Broken {
                expected,
                tip,
                from_slot,
                linked: chain.len() as u64,
            });
        }
        next = low - 1;
    }
}

/// The failure to report when there is no provider to ask.
pub(crate) fn no_providers() -> ApiError {
    ApiError::InvalidArgument {
        what: "providers",
        expected: "at least one Beacon API provider",
        got: "none".into(),
    }
}

/// One round of headers by slot from the first provider that serves all of them.
async fn fetch_round<'p, A: BeaconApi>(
    providers: &'p [A],
    slots: &[Slot],
) -> Result<Vec<Option<HeaderInfo>>, LinkError> {
    let round = |p: &'p A| async move {
        let answers = p.headers_by_slots(slots).await;
        answers.into_iter().collect::<Result<Vec<_>, _>>()
    };
    first_passing(providers, round, stop_on_abort)
        .await
        .map_err(|rejected| LinkError::Api {
            slot: slots.first().copied().unwrap_or(0),
            error: rejected.last().unwrap_or_else(no_providers),
        })
}

/// Why a follow step failed. The tip did not move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowError {
    /// A provider call failed on every provider (`what` names the call). Retry later.
    Api {
        /// The call.
        what: &'static str,
        /// The last failure.
        error: ApiError,
    },
    /// Providers answering `finality_checkpoints` disagree on the finalized root. Which one lies
    /// cannot be told from their word alone: use the `light` mode or trusted providers.
    Disagreement {
        /// `provider: root:epoch` for each answer.
        answers: Vec<String>,
    },
    /// The finalized root the providers report has no header on the first provider that answered.
    FinalizedHeaderMissing {
        /// The reported root.
        root: Root,
    },
    /// The light-client finality update did not verify (names the period and what failed).
    Light(LightClientError),
    /// The new finalized block does not link back to the tip.
    Link(LinkError),
}

impl FollowError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            FollowError::Api { error, .. } => error.code(),
            FollowError::Disagreement { .. } => "FOLLOW_PROVIDER_DISAGREEMENT",
            FollowError::FinalizedHeaderMissing { .. } => "FOLLOW_FINALIZED_HEADER_MISSING",
            FollowError::Light(e) => e.code(),
            FollowError::Link(e) => e.code(),
        }
    }
}

impl fmt::Display for FollowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FollowError::Api { what, error } => write!(f, "follow ({what}): {error}"),
            FollowError::Disagreement { answers } => write!(
                f,
                "follow: expected the providers to agree on the finalized checkpoint, got {}",
                answers.join("; ")
            ),
            FollowError::FinalizedHeaderMissing { root } => write!(
                f,
                "follow: expected a header for the finalized root {}, got 404",
                hex0x(root)
            ),
            FollowError::Light(e) => write!(f, "follow (finality update): {e}"),
            FollowError::Link(e) => write!(f, "follow: {e}"),
        }
    }
}

impl std::error::Error for FollowError {}

impl From<LinkError> for FollowError {
    fn from(e: LinkError) -> Self {
        FollowError::Link(e)
    }
}

/// A light-client store of either preset (the preset is a type parameter of the store, but the
/// network, and so the preset, is known only at run time).
#[derive(Clone, Debug)]
pub enum AnyLightStore {
    /// Mainnet preset (mainnet, sepolia, hoodi, holesky).
    Mainnet(LightClientStore<Mainnet>),
    /// Minimal preset (spec tests, local devnets).
    Minimal(LightClientStore<Minimal>),
}

impl AnyLightStore {
    /// The store's finalized beacon header.
    pub fn finalized(&self) -> BeaconBlockHeader {
        match self {
            AnyLightStore::Mainnet(s) => *s.finalized_header.beacon(),
            AnyLightStore::Minimal(s) => *s.finalized_header.beacon(),
        }
    }

    /// The execution block of the finalized header, which the store accepted only after
    /// `is_valid_light_client_header` proved it (see [`crate::execution`]).
    pub fn finalized_execution(&self) -> Option<crate::execution::ExecutionBlock> {
        match self {
            AnyLightStore::Mainnet(s) => {
                crate::execution::from_light_client_header(&s.finalized_header)
            }
            AnyLightStore::Minimal(s) => {
                crate::execution::from_light_client_header(&s.finalized_header)
            }
        }
    }

    /// The sync-committee period of the finalized header.
    pub fn period(&self) -> u64 {
        match self {
            AnyLightStore::Mainnet(s) => s.period(),
            AnyLightStore::Minimal(s) => s.period(),
        }
    }
}

/// Follows finalized headers forward from a tip.
pub struct Follower<'a, A> {
    /// The network.
    pub network: &'a NetworkConfig,
    /// Beacon API providers, in order of preference.
    pub providers: &'a [A],
    /// The current tip (moved only by a successful step).
    pub tip: Tip,
    /// After an [`FollowStep::Advanced`] step: the verified headers from just above the previous
    /// tip up to the new tip, ascending by slot (what `Store::commit_head` persists with the
    /// new tip); empty after any other outcome.
    pub chain: Vec<HeaderRecord>,
    /// The new tip header's `state_root`, after an `Advanced` step.
    pub tip_state_root: Option<Root>,
    /// The new tip's verified execution block, after an `Advanced` step: in the light mode from
    /// the finalized light-client header (see [`AnyLightStore::finalized_execution`]), from
    /// the checkpoints from the tip's block (see [`Follower::follow_checkpoints`]); `None`
    /// otherwise, or when neither proves one.
    pub tip_execution: Option<crate::execution::ExecutionBlock>,
}

impl<'a, A: BeaconApi> Follower<'a, A> {
    /// A follower whose tip is `tip`.
    pub fn new(network: &'a NetworkConfig, providers: &'a [A], tip: Tip) -> Self {
        Follower {
            network,
            providers,
            tip,
            chain: Vec::new(),
            tip_state_root: None,
            tip_execution: None,
        }
    }

    /// One step from the providers' `finality_checkpoints` (the `strict`/`lenient` modes): every
    /// provider that answers must report the same finalized root; its header is then linked back
    /// to the tip before the tip moves.
    pub async fn follow_checkpoints(&mut self) -> Result<FollowStep, FollowError> {
        self.chain.clear();
        self.tip_state_root = None;
        self.tip_execution = None;
        let mut answers: Vec<(String, u64, Root)> = Vec::new();
        let mut last = None;
        for p in self.providers {
            match p.finality_checkpoints("head").await {
                Ok(c) => answers.push((
                    p.base_url().to_string(),
                    c.finalized.epoch,
                    c.finalized.root.0,
                )),
                Err(e) => last = Some(e),
            }
        }
        let Some(&(_, _, root)) = answers.first() else {
            return Err(FollowError::Api {
                what: "finality_checkpoints",
                error: last.unwrap_or_else(no_providers),
            });
        };
        if answers.iter().any(|(_, _, r)| *r != root) {
            return Err(FollowError::Disagreement {
                answers: answers
                    .iter()
                    .map(|(p, e, r)| format!("{p}: {}:{e}", hex0x(r)))
                    .collect(),
            });
        }
        if root == self.tip.root || root == [0u8; 32] {
            return Ok(FollowStep::Unchanged { tip: self.tip });
        }
        let header = self.header_by_root(&root).await?;
        let step = self.advance(&header.header).await?;
        if let FollowStep::Advanced { to, .. } = step {
            self.tip_execution = self.block_execution(to).await;
        }
        Ok(step)
    }

    /// The execution block of the new tip `tip`, from the first provider whose block hashes to
    /// the tip's root (see [`crate::execution::from_signed_block`]); `None` when no provider
    /// serves one, or the block has no payload. The tip moves either way: its header linked by
    /// hash, and its execution block is then absent, never unverified.
    async fn block_execution(&self, tip: Tip) -> Option<crate::execution::ExecutionBlock> {
        let network = self.network;
        first_passing(
            self.providers,
            |p| async move {
                let raw = p.block_ssz(&tip.root).await?;
                crate::execution::from_signed_block(network, &raw, &tip.root, tip.slot)
            },
            stop_on_abort,
        )
        .await
        .ok()
        .flatten()
    }

    /// One step from a light-client finality update (the `light` mode): the update is verified
    /// with `store` (signature, finality branch); a newer finalized header is then linked back to
    /// the tip. An update that is not newer than the store (`LC_NOT_RELEVANT`) teaches nothing,
    /// but a finalized header the store verified earlier and that is still above the tip (its
    /// link failed then) is linked again.
    pub async fn follow_light(
        &mut self,
        store: &mut AnyLightStore,
        current_slot: Slot,
    ) -> Result<FollowStep, FollowError> {
        self.chain.clear();
        self.tip_state_root = None;
        self.tip_execution = None;
        let body = first_passing(
            self.providers,
            |p| p.light_client_finality_update(),
            stop_on_abort,
        )
        .await
        .map_err(|rejected| FollowError::Api {
            what: "light_client/finality_update",
            error: rejected.last().unwrap_or_else(no_providers),
        })?;
        self.follow_light_update(store, &body, current_slot).await
    }

    /// One step from a light-client finality update already in hand (the data of a
    /// `light_client_finality_update` event): verified exactly as [`Follower::follow_light`]
    /// verifies the one it fetches, then linked back to the tip.
    pub async fn follow_light_update(
        &mut self,
        store: &mut AnyLightStore,
        body: &RawBody,
        current_slot: Slot,
    ) -> Result<FollowStep, FollowError> {
        self.chain.clear();
        self.tip_state_root = None;
        self.tip_execution = None;
        let result = match store {
            AnyLightStore::Mainnet(s) => apply_finality::<Mainnet>(
                self.network,
                s,
                &body.body,
                body.consensus_version,
                current_slot,
            ),
            AnyLightStore::Minimal(s) => apply_finality::<Minimal>(
                self.network,
                s,
                &body.body,
                body.consensus_version,
                current_slot,
            ),
        };
        match result {
            Ok(()) => {}
            Err(LightClientError::Update {
                failure: UpdateFailure::NotRelevant { .. },
                ..
            }) => {}
            Err(e) => return Err(FollowError::Light(e)),
        }
        let finalized = store.finalized();
        if finalized.slot <= self.tip.slot {
            return Ok(FollowStep::Unchanged { tip: self.tip });
        }
        let step = self.advance(&finalized).await?;
        if let FollowStep::Advanced { .. } = step {
            self.tip_execution = store.finalized_execution();
        }
        Ok(step)
    }

    /// The header of `root` from the first provider that answers; 404 there is
    /// [`FollowError::FinalizedHeaderMissing`].
    async fn header_by_root(&self, root: &Root) -> Result<HeaderInfo, FollowError> {
        first_passing(self.providers, |p| p.header_by_root(root), stop_on_abort)
            .await
            .map_err(|rejected| FollowError::Api {
                what: "header by root",
                error: rejected.last().unwrap_or_else(no_providers),
            })?
            .ok_or(FollowError::FinalizedHeaderMissing { root: *root })
    }

    /// Links `header` back to the tip, then moves the tip to it.
    async fn advance(&mut self, header: &BeaconBlockHeader) -> Result<FollowStep, FollowError> {
        let root = header.tree_hash_root().0;
        if root == self.tip.root {
            return Ok(FollowStep::Unchanged { tip: self.tip });
        }
        if header.slot <= self.tip.slot {
            // Older finalized news than what we already follow: nothing to do, nothing trusted.
            return Ok(FollowStep::Unchanged { tip: self.tip });
        }
        let below = link_back(
            self.providers,
            header.slot,
            header.parent_root.0,
            self.tip,
            &mut |_| {},
        )
        .await?;
        let linked = below.len() as u64;
        let from = self.tip;
        let mut chain: Vec<HeaderRecord> =
            below.into_iter().filter(|h| h.slot > from.slot).collect();
        chain.push(header_record(header, root));
        crate::store::pack::sort_by_slot(&mut chain);
        self.chain = chain;
        self.tip_state_root = Some(header.state_root.0);
        self.tip = Tip {
            slot: header.slot,
            root,
        };
        Ok(FollowStep::Advanced {
            from,
            to: self.tip,
            linked,
        })
    }
}

fn apply_finality<P: Preset>(
    network: &NetworkConfig,
    store: &mut LightClientStore<P>,
    body: &[u8],
    fork: Option<crate::types::ForkName>,
    current_slot: Slot,
) -> Result<(), LightClientError> {
    let update = parse_finality_update::<P>(network, body, fork)?;
    process_light_client_finality_update(network, store, &update, current_slot)
}
