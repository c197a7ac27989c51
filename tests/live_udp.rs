//! Live MPEG-TS over UDP on loopback, sent by the ffmpeg CLI: a sender that stops and comes
//! back, reconnects, and packet loss through a lossy relay.
#![cfg(feature = "ffmpeg")]

mod common;
mod live;

use std::time::Duration;

use avqc::{DecoderOptions, FfmpegDecoder, ReconnectPolicy};
use live::*;

/// Detectors whose false alarm a restarted sender could cause.
const CONTENT: &[&str] = &["freeze", "frame_drop", "video_loss", "sync", "silence"];

fn options() -> DecoderOptions {
    DecoderOptions {
        format: Some("mpegts".into()),
        ..Default::default()
    }
}

#[test]
fn a_sender_that_stops_is_a_stall_and_its_return_ends_it() {
    let port = free_udp_port();
    let url = format!("udp://127.0.0.1:{port}");
    let run = run(
        move |stop| FfmpegDecoder::open_interruptible(&url, &options(), stop),
        CONTENT,
        Duration::from_millis(1500),
    );
    let first = Sender::udp(30.0, port);
    assert!(
        run.wait_for(Duration::from_secs(20), |r| r.counter.video() >= 50),
        "no pictures arrived"
    );
    first.stop();
    assert!(
        run.wait_for(Duration::from_secs(15), |r| r.stalled()),
        "no input_stall after the sender stopped"
    );
    let before = run.counter.video();
    let second = Sender::udp(30.0, port);
    assert!(
        run.wait_for(Duration::from_secs(20), |r| !r.stalled()
            && r.counter.video() >= before + 50),
        "the stall did not end when the sender came back"
    );
    let run_counter = run.counter.clone();
    let (report, result, events) = run.stop(Duration::from_secs(10));
    drop(second);
    assert!(result.is_ok(), "{result:?}");
    assert!(report.stopped, "{:?}", report.ending);
    assert!(report.stalls >= 1);
    assert_every_start_ended(&events);
    assert_eq!(backwards(&run_counter), 0, "times went back");
    let stalls = assert_stall_pairs(&events);
    let longest = stalls
        .iter()
        .filter_map(|d| d.details.get("wall_secs").and_then(|v| v.as_f64()))
        .fold(0.0, f64::max);
    assert!(longest >= 1.5, "{stalls:?}");
    // the new sender's clock restarted: bridged, not reported as a defect of the content
    assert!(report.discontinuities >= 1, "{report:?}");
    for kind in ["video_freeze", "video_frame_drop", "video_loss", "av_sync"] {
        assert!(defects(&events, kind).is_empty(), "{kind}: {events:?}");
    }
}

fn backwards(c: &Counter) -> u64 {
    c.backwards.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn a_lost_input_is_reconnected_and_its_timeline_continued() {
    let port = free_udp_port();
    // a read that gets nothing for 1 s fails, and the input is reopened
    let url = format!("udp://127.0.0.1:{port}?timeout=1000000");
    let opts = DecoderOptions {
        reconnect: ReconnectPolicy {
            attempts: 30,
            initial_backoff_ms: 100,
            max_backoff_ms: 400,
        },
        ..options()
    };
    let run = run(
        move |stop| FfmpegDecoder::open_reconnecting(&url, &opts, stop),
        CONTENT,
        Duration::from_millis(1500),
    );
    let first = Sender::udp(30.0, port);
    assert!(
        run.wait_for(Duration::from_secs(20), |r| r.counter.video() >= 50),
        "no pictures arrived"
    );
    first.stop();
    assert!(
        run.wait_for(Duration::from_secs(15), |r| r.has(notice("input_lost"))
            && r.stalled()
            && r.has(notice("reconnect_failed"))),
        "the loss was not reported"
    );
    let before = run.counter.video();
    let second = Sender::udp(30.0, port);
    assert!(
        run.wait_for(Duration::from_secs(20), |r| r.has(notice("reconnected"))
            && !r.stalled()
            && r.counter.video() >= before + 50),
        "not reconnected"
    );
    let counter = run.counter.clone();
    let (report, result, events) = run.stop(Duration::from_secs(10));
    drop(second);
    assert!(result.is_ok(), "{result:?}");
    assert!(report.stopped, "{:?}", report.ending);
    assert_every_start_ended(&events);
    let names = notice_names(&events);
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(at("input_lost") < at("reconnect_failed"), "{names:?}");
    assert!(at("reconnect_failed") < at("reconnected"), "{names:?}");
    assert!(at("reconnected") < at("discontinuity"), "{names:?}");
    assert_eq!(backwards(&counter), 0, "times went back");
    for kind in ["video_freeze", "video_frame_drop", "video_loss", "av_sync"] {
        assert!(defects(&events, kind).is_empty(), "{kind}: {events:?}");
    }
}

#[test]
fn a_lost_input_that_never_comes_back_ends_with_an_error() {
    let port = free_udp_port();
    let url = format!("udp://127.0.0.1:{port}?timeout=500000");
    let opts = DecoderOptions {
        reconnect: ReconnectPolicy {
            attempts: 2,
            initial_backoff_ms: 100,
            max_backoff_ms: 100,
        },
        ..options()
    };
    let run = run(
        move |stop| FfmpegDecoder::open_reconnecting(&url, &opts, stop),
        CONTENT,
        Duration::from_millis(1000),
    );
    let sender = Sender::udp(30.0, port);
    assert!(
        run.wait_for(Duration::from_secs(20), |r| r.counter.video() >= 25),
        "no pictures arrived"
    );
    sender.stop();
    let (report, result, events) = run.finish(Duration::from_secs(30));
    let err = result.expect_err("the input ends with an error");
    assert!(
        err.to_string()
            .contains("gave up after 2 reconnect attempts"),
        "{err}"
    );
    assert!(
        matches!(report.ending, avqc::pipeline::Ending::InputFailed(_)),
        "{:?}",
        report.ending
    );
    assert_every_start_ended(&events);
    let names = notice_names(&events);
    let failed = names.iter().filter(|n| *n == "reconnect_failed").count();
    assert_eq!(failed, 2, "{names:?}");
    assert!(!names.iter().any(|n| n == "reconnected"), "{names:?}");
}

/// Forwards UDP datagrams from `from` to `to`, dropping every `nth`, until `stop` is set.
fn lossy_relay(
    from: u16,
    to: u16,
    nth: u64,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(u64, u64)> {
    let socket = std::net::UdpSocket::bind(("127.0.0.1", from)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        let (mut seen, mut dropped) = (0u64, 0u64);
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let Ok(n) = socket.recv(&mut buf) else {
                continue;
            };
            seen += 1;
            if seen % nth == 0 {
                dropped += 1;
                continue;
            }
            let _ = socket.send_to(&buf[..n], ("127.0.0.1", to));
        }
        (seen, dropped)
    })
}

