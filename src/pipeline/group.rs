//! Detectors fed in turn on one thread — a Pipeline's detector thread, its decoder thread when
//! detectors run inline, or a Monitor stream's task — with picture thinning, per-detector
//! counts of items lost to the overload policy, and panic isolation (per [`DetectorSlot`]).

use std::sync::Arc;

use super::item::Item;
use super::slot::DetectorSlot;
use super::tracks::TrackTable;
use super::DetectorReport;
use crate::detect::{Detector, Wants};
use crate::error::Error;
use crate::event::Event;
use crate::media::{Media, MediaTime};

/// Two event orders that the Pipeline and the Monitor had before they shared this code, kept
/// so that neither's output changed. They differ only around a discontinuity notice, a
/// detector over its open-defect limit, and the closing of defects a detector left open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// The core's own notices after the detectors' events for the same item; an item is fed
    /// to every detector even after one exceeded its limit; at the end every detector
    /// finishes, then every one is closed.
    Pipeline,
    /// The core's notices before the detectors' events; the first limit error stops the
    /// feeding; each detector finishes and is closed before the next.
    Monitor,
}

/// A detector of a [`DetectorGroup`], with its index in the driver's detector list.
struct Member {
    index: usize,
    slot: DetectorSlot,
    /// It sees one picture in `every` (thinning, for detectors that need not see each one,
    /// else 1); pictures offered so far.
    every: u64,
    /// Pictures offered so far, per video stream (by index).
    offered: Vec<u64>,
    /// Items it wanted that the overload policy dropped before they reached the group.
    lost: u64,
    /// It wants pictures and needs every one: suspended while the analysis is reduced.
    heavy: bool,
    /// Suspended (a monitor's reduced analysis): it sees nothing until resumed.
    suspended: bool,
}

/// Detectors fed one after another on one thread.
pub(crate) struct DetectorGroup {
    members: Vec<Member>,
    order: Order,
}

impl DetectorGroup {
    /// The detectors `dets` (with their indexes) of input `input`; a detector whose
    /// [`Needs::every_frame`](crate::media::Needs::every_frame) is false sees one picture in `thin`.
    pub(crate) fn new(
        dets: Vec<(usize, Box<dyn Detector>)>,
        input: &Arc<str>,
        tracks: &Arc<TrackTable>,
        max_open: usize,
        thin: usize,
        order: Order,
    ) -> Self {
        let members = dets
            .into_iter()
            .map(|(index, d)| Member {
                index,
                heavy: d.wants().video() && d.needs().every_frame,
                suspended: false,
                every: if d.needs().every_frame {
                    1
                } else {
                    thin.max(1) as u64
                },
                offered: Vec::new(),
                lost: 0,
                slot: DetectorSlot::new(d, input, max_open, tracks),
            })
            .collect();
        DetectorGroup { members, order }
    }

    /// Feeds `item` to every member that wants it; events go to `emit`. Returns the first
    /// open-defect limit error (see [`Order`] for whether the others still see the item).
    pub(crate) fn feed(&mut self, item: &Item, emit: &mut dyn FnMut(Event)) -> Option<Error> {
        let mut first = None;
        for m in &mut self.members {
            if m.suspended {
                continue;
            }
            if let (Item::Media(Media::Video(f)), true) = (item, m.every > 1) {
                let s = f.stream();
                if m.offered.len() <= s {
                    m.offered.resize(s + 1, 0);
                }
                m.offered[s] += 1;
                if (m.offered[s] - 1) % m.every != 0 {
                    continue;
                }
            }
            if let Item::Media(media) = item {
                if !m.slot.wants().accepts(media) {
                    continue;
                }
            }
            if let Some(e) = m.slot.feed(item, emit) {
                if self.order == Order::Monitor {
                    return Some(e);
                }
                first.get_or_insert(e);
            }
        }
        first
    }

    /// Reduces the analysis (a monitor over its budget) or restores it: members that need
    /// every picture are suspended (each gets a discontinuity at `at` when suspended and when
    /// resumed, so the gap reads as a break, not as a defect); the other picture members see
    /// one picture in `thin`. Returns the first open-defect limit error.
    pub(crate) fn set_reduced(
        &mut self,
        on: bool,
        thin: usize,
        at: MediaTime,
        emit: &mut dyn FnMut(Event),
    ) -> Option<Error> {
        let mut first = None;
        let gap = Item::Discontinuity(at);
        for m in &mut self.members {
            if m.heavy {
                if m.suspended != on {
                    m.suspended = false;
                    if let Some(e) = m.slot.feed(&gap, emit) {
                        first.get_or_insert(e);
                    }
                    m.suspended = on;
                }
            } else if m.slot.wants().video() {
                m.every = thin.max(1) as u64;
            }
        }
        first
    }

    /// Counts `media` as lost for every member that wanted it; returns how many did.
    pub(crate) fn lost(&mut self, media: &Media) -> u64 {
        let mut n = 0;
        for m in self
            .members
            .iter_mut()
            .filter(|m| m.slot.wants().accepts(media))
        {
            m.lost += 1;
            n += 1;
        }
        n
    }

