//! The streaming state root that does not keep the state (`merkle::stream`) against the
//! whole-buffer path, on real states: the mainnet genesis state, the spec-test and trin
//! `BeaconState` vectors of every fork the fixtures have (Bellatrix to Gloas, both presets), and
//! devnet Electra states with validators in every activity state. Each body is pushed in random
//! splits (1 byte, odd sizes, all at once) while tasks are hashed in place or handed out as a
//! worker would take them, and must give the same root, the same kept fields (every field the
//! anchor reads, byte for byte), the same registry numbers, and a window that never holds the
//! state; a truncated, oversized or garbled body gives the same typed error as the whole path.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use beacon_lightsync::backfill::KnownRoots;
use beacon_lightsync::execution;
use beacon_lightsync::merkle::{
    self, active_validators, schema::beacon_state, KeptState, MerkleError, StateView, StreamError,
    StreamingStateRoot, TaskHasher,
};
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{ForkName, Preset, PresetName};

/// A small deterministic generator (xorshift64*), so a failing split can be replayed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

/// How a body is cut into pushes.
#[derive(Clone, Copy, Debug)]
enum Split {
    Fixed(usize),
    /// Random sizes in `1..=max`, from a seed.
    Random(u64, usize),
}

/// Streams `bytes` cut as `split` with tasks of `task_bytes`; every third ready task goes to a
/// separate `TaskHasher` after the next push (in flight, as with a worker), the others are hashed
/// in place. Returns the root, what was kept, and the largest window seen.
fn stream(
    bytes: &[u8],
    fork: ForkName,
    preset: PresetName,
    split: Split,
    task_bytes: usize,
) -> Result<([u8; 32], KeptState<'static>, usize), StreamError> {
    let mut s = StreamingStateRoot::new(fork, preset, bytes.len(), task_bytes);
    let mut worker = TaskHasher::new(fork, preset);
    let mut inflight: Vec<(usize, [u8; 32])> = Vec::new();
    let mut rng = match split {
        Split::Random(seed, _) => Rng(seed | 1),
        Split::Fixed(_) => Rng(1),
    };
    let (mut at, mut k, mut max_window) = (0, 0u64, 0);
    while at < bytes.len() {
        let n = match split {
            Split::Fixed(n) => n,
            Split::Random(_, max) => 1 + rng.below(max),
        };
        let end = (at + n).min(bytes.len());
        s.push(&bytes[at..end])?;
        at = end;
        max_window = max_window.max(s.window_len());
        // Roots of tasks handed out before this push come back now.
        for (i, root) in inflight.drain(..) {
            s.set_task_root(i, root)?;
        }
        while s.has_ready() {
            k += 1;
            if k % 3 == 0 {
                let (i, spec, b) = s.next_ready().expect("has_ready");
                inflight.push((i, worker.hash(&spec, b)?));
            } else {
                s.step(1)?;
            }
        }
    }
    for (i, root) in inflight {
        s.set_task_root(i, root)?;
    }
    let root = s.finish()?;
    Ok((root, s.into_kept().expect("finished"), max_window))
}

/// The fields a stream keeps: the fixed ones, variable containers, `historical_summaries`, and
/// Gloas's `payload_expected_withdrawals` and `builders` (the anchor's payload envelope is
/// checked against them).
fn kept_field(name: &str, ty: &merkle::SszType) -> bool {
    ty.fixed_size().is_some()
        || [
            "historical_summaries",
            "payload_expected_withdrawals",
            "builders",
        ]
        .contains(&name)
        || matches!(
            ty,
            merkle::SszType::Container(..) | merkle::SszType::ProgressiveContainer(..)
        )
}

