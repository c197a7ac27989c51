//! A loss that took reference frames, followed until it is known whether its damage stays
//! before the next anchor picture shown.
//!
//! Lost frames are known by `frame_num` alone, not by display time, and B-pictures order
//! their references by display time. So the pictures decoded after the loss are logged, and
//! once every slot of display time the lost frames could have had is settled (no packet still
//! to come can be shown that early), the loss is replayed through the references with the
//! lost frames in each possible slot: the damage is confined when, in every replay, the lost
//! frames and every picture predicted from them (directly or through another) are shown
//! before the next anchor picture, and none of them is still held as a reference.

use super::dpb::{frame_after, Dpb, Num, Ref};
use super::header::{SliceKind, SliceStart};

/// Pictures followed after a loss before giving up.
const LOG: usize = 24;
/// Display times of recent pictures kept.
const RECENT: usize = 64;
/// Most reference frames one loss may take and be followed.
const MAX_LOST: usize = 2;
/// Most empty display slots considered for them.
const MAX_SLOTS: usize = 4;

/// What became of a loss followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not known yet.
    Pending,
    /// Everything damaged is shown before the next anchor picture.
    Confined,
    /// The damage may reach further (or could not be followed).
    Spread,
}

/// Display times of recent pictures (stream ticks) and whether each was an anchor (not a
/// B-picture).
#[derive(Clone, Copy, Debug)]
pub(super) struct Recent {
    pts: [(i64, bool); RECENT],
    next: usize,
    len: usize,
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            pts: [(0, false); RECENT],
            next: 0,
            len: 0,
        }
    }
}

impl Recent {
    pub(super) fn push(&mut self, pts: i64, anchor: bool) {
        self.pts[self.next] = (pts, anchor);
        self.next = (self.next + 1) % RECENT;
        self.len = (self.len + 1).min(RECENT);
    }

    fn iter(&self) -> impl Iterator<Item = (i64, bool)> + '_ {
        self.pts[..self.len].iter().copied()
    }
}

/// A picture decoded after the loss.
#[derive(Clone, Copy, Debug, Default)]
struct Pic {
    s: SliceStart,
    pts: i64,
}

/// A loss being followed.
#[derive(Clone, Copy, Debug)]
pub(super) struct Episode {
    /// The references before the lost frames.
    start: Dpb,
    /// The lost frames' `frame_num`, in decode order.
    lost: [u32; MAX_LOST],
    n_lost: usize,
    modulus: u32,
    /// Decode time of the last packet before the loss: the lost frames are shown after it.
    lo: i64,
    log: [Pic; LOG],
    n: usize,
    /// Cannot be followed (another loss, too many frames lost, a header not read).
    spread: bool,
}

impl Episode {
    /// A loss of the `count` frames after `prev_ref`, found with the references `start` held;
    /// `lo`: decode time of the last packet before it.
    pub(super) fn new(start: Dpb, prev_ref: u32, count: i64, modulus: u32, lo: i64) -> Self {
        let mut e = Episode {
            start,
            lost: [0; MAX_LOST],
            n_lost: 0,
            modulus,
            lo,
            log: [Pic::default(); LOG],
            n: 0,
            spread: count == 0 || count as usize > MAX_LOST,
        };
        if !e.spread {
            for k in 0..count as u32 {
                e.lost[e.n_lost] = frame_after(prev_ref, k, modulus);
                e.n_lost += 1;
            }
        }
        e
    }

    /// Gives up on this loss.
    pub(super) fn spread(&mut self) {
        self.spread = true;
    }

    /// Logs the next picture decoded.
    pub(super) fn log(&mut self, s: SliceStart, pts: i64) {
        match self.log.get_mut(self.n) {
            Some(slot) => {
                *slot = Pic { s, pts };
                self.n += 1;
            }
            None => self.spread = true,
        }
    }

