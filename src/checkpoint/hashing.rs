//! The state root of a downloaded state, computed while it downloads.
//!
//! Hashing a mainnet state after its download takes as long again as the download on one
//! thread. Here the body goes, chunk by chunk, into a [`StreamingStateRoot`], which does not
//! keep the state: it holds the bytes of the tasks not hashed yet, and copies out what the checks
//! that follow read ([`KeptState`]: the fixed part, a few variable fields, the registry's active
//! count and balance). Each ~1 MiB task (a run of validators, balances, ...) whose bytes are in
//! is handed to a [`HashPool`] (Web Workers in a browser) or, without one, hashed on this thread
//! in slices between [`crate::ctx::Env::pause`]s. The root is then ready moments after the last
//! byte, and memory stays bounded by [`READ_AHEAD_BYTES`], not by the state's size.
//!
//! Pacing: with a pool, reading stops while more than [`READ_AHEAD_BYTES`] wait unhashed, so on
//! a link faster than the workers the backlog waits in the browser and then in TCP flow control,
//! not in wasm memory; on a slower link the workers keep up and it never acts. Without a pool,
//! the ready tasks are hashed before the next chunk is read. (Chromium keeps receiving a fetch
//! body the page does not read, up to ~62 MiB held in the renderer, before it stops reading the
//! socket: measured by `node scripts/bench.mjs memory`, which shows that part of the page's
//! peak apart.)
//!
//! Keeping (option `keepState`): every byte is also written to the store in chunks of
//! [`STATE_CHUNK_BYTES`] as it arrives ([`Keep`]), under an id no record names yet, so the state
//! is never one allocation and nothing unverified is read as the kept state (see
//! [`crate::store::KeptStateRecord`]).

use std::rc::Rc;

use futures::future::LocalBoxFuture;

use super::{emit_progress, state_fork, CheckpointError, Pacer, Phase, Root, StateFile};
use crate::beacon_api::{consensus_version, ApiError, BodySink};
use crate::config::NetworkConfig;
use crate::ctx::{Env, HashPool, PoolResult, PoolTask};
use crate::event::Event;
use crate::merkle::{KeptState, StreamError, StreamingStateRoot, DEFAULT_TASK_BYTES};
use crate::store::{Store, StoreError, STATE_CHUNK_BYTES};
use crate::types::ForkName;

/// Task size when this thread hashes: about 256 KiB of validators is ~20k node hashes, a few ms
/// to ~15 ms in wasm, so one indivisible task stays well inside [`super::TASK_BUDGET_MS`].
pub const INLINE_TASK_BYTES: usize = 256 << 10;

/// Most bytes received but not yet hashed while a pool hashes (see the module docs), counted
/// from the first task whose root is not in: 6 MiB is what two workers hold in flight (two ~1
/// MiB tasks each: one hashing, one queued, see
/// [`HashPool::capacity`](crate::ctx::HashPool::capacity)) and two tasks more, so no worker waits
/// for bytes while a task ahead of it finishes late, and ~0.1 s of their hashing, so the root
/// follows the last byte within that. It bounds the stream's window (`window_bytes`), the part
/// of the page's wasm memory that grows with it.
pub const READ_AHEAD_BYTES: u64 = 6 << 20;

/// Most bytes the stream's window holds while a pool hashes tasks of `task_bytes`: reading stops
/// once [`READ_AHEAD_BYTES`] wait unhashed, so what the window still needs is at most that plus
/// the chunk that crossed the limit (a read is at most a task's size); and the window keeps up to
/// as many bytes again that are released but not yet moved out ([`StreamingStateRoot`] moves
/// them once they are at least as many as the needed ones, so each byte is moved about once),
/// and takes the next chunk before it moves them.
fn window_bytes(task_bytes: usize) -> usize {
    2 * (READ_AHEAD_BYTES as usize + task_bytes) + task_bytes
}

/// Bytes a state needs before its fork can be read: up to `fork.current_version`.
const FORK_PREFIX_BYTES: usize = 56;

