//! kube-rs against the real API server, started in-process on a port of its own: CRUD of ConfigMaps, Services and
//! NetworkPolicies through `Api<T>` (label selectors, 409 on a stale resourceVersion, merge patch and server-side
//! apply), a `watcher` stream and a `reflector` store that see every change in order, and a restart on the same state
//! dir that keeps every object, keeps resourceVersions growing and lets a watch resume from a version of before.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use knet_apiserver::{Config, Server};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::mpsc;

mod support;
use support::{TempDir, client};

/// How long any wait for the server or for an event may take before the test fails instead of hanging.
const WAIT: Duration = Duration::from_secs(10);

async fn start(dir: &TempDir) -> Server {
    let config = Config { state_dir: dir.0.clone(), port: 0, no_dataplane: true };
    Server::start(&config).await.expect("the API server starts")
}

fn meta(name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
    let labels = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>();
    ObjectMeta { name: Some(name.to_owned()), labels: Some(labels), ..ObjectMeta::default() }
}

fn config_map(name: &str, labels: &[(&str, &str)], data: &[(&str, &str)]) -> ConfigMap {
    let data = data.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    ConfigMap { metadata: meta(name, labels), data: Some(data), ..ConfigMap::default() }
}

fn service(name: &str, labels: &[(&str, &str)]) -> Service {
    let selector = [("app".to_owned(), name.to_owned())].into_iter().collect();
    let port = ServicePort { port: 80, ..ServicePort::default() };
    let spec = ServiceSpec { selector: Some(selector), ports: Some(vec![port]), ..ServiceSpec::default() };
    Service { metadata: meta(name, labels), spec: Some(spec), ..Service::default() }
}

fn network_policy(name: &str, labels: &[(&str, &str)]) -> NetworkPolicy {
    let pods = [("app".to_owned(), name.to_owned())].into_iter().collect();
    let spec = NetworkPolicySpec {
        pod_selector: Some(LabelSelector { match_labels: Some(pods), ..LabelSelector::default() }),
        ingress: Some(vec![NetworkPolicyIngressRule::default()]),
        ..NetworkPolicySpec::default()
    };
    NetworkPolicy { metadata: meta(name, labels), spec: Some(spec) }
}

fn to_json<K: Serialize>(object: &K) -> Value {
    serde_json::to_value(object).expect("objects serialize")
}

fn rv<K: Resource>(object: &K) -> u64 {
    let text = object.meta().resource_version.as_deref().expect("every object has a resourceVersion");
    text.parse().unwrap_or_else(|_| panic!("resourceVersion {text:?} is an integer"))
}

fn names<K: Resource>(objects: impl IntoIterator<Item = K>) -> Vec<String> {
    let mut names: Vec<String> = objects.into_iter().map(|o| o.meta().name.clone().unwrap_or_default()).collect();
    names.sort();
    names
}

fn api_code(error: &kube::Error) -> Option<(u16, &str)> {
    match error {
        kube::Error::Api(status) => Some((status.code, status.reason.as_str())),
        _ => None,
    }
}

