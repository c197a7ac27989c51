//! Signal checks: `video_loss`, `format_change`, `out_of_range`, `letterbox` on synthetic
//! media (pure Rust), and one run of the FFmpeg decoder over a mid-stream resolution change.

mod common;

use avqc::detect::video::{FormatChangeConfig, LetterboxConfig, OutOfRangeConfig, VideoLossConfig};
use avqc::event::{DefectEvent, NoticeEvent};
use avqc::{
    AudioFrame, ColorRange, Detector, DetectorConfig, Error, Event, Media, MediaTime, Phase,
    PixelFormat, Registry, VideoFrame,
};

const FPS: f64 = 25.0;

fn t(s: f64) -> MediaTime {
    MediaTime::from_secs_f64(s)
}

fn run(det: Box<dyn Detector>, media: impl IntoIterator<Item = Media>) -> Vec<Event> {
    common::run_all(det, media)
}

fn defects(events: &[Event]) -> Vec<&DefectEvent> {
    events.iter().filter_map(Event::as_defect).collect()
}

fn notices(events: &[Event]) -> Vec<&NoticeEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn near(a: MediaTime, b: f64) -> bool {
    (a.as_secs_f64() - b).abs() < 1e-3
}

fn picture(i: usize, w: usize, h: usize, values: [u8; 3]) -> Media {
    Media::Video(
        VideoFrame::filled(w, h, PixelFormat::Yuv420p, t(i as f64 / FPS), values)
            .with_duration(Some(1.0 / FPS)),
    )
}

/// 20 ms of stereo sound starting at `secs`.
fn sound(secs: f64) -> Media {
    Media::Audio(AudioFrame::new(48_000, 2, t(secs), vec![0.1; 2 * 960]).unwrap())
}

/// Pictures at 25 fps for `[0, 2)` s and `[5, 6)` s, sound throughout `[0, 7)` s, interleaved.
fn av_with_a_hole() -> Vec<Media> {
    let mut media = Vec::new();
    for k in 0..350 {
        let s = k as f64 * 0.02;
        media.push(sound(s));
        if k % 2 == 0 {
            let i = k / 2;
            if !(50..125).contains(&i) && i < 150 {
                media.push(picture(i, 32, 18, [120, 128, 128]));
            }
        }
    }
    media
}

#[test]
fn video_loss_opens_after_max_gap_of_sound_and_closes_at_the_next_picture() {
    let ev = run(
        VideoLossConfig::default().build("video_loss").unwrap(),
        av_with_a_hole(),
    );
    let d = defects(&ev);
    assert_eq!(d.len(), 2, "{d:?}");
    // The hole: the last picture before it ends at 2.0 s; sound reaches 4.0 s at 3.98 + 0.02.
    assert_eq!(d[0].phase, Phase::Start);
    assert_eq!(d[0].defect.as_str(), "video_loss");
    assert!(near(d[0].start, 2.0), "{:?}", d[0]);
    assert!(near(d[0].emitted_at, 4.0), "{:?}", d[0]);
    // The next picture (5.0 s) ends it. The 1 s of sound after the last picture (6.0 s) is
    // shorter than `max_gap`: nothing.
    assert_eq!(d[1].phase, Phase::End);
    assert!(
        near(d[1].start, 2.0) && near(d[1].end.unwrap(), 5.0),
        "{:?}",
        d[1]
    );
}

