use crate::error::Result;
use crate::event::Event;
use crate::sink::Sink;

/// Calls a closure for each event.
///
/// ```
/// use avqc::{Sink, sink::FnSink, Event, MediaTime, event::MetricEvent};
/// let mut n = 0;
/// let mut s = FnSink::new(|_e: &Event| { n += 1; Ok(()) });
/// s.emit(&Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(), name: "x".into(), value: 1.0, at: MediaTime::ZERO, track: None, language: None })).unwrap();
/// drop(s);
/// assert_eq!(n, 1);
/// ```
pub struct FnSink<F>(F);

impl<F: FnMut(&Event) -> Result<()> + Send> FnSink<F> {
    /// A sink calling `f`.
    pub fn new(f: F) -> Self {
        FnSink(f)
    }
}

impl<F: FnMut(&Event) -> Result<()> + Send> Sink for FnSink<F> {
    fn name(&self) -> &str {
        "callback"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        (self.0)(event)
    }
}
