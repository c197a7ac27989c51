//! The stream clock: 90 kHz ticks counted from the first PCR of the PCR PID, on which the
//! absences are measured, and the latest PES PTS moved on by it (the instant of a finding).

/// The PTS and PCR base domain wraps at 2^33.
pub(super) const WRAP: u64 = 1 << 33;
/// A PCR step larger than this (10 s) is a discontinuity: the timers restart.
const MAX_STEP: u64 = 10 * 90_000;

/// The stream clock and the latest PES PTS.
pub(super) struct StreamClock {
    /// The stream clock (90 kHz ticks from the first PCR), once a PCR was seen.
    clock: Option<u64>,
    pcr_pid: Option<u16>,
    last_pcr: u64,
    /// Byte offset of the latest PCR.
    pcr_at: u64,
    last_pts: Option<u64>,
    /// The stream clock when `last_pts` was read.
    pts_clock: u64,
    /// `last_pts` was read after the latest PCR, at this byte offset.
    pts_at: Option<u64>,
}

/// What a PCR did to the clock.
pub(super) enum Pcr {
    /// A PCR of another PID than the first one that carried one: not the clock.
    Other,
    /// The first PCR: the clock starts at 0.
    Started,
    /// The clock moved on (or, across a jump, stayed where it was).
    Moved(Placement),
}

/// The step between two PCRs, which places what was seen in between on the clock by its byte
/// offset (the stream runs at a constant rate between PCRs); across a jump, at the last PCR.
pub(super) struct Placement {
    /// The clock at the previous PCR.
    before: u64,
    step: u64,
    /// Byte offset of the previous PCR, and the bytes up to this one (at least 1).
    from: u64,
    span: u64,
    jump: bool,
}

impl Placement {
    /// The clock at the previous PCR.
    pub(super) fn before(&self) -> u64 {
        self.before
    }

    /// The clock now (at this PCR); not moved across a jump.
    pub(super) fn now(&self) -> u64 {
        self.before + self.step
    }

    /// A discontinuity (flagged, or a step of more than 10 s): the timers restart.
    pub(super) fn jump(&self) -> bool {
        self.jump
    }

    /// The clock at byte offset `off` between the two PCRs.
    pub(super) fn place(&self, off: u64) -> u64 {
        if self.jump {
            self.before
        } else {
            let part = u128::from(off.saturating_sub(self.from).min(self.span));
            self.before + (u128::from(self.step) * part / u128::from(self.span)) as u64
        }
    }
}

impl StreamClock {
    pub(super) fn new() -> Self {
        StreamClock {
            clock: None,
            pcr_pid: None,
            last_pcr: 0,
            last_pts: None,
            pts_clock: 0,
            pts_at: None,
            pcr_at: 0,
        }
    }

    /// The stream clock, once a PCR was seen.
    pub(super) fn now(&self) -> Option<u64> {
        self.clock
    }

    /// The latest PES PTS, moved on by the stream clock since it was read.
    pub(super) fn pts_now(&self) -> Option<u64> {
        let run = match self.pts_at {
            Some(_) => 0,
            None => self.clock.map_or(0, |c| c.saturating_sub(self.pts_clock)),
        };
        self.last_pts.map(|p| (p + run % WRAP) % WRAP)
    }

    /// A PES PTS read from the packet at byte `at`.
    pub(super) fn pes_pts(&mut self, pts: u64, at: u64) {
        self.last_pts = Some(pts);
        self.pts_clock = self.clock.unwrap_or(0);
        self.pts_at = self.clock.map(|_| at);
    }

    /// A PCR (33-bit base) of `pid` in the packet at byte `at`, `discontinuity` when the
    /// packet's adaptation field flags one.
    pub(super) fn pcr(&mut self, pid: u16, pcr: u64, discontinuity: bool, at: u64) -> Pcr {
        match self.pcr_pid {
            None => self.pcr_pid = Some(pid),
            Some(p) if p != pid => return Pcr::Other,
            Some(_) => {}
        }
        let Some(c) = self.clock else {
            self.clock = Some(0);
            self.last_pcr = pcr;
            self.pcr_at = at;
            return Pcr::Started;
        };
        let step = (pcr + WRAP - self.last_pcr) % WRAP;
        let placement = Placement {
            before: c,
            step,
            from: self.pcr_at,
            span: at.saturating_sub(self.pcr_at).max(1),
            jump: discontinuity || step > MAX_STEP,
        };
        self.last_pcr = pcr;
        self.pcr_at = at;
        if let Some(off) = self.pts_at.take() {
            self.pts_clock = placement.place(off);
        }
        if !placement.jump {
            self.clock = Some(placement.now());
        }
        Pcr::Moved(placement)
    }
}
