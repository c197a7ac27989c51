//! The ways an [`FfmpegDecoder`] is made: a file or URL (plain, interruptible, reconnecting or
//! live), any [`Read`] and a channel of byte chunks pushed by the host; each reads its input
//! (through the transport tap where it applies) and opens the decoders of the selected streams.

use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use crossbeam_channel::Receiver;

use super::clock::Timeline;
use super::findings::Findings;
use super::frames::MediaMaker;
use super::open::{open_error, open_input, options_dict, Opened};
use super::output::Output;
use super::pace::Pacer;
use super::push::ChannelReader;
use super::tap::{wants_tap, Tap, Tapped};
use super::{FfmpegDecoder, State};
use crate::decode::options::DecoderOptions;
use crate::decode::{Decoder, Reconnecting};
use crate::error::Result;
use crate::ffi::{CustomIo, Dict, Interrupt, ProtocolReader};
use crate::stop::StopSignal;

impl FfmpegDecoder {
    /// Opens a file or URL and the decoders of the selected streams.
    ///
    /// For a URL, the [`set_stop_signal`](Decoder::set_stop_signal) flag interrupts blocking
    /// reads; options such as `rw_timeout` can be passed in
    /// [`DecoderOptions::format_options`].
    ///
    /// Errors: [`Error::Open`](crate::Error::Open) when the input cannot be opened or is not recognised (this
    /// includes an empty file), [`Error::NoStream`](crate::Error::NoStream) when it has nothing the selection can
    /// decode, [`Error::Codec`](crate::Error::Codec) when FFmpeg has no decoder for a selected stream,
    /// [`Error::Config`](crate::Error::Config) for a malformed option.
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
        if wants_tap(input, opts.format.as_deref()) {
            let mut dict = options_dict(opts)?;
            // Not opened here (a device, a missing file...): libavformat opens it and reports.
            if let Ok(reader) = ProtocolReader::open(input, &mut dict, Arc::clone(&interrupt)) {
                let tap = Tap::default();
                let io = CustomIo::with_source(
                    Box::new(Tapped::new(reader, Arc::clone(&tap))),
                    Arc::clone(&interrupt),
                )
                .map_err(|e| open_error(input, &e))?;
                let mut d = Self::open_with(input, Some(io), dict, interrupt, opts)?;
                d.findings = Some(Findings::new(tap));
                return Ok(d);
            }
        }
        Self::open_with(input, None, options_dict(opts)?, interrupt, opts)
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
    /// is not retried: its error is returned ([`open_live`](Self::open_live) retries it too).
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

    /// Like [`open_reconnecting`](Self::open_reconnecting), for a live URL that may not be
    /// sending yet (a monitor started before its encoder): nothing is opened here; the first
    /// read opens the URL, so a pipeline's stall watch (`input_stall`) and stop signal already
    /// apply while it waits, and a first open that fails (a refused connection) is retried
    /// under [`DecoderOptions::reconnect`] and reported (see [`Reconnecting::deferred`]).
    /// Never blocks.
    ///
    /// ```
    /// use avqc::{Decoder, DecoderOptions, FfmpegDecoder, StopSignal};
    /// let stop = StopSignal::new();
    /// let mut d = FfmpegDecoder::open_live("udp://127.0.0.1:9", &DecoderOptions::default(), &stop);
    /// assert!(d.streams().is_empty()); // not opened yet
    /// stop.stop();
    /// assert!(matches!(d.next(), Ok(Some(_)) | Ok(None))); // a stopped open ends quietly
    /// ```
    pub fn open_live(input: &str, opts: &DecoderOptions, stop: &StopSignal) -> Reconnecting {
        let policy = opts.reconnect.clone();
        let (url, opts) = (input.to_string(), opts.clone());
        let opener = move |stop: &StopSignal| {
            Self::open_interruptible(&url, &opts, stop).map(|d| Box::new(d) as Box<dyn Decoder>)
        };
        Reconnecting::deferred(input, policy, stop, Box::new(opener))
    }

    /// Decodes what `reader` yields (a container stream such as MPEG-TS or fragmented MP4; not
    /// seekable). `name` names the input in events and helps format probing (its extension).
    ///
    /// Opening reads (and blocks) until FFmpeg has probed the format and streams. Reading ends
    /// when the reader returns 0 bytes; a read error ends the input with [`Error::Read`](crate::Error::Read).
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
        let mut d = Self::open_with(name, Some(io), options_dict(opts)?, interrupt, opts)?;
        d.findings = Some(Findings::new(tap));
        Ok(d)
    }

    /// Decodes byte chunks the host sends through a channel (e.g. MPEG-TS or fragmented MP4
    /// segments as they arrive). The input ends when every sender is dropped. See
    /// [`PushInput`](super::PushInput) for a ready-made sending side.
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

    /// Opens input `name` (read from `io` when given) and the decoders of its selected
    /// streams.
    fn open_with(
        name: &str,
        io: Option<CustomIo>,
        dict: Dict,
        interrupt: Arc<Interrupt>,
        opts: &DecoderOptions,
    ) -> Result<Self> {
        let Opened {
            demux,
            lanes,
            streams,
            lane_of,
            origin,
        } = open_input(name, io, dict, Arc::clone(&interrupt), opts)?;
        Ok(FfmpegDecoder {
            name: name.into(),
            lanes,
            demux,
            streams,
            lane_of,
            out: Output::new(),
            state: State::Running,
            interrupt,
            stop: None,
            timeline: Timeline::new(origin),
            media: MediaMaker::new(opts.analysis_size.filter(|&(w, h)| w > 0 && h > 0)),
            full_decode: opts.full_decode,
            realtime: opts.realtime,
            pacer: Pacer::default(),
            seq: 0,
            scratch: Vec::with_capacity(4),
            findings: None,
        })
    }
}
