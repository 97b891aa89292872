//! The state dir: where `knet up` keeps everything it owns, and the lock that lets one server own it at a time.
//!
//! ```text
//!  DIR/lock         flock()ed by the running `knet up`; the kernel releases it when the process dies
//!  DIR/pid          the running server's pid, for `knet down` (checked against the lock before any signal)
//!  DIR/store.db     the object store (knet-store)
//!  DIR/ca.crt       the cluster CA, which kubeconfig users trust      DIR/ca.key      its key
//!  DIR/server.crt   the serving certificate for 127.0.0.1/localhost   DIR/server.key  its key
//!  DIR/token        the bearer token of the admin user
//!  DIR/kubeconfig   cluster, user and context `knet` (it carries the token)
//! ```
//!
//! The directory is private to its owner (0700) and so is every file in it (0600): the store holds every Secret, the
//! token is the cluster admin's. `knet up` makes an existing directory private, or refuses to start when it cannot
//! (a directory another user owns), rather than keep Secrets where other local users can read them. SQLite creates
//! the store's `-wal` and `-shm` files with the mode of the database file, so creating that file 0600 before SQLite
//! opens it covers them too.
//!
//! Credentials are generated on first start and reused after; the kubeconfig is rewritten at every start, because
//! the port may differ.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The paths of one state dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The state dir at `root` (nothing is created yet).
    pub fn new(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The kubeconfig `knet up` writes.
    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }

    /// The SQLite store.
    pub fn store(&self) -> PathBuf {
        self.root.join("store.db")
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Creates the directory (mode 0700) if needed, makes it and its files private, and takes its lock, refusing
    /// if another server holds it. The pid file is written once the lock is held; both are released when the
    /// [`Lock`] is dropped.
    pub fn lock(&self) -> Result<Lock> {
        create_dir(&self.root)?;
        let path = self.path("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(PRIVATE_FILE)
            .open(&path)
            .map_err(|source| Error::StateDir { action: "open", path: path.clone(), source })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::AlreadyRunning { dir: self.root.clone(), pid: self.read_pid() });
            }
            Err(TryLockError::Error(source)) => return Err(Error::StateDir { action: "lock", path, source }),
        }
        self.make_private()?;
        let pid_path = self.path("pid");
        write_file(&pid_path, format!("{}\n", std::process::id()).as_bytes(), PRIVATE_FILE)?;
        Ok(Lock { _file: file, pid_path })
    }

    /// Makes the directory 0700 and every file in it 0600, refusing a directory owned by another user (its owner
    /// could open it up again).
    fn make_private(&self) -> Result<()> {
        let root = &self.root;
        let metadata =
            std::fs::metadata(root).map_err(|source| Error::StateDir { action: "read", path: root.clone(), source })?;
        let own_uid = std::fs::metadata("/proc/self")
            .map_err(|source| Error::StateDir { action: "read", path: "/proc/self".into(), source })?
            .uid();
        if metadata.uid() != own_uid {
            return Err(Error::NotPrivate {
                path: root.clone(),
                why: format!("it belongs to uid {}, not to this user (uid {own_uid})", metadata.uid()),
            });
        }
        restrict(root, metadata.mode(), PRIVATE_DIR)?;
        let entries =
            std::fs::read_dir(root).map_err(|source| Error::StateDir { action: "read", path: root.clone(), source })?;
        for entry in entries.flatten() {
            let path = entry.path();
            // Not followed: a symlink's target is not ours to change, and the server never makes one.
            let Ok(metadata) = std::fs::symlink_metadata(&path) else { continue };
            if metadata.is_file() {
                restrict(&path, metadata.mode(), PRIVATE_FILE)?;
            }
        }
        Ok(())
    }

    /// Creates the store's database file 0600 if it does not exist yet, so that SQLite, which gives its `-wal` and
    /// `-shm` files the database file's mode, never creates any of them readable by others.
    pub(crate) fn prepare_store(&self) -> Result<PathBuf> {
        let path = self.store();
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(PRIVATE_FILE)
            .open(&path)
            .map_err(|source| Error::StateDir { action: "create", path: path.clone(), source })?;
        Ok(path)
    }

    fn read_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.path("pid")).ok()?.trim().parse().ok()
    }

    /// Stops the `knet up` running on this state dir: SIGTERM to the pid of the pid file, after checking that this
    /// pid is a knet process and holds the state dir's lock, then waits (up to `timeout`) for the lock to be freed.
    pub fn stop(&self, timeout: Duration) -> Result<u32> {
        let not_running = || Error::NotRunning { dir: self.root.clone() };
        let lock_path = self.path("lock");
        let file = File::open(&lock_path).map_err(|_| not_running())?;
        if file.try_lock().is_ok() {
            // Nobody holds the lock: no server runs here (a stale pid file is left by a killed server).
            return Err(not_running());
        }
        let pid = self.read_pid().ok_or_else(not_running)?;
        let not_ours = |why: String| Error::NotOurProcess { dir: self.root.clone(), pid, why };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .map_err(|e| not_ours(format!("cannot read /proc/{pid}/exe: {e}")))?;
        let exe_name = exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !exe_name.starts_with("knet") {
            return Err(not_ours(format!("its program is {}", exe.display())));
        }
        if !holds_flock(pid, &lock_path) {
            return Err(not_ours("it does not hold the lock".to_owned()));
        }
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .map_err(|source| Error::Runtime { what: "running kill", source })?;
        if !status.success() {
            return Err(not_ours("kill -TERM failed".to_owned()));
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if file.try_lock().is_ok() {
                return Ok(pid);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(Error::StopTimeout { pid, seconds: timeout.as_secs() })
    }
}

/// Whether process `pid` has `lock_path` open with an flock held through that descriptor: its
/// `/proc/PID/fdinfo/N` lists the lock of the file it points to.
fn holds_flock(pid: u32, lock_path: &Path) -> bool {
    let Ok(wanted) = std::fs::canonicalize(lock_path) else { return false };
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| {
        let points_to_lock = std::fs::read_link(fd.path()).is_ok_and(|target| target == wanted);
        let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_string_lossy()));
        points_to_lock && info.is_ok_and(|info| info.lines().any(|l| l.starts_with("lock:") && l.contains("FLOCK")))
    })
}

