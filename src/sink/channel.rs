use crossbeam_channel::{Receiver, Sender};

use crate::error::{Error, Result};

use crate::event::Event;

use crate::sink::Sink;

/// Sends each event into a crossbeam channel. A disconnected receiver is an error.
///
/// [`ChannelSink::bounded`] and [`ChannelSink::unbounded`] make the channel too; the
/// [`Receiver`](crate::sink::Receiver) and [`Sender`] types are re-exported in [`crate::sink`].
///
/// ```
/// use avqc::{Sink, sink::ChannelSink, Event, MediaTime, event::MetricEvent};
/// let (mut s, rx) = ChannelSink::unbounded();
/// let e = Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(), name: "x".into(), value: 1.0, at: MediaTime::ZERO, track: None, language: None });
/// s.emit(&e).unwrap();
/// assert_eq!(rx.recv().unwrap(), e);
/// drop(rx);
/// assert!(s.emit(&e).is_err());
/// ```
pub struct ChannelSink {
    tx: Sender<Event>,
}

impl ChannelSink {
    /// A sink sending into `tx` (a bounded channel applies backpressure to the pipeline).
    pub fn new(tx: Sender<Event>) -> Self {
        ChannelSink { tx }
    }

    /// A sink and the receiving end of a channel of `capacity` events: when it is full the
    /// pipeline waits for the receiver.
    ///
    /// ```
    /// use avqc::{Sink, sink::ChannelSink, Event, MediaTime, event::MetricEvent};
    /// let (mut s, rx) = ChannelSink::bounded(16);
    /// s.emit(&Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(),
    ///     name: "x".into(), value: 1.0, at: MediaTime::ZERO, track: None, language: None })).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn bounded(capacity: usize) -> (Self, Receiver<Event>) {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        (ChannelSink { tx }, rx)
    }

    /// A sink and the receiving end of an unbounded channel.
    ///
    /// ```
    /// let (_sink, rx) = avqc::sink::ChannelSink::unbounded();
    /// assert!(rx.is_empty());
    /// ```
    pub fn unbounded() -> (Self, Receiver<Event>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (ChannelSink { tx }, rx)
    }
}

impl Sink for ChannelSink {
    fn name(&self) -> &str {
        "channel"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        self.tx.send(event.clone()).map_err(|_| Error::Sink {
            sink: "channel".into(),
            source: std::io::Error::new(std::io::ErrorKind::BrokenPipe, "receiver dropped"),
        })
    }
}
