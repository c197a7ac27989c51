//! Every metric family avqc exports: its name, help and type, and which family a detector's
//! metric event feeds.

use super::text::MetricKind;

/// A metric family: name, help text, type.
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) kind: MetricKind,
}

const fn counter(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        help,
        kind: MetricKind::Counter,
    }
}

const fn gauge(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        help,
        kind: MetricKind::Gauge,
    }
}

pub(crate) const DEFECTS_TOTAL: &str = "avqc_defects_total";
pub(crate) const DEFECTS_OPEN: &str = "avqc_defects_open";
pub(crate) const EVENTS_TOTAL: &str = "avqc_events_total";
pub(crate) const NOTICES_TOTAL: &str = "avqc_notices_total";
pub(crate) const STATE: &str = "avqc_stream_state";
pub(crate) const LAG: &str = "avqc_stream_lag_seconds";
pub(crate) const MAX_LAG: &str = "avqc_stream_max_lag_seconds";
pub(crate) const FPS: &str = "avqc_stream_fps";
pub(crate) const QUEUED_BYTES: &str = "avqc_stream_queued_bytes";
pub(crate) const QUEUED_ITEMS: &str = "avqc_stream_queued_items";
pub(crate) const IDLE: &str = "avqc_stream_idle_seconds";
pub(crate) const MEDIA: &str = "avqc_stream_media_seconds";
pub(crate) const VIDEO_FRAMES: &str = "avqc_video_frames_total";
pub(crate) const AUDIO_FRAMES: &str = "avqc_audio_frames_total";
pub(crate) const DECODE_ERRORS: &str = "avqc_decode_errors_total";
pub(crate) const FRAMES_DROPPED: &str = "avqc_frames_dropped_total";
pub(crate) const PANICKED: &str = "avqc_detectors_panicked";
pub(crate) const AV_OFFSET: &str = "avqc_av_offset_seconds";
pub(crate) const AV_CONFIDENCE: &str = "avqc_av_offset_confidence";
pub(crate) const SINK_DELIVERED: &str = "avqc_sink_events_delivered_total";
pub(crate) const SINK_RETRIED: &str = "avqc_sink_events_retried_total";
pub(crate) const SINK_FAILED: &str = "avqc_sink_events_failed_total";
pub(crate) const SINK_DROPPED: &str = "avqc_sink_events_dropped_total";
pub(crate) const SINK_UNSENT: &str = "avqc_sink_events_unsent_total";
pub(crate) const SINK_QUEUED: &str = "avqc_sink_queue_length";
pub(crate) const OTHER: &str = "avqc_metric";
pub(crate) const TRACK_INFO: &str = "avqc_track_info";
pub(crate) const TRACK_FRAMES: &str = "avqc_track_frames_total";
pub(crate) const DEGRADED: &str = "avqc_stream_degraded";
pub(crate) const COST: &str = "avqc_stream_cost_cores";
pub(crate) const PRIORITY: &str = "avqc_stream_priority";
pub(crate) const CAP_BUDGET: &str = "avqc_capacity_budget_cores";
pub(crate) const CAP_USED: &str = "avqc_capacity_used_cores";
pub(crate) const CAP_HEADROOM: &str = "avqc_capacity_headroom_cores";
pub(crate) const CAP_OTHERS: &str = "avqc_capacity_other_cores";
pub(crate) const CAP_PROFILE_COST: &str = "avqc_capacity_profile_cost_cores";
pub(crate) const CAP_PROFILE_FITS: &str = "avqc_capacity_profile_fits";

