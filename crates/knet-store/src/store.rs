//! The `Store`: serialised writes that stamp resourceVersions, append history, compact it and give freed pages back
//! to the file system; pooled reads. Lists are in `list.rs`, history reads in `history.rs`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};

use crate::error::{During, Error, Result};
use crate::{Event, EventKind, ObjectKey, Options, schema};

/// Called after every committed write, with the writer lock held, in resourceVersion order.
///
/// It runs on the writing thread and delays the next write, so it should only hand the event on (push it into a
/// channel or a broadcast buffer). It must not write to the store, which would deadlock, and must not panic. Reads
/// are allowed: they use other connections.
pub type CommitHook = Box<dyn Fn(&Event) + Send + Sync>;

/// Idle reader connections kept for reuse; more are opened when more threads read at once, and closed afterwards.
const MAX_IDLE_READERS: usize = 16;

/// A write vacuums incrementally when the file's free pages are more than this many (4 MiB of 4 KiB pages)...
const VACUUM_MIN_FREE_PAGES: i64 = 1024;
/// ...and more than this fraction (1 / n) of the file: below that, free pages are left for the next writes to reuse,
/// which is cheaper than moving pages to give them back.
const VACUUM_FREE_FRACTION: i64 = 4;
/// The most pages one write's incremental vacuum frees (4096, 16 MiB of 4 KiB pages), which bounds the work (pages
/// moved, WAL written) that vacuuming adds to a write. It is more than a write of the largest object (1.5 MiB in
/// Kubernetes) frees with its history, so that a run of deletes shrinks the file while it goes.
const VACUUM_STEP: &str = "PRAGMA incremental_vacuum(4096)";

/// The object store. Cheap to clone: clones share one writer connection and one pool of readers.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: Options,
    writer: Mutex<Writer>,
    readers: Mutex<Vec<Connection>>,
    /// The last committed resourceVersion, for [`Store::current_revision`] without a query. Reads that return a
    /// resourceVersion with data (list) read the persisted counter in their own transaction instead.
    revision: AtomicU64,
}

