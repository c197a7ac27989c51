//! The built-in detector types, one line each, in the order a default set runs them (events
//! of one instant come out in this order). A new built-in detector is its own file under
//! video/, audio/ or its own folder, plus one line here; its config says whether it is on by
//! default ([`DetectorConfig::ON_BY_DEFAULT`](crate::DetectorConfig::ON_BY_DEFAULT)).

use crate::detect::registry::Registry;
use crate::detect::{audio, scte35, sync, transport, video};

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
    r.register_described::<video::FreezeConfig>(
        "video_freeze: the picture stops changing (noise and tickers allowed for)",
    );
    r.register_described::<video::BlackConfig>("video_black: the picture goes black");
    r.register_described::<video::DecodeErrorsConfig>(
        "video_corruption from the decoder's error signals only (the corruption detector includes them)",
    );
    r.register_described::<video::CorruptionConfig>(
        "video_corruption: decoder damage or a sudden rise of blockiness against the stream's own baseline",
    );
    r.register_described::<video::BlockinessConfig>(
        "blockiness metrics each second; video_blockiness while coarse quantisation persists",
    );
    r.register_described::<audio::SilenceConfig>(
        "audio_silence (every channel quiet) and audio_dropout (short gaps cut into sound, lost audio)",
    );
    r.register_described::<audio::ClippingConfig>(
        "audio_clipping: samples piled up flat at a ceiling (from -3 dBFS up)",
    );
    r.register_described::<audio::LoudnessConfig>(
        "loudness metrics (BS.1770), audio_true_peak over the ceiling; loudness_out_of_range with a target",
    );
    r.register_described::<audio::ChannelsConfig>(
        "audio_phase_inverted, audio_channel_missing, audio_dc_offset",
    );
    r.register_described::<audio::TrackSyncConfig>(
        "av_sync (source track): an audio track's offset against a reference track, from the sound they share",
    );
    r.register_described::<audio::HumConfig>("audio_hum: mains hum at 50/60 Hz with its harmonics");
    r.register_described::<audio::ClickConfig>(
        "audio_click: impulses of a few samples that leave the sound as it was",
    );
    r.register_described::<video::FrameDropConfig>(
        "video_frame_drop: pictures missing from a steady frame rate",
    );
    r.register_described::<video::StutterConfig>(
        "video_stutter: a picture repeated in steady motion (the stream's own cadence learnt)",
    );
    r.register_described::<video::VideoLossConfig>("video_loss: no picture while sound goes on");
    r.register_described::<video::FormatChangeConfig>(
        "notice video_format_change: resolution, pixel format, range or frame rate changed",
    );
    r.register_described::<video::OutOfRangeConfig>(
        "video_out_of_range: luma or chroma beyond the broadcast-legal range",
    );
    r.register_described::<video::LetterboxConfig>(
        "notice video_letterbox: black bars and the active picture area",
    );
    r.register_described::<video::CaptionsConfig>(
        "caption_missing: CEA-608/708 captions that stop (or never come, when required)",
    );
    r.register_described::<sync::SyncConfig>(
        "av_sync: audio/video offset from timestamps, flash/beep patterns, cuts and lip motion",
    );
    r.register_described::<transport::TransportConfig>(
        "MPEG-TS checks of ETSI TR 101 290 priority 1 (sync, PAT, PMT, CC, PID)",
    );
    r.register_described::<scte35::Scte35Config>(
        "SCTE-35 cues as cue events; notices cue_late, cue_no_return, cue_error",
    );
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
    assert_eq!(
        off,
        [
            "decode_errors",
            "blockiness",
            "track_sync",
            "letterbox",
            "captions"
        ]
    );
    assert_eq!(r.types().count(), 22);
}
