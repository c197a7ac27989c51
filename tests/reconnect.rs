//! `Reconnecting` in a pipeline (pure Rust): a source that fails, reconnects to a sender whose
//! clock restarted elsewhere, and one that never comes back.

use std::sync::{Arc, Mutex};

use avqc::pipeline::Ending;
use avqc::sink::Collect;
use avqc::*;

/// One connection: `secs` of 25 fps moving pictures and 48 kHz sine from raw time `t0`, then a
/// read error.
struct Connection {
    t0: f64,
    items: std::vec::IntoIter<Media>,
}

impl Connection {
    fn new(t0: f64, secs: f64) -> Self {
        let mut items = Vec::new();
        let frames = (secs * 25.0) as usize;
        for i in 0..frames {
            let t = t0 + i as f64 * 0.04;
            let pic = VideoFrame::from_fn(
                64,
                36,
                PixelFormat::Yuv420p,
                MediaTime::from_secs_f64(t),
                |p, x, y| {
                    if p == 0 {
                        ((x * 7 + y * 3 + i * 11) % 200 + 16) as u8
                    } else {
                        128
                    }
                },
            )
            .with_duration(Some(0.04));
            items.push(Media::Video(pic));
            for k in 0..2 {
                let start = ((t + k as f64 * 0.02) * 48_000.0).round() as i64;
                let samples = (0..960)
                    .map(|n| {
                        (((start + n) as f32) * 440.0 * std::f32::consts::TAU / 48_000.0).sin()
                            * 0.3
                    })
                    .collect();
                let time = MediaTime::new(start, Rational::new(1, 48_000));
                items.push(Media::Audio(
                    AudioFrame::new(48_000, 1, time, samples)
                        .unwrap()
                        .with_stream(1),
                ));
            }
        }
        Connection {
            t0,
            items: items.into_iter(),
        }
    }
}

impl Decoder for Connection {
    fn name(&self) -> &str {
        "live"
    }
    fn streams(&self) -> &[StreamInfo] {
        &[]
    }
    fn next(&mut self) -> Result<Option<Media>> {
        match self.items.next() {
            Some(m) => Ok(Some(m)),
            None => Err(Error::Read {
                input: format!("live from {}", self.t0),
                message: "connection reset by peer".into(),
            }),
        }
    }
}

fn policy(attempts: u32) -> ReconnectPolicy {
    ReconnectPolicy {
        attempts,
        initial_backoff_ms: 1,
        max_backoff_ms: 4,
    }
}

/// Runs the `Reconnecting` decoder that `opens` (raw start times of each connection; `None` =
/// that open fails) builds, with the detectors a reconnect could upset.
fn run(opens: Vec<Option<f64>>) -> (Report, Result<()>, Vec<Event>) {
    let opens = Arc::new(Mutex::new(opens.into_iter()));
    let opener = move |_: &StopSignal| -> Result<Box<dyn Decoder>> {
        match opens.lock().unwrap().next().flatten() {
            Some(t0) => Ok(Box::new(Connection::new(t0, 3.0))),
            None => Err(Error::Open {
                input: "live".into(),
                message: "connection refused".into(),
            }),
        }
    };
    let decoder =
        Reconnecting::open("live", policy(3), &StopSignal::new(), Box::new(opener)).unwrap();
    let events = Collect::new();
    let detectors = Registry::builtin()
        .build_names(&[
            "freeze",
            "frame_drop",
            "video_loss",
            "sync",
            "silence",
            "stutter",
        ])
        .unwrap();
    let (report, result) = Pipeline::builder()
        .decoder(decoder)
        .detectors(detectors)
        .sink(events.clone())
        .build()
        .unwrap()
        .run_with_report();
    (report, result, events.events())
}

