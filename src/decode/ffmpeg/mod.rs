//! The FFmpeg decoder: any input libavformat opens (files, URLs, bytes pushed by the host),
//! decoded with libavcodec into shared [`VideoFrame`]s and [`AudioFrame`]s.
//!
//! All FFmpeg calls go through `crate::ffi`; this module is safe code.

mod clock;
mod frames;
mod open;
mod push;
mod tap;

use clock::{Clock, Joint};
use open::open_error;

use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::Receiver;

use crate::ffi::{
    CodecContext, CustomIo, Dict, FfError, Frame, Input, Interrupt, Packet, ProtocolReader,
    ReadOutcome, Received, Scaler, Sent, StreamParams,
};
use push::ChannelReader;
pub use push::PushInput;
use tap::{Tap, Tapped};

use crate::decode::Reconnecting;
use crate::media::time::MICROS;
use crate::{
    AudioFrame, Decoder, DecoderNotice, DecoderOptions, Error, FrameFlags, Media, MediaKind,
    MediaTime, NoticeKind, PixelFormat, Rational, Result, StopSignal, StreamInfo, StreamSelection,
    VideoFrame,
};

/// Consecutive unreadable packets tolerated before the input is given up.
const MAX_INVALID_READS: u32 = 1000;
/// Audio buffers kept for reuse.
const AUDIO_POOL: usize = 64;
/// Codecs of text-mode art, which FFmpeg's tty/bintext demuxers report for any file with a
/// matching extension.
const TEXT_ART: &[&str] = &["ansi", "bintext", "xbin", "idf"];
/// Packets whose frames are remembered as damaged.
const DAMAGE_MEMORY: usize = 256;
/// Wall time spent waiting in reads for one packet after which data that comes back with
/// jumped timestamps is taken as a restarted input (see `clock::Joint`). Only time blocked in
/// the reads counts: a decoder held up by its consumer is not a gap in the input.
const RESTART_GAP: Duration = Duration::from_secs(1);

/// Decodes an input with the system's FFmpeg libraries (cargo feature `ffmpeg`, on by default).
///
/// * Inputs: files and every URL libavformat opens (`http(s)://`, HLS, `udp://`, `rtp://`,
///   `srt://`... as compiled into the FFmpeg build) with [`open`](Self::open); any
///   [`Read`] with [`from_reader`](Self::from_reader); byte chunks pushed by the host (MPEG-TS or
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
///   `next` returns `Ok(None)` too. A raised stop signal ends the input quietly.
/// * Realtime ([`DecoderOptions::realtime`]): items are released at the pace of their
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
    // Declared before `input`: the decoders are closed before the input.
    lanes: Vec<Lane>,
    input: Input,
    streams: Vec<StreamInfo>,
    lane_of: Vec<Option<usize>>,
    packet: Packet,
    queue: VecDeque<Media>,
    state: State,
    interrupt: Arc<Interrupt>,
    stop: Option<StopSignal>,
    origin: Option<MediaTime>,
    analysis_size: Option<(u32, u32)>,
    /// Never skip decoding work (see [`DecoderOptions::full_decode`]).
    full_decode: bool,
    realtime: bool,
    pace: Option<(Instant, f64)>,
    invalid_reads: u32,
    seq: i64,
    last_time: MediaTime,
    audio_pool: Vec<Arc<Vec<f32>>>,
    /// Frames received for the current packet (storage reused).
    scratch: Vec<Frame>,
    /// Since when the reads wait for the next packet (wall clock).
    wait_since: Option<Instant>,
    /// The streams' common offset after a restart, for frame and for packet times.
    frame_joint: Joint,
    packet_joint: Joint,
    /// The transport analyser fed by the reader, when the input is read through the tap.
    tap: Option<Tap>,
    /// The latest packet's raw 90 kHz timestamp (modulo 2^33) and its media time: the
    /// reference that places transport findings on the timeline.
    ts_ref: Option<(i64, MediaTime)>,
    /// Transport notices waiting for the decoded timeline to reach their time (libavformat
    /// reads ahead of the pictures, by seconds while probing).
    held: VecDeque<DecoderNotice>,
    /// Transport findings the analyser had to drop, as last reported.
    transport_overflow: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Running,
    Ended,
}

