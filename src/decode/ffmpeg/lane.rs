//! One decoded stream: its decoder, its clocks, and the packets it sent lately (to trace the
//! errors the decoder logs back to them).

use std::collections::VecDeque;

use super::clock::Clock;
use super::clock::Timeline;
use super::join::{Admit, JoinGate, MAX_WAIT_SECS};
use super::output::Output;
use super::refs::{Follower, Timing, Verdict};
use crate::ffi::{CodecContext, Frame, Received, Scaler};
use crate::media::{FrameFlags, MediaKind, MediaTime, NoticeKind, Rational};

/// Packets after one the demuxer marked corrupt whose headers must all show that no reference
/// picture was lost, before the loss is taken to have taken none (see
/// [`Follower::confirm_after`], which may need fewer).
const CONFIRM_AFTER: u32 = 3;

/// What reading one packet's header found about losses.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct RefNews {
    /// A loss known to damage nothing shown after the next anchor picture (the time of its
    /// notice).
    pub(super) confirmed: Option<MediaTime>,
    /// The loss [`RefNews::confirmed`] took no reference picture at all (not only none the
    /// next anchor predicts from).
    pub(super) unreferenced: bool,
    /// Reference frames lost before this packet with no packet marked corrupt.
    pub(super) unmarked: Option<MediaTime>,
    /// A loss the demuxer marked (the time of its mark) that took an anchor picture of a
    /// stream whose B-pictures are never references (MPEG-1/2): its damage reaches past the
    /// next anchor.
    pub(super) anchor_lost: Option<MediaTime>,
    /// Bytes of this packet's picture were lost (see `Followed::cut_short`): it is damaged
    /// like a packet the demuxer marked.
    pub(super) cut_short: bool,
    /// The loss [`RefNews::confirmed`] was found in this packet: cut short, its picture one
    /// no other picture is predicted from, no reference picture lost before it.
    pub(super) found: bool,
    /// This packet, cut short and not marked, holds a picture no other picture is predicted
    /// from, and no reference picture was lost before it: its loss is its own and damages
    /// nothing else (found and confirmed at once).
    pub(super) own_loss: bool,
}

/// Packets of a stream after one whose marking drops a lost frame that may carry the
/// decoder's complaint about it.
const MARKING_SLACK: usize = 2;

/// Packets whose frames are remembered as damaged.
const DAMAGE_MEMORY: usize = 256;

/// A packet sent to the decoder lately.
#[derive(Clone, Copy, Debug)]
struct SentPacket {
    /// Its tag.
    seq: i64,
    /// Its display time.
    time: MediaTime,
    /// Its picture is one no other picture is predicted from (an MPEG-1/2 B-picture, read
    /// from its header): the decoder's errors about it damage that picture only.
    never_ref: bool,
}

/// One decoded stream.
pub(super) struct Lane {
    pub(super) index: usize,
    pub(super) kind: MediaKind,
    pub(super) codec: CodecContext,
    pub(super) frame_clock: Clock,
    pub(super) packet_clock: Clock,
    /// Nominal frame duration in seconds (video).
    pub(super) frame_secs: Option<f64>,
    /// Next sample index (in 1/rate units) and rate (audio).
    pub(super) next_sample: Option<(u32, i64)>,
    /// Last video time and duration, in the stream time base.
    pub(super) last_video: Option<(i64, i64)>,
    /// B-pictures of the stream may be references (its codec's, see
    /// `StreamInfo::b_pictures_referenced`).
    pub(super) b_refs: bool,
    /// Headers followed (H.264's `frame_num`, MPEG-2's `temporal_reference`), for telling
    /// which losses took reference pictures.
    pub(super) refs: Option<Follower>,
    /// Time of the last packet the demuxer marked corrupt, and how many packets after it
    /// showed no reference picture lost, until [`CONFIRM_AFTER`] did.
    /// With it: whether that packet was cut short itself ([`RefNews::cut_short`]), and
    /// whether its picture may be damaged besides: it predicts from one that was cut short
    /// (`Followed::uses_cut`), or the packet before it was marked too (the mark lands on the
    /// packet before a loss).
    loss_pending: Option<(MediaTime, u32, bool, bool)>,
    /// The last packet was marked corrupt by the demuxer.
    last_corrupt: bool,
    /// Time of a packet marked corrupt whose loss took reference frames, while the tracker
    /// follows how far their damage reaches.
    loss_watch: Option<MediaTime>,
    /// Tags of packets whose marking drops a lost frame (the decoder's complaint about it is
    /// no damage).
    drops_lost: VecDeque<i64>,
    /// The packets sent lately.
    sent: VecDeque<SentPacket>,
    /// Tags of the packets found damaged lately.
    damaged: VecDeque<i64>,
    pub(super) converter: Scaler,
    pub(super) analysis: Scaler,
    pub(super) flushed: bool,
    /// Video packets are decoded from the stream's first key packet on (see [`JoinGate`]).
    pub(super) join: JoinGate,
}

