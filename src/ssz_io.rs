//! Reading SSZ files: raw, or snappy-compressed the way consensus-spec-tests store them.
//!
//! Spec-test `*.ssz_snappy` files use snappy's raw (block) format, not the framed stream format
//! used on the p2p wire, so [`read_ssz_file`] picks the decoder from the file name. Also home of
//! [`fixtures_dir`], the one place tests learn where the shared known-answer fixtures live.

use std::fmt;
use std::path::{Path, PathBuf};

/// Errors from reading SSZ input. Retrying with the same file will not help; the caller needs
/// another file (or the right path).
#[derive(Debug)]
pub enum SszIoError {
    /// The file could not be read.
    Read { path: PathBuf, reason: String },
    /// The bytes are not valid snappy raw (block) data.
    Snappy { reason: String },
    /// The decompressed length announced by the snappy header is larger than we accept.
    TooLarge { expected_at_most: usize, got: usize },
}

impl fmt::Display for SszIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SszIoError::Read { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            SszIoError::Snappy { reason } => {
                write!(f, "invalid snappy data: expected snappy raw (block) format, got {reason}")
            }
            SszIoError::TooLarge { expected_at_most, got } => write!(
                f,
                "snappy data too large: expected at most {expected_at_most} bytes decompressed, got {got}"
            ),
        }
    }
}

impl std::error::Error for SszIoError {}

/// Largest decompressed size accepted (bytes). A mainnet state is ~300 MB in 2025; 2 GiB
/// leaves room while refusing a hostile header that announces an absurd length.
pub const MAX_DECOMPRESSED_LEN: usize = 2 << 30;

/// Most bytes snappy raw data can decompress to per compressed byte: a 3-byte copy element
/// yields at most 64 bytes (a literal yields fewer bytes than it takes, a 2-byte copy at most 11,
/// a 5-byte copy at most 64), so no valid input expands more than 64/3 times.
pub const MAX_SNAPPY_EXPANSION: usize = 22;

/// Decompresses snappy raw (block) data, as found in consensus-spec-tests `*.ssz_snappy`.
///
/// The output buffer is sized from the length the data announces, so that length is first
/// bounded by what the data could produce ([`MAX_SNAPPY_EXPANSION`] times its size) and by
/// [`MAX_DECOMPRESSED_LEN`]: a few bytes announcing gigabytes are refused without allocating.
pub fn decode_snappy_raw(bytes: &[u8]) -> Result<Vec<u8>, SszIoError> {
    let len = snap::raw::decompress_len(bytes).map_err(|e| SszIoError::Snappy {
        reason: e.to_string(),
    })?;
    let ceiling = bytes
        .len()
        .saturating_mul(MAX_SNAPPY_EXPANSION)
        .min(MAX_DECOMPRESSED_LEN);
    if len > ceiling {
        return Err(SszIoError::TooLarge {
            expected_at_most: ceiling,
            got: len,
        });
    }
    snap::raw::Decoder::new()
        .decompress_vec(bytes)
        .map_err(|e| SszIoError::Snappy {
            reason: e.to_string(),
        })
}

/// Reads an SSZ file: snappy raw when the name ends in `.ssz_snappy`, raw bytes otherwise.
pub fn read_ssz_file(path: impl AsRef<Path>) -> Result<Vec<u8>, SszIoError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| SszIoError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if path.to_string_lossy().ends_with(".ssz_snappy") {
        decode_snappy_raw(&bytes)
    } else {
        Ok(bytes)
    }
}

/// Where the shared known-answer fixtures live: `$LIGHTSYNC_FIXTURES` if set, else
/// `<crate root>/../shared/fixtures`. Resolved at run time; the folder may not exist.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("LIGHTSYNC_FIXTURES") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
    }
}

/// [`fixtures_dir`] for tests: panics with a clear message when the folder is missing, so a
/// test without its fixtures fails instead of passing silently.
pub fn require_fixtures_dir() -> PathBuf {
    let dir = fixtures_dir();
    if !dir.is_dir() {
        panic!(
            "fixtures folder {} not found: set LIGHTSYNC_FIXTURES to the shared fixtures folder",
            dir.display()
        );
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snappy_round_trip_and_garbage() {
        let data = b"beacon beacon beacon beacon".repeat(10);
        let compressed = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(decode_snappy_raw(&compressed).unwrap(), data);
        assert!(matches!(
            decode_snappy_raw(&[0xff, 0xff, 0xff]),
            Err(SszIoError::Snappy { .. })
        ));
        // A header that announces more than the limit is refused before allocating.
        let huge = [0x80, 0x80, 0x80, 0x80, 0x0f];
        assert!(matches!(
            decode_snappy_raw(&huge),
            Err(SszIoError::TooLarge { .. }) | Err(SszIoError::Snappy { .. })
        ));
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = read_ssz_file("no/such/file.ssz").unwrap_err();
        assert!(matches!(err, SszIoError::Read { .. }), "{err}");
    }
}
