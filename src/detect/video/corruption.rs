//! `corruption`: damaged picture (`video_corruption`), from the decoder's signals **or** from the
//! picture itself.
//!
//! - **Decoder signals**: exactly those of `decode_errors` (damage flags on frames, decode-error
//!   and corrupt-packet notices; damage stays on screen until the next clean key frame or
//!   `max_recovery` seconds), through the same shared code.
//! - **Picture content**: the block-edge measure of `blockiness` gives, per picture, the
//!   blockiness index (steps on the codec's 8/16-pixel grid against steps between the grid
//!   lines, ≈ 1 for natural content). The stream's own normal index is learnt as a slow running
//!   mean (time constant `adapt`, from pictures not judged damaged and not too flat to judge); a
//!   picture is damaged when its index exceeds `ratio_factor` × that baseline. Macroblocking and
//!   tiling from a starved encode, a damaged contribution feed or concealment that the decoder
//!   did not flag appear suddenly against that baseline; a stream that is always blocky only
//!   raises its baseline (a steadily, heavily blocky stream is `blockiness`'s job). Content
//!   damage must last `min_duration` seconds.
//!
//! The two are OR'ed into one interval (episodes closer than `merge_gap` merge), so a damage
//! episode is reported once even when both see it. `details` carries `damaged_share`, the largest
//! share of the picture's 8×8 (or 16×16) blocks that turned blocky against the stream's normal
//! share, seen in a damaged picture of the interval (0–1; 0 when only the decoder saw it), and which signals (`decoder`, `content`) saw it.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::blockiness::BlockMeasure;
use super::decode_errors::DecoderDamage;
use super::luma::FrameClock;
use crate::detect::check::ConfigCheck;
use crate::event::Details;
use crate::{
    DefectKind, Detector, DetectorConfig, Events, Media, MediaTime, Result, SpanChange,
    SpanTracker, Wants,
};

/// Mean step (code values) below which a picture is too flat to judge or learn from (black,
/// a fade, a plain card): its few steps say nothing about the stream's blockiness.
const MIN_ACTIVITY: f32 = 0.3;

/// Configuration of the [`Corruption`] detector (type `"corruption"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::CorruptionConfig};
/// let c: CorruptionConfig = serde_json::from_str(r#"{"ratio_factor": 1.5}"#).unwrap();
/// assert!(c.decoder);
/// assert!(CorruptionConfig { ratio_factor: 0.5, ..Default::default() }.build("c").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorruptionConfig {
    /// Use the decoder's damage signals (as `decode_errors` does). Default `true`.
    pub decoder: bool,
    /// Use the picture content (sudden blockiness). Default `true`.
    pub content: bool,
    /// As `decode_errors`' `max_recovery`: seconds after the last decoder-reported damage that it
    /// is assumed to stay on screen without a clean key frame. Default `10.0`.
    pub max_recovery: f64,
    /// As `decode_errors`' `notices`: decoder notices count as damage. Default `true`.
    pub notices: bool,
    /// Damage episodes separated by less than this many seconds are one interval. Default `0.5`.
    pub merge_gap: f64,
    /// A picture is damaged when its blockiness index exceeds the stream's baseline by this
    /// factor. Default `1.4`: on the tuning corpus (H.264 and MPEG-2, real and synthetic
    /// content, scene cuts, fades, black) undamaged pictures stayed below 1.34× their baseline
    /// for any 0.3 s; spliced-in starved encodes reach 1.3–1.6×, so this default favours no
    /// false alarms over catching mild macroblocking (lower it to 1.25 to catch more).
    pub ratio_factor: f64,
    /// Time constant of the baseline, in seconds. Default `4.0`: follows scene changes within a
    /// few seconds, while a damage episode of a second or two barely moves it (damaged pictures
    /// are learnt ten times slower).
    pub adapt: f64,
    /// Seconds learnt before the content signal may fire. Default `1.0` (25–30 pictures).
    pub warmup: f64,
    /// Seconds the content signal must hold before it counts. Default `0.3`: a single blocky
    /// key frame after a scene cut is not damage.
    pub min_duration: f64,
    /// Read every `sample_step`-th row along the vertical block grid lines (horizontal lines are
    /// read in full, which vectorises). Default `4`: two rows of every 8×8 block; the same
    /// verdicts on the tuning corpus as `2` at two thirds of the cost.
    pub sample_step: usize,
}

impl Default for CorruptionConfig {
    fn default() -> Self {
        CorruptionConfig {
            decoder: true,
            content: true,
            max_recovery: 10.0,
            notices: true,
            merge_gap: 0.5,
            ratio_factor: 1.4,
            adapt: 4.0,
            warmup: 1.0,
            min_duration: 0.3,
            sample_step: 4,
        }
    }
}

impl DetectorConfig for CorruptionConfig {
    const TYPE: &'static str = "corruption";

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.positive_seconds("max_recovery", self.max_recovery)?;
        c.seconds("merge_gap", self.merge_gap)?;
        c.at_least("ratio_factor", self.ratio_factor, 1.0)?;
        c.positive_seconds("adapt", self.adapt)?;
        c.seconds("warmup", self.warmup)?;
        c.seconds("min_duration", self.min_duration)?;
        c.require(
            (1..=8).contains(&self.sample_step),
            "sample_step",
            "must be between 1 and 8",
        )?;
        Ok(Box::new(Corruption::new(name, self.clone())))
    }
}

