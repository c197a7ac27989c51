//! A queue from a stream's core to one of a Pipeline's detector threads (or its snapshot
//! thread), with the [`OverloadPolicy`] applied when it is full.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, SendTimeoutError, Sender, TrySendError};

use super::item::Item;
use super::OverloadPolicy;
use crate::detect::Wants;
use crate::media::Media;
use crate::stop::StopSignal;

/// An item in a lane, with the instant it was queued (how long it waited is its lag).
pub(crate) type Queued = (Instant, Item);

/// One thread's queue, seen from the core that fills it.
pub(crate) struct Lane {
    tx: Sender<Queued>,
    /// A receiver clone, so the sender can drop the oldest item under [`OverloadPolicy::DropOldest`].
    rx: Receiver<Queued>,
    policy: OverloadPolicy,
    stop: StopSignal,
    /// What any of its members wants.
    wants: Wants,
    /// What each member wants, and how many items it lost to a full queue.
    members: Vec<(Wants, u64)>,
    /// Items the receiving thread dropped for lag (per member that wanted them).
    lag_lost: Arc<AtomicU64>,
}

impl Lane {
    /// A lane of `capacity` items for members wanting `members`; the receiving end, and the
    /// counter the receiver adds its lag drops to.
    pub(crate) fn new(
        capacity: usize,
        members: &[Wants],
        policy: OverloadPolicy,
        stop: &StopSignal,
    ) -> (Self, Receiver<Queued>, Arc<AtomicU64>) {
        let (tx, rx) = bounded::<Queued>(capacity);
        let lag_lost = Arc::new(AtomicU64::new(0));
        let lane = Lane {
            tx,
            rx: rx.clone(),
            policy,
            stop: stop.clone(),
            wants: members.iter().fold(Wants::default(), |a, &w| a | w),
            members: members.iter().map(|&w| (w, 0)).collect(),
            lag_lost: lag_lost.clone(),
        };
        (lane, rx, lag_lost)
    }

    /// What any member wants.
    pub(crate) fn wants(&self) -> Wants {
        self.wants
    }

    /// Items lost so far (full queue or lag), counted once per member that wanted them.
    pub(crate) fn dropped(&self) -> u64 {
        self.members.iter().map(|m| m.1).sum::<u64>() + self.lag_lost.load(Ordering::Relaxed)
    }

    /// Items each member lost to a full queue.
    pub(crate) fn member_drops(&self) -> Vec<u64> {
        self.members.iter().map(|m| m.1).collect()
    }

    /// Sends an item that must arrive (a discontinuity, the end), waiting for room.
    pub(crate) fn send_now(&self, item: Item) {
        let _ = self.tx.send((Instant::now(), item));
    }

    /// Offers a decoded item, queued at `at`, under the lane's overload policy.
    pub(crate) fn offer(&mut self, at: Instant, media: Media) {
        let msg = (at, Item::Media(media));
        match self.policy {
            OverloadPolicy::Block => self.send_blocking(msg),
            OverloadPolicy::DropOldest => self.send_dropping(msg),
        }
    }

    /// A blocked send still notices a stop request, so a stalled detector cannot hang it.
    fn send_blocking(&mut self, msg: Queued) {
        let mut msg = msg;
        loop {
            match self.tx.send_timeout(msg, Duration::from_millis(100)) {
                Ok(()) => return,
                Err(SendTimeoutError::Timeout(m)) => {
                    if self.stop.is_stopped() {
                        if let (_, Item::Media(media)) = &m {
                            self.lost(media);
                        }
                        return;
                    }
                    msg = m;
                }
                Err(SendTimeoutError::Disconnected(_)) => return,
            }
        }
    }

    fn send_dropping(&mut self, msg: Queued) {
        let mut msg = msg;
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => return,
                Err(TrySendError::Full(m)) => {
                    msg = m;
                    match self.rx.try_recv() {
                        Ok((_, Item::Media(old))) => self.lost(&old),
                        // Not a frame: it must still arrive; it goes after this item.
                        Ok(other) => {
                            let _ = self.tx.send(msg);
                            let _ = self.tx.send(other);
                            return;
                        }
                        Err(_) => {}
                    }
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    }

    /// Counts `media` as lost for every member that wanted it.
    fn lost(&mut self, media: &Media) {
        for (w, n) in &mut self.members {
            if w.accepts(media) {
                *n += 1;
            }
        }
    }
}
