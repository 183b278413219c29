//! The generated chain, pinned byte for byte: for each fork and preset the devnet serves (and a
//! Fulu chain that forks to Gloas), a
//! SHA-256 over every header, block, state and light-client object it would serve, and the roots
//! a client checks first (head block, finalized checkpoint, finalized state).
//!
//! This guards our own behaviour, not correctness (the spec vectors and `devnet_chain.rs` check
//! that): a refactor of the generator must leave every served byte unchanged. When a change is
//! meant to alter the chain, update the pins in the same commit and say why.
#![cfg(not(target_arch = "wasm32"))]

use beacon_lightsync::devnet::chain::{generate, ChainOptions};
use beacon_lightsync::devnet::data::{ChainData, LcObject};
use sha2::{Digest, Sha256};

/// A fixed genesis time: with `None` the chain would follow the wall clock.
const GENESIS_TIME: u64 = 1_700_000_000;

fn options(preset: &str, fork: &str, validators: u64, slots: u64) -> ChainOptions {
    ChainOptions {
        validators,
        slots,
        preset: preset.into(),
        fork: fork.into(),
        seed: 7,
        genesis_time: Some(GENESIS_TIME),
        empty_slot_percent: 10,
        ..ChainOptions::default()
    }
}

fn lc(h: &mut Sha256, key: &[u8], o: &LcObject) {
    h.update(key);
    h.update(o.fork.as_bytes());
    h.update(o.fork_digest);
    for form in [
        Some(&o.honest),
        o.bad_signature.as_ref(),
        o.bad_branch.as_ref(),
    ] {
        match form {
            Some(f) => {
                h.update(f.json.to_string().as_bytes());
                h.update(f.ssz.as_deref().unwrap_or(b"-"));
            }
            None => h.update(b"none"),
        }
    }
}

/// SHA-256 over everything the chain serves, in a fixed order (maps sorted by key).
fn fingerprint(c: &ChainData) -> String {
    let mut h = Sha256::new();
    for (tag, headers) in [("canonical", &c.headers), ("orphan", &c.orphans)] {
        h.update(tag);
        for (slot, e) in headers {
            h.update(slot.to_le_bytes());
            h.update(e.proposer_index.to_le_bytes());
            for r in [e.parent_root, e.state_root, e.body_root, e.root] {
                h.update(r);
            }
            h.update(e.signature);
        }
    }
    let mut blocks: Vec<_> = c.blocks.iter().collect();
    blocks.sort_by_key(|(root, _)| **root);
    for (root, b) in blocks {
        h.update(root);
        h.update(b.fork.as_bytes());
        h.update(b.ssz.as_deref().map_or(&b"-"[..], |v| v.as_slice()));
        h.update(b.json.as_ref().map(|j| j.to_string()).unwrap_or_default());
    }
    for (slot, root) in &c.state_roots {
        h.update(slot.to_le_bytes());
        h.update(root);
    }
    let mut states: Vec<_> = c.states.iter().collect();
    states.sort_by_key(|(root, _)| **root);
    for (root, s) in states {
        h.update(root);
        h.update(s.slot.to_le_bytes());
        h.update(s.fork.as_bytes());
        h.update(s.ssz.as_slice());
        h.update(s.json.as_deref().map_or(&b"-"[..], |v| v.as_slice()));
    }
    // Gloas payload envelopes (none before Gloas, which leaves earlier pins as they were).
    let mut envelopes: Vec<_> = c.envelopes.iter().collect();
    envelopes.sort_by_key(|(root, _)| **root);
    for (root, e) in envelopes {
        h.update(b"envelope");
        h.update(root);
        h.update(e.ssz.as_deref().map_or(&b"-"[..], |v| v.as_slice()));
        h.update(e.json.as_ref().map(|j| j.to_string()).unwrap_or_default());
    }
    let mut bootstraps: Vec<_> = c.bootstraps.iter().collect();
    bootstraps.sort_by_key(|(root, _)| **root);
    for (root, o) in bootstraps {
        lc(&mut h, root, o);
    }
    for (period, o) in &c.updates {
        lc(&mut h, &period.to_le_bytes(), o);
    }
    for o in [&c.finality_update, &c.optimistic_update]
        .into_iter()
        .flatten()
    {
        lc(&mut h, b"latest", o);
    }
    hex::encode(h.finalize())
}

/// (head block root, finalized checkpoint root, finalized state root, fingerprint), hex.
fn pins(opts: &ChainOptions) -> [String; 4] {
    let c = generate(opts).unwrap();
    let head = c.head_slot.expect("a head");
    let fin = c.checkpoints.finalized;
    let fin_slot = fin.epoch * c.slots_per_epoch;
    [
        hex::encode(c.headers.range(..=head).next_back().unwrap().1.root),
        hex::encode(fin.root),
        hex::encode(c.state_roots[&fin_slot]),
        fingerprint(&c),
    ]
}

