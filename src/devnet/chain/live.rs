//! A chain that keeps growing in real time, one slot per `SECONDS_PER_SLOT`, and finalizes as a
//! healthy network does (justified one epoch, finalized two epochs behind the head).
//!
//! A client's follow loop, event-stream subscription and stale-anchor handling can only be
//! tested against a chain that moves. The live chain is the generator of [`super`] run one slot
//! at a time: slot N+1 is generated from what slot N left (latest block root, execution block
//! hash, roots of every earlier slot, historical summaries), never by regenerating the chain.
//! What differs from a one-shot chain, because the future is unknown when a slot is made:
//!
//! - every epoch-boundary state is built in full (each becomes the finalized checkpoint state
//!   two epochs later), and every block's post-state has known field roots (each becomes the
//!   attested block of the next light-client update);
//! - from Gloas on (`--fork gloas`, or a Fulu chain with `gloas_epoch`) a node serves the
//!   checkpoint block's own post-state instead, so that is the state built in full: which block
//!   is an epoch's checkpoint block is known when it is made, because the empty-slot roll is
//!   seeded (see `Generator::live_checkpoint_epoch`); its payload is revealed unless
//!   `withhold_checkpoint_payload`, other payloads are withheld by the same roll as a one-shot
//!   chain's;
//! - each new block carries the sync aggregate over its parent, so the finality and optimistic
//!   updates follow the head; the running period's update is the latest pair of blocks inside
//!   the period, and is final once the period ends;
//! - memory stays bounded: full states are kept for genesis, the first finalized checkpoint (an
//!   old anchor a stale-anchor test can use) and the last [`RETAINED_CHECKPOINT_STATES`]
//!   boundaries, as a pruning node keeps its recent checkpoint states; the generator's working
//!   set (blocks, field roots) is pruned behind the finalized checkpoint. Headers, blocks and
//!   state roots stay servable, as a node's block database does.
//!
//! Genesis is `--genesis-time` or "now minus `--slots` slots"; the history up to the wall
//! clock's slot is generated first (blocks signed in parallel batches), then [`LiveChain::advance`]
//! makes one slot at a time. Each step returns the events a beacon node would publish on
//! `/eth/v1/events`.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{
    chain_fork, require, seconds_per_slot, unknown_preset, ChainError, ChainOptions, Generator,
    SlotKind,
};
use crate::devnet::data::{hex0x, ChainData, Root};
use crate::types::{ForkName, Mainnet, Minimal, Preset};

/// `GENESIS_DELAY` served by a live chain, seconds.
pub const GENESIS_DELAY: u64 = 300;
/// Seconds between `MIN_GENESIS_TIME` and the eth1 block that triggered genesis, so that the
/// served `MIN_GENESIS_TIME + GENESIS_DELAY` differs from the genesis time, as on real networks.
pub const ETH1_GENESIS_WAIT: u64 = 1234;
/// Epoch-boundary states kept besides genesis and the first finalized checkpoint: enough for the
/// head's justified and finalized checkpoints, the light-client finalized checkpoint, and
/// anchors a client took a few epochs ago.
pub const RETAINED_CHECKPOINT_STATES: usize = 16;
/// During history generation, blocks are signed (in parallel) and published every this many
/// slots; the generator's working set is pruned at the same time.
const HISTORY_BATCH_SLOTS: u64 = 256;

/// One server-sent event: topic and the `data` JSON of the beacon-APIs event stream.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveEvent {
    pub topic: &'static str,
    pub data: serde_json::Value,
}

/// The preset-specific live generator behind [`LiveChain`].
trait Advance: Send {
    fn snapshot(&self) -> Arc<ChainData>;
    fn head_slot(&self) -> u64;
    fn advance(&mut self) -> Result<Vec<LiveEvent>, ChainError>;
}

/// A growing chain: its current snapshot and the means to make the next slot.
pub struct LiveChain {
    inner: Box<dyn Advance>,
    genesis_time: u64,
    seconds_per_slot: u64,
}

impl LiveChain {
    /// Generates the chain `opts` describes from genesis up to the slot of `now` (unix seconds).
    /// Without `opts.genesis_time`, genesis is `opts.slots` slots before `now`.
    pub fn start(opts: &ChainOptions, now: u64) -> Result<LiveChain, ChainError> {
        let fork = chain_fork(opts)?;
        match opts.preset.as_str() {
            "mainnet" => Self::start_with::<Mainnet>(opts, fork, now),
            "minimal" => Self::start_with::<Minimal>(opts, fork, now),
            other => Err(unknown_preset(other)),
        }
    }