/// Download and hash progress is reported at most once per this many bytes (and at the end).
const PROGRESS_STEP_BYTES: u64 = 1 << 20;

/// Bytes of a local state file handed to the stream at a time, as a download's chunks are.
const LOCAL_PIECE_BYTES: usize = 1 << 20;

/// A local state file hashed as a download is ([`StateSink`]: workers when the env lends a
/// pool, else this thread in paced slices), read a piece at a time, with `Hash` progress only.
pub(super) async fn hash_local<'c, E: Env>(
    network: &'c NetworkConfig,
    env: &'c E,
    file: &StateFile,
    keep: Option<Keep<'c>>,
) -> Result<HashedState, CheckpointError> {
    let mut sink = StateSink::new(network, env, super::STATE_FILE).keeping(keep);
    sink.local = true;
    sink.length = Some(file.len());
    let mut offset = 0;
    while offset < file.len() {
        let piece = file.read_at(offset, LOCAL_PIECE_BYTES).await?;
        offset += piece.len() as u64;
        sink.on_chunk(&piece).await?;
    }
    sink.finish().await
}

/// A hashed download's outcome: what the anchor reads of the state (not the state), its fork
/// and its root, and where its bytes were kept, when they were.
pub(super) struct HashedState {
    pub kept: KeptState<'static>,
    pub fork: ForkName,
    pub root: Root,
    pub chunks: Option<KeptChunks>,
}

/// A state's bytes as written by a [`Keep`]: chunks `0..chunks` of id `id`, `length` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct KeptChunks {
    pub id: u32,
    pub chunks: u32,
    pub length: u64,
}

/// The store a [`Keep`] writes to, object-safe (the sink is not generic over the store).
pub(super) trait ChunkStore {
    fn put_chunk<'a>(
        &'a self,
        id: u32,
        index: u32,
        bytes: &'a [u8],
    ) -> LocalBoxFuture<'a, Result<(), StoreError>>;
}

impl<S: Store> ChunkStore for S {
    fn put_chunk<'a>(
        &'a self,
        id: u32,
        index: u32,
        bytes: &'a [u8],
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.put_state_chunk(id, index, bytes))
    }
}

/// Writes a state's bytes to the store as they arrive, in chunks of [`STATE_CHUNK_BYTES`]:
/// at most one chunk and one received piece are held.
pub(super) struct Keep<'c> {
    store: &'c dyn ChunkStore,
    id: u32,
    buffer: Vec<u8>,
    written: u32,
    length: u64,
}

impl<'c> Keep<'c> {
    /// Keeps into chunks of id `id` (which the caller emptied first).
    pub(super) fn new(store: &'c dyn ChunkStore, id: u32) -> Self {
        Keep {
            store,
            id,
            buffer: Vec::new(),
            written: 0,
            length: 0,
        }
    }

    /// Takes the next bytes; writes every chunk they complete.
    async fn take(&mut self, mut bytes: &[u8]) -> Result<(), StoreError> {
        self.length += bytes.len() as u64;
        while !bytes.is_empty() {
            if self.buffer.is_empty() && bytes.len() >= STATE_CHUNK_BYTES {
                // A whole chunk in the piece: written from it, not copied.
                let (chunk, rest) = bytes.split_at(STATE_CHUNK_BYTES);
                self.write(chunk).await?;
                bytes = rest;
                continue;
            }
            if self.buffer.capacity() == 0 {
                self.buffer.reserve_exact(STATE_CHUNK_BYTES);
            }
            let n = (STATE_CHUNK_BYTES - self.buffer.len()).min(bytes.len());
            self.buffer.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.buffer.len() == STATE_CHUNK_BYTES {
                let chunk = std::mem::take(&mut self.buffer);
                self.write(&chunk).await?;
                self.buffer = chunk;
                self.buffer.clear();
            }
        }
        Ok(())
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.store.put_chunk(self.id, self.written, chunk).await?;
        self.written += 1;
        Ok(())
    }

