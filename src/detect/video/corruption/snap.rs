//! **Key-frame snap**: damage that the decoder did not flag and that hardly shows as blocks (a
//! bit flip in the slice data of H.264 or HEVC, which smears wrongly predicted blocks over the
//! picture until the next key frame) still adds detail: the mean step of the picture (its
//! *activity*, as the block-edge measure reads it) climbs while the damage spreads and falls
//! back at once when the next key frame repaints the picture. Seen from that key frame, the
//! damage is the run of pictures before it whose activity stood above the level the key frame
//! brought back, from where it rose off the level it had before (the same level: the key frame
//! shows the same shot again) to the key frame.
//!
//! A key frame `K` of a stream where every picture may be a reference is judged
//! [`AFTER`] pictures later (when its bands have all been read again): the activity of the
//! [`BEFORE`] pictures before it must stand [`SNAP`] times the activity of pictures `K + 3 ..=
//! K + 6` (the level brought back). The run is walked back from `K` while the activity stays
//! [`HOLD`] times that level; the [`BEFORE`] pictures before the run must show that level
//! again (within [`SAME`]×: a cut back to a calmer shot at a key frame after a busier one shows
//! a different level before the busy shot, or the busy shot began with a cut). The damage
//! starts at the first picture of the run [`RISE`] times above the higher of the two levels.
//! No picture from [`BEFORE`] pictures before the run to `K` may begin a new shot (most
//! tiles' mean luma moved), and the damage must last `min_duration`. The decoder may have
//! flagged part of it: the damage often shows pictures before the decoder notices.
//!
//! Cost: a ring of [`CAPACITY`] small records (allocated once) and a walk over at most that
//! many of them per key frame.

use std::collections::VecDeque;

use crate::media::MediaTime;

/// Pictures kept: how far back (about 10 s at 25 pictures a second) a run may start.
const CAPACITY: usize = 256;

/// Pictures after the key frame before it is judged: the level it brings back is read on
/// pictures `K + 3 ..= K + 6`, once the `band_phases` (4) bands have all been read after it.
const AFTER: usize = 6;

/// Pictures whose activity makes the level before the key frame, and the level before a run.
const BEFORE: usize = 4;

/// Factor by which the activity before the key frame must exceed the level it brings back.
/// 1.6: HEVC bit flips in synthetic and real-content draws snapped back 1.9–3.1×, the
/// slow decline of a clean night shot that an encoder's scene-cut key frame ended 1.41×.
const SNAP: f32 = 1.6;

/// Factor above the level brought back that a run's pictures keep (the walk back stops below).
const HOLD: f32 = 1.1;

/// Factor above the higher of the level brought back and the level before the run at which
/// the damage starts.
const RISE: f32 = 1.2;

/// Largest factor between the level before the run and the level the key frame brought back.
const SAME: f32 = 1.25;

/// Activity (code values) below which the pictures before the key frame are too flat to judge.
const MIN_ACTIVITY: f32 = 0.3;

/// Share of the tiles whose mean luma moved at which a picture begins a new shot.
const MOVED: f32 = 0.6;

#[derive(Clone, Copy, Debug)]
struct Pic {
    t: MediaTime,
    activity: f32,
    moved: bool,
}

/// The recent pictures, and the key frame waiting to be judged (see the module docs).
#[derive(Debug)]
pub(super) struct KeySnap {
    pics: VecDeque<Pic>,
    /// Pictures pushed since the key frame waiting to be judged.
    pending: Option<usize>,
    min_duration: f64,
}

impl KeySnap {
    /// A snap watcher whose runs must last `min_duration` seconds.
    pub(super) fn new(min_duration: f64) -> Self {
        KeySnap {
            pics: VecDeque::with_capacity(CAPACITY),
            pending: None,
            min_duration,
        }
    }

    /// Forgets every picture (a discontinuity).
    pub(super) fn clear(&mut self) {
        self.pics.clear();
        self.pending = None;
    }