    fn start_with<P: Preset>(
        opts: &ChainOptions,
        fork: ForkName,
        now: u64,
    ) -> Result<LiveChain, ChainError> {
        let sps = opts.seconds_per_slot.unwrap_or_else(seconds_per_slot::<P>);
        let genesis_time = opts
            .genesis_time
            .unwrap_or_else(|| now.saturating_sub(opts.slots.saturating_mul(sps.max(1))));
        require(
            genesis_time <= now,
            "genesis-time",
            format!("a time in the past for a live chain (now is {now})"),
            genesis_time,
        )?;
        let mut o = opts.clone();
        o.genesis_time = Some(genesis_time);
        o.slots = (now - genesis_time) / sps.max(1);
        let live = Live::<P>::new(&o, fork)?;
        Ok(LiveChain {
            inner: Box::new(live),
            genesis_time,
            seconds_per_slot: sps,
        })
    }

    /// What providers serve now.
    pub fn snapshot(&self) -> Arc<ChainData> {
        self.inner.snapshot()
    }

    /// The latest generated slot (the head state's slot; its block may be earlier).
    pub fn head_slot(&self) -> u64 {
        self.inner.head_slot()
    }

    pub fn genesis_time(&self) -> u64 {
        self.genesis_time
    }

    pub fn seconds_per_slot(&self) -> u64 {
        self.seconds_per_slot
    }

    /// Unix time (seconds) at which `slot` starts.
    pub fn slot_start(&self, slot: u64) -> u64 {
        self.genesis_time + slot * self.seconds_per_slot
    }

    /// Generates the next slot and returns the events it caused.
    pub fn advance(&mut self) -> Result<Vec<LiveEvent>, ChainError> {
        self.inner.advance()
    }
}

/// A retained checkpoint state: boundary slot, state root, bootstrap block root.
#[derive(Clone, Copy)]
struct Retained {
    state_root: Root,
    bootstrap: Option<Root>,
}

struct Live<P: Preset> {
    gen: Generator<P>,
    chain: ChainData,
    snapshot: Arc<ChainData>,
    head: u64,
    /// Next slot whose blocks are yet to be signed and published.
    unpublished: u64,
    /// Boundary states served besides the pinned ones, oldest first.
    retained: VecDeque<Retained>,
    /// Boundary epochs before this one are not built in full during the history (they would be
    /// pruned at once), except the pinned ones.
    serve_from_epoch: u64,
    /// Finalized header slot of the latest finality update (its event fires when it moves).
    lc_finalized_slot: Option<u64>,
}

impl<P: Preset> Live<P> {
    fn new(opts: &ChainOptions, fork: ForkName) -> Result<Self, ChainError> {
        let started = std::time::Instant::now();
        let mut gen = Generator::<P>::new(opts, fork)?;
        gen.live = true;
        gen.keys();
        gen.registry()?;
        let chain = gen.chain_base();
        let head = opts.slots;
        let spe = gen.spe();
        let mut live = Live {
            chain,
            snapshot: Arc::new(ChainData::default()),
            head: 0,
            unpublished: 0,
            retained: VecDeque::new(),
            serve_from_epoch: (head / spe).saturating_sub(RETAINED_CHECKPOINT_STATES as u64),
            lc_finalized_slot: None,
            gen,
        };
        for slot in 0..=head {
            live.step(slot, true)?;
            if slot % HISTORY_BATCH_SLOTS == 0 {
                live.flush();
            }
        }
        // The head's light-client data, as the last history block left it.
        let last_two: Vec<u64> = live.gen.blocks.keys().rev().take(2).copied().collect();
        if let [sig, att] = last_two[..] {
            live.light_client(att, sig)?;
        }
        live.flush();
        live.chain.timings = vec![(
            format!("history of {} slots", head + 1),
            started.elapsed().as_secs_f64(),
        )];
        live.chain.label = format!(
            "live {} {} seed={} validators={} seconds_per_slot={} genesis_time={}",
            live.gen.fork_label(),
            P::NAME.as_str(),
            live.gen.seed,
            live.gen.n,
            live.gen.sps,
            live.gen.genesis_time,
        );
        live.snapshot = Arc::new(live.chain.clone());
        Ok(live)
    }

    /// Whether the served state of checkpoint `epoch` is kept for good: genesis and the first
    /// finalized checkpoint, old anchors a test may keep using.
    fn is_pinned(epoch: u64) -> bool {
        epoch <= 1
    }

    /// The checkpoint epoch whose served state `slot` makes, if any. Before Gloas, an
    /// epoch-boundary slot (its state is built even when the slot is empty: `process_slots`);
    /// from Gloas on, the checkpoint block, whose own post-state a Gloas node serves,
    /// unadvanced (see [`Generator::live_checkpoint_epoch`]).
    fn served_epoch(&self, slot: u64, block: bool) -> Option<u64> {
        let spe = self.gen.spe();
        let gloas = |epoch: u64| self.gen.fork_at(epoch * spe) == ForkName::Gloas;
        let of_block = block
            .then(|| self.gen.live_checkpoint_epoch(slot))
            .flatten()
            .filter(|&e| gloas(e));
        let boundary = (slot.is_multiple_of(spe) && !gloas(slot / spe)).then_some(slot / spe);
        of_block.or(boundary)
    }

