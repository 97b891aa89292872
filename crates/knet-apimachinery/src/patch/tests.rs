//! Strategic merge patch cases: the patches the real kubectl sent (from `captures/tut133.jsonl`), each directive, the
//! merge keys of the served kinds, the errors, and property tests over all three patch formats.

use expect_test::{Expect, expect};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

/// Pretty JSON with sorted keys, whatever order the map type keeps.
pub(super) fn pretty(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(members) => {
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&members[k]))).collect::<Map<_, _>>())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string_pretty(&sorted(value)).unwrap_or_default() + "\n"
}

fn smp(target: &Value, patch: &Value) -> Value {
    let (api_version, kind) = (target["apiVersion"].as_str().unwrap(), target["kind"].as_str().unwrap());
    strategic_merge_patch(target, patch, api_version, kind).unwrap()
}

fn check_at(target: Value, patch: Value, pointer: &str, expect: Expect) {
    let patched = smp(&target, &patch);
    expect.assert_eq(&pretty(patched.pointer(pointer).unwrap_or(&Value::Null)));
}

fn smp_error(target: Value, patch: Value) -> (u16, String) {
    let (api_version, kind) = (target["apiVersion"].as_str().unwrap(), target["kind"].as_str().unwrap());
    let error = strategic_merge_patch(&target, &patch, api_version, kind).unwrap_err();
    (error.code(), error.to_string())
}

/// The backend Deployment as the server stores it after the first `kubectl apply` of the tutorial (defaulted).
fn backend_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "backend",
            "namespace": "microservices",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{…1.36…8080…}\n"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "backend"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "backend"}},
                "spec": {
                    "containers": [{
                        "name": "backend",
                        "image": "busybox:1.36",
                        "command": ["sh", "-c", "while true; do echo ok | nc -l -p 8080; done"],
                        "envFrom": [{"configMapRef": {"name": "backend-config"}}],
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "imagePullPolicy": "IfNotPresent",
                    }],
                    "restartPolicy": "Always",
                },
            },
        },
    })
}

#[test]
fn kubectl_second_apply_changes_image_and_port() {
    // The body of PATCH seq 175 in tut133.jsonl (the annotation shortened): busybox 1.36 → 1.37, port 8080 → 8081.
    let patch: Value = serde_json::from_str(
        r#"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{…1.37…8081…}\n"}},
            "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"backend"}],
            "containers":[{"$setElementOrder/ports":[{"containerPort":8081}],"image":"busybox:1.37","name":"backend",
            "ports":[{"containerPort":8081},{"$patch":"delete","containerPort":8080}]}]}}}}"#,
    )
    .unwrap();
    let patched = smp(&backend_deployment(), &patch);
    assert_eq!(
        patched["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        "{…1.37…8081…}\n"
    );
    expect![[r#"
        {
          "containers": [
            {
              "command": [
                "sh",
                "-c",
                "while true; do echo ok | nc -l -p 8080; done"
              ],
              "envFrom": [
                {
                  "configMapRef": {
                    "name": "backend-config"
                  }
                }
              ],
              "image": "busybox:1.37",
              "imagePullPolicy": "IfNotPresent",
              "name": "backend",
              "ports": [
                {
                  "containerPort": 8081
                }
              ]
            }
          ],
          "restartPolicy": "Always"
        }
    "#]]
    .assert_eq(&pretty(&patched["spec"]["template"]["spec"]));
    // Nothing else moved.
    assert_eq!(patched["spec"]["strategy"], backend_deployment()["spec"]["strategy"]);
    assert_eq!(patched["spec"]["replicas"], 3);
}

#[test]
fn kubectl_apply_of_an_unchanged_list_keeps_it() {
    // PATCH seq 177 (frontend): only the image changes; `$setElementOrder` names the one container.
    let mut live = backend_deployment();
    live["spec"]["template"]["spec"]["containers"][0]["name"] = json!("frontend");
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "frontend"}],
        "containers": [{"image": "busybox:1.37", "name": "frontend"}],
    }}}});
    let patched = smp(&live, &patch);
    let mut expected = live.clone();
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = json!("busybox:1.37");
    assert_eq!(patched, expected);
}

fn two_container_pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "finalizers": ["a", "b", "c"]},
        "spec": {"containers": [
            {"name": "web", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "sidecar", "image": "busybox", "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "100m"}}},
        ]},
    })
}

