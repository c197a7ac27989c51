//! One detector fed inline: panic isolation, open-defect bookkeeping and the closing of every
//! defect it started. Shared by the pipeline's detector threads and the monitor's stream tasks.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::item::Item;
use super::DetectorReport;
use crate::detect::{Detector, Events, Wants};
use crate::error::Error;
use crate::event::{DefectKind, Details, Event, Phase};
use crate::media::{Media, MediaTime};

/// A detector with its event buffer, report and the defects it holds open.
pub(crate) struct DetectorSlot {
    det: Box<dyn Detector>,
    wants: Wants,
    name: String,
    input: Arc<str>,
    out: Events,
    pub(crate) rep: DetectorReport,
    /// Defects started and not ended, so a panic cannot leave one open.
    open: Vec<(DefectKind, MediaTime)>,
    last: MediaTime,
    max_open: usize,
}

impl DetectorSlot {
    pub(crate) fn new(det: Box<dyn Detector>, input: &Arc<str>, max_open: usize) -> Self {
        let name = det.name().to_string();
        DetectorSlot {
            wants: det.wants(),
            out: Events::new(input, &name),
            rep: DetectorReport {
                name: name.clone(),
                ..Default::default()
            },
            det,
            name,
            input: input.clone(),
            open: Vec::new(),
            last: MediaTime::ZERO,
            max_open,
        }
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
        let (det, out, rep, last) = (&mut self.det, &mut self.out, &mut self.rep, &mut self.last);
        let result = catch_unwind(AssertUnwindSafe(|| match item {
            Item::Media(m) => {
                match m {
                    Media::Video(_) => rep.video_frames += 1,
                    Media::Audio(_) => rep.audio_frames += 1,
                    Media::Notice(_) => {}
                }
                *last = (*last).max(m.time());
                det.process(m, out);
            }
            Item::Discontinuity(t) => det.discontinuity(*t, out),
            Item::Finish(t) => {
                *last = (*last).max(*t);
                det.finish(*last, out);
            }
        }));
        if let Err(p) = result {
            let message = panic_message(&*p);
            log::error!(
                "detector `{}` on `{}` panicked: {message}; it is disabled for this input",
                self.name,
                self.input
            );
            self.out.notice(
                "detector_panicked",
                format!("detector `{}` panicked: {message}", self.name),
                self.last,
            );
            self.rep.panicked = Some(message);
        }
        let mut limit = None;
        for ev in self.out.drain() {
            if let Event::Defect(d) = &ev {
                match d.phase {
                    Phase::Start => {
                        self.open.push((d.defect.clone(), d.start));
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
                        if let Some(i) = self
                            .open
                            .iter()
                            .position(|(k, s)| *k == d.defect && *s == d.start)
                        {
                            self.open.swap_remove(i);
                        }
                    }
                }
            }
            self.rep.events += 1;
            emit(ev);
        }
        limit
    }

    /// Ends every defect still open (the detector panicked or did not close its spans) and
    /// emits what is left in the buffer. Call once, after [`Item::Finish`].
    pub(crate) fn close(&mut self, emit: &mut dyn FnMut(Event)) {
        let last = self.last;
        for (defect, start) in self.open.drain(..) {
            let mut details = Details::new();
            details.insert("closed_by".into(), "pipeline".into());
            self.out.span(
                &defect,
                crate::detect::SpanChange::Ended {
                    start,
                    end: last.max(start),
                },
                last,
                details,
            );
        }
        for ev in self.out.drain() {
            self.rep.events += 1;
            emit(ev);
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
