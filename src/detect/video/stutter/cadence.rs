//! The repeat history of `stutter`: the holds of the last pictures and the last repeats, from
//! which a stream's **cadence** (its regular repeats) and its **habit** (repeats too frequent
//! and irregular to be faults) are learned.
//!
//! The holds, and the regular cadence learned from them, are kept by [`Holds`] (`holds.rs`).

use super::holds::Holds;
use crate::media::MediaTime;

/// Repeats (pictures held 2 frames or more) remembered for the repeat period.
const REPEATS: usize = 64;
/// Longest repeat period looked for, in seconds.
const MAX_PERIOD: f64 = 2.0;
/// Seconds over which repeats beyond the cadence are counted for the stream's habit.
const HABIT_SECS: f64 = 10.0;

/// One remembered repeat.
#[derive(Clone, Copy, Debug, Default)]
struct Repeat {
    /// Time of its first frame, in seconds.
    start: f64,
    /// Frames it was shown.
    hold: u32,
    /// It counts for the stream's habit when held beyond the cadence (held under a second,
    /// with content).
    pause: bool,
    /// A short repeat with content, whatever the cadence.
    short: bool,
    /// Held in a near-still (a step into or out of it too small to tell a repeat from
    /// motion): where it began or ended is unknowable, and it is no evidence of a rhythm.
    still: bool,
}

impl Repeat {
    /// A short repeat that counts against a period: one with content, not in a near-still.
    fn counts(&self) -> bool {
        self.short && !self.still
    }
}

/// Holds of the last [`HISTORY`](super::holds::HISTORY) pictures and the last repeats (ring
/// buffers).
pub(super) struct History {
    holds: Holds,
    repeats: [Repeat; REPEATS],
    n_repeats: usize,
    next_repeat: usize,
    /// The last rhythm learned: a repeat at `.0` seconds, a period of `.1` seconds, holds of
    /// up to `.2` frames.
    grid: Option<(f64, f64, u32)>,
    /// Repeats found on that rhythm's periods since it was learned.
    grid_count: u32,
    /// The rhythm confirmed last (3 repeats on its periods), while a newer one is not: the
    /// chance repeats of a slow scene may set a rhythm of their own, and a conversion's
    /// repeats after the scene must still fall on the one the stream has.
    confirmed: Option<(f64, f64, u32)>,
}

impl History {
    /// An empty history.
    pub(super) fn new() -> Self {
        History {
            holds: Holds::new(),
            repeats: [Repeat::default(); REPEATS],
            n_repeats: 0,
            next_repeat: 0,
            grid: None,
            grid_count: 0,
            confirmed: None,
        }
    }

    /// Learns the rhythm of a repeat at `at` (seconds) held `hold` frames, one every `period`
    /// seconds.
    pub(super) fn set_grid(&mut self, at: f64, period: f64, hold: u32) {
        if period > 0.0 {
            if self.grid_count >= 3 {
                self.confirmed = self.grid;
            }
            self.grid = Some((at, period, hold));
            self.grid_count = 1;
        }
    }

    /// The rhythm learned last was confirmed by 3 repeats or more on its periods.
    pub(super) fn settled(&self) -> bool {
        self.grid.is_some() && self.grid_count >= 3
    }

    /// The period (seconds) of the rhythm learned last.
    pub(super) fn rhythm_period(&self) -> Option<f64> {
        self.grid.map(|(_, period, _)| period)
    }

    /// A repeat in motion at `start` lies off the rhythm learned last, which was confirmed by
    /// 3 repeats or more and repeats a picture every 4 frames or more (24 → 25, pulldown):
    /// it begins after the rhythm's last repeat and before its next one, more than the slack
    /// of [`History::period_hold`] from both, and no other repeat came since the rhythm's
    /// last one.
    pub(super) fn off_grid(&self, start: f64, frame_secs: f64) -> bool {
        let Some((at, period, _)) = self.grid.filter(|_| self.grid_count >= 3) else {
            return false;
        };
        // No other repeat came since the rhythm's last one: the pictures between were shown
        // once (a scene whose pictures are all held 2 or 3 frames is no rhythm of repeats).
        let last_repeat = (self.n_repeats > 0).then(|| self.repeat_back(0).start);
        let tol = slack(period, frame_secs);
        last_repeat.is_some_and(|l| (l - at).abs() < 1e-9)
            && period >= 3.9 * frame_secs
            && start - at > tol
            && start - at < period - tol
    }