#[test]
fn video_loss_is_closed_by_finish_and_ignores_audio_only_inputs() {
    // Short gap threshold: the tail after the last picture (6.0 → 7.0 s) opens a loss that
    // finish() closes at the end.
    let ev = run(
        VideoLossConfig { max_gap: 0.5 }
            .build("video_loss")
            .unwrap(),
        av_with_a_hole(),
    );
    let d = defects(&ev);
    assert_eq!(d.len(), 4, "{d:?}");
    assert!(
        near(d[2].start, 6.0) && near(d[2].emitted_at, 6.5),
        "{:?}",
        d[2]
    );
    assert!(near(d[3].end.unwrap(), 7.0), "{:?}", d[3]);

    // Sound only, never a picture: nothing.
    let ev = run(
        VideoLossConfig { max_gap: 0.5 }
            .build("video_loss")
            .unwrap(),
        (0..300).map(|k| sound(k as f64 * 0.02)),
    );
    assert!(ev.is_empty(), "{ev:?}");

    // Pictures and sound together: nothing.
    let media = (0..300).flat_map(|k| {
        let mut v = vec![sound(k as f64 * 0.02)];
        if k % 2 == 0 {
            v.push(picture(k / 2, 32, 18, [120, 128, 128]));
        }
        v
    });
    let ev = run(VideoLossConfig::default().build("v").unwrap(), media);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn video_loss_is_not_ended_by_pictures_the_decoder_held_back() {
    // Pictures to 2.0 s, then sound alone to 4.6 s; then the decoder releases the 3 pictures
    // it held for reordering (2.0–2.12 s, continuing the sequence), then pictures resume at
    // 5.0 s: one loss, ended at 5.0 s.
    let mut media = Vec::new();
    for k in 0..230 {
        media.push(sound(k as f64 * 0.02));
        if k % 2 == 0 && k < 100 {
            media.push(picture(k / 2, 32, 18, [120, 128, 128]));
        }
    }
    media.extend((50..53).map(|i| picture(i, 32, 18, [120, 128, 128])));
    media.extend((125..150).map(|i| picture(i, 32, 18, [120, 128, 128])));
    let ev = run(VideoLossConfig::default().build("v").unwrap(), media);
    let d = defects(&ev);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(near(d[0].start, 2.0), "{:?}", d[0]);
    assert!(near(d[1].end.unwrap(), 5.0), "{:?}", d[1]);

    // Pictures that were only late (they bring the gap back under max_gap) end it at once.
    let mut media = Vec::new();
    for k in 0..210 {
        media.push(sound(k as f64 * 0.02));
        if k % 2 == 0 && k < 100 {
            media.push(picture(k / 2, 32, 18, [120, 128, 128]));
        }
    }
    media.extend((50..110).map(|i| picture(i, 32, 18, [120, 128, 128])));
    let ev = run(VideoLossConfig::default().build("v").unwrap(), media);
    let d = defects(&ev);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[1].end.unwrap().secs_since(d[1].start) < 0.25,
        "{:?}",
        d[1]
    );
}

#[test]
fn format_change_notices_once_per_change_and_not_on_the_first_frame() {
    let fmt = |i: usize| -> Media {
        // 0..40: 64x36 yuv420p; 40..80: 32x18; 80..120: 32x18 full range; 120..: 32x18 gray.
        let (w, h) = if i < 40 { (64, 36) } else { (32, 18) };
        let format = if i < 120 {
            PixelFormat::Yuv420p
        } else {
            PixelFormat::Gray8
        };
        let range = if (80..120).contains(&i) {
            ColorRange::Full
        } else {
            ColorRange::Limited
        };
        Media::Video(
            VideoFrame::filled(w, h, format, t(i as f64 / FPS), [100, 128, 128])
                .with_range(range)
                .with_duration(Some(1.0 / FPS)),
        )
    };
    let ev = run(
        FormatChangeConfig::default()
            .build("format_change")
            .unwrap(),
        (0..160).map(fmt),
    );
    assert!(defects(&ev).is_empty());
    let n = notices(&ev);
    let msgs: Vec<&str> = n.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "64x36 yuv420p(tv) 25fps -> 32x18 yuv420p(tv) 25fps",
            "32x18 yuv420p(tv) 25fps -> 32x18 yuv420p(pc) 25fps",
            "32x18 yuv420p(pc) 25fps -> 32x18 gray(tv) 25fps",
        ]
    );
    assert!(n.iter().all(|n| n.name == "video_format_change"));
    assert!(near(n[0].at, 40.0 / FPS));

    // A steady stream: nothing, not even for the first frame.
    let ev = run(
        FormatChangeConfig::default().build("f").unwrap(),
        (0..100).map(|i| picture(i, 32, 18, [100, 128, 128])),
    );
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn format_change_sees_a_frame_rate_change_but_not_a_dropped_frame() {
    // 25 fps for 2 s (frame 30 missing), then 50 fps; no durations: steps from timestamps.
    let mut times: Vec<f64> = (0..50)
        .filter(|&i| i != 30)
        .map(|i| i as f64 / 25.0)
        .collect();
    times.extend((0..100).map(|i| 2.0 + i as f64 / 50.0));
    let media = times.iter().map(|&s| {
        Media::Video(VideoFrame::filled(
            32,
            18,
            PixelFormat::Yuv420p,
            t(s),
            [100, 128, 128],
        ))
    });
    let ev = run(FormatChangeConfig::default().build("f").unwrap(), media);
    let msgs: Vec<&str> = notices(&ev).iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        msgs,
        ["32x18 yuv420p(tv) 25fps -> 32x18 yuv420p(tv) 50fps"],
        "{ev:?}"
    );
}

fn out_of_range() -> Box<dyn Detector> {
    OutOfRangeConfig::default().build("out_of_range").unwrap()
}

