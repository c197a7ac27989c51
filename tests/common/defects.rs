//! Defect events of a detector run on synthetic media, checked for pairing (every start has
//! one end), and their filters (tests/detectors.rs, tests/detectors_errors.rs).

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
