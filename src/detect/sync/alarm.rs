//! One `av_sync` interval of one source (timestamps, pattern or content).

use serde_json::json;

use crate::detect::{Events, SpanChange};
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::MediaTime;

/// One `av_sync` interval of one source.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Alarm {
    open: Option<MediaTime>,
    /// Offsets seen while open (for the end event).
    worst: f64,
}

impl Alarm {
    pub(super) fn details(
        source: &'static str,
        offset_ms: f64,
        confidence: Option<f64>,
    ) -> Details {
        let mut d = Details::new();
        d.insert("offset_ms".into(), json!((offset_ms * 10.0).round() / 10.0));
        d.insert("source".into(), json!(source));
        if let Some(c) = confidence {
            d.insert("confidence".into(), json!((c * 100.0).round() / 100.0));
        }
        d
    }

    /// Offset `offset_ms` (beyond tolerance or not) observed from `start` at `now`.
    pub(super) fn observe(
        &mut self,
        bad: bool,
        start: MediaTime,
        now: MediaTime,
        (offset_ms, confidence): (f64, Option<f64>),
        source: &'static str,
        out: &mut Events,
    ) {
        match (self.open, bad) {
            (None, true) => {
                let start = start.min(now);
                self.open = Some(start);
                self.worst = offset_ms;
                out.span(
                    &DefectKind::AV_SYNC,
                    SpanChange::Started { start },
                    now,
                    Self::details(source, offset_ms, confidence),
                );
            }
            (Some(_), true) => {
                if offset_ms.abs() > self.worst.abs() {
                    self.worst = offset_ms;
                }
            }
            (Some(_), false) => self.close(now, offset_ms, confidence, source, out),
            (None, false) => {}
        }
    }

    pub(super) fn close(
        &mut self,
        at: MediaTime,
        offset_ms: f64,
        confidence: Option<f64>,
        source: &'static str,
        out: &mut Events,
    ) {
        if let Some(start) = self.open.take() {
            let end = at.max(start);
            let mut d = Self::details(source, offset_ms, confidence);
            d.insert("worst_offset_ms".into(), json!(self.worst.round()));
            out.span(
                &DefectKind::AV_SYNC,
                SpanChange::Ended { start, end },
                end,
                d,
            );
        }
    }
}
