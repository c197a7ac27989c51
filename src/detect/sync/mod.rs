//! `sync`: audio and video out of step (`av_sync`).
//!
//! Three independent checks, each with its own interval and `details.source`:
//!
//! - **`timestamps`** — the two timelines themselves. (a) A *start gap*: the first sound and the
//!   first picture are more than [`max_start_gap`](SyncConfig::max_start_gap) apart (the
//!   decoder maps both onto the input's start time, and an AAC encoder's priming is either
//!   dropped by the decoder, from the skip samples FFmpeg reports, or sits *before* the first
//!   picture, so a few tens of ms are normal). (b) A *discontinuity* that moves the two raw
//!   timelines by different amounts: the decoder bridges each stream's jump on its own, so the
//!   difference of the two jumps (each less its stream's frame step) is an offset that the
//!   bridged timeline no longer shows. (c) *Drift*: the audio timestamps against the count of
//!   samples since the first frame (the sample clock); a skew of the audio clock against the
//!   timestamps accumulates into an offset (reported once it passes the tolerance) and a skew in
//!   ppm (metric `clock_skew_ppm`). A step of more than 10 ms between two frames is a gap (lost
//!   packets), not drift, and is not counted.
//! - **`pattern`** — flash/beep test signals. A *flash* is a picture whose mean luma jumps by at
//!   least [`flash_jump`](SyncConfig::flash_jump) over the previous picture's and falls back
//!   by half of that within [`max_flash`](SyncConfig::max_flash) seconds; its time is the
//!   picture's presentation time. A *beep* is a rise of the 1 ms peak level by at least
//!   [`beep_rise_db`](SyncConfig::beep_rise_db) over the loudest of the previous 50 ms that falls
//!   back under a tenth of its peak within [`max_beep`](SyncConfig::max_beep) seconds; its
//!   onset is refined to the first sample whose magnitude reaches half the burst's peak over its
//!   first 10 ms. Each flash is paired with the nearest beep within
//!   [`search_range`](SyncConfig::search_range): offset = beep − flash (positive = audio late),
//!   one metric `av_offset_ms` per pair followed by `av_offset_confidence`. The estimate is the
//!   median of the last [`window_pairs`](SyncConfig::window_pairs) pairs; its confidence is the
//!   share of them within 10 ms of it. `av_sync` opens once at least
//!   [`min_pairs`](SyncConfig::min_pairs) pairs give an estimate beyond the tolerance with
//!   confidence ≥ [`min_confidence`](SyncConfig::min_confidence), and closes when the estimate
//!   is back within it (or at the end).
//! - **`content`** — edit points of ordinary program material (see `content.rs`): picture cuts
//!   matched with the short notches an edit leaves in continuous sound, within
//!   [`search_range`](SyncConfig::search_range); the median over
//!   [`content_window`](SyncConfig::content_window) with a confidence, and `av_sync` once
//!   [`min_cuts`](SyncConfig::min_cuts) agree beyond the tolerance. It measures where picture
//!   and sound were cut together, not lip movement; without such edits it gives no estimate.
//!   A cut is only matched with a notch that stands alone in the search range (speech has a
//!   notch at every stop consonant: a cut of footage unrelated to it would match one at random).
//! - **`lipsync`** — talking heads, without a model (see `lipsync.rs`, `lipcorr.rs`): the cells
//!   of the picture whose luma follows the speech level (300–3000 Hz, 40 ms), cross-correlated
//!   with it over [`lipsync_window`](SyncConfig::lipsync_window) seconds every 5 s, lags within
//!   [`search_range`](SyncConfig::search_range). A window is *confident* when the best cells'
//!   mean correlation at the peak reaches [`lipsync_min_corr`](SyncConfig::lipsync_min_corr), the
//!   next peak 120 ms or more away is under 3/4 of it, two of the best cells peak within 40 ms
//!   of it and the confidence (peak × (1 − second/peak)) reaches
//!   [`lipsync_min_confidence`](SyncConfig::lipsync_min_confidence); then metrics
//!   `lipsync_offset_ms` and `lipsync_confidence`.
//!   `av_sync` opens when two consecutive confident windows agree within 20 ms beyond the
//!   tolerance (their mean is the offset) and closes when two agree within it. Unsure: silent.
//!
//! Tolerance: EBU R37 by default (audio may lead by 40 ms or lag by 60 ms); presets for ITU-R
//! BT.1359 (detectability, +45/−125 ms) and ATSC IS-191 (+15/−45 ms), or
//! [`max_lead_ms`](SyncConfig::max_lead_ms)/[`max_lag_ms`](SyncConfig::max_lag_ms).
//!
//! Limits: the lip-sync check was tuned on a synthetic talking head (a drawn mouth whose
//! opening follows the speech level), which is far easier than a human face; on film dialogue
//! (short shots, faces turned, several speakers, music) its correlation stays at noise level
//! (≈ 0.2, against ≥ 0.55 on the synthetic head) and it is silent. The pattern check needs flashes at least `search_range` apart from other flashes'
//! beeps (a 1 s period allows offsets up to ±0.5 s); offsets of whole pattern periods cannot be
//! told apart. Drift is measured on the audio clock only (video has no clock of its own to
//! count against).

