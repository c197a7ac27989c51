use super::bits::Bits;
use super::*;

/// Writes bits MSB first, then adds emulation prevention bytes as an encoder does.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    n: u32,
}

impl Writer {
    fn bit(&mut self, b: u32) -> &mut Self {
        if self.n.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if b != 0 {
            *self.bytes.last_mut().unwrap() |= 0x80 >> (self.n % 8);
        }
        self.n += 1;
        self
    }
    fn bits(&mut self, v: u32, n: u32) -> &mut Self {
        for i in (0..n).rev() {
            self.bit((v >> i) & 1);
        }
        self
    }
    fn ue(&mut self, v: u32) -> &mut Self {
        let x = u64::from(v) + 1;
        let len = 64 - x.leading_zeros();
        self.bits(0, len - 1);
        for i in (0..len).rev() {
            self.bit(((x >> i) & 1) as u32);
        }
        self
    }
    fn se(&mut self, v: i32) -> &mut Self {
        let k = if v > 0 { 2 * v - 1 } else { -2 * v };
        self.ue(k as u32)
    }
    /// The NAL unit with its header byte, the stop bit, and emulation prevention.
    fn nal(&mut self, header: u8) -> Vec<u8> {
        self.bit(1);
        let mut out = vec![0, 0, 0, 1, header];
        let mut zeros = 0;
        for &b in &self.bytes {
            if zeros >= 2 && b <= 3 {
                out.push(3);
                zeros = 0;
            }
            out.push(b);
            zeros = if b == 0 { zeros + 1 } else { 0 };
        }
        out
    }
}

/// A baseline SPS (id 0) with `frame_num` of `4 + extra` bits.
fn sps(extra: u32, gaps: bool) -> Vec<u8> {
    let mut w = Writer::default();
    w.bits(66, 8).bits(0, 8).bits(30, 8).ue(0); // profile, flags, level, id
    w.ue(extra).ue(0).ue(2); // log2_max_frame_num-4, poc type 0, its lsb bits-4
    w.ue(4).bit(gaps as u32); // max_num_ref_frames, gaps allowed
    w.ue(19).ue(10).bit(1).bit(1).bit(0).bit(0); // sizes, frame_mbs_only, ...
    w.nal(0x67)
}

/// A high-profile SPS (id 1) with scaling lists present before `log2_max_frame_num`.
fn sps_high(extra: u32) -> Vec<u8> {
    let mut w = Writer::default();
    w.bits(100, 8).bits(0, 8).bits(40, 8).ue(1);
    w.ue(1).ue(0).ue(0).bit(0); // 4:2:0, 8 bit, no bypass
    w.bit(1); // seq_scaling_matrix_present
    for i in 0..8 {
        if i == 0 || i == 6 {
            w.bit(1);
            let size = if i < 6 { 16 } else { 64 };
            for j in 0..size {
                w.se(if j == 0 { 8 } else { 0 });
            }
        } else {
            w.bit(0);
        }
    }
    w.ue(extra).ue(2).ue(4).bit(0);
    w.nal(0x67)
}

fn pps(id: u32, sps: u32) -> Vec<u8> {
    let mut w = Writer::default();
    w.ue(id).ue(sps).bit(0).bit(0);
    w.nal(0x68)
}

/// A slice: `reference` sets nal_ref_idc, `idr` the NAL type 5.
fn slice(pps: u32, bits: u32, frame_num: u32, reference: bool, idr: bool) -> Vec<u8> {
    let mut w = Writer::default();
    w.ue(0)
        .ue(if idr { 7 } else { 5 })
        .ue(pps)
        .bits(frame_num, bits);
    w.bits(0xABCD, 16); // the rest of a slice
    let header = if idr {
        0x65
    } else if reference {
        0x41
    } else {
        0x01
    };
    w.nal(header)
}