    /// A repeat at `start` held `hold` frames is one of three in a row, held as long or longer,
    /// a conversion's period apart (the two others before or after it, held where the scene
    /// could be seen, not in a near-still): 24 or 25 frames (24 → 25 fps, as its rounding
    /// falls; 23 to 25 for holds of 3 frames or more: animation on twos converted 24 → 25
    /// holds a drawing 3 frames about once a second) or 5 frames (pulldown), both gaps of one
    /// kind and whole numbers of frames (a picture repeated once 23 frames after the
    /// conversion's last repeat lies off its rhythm). A rhythm is learned from 4 repeats; 3 at
    /// a conversion's period are already its own when its programme began after a cut, a
    /// still or the stream's start.
    pub(super) fn conversion_chain(&self, start: f64, frame_secs: f64, hold: u32) -> bool {
        // The gap's kind (25: 24 → 25 fps, 5: pulldown) when it is a whole number of frames.
        // The conversion's extra frame falls on a picture held `hold - 1` frames, so the gap
        // is a whole number of such pictures within one of the period (24.4 to 25 frames).
        let shortest = 25 - hold.saturating_sub(1).clamp(1, 2);
        let kind = |gap: f64| {
            let frames = gap / frame_secs;
            let whole = frames.round();
            match whole as u32 {
                _ if (frames - whole).abs() > 0.2 => None,
                n if (shortest..=25).contains(&n) => Some(25),
                5 => Some(5),
                _ => None,
            }
        };
        // The repeats known around `start`, latest first (`start` itself left out).
        let near = |k: usize| {
            let r = self.repeat_back(k);
            let other = (r.start - start).abs() > 1e-9;
            (!r.still && r.short && r.hold >= hold && other).then_some(r.start)
        };
        let times = || (0..self.n_repeats).filter_map(near);
        let step = |a: f64, b: f64| kind((b - a).abs());
        times().any(|a| {
            step(a, start).is_some_and(|k| {
                times().any(|b| {
                    // b on the far side of `a` from `start`, or on the other side of `start`
                    let far = (b - a) * (a - start) > 0.0 && step(b, a) == Some(k);
                    let other = (b - start) * (a - start) < 0.0 && step(start, b) == Some(k);
                    far || other
                })
            })
        })
    }

    /// Moves the rhythm learned last `secs` later: pictures shown beyond it (a stutter off
    /// its periods) delayed its next repeats.
    pub(super) fn shift_grid(&mut self, secs: f64) {
        if let Some((at, _, _)) = self.grid.as_mut() {
            *at += secs;
        }
    }

    /// A rhythm was learned.
    pub(super) fn has_grid(&self) -> bool {
        self.grid.is_some()
    }

    /// The period (seconds) and hold of the rhythm learned last, once 3 repeats or more fell
    /// on its periods (a period found once among the repeats of a slow scene is chance).
    pub(super) fn confirmed_rhythm(&self) -> Option<(f64, u32)> {
        self.grid
            .filter(|_| self.grid_count >= 3)
            .map(|(_, period, hold)| (period, hold))
    }

