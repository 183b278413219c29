# beacon-lightsync: `make demo` and `make test` install what is missing, then build and run.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export LIGHTSYNC_FIXTURES ?= $(abspath $(CURDIR)/../shared/fixtures)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CARGO_TERM_COLOR ?= never

.PHONY: setup build pkg pkg-bench demo test test-native test-browser test-e2e soak bench bench-state clean-db fuzz

setup:
	@bash scripts/setup.sh

## The npm package, generated (never committed): wasm of the `wasm-release` profile (fat LTO, one
## codegen unit) with wasm-opt from binaryen 132, twice: the simd128 build (the 4-lane SHA-256
## kernel) is the package, and a scalar one in scalar/ is the opt-in `beacon-lightsync/scalar`
## export for engines without WebAssembly SIMD; init-best.js picks one with WebAssembly.validate.
## Then the API reference, generated from the package's typings by typedoc (typedoc.json) into
## pkg/docs/: served with the dashboard by `make demo` (/pkg/docs/), not part of the npm tarball.
WASM_BUILD := wasm-pack build --profile wasm-release --target web
pkg: setup
	$(WASM_BUILD) --out-dir pkg
	bash scripts/pkg-simd.sh pkg
	node scripts/package.mjs pkg
	rm -rf pkg/docs
	typedoc --options typedoc.json --logLevel Warn

## The same package plus the benchmark exports (cargo feature `bench`: StateStream, KernelBench,
## benchLightVerify, benchVerifyStore) for the pages of www/bench/; only the bench targets build it.
pkg-bench: setup
	$(WASM_BUILD) --out-dir pkg-bench -- --features bench
	WASM_FEATURES=bench bash scripts/pkg-simd.sh pkg-bench
	node scripts/package.mjs pkg-bench

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

## After the package is built: the wasm a page loads within its gzip budget, typings without
## `any` or benchmark exports, the API reference (scripts/check-pkg.mjs), then the browser tests;
## among them the consumer builds (tests/consumers/: Vite, webpack 5 and strict TypeScript apps
## installed from `npm pack` of pkg/, their bundlers pinned by their lockfiles; npm's cache keeps
## warm runs offline).
test-e2e: pkg
	node scripts/check-pkg.mjs pkg
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

bench: pkg-bench
	cargo build --release --bin lightsync
	node scripts/bench.mjs

## The state-root benchmark: streaming, worker-parallel state root in headless Chromium vs Lodestar on devnet Fulu
## states of 64K, 500K and 2M validators (time, renderer peak memory, native CLI, kernel ns/node).
## Its pages load pkg-bench/ (the package with the benchmark exports). Gloas beside Fulu at the same
## registry size: `node scripts/bench.mjs state --fork fulu,gloas --validators 500000`.
bench-state: pkg-bench
	cargo build --release --bin lightsync
	node scripts/bench.mjs state
