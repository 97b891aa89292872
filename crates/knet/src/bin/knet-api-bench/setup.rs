//! The server's and the clients' runtimes, kube-rs clients of the server, and the objects the benchmarks create.

use std::future::Future;
use std::path::Path;

use anyhow::{Context, Result};
use kube::api::PostParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The two runtimes: the server's and the clients'.
pub(crate) struct Runtimes {
    server: Runtime,
    clients: Runtime,
}

impl Runtimes {
    pub(crate) fn new() -> Result<Runtimes> {
        let build = |name: &str| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(name)
                .enable_all()
                .build()
                .with_context(|| format!("starting the {name} runtime"))
        };
        Ok(Runtimes { server: build("server")?, clients: build("clients")? })
    }

    pub(crate) fn server<F: Future>(&self, future: F) -> F::Output {
        self.server.block_on(future)
    }

    pub(crate) fn clients<F: Future>(&self, future: F) -> F::Output {
        self.clients.block_on(future)
    }
}

pub(crate) fn config(state_dir: &Path) -> knet_apiserver::Config {
    knet_apiserver::Config { state_dir: state_dir.to_owned(), port: 0, no_dataplane: true }
}

/// A kube-rs client of the server's kubeconfig, with its own connection pool.
pub(crate) async fn client(kubeconfig: &Path) -> Result<Client> {
    Ok(knet_controllers::client_from_kubeconfig(kubeconfig).await?)
}

/// `n` clients, each with a connection of its own, from one reading of the kubeconfig.
pub(crate) async fn clients(kubeconfig: &Path, n: usize) -> Result<Vec<Client>> {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).context("reading the kubeconfig")?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    (0..n).map(|_| Ok(Client::try_from(config.clone())?)).collect()
}

/// POSTs a JSON object to its collection.
pub(crate) async fn create(client: &Client, collection: &str, object: &Value) -> Result<Value> {
    let request = kube::core::Request::new(collection).create(&PostParams::default(), serde_json::to_vec(object)?)?;
    client.request::<Value>(request).await.with_context(|| format!("creating in {collection}"))
}

pub(crate) async fn create_namespace(client: &Client, name: &str) -> Result<()> {
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    create(client, "/api/v1/namespaces", &namespace).await.map(drop)
}

/// The kinds the benchmarks create, in turn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    ConfigMap,
    Service,
    NetworkPolicy,
    Deployment,
}

pub(crate) const KINDS: [Kind; 4] = [Kind::ConfigMap, Kind::Service, Kind::NetworkPolicy, Kind::Deployment];

impl Kind {
    pub(crate) fn collection(self, namespace: &str) -> String {
        match self {
            Kind::ConfigMap => format!("/api/v1/namespaces/{namespace}/configmaps"),
            Kind::Service => format!("/api/v1/namespaces/{namespace}/services"),
            Kind::NetworkPolicy => format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"),
            Kind::Deployment => format!("/apis/apps/v1/namespaces/{namespace}/deployments"),
        }
    }

    /// The `i`-th object, of this kind.
    pub(crate) fn object(self, namespace: &str, i: usize) -> Value {
        let app = format!("app-{}", (i / 4) % 50);
        let peer = format!("app-{}", (i / 4 + 1) % 50);
        match self {
            Kind::ConfigMap => json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("config-{i}"), "namespace": namespace, "labels": {"app": app}},
                "data": {
                    "LOG_LEVEL": "info",
                    "UPSTREAM": format!("http://{peer}.{namespace}.svc.cluster.local:80"),
                    "settings.yaml": format!("replicas: 2\ntimeoutSeconds: 30\nname: config-{i}\nfeatures: [a, b, c]\n"),
                },
            }),
            Kind::Service => json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i}"), "namespace": namespace, "labels": {"app": app}},
                "spec": {
                    "selector": {"app": app},
                    "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                },
            }),
            Kind::NetworkPolicy => json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("allow-{i}"), "namespace": namespace},
                "spec": {
                    "podSelector": {"matchLabels": {"app": app}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{
                        "from": [{"podSelector": {"matchLabels": {"app": peer}}}],
                        "ports": [{"port": 8080, "protocol": "TCP"}],
                    }],
                },
            }),
            Kind::Deployment => json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("deploy-{i}"), "namespace": namespace, "labels": {"app": app}},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": app, "instance": format!("i{i}")}},
                    "template": {
                        "metadata": {"labels": {"app": app, "instance": format!("i{i}")}},
                        "spec": {"containers": [{
                            "name": "app",
                            "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                            "args": ["netexec", "--http-port=8080"],
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                        }]},
                    },
                },
            }),
        }
    }
}
