//! The TR 101 290 priority-1 analyser: packet grid, continuity counters, PAT/PMT and PID timers.

use super::psi;
use super::{FindingPhase, TransportError, TransportFinding};

const SYNC: u8 = 0x47;
const TS: usize = 188;
/// Distances between sync bytes: plain TS, M2TS (4-byte timecode), TS with Reed-Solomon bytes.
const STRIDES: [u64; 3] = [188, 192, 204];
/// Consecutive good sync bytes that (re-)acquire the packet grid.
const ACQUIRE: u32 = 5;
/// Bytes without a first lock after which the input is taken for something else than TS.
const GIVE_UP: u64 = 1 << 20;
const WRAP: u64 = 1 << 33;
/// A PAT or PMT section is due at least every 0.5 s (90 kHz ticks).
const TABLE_LIMIT: u64 = 45_000;
/// An audio/video PID absent this long is reported as `Began` (the detector applies its own,
/// longer, `pid_timeout`).
const ES_LIMIT: u64 = 90_000;
/// A PCR step larger than this (10 s) is a discontinuity: the timers restart.
const MAX_STEP: u64 = 10 * 90_000;
/// Findings kept between two drains; more are counted in `overflow`.
const MAX_FINDINGS: usize = 8192;
const NULL_PID: u16 = 0x1FFF;
const PIDS: usize = 8192;

const ROLE_PAT: u8 = 1;
const ROLE_PMT: u8 = 2;
const ROLE_ES: u8 = 4;
const UNKNOWN: u8 = 0xFF;

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Looking for a sync byte.
    Hunt,
    /// A candidate grid starting at `start`, tried for each stride at once.
    Acquire {
        start: u64,
        next: [u64; 3],
        hits: [u32; 3],
        alive: [bool; 3],
    },
    /// On the grid: the next sync byte is expected at `next`.
    Locked { stride: u64, next: u64 },
    /// Not a transport stream.
    Disabled,
}

#[derive(Clone, Copy, Debug)]
struct PidState {
    cc: u8,
    dup: u8,
    role: u8,
    version: u8,
    owner: u16,
    last_seen: u64,
    /// Seen since the latest PCR, at this byte offset (its clock is interpolated at the next).
    seen_at: Option<u64>,
    absent: bool,
}

const FRESH: PidState = PidState {
    cc: UNKNOWN,
    dup: 0,
    role: 0,
    version: UNKNOWN,
    owner: 0,
    last_seen: 0,
    seen_at: None,
    absent: false,
};

/// The TR 101 290 priority-1 analyser of an MPEG-TS byte stream (see the
/// [module documentation](crate::transport)).
///
/// Feed it with [`feed`](Self::feed) in chunks of any size, call [`finish`](Self::finish) at
/// the end of the input, and take the findings with [`drain`](Self::drain) whenever convenient
/// (up to 8192 are kept between drains; any more are counted by
/// [`overflowed`](Self::overflowed)).
///
/// ```
/// use avqc::transport::{TransportError, TsAnalyzer};
/// // A packet grid with one corrupted sync byte in the middle.
/// let mut ts = Vec::new();
/// for i in 0..10u8 {
///     let mut p = [0xFFu8; 188];
///     p[..4].copy_from_slice(&[if i == 6 { 0x07 } else { 0x47 }, 0x01, 0x00, 0x10 | i]);
///     ts.extend_from_slice(&p);
/// }
/// let mut a = TsAnalyzer::new();
/// a.feed(&ts);
/// a.finish();
/// let errors: Vec<_> = a.drain().map(|f| f.error).collect();
/// assert_eq!(errors, [TransportError::SyncByteError]);
/// assert!(a.is_transport_stream());
/// ```
pub struct TsAnalyzer {
    mode: Mode,
    /// Bytes fed so far.
    offset: u64,
    /// A packet straddling two chunks, and its offset.
    part: [u8; TS],
    part_len: usize,
    part_offset: u64,
    /// A packet with a corrupted sync byte, held until the next sync byte decides between a
    /// sync byte error and a sync loss.
    held: Option<([u8; TS], u64)>,
    locked_once: bool,
    lost: bool,
    sync_end_pending: bool,
    pids: Box<[PidState]>,
    /// PIDs whose absence is timed: 0 (PAT), the PMT PIDs and the audio/video PIDs.
    tracked: Vec<u16>,
    pat_version: Option<u8>,
    /// The stream clock (90 kHz ticks from the first PCR), once a PCR was seen.
    clock: Option<u64>,
    pcr_pid: Option<u16>,
    last_pcr: u64,
    last_pts: Option<u64>,
    /// The stream clock when `last_pts` was read.
    pts_clock: u64,
    /// `last_pts` was read after the latest PCR, at this byte offset.
    pts_at: Option<u64>,
    /// Byte offset of the latest PCR.
    pcr_at: u64,
    pub(super) findings: Vec<TransportFinding>,
    overflow: u64,
    packets: u64,
}

