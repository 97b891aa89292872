//! Server-side apply and the bookkeeping of updates: create, update, removal of a field the manager stopped applying,
//! conflicts with kube-apiserver's wording, force, and the `managedFields` a real cluster would show.

use expect_test::expect;
use serde_json::{Value, json};

use super::tests::pretty;
use super::*;

fn deployment(replicas: u32, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "front"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web",
                    "image": image,
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                }]},
            },
        },
    })
}

fn apply(live: Option<&Value>, config: &Value, manager: &str, force: bool) -> Result<Applied, ApplyError> {
    server_side_apply(live, config, manager, force, "apps/v1", "Deployment")
}

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| format!("{} {}", e["manager"].as_str().unwrap(), e["operation"].as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn apply_creates_and_records_the_fields_it_set() {
    let applied = apply(None, &deployment(2, "nginx:1.27"), "kubectl", false).unwrap();
    assert!(applied.created);
    let mut object = applied.object.clone();
    let entries = object["metadata"].as_object_mut().unwrap().remove("managedFields").unwrap();
    assert_eq!(object, deployment(2, "nginx:1.27"));
    expect![[r#"
        [
          {
            "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
              "f:metadata": {
                "f:labels": {
                  "f:app": {},
                  "f:tier": {}
                }
              },
              "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                  "f:metadata": {
                    "f:labels": {
                      "f:app": {}
                    }
                  },
                  "f:spec": {
                    "f:containers": {
                      "k:{\"name\":\"web\"}": {
                        ".": {},
                        "f:env": {
                          "k:{\"name\":\"A\"}": {
                            ".": {},
                            "f:name": {},
                            "f:value": {}
                          },
                          "k:{\"name\":\"B\"}": {
                            ".": {},
                            "f:name": {},
                            "f:value": {}
                          }
                        },
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {
                          "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                            ".": {},
                            "f:containerPort": {}
                          }
                        }
                      }
                    }
                  }
                }
              }
            },
            "manager": "kubectl",
            "operation": "Apply"
          }
        ]
    "#]]
    .assert_eq(&pretty(&entries));
}

#[test]
fn reapplying_updates_what_the_manager_owns() {
    let created = apply(None, &deployment(2, "nginx:1.27"), "kubectl", false).unwrap().object;
    let updated = apply(Some(&created), &deployment(4, "nginx:1.28"), "kubectl", false).unwrap();
    assert!(!updated.created);
    assert_eq!(updated.object["spec"]["replicas"], 4);
    assert_eq!(updated.object["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28");
    assert_eq!(updated.object["metadata"]["managedFields"], created["metadata"]["managedFields"]);
    // Applying the same configuration again changes nothing.
    let again = apply(Some(&updated.object), &deployment(4, "nginx:1.28"), "kubectl", false).unwrap();
    assert_eq!(again.object, updated.object);
}

#[test]
fn fields_the_manager_stops_applying_are_removed() {
    let created = apply(None, &deployment(2, "nginx:1.27"), "kubectl", false).unwrap().object;
    let mut config = deployment(2, "nginx:1.27");
    config["metadata"]["labels"].as_object_mut().unwrap().remove("tier");
    config["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "B", "value": "2"}]);
    config["spec"]["template"]["spec"]["containers"][0].as_object_mut().unwrap().remove("ports");
    let object = apply(Some(&created), &config, "kubectl", false).unwrap().object;
    assert_eq!(object["metadata"]["labels"], json!({"app": "web"}));
    let container = &object["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["env"], json!([{"name": "B", "value": "2"}]));
    assert_eq!(container.get("ports"), None, "the emptied ports list goes too");
}

#[test]
fn a_field_another_manager_owns_stays_when_one_stops_applying_it() {
    let created = apply(None, &deployment(2, "nginx:1.27"), "kubectl", false).unwrap().object;
    let labels_only = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"tier": "front"}}});
    let shared = apply(Some(&created), &labels_only, "labeller", false).unwrap().object;
    assert_eq!(managers(&shared), ["kubectl Apply", "labeller Apply"]);

    let mut config = deployment(2, "nginx:1.27");
    config["metadata"]["labels"].as_object_mut().unwrap().remove("tier");
    let object = apply(Some(&shared), &config, "kubectl", false).unwrap().object;
    assert_eq!(object["metadata"]["labels"], json!({"app": "web", "tier": "front"}));
    let kubectl = &object["metadata"]["managedFields"][0];
    assert_eq!(kubectl["fieldsV1"]["f:metadata"]["f:labels"], json!({"f:app": {}}));
}