    /// Writes the last, shorter chunk; where the bytes are.
    async fn finish(mut self) -> Result<KeptChunks, StoreError> {
        if !self.buffer.is_empty() {
            let chunk = std::mem::take(&mut self.buffer);
            self.write(&chunk).await?;
        }
        Ok(KeptChunks {
            id: self.id,
            chunks: self.written,
            length: self.length,
        })
    }
}

/// The [`BodySink`] of a state download: fork detection, streaming hashing, progress, abort.
pub(super) struct StateSink<'c, E> {
    network: &'c NetworkConfig,
    env: &'c E,
    provider: &'c str,
    pool: Option<Rc<dyn HashPool>>,
    job: u64,
    header_fork: Option<ForkName>,
    length: Option<u64>,
    /// Bytes before the stream exists (the fork prefix; the whole body without a length).
    head: Vec<u8>,
    stream: Option<StreamingStateRoot>,
    fork: Option<ForkName>,
    /// The sink's own error, behind the `Aborted` it returns to the transport.
    error: Option<CheckpointError>,
    inflight: usize,
    results: Vec<PoolResult>,
    received: u64,
    reported: u64,
    /// The download's last progress event (`done == total`) was emitted.
    download_done: bool,
    started_ms: Option<f64>,
    pacer: Pacer<'c, E>,
    pool_warned: bool,
    /// A local file's bytes, not a download: no `Download` progress.
    local: bool,
    /// Where the bytes are kept as they arrive (option `keepState`).
    keep: Option<Keep<'c>>,
}

impl<'c, E: Env> StateSink<'c, E> {
    pub(super) fn new(network: &'c NetworkConfig, env: &'c E, provider: &'c str) -> Self {
        StateSink {
            network,
            env,
            provider,
            pool: env.hash_pool(),
            job: next_job(),
            header_fork: None,
            length: None,
            head: Vec::new(),
            stream: None,
            fork: None,
            error: None,
            inflight: 0,
            results: Vec::new(),
            received: 0,
            reported: 0,
            download_done: false,
            started_ms: env.now_ms(),
            pacer: Pacer::new(env),
            pool_warned: false,
            local: false,
            keep: None,
        }
    }

    /// Keeps the bytes too (see [`Keep`]).
    pub(super) fn keeping(mut self, keep: Option<Keep<'c>>) -> Self {
        self.keep = keep;
        self
    }

    /// Workers hashing (0: this thread), for progress events.
    fn workers(&self) -> u32 {
        self.pool.as_ref().map_or(0, |p| p.workers() as u32)
    }

    /// Keeps `e` as the reason and gives the transport an `Aborted` to stop on.
    fn stop(&mut self, e: CheckpointError) -> ApiError {
        self.error.get_or_insert(e);
        ApiError::Aborted {
            url: self.provider.to_string(),
        }
    }

    /// The error that stopped a download: the sink's own reason when it stopped it.
    pub(super) fn take_error(&mut self, transport: ApiError) -> CheckpointError {
        self.error.take().unwrap_or_else(|| transport.into())
    }

    fn invalid(&self, e: StreamError) -> CheckpointError {
        match e {
            StreamError::Invalid(error) => CheckpointError::InvalidState {
                provider: self.provider.to_string(),
                error,
            },
            StreamError::TooLong { expected, got } => {
                CheckpointError::Api(ApiError::BodyTooLarge {
                    url: self.provider.to_string(),
                    limit: expected,
                    got,
                })
            }
            StreamError::Truncated { expected, got } => CheckpointError::Api(ApiError::Truncated {
                url: self.provider.to_string(),
                expected,
                got,
            }),
            StreamError::OutOfMemory { bytes } => CheckpointError::Api(ApiError::OutOfMemory {
                url: self.provider.to_string(),
                bytes,
            }),
            StreamError::NoSuchTask { .. } => CheckpointError::Api(ApiError::Decode {
                url: self.provider.to_string(),
                what: "state body",
                reason: e.to_string(),
            }),
        }
    }

