//! `stutter`: a picture shown more often than the stream's cadence while the scene moves
//! (`video_stutter`).
//!
//! Every frame is compared with the previous one on a coarse grid of cell luma means (the
//! helpers of `freeze`, sampled sparser): a frame **repeats** the previous picture when its
//! worst block changed by at most `tolerance` plus `noise_factor` times the median block change
//! (noise spread evenly, as in `freeze`) while the median itself stays within `tolerance`.
//! Consecutive repeats make one *picture* held for *h* frames.
//!
//! A held picture is a stutter when
//! - the scene moves around it: the step into the picture and the step out of it each changed
//!   the worst block by at least `min_motion` and by `motion_ratio` times the largest change
//!   between its repeats, and each moved at least 3 in 100 blocks by `min_motion` (a mouth
//!   or an eye pausing for a frame while the rest of the picture stands is no visible
//!   stutter; a still or slowly changing scene is not judged; a long still is `freeze`'s
//!   domain, and so is any hold of `max_duration` or more);
//! - it has content: a black or plain picture (below `min_contrast`, such as the bottom of a
//!   fade through black) looks the same shown once or twice;
//! - it is held longer than the stream's **cadence**: streams made by frame doubling (12.5 or
//!   25 fps content at 25 or 50 fps), pulldown (24 → 30 or 60 fps), frame-rate conversion
//!   (24 → 25 fps) or a slideshow repeat pictures regularly. The detector remembers the holds
//!   of the last 160 pictures; a hold of *h* frames is the stream's cadence when the pictures
//!   held *h* frames or longer recur regularly and fill that history (the rule is in
//!   `holds.rs`: a few alike holds of a slow scene are no cadence). Edited footage breaks
//!   that regularity (static shots and cuts add holds between the regular ones), so a repeat
//!   also keeps its cadence when it lies on a **period** of earlier repeats (4 frames or
//!   more, a whole number of frames under 10): one lies one to five periods back and
//!   `cadence_min - 1` more on other multiples of the period (up to 2 s), each within 0.6 of
//!   a frame (1.1 for periods of 10 frames or more), and they make at least half of the short
//!   repeats of that time. The rhythm learned last runs on through static shots: a later
//!   repeat on a whole number of its periods keeps the cadence too, and so does the first
//!   repeat of its hold in motion after an edit, a still or a freeze (which shift its phase;
//!   a repeat where the scene does not move neither finds the phase nor uses it up). Repeats
//!   where the scene does not move (see above) are left out of the rhythm once 3 repeats
//!   confirmed it: the pictures of a near-still moment repeat by chance, off its phase; the
//!   repeats of a **near-still** (a step into or out of the picture under `min_motion`, too
//!   small to tell a repeat from motion) are unknowable and left out from the start: they
//!   neither set, move nor find the rhythm's phase, nor count against a period, and the
//!   rhythm learned before runs on through them. Three repeats in a row held as long, 24 or
//!   25 frames apart (24 → 25) or 5 frames apart (pulldown), each gap a whole number of
//!   frames, are a **conversion's** own before its rhythm is learned (that takes 4): a picture
//!   held one frame beyond the cadence among them is not judged, nor, at its verdict, one
//!   waiting after a cut (a programme that began after a still, whose scene stopped before
//!   the 4th repeat). Only the frames beyond the cadence's hold (beyond one frame in a stream
//!   without cadence) are stutter. A repeat in motion **off the rhythm** of a confirmed
//!   period of 4 frames or more (24 → 25, pulldown: one picture repeated per period, the
//!   others shown once), after the rhythm's last repeat and before its next with no repeat
//!   between, is judged against the pictures shown once around it; the frames it added
//!   delay the rhythm's next repeat. The first cadence of a known pattern (on twos or
//!   threes, 24 → 25, pulldown, held stills) is announced once with a `video_cadence` notice
//!   (a period once 3 repeats fell on it); ordinary footage, which has no regular repeats,
//!   gets none. In a stream
//!   made by **frame doubling** (every picture held 2 or 3 frames, 20 or more such pictures a
//!   second: 25 or 30 fps video, film, at 50 or 60 fps) all this is counted in those base
//!   pictures (a hold of 4 frames is 2 pictures; 3 frames, the conversion's rounding, is 1),
//!   so a doubled 24 → 25 stream reads as the 25 fps one does;
//! - the steps into and out of it are alike: a step more than 4 times the other is an edit (a
//!   cut or a loop seam next to the held picture), not motion running through it; and it is
//!   not next to an **edit** (a step that replaced the picture: a third of the blocks or more
//!   changed by 12 code values, and 3 times the share of the scene's last changing step),
//!   neither ending at one nor beginning within 0.25 s after one: repeats at edit points (a
//!   cadence broken by the edit, the held first picture of a shot, a loop seam) are the
//!   edit's, not a fault of the feed;
//! - repeats are not the stream's habit: from the 5th repeat beyond the cadence within 10 s
//!   on (held under 1 s, in motion or not: a static shot is no habit; a near-still's repeats,
//!   unknowable, do not count), the content itself moves by steps (a graphic, intermittent
//!   animation, a drawn face whose mouth follows the
//!   sound) and repeats are not judged, and no period is learned from them. Footage shot or
//!   converted at its frame rate does not repeat pictures, so an isolated repeat in steady
//!   motion stays a stutter;
//! - a picture repeated once is not the programme's texture: film telecined 3:2, deinterlaced
//!   and decimated to 25 fps nearly repeats its pictures in motion several times a second at
//!   no regular place, and only some of those near-repeats are close enough to be repeats. In
//!   a stream without a regular cadence nor frame doubling, a picture shown once more after 14
//!   or more such **dips** within 10 s (steps that changed the worst block by at most 1/2.5 of
//!   each step in motion around them, `dips.rs`) is not judged; a picture held longer is;
//! - the shot runs at the stream's picture rate: a shot whose every picture so far repeated
//!   (since the start, an edit or a still of `max_duration` or more: animation on twos, 10 fps
//!   video, another programme after a junction) has a cadence of its own, and its repeats are
//!   judged only once a picture was shown once, or 4 pictures in a row in motion were held
//!   exactly the stream's regular cadence of 2 frames or more (animation on twos, whose
//!   drawings are never shown once), or once a cadence is learned and the shot was watched
//!   `learn_for` seconds;
//! - it is alone: when 3 pictures in a row are each held beyond the cadence (`run.rs`), the
//!   stream changed its cadence (animation on twos after film shown once, one programme after
//!   another over the same film with no cut) and their repeats are the new rhythm's: the shot
//!   begins at the first of them, as at a cut (its rate seen anew, those pending dropped). A
//!   stutter judged at once is reported when a picture shown within the cadence follows it;
//! - the stream has been watched for `learn_for` seconds (since the start or the last
//!   discontinuity), so that a cadence can be learned before repeats are judged;
//! - a picture shown once more than the cadence in the first 4 s of a shot (after a cut, a
//!   still or the stream's start: another programme may begin there, a 24 → 25 conversion or
//!   film telecined and decimated, whose cadence comes before it can be learned) **waits**
//!   up to 4 s for the shot to tell (`pending.rs`): a later repeat in motion kept by a rhythm
//!   it lies on, or by the regular cadence, or for a picture repeated once the texture of
//!   rate-converted pictures at the verdict, makes it the programme's own; else it is
//!   reported at its own media time, 4 s late (at once when a later picture of the shot is
//!   judged a stutter). A picture held longer is judged at once.
//!
//! Stuttering pictures less than `merge_gap` apart make one interval, from the first repeated
//! frame to the first new picture after the last one, with `details.repeated_frames` (frames
//! shown beyond the cadence). The interval is written when the picture after the last repeat
//! arrives (start) and `merge_gap` later (end).

