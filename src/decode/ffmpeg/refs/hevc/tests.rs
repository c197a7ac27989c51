//! The HEVC tracker on streams x265 made (through the ffmpeg CLI), whole access units left
//! out as a lossy link loses them.

use std::process::Command;

use super::*;

/// 2.4 s of moving pictures at 25/s in Annex B, an access unit delimiter before each picture,
/// x265's B-pyramid (4 B-pictures) and one key frame every `keyint` pictures; `extra`: more
/// x265 parameters.
fn encode(name: &str, keyint: u32, extra: &str) -> Vec<u8> {
    encode_at(name, keyint, extra, "192x108")
}

/// As [`encode`], pictures of `size`.
pub(super) fn encode_at(name: &str, keyint: u32, extra: &str, size: &str) -> Vec<u8> {
    let path =
        std::env::temp_dir().join(format!("avqc-hevc-refs-{}-{name}.hevc", std::process::id()));
    let params = format!("aud=1:bframes=4:b-pyramid=1:keyint={keyint}:log-level=error{extra}");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=25"))
        .args(["-t", "2.4", "-c:v", "libx265", "-x265-params", &params])
        .args(["-f", "hevc"])
        .arg(&path)
        .status()
        .expect("the ffmpeg CLI runs (scripts/install-deps.sh installs it)");
    assert!(status.success(), "ffmpeg made the fixture");
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

/// The access units of `stream`, each from its delimiter (NAL type 35).
pub(super) fn access_units(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut at = next_start(stream, 0);
    while let Some(s) = at {
        if stream.get(s).is_some_and(|h| (h >> 1) & 0x3f == 35) {
            starts.push(s - 3);
        }
        at = next_start(stream, s);
    }
    starts.push(stream.len());
    starts.windows(2).map(|w| &stream[w[0]..w[1]]).collect()
}

/// What a fresh tracker reads of `au`'s first slice: (NAL type, slice kind).
fn picture(au: &[u8]) -> Option<(u8, SliceKind)> {
    // Parameter sets may sit in an earlier unit: read from the stream's start.
    let mut t = HevcTracker::new();
    t.packet(au).map(|s| (s.nal_type, s.kind))
}

/// Follows `units` but those at `skip`: what each unit read found.
fn follow(units: &[&[u8]], skip: &[usize]) -> Vec<Followed> {
    let mut t = HevcTracker::new();
    units
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .map(|(_, u)| t.read(u))
        .collect()
}

/// The index of the first unit after the 8th (past the start) for which `wanted` holds of
/// its NAL type and slice kind, read with the parameter sets of the stream.
fn find(units: &[&[u8]], wanted: impl Fn(u8, SliceKind) -> bool) -> usize {
    let mut t = HevcTracker::new();
    let mut found = None;
    for (i, u) in units.iter().enumerate() {
        if let Some(s) = t.packet(u) {
            if i > 8 && found.is_none() && wanted(s.nal_type, s.kind) {
                found = Some(i);
            }
        }
    }
    found.expect("such a picture in the stream")
}

#[test]
fn a_clean_stream_loses_nothing_and_every_picture_is_read() {
    let stream = encode("clean", 25, "");
    let units = access_units(&stream);
    assert!(units.len() >= 60, "{} units", units.len());
    // Only the first unit carries the parameter sets: a fresh tracker reads it alone.
    assert!(picture(units[0]).is_some());
    let found = follow(&units, &[]);
    let judged = found.iter().filter(|f| f.lost == Some(false)).count();
    assert!(found.iter().all(|f| f.lost != Some(true)), "{found:?}");
    assert!(found.iter().all(|f| f.verdict.is_none() && !f.drops_lost));
    // Every picture but the key frames (IDR or CRA) is judged.
    assert!(judged >= units.len() - 4, "{judged} of {}", units.len());
}

#[test]
fn a_lost_non_reference_picture_took_no_reference() {
    let stream = encode("nonref", 25, "");
    let units = access_units(&stream);
    let lost = find(&units, |t, _| t == 0);
    let found = follow(&units, &[lost]);
    assert!(found.iter().all(|f| f.lost != Some(true)), "{found:?}");
    assert!(found.iter().all(|f| f.verdict.is_none()));
}

#[test]
fn the_pictures_nothing_is_predicted_from_are_the_sub_layer_non_reference_ones() {
    // One sub-layer: x265's TRAIL_N and RASL_N pictures (the B-pictures at the pyramid's
    // edges, after and before a CRA picture).
    let stream = encode("never-ref", 25, "");
    let units = access_units(&stream);
    let found = follow(&units, &[]);
    let mut t = HevcTracker::new();
    let kinds: Vec<_> = units
        .iter()
        .map(|u| t.packet(u).map(|s| s.nal_type))
        .collect();
    for (f, k) in found.iter().zip(&kinds) {
        assert_eq!(f.never_ref, matches!(k, Some(0 | 8)), "{k:?}");
    }
    let n = found.iter().filter(|f| f.never_ref).count();
    assert!(n >= 10 && n < units.len() / 2, "{n} of {}", units.len());
}

#[test]
fn a_lost_p_picture_is_a_reference_lost_and_spreads() {
    let stream = encode("p", 50, "");
    let units = access_units(&stream);
    let lost = find(&units, |t, k| t == 1 && k == SliceKind::P);
    let found = follow(&units, &[lost]);
    let first = found.iter().position(|f| f.lost == Some(true));
    assert_eq!(first, Some(lost), "found at the next unit: {found:?}");
    let verdicts: Vec<_> = found.iter().filter_map(|f| f.verdict).collect();
    assert_eq!(verdicts, [Verdict::Spread], "{found:?}");
}

#[test]
fn a_lost_b_reference_a_later_p_picture_lists_spreads() {
    // x265's P-pictures list the B-reference before them as used: its loss reaches them.
    let stream = encode("bref", 50, "");
    let units = access_units(&stream);
    let lost = find(&units, |t, k| t == 1 && k == SliceKind::B);
    let found = follow(&units, &[lost]);
    assert_eq!(found[lost].lost, Some(true), "{found:?}");
    let verdicts: Vec<_> = found.iter().filter_map(|f| f.verdict).collect();
    assert_eq!(verdicts, [Verdict::Spread], "{found:?}");
}

/// A picture of a hand-made stream: NAL type, kind, POC (8 bits of LSB), and its RPS as
/// (POC distance, used) pairs, earlier pictures first.
fn pic(nal_type: u8, kind: SliceKind, poc: u32, rps: &[(i32, bool)]) -> SliceStart {
    let mut r = header::Rps::default();
    for (i, &(d, used)) in rps.iter().enumerate() {
        r.delta[i] = d;
        r.used |= u32::from(used) << i;
    }
    r.neg = rps.iter().filter(|(d, _)| *d < 0).count() as u8;
    r.pos = rps.len() as u8 - r.neg;
    SliceStart {
        nal_type,
        tid: 0,
        kind,
        poc_lsb: poc,
        poc_lsb_bits: 8,
        rps: r,
        long_term: false,
        never_ref: nal_type == 0,
    }
}

/// IDR 0, P 4, B-reference 2, B 1 and 3, P 8 (predicting from P 4, and from B 2 when
/// `p_uses_b`), B-reference 6, B 5 and 7, P 12: in decode order.
fn pyramid(p_uses_b: bool) -> Vec<SliceStart> {
    use SliceKind::{B, I, P};
    let p8: &[(i32, bool)] = if p_uses_b {
        &[(-4, true), (-6, true)]
    } else {
        &[(-4, true)]
    };
    vec![
        pic(19, I, 0, &[]),
        pic(1, P, 4, &[(-4, true)]),
        pic(1, B, 2, &[(-2, true), (2, true)]),
        pic(0, B, 1, &[(-1, true), (1, true), (3, true)]),
        pic(0, B, 3, &[(-1, true), (-3, true), (1, true)]),
        pic(1, P, 8, p8),
        pic(1, B, 6, &[(-2, true), (2, true)]),
        pic(0, B, 5, &[(-1, true), (1, true), (3, true)]),
        pic(0, B, 7, &[(-1, true), (1, true)]),
        pic(1, P, 12, &[(-4, true)]),
    ]
}

fn follow_made(pics: &[SliceStart], skip: usize) -> Vec<Followed> {
    let mut t = HevcTracker::new();
    pics.iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, p)| t.follow(p, false))
        .collect()
}

