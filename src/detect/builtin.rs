//! The built-in detector types, one line each, in the order a default set runs them (events
//! of one instant come out in this order). A new built-in detector is its own file under
//! video/, audio/ or its own folder, plus one line here; its config says whether it is on by
//! default ([`DetectorConfig::ON_BY_DEFAULT`](crate::DetectorConfig::ON_BY_DEFAULT)).

use crate::detect::registry::Registry;
use crate::detect::{audio, sync, transport, video};

impl Registry {
    /// A registry with every built-in detector.
    ///
    /// ```
    /// let reg = avqc::Registry::builtin();
    /// assert!(reg.types().any(|t| t == "freeze"));
    /// ```
    pub fn builtin() -> Self {
        let mut r = Self::empty();
        register(&mut r);
        r
    }
}

/// Registers every built-in type into `r`.
fn register(r: &mut Registry) {
    r.register::<video::FreezeConfig>();
    r.register::<video::BlackConfig>();
    r.register::<video::DecodeErrorsConfig>();
    r.register::<video::CorruptionConfig>();
    r.register::<video::BlockinessConfig>();
    r.register::<audio::SilenceConfig>();
    r.register::<audio::ClippingConfig>();
    r.register::<audio::LoudnessConfig>();
    r.register::<audio::ChannelsConfig>();
    r.register::<audio::HumConfig>();
    r.register::<audio::ClickConfig>();
    r.register::<video::FrameDropConfig>();
    r.register::<video::StutterConfig>();
    r.register::<video::VideoLossConfig>();
    r.register::<video::FormatChangeConfig>();
    r.register::<video::OutOfRangeConfig>();
    r.register::<video::LetterboxConfig>();
    r.register::<sync::SyncConfig>();
    r.register::<transport::TransportConfig>();
}

// The registry's documented default set; the test fails when a config's ON_BY_DEFAULT changes.
#[cfg(test)]
#[test]
fn the_default_set_is_what_the_configs_say() {
    let r = Registry::builtin();
    let off: Vec<&str> = r
        .types()
        .filter(|t| r.on_by_default(t) == Some(false))
        .collect();
    assert_eq!(off, ["decode_errors", "blockiness", "letterbox"]);
    assert_eq!(r.types().count(), 19);
}
