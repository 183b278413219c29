//! `lightsync`: the native command line over the same core the browser runs.
//! Subcommands live in `beacon_lightsync::cli`; this file only dispatches.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(beacon_lightsync::cli::main(args));
}
