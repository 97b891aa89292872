//! knet's controllers: clients of the Kubernetes API written with kube-rs, so they run unchanged against any API
//! server. `knet up` starts them in-process against its own API server, with the kubeconfig it wrote.
//!
//! ```text
//!   start(client, config) ── endpoints   Services + Pods            → Endpoints, EndpointSlices
//!                         ├─ deployment  Deployments + ReplicaSets  → ReplicaSets, Deployment status
//!                         ├─ replicaset  ReplicaSets + Pods         → Pods, ReplicaSet status
//!                         ├─ node        Pods (no data plane)       → binding, pod IP, Running and Ready
//!                         ├─ namespace   terminating Namespaces     → contents deleted, then `finalize`
//!                         ├─ serviceaccount  Namespaces             → `default` ServiceAccount, `kube-root-ca.crt`
//!                         ├─ loadbalancer  LoadBalancer Services     → an `IPAllocated` event per address
//!                         └─ gc          owners and dependents      → deletes dependents whose owner is gone
//! ```
//!
//! Each controller keeps its decision in a pure function (`desired`, `plan`, ...) with its own tests; the loop
//! around it only reads, calls the function, and writes. Events for notable actions go through `events`.

pub mod deployment;
pub mod endpoints;
pub mod events;
pub mod gc;
pub mod loadbalancer;
pub mod namespace;
pub mod node;
pub mod replicaset;
pub mod serviceaccount;

use std::sync::Arc;
use std::time::Duration;

pub use kube;
use kube::Client;
use tokio::task::JoinSet;

/// How long a failed reconcile waits before it is retried.
pub(crate) const RETRY: Duration = Duration::from_secs(1);

/// What the controllers need to know about the cluster they run in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The one node pods are scheduled to.
    pub node_name: String,
    /// The node's address (`status.hostIP` of its pods).
    pub node_ip: String,
    /// The node's pod CIDR, from which the stand-in node gives pods their IPs (IPv4, e.g. `10.244.0.0/24`).
    pub pod_cidr: String,
    /// Whether to run the stand-in node (`node`): true when there is no node data plane to run pods for real.
    pub stand_in_node: bool,
    /// The cluster CA (PEM) that every namespace's `kube-root-ca.crt` ConfigMap carries, when known.
    pub root_ca: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            node_name: "knet".to_owned(),
            node_ip: "127.0.0.1".to_owned(),
            pod_cidr: "10.244.0.0/24".to_owned(),
            stand_in_node: true,
            root_ca: None,
        }
    }
}

/// What every controller is handed: the client and the cluster's facts.
#[derive(Clone)]
pub struct Context {
    pub client: Client,
    pub config: Config,
    pub events: events::Recorder,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("config", &self.config).finish_non_exhaustive()
    }
}

/// An error of one reconcile; the loop logs it and retries.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Kube(#[from] kube::Error),
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The running controllers.
#[derive(Debug)]
pub struct Controllers {
    tasks: JoinSet<()>,
}

impl Controllers {
    /// Starts every controller on `client`.
    pub fn start(client: Client, config: Config) -> Controllers {
        let context = Arc::new(Context { events: events::Recorder::new(client.clone()), client, config });
        let mut tasks = JoinSet::new();
        tasks.spawn(endpoints::run(Arc::clone(&context)));
        tasks.spawn(deployment::run(Arc::clone(&context)));
        tasks.spawn(replicaset::run(Arc::clone(&context)));
        tasks.spawn(gc::run(Arc::clone(&context)));
        tasks.spawn(loadbalancer::run(Arc::clone(&context)));
        tasks.spawn(namespace::run(Arc::clone(&context)));
        tasks.spawn(serviceaccount::run(Arc::clone(&context)));
        if context.config.stand_in_node {
            tasks.spawn(node::run(Arc::clone(&context)));
        }
        Controllers { tasks }
    }

    /// Stops every controller.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// What a failed reconcile does: say so, and try again after `RETRY`.
pub(crate) fn retry(controller: &str, error: &Error) -> kube::runtime::controller::Action {
    // Writing into a namespace that is being deleted is refused until the namespace is gone; that is the normal
    // course of a namespace deletion, not worth a line.
    let namespace_terminating = matches!(error, Error::Kube(kube::Error::Api(status))
        if status.code == 403 && status.message.contains("because it is being terminated"));
    if !namespace_terminating {
        eprintln!("knet: {controller}: {error}");
    }
    kube::runtime::controller::Action::requeue(RETRY)
}

/// Go's `omitempty` on optional counts: a zero is written as no value, so that a status read back compares equal
/// to the one computed.
pub(crate) fn omit_zeros<'a, T: Default + PartialEq + 'a>(fields: impl IntoIterator<Item = &'a mut Option<T>>) {
    for field in fields {
        if field.as_ref() == Some(&T::default()) {
            *field = None;
        }
    }
}

/// The current time to the second, as Kubernetes keeps timestamps.
pub(crate) fn now() -> k8s_openapi::jiff::Timestamp {
    let now = k8s_openapi::jiff::Timestamp::now();
    now.round(k8s_openapi::jiff::Unit::Second).unwrap_or(now)
}

/// The current time as RFC 3339 with seconds, as Kubernetes writes timestamps.
pub(crate) fn now_rfc3339() -> String {
    now().to_string()
}

/// A write whose object is gone meanwhile is no failure: its deletion will be seen.
pub(crate) fn ignore_not_found<T>(result: kube::Result<T>) -> kube::Result<()> {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(error),
    }
}

/// A client for the cluster of a kubeconfig file (the one `knet up` writes, or any other).
pub async fn client_from_kubeconfig(path: &std::path::Path) -> Result<Client> {
    let invalid = |message: String| Error::Invalid { what: path.display().to_string(), message };
    let kubeconfig = kube::config::Kubeconfig::read_from(path).map_err(|e| invalid(e.to_string()))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Client::try_from(config)?)
}