mod base;
mod cadence;
mod config;
mod dips;
mod holds;
mod pending;
mod run;
mod step;

use serde_json::json;

use base::Doubling;
use cadence::{cadence_message, periods_after, secs_after, History};
pub use config::StutterConfig;
use dips::Dips;
use pending::{Pending, Repeat, AFTER_CUT};
use run::{Run, Told};
use step::{Held, Step, Steps};

use crate::detect::check::ConfigCheck;
use crate::detect::measure::frame_clock::FrameClock;
use crate::detect::one_stream::{OnVideo, VideoDetector};
use crate::detect::{Detector, DetectorConfig, Events, SpanChange, SpanTracker};
use crate::error::Result;
use crate::event::DefectKind;
use crate::event::Details;
use crate::media::{MediaTime, VideoFrame};

/// Repeats beyond the cadence within 10 s that make repeating pictures the stream's habit
/// (intermittent animation, a graphic or a drawn face that moves by steps).
const HABIT_REPEATS: usize = 5;
/// Repeats held this many seconds or longer (static shots) do not count for the habit.
const HABIT_HOLD: f64 = 1.0;
/// Seconds after an edit (a cut, a loop seam) in which a held picture is part of the edit.
const AFTER_EDIT: f64 = 0.25;
/// A step out of (or into) a held picture this many times larger than the other step is an
/// edit (a cut, a loop seam), not motion running through the picture.
const EDIT_RATIO: f32 = 4.0;
/// Pictures in a row held the stream's regular cadence (2 frames or more) in motion that show
/// a shot runs at the stream's rate, as a picture shown once does (animation on twos after a
/// cut: a third of a second).
const AT_CADENCE: u32 = 4;

