//! Damage reported by the decoder (frame flags and notices), tracked until the picture has
//! recovered: shared by `decode_errors` and `corruption`.

use crate::media::{DecoderNotice, FrameFlags, MediaTime, NoticeKind, PictureType, VideoFrame};

/// True when the decoder itself (not the demuxer) flagged damage.
fn decoder_damage(flags: FrameFlags) -> bool {
    flags.contains(FrameFlags::CORRUPT)
        || flags.contains(FrameFlags::CONCEALED)
        || flags.contains(FrameFlags::DECODE_ERROR)
}

/// What the decoder said about one video frame.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FrameDamage {
    /// A notice held back until the video streams were known applies: damage at this instant
    /// (before the frame).
    pub(crate) early: Option<MediaTime>,
    /// The frame itself carries damage flags.
    pub(crate) flagged: bool,
    /// Damage is on screen with this frame (flagged here, or an earlier damage has not
    /// recovered yet).
    pub(crate) on_screen: bool,
}

/// Damage reported by the decoder, shared by `decode_errors` and `corruption`: which streams
/// are video, whether damage is still on screen (until a clean key frame after it, or
/// `max_recovery` seconds), and notices seen before the first frame.
#[derive(Clone, Debug)]
pub(crate) struct DecoderDamage {
    max_recovery: f64,
    notices: bool,
    /// Bit `i` set: stream `i` carries video (streams 0–63).
    video_streams: u64,
    /// Damage is on screen (an episode has not recovered yet).
    damaged: bool,
    last_damage: Option<MediaTime>,
    /// A notice seen before any video frame: (time, stream).
    early_notice: Option<(MediaTime, Option<usize>)>,
}

impl DecoderDamage {
    /// Damage tracking with the given recovery limit; `notices`: decoder notices count.
    pub(crate) fn new(max_recovery: f64, notices: bool) -> Self {
        DecoderDamage {
            max_recovery,
            notices,
            video_streams: 0,
            damaged: false,
            last_damage: None,
            early_notice: None,
        }
    }

    fn is_video_stream(&self, s: usize) -> bool {
        s < 64 && self.video_streams & (1 << s) != 0
    }

    fn mark(&mut self, t: MediaTime) {
        self.damaged = true;
        self.last_damage = Some(self.last_damage.map_or(t, |l| l.max(t)));
    }

    /// A decoder notice: the instant of damage it reports on a video stream, if any.
    pub(crate) fn notice(&mut self, n: &DecoderNotice) -> Option<MediaTime> {
        if !self.notices
            || !matches!(
                n.kind,
                NoticeKind::DecodeError { .. } | NoticeKind::CorruptPacket
            )
        {
            return None;
        }
        match n.stream {
            Some(s) if self.video_streams != 0 && !self.is_video_stream(s) => None,
            Some(_) if self.video_streams == 0 => {
                // Which streams carry video is known from the first frame.
                if self.early_notice.is_none() {
                    self.early_notice = Some((n.time, n.stream));
                }
                None
            }
            _ => {
                self.mark(n.time);
                Some(n.time)
            }
        }
    }

    /// A video frame: its damage, and whether damage is on screen.
    pub(crate) fn frame(&mut self, f: &VideoFrame) -> FrameDamage {
        let mut out = FrameDamage::default();
        if f.stream() < 64 {
            self.video_streams |= 1 << f.stream();
        }
        if let Some((t, s)) = self.early_notice.take() {
            let video = match s {
                Some(s) => self.is_video_stream(s),
                None => true,
            };
            if video {
                let t = t.min(f.time());
                self.mark(t);
                out.early = Some(t);
            }
        }
        let t = f.time();
        let flags = f.flags();
        let key = flags.contains(FrameFlags::KEY) || f.picture_type() == PictureType::I;
        // On a key frame only the decoder's own verdict counts: a corrupt-packet mark there
        // usually reports packets lost *before* it (a continuity error is seen on the first
        // packet after the loss), and the key frame decodes clean.
        out.flagged = if key {
            decoder_damage(flags)
        } else {
            flags.is_damaged()
        };
        if out.flagged {
            self.mark(t);
        } else if self.damaged {
            let expired = self
                .last_damage
                .is_some_and(|l| t.secs_since(l) >= self.max_recovery);
            // A key frame shown before the damage (reordering) does not end it.
            let after = match self.last_damage {
                Some(l) => t >= l,
                None => true,
            };
            if (key && after) || expired {
                self.damaged = false;
            }
        }
        out.on_screen = self.damaged;
        out
    }

    /// Forgets the damage on screen (end of stream, discontinuity).
    pub(crate) fn reset(&mut self) {
        self.damaged = false;
        self.last_damage = None;
    }
}
