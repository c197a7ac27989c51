//! `transport`: MPEG-TS transport errors (ETSI TR 101 290 priority 1) as defects.
//!
//! The FFmpeg decoder analyses the bytes it reads from an MPEG-TS input (see
//! [`crate::transport`]) and sends what it finds as [`NoticeKind::Transport`] notices; this
//! detector turns them into defects `transport_sync_loss`, `transport_sync_byte_error`,
//! `transport_pat_error`, `transport_cc_error`, `transport_pmt_error` and
//! `transport_pid_error`, one per error type and PID:
//!
//! - occurrences (a corrupted sync byte, a continuity error, a wrong table_id, a scrambled
//!   table) closer than `merge_gap` are one event, from the first to the last, with
//!   `details.count`;
//! - a sync loss lasts from the loss to the re-acquisition;
//! - a PAT or PMT absence starts `table_timeout` after the table was last seen and ends when
//!   it is back; an audio/video PID absence likewise with `pid_timeout`.
//!
//! It stays quiet on inputs that are not MPEG-TS or are not read through the tap (HLS, pushed
//! frames).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, Wants};
use crate::error::Result;
use crate::event::Details;
use crate::media::{Media, MediaTime, Needs, NoticeKind};
use crate::transport::{FindingPhase, TransportError};

/// Configuration of the [`Transport`] detector (type `"transport"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::TransportConfig};
/// let c: TransportConfig = serde_json::from_str(r#"{"pid_timeout": 2.0}"#).unwrap();
/// assert_eq!(c.table_timeout, 0.5);
/// assert!(TransportConfig { pid_timeout: 0.2, ..Default::default() }.build("t").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransportConfig {
    /// Occurrences of the same error on the same PID closer than this many seconds are one
    /// event (with `details.count`). Default `1.0`.
    pub merge_gap: f64,
    /// Seconds without a PAT (or a PMT named in it) before it is a `transport_pat_error`
    /// (`transport_pmt_error`). Default `0.5`, the TR 101 290 limit; at least 0.5.
    pub table_timeout: f64,
    /// Seconds an audio or video PID named in a PMT may be absent before it is a
    /// `transport_pid_error` (TR 101 290 leaves the period to the user). Default `5.0`: far
    /// longer than the gaps between the packets of any audio or video stream, short enough to
    /// catch a lost component quickly; at least 1.
    pub pid_timeout: f64,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            merge_gap: 1.0,
            table_timeout: 0.5,
            pid_timeout: 5.0,
        }
    }
}

impl DetectorConfig for TransportConfig {
    const TYPE: &'static str = "transport";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.seconds("merge_gap", self.merge_gap)?;
        c.at_least("table_timeout", self.table_timeout, 0.5)?;
        c.at_least("pid_timeout", self.pid_timeout, 1.0)?;
        Ok(Box::new(Transport::new(name, self.clone())))
    }
}

/// One error type on one PID: an event being merged, or an absence not yet long enough.
#[derive(Clone, Copy, Debug)]
struct Slot {
    error: TransportError,
    pid: Option<u16>,
    /// The event's start, once its start event was written.
    start: Option<MediaTime>,
    /// An absence or sync loss began here (the last sighting) and has not ended.
    since: Option<MediaTime>,
    /// The latest occurrence or the end of the latest condition.
    last: MediaTime,
    count: u64,
}

/// Reports transport errors found by the decoder's tap. Built from a [`TransportConfig`].
pub struct Transport {
    name: String,
    cfg: TransportConfig,
    slots: Vec<Slot>,
    now: MediaTime,
}

impl Transport {
    /// A transport detector named `name`. Prefer [`TransportConfig::build`], which checks the
    /// values.
    pub fn new(name: &str, cfg: TransportConfig) -> Self {
        Transport {
            name: name.to_string(),
            cfg,
            slots: Vec::with_capacity(8),
            now: MediaTime::ZERO,
        }
    }

    /// How long a condition must last before it is an error.
    fn threshold(&self, e: TransportError) -> f64 {
        match e {
            TransportError::PatError | TransportError::PmtError => self.cfg.table_timeout,
            TransportError::PidError => self.cfg.pid_timeout,
            _ => 0.0,
        }
    }

