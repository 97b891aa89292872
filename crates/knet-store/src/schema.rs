//! The database file: connection settings (WAL, `synchronous=FULL`, incremental auto-vacuum, a WAL size limit) and
//! the schema, created on first open and migrated from older versions.
//!
//! Tables (ordinary rowid tables: a `WITHOUT ROWID` table would push every object larger than about 1 KiB, most of
//! them, into an overflow page of its own and double the file):
//!
//! ```text
//! schema_version(version)                       one row: the layout of this file (SCHEMA_VERSION)
//! revision(rv, history_bytes)                   one row: the last resourceVersion handed out, and the sum of the
//!                                               history's sizes (kept by every write, so that no open sums them)
//! objects(resource, namespace, name, rv, value) the current objects; namespace '' for cluster-scoped ones
//! events(rv, kind, resource, namespace, name, size, value, previous)
//!                                               the watch history, indexed by (resource, rv) for watches and by
//!                                               (resource, namespace, name, rv) for lists at a past resourceVersion
//! ```
//!
//! `value` is the object's JSON text with `metadata.resourceVersion` equal to `rv`; `previous` is the state the write
//! replaced (NULL for a create), so that a watch with a selector can tell an object entering or leaving it, and a list
//! can show a key as it was before the write. `size` is the byte length of `value` plus `previous`: the history's
//! byte budget is kept with it, and it sits before the two texts so that reading it never touches their overflow
//! pages.
//!
//! The file has `auto_vacuum = INCREMENTAL`, so that pages freed by deletes and compaction can be given back to the
//! file system a few at a time (see `Store`'s writes); that setting needs a `VACUUM` for a file created without it,
//! which the migration to version 3 runs once.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};

/// The layout this build writes and reads. A file with a newer version is refused; an older one is migrated:
///
/// - version 1 lacked `events.previous`: its history rows keep NULL there, which a watch treats as "previous state
///   unknown" and a list at a resourceVersion before them as expired;
/// - version 2 lacked `events.size`, `revision.history_bytes` and the `events_by_key` index, and its file was not
///   incrementally vacuumable: the migration rebuilds the history table with the sizes and sums them, then
///   `VACUUM`s the file once with `auto_vacuum = INCREMENTAL` (a crash between the two leaves a version 3 file
///   without it, which the next open vacuums).
pub(crate) const SCHEMA_VERSION: i64 = 3;

/// The `-wal` file is truncated back to this size (that of SQLite's automatic checkpoint, 1,000 pages of 4 KiB)
/// whenever a writer restarts it after a complete checkpoint, so that one burst of large writes does not leave a WAL
/// of its peak size behind. SQLite's automatic checkpoint (PASSIVE,
/// every 1,000 pages) stays on: it never waits for readers, so a reader holding an old snapshot only delays the
/// truncation until it is done.
const JOURNAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

/// `PRAGMA auto_vacuum` value of an incrementally vacuumable file.
const AUTO_VACUUM_INCREMENTAL: i64 = 2;

/// How long a connection waits for another connection's lock (only a checkpoint or another process can hold one that
/// a reader or the single writer waits for) before it reports SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const CREATE: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE revision (rv INTEGER NOT NULL, history_bytes INTEGER NOT NULL DEFAULT 0);
INSERT INTO revision (rv) VALUES (0);
CREATE TABLE objects (
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    rv INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name)
);
";

/// The history table and its indexes, of a new file and of the migration to version 3 (as `events_v3`, renamed).
const CREATE_EVENTS: &str = "
CREATE TABLE events_v3 (
    rv INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    value TEXT NOT NULL,
    previous TEXT
);
";

const RENAME_EVENTS: &str = "ALTER TABLE events_v3 RENAME TO events;";

const INDEX_EVENTS: &str = "
CREATE INDEX events_by_resource ON events (resource, rv);
CREATE INDEX events_by_key ON events (resource, namespace, name, rv);
";

/// Version 2 to 3: the history gains its sizes (in a new table, so that `size` comes before the texts) and their sum.
const MIGRATE_2_TO_3: &str = "
INSERT INTO events_v3 (rv, kind, resource, namespace, name, size, value, previous)
    SELECT rv, kind, resource, namespace, name, octet_length(value) + coalesce(octet_length(previous), 0), value,
        previous
    FROM events;
