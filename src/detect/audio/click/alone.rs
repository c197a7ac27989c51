//! An impulse on one channel of a programme that all channels carry alike (mono sent as
//! stereo, or panned mono: each channel a fixed multiple of another).
//!
//! The programme's own transients — plosives, impacts, a syllable's end — are then in every
//! channel at the same gain, and the difference of two channels (one less the other scaled by
//! their gain) holds only what the encoders did differently: tens of dB under the programme.
//! An impulse that stands out of that difference at the candidate's peak is on one channel
//! only (or at another gain on each): it was added to the sound, not part of it, and gets the
//! allowance of a loud click for the programme's level moving around it.

use super::channel::Channel;
use super::geometry::Geometry;

/// Largest energy of the channels' difference, relative to the candidate channel's own, on
/// each side of the candidate, for both to carry one programme (−26 dB). Mono speech carried
/// as stereo differs by −50 dB and less after AAC (−30 dB with a click's own quantisation
/// noise spread into the windows); stereo music by −4 to −8 dB.
const SAME: f64 = 0.0025;

/// Least peak of the difference near the candidate over the difference's RMS around it.
const STANDS_OUT: f64 = 16.0;

/// Least peak of the difference near the candidate over the programme's RMS around it: the
/// impulse is a sizeable part of the sound, not a codec's difference (which reaches 0.4 of the
/// programme's RMS in the clean speech of the real-content evaluation; a click 3).
const OVER_PROGRAMME: f64 = 1.0;

/// Samples on each side of the peak searched for the difference's peak.
const NEAR: i64 = 3;

/// Sums of products of two channels over `[from, to)` (clamped to both buffers): `aa`, `ab`,
/// `bb`.
fn products(a: &Channel, b: &Channel, from: i64, to: i64) -> (f64, f64, f64, usize) {
    let lo = from.max(a.start).max(b.start);
    let hi = to.min(a.end()).min(b.end());
    if hi <= lo {
        return (0.0, 0.0, 0.0, 0);
    }
    let xa = &a.buf[(lo - a.start) as usize..(hi - a.start) as usize];
    let xb = &b.buf[(lo - b.start) as usize..(hi - b.start) as usize];
    let (mut aa, mut ab, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&u, &v) in xa.iter().zip(xb) {
        let (u, v) = (u as f64, v as f64);
        aa += u * u;
        ab += u * v;
        bb += v * v;
    }
    (aa, ab, bb, (hi - lo) as usize)
}

/// Whether the impulse at `peak` on channel `c` is alone: some other channel carries the same
/// programme at a fixed gain over the longer level windows on both sides of it, and the
/// difference of the two has an impulse at `peak` standing [`STANDS_OUT`] times over its own
/// RMS and [`OVER_PROGRAMME`] times over the programme's.
pub(super) fn alone(channels: &[Channel], c: usize, peak: i64, g: &Geometry) -> bool {
    let Some(a) = channels.get(c) else {
        return false;
    };
    let (inner, outer) = g.level_windows[1];
    let (inner, outer) = (inner as i64, outer as i64);
    channels.iter().enumerate().any(|(o, b)| {
        if o == c {
            return false;
        }
        let before = products(a, b, peak - outer, peak - inner);
        let after = products(a, b, peak + inner, peak + outer);
        let (ab, bb) = (before.1 + after.1, before.2 + after.2);
        if before.3 == 0 || after.3 == 0 || bb <= 0.0 {
            return false;
        }
        let gain = ab / bb;
        // Energy of `a - gain * b` on each side, relative to `a`'s.
        let diff = |s: (f64, f64, f64, usize)| s.0 - 2.0 * gain * s.1 + gain * gain * s.2;
        let (d0, d1) = (diff(before), diff(after));
        if d0 > SAME * before.0 || d1 > SAME * after.0 {
            return false;
        }
        let n = (before.3 + after.3) as f64;
        let diff_rms = ((d0 + d1).max(0.0) / n).sqrt();
        let programme = ((before.0 + after.0) / n).sqrt();
        let lo = (peak - NEAR).max(a.start).max(b.start);
        let hi = (peak + NEAR + 1).min(a.end()).min(b.end());
        let top = (lo..hi)
            .map(|p| {
                let u = a.buf[(p - a.start) as usize] as f64;
                let v = b.buf[(p - b.start) as usize] as f64;
                (u - gain * v).abs()
            })
            .fold(0.0f64, f64::max);
        top > 0.0 && top >= STANDS_OUT * diff_rms && top >= OVER_PROGRAMME * programme
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::audio::ClickConfig;

    const RATE: u32 = 48_000;

    fn channel(x: Vec<f32>) -> Channel {
        let mut c = Channel::default();
        c.buf = x;
        c
    }

    /// A tone with a few partials, `0.1` RMS, 0.2 s.
    fn tone(hz: f64) -> Vec<f32> {
        (0..RATE as usize / 5)
            .map(|i| {
                let t = std::f64::consts::TAU * hz * i as f64 / RATE as f64;
                (0.1 * (t.sin() + 0.5 * (2.0 * t + 0.3).sin())) as f32
            })
            .collect()
    }

    #[test]
    fn an_impulse_on_one_channel_of_panned_mono_is_alone() {
        let g = Geometry::new(RATE, &ClickConfig::default());
        let peak = RATE as usize / 10;
        let mut a = tone(220.0);
        let b: Vec<f32> = a.iter().map(|v| 0.7 * v).collect();
        a[peak] += 0.2;
        let both = [channel(a.clone()), channel(b.clone())];
        assert!(alone(&both, 0, peak as i64, &g));
        // The same impulse in both channels at the programme's gain is the programme's.
        let mut b2 = b.clone();
        b2[peak] += 0.14;
        let shared = [channel(a.clone()), channel(b2)];
        assert!(!alone(&shared, 0, peak as i64, &g));
        // Another programme on the other channel proves nothing.
        let other = [channel(a), channel(tone(330.0))];
        assert!(!alone(&other, 0, peak as i64, &g));
    }

    #[test]
    fn silence_or_one_channel_is_never_alone() {
        let g = Geometry::new(RATE, &ClickConfig::default());
        let peak = RATE as i64 / 10;
        let quiet = [
            channel(vec![0.0; RATE as usize / 5]),
            channel(vec![0.0; RATE as usize / 5]),
        ];
        assert!(!alone(&quiet, 0, peak, &g));
        let mut a = tone(220.0);
        a[peak as usize] += 0.3;
        assert!(!alone(&[channel(a)], 0, peak, &g));
    }
}
