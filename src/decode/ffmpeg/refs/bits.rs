//! Start codes and the bit reader of H.264 NAL unit payloads.

/// Index just after the next `00 00 01` at or after `from`.
pub(super) fn next_start(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 3 <= data.len() {
        if data[i + 2] > 1 {
            i += 3;
        } else if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            return Some(i + 3);
        } else {
            i += 1;
        }
    }
    None
}

/// A bit reader over a NAL unit's payload that drops emulation prevention bytes
/// (`00 00 03`) as it goes.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Next byte to load.
    pos: usize,
    /// Zero bytes just read (for emulation prevention).
    zeros: u8,
    cur: u8,
    /// Bits left in `cur`.
    left: u8,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            zeros: 0,
            cur: 0,
            left: 0,
        }
    }

    fn bit(&mut self) -> Option<u32> {
        if self.left == 0 {
            let mut b = *self.data.get(self.pos)?;
            self.pos += 1;
            if self.zeros >= 2 && b == 3 {
                self.zeros = 0;
                b = *self.data.get(self.pos)?;
                self.pos += 1;
            }
            self.zeros = if b == 0 {
                self.zeros.saturating_add(1)
            } else {
                0
            };
            self.cur = b;
            self.left = 8;
        }
        self.left -= 1;
        Some(u32::from((self.cur >> self.left) & 1))
    }

    /// Bits left in the byte being read (0 at a byte boundary).
    pub(super) fn left_in_byte(&self) -> u32 {
        u32::from(self.left)
    }

    /// Bytes of the payload consumed so far, emulation prevention bytes included.
    pub(super) fn consumed(&self) -> usize {
        self.pos
    }

    /// One bit as a flag.
    pub(super) fn flag(&mut self) -> Option<bool> {
        Some(self.bit()? == 1)
    }

    pub(super) fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }

    /// Unsigned Exp-Golomb.
    pub(super) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    /// Signed Exp-Golomb.
    pub(super) fn se(&mut self) -> Option<i64> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}
