use crossbeam_channel::Sender;

use crate::error::{Error, Result};

use crate::event::Event;

use crate::sink::Sink;

/// Sends each event into a crossbeam channel. A disconnected receiver is an error.
///
/// ```
/// use avqc::{Sink, sink::ChannelSink, Event, MediaTime, event::MetricEvent};
/// let (tx, rx) = crossbeam_channel::unbounded();
/// let mut s = ChannelSink::new(tx);
/// let e = Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(), name: "x".into(), value: 1.0, at: MediaTime::ZERO });
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
