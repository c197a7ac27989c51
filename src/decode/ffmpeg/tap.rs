//! The transport tap: the bytes libavformat reads pass through a [`TsAnalyzer`] first, and its
//! findings become [`NoticeKind::Transport`](crate::media::NoticeKind::Transport) notices.

use std::io::{Read, SeekFrom};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ffi::Source;
use crate::transport::TsAnalyzer;

/// The analyser shared by the reader (which feeds it) and the decoder (which drains it), both
/// on the decoder's thread.
pub(super) type Tap = Arc<Mutex<TsAnalyzer>>;

pub(super) fn lock(tap: &Tap) -> MutexGuard<'_, TsAnalyzer> {
    tap.lock().unwrap_or_else(|p| p.into_inner())
}

/// A reader whose bytes are fed to the analyser exactly once, in input order: after a seek
/// (libavformat probing the end of a file for its duration) the bytes away from the analysed
/// frontier are passed on but not analysed.
pub(super) struct Tapped<S> {
    inner: S,
    tap: Tap,
    /// Position of the next byte read.
    pos: u64,
    /// Bytes analysed so far (the frontier).
    fed: u64,
}

impl<S> Tapped<S> {
    pub(super) fn new(inner: S, tap: Tap) -> Self {
        Tapped {
            inner,
            tap,
            pos: 0,
            fed: 0,
        }
    }
}

impl<S: Read> Read for Tapped<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let start = self.pos;
        self.pos += n as u64;
        if n == 0 {
            if start == self.fed {
                lock(&self.tap).finish();
            }
        } else if start <= self.fed && self.fed < self.pos {
            let from = usize::try_from(self.fed - start).unwrap_or(n);
            lock(&self.tap).feed(&buf[from..n]);
            self.fed = self.pos;
        }
        Ok(n)
    }
}

impl<S: Source> Source for Tapped<S> {
    fn seek_to(&mut self, to: SeekFrom) -> Option<u64> {
        let p = self.inner.seek_to(to)?;
        self.pos = p;
        Some(p)
    }

    fn size(&mut self) -> Option<u64> {
        self.inner.size()
    }

    fn seekable(&self) -> bool {
        self.inner.seekable()
    }
}

/// Whether `open(url)` should read the input through the tap: MPEG-TS by its name or the
/// forced format, or a byte-stream protocol that carries TS (UDP, SRT, TCP). Playlists (HLS,
/// whose demuxer opens the segments itself) and everything else are opened by libavformat
/// directly.
pub(super) fn wants_tap(url: &str, format: Option<&str>) -> bool {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or("");
    if path.contains(".m3u8") || format.is_some_and(|f| f != "mpegts") {
        return false;
    }
    let scheme = path.split_once("://").map(|(s, _)| s);
    let byte_stream = matches!(scheme, None | Some("file" | "http" | "https"));
    let ts_name = [".ts", ".m2ts", ".mts", ".m2t", ".trp", ".tsv"]
        .iter()
        .any(|e| path.ends_with(e));
    let stream_protocol = matches!(scheme, Some("udp" | "srt" | "tcp"));
    stream_protocol || (byte_stream && (ts_name || format == Some("mpegts")))
}

#[cfg(test)]
mod tests {
    use super::wants_tap;

    #[test]
    fn tap_choice() {
        assert!(wants_tap("tests/data/demo.ts", None));
        assert!(wants_tap("file:/x/a.M2TS", None));
        assert!(wants_tap("udp://127.0.0.1:5000?fifo_size=100", None));
        assert!(wants_tap("http://h/live/seg.ts?token=1", None));
        assert!(wants_tap("clip.bin", Some("mpegts")));
        assert!(!wants_tap("http://h/live.m3u8", None));
        assert!(!wants_tap("http://h/live.m3u8", Some("mpegts")));
        assert!(!wants_tap("clip.mp4", None));
        assert!(!wants_tap("clip.ts", Some("mpeg")));
        assert!(!wants_tap("rtp://127.0.0.1:5000", None));
    }
}
