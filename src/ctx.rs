//! One run context for every flow: what a run works on ([`Ctx`]) and the platform it runs on
//! ([`Env`]).
//!
//! Why: the checkpoint flow, backfill, the overseer, the light rebuild and following all need
//! the network, the providers, the store and a clock, and all report events, yield to an event
//! loop, honour an abort and may lend hashing work to a pool of workers. One `Ctx` and one `Env`
//! travel through all of them, so a flow that runs another (the light rebuild verifies a
//! checkpoint) hands both on unchanged: the same events, the same abort, the same hash pool.
//! The CLI, the tests and the JS API each implement [`Env`] once.
//!
//! Where one flow awaits another (once per run), the awaited flow goes through [`boxed`].

use std::future::Future;
use std::rc::Rc;

use futures::future::LocalBoxFuture;

use crate::config::NetworkConfig;
use crate::event::Event;
use crate::merkle::TaskSpec;
use crate::types::{ForkName, PresetName};

/// `flow` on the heap, for a flow that awaits another flow (once per run, never per chunk or
/// header). The awaiting flow's state machine then holds a pointer instead of the awaited one's
/// states, and the awaited one is polled through its own function rather than inlined into each
/// caller: the wasm is smaller (the light rebuild under the overseer, the checkpoint flow inside
/// the rebuild, the backfill and start flows under the JS API). Always inlined: as a function of
/// its own per flow type it measured about 1 KB larger.
#[inline(always)]
pub fn boxed<'a, T>(flow: impl Future<Output = T> + 'a) -> LocalBoxFuture<'a, T> {
    Box::pin(flow)
}

/// What a run works on: the network, the Beacon API providers (in order of preference), the
/// store and the wall clock. Borrowed, so a run that runs another hands it on as it is.
pub struct Ctx<'a, A, S, C: ?Sized> {
    /// The network everything must belong to.
    pub network: &'a NetworkConfig,
    /// Beacon API providers, in order of preference.
    pub providers: &'a [A],
    /// Where verified data goes.
    pub store: &'a S,
    /// The wall clock (weak subjectivity, the current slot, record times).
    pub clock: &'a C,
}

impl<A, S, C: ?Sized> Clone for Ctx<'_, A, S, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, S, C: ?Sized> Copy for Ctx<'_, A, S, C> {}

impl<'a, A, S, C: ?Sized> Ctx<'a, A, S, C> {
    /// The same context with only `providers` (a flow that takes one provider's answer at a time).
    pub fn with_providers<'b>(&self, providers: &'b [A]) -> Ctx<'b, A, S, C>
    where
        'a: 'b,
    {
        Ctx {
            network: self.network,
            providers,
            store: self.store,
            clock: self.clock,
        }
    }
}

/// The caller asked to stop (see [`Env::check_abort`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

/// The platform a run runs on: events out, yields and sleeps, abort and pause, a monotonic
/// clock, and a hash pool. Every method has a quiet default, so a test implements only what it
/// observes.
#[allow(async_fn_in_trait)] // No `Send` bound: wasm futures are not `Send`.
pub trait Env {
    /// Receives an event.
    fn emit(&self, _event: &Event) {}

    /// Called between slices of long work; a browser yields to its event loop here.
    async fn pause(&self) {}

    /// Waits `ms` milliseconds (backoff, `Retry-After`, pause polling), or less when aborted.
    async fn sleep_ms(&self, ms: u64) {
        #[cfg(not(target_arch = "wasm32"))]
        std::thread::sleep(std::time::Duration::from_millis(ms));
        #[cfg(target_arch = "wasm32")]
        let _ = ms;
    }

    /// Whether the caller asked to stop.
    fn aborted(&self) -> bool {
        false
    }

    /// Whether the caller asked to pause; a backfill waits between batches until it is cleared.
    fn paused(&self) -> bool {
        false
    }

    /// A monotonic clock in milliseconds, for rates and time-paced slices (`None`: no rates,
    /// slices paced by size).
    fn now_ms(&self) -> Option<f64> {
        None
    }

    /// Where a downloaded state's hashing tasks go: a pool of Web Workers in a browser. `None`
    /// (the default): this thread hashes them while the state downloads, pausing between
    /// slices.
    fn hash_pool(&self) -> Option<Rc<dyn HashPool>> {
        None
    }

    /// [`Aborted`] when the caller asked to stop: the one abort check of every flow.
    fn check_abort(&self) -> Result<(), Aborted> {
        if self.aborted() {
            Err(Aborted)
        } else {
            Ok(())
        }
    }
}

/// An env that ignores everything (native sleeps still sleep).
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;
impl Env for Quiet {}

/// One task for a pool: what a worker needs to hash it with a `TaskHasher`.
#[derive(Debug, Clone, Copy)]
pub struct PoolTask<'b> {
    /// Which download it belongs to (results of an abandoned one are ignored).
    pub job: u64,
    /// Task index within the state's plan.
    pub index: usize,
    /// Fork of the state.
    pub fork: ForkName,
    /// Preset of the state.
    pub preset: PresetName,
    /// How to hash the bytes.
    pub spec: TaskSpec,
    /// The task's bytes (the pool copies what it sends).
    pub bytes: &'b [u8],
}

/// A task's outcome from a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolResult {
    /// The [`PoolTask::job`].
    pub job: u64,
    /// The [`PoolTask::index`].
    pub index: usize,
    /// The task's root, or why the worker could not hash it (the task is then hashed on this
    /// thread; a wrong root would only make the state root mismatch).
    pub root: Result<[u8; 32], String>,
}

/// Where the state's hashing tasks run besides this thread: a pool of Web Workers in a browser,
/// threads in tests. Object safe, so an env can hand one out as `Rc<dyn HashPool>`.
pub trait HashPool {
    /// Number of workers (reported in `hash` progress events).
    fn workers(&self) -> usize;

    /// Most tasks in flight at once: two per worker (one hashing, one queued), so no worker
    /// idles between two tasks and none holds more than one task's bytes waiting.
    fn capacity(&self) -> usize {
        self.workers().max(1) * 2
    }

    /// Hands a task out; `false` when the pool can take none (no live worker), and the task
    /// is then hashed on this thread.
    fn submit(&self, task: PoolTask<'_>) -> bool;

    /// Moves the results that came back since the last call into `out`.
    fn take_results(&self, out: &mut Vec<PoolResult>);

    /// Resolves once a result is available (at once when one already is).
    fn wait(&self) -> LocalBoxFuture<'_, ()>;
}
