//! Soak test: memory stays flat over a long live run (issue 6, resource limits).
//!
//! `tests/data/demo.ts` is pushed on a loop through a [`PushInput`] into a realtime-paced
//! [`FfmpegDecoder`] (so it plays at the speed of a live feed, for as long as the test runs),
//! through the default detector set, into a sink that only counts. The process RSS
//! (`VmRSS` in `/proc/self/status`) is sampled every few seconds; at the end it must be within
//! 10 % of its value at one sixth of the run (5 minutes of the default 30).
//!
//! Ignored by default (it takes 30 minutes); run it with `scripts/soak.sh`, or
//! `AVQC_SOAK_SECS=120 cargo test --release --test soak -- --ignored --nocapture` for a short run.
//! `AVQC_SOAK_SECS` sets the duration (default 1800), `AVQC_SOAK_SAMPLE_SECS` the sampling
//! period (default: a sixtieth of the run, at least 1 s).
#![cfg(all(target_os = "linux", feature = "ffmpeg"))]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use avqc::pipeline::Ending;
use avqc::sink::FnSink;
use avqc::{DecoderOptions, Event, FfmpegDecoder, Phase, Pipeline, PushInput, Registry};

fn env_secs(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number of seconds")),
        Err(_) => default,
    }
}

/// The process's resident set size in kB.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[test]
#[ignore = "runs for AVQC_SOAK_SECS (default 30 minutes): scripts/soak.sh"]
fn rss_stays_flat_over_a_long_live_run() {
    let secs = env_secs("AVQC_SOAK_SECS", 1800).max(6);
    let every = env_secs("AVQC_SOAK_SAMPLE_SECS", (secs / 60).max(1)).max(1);
    let data = bytes::Bytes::from(std::fs::read("tests/data/demo.ts").expect("demo.ts"));

    // The feeder loops over the clip until the decoder goes; slices share one buffer.
    let (input, rx) = PushInput::new(16);
    let loops = Arc::new(AtomicU64::new(0));
    let feeder = {
        let loops = Arc::clone(&loops);
        std::thread::spawn(move || loop {
            for at in (0..data.len()).step_by(188 * 64) {
                let chunk = data.slice(at..(at + 188 * 64).min(data.len()));
                if input.push(chunk).is_err() {
                    return;
                }
            }
            loops.fetch_add(1, Ordering::Relaxed);
        })
    };
    let opts = DecoderOptions {
        realtime: true,
        ..Default::default()
    };
    let decoder = FfmpegDecoder::from_channel("soak.ts", rx, &opts).expect("open pushed demo.ts");

    let starts = Arc::new(AtomicU64::new(0));
    let ends = Arc::new(AtomicU64::new(0));
    let sink = {
        let (starts, ends) = (Arc::clone(&starts), Arc::clone(&ends));
        FnSink::new(move |e: &Event| {
            if let Some(d) = e.as_defect() {
                match d.phase {
                    Phase::Start => starts.fetch_add(1, Ordering::Relaxed),
                    Phase::End => ends.fetch_add(1, Ordering::Relaxed),
                };
            }
            Ok(())
        })
    };
    let pipeline = Pipeline::builder()
        .decoder(decoder)
        .detectors(Registry::builtin().build_defaults().unwrap())
        .sink(sink)
        .build()
        .unwrap();
    let stop = pipeline.stop_signal();
    let done = Arc::new(AtomicBool::new(false));
    let runner = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let r = pipeline.run_with_report();
            done.store(true, Ordering::SeqCst);
            r
        })
    };

    let t0 = Instant::now();
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let mut next = 0;
    while t0.elapsed() < Duration::from_secs(secs) && !done.load(Ordering::SeqCst) {
        let now = t0.elapsed().as_secs();
        if now >= next {
            let rss = rss_kb();
            eprintln!(
                "soak: t={now:>5}s rss={rss} kB loops={} defects started={} ended={}",
                loops.load(Ordering::Relaxed),
                starts.load(Ordering::Relaxed),
                ends.load(Ordering::Relaxed)
            );
            samples.push((now, rss));
            next = now + every;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !done.load(Ordering::SeqCst),
        "the pipeline ended before the soak time: {:?}",
        runner.join().unwrap()
    );
    let end_rss = rss_kb();
    stop.stop();
    let (report, result) = runner.join().unwrap();
    feeder.join().unwrap();
    result.expect("the run ends without error");
    assert_eq!(report.ending, Ending::Stopped);

    let mark = secs / 6;
    let (mark_t, mark_rss) = *samples
        .iter()
        .min_by_key(|(t, _)| t.abs_diff(mark))
        .expect("samples");
    let first = samples[0].1;
    eprintln!(
        "soak summary: {secs} s, start {first} kB, at {mark_t} s {mark_rss} kB, end {end_rss} kB \
         ({:+.1} % vs the {mark_t} s mark); {} loops of demo.ts, {} video / {} audio frames, \
         {} defects, {} dropped",
        (end_rss as f64 / mark_rss as f64 - 1.0) * 100.0,
        loops.load(Ordering::Relaxed),
        report.video_frames_decoded,
        report.audio_frames_decoded,
        report.defects,
        report.frames_dropped
    );
    assert!(report.video_frames_decoded > 0 && report.audio_frames_decoded > 0);
    assert_eq!(
        starts.load(Ordering::Relaxed),
        ends.load(Ordering::Relaxed),
        "every started defect ended"
    );
    let growth = end_rss as f64 / mark_rss as f64;
    assert!(
        (0.9..=1.1).contains(&growth),
        "RSS {end_rss} kB at the end is not within 10 % of {mark_rss} kB at {mark_t} s; samples: {samples:?}"
    );
}
