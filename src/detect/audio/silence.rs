//! PLACEHOLDER: replaced by the real detector.
use serde::{Deserialize, Serialize};

use crate::{Detector, DetectorConfig, Error, Result};

/// Placeholder config.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SilenceConfig {
    /// Placeholder.
    pub min_duration: f64,
}

/// Placeholder detector.
pub struct Silence;

impl DetectorConfig for SilenceConfig {
    const TYPE: &'static str = "silence";
    fn build(&self, _name: &str) -> Result<Box<dyn Detector>> {
        Err(Error::Unsupported(
            "silence detector not written yet".into(),
        ))
    }
}
