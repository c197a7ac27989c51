//! The timestamp clock: one stream's raw timestamps mapped onto the input's timeline
//! ([`Clock`]), and what the clocks of every stream share ([`Timeline`]).

use crate::media::{MediaTime, Rational, TimestampUnwrapper};

/// Timestamps a stream maps after a gap in the input during which its first jump is taken as
/// the input's restart (see [`Joint`]).
const REJOIN_WINDOW: u8 = 16;

/// A restart of the whole input: data came back after a gap (a live sender that stopped and
/// started again) with timestamps that jumped. The streams were cut at different points, so
/// their raw jumps differ by an amount that says nothing about A/V sync; bridging each stream
/// on its own would move them apart by that amount. Instead the first stream to jump sets one
/// offset (its new time: after everything mapped so far) that the others follow, which keeps the
/// new content's own alignment.
#[derive(Debug, Default)]
pub(super) struct Joint {
    /// Seconds added to the new raw timestamps, once the first stream jumped.
    shift: Option<f64>,
    /// End of everything mapped so far, in seconds.
    floor: f64,
}

impl Joint {
    /// A gap: the next jump of each stream belongs to a new restart.
    fn reset(&mut self) {
        self.shift = None;
    }
}

/// What the clocks of every stream share: the input's origin (its start time, or the first
/// timestamp mapped) and the restart offsets, one for frame times and one for packet times.
#[derive(Debug, Default)]
pub(super) struct Timeline {
    origin: Option<MediaTime>,
    frame_joint: Joint,
    packet_joint: Joint,
}

impl Timeline {
    /// A timeline that starts at `origin` (when the input says where it starts).
    pub(super) fn new(origin: Option<MediaTime>) -> Self {
        Timeline {
            origin,
            ..Timeline::default()
        }
    }

    /// Maps a decoded frame's raw timestamp with its stream's frame clock.
    pub(super) fn map_frame(&mut self, clock: &mut Clock, raw: i64) -> Mapped {
        clock.map(raw, &mut self.origin, &mut self.frame_joint)
    }

    /// Maps a packet's raw timestamp with its stream's packet clock.
    pub(super) fn map_packet(&mut self, clock: &mut Clock, raw: i64) -> Mapped {
        clock.map(raw, &mut self.origin, &mut self.packet_joint)
    }

    /// A gap in the input: the next jump of each stream belongs to a new restart.
    pub(super) fn after_gap(&mut self) {
        self.frame_joint.reset();
        self.packet_joint.reset();
    }
}

/// Maps one stream's raw timestamps onto the input's timeline.
pub(super) struct Clock {
    pub(super) tb: Rational,
    wrap_bits: u32,
    pub(super) step: i64,
    unwrap: Option<TimestampUnwrapper>,
    last_raw: Option<i64>,
    last_out: Option<i64>,
    /// Timestamps left in the window after a gap (see [`Joint`]).
    rejoin: u8,
}

/// A mapped timestamp.
pub(super) struct Mapped {
    /// Ticks on the timeline.
    pub(super) ticks: i64,
    /// Size of the raw jump in seconds at a discontinuity.
    pub(super) jump: Option<f64>,
    /// The jump was bridged as part of an input restart (one offset for every stream).
    pub(super) restart: bool,
}

impl Clock {
    pub(super) fn new(tb: Rational, wrap_bits: u32, step: i64) -> Self {
        Clock {
            tb,
            wrap_bits,
            step,
            unwrap: None,
            last_raw: None,
            last_out: None,
            rejoin: 0,
        }
    }

    /// Data came back after a gap: the next jump (within a few timestamps) is a restart.
    pub(super) fn after_gap(&mut self) {
        self.rejoin = REJOIN_WINDOW;
    }

