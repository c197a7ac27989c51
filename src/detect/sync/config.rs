//! The sync detector's configuration and tolerance presets.

use serde::{Deserialize, Serialize};

use crate::detect::{Detector, DetectorConfig};

use crate::error::Result;

use super::AvSync;
use crate::detect::ConfigCheck;

/// A published A/V sync tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPreset {
    /// EBU Recommendation R37: audio may lead by 40 ms and lag by 60 ms.
    EbuR37,
    /// ITU-R BT.1359 detectability thresholds: lead 45 ms, lag 125 ms.
    ItuBt1359,
    /// ATSC IS-191: lead 15 ms, lag 45 ms.
    AtscIs191,
}

impl SyncPreset {
    /// `(max lead, max lag)` in ms.
    pub fn limits(self) -> (f64, f64) {
        match self {
            SyncPreset::EbuR37 => (40.0, 60.0),
            SyncPreset::ItuBt1359 => (45.0, 125.0),
            SyncPreset::AtscIs191 => (15.0, 45.0),
        }
    }
}

/// Configuration of the [`AvSync`] detector (type `"sync"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::SyncConfig};
/// let c: SyncConfig = serde_json::from_str(r#"{"preset": "itu_bt1359"}"#).unwrap();
/// assert_eq!(c.limits(), (45.0, 125.0));
/// assert!(SyncConfig { search_range: 0.0, ..Default::default() }.build("sync").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// The tolerance. Default `ebu_r37` (lead 40 ms, lag 60 ms): the broadcast recommendation for
    /// the whole chain.
    pub preset: SyncPreset,
    /// How far audio may lead (ms, ≥ 0), overriding the preset. Default none.
    pub max_lead_ms: Option<f64>,
    /// How far audio may lag (ms, ≥ 0), overriding the preset. Default none.
    pub max_lag_ms: Option<f64>,
    /// Run the timeline checks. Default `true`.
    pub timestamps: bool,
    /// Run the flash/beep check. Default `true`.
    pub pattern: bool,
    /// Seconds between the first sound and the first picture beyond which the start is reported.
    /// Default `1.0`: far above codec priming (21 ms for AAC) and B-frame reordering delays
    /// (< 0.2 s), so only a stream that really began late is reported.
    pub max_start_gap: f64,
    /// Minimum jump of mean luma (8-bit code values) from one picture to the next for a flash.
    /// Default `50`: a white flash over a mid-grey pattern jumps by about 110; half of that
    /// keeps dimmer flashes while most scene changes of real footage fall back too slowly.
    pub flash_jump: f64,
    /// Longest flash, seconds: the picture must fall back within it. Default `0.2` (5 frames at
    /// 25 fps; test patterns flash for one or two).
    pub max_flash: f64,
    /// Minimum rise of the 1 ms peak level over the loudest of the previous 50 ms for a beep
    /// onset, dB. Default `20`: a tone burst after quiet rises by far more; music rarely does.
    pub beep_rise_db: f64,
    /// Longest beep, seconds: the level must fall under a tenth of the burst's peak within it.
    /// Default `0.5` (test beeps are 10–200 ms; music after a pause goes on).
    pub max_beep: f64,
    /// Seconds around a flash searched for its beep. Default `1.0` (the issue's ±1 s; the
    /// nearest beep wins, so a 1 s pattern period resolves offsets up to ±0.5 s).
    pub search_range: f64,
    /// Pairs in the running estimate. Default `5`.
    pub window_pairs: usize,
    /// Pairs needed before `av_sync` can be raised. Default `3`: one odd pair is not an alarm.
    pub min_pairs: usize,
    /// Minimum confidence (share of the window's pairs, or matched cuts, within 10 ms of the
    /// estimate) to raise `av_sync`. Default `0.6`.
    pub min_confidence: f64,
    /// Run the content check (picture cuts matched with audio splices). Default `true`.
    pub content: bool,
    /// Minimum mean absolute luma change (8-bit code values) from one picture to the next for
    /// a cut. Default `12`: a change of shot moves most pixels by tens of code values, camera
    /// motion by a few (and a cut must also be 4 times its neighbours' median change).
    pub cut_jump: f64,
    /// Minimum depth (dB) of an audio splice: a 2.5 ms block under the level of both the 15 ms
    /// before and after it. Default `16`: an edit's fade notch in continuous sound is 20 dB or
    /// more; gaps between notes of music are mostly shallower or longer.
    pub splice_depth_db: f64,
    /// Seconds of matched cuts in the content estimate. Default `30`.
    pub content_window: f64,
    /// Matched cuts that must agree (within 10 ms of the estimate) before the content check
    /// raises or clears `av_sync`. Default `2`.
    pub min_cuts: usize,
    /// Run the lip-sync check (the cells of the picture whose luma follows the speech level,
    /// cross-correlated with it). Default `true`.
    pub lipsync: bool,
    /// Seconds of pictures in one lip-sync analysis (one runs every 5 s). Default `20`: long
    /// enough for tens of syllables, short enough to follow a change of offset.
    pub lipsync_window: f64,
    /// Lowest correlation (mean of the best cells at the peak) for a confident lip-sync
    /// estimate. Default `0.4`.
    pub lipsync_min_corr: f64,
    /// Lowest confidence (peak × (1 − second peak / peak)) of a lip-sync window that may raise
    /// or clear `av_sync`. Default `0.3`: the talking heads of the evaluation give 0.31–0.58 per
    /// window (0.38 and up when an alarm opens); a looped cartoon without speech whose windows
    /// agreed at a lag near the search range's edge gave 0.17–0.25.
    pub lipsync_min_confidence: f64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            preset: SyncPreset::EbuR37,
            max_lead_ms: None,
            max_lag_ms: None,
            timestamps: true,
            pattern: true,
            max_start_gap: 1.0,
            flash_jump: 50.0,
            max_flash: 0.2,
            beep_rise_db: 20.0,
            max_beep: 0.5,
            search_range: 1.0,
            window_pairs: 5,
            min_pairs: 3,
            min_confidence: 0.6,
            content: true,
            cut_jump: 12.0,
            splice_depth_db: 16.0,
            content_window: 30.0,
            min_cuts: 2,
            lipsync: true,
            lipsync_window: 20.0,
            lipsync_min_corr: 0.4,
            lipsync_min_confidence: 0.3,
        }
    }
}

