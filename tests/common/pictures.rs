//! Synthetic pictures of the corruption tests: a smooth, slowly moving, lightly noisy luma
//! gradient (natural-looking, no block grid) and a 25 fps frame made of any luma function;
//! the `video_corruption` intervals a detector finds in them; and the moving texture of the
//! stutter and cadence tests.

use avqc::detect::video::{CorruptionConfig, StutterConfig};
use avqc::{
    DetectorConfig, Event, FrameFlags, Media, MediaTime, Phase, PictureType, PixelFormat,
    VideoFrame,
};

/// Picture width.
pub const W: usize = 320;
/// Picture height.
pub const H: usize = 192;

/// A smooth, slowly moving gradient with mild pixel noise (natural-looking, no grid).
pub fn smooth(x: usize, y: usize, i: usize) -> u8 {
    let n = ((x * 7919 + y * 104_729 + i * 31) % 5) as f64;
    (60.0 + 0.3 * x as f64 + 0.25 * y as f64 + (i as f64 * 0.7) + n).min(250.0) as u8
}

/// Pixel (`x`, `y`) of picture `i` of [`smooth`] with, from picture `from` (when given) to 5 s,
/// blocks of 16×16, 10 code values brighter, whose edges lie on the 8-pixel grid half-way
/// between the 16-pixel lines (x and y at 8 modulo 16): one per block row at first, one more
/// every 4 pictures (up to 6): damage that spreads.
pub fn spreading_blocks(x: usize, y: usize, i: usize, from: Option<usize>) -> u8 {
    let v = smooth(x, y, i);
    let Some(from) = from.filter(|&f| (f..125).contains(&i)) else {
        return v;
    };
    let n = (1 + (i - from) / 4).min(6);
    let (bx, by) = (x.wrapping_sub(40), y.wrapping_sub(8));
    let inside = x >= 40 && y >= 8 && bx % 48 < 16 && by % 32 < 16 && bx / 48 < n;
    if inside {
        v.saturating_add(10)
    } else {
        v
    }
}

/// Picture `i` (25 per second, `W`×`H` 4:2:0) whose luma is `f(x, y)`, chroma flat.
pub fn frame(i: usize, f: impl Fn(usize, usize) -> u8) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    Media::Video(
        VideoFrame::from_fn(W, H, PixelFormat::Yuv420p, t, |p, x, y| {
            if p == 0 {
                f(x, y)
            } else {
                128
            }
        })
        .with_duration(Some(0.04)),
    )
}

/// Picture `i` at `fps` pictures a second (160x96 4:2:0, chroma flat) of a texture shifted
/// `shift` pixels to the right and faded towards black (luma 16) by `gain` (1: the full
/// picture, 0: black): the moving picture of the stutter and cadence tests.
pub fn textured(i: usize, fps: f64, shift: f64, gain: f64) -> Media {
    let t = MediaTime::from_secs_f64(i as f64 / fps);
    Media::Video(
        VideoFrame::from_fn(160, 96, PixelFormat::Yuv420p, t, |p, x, y| {
            if p > 0 {
                return 128;
            }
            let x = x as f64 - shift;
            let v = 128.0 + 60.0 * (x * 0.3).sin() * (y as f64 * 0.2).cos();
            let v = 16.0 + (v - 16.0) * gain;
            v.round().clamp(0.0, 255.0) as u8
        })
        .with_duration(Some(1.0 / fps)),
    )
}

/// `video_corruption` intervals (start, end) that a detector configured by `cfg` ends over
/// `frames` (finished at the end of the last one).
pub fn corruption_intervals(
    cfg: &CorruptionConfig,
    frames: impl Iterator<Item = Media>,
) -> Vec<(f64, f64)> {
    super::run_all(cfg.build("c").unwrap(), frames)
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.defect.as_str() == "video_corruption")
        .filter_map(|d| Some((d.start.as_secs_f64(), d.end?.as_secs_f64())))
        .collect()
}

/// `(start, end, repeated_frames)` of every stutter the default `stutter` detector ends over
/// `frames` (finished at the end of the last one).
pub fn stutter_spans(frames: impl IntoIterator<Item = Media>) -> Vec<(f64, f64, u64)> {
    stutter_ends(&super::run_all(
        StutterConfig::default().build("stutter").unwrap(),
        frames,
    ))
}

/// `(start, end, repeated_frames)` of every stutter that ended in `events`.
pub fn stutter_ends(events: &[Event]) -> Vec<(f64, f64, u64)> {
    events
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.phase == Phase::End)
        .map(|d| {
            (
                d.start.as_secs_f64(),
                d.end.unwrap().as_secs_f64(),
                d.details["repeated_frames"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Picture `i` of a stream whose key (I) pictures come every 125 pictures (5 s), marked
/// concealed by the decoder from picture `flagged` up to the next key picture; `b_refs`:
/// whether every picture may be a reference (H.264, HEVC; not MPEG-2).
pub fn keyed_every_5s(picture: Media, i: usize, flagged: usize, b_refs: bool) -> Media {
    let Media::Video(f) = picture else {
        unreachable!()
    };
    let f = if i.is_multiple_of(125) {
        f.with_flags(FrameFlags::KEY)
            .with_picture_type(PictureType::I)
    } else if (flagged..125).contains(&i) {
        f.with_flags(FrameFlags::CONCEALED)
    } else {
        f
    };
    Media::Video(f.with_b_pictures_referenced(b_refs))
}
