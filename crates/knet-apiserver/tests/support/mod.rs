//! What the integration tests that run the real server share: a temporary state dir removed when dropped, the handler
//! over a fresh store for tests that drive it without a socket, the server as a child process, and a kube-rs client
//! built from the kubeconfig the server writes, exactly as a user would build one. (Each test crate uses part of it.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use knet_apiserver::{App, State, Timing, app, ensure_system_objects};
use knet_store::{Options, Store};
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A state dir under the system's temporary directory, named for the test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("knet-apiserver-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A kube-rs client from the kubeconfig at `kubeconfig`.
pub async fn client(kubeconfig: &Path) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kubeconfig = Kubeconfig::read_from(kubeconfig).expect("the kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("the kubeconfig is usable");
    Client::try_from(config).expect("a client")
}

/// How long starting the server may take before the test fails instead of hanging.
const WAIT: Duration = Duration::from_secs(10);

/// The server as a child process; dropping it SIGKILLs and reaps the child if it still runs.
pub struct ServerProcess {
    pub child: Child,
    pub kubeconfig: PathBuf,
    /// The address it serves, from its ready line.
    pub address: String,
}

impl ServerProcess {
    /// Starts the binary on `dir` and waits for its ready line.
    pub fn start(dir: &Path) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_knet-apiserver"))
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, received) = std::sync::mpsc::channel();
        // Reads stdout to its end, so the server never writes into a closed pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut server = ServerProcess { child, kubeconfig: PathBuf::new(), address: String::new() };
        let line = match received.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                panic!("no ready line within {WAIT:?} (the server exited: {status:?})");
            }
        };
        // `knet API server ready at https://127.0.0.1:PORT (export KUBECONFIG=PATH)`
        assert!(line.starts_with("knet API server ready at https://127.0.0.1:"), "the ready line: {line:?}");
        let kubeconfig = line.split_once("KUBECONFIG=").and_then(|(_, rest)| rest.strip_suffix(')'));
        server.kubeconfig =
            PathBuf::from(kubeconfig.unwrap_or_else(|| panic!("the ready line names the kubeconfig: {line:?}")));
        assert_eq!(server.kubeconfig, dir.join("kubeconfig"));
        server.address = line
            .strip_prefix("knet API server ready at https://")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        server
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reaps the child.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// `app(state)` over a fresh store (with its system objects) in a temporary state dir, accepting `token`: the server
/// without a socket. Its watches end and its directory goes when it is dropped; tests add their request helpers.
pub struct Handler {
    pub app: App,
    _dir: TempDir,
}

impl Handler {
    pub fn new(tag: &str, token: &str, options: Options, timing: Timing) -> Handler {
        let dir = TempDir::new(tag);
        std::fs::create_dir_all(&dir.0).unwrap();
        let store = Store::open_with(&dir.0.join("store.db"), options).unwrap();
        let state = State::with_timing(store, token.to_owned(), timing).unwrap();
        ensure_system_objects(&state).unwrap();
        Handler { app: app(state), _dir: dir }
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        self.app.state().shutdown();
    }
}
