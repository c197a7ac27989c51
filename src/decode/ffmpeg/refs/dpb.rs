//! The short-term reference frames of an H.264 decoder, as far as losses need them: which
//! frames a picture's reference lists hold, and which frames its marking drops.

use super::header::{Ops, RefUse, SliceKind};

/// Most short-term reference frames (H.264: 16).
const MAX_REFS: usize = 16;
/// Longest reference list followed (active references, H.264: up to 32).
const MAX_LIST: usize = 33;

/// A short-term reference frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Ref {
    pub(super) frame_num: u32,
    /// Display time (stream ticks); for a lost frame, the slot it is assumed to have had.
    pub(super) pts: i64,
    /// Never arrived.
    pub(super) lost: bool,
    /// Predicted from a lost or tainted frame.
    pub(super) tainted: bool,
}

impl Ref {
    /// A frame that arrived, shown at `pts`.
    pub(super) fn arrived(frame_num: u32, pts: i64, tainted: bool) -> Self {
        Ref {
            frame_num,
            pts,
            lost: false,
            tainted,
        }
    }

    /// A frame that never arrived, assumed shown at `pts`.
    pub(super) fn lost(frame_num: u32, pts: i64) -> Self {
        Ref {
            frame_num,
            pts,
            lost: true,
            tainted: false,
        }
    }

    /// Lost, or predicted from a lost frame.
    pub(super) fn damaged(&self) -> bool {
        self.lost || self.tainted
    }
}

/// The `frame_num` `k + 1` after `prev`, modulo `modulus`.
pub(super) fn frame_after(prev: u32, k: u32, modulus: u32) -> u32 {
    ((u64::from(prev) + 1 + u64::from(k)) % u64::from(modulus)) as u32
}

/// A picture's place in `frame_num` order: `frame_num` and its modulus.
#[derive(Clone, Copy, Debug)]
pub(super) struct Num {
    pub(super) frame_num: u32,
    pub(super) modulus: u32,
}

impl Num {
    /// `FrameNumWrap` of a reference frame seen from this picture.
    fn wrap(&self, frame_num: u32) -> i64 {
        if frame_num > self.frame_num {
            i64::from(frame_num) - i64::from(self.modulus)
        } else {
            i64::from(frame_num)
        }
    }
}

/// The short-term reference frames, in the order they were added.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Dpb {
    refs: [Ref; MAX_REFS],
    len: usize,
}

impl Dpb {
    /// Forgets every reference (an IDR picture).
    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    /// The frames held.
    pub(super) fn refs(&self) -> &[Ref] {
        &self.refs[..self.len]
    }

    fn remove(&mut self, i: usize) -> Ref {
        let r = self.refs[i];
        self.refs.copy_within(i + 1..self.len, i);
        self.len -= 1;
        r
    }

    /// Marks the references after the reference picture `at` was decoded (`marking`: its
    /// operations, `None` for the sliding window of `max_refs` frames), then adds `new`.
    /// Returns true when an operation dropped a lost frame.
    pub(super) fn add(&mut self, at: Num, marking: Option<&Ops>, max_refs: u8, new: Ref) -> bool {
        let mut dropped_lost = false;
        match marking {
            Some(ops) => {
                for (_, diff) in ops.iter() {
                    let pic_num = i64::from(at.frame_num) - (i64::from(diff) + 1);
                    if let Some(i) = self.position(|r| at.wrap(r.frame_num) == pic_num) {
                        dropped_lost |= self.remove(i).lost;
                    }
                }
            }
            None => {
                while self.len >= usize::from(max_refs.max(1)) {
                    self.drop_oldest(at);
                }
            }
        }
        if self.len == MAX_REFS {
            self.drop_oldest(at);
        }
        self.refs[self.len] = new;
        self.len += 1;
        dropped_lost
    }

    fn drop_oldest(&mut self, at: Num) {
        if let Some(i) = (0..self.len).min_by_key(|&i| at.wrap(self.refs[i].frame_num)) {
            self.remove(i);
        }
    }

