//! Damage reported by the decoder (frame flags and notices), tracked until the picture has
//! recovered: shared by `decode_errors` and `corruption`.
//!
//! Pictures arrive in display order, notices in decode order: a notice about a reference
//! picture comes before the B-pictures shown before it, which are predicted from it and so
//! damaged too. A notice is therefore held until the pictures reach its time; the damage starts
//! at the first B-picture shown after the last anchor (I or P) that came after the notice, or
//! at the notice when there is none (an anchor shown after the notice was decoded before the
//! damaged picture, so it and everything before it are clean). Pictures missing from the
//! display right after that anchor belong to the same run: they too were shown before the
//! damaged picture and decoded after it (B-pictures lost with it, as HEVC's pyramids lose their
//! smallest pictures), so the damage starts at the first of them. Unless the loss marked on
//! that picture took no reference picture at all ([`NoticeKind::UnreferencedLoss`]) and the
//! decoder says nothing of it: then the marked picture is intact (the mark landed on the packet
//! decoded just before the pictures lost) and the damage is the missing pictures' own slots,
//! reported after the fact ([`FrameDamage::lost`]). A key frame so marked is intact too, but
//! the pictures shown before it since the last anchor (its leading pictures, decoded after it,
//! where the loss was) stay the damage.

use crate::media::{DecoderNotice, FrameFlags, MediaTime, NoticeKind, PictureType, VideoFrame};

mod losses;
use losses::Losses;

/// Slack when comparing a notice's time (of its packet) with a picture's time, in seconds.
const SAME_PICTURE: f64 = 0.001;

/// Pictures between a missing picture and the start of the damage it explains: the demuxer's
/// mark lands on a packet up to two before the loss in decode order, which B-pictures may show
/// a few pictures away.
const MISSING_NEAR: f64 = 3.0;

/// True when the decoder itself (not the demuxer) flagged damage.
fn decoder_damage(flags: FrameFlags) -> bool {
    flags.contains(FrameFlags::CORRUPT)
        || flags.contains(FrameFlags::CONCEALED)
        || flags.contains(FrameFlags::DECODE_ERROR)
}

/// What the decoder said about one video frame.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FrameDamage {
    /// Damage reported by notices becomes visible at this instant, which may be before this
    /// frame (B-pictures shown before the damaged picture they are predicted from).
    pub(crate) early: Option<MediaTime>,
    /// Notices that `early` stands for.
    pub(crate) notices: u32,
    /// The frame itself carries damage flags.
    pub(crate) flagged: bool,
    /// Damage is on screen with this frame (flagged here, or an earlier damage has not
    /// recovered yet).
    pub(crate) on_screen: bool,
    /// Pictures lost before this frame, `[start, end)`: damage already over, known only now
    /// (a loss found to have taken no reference picture, whose mark this frame carries).
    pub(crate) lost: Option<(MediaTime, MediaTime)>,
}

/// Damage reported by the decoder, shared by `decode_errors` and `corruption`: which streams
/// are video, whether damage is still on screen (until a clean key frame after it, or
/// `max_recovery` seconds), notices waiting for the
/// pictures to reach them, and notices seen before the first frame.
#[derive(Clone, Debug)]
pub(crate) struct DecoderDamage {
    max_recovery: f64,
    notices: bool,
    /// Bit `i` set: stream `i` carries video (streams 0–63).
    video_streams: u64,
    /// Damage of a reference picture is on screen (an episode has not recovered yet).
    damaged: bool,
    /// The damage on screen was seen only on pictures no other picture is predicted from
    /// (B-pictures of MPEG-1/2, pictures flagged [`FrameFlags::NON_REFERENCE`]): the next
    /// anchor the decoder itself does not flag ends it (elsewhere only when every loss of the
    /// episode was found inside such a picture, [`NoticeKind::NonReferenceCut`]).
    b_only: bool,
    /// A [`NoticeKind::ReferenceLoss`] came since the damage on screen began (or is pending):
    /// in MPEG-1/2 an anchor was lost, so the damage is not B-pictures' only, whatever
    /// pictures the marks landed on.
    reference_lost: bool,
    /// A B-picture of a stream whose B-pictures are never references that only the demuxer
    /// marked was let pass: pictures missing within this many pictures after it are the
    /// loss's damage.
    passed_mark: u32,
    /// The picture let pass was marked for a loss of unreferenced pictures
    /// ([`NoticeKind::UnreferencedLoss`]): the pictures missing after it are damage of their
    /// own slots alone.
    passed_unreferenced: bool,
    last_damage: Option<MediaTime>,
    /// The earliest notice of damage the pictures have not reached yet, and how many.
    pending: Option<(MediaTime, u32)>,
    /// First B-picture shown since the last anchor while a notice is pending.
    b_run: Option<MediaTime>,
    /// Pictures missing from the display since the last anchor while a notice is pending:
    /// from the first missing to the first shown after the last missing.
    lost_slots: Option<(MediaTime, MediaTime)>,
    /// A notice seen before any video frame: (time, stream).
    early_notice: Option<(MediaTime, Option<usize>)>,
    /// Losses that took no reference picture (see [`Losses`]).
    losses: Losses,
}

