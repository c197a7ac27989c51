//! The PSI tables and the timed PIDs: the PAT names the PMT PIDs, each PMT its audio and video
//! PIDs, and each of those (and PID 0) must show up in time (TR 101 290 1.3, 1.5 and 1.6).

use super::clock::{Placement, WRAP};
use super::findings::Findings;
use super::psi::{self, Section, NULL_PID, PIDS};
use super::{FindingPhase, TransportError};

/// A PAT or PMT section is due at least every 0.5 s (90 kHz ticks).
const TABLE_LIMIT: u64 = 45_000;
/// An audio/video PID absent this long is reported as `Began` (the detector applies its own,
/// longer, `pid_timeout`).
const ES_LIMIT: u64 = 90_000;

/// The PID carries the PAT.
pub(super) const ROLE_PAT: u8 = 1;
/// The PID carries a PMT.
pub(super) const ROLE_PMT: u8 = 2;
/// The PID is an audio or video elementary stream of a PMT.
pub(super) const ROLE_ES: u8 = 4;
const UNKNOWN: u8 = 0xFF;

#[derive(Clone, Copy, Debug)]
struct PidState {
    role: u8,
    version: u8,
    owner: u16,
    last_seen: u64,
    /// Seen since the latest PCR, at this byte offset (its clock is interpolated at the next).
    seen_at: Option<u64>,
    absent: bool,
}

const FRESH: PidState = PidState {
    role: 0,
    version: UNKNOWN,
    owner: 0,
    last_seen: 0,
    seen_at: None,
    absent: false,
};

/// What each PID is to the tables, and the timers of the PIDs whose absence is timed.
pub(super) struct Tables {
    pids: Box<[PidState]>,
    /// PIDs whose absence is timed: 0 (PAT), the PMT PIDs and the audio/video PIDs.
    tracked: Vec<u16>,
    pat_version: Option<u8>,
}

fn error_of(role: u8) -> TransportError {
    if role & ROLE_PAT != 0 {
        TransportError::PatError
    } else if role & ROLE_PMT != 0 {
        TransportError::PmtError
    } else {
        TransportError::PidError
    }
}

impl Tables {
    /// Only PID 0 (the PAT) known and timed (allocates the per-PID table, once).
    pub(super) fn new() -> Self {
        let mut pids = vec![FRESH; PIDS].into_boxed_slice();
        pids[0].role = ROLE_PAT;
        let mut tracked = Vec::with_capacity(64);
        tracked.push(0);
        Tables {
            pids,
            tracked,
            pat_version: None,
        }
    }

    /// What `pid` is (`ROLE_*` bits; 0 for a PID of no interest).
    pub(super) fn role(&self, pid: u16) -> u8 {
        self.pids[usize::from(pid)].role
    }

    /// A PAT or PMT section, or a packet of a timed PID, arrived at byte `at`; `clock` is the
    /// stream clock and `pts` the instant of a finding.
    pub(super) fn seen(
        &mut self,
        pid: u16,
        at: u64,
        clock: Option<u64>,
        pts: Option<u64>,
        findings: &mut Findings,
    ) {
        let st = &mut self.pids[usize::from(pid)];
        if clock.is_some() {
            st.seen_at = Some(at);
        }
        if st.absent {
            st.absent = false;
            let e = error_of(st.role);
            findings.push(e, Some(pid), FindingPhase::Ended, pts, at);
        }
    }

    /// A section of the right table (PAT on PID 0, PMT on a PMT PID) at byte `at`: a new
    /// version updates the PIDs named.
    pub(super) fn section(
        &mut self,
        pid: u16,
        s: Section<'_>,
        at: u64,
        clock: Option<u64>,
        pts: Option<u64>,
        findings: &mut Findings,
    ) {
        if self.role(pid) & ROLE_PAT != 0 {
            if self.pat_version != Some(s.version) {
                self.pat_version = Some(s.version);
                self.update_pat(s.body, at, clock, pts, findings);
            }
        } else if self.pids[usize::from(pid)].version != s.version {
            self.pids[usize::from(pid)].version = s.version;
            self.update_pmt(pid, s.body, at, clock, pts, findings);
        }
    }

    /// The first PCR started the clock: every timed PID counts from it.
    pub(super) fn clock_started(&mut self) {
        for &t in &self.tracked {
            let st = &mut self.pids[usize::from(t)];
            st.last_seen = 0;
            st.seen_at = None;
        }
    }

