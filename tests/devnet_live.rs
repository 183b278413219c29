#![cfg(not(target_arch = "wasm32"))]
//! The live devnet over real HTTP on 127.0.0.1, with 1 s slots and a small registry: the chain
//! finalizes new epochs while it is watched, each new finalized checkpoint is served consistently
//! (header root, state root, finality checkpoints, parent links), the light-client data follows
//! the head and verifies with the crate's own light client, the event stream carries the events
//! a real node sends, and the real-node behaviours answer as configured.

mod devnet_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::light::input::{
    parse_bootstrap, parse_finality_update, parse_optimistic_update,
};
use beacon_lightsync::light::sync_protocol::initialize_light_client_store;
use beacon_lightsync::light::verifier::verify_updates;
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{ForkName, Minimal, PresetName, TreeHash};
use devnet_common::*;

const SPE: u64 = 8;
const SSZ: &str = "application/octet-stream";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn live(slots: u64, genesis_time: Option<u64>) -> Devnet {
    Devnet::start(DevnetOptions {
        live: true,
        chain: ChainOptions {
            validators: 64,
            slots,
            genesis_time,
            seconds_per_slot: Some(1),
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .expect("live devnet starts")
}

fn root(v: &serde_json::Value) -> [u8; 32] {
    hex::decode(v.as_str().expect("0x string").trim_start_matches("0x"))
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

fn hex(r: &[u8]) -> String {
    format!("0x{}", hex::encode(r))
}

fn num(v: &serde_json::Value) -> u64 {
    v.as_str().expect("decimal string").parse().expect("u64")
}

/// What a raw event-stream client reads: events (topic, data) and keep-alive comments.
enum Sse {
    Event(String, serde_json::Value),
    Comment,
}

/// Subscribes to `topics` with a hand-written HTTP/1.1 client that decodes the chunked body
/// and the SSE lines; returns the response head and a channel of what arrives.
fn subscribe(base: &str, topics: &str) -> (String, mpsc::Receiver<Sse>) {
    let addr = base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET /eth/v1/events?topics={topics} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(s);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        loop {
            let mut size = String::new();
            if r.read_line(&mut size).unwrap_or(0) == 0 {
                return;
            }
            let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
                return;
            };
            let mut chunk = vec![0u8; n + 2];
            if n == 0 || r.read_exact(&mut chunk).is_err() {
                return;
            }
            text.push_str(std::str::from_utf8(&chunk[..n]).unwrap());
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                let mut event = None;
                let mut data = None;
                for l in block.lines() {
                    if let Some(e) = l.strip_prefix("event: ") {
                        event = Some(e.to_string());
                    } else if let Some(d) = l.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(d).expect("event data is JSON"));
                    }
                }
                let item = match (event, data) {
                    (Some(e), Some(d)) => Sse::Event(e, d),
                    _ => Sse::Comment,
                };
                if tx.send(item).is_err() {
                    return;
                }
            }
        }
    });
    (head, rx)
}

fn next_event(
    rx: &mpsc::Receiver<Sse>,
    deadline: Instant,
    comments: &mut usize,
) -> (String, serde_json::Value) {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left).expect("an event before the deadline") {
            Sse::Event(t, d) => return (t, d),
            Sse::Comment => *comments += 1,
        }
    }
}

fn header(base: &str, id: &str) -> (BeaconBlockHeader, [u8; 32]) {
    let r = get(base, &format!("/eth/v1/beacon/headers/{id}"), None);
    assert_eq!(r.status, 200, "header {id}");
    let data = r.json()["data"].clone();
    let h: BeaconBlockHeader = devnet_common::from_json(&data["header"]["message"]);
    (h, root(&data["root"]))
}