/// The kept state reads as the whole state does, field by field and through every reader the
/// anchor uses; the registry numbers are the whole path's.
fn same_as_whole(bytes: &[u8], fork: ForkName, preset: PresetName, kept: &KeptState, what: &str) {
    let whole = StateView::new(bytes, fork, preset).unwrap();
    let view = kept.view();
    for (name, ty) in beacon_state(fork, preset).fields() {
        if kept_field(name, ty) {
            assert_eq!(
                view.field_bytes(name),
                whole.field_bytes(name),
                "{what}: {name}"
            );
        } else {
            assert_eq!(view.field_bytes(name), None, "{what}: {name} kept");
        }
    }
    assert_eq!(view.slot(), whole.slot(), "{what}");
    // Of the registry, only the latest block header's proposer's record stays (it signs a
    // self-built Gloas envelope); a neighbour's is gone.
    let proposer = whole.latest_block_header().proposer_index as usize;
    assert_eq!(
        kept.validator(proposer).map(|v| v.pubkey().to_vec()),
        whole.validator(proposer).map(|v| v.pubkey().to_vec()),
        "{what}: the proposer's record"
    );
    if whole.validator(proposer + 1).is_some() {
        assert!(
            kept.validator(proposer + 1).is_none(),
            "{what}: another record kept"
        );
    }
    assert_eq!(view.latest_block_header(), whole.latest_block_header());
    assert_eq!(view.finalized_checkpoint(), whole.finalized_checkpoint());
    assert_eq!(
        view.current_sync_committee(),
        whole.current_sync_committee()
    );
    assert_eq!(view.next_sync_committee(), whole.next_sync_committee());
    assert_eq!(
        KnownRoots::from_view(&view).unwrap(),
        KnownRoots::from_view(&whole).unwrap(),
        "{what}: known roots"
    );
    assert_eq!(
        execution::from_state_view(&view),
        execution::from_state_view(&whole)
    );
    assert_eq!(
        execution::gloas_payload_from_state_view(&view),
        execution::gloas_payload_from_state_view(&whole)
    );
    let spe = match preset {
        PresetName::Mainnet => beacon_lightsync::types::Mainnet::SLOTS_PER_EPOCH,
        PresetName::Minimal => beacon_lightsync::types::Minimal::SLOTS_PER_EPOCH,
    };
    let r = kept
        .registry()
        .expect("a streamed state's registry numbers");
    assert_eq!(r.epoch, whole.slot() / spe, "{what}");
    assert_eq!(r.validators, whole.validators_len() as u64, "{what}");
    assert_eq!(r.active, active_validators(&whole, r.epoch), "{what}");
    // The registry is gone from the view: nothing reads it as if it were there.
    assert_eq!(view.validators_len(), 0);
    assert!(view.validator(0).is_none());
}

/// Splits of `bytes` (with `fine`: 1-byte and 7-byte pushes too), each checked against the
/// whole path with small and large tasks.
fn check_splits(bytes: &[u8], fork: ForkName, preset: PresetName, what: &str, fine: bool) {
    let want = merkle::state_root(bytes, fork, preset).unwrap();
    let mut splits = vec![
        Split::Fixed(65_537),
        Split::Fixed(bytes.len()),
        Split::Random(0x5eed, 3 * 4096),
        Split::Random(0xfee1, 1_000_000),
    ];
    if fine {
        splits.extend([Split::Fixed(1), Split::Fixed(7)]);
    }
    for split in splits {
        for task_bytes in [4096, 1 << 20] {
            let (root, kept, _) = stream(bytes, fork, preset, split, task_bytes)
                .unwrap_or_else(|e| panic!("{what} {split:?} {task_bytes}: {e}"));
            assert_eq!(root, want, "{what}: {split:?}, {task_bytes}-byte tasks");
            same_as_whole(bytes, fork, preset, &kept, what);
        }
    }
}

