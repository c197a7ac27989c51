//! PLACEHOLDER: replaced by the real detector.
use serde::{Deserialize, Serialize};

use crate::{Detector, DetectorConfig, Error, Result};

/// Placeholder config.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecodeErrorsConfig {
    /// Placeholder.
    pub min_duration: f64,
}

/// Placeholder detector.
pub struct DecodeErrors;

impl DetectorConfig for DecodeErrorsConfig {
    const TYPE: &'static str = "decode_errors";
    fn build(&self, _name: &str) -> Result<Box<dyn Detector>> {
        Err(Error::Unsupported(
            "decode_errors detector not written yet".into(),
        ))
    }
}
