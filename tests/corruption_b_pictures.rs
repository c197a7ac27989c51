//! `corruption` and `decode_errors` end damage seen only on B-pictures at the next anchor the
//! decoder does not flag when the stream's B-pictures are never references (MPEG-1/2), and
//! hold it until a clean key frame otherwise (H.264, HEVC: a B-picture may be a reference).

mod common;

use avqc::{FrameFlags, Media, PixelFormat, VideoFrame};
use common::gop::{corruption_intervals as run, picture, t, STEP};

/// Pictures 0..80 in display order; `b_refs`: whether the stream's B-pictures may be references.
fn stream(flags: impl Fn(usize) -> FrameFlags, b_refs: bool) -> Vec<Media> {
    (0..80)
        .map(|i| picture(i, flags(i), Some(b_refs)))
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