impl DecoderDamage {
    /// Damage tracking with the given recovery limit; `notices`: decoder notices count.
    pub(crate) fn new(max_recovery: f64, notices: bool) -> Self {
        DecoderDamage {
            max_recovery,
            notices,
            video_streams: 0,
            damaged: false,
            b_only: false,
            reference_lost: false,
            passed_mark: 0,
            passed_unreferenced: false,
            last_damage: None,
            pending: None,
            b_run: None,
            lost_slots: None,
            early_notice: None,
            losses: Losses::default(),
        }
    }

    fn is_video_stream(&self, s: usize) -> bool {
        s < 64 && self.video_streams & (1 << s) != 0
    }

    /// Damage at `t`; `on_b`: seen on a B-picture that is no reference.
    fn mark(&mut self, t: MediaTime, on_b: bool) {
        if !self.damaged {
            self.losses.episode = Some(t);
        } else if let Some(e) = self.losses.episode {
            self.losses.episode = Some(e.min(t));
        }
        self.b_only = on_b && (self.b_only || !self.damaged);
        self.damaged = true;
        self.last_damage = Some(self.last_damage.map_or(t, |l| l.max(t)));
    }

    /// A decoder notice: true when it reports damage on a video stream. The damage is
    /// reported with the frame that reaches the notice's time ([`FrameDamage::early`]).
    pub(crate) fn notice(&mut self, n: &DecoderNotice) -> bool {
        let damage = matches!(
            n.kind,
            NoticeKind::DecodeError { .. } | NoticeKind::CorruptPacket | NoticeKind::ReferenceLoss
        );
        let confirmation = matches!(
            n.kind,
            NoticeKind::NonReferenceLoss
                | NoticeKind::NonReferenceError
                | NoticeKind::UnreferencedLoss
                | NoticeKind::NonReferenceCut
        );
        if !self.notices || !(damage || confirmation) {
            return false;
        }
        match n.stream {
            Some(s) if self.video_streams != 0 && !self.is_video_stream(s) => false,
            Some(_) if self.video_streams == 0 => {
                // Which streams carry video is known from the first frame.
                if damage && self.early_notice.is_none() {
                    self.early_notice = Some((n.time, n.stream));
                }
                false
            }
            _ => {
                match n.kind {
                    NoticeKind::NonReferenceLoss => {
                        self.losses.confirm(n.time);
                        return false;
                    }
                    NoticeKind::NonReferenceError => {
                        self.losses.non_ref(n.time);
                        return false;
                    }
                    NoticeKind::UnreferencedLoss => {
                        self.losses.unreferenced(n.time);
                        return false;
                    }
                    NoticeKind::NonReferenceCut => {
                        self.losses.found = Some(n.time);
                        return false;
                    }
                    NoticeKind::CorruptPacket => self.losses.corrupt(n.time),
                    NoticeKind::ReferenceLoss => {
                        self.reference_lost = true;
                        self.losses.corrupt(n.time)
                    }
                    _ => self.losses.error(n.time),
                }
                self.pending = Some(match self.pending {
                    Some((p, k)) => (p.min(n.time), k + 1),
                    None => (n.time, 1),
                });
                true
            }
        }
    }