    fn details(s: &Slot, end: Option<MediaTime>) -> Details {
        let mut d = Details::new();
        if let Some(pid) = s.pid {
            d.insert("pid".into(), json!(pid));
        }
        d.insert("count".into(), json!(s.count));
        if let (Some(start), Some(end)) = (s.start, end) {
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 1000.0).round() / 1000.0),
            );
        }
        d
    }

    fn open(s: &mut Slot, start: MediaTime, at: MediaTime, out: &mut Events) {
        s.start = Some(start);
        let d = Self::details(s, None);
        out.span(&s.error.defect(), SpanChange::Started { start }, at, d);
    }

    fn close(s: &Slot, end: MediaTime, at: MediaTime, out: &mut Events) {
        if let Some(start) = s.start {
            let end = end.max(start);
            let d = Self::details(s, Some(end));
            out.span(&s.error.defect(), SpanChange::Ended { start, end }, at, d);
        }
    }

    fn finding(
        &mut self,
        error: TransportError,
        pid: Option<u16>,
        phase: FindingPhase,
        t: MediaTime,
        out: &mut Events,
    ) {
        let gap = self.cfg.merge_gap;
        // The decoder reads ahead of the pictures: a finding may be later than the last frame.
        self.now = self.now.max(t);
        let i = self
            .slots
            .iter()
            .position(|s| s.error == error && s.pid == pid);
        match phase {
            FindingPhase::Once | FindingPhase::Began => {
                if let Some(i) = i {
                    let s = &mut self.slots[i];
                    let near = s.since.is_some() || t.secs_since(s.last) <= gap;
                    if near {
                        s.count += 1;
                        s.last = s.last.max(t);
                        if phase == FindingPhase::Began && s.since.is_none() {
                            s.since = Some(t);
                        }
                        if phase == FindingPhase::Once && s.start.is_none() {
                            let at = self.now.max(t);
                            Self::open(s, t, at, out);
                        }
                        return;
                    }
                    let s = self.slots.swap_remove(i);
                    Self::close(&s, s.last, self.now, out);
                }
                let mut s = Slot {
                    error,
                    pid,
                    start: None,
                    since: (phase == FindingPhase::Began).then_some(t),
                    last: t,
                    count: 1,
                };
                if phase == FindingPhase::Once {
                    Self::open(&mut s, t, self.now.max(t), out);
                }
                self.slots.push(s);
                self.advance(self.now, out);
            }
            FindingPhase::Ended => {
                let Some(i) = i else { return };
                let thr = self.threshold(error);
                let s = &mut self.slots[i];
                let Some(since) = s.since.take() else {
                    return;
                };
                if s.start.is_none() {
                    let start = since.add_secs(thr);
                    if t < start {
                        // Shorter than the threshold: not an error.
                        self.slots.swap_remove(i);
                        return;
                    }
                    Self::open(s, start, t, out);
                }
                s.last = s.last.max(t);
            }
        }
    }

    /// Media time has reached `now`: opens absences that have lasted long enough, closes events
    /// with nothing new for `merge_gap`.
    fn advance(&mut self, now: MediaTime, out: &mut Events) {
        self.now = self.now.max(now);
        let now = self.now;
        let mut i = 0;
        while i < self.slots.len() {
            let thr = self.threshold(self.slots[i].error);
            let s = &mut self.slots[i];
            if let (Some(since), None) = (s.since, s.start) {
                let start = since.add_secs(thr);
                if now >= start {
                    Self::open(s, start, now, out);
                }
            }
            if s.since.is_none() && now.secs_since(s.last) > self.cfg.merge_gap {
                let s = self.slots.swap_remove(i);
                Self::close(&s, s.last, now, out);
                continue;
            }
            i += 1;
        }
    }
}

impl Detector for Transport {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        // Pictures and sound only move the clock on (to end merged events and time absences).
        Wants::NOTICES | Wants::VIDEO | Wants::AUDIO
    }

    fn needs(&self) -> Needs {
        // pictures only move its clock on
        Needs {
            every_frame: false,
            deblocked: false,
        }
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        if let Media::Notice(n) = media {
            if let NoticeKind::Transport { error, pid, phase } = n.kind {
                self.finding(error, pid, phase, n.time, out);
                return;
            }
        }
        self.advance(media.time(), out);
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        let at = at.max(self.now);
        for mut s in std::mem::take(&mut self.slots) {
            let thr = self.threshold(s.error);
            if let (Some(since), None) = (s.since, s.start) {
                let start = since.add_secs(thr);
                if at >= start {
                    Self::open(&mut s, start, at, out);
                }
            }
            let end = if s.since.is_some() { at } else { s.last };
            Self::close(&s, end, at, out);
        }
    }
}