DROP TABLE events;
ALTER TABLE revision ADD COLUMN history_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE revision SET history_bytes = (SELECT coalesce(sum(size), 0) FROM events_v3);
";

/// Opens the writer connection, switches the file to WAL mode and creates or checks the schema.
pub(crate) fn open_writer(path: &Path) -> Result<Connection> {
    let open_error = |source| Error::Open { path: path.to_owned(), source };
    let mut conn = Connection::open(path).map_err(open_error)?;
    configure(&conn).map_err(open_error)?;
    // WAL mode is a property of the file: set once, every later connection finds it.
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(open_error(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode is {mode}: the file system does not support WAL"
        ))));
    }
    let empty: bool =
        conn.query_row("SELECT count(*) = 0 FROM sqlite_schema", [], |row| row.get(0)).map_err(open_error)?;
    if empty {
        // Takes effect at once on a new file, before its first table. Only there: on an existing file, setting it
        // writes (and fsyncs) the header on every open.
        conn.pragma_update(None, "auto_vacuum", AUTO_VACUUM_INCREMENTAL).map_err(open_error)?;
    }
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT).map_err(open_error)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(open_error)?;
    let exists: bool = tx
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'", [], |row| {
            row.get(0)
        })
        .map_err(open_error)?;
    if exists {
        let found: Option<i64> =
            tx.query_row("SELECT version FROM schema_version", [], |row| row.get(0)).optional().map_err(open_error)?;
        match found {
            Some(SCHEMA_VERSION) => {}
            Some(found @ 1..SCHEMA_VERSION) => {
                if found == 1 {
                    tx.execute_batch("ALTER TABLE events ADD COLUMN previous TEXT").map_err(open_error)?;
                }
                // Versions 1 (now with `previous`) and 2 both become 3.
                tx.execute_batch(&format!("{CREATE_EVENTS}{MIGRATE_2_TO_3}{RENAME_EVENTS}{INDEX_EVENTS}"))
                    .map_err(open_error)?;
                tx.execute("UPDATE schema_version SET version = ?1", [SCHEMA_VERSION]).map_err(open_error)?;
            }
            Some(found) if found > SCHEMA_VERSION => {
                return Err(Error::SchemaTooNew { path: path.to_owned(), found, supported: SCHEMA_VERSION });
            }
            other => {
                return Err(open_error(rusqlite::Error::InvalidParameterName(format!(
                    "schema_version is {other:?}, expected {SCHEMA_VERSION}: the file was not written by knet"
                ))));
            }
        }
    } else {
        tx.execute_batch(&format!("{CREATE}{CREATE_EVENTS}{RENAME_EVENTS}{INDEX_EVENTS}")).map_err(open_error)?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [SCHEMA_VERSION]).map_err(open_error)?;
    }
    tx.commit().map_err(open_error)?;
    // A file created before version 3 (or whose migration was interrupted after its commit) is not incrementally
    // vacuumable yet: one VACUUM rewrites it so. It needs no other connection open, which is why it runs here, before
    // the store opens its readers; it copies the whole file once, as a migration may.
    let auto_vacuum: i64 = conn.pragma_query_value(None, "auto_vacuum", |row| row.get(0)).map_err(open_error)?;
    if auto_vacuum != AUTO_VACUUM_INCREMENTAL {
        conn.pragma_update(None, "auto_vacuum", AUTO_VACUUM_INCREMENTAL).map_err(open_error)?;
        conn.execute_batch("VACUUM").map_err(open_error)?;
    }
    Ok(conn)
}

/// Opens a reader connection on a file the writer has prepared.
pub(crate) fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    // Read-write flags, because a WAL reader updates the shared-memory index; `query_only` makes writes impossible.
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    configure(&conn)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Settings that belong to a connection, not to the file.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // FULL: in WAL mode, every commit fsyncs the WAL before it returns. NORMAL would only survive a process crash,
    // not a power loss, and the API server acknowledges writes to clients.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}
