//! Built-in audio detectors.

mod clipping;
mod clock;
mod loudness;
mod silence;

pub use clipping::{Clipping, ClippingConfig};
pub use loudness::{Loudness, LoudnessConfig, LoudnessMeasure, LoudnessPreset};
pub use silence::{Silence, SilenceConfig};
