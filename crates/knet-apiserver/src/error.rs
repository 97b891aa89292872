//! The crate's one error type: why `knet up`, `knet down` or `knet kubeconfig` could not do what was asked, with
//! what to do about it. Errors of single API requests are not here: they are `Status` answers.

use std::path::PathBuf;

/// The result of a server operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that stops the server from starting, serving or stopping.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory of the state dir could not be created, read or written.
    #[error("state dir: cannot {action} {path}: check that it is a directory you may write")]
    StateDir {
        /// What was being done: "create", "read", "write".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The state dir or a file in it is readable by other users and cannot be made private.
    #[error(
        "state dir: {path} must be private to this user, and {why}; it would hold every Secret and the admin token: \
         use a --state-dir of your own"
    )]
    NotPrivate {
        /// The directory or file.
        path: PathBuf,
        /// Why it cannot be made private.
        why: String,
    },
    /// Another `knet up` holds the state dir's lock.
    #[error(
        "another knet up is already running on {dir}{}: stop it with `knet down --state-dir {dir}` or use another \
         --state-dir",
        pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    AlreadyRunning {
        /// The state dir.
        dir: PathBuf,
        /// The running server's pid, if its pid file could be read.
        pid: Option<u32>,
    },
    /// `knet down` found no running server.
    #[error("no knet up is running on {dir}")]
    NotRunning {
        /// The state dir.
        dir: PathBuf,
    },
    /// `knet down` found a pid file whose process is not the knet holding the lock; it sends no signal.
    #[error(
        "{dir}: pid {pid} from the pid file is not the knet process holding the state dir's lock ({why}); no signal sent"
    )]
    NotOurProcess {
        /// The state dir.
        dir: PathBuf,
        /// The pid found.
        pid: u32,
        /// What did not match.
        why: String,
    },
    /// `knet down` sent SIGTERM, and the server did not release its lock in time.
    #[error("knet up (pid {pid}) did not stop within {seconds} s of SIGTERM")]
    StopTimeout {
        /// The server's pid.
        pid: u32,
        /// How long `knet down` waited.
        seconds: u64,
    },
    /// Generating or loading the CA, the serving certificate or the key failed.
    #[error("TLS material in {dir}: {message}: remove the ca.crt, server.crt and server.key files to regenerate them")]
    Tls {
        /// The state dir.
        dir: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The store could not be opened or written at start.
    #[error("store")]
    Store(#[from] knet_store::Error),
    /// The listening socket could not be bound.
    #[error("cannot listen on {address}: is another server using the port? Choose another with --port")]
    Bind {
        /// The address.
        address: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime or a signal handler could not be set up, or `kill` could not be run.
    #[error("{what}")]
    Runtime {
        /// What failed.
        what: &'static str,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A system object could not be created at start.
    #[error("creating the system object {what}: {message}")]
    SystemObject {
        /// The object.
        what: String,
        /// The API error.
        message: String,
    },
}
