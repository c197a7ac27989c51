//! `click`: clicks and pops (`audio_click`): impulses of a few samples added to the sound, and
//! short crackle (several such impulses close together).
//!
//! Each channel is whitened by a short-term linear predictor (order `order`, re-estimated every
//! 10.7 ms from the last 21.3 ms of sound by the autocorrelation method; while an impulse is in
//! that window the old predictor is kept, for up to 43 ms, so that one click does not hide the
//! next). Programme sound — tones, chords, voices — is largely predictable from the samples
//! before it; an impulse is not, so it stands out in the prediction residual.
//!
//! **Trigger.** A residual sample more than `ratio` times the local residual level (the median
//! of the mean magnitude of 1.3 ms pieces over the previous 43 ms) opens a candidate. A run of
//! samples more than 0.33 `ratio` times that level, none of them over `ratio` times it, opens a
//! *faint* candidate: in loud music a lossy codec leaves an added click standing only some
//! 30 dB over the residual. A faint candidate is a click only when its excess is *compact*
//! (sharp and at most 1.25 ms long: the programme's faint transients that pass the other tests
//! last longer) or stands `min_excess_long_db` over the residual's median before it; rejected,
//! it is no member of the programme's impulse series (below).
//!
//! **Judgement.** Each candidate is judged once 60 ms of sound after it have arrived, on the
//! residual of the predictor that was in force before it, kept fixed from 30 ms before the
//! candidate to 40 ms after it. A click is an excess that
//!
//! - is short: the stretch of residual above an eighth of its peak (and above 4× the median
//!   before) lasts at most `max_duration` — a drum hit, a plosive or a new note keeps the
//!   fixed predictor wrong for as long as it sounds — or at most 8 ms when it is *sharp*:
//!   broadband around its peak (the energy of the residual's first difference over ±8 samples
//!   at least 0.3 of twice its energy), and at most 10.7 ms (AC-3's 512-sample window) when it
//!   is sharp and its peak stands `min_excess_long_db` over the residual's median before. A click is a discontinuity, white after whitening up
//!   to the codec's cut-off (0.5–1.7 measured after AAC and AC-3; 0.33 when AAC leaves it
//!   about 8 kHz of band), and AAC spreads its
//!   quantisation noise over two overlapping 256-sample short windows; glottal pulses, thumps
//!   and plucks are smooth pulses (0.07–0.15);
//! - leaves the sound as it was: after it, the residual of the same predictor returns to its
//!   level before (median within `max_residual_rise_db` above, 3 dB when its excess lasts
//!   more than 4 ms — a codec's smear ends with its blocks, a long transient of the programme
//!   starts a new sound — and `max_residual_fall_db` below; after a compact excess 14 dB
//!   above and 12 dB below: a click that falls on the start of a new sound or on music's
//!   decaying sound, where the programme's own transients that start a sound last longer;
//!   levels 46 dB or more under the
//!   click's peak count as equal), at most
//!   `max_other_share` of the 40 ms after it is taken by other, longer or weaker, excess
//!   (further impulses of comparable size are allowed: crackle; after a sharp click, excess
//!   that starts once the residual has been back at its level for 10 ms is the next sound's,
//!   a note or a drum hit, and neither it nor what follows counts, here or in the residual's
//!   level after the click; nor do short weak stretches ending within 8 ms after a sharp
//!   click's excess: a codec's smear of it, which AC-3 spreads over its 512-sample window),
//!   and the programme's level
//!   after it is within `max_level_change_db` of its level before it, over 6–30 ms or over
//!   10–60 ms on each side (the smaller change counts) — a cut, an onset or a percussive
//!   sound changes what follows — or within `max_level_change_loud_db` for a click whose
//!   residual peak is at least 5 times the programme's RMS there (a lossy codec spreads such a
//!   click into the level windows, and speech's level moves fast), or that is *alone*: on one
//!   channel of a programme that another channel carries alike (their difference at a fitted
//!   gain 26 dB under it on both sides), standing out of that difference — the programme's own
//!   transients are in both channels — or that is sharp and *stands clear*: the residual's
//!   median both before and after it 46 dB or more under its peak (a voice getting louder is
//!   still predicted by the predictor from before it; a new note or syllable raises the
//!   residual after it);
//! - is not the next of the programme's own impulse series: it does not follow the last two
//!   candidates of its channel that the tests here rejected by one or two times the step
//!   between them (within 4 % a step and 0.25 ms, a step of 2.5 ms to 0.5 s, residual peaks
//!   within 20 dB of each other) — a percussion tick played on every beat, a buzzy voice's
//!   glottal pulses (candidates are judged in order of time, see `rhythm`);
//! - is not the programme's sound again: no candidate of its channel that the tests
//!   rejected, among the last two, lies 2.5 ms to 0.5 s before it with a residual peak within
//!   3 dB of its own — a hard-panned hi-hat most of whose hits are too weak to trigger (see
//!   `rhythm`);
//! - is not one of a voice's own pulse train: no two other residual peaks within 10 dB of its
//!   own make three equally spaced pulses with it at a voice's pitch period (2.5–12.5 ms,
//!   within 4 % and 0.25 ms) — a vocoder excites its vowels with bare impulses, and the first
//!   ones of a voiced onset stand out of the residual as clicks would, while an added click
//!   is a single event (see `train`);
//! - when found on one channel only, does not stand out of another channel's residual within
//!   6 dB of its own excess: an impulse both channels carry, which the other channel's
//!   judgement rejected, is the programme's own transient (a percussion attack in an
//!   orchestral recording), while a click added to one channel is not in the other and one
//!   added to all of them is found on each (see `common`); within 20 dB when the residual
//!   after it has risen 4 dB or more: a transient that starts a new sound, carried by another
//!   channel more weakly (a percussion hit in a stereo mix), while an added click leaves the
//!   other channel's residual at its noise peaks. Unless the other channel's impulse is the
//!   same sample for sample: the channels' difference, whitened, 20 dB or more under the
//!   click's residual over its excess and standing less than 20 dB out of its level before —
//!   a click added to both channels that one of them rejected (a programme's transient
//!   reaches two microphones with different sizes and delays, and is in their difference);
//!   and not when another channel carries a copy of it 3–20 ms before or after, standing out
//!   of that channel's residual within 12 dB of its excess, after which that residual settles
//!   (within 16 dB of its level before): the same sound reaching two spaced microphones, or
//!   panned with a delay (see `common`);
//! - is loud enough to be a defect: its energy (the residual's energy over the excess, divided
//!   by the predictor's power gain: for a white impulse, the impulse's own energy) is at least
//!   that of a single sample at `min_level_db` dBFS; and, when its excess lasts more than
//!   4 ms, its peak stands at least `min_excess_long_db` over the residual's median before
//!   (5 dB less for a sharp excess: in loud music that median is high, and the programme's
//!   smooth transients are what the limit keeps out).
//!
//! Clicks found on any channel within 2 ms of each other are one click; clicks less than
//! `burst_gap` apart are one event (crackle), with their number in `details.count`. An event
//! runs from the start of the first click's excess to the end of the last one's, and is
//! reported (start and end together) once `burst_gap` has passed without another, or once it
//! spans a second (continuous crackle is reported a second at a time).
//!
//! `details`: `count` (clicks in the event), `channels` (indices of the channels they were found
//! on), `level_db` (energy of the loudest, as the level of one sample of that energy, dBFS),
//! `excess_db` (the largest residual peak over the residual's median before it) and `duration`
//! (seconds).
//!
//! Lossy codecs smear an impulse into the short transform block around it (AAC: 5.3 ms), which
//! is why `max_duration` is 6 ms and not a few samples. A codec's blocks are a number of
//! samples whatever the rate, so the durations here that stand for them (`max_duration`, the
//! 8 and 10.7 ms of a sharp excess, the 1.25 ms of a compact one, the 4 ms past which an
//! excess is long, the reach of an excess and of a codec's smear) are milliseconds at 48 kHz
//! and the same number of samples at lower rates (32 kHz: 1.5 times as long; see `geometry`).
//! A click in the first 21 ms of the
//! stream, within 32 ms after digital silence (a piece of 1.3 ms under −90 dBFS: the
//! predictor and the residual's level were learnt partly from silence, and the sound's own
//! onset stands out as a click would), or in the last 60 ms before its end or a gap, is not
//! judged. Non-finite samples are
//! taken as 0 (in sound, that makes them clicks).
//!
//! Limits: under dense percussion (eighth-note hi-hats) the residual's level stays high and
//! only much louder clicks stand out; a click within 30 ms of an onset or a cut is taken for
//! part of it, one on the step of an impulse series the programme keeps (above) for its next
//! impulse, one within 3 dB of an impulse its channel rejected less than 0.5 s before for that
//! sound again, and one on a channel whose residual rises after it, that another channel
//! carries within 20 dB, for the programme's transient, and one on one channel with an impulse
//! of nearly its size on another 3–20 ms away for that sound reaching both (while a transient
//! of a mono programme, the same sample for sample on both channels, that one channel rejected is
//! reported from the other); a cut between two tonal sounds that
//! keeps the level within `max_level_change_db` is a waveform jump like a click, and is
//! reported as one.

