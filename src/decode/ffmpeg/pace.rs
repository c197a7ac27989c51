//! Realtime release: items handed out at the pace of their timestamps on a monotonic clock.

use std::time::{Duration, Instant};

/// The wall-clock instant and media time pacing started from.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    start: Option<(Instant, f64)>,
}

impl Pacer {
    /// Waits until `t` (seconds) is due on the wall clock, sleeping in steps of at most 20 ms
    /// that watch `stopped`. False when stopped.
    pub(super) fn wait(&mut self, t: f64, stopped: impl Fn() -> bool) -> bool {
        let now = Instant::now();
        let Some((t0_wall, t0)) = self.start else {
            self.start = Some((now, t));
            return true;
        };
        let due = t - t0;
        let elapsed = now.duration_since(t0_wall).as_secs_f64();
        if due < 0.0 || due - elapsed > 5.0 {
            // A jump back or far ahead: start pacing afresh from here.
            self.start = Some((now, t));
            return true;
        }
        let deadline = t0_wall + Duration::from_secs_f64(due);
        loop {
            if stopped() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
        }
    }
}