#[test]
fn live_chain_finalizes_and_serves_every_new_checkpoint() {
    let devnet = live(3 * SPE + 2, None);
    let base = &devnet.urls()[0];
    let spec = get(base, "/eth/v1/config/spec", None).json();
    assert_eq!(spec["data"]["SECONDS_PER_SLOT"], "1");
    assert_eq!(spec["data"]["SLOT_DURATION_MS"], "1000");
    let genesis = num(&get(base, "/eth/v1/beacon/genesis", None).json()["data"]["genesis_time"]);
    let min = num(&spec["data"]["MIN_GENESIS_TIME"]) + num(&spec["data"]["GENESIS_DELAY"]);
    assert_ne!(
        min, genesis,
        "a live genesis is not MIN_GENESIS_TIME + GENESIS_DELAY"
    );

    let (head, rx) = subscribe(base, "finalized_checkpoint");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Content-Type: text/event-stream"), "{head}");
    assert!(head.contains("Access-Control-Allow-Origin: *"), "{head}");
    let mut previous = root(&devnet.info()["finalized_root"]);
    let first_epoch = devnet.info()["finalized_epoch"].as_u64().unwrap();
    let mut comments = 0;
    let deadline = Instant::now() + Duration::from_secs(45);
    for k in 1..=3 {
        let (topic, ev) = next_event(&rx, deadline, &mut comments);
        assert_eq!(topic, "finalized_checkpoint");
        let epoch = num(&ev["epoch"]);
        assert_eq!(epoch, first_epoch + k, "one new finalized epoch per epoch");
        assert_eq!(ev["execution_optimistic"], false);
        let block = root(&ev["block"]);
        let state_root = root(&ev["state"]);
        // The header's root is its hash_tree_root; it is the epoch's checkpoint block.
        let (h, r) = header(base, &hex(&block));
        assert_eq!(r, block);
        assert_eq!(h.tree_hash_root().0, block);
        assert!(h.slot <= epoch * SPE && h.slot > (epoch - 1) * SPE);
        // The boundary state is served and hashes to the root the event (and header) name.
        let s = get(
            base,
            &format!("/eth/v2/debug/beacon/states/{}", hex(&state_root)),
            Some(SSZ),
        );
        assert_eq!(s.status, 200);
        let got =
            beacon_lightsync::merkle::state_root(&s.body, ForkName::Fulu, PresetName::Minimal)
                .unwrap();
        assert_eq!(got, state_root);
        if h.slot == epoch * SPE {
            assert_eq!(h.state_root.0, state_root);
        }
        let sr = get(
            base,
            &format!("/eth/v1/beacon/states/{}/root", epoch * SPE),
            None,
        )
        .json();
        assert_eq!(root(&sr["data"]["root"]), state_root);
        // The head state's finality agrees (it moves only at the next epoch, 8 s away).
        let fc = get(
            base,
            "/eth/v1/beacon/states/head/finality_checkpoints",
            None,
        )
        .json();
        assert_eq!(num(&fc["data"]["finalized"]["epoch"]), epoch);
        assert_eq!(root(&fc["data"]["finalized"]["root"]), block);
        assert_eq!(num(&fc["data"]["current_justified"]["epoch"]), epoch + 1);
        let (_, fin) = header(base, "finalized");
        assert_eq!(fin, block);
        // Parent links hold back to the previous finalized block.
        let mut cursor = h;
        while cursor.tree_hash_root().0 != previous {
            assert!(
                cursor.slot > 0,
                "walked past genesis without meeting the previous checkpoint"
            );
            cursor = header(base, &hex(&cursor.parent_root.0)).0;
        }
        previous = block;
    }
    assert!(
        comments >= 3,
        "keep-alives between the 8 s epochs, got {comments}"
    );
    // The head moved with it.
    assert!(devnet.info()["head_slot"].as_u64().unwrap() >= 6 * SPE);
}

