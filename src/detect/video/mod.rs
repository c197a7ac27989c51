//! Built-in video detectors.

mod black;
mod blockiness;
mod captions;
mod corruption;
mod decode_errors;
mod format_change;
mod frame_drop;
mod freeze;
mod letterbox;
mod out_of_range;
mod stutter;
mod video_loss;

pub use black::{Black, BlackConfig};
pub use blockiness::{Blockiness, BlockinessConfig};
pub use captions::{count_cc_triplets, Captions, CaptionsConfig};
pub use corruption::{Corruption, CorruptionConfig};
pub use decode_errors::{DecodeErrors, DecodeErrorsConfig};
pub use format_change::{FormatChange, FormatChangeConfig};
pub use frame_drop::{FrameDrop, FrameDropConfig};
pub use freeze::{Freeze, FreezeConfig};
pub use letterbox::{Letterbox, LetterboxConfig};
pub use out_of_range::{OutOfRange, OutOfRangeConfig};
pub use stutter::{Stutter, StutterConfig};
pub use video_loss::{VideoLoss, VideoLossConfig};
