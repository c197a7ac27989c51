//! `silence`: sound is missing (`audio_silence`), or briefly drops out inside sound
//! (`audio_dropout`).
//!
//! The sound is cut into short windows (2.5 ms by default); a window is silent when the RMS level
//! of **every** channel is below `threshold_db`, which catches digital zero and a low noise floor
//! alike. Silent stretches lasting `min_duration` are reported as `audio_silence` as soon as
//! they are confirmed (start event) and when sound returns (end event) if they are cuts (an
//! abrupt fall far under the programme's floor, as for dropouts below); any other silence (the
//! pauses of a quiet programme whose room tone is under `threshold_db`, a rest that decays in
//! music) must last `quiet_min_duration`, and is then reported with its true start. Times are
//! sample-exact to the window.
//!
//! `audio_dropout` is a cut, not a pause. A natural pause (speech between words, a rest in
//! music) decays over tens of milliseconds and leaves the room tone or the reverberation going
//! on; a dropout cuts the whole waveform at once, room tone and all (a lost packet, a zeroed
//! buffer, a broken link), and a lossy codec only smears the cut over a few milliseconds. So
//! besides its own rule each level or relative dropout must:
//!
//! - fall **abruptly**: from a window within 12 dB of the programme's level (its mean over
//!   about `relative_context` seconds) to one more than 24 dB under it within `relative_edge`
//!   (a codec's smear after the cut, a few milliseconds at −30 to −40 dB, may follow). For a
//!   relative dropout this is judged against the programme's level too, not only against the
//!   mean of its own context: a note that decayed 20 dB under the programme before its rest
//!   falls into the rest from a context already quieter, not from the programme;
//! - fall **far under the programme's floor**: the gap's quietest 10 ms at least
//!   `floor_drop_db` under the quietest 10 ms of the last `floor_context` seconds (the room
//!   tone of the pauses, the softest moment of the music), which is known after 1 s of sound.
//!   Gaps reported as dropouts (and shorter ones of the same shape) are kept out of the floor;
//! - not hold **room tone**: 0.1 s in a row of quiet far under the programme's level but above
//!   digital silence (−90 dBFS), risen 10 dB out of a deeper dip before it (where a fade-out met
//!   the next programme's fade-in; a programme whose gain falls 35 dB, or one cut to a steady
//!   noise floor, has no such dip and stays a dropout or a silence). A cut takes the room tone with it, and a codec leaves its gap
//!   under −100 dBFS within 10–20 ms; a gap of room tone is a pause, or the quiet a quieter
//!   programme begins with after a junction, and its levels join the floor at once (the floor
//!   of the programme before would otherwise make every pause of the next one a dropout for
//!   `floor_context`). The same holds for a silence: one of room tone is no cut until it has
//!   lasted 1 s (a programme cut to a noise floor stays there; a junction's lead-in does not);
//! - not be a **junction**: a playout chain joins programmes with a V-fade (the sound faded
//!   out linearly over 20 ms, the next programme faded in), which falls steadily through every
//!   window of the fade where a cut holds the programme up to its smear; a gap whose fall and
//!   return are both such fades is not a dropout, and a silence the sound faded into is not a
//!   cut (see `ramp.rs`).
//!
//! A pause at any programme level (−23 LUFS news with room tone at −55 dBFS, a −45 LUFS
//! programme with its pauses at −77 dBFS) sits at its floor and is never a dropout. The limit:
//! a programme with no floor at all (pauses of exact digital zero, as raw synthesized speech)
//! gives no way to tell a cut from a pause, and its gaps are not reported.
//!
//! `details.source` says which kind of dropout:
//!
//! - `"level"`: a silent stretch (every window below `threshold_db`) of `dropout_min` seconds
//!   up to `min_duration`, with sound before it and the sound back (less than 18 dB under the
//!   programme's level) within `relative_edge` of its end: a lossy codec smears the return of
//!   the sound as it smears the cut; a stretch after which the sound stays lower is a quiet
//!   gap's floor flickering under the threshold, judged as a relative dropout, or a junction
//!   between two programmes (a loud one faded out, a quiet one faded in after a pause of its
//!   room tone): the sound after it is another programme's. The silence must begin within `2 × relative_edge` of the last window
//!   near the programme's level, for the same reason, or within `3 × relative_edge` when the
//!   sound fell far under that level in one step (at most one window between) and no relative
//!   gap is being judged: a lossy codec rings on after a cut, and AAC at 32 kHz or a second AAC
//!   generation leaves 15–25 ms of the cut's frame 20–35 dB under the programme before the
//!   silence.
//!   Reported when the sound is back (start and end events together), the end at the end of
//!   the silent stretch.
//! - `"relative"`: a steady sound that drops at least `relative_drop_db` below its own
//!   level of the last `relative_context` seconds, for `dropout_min` to `relative_max` seconds,
//!   and comes back to about that level (a −20 dBFS programme falling to −55 dBFS for 50 ms),
//!   though the gap stays above `threshold_db`. The context must be steady (no 10 ms block in
//!   it more than 20 dB under the reference: the pauses of speech or a staccato are not
//!   dropouts); the level after the gap (mean of 0.1 s) must be within 12 dB of the reference.
//!   A gap holding any window below `threshold_db` is left to the absolute rules, so no gap is
//!   reported twice.
//! - `"timestamps"`: sound missing from the timeline. The next audio frame starts later than
//!   the last one ended (beyond 2 ms of jitter, up to 10 s) while the programme went on (its
//!   quiet stretches under `threshold_db` included; not in digital silence under −90 dBFS nor
//!   in a reported silence): frames were lost in transport or dropped before the decoder,
//!   which often leaves no decoder notice (a whole audio PES lost, no continuity error when
//!   exactly 16 of its packets went). The interval is the hole, `[end of the last frame,
//!   start of the next)`, holes within 0.1 s merged (`details.missing_samples` counts the
//!   samples missing). A hole within 0.1 s of one not reported yet is the rest of the same
//!   loss, whatever the level (a packet lost inside an audio PES shows as two holes around
//!   mistimed frames); a hole the next frame gives back (it starts before the late one
//!   ended) is none. Reported 0.1 s after the last hole. The stream's first frame and the
//!   first frame after a discontinuity (the timeline was bridged there) are not judged.
//! - `"decoder"`: the decoder reported damage (a decode error or a corrupt packet) on the audio
//!   stream: the interval runs from the notice for one frame's duration, notices within 0.1 s
//!   merged; reported 0.35 s later unless another dropout or a reported silence already
//!   covers it (that event then counts the notices in `details.decoder_notices`; notices
//!   within 0.1 s after a reported dropout are taken as the same loss). A quiet stretch under
//!   `threshold_db` that is the programme's own and not reported (a film scene's ambience)
//!   covers nothing. Notices before the stream's first audio frame are not judged (its stream
//!   index is not known yet).