mod alone;
mod burst;
mod channel;
mod common;
mod config;
mod geometry;
mod judge;
mod predictor;
mod rhythm;
mod sharp;
mod train;

use crate::detect::lock::StreamLock;
use crate::detect::measure::sample_clock::SampleClock;
use crate::detect::{Detector, Events, Wants};
use crate::media::{AudioFrame, Media, MediaTime};

use burst::Burst;
use channel::{trigger, Channel};
pub use config::ClickConfig;
use geometry::Geometry;
use judge::{judge, Found};

/// Highest predictor order accepted.
const MAX_ORDER: usize = 32;

/// Samples processed at a time (per channel).
const CHUNK: usize = 4096;
/// Predictors remembered (each in force for at least one hop: 256 ms at 48 kHz, more than a
/// candidate can wait with a chunk).
const SNAPSHOTS: usize = 24;
/// Candidates waiting for judgement per channel; more are dropped (unreachable for sound
/// that is not itself a stream of impulses).
const MAX_PENDING: usize = 64;

/// Scratch buffers for estimation and judgement, sized once per format.
#[derive(Debug, Default)]
struct Scratch {
    hann: Vec<f32>,
    /// Residual of the samples up to the next predictor update.
    segment: Vec<f32>,
    windowed: Vec<f32>,
    residual: Vec<f32>,
    select: Vec<f32>,
    found: Vec<Found>,
}

