//! Bad input, generated: random methods, paths, query parameters, content types and bodies (random bytes, random
//! JSON, and valid objects with fields replaced by random values) sent to the API server's handler. Whatever comes
//! in, the answer is a well-formed response, never a 5xx (except the 503 of exec and log, which need the node data
//! plane, and the 504 of a resourceVersion the store has not reached); every error is a `Status` whose code is the HTTP code; and what the server stored stays readable.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use knet_apiserver::{App, State, Timing, app, ensure_system_objects};
use knet_store::Store;
use proptest::prelude::*;
use serde_json::{Value, json};

const TOKEN: &str = "fuzz-token";

struct Server {
    dir: std::path::PathBuf,
    app: App,
    runtime: tokio::runtime::Runtime,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.app.state().shutdown();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn server() -> Server {
    let dir = std::env::temp_dir().join(format!("knet-api-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&dir.join("store.db")).unwrap();
    // A resourceVersion beyond the store's is waited for; a moment is enough here.
    let timing = Timing { freshness_wait: std::time::Duration::from_millis(5), ..Timing::default() };
    let state: Arc<State> = State::with_timing(store, TOKEN.to_owned(), timing).unwrap();
    ensure_system_objects(&state).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    Server { dir, app: app(state), runtime }
}

/// The answer: status code and body bytes.
fn send(server: &Server, request: Request<Full<Bytes>>) -> (u16, Bytes) {
    server.runtime.block_on(async {
        let response = server.app.handle(request).await;
        let code = response.status().as_u16();
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), response.into_body().collect())
            .await
            .expect("a non-watch answer ends")
            .expect("the body is readable")
            .to_bytes();
        (code, body)
    })
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("default".to_owned()),
        Just("kube-system".to_owned()),
        Just("web".to_owned()),
        "[a-z0-9.-]{0,70}",
        "\\PC{0,12}".prop_map(|s| s.replace(['/', '?', '#'], "")),
        "(%[0-9A-Fa-f]{0,2}){1,4}",
    ]
}

fn collection() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "/api/v1/namespaces/{ns}/pods",
        "/api/v1/namespaces/{ns}/services",
        "/api/v1/namespaces/{ns}/configmaps",
        "/api/v1/namespaces/{ns}/endpoints",
        "/apis/apps/v1/namespaces/{ns}/deployments",
        "/apis/apps/v1/namespaces/{ns}/replicasets",
        "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
        "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
        "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
        "/api/v1/namespaces",
        "/api/v1/nodes",
        "/apis/networking.k8s.io/v1/ingressclasses",
        "/api/v1/namespaces/{ns}/nope",
        "/apis/nope.example/v1/things",
        "/api",
        "/apis",
        "/version",
        "/openapi/v3",
    ])
}

fn subresource() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec!["status", "scale", "finalize", "log", "exec", "binding", "x"]))
}

