//! TR 101 290 priority-1 checks end to end: faults injected into a clean MPEG-TS by editing its
//! bytes (the fixture helper below), decoded by the FFmpeg decoder through the transport tap,
//! reported by the `transport` detector.
#![cfg(feature = "ffmpeg")]

use std::path::{Path, PathBuf};
use std::process::Command;

use avqc::sink::Collect;
use avqc::transport::{TransportError, TsAnalyzer};
use avqc::{Decoder, DecoderOptions, Event, FfmpegDecoder, Media, NoticeKind, Pipeline, Registry};

const PKT: usize = 188;

/// A fault to inject, at a packet index of the clean file.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// The packet is removed.
    Drop(usize),
    /// The packet's sync byte is overwritten.
    Sync(usize),
    /// Every PID-0 packet from the first index up to the second becomes a null packet.
    NoPat(usize, usize),
}

/// The fixture script: a copy of `clean` with `faults` applied, written to a temporary file.
fn inject(clean: &[u8], faults: &[Fault], name: &str) -> PathBuf {
    let mut packets: Vec<Option<Vec<u8>>> = clean.chunks(PKT).map(|p| Some(p.to_vec())).collect();
    for f in faults {
        match *f {
            Fault::Drop(k) => packets[k] = None,
            Fault::Sync(k) => packets[k].as_mut().unwrap()[0] = 0x00,
            Fault::NoPat(a, b) => {
                // The mux stops sending the PAT (null packets keep the rate), and its
                // continuity counter goes on from the last PAT sent.
                let mut gone = 0u8;
                for p in packets[a..b].iter_mut().flatten() {
                    if pid(p) == 0 {
                        p[1] = 0x1F;
                        p[2] = 0xFF;
                        gone += 1;
                    }
                }
                for p in packets[b..].iter_mut().flatten() {
                    if pid(p) == 0 {
                        p[3] = (p[3] & 0xF0) | (p[3].wrapping_sub(gone) & 0x0F);
                    }
                }
            }
        }
    }
    let bytes: Vec<u8> = packets.into_iter().flatten().flatten().collect();
    let path = std::env::temp_dir().join(format!("avqc-{}-{name}.ts", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn pid(p: &[u8]) -> u16 {
    (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2])
}

/// Independent reference times, from ffprobe: the media time (PTS minus the start time) of the
/// last demuxed packet that starts at or before each byte offset.
struct Reference {
    start: f64,
    packets: Vec<(u64, f64)>,
}

impl Reference {
    fn of(path: &Path) -> Reference {
        let out = |args: &[&str]| {
            let o = Command::new("ffprobe")
                .args(["-v", "error"])
                .args(args)
                .arg(path)
                .output()
                .expect("ffprobe (installed by scripts/install-deps.sh)");
            String::from_utf8(o.stdout).unwrap()
        };
        let start: f64 = out(&["-show_entries", "format=start_time", "-of", "csv=p=0"])
            .trim()
            .parse()
            .unwrap();
        let mut packets: Vec<(u64, f64)> =
            out(&["-show_entries", "packet=pts_time,pos", "-of", "csv=p=0"])
                .lines()
                .filter_map(|l| {
                    let mut it = l.split(',');
                    let t: f64 = it.next()?.parse().ok()?;
                    let pos: u64 = it.next()?.parse().ok()?;
                    Some((pos, t))
                })
                .collect();
        packets.sort_by_key(|p| p.0);
        Reference { start, packets }
    }

    fn time_at(&self, offset: u64) -> f64 {
        let i = self.packets.partition_point(|p| p.0 <= offset).max(1);
        self.packets[i - 1].1 - self.start
    }
}

fn defects(events: &[Event], name: &str) -> Vec<(f64, Option<f64>, serde_json::Value)> {
    events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.defect.as_str() == name && d.end.is_some())
        .map(|d| {
            (
                d.start.as_secs_f64(),
                d.end.map(|e| e.as_secs_f64()),
                serde_json::Value::Object(d.details.clone()),
            )
        })
        .collect()
}

fn run(path: &Path, config: &str) -> Vec<Event> {
    let dec = FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).unwrap();
    let sink = Collect::new();
    let report = Pipeline::builder()
        .decoder(dec)
        .detectors(Registry::builtin().build_json(config).unwrap())
        .sink(sink.clone())
        .build()
        .unwrap()
        .run()
        .unwrap();
    assert!(report.video_frames_decoded > 0);
    let events = sink.events();
    // Every start has its end.
    let starts = events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.end.is_none())
        .count();
    let ends = events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.end.is_some())
        .count();
    assert_eq!(starts, ends);
    events
}