/// One decoded stream.
struct Lane {
    index: usize,
    kind: MediaKind,
    codec: CodecContext,
    frame_clock: Clock,
    packet_clock: Clock,
    /// Nominal frame duration in seconds (video).
    frame_secs: Option<f64>,
    /// Next sample index (in 1/rate units) and rate (audio).
    next_sample: Option<(u32, i64)>,
    /// Last video time and duration, in the stream time base.
    last_video: Option<(i64, i64)>,
    /// Tags and times of the packets sent lately.
    sent: VecDeque<(i64, MediaTime)>,
    /// Tags of the packets found damaged lately.
    damaged: VecDeque<i64>,
    converter: Scaler,
    analysis: Scaler,
    flushed: bool,
}

impl FfmpegDecoder {
    /// Opens a file or URL and the decoders of the selected streams.
    ///
    /// For a URL, the [`set_stop_signal`](Decoder::set_stop_signal) flag interrupts blocking
    /// reads; options such as `rw_timeout` can be passed in
    /// [`DecoderOptions::format_options`].
    ///
    /// Errors: [`Error::Open`] when the input cannot be opened or is not recognised (this
    /// includes an empty file), [`Error::NoStream`] when it has nothing the selection can
    /// decode, [`Error::Codec`] when FFmpeg has no decoder for a selected stream,
    /// [`Error::Config`] for a malformed option.
    ///
    /// ```
    /// use avqc::{DecoderOptions, Error, FfmpegDecoder};
    /// let err = FfmpegDecoder::open("tests/data/no-such-file.ts", &DecoderOptions::default()).err();
    /// assert!(matches!(err, Some(Error::Open { .. })));
    /// ```
    pub fn open(input: &str, opts: &DecoderOptions) -> Result<Self> {
        Self::open_url(input, opts, Interrupt::new())
    }

    /// Opens a file or URL with `interrupt`; MPEG-TS byte streams are read through the
    /// transport tap.
    fn open_url(input: &str, opts: &DecoderOptions, interrupt: Arc<Interrupt>) -> Result<Self> {
        if tap::wants_tap(input, opts.format.as_deref()) {
            let mut dict = open::options_dict(opts)?;
            // Not opened here (a device, a missing file...): libavformat opens it and reports.
            if let Ok(reader) = ProtocolReader::open(input, &mut dict, Arc::clone(&interrupt)) {
                let tap = Tap::default();
                let io = CustomIo::with_source(
                    Box::new(Tapped::new(reader, Arc::clone(&tap))),
                    Arc::clone(&interrupt),
                )
                .map_err(|e| open_error(input, &e))?;
                let mut d = Self::open_with(input, Some(io), dict, interrupt, opts)?;
                d.tap = Some(tap);
                return Ok(d);
            }
        }
        Self::open_with(input, None, open::options_dict(opts)?, interrupt, opts)
    }

    /// Like [`open`](Self::open), but `stop` interrupts the open itself (a network input that
    /// sends nothing blocks while FFmpeg probes it) and later reads.
    ///
    /// ```
    /// use avqc::{DecoderOptions, Error, FfmpegDecoder, StopSignal};
    /// let stop = StopSignal::new();
    /// stop.stop();
    /// let err = FfmpegDecoder::open_interruptible("udp://127.0.0.1:9", &DecoderOptions::default(), &stop).err();
    /// assert!(matches!(err, Some(Error::Open { .. })));
    /// ```
    pub fn open_interruptible(
        input: &str,
        opts: &DecoderOptions,
        stop: &StopSignal,
    ) -> Result<Self> {
        let interrupt = Interrupt::new();
        interrupt.set(Arc::clone(stop.flag()));
        let mut d = Self::open_url(input, opts, interrupt)?;
        d.stop = Some(stop.clone());
        Ok(d)
    }

    /// Opens a live URL as a [`Reconnecting`] decoder: a read that fails (a dropped connection,
    /// a UDP input silent for longer than its `timeout` option) reopens the URL as
    /// [`DecoderOptions::reconnect`] says, and the timeline continues across. The first open
    /// is not retried: its error is returned.
    ///
    /// ```no_run
    /// use avqc::{DecoderOptions, FfmpegDecoder, ReconnectPolicy, StopSignal};
    /// let opts = DecoderOptions {
    ///     reconnect: ReconnectPolicy { attempts: 5, ..Default::default() },
    ///     ..Default::default()
    /// };
    /// // `timeout` (µs): a UDP read that gets nothing for 2 s fails, and is reconnected
    /// let d = FfmpegDecoder::open_reconnecting("udp://127.0.0.1:5000?timeout=2000000", &opts, &StopSignal::new())?;
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn open_reconnecting(
        input: &str,
        opts: &DecoderOptions,
        stop: &StopSignal,
    ) -> Result<Reconnecting> {
        let policy = opts.reconnect.clone();
        let (url, opts) = (input.to_string(), opts.clone());
        let opener = move |stop: &StopSignal| {
            Self::open_interruptible(&url, &opts, stop).map(|d| Box::new(d) as Box<dyn Decoder>)
        };
        Reconnecting::open(input, policy, stop, Box::new(opener))
    }

