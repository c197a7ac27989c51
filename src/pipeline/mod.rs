//! The in-memory dataflow: [`Pipeline::builder`] wires a decoder, detectors and a sink;
//! [`Pipeline::run`] runs them on threads joined by bounded channels and returns a [`Report`].

mod builder;
mod report;
pub(crate) mod run;
pub(crate) mod slot;
mod stall;
pub(crate) mod tally;

pub use builder::{OverloadPolicy, Pipeline, PipelineBuilder};
pub use report::{DetectorReport, Ending, Report};
