#![cfg(not(target_arch = "wasm32"))]
//! Following forward and the light rebuild's storage, against the devnet over real HTTP.
//!
//! - Following is persistent: each step that moves the tip stores the new head with the headers
//!   linking it to the previous tip, and a new overseer on the same store resumes from it.
//! - The follow loop: the devnet's head is static, so a provider wrapper moves its reported
//!   finalized checkpoint (first to an older canonical block, then to the devnet's finalized
//!   one) and once to a forged header that does not descend from the tip; the loop must move,
//!   stay, and refuse without changing the tip or the store.
//! - The light rebuild stores every header from the old anchor to the new one with the new
//!   anchor, falls back to the next provider when one serves forged updates or a broken header
//!   chain (reporting it), and names each provider's failure when all of them fail.
//!
//! The chain: minimal preset, 255 slots, 512 validators (see `overseer_devnet.rs`); the old anchor
//! is the genesis block.

mod devnet_common;

use std::cell::{Cell, RefCell};

use beacon_lightsync::beacon_api::{
    ApiError, BeaconApi, FinalityCheckpoints, HeaderInfo, HttpBeaconApi, UreqTransport,
};
use beacon_lightsync::checkpoint::LongRange;
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::Ctx;
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::Devnet;
use beacon_lightsync::event::{Event, ExecutionSource};
use beacon_lightsync::longrange::follow::{FollowError, FollowStep, LinkError};
use beacon_lightsync::longrange::rebuild::{RebuildError, Step};
use beacon_lightsync::longrange::{Mode, Overseer, OverseerError, Started};
use beacon_lightsync::store::{
    AnchorRecord, ExecutionBlock, HeadSource, MemoryStore, Store, StoreDump,
};
use beacon_lightsync::types::phase0::{BeaconBlockHeader, Checkpoint};
use beacon_lightsync::types::B256;
use beacon_lightsync::ws::FixedClock;
use devnet_common::{
    apis, epoch_clock, forward_beacon_api, genesis_anchor, network, start_devnet, Recorder,
};
use futures::executor::block_on;
use tree_hash::TreeHash;

const VALIDATORS: u64 = 512;
const SLOTS: u64 = 255;
const PROVIDER_TIMEOUT_MS: u64 = 10_000;

fn start(providers: usize) -> Devnet {
    start_devnet(
        providers,
        ChainOptions {
            validators: VALIDATORS,
            slots: SLOTS,
            seed: 7,
            ..ChainOptions::default()
        },
    )
}

fn overseer<'a, A: BeaconApi>(
    net: &'a NetworkConfig,
    providers: &'a [A],
    store: &'a MemoryStore,
    clock: &'a FixedClock,
    hooks: &'a Recorder,
    long_range: LongRange,
) -> Overseer<'a, A, MemoryStore, FixedClock, Recorder> {
    Overseer {
        ctx: Ctx {
            network: net,
            providers,
            store,
            clock,
        },
        env: hooks,
        long_range,
    }
}

/// `(slot, root)` of the devnet's canonical blocks with `lo <= slot <= hi`.
fn canonical(devnet: &Devnet, lo: u64, hi: u64) -> Vec<(u64, [u8; 32])> {
    devnet
        .chain()
        .headers
        .range(lo..=hi)
        .map(|(s, e)| (*s, e.root))
        .collect()
}

fn stored(dump: &StoreDump) -> Vec<(u64, [u8; 32])> {
    dump.headers.iter().map(|h| (h.slot, h.root)).collect()
}

/// The stored headers form one parent-root chain.
fn assert_linked(dump: &StoreDump) {
    for pair in dump.headers.windows(2) {
        assert_eq!(
            pair[1].parent_root(),
            pair[0].root,
            "slot {} links to slot {}",
            pair[1].slot,
            pair[0].slot
        );
    }
}

/// A devnet provider whose `finality_checkpoints` reports a finalized block chosen by the test,
/// and which also serves one forged header by root.
struct MovingFinality {
    inner: HttpBeaconApi<UreqTransport>,
    finalized: Cell<([u8; 32], u64)>,
    forged: RefCell<Option<HeaderInfo>>,
}