impl Default for TsAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TsAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsAnalyzer")
            .field("mode", &self.mode)
            .field("offset", &self.offset)
            .field("packets", &self.packets)
            .finish_non_exhaustive()
    }
}

impl TsAnalyzer {
    /// A fresh analyser (allocates its per-PID table, 8192 entries, once).
    pub fn new() -> Self {
        let mut pids = vec![FRESH; PIDS].into_boxed_slice();
        pids[0].role = ROLE_PAT;
        let mut tracked = Vec::with_capacity(64);
        tracked.push(0);
        TsAnalyzer {
            mode: Mode::Hunt,
            offset: 0,
            part: [0; TS],
            part_len: 0,
            part_offset: 0,
            held: None,
            locked_once: false,
            lost: false,
            sync_end_pending: false,
            pids,
            tracked,
            pat_version: None,
            clock: None,
            pcr_pid: None,
            last_pcr: 0,
            last_pts: None,
            pts_clock: 0,
            pts_at: None,
            pcr_at: 0,
            findings: Vec::with_capacity(64),
            overflow: 0,
            packets: 0,
        }
    }

    /// True once a packet grid was found (the input is MPEG-TS).
    pub fn is_transport_stream(&self) -> bool {
        self.locked_once
    }

    /// True when the analyser gave up: no packet grid in the first MiB.
    pub fn is_disabled(&self) -> bool {
        matches!(self.mode, Mode::Disabled)
    }

