//! Continuity counters per PID (TR 101 290 1.4).

use super::psi::PIDS;

/// No counter seen yet on a PID (or since the grid was re-acquired).
const UNKNOWN: u8 = 0xFF;

/// One PID's latest continuity counter and how many times in a row it was repeated.
#[derive(Clone, Copy, Debug)]
struct Counter {
    cc: u8,
    dup: u8,
}

const FRESH: Counter = Counter {
    cc: UNKNOWN,
    dup: 0,
};

/// The continuity counters of every PID.
pub(super) struct Continuity {
    pids: Box<[Counter]>,
}

impl Continuity {
    /// Counters for every PID, none seen (allocated once).
    pub(super) fn new() -> Self {
        Continuity {
            pids: vec![FRESH; PIDS].into_boxed_slice(),
        }
    }

    /// Forgets every counter (the packet grid was re-acquired).
    pub(super) fn reset(&mut self) {
        for p in self.pids.iter_mut() {
            p.cc = UNKNOWN;
            p.dup = 0;
        }
    }

    /// A packet with a payload on `pid` with counter `cc` (`discontinuity`: its adaptation
    /// field's `discontinuity_indicator`). True when the counter is a continuity error: out of
    /// order, a packet lost, or a third copy of one packet.
    pub(super) fn check(&mut self, pid: u16, cc: u8, discontinuity: bool) -> bool {
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
        error
    }
}
