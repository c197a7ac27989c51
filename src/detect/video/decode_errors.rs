//! `decode_errors`: damaged picture reported by the decoder (`video_corruption`).
//!
//! The decoder signals damage on frames ([`FrameFlags::is_damaged`]: corrupt, concealed, decode
//! error, damaged input) and in [`DecoderNotice`](crate::DecoderNotice)s (decode errors, corrupt
//! packets). Damage in a reference frame shows in every frame predicted from it, so an interval
//! starts at the first damaged frame (or notice) and lasts until the picture has recovered: the
//! next key frame that is itself undamaged, or `max_recovery` seconds after the last damage,
//! whichever comes first. Damage episodes closer than `merge_gap` are one interval.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::luma::FrameClock;
use crate::detect::check::ConfigCheck;
use crate::event::Details;
use crate::{
    DecoderNotice, DefectKind, Detector, DetectorConfig, Events, FrameFlags, Media, MediaTime,
    Needs, NoticeKind, PictureType, Result, SpanChange, SpanTracker, VideoFrame, Wants,
};

/// Configuration of the [`DecodeErrors`] detector (type `"decode_errors"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::DecodeErrorsConfig};
/// let c: DecodeErrorsConfig = serde_json::from_str(r#"{"max_recovery": 5.0}"#).unwrap();
/// assert!(c.notices);
/// assert!(DecodeErrorsConfig { max_recovery: -1.0, ..Default::default() }.build("d").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecodeErrorsConfig {
    /// Longest time, in seconds after the last damage, that damage is assumed to stay on screen
    /// when no clean key frame arrives. Default `10.0`: longer than the key-frame interval of
    /// broadcast and streaming encodes (0.5–10 s), so recovery is normally seen, but an
    /// intra-refresh stream without key frames still gets its interval closed.
    pub max_recovery: f64,
    /// Damage episodes separated by less than this many seconds of clean picture are reported
    /// as one interval. Default `0.5`: one burst of transport errors often hits several GOPs in
    /// a row, and a viewer sees it as one disturbance.
    pub merge_gap: f64,
    /// Treat decoder notices (decode errors, corrupt packets of a video stream) as damage, not
    /// only frame flags. Default `true`: some decoders conceal damage without flagging the frame.
    pub notices: bool,
}

impl Default for DecodeErrorsConfig {
    fn default() -> Self {
        DecodeErrorsConfig {
            max_recovery: 10.0,
            merge_gap: 0.5,
            notices: true,
        }
    }
}

impl DetectorConfig for DecodeErrorsConfig {
    const TYPE: &'static str = "decode_errors";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.positive_seconds("max_recovery", self.max_recovery)?;
        c.seconds("merge_gap", self.merge_gap)?;
        Ok(Box::new(DecodeErrors::new(name, self.clone())))
    }
}

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

/// Counts of the current interval.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    damaged_frames: u64,
    notices: u64,
    frames: u64,
}

/// Detects damaged picture from decoder signals. Built from a [`DecodeErrorsConfig`].
pub struct DecodeErrors {
    name: String,
    tracker: SpanTracker,
    clock: FrameClock,
    damage: DecoderDamage,
    counts: Counts,
}

impl DecodeErrors {
    /// A decode-errors detector named `name`. Prefer [`DecodeErrorsConfig::build`], which checks
    /// the values.
    pub fn new(name: &str, cfg: DecodeErrorsConfig) -> Self {
        DecodeErrors {
            name: name.to_string(),
            tracker: SpanTracker::new(0.0, cfg.merge_gap),
            clock: FrameClock::default(),
            damage: DecoderDamage::new(cfg.max_recovery, cfg.notices),
            counts: Counts::default(),
        }
    }

    fn details(&self, change: SpanChange) -> Details {
        let mut d = Details::new();
        d.insert("damaged_frames".into(), json!(self.counts.damaged_frames));
        d.insert("notices".into(), json!(self.counts.notices));
        if let SpanChange::Ended { start, end } = change {
            d.insert("frames".into(), json!(self.counts.frames));
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 1000.0).round() / 1000.0),
            );
        }
        d
    }

    fn emit(&mut self, c: Option<SpanChange>, at: MediaTime, out: &mut Events) {
        if let Some(c) = c {
            out.span(&DefectKind::VIDEO_CORRUPTION, c, at, self.details(c));
            if matches!(c, SpanChange::Ended { .. }) {
                self.counts = Counts::default();
            }
        }
    }

    /// Damage known at `t` (a notice): opens or extends the interval.
    fn damage_at(&mut self, t: MediaTime, out: &mut Events) {
        if !self.tracker.is_open() && self.tracker.current_start().is_none() {
            self.counts = Counts::default();
        }
        self.counts.notices += 1;
        let c = self.tracker.observe(true, t, t);
        self.emit(c, t, out);
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        let c = self.tracker.close();
        self.emit(c, at, out);
        self.damage.reset();
        self.counts = Counts::default();
    }
}

impl Detector for DecodeErrors {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::VIDEO | Wants::NOTICES
    }

    fn needs(&self) -> Needs {
        // the decoder's flags only
        Needs {
            every_frame: true,
            deblocked: false,
        }
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Notice(n) => {
                if let Some(t) = self.damage.notice(n) {
                    self.damage_at(t, out);
                }
            }
            Media::Video(f) => {
                let d = self.damage.frame(f);
                if let Some(t) = d.early {
                    self.damage_at(t, out);
                }
                let t = f.time();
                let until = self.clock.until(f);
                if d.flagged {
                    if !self.tracker.is_open() && self.tracker.current_start().is_none() {
                        self.counts = Counts::default();
                    }
                    self.counts.damaged_frames += 1;
                }
                if d.on_screen || self.tracker.is_open() {
                    self.counts.frames += 1;
                }
                let c = self.tracker.observe(d.on_screen, t, until);
                self.emit(c, t, out);
            }
            Media::Audio(_) => {}
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