fn spec_states() -> Vec<(PathBuf, ForkName, PresetName)> {
    let fx = require_fixtures_dir();
    let mut out = Vec::new();
    for (preset, p) in [
        ("mainnet", PresetName::Mainnet),
        ("minimal", PresetName::Minimal),
    ] {
        for (fork, f) in [("fulu", ForkName::Fulu), ("gloas", ForkName::Gloas)] {
            let dir = fx.join(format!(
                "consensus-spec-tests-gloas/tests/{preset}/{fork}/ssz_static/BeaconState/ssz_random"
            ));
            for case in std::fs::read_dir(&dir).unwrap() {
                out.push((case.unwrap().path(), f, p));
            }
        }
    }
    for (fork, f) in [
        ("bellatrix", ForkName::Bellatrix),
        ("capella", ForkName::Capella),
        ("deneb", ForkName::Deneb),
    ] {
        let dir = fx.join(format!(
            "trin-spec-ssz-static/{fork}/BeaconState/ssz_random"
        ));
        for case in std::fs::read_dir(&dir).unwrap() {
            out.push((case.unwrap().path(), f, PresetName::Mainnet));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn spec_vector_states_stream_to_the_whole_paths_root_and_fields() {
    let cases = spec_states();
    assert_eq!(
        cases.len(),
        13,
        "fulu 2+2, gloas 3+3, bellatrix, capella, deneb"
    );
    for (case, fork, preset) in cases {
        let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
        check_splits(
            &bytes,
            fork,
            preset,
            &case.display().to_string(),
            bytes.len() < 200_000,
        );
    }
}

#[test]
fn mainnet_genesis_streams_in_a_window_a_fraction_of_the_state() {
    let p = require_fixtures_dir().join("genesis-states/mainnet-genesis.ssz");
    let bytes = std::fs::read(&p).unwrap();
    check_splits(
        &bytes,
        ForkName::Phase0,
        PresetName::Mainnet,
        "genesis",
        false,
    );
    // 21,063 validators (2.5 MB) and their balances: with 64 KiB pushes and 64 KiB tasks hashed
    // as they become ready, the window holds a few tasks, never the 5.2 MB state.
    let (_, kept, window) = stream(
        &bytes,
        ForkName::Phase0,
        PresetName::Mainnet,
        Split::Fixed(65_536),
        65_536,
    )
    .unwrap();
    let head = merkle::state_head_len(ForkName::Phase0, PresetName::Mainnet);
    assert!(
        window <= head + 4 * 65_536,
        "window {window} bytes of a {}-byte state",
        bytes.len()
    );
    assert_eq!(kept.kept_len(), head, "phase0 keeps its fixed part only");
    assert_eq!(kept.registry().unwrap().active.count, 21_063);
}

#[test]
fn every_activity_state_is_counted_as_the_whole_path_counts_it() {
    // The genesis registry with activation and exit epochs set around epoch 10 (the state's
    // slot moved there): pending, activating at 10, active, exiting at 10, exited, and huge
    // effective balances (the sum saturates rather than wrapping, in both paths).
    let p = require_fixtures_dir().join("genesis-states/mainnet-genesis.ssz");
    let mut bytes = std::fs::read(&p).unwrap();
    let (fork, preset) = (ForkName::Phase0, PresetName::Mainnet);
    let (slot, registry) = {
        let v = StateView::new(&bytes, fork, preset).unwrap();
        let at = |name| v.field_bytes(name).unwrap().as_ptr() as usize - bytes.as_ptr() as usize;
        (at("slot"), at("validators"))
    };
    bytes[slot..slot + 8].copy_from_slice(&(10 * 32 + 5u64).to_le_bytes());
    let n = (bytes.len() - registry).min(21_063 * 121) / 121;
    for i in 0..n {
        let v = registry + 121 * i;
        let (activation, exit): (u64, u64) = match i % 6 {
            0 => (11, u64::MAX),
            1 => (10, u64::MAX),
            2 => (3, 10),
            3 => (3, 11),
            4 => (0, 9),
            _ => (0, u64::MAX),
        };
        bytes[v + 97..v + 105].copy_from_slice(&activation.to_le_bytes());
        bytes[v + 105..v + 113].copy_from_slice(&exit.to_le_bytes());
        if i % 1000 == 999 {
            bytes[v + 80..v + 88].copy_from_slice(&(u64::MAX / 3).to_le_bytes());
        }
    }
    let (_, kept, _) = stream(&bytes, fork, preset, Split::Random(11, 500), 65_536).unwrap();
    same_as_whole(&bytes, fork, preset, &kept, "activity states");
    let r = kept.registry().unwrap();
    assert_eq!(r.epoch, 10);
    assert_eq!(
        r.active.count,
        (0..n).filter(|i| matches!(i % 6, 1 | 3 | 5)).count() as u64
    );
    assert_eq!(r.active.total_effective_balance, u64::MAX, "saturated");
}

#[test]
fn bad_bodies_give_the_whole_paths_typed_errors() {
    let p = require_fixtures_dir().join("genesis-states/mainnet-genesis.ssz");
    let bytes = std::fs::read(&p).unwrap();
    let (fork, preset) = (ForkName::Phase0, PresetName::Mainnet);
    let all = Split::Fixed(usize::MAX);
    // Garbage inside the registry (validator 7's `slashed` byte is 3) and inside the balances
    // (a list of u64 cut short by a bad offset): the same MerkleError as the whole path.
    let registry = {
        let v = StateView::new(&bytes, fork, preset).unwrap();
        v.field_bytes("validators").unwrap().as_ptr() as usize - bytes.as_ptr() as usize
    };
    let mut slashed = bytes.clone();
    slashed[registry + 7 * 121 + 88] = 3;
    let mut offset = bytes.clone();
    // The first variable field's offset (historical_roots) pointing past the second's.
    let head = merkle::state_head_len(fork, preset);
    let hr = beacon_state(fork, preset)
        .fields()
        .iter()
        .take_while(|(n, _)| *n != "historical_roots")
        .map(|(_, t)| t.fixed_part_size())
        .sum::<usize>();
    offset[hr..hr + 4].copy_from_slice(&(head as u32 + 1_000_000).to_le_bytes());
    for (name, bad) in [("slashed", &slashed), ("offset", &offset)] {
        let whole = merkle::state_root(bad, fork, preset).unwrap_err();
        for split in [Split::Fixed(4093), Split::Random(3, 50_000), all] {
            match stream(bad, fork, preset, split, 65_536) {
                Err(StreamError::Invalid(e)) => assert_eq!(e, whole, "{name} {split:?}"),
                other => panic!("{name} {split:?}: expected Invalid({whole:?}), got {other:?}"),
            }
        }
    }
    assert!(matches!(
        merkle::state_root(&slashed, fork, preset),
        Err(MerkleError::BadBoolean { .. })
    ));
    // Truncated: the body ends before its announced length.
    let mut s = StreamingStateRoot::new(fork, preset, bytes.len(), 65_536);
    for c in bytes[..bytes.len() - 100].chunks(10_007) {
        s.push(c).unwrap();
        s.step(u64::MAX).unwrap();
    }
    assert_eq!(
        s.finish(),
        Err(StreamError::Truncated {
            expected: bytes.len() as u64,
            got: bytes.len() as u64 - 100
        })
    );
    // Oversized: more bytes than announced, refused at the push that brings them.
    let mut s = StreamingStateRoot::new(fork, preset, bytes.len(), 65_536);
    for c in bytes.chunks(10_007) {
        s.push(c).unwrap();
        s.step(u64::MAX).unwrap();
    }
    assert_eq!(
        s.push(&[0; 9]),
        Err(StreamError::TooLong {
            expected: bytes.len() as u64,
            got: bytes.len() as u64 + 9
        })
    );
    // An announced length the layout cannot have: the plan's typed error, as the whole path's.
    let mut s = StreamingStateRoot::new(fork, preset, bytes.len() - 1, 65_536);
    let short = merkle::state_root(&bytes[..bytes.len() - 1], fork, preset).unwrap_err();
    assert_eq!(
        s.push(&bytes[..bytes.len() - 1]),
        Err(StreamError::Invalid(short))
    );
}
