//! Events expire, as kube-apiserver's `--event-ttl` makes them (one hour by default): an Event not written for the TTL
//! is deleted. Without it every pod start, probe and rollout would leave Events behind for ever, and the store would
//! grow with the cluster's age instead of its size.
//!
//! kube-apiserver gives each Event an etcd lease renewed at every write; knet has no leases, so a sweep every minute
//! deletes the Events whose last write (the latest of `lastTimestamp`, `eventTime`, `series.lastObservedTime` and
//! `creationTimestamp`) is older than the TTL, each with its resourceVersion as a precondition so a concurrent update
//! (a repeat of the event) wins.

use std::sync::Arc;
use std::time::Duration;

use knet_apimachinery::resources;
use knet_apimachinery::table::parse_rfc3339;
use serde_json::Value;
use tokio::sync::watch;

use crate::objects::resource_version;
use crate::resource::list_all;
use crate::resource::read::Selectors;
use crate::state::{State, key};

/// How long an Event lives after its last write (kube-apiserver's `--event-ttl` default).
pub const EVENT_TTL: Duration = Duration::from_secs(60 * 60);
/// How often the sweep runs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Whether `event` was last written more than `ttl` before `now` (Unix seconds). An Event without any timestamp knet
/// can read is kept: it cannot be judged.
pub fn expired(event: &Value, now: i64, ttl: Duration) -> bool {
    let last_write = ["/lastTimestamp", "/eventTime", "/series/lastObservedTime", "/metadata/creationTimestamp"]
        .iter()
        .filter_map(|pointer| event.pointer(pointer).and_then(Value::as_str).and_then(parse_rfc3339))
        .max();
    let ttl = i128::from(u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX)) * 1_000_000_000;
    last_write.is_some_and(|nanos| nanos + ttl < i128::from(now) * 1_000_000_000)
}

/// Sweeps expired Events every minute until `stopped` turns true.
pub async fn expire_events(state: Arc<State>, ttl: Duration, mut stopped: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.changed() => return,
        }
        let state = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || sweep(&state, ttl)).await;
    }
}

/// Deletes the expired Events; returns how many went.
pub fn sweep(state: &State, ttl: Duration) -> usize {
    let Some(events) = resources::by_path("", "v1", "events") else { return 0 };
    let Ok((items, _)) = list_all(&state.store, events, None, &Selectors::everything()) else { return 0 };
    let now = crate::util::now_unix();
    items
        .iter()
        .filter(|event| expired(event, now, ttl))
        .filter(|event| {
            let namespace = event.pointer("/metadata/namespace").and_then(Value::as_str);
            let name = event.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            // A write in between (the event repeated) makes the precondition fail: that one stays.
            state.store.delete(&key(events, namespace, name), resource_version(event)).is_ok()
        })
        .count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_event_expires_an_hour_after_its_last_write() {
        let now = 1_800_000_000; // 2027-01-15T08:00:00Z
        let at = |seconds_ago: i64| crate::util::rfc3339(now - seconds_ago);
        let created_long_ago = json!({ "metadata": { "creationTimestamp": at(7200) } });
        assert!(expired(&created_long_ago, now, EVENT_TTL));
        let repeated_lately = json!({ "metadata": { "creationTimestamp": at(7200) }, "lastTimestamp": at(60) });
        assert!(!expired(&repeated_lately, now, EVENT_TTL), "a repeat renews it");
        let series = json!({ "metadata": { "creationTimestamp": at(7200) }, "series": { "lastObservedTime": at(10) } });
        assert!(!expired(&series, now, EVENT_TTL));
        assert!(!expired(&json!({ "metadata": { "creationTimestamp": at(3599) } }), now, EVENT_TTL));
        assert!(!expired(&json!({ "metadata": {} }), now, EVENT_TTL), "no timestamp: kept");
        assert!(!expired(&json!({ "lastTimestamp": "yesterday" }), now, EVENT_TTL));
    }
}
