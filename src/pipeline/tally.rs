//! Counting what a decoder yields and checking it against the limits: shared by the
//! pipeline's decoder thread and the monitor's stream tasks.

use crate::detect::Events;

use crate::error::Result;

use crate::limits::Limits;

use crate::media::{Media, MediaTime, NoticeKind};

/// What came out of a decoder so far.
#[derive(Default)]
pub(crate) struct DecodeStats {
    pub(crate) video: u64,
    pub(crate) audio: u64,
    /// Pictures or audio frames per stream: (index, count), one entry per stream seen.
    pub(crate) frames: Vec<(usize, u64)>,
    pub(crate) decode_errors: u64,
    pub(crate) corrupt_packets: u64,
    pub(crate) discontinuities: u64,
    pub(crate) first: Option<MediaTime>,
    pub(crate) end: Option<MediaTime>,
    pub(crate) stopped: bool,
    /// Items dropped by the overload policy, per lane and member.
    pub(crate) dropped: Vec<Vec<u64>>,
}

impl DecodeStats {
    /// Checks `media` against `limits` and counts it. A discontinuity is announced in `out`
    /// and its time returned, so the caller can tell the detectors.
    pub(crate) fn observe(
        &mut self,
        media: &Media,
        limits: &Limits,
        input: &str,
        out: &mut Events,
    ) -> Result<Option<MediaTime>> {
        match media {
            Media::Video(v) => limits.check_video(input, v)?,
            Media::Audio(a) => limits.check_audio_frame(input, a)?,
            Media::Notice(_) => {}
        }
        let t = media.time();
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        let end = match media {
            Media::Video(v) => t.add_secs(v.duration().unwrap_or(0.0)),
            Media::Audio(a) => a.end_time(),
            Media::Notice(_) => t,
        };
        self.end = Some(self.end.map_or(end, |e| e.max(end)));
        match media {
            Media::Video(v) => {
                self.video += 1;
                count(&mut self.frames, v.stream());
            }
            Media::Audio(a) => {
                self.audio += 1;
                count(&mut self.frames, a.stream());
            }
            Media::Notice(n) => match &n.kind {
                NoticeKind::DecodeError { .. } => self.decode_errors += 1,
                NoticeKind::CorruptPacket => self.corrupt_packets += 1,
                NoticeKind::Discontinuity { jump_secs } => {
                    self.discontinuities += 1;
                    out.notice(
                        "discontinuity",
                        format!("timestamps jumped by {jump_secs:.3} s; timeline bridged"),
                        t,
                    );
                    return Ok(Some(t));
                }
                kind @ (NoticeKind::InputLost { .. }
                | NoticeKind::ReconnectFailed { .. }
                | NoticeKind::Reconnected { .. }
                | NoticeKind::Joined) => {
                    out.notice(kind.name(), kind.to_string(), t);
                }
                _ => {}
            },
        }
        Ok(None)
    }

    /// Seconds of media between the first item and the end of the last.
    pub(crate) fn media_duration(&self) -> f64 {
        match (self.first, self.end) {
            (Some(a), Some(b)) => b.secs_since(a).max(0.0),
            _ => 0.0,
        }
    }
}

/// Adds one to the count of `stream` in `counts` (a short list, one entry per stream).
pub(crate) fn count(counts: &mut Vec<(usize, u64)>, stream: usize) {
    match counts.iter_mut().find(|c| c.0 == stream) {
        Some(c) => c.1 += 1,
        None => counts.push((stream, 1)),
    }
}
