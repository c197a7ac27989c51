//! Arbitrary media for the detector targets: pictures of any size (1x1, odd, 0), stride and
//! content; sound of any rate and channel count within the default `Limits` (the pipeline
//! refuses more before a detector sees it), with NaN/inf samples; notices; timestamps that
//! go forward, stand still, jump back, jump far, or change time base.
#![allow(dead_code)]

use arbitrary::{Result, Unstructured};
use avqc::{
    AudioFrame, ColorRange, DecoderNotice, FrameFlags, Limits, Media, MediaTime, NoticeKind,
    PictureType, PixelFormat, Plane, Rational, VideoFrame,
};
use bytes::Bytes;

const FORMATS: [PixelFormat; 5] = [
    PixelFormat::Gray8,
    PixelFormat::Yuv420p,
    PixelFormat::Yuv422p,
    PixelFormat::Yuv444p,
    PixelFormat::Nv12,
];

const SPECIAL: [f32; 12] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    1e-40,
    -0.0,
    0.0,
    1.0,
    -1.0,
    2.0,
];

const RATES: [u32; 10] = [
    8_000, 16_000, 22_050, 44_100, 48_000, 96_000, 1, 2, 7, 384_000,
];

/// One stream's clock: mostly steady steps, sometimes misbehaving.
pub struct Clock {
    ticks: i64,
    base: Rational,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            ticks: 0,
            base: Rational::new(1, 90_000),
        }
    }

    /// The next time, `step` ticks on in the usual case.
    pub fn next(&mut self, u: &mut Unstructured, step: i64) -> Result<MediaTime> {
        match u.int_in_range(0..=31u8)? {
            0 => self.ticks = u.arbitrary()?,
            1 => self.ticks = self.ticks.wrapping_sub(u.int_in_range(1..=1_000_000)?),
            2 => self.base = Rational::new(u.arbitrary()?, u.arbitrary()?),
            3 => {}
            4 => {
                self.ticks = self
                    .ticks
                    .saturating_add(step.saturating_mul(u.arbitrary::<u8>()? as i64))
            }
            5 => self.ticks = self.ticks.wrapping_add(1 << 33),
            _ => self.ticks = self.ticks.saturating_add(step),
        }
        Ok(MediaTime::new(self.ticks, self.base))
    }

    /// Ticks of this clock in `secs` seconds (at least 1).
    pub fn ticks_in(&self, secs: f64) -> i64 {
        let per_tick = self.base.as_f64();
        if per_tick > 0.0 {
            ((secs / per_tick) as i64).max(1)
        } else {
            1
        }
    }
}

fn plane_bytes(u: &mut Unstructured, len: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; len];
    match u.int_in_range(0..=4u8)? {
        0 => v.fill(u.arbitrary()?),
        1 => {
            let want = u.int_in_range(1..=len.clamp(1, 4096))?.min(u.len());
            let src = u.bytes(want)?;
            if !src.is_empty() {
                for (d, s) in v.iter_mut().zip(src.iter().cycle()) {
                    *d = *s;
                }
            }
        }
        2 => {
            let mut s: u32 = u.arbitrary::<u32>()? | 1;
            for d in &mut v {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                *d = s as u8;
            }
        }
        3 => {
            let k: u8 = u.arbitrary()?;
            for (i, d) in v.iter_mut().enumerate() {
                *d = (i as u8).wrapping_mul(k);
            }
        }
        _ => {
            let (a, b): (u8, u8) = (u.arbitrary()?, u.arbitrary()?);
            for (i, d) in v.iter_mut().enumerate() {
                *d = if (i / 8) % 2 == 0 { a } else { b };
            }
        }
    }
    Ok(v)
}

fn picture(u: &mut Unstructured, time: MediaTime, max: usize) -> Result<Option<VideoFrame>> {
    let format = *u.choose(&FORMATS)?;
    let (w, h) = match u.int_in_range(0..=4u8)? {
        0 => (1, 1),
        1 => (u.int_in_range(0..=9)?, u.int_in_range(0..=9)?),
        2 => (u.int_in_range(1..=33)?, u.int_in_range(1..=33)?),
        _ => (u.int_in_range(1..=max)?, u.int_in_range(1..=max)?),
    };
    let mut planes = Vec::with_capacity(3);
    for i in 0..format.plane_count() {
        let (pw, ph) = format.plane_size(i, w, h);
        let pad = match u.int_in_range(0..=3u8)? {
            0 => u.int_in_range(1..=64)?,
            _ => 0,
        };
        let stride = pw + pad;
        let len = if ph == 0 { 0 } else { stride * (ph - 1) + pw };
        let data = plane_bytes(u, len)?;
        match Plane::new(Bytes::from(data), stride, pw, ph) {
            Ok(p) => planes.push(p),
            Err(_) => return Ok(None),
        }
    }
    let Ok(mut f) = VideoFrame::new(w, h, format, time, planes) else {
        return Ok(None);
    };
    f = f.with_duration(match u.int_in_range(0..=5u8)? {
        0 => None,
        1 => Some(f64::NAN),
        2 => Some(u.arbitrary()?),
        3 => Some(-0.04),
        _ => Some(0.04),
    });
    let mut flags = FrameFlags::NONE;
    let bits: u8 = u.arbitrary()?;
    for (i, fl) in [
        FrameFlags::KEY,
        FrameFlags::CORRUPT,
        FrameFlags::CONCEALED,
        FrameFlags::DECODE_ERROR,
        FrameFlags::DAMAGED_INPUT,
    ]
    .into_iter()
    .enumerate()
    {
        if bits & (1 << i) != 0 && (bits & 0xE0 == 0 || i == 0) {
            flags |= fl;
        }
    }
    f = f
        .with_flags(flags)
        .with_range(*u.choose(&[ColorRange::Unknown, ColorRange::Limited, ColorRange::Full])?)
        .with_picture_type(*u.choose(&[
            PictureType::Unknown,
            PictureType::I,
            PictureType::P,
            PictureType::B,
        ])?)
        .with_stream(u.int_in_range(0..=2)?);
    // One level only: an exhausted input makes every `ratio` true, which must not recurse.
    if max > 24 && u.ratio(1, 8)? {
        if let Some(small) = picture(u, time, 24)? {
            f = f.with_analysis(small);
        }
    }
    Ok(Some(f))
}