/// All families, in the order they are rendered.
pub(crate) const FAMILIES: &[Family] = &[
    counter(DEFECTS_TOTAL, "Defects confirmed (start events), by type."),
    gauge(
        DEFECTS_OPEN,
        "Defects open now (started, not yet ended), by type.",
    ),
    counter(
        EVENTS_TOTAL,
        "Events seen, by kind (defect, metric, notice).",
    ),
    counter(NOTICES_TOTAL, "Notices seen, by name."),
    gauge(STATE, "1 for the state the stream is in, 0 for the others."),
    gauge(
        LAG,
        "How far the analysis is behind the stream's real-time schedule.",
    ),
    gauge(MAX_LAG, "The largest lag seen."),
    gauge(FPS, "Pictures decoded per second of wall time."),
    gauge(
        QUEUED_BYTES,
        "Bytes of decoded pictures and sound waiting for analysis.",
    ),
    gauge(
        QUEUED_ITEMS,
        "Items (pictures, audio frames) waiting for analysis.",
    ),
    gauge(IDLE, "Wall seconds since the stream's last item arrived."),
    gauge(MEDIA, "Media time reached."),
    counter(VIDEO_FRAMES, "Pictures decoded."),
    counter(AUDIO_FRAMES, "Audio frames decoded."),
    counter(
        DECODE_ERRORS,
        "Decode errors and corrupt packets the decoder reported.",
    ),
    counter(
        FRAMES_DROPPED,
        "Items decoded but not analysed because the analysis was behind.",
    ),
    gauge(
        PANICKED,
        "Detectors that panicked and were disabled for the stream.",
    ),
    gauge(
        "avqc_loudness_momentary_lufs",
        "Momentary loudness (400 ms), LUFS.",
    ),
    gauge(
        "avqc_loudness_short_term_lufs",
        "Short-term loudness (3 s), LUFS.",
    ),
    gauge(
        "avqc_loudness_integrated_lufs",
        "Integrated loudness since the start, LUFS.",
    ),
    gauge("avqc_loudness_range_lu", "Loudness range, LU."),
    gauge("avqc_true_peak_dbtp", "True peak, dBTP."),
    gauge(
        AV_OFFSET,
        "Measured audio/video offset, seconds (positive: audio late).",
    ),
    gauge(
        AV_CONFIDENCE,
        "Confidence of the audio/video offset measurement, 0 to 1.",
    ),
    counter(SINK_DELIVERED, "Events a queued sink delivered."),
    counter(
        SINK_RETRIED,
        "Delivery attempts a queued sink retried after a failure.",
    ),
    counter(
        SINK_FAILED,
        "Events a queued sink gave up on after its retries.",
    ),
    counter(
        SINK_DROPPED,
        "Events a queued sink dropped because its queue was full.",
    ),
    counter(
        SINK_UNSENT,
        "Events still queued when a queued sink finished.",
    ),
    gauge(SINK_QUEUED, "Events waiting in a queued sink."),
    gauge(
        OTHER,
        "Any other measurement a detector reports, by detector and name.",
    ),
    gauge(
        TRACK_INFO,
        "1 for each track (stream index) of an input seen, with its language (empty if unknown).",
    ),
    counter(TRACK_FRAMES, "Pictures or audio frames decoded, by track."),
    gauge(
        DEGRADED,
        "Degradation level of the stream's analysis: 0 full, 1 reduced, 2 handed back.",
    ),
    gauge(
        COST,
        "CPU cores the stream's decoding and detectors need to keep up (measured or estimated).",
    ),
    gauge(PRIORITY, "The stream's priority (higher = degraded later)."),
    gauge(
        CAP_BUDGET,
        "Cores the monitor may use: its cores less other processes' load, times the target utilisation.",
    ),
    gauge(CAP_USED, "Cores the monitor's running streams need."),
    gauge(
        CAP_HEADROOM,
        "Budget minus used cores (negative when over budget).",
    ),
    gauge(CAP_OTHERS, "Cores other processes of the machine take."),
    gauge(
        CAP_PROFILE_COST,
        "Cores one stream of the profile needs at full analysis.",
    ),
    gauge(
        CAP_PROFILE_FITS,
        "Streams of the profile that still fit in the headroom.",
    ),
];

/// The families about one stream of an input's media: their series get a `track` label when
/// the event carries one (the others are about the whole input).
const PER_TRACK: [&str; 8] = [
    "avqc_loudness_momentary_lufs",
    "avqc_loudness_short_term_lufs",
    "avqc_loudness_integrated_lufs",
    "avqc_loudness_range_lu",
    "avqc_true_peak_dbtp",
    AV_OFFSET,
    AV_CONFIDENCE,
    OTHER,
];

/// Whether a family's series get a `track` label from the event's track.
pub(crate) fn is_per_track(family: &str) -> bool {
    PER_TRACK.contains(&family)
}

/// The family a detector's metric event (by its `name`) feeds, with the factor from its unit
/// to the family's; `None`: the generic [`OTHER`] family.
pub(crate) fn family_of_metric(name: &str) -> Option<(&'static str, f64)> {
    Some(match name {
        "momentary_lufs" => ("avqc_loudness_momentary_lufs", 1.0),
        "short_term_lufs" => ("avqc_loudness_short_term_lufs", 1.0),
        "integrated_lufs" => ("avqc_loudness_integrated_lufs", 1.0),
        "lra_lu" => ("avqc_loudness_range_lu", 1.0),
        "true_peak_dbtp" => ("avqc_true_peak_dbtp", 1.0),
        "av_offset_ms" | "lipsync_offset_ms" => (AV_OFFSET, 1e-3),
        "av_offset_confidence" | "lipsync_confidence" => (AV_CONFIDENCE, 1.0),
        "stream_fps" => (FPS, 1.0),
        "stream_lag_secs" => (LAG, 1.0),
        "stream_queued" => (QUEUED_ITEMS, 1.0),
        "stream_queued_bytes" => (QUEUED_BYTES, 1.0),
        "stream_frames_dropped" | "frames_dropped" => (FRAMES_DROPPED, 1.0),
        _ => return None,
    })
}

/// The kind of a family by name.
pub(crate) fn kind_of(name: &str) -> MetricKind {
    FAMILIES
        .iter()
        .find(|f| f.name == name)
        .map_or(MetricKind::Gauge, |f| f.kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::text::valid_name;

    #[test]
    fn names_are_valid_unique_and_counters_end_in_total() {
        let mut seen = std::collections::BTreeSet::new();
        for f in FAMILIES {
            assert!(valid_name(f.name), "{}", f.name);
            assert!(f.name.starts_with("avqc_"), "{}", f.name);
            assert!(seen.insert(f.name), "{} twice", f.name);
            assert_eq!(
                f.kind == MetricKind::Counter,
                f.name.ends_with("_total"),
                "{}",
                f.name
            );
        }
    }

    #[test]
    fn every_mapped_metric_has_a_family() {
        for m in [
            "momentary_lufs",
            "true_peak_dbtp",
            "av_offset_ms",
            "stream_lag_secs",
            "frames_dropped",
        ] {
            let (name, _) = family_of_metric(m).unwrap();
            assert!(FAMILIES.iter().any(|f| f.name == name), "{m} -> {name}");
        }
        assert!(family_of_metric("blockiness").is_none());
    }
}
