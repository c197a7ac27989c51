//! The values behind the families: one series per family and label set.

use std::collections::BTreeMap;

use super::families::{kind_of, FAMILIES};
use super::text::{write_family, MetricKind};

/// A series' labels, in the order they are rendered (`stream` first, then `track`, then the
/// family's own).
pub(crate) type Labels = Vec<(&'static str, String)>;

/// One series' value. A counter fed with a source's running total keeps that total's last
/// value, so a total that starts again from 0 (a stream added again under the same id) adds
/// to the counter instead of lowering it.
#[derive(Clone, Copy, Debug, Default)]
struct Series {
    value: f64,
    last_total: f64,
}

/// Every series, by family.
#[derive(Debug, Default)]
pub(crate) struct Store {
    families: BTreeMap<&'static str, BTreeMap<Labels, Series>>,
}

impl Store {
    fn series(&mut self, family: &'static str, labels: Labels) -> &mut Series {
        self.families
            .entry(family)
            .or_default()
            .entry(labels)
            .or_default()
    }

    /// Sets a gauge.
    pub(crate) fn set(&mut self, family: &'static str, labels: Labels, value: f64) {
        debug_assert_eq!(kind_of(family), MetricKind::Gauge, "{family}");
        self.series(family, labels).value = value;
    }

    /// Adds `delta` to a gauge, never going below 0.
    pub(crate) fn add_gauge(&mut self, family: &'static str, labels: Labels, delta: f64) {
        let s = self.series(family, labels);
        s.value = (s.value + delta).max(0.0);
    }

    /// Adds `delta` (negative deltas are ignored) to a counter.
    pub(crate) fn inc(&mut self, family: &'static str, labels: Labels, delta: f64) {
        debug_assert_eq!(kind_of(family), MetricKind::Counter, "{family}");
        self.series(family, labels).value += delta.max(0.0);
    }

    /// Feeds a counter with a source's running total: the counter grows by what the total
    /// grew by; a total lower than the last one started again from 0 and adds all of itself.
    pub(crate) fn total(&mut self, family: &'static str, labels: Labels, total: f64) {
        debug_assert_eq!(kind_of(family), MetricKind::Counter, "{family}");
        if !total.is_finite() || total < 0.0 {
            return;
        }
        let s = self.series(family, labels);
        let grown = if total >= s.last_total {
            total - s.last_total
        } else {
            total
        };
        s.value += grown;
        s.last_total = total;
    }

    /// A series' value.
    pub(crate) fn get(&self, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let fam = self.families.get(family)?;
        fam.iter()
            .find(|(l, _)| {
                l.len() == labels.len()
                    && l.iter()
                        .zip(labels)
                        .all(|((k, v), (qk, qv))| k == qk && v == qv)
            })
            .map(|(_, s)| s.value)
    }

    /// Drops every series of `stream`.
    pub(crate) fn forget(&mut self, stream: &str) {
        for fam in self.families.values_mut() {
            fam.retain(|l, _| !l.iter().any(|(k, v)| *k == "stream" && v == stream));
        }
    }

    /// Renders every family that has a series, in the families' order.
    pub(crate) fn render(&self, out: &mut String) {
        for f in FAMILIES {
            let Some(series) = self.families.get(f.name).filter(|s| !s.is_empty()) else {
                continue;
            };
            write_family(
                out,
                f.name,
                f.help,
                f.kind,
                series.iter().map(|(l, s)| (&l[..], s.value)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::families::{DEFECTS_TOTAL, LAG, VIDEO_FRAMES};

    fn l(stream: &str) -> Labels {
        vec![("stream", stream.to_string())]
    }

    #[test]
    fn counters_never_go_down() {
        let mut s = Store::default();
        let mut last = 0.0;
        // a running total that grows, starts again (the stream was added again), grows
        for t in [0.0, 10.0, 25.0, 3.0, 8.0, 8.0, 40.0, -1.0, f64::NAN] {
            s.total(VIDEO_FRAMES, l("a"), t);
            let v = s.get(VIDEO_FRAMES, &[("stream", "a")]).unwrap();
            assert!(v >= last, "{v} < {last} after {t}");
            last = v;
        }
        // 25 before the restart, then 8, then 40 - 8 more
        assert_eq!(last, 25.0 + 8.0 + 32.0);
        s.inc(DEFECTS_TOTAL, l("a"), 1.0);
        s.inc(DEFECTS_TOTAL, l("a"), -5.0);
        assert_eq!(s.get(DEFECTS_TOTAL, &[("stream", "a")]), Some(1.0));
    }

    #[test]
    fn gauges_follow_and_streams_are_forgotten() {
        let mut s = Store::default();
        s.set(LAG, l("a"), 2.5);
        s.set(LAG, l("a"), 0.5);
        s.set(LAG, l("b"), 1.0);
        assert_eq!(s.get(LAG, &[("stream", "a")]), Some(0.5));
        s.forget("a");
        assert_eq!(s.get(LAG, &[("stream", "a")]), None);
        assert_eq!(s.get(LAG, &[("stream", "b")]), Some(1.0));
        let mut out = String::new();
        s.render(&mut out);
        assert_eq!(
            out.matches("# TYPE avqc_stream_lag_seconds gauge").count(),
            1
        );
        assert!(
            out.contains("avqc_stream_lag_seconds{stream=\"b\"} 1\n"),
            "{out}"
        );
        assert!(!out.contains("stream=\"a\""), "{out}");
    }
}
