//! The demuxing side: the open input, the packet it reads into, and what a read came to.

use std::time::{Duration, Instant};

use crate::ffi::{FfError, Input, Packet, ReadOutcome};

/// Consecutive unreadable packets tolerated before the input is given up.
const MAX_INVALID_READS: u32 = 1000;
/// Wall time spent waiting in reads for one packet after which data that comes back with
/// jumped timestamps is taken as a restarted input (see `clock::Joint`). Only time blocked in
/// the reads counts: a decoder held up by its consumer is not a gap in the input.
const RESTART_GAP: Duration = Duration::from_secs(1);

/// What one read came to.
pub(super) enum Step {
    /// A packet is in [`Demux::packet`]; `after_gap` when waiting for it took
    /// [`RESTART_GAP`] or longer.
    Packet { after_gap: bool },
    /// Nothing this time (no data yet, or an unreadable packet skipped): read again.
    Again,
    /// The input has ended.
    End,
    /// The stop signal interrupted the read.
    Interrupted,
    /// The input failed; the message says why.
    Failed(String),
}

/// The open input and the packet it reads into (reused: no allocation per packet).
pub(super) struct Demux {
    input: Input,
    packet: Packet,
    invalid_reads: u32,
    /// Since when the reads wait for the next packet (wall clock).
    wait_since: Option<Instant>,
}

impl Demux {
    pub(super) fn new(input: Input, packet: Packet) -> Self {
        Demux {
            input,
            packet,
            invalid_reads: 0,
            wait_since: None,
        }
    }

    /// The packet the latest [`Step::Packet`] read.
    pub(super) fn packet(&self) -> &Packet {
        &self.packet
    }

    /// Reads the next packet.
    pub(super) fn read(&mut self) -> Step {
        let since = *self.wait_since.get_or_insert_with(Instant::now);
        match self.input.read(&mut self.packet) {
            Ok(ReadOutcome::Packet) => {
                self.invalid_reads = 0;
                self.wait_since = None;
                Step::Packet {
                    after_gap: since.elapsed() >= RESTART_GAP,
                }
            }
            Ok(ReadOutcome::Again) => {
                std::thread::sleep(Duration::from_millis(5));
                Step::Again
            }
            Ok(ReadOutcome::End) => Step::End,
            Err(FfError::Interrupted) => Step::Interrupted,
            Err(FfError::InvalidData) => {
                self.invalid_reads += 1;
                if self.invalid_reads > MAX_INVALID_READS {
                    Step::Failed(format!(
                        "{MAX_INVALID_READS} consecutive unreadable packets"
                    ))
                } else {
                    Step::Again
                }
            }
            Err(e) => Step::Failed(self.input.take_io_error().unwrap_or_else(|| e.message())),
        }
    }
}
