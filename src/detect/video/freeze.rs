//! PLACEHOLDER: replaced by the real detector.
use serde::{Deserialize, Serialize};

use crate::{Detector, DetectorConfig, Error, Result};

/// Placeholder config.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreezeConfig {
    /// Placeholder.
    pub min_duration: f64,
}

/// Placeholder detector.
pub struct Freeze;

impl DetectorConfig for FreezeConfig {
    const TYPE: &'static str = "freeze";
    fn build(&self, _name: &str) -> Result<Box<dyn Detector>> {
        Err(Error::Unsupported("freeze detector not written yet".into()))
    }
}
