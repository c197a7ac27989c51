//! `corruption` and `decode_errors` place decoder-reported damage in display order: pictures
//! come out in display order, notices in decode order.

use avqc::{
    DecoderNotice, Event, Events, FrameFlags, Media, MediaTime, NoticeKind, PictureType,
    PixelFormat, Registry, VideoFrame,
};

const STEP: f64 = 0.04;

fn t(i: usize) -> MediaTime {
    MediaTime::from_secs_f64(i as f64 * STEP)
}

/// Picture `i` of an MPEG-2-like stream in display order: I every 12, P every 3, B between.
fn picture(i: usize, flags: FrameFlags) -> Media {
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
            .with_flags(key | flags)
            .with_picture_type(kind),
    )
}

fn notice(i: usize) -> Media {
    Media::Notice(DecoderNotice::new(
        t(i),
        Some(0),
        NoticeKind::DecodeError {
            message: "error while decoding MB".into(),
        },
    ))
}

fn run(kind: &str, media: impl IntoIterator<Item = Media>) -> Vec<(f64, f64)> {
    let mut det = Registry::builtin()
        .build_json(&format!(r#"[{{"type":"{kind}"}}]"#))
        .unwrap()
        .pop()
        .unwrap();
    let mut out = Events::new("test", kind);
    let mut all = Vec::new();
    for m in media {
        det.process(&m, &mut out);
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

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Pictures 0..80 in display order; `before(i)` items are handed in just before picture `i`.
fn stream(flags: impl Fn(usize) -> FrameFlags, before: impl Fn(usize) -> Vec<Media>) -> Vec<Media> {
    (0..80)
        .flat_map(|i| {
            let mut v = before(i);
            v.push(picture(i, flags(i)));
            v
        })
        .collect()
}

#[test]
fn damage_of_an_anchor_starts_at_the_b_pictures_shown_before_it() {
    // P-picture 30 is damaged. In decode order it comes before B 28 and 29, which are shown
    // before it and predicted from it: its notice arrives before picture 28 (after anchor 27
    // was shown). Damage is on screen from 28 until the clean key frame 36.
    let concealed = |i| {
        if i == 30 {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        }
    };
    let media = stream(
        concealed,
        |i| if i == 28 { vec![notice(30)] } else { vec![] },
    );
    for kind in ["corruption", "decode_errors"] {
        let found = run(kind, media.clone());
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        assert!(near(found[0].0, 28.0 * STEP), "{kind}: {found:?}");
        assert!(near(found[0].1, 36.0 * STEP), "{kind}: {found:?}");
    }
}

#[test]
fn pictures_delayed_by_the_decoder_before_the_last_anchor_are_not_damaged() {
    // A decoder with output delay hands out B 25, 26 and anchor 27 after the notice about
    // picture 30: they were decoded before it. The damage starts at B 28, after that anchor.
    let media = stream(
        |_| FrameFlags::NONE,
        |i| if i == 25 { vec![notice(30)] } else { vec![] },
    );
    let found = run("corruption", media);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(near(found[0].0, 28.0 * STEP), "{found:?}");
    assert!(near(found[0].1, 36.0 * STEP), "{found:?}");
}
