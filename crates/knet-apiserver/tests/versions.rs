//! `resourceVersion`, `resourceVersionMatch` and `continue` as kube-apiserver serves them, through the handler: a
//! version the server has not reached is waited for and then answered with the 504 "Too large resource version"
//! (get, list, and an ERROR event for a watch), never a silent hang; an unknown match value is refused as
//! `ValidateListOptions` refuses it; `Exact` lists show the state at that version; a paginated list's later pages
//! come from the first page's snapshot, and once the history no longer holds it the 410 offers kube-apiserver's
//! inconsistent-continue token.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use knet_apiserver::Timing;
use knet_store::Options;
use serde_json::{Value, json};

mod support;
use support::Handler as Fixture;

const TOKEN: &str = "versions-token";
/// How long the fixture's server waits for a resourceVersion it has not reached.
const FRESHNESS_WAIT: Duration = Duration::from_millis(300);

fn fixture(options: Options) -> Fixture {
    Fixture::new("versions", TOKEN, options, Timing { freshness_wait: FRESHNESS_WAIT, ..Timing::default() })
}

fn request(method: &str, path: &str, body: Option<Value>) -> Request<Full<Bytes>> {
    let builder = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {TOKEN}"));
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    builder.header("content-type", "application/json").body(Full::new(body)).unwrap()
}

impl Fixture {
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = self.app.handle(request(method, path, body)).await;
        let code = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }

    /// Creates or replaces ConfigMap `name` holding `value`; returns its resourceVersion.
    async fn put(&self, name: &str, value: &str) -> u64 {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}});
        let path = format!("/api/v1/namespaces/default/configmaps/{name}");
        let (code, stored) = match self.get(&path).await {
            (200, _) => self.send("PUT", &path, Some(object)).await,
            _ => self.send("POST", "/api/v1/namespaces/default/configmaps", Some(object)).await,
        };
        assert!(code == 200 || code == 201, "{code}: {stored}");
        rv(&stored)
    }

    async fn delete(&self, name: &str) {
        let (code, answer) = self.send("DELETE", &format!("/api/v1/namespaces/default/configmaps/{name}"), None).await;
        assert_eq!(code, 200, "{answer}");
    }
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"].as_str().and_then(|v| v.parse().ok()).expect("a resourceVersion")
}