    /// Generates `slot` and records it in the working snapshot; in `history` no events are
    /// made and light-client data only where it outlives the history (period updates).
    fn step(&mut self, slot: u64, history: bool) -> Result<Vec<LiveEvent>, ChainError> {
        let spe = self.gen.spe();
        let prev_head_block = self.gen.blocks.keys().next_back().copied();
        let block = !self.gen.is_empty(slot, u64::MAX);
        let served = self
            .served_epoch(slot, block)
            .filter(|&e| Self::is_pinned(e) || !history || e >= self.serve_from_epoch);
        let kind = SlotKind {
            block,
            served: served.is_some(),
            synthetic: true,
            take_registry: false,
        };
        let old_finalized = self.chain.checkpoints.finalized;
        if let (Some(bytes), Some(epoch)) = (self.gen.gen_slot(slot, kind)?, served) {
            self.serve_state(slot, epoch, bytes)?;
        }
        self.head = slot;
        self.chain
            .state_roots
            .insert(slot, self.gen.state_roots[slot as usize]);
        self.chain.head_slot = Some(slot);
        self.chain.checkpoints = self.gen.checkpoints_at(slot);
        if slot == 0 {
            self.chain.genesis_block_root = self.gen.blocks.get(&0).map(|b| b.root);
        }
        let spp = self.gen.slots_per_period();
        if history {
            // A period just ended: its update is its last pair of blocks.
            if slot > 0 && slot.is_multiple_of(spp) {
                let ended = slot / spp - 1;
                let pair: Vec<u64> = self
                    .gen
                    .blocks
                    .range(ended * spp..slot)
                    .rev()
                    .take(2)
                    .map(|(s, _)| *s)
                    .collect();
                if let [sig, att] = pair[..] {
                    if att / spe >= 3 {
                        if let Some(u) = self.gen.lc_updates(att, sig)? {
                            self.chain.updates.insert(u.period, u.update);
                        }
                    }
                }
            }
            return Ok(Vec::new());
        }
        let mut events = Vec::new();
        if kind.block {
            events.extend(self.head_events(slot, prev_head_block));
        }
        let fin = self.chain.checkpoints.finalized;
        if fin != old_finalized && fin.root != [0; 32] {
            // The state a node serves as `finalized`: the boundary state, or from Gloas on the
            // checkpoint block's post-state.
            let state = match self.chain.header_by_root(&fin.root) {
                Some((h, _)) if self.gen.fork_at(fin.epoch * spe) == ForkName::Gloas => {
                    h.state_root
                }
                _ => self.gen.state_roots[(fin.epoch * spe) as usize],
            };
            events.push(LiveEvent {
                topic: "finalized_checkpoint",
                data: serde_json::json!({
                    "block": hex0x(fin.root),
                    "state": hex0x(state),
                    "epoch": fin.epoch.to_string(),
                    "execution_optimistic": false,
                }),
            });
        }
        if let (true, Some(att)) = (kind.block, prev_head_block) {
            events.extend(self.light_client(att, slot)?);
        }
        self.flush();
        self.snapshot = Arc::new(self.chain.clone());
        Ok(events)
    }

    /// `head` and `block` events for the new head block at `slot`.
    fn head_events(&self, slot: u64, prev_head: Option<u64>) -> Vec<LiveEvent> {
        let spe = self.gen.spe();
        let epoch = slot / spe;
        let root = self.gen.block_roots[slot as usize];
        let genesis_root = self.gen.block_roots[0];
        // get_block_root_at_slot(state, compute_start_slot_at_epoch(e) - 1), genesis on underflow.
        let dependent = |e: Option<u64>| match e.and_then(|e| (e * spe).checked_sub(1)) {
            Some(s) => self.gen.block_roots[s as usize],
            None => genesis_root,
        };
        vec![
            LiveEvent {
                topic: "head",
                data: serde_json::json!({
                    "slot": slot.to_string(),
                    "block": hex0x(root),
                    "state": hex0x(self.gen.state_roots[slot as usize]),
                    "epoch_transition": prev_head.is_none_or(|p| p / spe < epoch),
                    "previous_duty_dependent_root": hex0x(dependent(epoch.checked_sub(1))),
                    "current_duty_dependent_root": hex0x(dependent(Some(epoch))),
                    "execution_optimistic": false,
                }),
            },
            LiveEvent {
                topic: "block",
                data: serde_json::json!({
                    "slot": slot.to_string(),
                    "block": hex0x(root),
                    "execution_optimistic": false,
                }),
            },
        ]
    }