mod config;
mod decoder;
mod dropout;
mod floor;
mod judge;
mod ramp;
mod rising;
mod timestamps;

pub use config::SilenceConfig;

use crate::detect::one_stream::AudioDetector;
use serde_json::json;

use crate::detect::measure::round::dbfs;
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::{Events, SpanChange, SpanTracker};
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{AudioFrame, DecoderNotice, MediaTime};
use decoder::{DecoderGap, DECODER_MERGE};
use dropout::{Relative, RelativeParams};
use floor::Floor;
use judge::Judged;
use ramp::{Ramp, RampIn};
use rising::Rising;
use timestamps::Holes;

/// Seconds of a playout's fade at a junction (see `ramp.rs`).
const FADE: f64 = 0.02;

/// A window within this power ratio (−12 dB) of the programme's level is near it.
const NEAR: f64 = 0.063_095_734_448_019_33;
/// A fall into a gap this many windows long or shorter (from the last window near the
/// programme's level to the first far under it) is a cut's own, not a decay.
const ABRUPT: usize = 1;
/// After a fall in one step ([`ABRUPT`]), a level dropout's silence may begin this many
/// `relative_edge`s after the last window near the programme's level: a lossy codec leaves the
/// frame a cut falls in ringing for a while (AAC at 32 kHz, or a second AAC generation at
/// 48 kHz, 15–25 ms 20–35 dB under the programme) where one 48 kHz generation is silent within
/// a few milliseconds.
const TAIL_EDGES: usize = 3;
/// A window under this power ratio (−24 dB) of the programme's level is far under it.
const FAR: f64 = 0.003_981_071_705_534_973;
/// A level dropout's silence must end with the sound back over this power ratio (−18 dB) of
/// the programme's level: a cut takes the sound away and gives the same programme back at the
/// level it fell from (a lossy codec smears the return over a few milliseconds, hence
/// `relative_edge` to get there). A silent run that ends with the sound lower is a quiet gap's
/// floor flickering under the threshold (the gap is judged as a whole, a relative dropout), or
/// a junction into another programme: a playout chain fades a loud programme out and a quiet
/// one in (a −45 LUFS programme whose first word follows a pause of room tone at −77 dBFS), and
/// the sound after the silence is the new programme's, 25–30 dB under the old one's level.
const BACK: f64 = 0.015_848_931_924_611_134;