    /// The clock moved (a PCR at byte `at`): what was seen since the previous PCR is placed on
    /// it, and the PIDs absent for longer than their limit are reported, at `pts` set back by
    /// their gap. Across a jump every timer restarts.
    pub(super) fn clock_moved(
        &mut self,
        place: &Placement,
        pts: Option<u64>,
        at: u64,
        findings: &mut Findings,
    ) {
        for &t in &self.tracked {
            let st = &mut self.pids[usize::from(t)];
            if let Some(off) = st.seen_at.take() {
                st.last_seen = place.place(off);
            }
        }
        if place.jump() {
            for &t in &self.tracked {
                self.pids[usize::from(t)].last_seen = place.before();
            }
            return;
        }
        let now = place.now();
        for i in 0..self.tracked.len() {
            let pid = self.tracked[i];
            let st = &mut self.pids[usize::from(pid)];
            let limit = if st.role & ROLE_ES != 0 {
                ES_LIMIT
            } else {
                TABLE_LIMIT
            };
            let gap = now - st.last_seen.min(now);
            if st.absent || gap <= limit {
                continue;
            }
            st.absent = true;
            let e = error_of(st.role);
            let since = pts.map(|p| (p + WRAP - gap % WRAP) % WRAP);
            findings.push(e, Some(pid), FindingPhase::Began, since, at);
        }
    }

    /// Starts timing `pid` in `role` from `clock`.
    fn track(&mut self, pid: u16, role: u8, owner: u16, clock: Option<u64>) {
        let st = &mut self.pids[usize::from(pid)];
        st.role = role;
        st.owner = owner;
        st.version = UNKNOWN;
        st.absent = false;
        st.seen_at = None;
        st.last_seen = clock.unwrap_or(0);
        if !self.tracked.contains(&pid) {
            self.tracked.push(pid);
        }
    }

    /// Stops timing the tracked PIDs for which `drop` is true (ending their absence).
    fn untrack(
        &mut self,
        at: u64,
        pts: Option<u64>,
        findings: &mut Findings,
        drop: impl Fn(u16, &PidState) -> bool,
    ) {
        let mut i = 0;
        while i < self.tracked.len() {
            let pid = self.tracked[i];
            let st = self.pids[usize::from(pid)];
            if !drop(pid, &st) {
                i += 1;
                continue;
            }
            if st.absent {
                findings.push(error_of(st.role), Some(pid), FindingPhase::Ended, pts, at);
            }
            let s = &mut self.pids[usize::from(pid)];
            s.role = 0;
            s.absent = false;
            self.tracked.swap_remove(i);
        }
    }

    fn update_pat(
        &mut self,
        body: &[u8],
        at: u64,
        clock: Option<u64>,
        pts: Option<u64>,
        findings: &mut Findings,
    ) {
        let mut named = [0u16; 64];
        let mut n = 0;
        for pid in psi::pat_pmts(body) {
            if n < named.len() && pid != 0 && pid != NULL_PID {
                named[n] = pid;
                n += 1;
            }
        }
        let named = &named[..n];
        let pmt_gone = |pid: u16, s: &PidState| s.role & ROLE_PMT != 0 && !named.contains(&pid);
        // ES PIDs of a PMT that is no longer named go with it.
        let mut es_gone = [0u16; 64];
        let mut m = 0;
        for &t in &self.tracked {
            let s = &self.pids[usize::from(t)];
            let orphan =
                s.role & ROLE_ES != 0 && pmt_gone(s.owner, &self.pids[usize::from(s.owner)]);
            if orphan && m < es_gone.len() {
                es_gone[m] = t;
                m += 1;
            }
        }
        let es_gone = &es_gone[..m];
        self.untrack(at, pts, findings, |pid, s| {
            pmt_gone(pid, s) || es_gone.contains(&pid)
        });
        for &pid in named {
            if self.pids[usize::from(pid)].role & ROLE_PMT == 0 {
                self.track(pid, ROLE_PMT, 0, clock);
            }
        }
    }

    fn update_pmt(
        &mut self,
        pmt: u16,
        body: &[u8],
        at: u64,
        clock: Option<u64>,
        pts: Option<u64>,
        findings: &mut Findings,
    ) {
        self.untrack(at, pts, findings, |_, s| {
            s.role & ROLE_ES != 0 && s.owner == pmt
        });
        for (stream_type, pid) in psi::pmt_streams(body) {
            let free = pid >= 0x20 && pid != NULL_PID && self.pids[usize::from(pid)].role == 0;
            if free && psi::is_audio_video(stream_type) {
                self.track(pid, ROLE_ES, pmt, clock);
            }
        }
    }
}
