//! What the current interval has seen, and the details it is reported with.

use serde_json::json;

use crate::detect::SpanChange;
use crate::event::Details;

/// What the current interval has seen.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Seen {
    pub(super) decoder: bool,
    pub(super) content: bool,
    pub(super) share: f32,
    pub(super) frames: u64,
}

impl Seen {
    /// The details of an event of the interval: `damaged_share`, `decoder`, `content`, and at
    /// its end `frames` and `duration`.
    pub(super) fn details(&self, change: SpanChange) -> Details {
        let mut d = Details::new();
        d.insert(
            "damaged_share".into(),
            json!((self.share as f64 * 1000.0).round() / 1000.0),
        );
        d.insert("decoder".into(), json!(self.decoder));
        d.insert("content".into(), json!(self.content));
        if let SpanChange::Ended { start, end } = change {
            d.insert("frames".into(), json!(self.frames));
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 1000.0).round() / 1000.0),
            );
        }
        d
    }
}
