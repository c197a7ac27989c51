//! Unit tests of the analyser on hand-made packets.

use super::*;

const PMT: u16 = 0x1000;
const VIDEO: u16 = 0x100;
const AUDIO: u16 = 0x101;

/// A tiny multiplexer of hand-made packets: PAT and PMT every 100 ms, a video packet with a PCR
/// and a PES header (PTS) every 40 ms, an audio packet every 20 ms, on a 10 ms tick.
struct Mux {
    cc: [u8; 8192],
    out: Vec<u8>,
    skip_pat: bool,
    skip_pmt: bool,
    skip_audio: bool,
}

impl Mux {
    fn new() -> Self {
        Mux {
            cc: [0; 8192],
            out: Vec::new(),
            skip_pat: false,
            skip_pmt: false,
            skip_audio: false,
        }
    }

    fn packet(&mut self, pid: u16, pusi: bool, af: &[u8], payload: &[u8]) {
        let mut p = [0xFFu8; 188];
        p[0] = 0x47;
        p[1] = (if pusi { 0x40 } else { 0 }) | (pid >> 8) as u8;
        p[2] = pid as u8;
        let cc = self.cc[usize::from(pid)];
        self.cc[usize::from(pid)] = (cc + 1) & 0x0F;
        let afc = if af.is_empty() { 0x10 } else { 0x30 };
        p[3] = afc | cc;
        let mut at = 4;
        if !af.is_empty() {
            p[4] = af.len() as u8;
            p[5..5 + af.len()].copy_from_slice(af);
            at = 5 + af.len();
        }
        p[at..at + payload.len()].copy_from_slice(payload);
        self.out.extend_from_slice(&p);
    }

    fn tables(&mut self) {
        if !self.skip_pat {
            let pat = [
                0,
                0x00,
                0xB0,
                13,
                0,
                1,
                0xC1,
                0,
                0,
                0,
                1,
                0xE0 | (PMT >> 8) as u8,
                PMT as u8,
                0,
                0,
                0,
                0,
            ];
            self.packet(0, true, &[], &pat);
        }
        if !self.skip_pmt {
            let pmt = [
                0,
                0x02,
                0xB0,
                23,
                0,
                1,
                0xC1,
                0,
                0,
                0xE0 | (VIDEO >> 8) as u8,
                VIDEO as u8,
                0xF0,
                0,
                0x1B,
                0xE0 | (VIDEO >> 8) as u8,
                VIDEO as u8,
                0xF0,
                0,
                0x0F,
                0xE0 | (AUDIO >> 8) as u8,
                AUDIO as u8,
                0xF0,
                0,
                0,
                0,
                0,
                0,
            ];
            self.packet(PMT, true, &[], &pmt);
        }
    }

    fn video(&mut self, ticks: u64) {
        let pcr = ticks;
        let af = [
            0x10,
            (pcr >> 25) as u8,
            (pcr >> 17) as u8,
            (pcr >> 9) as u8,
            (pcr >> 1) as u8,
            ((pcr as u8) & 1) << 7 | 0x7E,
            0,
        ];
        let pts = ticks + 9000;
        let pes = [
            0,
            0,
            1,
            0xE0,
            0,
            0,
            0x80,
            0x80,
            5,
            0x21 | (((pts >> 30) as u8 & 7) << 1),
            (pts >> 22) as u8,
            ((pts >> 15) as u8) << 1 | 1,
            (pts >> 7) as u8,
            (pts as u8) << 1 | 1,
        ];
        self.packet(VIDEO, true, &af, &pes);
    }

    /// `secs` seconds of stream; `at(ms, mux)` may change the mux before each tick.
    fn run(&mut self, secs: f64, mut at: impl FnMut(u64, &mut Mux)) -> Vec<u8> {
        let ticks = (secs * 100.0) as u64;
        for t in 0..ticks {
            let ms = t * 10;
            at(ms, self);
            if ms % 100 == 0 {
                self.tables();
            }
            if ms % 40 == 0 {
                self.video(ms * 90);
            }
            if ms % 20 == 0 && !self.skip_audio {
                self.packet(AUDIO, false, &[], &[0xAA; 10]);
            }
        }
        std::mem::take(&mut self.out)
    }
}

fn analyse(ts: &[u8], chunk: usize) -> Vec<TransportFinding> {
    let mut a = TsAnalyzer::new();
    for c in ts.chunks(chunk.max(1)) {
        a.feed(c);
    }
    a.finish();
    assert!(a.is_transport_stream());
    a.drain().collect()
}

