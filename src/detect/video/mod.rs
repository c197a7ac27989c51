//! Built-in video detectors.

mod black;
mod decode_errors;
mod frame_drop;
mod freeze;
mod luma;
mod stutter;

pub use black::{Black, BlackConfig};
pub use decode_errors::{DecodeErrors, DecodeErrorsConfig};
pub use frame_drop::{FrameDrop, FrameDropConfig};
pub use freeze::{Freeze, FreezeConfig};
pub use stutter::{Stutter, StutterConfig};
