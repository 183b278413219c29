//! The user-typed strings: a `block_root:epoch` weak-subjectivity checkpoint (strict: 0x and 64
//! hex digits, `:`, a decimal epoch), a state id, a provider URL (and the redaction of its
//! credentials, which redacting again leaves as they are). A checkpoint that parses prints back in its canonical form
//! and parses again to the same value.
#![no_main]

use beacon_lightsync::beacon_api::{redact_credentials, validate_base_url, validate_state_id};
use beacon_lightsync::ws::WsCheckpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match WsCheckpoint::parse(text) {
        Ok(cp) => {
            let canonical = format!("0x{}:{}", hex::encode(cp.root), cp.epoch);
            assert_eq!(WsCheckpoint::parse(&canonical), Ok(cp), "{canonical}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let _ = validate_state_id(text);
    let _ = validate_base_url(text);
    // Redaction is idempotent: what it leaves has no credentials left to hide.
    let redacted = redact_credentials(text);
    assert_eq!(redact_credentials(&redacted), redacted);
});
