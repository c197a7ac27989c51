//! Sound missing from the audio timeline as `audio_dropout` (`details.source = "timestamps"`)
//! for the `silence` detector: the next frame starts later than the last one ended while the
//! programme went on (quiet stretches under the threshold included, not digital silence nor a
//! reported silence); holes close together are merged into one dropout.
//!
//! A frame that starts before the last one ended gives back a hole not reported yet (a frame
//! stamped late, not sound lost). A hole within the merge distance of one not reported yet
//! is the same loss, whatever the
//! level around it. A transport packet lost inside an audio PES misaligns the audio parser
//! until the next PES: the frame that carries that PES's timestamp does not decode, and the
//! frames after it get timestamps interpolated from it, each one frame early (the sound of
//! the frames really lost is missing, not theirs). The timeline only catches up at the next
//! PES timestamp, with a second hole a few frames later; the sound between was judged at the
//! first hole, and a quiet stretch there (film ambience under `threshold_db`) must not split
//! the loss in two nor hide its second half.

use serde_json::json;

use super::decoder::DECODER_MERGE;
use super::Silence;
use crate::detect::Events;
use crate::event::Details;
use crate::media::{AudioFrame, MediaTime};

/// Longest hole in the audio timestamps reported as a `"timestamps"` dropout, in seconds; a
/// longer jump without a discontinuity notice is taken as a new timeline.
const TIMESTAMP_GAP_MAX: f64 = 10.0;

/// Mean square (−90 dBFS) under which the sound before a hole is digital silence: nothing
/// was heard there, and nothing is missed.
const DIGITAL_SILENCE: f64 = 1e-9;

/// Holes in the audio timeline not yet reported (merged within `DECODER_MERGE`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Holes {
    pub(super) start: MediaTime,
    pub(super) end: MediaTime,
    pub(super) missing: i64,
}

impl Silence {
    /// The frame starting at `tick` does not follow on from the last one: reports the sound
    /// missing in between (a hole in the timestamps inside running sound) and settles what the
    /// hole breaks.
    pub(super) fn not_contiguous(
        &mut self,
        f: &AudioFrame,
        tick: i64,
        expected: Option<(i64, u32, usize)>,
        out: &mut Events,
    ) {
        self.close_window(out);
        self.relative.reset();
        self.settle();
        let Some((next, rate, channels)) = expected else {
            self.forget_level();
            return;
        };
        if rate != f.rate() || channels != f.channels() {
            self.forget_level();
            return;
        }
        // sound lost from the timeline is a loss wherever the programme goes on, its quiet
        // stretches under `threshold_db` included (a film scene's ambience: a whole audio PES
        // lost there leaves no decoder notice, and no continuity error when exactly 16 of its
        // packets went); not in digital silence, nor where a reported silence holds it
        let start = self.clock.time(next);
        let running = self.sound_seen
            && self.last_window > DIGITAL_SILENCE
            && !self.reported_silence_covers(start);
        let end = self.clock.time(tick);
        let secs = end.secs_since(start);
        if secs < 0.0 {
            self.overlap(next.saturating_sub(tick), start, f.rate());
            return;
        }
        // the rest of a loss whose first hole was judged inside sound (see the module doc)
        let same_loss = self
            .holes
            .is_some_and(|h| start.secs_since(h.end) <= DECODER_MERGE);
        if self.cfg.dropouts
            && self.cfg.timestamp_dropouts
            && (running || same_loss)
            && secs > 0.0
            && secs <= TIMESTAMP_GAP_MAX
        {
            let missing = tick.saturating_sub(next);
            match &mut self.holes {
                Some(h) if start.secs_since(h.end) <= DECODER_MERGE => {
                    h.end = end;
                    h.missing = h.missing.saturating_add(missing);
                }
                _ => {
                    self.flush_holes(start, out);
                    self.holes = Some(Holes {
                        start,
                        end,
                        missing,
                    });
                }
            }
        }
    }

    /// The frame starts `samples` before the last one ended (at `at`): it gives back what a
    /// hole just before took when that hole was a frame stamped late, not sound lost (Vorbis
    /// in Ogg: FFmpeg's demuxer stamps the frame after a change of block size late by the
    /// difference, and the frames after it on time). A hole given back within the clock's
    /// jitter (2 ms) is no dropout.
    fn overlap(&mut self, samples: i64, at: MediaTime, rate: u32) {
        let Some(h) = &mut self.holes else { return };
        if at.secs_since(h.end) > DECODER_MERGE {
            return;
        }
        h.missing = h.missing.saturating_sub(samples);
        if h.missing <= (rate / 500).max(1) as i64 {
            self.holes = None;
        }
    }

    /// Reports the holes in the timeline not reported yet, as one `"timestamps"` dropout.
    pub(super) fn flush_holes(&mut self, at: MediaTime, out: &mut Events) {
        let Some(h) = self.holes.take() else { return };
        let mut d = Details::new();
        d.insert("source".into(), json!("timestamps"));
        d.insert("missing_samples".into(), json!(h.missing));
        self.dropout(h.start, h.end, at.max(h.end), d, out);
    }
}
