//! The IndexedDB store in a real browser: persistence across reopen, atomic batches, schema
//! refusal. Each test creates its own database (named by a test-specific genesis validators
//! root) and deletes it at the end.
#![cfg(target_arch = "wasm32")]

use std::future::IntoFuture;

use beacon_lightsync::store::{
    database_name, AnchorRecord, BackfillCursor, HeaderRecord, IdbStore, Store, StoreError,
    SyncCommitteeRecord, Trust, HEADER_SSZ_LEN, SCHEMA_VERSION,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn header(slot: u64, parent: [u8; 32]) -> HeaderRecord {
    let mut bytes = [0u8; HEADER_SSZ_LEN];
    bytes[0..8].copy_from_slice(&slot.to_le_bytes());
    bytes[16..48].copy_from_slice(&parent);
    bytes[48..80].copy_from_slice(&[0xaa; 32]);
    let mut root = [0u8; 32];
    root[..8].copy_from_slice(&slot.to_be_bytes());
    root[31] = 1;
    HeaderRecord {
        slot,
        header: bytes,
        root,
    }
}

fn chain(slots: &[u64]) -> (Vec<HeaderRecord>, BackfillCursor) {
    let mut parent = [0x11; 32];
    let mut out = Vec::new();
    for &slot in slots {
        let h = header(slot, parent);
        parent = h.root;
        out.push(h);
    }
    let cursor = BackfillCursor {
        oldest_slot: out[0].slot,
        oldest_root: out[0].root,
        oldest_parent_root: out[0].parent_root(),
        target_slot: 0,
    };
    (out, cursor)
}

fn anchor(root_byte: u8, slot: u64) -> AnchorRecord {
    let committee = SyncCommitteeRecord {
        pubkeys: (0..512u32).map(|i| [(i % 251) as u8; 48]).collect(),
        aggregate_pubkey: [9; 48],
    };
    AnchorRecord {
        network: "mainnet".into(),
        slot,
        epoch: slot / 32,
        block_root: [root_byte; 32],
        state_root: [root_byte ^ 0xff; 32],
        fork: "electra".into(),
        trust: Trust::Checkpoint,
        linked_through_latest_block_header: true,
        providers: vec!["http://127.0.0.1:5052".into()],
        ws_period_epochs: 3532,
        // Above 2^53: must survive as a BigInt.
        total_active_balance: 34_123_456_789_012_345,
        active_validators: 1_061_234,
        current_sync_committee: Some(committee.clone()),
        next_sync_committee: Some(committee),
        created_at: 1_760_000_000,
        stale: false,
    }
}

/// Opens a fresh database for `gvr`, removing any leftover of an earlier failed run.
async fn fresh(gvr: [u8; 32]) -> IdbStore {
    IdbStore::delete_database(&gvr).await.unwrap();
    IdbStore::open("mainnet", gvr).await.unwrap()
}

#[wasm_bindgen_test]
async fn reopen_finds_the_anchor_headers_and_cursor() {
    let gvr = [0xa1; 32];
    let store = fresh(gvr).await;
    assert_eq!(store.name(), database_name(&gvr));
    store.put_anchor(&anchor(1, 640), true).await.unwrap();
    let (batch, cursor) = chain(&[600, 601, 639]);
    store.commit_backfill_batch(&batch, &cursor).await.unwrap();
    store.put_state(&[5; 32], &[1, 2, 3, 4]).await.unwrap();
    let before = store.dump().await.unwrap();
    drop(store);

    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    assert_eq!(store.active_anchor().await.unwrap(), Some(anchor(1, 640)));
    assert_eq!(store.backfill_cursor().await.unwrap(), Some(cursor));
    assert_eq!(
        store.headers_range(601, 640).await.unwrap(),
        batch[1..].to_vec()
    );
    assert_eq!(store.header(600).await.unwrap(), Some(batch[0].clone()));
    assert_eq!(store.header(602).await.unwrap(), None);
    assert_eq!(
        store.get_state(&[5; 32]).await.unwrap(),
        Some(vec![1, 2, 3, 4])
    );
    let after = store.dump().await.unwrap();
    assert_eq!(after, before);
    assert_eq!(after.meta.schema_version, SCHEMA_VERSION);
    assert_eq!(after.meta.genesis_validators_root, gvr);
    store.delete().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_batch_failing_mid_way_leaves_the_database_identical() {
    let gvr = [0xa2; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(1, 320), true).await.unwrap();
    let (first, cursor) = chain(&[200, 201]);
    store.commit_backfill_batch(&first, &cursor).await.unwrap();
    let before = store.dump().await.unwrap();

    // Two new slots are written inside the transaction before the third clashes with a stored
    // header; IndexedDB then aborts the transaction, and neither the headers nor the cursor stay.
    let (batch, cursor) = chain(&[150, 160, 201]);
    assert_eq!(
        store.commit_backfill_batch(&batch, &cursor).await,
        Err(StoreError::HeaderAlreadyStored { slot: 201 })
    );
    assert_eq!(store.dump().await.unwrap(), before);

    // Refused before any write: a cursor that is not the batch's oldest header.
    let (batch, mut cursor) = chain(&[150, 160]);
    cursor.oldest_slot = 160;
    assert!(matches!(
        store.commit_backfill_batch(&batch, &cursor).await,
        Err(StoreError::CursorMismatch { .. })
    ));
    assert_eq!(
        store.set_active_anchor(&[9; 32]).await,
        Err(StoreError::AnchorNotFound {
            block_root: [9; 32]
        })
    );
    assert_eq!(store.dump().await.unwrap(), before);

    // The same batch without the clash goes through.
    let (batch, cursor) = chain(&[150, 160]);
    store.commit_backfill_batch(&batch, &cursor).await.unwrap();
    assert_eq!(store.dump().await.unwrap().headers.len(), 4);
    store.reset_backfill().await.unwrap();
    let reset = store.dump().await.unwrap();
    assert!(reset.headers.is_empty());
    assert_eq!(reset.meta.backfill_cursor, None);
    assert_eq!(reset.anchors, before.anchors);
    store.delete().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_newer_schema_is_refused_and_left_untouched() {
    let gvr = [0xa3; 32];
    IdbStore::delete_database(&gvr).await.unwrap();
    let name = database_name(&gvr);
    let factory = idb::Factory::new().unwrap();

    // A database as a future version of the library might leave it.
    let mut request = factory.open(&name, Some(99)).unwrap();
    request.on_upgrade_needed(|event| {
        use idb::event::DatabaseEvent;
        let db = event.database().unwrap();
        db.create_object_store("future", idb::ObjectStoreParams::new())
            .unwrap();
    });
    let db = request.await.unwrap();
    let tx = db
        .transaction(&["future"], idb::TransactionMode::ReadWrite)
        .unwrap();
    tx.object_store("future")
        .unwrap()
        .put(&JsValue::from_str("keep me"), Some(&JsValue::from_str("k")))
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();

    assert_eq!(
        IdbStore::open("mainnet", gvr).await.unwrap_err(),
        StoreError::SchemaTooNew {
            found: 99,
            supported: SCHEMA_VERSION
        }
    );

    let db = factory.open(&name, None).unwrap().await.unwrap();
    assert_eq!(db.version().unwrap(), 99);
    assert_eq!(db.store_names(), vec!["future".to_string()]);
    let tx = db
        .transaction(&["future"], idb::TransactionMode::ReadOnly)
        .unwrap();
    let value = tx
        .object_store("future")
        .unwrap()
        .get(idb::Query::Key(JsValue::from_str("k")))
        .unwrap()
        .into_future()
        .await
        .unwrap();
    assert_eq!(value.and_then(|v| v.as_string()), Some("keep me".into()));
    db.close();
    IdbStore::delete_database(&gvr).await.unwrap();
}

#[wasm_bindgen_test]
async fn another_network_name_is_refused() {
    let gvr = [0xa4; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(1, 32), true).await.unwrap();
    let before = store.dump().await.unwrap();
    drop(store);
    assert_eq!(
        IdbStore::open("sepolia", gvr).await.unwrap_err(),
        StoreError::NetworkMismatch {
            expected: "sepolia".into(),
            got: "mainnet".into()
        }
    );
    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    assert_eq!(store.dump().await.unwrap(), before);
    store.delete().await.unwrap();
}

#[wasm_bindgen_test]
async fn records_are_stored_compactly_as_bytes_and_bigints() {
    let gvr = [0xa5; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(7, 32), false).await.unwrap();
    drop(store);

    let db = idb::Factory::new()
        .unwrap()
        .open(&database_name(&gvr), None)
        .unwrap()
        .await
        .unwrap();
    let tx = db
        .transaction(&["anchors"], idb::TransactionMode::ReadOnly)
        .unwrap();
    let values = tx
        .object_store("anchors")
        .unwrap()
        .get_all(None, None)
        .unwrap()
        .into_future()
        .await
        .unwrap();
    assert_eq!(values.len(), 1);
    let record = &values[0];
    let field = |name: &str| js_sys::Reflect::get(record, &JsValue::from_str(name)).unwrap();
    let root = field("block_root");
    assert!(root.is_instance_of::<js_sys::Uint8Array>(), "{root:?}");
    assert_eq!(
        root.unchecked_into::<js_sys::Uint8Array>().to_vec(),
        vec![7; 32]
    );
    assert!(field("total_active_balance").is_bigint());
    assert_eq!(field("trust").as_string(), Some("checkpoint".into()));
    let committee = field("current_sync_committee");
    let pubkeys = js_sys::Reflect::get(&committee, &JsValue::from_str("pubkeys")).unwrap();
    assert_eq!(
        pubkeys.unchecked_into::<js_sys::Uint8Array>().length(),
        512 * 48
    );
    db.close();
    IdbStore::delete_database(&gvr).await.unwrap();
}
