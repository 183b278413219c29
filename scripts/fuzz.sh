#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each (default 300), one at a
# time at the lowest priority, then the executions per target. Not part of CI.
#
# Corpora: new inputs go to fuzz/corpus/<target>/ (gitignored); the fixtures are passed as extra
# corpus directories, read in place (libFuzzer only writes to the first directory). A crash
# leaves its input in fuzz/artifacts/<target>/ and makes the run fail after all targets ran.
#
#   FUZZ_SECONDS=60 make fuzz                 # a shorter budget
#   FUZZ_TARGETS="sse checkpoint" make fuzz   # some targets only
#   FUZZ_RUNS=10000000 make fuzz              # stop each target after that many executions
#   FUZZ_SANITIZER=none make fuzz             # no AddressSanitizer: several times the executions/s
#                                             # (Rust's own checks and debug assertions stay on)
#   cd fuzz && cargo +nightly fuzz run -a sse artifacts/sse/crash-...   # replay one crash
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds="${FUZZ_SECONDS:-300}"
sanitizer="${FUZZ_SANITIZER:-address}"
runs="${FUZZ_RUNS:-}"
fixtures="${LIGHTSYNC_FIXTURES:?set LIGHTSYNC_FIXTURES to the fixtures folder}"
all="ssz_state ssz_objects lc_updates api_json sse checkpoint config_yaml store_records"
targets="${FUZZ_TARGETS:-$all}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Per target: seed folders (relative to the fixtures), dictionary, largest input in bytes.
# State-sized inputs: minimal-preset states are tens of KB; a mainnet state's fixed part alone
# is 2.7 MB, so mainnet states only reach the length checks.
seeds() {
  case "$1" in
    ssz_state) echo "consensus-spec-tests-gloas/tests/minimal/fulu/ssz_static/BeaconState grandine-electra-sanity-block" ;;
    ssz_objects) echo "trin-spec-ssz-static consensus-spec-tests-gloas/tests/minimal grandine-electra-sanity-block" ;;
    lc_updates) echo "helios gear-bridges consensus-spec-tests-gloas/tests/minimal/gloas/light_client/sync" ;;
    api_json) echo "gear-bridges helios" ;;
    sse) echo "helios" ;;
    checkpoint) echo "weak-subjectivity" ;;
    config_yaml) echo "network-configs consensus-specs-configs" ;;
    store_records) echo "" ;;
  esac
}
dict() {
  case "$1" in
    api_json | lc_updates) echo json ;;
    sse) echo sse ;;
    checkpoint) echo strings ;;
    config_yaml) echo yaml ;;
    store_records) echo records ;;
    *) echo "" ;;
  esac
}
max_len() {
  case "$1" in
    ssz_state) echo 400000 ;;
    ssz_objects | lc_updates | store_records) echo 200000 ;;
    api_json) echo 65536 ;; # a mainnet bootstrap or update is ~60 KB of JSON
    checkpoint) echo 512 ;;
    *) echo 16384 ;;
  esac
}

cd fuzz
nice -n 19 cargo +nightly fuzz build -a -s "$sanitizer"
mkdir -p logs
failed=""
for t in $targets; do
  mkdir -p "corpus/$t"
  dirs=("corpus/$t")
  for s in $(seeds "$t"); do
    [ -d "$fixtures/$s" ] && dirs+=("$fixtures/$s")
  done
  if [ -n "$runs" ]; then budget=(-runs="$runs"); else budget=(-max_total_time="$seconds"); fi
  flags=("${budget[@]}" -max_len="$(max_len "$t")" -timeout=10
    -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1)
  d="$(dict "$t")"
  [ -n "$d" ] && flags+=(-dict="dict/$d.dict")
  echo "== $t: ${budget[*]}, sanitizer $sanitizer, corpus ${dirs[*]}"
  nice -n 19 cargo +nightly fuzz run -a -s "$sanitizer" "$t" "${dirs[@]}" -- "${flags[@]}" >"logs/$t.log" 2>&1 || true
  grep -E '^#[0-9]+[[:space:]]+DONE|ERROR|panicked|SUMMARY' "logs/$t.log" || true
  if grep -qE '^(==[0-9]+==ERROR|thread .* panicked)|Test unit written to' "logs/$t.log"; then
    failed="$failed $t"
  fi
done

echo
echo "executions per target (libFuzzer final stats, logs in fuzz/logs/):"
for t in $targets; do
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "logs/$t.log" | tail -1 | awk '{print $2}')
  printf '  %-14s %12s\n' "$t" "${runs:-?}"
done
if [ -n "$failed" ]; then
  echo "crashes in:$failed (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
