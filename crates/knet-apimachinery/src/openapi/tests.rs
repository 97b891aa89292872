//! Tests of the OpenAPI documents: their shape against the samples kubectl accepted
//! (`shared/reference/kubectl/samples/openapi-v3-*.json`), what kubectl looks for in them (the `patch`
//! operations, the kinds' schemas by group, version and kind, the patch strategies), and the protobuf form of v2
//! read back.

use expect_test::expect;
use serde_json::{Value, json};

use super::*;

#[test]
fn index_lists_every_group_version_with_a_content_hash() {
    let index = index();
    let paths = index["paths"].as_object().expect("paths");
    let keys: Vec<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "api/v1",
            "apis/apps/v1",
            "apis/authentication.k8s.io/v1",
            "apis/authorization.k8s.io/v1",
            "apis/discovery.k8s.io/v1",
            "apis/networking.k8s.io/v1"
        ]
    );
    for (key, entry) in paths {
        let url = entry["serverRelativeURL"].as_str().expect("a URL");
        let (path, hash) = url.split_once("?hash=").expect("a hash query");
        assert_eq!(path, format!("/openapi/v3/{key}"));
        let (group, version) = parse_group_version_key(key).expect("served");
        assert_eq!(Some(hash), document_hash(group, version));
        assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()), "{hash}");
    }
    // The sample's index, without hashes, names the same URLs for the groups both serve.
    let sample: Value = serde_json::from_str(
        r#"{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1"}, "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1"}, "apis/networking.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/networking.k8s.io/v1"}, "apis/discovery.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/discovery.k8s.io/v1"}, "apis/events.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/events.k8s.io/v1"}}}"#,
    )
    .expect("JSON");
    for (key, entry) in paths {
        let ours = entry["serverRelativeURL"].as_str().and_then(|u| u.split('?').next());
        // The sample was recorded before knet served the identity groups.
        if !key.starts_with("apis/authentication.k8s.io") && !key.starts_with("apis/authorization.k8s.io") {
            assert_eq!(ours, sample["paths"][key]["serverRelativeURL"].as_str(), "{key}");
        }
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

/// A `requestBody` advertising strategic merge patch would make kubectl compute patches from the v3 schemas
/// instead of the v2 definitions; knet keeps one source for client-side patches.
#[test]
fn operations_advertise_no_request_bodies() {
    for (group, version) in discovery::group_versions() {
        let document = document(group, version).expect("served");
        let text = serde_json::to_string(&document["paths"]).expect("serializes");
        assert!(!text.contains("requestBody"), "{group}/{version}");
        assert!(!text.contains("strategic-merge-patch"), "{group}/{version}");
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

/// The schema of a kind in a v3 document, found as kubectl finds it: by `x-kubernetes-group-version-kind`.
fn v3_kind<'a>(document: &'a Value, resource: &ResourceType) -> Option<(&'a String, &'a Value)> {
    let gvk = json!([{"group": resource.group, "kind": resource.kind, "version": resource.version}]);
    document["components"]["schemas"]
        .as_object()?
        .iter()
        .find(|(_, schema)| schema["x-kubernetes-group-version-kind"] == gvk)
}

/// The `$ref`s anywhere in a value.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push(reference.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_kind_types_are_exactly_the_registry() {
    let mut types: Vec<(&str, &str, &str)> =
        schemas::kind_types().iter().map(|t| (t.group, t.version, t.kind)).collect();
    let mut served: Vec<(&str, &str, &str)> =
        resources::RESOURCES.iter().map(|r| (r.group, r.version, r.kind)).collect();
    types.sort();
    served.sort();
    assert_eq!(types, served);
}

/// `kubectl explain <kind>` finds every served kind in its group version's document, under kube-apiserver's
/// definition name, and every `$ref` of the document resolves in it.
#[test]
fn every_kind_is_in_its_document_and_every_ref_resolves() {
    for resource in resources::RESOURCES {
        let document = document(resource.group, resource.version).expect("served");
        let (name, schema) = v3_kind(&document, resource).unwrap_or_else(|| panic!("{} has no schema", resource.kind));
        assert!(name.ends_with(&format!(".{}", resource.kind)), "{name}");
        assert!(schema["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}");
        assert!(schema["properties"]["metadata"].is_object(), "{name}");
    }
    for (group, version) in discovery::group_versions() {
        let document = document(group, version).expect("served");
        let mut found = Vec::new();
        refs(&document["components"], &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let name = reference.strip_prefix("#/components/schemas/").expect("a local ref");
            assert!(document["components"]["schemas"][name].is_object(), "{group}/{version}: {reference}");
        }
    }
    let v2 = v2_document();
    let mut found = Vec::new();
    refs(&v2["definitions"], &mut found);
    for reference in found {
        let name = reference.strip_prefix("#/definitions/").expect("a v2 ref");
        assert!(v2["definitions"][name].is_object(), "{reference}");
    }
    for resource in resources::RESOURCES {
        let gvk = json!([{"group": resource.group, "kind": resource.kind, "version": resource.version}]);
        let kinds = v2["definitions"].as_object().into_iter().flatten();
        assert_eq!(kinds.filter(|(_, d)| d["x-kubernetes-group-version-kind"] == gvk).count(), 1, "{}", resource.kind);
    }
}

/// Every rule of the merge-key table lands on a property of the generated schemas: the table and k8s-openapi's
/// types agree on every field name and on the way from each kind to it.
#[test]
fn every_merge_key_rule_lands_on_a_property() {
    let (_, applied) = schemas::definitions(|_| true);
    let table: std::collections::BTreeSet<String> =
        crate::patch::merge_keys::FIELDS.iter().map(|rule| format!("{}.{}", rule.owner, rule.field)).collect();
    let missed: Vec<&String> = table.difference(&applied).collect();
    assert!(missed.is_empty(), "rules that matched no property: {missed:?}");
}

/// `value` with long descriptions cut, for snapshots.
fn abridged(value: &Value) -> Value {
    match sorted(value) {
        Value::Object(mut map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(text) if key == "description" && text.len() > 40 => {
                        *value = json!(format!("{}...", &text[..40]));
                    }
                    other => *other = abridged(other),
                }
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.iter().map(abridged).collect()),
        other => other,
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(&abridged(value)).expect("serializes")
}

#[test]
fn v3_wraps_described_refs_in_all_of_and_carries_patch_strategies() {
    let apps = document("apps", "v1").expect("served");
    let schemas = &apps["components"]["schemas"];
    let deployment = &schemas["io.k8s.api.apps.v1.Deployment"];
    expect![[r##"
        {
          "gvk": [
            {
              "group": "apps",
              "kind": "Deployment",
              "version": "v1"
            }
          ],
          "required": null,
          "spec": {
            "allOf": [
              {
                "$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
              }
            ],
            "description": "Specification of the desired behavior of..."
          }
        }"##]]
    .assert_eq(&pretty(&json!({
        "gvk": deployment["x-kubernetes-group-version-kind"],
        "required": deployment.get("required"),
        "spec": deployment["properties"]["spec"],
    })));
    let spec = &schemas["io.k8s.api.apps.v1.DeploymentSpec"];
    expect![[r##"
        {
          "required": [
            "selector",
            "template"
          ],
          "selector": {
            "allOf": [
              {
                "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"
              }
            ],
            "description": "Label selector for pods. Existing Replic...",
            "x-kubernetes-map-type": "atomic"
          },
          "strategy": {
            "allOf": [
              {
                "$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"
              }
            ],
            "description": "The deployment strategy to use to replac...",
            "x-kubernetes-patch-strategy": "retainKeys"
          }
        }"##]]
    .assert_eq(&pretty(&json!({
        "required": spec["required"],
        "selector": spec["properties"]["selector"],
        "strategy": spec["properties"]["strategy"],
    })));
    let container = &schemas["io.k8s.api.core.v1.Container"];
    expect![[r##"
        {
          "command": {
            "description": "Entrypoint array. Not executed within a ...",
            "items": {
              "type": "string"
            },
            "type": "array",
            "x-kubernetes-list-type": "atomic"
          },
          "env": {
            "description": "List of environment variables to set in ...",
            "items": {
              "$ref": "#/components/schemas/io.k8s.api.core.v1.EnvVar"
            },
            "type": "array",
            "x-kubernetes-list-map-keys": [
              "name"
            ],
            "x-kubernetes-list-type": "map",
            "x-kubernetes-patch-merge-key": "name",
            "x-kubernetes-patch-strategy": "merge"
          },
          "ports": {
            "description": "List of ports to expose from the contain...",
            "items": {
              "$ref": "#/components/schemas/io.k8s.api.core.v1.ContainerPort"
            },
            "type": "array",
            "x-kubernetes-list-map-keys": [
              "containerPort",
              "protocol"
            ],
            "x-kubernetes-list-type": "map",
            "x-kubernetes-patch-merge-key": "containerPort",
            "x-kubernetes-patch-strategy": "merge"
          },
          "required": [
            "name"
          ]
        }"##]]
    .assert_eq(&pretty(&json!({
        "required": container["required"],
        "ports": container["properties"]["ports"],
        "env": container["properties"]["env"],
        "command": container["properties"]["command"],
    })));
    // EphemeralContainer shares Container's tags.
    let ephemeral = &schemas["io.k8s.api.core.v1.EphemeralContainer"]["properties"]["ports"];
    assert_eq!(ephemeral["x-kubernetes-patch-merge-key"], "containerPort");
    let volumes = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["volumes"];
    assert_eq!(volumes["x-kubernetes-patch-strategy"], "merge,retainKeys");
    let networking = document("networking.k8s.io", "v1").expect("served");
    let ingress = &networking["components"]["schemas"]["io.k8s.api.networking.v1.NetworkPolicySpec"];
    assert_eq!(ingress["properties"]["ingress"]["x-kubernetes-list-type"], "atomic");
    assert_eq!(ingress["properties"]["ingress"].get("x-kubernetes-patch-strategy"), None);
}

#[test]
fn v2_keeps_ref_siblings_and_points_into_definitions() {
    let definitions = &v2_document()["definitions"];
    expect![[r##"
        {
          "ObjectMeta.finalizers": {
            "description": "Must be empty before the object is delet...",
            "items": {
              "type": "string"
            },
            "type": "array",
            "x-kubernetes-list-type": "set",
            "x-kubernetes-patch-strategy": "merge"
          },
          "Service.spec": {
            "$ref": "#/definitions/io.k8s.api.core.v1.ServiceSpec",
            "description": "Spec defines the behavior of a service. ..."
          },
          "ServiceSpec.ports": {
            "description": "The list of ports that are exposed by th...",
            "items": {
              "$ref": "#/definitions/io.k8s.api.core.v1.ServicePort"
            },
            "type": "array",
            "x-kubernetes-list-map-keys": [
              "port",
              "protocol"
            ],
            "x-kubernetes-list-type": "map",
            "x-kubernetes-patch-merge-key": "port",
            "x-kubernetes-patch-strategy": "merge"
          }
        }"##]].assert_eq(&pretty(&json!({
        "Service.spec": definitions["io.k8s.api.core.v1.Service"]["properties"]["spec"],
        "ServiceSpec.ports": definitions["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"],
        "ObjectMeta.finalizers": definitions["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["finalizers"],
    })));
    let v2 = v2_document();
    assert_eq!((v2["swagger"].as_str(), v2["paths"].as_object().map(|p| p.len())), (Some("2.0"), Some(0)));
}

/// Every key of every v2 schema is one gnostic's `Schema` message has, or an extension: nothing is dropped on the
/// way to protobuf.
#[test]
fn v2_schemas_use_only_keys_gnostic_knows() {
    fn check(schema: &Value, at: &str) {
        let Some(object) = schema.as_object() else { return };
        for (key, value) in object {
            assert!(
                key.starts_with("x-") || gnostic::SCHEMA_FIELDS.iter().any(|(name, _, _)| name == key),
                "{at}: {key}"
            );
            match key.as_str() {
                "properties" => {
                    value.as_object().into_iter().flatten().for_each(|(n, v)| check(v, &format!("{at}.{n}")))
                }
                "items" | "additionalProperties" => check(value, &format!("{at}[]")),
                "allOf" => value.as_array().into_iter().flatten().for_each(|v| check(v, at)),
                _ => {}
            }
        }
    }
    for (name, schema) in v2_document()["definitions"].as_object().expect("definitions") {
        check(schema, name);
    }
}

/// Reads a gnostic `Schema` message back into JSON with the same table, to check the encoding's structure.
fn read_schema(message: &[u8]) -> Value {
    use crate::protobuf::wire::{Payload, Reader};
    use gnostic::Encoding;
    fn fields(bytes: &[u8]) -> Vec<(u32, Payload<'_>)> {
        let mut reader = Reader::new(bytes);
        std::iter::from_fn(|| reader.next_field().expect("well-formed protobuf")).collect()
    }
    fn text(payload: &Payload) -> String {
        let Payload::Bytes(bytes) = payload else { panic!("not a string: {payload:?}") };
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }
    fn bytes<'a>(payload: &Payload<'a>) -> &'a [u8] {
        let Payload::Bytes(bytes) = payload else { panic!("not a message: {payload:?}") };
        bytes
    }
    fn any(payload: &Payload) -> Value {
        let [(2, yaml)] = fields(bytes(payload))[..] else { panic!("an Any with YAML") };
        serde_json::from_str(&text(&yaml)).expect("JSON text")
    }
    fn named(payload: &Payload) -> (String, Value) {
        let [(1, name), (2, value)] = fields(bytes(payload))[..] else { panic!("a NamedSchema") };
        (text(&name), read_schema(bytes(&value)))
    }
    let mut out = Map::new();
    for (field, payload) in fields(message) {
        if field == 31 {
            let [(1, name), (2, value)] = fields(bytes(&payload))[..] else { panic!("a NamedAny") };
            out.insert(text(&name), any(&value));
            continue;
        }
        let (key, _, encoding) = gnostic::SCHEMA_FIELDS.iter().find(|(_, f, _)| *f == field).expect("a known field");
        let push = |out: &mut Map<String, Value>, value: Value| {
            if let Some(Value::Array(items)) = out.get_mut(*key) {
                items.push(value);
            } else {
                out.insert((*key).to_owned(), json!([value]));
            }
        };
        match encoding {
            Encoding::Text => {
                out.insert((*key).to_owned(), json!(text(&payload)));
            }
            Encoding::Texts => push(&mut out, json!(text(&payload))),
            Encoding::Any => {
                out.insert((*key).to_owned(), any(&payload));
            }
            Encoding::Anys => push(&mut out, any(&payload)),
            Encoding::Bool | Encoding::Int64 => {
                let Payload::Varint(v) = payload else { panic!("a varint") };
                let value = if *encoding == Encoding::Bool { json!(v == 1) } else { json!(v as i64) };
                out.insert((*key).to_owned(), value);
            }
            Encoding::Double => {
                let Payload::Fixed64(v) = payload else { panic!("a double") };
                out.insert((*key).to_owned(), json!(f64::from_bits(v)));
            }
            Encoding::AdditionalProperties => {
                let value = match fields(bytes(&payload))[..] {
                    [(1, schema)] => read_schema(bytes(&schema)),
                    [(2, Payload::Varint(v))] => json!(v == 1),
                    ref other => panic!("{other:?}"),
                };
                out.insert((*key).to_owned(), value);
            }
            Encoding::Type => {
                let types: Vec<String> = fields(bytes(&payload)).iter().map(|(_, t)| text(t)).collect();
                let value = if types.len() == 1 { json!(types[0]) } else { json!(types) };
                out.insert((*key).to_owned(), value);
            }
            Encoding::Items => {
                let items: Vec<Value> = fields(bytes(&payload)).iter().map(|(_, s)| read_schema(bytes(s))).collect();
                let value = if items.len() == 1 { items[0].clone() } else { json!(items) };
                out.insert((*key).to_owned(), value);
            }
            Encoding::Schemas => push(&mut out, read_schema(bytes(&payload))),
            Encoding::Properties => {
                let properties: Map<String, Value> = fields(bytes(&payload)).iter().map(|(_, p)| named(p)).collect();
                out.insert((*key).to_owned(), Value::Object(properties));
            }
        }
    }
    Value::Object(out)
}

/// The protobuf form of v2 reads back, field by field, into the JSON form.
#[test]
fn the_v2_protobuf_reads_back_into_the_json_document() {
    use crate::protobuf::wire::{Payload, Reader};
    let fields = |bytes| {
        let mut reader = Reader::new(bytes);
        let mut fields = Vec::new();
        while let Some(field) = reader.next_field().expect("well-formed protobuf") {
            fields.push(field);
        }
        fields
    };
    let document = fields(v2_document_protobuf());
    assert_eq!(document[0], (1, Payload::Bytes(b"2.0")));
    let (2, Payload::Bytes(info)) = document[1] else { panic!("info is field 2: {:?}", document[1]) };
    let info = fields(info);
    assert_eq!(info, [(1, Payload::Bytes(b"Kubernetes")), (2, Payload::Bytes(discovery::GIT_VERSION.as_bytes()))]);
    assert_eq!(document[2], (8, Payload::Bytes(b"")), "empty paths");
    let (9, Payload::Bytes(definitions)) = document[3] else { panic!("definitions are field 9") };
    assert_eq!(document.len(), 4);
    let mut read = Map::new();
    for (field, named) in fields(definitions) {
        assert_eq!(field, 1);
        let Payload::Bytes(named) = named else { panic!("a NamedSchema") };
        let [(1, Payload::Bytes(name)), (2, Payload::Bytes(schema))] = fields(named)[..] else {
            panic!("a NamedSchema")
        };
        read.insert(String::from_utf8(name.to_vec()).expect("UTF-8"), read_schema(schema));
    }
    assert_eq!(Value::Object(read), v2_document()["definitions"]);
}
