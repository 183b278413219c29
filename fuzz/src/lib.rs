//! Helpers shared by the fuzz targets: input-derived randomness (chunk sizes, task sizes), the
//! snappy view of an input (spec-test seeds are `*.ssz_snappy`, read in place), and a
//! [`Transport`] that answers every request with the fuzz input.
//!
//! Every target runs the project's real entry points on the input and asserts what must hold
//! for any input: no panic, no hang, no allocation from a claimed length (libFuzzer's
//! `-rss_limit_mb` and `-malloc_limit_mb` catch those), and, where two paths compute the same
//! thing, that they agree.

use beacon_lightsync::beacon_api::{ApiError, BodySink, HttpResponse, Transport};

/// A small deterministic generator seeded from the input itself, so a crash replays from its
/// file alone and raw seed files need no prefix.
pub struct Rng(u64);

impl Rng {
    /// Seeded with FNV-1a of `data`.
    pub fn from_input(data: &[u8]) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Rng(h | 1)
    }

    /// The next value (xorshift64*).
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// Splits `data` into consecutive chunks of random sizes (1 byte up to `max`; sometimes
    /// empty chunks, as a transport may deliver them).
    pub fn chunks<'a>(&mut self, data: &'a [u8], max: usize) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let n = match self.next() % 8 {
                0 => 0,
                1 => 1,
                _ => self.range(1, max),
            }
            .min(rest.len());
            let (head, tail) = rest.split_at(n);
            out.push(head);
            rest = tail;
        }
        out
    }
}

/// Which of several paths an input takes: its last byte (0 when empty). A raw seed takes the
/// path its last byte picks; mutating that byte moves it to another.
pub fn selector(data: &[u8]) -> usize {
    data.last().copied().unwrap_or(0) as usize
}

/// The inputs a byte-level target checks: the bytes as they are, and, when they are valid
/// snappy raw data (a spec-test `*.ssz_snappy` seed or a mutation of one), the decompressed
/// bytes, through the project's own decoder.
pub fn views(data: &[u8]) -> Vec<std::borrow::Cow<'_, [u8]>> {
    let mut out = vec![std::borrow::Cow::Borrowed(data)];
    if let Ok(raw) = beacon_lightsync::ssz_io::decode_snappy_raw(data) {
        out.push(std::borrow::Cow::Owned(raw));
    }
    out
}

/// A transport that answers every GET with one canned response (the fuzz input as the body).
pub struct CannedTransport {
    /// The answer.
    pub response: HttpResponse,
}

impl CannedTransport {
    fn answer(&self, url: &str, max_bytes: u64) -> Result<HttpResponse, ApiError> {
        let got = self.response.body.len() as u64;
        if got > max_bytes {
            return Err(ApiError::BodyTooLarge {
                url: url.to_string(),
                limit: max_bytes,
                got,
            });
        }
        Ok(self.response.clone())
    }
}

impl Transport for CannedTransport {
    async fn get(
        &self,
        url: &str,
        _accept: &str,
        max_bytes: u64,
    ) -> Result<HttpResponse, ApiError> {
        self.answer(url, max_bytes)
    }

    async fn get_streaming(
        &self,
        url: &str,
        _accept: &str,
        max_bytes: u64,
        sink: &mut dyn BodySink,
    ) -> Result<HttpResponse, ApiError> {
        let mut resp = self.answer(url, max_bytes)?;
        let len = Some(resp.body.len() as u64);
        if sink.begin(resp.status, &resp.headers, len)? {
            sink.chunk(&resp.body).await?;
            resp.body.clear();
        }
        Ok(resp)
    }

    async fn get_many(
        &self,
        urls: &[String],
        _accept: &str,
        max_bytes: u64,
    ) -> Vec<Result<HttpResponse, ApiError>> {
        urls.iter().map(|u| self.answer(u, max_bytes)).collect()
    }

    fn now_unix_seconds(&self) -> Option<u64> {
        Some(1_700_000_000)
    }
}
