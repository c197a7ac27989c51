//! Spreading streams over instances with rendezvous (highest random weight) hashing.

/// The rendezvous score of `stream` on `instance`: FNV-1a 64 over the instance name, a 0xFF
/// byte and the stream id, then the SplitMix64 finaliser. Fixed and documented, so a router
/// written in another language can compute the same assignment.
///
/// ```
/// use avqc::monitor::rendezvous_score;
/// assert_eq!(rendezvous_score("a", "cam1"), rendezvous_score("a", "cam1"));
/// assert_ne!(rendezvous_score("a", "cam1"), rendezvous_score("b", "cam1"));
/// ```
pub fn rendezvous_score(instance: &str, stream: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in instance.bytes().chain([0xff]).chain(stream.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // SplitMix64 finaliser: spreads FNV's weak low bits.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A set of instances (service copies) that stream ids are assigned to: each stream goes to
/// the instance with the highest [`rendezvous_score`]. Deterministic (every router and every
/// instance computes the same answer with no coordination), and stable: adding an instance
/// moves only the streams it now wins (about 1/n of them); removing one moves only its own.
///
/// ```
/// use avqc::monitor::Rendezvous;
/// let r = Rendezvous::new(["qc-0", "qc-1", "qc-2"]);
/// let home = r.instance_for("cam-17").unwrap();
/// assert_eq!(r.instance_for("cam-17"), Some(home));
/// // This instance keeps only its own streams:
/// let mine: Vec<_> = ["cam-1", "cam-2", "cam-3"].into_iter().filter(|s| r.instance_for(s) == Some("qc-1")).collect();
/// # let _ = mine;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendezvous {
    instances: Vec<String>,
}

impl Rendezvous {
    /// The instances by name (duplicates are kept once).
    pub fn new<S: Into<String>>(instances: impl IntoIterator<Item = S>) -> Self {
        let mut instances: Vec<String> = instances.into_iter().map(Into::into).collect();
        instances.sort();
        instances.dedup();
        Rendezvous { instances }
    }

    /// The instances.
    pub fn instances(&self) -> &[String] {
        &self.instances
    }

    /// The instance that monitors `stream`; `None` when there is no instance.
    pub fn instance_for(&self, stream: &str) -> Option<&str> {
        self.instances
            .iter()
            .max_by_key(|i| (rendezvous_score(i, stream), std::cmp::Reverse(i.as_str())))
            .map(String::as_str)
    }

    /// Whether `instance` monitors `stream`.
    pub fn owns(&self, instance: &str, stream: &str) -> bool {
        self.instance_for(stream) == Some(instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("stream-{i}")).collect()
    }

    #[test]
    fn spreads_evenly() {
        let r = Rendezvous::new(["a", "b", "c", "d"]);
        let mut count = std::collections::HashMap::new();
        for s in ids(4000) {
            *count.entry(r.instance_for(&s).unwrap()).or_insert(0) += 1;
        }
        assert_eq!(count.len(), 4);
        for (i, n) in count {
            assert!((800..=1200).contains(&n), "instance {i} got {n} of 4000");
        }
    }

    #[test]
    fn adding_an_instance_moves_only_its_share() {
        let before = Rendezvous::new(["a", "b", "c", "d"]);
        let after = Rendezvous::new(["a", "b", "c", "d", "e"]);
        let streams = ids(5000);
        let mut moved = 0;
        for s in &streams {
            let (x, y) = (
                before.instance_for(s).unwrap(),
                after.instance_for(s).unwrap(),
            );
            if x != y {
                assert_eq!(y, "e", "{s} moved from {x} to {y}, not to the new instance");
                moved += 1;
            }
        }
        // about 1/5 move
        assert!((800..=1200).contains(&moved), "{moved} of 5000 moved");
    }

    #[test]
    fn removing_an_instance_moves_only_its_streams() {
        let before = Rendezvous::new(["a", "b", "c", "d"]);
        let after = Rendezvous::new(["a", "b", "d"]);
        let mut moved = 0;
        for s in &ids(4000) {
            let (x, y) = (
                before.instance_for(s).unwrap(),
                after.instance_for(s).unwrap(),
            );
            if x != y {
                assert_eq!(x, "c", "{s} moved from {x}, which is still there");
                moved += 1;
            }
        }
        assert!((800..=1200).contains(&moved), "{moved} of 4000 moved");
    }

    #[test]
    fn empty_and_order() {
        assert_eq!(
            Rendezvous::new(Vec::<String>::new()).instance_for("x"),
            None
        );
        let a = Rendezvous::new(["x", "y", "z"]);
        let b = Rendezvous::new(["z", "x", "y", "x"]);
        for s in ids(100) {
            assert_eq!(a.instance_for(&s), b.instance_for(&s));
        }
    }
}