fn notices(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) => Some(n.name.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_timeline_continues_across_a_reconnect_without_false_alarms() {
    // 3 s from raw 10 s; two refused attempts; then a sender whose clock starts at 500 s
    let (report, result, events) = run(vec![Some(10.0), None, None, Some(500.0)]);
    // that connection fails too, and the three attempts after it are refused
    let err = result.unwrap_err();
    assert!(
        err.to_string()
            .contains("gave up after 3 reconnect attempts"),
        "{err}"
    );
    assert!(
        matches!(report.ending, Ending::InputFailed(_)),
        "{:?}",
        report.ending
    );
    let names = notices(&events);
    assert_eq!(
        names,
        [
            "input_lost",
            "reconnect_failed",
            "reconnect_failed",
            "reconnected",
            "discontinuity",
            "input_lost",
            "reconnect_failed",
            "reconnect_failed",
            "reconnect_failed",
        ],
        "{events:?}"
    );
    // 6 s of media on one continued timeline
    assert!((report.media_duration - 6.0).abs() < 0.05, "{report:?}");
    assert_eq!(report.video_frames_decoded, 150);
    let defects: Vec<_> = events.iter().filter_map(Event::as_defect).collect();
    assert!(defects.is_empty(), "{defects:?}");
}

#[test]
fn without_the_joint_the_same_jump_is_reported() {
    // the control: the second connection's frames glued on with their raw times, as a decoder
    // without the bridging would give them; frame_drop sees the hole the reconnect leaves
    let mut items: Vec<Media> = Connection::new(10.0, 3.0).items.collect();
    items.extend(Connection::new(13.5, 3.0).items);
    let events = Collect::new();
    Pipeline::builder()
        .decoder(FrameSource::new("glued", vec![], items))
        .detectors(Registry::builtin().build_names(&["frame_drop"]).unwrap())
        .sink(events.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    let drops = events
        .events()
        .iter()
        .filter(|e| {
            e.as_defect()
                .is_some_and(|d| d.defect.as_str() == "video_frame_drop")
        })
        .count();
    assert!(drops > 0, "the detectors see an unbridged hole");
}

#[test]
fn no_stream_goes_back_when_the_new_connection_starts_unevenly() {
    // the second connection sends 0.3 s of sound before its first picture, whose time is
    // 0.3 s *earlier* than that sound (a decoder waiting for a key frame, reordered output)
    let opens = Arc::new(Mutex::new(0));
    let opener = move |_: &StopSignal| -> Result<Box<dyn Decoder>> {
        let mut n = opens.lock().unwrap();
        *n += 1;
        if *n > 2 {
            return Err(Error::Open {
                input: "live".into(),
                message: "connection refused".into(),
            });
        }
        let mut c = Connection::new(if *n == 1 { 10.0 } else { 500.0 }, 2.0);
        if *n == 2 {
            let (audio, video): (Vec<Media>, Vec<Media>) =
                c.items.partition(|m| matches!(m, Media::Audio(_)));
            let mut items: Vec<Media> = audio
                .into_iter()
                .map(|m| match m {
                    Media::Audio(a) => {
                        let t = a.time().add_secs(0.3);
                        Media::Audio(a.with_time(t))
                    }
                    m => m,
                })
                .collect();
            let rest = items.split_off(30);
            items.extend(video);
            items.extend(rest);
            c.items = items.into_iter();
        }
        Ok(Box::new(c))
    };
    let mut d =
        Reconnecting::open("live", policy(1), &StopSignal::new(), Box::new(opener)).unwrap();
    let (mut last_video, mut last_audio) = (f64::MIN, f64::MIN);
    let mut media = 0;
    loop {
        match d.next() {
            Ok(Some(m)) => {
                let t = m.time().as_secs_f64();
                let last = match m {
                    Media::Video(_) => &mut last_video,
                    Media::Audio(_) => &mut last_audio,
                    Media::Notice(_) => continue,
                };
                assert!(t >= *last, "{t} after {last}");
                *last = t;
                media += 1;
            }
            Ok(None) => panic!("ends with an error"),
            Err(_) => break,
        }
    }
    // 2 s of 25 pictures and 50 blocks of sound per second, twice
    assert_eq!(media, 2 * 2 * 75, "every item came out");
}

/// What the detectors need reaches every connection, the reopened ones too.
#[test]
fn every_connection_learns_what_the_detectors_need() {
    struct Told {
        inner: Connection,
        log: Arc<Mutex<Vec<(f64, Needs)>>>,
    }
    impl Decoder for Told {
        fn name(&self) -> &str {
            self.inner.name()
        }
        fn streams(&self) -> &[StreamInfo] {
            &[]
        }
        fn next(&mut self) -> Result<Option<Media>> {
            self.inner.next()
        }
        fn relax(&mut self, needs: Needs) {
            self.log.lock().unwrap().push((self.inner.t0, needs));
        }
    }
    let log = Arc::new(Mutex::new(Vec::new()));
    let opens = Arc::new(Mutex::new(vec![0.0, 50.0].into_iter()));
    let opener = {
        let log = log.clone();
        move |_: &StopSignal| -> Result<Box<dyn Decoder>> {
            match opens.lock().unwrap().next() {
                Some(t0) => Ok(Box::new(Told {
                    inner: Connection::new(t0, 1.0),
                    log: log.clone(),
                })),
                None => Err(Error::Open {
                    input: "live".into(),
                    message: "connection refused".into(),
                }),
            }
        }
    };
    let decoder =
        Reconnecting::open("live", policy(1), &StopSignal::new(), Box::new(opener)).unwrap();
    let (_, result) = Pipeline::builder()
        .decoder(decoder)
        .detectors(
            Registry::builtin()
                .build_names(&["black", "silence"])
                .unwrap(),
        )
        .sink(Collect::new())
        .build()
        .unwrap()
        .run_with_report();
    assert!(
        result.is_err(),
        "gives up after the second connection fails"
    );
    let levels = Needs {
        every_frame: true,
        deblocked: false,
    };
    assert_eq!(*log.lock().unwrap(), vec![(0.0, levels), (50.0, levels)]);
}
