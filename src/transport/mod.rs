//! MPEG-TS transport checks: the ETSI TR 101 290 priority-1 set, from the bytes of the input.
//!
//! [`TsAnalyzer`] is a pure-Rust analyser fed with the raw bytes of a transport stream in chunks
//! of any size (a 188-byte packet may straddle two chunks). It finds:
//!
//! | error | TR 101 290 | what is checked |
//! |---|---|---|
//! | [`SyncLoss`](TransportError::SyncLoss) | 1.1 | two or more consecutive corrupted sync bytes; ends when five consecutive good sync bytes re-acquire the packet grid |
//! | [`SyncByteError`](TransportError::SyncByteError) | 1.2 | one sync byte not `0x47` (a single one: two in a row are a sync loss) |
//! | [`PatError`](TransportError::PatError) | 1.3 | no PAT section (table_id 0) on PID 0 for 0.5 s, a section with another table_id on PID 0, or PID 0 scrambled |
//! | [`CcError`](TransportError::CcError) | 1.4 | a continuity counter out of order, a packet lost, or a packet sent more than twice (not after a `discontinuity_indicator`; null packets are not checked) |
//! | [`PmtError`](TransportError::PmtError) | 1.5 | a PMT PID named in the PAT without a PMT section (table_id 2) for 0.5 s, another table_id on it, or it scrambled |
//! | [`PidError`](TransportError::PidError) | 1.6 | an audio or video elementary PID named in a PMT absent for 1 s (the `transport` detector reports it after its `pid_timeout`, 5 s by default) |
//!
//! Absences are measured on the stream's own clock (the PCR of the first PID carrying one), so
//! a file is judged like the live stream it came from, at any analysis speed; a PCR jump of more
//! than 10 s (a discontinuity) restarts the timers. Every finding carries the latest PES
//! presentation timestamp seen before it, which the decoder maps to media time.
//!
//! It also reads the SCTE-35 cues (`splice_info_section`s on the PIDs a PMT declares with
//! stream type 0x86; [`TsAnalyzer::drain_cues`], [`parse_splice_info`]): each complete
//! section is a [`CueFinding`], a cue or a CRC error / malformed section.
//!
//! Packets of 188 bytes and the 192-byte (M2TS, timecode first) and 204-byte (Reed-Solomon)
//! variants are recognised. Input in which no packet grid is found in the first MiB is not
//! MPEG-TS: the analyser disables itself and stays quiet. After the first lock, the analyser
//! works without allocating per packet; it copies only the packets that straddle two chunks.
//!
//! ```
//! use avqc::transport::{FindingPhase, TransportError, TsAnalyzer};
//! // Packets of PID 0x100 with continuity counters 0..=15, but number 9 lost (the first five
//! // packets lock the analyser onto the packet grid).
//! let mut ts = Vec::new();
//! for cc in (0u8..16).filter(|&c| c != 9) {
//!     let mut p = [0xFFu8; 188];
//!     p[..4].copy_from_slice(&[0x47, 0x01, 0x00, 0x10 | cc]);
//!     ts.extend_from_slice(&p);
//! }
//! let mut a = TsAnalyzer::new();
//! a.feed(&ts[..300]); // any split
//! a.feed(&ts[300..]);
//! a.finish();
//! let found: Vec<_> = a.drain().collect();
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].error, TransportError::CcError);
//! assert_eq!(found[0].pid, Some(0x100));
//! assert_eq!(found[0].phase, FindingPhase::Once);
//! ```

mod analyzer;
mod clock;
mod continuity;
mod findings;
mod grid;
mod psi;
mod scte35;
mod tables;

pub use analyzer::TsAnalyzer;
pub use scte35::{parse_splice_info, CueFinding};

use crate::event::DefectKind;
pub use crate::media::{FindingPhase, TransportError};

impl TransportError {
    /// The defect name reported for it, e.g. `transport_cc_error`.
    ///
    /// ```
    /// assert_eq!(avqc::transport::TransportError::PatError.defect().as_str(), "transport_pat_error");
    /// ```
    pub fn defect(self) -> DefectKind {
        DefectKind::from_static(self.name())
    }
}

/// One finding of the [`TsAnalyzer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportFinding {
    /// Which error.
    pub error: TransportError,
    /// The PID concerned (`None` for sync errors).
    pub pid: Option<u16>,
    /// One occurrence, or the start or end of a condition.
    pub phase: FindingPhase,
    /// The instant, as a 33-bit 90 kHz timestamp in the PTS domain (the latest PES PTS seen,
    /// set back by the measured gap for an absence); `None` before any PTS was seen.
    pub pts: Option<u64>,
    /// Byte offset in the input of the packet concerned.
    pub offset: u64,
}

#[cfg(test)]
mod tests;
