//! Watch streams: `?watch=true` answers a chunked stream of JSON lines `{"type":"ADDED","object":{...}}`, fed by the
//! broadcast of committed events.
//!
//! A watch is a small state machine:
//!
//! 1. **Subscribe** to the broadcast first, so no event committed from now on can be missed.
//! 2. **Start**: without a resourceVersion (or with "0", or `sendInitialEvents=true`) the current state is listed and
//!    sent as ADDED events, and the stream continues after the list's resourceVersion. With resourceVersion N, the
//!    store's history after N is replayed; a version older than the history answers an ERROR event with a 410
//!    `Status` (kube-apiserver's watch cache does the same), and the client lists again.
//! 3. **Stream** live events newer than the last one sent, filtered by resource, namespace and selectors. An
//!    object that stops matching the selectors is sent as DELETED, one that starts matching as ADDED, judged as
//!    kube-apiserver judges them, by the state each write replaced (the store keeps it in the history); an object
//!    that matched neither before nor after is not sent at all. Only for history older than that (written by a
//!    store without it) does the watch fall back on what it sent: a change that leaves the selectors from a state
//!    it never saw is sent as DELETED, since the client may hold the object. A watcher
//!    that fell behind the broadcast catches up from the store's history; an idle one gets a BOOKMARK every
//!    `bookmark_interval` when it asked with `allowWatchBookmarks`.
//! 4. **End** at `timeoutSeconds`, when the client goes, or at shutdown.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use knet_apimachinery::negotiate::{Representation, Target};
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::status::{self, Status};
use knet_store::{Event, EventKind, ObjectKey};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::body::{self, HttpResponse, ResponseBody};
use crate::resource::read::Selectors;
use crate::resource::{ApiRequest, Form, list_all, store_error, with_type};
use crate::state::{State, store_resource};
use crate::util;

/// Whether a GET of a collection is a watch.
pub fn is_watch(request: &ApiRequest) -> bool {
    request.path.name.is_none() && (request.query.flag("watch") || request.path.watch_prefix)
}

/// Where a watch starts, once its initial events are known.
struct Start {
    /// The events to send first.
    events: Vec<(EventKind, Value)>,
    /// The history to replay after them, judged against the selectors as live events are.
    replay: Vec<Event>,
    /// The resourceVersion after which live events are sent.
    after: u64,
    /// The keys visible to the watcher, when the start listed them.
    visible: Option<HashSet<ObjectKey>>,
    /// A 410 to send instead of any event.
    expired: Option<Status>,
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
        None => state.default_watch_timeout,
    };
    let requested = request.query.get("resourceVersion").unwrap_or("").to_owned();
    let receiver = state.events.subscribe();

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

    let (sender, chunks) = mpsc::channel::<Bytes>(64);
    let watcher = Watcher {
        state: Arc::clone(state),
        resource,
        namespace,
        selectors,
        form,
        bookmarks,
        sender,
        last_sent: start.after,
        listed: start.visible.is_some(),
        visible: start.visible.take().unwrap_or_default().into_iter().map(|key| (key, true)).collect(),
    };
    tokio::spawn(watcher.run(start, receiver, timeout, bookmarks && initial_events_end));
    let mut response = hyper::Response::new(ResponseBody::Stream(chunks));
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
        return Ok(Start { events, replay: Vec::new(), after, visible: Some(visible), expired: None });
    }
    let after: u64 = requested.parse().map_err(|_| {
        status::bad_request(format!("resourceVersion: Invalid value: {requested:?}: must be an integer"))
    })?;
    match state.store.events_since(&store_resource(resource), namespace, after) {
        Ok(replay) => Ok(Start { events: Vec::new(), replay, after, visible: None, expired: None }),
        Err(knet_store::Error::Expired { requested, oldest }) => Ok(Start {
            events: Vec::new(),
            replay: Vec::new(),
            after,
            visible: None,
            expired: Some(status::gone_expired(requested, oldest)),
        }),
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
    sender: mpsc::Sender<Bytes>,
    /// The newest resourceVersion this watcher has seen (sent or skipped): everything up to it is accounted for.
    last_sent: u64,
    /// Whether the client holds each object (it matched the selectors when last sent), for the objects known.
    visible: HashMap<ObjectKey, bool>,
    /// Whether the start listed every object, so that an object missing from `visible` is one the client lacks.
    listed: bool,
}

/// Why a watch ends.
enum End {
    /// The client went away, the timeout passed, or the server shuts down.
    Done,
}

impl Watcher {
    async fn run(
        mut self,
        start: Start,
        mut receiver: broadcast::Receiver<Arc<Event>>,
        timeout: Duration,
        initial_events_end: bool,
    ) {
        if let Some(expired) = start.expired {
            let _ = self.send_line("ERROR", expired.to_json()).await;
            return;
        }
        for (kind, object) in start.events {
            if self.send_object(kind, object).await.is_err() {
                return;
            }
        }
        for event in start.replay {
            if self.on_committed(&event).await.is_err() {
                return;
            }
        }
        if initial_events_end && self.send_bookmark(true).await.is_err() {
            return;
        }
        let mut shutdown = self.state.shutdown_signal();
        // `changed` only sees a shutdown that begins after this point: a watch that starts once it has begun (a
        // client re-watching at once) ends here, or the server's drain would wait for it until its timeout.
        if *shutdown.borrow() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(self.state.bookmark_interval);
        ticker.tick().await;
        loop {
            let step = tokio::select! {
                received = receiver.recv() => self.on_event(received).await,
                _ = ticker.tick(), if self.bookmarks => self.send_bookmark(false).await,
                () = &mut deadline => Err(End::Done),
                _ = shutdown.changed() => Err(End::Done),
                () = self.sender.closed() => Err(End::Done),
            };
            if step.is_err() {
                return;
            }
        }
    }

    async fn on_event(&mut self, received: Result<Arc<Event>, broadcast::error::RecvError>) -> Result<(), End> {
        match received {
            Ok(event) => self.on_committed(&event).await,
            Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await,
            Err(broadcast::error::RecvError::Closed) => Err(End::Done),
        }
    }

    /// Replays the store's history after the last event seen, when the broadcast dropped events for this watcher.
    async fn catch_up(&mut self) -> Result<(), End> {
        let state = Arc::clone(&self.state);
        let resource = store_resource(self.resource);
        let namespace = self.namespace.clone();
        let after = self.last_sent;
        let events =
            tokio::task::spawn_blocking(move || state.store.events_since(&resource, namespace.as_deref(), after))
                .await
                .map_err(|_| End::Done)?;
        match events {
            Ok(events) => {
                for event in events {
                    self.on_committed(&event).await?;
                }
                Ok(())
            }
            Err(knet_store::Error::Expired { requested, oldest }) => {
                let _ = self.send_line("ERROR", status::gone_expired(requested, oldest).to_json()).await;
                Err(End::Done)
            }
            Err(error) => {
                let _ = self.send_line("ERROR", status::internal_error(&error.to_string()).to_json()).await;
                Err(End::Done)
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
        self.sender.send(Bytes::from(line)).await.map_err(|_| End::Done)
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
        self.sender.send(Bytes::from(line)).await.map_err(|_| End::Done)
    }
}