    /// Decodes what `reader` yields (a container stream such as MPEG-TS or fragmented MP4; not
    /// seekable). `name` names the input in events and helps format probing (its extension).
    ///
    /// Opening reads (and blocks) until FFmpeg has probed the format and streams. Reading ends
    /// when the reader returns 0 bytes; a read error ends the input with [`Error::Read`].
    ///
    /// ```
    /// use avqc::{Decoder, DecoderOptions, FfmpegDecoder};
    /// let file = std::fs::File::open("tests/data/demo.ts").unwrap();
    /// let d = FfmpegDecoder::from_reader("demo.ts", file, &DecoderOptions::default())?;
    /// assert_eq!(d.streams().len(), 2);
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn from_reader(
        name: &str,
        reader: impl Read + Send + 'static,
        opts: &DecoderOptions,
    ) -> Result<Self> {
        Self::open_tapped(name, Box::new(reader), Interrupt::new(), opts)
    }

    /// Opens a custom reader through the transport tap.
    fn open_tapped(
        name: &str,
        reader: Box<dyn Read + Send>,
        interrupt: Arc<Interrupt>,
        opts: &DecoderOptions,
    ) -> Result<Self> {
        let tap = Tap::default();
        let io = CustomIo::new(
            Box::new(Tapped::new(reader, Arc::clone(&tap))),
            Arc::clone(&interrupt),
        )
        .map_err(|e| open_error(name, &e))?;
        let mut d = Self::open_with(name, Some(io), open::options_dict(opts)?, interrupt, opts)?;
        d.tap = Some(tap);
        Ok(d)
    }

    /// Decodes byte chunks the host sends through a channel (e.g. MPEG-TS or fragmented MP4
    /// segments as they arrive). The input ends when every sender is dropped. See
    /// [`PushInput`] for a ready-made sending side.
    ///
    /// Opening blocks until enough bytes have arrived for FFmpeg to probe the format and the
    /// streams, so push from another thread (or push the first segments before opening). A
    /// raised stop signal ([`set_stop_signal`](Decoder::set_stop_signal)) ends a read waiting
    /// for data within about 50 ms.
    pub fn from_channel(name: &str, rx: Receiver<Bytes>, opts: &DecoderOptions) -> Result<Self> {
        let interrupt = Interrupt::new();
        let reader = ChannelReader {
            rx,
            current: Bytes::new(),
            interrupt: Arc::clone(&interrupt),
        };
        Self::open_tapped(name, Box::new(reader), interrupt, opts)
    }