#[test]
fn patch_delete_removes_one_container() {
    check_at(
        two_container_pod(),
        json!({"spec": {"containers": [{"name": "web", "$patch": "delete"}]}}),
        "/spec/containers",
        expect![[r#"
            [
              {
                "image": "busybox",
                "name": "sidecar",
                "resources": {
                  "limits": {
                    "cpu": "1"
                  },
                  "requests": {
                    "cpu": "100m"
                  }
                }
              }
            ]
        "#]],
    );
}

#[test]
fn null_deletes_a_map_key_and_unmatched_nulls_are_ignored() {
    let patched = smp(&two_container_pod(), &json!({"metadata": {"labels": {"tier": null, "absent": null, "v": "2"}}}));
    assert_eq!(patched["metadata"]["labels"], json!({"app": "web", "v": "2"}));
    // Nulls inside a value the object did not have are dropped, not stored.
    let patched = smp(&two_container_pod(), &json!({"metadata": {"annotations": {"a": "1", "b": null}}}));
    assert_eq!(patched["metadata"]["annotations"], json!({"a": "1"}));
}

#[test]
fn replace_directive_on_a_map_and_on_a_list() {
    let patch = json!({"spec": {"containers": [{"name": "sidecar", "resources": {"$patch": "replace", "limits": {"memory": "1Gi"}}}]}});
    let patched = smp(&two_container_pod(), &patch);
    assert_eq!(patched["spec"]["containers"][1]["resources"], json!({"limits": {"memory": "1Gi"}}));

    let patch = json!({"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}});
    let patched = smp(&two_container_pod(), &patch);
    assert_eq!(patched["spec"]["containers"], json!([{"name": "only", "image": "x"}]));

    let patched = smp(&two_container_pod(), &json!({"metadata": {"labels": {"$patch": "delete"}}}));
    assert_eq!(patched["metadata"]["labels"], json!({}));
}

#[test]
fn retain_keys_clears_the_other_members_of_a_union() {
    // What kubectl sends when a Deployment switches from RollingUpdate to Recreate.
    let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}});
    let patched = smp(&backend_deployment(), &patch);
    assert_eq!(patched["spec"]["strategy"], json!({"type": "Recreate"}));
    let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
    assert_eq!(smp(&backend_deployment(), &patch)["spec"]["strategy"], json!({"type": "Recreate"}));

    // A volume changing its source: `volumes` is `merge,retainKeys`.
    let mut pod = two_container_pod();
    pod["spec"]["volumes"] = json!([{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}]);
    let patch = json!({"spec": {"volumes": [{"$retainKeys": ["configMap", "name"], "name": "data", "configMap": {"name": "c"}}]}});
    assert_eq!(
        smp(&pod, &patch)["spec"]["volumes"],
        json!([{"name": "data", "configMap": {"name": "c"}}, {"name": "cache", "emptyDir": {}}])
    );

    let bad = json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}});
    assert_eq!(
        smp_error(backend_deployment(), bad),
        (422, r#"spec.strategy: patch content doesn't match retainKeys list: "rollingUpdate" is not in it"#.to_owned())
    );
    let malformed = json!({"spec": {"strategy": {"$retainKeys": "type"}}});
    assert_eq!(smp_error(backend_deployment(), malformed), (400, "invalid patch format of retainKeys".to_owned()));
}

#[test]
fn delete_from_primitive_list_and_union_of_finalizers() {
    let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"], "finalizers": ["d"]}});
    assert_eq!(smp(&two_container_pod(), &patch)["metadata"]["finalizers"], json!(["d", "a", "c"]));
    // With the order kubectl sends along, the order is the patch's.
    let patch = json!({"metadata": {
        "$setElementOrder/finalizers": ["a", "c", "d"],
        "$deleteFromPrimitiveList/finalizers": ["b"],
        "finalizers": ["d"],
    }});
    assert_eq!(smp(&two_container_pod(), &patch)["metadata"]["finalizers"], json!(["a", "c", "d"]));
    // Without it, the values the patch names keep the patch's order, interleaved with the others by the live order.
    let patch = json!({"metadata": {"finalizers": ["c", "a"]}});
    assert_eq!(smp(&two_container_pod(), &patch)["metadata"]["finalizers"], json!(["b", "c", "a"]));
}