    /// Packets analysed (null packets included).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.offset
    }

    /// Findings dropped because more than 8192 piled up between two drains.
    pub fn overflowed(&self) -> u64 {
        self.overflow
    }

    /// Takes the findings made so far, in input order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, TransportFinding> {
        self.findings.drain(..)
    }

    /// The end of the input: settles a packet held for its corrupted sync byte, and ends a
    /// sync loss that was re-acquired. Absences still going on stay open (the detector closes
    /// them at the end of the stream).
    pub fn finish(&mut self) {
        if let Some((p, at)) = self.held.take() {
            self.push(TransportError::SyncByteError, None, FindingPhase::Once, at);
            self.analyse(&p, at);
        }
        if self.sync_end_pending {
            self.sync_end_pending = false;
            let at = self.offset;
            self.push(TransportError::SyncLoss, None, FindingPhase::Ended, at);
        }
    }

    /// Analyses the next bytes of the input.
    pub fn feed(&mut self, data: &[u8]) {
        let base = self.offset;
        let len = data.len();
        let mut i = 0usize;
        // Index in `data` of absolute offset `abs` (>= base), clipped to the chunk.
        let index = |abs: u64| usize::try_from(abs - base).map_or(len, |d| d.min(len));
        while i < len {
            match self.mode {
                Mode::Disabled => break,
                Mode::Hunt => match data[i..].iter().position(|&b| b == SYNC) {
                    Some(k) => {
                        let a = base + (i + k) as u64;
                        self.mode = Mode::Acquire {
                            start: a,
                            next: STRIDES.map(|s| a + s),
                            hits: [0; 3],
                            alive: [true; 3],
                        };
                        i += k + 1;
                    }
                    None => i = len,
                },
                Mode::Acquire {
                    start,
                    mut next,
                    mut hits,
                    mut alive,
                } => {
                    let abs = base + i as u64;
                    let due = (0..3)
                        .filter(|&k| alive[k])
                        .map(|k| next[k])
                        .min()
                        .unwrap_or(abs);
                    if due > abs {
                        i = index(due);
                        continue;
                    }
                    let b = data[i];
                    let mut locked = None;
                    for k in 0..3 {
                        if alive[k] && next[k] == abs {
                            if b == SYNC {
                                hits[k] += 1;
                                next[k] += STRIDES[k];
                                if hits[k] + 1 >= ACQUIRE && locked.is_none() {
                                    locked = Some(k);
                                }
                            } else {
                                alive[k] = false;
                            }
                        }
                    }
                    if let Some(k) = locked {
                        self.lock(STRIDES[k], abs);
                    } else if alive.iter().any(|&a| a) {
                        self.mode = Mode::Acquire {
                            start,
                            next,
                            hits,
                            alive,
                        };
                        i += 1;
                    } else {
                        // A false sync byte: hunt again right after it (when still in this chunk).
                        self.mode = Mode::Hunt;
                        i = if start >= base {
                            index(start + 1)
                        } else {
                            i + 1
                        };
                    }
                }
                Mode::Locked { stride, next } => {
                    if self.part_len > 0 {
                        let take = (TS - self.part_len).min(len - i);
                        self.part[self.part_len..self.part_len + take]
                            .copy_from_slice(&data[i..i + take]);
                        self.part_len += take;
                        i += take;
                        if self.part_len == TS {
                            let p = self.part;
                            self.part_len = 0;
                            self.mode = Mode::Locked {
                                stride,
                                next: next + stride,
                            };
                            let at = self.part_offset;
                            self.packet(&p, at);
                        }
                        continue;
                    }
                    let abs = base + i as u64;
                    if abs < next {
                        i = index(next);
                        continue;
                    }
                    if len - i >= TS {
                        self.mode = Mode::Locked {
                            stride,
                            next: next + stride,
                        };
                        self.packet(&data[i..i + TS], abs);
                        i += TS;
                    } else {
                        let n = len - i;
                        self.part[..n].copy_from_slice(&data[i..]);
                        self.part_len = n;
                        self.part_offset = abs;
                        i = len;
                    }
                }
            }
        }
        self.offset += len as u64;
        if !self.locked_once && self.offset > GIVE_UP {
            self.mode = Mode::Disabled;
        }
    }

    fn lock(&mut self, stride: u64, at: u64) {
        self.mode = Mode::Locked { stride, next: at };
        self.locked_once = true;
        self.held = None;
        self.part_len = 0;
        for p in self.pids.iter_mut() {
            p.cc = UNKNOWN;
            p.dup = 0;
        }
        if self.lost {
            self.lost = false;
            self.sync_end_pending = true;
        }
    }

    fn push(&mut self, error: TransportError, pid: Option<u16>, phase: FindingPhase, at: u64) {
        let pts = self.pts_now();
        self.push_at(error, pid, phase, pts, at);
    }

    /// The latest PES PTS, moved on by the stream clock since it was read.
    fn pts_now(&self) -> Option<u64> {
        let run = match self.pts_at {
            Some(_) => 0,
            None => self.clock.map_or(0, |c| c.saturating_sub(self.pts_clock)),
        };
        self.last_pts.map(|p| (p + run % WRAP) % WRAP)
    }

    fn push_at(
        &mut self,
        error: TransportError,
        pid: Option<u16>,
        phase: FindingPhase,
        pts: Option<u64>,
        offset: u64,
    ) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(TransportFinding {
                error,
                pid,
                phase,
                pts,
                offset,
            });
        } else {
            self.overflow += 1;
        }
    }

    /// One packet on the grid (its first byte is where a sync byte is due).
    fn packet(&mut self, p: &[u8], at: u64) {
        if p[0] != SYNC {
            if self.held.is_some() {
                // Two corrupted sync bytes in a row: sync lost; hunt from here.
                self.held = None;
                self.lost = true;
                self.sync_end_pending = false;
                self.push(TransportError::SyncLoss, None, FindingPhase::Began, at);
                self.mode = Mode::Hunt;
                return;
            }
            let mut h = [0u8; TS];
            h.copy_from_slice(&p[..TS]);
            self.held = Some((h, at));
            return;
        }
        if let Some((h, hat)) = self.held.take() {
            self.push(TransportError::SyncByteError, None, FindingPhase::Once, hat);
            self.analyse(&h, hat);
        }
        self.analyse(p, at);
    }

    /// The contents of one packet (its sync byte is not looked at).
    fn analyse(&mut self, p: &[u8], at: u64) {
        self.packets += 1;
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        if pid == NULL_PID {
            return;
        }
        let pusi = p[1] & 0x40 != 0;
        let scrambled = p[3] & 0xC0 != 0;
        let afc = (p[3] >> 4) & 3;
        let cc = p[3] & 0x0F;
        let mut payload_at = 4usize;
        let mut discontinuity = false;
        if afc & 2 != 0 {
            let af = &p[4..TS];
            let af_len = usize::from(af[0]);
            if af_len > 0 {
                discontinuity = af[1] & 0x80 != 0;
            }
            if let Some(pcr) = psi::pcr(af) {
                self.on_pcr(pid, pcr, discontinuity, at);
            }
            payload_at = 5 + af_len;
        }
        let payload = (afc & 1 != 0 && payload_at < TS).then(|| &p[payload_at..TS]);
        if afc & 1 != 0 {
            self.continuity(pid, cc, discontinuity, at);
        }
        let role = self.pids[usize::from(pid)].role;
        if role & (ROLE_PAT | ROLE_PMT) != 0 {
            let (error, table) = if role & ROLE_PAT != 0 {
                (TransportError::PatError, 0x00)
            } else {
                (TransportError::PmtError, 0x02)
            };
            if scrambled {
                self.push(error, Some(pid), FindingPhase::Once, at);
                return;
            }
            let Some(payload) = payload.filter(|_| pusi) else {
                return;
            };
            let Some((table_id, section)) = psi::section(payload) else {
                return;
            };
            if table_id != table {
                self.push(error, Some(pid), FindingPhase::Once, at);
                return;
            }
            self.seen(pid, at);
            if let Some(s) = section.filter(|s| s.table_id == table) {
                if role & ROLE_PAT != 0 {
                    if self.pat_version != Some(s.version) {
                        self.pat_version = Some(s.version);
                        self.update_pat(s.body, at);
                    }
                } else if self.pids[usize::from(pid)].version != s.version {
                    self.pids[usize::from(pid)].version = s.version;
                    self.update_pmt(pid, s.body, at);
                }
            }
            return;
        }
        if role & ROLE_ES != 0 {
            self.seen(pid, at);
        }
        if pusi && !scrambled && pid >= 0x20 {
            if let Some(pts) = payload.and_then(psi::pes_pts) {
                self.last_pts = Some(pts);
                self.pts_clock = self.clock.unwrap_or(0);
                self.pts_at = self.clock.map(|_| at);
                if self.sync_end_pending {
                    self.sync_end_pending = false;
                    self.push(TransportError::SyncLoss, None, FindingPhase::Ended, at);
                }
            }
        }
    }

    fn continuity(&mut self, pid: u16, cc: u8, discontinuity: bool, at: u64) {
        let st = &mut self.pids[usize::from(pid)];
        let error = if st.cc == UNKNOWN || discontinuity || cc == (st.cc + 1) & 0x0F {
            st.dup = 0;
            false
        } else if cc == st.cc {
            // One repeat is allowed; a third copy is an error.
            st.dup += 1;
            st.dup == 2
        } else {
            st.dup = 0;
            true
        };
        st.cc = cc;
        if error {
            self.push(TransportError::CcError, Some(pid), FindingPhase::Once, at);
        }
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

    /// A PAT or PMT section, or a packet of a timed PID, arrived.
    fn seen(&mut self, pid: u16, at: u64) {
        let st = &mut self.pids[usize::from(pid)];
        if self.clock.is_some() {
            st.seen_at = Some(at);
        }
        if st.absent {
            st.absent = false;
            let e = Self::error_of(st.role);
            self.push(e, Some(pid), FindingPhase::Ended, at);
        }
    }

    fn on_pcr(&mut self, pid: u16, pcr: u64, discontinuity: bool, at: u64) {
        match self.pcr_pid {
            None => self.pcr_pid = Some(pid),
            Some(p) if p != pid => return,
            Some(_) => {}
        }
        let Some(c) = self.clock else {
            self.clock = Some(0);
            self.last_pcr = pcr;
            self.pcr_at = at;
            for &t in &self.tracked {
                let st = &mut self.pids[usize::from(t)];
                st.last_seen = 0;
                st.seen_at = None;
            }
            return;
        };
        let step = (pcr + WRAP - self.last_pcr) % WRAP;
        let (from, span) = (self.pcr_at, at.saturating_sub(self.pcr_at).max(1));
        self.last_pcr = pcr;
        self.pcr_at = at;
        let jump = discontinuity || step > MAX_STEP;
        // What was seen between two PCRs is placed on the clock by its byte offset (the stream
        // runs at a constant rate between PCRs); across a jump, at the last PCR.
        let place = |off: u64| {
            if jump {
                c
            } else {
                let part = u128::from(off.saturating_sub(from).min(span));
                c + (u128::from(step) * part / u128::from(span)) as u64
            }
        };
        for &t in &self.tracked {
            let st = &mut self.pids[usize::from(t)];
            if let Some(off) = st.seen_at.take() {
                st.last_seen = place(off);
            }
        }
        if let Some(off) = self.pts_at.take() {
            self.pts_clock = place(off);
        }
        if jump {
            for &t in &self.tracked {
                self.pids[usize::from(t)].last_seen = c;
            }
            return;
        }
        let now = c + step;
        self.clock = Some(now);
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
            let e = Self::error_of(st.role);
            let since = self.pts_now().map(|p| (p + WRAP - gap % WRAP) % WRAP);
            self.push_at(e, Some(pid), FindingPhase::Began, since, at);
        }
    }

    /// Starts timing `pid` in `role`.
    fn track(&mut self, pid: u16, role: u8, owner: u16) {
        let st = &mut self.pids[usize::from(pid)];
        st.role = role;
        st.owner = owner;
        st.version = UNKNOWN;
        st.absent = false;
        st.seen_at = None;
        st.last_seen = self.clock.unwrap_or(0);
        if !self.tracked.contains(&pid) {
            self.tracked.push(pid);
        }
    }

    /// Stops timing the tracked PIDs for which `drop` is true (ending their absence).
    fn untrack(&mut self, at: u64, drop: impl Fn(u16, &PidState) -> bool) {
        let mut i = 0;
        while i < self.tracked.len() {
            let pid = self.tracked[i];
            let st = self.pids[usize::from(pid)];
            if !drop(pid, &st) {
                i += 1;
                continue;
            }
            if st.absent {
                self.push(Self::error_of(st.role), Some(pid), FindingPhase::Ended, at);
            }
            let s = &mut self.pids[usize::from(pid)];
            s.role = 0;
            s.absent = false;
            self.tracked.swap_remove(i);
        }
    }

    fn update_pat(&mut self, body: &[u8], at: u64) {
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
        self.untrack(at, |pid, s| pmt_gone(pid, s) || es_gone.contains(&pid));
        for &pid in named {
            if self.pids[usize::from(pid)].role & ROLE_PMT == 0 {
                self.track(pid, ROLE_PMT, 0);
            }
        }
    }

    fn update_pmt(&mut self, pmt: u16, body: &[u8], at: u64) {
        self.untrack(at, |_, s| s.role & ROLE_ES != 0 && s.owner == pmt);
        for (stream_type, pid) in psi::pmt_streams(body) {
            let free = pid >= 0x20 && pid != NULL_PID && self.pids[usize::from(pid)].role == 0;
            if free && psi::is_audio_video(stream_type) {
                self.track(pid, ROLE_ES, pmt);
            }
        }
    }
}