fn clean(secs: f64) -> Vec<u8> {
    Mux::new().run(secs, |_, _| {})
}

#[test]
fn clean_stream_is_quiet_at_any_split() {
    let ts = clean(3.0);
    for chunk in [1, 7, 100, 187, 188, 189, 376, 1000, 65536] {
        assert_eq!(analyse(&ts, chunk), vec![], "chunk {chunk}");
    }
}

#[test]
fn lost_packet_is_one_cc_error_on_its_pid() {
    let mut ts = clean(2.0);
    // Remove the 40th packet.
    let at = 40 * 188;
    let pid = (u16::from(ts[at + 1] & 0x1F) << 8) | u16::from(ts[at + 2]);
    ts.drain(at..at + 188);
    for chunk in [100, 4096] {
        let f = analyse(&ts, chunk);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].error, TransportError::CcError);
        assert_eq!(f[0].pid, Some(pid));
        // Reported on the next packet of that PID.
        assert!(f[0].offset >= at as u64 && f[0].offset < at as u64 + 188 * 30);
        assert!(f[0].pts.is_some());
    }
}

#[test]
fn one_repeat_is_allowed_a_third_copy_is_not() {
    let ts = clean(1.0);
    let p = 30 * 188;
    let packet = ts[p..p + 188].to_vec();
    let mut once = ts.clone();
    once.splice(p + 188..p + 188, packet.iter().copied());
    assert_eq!(analyse(&once, 500), vec![]);
    let mut twice = ts.clone();
    twice.splice(p + 188..p + 188, packet.iter().chain(&packet).copied());
    let f = analyse(&twice, 500);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].error, TransportError::CcError);
}

#[test]
fn discontinuity_indicator_excuses_a_jump() {
    let mut ts = clean(1.0);
    // Remove a video packet and flag a discontinuity on the next one.
    let video: Vec<usize> = (20..ts.len() / 188)
        .filter(|&k| ts[k * 188 + 2] == VIDEO as u8 && ts[k * 188 + 1] & 0x1F == 1)
        .take(2)
        .collect();
    ts[video[1] * 188 + 5] |= 0x80;
    ts.drain(video[0] * 188..video[0] * 188 + 188);
    assert_eq!(analyse(&ts, 188), vec![]);
}

#[test]
fn single_corrupt_sync_byte_is_a_sync_byte_error() {
    let mut ts = clean(1.0);
    ts[50 * 188] = 0x00;
    ts[80 * 188] = 0x46;
    let f = analyse(&ts, 333);
    let errors: Vec<_> = f.iter().map(|f| (f.error, f.offset)).collect();
    assert_eq!(
        errors,
        [
            (TransportError::SyncByteError, 50 * 188),
            (TransportError::SyncByteError, 80 * 188)
        ]
    );
}

#[test]
fn two_corrupt_sync_bytes_are_a_sync_loss_until_reacquired() {
    let mut ts = clean(2.0);
    ts[50 * 188] = 0x00;
    ts[51 * 188] = 0x00;
    let f = analyse(&ts, 1000);
    let kinds: Vec<_> = f.iter().map(|f| (f.error, f.phase)).collect();
    assert_eq!(
        kinds,
        [
            (TransportError::SyncLoss, FindingPhase::Began),
            (TransportError::SyncLoss, FindingPhase::Ended)
        ],
        "{f:?}"
    );
    assert_eq!(f[0].offset, 51 * 188);
    assert!(f[1].offset > f[0].offset);
}

#[test]
fn garbage_inside_the_stream_is_a_sync_loss() {
    let mut ts = clean(2.0);
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8 & 0x3F).collect();
    ts.splice(100 * 188..100 * 188, garbage);
    let f = analyse(&ts, 4096);
    assert_eq!(f.first().map(|f| f.error), Some(TransportError::SyncLoss));
    assert!(f
        .iter()
        .any(|f| f.error == TransportError::SyncLoss && f.phase == FindingPhase::Ended));
    // Re-acquisition forgets the counters: no continuity error follows.
    assert!(
        f.iter().all(|f| f.error == TransportError::SyncLoss),
        "{f:?}"
    );
}

#[test]
fn garbage_before_the_stream_is_skipped_quietly() {
    let mut ts: Vec<u8> = (0..3001u32).map(|i| (i % 71) as u8).collect();
    ts.extend(clean(1.0));
    assert_eq!(analyse(&ts, 999), vec![]);
}

