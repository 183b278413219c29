//! The `lightsync` command line: one module per subcommand, each `run(args) -> exit code`.
//! Every subcommand prints its result on stdout and, on failure, one line on stderr naming the
//! problem, then exits non-zero; none of them panics on bad input.

pub mod backfill;
pub mod bench;
pub mod checkpoint;
pub mod devnet;
pub mod follow;
pub mod light_verify;
pub mod root;

use std::str::FromStr;

use crate::beacon_api::{redact_credentials, validate_base_url, BeaconApi};
use crate::config::NetworkConfig;
use crate::network::{resolve, NetworkChoice, NetworkError, Resolved, StateGenesis};

const USAGE: &str = "usage: lightsync <command> [options]\n\
commands:\n\
  root        hash_tree_root of an SSZ file\n\
  devnet      serve a local Beacon API over a generated chain\n\
  checkpoint  checkpoint sync and verification against Beacon APIs\n\
  backfill    verified header backfill from an anchor\n\
  follow      follow finality from a verified anchor, one JSON line per step\n\
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
        "follow" => follow::run(rest),
        "light-verify" => light_verify::run(rest),
        "root" => root::run(rest),
        other => {
            eprintln!("error: unknown command `{other}`\n{USAGE}");
            let _ = rest;
            2
        }
    }
}

/// What a subcommand's `parse_args` returns for `-h`/`--help`: not an error, [`run_parsed`]
/// prints the usage on stdout.
pub(crate) const HELP: &str = "";

/// Whether `arg` asks for the usage.
pub(crate) fn is_help(arg: &str) -> bool {
    arg == "-h" || arg == "--help"
}

/// Runs a subcommand on its parsed arguments: [`HELP`] prints `usage` on stdout and exits 0, any
/// other parse error prints `error: …` and `usage` on stderr and exits 2.
pub(crate) fn run_parsed<T>(
    usage: &str,
    parsed: Result<T, String>,
    run: impl FnOnce(T) -> i32,
) -> i32 {
    match parsed {
        Ok(args) => run(args),
        Err(e) if e == HELP => {
            println!("{usage}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}\n{usage}");
            2
        }
    }
}

/// How a subcommand words a flag given without its value, and how it quotes a rejected value;
/// each subcommand keeps the wording it has always printed.
#[derive(Clone, Copy)]
pub(crate) struct Wording {
    /// The message for `flag` given last, without its value.
    pub missing: fn(&str) -> String,
    /// A rejected value as it appears after "got".
    pub quote: fn(&str) -> String,
}

impl Wording {
    /// `FLAG: expected a value, got none`; values quoted as Rust strings (`"x"`).
    pub const GOT_NONE: Wording = Wording {
        missing: |flag| format!("{flag}: expected a value, got none"),
        quote: quote_debug,
    };
    /// `FLAG: expected a value, got nothing`; values in backticks.
    pub const GOT_NOTHING: Wording = Wording {
        missing: |flag| format!("{flag}: expected a value, got nothing"),
        quote: quote_backtick,
    };
}

/// `"x"`, escaped as a Rust string.
pub(crate) fn quote_debug(v: &str) -> String {
    format!("{v:?}")
}

/// `` `x` ``.
pub(crate) fn quote_backtick(v: &str) -> String {
    format!("`{v}`")
}

/// Reads a subcommand's arguments in order; a flag that takes a value takes the next argument.
pub(crate) struct Flags<'a> {
    rest: std::slice::Iter<'a, String>,
    flag: &'a str,
    wording: Wording,
}

impl<'a> Flags<'a> {
    pub fn new(args: &'a [String], wording: Wording) -> Self {
        Flags {
            rest: args.iter(),
            flag: "",
            wording,
        }
    }

    /// The next argument, which the value methods then take as the flag.
    pub fn next(&mut self) -> Option<&'a str> {
        let arg = self.rest.next()?;
        self.flag = arg;
        Some(arg)
    }

    /// The current flag's value: the next argument.
    pub fn value(&mut self) -> Result<String, String> {
        self.rest
            .next()
            .cloned()
            .ok_or_else(|| (self.wording.missing)(self.flag))
    }

    /// The current flag's value parsed as `T`, else `FLAG: expected WHAT, got VALUE`.
    pub fn parse<T: FromStr>(&mut self, what: &str) -> Result<T, String> {
        let v = self.value()?;
        self.parse_str(&v, what)
    }

    /// The current flag's value converted by `convert`, else `FLAG: expected WHAT, got VALUE`.
    pub fn parse_with<T>(
        &mut self,
        what: &str,
        convert: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, String> {
        let v = self.value()?;
        convert(&v).ok_or_else(|| self.expected(what, &v))
    }

    /// The current flag's value parsed as a count above zero, else
    /// `FLAG: expected a positive count, got VALUE`.
    pub fn positive_count<T: FromStr + PartialOrd + Default>(&mut self) -> Result<T, String> {
        self.parse_with("a positive count", |v| {
            v.parse().ok().filter(|n| *n > T::default())
        })
    }

    /// `v` (the current flag's value, or a part of it) parsed as `T`, else
    /// `FLAG: expected WHAT, got V`.
    pub fn parse_str<T: FromStr>(&self, v: &str, what: &str) -> Result<T, String> {
        v.parse().map_err(|_| self.expected(what, v))
    }

    fn expected(&self, what: &str, v: &str) -> String {
        format!(
            "{}: expected {what}, got {}",
            self.flag,
            (self.wording.quote)(v)
        )
    }

    /// `unknown option FLAG` for the current flag.
    pub fn unknown(&self) -> String {
        format!("unknown option {}", (self.wording.quote)(self.flag))
    }
}

/// A `--beacon-api` value: comma-separated http(s) URLs (a trailing `/` is kept off later);
/// anything else is a usage error, not a provider failure.
pub(crate) fn parse_urls(value: &str) -> Result<Vec<String>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|u| {
            validate_base_url(u)
                .map(|_| u.to_string())
                .map_err(|e| format!("--beacon-api: {e}"))
        })
        .collect()
}

/// Prints `warning CODE: message` on stderr (credentials redacted).
pub(crate) fn warn(code: &str, message: &str) {
    eprintln!("warning {code}: {}", redact_credentials(message));
}

/// Resolves `choice` against `providers` (and a local state's genesis), printing the warnings;
/// on failure `(code, message)`.
pub(crate) fn resolve_network<A: BeaconApi>(
    choice: &NetworkChoice,
    providers: &[A],
    state: Option<StateGenesis>,
) -> Result<Resolved, (&'static str, String)> {
    let resolved = futures::executor::block_on(resolve(choice, providers, state))
        .map_err(|e: NetworkError| (e.code(), e.to_string()))?;
    for (code, message) in &resolved.warnings {
        warn(code, message);
    }
    Ok(resolved)
}

/// Just the network of [`resolve_network`].
pub(crate) fn network_of<A: BeaconApi>(
    choice: &NetworkChoice,
    providers: &[A],
    state: Option<StateGenesis>,
) -> Result<NetworkConfig, (&'static str, String)> {
    resolve_network(choice, providers, state).map(|r| r.network)
}

/// `s` split on whitespace, as the arguments of a subcommand.
#[cfg(test)]
pub(crate) fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}
