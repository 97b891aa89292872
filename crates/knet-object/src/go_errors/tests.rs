//! The translation of decode failures into kube-apiserver's wording, one case per kind of Go type, and a property
//! test that it is total.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::load::{LoadError, load_str};

/// The message loading `object` gives, or `ok`.
fn decode(object: Value) -> String {
    let loaded = load_str("t.json", &object.to_string());
    match loaded.errors.first() {
        Some(LoadError::Decode { message, .. }) => message.clone(),
        Some(other) => format!("other error: {other}"),
        None => "ok".to_owned(),
    }
}

fn deployment(spec: Value) -> Value {
    json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" }, "spec": spec })
}

fn pod_with_container(container: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" },
        "spec": { "containers": [container] } })
}

#[test]
fn an_int32_given_a_string_names_the_struct_and_the_path() {
    assert_eq!(
        decode(deployment(json!({ "replicas": "three" }))),
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
}

#[test]
fn a_number_too_large_or_fractional_names_itself() {
    assert_eq!(
        decode(deployment(json!({ "replicas": 99_999_999_999_i64 }))),
        "json: cannot unmarshal number 99999999999 into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
    assert_eq!(
        decode(deployment(json!({ "replicas": 1.5 }))),
        "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
}

#[test]
fn list_elements_keep_the_path_without_indices() {
    let service = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" },
        "spec": { "ports": [{ "port": 80 }, { "port": "eighty" }] } });
    assert_eq!(
        decode(service),
        "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"
    );
}

#[test]
fn bools_strings_lists_maps_and_structs() {
    assert_eq!(
        decode(deployment(json!({ "paused": "yes" }))),
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"
    );
    assert_eq!(
        decode(pod_with_container(json!({ "name": 5 }))),
        "json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string"
    );
    let containers = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" },
        "spec": { "containers": { "name": "c" } } });
    assert_eq!(
        decode(containers),
        "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"
    );
    let labels = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c", "labels": ["a"] } });
    assert_eq!(
        decode(labels),
        "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string"
    );
    let label_value =
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c", "labels": { "a": 1 } } });
    assert_eq!(
        decode(label_value),
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
    );
    assert_eq!(
        decode(deployment(json!({ "template": "x" }))),
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template of type v1.PodTemplateSpec"
    );
    assert_eq!(
        decode(json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" }, "spec": 3 })),
        "json: cannot unmarshal number into Go struct field Deployment.spec of type v1.DeploymentSpec"
    );
}

#[test]
fn named_string_types_are_named() {
    let service = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" },
        "spec": { "type": 1, "ports": [{ "port": 80, "protocol": true }] } });
    assert_eq!(
        decode(service),
        "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.protocol of type v1.Protocol"
    );
}

#[test]
fn int_or_string_decodes_unquoted_values_as_int32() {
    let service = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" },
        "spec": { "ports": [{ "port": 80, "targetPort": true }] } });
    assert_eq!(
        decode(service),
        "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32"
    );
}

#[test]
fn quantities_are_parsed_with_go_grammar() {
    let limits = |cpu: Value| pod_with_container(json!({ "name": "c", "resources": { "limits": { "cpu": cpu } } }));
    assert_eq!(decode(limits(json!("500m"))), "ok");
    assert_eq!(decode(limits(json!(1))), "ok", "a bare number is a quantity");
    assert_eq!(decode(limits(json!("1e3"))), "ok");
    assert_eq!(decode(limits(json!("abc"))), QUANTITY_FORMAT);
    assert_eq!(decode(limits(json!(true))), QUANTITY_FORMAT);
    assert_eq!(decode(limits(json!("1KM"))), QUANTITY_SUFFIX);
}

#[test]
fn base64_is_read_as_go_reads_it() {
    let secret = |value: &str| {
        json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "s" },
        "data": { "k": value } })
    };
    assert_eq!(decode(secret("not base64!")), "illegal base64 data at input byte 3");
    assert_eq!(decode(secret("!")), "illegal base64 data at input byte 0");
    assert_eq!(decode(secret("YWJj")), "ok");
    assert_eq!(decode(secret("YWJjZA\n==")), "ok", "Go skips newlines");
    assert_eq!(decode(secret("YWJjZA")), "illegal base64 data at input byte 4", "Go requires padding");
    let config_map = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c" },
        "binaryData": { "k": "%%%%" } });
    assert_eq!(decode(config_map), "illegal base64 data at input byte 0");
    let loaded = load_str("t.json", &secret("YWJjZA\n==").to_string());
    assert_eq!(loaded.manifests.len(), 1);
}

