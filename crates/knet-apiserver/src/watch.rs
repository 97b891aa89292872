//! Watch streams: `?watch=true` answers a chunked stream of JSON lines `{"type":"ADDED","object":{...}}`, fed by the
//! broadcast of committed events.
//!
//! A watch is a small state machine:
//!
//! 1. **Subscribe** to the broadcast first, so no event committed from now on can be missed.
//! 2. **Start**: without a resourceVersion (or with "0", or `sendInitialEvents=true`) the current state is listed and
//!    sent as ADDED events, and the stream continues after the list's resourceVersion. With resourceVersion N, the
//!    store's history after N is replayed; a version older than the history answers an ERROR event with a 410
//!    `Status` (kube-apiserver's watch cache does the same), and the client lists again. A version newer than the
//!    store's is waited for a moment (`Timing::freshness_wait`), then answered with an ERROR event carrying
//!    kube-apiserver's 504 "Too large resource version", so the client retries instead of hanging.
//! 3. **Stream** live events newer than the last one sent, read from the window of recent events
//!    (`recent::RecentEvents`) after this watch's cursor, filtered by resource, namespace and selectors. An
//!    object that stops matching the selectors is sent as DELETED, one that starts matching as ADDED, judged as
//!    kube-apiserver judges them, by the state each write replaced (the store keeps it in the history); an object
//!    that matched neither before nor after is not sent at all. Only for history older than that (written by a
//!    store without it) does the watch fall back on what it sent: a change that leaves the selectors from a state
//!    it never saw is sent as DELETED, since the client may hold the object. A watch whose cursor fell out of the
//!    window catches up from the store's history, a bounded page at a time; an idle one gets a BOOKMARK every
//!    `bookmark_interval` when it asked with `allowWatchBookmarks`.
//!
//!    What a watch sends waits in its own `body::ChunkQueue`, bounded in events and bytes. A client that leaves
//!    the queue full for [`SLOW_CLIENT_PATIENCE`] is too slow: as kube-apiserver does with a watcher that cannot
//!    keep up, the watch is closed (its stream aborted, its queue dropped) and the client watches again from the
//!    last resourceVersion it saw, or lists again when that is gone from the history.
//! 4. **End** at `timeoutSeconds`, when the client goes, at shutdown, or when the client is too slow.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::body::{self, ChunkQueue, HttpResponse, PushError};
use crate::recent::Evicted;
use crate::resource::read::Selectors;
use crate::resource::{ApiRequest, Form, list_all, read, store_error, with_type};
use crate::state::{State, store_resource};
use crate::util;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use knet_apimachinery::negotiate::{Representation, Target};
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::status::{self, Status};
use knet_store::{Event, EventKind, ObjectKey};
use serde_json::{Value, json};

/// How many events a watch's output queue holds at most.
const QUEUE_EVENTS: usize = 128;
/// How many bytes a watch's output queue holds at most.
const QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// How long a watch waits for room in its queue before it judges the client too slow and closes.
pub const SLOW_CLIENT_PATIENCE: Duration = Duration::from_secs(5);
/// How many events a watch takes from the window at a time.
const WINDOW_BATCH: usize = 64;
/// How many events, and bytes of them, a watch reads from the store's history at a time when it catches up.
const CATCH_UP_EVENTS: usize = 256;
const CATCH_UP_BYTES: usize = 4 * 1024 * 1024;

/// Whether a GET of a collection is a watch.
pub fn is_watch(request: &ApiRequest) -> bool {
    request.path.name.is_none() && (request.query.flag("watch") || request.path.watch_prefix)
}

/// Where a watch starts, once its initial events are known.
struct Start {
    /// The events to send first.
    events: Vec<(EventKind, Value)>,
    /// The resourceVersion after which live events are sent.
    after: u64,
    /// The keys visible to the watcher, when the start listed them.
    visible: Option<HashSet<ObjectKey>>,
    /// An error (410 expired, 504 too large) to send instead of any event.
    error: Option<Status>,
}

/// Serves a watch.
pub async fn watch(state: Arc<State>, request: ApiRequest) -> HttpResponse {
    match prepare(&state, &request).await {
        Ok(response) => response,
        Err(status) => body::status(&status),
    }
}

