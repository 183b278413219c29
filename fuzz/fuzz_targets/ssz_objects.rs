//! SSZ of every block and light-client type, every fork, both presets: `SignedBeaconBlock`,
//! `BeaconBlock`, `BeaconBlockBody`, `ExecutionPayload`, `ExecutionPayloadHeader`,
//! `LightClientBootstrap`, `LightClientUpdate`, `LightClientFinalityUpdate` and
//! `LightClientOptimisticUpdate`; and small containers through the byte-level merkleizer with
//! their derived schema (`BeaconBlockHeader`, `Checkpoint`, `Validator`, `SyncCommittee`), plus
//! the store's 112-byte header root.
//!
//! The input's last byte picks the preset and the type family (see `selector`); every fork of
//! that family is tried, so raw and `*.ssz_snappy` seeds work as they are. Checks: a value that decodes re-encodes to exactly the input (SSZ is canonical);
//! its `tree_hash_root` is computed; where the schema merkleizer exists, it accepts exactly
//! what the typed decoder accepts and gives the same root.
#![no_main]

use beacon_lightsync::merkle::{hash_tree_root, MerkleError};
use beacon_lightsync::store::verify::header_root;
use beacon_lightsync::types::light_client::{
    LightClientBootstrap, LightClientFinalityUpdate, LightClientOptimisticUpdate, LightClientUpdate,
};
use beacon_lightsync::types::{
    altair, phase0, AnyBeaconBlock, AnyBeaconBlockBody, AnyExecutionPayload,
    AnyExecutionPayloadHeader, AnySignedBeaconBlock, ForkName, Mainnet, Minimal, Preset, SszSchema,
};
use beacon_lightsync_fuzz::{selector, views};
use libfuzzer_sys::fuzz_target;
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

/// Decodes `$bytes` as `$ty` at `$fork`; when that succeeds, re-encodes and hashes.
macro_rules! roundtrip {
    ($bytes:expr, $fork:expr, $ty:ty) => {{
        if let Ok(v) = <$ty>::from_ssz_bytes($fork, $bytes) {
            assert_eq!(
                v.as_ssz_bytes(),
                $bytes,
                "{} at {}: re-encoding differs",
                stringify!($ty),
                $fork
            );
            let _ = v.tree_hash_root();
        }
    }};
}

/// Type families decoded by [`every_fork`], plus one for the small containers.
const FAMILIES: usize = 10;

fn every_fork<P: Preset>(bytes: &[u8], family: usize) {
    for fork in ForkName::ALL {
        match family {
            0 => roundtrip!(bytes, fork, AnySignedBeaconBlock<P>),
            1 => roundtrip!(bytes, fork, AnyBeaconBlock<P>),
            2 => roundtrip!(bytes, fork, AnyBeaconBlockBody<P>),
            3 => roundtrip!(bytes, fork, AnyExecutionPayload<P>),
            4 => roundtrip!(bytes, fork, AnyExecutionPayloadHeader<P>),
            5 => roundtrip!(bytes, fork, LightClientBootstrap<P>),
            6 => roundtrip!(bytes, fork, LightClientUpdate<P>),
            7 => roundtrip!(bytes, fork, LightClientFinalityUpdate<P>),
            _ => roundtrip!(bytes, fork, LightClientOptimisticUpdate<P>),
        }
    }
}

/// The schema merkleizer, walking `T`'s schema, and the typed decoder agree on `bytes` as `T`.
fn agree<T: Decode + Encode + TreeHash + SszSchema>(bytes: &[u8]) {
    let schema = &T::ssz_type();
    let typed = T::from_ssz_bytes(bytes);
    let bytewise: Result<[u8; 32], MerkleError> = hash_tree_root(schema, bytes);
    match typed {
        Ok(v) => {
            assert_eq!(v.as_ssz_bytes(), bytes, "{schema:?}: re-encoding differs");
            assert_eq!(
                bytewise,
                Ok(v.tree_hash_root().0),
                "{schema:?}: roots differ"
            );
        }
        Err(e) => assert!(
            bytewise.is_err(),
            "schema merkleizer accepted what the decoder refused ({e:?})"
        ),
    }
}

fn small_containers(bytes: &[u8]) {
    agree::<phase0::BeaconBlockHeader>(bytes);
    agree::<phase0::Checkpoint>(bytes);
    agree::<phase0::Validator>(bytes);
    agree::<altair::SyncCommittee<Minimal>>(bytes);
    agree::<altair::SyncCommittee<Mainnet>>(bytes);
    if let Ok(h) = <&[u8; 112]>::try_from(bytes) {
        let typed = phase0::BeaconBlockHeader::from_ssz_bytes(bytes).expect("112 bytes decode");
        assert_eq!(
            header_root(h),
            typed.tree_hash_root().0,
            "store header root"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let sel = selector(data);
    let family = (sel >> 1) % FAMILIES;
    for bytes in views(data) {
        match (family, sel & 1) {
            (9, _) => small_containers(&bytes),
            (f, 0) => every_fork::<Minimal>(&bytes, f),
            (f, _) => every_fork::<Mainnet>(&bytes, f),
        }
    }
});
