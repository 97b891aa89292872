//! Tests of protobuf decoding: the bytes real kubectl sent (the tutorial capture, and `testdata/`, recorded from
//! kubectl 1.33.1 against a stand-in server), bodies built here to reach every rule, and property tests that no
//! input panics.

use expect_test::{Expect, expect};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// The body of `kubectl create namespace microservices` in `captures/s1.jsonl` and `captures/tut133.jsonl`,
/// byte for byte.
const CAPTURED_NAMESPACE: &[u8] = b"k8s\x00\n\x0f\n\x02v1\x12\tNamespace\x12%\n\x1d\n\rmicroservices\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x00\x1a\x02\n\x00\x1a\x00\"\x00";

const KUBECTL_CREATE: &str = include_str!("testdata/kubectl-1.33-create.txt");

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| text.get(2 * i..2 * i + 2))
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

/// `(name, path, body)` of every recorded `kubectl create`.
fn recorded() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    KUBECTL_CREATE
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.split(' ');
            Some((parts.next()?, parts.next()?, hex(parts.next()?)))
        })
        .collect()
}

fn outcome(body: &[u8]) -> String {
    match decode(body) {
        Ok(value) => value.to_string(),
        Err(error) => format!("{} {error}", error.status_code()),
    }
}

#[test]
fn the_captured_create_namespace() {
    assert_eq!(
        decode(CAPTURED_NAMESPACE),
        Ok(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "microservices"}}))
    );
    let recorded = recorded();
    assert_eq!(recorded.first().map(|(_, _, body)| body.as_slice()), Some(CAPTURED_NAMESPACE));
}

#[test]
fn every_recorded_kubectl_create() {
    let lines: Vec<String> =
        recorded().iter().map(|(name, path, body)| format!("{name} POST {path}\n  {}", outcome(body))).collect();
    expect![[r#"
        namespace POST /api/v1/namespaces
          {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"microservices"}}
        configmap POST /api/v1/namespaces/default/configmaps
          {"apiVersion":"v1","binaryData":{"bin":"Ymlu/wAB"},"data":{"a":"b","hello.txt":"hello\n"},"kind":"ConfigMap","metadata":{"name":"cm1"}}
        secret-generic POST /api/v1/namespaces/default/secrets
          {"apiVersion":"v1","data":{"pw":"czNjcjN0"},"kind":"Secret","metadata":{"name":"s1"},"type":"Opaque"}
        secret-docker-registry POST /api/v1/namespaces/default/secrets
          {"apiVersion":"v1","data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmV4YW1wbGUiOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19"},"kind":"Secret","metadata":{"name":"reg"},"type":"kubernetes.io/dockerconfigjson"}
        serviceaccount POST /api/v1/namespaces/default/serviceaccounts
          {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1"}}
        service-nodeport POST /api/v1/namespaces/default/services
          {"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"np1"},"name":"np1"},"spec":{"ports":[{"name":"80-8080","nodePort":30080,"port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"np1"},"type":"NodePort"}}
        service-clusterip-headless POST /api/v1/namespaces/default/services
          {"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"headless"},"name":"headless"},"spec":{"clusterIP":"None","ports":[{"name":"5432","port":5432,"protocol":"TCP","targetPort":5432}],"selector":{"app":"headless"},"type":"ClusterIP"}}
        service-externalname POST /api/v1/namespaces/default/services
          {"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"ext"},"name":"ext"},"spec":{"externalName":"example.com","selector":{"app":"ext"},"type":"ExternalName"}}
        service-loadbalancer POST /api/v1/namespaces/default/services
          {"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"lb"},"name":"lb"},"spec":{"ports":[{"name":"443-https","port":443,"protocol":"TCP","targetPort":"https"}],"selector":{"app":"lb"},"type":"LoadBalancer"}}
        deployment-two-images POST /apis/apps/v1/namespaces/default/deployments
          {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"d2"},"name":"d2"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"d2"}},"template":{"metadata":{"labels":{"app":"d2"}},"spec":{"containers":[{"image":"nginx","name":"nginx","ports":[{"containerPort":8080}]},{"image":"busybox","name":"busybox"}]}}}}
        deployment-zero-replicas POST /apis/apps/v1/namespaces/default/deployments
          {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"zero"},"name":"zero"},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"zero"}},"template":{"metadata":{"labels":{"app":"zero"}},"spec":{"containers":[{"image":"nginx","name":"nginx"}]}}}}
        deployment-command POST /apis/apps/v1/namespaces/default/deployments
          {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"cmd"},"name":"cmd"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"cmd"}},"template":{"metadata":{"labels":{"app":"cmd"}},"spec":{"containers":[{"command":["sleep","3600"],"image":"busybox","name":"busybox"}]}}}}
        ingress POST /apis/networking.k8s.io/v1/namespaces/default/ingresses
          {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"annotations":{"a":"b"},"name":"ing2"},"spec":{"defaultBackend":{"service":{"name":"defsvc","port":{"number":8080}}},"ingressClassName":"nginx","rules":[{"host":"foo.com","http":{"paths":[{"backend":{"service":{"name":"svc1","port":{"name":"http"}}},"path":"/bar","pathType":"Prefix"}]}}],"tls":[{"hosts":["foo.com"],"secretName":"my-cert"}]}}
        job POST /apis/batch/v1/namespaces/default/jobs
          415 the body of the request was in protobuf, and knet reads protobuf only for Namespace, ConfigMap, Secret, ServiceAccount, Service, Pod, Deployment, Ingress, SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview; send Job (batch/v1) as JSON instead
    "#]]
    .assert_eq(&(lines.join("\n") + "\n"));
}

