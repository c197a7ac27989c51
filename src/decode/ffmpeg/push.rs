//! Bytes pushed by the host: a channel of [`Bytes`] read as one byte stream.

use std::io::Read;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use crate::error::{Error, Result};
use crate::ffi::Interrupt;
use crate::limits::Limits;

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
        if self.current.is_empty() {
            // Release the chunk now: its bytes go back to the pusher's budget.
            self.current = Bytes::new();
        }
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
    budget: Arc<Budget>,
}

/// Bytes pushed and not yet read by the decoder, against their limit.
#[derive(Debug)]
struct Budget {
    used: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Budget {
    fn release(&self, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// A pushed chunk that gives its bytes back to the budget when the decoder has read it.
struct Counted {
    data: Bytes,
    budget: Arc<Budget>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.budget.release(self.data.len());
    }
}

impl PushInput {
    /// A pushing handle and the receiving end for [`FfmpegDecoder::from_channel`](crate::FfmpegDecoder::from_channel); at most
    /// `capacity` chunks (at least 1) and [`Limits::default`]`().max_push_bytes` bytes wait in
    /// between.
    pub fn new(capacity: usize) -> (PushInput, Receiver<Bytes>) {
        Self::with_max_bytes(capacity, Limits::default().max_push_bytes)
    }

    /// Like [`new`](Self::new), with at most `max_bytes` (at least 1) waiting for the decoder
    /// (pass [`Limits::max_push_bytes`]).
    ///
    /// ```
    /// use avqc::PushInput;
    /// let (input, _rx) = PushInput::with_max_bytes(4, 1000);
    /// assert!(input.try_push(bytes::Bytes::from(vec![0u8; 600])).is_ok());
    /// // 600 bytes wait unread: 600 more would exceed the 1000-byte budget.
    /// assert!(input.try_push(bytes::Bytes::from(vec![0u8; 600])).is_err());
    /// // A chunk bigger than the whole budget can never fit.
    /// assert!(matches!(input.push(bytes::Bytes::from(vec![0u8; 2000])), Err(avqc::Error::Limit { .. })));
    /// ```
    pub fn with_max_bytes(capacity: usize, max_bytes: usize) -> (PushInput, Receiver<Bytes>) {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let budget = Arc::new(Budget {
            used: Mutex::new(0),
            freed: Condvar::new(),
            max: max_bytes.max(1),
        });
        (PushInput { tx, budget }, rx)
    }

    /// Bytes pushed that the decoder has not read yet.
    pub fn buffered_bytes(&self) -> usize {
        *self.budget.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands a chunk of bytes to the decoder, waiting while the queue is full (in chunks or
    /// in bytes).
    ///
    /// Errors with [`Error::Read`] when the decoder has gone (dropped or finished), with
    /// [`Error::Limit`] for a chunk larger than the whole byte budget.
    pub fn push(&self, data: Bytes) -> Result<()> {
        self.reserve(&data, true)?;
        self.send(data, true)
    }

    /// Hands a chunk of bytes to the decoder if it fits now; never waits.
    ///
    /// Errors with [`Error::Limit`] when the chunk does not fit in the queue or the byte budget
    /// (a live host that cannot wait should then drop the input or this chunk), with
    /// [`Error::Read`] when the decoder has gone.
    pub fn try_push(&self, data: Bytes) -> Result<()> {
        self.reserve(&data, false)?;
        self.send(data, false)
    }

    fn limit_error(&self, what: &str, actual: usize) -> Error {
        Error::limit(
            "push input",
            what,
            format!("{actual} bytes"),
            format!("{} bytes", self.budget.max),
        )
    }

    /// Counts `data` against the budget, waiting for room if `wait`.
    fn reserve(&self, data: &Bytes, wait: bool) -> Result<()> {
        let n = data.len();
        if n > self.budget.max {
            return Err(self.limit_error("pushed chunk", n));
        }
        let mut used = self.budget.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used + n > self.budget.max {
            if !wait {
                return Err(self.limit_error("bytes buffered for the decoder", *used + n));
            }
            // Chunks left in the channel when the decoder goes are dropped with it, which
            // frees their bytes: this wait cannot outlive the decoder.
            used = self
                .budget
                .freed
                .wait_timeout(used, Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *used += n;
        Ok(())
    }

    fn send(&self, data: Bytes, wait: bool) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from_owner(Counted {
            data,
            budget: Arc::clone(&self.budget),
        });
        let sent = if wait {
            self.tx.send(chunk).map_err(|e| Some(e.into_inner()))
        } else {
            self.tx.try_send(chunk).map_err(|e| match e {
                TrySendError::Full(c) => {
                    drop(c);
                    None
                }
                TrySendError::Disconnected(c) => Some(c),
            })
        };
        match sent {
            Ok(()) => Ok(()),
            Err(None) => Err(Error::limit(
                "push input",
                "chunks queued for the decoder",
                "a full queue",
                format!("{} chunks", self.tx.capacity().unwrap_or(0)),
            )),
            Err(Some(_)) => Err(Error::Read {
                input: "push input".into(),
                message: "the decoder has gone".into(),
            }),
        }
    }

    /// Ends the input (for this handle; the input ends when every clone has finished or been
    /// dropped). The decoder decodes what is queued, then ends.
    pub fn finish(self) {
        drop(self);
    }
}
