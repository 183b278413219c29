//! The `lightsync` command line: one module per subcommand, each `run(args) -> exit code`.
//! Every subcommand prints its result on stdout and, on failure, one line on stderr naming the
//! problem, then exits non-zero; none of them panics on bad input.

pub mod backfill;
pub mod bench;
pub mod checkpoint;
pub mod devnet;
pub mod light_verify;
pub mod root;

const USAGE: &str = "usage: lightsync <command> [options]\n\
commands:\n\
  root        hash_tree_root of an SSZ file\n\
  devnet      serve a local Beacon API over a generated chain\n\
  checkpoint  checkpoint sync and verification against Beacon APIs\n\
  backfill    verified header backfill from an anchor\n\
  light-verify  light-client verification of bootstrap and updates\n\
  bench       native benchmarks";

/// Dispatches `args` (without the program name) to a subcommand and returns the exit code.
pub fn main(args: Vec<String>) -> i32 {
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    match cmd.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            0
        }
        "backfill" => backfill::run(rest),
        "bench" => bench::run(rest),
        "devnet" => devnet::run(rest),
        "checkpoint" => checkpoint::run(rest),
        "light-verify" => light_verify::run(rest),
        "root" => root::run(rest),
        other => {
            eprintln!("error: unknown command `{other}`\n{USAGE}");
            let _ = rest;
            2
        }
    }
}
