//! PLACEHOLDER: replaced by the real detector.
use serde::{Deserialize, Serialize};

use crate::{Detector, DetectorConfig, Error, Result};

/// Placeholder config.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlackConfig {
    /// Placeholder.
    pub min_duration: f64,
}

/// Placeholder detector.
pub struct Black;

impl DetectorConfig for BlackConfig {
    const TYPE: &'static str = "black";
    fn build(&self, _name: &str) -> Result<Box<dyn Detector>> {
        Err(Error::Unsupported("black detector not written yet".into()))
    }
}
