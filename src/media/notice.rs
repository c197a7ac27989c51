//! What a decoder notices besides pictures and sound: [`DecoderNotice`] and its kinds,
//! including the MPEG-TS transport errors found in the bytes it read.

use serde::{Deserialize, Serialize};

use crate::media::time::MediaTime;

/// Something a decoder noticed, with its media time.
///
/// ```
/// use avqc::{DecoderNotice, MediaTime, NoticeKind};
/// let n = DecoderNotice::new(MediaTime::from_secs_f64(3.2), Some(0), NoticeKind::CorruptPacket);
/// assert_eq!(n.kind.name(), "corrupt_packet");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderNotice {
    /// When (media time of the packet or frame concerned).
    pub time: MediaTime,
    /// Index of the stream concerned, if any.
    pub stream: Option<usize>,
    /// What happened.
    pub kind: NoticeKind,
}

impl DecoderNotice {
    /// A notice.
    pub fn new(time: MediaTime, stream: Option<usize>, kind: NoticeKind) -> Self {
        DecoderNotice { time, stream, kind }
    }
}

/// The kinds of [`DecoderNotice`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NoticeKind {
    /// The decoder rejected a packet or reported errors while decoding it.
    DecodeError {
        /// What the decoder said.
        message: String,
    },
    /// The demuxer marked a packet corrupt (e.g. MPEG-TS continuity counter errors), or the
    /// packet proved cut short: an HEVC slice segment shorter than the substreams its header
    /// lists (entry points, with wavefront parallel processing or tiles), which bytes lost
    /// inside the picture leave (read by `FfmpegDecoder`).
    CorruptPacket,
    /// The packets lost at the [`CorruptPacket`](NoticeKind::CorruptPacket) notice of the
    /// same time took no whole reference picture with them: the headers of the pictures after
    /// it show that every reference picture arrived (H.264 `frame_num`, read by
    /// `FfmpegDecoder`). Whole pictures lost there were non-reference pictures, which no other
    /// picture is predicted from. A picture cut short by the loss is not ruled out: the
    /// `corruption` and `decode_errors` detectors end such damage early only when pictures are
    /// missing from the display and the decoder reported nothing, or when a
    /// [`NonReferenceCut`](NoticeKind::NonReferenceCut) found the loss.
    NonReferenceLoss,
    /// Reference pictures were lost at this notice's time:
    /// - H.264: `frame_num` jumped although the demuxer marked no packet corrupt (read by
    ///   `FfmpegDecoder`). MPEG-TS continuity counters count to 16, so a loss of exactly 16
    ///   packets of a stream passes them unseen. A
    ///   [`NonReferenceLoss`](NoticeKind::NonReferenceLoss) of the same time follows when the
    ///   pictures after it show that only pictures shown before the next anchor used the
    ///   frames lost;
    /// - MPEG-1/2: the packets lost at the [`CorruptPacket`](NoticeKind::CorruptPacket)
    ///   notice of the same time took an anchor (I or P) picture, as the `temporal_reference`
    ///   of the pictures after it shows: its damage reaches past the next anchor.
    ///
    /// Damage like [`CorruptPacket`](NoticeKind::CorruptPacket).
    ReferenceLoss,
    /// The [`DecodeError`](NoticeKind::DecodeError) of the same time, just before it, was
    /// about a picture no other picture is predicted from: an MPEG-1/2 B-picture, as the
    /// `picture_coding_type` of the packet the decoder complained of shows, or an HEVC
    /// sub-layer non-reference picture of the highest sub-layer (`nal_unit_type`; read by
    /// `FfmpegDecoder`; the error is traced to its packet, also with frame threads). Its damage
    /// is that picture's own: the `corruption` and `decode_errors` detectors end it with the
    /// picture (when it was not shown: at the next picture), unless a
    /// [`ReferenceLoss`](NoticeKind::ReferenceLoss) or other damage holds it. No damage of
    /// its own.
    NonReferenceError,
    /// Follows the [`NonReferenceLoss`](NoticeKind::NonReferenceLoss) of the same time when
    /// the headers after the loss show that it took no reference picture at all (H.264
    /// `frame_num` continues, HEVC reference picture sets list no picture that did not arrive,
    /// MPEG-1/2 only B-pictures were lost), not only none the next anchor predicts from: no
    /// picture shown is predicted from the pictures lost, so the damage is their own display
    /// slots. The picture the demuxer marked is then taken to be intact unless the decoder
    /// flags it or complains of it: FFmpeg's parser holds one packet back, so the mark lands on
    /// the packet decoded just before the pictures lost. No damage of its own.
    UnreferencedLoss,
    /// Precedes the [`NonReferenceLoss`](NoticeKind::NonReferenceLoss) of the same time when
    /// the loss at the [`CorruptPacket`](NoticeKind::CorruptPacket) notice of that time was
    /// found inside a picture no other picture is predicted from, cut short (HEVC: a
    /// sub-layer non-reference picture of the highest sub-layer whose slice segments are
    /// shorter than their entry points say, read by `FfmpegDecoder`): the picture of that
    /// packet, or of the packet after it (FFmpeg's parser holds one packet back, so the
    /// demuxer's mark lands on the packet decoded just before the loss). The loss's damage is
    /// that picture's own: the `corruption` and `decode_errors` detectors end damage seen only
    /// on such pictures at the next anchor picture. No damage of its own.
    NonReferenceCut,
    /// The stream was joined where it happened to be (a monitor started on a live stream, a
    /// recording that begins mid-GOP): its pictures before the first random access point (a
    /// key frame, for H.264 also a recovery point) predict from pictures that went by before
    /// the join, and `FfmpegDecoder` does not decode them. The notice's time is the first
    /// such picture's; the stream's pictures begin at its first key frame. Not damage.
    Joined,
    /// Timestamps jumped; the timeline was bridged (see [`TimestampUnwrapper`](crate::TimestampUnwrapper)).
    Discontinuity {
        /// Size of the jump in the raw timestamps, in seconds.
        jump_secs: f64,
    },
    /// The input has ended; no media follows.
    EndOfStream,
    /// The connection to a live input failed; a [`Reconnecting`](crate::Reconnecting) decoder tries again.
    InputLost {
        /// Why (the read error).
        message: String,
    },
    /// A reconnect attempt failed; another follows after a backoff, unless it was the last.
    ReconnectFailed {
        /// Which attempt (from 1).
        attempt: u32,
        /// Attempts allowed.
        attempts: u32,
        /// Why it failed.
        message: String,
    },
    /// The input is open again; media follows on the continued timeline.
    Reconnected {
        /// Which attempt succeeded (from 1).
        attempt: u32,
        /// Wall time without a connection, in seconds.
        after_secs: f64,
    },
    /// An SCTE-35 cue read from the MPEG-TS (see [`transport`](crate::transport)); the
    /// notice's time is when it arrived (the media time of the packets around it).
    Cue {
        /// The cue.
        cue: Box<crate::media::SpliceCue>,
        /// Its splice time on the media timeline, when it has one and the stream's clock
        /// placed it.
        splice_at: Option<MediaTime>,
    },
    /// An SCTE-35 section that could not be read: a CRC error or a malformed section.
    CueError {
        /// The PID that carried it.
        pid: u16,
        /// What was wrong.
        message: String,
    },
    /// An MPEG-TS transport error (ETSI TR 101 290 priority 1) found in the bytes the decoder
    /// read; see [`transport`](crate::transport). The notice's time is the media time of the
    /// packets around the fault (from their PES timestamps; see the `transport` detector).
    Transport {
        /// Which error.
        error: TransportError,
        /// The PID concerned (`None` for sync errors).
        pid: Option<u16>,
        /// One occurrence, or the start or end of a condition.
        phase: FindingPhase,
    },
}

