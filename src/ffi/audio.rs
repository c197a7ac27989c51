//! Audio samples of a decoded frame, converted to planar f32.

use std::ffi::c_int;

use ffmpeg_sys_next as sys;

use super::codec::Frame;

#[derive(Clone, Copy)]
enum Sample {
    U8,
    S16,
    S32,
    S64,
    F32,
    F64,
}

impl Sample {
    fn size(self) -> usize {
        match self {
            Sample::U8 => 1,
            Sample::S16 => 2,
            Sample::S32 | Sample::F32 => 4,
            Sample::S64 | Sample::F64 => 8,
        }
    }

    /// Reads sample `i` of `bytes` (native endian) as f32 full scale ±1.
    #[inline]
    fn read(self, bytes: &[u8], i: usize) -> f32 {
        let s = self.size();
        let b = &bytes[i * s..(i + 1) * s];
        match self {
            Sample::U8 => (b[0] as f32 - 128.0) / 128.0,
            Sample::S16 => i16::from_ne_bytes([b[0], b[1]]) as f32 / 32768.0,
            Sample::S32 => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
            Sample::S64 => {
                let v = i64::from_ne_bytes(b.try_into().unwrap_or([0; 8]));
                (v as f64 / 9_223_372_036_854_775_808.0) as f32
            }
            Sample::F32 => f32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            Sample::F64 => f64::from_ne_bytes(b.try_into().unwrap_or([0; 8])) as f32,
        }
    }
}

/// (sample type, planar) of an `AVSampleFormat` number.
fn layout(format: c_int) -> Option<(Sample, bool)> {
    use sys::AVSampleFormat::*;
    let table = [
        (AV_SAMPLE_FMT_U8, Sample::U8, false),
        (AV_SAMPLE_FMT_S16, Sample::S16, false),
        (AV_SAMPLE_FMT_S32, Sample::S32, false),
        (AV_SAMPLE_FMT_S64, Sample::S64, false),
        (AV_SAMPLE_FMT_FLT, Sample::F32, false),
        (AV_SAMPLE_FMT_DBL, Sample::F64, false),
        (AV_SAMPLE_FMT_U8P, Sample::U8, true),
        (AV_SAMPLE_FMT_S16P, Sample::S16, true),
        (AV_SAMPLE_FMT_S32P, Sample::S32, true),
        (AV_SAMPLE_FMT_S64P, Sample::S64, true),
        (AV_SAMPLE_FMT_FLTP, Sample::F32, true),
        (AV_SAMPLE_FMT_DBLP, Sample::F64, true),
    ];
    table
        .iter()
        .find(|(f, _, _)| *f as c_int == format)
        .map(|&(_, s, p)| (s, p))
}

impl Frame {
    /// Writes the frame's samples, planar f32 (channel after channel), into `out` (cleared
    /// first; its capacity is reused). `None` for an unsupported sample format or a malformed
    /// frame.
    pub(crate) fn audio_to_planar_f32(&self, out: &mut Vec<f32>) -> Option<()> {
        let f = self.raw();
        let (kind, planar) = layout(f.format)?;
        let n = self.samples();
        let ch = self.channels();
        out.clear();
        if ch == 0 || f.extended_data.is_null() {
            return None;
        }
        out.resize(n * ch, 0.0);
        let size = kind.size();
        if planar {
            for c in 0..ch {
                // SAFETY: a planar audio frame has `channels` plane pointers in extended_data,
                // each with `nb_samples` samples of the format's size.
                let bytes = unsafe {
                    let p = *f.extended_data.add(c);
                    if p.is_null() {
                        return None;
                    }
                    std::slice::from_raw_parts(p, n * size)
                };
                for (i, o) in out[c * n..(c + 1) * n].iter_mut().enumerate() {
                    *o = kind.read(bytes, i);
                }
            }
        } else {
            // SAFETY: a packed audio frame has one buffer of nb_samples × channels samples.
            let bytes = unsafe {
                let p = *f.extended_data;
                if p.is_null() {
                    return None;
                }
                std::slice::from_raw_parts(p, n * ch * size)
            };
            for i in 0..n {
                for c in 0..ch {
                    out[c * n + i] = kind.read(bytes, i * ch + c);
                }
            }
        }
        Some(())
    }
}