    fn read_error(&self, message: impl Into<String>) -> Error {
        Error::Read {
            input: self.name.clone(),
            message: message.into(),
        }
    }

    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(StopSignal::is_stopped)
    }

    fn notice(&mut self, time: MediaTime, stream: Option<usize>, kind: NoticeKind) {
        self.queue
            .push_back(Media::Notice(DecoderNotice::new(time, stream, kind)));
    }

    /// Reads and decodes until something is queued or the input ends.
    fn fill(&mut self) -> Result<()> {
        while self.queue.is_empty() && self.state == State::Running {
            if self.stopped() {
                self.finish(false);
                break;
            }
            let since = *self.wait_since.get_or_insert_with(Instant::now);
            match self.input.read(&mut self.packet) {
                Ok(ReadOutcome::Packet) => {
                    self.invalid_reads = 0;
                    self.wait_since = None;
                    if since.elapsed() >= RESTART_GAP {
                        self.after_gap();
                    }
                    self.on_packet();
                    self.transport_notices(false);
                }
                Ok(ReadOutcome::Again) => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(ReadOutcome::End) => self.finish(true),
                Err(FfError::Interrupted) => self.finish(false),
                Err(FfError::InvalidData) => {
                    self.invalid_reads += 1;
                    if self.invalid_reads > MAX_INVALID_READS {
                        self.state = State::Ended;
                        self.queue.clear();
                        return Err(self.read_error(format!(
                            "{MAX_INVALID_READS} consecutive unreadable packets"
                        )));
                    }
                }
                Err(e) => {
                    let message = self.input.take_io_error().unwrap_or_else(|| e.message());
                    self.state = State::Ended;
                    self.queue.clear();
                    return Err(self.read_error(message));
                }
            }
        }
        Ok(())
    }

    /// After a wait of [`RESTART_GAP`] for a packet, the next jump of each stream is taken as
    /// a restart of the whole input.
    fn after_gap(&mut self) {
        self.frame_joint.reset();
        self.packet_joint.reset();
        for lane in &mut self.lanes {
            lane.frame_clock.after_gap();
            lane.packet_clock.after_gap();
        }
    }

    /// End of input: flushes the decoders (when `flush`), then queues the end notice.
    fn finish(&mut self, flush: bool) {
        if flush {
            for l in 0..self.lanes.len() {
                if !self.lanes[l].flushed {
                    self.lanes[l].flushed = true;
                    let seq = self.seq;
                    let _ = self.lanes[l].codec.send(None, seq);
                    let mut frames = std::mem::take(&mut self.scratch);
                    self.drain(l, &mut frames);
                    let t = self.last_time;
                    let extra = self.logged_damage(l, seq, t).unwrap_or(FrameFlags::NONE);
                    for f in frames.drain(..) {
                        self.emit(l, f, extra);
                    }
                    self.scratch = frames;
                }
            }
        }
        self.transport_notices(true);
        let t = self.last_time;
        self.notice(t, None, NoticeKind::EndOfStream);
        self.state = State::Ended;
    }

    /// Turns the transport analyser's findings into notices, released in step with the
    /// decoded timeline (all of them when `all`: the end of the input).
    fn transport_notices(&mut self, all: bool) {
        let Some(tap) = &self.tap else { return };
        let tap = Arc::clone(tap);
        {
            let mut a = tap::lock(&tap);
            if a.overflowed() > self.transport_overflow {
                self.transport_overflow = a.overflowed();
                log::warn!(
                    "{}: {} transport findings dropped (more than 8192 between two packets)",
                    self.name,
                    self.transport_overflow
                );
            }
            for f in a.drain() {
                let t = self.transport_time(f.pts);
                let kind = NoticeKind::Transport {
                    error: f.error,
                    pid: f.pid,
                    phase: f.phase,
                };
                self.held.push_back(DecoderNotice::new(t, None, kind));
            }
        }
        while let Some(n) = self.held.front() {
            if !all && n.time > self.last_time {
                break;
            }
            if let Some(n) = self.held.pop_front() {
                self.queue.push_back(Media::Notice(n));
            }
        }
    }

    /// The media time of a 90 kHz PTS-domain instant, from the latest packet's timestamp (the
    /// decoder's own bridged timeline); the latest media time when there is no reference.
    fn transport_time(&self, pts: Option<u64>) -> MediaTime {
        const WRAP: i64 = 1 << 33;
        let (Some(p), Some((raw, t))) = (pts, self.ts_ref) else {
            return self.last_time;
        };
        let mut d = (p as i64 - raw).rem_euclid(WRAP);
        if d >= WRAP / 2 {
            d -= WRAP;
        }
        let secs = d as f64 / 90_000.0;
        if secs.abs() > 60.0 {
            return self.last_time;
        }
        t.add_secs(secs).max(MediaTime::ZERO)
    }

    /// Receives every frame the decoder of lane `l` has ready into `out`.
    fn drain(&mut self, l: usize, out: &mut Vec<Frame>) {
        // Bounded: a decoder never yields more frames than this for one packet.
        for _ in 0..10_000 {
            match self.lanes[l].codec.receive() {
                Ok(Received::Frame(f)) => out.push(f),
                Ok(Received::NeedInput) | Ok(Received::Drained) => break,
                Err(e) => {
                    let t = self.last_time;
                    let index = self.lanes[l].index;
                    self.notice(
                        t,
                        Some(index),
                        NoticeKind::DecodeError {
                            message: e.message(),
                        },
                    );
                    break;
                }
            }
        }
    }

    fn on_packet(&mut self) {
        let Some(Some(l)) = self.lane_of.get(self.packet.stream()).copied() else {
            return;
        };
        self.seq += 1;
        let seq = self.seq;
        let index = self.lanes[l].index;
        let time = match self.packet.time() {
            Some(raw) => {
                let lane = &mut self.lanes[l];
                let m = lane
                    .packet_clock
                    .map(raw, &mut self.origin, &mut self.packet_joint);
                MediaTime::new(m.ticks, lane.packet_clock.tb)
            }
            None => self.last_time,
        };
        if let Some(raw) = self.packet.time() {
            let tb = self.lanes[l].packet_clock.tb;
            if tb == Rational::new(1, 90_000) {
                self.ts_ref = Some((raw.rem_euclid(1 << 33), time));
            }
        }
        {
            let lane = &mut self.lanes[l];
            lane.sent.push_back((seq, time));
            if lane.sent.len() > DAMAGE_MEMORY {
                lane.sent.pop_front();
            }
        }
        if self.packet.is_corrupt() {
            self.notice(time, Some(index), NoticeKind::CorruptPacket);
            self.mark_damaged(l, seq);
        }
        // Reused across packets: no allocation per packet.
        let mut frames = std::mem::take(&mut self.scratch);
        let mut rejected = None;
        for _ in 0..8 {
            match self.lanes[l].codec.send(Some(&self.packet), seq) {
                Ok(Sent::Accepted) | Ok(Sent::Ended) => break,
                Ok(Sent::Full) => self.drain(l, &mut frames),
                Err(e) => {
                    rejected = Some(e);
                    break;
                }
            }
        }
        self.drain(l, &mut frames);
        let logged = self.logged_damage(l, seq, time);
        if let Some(e) = rejected {
            if logged.is_none() {
                let message = e.message();
                self.notice(time, Some(index), NoticeKind::DecodeError { message });
            }
            self.mark_damaged(l, seq);
        }
        let extra = logged.unwrap_or(FrameFlags::NONE);
        for f in frames.drain(..) {
            self.emit(l, f, extra);
        }
        self.scratch = frames;
    }

    fn mark_damaged(&mut self, l: usize, seq: i64) {
        let lane = &mut self.lanes[l];
        if !lane.damaged.contains(&seq) {
            lane.damaged.push_back(seq);
            if lane.damaged.len() > DAMAGE_MEMORY {
                lane.damaged.pop_front();
            }
        }
    }

    /// Turns the errors the decoder of lane `l` logged since the last call into notices (one
    /// per damaged packet, at that packet's time) and marks those packets damaged. `None` when
    /// nothing was logged; otherwise extra flags for the frames received in this call (set
    /// only when an error could not be traced to its packet).
    fn logged_damage(&mut self, l: usize, seq: i64, time: MediaTime) -> Option<FrameFlags> {
        let tags = self.lanes[l].codec.take_error_tags();
        if tags.is_empty() {
            return None;
        }
        let message = self.lanes[l].codec.last_logged_error();
        let index = self.lanes[l].index;
        let mut untraced = false;
        for tag in tags {
            let sent = self.lanes[l].sent.iter().find(|(s, _)| *s == tag).copied();
            match sent {
                Some((s, t)) => {
                    let message = message.clone();
                    self.notice(t, Some(index), NoticeKind::DecodeError { message });
                    self.mark_damaged(l, s);
                }
                None => untraced = true,
            }
        }
        if untraced {
            self.notice(time, Some(index), NoticeKind::DecodeError { message });
            self.mark_damaged(l, seq);
            return Some(FrameFlags::DAMAGED_INPUT);
        }
        Some(FrameFlags::NONE)
    }

    /// Waits until `t` is due on the wall clock (realtime mode). False when stopped.
    fn pace(&mut self, t: f64) -> bool {
        let now = Instant::now();
        let Some((t0_wall, t0)) = self.pace else {
            self.pace = Some((now, t));
            return true;
        };
        let due = t - t0;
        let elapsed = now.duration_since(t0_wall).as_secs_f64();
        if due < 0.0 || due - elapsed > 5.0 {
            // A jump back or far ahead: start pacing afresh from here.
            self.pace = Some((now, t));
            return true;
        }
        let deadline = t0_wall + Duration::from_secs_f64(due);
        loop {
            if self.stopped() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
        }
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
        if self.queue.is_empty() {
            self.fill()?;
        }
        let Some(m) = self.queue.pop_front() else {
            return Ok(None);
        };
        if self.realtime && m.kind().is_some() && !self.pace(m.time().as_secs_f64()) {
            self.queue.clear();
            self.state = State::Ended;
            return Ok(None);
        }
        Ok(Some(m))
    }

    fn set_stop_signal(&mut self, stop: StopSignal) {
        self.interrupt.set(Arc::clone(stop.flag()));
        self.stop = Some(stop);
    }

    fn relax(&mut self, needs: crate::Needs) {
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
