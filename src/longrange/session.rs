//! One client instance's state between and during its calls, as plain Rust.
//!
//! A `LightSync` in a page runs `start()`, `backfill()`, `follow()`, `stop()` and `reset()` in
//! any order, some at once, and a wasm trap can abandon a `start()` half-way. Which run is
//! current, which calls are refused while another runs, what mode the instance is in, which
//! anchor is in use and which head `status()` shows are rules, and they live here, tested
//! natively. The wasm edge (`js/`) holds one `Session` beside what only a browser has (listeners,
//! signals, workers, the IndexedDB store), asks it, and converts what it answers.

use std::cell::{Cell, RefCell};
use std::fmt;

use crate::event::{Event, ExecutionSource, Tip};
use crate::longrange::FollowState;
use crate::store::{AnchorRecord, ExecutionBlock, HeadRecord, Root};

/// The `mode` of `status()` and of `status` events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InstanceMode {
    /// Nothing run yet (or reset).
    #[default]
    Idle,
    /// A `start()` is running.
    Syncing,
    /// The last `start()` stored or resumed its anchor.
    Synced,
    /// The last `start()` was stopped or aborted on request.
    Stopped,
    /// The last `start()` failed (or trapped).
    Error,
}

impl InstanceMode {
    /// The lower-case name JS sees.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceMode::Idle => "idle",
            InstanceMode::Syncing => "syncing",
            InstanceMode::Synced => "synced",
            InstanceMode::Stopped => "stopped",
            InstanceMode::Error => "error",
        }
    }
}

/// A call refused because another is in progress (`ALREADY_RUNNING`). Retry once it has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// The refused call.
    pub call: &'static str,
    /// What is in progress, as "got …" says it.
    pub running: String,
    /// `(expected, actual)` operations in flight, when counted.
    pub counted: Option<(String, String)>,
}

impl Busy {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        "ALREADY_RUNNING"
    }
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: expected {}", self.call, self.running)
    }
}

/// How a `start()` ended, for [`Session::finish_start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    /// It resolved with an anchor.
    Anchored,
    /// It rejected with `ABORTED` (`stop()`, or a signal).
    Aborted,
    /// It rejected with another error.
    Failed,
}

/// What `status().head` shows: the followed tip, else the anchor's block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownHead {
    /// The block root.
    pub root: Root,
    /// Its slot; `None` for an anchor linked through `latest_block_header` across empty slots
    /// (the state's slot is not the block's, and the block's is not known).
    pub slot: Option<u64>,
    /// Whether it is a followed tip (not the anchor's own block).
    pub followed: bool,
    /// Its verified execution block, when known.
    pub execution: Option<ExecutionBlock>,
}

/// One instance's state (see the module docs).
#[derive(Default)]
pub struct Session {
    mode: Cell<InstanceMode>,
    anchor: RefCell<Option<AnchorRecord>>,
    /// The tip the last follow step reached, or the stored one.
    head: Cell<Option<Tip>>,
    /// The newest verified execution block of a followed tip, with that tip's block root.
    head_execution: Cell<Option<(Root, ExecutionBlock)>>,
    /// Where following stands between `follow()` steps (taken out while a step runs).
    following: RefCell<Option<FollowState>>,
    following_running: Cell<bool>,
    backfill_paused: Cell<bool>,
    stop_requested: Cell<bool>,
    /// A `start()` or `reset()` is running.
    running: Cell<bool>,
    /// The current `start()` run: a run whose number is no longer this one was superseded.
    run_id: Cell<u64>,
    /// The running `start()` was abandoned by a panic or trap.
    trapped: Cell<bool>,
}

impl Session {
    /// A session over a store holding `anchor` (the active one) and `stored_head`: the stored
    /// head is shown only while it hangs from that anchor.
    pub fn open(anchor: Option<AnchorRecord>, stored_head: Option<HeadRecord>) -> Session {
        let head =
            stored_head.filter(|h| anchor.as_ref().map(|a| a.block_root) == Some(h.anchor_root));
        let session = Session {
            anchor: RefCell::new(anchor),
            ..Session::default()
        };
        if let Some(h) = head {
            session.head.set(Some(Tip {
                slot: h.slot,
                root: h.block_root,
            }));
            session
                .head_execution
                .set(h.execution.map(|e| (h.block_root, e)));
        }
        session
    }

    /// The instance's mode.
    pub fn mode(&self) -> InstanceMode {
        self.mode.get()
    }

    /// Sets the mode (the edge emits the `status` event).
    pub fn set_mode(&self, mode: InstanceMode) {
        self.mode.set(mode);
    }