/// The operations one kind goes through, with the field each patch sets and where to read it back.
struct Case<K> {
    api: Api<K>,
    /// Two objects: the first labelled `tier=front`, the second `tier=back`.
    objects: [K; 2],
    /// A change for `replace`, and where its value shows in the object's JSON.
    change: fn(&mut K),
    changed: (&'static str, Value),
    /// A server-side apply body for the first object, and where the applied value shows.
    apply: Value,
    applied: (&'static str, Value),
}

/// Create, get, list with a label selector, replace (and a stale replace: 409 Conflict), merge patch, server-side
/// apply and delete, checking what each answer shows.
async fn crud<K>(case: Case<K>)
where
    K: Resource + Clone + Serialize + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let Case { api, objects, change, changed, apply, applied } = case;
    let kind = K::kind(&K::DynamicType::default()).into_owned();
    let first = objects[0].name_any();
    let mut created_rvs = Vec::new();
    for object in &objects {
        let created = api.create(&PostParams::default(), object).await.unwrap_or_else(|e| panic!("create {kind}: {e}"));
        assert_eq!(created.name_any(), object.name_any());
        assert!(created.meta().uid.is_some(), "{kind} {} has a uid", created.name_any());
        created_rvs.push(rv(&created));
    }
    assert!(created_rvs[0] < created_rvs[1], "{kind}: each write takes a larger resourceVersion: {created_rvs:?}");

    let again = api.create(&PostParams::default(), &objects[0]).await.expect_err("a second create conflicts");
    assert_eq!(api_code(&again), Some((409, "AlreadyExists")), "{kind}: {again}");

    let got = api.get(&first).await.unwrap_or_else(|e| panic!("get {kind}: {e}"));
    assert_eq!(rv(&got), created_rvs[0]);
    assert_eq!(got.labels().get("tier").map(String::as_str), Some("front"));

    let front = api.list(&ListParams::default().labels("tier=front")).await.expect("list");
    assert_eq!(names(front.items), vec![first.clone()], "{kind}: tier=front selects the first object");
    let both = api.list(&ListParams::default().labels("tier in (front,back)")).await.expect("list");
    assert_eq!(both.items.len(), 2, "{kind}: the set selector selects both");
    let list_rv: u64 = both.metadata.resource_version.as_deref().unwrap_or("").parse().expect("a list rv");
    assert!(list_rv >= created_rvs[1], "{kind}: the list's resourceVersion covers its items");
    let none = api.list(&ListParams::default().labels("tier=nowhere")).await.expect("list");
    assert!(none.items.is_empty());

    let mut edited = got.clone();
    change(&mut edited);
    let replaced = api.replace(&first, &PostParams::default(), &edited).await.expect("replace");
    assert_eq!(to_json(&replaced).pointer(changed.0), Some(&changed.1), "{kind}: replace wrote {}", changed.0);
    assert!(rv(&replaced) > created_rvs[1]);
    // `got` still carries the resourceVersion of before the replace.
    let stale = api.replace(&first, &PostParams::default(), &got).await.expect_err("a stale replace is refused");
    assert_eq!(api_code(&stale), Some((409, "Conflict")), "{kind}: {stale}");
    assert_eq!(rv(&api.get(&first).await.expect("get")), rv(&replaced), "{kind}: the stale replace wrote nothing");

    let merge = json!({ "metadata": { "annotations": { "knet.test/merged": "yes" } } });
    let merged = api.patch(&first, &PatchParams::default(), &Patch::Merge(&merge)).await.expect("merge patch");
    assert_eq!(merged.annotations().get("knet.test/merged").map(String::as_str), Some("yes"));
    assert_eq!(to_json(&merged).pointer(changed.0), Some(&changed.1), "{kind}: the merge patch kept the rest");
    assert!(rv(&merged) > rv(&replaced));

    let params = PatchParams::apply("test").force();
    let applied_object = api.patch(&first, &params, &Patch::Apply(&apply)).await.expect("server-side apply");
    assert_eq!(to_json(&applied_object).pointer(applied.0), Some(&applied.1), "{kind}: apply wrote {}", applied.0);
    assert_eq!(applied_object.annotations().get("knet.test/merged").map(String::as_str), Some("yes"));
    let managers: Vec<_> = applied_object.managed_fields().iter().filter_map(|m| m.manager.clone()).collect();
    assert!(managers.iter().any(|m| m == "test"), "{kind}: the field manager `test` is recorded: {managers:?}");
    assert!(rv(&applied_object) > rv(&merged));

    for object in &objects {
        api.delete(&object.name_any(), &DeleteParams::default()).await.expect("delete");
    }
    let gone = api.get(&first).await.expect_err("a deleted object is gone");
    assert_eq!(api_code(&gone), Some((404, "NotFound")), "{kind}: {gone}");
    let after = api.list(&ListParams::default().labels("tier")).await.expect("list");
    assert!(after.items.is_empty(), "{kind}: nothing left: {:?}", names(after.items));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_through_typed_apis() {
    let dir = TempDir::new("crud");
    let server = start(&dir).await;
    let client = client(&server.kubeconfig).await;

    crud(Case {
        api: Api::<ConfigMap>::namespaced(client.clone(), "default"),
        objects: [
            config_map("settings", &[("tier", "front")], &[("mode", "fast")]),
            config_map("other", &[("tier", "back")], &[("mode", "slow")]),
        ],
        change: |cm| {
            cm.data.get_or_insert_default().insert("mode".to_owned(), "careful".to_owned());
        },
        changed: ("/data/mode", json!("careful")),
        apply: json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": "settings" },
            "data": { "mode": "applied", "extra": "1" },
        }),
        applied: ("/data/extra", json!("1")),
    })
    .await;

