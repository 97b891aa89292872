//! knet's embedded Kubernetes API server: the one crate that speaks HTTP for the Kubernetes API.
//!
//! kubectl and kube-rs clients talk to it over HTTPS with the bearer token of the kubeconfig it writes into the state
//! dir. Everything kube-apiserver decides without I/O (the resource registry, Status wording, selectors, patches,
//! discovery and OpenAPI documents, Table rows) comes from `knet-apimachinery`; objects are decoded, defaulted and
//! validated by `knet-object` and kept in `knet-store`. This crate adds what needs a socket, a disk or a clock.
//!
//! ```text
//!  knet up ── run ── Server::start ── StateDir (lock, pid, credentials, kubeconfig)
//!                          │            Store::open ── State (broadcast, allocator, token) ── system objects
//!                          ▼
//!                  TLS accept loop ── app(state): authenticate → route → meta | watch | resource verb
//! ```
//!
//! Module map: `state_dir` and `credentials` (the directory and its files), `server` (listening, signals),
//! `app` (authentication and dispatch), `routes` (URL paths), `meta` (version, health, discovery, OpenAPI),
//! `resource` (the verbs), `watch` (event streams), `recent` (the bounded window of recent events they read), `objects` (admission), `alloc` (Service addresses),
//! `system` (objects at start), `namespaces` (namespace deletion), `identity` (who the client is: the review
//! resources and impersonation), `expiry` (Events expire an hour after their last write), `body` (HTTP bodies), `util` (randomness, time, URL decoding).

mod alloc;
mod app;
mod body;
mod credentials;
mod error;
mod expiry;
mod identity;
mod meta;
mod namespaces;
mod objects;
mod recent;
mod resource;
mod routes;
mod server;
mod state;
mod state_dir;
mod system;
mod util;
mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use app::{App, app};
pub use body::{HttpResponse, ResponseBody};
pub use error::{Error, Result};
pub use server::{Server, run, stop_signal};
pub use state::{State, Timing};
pub use state_dir::StateDir;
pub use system::{NODE_NAME, ensure as ensure_system_objects};

/// The state dir `knet up` uses when none is given.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/knet";

/// How `knet up` runs the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The directory holding the store, the TLS material, the token and the kubeconfig.
    pub state_dir: PathBuf,
    /// The port to listen on at 127.0.0.1 (0: any free port; the kubeconfig names the one chosen).
    pub port: u16,
    /// Run without the node data plane. There is no data plane yet, so this is always the case today; the flag
    /// is accepted so that scripts written for the finished `knet up` work now.
    pub no_dataplane: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config { state_dir: DEFAULT_STATE_DIR.into(), port: 6443, no_dataplane: false }
    }
}

/// What the API server serves, one line per group version: `apps/v1: deployments (deploy), replicasets (rs)`. For
/// `knet up --help` and anyone who wants to know before asking for a resource knet does not have.
pub fn served_resources() -> String {
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    for resource in knet_apimachinery::resources::RESOURCES {
        let mut name = resource.plural.to_owned();
        if !resource.short_names.is_empty() {
            name.push_str(&format!(" ({})", resource.short_names.join(", ")));
        }
        let subresources: Vec<&str> =
            resource.subresources.iter().copied().filter(|s| !matches!(*s, "status" | "finalize")).collect();
        if !subresources.is_empty() {
            name.push_str(&format!(" [{}]", subresources.join(", ")));
        }
        match lines.iter_mut().find(|(gv, _)| *gv == resource.api_version()) {
            Some((_, names)) => names.push(name),
            None => lines.push((resource.api_version(), vec![name])),
        }
    }
    lines.iter().map(|(gv, names)| format!("  {gv}: {}\n", names.join(", "))).collect()
}

/// The kubeconfig path of a state dir (`knet kubeconfig`).
pub fn kubeconfig_path(state_dir: &Path) -> PathBuf {
    StateDir::new(state_dir).kubeconfig()
}

/// Stops the `knet up` running on `state_dir` (`knet down`), returning its pid.
pub fn down(state_dir: &Path) -> Result<u32> {
    StateDir::new(state_dir).stop(Duration::from_secs(15))
}