impl DetectorConfig for StutterConfig {
    const TYPE: &'static str = "stutter";
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        self.check(&ConfigCheck::new(Self::TYPE, name))?;
        Ok(Box::new(OnVideo::new(name, Stutter::new(self.clone()))))
    }
}

/// Detects stutter: reports `video_stutter` for pictures repeated beyond the stream's cadence
/// while the scene moves. Built from a [`StutterConfig`].
pub struct Stutter {
    cfg: StutterConfig,
    tracker: SpanTracker,
    clock: FrameClock,
    /// Each frame compared with the previous one.
    steps: Steps,
    held: Option<Held>,
    /// Holds of the last pictures and the last repeats, in base pictures.
    history: History,
    /// The stream's base picture (frame doubling), learned from the holds in frames.
    doubling: Doubling,
    /// Near-repeat steps in motion (the texture of rate-converted pictures).
    dips: Dips,
    /// Watching since (start or last discontinuity).
    since: Option<MediaTime>,
    /// Frames shown beyond the cadence in the current episode.
    repeated: u64,
    /// Time of the last edit (a step that replaced the picture).
    last_edit: Option<MediaTime>,
    /// An edit or a still came since the last repeat of the stream's rhythm.
    phase_lost: bool,
    /// A picture was shown once (one base picture) since the start, the last edit or the
    /// last still: the shot runs at the stream's picture rate, against which a repeat is seen.
    shown_once: bool,
    /// Pictures in a row, in motion, held exactly the stream's regular cadence of 2 frames or
    /// more since the start, the last edit or the last still (animation on twos).
    at_cadence: u32,
    /// Start of the shot: the last edit or the end of the last still.
    shot_since: Option<MediaTime>,
    /// The `video_cadence` notice was written.
    noticed: bool,
    /// Pictures repeated once early in a shot, waiting for the shot's cadence.
    pending: Pending,
    /// Pictures in a row held beyond the cadence, and the stutters judged among them.
    run: Run,
}

impl Stutter {
    /// A stutter detector named `name`. Prefer [`StutterConfig::build`], which checks the
    /// values.
    pub fn new(cfg: StutterConfig) -> Self {
        Stutter {
            tracker: SpanTracker::new(0.0, cfg.merge_gap),
            cfg,
            clock: FrameClock::default(),
            steps: Steps::default(),
            held: None,
            history: History::new(),
            doubling: Doubling::new(),
            dips: Dips::new(),
            since: None,
            repeated: 0,
            last_edit: None,
            phase_lost: false,
            shown_once: false,
            at_cadence: 0,
            shot_since: None,
            noticed: false,
            pending: Pending::default(),
            run: Run::default(),
        }
    }

    /// Writes the `video_cadence` notice once: pictures held `hold` frames every `period`
    /// frames (`period` 0: every picture).
    fn notice(&mut self, hold: u32, period: u32, at: MediaTime, out: &mut Events) {
        if self.noticed {
            return;
        }
        // Only the patterns of known conversions and of held stills are announced: the other
        // regular holds of static scenes are not worth a line.
        if let Some(message) = cadence_message(hold, period) {
            self.noticed = true;
            out.notice("video_cadence", message, at);
        }
    }

