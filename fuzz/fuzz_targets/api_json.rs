//! The Beacon API answers, through the real client (`HttpBeaconApi`) over a transport that
//! answers with the input: genesis, config/spec (and the network built from it), headers (by
//! id and in batches, root checked), finality checkpoints, the light-client JSON envelopes, and
//! error answers (status, `Retry-After` as seconds or an HTTP-date, the quoted error message).
//!
//! The input is the body of the answer, so a JSON seed is used as it is; its last byte picks
//! the call, and whether the answer is a 200 or an error status (the text then also serves as
//! `Retry-After` and `Date`).
#![no_main]

use beacon_lightsync::beacon_api::{
    retry_after_seconds, ApiError, BeaconApi, HttpBeaconApi, HttpResponse,
};
use beacon_lightsync::config::ConfigFile;
use beacon_lightsync::types::light_client::{
    LightClientBootstrap, LightClientFinalityUpdate, LightClientOptimisticUpdate, LightClientUpdate,
};
use beacon_lightsync::types::{Mainnet, Minimal};
use beacon_lightsync_fuzz::{selector, CannedTransport};
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;

const BASE: &str = "http://127.0.0.1:5052";

fn client(
    status: u16,
    headers: Vec<(String, String)>,
    body: &[u8],
) -> HttpBeaconApi<CannedTransport> {
    HttpBeaconApi::new(
        BASE,
        CannedTransport {
            response: HttpResponse {
                status,
                headers,
                body: body.to_vec(),
            },
        },
    )
}

/// Typed calls the sync flows make: call `which` against one canned answer.
fn call(api: &HttpBeaconApi<CannedTransport>, which: usize) -> Vec<Result<(), ApiError>> {
    block_on(async {
        match which % 8 {
            0 => vec![api.genesis().await.map(drop)],
            1 => vec![api.header("head").await.map(drop)],
            2 => vec![api.header_by_slot(7).await.map(drop)],
            3 => vec![api.finality_checkpoints("finalized").await.map(drop)],
            4 => vec![api.light_client_bootstrap(&[0; 32]).await.map(drop)],
            5 => api
                .headers_by_slots(&[1, 2, 3])
                .await
                .into_iter()
                .map(|r| r.map(drop))
                .collect(),
            6 => {
                let spec = api.spec().await;
                if let Ok(spec) = &spec {
                    if let Ok(file) = ConfigFile::from_spec(spec) {
                        let _ = file.complete_offline(Some([1; 32].into()));
                    }
                }
                vec![spec.map(drop)]
            }
            _ => vec![api.light_client_updates(1, 2).await.map(drop)],
        }
    })
}

/// The light-client JSON envelopes: type `which`; an update that parses re-serialises to an
/// envelope that parses to the same value.
fn light_client_json(data: &[u8], which: usize) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match which % 6 {
        0 => drop(LightClientBootstrap::<Mainnet>::from_versioned_json(value)),
        1 => drop(LightClientFinalityUpdate::<Mainnet>::from_versioned_json(
            value,
        )),
        2 => drop(LightClientOptimisticUpdate::<Mainnet>::from_versioned_json(
            value,
        )),
        3 => drop(LightClientFinalityUpdate::<Minimal>::from_versioned_json(
            value,
        )),
        4 => {
            if let Ok(u) = LightClientUpdate::<Mainnet>::from_versioned_json(value) {
                let back = LightClientUpdate::<Mainnet>::from_versioned_json(u.to_versioned_json());
                assert_eq!(back.as_ref(), Ok(&u), "JSON round trip differs");
            }
        }
        _ => {
            if let Ok(u) = LightClientUpdate::<Minimal>::from_versioned_json(value) {
                let back = LightClientUpdate::<Minimal>::from_versioned_json(u.to_versioned_json());
                assert_eq!(back.as_ref(), Ok(&u), "JSON round trip differs");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let sel = selector(data);
    match sel % 4 {
        // A 200 answer with the input as its JSON body.
        0 | 1 => {
            for r in call(&client(200, vec![], data), sel >> 2) {
                if let Err(e) = r {
                    assert!(!e.code().is_empty());
                    let _ = e.to_string();
                }
            }
        }
        // An error answer: the body is the message, the text also a Retry-After and a Date.
        2 => {
            let text = String::from_utf8_lossy(data);
            let status = [404u16, 429, 500, 503][(sel >> 2) % 4];
            let headers = vec![
                ("retry-after".to_string(), text.to_string()),
                ("date".to_string(), text.chars().rev().collect()),
            ];
            for r in call(&client(status, headers, data), sel >> 4) {
                if let Err(e) = r {
                    let _ = e.to_string();
                }
            }
            let _ = retry_after_seconds(&text, None, Some(1_700_000_000));
            let _ = retry_after_seconds(&text, Some(&text), None);
        }
        _ => light_client_json(data, sel >> 2),
    }
});
