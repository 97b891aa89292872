//! Admission: type checks, unknown fields by `fieldValidation`, defaulting, 422 wording, system metadata.

use knet_apimachinery::resources::by_path;
use serde_json::json;

use super::*;

fn services() -> &'static ResourceType {
    by_path("", "v1", "services").unwrap()
}

#[test]
fn unknown_fields_are_named_and_strict_refuses_them() {
    let service = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s", "colour": "red" },
        "spec": { "ports": [{ "port": 80, "portt": 81 }], "selector": null } });
    let warned = admit(services(), service.clone(), FieldValidation::Warn).unwrap();
    assert_eq!(warned.warnings, [r#"unknown field "metadata.colour""#, r#"unknown field "spec.ports[0].portt""#]);
    assert_eq!(warned.object["spec"]["ports"][0]["targetPort"], 80, "defaulted");
    let strict = admit(services(), service, FieldValidation::Strict).unwrap_err();
    assert_eq!(strict.code(), 400);
    assert_eq!(
        strict.message,
        r#"Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "metadata.colour", unknown field "spec.ports[0].portt""#
    );
}

#[test]
fn invalid_objects_get_422_with_causes() {
    let service = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" },
        "spec": { "ports": [{ "port": 0 }] } });
    let status = admit(services(), service, FieldValidation::Strict).unwrap_err();
    assert_eq!(status.code(), 422);
    // The target port defaults to the port, so both are reported, as kube-apiserver reports them.
    assert_eq!(
        status.message,
        r#"Service "s" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]"#
    );
    let causes = status.details.as_ref().map(|d| d.causes.len());
    assert_eq!(causes, Some(2));
    let bad_type = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" },
        "spec": { "ports": [{ "port": "eighty" }] } });
    let status = admit(services(), bad_type, FieldValidation::Strict).unwrap_err();
    assert_eq!(status.code(), 400);
    assert_eq!(
        status.message,
        r#"Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"#
    );
}

#[test]
fn types_are_checked_against_the_url_and_filled_in() {
    let mut wrong = json!({ "apiVersion": "apps/v1", "kind": "Deployment" });
    assert_eq!(
        check_type(services(), &mut wrong).unwrap_err().message,
        "the API version in the data (apps/v1) does not match the expected API version (v1)"
    );
    let mut bare = json!({ "metadata": { "name": "s" } });
    check_type(services(), &mut bare).unwrap();
    assert_eq!((bare["apiVersion"].as_str(), bare["kind"].as_str()), (Some("v1"), Some("Service")));
}

#[test]
fn create_sets_system_metadata_and_refuses_a_resource_version() {
    let deployments = by_path("apps", "v1", "deployments").unwrap();
    let object = json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" },
        "spec": { "replicas": 2 }, "status": { "replicas": 9 } });
    let created = for_create(deployments, object, Some("kubectl-create"), 1_714_564_800).unwrap();
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(created["metadata"]["creationTimestamp"], "2024-05-01T12:00:00Z");
    assert_eq!(created["metadata"]["uid"].as_str().map(str::len), Some(36));
    assert!(created.get("status").is_none(), "status is reset on create");
    assert_eq!(created["metadata"]["managedFields"][0]["manager"], "kubectl-create");
    let with_rv = json!({ "metadata": { "name": "d", "resourceVersion": "5" } });
    assert_eq!(
        for_create(deployments, with_rv, None, 0).unwrap_err().message,
        "Internal error occurred: resourceVersion should not be set on objects to be created"
    );
}

#[test]
fn updates_keep_status_and_system_fields_and_move_the_generation() {
    let deployments = by_path("apps", "v1", "deployments").unwrap();
    let old = json!({ "metadata": { "name": "d", "uid": "u1", "generation": 3, "creationTimestamp": "t" },
        "spec": { "replicas": 1 }, "status": { "replicas": 1 } });
    let new = json!({ "metadata": { "name": "d", "uid": "other", "generation": 99 },
        "spec": { "replicas": 2 }, "status": { "replicas": 7 } });
    let updated = for_update(deployments, &old, new.clone(), None, None, 0).unwrap();
    assert_eq!(updated["metadata"]["uid"], "u1");
    assert_eq!(updated["metadata"]["generation"], 4);
    assert_eq!(updated["status"]["replicas"], 1);
    let status_update = for_update(deployments, &old, new, Some("status"), None, 0).unwrap();
    assert_eq!(status_update["spec"]["replicas"], 1);
    assert_eq!(status_update["status"]["replicas"], 7);
    assert_eq!(status_update["metadata"]["generation"], 3);
}

#[test]
fn secrets_string_data_is_merged_into_data() {
    let secrets = by_path("", "v1", "secrets").unwrap();
    let secret = json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "s" },
        "stringData": { "password": "hunter2" } });
    let admitted = admit(secrets, secret, FieldValidation::Strict).unwrap();
    assert_eq!(admitted.object["data"]["password"], "aHVudGVyMg==");
    assert!(admitted.object.get("stringData").is_none());
}

#[test]
fn kinds_without_a_typed_form_still_get_their_names_checked() {
    let service_accounts = by_path("", "v1", "serviceaccounts").unwrap();
    let bad =
        json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": { "name": "Bad_Name", "namespace": "x" } });
    let status = admit(service_accounts, bad, FieldValidation::Strict).unwrap_err();
    assert_eq!(status.code(), 422);
    assert!(
        status.message.starts_with(r#"ServiceAccount "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name""#),
        "{}",
        status.message
    );
    let nodes = by_path("", "v1", "nodes").unwrap();
    let node =
        json!({ "apiVersion": "v1", "kind": "Node", "metadata": { "name": "knet" }, "status": { "phase": "x" } });
    let admitted = admit(nodes, node.clone(), FieldValidation::Strict).unwrap();
    assert_eq!(admitted.object, node);
}
