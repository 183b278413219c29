#![cfg(not(target_arch = "wasm32"))]
//! `lightsync follow` on a live devnet (1 s slots, minimal preset: a finality advance every 8 s)
//! over real HTTP and real server-sent events:
//!
//! - by default it steps on the node's `finalized_checkpoint` events: each line says `source`
//!   `event` and the latency from the event to the stored tip;
//! - `--poll` never subscribes: every step is a poll, with no latency;
//! - a provider that does not serve `/eth/v1/events` (`events=off`) is reported and the next
//!   provider's stream is used within the base reconnection delay;
//! - a dropped stream (`events=drop`) is reported, following polls meanwhile and reconnects, and
//!   steps on events again.

mod devnet_common;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use devnet_common::control;

/// Longest wait for one expected line: two finality advances (16 s) and a reconnection.
const LIMIT: Duration = Duration::from_secs(40);

fn live_devnet(providers: usize, behaviours: Vec<(usize, String)>) -> Devnet {
    Devnet::start(DevnetOptions {
        providers,
        live: true,
        behaviours,
        chain: ChainOptions {
            preset: "minimal".into(),
            validators: 256,
            slots: 40,
            seconds_per_slot: Some(1),
            seed: 9,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .expect("live devnet starts")
}

/// A running `lightsync follow`: its stdout lines (JSON) and stderr lines as they come.
struct Follow {
    child: Child,
    _stdin: ChildStdin,
    out: Receiver<serde_json::Value>,
    err: Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Follow {
    fn start(urls: &[String], extra: &[&str]) -> Follow {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lightsync"))
            .args([
                "follow",
                "--network",
                "spec",
                "--beacon-api",
                &urls.join(","),
                "--state-id",
                "finalized",
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (otx, out) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                if otx.send(v).is_err() {
                    return;
                }
            }
        });
        let (etx, err) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if etx.send(line).is_err() {
                    return;
                }
            }
        });
        Follow {
            _stdin: child.stdin.take().unwrap(),
            child,
            out,
            err,
            stderr_seen: Vec::new(),
        }
    }

    /// Step lines until one satisfies `want` (returned with those before it).
    fn until(&mut self, want: impl Fn(&serde_json::Value) -> bool) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + LIMIT;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.out.recv_timeout(left) {
                Ok(line) => {
                    let done = want(&line);
                    seen.push(line);
                    if done {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        self.drain_stderr();
        panic!(
            "no such step line within {LIMIT:?}; got {seen:?}\nstderr: {:#?}",
            self.stderr_seen
        );
    }

    /// Stderr lines until one contains `text` (which is returned).
    fn stderr_until(&mut self, text: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.err.recv_timeout(left) {
                Ok(line) => {
                    self.stderr_seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no stderr line with {text:?}: {:#?}", self.stderr_seen);
    }

    fn drain_stderr(&mut self) {
        while let Ok(l) = self.err.try_recv() {
            self.stderr_seen.push(l);
        }
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn event_advance(l: &serde_json::Value) -> bool {
    l["source"] == "event" && l["advanced"] == true
}

#[test]
fn follow_steps_on_events_with_latency_and_polls_with_poll() {
    let devnet = live_devnet(1, Vec::new());
    let mut f = Follow::start(&devnet.urls(), &[]);
    let lines = f.until(event_advance);
    assert_eq!(lines[0]["source"], "start", "{lines:?}");
    assert_eq!(lines[0]["step"], 1);
    let last = lines.last().unwrap();
    let latency = last["latency_ms"]
        .as_f64()
        .expect("an event step has a latency");
    assert!((0.0..8000.0).contains(&latency), "{last}");
    assert_eq!(last["verified_by"], "finality_checkpoints");
    assert!(last["linked"].as_u64().unwrap() >= 1, "{last}");
    f.stderr_until("events: open");
    drop(f);

    let mut p = Follow::start(&devnet.urls(), &["--poll", "--interval-ms", "500"]);
    let lines = p.until(|l| l["advanced"] == true);
    for l in &lines[1..] {
        assert_eq!(l["source"], "poll", "{l}");
        assert!(l["latency_ms"].is_null(), "{l}");
    }
    p.drain_stderr();
    assert!(
        !p.stderr_seen.iter().any(|l| l.starts_with("events:")),
        "{:#?}",
        p.stderr_seen
    );
}

#[test]
fn follow_skips_a_provider_without_events_and_reconnects_after_a_drop() {
    // Provider 0 does not serve the event stream (404): provider 1's is opened soon after.
    let devnet = live_devnet(2, vec![(0, "events=404".into())]);
    let urls = devnet.urls();
    let mut f = Follow::start(&urls, &[]);
    let down = f.stderr_until("down (HTTP_STATUS");
    assert!(down.contains(&urls[0]) && down.contains("404"), "{down}");
    let open = f.stderr_until("events: open");
    assert!(open.contains(&urls[1]), "{open}");
    f.until(event_advance);

    // Every open stream is closed once: reported, then reopened, and events drive steps again.
    control(&urls[1], "/_devnet/behave?events=drop");
    let down = f.stderr_until("down (");
    assert!(down.contains(&urls[1]), "{down}");
    f.stderr_until("events: open");
    f.until(event_advance);
}
