//! What kube-apiserver says about bodies it cannot take as they are, driven through `app(state)` without a
//! socket: a field of the wrong JSON type (Go's `encoding/json` wording), duplicate keys under each
//! `fieldValidation` (create, update, YAML, merge / strategic merge / JSON patches), and dry-run answers that look
//! like the write they stand for (what `kubectl diff` compares with the live object).

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use knet_apiserver::Timing;
use knet_store::Options;
use serde_json::{Value, json};

mod support;
use support::Handler as Fixture;

const TOKEN: &str = "test-token";
const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";

fn fixture() -> Fixture {
    Fixture::new("decode", TOKEN, Options::default(), Timing::default())
}

/// An answer: status code, body, and the text of each `Warning` header.
#[derive(Debug)]
struct Answer {
    code: u16,
    body: Value,
    warnings: Vec<String>,
}

impl Answer {
    fn warning_texts(&self) -> Vec<&str> {
        self.warnings.iter().map(String::as_str).collect()
    }

    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

impl Fixture {
    async fn send(&self, method: &str, path: &str, content_type: &str, body: impl Into<Bytes>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", content_type)
            .body(Full::new(body.into()))
            .unwrap();
        let response = self.app.handle(request).await;
        let code = response.status().as_u16();
        // `299 - "text"`: the text is a JSON-quoted string.
        let warnings = response
            .headers()
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("299 - "))
            .filter_map(|v| serde_json::from_str::<String>(v).ok())
            .collect();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Answer { code, body, warnings }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, "application/json", Bytes::new()).await
    }
}

fn deployment(name: &str, replicas: Value) -> Value {
    json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": name, "labels": { "app": "web" } },
        "spec": { "replicas": replicas, "selector": { "matchLabels": { "app": "web" } },
            "template": { "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [{ "name": "web", "image": "nginx:1.27" }] } } } })
}

#[tokio::test]
async fn a_string_where_an_int32_belongs_gets_go_s_wording() {
    let f = fixture();
    let bad = deployment("web", json!("three"));
    let expected = r#"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"#;
    let created = f.send("POST", DEPLOYMENTS, "application/json", bad.to_string()).await;
    assert_eq!((created.code, created.message()), (400, expected));
    assert_eq!(created.body["reason"], "BadRequest");
    // The same body as an update of an existing object: the same words.
    let good = f.send("POST", DEPLOYMENTS, "application/json", deployment("web", json!(2)).to_string()).await;
    assert_eq!(good.code, 201);
    let replaced = f.send("PUT", &format!("{DEPLOYMENTS}/web"), "application/json", bad.to_string()).await;
    assert_eq!((replaced.code, replaced.message()), (400, expected));
    let too_big = f
        .send(
            "PUT",
            &format!("{DEPLOYMENTS}/web"),
            "application/json",
            deployment("web", json!(99_999_999_999_i64)).to_string(),
        )
        .await;
    assert_eq!(
        too_big.message(),
        r#"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 99999999999 into Go struct field DeploymentSpec.spec.replicas of type int32"#
    );
    // A merge patch that makes the field a string is refused the same way, after patching.
    let patched = f
        .send(
            "PATCH",
            &format!("{DEPLOYMENTS}/web"),
            "application/merge-patch+json",
            json!({ "spec": { "replicas": "three" } }).to_string(),
        )
        .await;
    assert_eq!((patched.code, patched.message()), (400, expected));
}

#[tokio::test]
async fn bad_base64_in_a_secret_is_go_s_base64_error() {
    let f = fixture();
    let secret = json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "s" }, "data": { "k": "abc!" } });
    let answer = f.send("POST", "/api/v1/namespaces/default/secrets", "application/json", secret.to_string()).await;
    assert_eq!(
        (answer.code, answer.message()),
        (400, r#"Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3"#)
    );
    // Newline-wrapped base64 is what Go accepts, and is stored canonically.
    let wrapped =
        json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "w" }, "data": { "k": "YWJj\nZA==" } });
    let answer = f.send("POST", "/api/v1/namespaces/default/secrets", "application/json", wrapped.to_string()).await;
    assert_eq!((answer.code, &answer.body["data"]["k"]), (201, &json!("YWJjZA==")));
}

/// The integration test body of kube-apiserver's `field_validation_test.go`, keys in sorted order (as kubectl
/// sends them): duplicates of known fields, an unknown field, and a field both unknown and duplicated.
const DUPLICATED: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"labels":{"app":"web"},"name":"dupename","name":"web","unknownMeta":"x"},
  "spec":{"paused":true,"paused":false,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
      {"image":"nginx","imagePullPolicy":"Always","imagePullPolicy":"Never","name":"web","unknownNested":"v"}]}},
    "unknownDupe":"a","unknownDupe":"b"}}"#;

