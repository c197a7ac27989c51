//! Reading PSI sections (PAT, PMT) that start in one packet's payload. Sections longer than the
//! rest of their first packet are read as far as that packet goes (PATs and PMTs of ordinary
//! services fit in one packet). Also the PES PTS and the PCR, and the PID numbers.

/// Number of PIDs (13 bits).
pub(super) const PIDS: usize = 8192;
/// The PID of null packets (stuffing, never checked).
pub(super) const NULL_PID: u16 = 0x1FFF;

/// The start of a section at the start of a payload.
pub(super) struct Section<'a> {
    pub table_id: u8,
    pub version: u8,
    /// The bytes after the 8-byte long header, up to the CRC (clipped to the packet).
    pub body: &'a [u8],
}

/// The table_id of the section that starts in `payload` (a payload with
/// `payload_unit_start_indicator`), and the section when it has a long header. `None` for
/// stuffing (table_id 0xFF) or a pointer past the packet.
pub(super) fn section(payload: &[u8]) -> Option<(u8, Option<Section<'_>>)> {
    let pointer = *payload.first()? as usize;
    let s = payload.get(1 + pointer..)?;
    let table_id = *s.first()?;
    if table_id == 0xFF {
        return None;
    }
    if s.len() < 8 {
        return Some((table_id, None));
    }
    let length = (usize::from(s[1] & 0x0F) << 8) | usize::from(s[2]);
    let end = (3 + length).saturating_sub(4).min(s.len());
    let body = s.get(8..end).unwrap_or(&[]);
    let version = (s[5] >> 1) & 0x1F;
    Some((
        table_id,
        Some(Section {
            table_id,
            version,
            body,
        }),
    ))
}

/// The PMT PIDs of a PAT body (program 0, the network PID, is skipped).
pub(super) fn pat_pmts(body: &[u8]) -> impl Iterator<Item = u16> + '_ {
    body.chunks_exact(4).filter_map(|e| {
        let program = u16::from_be_bytes([e[0], e[1]]);
        let pid = u16::from_be_bytes([e[2], e[3]]) & 0x1FFF;
        (program != 0).then_some(pid)
    })
}

/// The `(stream_type, PID)` pairs of a PMT body.
pub(super) fn pmt_streams(body: &[u8]) -> impl Iterator<Item = (u8, u16)> + '_ {
    let info = body
        .get(2..4)
        .map_or(0, |b| (usize::from(b[0] & 0x0F) << 8) | usize::from(b[1]));
    let mut rest = body.get(4 + info..).unwrap_or(&[]);
    std::iter::from_fn(move || {
        if rest.len() < 5 {
            return None;
        }
        let stream_type = rest[0];
        let pid = u16::from_be_bytes([rest[1], rest[2]]) & 0x1FFF;
        let es_info = (usize::from(rest[3] & 0x0F) << 8) | usize::from(rest[4]);
        rest = rest.get(5 + es_info..).unwrap_or(&[]);
        Some((stream_type, pid))
    })
}

/// Stream types of audio and video elementary streams (ISO 13818-1 table 2-34 and common
/// registrations): the PIDs whose absence is a PID error. Private data (0x06: subtitles,
/// teletext, sometimes AC-3), SCTE-35 cues and metadata may legitimately stay silent.
pub(super) fn is_audio_video(stream_type: u8) -> bool {
    matches!(
        stream_type,
        0x01 | 0x02 | 0x10 | 0x1B | 0x20 | 0x24 | 0x33 | 0x42 | 0xD1 | 0xEA // video
            | 0x03 | 0x04 | 0x0F | 0x11 | 0x1C | 0x81 | 0x82 | 0x83 | 0x84 | 0x87 // audio
    )
}

/// The 33-bit PTS of a PES header at the start of `payload`, if it has one.
pub(super) fn pes_pts(payload: &[u8]) -> Option<u64> {
    if payload.len() < 14 || payload[..3] != [0, 0, 1] {
        return None;
    }
    // Stream ids without the optional PES header (padding, private_stream_2, ...).
    if matches!(
        payload[3],
        0xBC | 0xBE | 0xBF | 0xF0 | 0xF1 | 0xF2 | 0xF8 | 0xFF
    ) {
        return None;
    }
    if payload[6] & 0xC0 != 0x80 || payload[7] & 0x80 == 0 {
        return None;
    }
    let b = &payload[9..14];
    Some(
        (u64::from(b[0] >> 1) & 0x07) << 30
            | u64::from(b[1]) << 22
            | (u64::from(b[2]) >> 1) << 15
            | u64::from(b[3]) << 7
            | u64::from(b[4]) >> 1,
    )
}

/// The 33-bit PCR base of an adaptation field (starting at its length byte), if it has one.
pub(super) fn pcr(af: &[u8]) -> Option<u64> {
    let len = usize::from(*af.first()?);
    if len < 7 || af.len() < 8 || af[1] & 0x10 == 0 {
        return None;
    }
    let b = &af[2..7];
    Some(
        u64::from(b[0]) << 25
            | u64::from(b[1]) << 17
            | u64::from(b[2]) << 9
            | u64::from(b[3]) << 1
            | u64::from(b[4]) >> 7,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pts_and_pcr_decode() {
        // PTS 0x1_2345_6789 encoded with marker bits.
        let v: u64 = 0x1_2345_6789;
        let mut pes = [0u8; 14];
        pes[..3].copy_from_slice(&[0, 0, 1]);
        pes[3] = 0xE0;
        pes[6] = 0x80;
        pes[7] = 0x80;
        pes[9] = 0x21 | (((v >> 30) as u8 & 0x07) << 1);
        pes[10] = (v >> 22) as u8;
        pes[11] = (((v >> 15) as u8) << 1) | 1;
        pes[12] = (v >> 7) as u8;
        pes[13] = ((v as u8) << 1) | 1;
        assert_eq!(pes_pts(&pes), Some(v));
        let mut af = [0u8; 8];
        af[0] = 7;
        af[1] = 0x10;
        af[2] = (v >> 25) as u8;
        af[3] = (v >> 17) as u8;
        af[4] = (v >> 9) as u8;
        af[5] = (v >> 1) as u8;
        af[6] = ((v as u8) & 1) << 7;
        assert_eq!(pcr(&af), Some(v));
        af[1] = 0;
        assert_eq!(pcr(&af), None);
    }

    #[test]
    fn pmt_streams_skip_descriptors() {
        // pcr pid, program_info_length 2 (+2 bytes), then two streams, the first with 3 bytes of
        // descriptors.
        let body = [
            0xE1, 0x00, 0xF0, 0x02, 0xAA, 0xBB, 0x1B, 0xE1, 0x00, 0xF0, 0x03, 1, 2, 3, 0x0F, 0xE1,
            0x01, 0xF0, 0x00,
        ];
        let s: Vec<_> = pmt_streams(&body).collect();
        assert_eq!(s, vec![(0x1B, 0x100), (0x0F, 0x101)]);
    }
}