async fn prepare(state: &Arc<State>, request: &ApiRequest) -> Result<HttpResponse, Status> {
    let resource = request.path.resource;
    if !resource.verbs.contains(&"watch") {
        return Err(status::method_not_allowed(resource, "watch"));
    }
    let form = Form::of(request, Target::Watch)?;
    let selectors = Selectors::of(resource, request)?;
    let namespace = request.path.namespace.clone().filter(|_| resource.namespaced);
    let bookmarks = request.query.flag("allowWatchBookmarks");
    let initial_events_end = request.query.flag("sendInitialEvents");
    let timeout = match request.query.get("timeoutSeconds").filter(|t| !t.is_empty()) {
        Some(text) => Duration::from_secs(
            text.parse::<u64>().map_err(|_| status::bad_request(format!("timeoutSeconds: invalid value {text:?}")))?,
        ),
        None => state.timing.default_watch_timeout,
    };
    let requested = request.query.get("resourceVersion").unwrap_or("").to_owned();
    check_options(request)?;
    if let Ok(wanted) = requested.parse::<u64>() {
        // Not reached in time: `start` answers with the 504 as the stream's ERROR event.
        let _ = state.wait_for_revision(wanted).await;
    }

    let mut start = {
        let state = Arc::clone(state);
        let selectors = selectors.clone();
        let namespace = namespace.clone();
        tokio::task::spawn_blocking(move || {
            start(&state, resource, namespace.as_deref(), &selectors, &requested, initial_events_end)
        })
        .await
        .map_err(|e| status::internal_error(&format!("watch start: {e}")))??
    };

    let (queue, body) = ChunkQueue::new(QUEUE_EVENTS, QUEUE_BYTES);
    let watcher = Watcher {
        state: Arc::clone(state),
        resource,
        namespace,
        selectors,
        form,
        bookmarks,
        queue,
        last_sent: start.after,
        listed: start.visible.is_some(),
        visible: start.visible.take().unwrap_or_default().into_iter().map(|key| (key, true)).collect(),
    };
    tokio::spawn(watcher.run(start, timeout, bookmarks && initial_events_end));
    let mut response = hyper::Response::new(body);
    let content_type = match form.representation {
        Representation::Table { .. } | Representation::PartialObjectMetadata { .. } => {
            form.representation.content_type()
        }
        _ => "application/json",
    };
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(warning) = crate::resource::deprecation(request.path.resource)
        && let Ok(value) = HeaderValue::from_str(&format!("299 - {}", Value::String(warning.to_owned())))
    {
        response.headers_mut().append("warning", value);
    }
    Ok(response)
}

