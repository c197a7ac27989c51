//! A stream's load as the capacity controller sees it and its task obeys: the CPU its threads
//! spent, its degradation level (full, reduced, handed back) and what the pictures must
//! still give when reduced. Below both the controller (`control`) and the stream's task
//! (`stream`), so neither imports the other for it.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::capacity::CostCell;
use crate::detect::Detector;
use crate::media::Needs;

/// Full analysis.
pub(crate) const FULL: u8 = 0;
/// Cheaper decoding, heavy detectors suspended.
pub(crate) const REDUCED: u8 = 1;
/// Handed back: stopped with a reason.
pub(crate) const SHED: u8 = 2;
/// Level-only detectors see one picture in this many (times the stream's own thinning) when
/// reduced.
pub(crate) const REDUCED_THIN: usize = 4;
/// A stream's side of the controller: the CPU its threads spent, its degradation level
/// (read by its task and its reader thread) and its cost record.
pub(crate) struct StreamLoad {
    /// CPU nanoseconds the stream's worker slices and reader thread have run.
    pub(crate) cpu_ns: Arc<AtomicU64>,
    /// [`FULL`], [`REDUCED`] or [`SHED`].
    pub(crate) level: Arc<AtomicU8>,
    pub(crate) cell: Mutex<CostCell>,
    /// Why it was handed back.
    pub(crate) shed_reason: Mutex<String>,
}

impl StreamLoad {
    pub(crate) fn new(cell: CostCell) -> Self {
        StreamLoad {
            cpu_ns: Arc::new(AtomicU64::new(0)),
            level: Arc::new(AtomicU8::new(FULL)),
            cell: Mutex::new(cell),
            shed_reason: Mutex::new(String::new()),
        }
    }

    pub(crate) fn cell(&self) -> MutexGuard<'_, CostCell> {
        self.cell.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds the CPU time between two readings of the thread's clock.
    #[inline]
    pub(crate) fn add_cpu(&self, from: Option<u64>, to: Option<u64>) {
        if let (Some(a), Some(b)) = (from, to) {
            self.cpu_ns
                .fetch_add(b.saturating_sub(a), Ordering::Relaxed);
        }
    }
}

/// The needs of the pictures when reduced: those of the detectors that keep running (the
/// ones that need not see every picture), without every picture.
pub(crate) fn reduced_needs(detectors: &[Box<dyn Detector>], snapshots: bool) -> Needs {
    let mut needs = Needs::NONE;
    for d in detectors.iter().filter(|d| d.wants().video()) {
        if !d.needs().every_frame {
            needs = needs | d.needs();
        }
    }
    Needs {
        every_frame: false,
        deblocked: needs.deblocked || snapshots,
    }
}
