//! The TR 101 290 priority-1 analyser: the packet grid ([`grid`](super::grid)) cuts the bytes
//! into packets, whose contents are read here and checked by the continuity counters
//! ([`continuity`](super::continuity)), the table timers ([`tables`](super::tables)) and the
//! stream clock ([`clock`](super::clock)).

use super::clock::{Pcr, StreamClock};
use super::continuity::Continuity;
use super::findings::Findings;
use super::grid::{Grid, Packets, TS};
use super::psi::{self, NULL_PID};
use super::scte35::{CueFinding, Cues};
use super::tables::{Tables, ROLE_ES, ROLE_PAT, ROLE_PMT};
use super::{FindingPhase, TransportError, TransportFinding};

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
    grid: Grid,
    contents: Contents,
    pub(super) findings: Findings,
}

/// Everything that looks at the contents of the packets on the grid.
struct Contents {
    continuity: Continuity,
    tables: Tables,
    clock: StreamClock,
    cues: Cues,
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
            .field("mode", self.grid.mode())
            .field("offset", &self.grid.offset())
            .field("packets", &self.contents.packets)
            .finish_non_exhaustive()
    }
}

impl TsAnalyzer {
    /// A fresh analyser (allocates its per-PID tables, 8192 entries, once).
    pub fn new() -> Self {
        TsAnalyzer {
            grid: Grid::new(),
            contents: Contents {
                continuity: Continuity::new(),
                tables: Tables::new(),
                clock: StreamClock::new(),
                cues: Cues::default(),
                packets: 0,
            },
            findings: Findings::new(),
        }
    }

    /// True once a packet grid was found (the input is MPEG-TS).
    pub fn is_transport_stream(&self) -> bool {
        self.grid.locked_once()
    }

    /// True when the analyser gave up: no packet grid in the first MiB.
    pub fn is_disabled(&self) -> bool {
        self.grid.is_disabled()
    }

    /// Packets analysed (null packets included).
    pub fn packets(&self) -> u64 {
        self.contents.packets
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.grid.offset()
    }

    /// Findings dropped because more than 8192 piled up between two drains.
    pub fn overflowed(&self) -> u64 {
        self.findings.overflowed()
    }

    /// Takes the SCTE-35 cues (and unreadable cue sections) read so far, in input order: the
    /// sections on the PIDs a PMT declares with stream type 0x86 (up to 1024 kept between
    /// drains).
    pub fn drain_cues(&mut self) -> std::vec::Drain<'_, CueFinding> {
        self.contents.cues.found.drain(..)
    }

    /// Takes the findings made so far, in input order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, TransportFinding> {
        self.findings.drain()
    }

    /// The end of the input: settles a packet held for its corrupted sync byte, and ends a
    /// sync loss that was re-acquired. Absences still going on stay open (the detector closes
    /// them at the end of the stream).
    pub fn finish(&mut self) {
        self.grid.finish(&mut self.contents, &mut self.findings);
    }

    /// Analyses the next bytes of the input.
    pub fn feed(&mut self, data: &[u8]) {
        self.grid.feed(data, &mut self.contents, &mut self.findings);
    }
}

impl Packets for Contents {
    fn locked(&mut self) {
        self.continuity.reset();
    }

    fn pts_now(&self) -> Option<u64> {
        self.clock.pts_now()
    }

    fn packet(&mut self, p: &[u8], at: u64, findings: &mut Findings) -> bool {
        self.packets += 1;
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        if pid == NULL_PID {
            return false;
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
                self.on_pcr(pid, pcr, discontinuity, at, findings);
            }
            payload_at = 5 + af_len;
        }
        let payload = (afc & 1 != 0 && payload_at < TS).then(|| &p[payload_at..TS]);
        if afc & 1 != 0 && self.continuity.check(pid, cc, discontinuity) {
            let pts = self.clock.pts_now();
            findings.push(
                TransportError::CcError,
                Some(pid),
                FindingPhase::Once,
                pts,
                at,
            );
        }
        let role = self.tables.role(pid);
        if role & (ROLE_PAT | ROLE_PMT) != 0 {
            let (error, table) = if role & ROLE_PAT != 0 {
                (TransportError::PatError, 0x00)
            } else {
                (TransportError::PmtError, 0x02)
            };
            if scrambled {
                let pts = self.clock.pts_now();
                findings.push(error, Some(pid), FindingPhase::Once, pts, at);
                return false;
            }
            let Some(payload) = payload.filter(|_| pusi) else {
                return false;
            };
            let Some((table_id, section)) = psi::section(payload) else {
                return false;
            };
            let (clock, pts) = (self.clock.now(), self.clock.pts_now());
            if table_id != table {
                findings.push(error, Some(pid), FindingPhase::Once, pts, at);
                return false;
            }
            self.tables.seen(pid, at, clock, pts, findings);
            if let Some(s) = section.filter(|s| s.table_id == table) {
                if table == 0x02 {
                    self.cues.pmt(s.body);
                }
                self.tables.section(pid, s, at, clock, pts, findings);
            }
            return false;
        }
        if !scrambled && self.cues.wants(pid) {
            if let Some(payload) = payload {
                self.cues.payload(pid, pusi, payload, self.clock.pts_now());
            }
            return false;
        }
        if role & ROLE_ES != 0 {
            let (clock, pts) = (self.clock.now(), self.clock.pts_now());
            self.tables.seen(pid, at, clock, pts, findings);
        }
        if pusi && !scrambled && pid >= 0x20 {
            if let Some(pts) = payload.and_then(psi::pes_pts) {
                self.clock.pes_pts(pts, at);
                return true;
            }
        }
        false
    }
}

impl Contents {
    /// A PCR of `pid` at byte `at`: the clock moves, and the timers with it.
    fn on_pcr(
        &mut self,
        pid: u16,
        pcr: u64,
        discontinuity: bool,
        at: u64,
        findings: &mut Findings,
    ) {
        match self.clock.pcr(pid, pcr, discontinuity, at) {
            Pcr::Other => {}
            Pcr::Started => self.tables.clock_started(),
            Pcr::Moved(place) => {
                let pts = self.clock.pts_now();
                self.tables.clock_moved(&place, pts, at, findings);
            }
        }
    }
}
