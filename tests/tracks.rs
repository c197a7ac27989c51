//! Every track of an input analysed by default, under both drivers: a TS with two video
//! streams and two audio tracks (English, Spanish), each with its own defects at its own
//! times, made at test time with the ffmpeg CLI; and the forking of detectors per stream on
//! frames made in memory.
#![cfg(feature = "ffmpeg")]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use avqc::monitor::{Monitor, MonitorConfig, StreamSpec};
use avqc::sink::Collect;
use avqc::*;

/// The fixture: 8 s, four streams.
/// - 0: video, testsrc2, no defect;
/// - 1: video, testsrc2 with black 3–5 s;
/// - 2: audio `eng`, 440 Hz at 0.5; digital silence 2–3.5 s, clipping (4 × the sine clipped
///   at ±1) 5–6 s;
/// - 3: audio `spa`, 330 Hz at 0.5; clipping 1–2 s, silence 4.5–6 s.
fn fixture() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("avqc-tracks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tracks.ts");
        let sine = |f: u32, silence: (f64, f64), clip: (f64, f64)| {
            format!(
                "aevalsrc='if(between(t,{},{}),0,if(between(t,{},{}),max(-1,min(1,4*sin(2*PI*{f}*t))),0.5*sin(2*PI*{f}*t)))':s=48000:d=8",
                silence.0, silence.1, clip.0, clip.1
            )
        };
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc2=s=160x90:r=25:d=8")
            .args(["-f", "lavfi", "-i"])
            .arg("testsrc2=s=160x90:r=25:d=8,drawbox=enable='between(t,3,5)':c=black:t=fill")
            .args(["-f", "lavfi", "-i", &sine(440, (2.0, 3.5), (5.0, 6.0))])
            .args(["-f", "lavfi", "-i", &sine(330, (4.5, 6.0), (1.0, 2.0))])
            .args(["-map", "0:v", "-map", "1:v", "-map", "2:a", "-map", "3:a"])
            .args(["-c:v", "libx264", "-g", "50", "-threads", "1"])
            .args(["-c:a", "aac", "-ac", "2"])
            .args(["-metadata:s:a:0", "language=eng"])
            .args(["-metadata:s:a:1", "language=spa"])
            .args(["-f", "mpegts"])
            .arg(&path)
            .status()
            .expect("the ffmpeg CLI runs (scripts/install-deps.sh installs it)");
        assert!(status.success(), "ffmpeg made the fixture");
        path
    })
}

fn detectors() -> Vec<Box<dyn Detector>> {
    Registry::builtin()
        .build_names(&["black", "silence", "clipping", "loudness", "sync"])
        .unwrap()
}

fn by_pipeline(opts: &DecoderOptions, detector_threads: usize) -> (Vec<Event>, Report) {
    let events = Collect::new();
    let report = Pipeline::builder()
        .decoder(FfmpegDecoder::open(fixture().to_str().unwrap(), opts).unwrap())
        .detectors(detectors())
        .detector_threads(detector_threads)
        .sink(events.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    (events.take(), report)
}

/// The events and the stream's last health.
fn by_monitor(opts: &DecoderOptions) -> (Vec<Event>, avqc::monitor::StreamHealth) {
    let events = Collect::new();
    let m = Monitor::builder()
        .config(MonitorConfig {
            workers: 1,
            health_interval_secs: 0.0,
            ..Default::default()
        })
        .sink(events.clone())
        .build()
        .unwrap();
    let path = fixture().to_str().unwrap().to_string();
    m.add(StreamSpec::open("tracks", path, opts).detectors(detectors()))
        .unwrap();
    let health = m.finish().unwrap().pop().expect("the stream's health");
    (events.take(), health)
}

/// A defect ended: kind, track, language, start, end.
type Found = (String, Option<usize>, Option<String>, f64, f64);

/// The defects ended, sorted by kind, track, language.
fn defects(events: &[Event]) -> Vec<Found> {
    let mut v: Vec<_> = events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.phase == Phase::End)
        .map(|d| {
            (
                d.defect.as_str().to_string(),
                d.track,
                d.language.as_deref().map(str::to_string),
                d.start.as_secs_f64(),
                d.end.unwrap().as_secs_f64(),
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.0, a.1, a.2.clone()).cmp(&(&b.0, b.1, b.2.clone())));
    v
}

/// Each defect once, on its own track, with its language, at its time (±0.3 s: AAC edges,
/// the detectors' confirmation times).
fn assert_every_defect_on_its_track(events: &[Event], driver: &str) {
    let got = defects(events);
    let want: [(&str, usize, Option<&str>, f64, f64); 5] = [
        ("audio_clipping", 2, Some("eng"), 5.0, 6.0),
        ("audio_clipping", 3, Some("spa"), 1.0, 2.0),
        ("audio_silence", 2, Some("eng"), 2.0, 3.5),
        ("audio_silence", 3, Some("spa"), 4.5, 6.0),
        ("video_black", 1, None, 3.0, 5.0),
    ];
    assert_eq!(got.len(), want.len(), "{driver}: {got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (g.0.as_str(), g.1, g.2.as_deref()),
            (w.0, Some(w.1), w.2),
            "{driver}: {got:?}"
        );
        // The start within 0.3 s; the end within 0.3 s or, for clipping, anywhere in the
        // clipped stretch (it ends with the last clipped sample its run of checks sees).
        assert!((g.3 - w.3).abs() < 0.3, "{driver}: start of {g:?}");
        let end_ok = if w.0 == "audio_clipping" {
            g.4 > w.3 + 0.5 && g.4 < w.4 + 0.3
        } else {
            (g.4 - w.4).abs() < 0.3
        };
        assert!(end_ok, "{driver}: end of {g:?}");
    }
    // Loudness per track: each audio track's own momentary loudness, with its language.
    for (track, lang) in [(2, "eng"), (3, "spa")] {
        let n = events
            .iter()
            .filter(|e| matches!(e, Event::Metric(m) if m.detector.as_ref() == "loudness"))
            .filter(|e| e.track() == Some(track) && e.language() == Some(lang))
            .count();
        assert!(n > 10, "{driver}: loudness metrics of track {track}: {n}");
    }
    // A/V sync is one detector of the whole input: no track.
    assert!(events
        .iter()
        .filter(|e| matches!(e, Event::Metric(m) if m.detector.as_ref() == "sync"))
        .all(|e| e.track().is_none()));
}