mod alarm;
mod config;
mod content;
mod lipcorr;
mod lipfeed;
mod lipsync;
mod pattern;
mod ring;
mod timestamps;

pub use config::{SyncConfig, SyncPreset};

use crate::detect::lock::StreamLock;

use crate::detect::{Detector, Events, Wants};
use crate::media::NoticeKind;
use crate::media::{AudioFrame, Media, MediaTime, VideoFrame};

use alarm::Alarm;
use content::ContentState;
use lipsync::LipState;
use pattern::{BeepState, FlashState};
use ring::TimeRing;

/// Detects audio/video offsets. Built from a [`SyncConfig`].
pub struct AvSync {
    name: String,
    cfg: SyncConfig,
    lead: f64,
    lag: f64,
    video_stream: StreamLock,
    audio_stream: StreamLock,
    first_video: Option<MediaTime>,
    first_audio: Option<MediaTime>,
    start_checked: bool,
    video_now: Option<MediaTime>,
    audio_now: Option<MediaTime>,
    video_step: f64,
    audio_step: f64,
    // timestamps
    /// Raw jumps seen at discontinuities, not yet paired: (time, jump less the stream's step).
    jump_audio: Option<(MediaTime, f64)>,
    jump_video: Option<(MediaTime, f64)>,
    /// Offset introduced by discontinuities, ms.
    disc_offset: f64,
    /// Audio sample clock: anchor tick and samples counted since, at the stream's rate.
    anchor: Option<(i64, u32)>,
    counted: i64,
    /// Drift accumulated (timestamps minus sample clock), seconds, and skipped gaps.
    drift: f64,
    gap_total: f64,
    last_dev: f64,
    /// Least-squares sums of deviation against elapsed seconds.
    fit: [f64; 5],
    next_skew_metric: f64,
    ts_alarm: Alarm,
    // pattern
    flash: FlashState,
    beep: BeepState,
    flashes: TimeRing,
    beeps: TimeRing,
    pairs: TimeRing,
    scratch: Vec<f64>,
    pattern_alarm: Alarm,
    pattern_start: Option<MediaTime>,
    // content
    content: ContentState,
    content_alarm: Alarm,
    // lipsync
    lip: LipState,
    lip_alarm: Alarm,
}

impl AvSync {
    /// A sync detector named `name`. Prefer [`SyncConfig`]'s [`build`](crate::DetectorConfig::build), which checks the values.
    pub fn new(name: &str, cfg: SyncConfig) -> Self {
        let (lead, lag) = cfg.limits();
        let window = cfg.window_pairs.max(1);
        AvSync {
            name: name.to_string(),
            lead,
            lag,
            video_stream: StreamLock::default(),
            audio_stream: StreamLock::default(),
            first_video: None,
            first_audio: None,
            start_checked: false,
            video_now: None,
            audio_now: None,
            video_step: 0.04,
            audio_step: 0.0,
            jump_audio: None,
            jump_video: None,
            disc_offset: 0.0,
            anchor: None,
            counted: 0,
            drift: 0.0,
            gap_total: 0.0,
            last_dev: 0.0,
            fit: [0.0; 5],
            next_skew_metric: 60.0,
            ts_alarm: Alarm::default(),
            flash: FlashState::default(),
            beep: BeepState::default(),
            flashes: TimeRing::new(32),
            beeps: TimeRing::new(64),
            pairs: TimeRing::new(window),
            scratch: Vec::with_capacity(window),
            pattern_alarm: Alarm::default(),
            pattern_start: None,
            content: ContentState::default(),
            content_alarm: Alarm::default(),
            lip: LipState::default(),
            lip_alarm: Alarm::default(),
            cfg,
        }
    }

