//! Packet losses on the video stream, and what they tell of the damage on screen: which
//! losses were confirmed, found inside pictures nothing predicts from, or took no reference
//! picture at all (see [`Losses`]).

use super::{MISSING_NEAR, SAME_PICTURE};
use crate::media::MediaTime;
#[cfg(doc)]
use crate::media::NoticeKind;

/// Confirmed losses of unreferenced pictures remembered until their marked pictures are shown.
const UNREFERENCED: usize = 4;

/// True when `a` and `b` are the time of one picture.
fn same(a: MediaTime, b: MediaTime) -> bool {
    a.secs_since(b).abs() < SAME_PICTURE
}

/// What is known of packet losses on the video stream: a [`NoticeKind::NonReferenceLoss`]
/// confirms the [`NoticeKind::CorruptPacket`] (or [`NoticeKind::ReferenceLoss`]) of the same
/// time. Damage whose only evidence is confirmed losses, where pictures are missing from the
/// display (whole pictures were lost), and where the decoder reported nothing about an anchor
/// picture, ends at the next anchor picture: nothing shown after it is predicted from the
/// pictures lost. A loss that only cut a picture short is held as any other damage, unless it
/// was found inside pictures nothing is predicted from, the only ones damaged (`found_own`).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Losses {
    /// The last corrupt-packet notice, until its confirmation.
    pub(super) awaiting: Option<MediaTime>,
    /// The latest corrupt-packet notice never confirmed.
    pub(super) unconfirmed: Option<MediaTime>,
    /// The latest confirmation.
    pub(super) confirmed: Option<MediaTime>,
    /// The latest [`NoticeKind::NonReferenceCut`]: the loss of that time was found inside a
    /// picture no other picture is predicted from.
    pub(super) found: Option<MediaTime>,
    /// The latest confirmation of a loss not so found (it may have cut a reference picture
    /// short where no header shows it).
    pub(super) unfound: Option<MediaTime>,
    /// The latest [`NoticeKind::UnreferencedLoss`] notices that came with their
    /// confirmation: the losses of the marks of those times took no reference picture at all.
    /// Several, since later losses may be confirmed before the marked picture is shown.
    pub(super) unreferenced: [Option<MediaTime>; UNREFERENCED],
    /// Decode errors on the video stream not yet reached by the pictures: (earliest, latest).
    pub(super) errors: Option<(MediaTime, MediaTime)>,
    /// The time of the latest decode error, when it was the only one not yet reached and a
    /// [`NoticeKind::NonReferenceError`] said it was about a picture no other picture is
    /// predicted from (an MPEG-1/2 B-picture).
    pub(super) non_ref_error: Option<MediaTime>,
    /// The episode on screen started here.
    pub(super) episode: Option<MediaTime>,
    /// The decoder reported errors, or flagged a picture, in the episode (other than errors
    /// in a B-picture alone).
    pub(super) decoder_said: bool,
    /// The first picture shown after the latest missing one.
    pub(super) gap_at: Option<MediaTime>,
    /// The last picture shown: time and duration, seconds.
    pub(super) last_shown: Option<(MediaTime, f64)>,
}

impl Losses {
    pub(super) fn corrupt(&mut self, t: MediaTime) {
        if let Some(a) = self.awaiting.replace(t) {
            self.unconfirmed = Some(self.unconfirmed.map_or(a, |u| u.max(a)));
        }
    }

    pub(super) fn confirm(&mut self, t: MediaTime) {
        if self
            .awaiting
            .is_some_and(|a| t.secs_since(a).abs() < SAME_PICTURE)
        {
            self.awaiting = None;
            self.confirmed = Some(self.confirmed.map_or(t, |c| c.max(t)));
            if !self.found.is_some_and(|f| same(t, f)) {
                self.unfound = Some(self.unfound.map_or(t, |u| u.max(t)));
            }
        }
    }

    pub(super) fn error(&mut self, t: MediaTime) {
        self.errors = Some(match self.errors {
            Some((a, b)) => (a.min(t), b.max(t)),
            None => (t, t),
        });
        self.non_ref_error = None;
    }

    /// The decode error at `t` was about a picture no other picture is predicted from: noted
    /// when it is the only error the pictures have not reached (a span of several says
    /// nothing of the others).
    pub(super) fn non_ref(&mut self, t: MediaTime) {
        let same = |x: MediaTime| t.secs_since(x).abs() < SAME_PICTURE;
        if self.errors.is_some_and(|(a, b)| same(a) && same(b)) {
            self.non_ref_error = Some(t);
        }
    }

