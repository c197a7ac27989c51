//! The properties the fuzz targets check, one function per target. Shared with the main
//! crate's `tests/fuzz_regressions.rs`, which replays every kept crash input through them
//! (both include this file and `media_gen.rs` as modules of the crate root).
#![allow(dead_code)]

use std::sync::OnceLock;

use arbitrary::{Result as ArbResult, Unstructured};
use avqc::{
    AudioFrame, DecoderNotice, Detector, Event, Events, Media, MediaTime, NoticeKind, Phase,
    PixelFormat, Registry, VideoFrame,
};

use crate::media_gen::{Step, Streams};

/// Starts minus ends of the defect events in `out` (drained).
fn count_open(out: &mut Events, open: &mut i64) {
    for e in out.drain() {
        if let Event::Defect(d) = &e {
            match d.phase {
                Phase::Start => *open += 1,
                Phase::End => *open -= 1,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// detector_config

/// Four seconds of ordinary media: still, then black, then changing pictures; a tone with a
/// silent stretch; a corrupt packet. Made once.
fn config_stream() -> &'static [Vec<Media>] {
    static STREAM: OnceLock<Vec<Vec<Media>>> = OnceLock::new();
    STREAM.get_or_init(|| (0..100).map(config_media).collect())
}

fn config_media(i: usize) -> Vec<Media> {
    let t = MediaTime::from_secs_f64(i as f64 * 0.04);
    let luma = match i {
        0..=24 => 120,
        25..=49 => 16,
        _ => (i * 37 % 200) as u8 + 20,
    };
    let v = VideoFrame::from_fn(64, 36, PixelFormat::Yuv420p, t, |p, x, y| {
        if p == 0 {
            luma.wrapping_add(((x ^ y) & 3) as u8 * (i > 50) as u8)
        } else {
            128
        }
    })
    .with_duration(Some(0.04));
    let amp = if (60..80).contains(&i) { 0.0 } else { 0.5 };
    let samples: Vec<f32> = (0..1920 * 2)
        .map(|k| amp * ((i * 1920 + k % 1920) as f32 * 0.0575).sin())
        .collect();
    let a = AudioFrame::new(48_000, 2, t, samples)
        .expect("valid audio")
        .with_stream(1);
    let mut out = vec![Media::Video(v), Media::Audio(a)];
    if i == 70 {
        out.push(Media::Notice(DecoderNotice::new(
            t,
            Some(0),
            NoticeKind::CorruptPacket,
        )));
    }
    out
}

/// Bytes as a detector-set JSON: a built set or an `Error::Config`, never a panic; a set that
/// builds then sees four seconds of ordinary media (so a config that passed validation cannot
/// make a detector panic or allocate without bound) and ends every defect it started.
pub fn detector_config(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut set) = Registry::builtin().build_json(s) else {
        return;
    };
    for d in set.iter_mut() {
        let mut out = Events::new("fuzz", d.name());
        let mut open = 0i64;
        for (i, items) in config_stream().iter().enumerate() {
            for m in items {
                if d.wants().accepts(m) {
                    d.process(m, &mut out);
                }
            }
            if i == 90 {
                d.discontinuity(MediaTime::from_secs_f64(3.6), &mut out);
            }
            count_open(&mut out, &mut open);
        }
        d.finish(MediaTime::from_secs_f64(4.0), &mut out);
        count_open(&mut out, &mut open);
        assert_eq!(open, 0, "{} left defects open after finish", d.name());
    }
}

// ---------------------------------------------------------------------------------------------
// frames

/// Arbitrary pictures, sound, notices and discontinuities into every registered detector:
/// never a panic, and after `finish` every defect a detector started has ended.
pub fn frames(data: &[u8]) {
    let _ = frames_run(&mut Unstructured::new(data));
}

fn frames_run(u: &mut Unstructured) -> ArbResult<()> {
    crate::media_gen::raw_plane(u)?;
    let registry = Registry::builtin();
    let types: Vec<&str> = registry.types().collect();
    let mut detectors: Vec<(Box<dyn Detector>, Events, i64)> = registry
        .build_names(&types)
        .expect("every built-in detector builds with its defaults")
        .into_iter()
        .map(|d| {
            let out = Events::new("fuzz", d.name());
            (d, out, 0)
        })
        .collect();
    let mut streams = Streams::new();
    let limits = avqc::Limits::default();
    let steps = u.int_in_range(1..=300)?;
    for _ in 0..steps {
        if u.is_empty() {
            break;
        }
        let Some(step) = streams.step(u, 200)? else {
            continue;
        };
        // What a pipeline hands its detectors passed the limits (times, sizes, channels).
        let within = match &step {
            Step::Media(Media::Video(v)) => limits.check_video("fuzz", v).is_ok(),
            Step::Media(Media::Audio(a)) => limits.check_audio_frame("fuzz", a).is_ok(),
            Step::Media(Media::Notice(n)) => limits.check_time("fuzz", n.time).is_ok(),
            Step::Discontinuity(at) => limits.check_time("fuzz", *at).is_ok(),
        };
        if !within {
            continue;
        }
        for (d, out, open) in detectors.iter_mut() {
            match &step {
                Step::Media(m) if d.wants().accepts(m) => d.process(m, out),
                Step::Media(_) => {}
                Step::Discontinuity(at) => d.discontinuity(*at, out),
            }
            count_open(out, open);
        }
    }
    let end = streams.end(u).unwrap_or(MediaTime::ZERO);
    for (d, out, open) in detectors.iter_mut() {
        d.finish(end, out);
        count_open(out, open);
        assert_eq!(
            *open,
            0,
            "{} left {open} defects open after finish",
            d.name()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// pushed_bytes (feature `ffmpeg`)

#[cfg(feature = "ffmpeg")]
#[allow(unused_imports)] // each target includes this file and uses one check
pub use pushed::pushed_bytes;

#[cfg(feature = "ffmpeg")]
mod pushed {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use avqc::sink::FnSink;
    use avqc::{
        Decoder, DecoderOptions, Event, FfmpegDecoder, Limits, Media, Phase, Pipeline, PushInput,
        Registry, Result, StopSignal, StreamInfo,
    };

    /// Items decoded per input at most, so valid media does not time the fuzzer out.
    const MAX_ITEMS: usize = 600;

    /// Container formats the mode byte can force (`None`: probe).
    const FORMATS: [Option<&str>; 8] = [
        None,
        None,
        Some("mpegts"),
        Some("mov"),
        Some("matroska"),
        Some("aac"),
        Some("wav"),
        Some("h264"),
    ];

    /// Ends a decoder after `MAX_ITEMS` items.
    struct Bounded(FfmpegDecoder, usize);

    impl Decoder for Bounded {
        fn name(&self) -> &str {
            self.0.name()
        }
        fn streams(&self) -> &[StreamInfo] {
            self.0.streams()
        }
        fn next(&mut self) -> Result<Option<Media>> {
            if self.1 >= MAX_ITEMS {
                return Ok(None);
            }
            self.1 += 1;
            self.0.next()
        }
        fn set_stop_signal(&mut self, stop: StopSignal) {
            self.0.set_stop_signal(stop)
        }
    }

    /// Bytes through the pushed-bytes FFmpeg path (`FfmpegDecoder::from_reader`, or
    /// `from_channel` fed by a `PushInput`), decoded to the end (bounded), optionally through
    /// a whole `Pipeline` with the default detectors: never a panic, a hang or a leak; every
    /// defect started is ended.
    ///
    /// The first byte chooses the path: bit 0 reader/channel, bit 1 pipeline, bits 2-4 a
    /// forced container format (or probing), bit 5 an analysis copy.
    pub fn pushed_bytes(data: &[u8]) {
        let Some((&mode, bytes)) = data.split_first() else {
            return;
        };
        let opts = DecoderOptions {
            threads: 1,
            format: FORMATS[(mode as usize >> 2) & 7].map(str::to_string),
            analysis_size: (mode & 0x20 != 0).then_some((64, 36)),
            // Pictures bounded well below the defaults keep each input fast and small.
            limits: Limits {
                max_width: 2048,
                max_height: 2048,
                ..Limits::default()
            },
            ..Default::default()
        };
        let opened = if mode & 1 == 0 {
            FfmpegDecoder::from_reader("fuzz", std::io::Cursor::new(bytes.to_vec()), &opts)
        } else {
            // Every chunk queued before opening: no feeder thread needed.
            let chunks: Vec<&[u8]> = bytes.chunks(4096).collect();
            let (input, rx) = PushInput::new(chunks.len() + 1);
            for c in chunks {
                input
                    .push(bytes::Bytes::copy_from_slice(c))
                    .expect("room for every chunk");
            }
            input.finish();
            FfmpegDecoder::from_channel("fuzz", rx, &opts)
        };
        let Ok(decoder) = opened else {
            return;
        };
        let mut decoder = Bounded(decoder, 0);
        if mode & 2 == 0 {
            while let Ok(Some(_)) = decoder.next() {}
            return;
        }
        let open = Arc::new(AtomicI64::new(0));
        let sink = {
            let open = Arc::clone(&open);
            FnSink::new(move |e: &Event| {
                if let Event::Defect(d) = e {
                    let delta = if d.phase == Phase::Start { 1 } else { -1 };
                    open.fetch_add(delta, Ordering::Relaxed);
                }
                Ok(())
            })
        };
        let pipeline = Pipeline::builder()
            .decoder(decoder)
            .detectors(
                Registry::builtin()
                    .build_defaults()
                    .expect("defaults build"),
            )
            .sink(sink)
            .build()
            .expect("pipeline builds");
        let _ = pipeline.run_with_report();
        let open = open.load(Ordering::Relaxed);
        assert_eq!(open, 0, "{open} defects started and never ended");
    }
}