    /// True when `offset_ms` (positive = audio late) is beyond the tolerance.
    fn beyond(&self, offset_ms: f64) -> bool {
        offset_ms > self.lag + 1e-6 || -offset_ms > self.lead + 1e-6
    }

    fn video(&mut self, f: &VideoFrame, out: &mut Events) {
        let t = f.time();
        if let Some(d) = f.duration().filter(|d| *d > 0.0 && d.is_finite()) {
            self.video_step = d;
        }
        self.first_video.get_or_insert(t);
        self.video_now = Some(self.video_now.map_or(t, |n| n.max(t)));
        self.check_start(out);
        if self.cfg.timestamps {
            self.pair_jumps(t, out);
        }
        if self.cfg.pattern {
            self.flashes_in(f);
            self.pair(out);
        }
        if self.cfg.content || self.cfg.lipsync {
            self.content_video(f);
        }
        if self.cfg.content {
            self.content_match(out);
        }
        if self.cfg.lipsync {
            self.lipsync_check(out, false);
        }
    }

    fn audio(&mut self, f: &AudioFrame, out: &mut Events) {
        let n = f.samples_per_channel();
        if n == 0 {
            return;
        }
        self.audio_step = f.duration_secs();
        self.first_audio.get_or_insert(f.time());
        let end = f.end_time();
        self.audio_now = Some(self.audio_now.map_or(end, |x| x.max(end)));
        self.check_start(out);
        if self.cfg.timestamps {
            self.audio_clock(f, out);
            self.pair_jumps(f.time(), out);
        }
        if self.cfg.pattern {
            self.beeps_in(f);
            self.pair(out);
        }
        if self.cfg.content {
            self.content_audio(f);
            self.content_match(out);
        }
        if self.cfg.lipsync {
            self.lipsync_audio(f);
            self.lipsync_check(out, false);
        }
    }

    fn close_all(&mut self, at: MediaTime, out: &mut Events) {
        // flashes still waiting: pair with what arrived
        self.pair_until(f64::INFINITY, at, out);
        let off = self.ts_offset();
        self.ts_alarm.close(at, off, None, "timestamps", out);
        let (est, conf) = self.estimate();
        self.pattern_alarm
            .close(at, est, Some(conf), "pattern", out);
        let (est, conf, _) = self.content_estimate();
        self.content_alarm
            .close(at, est, Some(conf), "content", out);
        if self.cfg.lipsync {
            self.lipsync_check(out, true);
        }
        let (est, conf) = self.lip.estimate.unwrap_or((0.0, 0.0));
        self.lip_alarm.close(at, est, Some(conf), "lipsync", out);
    }
}

impl Detector for AvSync {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::VIDEO | Wants::AUDIO | Wants::NOTICES
    }

    fn needs(&self) -> crate::media::Needs {
        // Mean luma and coarse luma changes: every picture (a flash or a cut is one picture),
        // not the deblocking filter.
        crate::media::Needs {
            every_frame: true,
            deblocked: false,
        }
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Video(f) => {
                if self.video_stream.accepts(f.stream()) {
                    self.video(f, out);
                }
            }
            Media::Audio(f) => {
                if self.audio_stream.accepts(f.stream()) {
                    self.audio(f, out);
                }
            }
            Media::Notice(n) => {
                // only video streams are joined: the video stream begins here (its pictures
                // from its first key frame)
                if n.kind == NoticeKind::Joined
                    && n.stream.is_some_and(|s| self.video_stream.accepts(s))
                {
                    self.first_video.get_or_insert(n.time);
                    self.check_start(out);
                    return;
                }
                let NoticeKind::Discontinuity { jump_secs } = n.kind else {
                    return;
                };
                if !self.cfg.timestamps || !jump_secs.is_finite() {
                    return;
                }
                if n.stream.is_some() && n.stream == self.audio_stream.stream() {
                    self.jump_audio = Some((n.time, jump_secs - self.audio_step));
                } else if n.stream.is_some() && n.stream == self.video_stream.stream() {
                    self.jump_video = Some((n.time, jump_secs - self.video_step));
                }
                self.pair_jumps(n.time, out);
            }
        }
    }

    fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {
        // Pattern history does not compare across the jump; the timestamp offset carries over
        // (the jumps themselves are judged from the decoder's notices).
        self.flash = FlashState::default();
        self.beep.reset();
        self.flashes.clear();
        self.beeps.clear();
        self.content.reset();
        self.lip.reset();
        self.anchor = None;
        self.gap_total = 0.0;
        self.drift = 0.0;
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close_all(at, out);
    }
}
