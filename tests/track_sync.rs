//! `track_sync`: the offset of an audio track against the reference track, from the sound they
//! share, on tracks made in memory (the same bursts of noise under different noise of each
//! track's own), under both drivers.

mod common;

use avqc::*;

const RATE: u32 = 48_000;
const SECS: usize = 16;
const BLOCK: usize = 1024;

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
}

/// The shared sound: bursts of noise 30 ms long at irregular times (a new one every 80–400 ms).
fn shared(n: usize) -> Vec<f32> {
    let mut rng = Rng(7);
    let mut v = vec![0.0; n];
    let mut at = 0usize;
    while at < n {
        for s in v.iter_mut().skip(at).take(RATE as usize * 30 / 1000) {
            *s = 0.5 * rng.next();
        }
        at += RATE as usize * (80 + ((rng.next() + 1.0) * 160.0) as usize) / 1000;
    }
    v
}

/// Two tracks (streams 1 and 2, mono): the shared sound, on track 2 `shift_ms` later, each
/// with its own steady noise (a stand-in for different dialogue) over it.
fn source(shift_ms: usize) -> FrameSource<impl Iterator<Item = Media> + Send> {
    let n = RATE as usize * SECS;
    let base = shared(n + RATE as usize);
    let shift = RATE as usize * shift_ms / 1000;
    let mut own = [Rng(11), Rng(13)];
    let tracks: Vec<Vec<f32>> = (0..2)
        .map(|k| {
            (0..n)
                .map(|i| {
                    let s = if k == 0 {
                        base[i]
                    } else {
                        i.checked_sub(shift).map_or(0.0, |j| base[j])
                    };
                    s + 0.05 * own[k].next()
                })
                .collect()
        })
        .collect();
    let items: Vec<Media> = (0..n / BLOCK)
        .flat_map(|b| {
            let t = MediaTime::new((b * BLOCK) as i64, Rational::new(1, RATE as i32));
            let tracks = &tracks;
            (0..2).map(move |k| {
                let samples = tracks[k][b * BLOCK..(b + 1) * BLOCK].to_vec();
                Media::Audio(
                    AudioFrame::new(RATE, 1, t, samples)
                        .unwrap()
                        .with_stream(k + 1),
                )
            })
        })
        .collect();
    FrameSource::new(
        "dub",
        vec![
            StreamInfo::audio(1, "pcm", RATE, 1),
            StreamInfo::audio(2, "pcm", RATE, 1),
        ],
        items,
    )
}

const SET: &str = r#"[{"type":"track_sync","window":10,"period":2}]"#;

fn run(shift_ms: usize, by_monitor: bool) -> Vec<Event> {
    let dets = Registry::builtin().build_json(SET).unwrap();
    common::run_in_driver("dub", source(shift_ms), dets, by_monitor)
}

/// The `track_offset_ms` estimates, with their track.
fn estimates(events: &[Event]) -> Vec<(Option<usize>, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Metric(m) if m.name == "track_offset_ms" => Some((m.track, m.value)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_late_track_is_measured_and_reported() {
    for by_monitor in [false, true] {
        let events = run(200, by_monitor);
        let est = estimates(&events);
        assert!(est.len() >= 2, "{est:?}");
        for (track, ms) in &est {
            assert_eq!(*track, Some(2));
            assert!((ms - 200.0).abs() < 6.0, "estimate {ms} ms, truth 200 ms");
        }
        let starts: Vec<_> = events
            .iter()
            .filter_map(Event::as_defect)
            .filter(|d| d.defect == DefectKind::AV_SYNC && d.phase == Phase::Start)
            .collect();
        assert_eq!(starts.len(), 1, "monitor {by_monitor}");
        assert_eq!(starts[0].track, Some(2));
        assert_eq!(starts[0].details["source"], "track");
        assert_eq!(starts[0].details["reference"], 1);
        let ends = events
            .iter()
            .filter_map(Event::as_defect)
            .filter(|d| d.defect == DefectKind::AV_SYNC && d.phase == Phase::End)
            .count();
        assert_eq!(ends, 1);
    }
}

#[test]
fn tracks_in_sync_raise_nothing() {
    let events = run(0, false);
    let est = estimates(&events);
    assert!(!est.is_empty());
    assert!(est.iter().all(|(_, ms)| ms.abs() < 6.0), "{est:?}");
    assert!(!events.iter().any(|e| e.as_defect().is_some()));
}