fn query() -> impl Strategy<Value = String> {
    let parameter = prop_oneof![
        "labelSelector=[a-z=!,() in%]{0,20}",
        "fieldSelector=[a-z.=!,%]{0,20}",
        "limit=-?[0-9]{0,4}",
        "continue=[A-Za-z0-9=%]{0,20}",
        "resourceVersion=[0-9a-z]{0,6}",
        "resourceVersionMatch=(Exact|NotOlderThan|x)",
        "fieldValidation=(Strict|Warn|Ignore|x)",
        "fieldManager=[a-z%]{0,130}",
        "dryRun=(All|x)",
        "propagationPolicy=(Orphan|Foreground|Background|x)",
        "gracePeriodSeconds=-?[0-9a]{0,3}",
        "force=(true|x)",
        "watch=(false|0)",
        "timeoutSeconds=[0-9]{0,2}",
        "[a-z]{1,5}=[^&#]{0,5}",
    ];
    prop::collection::vec(parameter, 0..4).prop_map(|p| p.join("&"))
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec![
        "application/json",
        "application/yaml",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "application/apply-patch+yaml",
        "application/vnd.kubernetes.protobuf",
        "text/plain",
        "application/json; charset=latin1",
    ]))
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z$]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid object of a kind the path may name, with some fields replaced by random values.
fn mutated_object() -> impl Strategy<Value = Value> {
    let base = prop::sample::select(vec![
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c" }, "data": { "k": "v" } }),
        json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s", "namespace": "web" },
                "spec": { "selector": { "app": "s" }, "ports": [{ "port": 80, "targetPort": "http" }] } }),
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p", "labels": { "app": "s" } },
                "spec": { "containers": [{ "name": "c", "image": "nginx", "ports": [{ "containerPort": 80 }] }] } }),
        json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" },
                "spec": { "replicas": 2, "selector": { "matchLabels": { "app": "d" } },
                          "template": { "metadata": { "labels": { "app": "d" } },
                                        "spec": { "containers": [{ "name": "c", "image": "nginx" }] } } } }),
        json!({ "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": { "name": "n" },
                "spec": { "podSelector": {}, "ingress": [{ "from": [{ "ipBlock": { "cidr": "10.0.0.0/8" } }] }] } }),
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "web" } }),
        json!([{ "op": "replace", "path": "/spec/replicas", "value": 3 }]),
    ]);
    let pointers = prop::sample::select(vec![
        "/metadata/name",
        "/metadata/namespace",
        "/metadata/labels",
        "/metadata/resourceVersion",
        "/kind",
        "/apiVersion",
        "/spec",
        "/spec/ports/0/port",
        "/spec/replicas",
        "/spec/selector",
        "/spec/template/spec/containers/0",
        "/data",
        "/0/path",
    ]);
    (base, prop::collection::vec((pointers, json_value()), 0..3)).prop_map(|(mut object, changes)| {
        for (pointer, value) in changes {
            if let Some(slot) = object.pointer_mut(pointer) {
                *slot = value;
            }
        }
        object
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        mutated_object().prop_map(|v| v.to_string().into_bytes()),
        mutated_object().prop_map(|v| serde_yaml::to_string(&v).unwrap_or_default().into_bytes()),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    uri: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
    (method, collection(), segment(), prop::option::of(segment()), subresource(), query(), content_type(), body())
        .prop_map(|(method, collection, namespace, name, subresource, query, content_type, body)| {
            let mut path = collection.replace("{ns}", &namespace);
            if let Some(name) = name {
                path = format!("{path}/{name}");
                if let Some(sub) = subresource {
                    path = format!("{path}/{sub}");
                }
            }
            let uri = if query.is_empty() { path } else { format!("{path}?{query}") };
            Case { method, uri, content_type, body }
        })
}

fn request(case: &Case) -> Option<Request<Full<Bytes>>> {
    let mut builder = Request::builder()
        .method(case.method)
        .uri(case.uri.as_str())
        .header("authorization", format!("Bearer {TOKEN}"));
    if let Some(content_type) = case.content_type {
        builder = builder.header("content-type", content_type);
    }
    // A URI hyper itself refuses never reaches the server.
    builder.body(Full::new(Bytes::from(case.body.clone()))).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 800, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_well_formed_answer(cases in prop::collection::vec(case(), 1..8)) {
        let server = server();
        for case in &cases {
            let Some(request) = request(case) else { continue };
            let (code, body) = send(&server, request);
            let needs_data_plane = code == 503 && (case.uri.contains("/log") || case.uri.contains("/exec"));
            // A resourceVersion the store has not reached: kube-apiserver's 504 "Too large resource version".
            let future = code == 504 && String::from_utf8_lossy(&body).contains("Too large resource version");
            prop_assert!(code < 500 || needs_data_plane || future, "{case:?} got {code}: {}", String::from_utf8_lossy(&body));
            if code >= 400 {
                let status: Value = serde_json::from_slice(&body)
                    .map_err(|e| TestCaseError::fail(format!("{case:?}: {code} without a JSON Status ({e})")))?;
                prop_assert_eq!(&status["kind"], "Status", "{:?}", case);
                prop_assert_eq!(status["code"].as_u64(), Some(u64::from(code)), "{:?}", case);
                prop_assert!(status["message"].as_str().is_some_and(|m| !m.is_empty()), "{:?}", case);
            }
        }
        // Whatever went in, what is stored reads back.
        for path in ["/api/v1/namespaces", "/api/v1/configmaps", "/api/v1/services", "/apis/apps/v1/deployments"] {
            let list = Request::builder().uri(path).header("authorization", format!("Bearer {TOKEN}"))
                .body(Full::new(Bytes::new())).unwrap();
            let (code, body) = send(&server, list);
            prop_assert_eq!(code, 200, "{}: {}", path, String::from_utf8_lossy(&body));
        }
    }
}
