//! Defect events of a detector run on synthetic media, checked for pairing (every start has
//! one end, also per stream of a many-stream run), and their filters (tests/detectors.rs,
//! tests/detectors_errors.rs, tests/monitor.rs).

use std::collections::BTreeMap;

use avqc::event::DefectEvent;
use avqc::{Detector, Event, Media, MediaTime, Phase};

pub fn t(s: f64) -> MediaTime {
    MediaTime::from_secs_f64(s)
}

/// Feeds `media` to `det`, then finishes at the end of the last item; returns the defect events.
pub fn run(det: Box<dyn Detector>, media: impl IntoIterator<Item = Media>) -> Vec<DefectEvent> {
    let events = super::run_all(det, media);
    let defects: Vec<DefectEvent> = events
        .into_iter()
        .filter_map(|e| match e {
            Event::Defect(d) => Some(d),
            _ => None,
        })
        .collect();
    check_pairs(&defects);
    defects
}

/// Every start has exactly one matching end, after it.
pub fn check_pairs(events: &[DefectEvent]) {
    for (i, s) in events.iter().enumerate() {
        if s.phase == Phase::Start {
            assert!(
                s.emitted_at >= s.start,
                "start emitted before it began: {s:?}"
            );
            let ends = events[i..]
                .iter()
                .filter(|e| e.phase == Phase::End && e.defect == s.defect && e.start == s.start)
                .count();
            assert_eq!(ends, 1, "start without exactly one end: {s:?}");
        }
    }
    for e in events.iter().filter(|e| e.phase == Phase::End) {
        assert!(e.end.unwrap() >= e.start, "end before start: {e:?}");
        let starts = events
            .iter()
            .filter(|s| s.phase == Phase::Start && s.defect == e.defect && s.start == e.start)
            .count();
        assert_eq!(starts, 1, "end without a start: {e:?}");
    }
}

pub fn ends<'a>(events: &'a [DefectEvent], defect: &str) -> Vec<&'a DefectEvent> {
    events
        .iter()
        .filter(|e| e.phase == Phase::End && e.defect.as_str() == defect)
        .collect()
}

pub fn starts<'a>(events: &'a [DefectEvent], defect: &str) -> Vec<&'a DefectEvent> {
    events
        .iter()
        .filter(|e| e.phase == Phase::Start && e.defect.as_str() == defect)
        .collect()
}

pub fn near(a: MediaTime, b: f64, tol: f64) -> bool {
    (a.as_secs_f64() - b).abs() <= tol
}

/// Per stream of a many-stream run (tests/monitor.rs): defect starts without an end (must be
/// empty) and ended defects.
pub fn balance(events: &[Event]) -> BTreeMap<String, (usize, usize)> {
    let mut open: BTreeMap<(String, String, String, i64), i32> = BTreeMap::new();
    let mut ended: BTreeMap<String, usize> = BTreeMap::new();
    for e in events {
        if let Some(d) = e.as_defect() {
            let key = (
                d.stream.to_string(),
                d.detector.to_string(),
                d.defect.as_str().to_string(),
                (d.start.as_secs_f64() * 1e6) as i64,
            );
            match d.phase {
                Phase::Start => *open.entry(key).or_default() += 1,
                Phase::End => {
                    *open.entry(key).or_default() -= 1;
                    *ended.entry(d.stream.to_string()).or_default() += 1;
                }
            }
        }
    }
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for ((stream, ..), n) in open {
        assert!(
            n == 0 || n == 1,
            "{stream}: a defect ended twice or never started"
        );
        out.entry(stream).or_default().0 += n as usize;
    }
    for (s, n) in ended {
        out.entry(s).or_default().1 = n;
    }
    out
}

/// Defect starts left without an end, over every stream.
pub fn unended(events: &[Event]) -> usize {
    balance(events).values().map(|(open, _)| open).sum()
}