    let services = Api::<Service>::namespaced(client.clone(), "default");
    crud(Case {
        api: services.clone(),
        objects: [service("web", &[("tier", "front")]), service("db", &[("tier", "back")])],
        change: |svc| {
            svc.spec.get_or_insert_default().selector = Some([("app".to_owned(), "web-v2".to_owned())].into());
        },
        changed: ("/spec/selector/app", json!("web-v2")),
        apply: json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": { "name": "web" },
            "spec": { "ports": [{ "port": 80, "protocol": "TCP", "targetPort": 8080 }] },
        }),
        applied: ("/spec/ports/0/targetPort", json!(8080)),
    })
    .await;
    // The Service got a cluster IP from the allocator, visible through the client.
    let allocated = services.create(&PostParams::default(), &service("alloc", &[])).await.expect("create");
    let ip = allocated.spec.and_then(|s| s.cluster_ip).unwrap_or_default();
    let ip: std::net::Ipv4Addr = ip.parse().unwrap_or_else(|_| panic!("a cluster IP: {ip:?}"));
    assert_eq!(u32::from(ip) >> 20, u32::from(std::net::Ipv4Addr::new(10, 96, 0, 0)) >> 20, "{ip} in 10.96.0.0/12");

    crud(Case {
        api: Api::<NetworkPolicy>::namespaced(client.clone(), "default"),
        objects: [network_policy("allow-web", &[("tier", "front")]), network_policy("deny-db", &[("tier", "back")])],
        change: |np| {
            np.spec.get_or_insert_default().policy_types = Some(vec!["Ingress".to_owned(), "Egress".to_owned()]);
        },
        changed: ("/spec/policyTypes/1", json!("Egress")),
        apply: json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": { "name": "allow-web" },
            "spec": { "podSelector": { "matchLabels": { "app": "applied" } } },
        }),
        applied: ("/spec/podSelector/matchLabels/app", json!("applied")),
    })
    .await;

    tokio::time::timeout(WAIT, server.stop()).await.expect("the server stops in time");
}

/// One watcher event as a line to compare: the kind, and for objects the name and the `v` data field.
fn describe(event: &watcher::Event<ConfigMap>) -> String {
    let object = |cm: &ConfigMap| {
        let v = cm.data.as_ref().and_then(|d| d.get("v")).map_or("-", String::as_str);
        format!("{} v={v}", cm.name_any())
    };
    match event {
        watcher::Event::Init => "Init".to_owned(),
        watcher::Event::InitApply(cm) => format!("InitApply {}", object(cm)),
        watcher::Event::InitDone => "InitDone".to_owned(),
        watcher::Event::Apply(cm) => format!("Apply {}", object(cm)),
        watcher::Event::Delete(cm) => format!("Delete {}", object(cm)),
    }
}

/// A reflector store's content as sorted `name v=...` lines.
fn snapshot(store: &Store<ConfigMap>) -> Vec<String> {
    let mut lines: Vec<String> = store
        .state()
        .iter()
        .map(|cm| format!("{} v={}", cm.name_any(), cm.data.as_ref().and_then(|d| d.get("v")).map_or("-", |v| v)))
        .collect();
    lines.sort();
    lines
}

/// Drives `stream` on a task and forwards what `f` makes of each item, so the test can wait for items with a deadline.
fn forward<S, T>(stream: S, f: impl Fn(S::Item) -> T + Send + 'static) -> mpsc::UnboundedReceiver<T>
where
    S: Stream + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            if sender.send(f(item)).is_err() {
                return;
            }
        }
    });
    receiver
}