    /// Creates the stream once the fork is known from the first bytes (`total`: the length).
    fn open(&mut self, total: usize) -> Result<(), CheckpointError> {
        let fork = state_fork(
            self.network,
            self.env,
            self.provider,
            self.header_fork,
            &self.head,
        )?;
        let task_bytes = if self.pool.is_some() {
            DEFAULT_TASK_BYTES
        } else {
            INLINE_TASK_BYTES
        };
        let preset = self.network.preset;
        // The fork's own ceiling (the transport applied the largest fork's).
        let ceiling = crate::merkle::state_size_ceiling(fork, preset);
        if total as u64 > ceiling {
            return Err(CheckpointError::Api(ApiError::BodyTooLarge {
                url: self.provider.to_string(),
                limit: ceiling,
                got: total as u64,
            }));
        }
        let head = std::mem::take(&mut self.head);
        let mut stream = if head.len() == total {
            StreamingStateRoot::with_bytes(fork, preset, head, task_bytes)
        } else {
            let mut s = StreamingStateRoot::new(fork, preset, total, task_bytes);
            s.push(&head).map(|()| s)
        }
        .map_err(|e| self.invalid(e))?;
        if self.pool.is_some() {
            // Reserved once, so the window never reallocates (wasm memory keeps every block it
            // ever grew to); pages of it the window never reaches are never touched.
            stream.reserve_window(window_bytes(task_bytes));
        }
        self.fork = Some(fork);
        self.stream = Some(stream);
        Ok(())
    }