/// What the current interval has seen.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    decoder: bool,
    content: bool,
    share: f32,
    frames: u64,
}

/// Detects damaged picture from decoder signals and sudden blockiness. Built from a
/// [`CorruptionConfig`].
pub struct Corruption {
    name: String,
    cfg: CorruptionConfig,
    damage: DecoderDamage,
    measure: BlockMeasure,
    tracker: SpanTracker,
    content: SpanTracker,
    clock: FrameClock,
    stream: Option<usize>,
    /// Baseline blockiness index, and seconds of informative pictures it was learnt from.
    base: f32,
    /// Baseline blocky share (0–1), learnt alongside.
    base_share: f32,
    learnt: f32,
    seen: Seen,
}

impl Corruption {
    /// A corruption detector named `name`. Prefer [`CorruptionConfig::build`], which checks the
    /// values.
    pub fn new(name: &str, cfg: CorruptionConfig) -> Self {
        Corruption {
            name: name.to_string(),
            damage: DecoderDamage::new(cfg.max_recovery, cfg.notices),
            measure: BlockMeasure::new(cfg.sample_step, 2.0, 2.0),
            tracker: SpanTracker::new(0.0, cfg.merge_gap),
            content: SpanTracker::new(cfg.min_duration, 0.0),
            clock: FrameClock::default(),
            stream: None,
            base: 0.0,
            learnt: 0.0,
            base_share: 0.0,
            seen: Seen::default(),
            cfg,
        }
    }

    fn details(&self, change: SpanChange) -> Details {
        let mut d = Details::new();
        d.insert(
            "damaged_share".into(),
            json!((self.seen.share as f64 * 1000.0).round() / 1000.0),
        );
        d.insert("decoder".into(), json!(self.seen.decoder));
        d.insert("content".into(), json!(self.seen.content));
        if let SpanChange::Ended { start, end } = change {
            d.insert("frames".into(), json!(self.seen.frames));
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 1000.0).round() / 1000.0),
            );
        }
        d
    }

    fn observe(&mut self, active: bool, t: MediaTime, until: MediaTime, out: &mut Events) {
        if active && !self.tracker.is_open() && self.tracker.current_start().is_none() {
            self.seen.frames = 0;
        }
        if let Some(c) = self.tracker.observe(active, t, until) {
            out.span(&DefectKind::VIDEO_CORRUPTION, c, t, self.details(c));
            if matches!(c, SpanChange::Ended { .. }) {
                self.seen = Seen::default();
            }
        }
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            out.span(&DefectKind::VIDEO_CORRUPTION, c, at, self.details(c));
        }
        self.content.close();
        self.damage.reset();
        self.seen = Seen::default();
        self.learnt = 0.0;
        self.base = 0.0;
        self.base_share = 0.0;
    }
}

impl Detector for Corruption {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        if self.cfg.decoder {
            Wants::VIDEO | Wants::NOTICES
        } else {
            Wants::VIDEO
        }
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Notice(n) if self.cfg.decoder => {
                if let Some(t) = self.damage.notice(n) {
                    self.seen.decoder = true;
                    self.observe(true, t, t, out);
                }
            }
            Media::Video(f) => {
                if *self.stream.get_or_insert(f.stream()) != f.stream() {
                    return;
                }
                let t = f.time();
                let until = self.clock.until(f);
                let mut decoder = false;
                if self.cfg.decoder {
                    let d = self.damage.frame(f);
                    if let Some(e) = d.early {
                        self.seen.decoder = true;
                        self.observe(true, e, e, out);
                    }
                    decoder = d.on_screen;
                }
                let mut content = false;
                if self.cfg.content {
                    let s = self.measure.measure(f.analysis().luma());
                    let dt = until.secs_since(t).clamp(0.001, 1.0) as f32;
                    let warm = self.learnt >= self.cfg.warmup as f32;
                    let limit = self.base * self.cfg.ratio_factor as f32;
                    let informative = s.activity >= MIN_ACTIVITY;
                    let hit = warm && informative && !decoder && s.ratio > limit;
                    // Learn from pictures not judged damaged; from damaged ones ten times
                    // slower, so a lasting change of the stream is absorbed in the end.
                    let tau = self.cfg.adapt as f32 * if hit || decoder { 10.0 } else { 1.0 };
                    if informative {
                        // Until warm: the plain mean of what was seen.
                        let a = if warm {
                            (dt / tau).min(1.0)
                        } else {
                            dt / (self.learnt + dt)
                        };
                        self.base += a * (s.ratio - self.base);
                        self.base_share += a * (s.share - self.base_share);
                        self.learnt += dt;
                    }
                    if let Some(SpanChange::Started { start }) = self.content.observe(hit, t, until)
                    {
                        self.seen.content = true;
                        self.observe(true, start, until, out);
                    }
                    content = self.content.is_open();
                    if content {
                        // The blocks that turned blocky: the share above the stream's normal one, as a
                        // share of the blocks that were not blocky before.
                        let excess = (s.share - self.base_share).max(0.0)
                            / (1.0 - self.base_share).max(0.05);
                        self.seen.share = self.seen.share.max(excess.min(1.0));
                    }
                }
                if decoder {
                    self.seen.decoder = true;
                }
                let active = decoder || content;
                if active || self.tracker.is_open() {
                    self.seen.frames += 1;
                }
                self.observe(active, t, until, out);
            }
            _ => {}
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