    /// The held picture ended with a new one at `t` (change `motion_out`): judge it.
    fn end_held(&mut self, held: Held, step_out: Step, t: MediaTime, out: &mut Events) {
        let motion_out = step_out.worst;
        // Frame doubling: holds are judged in the stream's base pictures (module doc).
        let seen = self.doubling.learn(
            &mut self.history,
            held.frames,
            held.frame_secs,
            self.cfg.cadence_min,
        );
        let (raw, raw_gap) = seen.raw;
        if raw > 1 {
            self.notice(raw, raw_gap, held.times[0], out);
        }
        if seen.lost {
            self.since = Some(held.times[0]);
        }
        let (mut cadence, gap) = seen.cadence;
        let regular = cadence;
        let b = self.doubling.base();
        let (frames, frame_secs) = ((held.frames / b).max(1), held.frame_secs * b as f64);
        self.history.push_hold(frames);
        if frames <= 1 {
            self.shown_once = true;
            self.at_cadence = 0;
            self.ran(held.times[0], false, t, out);
            return;
        }
        let start = held.times[0].as_secs_f64();
        // A stream that repeats pictures often and irregularly has no period to learn.
        let habit = self.history.habit_repeats(start, cadence) >= HABIT_REPEATS;
        let moving = held.moving(step_out, &self.cfg);
        // Where the scene hardly moves, pictures repeat by chance among the rhythm's own
        // repeats: such a repeat is no evidence of the rhythm's phase, and does not move a
        // rhythm confirmed by 3 repeats (a near-still moment of a 3:2 pulldown re-anchored
        // it half a period off, and the next repeat in motion, on the true phase, was taken
        // for a stutter). It is not judged itself (see `moving` below).
        // In a near-still (a step into or out of the picture under `min_motion`, too small to
        // tell a repeat from motion) a repeat is unknowable, whether a rhythm is confirmed or
        // not: it neither sets, moves nor finds the phase of a rhythm, and the rhythm learned
        // before runs on through it (a 24 → 25 conversion's next repeat after the still).
        let still = held.near_still(step_out, &self.cfg);
        let chance = still || (!moving && self.history.settled());
        // A repeat in motion between two repeats of a confirmed rhythm of 4 frames or more
        // (24 → 25, pulldown) is none of the rhythm's: the pictures around it are shown once,
        // and it is judged against them. The pictures it added delay the rhythm's next repeat.
        let off_grid = moving
            && !chance
            && !habit
            && !self.phase_lost
            && frames == 2
            && (regular <= 1 || (regular == 2 && gap >= 4))
            && self.history.off_grid(start, frame_secs);
        if off_grid {
            cadence = 1;
            self.history.shift_grid(f64::from(frames - 1) * frame_secs);
        }
        let (hold, p) = if chance || off_grid {
            (1, 0.0)
        } else if !habit && (frames > cadence || !self.noticed) {
            self.history
                .period_hold(start, frame_secs, self.cfg.cadence_min)
        } else {
            (1, 0.0)
        };
        if hold > 1 {
            cadence = cadence.max(hold);
            // The rhythm learned keeps its period while its repeats fall on it.
            if !self
                .history
                .on_grid(start, frame_secs, hold, self.phase_lost && moving)
            {
                self.history.set_grid(start, p, hold);
            }
            // Announced once confirmed by 3 repeats on its periods.
            if let Some((period, hold)) = self.history.confirmed_rhythm() {
                let n = (period / frame_secs.max(1e-6)).round() as u32;
                self.notice(hold, n, held.times[0], out);
            }
        } else if !chance
            && !off_grid
            && self
                .history
                .on_grid(start, frame_secs, frames, self.phase_lost && moving)
        {
            cadence = cadence.max(frames);
        } else if cadence > 1 && frames >= cadence && !self.history.has_grid() {
            self.history
                .set_grid(start, gap as f64 * frame_secs, cadence);
        }
        let long = held.frames as f64 * held.frame_secs >= self.cfg.max_duration - 1e-9;
        self.ran(
            held.times[0],
            frames > cadence && !held.flat && !long,
            t,
            out,
        );
        // A still or a freeze shifts the phase of a conversion's rhythm; a repeat of the
        // rhythm found its phase again (a near-still's repeat finds nothing).
        self.phase_lost = long || (self.phase_lost && (!moving || frames > cadence));
        // Pictures held the stream's regular cadence (animation on twos), [`AT_CADENCE`] in a
        // row in motion, show that the shot runs at the stream's rate as one shown once does.
        if regular > 1 && frames == regular && moving && !long {
            self.at_cadence += 1;
            self.shown_once |= self.at_cadence >= AT_CADENCE;
        } else {
            self.at_cadence = 0;
        }
        // What follows a still is a shot of its own: its rate is seen anew.
        let shown_once = self.shown_once;
        if long {
            self.shown_once = false;
            self.shot_since = Some(t);
        }
        // Repeats beyond the cadence shorter than `HABIT_HOLD` count for the habit, in motion
        // or not: footage shot or converted at its rate does not repeat pictures, a picture
        // that moves by steps (and pauses now and then) does all the time.
        let short = !held.flat && !long;
        let pause = !held.flat && held.frames as f64 * held.frame_secs < HABIT_HOLD;
        self.history
            .push_repeat(start, frames, short, pause && !still, still);
        let learned = self
            .since
            .is_some_and(|s| held.times[0].secs_since(s) >= self.cfg.learn_for);
        // A picture repeated once in a programme whose pictures nearly repeat in motion more
        // than once a second, at no regular place (film telecined, deinterlaced and
        // decimated), is the programme's texture, not a fault of the feed.
        let texture = frames == 2 && b == 1 && regular <= 1 && self.dips.frequent(start);
        // A repeat in motion kept by a rhythm (or the regular cadence) tells that the pictures
        // repeated once before it on that rhythm were the shot's own cadence.
        if moving && !chance && !long && cadence > 1 && frames <= cadence {
            let period = self.history.rhythm_period().filter(|_| regular < frames);
            let on = |from| {
                period.is_some_and(|p| periods_after(start, from, p, frame_secs, f64::INFINITY))
            };
            self.pending.kept(start, frames, period.is_some(), on);
        }
        if frames <= cadence || !learned || held.flat || !moving || habit || long || texture {
            return;
        }
        // A shot whose every picture so far repeated (since the start, an edit or a still) is
        // at a lower picture rate (animation on twos, 10 fps video, a programme of another
        // rate after a junction): its repeats are its own cadence, not judged until a picture
        // shown once sets the rate against which a repeat is a stutter, or a cadence is
        // learned and the shot was watched `learn_for` seconds (as at the stream's start).
        let new_shot = secs_after(held.times[0], self.shot_since) < self.cfg.learn_for;
        if !shown_once && (cadence <= 1 || new_shot) {
            return;
        }
        // A picture held at the edge of a shot is an edit, not a stutter: no motion runs
        // through it. The step into it or out of it is far larger than the other step (a cut,
        // a loop seam), or it is next to a step that replaced the picture.
        let motion_in = held.motion_in.unwrap_or(0.0);
        if motion_out > EDIT_RATIO * motion_in || motion_in > EDIT_RATIO * motion_out {
            return;
        }
        if step_out.edit || secs_after(held.times[0], self.last_edit) <= AFTER_EDIT + 1e-9 {
            return;
        }
        // Three repeats a conversion's period apart (24 → 25, pulldown) are the conversion's
        // own, whether its rhythm was learned or not (it takes 4).
        if frames == cadence + 1 && self.history.conversion_chain(start, frame_secs, frames) {
            return;
        }
        let r = Repeat {
            start,
            first_extra: held.times[((cadence * b) as usize).min(4)],
            end: t,
            extra: (held.frames - cadence * b) as u64,
            hold: frames,
            frame_secs,
        };
        // A picture repeated once early in a shot waits for the shot's cadence (`pending.rs`);
        // one held longer is reported at once.
        if frames == cadence + 1 && secs_after(held.times[0], self.shot_since) < AFTER_CUT {
            if let Some(old) = self.pending.hold(r) {
                self.report_late(old, t, false, out);
            }
            return;
        }
        // A stutter judged at once: no cadence of the shot keeps its repeats. It waits for the
        // pictures after it: held beyond the cadence too, they may make a new rhythm (`run.rs`;
        // in a run that is a rhythm already it is the rhythm's own, and dropped).
        self.run.wait(r);
    }

