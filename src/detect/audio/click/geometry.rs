//! Sample counts of the click analysis at one sample rate.
//!
//! Two kinds of duration make them up. The programme's own — a predictor's stationarity, a
//! voice's pitch period, a beat, the level windows — are fixed in milliseconds. A lossy
//! codec's smear of a click is fixed in *samples*: AAC codes in blocks of 1024 and 128
//! samples, MPEG-1 Layer II in frames of 1152 through a 512-tap filter bank, AC-3 in blocks of
//! 512 and 256, whatever the sample rate, so at 32 kHz a click smeared over AAC's short
//! block lasts 1.5 times as long as at 48 kHz. The durations that stand for a codec's block
//! (the longest excess of a click, a compact excess, the reach of the excess around its peak,
//! a codec's smear before a click or on each side of it) are therefore given in milliseconds
//! at 48 kHz, the rate they were measured at, and take at lower rates at least the same number
//! of samples ([`REF_RATE`]); at 48 kHz and above they are plain milliseconds.

use super::{ClickConfig, CHUNK};

/// Sample rate at which the codec-bound durations were measured (see the module doc).
pub(super) const REF_RATE: f64 = 48_000.0;

/// Sample counts of the analysis at one sample rate.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Geometry {
    pub(super) rate: u32,
    pub(super) order: usize,
    /// Predictor estimation window and hop.
    pub(super) window: usize,
    pub(super) hop: usize,
    /// Pieces whose mean residual magnitude makes up the local level.
    pub(super) piece: usize,
    /// A trigger cluster ends after this many samples below the trigger.
    pub(super) cluster_gap: usize,
    /// Longest trigger cluster kept.
    pub(super) cluster_max: usize,
    /// Judgement windows before and after a candidate.
    pub(super) pre: usize,
    pub(super) post: usize,
    /// Samples next to the peak left out of the "before" median.
    pub(super) guard: usize,
    /// How far the excess may reach before and after the peak, and the gap that ends it.
    pub(super) reach_back: usize,
    pub(super) reach_fwd: usize,
    pub(super) excess_gap: usize,
    pub(super) max_duration: usize,
    /// Longest excess of a sharp (broadband) click: at least 8 ms.
    pub(super) max_duration_sharp: usize,
    /// Longest excess of a sharp click standing `min_excess_long_db` over the residual: AC-3's
    /// long transform window (512 samples, 10.7 ms at 48 kHz), at least `max_duration_sharp`.
    pub(super) max_duration_block: usize,
    /// Longest *compact* excess (1.25 ms): a click a codec kept within one short block.
    pub(super) compact: usize,
    /// How far a lossy codec's smear of a click may reach before it, or after its excess (8 ms
    /// at 48 kHz).
    pub(super) smear: usize,
    /// Samples on each side of a click's excess where another channel's impulse is the same
    /// impulse as a codec smears it, no copy (3 ms at 48 kHz, `common`).
    pub(super) copy_gap: usize,
    /// Excess longer than this must stand `min_excess_long_db` over the residual.
    pub(super) long_click: usize,
    /// Quiet stretch after a sharp click past which further excess is another sound's.
    pub(super) settle: usize,
    /// Shortest and longest step of the programme's impulse series, and the wander of its
    /// members' peaks beyond the share of the step (`rhythm`).
    pub(super) step_min: usize,
    pub(super) step_max: usize,
    pub(super) step_jitter: usize,
    /// Longest pitch period of a voice (12.5 ms: 80 Hz), the longest step of its pulse train
    /// (`train`).
    pub(super) voice_max: usize,
    /// Programme level windows: `inner..outer` samples on each side (short, long).
    pub(super) level_windows: [(usize, usize); 2],
    /// Samples needed after a candidate's peak to judge it.
    pub(super) wait: usize,
    /// Clicks closer than this on different channels are one click.
    pub(super) same_click: usize,
    /// Farthest another channel's copy of an impulse may lie from it (`common`): the delay
    /// between spaced microphones or of a panner.
    pub(super) copy_reach: usize,
    pub(super) burst_gap: usize,
    /// A burst is reported once it is this long (continuous crackle: one event a second).
    pub(super) max_burst: usize,
    /// Samples kept in each channel's buffer, and its capacity.
    pub(super) keep: usize,
    pub(super) capacity: usize,
}

impl Geometry {
    pub(super) fn new(rate: u32, cfg: &ClickConfig) -> Self {
        let ms = |m: f64| ((m * rate as f64 / 1000.0).round() as usize).max(1);
        // A codec's block: milliseconds at 48 kHz, at least as many samples below it.
        let block = |m: f64| ms(m).max((m * REF_RATE / 1000.0).round() as usize);
        let order = cfg.order;
        let max_duration = block(cfg.max_duration * 1000.0);
        let window = ms(21.333).max(2 * order + 2) & !1;
        let pre = ms(30.0);
        let post = ms(40.0);
        let reach_back = block(6.0);
        let cluster_gap = ms(2.0);
        let cluster_max = ms(10.0);
        // The oldest sample still needed: a candidate is judged once `wait` samples follow its
        // peak (its cluster closes at most `cluster_max + cluster_gap` after it), at the end of
        // a chunk; its judgement starts `pre + order` (or `level_outer`) before the peak. The
        // predictor needs the last `window` samples.
        let reach_fwd = block(10.0);
        let level_outer = ms(60.0);
        let wait = (post + reach_fwd).max(level_outer);
        let keep =
            (pre.max(level_outer) + order + wait.max(cluster_max + cluster_gap) + 64).max(window);
        Geometry {
            rate,
            order,
            window,
            hop: window / 2,
            piece: ms(1.3333),
            cluster_gap,
            cluster_max,
            pre,
            post,
            guard: ms(3.0),
            reach_back,
            reach_fwd,
            excess_gap: ms(1.0),
            max_duration,
            max_duration_sharp: max_duration.max(block(8.0)),
            max_duration_block: max_duration.max(block(10.7)),
            compact: block(1.25),
            smear: block(8.0),
            copy_gap: block(3.0),
            long_click: block(4.0),
            settle: ms(10.0),
            // A voice's period is at least 2.5 ms (400 Hz); a beat at 120 per minute is 0.5 s.
            step_min: ms(2.5),
            step_max: ms(500.0),
            step_jitter: ms(0.25),
            voice_max: ms(12.5),
            level_windows: [(ms(6.0), ms(30.0)), (ms(10.0), level_outer)],
            wait,
            same_click: ms(2.0),
            copy_reach: ms(20.0),
            burst_gap: (cfg.burst_gap * rate as f64).round() as usize,
            max_burst: rate as usize,
            keep,
            capacity: keep + CHUNK,
        }
    }
}