/// `name=value` of each item of a ConfigMap list.
fn contents(list: &Value) -> Vec<String> {
    let items = list["items"].as_array().expect("items");
    items
        .iter()
        .map(|i| format!("{}={}", i["metadata"]["name"].as_str().unwrap(), i["data"]["v"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_version_not_reached_yet_gets_504_after_a_wait_never_a_hang() {
    let f = fixture(Options::default());
    let current = f.put("a", "1").await;
    let future = current + 1000;
    for path in [
        format!("/api/v1/namespaces/default/configmaps/a?resourceVersion={future}"),
        format!("/api/v1/namespaces/default/configmaps?resourceVersion={future}"),
        format!("/api/v1/namespaces/default/configmaps?resourceVersion={future}&resourceVersionMatch=NotOlderThan"),
        format!("/api/v1/namespaces/default/configmaps?resourceVersion={future}&resourceVersionMatch=Exact"),
        format!("/api/v1/namespaces/default/configmaps?resourceVersion={future}&limit=1"),
    ] {
        let started = Instant::now();
        let (code, status) = f.get(&path).await;
        assert!(started.elapsed() >= FRESHNESS_WAIT, "{path}: waited for the version first");
        assert_eq!(code, 504, "{path}: {status}");
        assert_eq!(status["reason"], "Timeout");
        assert_eq!(status["details"]["retryAfterSeconds"], 1);
        assert_eq!(status["details"]["causes"][0]["reason"], "ResourceVersionTooLarge");
        let message = status["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("Timeout: Too large resource version: {future}, current: ")), "{message}");
    }
    // A watch answers with an ERROR event carrying the same Status.
    let response = f
        .app
        .handle(request(
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={future}"),
            None,
        ))
        .await;
    assert_eq!(response.status(), 200);
    let body = tokio::time::timeout(Duration::from_secs(10), response.into_body().collect())
        .await
        .expect("the watch ends after its error")
        .unwrap()
        .to_bytes();
    let event: Value = serde_json::from_slice(&body).expect("one event");
    assert_eq!((event["type"].as_str(), event["object"]["code"].as_u64()), (Some("ERROR"), Some(504)));
    // A version reached while the request waits is served.
    let path = format!("/api/v1/namespaces/default/configmaps/a?resourceVersion={}", current + 1);
    let (waiting, write) = tokio::join!(f.get(&path), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        f.put("b", "1").await
    });
    assert_eq!(write, current + 1);
    assert_eq!(waiting.0, 200, "{}", waiting.1);
}

#[tokio::test]
async fn list_options_are_checked_as_kube_apiserver_checks_them() {
    let f = fixture(Options::default());
    let cases = [
        (
            "resourceVersion=1&resourceVersionMatch=Newest",
            r#"resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", """#,
        ),
        (
            "resourceVersionMatch=Exact",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
        ),
        (
            "resourceVersion=0&resourceVersionMatch=Exact",
            r#"resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0""#,
        ),
        (
            "watch=1&resourceVersionMatch=NotOlderThan",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        ),
    ];
    for (query, message) in cases {
        let (code, status) = f.get(&format!("/api/v1/configmaps?{query}")).await;
        assert_eq!(code, 422, "{query}: {status}");
        assert_eq!(status["reason"], "Invalid");
        assert_eq!(status["message"], format!(r#"ListOptions.meta.k8s.io "" is invalid: {message}"#), "{query}");
    }
}

#[tokio::test]
async fn exact_lists_and_paginated_lists_show_one_consistent_state() {
    let f = fixture(Options::default());
    for name in ["a", "b", "c", "d"] {
        f.put(name, "1").await;
    }
    let before = rv(&f.get("/api/v1/namespaces/default/configmaps").await.1);
    f.put("b", "2").await;
    f.delete("c").await;
    f.put("e", "1").await;

    let (code, exact) = f
        .get(&format!("/api/v1/namespaces/default/configmaps?resourceVersion={before}&resourceVersionMatch=Exact"))
        .await;
    assert_eq!(code, 200, "{exact}");
    assert_eq!(contents(&exact), ["a=1", "b=1", "c=1", "d=1"]);
    assert_eq!(rv(&exact), before);
    let (_, now) = f.get("/api/v1/namespaces/default/configmaps?resourceVersion=0").await;
    assert_eq!(contents(&now), ["a=1", "b=2", "d=1", "e=1"]);

    // Page 1 at the current state; changes behind and ahead of the cursor do not show on page 2.
    let (_, first) = f.get("/api/v1/namespaces/default/configmaps?limit=2").await;
    assert_eq!(contents(&first), ["a=1", "b=2"]);
    let snapshot = rv(&first);
    let token = first["metadata"]["continue"].as_str().expect("more pages").to_owned();
    f.put("d", "2").await;
    f.put("a", "2").await;
    f.put("f", "1").await;
    let (code, second) = f.get(&format!("/api/v1/namespaces/default/configmaps?limit=2&continue={token}")).await;
    assert_eq!(code, 200, "{second}");
    assert_eq!(contents(&second), ["d=1", "e=1"], "the state of page 1");
    assert_eq!(rv(&second), snapshot, "every page carries the first page's resourceVersion");
    assert!(second["metadata"]["continue"].is_null(), "f was created after the snapshot: {second}");
}

#[tokio::test]
async fn an_expired_continue_gets_410_with_an_inconsistent_continue_token() {
    let f = fixture(Options { history_window: 3, compact_every: 1, ..Options::default() });
    for name in ["a", "b", "c", "d"] {
        f.put(name, "1").await;
    }
    let (_, first) = f.get("/api/v1/namespaces/default/configmaps?limit=2").await;
    let token = first["metadata"]["continue"].as_str().expect("more pages").to_owned();
    for i in 0..5 {
        f.put("c", &format!("{}", i + 2)).await;
    }
    let (code, expired) = f.get(&format!("/api/v1/namespaces/default/configmaps?limit=2&continue={token}")).await;
    assert_eq!(code, 410, "{expired}");
    assert_eq!(expired["reason"], "Expired");
    let message = expired["message"].as_str().unwrap();
    assert!(message.starts_with("The provided continue parameter is too old to display a consistent list result."));
    assert!(message.contains("use the continue token in this response to retrieve the remainder"), "{message}");
    let inconsistent = expired["metadata"]["continue"].as_str().expect("a token to go on with");
    let (code, rest) = f.get(&format!("/api/v1/namespaces/default/configmaps?limit=2&continue={inconsistent}")).await;
    assert_eq!(code, 200, "{rest}");
    assert_eq!(contents(&rest), ["c=6", "d=1"], "the rest, at the latest state");
    // An Exact list older than the history is 410 too, with etcd's words.
    let (code, status) =
        f.get("/api/v1/namespaces/default/configmaps?resourceVersion=2&resourceVersionMatch=Exact").await;
    assert_eq!(
        (code, status["message"].as_str()),
        (410, Some("The resourceVersion for the provided list is too old."))
    );
}