/// The Deployment as `kubectl create` or client-side `kubectl apply` left it: an `Update` entry owning everything.
fn created_by_client_side_apply() -> Value {
    let object =
        track_update(None, &deployment(3, "nginx:1.27"), "kubectl-client-side-apply", None, "apps/v1", "Deployment");
    let mut object = object.unwrap();
    stamp_time(&mut object, "kubectl-client-side-apply", "Update", "2025-06-01T10:00:00Z");
    object
}

#[test]
fn changing_a_field_another_manager_set_is_a_conflict() {
    let live = created_by_client_side_apply();
    let error = apply(Some(&live), &deployment(5, "nginx:1.27"), "kubectl", false).unwrap_err();
    assert_eq!((error.code(), error.reason()), (409, "Conflict"));
    assert_eq!(
        error.to_string(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1 at 2025-06-01T10:00:00Z: .spec.replicas"#
    );
    let ApplyError::Conflict(conflicts) = &error else { unreachable!("a conflict") };
    assert_eq!(conflicts[0].path, ".spec.replicas");
    assert_eq!(
        conflicts[0].cause_message(),
        r#"conflict with "kubectl-client-side-apply" using apps/v1 at 2025-06-01T10:00:00Z"#
    );

    // The same values are no conflict: both managers own them.
    let shared = apply(Some(&live), &deployment(3, "nginx:1.27"), "kubectl", false).unwrap().object;
    assert_eq!(managers(&shared), ["kubectl Apply", "kubectl-client-side-apply Update"]);
    assert_eq!(shared["metadata"]["managedFields"][1]["fieldsV1"]["f:spec"]["f:replicas"], json!({}));
}

#[test]
fn several_conflicts_are_grouped_by_manager() {
    let mut live = created_by_client_side_apply();
    live["metadata"]["managedFields"][0]["time"].take();
    let error = apply(Some(&live), &deployment(5, "nginx:1.28"), "kubectl", false).unwrap_err();
    expect![[r#"
        Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:
        - .spec.replicas
        - .spec.template.spec.containers[name="web"].image"#]]
    .assert_eq(&error.to_string());
}

#[test]
fn force_takes_the_fields_over() {
    let live = created_by_client_side_apply();
    let object = apply(Some(&live), &deployment(5, "nginx:1.27"), "kubectl", true).unwrap().object;
    assert_eq!(object["spec"]["replicas"], 5);
    let client_side = &object["metadata"]["managedFields"][1];
    assert_eq!(client_side["manager"], "kubectl-client-side-apply");
    assert_eq!(client_side["fieldsV1"]["f:spec"].get("f:replicas"), None);
    assert_eq!(client_side["fieldsV1"]["f:spec"]["f:selector"], json!({}));
    // The next apply by the old owner now conflicts the other way round.
    let error = apply(Some(&object), &deployment(3, "nginx:1.27"), "other", false).unwrap_err();
    assert_eq!(error.to_string(), r#"Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas"#);
}

#[test]
fn objects_without_managed_fields_belong_to_before_first_apply() {
    let live = deployment(3, "nginx:1.27");
    let error = apply(Some(&live), &deployment(3, "nginx:1.28"), "kubectl", false).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.template.spec.containers[name="web"].image"#
    );
}

#[test]
fn keyed_lists_use_the_apply_keys_not_the_patch_merge_key() {
    // A Service with DNS on 53/UDP and 53/TCP: a strategic merge patch matches ports by `port` alone; apply by
    // `port` and `protocol`, so the two stay apart.
    let service = |ports: Value| json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns"}, "spec": {"ports": ports, "clusterIP": "10.96.0.10"}});
    let created = server_side_apply(
        None,
        &service(json!([{"port": 53, "protocol": "UDP", "name": "dns"}])),
        "a",
        false,
        "v1",
        "Service",
    );
    let live = created.unwrap().object;
    let config = service(json!([{"port": 53, "protocol": "TCP", "name": "dns-tcp"}]));
    let both = server_side_apply(Some(&live), &config, "b", false, "v1", "Service").unwrap().object;
    assert_eq!(
        both["spec"]["ports"],
        json!([{"port": 53, "protocol": "UDP", "name": "dns"}, {"port": 53, "protocol": "TCP", "name": "dns-tcp"}])
    );
}

#[test]
fn status_is_neither_applied_nor_owned() {
    let mut config = deployment(1, "nginx:1.27");
    config["status"] = json!({"replicas": 7});
    let object = apply(None, &config, "kubectl", false).unwrap().object;
    assert_eq!(object.get("status"), None);
    assert_eq!(object["metadata"]["managedFields"][0]["fieldsV1"].get("f:status"), None);
}

#[test]
fn kinds_without_a_table_apply_with_atomic_lists() {
    let widget = |items: Value| json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"items": items, "size": 1}});
    let live = server_side_apply(None, &widget(json!([1, 2])), "a", false, "example.com/v1", "Widget").unwrap().object;
    let object =
        server_side_apply(Some(&live), &widget(json!([3])), "a", false, "example.com/v1", "Widget").unwrap().object;
    assert_eq!(object["spec"]["items"], json!([3]));
    assert_eq!(object["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"], json!({"f:items": {}, "f:size": {}}));
}