impl BeaconApi for MovingFinality {
    forward_beacon_api!(
        inner: base_url,
        genesis,
        spec,
        headers_by_slots,
        state_ssz,
        block_ssz,
        light_client_bootstrap,
        light_client_updates,
        light_client_finality_update,
    );
    async fn header(&self, block_id: &str) -> Result<Option<HeaderInfo>, ApiError> {
        if let Some(f) = self.forged.borrow().as_ref() {
            if block_id == format!("0x{}", hex::encode(f.root)) {
                return Ok(Some(f.clone()));
            }
        }
        self.inner.header(block_id).await
    }
    async fn finality_checkpoints(&self, id: &str) -> Result<FinalityCheckpoints, ApiError> {
        let mut c = self.inner.finality_checkpoints(id).await?;
        let (root, epoch) = self.finalized.get();
        c.finalized = Checkpoint {
            epoch,
            root: B256::from(root),
        };
        Ok(c)
    }
}

/// The execution block in the JSON form of the devnet's block `root` (an encoding path apart
/// from the SSZ bytes the follower decodes).
fn served_payload(devnet: &Devnet, root: &[u8; 32]) -> ExecutionBlock {
    let chain = devnet.chain();
    let json = chain.blocks[root]
        .json
        .as_ref()
        .expect("the block's JSON form");
    let p = &json["message"]["body"]["execution_payload"];
    let hash = |k: &str| {
        let mut out = [0u8; 32];
        hex::decode_to_slice(p[k].as_str().unwrap().trim_start_matches("0x"), &mut out).unwrap();
        out
    };
    let number = |k: &str| p[k].as_str().unwrap().parse::<u64>().unwrap();
    ExecutionBlock {
        block_hash: hash("block_hash"),
        block_number: number("block_number"),
        state_root: hash("state_root"),
        receipts_root: hash("receipts_root"),
        timestamp: number("timestamp"),
    }
}

/// A devnet provider that, when it `lies`, answers every block request with the block of the
/// asked block's parent: a real block, of another root.
struct WrongBlock {
    inner: HttpBeaconApi<UreqTransport>,
    lies: bool,
}

impl BeaconApi for WrongBlock {
    forward_beacon_api!(
        inner: base_url,
        genesis,
        spec,
        header,
        headers_by_slots,
        finality_checkpoints,
        state_ssz,
        light_client_bootstrap,
        light_client_updates,
        light_client_finality_update,
    );
    async fn block_ssz(
        &self,
        root: &[u8; 32],
    ) -> Result<beacon_lightsync::beacon_api::RawBody, ApiError> {
        if !self.lies {
            return self.inner.block_ssz(root).await;
        }
        let header = self
            .inner
            .header_by_root(root)
            .await?
            .expect("a known block");
        self.inner.block_ssz(&header.header.parent_root.0).await
    }
}

#[test]
fn the_tip_execution_is_taken_only_from_a_block_that_hashes_to_the_tip() {
    let devnet = start(2);
    let net = network(&devnet);
    let finalized = devnet.chain().checkpoints.finalized;
    let providers: Vec<WrongBlock> = apis(&devnet, PROVIDER_TIMEOUT_MS)
        .into_iter()
        .enumerate()
        .map(|(i, inner)| WrongBlock {
            inner,
            lies: i == 0,
        })
        .collect();
    let follow = |providers: &[WrongBlock]| {
        let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
        let clock = epoch_clock(&net, anchor.ws_period_epochs);
        let hooks = Recorder::default();
        let started =
            block_on(overseer(&net, providers, &store, &clock, &hooks, LongRange::Strict).start())
                .unwrap();
        assert_eq!(started.following.tip.root, finalized.root);
        block_on(store.dump())
            .unwrap()
            .head
            .expect("a head")
            .execution
    };
    // Alone, the lying provider moves the tip (its header links) but proves no execution block.
    assert_eq!(follow(&providers[..1]), None);
    // Before an honest one, the honest block is the one taken.
    assert_eq!(
        follow(&providers),
        Some(served_payload(&devnet, &finalized.root))
    );
}