#[test]
fn packet_loss_through_a_lossy_relay_is_corruption_and_dropouts() {
    let (port, relay_port) = (free_udp_port(), free_udp_port());
    let url = format!("udp://127.0.0.1:{port}");
    let mut detectors = vec!["corruption"];
    detectors.extend_from_slice(CONTENT);
    let run = run(
        move |stop| FfmpegDecoder::open_interruptible(&url, &options(), stop),
        &detectors,
        Duration::from_millis(1500),
    );
    let relay_stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let relay = lossy_relay(relay_port, port, 10, relay_stop.clone());
    let mut sender = Sender::udp(8.0, relay_port);
    // the sender ends after 8 s of media; the input then stalls
    assert!(
        run.wait_for(Duration::from_secs(40), |r| sender.exited()
            && r.counter.video() >= 100
            && r.stalled()),
        "the stream did not play and end"
    );
    let counter = run.counter.clone();
    let (report, result, events) = run.stop(Duration::from_secs(10));
    drop(sender);
    relay_stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (seen, dropped) = relay.join().unwrap();
    eprintln!("relay: {seen} datagrams, {dropped} dropped; {report}");
    assert!(dropped >= 10, "{seen} datagrams, {dropped} dropped");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        report.corrupt_packets + report.decode_errors > 0,
        "{report:?}"
    );
    assert_every_start_ended(&events);
    let media_end = report.media_duration + 2.0;
    for kind in ["video_corruption", "audio_dropout"] {
        let found = defects(&events, kind);
        assert!(!found.is_empty(), "no {kind}: {events:?}");
        for d in found {
            let t = d.start.as_secs_f64();
            assert!((0.0..media_end).contains(&t), "{kind} at {t}: {d:?}");
        }
    }
    assert!(counter.video() >= 100);
}

/// The done-when of issue 6: `monitor udp://…` fed by `ffmpeg -re … -f mpegts udp://…` reports
/// `input_stall` once the sender stops, and on SIGINT exits with every started defect ended.
#[cfg(unix)]
#[test]
fn monitor_reports_a_stopped_sender_and_ends_everything_on_sigint() {
    let Some(bin) = common::monitor_binary() else {
        return;
    };
    let port = free_udp_port();
    let url = format!("udp://127.0.0.1:{port}");
    let args = ["--stall", "1.5", "--detectors", "silence,freeze", &url];
    let mut monitor = MonitorProcess::start(&bin, &args);
    // sound for 2 s, then silence: the silence is open when the sender stops
    let sender = Sender::start_with(
        30.0,
        &format!("{SINE},volume=enable='gte(t,2)':volume=0"),
        &["-f", "mpegts", &format!("{url}?pkt_size=1316")],
    );
    monitor.wait_for("audio_silence start", Duration::from_secs(30));
    sender.stop();
    monitor.wait_for("input_stall start", Duration::from_secs(15));
    let status = monitor.interrupt(Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    let seen = &monitor.seen;
    let count = |name: &str, phase: &str| {
        seen.iter()
            .filter(|e| e["defect"] == name && e["phase"] == phase)
            .count()
    };
    for name in ["audio_silence", "input_stall"] {
        assert!(count(name, "start") >= 1, "{name}: {seen:?}");
        assert_eq!(count(name, "start"), count(name, "end"), "{name}: {seen:?}");
    }
    let starts = seen.iter().filter(|e| e["phase"] == "start").count();
    let ends = seen.iter().filter(|e| e["phase"] == "end").count();
    assert_eq!(starts, ends, "{seen:?}");
}
