//! The findings the analyser's parts make, kept until the host drains them.

use super::{FindingPhase, TransportError, TransportFinding};

/// Findings kept between two drains; more are counted in `overflow`.
const MAX_FINDINGS: usize = 8192;

/// The findings made since the last drain, in input order, and how many did not fit.
pub(super) struct Findings {
    list: Vec<TransportFinding>,
    overflow: u64,
}

impl Findings {
    pub(super) fn new() -> Self {
        Findings {
            list: Vec::with_capacity(64),
            overflow: 0,
        }
    }

    /// Records `error` about `pid` at PTS-domain instant `pts`, for the packet at byte `offset`.
    pub(super) fn push(
        &mut self,
        error: TransportError,
        pid: Option<u16>,
        phase: FindingPhase,
        pts: Option<u64>,
        offset: u64,
    ) {
        if self.list.len() < MAX_FINDINGS {
            self.list.push(TransportFinding {
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

    /// Findings dropped because more than [`MAX_FINDINGS`] piled up between two drains.
    pub(super) fn overflowed(&self) -> u64 {
        self.overflow
    }

    /// Takes the findings made so far, in input order.
    pub(super) fn drain(&mut self) -> std::vec::Drain<'_, TransportFinding> {
        self.list.drain(..)
    }

    /// The room of the list (steady state must not grow it).
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.list.capacity()
    }
}