fn assert_pins(opts: ChainOptions, want: [&str; 4]) {
    let got = pins(&opts);
    assert_eq!(
        got.each_ref().map(|s| s.as_str()),
        want,
        "{} {}: the devnet now serves other bytes than it did",
        opts.fork,
        opts.preset
    );
}

#[test]
fn fulu_minimal_chain_is_unchanged() {
    assert_pins(
        options("minimal", "fulu", 256, 150),
        [
            "554f4efa480d82b3f6303fe1310ac10987a65fc887b3d49e79dcfe1513caae61",
            "6e25938c11ecd42ab8c659e59840a622e8d6208458ebdee061ad9146c58142bf",
            "a1f71f6993f086e8863ecb0cdc85a9d15ccb11e4e9b4d9f4b09323297709ac29",
            "f2bc53c6f30a183af90d009d7180a4d9f180e814453bfdcf07224a6713055197",
        ],
    );
}

#[test]
fn electra_minimal_chain_is_unchanged() {
    assert_pins(
        options("minimal", "electra", 256, 150),
        [
            "2c1cfa65107ccf407e0a14d00a76641562948c0e0e03dd43829b08d5e57179a9",
            "d9837db47abfb18cbb4ae1b3de1d4b225b344d64d2a9d66062720c8cd79f750e",
            "fb0b2b737e938892a2801a0e2c56388a632bca920db5dc75361e92b39bdf0352",
            "d5de828941bcd0ecb3d624e372f01879fd36e46a4cd8e9313102682054ce0851",
        ],
    );
}

#[test]
fn electra_mainnet_chain_is_unchanged() {
    assert_pins(
        options("mainnet", "electra", 600, 100),
        [
            "63e9ef7066f4e5133ac912ec80489e2cc3a3342dda8395323811e2c07ab84036",
            "99cd8d5df0fd4d42d8835a673f3b045435fae8ca1815613dbc96c07678809b78",
            "4bffdbc63aee7a37320c8f4f38987221ca1be666d9f8254a3df79012bba4b629",
            "cae0fddc303d65c98055973abeef26d41b58877e38633a6593d1ede6d33a7b74",
        ],
    );
}

#[test]
fn fulu_mainnet_chain_is_unchanged() {
    assert_pins(
        options("mainnet", "fulu", 600, 100),
        [
            "a76df1a03953389f3c692aba5b36912f83224afdfdc18b2983205d5611da39ae",
            "e66b4ad751f3be237f16bd52bfa416f8ad50cee9f0e38086ab45c5030d1c1482",
            "3597c0c8b37c03122a44fa4a6cbf5c619ea643e149af4b902db0909ece6b8de4",
            "51cb5c2c2becea08b86dcadd24d30112fd798bd8dbd0df8f7d57204360776299",
        ],
    );
}

#[test]
fn gloas_minimal_chain_is_unchanged() {
    assert_pins(
        options("minimal", "gloas", 256, 150),
        [
            "85dbe02e40ea24f0a846350362e9383f5d066eb3c56d4fd3a4a76e907f2f852d",
            "4f57dc97e10f6574a000cbd622ec180daddd75c36ea9b390224b2ee10221aeec",
            "623030d13de3d53c0b86e5b9429fb6bbc45051b40b4d9c9106a3b1314b07cd66",
            "1f85f699584cbf633d837feed98c763572530f2dae8ae68020db3878bf79fdc9",
        ],
    );
}

#[test]
fn gloas_mainnet_chain_is_unchanged() {
    assert_pins(
        options("mainnet", "gloas", 600, 100),
        [
            "5a0d631341347a96c1bb05fba88af73a561ecd931984ad90e4a1cd260e07ad52",
            "13e5142f6575bdff85617450131d52b8e4f9e6b9d991338599c4aea1ec914de4",
            "95e5aabf6f2a9e6c2d695dbe14c2a1cc41714af8cc6c68d66d56a32a90946b8a",
            "dc799d590ca0fcd82348e1487376039f38d557cdd90483c95b258ea1b190773e",
        ],
    );
}

#[test]
fn fulu_to_gloas_minimal_chain_is_unchanged() {
    assert_pins(
        ChainOptions {
            gloas_epoch: Some(9),
            ..options("minimal", "fulu", 256, 150)
        },
        [
            "565d9655d3a5c1546a6f6872812d875137ddcff20fcf5fcd51eeb3952e18b176",
            "903a15e4e039b2eeb8819fe569007e1033656893c7dea896d45a06e37b2c14f1",
            "347d019959ac98aa875ba7ac0ed5256a751ca11cdcb0b503d57b3a38f6404302",
            "b76190d4e5f8aa815c155ec033302a19040ef9918591f474841ddc4fff6398be",
        ],
    );
}
