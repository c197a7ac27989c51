//! `out_of_range` measured as EBU R 103 counts a gamut error: luma means of small areas
//! against −1 % … 103 % of the nominal range, on more than 1 % of the picture. Codec ringing
//! and noise around legal black and white stay silent; areas of illegal level are reported.

mod common;

use avqc::detect::video::OutOfRangeConfig;
use avqc::event::DefectEvent;
use avqc::{Detector, DetectorConfig, Event, Media, MediaTime, PixelFormat, VideoFrame};

const FPS: f64 = 25.0;
const W: usize = 320;
const H: usize = 180;

fn detector() -> Box<dyn Detector> {
    OutOfRangeConfig::default().build("out_of_range").unwrap()
}

/// 3 s of 320x180 pictures whose luma is `luma(x, y)` (neutral chroma), unsignalled range.
fn clip(luma: impl Fn(usize, usize) -> u8) -> Vec<Media> {
    sized_clip(W, H, luma)
}

/// [`clip`] of `w`x`h` pictures.
fn sized_clip(w: usize, h: usize, luma: impl Fn(usize, usize) -> u8) -> Vec<Media> {
    (0..75)
        .map(|i| {
            Media::Video(
                VideoFrame::from_fn(
                    w,
                    h,
                    PixelFormat::Yuv420p,
                    MediaTime::from_secs_f64(i as f64 / FPS),
                    |p, x, y| if p == 0 { luma(x, y) } else { 128 },
                )
                .with_duration(Some(1.0 / FPS)),
            )
        })
        .collect()
}

fn ends(events: &[Event]) -> Vec<&DefectEvent> {
    events
        .iter()
        .filter_map(Event::as_defect)
        .filter(|d| d.end.is_some())
        .collect()
}

fn alarms(luma: impl Fn(usize, usize) -> u8) -> Vec<DefectEvent> {
    ends(&common::run_all(detector(), clip(luma)))
        .into_iter()
        .cloned()
        .collect()
}

/// Mid-grey with a bright title bar (rows 40..80) at legal white and a black bar (rows
/// 100..140) at legal black, both ringing by ±`ring` code values from pixel to pixel (a
/// pattern of period 3 along the diagonals), as a lossy encode leaves them: a third of the
/// bars' samples, 15 % of the picture's, past 16–235 by `ring`.
fn ringing(ring: u8) -> impl Fn(usize, usize) -> u8 {
    move |x, y| {
        let level = match y {
            40..=79 => 235,
            100..=139 => 16,
            _ => return 128,
        };
        match (x + y) % 3 {
            0 => level + ring,
            1 => level - ring,
            _ => level,
        }
    }
}

#[test]
fn ringing_around_legal_white_and_black_is_not_a_gamut_error() {
    // 12 code values of overshoot: single samples far past 16–235 (and past any
    // per-sample margin), area means on the legal levels.
    assert!(alarms(ringing(12)).is_empty());
    // Noise of a camera on legal white: samples up to 250, means about 236.
    let noisy = |x: usize, y: usize| {
        if y < 90 {
            [222, 250, 236][(x + y) % 3]
        } else {
            100
        }
    };
    assert!(alarms(noisy).is_empty());
}

#[test]
fn an_edge_whose_undershoot_fills_the_sampled_rows_is_not_a_gamut_error() {
    // A black bar (rows 40..=108) over a white one, as a low-rate encode leaves a graphic:
    // its last 9 rows undershoot to code 12. The areas of rows 96..112 sample rows 96, 100,
    // 104 and 108 (16, 12, 12, 12: a mean of 13, under R 103's 13.8) while their last 3 rows
    // are white: over all their pixels they average 54.8. One row of areas is 8 % of the
    // picture: judged by the samples alone it would be a gamut error.
    let edge = |_: usize, y: usize| match y {
        40..=99 => 16,
        100..=108 => 12,
        109..=140 => 235,
        _ => 128,
    };
    assert!(alarms(edge).is_empty());
    // The same bar undershooting to 12 all the way down to its edge at row 111 is illegal
    // over whole areas (rows 96..112 at 12 or 16, mean 13): reported.
    let low = |_: usize, y: usize| match y {
        40..=95 => 16,
        96..=111 => 12,
        112..=140 => 235,
        _ => 128,
    };
    let a = alarms(low);
    assert_eq!(a.len(), 1, "{a:?}");
    let share = a[0].details["luma_share"].as_f64().unwrap();
    assert!((0.08..0.09).contains(&share), "{share}");
}