    /// Maps `raw`; `joint` is shared by the clocks of every stream (frames or packets).
    pub(super) fn map(
        &mut self,
        raw: i64,
        origin: &mut Option<MediaTime>,
        joint: &mut Joint,
    ) -> Mapped {
        let tb = self.tb;
        let unwrap = self.unwrap.get_or_insert_with(|| {
            let o = *origin.get_or_insert(MediaTime::new(raw, tb));
            let per_sec = if tb.num > 0 {
                (tb.den as i64 / tb.num as i64).max(1)
            } else {
                1
            };
            TimestampUnwrapper::new(
                Some(self.wrap_bits),
                per_sec,
                o.rescale(tb).ticks(),
                self.step,
            )
        });
        let m = unwrap.map(raw);
        let mut out = Mapped {
            ticks: m.ticks,
            jump: None,
            restart: false,
        };
        if m.discontinuity {
            let mut d = raw - self.last_raw.unwrap_or(raw);
            if self.wrap_bits > 0 && self.wrap_bits < 63 {
                let w = 1i64 << self.wrap_bits;
                d = d.rem_euclid(w);
                if d > w / 2 {
                    d -= w;
                }
            }
            out.jump = Some(d as f64 * tb.as_f64());
            if let (true, Some(prev)) = (self.rejoin > 0, self.last_out) {
                let unbridged = prev + d;
                let secs = tb.as_f64();
                let target = match joint.shift {
                    None => {
                        let t = m.ticks.max((joint.floor / secs).ceil() as i64);
                        joint.shift = Some((t - unbridged) as f64 * secs);
                        t
                    }
                    // Following the first stream, unless that would go back in time.
                    Some(shift) => {
                        let t = unbridged + (shift / secs).round() as i64;
                        if t > prev {
                            t
                        } else {
                            m.ticks
                        }
                    }
                };
                unwrap.rebase(target);
                out.ticks = target;
                out.restart = true;
                self.rejoin = 0;
            }
        }
        self.rejoin = self.rejoin.saturating_sub(1);
        joint.floor = joint
            .floor
            .max((out.ticks + self.step) as f64 * tb.as_f64());
        self.last_raw = Some(raw);
        self.last_out = Some(out.ticks);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TB: Rational = Rational::new(1, 90_000);

    #[test]
    fn a_restart_moves_every_stream_by_one_offset() {
        let (mut video, mut audio) = (Clock::new(TB, 33, 3600), Clock::new(TB, 33, 1920));
        let (mut origin, mut joint) = (None, Joint::default());
        // 2 s of both; audio cut 120 ms before video when the sender stopped
        for i in 0..50 {
            video.map(90_000 + i * 3600, &mut origin, &mut joint);
        }
        let mut a = 0;
        while 90_000 + a * 1920 < 90_000 + 49 * 3600 - 10_800 {
            audio.map(90_000 + a * 1920, &mut origin, &mut joint);
            a += 1;
        }
        let last_audio = 90_000 + (a - 1) * 1920;
        // the sender restarts: its clock starts again at 1 s, both streams aligned
        video.after_gap();
        audio.after_gap();
        joint.reset();
        let v = video.map(90_000, &mut origin, &mut joint);
        let a = audio.map(90_000, &mut origin, &mut joint);
        assert!(v.restart && a.restart);
        assert_eq!(v.ticks, 50 * 3600, "video continues where it ended");
        assert_eq!(a.ticks, v.ticks, "audio keeps the new content's alignment");
        assert!(a.ticks > last_audio - 90_000);
        // later timestamps follow
        assert_eq!(video.map(93_600, &mut origin, &mut joint).ticks, 51 * 3600);
    }

    #[test]
    fn without_a_gap_each_stream_bridges_its_own_jump() {
        let (mut video, mut audio) = (Clock::new(TB, 33, 3600), Clock::new(TB, 33, 1920));
        let (mut origin, mut joint) = (None, Joint::default());
        video.map(0, &mut origin, &mut joint);
        audio.map(0, &mut origin, &mut joint);
        let v = video.map(9_000_000, &mut origin, &mut joint);
        let a = audio.map(9_090_000, &mut origin, &mut joint);
        assert!(!v.restart && !a.restart);
        assert_eq!((v.ticks, a.ticks), (3600, 1920));
        assert!(v.jump.is_some() && a.jump.is_some());
    }
}
