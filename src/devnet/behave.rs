//! Behaviours: where real beacon nodes legitimately answer differently from each other, a
//! provider can be made to answer like one of them.
//!
//! Unlike faults ([`super::faults`]), a behaviour is not a lie: it is how some implementation,
//! or a node run without some flag, really answers. A client must cope with all of them. Seen
//! on real nodes: an unknown light-client bootstrap root answered 500 instead of 404; the
//! still-running period's `light_client/updates` entry answered 500 (or left out of the range);
//! `Access-Control-Expose-Headers` listing only the response's `Eth-*` headers; 503 "syncing" on
//! data endpoints while the node catches up (and 206 from `node/health`); light-client endpoints
//! answering 501 when the light-client server is off.
//!
//! Each behaviour is applied around the honest routing, never inside a route: [`Behaviour::before`]
//! may answer a request itself or rewrite it, [`Behaviour::after`] may rewrite a response.
//!
//! Text form (`--behave [I:]KEY[=VALUE]`, or `POST /_devnet/behave?KEY=VALUE…[&provider=I]`):
//! - `unknown-bootstrap=404|500` (default 404);
//! - `running-update=serve|500|404|omit` (default serve: the best update so far);
//! - `expose=all|eth` (default all: the devnet's full list);
//! - `syncing[=true|false]` (default false);
//! - `light-client=on|off|501|500|404` (default on; `off` = 501, Not Implemented);
//! - `events=on|off|501|404|drop` (default on): `off` (= 501) or 404 refuses
//!   `/eth/v1/events`, as a node built or run without the event stream does; `drop` is an
//!   action, not a state: it closes every event stream open at that moment, once (as a node
//!   restart or a proxy's idle cut does), and later subscriptions are served again.
//!
//! `reset` (or `DELETE /_devnet/behave`) restores every default.

use std::fmt;
use std::sync::Mutex;

use super::data::ChainData;
use super::http::{Request, Response};

/// How the running period's light-client update is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunningUpdate {
    /// Served like any period's (the best update so far).
    #[default]
    Serve,
    /// A range that includes the running period answers this status.
    Status(u16),
    /// The running period is left out of the range.
    Omit,
}

/// One provider's behaviours (defaults: the devnet's own answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// Status of a bootstrap request for a root with no bootstrap.
    pub unknown_bootstrap: u16,
    pub running_update: RunningUpdate,
    /// `Access-Control-Expose-Headers` lists only the response's `Eth-*` headers.
    pub expose_eth_only: bool,
    /// The node says it is syncing: 503 on data endpoints, 206 from `node/health`.
    pub syncing: bool,
    /// Status of every light-client endpoint when the light-client server is off.
    pub light_client_off: Option<u16>,
    /// Status of `/eth/v1/events` when the node does not serve the event stream.
    pub events_off: Option<u16>,
    /// How many times `events=drop` was applied: a stream opened at another count is closed.
    pub stream_drops: u64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            unknown_bootstrap: 404,
            running_update: RunningUpdate::Serve,
            expose_eth_only: false,
            syncing: false,
            light_client_off: None,
            events_off: None,
            stream_drops: 0,
        }
    }
}

/// A behaviour that did not parse; the message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BehaveParseError {
    pub key: String,
    pub expected: &'static str,
    pub got: String,
}

impl fmt::Display for BehaveParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "behaviour `{}`: expected {}, got `{}`",
            self.key, self.expected, self.got
        )
    }
}

impl std::error::Error for BehaveParseError {}

/// Message of the 503 a syncing node answers (beacon-APIs error shape).
pub const SYNCING_MESSAGE: &str =
    "Beacon node is currently syncing and not serving requests on this endpoint";