#[test]
fn the_followed_tip_is_stored_with_its_chain_and_a_reload_resumes_from_it() {
    let devnet = start(2);
    let net = network(&devnet);
    let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let clock = epoch_clock(&net, anchor.ws_period_epochs);
    let providers = apis(&devnet, PROVIDER_TIMEOUT_MS);
    let hooks = Recorder::default();
    let started =
        block_on(overseer(&net, &providers, &store, &clock, &hooks, LongRange::Strict).start())
            .unwrap();
    let finalized = devnet.chain().checkpoints.finalized;
    let (fslot, _) = *canonical(&devnet, 0, SLOTS)
        .iter()
        .find(|(_, r)| *r == finalized.root)
        .expect("finalized block is canonical");
    assert!(matches!(started.follow, FollowStep::Advanced { .. }));
    assert_eq!(started.following.tip.root, finalized.root);

    let dump = block_on(store.dump()).unwrap();
    let head = dump.head.expect("a stored head");
    assert_eq!(
        (head.slot, head.block_root, head.anchor_root, head.source),
        (
            fslot,
            finalized.root,
            anchor.block_root,
            HeadSource::Checkpoints
        )
    );
    let tip_header = dump.headers.last().expect("headers");
    assert_eq!(head.state_root, tip_header.state_root());
    // The tip's execution block, proven by its block: the payload the devnet's block of that
    // root carries (read from its JSON form), stored with the head and announced once.
    let execution = head.execution.expect("the tip's execution block");
    assert_eq!(execution, served_payload(&devnet, &finalized.root));
    let announced: Vec<_> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Execution {
                source: ExecutionSource::Tip,
                block_root,
                execution,
                ..
            } => Some((*block_root, *execution)),
            _ => None,
        })
        .collect();
    assert_eq!(announced, vec![(finalized.root, execution)]);
    // Every canonical block above the anchor's (slot 0) up to the tip, and nothing else.
    assert_eq!(stored(&dump), canonical(&devnet, 1, fslot));
    assert_linked(&dump);
    assert_eq!(dump.headers[0].parent_root(), anchor.block_root);

    // A reload: a new overseer on the same store resumes from the stored tip; finality has not
    // moved, so the step finds nothing new (from the anchor it would have advanced again).
    let again = block_on(
        overseer(
            &net,
            &providers,
            &store,
            &clock,
            &Recorder::default(),
            LongRange::Strict,
        )
        .start(),
    )
    .unwrap();
    assert_eq!(again.decision.mode, Mode::Follow);
    assert_eq!(
        again.follow,
        FollowStep::Unchanged {
            tip: started.following.tip
        }
    );
    assert_eq!(block_on(store.dump()).unwrap(), dump);
}

