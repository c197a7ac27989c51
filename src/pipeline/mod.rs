//! The in-memory dataflow: [`Pipeline::builder`] wires a decoder, detectors and a sink;
//! [`Pipeline::run`] runs them on threads joined by bounded channels and returns a [`Report`].
//!
//! The per-stream work — counting, limits, discontinuities, stall heartbeat, drop-by-lag,
//! detectors with thinning and panic isolation, snapshots — lives in `core` (with `group`,
//! `lane`, `slot`, `stall`, `tally`), shared with the [`Monitor`](crate::monitor::Monitor);
//! `run` drives it with threads.

mod builder;
pub(crate) mod core;
pub(crate) mod group;
pub(crate) mod item;
pub(crate) mod lane;
mod report;
pub(crate) mod run;
pub(crate) mod sink_loop;
pub(crate) mod slot;
mod stall;
pub(crate) mod tally;
pub(crate) mod thread_work;
pub(crate) mod tracks;

pub use builder::{OverloadPolicy, Pipeline, PipelineBuilder};
pub use report::{DetectorReport, Ending, Report, TrackReport};