    /// The light-client data of the block at `sig` signing its parent at `att`: the finality
    /// and optimistic updates, and the running period's update when both are in one period.
    fn light_client(&mut self, att: u64, sig: u64) -> Result<Vec<LiveEvent>, ChainError> {
        if att / self.gen.spe() < 3 {
            return Ok(Vec::new());
        }
        let Some(u) = self.gen.lc_updates(att, sig)? else {
            return Ok(Vec::new());
        };
        if self.gen.period(sig) == u.period {
            self.chain.updates.insert(u.period, u.update);
        }
        let event = |topic, obj: &crate::devnet::data::LcObject| LiveEvent {
            topic,
            data: serde_json::json!({ "version": obj.fork, "data": obj.honest.json }),
        };
        let mut events = vec![event("light_client_optimistic_update", &u.optimistic)];
        let fin_slot = u.finality.honest.json["finalized_header"]["beacon"]["slot"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok());
        if fin_slot > self.lc_finalized_slot {
            self.lc_finalized_slot = fin_slot;
            events.push(event("light_client_finality_update", &u.finality));
        }
        self.chain.finality_update = Some(u.finality);
        self.chain.optimistic_update = Some(u.optimistic);
        Ok(events)
    }

    /// Serves the state of checkpoint `epoch` built at `slot` (the boundary's, or a Gloas
    /// checkpoint block's) and its checkpoint block's bootstrap; drops the oldest retained one
    /// beyond [`RETAINED_CHECKPOINT_STATES`].
    fn serve_state(&mut self, slot: u64, epoch: u64, bytes: Vec<u8>) -> Result<(), ChainError> {
        let (state_root, entry) = self.gen.state_entry(slot, Arc::new(bytes))?;
        self.chain.states.insert(state_root, entry);
        // The checkpoint block: the boundary's own, or the last one before an empty boundary.
        let block_slot = self.gen.blocks.range(..=slot).next_back().map(|(s, _)| *s);
        let mut bootstrap = None;
        if let Some(bs) = block_slot {
            if let Some((root, obj)) = self.gen.bootstrap(bs)? {
                self.chain.bootstraps.insert(root, obj);
                bootstrap = Some(root);
            }
        }
        if Self::is_pinned(epoch) {
            return Ok(());
        }
        self.retained.push_back(Retained {
            state_root,
            bootstrap,
        });
        while self.retained.len() > RETAINED_CHECKPOINT_STATES {
            let Some(old) = self.retained.pop_front() else {
                break;
            };
            self.chain.states.remove(&old.state_root);
            let still_used = |r: &Root| {
                self.retained.iter().any(|k| k.bootstrap == Some(*r)) || self.pinned_bootstrap(r)
            };
            if let Some(r) = old.bootstrap.filter(|r| !still_used(r)) {
                self.chain.bootstraps.remove(&r);
            }
        }
        Ok(())
    }

    /// Whether `root` is the bootstrap of a pinned state (genesis or the first checkpoint).
    fn pinned_bootstrap(&self, root: &Root) -> bool {
        let spe = self.gen.spe() as usize;
        [0, spe]
            .iter()
            .any(|&s| self.gen.block_roots.get(s) == Some(root))
    }

    /// Signs the new blocks, publishes them and prunes the generator's working set behind the
    /// finalized checkpoint (keeping the last block before it, which the next light-client
    /// update's finalized header may be).
    fn flush(&mut self) {
        self.gen.sign_blocks();
        for slot in self.unpublished..=self.head {
            self.gen.publish_block(&mut self.chain, slot, true);
            self.gen.publish_block(&mut self.chain, slot, false);
        }
        self.unpublished = self.head + 1;
        let spe = self.gen.spe();
        let cut = self.chain.checkpoints.finalized.epoch.saturating_sub(1) * spe;
        let keep_from = self
            .gen
            .blocks
            .range(..cut)
            .next_back()
            .map_or(cut, |(s, _)| *s);
        self.gen.blocks = self.gen.blocks.split_off(&keep_from);
        self.gen.orphans = self.gen.orphans.split_off(&cut);
        self.gen.known.retain(|s, _| *s >= keep_from);
    }
}

impl<P: Preset> Advance for Live<P> {
    fn snapshot(&self) -> Arc<ChainData> {
        self.snapshot.clone()
    }

    fn head_slot(&self) -> u64 {
        self.head
    }

    fn advance(&mut self) -> Result<Vec<LiveEvent>, ChainError> {
        self.step(self.head + 1, false)
    }
}
