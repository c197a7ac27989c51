use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Result;

use crate::event::Event;

use crate::sink::Sink;

/// Collects events in memory; clones share the same list, so keep one clone to read them
/// after the run.
///
/// ```
/// use avqc::{Sink, sink::Collect, Event, MediaTime, event::MetricEvent};
/// let c = Collect::new();
/// let mut s = c.clone();
/// s.emit(&Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(), name: "x".into(), value: 1.0, at: MediaTime::ZERO, track: None, language: None })).unwrap();
/// assert_eq!(c.events().len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Collect {
    events: Arc<Mutex<Vec<Event>>>,
}

impl Collect {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }
    /// A copy of the events collected so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    /// Takes the events collected so far out.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Sink for Collect {
    fn name(&self) -> &str {
        "collect"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
        Ok(())
    }
}