    /// The verdict with the pictures seen so far (`recent`), `now`: decode time of the last
    /// packet, `dur`: one picture's duration (ticks).
    pub(super) fn verdict(&self, recent: &Recent, now: i64, dur: i64) -> Verdict {
        if self.spread || dur <= 0 {
            return Verdict::Spread;
        }
        let Some(slots) = self.empty_slots(recent, now, dur) else {
            return Verdict::Spread;
        };
        let (slots, m) = slots;
        if m < self.n_lost {
            return Verdict::Pending; // shown later than anything settled yet
        }
        let mut pending = false;
        for a in 0..m {
            for b in 0..m {
                if self.n_lost == 1 && b > 0 {
                    break;
                }
                if self.n_lost == 2 && a == b {
                    continue;
                }
                match self.replay(recent, [slots[a], slots[b]]) {
                    Verdict::Spread => return Verdict::Spread,
                    Verdict::Pending => pending = true,
                    Verdict::Confined => {}
                }
            }
        }
        if pending {
            Verdict::Pending
        } else {
            Verdict::Confined
        }
    }

    /// Display slots after the loss and before `now` where no picture was shown: `None` when
    /// there are more than [`MAX_SLOTS`].
    fn empty_slots(
        &self,
        recent: &Recent,
        now: i64,
        dur: i64,
    ) -> Option<([i64; MAX_SLOTS], usize)> {
        let mut out = [0i64; MAX_SLOTS];
        let mut m = 0;
        let Some(base) = recent.iter().map(|(p, _)| p).filter(|p| *p > self.lo).min() else {
            return Some((out, 0));
        };
        let near = |s: i64| {
            recent
                .iter()
                .any(|(p, _)| p.abs_diff(s).saturating_mul(2) < dur.unsigned_abs())
        };
        // The first slot after `lo` on the grid of `base` (timestamps out of any sense: none).
        let back = base.checked_sub(self.lo)?.checked_sub(1)?.div_euclid(dur);
        let mut s = base.checked_sub(back.checked_mul(dur)?)?;
        for _ in 0..RECENT {
            if s >= now {
                break;
            }
            if !near(s) {
                *out.get_mut(m)? = s;
                m += 1;
            }
            s = s.checked_add(dur)?;
        }
        Some((out, m))
    }

    /// Replays the loss with the lost frames shown at `slots`.
    fn replay(&self, recent: &Recent, slots: [i64; 2]) -> Verdict {
        let Some(first) = self.log.first().filter(|_| self.n > 0) else {
            return Verdict::Pending;
        };
        let mut dpb = self.start;
        let mut worst = i64::MIN;
        for (k, &frame_num) in self.lost[..self.n_lost].iter().enumerate() {
            let at = Num {
                frame_num,
                modulus: self.modulus,
            };
            dpb.add(at, None, first.s.max_refs, Ref::lost(frame_num, slots[k]));
            worst = worst.max(slots[k]);
        }
        let last_lost = worst;
        for p in &self.log[..self.n] {
            if p.s.idr {
                dpb.clear();
                break;
            }
            let Some(u) = p.s.refs else {
                return Verdict::Spread;
            };
            let at = Num {
                frame_num: p.s.frame_num,
                modulus: self.modulus,
            };
            let tainted = match p.s.kind {
                SliceKind::I => false,
                kind => match dpb.uses_damaged(at, kind, p.pts, &u) {
                    Some(t) => t,
                    None => return Verdict::Spread,
                },
            };
            if tainted {
                worst = worst.max(p.pts);
            }
            if p.s.reference {
                let new = Ref::arrived(p.s.frame_num, p.pts, tainted);
                dpb.add(at, u.marking.as_ref(), p.s.max_refs, new);
            }
        }
        // The next anchor shown after the lost frames.
        let next_anchor = recent
            .iter()
            .filter(|&(p, anchor)| anchor && p > last_lost)
            .map(|(p, _)| p)
            .min();
        match next_anchor {
            None => Verdict::Pending,
            Some(a) if worst >= a => Verdict::Spread,
            // Damaged frames still held may yet be used.
            _ if dpb.refs().iter().any(Ref::damaged) => Verdict::Pending,
            Some(_) => Verdict::Confined,
        }
    }
}
