//! Burst grouping: clicks on any channel within 2 ms are one click, clicks less than
//! `burst_gap` apart one event (crackle); an event is reported start and end together.

use serde_json::json;

use super::channel::Channel;
use super::judge::Found;
use super::Click;
use crate::detect::{Events, SpanChange};
use crate::event::DefectKind;
use crate::event::Details;

/// A crackle burst (or single click) being gathered.
#[derive(Clone, Copy, Debug)]
pub(super) struct Burst {
    start: i64,
    /// End of the last click (the next click is the same one if it starts before this plus
    /// `same_click`).
    pub(super) end: i64,
    count: u32,
    channels: u64,
    level_db: f64,
    excess_db: f64,
}

/// Bit of channel `c` in [`Burst`]'s channel set (channels 0–63; none for the others).
fn channel_bit(c: usize) -> u64 {
    if c < 64 {
        1u64 << c
    } else {
        0
    }
}

impl Burst {
    /// True when the burst holds a click of a channel other than `hit`'s and ends within
    /// `same_click` before it (the same click, judged earlier on that channel).
    pub(super) fn other_channel_near(&self, hit: &Found, same_click: usize) -> bool {
        self.channels & !channel_bit(hit.channel) != 0 && hit.start <= self.end + same_click as i64
    }
}

impl Click {
    /// Adds an accepted impulse to the current burst, or starts a new one.
    pub(super) fn add(&mut self, hit: &Found, out: &mut Events) {
        let g = self.geometry;
        let bit = channel_bit(hit.channel);
        if let Some(b) = &mut self.burst {
            let same = hit.start <= b.end + g.same_click as i64;
            let close = hit.start <= b.end + g.burst_gap as i64;
            if same || (close && hit.start - b.start < g.max_burst as i64) {
                if !same {
                    b.count += 1;
                }
                b.end = b.end.max(hit.end);
                b.channels |= bit;
                b.level_db = b.level_db.max(hit.level_db);
                b.excess_db = b.excess_db.max(hit.excess_db);
                return;
            }
            let at = self.channels.first().map_or(hit.start, Channel::end);
            self.emit(at, out);
        }
        self.burst = Some(Burst {
            start: hit.start,
            end: hit.end,
            count: 1,
            channels: bit,
            level_db: hit.level_db,
            excess_db: hit.excess_db,
        });
    }

    /// Reports the current burst (start and end), emitted at position `at`.
    pub(super) fn emit(&mut self, at: i64, out: &mut Events) {
        let Some(b) = self.burst.take() else { return };
        let start = self.time(b.start);
        let end = self.time(b.end);
        let emitted = self.time(at.max(b.end));
        let channels: Vec<usize> = (0..64).filter(|c| b.channels & (1 << c) != 0).collect();
        let mut d = Details::new();
        d.insert("count".into(), json!(b.count));
        d.insert("channels".into(), json!(channels));
        d.insert("level_db".into(), json!((b.level_db * 10.0).round() / 10.0));
        d.insert(
            "excess_db".into(),
            json!((b.excess_db.min(200.0) * 10.0).round() / 10.0),
        );
        d.insert(
            "duration".into(),
            json!((end.secs_since(start) * 100_000.0).round() / 100_000.0),
        );
        let s = SpanChange::Started { start };
        out.span(&DefectKind::AUDIO_CLICK, s, emitted, d.clone());
        out.span(
            &DefectKind::AUDIO_CLICK,
            SpanChange::Ended { start, end },
            emitted,
            d,
        );
    }

    /// End of input or a gap: candidates without their after-window are dropped, a burst is
    /// reported.
    pub(super) fn flush(&mut self, out: &mut Events) {
        if let Some(b) = self.burst {
            let at = self.channels.first().map_or(b.end, Channel::end);
            self.emit(at, out);
        }
        for ch in &mut self.channels {
            ch.drop_candidates();
        }
    }
}