impl Lane {
    /// Stream `index` of `kind` decoded by `codec`, with clocks of time base `tb`, timestamps
    /// of `wrap_bits` bits and a nominal step of `step` ticks; `frame_secs` is the nominal
    /// frame duration of a video stream.
    pub(super) fn new(
        index: usize,
        kind: MediaKind,
        codec: CodecContext,
        tb: Rational,
        wrap_bits: u32,
        step: i64,
        frame_secs: Option<f64>,
    ) -> Self {
        Lane {
            index,
            kind,
            codec,
            frame_clock: Clock::new(tb, wrap_bits, step),
            packet_clock: Clock::new(tb, wrap_bits, step),
            frame_secs,
            next_sample: None,
            last_video: None,
            b_refs: true,
            refs: None,
            loss_pending: None,
            last_corrupt: false,
            loss_watch: None,
            drops_lost: VecDeque::new(),
            sent: VecDeque::new(),
            damaged: VecDeque::new(),
            converter: Scaler::new(),
            analysis: Scaler::new(),
            flushed: false,
            join: if kind == MediaKind::Video {
                JoinGate::closed(tb, wrap_bits)
            } else {
                JoinGate::open()
            },
        }
    }

    /// Whether this lane decodes its packet (a key packet when `key`, at raw timestamp `raw`). A
    /// packet held back is still placed on the timeline (the stream's clock follows it); the
    /// first one held back is reported as a [`NoticeKind::Joined`] notice at its time. Logs the
    /// join of input `name`'s stream.
    pub(super) fn admitted(
        &mut self,
        name: &str,
        key: bool,
        raw: Option<i64>,
        timeline: &mut Timeline,
        out: &mut Output,
    ) -> bool {
        match self.join.admit(key, raw) {
            Admit::Pass => true,
            Admit::Skip { first } => {
                if let Some(raw) = raw {
                    let m = timeline.map_packet(&mut self.packet_clock, raw);
                    if first {
                        let t = MediaTime::new(m.ticks, self.packet_clock.tb);
                        out.notice(t, Some(self.index), NoticeKind::Joined);
                    }
                }
                false
            }
            Admit::Joined { skipped } => {
                log::info!(
                    "{name}: stream {} joined mid-GOP: {skipped} packets before its first key frame \
                     not decoded (they predict from pictures before the join)",
                    self.index
                );
                true
            }
            Admit::GaveUp { skipped } => {
                log::warn!(
                    "{name}: stream {} has no key frame in its first {MAX_WAIT_SECS} s \
                     ({skipped} packets not decoded): decoding from here on",
                    self.index
                );
                true
            }
        }
    }

    /// Remembers that the packet tagged `seq`, at `time`, was sent.
    pub(super) fn remember_sent(&mut self, seq: i64, time: MediaTime) {
        self.sent.push_back(SentPacket {
            seq,
            time,
            never_ref: false,
        });
        if self.sent.len() > DAMAGE_MEMORY {
            self.sent.pop_front();
        }
    }