    /// A picture that began at `start` ended at `now`, held beyond the cadence (`beyond`) or
    /// not (`run.rs`): a run of such pictures that became a rhythm begins a shot, as a cut
    /// does, and its repeats waiting are dropped; one ended short of that gives the stutters
    /// judged in it their report.
    fn ran(&mut self, start: MediaTime, beyond: bool, now: MediaTime, out: &mut Events) {
        match self.run.push(start, beyond) {
            Told::Within => self.flush_run(now, out),
            Told::Beyond => {}
            Told::Rhythm(since) => {
                self.shown_once = false;
                self.at_cadence = 0;
                self.shot_since = Some(since);
                self.pending.drop_from(since.as_secs_f64());
            }
        }
    }

    /// Reports the stutters judged at once that waited for the end of their run; those pending
    /// before them are given their verdict first (one episode with them when close).
    fn flush_run(&mut self, now: MediaTime, out: &mut Events) {
        for r in self.run.flush().into_iter().flatten() {
            self.verdicts(now, r.start, out);
            self.report_late(r, now, true, out);
        }
    }

    /// Reports frames shown `extra` times beyond the cadence from `first_extra` to `end`, at
    /// `at`.
    fn report(
        &mut self,
        first_extra: MediaTime,
        end: MediaTime,
        extra: u64,
        at: MediaTime,
        out: &mut Events,
    ) {
        if !self.tracker.is_open() {
            self.repeated = 0;
        }
        self.repeated += extra;
        if let Some(c) = self.tracker.observe(true, first_extra, end) {
            self.emit(c, at, out);
        }
    }

