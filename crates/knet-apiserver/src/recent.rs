//! The window of recently committed events that live watches read: kube-apiserver's watch cache, reduced to what one
//! server needs. The store's commit hook appends every event, in resourceVersion order; each watch keeps only the
//! resourceVersion it has reached and reads the events after it.
//!
//! ```text
//!  commit hook --push--> [ rv 812 | rv 813 | ... | rv 940 ]  --after(rv)--> watch (a cursor, not a copy)
//!                          oldest evicted first, beyond the event or byte bound
//!  a watch whose cursor fell out of the window reads the store's history instead, page by page
//! ```
//!
//! The window is bounded in events and in bytes, because one event of a large object (a 1 MiB ConfigMap carries its
//! new and its replaced state) weighs as much as thousands of small ones. Nothing else holds events for a watch, so
//! a watch that stops reading costs the server its cursor and its own bounded output queue, never a growing buffer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use knet_store::Event;
use tokio::sync::watch;

/// How much the window holds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimits {
    /// Events.
    pub events: usize,
    /// Bytes of the events' JSON (new and replaced state).
    pub bytes: usize,
}

impl Default for WindowLimits {
    fn default() -> Self {
        WindowLimits { events: 4096, bytes: 32 * 1024 * 1024 }
    }
}

/// The recent events, and a signal of the newest resourceVersion for watches that wait.
#[derive(Debug)]
pub struct RecentEvents {
    window: Mutex<Window>,
    newest: watch::Sender<u64>,
    limits: WindowLimits,
}

#[derive(Debug, Default)]
struct Window {
    /// Consecutive resourceVersions, oldest first (every committed write is one event, so they are dense).
    events: VecDeque<(Arc<Event>, usize)>,
    bytes: usize,
}

/// The window no longer holds the event after the cursor: it was evicted, the reader must use the store's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evicted;

impl RecentEvents {
    /// An empty window whose events will follow resourceVersion `current`.
    pub fn new(limits: WindowLimits, current: u64) -> RecentEvents {
        let (newest, _) = watch::channel(current);
        RecentEvents { window: Mutex::new(Window::default()), newest, limits }
    }

    /// Appends the event just committed (`bytes`: the size of its JSON), evicting the oldest events beyond the bounds,
    /// and wakes the watches. Called in resourceVersion order, by the store's commit hook.
    pub fn push(&self, event: Event, bytes: usize) {
        let rv = event.resource_version;
        {
            let mut window = self.lock();
            if window.events.back().is_some_and(|(last, _)| last.resource_version + 1 != rv) {
                // A gap (cannot happen with one writer): start over rather than hand out a wrong sequence.
                window.events.clear();
                window.bytes = 0;
            }
            window.bytes += bytes;
            window.events.push_back((Arc::new(event), bytes));
            while window.events.len() > self.limits.events.max(1)
                || (window.bytes > self.limits.bytes && window.events.len() > 1)
            {
                if let Some((_, evicted)) = window.events.pop_front() {
                    window.bytes -= evicted;
                }
            }
        }
        self.newest.send_replace(rv);
    }

    /// Up to `max` events after resourceVersion `after`, oldest first; empty when there is none yet, [`Evicted`] when
    /// the next one is no longer held.
    pub fn after(&self, after: u64, max: usize) -> Result<Vec<Arc<Event>>, Evicted> {
        let window = self.lock();
        let Some((oldest, _)) = window.events.front() else {
            return if after >= *self.newest.borrow() { Ok(Vec::new()) } else { Err(Evicted) };
        };
        let oldest = oldest.resource_version;
        if after + 1 < oldest {
            return Err(Evicted);
        }
        let skip = usize::try_from(after + 1 - oldest).unwrap_or(usize::MAX);
        Ok(window.events.iter().skip(skip).take(max).map(|(event, _)| Arc::clone(event)).collect())
    }

    /// A receiver of the newest resourceVersion, to wait for events.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.newest.subscribe()
    }

    /// How many events and bytes the window holds now.
    #[cfg(test)]
    pub fn size(&self) -> (usize, usize) {
        let window = self.lock();
        (window.events.len(), window.bytes)
    }

    fn lock(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use knet_store::{EventKind, ObjectKey};
    use serde_json::json;

    use super::*;

    fn event(rv: u64) -> Event {
        Event {
            kind: EventKind::Added,
            key: ObjectKey::namespaced("configmaps", "default", format!("cm-{rv}")),
            object: json!({ "metadata": { "resourceVersion": rv.to_string() } }),
            resource_version: rv,
            previous: None,
            size: 100,
        }
    }

    fn rvs(events: &[Arc<Event>]) -> Vec<u64> {
        events.iter().map(|e| e.resource_version).collect()
    }

    #[test]
    fn reads_after_a_cursor_and_evicts_by_count_and_bytes() {
        let recent = RecentEvents::new(WindowLimits { events: 4, bytes: 1000 }, 10);
        assert_eq!(recent.after(10, 10), Ok(Vec::new()), "nothing yet after the start");
        assert_eq!(recent.after(9, 10), Err(Evicted), "before the start");
        for rv in 11..=16 {
            recent.push(event(rv), 100);
        }
        assert_eq!(recent.size(), (4, 400), "the count bound");
        assert_eq!(rvs(&recent.after(12, 10).unwrap()), [13, 14, 15, 16]);
        assert_eq!(rvs(&recent.after(14, 1).unwrap()), [15]);
        assert_eq!(recent.after(16, 10), Ok(Vec::new()));
        assert_eq!(recent.after(11, 10), Err(Evicted), "rv 12 was evicted");
        recent.push(event(17), 900);
        assert_eq!(recent.size(), (2, 1000), "the byte bound evicts the oldest");
        recent.push(event(18), 5000);
        assert_eq!(recent.size(), (1, 5000), "an event larger than the bound is still held alone");
        assert_eq!(rvs(&recent.after(17, 10).unwrap()), [18]);
        assert_eq!(*recent.subscribe().borrow(), 18);
    }
}