#[test]
fn a_lost_b_reference_only_b_pictures_use_is_confined() {
    let clean = follow_made(&pyramid(false), usize::MAX);
    assert!(clean
        .iter()
        .all(|f| f.lost != Some(true) && f.verdict.is_none()));
    // B-reference 2 lost: B 1 and 3 (shown before P 4) predict from it, P 8 does not.
    let found = follow_made(&pyramid(false), 2);
    assert_eq!(found[2].lost, Some(true), "{found:?}");
    let verdicts: Vec<_> = found.iter().filter_map(|f| f.verdict).collect();
    assert_eq!(verdicts, [Verdict::Confined], "{found:?}");
    // P 8 predicts from it too: the damage reaches past P 4.
    let found = follow_made(&pyramid(true), 2);
    let verdicts: Vec<_> = found.iter().filter_map(|f| f.verdict).collect();
    assert_eq!(verdicts, [Verdict::Spread], "{found:?}");
}

#[test]
fn a_second_loss_while_one_is_followed_spreads() {
    // A B-reference lost, then the next P-picture before anything dropped the B-reference.
    let stream = encode("two", 50, "");
    let units = access_units(&stream);
    let b = find(&units, |t, k| t == 1 && k == SliceKind::B);
    let p = (b + 1..units.len())
        .find(|&i| picture_with(&units, i) == Some((1, SliceKind::P)))
        .expect("a P-picture after it");
    let found = follow(&units, &[b, p]);
    let verdicts: Vec<_> = found.iter().filter_map(|f| f.verdict).collect();
    assert_eq!(verdicts, [Verdict::Spread], "{found:?}");
}

