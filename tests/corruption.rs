//! `corruption` and `blockiness` on synthetic pictures.

mod common;

use avqc::detect::video::{BlockinessConfig, CorruptionConfig};
use avqc::{DetectorConfig, Event, Events, FrameFlags, Media, MediaTime, PictureType, Registry};
use common::pictures::{frame, smooth, H, W};

/// `smooth` quantised to flat 8x8 blocks inside `region` (x0, y0, x1, y1).
fn blocky(x: usize, y: usize, i: usize, region: (usize, usize, usize, usize)) -> u8 {
    let (x0, y0, x1, y1) = region;
    if x >= x0 && x < x1 && y >= y0 && y < y1 {
        let (bx, by) = (x / 8 * 8 + 4, y / 8 * 8 + 4);
        let v = smooth(bx, by, i) as i32;
        // coarse quantisation: steps of 6 code values between blocks
        ((v / 6) * 6) as u8
    } else {
        smooth(x, y, i)
    }
}

fn run(name: &str, cfg_json: &str, frames: impl Iterator<Item = Media>) -> Vec<Event> {
    let mut det = Registry::builtin()
        .build_json(&format!(r#"[{{"type":"{name}"{cfg_json}}}]"#))
        .unwrap()
        .pop()
        .unwrap();
    let mut out = Events::new("test", name);
    let mut all = Vec::new();
    let mut last = MediaTime::ZERO;
    for m in frames {
        if let Media::Video(f) = &m {
            last = f.time();
        }
        det.process(&m, &mut out);
        all.extend(out.drain());
    }
    det.finish(last.add_secs(0.04), &mut out);
    all.extend(out.drain());
    all
}

fn ends<'a>(events: &'a [Event], defect: &str) -> Vec<&'a avqc::event::DefectEvent> {
    events
        .iter()
        .filter_map(|e| e.as_defect())
        .filter(|d| d.defect.as_str() == defect && d.end.is_some())
        .collect()
}

