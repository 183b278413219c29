//! Checkpoint flows over real fixtures with published answers: the mainnet genesis state as a
//! local state file, and the epoch-boundary link (a checkpoint block before its epoch's first
//! slot) built from the consensus-spec-tests Electra pre-state.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use beacon_lightsync::beacon_api::{
    ApiError, BeaconApi, FinalityCheckpoints, Genesis, HeaderInfo, RawBody, SszState,
};
use beacon_lightsync::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, Source, StateFile, Verified,
};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::{Ctx, Quiet};
use beacon_lightsync::merkle::state_root;
use beacon_lightsync::store::{MemoryStore, Store, Trust};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{ForkName, PresetName, TreeHash, B256, FAR_FUTURE_EPOCH};
use beacon_lightsync::ws::{FixedClock, WsCheckpoint};
use futures::executor::block_on;

/// A checkpoint sync from `source` into a new, empty store for `net` at `clock`, with no hooks and
/// default options.
fn sync<A: BeaconApi>(
    clock: &FixedClock,
    net: &NetworkConfig,
    providers: &[A],
    source: &Source,
) -> (MemoryStore, Result<Verified, CheckpointError>) {
    let store = MemoryStore::new(&net.name, net.genesis_validators_root.0);
    let result = block_on(
        CheckpointSync {
            ctx: Ctx {
                network: net,
                providers,
                store: &store,
                clock,
            },
            env: &Quiet,
            options: CheckpointOptions::default(),
        }
        .run(source),
    );
    (store, result)
}

fn fixtures() -> PathBuf {
    beacon_lightsync::ssz_io::require_fixtures_dir()
}

