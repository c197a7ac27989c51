//! A short history of downscaled pictures in reused buffers, and PNG writing.

use std::collections::VecDeque;
use std::path::Path;

use crate::media::{ColorRange, MediaTime, PixelFormat, VideoFrame};

/// One kept picture: an RGB copy at most `max_width` wide.
struct Slot {
    time: MediaTime,
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

/// The pictures of the last `history` seconds, oldest first. Slots that age out are recycled,
/// so keeping a picture allocates nothing once the history is full.
pub(crate) struct History {
    slots: VecDeque<Slot>,
    spare: Vec<Slot>,
    max_width: u32,
    history: f64,
}

impl History {
    pub(crate) fn new(max_width: u32, history: f64) -> Self {
        History {
            slots: VecDeque::new(),
            spare: Vec::new(),
            max_width,
            history,
        }
    }

    fn slot(&self, i: usize) -> &Slot {
        &self.slots[i]
    }

    /// Time of the newest picture.
    pub(crate) fn newest(&self) -> Option<MediaTime> {
        self.slots.back().map(|s| s.time)
    }

    /// Keeps a downscaled RGB copy of `frame`.
    pub(crate) fn push(&mut self, frame: &VideoFrame) {
        // Age out what is older than the history, but keep at least two pictures.
        while self.slots.len() > 2
            && self
                .slots
                .front()
                .is_some_and(|s| frame.time().secs_since(s.time) > self.history)
        {
            let old = self.slots.pop_front().expect("not empty");
            self.spare.push(old);
        }
        let mut slot = self.spare.pop().unwrap_or(Slot {
            time: frame.time(),
            width: 0,
            height: 0,
            rgb: Vec::new(),
        });
        slot.time = frame.time();
        to_rgb(frame, self.max_width as usize, &mut slot);
        self.slots.push_back(slot);
    }

    /// The picture shown at `t` (the newest at or before it; the oldest kept when `t` is older)
    /// and the one before it.
    pub(crate) fn at(&self, t: MediaTime) -> Option<(usize, Option<usize>)> {
        if self.slots.is_empty() {
            return None;
        }
        let i = (0..self.slots.len())
            .rev()
            .find(|&i| self.slot(i).time <= t)
            .unwrap_or(0);
        Some((i, i.checked_sub(1)))
    }

    /// Writes picture `i` (an index from [`History::at`]) as a PNG file.
    pub(crate) fn save(&self, i: usize, path: &Path) -> Result<(), image::ImageError> {
        let s = self.slot(i);
        image::save_buffer(
            path,
            &s.rgb,
            s.width,
            s.height,
            image::ExtendedColorType::Rgb8,
        )
    }
}

/// Nearest-neighbour downscale to at most `max_width` wide and BT.601 YUV → RGB, into `slot`.
fn to_rgb(frame: &VideoFrame, max_width: usize, slot: &mut Slot) {
    let (w, h) = (frame.width().max(1), frame.height().max(1));
    let step = w.div_ceil(max_width.max(1)).max(1);
    let (ow, oh) = (w.div_ceil(step), h.div_ceil(step));
    slot.width = ow as u32;
    slot.height = oh as u32;
    slot.rgb.clear();
    slot.rgb.reserve(ow * oh * 3);
    let full = frame.range() == ColorRange::Full;
    let fmt = frame.format();
    let (y_plane, u_plane, v_plane) = (frame.luma(), frame.plane(1), frame.plane(2));
    for oy in 0..oh {
        let y = oy * step;
        let yrow = y_plane.row(y);
        for ox in 0..ow {
            let x = ox * step;
            let (u, v) = match fmt {
                PixelFormat::Gray8 => (128, 128),
                PixelFormat::Nv12 => {
                    let r = u_plane.map(|p| p.row(y / 2));
                    r.map_or((128, 128), |r| (r[(x / 2) * 2], r[(x / 2) * 2 + 1]))
                }
                _ => {
                    let (cx, cy) = match fmt {
                        PixelFormat::Yuv420p => (x / 2, y / 2),
                        PixelFormat::Yuv422p => (x / 2, y),
                        _ => (x, y),
                    };
                    (
                        u_plane.map_or(128, |p| p.row(cy)[cx]),
                        v_plane.map_or(128, |p| p.row(cy)[cx]),
                    )
                }
            };
            let (r, g, b) = yuv_to_rgb(yrow[x], u, v, full);
            slot.rgb.extend_from_slice(&[r, g, b]);
        }
    }
}

fn yuv_to_rgb(y: u8, u: u8, v: u8, full: bool) -> (u8, u8, u8) {
    let (y, u, v) = (y as f32, u as f32 - 128.0, v as f32 - 128.0);
    let (y, cs) = if full {
        (y, 1.0)
    } else {
        ((y - 16.0) * 255.0 / 219.0, 255.0 / 224.0)
    };
    let (u, v) = (u * cs, v * cs);
    let c = |x: f32| x.round().clamp(0.0, 255.0) as u8;
    (
        c(y + 1.402 * v),
        c(y - 0.344_136 * u - 0.714_136 * v),
        c(y + 1.772 * u),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(i: i64, y: u8) -> VideoFrame {
        VideoFrame::filled(
            64,
            36,
            PixelFormat::Yuv420p,
            MediaTime::new(i, crate::media::Rational::new(1, 25)),
            [y, 128, 128],
        )
    }

    #[test]
    fn keeps_the_last_seconds_and_finds_the_picture_at_a_time() {
        let mut h = History::new(32, 1.0);
        for i in 0..100 {
            h.push(&frame(i, (i % 200) as u8 + 16));
        }
        assert!(
            h.slots.len() + h.spare.len() <= 28,
            "history grew to {}",
            h.slots.len()
        );
        let (i, prev) = h
            .at(MediaTime::new(90, crate::media::Rational::new(1, 25)))
            .unwrap();
        assert_eq!(
            h.slot(i).time,
            MediaTime::new(90, crate::media::Rational::new(1, 25))
        );
        assert_eq!(
            h.slot(prev.unwrap()).time,
            MediaTime::new(89, crate::media::Rational::new(1, 25))
        );
        assert_eq!((h.slot(i).width, h.slot(i).height), (32, 18));
        // limited-range black and white
        assert_eq!(yuv_to_rgb(16, 128, 128, false), (0, 0, 0));
        assert_eq!(yuv_to_rgb(235, 128, 128, false), (255, 255, 255));
    }
}
