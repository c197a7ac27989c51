//! Decoder damage on the audio stream as `audio_dropout` (`details.source = "decoder"`) for
//! the `silence` detector: notices merged into gaps, reported unless another dropout or a
//! reported silence covers them (a quiet stretch under the threshold that is not reported,
//! the ambience of a film scene, covers nothing).

use serde_json::json;

use super::Silence;
use crate::detect::{Events, SpanChange};
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{DecoderNotice, MediaTime, NoticeKind};

/// Decoder notices closer than this (seconds) form one dropout.
pub(super) const DECODER_MERGE: f64 = 0.1;
/// A decoder dropout is reported once the sound is this far (seconds) past it, unless a level
/// dropout or a silence covered it meanwhile.
pub(super) const DECODER_DELAY: f64 = 0.35;

/// Damage the decoder reported on the audio stream, not yet reported.
#[derive(Clone, Copy, Debug)]
pub(super) struct DecoderGap {
    pub(super) start: MediaTime,
    pub(super) end: MediaTime,
    pub(super) notices: u32,
}

impl Silence {
    /// Takes a pending decoder gap that overlaps `[start, end)`; its notice count.
    pub(super) fn consume_decoder(&mut self, start: MediaTime, end: MediaTime) -> u32 {
        match self.decoder {
            Some(g)
                if g.start.secs_since(end) <= DECODER_MERGE
                    && start.secs_since(g.end) <= DECODER_MERGE =>
            {
                self.decoder = None;
                g.notices
            }
            _ => 0,
        }
    }

    pub(super) fn on_notice(&mut self, n: &DecoderNotice, stream: Option<usize>, out: &mut Events) {
        if !self.cfg.decoder_dropouts || stream.is_none() || n.stream != stream {
            return;
        }
        if !matches!(
            n.kind,
            NoticeKind::DecodeError { .. } | NoticeKind::CorruptPacket
        ) {
            return;
        }
        let end = n.time.add_secs(self.frame_secs);
        match &mut self.decoder {
            Some(g) if n.time.secs_since(g.end) <= DECODER_MERGE => {
                g.start = g.start.min(n.time);
                g.end = g.end.max(end);
                g.notices += 1;
            }
            _ => {
                self.flush_decoder(n.time, out);
                self.decoder = Some(DecoderGap {
                    start: n.time,
                    end,
                    notices: 1,
                });
            }
        }
    }

    /// A silence that is (or will be) reported holds `[.., end)`: it covers what was lost
    /// there. A quiet stretch of the programme under `threshold_db` that is not reported (film
    /// ambience, a pause at the floor) covers nothing: a loss the decoder saw there is a loss.
    pub(super) fn reported_silence_covers(&self, end: MediaTime) -> bool {
        self.tracker.is_open()
            && self.quiet.is_none()
            && self.tracker.current_start().is_some_and(|s| s <= end)
    }

    /// Reports the pending decoder gap, unless a reported silence covers it.
    pub(super) fn flush_decoder(&mut self, at: MediaTime, out: &mut Events) {
        let Some(g) = self.decoder.take() else { return };
        if self.reported_silence_covers(g.end) {
            return;
        }
        // damage noticed just after a dropout was reported (a frame lost in transport, then
        // the damaged one after it): the same loss, already reported
        if let Some((s, e)) = self.last_dropout {
            if g.start.secs_since(e) <= DECODER_MERGE && s.secs_since(g.end) <= DECODER_MERGE {
                return;
            }
        }
        let mut d = Details::new();
        d.insert("source".into(), json!("decoder"));
        d.insert("notices".into(), json!(g.notices));
        let mut e = d.clone();
        e.insert(
            "duration".into(),
            json!((g.end.secs_since(g.start) * 10000.0).round() / 10000.0),
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Started { start: g.start },
            at.max(g.end),
            d,
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Ended {
                start: g.start,
                end: g.end,
            },
            at.max(g.end),
            e,
        );
    }

    /// Reports the pending decoder gap once the sound is well past it and nothing that could
    /// still cover it is being judged.
    pub(super) fn maybe_flush_decoder(&mut self, now: MediaTime, out: &mut Events) {
        let Some(g) = self.decoder else { return };
        if self.reported_silence_covers(g.end) {
            self.decoder = None;
            return;
        }
        let judged = self.run.is_some_and(|r| r.start <= g.end)
            || self.relative.pending_start().is_some_and(|s| s <= g.end);
        if !judged && now.secs_since(g.end) >= DECODER_DELAY {
            self.flush_decoder(now, out);
        }
    }
}
