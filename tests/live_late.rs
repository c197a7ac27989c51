//! Live inputs that have not started yet: a monitor started before its sender waits (reported
//! as an `input_stall` from the start), retries a refused first open under the reconnect
//! policy, begins analysing at the first packet and stops at once when asked.
#![cfg(feature = "ffmpeg")]

mod common;
mod live;

use std::time::{Duration, Instant};

use avqc::{Decoder, DecoderOptions, FfmpegDecoder, Phase, ReconnectPolicy};
use live::*;

fn policy(attempts: u32) -> ReconnectPolicy {
    ReconnectPolicy {
        attempts,
        initial_backoff_ms: 200,
        max_backoff_ms: 400,
    }
}

#[test]
fn a_udp_input_that_starts_late_is_a_stall_from_the_start_then_analysed() {
    let port = free_udp_port();
    let url = format!("udp://127.0.0.1:{port}");
    let opts = DecoderOptions {
        format: Some("mpegts".into()),
        reconnect: policy(3),
        ..Default::default()
    };
    let run = run(
        move |stop| Ok(FfmpegDecoder::open_live(&url, &opts, stop)),
        &["freeze", "black"],
        Duration::from_millis(1000),
    );
    assert!(
        run.wait_for(Duration::from_secs(10), |r| r.stalled()),
        "nothing since the start was not reported as a stall"
    );
    assert_eq!(run.counter.video(), 0);
    let sender = Sender::udp(30.0, port);
    assert!(
        run.wait_for(Duration::from_secs(20), |r| !r.stalled()
            && r.counter.video() >= 50),
        "the late sender's pictures were not analysed"
    );
    let (report, result, events) = run.stop(Duration::from_secs(10));
    drop(sender);
    assert!(result.is_ok(), "{result:?}");
    assert!(report.stopped, "{:?}", report.ending);
    assert_every_start_ended(&events);
    let stalls = assert_stall_pairs(&events);
    let first = stalls.first().expect("a stall");
    assert_eq!(first.phase, Phase::Start);
    assert_eq!(first.start.as_secs_f64(), 0.0, "{first:?}");
    assert_eq!(first.details["since_start"], true, "{first:?}");
}

#[test]
fn a_refused_first_open_is_retried_and_reported_until_the_server_is_up() {
    let port = free_tcp_port();
    let url = format!("http://127.0.0.1:{port}/demo.ts");
    let opts = DecoderOptions {
        reconnect: policy(20),
        ..Default::default()
    };
    let run = run(
        move |stop| Ok(FfmpegDecoder::open_live(&url, &opts, stop)),
        &["freeze"],
        Duration::from_millis(1000),
    );
    assert!(
        run.wait_for(Duration::from_secs(10), |r| r.has(notice("input_lost"))
            && r.has(notice("reconnect_failed"))),
        "the refused open was not reported"
    );
    let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let _server = HttpServer::serve_on(port, data, &[]);
    let (report, result, events) = run.finish(Duration::from_secs(30));
    assert!(result.is_ok(), "{result:?}");
    assert!(report.video_frames_decoded > 0, "{report:?}");
    let names = notice_names(&events);
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(at("input_lost") < at("reconnect_failed"), "{names:?}");
    assert!(at("reconnect_failed") < at("reconnected"), "{names:?}");
    // the first connection starts the timeline: no joint to bridge
    assert!(!names.iter().any(|n| n == "discontinuity"), "{names:?}");
}

#[test]
fn a_refused_input_gives_up_after_its_attempts() {
    let port = free_tcp_port();
    let url = format!("http://127.0.0.1:{port}/demo.ts");
    let opts = DecoderOptions {
        reconnect: policy(2),
        ..Default::default()
    };
    let run = run(
        move |stop| Ok(FfmpegDecoder::open_live(&url, &opts, stop)),
        &["freeze"],
        Duration::from_secs(5),
    );
    let (_, result, events) = run.finish(Duration::from_secs(20));
    let err = result.expect_err("nothing ever listened");
    assert!(err.to_string().contains("never became available"), "{err}");
    let names = notice_names(&events);
    let failed = names.iter().filter(|n| *n == "reconnect_failed").count();
    assert_eq!(failed, 2, "{names:?}");
}

#[test]
fn stopping_an_input_that_never_started_ends_it_at_once() {
    let port = free_udp_port();
    let url = format!("udp://127.0.0.1:{port}");
    let opts = DecoderOptions {
        reconnect: policy(5),
        ..Default::default()
    };
    let run = run(
        move |stop| {
            let d = FfmpegDecoder::open_live(&url, &opts, stop);
            assert!(d.streams().is_empty());
            Ok(d)
        },
        &["freeze"],
        Duration::from_millis(500),
    );
    assert!(
        run.wait_for(Duration::from_secs(10), |r| r.stalled()),
        "no stall"
    );
    let t0 = Instant::now();
    let (report, result, events) = run.stop(Duration::from_secs(5));
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert!(result.is_ok(), "{result:?}");
    assert!(report.stopped, "{:?}", report.ending);
    assert_every_start_ended(&events);
}

/// The README's `monitor udp://…` started before its sender: `input_stall` from the start
/// instead of silence, analysis once the sender starts, and SIGINT ends it at once.
#[cfg(unix)]
#[test]
fn monitor_started_before_its_sender_reports_the_wait_and_stops_on_sigint() {
    let Some(bin) = common::monitor_binary() else {
        return;
    };
    let port = free_udp_port();
    let url = format!("udp://127.0.0.1:{port}");
    let mut monitor = MonitorProcess::start(&bin, &["--stall", "1", "--detectors", "freeze", &url]);
    monitor.wait_for("input_stall start", Duration::from_secs(10));
    let sender = Sender::udp(30.0, port);
    monitor.wait_for("input_stall end", Duration::from_secs(20));
    drop(sender);
    let status = monitor.interrupt(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
}