/// Every kind with a schema is a resource the API server serves.
#[test]
fn supported_kinds_are_registered() {
    for (api_version, kind) in supported_kinds() {
        assert!(crate::resources::by_kind(api_version, kind).is_some(), "{api_version} {kind}");
    }
}

// A small protobuf writer, for bodies the recordings do not cover.

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn field_varint(number: u32, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(number) << 3, &mut out);
    varint(value, &mut out);
    out
}

fn field_bytes(number: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint((u64::from(number) << 3) | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn message(fields: &[Vec<u8>]) -> Vec<u8> {
    fields.concat()
}

fn map_entry(number: u32, key: &str, value: &[u8]) -> Vec<u8> {
    field_bytes(number, &message(&[field_bytes(1, key.as_bytes()), field_bytes(2, value)]))
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let type_meta = message(&[field_bytes(1, api_version.as_bytes()), field_bytes(2, kind.as_bytes())]);
    let mut body = MAGIC.to_vec();
    body.extend(message(&[field_bytes(1, &type_meta), field_bytes(2, raw), field_bytes(3, b""), field_bytes(4, b"")]));
    body
}

fn check(bodies: &[(&str, Vec<u8>)], expected: Expect) {
    let lines: Vec<String> = bodies.iter().map(|(what, body)| format!("{what}\n  {}", outcome(body))).collect();
    expected.assert_eq(&(lines.join("\n") + "\n"));
}

#[test]
fn metadata_in_full() {
    let owner = message(&[
        field_bytes(5, b"apps/v1"),
        field_bytes(1, b"ReplicaSet"),
        field_bytes(3, b"web-1"),
        field_bytes(4, b"uid-1"),
        field_varint(6, 1),
        field_varint(7, 0),
    ]);
    let created = message(&[field_varint(1, 1_700_000_000), field_varint(2, 5)]);
    let metadata = message(&[
        field_bytes(1, b"web"),
        field_bytes(3, b"shop"),
        field_varint(7, 3),
        field_bytes(8, &created),
        field_varint(10, 30),
        map_entry(11, "app", b"web"),
        map_entry(11, "tier", b"front"),
        map_entry(12, "note", b""),
        // A map entry without a value is the empty string, as protobuf defines.
        field_bytes(12, &field_bytes(1, b"empty")),
        field_bytes(13, &owner),
        field_bytes(14, b"example.com/cleanup"),
        field_bytes(14, b""),
    ]);
    let namespace = message(&[
        field_bytes(1, &metadata),
        field_bytes(2, &field_bytes(1, b"kubernetes")),
        field_bytes(3, &field_bytes(1, b"Active")),
    ]);
    check(
        &[("namespace with everything", envelope("v1", "Namespace", &namespace))],
        expect![[r#"
            namespace with everything
              {"apiVersion":"v1","kind":"Namespace","metadata":{"annotations":{"empty":"","note":""},"creationTimestamp":"2023-11-14T22:13:20Z","deletionGracePeriodSeconds":30,"finalizers":["example.com/cleanup",""],"generation":3,"labels":{"app":"web","tier":"front"},"name":"web","namespace":"shop","ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":false,"controller":true,"kind":"ReplicaSet","name":"web-1","uid":"uid-1"}]},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}
        "#]],
    );
}

#[test]
fn values_and_presence() {
    let negative_port = message(&[field_varint(3, (-1i64) as u64)]);
    let service = |ports: &[u8]| {
        envelope(
            "v1",
            "Service",
            &message(&[field_bytes(1, &field_bytes(1, b"s")), field_bytes(2, &field_bytes(1, ports))]),
        )
    };
    let rolling = |surge: Vec<u8>| {
        let strategy = field_bytes(2, &field_bytes(2, &surge));
        let spec = message(&[field_bytes(4, &strategy)]);
        envelope("apps/v1", "Deployment", &message(&[field_bytes(2, &spec)]))
    };
    let int_or_string = |kind: u64, int: u64, text: &[u8]| {
        message(&[field_varint(1, kind), field_varint(2, int), field_bytes(3, text)])
    };
    let automount = message(&[field_bytes(1, &field_bytes(1, b"sa")), field_varint(4, 0)]);
    let secret = message(&[map_entry(2, "key", &[0, 159, 146, 150]), field_varint(5, 1)]);
    let resources = message(&[field_bytes(
        8,
        &message(&[map_entry(1, "cpu", &field_bytes(1, b"500m")), map_entry(2, "memory", &field_bytes(1, b"64Mi"))]),
    )]);
    let pod_spec = message(&[field_bytes(2, &resources), field_varint(4, 0), field_varint(11, 0)]);
    check(
        &[
            ("int32 sign-extended to 64 bits", service(&negative_port)),
            ("maxSurge: 0 is a set pointer", rolling(int_or_string(0, 0, b""))),
            ("maxSurge: 25%", rolling(int_or_string(1, 0, b"25%"))),
            ("automountServiceAccountToken: false", envelope("v1", "ServiceAccount", &automount)),
            ("binary secret data, immutable", envelope("v1", "Secret", &secret)),
            ("resources, a zero grace period kept, hostNetwork false dropped", {
                envelope("v1", "Pod", &message(&[field_bytes(2, &pod_spec)]))
            }),
            ("a zero time is null, so it is dropped", {
                let metadata = message(&[field_bytes(8, &message(&[field_varint(1, 0)])), field_bytes(9, b"")]);
                envelope("v1", "ConfigMap", &message(&[field_bytes(1, &metadata)]))
            }),
            ("a message sent twice is merged", {
                let first = field_bytes(1, &message(&[field_bytes(1, b"a"), map_entry(11, "x", b"1")]));
                let second = field_bytes(1, &message(&[field_bytes(3, b"ns"), map_entry(11, "y", b"2")]));
                envelope("v1", "ConfigMap", &message(&[first, second]))
            }),
            ("the envelope's unknown fields are ignored", {
                let mut body = envelope("v1", "ConfigMap", &[]);
                body.extend(field_varint(9, 7));
                body
            }),
        ],
        expect![[r#"
            int32 sign-extended to 64 bits
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":-1}]}}
            maxSurge: 0 is a set pointer
              {"apiVersion":"apps/v1","kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxSurge":0}}}}
            maxSurge: 25%
              {"apiVersion":"apps/v1","kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxSurge":"25%"}}}}
            automountServiceAccountToken: false
              {"apiVersion":"v1","automountServiceAccountToken":false,"kind":"ServiceAccount","metadata":{"name":"sa"}}
            binary secret data, immutable
              {"apiVersion":"v1","data":{"key":"AJ+Slg=="},"immutable":true,"kind":"Secret"}
            resources, a zero grace period kept, hostNetwork false dropped
              {"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"resources":{"limits":{"cpu":"500m"},"requests":{"memory":"64Mi"}}}],"terminationGracePeriodSeconds":0}}
            a zero time is null, so it is dropped
              {"apiVersion":"v1","kind":"ConfigMap"}
            a message sent twice is merged
              {"apiVersion":"v1","kind":"ConfigMap","metadata":{"labels":{"x":"1","y":"2"},"name":"a","namespace":"ns"}}
            the envelope's unknown fields are ignored
              {"apiVersion":"v1","kind":"ConfigMap"}
        "#]],
    );
}

