//! SCTE-35 splice cues, as the transport analyser reads them from an MPEG-TS.

/// The splice command of a [`SpliceCue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SpliceCommand {
    /// `splice_null` (0x00): a heartbeat, no splice.
    SpliceNull,
    /// `splice_insert` (0x05): an avail out of (or back into) the network feed.
    SpliceInsert,
    /// `time_signal` (0x06): a time, described by its segmentation descriptors.
    TimeSignal,
    /// Any other command (`bandwidth_reservation`, `private_command`, ...), by type.
    Other(u8),
}

impl SpliceCommand {
    /// The command's name in SCTE-35 (`splice_insert`), or `other`.
    pub fn name(self) -> &'static str {
        match self {
            SpliceCommand::SpliceNull => "splice_null",
            SpliceCommand::SpliceInsert => "splice_insert",
            SpliceCommand::TimeSignal => "time_signal",
            SpliceCommand::Other(_) => "other",
        }
    }
}

/// One SCTE-35 `splice_info_section` whose CRC matched.
///
/// Times are in the 90 kHz PTS domain of the stream (`pts_adjustment` already added, modulo
/// 2^33); [`NoticeKind::Cue`](crate::NoticeKind::Cue) places them on the media timeline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpliceCue {
    /// The PID that carried it (a PMT stream of type 0x86).
    pub pid: u16,
    /// The command.
    pub command: SpliceCommand,
    /// `splice_event_id` of a `splice_insert`, else the `segmentation_event_id` of the first
    /// segmentation descriptor, if any.
    pub event_id: Option<u32>,
    /// The event was cancelled (`splice_event_cancel_indicator` or
    /// `segmentation_event_cancel_indicator`).
    pub cancel: bool,
    /// True: out of the network (a break starts); false: back in. For a `time_signal`, from the
    /// segmentation type (starts of breaks, ads and placement opportunities are out, their ends
    /// in). `None` when the cue does not say.
    pub out_of_network: Option<bool>,
    /// `splice_immediate_flag`: splice as soon as possible, no splice time.
    pub immediate: bool,
    /// The splice time (`pts_time + pts_adjustment`, modulo 2^33), when given.
    pub splice_pts: Option<u64>,
    /// `pts_adjustment` of the section.
    pub pts_adjustment: u64,
    /// The break duration (`splice_insert`) or segmentation duration (`time_signal`), in
    /// seconds, when given.
    pub duration_secs: Option<f64>,
    /// `segmentation_type_id` of the first segmentation descriptor, if any.
    pub segmentation_type_id: Option<u8>,
    /// `auto_return` of a `splice_insert`'s break duration: the splicer returns to the network
    /// by itself at the end of the break, no in cue follows.
    #[serde(default)]
    pub auto_return: bool,
}