    /// Takes the next bytes: into the stream, else (fork not known yet) into `head`.
    fn take(&mut self, mut bytes: &[u8]) -> Result<(), CheckpointError> {
        self.received += bytes.len() as u64;
        if self.stream.is_none() {
            let Some(total) = self.length else {
                // No Content-Length: nothing can be planned; collect (growing with what
                // arrived, fallibly: the transport bounds it by the ceiling), hash at the end.
                crate::beacon_api::limits::grow_for(
                    &mut self.head,
                    bytes.len(),
                    u64::MAX,
                    self.provider,
                )?;
                self.head.extend_from_slice(bytes);
                return Ok(());
            };
            let total = usize::try_from(total).unwrap_or(usize::MAX);
            let need = FORK_PREFIX_BYTES.min(total);
            let n = need.saturating_sub(self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.head.len() < need {
                return Ok(());
            }
            self.open(total)?;
        }
        match self.stream.as_mut() {
            Some(s) if !bytes.is_empty() => s.push(bytes).map_err(|e| self.invalid(e)),
            _ => Ok(()),
        }
    }

    /// Roots that came back: recorded; a task whose worker failed is hashed here.
    fn collect(&mut self) -> Result<(), CheckpointError> {
        let Some(pool) = self.pool.clone() else {
            return Ok(());
        };
        // `results` is a buffer kept between calls: taken out for the loop, put back emptied.
        let mut results = std::mem::take(&mut self.results);
        pool.take_results(&mut results);
        for r in results.drain(..).filter(|r| r.job == self.job) {
            self.inflight = self.inflight.saturating_sub(1);
            let Some(stream) = self.stream.as_mut() else {
                continue;
            };
            let done = match r.root {
                Ok(root) => stream.set_task_root(r.index, root),
                Err(reason) => {
                    if !self.pool_warned {
                        self.pool_warned = true;
                        self.env.emit(&Event::Warning {
                            code: "HASH_WORKERS_FAILED",
                            message: format!(
                                "a hash worker failed ({reason}); its tasks are hashed on the main thread"
                            ),
                        });
                    }
                    stream.hash_task(r.index)
                }
            };
            done.map_err(|e| self.invalid(e))?;
        }
        self.results = results;
        Ok(())
    }

    /// Hands ready tasks to the pool (up to its capacity), or hashes them here without one.
    async fn dispatch(&mut self) -> Result<(), CheckpointError> {
        let Some(fork) = self.fork else {
            return Ok(());
        };
        let preset = self.network.preset;
        if let Some(pool) = self.pool.clone() {
            while self.inflight < pool.capacity() {
                let Some(stream) = self.stream.as_mut() else {
                    break;
                };
                let Some((index, spec, bytes)) = stream.next_ready() else {
                    break;
                };
                let task = PoolTask {
                    job: self.job,
                    index,
                    fork,
                    preset,
                    spec,
                    bytes,
                };
                if pool.submit(task) {
                    self.inflight += 1;
                    continue;
                }
                // No live worker: this thread hashes, paced like the no-pool case.
                stream.hash_task(index).map_err(|e| self.invalid(e))?;
                if self.pacer.due() {
                    self.pacer.pause().await;
                    self.check_abort()?;
                }
            }
            return Ok(());
        }
        let step = if self.pacer.timed() {
            super::HASH_NODES_PER_STEP
        } else {
            super::HASH_NODES_PER_SLICE
        };
        while self.stream.as_ref().is_some_and(|s| s.has_ready()) {
            if let Some(s) = self.stream.as_mut() {
                s.step(step).map_err(|e| self.invalid(e))?;
            }
            if self.pacer.due() {
                self.report(false);
                self.pacer.pause().await;
                self.check_abort()?;
            }
        }
        Ok(())
    }

    fn check_abort(&self) -> Result<(), CheckpointError> {
        if self.env.aborted() {
            Err(CheckpointError::Aborted)
        } else {
            Ok(())
        }
    }

    /// Bytes received that a task still needs (see [`StreamingStateRoot::unhashed_len`]).
    fn unhashed(&self) -> u64 {
        self.stream
            .as_ref()
            .map_or(self.received, |s| s.unhashed_len() as u64)
    }

    /// Bytes of the state whose tasks are hashed (tasks are in byte order, so this is the end
    /// of the last task whose root is in, up to out-of-order worker results).
    fn hashed_bytes(&self) -> u64 {
        let Some(s) = self.stream.as_ref() else {
            return 0;
        };
        let Some(plan) = s.plan() else {
            return 0;
        };
        let started = s.tasks_started();
        let pending = self.inflight.min(started);
        match started - pending {
            0 => 0,
            k => plan.tasks()[k - 1].range.end as u64,
        }
    }

    /// Download and hash progress, at most once per [`PROGRESS_STEP_BYTES`] unless `force`; the
    /// download's last event (`done == total`) as soon as the last byte is in, so the download
    /// phase ends there and not when the hashing does.
    fn report(&mut self, force: bool) {
        let last_byte = self.length == Some(self.received) && !self.download_done;
        if !force && !last_byte && self.received - self.reported < PROGRESS_STEP_BYTES {
            return;
        }
        self.reported = self.received;
        let p = Some(self.provider);
        if !self.download_done {
            self.download_done = last_byte || force;
            if !self.local {
                emit_progress(
                    self.env,
                    Phase::Download,
                    self.received,
                    self.length,
                    self.received,
                    self.started_ms,
                    p,
                    None,
                );
            }
        }
        let hashed = self.hashed_bytes();
        emit_progress(
            self.env,
            Phase::Hash,
            hashed,
            self.length,
            hashed,
            self.started_ms,
            p,
            Some(self.workers()),
        );
    }

    async fn on_chunk(&mut self, bytes: &[u8]) -> Result<(), CheckpointError> {
        self.check_abort()?;
        self.take(bytes)?;
        if let Some(keep) = self.keep.as_mut() {
            keep.take(bytes).await?;
        }
        self.collect()?;
        self.dispatch().await?;
        self.report(false);
        // With a pool: do not read further ahead of the hashing than READ_AHEAD_BYTES, counted
        // from the first task whose root is not in (a worker that stalls on one task holds the
        // reading back, not only the tasks it has).
        if let Some(pool) = self.pool.clone() {
            while self.inflight > 0 && self.unhashed() > READ_AHEAD_BYTES {
                pool.wait().await;
                self.collect()?;
                self.dispatch().await?;
                self.check_abort()?;
            }
            if self.pacer.due() {
                self.pacer.pause().await;
                self.check_abort()?;
            }
        }
        Ok(())
    }

    /// After the last byte: waits for the pool's last roots (or hashes the rest here) and
    /// returns the state, its fork and its root.
    pub(super) async fn finish(mut self) -> Result<HashedState, CheckpointError> {
        if self.stream.is_none() {
            // No Content-Length (or a body shorter than the fork prefix): plan it whole now.
            let total = self.head.len();
            self.open(total)?;
        }
        loop {
            self.collect()?;
            self.dispatch().await?;
            let Some(pool) = self.pool.clone() else {
                break;
            };
            if self.inflight == 0 && !self.stream.as_ref().is_some_and(|s| s.has_ready()) {
                break;
            }
            pool.wait().await;
            self.check_abort()?;
        }
        self.report(true);
        let (Some(fork), Some(mut stream)) = (self.fork, self.stream.take()) else {
            return Err(CheckpointError::Aborted);
        };
        let root = stream.finish().map_err(|e| self.invalid(e))?;
        let n = stream.total_len() as u64;
        emit_progress(
            self.env,
            Phase::Hash,
            n,
            Some(n),
            n,
            self.started_ms,
            Some(self.provider),
            Some(self.workers()),
        );
        let kept = stream.into_kept().ok_or(CheckpointError::Aborted)?;
        let chunks = match self.keep.take() {
            Some(keep) => Some(keep.finish().await?),
            None => None,
        };
        Ok(HashedState {
            kept,
            fork,
            root,
            chunks,
        })
    }
}

/// A process-wide counter, so two downloads never share a job id.
fn next_job() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<E: Env> BodySink for StateSink<'_, E> {
    fn begin(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        content_length: Option<u64>,
    ) -> Result<bool, ApiError> {
        if status != 200 {
            return Ok(false);
        }
        self.header_fork = consensus_version(self.provider, headers)?;
        self.length = content_length;
        Ok(true)
    }

