//! Peaks piling up at a ceiling: the half-waves of one channel whose peaks sit just under the
//! loudest level of the last seconds, counted window by window.
//!
//! A clipped passage, once a lossy codec has decoded it, no longer has exactly flat tops: the codec
//! rounds them and rings around them. What stays is the ceiling: peak after peak, of both
//! polarities, reaches the same level and none goes above it, so the peaks of the half-waves (the
//! stretches between two sign changes) pile up within a fraction of a dB under the loudest level of
//! the last seconds (or the next loudest, when the loudest is one window's overshoot: see
//! `level`). Sound that is loud but not clipped reaches its loudest level
//! now and then, with its other peaks spread below it; a steady tone piles up too, but its
//! half-waves are rounded (see [`Piles::flatness`]), while clipped ones keep broad tops. A voice
//! (an asymmetric wave) clipped only on the side of its tall pulses piles one polarity, but pressed
//! together at the rail within a few thousandths, where its unclipped peaks spread, or (a few
//! pulses cut over different widths, their tops spread by a codec) with tops broader than a sine's,
//! where an unclipped voice's loudest pulses are sharper or at most as round, or (a smooth voice
//! clipped lightly at 0 dBFS, its tops rounded back to a sine's shape) with each top holding a
//! run of samples at full scale, where no delivered programme peaks. A voice whose clipped
//! tops a codec has rounded to points still piles densely at one rail in both polarities (twice the
//! least pile, pressed within 0.1 dB), which loud unclipped sound does not; and a passage starts
//! with the first peak pressed to the loudest level that is broad enough for a clipped top or is
//! one of a burst of such peaks. These two, and a sparse pile of tops no flatter than a sine's
//! (pressed together or at full scale), need the sound to have risen into them, a quiet window
//! shortly before (see `rise`): a steady tone held at the ceiling piles as densely, every
//! half-wave (a synth note rounded by a codec as sparsely), but was as loud before. Under the band, a window's tops go on with a ceiling when
//! they are flat, and only trail it when they are merely not sharper than a sine's (see `under`).

use std::collections::VecDeque;

mod level;
mod rise;
mod shape;
mod under;

/// Settings of a [`Piles`] tracker, in samples and linear amplitudes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PileSettings {
    /// A peak piles up when it is at least `band` times the ceiling (`10^(-dB/20)`).
    pub(crate) band: f32,
    /// Least ceiling (full scale = 1.0): lower ceilings are not looked at.
    pub(crate) floor: f32,
    /// Windows over which the ceiling is the loudest sample (or the next loudest window's, see
    /// `level`).
    pub(crate) memory: usize,
    /// Windows over which piled peaks are counted.
    pub(crate) span: usize,
    /// Least piled peaks in `span` windows.
    pub(crate) min_pile: u32,
    /// Least mean flatness of those peaks' half-waves, unless they are at most half of the
    /// loud half-waves (peaks over half the ceiling).
    pub(crate) min_flatness: f32,
    /// Piled peaks less than this many samples apart are one chain.
    pub(crate) chain_gap: i64,
    /// Span, in samples, within which [`BURST`] peaks pressed to the ceiling are a clipped
    /// burst however sharp their tops (see [`Piles::close_window`]).
    pub(crate) burst: i64,
    /// Windows before a dense pile or a burst among which one must be quiet (see
    /// [`Piles::rose`]): the sound rose into it, unlike a steady tone held at the ceiling.
    pub(crate) rise: usize,
    /// Full scale: a top holds a run at full scale when `min_run` or more consecutive samples
    /// of its half-wave are at or above `full` (see [`Piles::close_window`]).
    pub(crate) full: f32,
    /// Consecutive samples at or above `full` that make a run at full scale.
    pub(crate) min_run: u32,
    /// The sample rate over 48 kHz, by which a top's knee (see [`Piles::knee`], a bend per
    /// sample) is scaled to a bend per 48 kHz sample: a corner a rail cut, band-limited by a
    /// codec whose bandwidth goes with the rate, bends by a share of the peak per sample that
    /// goes with the sample's length (1.5 times as much at 32 kHz), and a smooth top by its
    /// square (2.25 times: as much as a cut corner at 48 kHz, unscaled).
    pub(crate) per_48k: f32,
}

