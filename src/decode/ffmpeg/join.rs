//! Joining a stream where it happens to be: a monitor started on a live stream, or a recording
//! of one, begins mid-GOP. The pictures before the first random access point predict from
//! pictures that went by before the join; decoded, they are the decoder's concealment (grey
//! or frozen areas), not the stream's damage. A video stream's packets are therefore decoded
//! from its first key packet on.

use crate::media::Rational;

/// How long (media seconds from the first packet) a video stream may go without a key packet
/// before its packets are decoded anyway: a stream whose demuxer never marks one (no IDR and
/// no recovery point, a codec whose parser marks none) is analysed after this much, as
/// before. Broadcast GOPs last 0.5-5 s.
pub(super) const MAX_WAIT_SECS: f64 = 12.0;

/// The gate of one stream: closed (for video) until its first key packet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct JoinGate {
    open: bool,
    /// The stream's time base and timestamp width.
    tb: Rational,
    wrap_bits: u32,
    /// Packets held back, and the raw timestamp of the first of them (stream time base).
    skipped: u32,
    first: Option<i64>,
}

/// What the gate did with a packet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Admit {
    /// Decode it (the gate was open).
    Pass,
    /// The stream's first key packet after `skipped` packets held back: decode it.
    Joined { skipped: u32 },
    /// No key packet within [`MAX_WAIT_SECS`] after `skipped` packets: decode from here on.
    GaveUp { skipped: u32 },
    /// Held back: it predicts from pictures before the join (`first`: the first held back).
    Skip { first: bool },
}

impl JoinGate {
    /// A gate that lets every packet through (sound, subtitles, data).
    pub(super) const fn open() -> Self {
        JoinGate {
            open: true,
            tb: Rational::new(1, 1),
            wrap_bits: 64,
            skipped: 0,
            first: None,
        }
    }

    /// A gate closed until the first key packet (video), for timestamps in time base `tb`
    /// of `wrap_bits` bits.
    pub(super) const fn closed(tb: Rational, wrap_bits: u32) -> Self {
        JoinGate {
            open: false,
            tb,
            wrap_bits,
            skipped: 0,
            first: None,
        }
    }

    /// The gate's verdict on a packet: `key` when the demuxer marked it a random access
    /// point, `raw` its timestamp.
    pub(super) fn admit(&mut self, key: bool, raw: Option<i64>) -> Admit {
        if self.open {
            return Admit::Pass;
        }
        let skipped = self.skipped;
        if key {
            self.open = true;
            return if skipped == 0 {
                Admit::Pass
            } else {
                Admit::Joined { skipped }
            };
        }
        if let Some(raw) = raw {
            let first = *self.first.get_or_insert(raw);
            // the signed distance (display order runs back and forth; the 2^wrap_bits wrap)
            let span = if (1..63).contains(&self.wrap_bits) {
                let wrap = 1i64 << self.wrap_bits;
                let d = (raw - first).rem_euclid(wrap);
                if d >= wrap / 2 {
                    d - wrap
                } else {
                    d
                }
            } else {
                raw.saturating_sub(first)
            };
            if span.unsigned_abs() as f64 * self.tb.as_f64() > MAX_WAIT_SECS {
                self.open = true;
                return Admit::GaveUp { skipped };
            }
        }
        self.skipped = self.skipped.saturating_add(1);
        Admit::Skip {
            first: skipped == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TB: Rational = Rational::new(1, 90_000);

    #[test]
    fn a_stream_that_starts_with_a_key_packet_passes_everything() {
        let mut g = JoinGate::closed(TB, 33);
        assert_eq!(g.admit(true, Some(0)), Admit::Pass);
        assert_eq!(g.admit(false, Some(3600)), Admit::Pass);
    }

    #[test]
    fn packets_before_the_first_key_packet_are_held_back() {
        let mut g = JoinGate::closed(TB, 33);
        // display order: a P-picture, then the B-pictures shown before it
        for k in [3, 1, 2, 6, 4, 5] {
            let first = k == 3;
            assert_eq!(
                g.admit(false, Some(10_000 + k * 3600)),
                Admit::Skip { first }
            );
        }
        assert_eq!(
            g.admit(true, Some(10_000 + 9 * 3600)),
            Admit::Joined { skipped: 6 }
        );
        assert_eq!(g.admit(false, Some(6 * 3600)), Admit::Pass);
    }

    #[test]
    fn a_stream_without_key_packets_is_decoded_after_the_wait_also_across_the_wrap() {
        let mut g = JoinGate::closed(TB, 33);
        let start = (1i64 << 33) - 90_000;
        let mut t = start;
        let mut n = 0;
        loop {
            match g.admit(false, Some(t.rem_euclid(1 << 33))) {
                Admit::Skip { first } => {
                    assert_eq!(first, n == 0);
                    n += 1;
                }
                Admit::GaveUp { skipped } => {
                    assert_eq!(skipped, n);
                    break;
                }
                other => panic!("{other:?}"),
            }
            t += 3600;
        }
        let waited = (t - start) as f64 / 90_000.0;
        assert!(
            waited > MAX_WAIT_SECS && waited < MAX_WAIT_SECS + 0.1,
            "{waited}"
        );
        assert_eq!(g.admit(false, Some(0)), Admit::Pass);
    }

    #[test]
    fn sound_passes_at_once() {
        let mut g = JoinGate::open();
        assert_eq!(g.admit(false, Some(0)), Admit::Pass);
    }
}
