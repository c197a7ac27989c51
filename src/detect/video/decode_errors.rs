//! `decode_errors`: damaged picture reported by the decoder (`video_corruption`).
//!
//! The decoder signals damage on frames
//! ([`FrameFlags::is_damaged`](crate::media::FrameFlags::is_damaged): corrupt, concealed,
//! decode error, damaged input) and in [`DecoderNotice`](crate::DecoderNotice)s (decode errors,
//! corrupt packets). Damage in a reference frame shows in every frame predicted from it, so an
//! interval starts at the first damaged frame **in display order** and lasts until the picture
//! has recovered: the next key frame that is itself undamaged, or `max_recovery` seconds after
//! the last damage, whichever comes first. Notices come in decode order: one about a reference
//! picture arrives before the B-pictures shown before that picture, which are predicted from
//! it, so the interval starts at the first of them.
//! Damage episodes closer than `merge_gap` are one interval.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::decoder_damage::DecoderDamage;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker, Wants};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{Media, MediaTime, Needs};

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

    /// Damage reported by `notices` notices, visible from `t`: opens or extends the interval.
    fn damage_at(&mut self, t: MediaTime, notices: u32, out: &mut Events) {
        if !self.tracker.is_open() && self.tracker.current_start().is_none() {
            self.counts = Counts::default();
        }
        self.counts.notices += u64::from(notices);
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
                // Held until the pictures reach it (display order): see `DecoderDamage`.
                self.damage.notice(n);
            }
            Media::Video(f) => {
                let d = self.damage.frame(f);
                if let Some((s, e)) = d.lost {
                    // Pictures lost before this one: an interval already over.
                    self.damage_at(s, 0, out);
                    let c = self.tracker.observe(false, e, e);
                    self.emit(c, e, out);
                }
                if let Some(t) = d.early {
                    self.damage_at(t, d.notices, out);
                }
                let t = f.time();
                let until = self.clock.until(f);
                if d.flagged {
                    if !self.tracker.is_open() && self.tracker.current_start().is_none() {
                        self.counts = Counts::default();
                    }
                    self.counts.damaged_frames += 1;
                }
                if d.early.is_none() {
                    // Notices about this very picture.
                    self.counts.notices += u64::from(d.notices);
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
