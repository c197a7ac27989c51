//! The scheduler: a run queue the workers take stream tasks from, the wake state that keeps a
//! task queued at most once, and the timer heap that wakes paced tasks when their next item
//! is due (a waiting stream holds no thread).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use crossbeam_channel::Sender;

const IDLE: u8 = 0;
const QUEUED: u8 = 1;
const RUNNING: u8 = 2;
/// Running, and woken meanwhile: it goes back to the queue after its slice.
const NOTIFIED: u8 = 3;
const DONE: u8 = 4;

/// Where a stream task is in the scheduler.
#[derive(Default)]
pub(crate) struct WakeState(AtomicU8);

/// What the scheduler runs (a stream): it only needs its wake state, so this module does not
/// depend on what a stream is.
pub(crate) trait Schedulable: Send + Sync {
    /// The task's place in the scheduler.
    fn wake_state(&self) -> &WakeState;
}

/// What a worker does with a task after its slice.
pub(crate) enum After {
    /// More to do now: back to the end of the queue (fairness).
    Yield,
    /// Nothing to do until woken (by its reader thread, a removal, or the timer).
    Wait,
    /// Nothing to do until this instant.
    Sleep(Instant),
    /// Finished: never runs again.
    Done,
}

/// The run queue and the timer, shared by workers, reader threads and the monitor.
pub(crate) struct Scheduler<S> {
    run: Sender<Option<Arc<S>>>,
    timer: Mutex<TimerHeap<S>>,
    timer_cv: Condvar,
    closing: AtomicBool,
    /// Threads of the monitor alive now, and the most at once.
    pub(crate) threads: AtomicUsize,
    pub(crate) threads_peak: AtomicUsize,
}

struct TimerHeap<S> {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    entries: std::collections::HashMap<u64, Arc<S>>,
    seq: u64,
}

impl<S: Schedulable + 'static> Scheduler<S> {
    pub(crate) fn new(run: Sender<Option<Arc<S>>>) -> Self {
        Scheduler {
            run,
            timer: Mutex::new(TimerHeap {
                heap: BinaryHeap::new(),
                entries: std::collections::HashMap::new(),
                seq: 0,
            }),
            timer_cv: Condvar::new(),
            closing: AtomicBool::new(false),
            threads: AtomicUsize::new(0),
            threads_peak: AtomicUsize::new(0),
        }
    }

    /// Makes sure the stream runs soon: queues it if idle, marks it if running.
    pub(crate) fn wake(&self, s: &Arc<S>) {
        let st = &s.wake_state().0;
        let mut cur = st.load(Ordering::Acquire);
        loop {
            let next = match cur {
                IDLE => QUEUED,
                RUNNING => NOTIFIED,
                _ => return, // queued, notified or done: nothing to do
            };
            match st.compare_exchange(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    if next == QUEUED {
                        let _ = self.run.send(Some(s.clone()));
                    }
                    return;
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// A worker took the stream from the queue.
    pub(crate) fn begin(&self, s: &S) {
        s.wake_state().0.store(RUNNING, Ordering::Release);
    }

    /// A worker is done with a slice of the stream.
    pub(crate) fn after(&self, s: &Arc<S>, after: After) {
        let st = &s.wake_state().0;
        match after {
            After::Done => st.store(DONE, Ordering::Release),
            After::Yield => {
                st.store(QUEUED, Ordering::Release);
                let _ = self.run.send(Some(s.clone()));
            }
            After::Wait | After::Sleep(_) => {
                if let After::Sleep(at) = after {
                    self.at(at, s.clone());
                }
                if st
                    .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    // Woken during the slice: run again.
                    st.store(QUEUED, Ordering::Release);
                    let _ = self.run.send(Some(s.clone()));
                }
            }
        }
    }

    /// Wakes `s` at `at`.
    fn at(&self, at: Instant, s: Arc<S>) {
        let mut t = self.timer.lock().unwrap_or_else(|p| p.into_inner());
        t.seq += 1;
        let seq = t.seq;
        let earliest = t.heap.peek().is_none_or(|Reverse((first, _))| at < *first);
        t.heap.push(Reverse((at, seq)));
        t.entries.insert(seq, s);
        if earliest {
            self.timer_cv.notify_one();
        }
    }

    /// The timer thread: wakes streams when due, until [`close`](Self::close).
    pub(crate) fn run_timer(&self) {
        let mut t = self.timer.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.closing.load(Ordering::Acquire) {
                return;
            }
            let now = Instant::now();
            let mut due = Vec::new();
            while let Some(Reverse((at, seq))) = t.heap.peek().copied() {
                if at > now {
                    break;
                }
                t.heap.pop();
                if let Some(s) = t.entries.remove(&seq) {
                    due.push(s);
                }
            }
            if !due.is_empty() {
                drop(t);
                for s in &due {
                    self.wake(s);
                }
                t = self.timer.lock().unwrap_or_else(|p| p.into_inner());
                continue;
            }
            t = match t.heap.peek() {
                Some(Reverse((at, _))) => {
                    let wait = at.saturating_duration_since(now);
                    self.timer_cv
                        .wait_timeout(t, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self.timer_cv.wait(t).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }

    /// Stops the timer thread and tells `workers` workers to exit.
    pub(crate) fn close(&self, workers: usize) {
        self.closing.store(true, Ordering::Release);
        {
            let mut t = self.timer.lock().unwrap_or_else(|p| p.into_inner());
            t.heap.clear();
            t.entries.clear();
        }
        self.timer_cv.notify_all();
        for _ in 0..workers {
            let _ = self.run.send(None);
        }
    }

    /// Counts a thread of the monitor for as long as the guard lives.
    pub(crate) fn thread_guard(self: &Arc<Self>) -> ThreadGuard {
        let n = self.threads.fetch_add(1, Ordering::AcqRel) + 1;
        self.threads_peak.fetch_max(n, Ordering::AcqRel);
        ThreadGuard(self.clone())
    }
}

/// Held by each monitor thread while it lives.
pub(crate) struct ThreadGuard(Arc<dyn Counted>);

/// The thread counters of a scheduler, whatever it runs.
trait Counted: Send + Sync {
    fn threads(&self) -> &AtomicUsize;
}

impl<S: Schedulable + 'static> Counted for Scheduler<S> {
    fn threads(&self) -> &AtomicUsize {
        &self.threads
    }
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        self.0.threads().fetch_sub(1, Ordering::AcqRel);
    }
}
