//! Built-in audio detectors.

mod click;
mod clipping;
mod clock;
mod silence;

pub use click::{Click, ClickConfig};
pub use clipping::{Clipping, ClippingConfig};
pub use silence::{Silence, SilenceConfig};
