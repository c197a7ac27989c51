//! A stream joined where it happens to be (a monitor started on a live stream, a recording that
//! begins mid-GOP): the pictures before the first key frame predict from pictures that went by
//! before the join. They are not decoded (a `joined` notice says so) and the default detector
//! set reports nothing on a clean stream joined mid-GOP, whatever the codec.
#![cfg(feature = "ffmpeg")]

mod common;

use std::path::{Path, PathBuf};

use avqc::{Decoder, DecoderOptions, Event, FfmpegDecoder, Media, NoticeKind, Registry};

/// 8 s of moving pictures (320x180 at 25/s) and a tone, coded with `video` (a key frame every
/// 2 s or more often), AAC sound, in MPEG-TS; then the bytes from `share` of the file on (a
/// multiple of 188 bytes: mid-GOP, mid-PES) written to a file of its own.
fn joined(name: &str, video: &[&str], share: f64) -> PathBuf {
    let mut args = video.to_vec();
    args.extend(["-c:a", "aac", "-ac", "2"]);
    let bytes = common::ts_cut::encode_av(name, 8, &args);
    let cut = (bytes.len() as f64 * share) as usize / 188 * 188;
    let path = std::env::temp_dir().join(format!("avqc-joined-{}-{name}.ts", std::process::id()));
    std::fs::write(&path, &bytes[cut..]).unwrap();
    path
}

/// The decoder's `joined` notices (time, stream) and the first video picture's time.
fn decode(path: &Path) -> (Vec<(f64, Option<usize>)>, Option<f64>) {
    let mut d = FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).unwrap();
    let (mut joins, mut first) = (Vec::new(), None);
    while let Some(m) = d.next().unwrap() {
        match m {
            Media::Notice(n) if n.kind == NoticeKind::Joined => {
                joins.push((n.time.as_secs_f64(), n.stream));
            }
            Media::Video(f) if first.is_none() => first = Some(f.time().as_secs_f64()),
            _ => {}
        }
    }
    (joins, first)
}

/// The defect events of the default detector set on the file, and its `joined` notice events.
fn defects(path: &Path) -> (Vec<String>, usize) {
    let d = FfmpegDecoder::open(path.to_str().unwrap(), &DecoderOptions::default()).unwrap();
    let dets = Registry::builtin().build_defaults().unwrap();
    let events = common::run_in_driver("joined", d, dets, false);
    let notices = events
        .iter()
        .filter(|e| matches!(e, Event::Notice(n) if n.name == "joined"))
        .count();
    let defects = events
        .into_iter()
        .filter_map(|e| match e {
            Event::Defect(d) => Some(format!(
                "{} {:.2}-{:?} {:?}",
                d.defect.as_str(),
                d.start.as_secs_f64(),
                d.end.map(|t| t.as_secs_f64()),
                d.details
            )),
            _ => None,
        })
        .collect();
    (defects, notices)
}

fn check(name: &str, video: &[&str]) {
    for share in [0.31, 0.57] {
        let path = joined(&format!("{name}-{share}"), video, share);
        let (joins, first) = decode(&path);
        let (found, notices) = defects(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            joins.len(),
            1,
            "{name} at {share}: one joined notice: {joins:?}"
        );
        let (at, stream) = joins[0];
        assert_eq!(
            stream,
            Some(0),
            "{name} at {share}: the video stream was joined"
        );
        let first = first.expect("pictures after the first key frame");
        assert!(
            first > at + 0.03,
            "{name} at {share}: the pictures begin at the first key frame ({first:.3} s), \
             after the join ({at:.3} s)"
        );
        assert!(found.is_empty(), "{name} at {share}: {found:#?}");
        assert_eq!(
            notices, 1,
            "{name} at {share}: the join is reported to the sink"
        );
    }
}

#[test]
fn h264_joined_mid_gop_is_clean() {
    check("h264", &["-c:v", "libx264", "-g", "50", "-threads", "1"]);
}

#[test]
fn mpeg2_with_b_pictures_joined_mid_gop_is_clean() {
    check(
        "mpeg2",
        &["-c:v", "mpeg2video", "-q:v", "4", "-bf", "2", "-g", "25"],
    );
}

#[test]
fn hevc_with_open_gops_joined_mid_gop_is_clean() {
    let params =
        "keyint=50:min-keyint=50:open-gop=1:bframes=4:pools=1:frame-threads=1:log-level=error";
    check("hevc", &["-c:v", "libx265", "-x265-params", params]);
}