/// 3 s of pictures: frames 25..75 from `bad`, the rest legal grey.
fn oor_media(range: ColorRange, bad: [u8; 3]) -> Vec<Media> {
    (0..75)
        .map(|i| {
            let v = if i >= 25 { bad } else { [120, 128, 128] };
            Media::Video(
                VideoFrame::filled(64, 36, PixelFormat::Yuv420p, t(i as f64 / FPS), v)
                    .with_range(range)
                    .with_duration(Some(1.0 / FPS)),
            )
        })
        .collect()
}

#[test]
fn out_of_range_flags_super_white_in_limited_range() {
    for range in [ColorRange::Limited, ColorRange::Unknown] {
        let ev = run(out_of_range(), oor_media(range, [250, 128, 128]));
        let d = defects(&ev);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].defect.as_str(), "video_out_of_range");
        assert!(near(d[0].start, 1.0), "{:?}", d[0]);
        assert!(near(d[0].emitted_at, 1.96), "{:?}", d[0]);
        assert_eq!(d[1].details["share"], 1.0);
        assert_eq!(d[1].details["luma_share"], 1.0);
        assert_eq!(d[1].details["chroma_share"], 0.0);
        assert!(near(d[1].end.unwrap(), 3.0));
    }
    // Illegal chroma alone.
    let ev = run(
        out_of_range(),
        oor_media(ColorRange::Limited, [120, 250, 5]),
    );
    let d = defects(&ev);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[1].details["chroma_share"], 1.0);
}

#[test]
fn out_of_range_ignores_full_range_legal_pictures_and_small_shares() {
    // Full range: 250 is legal.
    assert!(run(out_of_range(), oor_media(ColorRange::Full, [250, 128, 128])).is_empty());
    // Legal extremes and the tolerance.
    assert!(run(
        out_of_range(),
        oor_media(ColorRange::Limited, [235, 240, 16])
    )
    .is_empty());
    assert!(run(
        out_of_range(),
        oor_media(ColorRange::Limited, [239, 248, 8])
    )
    .is_empty());
    // A small bright spot (0.5 % of the luma) is not a signal fault.
    let media = (0..75).map(|i| {
        Media::Video(
            VideoFrame::from_fn(
                200,
                100,
                PixelFormat::Yuv420p,
                t(i as f64 / FPS),
                |p, x, y| {
                    if p == 0 && x < 10 && y < 10 {
                        255
                    } else if p == 0 {
                        120
                    } else {
                        128
                    }
                },
            )
            .with_duration(Some(1.0 / FPS)),
        )
    });
    assert!(run(out_of_range(), media).is_empty());
}

/// A 64x36 picture with black bars of `bar` rows at the top and bottom.
fn boxed(i: usize, bar: usize) -> Media {
    Media::Video(
        VideoFrame::from_fn(
            64,
            36,
            PixelFormat::Yuv420p,
            t(i as f64 / FPS),
            |p, x, y| {
                if p > 0 {
                    128
                } else if y < bar || y >= 36 - bar {
                    16
                } else {
                    (60 + (x * 3 + y * 5) % 100) as u8
                }
            },
        )
        .with_duration(Some(1.0 / FPS)),
    )
}

#[test]
fn letterbox_notices_bar_changes() {
    // 4 s full picture, 6 s letterboxed (bars of 6 rows), 6 s full again, with a few black
    // frames in the middle (skipped) and a dark frame now and then.
    let media = (0..400).map(|i| match i {
        0..=99 => boxed(i, 0),
        150..=153 => picture(i, 64, 36, [16, 128, 128]),
        100..=249 => boxed(i, 6),
        _ => boxed(i, 0),
    });
    let ev = run(
        LetterboxConfig::default().build("letterbox").unwrap(),
        media,
    );
    let msgs: Vec<&str> = notices(&ev).iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "active area 64x36 -> 64x24 at y=6",
            "active area 64x24 at y=6 -> 64x36"
        ],
        "{ev:?}"
    );
    assert!(notices(&ev).iter().all(|n| n.name == "video_letterbox"));

    // Never boxed: nothing.
    let ev = run(
        LetterboxConfig::default().build("l").unwrap(),
        (0..200).map(|i| boxed(i, 0)),
    );
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn letterbox_sees_pillarbox_bars() {
    let media = (0..200).map(|i| {
        Media::Video(
            VideoFrame::from_fn(
                64,
                36,
                PixelFormat::Yuv420p,
                t(i as f64 / FPS),
                |p, x, y| {
                    if p > 0 {
                        128
                    } else if !(8..56).contains(&x) {
                        16
                    } else {
                        (60 + (x * 3 + y * 5) % 100) as u8
                    }
                },
            )
            .with_duration(Some(1.0 / FPS)),
        )
    });
    let ev = run(LetterboxConfig::default().build("l").unwrap(), media);
    let msgs: Vec<&str> = notices(&ev).iter().map(|n| n.message.as_str()).collect();
    assert_eq!(msgs, ["active area 64x36 -> 48x36 at x=8"], "{ev:?}");
}

