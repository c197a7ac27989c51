//! [`Reconnecting`]: a decoder that reopens a live input whose connection failed, with backoff,
//! and continues the input's timeline across the new connection.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::options::ReconnectPolicy;
use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::media::{DecoderNotice, Media, MediaKind, MediaTime, NoticeKind, StreamInfo};
use crate::stop::StopSignal;

/// Items of a new connection held at most while waiting for each kind's first time.
const MAX_HELD: usize = 256;

/// Opens (or reopens) the input; the stop signal lets a blocking open be interrupted.
pub type Opener = Box<dyn FnMut(&StopSignal) -> Result<Box<dyn Decoder>> + Send>;

/// A decoder over a live input that reconnects when a read fails ([`Error::Read`]), following a
/// [`ReconnectPolicy`].
///
/// * The loss is reported at once as a [`NoticeKind::InputLost`] notice, each failed attempt
///   as [`NoticeKind::ReconnectFailed`], the new connection as [`NoticeKind::Reconnected`]
///   (the pipeline turns them into `input_lost`, `reconnect_failed` and `reconnected` notice
///   events). Waits between attempts watch the stop signal (and the opener gets it, so a
///   blocking open is interrupted too).
/// * The timeline continues: the new connection's times (which restart wherever its sender's
///   clock is) are moved by one offset, the same for every stream (audio and video keep their
///   alignment), the smallest that lets pictures and sound each continue at or after where
///   they ended before the loss (its first items are held until both showed their first time,
///   at most 256 items). A [`NoticeKind::Discontinuity`] (no stream) marks the joint, so detectors reset
///   their history there instead of reporting the jump as a defect of the content. The wall
///   time without data is what the pipeline's stall watchdog reports (`input_stall`).
/// * After `attempts` failed attempts in a row (a connection counts as working again once it
///   delivers media) the input ends with [`Error::Read`] saying so. Other errors (a limit, a
///   missing codec) end the input at once, as does the end of the input.
/// * [`streams`](Decoder::streams) are those of the first connection.
/// * [`deferred`](Self::deferred) makes the first open part of reading, retried the same way
///   (an input that is not sending yet).
///
/// ```
/// use avqc::decode::Reconnecting;
/// use avqc::{Decoder, Error, FrameSource, Media, MediaTime, ReconnectPolicy, StopSignal, StreamInfo};
/// // a source that fails after two blocks of sound
/// struct Flaky(u32);
/// impl Decoder for Flaky {
///     fn name(&self) -> &str { "live" }
///     fn streams(&self) -> &[StreamInfo] { &[] }
///     fn next(&mut self) -> avqc::Result<Option<Media>> {
///         self.0 += 1;
///         if self.0 > 2 {
///             return Err(Error::Read { input: "live".into(), message: "connection reset".into() });
///         }
///         let t = MediaTime::from_secs_f64(100.0 + self.0 as f64 * 0.01);
///         Ok(Some(Media::Audio(avqc::AudioFrame::new(48_000, 1, t, vec![0.0; 480])?)))
///     }
/// }
/// let policy = ReconnectPolicy { attempts: 2, initial_backoff_ms: 1, max_backoff_ms: 1 };
/// let mut opens = 0;
/// let opener = move |_stop: &StopSignal| {
///     opens += 1; // the first open and one reconnect work, later ones fail
///     if opens > 2 {
///         return Err(Error::Open { input: "live".into(), message: "connection refused".into() });
///     }
///     Ok(Box::new(Flaky(0)) as Box<dyn Decoder>)
/// };
/// let mut d = Reconnecting::open("live", policy, &StopSignal::new(), Box::new(opener))?;
/// let mut names = Vec::new();
/// let err = loop {
///     match d.next() {
///         Ok(Some(Media::Notice(n))) => names.push(n.kind.name()),
///         Ok(Some(m)) => names.push(if m.time().as_secs_f64() > 100.025 { "late" } else { "media" }),
///         Ok(None) => unreachable!("a flaky input ends with an error"),
///         Err(e) => break e,
///     }
///     if names.len() > 20 { break Error::Pipeline("too many".into()); }
/// };
/// assert_eq!(names, ["media", "media", "input_lost", "reconnected", "discontinuity", "late",
///     "late", "input_lost", "reconnect_failed", "reconnect_failed"]);
/// assert!(err.to_string().contains("gave up"), "{err}");
/// # Ok::<(), avqc::Error>(())
/// ```
pub struct Reconnecting {
    name: String,
    streams: Vec<StreamInfo>,
    policy: ReconnectPolicy,
    opener: Opener,
    inner: Option<Box<dyn Decoder>>,
    stop: StopSignal,
    pending: VecDeque<Media>,
    /// Seconds added to the current connection's times.
    offset: f64,
    /// A new connection whose first media item fixes the offset.
    rebase: bool,
    /// End of the latest media item on the continued timeline, of any kind, of pictures and
    /// of sound.
    last_end: Option<MediaTime>,
    last_video_end: Option<MediaTime>,
    last_audio_end: Option<MediaTime>,
    /// Items of a new connection held until its offset is known.
    held: Vec<Media>,
    /// The error that ends the input, once the items before it are out.
    failed: Option<Error>,
    /// Failed attempts since media last arrived.
    failures: u32,
    /// Since when the input is down, when it is.
    down: Option<Instant>,
    ended: bool,
    /// What the detectors need, handed on to every new connection.
    needs: crate::media::Needs,
    /// A connection was made (the first open is done).
    opened: bool,
}