    /// A repeat at `start` held `hold` frames keeps the rhythm learned last, however long ago
    /// (a conversion's rhythm runs on through static shots, where its repeats are not seen):
    /// it is held no longer, and lies on a whole number of periods after that rhythm's last
    /// repeat, or one to three periods after the latest repeat (an edit shifts the rhythm's
    /// phase), within the slack of [`History::period_hold`]; or its phase was lost
    /// (`phase_lost`: a still, a freeze or an edit since the rhythm's last repeat). It becomes
    /// the rhythm's last repeat. Failing that, one on a whole number of periods after the last
    /// repeat of the rhythm confirmed before a newer, unconfirmed one brings that rhythm back.
    pub(super) fn on_grid(
        &mut self,
        start: f64,
        frame_secs: f64,
        hold: u32,
        phase_lost: bool,
    ) -> bool {
        let Some((at, period, max_hold)) = self.grid else {
            return false;
        };
        let on_multiple =
            |from: f64, most: f64| periods_after(start, from, period, frame_secs, most);
        // The latest repeat whose place is known (a near-still's are not).
        let latest = (0..self.n_repeats)
            .map(|k| self.repeat_back(k))
            .find(|r| !r.still)
            .map(|r| r.start);
        let on_period =
            on_multiple(at, f64::INFINITY) || latest.is_some_and(|l| on_multiple(l, 3.0));
        let on = hold <= max_hold && (phase_lost || on_period);
        if on {
            self.grid = Some((start, period, max_hold));
            self.grid_count += u32::from(on_period);
            if self.grid_count >= 3 {
                self.confirmed = None;
            }
            return true;
        }
        // the rhythm confirmed before a newer, unconfirmed one: back to it
        let Some((at, period, max_hold)) = self.confirmed else {
            return false;
        };
        let back = hold <= max_hold && periods_after(start, at, period, frame_secs, f64::INFINITY);
        if back {
            self.grid = Some((start, period, max_hold));
            self.grid_count = 3;
            self.confirmed = None;
        }
        back
    }

    /// Forgets everything (after a discontinuity).
    pub(super) fn clear(&mut self) {
        self.holds.clear();
        self.n_repeats = 0;
        self.grid = None;
        self.confirmed = None;
    }

    /// Counts the holds remembered in pictures of `base` frames (a picture held 1 to `base`
    /// frames is held once, one held 4 frames twice at a base of 2): the stream was found to
    /// be made by frame doubling. Repeats held once are forgotten, and so is the rhythm.
    pub(super) fn rescale(&mut self, base: u32) {
        let base = base.max(1);
        self.holds.rescale(base);
        let mut kept = [Repeat::default(); REPEATS];
        let mut n = 0;
        for k in (0..self.n_repeats).rev() {
            let mut r = self.repeat_back(k);
            r.hold /= base;
            if r.hold > 1 {
                kept[n] = r;
                n += 1;
            }
        }
        self.repeats = kept;
        self.n_repeats = n;
        self.next_repeat = n % REPEATS;
        self.grid = None;
        self.confirmed = None;
    }

    /// Remembers a picture held `h` frames.
    pub(super) fn push_hold(&mut self, h: u32) {
        self.holds.push(h);
    }

    /// Remembers a repeat that began at `start` (seconds), held `hold` frames; `short`: it
    /// was short and had content; `pause`: it counts for [`History::habit_repeats`]; `still`:
    /// it was held in a near-still, and is left out of the rhythms ([`History::period_hold`],
    /// [`History::on_grid`]).
    pub(super) fn push_repeat(
        &mut self,
        start: f64,
        hold: u32,
        short: bool,
        pause: bool,
        still: bool,
    ) {
        self.repeats[self.next_repeat] = Repeat {
            start,
            hold,
            pause,
            short,
            still,
        };
        self.next_repeat = (self.next_repeat + 1) % REPEATS;
        self.n_repeats = (self.n_repeats + 1).min(REPEATS);
    }

    /// The repeat `k` places back (0 = the latest).
    fn repeat_back(&self, k: usize) -> Repeat {
        self.repeats[(self.next_repeat + REPEATS - 1 - k) % REPEATS]
    }

    /// Repeats that count for the habit within [`HABIT_SECS`] before `start`: those held
    /// longer than `cadence` or than the rhythm learned last (a cadence learned late does not
    /// make its own earlier repeats a habit).
    pub(super) fn habit_repeats(&self, start: f64, cadence: u32) -> usize {
        let cadence = cadence.max(self.grid.map_or(1, |g| g.2));
        (0..self.n_repeats)
            .map(|k| self.repeat_back(k))
            .take_while(|r| start - r.start <= HABIT_SECS)
            .filter(|r| r.pause && r.hold > cadence)
            .count()
    }

