//! SCTE-35 (ANSI/SCTE 35) `splice_info_section`s on the PIDs a PMT declares with stream type
//! 0x86: sections reassembled across packets, CRC-checked and read (`splice_null`,
//! `splice_insert`, `time_signal` with its segmentation descriptors).
//!
//! Written here rather than on the `scte35-reader` crate: that crate reports CRC and parse
//! errors only to its log (a monitor must report them), keeps a `splice_insert`'s break
//! duration in private fields, and needs an `mpeg2ts-reader` demultiplexer context to read
//! one section.

use crate::media::{SpliceCommand, SpliceCue};

/// The PMT stream type of SCTE-35 cues.
pub(super) const STREAM_TYPE: u8 = 0x86;
/// Longest section (`section_length` is 12 bits, at most 4093 after the 3-byte header).
const MAX_SECTION: usize = 4096;
/// The 90 kHz PTS domain wraps at 2^33.
const WRAP: u64 = 1 << 33;

/// One SCTE-35 section read from the stream: the cue, or why it could not be read; `pts` is
/// the stream's presentation time when it arrived (90 kHz, from the PES timestamps around it).
#[derive(Clone, Debug, PartialEq)]
pub struct CueFinding {
    /// The PID that carried it.
    pub pid: u16,
    /// The cue, or what was wrong with the section (CRC error, malformed).
    pub cue: Result<SpliceCue, String>,
    /// The stream's 90 kHz presentation time at its arrival, when known.
    pub pts: Option<u64>,
}

/// The MPEG-2 CRC-32 (polynomial 0x04C11DB7, no reflection, initial 0xFFFFFFFF) of `data`; a
/// section followed by its own CRC sums to 0.
pub(super) fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A cursor over a section's bytes; reading past the end is an error.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("section too short".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A 33-bit time in the low bit of a byte and the 4 bytes after it.
    fn time33(&mut self, first: u8) -> Result<u64, String> {
        Ok((u64::from(first & 1) << 32) | u64::from(self.u32()?))
    }
    /// `splice_time()`: the PTS when `time_specified_flag` is set.
    fn splice_time(&mut self) -> Result<Option<u64>, String> {
        let b = self.u8()?;
        if b & 0x80 == 0 {
            return Ok(None);
        }
        self.time33(b).map(Some)
    }
}

/// Segmentation types that start a break, an ad or a placement opportunity (out); the type
/// after each (odd) ends it (in).
fn segmentation_out(type_id: u8) -> Option<bool> {
    match type_id {
        0x22 | 0x30 | 0x32 | 0x34 | 0x36 | 0x38 | 0x3A | 0x3C | 0x3E | 0x44 | 0x46 => Some(true),
        0x23 | 0x31 | 0x33 | 0x35 | 0x37 | 0x39 | 0x3B | 0x3D | 0x3F | 0x45 | 0x47 => Some(false),
        _ => None,
    }
}

