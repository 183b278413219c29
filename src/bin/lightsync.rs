//! `lightsync`: the native command line over the same core the browser runs.
//! Subcommands live in `beacon_lightsync::cli`; this file only dispatches.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(beacon_lightsync::cli::main(args));
}

/// The command line is native only; `wasm-pack test` still builds every target for wasm32.
#[cfg(target_arch = "wasm32")]
fn main() {}