/// How much shorter than `min_duration` a cut may be when the silence holding it is: the
/// floor test needs the gap's quietest 10 ms before it calls the silence a cut, and a codec
/// smears the fall over a few milliseconds more.
const CUT_SLACK: f64 = 0.05;

/// A run of silent windows.
#[derive(Clone, Copy, Debug)]
struct Run {
    start: MediaTime,
    /// Sound was heard before the run began.
    after_sound: bool,
    /// Loudest window of the run (mean square).
    peak: f64,
    /// Windows between the last one near the programme's level and the first one far under
    /// it: how long the sound took to fall into the run.
    fall: usize,
    /// Windows since the last one near the programme's level when the run began: a cut's
    /// silence begins right after its fall (and a codec's smear of a few milliseconds), while
    /// quiet sound far under the level (the floor of a relative gap) can flicker under the
    /// threshold for a few milliseconds anywhere in it.
    lead: usize,
    /// The relative rule held a gap when the run began: the run is that gap's floor flickering
    /// under the threshold, unless it began within `2 × relative_edge` of the fall.
    in_relative: bool,
    /// The sound fell into the run through a fade (see [`ramp`]).
    faded: bool,
    /// The sound fell into the run through a fade as a silence is judged: its 5 ms windows
    /// judged too, and the run may begin one window after the fall's first one far under the
    /// programme (a codec's smear of the fade's end) however long the fall took.
    faded_silence: bool,
}

/// Detects silence and dropouts. Built from a [`SilenceConfig`].
pub struct Silence {
    cfg: SilenceConfig,
    tracker: SpanTracker,
    clock: SampleClock,
    /// Threshold on mean square.
    threshold_ms: f64,
    /// Samples per window at the current rate.
    window_len: usize,
    /// Sum of squares of each channel in the current window.
    acc: Vec<f64>,
    win_start: i64,
    win_n: usize,
    run: Option<Run>,
    sound_seen: bool,
    /// Loudest window of the current (or last) silence interval.
    silence_peak: f64,
    /// Mean square of the last window closed (digital silence or sound before a hole).
    last_window: f64,
    relative: Relative,
    decoder: Option<DecoderGap>,
    /// Duration of the last audio frame, seconds (what one lost frame is worth).
    frame_secs: f64,
    floor: Floor,
    /// Power ratio a dropout's quietest 10 ms must be under the floor.
    floor_ratio: f64,
    /// `relative_edge` in windows: the longest fall into a level dropout.
    relative_edge: usize,
    judged: Option<Judged>,
    /// The programme's level: mean square averaged over about `relative_context` seconds of
    /// windows outside gaps (`None` until the first window).
    level: Option<f64>,
    /// Windows since the last one within 12 dB of `level` (saturating).
    since_near: usize,
    /// Windows between the last one near `level` and the first one more than 24 dB under it,
    /// in the current dip (`None` before it gets that deep): how abruptly the sound fell. A
    /// lossy codec leaves a few milliseconds of smear between that and silence.
    fall: Option<usize>,
    /// The last dropout reported.
    last_dropout: Option<(MediaTime, MediaTime)>,
    /// A level dropout whose silence ended with the sound still rising (a codec smears the
    /// return of the sound over a few milliseconds, as it smears the cut): reported if the
    /// sound is back within `relative_edge`.
    rising: Option<Rising>,
    /// How long the sound took to fall into the relative gap being judged (windows from the
    /// last one near the programme's level), as `Run::fall`.
    relative_fall: usize,
    /// The sound fell into the relative gap being judged through a fade.
    relative_faded: bool,
    /// The last window levels, to judge a fall as a fade when it happens.
    ramp: Ramp,
    /// The current fall (`fall`) came through a fade.
    fall_faded: bool,
    /// The current fall came through a fade, its 5 ms windows judged too (for a silence).
    fall_paired: bool,
    /// Start of a confirmed silence at the programme's floor, not reported (yet).
    quiet: Option<MediaTime>,
    /// Start of the window since which the silent stretch has been a cut, every window since.
    cut_since: Option<MediaTime>,
    holes: Option<Holes>,
}

