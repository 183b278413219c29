//! A Gloas `BeaconState` (a `ProgressiveContainer` of 46 fields in v1.7.0-alpha.13) verified from
//! its bytes: the spec vectors' states (minimal and mainnet `ssz_static`) hash to their published
//! roots one shot, incrementally and streamed in small pieces; the fields the checkpoint flow
//! reads in place equal the typed decode; the light-client generalized indices are the spec's
//! (`*_GINDEX_GLOAS`), and `state_proof` branches lead from those leaves to the state root.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use beacon_lightsync::merkle::{
    self, field_gindex, path_gindex, state_proof, tree::Reducer, StatePlan, StateRootJob,
    StateView, StreamingStateRoot, TaskHasher,
};
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{
    gloas, AnyBeaconState, ForkName, Mainnet, Minimal, Preset, PresetName,
};
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

fn cases(preset: &str) -> Vec<PathBuf> {
    let dir = require_fixtures_dir()
        .join("consensus-spec-tests-gloas/tests")
        .join(preset)
        .join("gloas/ssz_static/BeaconState/ssz_random");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    assert_eq!(out.len(), 3, "{}", dir.display());
    out
}

fn want_root(case: &std::path::Path) -> [u8; 32] {
    let text = std::fs::read_to_string(case.join("roots.yaml")).unwrap();
    let hex = text.split('\'').nth(1).expect("root: '0x…'");
    hex::decode(hex.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

fn streamed(bytes: &[u8], preset: PresetName, chunk: usize) -> [u8; 32] {
    let mut s = StreamingStateRoot::new(ForkName::Gloas, preset, bytes.len(), 4096);
    let mut worker = TaskHasher::new(ForkName::Gloas, preset);
    let mut flip = false;
    for c in bytes.chunks(chunk) {
        s.push(c).unwrap();
        while s.has_ready() {
            flip = !flip;
            if flip {
                let (i, spec, b) = s.next_ready().expect("has_ready");
                let b = b.to_vec();
                let root = worker.hash(&spec, &b).unwrap();
                s.set_task_root(i, root).unwrap();
            } else {
                s.step(1).unwrap();
            }
        }
    }
    s.finish().unwrap()
}

/// Walks `branch` up from `leaf` at `gindex`.
fn branch_root(leaf: [u8; 32], branch: &[[u8; 32]], gindex: u64) -> [u8; 32] {
    let mut node = leaf;
    let mut g = gindex;
    for sibling in branch {
        node = if g & 1 == 1 {
            merkle::hash_pair(sibling, &node)
        } else {
            merkle::hash_pair(&node, sibling)
        };
        g >>= 1;
    }
    assert_eq!(g, 1, "branch length is the gindex depth");
    node
}

fn check<P: Preset>(preset_name: &str, preset: PresetName) -> usize {
    let mut n = 0;
    for case in cases(preset_name) {
        let label = case.display().to_string();
        let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
        let want = want_root(&case);
        let typed = gloas::BeaconState::<P>::from_ssz_bytes(&bytes).unwrap();
        assert_eq!(typed.tree_hash_root().0, want, "{label}: typed");
        assert_eq!(
            merkle::state_root(&bytes, ForkName::Gloas, preset),
            Ok(want),
            "{label}: one shot"
        );
        let mut job = StateRootJob::new(&bytes, ForkName::Gloas, preset).unwrap();
        let root = loop {
            if let merkle::Progress::Done(r) = job.step(64).unwrap() {
                break r;
            }
        };
        assert_eq!(root, want, "{label}: incremental");
        for chunk in [1000, 65_536] {
            assert_eq!(
                streamed(&bytes, preset, chunk),
                want,
                "{label}: streamed by {chunk}"
            );
        }
        let any = AnyBeaconState::<P>::from_ssz_bytes(ForkName::Gloas, &bytes).unwrap();
        assert_eq!(any.tree_hash_root().0, want, "{label}: AnyBeaconState");
        assert_eq!(any.latest_block_hash(), Some(typed.latest_block_hash));
        assert!(any.latest_execution_payload_header().is_none());

        // The fields the checkpoint flow reads in place.
        let view = StateView::new(&bytes, ForkName::Gloas, preset).unwrap();
        assert_eq!(view.slot(), typed.slot);
        assert_eq!(view.genesis_time(), typed.genesis_time);
        assert_eq!(
            view.genesis_validators_root(),
            typed.genesis_validators_root.0
        );
        assert_eq!(view.fork().current_version, typed.fork.current_version.0);
        let h = view.latest_block_header();
        assert_eq!(
            (h.slot, h.parent_root, h.body_root),
            (
                typed.latest_block_header.slot,
                typed.latest_block_header.parent_root.0,
                typed.latest_block_header.body_root.0
            )
        );
        let f = view.finalized_checkpoint();
        assert_eq!(
            (f.epoch, f.root),
            (
                typed.finalized_checkpoint.epoch,
                typed.finalized_checkpoint.root.0
            )
        );
        assert_eq!(view.block_root(3), Some(typed.block_roots[3].0));
        assert_eq!(view.validators_len(), typed.validators.len());
        assert_eq!(view.balances_len(), typed.balances.len());
        let sc = view.current_sync_committee().unwrap();
        assert_eq!(
            sc.aggregate_pubkey(),
            typed.current_sync_committee.aggregate_pubkey.as_slice()
        );
        let nsc = view.next_sync_committee().unwrap();
        assert_eq!(
            nsc.aggregate_pubkey(),
            typed.next_sync_committee.aggregate_pubkey.as_slice()
        );

        // Branches as a light-client update carries them, from the bytes.
        for path in [
            &["finalized_checkpoint", "root"][..],
            &["current_sync_committee"][..],
            &["next_sync_committee"][..],
            &["latest_block_hash"][..],
            &["latest_execution_payload_bid", "block_hash"][..],
        ] {
            let proof = state_proof(&bytes, ForkName::Gloas, preset, path).unwrap();
            assert_eq!(proof.root, want, "{label} {path:?}");
            assert_eq!(
                Some(proof.gindex),
                path_gindex(ForkName::Gloas, path),
                "{path:?}"
            );
            assert_eq!(
                branch_root(proof.leaf, &proof.branch, proof.gindex),
                want,
                "{label}: branch of {path:?}"
            );
        }
        let bid = state_proof(
            &bytes,
            ForkName::Gloas,
            preset,
            &["latest_execution_payload_bid", "block_hash"],
        )
        .unwrap();
        assert_eq!(bid.leaf, typed.latest_execution_payload_bid.block_hash.0);
        n += 1;
    }
    n
}

#[test]
fn gloas_states_verify_from_their_bytes() {
    let n = check::<Minimal>("minimal", PresetName::Minimal)
        + check::<Mainnet>("mainnet", PresetName::Mainnet);
    assert_eq!(n, 6);
}

/// consensus-specs `specs/gloas/light-client/sync-protocol.md` (v1.7.0-alpha.13).
#[test]
fn gloas_generalized_indices_are_the_specs() {
    assert_eq!(
        path_gindex(ForkName::Gloas, &["finalized_checkpoint", "root"]),
        Some(735)
    );
    assert_eq!(
        field_gindex(ForkName::Gloas, "current_sync_committee"),
        Some(2945)
    );
    assert_eq!(
        field_gindex(ForkName::Gloas, "next_sync_committee"),
        Some(2946)
    );
    // Earlier forks keep theirs.
    assert_eq!(
        path_gindex(ForkName::Electra, &["finalized_checkpoint", "root"]),
        Some(169)
    );
    assert_eq!(
        field_gindex(ForkName::Fulu, "current_sync_committee"),
        Some(86)
    );
    assert_eq!(
        field_gindex(ForkName::Gloas, "latest_execution_payload_header"),
        None
    );
}

/// A Gloas anchor's execution fields come from the verified state only: no payload header, so no
/// `ExecutionBlock`; `latest_block_hash` and the bid's `block_hash` read in place, FULL when they
/// agree. The vectors' random states have distinct hashes (EMPTY); setting one to the other in
/// the typed state and re-encoding gives FULL.
#[test]
fn gloas_anchor_execution_fields_and_payload_status() {
    use beacon_lightsync::execution::{
        from_state_view, gloas_payload_from_state_view, PayloadStatus,
    };
    use ssz::Encode;
    let case = &cases("minimal")[0];
    let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
    let mut typed = gloas::BeaconState::<Minimal>::from_ssz_bytes(&bytes).unwrap();
    let view = StateView::new(&bytes, ForkName::Gloas, PresetName::Minimal).unwrap();
    assert_eq!(from_state_view(&view), None);
    let p = gloas_payload_from_state_view(&view).unwrap();
    assert_eq!(p.latest_block_hash, typed.latest_block_hash.0);
    assert_eq!(
        p.bid_block_hash,
        typed.latest_execution_payload_bid.block_hash.0
    );
    assert_ne!(p.latest_block_hash, p.bid_block_hash);
    assert_eq!(p.status, PayloadStatus::Empty);

    typed.latest_block_hash = typed.latest_execution_payload_bid.block_hash;
    let full = typed.as_ssz_bytes();
    let view = StateView::new(&full, ForkName::Gloas, PresetName::Minimal).unwrap();
    assert_eq!(
        gloas_payload_from_state_view(&view).unwrap().status,
        PayloadStatus::Full
    );

    // Earlier forks have no such fields.
    let fulu = require_fixtures_dir()
        .join("consensus-spec-tests-gloas/tests/minimal/fulu/ssz_static/BeaconState/ssz_random/case_0/serialized.ssz_snappy");
    let fulu = read_ssz_file(fulu).unwrap();
    let view = StateView::new(&fulu, ForkName::Fulu, PresetName::Minimal).unwrap();
    assert_eq!(gloas_payload_from_state_view(&view), None);
}

/// The size ceiling a streamed state body is held to: Gloas's progressive lists keep their Fulu
/// ceilings (a mainnet registry of 2^23 validators), so a Gloas state is allowed what a Fulu one
/// is plus the Gloas fields, and still fits a wasm32 buffer.
#[test]
fn gloas_state_size_ceiling_keeps_the_registry_ceiling() {
    use beacon_lightsync::merkle::state_size_ceiling;
    use beacon_lightsync::merkle::stream::REGISTRY_CEILING;
    for preset in [PresetName::Mainnet, PresetName::Minimal] {
        let fulu = state_size_ceiling(ForkName::Fulu, preset);
        let gloas = state_size_ceiling(ForkName::Gloas, preset);
        assert!(gloas > fulu, "{preset}: {gloas} vs {fulu}");
        // validators alone: 2^23 records of 121 bytes.
        assert!(gloas > REGISTRY_CEILING * 121, "{preset}");
        assert!(gloas < 2 << 30, "{preset}: {gloas}");
    }
    for case in cases("mainnet") {
        let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
        assert!((bytes.len() as u64) < state_size_ceiling(ForkName::Gloas, PresetName::Mainnet));
    }
}

/// Roots of `schema`'s value `bytes` as the workers and threads compute them: the plan's tasks
/// hashed one by one from their spec and bytes alone, then combined.
fn planned_root(
    schema: &'static merkle::SszType,
    bytes: &[u8],
    task_bytes: usize,
) -> ([u8; 32], StatePlan) {
    let plan = StatePlan::of_container(schema, bytes, bytes.len(), task_bytes).unwrap();
    let mut hasher = TaskHasher::of_container(schema);
    let roots: Vec<[u8; 32]> = plan
        .tasks()
        .iter()
        .map(|t| hasher.hash(&t.spec, &bytes[t.range.clone()]).unwrap())
        .collect();
    let root = plan.combine(&roots, &mut Reducer::new()).unwrap();
    (root, plan)
}

/// Tasks of field `field` in `plan`.
fn field_tasks(plan: &StatePlan, field: u32) -> usize {
    plan.tasks()
        .iter()
        .filter(|t| t.spec.field == field)
        .count()
}

/// EIP-7916 lists split into tasks like bounded lists (the small progressive subtrees one task
/// each, the big ones in subtrees of `2^h` leaves) give the one-piece root (typed `tree_hash`:
/// `merkleize_progressive` over every leaf at once) for lengths around every subtree boundary:
/// of validator records (one leaf each), of `uint64` (four per leaf) and of `uint8` (32 per
/// leaf, partial last chunks), for cuts from one leaf per task to whole fields.
#[test]
fn progressive_lists_split_into_tasks_give_the_one_piece_root() {
    use beacon_lightsync::types::{phase0::Validator, ProgressiveList, SszSchema};
    use merkle::{ContainerType, SszType};
    const ACTIVE: &[bool] = &[true, false, true, true];
    const SCHEMA: SszType = SszType::ProgressiveContainer(
        &ContainerType {
            name: "Lists",
            fields: &[
                ("validators", ProgressiveList::<Validator>::SSZ_TYPE),
                ("balances", ProgressiveList::<u64>::SSZ_TYPE),
                ("flags", ProgressiveList::<u8>::SSZ_TYPE),
            ],
        },
        ACTIVE,
    );
    let mut counts = vec![0u64, 2];
    for k in 1..8 {
        let b = merkle::progressive::subtree_range(k).start as u64;
        counts.extend([b - 1, b, b + 1]);
    }
    let mut r = Reducer::new();
    for &n in &counts {
        // Validator records with `slashed` (byte 88) a valid boolean; the rest pseudo-random.
        let mut records: Vec<u8> = (0..n as usize * 121)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for v in 0..n as usize {
            records[v * 121 + 88] &= 1;
        }
        let validators = ProgressiveList::<Validator>::from_ssz_bytes(&records).unwrap();
        // `uint64` in `n` chunks, the last one partly filled when `n` is odd.
        let words: Vec<u64> = (0..(4 * n).saturating_sub(n % 2))
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let balances = ProgressiveList::new(words);
        let flags = ProgressiveList::new((0..32 * n + n % 7).map(|i| i as u8 & 7).collect());
        let field_roots = [
            validators.tree_hash_root().0,
            balances.tree_hash_root().0,
            flags.tree_hash_root().0,
        ];
        let want = merkle::progressive::progressive_container_root(
            ACTIVE,
            field_roots.as_flattened(),
            &mut r,
        );
        let lists = (
            validators.as_ssz_bytes(),
            balances.as_ssz_bytes(),
            flags.as_ssz_bytes(),
        );
        let mut bytes = Vec::new();
        let mut offset = 12u32;
        for len in [lists.0.len(), lists.1.len()] {
            bytes.extend_from_slice(&offset.to_le_bytes());
            offset += len as u32;
        }
        bytes.extend_from_slice(&offset.to_le_bytes());
        bytes.extend_from_slice(&[lists.0, lists.1, lists.2].concat());
        assert_eq!(
            merkle::hash_tree_root(&SCHEMA, &bytes),
            Ok(want),
            "{n}: hash_tree_root"
        );
        for task_bytes in [1, 32 * 3, 121 * 5, 4096, usize::MAX] {
            let (root, plan) = planned_root(&SCHEMA, &bytes, task_bytes);
            assert_eq!(root, want, "{n} items, tasks of {task_bytes} bytes");
            if n * 121 > task_bytes as u64 && task_bytes >= 121 {
                // A field longer than a task is cut: the small subtrees, then full parts.
                assert!(
                    field_tasks(&plan, 0) > 1,
                    "{n} validators in {task_bytes}-byte tasks"
                );
            }
        }
    }
}

/// A devnet Gloas state whose progressive lists span several tasks: the plan's tasks, hashed
/// apart from each other as workers and threads do, the streaming root (tasks handed out as the
/// body arrives), the one-shot root and the typed `tree_hash` all give the state root the chain
/// recorded.
#[test]
fn a_gloas_state_split_across_many_tasks_gives_its_root() {
    use beacon_lightsync::devnet::chain::{generate, ChainOptions};
    let chain = generate(&ChainOptions {
        validators: 24_000,
        slots: 24,
        fork: "gloas".into(),
        seconds_per_slot: Some(1),
        ..ChainOptions::default()
    })
    .unwrap();
    // The latest state the chain keeps whole, and the root it recorded for that slot.
    let (want, entry) = chain.states.iter().max_by_key(|(_, e)| e.slot).unwrap();
    assert_eq!(chain.state_roots.get(&entry.slot), Some(want));
    assert_eq!(entry.fork, "gloas");
    let bytes = entry.ssz.as_slice();
    let want = *want;
    let typed = gloas::BeaconState::<Minimal>::from_ssz_bytes(bytes).unwrap();
    assert_eq!(typed.tree_hash_root().0, want, "typed");
    assert_eq!(typed.validators.len(), 24_000);
    assert_eq!(
        merkle::state_root(bytes, ForkName::Gloas, PresetName::Minimal),
        Ok(want)
    );
    let schema = merkle::beacon_state_schema(ForkName::Gloas, PresetName::Minimal);
    let validators = schema.field_index("validators").unwrap() as u32;
    let balances = schema.field_index("balances").unwrap() as u32;
    for task_bytes in [4096, 65_536, merkle::DEFAULT_TASK_BYTES] {
        let (root, plan) = planned_root(schema, bytes, task_bytes);
        assert_eq!(root, want, "tasks of {task_bytes} bytes");
        // 24,000 records of 121 bytes (2.9 MB) reach progressive subtree 7 (leaves 5,461 to
        // 21,844) and 8: at least one task per subtree, and more once the cut is smaller.
        assert!(field_tasks(&plan, validators) >= 9, "{task_bytes}");
        if task_bytes < 192_000 {
            assert!(field_tasks(&plan, balances) > 1, "{task_bytes}");
        }
    }
    for chunk in [65_536, 1_000_003] {
        assert_eq!(
            streamed(bytes, PresetName::Minimal, chunk),
            want,
            "streamed by {chunk}"
        );
    }
    // A flipped bit in the registry changes the planned root.
    let mut bad = bytes.to_vec();
    let at = bad.len() / 3;
    bad[at] ^= 1;
    assert_ne!(planned_root(schema, &bad, 65_536).0, want);
}
