//! The `Store`: serialised writes that stamp resourceVersions and append history, pooled reads, and compaction.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};

use crate::error::{During, Error, Result};
use crate::{Event, EventKind, ListPage, ObjectKey, Options, schema, token};

/// Called after every committed write, with the writer lock held, in resourceVersion order.
///
/// It runs on the writing thread and delays the next write, so it should only hand the event on (push it into a
/// channel or a broadcast buffer). It must not write to the store, which would deadlock, and must not panic. Reads
/// are allowed: they use other connections.
pub type CommitHook = Box<dyn Fn(&Event) + Send + Sync>;

/// Idle reader connections kept for reuse; more are opened when more threads read at once, and closed afterwards.
const MAX_IDLE_READERS: usize = 16;

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
        let options =
            Options { history_window: options.history_window.max(1), compact_every: options.compact_every.max(1) };
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

    /// One page of the objects of `resource`, in one namespace or in all, ordered by namespace then name.
    ///
    /// `continue_after` is the previous page's [`ListPage::continue_token`]; `limit` caps the number of items
    /// (`None` or `Some(0)`: no cap, as `limit=0` in the API). The page's resourceVersion is the store's revision
    /// when the page was read.
    pub fn list(
        &self,
        resource: &str,
        namespace: Option<&str>,
        continue_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let (after_namespace, after_name) = match continue_after {
            // A token continues the list it came from: one from another namespace's list is refused.
            Some(token) => token::decode(token)
                .filter(|(after_namespace, _)| namespace.is_none_or(|namespace| namespace == after_namespace))
                .ok_or_else(|| Error::InvalidContinue { token: token.to_owned() })?,
            None => (String::new(), String::new()),
        };
        let limit = limit.filter(|&limit| limit > 0);
        // One row more than asked tells whether another page follows; -1 is SQLite's "no limit".
        let sql_limit = limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1);
        self.read(|conn| {
            let tx = conn.transaction().during("list")?;
            let resource_version = read_revision(&tx).during("list")?;
            let mut rows: Vec<(String, String, String)> = Vec::new();
            let mut push = |row: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
                rows.push((row.get(0)?, row.get(1)?, row.get(2)?));
                Ok(())
            };
            match namespace {
                Some(namespace) => {
                    let mut statement = tx
                        .prepare_cached(
                            "SELECT namespace, name, value FROM objects WHERE resource = ?1 AND namespace = ?2
                             AND name > ?3 ORDER BY name LIMIT ?4",
                        )
                        .during("list")?;
                    let mut query = statement
                        .query(rusqlite::params![resource, namespace, after_name, sql_limit])
                        .during("list")?;
                    while let Some(row) = query.next().during("list")? {
                        push(row).during("list")?;
                    }
                }
                None => {
                    let mut statement = tx
                        .prepare_cached(
                            "SELECT namespace, name, value FROM objects WHERE resource = ?1
                             AND (namespace, name) > (?2, ?3) ORDER BY namespace, name LIMIT ?4",
                        )
                        .during("list")?;
                    let mut query = statement
                        .query(rusqlite::params![resource, after_namespace, after_name, sql_limit])
                        .during("list")?;
                    while let Some(row) = query.next().during("list")? {
                        push(row).during("list")?;
                    }
                }
            }
            drop(tx);
            let more = limit.is_some_and(|limit| rows.len() > limit);
            if more {
                rows.pop();
            }
            let continue_token = match rows.last() {
                Some((namespace, name, _)) if more => Some(token::encode(namespace, name)),
                _ => None,
            };
            let items = rows
                .iter()
                .map(|(namespace, name, text)| parse(text, || format!("{resource} {namespace}/{name}")))
                .collect::<Result<Vec<_>>>()?;
            Ok(ListPage { items, resource_version, continue_token })
        })
    }

    /// The events of `resource` (in `namespace`, if given) with a resourceVersion greater than `after_rv`, oldest
    /// first.
    ///
    /// Fails with [`Error::Expired`] when events after `after_rv` have been compacted away: the client must list
    /// again. An `after_rv` at or beyond the current revision returns no events (a watch then waits for the next
    /// broadcast). The API server maps a watch from resourceVersion "0" or "" to "from the current state" itself.
    pub fn events_since(&self, resource: &str, namespace: Option<&str>, after_rv: u64) -> Result<Vec<Event>> {
        self.read(|conn| {
            let tx = conn.transaction().during("events_since")?;
            let revision = read_revision(&tx).during("events_since")?;
            let oldest_event: Option<i64> =
                tx.query_row("SELECT min(rv) FROM events", [], |row| row.get(0)).during("events_since")?;
            // The history holds a contiguous range of resourceVersions ending at the revision (every write appends
            // one event, compaction removes a prefix), so a watch can start after the event before the oldest one.
            let oldest = oldest_event.map_or(revision, |rv| rv_from_sql(rv).saturating_sub(1));
            if after_rv < oldest {
                return Err(Error::Expired { requested: after_rv, oldest });
            }
            let after = rv_to_sql(after_rv);
            let mut events = Vec::new();
            let mut push = |row: &rusqlite::Row<'_>| -> Result<()> {
                let rv: i64 = row.get(0).during("events_since")?;
                let kind = match row.get::<_, i64>(1).during("events_since")? {
                    1 => EventKind::Added,
                    2 => EventKind::Modified,
                    3 => EventKind::Deleted,
                    other => {
                        let source = rusqlite::Error::IntegralValueOutOfRange(1, other);
                        return Err(Error::Database { operation: "events_since", source });
                    }
                };
                let namespace: String = row.get(2).during("events_since")?;
                let key = ObjectKey {
                    resource: resource.to_owned(),
                    namespace: (!namespace.is_empty()).then_some(namespace),
                    name: row.get(3).during("events_since")?,
                };
                let text: String = row.get(4).during("events_since")?;
                let object = parse(&text, || format!("history event {rv}"))?;
                let previous = match row.get::<_, Option<String>>(5).during("events_since")? {
                    Some(text) => Some(parse(&text, || format!("the previous state of history event {rv}"))?),
                    None => None,
                };
                events.push(Event { kind, key, object, resource_version: rv_from_sql(rv), previous });
                Ok(())
            };
            match namespace {
                Some(namespace) => {
                    let mut statement = tx
                        .prepare_cached(
                            "SELECT rv, kind, namespace, name, value, previous FROM events
                             WHERE resource = ?1 AND rv > ?2 AND namespace = ?3 ORDER BY rv",
                        )
                        .during("events_since")?;
                    let mut query =
                        statement.query(rusqlite::params![resource, after, namespace]).during("events_since")?;
                    while let Some(row) = query.next().during("events_since")? {
                        push(row)?;
                    }
                }
                None => {
                    let mut statement = tx
                        .prepare_cached(
                            "SELECT rv, kind, namespace, name, value, previous FROM events
                             WHERE resource = ?1 AND rv > ?2 ORDER BY rv",
                        )
                        .during("events_since")?;
                    let mut query = statement.query(rusqlite::params![resource, after]).during("events_since")?;
                    while let Some(row) = query.next().during("events_since")? {
                        push(row)?;
                    }
                }
            }
            Ok(events)
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
        let rv = read_revision(&tx).during(operation)? + 1;
        stamp(key, &mut object, rv)?;
        let text = object.to_string();
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
        let kind_code: i64 = match kind {
            EventKind::Added => 1,
            EventKind::Modified => 2,
            EventKind::Deleted => 3,
        };
        tx.prepare_cached(
            "INSERT INTO events (rv, kind, resource, namespace, name, value, previous)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut s| {
            s.execute(rusqlite::params![sql_rv, kind_code, resource, namespace, name, text, previous_text])
        })
        .during(operation)?;
        tx.prepare_cached("UPDATE revision SET rv = ?1").and_then(|mut s| s.execute([sql_rv])).during(operation)?;
        let Options { history_window, compact_every } = self.inner.options;
        if rv % compact_every == 0 && rv > history_window {
            // Keeps the last `history_window` events; the delete walks the primary key from its start.
            tx.prepare_cached("DELETE FROM events WHERE rv <= ?1")
                .and_then(|mut s| s.execute([rv_to_sql(rv - history_window)]))
                .during("compact the watch history")?;
        }
        tx.commit().during(operation)?;
        self.inner.revision.fetch_max(rv, Ordering::AcqRel);
        let event = Event { kind, key: key.clone(), object, resource_version: rv, previous };
        if let Some(hook) = &writer.hook {
            hook(&event);
        }
        Ok(event)
    }

    /// Runs `read` on an idle reader connection, opening one if none is idle.
    fn read<T>(&self, read: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
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

fn read_revision(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT rv FROM revision").and_then(|mut s| s.query_row([], |row| row.get(0))).map(rv_from_sql)
}

/// The key as the three SQL columns; cluster-scoped objects have the namespace `''`, which no namespace can be.
fn key_params(key: &ObjectKey) -> (&str, &str, &str) {
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

fn parse(text: &str, what: impl FnOnce() -> String) -> Result<Value> {
    serde_json::from_str(text).map_err(|source| Error::Corrupt { what: what(), source })
}

// SQLite integers are i64; resourceVersions start at 1 and grow by one per write, so they never reach i64::MAX, and a
// caller's larger value only compares greater than every stored one.
fn rv_to_sql(rv: u64) -> i64 {
    i64::try_from(rv).unwrap_or(i64::MAX)
}

fn rv_from_sql(rv: i64) -> u64 {
    u64::try_from(rv).unwrap_or(0)
}