const DUPLICATED_ERRORS: [&str; 6] = [
    r#"duplicate field "metadata.name""#,
    r#"unknown field "metadata.unknownMeta""#,
    r#"duplicate field "spec.paused""#,
    r#"duplicate field "spec.template.spec.containers[0].imagePullPolicy""#,
    r#"unknown field "spec.template.spec.containers[0].unknownNested""#,
    r#"unknown field "spec.unknownDupe""#,
];

#[tokio::test]
async fn duplicate_fields_follow_field_validation_on_create_and_update() {
    let f = fixture();
    let strict = f.send("POST", &format!("{DEPLOYMENTS}?fieldValidation=Strict"), "application/json", DUPLICATED).await;
    assert_eq!(strict.code, 400);
    assert_eq!(
        strict.message(),
        format!(
            r#"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: {}"#,
            DUPLICATED_ERRORS.join(", ")
        )
    );
    // Warn, and the default when no parameter is sent: accepted, the last duplicate kept, one warning each.
    for query in ["?fieldValidation=Warn", ""] {
        let warned = f.send("POST", &format!("{DEPLOYMENTS}{query}"), "application/json", DUPLICATED).await;
        assert_eq!(warned.code, 201, "{query}: {:?}", warned.body);
        assert_eq!(warned.warnings, DUPLICATED_ERRORS, "{query}");
        assert_eq!(warned.body["spec"]["paused"], false);
        assert_eq!(warned.body["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Never");
        let deleted = f.send("DELETE", &format!("{DEPLOYMENTS}/web"), "application/json", Bytes::new()).await;
        assert_eq!(deleted.code, 200);
    }
    let ignored =
        f.send("POST", &format!("{DEPLOYMENTS}?fieldValidation=Ignore"), "application/json", DUPLICATED).await;
    assert_eq!((ignored.code, ignored.warnings.len()), (201, 0));
    // An update with the same body: the same errors.
    let put = |validation: &'static str| {
        let path = format!("{DEPLOYMENTS}/web?fieldValidation={validation}");
        let f = &f;
        async move { f.send("PUT", &path, "application/json", DUPLICATED).await }
    };
    let strict = put("Strict").await;
    assert_eq!(strict.code, 400);
    assert!(strict.message().ends_with(&DUPLICATED_ERRORS.join(", ")), "{}", strict.message());
    let warned = put("Warn").await;
    assert_eq!((warned.code, warned.warning_texts()), (200, DUPLICATED_ERRORS.to_vec()));
}

#[tokio::test]
async fn yaml_duplicates_are_go_yaml_s_lines_before_the_unknown_fields() {
    let f = fixture();
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dupename\n  name: web\n  unknownMeta: x\n  labels:\n    app: web\nspec:\n  paused: true\n  paused: false\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        imagePullPolicy: Always\n        imagePullPolicy: Never\n";
    let strict = f.send("POST", &format!("{DEPLOYMENTS}?fieldValidation=Strict"), "application/yaml", yaml).await;
    assert_eq!(strict.code, 400);
    assert_eq!(
        strict.message(),
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: yaml: unmarshal errors:\n  line 5: key \"name\" already set in map\n  line 11: key \"paused\" already set in map\n  line 24: key \"imagePullPolicy\" already set in map, unknown field \"metadata.unknownMeta\""
    );
    let warned = f.send("POST", DEPLOYMENTS, "application/yaml", yaml).await;
    assert_eq!(warned.code, 201);
    assert_eq!(
        warned.warnings,
        [
            r#"line 5: key "name" already set in map"#,
            r#"line 11: key "paused" already set in map"#,
            r#"line 24: key "imagePullPolicy" already set in map"#,
            r#"unknown field "metadata.unknownMeta""#,
        ]
    );
}

