//! PLACEHOLDER: replaced by the real detector.
use serde::{Deserialize, Serialize};

use crate::{Detector, DetectorConfig, Error, Result};

/// Placeholder config.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClippingConfig {
    /// Placeholder.
    pub min_duration: f64,
}

/// Placeholder detector.
pub struct Clipping;

impl DetectorConfig for ClippingConfig {
    const TYPE: &'static str = "clipping";
    fn build(&self, _name: &str) -> Result<Box<dyn Detector>> {
        Err(Error::Unsupported(
            "clipping detector not written yet".into(),
        ))
    }
}
