//! Tests of the OpenAPI documents: their shape against the samples kubectl accepted
//! (`shared/reference/kubectl/samples/openapi-v3-*.json`) and what kubectl looks for in them.

use expect_test::expect;
use serde_json::{Value, json};

use super::*;

#[test]
fn index_lists_every_group_version_with_a_content_hash() {
    let index = index();
    let paths = index["paths"].as_object().expect("paths");
    let keys: Vec<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(keys, ["api/v1", "apis/apps/v1", "apis/discovery.k8s.io/v1", "apis/networking.k8s.io/v1"]);
    for (key, entry) in paths {
        let url = entry["serverRelativeURL"].as_str().expect("a URL");
        let (path, hash) = url.split_once("?hash=").expect("a hash query");
        assert_eq!(path, format!("/openapi/v3/{key}"));
        let (group, version) = parse_group_version_key(key).expect("served");
        assert_eq!(Some(hash.to_owned()), document_hash(group, version));
        assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()), "{hash}");
    }
    // The sample's index, without hashes, names the same URLs for the groups both serve.
    let sample: Value = serde_json::from_str(
        r#"{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1"}, "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1"}, "apis/networking.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/networking.k8s.io/v1"}, "apis/discovery.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/discovery.k8s.io/v1"}, "apis/events.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/events.k8s.io/v1"}}}"#,
    )
    .expect("JSON");
    for (key, entry) in paths {
        let ours = entry["serverRelativeURL"].as_str().and_then(|u| u.split('?').next());
        assert_eq!(ours, sample["paths"][key]["serverRelativeURL"].as_str(), "{key}");
    }
}

/// The sample kubectl 1.33 accepted for apps/v1 (`openapi-v3-apps-v1-tiny.json`): every path item of knet's
/// document holds at least what the sample's holds for the same kind.
#[test]
fn apps_document_contains_the_sample() {
    let sample = json!({
        "/apis/apps/v1/namespaces/{namespace}/deployments/{name}": ["apps", "v1", "Deployment"],
        "/apis/apps/v1/namespaces/{namespace}/replicasets/{name}": ["apps", "v1", "ReplicaSet"],
    });
    let document = document("apps", "v1").expect("apps/v1 is served");
    for (path, gvk) in sample.as_object().expect("an object") {
        let patch = &document["paths"][path]["patch"];
        assert_eq!(patch["parameters"][0]["name"], "fieldValidation", "{path}");
        assert_eq!(patch["parameters"][0]["in"], "query", "{path}");
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": gvk[0], "version": gvk[1], "kind": gvk[2]}),
            "{path}"
        );
    }
}

#[test]
fn no_request_bodies_and_no_schemas() {
    for (group, version) in discovery::group_versions() {
        let text = serde_json::to_string(&document(group, version).expect("served")).expect("serializes");
        assert!(!text.contains("requestBody"), "{group}/{version}");
        assert!(!text.contains("strategic-merge-patch"), "{group}/{version}");
        assert!(!text.contains("components"), "{group}/{version}");
    }
}

/// Every registered kind is findable the way kubectl finds it: by the extension on a `patch` operation that lists
/// `fieldValidation`.
#[test]
fn every_kind_supports_field_validation() {
    for resource in resources::RESOURCES {
        let document = document(resource.group, resource.version).expect("served");
        let gvk = json!({"group": resource.group, "version": resource.version, "kind": resource.kind});
        let found = document["paths"].as_object().into_iter().flatten().any(|(_, item)| {
            item["patch"]["x-kubernetes-group-version-kind"] == gvk
                && item["patch"]["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "fieldValidation")
        });
        assert!(found, "{}", resource.kind);
    }
}

#[test]
fn unknown_group_versions_are_absent() {
    assert_eq!(document("batch", "v1"), None);
    assert_eq!(document("apps", "v1beta1"), None);
    assert_eq!(document_hash("batch", "v1"), None);
    assert_eq!(parse_group_version_key("apis/batch/v1"), None);
    assert_eq!(parse_group_version_key("api/v1"), Some(("", "v1")));
    assert_eq!(parse_group_version_key("apis/networking.k8s.io/v1"), Some(("networking.k8s.io", "v1")));
}

/// `value` with the keys of every object in sorted order, whether or not serde_json preserves insertion order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            Value::Object(entries.into_iter().map(|(key, value)| (key.clone(), sorted(value))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[test]
fn snapshot_of_the_networking_document() {
    let document = document("networking.k8s.io", "v1").expect("served");
    let mut paths: Vec<String> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(path, item)| format!("{path} {}", item["patch"]["operationId"].as_str().unwrap_or("?")))
        .collect();
    paths.sort();
    expect![[r#"
        /apis/networking.k8s.io/v1/ingressclasses/{name} patchNetworkingV1IngressClass
        /apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name} patchNetworkingV1NamespacedIngress
        /apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name} patchNetworkingV1NamespacedNetworkPolicy
    "#]]
    .assert_eq(&(paths.join("\n") + "\n"));
    let mut patch =
        document["paths"]["/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}"].clone();
    patch["patch"]["parameters"][0]["description"] = json!("...");
    expect![[r#"
        {
          "patch": {
            "description": "partially update the specified NetworkPolicy",
            "operationId": "patchNetworkingV1NamespacedNetworkPolicy",
            "parameters": [
              {
                "description": "...",
                "in": "query",
                "name": "fieldValidation",
                "schema": {
                  "type": "string",
                  "uniqueItems": true
                }
              }
            ],
            "responses": {
              "200": {
                "description": "OK"
              }
            },
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {
              "group": "networking.k8s.io",
              "kind": "NetworkPolicy",
              "version": "v1"
            }
          }
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&sorted(&patch)).expect("serializes"));
    assert_eq!(document["openapi"], "3.0.0");
    assert_eq!(document["info"], json!({"title": "Kubernetes", "version": "v1.33.1"}));
    let core = super::document("", "v1").expect("served");
    assert_eq!(core["paths"]["/api/v1/namespaces/{name}"]["patch"]["operationId"], "patchCoreV1Namespace");
    assert_eq!(
        core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]["operationId"],
        "patchCoreV1NamespacedPod"
    );
}

#[test]
fn the_v2_document_is_empty_and_its_protobuf_reads_back() {
    use crate::protobuf::wire::{Payload, Reader};
    let fields = |bytes| {
        let mut reader = Reader::new(bytes);
        let mut fields = Vec::new();
        while let Some(field) = reader.next_field().expect("well-formed protobuf") {
            fields.push(field);
        }
        fields
    };
    let protobuf = v2_document_protobuf();
    let document = fields(&protobuf);
    assert_eq!(document[0], (1, Payload::Bytes(b"2.0")));
    let (2, Payload::Bytes(info)) = document[1] else { panic!("info is field 2: {document:?}") };
    let info = fields(info);
    assert_eq!(info, [(1, Payload::Bytes(b"Kubernetes")), (2, Payload::Bytes(discovery::GIT_VERSION.as_bytes()))]);
    assert_eq!(document[2], (8, Payload::Bytes(b"")), "empty paths");
    assert_eq!(document.len(), 3);
    let json = v2_document();
    assert_eq!((json["swagger"].as_str(), json["paths"].as_object().map(|p| p.len())), (Some("2.0"), Some(0)));
}
