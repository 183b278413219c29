//! Records where the shared fixtures live so browser tests (which cannot read the file system) can
//! embed the known-answer data they check at compile time. Native tests read the same folder at run
//! time through `ssz_io::fixtures_dir()`; both honour `LIGHTSYNC_FIXTURES`.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIGHTSYNC_FIXTURES");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = std::env::var_os("LIGHTSYNC_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/fixtures"));
    let dir = dir.canonicalize().unwrap_or(dir);
    if !dir.join("README.md").is_file() {
        println!(
            "cargo:warning=fixtures folder not found at {} (set LIGHTSYNC_FIXTURES); browser tests that embed fixtures will not compile",
            dir.display()
        );
    }
    // Re-run when the folder moves or appears: a cached answer from another checkout would
    // embed the wrong files.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", dir.join("README.md").display());
    println!(
        "cargo:rustc-env=LIGHTSYNC_FIXTURES_AT_BUILD={}",
        dir.display()
    );
}