impl Behaviour {
    /// Applies one `key=value` setting.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), BehaveParseError> {
        let bad = |expected: &'static str| BehaveParseError {
            key: key.to_string(),
            expected,
            got: value.to_string(),
        };
        match key {
            "unknown-bootstrap" => {
                self.unknown_bootstrap = match value {
                    "404" => 404,
                    "500" => 500,
                    _ => return Err(bad("404 or 500")),
                }
            }
            "running-update" => {
                self.running_update = match value {
                    "serve" => RunningUpdate::Serve,
                    "omit" => RunningUpdate::Omit,
                    "404" => RunningUpdate::Status(404),
                    "500" => RunningUpdate::Status(500),
                    _ => return Err(bad("serve, 500, 404 or omit")),
                }
            }
            "expose" => {
                self.expose_eth_only = match value {
                    "all" => false,
                    "eth" => true,
                    _ => return Err(bad("all or eth")),
                }
            }
            "syncing" => {
                self.syncing = match value {
                    "" | "true" => true,
                    "false" => false,
                    _ => return Err(bad("true or false")),
                }
            }
            "light-client" => {
                self.light_client_off = match value {
                    "on" => None,
                    "off" | "501" => Some(501),
                    "500" => Some(500),
                    "404" => Some(404),
                    _ => return Err(bad("on, off, 501, 500 or 404")),
                }
            }
            "events" => match value {
                "on" => self.events_off = None,
                "off" | "501" => self.events_off = Some(501),
                "404" => self.events_off = Some(404),
                "drop" => self.stream_drops += 1,
                _ => return Err(bad("on, off, 501, 404 or drop")),
            },
            // The drop count survives: a reset must not close the streams open now.
            "reset" => {
                *self = Behaviour {
                    stream_drops: self.stream_drops,
                    ..Behaviour::default()
                }
            }
            _ => {
                return Err(BehaveParseError {
                    key: key.to_string(),
                    expected: "a behaviour (unknown-bootstrap, running-update, expose, syncing, light-client, events, reset)",
                    got: key.to_string(),
                })
            }
        }
        Ok(())
    }

    /// Applies a text form `key[=value][,key[=value]…]`.
    pub fn apply_text(&mut self, text: &str) -> Result<(), BehaveParseError> {
        for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            self.set(k.trim(), v.trim())?;
        }
        Ok(())
    }

    /// The settings as JSON (for the control endpoint).
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "unknown-bootstrap": self.unknown_bootstrap,
            "running-update": match self.running_update {
                RunningUpdate::Serve => "serve".to_string(),
                RunningUpdate::Omit => "omit".to_string(),
                RunningUpdate::Status(c) => c.to_string(),
            },
            "expose": if self.expose_eth_only { "eth" } else { "all" },
            "syncing": self.syncing,
            "light-client": self.light_client_off.map_or("on".to_string(), |c| c.to_string()),
            "events": self.events_off.map_or("on".to_string(), |c| c.to_string()),
            "stream-drops": self.stream_drops,
        })
    }

    /// Before routing: answers the request itself (`Err`), or lets it through, possibly with
    /// the `updates` range shortened so that it ends before the running period.
    pub fn before(
        &self,
        chain: &ChainData,
        req: &mut Request,
        seg: &[&str],
    ) -> Result<(), Response> {
        let light_client = seg.starts_with(&["eth", "v1", "beacon", "light_client"]);
        if let (Some(code), true) = (self.light_client_off, light_client) {
            return Err(Response::error(
                code,
                "Light client server is disabled on this node",
            ));
        }
        if self.syncing {
            if seg == ["eth", "v1", "node", "health"] {
                return Err(Response::new(206, "text/plain", Vec::new()));
            }
            if is_data_endpoint(seg) {
                return Err(Response::error(503, SYNCING_MESSAGE));
            }
        }
        if seg == ["eth", "v1", "beacon", "light_client", "updates"] {
            self.running_update_before(chain, req)?;
        }
        Ok(())
    }

    fn running_update_before(&self, chain: &ChainData, req: &mut Request) -> Result<(), Response> {
        let (Some(running), Some(start), Some(count)) = (
            running_period(chain),
            req.query_param("start_period")
                .and_then(|v| v.parse::<u64>().ok()),
            req.query_param("count").and_then(|v| v.parse::<u64>().ok()),
        ) else {
            return Ok(()); // malformed ranges get the route's own 400
        };
        let covers = start <= running && running < start.saturating_add(count);
        match self.running_update {
            RunningUpdate::Serve => {}
            RunningUpdate::Status(code) if covers => {
                return Err(Response::error(
                    code,
                    &format!(
                        "No LightClientUpdate is available yet for the running period {running}"
                    ),
                ));
            }
            RunningUpdate::Status(_) => {}
            RunningUpdate::Omit if covers => {
                let count = (running - start).to_string();
                for (k, v) in req.query.iter_mut() {
                    if k == "count" {
                        *v = count.clone();
                    }
                }
            }
            RunningUpdate::Omit => {}
        }
        Ok(())
    }

    /// After routing: rewrites the response.
    pub fn after(&self, seg: &[&str], resp: &mut Response) {
        if self.unknown_bootstrap != 404
            && resp.status == 404
            && seg.starts_with(&["eth", "v1", "beacon", "light_client", "bootstrap"])
        {
            let mut r = Response::error(
                self.unknown_bootstrap,
                "Internal server error: no light client bootstrap for this block root",
            );
            for (k, v) in &resp.headers {
                if k.starts_with("Access-Control") || k == "Vary" {
                    r.set_header(k, v);
                }
            }
            *resp = r;
        }
        if self.expose_eth_only {
            let eth: Vec<String> = resp
                .headers
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k.to_ascii_lowercase().starts_with("eth-"))
                .collect();
            if eth.is_empty() {
                resp.remove_header("Access-Control-Expose-Headers");
            } else {
                resp.set_header("Access-Control-Expose-Headers", &eth.join(", "));
            }
        }
    }
}

