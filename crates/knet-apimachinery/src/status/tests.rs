//! Every Status builder against kube-apiserver's wording; the samples kubectl accepted are compared field by field.

use expect_test::expect;
use knet_object::{FieldError, FieldErrorKind};

use super::*;
use crate::resources::{RESOURCES, by_path};

fn resource(group: &str, plural: &str) -> &'static ResourceType {
    by_path(group, "v1", plural).unwrap_or(&RESOURCES[0])
}

fn parse(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_default()
}

fn port_error(index: usize) -> FieldError {
    FieldError {
        kind: FieldErrorKind::Invalid,
        field: format!("spec.ports[{index}].port"),
        value: Some("0".to_owned()),
        detail: "must be between 1 and 65535, inclusive".to_owned(),
    }
}

// The samples in `reference/kubectl/samples/status-*.json`, as kubectl accepted them.
const SAMPLE_404: &str = r#"{"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "services \"nosuch\" not found", "reason": "NotFound", "code": 404, "details": {"name": "nosuch", "kind": "services"}}"#;
const SAMPLE_409: &str = r#"{"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "namespaces \"microservices\" already exists", "reason": "AlreadyExists", "code": 409, "details": {"name": "microservices", "kind": "namespaces"}}"#;
const SAMPLE_422: &str = r#"{"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Service \"err-422\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", "reason": "Invalid", "details": {"name": "err-422", "kind": "Service", "causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: 0: must be between 1 and 65535, inclusive", "field": "spec.ports[0].port"}]}, "code": 422}"#;

#[test]
fn not_found_matches_the_sample() {
    let status = not_found(resource("", "services"), "nosuch");
    assert_eq!(status.to_json(), parse(SAMPLE_404));
    assert_eq!(status.code(), 404);
    expect![[r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \"nosuch\" not found","reason":"NotFound","details":{"name":"nosuch","kind":"services"},"code":404}"#]]
    .assert_eq(&status.to_json_string());
}

#[test]
fn not_found_qualifies_non_core_groups() {
    let status = not_found(resource("apps", "deployments"), "x");
    expect![[r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"x\" not found","reason":"NotFound","details":{"name":"x","group":"apps","kind":"deployments"},"code":404}"#]]
    .assert_eq(&status.to_json_string());
}

#[test]
fn already_exists_matches_the_sample() {
    let status = already_exists(resource("", "namespaces"), "microservices");
    assert_eq!(status.to_json(), parse(SAMPLE_409));
    assert_eq!(status.code(), 409);
}

#[test]
fn invalid_matches_the_sample() {
    let status = invalid("Service", "", "err-422", &[port_error(0)]);
    assert_eq!(status.to_json(), parse(SAMPLE_422));
    assert_eq!(status.code(), 422);
    expect![[r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Service \"err-422\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive","reason":"Invalid","details":{"name":"err-422","kind":"Service","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0: must be between 1 and 65535, inclusive","field":"spec.ports[0].port"}]},"code":422}"#]]
    .assert_eq(&status.to_json_string());
}

#[test]
fn invalid_with_several_errors_aggregates_them_in_brackets() {
    let required = FieldError {
        kind: FieldErrorKind::Required,
        field: "spec.selector".to_owned(),
        value: None,
        detail: String::new(),
    };
    // The repeated error is one message in the aggregate but stays a cause, as in Go.
    let status = invalid("Deployment", "apps", "web", &[port_error(0), required, port_error(0)]);
    expect![[r#"Deployment.apps "web" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.selector: Required value]"#]]
    .assert_eq(&status.message);
    let causes: Vec<_> = status.details.iter().flat_map(|d| &d.causes).map(|c| c.reason.as_str()).collect();
    assert_eq!(causes, ["FieldValueInvalid", "FieldValueRequired", "FieldValueInvalid"]);
    assert_eq!(status.details.as_ref().map(|d| d.group.as_str()), Some("apps"));
}

#[test]
fn invalid_without_errors_has_no_colon() {
    expect![[r#"ConfigMap "c" is invalid"#]].assert_eq(&invalid("ConfigMap", "", "c", &[]).message);
}

#[test]
fn conflict_modified_words_the_optimistic_lock() {
    let status = conflict_modified(resource("", "services"), "x");
    assert_eq!(status.code(), 409);
    expect![[r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on services \"x\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"x","kind":"services"},"code":409}"#]]
    .assert_eq(&status.to_json_string());
}

#[test]
fn request_errors() {
    let cases = [
        bad_request("boom"),
        namespace_mismatch(),
        namespace_mismatch_on_update("a", "b"),
        name_mismatch("x", "y"),
        method_not_allowed(resource("", "namespaces"), "deletecollection"),
        not_acceptable(&["application/json", "application/yaml"]),
        request_entity_too_large(MAX_REQUEST_BODY_BYTES),
        unsupported_media_type(PATCH_MEDIA_TYPES),
        unsupported_media_type(BODY_MEDIA_TYPES),
        gone_expired(5, 10),
        unauthorized(),
        resource_not_found(),
        service_unavailable("exec needs the node data plane"),
    ];
    let lines: Vec<String> = cases.iter().map(|s| format!("{} {}", s.code(), s.to_json_string())).collect();
    expect![[r#"
        400 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"boom","reason":"BadRequest","code":400}
        400 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the namespace of the provided object does not match the namespace sent on the request","reason":"BadRequest","code":400}
        400 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the namespace of the object (a) does not match the namespace on the request (b)","reason":"BadRequest","code":400}
        400 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the name of the object (x) does not match the name on the URL (y)","reason":"BadRequest","code":400}
        405 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deletecollection is not supported on resources of kind \"namespaces\"","reason":"MethodNotAllowed","details":{"kind":"namespaces"},"code":405}
        406 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"only the following media types are accepted: application/json, application/yaml","reason":"NotAcceptable","code":406}
        413 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}
        415 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415}
        415 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"UnsupportedMediaType","code":415}
        410 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (10)","reason":"Expired","code":410}
        401 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}
        404 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}
        503 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"exec needs the node data plane","reason":"ServiceUnavailable","code":503}"#]]
    .assert_eq(&lines.join("\n"));
}