struct Writer {
    conn: Connection,
    hook: Option<CommitHook>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .field("revision", &self.current_revision())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `path` with the default [`Options`], creating the file and its schema on first use.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, Options::default())
    }

    /// Opens the store at `path` with `options`.
    pub fn open_with(path: &Path, options: Options) -> Result<Store> {
        let options = Options {
            history_window: options.history_window.max(1),
            compact_every: options.compact_every.max(1),
            ..options
        };
        let open_error = |source| Error::Open { path: path.to_owned(), source };
        let conn = schema::open_writer(path)?;
        let revision = read_revision(&conn).map_err(open_error)?;
        // One reader up front, so that a file readers cannot open fails here and not on the first GET.
        let reader = schema::open_reader(path).map_err(open_error)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                options,
                writer: Mutex::new(Writer { conn, hook: None }),
                readers: Mutex::new(vec![reader]),
                revision: AtomicU64::new(revision),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The options in force, with out-of-range values already raised to 1.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The resourceVersion of the last committed write (0 for a new store).
    pub fn current_revision(&self) -> u64 {
        self.inner.revision.load(Ordering::Acquire)
    }

    /// Installs (or removes, with `None`) the hook called after every committed write; see [`CommitHook`].
    pub fn set_commit_hook(&self, hook: Option<CommitHook>) {
        self.lock_writer().hook = hook;
    }

    /// Stores a new object. Fails with [`Error::AlreadyExists`] if the key is taken.
    pub fn create(&self, key: &ObjectKey, object: Value) -> Result<Event> {
        check_object(key, &object)?;
        self.write("create", key, object, |key, stored, object| match stored {
            Some(_) => Err(Error::AlreadyExists { key: key.clone() }),
            None => Ok((EventKind::Added, object)),
        })
    }

    /// Replaces an existing object. Fails with [`Error::NotFound`] if it does not exist, and with
    /// [`Error::Conflict`] if `precondition` is given and is not the stored resourceVersion.
    pub fn update(&self, key: &ObjectKey, object: Value, precondition: Option<u64>) -> Result<Event> {
        check_object(key, &object)?;
        self.write("update", key, object, |key, stored, object| {
            let (actual, _) = stored.ok_or_else(|| Error::NotFound { key: key.clone() })?;
            check_precondition(key, precondition, actual)?;
            Ok((EventKind::Modified, object))
        })
    }

    /// Deletes an object. The DELETED event carries its last state, stamped with the delete's own resourceVersion.
    /// Fails like [`Store::update`].
    pub fn delete(&self, key: &ObjectKey, precondition: Option<u64>) -> Result<Event> {
        self.write("delete", key, Value::Null, |key, stored, _| {
            let (actual, text) = stored.ok_or_else(|| Error::NotFound { key: key.clone() })?;
            check_precondition(key, precondition, actual)?;
            Ok((EventKind::Deleted, parse(text, || key.to_string())?))
        })
    }

    /// The object stored under `key`, if any.
    pub fn get(&self, key: &ObjectKey) -> Result<Option<Value>> {
        check_key(key)?;
        self.read(|conn| {
            let text: Option<String> = conn
                .prepare_cached("SELECT value FROM objects WHERE resource = ?1 AND namespace = ?2 AND name = ?3")
                .and_then(|mut s| s.query_row(key_params(key), |row| row.get(0)).optional())
                .during("get")?;
            text.map(|text| parse(&text, || key.to_string())).transpose()
        })
    }

    /// The one write path: checks, stamps the next resourceVersion, writes the object row, the history row and the
    /// counter, compacts when due, commits (fsync), then tells the hook.
    fn write(
        &self,
        operation: &'static str,
        key: &ObjectKey,
        object: Value,
        change: impl FnOnce(&ObjectKey, Option<(u64, &str)>, Value) -> Result<(EventKind, Value)>,
    ) -> Result<Event> {
        check_key(key)?;
        let mut writer = self.lock_writer();
        let writer = &mut *writer;
        // IMMEDIATE takes the write lock at BEGIN, so the revision read below cannot change before the commit.
        let tx = writer.conn.transaction_with_behavior(TransactionBehavior::Immediate).during(operation)?;
        let (resource, namespace, name) = key_params(key);
        // The stored row, read once: `change` checks it, and the history keeps it as the state the write replaced.
        let stored: Option<(i64, String)> = tx
            .prepare_cached("SELECT rv, value FROM objects WHERE resource = ?1 AND namespace = ?2 AND name = ?3")
            .and_then(|mut s| s.query_row(key_params(key), |row| Ok((row.get(0)?, row.get(1)?))).optional())
            .during(operation)?;
        let (kind, mut object) =
            change(key, stored.as_ref().map(|(rv, text)| (rv_from_sql(*rv), text.as_str())), object)?;
        if kind != EventKind::Deleted {
            check_quota(&tx, self.inner.options.quota_bytes).during(operation)??;
        }
        let previous_text = stored.map(|(_, text)| text);
        // A delete's object is the stored state already parsed; an update's previous state is parsed here.
        let previous = match kind {
            EventKind::Added => None,
            EventKind::Deleted => Some(object.clone()),
            EventKind::Modified => match &previous_text {
                Some(text) => Some(parse(text, || format!("the previous state of {key}"))?),
                None => None,
            },
        };
        // The history's total size is kept beside the revision, in the row every write updates anyway: exact after a
        // crash, and read at no cost (a sum over the table would cost the open a scan of the history).
        let (revision, history_bytes) = tx
            .prepare_cached("SELECT rv, history_bytes FROM revision")
            .and_then(|mut s| s.query_row([], |row| Ok((rv_from_sql(row.get(0)?), size_from_sql(row.get(1)?)))))
            .during(operation)?;
        let rv = revision + 1;
        stamp(key, &mut object, rv)?;
        let text = object.to_string();
        let size = text.len() + previous_text.as_ref().map_or(0, String::len);
        let sql_rv = rv_to_sql(rv);
        let row = match kind {
            EventKind::Added => tx
                .prepare_cached(
                    "INSERT INTO objects (resource, namespace, name, rv, value) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| s.execute(rusqlite::params![resource, namespace, name, sql_rv, text])),
            EventKind::Modified => tx
                .prepare_cached(
                    "UPDATE objects SET rv = ?4, value = ?5 WHERE resource = ?1 AND namespace = ?2 AND name = ?3",
                )
                .and_then(|mut s| s.execute(rusqlite::params![resource, namespace, name, sql_rv, text])),
            EventKind::Deleted => tx
                .prepare_cached("DELETE FROM objects WHERE resource = ?1 AND namespace = ?2 AND name = ?3")
                .and_then(|mut s| s.execute(rusqlite::params![resource, namespace, name])),
        };
        row.during(operation)?;
        tx.prepare_cached(
            "INSERT INTO events (rv, kind, resource, namespace, name, size, value, previous)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            let (kind, size) = (kind_to_sql(kind), size_to_sql(size));
            s.execute(rusqlite::params![sql_rv, kind, resource, namespace, name, size, text, previous_text])
        })
        .during(operation)?;
        let history_bytes = compact(&tx, &self.inner.options, rv, history_bytes + size_to_u64(size))
            .during("compact the watch history")?;
        tx.prepare_cached("UPDATE revision SET rv = ?1, history_bytes = ?2")
            .and_then(|mut s| s.execute(rusqlite::params![sql_rv, bytes_to_sql(history_bytes)]))
            .during(operation)?;
        vacuum_step(&tx).during("give free pages back to the file system")?;
        tx.commit().during(operation)?;
        self.inner.revision.fetch_max(rv, Ordering::AcqRel);
        let event = Event { kind, key: key.clone(), object, resource_version: rv, previous, size };
        if let Some(hook) = &writer.hook {
            hook(&event);
        }
        Ok(event)
    }

    /// Runs `read` on an idle reader connection, opening one if none is idle.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let idle = lock(&self.inner.readers).pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => schema::open_reader(&self.inner.path).during("open a reader connection")?,
        };
        let result = read(&mut conn);
        let mut idle = lock(&self.inner.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        lock(&self.inner.writer)
    }
}