    /// Begins a `start()`: refused while a `start()` or `reset()` runs, unless that run was
    /// abandoned by a trap (it does not hold the instance). Returns the new run's number.
    pub fn begin_start(&self) -> Result<u64, Busy> {
        if self.running.replace(true) && !self.trapped.get() {
            return Err(Busy {
                call: "start",
                running: "no start() or reset() in progress, got one running".into(),
                counted: None,
            });
        }
        self.trapped.set(false);
        let run = self.run_id.get() + 1;
        self.run_id.set(run);
        self.stop_requested.set(false);
        Ok(run)
    }

    /// Whether `run` is still the current `start()` (not superseded after a trap).
    pub fn is_current(&self, run: u64) -> bool {
        self.run_id.get() == run
    }

    /// Ends `start()` run `run` with `outcome`: the mode it leaves (`Synced`, `Stopped` on
    /// request, `Error`), or `None` when the run was superseded or trapped, whose call the trap
    /// guard already settled.
    pub fn finish_start(&self, run: u64, outcome: StartOutcome) -> Option<InstanceMode> {
        if !self.is_current(run) || self.trapped.get() {
            return None;
        }
        self.running.set(false);
        let mode = match outcome {
            StartOutcome::Anchored => InstanceMode::Synced,
            StartOutcome::Aborted => InstanceMode::Stopped,
            StartOutcome::Failed => InstanceMode::Error,
        };
        self.set_mode(mode);
        Some(mode)
    }

    /// The running `start()` was abandoned by a panic or trap: it is told to stop, the mode is
    /// `Error`, and a new `start()` is accepted.
    pub fn mark_trapped(&self) {
        self.trapped.set(true);
        self.stop_requested.set(true);
        self.set_mode(InstanceMode::Error);
    }

    /// Whether an operation (the `start()` run `run`, if it is one) must stop: `stop()` was
    /// called, or its run was superseded.
    pub fn aborted(&self, run: Option<u64>) -> bool {
        self.stop_requested.get() || run.is_some_and(|r| !self.is_current(r))
    }

    /// `stop()`: every running operation stops at its next check. Returns the mode to show
    /// when no `start()` runs (`Stopped`); a running one reports its own end.
    pub fn stop(&self) -> Option<InstanceMode> {
        self.stop_requested.set(true);
        if self.running.get() {
            return None;
        }
        self.set_mode(InstanceMode::Stopped);
        Some(InstanceMode::Stopped)
    }

    /// Begins a `reset()`: refused while any operation is in flight (`in_flight`, counted by the
    /// edge) or a `start()` runs.
    pub fn begin_reset(&self, in_flight: usize) -> Result<(), Busy> {
        if in_flight > 0 || self.running.get() {
            return Err(Busy {
                call: "reset",
                running: format!(
                    "no operation in progress, got {in_flight} (start, backfill or anchors); stop or abort it and await its Promise first"
                ),
                counted: Some(("0".into(), in_flight.to_string())),
            });
        }
        self.running.set(true);
        Ok(())
    }

    /// Ends a `reset()`; once the database was wiped, the instance is as freshly created on an
    /// empty one (`Idle`, no anchor, no head). Returns the mode to show then.
    pub fn finish_reset(&self, wiped: bool) -> Option<InstanceMode> {
        self.running.set(false);
        if !wiped {
            return None;
        }
        *self.anchor.borrow_mut() = None;
        self.forget_head();
        self.backfill_paused.set(false);
        self.set_mode(InstanceMode::Idle);
        Some(InstanceMode::Idle)
    }

    /// Begins a `backfill()`: a `stop()` before it no longer applies.
    pub fn begin_backfill(&self) {
        self.stop_requested.set(false);
    }

    /// `pauseBackfill()` / `resumeBackfill()`.
    pub fn set_backfill_paused(&self, paused: bool) {
        self.backfill_paused.set(paused);
    }

    /// Whether a running `backfill()` waits between batches.
    pub fn backfill_paused(&self) -> bool {
        self.backfill_paused.get()
    }

    /// Begins a `follow()` loop: one at a time.
    pub fn begin_follow(&self) -> Result<(), Busy> {
        if self.following_running.replace(true) {
            return Err(Busy {
                call: "follow",
                running: "no follow() in progress, got one running".into(),
                counted: None,
            });
        }
        // `stop()` ends this loop too, but only a stop after it begins.
        self.stop_requested.set(false);
        Ok(())
    }

    /// Ends the `follow()` loop.
    pub fn finish_follow(&self) {
        self.following_running.set(false);
    }

    /// The anchor in use, as last loaded or stored.
    pub fn anchor(&self) -> Option<AnchorRecord> {
        self.anchor.borrow().clone()
    }

    /// The anchor shown while a long-range decision runs (replaced by what it settles on).
    pub fn show_anchor(&self, anchor: AnchorRecord) {
        *self.anchor.borrow_mut() = Some(anchor);
    }

