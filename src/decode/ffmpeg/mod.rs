//! The FFmpeg decoder: any input libavformat opens (files, URLs, bytes pushed by the host),
//! decoded with libavcodec into shared [`VideoFrame`](crate::media::VideoFrame)s and
//! [`AudioFrame`](crate::media::AudioFrame)s.
//!
//! All FFmpeg calls go through `crate::ffi`; this module is safe code. Its parts, each in its
//! own file: the input and the packets read from it ([`demux`]), the decoder of each selected
//! stream ([`lane`]), the timestamp clocks ([`clock`]), decoded frames turned into media
//! ([`frames`]), the output queue ([`output`]), realtime pacing ([`pace`]), the transport tap
//! on the bytes read ([`tap`]) and its findings placed on the timeline ([`findings`]), and the
//! bytes pushed by the host ([`push`]); [`open`] opens an input into those parts, and [`inputs`]
//! holds the ways a decoder is made (a path or URL, a reader, a channel of bytes).

mod clock;
mod demux;
mod findings;
mod frames;
mod inputs;
mod join;
mod lane;
mod open;
mod output;
mod pace;
mod push;
mod refs;
mod tap;

use std::sync::Arc;

use clock::Timeline;
use demux::{Demux, Step};
use findings::Findings;
use frames::MediaMaker;
use lane::Lane;
use output::Output;
use pace::Pacer;
pub use push::PushInput;
use refs::Timing;

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::ffi::{Frame, Interrupt, Sent};
use crate::media::{
    FrameFlags, Media, MediaKind, MediaTime, Needs, NoticeKind, Rational, StreamInfo,
};
use crate::stop::StopSignal;

/// Decodes an input with the system's FFmpeg libraries (cargo feature `ffmpeg`, on by default).
///
/// * Inputs: files and every URL libavformat opens (`http(s)://`, HLS, `udp://`, `rtp://`,
///   `srt://`... as compiled into the FFmpeg build) with [`open`](Self::open); any
///   [`Read`](std::io::Read) with [`from_reader`](Self::from_reader); byte chunks pushed by the host (MPEG-TS or
///   fragmented MP4) with [`from_channel`](Self::from_channel) and [`PushInput`].
/// * Video: 8-bit yuv420p/yuvj420p, yuv422p, yuv444p, gray and nv12 pictures are shared with
///   the decoder without a copy (each [`Plane`](crate::Plane) keeps the decoded frame alive);
///   any other pixel format (10-bit, RGB, ...) is converted to yuv420p with swscale, which
///   copies.
/// * Audio: converted to planar f32; buffers are pooled, so steady state does not allocate.
/// * Times: `best_effort_timestamp` minus the input's start time, unwrapped and bridged per
///   stream ([`TimestampUnwrapper`](crate::TimestampUnwrapper)) — the times `ffprobe` shows. Audio times are sample-exact.
/// * Damage: corrupt packets, packets the decoder rejects and errors the decoder logs become
///   [`NoticeKind::CorruptPacket`] / [`NoticeKind::DecodeError`] notices, and the pictures
///   decoded from them carry [`FrameFlags::DAMAGED_INPUT`].
///
/// * End and errors: at the end of the input the decoders are flushed (no frame is lost), a
///   [`NoticeKind::EndOfStream`] notice follows, then `next` returns `Ok(None)` for ever. A
///   truncated file simply ends. Unreadable packets are skipped (up to 1000 in a row); other
///   read failures (a network or reader error) end the input with [`Error::Read`], after which
///   `next` returns `Ok(None)` too. A raised stop signal ends the input the same way: the
///   pictures already in the decoders (a few) are flushed and given out, then the end notice.
/// * Realtime ([`DecoderOptions::realtime`](crate::DecoderOptions::realtime)): items are released at the pace of their
///   timestamps against a monotonic clock (sleeping in small steps that watch the stop signal).
/// * Transport checks: the bytes of an MPEG-TS input (a `*.ts`-like file or URL, `udp://`,
///   `srt://`, `tcp://`, `format: "mpegts"`, and every reader or pushed input) pass through a
///   [`TsAnalyzer`](crate::transport::TsAnalyzer) on their way to the demuxer, and its findings
///   come out as [`NoticeKind::Transport`] notices (see [`crate::transport`]); HLS is not tapped.
/// * Stream selection: text-mode art "video" (`ansi`, `bintext`, ... which FFmpeg reports for
///   any file with a `.bin`/`.ans`/`.txt` name) is never chosen unless asked for by index.
///
/// FFmpeg's own log goes to the [`log`] facade with target `"ffmpeg"` (never to stderr).
///
/// ```
/// use avqc::{Decoder, DecoderOptions, FfmpegDecoder, Media};
/// let mut d = FfmpegDecoder::open("tests/data/video_only.mp4", &DecoderOptions::default())?;
/// assert_eq!(d.streams()[0].codec, "h264");
/// let mut pictures = 0;
/// while let Some(m) = d.next()? {
///     if let Media::Video(_) = m { pictures += 1; }
/// }
/// assert_eq!(pictures, 75);
/// # Ok::<(), avqc::Error>(())
/// ```
pub struct FfmpegDecoder {
    name: String,
    // Declared before `demux`: the decoders are closed before the input.
    lanes: Vec<Lane>,
    demux: Demux,
    streams: Vec<StreamInfo>,
    lane_of: Vec<Option<usize>>,
    out: Output,
    state: State,
    interrupt: Arc<Interrupt>,
    stop: Option<StopSignal>,
    timeline: Timeline,
    media: MediaMaker,
    /// Never skip decoding work (see [`DecoderOptions::full_decode`](crate::DecoderOptions::full_decode)).
    full_decode: bool,
    realtime: bool,
    pacer: Pacer,
    seq: i64,
    /// Frames received for the current packet (storage reused).
    scratch: Vec<Frame>,
    /// The transport findings, when the input is read through the tap.
    findings: Option<Findings>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Running,
    Ended,
}

