//! The languages of an input's streams, for stamping detector instances' events with them.

use std::sync::{Arc, OnceLock};

use super::report::TrackReport;
use crate::media::StreamInfo;

/// The language of each stream of one input (by stream index) and the streams, set once by whoever opens the
/// input (a Pipeline before it runs, a Monitor's reader or task when the decoder is open) and
/// read once per detector instance, when the instance meets its stream.
#[derive(Debug, Default)]
pub(crate) struct TrackTable(OnceLock<Known>);

/// The language of each stream by index, and the streams.
type Known = (Vec<Option<Arc<str>>>, Vec<StreamInfo>);

impl TrackTable {
    /// Records the streams' languages (the first call wins: a reconnected input keeps them).
    pub(crate) fn set(&self, streams: &[StreamInfo]) {
        let n = streams.iter().map(|s| s.index + 1).max().unwrap_or(0);
        let mut langs = vec![None; n];
        for s in streams {
            langs[s.index] = s.language.as_deref().map(Arc::from);
        }
        let _ = self.0.set((langs, streams.to_vec()));
    }

    /// Per-stream figures for a report: each declared stream with its `frames` and `defects`
    /// (counts by stream index).
    pub(crate) fn report(
        &self,
        frames: &[(usize, u64)],
        defects: &[(usize, u64)],
    ) -> Vec<TrackReport> {
        let of = |v: &[(usize, u64)], i: usize| v.iter().find(|x| x.0 == i).map_or(0, |x| x.1);
        let streams = self.0.get().map_or(&[][..], |t| &t.1[..]);
        streams
            .iter()
            .map(|s| TrackReport {
                index: s.index,
                kind: s.kind,
                language: s.language.clone(),
                frames: of(frames, s.index),
                defects: of(defects, s.index),
            })
            .collect()
    }

    /// The input's streams, once it is open.
    pub(crate) fn streams(&self) -> Option<&[StreamInfo]> {
        self.0.get().map(|t| &t.1[..])
    }

    /// The language of stream `index`, when known.
    pub(crate) fn language(&self, index: usize) -> Option<Arc<str>> {
        self.0.get()?.0.get(index)?.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_index_first_set_wins() {
        let t = TrackTable::default();
        assert_eq!(t.language(1), None);
        t.set(&[
            StreamInfo::video(0, "h264", 64, 64, None),
            StreamInfo::audio(2, "aac", 48_000, 2).with_language(Some("spa".into())),
        ]);
        t.set(&[StreamInfo::audio(2, "aac", 48_000, 2).with_language(Some("eng".into()))]);
        assert_eq!(t.language(2).as_deref(), Some("spa"));
        assert_eq!(t.language(0), None);
        assert_eq!(t.language(7), None);
        let r = t.report(&[(2, 30), (0, 25)], &[(2, 1)]);
        let got: Vec<_> = r.iter().map(|t| (t.index, t.frames, t.defects)).collect();
        assert_eq!(got, [(0, 25, 0), (2, 30, 1)]);
        assert_eq!(r[1].language.as_deref(), Some("spa"));
    }
}
