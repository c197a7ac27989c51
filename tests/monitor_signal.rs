//! `monitor` (the example) stops cleanly on SIGINT / SIGTERM: open defects get their end
//! events, output is flushed, exit 0.
#![cfg(all(unix, feature = "ffmpeg"))]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

fn stopped_by(signal: &str) {
    let Some(monitor) = common::monitor_binary() else {
        return;
    };
    let data = format!("{}/tests/data/demo.ts", env!("CARGO_MANIFEST_DIR"));
    // live-paced: send the signal as soon as the freeze of demo.ts (2.0–3.5 s) is reported open
    let mut child = Command::new(monitor)
        .args(["--realtime", "--detectors", "freeze,black", &data])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("monitor starts");
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in reader.by_ref() {
        let e: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let open = e["defect"] == "video_freeze" && e["phase"] == "start";
        lines.push(e);
        if open {
            break;
        }
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let t0 = Instant::now();
    for line in reader {
        lines.push(serde_json::from_str(&line.unwrap()).unwrap());
    }
    let status = child.wait().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(3), "slow to stop");
    assert!(status.success(), "{status:?}");
    let text = format!("{lines:?}");
    let phase = |p: &str| {
        lines
            .iter()
            .filter(|e| e["defect"] == "video_freeze" && e["phase"] == p)
            .count()
    };
    // the freeze was open when the signal came, and was closed; the black at 5 s never came
    assert_eq!(phase("start"), 1, "{text}");
    assert_eq!(phase("end"), 1, "{text}");
    assert!(!text.contains("video_black"), "{text}");
    let end = lines
        .iter()
        .find(|e| e["defect"] == "video_freeze" && e["phase"] == "end")
        .unwrap();
    assert!(end["end"].as_f64().unwrap() < 5.0, "{end}");
}

#[test]
fn sigint_stops_cleanly() {
    stopped_by("-INT");
}

#[test]
fn sigterm_stops_cleanly() {
    stopped_by("-TERM");
}
