//! `BeaconState` SSZ of every fork (minimal preset): the typed decoder, the zero-copy
//! `StateView`, the one-shot merkleizer (`state_root`), the streaming one (`StreamingStateRoot`
//! fed in random chunks, its tasks hashed in place or through `TaskHasher` as a worker would)
//! and the whole-body stream (`with_bytes`, a body without Content-Length).
//!
//! Differential: each path accepts exactly what the typed decoder accepts, and every root equals
//! `tree_hash_root` of the typed value. The fork comes from the state's own
//! `fork.current_version` (first byte: the fork's index, as in every preset's versions), the way
//! a state without `Eth-Consensus-Version` is classified, so raw seed states need no prefix.
#![no_main]

use beacon_lightsync::merkle::{self, StateView, StreamingStateRoot, TaskHasher};
use beacon_lightsync::types::{
    AnyBeaconState, ForkName, Minimal, PresetName, STATE_CURRENT_VERSION_OFFSET,
};
use beacon_lightsync_fuzz::{views, Rng};
use libfuzzer_sys::fuzz_target;

const PRESET: PresetName = PresetName::Minimal;

fn fork_of(bytes: &[u8]) -> ForkName {
    let b = bytes
        .get(STATE_CURRENT_VERSION_OFFSET)
        .copied()
        .unwrap_or(bytes.len() as u8);
    ForkName::ALL[b as usize % ForkName::ALL.len()]
}

/// The streaming root, chunks and task sizes drawn from `rng`; `None` when it rejects.
fn streamed(bytes: &[u8], fork: ForkName, rng: &mut Rng) -> Option<[u8; 32]> {
    let task_bytes = rng.range(1, 1 << 16);
    let mut s = StreamingStateRoot::new(fork, PRESET, bytes.len(), task_bytes);
    let mut worker = TaskHasher::new(fork, PRESET);
    let chunks = rng.chunks(bytes, 1 << 15);
    for chunk in chunks {
        s.push(chunk).ok()?;
        if rng.next() % 2 == 0 {
            s.step(rng.next() % 4096).ok()?;
        } else {
            // A worker: takes the ready tasks' bytes, hashes them, hands the roots back.
            let mut done = Vec::new();
            while let Some((i, spec, task)) = s.next_ready() {
                done.push((i, worker.hash(&spec, task).ok()?));
            }
            for (i, root) in done {
                s.set_task_root(i, root).ok()?;
            }
        }
    }
    // An extra byte beyond the announced length is refused.
    assert!(s.push(&[0]).is_err());
    s.finish().ok()
}

fn check(bytes: &[u8], rng: &mut Rng) {
    let fork = fork_of(bytes);
    let typed = AnyBeaconState::<Minimal>::from_ssz_bytes(fork, bytes);
    let one_shot = merkle::state_root(bytes, fork, PRESET);
    let stream = streamed(bytes, fork, rng);
    let whole = StreamingStateRoot::with_bytes(fork, PRESET, bytes.to_vec(), rng.range(1, 1 << 16))
        .and_then(|mut s| s.finish());
    let view = StateView::new(bytes, fork, PRESET);

    match &typed {
        Ok(state) => {
            let root = state.tree_hash_root().0;
            assert_eq!(state.as_ssz_bytes(), bytes, "{fork}: re-encoding differs");
            assert_eq!(one_shot.as_ref().ok(), Some(&root), "{fork}: one-shot root");
            assert_eq!(stream, Some(root), "{fork}: streaming root");
            assert_eq!(whole.as_ref().ok(), Some(&root), "{fork}: whole-body root");
            let v = view.expect("a decodable state has a valid layout");
            assert_eq!(v.slot(), state.slot(), "{fork}: view slot");
            let epoch = v.slot() / 8;
            let _ = merkle::get_total_active_balance(&v, epoch);
            let _ = merkle::active_validators(&v, epoch);
            assert_eq!(v.validators_len(), v.validators().count());
            let _ = (v.fork(), v.latest_block_header(), v.finalized_checkpoint());
            let _ = (v.current_sync_committee(), v.next_sync_committee());
            let _ = (v.block_root(v.slots_per_historical_root()), v.balance(0));
            let _ = v.historical_summary(v.historical_summaries_len());
        }
        Err(_) => {
            assert!(
                one_shot.is_err(),
                "{fork}: one-shot accepted what decode refused"
            );
            assert!(
                stream.is_none(),
                "{fork}: stream accepted what decode refused"
            );
            assert!(
                whole.is_err(),
                "{fork}: whole-body accepted what decode refused"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut rng = Rng::from_input(data);
    for bytes in views(data) {
        check(&bytes, &mut rng);
    }
});