    fn chunk<'a>(&'a mut self, bytes: &'a [u8]) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            match self.on_chunk(bytes).await {
                Ok(()) => Ok(()),
                Err(e) => Err(self.stop(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// The chunks a [`Keep`] writes, by `(id, index)`.
    #[derive(Default)]
    struct Chunks(RefCell<BTreeMap<(u32, u32), Vec<u8>>>);

    impl ChunkStore for Chunks {
        fn put_chunk<'a>(
            &'a self,
            id: u32,
            index: u32,
            bytes: &'a [u8],
        ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
            self.0.borrow_mut().insert((id, index), bytes.to_vec());
            Box::pin(async { Ok(()) })
        }
    }

    impl Chunks {
        fn get(&self, id: u32, index: u32) -> Option<Vec<u8>> {
            self.0.borrow().get(&(id, index)).cloned()
        }
    }

    /// Pieces of every shape (tiny, odd, exactly a chunk, several chunks, after a partial
    /// buffer) come out as full chunks in order, the last one shorter, with nothing lost.
    #[test]
    fn keep_writes_full_chunks_in_order_whatever_the_pieces() {
        let store = Chunks::default();
        let sizes = [
            1,
            70_001,
            STATE_CHUNK_BYTES,
            3 * STATE_CHUNK_BYTES + 5,
            17,
            1 << 19,
        ];
        let total: usize = sizes.iter().sum();
        let bytes: Vec<u8> = (0..total).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut keep = Keep::new(&store, 9);
        let mut at = 0;
        for n in sizes {
            block_on(keep.take(&bytes[at..at + n])).unwrap();
            at += n;
        }
        let kept = block_on(keep.finish()).unwrap();
        let chunks = total.div_ceil(STATE_CHUNK_BYTES) as u32;
        assert_eq!(
            kept,
            KeptChunks {
                id: 9,
                chunks,
                length: total as u64
            }
        );
        let mut back = Vec::new();
        for i in 0..chunks {
            let chunk = store.get(9, i).unwrap();
            if i + 1 < chunks {
                assert_eq!(chunk.len(), STATE_CHUNK_BYTES, "chunk {i}");
            }
            back.extend_from_slice(&chunk);
        }
        assert_eq!(back, bytes);
        assert_eq!(store.get(9, chunks), None);
    }
}