/// Reads one complete `splice_info_section` (table_id 0xFC up to and including its CRC).
///
/// ```
/// use avqc::transport::parse_splice_info;
/// use avqc::SpliceCommand;
/// // splice_insert, event 1, out of network, splice at PTS 0x2d142b00, a 212.5 s break
/// let s = [0xfc, 0x30, 0x25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xf0, 0x14,
///     0x05, 0x00, 0x00, 0x00, 0x01, 0x7f, 0xef, 0xfe, 0x2d, 0x14, 0x2b, 0x00, 0xfe, 0x01,
///     0x23, 0xd3, 0x08, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x7f, 0x15, 0x7a, 0x49];
/// let cue = parse_splice_info(&s, 500).unwrap();
/// assert_eq!(cue.command, SpliceCommand::SpliceInsert);
/// assert_eq!((cue.event_id, cue.out_of_network), (Some(1), Some(true)));
/// assert_eq!(cue.splice_pts, Some(0x2d142b00));
/// assert_eq!(cue.duration_secs, Some(19_125_000.0 / 90_000.0));
/// ```
pub fn parse_splice_info(section: &[u8], pid: u16) -> Result<SpliceCue, String> {
    if section.first() != Some(&0xFC) {
        return Err(format!(
            "table_id {:#04x}, not 0xfc",
            section.first().unwrap_or(&0)
        ));
    }
    if section.len() < 3 {
        return Err("section too short".into());
    }
    let length = (usize::from(section[1] & 0x0F) << 8) | usize::from(section[2]);
    let Some(section) = section.get(..3 + length) else {
        return Err("section shorter than its section_length".into());
    };
    if length < 15 {
        return Err("section too short".into());
    }
    if crc32_mpeg2(section) != 0 {
        return Err("CRC error".into());
    }
    let mut r = Reader(&section[3..section.len() - 4]);
    let _protocol_version = r.u8()?;
    let b = r.u8()?;
    if b & 0x80 != 0 {
        return Err("encrypted section".into());
    }
    let pts_adjustment = r.time33(b)?;
    let _cw_index = r.u8()?;
    let tl = r.take(3)?;
    let command_length = (usize::from(tl[1] & 0x0F) << 8) | usize::from(tl[2]);
    let command_type = r.u8()?;
    let mut cue = SpliceCue {
        pid,
        command: match command_type {
            0x00 => SpliceCommand::SpliceNull,
            0x05 => SpliceCommand::SpliceInsert,
            0x06 => SpliceCommand::TimeSignal,
            t => SpliceCommand::Other(t),
        },
        event_id: None,
        cancel: false,
        out_of_network: None,
        immediate: false,
        splice_pts: None,
        pts_adjustment,
        duration_secs: None,
        segmentation_type_id: None,
        auto_return: false,
    };
    // 0xFFF: the legacy "unknown length"; the command is then read to its own end.
    let mut c = if command_length == 0xFFF {
        Reader(r.0)
    } else {
        Reader(r.take(command_length)?)
    };
    match cue.command {
        SpliceCommand::SpliceInsert => splice_insert(&mut c, &mut cue)?,
        SpliceCommand::TimeSignal => cue.splice_pts = c.splice_time()?,
        _ => {}
    }
    if command_length == 0xFFF {
        r = c;
    }
    let dl = r.take(2)?;
    let descriptors = r.take((usize::from(dl[0]) << 8) | usize::from(dl[1]))?;
    read_descriptors(descriptors, &mut cue)?;
    cue.splice_pts = cue.splice_pts.map(|t| (t + pts_adjustment) % WRAP);
    Ok(cue)
}

fn splice_insert(c: &mut Reader<'_>, cue: &mut SpliceCue) -> Result<(), String> {
    cue.event_id = Some(c.u32()?);
    cue.cancel = c.u8()? & 0x80 != 0;
    if cue.cancel {
        return Ok(());
    }
    let f = c.u8()?;
    let (out, program, has_duration, immediate) =
        (f & 0x80 != 0, f & 0x40 != 0, f & 0x20 != 0, f & 0x10 != 0);
    cue.out_of_network = Some(out);
    cue.immediate = immediate;
    if program {
        if !immediate {
            cue.splice_pts = c.splice_time()?;
        }
    } else {
        // component splices: the first component's time stands for the cue
        for _ in 0..c.u8()? {
            let _tag = c.u8()?;
            if !immediate {
                let t = c.splice_time()?;
                cue.splice_pts = cue.splice_pts.or(t);
            }
        }
    }
    if has_duration {
        let b = c.u8()?;
        cue.auto_return = b & 0x80 != 0;
        cue.duration_secs = Some(c.time33(b)? as f64 / 90_000.0);
    }
    Ok(())
}