#[test]
fn sudden_block_quantised_region_is_corruption_with_its_share() {
    // 3 s clean, 1 s with the left half quantised to 8x8 blocks, 2 s clean.
    let region = (0, 0, W / 2, H);
    let frames = (0..150).map(|i| {
        if (75..100).contains(&i) {
            frame(i, |x, y| blocky(x, y, i, region))
        } else {
            frame(i, |x, y| smooth(x, y, i))
        }
    });
    let frames: Vec<Media> = frames.collect();
    // Every band of every picture, and (the default) one band in four per picture, the
    // last four pictures judged together: the end may then come up to three pictures late.
    for (cfg, end_slack) in [(r#","band_phases":1"#, 0.05), ("", 0.13)] {
        let ev = run("corruption", cfg, frames.iter().cloned());
        let found = ends(&ev, "video_corruption");
        assert_eq!(found.len(), 1, "{cfg}: {found:?}");
        let d = found[0];
        let (s, e) = (d.start.as_secs_f64(), d.end.unwrap().as_secs_f64());
        assert!((s - 3.0).abs() < 0.05, "{cfg}: {s}..{e}");
        assert!(e > 3.99 && e < 4.0 + end_slack, "{cfg}: {s}..{e}");
        let share = d.details["damaged_share"].as_f64().unwrap();
        // Only the quantised blocks that show a step count (a smooth gradient quantises to
        // runs of equal blocks), and only in the left half.
        assert!(share > 0.15 && share < 0.6, "{cfg}: damaged share {share}");
        assert_eq!(d.details["content"], true);
        assert_eq!(d.details["decoder"], false);
    }
}

/// A slide: flat panels with sharp edges on the 8-pixel grid, text-like bars, mild noise.
fn slide(x: usize, y: usize, i: usize) -> u8 {
    let n = ((x * 7919 + y * 104_729 + i * 31) % 3) as u8;
    let panel = (x / 32 + y / 24) % 3;
    let bar = (y % 24) < 8 && (x % 64) < 48;
    let v = match (panel, bar) {
        (_, true) => 235,
        (0, _) => 40,
        (1, _) => 120,
        _ => 180,
    };
    v - n
}

/// `smooth` quantised to flat 16x16 blocks with steps of `q` code values.
fn macroblocks(x: usize, y: usize, i: usize, q: i32) -> u8 {
    let v = smooth(x / 16 * 16 + 8, y / 16 * 16 + 8, i) as i32;
    ((v / q) * q) as u8
}

#[test]
fn a_cut_to_a_slide_drawn_on_the_grid_is_not_corruption() {
    // 3 s of natural-looking picture, then 3 s of a slide whose edges all sit on the grid
    let frames = (0..150).map(|i| {
        if i < 75 {
            frame(i, |x, y| smooth(x, y, i))
        } else {
            frame(i, |x, y| slide(x, y, i))
        }
    });
    let ev = run("corruption", "", frames);
    assert!(ends(&ev, "video_corruption").is_empty(), "{ev:?}");
}

#[test]
fn sudden_16x16_macroblocking_is_corruption() {
    let frames = (0..150).map(|i| {
        if (75..100).contains(&i) {
            frame(i, |x, y| macroblocks(x, y, i, 4))
        } else {
            frame(i, |x, y| smooth(x, y, i))
        }
    });
    let ev = run("corruption", "", frames);
    let found = ends(&ev, "video_corruption");
    assert_eq!(found.len(), 1, "{found:?}");
    let s = found[0].start.as_secs_f64();
    assert!((s - 3.0).abs() < 0.1, "{s}");
    let share = found[0].details["damaged_share"].as_f64().unwrap();
    assert!(share > 0.3, "damaged share {share}");
}

#[test]
fn steadily_blocky_stream_is_not_corruption() {
    let region = (0, 0, W, H);
    let ev = run(
        "corruption",
        "",
        (0..150).map(|i| frame(i, |x, y| blocky(x, y, i, region))),
    );
    assert!(ends(&ev, "video_corruption").is_empty(), "{ev:?}");
}

#[test]
fn noise_and_texture_are_not_corruption() {
    let ev = run(
        "corruption",
        "",
        (0..150).map(|i| {
            frame(i, move |x, y| {
                let h = ((x * 2_654_435_761) ^ (y * 40_503) ^ (i * 97)) % 251;
                if i >= 75 {
                    // texture with a different character halfway through
                    (h as u8 / 2).wrapping_add(((x / 3 + y / 5) % 7 * 20) as u8)
                } else {
                    h as u8
                }
            })
        }),
    );
    assert!(ends(&ev, "video_corruption").is_empty(), "{ev:?}");
}

#[test]
fn decoder_flags_still_count_and_are_one_interval() {
    // Flagged damage from 1.0 s until the key frame at 2.0 s; content is clean.
    let frames = (0..100).map(|i| {
        let Media::Video(f) = frame(i, |x, y| smooth(x, y, i)) else {
            unreachable!()
        };
        let f = if i == 50 {
            f.with_flags(FrameFlags::KEY)
                .with_picture_type(PictureType::I)
        } else if (25..30).contains(&i) {
            f.with_flags(FrameFlags::CONCEALED)
        } else {
            f
        };
        Media::Video(f)
    });
    let ev = run("corruption", "", frames);
    let found = ends(&ev, "video_corruption");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!((found[0].start.as_secs_f64() - 1.0).abs() < 1e-6);
    assert!((found[0].end.unwrap().as_secs_f64() - 2.0).abs() < 1e-6);
    assert_eq!(found[0].details["decoder"], true);
}

#[test]
fn heavy_blockiness_is_reported_with_a_metric_every_second() {
    let region = (0, 0, W, H);
    let heavy = run(
        "blockiness",
        "",
        (0..125).map(|i| frame(i, |x, y| blocky(x, y, i, region))),
    );
    let metrics = heavy
        .iter()
        .filter(|e| matches!(e, Event::Metric(m) if m.name == "blockiness"))
        .count();
    assert!((4..=6).contains(&metrics), "{metrics} metrics");
    assert_eq!(ends(&heavy, "video_blockiness").len(), 1, "{heavy:?}");

    let clean = run(
        "blockiness",
        "",
        (0..125).map(|i| frame(i, |x, y| smooth(x, y, i))),
    );
    assert!(ends(&clean, "video_blockiness").is_empty(), "{clean:?}");
}

#[test]
fn bad_config_values_are_rejected() {
    for bad in [
        CorruptionConfig {
            ratio_factor: 0.9,
            ..Default::default()
        },
        CorruptionConfig {
            adapt: 0.0,
            ..Default::default()
        },
        CorruptionConfig {
            sample_step: 0,
            ..Default::default()
        },
        CorruptionConfig {
            max_recovery: f64::NAN,
            ..Default::default()
        },
    ] {
        assert!(bad.build("c").is_err(), "{bad:?}");
    }
    for bad in [
        BlockinessConfig {
            threshold: 0.5,
            ..Default::default()
        },
        BlockinessConfig {
            period: 0.0,
            ..Default::default()
        },
        BlockinessConfig {
            sample_step: 9,
            ..Default::default()
        },
    ] {
        assert!(bad.build("b").is_err(), "{bad:?}");
    }
    assert!(Registry::builtin()
        .build_json(r#"[{"type":"corruption","ratio_factr":1.5}]"#)
        .is_err());
}

/// A low-contrast box drawn on the 8-pixel grid over smooth content (a caption box, a slide
/// panel) raises the blockiness index like coding blocks do, but only along its outline: the
/// blocky share keeps it from being `video_blockiness`; without the share gate it would be.
#[test]
fn a_box_drawn_on_the_grid_is_not_blockiness() {
    let boxed = |i: usize| {
        frame(i, move |x, y| {
            let v = smooth(x, y, i);
            if (128..192).contains(&x) && (64..128).contains(&y) {
                v.saturating_add(30)
            } else {
                v
            }
        })
    };
    let metric = |ev: &[Event], name: &str| -> Vec<f64> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Metric(m) if m.name == name => Some(m.value),
                _ => None,
            })
            .collect()
    };
    let ev = run("blockiness", "", (0..125).map(boxed));
    let (ratio, share) = (metric(&ev, "blockiness"), metric(&ev, "blocky_share"));
    assert!(
        ratio.iter().all(|&r| r >= 1.16),
        "the outline raises the index: {ratio:?}"
    );
    assert!(
        share.iter().all(|&s| s < 0.1),
        "but few blocks are blocky: {share:?}"
    );
    assert!(ends(&ev, "video_blockiness").is_empty(), "{ev:?}");

    let ungated = run("blockiness", r#","min_share":0.0"#, (0..125).map(boxed));
    assert_eq!(ends(&ungated, "video_blockiness").len(), 1, "{ungated:?}");
}
