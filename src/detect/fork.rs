//! Forking a detector built from config: a new instance for another stream of its kind.

use std::sync::Arc;

use serde_json::Value;

use crate::detect::events::Events;
use crate::detect::{Detector, Wants};
use crate::error::Result;
use crate::media::{Media, MediaTime, Needs};

/// What builds a detector of one type from its config (without `type` and `name`) and a name.
pub(crate) type BuildFn = Arc<dyn Fn(Value, &str) -> Result<Box<dyn Detector>> + Send + Sync>;

/// A detector built by a [`Registry`](crate::detect::Registry), with what built it, so that
/// [`fork`](Detector::fork) builds another from the same config. Everything else is the
/// inner detector's.
pub(crate) struct Rebuildable {
    inner: Box<dyn Detector>,
    build: BuildFn,
    cfg: Value,
    name: String,
}

impl Rebuildable {
    /// `inner`, built by `build` from `cfg` as `name`; wrapped only when it judges one kind
    /// of media and cannot fork itself (else returned as it is).
    pub(crate) fn wrap(
        inner: Box<dyn Detector>,
        build: BuildFn,
        cfg: Value,
        name: &str,
    ) -> Box<dyn Detector> {
        if !inner.per_stream() {
            return inner;
        }
        Box::new(Rebuildable {
            inner,
            build,
            cfg,
            name: name.to_string(),
        })
    }
}

impl Detector for Rebuildable {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn wants(&self) -> Wants {
        self.inner.wants()
    }
    fn needs(&self) -> Needs {
        self.inner.needs()
    }
    fn process(&mut self, media: &Media, out: &mut Events) {
        self.inner.process(media, out);
    }
    fn discontinuity(&mut self, at: MediaTime, out: &mut Events) {
        self.inner.discontinuity(at, out);
    }
    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.inner.finish(at, out);
    }
    fn per_stream(&self) -> bool {
        self.inner.per_stream()
    }
    fn fork(&self) -> Option<Box<dyn Detector>> {
        if let Some(d) = self.inner.fork() {
            return Some(d);
        }
        match (self.build)(self.cfg.clone(), &self.name) {
            Ok(d) => Some(Rebuildable::wrap(
                d,
                self.build.clone(),
                self.cfg.clone(),
                &self.name,
            )),
            Err(e) => {
                log::warn!("detector `{}` could not be built again: {e}", self.name);
                None
            }
        }
    }
}