#[test]
fn the_follow_loop_moves_stays_and_refuses_a_block_that_does_not_link() {
    let devnet = start(1);
    let net = network(&devnet);
    let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let clock = epoch_clock(&net, anchor.ws_period_epochs);
    let finalized = devnet.chain().checkpoints.finalized;
    let blocks = canonical(&devnet, 1, SLOTS);
    let (mid_slot, mid_root) = *blocks.iter().rev().find(|(s, _)| *s <= 100).unwrap();
    let provider = MovingFinality {
        inner: apis(&devnet, PROVIDER_TIMEOUT_MS).remove(0),
        finalized: Cell::new((mid_root, mid_slot / net.slots_per_epoch())),
        forged: RefCell::new(None),
    };
    let providers = [provider];
    let hooks = Recorder::default();
    let o = overseer(&net, &providers, &store, &clock, &hooks, LongRange::Strict);

    // Moved: anchor -> the older finalized block.
    let Started { mut following, .. } = block_on(o.start()).unwrap();
    assert_eq!(following.tip.root, mid_root);
    let at_mid = block_on(store.dump()).unwrap();
    assert_eq!(stored(&at_mid), canonical(&devnet, 1, mid_slot));

    // Nothing new: the same finalized block again.
    let step = block_on(o.follow_step(&mut following)).unwrap();
    assert_eq!(step, FollowStep::Unchanged { tip: following.tip });
    assert_eq!(block_on(store.dump()).unwrap(), at_mid);

    // Does not link: a forged block above the tip whose parent is on no chain the provider
    // serves. Typed error, tip and store unchanged.
    let forged = BeaconBlockHeader {
        slot: mid_slot + 50,
        proposer_index: 3,
        parent_root: B256::from([0x77; 32]),
        state_root: B256::from([0x88; 32]),
        body_root: B256::from([0x99; 32]),
    };
    let forged_root = forged.tree_hash_root().0;
    *providers[0].forged.borrow_mut() = Some(HeaderInfo {
        root: forged_root,
        canonical: true,
        header: forged,
        signature: [0; 96],
    });
    providers[0].finalized.set((forged_root, 0));
    let tip_before = following.tip;
    let err = block_on(o.follow_step(&mut following)).unwrap_err();
    match &err {
        OverseerError::Follow(FollowError::Link(LinkError::Broken { tip, from_slot, .. })) => {
            assert_eq!((*tip, *from_slot), (tip_before, mid_slot + 50));
        }
        other => panic!("expected a broken link, got {other:?}"),
    }
    assert_eq!(err.code(), "HASH_CHAIN_BROKEN");
    assert_eq!(following.tip, tip_before);
    assert_eq!(block_on(store.dump()).unwrap(), at_mid);

    // Moved again: the devnet's finalized block, linked back to the stored tip (not the anchor).
    providers[0]
        .finalized
        .set((finalized.root, finalized.epoch));
    let step = block_on(o.follow_step(&mut following)).unwrap();
    let (fslot, _) = *blocks.iter().find(|(_, r)| *r == finalized.root).unwrap();
    match step {
        FollowStep::Advanced { from, to, linked } => {
            assert_eq!(from, tip_before);
            assert_eq!((to.slot, to.root), (fslot, finalized.root));
            // The blocks strictly between the two tips, plus the old tip's own header.
            assert_eq!(linked, canonical(&devnet, mid_slot, fslot - 1).len() as u64);
        }
        other => panic!("expected the tip to advance, got {other:?}"),
    }
    let dump = block_on(store.dump()).unwrap();
    assert_eq!(stored(&dump), canonical(&devnet, 1, fslot));
    assert_linked(&dump);
    assert_eq!(dump.head.map(|h| h.block_root), Some(finalized.root));
    let followed = hooks
        .events
        .borrow()
        .iter()
        .filter(|e| matches!(e, Event::Followed(_)))
        .count();
    // start's step, "nothing new", and the last move (a failed step reports no `Followed`).
    assert_eq!(followed, 3);
}

/// The old anchor's stale clock.
fn stale(net: &NetworkConfig, anchor: &AnchorRecord) -> FixedClock {
    epoch_clock(net, anchor.epoch + anchor.ws_period_epochs + 1)
}