#[test]
fn light_client_data_follows_the_head_and_verifies() {
    let devnet = live(3 * SPE + 3, None);
    let base = &devnet.urls()[0];
    let config = network(&devnet);
    let (_, rx) = subscribe(
        base,
        "light_client_optimistic_update,light_client_finality_update,head",
    );
    let trusted = root(&devnet.info()["finalized_root"]);
    let b = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{}", hex(&trusted)),
        None,
    );
    assert_eq!(b.status, 200);
    let bootstrap = parse_bootstrap::<Minimal>(&config, &b.body, None).unwrap();
    let mut store = initialize_light_client_store(&config, trusted.into(), &bootstrap).unwrap();
    let genesis = devnet.chain().genesis.as_ref().unwrap().genesis_time;
    let mut comments = 0;
    let deadline = Instant::now() + Duration::from_secs(25);
    let (mut optimistic_seen, mut finality_seen) = (0, 0);
    let mut last_head = None;
    while finality_seen < 1 || optimistic_seen < 3 {
        let (topic, ev) = next_event(&rx, deadline, &mut comments);
        let bytes = serde_json::to_vec(&ev).unwrap();
        let current_slot = now() - genesis;
        match topic.as_str() {
            "head" => last_head = Some(num(&ev["slot"])),
            "light_client_optimistic_update" => {
                let o = parse_optimistic_update::<Minimal>(&config, &bytes, None).unwrap();
                let parts = o.parts();
                // The attested block is the new head's parent, signed in the head block.
                assert_eq!(Some(parts.signature_slot), last_head);
                let s =
                    verify_updates(&config, &mut store, &[], None, Some(&o), current_slot).unwrap();
                assert_eq!(s.optimistic.slot, parts.attested_header.beacon().slot);
                optimistic_seen += 1;
            }
            "light_client_finality_update" => {
                let f = parse_finality_update::<Minimal>(&config, &bytes, None).unwrap();
                let s =
                    verify_updates(&config, &mut store, &[], Some(&f), None, current_slot).unwrap();
                let fin = *f.parts().finalized_header.beacon();
                assert_eq!(s.finalized.slot, fin.slot);
                assert!(
                    fin.slot > bootstrap.header().beacon().slot,
                    "finality moved on"
                );
                // The finalized header's bootstrap is served (a new trusted root works).
                let r = get(
                    base,
                    &format!(
                        "/eth/v1/beacon/light_client/bootstrap/{}",
                        hex(&fin.tree_hash_root().0)
                    ),
                    None,
                );
                assert_eq!(r.status, 200);
                finality_seen += 1;
            }
            other => panic!("unexpected topic {other}"),
        }
    }
    // The HTTP endpoints serve the latest objects too.
    let f = get(base, "/eth/v1/beacon/light_client/finality_update", None);
    let f = parse_finality_update::<Minimal>(&config, &f.body, None).unwrap();
    verify_updates(&config, &mut store, &[], Some(&f), None, now() - genesis).unwrap();
}

#[test]
fn history_from_an_old_genesis_then_live_and_period_updates_when_periods_end() {
    // Genesis 317 s ago: slots 0..=317 exist at once; period 4 (slots 256..=319) ends in ~2 s.
    let spp = 64;
    let genesis = now() - (5 * spp - 3);
    let devnet = live(0, Some(genesis));
    let base = &devnet.urls()[0];
    let info = devnet.info();
    let head0 = info["head_slot"].as_u64().unwrap();
    assert!(
        head0 >= 5 * spp - 4,
        "history generated up to now, head {head0}"
    );
    assert_eq!(info["genesis_time"].as_u64(), Some(genesis));
    // Old anchors stay: genesis and the first finalized checkpoint's state.
    let served: Vec<u64> = serde_json::from_value(info["served_state_slots"].clone()).unwrap();
    assert!(served.contains(&0) && served.contains(&SPE), "{served:?}");
    let updates = |start: u64, count: u64| {
        get(
            base,
            &format!("/eth/v1/beacon/light_client/updates?start_period={start}&count={count}"),
            None,
        )
        .json()
    };
    let before = updates(0, 10);
    let periods: Vec<u64> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|u| num(&u["data"]["attested_header"]["beacon"]["slot"]) / spp)
        .collect();
    assert_eq!(
        periods,
        vec![0, 1, 2, 3, 4],
        "every period so far, the running one last"
    );
    // Wait for period 4 to end.
    let deadline = Instant::now() + Duration::from_secs(20);
    while devnet.info()["head_slot"].as_u64().unwrap() < 5 * spp + 1 {
        assert!(Instant::now() < deadline, "the chain stopped growing");
        std::thread::sleep(Duration::from_millis(200));
    }
    let after = updates(4, 2);
    let u4 = &after[0]["data"];
    let att = num(&u4["attested_header"]["beacon"]["slot"]);
    let sig = num(&u4["signature_slot"]);
    assert_eq!((att / spp, sig / spp), (4, 4));
    // The period's final update: its last two blocks.
    let last_blocks: Vec<u64> = (4 * spp..5 * spp)
        .rev()
        .filter(|s| get(base, &format!("/eth/v1/beacon/headers/{s}"), None).status == 200)
        .take(2)
        .collect();
    assert_eq!(vec![sig, att], last_blocks);
}

