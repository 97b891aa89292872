//! The API server driven without a socket: `app(state)` answers requests built in the test, over a store in a
//! temporary directory. Covers authentication, kube-apiserver's error wording, selectors and paging, Tables,
//! discovery, patches, allocation through the API, and watch streams (including 410 Gone).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use knet_apiserver::{App, HttpResponse, State, app, ensure_system_objects};
use knet_store::{Options, Store};
use serde_json::{Value, json};

const TOKEN: &str = "test-token";

/// A server state over a fresh store, removed when dropped.
struct Fixture {
    dir: std::path::PathBuf,
    app: App,
    /// Whether dropping the fixture removes the directory (not when a restart takes it over).
    owns_dir: bool,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.app.state().shutdown();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn fixture_with(options: Options) -> Fixture {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "knet-api-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    reopen(dir, options)
}

/// A fixture over the store already in `dir` (a restart).
fn reopen(dir: std::path::PathBuf, options: Options) -> Fixture {
    let store = Store::open_with(&dir.join("store.db"), options).unwrap();
    let state: Arc<State> = State::new(store, TOKEN.to_owned()).unwrap();
    ensure_system_objects(&state).unwrap();
    Fixture { dir, app: app(state), owns_dir: true }
}

fn fixture() -> Fixture {
    fixture_with(Options::default())
}

struct Answer {
    code: u16,
    content_type: String,
    body: Value,
}

fn request(method: &str, path: &str, content_type: Option<&str>, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {TOKEN}"));
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Full::new(body.into())).unwrap()
}

async fn answer(response: HttpResponse) -> Answer {
    let code = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Answer { code, content_type, body }
}

impl Fixture {
    async fn send(&self, request: Request<Full<Bytes>>) -> Answer {
        answer(self.app.handle(request).await).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(request("GET", path, None, Bytes::new())).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(request("POST", path, Some("application/json"), body.to_string())).await
    }
}

fn namespace(name: &str) -> Value {
    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name } })
}

fn service(name: &str, spec: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": name, "labels": { "app": name } }, "spec": spec })
}

#[tokio::test]
async fn requests_without_the_token_get_401() {
    let f = fixture();
    let bare = Request::builder().uri("/api/v1/namespaces").body(Full::new(Bytes::new())).unwrap();
    let answer = f.send(bare).await;
    assert_eq!(answer.code, 401);
    assert_eq!(answer.body["message"], "Unauthorized");
    assert_eq!(answer.body["reason"], "Unauthorized");
    let wrong = Request::builder()
        .uri("/version")
        .header("authorization", "Bearer nope")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(f.send(wrong).await.code, 401);
    let public = Request::builder().uri("/version").body(Full::new(Bytes::new())).unwrap();
    let version = f.send(public).await;
    assert_eq!((version.code, version.body["minor"].as_str()), (200, Some("33")));
    let health = f.send(Request::builder().uri("/readyz").body(Full::new(Bytes::new())).unwrap()).await;
    assert_eq!((health.code, health.body.as_str()), (200, Some("ok")));
}