async fn next<T>(receiver: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    match tokio::time::timeout(WAIT, receiver.recv()).await {
        Ok(Some(item)) => item,
        Ok(None) => panic!("{what}: the stream ended"),
        Err(_) => panic!("{what}: nothing within {WAIT:?}"),
    }
}

async fn expect_lines<T: Debug + PartialEq>(receiver: &mut mpsc::UnboundedReceiver<T>, what: &str, expected: Vec<T>) {
    let mut seen = Vec::new();
    while seen.len() < expected.len() {
        match tokio::time::timeout(WAIT, receiver.recv()).await {
            Ok(Some(item)) => seen.push(item),
            Ok(None) => panic!("{what}: the stream ended after {seen:#?}"),
            Err(_) => panic!("{what}: nothing within {WAIT:?} after {seen:#?}\nexpected {expected:#?}"),
        }
    }
    assert_eq!(seen, expected, "{what}");
}

/// A reflector's event and the store's content right after the reflector applied it.
type Reflected = (String, Vec<String>);

fn reflect(api: Api<ConfigMap>, config: watcher::Config) -> (Store<ConfigMap>, mpsc::UnboundedReceiver<Reflected>) {
    let (store, writer) = reflector::store();
    let reader = store.clone();
    let events = forward(reflector::reflector(writer, watcher(api, config)), move |event| match event {
        Ok(event) => (describe(&event), snapshot(&reader)),
        Err(error) => (format!("error: {error}"), snapshot(&reader)),
    });
    (store, events)
}

fn lines(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_and_reflector_see_every_change_in_order() {
    let dir = TempDir::new("watch");
    let server = start(&dir).await;
    let client = client(&server.kubeconfig).await;
    let api = Api::<ConfigMap>::namespaced(client.clone(), "default");
    let post = PostParams::default();
    api.create(&post, &config_map("before", &[("suite", "watch")], &[("v", "0")])).await.expect("create");

    let config = watcher::Config::default().labels("suite=watch");
    let mut watched = forward(watcher(api.clone(), config.clone()), |event| match event {
        Ok(event) => describe(&event),
        Err(error) => format!("error: {error}"),
    });
    let (store, mut reflected) = reflect(api.clone(), config);
    expect_lines(&mut watched, "watcher: initial list", lines(&["Init", "InitApply before v=0", "InitDone"])).await;
    let initial = vec![
        ("Init".to_owned(), vec![]),
        ("InitApply before v=0".to_owned(), vec![]),
        ("InitDone".to_owned(), lines(&["before v=0"])),
    ];
    expect_lines(&mut reflected, "reflector: initial list", initial).await;
    tokio::time::timeout(WAIT, store.wait_until_ready()).await.expect("ready in time").expect("the writer lives");

    // Every kind of change, each waited for in both streams before the next, so the order is the server's.
    api.create(&post, &config_map("one", &[("suite", "watch")], &[("v", "1")])).await.expect("create");
    api.create(&post, &config_map("unwatched", &[("suite", "other")], &[("v", "x")])).await.expect("create");
    let mut one = api.get("one").await.expect("get");
    one.data.get_or_insert_default().insert("v".to_owned(), "2".to_owned());
    api.replace("one", &post, &one).await.expect("replace");
    let merge = json!({ "data": { "v": "3" } });
    api.patch("one", &PatchParams::default(), &Patch::Merge(&merge)).await.expect("merge patch");
    let apply = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "one" }, "data": { "v": "4" } });
    api.patch("one", &PatchParams::apply("test").force(), &Patch::Apply(&apply)).await.expect("apply");
    api.delete("before", &DeleteParams::default()).await.expect("delete");
    // An object that starts matching the selector is new to the watcher; one that stops matching is gone from it.
    // Regression: a watch started from a resourceVersion (as kube-rs watchers always start after their list) sent
    // nothing when an object left its selector, so the reflector kept "one" forever.
    let relabel = |suite: &str| json!({ "metadata": { "labels": { "suite": suite } } });
    api.patch("unwatched", &PatchParams::default(), &Patch::Merge(&relabel("watch"))).await.expect("relabel");
    api.patch("one", &PatchParams::default(), &Patch::Merge(&relabel("other"))).await.expect("relabel");
    api.delete("unwatched", &DeleteParams::default()).await.expect("delete");

    let events = [
        ("Apply one v=1", &["before v=0", "one v=1"][..]),
        ("Apply one v=2", &["before v=0", "one v=2"]),
        ("Apply one v=3", &["before v=0", "one v=3"]),
        ("Apply one v=4", &["before v=0", "one v=4"]),
        ("Delete before v=0", &["one v=4"]),
        ("Apply unwatched v=x", &["one v=4", "unwatched v=x"]),
        ("Delete one v=4", &["unwatched v=x"]),
        ("Delete unwatched v=x", &[]),
    ];
    let expected_watch: Vec<String> = events.iter().map(|(e, _)| (*e).to_owned()).collect();
    expect_lines(&mut watched, "watcher: the changes", expected_watch).await;
    let expected_reflected: Vec<Reflected> = events.iter().map(|(e, s)| ((*e).to_owned(), lines(s))).collect();
    expect_lines(&mut reflected, "reflector: the changes", expected_reflected).await;
    assert!(store.state().is_empty());

    tokio::time::timeout(WAIT, server.stop()).await.expect("the server stops in time");
}

