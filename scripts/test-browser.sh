#!/usr/bin/env bash
# Browser tests: `wasm-pack test --headless --chrome` against Debian's Chromium and ChromeDriver,
# with a local devnet on 127.0.0.1 for the tests that talk to a Beacon API.
set -euo pipefail
cd "$(dirname "$0")/.."
exec wasm-pack test --headless --chrome --chromedriver "${CHROMEDRIVER:-/usr/bin/chromedriver}"
