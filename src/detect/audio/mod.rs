//! Built-in audio detectors.

mod channels;
mod click;
mod clipping;
mod hum;
mod loudness;
mod silence;
mod track_sync;

pub use channels::{Channels, ChannelsConfig};
pub use click::{Click, ClickConfig};
pub use clipping::{Clipping, ClippingConfig};
pub use hum::{Hum, HumConfig};
pub use loudness::{Loudness, LoudnessConfig, LoudnessMeasure, LoudnessPreset};
pub use silence::{Silence, SilenceConfig};
pub use track_sync::{TrackSync, TrackSyncConfig};
