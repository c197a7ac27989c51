//! Helpers shared by the test files: feeding a detector, a deterministic random generator,
//! an allocation counter, the `monitor` example's binary and the defects an event list ended.
//! Each test binary uses a part of them.
#![allow(dead_code)]

pub mod alloc;
pub mod clipping;
#[cfg(feature = "ffmpeg")]
pub mod decoding;
pub mod defects;
pub mod gop;
pub mod pictures;
pub mod probe;
pub mod rng;
pub mod sounds;
#[cfg(feature = "ffmpeg")]
pub mod ts_cut;

use std::collections::BTreeSet;

use avqc::event::DefectEvent;
use avqc::{Detector, Event, Events, Media, MediaTime, Phase};

/// Feeds `media` to `det`, then finishes at the end of the last item; returns every event.
pub fn run_all(mut det: Box<dyn Detector>, media: impl IntoIterator<Item = Media>) -> Vec<Event> {
    let mut out = Events::new("test", det.name());
    let mut events = Vec::new();
    let mut end = MediaTime::ZERO;
    for m in media {
        end = end.max(match &m {
            Media::Video(v) => v.time().add_secs(v.duration().unwrap_or(0.0)),
            Media::Audio(a) => a.end_time(),
            Media::Notice(n) => n.time,
        });
        det.process(&m, &mut out);
        events.extend(out.drain());
    }
    det.finish(end, &mut out);
    events.extend(out.drain());
    events
}

/// The defect names that ended on `stream` in `events`.
pub fn ended(events: &[Event], stream: &str) -> BTreeSet<String> {
    events
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| &*d.stream == stream && d.phase == Phase::End)
        .map(|d| d.defect.as_str().to_string())
        .collect()
}

/// The `monitor` example binary (`cargo build --example monitor`, which `scripts/test.sh` runs
/// first) beside this test's own binary; `None` when it was not built, which fails the test
/// when `AVQC_REQUIRE_EXAMPLES` is set (as `scripts/test.sh` does).
pub fn monitor_binary() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent()?.parent()?.join("examples").join("monitor");
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("AVQC_REQUIRE_EXAMPLES").is_none(),
        "{} is missing: run `cargo build --example monitor`",
        bin.display()
    );
    eprintln!(
        "skipped: {} not built (cargo build --example monitor)",
        bin.display()
    );
    None
}

/// The defect end events among `events`, in order.
pub fn defect_ends(events: Vec<Event>) -> Vec<DefectEvent> {
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::Defect(d) if d.phase == Phase::End => Some(d),
            _ => None,
        })
        .collect()
}

/// Runs `dets` on `decoder` in a `Pipeline` or (with `by_monitor`) as stream `id` of a
/// one-worker `Monitor`; every event.
pub fn run_in_driver(
    id: &str,
    decoder: impl avqc::Decoder + 'static,
    dets: Vec<Box<dyn Detector>>,
    by_monitor: bool,
) -> Vec<Event> {
    use avqc::monitor::{Monitor, MonitorConfig, StreamSpec};
    let events = avqc::sink::Collect::new();
    if by_monitor {
        let m = Monitor::builder()
            .config(MonitorConfig {
                workers: 1,
                health_interval_secs: 0.0,
                ..Default::default()
            })
            .sink(events.clone())
            .build()
            .unwrap();
        m.add(StreamSpec::decoder(id, decoder).detectors(dets))
            .unwrap();
        m.finish().unwrap();
    } else {
        avqc::Pipeline::builder()
            .decoder(decoder)
            .detectors(dets)
            .sink(events.clone())
            .build()
            .unwrap()
            .run()
            .unwrap();
    }
    events.take()
}
