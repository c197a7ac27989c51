//! `many_streams`: load test of the [`Monitor`] runtime. Adds N copies of one file as
//! live-paced streams (each decoded and analysed on its own, as N live inputs would be), runs
//! them for a while and prints, once a second and at the end, the threads used, the process
//! memory and how many streams keep up with real time.
//!
//! ```text
//! cargo run --release --example many_streams -- --streams 1000 --secs 30 clip_160x90.ts
//! ```
//!
//! Options: `--streams N` (default 100), `--secs S` run time (default 30), `--workers W`
//! (default one per core), `--detectors JSON` (default: the default set), `--video-only`
//! (decode only the pictures). The last line is a
//! JSON summary (`benches/many_streams.sh` collects it). Exit code 1 when a stream failed.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use avqc::monitor::{Monitor, MonitorConfig, StreamSpec, StreamState};
use avqc::sink::FnSink;
use avqc::{DecoderOptions, Event, Registry, StreamSelection};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let mut streams = 100usize;
    let mut secs = 30.0f64;
    let mut workers = 0usize;
    let mut detectors: Option<String> = None;
    let mut file = None;
    let mut video_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--streams" => streams = val().parse().unwrap_or(streams),
            "--secs" => secs = val().parse().unwrap_or(secs),
            "--workers" => workers = val().parse().unwrap_or(workers),
            "--detectors" => detectors = Some(val()),
            "--video-only" => video_only = true,
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: many_streams [--streams N] [--secs S] [--workers W] [--detectors JSON] [--video-only] FILE");
        return ExitCode::from(2);
    };
    let registry = Registry::builtin();
    let events = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = events.clone();
    let sink = FnSink::new(move |_e: &Event| {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    });
    let config = MonitorConfig {
        workers,
        health_interval_secs: 0.0,
        ..MonitorConfig::default()
    };
    let monitor = match Monitor::builder().config(config).sink(sink).build() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("many_streams: {e}");
            return ExitCode::from(2);
        }
    };
    let rss_before = rss_kib();
    let opts = DecoderOptions {
        realtime: true,
        threads: 1,
        streams: if video_only {
            StreamSelection::VideoOnly
        } else {
            StreamSelection::Best
        },
        ..Default::default()
    };
    let t0 = Instant::now();
    for i in 0..streams {
        let set = match &detectors {
            Some(json) => registry.build_json(json),
            None => registry.build_defaults(),
        };
        let spec = match set {
            Ok(set) => StreamSpec::open(format!("s{i:04}"), file.clone(), &opts).detectors(set),
            Err(e) => {
                eprintln!("many_streams: {e}");
                return ExitCode::from(2);
            }
        };
        if let Err(e) = monitor.add(spec) {
            eprintln!("many_streams: stream {i}: {e}");
            return ExitCode::from(2);
        }
    }
    let added_secs = t0.elapsed().as_secs_f64();
    let mut rss_peak = 0u64;
    let mut max_lagging = 0usize;
    let mut worst_lag = 0.0f64;
    let mut rss_at_10s = None;
    while t0.elapsed() < Duration::from_secs_f64(secs) {
        std::thread::sleep(Duration::from_secs(1));
        let h = monitor.health();
        let rss = rss_kib();
        rss_peak = rss_peak.max(rss);
        if rss_at_10s.is_none() && t0.elapsed() >= Duration::from_secs(10) {
            rss_at_10s = Some(rss);
        }
        let lagging = h.iter().filter(|s| s.lagging).count();
        let lag = h.iter().map(|s| s.lag_secs).fold(0.0, f64::max);
        // Ignore the start-up (opening N inputs takes a while on a loaded machine).
        if t0.elapsed().as_secs_f64() > added_secs + 3.0 {
            max_lagging = max_lagging.max(lagging);
            worst_lag = worst_lag.max(lag);
        }
        let running = h.iter().filter(|s| s.state == StreamState::Running).count();
        let fps: f64 = h.iter().map(|s| s.fps).sum();
        eprintln!(
            "t={:5.1}s running {running}/{streams} fps {fps:.0} lagging {lagging} max lag {lag:.2}s threads {} rss {} MiB",
            t0.elapsed().as_secs_f64(),
            monitor.threads(),
            rss / 1024
        );
    }
    let health = monitor.health();
    let failed = health
        .iter()
        .filter(|s| s.state == StreamState::Failed)
        .count();
    let behind = health.iter().filter(|s| s.max_lag_secs > 1.0).count();
    let threads_peak = monitor.threads_peak();
    let rss_end = rss_kib();
    let per_stream = rss_end.saturating_sub(rss_before) as f64 / streams.max(1) as f64;
    let _ = monitor.shutdown();
    println!(
        "{{\"streams\":{streams},\"secs\":{secs},\"workers\":{},\"threads_peak\":{threads_peak},\"rss_before_mib\":{:.1},\"rss_10s_mib\":{:.1},\"rss_end_mib\":{:.1},\"rss_peak_mib\":{:.1},\"kib_per_stream\":{per_stream:.0},\"max_lagging\":{max_lagging},\"worst_lag_secs\":{worst_lag:.2},\"streams_ever_behind_1s\":{behind},\"failed\":{failed},\"events\":{},\"add_secs\":{added_secs:.1}}}",
        if workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { workers },
        rss_before as f64 / 1024.0,
        rss_at_10s.unwrap_or(rss_end) as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        rss_peak as f64 / 1024.0,
        events.load(std::sync::atomic::Ordering::Relaxed),
    );
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