#[test]
fn env_merges_by_name() {
    let patch = json!({"spec": {"containers": [{"name": "web", "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}]}]}});
    assert_eq!(
        smp(&two_container_pod(), &patch)["spec"]["containers"][0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "two"}, {"name": "C", "value": "3"}])
    );
}

#[test]
fn elements_a_patch_names_come_first_without_an_order() {
    // kube-apiserver's normalizeElementOrder: `kubectl patch` adding a container puts it before the live ones.
    let patch = json!({"spec": {"containers": [{"name": "new", "image": "x"}]}});
    let names: Vec<Value> = smp(&two_container_pod(), &patch)["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, [json!("new"), json!("web"), json!("sidecar")]);
}

#[test]
fn set_element_order_reorders_and_keeps_server_only_elements() {
    let mut pod = two_container_pod();
    pod["spec"]["containers"].as_array_mut().unwrap().push(json!({"name": "third", "image": "t"}));
    // The client knows `sidecar` and `web` (in that order) and adds `new`; `third` was added by someone else.
    let patch = json!({"spec": {
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "new"}, {"name": "web"}],
        "containers": [{"name": "new", "image": "n"}],
    }});
    let names: Vec<Value> =
        smp(&pod, &patch)["spec"]["containers"].as_array().unwrap().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, [json!("sidecar"), json!("new"), json!("web"), json!("third")]);

    let contradicting = json!({"spec": {
        "$setElementOrder/containers": [{"name": "web"}],
        "containers": [{"name": "new", "image": "n"}],
    }});
    let (code, message) = smp_error(pod, contradicting);
    assert_eq!(code, 422);
    assert!(message.starts_with("spec.containers: the order in patch list"), "{message}");
}

#[test]
fn service_ports_merge_by_port() {
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [
            {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
        ]},
    });
    check_at(
        service,
        json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 9090, "name": "metrics"}]}}),
        "/spec/ports",
        expect![[r#"
            [
              {
                "name": "http",
                "port": 80,
                "protocol": "TCP",
                "targetPort": "http"
              },
              {
                "name": "metrics",
                "port": 9090
              },
              {
                "name": "https",
                "port": 443,
                "protocol": "TCP",
                "targetPort": 8443
              }
            ]
        "#]],
    );
}

