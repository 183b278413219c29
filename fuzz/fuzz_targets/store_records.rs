//! Decoding of the stored records (`anchors`, `headers`, `meta`, `anchor_roots`, `head`, the
//! backfill cursor, sync committees): the `Deserialize` implementations IndexedDB reads go
//! through, driven here by JSON (bytes as arrays of numbers, one of the forms they accept).
//! A record that decodes encodes and decodes again to the same value; its checks and accessors
//! run on it.
#![no_main]

use beacon_lightsync::store::{
    AnchorRecord, AnchorRootsRecord, BackfillCursor, HeadRecord, HeaderRecord, MetaRecord,
    SyncCommitteeRecord,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn roundtrip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    data: &[u8],
) -> Option<T> {
    let value: T = serde_json::from_slice(data).ok()?;
    let encoded = serde_json::to_vec(&value).expect("a decoded record encodes");
    let back: T = serde_json::from_slice(&encoded).expect("an encoded record decodes");
    assert_eq!(back, value, "record round trip differs");
    Some(value)
}

fuzz_target!(|data: &[u8]| {
    let _ = roundtrip::<AnchorRecord>(data);
    let _ = roundtrip::<MetaRecord>(data);
    let _ = roundtrip::<BackfillCursor>(data);
    let _ = roundtrip::<HeadRecord>(data);
    let _ = roundtrip::<SyncCommitteeRecord>(data);
    if let Some(h) = roundtrip::<HeaderRecord>(data) {
        let _ = (h.encoded_slot(), h.parent_root(), h.state_root());
    }
    if let Some(r) = roundtrip::<AnchorRootsRecord>(data) {
        assert!(
            r.check().is_ok(),
            "a decoded anchor_roots record passes its check"
        );
    }
});
