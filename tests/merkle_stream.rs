// Streaming and task-parallel state roots (`merkle::stream`) on the devnet's generated Electra and
// Fulu states (mainnet preset), checked against the typed structs + `tree_hash` (the reference)
// and against the root the devnet serves them under; plus the mainnet genesis state from the
// shared fixtures against its published root.
#![cfg(not(target_arch = "wasm32"))]

use beacon_lightsync::devnet::chain::{generate, ChainOptions};
use beacon_lightsync::merkle::{
    self, state_head_len, MerkleError, StatePlan, StreamError, StreamingStateRoot, TaskHasher,
    DEFAULT_TASK_BYTES,
};
use beacon_lightsync::types::{AnyBeaconState, ForkName, Mainnet, PresetName};

const MAINNET_GENESIS_ROOT: &str =
    "7e76880eb67bbdc86250aa578958e9d0675e64e714337855204fb5abaaf82c2b";

fn typed_root(fork: ForkName, bytes: &[u8]) -> [u8; 32] {
    let s = AnyBeaconState::<Mainnet>::from_ssz_bytes(fork, bytes)
        .unwrap_or_else(|e| panic!("typed decode {fork:?}: {e}"));
    s.tree_hash_root().0
}

/// Streams `bytes` in `chunk`-byte pieces; every other ready task goes to a separate
/// `TaskHasher` (as a worker would), the rest are hashed in place with `step`.
fn stream_root(
    bytes: &[u8],
    fork: ForkName,
    chunk: usize,
    task_bytes: usize,
) -> Result<[u8; 32], StreamError> {
    let mut s = StreamingStateRoot::new(fork, PresetName::Mainnet, bytes.len(), task_bytes);
    let mut worker = TaskHasher::new(fork, PresetName::Mainnet);
    let mut flip = false;
    for c in bytes.chunks(chunk) {
        s.push(c)?;
        while s.has_ready() {
            flip = !flip;
            if flip {
                let (i, spec, b) = s.next_ready().expect("has_ready");
                let b = b.to_vec();
                let root = worker.hash(&spec, &b)?;
                s.set_task_root(i, root)?;
            } else {
                s.step(1)?;
            }
        }
    }
    s.finish()
}

fn devnet_states(fork: &str, validators: u64) -> Vec<([u8; 32], Vec<u8>)> {
    let chain = generate(&ChainOptions {
        validators,
        slots: 96,
        preset: "mainnet".into(),
        fork: fork.into(),
        seed: 11,
        genesis_time: Some(1_700_000_000),
        empty_slot_percent: 5,
        ..ChainOptions::default()
    })
    .unwrap_or_else(|e| panic!("devnet {fork}: {e}"));
    let mut out: Vec<_> = chain
        .states
        .iter()
        .map(|(root, s)| (*root, s.ssz.as_ref().clone()))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "the devnet served no state");
    out
}

#[test]
fn devnet_fulu_and_electra_states_match_typed_tree_hash() {
    for (fork_name, fork) in [("fulu", ForkName::Fulu), ("electra", ForkName::Electra)] {
        // Not a power of two, and more validators than one 1 MiB task holds (8192).
        for (served_root, bytes) in devnet_states(fork_name, 9_001) {
            let want = typed_root(fork, &bytes);
            assert_eq!(want, served_root, "{fork_name}: devnet root vs tree_hash");
            assert_eq!(
                merkle::state_root(&bytes, fork, PresetName::Mainnet).unwrap(),
                want,
                "{fork_name}: one-shot"
            );
            for (chunk, task) in [
                (65_536, DEFAULT_TASK_BYTES),
                (1_000_003, 50_000),
                (7_777, 4096),
            ] {
                assert_eq!(
                    stream_root(&bytes, fork, chunk, task).unwrap(),
                    want,
                    "{fork_name}: streamed in {chunk}-byte chunks, {task}-byte tasks"
                );
            }
            let plan = StatePlan::new(
                &bytes[..state_head_len(fork, PresetName::Mainnet)],
                bytes.len(),
                fork,
                PresetName::Mainnet,
                DEFAULT_TASK_BYTES,
            )
            .unwrap();
            // validators (9001 x 121 bytes) must be split, so workers get more than one task.
            let validator_tasks = plan
                .tasks()
                .iter()
                .filter(|t| t.spec.height.is_some())
                .count();
            assert!(
                validator_tasks >= 2,
                "{fork_name}: {validator_tasks} split tasks"
            );
        }
    }
}

#[test]
fn mainnet_genesis_streams_to_the_published_root() {
    let p =
        beacon_lightsync::ssz_io::require_fixtures_dir().join("genesis-states/mainnet-genesis.ssz");
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    let root = stream_root(&bytes, ForkName::Phase0, 16_384, 100_000).unwrap();
    assert_eq!(hex::encode(root), MAINNET_GENESIS_ROOT);
}

#[test]
fn tampered_streams_fail_or_change_the_root() {
    let (served_root, bytes) = devnet_states("fulu", 300).remove(0);
    let fork = ForkName::Fulu;
    // A flipped byte inside the registry: a different root, which the caller's check rejects.
    let plan = StatePlan::new(&bytes, bytes.len(), fork, PresetName::Mainnet, 4096).unwrap();
    let t = plan
        .tasks()
        .iter()
        .find(|t| t.spec.height.is_some())
        .expect("a split field")
        .clone();
    let mut flipped = bytes.clone();
    flipped[t.range.start + 5] ^= 0x40;
    assert_ne!(
        stream_root(&flipped, fork, 65_536, 4096).unwrap(),
        served_root
    );
    // `slashed` of validator 0 set to 2: not a boolean.
    let validators_start = {
        let view = merkle::StateView::new(&bytes, fork, PresetName::Mainnet).unwrap();
        let v = view.field_bytes("validators").unwrap();
        v.as_ptr() as usize - bytes.as_ptr() as usize
    };
    let mut bad = bytes.clone();
    bad[validators_start + 48 + 32 + 8] = 2;
    match stream_root(&bad, fork, 65_536, 4096) {
        Err(StreamError::Invalid(MerkleError::BadBoolean { path, got: 2 })) => {
            assert!(path.contains("validators[0].slashed"), "{path}")
        }
        other => panic!("expected BadBoolean at validators[0].slashed, got {other:?}"),
    }
    // A body shorter than announced.
    let mut s = StreamingStateRoot::new(fork, PresetName::Mainnet, bytes.len(), 4096);
    s.push(&bytes[..bytes.len() - 1]).unwrap();
    assert_eq!(
        s.finish(),
        Err(StreamError::Truncated {
            expected: bytes.len() as u64,
            got: bytes.len() as u64 - 1
        })
    );
    // An announced length that does not fit the layout: the last list is not whole elements.
    let mut s = StreamingStateRoot::new(fork, PresetName::Mainnet, bytes.len() + 1, 4096);
    assert!(matches!(
        s.push(&bytes),
        Err(StreamError::Invalid(MerkleError::NotMultiple { .. }))
    ));
}