#[test]
fn refusals() {
    let namespace = |raw: Vec<u8>| envelope("v1", "Namespace", &raw);
    let mut truncated = CAPTURED_NAMESPACE.to_vec();
    truncated.truncate(30);
    let mut encoded = CAPTURED_NAMESPACE[..CAPTURED_NAMESPACE.len() - 2].to_vec();
    encoded.extend(field_bytes(3, b"gzip"));
    check(
        &[
            ("JSON sent as protobuf", br#"{"kind":"Namespace"}"#.to_vec()),
            ("empty body", Vec::new()),
            ("truncated", truncated),
            ("gzip content encoding", encoded),
            ("unknown kind", envelope("batch/v1", "Job", &[])),
            ("served kind without a schema", envelope("networking.k8s.io/v1", "NetworkPolicy", &[])),
            ("known kind, other version", envelope("apps/v1beta1", "Deployment", &[])),
            ("no kind", envelope("v1", "", &[])),
            // NamespaceStatus.conditions (field 2) is not in the schema: empty is fine, a value is refused.
            ("a field knet lacks, empty", namespace(field_bytes(3, &field_bytes(2, &field_bytes(1, b""))))),
            ("a field knet lacks, set", namespace(field_bytes(3, &field_bytes(2, &field_bytes(1, b"Ready"))))),
            ("an unknown varint field, set", namespace(field_varint(9, 1))),
            ("a string sent as a varint", namespace(field_bytes(1, &field_varint(1, 5)))),
            ("a varint sent as bytes", namespace(field_bytes(1, &field_bytes(7, b"3")))),
            ("a name that is not UTF-8", namespace(field_bytes(1, &field_bytes(1, &[0xff, 0xfe])))),
            ("a time past year 9999", {
                namespace(field_bytes(1, &field_bytes(8, &field_varint(1, 300_000_000_000))))
            }),
            ("an IntOrString of type 2", {
                let port = message(&[field_bytes(4, &field_varint(1, 2))]);
                envelope("v1", "Service", &field_bytes(2, &field_bytes(1, &port)))
            }),
        ],
        expect![[r#"
            JSON sent as protobuf
              400 provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]
            empty body
              400 provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]
            truncated
              400 protobuf body: Unknown: truncated at byte 19
            gzip content encoding
              415 protobuf body: unsupported content encoding "gzip" in the envelope
            unknown kind
              415 the body of the request was in protobuf, and knet reads protobuf only for Namespace, ConfigMap, Secret, ServiceAccount, Service, Pod, Deployment, Ingress, SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview; send Job (batch/v1) as JSON instead
            served kind without a schema
              415 the body of the request was in protobuf, and knet reads protobuf only for Namespace, ConfigMap, Secret, ServiceAccount, Service, Pod, Deployment, Ingress, SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview; send NetworkPolicy (networking.k8s.io/v1) as JSON instead
            known kind, other version
              415 the body of the request was in protobuf, and knet reads protobuf only for Namespace, ConfigMap, Secret, ServiceAccount, Service, Pod, Deployment, Ingress, SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview; send Deployment (apps/v1beta1) as JSON instead
            no kind
              400 protobuf body: Unknown.typeMeta: no kind
            a field knet lacks, empty
              {"apiVersion":"v1","kind":"Namespace"}
            a field knet lacks, set
              415 protobuf body: Namespace.status: field 2 of NamespaceStatus is set, and knet does not decode it from protobuf; send the object as JSON instead
            an unknown varint field, set
              415 protobuf body: Namespace: field 9 of Namespace is set, and knet does not decode it from protobuf; send the object as JSON instead
            a string sent as a varint
              400 protobuf body: Namespace.metadata.name: expected a length-delimited value, found varint
            a varint sent as bytes
              400 protobuf body: Namespace.metadata.generation: expected a varint value, found length-delimited
            a name that is not UTF-8
              400 protobuf body: Namespace.metadata.name: string is not valid UTF-8
            a time past year 9999
              400 protobuf body: Namespace.metadata.creationTimestamp: time 300000000000s since the epoch is outside years 0-9999
            an IntOrString of type 2
              400 protobuf body: Service.spec.ports[0].targetPort: IntOrString of type 2
        "#]],
    );
}

#[test]
fn rfc3339_edges() {
    assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(rfc3339(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
    assert_eq!(rfc3339(951_782_400).as_deref(), Some("2000-02-29T00:00:00Z"));
    assert_eq!(rfc3339(1_747_296_000).as_deref(), Some("2025-05-15T08:00:00Z"));
    assert_eq!(rfc3339(-62_167_219_200).as_deref(), Some("0000-01-01T00:00:00Z"));
    assert_eq!(rfc3339(253_402_300_799).as_deref(), Some("9999-12-31T23:59:59Z"));
    assert_eq!(rfc3339(253_402_300_800), None);
    assert_eq!(rfc3339(i64::MIN), None);
}

/// A namespace or config map built from arbitrary names, labels and data, encoded as kubectl would.
fn arbitrary_object() -> impl Strategy<Value = (Vec<u8>, Value)> {
    let text = "[a-z0-9./-]{0,12}";
    (
        prop::bool::ANY,
        "[a-z0-9-]{1,12}",
        prop::collection::btree_map(text, text, 0..4),
        prop::collection::btree_map(text, prop::collection::vec(any::<u8>(), 0..8), 0..4),
    )
        .prop_map(|(configmap, name, labels, binary)| {
            let mut metadata = vec![field_bytes(1, name.as_bytes()), field_bytes(2, b""), field_varint(7, 0)];
            metadata.extend(labels.iter().map(|(k, v)| map_entry(11, k, v.as_bytes())));
            let mut meta_json = json!({"name": name});
            if !labels.is_empty() {
                meta_json["labels"] = json!(labels);
            }
            let mut raw = vec![field_bytes(1, &message(&metadata))];
            let mut expected = json!({"apiVersion": "v1", "metadata": meta_json});
            if configmap {
                raw.extend(binary.iter().map(|(k, v)| map_entry(3, k, v)));
                expected["kind"] = json!("ConfigMap");
                if !binary.is_empty() {
                    let encoded: serde_json::Map<String, Value> =
                        binary.iter().map(|(k, v)| (k.clone(), json!(base64::encode(v)))).collect();
                    expected["binaryData"] = Value::Object(encoded);
                }
            } else {
                raw.push(field_bytes(2, b""));
                raw.push(field_bytes(3, &field_bytes(1, b"")));
                expected["kind"] = json!("Namespace");
            }
            (envelope("v1", if configmap { "ConfigMap" } else { "Namespace" }, &message(&raw)), expected)
        })
}

proptest! {
    #[test]
    fn decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
        let mut prefixed = MAGIC.to_vec();
        prefixed.extend(&bytes);
        let _ = decode(&prefixed);
    }

    /// Damaged real bodies reach deep into the decoder: a changed byte, or the body cut short.
    #[test]
    fn damaged_kubectl_bodies_never_panic(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let bodies = recorded();
        let (_, _, body) = &bodies[which.index(bodies.len())];
        let position = at.index(body.len());
        let mut changed = body.clone();
        changed[position] = byte;
        let _ = decode(&changed);
        let _ = decode(&body[..position]);
    }

    #[test]
    fn encoded_objects_decode_to_their_json((body, expected) in arbitrary_object()) {
        prop_assert_eq!(decode(&body), Ok(expected));
    }
}
