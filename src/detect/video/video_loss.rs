//! `video_loss`: no picture arrives while the input goes on (`video_loss`).
//!
//! Measured in media time: the detector sees pictures, sound and decoder notices; when the
//! media clock (the end of the newest sound block, or a notice's time) has run `max_gap`
//! seconds past the end of the last picture, a `video_loss` defect opens, starting at the end
//! of that last picture. The next picture ends it; the end of the input closes it.
//!
//! Decoders hold a few pictures for reordering (B-frames) and release the last ones before a
//! hole only when pictures come again; such late pictures continue the sequence without a gap
//! and do not end the loss (its reported start may then be a few frames early). They end it
//! only when they bring the gap back under `max_gap` (the pictures were late, not lost).
//!
//! Only inputs that had pictures at all are watched (the loss starts counting at the first
//! picture), so an audio-only input or a video stream that starts late raises nothing. A
//! stall of the whole input (no media at all, e.g. a dead network feed) cannot be seen in
//! media time: that is the pipeline's concern (a wall-clock watchdog around the decoder), not
//! this detector's.

use crate::detect::lock::StreamLock;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, Wants};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{Media, MediaTime, Needs};

/// Configuration of the [`VideoLoss`] detector (type `"video_loss"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::video::VideoLossConfig};
/// let c: VideoLossConfig = serde_json::from_str(r#"{"max_gap": 5.0}"#).unwrap();
/// assert_eq!(c.max_gap, 5.0);
/// assert!(VideoLossConfig { max_gap: 0.0 }.build("video_loss").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoLossConfig {
    /// Seconds of media time without a picture (while sound or notices go on) before video is
    /// reported lost. Default `2.0`: far above any frame interval (even 1 fps slideshows) and
    /// above the audio-ahead-of-video interleaving of MPEG-TS muxers (0.7 s by default in
    /// FFmpeg), yet short enough for a live alarm.
    pub max_gap: f64,
}

impl Default for VideoLossConfig {
    fn default() -> Self {
        VideoLossConfig { max_gap: 2.0 }
    }
}

impl DetectorConfig for VideoLossConfig {
    const TYPE: &'static str = "video_loss";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.positive_seconds("max_gap", self.max_gap)?;
        Ok(Box::new(VideoLoss::new(name, self.clone())))
    }
}

/// Detects lost video: reports `video_loss` from the end of the last picture to the next
/// picture when no picture arrived for [`VideoLossConfig::max_gap`] seconds of media time.
/// Built from a [`VideoLossConfig`].
pub struct VideoLoss {
    name: String,
    cfg: VideoLossConfig,
    clock: FrameClock,
    stream: StreamLock,
    /// End of the last picture's display interval.
    last_end: Option<MediaTime>,
    /// Start of the open loss.
    open: Option<MediaTime>,
    /// The media clock: the newest end of sound or notice time.
    now: Option<MediaTime>,
}

impl VideoLoss {
    /// A video-loss detector named `name`. Prefer [`VideoLossConfig::build`], which checks the
    /// values.
    pub fn new(name: &str, cfg: VideoLossConfig) -> Self {
        VideoLoss {
            name: name.to_string(),
            cfg,
            clock: FrameClock::default(),
            stream: StreamLock::default(),
            last_end: None,
            open: None,
            now: None,
        }
    }

    /// The media clock moved on to `now` without a picture.
    fn advance(&mut self, now: MediaTime, out: &mut Events) {
        let now = self.now.map_or(now, |n| n.max(now));
        self.now = Some(now);
        let Some(last) = self.last_end else { return };
        if self.open.is_none() && now.secs_since(last) >= self.cfg.max_gap - 1e-9 {
            self.open = Some(last);
            let mut d = Details::new();
            d.insert("max_gap".into(), json!(self.cfg.max_gap));
            out.span(
                &DefectKind::VIDEO_LOSS,
                SpanChange::Started { start: last },
                now,
                d,
            );
        }
    }

    fn end(&mut self, end: MediaTime, at: MediaTime, out: &mut Events) {
        if let Some(start) = self.open.take() {
            let end = end.max(start);
            let mut d = Details::new();
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 1000.0).round() / 1000.0),
            );
            out.span(
                &DefectKind::VIDEO_LOSS,
                SpanChange::Ended { start, end },
                at.max(start),
                d,
            );
        }
    }
}

impl Detector for VideoLoss {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::VIDEO | Wants::AUDIO | Wants::NOTICES
    }

    fn needs(&self) -> Needs {
        // gaps of seconds only
        Needs {
            every_frame: false,
            deblocked: false,
        }
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        match media {
            Media::Video(frame) => {
                if !self.stream.accepts(frame.stream()) {
                    return;
                }
                let t = frame.time();
                let until = self.clock.until(frame);
                if self.open.is_some() {
                    // A decoder holding pictures for reordering releases the last ones before
                    // a hole only when pictures come again: those continue the sequence (no
                    // gap before them) and do not end the loss unless they close the gap to
                    // under `max_gap`; a picture after a gap is the picture coming back.
                    let step = until.secs_since(t).max(0.0);
                    let continues = self
                        .last_end
                        .is_some_and(|l| t.secs_since(l) <= 0.5 * step + 1e-6);
                    let caught_up = self
                        .now
                        .is_some_and(|n| n.secs_since(until) < self.cfg.max_gap - 1e-9);
                    if !continues || caught_up {
                        self.end(t, t, out);
                    }
                }
                self.last_end = Some(self.last_end.map_or(until, |l| l.max(until)));
            }
            Media::Audio(a) => self.advance(a.end_time(), out),
            Media::Notice(n) => self.advance(n.time, out),
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        // The timeline is bridged at `at`: close what is open there and count a new gap from
        // the jump, so time before it is not compared with time after it.
        self.end(at, at, out);
        if self.last_end.is_some() {
            self.last_end = Some(at);
        }
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.end(at, at, out);
    }
}