    /// `anchor` is in use, and following stands at `following` (after a start that took a first
    /// step; `None` otherwise). The head stays as the run's follow steps left it.
    pub fn use_anchor(&self, anchor: AnchorRecord, following: Option<FollowState>) {
        *self.anchor.borrow_mut() = Some(anchor);
        *self.following.borrow_mut() = following;
    }

    /// A new anchor stored by a checkpoint sync: the followed head belonged to the old one.
    pub fn replace_anchor(&self, anchor: AnchorRecord) {
        self.forget_head();
        *self.anchor.borrow_mut() = Some(anchor);
    }

    /// The stored chain above the anchor was reset (a repair): the followed head went with it.
    pub fn forget_head(&self) {
        self.head.set(None);
        self.head_execution.set(None);
        *self.following.borrow_mut() = None;
    }

    /// Where following stood, taken out for a step.
    pub fn take_following(&self) -> Option<FollowState> {
        self.following.borrow_mut().take()
    }

    /// Where following stands after a step.
    pub fn put_following(&self, state: FollowState) {
        *self.following.borrow_mut() = Some(state);
    }

    /// What a core event changes: a follow step moves the head, a verified execution block of
    /// a tip is shown with it.
    pub fn on_event(&self, event: &Event) {
        match event {
            Event::Followed(f) => self.head.set(Some(f.step.tip())),
            Event::Execution {
                source: ExecutionSource::Tip,
                block_root,
                execution,
                ..
            } => self.head_execution.set(Some((*block_root, *execution))),
            _ => {}
        }
    }

    /// The tip a follow step reached (a rebuild's first step).
    pub fn set_head(&self, tip: Tip) {
        self.head.set(Some(tip));
    }

