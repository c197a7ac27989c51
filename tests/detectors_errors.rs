//! Unit tests of the built-in detectors on synthetic media (pure Rust, no FFmpeg): damage
//! reported by the decoder (`decode_errors`), and the config checks of every built-in.

mod common;

use avqc::detect::audio::{ClippingConfig, SilenceConfig};
use avqc::detect::video::{DecodeErrorsConfig, FreezeConfig};
use avqc::{
    DecoderNotice, Detector, DetectorConfig, Error, FrameFlags, Media, NoticeKind, PictureType,
    PixelFormat, Registry, VideoFrame,
};
use common::defects::{ends, near, run, starts, t};

const FPS: f64 = 25.0;

fn decode_errors() -> Box<dyn Detector> {
    DecodeErrorsConfig::default()
        .build("decode_errors")
        .unwrap()
}

/// 25 fps frames with a key frame every `gop` frames; `flags(i)` adds damage flags.
fn gop_frames(n: usize, gop: usize, flags: impl Fn(usize) -> FrameFlags) -> Vec<Media> {
    (0..n)
        .map(|i| {
            let key = i % gop == 0;
            let f = VideoFrame::filled(
                32,
                32,
                PixelFormat::Yuv420p,
                t(i as f64 / FPS),
                [80, 128, 128],
            )
            .with_duration(Some(1.0 / FPS))
            .with_flags(
                if key {
                    FrameFlags::KEY
                } else {
                    FrameFlags::NONE
                } | flags(i),
            )
            .with_picture_type(if key { PictureType::I } else { PictureType::P });
            Media::Video(f)
        })
        .collect()
}

#[test]
fn decode_errors_run_to_the_next_clean_key_frame() {
    // Damage flagged on frames 30 and 31; key frames every 25 frames: recovery at frame 50.
    let media = gop_frames(125, 25, |i| {
        if i == 30 || i == 31 {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        }
    });
    let ev = run(decode_errors(), media);
    let e = ends(&ev, "video_corruption");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(
        near(e[0].start, 1.2, 0.001) && near(e[0].end.unwrap(), 2.0, 0.001),
        "{:?}",
        e[0]
    );
    assert_eq!(e[0].details["damaged_frames"], 2);
    let s = starts(&ev, "video_corruption");
    assert!(near(s[0].emitted_at, 1.2, 0.001));
}

#[test]
fn damaged_key_frame_does_not_end_corruption() {
    // The key frame at 50 is concealed itself; recovery at 75.
    let media = gop_frames(125, 25, |i| {
        if i == 30 {
            FrameFlags::DAMAGED_INPUT
        } else if i == 50 {
            FrameFlags::CONCEALED
        } else {
            FrameFlags::NONE
        }
    });
    let ev = run(decode_errors(), media);
    let e = ends(&ev, "video_corruption");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.2, 0.001) && near(e[0].end.unwrap(), 3.0, 0.001));
}

#[test]
fn key_frame_marked_only_by_the_demuxer_ends_corruption() {
    // A continuity error reported on the key frame's packet (the loss was before it): the key
    // frame decodes clean and ends the damage.
    let media = gop_frames(125, 25, |i| {
        if i == 30 || i == 50 {
            FrameFlags::DAMAGED_INPUT
        } else {
            FrameFlags::NONE
        }
    });
    let ev = run(decode_errors(), media);
    let e = ends(&ev, "video_corruption");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.2, 0.001) && near(e[0].end.unwrap(), 2.0, 0.001));
}

#[test]
fn decoder_notices_open_corruption_and_max_recovery_closes_it() {
    // No key frame after the first; a notice at 1.1 s; max_recovery 2 s.
    let mut media = gop_frames(150, 1000, |_| FrameFlags::NONE);
    media.insert(
        28,
        Media::Notice(DecoderNotice::new(
            t(1.1),
            Some(0),
            NoticeKind::DecodeError {
                message: "error while decoding MB".into(),
            },
        )),
    );
    // A corrupt packet on another (audio) stream is not video damage.
    media.insert(
        60,
        Media::Notice(DecoderNotice::new(
            t(2.4),
            Some(1),
            NoticeKind::CorruptPacket,
        )),
    );
    let cfg = DecodeErrorsConfig {
        max_recovery: 2.0,
        ..Default::default()
    };
    let ev = run(cfg.build("d").unwrap(), media);
    let e = ends(&ev, "video_corruption");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 1.1, 0.001), "{:?}", e[0]);
    assert!(near(e[0].end.unwrap(), 3.12, 0.041), "{:?}", e[0]);
    assert_eq!(e[0].details["notices"], 1);
}

#[test]
fn close_damage_episodes_merge() {
    // Damage at 10 (recovers at 25) and at 30 (recovers at 50): one interval 0.4..2.0.
    let media = gop_frames(125, 25, |i| {
        if i == 10 || i == 30 {
            FrameFlags::CORRUPT
        } else {
            FrameFlags::NONE
        }
    });
    let ev = run(decode_errors(), media);
    let e = ends(&ev, "video_corruption");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert!(near(e[0].start, 0.4, 0.001) && near(e[0].end.unwrap(), 2.0, 0.001));
}

#[test]
fn bad_config_values_are_rejected() {
    let reg = Registry::builtin();
    for (json, field) in [
        (r#"[{"type":"freeze","min_duration":-1}]"#, "min_duration"),
        (r#"[{"type":"freeze","block_size":0}]"#, "block_size"),
        (r#"[{"type":"black","min_share":0}]"#, "min_share"),
        (r#"[{"type":"silence","threshold_db":6}]"#, "threshold_db"),
        (r#"[{"type":"silence","window":0.5}]"#, "window"),
        (r#"[{"type":"clipping","min_run":0}]"#, "min_run"),
        (r#"[{"type":"clipping","level":-1}]"#, "level"),
        (
            r#"[{"type":"decode_errors","max_recovery":0}]"#,
            "max_recovery",
        ),
    ] {
        match reg.build_json(json) {
            Err(Error::Config { what, message }) => {
                let ty = json.split('"').nth(3).unwrap();
                assert!(what.contains(ty), "{what}");
                assert!(message.contains(field), "{message}");
            }
            Err(e) => panic!("{json}: wrong error {e}"),
            Ok(_) => panic!("{json}: accepted"),
        }
    }
    // Unknown fields and wrong types are errors too; defaults build.
    assert!(reg
        .build_json(r#"[{"type":"black","treshold":3}]"#)
        .is_err());
    assert!(reg
        .build_json(r#"[{"type":"silence","min_duration":"long"}]"#)
        .is_err());
    let mut on: Vec<&str> = reg.defaults().collect();
    let mut built: Vec<String> = reg
        .build_defaults()
        .unwrap()
        .iter()
        .map(|d| d.name().to_string())
        .collect();
    on.sort_unstable();
    built.sort_unstable();
    assert_eq!(built, on, "defaults build exactly the types marked on");
}

#[test]
fn configs_round_trip_with_documented_defaults() {
    let c = FreezeConfig::default();
    let back: FreezeConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    let s: SilenceConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(s, SilenceConfig::default());
    let k: ClippingConfig = serde_json::from_str(r#"{"level":0.99}"#).unwrap();
    assert_eq!(k.level, 0.99);
    assert_eq!(k.min_run, ClippingConfig::default().min_run);
}
