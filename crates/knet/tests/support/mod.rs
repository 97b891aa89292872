//! What the tests that drive `knet up` with the real kubectl share: the repository root, the versioned kubectl
//! binaries, starting `knet up` on a free port until its ready line, and a running `knet up` that is killed and
//! removed when dropped, to which each test adds its own kubectl helpers. (Each test crate uses part of it.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The repository root, where kubectl runs so that the guide's `examples/...` paths work as written.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kubectl.1.<minor>` beside the dispatcher's target, as `../shared/reference/kubectl/README.md` describes.
pub fn kubectl_binary(minor: u32) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dispatcher = std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .expect("kubectl on the PATH");
    let target = std::fs::canonicalize(&dispatcher).expect("the dispatcher's target");
    let versioned = target.parent().expect("a directory").join(format!("kubectl.1.{minor}"));
    assert!(versioned.is_file(), "{} is missing", versioned.display());
    versioned
}

/// Starts `knet up --port 0` on a fresh `dir` and returns it once it has printed its ready line (whose path of the
/// kubeconfig is checked); stdout goes on being read so the server never writes into a closed pipe.
pub fn start_knet_up(dir: &Path) -> Child {
    let _ = std::fs::remove_dir_all(dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
        .args(["up", "--port", "0", "--state-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("knet up starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let ready = received.recv_timeout(Duration::from_secs(20)).expect("knet up prints a line when ready");
    assert!(ready.starts_with("knet API server ready at https://127.0.0.1:"), "{ready}");
    assert!(ready.contains(&dir.join("kubeconfig").display().to_string()), "{ready}");
    child
}

/// A running `knet up` in a temporary state dir, killed and removed when dropped.
pub struct KnetUp {
    pub dir: PathBuf,
    child: Child,
}

impl KnetUp {
    pub fn start(dir: PathBuf) -> KnetUp {
        KnetUp { child: start_knet_up(&dir), dir }
    }
}

impl Drop for KnetUp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