/// Locks a mutex even if a thread panicked while holding it: the connection inside stays consistent, because an
/// unfinished transaction rolls back when its `Transaction` is dropped during the unwind.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Deletes the oldest events of the history (inside the write's transaction `tx`, after the event of `rv` was
/// appended) while it holds more than the options allow, and returns the history's total size then, from `bytes`
/// (the total with the new event).
///
/// By count, every `compact_every`-th write deletes everything older than the last `history_window` events, by
/// primary key. By bytes, whenever the total is over `history_bytes`, the oldest events are read in order (their rv
/// and size only) until enough are found, and that prefix is deleted: the work is proportional to what is deleted.
/// Either way a prefix goes, so the history stays a contiguous range ending at `rv`.
fn compact(tx: &Connection, options: &Options, rv: u64, mut bytes: u64) -> rusqlite::Result<u64> {
    let mut cut = None;
    if rv.is_multiple_of(options.compact_every) && rv > options.history_window {
        cut = Some(rv - options.history_window);
    }
    if bytes > options.history_bytes {
        // The newest event (`rv`) is never a candidate.
        let mut statement = tx.prepare_cached("SELECT rv, size FROM events WHERE rv < ?1 ORDER BY rv")?;
        let mut rows = statement.query([rv_to_sql(rv)])?;
        let mut left = bytes;
        while left > options.history_bytes {
            let Some(row) = rows.next()? else { break };
            left = left.saturating_sub(size_from_sql(row.get(1)?));
            cut = cut.max(Some(rv_from_sql(row.get(0)?)));
        }
    }
    let Some(cut) = cut else {
        return Ok(bytes);
    };
    // One statement deletes the prefix and reports what it freed, so the total stays exact. Below the oldest event
    // (the count rule after a byte compaction went further) it deletes nothing.
    let mut statement = tx.prepare_cached("DELETE FROM events WHERE rv <= ?1 RETURNING size")?;
    let mut rows = statement.query([rv_to_sql(cut)])?;
    while let Some(row) = rows.next()? {
        bytes = bytes.saturating_sub(size_from_sql(row.get(0)?));
    }
    Ok(bytes)
}

/// Gives up to [`VACUUM_STEP`]'s pages back to the file system when the file has many, inside the write's
/// transaction, so that the file shrinks after deletes instead of staying at its peak. The pages leave the database
/// file at the next checkpoint, which SQLite runs automatically after commits.
fn vacuum_step(tx: &Connection) -> rusqlite::Result<()> {
    // Both are read from the database header, without a scan.
    let free: i64 = tx.query_row("PRAGMA freelist_count", [], |row| row.get(0))?;
    if free <= VACUUM_MIN_FREE_PAGES {
        return Ok(());
    }
    let pages: i64 = tx.query_row("PRAGMA page_count", [], |row| row.get(0))?;
    if free * VACUUM_FREE_FRACTION <= pages {
        return Ok(());
    }
    // The pragma frees one page per step, reporting each as a row: it must be stepped to its end.
    // A pragma takes no bound parameters; the step is a constant.
    let mut statement = tx.prepare_cached(VACUUM_STEP)?;
    let mut rows = statement.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

/// `Err(QuotaExceeded)` (inside `Ok`, the query having worked) when the pages in use take more than `quota` bytes.
fn check_quota(conn: &Connection, quota: u64) -> rusqlite::Result<Result<()>> {
    // Three reads of the file header, prepared once per connection: every create and update asks.
    let pragma = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.query_row([], |row| row.get::<_, i64>(0)));
    let pages = pragma("PRAGMA page_count")? - pragma("PRAGMA freelist_count")?;
    let in_use = pages.max(0) as u64 * pragma("PRAGMA page_size")?.max(0) as u64;
    Ok(if in_use > quota { Err(Error::QuotaExceeded { used: in_use, quota }) } else { Ok(()) })
}