impl Silence {
    /// A silence detector. Prefer building it from a [`SilenceConfig`], which checks the values.
    pub fn new(cfg: SilenceConfig) -> Self {
        let lin = 10f64.powf(cfg.threshold_db / 20.0);
        let windows = |secs: f64| (secs / cfg.window).round().max(0.0) as usize;
        Silence {
            tracker: SpanTracker::new(cfg.min_duration, cfg.clear_for),
            threshold_ms: lin * lin,
            clock: SampleClock::default(),
            window_len: 0,
            acc: Vec::new(),
            win_start: 0,
            win_n: 0,
            run: None,
            sound_seen: false,
            silence_peak: 0.0,
            last_window: 0.0,
            relative: Relative::new(RelativeParams {
                drop: 10f64.powf(-cfg.relative_drop_db / 10.0),
                near: 10f64.powf(-12.0 / 10.0),
                steady: 10f64.powf(-20.0 / 10.0),
                context: windows(cfg.relative_context),
                edge: windows(cfg.relative_edge).max(1),
                min: ((cfg.dropout_min / cfg.window - 1e-6).ceil() as usize).max(1),
                max: windows(cfg.relative_max),
                after: windows(0.1).max(1),
                fade: windows(FADE),
            }),
            decoder: None,
            frame_secs: 1024.0 / 48000.0,
            floor: Floor::new(
                windows(0.5).max(1),
                ((cfg.floor_context / 0.5).ceil() as usize).max(1),
                windows(1.0),
                windows(0.5),
            ),
            floor_ratio: 10f64.powf(-cfg.floor_drop_db / 10.0),
            relative_edge: windows(cfg.relative_edge).max(1),
            judged: None,
            level: None,
            since_near: usize::MAX,
            fall: None,
            last_dropout: None,
            rising: None,
            relative_fall: usize::MAX,
            relative_faded: false,
            ramp: Ramp::new(windows(FADE)),
            fall_faded: false,
            fall_paired: false,
            quiet: None,
            cut_since: None,
            holes: None,
            cfg,
        }
    }

    /// Reports a short gap `[start, end)` as `audio_dropout` (start and end events at `at`).
    fn dropout(
        &mut self,
        start: MediaTime,
        end: MediaTime,
        at: MediaTime,
        mut details: Details,
        out: &mut Events,
    ) {
        self.relative.cover();
        if let Some(j) = &mut self.judged {
            j.reported = true;
        }
        self.last_dropout = Some((start, end));
        let notices = self.consume_decoder(start, end);
        if notices > 0 {
            details.insert("decoder_notices".into(), json!(notices));
        }
        let mut end_details = details.clone();
        end_details.insert(
            "duration".into(),
            json!((end.secs_since(start) * 10000.0).round() / 10000.0),
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Started { start },
            at,
            details,
        );
        out.span(
            &DefectKind::AUDIO_DROPOUT,
            SpanChange::Ended { start, end },
            at,
            end_details,
        );
    }

    fn details(&self, change: SpanChange, peak_ms: f64) -> Details {
        let mut d = Details::new();
        d.insert("threshold_db".into(), json!(self.cfg.threshold_db));
        d.insert("level_db".into(), json!(dbfs(peak_ms.sqrt())));
        if let SpanChange::Ended { start, end } = change {
            d.insert(
                "duration".into(),
                json!((end.secs_since(start) * 10000.0).round() / 10000.0),
            );
        }
        d
    }

