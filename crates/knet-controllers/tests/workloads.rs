//! The deployment and replicaset controllers against the real API server, with the stand-in node making pods
//! Running and Ready: a Deployment becomes available with a ReplicaSet and pods, follows `spec.replicas` through the
//! scale subresource, rolls a template change to a second ReplicaSet (revision 2, the old one at 0, every pod of the
//! new hash) and a Recreate Deployment replaces its pods; the events are kube's.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use knet_apiserver::{Config, Server};
use knet_controllers::Controllers;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::wait::await_condition;
use kube::{Client, ResourceExt};
use serde_json::json;

/// How long a rollout may take before the test fails instead of hanging.
const WAIT: Duration = Duration::from_secs(60);

/// A state dir under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("knet-workloads-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The API server and the controllers, as `knet up` runs them.
async fn cluster(dir: &TempDir) -> (Server, Controllers, Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = Config { state_dir: dir.0.clone(), port: 0, no_dataplane: true };
    let server = Server::start(&config).await.expect("the API server starts");
    let client = knet_controllers::client_from_kubeconfig(&server.kubeconfig).await.expect("a client");
    let controllers = Controllers::start(client.clone(), knet_controllers::Config::default());
    (server, controllers, client)
}

fn deployment(name: &str, replicas: i32, image: &str, strategy: serde_json::Value) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": strategy,
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }
        }
    }))
    .unwrap()
}

/// Waits until `kubectl rollout status` would say the Deployment rolled out with `replicas`, and `kubectl wait
/// --for=condition=available` would return.
async fn rolled_out(api: &Api<Deployment>, name: &str, replicas: i32) -> Deployment {
    let done = move |d: Option<&Deployment>| {
        let Some(d) = d else { return false };
        let Some(status) = d.status.as_ref() else { return false };
        let available = status.conditions.iter().flatten().any(|c| c.type_ == "Available" && c.status == "True");
        let progressed = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("NewReplicaSetAvailable"));
        status.observed_generation >= d.metadata.generation
            && d.spec.as_ref().and_then(|s| s.replicas) == Some(replicas)
            && status.updated_replicas == Some(replicas)
            && status.replicas == Some(replicas)
            && status.available_replicas == Some(replicas)
            && available
            && progressed
    };
    let waited = tokio::time::timeout(WAIT, await_condition(api.clone(), name, done)).await;
    let last = api.get(name).await.ok();
    match waited {
        Ok(Ok(Some(d))) => d,
        _ => panic!("deployment {name} did not roll out to {replicas}: {:#?}", last.and_then(|d| d.status)),
    }
}

/// The ReplicaSets and the live pods of Deployment `name` (by its `app` label), ReplicaSets oldest revision first.
async fn workload(client: &Client, name: &str) -> (Vec<ReplicaSet>, Vec<Pod>) {
    let selector = ListParams::default().labels(&format!("app={name}"));
    let mut replica_sets =
        Api::<ReplicaSet>::namespaced(client.clone(), "default").list(&selector).await.unwrap().items;
    replica_sets.sort_by_key(|rs| rs.annotations().get("deployment.kubernetes.io/revision").cloned());
    let pods = Api::<Pod>::namespaced(client.clone(), "default").list(&selector).await.unwrap().items;
    let pods = pods.into_iter().filter(|p| p.metadata.deletion_timestamp.is_none()).collect();
    (replica_sets, pods)
}

fn hash(rs: &ReplicaSet) -> String {
    rs.labels()["pod-template-hash"].clone()
}

fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// The messages of the events about an object of this kind and name, by reason.
async fn events(client: &Client, kind: &str, name: &str, reason: &str) -> Vec<String> {
    let events = Api::<Event>::namespaced(client.clone(), "default").list(&ListParams::default()).await.unwrap();
    events
        .items
        .into_iter()
        .filter(|e| {
            e.involved_object.kind.as_deref() == Some(kind)
                && e.involved_object.name.as_deref() == Some(name)
                && e.reason.as_deref() == Some(reason)
        })
        .filter_map(|e| e.message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_rolls_out_scales_and_rolls_a_new_template() {
    let dir = TempDir::new("rolling");
    let (server, controllers, client) = cluster(&dir).await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let strategy = json!({"type": "RollingUpdate"});
    api.create(&PostParams::default(), &deployment("web", 3, "nginx:1", strategy)).await.unwrap();

    let d = rolled_out(&api, "web", 3).await;
    assert_eq!(d.annotations().get("deployment.kubernetes.io/revision").map(String::as_str), Some("1"));
    let (replica_sets, pods) = workload(&client, "web").await;
    assert_eq!(replica_sets.len(), 1);
    let first = &replica_sets[0];
    assert_eq!(first.name_any(), format!("web-{}", hash(first)));
    assert_eq!(first.owner_references()[0].name, "web");
    assert_eq!(first.status.as_ref().unwrap().ready_replicas, Some(3));
    assert_eq!(pods.len(), 3);
    for pod in &pods {
        assert!(pod.name_any().starts_with(&format!("{}-", first.name_any())), "{}", pod.name_any());
        assert_eq!(pod.labels()["pod-template-hash"], hash(first));
        assert_eq!(pod.owner_references()[0].uid, first.uid().unwrap());
    }
    let created = events(&client, "ReplicaSet", &first.name_any(), "SuccessfulCreate").await;
    assert_eq!(created.len(), 3, "{created:?}");
    assert!(created.iter().all(|m| m.starts_with("Created pod: ")));
    let scaled = events(&client, "Deployment", "web", "ScalingReplicaSet").await;
    assert_eq!(scaled, [format!("Scaled up replica set {} from 0 to 3", first.name_any())]);

    // `kubectl scale --replicas=5`: through the scale subresource.
    let scale = json!({"spec": {"replicas": 5}});
    api.patch_scale("web", &PatchParams::default(), &Patch::Merge(&scale)).await.unwrap();
    rolled_out(&api, "web", 5).await;
    let (replica_sets, pods) = workload(&client, "web").await;
    assert_eq!((replica_sets.len(), pods.len()), (1, 5));
    assert_eq!(replica_sets[0].annotations()["deployment.kubernetes.io/desired-replicas"], "5");

    // A new image: a second ReplicaSet takes over, the first is kept at 0 for `kubectl rollout undo`.
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}}}});
    api.patch("web", &PatchParams::default(), &Patch::Strategic(&image)).await.unwrap();
    let d = rolled_out(&api, "web", 5).await;
    assert_eq!(d.annotations().get("deployment.kubernetes.io/revision").map(String::as_str), Some("2"));
    let (replica_sets, pods) = workload(&client, "web").await;
    assert_eq!(replica_sets.len(), 2);
    let (old, new) = (&replica_sets[0], &replica_sets[1]);
    assert_eq!((replicas(old), replicas(new)), (0, 5));
    assert_eq!(new.annotations()["deployment.kubernetes.io/revision"], "2");
    assert_eq!(pods.len(), 5);
    assert!(pods.iter().all(|p| p.labels()["pod-template-hash"] == hash(new)));
    let scaled = events(&client, "Deployment", "web", "ScalingReplicaSet").await;
    assert!(scaled.contains(&format!("Scaled up replica set {} from 0 to 2", new.name_any())), "{scaled:?}");
    assert!(scaled.iter().any(|m| m.starts_with(&format!("Scaled down replica set {}", old.name_any()))), "{scaled:?}");
    assert!(!events(&client, "ReplicaSet", &old.name_any(), "SuccessfulDelete").await.is_empty());

    controllers.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreate_deployment_replaces_its_pods() {
    let dir = TempDir::new("recreate");
    let (server, controllers, client) = cluster(&dir).await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &deployment("db", 2, "postgres:16", json!({"type": "Recreate"}))).await.unwrap();
    rolled_out(&api, "db", 2).await;
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "postgres:17"}]}}}});
    api.patch("db", &PatchParams::default(), &Patch::Strategic(&image)).await.unwrap();
    rolled_out(&api, "db", 2).await;
    let (replica_sets, pods) = workload(&client, "db").await;
    assert_eq!(replica_sets.len(), 2);
    let (old, new) = (&replica_sets[0], &replica_sets[1]);
    assert_eq!((replicas(old), replicas(new)), (0, 2));
    assert!(pods.iter().all(|p| p.labels()["pod-template-hash"] == hash(new)));
    // Recreate: the old ReplicaSet went to 0 in one step, and the new one came up to 2 in one step.
    let scaled = events(&client, "Deployment", "db", "ScalingReplicaSet").await;
    assert!(scaled.contains(&format!("Scaled down replica set {} from 2 to 0", old.name_any())), "{scaled:?}");
    assert!(scaled.contains(&format!("Scaled up replica set {} from 0 to 2", new.name_any())), "{scaled:?}");

    controllers.stop().await;
    server.stop().await;
}