    /// Reads the header of a packet about to be decoded (H.264 and MPEG-1/2; `corrupt`: the
    /// demuxer marked it; `seq`: its tag). [`RefNews::unmarked`]: reference frames were lost
    /// just before this packet and no packet was marked (a continuity counter that wrapped).
    /// [`RefNews::confirmed`]: the time of a loss (a packet marked corrupt, or an unmarked
    /// loss) now known to damage nothing shown after the next anchor picture:
    /// - a loss of non-reference pictures only: the demuxer's mark lands on a packet up to two
    ///   before the loss (its parser holds one back), so it is confirmed when the
    ///   [`CONFIRM_AFTER`] packets after the marked one all follow the last reference picture
    ///   (in MPEG-1/2: show no anchor lost);
    /// - a loss of reference frames that, as the pictures after it show, only B-pictures shown
    ///   before the next anchor predicted from (see `refs`).
    ///
    /// [`RefNews::anchor_lost`]: a marked loss of an MPEG-1/2 stream took an anchor picture.
    pub(super) fn follow_refs(
        &mut self,
        data: &[u8],
        corrupt: bool,
        time: MediaTime,
        seq: i64,
        timing: Option<Timing>,
    ) -> RefNews {
        let Some(tracker) = self.refs.as_mut() else {
            return RefNews::default();
        };
        let followed = tracker.read(data, timing);
        let report_unmarked = tracker.reports_unmarked();
        let confirm_after = tracker.confirm_after(CONFIRM_AFTER);
        if followed.never_ref {
            if let Some(p) = self.sent.iter_mut().rev().find(|p| p.seq == seq) {
                p.never_ref = true;
            }
        }
        if followed.drops_lost {
            self.drops_lost.push_back(seq);
            if self.drops_lost.len() > DAMAGE_MEMORY {
                self.drops_lost.pop_front();
            }
        }
        let lost = followed.lost;
        // Known at once to reach past the next anchor (MPEG-1/2's verdict comes with the
        // pictures that show the loss).
        let spread_now = lost == Some(true) && followed.verdict == Some(Verdict::Spread);
        let anchor_news = spread_now && !self.b_refs;
        let mut news = RefNews {
            cut_short: followed.cut_short,
            ..RefNews::default()
        };
        let marked = self.loss_pending.is_some() || self.loss_watch.is_some();
        // Cut short, in a picture nothing is predicted from, with no reference lost before it.
        let own_cut = followed.cut_short && followed.never_ref && lost == Some(false);
        news.own_loss = own_cut && !corrupt;
        if let Some((t, seen, cut, doubt)) = self.loss_pending.take() {
            match lost {
                // The loss the mark reported is found in this picture (the mark lands on the
                // packet before the loss), and damages nothing shown after this picture. The
                // marked picture is intact unless cut short or in doubt (measured on HEVC: a
                // B-picture of a pyramid whose B-reference was cut short).
                Some(false) if own_cut => {
                    news.confirmed = Some(t);
                    news.unreferenced = !cut && !doubt;
                    news.found = true;
                }
                Some(false) if !corrupt => {
                    if seen + 1 >= confirm_after {
                        news.confirmed = Some(t);
                        // A marked packet cut short lost part of its own picture.
                        news.unreferenced = !cut;
                    } else {
                        self.loss_pending = Some((t, seen + 1, cut, doubt));
                    }
                }
                Some(true) if !corrupt && anchor_news => news.anchor_lost = Some(t),
                Some(true) if !corrupt => self.loss_watch = Some(t),
                _ => {}
            }
        }
        if lost == Some(true) && !corrupt && !marked && report_unmarked {
            // Reference frames lost with no packet marked: the transport did not see it.
            news.unmarked = Some(time);
            self.loss_watch = Some(time);
        }
        if let Some(t) = self.loss_watch {
            match followed.verdict {
                Some(Verdict::Confined) => {
                    news.confirmed = Some(t);
                    self.loss_watch = None;
                }
                Some(_) => self.loss_watch = None,
                None => {}
            }
        }
        if corrupt {
            // A new mark starts over; on a packet that shows reference frames lost, the loss
            // is followed from it.
            self.loss_watch = None;
            self.loss_pending = None;
            match lost {
                Some(true) if anchor_news => news.anchor_lost = Some(time),
                Some(true) => self.loss_watch = Some(time),
                _ => {
                    let doubt = followed.uses_cut || self.last_corrupt;
                    self.loss_pending = Some((time, 0, followed.cut_short, doubt));
                }
            }
        }
        self.last_corrupt = corrupt;
        news
    }

