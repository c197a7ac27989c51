//! The lip-sync check fed: sound into hop energies, pictures into cell means, and every few
//! seconds the analysis of the window (`lipcorr.rs`) turned into metrics and `av_sync`.

use super::lipcorr;
use super::lipsync::*;
use super::AvSync;
use crate::detect::measure::lowpass::BandPass;
use crate::detect::Events;
use crate::media::{AudioFrame, MediaTime, Rational};

impl AvSync {
    /// One audio frame into 10 ms hop energies of the speech band.
    pub(super) fn lipsync_audio(&mut self, f: &AudioFrame) {
        let rate = f.rate();
        if rate < 8_000 {
            return;
        }
        let tick = f.time().rescale(Rational::new(1, rate as i32)).ticks();
        let s = &mut self.lip;
        if s.hops.len() != HOPS {
            s.hops = vec![0.0; HOPS];
        }
        if s.rate != rate
            || s.next_tick
                .is_none_or(|n| (tick - n).abs() > (rate / 500).max(1) as i64)
        {
            s.rate = rate;
            s.band = BandPass::new(f64::from(rate), 300.0, 3000.0);
            s.hop_len = ((f64::from(rate) * HOP_SECS).round() as usize).max(1);
            s.run_start = tick;
            s.hops_done = 0;
            s.energy = 0.0;
            s.in_hop = 0;
        }
        let n = f.samples_per_channel();
        s.next_tick = Some(s.next_tick.map_or(tick, |x| x.max(tick)) + n as i64);
        let chans = f.channels();
        if chans == 0 {
            return;
        }
        let scale = 1.0 / chans as f64;
        // The filter's state and the hop's sums in locals for the frame: kept in registers,
        // not stored and reloaded on every sample (the same arithmetic).
        let (mut band, mut energy, mut in_hop) = (s.band, s.energy, s.in_hop);
        for i in 0..n {
            let mut x = 0f64;
            for ch in 0..chans {
                let v = f64::from(f.channel(ch)[i]);
                if v.is_finite() {
                    x += v;
                }
            }
            let y = band.run(x * scale);
            energy += y * y;
            in_hop += 1;
            if in_hop == s.hop_len {
                let k = s.hops_done;
                s.hops[(k as usize) & (HOPS - 1)] = (energy / s.hop_len as f64) as f32;
                s.hops_done += 1;
                energy = 0.0;
                in_hop = 0;
            }
        }
        (s.band, s.energy, s.in_hop) = (band, energy, in_hop);
    }

    /// Runs the analysis when it is due and the sound has passed the pictures' search range.
    pub(super) fn lipsync_check(&mut self, out: &mut Events, at_end: bool) {
        let s = &self.lip;
        if s.pictures == 0 || s.rate == 0 || s.hops_done == 0 {
            return;
        }
        let newest = s.times[(s.pictures - 1) % PICTURES];
        let range = self.cfg.search_range;
        // the analysis takes the pictures whose search range the sound held covers
        if newest < s.next_at && !at_end {
            return;
        }
        let window = self.cfg.lipsync_window;
        let s = &mut self.lip;
        let Some(a) = lipcorr::analyse(s, window, range) else {
            // too little yet: try again in half a second
            s.next_at = newest + 0.5;
            return;
        };
        s.next_at = newest + STEP_SECS;
        let conf = confidence(
            &a,
            self.cfg.lipsync_min_corr,
            self.cfg.lipsync_min_confidence,
        );
        let confident = conf.is_some();
        let last = if confident {
            s.last.replace(a)
        } else {
            s.last.take()
        };
        let Some(conf) = conf else {
            return;
        };
        let at = MediaTime::from_secs_f64(a.end);
        out.metric("lipsync_offset_ms", (a.lag_ms * 10.0).round() / 10.0, at);
        out.metric("lipsync_confidence", (conf * 100.0).round() / 100.0, at);
        let start = *s.window_start.get_or_insert(a.start);
        let Some(prev) = last.filter(|p| (p.lag_ms - a.lag_ms).abs() <= AGREE_MS) else {
            return;
        };
        let est = 0.5 * (prev.lag_ms + a.lag_ms);
        self.lip.estimate = Some((est, conf));
        let bad = self.beyond(est);
        let emitted = MediaTime::from_secs_f64(a.end);
        self.lip_alarm.observe(
            bad,
            MediaTime::from_secs_f64(start),
            emitted,
            (est, Some(conf)),
            "lipsync",
            out,
        );
        if !bad {
            self.lip.window_start = None;
        }
    }
}

/// The confidence of a lip-sync window, `None` when it is unsure: the best cells' correlation
/// at the peak under `min_corr`, the next peak over 3/4 of it, or the confidence (peak × (1 −
/// second / peak)) under `min_confidence`.
fn confidence(a: &Analysis, min_corr: f64, min_confidence: f64) -> Option<f64> {
    if a.peak < min_corr || a.second > 0.75 * a.peak {
        return None;
    }
    let conf = (a.peak * (1.0 - a.second / a.peak)).clamp(0.0, 1.0);
    (conf >= min_confidence).then_some(conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(peak: f64, second: f64) -> Analysis {
        Analysis {
            lag_ms: 0.0,
            peak,
            second,
            start: 0.0,
            end: 20.0,
        }
    }

    #[test]
    fn a_window_with_a_close_second_peak_is_unsure() {
        // a talking head: one clear peak
        let c = confidence(&window(0.6, 0.15), 0.4, 0.3).expect("confident");
        assert!((c - 0.45).abs() < 1e-9, "{c}");
        // a looped cartoon without speech: a peak barely above the next (0.18)
        assert_eq!(confidence(&window(0.6, 0.42), 0.4, 0.3), None);
        assert!(confidence(&window(0.6, 0.42), 0.4, 0.1).is_some());
        // too weak, or the next peak too close to it
        assert_eq!(confidence(&window(0.35, 0.0), 0.4, 0.3), None);
        assert_eq!(confidence(&window(0.8, 0.7), 0.4, 0.0), None);
    }
}