pub(crate) fn read_revision(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT rv FROM revision").and_then(|mut s| s.query_row([], |row| row.get(0))).map(rv_from_sql)
}

/// The key as the three SQL columns; cluster-scoped objects have the namespace `''`, which no namespace can be.
pub(crate) fn key_params(key: &ObjectKey) -> (&str, &str, &str) {
    (&key.resource, key.namespace.as_deref().unwrap_or(""), &key.name)
}

fn check_key(key: &ObjectKey) -> Result<()> {
    let reason = if key.resource.is_empty() {
        "the resource is empty"
    } else if key.name.is_empty() {
        "the name is empty"
    } else if key.namespace.as_deref() == Some("") {
        "the namespace is empty (use None for cluster-scoped objects)"
    } else if [Some(key.resource.as_str()), key.namespace.as_deref(), Some(key.name.as_str())]
        .into_iter()
        .flatten()
        .any(|part| part.contains('\0'))
    {
        "it contains a NUL character"
    } else {
        return Ok(());
    };
    Err(Error::InvalidKey { key: key.clone(), reason })
}

fn check_object(key: &ObjectKey, object: &Value) -> Result<()> {
    match object.as_object().map(|map| map.get("metadata")) {
        Some(None | Some(Value::Object(_))) => Ok(()),
        _ => Err(Error::NotAnObject { key: key.clone() }),
    }
}

fn check_precondition(key: &ObjectKey, precondition: Option<u64>, actual: u64) -> Result<()> {
    match precondition {
        Some(expected) if expected != actual => Err(Error::Conflict { key: key.clone(), expected, actual }),
        _ => Ok(()),
    }
}

/// Writes `rv` into `metadata.resourceVersion`, creating `metadata` if it is absent.
fn stamp(key: &ObjectKey, object: &mut Value, rv: u64) -> Result<()> {
    let not_an_object = || Error::NotAnObject { key: key.clone() };
    let map = object.as_object_mut().ok_or_else(not_an_object)?;
    let metadata = map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let metadata = metadata.as_object_mut().ok_or_else(not_an_object)?;
    metadata.insert("resourceVersion".to_owned(), Value::String(rv.to_string()));
    Ok(())
}

pub(crate) fn parse(text: &str, what: impl FnOnce() -> String) -> Result<Value> {
    serde_json::from_str(text).map_err(|source| Error::Corrupt { what: what(), source })
}

// SQLite integers are i64; resourceVersions start at 1 and grow by one per write, so they never reach i64::MAX, and a
// caller's larger value only compares greater than every stored one.
pub(crate) fn rv_to_sql(rv: u64) -> i64 {
    i64::try_from(rv).unwrap_or(i64::MAX)
}

pub(crate) fn rv_from_sql(rv: i64) -> u64 {
    u64::try_from(rv).unwrap_or(0)
}

// Sizes are byte lengths of strings held in memory, far below i64::MAX.
fn size_to_sql(size: usize) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn size_to_u64(size: usize) -> u64 {
    u64::try_from(size).unwrap_or(u64::MAX)
}

fn bytes_to_sql(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn size_from_sql(size: i64) -> u64 {
    u64::try_from(size).unwrap_or(0)
}

/// How the history table numbers event kinds.
fn kind_to_sql(kind: EventKind) -> i64 {
    match kind {
        EventKind::Added => 1,
        EventKind::Modified => 2,
        EventKind::Deleted => 3,
    }
}

/// The event kind of a history row, or an error naming the unknown number.
pub(crate) fn kind_from_sql(code: i64) -> rusqlite::Result<EventKind> {
    match code {
        1 => Ok(EventKind::Added),
        2 => Ok(EventKind::Modified),
        3 => Ok(EventKind::Deleted),
        other => Err(rusqlite::Error::IntegralValueOutOfRange(1, other)),
    }
}