fn packet(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn reads_emulation_prevention_and_exp_golomb() {
    let mut r = Bits::new(&[0x00, 0x00, 0x03, 0x01, 0b1010_0110]);
    assert_eq!(r.bits(24), Some(1));
    assert_eq!(r.ue(), Some(0));
    assert_eq!(r.ue(), Some(1));
    assert_eq!(r.se(), Some(-1)); // 011: code 2
}

#[test]
fn follows_frame_num_and_finds_a_lost_reference() {
    let mut t = RefTracker::new();
    let first = packet(&[sps(2, false), pps(0, 0), slice(0, 6, 0, true, true)]);
    let s = t.packet(&first).expect("idr read");
    assert!(s.idr && s.reference && s.frame_num == 0);
    assert_eq!(t.follow(&s, None).lost, None);
    // P1, b2 (non-reference), b2, P2: no gap.
    for (fnum, reference) in [(1, true), (2, false), (2, false), (2, true)] {
        let s = t.packet(&slice(0, 6, fnum, reference, false)).unwrap();
        assert_eq!(s.frame_num, fnum);
        assert_eq!(t.follow(&s, None).lost, Some(false), "frame_num {fnum}");
    }
    // P3 lost: the next reference picture carries 4.
    let s = t.packet(&slice(0, 6, 4, true, false)).unwrap();
    assert_eq!(t.follow(&s, None).lost, Some(true));
    // Non-reference pictures lost: the next one still follows 4.
    let s = t.packet(&slice(0, 6, 5, false, false)).unwrap();
    assert_eq!(t.follow(&s, None).lost, Some(false));
}

#[test]
fn frame_num_wraps_at_its_modulus() {
    let mut t = RefTracker::new();
    t.packet(&packet(&[sps(0, false), pps(3, 0)]));
    let s = t.packet(&slice(3, 4, 15, true, false)).unwrap();
    assert_eq!(
        t.follow(&s, None).lost,
        None,
        "no reference picture before it"
    );
    let s = t.packet(&slice(3, 4, 0, true, false)).unwrap();
    assert_eq!(t.follow(&s, None).lost, Some(false));
    let s = t.packet(&slice(3, 4, 2, true, false)).unwrap();
    assert_eq!(t.follow(&s, None).lost, Some(true));
}

#[test]
fn high_profile_scaling_lists_are_skipped() {
    let mut t = RefTracker::new();
    let s = t
        .packet(&packet(&[
            sps_high(4),
            pps(1, 1),
            slice(1, 8, 200, true, false),
        ]))
        .expect("slice read after a high-profile SPS");
    assert_eq!(s.frame_num, 200);
}

#[test]
fn gaps_allowed_or_unknown_parameter_sets_tell_nothing() {
    let mut t = RefTracker::new();
    t.packet(&packet(&[sps(0, true), pps(0, 0)]));
    let s = t.packet(&slice(0, 4, 1, true, false)).unwrap();
    t.follow(&s, None);
    let s = t.packet(&slice(0, 4, 9, true, false)).unwrap();
    assert_eq!(t.follow(&s, None).lost, None);
    // A slice whose PPS was never seen, and bytes that are no H.264 at all.
    assert_eq!(t.packet(&slice(7, 4, 1, true, false)), None);
    assert_eq!(t.packet(&[0xff; 64]), None);
    assert_eq!(t.packet(&[]), None);
    assert_eq!(t.packet(&[0, 0, 1]), None);
    assert_eq!(t.packet(&[0, 0, 1, 0x41]), None);
}

#[test]
fn damaged_and_random_bytes_never_panic() {
    // A valid access unit, then every kind of damage a lossy link does to it: bytes flipped,
    // cut short at any length, random bytes with start codes sprinkled in.
    let good = packet(&[sps_high(4), pps(1, 1), slice(1, 8, 7, true, false)]);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut t = RefTracker::new();
    for n in 0..=good.len() {
        let s = t.packet(&good[..n]);
        if let Some(s) = s {
            t.follow(&s, None);
        }
    }
    for k in 0..20_000i64 {
        // Timing as a stream gives it, and now and then nonsense.
        let timing = match next() % 8 {
            0 => None,
            1 => Some(Timing {
                pts: next() as i64,
                dts: next() as i64,
                duration: (next() % 5) as i64 - 1,
            }),
            _ => Some(Timing {
                pts: 3600 * (k + (next() % 4) as i64),
                dts: 3600 * (k - 2),
                duration: 3600,
            }),
        };
        let mut p = good.clone();
        for _ in 0..1 + next() % 4 {
            let i = (next() as usize) % p.len();
            p[i] ^= 1 << (next() % 8);
        }
        p.truncate(1 + (next() as usize) % p.len());
        t.read(&p, timing);
        let mut r: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
        if r.len() > 4 {
            let i = (next() as usize) % (r.len() - 4);
            r[i..i + 4].copy_from_slice(&[
                0,
                0,
                1,
                [0x67, 0x68, 0x41, 0x65][(next() % 4) as usize],
            ]);
        }
        t.read(&r, timing);
    }
}

/// A PPS with every field slice headers need: `bipred`: weighted_bipred_idc.
fn pps_full(id: u32, sps: u32, l0_active: u32, bipred: u32) -> Vec<u8> {
    let mut w = Writer::default();
    w.ue(id).ue(sps).bit(1).bit(0).ue(0); // CABAC, no bottom-field POC, one slice group
    w.ue(l0_active - 1).ue(0).bit(0).bits(bipred, 2);
    w.se(0).se(0).se(0).bit(1).bit(0).bit(0);
    w.nal(0x68)
}

#[test]
fn slice_headers_are_read_to_the_reference_marking() {
    use super::header::{Ops, SliceKind};
    let ops = |list: &[(u32, u32)]| {
        let mut o = Ops::default();
        for &(c, v) in list {
            o.push(c, v).unwrap();
        }
        o
    };
    let mut t = RefTracker::new();
    t.packet(&packet(&[sps(0, false), pps_full(0, 0, 3, 1)]));
    // A P-slice: active references overridden to 2, list 0 modified, two marking operations.
    let mut w = Writer::default();
    w.ue(0).ue(5).ue(0).bits(9, 4).bits(17, 6); // first_mb, P, pps, frame_num, POC lsb
    w.bit(1).ue(1); // override: 2 active
    w.bit(1).ue(0).ue(1).ue(1).ue(4).ue(3); // modifications: -2, +5, end
    w.bit(1).ue(1).ue(1).ue(1).ue(4).ue(0); // marking: drop -2, drop -5, end
    w.bits(0x5A5A, 16);
    let s = t.packet(&w.nal(0x41)).expect("read");
    assert_eq!((s.kind, s.frame_num, s.reference), (SliceKind::P, 9, true));
    let u = s.refs.expect("followed to its marking");
    assert_eq!(u.active, [2, 0]);
    assert_eq!(u.mods[0], ops(&[(0, 1), (1, 4)]));
    assert_eq!(u.marking, Some(ops(&[(1, 1), (1, 4)])));
    // A B-slice with explicit weights (weighted_bipred_idc 1) for 3 + 1 references.
    let mut w = Writer::default();
    w.ue(0).ue(6).ue(0).bits(10, 4).bits(20, 6).bit(1); // B, direct_spatial
    w.bit(0).bit(0).bit(0); // no override, no modification of either list
    w.ue(6).ue(6); // luma and chroma log2 denominators
    for k in 0..4 {
        w.bit(k % 2); // luma weight present for odd entries
        if k % 2 == 1 {
            w.se(-3).se(2);
        }
        w.bit(1).se(1).se(-1).se(2).se(0); // chroma weights
    }
    w.bit(0); // sliding window
    w.bits(0xABCD, 16);
    let s = t.packet(&w.nal(0x21)).expect("read");
    assert_eq!(s.kind, SliceKind::B);
    let u = s.refs.expect("followed past the weights");
    assert_eq!(u.active, [3, 1]);
    assert_eq!(u.marking, None);
    // A header cut short after `frame_num` gives `frame_num`, but no reference use.
    let mut w = Writer::default();
    w.ue(0).ue(5).ue(0).bits(11, 4);
    assert!(t.packet(&w.nal(0x41)).expect("read").refs.is_none());
}

#[test]
fn hevc_confirms_a_loss_after_two_packets_others_after_the_usual() {
    // An HEVC reference picture set lists every reference kept: the first picture after a
    // loss tells, and the second packet read after the mark comes after the loss.
    let hevc = Follower::for_codec("hevc").unwrap();
    assert_eq!(hevc.confirm_after(3), 2);
    assert_eq!(hevc.confirm_after(1), 1);
    for codec in ["h264", "mpeg2video"] {
        assert_eq!(
            Follower::for_codec(codec).unwrap().confirm_after(3),
            3,
            "{codec}"
        );
    }
}