#[test]
fn forbidden_and_namespace_terminating() {
    let lines = [
        forbidden(resource("", "pods"), "", "not today"),
        namespace_terminating(resource("apps", "deployments"), "web", "shop"),
        internal_error("disk on fire"),
    ]
    .map(|s| format!("{} {}", s.code(), s.to_json_string()));
    expect![[r#"
        403 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: not today","reason":"Forbidden","details":{"kind":"pods"},"code":403}
        403 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"web\" is forbidden: unable to create new content in namespace shop because it is being terminated","reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments","causes":[{"reason":"NamespaceTerminating","message":"namespace shop is being terminated","field":"metadata.namespace"}]},"code":403}
        500 {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: disk on fire","reason":"InternalError","details":{"causes":[{"message":"disk on fire"}]},"code":500}"#]]
    .assert_eq(&lines.join("\n"));
}

#[test]
fn success_carries_no_code_and_answers_200() {
    let status = success(resource("apps", "deployments"), "web", "6b1c");
    assert_eq!(status.code(), 200);
    expect![[r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"web","group":"apps","kind":"deployments","uid":"6b1c"}}"#]]
    .assert_eq(&status.to_json_string());
}

#[test]
fn names_are_quoted_as_go_quotes_them() {
    expect![[r#""a\"b\\c\n\x01\u00a0é""#]].assert_eq(&go_quote("a\"b\\c\n\u{1}\u{a0}é"));
    expect![[r#"services "we\"ird" not found"#]].assert_eq(&not_found(resource("", "services"), "we\"ird").message);
}