    fn position(&self, f: impl Fn(&Ref) -> bool) -> Option<usize> {
        self.refs().iter().position(f)
    }

    /// Whether a picture (`kind`, shown at `pts`) predicts from a lost or tainted frame: its
    /// active lists, built from the frames held and modified as its header says, hold one.
    /// `None` when a modification names a frame that is not held.
    pub(super) fn uses_damaged(
        &self,
        at: Num,
        kind: SliceKind,
        pts: i64,
        u: &RefUse,
    ) -> Option<bool> {
        let mut list = [0u8; MAX_LIST];
        for l in 0..2 {
            let active = usize::from(u.active[l]);
            if active == 0 {
                continue;
            }
            let n = self.initial(at, kind, pts, l, &mut list);
            let n = self.modify(at, &u.mods[l], &mut list, n)?;
            if list[..n.min(active)]
                .iter()
                .any(|&i| self.refs[usize::from(i)].damaged())
            {
                return Some(true);
            }
        }
        Some(false)
    }

    /// The initial list `l` (indices into the frames held): P pictures by descending
    /// `FrameNumWrap`; B pictures by display time, the earlier ones first in list 0 (nearest
    /// first), the later ones first in list 1.
    fn initial(
        &self,
        at: Num,
        kind: SliceKind,
        pts: i64,
        l: usize,
        out: &mut [u8; MAX_LIST],
    ) -> usize {
        let n = self.len;
        for (i, slot) in out.iter_mut().enumerate().take(n) {
            *slot = i as u8;
        }
        let list = &mut out[..n];
        let refs = &self.refs;
        if kind != SliceKind::B {
            list.sort_unstable_by_key(|&i| {
                std::cmp::Reverse(at.wrap(refs[usize::from(i)].frame_num))
            });
            return n;
        }
        // Before the picture: nearest first; after it: nearest first; list 0 takes the
        // earlier ones first, list 1 the later ones.
        let order = |i: u8, earlier_first: bool| {
            let p = refs[usize::from(i)].pts;
            ((p < pts) != earlier_first, p.abs_diff(pts))
        };
        list.sort_unstable_by_key(|&i| order(i, l == 0));
        if l == 1 && n > 1 {
            // A list 1 equal to list 0 (nothing after the picture) has its first two swapped.
            let mut l0 = [0u8; MAX_REFS];
            for (i, slot) in l0.iter_mut().enumerate().take(n) {
                *slot = i as u8;
            }
            l0[..n].sort_unstable_by_key(|&i| order(i, true));
            if l0[..n] == out[..n] {
                out.swap(0, 1);
            }
        }
        n
    }

    /// Applies `ref_pic_list_modification` (short-term) to `list` of `n` entries.
    fn modify(
        &self,
        at: Num,
        mods: &Ops,
        list: &mut [u8; MAX_LIST],
        mut n: usize,
    ) -> Option<usize> {
        let max = i64::from(at.modulus);
        let mut pred = i64::from(at.frame_num);
        for (k, (idc, abs)) in mods.iter().enumerate() {
            let d = i64::from(abs) + 1;
            pred = if idc == 0 {
                (pred - d).rem_euclid(max)
            } else {
                (pred + d).rem_euclid(max)
            };
            let pic_num = if pred > i64::from(at.frame_num) {
                pred - max
            } else {
                pred
            };
            let idx = self.position(|r| at.wrap(r.frame_num) == pic_num)? as u8;
            // A place past the list (fewer frames held than active references) is its end.
            let k = k.min(n);
            if k >= MAX_LIST - 1 {
                return None;
            }
            // Insert at k, then drop the same frame from later places.
            let end = n.min(MAX_LIST - 1);
            list.copy_within(k..end, k + 1);
            list[k] = idx;
            let mut w = k + 1;
            for r in k + 1..=end {
                if list[r] != idx {
                    list[w] = list[r];
                    w += 1;
                }
            }
            n = w.max(k + 1);
        }
        Some(n)
    }
}
