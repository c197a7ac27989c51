//! The programme's own impulse series: a candidate that keeps the step of the last two
//! impulses its channel had before it, neither of them a click, is the next of them.
//!
//! Some programme sounds are a series of impulses that each stand out of the residual like a
//! click: a percussion tick played on every sixteenth note (hard-panned, so on one channel
//! only), the glottal pulses of a buzzy synthetic voice. Most of the series fails the other
//! tests (a louder sound around it, a level change), but now and then one member passes them
//! all. An added click is unrelated to the sound: it does not fall where the programme's last
//! two impulses put the next one (or the one after it: the member taken for the series is not
//! added to it). The step may wander a little (a player's timing, a voice's jitter, the
//! trigger's position within a smeared impulse): within [`STEP_SPREAD`] of it (per step) plus
//! `Geometry::step_jitter`. Only impulses rejected by the other tests make the series, so a
//! train of clicks (a clock slip every few hundred ms) that had two of its members rejected
//! loses at most the next two, not the rest of it.

use super::geometry::Geometry;

/// Largest difference between the candidate's distance to the last impulse and the step
/// before it, as a share of that step (4 %): played and sequenced rhythms keep their step to
/// 1–3 % and a voice's period varies by 1–2 % from one pulse to the next; the step from the
/// two rejected impulses to an added click in the real-content evaluation differed by 29 % and
/// more.
pub(super) const STEP_SPREAD: f64 = 0.04;

/// Largest ratio of residual peaks (either way) between the candidate and each earlier
/// impulse of the series (20 dB): the same sound, played louder or softer.
const SIMILAR: f32 = 10.0;

/// Largest ratio of residual peaks (either way) between a candidate and a recent impulse of
/// its channel that the tests rejected, for the candidate to be the same sound again (3 dB).
/// The programme's recurring hits (a hard-panned hi-hat on a sixteenth-note grid, most of its
/// hits too weak to trigger) stand out alike: 0.4–2.9 dB apart on the real-content music. An
/// added click is louder or weaker than the programme's impulses before it: 5.2 dB and more
/// from each of its channel's last two rejected impulses within half a second, over the 163
/// clicks found on the real-content click groups.
const RECUR: f32 = 1.4125;

/// The last two candidates of one channel judged not to be clicks: position of the residual
/// peak and its magnitude, newest first.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Series {
    last: [Option<(i64, f32)>; 2],
}

impl Series {
    /// Records a candidate judged not to be a click.
    pub(super) fn push(&mut self, peak: i64, amp: f32) {
        self.last[1] = self.last[0];
        self.last[0] = Some((peak, amp));
    }

    /// Whether a candidate at `peak` with residual peak `amp` continues the series: the last
    /// two rejected impulses are `step` apart (within the geometry's bounds), similar in size
    /// to it, and it follows the last one by one or two steps (the series goes on while one
    /// of its impulses is taken for it).
    pub(super) fn continues(&self, peak: i64, amp: f32, g: &Geometry) -> bool {
        let (Some((t1, a1)), Some((t2, a2))) = (self.last[0], self.last[1]) else {
            return false;
        };
        let step = t1 - t2;
        if step < g.step_min as i64 || step > g.step_max as i64 {
            return false;
        }
        let similar = |a: f32| a * SIMILAR >= amp && amp * SIMILAR >= a;
        if !similar(a1) || !similar(a2) {
            return false;
        }
        (1..=2).any(|n| {
            let spread = n as f64 * step as f64 * STEP_SPREAD + g.step_jitter as f64;
            (((peak - t1) - n * step).abs() as f64) <= spread
        })
    }
}

impl Series {
    /// Whether a candidate at `peak` with residual peak `amp` is the same sound as a recent
    /// impulse of its channel that the tests rejected: one of the last two lies
    /// `Geometry::step_min` to `Geometry::step_max` before it, within [`RECUR`] of its size.
    /// The programme repeats its sounds; an added click is unrelated to them.
    pub(super) fn recurs(&self, peak: i64, amp: f32, g: &Geometry) -> bool {
        self.last.iter().flatten().any(|&(t, a)| {
            let d = peak - t;
            d >= g.step_min as i64 && d <= g.step_max as i64 && a * RECUR >= amp && amp * RECUR >= a
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::audio::ClickConfig;

    fn geometry() -> Geometry {
        Geometry::new(48_000, &ClickConfig::default())
    }

    #[test]
    fn the_next_impulse_of_a_steady_series_continues_it() {
        let g = geometry();
        let mut s = Series::default();
        assert!(!s.continues(16_000, 1.0, &g));
        s.push(8_000, 0.5);
        assert!(!s.continues(16_000, 1.0, &g));
        s.push(16_000, 0.3);
        // One sixteenth note at 90 bpm (8000 samples) later, 2 % off: the next tick.
        assert!(s.continues(24_160, 1.0, &g));
        assert!(s.continues(23_840, 1.0, &g));
        // Off the step, or far louder than the series: not its member.
        assert!(!s.continues(24_600, 1.0, &g));
        assert!(!s.continues(20_000, 1.0, &g));
        // Two steps on (the next one was taken for the series), not three.
        assert!(s.continues(32_300, 1.0, &g));
        assert!(!s.continues(28_000, 1.0, &g));
        assert!(!s.continues(40_000, 1.0, &g));
        assert!(!s.continues(24_000, 8.0, &g));
    }

    #[test]
    fn steps_out_of_bounds_make_no_series() {
        let g = geometry();
        let mut s = Series::default();
        // Closer than a voice's shortest period.
        s.push(1_000, 1.0);
        s.push(1_050, 1.0);
        assert!(!s.continues(1_100, 1.0, &g));
        // Longer than half a second.
        let mut s = Series::default();
        s.push(0, 1.0);
        s.push(30_000, 1.0);
        assert!(!s.continues(60_000, 1.0, &g));
        // Glottal pulses 6 ms apart.
        let mut s = Series::default();
        s.push(10_000, 1.0);
        s.push(10_288, 1.0);
        assert!(s.continues(10_580, 1.0, &g));
    }
}
