//! The content measure's fixed thresholds: what is too flat to judge, what holds a confirmed
//! episode, and what confirms damage that never rose past the thresholds in a row.

/// Mean step (code values) below which a picture is too flat to judge or learn from (black,
/// a fade, a plain card): its few steps say nothing about the stream's blockiness.
pub(super) const MIN_ACTIVITY: f32 = 0.3;

/// Share of the thresholds (`ratio_factor` in the logarithm, `spread_factor`) that a picture's
/// rise must keep to hold a confirmed content episode, and to start it early. Half (about
/// 1.14× with the default `ratio_factor`): HEVC bit-flip damage of the real-content corpus
/// (PSNR 15–26 dB against the clean decode) measured 1.15–1.4× the baseline once smeared by
/// prediction, under the 1.3× that confirms it.
pub(super) const HOLD: f32 = 0.5;

/// Pictures of one weak run (rise above [`HOLD`] of the thresholds) that must rise past the
/// thresholds, and by [`HOLD`] of them on both the 8- and the 16-pixel grid, for the run to be
/// damage when its strong pictures do not last `min_duration` in a row. 3: HEVC bit-flip
/// damage of the real-content corpus showed 3–18 in such runs of 0.3–2.5 s; clean pictures of
/// both real-content draws and both shared-corpus draws showed none (synthetic graphics on an
/// 8-pixel period rise on the 8-pixel grid only).
pub(super) const SPREAD_HITS: u32 = 3;

/// Seconds that consecutive pictures must keep rising on both the 8- and the 16-pixel grid by
/// [`HOLD`] of the thresholds for the run to be damage, though none rose past the thresholds.
/// Damage the decoder did not report stays on screen until the next key frame, and its blocks
/// (CTUs, macroblocks) step on both grids on every picture of that time; the coding of clean
/// content swings on both grids together for a picture or two at most. 0.6: on the clean clips
/// of four draws of the real-content evaluation and three hold-out sets such runs lasted at
/// most 0.2 s; HEVC bit-flip damage, smeared to 1.14–1.3× by prediction, 0.8–4 s.
pub(super) const BOTH_LASTS: f64 = 0.6;