impl FfmpegDecoder {
    fn read_error(&self, message: impl Into<String>) -> Error {
        Error::Read {
            input: self.name.clone(),
            message: message.into(),
        }
    }

    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(StopSignal::is_stopped)
    }

    /// Reads and decodes until something is queued or the input ends.
    fn fill(&mut self) -> Result<()> {
        while self.out.is_empty() && self.state == State::Running {
            if self.stopped() {
                // What was received is still analysed: the decoder's last pictures are few.
                self.finish();
                break;
            }
            match self.demux.read() {
                Step::Packet { after_gap } => {
                    if after_gap {
                        self.after_gap();
                    }
                    self.on_packet();
                    self.transport_notices(false);
                }
                Step::Again => {}
                Step::End => self.finish(),
                Step::Interrupted => self.finish(),
                Step::Failed(message) => {
                    self.state = State::Ended;
                    self.out.clear();
                    return Err(self.read_error(message));
                }
            }
        }
        Ok(())
    }

    /// After a long wait for a packet, the next jump of each stream is taken as a restart of
    /// the whole input.
    fn after_gap(&mut self) {
        self.timeline.after_gap();
        for lane in &mut self.lanes {
            lane.frame_clock.after_gap();
            lane.packet_clock.after_gap();
        }
    }

    /// End of input (or a stop): flushes the decoders, then queues the end notice.
    fn finish(&mut self) {
        for lane in &mut self.lanes {
            if !lane.flushed {
                lane.flushed = true;
                let seq = self.seq;
                let _ = lane.codec.send(None, seq);
                let mut frames = std::mem::take(&mut self.scratch);
                lane.drain(&mut frames, &mut self.out);
                let t = self.out.last_time();
                let extra = lane
                    .logged_damage(seq, t, &mut self.out)
                    .unwrap_or(FrameFlags::NONE);
                for f in frames.drain(..) {
                    self.media
                        .emit(lane, f, extra, &mut self.timeline, &mut self.out);
                }
                self.scratch = frames;
            }
        }
        self.transport_notices(true);
        let t = self.out.last_time();
        self.out.notice(t, None, NoticeKind::EndOfStream);
        self.state = State::Ended;
    }

    /// Queues the transport findings the decoded timeline has reached (all of them when
    /// `all`: the end of the input).
    fn transport_notices(&mut self, all: bool) {
        if let Some(findings) = &mut self.findings {
            findings.release(&self.name, all, &mut self.out);
        }
    }

    /// Sends the packet just read to its stream's decoder and queues what comes out.
    fn on_packet(&mut self) {
        let packet = self.demux.packet();
        let Some(Some(l)) = self.lane_of.get(packet.stream()).copied() else {
            return;
        };
        let lane = &mut self.lanes[l];
        let (key, raw) = (packet.is_key(), packet.time());
        if !lane.admitted(&self.name, key, raw, &mut self.timeline, &mut self.out) {
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        let index = lane.index;
        // The display time, raw and on the unwrapped timeline.
        let mut shown = None;
        let time = match packet.time() {
            Some(raw) => {
                let m = self.timeline.map_packet(&mut lane.packet_clock, raw);
                shown = Some((raw, m.ticks));
                MediaTime::new(m.ticks, lane.packet_clock.tb)
            }
            None => self.out.last_time(),
        };
        if let Some(raw) = packet.time() {
            if lane.packet_clock.tb == Rational::new(1, 90_000) {
                if let Some(findings) = &mut self.findings {
                    findings.set_reference(raw, time);
                }
            }
        }
        lane.remember_sent(seq, time);
        // On the unwrapped timeline: the decode time keeps its distance to the display time.
        let timing = match (shown, packet.decode_time()) {
            (Some((raw, pts)), Some(dts)) => raw
                .checked_sub(dts)
                .filter(|d| (0..=packet.duration().max(1).saturating_mul(10)).contains(d))
                .map(|d| Timing {
                    pts,
                    dts: pts.saturating_sub(d),
                    duration: packet.duration(),
                }),
            _ => None,
        };
        let news = lane.follow_refs(packet.data(), packet.is_corrupt(), time, seq, timing);
        if let Some(t) = news.unmarked {
            self.out.notice(t, Some(index), NoticeKind::ReferenceLoss);
            lane.mark_damaged(seq);
        }
        if let Some(t) = news.anchor_lost {
            self.out.notice(t, Some(index), NoticeKind::ReferenceLoss);
        }
        if let Some(t) = news.confirmed {
            if news.found {
                self.out.notice(t, Some(index), NoticeKind::NonReferenceCut);
            }
            self.out
                .notice(t, Some(index), NoticeKind::NonReferenceLoss);
            if news.unreferenced {
                self.out
                    .notice(t, Some(index), NoticeKind::UnreferencedLoss);
            }
        }
        // A packet cut short (bytes of its picture lost, as its slice headers show) is as
        // corrupt as one the demuxer marked.
        if packet.is_corrupt() || news.cut_short {
            self.out
                .notice(time, Some(index), NoticeKind::CorruptPacket);
            lane.mark_damaged(seq);
        }
        if news.own_loss {
            self.out
                .notice(time, Some(index), NoticeKind::NonReferenceCut);
            self.out
                .notice(time, Some(index), NoticeKind::NonReferenceLoss);
        }
        // Reused across packets: no allocation per packet.
        let mut frames = std::mem::take(&mut self.scratch);
        let mut rejected = None;
        for _ in 0..8 {
            match lane.codec.send(Some(packet), seq) {
                Ok(Sent::Accepted) | Ok(Sent::Ended) => break,
                Ok(Sent::Full) => lane.drain(&mut frames, &mut self.out),
                Err(e) => {
                    rejected = Some(e);
                    break;
                }
            }
        }
        lane.drain(&mut frames, &mut self.out);
        let logged = lane.logged_damage(seq, time, &mut self.out);
        if let Some(e) = rejected {
            if logged.is_none() {
                lane.error_notices(seq, time, e.message(), &mut self.out);
            }
            lane.mark_damaged(seq);
        }
        let extra = logged.unwrap_or(FrameFlags::NONE);
        for f in frames.drain(..) {
            self.media
                .emit(lane, f, extra, &mut self.timeline, &mut self.out);
        }
        self.scratch = frames;
    }
}

