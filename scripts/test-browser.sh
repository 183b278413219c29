#!/usr/bin/env bash
# Browser tests: `wasm-pack test --headless --chrome` against Debian's Chromium and ChromeDriver, with
# real IndexedDB, and a local devnet Beacon API on 127.0.0.1 for the tests that talk to one.
#
# The devnet's addresses reach the wasm tests at compile time (a browser test cannot read the
# environment): LIGHTSYNC_DEVNET_URL (first provider), LIGHTSYNC_DEVNET_URLS (comma-separated) and
# LIGHTSYNC_DEVNET_JSON (everything the devnet printed: checkpoint, finalized root, genesis time, …),
# and LIGHTSYNC_DEVNET_LIGHT_URL / LIGHTSYNC_DEVNET_LIGHT_URLS (a chain shaped for the light rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."
export LIGHTSYNC_FIXTURES=${LIGHTSYNC_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
CLI=target/release/lightsync
cargo build --release --bin lightsync # the devnet must be this tree's (a stale binary lacks newer faults)
work=$(mktemp -d)
"$CLI" devnet --port 0 --providers 3 --validators 2048 --slots 256 --preset minimal --seed 7 \
  --ready-file "$work/devnet.json" >"$work/devnet.log" 2>&1 &
devnet_pid=$!
# A second chain whose last slot closes a sync-committee period (64 slots in the minimal preset),
# so the newest light-client update finalizes the block whose state it serves: the light rebuild
# test walks to it. Two providers: a rebuild one of them refuses goes on with the other
# (web_behaviours.rs).
"$CLI" devnet --port 0 --providers 2 --validators 512 --slots 255 --preset minimal --seed 7 \
  --ready-file "$work/devnet-light.json" >"$work/devnet-light.log" 2>&1 &
light_pid=$!
# A small chain whose node lists only its Eth-* headers in Access-Control-Expose-Headers, as some
# real nodes do (web_behaviours.rs).
"$CLI" devnet --port 0 --providers 1 --validators 256 --slots 64 --preset minimal --seed 5 \
  --behave 0:expose=eth --ready-file "$work/devnet-behave.json" >"$work/devnet-behave.log" 2>&1 &
behave_pid=$!
trap 'kill $devnet_pid $light_pid $behave_pid 2>/dev/null || true; rm -rf "$work"' EXIT
# Chromium (started by ChromeDriver) keeps its singleton and scoped_dir copies in TMPDIR and leaves
# them behind; give it this run's directory, removed with the rest.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
for _ in $(seq 1 600); do [ -s "$work/devnet.json" ] && [ -s "$work/devnet-light.json" ] && [ -s "$work/devnet-behave.json" ] && break; sleep 0.1; done
[ -s "$work/devnet.json" ] || { cat "$work/devnet.log" >&2; echo "devnet did not start" >&2; exit 1; }
[ -s "$work/devnet-light.json" ] || { cat "$work/devnet-light.log" >&2; echo "light devnet did not start" >&2; exit 1; }
[ -s "$work/devnet-behave.json" ] || { cat "$work/devnet-behave.log" >&2; echo "behaviour devnet did not start" >&2; exit 1; }
export LIGHTSYNC_DEVNET_BEHAVE_URL=$(node -e 'console.log(JSON.parse(process.argv[1]).urls[0])' "$(cat "$work/devnet-behave.json")")
export LIGHTSYNC_DEVNET_LIGHT_URLS=$(node -e 'console.log(JSON.parse(process.argv[1]).urls.join(","))' "$(cat "$work/devnet-light.json")")
export LIGHTSYNC_DEVNET_LIGHT_URL=${LIGHTSYNC_DEVNET_LIGHT_URLS%%,*}
export LIGHTSYNC_DEVNET_JSON=$(cat "$work/devnet.json")
export LIGHTSYNC_DEVNET_URLS=$(node -e 'console.log(JSON.parse(process.argv[1]).urls.join(","))' "$LIGHTSYNC_DEVNET_JSON")
export LIGHTSYNC_DEVNET_URL=${LIGHTSYNC_DEVNET_URLS%%,*}
echo "browser tests against devnet $LIGHTSYNC_DEVNET_URLS (light rebuild: $LIGHTSYNC_DEVNET_LIGHT_URL)"
wasm-pack test --headless --chrome --chromedriver "${CHROMEDRIVER:-/usr/bin/chromedriver}" "$@"