    /// Feeds the window to the silence tracker. A silence that is a cut (an abrupt fall far
    /// under the programme's floor) is reported once confirmed; any other (a pause of a quiet
    /// programme whose room tone is under `threshold_db`, a rest that decays in music) only
    /// once it has lasted `quiet_min_duration`, and not at all if it ends sooner. The cut
    /// must itself have lasted `min_duration` (less [`CUT_SLACK`]): a quiet programme's pause
    /// that ends in a few milliseconds of digital zero (a file's last frame padded with zeros)
    /// is not a cut of the sound.
    fn follow_silence(&mut self, silent: bool, t0: MediaTime, t1: MediaTime, out: &mut Events) {
        let peak = self.silence_peak;
        let hard = silent && self.cut();
        if hard || (silent && self.cut_into_tone()) {
            self.cut_since.get_or_insert(t0);
        } else {
            self.cut_since = None;
        }
        let need = if hard {
            self.cfg.min_duration - CUT_SLACK
        } else {
            judge::TONE_CUT.max(self.cfg.min_duration)
        };
        let cut = self.cut_since.is_some_and(|c| t1.secs_since(c) >= need);
        match self.tracker.observe(silent, t0, t1) {
            Some(c @ SpanChange::Started { start }) => {
                if cut {
                    self.mark_reported();
                    out.span(&DefectKind::AUDIO_SILENCE, c, t1, self.details(c, peak));
                } else {
                    self.quiet = Some(start);
                }
            }
            Some(c @ SpanChange::Ended { .. }) => {
                if self.quiet.take().is_none() {
                    out.span(&DefectKind::AUDIO_SILENCE, c, t1, self.details(c, peak));
                }
            }
            None => {
                if let Some(start) = self.quiet {
                    let long = t1.secs_since(start) >= self.cfg.quiet_min_duration - 1e-9;
                    if silent && (long || cut) {
                        if !long {
                            self.mark_reported();
                        }
                        self.quiet = None;
                        let c = SpanChange::Started { start };
                        out.span(&DefectKind::AUDIO_SILENCE, c, t1, self.details(c, peak));
                    }
                }
            }
        }
    }

    /// Ends the current window of `win_n` samples.
    fn close_window(&mut self, out: &mut Events) {
        let n = self.win_n;
        if n == 0 {
            return;
        }
        let t0 = self.clock.time(self.win_start);
        let t1 = self.clock.time(self.win_start.saturating_add(n as i64));
        let ms = self.acc.iter().copied().fold(0.0, f64::max) / n as f64;
        let silent = ms < self.threshold_ms;
        self.last_window = ms;
        let floor_before = self.floor.level();
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        self.win_start = self.win_start.saturating_add(n as i64);
        self.win_n = 0;

        if silent {
            // a silence again before the sound came back: the gap's floor flickering under the
            // threshold, judged as a whole (a relative dropout)
            self.settle_rising(out);
            let fall = self.fall_so_far();
            // a fade reaches the silence itself: one into a programme's own quiet (a
            // syllable's decay into room tone cut later) is not a fade into this silence
            let faded = self.faded_so_far() && self.since_near < self.relative_edge;
            // for a silence, its 5 ms windows judged too, and the silence may begin one window
            // after the fall's first window far under the programme: a codec's smear of the
            // fade's end (AAC: −51 then −60 dBFS under a −22 dBFS programme)
            let faded_silence = self.faded_paired_so_far()
                && (self.since_near < self.relative_edge
                    || self.since_near <= fall.saturating_add(1));
            let run = self.run.get_or_insert(Run {
                start: t0,
                after_sound: self.sound_seen,
                peak: 0.0,
                fall,
                lead: self.since_near,
                in_relative: self.relative.in_gap(),
                faded,
                faded_silence,
            });
            run.peak = run.peak.max(ms);
        } else {
            if let Some(run) = self.run.take() {
                let len = t0.secs_since(run.start);
                if self.cfg.dropouts
                    && run.after_sound
                    && !self.tracker.is_open()
                    && len >= self.cfg.dropout_min - 1e-9
                    && len < self.cfg.min_duration
                    && run.fall < self.relative_edge
                    && (run.lead < 2 * self.relative_edge
                        || (run.fall <= ABRUPT
                            && !run.in_relative
                            && run.lead < TAIL_EDGES * self.relative_edge))
                    && self.below_floor()
                {
                    self.rising = Some(Rising {
                        start: run.start,
                        end: t0,
                        peak: run.peak,
                        windows: 0,
                        ramp_in: run.faded.then(|| RampIn::new(self.ramp.fade())),
                    });
                }
            }
            self.rise(ms, t0, out);
            self.sound_seen = true;
        }

        if silent && !self.tracker.is_open() && self.tracker.current_start().is_none() {
            self.silence_peak = 0.0;
        }
        if silent {
            self.silence_peak = self.silence_peak.max(ms);
        }
        self.follow_silence(silent, t0, t1, out);
        if self.cfg.relative && self.cfg.dropouts {
            if self.tracker.is_open() {
                self.relative.cover();
            }
            let judging = self.relative.pending_start().is_some();
            let found = self.relative.window(ms, t0);
            if !judging && self.relative.pending_start().is_some() {
                self.relative_fall = self.fall_so_far();
                self.relative_faded = self.faded_so_far();
            }
            let abrupt = self.relative_fall < self.relative_edge;
            let junction = |f: &dropout::Found| self.relative_faded && f.faded_in;
            if let Some(f) = found.filter(|f| abrupt && self.below_floor() && !junction(f)) {
                let mut d = Details::new();
                d.insert("source".into(), json!("relative"));
                d.insert("level_db".into(), json!(dbfs(f.peak.sqrt())));
                d.insert("reference_db".into(), json!(dbfs(f.reference.sqrt())));
                self.dropout(f.start, f.end, t1, d, out);
            }
        }
        self.follow_floor(ms, floor_before);
        self.ramp.push(ms);
    }

