//! HTTP behaviour of the devnet: every endpoint answers, content negotiation by `Accept` with
//! q-values, `Eth-Consensus-Version`, `Content-Length`, CORS (simple requests and preflights),
//! HEAD, keep-alive, and Beacon API error bodies.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::types::{fulu, Minimal};
use devnet_common::*;
use ssz::Decode;

const SSZ: &str = "application/octet-stream";

fn devnet() -> Devnet {
    Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: 128,
            slots: 80,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .unwrap()
}

fn assert_cors(r: &Raw, what: &str) {
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"), "{what}");
    let expose = r
        .header("Access-Control-Expose-Headers")
        .unwrap_or_else(|| panic!("{what}: no expose header"));
    for h in ["Eth-Consensus-Version", "Content-Length"] {
        assert!(expose.contains(h), "{what}: {h} not exposed in `{expose}`");
    }
}

fn assert_error_body(r: &Raw, status: u16) {
    assert_eq!(r.status, status);
    let v = r.json();
    assert_eq!(v["code"], status);
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn every_endpoint_answers_with_cors_and_length() {
    let d = devnet();
    let base = &d.urls()[0];
    let cp = d.checkpoint().unwrap();
    let (root, _) = cp.split_once(':').unwrap();
    let fin_state_root = get(base, "/eth/v1/beacon/states/finalized/root", None).json()["data"]
        ["root"]
        .as_str()
        .unwrap()
        .to_string();
    let cases: Vec<(String, Option<&str>, Option<&str>)> = vec![
        ("/eth/v1/beacon/genesis".into(), None, None),
        ("/eth/v1/config/spec".into(), None, None),
        ("/eth/v1/config/fork_schedule".into(), None, None),
        ("/eth/v1/node/version".into(), None, None),
        ("/eth/v1/beacon/headers/head".into(), None, None),
        ("/eth/v1/beacon/headers/finalized".into(), None, None),
        ("/eth/v1/beacon/headers/justified".into(), None, None),
        ("/eth/v1/beacon/headers/genesis".into(), None, None),
        (format!("/eth/v1/beacon/headers/{root}"), None, None),
        ("/eth/v1/beacon/headers?slot=0".into(), None, None),
        ("/eth/v1/beacon/headers".into(), None, None),
        ("/eth/v2/beacon/blocks/head".into(), None, Some("fulu")),
        ("/eth/v2/beacon/blocks/head".into(), Some(SSZ), Some("fulu")),
        (format!("/eth/v1/beacon/blocks/{root}/root"), None, None),
        ("/eth/v1/beacon/states/head/root".into(), None, None),
        (
            "/eth/v1/beacon/states/head/finality_checkpoints".into(),
            None,
            None,
        ),
        (
            "/eth/v1/beacon/states/finalized/finality_checkpoints".into(),
            None,
            None,
        ),
        (
            format!("/eth/v2/debug/beacon/states/{fin_state_root}"),
            Some(SSZ),
            Some("fulu"),
        ),
        (
            format!("/eth/v1/beacon/light_client/bootstrap/{root}"),
            None,
            Some("fulu"),
        ),
        (
            format!("/eth/v1/beacon/light_client/bootstrap/{root}"),
            Some(SSZ),
            Some("fulu"),
        ),
        (
            "/eth/v1/beacon/light_client/updates?start_period=0&count=2".into(),
            None,
            None,
        ),
        (
            "/eth/v1/beacon/light_client/updates?start_period=0&count=2".into(),
            Some(SSZ),
            None,
        ),
        (
            "/eth/v1/beacon/light_client/finality_update".into(),
            None,
            Some("fulu"),
        ),
        (
            "/eth/v1/beacon/light_client/finality_update".into(),
            Some(SSZ),
            Some("fulu"),
        ),
        (
            "/eth/v1/beacon/light_client/optimistic_update".into(),
            None,
            Some("fulu"),
        ),
        (
            "/eth/v1/beacon/light_client/optimistic_update".into(),
            Some(SSZ),
            Some("fulu"),
        ),
    ];
    for (path, accept, version) in cases {
        let r = get(base, &path, accept);
        assert_eq!(
            r.status,
            200,
            "{path} {accept:?}: {}",
            String::from_utf8_lossy(&r.body[..r.body.len().min(200)])
        );
        assert_cors(&r, &path);
        let len: usize = r.header("Content-Length").unwrap().parse().unwrap();
        assert_eq!(len, r.body.len(), "{path}");
        assert!(!r.short);
        let expected_type = accept.unwrap_or("application/json");
        assert_eq!(r.header("Content-Type"), Some(expected_type), "{path}");
        assert_eq!(r.header("Eth-Consensus-Version"), version, "{path}");
        if expected_type == "application/json" {
            let _ = r.json();
        }
    }
    let h = get(base, "/eth/v1/node/health", None);
    assert_eq!(h.status, 200);
    assert_cors(&h, "health");
    // A real HTTP client (ureq) sees the same.
    let resp = ureq::get(&format!("{base}/eth/v1/beacon/genesis"))
        .call()
        .unwrap();
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    let body: serde_json::Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
    assert!(body["data"]["genesis_validators_root"]
        .as_str()
        .unwrap()
        .starts_with("0x"));
}

#[test]
fn negotiation_honours_q_values_and_answers_406() {
    let d = devnet();
    let base = &d.urls()[0];
    let path = "/eth/v1/beacon/light_client/finality_update";
    let ssz_pref = get(
        base,
        path,
        Some("application/json;q=0.5, application/octet-stream;q=0.9"),
    );
    assert_eq!(ssz_pref.header("Content-Type"), Some(SSZ));
    let json_pref = get(
        base,
        path,
        Some("application/octet-stream;q=0.4, application/json"),
    );
    assert_eq!(json_pref.header("Content-Type"), Some("application/json"));
    let any = get(base, path, Some("*/*"));
    assert_eq!(any.header("Content-Type"), Some("application/json"));
    let none = get(base, path, Some("text/html"));
    assert_error_body(&none, 406);
    assert_cors(&none, "406");
    let zero = get(
        base,
        path,
        Some("application/json;q=0, application/octet-stream;q=0"),
    );
    assert_eq!(zero.status, 406);
    // States: JSON (the API default) for small registries, the same value as the SSZ form.
    let j = get(base, "/eth/v2/debug/beacon/states/genesis", None);
    assert_eq!(j.status, 200);
    assert_eq!(j.header("Content-Type"), Some("application/json"));
    assert_eq!(j.header("Eth-Consensus-Version"), Some("fulu"));
    let v = j.json();
    assert_eq!(v["version"], "fulu");
    let from_json: fulu::BeaconState<Minimal> = devnet_common::from_json(&v["data"]);
    let ssz = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    assert_eq!(
        from_json,
        fulu::BeaconState::<Minimal>::from_ssz_bytes(&ssz.body).unwrap()
    );
    let s = get(
        base,
        "/eth/v2/debug/beacon/states/genesis",
        Some("application/json;q=0.1,application/octet-stream;q=0.9"),
    );
    assert_eq!(s.header("Content-Type"), Some(SSZ));
    // Headers: JSON only.
    assert_eq!(
        get(base, "/eth/v1/beacon/headers/head", Some(SSZ)).status,
        406
    );
}

#[test]
fn errors_preflight_head_and_keep_alive() {
    let d = devnet();
    let base = &d.urls()[0];
    assert_error_body(&get(base, "/eth/v1/beacon/headers/current", None), 400);
    assert_error_body(&get(base, "/eth/v1/beacon/headers/999999", None), 404);
    assert_error_body(
        &get(base, "/eth/v1/beacon/light_client/bootstrap/0x1234", None),
        400,
    );
    assert_error_body(
        &get(
            base,
            &format!(
                "/eth/v1/beacon/light_client/bootstrap/0x{}",
                "ab".repeat(32)
            ),
            None,
        ),
        404,
    );
    assert_error_body(
        &get(
            base,
            "/eth/v1/beacon/light_client/updates?start_period=x&count=1",
            None,
        ),
        400,
    );
    assert_error_body(&get(base, "/eth/v1/nothing/here", None), 404);
    assert_error_body(&get(base, "/eth/v1/beacon/states/bogus/root", None), 400);
    let err = get(base, "/eth/v1/nothing/here", None);
    assert_cors(&err, "404");
    let post = raw_request(
        base,
        "POST",
        "/eth/v1/beacon/genesis",
        &[],
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(post.status, 405);

    // Preflight: 204, any origin, the methods and the requested headers allowed.
    let pre = raw_request(
        base,
        "OPTIONS",
        "/eth/v2/debug/beacon/states/finalized",
        &[
            ("Origin", "http://localhost:8080"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "accept, x-custom"),
        ],
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("Access-Control-Allow-Origin"), Some("*"));
    assert!(pre
        .header("Access-Control-Allow-Methods")
        .unwrap()
        .contains("GET"));
    assert_eq!(
        pre.header("Access-Control-Allow-Headers"),
        Some("accept, x-custom")
    );

    // HEAD: same status and headers as GET, no body.
    let get_r = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    let head = raw_request(
        base,
        "HEAD",
        "/eth/v2/debug/beacon/states/genesis",
        &[("Accept", SSZ)],
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("Content-Length"),
        get_r.header("Content-Length")
    );
    assert_eq!(head.header("Eth-Consensus-Version"), Some("fulu"));

    // Keep-alive: two requests on one connection, both answered in order.
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!(
        "GET /eth/v1/node/version HTTP/1.1\r\nHost: {addr}\r\n\r\nGET /eth/v1/beacon/genesis HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert!(text.contains("genesis_validators_root"));
    assert!(text.contains("beacon-lightsync-devnet"));
}

#[test]
fn several_providers_serve_the_same_chain() {
    let d = Devnet::start(DevnetOptions {
        providers: 3,
        chain: ChainOptions {
            validators: 64,
            slots: 40,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .unwrap();
    let urls = d.urls();
    assert_eq!(urls.len(), 3);
    let bodies: Vec<Vec<u8>> = urls
        .iter()
        .map(|u| {
            get(
                u,
                "/eth/v1/beacon/states/finalized/finality_checkpoints",
                None,
            )
            .body
        })
        .collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let info = get(&urls[2], "/_devnet/info", None).json();
    assert_eq!(info["urls"].as_array().unwrap().len(), 3);
    assert_eq!(info["checkpoint"], d.checkpoint().unwrap());
}

#[test]
fn large_states_are_offered_as_ssz_only() {
    let n = beacon_lightsync::devnet::chain::JSON_STATE_MAX_VALIDATORS + 1;
    let d = Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: n,
            slots: 24,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .unwrap();
    let base = &d.urls()[0];
    assert_eq!(
        get(
            base,
            "/eth/v2/debug/beacon/states/genesis",
            Some("application/json")
        )
        .status,
        406
    );
    let r = get(base, "/eth/v2/debug/beacon/states/genesis", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some(SSZ));
    assert_eq!(
        fulu::BeaconState::<Minimal>::from_ssz_bytes(&r.body)
            .unwrap()
            .validators
            .len() as u64,
        n
    );
}