/// Detects clicks and crackle. Built from a [`ClickConfig`].
pub struct Click {
    name: String,
    cfg: ClickConfig,
    clock: SampleClock,
    stream: StreamLock,
    geometry: Geometry,
    /// Tick (1/rate) of position 0.
    origin: i64,
    channels: Vec<Channel>,
    scratch: Scratch,
    burst: Option<Burst>,
    /// `min_level_db` as energy.
    min_energy: f32,
}

impl Click {
    /// A click detector named `name`. Prefer
    /// [`ClickConfig::build`](crate::DetectorConfig::build), which checks the values.
    pub fn new(name: &str, cfg: ClickConfig) -> Self {
        Click {
            name: name.to_string(),
            min_energy: 10f64.powf(cfg.min_level_db / 10.0) as f32,
            cfg,
            clock: SampleClock::default(),
            stream: StreamLock::default(),
            geometry: Geometry::default(),
            origin: 0,
            channels: Vec::new(),
            scratch: Scratch::default(),
            burst: None,
        }
    }

    fn time(&self, pos: i64) -> MediaTime {
        self.clock.time(self.origin + pos)
    }

    /// Sets up for a new format (or after a gap), keeping buffers when the format is the same.
    fn restart(&mut self, f: &AudioFrame, tick: i64) {
        if self.geometry.rate != f.rate() || self.channels.len() != f.channels() {
            self.geometry = Geometry::new(f.rate(), &self.cfg);
            let g = &self.geometry;
            self.channels.clear();
            self.channels.resize_with(f.channels(), Channel::default);
            let w = g.window;
            self.scratch.hann = (0..w)
                .map(|i| {
                    let t = std::f64::consts::PI * 2.0 * (i as f64 + 0.5) / w as f64;
                    (0.5 - 0.5 * t.cos()) as f32
                })
                .collect();
            self.scratch.windowed = vec![0.0; w];
            self.scratch.segment = vec![0.0; g.hop + 1];
            self.scratch.residual = vec![0.0; g.pre + g.post + g.reach_fwd + 8];
            self.scratch.select = Vec::with_capacity(g.pre + g.post + 8);
            self.scratch.found = Vec::with_capacity(MAX_PENDING * f.channels().min(64));
        }
        let g = self.geometry;
        for ch in &mut self.channels {
            ch.reset(&g);
        }
        self.origin = tick;
    }