    /// Forgets the programme's level and floor (a new timeline or format).
    fn forget_level(&mut self) {
        self.floor.reset();
        self.judged = None;
        self.level = None;
        self.since_near = usize::MAX;
        self.fall = None;
        self.ramp.reset();
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let expected = self.clock.expected();
        let (tick, contiguous) = self.clock.begin(f);
        self.frame_secs = f.duration_secs();
        if !contiguous {
            self.not_contiguous(f, tick, expected, out);
            if self.acc.len() != f.channels() {
                self.acc.clear();
                self.acc.resize(f.channels(), 0.0);
            }
            self.window_len = ((self.cfg.window * f.rate() as f64).round() as usize).max(1);
            self.win_start = tick;
            self.win_n = 0;
        }
        let len = f.samples_per_channel();
        let mut i = 0;
        while i < len {
            let take = (self.window_len - self.win_n).min(len - i);
            for (c, acc) in self.acc.iter_mut().enumerate() {
                let s = &f.channel(c)[i..i + take];
                *acc += s.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>();
            }
            self.win_n += take;
            i += take;
            if self.win_n == self.window_len {
                self.close_window(out);
            }
        }
        if self
            .holes
            .is_some_and(|h| f.end_time().secs_since(h.end) > DECODER_MERGE)
        {
            self.flush_holes(f.end_time(), out);
        }
        self.maybe_flush_decoder(f.end_time(), out);
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        self.close_window(out);
        self.flush_holes(at, out);
        self.flush_decoder(at, out);
        self.relative.reset();
        if let Some(c) = self.tracker.close() {
            if self.quiet.take().is_none() {
                let peak = self.silence_peak;
                out.span(&DefectKind::AUDIO_SILENCE, c, at, self.details(c, peak));
            }
        }
        self.quiet = None;
        self.cut_since = None;
        self.run = None;
        self.settle_rising(out);
    }
}

impl AudioDetector for Silence {
    fn wants_notices(&self) -> bool {
        true
    }

    fn sound(&mut self, f: &AudioFrame, out: &mut Events) {
        self.feed(f, out);
    }

    fn notice(&mut self, n: &DecoderNotice, stream: Option<usize>, out: &mut Events) {
        self.on_notice(n, stream, out);
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
        self.clock.reset();
        self.sound_seen = false;
        self.forget_level();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.close(at, out);
    }
}