    /// The loss marked at `t` took no reference picture at all: remembered when it was
    /// confirmed.
    pub(super) fn unreferenced(&mut self, t: MediaTime) {
        if self.confirmed.is_some_and(|c| same(t, c)) {
            self.unreferenced.rotate_right(1);
            self.unreferenced[0] = Some(t);
        }
    }

    /// True when the loss marked at `t` took no reference picture at all.
    pub(super) fn unreferenced_at(&self, t: MediaTime) -> bool {
        self.unreferenced.iter().flatten().any(|u| same(t, *u))
    }

    /// True when the notices at `p` (`count` of them) are one decode error about a picture
    /// no other picture is predicted from.
    pub(super) fn only_non_ref(&self, p: MediaTime, count: u32) -> bool {
        count == 1
            && self
                .non_ref_error
                .is_some_and(|x| p.secs_since(x).abs() < SAME_PICTURE)
    }

    /// A picture at `t` of `dur` seconds is shown (`own`: the decoder flagged it; `on_b`: a
    /// B-picture); notes whether pictures were missing just before it, and returns when the
    /// first of them was due.
    pub(super) fn shown(
        &mut self,
        t: MediaTime,
        dur: Option<f64>,
        own: bool,
        on_b: bool,
    ) -> Option<MediaTime> {
        if let Some((first, last)) = self.errors {
            if t.secs_since(first) > -SAME_PICTURE {
                // Errors about this B-picture alone reach no anchor picture (measured on live
                // loss: a B-reference cut short damages its B-pictures only), nor does one
                // error about a picture nothing is predicted from.
                let this_b = on_b
                    && t.secs_since(first).abs() < SAME_PICTURE
                    && t.secs_since(last).abs() < SAME_PICTURE;
                let non_ref = self.only_non_ref(first, 1) && self.only_non_ref(last, 1);
                self.decoder_said |= !(this_b || non_ref);
                self.errors = (t.secs_since(last) < -SAME_PICTURE).then_some((last, last));
            }
        }
        self.decoder_said |= own && !on_b;
        let missing = self
            .last_shown
            .filter(|(l, d)| t.secs_since(*l) > 1.5 * d)
            .map(|(l, d)| l.add_secs(d));
        let step = dur
            .filter(|d| *d > 0.0)
            .or(self.last_shown.map(|(_, d)| d))
            .unwrap_or(0.04);
        self.last_shown = Some((t, step));
        if missing.is_some() {
            self.gap_at = Some(t);
        }
        missing
    }

    /// True when the episode on screen at `t` may end at an anchor picture: every loss in it
    /// confirmed, pictures missing next to it (within [`MISSING_NEAR`] pictures of its start),
    /// the decoder silent about anchor pictures.
    pub(super) fn may_end(&self, t: MediaTime) -> bool {
        let Some(start) = self.episode else {
            return false;
        };
        let step = self.last_shown.map_or(0.04, |(_, d)| d);
        let near = |g: MediaTime| start.secs_since(g) < MISSING_NEAR * step + SAME_PICTURE;
        self.gap_at.is_some_and(near) && self.settled(t)
    }

    /// True when every loss of the episode on screen at `t` is confirmed and the decoder was
    /// silent about anchor pictures.
    pub(super) fn settled(&self, t: MediaTime) -> bool {
        let Some(start) = self.episode else {
            return false;
        };
        let before = |x: MediaTime| start.secs_since(x) > SAME_PICTURE;
        !self.decoder_said
            && self.confirmed.is_some_and(|c| !before(c))
            && self
                .awaiting
                .is_none_or(|a| t.secs_since(a) < -SAME_PICTURE)
            && self.unconfirmed.is_none_or(before)
    }

    /// True when every loss of the episode on screen at `t` was found inside a picture no
    /// other picture is predicted from ([`NoticeKind::NonReferenceCut`]), and the decoder was
    /// silent about anchor pictures.
    pub(super) fn found_own(&self, t: MediaTime) -> bool {
        let Some(start) = self.episode else {
            return false;
        };
        self.settled(t)
            && self
                .unfound
                .is_none_or(|u| start.secs_since(u) > SAME_PICTURE)
    }

    pub(super) fn end_episode(&mut self) {
        self.episode = None;
        self.decoder_said = false;
    }
}