    /// What `status().head` shows: the followed tip, else the anchor's block; the execution
    /// block is a tip's own verified one, else the anchor's when it is that block.
    pub fn shown_head(&self) -> Option<ShownHead> {
        let anchor = self.anchor.borrow();
        let anchor = anchor.as_ref();
        let execution = |root: Root| {
            self.head_execution
                .get()
                .filter(|(r, _)| *r == root)
                .map(|(_, e)| e)
                .or_else(|| {
                    anchor
                        .filter(|a| a.block_root == root)
                        .and_then(|a| a.execution)
                })
        };
        if let Some(tip) = self.head.get() {
            return Some(ShownHead {
                root: tip.root,
                slot: Some(tip.slot),
                followed: true,
                execution: execution(tip.root),
            });
        }
        anchor.map(|a| ShownHead {
            root: a.block_root,
            slot: (!a.linked_through_latest_block_header).then_some(a.slot),
            followed: false,
            execution: execution(a.block_root),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{FollowStep, Followed, StepSource};
    use crate::store::{HeadSource, Trust};
    use crate::types::ForkName;

    fn anchor(root: u8) -> AnchorRecord {
        AnchorRecord::new(
            "mainnet",
            64,
            2,
            [root; 32],
            [9; 32],
            ForkName::Electra,
            Trust::Checkpoint,
        )
    }

    fn execution(hash: u8) -> ExecutionBlock {
        ExecutionBlock {
            block_hash: [hash; 32],
            block_number: u64::from(hash),
            state_root: [0; 32],
            receipts_root: [0; 32],
            timestamp: 0,
        }
    }

    fn head(anchor_root: u8, slot: u64, root: u8) -> HeadRecord {
        HeadRecord {
            slot,
            block_root: [root; 32],
            state_root: [0; 32],
            source: HeadSource::Checkpoints,
            anchor_root: [anchor_root; 32],
            updated_at: 0,
            execution: Some(execution(root)),
        }
    }

    fn followed(slot: u64, root: u8) -> Event {
        Event::Followed(Followed {
            step: FollowStep::Advanced {
                from: Tip {
                    slot: 64,
                    root: [1; 32],
                },
                to: Tip {
                    slot,
                    root: [root; 32],
                },
                linked: 3,
            },
            source: StepSource::Poll,
            latency_ms: None,
        })
    }

    #[test]
    fn one_start_at_a_time_and_a_trap_frees_the_instance() {
        let s = Session::default();
        assert_eq!(s.mode(), InstanceMode::Idle);
        let first = s.begin_start().unwrap();
        let busy = s.begin_start().unwrap_err();
        assert_eq!(busy.code(), "ALREADY_RUNNING");
        assert_eq!(
            busy.to_string(),
            "start: expected no start() or reset() in progress, got one running"
        );
        assert!(s.begin_reset(0).is_err(), "no reset while a start runs");
        // A trap abandons the run: it is told to stop, and a new start supersedes it.
        s.mark_trapped();
        assert_eq!(s.mode(), InstanceMode::Error);
        assert!(s.aborted(Some(first)));
        let second = s.begin_start().unwrap();
        assert!(second > first);
        assert!(!s.aborted(Some(second)), "the new run is not stopped");
        assert!(s.aborted(Some(first)), "the old run stays superseded");
        // The superseded run's end changes nothing; the current one's sets the mode.
        assert_eq!(s.finish_start(first, StartOutcome::Anchored), None);
        assert_eq!(
            s.finish_start(second, StartOutcome::Failed),
            Some(InstanceMode::Error)
        );
        assert_eq!(
            s.begin_start(),
            Ok(second + 1),
            "a finished run frees the instance"
        );
        assert_eq!(
            s.finish_start(second + 1, StartOutcome::Aborted),
            Some(InstanceMode::Stopped)
        );
        let run = s.begin_start().unwrap();
        assert_eq!(
            s.finish_start(run, StartOutcome::Anchored),
            Some(InstanceMode::Synced)
        );
        assert_eq!(s.mode(), InstanceMode::Synced);
    }

    #[test]
    fn stop_reaches_the_running_operations_and_is_forgotten_by_the_next() {
        let s = Session::default();
        let run = s.begin_start().unwrap();
        assert_eq!(s.stop(), None, "a running start reports its own end");
        assert!(s.aborted(Some(run)) && s.aborted(None));
        assert_eq!(
            s.finish_start(run, StartOutcome::Aborted),
            Some(InstanceMode::Stopped)
        );
        // Idle: stop shows `stopped` at once.
        assert_eq!(s.stop(), Some(InstanceMode::Stopped));
        // A backfill or follow begun after the stop runs.
        s.begin_backfill();
        assert!(!s.aborted(None));
        s.stop();
        s.begin_follow().unwrap();
        assert!(!s.aborted(None));
        let e = s.begin_follow().unwrap_err();
        assert_eq!(
            e.to_string(),
            "follow: expected no follow() in progress, got one running"
        );
        s.finish_follow();
        assert!(s.begin_follow().is_ok());
    }

    #[test]
    fn reset_waits_for_every_operation_and_then_forgets_the_anchor() {
        let s = Session::open(Some(anchor(1)), Some(head(1, 96, 5)));
        s.set_backfill_paused(true);
        let e = s.begin_reset(2).unwrap_err();
        assert_eq!(e.counted, Some(("0".into(), "2".into())));
        assert!(e
            .to_string()
            .starts_with("reset: expected no operation in progress, got 2"));
        s.begin_reset(0).unwrap();
        assert!(s.begin_start().is_err(), "no start while a reset runs");
        // A wipe that failed keeps everything (and frees the instance).
        assert_eq!(s.finish_reset(false), None);
        assert!(s.anchor().is_some() && s.shown_head().is_some());
        s.begin_reset(0).unwrap();
        assert_eq!(s.finish_reset(true), Some(InstanceMode::Idle));
        assert_eq!((s.anchor(), s.shown_head()), (None, None));
        assert!(!s.backfill_paused());
    }

    #[test]
    fn the_shown_head_is_the_followed_tip_else_the_anchors_block() {
        // A stored head of another anchor is not shown.
        let s = Session::open(Some(anchor(1)), Some(head(2, 96, 5)));
        let shown = s.shown_head().unwrap();
        assert_eq!(
            (shown.root, shown.slot, shown.followed),
            ([1; 32], Some(64), false)
        );
        assert_eq!(shown.execution, None);
        // The anchor's own execution block, when it has one.
        let with_execution = AnchorRecord {
            execution: Some(execution(1)),
            linked_through_latest_block_header: true,
            ..anchor(1)
        };
        let s = Session::open(Some(with_execution), None);
        let shown = s.shown_head().unwrap();
        assert_eq!(
            shown.slot, None,
            "the block's slot is unknown across empty slots"
        );
        assert_eq!(shown.execution, Some(execution(1)));
        // A stored head of this anchor is, with its execution block.
        let s = Session::open(Some(anchor(1)), Some(head(1, 96, 5)));
        let shown = s.shown_head().unwrap();
        assert_eq!(
            (shown.root, shown.slot, shown.followed),
            ([5; 32], Some(96), true)
        );
        assert_eq!(shown.execution, Some(execution(5)));
        // A follow step moves it; its execution block shows once verified for that tip.
        s.on_event(&followed(128, 6));
        let shown = s.shown_head().unwrap();
        assert_eq!((shown.root, shown.execution), ([6; 32], None));
        s.on_event(&Event::Execution {
            source: ExecutionSource::Tip,
            slot: 128,
            block_root: [6; 32],
            execution: execution(6),
        });
        assert_eq!(s.shown_head().unwrap().execution, Some(execution(6)));
        // A new anchor from a checkpoint sync drops the head; a start keeps its steps' head.
        s.use_anchor(anchor(1), None);
        assert_eq!(s.shown_head().unwrap().root, [6; 32]);
        s.replace_anchor(anchor(3));
        assert_eq!(s.shown_head().unwrap().root, [3; 32]);
    }
}
