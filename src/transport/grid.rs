//! Packet grid and sync (TR 101 290 1.1 and 1.2): finding the sync bytes in the input bytes,
//! locking onto the packet grid (188, 192 or 204 bytes), cutting the bytes into packets (one
//! may straddle two chunks), and telling a single corrupted sync byte from a sync loss.

use super::findings::Findings;
use super::{FindingPhase, TransportError};

const SYNC: u8 = 0x47;
/// The size of a transport packet (without M2TS timecode or Reed-Solomon bytes).
pub(super) const TS: usize = 188;
/// Distances between sync bytes: plain TS, M2TS (4-byte timecode), TS with Reed-Solomon bytes.
const STRIDES: [u64; 3] = [188, 192, 204];
/// Consecutive good sync bytes that (re-)acquire the packet grid.
const ACQUIRE: u32 = 5;
/// Bytes without a first lock after which the input is taken for something else than TS.
const GIVE_UP: u64 = 1 << 20;

/// Where the packets the grid cuts go.
pub(super) trait Packets {
    /// The grid was (re-)acquired: what went before does not continue into what follows.
    fn locked(&mut self);
    /// The contents of one packet at byte `at` (its sync byte is not looked at). True when it
    /// carried a PES PTS.
    fn packet(&mut self, p: &[u8], at: u64, findings: &mut Findings) -> bool;
    /// The instant of a finding made now (see `StreamClock::pts_now`).
    fn pts_now(&self) -> Option<u64>;
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Mode {
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

/// The packet grid: where the next sync byte is due, and the bytes of a packet cut by the end
/// of a chunk.
pub(super) struct Grid {
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
}

impl Grid {
    pub(super) fn new() -> Self {
        Grid {
            mode: Mode::Hunt,
            offset: 0,
            part: [0; TS],
            part_len: 0,
            part_offset: 0,
            held: None,
            locked_once: false,
            lost: false,
            sync_end_pending: false,
        }
    }

    pub(super) fn mode(&self) -> &Mode {
        &self.mode
    }

    /// Bytes fed so far.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// True once a packet grid was found.
    pub(super) fn locked_once(&self) -> bool {
        self.locked_once
    }

    /// True when no packet grid was found in the first MiB.
    pub(super) fn is_disabled(&self) -> bool {
        matches!(self.mode, Mode::Disabled)
    }

    /// The end of the input: settles a packet held for its corrupted sync byte, and ends a
    /// sync loss that was re-acquired.
    pub(super) fn finish(&mut self, out: &mut impl Packets, findings: &mut Findings) {
        if let Some((p, at)) = self.held.take() {
            let pts = out.pts_now();
            findings.push(
                TransportError::SyncByteError,
                None,
                FindingPhase::Once,
                pts,
                at,
            );
            self.contents(&p, at, out, findings);
        }
        if self.sync_end_pending {
            self.sync_end_pending = false;
            let at = self.offset;
            let pts = out.pts_now();
            findings.push(TransportError::SyncLoss, None, FindingPhase::Ended, pts, at);
        }
    }

    /// Cuts the next bytes of the input into packets for `out`.
    pub(super) fn feed(&mut self, data: &[u8], out: &mut impl Packets, findings: &mut Findings) {
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
                        self.lock(STRIDES[k], abs, out);
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
                            self.packet(&p, at, out, findings);
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
                        self.packet(&data[i..i + TS], abs, out, findings);
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

    fn lock(&mut self, stride: u64, at: u64, out: &mut impl Packets) {
        self.mode = Mode::Locked { stride, next: at };
        self.locked_once = true;
        self.held = None;
        self.part_len = 0;
        out.locked();
        if self.lost {
            self.lost = false;
            self.sync_end_pending = true;
        }
    }

    /// One packet on the grid (its first byte is where a sync byte is due).
    fn packet(&mut self, p: &[u8], at: u64, out: &mut impl Packets, findings: &mut Findings) {
        if p[0] != SYNC {
            if self.held.is_some() {
                // Two corrupted sync bytes in a row: sync lost; hunt from here.
                self.held = None;
                self.lost = true;
                self.sync_end_pending = false;
                let pts = out.pts_now();
                findings.push(TransportError::SyncLoss, None, FindingPhase::Began, pts, at);
                self.mode = Mode::Hunt;
                return;
            }
            let mut h = [0u8; TS];
            h.copy_from_slice(&p[..TS]);
            self.held = Some((h, at));
            return;
        }
        if let Some((h, hat)) = self.held.take() {
            let pts = out.pts_now();
            findings.push(
                TransportError::SyncByteError,
                None,
                FindingPhase::Once,
                pts,
                hat,
            );
            self.contents(&h, hat, out, findings);
        }
        self.contents(p, at, out, findings);
    }

    /// Hands the packet at byte `at` to `out`; its PES PTS ends a re-acquired sync loss.
    fn contents(&mut self, p: &[u8], at: u64, out: &mut impl Packets, findings: &mut Findings) {
        if out.packet(p, at, findings) && self.sync_end_pending {
            self.sync_end_pending = false;
            let pts = out.pts_now();
            findings.push(TransportError::SyncLoss, None, FindingPhase::Ended, pts, at);
        }
    }
}