    /// A video frame: its damage, and whether damage is on screen.
    pub(crate) fn frame(&mut self, f: &VideoFrame) -> FrameDamage {
        let mut out = FrameDamage::default();
        if f.stream() < 64 {
            self.video_streams |= 1 << f.stream();
        }
        if let Some((t, s)) = self.early_notice.take() {
            let video = match s {
                Some(s) => self.is_video_stream(s),
                None => true,
            };
            if video {
                let t = t.min(f.time());
                self.mark(t, false);
                out.early = Some(t);
                out.notices = 1;
            }
        }
        let t = f.time();
        let flags = f.flags();
        let kind = f.picture_type();
        let key = flags.contains(FrameFlags::KEY) || kind == PictureType::I;
        let b = kind == PictureType::B && !key;
        let own = decoder_damage(flags);
        let b_free = !f.b_pictures_referenced();
        // The decoder reported errors about this picture (or about a span that holds it).
        let decoder_here = self.losses.errors.is_some_and(|(a, z)| {
            t.secs_since(a) > -SAME_PICTURE && t.secs_since(z) < SAME_PICTURE
        });
        // A B-picture nothing predicts from (MPEG-1/2) that only the demuxer marked, when no
        // anchor it predicts from was lost: the mark reports a loss in a packet next to it
        // (measured on live MPEG-2 loss: the parser holds one packet back, and the marked
        // B-picture decodes clean), and damage of its own makes the decoder complain. It is
        // let pass; pictures missing just before it or within `MISSING_NEAR` pictures after it
        // are the loss's damage.
        let mark_only_b = b && b_free && !own && !decoder_here && !self.reference_lost;
        // Any picture other than a key frame that only the demuxer marked, for a loss that the
        // headers after it show took no reference picture at all (`UnreferencedLoss`): the
        // parser held one packet back, so the mark landed on the packet decoded just before
        // the pictures lost, and nothing shown is predicted from those. It is let pass too;
        // the damage is the lost pictures' own display slots (measured on live HEVC loss: the
        // mark lands on the intact anchor decoded before the lost B-pictures).
        let unreferenced =
            !own && !decoder_here && !self.reference_lost && self.losses.unreferenced_at(t);
        let unreferenced_mark = unreferenced && !key;
        let mark_only = mark_only_b || unreferenced_mark;
        // A key frame only the demuxer marked, for such a loss: intact too (the mark landed
        // on it, decoded just before the pictures lost), but the pictures decoded after it
        // and shown before it (an open GOP's leading pictures) are where the loss was: they
        // stay damage (measured on live HEVC loss: a CRA picture marked, its leading
        // B-pictures damaged with no picture missing and nothing said by the decoder).
        let unreferenced_key = unreferenced && key;
        let missing = self.losses.shown(t, f.duration(), own, b);
        let near_mark = self.passed_mark > 0;
        self.passed_mark = self.passed_mark.saturating_sub(1);
        // This picture is such a marked B-picture, let pass.
        let mut let_pass = false;
        // On a key frame only the decoder's own verdict counts: a corrupt-packet mark there
        // usually reports packets lost *before* it (a continuity error is seen on the first
        // packet after the loss), and the key frame decodes clean.
        out.flagged = if key {
            own
        } else if mark_only {
            let_pass = flags.is_damaged();
            false
        } else {
            flags.is_damaged()
        };
        // Damage reported by notices, visible from this instant (before this frame).
        let mut from = None;
        // The slot of a picture nothing is predicted from that was not shown (see below).
        let mut own_slot = None;
        if let Some((p, k)) = self.pending {
            if t.secs_since(p) < -SAME_PICTURE {
                // Shown before the damaged picture: a B-picture after the last anchor may be
                // predicted from it (and so may the pictures missing just before it, lost);
                // an anchor was decoded before it.
                if b {
                    self.b_run.get_or_insert(missing.unwrap_or(t));
                } else {
                    self.b_run = None;
                    self.lost_slots = None;
                }
                if let Some(m) = missing {
                    self.lost_slots = Some(self.lost_slots.map_or((m, t), |(s, _)| (s, t)));
                }
            } else {
                // A decode error about a picture still to come stays pending: a key frame the
                // decoder found damaged after a loss is flagged when it is shown. (A corrupt
                // packet mark there reports the loss before it; see above.) `losses` keeps the
                // errors the pictures have not reached yet.
                self.pending = self.losses.errors.map(|(e, _)| (e, 1));
                out.notices += if self.pending.is_some() {
                    k.saturating_sub(1)
                } else {
                    k
                };
                // Pictures missing just before this one were shown before it: a run of their
                // own when no B-picture was shown since the last anchor.
                let run = self.b_run.take().or(missing);
                let lost_slots = self.lost_slots.take();
                if t.secs_since(p) < SAME_PICTURE {
                    // The notice is about this picture. When it is an anchor, the B-pictures
                    // shown before it since the last anchor are predicted from it; when it is
                    // a B-picture, those were decoded before it (a decoder's output delay).
                    out.flagged = !mark_only && !unreferenced_key;
                    let_pass |= mark_only;
                    from = run.filter(|_| !b && !mark_only);
                    // Let pass for a loss of unreferenced pictures: the pictures missing before
                    // it since the last anchor are the damage, each slot alone.
                    out.lost = lost_slots.filter(|_| unreferenced_mark);
                } else if self.losses.only_non_ref(p, k) {
                    // The picture noticed, one no other picture is predicted from (an MPEG-1/2
                    // B-picture the decoder gave up on), was not shown: the damage is its slot
                    // (with the pictures missing next to it), and ends with this picture. The
                    // B-pictures shown before it are not predicted from it.
                    own_slot = Some(missing.map_or(p, |m| m.min(p)));
                    from = own_slot;
                } else {
                    // The picture noticed was not shown (lost): damage since then.
                    let s = run.map_or(p, |r| r.min(p));
                    self.mark(s, false);
                    from = Some(s);
                }
            }
        }
        // A damaged B-picture is not taken to be damage of its own picture only: in H.264 the
        // decoder's verdict is often traced to a B-picture while a reference is damaged
        // (measured), so its damage lasts as any other. Where a B-picture is never a reference
        // (MPEG-1/2), damage seen only on B-pictures ends at the next anchor the decoder itself
        // does not flag, even when the demuxer marked its packet (measured: such an anchor
        // decodes clean; the mark reports the loss that hit the B-pictures).
        if let_pass {
            self.passed_mark = MISSING_NEAR as u32;
            self.passed_unreferenced = unreferenced_mark;
        }
        let lost_after_mark = missing.filter(|_| (near_mark || let_pass) && from.is_none());
        if let Some(m) = lost_after_mark {
            // Pictures lost right after a marked picture that was let pass: unreferenced ones
            // are damage of their slots alone, others as damage seen on B-pictures only.
            if !self.passed_unreferenced {
                self.mark(m, true);
            }
            from = Some(m);
        }
        // Elsewhere a reference may be damaged where the marks did not land (a loss no header
        // shows): every loss must have been found inside a picture nothing is predicted from
        // (HEVC: such pictures cut short, the marks on the packets before them; measured on
        // MPEG-TS loss: those pictures alone damaged, the next anchor clean).
        let b_only_ends = b_free || (!out.flagged && self.losses.found_own(t));
        if b_only_ends && !b && !own && self.damaged && self.b_only && !self.reference_lost {
            out.flagged = false;
            self.damaged = false;
            // The pictures lost just before this anchor stay damage; nothing else does.
            from = lost_after_mark.or(own_slot);
        }
        if out.flagged {
            self.mark(
                t,
                (b && b_free) || flags.contains(FrameFlags::NON_REFERENCE),
            );
        }
        // Whole non-reference pictures lost, and nothing else: the damage ends at the next
        // anchor shown (see `Losses`), even one the demuxer's mark for that loss landed on.
        if self.damaged && !b && !own && self.losses.may_end(t) {
            self.damaged = false;
        }
        if let Some(s) = from {
            out.early = Some(out.early.map_or(s, |e| e.min(s)));
        }
        if self.damaged && !out.flagged {
            let expired = self
                .last_damage
                .is_some_and(|l| t.secs_since(l) >= self.max_recovery);
            // A key frame shown before the damage (reordering) does not end it.
            let after = match self.last_damage {
                Some(l) => t >= l,
                None => true,
            };
            if (key && after) || expired {
                self.damaged = false;
            }
        }
        out.on_screen = self.damaged || out.flagged;
        if !out.on_screen {
            self.losses.end_episode();
            if self.pending.is_none() {
                self.reference_lost = false;
            }
        }
        out
    }

    /// Forgets the damage on screen and the notices waiting (end of stream, discontinuity).
    pub(crate) fn reset(&mut self) {
        self.damaged = false;
        self.b_only = false;
        self.reference_lost = false;
        self.passed_mark = 0;
        self.passed_unreferenced = false;
        self.last_damage = None;
        self.pending = None;
        self.b_run = None;
        self.lost_slots = None;
        self.losses = Losses::default();
    }
}