    /// Records a picture at `t` of `activity`, with the share of its tiles that `moved`, and
    /// whether it is a key frame of a stream where every picture may be a reference (`key`).
    /// Returns the damage run (first picture, key frame) once a key frame is judged to have
    /// snapped back.
    pub(super) fn push(
        &mut self,
        t: MediaTime,
        activity: f32,
        moved: f32,
        key: bool,
    ) -> Option<(MediaTime, MediaTime)> {
        if self.pics.len() == CAPACITY {
            self.pics.pop_front();
        }
        self.pics.push_back(Pic {
            t,
            activity,
            moved: moved >= MOVED,
        });
        self.pending = self.pending.map(|n| n + 1);
        let run = match self.pending {
            Some(n) if n == AFTER => {
                self.pending = None;
                self.judge(self.pics.len() - 1 - AFTER)
            }
            _ => None,
        };
        if key {
            self.pending = Some(0);
        }
        run
    }

    /// Judges the key frame at `k` (see the module docs).
    fn judge(&self, k: usize) -> Option<(MediaTime, MediaTime)> {
        let p = &self.pics;
        let mean =
            |a: usize, b: usize| p.range(a..b).map(|x| x.activity).sum::<f32>() / (b - a) as f32;
        if k < BEFORE {
            return None;
        }
        let (before, after) = (mean(k - BEFORE, k), mean(k + 3, k + AFTER + 1));
        if before < MIN_ACTIVITY || before < SNAP * after {
            return None;
        }
        // The run: back from the key frame while the activity holds above the level.
        let r = (0..k)
            .rev()
            .take_while(|&i| p[i].activity >= HOLD * after)
            .last()
            .filter(|&r| r >= BEFORE)?;
        // It starts where it rose above the higher of that level and the one before it (the
        // picture's own detail swings a little over both).
        let level = mean(r - BEFORE, r);
        let s = (r..k).find(|&i| p[i].activity >= RISE * after.max(level))?;
        let lasts = p[k].t.secs_since(p[s].t) >= self.min_duration - 1e-9;
        let quiet = p.range(r - BEFORE..=k).all(|x| !x.moved);
        let same = after <= SAME * level && level <= SAME * after;
        (lasts && quiet && same).then_some((p[s].t, p[k].t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(acts: &[f32], keys: &[usize], moved_at: Option<usize>) -> Vec<(f64, f64)> {
        let mut s = KeySnap::new(0.3);
        let mut out = Vec::new();
        for (i, &a) in acts.iter().enumerate() {
            let t = MediaTime::from_secs_f64(i as f64 * 0.04);
            let m = if moved_at == Some(i) { 0.9 } else { 0.1 };
            if let Some((a, b)) = s.push(t, a, m, keys.contains(&i)) {
                out.push((a.as_secs_f64(), b.as_secs_f64()));
            }
        }
        out
    }

    /// 0.4 for 50 pictures, `hi` from picture 50 to the key frame at 75, 0.4 after.
    fn damaged(hi: f32) -> Vec<f32> {
        (0..100)
            .map(|i| if (50..75).contains(&i) { hi } else { 0.4 })
            .collect()
    }

    #[test]
    fn detail_that_a_key_frame_takes_away_was_damage() {
        let got = run(&damaged(0.9), &[0, 25, 75], None);
        assert_eq!(got.len(), 1);
        assert!(
            (got[0].0 - 2.0).abs() < 1e-6 && (got[0].1 - 3.0).abs() < 1e-6,
            "{got:?}"
        );
    }

    #[test]
    fn a_small_fall_at_a_key_frame_is_coding() {
        assert!(run(&damaged(0.6), &[0, 25, 75], None).is_empty());
    }

    #[test]
    fn a_busier_shot_that_began_with_a_cut_is_no_damage() {
        assert!(run(&damaged(0.9), &[0, 25, 75], Some(50)).is_empty());
    }

    #[test]
    fn a_calmer_shot_than_the_one_before_the_run_is_no_repair() {
        let mut acts = damaged(0.9);
        acts[..50].iter_mut().for_each(|a| *a = 0.6);
        assert!(run(&acts, &[0, 25, 75], None).is_empty());
    }

    #[test]
    fn without_a_key_frame_nothing_is_judged() {
        assert!(run(&damaged(0.9), &[0, 25], None).is_empty());
    }
}
