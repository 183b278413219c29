// Inputs that crashed a fuzz target (`make fuzz`, fuzz/), each reduced to what triggers it and
// written out here, with the typed error it must now give. One test per finding; the comment
// names the target and what went wrong.
#![cfg(not(target_arch = "wasm32"))]

use beacon_lightsync::ssz_io::{
    decode_snappy_raw, require_fixtures_dir, SszIoError, MAX_SNAPPY_EXPANSION,
};

/// ssz_state / ssz_objects: snappy raw data whose length header announces hundreds of MB made
/// `decode_snappy_raw` allocate that much before reading a byte of it (a 13-byte input asked
/// for 547 MB). The announced length is now bounded by what the data could expand to.
#[test]
fn snappy_length_header_is_bounded_by_the_data() {
    // Varint 547_244_042, then 8 bytes of garbage.
    let tiny = [
        0x8a, 0x90, 0xf9, 0x84, 0x02, 0x49, 0x24, 0x92, 0x49, 0x24, 0x92, 0x49, 0x97,
    ];
    match decode_snappy_raw(&tiny) {
        Err(SszIoError::TooLarge {
            expected_at_most,
            got,
        }) => {
            assert_eq!(expected_at_most, tiny.len() * MAX_SNAPPY_EXPANSION);
            assert_eq!(got, 547_244_042);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Varint 446_940_421, then 128 literal-looking bytes.
    let mut short = vec![0x85, 0x8a, 0x8f, 0xd5, 0x01];
    short.extend_from_slice(&[0x01; 128]);
    let err = decode_snappy_raw(&short).unwrap_err();
    assert!(
        matches!(
            err,
            SszIoError::TooLarge {
                got: 446_940_421,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("expected at most 2926 bytes decompressed, got 446940421"),
        "{err}"
    );
}

/// The bound refuses no real data: every `*.ssz_snappy` fixture (spec tests, states of up to
/// 3 MB, highly compressible minimal-preset states) still decodes.
#[test]
fn snappy_bound_accepts_every_fixture() {
    fn walk(dir: &std::path::Path, n: &mut usize) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, n);
            } else if path.to_string_lossy().ends_with(".ssz_snappy") {
                let bytes = std::fs::read(&path).unwrap();
                let raw =
                    decode_snappy_raw(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(raw.len() <= bytes.len() * MAX_SNAPPY_EXPANSION);
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(&require_fixtures_dir(), &mut n);
    assert!(
        n > 500,
        "expected the spec-test fixtures, found {n} .ssz_snappy files"
    );
}
