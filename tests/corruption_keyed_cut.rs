//! `corruption` at a cut that comes on a clean key picture: the new shot's blockiness, on the
//! 16-pixel grid as on the 8-pixel one, is its encoder's coding (a starved rate control codes
//! the first pictures of a new programme coarse, in 16×16 macroblocks, and sharpens them over
//! the next second), not damage. Damage that comes later in the shot, on a predicted picture
//! after clean ones, is still damage; and a cut to a blocky picture that no key picture brings
//! is judged as before (see `corruption_new_shot`).

mod common;

use avqc::detect::video::CorruptionConfig;
use avqc::{FrameFlags, Media, PictureType};
use common::pictures::{corruption_intervals, frame, smooth, H, W};

/// A detailed picture (no grid of its own), `W + 64` pixels wide.
fn detail() -> Vec<f64> {
    let w = W + 64;
    (0..H * w)
        .map(|k| {
            let (x, y) = ((k % w) as f64, (k / w) as f64);
            128.0 + 50.0 * (x / 3.1 + y / 5.3).sin() + 40.0 * (y / 2.7 - x / 7.1).cos()
        })
        .collect()
}

/// [`detail`] shifted right by `shift` pixels (at most 64), coded in 16×16 blocks keeping the
/// share `keep` of the detail around each block's mean (0: flat blocks, 1: the picture
/// itself); `flat` pixels are coded as flat blocks 20 code values brighter.
fn coded(d: &[f64], shift: usize, keep: f64, flat: impl Fn(usize, usize) -> bool) -> Vec<u8> {
    let w = W + 64;
    let at = |x: usize, y: usize| d[y * w + x + 64 - shift];
    let mut means = vec![0.0; (W / 16) * (H / 16)];
    for y in 0..H {
        for x in 0..W {
            means[(y / 16) * (W / 16) + x / 16] += at(x, y) / 256.0;
        }
    }
    let mut out = Vec::with_capacity(W * H);
    for y in 0..H {
        for x in 0..W {
            let mean = means[(y / 16) * (W / 16) + x / 16];
            let v = if flat(x, y) {
                mean + 20.0
            } else {
                mean + keep * (at(x, y) - mean)
            };
            out.push(v.round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// Picture `i` as a decoder gives it: key pictures (I) at `keys`, the others predicted (P).
fn picture(i: usize, keys: &[usize], f: impl Fn(usize, usize) -> u8) -> Media {
    let Media::Video(v) = frame(i, f) else {
        unreachable!()
    };
    let v = if keys.contains(&i) {
        v.with_flags(FrameFlags::KEY)
            .with_picture_type(PictureType::I)
    } else {
        v.with_picture_type(PictureType::P)
    };
    Media::Video(v)
}

/// Share of the detail kept by picture `i` of the new shot begun at picture 75: coarse
/// (0.15) on its first picture, sharpening to 0.6 over a second, then steady.
fn sharpening(i: usize) -> f64 {
    0.15 + 0.45 * ((i - 75) as f64 / 25.0).min(1.0)
}

/// Whether pixel (`x`, `y`) lies in the damaged area: two rows of 16×16 blocks across the
/// picture (a slice of macroblocks).
fn damaged_area(_x: usize, y: usize) -> bool {
    (64..96).contains(&y)
}

/// Pixel noise of amplitude `n` (a detailed texture: steps everywhere, on no grid).
fn noise(x: usize, y: usize, i: usize, n: f64) -> f64 {
    let h = (x * 7919 + y * 104_729 + i * 31).wrapping_mul(2_654_435_761) % 1000;
    n * (h as f64 / 500.0 - 1.0)
}

/// Picture `i` of the first shot: a busy texture (pixel noise of amplitude 30 over a slope,
/// changing on each picture), or, `plain`, [`smooth`].
fn first_shot(x: usize, y: usize, i: usize, plain: bool) -> u8 {
    if plain {
        smooth(x, y, i)
    } else {
        (150.0 - 0.3 * y as f64 + noise(x, y, i, 30.0)).round() as u8
    }
}

/// 3 s of the first shot ([`first_shot`]), then a cut to [`coded`] pictures that sharpen
/// ([`sharpening`]), drifting a pixel every 4 pictures, 5 s in all; key pictures every 2 s and
/// at `cut_key` (the cut, or none). From picture `damage_from` (when given) to the next key
/// picture, the [`damaged_area`] shows flat blocks 20 code values brighter, grey squares that
/// prediction carries on.
fn shots(plain: bool, cut_key: Option<usize>, damage_from: Option<usize>) -> Vec<(f64, f64)> {
    let keys: Vec<usize> = [0, 50, 125, 175].into_iter().chain(cut_key).collect();
    let next_key = |i: usize| keys.iter().copied().filter(|&k| k > i).min();
    let damaged =
        |i: usize| damage_from.is_some_and(|d| i >= d && next_key(d).is_none_or(|k| i < k));
    let d = detail();
    let frames = (0..200).map(|i| {
        if i < 75 {
            return picture(i, &keys, |x, y| first_shot(x, y, i, plain));
        }
        let hit = damaged(i);
        let p = coded(&d, (i - 75) / 4, sharpening(i), |x, y| {
            hit && damaged_area(x, y)
        });
        picture(i, &keys, |x, y| p[y * W + x])
    });
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn a_cut_on_a_key_picture_to_a_coarse_shot_that_sharpens_is_not_corruption() {
    let found = shots(false, Some(75), None);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_same_cut_on_a_predicted_picture_is_judged_as_before() {
    // No key picture brings the new shot: its macroblocks, stepping on the 16-pixel grid,
    // may be damage that changed the picture (see `corruption_new_shot`).
    let found = shots(false, None, None);
    assert!(!found.is_empty(), "{found:?}");
    assert!((found[0].0 - 3.0).abs() < 0.2, "{found:?}");
}

#[test]
fn local_damage_after_clean_pictures_of_a_shot_begun_on_a_key_picture_is_corruption() {
    // Damage at 6.2 s on a predicted picture, to the key picture at 7 s: after a plainer shot,
    // and after a whole new busier one.
    for plain in [false, true] {
        let found = shots(plain, Some(75), Some(155));
        assert_eq!(found.len(), 1, "{plain}: {found:?}");
        let (start, end) = found[0];
        assert!((start - 6.2).abs() < 0.2, "{plain}: {found:?}");
        assert!((end - 7.0).abs() < 0.3, "{plain}: {found:?}");
    }
}

#[test]
fn a_cut_on_a_key_picture_to_a_whole_busier_shot_that_sharpens_is_not_corruption() {
    // A plain shot, then on a key picture a new one, busier, coded coarse and sharpening: every
    // tile of the picture changed (a junction into a busier programme of a second-generation
    // channel), so its blockiness on both grids is its own coding.
    let found = shots(true, Some(75), None);
    assert!(found.is_empty(), "{found:?}");
}

/// [`smooth`] with, from picture 75 (a key picture) to the next key picture at 5 s, the picture
/// from row `from` down turned to detailed garbage in 16×16 blocks ([`coded`], a fifth of the
/// detail kept): a key picture whose data was flipped at row `from`, the rows before the flip
/// decoded intact, and the pictures predicted from it; key pictures at 0, 2, 3 and 5 s.
fn flipped_key(from: usize) -> Vec<(f64, f64)> {
    let keys = [0, 50, 75, 125, 175];
    let d = detail();
    let frames = (0..200).map(|i| {
        if (75..125).contains(&i) {
            let p = coded(&d, i / 4, 0.2, |_, _| false);
            picture(i, &keys, |x, y| {
                if y >= from {
                    p[y * W + x]
                } else {
                    smooth(x, y, i)
                }
            })
        } else {
            picture(i, &keys, |x, y| smooth(x, y, i))
        }
    });
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn a_key_picture_turned_to_busier_garbage_from_its_flip_on_is_still_corruption() {
    // Garbage from a third of the way down (and from two thirds): the rows before the flip kept
    // their content, so the key picture brought no whole new picture; a new shot that came
    // busier is judged as before.
    for from in [H / 3, 2 * H / 3] {
        let found = flipped_key(from);
        assert_eq!(found.len(), 1, "{from}: {found:?}");
        assert!((found[0].0 - 3.0).abs() < 0.2, "{from}: {found:?}");
        assert!((found[0].1 - 5.0).abs() < 0.3, "{from}: {found:?}");
    }
}

/// [`smooth`] with, from 1.4 s to the key picture at 2 s, the whole picture turned to detailed
/// garbage in 16×16 blocks ([`coded`], a fifth of the detail kept), and from that key picture
/// (damaged as well, concealed in flat blocks: plainer) to 3 s, flat 16×16 blocks; key
/// pictures every 2 s.
fn damage_past_a_key() -> Vec<(f64, f64)> {
    let keys = [0, 50, 100, 150];
    let d = detail();
    let frames = (0..150).map(|i| {
        let keep = match i {
            35..50 => Some(0.2),
            50..75 => Some(0.0),
            _ => None,
        };
        match keep {
            Some(k) => {
                let p = coded(&d, i / 4, k, |_, _| false);
                picture(i, &keys, |x, y| p[y * W + x])
            }
            None => picture(i, &keys, |x, y| smooth(x, y, i)),
        }
    });
    corruption_intervals(&CorruptionConfig::default(), frames)
}

#[test]
fn a_key_picture_while_damage_is_on_screen_is_no_new_shot() {
    // The key picture at 2 s comes while the damage is on screen: it is the refresh, and the
    // plainer blocks it brings are judged against the baseline from before the damage.
    let found = damage_past_a_key();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!((found[0].0 - 1.4).abs() < 0.2, "{found:?}");
    assert!((found[0].1 - 3.0).abs() < 0.3, "{found:?}");
}