impl NoticeKind {
    /// A short snake_case name, used in events.
    pub fn name(&self) -> &'static str {
        match self {
            NoticeKind::DecodeError { .. } => "decode_error",
            NoticeKind::CorruptPacket => "corrupt_packet",
            NoticeKind::NonReferenceLoss => "non_reference_loss",
            NoticeKind::ReferenceLoss => "reference_loss",
            NoticeKind::NonReferenceError => "non_reference_error",
            NoticeKind::UnreferencedLoss => "unreferenced_loss",
            NoticeKind::NonReferenceCut => "non_reference_cut",
            NoticeKind::Joined => "joined",
            NoticeKind::Discontinuity { .. } => "discontinuity",
            NoticeKind::EndOfStream => "end_of_stream",
            NoticeKind::InputLost { .. } => "input_lost",
            NoticeKind::ReconnectFailed { .. } => "reconnect_failed",
            NoticeKind::Reconnected { .. } => "reconnected",
            NoticeKind::Transport { .. } => "transport",
            NoticeKind::Cue { .. } => "cue",
            NoticeKind::CueError { .. } => "cue_error",
        }
    }
}

impl std::fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoticeKind::DecodeError { message } => write!(f, "decode error: {message}"),
            NoticeKind::CorruptPacket => f.write_str("corrupt packet"),
            NoticeKind::NonReferenceLoss => f.write_str(
                "packets lost without a reference picture (non-reference pictures only)",
            ),
            NoticeKind::ReferenceLoss => {
                f.write_str("reference pictures lost (the picture numbers after the loss show it)")
            }
            NoticeKind::NonReferenceError => {
                f.write_str("the decode error was in a picture no other picture is predicted from")
            }
            NoticeKind::UnreferencedLoss => {
                f.write_str("the packets lost held no picture any other is predicted from")
            }
            NoticeKind::NonReferenceCut => {
                f.write_str("the packets lost were inside a picture no other is predicted from")
            }
            NoticeKind::Joined => {
                f.write_str("joined mid-GOP: pictures before the first key frame not decoded")
            }
            NoticeKind::Discontinuity { jump_secs } => {
                write!(f, "timestamps jumped by {jump_secs:.3} s; timeline bridged")
            }
            NoticeKind::EndOfStream => f.write_str("end of stream"),
            NoticeKind::InputLost { message } => {
                write!(f, "input lost ({message}); reconnecting")
            }
            NoticeKind::ReconnectFailed {
                attempt,
                attempts,
                message,
            } => write!(
                f,
                "reconnect attempt {attempt} of {attempts} failed: {message}"
            ),
            NoticeKind::Reconnected {
                attempt,
                after_secs,
            } => write!(
                f,
                "reconnected at attempt {attempt} after {after_secs:.1} s; timeline continued"
            ),
            NoticeKind::Cue { cue, .. } => write!(
                f,
                "SCTE-35 {} on PID {} (event {:?})",
                cue.command.name(),
                cue.pid,
                cue.event_id
            ),
            NoticeKind::CueError { pid, message } => {
                write!(f, "SCTE-35 section on PID {pid}: {message}")
            }
            NoticeKind::Transport { error, pid, phase } => {
                write!(f, "{} ({phase:?})", error.name())?;
                match pid {
                    Some(pid) => write!(f, " on PID {pid}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A TR 101 290 priority-1 error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportError {
    /// TS_sync_loss (1.1).
    SyncLoss,
    /// Sync_byte_error (1.2).
    SyncByteError,
    /// PAT_error_2 (1.3.a).
    PatError,
    /// Continuity_count_error (1.4).
    CcError,
    /// PMT_error_2 (1.5.a).
    PmtError,
    /// PID_error (1.6).
    PidError,
}

impl TransportError {
    /// The defect name reported for it, e.g. `transport_cc_error` (see
    /// [`TransportError::defect`](crate::transport::TransportError::defect)).
    ///
    /// ```
    /// assert_eq!(avqc::transport::TransportError::PatError.name(), "transport_pat_error");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            TransportError::SyncLoss => "transport_sync_loss",
            TransportError::SyncByteError => "transport_sync_byte_error",
            TransportError::PatError => "transport_pat_error",
            TransportError::CcError => "transport_cc_error",
            TransportError::PmtError => "transport_pmt_error",
            TransportError::PidError => "transport_pid_error",
        }
    }
}

/// Whether a finding is one occurrence or the start or end of a lasting condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingPhase {
    /// One occurrence (a corrupted sync byte, a continuity error, a wrong table_id, a scrambled
    /// table).
    Once,
    /// A condition began: sync lost, or a table or PID absent. For an absence, the finding's
    /// time is when the PID was last seen (the absence has lasted at least the analyser's
    /// threshold: 0.5 s for tables, 1 s for elementary PIDs).
    Began,
    /// The condition ended: sync re-acquired, or the table or PID is back (or no longer
    /// referenced).
    Ended,
}