#[test]
fn malformed_configurations_are_refused() {
    let error = server_side_apply(None, &deployment(1, "x"), "kubectl", false, "v1", "Pod").unwrap_err();
    assert_eq!(
        (error.code(), error.to_string()),
        (400, "the applied configuration is a Deployment in apps/v1, but the request is for a Pod in v1".to_owned())
    );
    let mut config = deployment(1, "x");
    config["metadata"]["managedFields"] = json!([]);
    assert_eq!(apply(None, &config, "kubectl", false).unwrap_err().to_string(), "metadata.managedFields must be nil");
    assert_eq!(apply(None, &json!({"spec": {}}), "kubectl", false).unwrap_err().code(), 400);

    let mut config = deployment(1, "x");
    config["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"value": "1"}]);
    let error = apply(None, &config, "kubectl", false).unwrap_err();
    assert_eq!(error.code(), 422);
    assert_eq!(
        error.to_string(),
        r#".spec.template.spec.containers[name="web"].env: element 0: associative list with keys has an element that omits key field "name" (and doesn't have default value)"#
    );
    let mut config = deployment(1, "x");
    config["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "A"}, {"name": "A", "value": "2"}]);
    assert_eq!(
        apply(None, &config, "kubectl", false).unwrap_err().to_string(),
        r#".spec.template.spec.containers[name="web"].env: duplicate entries for key [name="A"]"#
    );
}

fn entry<'v>(object: &'v Value, manager: &str) -> &'v Value {
    let entries = object["metadata"]["managedFields"].as_array().unwrap();
    entries.iter().find(|e| e["manager"] == manager).unwrap()
}