/// `validateWatchOptions`: `resourceVersionMatch` only with `sendInitialEvents`, and only `NotOlderThan`.
fn check_options(request: &ApiRequest) -> Result<(), Status> {
    let matching = request.query.get("resourceVersionMatch").unwrap_or("");
    let initial_events = request.query.get("sendInitialEvents").is_some();
    let mut errors = Vec::new();
    if initial_events && matching != "NotOlderThan" {
        errors.push(read::forbidden(
            "resourceVersionMatch",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ));
    }
    if !matching.is_empty() {
        if !initial_events {
            errors.push(read::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        if matching != "NotOlderThan" {
            errors.push(knet_object::FieldError {
                kind: knet_object::FieldErrorKind::NotSupported,
                field: "resourceVersionMatch".to_owned(),
                value: Some(format!("{matching:?}")),
                detail: r#"supported values: "NotOlderThan""#.to_owned(),
            });
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(status::invalid("ListOptions", "meta.k8s.io", "", &errors)),
    }
}

fn start(
    state: &State,
    resource: &'static ResourceType,
    namespace: Option<&str>,
    selectors: &Selectors,
    requested: &str,
    send_initial_events: bool,
) -> Result<Start, Status> {
    if requested.is_empty() || requested == "0" || send_initial_events {
        let (items, after) = list_all(&state.store, resource, namespace, selectors)?;
        let store_resource = store_resource(resource);
        let visible = items.iter().map(|item| object_key(&store_resource, item)).collect();
        let events = items.into_iter().map(|item| (EventKind::Added, item)).collect();
        return Ok(Start { events, after, visible: Some(visible), error: None });
    }
    let after: u64 = requested.parse().map_err(|_| {
        status::bad_request(format!("resourceVersion: Invalid value: {requested:?}: must be an integer"))
    })?;
    let failed = |error| Start { events: Vec::new(), after, visible: None, error: Some(error) };
    let current = state.store.current_revision();
    if after > current {
        return Ok(failed(status::too_large_resource_version(after, current)));
    }
    // The history after `after` is read by the stream, from the window or a bounded page at a time from the store,
    // like any catch-up. The store's history decides what is too old, even when the window (bounded on its own
    // terms) still holds it: one read of one event tells.
    match state.store.events_page(&store_resource(resource), namespace, after, 1, 0) {
        Ok(_) => Ok(Start { events: Vec::new(), after, visible: None, error: None }),
        Err(knet_store::Error::Expired { requested, oldest }) => Ok(failed(status::gone_expired(requested, oldest))),
        Err(error) => Err(store_error(resource, "", error)),
    }
}

fn object_key(store_resource: &str, object: &Value) -> ObjectKey {
    let namespace = object.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_owned);
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_owned();
    ObjectKey { resource: store_resource.to_owned(), namespace, name }
}

/// One running watch.
struct Watcher {
    state: Arc<State>,
    resource: &'static ResourceType,
    namespace: Option<String>,
    selectors: Selectors,
    form: Form,
    bookmarks: bool,
    queue: Arc<ChunkQueue>,
    /// The newest resourceVersion this watcher has seen (sent or skipped): everything up to it is accounted for.
    last_sent: u64,
    /// Whether the client holds each object (it matched the selectors when last sent), for the objects known.
    visible: HashMap<ObjectKey, bool>,
    /// Whether the start listed every object, so that an object missing from `visible` is one the client lacks.
    listed: bool,
}

/// Why a watch ends early.
enum End {
    /// The client went away, or the stream cannot go on (its history expired, the store failed).
    Done,
    /// The client left the queue full for too long.
    TooSlow,
}

impl Watcher {
    async fn run(mut self, start: Start, timeout: Duration, initial_events_end: bool) {
        match self.stream(start, timeout, initial_events_end).await {
            Err(End::TooSlow) => self.queue.abort(),
            Ok(()) | Err(End::Done) => self.queue.finish(),
        }
    }

    /// Sends the start, then live events until the timeout or the shutdown (`Ok`), or an early end.
    async fn stream(&mut self, start: Start, timeout: Duration, initial_events_end: bool) -> Result<(), End> {
        if let Some(error) = start.error {
            return self.send_line("ERROR", error.to_json()).await;
        }
        for (kind, object) in start.events {
            self.send_object(kind, object).await?;
        }
        // The history after a requested resourceVersion comes next, from the window or the store, as live events.
        self.send_recent().await?;
        if initial_events_end {
            self.send_bookmark(true).await?;
        }
        let mut shutdown = self.state.shutdown_signal();
        // `changed` only sees a shutdown that begins after this point: a watch that starts once it has begun (a
        // client re-watching at once) ends here, or the server's drain would wait for it until its timeout.
        if *shutdown.borrow() {
            return Ok(());
        }
        let mut newest = self.state.recent.subscribe();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(self.state.timing.bookmark_interval);
        ticker.tick().await;
        loop {
            // Seen before reading, so an event committed while this watch sends wakes it again.
            newest.borrow_and_update();
            self.send_recent().await?;
            let queue = Arc::clone(&self.queue);
            tokio::select! {
                changed = newest.changed() => changed.map_err(|_| End::Done)?,
                _ = ticker.tick(), if self.bookmarks => self.send_bookmark(false).await?,
                () = &mut deadline => return Ok(()),
                _ = shutdown.changed() => return Ok(()),
                () = queue.closed() => return Err(End::Done),
            }
        }
    }

    /// Sends every event committed after the cursor: from the window, or from the store's history for what the window
    /// no longer holds.
    async fn send_recent(&mut self) -> Result<(), End> {
        loop {
            match self.state.recent.after(self.last_sent, WINDOW_BATCH) {
                Ok(batch) if batch.is_empty() => return Ok(()),
                Ok(batch) => {
                    for event in batch {
                        self.on_committed(&event).await?;
                    }
                }
                Err(Evicted) => self.catch_up().await?,
            }
        }
    }

    /// Replays the store's history after the last event seen, when the window no longer holds it, a bounded page at a
    /// time, until the window holds what follows.
    async fn catch_up(&mut self) -> Result<(), End> {
        let resource = store_resource(self.resource);
        loop {
            // Read before the page: the page holds every event of this resource up to at least this revision.
            let read_from = self.state.store.current_revision();
            let (state, resource, namespace, after) =
                (Arc::clone(&self.state), resource.clone(), self.namespace.clone(), self.last_sent);
            let page = tokio::task::spawn_blocking(move || {
                state.store.events_page(&resource, namespace.as_deref(), after, CATCH_UP_EVENTS, CATCH_UP_BYTES)
            })
            .await
            .map_err(|_| End::Done)?;
            let events = match page {
                Ok(events) => events,
                Err(knet_store::Error::Expired { requested, oldest }) => {
                    let _ = self.send_line("ERROR", status::gone_expired(requested, oldest).to_json()).await;
                    return Err(End::Done);
                }
                Err(error) => {
                    let _ = self.send_line("ERROR", status::internal_error(&error.to_string()).to_json()).await;
                    return Err(End::Done);
                }
            };
            if events.is_empty() {
                // Nothing of this resource up to `read_from`: the other resources' events before it need no reading.
                self.last_sent = self.last_sent.max(read_from);
                return Ok(());
            }
            for event in &events {
                self.on_committed(event).await?;
            }
            if self.state.recent.after(self.last_sent, 0).is_ok() {
                return Ok(());
            }
        }
    }

    async fn on_committed(&mut self, event: &Event) -> Result<(), End> {
        if event.resource_version <= self.last_sent {
            return Ok(());
        }
        self.last_sent = event.resource_version;
        if event.key.resource != store_resource(self.resource)
            || self.namespace.as_deref().is_some_and(|ns| event.key.namespace.as_deref() != Some(ns))
        {
            return Ok(());
        }
        let matches = self.selectors.matches(self.resource, &event.object);
        // Whether the client holds the object: judged, as kube-apiserver does, by the state the write replaced;
        // failing that (history from before the store kept it), by what this watch sent.
        let was_visible = match (event.kind, &event.previous) {
            (EventKind::Added, _) => Some(false),
            (_, Some(previous)) => Some(self.selectors.matches(self.resource, previous)),
            (_, None) => self.visible.get(&event.key).copied().or(self.listed.then_some(false)),
        };
        let kind = match (event.kind, matches, was_visible) {
            // A delete is judged by the object's last state, which the event carries.
            (EventKind::Deleted, _, Some(true)) | (EventKind::Deleted, true, None) => Some(EventKind::Deleted),
            (EventKind::Deleted, _, _) => None,
            (_, true, Some(true)) => Some(EventKind::Modified),
            (_, true, Some(false)) => Some(EventKind::Added),
            (kind, true, None) => Some(kind),
            (_, false, Some(true)) => Some(EventKind::Deleted),
            (_, false, Some(false)) | (EventKind::Added, false, None) => None,
            // Left the selectors, from a state this watch never saw: the client may hold the object.
            (_, false, None) => Some(EventKind::Deleted),
        };
        if matches && event.kind != EventKind::Deleted {
            self.visible.insert(event.key.clone(), true);
        } else if self.listed {
            self.visible.remove(&event.key);
        } else {
            self.visible.insert(event.key.clone(), false);
        }
        let Some(kind) = kind else { return Ok(()) };
        self.send_object(kind, event.object.clone()).await
    }

    async fn send_object(&mut self, kind: EventKind, object: Value) -> Result<(), End> {
        let rv = crate::objects::resource_version(&object).unwrap_or(0);
        self.last_sent = self.last_sent.max(rv);
        if !matches!(self.form.representation, Representation::Json) {
            let (_, shown) = self.form.object(self.resource, with_type(self.resource, object), util::now_unix());
            return self.send_line(kind.as_str(), shown).await;
        }
        // Plain JSON is the same for every watcher of the event: rendered once, shared.
        let rendered = {
            let mut last = self.state.last_rendered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match last.as_ref() {
                Some((cached, bytes)) if *cached == rv => bytes.clone(),
                _ => {
                    let bytes = Bytes::from(serde_json::to_vec(&with_type(self.resource, object)).unwrap_or_default());
                    *last = Some((rv, bytes.clone()));
                    bytes
                }
            }
        };
        let mut line = Vec::with_capacity(rendered.len() + 40);
        line.extend_from_slice(br#"{"type":""#);
        line.extend_from_slice(kind.as_str().as_bytes());
        line.extend_from_slice(br#"","object":"#);
        line.extend_from_slice(&rendered);
        line.extend_from_slice(b"}\n");
        self.push(Bytes::from(line)).await
    }

    async fn send_bookmark(&mut self, initial_events_end: bool) -> Result<(), End> {
        let mut metadata = json!({ "resourceVersion": self.last_sent.to_string() });
        if initial_events_end {
            metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
        }
        let object = json!({
            "kind": self.resource.kind,
            "apiVersion": self.resource.api_version(),
            "metadata": metadata,
        });
        self.send_line("BOOKMARK", object).await
    }

    async fn send_line(&self, kind: &str, object: Value) -> Result<(), End> {
        let mut line = serde_json::to_vec(&json!({ "type": kind, "object": object })).unwrap_or_default();
        line.push(b'\n');
        self.push(Bytes::from(line)).await
    }

    async fn push(&self, line: Bytes) -> Result<(), End> {
        self.queue.push(line, SLOW_CLIENT_PATIENCE).await.map_err(|error| match error {
            PushError::Closed => End::Done,
            PushError::Full => End::TooSlow,
        })
    }
}