/// What unit `i` holds, read with the parameter sets of the units before it.
fn picture_with(units: &[&[u8]], i: usize) -> Option<(u8, SliceKind)> {
    let mut t = HevcTracker::new();
    for u in &units[..i] {
        t.packet(u);
    }
    t.packet(units[i]).map(|s| (s.nal_type, s.kind))
}

#[test]
fn garbage_and_cut_units_never_panic() {
    let stream = encode("cut", 25, "");
    let units = access_units(&stream);
    let mut t = HevcTracker::new();
    for u in units.iter().take(12) {
        for len in 0..u.len().min(400) {
            t.read(&u[..len]);
        }
        t.read(u);
    }
    // Pseudo-random bytes with start codes sprinkled in.
    let mut x = 0x2545_f491_u32;
    let mut junk = vec![0u8; 4096];
    for round in 0..64 {
        for b in junk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        for k in (0..junk.len() - 4).step_by(97 + round) {
            junk[k..k + 3].copy_from_slice(&[0, 0, 1]);
        }
        t.read(&junk);
    }
}

#[test]
fn joining_at_a_later_cra_picture_loses_nothing() {
    // Open GOPs: each key frame is a CRA picture whose RASL pictures predict from pictures
    // before it. Joined there, those are skipped (as the decoder skips them), and nothing
    // after is taken for a loss.
    let stream = encode("join", 20, ":repeat-headers=1:open-gop=1");
    let units = access_units(&stream);
    let cras: Vec<usize> = (0..units.len())
        .filter(|&i| picture_with(&units, i).is_some_and(|(t, _)| t == 21))
        .collect();
    assert!(!cras.is_empty(), "CRA pictures in the stream");
    let found = follow(&units[cras[0]..], &[]);
    assert!(found.iter().all(|f| f.lost != Some(true)), "{found:?}");
    assert!(found.iter().filter(|f| f.lost == Some(false)).count() > 10);
}