impl SyncConfig {
    /// `(max lead, max lag)` in ms after overrides.
    pub fn limits(&self) -> (f64, f64) {
        let (lead, lag) = self.preset.limits();
        (
            self.max_lead_ms.unwrap_or(lead),
            self.max_lag_ms.unwrap_or(lag),
        )
    }
}

impl DetectorConfig for SyncConfig {
    const TYPE: &'static str = "sync";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        if let Some(v) = self.max_lead_ms {
            c.at_least("max_lead_ms", v, 0.0)?;
        }
        if let Some(v) = self.max_lag_ms {
            c.at_least("max_lag_ms", v, 0.0)?;
        }
        c.positive_seconds("max_start_gap", self.max_start_gap)?;
        c.require(
            self.flash_jump.is_finite() && self.flash_jump > 0.0 && self.flash_jump <= 255.0,
            "flash_jump",
            "must be between 0 and 255",
        )?;
        c.positive_seconds("max_flash", self.max_flash)?;
        c.require(
            self.beep_rise_db.is_finite() && self.beep_rise_db > 0.0,
            "beep_rise_db",
            "must be a finite number of dB > 0",
        )?;
        c.positive_seconds("max_beep", self.max_beep)?;
        c.require(
            self.search_range.is_finite() && self.search_range > 0.0 && self.search_range <= 10.0,
            "search_range",
            "must be between 0 and 10 seconds",
        )?;
        c.require(
            (1..=64).contains(&self.window_pairs),
            "window_pairs",
            "must be 1 to 64",
        )?;
        c.require(
            self.min_pairs >= 1 && self.min_pairs <= self.window_pairs,
            "min_pairs",
            "must be 1 to window_pairs",
        )?;
        c.require(
            (0.0..=1.0).contains(&self.min_confidence),
            "min_confidence",
            "must be between 0 and 1",
        )?;
        c.require(
            self.cut_jump.is_finite() && self.cut_jump > 0.0 && self.cut_jump <= 255.0,
            "cut_jump",
            "must be between 0 and 255",
        )?;
        c.require(
            self.splice_depth_db.is_finite() && self.splice_depth_db > 0.0,
            "splice_depth_db",
            "must be a finite number of dB > 0",
        )?;
        c.require(
            self.content_window.is_finite()
                && self.content_window >= 1.0
                && self.content_window <= 600.0,
            "content_window",
            "must be between 1 and 600 seconds",
        )?;
        c.require(
            (1..=64).contains(&self.min_cuts),
            "min_cuts",
            "must be 1 to 64",
        )?;
        c.require(
            self.lipsync_window.is_finite()
                && self.lipsync_window >= 10.0
                && self.lipsync_window <= 30.0,
            "lipsync_window",
            "must be between 10 and 30 seconds",
        )?;
        c.require(
            self.lipsync_min_corr.is_finite()
                && self.lipsync_min_corr > 0.0
                && self.lipsync_min_corr <= 1.0,
            "lipsync_min_corr",
            "must be above 0 and at most 1",
        )?;
        c.require(
            self.lipsync_min_confidence.is_finite()
                && self.lipsync_min_confidence >= 0.0
                && self.lipsync_min_confidence <= 1.0,
            "lipsync_min_confidence",
            "must be between 0 and 1",
        )?;
        Ok(Box::new(AvSync::new(name, self.clone())))
    }
}
