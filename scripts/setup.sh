#!/usr/bin/env bash
# Installs, idempotently, everything the build and the tests need on a fresh Debian machine
# with access to the package registries only (crates.io, Debian, npm). Each step is skipped
# when its tool is already present, so a warm run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Must match the `wasm-bindgen` version resolved in Cargo.lock: the CLI and the library
# must agree exactly or wasm-bindgen refuses the module.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock 2>/dev/null || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '[setup] %s\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

need_apt=()
command -v clang >/dev/null || need_apt+=(clang)
command -v llvm-ar >/dev/null || command -v llvm-ar-14 >/dev/null || need_apt+=(llvm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # No --locked: one of its pinned dependency versions is no longer in the registry.
  cargo install -q wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

if ! command -v wasm-pack >/dev/null; then
  log "cargo install wasm-pack"
  cargo install -q wasm-pack --locked
fi

# JS tools (browser automation, binaryen's wasm-opt) come from the npm registry into ./node_modules;
# no tool downloads a browser of its own. Debian's older wasm-opt silently breaks release builds,
# so node_modules/.bin goes first on PATH (the Makefile does that).
if [ ! -d node_modules/playwright-core ] || [ ! -x node_modules/.bin/wasm-opt ] || [ package.json -nt node_modules/.stamp ]; then
  log "npm install (dev tools)"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules/.stamp
fi
log "toolchain ready"