impl Reconnecting {
    /// Opens the input with `opener` (once: a first open that fails is returned as is) and
    /// reopens it with `opener` after a read error, as `policy` allows. `stop` interrupts waits
    /// and opens until the pipeline hands over its own signal
    /// ([`set_stop_signal`](Decoder::set_stop_signal)).
    pub fn open(
        name: &str,
        policy: ReconnectPolicy,
        stop: &StopSignal,
        mut opener: Opener,
    ) -> Result<Self> {
        let mut inner = opener(stop)?;
        inner.set_stop_signal(stop.clone());
        let mut d = Self::deferred(name, policy, stop, opener);
        d.streams = inner.streams().to_vec();
        d.inner = Some(inner);
        d.opened = true;
        Ok(d)
    }

    /// Like [`open`](Self::open), but nothing is opened yet: the first
    /// [`next`](Decoder::next) opens the input (on the caller's thread, so a pipeline's stall
    /// watch and stop signal already apply while it waits), and a first open that fails with
    /// [`Error::Open`] or [`Error::Read`] is retried under `policy` like a lost connection:
    /// a [`NoticeKind::InputLost`] notice saying the input is not available yet, one
    /// [`NoticeKind::ReconnectFailed`] per failed attempt and [`NoticeKind::Reconnected`] once
    /// it opens (its items start the timeline; no discontinuity). Other errors, and a first
    /// open that fails with `policy.attempts` 0, end the input at once.
    /// [`streams`](Decoder::streams) is empty until the first open succeeded.
    ///
    /// For inputs that may not be sending yet: a monitor started before its encoder.
    ///
    /// ```
    /// use avqc::decode::Reconnecting;
    /// use avqc::{Decoder, Error, FrameSource, Media, MediaTime, ReconnectPolicy, StopSignal, StreamInfo};
    /// let policy = ReconnectPolicy { attempts: 3, initial_backoff_ms: 1, max_backoff_ms: 1 };
    /// let mut opens = 0;
    /// let opener = move |_stop: &StopSignal| {
    ///     opens += 1; // refused twice, then sending
    ///     if opens <= 2 {
    ///         return Err(Error::Open { input: "live".into(), message: "connection refused".into() });
    ///     }
    ///     let t = MediaTime::from_secs_f64(0.0);
    ///     let one = Media::Audio(avqc::AudioFrame::new(48_000, 1, t, vec![0.0; 480])?);
    ///     let streams = vec![StreamInfo::audio(0, "pcm", 48_000, 1)];
    ///     Ok(Box::new(FrameSource::new("live", streams, vec![one])) as Box<dyn Decoder>)
    /// };
    /// let mut d = Reconnecting::deferred("live", policy, &StopSignal::new(), Box::new(opener));
    /// assert!(d.streams().is_empty());
    /// let mut names = Vec::new();
    /// while let Some(m) = d.next()? {
    ///     names.push(match m { Media::Notice(n) => n.kind.name(), _ => "media" });
    /// }
    /// assert_eq!(names, ["input_lost", "reconnect_failed", "reconnected", "media"]);
    /// assert_eq!(d.streams().len(), 1);
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn deferred(
        name: &str,
        policy: ReconnectPolicy,
        stop: &StopSignal,
        opener: Opener,
    ) -> Self {
        Reconnecting {
            name: name.into(),
            streams: Vec::new(),
            policy,
            opener,
            inner: None,
            stop: stop.clone(),
            pending: VecDeque::new(),
            offset: 0.0,
            rebase: false,
            last_end: None,
            last_video_end: None,
            last_audio_end: None,
            held: Vec::new(),
            failed: None,
            failures: 0,
            down: None,
            ended: false,
            needs: crate::media::Needs::ALL,
            opened: false,
        }
    }

