//! Input stalls: a live input that stops delivering pictures and sound (the decoder blocked in
//! a read, or reconnecting) is noticed on the sink side by wall clock, as an `input_stall`
//! defect: it starts once nothing came for the timeout and ends when data flows again (or when
//! the run ends). A stall before the first data (an input not sending yet) says so in
//! `details.since_start`.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::event::{DefectEvent, DefectKind, Details, Event, Phase};
use crate::media::MediaTime;

/// Written by a stream's core after every picture or block of sound; read by what watches for
/// stalls (a Pipeline's sink loop, as its decoder thread may block in a read; a Monitor
/// stream's task, woken by the scheduler's timer).
pub(super) struct Heartbeat {
    started: Instant,
    /// Gaps from this long count as stalls (`u64::MAX`: no stall watch).
    timeout_ms: u64,
    last_ms: AtomicU64,
    last_media_us: AtomicI64,
    /// Media time of the first data after the latest stall.
    resumed_media_us: AtomicI64,
    /// Any data arrived yet.
    any: AtomicBool,
}

impl Heartbeat {
    pub(super) fn new(timeout: Option<Duration>) -> Self {
        Heartbeat {
            started: Instant::now(),
            timeout_ms: timeout.map_or(u64::MAX, |t| t.as_millis() as u64),
            last_ms: AtomicU64::new(0),
            last_media_us: AtomicI64::new(0),
            resumed_media_us: AtomicI64::new(0),
            any: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Data with media time `t` arrived at `at`.
    pub(super) fn beat(&self, t: MediaTime, at: Instant) {
        let now = at.saturating_duration_since(self.started).as_millis() as u64;
        let us = t.rescale(crate::media::time::MICROS).ticks();
        if now.saturating_sub(self.last_ms.load(Ordering::Relaxed)) >= self.timeout_ms {
            self.resumed_media_us.store(us, Ordering::Relaxed);
        }
        self.last_media_us.store(us, Ordering::Relaxed);
        self.any.store(true, Ordering::Relaxed);
        // Release: whoever sees the new `last_ms` sees the times stored before it.
        self.last_ms.store(now, Ordering::Release);
    }

    /// When a stall starts if no data comes before (`None`: no stall watch).
    pub(super) fn deadline(&self) -> Option<Instant> {
        let last = self.last_ms.load(Ordering::Acquire);
        (self.timeout_ms != u64::MAX)
            .then(|| self.started + Duration::from_millis(last.saturating_add(self.timeout_ms)))
    }

    fn media_time(&self) -> MediaTime {
        MediaTime::new(
            self.last_media_us.load(Ordering::Relaxed),
            crate::media::time::MICROS,
        )
    }
}

/// An open stall: where it started (media time) and when (heartbeat wall clock).
struct Open {
    start: MediaTime,
    last_ms: u64,
}

/// Turns heartbeat gaps longer than the timeout into `input_stall` defects, one per stall.
pub(super) struct StallWatch {
    timeout_ms: u64,
    /// The `detector` field of its events (`pipeline`, `monitor`).
    detector: &'static str,
    open: Option<Open>,
    pub(super) stalls: u64,
}

impl StallWatch {
    pub(super) fn new(timeout: Duration, detector: &'static str) -> Self {
        StallWatch {
            timeout_ms: timeout.as_millis() as u64,
            detector,
            open: None,
            stalls: 0,
        }
    }

    /// The defect's start when the input just stalled, its end when it just resumed.
    pub(super) fn check(&mut self, hb: &Heartbeat, input: &Arc<str>) -> Option<Event> {
        let (now, last) = (hb.now_ms(), hb.last_ms.load(Ordering::Acquire));
        match &self.open {
            None if now.saturating_sub(last) >= self.timeout_ms => {
                let start = hb.media_time();
                self.open = Some(Open {
                    start,
                    last_ms: last,
                });
                self.stalls += 1;
                let mut details = Details::new();
                details.insert(
                    "timeout_secs".into(),
                    (self.timeout_ms as f64 / 1000.0).into(),
                );
                if !hb.any.load(Ordering::Relaxed) {
                    // a live input that has not started sending yet
                    details.insert("since_start".into(), true.into());
                }
                let ev = (Phase::Start, start, None, start);
                Some(event(input, self.detector, ev, details))
            }
            Some(open) if last > open.last_ms => Some(self.end(hb, input, last)),
            _ => None,
        }
    }

    /// True while a stall is open.
    pub(super) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The end of an open stall when the run ends (every start gets an end).
    pub(super) fn finish(&mut self, hb: &Heartbeat, input: &Arc<str>) -> Option<Event> {
        self.open
            .is_some()
            .then(|| self.end(hb, input, hb.now_ms()))
    }

    fn end(&mut self, hb: &Heartbeat, input: &Arc<str>, until_ms: u64) -> Event {
        let open = self.open.take().expect("an open stall");
        // Data came back: the first item after the gap; the run ended: the last item.
        let resumed = hb.last_ms.load(Ordering::Acquire) > open.last_ms;
        let at = if resumed {
            MediaTime::new(
                hb.resumed_media_us.load(Ordering::Relaxed),
                crate::media::time::MICROS,
            )
        } else {
            hb.media_time()
        }
        .max(open.start);
        let mut details = Details::new();
        let secs = until_ms.saturating_sub(open.last_ms) as f64 / 1000.0;
        details.insert("wall_secs".into(), ((secs * 10.0).round() / 10.0).into());
        event(
            input,
            self.detector,
            (Phase::End, open.start, Some(at), at),
            details,
        )
    }
}

/// An `input_stall` event: phase, start, end, emitted at.
fn event(
    input: &Arc<str>,
    detector: &'static str,
    (phase, start, end, emitted_at): (Phase, MediaTime, Option<MediaTime>, MediaTime),
    details: Details,
) -> Event {
    Event::Defect(DefectEvent {
        phase,
        stream: input.clone(),
        detector: detector.into(),
        defect: DefectKind::INPUT_STALL,
        start,
        end,
        emitted_at,
        details,
        track: None,
        language: None,
    })
}