impl PileSettings {
    /// Least peak kept: half of the least ceiling.
    fn least_peak(&self) -> f32 {
        0.5 * self.floor
    }
}

/// Piled peaks of a window, reported at its close when it holds some.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Pile {
    /// Whether the last `span` windows hold enough piled peaks, flat enough: a ceiling.
    pub(crate) confirmed: bool,
    /// Whether this window's piled peaks go on with a confirmed ceiling: flat enough on
    /// average or at most half of its loud half-waves (not a steady tone's), or brief lobes
    /// (over half their peak for at most half the window) not sharper than a sine's on
    /// average: what is left of the clipping as a voice dies away, its pulses' last clipped
    /// half-waves losing only their tips, which a codec rounds to a sine's shape. Also when the
    /// window has no peak in the band but flat tops just under it, or tops there not sharper
    /// than a sine's that trail (see [`Piles::close_window`]).
    pub(crate) goes_on: bool,
    /// Position of the first piled peak (when confirmed: of the chain of peaks under the
    /// current ceiling, less than `chain_gap` apart, that leads to this window) and just after
    /// the window's last one.
    pub(crate) first: i64,
    pub(crate) last: i64,
    /// Piled peaks in the window just closed.
    pub(crate) count: u32,
    /// Largest of them.
    pub(crate) peak: f32,
    /// Whether they are sharper than a sine's half-wave on average (mean flatness under
    /// [`SHARP`]): the tip of a loud but unclipped pulse as likely as a rounded clipped top.
    pub(crate) sharp: bool,
    /// Whether these are tops under the band that only trail a confirmed ceiling (see
    /// `under`): they go on with a passage only right after its last tops.
    pub(crate) trailing: bool,
    /// Whether it was confirmed by a rule that needs the sound to have risen into the pile
    /// (see `rise`): the chain that leads to it began the clipping, not a tone held at the
    /// ceiling before it.
    pub(crate) rose: bool,
    /// For tops that trail: just after the last of them holding a run of `min_run` samples at
    /// full scale (`full`), if any (see `under`).
    pub(crate) full_end: Option<i64>,
    /// Whether the largest of them is pressed to the ceiling (within half the band).
    pub(crate) pressed: bool,
    /// Whether one of them bends more at its shoulders than at its apex by the bar that starts
    /// a passage (see `rise`): a rail's corners on a top, however pointed a codec left it.
    pub(crate) kneed: bool,
}

/// Piled peaks of one window (or peaks just under the band).
#[derive(Clone, Copy, Debug, Default)]
struct WindowPile {
    count: u32,
    /// Half-waves peaking over half the ceiling.
    loud: u32,
    /// Piled peaks of positive half-waves.
    positive: u32,
    flatness: f32,
    /// Samples of the piled half-waves at or over half their peak.
    width: u32,
    first: i64,
    last: i64,
    peak: f32,
    /// Those holding a run at full scale (counted in the band only).
    full: u32,
    /// Whether one of them bends more at its shoulders than at its apex (in the band only).
    kneed: bool,
    /// Just after the last of them holding a run at full scale (counted under the band only).
    full_end: Option<i64>,
}

impl WindowPile {
    /// Counts a peak `p` at `pos` whose half-wave has flatness `flat` (not its polarity nor
    /// its width, nor the loud half-waves).
    fn add(&mut self, p: f32, pos: i64, flat: f32) {
        if self.count == 0 {
            self.first = pos;
        }
        self.count += 1;
        self.flatness += flat;
        self.first = self.first.min(pos);
        self.last = self.last.max(pos + 1);
        self.peak = self.peak.max(p);
    }
}