    /// Reports the repeat `r` at `at`, its verdict given: the interval ends where the repeat
    /// ended, not at `at`, when it began with it or `r` is the latest repeat reported.
    fn report_late(&mut self, r: Repeat, at: MediaTime, latest: bool, out: &mut Events) {
        let open = self.tracker.is_open();
        self.report(r.first_extra, r.end, r.extra, at, out);
        if !open || latest {
            if let Some(c) = self.tracker.observe(false, r.end, r.end) {
                self.emit(c, at, out);
            }
        }
    }

    /// Gives the verdict of the pending repeats due at `now` and of those that began before
    /// `before` (seconds): the shot showed no cadence they belong to. Pictures repeated once in the texture of
    /// rate-converted film (`dips.rs`) are its own.
    fn verdicts(&mut self, now: MediaTime, before: f64, out: &mut Events) {
        let secs = now.as_secs_f64();
        while let Some(r) = self.pending.due(secs, before) {
            // The repeats after it may have made it one of three a conversion's period apart.
            let chain = self.history.conversion_chain(r.start, r.frame_secs, r.hold);
            // A picture repeated once in the texture of rate-converted film is the film's; one
            // held longer is not (as when judged at once), nor are the drawings of animation
            // on twos, every one a near-repeat step.
            let texture = r.hold == 2 && self.dips.frequent(secs);
            if !texture && !chain {
                self.report_late(r, now, false, out);
            }
        }
    }

    fn emit(&mut self, change: SpanChange, at: MediaTime, out: &mut Events) {
        let mut d = Details::new();
        d.insert("repeated_frames".into(), json!(self.repeated));
        out.span(&DefectKind::VIDEO_STUTTER, change, at, d);
    }

    fn close(&mut self, at: MediaTime, out: &mut Events) {
        if let Some(c) = self.tracker.close() {
            self.emit(c, at, out);
        }
        self.repeated = 0;
    }
}

impl VideoDetector for Stutter {
    fn picture(&mut self, frame: &VideoFrame, out: &mut Events) {
        let t = frame.time();
        let until = self.clock.until(frame);
        // The start of the stream (or of what follows a discontinuity) begins a shot: a
        // programme whose cadence is learned only after its first repeats.
        if self.since.is_none() {
            self.since = Some(t);
            self.shot_since = Some(t);
        }
        let (cmp, rebuilt) = self.steps.next(frame.analysis(), &self.cfg);
        if rebuilt {
            self.held = None;
            self.dips.restart();
        }
        if let Some(step) = cmp {
            self.dips.step(t.as_secs_f64(), step, &self.cfg);
        }
        match (cmp, self.held.as_mut()) {
            (
                Some(Step {
                    worst, same: true, ..
                }),
                Some(h),
            ) => {
                let (steps, min_contrast) = (&self.steps, self.cfg.min_contrast);
                h.repeat(t, worst, || steps.contrast() < min_contrast);
                return;
            }
            (cmp, held) => {
                if let (Some(h), Some(step)) = (held.copied(), cmp) {
                    self.end_held(h, step, t, out);
                }
                if cmp.is_some_and(|s| s.edit) {
                    self.last_edit = Some(t);
                    self.phase_lost = true;
                    self.shown_once = false;
                    self.at_cadence = 0;
                    self.shot_since = Some(t);
                }
                self.held = Some(Held::new(t, cmp, until.secs_since(t)));
            }
        }
        if !self.pending.is_empty() {
            self.verdicts(t, f64::NEG_INFINITY, out);
        }
        if let Some(c) = self.tracker.observe(false, t, until) {
            self.emit(c, t, out);
        }
    }

    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.flush_run(at, out);
        self.verdicts(at, f64::INFINITY, out);
        self.close(at, out);
        self.steps.restart();
        self.held = None;
        self.history.clear();
        self.doubling.clear();
        self.dips.clear();
        self.since = None;
        self.last_edit = None;
        self.phase_lost = false;
        self.shown_once = false;
        self.shot_since = None;
        self.run.clear();
        self.clock.reset();
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.flush_run(at, out);
        self.verdicts(at, f64::INFINITY, out);
        self.close(at, out);
    }
}
