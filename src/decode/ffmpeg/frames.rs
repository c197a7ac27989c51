//! Decoded FFmpeg frames turned into avqc media: zero-copy pictures, planar f32 audio.

use std::sync::Arc;

use super::clock::Timeline;
use super::lane::Lane;
use super::output::Output;
use crate::ffi::Frame;
use crate::media::{
    AudioFrame, FrameFlags, Media, MediaKind, MediaTime, NoticeKind, PixelFormat, Rational,
    VideoFrame,
};

/// Audio buffers kept for reuse.
const AUDIO_POOL: usize = 64;

/// What turning frames into media keeps from one frame to the next: the size pictures are
/// also scaled to for analysis, and the pool of audio buffers.
pub(super) struct MediaMaker {
    analysis_size: Option<(u32, u32)>,
    audio_pool: Vec<Arc<Vec<f32>>>,
}

impl MediaMaker {
    /// Pictures larger than `analysis_size` (when given) also carry a copy scaled to fit it.
    pub(super) fn new(analysis_size: Option<(u32, u32)>) -> Self {
        MediaMaker {
            analysis_size,
            audio_pool: Vec::new(),
        }
    }

    /// Turns a frame `lane` decoded into media and queues it on `out`.
    pub(super) fn emit(
        &mut self,
        lane: &mut Lane,
        frame: Frame,
        extra: FrameFlags,
        timeline: &mut Timeline,
        out: &mut Output,
    ) {
        let media = match lane.kind {
            MediaKind::Video => self
                .video(lane, frame, extra, timeline, out)
                .map(Media::Video),
            MediaKind::Audio => self.audio(lane, frame, timeline, out).map(Media::Audio),
        };
        match media {
            Some(m) => out.media(m),
            None => {
                let t = out.last_time();
                out.notice(
                    t,
                    Some(lane.index),
                    NoticeKind::DecodeError {
                        message: "decoded frame could not be used (unsupported or malformed)"
                            .into(),
                    },
                );
            }
        }
    }

    fn video(
        &self,
        lane: &mut Lane,
        frame: Frame,
        extra: FrameFlags,
        timeline: &mut Timeline,
        out: &mut Output,
    ) -> Option<VideoFrame> {
        let tb = lane.frame_clock.tb;
        let (w, h) = (frame.width(), frame.height());
        let mut flags = frame.flags() | extra;
        if lane.is_damaged(frame.tag()) {
            flags |= FrameFlags::DAMAGED_INPUT;
        }
        if lane.never_ref(frame.tag()) {
            flags |= FrameFlags::NON_REFERENCE;
        }
        let dur_ticks = frame.duration().unwrap_or(lane.frame_clock.step).max(1);
        let (ticks, jump) = match frame.timestamp() {
            Some(raw) => {
                let m = timeline.map_frame(&mut lane.frame_clock, raw);
                (m.ticks, m.jump.map(|j| (j, m.restart)))
            }
            None => (lane.last_video.map_or(0, |(t, d)| t + d), None),
        };
        lane.last_video = Some((ticks, dur_ticks));
        let time = MediaTime::new(ticks, tb);
        let duration = frame
            .duration()
            .map(|d| d as f64 * tb.as_f64())
            .or(lane.frame_secs);
        let picture_type = frame.picture_type();
        let signalled = frame.color_range();
        let captions = frame.a53_captions();
        let frame = Arc::new(frame);
        let (format, planes, range) = match frame.direct_format() {
            Some((fmt, r)) => (fmt, Frame::shared_planes(&frame, fmt)?, r),
            None => (
                PixelFormat::Yuv420p,
                lane.converter.convert_yuv420p(&frame, w, h)?,
                None,
            ),
        };
        let mut picture = VideoFrame::new(w, h, format, time, planes)
            .ok()?
            .with_range(range.unwrap_or(signalled))
            .with_duration(duration)
            .with_flags(flags)
            .with_picture_type(picture_type)
            .with_b_pictures_referenced(lane.b_refs)
            .with_stream(lane.index);
        if let Some(cc) = captions {
            picture = picture.with_a53_captions(cc);
        }
        if let Some((aw, ah)) = self.analysis_size {
            let (aw, ah) = (aw as usize, ah as usize);
            if w > aw || h > ah {
                let scale = (aw as f64 / w as f64).min(ah as f64 / h as f64);
                let sw = ((w as f64 * scale).round() as usize).clamp(1, aw);
                let sh = ((h as f64 * scale).round() as usize).clamp(1, ah);
                if let Some(planes) = lane.analysis.convert_yuv420p(&frame, sw, sh) {
                    if let Ok(small) = VideoFrame::new(sw, sh, PixelFormat::Yuv420p, time, planes) {
                        picture =
                            picture.with_analysis(small.with_range(range.unwrap_or(signalled)));
                    }
                }
            }
        }
        if let Some((jump_secs, restart)) = jump {
            // A restart moved every stream by one offset: no stream's own jump to compare.
            let stream = (!restart).then_some(picture.stream());
            out.notice(time, stream, NoticeKind::Discontinuity { jump_secs });
        }
        Some(picture)
    }

    fn audio(
        &mut self,
        lane: &mut Lane,
        frame: Frame,
        timeline: &mut Timeline,
        out: &mut Output,
    ) -> Option<AudioFrame> {
        let n = frame.samples();
        let channels = frame.channels();
        let rate = frame.sample_rate();
        if n == 0 || channels == 0 || rate == 0 {
            return None;
        }
        // A pooled buffer nobody else holds any more, a new pooled one, or (pool full) a
        // one-off.
        let slot = match self
            .audio_pool
            .iter_mut()
            .position(|b| Arc::get_mut(b).is_some())
        {
            Some(i) => Some(i),
            None if self.audio_pool.len() < AUDIO_POOL => {
                self.audio_pool
                    .push(Arc::new(Vec::with_capacity(n * channels)));
                Some(self.audio_pool.len() - 1)
            }
            None => None,
        };
        let buf = match slot {
            Some(i) => {
                frame.audio_to_planar_f32(Arc::get_mut(&mut self.audio_pool[i])?)?;
                Arc::clone(&self.audio_pool[i])
            }
            None => {
                let mut v = Vec::with_capacity(n * channels);
                frame.audio_to_planar_f32(&mut v)?;
                Arc::new(v)
            }
        };

        let base = Rational::new(1, rate as i32);
        let mut jump = None;
        let stamped = frame.timestamp().map(|raw| {
            let m = timeline.map_frame(&mut lane.frame_clock, raw);
            jump = m.jump.map(|j| (j, m.restart));
            MediaTime::new(m.ticks, lane.frame_clock.tb)
                .rescale(base)
                .ticks()
        });
        let tolerance = (rate / 200).max(1) as i64;
        let start = match (lane.next_sample, stamped) {
            (Some((r, next)), Some(t)) if r == rate && (t - next).abs() <= tolerance => next,
            (Some((r, next)), None) if r == rate => next,
            (_, Some(t)) => t,
            (_, None) => 0,
        };
        lane.next_sample = Some((rate, start + n as i64));
        let time = MediaTime::new(start, base);
        let index = lane.index;
        if let Some((jump_secs, restart)) = jump {
            let stream = (!restart).then_some(index);
            out.notice(time, stream, NoticeKind::Discontinuity { jump_secs });
        }
        AudioFrame::from_shared(rate, channels, time, buf)
            .ok()
            .map(|a| a.with_stream(index))
    }
}
