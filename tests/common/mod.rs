//! Helpers shared by the detector test files.

use avqc::{Detector, Event, Events, Media, MediaTime};

/// Feeds `media` to `det`, then finishes at the end of the last item; returns every event.
pub fn run_all(mut det: Box<dyn Detector>, media: impl IntoIterator<Item = Media>) -> Vec<Event> {
    let mut out = Events::new("test", det.name());
    let mut events = Vec::new();
    let mut end = MediaTime::ZERO;
    for m in media {
        end = end.max(match &m {
            Media::Video(v) => v.time().add_secs(v.duration().unwrap_or(0.0)),
            Media::Audio(a) => a.end_time(),
            Media::Notice(n) => n.time,
        });
        det.process(&m, &mut out);
        events.extend(out.drain());
    }
    det.finish(end, &mut out);
    events.extend(out.drain());
    events
}
