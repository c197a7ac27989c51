//! `stutter` on a stream made by frame doubling (25 fps pictures at 50 fps), on synthetic
//! frames (pure Rust, no FFmpeg): holds are judged in the doubled pictures.

mod common;

use avqc::Media;

const FPS: f64 = 50.0;

/// A textured picture shifted `shift` pixels to the right, at frame `i`.
fn picture(i: usize, shift: f64) -> Media {
    common::pictures::textured(i, FPS, shift, 1.0)
}

/// `(start, end, repeated_frames)` of every stutter, for frame `i` shifted by `shift[i]`.
fn stutters(shift: &[f64]) -> Vec<(f64, f64, u64)> {
    common::pictures::stutter_spans(shift.iter().enumerate().map(|(i, &s)| picture(i, s)))
}

/// The shift of every frame of `secs` seconds of 24 fps film, panning 3 px a picture,
/// converted to 25 fps (a picture repeated once a second) and doubled to 50 fps; every
/// `shot` pictures of 25 fps the pan stops for `still` pictures (a static shot), and the
/// conversion's rhythm runs on through it.
fn film_24_to_25_doubled(secs: usize, shot: usize, still: usize) -> Vec<f64> {
    let mut film = 0usize;
    let mut pan = 0.0;
    let mut shift = Vec::new();
    for j in 0..secs * 25 {
        // 24 → 25: frame j shows film picture j * 24 / 25 (one repeat every 25 frames)
        let pic = j * 24 / 25;
        if pic != film {
            film = pic;
            if j % shot >= still {
                pan += 3.0;
            }
        }
        shift.extend([pan; 2]);
    }
    shift
}

#[test]
fn a_24_to_25_conversion_doubled_to_50_fps_is_its_cadence() {
    // the conversion's repeat is a picture held 4 frames (2 doubled pictures) once a second
    for (shot, still) in [(60, 15), (85, 20), (100, 25)] {
        let f = stutters(&film_24_to_25_doubled(40, shot, still));
        assert!(f.is_empty(), "shots of {shot}, stills of {still}: {f:?}");
    }
}

#[test]
fn a_picture_repeated_in_a_doubled_stream_is_stutter() {
    // 25 fps footage panning 5 px a picture, doubled to 50 fps; picture 300 (frames 600,
    // 601) is also shown at frames 602 and 603: 2 frames beyond the doubling
    let shift: Vec<f64> = (0..1000)
        .map(|i| if (602..604).contains(&i) { 300.0 } else { (i / 2) as f64 } * 5.0)
        .collect();
    let f = stutters(&shift);
    assert_eq!(f.len(), 1, "{f:?}");
    let (start, end, repeated) = f[0];
    assert!((start - 602.0 / FPS).abs() < 1e-6 && (end - 604.0 / FPS).abs() < 1e-6);
    assert_eq!(repeated, 2);
}
