//! Timeline checks: start gap, discontinuities that move one timeline only, audio clock drift.

use serde_json::json;

use crate::detect::{Events, SpanChange};

use crate::event::DefectKind;

use crate::media::{AudioFrame, MediaTime};

use super::{Alarm, AvSync};

/// A drift step larger than this between two audio frames is a gap, not drift (seconds).
const MAX_DRIFT_STEP: f64 = 0.010;

impl AvSync {
    pub(super) fn check_start(&mut self, out: &mut Events) {
        if self.start_checked || !self.cfg.timestamps {
            return;
        }
        let (Some(a), Some(v)) = (self.first_audio, self.first_video) else {
            return;
        };
        self.start_checked = true;
        let gap = a.secs_since(v);
        if gap.abs() > self.cfg.max_start_gap + 1e-9 {
            let (start, end) = (a.min(v), a.max(v));
            let ms = gap * 1000.0;
            let mut d = Alarm::details("timestamps", ms, None);
            d.insert("check".into(), json!("start"));
            out.span(
                &DefectKind::AV_SYNC,
                SpanChange::Started { start },
                end,
                d.clone(),
            );
            out.span(
                &DefectKind::AV_SYNC,
                SpanChange::Ended { start, end },
                end,
                d,
            );
        }
    }

    /// The timestamp offset now: discontinuities plus drift, ms.
    pub(super) fn ts_offset(&self) -> f64 {
        self.disc_offset + self.drift * 1000.0
    }

    pub(super) fn ts_update(&mut self, at: MediaTime, out: &mut Events) {
        if !self.cfg.timestamps {
            return;
        }
        let off = self.ts_offset();
        let bad = self.beyond(off);
        self.ts_alarm
            .observe(bad, at, at, (off, None), "timestamps", out);
    }

    pub(super) fn pair_jumps(&mut self, now: MediaTime, out: &mut Events) {
        // A jump of one stream is paired with the other's within 2 s; alone after that, it
        // moved one timeline only.
        let (a, v) = (self.jump_audio, self.jump_video);
        let delta = match (a, v) {
            (Some((_, ja)), Some((_, jv))) => Some(ja - jv),
            (Some((t, ja)), None)
                if now.secs_since(t) > 2.0 && self.video_stream.stream().is_some() =>
            {
                Some(ja)
            }
            (None, Some((t, jv)))
                if now.secs_since(t) > 2.0 && self.audio_stream.stream().is_some() =>
            {
                Some(-jv)
            }
            _ => None,
        };
        if let Some(d) = delta {
            self.jump_audio = None;
            self.jump_video = None;
            self.disc_offset += d * 1000.0;
            self.ts_update(now, out);
        }
    }

    pub(super) fn audio_clock(&mut self, f: &AudioFrame, out: &mut Events) {
        let rate = f.rate();
        let tick = f
            .time()
            .rescale(crate::media::Rational::new(1, rate as i32))
            .ticks();
        match self.anchor {
            Some((_, r)) if r == rate => {}
            _ => {
                self.anchor = Some((tick, rate));
                self.counted = 0;
                self.last_dev = 0.0;
                self.fit = [0.0; 5];
            }
        }
        let (t0, _) = self.anchor.unwrap_or((tick, rate));
        let dev = (tick - t0 - self.counted) as f64 / rate as f64 - self.gap_total;
        let step = dev - self.last_dev;
        if step.abs() > MAX_DRIFT_STEP {
            // lost or inserted audio: a gap, not drift
            self.gap_total += step;
        }
        let dev = (tick - t0 - self.counted) as f64 / rate as f64 - self.gap_total;
        self.last_dev = dev;
        self.counted += f.samples_per_channel() as i64;
        let x = (tick - t0) as f64 / rate as f64;
        {
            let s = &mut self.fit;
            s[0] += 1.0;
            s[1] += x;
            s[2] += x * x;
            s[3] += dev;
            s[4] += x * dev;
        }
        if (dev - self.drift).abs() > 1e-9 {
            self.drift = dev;
            self.ts_update(f.time(), out);
        }
        if x >= self.next_skew_metric {
            self.next_skew_metric = x + 60.0;
            let s = &self.fit;
            let den = s[0] * s[2] - s[1] * s[1];
            if den > 0.0 {
                let slope = (s[0] * s[4] - s[1] * s[3]) / den;
                out.metric("clock_skew_ppm", (slope * 1e7).round() / 10.0, f.time());
            }
        }
    }
}
