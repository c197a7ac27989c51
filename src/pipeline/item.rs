//! The one thing a stream's core hands its detectors, its detector threads' queues and its
//! snapshot taker: a decoded item, a timeline break, or the end.

use crate::media::{Media, MediaTime};

/// What a detector (or a queue to a detector thread) is given, in order. Moved by value
/// through the queues (no allocation per item); detectors see it by reference.
///
/// A monitor's reader thread hands its task something else (`Fed` in `monitor/reader.rs`):
/// the instant an item was read and the input's final `Result`, which no detector sees.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Item {
    /// A picture, a block of sound or a notice.
    Media(Media),
    /// The input's timestamps jumped here; the timeline was bridged.
    Discontinuity(MediaTime),
    /// The input ended; the media time of its end. The last item.
    Finish(MediaTime),
}