#[test]
fn the_stream_info_names_each_tracks_language() {
    let d = FfmpegDecoder::open(fixture().to_str().unwrap(), &DecoderOptions::default()).unwrap();
    let langs: Vec<(usize, Option<&str>)> = d
        .streams()
        .iter()
        .map(|s| (s.index, s.language.as_deref()))
        .collect();
    assert_eq!(
        langs,
        [(0, None), (1, None), (2, Some("eng")), (3, Some("spa"))]
    );
}

#[test]
fn a_pipeline_finds_every_defect_of_every_track() {
    let opts = DecoderOptions::default();
    for threads in [0, 2] {
        let (events, report) = by_pipeline(&opts, threads);
        assert_every_defect_on_its_track(&events, &format!("pipeline, {threads} threads"));
        let tracks: Vec<(usize, u64)> =
            report.tracks.iter().map(|t| (t.index, t.defects)).collect();
        assert_eq!(tracks, [(0, 0), (1, 1), (2, 2), (3, 2)], "{report}");
    }
}

#[test]
fn a_monitor_finds_every_defect_of_every_track() {
    let (events, health) = by_monitor(&DecoderOptions::default());
    assert_every_defect_on_its_track(&events, "monitor");
    // its health has the figures of each track, as a pipeline's report does
    let got: Vec<(usize, MediaKind, Option<&str>)> = health
        .tracks
        .iter()
        .map(|t| (t.index, t.kind, t.language.as_deref()))
        .collect();
    use MediaKind::{Audio, Video};
    assert_eq!(
        got,
        [
            (0, Video, None),
            (1, Video, None),
            (2, Audio, Some("eng")),
            (3, Audio, Some("spa"))
        ]
    );
    for t in &health.tracks {
        let starts = events
            .iter()
            .filter_map(Event::as_defect)
            .filter(|d| d.phase == Phase::Start && d.track == Some(t.index))
            .count() as u64;
        assert_eq!(t.defects, starts, "track {}", t.index);
        assert!(t.defects > 0 || t.index == 0, "track {}", t.index);
    }
    let frames = |k: MediaKind| -> u64 {
        let per: Vec<u64> = health
            .tracks
            .iter()
            .filter(|t| t.kind == k)
            .map(|t| t.frames)
            .collect();
        assert!(per.iter().all(|f| *f > 0), "{k:?}: {per:?}");
        per.iter().sum()
    };
    assert_eq!(frames(Video), health.video_frames);
    assert_eq!(frames(Audio), health.audio_frames);
    assert_eq!(health.tracks[0].frames, 200, "8 s at 25 fps");
}

#[test]
fn best_still_analyses_one_stream_of_each_kind() {
    let opts = DecoderOptions {
        streams: StreamSelection::Best,
        ..Default::default()
    };
    let (events, _) = by_pipeline(&opts, 0);
    let tracks: std::collections::BTreeSet<Option<usize>> =
        defects(&events).into_iter().map(|d| d.1).collect();
    // No black (only in the second video stream), and one audio track.
    assert!(!defects(&events).iter().any(|d| d.0 == "video_black"));
    assert_eq!(tracks.len(), 1, "{tracks:?}");
}

#[test]
fn indices_narrow_the_analysis_to_the_tracks_named() {
    let opts = DecoderOptions {
        streams: StreamSelection::Indices(vec![1, 3]),
        ..Default::default()
    };
    let (events, _) = by_monitor(&opts);
    let got: Vec<(String, Option<usize>)> =
        defects(&events).into_iter().map(|d| (d.0, d.1)).collect();
    assert_eq!(
        got,
        [
            ("audio_clipping".to_string(), Some(3)),
            ("audio_silence".to_string(), Some(3)),
            ("video_black".to_string(), Some(1)),
        ]
    );
}