/// The segmentation descriptors (tag 0x02, identifier "CUEI"); the first one describes the cue.
fn read_descriptors(mut d: &[u8], cue: &mut SpliceCue) -> Result<(), String> {
    while d.len() >= 2 {
        let (tag, len) = (d[0], usize::from(d[1]));
        let Some(body) = d.get(2..2 + len) else {
            return Err("descriptor longer than its loop".into());
        };
        d = &d[2 + len..];
        if tag != 0x02 || body.get(..4) != Some(b"CUEI") || cue.segmentation_type_id.is_some() {
            continue;
        }
        let mut r = Reader(&body[4..]);
        let id = r.u32()?;
        let cancel = r.u8()? & 0x80 != 0;
        if cue.command != SpliceCommand::SpliceInsert {
            cue.event_id = Some(id);
            cue.cancel |= cancel;
        }
        if cancel {
            continue;
        }
        let f = r.u8()?;
        if f & 0x80 == 0 {
            // not program-wide: a component tag and 33-bit offset each
            let n = usize::from(r.u8()?);
            r.take(6 * n)?;
        }
        let duration = if f & 0x40 != 0 {
            let b = r.take(5)?;
            Some(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)) as f64 / 90_000.0)
        } else {
            None
        };
        let _upid_type = r.u8()?;
        let upid_len = usize::from(r.u8()?);
        r.take(upid_len)?;
        let type_id = r.u8()?;
        cue.segmentation_type_id = Some(type_id);
        if cue.command != SpliceCommand::SpliceInsert {
            cue.duration_secs = cue.duration_secs.or(duration);
            cue.out_of_network = segmentation_out(type_id);
        }
    }
    Ok(())
}

/// Reassembles the sections of the SCTE-35 PIDs.
#[derive(Default)]
pub(super) struct Cues {
    /// The PIDs a PMT declared with stream type 0x86 (few).
    pids: Vec<u16>,
    /// The section being assembled on each PID.
    partial: Vec<(u16, Vec<u8>)>,
    pub(super) found: Vec<CueFinding>,
}

impl Cues {
    /// A PMT body: its 0x86 streams are cue PIDs (added; a service's cue PID rarely moves).
    pub(super) fn pmt(&mut self, body: &[u8]) {
        for (stream_type, pid) in super::psi::pmt_streams(body) {
            if stream_type == STREAM_TYPE && !self.pids.contains(&pid) {
                self.pids.push(pid);
            }
        }
    }

    /// True for a cue PID.
    pub(super) fn wants(&self, pid: u16) -> bool {
        !self.pids.is_empty() && self.pids.contains(&pid)
    }

    /// The payload of a packet of cue PID `pid`; `pts` is the stream's time now.
    pub(super) fn payload(&mut self, pid: u16, pusi: bool, payload: &[u8], pts: Option<u64>) {
        let i = match self.partial.iter().position(|(p, _)| *p == pid) {
            Some(i) => i,
            None => {
                self.partial.push((pid, Vec::new()));
                self.partial.len() - 1
            }
        };
        let mut rest = payload;
        if pusi {
            let Some((&pointer, after)) = rest.split_first() else {
                return;
            };
            let pointer = usize::from(pointer).min(after.len());
            // the end of the section in progress, then new sections
            if !self.partial[i].1.is_empty() {
                self.partial[i].1.extend_from_slice(&after[..pointer]);
                self.complete(i, pts);
            }
            self.partial[i].1.clear();
            rest = &after[pointer..];
            self.start(i, rest, pts);
        } else if !self.partial[i].1.is_empty() {
            self.partial[i].1.extend_from_slice(rest);
            self.complete(i, pts);
        }
    }

    /// Sections starting at `data` (after a pointer field).
    fn start(&mut self, i: usize, mut data: &[u8], pts: Option<u64>) {
        while data.first().is_some_and(|&t| t != 0xFF) {
            let take = match data.get(1..3) {
                Some(l) => {
                    (3 + ((usize::from(l[0] & 0x0F) << 8) | usize::from(l[1]))).min(data.len())
                }
                None => data.len(),
            };
            self.partial[i].1.extend_from_slice(&data[..take]);
            data = &data[take..];
            if !self.complete(i, pts) {
                return;
            }
        }
    }