fn sound(u: &mut Unstructured, time: MediaTime) -> Result<Option<AudioFrame>> {
    let limits = Limits::default();
    let rate = match u.int_in_range(0..=3u8)? {
        0 => u.int_in_range(1..=limits.max_sample_rate)?,
        _ => *u.choose(&RATES)?,
    };
    let channels = match u.int_in_range(0..=7u8)? {
        0 => u.int_in_range(1..=limits.max_channels as usize)?,
        1..=3 => 1,
        _ => 2,
    };
    let n = match u.int_in_range(0..=3u8)? {
        0 => u.int_in_range(0..=4096)?,
        _ => 1024,
    };
    let mut s = vec![0f32; n * channels];
    match u.int_in_range(0..=5u8)? {
        0 => {}
        1 => s.fill(*u.choose(&SPECIAL)?),
        2 => {
            let freq: f32 = u.int_in_range(1..=20_000)? as f32;
            let amp: f32 = u.int_in_range(0..=200)? as f32 / 100.0;
            for (i, x) in s.iter_mut().enumerate() {
                *x = amp * (i as f32 * freq * std::f32::consts::TAU / rate as f32).sin();
            }
        }
        3 => {
            for x in s.iter_mut() {
                *x = if u.ratio(1, 64)? {
                    *u.choose(&SPECIAL)?
                } else {
                    u.int_in_range(-100..=100)? as f32 / 100.0
                };
            }
        }
        4 => {
            for x in s.iter_mut() {
                *x = f32::from_bits(u.arbitrary()?);
            }
        }
        _ => {
            let mut r: u32 = u.arbitrary::<u32>()? | 1;
            for x in s.iter_mut() {
                r ^= r << 13;
                r ^= r >> 17;
                r ^= r << 5;
                *x = (r as f32 / u32::MAX as f32) * 2.0 - 1.0;
            }
        }
    }
    Ok(AudioFrame::new(rate, channels, time, s)
        .ok()
        .map(|f| f.with_stream(1)))
}

fn notice(u: &mut Unstructured, time: MediaTime) -> Result<DecoderNotice> {
    let kind = match u.int_in_range(0..=3u8)? {
        0 => NoticeKind::DecodeError {
            message: "fuzz".into(),
        },
        1 => NoticeKind::CorruptPacket,
        2 => NoticeKind::Discontinuity {
            jump_secs: u.arbitrary()?,
        },
        _ => NoticeKind::EndOfStream,
    };
    let stream = match u.int_in_range(0..=3u8)? {
        0 => None,
        s => Some(s as usize - 1),
    };
    Ok(DecoderNotice::new(time, stream, kind))
}

/// One step of a stream given to detectors.
#[allow(clippy::large_enum_variant)] // a test generator: one per item, not kept
pub enum Step {
    Media(Media),
    Discontinuity(MediaTime),
}

/// Video and audio clocks of one generated stream.
pub struct Streams {
    video: Clock,
    audio: Clock,
}

impl Streams {
    pub fn new() -> Self {
        Streams {
            video: Clock::new(),
            audio: Clock::new(),
        }
    }

    /// The next step; `None` when the generated item was invalid (and rejected by its
    /// constructor, which is fine). `max` bounds the picture size.
    pub fn step(&mut self, u: &mut Unstructured, max: usize) -> Result<Option<Step>> {
        Ok(match u.int_in_range(0..=15u8)? {
            0..=6 => {
                let step = self.video.ticks_in(0.04);
                let t = self.video.next(u, step)?;
                picture(u, t, max)?.map(|f| Step::Media(Media::Video(f)))
            }
            7..=12 => {
                let step = self.audio.ticks_in(1024.0 / 48_000.0);
                let t = self.audio.next(u, step)?;
                sound(u, t)?.map(|f| Step::Media(Media::Audio(f)))
            }
            13 | 14 => {
                let t = self.video.next(u, 0)?;
                Some(Step::Media(Media::Notice(notice(u, t)?)))
            }
            _ => Some(Step::Discontinuity(self.audio.next(u, 0)?)),
        })
    }

    /// A time for `finish`: usually the latest, sometimes anything.
    pub fn end(&mut self, u: &mut Unstructured) -> Result<MediaTime> {
        self.video.next(u, 1)
    }
}

/// Checks raw plane and frame construction with arbitrary numbers: an error, never a panic.
pub fn raw_plane(u: &mut Unstructured) -> Result<()> {
    let len = u.int_in_range(0..=64)?;
    let data = Bytes::from(vec![7u8; len]);
    let (stride, width, height): (usize, usize, usize) =
        (u.arbitrary()?, u.arbitrary()?, u.arbitrary()?);
    if let Ok(p) = Plane::new(data, stride, width, height) {
        for row in p.rows().take(100) {
            assert_eq!(row.len(), width);
        }
        let _ = VideoFrame::new(
            u.arbitrary()?,
            u.arbitrary()?,
            *u.choose(&FORMATS)?,
            MediaTime::ZERO,
            vec![p.clone(), p.clone(), p],
        );
    }
    Ok(())
}
