//! Decoded FFmpeg frames turned into avqc media: zero-copy pictures, planar f32 audio.

use super::*;

impl FfmpegDecoder {
    /// Turns a decoded frame into media and queues it.
    pub(super) fn emit(&mut self, l: usize, frame: Frame, extra: FrameFlags) {
        let media = match self.lanes[l].kind {
            MediaKind::Video => self.video(l, frame, extra).map(Media::Video),
            MediaKind::Audio => self.audio(l, frame).map(Media::Audio),
        };
        match media {
            Some(m) => {
                if m.time() > self.last_time {
                    self.last_time = m.time();
                }
                self.queue.push_back(m);
            }
            None => {
                let t = self.last_time;
                let index = self.lanes[l].index;
                self.notice(
                    t,
                    Some(index),
                    NoticeKind::DecodeError {
                        message: "decoded frame could not be used (unsupported or malformed)"
                            .into(),
                    },
                );
            }
        }
    }

    fn video(&mut self, l: usize, frame: Frame, extra: FrameFlags) -> Option<VideoFrame> {
        let lane = &mut self.lanes[l];
        let tb = lane.frame_clock.tb;
        let (w, h) = (frame.width(), frame.height());
        let mut flags = frame.flags() | extra;
        if lane.damaged.contains(&frame.tag()) {
            flags |= FrameFlags::DAMAGED_INPUT;
        }
        let dur_ticks = frame.duration().unwrap_or(lane.frame_clock.step).max(1);
        let (ticks, jump) = match frame.timestamp() {
            Some(raw) => {
                let m = lane
                    .frame_clock
                    .map(raw, &mut self.origin, &mut self.frame_joint);
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
        let frame = Arc::new(frame);
        let (format, planes, range) = match frame.direct_format() {
            Some((fmt, r)) => (fmt, Frame::shared_planes(&frame, fmt)?, r),
            None => (
                PixelFormat::Yuv420p,
                lane.converter.convert_yuv420p(&frame, w, h)?,
                None,
            ),
        };
        let mut out = VideoFrame::new(w, h, format, time, planes)
            .ok()?
            .with_range(range.unwrap_or(signalled))
            .with_duration(duration)
            .with_flags(flags)
            .with_picture_type(picture_type)
            .with_stream(lane.index);
        if let Some((aw, ah)) = self.analysis_size {
            let (aw, ah) = (aw as usize, ah as usize);
            if w > aw || h > ah {
                let scale = (aw as f64 / w as f64).min(ah as f64 / h as f64);
                let sw = ((w as f64 * scale).round() as usize).clamp(1, aw);
                let sh = ((h as f64 * scale).round() as usize).clamp(1, ah);
                if let Some(planes) = lane.analysis.convert_yuv420p(&frame, sw, sh) {
                    if let Ok(small) = VideoFrame::new(sw, sh, PixelFormat::Yuv420p, time, planes) {
                        out = out.with_analysis(small.with_range(range.unwrap_or(signalled)));
                    }
                }
            }
        }
        if let Some((jump_secs, restart)) = jump {
            // A restart moved every stream by one offset: no stream's own jump to compare.
            let stream = (!restart).then_some(out.stream());
            self.notice(time, stream, NoticeKind::Discontinuity { jump_secs });
        }
        Some(out)
    }

    fn audio(&mut self, l: usize, frame: Frame) -> Option<AudioFrame> {
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

        let lane = &mut self.lanes[l];
        let base = Rational::new(1, rate as i32);
        let mut jump = None;
        let stamped = frame.timestamp().map(|raw| {
            let m = lane
                .frame_clock
                .map(raw, &mut self.origin, &mut self.frame_joint);
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
            self.notice(time, stream, NoticeKind::Discontinuity { jump_secs });
        }
        AudioFrame::from_shared(rate, channels, time, buf)
            .ok()
            .map(|a| a.with_stream(index))
    }
}