    fn feed(&mut self, f: &AudioFrame, out: &mut Events) {
        let (tick, contiguous) = self.clock.begin(f);
        if !contiguous {
            self.flush(out);
            self.restart(f, tick);
        }
        let len = f.samples_per_channel();
        let mut i = 0;
        while i < len {
            let take = CHUNK.min(len - i);
            for c in 0..self.channels.len() {
                let samples = &f.channel(c)[i..i + take];
                trigger(
                    &mut self.channels[c],
                    samples,
                    &self.geometry,
                    &mut self.scratch,
                    self.cfg.ratio as f32,
                    self.min_energy,
                );
            }
            i += take;
            self.judge_ready(out);
        }
    }

    /// Judges every candidate whose after-window is complete, then closes a burst that can no
    /// longer grow.
    fn judge_ready(&mut self, out: &mut Events) {
        let g = self.geometry;
        let mut found = std::mem::take(&mut self.scratch.found);
        found.clear();
        for c in 0..self.channels.len() {
            let end = self.channels[c].end();
            let mut k = 0;
            while k < self.channels[c].pending.len() {
                let cand = self.channels[c].pending[k];
                if cand.peak + g.wait as i64 <= end {
                    // In order of time: whether a click continues the programme's own
                    // impulse series depends on the candidates before it. Only candidates the
                    // tests rejected make the series (a train of clicks that had two of its
                    // members rejected loses at most the next two).
                    self.channels[c].pending.remove(k);
                    let hit = judge(&self.channels, &cand, c, &g, &self.cfg, &mut self.scratch);
                    let ch = &mut self.channels[c];
                    match hit {
                        // A faint candidate is no member of the programme's series: most of
                        // the programme's impulses under the full trigger are not candidates.
                        None if cand.faint => {}
                        None => ch.series.push(cand.peak, cand.peak_abs),
                        Some(_) if ch.series.continues(cand.peak, cand.peak_abs, &g) => {}
                        Some(_) if ch.series.recurs(cand.peak, cand.peak_abs, &g) => {}
                        Some(hit) if found.len() < found.capacity() => found.push(hit),
                        Some(_) => {}
                    }
                } else {
                    k += 1;
                }
            }
        }
        found.sort_unstable_by_key(|f| f.start);
        for hit in &found {
            let before = self
                .burst
                .is_some_and(|b| b.other_channel_near(hit, g.same_click));
            let s = &mut self.scratch;
            if !common::carried_by_other(
                &self.channels,
                hit,
                &found,
                before,
                &g,
                &mut s.residual,
                &mut s.select,
            ) {
                self.add(hit, out);
            }
        }
        self.scratch.found = found;
        // Nothing can start before the oldest open or waiting candidate (less the reach back).
        let frontier = self
            .channels
            .iter()
            .map(|ch| {
                let pending = ch.pending.iter().map(|p| p.start).min();
                let open = ch.open_start();
                pending.into_iter().chain(open).min().unwrap_or(ch.end())
            })
            .min()
            .unwrap_or(0)
            - g.reach_back as i64;
        if let Some(b) = self.burst {
            if frontier > b.end + g.burst_gap as i64 {
                let at = self.channels.first().map_or(b.end, Channel::end);
                self.emit(at, out);
            }
        }
    }
}

impl Detector for Click {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        Wants::AUDIO
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        let Some(f) = self.stream.audio(media) else {
            return;
        };
        self.feed(f, out);
    }

    fn discontinuity(&mut self, _at: MediaTime, out: &mut Events) {
        self.flush(out);
        self.clock.reset();
    }

    fn finish(&mut self, _at: MediaTime, out: &mut Events) {
        self.flush(out);
    }
}