#[test]
fn the_limits_are_r103s_minus_1_and_103_percent() {
    // Whole pictures at one level: legal from code 14 (−0.9 %) to 241 (102.7 %).
    for legal in [14u8, 16, 235, 238, 241] {
        assert!(alarms(|_, _| legal).is_empty(), "level {legal}");
    }
    for illegal in [0u8, 8, 13, 242, 250, 255] {
        let a = alarms(|_, _| illegal);
        assert_eq!(a.len(), 1, "level {illegal}: {a:?}");
        assert_eq!(a[0].details["luma_share"], 1.0);
        assert!((a[0].start.as_secs_f64() - 0.0).abs() < 1e-3, "{:?}", a[0]);
    }
}

#[test]
fn an_illegal_area_over_1_percent_of_the_picture_is_reported() {
    // A super-white logo of 64x48 pixels (5.3 % of the picture) placed off the area grid:
    // the 9 areas of 16x16 it covers (3.75 % of 240) are over the limit, the ones it
    // overlaps partly have legal means.
    let a = alarms(|x, y| {
        if (200..264).contains(&x) && (16..64).contains(&y) {
            255
        } else {
            90
        }
    });
    assert_eq!(a.len(), 1, "{a:?}");
    let share = a[0].details["luma_share"].as_f64().unwrap();
    assert!((0.035..0.04).contains(&share), "{share}");
    // A logo of 24x16 (0.7 % of the picture, one area: 0.4 %) is within R 103's 1 %.
    let small = alarms(|x, y| {
        if (200..224).contains(&x) && (16..32).contains(&y) {
            255
        } else {
            90
        }
    });
    assert!(small.is_empty(), "{small:?}");
}

#[test]
fn an_area_is_the_same_share_of_the_picture_at_every_size() {
    // Small super-black patches (code 0) on mid-grey, one at the corner of 40 of the areas a
    // 640x360 picture has (16 pixels a side, 920 of them): 12x12 pixels there, diluted to a
    // mean of 56 in each area, legal. The same picture upconverted to 1280x720 has 24x24
    // patches: areas of 16 pixels would sit inside them (40 of 3600, 1.1 %, over R 103's
    // 1 %), areas of 32 pixels hold them as the small picture's did.
    let at = |scale: usize| {
        move |x: usize, y: usize| {
            let (ax, ay) = (x / (16 * scale), y / (16 * scale));
            let patch = ay % 4 == 1 && ax % 4 == 1 && ax / 4 + 10 * (ay / 4) < 40;
            let inside = x % (16 * scale) < 12 * scale && y % (16 * scale) < 12 * scale;
            if patch && inside {
                0
            } else {
                128
            }
        }
    };
    let run = |w: usize, h: usize, scale: usize| -> Vec<DefectEvent> {
        ends(&common::run_all(detector(), sized_clip(w, h, at(scale))))
            .into_iter()
            .cloned()
            .collect()
    };
    assert!(run(640, 360, 1).is_empty());
    let hd = run(1280, 720, 2);
    assert!(hd.is_empty(), "{hd:?}");
    // A super-white bar over 64 of the 720 lines is reported at that size, as at any other.
    let bar = ends(&common::run_all(
        detector(),
        sized_clip(
            1280,
            720,
            |_, y| if (64..128).contains(&y) { 255 } else { 128 },
        ),
    ))
    .len();
    assert_eq!(bar, 1);
}

#[test]
fn full_range_video_labelled_limited_is_reported() {
    // A dark scene coded full range (black at 0, shadows below 16) but signalled limited.
    let a = alarms(|x, y| ((x / 4 + y / 3) % 60) as u8);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].details["luma_share"].as_f64().unwrap() > 0.1);
}

#[test]
fn config_checks_area_and_limits() {
    let bad = [
        OutOfRangeConfig {
            area_size: 15,
            ..Default::default()
        },
        OutOfRangeConfig {
            area_size: 0,
            ..Default::default()
        },
        OutOfRangeConfig {
            sample_step: 0,
            ..Default::default()
        },
        OutOfRangeConfig {
            black_limit: 1.0,
            ..Default::default()
        },
        OutOfRangeConfig {
            white_limit: f64::NAN,
            ..Default::default()
        },
    ];
    for c in bad {
        assert!(c.build("r").is_err(), "{c:?}");
    }
    let c: OutOfRangeConfig =
        serde_json::from_str(r#"{"area_size": 8, "sample_step": 2, "white_limit": 100.0}"#)
            .unwrap();
    assert!(c.build("r").is_ok());
    // A step over half an area (valid before areas) still builds: one sample per cell.
    let coarse = OutOfRangeConfig {
        sample_step: 16,
        ..Default::default()
    };
    let det = coarse.build("r").unwrap();
    assert_eq!(ends(&common::run_all(det, clip(|_, _| 250))).len(), 1);
    // With the limits at nominal white, 238 is out of range.
    let det = c.build("r").unwrap();
    assert_eq!(ends(&common::run_all(det, clip(|_, _| 238))).len(), 1);
}