/// The data of the restart test's ConfigMaps as `name v=...` lines, read with a fresh list.
async fn listed(api: &Api<ConfigMap>) -> Vec<String> {
    let list = api.list(&ListParams::default().labels("suite=restart")).await.expect("list");
    let mut lines: Vec<String> = list
        .items
        .iter()
        .map(|cm| format!("{} v={}", cm.name_any(), cm.data.as_ref().and_then(|d| d.get("v")).map_or("-", |v| v)))
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_objects_and_resource_versions_and_resumes_watches() {
    let dir = TempDir::new("restart");
    let server = start(&dir).await;
    let first_address = server.address;
    let client1 = client(&server.kubeconfig).await;
    let maps = Api::<ConfigMap>::namespaced(client1.clone(), "default");
    let post = PostParams::default();
    for (name, v) in [("keep", "1"), ("change", "1"), ("remove", "1")] {
        maps.create(&post, &config_map(name, &[("suite", "restart")], &[("v", v)])).await.expect("create");
    }
    let svc = Api::<Service>::namespaced(client1.clone(), "default")
        .create(&post, &service("kept-svc", &[("suite", "restart")]))
        .await
        .expect("create");
    let np = Api::<NetworkPolicy>::namespaced(client1.clone(), "default")
        .create(&post, &network_policy("kept-np", &[("suite", "restart")]))
        .await
        .expect("create");
    let before: Vec<ConfigMap> = maps.list(&ListParams::default().labels("suite=restart")).await.expect("list").items;
    let before_rv: u64 = maps
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .and_then(|rv| rv.parse().ok())
        .expect("a list resourceVersion");
    assert!(
        before_rv >= rv(&np) && rv(&np) > rv(&svc),
        "resourceVersions grow: {before_rv}, {}, {}",
        rv(&np),
        rv(&svc)
    );
    drop(maps);
    drop(client1);

    tokio::time::timeout(WAIT, server.stop()).await.expect("the server stops in time");
    let server = start(&dir).await;
    // Port 0 again: most likely another port; the kubeconfig is rewritten for the one chosen.
    let written = std::fs::read_to_string(&server.kubeconfig).expect("the kubeconfig");
    assert!(written.contains(&format!("https://{}", server.address)), "the kubeconfig names the new address");
    if server.address != first_address {
        assert!(!written.contains(&format!("https://{first_address}")), "the old address is gone");
    }
    let client2 = client(&server.kubeconfig).await;
    let maps = Api::<ConfigMap>::namespaced(client2.clone(), "default");

    // Every object is still there, unchanged down to its resourceVersion and uid.
    let after: Vec<ConfigMap> = maps.list(&ListParams::default().labels("suite=restart")).await.expect("list").items;
    assert_eq!(to_json(&after), to_json(&before), "the ConfigMaps survive the restart unchanged");
    let svc_after = Api::<Service>::namespaced(client2.clone(), "default").get("kept-svc").await.expect("get");
    assert_eq!(to_json(&svc_after), to_json(&svc), "the Service (and its cluster IP) survives unchanged");
    let np_after = Api::<NetworkPolicy>::namespaced(client2.clone(), "default").get("kept-np").await.expect("get");
    assert_eq!(to_json(&np_after), to_json(&np), "the NetworkPolicy survives unchanged");

    // A watch resumed from the resourceVersion of before the restart, and a fresh watcher with a reflector.
    let resumed = maps
        .watch(&WatchParams::default().labels("suite=restart"), &before_rv.to_string())
        .await
        .expect("a watch from the resourceVersion of before the restart starts");
    let mut resumed = forward(resumed, |event| match event {
        Ok(WatchEvent::Added(cm)) => (format!("ADDED {}", cm.name_any()), rv(&cm)),
        Ok(WatchEvent::Modified(cm)) => (format!("MODIFIED {}", cm.name_any()), rv(&cm)),
        Ok(WatchEvent::Deleted(cm)) => (format!("DELETED {}", cm.name_any()), rv(&cm)),
        Ok(WatchEvent::Bookmark(b)) => (format!("BOOKMARK {}", b.metadata.resource_version), 0),
        Ok(WatchEvent::Error(status)) => (format!("ERROR {} {}", status.code, status.message), 0),
        Err(error) => (format!("error: {error}"), 0),
    });
    let (store, mut reflected) = reflect(maps.clone(), watcher::Config::default().labels("suite=restart"));
    let listed_before = lines(&["change v=1", "keep v=1", "remove v=1"]);
    let initial = vec![
        ("Init".to_owned(), lines(&[])),
        ("InitApply change v=1".to_owned(), lines(&[])),
        ("InitApply keep v=1".to_owned(), lines(&[])),
        ("InitApply remove v=1".to_owned(), lines(&[])),
        ("InitDone".to_owned(), listed_before.clone()),
    ];
    expect_lines(&mut reflected, "reflector after the restart: initial list", initial).await;

    // Writes after the restart continue the resourceVersion sequence.
    let created = maps.create(&post, &config_map("new", &[("suite", "restart")], &[("v", "1")])).await.expect("create");
    assert!(rv(&created) > before_rv, "the first write after the restart: {} > {before_rv}", rv(&created));
    let merge = json!({ "data": { "v": "2" } });
    let changed = maps.patch("change", &PatchParams::default(), &Patch::Merge(&merge)).await.expect("patch");
    assert!(rv(&changed) > rv(&created));
    maps.delete("remove", &DeleteParams::default()).await.expect("delete");

    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next(&mut resumed, "watch resumed from before the restart").await);
    }
    let kinds: Vec<&str> = seen.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["ADDED new", "MODIFIED change", "DELETED remove"], "the watch resumed from before the restart");
    assert_eq!((seen[0].1, seen[1].1), (rv(&created), rv(&changed)), "the events carry the writes' resourceVersions");
    assert!(seen[2].1 > rv(&changed), "the delete takes a newer resourceVersion: {seen:?}");
    let expected = vec![
        ("Apply new v=1".to_owned(), lines(&["change v=1", "keep v=1", "new v=1", "remove v=1"])),
        ("Apply change v=2".to_owned(), lines(&["change v=2", "keep v=1", "new v=1", "remove v=1"])),
        ("Delete remove v=1".to_owned(), lines(&["change v=2", "keep v=1", "new v=1"])),
    ];
    expect_lines(&mut reflected, "reflector after the restart: the changes", expected).await;
    assert_eq!(snapshot(&store), listed(&maps).await, "the reflector agrees with a fresh list");

    tokio::time::timeout(WAIT, server.stop()).await.expect("the server stops in time");
}