#[test]
fn network_policy_and_endpoints_lists_are_replaced() {
    let policy = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "db"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]}, {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
        },
    });
    let patch = json!({"spec": {"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}});
    assert_eq!(smp(&policy, &patch)["spec"]["ingress"], patch["spec"]["ingress"]);

    let endpoints = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
    let patch = json!({"subsets": [{"addresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 80}]}]});
    assert_eq!(smp(&endpoints, &patch)["subsets"], patch["subsets"]);
}

#[test]
fn status_conditions_merge_by_type() {
    let mut deployment = backend_deployment();
    deployment["status"] = json!({"conditions": [
        {"type": "Available", "status": "False"},
        {"type": "Progressing", "status": "True"},
    ]});
    let patch = json!({"status": {"conditions": [{"type": "Available", "status": "True"}]}});
    assert_eq!(
        smp(&deployment, &patch)["status"]["conditions"],
        json!([{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}])
    );
}

/// Whether each list merges or is replaced, and by which key: every row was checked against kubectl 1.33's own
/// strategic merge patch (`kubectl patch --local --type=strategic -o json`), which answered the same.
#[test]
fn lists_merge_or_are_replaced_as_kubectl_does() {
    const ROWS: &[(&str, &str, &str, Option<&str>, bool)] = &[
        ("v1", "Pod", "spec.containers", Some("name"), true),
        ("v1", "Pod", "spec.initContainers", Some("name"), true),
        ("v1", "Pod", "spec.ephemeralContainers", Some("name"), true),
        ("v1", "Pod", "spec.volumes", Some("name"), true),
        ("v1", "Pod", "spec.imagePullSecrets", Some("name"), true),
        ("v1", "Pod", "spec.hostAliases", Some("ip"), true),
        ("v1", "Pod", "spec.topologySpreadConstraints", Some("topologyKey"), true),
        ("v1", "Pod", "spec.resourceClaims", Some("name"), true),
        ("v1", "Pod", "spec.schedulingGates", Some("name"), true),
        ("v1", "Pod", "spec.tolerations", Some("key"), false),
        ("v1", "Pod", "spec.readinessGates", Some("conditionType"), false),
        ("v1", "Pod", "spec.containers.0.ports", Some("containerPort#"), true),
        ("v1", "Pod", "spec.containers.0.env", Some("name"), true),
        ("v1", "Pod", "spec.containers.0.volumeMounts", Some("mountPath"), true),
        ("v1", "Pod", "spec.containers.0.volumeDevices", Some("devicePath"), true),
        ("v1", "Pod", "spec.containers.0.envFrom", Some("prefix"), false),
        ("v1", "Pod", "spec.containers.0.resizePolicy", Some("resourceName"), false),
        ("v1", "Pod", "spec.containers.0.resources.claims", Some("name"), false),
        ("v1", "Pod", "spec.containers.0.args", None, false),
        ("v1", "Pod", "spec.initContainers.0.env", Some("name"), true),
        ("v1", "Pod", "spec.ephemeralContainers.0.ports", Some("containerPort#"), true),
        (
            "v1",
            "Pod",
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
            Some("x"),
            false,
        ),
        ("v1", "Pod", "spec.dnsConfig.nameservers", None, false),
        ("v1", "Pod", "status.conditions", Some("type"), true),
        ("v1", "Pod", "status.podIPs", Some("ip"), true),
        ("v1", "Pod", "status.hostIPs", Some("ip"), true),
        ("v1", "Pod", "status.containerStatuses", Some("name"), false),
        ("v1", "Pod", "status.resourceClaimStatuses", Some("name"), true),
        ("v1", "Pod", "metadata.ownerReferences", Some("uid"), true),
        ("v1", "Pod", "metadata.finalizers", None, true),
        ("v1", "Service", "spec.ports", Some("port#"), true),
        ("v1", "Service", "spec.clusterIPs", None, false),
        ("v1", "Service", "spec.externalIPs", None, false),
        ("v1", "Service", "status.conditions", Some("type"), true),
        ("v1", "Service", "status.loadBalancer.ingress", Some("ip"), false),
        ("v1", "Node", "spec.podCIDRs", None, true),
        ("v1", "Node", "spec.taints", Some("key"), false),
        ("v1", "Node", "status.conditions", Some("type"), true),
        ("v1", "Node", "status.addresses", Some("type"), true),
        ("v1", "Node", "status.images", Some("sizeBytes#"), false),
        ("v1", "Namespace", "spec.finalizers", None, false),
        ("v1", "Namespace", "status.conditions", Some("type"), true),
        ("v1", "ServiceAccount", "secrets", Some("name"), true),
        ("v1", "ServiceAccount", "imagePullSecrets", Some("name"), false),
        ("v1", "Endpoints", "subsets", Some("x"), false),
        ("v1", "Endpoints", "subsets.0.addresses", Some("ip"), false),
        ("v1", "Event", "metadata.ownerReferences", Some("uid"), true),
        ("v1", "ConfigMap", "metadata.finalizers", None, true),
        ("v1", "Secret", "metadata.ownerReferences", Some("uid"), true),
        ("apps/v1", "Deployment", "spec.template.spec.containers", Some("name"), true),
        ("apps/v1", "Deployment", "spec.template.spec.containers.0.ports", Some("containerPort#"), true),
        ("apps/v1", "Deployment", "spec.template.metadata.finalizers", None, true),
        ("apps/v1", "Deployment", "spec.selector.matchExpressions", Some("key"), false),
        ("apps/v1", "Deployment", "status.conditions", Some("type"), true),
        ("apps/v1", "ReplicaSet", "spec.template.spec.volumes", Some("name"), true),
        ("apps/v1", "ReplicaSet", "status.conditions", Some("type"), true),
        ("discovery.k8s.io/v1", "EndpointSlice", "endpoints", Some("x"), false),
        ("discovery.k8s.io/v1", "EndpointSlice", "ports", Some("name"), false),
        ("networking.k8s.io/v1", "Ingress", "spec.rules", Some("host"), false),
        ("networking.k8s.io/v1", "Ingress", "spec.tls", Some("secretName"), false),
        ("networking.k8s.io/v1", "Ingress", "status.loadBalancer.ingress", Some("ip"), false),
        ("networking.k8s.io/v1", "IngressClass", "metadata.finalizers", None, true),
        ("networking.k8s.io/v1", "NetworkPolicy", "spec.ingress", Some("x"), false),
        ("networking.k8s.io/v1", "NetworkPolicy", "spec.egress", Some("x"), false),
        ("networking.k8s.io/v1", "NetworkPolicy", "spec.policyTypes", None, false),
    ];
    /// `{"a": {"b": [{"name": "c0", ...}]}}` for `a.b.0...`: a number stands for the first element of a list.
    fn nest(steps: &[&str], leaf: Value) -> Value {
        match steps {
            [] => leaf,
            [field, index, rest @ ..] if index.parse::<usize>().is_ok() => {
                let mut element = nest(rest, leaf);
                element["name"] = json!("c0");
                json!({ *field: [element] })
            }
            [field, rest @ ..] => json!({ *field: nest(rest, leaf) }),
        }
    }
    for (api_version, kind, path, key, merges) in ROWS {
        let steps: Vec<&str> = path.split('.').collect();
        let (old, new) = match key {
            None => (json!(["a"]), json!(["b"])),
            Some(key) => match key.strip_suffix('#') {
                Some(key) => (json!([{key: 1, "other": "a"}]), json!([{key: 2}])),
                None => (json!([{*key: "1", "other": "a"}]), json!([{*key: "2"}])),
            },
        };
        let mut target = nest(&steps, old);
        target["apiVersion"] = json!(api_version);
        target["kind"] = json!(kind);
        let patched = strategic_merge_patch(&target, &nest(&steps, new), api_version, kind).unwrap();
        let pointer: String = steps.iter().map(|step| format!("/{step}")).collect();
        let len = patched.pointer(&pointer).and_then(Value::as_array).map(Vec::len);
        assert_eq!(len, Some(if *merges { 2 } else { 1 }), "{kind} {path}");
    }
}

#[test]
fn errors_carry_the_status_kube_apiserver_answers_with() {
    let missing_key = json!({"spec": {"containers": [{"image": "x"}]}});
    assert_eq!(
        smp_error(two_container_pod(), missing_key),
        (422, r#"spec.containers[0]: map: {"image":"x"} does not contain declared merge key: name"#.to_owned())
    );
    let merge_directive = json!({"spec": {"containers": [{"name": "web", "$patch": "merge"}]}});
    assert_eq!(
        smp_error(two_container_pod(), merge_directive),
        (422, "spec.containers[0]: merging lists cannot yet be specified in the patch".to_owned())
    );
    let unknown = json!({"metadata": {"labels": {"$patch": "frobnicate"}}});
    assert_eq!(
        smp_error(two_container_pod(), unknown),
        (422, r#"metadata.labels: unknown patch type: frobnicate in map: {"$patch":"frobnicate"}"#.to_owned())
    );
    let mixed = json!({"metadata": {"finalizers": [{"a": 1}]}});
    let (code, message) = smp_error(two_container_pod(), mixed);
    assert_eq!(code, 422);
    assert!(message.starts_with("metadata.finalizers: list element types are not identical"), "{message}");
    assert_eq!(smp_error(two_container_pod(), json!([1])).0, 400);
    assert_eq!(
        smp_error(two_container_pod(), json!({"metadata": {"$setElementOrder": []}})),
        (400, "invalid patch format of setElementOrder list".to_owned())
    );

    let error = strategic_merge_patch(&json!({}), &json!({}), "example.com/v1", "Widget").unwrap_err();
    assert_eq!((error.code(), error.reason()), (415, "UnsupportedMediaType"));
    assert_eq!(
        error.to_string(),
        "the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    );
}

#[test]
fn patch_types_from_content_types() {
    assert_eq!(PatchType::from_content_type("application/strategic-merge-patch+json"), Some(PatchType::StrategicMerge));
    assert_eq!(PatchType::from_content_type("Application/Merge-Patch+JSON; charset=utf-8"), Some(PatchType::Merge));
    assert_eq!(PatchType::from_content_type("application/apply-patch+yaml"), Some(PatchType::Apply));
    assert_eq!(PatchType::from_content_type("application/json"), None);
    for kind in [PatchType::Json, PatchType::Merge, PatchType::StrategicMerge, PatchType::Apply] {
        assert_eq!(PatchType::from_content_type(kind.content_type()), Some(kind));
    }
}

/// Any JSON value, at most four levels deep, with keys drawn from the words patches and objects use, so the
/// generated values hit merge keys, directives and typed fields.
pub(super) fn any_json() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "$patch",
        "$retainKeys",
        "$setElementOrder/containers",
        "$setElementOrder/finalizers",
        "$deleteFromPrimitiveList/finalizers",
        "$deleteFromPrimitiveList/",
        "$setElementOrder",
        "metadata",
        "finalizers",
        "labels",
        "spec",
        "template",
        "containers",
        "ports",
        "name",
        "containerPort",
        "protocol",
        "image",
        "strategy",
        "0",
        "-",
        "",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (0i64..4).prop_map(Value::from),
        prop::sample::select(vec!["a", "replace", "delete", "merge", "name", "TCP"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone().prop_map(str::to_owned), inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn any_object() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(vec!["a", "b", "c", "spec"]).prop_map(str::to_owned), any_json()), 0..4)
        .prop_map(|members| Value::Object(members.into_iter().collect()))
}

/// Maps of maps and scalars (nulls included), without lists or directives.
fn plain_map() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![Just(Value::Null), (0i64..3).prop_map(Value::from), Just(Value::from("x"))];
    let map = leaf.prop_recursive(3, 24, 4, |inner| {
        prop::collection::vec((prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_owned), inner), 0..4)
            .prop_map(|members| Value::Object(members.into_iter().collect()))
    });
    prop::collection::vec((prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_owned), map), 0..4)
        .prop_map(|members| Value::Object(members.into_iter().collect()))
}

fn any_json_patch() -> impl Strategy<Value = Value> {
    let pointer = prop::sample::select(vec!["", "/", "/a", "/a/0", "/a/-", "/spec/b", "/a~1b", "/~2", "/a/01", "x"]);
    let op = prop::sample::select(vec!["add", "remove", "replace", "move", "copy", "test", "other"]);
    let operation = (op, pointer.clone(), pointer, any_json())
        .prop_map(|(op, path, from, value)| json!({"op": op, "path": path, "from": from, "value": value}));
    prop::collection::vec(prop_oneof![operation, any_json()], 0..5).prop_map(Value::Array)
}

proptest! {
    #[test]
    fn merge_patch_with_an_empty_patch_changes_no_object(target in any_object()) {
        prop_assert_eq!(merge_patch(&target, &json!({})), target);
    }

    #[test]
    fn merge_patch_is_idempotent(target in any_json(), patch in any_json()) {
        let once = merge_patch(&target, &patch);
        prop_assert_eq!(merge_patch(&once, &patch), once);
    }

    #[test]
    fn strategic_merge_patch_never_panics(target in any_json(), patch in any_json(), pod in any::<bool>()) {
        let (api_version, kind) = if pod { ("v1", "Pod") } else { ("apps/v1", "Deployment") };
        let _ = strategic_merge_patch(&target, &patch, api_version, kind);
        let mut wrapped = json!({"spec": {"template": {"spec": {}}}, "metadata": {}});
        wrapped["spec"]["template"]["spec"] = target.clone();
        wrapped["metadata"] = target;
        let _ = strategic_merge_patch(&wrapped, &json!({"spec": {"template": {"spec": patch.clone()}}, "metadata": patch}), "apps/v1", "Deployment");
    }

    #[test]
    fn strategic_merge_patch_is_idempotent(target in any_json(), patch in any_json()) {
        // What the second `kubectl apply` of an unchanged manifest relies on: the same patch twice changes nothing more.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": target});
        let patch = json!({"spec": patch});
        if let Ok(once) = strategic_merge_patch(&pod, &patch, "v1", "Pod") {
            prop_assert_eq!(strategic_merge_patch(&once, &patch, "v1", "Pod"), Ok(once));
        }
    }

    #[test]
    fn strategic_merge_patch_of_plain_maps_is_a_merge_patch(target in plain_map(), patch in plain_map()) {
        // Under a ConfigMap's `data` there are no lists with strategies; without directives or lists, the two agree.
        let configmap = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": target});
        let patched = strategic_merge_patch(&configmap, &json!({"data": patch}), "v1", "ConfigMap").unwrap();
        prop_assert_eq!(patched, merge_patch(&configmap, &json!({"data": patch})));
    }

    #[test]
    fn json_patch_never_panics(target in any_json(), patch in any_json_patch()) {
        let _ = json_patch(&target, &patch);
    }
}
