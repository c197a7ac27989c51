//! Global FFmpeg initialisation, shared by every way of opening an input.

use std::sync::Once;

use ffmpeg_sys_next as sys;

static NETWORK: Once = Once::new();

/// Installs the log callback and initialises the network protocols (once).
pub(super) fn init() {
    super::log::install();
    NETWORK.call_once(|| {
        // SAFETY: global initialisation, done once.
        unsafe { sys::avformat_network_init() };
    });
}