#[tokio::test]
async fn errors_carry_kube_apiserver_wording() {
    let f = fixture();
    let missing = f.get("/api/v1/namespaces/default/services/x").await;
    assert_eq!((missing.code, missing.body["message"].as_str()), (404, Some(r#"services "x" not found"#)));
    let missing = f.get("/apis/apps/v1/namespaces/default/deployments/x").await;
    assert_eq!(missing.body["message"], r#"deployments.apps "x" not found"#);
    assert_eq!(f.post("/api/v1/namespaces", namespace("dup")).await.code, 201);
    let again = f.post("/api/v1/namespaces", namespace("dup")).await;
    assert_eq!((again.code, again.body["message"].as_str()), (409, Some(r#"namespaces "dup" already exists"#)));
    assert_eq!(again.body["reason"], "AlreadyExists");
    let invalid = f
        .post(
            "/api/v1/namespaces/default/services",
            service("bad", json!({ "ports": [{ "port": 80, "protocol": "SCTPX" }] })),
        )
        .await;
    assert_eq!(invalid.code, 422);
    assert_eq!(invalid.body["reason"], "Invalid");
    assert_eq!(invalid.body["details"]["causes"][0]["field"], "spec.ports[0].protocol");
    assert!(
        invalid.body["message"]
            .as_str()
            .unwrap()
            .starts_with(r#"Service "bad" is invalid: spec.ports[0].protocol: Unsupported value: "SCTPX""#)
    );
    let nowhere = f.post("/api/v1/namespaces/nope/services", service("s", json!({ "ports": [{ "port": 80 }] }))).await;
    assert_eq!((nowhere.code, nowhere.body["message"].as_str()), (404, Some(r#"namespaces "nope" not found"#)));
    let mut elsewhere = service("s", json!({ "ports": [{ "port": 80 }] }));
    elsewhere["metadata"]["namespace"] = json!("kube-system");
    let mismatch = f.post("/api/v1/namespaces/default/services", elsewhere).await;
    assert_eq!(mismatch.code, 400);
    assert_eq!(
        mismatch.body["message"],
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    let text = f.send(request("POST", "/api/v1/namespaces", Some("text/plain"), "hello")).await;
    assert_eq!(text.code, 415);
    assert_eq!(text.body["reason"], "UnsupportedMediaType");
    let huge =
        f.send(request("POST", "/api/v1/namespaces", Some("application/json"), vec![b' '; 3 * 1024 * 1024 + 1])).await;
    assert_eq!((huge.code, huge.body["message"].as_str()), (413, Some("Request entity too large: limit is 3145728")));
    let not_json = f.send(request("POST", "/api/v1/namespaces", Some("application/json"), "{")).await;
    assert_eq!(not_json.code, 400);
    let collection = f.send(request("DELETE", "/api/v1/namespaces", None, Bytes::new())).await;
    assert_eq!(collection.code, 405);
    assert_eq!(f.get("/api/v1/widgets").await.code, 404);
    let protected = f.send(request("DELETE", "/api/v1/namespaces/default", None, Bytes::new())).await;
    assert_eq!(
        (protected.code, protected.body["message"].as_str()),
        (403, Some(r#"namespaces "default" is forbidden: this namespace may not be deleted"#))
    );
}

#[tokio::test]
async fn stale_updates_conflict_and_patches_merge() {
    let f = fixture();
    let created = f
        .post(
            "/api/v1/namespaces/default/configmaps",
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": { "name": "c" }, "data": { "a": "1" } }),
        )
        .await;
    assert_eq!(created.code, 201);
    assert_eq!(created.body["kind"], "ConfigMap");
    let mut stale = created.body.clone();
    stale["data"]["a"] = json!("2");
    let path = "/api/v1/namespaces/default/configmaps/c";
    let first = f.send(request("PUT", path, Some("application/json"), stale.to_string())).await;
    assert_eq!(first.code, 200);
    let second = f.send(request("PUT", path, Some("application/json"), stale.to_string())).await;
    assert_eq!(second.code, 409);
    assert_eq!(
        second.body["message"],
        r#"Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again"#
    );
    let patched =
        f.send(request("PATCH", path, Some("application/strategic-merge-patch+json"), r#"{"data":{"b":"3"}}"#)).await;
    assert_eq!(patched.code, 200);
    assert_eq!(patched.body["data"], json!({ "a": "2", "b": "3" }));
    let merge = f.send(request("PATCH", path, Some("application/merge-patch+json"), r#"{"data":{"a":null}}"#)).await;
    assert_eq!(merge.body["data"], json!({ "b": "3" }));
    let unknown = f.send(request("PATCH", path, Some("application/json"), "{}")).await;
    assert_eq!(unknown.code, 415);
    let apply = f
        .send(request(
            "PATCH",
            "/api/v1/namespaces/default/configmaps/applied?fieldManager=test",
            Some("application/apply-patch+yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n",
        ))
        .await;
    assert_eq!((apply.code, apply.body["data"]["k"].as_str()), (201, Some("v")));
    let deleted =
        f.send(request("DELETE", path, Some("application/json"), r#"{"propagationPolicy":"Background"}"#)).await;
    assert_eq!((deleted.code, deleted.body["status"].as_str()), (200, Some("Success")));
    assert_eq!(f.get(path).await.code, 404);
}

#[tokio::test]
async fn services_get_addresses_and_conflicts_are_refused_in_kube_words() {
    let f = fixture();
    let path = "/api/v1/namespaces/default/services";
    let created = f.post(path, service("a", json!({ "clusterIP": "10.96.0.5", "ports": [{ "port": 80 }] }))).await;
    assert_eq!((created.code, created.body["spec"]["clusterIPs"].clone()), (201, json!(["10.96.0.5"])));
    let taken = f.post(path, service("b", json!({ "clusterIP": "10.96.0.5", "ports": [{ "port": 80 }] }))).await;
    assert_eq!(taken.code, 422);
    assert_eq!(
        taken.body["message"],
        r#"Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated"#
    );
    let dns = f.post(path, service("c", json!({ "clusterIP": "10.96.0.10", "ports": [{ "port": 80 }] }))).await;
    assert_eq!(dns.code, 422, "kube-dns holds 10.96.0.10");
    let node_port = service("np", json!({ "type": "NodePort", "ports": [{ "port": 80, "nodePort": 30080 }] }));
    assert_eq!(f.post(path, node_port).await.code, 201);
    let clash =
        f.post(path, service("np2", json!({ "type": "NodePort", "ports": [{ "port": 80, "nodePort": 30080 }] }))).await;
    assert_eq!(
        clash.body["message"],
        r#"Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"#
    );
    let lb = f.post(path, service("lb", json!({ "type": "LoadBalancer", "ports": [{ "port": 80 }] }))).await;
    assert_eq!(lb.body["status"]["loadBalancer"]["ingress"][0]["ip"], "10.250.0.1");
    // Deleting frees the address.
    assert_eq!(f.send(request("DELETE", &format!("{path}/a"), None, Bytes::new())).await.code, 200);
    let reused = f.post(path, service("b", json!({ "clusterIP": "10.96.0.5", "ports": [{ "port": 80 }] }))).await;
    assert_eq!(reused.code, 201);
    let kubernetes = f.get("/api/v1/namespaces/default/services/kubernetes").await;
    assert_eq!(kubernetes.body["spec"]["clusterIP"], "10.96.0.1");
}

#[tokio::test]
async fn lists_filter_by_selectors_and_page() {
    let f = fixture();
    for name in ["a", "b", "c", "d"] {
        let tier = if name < "c" { "web" } else { "db" };
        let mut object = service(name, json!({ "ports": [{ "port": 80 }] }));
        object["metadata"]["labels"]["tier"] = json!(tier);
        assert_eq!(f.post("/api/v1/namespaces/default/services", object).await.code, 201);
    }
    let names = |answer: &Answer| -> Vec<String> {
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let web = f.get("/api/v1/namespaces/default/services?labelSelector=tier%3Dweb").await;
    assert_eq!(names(&web), ["a", "b"]);
    assert_eq!(web.body["kind"], "ServiceList");
    assert_eq!(web.body["items"][0]["kind"], "Service");
    let by_name = f.get("/api/v1/services?fieldSelector=metadata.name%3Dkube-dns").await;
    assert_eq!(names(&by_name), ["kube-dns"]);
    let bad = f.get("/api/v1/services?fieldSelector=spec.colour%3Dred").await;
    assert_eq!(bad.code, 400);
    let first = f.get("/api/v1/namespaces/default/services?limit=2&labelSelector=tier").await;
    assert_eq!(names(&first), ["a", "b"]);
    let token = first.body["metadata"]["continue"].as_str().unwrap().to_owned();
    let rest = f.get(&format!("/api/v1/namespaces/default/services?limit=2&labelSelector=tier&continue={token}")).await;
    assert_eq!(names(&rest), ["c", "d"]);
    // `kubernetes` is left to scan, so a token comes back (as from kube-apiserver); its page is empty and final.
    let token = rest.body["metadata"]["continue"].as_str().unwrap().to_owned();
    let last = f.get(&format!("/api/v1/namespaces/default/services?limit=2&labelSelector=tier&continue={token}")).await;
    assert!(names(&last).is_empty());
    assert!(last.body["metadata"].get("continue").is_none());
}

#[tokio::test]
async fn tables_and_discovery_are_negotiated() {
    let f = fixture();
    let table = f
        .send(
            Request::builder()
                .uri("/api/v1/namespaces/kube-system/services")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(table.content_type, "application/json;as=Table;v=v1;g=meta.k8s.io");
    let columns: Vec<&str> =
        table.body["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]);
    assert_eq!(table.body["rows"][0]["cells"][2], "10.96.0.10");
    assert_eq!(table.body["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    let discovery = f
        .send(
            Request::builder()
                .uri("/apis")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header(
                    "accept",
                    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
                )
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(discovery.code, 200);
    assert_eq!(discovery.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    assert_eq!(discovery.body["kind"], "APIGroupDiscoveryList");
    assert_eq!(f.get("/api").await.body["kind"], "APIVersions");
    assert_eq!(f.get("/openapi/v3").await.code, 200);
    assert_eq!(f.get("/openapi/v3/apis/apps/v1").await.code, 200);
    let v2 = f.get("/openapi/v2").await;
    assert_eq!((v2.code, v2.body["swagger"].as_str()), (200, Some("2.0")));
}

/// Reads the next watch line, waiting at most a few seconds.
async fn next_line(body: &mut knet_apiserver::ResponseBody, buffer: &mut Vec<u8>) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            return serde_json::from_slice(&line).unwrap();
        }
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.expect("a watch event in time");
        let frame = frame.expect("the stream is open").unwrap();
        buffer.extend_from_slice(&frame.into_data().unwrap());
    }
}

#[tokio::test]
async fn watches_stream_events_and_expired_versions_get_410() {
    let f = fixture_with(Options { history_window: 5, compact_every: 1, ..Options::default() });
    let list = f.get("/api/v1/namespaces/default/configmaps").await;
    let rv = list.body["metadata"]["resourceVersion"].as_str().unwrap().to_owned();
    let response = f
        .app
        .handle(request(
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}"),
            None,
            Bytes::new(),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut buffer = Vec::new();
    let config_map = |name: &str| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": name, "labels": { "x": "y" } } });
    assert_eq!(f.post("/api/v1/namespaces/default/configmaps", config_map("w1")).await.code, 201);
    let added = next_line(&mut body, &mut buffer).await;
    assert_eq!((added["type"].as_str(), added["object"]["metadata"]["name"].as_str()), (Some("ADDED"), Some("w1")));
    assert_eq!(
        (added["object"]["kind"].as_str(), added["object"]["apiVersion"].as_str()),
        (Some("ConfigMap"), Some("v1"))
    );
    f.send(request("DELETE", "/api/v1/namespaces/default/configmaps/w1", None, Bytes::new())).await;
    let deleted = next_line(&mut body, &mut buffer).await;
    assert_eq!(deleted["type"], "DELETED");
    // Without a resourceVersion the watch starts with the current state.
    assert_eq!(f.post("/api/v1/namespaces/default/configmaps", config_map("w2")).await.code, 201);
    let response = f
        .app
        .handle(request("GET", "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=x%3Dy", None, Bytes::new()))
        .await;
    let mut body = response.into_body();
    let mut buffer = Vec::new();
    let initial = next_line(&mut body, &mut buffer).await;
    assert_eq!((initial["type"].as_str(), initial["object"]["metadata"]["name"].as_str()), (Some("ADDED"), Some("w2")));
    // The history keeps 5 events: a watch from the first version is told to list again.
    for i in 0..8 {
        f.post("/api/v1/namespaces/default/configmaps", config_map(&format!("n{i}"))).await;
    }
    let response = f
        .app
        .handle(request(
            "GET",
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1",
            None,
            Bytes::new(),
        ))
        .await;
    let mut body = response.into_body();
    let mut buffer = Vec::new();
    let error = next_line(&mut body, &mut buffer).await;
    assert_eq!(error["type"], "ERROR");
    assert_eq!((error["object"]["code"].as_u64(), error["object"]["reason"].as_str()), (Some(410), Some("Expired")));
}

#[tokio::test]
async fn namespaces_are_labelled_and_go_when_finalized() {
    let f = fixture();
    let created = f.post("/api/v1/namespaces", namespace("gone")).await;
    assert_eq!(created.body["metadata"]["labels"]["kubernetes.io/metadata.name"], "gone");
    assert_eq!(created.body["status"]["phase"], "Active");
    f.post("/api/v1/namespaces/gone/services", service("s", json!({ "ports": [{ "port": 80 }] }))).await;
    let deleting = f.send(request("DELETE", "/api/v1/namespaces/gone", None, Bytes::new())).await;
    assert_eq!((deleting.code, deleting.body["status"]["phase"].as_str()), (200, Some("Terminating")));
    let refused = f.post("/api/v1/namespaces/gone/services", service("t", json!({ "ports": [{ "port": 80 }] }))).await;
    assert_eq!(refused.code, 403);
    // Without the namespace controller, the namespace waits for its finalizer.
    assert_eq!(f.get("/api/v1/namespaces/gone").await.body["spec"]["finalizers"], json!(["kubernetes"]));
    let finalize =
        |body: Value| request("PUT", "/api/v1/namespaces/gone/finalize", None, Bytes::from(body.to_string()));
    let bad = f.send(finalize(json!({ "spec": { "finalizers": "kubernetes" } }))).await;
    assert_eq!(bad.code, 400);
    let finalized = f.send(finalize(json!({ "metadata": { "name": "gone" }, "spec": { "finalizers": [] } }))).await;
    assert_eq!(finalized.code, 200);
    assert_eq!(f.get("/api/v1/namespaces/gone").await.code, 404);
    // A namespace nothing finalizes goes at once.
    f.post("/api/v1/namespaces", json!({ "metadata": { "name": "quick" }, "spec": { "finalizers": [] } })).await;
    let quick = f.send(request("DELETE", "/api/v1/namespaces/quick", None, Bytes::new())).await;
    assert_eq!(quick.code, 200);
    assert_eq!(f.get("/api/v1/namespaces/quick").await.code, 404);
}

#[tokio::test]
async fn a_restart_keeps_objects_and_allocations() {
    let f = fixture();
    let created = f
        .post(
            "/api/v1/namespaces/default/services",
            service("kept", json!({ "type": "NodePort", "ports": [{ "port": 80 }] })),
        )
        .await;
    assert_eq!(created.code, 201);
    let ip = created.body["spec"]["clusterIP"].as_str().unwrap().to_owned();
    let node_port = created.body["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    let rv: u64 = created.body["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
    // Stop this server (the store's connections close with its state) and start another over the same files.
    let mut f = f;
    f.owns_dir = false;
    let dir = f.dir.clone();
    drop(f);
    let restarted = reopen(dir, Options::default());
    let kept = restarted.get("/api/v1/namespaces/default/services/kept").await;
    assert_eq!((kept.code, kept.body["spec"]["clusterIP"].as_str()), (200, Some(ip.as_str())));
    let clash = restarted
        .post(
            "/api/v1/namespaces/default/services",
            service("again", json!({ "clusterIP": ip, "ports": [{ "port": 80 }] })),
        )
        .await;
    assert_eq!(clash.code, 422, "the allocator was rebuilt from the store");
    let port_clash = restarted
        .post(
            "/api/v1/namespaces/default/services",
            service("again", json!({ "type": "NodePort", "ports": [{ "port": 80, "nodePort": node_port }] })),
        )
        .await;
    assert_eq!(port_clash.code, 422);
    let next = restarted.post("/api/v1/namespaces", namespace("later")).await;
    let next_rv: u64 = next.body["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
    assert!(next_rv > rv, "resourceVersion keeps growing across restarts");
}

/// A watch with a selector, started from a resourceVersion (as `kubectl rollout status` watches one Deployment by
/// name), hears nothing of objects that never matched it, and sees an object enter and leave it as ADDED and DELETED.
#[tokio::test]
async fn selector_watches_judge_each_change_by_the_state_it_replaced() {
    let f = fixture();
    let config_map = |name: &str, tier: &str| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": name, "labels": { "tier": tier } } });
    f.post("/api/v1/namespaces/default/configmaps", config_map("watched", "front")).await;
    f.post("/api/v1/namespaces/default/configmaps", config_map("other", "back")).await;
    f.post("/api/v1/namespaces/default/configmaps", config_map("mover", "back")).await;
    let list = f.get("/api/v1/namespaces/default/configmaps").await;
    let rv = list.body["metadata"]["resourceVersion"].as_str().unwrap().to_owned();
    let put = |name: &str, tier: &str| {
        let path = format!("/api/v1/namespaces/default/configmaps/{name}");
        request("PUT", &path, Some("application/json"), config_map(name, tier).to_string())
    };
    // Changes made before the watch starts are replayed from the history.
    f.send(put("other", "back")).await;
    f.send(put("mover", "front")).await;
    let watch = |query: &str| {
        request(
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&{query}"),
            None,
            Bytes::new(),
        )
    };
    let by_name = f.app.handle(watch("fieldSelector=metadata.name%3Dwatched")).await;
    let by_label = f.app.handle(watch("labelSelector=tier%3Dfront")).await;
    f.send(put("other", "back")).await;
    f.send(put("watched", "front")).await;
    f.send(put("mover", "back")).await;
    let (mut body, mut buffer) = (by_name.into_body(), Vec::new());
    let first = next_line(&mut body, &mut buffer).await;
    assert_eq!(
        (first["type"].as_str(), first["object"]["metadata"]["name"].as_str()),
        (Some("MODIFIED"), Some("watched"))
    );
    let (mut body, mut buffer) = (by_label.into_body(), Vec::new());
    let mut seen = Vec::new();
    for _ in 0..3 {
        let event = next_line(&mut body, &mut buffer).await;
        seen.push(format!(
            "{} {}",
            event["type"].as_str().unwrap(),
            event["object"]["metadata"]["name"].as_str().unwrap()
        ));
    }
    assert_eq!(seen, ["ADDED mover", "MODIFIED watched", "DELETED mover"]);
}