    /// Takes `d` as the current connection; the first one also gives the streams.
    fn connect(&mut self, mut d: Box<dyn Decoder>) {
        d.set_stop_signal(self.stop.clone());
        d.relax(self.needs);
        if !self.opened {
            self.streams = d.streams().to_vec();
        }
        // The first connection starts the timeline; later ones continue it.
        self.rebase = self.opened;
        self.opened = true;
        self.inner = Some(d);
        self.down = None;
    }

    /// The first open of a deferred input.
    fn first_open(&mut self) -> Result<()> {
        match (self.opener)(&self.stop) {
            Ok(d) => self.connect(d),
            Err(_) if self.stop.is_stopped() => self.end(),
            Err(e @ (Error::Open { .. } | Error::Read { .. })) if self.policy.attempts > 0 => {
                self.down = Some(Instant::now());
                let message = format!("input not available yet: {}", read_message(e));
                self.notice(NoticeKind::InputLost { message });
            }
            Err(e) => {
                self.ended = true;
                return Err(e);
            }
        }
        Ok(())
    }

    fn notice(&mut self, kind: NoticeKind) {
        let at = self.last_end.unwrap_or(MediaTime::ZERO);
        self.pending
            .push_back(Media::Notice(DecoderNotice::new(at, None, kind)));
    }

    /// Ends the input quietly (stopped while down).
    fn end(&mut self) {
        self.ended = true;
        self.notice(NoticeKind::EndOfStream);
    }

    /// One reconnect attempt (after its backoff), or the final error.
    fn attempt(&mut self, since: Instant) -> Result<()> {
        if self.failures >= self.policy.attempts {
            self.ended = true;
            return Err(Error::Read {
                input: self.name.clone(),
                message: format!(
                    "{}; gave up after {} reconnect attempts over {:.1} s",
                    if self.opened {
                        "input lost"
                    } else {
                        "input never became available"
                    },
                    self.failures,
                    since.elapsed().as_secs_f64()
                ),
            });
        }
        self.failures += 1;
        let attempt = self.failures;
        if !wait(self.policy.backoff(attempt), &self.stop) {
            self.end();
            return Ok(());
        }
        match (self.opener)(&self.stop) {
            Ok(d) => {
                self.connect(d);
                let after_secs = since.elapsed().as_secs_f64();
                self.notice(NoticeKind::Reconnected {
                    attempt,
                    after_secs,
                });
            }
            Err(_) if self.stop.is_stopped() => self.end(),
            Err(e) => {
                let message = read_message(e);
                let attempts = self.policy.attempts;
                self.notice(NoticeKind::ReconnectFailed {
                    attempt,
                    attempts,
                    message,
                });
            }
        }
        Ok(())
    }

    /// Moves an item of the current connection onto the continued timeline. After a reconnect
    /// the first items are held until every kind of media the input had before (pictures,
    /// sound) has shown its first time, so the one offset moves none of them back in time.
    fn place(&mut self, m: Media) {
        if !self.rebase {
            self.shift(m);
            return;
        }
        self.held.push(m);
        let has = |kind: MediaKind, held: &[Media]| held.iter().any(|m| m.kind() == Some(kind));
        let ready = self.held.len() >= MAX_HELD
            || [MediaKind::Video, MediaKind::Audio]
                .into_iter()
                .all(|k| self.last_end_of(k).is_none() || has(k, &self.held));
        if ready {
            self.release();
        }
    }

