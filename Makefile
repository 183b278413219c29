# beacon-lightsync: `make demo` and `make test` install what is missing, then build and run.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export LIGHTSYNC_FIXTURES ?= $(abspath $(CURDIR)/../shared/fixtures)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CARGO_TERM_COLOR ?= never

.PHONY: setup build pkg demo test test-native test-browser test-e2e soak bench bench-state clean-db fuzz

setup:
	@bash scripts/setup.sh

## The npm package, generated (never committed): release wasm with wasm-opt from binaryen 132,
## twice: a simd128 build (the 4-lane SHA-256 kernel) at the top and a scalar one in scalar/;
## init-best.js picks one with WebAssembly.validate.
pkg: setup
	wasm-pack build --release --target web --out-dir pkg
	node scripts/package.mjs pkg
	bash scripts/pkg-simd.sh pkg

build: pkg
	cargo build --release --bin lightsync

## Every test: native unit and integration tests, browser tests in headless Chromium with real
## IndexedDB, and end-to-end tests of the dashboard in headless Chromium.
test: setup test-native test-browser test-e2e

test-native:
	@bash scripts/check-test-targets.sh
	@test -f "$(LIGHTSYNC_FIXTURES)/README.md" || { echo "fixtures not found at $(LIGHTSYNC_FIXTURES): set LIGHTSYNC_FIXTURES" >&2; exit 1; }
	cargo build --release --bin lightsync
	cargo test

test-browser:
	bash scripts/test-browser.sh

test-e2e: pkg
	cargo build --release --bin lightsync
	node --test --test-concurrency=1 tests/e2e/

## The kill soak (not in CI; its two-kill version is tests/e2e/soak.test.mjs): Chromium killed at
## random moments of start(), backfill() and follow(), at least 20 times each, the database checked
## independently after every kill and the flows resumed to the end. About 10-20 minutes; stops by
## itself (SOAK_MAX_MINUTES). SOAK_SEED replays a run, SOAK_KILLS sets the kills per flow.
soak: build
	node scripts/soak.mjs

## Fuzzing (not in CI; nightly + cargo-fuzz, installed when missing): every target in fuzz/ for
## FUZZ_SECONDS each (default 300), one at a time under nice, seeded from the fixtures read in
## place; new corpus in fuzz/corpus/ (gitignored). Prints the executions per target; fails when a
## target crashed (the input is in fuzz/artifacts/). FUZZ_TARGETS picks targets.
FUZZ_SECONDS ?= 300
export FUZZ_SECONDS
fuzz:
	bash scripts/fuzz.sh

demo: build
	node scripts/demo.mjs

bench: build
	node scripts/bench.mjs

## The state-root benchmark: streaming, worker-parallel state root in headless Chromium vs Lodestar on devnet Fulu
## states of 64K, 500K and 2M validators (time, renderer peak memory, native CLI, kernel ns/node).
## It builds its own package copy (pkg-bench/: SIMD + scalar builds, init-best.js).
bench-state: setup
	wasm-pack build --release --target web --out-dir pkg-bench
	node scripts/package.mjs pkg-bench
	bash scripts/pkg-simd.sh pkg-bench
	cargo build --release --bin lightsync
	node scripts/bench.mjs state
