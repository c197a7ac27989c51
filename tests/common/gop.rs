//! An MPEG-2-like group of pictures for the corruption tests: pictures in display order with
//! their types (I every 12, P every 3, B between), and the corruption intervals a detector
//! reports on them.

use avqc::{
    Event, Events, FrameFlags, Media, MediaTime, PictureType, PixelFormat, Registry, VideoFrame,
};

/// Seconds per picture.
pub const STEP: f64 = 0.04;

/// The media time of picture `i`.
pub fn t(i: usize) -> MediaTime {
    MediaTime::from_secs_f64(i as f64 * STEP)
}

/// Picture `i` in display order with `flags`; `b_refs`: whether the stream's B-pictures may be
/// references (`None`: the frame's default).
pub fn picture(i: usize, flags: FrameFlags, b_refs: Option<bool>) -> Media {
    let (kind, key) = if i.is_multiple_of(12) {
        (PictureType::I, FrameFlags::KEY)
    } else if i.is_multiple_of(3) {
        (PictureType::P, FrameFlags::NONE)
    } else {
        (PictureType::B, FrameFlags::NONE)
    };
    let f = VideoFrame::filled(64, 64, PixelFormat::Yuv420p, t(i), [90, 128, 128])
        .with_duration(Some(STEP))
        .with_flags(key | flags)
        .with_picture_type(kind);
    Media::Video(match b_refs {
        Some(r) => f.with_b_pictures_referenced(r),
        None => f,
    })
}

/// The `video_corruption` intervals (start, end in seconds) the built-in detector `kind`
/// reports on `media`, finished long after the last picture.
pub fn corruption_intervals<'a>(
    kind: &str,
    media: impl IntoIterator<Item = &'a Media>,
) -> Vec<(f64, f64)> {
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

/// Asserts that `corruption` and `decode_errors` each report exactly one interval on `media`:
/// from picture `start` to picture `end`.
pub fn one_interval(media: &[Media], start: usize, end: usize) {
    let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
    for kind in ["corruption", "decode_errors"] {
        let found = corruption_intervals(kind, media);
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        assert!(near(found[0].0, start as f64 * STEP), "{kind}: {found:?}");
        assert!(near(found[0].1, end as f64 * STEP), "{kind}: {found:?}");
    }
}
