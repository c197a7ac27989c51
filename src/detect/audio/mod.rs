//! Built-in audio detectors.

mod clipping;
mod clock;
mod silence;

pub use clipping::{Clipping, ClippingConfig};
pub use silence::{Silence, SilenceConfig};