#[test]
fn non_ts_input_disables_the_analyser() {
    let mut a = TsAnalyzer::new();
    let noise: Vec<u8> = (0..(2u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for c in noise.chunks(65536) {
        a.feed(c);
    }
    a.finish();
    assert!(a.is_disabled());
    assert!(!a.is_transport_stream());
    assert_eq!(a.drain().count(), 0);
}

#[test]
fn m2ts_and_rs_packets_are_read() {
    let ts = clean(2.0);
    for (extra, prefix) in [(4usize, true), (16, false)] {
        let mut out = Vec::new();
        for (k, p) in ts.chunks(188).enumerate() {
            if k == 60 {
                continue; // one lost packet
            }
            if prefix {
                out.extend_from_slice(&[0, 1, 2, 3][..extra]);
            }
            out.extend_from_slice(p);
            if !prefix {
                out.extend(std::iter::repeat_n(0x47u8, extra));
            }
        }
        let f = analyse(&out, 1234);
        assert_eq!(f.len(), 1, "extra {extra}: {f:?}");
        assert_eq!(f[0].error, TransportError::CcError);
    }
}

fn phases(f: &[TransportFinding], e: TransportError) -> Vec<(FindingPhase, Option<u16>)> {
    f.iter()
        .filter(|f| f.error == e)
        .map(|f| (f.phase, f.pid))
        .collect()
}

#[test]
fn pat_absent_for_more_than_half_a_second() {
    let ts = Mux::new().run(3.0, |ms, m| m.skip_pat = (1000..1700).contains(&ms));
    let f = analyse(&ts, 2000);
    assert_eq!(
        phases(&f, TransportError::PatError),
        [
            (FindingPhase::Began, Some(0)),
            (FindingPhase::Ended, Some(0))
        ]
    );
    assert_eq!(f.len(), 2);
    // Began carries the time the PAT was last seen (PTS domain: 0.9 s + the 0.1 s PTS offset).
    let since = f[0].pts.unwrap() as f64 / 90_000.0;
    assert!((since - 1.0).abs() < 0.05, "{since}");
    let back = f[1].pts.unwrap() as f64 / 90_000.0;
    assert!((back - 1.8).abs() < 0.05, "{back}");
    // 0.4 s without a PAT is within the rule.
    let ts = Mux::new().run(3.0, |ms, m| m.skip_pat = (1000..1400).contains(&ms));
    assert_eq!(analyse(&ts, 2000), vec![]);
}

#[test]
fn pmt_absent_and_pid_absent() {
    let ts = Mux::new().run(4.0, |ms, m| m.skip_pmt = (1000..2000).contains(&ms));
    let f = analyse(&ts, 2000);
    assert_eq!(
        phases(&f, TransportError::PmtError),
        [
            (FindingPhase::Began, Some(PMT)),
            (FindingPhase::Ended, Some(PMT))
        ]
    );
    let ts = Mux::new().run(5.0, |ms, m| m.skip_audio = (1000..3000).contains(&ms));
    let f = analyse(&ts, 2000);
    assert_eq!(
        phases(&f, TransportError::PidError),
        [
            (FindingPhase::Began, Some(AUDIO)),
            (FindingPhase::Ended, Some(AUDIO))
        ],
        "{f:?}"
    );
}

#[test]
fn wrong_table_id_and_scrambled_tables() {
    let mut ts = clean(1.0);
    // The second PAT packet: table_id 0x42 instead of 0.
    let pat = (1..ts.len() / 188)
        .find(|&k| ts[k * 188 + 1] & 0x1F == 0 && ts[k * 188 + 2] == 0)
        .unwrap();
    ts[pat * 188 + 5] = 0x42;
    // The fourth PMT packet (after the PAT that names it): scrambled.
    let k = (1..ts.len() / 188)
        .filter(|&k| ts[k * 188 + 1] & 0x1F == 0x10 && ts[k * 188 + 2] == 0)
        .nth(3)
        .unwrap();
    ts[k * 188 + 3] |= 0x80;
    let f = analyse(&ts, 188);
    let kinds: Vec<_> = f.iter().map(|f| (f.error, f.pid, f.phase)).collect();
    assert_eq!(
        kinds,
        [
            (TransportError::PatError, Some(0), FindingPhase::Once),
            (TransportError::PmtError, Some(PMT), FindingPhase::Once)
        ]
    );
}

#[test]
fn steady_state_does_not_grow_the_findings_buffer() {
    let ts = clean(2.0);
    let mut a = TsAnalyzer::new();
    a.feed(&ts);
    let cap = a.findings.capacity();
    for _ in 0..3 {
        a.feed(&ts[..188 * 10]);
        a.drain();
    }
    assert_eq!(a.findings.capacity(), cap);
    assert!(a.packets() > 100);
}