/// The state dir's lock, held while the server runs.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    pid_path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The lock itself goes with the file descriptor; the pid file would only mislead.
        let _ = std::fs::remove_file(&self.pid_path);
    }
}

/// The mode of the state dir.
const PRIVATE_DIR: u32 = 0o700;
/// The mode of every file in it.
pub(crate) const PRIVATE_FILE: u32 = 0o600;

/// Takes every permission beyond `wanted` away from `path`, whose current mode is `mode`.
fn restrict(path: &Path, mode: u32, wanted: u32) -> Result<()> {
    if mode & 0o777 & !wanted == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o777 & wanted)).map_err(|source| {
        Error::NotPrivate { path: path.to_owned(), why: format!("cannot change its mode {:o}: {source}", mode & 0o777) }
    })
}

pub(crate) fn create_dir(path: &Path) -> Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(PRIVATE_DIR).create(path).map_err(|source| Error::StateDir {
        action: "create",
        path: path.to_owned(),
        source,
    })
}

/// Writes a file whole with `mode`: to a temporary name first, then renamed over the old one, so a reader never
/// sees half a file and a secret never exists with wider permissions.
pub(crate) fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let error = |action, source| Error::StateDir { action, path: path.to_owned(), source };
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file =
        OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp).map_err(|e| error("write", e))?;
    file.write_all(contents).and_then(|()| file.sync_all()).map_err(|e| error("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| error("write", e))
}

/// Reads a file, `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::StateDir { action: "read", path: path.to_owned(), source }),
    }
}
