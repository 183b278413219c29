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

/// `gvr`'s database opened with the `idb` crate directly, around the library.
async fn open_raw(gvr: [u8; 32]) -> idb::Database {
    idb::Factory::new()
        .unwrap()
        .open(&database_name(&gvr), None)
        .unwrap()
        .await
        .unwrap()
}

/// Writes `header` straight into its pack in the `header_packs` object store, bypassing every
/// check: a record no writer of this library leaves (a stray header below the cursor).
async fn plant_header(gvr: [u8; 32], header: &HeaderRecord) {
    use beacon_lightsync::store::pack::{decode_pack, encode_pack, merge_pack, pack_index};
    let db = open_raw(gvr).await;
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

/// A plain JS object with these properties, as a record is stored.
fn js_object(fields: &[(&str, JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        js_sys::Reflect::set(&object, &JsValue::from_str(name), value).unwrap();
    }
    object
}

/// A stored anchor record: the fields the cases here share (as `anchor()` makes them), then
/// `fields`.
fn anchor_js(fields: &[(&str, JsValue)]) -> js_sys::Object {
    let shared = [
        ("network", "mainnet".into()),
        ("fork", "electra".into()),
        ("linked_through_latest_block_header", true.into()),
        (
            "providers",
            js_sys::Array::of1(&"http://127.0.0.1:5052".into()).into(),
        ),
        ("ws_period_epochs", js_big(3532)),
        ("total_active_balance", js_big(34_123_456_789_012_345)),
        ("active_validators", js_big(1_061_234)),
        ("created_at", js_big(1_760_000_000)),
    ];
    js_object(&[&shared[..], fields].concat())
}

fn js_bytes(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

/// A `u64` as the library stores it: a `BigInt`.
fn js_big(n: u64) -> JsValue {
    let value = JsValue::from(n);
    assert!(value.is_bigint());
    value
}

fn js_set(object: &JsValue, name: &str, value: &JsValue) {
    js_sys::Reflect::set(object, &JsValue::from_str(name), value).unwrap();
}

fn js_delete(object: &JsValue, name: &str) {
    let object: &js_sys::Object = object.unchecked_ref();
    assert!(js_sys::Reflect::delete_property(object, &JsValue::from_str(name)).unwrap());
}

/// Puts `value` under `key` in the object store `name` of `gvr`'s database, bypassing every
/// check of the library (a record as another version left it, or damaged).
async fn put_raw(gvr: [u8; 32], name: &str, key: JsValue, value: &JsValue) {
    let db = open_raw(gvr).await;
    let tx = db
        .transaction(&[name], idb::TransactionMode::ReadWrite)
        .unwrap();
    tx.object_store(name)
        .unwrap()
        .put(value, Some(&key))
        .unwrap()
        .await
        .unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

fn committee_js(c: &SyncCommitteeRecord) -> JsValue {
    let flat: Vec<u8> = c.pubkeys.iter().flatten().copied().collect();
    js_object(&[
        ("pubkeys", js_bytes(&flat)),
        ("aggregate_pubkey", js_bytes(&c.aggregate_pubkey)),
    ])
    .into()
}

/// Records in the shape the serde writer gives them (objects of fields, `u64` as `BigInt`,
/// bytes as `Uint8Array`, unit enums as their names, `None` as `undefined`), built by hand, read
/// back equal; so do the older forms that reader took (a record from before `execution` and
/// `payload` existed, a `u64` as a plain number, `null` for `None`), and records the writer
/// itself puts.
#[wasm_bindgen_test]
async fn records_in_the_stored_shape_read_back_equal() {
    use beacon_lightsync::store::{
        AnchorPayload, AnchorRootsRecord, ExecutionBlock, KeptStateRecord, PayloadStatus,
    };
    let gvr = [0xb2; 32];
    let store = fresh(gvr).await;
    let execution = ExecutionBlock {
        block_hash: [0x31; 32],
        block_number: 22_000_001,
        state_root: [0x32; 32],
        receipts_root: [0x33; 32],
        timestamp: 1_760_000_012,
    };
    let full = AnchorRecord {
        trust: Trust::LightClient,
        stale: true,
        next_sync_committee: None,
        execution: Some(execution),
        payload: Some(AnchorPayload {
            status: Some(PayloadStatus::Full),
            block_hash: [0x34; 32],
            latest_block_hash: [0x35; 32],
        }),
        ..anchor(3, 96)
    };
    let committee = full.current_sync_committee.clone().unwrap();
    let execution_js = js_object(&[
        ("block_hash", js_bytes(&execution.block_hash)),
        ("block_number", js_big(execution.block_number)),
        ("state_root", js_bytes(&execution.state_root)),
        ("receipts_root", js_bytes(&execution.receipts_root)),
        ("timestamp", js_big(execution.timestamp)),
    ]);
    let full_js = anchor_js(&[
        ("slot", js_big(96)),
        ("epoch", js_big(3)),
        ("block_root", js_bytes(&[3; 32])),
        ("state_root", js_bytes(&[3 ^ 0xff; 32])),
        ("trust", "light-client".into()),
        ("current_sync_committee", committee_js(&committee)),
        ("next_sync_committee", JsValue::UNDEFINED),
        ("stale", true.into()),
        ("execution", execution_js.clone().into()),
        (
            "payload",
            js_object(&[
                ("status", "full".into()),
                ("block_hash", js_bytes(&[0x34; 32])),
                ("latest_block_hash", js_bytes(&[0x35; 32])),
            ])
            .into(),
        ),
    ]);
    put_raw(gvr, "anchors", js_bytes(&[3; 32]), &full_js).await;
    assert_eq!(store.anchor(&[3; 32]).await.unwrap(), Some(full.clone()));

    // Older forms: no `execution` or `payload` key, `null` for a committee, a plain number for
    // a `u64`, an `ArrayBuffer` for bytes.
    let old = AnchorRecord {
        current_sync_committee: None,
        ..anchor(4, 128)
    };
    let old_js = anchor_js(&[
        ("slot", js_big(128)),
        ("epoch", JsValue::from_f64(4.0)),
        (
            "block_root",
            js_sys::Uint8Array::from(&[4u8; 32][..]).buffer().into(),
        ),
        ("state_root", js_bytes(&[4 ^ 0xff; 32])),
        ("trust", "checkpoint".into()),
        ("current_sync_committee", JsValue::NULL),
        ("next_sync_committee", committee_js(&committee)),
        ("stale", false.into()),
    ]);
    put_raw(gvr, "anchors", js_bytes(&[4; 32]), &old_js).await;
    assert_eq!(store.anchor(&[4; 32]).await.unwrap(), Some(old.clone()));

    // What the writer puts reads back the same.
    let written = anchor(5, 160);
    store.put_anchor(&written, false).await.unwrap();
    let mut anchors = store.anchors().await.unwrap();
    anchors.sort_by_key(|a| a.slot);
    assert_eq!(anchors, vec![full.clone(), old, written]);

    let head = HeadRecord {
        slot: 200,
        block_root: [0x41; 32],
        state_root: [0x42; 32],
        source: HeadSource::FinalityUpdate,
        anchor_root: [3; 32],
        updated_at: 1_760_000_300,
        execution: Some(execution),
    };
    let head_js = js_object(&[
        ("slot", js_big(200)),
        ("block_root", js_bytes(&[0x41; 32])),
        ("state_root", js_bytes(&[0x42; 32])),
        ("source", "finality-update".into()),
        ("anchor_root", js_bytes(&[3; 32])),
        ("updated_at", js_big(1_760_000_300)),
        ("execution", execution_js.clone().into()),
    ]);
    put_raw(gvr, "head", "tip".into(), &head_js).await;
    assert_eq!(store.head().await.unwrap(), Some(head));

    let roots = AnchorRootsRecord {
        block_root: [3; 32],
        state_slot: 96,
        block_roots: (0..8u8).map(|i| [i; 32]).collect(),
        block_summary_roots: vec![[0x51; 32], [0x52; 32]],
    };
    let flat = |roots: &[[u8; 32]]| roots.iter().flatten().copied().collect::<Vec<u8>>();
    let roots_js = js_object(&[
        ("block_root", js_bytes(&[3; 32])),
        ("state_slot", js_big(96)),
        ("block_roots", js_bytes(&flat(&roots.block_roots))),
        (
            "block_summary_roots",
            js_bytes(&flat(&roots.block_summary_roots)),
        ),
    ]);
    put_raw(gvr, "anchor_roots", js_bytes(&[3; 32]), &roots_js).await;
    assert_eq!(store.anchor_roots(&[3; 32]).await.unwrap(), Some(roots));

    let cursor = BackfillCursor {
        oldest_slot: 90,
        oldest_root: [0x61; 32],
        oldest_parent_root: [0x62; 32],
        target_slot: 0,
    };
    let cursor_js = js_object(&[
        ("oldest_slot", js_big(90)),
        ("oldest_root", js_bytes(&[0x61; 32])),
        ("oldest_parent_root", js_bytes(&[0x62; 32])),
        ("target_slot", js_big(0)),
    ]);
    put_raw(gvr, "meta", "backfill_cursor".into(), &cursor_js).await;
    put_raw(gvr, "meta", "active_anchor".into(), &js_bytes(&[3; 32])).await;
    let kept = KeptStateRecord {
        id: 7,
        block_root: [3; 32],
        state_root: [3 ^ 0xff; 32],
        length: 3_000_000,
        chunks: 3,
    };
    let kept_js = js_object(&[
        ("id", JsValue::from_f64(7.0)),
        ("block_root", js_bytes(&[3; 32])),
        ("state_root", js_bytes(&[3 ^ 0xff; 32])),
        ("length", js_big(3_000_000)),
        ("chunks", JsValue::from_f64(3.0)),
    ]);
    put_raw(gvr, "meta", "kept_state".into(), &kept_js).await;
    drop(store);
    let store = IdbStore::open("mainnet", gvr).await.unwrap();
    let meta = store.meta().await.unwrap();
    assert_eq!(meta.schema_version, SCHEMA_VERSION);
    assert_eq!(meta.genesis_validators_root, gvr);
    assert_eq!(meta.active_anchor, Some([3; 32]));
    assert_eq!(meta.backfill_cursor, Some(cursor));
    assert_eq!(store.active_anchor().await.unwrap(), Some(full));
    assert_eq!(store.kept_state().await.unwrap(), Some(kept));
    store.delete().await.unwrap();
}

/// A stored record of the wrong shape is `CorruptRecord`, its reason naming the field (the path
/// to it, for a nested one) and what was expected.
#[wasm_bindgen_test]
async fn a_corrupt_record_is_refused_naming_its_field() {
    let gvr = [0xb3; 32];
    let store = fresh(gvr).await;
    let root = [6u8; 32];
    let key = || js_bytes(&root);
    let corrupt = |store: &'static str, reason: &str| StoreError::CorruptRecord {
        store,
        reason: reason.into(),
    };
    // Each case damages one field of a record the writer wrote.
    type Damage = Box<dyn Fn(&JsValue)>;
    let cases: Vec<(Damage, &str)> = vec![
        (
            Box::new(|r| js_set(r, "slot", &"192".into())),
            "slot: expected a bigint, got a string",
        ),
        (
            Box::new(|r| {
                js_delete(r, "epoch");
            }),
            "epoch: missing",
        ),
        (
            Box::new(|r| js_set(r, "stale", &JsValue::from_f64(1.0))),
            "stale: expected a boolean, got a number",
        ),
        (
            Box::new(|r| js_set(r, "trust", &"anyone".into())),
            "trust: expected one of `checkpoint` `block-root` `provider` `file` `light-client` got \"anyone\"",
        ),
        (
            Box::new(|r| {
                let providers = js_sys::Array::of2(&"http://a".into(), &JsValue::from_f64(5.0));
                js_set(r, "providers", &providers);
            }),
            "providers: element 1: expected a string, got a number",
        ),
        (
            Box::new(|r| {
                let committee = js_sys::Reflect::get(r, &"current_sync_committee".into()).unwrap();
                js_set(&committee, "aggregate_pubkey", &js_bytes(&[9; 47]));
            }),
            "current_sync_committee.aggregate_pubkey: expected 48 bytes, got 47",
        ),
        (
            Box::new(|r| {
                let committee = js_sys::Reflect::get(r, &"current_sync_committee".into()).unwrap();
                js_set(&committee, "pubkeys", &js_bytes(&[9; 50]));
            }),
            "current_sync_committee.pubkeys: expected a multiple of 48 bytes, got 50",
        ),
        (
            Box::new(|r| js_set(r, "block_root", &js_sys::Array::of1(&JsValue::from_f64(300.0)))),
            "block_root: expected bytes, got an array of other values",
        ),
        (
            Box::new(|r| {
                let payload = js_object(&[
                    ("status", "late".into()),
                    ("block_hash", js_bytes(&[1; 32])),
                    ("latest_block_hash", js_bytes(&[2; 32])),
                ]);
                js_set(r, "payload", &payload);
            }),
            "payload.status: expected one of `full` `empty` got \"late\"",
        ),
    ];
    for (damage, reason) in cases {
        let record = encode(&anchor(6, 192));
        damage(&record);
        put_raw(gvr, "anchors", key(), &record).await;
        assert_eq!(
            store.anchor(&root).await.unwrap_err(),
            corrupt("anchors", reason)
        );
        assert_eq!(
            store.anchors().await.unwrap_err(),
            corrupt("anchors", reason),
            "every read of the anchors refuses it"
        );
    }
    put_raw(gvr, "anchors", key(), &"an anchor".into()).await;
    assert_eq!(
        store.anchor(&root).await.unwrap_err(),
        corrupt("anchors", "expected an object, got a string")
    );

    let head = encode(&head_of(
        &header(200, [1; 32]),
        root,
        HeadSource::Checkpoints,
    ));
    js_delete(&head, "source");
    put_raw(gvr, "head", "tip".into(), &head).await;
    assert_eq!(store.head().await, Err(corrupt("head", "source: missing")));

    let roots = js_object(&[
        ("block_root", key()),
        ("state_slot", js_big(192)),
        ("block_roots", js_bytes(&[0; 33])),
        ("block_summary_roots", js_bytes(&[])),
    ]);
    put_raw(gvr, "anchor_roots", key(), &roots).await;
    assert_eq!(
        store.anchor_roots(&root).await,
        Err(corrupt(
            "anchor_roots",
            "block_roots: expected a multiple of 32 bytes, got 33"
        ))
    );
    js_set(&roots, "block_roots", &js_bytes(&[0; 96]));
    put_raw(gvr, "anchor_roots", key(), &roots).await;
    assert_eq!(
        store.anchor_roots(&root).await,
        Err(corrupt("anchor_roots", "block_roots: expected SLOTS_PER_HISTORICAL_ROOT block roots (a power of two), got 3 block roots"))
    );

    // A `meta` value names its key first; a damaged one stops the store from opening.
    let (_, cursor) = chain(&[100, 101]);
    let cursor = encode(&cursor);
    js_set(&cursor, "oldest_slot", &JsValue::from_f64(1.5));
    put_raw(gvr, "meta", "backfill_cursor".into(), &cursor).await;
    let refused = corrupt(
        "meta",
        "backfill_cursor.oldest_slot: expected a bigint, got a number",
    );
    assert_eq!(store.meta().await.unwrap_err(), refused);
    drop(store);
    assert_eq!(
        IdbStore::open("mainnet", gvr).await.unwrap_err(),
        refused,
        "the store does not open over it"
    );
    IdbStore::delete_database(&gvr).await.unwrap();
}