    /// True when the packet tagged `tag` is one whose marking drops a lost frame, or one of
    /// the [`MARKING_SLACK`] packets of this stream after it (a frame thread may log the
    /// complaint while it holds the next packet).
    fn marks_lost_frame(&self, tag: i64) -> bool {
        self.drops_lost.iter().any(|&d| {
            tag >= d
                && self
                    .sent
                    .iter()
                    .filter(|p| p.seq > d && p.seq <= tag)
                    .count()
                    <= MARKING_SLACK
        })
    }

    /// Marks the packet tagged `seq` damaged: the frames decoded from it are flagged.
    pub(super) fn mark_damaged(&mut self, seq: i64) {
        if !self.damaged.contains(&seq) {
            self.damaged.push_back(seq);
            if self.damaged.len() > DAMAGE_MEMORY {
                self.damaged.pop_front();
            }
        }
    }

    /// True when the packet tagged `tag` holds a picture no other picture is predicted from
    /// (an MPEG-1/2 B-picture, an HEVC sub-layer non-reference picture of the highest
    /// sub-layer, as its header said).
    pub(super) fn never_ref(&self, tag: i64) -> bool {
        self.sent
            .iter()
            .rev()
            .find(|p| p.seq == tag)
            .is_some_and(|p| p.never_ref)
    }

    /// The notices of a decode error about the packet tagged `tag`, at `time`: the error,
    /// followed by a [`NoticeKind::NonReferenceError`] when that packet's picture is one no
    /// other picture is predicted from.
    pub(super) fn error_notices(
        &self,
        tag: i64,
        time: MediaTime,
        message: String,
        out: &mut Output,
    ) {
        out.notice(time, Some(self.index), NoticeKind::DecodeError { message });
        if self.never_ref(tag) {
            out.notice(time, Some(self.index), NoticeKind::NonReferenceError);
        }
    }

    /// True when the packet tagged `tag` was found damaged lately.
    pub(super) fn is_damaged(&self, tag: i64) -> bool {
        self.damaged.contains(&tag)
    }

    /// Receives every frame the decoder has ready into `frames`; a decoding error becomes a
    /// notice on `out`.
    pub(super) fn drain(&mut self, frames: &mut Vec<Frame>, out: &mut Output) {
        // Bounded: a decoder never yields more frames than this for one packet.
        for _ in 0..10_000 {
            match self.codec.receive() {
                Ok(Received::Frame(f)) => frames.push(f),
                Ok(Received::NeedInput) | Ok(Received::Drained) => break,
                Err(e) => {
                    let t = out.last_time();
                    out.notice(
                        t,
                        Some(self.index),
                        NoticeKind::DecodeError {
                            message: e.message(),
                        },
                    );
                    break;
                }
            }
        }
    }

    /// Turns the errors the decoder logged since the last call into notices (one per damaged
    /// packet, at that packet's time; followed by a [`NoticeKind::NonReferenceError`] of the
    /// same time when that packet's picture is one no other picture is predicted from: the
    /// error is traced by the packet's tag, so this holds with frame threads, whose errors
    /// come later than their packets) and marks those packets damaged. `None` when nothing
    /// was logged; otherwise extra flags for the frames received in this call (set only when
    /// an error could not be traced to its packet, which is then taken to be packet `seq` at
    /// `time`).
    pub(super) fn logged_damage(
        &mut self,
        seq: i64,
        time: MediaTime,
        out: &mut Output,
    ) -> Option<FrameFlags> {
        let tags = self.codec.take_error_tags();
        if tags.is_empty() {
            return None;
        }
        let message = self.codec.last_logged_error();
        let index = self.index;
        let mut untraced = false;
        for logged in tags {
            let tag = logged.tag;
            if logged.marking_only && self.marks_lost_frame(tag) {
                log::debug!("stream {index}: marking of a lost reference frame: {message}");
                continue;
            }
            let sent = self.sent.iter().find(|p| p.seq == tag).copied();
            match sent {
                Some(p) => {
                    self.error_notices(p.seq, p.time, message.clone(), out);
                    self.mark_damaged(p.seq);
                }
                None => untraced = true,
            }
        }
        if untraced {
            out.notice(time, Some(index), NoticeKind::DecodeError { message });
            self.mark_damaged(seq);
            return Some(FrameFlags::DAMAGED_INPUT);
        }
        Some(FrameFlags::NONE)
    }
}
