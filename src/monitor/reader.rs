//! A stream's reader thread: blocks in the input's reads (a URL, pushed bytes, a decoder that
//! waits for the network), not in the worker pool, and fills the bounded queue its task
//! drains. After a stop it still reads what the decoder holds (an FFmpeg decoder flushes its
//! last pictures), within the bounds the pipeline uses, and the task analyses it.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::{Media, Needs};
use crate::pipeline::slot::panic_message;
use crate::pipeline::thread_work::AfterStop;
use crate::pipeline::tracks::TrackTable;
use crate::pipeline::OverloadPolicy;
use crate::stop::StopSignal;

/// What a reader thread hands its task. Not the detectors' [`Item`](crate::pipeline::item::Item):
/// it carries the instant each item was read (the task measures its lag from it) and the
/// input's final `Result` (how the stream ends), which no detector sees; discontinuities and
/// the end are made by the task's core.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Fed {
    /// An item, with the instant it was read.
    Media(Instant, Media),
    /// The input ended (`Ok`) or failed.
    End(Result<()>),
}

/// What a reader thread reads.
pub(crate) enum ReaderSource {
    Decoder(Box<dyn Decoder>),
    #[cfg(feature = "ffmpeg")]
    Open {
        target: String,
        options: crate::decode::DecoderOptions,
    },
    #[cfg(feature = "ffmpeg")]
    Pushed {
        rx: Receiver<bytes::Bytes>,
        options: crate::decode::DecoderOptions,
    },
}

/// What a reader thread tells its stream (implemented by the stream, so this module needs
/// neither the stream nor the scheduler).
pub(crate) trait ReaderLink: Send + Sync {
    /// The input is open: the stream is running.
    fn opened(&self);
    /// Something was queued (or the queue is full): run the task.
    fn wake(&self);
}

/// Counters a reader shares with its task.
#[derive(Clone, Default)]
pub(crate) struct QueueCounts {
    /// Items dropped from the full queue.
    pub(crate) dropped: Arc<AtomicU64>,
    /// Bytes of decoded data in the queue (added before a send, taken at the receive).
    pub(crate) bytes: Arc<AtomicU64>,
    /// Set by the task once it finished: nothing more is read, not even after a stop.
    pub(crate) closed: Arc<AtomicBool>,
}

/// A reader thread's state.
pub(crate) struct Reader {
    pub(crate) id: Arc<str>,
    pub(crate) tx: Sender<Fed>,
    pub(crate) rx: Receiver<Fed>,
    pub(crate) link: Box<dyn ReaderLink>,
    pub(crate) stop: StopSignal,
    pub(crate) policy: OverloadPolicy,
    pub(crate) needs: Needs,
    /// What the detectors need when the stream's analysis is reduced.
    pub(crate) reduced_needs: Needs,
    /// The stream's degradation level (set by the monitor's controller).
    pub(crate) level: Arc<AtomicU8>,
    /// The stream's CPU time, to which this thread adds its own.
    pub(crate) cpu_ns: Arc<AtomicU64>,
    pub(crate) counts: QueueCounts,
    pub(crate) limits: Limits,
    /// Where the languages of the input's streams go once it is open.
    pub(crate) tracks: Arc<TrackTable>,
    /// What the decoder is still read for after a stop (set at the first read after it).
    pub(crate) after_stop: Cell<Option<AfterStop>>,
}

impl Reader {
    /// Opens the input and reads it into the queue until it ends, fails or the stream stops.
    pub(crate) fn run(self, source: ReaderSource) {
        let result = self.open(source).and_then(|d| self.read(d));
        self.put(Fed::End(result));
        self.link.wake();
    }

    /// Adds the thread's CPU time since `from` to the stream's (opening the input is not a
    /// per-second cost and is left out); returns the new reading.
    fn count_cpu(&self, from: Option<u64>) -> Option<u64> {
        let now = crate::cpu::thread_ns();
        if let (Some(a), Some(b)) = (from, now) {
            self.cpu_ns
                .fetch_add(b.saturating_sub(a), Ordering::Relaxed);
        }
        now
    }