#[test]
fn bad_configs_are_rejected_and_defaults_registered() {
    let reg = Registry::builtin();
    for bad in [
        r#"[{"type":"video_loss","max_gap":-1}]"#,
        r#"[{"type":"video_loss","max_gapp":1}]"#,
        r#"[{"type":"format_change","confirm_frames":0}]"#,
        r#"[{"type":"format_change","rate_tolerance":0.7}]"#,
        r#"[{"type":"out_of_range","max_share":1.0}]"#,
        r#"[{"type":"out_of_range","tolerance":40}]"#,
        r#"[{"type":"out_of_range","sample_step":0}]"#,
        r#"[{"type":"out_of_range","chroma_tolerance":16}]"#,
        r#"[{"type":"out_of_range","chroma_max_share":-0.1}]"#,
        r#"[{"type":"letterbox","window":0}]"#,
        r#"[{"type":"letterbox","min_change":0.6}]"#,
    ] {
        let e = reg.build_json(bad).err().expect(bad);
        assert!(matches!(e, Error::Config { .. }), "{bad}: {e}");
    }
    let set = reg
        .build_json(
            r#"[{"type":"video_loss"},{"type":"format_change"},{"type":"out_of_range"},{"type":"letterbox","window":1.0}]"#,
        )
        .unwrap();
    assert_eq!(set.len(), 4);
    // Registered, with an entry in the defaults table; letterbox (a notice only) stays off.
    for ty in ["video_loss", "format_change", "out_of_range", "letterbox"] {
        assert!(reg.types().any(|n| n == ty), "{ty} not registered");
        assert!(reg.on_by_default(ty).is_some(), "{ty}");
    }
    assert_eq!(reg.on_by_default("letterbox"), Some(false));
    // The three signal checks raise nothing on the corpus's clean clips: on by default.
    for ty in ["video_loss", "format_change", "out_of_range"] {
        assert!(
            reg.on_by_default(ty) == Some(true),
            "{ty} not on by default"
        );
    }
}

#[cfg(feature = "ffmpeg")]
#[test]
fn ffmpeg_decoder_follows_a_mid_stream_resolution_change() {
    use avqc::{Decoder, DecoderOptions, FfmpegDecoder};
    let path = format!("{}/tests/data/format_change.ts", env!("CARGO_MANIFEST_DIR"));
    let opts = DecoderOptions {
        analysis_size: Some((64, 36)),
        ..Default::default()
    };
    let mut d = FfmpegDecoder::open(&path, &opts).unwrap();
    let mut dets = Registry::builtin()
        .build_names(&["format_change", "video_loss", "out_of_range", "letterbox"])
        .unwrap();
    let mut outs: Vec<avqc::Events> = dets
        .iter()
        .map(|d| avqc::Events::new("fc", d.name()))
        .collect();
    let mut events = Vec::new();
    let (mut sizes, mut end) = (Vec::<(usize, usize, usize, usize)>::new(), MediaTime::ZERO);
    while let Some(m) = d.next().unwrap() {
        end = end.max(m.time());
        if let Media::Video(f) = &m {
            let a = f.analysis();
            let s = (f.width(), f.height(), a.width(), a.height());
            if sizes.last() != Some(&s) {
                sizes.push(s);
            }
            // The analysis copy holds the picture (testsrc2 is not flat), at its new size.
            assert!(a.luma().rows().any(|r| r.iter().any(|&v| v > 40)));
        }
        for (det, out) in dets.iter_mut().zip(&mut outs) {
            if det.wants().accepts(&m) {
                det.process(&m, out);
                events.extend(out.drain());
            }
        }
    }
    for (det, out) in dets.iter_mut().zip(&mut outs) {
        det.finish(end, out);
        events.extend(out.drain());
    }
    assert_eq!(sizes, [(160, 90, 64, 36), (128, 72, 64, 36)]);
    assert!(defects(&events).is_empty(), "{events:?}");
    let n = notices(&events);
    assert_eq!(n.len(), 1, "{events:?}");
    assert_eq!(
        n[0].message,
        "160x90 yuv420p(tv) 25fps -> 128x72 yuv420p(tv) 25fps"
    );
    assert!((n[0].at.as_secs_f64() - 2.02).abs() < 0.03, "{:?}", n[0]);
}