    /// The longest hold that is the stream's regular cadence (1 when there is none), and the
    /// number of frames from the start of one such hold to the next ([`Holds::cadence`]).
    pub(super) fn cadence(&self, cadence_min: usize) -> (u32, u32) {
        self.holds.cadence(cadence_min)
    }

    /// The hold that a regular period of repeats grants a picture held from `start` (1 when
    /// it lies on none), with that period in seconds: an earlier repeat lies one to five
    /// periods `p` back, and `cadence_min - 1` more lie on other multiples of `p` (up to
    /// `cadence_min + 2` periods beyond that one, or 2 s back if longer, so that repeats the
    /// comparison missed do not break it), each within 0.6 of a frame (1.1 for periods of 10
    /// frames or more), and they are at least half of the short repeats in that time (repeats
    /// much denser than the period are a picture that moves by steps, not a rhythm). Periods
    /// are 4 frames or longer (every picture held alike is the regular cadence's to learn),
    /// and a whole number of frames when under 10.
    /// The hold granted is the shortest among those repeats. Repeats that keep one rhythm
    /// while static shots and cuts add others in between (a 24 → 25 fps conversion of edited
    /// footage, pulldown of slow scenes) are found this way, where the regularity of all holds
    /// ([`History::cadence`]) is broken.
    pub(super) fn period_hold(
        &self,
        start: f64,
        frame_secs: f64,
        cadence_min: usize,
    ) -> (u32, f64) {
        let need = cadence_min - 1;
        let mut best = (1, 0.0);
        for j in 0..self.n_repeats {
            let rj = self.repeat_back(j);
            if start - rj.start > 3.0 * MAX_PERIOD {
                break;
            }
            // A near-still's repeats lie anywhere: they neither anchor a period nor count
            // against one.
            if rj.still || rj.hold <= best.0 {
                continue;
            }
            for mj in 1..=5 {
                let p = (start - rj.start) / mj as f64;
                let tol = slack(p, frame_secs);
                // A conversion repeats pictures on whole frames: a short period between them
                // (9 frames in 2 periods) is chance.
                let frames = p / frame_secs;
                let whole = frames >= 10.0 || (frames - frames.round()).abs() <= 0.2;
                if p > MAX_PERIOD || frames < 3.9 || !whole {
                    continue;
                }
                let mut found = 0;
                let mut hold = rj.hold;
                // Short repeats in the time looked at, the latest ones included.
                let mut short = (0..=j).filter(|&k| self.repeat_back(k).counts()).count();
                for k in j + 1..self.n_repeats {
                    let rk = self.repeat_back(k);
                    let d = start - rk.start;
                    if d > ((mj + cadence_min + 2) as f64 * p).max(MAX_PERIOD) + tol {
                        break;
                    }
                    if rk.still {
                        continue;
                    }
                    short += rk.short as usize;
                    let m = (d / p).round();
                    if m > mj as f64 && (d - m * p).abs() <= tol {
                        found += 1;
                        hold = hold.min(rk.hold);
                    }
                }
                if found >= need && (found + 1) * 2 >= short && hold > best.0 {
                    best = (hold, p);
                }
            }
        }
        best
    }
}

/// `start` lies a whole number of `period`s (1 to `most`) after `from`, within the slack of
/// [`History::period_hold`].
pub(super) fn periods_after(
    start: f64,
    from: f64,
    period: f64,
    frame_secs: f64,
    most: f64,
) -> bool {
    let m = ((start - from) / period).round();
    m >= 1.0 && m <= most && (start - from - m * period).abs() <= slack(period, frame_secs)
}

/// How far a repeat may lie from a multiple of a period of `p` seconds: 0.6 of a frame, or
/// 1.1 frames for periods of 10 frames or more (a 24 → 25 conversion repeats a picture every
/// 24 or 25 frames, as the rounding falls).
fn slack(p: f64, frame_secs: f64) -> f64 {
    if p >= 10.0 * frame_secs {
        1.1 * frame_secs
    } else {
        0.6 * frame_secs
    }
}

