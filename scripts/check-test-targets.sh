#!/usr/bin/env bash
# Every Rust test file must say where it runs: `wasm-pack test` builds every file in tests/ for
# wasm32, so a native-only file without `#![cfg(not(target_arch = "wasm32"))]` breaks the browser
# suite with an unrelated-looking compile error. Fail early, naming the file.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
for f in tests/*.rs; do
  if ! grep -qE '^#!\[cfg\((not\()?target_arch = "wasm32"\)?\)\]' "$f"; then
    echo "error: $f declares no target: add #![cfg(not(target_arch = \"wasm32\"))] (native) or #![cfg(target_arch = \"wasm32\")] (browser)" >&2
    bad=1
  fi
done
exit $bad