const SEPARATE: &str = r#"[{"type":"transport","merge_gap":0.0}]"#;

fn demo() -> Vec<u8> {
    std::fs::read("tests/data/demo.ts").unwrap()
}

/// Packet indices of `pid` in `ts`, without a PES or section start (so the demuxer keeps its
/// timestamps), from `from` on.
fn plain_packets(ts: &[u8], want: u16, from: usize) -> impl Iterator<Item = usize> + '_ {
    (from..ts.len() / PKT).filter(move |&k| {
        let p = &ts[k * PKT..];
        pid(p) == want && p[1] & 0x40 == 0
    })
}

#[test]
fn every_dropped_packet_and_corrupted_sync_byte_is_found_at_its_time() {
    let clean = demo();
    let refs = Reference::of(Path::new("tests/data/demo.ts"));
    // Four drops on the video PID and two on the audio PID, 1.5 s or more apart; three
    // corrupted sync bytes elsewhere.
    let n = clean.len() / PKT;
    let mut drops: Vec<usize> = Vec::new();
    for (i, at) in [150, 450, 700, 950, 1200, 1450].iter().enumerate() {
        let want = if i % 3 == 2 { 0x101 } else { 0x100 };
        drops.push(plain_packets(&clean, want, *at).next().unwrap());
    }
    let syncs = [300usize, 820, 1320];
    assert!(syncs.iter().all(|&k| k < n && !drops.contains(&k)));
    let mut faults: Vec<Fault> = drops.iter().map(|&k| Fault::Drop(k)).collect();
    faults.extend(syncs.iter().map(|&k| Fault::Sync(k)));
    let path = inject(&clean, &faults, "drops");
    let events = run(&path, SEPARATE);
    std::fs::remove_file(&path).ok();

    let cc = defects(&events, "transport_cc_error");
    assert_eq!(cc.len(), drops.len(), "{cc:?}");
    for (k, (start, _, details)) in drops.iter().zip(&cc) {
        let want = refs.time_at((k * PKT) as u64);
        println!("drop at packet {k}: reported {start:.3} s, reference {want:.3} s");
        assert!(
            (start - want).abs() < 0.3,
            "drop at packet {k}: reported {start:.3}, reference {want:.3}"
        );
        let pid = u64::from(pid(&clean[k * PKT..]));
        assert_eq!(details["pid"], pid);
        assert_eq!(details["count"], 1);
    }
    let sync = defects(&events, "transport_sync_byte_error");
    assert_eq!(sync.len(), syncs.len(), "{sync:?}");
    for (k, (start, _, details)) in syncs.iter().zip(&sync) {
        let want = refs.time_at((k * PKT) as u64);
        println!("sync byte at packet {k}: reported {start:.3} s, reference {want:.3} s");
        assert!(
            (start - want).abs() < 0.3,
            "sync byte at packet {k}: reported {start:.3}, reference {want:.3}"
        );
        assert_eq!(details["count"], 1);
    }
    assert!(defects(&events, "transport_sync_loss").is_empty());
    assert!(defects(&events, "transport_pat_error").is_empty());
}