/// Endpoints that serve chain data (a syncing node refuses them); config, genesis, node and
/// events stay available, as on real nodes.
fn is_data_endpoint(seg: &[&str]) -> bool {
    match seg {
        ["eth", _, "beacon", "genesis"] => false,
        ["eth", _, "beacon", ..] | ["eth", _, "debug", "beacon", ..] => true,
        _ => false,
    }
}

/// The sync-committee period of the chain's head slot.
fn running_period(chain: &ChainData) -> Option<u64> {
    let epochs: u64 = chain
        .spec
        .get("EPOCHS_PER_SYNC_COMMITTEE_PERIOD")?
        .as_str()?
        .parse()
        .ok()?;
    Some(chain.head_slot? / (chain.slots_per_epoch.max(1) * epochs.max(1)))
}

/// One provider's behaviours, changed at run time through the control endpoint.
#[derive(Debug, Default)]
pub struct BehaviourSet(Mutex<Behaviour>);

impl BehaviourSet {
    pub fn get(&self) -> Behaviour {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn update(
        &self,
        f: impl FnOnce(&mut Behaviour) -> Result<(), BehaveParseError>,
    ) -> Result<(), BehaveParseError> {
        let mut b = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = *b;
        f(&mut next)?;
        *b = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_form() {
        let mut b = Behaviour::default();
        b.apply_text(
            "unknown-bootstrap=500, running-update=omit,expose=eth,syncing,light-client=off",
        )
        .unwrap();
        assert_eq!(b.unknown_bootstrap, 500);
        assert_eq!(b.running_update, RunningUpdate::Omit);
        assert!(b.expose_eth_only && b.syncing);
        assert_eq!(b.light_client_off, Some(501));
        b.apply_text("events=drop,events=404").unwrap();
        assert_eq!((b.events_off, b.stream_drops), (Some(404), 1));
        b.apply_text("reset").unwrap();
        assert_eq!(
            b,
            Behaviour {
                stream_drops: 1,
                ..Behaviour::default()
            }
        );
        assert!(b.apply_text("events=maybe").is_err());
        let e = b.apply_text("running-update=maybe").unwrap_err();
        assert_eq!(
            e.to_string(),
            "behaviour `running-update`: expected serve, 500, 404 or omit, got `maybe`"
        );
        assert!(b.apply_text("bogus=1").is_err());
    }

    #[test]
    fn data_endpoints() {
        assert!(is_data_endpoint(&[
            "eth", "v1", "beacon", "headers", "head"
        ]));
        assert!(is_data_endpoint(&[
            "eth",
            "v2",
            "debug",
            "beacon",
            "states",
            "finalized"
        ]));
        assert!(!is_data_endpoint(&["eth", "v1", "beacon", "genesis"]));
        assert!(!is_data_endpoint(&["eth", "v1", "config", "spec"]));
    }
}