#[test]
fn the_rebuild_stores_the_whole_chain_and_skips_a_lying_provider() {
    let devnet = start(2);
    let net = network(&devnet);
    let (store, old) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    // Provider 0 forges update signatures and breaks the header chain; provider 1 is honest.
    for fault in [
        "bad-lc-signature,path=/eth/v1/beacon/light_client/updates",
        "broken-parent,path=/eth/v1/beacon/headers/*,slots=100-120",
    ] {
        devnet.add_fault(0, FaultRule::parse(fault).expect("fault parses"));
    }
    let providers = apis(&devnet, PROVIDER_TIMEOUT_MS);
    let clock = stale(&net, &old);
    let hooks = Recorder::default();
    let o = overseer(&net, &providers, &store, &clock, &hooks, LongRange::Light);
    let Started {
        anchor: new,
        rebuilt,
        mut following,
        ..
    } = block_on(o.start()).expect("the honest provider carries the rebuild");
    let rebuilt = rebuilt.expect("rebuilt");
    assert_eq!(new.block_root, devnet.chain().checkpoints.finalized.root);

    // The bad provider was reported at each step it failed, with what did not verify.
    let bad = providers[0].base_url().to_string();
    let rejected: Vec<(Step, Option<u64>, &'static str)> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::ProviderRejected {
                step,
                period,
                provider,
                code,
                ..
            } if *provider == bad => Some((*step, *period, *code)),
            _ => None,
        })
        .collect();
    assert!(
        rejected.contains(&(Step::Updates, Some(0), "LC_SIGNATURE")),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|(s, _, c)| *s == Step::Headers && *c == "HASH_CHAIN_BROKEN"),
        "{rejected:?}"
    );

    // The store holds the chain from the old anchor's block (slot 0) to the new anchor's,
    // gapless, with the backfill cursor at the old anchor and the new anchor's block as head.
    let dump = block_on(store.dump()).unwrap();
    let block_slot = rebuilt.head.slot;
    assert_eq!(stored(&dump), canonical(&devnet, 0, block_slot));
    assert_linked(&dump);
    assert_eq!(dump.headers[0].root, old.block_root);
    assert_eq!(dump.headers.last().unwrap().root, new.block_root);
    assert_eq!(rebuilt.headers_stored, dump.headers.len() as u64);
    let cursor = dump.meta.backfill_cursor.expect("cursor");
    assert_eq!(
        (cursor.oldest_slot, cursor.oldest_root, cursor.target_slot),
        (0, old.block_root, 0)
    );
    let head = dump.head.expect("head");
    assert_eq!(
        (head.block_root, head.anchor_root, head.source),
        (new.block_root, new.block_root, HeadSource::FinalityUpdate)
    );

    // The new anchor (and the head, its block) carry the execution block of its verified state:
    // the payload of that very block, as the devnet serves it; announced once stored.
    let execution = new
        .execution
        .expect("a post-merge anchor has an execution block");
    let block = devnet_common::get(
        &devnet.urls()[1],
        &format!("/eth/v2/beacon/blocks/0x{}", hex::encode(new.block_root)),
        None,
    )
    .json();
    let payload = &block["data"]["message"]["body"]["execution_payload"];
    assert_eq!(
        format!("0x{}", hex::encode(execution.block_hash)),
        payload["block_hash"].as_str().unwrap()
    );
    assert_eq!(
        execution.block_number.to_string(),
        payload["block_number"].as_str().unwrap()
    );
    assert_eq!(head.execution, Some(execution));
    assert!(hooks.events.borrow().iter().any(|e| matches!(
        e,
        Event::Execution { execution: x, block_root, .. } if *x == execution && *block_root == new.block_root
    )));

    // Following continues with the light client: no newer finality update, nothing moves.
    assert!(following.light.is_some());
    let step = block_on(o.follow_step(&mut following)).unwrap();
    assert!(matches!(step, FollowStep::Unchanged { .. }), "{step:?}");
}

#[test]
fn when_every_provider_fails_a_step_each_failure_is_named() {
    let devnet = start(2);
    let net = network(&devnet);
    let (store, old) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let before = block_on(store.dump()).unwrap();
    for p in 0..2 {
        devnet.add_fault(
            p,
            FaultRule::parse("bad-lc-signature,path=/eth/v1/beacon/light_client/updates").unwrap(),
        );
    }
    let providers = apis(&devnet, PROVIDER_TIMEOUT_MS);
    let clock = stale(&net, &old);
    let hooks = Recorder::default();
    let err =
        block_on(overseer(&net, &providers, &store, &clock, &hooks, LongRange::Light).start())
            .unwrap_err();
    let OverseerError::Rebuild(e) = err else {
        panic!("expected a rebuild error, got {err:?}");
    };
    assert_eq!((e.step(), e.period()), (Step::Updates, Some(0)));
    assert_eq!(e.code(), "REBUILD_ALL_PROVIDERS_FAILED");
    let RebuildError::AllProviders { failures, .. } = &e else {
        panic!("expected AllProviders, got {e:?}");
    };
    let named: Vec<(&str, &str)> = failures
        .iter()
        .map(|(p, f)| (p.as_str(), f.code()))
        .collect();
    assert_eq!(
        named,
        vec![
            (providers[0].base_url(), "LC_SIGNATURE"),
            (providers[1].base_url(), "LC_SIGNATURE")
        ]
    );
    let text = e.to_string();
    for needle in [
        "step updates",
        "period 0",
        providers[0].base_url(),
        providers[1].base_url(),
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert_eq!(block_on(store.dump()).unwrap(), before);
}
