//! Whether slice segments arrived whole, on streams x265 made (through the ffmpeg CLI): every
//! slice segment of a clean stream is read to its end and found whole; bytes taken from
//! inside a picture are found.

use super::tests::{access_units, encode_at};
use super::*;

/// What the tracker tells of each slice segment of each unit, reading them in order.
fn extents(units: &[&[u8]]) -> Vec<Option<bool>> {
    let mut t = HevcTracker::new();
    let mut out = Vec::new();
    for u in units {
        t.read(u);
        t.extents(u, |e| out.push(e));
    }
    out
}

#[test]
fn every_slice_segment_of_clean_streams_is_read_whole() {
    // x265 codes with wavefront parallel processing by default: entry points in every
    // slice header; weighted prediction, SAO, B-pyramids; more slices, weighted B-pictures,
    // open GOPs with repeated headers, no SAO and a deblocking override.
    for (name, extra) in [
        ("plain", ""),
        ("slices", ":slices=3"),
        ("weightb", ":weightb=1:open-gop=1:repeat-headers=1"),
        ("nosao", ":sao=0:deblock=-1,-1:ref=4"),
    ] {
        let stream = encode_at(&format!("extent-{name}"), 25, extra, "640x360");
        let units = access_units(&stream);
        let found = extents(&units);
        assert!(
            found.len() >= units.len(),
            "{name}: {} segments",
            found.len()
        );
        assert!(
            found.iter().all(|e| *e == Some(false)),
            "{name}: {:?}",
            found.iter().filter(|e| **e != Some(false)).count()
        );
    }
}

#[test]
fn without_entry_points_nothing_is_told() {
    let stream = encode_at("extent-nowpp", 25, ":wpp=0", "640x360");
    let units = access_units(&stream);
    assert!(extents(&units).iter().all(|e| e.is_none()));
}

#[test]
fn bytes_lost_inside_a_picture_are_found() {
    let stream = encode_at("extent-cut", 25, "", "640x360");
    let units = access_units(&stream);
    // The first large picture after the start, and its first slice segment.
    let i = (1..units.len())
        .find(|&i| units[i].len() > 3000)
        .expect("a large picture");
    let mut at = next_start(units[i], 0);
    let slice = loop {
        let s = at.expect("a slice segment");
        if (units[i][s] >> 1) & 0x3f <= 31 {
            break s;
        }
        at = next_start(units[i], s);
    };
    // Two TS packets' worth of bytes taken from early in the slice data (a loss inside the
    // picture's PES packet, spliced by the demuxer).
    let mut cut = units[i].to_vec();
    cut.drain(slice + 200..slice + 200 + 2 * 184);
    let mut lossy: Vec<&[u8]> = units[..i].to_vec();
    lossy.push(&cut);
    let found = extents(&lossy);
    assert_eq!(found.last(), Some(&Some(true)), "{found:?}");
    let mut t = HevcTracker::new();
    for u in &lossy {
        t.read(u);
    }
    assert!(t.read(&cut).cut_short);
    assert!(!t.read(units[i]).cut_short);
}