impl Decoder for FfmpegDecoder {
    fn name(&self) -> &str {
        &self.name
    }

    fn streams(&self) -> &[StreamInfo] {
        &self.streams
    }

    fn next(&mut self) -> Result<Option<Media>> {
        if self.out.is_empty() {
            self.fill()?;
        }
        let Some(m) = self.out.pop() else {
            return Ok(None);
        };
        if self.realtime && m.kind().is_some() {
            let stop = &self.stop;
            let stopped = || stop.as_ref().is_some_and(StopSignal::is_stopped);
            if !self.pacer.wait(m.time().as_secs_f64(), stopped) {
                self.out.clear();
                self.state = State::Ended;
                return Ok(None);
            }
        }
        Ok(Some(m))
    }

    fn set_stop_signal(&mut self, stop: StopSignal) {
        self.interrupt.set(Arc::clone(stop.flag()));
        self.stop = Some(stop);
    }

    fn relax(&mut self, needs: Needs) {
        if self.full_decode {
            return;
        }
        for lane in self.lanes.iter_mut().filter(|l| l.kind == MediaKind::Video) {
            lane.codec.set_skips(!needs.deblocked, !needs.every_frame);
        }
    }
}

impl std::fmt::Debug for FfmpegDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfmpegDecoder")
            .field("name", &self.name)
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}