#[test]
fn go_base64_offsets_match_go() {
    // Offsets from Go's encoding/base64 (CorruptInputError) for the same inputs.
    assert_eq!(go_base64(b"YWJj"), Ok(b"abc".to_vec()));
    assert_eq!(go_base64(b"YQ=="), Ok(b"a".to_vec()));
    assert_eq!(go_base64(b"YQ="), Err(3));
    assert_eq!(go_base64(b"Y"), Err(0));
    assert_eq!(go_base64(b"YWJj!"), Err(4));
    assert_eq!(go_base64(b"YQ==YQ=="), Err(4));
    assert_eq!(go_base64(b"=abc"), Err(0));
    assert_eq!(encode_base64(b"ab"), "YWI=");
}

#[test]
fn times_are_rfc3339() {
    let meta = json!({ "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": { "name": "c", "creationTimestamp": "yesterday" } });
    assert_eq!(
        decode(meta),
        r#"parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#
    );
    let number =
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c", "creationTimestamp": 5 } });
    assert_eq!(
        decode(number),
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string"
    );
}

#[test]
fn kinds_knet_does_not_type_still_check_metadata() {
    let node = json!({ "apiVersion": "v1", "kind": "Node", "metadata": { "name": "n", "labels": "x" } });
    assert_eq!(
        decode(node),
        "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string"
    );
}

#[test]
fn a_path_the_schema_does_not_know_falls_back_to_serde() {
    let message = type_error(Root::Kind(Kind::Pod), &json!({}), &[Step::Key("nope".to_owned())], "serde said");
    assert_eq!(message, "serde said");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|n| json!(n)),
        "[a-zA-Z0-9=+/ .:-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let keys = prop_oneof![
            Just("spec"),
            Just("metadata"),
            Just("ports"),
            Just("port"),
            Just("targetPort"),
            Just("containers"),
            Just("name"),
            Just("replicas"),
            Just("template"),
            Just("labels"),
            Just("data"),
            Just("resources"),
            Just("limits"),
            Just("cpu"),
            Just("selector"),
            Just("rules"),
            Just("http"),
            Just("paths"),
            Just("backend"),
            Just("service"),
            Just("number"),
            Just("ingress"),
            Just("from"),
            Just("podSelector"),
            Just("creationTimestamp"),
            Just("binaryData"),
            Just("type"),
            Just("protocol"),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn every_failure_has_a_message_and_nothing_panics(
        kind in prop_oneof![Just(("apps/v1", "Deployment")), Just(("v1", "Service")), Just(("v1", "Pod")),
            Just(("v1", "Secret")), Just(("v1", "ConfigMap")), Just(("networking.k8s.io/v1", "Ingress")),
            Just(("networking.k8s.io/v1", "NetworkPolicy")), Just(("v1", "Node"))],
        spec in json_value(),
        metadata in json_value(),
        extra in json_value(),
    ) {
        let object = json!({ "apiVersion": kind.0, "kind": kind.1, "metadata": metadata, "spec": spec,
            "data": extra.clone(), "template": extra });
        let loaded = load_str("fuzz.json", &object.to_string());
        for error in &loaded.errors {
            if let LoadError::Decode { message, .. } = error {
                prop_assert!(!message.is_empty());
            }
        }
    }

    #[test]
    fn translation_is_total_on_any_path(value in json_value(), steps in proptest::collection::vec(
        prop_oneof!["[a-z]{1,6}".prop_map(Step::Key), (0usize..3).prop_map(Step::Index)], 0..6)) {
        for kind in Kind::ALL {
            let message = type_error(Root::Kind(kind), &value, &steps, "fallback");
            prop_assert!(!message.is_empty());
        }
    }
}
