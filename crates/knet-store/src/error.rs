//! The store's one error type: what went wrong, on which object, and what the API server should answer.

use std::path::PathBuf;

use crate::ObjectKey;

/// The result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a store operation can report. The variants the API server maps to a status are `AlreadyExists` (409),
/// `NotFound` (404), `Conflict` (409), `Expired` (410), `FutureResourceVersion` (504, "Too large resource version")
/// and `InvalidContinue` (400); the others are server errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database file could not be opened or prepared (WAL mode, schema).
    #[error("cannot open the store at {path}: check that the state dir exists and is writable")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer knet, with a schema this one does not know.
    #[error(
        "the store at {path} has schema version {found}, newer than {supported} which this knet supports: use a newer knet"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version in the file.
        found: i64,
        /// The newest schema version this build understands.
        supported: i64,
    },
    /// SQLite failed during an operation (disk full, I/O error, a corrupt file).
    #[error("store: {operation} failed")]
    Database {
        /// What the store was doing, such as "create" or "list".
        operation: &'static str,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// `create` of an object that already exists.
    #[error("{key} already exists")]
    AlreadyExists {
        /// The object.
        key: ObjectKey,
    },
    /// `update` or `delete` of an object that does not exist.
    #[error("{key} not found")]
    NotFound {
        /// The object.
        key: ObjectKey,
    },
    /// The precondition's resourceVersion is not the stored one: the caller's copy is stale.
    #[error(
        "{key}: the object has been modified (resourceVersion {actual}, expected {expected}): read it again and retry"
    )]
    Conflict {
        /// The object.
        key: ObjectKey,
        /// The resourceVersion the caller expected.
        expected: u64,
        /// The stored resourceVersion.
        actual: u64,
    },
    /// The requested resourceVersion is older than the watch history: a watch or a list at it (a continued list, or
    /// `resourceVersionMatch=Exact`) can no longer be served, and the client must list again. For a continued list,
    /// [`crate::inconsistent_continue`] gives the token kube-apiserver offers in its 410 answer.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired {
        /// The resourceVersion the watch asked to start after, or the list to read at.
        requested: u64,
        /// The oldest resourceVersion a watch can start after, or a list read at, now.
        oldest: u64,
    },
    /// A list asked for a resourceVersion the store has not reached yet (an `Exact` list, or a forged continue
    /// token). kube-apiserver answers this with `504` and "Too large resource version" once it has waited a moment
    /// for the revision to catch up; the store does not wait, the API server decides.
    #[error("too large resource version: {requested}, current: {current}")]
    FutureResourceVersion {
        /// The resourceVersion asked for.
        requested: u64,
        /// The store's revision at the time of the read.
        current: u64,
    },
    /// The database uses its whole quota ([`crate::Options::quota_bytes`]): creates and updates are refused until
    /// deletes make room.
    #[error("the store is full: it uses {used} of its {quota} bytes; delete objects to make room")]
    QuotaExceeded {
        /// Bytes in use.
        used: u64,
        /// The quota.
        quota: u64,
    },
    /// The key cannot be stored: an empty resource or name, an empty namespace, or a NUL character.
    #[error("invalid key {key}: {reason}")]
    InvalidKey {
        /// The key.
        key: ObjectKey,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The object, or its `metadata`, is not a JSON object, so it cannot carry a resourceVersion.
    #[error("{key}: the object and its metadata must be JSON objects")]
    NotAnObject {
        /// The key it was to be stored under.
        key: ObjectKey,
    },
    /// A continue token that this store did not issue.
    #[error("invalid continue token {token:?}: pass the token of the previous page unchanged, or list from the start")]
    InvalidContinue {
        /// The token as received.
        token: String,
    },
    /// A stored row does not parse as JSON. SQLite's transactions make this impossible short of outside tampering or
    /// disk corruption; it is reported rather than skipped so that nothing is served half.
    #[error("store: the stored {what} is not valid JSON")]
    Corrupt {
        /// Which row: an object key or a history resourceVersion.
        what: String,
        /// The parser's reason.
        #[source]
        source: serde_json::Error,
    },
}

/// Attaches the operation to SQLite errors, so that a log line says what the store was doing.
pub(crate) trait During<T> {
    /// Wraps an SQLite error into [`Error::Database`] for `operation`.
    fn during(self, operation: &'static str) -> Result<T>;
}

impl<T> During<T> for rusqlite::Result<T> {
    fn during(self, operation: &'static str) -> Result<T> {
        self.map_err(|source| Error::Database { operation, source })
    }
}
