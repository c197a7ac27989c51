//! A signal that asks a running pipeline (and its decoder) to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cloneable stop flag shared between a pipeline, its decoder and the host.
///
/// ```
/// let s = avqc::StopSignal::new();
/// let other = s.clone();
/// other.stop();
/// assert!(s.is_stopped());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A signal that is not raised.
    pub fn new() -> Self {
        Self::default()
    }
    /// Raises the signal.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// True once raised.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// The shared flag (for an FFmpeg interrupt callback).
    pub fn flag(&self) -> &Arc<AtomicBool> {
        &self.0
    }
}