#[tokio::test]
async fn patch_duplicates_come_before_the_unknown_fields_of_the_patched_object() {
    let f = fixture();
    assert_eq!(
        f.send("POST", DEPLOYMENTS, "application/json", deployment("web", json!(1)).to_string()).await.code,
        201
    );
    let patch = r#"{"spec":{"paused":true,"paused":false,"unknown1":"v","unknownDupe":"a","unknownDupe":"b"}}"#;
    let expected = [
        r#"duplicate field "spec.paused""#,
        r#"duplicate field "spec.unknownDupe""#,
        r#"unknown field "spec.unknown1""#,
        r#"unknown field "spec.unknownDupe""#,
    ];
    for content_type in ["application/merge-patch+json", "application/strategic-merge-patch+json"] {
        let strict = f.send("PATCH", &format!("{DEPLOYMENTS}/web?fieldValidation=Strict"), content_type, patch).await;
        assert_eq!(strict.code, 400, "{content_type}");
        assert!(
            strict.message().ends_with(&format!("strict decoding error: {}", expected.join(", "))),
            "{content_type}: {}",
            strict.message()
        );
        let warned = f.send("PATCH", &format!("{DEPLOYMENTS}/web?fieldValidation=Warn"), content_type, patch).await;
        assert_eq!((warned.code, warned.warning_texts()), (200, expected.to_vec()), "{content_type}");
        let ignored = f.send("PATCH", &format!("{DEPLOYMENTS}/web?fieldValidation=Ignore"), content_type, patch).await;
        assert_eq!((ignored.code, ignored.warnings.len()), (200, 0), "{content_type}");
    }
    // A JSON patch: a repeated key of an operation is reported; one inside its value is not (kube's library drops it).
    let json_patch = r#"[{"op":"replace","path":"/spec/paused","path":"/spec/paused","value":true},
        {"op":"add","path":"/metadata/labels","value":{"a":"1","a":"2"}}]"#;
    let warned = f.send("PATCH", &format!("{DEPLOYMENTS}/web"), "application/json-patch+json", json_patch).await;
    assert_eq!((warned.code, warned.warning_texts()), (200, vec![r#"json patch duplicate field "[0].path""#]));
}

#[tokio::test]
async fn a_dry_run_answers_like_the_write_it_stands_for() {
    let f = fixture();
    // A dry-run create: system metadata, no resourceVersion (nothing was stored), and nothing stored.
    let dry = f
        .send("POST", &format!("{DEPLOYMENTS}?dryRun=All"), "application/json", deployment("web", json!(2)).to_string())
        .await;
    assert_eq!(dry.code, 201);
    assert_eq!(dry.body["metadata"]["uid"].as_str().map(str::len), Some(36));
    assert!(dry.body["metadata"]["creationTimestamp"].is_string());
    assert_eq!(dry.body["metadata"]["generation"], 1);
    assert!(dry.body["metadata"].get("resourceVersion").is_none(), "{}", dry.body["metadata"]);
    assert_eq!(f.get(&format!("{DEPLOYMENTS}/web")).await.code, 404);

    let live = f.send("POST", DEPLOYMENTS, "application/json", deployment("web", json!(2)).to_string()).await.body;
    let live_rv = live["metadata"]["resourceVersion"].clone();
    assert!(live_rv.is_string());
    // A no-op dry-run patch (what `kubectl diff` sends for an unchanged manifest): the live object, same version.
    let same = f
        .send(
            "PATCH",
            &format!("{DEPLOYMENTS}/web?dryRun=All"),
            "application/strategic-merge-patch+json",
            json!({ "spec": { "replicas": 2 } }).to_string(),
        )
        .await;
    assert_eq!(same.code, 200);
    let strip = |mut object: Value| {
        object["metadata"].as_object_mut().unwrap().remove("managedFields");
        object
    };
    assert_eq!(strip(same.body.clone()), strip(live.clone()));
    // A dry-run change: the spec changes and the generation moves, but the version is still the live one.
    let changed = f
        .send(
            "PATCH",
            &format!("{DEPLOYMENTS}/web?dryRun=All"),
            "application/strategic-merge-patch+json",
            json!({ "spec": { "replicas": 5 } }).to_string(),
        )
        .await;
    assert_eq!(changed.body["spec"]["replicas"], 5);
    assert_eq!(changed.body["metadata"]["generation"], 2);
    assert_eq!(changed.body["metadata"]["resourceVersion"], live_rv);
    // A dry-run update (PUT) too.
    let mut replacement = live.clone();
    replacement["spec"]["replicas"] = json!(7);
    let put =
        f.send("PUT", &format!("{DEPLOYMENTS}/web?dryRun=All"), "application/json", replacement.to_string()).await;
    assert_eq!((put.code, &put.body["metadata"]["resourceVersion"]), (200, &live_rv));
    // Nothing was written.
    let after = f.get(&format!("{DEPLOYMENTS}/web")).await.body;
    assert_eq!((&after["spec"]["replicas"], &after["metadata"]["resourceVersion"]), (&json!(2), &live_rv));
}
