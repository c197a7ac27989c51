//! Helpers of the live-input tests: an ffmpeg sender on loopback, a pipeline run on its own
//! thread with bounded waits, and a frame counter.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use avqc::event::DefectEvent;
use avqc::pipeline::Ending;
use avqc::sink::Collect;
use avqc::{
    Decoder, Detector, Event, Events, Media, MediaTime, Phase, Pipeline, Registry, Report,
    StopSignal, Wants,
};

/// A free UDP port on loopback (bound, read and released).
pub fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// A free TCP port on loopback (bound, read and released): nothing listens there yet.
pub fn free_tcp_port() -> u16 {
    let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// The sound of the senders: a sine.
pub const SINE: &str = "sine=frequency=440:sample_rate=48000";

/// The lavfi test picture + `audio` (a lavfi source) as small H.264 + AAC, paced in real time
/// for `secs`.
pub fn lavfi_args(secs: f64, audio: &str) -> Vec<String> {
    let secs = format!("{secs}");
    let args = "-hide_banner -loglevel error -nostdin -re -f lavfi -i testsrc=size=160x90:rate=25 \
        -f lavfi -i AUDIO -t SECS -map 0:v -map 1:a -c:v libx264 -preset ultrafast \
        -tune zerolatency -g 25 -pix_fmt yuv420p -c:a aac -b:a 64k";
    args.split_whitespace()
        .map(|a| match a {
            "AUDIO" => audio.to_string(),
            "SECS" => secs.clone(),
            a => a.to_string(),
        })
        .collect()
}

/// An ffmpeg process, killed (by its own pid) when dropped.
pub struct Sender(pub Child);

impl Sender {
    /// `ffmpeg <lavfi_args(secs, SINE)> <output...>`.
    pub fn start(secs: f64, output: &[&str]) -> Sender {
        Sender::start_with(secs, SINE, output)
    }

    /// `ffmpeg <lavfi_args(secs, audio)> <output...>`.
    pub fn start_with(secs: f64, audio: &str, output: &[&str]) -> Sender {
        let child = Command::new("ffmpeg")
            .args(lavfi_args(secs, audio))
            .args(output)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the ffmpeg CLI runs (scripts/install-deps.sh installs it)");
        Sender(child)
    }

    /// MPEG-TS over UDP to `127.0.0.1:port`.
    pub fn udp(secs: f64, port: u16) -> Sender {
        let url = format!("udp://127.0.0.1:{port}?pkt_size=1316");
        Sender::start(secs, &["-f", "mpegts", &url])
    }

    /// True once the sender has exited by itself (its `secs` are over).
    pub fn exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }

    /// Stops the sender now.
    pub fn stop(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Counts the pictures and sounds a pipeline decodes and checks that each stream's times only
/// go forward.
#[derive(Clone, Default)]
pub struct Counter {
    pub video: Arc<AtomicU64>,
    pub audio: Arc<AtomicU64>,
    /// Items whose time is before the previous item of their kind.
    pub backwards: Arc<AtomicU64>,
    last_video_us: Arc<AtomicI64>,
    last_audio_us: Arc<AtomicI64>,
}

impl Counter {
    pub fn video(&self) -> u64 {
        self.video.load(Ordering::SeqCst)
    }
    pub fn audio(&self) -> u64 {
        self.audio.load(Ordering::SeqCst)
    }
    pub fn detector(&self) -> Box<dyn Detector> {
        Box::new(CounterDetector(self.clone()))
    }
}

struct CounterDetector(Counter);

impl Detector for CounterDetector {
    fn name(&self) -> &str {
        "counter"
    }
    fn wants(&self) -> Wants {
        Wants::VIDEO | Wants::AUDIO
    }
    fn process(&mut self, media: &Media, _out: &mut Events) {
        let c = &self.0;
        let (n, last) = match media {
            Media::Video(_) => (&c.video, &c.last_video_us),
            Media::Audio(_) => (&c.audio, &c.last_audio_us),
            Media::Notice(_) => return,
        };
        let us = (media.time().as_secs_f64() * 1e6) as i64;
        if n.load(Ordering::SeqCst) > 0 && us < last.load(Ordering::SeqCst) {
            c.backwards.fetch_add(1, Ordering::SeqCst);
        }
        last.store(us, Ordering::SeqCst);
        n.fetch_add(1, Ordering::SeqCst);
    }
    fn finish(&mut self, _at: MediaTime, _out: &mut Events) {}
}

/// A pipeline running on its own thread.
pub struct Running {
    pub events: Collect,
    pub stop: StopSignal,
    pub counter: Counter,
    done: crossbeam_channel::Receiver<(Report, avqc::Result<()>)>,
}

/// Opens the input with `open` (given the pipeline's stop signal, so a blocking open can be
/// interrupted) and runs it with `detectors` (types) and the stall timeout, on a thread.
pub fn run<D, F>(open: F, detectors: &[&str], stall: Duration) -> Running
where
    D: Decoder + 'static,
    F: FnOnce(&StopSignal) -> avqc::Result<D> + Send + 'static,
{
    let events = Collect::new();
    let stop = StopSignal::new();
    let counter = Counter::default();
    let (tx, done) = crossbeam_channel::bounded(1);
    let (sink, stop2, counter2) = (events.clone(), stop.clone(), counter.clone());
    let mut dets = Registry::builtin().build_names(detectors).unwrap();
    dets.push(counter2.detector());
    std::thread::spawn(move || {
        let decoder = match open(&stop2) {
            Ok(d) => d,
            Err(e) => {
                let _ = tx.send((Report::default(), Err(e)));
                return;
            }
        };
        let outcome = Pipeline::builder()
            .decoder(decoder)
            .detectors(dets)
            .stall_timeout(stall)
            .stop_signal(stop2)
            .sink(sink)
            .build()
            .unwrap()
            .run_with_report();
        let _ = tx.send(outcome);
    });
    Running {
        events,
        stop,
        counter,
        done,
    }
}

impl Running {
    /// Waits (polling) until `cond` holds, at most `limit`; false on timeout.
    pub fn wait_for(&self, limit: Duration, mut cond: impl FnMut(&Running) -> bool) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if cond(self) {
                return true;
            }
            if let Ok(outcome) = self.done.try_recv() {
                panic!("the pipeline ended early: {:?}", outcome.1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// True while an `input_stall` is open (more starts than ends so far). On a loaded machine
    /// a live input may stall briefly on its own too, so tests ask "stalled now", not "has
    /// stalled once".
    pub fn stalled(&self) -> bool {
        let events = self.events.events();
        let n = |p: Phase| events.iter().filter(|e| stall(p)(e)).count();
        n(Phase::Start) > n(Phase::End)
    }

    /// True once an event like this was emitted.
    pub fn has(&self, pred: impl Fn(&Event) -> bool) -> bool {
        self.events.events().iter().any(pred)
    }

    /// Raises the stop signal and waits for the end, at most `limit` (a panic if it hangs).
    pub fn stop(self, limit: Duration) -> (Report, avqc::Result<()>, Vec<Event>) {
        self.stop.stop();
        self.finish(limit)
    }

    /// Waits for the pipeline to end by itself, at most `limit`.
    pub fn finish(self, limit: Duration) -> (Report, avqc::Result<()>, Vec<Event>) {
        let (report, result) = self
            .done
            .recv_timeout(limit)
            .unwrap_or_else(|_| panic!("the pipeline did not end within {limit:?}"));
        (report, result, self.events.events())
    }
}

/// Defect events of type `name`.
pub fn defects<'a>(events: &'a [Event], name: &str) -> Vec<&'a DefectEvent> {
    events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.defect.as_str() == name)
        .collect()
}

/// `input_stall` start (or end) emitted.
pub fn stall(phase: Phase) -> impl Fn(&Event) -> bool {
    move |e| {
        e.as_defect()
            .is_some_and(|d| d.defect.as_str() == "input_stall" && d.phase == phase)
    }
}

/// A notice of this name emitted.
pub fn notice(name: &'static str) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Notice(n) if n.name == name)
}

/// Names of the notices, in order.
pub fn notice_names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) => Some(n.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The `input_stall` events come in start/end pairs, at least one.
pub fn assert_stall_pairs(events: &[Event]) -> Vec<&DefectEvent> {
    let stalls = defects(events, "input_stall");
    assert!(stalls.len() >= 2, "{stalls:?}");
    for pair in stalls.chunks(2) {
        assert_eq!(pair.len(), 2, "{stalls:?}");
        assert_eq!((pair[0].phase, pair[1].phase), (Phase::Start, Phase::End));
        assert_eq!(pair[0].start, pair[1].start);
        assert!(pair[1].end.unwrap() >= pair[1].start);
    }
    stalls
}

/// Every defect started was ended (same type and start), and nothing ended that did not start.
pub fn assert_every_start_ended(events: &[Event]) {
    let mut open: Vec<(String, String, MediaTime)> = Vec::new();
    for d in events.iter().filter_map(Event::as_defect) {
        let key = (d.detector.to_string(), d.defect.to_string(), d.start);
        match d.phase {
            Phase::Start => open.push(key),
            Phase::End => {
                let i = open.iter().position(|k| *k == key);
                assert!(i.is_some(), "an end without a start: {d:?}");
                open.remove(i.unwrap());
            }
        }
    }
    assert!(open.is_empty(), "started, never ended: {open:?}");
}

/// How the run ended, for messages.
pub fn ending(r: &Report) -> &Ending {
    &r.ending
}

/// A tiny HTTP/1.1 file server on loopback (one thread per connection, `Connection: close`);
/// names in `missing` answer 404. Stopped when dropped.
pub struct HttpServer {
    pub port: u16,
    stop: Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl HttpServer {
    pub fn serve(dir: std::path::PathBuf, missing: &[&str]) -> HttpServer {
        HttpServer::serve_on(0, dir, missing)
    }

    /// Like `serve`, on loopback port `port` (0: any free one).
    pub fn serve_on(port: u16, dir: std::path::PathBuf, missing: &[&str]) -> HttpServer {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let missing: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let (dir, missing) = (dir.clone(), missing.clone());
                std::thread::spawn(move || {
                    let _ = conn.set_nonblocking(false);
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16384 {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&req);
                    let path = line.split_whitespace().nth(1).unwrap_or("/");
                    let name = path.trim_start_matches('/').split('?').next().unwrap_or("");
                    let body = (!missing.iter().any(|m| m == name) && !name.contains(".."))
                        .then(|| std::fs::read(dir.join(name)).ok())
                        .flatten();
                    let head = match &body {
                        Some(b) => format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: {}\r\nConnection: close\r\n\r\n",
                            b.len(),
                            if name.ends_with(".m3u8") { "application/vnd.apple.mpegurl" } else { "video/mp2t" }
                        ),
                        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
                    };
                    let _ = conn.write_all(head.as_bytes());
                    if let Some(b) = body {
                        let _ = conn.write_all(&b);
                    }
                });
            }
        });
        HttpServer {
            port,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "avqc-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// ffmpeg's HLS muxer writing a live playlist `live.m3u8` (1 s segments `segN.ts`, the last 6
/// listed, no end tag) into `dir` for `secs` of real time.
pub fn hls_writer(secs: f64, dir: &std::path::Path) -> Sender {
    let seg = dir.join("seg%d.ts");
    let list = dir.join("live.m3u8");
    Sender::start(
        secs,
        &[
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_list_size",
            "6",
            "-hls_flags",
            "omit_endlist",
            "-hls_segment_filename",
            seg.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
    )
}

/// Waits until the playlist in `dir` lists at least `n` segments (at most `limit`).
pub fn wait_for_segments(dir: &std::path::Path, n: usize, limit: Duration) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        let listed = std::fs::read_to_string(dir.join("live.m3u8"))
            .map(|s| s.lines().filter(|l| l.ends_with(".ts")).count())
            .unwrap_or(0);
        if listed >= n {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The `monitor` binary as a child process whose JSON lines are read on a thread, for the
/// command-line tests against live senders.
pub struct MonitorProcess {
    child: Child,
    lines: crossbeam_channel::Receiver<serde_json::Value>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Every line read so far.
    pub seen: Vec<serde_json::Value>,
}

impl MonitorProcess {
    /// Starts `bin` with `args`, stdout read line by line (each must be JSON).
    pub fn start(bin: &std::path::Path, args: &[&str]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("monitor starts");
        let (tx, lines) = crossbeam_channel::unbounded();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(serde_json::from_str(&line).expect("JSON lines"));
            }
        });
        MonitorProcess {
            child,
            lines,
            reader: Some(reader),
            seen: Vec::new(),
        }
    }

    /// Waits for an event `"defect phase"` (e.g. `"input_stall start"`) within `limit`;
    /// kills the monitor and panics with what it printed otherwise.
    pub fn wait_for(&mut self, what: &str, limit: Duration) {
        let (name, phase) = what.split_once(' ').unwrap();
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Ok(e) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let hit = e["defect"] == name && e["phase"] == phase;
                self.seen.push(e);
                if hit {
                    return;
                }
            }
        }
        let _ = self.child.kill();
        panic!("no {what} within {limit:?}: {:?}", self.seen);
    }

    /// Sends SIGINT and waits up to `limit` for the exit (panics past it); every line it
    /// printed is then in [`seen`](Self::seen).
    pub fn interrupt(&mut self, limit: Duration) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let t0 = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if t0.elapsed() > limit {
                let _ = self.child.kill();
                panic!("monitor did not exit after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        self.seen.extend(self.lines.try_iter());
        status
    }
}

impl Drop for MonitorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
