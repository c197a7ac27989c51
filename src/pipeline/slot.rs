//! One detector fed inline: panic isolation, open-defect bookkeeping and the closing of every
//! defect it started; one instance per stream for a detector of one kind of media that can
//! [fork](crate::detect::Detector::fork). Shared by the pipeline's detector threads and the
//! monitor's stream tasks.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::item::Item;
use super::tracks::TrackTable;
use super::DetectorReport;
use crate::detect::{Detector, Events, Wants};
use crate::error::Error;
use crate::event::{DefectKind, Details, Event, Phase};
use crate::media::{Media, MediaTime};

/// One instance of a detector: the one built, or a fork for a further stream of its kind.
struct Instance {
    det: Box<dyn Detector>,
    out: Events,
    /// The stream it analyses, once it met one (a detector of one kind of media).
    stream: Option<usize>,
}

/// A detector (with its forks) with its event buffers, report and the defects it holds open.
pub(crate) struct DetectorSlot {
    /// The first is the detector built; the others are forks, one per further stream.
    inst: Vec<Instance>,
    /// Whether it judges one kind of media (pictures or sound) and so gets an instance per
    /// stream of that kind, when it can fork.
    per_stream: bool,
    /// It could not fork: its first instance sees every stream.
    unforkable: bool,
    tracks: Arc<TrackTable>,
    wants: Wants,
    name: String,
    input: Arc<str>,
    pub(crate) rep: DetectorReport,
    /// Defects started and not ended (with their track), so a panic cannot leave one open.
    open: Vec<(DefectKind, MediaTime, Option<usize>)>,
    last: MediaTime,
    max_open: usize,
}

impl DetectorSlot {
    pub(crate) fn new(
        det: Box<dyn Detector>,
        input: &Arc<str>,
        max_open: usize,
        tracks: &Arc<TrackTable>,
    ) -> Self {
        let name = det.name().to_string();
        DetectorSlot {
            wants: det.wants(),
            per_stream: det.per_stream(),
            unforkable: false,
            tracks: tracks.clone(),
            inst: vec![Instance {
                det,
                out: Events::new(input, &name),
                stream: None,
            }],
            rep: DetectorReport {
                name: name.clone(),
                ..Default::default()
            },
            name,
            input: input.clone(),
            open: Vec::new(),
            last: MediaTime::ZERO,
            max_open,
        }
    }

    /// The instance for `stream` (made on its first item): a linear look over one entry per
    /// stream of the kind, no allocation once every stream was met.
    fn instance(&mut self, stream: usize) -> usize {
        if let Some(i) = self.inst.iter().position(|x| x.stream == Some(stream)) {
            return i;
        }
        if self.inst[0].stream.is_none() {
            self.claim(0, stream);
            return 0;
        }
        if self.unforkable {
            return 0;
        }
        match self.inst[0].det.fork() {
            Some(det) => {
                self.inst.push(Instance {
                    det,
                    out: Events::new(&self.input, &self.name),
                    stream: None,
                });
                let i = self.inst.len() - 1;
                self.claim(i, stream);
                i
            }
            None => {
                self.unforkable = true;
                0
            }
        }
    }

    fn claim(&mut self, i: usize, stream: usize) {
        let x = &mut self.inst[i];
        x.stream = Some(stream);
        x.out.set_track(Some(stream), self.tracks.language(stream));
    }

    pub(crate) fn wants(&self) -> Wants {
        self.wants
    }

    /// True once the detector panicked (it then sees nothing more).
    pub(crate) fn panicked(&self) -> bool {
        self.rep.panicked.is_some()
    }

    /// Feeds one item; events go to `emit`. Returns the limit error when the detector holds
    /// more than `max_open` defects open. A panic disables the detector (with a notice).
    pub(crate) fn feed(&mut self, item: &Item, emit: &mut dyn FnMut(Event)) -> Option<Error> {
        if self.panicked() {
            return None;
        }
        let which = match item {
            Item::Media(Media::Video(f)) if self.per_stream => Some(self.instance(f.stream())),
            Item::Media(Media::Audio(f)) if self.per_stream => Some(self.instance(f.stream())),
            _ => None,
        };
        let (inst, rep, last) = (&mut self.inst, &mut self.rep, &mut self.last);
        let result = catch_unwind(AssertUnwindSafe(|| match item {
            Item::Media(m) => {
                match m {
                    Media::Video(_) => rep.video_frames += 1,
                    Media::Audio(_) => rep.audio_frames += 1,
                    Media::Notice(_) => {}
                }
                *last = (*last).max(m.time());
                match which {
                    Some(i) => {
                        let x = &mut inst[i];
                        x.det.process(m, &mut x.out)
                    }
                    None => inst.iter_mut().for_each(|x| x.det.process(m, &mut x.out)),
                }
            }
            Item::Discontinuity(t) => inst
                .iter_mut()
                .for_each(|x| x.det.discontinuity(*t, &mut x.out)),
            Item::Finish(t) => {
                *last = (*last).max(*t);
                let at = *last;
                inst.iter_mut().for_each(|x| x.det.finish(at, &mut x.out));
            }
        }));
        if let Err(p) = result {
            let message = panic_message(&*p);
            log::error!(
                "detector `{}` on `{}` panicked: {message}; it is disabled for this input",
                self.name,
                self.input
            );
            self.inst[0].out.notice(
                "detector_panicked",
                format!("detector `{}` panicked: {message}", self.name),
                self.last,
            );
            self.rep.panicked = Some(message);
        }
        let mut limit = None;
        for x in &mut self.inst {
            for ev in x.out.drain() {
                if let Event::Defect(d) = &ev {
                    match d.phase {
                        Phase::Start => {
                            self.open.push((d.defect.clone(), d.start, d.track));
                            if self.open.len() > self.max_open && limit.is_none() {
                                limit = Some(Error::limit(
                                    &*self.input,
                                    format!("open defects of detector `{}`", self.name),
                                    self.open.len().to_string(),
                                    self.max_open.to_string(),
                                ));
                            }
                        }
                        Phase::End => {
                            if let Some(i) = self.open.iter().position(|(k, s, t)| {
                                *k == d.defect && *s == d.start && *t == d.track
                            }) {
                                self.open.swap_remove(i);
                            }
                        }
                    }
                }
                self.rep.events += 1;
                emit(ev);
            }
        }
        limit
    }

    /// Ends every defect still open (the detector panicked or did not close its spans) and
    /// emits what is left in the buffer. Call once, after [`Item::Finish`].
    pub(crate) fn close(&mut self, emit: &mut dyn FnMut(Event)) {
        let last = self.last;
        for (defect, start, track) in self.open.drain(..) {
            let mut details = Details::new();
            details.insert("closed_by".into(), "pipeline".into());
            let i = (self.inst.iter())
                .position(|x| x.stream == track)
                .unwrap_or(0);
            self.inst[i].out.span(
                &defect,
                crate::detect::SpanChange::Ended {
                    start,
                    end: last.max(start),
                },
                last,
                details,
            );
        }
        for x in &mut self.inst {
            for ev in x.out.drain() {
                self.rep.events += 1;
                emit(ev);
            }
        }
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
