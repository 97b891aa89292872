//! The API server's embedded, crash-safe object store: SQLite in WAL mode, one global resourceVersion, watch history.
//!
//! knet's API server keeps every object it serves in one SQLite file in the state dir. This crate is that file's only
//! owner: it knows the schema, stamps `metadata.resourceVersion`, keeps the watch history and compacts it. It knows
//! nothing about HTTP, kinds or validation: objects are `serde_json::Value`s, addressed by an [`ObjectKey`] (the
//! resource's path segment such as `apps/deployments` or `services`, an optional namespace, a name). The API server
//! defaults, validates and authorises before it calls a write here.
//!
//! ```text
//!  [API server] --create/update/delete--> [Store] --(one SQLite transaction)--> objects + events + revision
//!       ^                                    |
//!       +------------- Event (rv n) ---------+      the caller broadcasts it to its watchers
//!  [watch ?resourceVersion=r] --events_page(r, ..)--> history (bounded by events and bytes), or Expired (410)
//!  [list ?resourceVersion=r&resourceVersionMatch=Exact] --list_at(r)--> objects at r, from objects + history
//!  [list ?continue=t] --list(t)--> the next page at the first page's resourceVersion, or Expired (410)
//! ```
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous=FULL`: a write method returns only after SQLite has committed the
//! transaction and fsynced the WAL, so an acknowledged write survives a crash of the process (`kill -9`) and of the
//! machine (power loss), and the API server may answer the client as soon as the method returns. A write that fails
//! or is interrupted leaves nothing behind: the object row, the history row and the revision counter change in one
//! transaction. `tests/crash.rs` kills a writing child process with SIGKILL and checks that every acknowledged write
//! is there and every row is whole.
//!
//! # resourceVersion
//!
//! One global counter, persisted in the `revision` table, numbers every write across all resources, as etcd's
//! revision does. Every successful write takes the next value, stores it as the string `metadata.resourceVersion`
//! inside the object's JSON, and records it with the row. The counter only moves forward: deleting objects does not
//! lower it, a rolled-back write does not consume a value, and a restart continues after the last committed value.
//! Committed values are dense (every value from 1 to [`Store::current_revision`] belongs to exactly one write), which
//! lets a broadcaster detect a missing event.
//!
//! # Watch history
//!
//! Each write appends its [`Event`] (ADDED, MODIFIED, or DELETED carrying the last state stamped with the new
//! resourceVersion, as etcd3 reports deletes) to the `events` table in the same transaction, with the state it
//! replaced and its [`Event::size`] (bytes of both JSON texts). [`Store::events_since`] replays the events of one
//! resource (optionally one namespace) after a resourceVersion, in order; [`Store::events_page`] does it in pages
//! bounded by count and bytes, so that a watcher that catches up holds one page in memory, not the history.
//!
//! The history is a contiguous range of resourceVersions ending at the revision, with two bounds, both kept by
//! deleting a prefix inside a write's transaction, so no background thread is needed:
//!
//! - [`Options::history_window`] events: every [`Options::compact_every`]-th write deletes the events older than
//!   the window, a bounded delete by primary key;
//! - [`Options::history_bytes`] of JSON text: every write keeps the history's total size beside the revision counter
//!   (in the row it updates anyway, so the total is exact after a crash and costs no scan), and a write that takes
//!   it over the budget deletes the oldest events until the rest fit, found by reading only their sizes from the
//!   oldest on. Without it, large objects made the history the biggest thing in
//!   the file: 10,607 events of 1 MB ConfigMaps held 1.87 GB.
//!
//! Asking for a resourceVersion older than the history answers [`Error::Expired`], which the API server turns into
//! `410 Gone`. The history is in the database, so it survives restarts.
//!
//! # Lists and snapshots
//!
//! [`Store::list`] without a continue token reads the current state, items and revision in one read transaction, so
//! the page's resourceVersion is exactly the state the items show and a watch from it misses nothing. Its continue
//! token carries that resourceVersion, and every later page shows the state at it, as kube-apiserver's paginated
//! lists do; [`Store::list_at`] starts a list at a given earlier resourceVersion (`resourceVersionMatch=Exact`). A
//! page at an earlier resourceVersion N is reconstructed from the history in the same read transaction: objects
//! unchanged since N as they are, and for each key changed after N, the `previous` state of its first event after N
//! (or nothing, if that event created it). It reads the keys in order and stops when the page is full, so it costs
//! the page plus the history entries of the keys it spans (see `list.rs`). Once compaction has passed N, a page at N
//! fails with [`Error::Expired`], and [`inconsistent_continue`] gives the token kube-apiserver offers instead, which
//! continues from the same key at the then current state. A resourceVersion beyond the revision is
//! [`Error::FutureResourceVersion`].
//!
//! # File size
//!
//! Deleted objects and compacted history free pages inside the file; SQLite reuses them but does not give them back.
//! The file is created with `auto_vacuum = INCREMENTAL` (an older file is converted by one `VACUUM` when it is
//! migrated to schema 3), and a write that finds more than 4 MiB and a quarter of the file free runs a bounded
//! `PRAGMA incremental_vacuum` (at most 16 MiB of pages) inside its transaction, so that a run of deletes shrinks the
//! file as it goes; the pages leave the file at the next checkpoint. SQLite's automatic checkpoints (PASSIVE: they
//! never wait for readers) stay on, and `journal_size_limit` truncates the `-wal` back to 4 MiB whenever it restarts,
//! so a burst of large writes does not leave a WAL of its peak size. After 300 objects of 1 MiB were created,
//! updated five times and deleted (`knet-store-bench churn`), the file plus WAL peaked at 373 MiB and came back to
//! 83 MiB, holding 62 MiB of history; before these bounds the file reached 3.9 GB and stayed there. None of this
//! changes durability: every commit still fsyncs the WAL.
//!
//! # Notification contract
//!
//! The store has no threads, no async runtime and no subscribers: the API server owns notification. Writes are
//! serialised (one writer connection behind a mutex), and each write method returns the [`Event`] it committed. Two
//! threads that write concurrently get their events in resourceVersion order from the store, but may reach their own
//! next line in either order; a broadcaster that needs strict order either installs a [`Store::set_commit_hook`]
//! (called with the writer lock held, after the commit, in resourceVersion order) or reorders by resourceVersion,
//! using density. A new watch subscribes to the broadcast first, then calls [`Store::events_since`], then skips
//! broadcast events it already replayed: that way no event falls between the replay and the live stream.
//!
//! # Connections
//!
//! One writer connection behind a `Mutex`, so writes never contend inside SQLite and the next resourceVersion is read
//! and written under one lock. Reads use separate connections from a small pool: in WAL mode a reader sees the last
//! committed state without waiting for a writer that is busy fsyncing, so GET latency does not include other clients'
//! write latency. Every read runs in one read transaction, so what it returns is one consistent state. [`Store`] is
//! `Send + Sync` and cloning it is cheap (an `Arc` inside); clones share the connections.
//!
//! The store expects to be the only writer of its file; the API server's state-dir lock ensures that. A second
//! process writing the same file would still get unique resourceVersions (they are read inside the write
//! transaction), but this process's [`Store::current_revision`] and notifications would not see its writes.

mod error;
mod history;
mod list;
mod schema;
mod store;
mod token;

use std::fmt;

use serde_json::Value;

pub use error::{Error, Result};
pub use store::{CommitHook, Store};
pub use token::inconsistent_continue;

/// Where an object lives: its resource, its namespace if the resource is namespaced, and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// The resource as the URL names it: `group/plural` for named groups (`apps/deployments`), the plural for the
    /// core group (`services`). The store treats it as an opaque, non-empty string.
    pub resource: String,
    /// The namespace of a namespaced object; `None` for cluster-scoped objects. Never `Some("")`.
    pub namespace: Option<String>,
    /// The object's name, non-empty.
    pub name: String,
}

impl ObjectKey {
    /// The key of a namespaced object.
    pub fn namespaced(resource: impl Into<String>, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self { resource: resource.into(), namespace: Some(namespace.into()), name: name.into() }
    }

    /// The key of a cluster-scoped object.
    pub fn cluster(resource: impl Into<String>, name: impl Into<String>) -> Self {
        Self { resource: resource.into(), namespace: None, name: name.into() }
    }
}

/// `services default/backend`, `namespaces kube-system`.
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {}/{}", self.resource, namespace, self.name),
            None => write!(f, "{} {}", self.resource, self.name),
        }
    }
}

/// What a write did, as a watch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The object was created.
    Added,
    /// The object was replaced.
    Modified,
    /// The object was deleted; the event carries its last state with the delete's resourceVersion.
    Deleted,
}

impl EventKind {
    /// The watch event type as the Kubernetes API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Added => "ADDED",
            EventKind::Modified => "MODIFIED",
            EventKind::Deleted => "DELETED",
        }
    }
}

/// One committed write.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What the write did.
    pub kind: EventKind,
    /// The object written.
    pub key: ObjectKey,
    /// The object as stored, with `metadata.resourceVersion` set to `resource_version`; for a delete, the last
    /// stored state with the delete's resourceVersion.
    pub object: Value,
    /// The resourceVersion the write took.
    pub resource_version: u64,
    /// The state the write replaced: `None` for a create, and for history written before the store kept it.
    pub previous: Option<Value>,
    /// The bytes of JSON text of `object` plus `previous` as stored, so that a watch can bound its buffers by memory
    /// without serialising the event again. It is what the event costs in the history's [`Options::history_bytes`].
    pub size: usize,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    /// The objects, ordered by namespace then name (cluster-scoped objects by name).
    pub items: Vec<Value>,
    /// The resourceVersion whose state the page shows: the store's revision at the time of the read for a list of
    /// the current state, the requested one for [`Store::list_at`] and for every page continued from a token. Every
    /// item's resourceVersion is at most this, and a watch from it sees every later change.
    pub resource_version: u64,
    /// The opaque token that continues the list after the last item, when more items remain (`continue` in the API;
    /// the word is reserved in Rust). It carries `resource_version`, so that the next page shows the same state.
    pub continue_token: Option<String>,
}

/// Tuning of a [`Store`]; [`Options::default`] is what the API server uses.
///
/// The watch history has two bounds and keeps to both: compaction removes its oldest events while either is exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How many of the most recent events the watch history keeps (default 10,000). Compaction by count runs every
    /// `compact_every` writes, so between compactions the history holds up to `history_window + compact_every`
    /// events. Values below 1 are treated as 1.
    pub history_window: u64,
    /// How many bytes of JSON text (each event's object plus the state it replaced, [`Event::size`]) the watch history
    /// keeps at most (default 64 MiB). Checked on every write, against a running total stored with the revision: a
    /// write that takes the history over it also deletes the oldest events until the rest fit. The newest event is
    /// always kept, even alone over the budget, so that a watch from the revision before it can still start.
    pub history_bytes: u64,
    /// Compact the history by count on every write whose resourceVersion is a multiple of this (default 1,000).
    /// Values below 1 are treated as 1.
    pub compact_every: u64,
    /// The most bytes the database may use (pages in use, free pages not counted) before creates and updates are
    /// refused with [`Error::QuotaExceeded`]; deletes always go through, so room can be made. The default, 8 GiB, is
    /// the quota kube-apiserver's etcd is usually given, so the disk no client can fill is bounded as on a real
    /// cluster.
    pub quota_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            history_window: 10_000,
            history_bytes: 64 * 1024 * 1024,
            compact_every: 1_000,
            quota_bytes: 8 * 1024 * 1024 * 1024,
        }
    }
}
