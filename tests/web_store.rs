//! The IndexedDB store in a real browser: persistence across reopen, atomic batches, schema
//! refusal. Each test creates its own database (named by a test-specific genesis validators
//! root) and deletes it at the end.
#![cfg(target_arch = "wasm32")]

use std::future::IntoFuture;

use beacon_lightsync::store::{
    database_name, AnchorRecord, BackfillCursor, HeadRecord, HeadSource, HeaderRecord, IdbStore,
    RebuiltBackfill, Store, StoreError, SyncCommitteeRecord, Trust, HEADER_SSZ_LEN, SCHEMA_VERSION,
};
use beacon_lightsync::types::ForkName;
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
    let cursor = BackfillCursor::below(&out[0], 0);
    (out, cursor)
}

fn anchor(root_byte: u8, slot: u64) -> AnchorRecord {
    let committee = SyncCommitteeRecord {
        pubkeys: (0..512u32).map(|i| [(i % 251) as u8; 48]).collect(),
        aggregate_pubkey: [9; 48],
    };
    AnchorRecord {
        linked_through_latest_block_header: true,
        providers: vec!["http://127.0.0.1:5052".into()],
        ws_period_epochs: 3532,
        // Above 2^53: must survive as a BigInt.
        total_active_balance: 34_123_456_789_012_345,
        active_validators: 1_061_234,
        current_sync_committee: Some(committee.clone()),
        next_sync_committee: Some(committee),
        created_at: 1_760_000_000,
        ..AnchorRecord::new(
            "mainnet",
            slot,
            slot / 32,
            [root_byte; 32],
            [root_byte ^ 0xff; 32],
            ForkName::Electra,
            Trust::Checkpoint,
        )
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
    let after = store.dump().await.unwrap();
    assert_eq!(after, before);
    assert_eq!(after.meta.schema_version, SCHEMA_VERSION);
    assert_eq!(after.meta.genesis_validators_root, gvr);
    store.delete().await.unwrap();
}

/// Headers for `slots` (ascending) that continue the backfill below `cursor`: the highest is the
/// block the cursor's header names as its parent.
fn below(cursor: &BackfillCursor, slots: &[u64]) -> (Vec<HeaderRecord>, BackfillCursor) {
    let (mut headers, mut next) = chain(slots);
    headers.last_mut().unwrap().root = cursor.oldest_parent_root;
    next.oldest_root = headers[0].root;
    (headers, next)
}

/// Writes `header` straight into its pack in the `header_packs` object store, bypassing every
/// check: a record no writer of this library leaves (a stray header below the cursor).
async fn plant_header(gvr: [u8; 32], header: &HeaderRecord) {
    use beacon_lightsync::store::pack::{decode_pack, encode_pack, merge_pack, pack_index};
    let db = idb::Factory::new()
        .unwrap()
        .open(&database_name(&gvr), None)
        .unwrap()
        .await
        .unwrap();
    let tx = db
        .transaction(&["header_packs"], idb::TransactionMode::ReadWrite)
        .unwrap();
    let store = tx.object_store("header_packs").unwrap();
    let index = pack_index(header.slot);
    let key = JsValue::from_f64(index as f64);
    let stored = match store
        .get(idb::Query::Key(key.clone()))
        .unwrap()
        .await
        .unwrap()
    {
        Some(v) => decode_pack(index, &js_sys::Uint8Array::new(&v).to_vec()).unwrap(),
        None => Vec::new(),
    };
    let bytes = encode_pack(&merge_pack(&stored, &[header]));
    store
        .put(&js_sys::Uint8Array::from(&bytes[..]).into(), Some(&key))
        .unwrap()
        .await
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

#[wasm_bindgen_test]
async fn a_batch_failing_mid_way_leaves_the_database_identical() {
    let gvr = [0xa2; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(1, 320), true).await.unwrap();
    let (first, cursor) = chain(&[200, 201]);
    store.commit_backfill_batch(&first, &cursor).await.unwrap();
    plant_header(gvr, &header(160, [0x77; 32])).await;
    let before = store.dump().await.unwrap();

    // The third slot clashes with a stored header: the batch is refused inside its transaction
    // (which read the packs it falls into), and neither the headers nor the cursor change.
    let (batch, next) = below(&cursor, &[150, 160, 199]);
    assert_eq!(
        store.commit_backfill_batch(&batch, &next).await,
        Err(StoreError::HeaderAlreadyStored { slot: 160 })
    );
    assert_eq!(store.dump().await.unwrap(), before);

    // A second writer whose batch does not hang from the stored cursor: refused inside the
    // transaction (compare-and-set), with a typed error, not a clash.
    let (stale, stale_cursor) = chain(&[150, 170]);
    let error = store
        .commit_backfill_batch(&stale, &stale_cursor)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::CursorConflict { .. }),
        "{error:?}"
    );
    assert_eq!(store.dump().await.unwrap(), before);

    // Refused before any write: a cursor that is not the batch's oldest header.
    let (batch, mut bad) = below(&cursor, &[150, 170]);
    bad.oldest_slot = 170;
    assert!(matches!(
        store.commit_backfill_batch(&batch, &bad).await,
        Err(StoreError::CursorMismatch { .. })
    ));
    assert_eq!(
        store.set_active_anchor(&[9; 32]).await,
        Err(StoreError::AnchorNotFound {
            block_root: [9; 32]
        })
    );
    assert_eq!(store.dump().await.unwrap(), before);

    // A batch that hangs from the cursor and clashes with nothing goes through.
    let (batch, next) = below(&cursor, &[170, 180]);
    store.commit_backfill_batch(&batch, &next).await.unwrap();
    assert_eq!(store.dump().await.unwrap().headers.len(), 5);
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

/// Headers at `slots` (ascending), the first a child of `parent`.
fn linked(slots: &[u64], parent: [u8; 32]) -> Vec<HeaderRecord> {
    let mut parent = parent;
    slots
        .iter()
        .map(|&slot| {
            let h = header(slot, parent);
            parent = h.root;
            h
        })
        .collect()
}

fn head_of(top: &HeaderRecord, anchor_root: [u8; 32], source: HeadSource) -> HeadRecord {
    HeadRecord {
        slot: top.slot,
        block_root: top.root,
        state_root: top.state_root(),
        source,
        anchor_root,
        updated_at: 1_760_000_100,
        execution: None,
    }
}

/// A record encoded the way the library writes it (`serde-wasm-bindgen`, u64 as BigInt).
fn encode<T: serde::Serialize>(value: &T) -> JsValue {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    value.serialize(&serializer).unwrap()
}

#[wasm_bindgen_test]
async fn a_head_is_stored_with_its_headers_in_one_transaction() {
    let gvr = [0xa6; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(1, 64), true).await.unwrap();
    let first = linked(&[65, 67, 70], [1; 32]);
    let head = head_of(&first[2], [1; 32], HeadSource::Checkpoints);
    assert_eq!(store.commit_head(&head, &first).await, Ok(3));
    drop(store);

    // A reload finds the tip and its chain.
    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    assert_eq!(store.head().await.unwrap(), Some(head));
    assert_eq!(store.headers_range(0, 100).await.unwrap(), first);
    let before = store.dump().await.unwrap();
    assert_eq!(before.head, Some(head));

    // Refused inside the transaction, after its reads: a header that differs from the stored
    // one at its slot, a chain that hangs from neither the stored head nor the anchor, an
    // unknown anchor. The database is left as it was.
    let mut fork = first[1].clone();
    fork.root = [0x5a; 32];
    let forked = vec![first[0].clone(), fork.clone()];
    assert_eq!(
        store
            .commit_head(&head_of(&fork, [1; 32], HeadSource::Checkpoints), &forked)
            .await,
        Err(StoreError::HeaderConflict {
            slot: 67,
            stored: first[1].root,
            got: [0x5a; 32]
        })
    );
    let gap = linked(&[80, 81], [0x33; 32]);
    assert!(matches!(
        store
            .commit_head(&head_of(&gap[1], [1; 32], HeadSource::Checkpoints), &gap)
            .await,
        Err(StoreError::ChainMismatch { .. })
    ));
    let next = linked(&[71, 72], first[2].root);
    assert_eq!(
        store
            .commit_head(&head_of(&next[1], [4; 32], HeadSource::Checkpoints), &next)
            .await,
        Err(StoreError::AnchorNotFound {
            block_root: [4; 32]
        })
    );
    assert_eq!(store.dump().await.unwrap(), before);

    // The next step goes through; a backfill reset then drops the head with the headers.
    let head2 = head_of(&next[1], [1; 32], HeadSource::FinalityUpdate);
    assert_eq!(store.commit_head(&head2, &next).await, Ok(2));
    assert_eq!(store.head().await.unwrap(), Some(head2));
    store.reset_backfill().await.unwrap();
    let reset = store.dump().await.unwrap();
    assert_eq!((reset.head, reset.headers.len()), (None, 0));
    store.delete().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_rebuilt_anchor_is_stored_with_its_chain_cursor_and_head() {
    let gvr = [0xa7; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(1, 32), true).await.unwrap();
    let old_block = header(30, [0x11; 32]);
    let above = linked(&[31, 40, 64], old_block.root);
    let mut new = anchor(2, 64);
    new.block_root = above[2].root;
    new.trust = Trust::LightClient;
    let head = head_of(&above[2], new.block_root, HeadSource::FinalityUpdate);
    let mut chain = above.clone();
    chain.push(old_block.clone());
    let cursor = BackfillCursor {
        oldest_slot: 30,
        oldest_root: old_block.root,
        oldest_parent_root: old_block.parent_root(),
        target_slot: 30,
    };
    assert_eq!(
        store
            .commit_rebuilt_anchor(&new, &chain, RebuiltBackfill::Start(&cursor), &head)
            .await,
        Ok(4)
    );
    drop(store);
    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    let dump = store.dump().await.unwrap();
    assert_eq!(dump.meta.active_anchor, Some(new.block_root));
    assert_eq!(dump.meta.backfill_cursor, Some(cursor));
    assert_eq!(dump.head, Some(head));
    assert_eq!(dump.anchors.len(), 2);
    let mut expected = vec![old_block];
    expected.extend(above);
    assert_eq!(dump.headers, expected);
    store.delete().await.unwrap();
}

/// A rebuild whose new chain cannot join the stored backfill resets it in the same transaction
/// as the commit: a refused commit keeps the old backfill whole, an accepted one replaces it.
#[wasm_bindgen_test]
async fn a_rebuild_replacing_the_backfill_resets_it_in_its_own_transaction() {
    let gvr = [0xa9; 32];
    let store = fresh(gvr).await;
    store.put_anchor(&anchor(1, 32), true).await.unwrap();
    let (stray, stray_cursor) = chain(&[10, 12]);
    store
        .commit_backfill_batch(&stray, &stray_cursor)
        .await
        .unwrap();
    let old_block = header(30, [0x11; 32]);
    let above = linked(&[31, 40, 64], old_block.root);
    let mut new = anchor(2, 64);
    new.block_root = above[2].root;
    let head = head_of(&above[2], new.block_root, HeadSource::FinalityUpdate);
    let mut rebuilt = above.clone();
    rebuilt.push(old_block.clone());
    let cursor = BackfillCursor {
        oldest_slot: 30,
        oldest_root: old_block.root,
        oldest_parent_root: old_block.parent_root(),
        target_slot: 30,
    };
    let before = store.dump().await.unwrap();
    // Refused (an anchor of another network): the backfill is not reset on its own.
    let mut foreign = new.clone();
    foreign.network = "sepolia".into();
    assert!(store
        .commit_rebuilt_anchor(&foreign, &rebuilt, RebuiltBackfill::Replace(&cursor), &head)
        .await
        .is_err());
    assert_eq!(store.dump().await.unwrap(), before);
    assert_eq!(
        store
            .commit_rebuilt_anchor(&new, &rebuilt, RebuiltBackfill::Replace(&cursor), &head)
            .await,
        Ok(4)
    );
    let dump = store.dump().await.unwrap();
    assert_eq!(dump.meta.backfill_cursor, Some(cursor));
    assert_eq!(dump.meta.active_anchor, Some(new.block_root));
    let mut expected = vec![old_block];
    expected.extend(above);
    assert_eq!(dump.headers, expected, "the stray backfill is gone");
    store.delete().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_version_2_database_is_upgraded_keeping_every_record() {
    let gvr = [0xa8; 32];
    IdbStore::delete_database(&gvr).await.unwrap();
    let name = database_name(&gvr);
    let factory = idb::Factory::new().unwrap();

    // The database as the schema-2 library left it: its five object stores and a record in each.
    let mut request = factory.open(&name, Some(2)).unwrap();
    request.on_upgrade_needed(|event| {
        use idb::event::DatabaseEvent;
        let db = event.database().unwrap();
        for store in ["anchors", "headers", "meta", "states", "anchor_roots"] {
            db.create_object_store(store, idb::ObjectStoreParams::new())
                .unwrap();
        }
    });
    let db = request.await.unwrap();
    let a = anchor(1, 640);
    let (batch, cursor) = chain(&[600, 601, 639]);
    let identity = js_sys::Object::new();
    js_sys::Reflect::set(&identity, &"network".into(), &"mainnet".into()).unwrap();
    js_sys::Reflect::set(
        &identity,
        &"genesis_validators_root".into(),
        &js_sys::Uint8Array::from(&gvr[..]),
    )
    .unwrap();
    let tx = db
        .transaction(
            &["anchors", "headers", "meta", "states"],
            idb::TransactionMode::ReadWrite,
        )
        .unwrap();
    let key = |k: &str| JsValue::from_str(k);
    let meta = tx.object_store("meta").unwrap();
    meta.put(&JsValue::from_f64(2.0), Some(&key("schema_version")))
        .unwrap();
    meta.put(&identity, Some(&key("identity"))).unwrap();
    meta.put(
        &js_sys::Uint8Array::from(&a.block_root[..]),
        Some(&key("active_anchor")),
    )
    .unwrap();
    meta.put(&encode(&cursor), Some(&key("backfill_cursor")))
        .unwrap();
    tx.object_store("anchors")
        .unwrap()
        .put(
            &encode(&a),
            Some(&js_sys::Uint8Array::from(&a.block_root[..]).into()),
        )
        .unwrap();
    let headers = tx.object_store("headers").unwrap();
    for h in &batch {
        headers
            .put(&encode(h), Some(&JsValue::from_f64(h.slot as f64)))
            .unwrap();
    }
    tx.object_store("states")
        .unwrap()
        .put(
            &js_sys::Uint8Array::from(&[1u8, 2, 3][..]),
            Some(&js_sys::Uint8Array::from(&[5u8; 32][..]).into()),
        )
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();

    // Opened by this library: migrated to the current schema, every record kept, no head yet.
    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    let dump = store.dump().await.unwrap();
    assert_eq!(dump.meta.schema_version, SCHEMA_VERSION);
    assert_eq!(dump.meta.active_anchor, Some(a.block_root));
    assert_eq!(dump.meta.backfill_cursor, Some(cursor));
    assert_eq!(dump.anchors, vec![a.clone()]);
    assert_eq!(dump.headers, batch);
    assert_eq!(dump.head, None);
    // The new object store works: a head above the anchor, kept across a reopen.
    let above = linked(&[641, 645], a.block_root);
    let head = head_of(&above[1], a.block_root, HeadSource::Checkpoints);
    assert_eq!(store.commit_head(&head, &above).await, Ok(2));
    drop(store);
    let raw = factory.open(&name, None).unwrap().await.unwrap();
    assert_eq!(raw.version().unwrap(), SCHEMA_VERSION);
    assert!(raw.store_names().iter().any(|n| n == "head"));
    // The schema-1 `states` record is carried over untouched (nothing reads or writes it now).
    let tx = raw
        .transaction(&["states"], idb::TransactionMode::ReadOnly)
        .unwrap();
    let kept = tx
        .object_store("states")
        .unwrap()
        .get(idb::Query::Key(
            js_sys::Uint8Array::from(&[5u8; 32][..]).into(),
        ))
        .unwrap()
        .await
        .unwrap()
        .map(|v| js_sys::Uint8Array::new(&v).to_vec());
    assert_eq!(kept, Some(vec![1, 2, 3]));
    raw.close();
    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    assert_eq!(store.head().await.unwrap(), Some(head));
    store.delete().await.unwrap();
}

/// A schema-3 database (one record per header) of more headers than one migration step moves:
/// opened by this library, every header is moved into its pack inside the upgrade, the count is
/// kept, the per-header store is gone, a record that was already damaged is not carried over as
/// a header, and the chain verifies whole.
#[wasm_bindgen_test]
async fn a_version_3_database_moves_every_header_into_packs() {
    use beacon_lightsync::store::verify::{linked_headers, verify_store, VERIFY_BATCH_SLOTS};
    const N: u64 = 70_000;
    let gvr = [0xa9; 32];
    IdbStore::delete_database(&gvr).await.unwrap();
    let name = database_name(&gvr);
    let factory = idb::Factory::new().unwrap();
    let mut request = factory.open(&name, Some(3)).unwrap();
    request.on_upgrade_needed(|event| {
        use idb::event::DatabaseEvent;
        let db = event.database().unwrap();
        for store in [
            "anchors",
            "headers",
            "meta",
            "states",
            "anchor_roots",
            "head",
        ] {
            db.create_object_store(store, idb::ObjectStoreParams::new())
                .unwrap();
        }
    });
    let db = request.await.unwrap();
    let chain = linked_headers(N);
    let top = chain.last().unwrap();
    let mut a = anchor(1, top.slot);
    a.block_root = top.root;
    a.state_root = top.state_root();
    a.epoch = top.slot / 32;
    let cursor = BackfillCursor {
        oldest_slot: 1,
        oldest_root: chain[0].root,
        oldest_parent_root: chain[0].parent_root(),
        target_slot: 0,
    };
    let identity = js_sys::Object::new();
    js_sys::Reflect::set(&identity, &"network".into(), &"mainnet".into()).unwrap();
    js_sys::Reflect::set(
        &identity,
        &"genesis_validators_root".into(),
        &js_sys::Uint8Array::from(&gvr[..]),
    )
    .unwrap();
    let tx = db
        .transaction(
            &["anchors", "headers", "meta"],
            idb::TransactionMode::ReadWrite,
        )
        .unwrap();
    let key = |k: &str| JsValue::from_str(k);
    let meta = tx.object_store("meta").unwrap();
    meta.put(&JsValue::from_f64(3.0), Some(&key("schema_version")))
        .unwrap();
    meta.put(&identity, Some(&key("identity"))).unwrap();
    meta.put(
        &js_sys::Uint8Array::from(&a.block_root[..]),
        Some(&key("active_anchor")),
    )
    .unwrap();
    meta.put(&encode(&cursor), Some(&key("backfill_cursor")))
        .unwrap();
    tx.object_store("anchors")
        .unwrap()
        .put(
            &encode(&a),
            Some(&js_sys::Uint8Array::from(&a.block_root[..]).into()),
        )
        .unwrap();
    let headers = tx.object_store("headers").unwrap();
    for h in &chain {
        headers
            .put(&encode(h), Some(&JsValue::from_f64(h.slot as f64)))
            .unwrap();
    }
    // Damaged before the upgrade: a record whose bytes name another slot than its key.
    let mut stray = chain[4].clone();
    stray.slot = N + 7;
    headers
        .put(&encode(&stray), Some(&JsValue::from_f64(stray.slot as f64)))
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();

    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    let dump = store.dump().await.unwrap();
    assert_eq!(dump.meta.schema_version, SCHEMA_VERSION);
    assert_eq!(dump.meta.backfill_cursor, Some(cursor));
    assert_eq!(dump.headers.len() as u64, N);
    assert!(dump.headers == chain, "every header moved, in slot order");
    assert_eq!(IdbStore::count_headers(&gvr).await.unwrap(), N);
    let report = verify_store(&store, VERIFY_BATCH_SLOTS).await.unwrap();
    assert_eq!((report.checked, report.first_broken), (N, None));
    drop(store);
    let raw = factory.open(&name, None).unwrap().await.unwrap();
    let names = raw.store_names();
    assert!(!names.iter().any(|n| n == "headers"), "{names:?}");
    let tx = raw
        .transaction(&["header_packs"], idb::TransactionMode::ReadOnly)
        .unwrap();
    let packs = tx
        .object_store("header_packs")
        .unwrap()
        .count(None)
        .unwrap()
        .await
        .unwrap();
    // Slots 1..=70000 in packs of 1024 slots.
    assert_eq!(packs, 69);
    raw.close();
    IdbStore::delete_database(&gvr).await.unwrap();
}

/// Rewrites byte `offset` of pack `index` in the `header_packs` object store to `value`,
/// bypassing every check (damage from outside this library).
async fn set_pack_byte(gvr: [u8; 32], index: u64, offset: usize, value: u8) {
    let db = idb::Factory::new()
        .unwrap()
        .open(&database_name(&gvr), None)
        .unwrap()
        .await
        .unwrap();
    let tx = db
        .transaction(&["header_packs"], idb::TransactionMode::ReadWrite)
        .unwrap();
    let store = tx.object_store("header_packs").unwrap();
    let key = JsValue::from_f64(index as f64);
    let value_now = store
        .get(idb::Query::Key(key.clone()))
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    let mut bytes = js_sys::Uint8Array::new(&value_now).to_vec();
    bytes[offset] = value;
    store
        .put(&js_sys::Uint8Array::from(&bytes[..]).into(), Some(&key))
        .unwrap()
        .await
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

async fn same_as_headers_range(store: &IdbStore, ranges: &[(u64, u64)]) {
    use beacon_lightsync::store::verify::StoredRange;
    for &(lo, hi) in ranges {
        let raw = store.stored_range(lo, hi).await.unwrap();
        let records = store.headers_range(lo, hi).await.unwrap();
        assert_eq!(raw, StoredRange::from_records(&records), "{lo}..{hi}");
    }
}

/// The walk of `verifyStore()` reads the packs' bytes in place (`stored_range`): for an intact
/// store and for one whose stored slot was moved out of order, it sees exactly what
/// `headers_range` returns, and the walk reports the same first broken link either way.
#[wasm_bindgen_test]
async fn the_walk_reads_packs_in_place_and_sees_what_headers_range_returns() {
    use beacon_lightsync::store::pack::PACK_ENTRY_LEN;
    use beacon_lightsync::store::verify::{
        fill_bench_chain, verify_store, verify_store_reading, InThread,
    };
    const N: u64 = 3000;
    let gvr = [0xb1; 32];
    IdbStore::delete_database(&gvr).await.unwrap();
    // fill_bench_chain's anchor is of the network "bench".
    let store = IdbStore::open("bench", gvr).await.unwrap();
    fill_bench_chain(&store, N, 700).await.unwrap();
    let ranges = [
        (0, N + 1),
        (1, 1024),
        (1000, 1030),
        (1024, 2048),
        (2900, 9000),
    ];
    same_as_headers_range(&store, &ranges).await;
    let read = |lo: u64, hi: u64| store.stored_range(lo, hi);
    let report = verify_store_reading(&store, 1024, &InThread, read)
        .await
        .unwrap();
    assert_eq!((report.checked, report.first_broken), (N, None));

    // Slot 1500 (pack 1, entry 476) claims slot 1500 + 2^16: out of order in its pack.
    set_pack_byte(gvr, 1, 476 * PACK_ENTRY_LEN + 2, 1).await;
    same_as_headers_range(&store, &ranges).await;
    let walked = verify_store_reading(&store, 1024, &InThread, read)
        .await
        .unwrap();
    let decoded = verify_store(&store, 1024).await.unwrap();
    assert_eq!(walked, decoded);
    let broken = walked
        .first_broken
        .expect("the moved header breaks the chain");
    assert_eq!(broken.slot, 1499, "the header below the gap");
    store.delete().await.unwrap();
}