#[test]
fn updates_take_the_fields_they_change() {
    let live = created_by_client_side_apply();
    let mut scaled = live.clone();
    scaled["spec"]["replicas"] = json!(6);
    let mut object = track_update(Some(&live), &scaled, "kubectl-scale", None, "apps/v1", "Deployment").unwrap();
    stamp_time(&mut object, "kubectl-scale", "Update", "2025-06-01T12:00:00Z");
    assert_eq!(managers(&object), ["kubectl-client-side-apply Update", "kubectl-scale Update"]);
    assert_eq!(entry(&object, "kubectl-scale")["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    assert_eq!(entry(&object, "kubectl-client-side-apply")["fieldsV1"]["f:spec"].get("f:replicas"), None);
    // The next apply that changes replicas names the new owner.
    let error = apply(Some(&object), &deployment(2, "nginx:1.27"), "kubectl", false).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1 at 2025-06-01T12:00:00Z: .spec.replicas"#
    );

    // A status write through /status owns only status fields.
    let mut with_status = object.clone();
    with_status["status"] = json!({"replicas": 6});
    with_status["spec"]["paused"] = json!(true);
    let object =
        track_update(Some(&object), &with_status, "controller", Some("status"), "apps/v1", "Deployment").unwrap();
    assert_eq!(entry(&object, "controller")["subresource"], "status");
    assert_eq!(entry(&object, "controller")["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));
    // Removing a field takes it from its owner.
    let mut unlabelled = object.clone();
    unlabelled["metadata"]["labels"].as_object_mut().unwrap().remove("tier");
    let object = track_update(Some(&object), &unlabelled, "kubectl-label", None, "apps/v1", "Deployment").unwrap();
    assert_eq!(entry(&object, "kubectl-client-side-apply")["fieldsV1"]["f:metadata"]["f:labels"], json!({"f:app": {}}));
    assert_eq!(managers(&object).len(), 3, "an update that only removes owns nothing: {:?}", managers(&object));
}

#[test]
fn a_write_may_rewrite_or_clear_managed_fields() {
    // kubectl's hand-over from client-side to server-side apply: it rewrites the entry's manager and operation.
    let live = created_by_client_side_apply();
    let mut handed_over = live.clone();
    handed_over["metadata"]["managedFields"][0]["manager"] = json!("kubectl");
    handed_over["metadata"]["managedFields"][0]["operation"] = json!("Apply");
    let object = track_update(Some(&live), &handed_over, "kubectl", None, "apps/v1", "Deployment").unwrap();
    assert_eq!(managers(&object), ["kubectl Apply"]);
    // Now the apply manager owns everything, so changing the image is no conflict.
    let applied = apply(Some(&object), &deployment(3, "nginx:1.28"), "kubectl", false).unwrap();
    assert_eq!(applied.object["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28");

    let mut cleared = live.clone();
    cleared["metadata"]["managedFields"] = json!([{}]);
    let object = track_update(Some(&live), &cleared, "kubectl-edit", None, "apps/v1", "Deployment").unwrap();
    assert_eq!(object["metadata"].get("managedFields"), None, "nothing changed, so nobody owns anything");

    let mut garbage = live.clone();
    garbage["metadata"]["managedFields"] = json!([{"manager": "x"}]);
    let object = track_update(Some(&live), &garbage, "kubectl-edit", None, "apps/v1", "Deployment").unwrap();
    assert_eq!(
        object["metadata"]["managedFields"], live["metadata"]["managedFields"],
        "undecodable: the live ones stay"
    );
}

#[test]
fn stamped_times_order_the_entries() {
    let mut object = created_by_client_side_apply();
    let applied = apply(Some(&object), &deployment(3, "nginx:1.27"), "kubectl", false).unwrap();
    object = applied.object;
    stamp_time(&mut object, "kubectl", "Apply", "2025-06-01T11:00:00Z");
    let times: Vec<&Value> =
        object["metadata"]["managedFields"].as_array().unwrap().iter().map(|e| &e["time"]).collect();
    assert_eq!(times, [&json!("2025-06-01T11:00:00Z"), &json!("2025-06-01T10:00:00Z")], "Apply entries come first");
}

fn pod(metadata: Value, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})
}

proptest::proptest! {
    #[test]
    fn apply_never_panics_and_reapplying_changes_nothing(
        live in proptest::option::of((super::tests::any_json(), super::tests::any_json())),
        config in (super::tests::any_json(), super::tests::any_json()),
    ) {
        let live = live.map(|(metadata, spec)| pod(metadata, spec));
        let config = pod(config.0, config.1);
        let Ok(first) = server_side_apply(live.as_ref(), &config, "m", true, "v1", "Pod") else { return Ok(()) };
        let second = server_side_apply(Some(&first.object), &config, "m", false, "v1", "Pod");
        proptest::prop_assert_eq!(second.map(|applied| applied.object), Ok(first.object));
    }

    #[test]
    fn track_update_never_panics(
        live in proptest::option::of(super::tests::any_json()),
        updated in super::tests::any_json(),
    ) {
        let live = live.map(|spec| pod(json!({"name": "p"}), spec));
        let _ = track_update(live.as_ref(), &pod(json!({"name": "p"}), updated), "m", None, "v1", "Pod");
    }
}
