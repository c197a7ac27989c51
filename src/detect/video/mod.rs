//! Built-in video detectors.

mod black;
mod decode_errors;
mod freeze;
mod luma;

pub use black::{Black, BlackConfig};
pub use decode_errors::{DecodeErrors, DecodeErrorsConfig};
pub use freeze::{Freeze, FreezeConfig};