fn root(hex_str: &str) -> [u8; 32] {
    hex::decode(hex_str.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// Mainnet genesis (fixtures/genesis-states/README.md): state root 0x7e76…2c2b, genesis block
/// root 0x4d61…9360, 21063 validators, weak-subjectivity period 519 epochs.
#[test]
fn mainnet_genesis_state_file() {
    let bytes = std::fs::read(fixtures().join("genesis-states/mainnet-genesis.ssz")).unwrap();
    let net = NetworkConfig::mainnet();
    let none: Vec<Fake> = Vec::new();
    let (_, result) = sync(
        &FixedClock(net.genesis_time + 3600),
        &net,
        &none,
        &Source::StateFile(StateFile::from_bytes(bytes.clone())),
    );
    let v = result.unwrap();
    assert_eq!(
        v.anchor.state_root,
        root("0x7e76880eb67bbdc86250aa578958e9d0675e64e714337855204fb5abaaf82c2b")
    );
    assert_eq!(
        v.anchor.block_root,
        root("0x4d611d5b93fdab69013a7f0a2f961caca0c853f87cfe9595fe50038163079360")
    );
    assert_eq!(v.anchor.active_validators, 21063);
    assert_eq!(v.anchor.ws_period_epochs, 519);
    assert_eq!(v.anchor.trust, Trust::File);
    assert_eq!(v.anchor.fork, "phase0");
    assert!(v.anchor.current_sync_committee.is_none());

    // The same state claimed for another network is refused.
    let other = NetworkConfig::sepolia();
    let (store, result) = sync(
        &FixedClock(other.genesis_time + 3600),
        &other,
        &none,
        &Source::StateFile(StateFile::from_bytes(bytes)),
    );
    let err = result.unwrap_err();
    // Sepolia's genesis version differs from mainnet's, so the fork check fails first; either
    // way the state is refused before anything is stored.
    assert!(
        ["WRONG_NETWORK", "DECODE", "FORK_MISMATCH"].contains(&err.code()),
        "{err}"
    );
    assert!(block_on(store.anchors()).unwrap().is_empty());
}

/// A provider over canned data: one header, and states by id.
struct Fake {
    genesis: Genesis,
    header: HeaderInfo,
    states: Vec<(String, Vec<u8>)>,
}

impl BeaconApi for Fake {
    fn base_url(&self) -> &str {
        "fake://provider"
    }
    async fn genesis(&self) -> Result<Genesis, ApiError> {
        Ok(self.genesis)
    }
    async fn spec(&self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        Ok(Default::default())
    }
    async fn header(&self, block_id: &str) -> Result<Option<HeaderInfo>, ApiError> {
        let me = format!("0x{}", hex::encode(self.header.root));
        Ok((block_id == me).then(|| self.header.clone()))
    }
    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>> {
        slots.iter().map(|_| Ok(None)).collect()
    }
    async fn finality_checkpoints(&self, _: &str) -> Result<FinalityCheckpoints, ApiError> {
        Err(ApiError::Network {
            url: "fake".into(),
            reason: "not served".into(),
        })
    }
    async fn state_ssz(
        &self,
        state_id: &str,
        _: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<SszState, ApiError> {
        match self.states.iter().find(|(id, _)| id == state_id) {
            Some((_, bytes)) => Ok(SszState {
                url: format!("fake/{state_id}"),
                consensus_version: Some(ForkName::Electra),
                bytes: bytes.clone(),
            }),
            None => Err(ApiError::HttpStatus {
                url: format!("fake/{state_id}"),
                status: 404,
                retry_after_seconds: None,
                message: "State not found".into(),
            }),
        }
    }
    async fn block_ssz(&self, _: &[u8; 32]) -> Result<RawBody, ApiError> {
        unreachable_api()
    }
    async fn light_client_bootstrap(&self, _: &[u8; 32]) -> Result<RawBody, ApiError> {
        unreachable_api()
    }
    async fn light_client_updates(&self, _: u64, _: u64) -> Result<RawBody, ApiError> {
        unreachable_api()
    }
    async fn light_client_finality_update(&self) -> Result<RawBody, ApiError> {
        unreachable_api()
    }
}

fn unreachable_api() -> Result<RawBody, ApiError> {
    Err(ApiError::Network {
        url: "fake".into(),
        reason: "not served".into(),
    })
}

/// Byte offsets in an Electra BeaconState (mainnet preset): `latest_block_header` follows
/// genesis_time 8 + genesis_validators_root 32 + slot 8 + fork 16; `block_roots` follows it
/// (112 bytes); `state_roots` follows 8192 block roots.
const SLOT_AT: usize = 40;
const HEADER_AT: usize = 64;
const BLOCK_ROOTS_AT: usize = HEADER_AT + 112;
const STATE_ROOTS_AT: usize = BLOCK_ROOTS_AT + 8192 * 32;

/// The Electra pre-state of consensus-spec-tests `sanity/blocks/empty_block_transition`
/// (fixtures/grandine-electra-sanity-block): slot 0, and block 1's `parent_root`
/// 0x1664f61a…618b is the root of its latest block header with the state root filled in
/// (authoritative: produced by pyspec).
fn electra_case() -> (Vec<u8>, NetworkConfig, [u8; 32], [u8; 32]) {
    let pre = beacon_lightsync::ssz_io::read_ssz_file(
        fixtures().join("grandine-electra-sanity-block/pre.ssz_snappy"),
    )
    .unwrap();
    let block_root = root("0x1664f61ab6018c5296a50b071098b08121f31c18ac3b5c13a136a97f8734618b");
    let pre_root = state_root(&pre, ForkName::Electra, PresetName::Mainnet).unwrap();
    let mut net = NetworkConfig::mainnet();
    net.name = "electra-spec-test".into();
    net.genesis_validators_root = B256::from_slice(&pre[8..40]);
    net.genesis_time = u64::from_le_bytes(pre[0..8].try_into().unwrap());
    for (i, f) in net.forks.iter_mut().enumerate() {
        // Altair..Electra at genesis, Fulu unscheduled, as in the spec test's config.
        f.epoch = if i < 5 { 0 } else { FAR_FUTURE_EPOCH };
    }
    (pre, net, block_root, pre_root)
}

fn header_of(state: &[u8], state_root: [u8; 32]) -> BeaconBlockHeader {
    let h = &state[HEADER_AT..HEADER_AT + 112];
    BeaconBlockHeader {
        slot: u64::from_le_bytes(h[0..8].try_into().unwrap()),
        proposer_index: u64::from_le_bytes(h[8..16].try_into().unwrap()),
        parent_root: B256::from_slice(&h[16..48]),
        state_root: B256::from(state_root),
        body_root: B256::from_slice(&h[80..112]),
    }
}

#[test]
fn checkpoint_at_the_block_slot_and_across_an_epoch_boundary() {
    let (pre, net, block_root, pre_root) = electra_case();
    let header = header_of(&pre, pre_root);
    assert_eq!(header.tree_hash_root().0, block_root, "fixture link");
    let info = HeaderInfo {
        root: block_root,
        canonical: true,
        header,
        signature: [0; 96],
    };
    let genesis = Genesis {
        genesis_time: net.genesis_time,
        genesis_validators_root: net.genesis_validators_root.0,
        genesis_fork_version: net.genesis_fork_version.0,
    };
    let clock = FixedClock(net.genesis_time + 64 * 12);

    // 1. The block is at the checkpoint epoch's first slot (slot 0, epoch 0).
    let fake = Fake {
        genesis,
        header: info.clone(),
        states: vec![(format!("0x{}", hex::encode(pre_root)), pre.clone())],
    };
    let cp0 = WsCheckpoint {
        root: block_root,
        epoch: 0,
    };
    let (_, result) = sync(
        &clock,
        &net,
        std::slice::from_ref(&fake),
        &Source::Checkpoint(cp0),
    );
    let v = result.unwrap();
    assert_eq!(v.anchor.block_root, block_root);
    assert_eq!(v.anchor.state_root, pre_root);
    assert!(!v.anchor.linked_through_latest_block_header);
    assert_eq!(v.anchor.active_validators, 256);

    // 2. Checkpoint `block:1`: slots 1..31 empty, so the epoch-1 boundary state (slot 32) is
    // what process_slots leaves: the header's state root filled in, and the block and its state
    // recorded in block_roots[0] / state_roots[0]. The provider serves it only by slot.
    let mut boundary = pre.clone();
    boundary[SLOT_AT..SLOT_AT + 8].copy_from_slice(&32u64.to_le_bytes());
    boundary[HEADER_AT + 48..HEADER_AT + 80].copy_from_slice(&pre_root);
    boundary[BLOCK_ROOTS_AT..BLOCK_ROOTS_AT + 32].copy_from_slice(&block_root);
    boundary[STATE_ROOTS_AT..STATE_ROOTS_AT + 32].copy_from_slice(&pre_root);
    let boundary_root = state_root(&boundary, ForkName::Electra, PresetName::Mainnet).unwrap();
    let fake = Fake {
        genesis,
        header: info.clone(),
        states: vec![("32".into(), boundary.clone())],
    };
    let cp1 = WsCheckpoint {
        root: block_root,
        epoch: 1,
    };
    let (_, result) = sync(
        &clock,
        &net,
        std::slice::from_ref(&fake),
        &Source::Checkpoint(cp1),
    );
    let v = result.unwrap();
    assert_eq!(v.anchor.block_root, block_root);
    assert_eq!(v.anchor.state_root, boundary_root);
    assert_eq!(v.anchor.slot, 32);
    assert_eq!(v.anchor.epoch, 1);
    assert!(v.anchor.linked_through_latest_block_header);
    assert_eq!(v.anchor.trust, Trust::Checkpoint);

    // A trusted root without an epoch falls back to the next boundary when the state of the
    // block itself is not served.
    // Block at slot 0 is itself a boundary, so without an epoch the state is required.
    let (_, result) = sync(
        &clock,
        &net,
        std::slice::from_ref(&fake),
        &Source::TrustedBlockRoot(block_root),
    );
    let err = result.unwrap_err();
    assert_eq!(err.code(), "STATE_NOT_FOUND", "{err}");

    // 3. A boundary state whose history does not record the block's state: refused.
    let mut forged = boundary.clone();
    forged[STATE_ROOTS_AT] ^= 0xff;
    let fake = Fake {
        genesis,
        header: info,
        states: vec![("32".into(), forged)],
    };
    let (store, result) = sync(
        &clock,
        &net,
        std::slice::from_ref(&fake),
        &Source::Checkpoint(cp1),
    );
    let err = result.unwrap_err();
    assert_eq!(err.code(), "STATE_LINK_MISMATCH", "{err}");
    assert!(block_on(store.anchors()).unwrap().is_empty());
}