    /// Members that panicked (and were disabled).
    pub(crate) fn panicked(&self) -> usize {
        self.members.iter().filter(|m| m.slot.panicked()).count()
    }

    /// Finishes every member at media time `end` and ends what each left open; returns each
    /// member's report (with its index; `dropped` counts what [`lost`](Self::lost) counted)
    /// and the first limit error.
    pub(crate) fn finish(
        self,
        end: MediaTime,
        emit: &mut dyn FnMut(Event),
    ) -> (Vec<(usize, DetectorReport)>, Option<Error>) {
        let finish = Item::Finish(end);
        let mut members = self.members;
        let mut first = None;
        match self.order {
            Order::Pipeline => {
                for m in &mut members {
                    if let Some(e) = m.slot.feed(&finish, emit) {
                        first.get_or_insert(e);
                    }
                }
                for m in &mut members {
                    m.slot.close(emit);
                }
            }
            Order::Monitor => {
                for m in &mut members {
                    if let Some(e) = m.slot.feed(&finish, emit) {
                        first.get_or_insert(e);
                    }
                    m.slot.close(emit);
                }
            }
        }
        let reports = members
            .into_iter()
            .map(|m| {
                let mut rep = m.slot.rep;
                rep.dropped += m.lost;
                (m.index, rep)
            })
            .collect();
        (reports, first)
    }
}

/// Deals detectors (given by what each wants) to `threads` groups in turn, video detectors
/// first, so the picture work spreads over the threads; each group lists indexes in order.
pub(crate) fn deal(wants: &[Wants], threads: usize) -> Vec<Vec<usize>> {
    let threads = threads.clamp(1, wants.len().max(1));
    let mut order: Vec<usize> = (0..wants.len()).collect();
    order.sort_by_key(|&i| !wants[i].video());
    let mut groups = vec![Vec::new(); threads];
    for (k, i) in order.into_iter().enumerate() {
        groups[k % threads].push(i);
    }
    for g in &mut groups {
        g.sort_unstable(); // each thread feeds its detectors in the order they were added
    }
    groups.retain(|g| !g.is_empty());
    groups
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::{DetectorGroup, Order};
    use crate::detect::{Detector, Events, Wants};
    use crate::media::{Media, MediaTime, Needs, PixelFormat, VideoFrame};
    use crate::pipeline::item::Item;
    use crate::pipeline::tracks::TrackTable;

    /// Counts the pictures and discontinuities it sees.
    struct Counter {
        needs: Needs,
        seen: Arc<Mutex<(u32, u32)>>,
    }

    impl Detector for Counter {
        fn name(&self) -> &str {
            if self.needs.every_frame {
                "heavy"
            } else {
                "light"
            }
        }
        fn wants(&self) -> Wants {
            Wants::VIDEO
        }
        fn needs(&self) -> Needs {
            self.needs
        }
        fn process(&mut self, _media: &Media, _out: &mut Events) {
            self.seen.lock().unwrap().0 += 1;
        }
        fn discontinuity(&mut self, _at: MediaTime, _out: &mut Events) {
            self.seen.lock().unwrap().1 += 1;
        }
        fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
    }

    #[test]
    fn reduced_analysis_suspends_heavy_detectors_and_thins_light_ones() {
        let heavy = Arc::new(Mutex::new((0, 0)));
        let light = Arc::new(Mutex::new((0, 0)));
        let dets: Vec<(usize, Box<dyn Detector>)> = vec![
            (
                0,
                Box::new(Counter {
                    needs: Needs::ALL,
                    seen: heavy.clone(),
                }),
            ),
            (
                1,
                Box::new(Counter {
                    needs: Needs::NONE,
                    seen: light.clone(),
                }),
            ),
        ];
        let input: Arc<str> = "in".into();
        let tracks = Arc::new(TrackTable::default());
        let mut g = DetectorGroup::new(dets, &input, &tracks, 100, 1, Order::Monitor);
        let mut i = 0;
        let mut feed = |g: &mut DetectorGroup, n: usize| {
            for _ in 0..n {
                let t = MediaTime::from_secs_f64(i as f64 / 25.0);
                let f = VideoFrame::filled(16, 16, PixelFormat::Yuv420p, t, [100, 128, 128]);
                i += 1;
                assert!(g.feed(&Item::Media(Media::Video(f)), &mut |_| {}).is_none());
            }
        };
        feed(&mut g, 8);
        assert!(g
            .set_reduced(true, 4, MediaTime::ZERO, &mut |_| {})
            .is_none());
        feed(&mut g, 8);
        assert_eq!(*heavy.lock().unwrap(), (8, 1), "suspended after a break");
        assert_eq!(*light.lock().unwrap(), (10, 0), "one picture in four");
        assert!(g
            .set_reduced(false, 1, MediaTime::ZERO, &mut |_| {})
            .is_none());
        feed(&mut g, 8);
        assert_eq!(*heavy.lock().unwrap(), (16, 2), "resumed after a break");
        assert_eq!(*light.lock().unwrap(), (18, 0));
    }
}
