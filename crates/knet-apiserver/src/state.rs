//! The server's shared state: the store, the window of recent events that feeds every watch, the admin token, the
//! Service allocator, and the shutdown signal. One `Arc<State>` is shared by every connection.
//!
//! ```text
//!  [handler] --write--> [Store] --commit hook (writer lock held, resourceVersion order)--> RecentEvents (bounded)
//!                                                                                            |<--after(rv)-- [watch] ...
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use knet_apimachinery::resources::{RESOURCES, ResourceType};
use knet_apimachinery::status::{self, Status};
use knet_store::{Event, ObjectKey, Store};
use tokio::sync::watch;

use crate::alloc::{Allocator, Ranges};
use crate::recent::{RecentEvents, WindowLimits};
use crate::util;

/// Everything a request handler needs.
pub struct State {
    pub(crate) store: Store,
    pub(crate) recent: Arc<RecentEvents>,
    pub(crate) token: String,
    allocator: Mutex<Allocator>,
    shutdown: watch::Sender<bool>,
    pub(crate) timing: Timing,
    /// The JSON of the last object a watch sent as plain JSON, by resourceVersion: every watcher of that event
    /// sends the same bytes, so the first one renders them for all.
    pub(crate) last_rendered: Mutex<Option<(u64, hyper::body::Bytes)>>,
}

/// The server's waits and intervals. [`Timing::default`] is kube-apiserver's; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How often an idle watch that asked for bookmarks gets one.
    pub bookmark_interval: Duration,
    /// How long a watch without `timeoutSeconds` lasts.
    pub default_watch_timeout: Duration,
    /// How long a read waits for a resourceVersion the store has not reached before it answers 504 "Too large
    /// resource version" (kube-apiserver's watch cache waits 3 s for its freshness).
    pub freshness_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            bookmark_interval: Duration::from_secs(60),
            default_watch_timeout: Duration::from_secs(30 * 60),
            freshness_wait: Duration::from_secs(3),
        }
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("store", &self.store).finish_non_exhaustive()
    }
}

impl State {
    /// The state over `store`, accepting `token`: installs the store's commit hook and rebuilds the Service
    /// allocator from the stored Services.
    pub fn new(store: Store, token: String) -> Result<Arc<State>, knet_store::Error> {
        State::with_timing(store, token, Timing::default())
    }

    /// [`State::new`] with other waits and intervals.
    pub fn with_timing(store: Store, token: String, timing: Timing) -> Result<Arc<State>, knet_store::Error> {
        let recent = Arc::new(RecentEvents::new(WindowLimits::default(), store.current_revision()));
        let window = Arc::clone(&recent);
        store.set_commit_hook(Some(Box::new(move |event: &Event| window.push(event.clone(), event.size))));
        let seed =
            util::random_bytes(8).map_or(0x9e37_79b9_7f4a_7c15, |b| u64::from_le_bytes(b.try_into().unwrap_or([7; 8])));
        let mut allocator = Allocator::new(Ranges::default(), seed);
        let services = store_resource(service_resource());
        let mut continue_token = None;
        loop {
            let page = store.list(&services, None, continue_token.as_deref(), Some(500))?;
            for service in &page.items {
                allocator.mark(service);
            }
            match page.continue_token {
                Some(token) => continue_token = Some(token),
                None => break,
            }
        }
        let (shutdown, _) = watch::channel(false);
        Ok(Arc::new(State {
            store,
            recent,
            token,
            allocator: Mutex::new(allocator),
            shutdown,
            timing,
            last_rendered: Mutex::new(None),
        }))
    }

    /// Ends every watch stream (at shutdown), so connections can close.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Waits, up to `Timing::freshness_wait`, for the store to reach resourceVersion `wanted`, woken by each commit,
    /// then answers kube-apiserver's 504 "Too large resource version" if it has not. Reads run on the blocking pool
    /// and wait with `Handle::block_on`; watches await it.
    pub(crate) async fn wait_for_revision(&self, wanted: u64) -> Result<(), Status> {
        let mut newest = self.recent.subscribe();
        let reached = async {
            while self.store.current_revision() < wanted {
                if newest.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(self.timing.freshness_wait, reached).await;
        match self.store.current_revision() {
            current if current < wanted => Err(status::too_large_resource_version(wanted, current)),
            _ => Ok(()),
        }
    }

    pub(crate) fn allocator(&self) -> MutexGuard<'_, Allocator> {
        self.allocator.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The store's name for a resource: `services`, `apps/deployments`.
pub fn store_resource(resource: &ResourceType) -> String {
    if resource.group.is_empty() {
        resource.plural.to_owned()
    } else {
        format!("{}/{}", resource.group, resource.plural)
    }
}

/// The store key of an object.
pub fn key(resource: &ResourceType, namespace: Option<&str>, name: &str) -> ObjectKey {
    let store_resource = store_resource(resource);
    match namespace.filter(|_| resource.namespaced) {
        Some(namespace) => ObjectKey::namespaced(store_resource, namespace, name),
        None => ObjectKey::cluster(store_resource, name),
    }
}

fn find(group: &str, plural: &str) -> &'static ResourceType {
    RESOURCES.iter().find(|r| r.group == group && r.plural == plural).unwrap_or(&RESOURCES[0])
}

/// The Service resource of the registry.
pub fn service_resource() -> &'static ResourceType {
    find("", "services")
}

/// The Pod resource of the registry.
pub fn pod_resource() -> &'static ResourceType {
    find("", "pods")
}

/// The Namespace resource of the registry.
pub fn namespace_resource() -> &'static ResourceType {
    find("", "namespaces")
}