/// Most samples of one half-wave kept to judge its flatness (longer ones, under 12 Hz at
/// 48 kHz, are not judged), and most half-wave peaks kept per window.
const LOUD_CAP: usize = 2048;
const PEAKS_CAP: usize = 256;
/// Least flatness of a piled peak that can start a clipped passage: a clipped top keeps a fifth
/// or more of its half-wave's loud samples within 10% of its peak, even a narrow pulse clipped
/// by a dB or two, while the sharp peaks of loud unclipped speech keep about a seventh.
const EDGE_FLATNESS: f32 = 0.2;
/// Mean flatness under which piled peaks are sharper than a sine's half-wave (0.43): the tips
/// of transients.
const SHARP: f32 = 0.3;
/// A sparse pile needs at least one in this many of the loud half-waves piled: a rail cuts
/// every half-wave that would pass it, and in the clipped music and speech of the real-content
/// evaluation a sixth to a half of the loud half-waves reach it where such piles start a
/// passage; dense loud sound that is not clipped (music held by a mastering limiter, its bass
/// and treble adding up to 100 loud half-waves in 0.1 s) puts a few of them near its loudest
/// level by chance: a fifteenth.
const SPARSEST: u32 = 10;
/// Two peaks within this ratio (0.1 dB) are pressed together at one rail.
const TIGHT: f32 = 1.011_579_5;
/// Flat tops within this many times the pile band of the ceiling go on with a confirmed one
/// (see [`Piles::close_window`]): AAC renders a clipped voice's loudest tops up to 0.6 dB over
/// the rail and its last ones up to 0.6 dB under it, 1.2 dB under the ceiling the first set.
const UNDER: i32 = 3;
/// Peaks pressed to the ceiling (within half the band) within [`PileSettings::burst`] of one
/// another that start a chain however sharp they are, when the sound rose into them (see
/// [`Piles::rose`]): a short first burst of a clipped voice, its tops rounded to points by AAC
/// (flatness 0.1 to 0.2), reaches the rail pulse after pulse in both polarities, while loud
/// unclipped speech before the clipping touches it at one pulse now and then (and a steady
/// tone at the ceiling, every pulse, but was there before).
const BURST: usize = 4;
/// Piled peaks remembered to find where a chain of them started.
const RECENT_CAP: usize = 256;

/// A piled peak remembered: its value and position, flatness, longest run of samples at full
/// scale, knee (see [`Piles::knee`]) and shoulder (see [`Piles::shoulder`]).
#[derive(Clone, Copy, Debug)]
struct Top {
    value: f32,
    pos: i64,
    flat: f32,
    run: u32,
    knee: f32,
    shoulder: f32,
}

/// An ended half-wave: peak, position, flatness, polarity, width, longest run at full scale,
/// and knee and shoulder.
type HalfWave = (f32, i64, f32, bool, u32, u32, [f32; 2]);

/// The pile-up tracker of one channel. Allocates only in [`Piles::reset`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Piles {
    positive: bool,
    peak: f32,
    peak_pos: i64,
    /// Magnitudes of the current half-wave's loud samples (those that can be over half a
    /// piled peak), and whether some did not fit.
    loud: Vec<f32>,
    overflow: bool,
    /// The bend of each of those samples (`|x|`'s second difference around it, see
    /// [`Piles::knee`]), the last two `|x|` taken, and whether the last one's bend is due.
    bends: Vec<f32>,
    prev: [f32; 2],
    bend_due: bool,
    /// Half-waves ended in the current window: peak, its position, flatness, polarity and
    /// samples at or over half the peak.
    /// And the longest run of samples at or above full scale in it, and its knee.
    peaks: Vec<HalfWave>,
    /// The current half-wave's run of samples at or above full scale, and its longest.
    run: u32,
    longest_run: u32,
    /// Samples taken in the current window.
    win_samples: u32,
    win_max: f32,
    /// Loudest sample of each of the last `memory` windows (ring).
    maxima: Vec<f32>,
    next_max: usize,
    /// Piled peaks of the last `span` windows (ring).
    span: Vec<WindowPile>,
    next_span: usize,
    /// The last piled peaks, oldest first.
    recent: VecDeque<Top>,
    /// Position of the last sample taken, just after the last window closed, and that
    /// window's length in samples.
    last_pos: i64,
    win_end: i64,
    win_len: i64,
    /// Windows closed since the reset (up to `memory`).
    filled: usize,
    /// End of the last window a dense pile confirmed.
    dense_last: Option<i64>,
}

