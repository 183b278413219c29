//! A local SSZ `BeaconState`, read a piece at a time.
//!
//! A mainnet state is about 300 MB. Handed over whole, it would sit in wasm memory beside the
//! hashing window for the whole run; read in pieces, it goes through the same streaming hasher
//! as a download ([`super::hashing::StateSink`]) and only what the anchor reads is kept. The
//! platform supplies the reader: bytes already in memory (the CLI, tests), or in the browser an
//! `ArrayBuffer`, a `Uint8Array` or a `Blob`/`File`, each read a slice at a time (`js/`).
//!
//! What is verified is what was read: the root is computed over the pieces as they came, and
//! every check reads the state kept from those same pieces, so a file that changes while it is
//! read can fail a check, but never passes one with bytes that were not hashed.

use std::fmt;
use std::rc::Rc;

use futures::future::LocalBoxFuture;

use super::CheckpointError;

/// Random access to a local state's bytes.
pub trait ReadAt {
    /// The length in bytes.
    fn len(&self) -> u64;
    /// Whether there are no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `len` bytes from `offset` (the caller never reads past the end), or why they could not
    /// be read.
    fn read_at(&self, offset: u64, len: usize) -> LocalBoxFuture<'_, Result<Vec<u8>, String>>;
}

impl ReadAt for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> LocalBoxFuture<'_, Result<Vec<u8>, String>> {
        let piece = usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(len)?))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("{len} bytes at {offset} are past the end ({})", self.len()));
        Box::pin(async move { piece })
    }
}

/// The `stateFile` of a checkpoint sync: a shared handle on its reader.
#[derive(Clone)]
pub struct StateFile(Rc<dyn ReadAt>);

impl StateFile {
    /// A state file read through `reader`.
    pub fn new(reader: Rc<dyn ReadAt>) -> Self {
        StateFile(reader)
    }

    /// A state file whose bytes are already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        StateFile(Rc::new(bytes))
    }

    /// The length in bytes.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes `offset..offset + len`, clamped to the end of the file; a reader that returns
    /// another length is refused, as a file that changed under it.
    pub async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, CheckpointError> {
        let available = self.len().saturating_sub(offset);
        let want = len.min(usize::try_from(available).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(Vec::new());
        }
        let piece = self
            .0
            .read_at(offset, want)
            .await
            .map_err(|reason| CheckpointError::StateFileUnreadable { reason })?;
        if piece.len() != want {
            return Err(CheckpointError::StateFileUnreadable {
                reason: format!(
                    "expected {want} bytes at offset {offset}, got {} (did the file change?)",
                    piece.len()
                ),
            });
        }
        Ok(piece)
    }
}

impl fmt::Debug for StateFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateFile({} bytes)", self.len())
    }
}

/// Two handles are equal when they read the same reader.
impl PartialEq for StateFile {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StateFile {}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn reads_are_clamped_to_the_end_and_checked() {
        let file = StateFile::from_bytes((0u8..100).collect());
        assert_eq!(file.len(), 100);
        assert_eq!(
            block_on(file.read_at(95, 10)).unwrap(),
            vec![95, 96, 97, 98, 99]
        );
        assert!(block_on(file.read_at(100, 10)).unwrap().is_empty());
    }

    /// A reader that claims more bytes than it returns, as a file shortened while it is read.
    struct Shrunk;
    impl ReadAt for Shrunk {
        fn len(&self) -> u64 {
            64
        }
        fn read_at(&self, _: u64, len: usize) -> LocalBoxFuture<'_, Result<Vec<u8>, String>> {
            Box::pin(async move { Ok(vec![0; len / 2]) })
        }
    }

    #[test]
    fn a_short_read_is_a_typed_error() {
        let file = StateFile::new(Rc::new(Shrunk));
        let e = block_on(file.read_at(0, 64)).unwrap_err();
        assert_eq!(e.code(), "STATE_FILE_UNREADABLE");
        assert!(
            e.to_string()
                .contains("expected 64 bytes at offset 0, got 32"),
            "{e}"
        );
    }
}
