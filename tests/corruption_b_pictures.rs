//! `corruption` and `decode_errors` end damage seen only on B-pictures at the next anchor the
//! decoder does not flag when the stream's B-pictures are never references (MPEG-1/2), and
//! hold it until a clean key frame otherwise (H.264, HEVC: a B-picture may be a reference).

use avqc::{
    Event, Events, FrameFlags, Media, MediaTime, PictureType, PixelFormat, Registry, VideoFrame,
};

const STEP: f64 = 0.04;

fn t(i: usize) -> MediaTime {
    MediaTime::from_secs_f64(i as f64 * STEP)
}

/// Pictures 0..80 in display order, I every 12, P every 3, B between; `b_refs`: whether the
/// stream's B-pictures may be references.
fn stream(flags: impl Fn(usize) -> FrameFlags, b_refs: bool) -> Vec<Media> {
    (0..80usize)
        .map(|i| {
            let (kind, key) = if i.is_multiple_of(12) {
                (PictureType::I, FrameFlags::KEY)
            } else if i.is_multiple_of(3) {
                (PictureType::P, FrameFlags::NONE)
            } else {
                (PictureType::B, FrameFlags::NONE)
            };
            Media::Video(
                VideoFrame::filled(64, 64, PixelFormat::Yuv420p, t(i), [90, 128, 128])
                    .with_duration(Some(STEP))
                    .with_flags(key | flags(i))
                    .with_picture_type(kind)
                    .with_b_pictures_referenced(b_refs),
            )
        })
        .collect()
}

fn run(kind: &str, media: &[Media]) -> Vec<(f64, f64)> {
    let mut det = Registry::builtin()
        .build_json(&format!(r#"[{{"type":"{kind}"}}]"#))
        .unwrap()
        .pop()
        .unwrap();
    let mut out = Events::new("test", kind);
    let mut all = Vec::new();
    for m in media {
        det.process(m, &mut out);
        all.extend(out.drain());
    }
    det.finish(t(1000), &mut out);
    all.extend(out.drain());
    all.iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.defect.as_str() == "video_corruption" && d.end.is_some())
        .map(|d| (d.start.as_secs_f64(), d.end.unwrap().as_secs_f64()))
        .collect()
}

fn interval(found: &[(f64, f64)], start: usize, end: usize) -> bool {
    found.len() == 1
        && (found[0].0 - start as f64 * STEP).abs() < 1e-6
        && (found[0].1 - end as f64 * STEP).abs() < 1e-6
}

/// B 28 concealed by the decoder; the next anchor, P 30, only carries the demuxer's mark.
fn b_only(i: usize) -> FrameFlags {
    match i {
        28 => FrameFlags::CONCEALED,
        30 => FrameFlags::DAMAGED_INPUT,
        _ => FrameFlags::NONE,
    }
}

#[test]
fn damage_on_a_b_picture_that_is_no_reference_ends_at_the_next_clean_anchor() {
    let media = stream(b_only, false);
    for kind in ["corruption", "decode_errors"] {
        let found = run(kind, &media);
        assert!(interval(&found, 28, 30), "{kind}: {found:?}");
    }
}

#[test]
fn damage_on_a_b_picture_that_may_be_a_reference_lasts_until_a_clean_key_frame() {
    let found = run("corruption", &stream(b_only, true));
    assert!(interval(&found, 28, 36), "{found:?}");
}

#[test]
fn an_anchor_the_decoder_flags_keeps_damage_until_a_clean_key_frame() {
    let flags = |i| match i {
        28 => FrameFlags::CONCEALED,
        30 => FrameFlags::CONCEALED,
        _ => FrameFlags::NONE,
    };
    let found = run("corruption", &stream(flags, false));
    assert!(interval(&found, 28, 36), "{found:?}");
}

#[test]
fn the_codec_says_whether_b_pictures_are_references() {
    use avqc::StreamInfo;
    for (codec, refs) in [
        ("mpeg2video", false),
        ("mpeg1video", false),
        ("h264", true),
        ("hevc", true),
    ] {
        let s = StreamInfo::video(0, codec, 720, 576, None);
        assert_eq!(s.b_pictures_referenced(), refs, "{codec}");
    }
    let f = VideoFrame::filled(16, 16, PixelFormat::Yuv420p, t(0), [16, 128, 128]);
    assert!(f.b_pictures_referenced());
    assert!(!f.with_b_pictures_referenced(false).b_pictures_referenced());
}