impl Piles {
    /// Starts afresh (new format or after a gap), sized for `s`.
    pub(crate) fn reset(&mut self, s: &PileSettings) {
        self.positive = true;
        self.peak = 0.0;
        self.peak_pos = 0;
        if self.loud.capacity() < LOUD_CAP {
            self.loud = Vec::with_capacity(LOUD_CAP);
        }
        self.loud.clear();
        if self.bends.capacity() < LOUD_CAP {
            self.bends = Vec::with_capacity(LOUD_CAP);
        }
        self.bends.clear();
        self.prev = [0.0; 2];
        self.bend_due = false;
        self.overflow = false;
        if self.peaks.capacity() < PEAKS_CAP {
            self.peaks = Vec::with_capacity(PEAKS_CAP);
        }
        self.peaks.clear();
        self.win_samples = 0;
        self.win_max = 0.0;
        self.maxima.clear();
        self.maxima.resize(s.memory.max(1), 0.0);
        self.next_max = 0;
        self.span.clear();
        self.span.resize(s.span.max(1), WindowPile::default());
        self.next_span = 0;
        if self.recent.capacity() < RECENT_CAP {
            self.recent = VecDeque::with_capacity(RECENT_CAP);
        }
        self.recent.clear();
        self.last_pos = 0;
        self.win_end = 0;
        self.win_len = 1;
        self.filled = 0;
        self.dense_last = None;
    }

    /// Takes the sample `x` at position `pos`.
    #[inline]
    pub(crate) fn push(&mut self, x: f32, pos: i64, s: &PileSettings) {
        let positive = x >= 0.0;
        let a = x.abs();
        if self.bend_due {
            if let Some(b) = self.bends.last_mut() {
                *b = (a - 2.0 * self.prev[0] + self.prev[1]).abs();
            }
        }
        self.prev = [a, self.prev[0]];
        if positive != self.positive {
            self.end_half_wave(s);
            self.positive = positive;
        }
        if a > self.peak {
            self.peak = a;
            self.peak_pos = pos;
        }
        self.bend_due = false;
        if a >= 0.5 * s.least_peak() {
            if self.loud.len() < LOUD_CAP {
                self.loud.push(a);
                self.bends.push(0.0);
                self.bend_due = true;
            } else {
                self.overflow = true;
            }
        }
        if a >= s.full {
            self.run += 1;
            self.longest_run = self.longest_run.max(self.run);
        } else {
            self.run = 0;
        }
        if a > self.win_max {
            self.win_max = a;
        }
        self.win_samples = self.win_samples.saturating_add(1);
        self.last_pos = pos;
    }

    fn end_half_wave(&mut self, s: &PileSettings) {
        if self.peak >= s.least_peak() && !self.overflow && self.peaks.len() < PEAKS_CAP {
            let (flat, width) = Self::flatness(&self.loud, self.peak);
            let knee = Self::knee(&self.loud, &self.bends, self.peak) * s.per_48k;
            let shoulder = Self::shoulder(&self.loud, &self.bends, self.peak);
            let run = self.longest_run;
            self.peaks.push((
                self.peak,
                self.peak_pos,
                flat,
                self.positive,
                width,
                run,
                [knee, shoulder * s.per_48k],
            ));
        }
        self.peak = 0.0;
        self.loud.clear();
        self.bends.clear();
        self.overflow = false;
        self.run = 0;
        self.longest_run = 0;
    }

