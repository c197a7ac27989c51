//! The webhook sink against a local HTTP listener that is slow, then down, then back: no
//! event is lost while the queue has room, a full queue's drops are counted exactly, and a
//! run finishes on time while the listener is down (the sink never stalls the analysis).
#![cfg(feature = "webhook")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use avqc::event::{DefectEvent, MetricEvent};
use avqc::sink::{Collect, QueueConfig, WebhookConfig, WebhookSink};
use avqc::{
    DefectKind, Event, FrameSource, Media, MediaTime, Phase, Pipeline, PixelFormat, Registry, Sink,
    StreamInfo, VideoFrame,
};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Answers each request after a delay.
    Slow(Duration),
    /// Answers at once.
    Up,
    /// Not listening: connections are refused.
    Down,
}

/// A webhook receiver on a fixed port, switched between slow, up and down.
struct Hook {
    port: u16,
    mode: Arc<Mutex<Mode>>,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hook {
    fn start(mode: Mode) -> Hook {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mode = Arc::new(Mutex::new(mode));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, b, s) = (mode.clone(), bodies.clone(), stop.clone());
        let thread = std::thread::spawn(move || serve(port, &m, &b, &s));
        Hook {
            port,
            mode,
            bodies,
            stop,
            thread: Some(thread),
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/alerts", self.port)
    }

    /// The `start` (seconds) of each defect posted, in arrival order.
    fn starts(&self) -> Vec<f64> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["start"].as_f64().unwrap())
            .collect()
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(port: u16, mode: &Mutex<Mode>, bodies: &Mutex<Vec<serde_json::Value>>, stop: &AtomicBool) {
    let current = || *mode.lock().unwrap();
    while !stop.load(Ordering::SeqCst) {
        if current() == Mode::Down {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the hook port is free again");
        listener.set_nonblocking(true).unwrap();
        // serve until told to go down (the listener is closed: connections are refused)
        while !stop.load(Ordering::SeqCst) && current() != Mode::Down {
            match listener.accept() {
                Ok((s, _)) => answer(s, current(), bodies),
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    }
}

fn answer(stream: TcpStream, mode: Mode, bodies: &Mutex<Vec<serde_json::Value>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut r = BufReader::new(&stream);
    let mut line = String::new();
    let mut length = 0usize;
    let mut first = true;
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if first {
            assert!(line.starts_with("POST /alerts "), "{line}");
            first = false;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
            if k.eq_ignore_ascii_case("content-type") {
                assert_eq!(v.trim(), "application/json");
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).unwrap();
    if let Mode::Slow(d) = mode {
        std::thread::sleep(d);
    }
    bodies
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    let mut w = &stream;
    let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

fn defect(i: usize) -> Event {
    Event::Defect(DefectEvent {
        phase: Phase::Start,
        stream: "cam1".into(),
        detector: "freeze".into(),
        defect: DefectKind::VIDEO_FREEZE,
        start: MediaTime::from_secs_f64(i as f64),
        end: None,
        emitted_at: MediaTime::from_secs_f64(i as f64),
        details: Default::default(),
        track: None,
        language: None,
    })
}

fn config(url: String, queue: QueueConfig) -> WebhookConfig {
    WebhookConfig {
        url,
        timeout_secs: 2.0,
        queue,
        ..WebhookConfig::default()
    }
}

fn quick_retries() -> QueueConfig {
    QueueConfig {
        max_retries: None,
        backoff_initial_secs: 0.02,
        backoff_max_secs: 0.2,
        ..QueueConfig::default()
    }
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Emits `range` and checks the caller never waited on the network (a sink that posted on
/// the caller's thread would take at least 100 ms per event from the slow listener, and
/// retry with backoff while it is down).
fn emit_all(sink: &mut WebhookSink, range: std::ops::Range<usize>) {
    let t0 = Instant::now();
    for i in range {
        sink.emit(&defect(i)).unwrap();
    }
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "emit waited {:?}",
        t0.elapsed()
    );
}

#[test]
fn slow_then_down_then_back_loses_nothing() {
    let hook = Hook::start(Mode::Slow(Duration::from_millis(100)));
    let mut sink = WebhookSink::new(config(hook.url(), quick_retries())).unwrap();
    let stats = sink.stats();
    emit_all(&mut sink, 0..10);
    wait_for("the first posts", 10, || stats.counts().delivered >= 3);
    hook.set(Mode::Down);
    emit_all(&mut sink, 10..20);
    wait_for("retries while down", 10, || stats.counts().retried >= 3);
    let delivered_while_down = stats.counts().delivered;
    std::thread::sleep(Duration::from_millis(300));
    assert!(stats.counts().delivered <= delivered_while_down + 1);
    hook.set(Mode::Up);
    emit_all(&mut sink, 20..30);
    // a metric is not a defect: not posted
    sink.emit(&Event::Metric(MetricEvent {
        stream: "cam1".into(),
        detector: "loudness".into(),
        name: "momentary_lufs".into(),
        value: -23.0,
        at: MediaTime::ZERO,
        track: None,
        language: None,
    }))
    .unwrap();
    wait_for("every post", 30, || stats.counts().delivered == 30);
    let c = sink.finish();
    assert_eq!((c.delivered, c.lost(), c.queued), (30, 0, 0), "{c:?}");
    assert!(c.retried >= 3, "{c:?}");
    // every defect arrived once, in order
    assert_eq!(hook.starts(), (0..30).map(|i| i as f64).collect::<Vec<_>>());
    let body = hook.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["kind"], "defect");
    assert_eq!(body["defect"], "video_freeze");
    assert_eq!(body["stream"], "cam1");
}

#[test]
fn a_tiny_queue_counts_exactly_what_it_dropped() {
    let hook = Hook::start(Mode::Down);
    let queue = QueueConfig {
        capacity: 2,
        finish_timeout_secs: 5.0,
        ..quick_retries()
    };
    let mut sink = WebhookSink::new(config(hook.url(), queue)).unwrap();
    let stats = sink.stats();
    emit_all(&mut sink, 0..1);
    // the first event is being retried, out of the queue: 2 more fit, 7 do not
    wait_for("the first retry", 10, || stats.counts().retried >= 1);
    emit_all(&mut sink, 1..10);
    assert_eq!(stats.counts().dropped, 7);
    hook.set(Mode::Up);
    wait_for("the kept events", 20, || stats.counts().delivered == 3);
    let c = sink.finish();
    assert_eq!(
        (c.delivered, c.dropped, c.failed, c.unsent),
        (3, 7, 0, 0),
        "{c:?}"
    );
    assert_eq!(hook.starts(), vec![0.0, 1.0, 2.0]);
}

#[test]
fn a_run_finishes_on_time_while_the_receiver_is_down() {
    let hook = Hook::start(Mode::Down);
    let queue = QueueConfig {
        finish_timeout_secs: 1.0,
        ..quick_retries()
    };
    let webhook = WebhookSink::new(config(hook.url(), queue)).unwrap();
    let stats = webhook.stats();
    // 20 s at 25 fps: 1.5 s black, 0.5 s grey, ten times
    let frames = (0..500).map(|i| {
        let black = i % 50 < 38;
        let y = if black { 16 } else { 120 };
        Media::Video(
            VideoFrame::filled(
                64,
                36,
                PixelFormat::Yuv420p,
                MediaTime::from_secs_f64(i as f64 / 25.0),
                [y, 128, 128],
            )
            .with_duration(Some(0.04)),
        )
    });
    let source = FrameSource::new(
        "cam1",
        vec![StreamInfo::video(0, "raw", 64, 36, None)],
        frames,
    );
    let events = Collect::new();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(events.clone()), Box::new(webhook)];
    let t0 = Instant::now();
    let report = Pipeline::builder()
        .decoder(source)
        .detectors(Registry::builtin().build_names(&["black"]).unwrap())
        .sink(sinks)
        .build()
        .unwrap()
        .run()
        .unwrap();
    let wall = t0.elapsed();
    // the analysis did not wait for the receiver: its end, plus the 1 s the sink may take
    // to flush at the end, plus slack for a loaded machine
    assert!(wall < Duration::from_secs(6), "the run took {wall:?}");
    assert_eq!(report.ending, avqc::pipeline::Ending::EndOfInput);
    let defects = events
        .events()
        .iter()
        .filter(|e| e.as_defect().is_some())
        .count() as u64;
    assert_eq!(
        defects, 20,
        "ten black stretches, each with a start and an end"
    );
    let c = stats.counts();
    assert!(c.finished, "{c:?}");
    assert_eq!(c.delivered, 0);
    assert_eq!(c.lost(), defects, "{c:?}");
    assert!(hook.starts().is_empty());
}

#[test]
fn bad_urls_are_refused() {
    for url in ["", "ftp://x/y", "localhost:80"] {
        let e = WebhookSink::new(config(url.into(), QueueConfig::default()));
        assert!(e.is_err(), "{url}");
    }
}

#[cfg(not(feature = "webhook-tls"))]
#[test]
fn https_needs_the_tls_feature() {
    let e = WebhookSink::new(config(
        "https://127.0.0.1:1/x".into(),
        QueueConfig::default(),
    ));
    let e = e.err().expect("refused");
    assert!(e.to_string().contains("webhook-tls"), "{e}");
}