/// Seconds from `since` to `t` (infinite when `since` is unknown).
pub(super) fn secs_after(t: MediaTime, since: Option<MediaTime>) -> f64 {
    since.map_or(f64::INFINITY, |s| t.secs_since(s))
}

/// The `video_cadence` notice's message for pictures held `hold` frames every `period` frames
/// (`period` at most `hold`: every picture), for the patterns of known conversions and held
/// stills (`None` for others).
pub(super) fn cadence_message(hold: u32, period: u32) -> Option<String> {
    Some(match (hold, period) {
        (2, 0..=2) => "every picture held 2 frames (animation on twos, or frame doubling)".into(),
        (2, 5) => "1 repeat per 5 pictures (pulldown, 24 to 30 pictures)".into(),
        (2, 24..=26) => format!("1 repeat per {period} pictures (24→25 conversion)"),
        (3, 0..=3) => "every picture held 3 frames (animation on threes)".into(),
        (4.., 0..=5) if period <= hold => {
            format!("every picture held {hold} frames or more (held stills)")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(holds: impl IntoIterator<Item = u32>) -> History {
        let mut h = History::new();
        for x in holds {
            h.push_hold(x);
        }
        h
    }

    #[test]
    fn doubling_and_24_to_25_are_cadences() {
        assert_eq!(history([2; 100]).cadence(3), (2, 2));
        // one repeat every 24 pictures (25 frames)
        let h = history((0..150).map(|i| if i % 24 == 23 { 2 } else { 1 }));
        assert_eq!(h.cadence(3), (2, 25));
    }

    #[test]
    fn a_few_alike_holds_of_a_slow_scene_are_no_cadence() {
        // 4 neighbouring pictures held 3 frames or more among 150 pictures shown once
        let holds = (0..150).map(|i| if (70..74).contains(&i) { 4 } else { 1 });
        assert_eq!(history(holds).cadence(3), (1, 0));
        // frequent irregular repeats (a picture that moves by steps) are no cadence either
        let mut x = 12345u32;
        let holds = (0..150).map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            if (x >> 16).is_multiple_of(3) {
                2
            } else {
                1
            }
        });
        assert_eq!(history(holds).cadence(3).0, 1);
    }

    #[test]
    fn holds_are_rescaled_to_base_pictures() {
        // doubled 24 → 25: a picture held 4 frames once every 24 pictures held 2
        let mut h = history((0..150).map(|i| if i % 24 == 23 { 4 } else { 2 }));
        h.push_repeat(1.0, 2, true, true, false);
        h.push_repeat(1.5, 4, true, true, false);
        h.set_grid(1.5, 1.0, 4);
        h.rescale(2);
        assert_eq!(h.cadence(3), (2, 25));
        assert_eq!(h.n_repeats, 1);
        assert_eq!(h.repeat_back(0).hold, 2);
        assert!(!h.has_grid());
    }

    #[test]
    fn a_cadence_of_the_past_is_forgotten() {
        let holds = (0..150).map(|i| if i < 60 { 2 } else { 1 });
        assert_eq!(history(holds).cadence(3), (1, 0));
    }

    #[test]
    fn chance_repeats_of_a_slow_scene_do_not_replace_a_confirmed_rhythm() {
        // 24→25 at 25 frames/s: a repeat every second, confirmed by 3 on its periods
        let f = 0.04;
        let mut h = History::new();
        h.set_grid(10.0, 1.0, 2);
        assert!(h.on_grid(11.0, f, 2, false) && h.on_grid(12.0, f, 2, false));
        assert_eq!(h.confirmed_rhythm(), Some((1.0, 2)));
        // a slow scene: chance repeats 0.4 s apart set a rhythm of their own
        h.set_grid(12.3, 0.4, 2);
        assert!(h.on_grid(13.1, f, 2, false));
        // the conversion's next repeat falls on the confirmed rhythm, not on the new one
        assert!(h.on_grid(14.0, f, 2, false));
        assert_eq!(h.confirmed_rhythm(), Some((1.0, 2)));
        // off both: not on the rhythm
        assert!(!h.on_grid(14.5, f, 2, false));
    }
}
