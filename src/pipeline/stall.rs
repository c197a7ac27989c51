//! Input stalls: a live input that stops delivering anything (the decoder blocked in a read)
//! is noticed on the sink side by wall clock, as `input_stalled` / `input_resumed` notices.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::event::{Event, NoticeEvent};
use crate::MediaTime;

/// Written by the decoder thread after every item; read by the sink loop.
pub(super) struct Heartbeat {
    started: Instant,
    last_ms: AtomicU64,
    last_media_us: AtomicI64,
}

impl Heartbeat {
    pub(super) fn new() -> Self {
        Heartbeat {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
            last_media_us: AtomicI64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// An item with media time `t` arrived.
    pub(super) fn beat(&self, t: MediaTime) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
        self.last_media_us
            .store(t.rescale(crate::time::MICROS).ticks(), Ordering::Relaxed);
    }
}

/// Turns heartbeat gaps longer than the timeout into notices, once per stall.
pub(super) struct StallWatch {
    timeout_ms: u64,
    stalled_at_ms: Option<u64>,
    pub(super) stalls: u64,
}

impl StallWatch {
    pub(super) fn new(timeout: Duration) -> Self {
        StallWatch {
            timeout_ms: timeout.as_millis() as u64,
            stalled_at_ms: None,
            stalls: 0,
        }
    }

    /// A notice when the input just stalled or just resumed.
    pub(super) fn check(&mut self, hb: &Heartbeat, input: &Arc<str>) -> Option<Event> {
        let (now, last) = (hb.now_ms(), hb.last_ms.load(Ordering::Relaxed));
        let at = MediaTime::new(
            hb.last_media_us.load(Ordering::Relaxed),
            crate::time::MICROS,
        );
        let notice = |name: &'static str, message: String| {
            Event::Notice(NoticeEvent {
                stream: input.clone(),
                detector: "pipeline".into(),
                name: name.into(),
                message,
                at,
            })
        };
        match self.stalled_at_ms {
            None if now.saturating_sub(last) >= self.timeout_ms => {
                self.stalled_at_ms = Some(last);
                self.stalls += 1;
                let secs = (now - last) as f64 / 1000.0;
                Some(notice(
                    "input_stalled",
                    format!("nothing received from the input for {secs:.1} s"),
                ))
            }
            Some(since) if last > since => {
                self.stalled_at_ms = None;
                let secs = (last - since) as f64 / 1000.0;
                Some(notice(
                    "input_resumed",
                    format!("input resumed after {secs:.1} s without data"),
                ))
            }
            _ => None,
        }
    }
}
