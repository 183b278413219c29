//! `lightsync devnet`: serve a local Beacon API (see `beacon_lightsync::devnet`) until killed.
//!
//! Prints the provider URLs and the trusted checkpoint for humans, then one line
//! `DEVNET {json}` for scripts, and optionally writes the same JSON to `--ready-file` once every
//! provider is listening (written to a temporary name and renamed, so a watcher never reads half).

use std::path::PathBuf;

use super::{is_help, run_parsed, Flags, Wording, HELP};
use crate::devnet::chain::ChainOptions;
use crate::devnet::faults::FaultRule;
use crate::devnet::{Devnet, DevnetOptions};
use crate::light::fork_digest::BlobParameters;

const USAGE: &str = "usage: lightsync devnet [options]
  --port P             first port (provider i listens on P+i; 0 = any free port) [5052]
  --providers K        number of providers [1]
  --validators N       registry size [2048]
  --slots S            slots after genesis [256]
  --preset NAME        mainnet | minimal [minimal]
  --fork F             fork of the whole chain (electra | fulu | gloas) [fulu]
  --gloas-epoch N      with --fork fulu: fork to Gloas at epoch N (upgrade_to_gloas of the state)
  --seed X             seed of every deterministic choice [1]
  --genesis-time T     unix seconds of genesis [now - slots*seconds_per_slot]; with --live, a time
                       in the past: the history up to now is generated, then the chain goes live
  --live               grow the chain in real time (one slot per SECONDS_PER_SLOT, finalizing
                       two epochs behind the head), with events on /eth/v1/events; Gloas too
                       (--fork gloas, or --gloas-epoch N): the finalized state served is then
                       the checkpoint block's post-state
  --seconds-per-slot S SECONDS_PER_SLOT served and followed by --live [preset: 6 minimal, 12 mainnet]
  --genesis-lag S      serve a spec whose MIN_GENESIS_TIME + GENESIS_DELAY is S seconds before
                       the genesis time, as real networks do [0]
  --blob-schedule E:M[,E:M...]  BLOB_SCHEDULE of the served config (EPOCH:MAX_BLOBS_PER_BLOCK);
                       Fulu fork digests follow it [none: Electra's limit throughout]
  --empty-slots PCT    percent of empty slots [5]
  --empty-checkpoint-slot  leave the finalized epoch's first slot empty (the checkpoint block is
                       earlier; the served boundary state links to it via latest_block_header;
                       on Gloas the served finalized state is that block's, unaligned)
  --withheld-payloads PCT  Gloas: percent of blocks whose payload envelope is withheld (404) [10]
  --withhold-checkpoint-payload  Gloas: withhold the finalized checkpoint block's payload
                       (revealed otherwise)
  --fault [I:]SPEC     fault rule for provider I (default 0), SPEC = kind[,key=value...]
                       kinds: flip-state bad-header-root broken-parent non-canonical withhold
                       truncate oversize trickle status no-response wrong-version no-expose
                       wrong-gvr bad-lc-signature bad-lc-branch bad-json bad-ssz
                       common keys: path=/eth/v1/beacon/headers/* slots=A-B count=N
  --behave [I:]SPEC    answer like some real nodes do, provider I (default 0); SPEC = key[=value],...
                       unknown-bootstrap=404|500  running-update=serve|500|404|omit
                       expose=all|eth  syncing[=true|false]  light-client=on|off|501|500|404
                       events=on|off|501|404|drop (drop: close the open event streams once)
  --liar I[:SEED]      provider I serves a consistent chain from another seed [seed+1]
  --replay NET         serve recorded responses (holesky | mainnet) instead of generating
  --fixtures DIR       fixtures folder for --replay [$LIGHTSYNC_FIXTURES or ../shared/fixtures]
  --ready-file PATH    write the DEVNET JSON there once listening
Control (on every provider): POST /_devnet/faults?kind=truncate&count=3[&provider=I] adds a
rule, GET /_devnet/faults lists, DELETE clears; POST /_devnet/behave?syncing=true sets behaviours; POST /_devnet/chain?seed=X makes a consistent liar
(seed=honest reverts); GET /_devnet/info repeats the DEVNET line (live: head and finality now).";

/// `EPOCH:MAX[,EPOCH:MAX...]` as `BLOB_SCHEDULE` entries.
fn parse_blob_schedule(text: &str) -> Result<Vec<BlobParameters>, String> {
    text.split(',')
        .map(|entry| {
            let parsed = entry.split_once(':').and_then(|(e, m)| {
                Some(BlobParameters {
                    epoch: e.trim().parse().ok()?,
                    max_blobs_per_block: m.trim().parse().ok()?,
                })
            });
            parsed.ok_or_else(|| {
                format!("--blob-schedule: expected EPOCH:MAX_BLOBS_PER_BLOCK entries separated by commas, got `{entry}`")
            })
        })
        .collect()
}

/// A `--fault`/`--behave` value, `[INDEX:]SPEC`: the provider index (0 when none is given) and
/// the spec.
fn provider_spec(flags: &Flags<'_>, v: &str) -> Result<(usize, String), String> {
    match v.split_once(':') {
        Some((i, s)) if i.chars().all(|c| c.is_ascii_digit()) && !i.is_empty() => {
            Ok((flags.parse_str(i, "a provider index")?, s.to_string()))
        }
        _ => Ok((0, v.to_string())),
    }
}

fn parse_args(args: &[String]) -> Result<(DevnetOptions, Option<PathBuf>), String> {
    let mut opts = DevnetOptions {
        port: 5052,
        ..DevnetOptions::default()
    };
    let mut chain = ChainOptions::default();
    let mut ready = None;
    let mut replay_net = None;
    let mut fixtures = None;
    let mut flags = Flags::new(args, Wording::GOT_NOTHING);
    while let Some(flag) = flags.next() {
        if is_help(flag) {
            return Err(HELP.into());
        }
        match flag {
            "--port" => opts.port = flags.parse("a port number")?,
            "--providers" => opts.providers = flags.parse("a positive count")?,
            "--validators" => chain.validators = flags.parse("a validator count")?,
            "--slots" => chain.slots = flags.parse("a slot count")?,
            "--preset" => chain.preset = flags.value()?,
            "--fork" => chain.fork = flags.value()?,
            "--gloas-epoch" => chain.gloas_epoch = Some(flags.parse("an epoch")?),
            "--seed" => chain.seed = flags.parse("a u64 seed")?,
            "--genesis-time" => chain.genesis_time = Some(flags.parse("unix seconds")?),
            "--genesis-lag" => opts.genesis_lag = flags.parse("seconds")?,
            "--empty-slots" => chain.empty_slot_percent = flags.parse("a percentage")?,
            "--blob-schedule" => chain.blob_schedule = parse_blob_schedule(&flags.value()?)?,
            "--empty-checkpoint-slot" => chain.empty_checkpoint_slot = true,
            "--withhold-checkpoint-payload" => chain.withhold_checkpoint_payload = true,
            "--withheld-payloads" => {
                chain.withheld_payload_percent = flags.parse("a percentage")?
            }
            "--live" => opts.live = true,
            "--seconds-per-slot" => {
                chain.seconds_per_slot = Some(flags.parse("seconds (1..=3600)")?)
            }
            "--fault" => {
                let v = flags.value()?;
                let (idx, spec) = provider_spec(&flags, &v)?;
                let rule = FaultRule::parse(&spec).map_err(|e| format!("--fault {v}: {e}"))?;
                opts.faults.push((idx, rule));
            }
            "--behave" => {
                let v = flags.value()?;
                let (idx, spec) = provider_spec(&flags, &v)?;
                crate::devnet::behave::Behaviour::default()
                    .apply_text(&spec)
                    .map_err(|e| format!("--behave {v}: {e}"))?;
                opts.behaviours.push((idx, spec));
            }
            "--liar" => {
                let v = flags.value()?;
                let (i, seed) = match v.split_once(':') {
                    Some((i, s)) => (
                        flags.parse_str(i, "a provider index")?,
                        Some(flags.parse_str(s, "a u64 seed")?),
                    ),
                    None => (flags.parse_str(&v, "a provider index")?, None),
                };
                opts.liars.push((i, seed.unwrap_or(u64::MAX)));
            }
            "--replay" => replay_net = Some(flags.value()?),
            "--fixtures" => fixtures = Some(PathBuf::from(flags.value()?)),
            "--ready-file" => ready = Some(PathBuf::from(flags.value()?)),
            _ => return Err(flags.unknown()),
        }
    }
    for (_, seed) in opts.liars.iter_mut() {
        if *seed == u64::MAX {
            *seed = chain.seed.wrapping_add(1);
        }
    }
    if let Some(net) = replay_net {
        let net = net.parse().map_err(|e| format!("--replay: {e}"))?;
        let dir = fixtures
            .or_else(|| std::env::var_os("LIGHTSYNC_FIXTURES").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("../shared/fixtures"));
        opts.replay = Some((net, dir));
    }
    opts.chain = chain;
    Ok((opts, ready))
}

/// Runs the devnet in the foreground; returns an exit code only on failure to start.
pub fn run(args: &[String]) -> i32 {
    run_parsed(USAGE, parse_args(args), serve)
}

/// Starts the devnet `opts` describe and serves until killed; returns an exit code only on
/// failure to start.
fn serve((opts, ready): (DevnetOptions, Option<PathBuf>)) -> i32 {
    let started = std::time::Instant::now();
    let devnet = match Devnet::start(opts) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let info = devnet.info();
    println!(
        "devnet: {} ready in {:.1} s",
        devnet.chain().label,
        started.elapsed().as_secs_f64()
    );
    for (phase, secs) in &devnet.chain().timings {
        println!("  {phase}: {secs:.2} s");
    }
    for (state_root, s) in &devnet.chain().states {
        println!(
            "  state slot {} ({}): {} bytes, root 0x{}",
            s.slot,
            s.fork,
            s.ssz.len(),
            hex::encode(state_root)
        );
    }
    for (i, url) in devnet.urls().iter().enumerate() {
        println!("  provider {i}: {url}");
    }
    match devnet.checkpoint() {
        Some(cp) => println!("  trusted checkpoint (block_root:epoch): {cp}"),
        None => println!(
            "  no finalized checkpoint (replay without one, or a chain too short to finalize)"
        ),
    }
    println!(
        "  faults: POST {}/_devnet/faults?kind=...  (GET lists, DELETE clears)",
        devnet.urls()[0]
    );
    println!("DEVNET {info}");
    if let Some(path) = ready {
        let tmp = path.with_extension("tmp");
        let written =
            std::fs::write(&tmp, format!("{info}\n")).and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            eprintln!("error: cannot write ready file {}: {e}", path.display());
            return 1;
        }
    }
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args;

    #[test]
    fn parses_flags() {
        let (o, ready) = parse_args(&args(
            "--port 6000 --providers 3 --validators 64 --seed 7 --fault 2:status,code=503 --fault withhold --liar 1",
        ))
        .unwrap();
        assert_eq!(o.port, 6000);
        assert_eq!(o.providers, 3);
        assert_eq!(o.chain.validators, 64);
        assert_eq!(o.faults.len(), 2);
        assert_eq!(o.faults[0].0, 2);
        assert_eq!(o.faults[1].0, 0);
        assert_eq!(o.liars, vec![(1, 8)]);
        assert!(ready.is_none());
        assert!(!o.live);
        let (o, _) = parse_args(&args("--live --seconds-per-slot 1 --genesis-time 1000")).unwrap();
        assert!(o.live);
        let (ob, _) = parse_args(&args("--behave 1:unknown-bootstrap=500,expose=eth")).unwrap();
        assert_eq!(
            ob.behaviours,
            vec![(1, "unknown-bootstrap=500,expose=eth".to_string())]
        );
        assert!(parse_args(&args("--behave expose=some"))
            .unwrap_err()
            .contains("expected all or eth"));
        assert_eq!(o.chain.seconds_per_slot, Some(1));
        assert_eq!(o.chain.genesis_time, Some(1000));
        assert!(parse_args(&args("--seconds-per-slot x"))
            .unwrap_err()
            .contains("expected seconds"));
        assert!(parse_args(&args("--port x"))
            .unwrap_err()
            .contains("expected a port number"));
        assert!(parse_args(&args("--bogus")).is_err());
        assert!(parse_args(&args("--replay goerli")).is_err());
    }
}
