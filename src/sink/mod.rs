//! Where events go: the [`Sink`] trait and the built-in sinks — JSON Lines to any writer
//! ([`JsonLines`]), a crossbeam channel ([`ChannelSink`]), an in-memory collector
//! ([`Collect`]) and a closure ([`FnSink`]); [`QueuedSink`] runs a slow or failing sink on
//! its own thread so it never holds up the analysis, and with the `webhook` feature
//! `WebhookSink` posts each defect to a URL through it.
//!
//! [`Sender`] and [`Receiver`] are crossbeam-channel's, re-exported for [`ChannelSink`].

mod callback;
mod channel;
mod collect;
mod jsonl;
mod queue_stats;
mod queued;
#[cfg(feature = "webhook")]
mod webhook;

pub use callback::FnSink;
pub use channel::ChannelSink;
pub use collect::Collect;
pub use crossbeam_channel::{Receiver, Sender};
pub use jsonl::JsonLines;
pub use queue_stats::{QueueCounts, QueueStats};
pub use queued::{QueueConfig, QueuedSink};
#[cfg(feature = "webhook")]
pub use webhook::{WebhookConfig, WebhookSink};

use crate::error::Result;

use crate::event::Event;

/// Receives every event of a pipeline, on the thread that called
/// [`Pipeline::run`](crate::Pipeline::run).
///
/// An `Err` from `emit` or `flush` is never swallowed: the pipeline stops, flushes what it can
/// and returns the error.
///
/// ```
/// use avqc::{Event, Result, Sink};
/// struct CountDefects(usize);
/// impl Sink for CountDefects {
///     fn emit(&mut self, e: &Event) -> Result<()> {
///         if e.as_defect().is_some() { self.0 += 1; }
///         Ok(())
///     }
/// }
/// let mut s = CountDefects(0);
/// s.flush().unwrap();
/// ```
pub trait Sink: Send {
    /// A short name for errors.
    fn name(&self) -> &str {
        "sink"
    }
    /// Handles one event.
    fn emit(&mut self, event: &Event) -> Result<()>;
    /// Pushes buffered output out (called at the end of a run, and when the pipeline idles).
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        (**self).emit(event)
    }
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }
}

/// Every sink in the list gets every event (the first error stops the fan-out).
impl<S: Sink> Sink for Vec<S> {
    fn name(&self) -> &str {
        "tee"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        self.iter_mut().try_for_each(|s| s.emit(event))
    }
    fn flush(&mut self) -> Result<()> {
        self.iter_mut().try_for_each(|s| s.flush())
    }
}