    /// Fixes the offset of the new connection and passes the held items on.
    fn release(&mut self) {
        if !self.rebase {
            return;
        }
        self.rebase = false;
        let first = |kind: MediaKind, held: &[Media]| {
            held.iter()
                .filter(|m| m.kind() == Some(kind))
                .map(Media::time)
                .min()
        };
        // Each kind starts where it ended (at the latest of them, to keep them aligned).
        let mut offset: Option<f64> = None;
        for kind in [MediaKind::Video, MediaKind::Audio] {
            if let (Some(last), Some(t)) = (self.last_end_of(kind), first(kind, &self.held)) {
                let o = last.secs_since(t);
                offset = Some(offset.map_or(o, |x: f64| x.max(o)));
            }
        }
        let earliest = self
            .held
            .iter()
            .filter(|m| m.kind().is_some())
            .map(Media::time)
            .min();
        let offset = offset
            .or_else(|| Some(self.last_end?.secs_since(earliest?)))
            .unwrap_or(self.offset);
        let jump_secs = self.offset - offset;
        self.offset = offset;
        self.notice(NoticeKind::Discontinuity { jump_secs });
        let mut held = std::mem::take(&mut self.held);
        for m in held.drain(..) {
            self.shift(m);
        }
        self.held = held;
    }

    fn last_end_of(&self, kind: MediaKind) -> Option<MediaTime> {
        match kind {
            MediaKind::Video => self.last_video_end,
            MediaKind::Audio => self.last_audio_end,
        }
    }

    /// Moves one item by the offset and passes it on.
    fn shift(&mut self, m: Media) {
        let off = self.offset;
        let m = match m {
            Media::Video(v) if off != 0.0 => {
                let t = v.time().add_secs(off);
                Media::Video(v.with_time(t))
            }
            Media::Audio(a) if off != 0.0 => {
                let t = a.time().add_secs(off);
                Media::Audio(a.with_time(t))
            }
            Media::Notice(mut n) => {
                n.time = n.time.add_secs(off);
                Media::Notice(n)
            }
            m => m,
        };
        let later =
            |last: Option<MediaTime>, end: MediaTime| Some(last.map_or(end, |l| l.max(end)));
        match &m {
            Media::Video(v) => {
                let end = v.time().add_secs(v.duration().unwrap_or(0.0));
                self.last_video_end = later(self.last_video_end, end);
                self.last_end = later(self.last_end, end);
                self.failures = 0;
            }
            Media::Audio(a) => {
                let end = a.end_time();
                self.last_audio_end = later(self.last_audio_end, end);
                self.last_end = later(self.last_end, end);
                self.failures = 0;
            }
            Media::Notice(_) => {}
        }
        self.pending.push_back(m);
    }
}

/// Sleeps `d` in small steps; false when the stop signal was raised.
fn wait(d: Duration, stop: &StopSignal) -> bool {
    let until = Instant::now() + d;
    loop {
        if stop.is_stopped() {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}

fn read_message(e: Error) -> String {
    match e {
        Error::Read { message, .. } | Error::Open { message, .. } => message,
        other => other.to_string(),
    }
}

impl Decoder for Reconnecting {
    fn name(&self) -> &str {
        &self.name
    }

    fn streams(&self) -> &[StreamInfo] {
        &self.streams
    }

    fn next(&mut self) -> Result<Option<Media>> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Ok(Some(m));
            }
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            if self.ended {
                return Ok(None);
            }
            if let Some(since) = self.down {
                self.attempt(since)?;
                continue;
            }
            if !self.opened {
                self.first_open()?;
                continue;
            }
            let Some(inner) = self.inner.as_mut() else {
                self.ended = true;
                continue;
            };
            let next = inner.next();
            if !matches!(next, Ok(Some(_))) {
                // Whatever the new connection gave before it ended goes out first.
                self.release();
            }
            match next {
                Ok(Some(m)) => self.place(m),
                Ok(None) => self.ended = true,
                Err(e @ Error::Read { .. })
                    if self.policy.attempts > 0 && !self.stop.is_stopped() =>
                {
                    // Closed before reopening (a UDP port is bound by the old connection).
                    self.inner = None;
                    self.down = Some(Instant::now());
                    let message = read_message(e);
                    self.notice(NoticeKind::InputLost { message });
                }
                Err(e) => {
                    self.ended = true;
                    if !self.pending.is_empty() {
                        // The held items first; the error on the next call.
                        self.failed = Some(e);
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    fn set_stop_signal(&mut self, stop: StopSignal) {
        if let Some(inner) = self.inner.as_mut() {
            inner.set_stop_signal(stop.clone());
        }
        self.stop = stop;
    }

    fn relax(&mut self, needs: crate::media::Needs) {
        if let Some(inner) = self.inner.as_mut() {
            inner.relax(needs);
        }
        self.needs = needs;
    }
}

impl std::fmt::Debug for Reconnecting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconnecting")
            .field("name", &self.name)
            .field("policy", &self.policy)
            .field("down", &self.down.is_some())
            .finish_non_exhaustive()
    }
}