    /// Reads the section on `partial[i]` once it is whole (true then, or when it was dropped).
    fn complete(&mut self, i: usize, pts: Option<u64>) -> bool {
        let (pid, buf) = &mut self.partial[i];
        if buf.len() < 3 {
            return false;
        }
        let need = 3 + ((usize::from(buf[1] & 0x0F) << 8) | usize::from(buf[2]));
        if buf.len() < need {
            if buf.len() > MAX_SECTION {
                buf.clear();
                return true;
            }
            return false;
        }
        let cue = parse_splice_info(&buf[..need], *pid);
        // bounded between two drains (cues come a few a minute)
        if self.found.len() < 1024 {
            self.found.push(CueFinding {
                pid: *pid,
                cue,
                pts,
            });
        }
        buf.clear();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_split_over_two_packets_is_read_once_whole() {
        let s = [
            0xfc, 0x30, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00,
            0x00, 0x00,
        ];
        let mut section = s.to_vec();
        let crc = crc32_mpeg2(&section);
        section.extend_from_slice(&crc.to_be_bytes());
        assert_eq!(crc32_mpeg2(&section), 0);
        let mut c = Cues::default();
        c.pmt(&[0xe1, 0x00, 0xf0, 0x00, 0x86, 0xe1, 0xf4, 0xf0, 0x00]);
        assert!(c.wants(500));
        let mut first = vec![0u8];
        first.extend_from_slice(&section[..8]);
        c.payload(500, true, &first, Some(9));
        assert!(c.found.is_empty());
        let mut second = section[8..].to_vec();
        second.extend_from_slice(&[0xff; 10]);
        c.payload(500, false, &second, Some(10));
        assert_eq!(c.found.len(), 1, "{:?}", c.found);
        let cue = c.found[0].cue.as_ref().unwrap();
        assert_eq!(cue.command, SpliceCommand::SpliceNull);
        // a broken CRC is an error, not a cue
        let mut bad = vec![0u8];
        bad.extend_from_slice(&section);
        let n = bad.len();
        bad[n - 1] ^= 1;
        c.payload(500, true, &bad, None);
        assert_eq!(c.found[1].cue, Err("CRC error".into()));
    }

    #[test]
    fn damaged_sections_are_errors_never_panics() {
        let good = [
            0xfc, 0x30, 0x25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xf0, 0x14, 0x05,
            0x00, 0x00, 0x00, 0x01, 0x7f, 0xef, 0xfe, 0x2d, 0x14, 0x2b, 0x00, 0xfe, 0x01, 0x23,
            0xd3, 0x08, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x7f, 0x15, 0x7a, 0x49,
        ];
        assert!(parse_splice_info(&good, 1).is_ok());
        for n in 0..good.len() {
            assert!(parse_splice_info(&good[..n], 1).is_err(), "cut at {n}");
        }
        // every single bit flipped: the CRC (or the table_id) catches it
        for i in 0..good.len() * 8 {
            let mut s = good;
            s[i / 8] ^= 1 << (i % 8);
            assert!(parse_splice_info(&s, 1).is_err(), "bit {i}");
        }
        // lengths that lie, with a matching CRC: read within bounds
        for (at, v) in [(12usize, 0xffu8), (11, 0xff), (2, 0x0f), (35, 0x7f)] {
            let mut s = good[..good.len() - 4].to_vec();
            s[at] = v;
            let crc = crc32_mpeg2(&s);
            s.extend_from_slice(&crc.to_be_bytes());
            let _ = parse_splice_info(&s, 1);
            let mut c = Cues::default();
            c.pmt(&[0xe1, 0x00, 0xf0, 0x00, 0x86, 0xe0, 0x01, 0xf0, 0x00]);
            let mut p = vec![0u8];
            p.extend_from_slice(&s);
            c.payload(1, true, &p, None);
            c.payload(1, false, &s, None);
        }
    }
}
