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
//!
//! Capacity and overload (`benches/README.md` has the table):
//! * `--admit`: instead of `--streams`, add streams with `Monitor::try_add` until one is
//!   refused: the capacity C of this machine (printed, with the reason of the refusal).
//! * `--load F` (with `--admit`): then add streams with `Monitor::add` up to F×C in all.
//! * Priorities cycle 10, 50, 90 over the streams; the overload controller degrades by
//!   `--degrade reduce|shed` (default reduce); `--no-degrade` turns it off (the before).
//! * `--target U`: the target utilisation (default 0.8).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use avqc::monitor::{DegradePolicy, Monitor, MonitorConfig, StreamSpec, StreamState};
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
    let mut admit = false;
    let mut load = 1.0f64;
    let mut degrade = DegradePolicy::Reduce;
    let mut target = 0.8f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--streams" => streams = val().parse().unwrap_or(streams),
            "--secs" => secs = val().parse().unwrap_or(secs),
            "--workers" => workers = val().parse().unwrap_or(workers),
            "--detectors" => detectors = Some(val()),
            "--video-only" => video_only = true,
            "--admit" => admit = true,
            "--load" => load = val().parse().unwrap_or(load),
            "--no-degrade" => degrade = DegradePolicy::Off,
            "--degrade" => {
                degrade = match val().as_str() {
                    "shed" => DegradePolicy::Shed,
                    "off" => DegradePolicy::Off,
                    _ => DegradePolicy::Reduce,
                }
            }
            "--target" => target = val().parse().unwrap_or(target),
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: many_streams [--streams N | --admit [--load F]] [--no-degrade | --degrade reduce|shed] [--target U] [--secs S] [--workers W] [--detectors JSON] [--video-only] FILE");
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
        target_utilisation: target,
        degrade,
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
    let spec_of = |i: usize| -> Result<StreamSpec, avqc::Error> {
        let set = match &detectors {
            Some(json) => registry.build_json(json),
            None => registry.build_defaults(),
        }?;
        let priority = [10, 50, 90][i % 3];
        Ok(StreamSpec::open(format!("s{i:04}"), file.clone(), &opts)
            .detectors(set)
            .priority(priority))
    };
    let mut capacity = None;
    if admit {
        let mut i = 0;
        let refusal = loop {
            let spec = match spec_of(i) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("many_streams: {e}");
                    return ExitCode::from(2);
                }
            };
            match monitor.try_add(spec) {
                Ok(()) => i += 1,
                Err(avqc::Error::Capacity {
                    transient: true, ..
                }) => std::thread::sleep(Duration::from_millis(250)),
                Err(e) => break e,
            }
        };
        let c = monitor.capacity();
        eprintln!(
            "capacity: {i} streams admitted; refused: {refusal}; budget {:.2} cores (others {:.2}), used {:.2}",
            c.budget_cores, c.other_cores, c.used_cores
        );
        for p in &c.profiles {
            eprintln!("  profile {}: {:.3} cores a stream", p.name, p.cost_cores);
        }
        capacity = Some(i);
        streams = ((i as f64) * load).round() as usize;
    }
    for i in capacity.unwrap_or(0)..streams {
        let spec = match spec_of(i) {
            Ok(s) => s,
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
    // Streams behind real time (lag over 1 s) in the second half of the run, once the
    // start-up and the controller's steps are over.
    let judge_from = added_secs + (secs - added_secs).max(0.0) / 2.0;
    let mut behind_late = std::collections::BTreeSet::new();
    while t0.elapsed() < Duration::from_secs_f64(secs) {
        std::thread::sleep(Duration::from_secs(1));
        let h = monitor.health();
        let rss = rss_kib();
        rss_peak = rss_peak.max(rss);
        if rss_at_10s.is_none() && t0.elapsed() >= Duration::from_secs(10) {
            rss_at_10s = Some(rss);
        }
        let lagging = h.iter().filter(|s| s.lagging).count();
        if t0.elapsed().as_secs_f64() >= judge_from {
            for s in h.iter().filter(|s| s.lag_secs > 1.0) {
                behind_late.insert(s.id.clone());
            }
        }
        let degraded = h.iter().filter(|s| s.degradation > 0).count();
        let lag = h.iter().map(|s| s.lag_secs).fold(0.0, f64::max);
        // Ignore the start-up (opening N inputs takes a while on a loaded machine).
        if t0.elapsed().as_secs_f64() > added_secs + 3.0 {
            max_lagging = max_lagging.max(lagging);
            worst_lag = worst_lag.max(lag);
        }
        let running = h.iter().filter(|s| s.state == StreamState::Running).count();
        let fps: f64 = h.iter().map(|s| s.fps).sum();
        eprintln!(
            "t={:5.1}s running {running}/{streams} fps {fps:.0} lagging {lagging} max lag {lag:.2}s degraded {degraded} threads {} rss {} MiB",
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
    let kept_up = |s: &avqc::monitor::StreamHealth| {
        s.state == StreamState::Running && !behind_late.contains(&s.id)
    };
    let full: Vec<_> = health.iter().filter(|s| s.degradation == 0).collect();
    let reduced = health.iter().filter(|s| s.degradation == 1).count();
    let shed = health.iter().filter(|s| s.degradation == 2).count();
    let kept_up_all = health.iter().filter(|s| kept_up(s)).count();
    let kept_up_full = full.iter().filter(|s| kept_up(s)).count();
    for p in [10u8, 50, 90] {
        let mine: Vec<_> = health.iter().filter(|s| s.priority == p).collect();
        let at = |level: u8| mine.iter().filter(|s| s.degradation == level).count();
        eprintln!(
            "  priority {p}: {} streams, {} full, {} reduced, {} handed back, {} kept up",
            mine.len(),
            at(0),
            at(1),
            at(2),
            mine.iter().filter(|s| kept_up(s)).count()
        );
    }
    let cap = monitor.capacity();
    eprintln!(
        "overload: {streams} streams (capacity {}): {kept_up_all} kept up; {} at full analysis, {kept_up_full} of them kept up; {reduced} reduced, {shed} handed back; used {:.2} of {:.2} cores (others {:.2})",
        capacity.map_or("-".to_string(), |c| c.to_string()),
        full.len(),
        cap.used_cores,
        cap.budget_cores,
        cap.other_cores
    );
    let threads_peak = monitor.threads_peak();
    let rss_end = rss_kib();
    let per_stream = rss_end.saturating_sub(rss_before) as f64 / streams.max(1) as f64;
    let _ = monitor.shutdown();
    println!(
        "{{\"streams\":{streams},\"secs\":{secs},\"workers\":{},\"threads_peak\":{threads_peak},\"rss_before_mib\":{:.1},\"rss_10s_mib\":{:.1},\"rss_end_mib\":{:.1},\"rss_peak_mib\":{:.1},\"kib_per_stream\":{per_stream:.0},\"max_lagging\":{max_lagging},\"worst_lag_secs\":{worst_lag:.2},\"streams_ever_behind_1s\":{behind},\"failed\":{failed},\"events\":{},\"add_secs\":{added_secs:.1},\"capacity\":{},\"kept_up\":{kept_up_all},\"full\":{},\"full_kept_up\":{kept_up_full},\"reduced\":{reduced},\"shed\":{shed}}}",
        if workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { workers },
        rss_before as f64 / 1024.0,
        rss_at_10s.unwrap_or(rss_end) as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        rss_peak as f64 / 1024.0,
        events.load(std::sync::atomic::Ordering::Relaxed),
        capacity.map_or("null".to_string(), |c| c.to_string()),
        full.len(),
    );
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