    /// Most of the last `n` piled peaks lying within [`TIGHT`] of one another.
    fn tight(&self, n: usize) -> u32 {
        let n = n.min(self.recent.len());
        let last = self.recent.range(self.recent.len() - n..);
        last.clone()
            .map(|a| {
                last.clone()
                    .filter(|b| b.value >= a.value && b.value <= a.value * TIGHT)
                    .count() as u32
            })
            .max()
            .unwrap_or(0)
    }

    /// Closes the current window: counts its half-wave peaks that pile up under the ceiling
    /// (the loudest sample of the last `memory` windows, this one included, or the next loudest
    /// window's when the loudest is within the band over it: see `level`). `Some` when this
    /// window holds piled peaks; confirmed when the last `span` windows hold at least
    /// `min_pile` of them within the band of the ceiling as it is now, at least two of each
    /// polarity (or, a voice clipped on one side, `min_pile` within 0.1 dB of one another or
    /// flat enough on average), flat enough on average or at most half (and at least a tenth,
    /// [`SPARSEST`]) of the loud half-waves and not sharper than a sine's on average (a steady
    /// tone piles all of its peaks, rounded ones; loud hits pile the sharp tips of their
    /// transients; dense loud sound a few of its many), under a ceiling already reached before
    /// this window (not one a crescendo is still raising). A window without piled peaks but
    /// with flat tops just under the band (two or more, within [`UNDER`] times the band of the
    /// ceiling, broader than a sine's on average) is `Some` too, not confirmed but going on, and
    /// so is one with fewer or rounder tops there, not sharper than a sine's, which only trail
    /// (see `under`).
    pub(crate) fn close_window(&mut self, s: &PileSettings) -> Option<Pile> {
        self.maxima[self.next_max] = self.win_max;
        self.next_max = (self.next_max + 1) % self.maxima.len();
        self.win_max = 0.0;
        // The ceiling as it was before this window: a clipping rail holds, each window's tops
        // at the level reached before (a codec's overshoot adds a few hundredths of a dB), while
        // sound getting louder (the onset of a loud passage) sets a new loudest level in each
        // window and piles its peaks under a ceiling of its own.
        let len = self.maxima.len();
        let newest = (self.next_max + len - 1) % len;
        let (ceiling, before, loudest) = level::ceilings(&self.maxima, newest, s.band);
        let held = len == 1 || before * TIGHT >= ceiling;
        let mut w = WindowPile::default();
        let mut under = [WindowPile::default(); 2];
        if ceiling >= s.floor {
            let (band, below) = (s.band * ceiling, s.band.powi(UNDER) * ceiling);
            for &(p, pos, flat, positive, width, run, [knee, shoulder]) in &self.peaks {
                w.loud += u32::from(p >= 0.5 * ceiling);
                if p < band && p >= below {
                    let u = &mut under[usize::from(positive)];
                    u.add(p, pos, flat);
                    if run >= s.min_run {
                        u.full_end = u.full_end.max(Some(pos + 1));
                    }
                }
                if p >= band {
                    if self.recent.len() == RECENT_CAP {
                        self.recent.pop_front();
                    }
                    self.recent.push_back(Top {
                        value: p,
                        pos,
                        flat,
                        run,
                        knee,
                        shoulder,
                    });
                    w.add(p, pos, flat);
                    w.positive += u32::from(positive);
                    w.width += width;
                    w.full += u32::from(run >= s.min_run);
                    w.kneed |= shoulder >= rise::SHOULDER;
                }
            }
        }
        self.peaks.clear();
        let samples = std::mem::take(&mut self.win_samples);
        self.win_end = self.last_pos + 1;
        self.win_len = i64::from(samples.max(1));
        self.filled = (self.filled + 1).min(len);
        self.span[self.next_span] = w;
        self.next_span = (self.next_span + 1) % self.span.len();
        if s.min_pile == 0 {
            return None;
        }
        if w.count == 0 {
            return under::judge(under, s);
        }
        let (piled, loud, positive) = self.span.iter().fold((0u32, 0u32, 0u32), |a, x| {
            (a.0 + x.count, a.1 + x.loud, a.2 + x.positive)
        });
        // The span's peaks that pile under the ceiling as it is now: a rail is one level, so
        // peaks counted under a lower ceiling of an earlier window (while the sound was still
        // getting louder: a chord's or a hit's attack rising over a few windows) are not at it.
        // (The last `piled` remembered peaks are the span's, bar those beyond `RECENT_CAP`.)
        let (count, flatness, full) = self
            .recent
            .range(self.recent.len() - (piled as usize).min(self.recent.len())..)
            .filter(|t| t.value >= s.band * ceiling)
            .fold((0u32, 0.0f32, 0u32), |a, t| {
                (a.0 + 1, a.1 + t.flat, a.2 + u32::from(t.run >= s.min_run))
            });
        let flat = flatness >= s.min_flatness * count as f32;
        let sparse = 2 * count <= loud;
        // Clipping rails are symmetric: both polarities reach the ceiling, while the loudest
        // peaks of a voice (an asymmetric wave) are mostly of one polarity.
        let both = positive >= 2 && piled - positive >= 2;
        // ... unless the voice itself was clipped on one side: then its peaks are not spread
        // under its loudest one but pressed together at the rail, `min_pile` of them within
        // 0.1 dB of one another (a codec's ripple on a rail is a few thousandths).
        // (Counted last, only when everything else confirms: it compares the peaks pairwise.)
        // ... or when those peaks are flat enough on average: a rail cuts flat tops into a
        // voice's pulses, still broader than a sine's (0.43) once a codec has rounded them and
        // spread their heights, while an unclipped voice's loudest pulses are sharper or at
        // most as round (loud flite, espeak and festival voices coded by AAC or AC-3 pile at
        // most 0.45 one way; a few pulses of flite cut at full scale, 0.52).
        // ... or when `min_pile` of them each hold a run of `min_run` samples at full scale
        // (`full`): a smooth voice (its pitch pulses rounded, 100 Hz) boosted 10 dB and cut
        // lightly at 0 dBFS, its tops rounded back by AAC to a sine's shape (flatness 0.3 to
        // 0.56, 0.44 on average) and spread over 0.5 dB, is neither flat nor pressed together,
        // but its tops stay over 0.93 for 5 to 26 samples each, where no delivered programme
        // peaks (the clean programmes of the real-content evaluation stay under 0.92). Such a
        // sparse pile needs the sound to have risen into it, as the others do. An unclipped
        // voice as smooth, peak-normalised to 0 dBFS, piles the same way and is taken for
        // clipped (full-scale programmes are not told apart here, see `detect::audio::clipping`).
        let rail =
            || both || flat || full >= s.min_pile || self.tight(piled as usize) >= s.min_pile;
        // Few piled peaks among many loud ones (a voice clipped only on its loudest pulses)
        // need tops not much sharper than a sine's: the loudest peaks of unclipped music are
        // its transients' tips, far sharper (the same hit repeated piles them at one level).
        let sparse = sparse && flatness >= SHARP * count as f32 && SPARSEST * count >= loud;
        // Confirming or going on needs this window's own piled peaks to be shaped so: a steady
        // tone does not confirm a ceiling, nor prolong a clipped stretch. A rail's last, lightly
        // clipped tops (rounded by a codec to a sine's shape, but not sharper) also go on with
        // a confirmed ceiling when they are brief: a voice dying away reaches the rail in short
        // lobes of its pulses, quiet between them, while a steady tone held at the rail's level
        // stays over half of it two thirds of the time.
        let shaped = w.flatness >= s.min_flatness * w.count as f32 || 2 * w.count <= w.loud;
        let brief = 2 * w.width <= samples;
        let goes_on = shaped || (brief && w.flatness >= SHARP * w.count as f32);
        // A dense pile pressed at one rail in both polarities needs no shape: a voice clipped
        // and coded by AAC can have its tops rounded to points (mean flatness 0.2), yet pulse
        // after pulse reaches the rail, twice `min_pile` of them within `span`, `min_pile`
        // within 0.1 dB of one another, and at least a tenth ([`SPARSEST`]) of its loud
        // half-waves. (Dense loud music puts as many near its loudest level by chance, but
        // among twenty times as many loud half-waves.) The sound must have risen into the pile
        // (a quiet window in the `rise` before the span) or into the chain of such piles that
        // leads to it (see [`Piles::rose`]): a steady tone held at the ceiling (a line-up tone
        // through a codec, an organ note) piles as densely, but was as loud before.
        let risen = || self.dense_goes_on(w.first, s) || self.rose(s.span, ceiling, s);
        let dense = || {
            count >= 2 * s.min_pile
                && both
                && SPARSEST * count >= loud
                && self.tight(piled as usize) >= s.min_pile
                && risen()
        };
        // A sparse pile of tops no flatter than a sine's is guarded as the dense pile is: a
        // steady note whose tops a codec has rounded (a buzzy synth note, one top per edge at
        // the ceiling among three loud lobes under it) piles as sparsely, but was as loud
        // before. Flat tops need no guard.
        // A sparse pile needs this window's tops shaped so too, unless each of them holds a
        // run at full scale, as `min_pile` of the span's do: a shouted voice's syllable whose
        // tops a codec rounded back to a sine's shape at the rail, in both polarities, one
        // pitch period a window (its every loud half-wave but one at the rail, flatness 0.3 to
        // 0.5, 14 to 34 samples over 0.93: seed 22's AC-3 `clipping_0dB_ac3_1`, 1.9 s before
        // the syllable with flat tops that confirmed it). A steady tone is not sparse, and the
        // sound must have risen into the pile.
        let at_full = w.full == w.count && full >= s.min_pile;
        let (confirmed, densely) = match count >= s.min_pile && held {
            false => (false, false),
            true if shaped && flat && rail() => (true, false),
            true if (shaped || at_full) && sparse && rail() && risen() => (true, true),
            true if shaped => {
                let d = dense();
                (d, d)
            }
            true => (false, false),
        };
        if densely {
            self.dense_last = Some(w.last);
        }
        // Where the ceiling began: the first of the remembered peaks, each less than
        // `chain_gap` after the one before, pressed to the ceiling as it is now (within half
        // the band) with a top broad enough for a clipped one: loud sound just under the
        // ceiling before the clipping begins (sharp peaks a few tenths of a dB under it) is
        // not its start.
        // Sharp peaks count too when they come in a burst the sound rose into: [`BURST`] or
        // more pressed to the ceiling within `burst` samples (see [`Piles::burst`]).
        let mut first = w.first;
        if confirmed {
            let edge = s.band.sqrt() * loudest;
            for (i, t) in self.recent.iter().enumerate().rev() {
                if first - t.pos >= s.chain_gap {
                    break;
                }
                if t.value >= edge && (t.flat >= EDGE_FLATNESS || self.burst(i, edge, ceiling, s)) {
                    first = first.min(t.pos);
                }
            }
        }
        Some(Pile {
            confirmed,
            goes_on,
            first,
            last: w.last,
            count: w.count,
            peak: w.peak,
            sharp: w.flatness < SHARP * w.count as f32,
            trailing: false,
            rose: densely,
            full_end: None,
            pressed: w.peak >= s.band.sqrt() * ceiling,
            kneed: w.kneed,
        })
    }
}

#[cfg(test)]
mod tests;
