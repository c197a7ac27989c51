//! The snapshot thread's state: keeps the history of pictures and writes the PNG files of the
//! snapshots the sink side asks for, once the picture they need has arrived.

use std::path::PathBuf;

use super::history::History;
use super::{SnapshotConfig, SnapshotNames};
use crate::media::{MediaTime, VideoFrame};

/// A snapshot to write: the picture at `start`.
pub(crate) struct Request {
    pub(crate) start: MediaTime,
    pub(crate) names: SnapshotNames,
}

/// What the snapshot thread did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SnapshotStats {
    pub(crate) written: u64,
    pub(crate) failed: u64,
}

pub(crate) struct SnapshotWorker {
    history: History,
    dir: PathBuf,
    pending: Vec<Request>,
    ended: bool,
    pub(crate) stats: SnapshotStats,
}

impl SnapshotWorker {
    pub(crate) fn new(cfg: &SnapshotConfig) -> Self {
        if let Err(e) = std::fs::create_dir_all(&cfg.dir) {
            log::warn!(
                "snapshot directory {} cannot be created: {e}",
                cfg.dir.display()
            );
        }
        SnapshotWorker {
            history: History::new(cfg.max_width, cfg.history),
            dir: cfg.dir.clone(),
            pending: Vec::new(),
            ended: false,
            stats: SnapshotStats::default(),
        }
    }

    /// A new picture: kept, and any request it completes is served.
    pub(crate) fn frame(&mut self, f: &VideoFrame) {
        self.history.push(f);
        self.serve_ready();
    }

    /// A request from the sink side: served now if its picture is here, else when it comes.
    pub(crate) fn request(&mut self, r: Request) {
        self.pending.push(r);
        self.serve_ready();
    }

    /// No more pictures: serve everything with what there is.
    pub(crate) fn finish(&mut self) {
        self.ended = true;
        self.serve_ready();
    }

    fn serve_ready(&mut self) {
        let newest = self.history.newest();
        let mut i = 0;
        while i < self.pending.len() {
            // The picture at `start` is certain once a later one has arrived.
            let ready = self.ended || newest.is_some_and(|n| n > self.pending[i].start);
            if ready {
                let r = self.pending.swap_remove(i);
                self.write(&r);
            } else {
                i += 1;
            }
        }
    }

    fn write(&mut self, r: &Request) {
        let Some((at, before)) = self.history.at(r.start) else {
            log::warn!("no picture for snapshot {} (no video)", r.names.frame);
            self.stats.failed += 1;
            return;
        };
        let mut jobs = vec![(at, &r.names.frame)];
        if let (Some(b), Some(name)) = (before, &r.names.previous) {
            jobs.push((b, name));
        }
        for (i, name) in jobs {
            let path = self.dir.join(name);
            match self.history.save(i, &path) {
                Ok(()) => self.stats.written += 1,
                Err(e) => {
                    log::warn!("snapshot {} not written: {e}", path.display());
                    self.stats.failed += 1;
                }
            }
        }
    }
}
