//! Bytes pushed by the host: a channel of [`Bytes`] read as one byte stream.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::ffi::Interrupt;
use crate::{Error, Result};

/// Reads the chunks of a channel as one byte stream; a disconnected channel is the end.
pub(super) struct ChannelReader {
    pub(super) rx: Receiver<Bytes>,
    pub(super) current: Bytes,
    pub(super) interrupt: Arc<Interrupt>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.recv_timeout(Duration::from_millis(50)) {
                Ok(b) => self.current = b,
                Err(RecvTimeoutError::Timeout) => {
                    if self.interrupt.is_set() {
                        return Ok(0);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// The host's end of a pushed input: bytes of a container stream (MPEG-TS, fragmented MP4)
/// that the host receives itself and hands to a [`FfmpegDecoder`](crate::FfmpegDecoder).
///
/// [`PushInput::new`] returns the pushing handle and the receiving end, which goes to
/// [`FfmpegDecoder::from_channel`](crate::FfmpegDecoder::from_channel). The handle is cheap to clone; the input ends when
/// [`finish`](Self::finish) was called on (or drop happened to) every clone. [`push`](Self::push)
/// blocks while `capacity` chunks are waiting, which paces the host to the decoder.
///
/// Opening the decoder blocks until enough bytes are there to probe the format, so push from
/// another thread (or push the first chunks before opening, within `capacity`).
///
/// ```
/// use avqc::{Decoder, DecoderOptions, FfmpegDecoder, PushInput};
/// let (input, rx) = PushInput::new(16);
/// let data = std::fs::read("tests/data/demo.ts").unwrap();
/// let feeder = std::thread::spawn(move || {
///     for chunk in data.chunks(188 * 50) {
///         if input.push(bytes::Bytes::copy_from_slice(chunk)).is_err() { break; }
///     }
///     input.finish();
/// });
/// let mut d = FfmpegDecoder::from_channel("live.ts", rx, &DecoderOptions::default())?;
/// let mut items = 0;
/// while let Some(_) = d.next()? { items += 1; }
/// feeder.join().unwrap();
/// assert!(items > 250);
/// # Ok::<(), avqc::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PushInput {
    tx: Sender<Bytes>,
}

impl PushInput {
    /// A pushing handle and the receiving end for [`FfmpegDecoder::from_channel`](crate::FfmpegDecoder::from_channel); at most
    /// `capacity` chunks (at least 1) wait in between.
    pub fn new(capacity: usize) -> (PushInput, Receiver<Bytes>) {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        (PushInput { tx }, rx)
    }

    /// Hands a chunk of bytes to the decoder, waiting while the queue is full.
    ///
    /// Errors with [`Error::Read`] when the decoder has gone (dropped or finished).
    pub fn push(&self, data: Bytes) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.tx.send(data).map_err(|_| Error::Read {
            input: "push input".into(),
            message: "the decoder has gone".into(),
        })
    }

    /// Ends the input (for this handle; the input ends when every clone has finished or been
    /// dropped). The decoder decodes what is queued, then ends.
    pub fn finish(self) {
        drop(self);
    }
}