#[test]
fn occurrences_close_together_merge_with_a_count() {
    let clean = demo();
    let drops: Vec<Fault> = plain_packets(&clean, 0x100, 600)
        .step_by(3)
        .take(4)
        .map(Fault::Drop)
        .collect();
    let path = inject(&clean, &drops, "merge");
    let events = run(&path, r#"[{"type":"transport"}]"#);
    std::fs::remove_file(&path).ok();
    let cc = defects(&events, "transport_cc_error");
    assert_eq!(cc.len(), 1, "{cc:?}");
    assert_eq!(cc[0].2["count"], 4);
    assert_eq!(cc[0].2["pid"], 0x100);
}

#[test]
fn two_corrupted_sync_bytes_in_a_row_are_a_sync_loss() {
    let clean = demo();
    let path = inject(&clean, &[Fault::Sync(700), Fault::Sync(701)], "syncloss");
    let events = run(&path, SEPARATE);
    std::fs::remove_file(&path).ok();
    let loss = defects(&events, "transport_sync_loss");
    assert_eq!(loss.len(), 1, "{loss:?}");
    let (start, end, _) = &loss[0];
    let want = Reference::of(Path::new("tests/data/demo.ts")).time_at((701 * PKT) as u64);
    assert!((start - want).abs() < 0.3, "{start} vs {want}");
    assert!(end.unwrap() >= *start && end.unwrap() - start < 1.0);
    assert!(defects(&events, "transport_sync_byte_error").is_empty());
}

#[test]
fn a_missing_pat_stretch_is_a_pat_error() {
    let clean = demo();
    // Packets 400..800 span about 2.5 s of the 10 s file.
    let path = inject(&clean, &[Fault::NoPat(400, 800)], "nopat");
    let events = run(&path, SEPARATE);
    std::fs::remove_file(&path).ok();
    let pat = defects(&events, "transport_pat_error");
    assert_eq!(pat.len(), 1, "{pat:?}");
    let refs = Reference::of(Path::new("tests/data/demo.ts"));
    let last_pat = (0..400)
        .rev()
        .find(|&k| pid(&clean[k * PKT..]) == 0)
        .unwrap();
    let back = (800..).find(|&k| pid(&clean[k * PKT..]) == 0).unwrap();
    let (start, end, details) = &pat[0];
    let want_start = refs.time_at((last_pat * PKT) as u64) + 0.5;
    let want_end = refs.time_at((back * PKT) as u64);
    assert!((start - want_start).abs() < 0.3, "{start} vs {want_start}");
    assert!(
        (end.unwrap() - want_end).abs() < 0.3,
        "{end:?} vs {want_end}"
    );
    assert_eq!(details["pid"], 0);
    // Everything else is intact.
    assert_eq!(
        events.iter().filter_map(Event::as_defect).count(),
        2,
        "{events:?}"
    );
}

#[test]
fn clean_transport_streams_report_nothing() {
    // The fixtures made as one continuous mux (format_change.ts joins two files with `cat`:
    // a real continuity error; video_loss.ts has 3 s cut out of every PID).
    for name in [
        "demo.ts",
        "corrupt.ts",
        "drop.ts",
        "doubled.ts",
        "pulldown.ts",
        "stutter.ts",
        "sync_ok.ts",
        "sync_late.ts",
        "wrap.ts",
        "audio_corrupt.ts",
        "truncated.ts",
    ] {
        let events = run(
            &Path::new("tests/data").join(name),
            r#"[{"type":"transport"}]"#,
        );
        let found: Vec<_> = events.iter().filter_map(Event::as_defect).collect();
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

#[test]
fn the_video_hole_in_video_loss_ts_is_a_pid_error() {
    // Video frames of 3.00-6.00 s were removed while the audio went on (and with it the PAT
    // and PMT; the PCR, carried by the video PID, stops: the audio packets are placed on the
    // clock by their byte offsets).
    let config = r#"[{"type":"transport","pid_timeout":1.0}]"#;
    let events = run(Path::new("tests/data/video_loss.ts"), config);
    let pid = defects(&events, "transport_pid_error");
    assert_eq!(pid.len(), 1, "{events:?}");
    let (start, end, details) = &pid[0];
    assert_eq!(details["pid"], 0x100);
    assert!((start - 4.0).abs() < 0.3, "{start}");
    assert!((end.unwrap() - 6.0).abs() < 0.3, "{end:?}");
    assert_eq!(events.iter().filter_map(Event::as_defect).count(), 2);
    // With the default 5 s, a 3 s hole is not a PID error.
    let events = run(
        Path::new("tests/data/video_loss.ts"),
        r#"[{"type":"transport"}]"#,
    );
    assert!(defects(&events, "transport_pid_error").is_empty());
}

#[test]
fn pushed_bytes_are_analysed_too() {
    let clean = demo();
    let drop = plain_packets(&clean, 0x100, 500).next().unwrap();
    let path = inject(&clean, &[Fault::Drop(drop)], "reader");
    let file = std::fs::File::open(&path).unwrap();
    let mut d = FfmpegDecoder::from_reader("reader.ts", file, &DecoderOptions::default()).unwrap();
    std::fs::remove_file(&path).ok();
    let mut found = Vec::new();
    while let Some(m) = d.next().unwrap() {
        if let Media::Notice(n) = m {
            if let NoticeKind::Transport { error, pid, .. } = n.kind {
                found.push((error, pid));
            }
        }
    }
    assert_eq!(found, [(TransportError::CcError, Some(0x100))]);
}

#[test]
fn non_ts_inputs_stay_quiet() {
    for name in ["video_only.mp4", "audio_only.m4a", "hum.mka"] {
        let path = Path::new("tests/data").join(name);
        let mut d =
            FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).unwrap();
        while let Some(m) = d.next().unwrap() {
            if let Media::Notice(n) = m {
                assert!(
                    !matches!(n.kind, NoticeKind::Transport { .. }),
                    "{name}: {n:?}"
                );
            }
        }
    }
    // The analyser itself gives up on bytes without a packet grid.
    let mut a = TsAnalyzer::new();
    a.feed(&std::fs::read("tests/data/video_only.mp4").unwrap());
    a.finish();
    assert_eq!(a.drain().count(), 0);
}
