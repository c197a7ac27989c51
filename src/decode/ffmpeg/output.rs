//! The decoder's output: media and notices waiting for `next`, and the latest media time.

use std::collections::VecDeque;

use crate::media::{DecoderNotice, Media, MediaTime, NoticeKind};

/// Items decoded and not yet handed out, in order.
#[derive(Debug)]
pub(super) struct Output {
    queue: VecDeque<Media>,
    /// The latest time of the media queued so far (notices do not move it).
    last_time: MediaTime,
}

impl Output {
    pub(super) fn new() -> Self {
        Output {
            queue: VecDeque::new(),
            last_time: MediaTime::ZERO,
        }
    }

    /// The latest media time queued so far.
    pub(super) fn last_time(&self) -> MediaTime {
        self.last_time
    }

    /// Queues a picture or an audio buffer.
    pub(super) fn media(&mut self, m: Media) {
        if m.time() > self.last_time {
            self.last_time = m.time();
        }
        self.queue.push_back(m);
    }

    /// Queues a notice at `time` (about `stream`, when given).
    pub(super) fn notice(&mut self, time: MediaTime, stream: Option<usize>, kind: NoticeKind) {
        self.queued_notice(DecoderNotice::new(time, stream, kind));
    }

    /// Queues a notice made before.
    pub(super) fn queued_notice(&mut self, n: DecoderNotice) {
        self.queue.push_back(Media::Notice(n));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(super) fn pop(&mut self) -> Option<Media> {
        self.queue.pop_front()
    }

    /// Drops everything queued (the input ended with an error or was stopped).
    pub(super) fn clear(&mut self) {
        self.queue.clear();
    }
}