    fn open(&self, source: ReaderSource) -> Result<Box<dyn Decoder>> {
        let mut d: Box<dyn Decoder> = match source {
            ReaderSource::Decoder(d) => d,
            #[cfg(feature = "ffmpeg")]
            ReaderSource::Open { target, options } => {
                Box::new(crate::decode::FfmpegDecoder::open(&target, &options)?)
            }
            #[cfg(feature = "ffmpeg")]
            ReaderSource::Pushed { rx, options } => Box::new(
                crate::decode::FfmpegDecoder::from_channel(&self.id, rx, &options)?,
            ),
        };
        d.set_stop_signal(self.stop.clone());
        d.relax(self.needs);
        for s in d.streams() {
            self.limits.check_stream(&self.id, s)?;
        }
        self.tracks.set(d.streams());
        self.link.opened();
        Ok(d)
    }

    fn read(&self, mut d: Box<dyn Decoder>) -> Result<()> {
        let mut cpu = crate::cpu::thread_ns();
        let mut applied = 0u8;
        loop {
            if self.stop.is_stopped() {
                let closed = self.counts.closed.load(Ordering::Acquire);
                let mut budget = self.after_stop();
                let take = budget.take();
                self.after_stop.set(Some(budget));
                if closed || !take {
                    return Ok(());
                }
            }
            cpu = self.count_cpu(cpu);
            let level = self.level.load(Ordering::Acquire).min(1);
            if level != applied {
                applied = level;
                d.relax(if level == 1 {
                    self.reduced_needs
                } else {
                    self.needs
                });
            }
            match catch_unwind(AssertUnwindSafe(|| d.next())) {
                Ok(Ok(Some(m))) => {
                    if !self.put(Fed::Media(Instant::now(), m)) {
                        return Ok(());
                    }
                    self.link.wake();
                }
                Ok(Ok(None)) => return Ok(()),
                // An error after the stop ends the input quietly.
                Ok(Err(_)) | Err(_) if self.stop.is_stopped() => return Ok(()),
                Ok(Err(e)) => return Err(e),
                Err(p) => {
                    return Err(Error::Read {
                        input: self.id.to_string(),
                        message: format!("decoder panicked: {}", panic_message(&*p)),
                    })
                }
            }
        }
    }

    /// Queues an item; false when the task is gone, or the stream stopped and its time to
    /// take what the decoder held is over.
    fn put(&self, item: Fed) -> bool {
        // Counted before the send, so the task's receive never takes more than was added.
        let bytes = match &item {
            Fed::Media(_, m) => m.byte_len() as u64,
            Fed::End(_) => 0,
        };
        self.counts.bytes.fetch_add(bytes, Ordering::Relaxed);
        let sent = self.send(item);
        if !sent {
            self.counts.bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
        sent
    }

    fn send(&self, item: Fed) -> bool {
        let mut item = item;
        loop {
            if self.policy == OverloadPolicy::DropOldest && matches!(item, Fed::Media(..)) {
                match self.tx.try_send(item) {
                    Ok(()) => return true,
                    Err(TrySendError::Full(i)) => {
                        item = i;
                        if let Ok(Fed::Media(_, old)) = self.rx.try_recv() {
                            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                            self.counts
                                .bytes
                                .fetch_sub(old.byte_len() as u64, Ordering::Relaxed);
                        }
                        continue;
                    }
                    Err(TrySendError::Disconnected(_)) => return false,
                }
            }
            match self.tx.send_timeout(item, Duration::from_millis(100)) {
                Ok(()) => return true,
                Err(SendTimeoutError::Timeout(i)) => {
                    if self.gone() {
                        return false;
                    }
                    self.link.wake();
                    item = i;
                }
                Err(SendTimeoutError::Disconnected(_)) => return false,
            }
        }
    }

    /// What the decoder is still read for after the stop (counted from when the reader first
    /// saw it).
    fn after_stop(&self) -> AfterStop {
        self.after_stop.get().unwrap_or_else(|| {
            let budget = AfterStop::new();
            self.after_stop.set(Some(budget));
            budget
        })
    }

    /// True when nothing more can be handed over: the task finished, or the stream stopped
    /// and the time to take what the decoder held is over.
    fn gone(&self) -> bool {
        self.counts.closed.load(Ordering::Acquire)
            || (self.stop.is_stopped() && Instant::now() >= self.after_stop().until())
    }
}