#[test]
fn event_stream_errors_and_many_subscribers() {
    let devnet = live(3 * SPE, None);
    let base = &devnet.urls()[0];
    let r = get(base, "/eth/v1/events?topics=head,bogus", None);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("got `bogus`"));
    assert_eq!(get(base, "/eth/v1/events", None).status, 400);
    // Several subscribers get the same head events; other requests are not blocked meanwhile.
    let subs: Vec<_> = (0..4).map(|_| subscribe(base, "head").1).collect();
    let t = Instant::now();
    assert_eq!(get(base, "/eth/v1/node/version", None).status, 200);
    assert!(t.elapsed() < Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(10);
    let firsts: Vec<serde_json::Value> = subs
        .iter()
        .map(|rx| next_event(rx, deadline, &mut 0).1)
        .collect();
    // They subscribed one after another, so a slot may have ticked between two subscriptions:
    // from the latest first slot on, every subscriber gets the same head event.
    let common = firsts.iter().map(|e| num(&e["slot"])).max().unwrap();
    let heads: Vec<serde_json::Value> = subs
        .iter()
        .zip(firsts)
        .map(|(rx, mut e)| {
            while num(&e["slot"]) < common {
                e = next_event(rx, deadline, &mut 0).1;
            }
            e
        })
        .collect();
    assert!(heads.iter().all(|e| num(&e["slot"]) == common), "{heads:?}");
    assert!(heads.windows(2).all(|w| w[0] == w[1]), "{heads:?}");
    assert!(heads[0]["block"].as_str().is_some_and(|b| b.len() == 66));
}

#[test]
fn behaviours_answer_as_configured() {
    let devnet = Devnet::start(DevnetOptions {
        providers: 2,
        behaviours: vec![(1, "unknown-bootstrap=500".into())],
        chain: ChainOptions {
            validators: 64,
            slots: 200,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .unwrap();
    let (a, b) = (&devnet.urls()[0], &devnet.urls()[1]);
    let unknown = format!(
        "/eth/v1/beacon/light_client/bootstrap/0x{}",
        "11".repeat(32)
    );
    assert_eq!(get(a, &unknown, None).status, 404);
    let r = get(b, &unknown, None);
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["code"], 500);
    // Running period (200 / 64 = 3): 500, 404, omitted, or served.
    let range = "/eth/v1/beacon/light_client/updates?start_period=0&count=10";
    assert_eq!(get(a, range, None).json().as_array().unwrap().len(), 4);
    control(a, "/_devnet/behave?running-update=500");
    assert_eq!(get(a, range, None).status, 500);
    let only_done = "/eth/v1/beacon/light_client/updates?start_period=0&count=3";
    assert_eq!(get(a, only_done, None).status, 200);
    control(a, "/_devnet/behave?running-update=404");
    assert_eq!(get(a, range, None).status, 404);
    control(a, "/_devnet/behave?running-update=omit");
    let omitted = get(a, range, None).json();
    assert_eq!(omitted.as_array().unwrap().len(), 3);
    // Expose only the Eth-* headers of each response.
    control(a, "/_devnet/behave?running-update=serve&expose=eth");
    let s = get(a, "/eth/v2/debug/beacon/states/finalized", Some(SSZ));
    assert_eq!(
        s.header("Access-Control-Expose-Headers"),
        Some("Eth-Consensus-Version")
    );
    assert_eq!(
        get(a, "/eth/v1/beacon/genesis", None).header("Access-Control-Expose-Headers"),
        None
    );
    assert!(get(b, "/eth/v1/beacon/genesis", None)
        .header("Access-Control-Expose-Headers")
        .unwrap()
        .contains("Content-Type"));
    // Syncing: 503 with the beacon-APIs error body on data endpoints; config still served.
    control(a, "/_devnet/behave?syncing=true");
    let r = get(a, "/eth/v1/beacon/headers/head", None);
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["code"], 503);
    assert!(r.json()["message"].as_str().unwrap().contains("syncing"));
    assert_eq!(get(a, "/eth/v1/config/spec", None).status, 200);
    assert_eq!(get(a, "/eth/v1/node/health", None).status, 206);
    // Light-client server off: 501 on every light-client endpoint.
    let r = ureq::delete(&format!("{a}/_devnet/behave")).call().unwrap();
    assert_eq!(r.status(), 200);
    control(a, "/_devnet/behave?light-client=off");
    assert_eq!(
        get(a, "/eth/v1/beacon/light_client/finality_update", None).status,
        501
    );
    assert_eq!(get(a, range, None).status, 501);
    assert_eq!(get(a, "/eth/v1/beacon/headers/head", None).status, 200);
    // A bad setting is a 400 that says what was expected; the settings are unchanged.
    let e = ureq::post(&format!("{a}/_devnet/behave?expose=some")).send_string("");
    let Err(ureq::Error::Status(400, resp)) = e else {
        panic!("expected 400")
    };
    assert!(resp.into_string().unwrap().contains("expected all or eth"));
    let now = control(a, "/_devnet/behave");
    assert_eq!(now["behaviours"]["light-client"], "501");
    assert_eq!(now["behaviours"]["expose"], "all");
}
