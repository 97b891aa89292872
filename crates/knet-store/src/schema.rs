//! The database file: connection settings (WAL, `synchronous=FULL`) and the schema, created on first open.
//!
//! Tables (ordinary rowid tables: a `WITHOUT ROWID` table would push every object larger than about 1 KiB, most of
//! them, into an overflow page of its own and double the file):
//!
//! ```text
//! schema_version(version)                       one row: the layout of this file (SCHEMA_VERSION)
//! revision(rv)                                  one row: the last resourceVersion handed out
//! objects(resource, namespace, name, rv, value) the current objects; namespace '' for cluster-scoped ones
//! events(rv, kind, resource, namespace, name, value, previous)   the watch history, with index (resource, rv)
//! ```
//!
//! `value` is the object's JSON text with `metadata.resourceVersion` equal to `rv`; `previous` is the state the write
//! replaced (NULL for a create), so that a watch with a selector can tell an object entering or leaving it.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};

/// The layout this build writes and reads. A file with a newer version is refused; an older one is migrated (version
/// 1 lacked `events.previous`: its history rows keep NULL there, which a watch treats as "previous state unknown").
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// How long a connection waits for another connection's lock (only a checkpoint or another process can hold one that
/// a reader or the single writer waits for) before it reports SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const CREATE: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE revision (rv INTEGER NOT NULL);
INSERT INTO revision (rv) VALUES (0);
CREATE TABLE objects (
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    rv INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name)
);
CREATE TABLE events (
    rv INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    previous TEXT
);
CREATE INDEX events_by_resource ON events (resource, rv);
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
            Some(1) => {
                tx.execute_batch("ALTER TABLE events ADD COLUMN previous TEXT; UPDATE schema_version SET version = 2;")
                    .map_err(open_error)?;
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
        tx.execute_batch(CREATE).map_err(open_error)?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [SCHEMA_VERSION]).map_err(open_error)?;
    }
    tx.commit().map_err(open_error)?;
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
