//! Field selectors: parsing with escapes, kube-apiserver's errors, the fields each resource supports, matching over
//! JSON objects, and property tests (never panics; printing then parsing gives the same selector).

use expect_test::expect;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::resources::{RESOURCES, by_path};

fn resource(group: &str, plural: &str) -> &'static ResourceType {
    by_path(group, "v1", plural).unwrap_or(&RESOURCES[0])
}

fn show(result: Result<FieldSelector, FieldSelectorError>) -> String {
    match result {
        Ok(selector) => format!("{selector}"),
        Err(error) => format!("error: {error}"),
    }
}

#[test]
fn parsing_prints_canonically_and_unescapes_values() {
    let cases = [
        "",
        "metadata.name=x",
        "metadata.name==x",
        "a!=b",
        "b=1,a=2",
        r"a=x\,y",
        r"a=\=",
        r"a=\\",
        "a=b,,c=d",
        "a=",
        "=x",
        "spec.nodeName=node-1,status.phase!=Running",
    ];
    let out: Vec<String> = cases.iter().map(|c| format!("{c:?} -> {}", show(FieldSelector::parse(c)))).collect();
    expect![[r#"
        "" -> 
        "metadata.name=x" -> metadata.name=x
        "metadata.name==x" -> metadata.name=x
        "a!=b" -> a!=b
        "b=1,a=2" -> a=2,b=1
        "a=x\\,y" -> a=x\,y
        "a=\\=" -> a=\=
        "a=\\\\" -> a=\\
        "a=b,,c=d" -> a=b,c=d
        "a=" -> a=
        "=x" -> =x
        "spec.nodeName=node-1,status.phase!=Running" -> spec.nodeName=node-1,status.phase!=Running"#]]
    .assert_eq(&out.join("\n"));
    let parsed = FieldSelector::parse(r"a=x\,y\=z\\");
    let values: Vec<String> = parsed.iter().flat_map(|s| s.requirements()).map(|r| r.value.clone()).collect();
    assert_eq!(values, [r"x,y=z\"]);
}

#[test]
fn syntax_errors_are_worded_as_kube_apiserver_words_them() {
    let cases = ["a", "b=1,a", "a=x,y", "a=b=c", r"a=\x", r"a=x\", r"a=b\,c=d", "a=1,b=2=3,c"];
    let out: Vec<String> = cases.iter().map(|c| format!("{c:?}: {}", show(FieldSelector::parse(c)))).collect();
    expect![[r#"
        "a": error: invalid selector: 'a'; can't understand 'a'
        "b=1,a": error: invalid selector: 'b=1,a'; can't understand 'a'
        "a=x,y": error: invalid selector: 'a=x,y'; can't understand 'y'
        "a=b=c": error: invalid field selector: unescaped character in value: 61
        "a=\\x": error: invalid field selector: invalid escape sequence: \x
        "a=x\\": error: invalid field selector: invalid escape sequence: \
        "a=b\\,c=d": error: invalid field selector: unescaped character in value: 61
        "a=1,b=2=3,c": error: invalid field selector: unescaped character in value: 61"#]]
    .assert_eq(&out.join("\n"));
    assert_eq!(FieldSelector::parse("a").map_err(|e| e.to_status().code()), Err(400));
}

#[test]
fn each_resource_accepts_the_fields_its_kind_registers() {
    let cases = [
        ("", "pods", "spec.nodeName=n1,status.phase=Running,spec.hostNetwork=false"),
        ("", "pods", "spec.host=n1"),
        ("", "pods", "spec.containers=x"),
        ("", "nodes", "spec.unschedulable=true"),
        ("", "nodes", "metadata.namespace=x"),
        ("", "namespaces", "status.phase=Active"),
        ("", "namespaces", "metadata.namespace=x"),
        ("", "secrets", "type=Opaque"),
        ("", "services", "spec.type=ClusterIP,spec.clusterIP=10.96.0.1"),
        ("", "services", "spec.ports=80"),
        ("", "events", "involvedObject.name=web,involvedObject.kind=Pod,reason=Started,source=kubelet,type=Normal"),
        ("", "events", "message=x"),
        ("", "configmaps", "metadata.name=c"),
        ("", "configmaps", "data=x"),
        ("apps", "deployments", "status.replicas=1"),
        ("apps", "replicasets", "status.replicas=1"),
        ("networking.k8s.io", "ingressclasses", "metadata.namespace=x"),
        ("discovery.k8s.io", "endpointslices", "b=1,a=1"),
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|(group, plural, text)| {
            format!("{plural} {text:?}: {}", show(FieldSelector::parse_for(resource(group, plural), text)))
        })
        .collect();
    expect![[r#"
        pods "spec.nodeName=n1,status.phase=Running,spec.hostNetwork=false": spec.hostNetwork=false,spec.nodeName=n1,status.phase=Running
        pods "spec.host=n1": spec.nodeName=n1
        pods "spec.containers=x": error: field label not supported: spec.containers
        nodes "spec.unschedulable=true": spec.unschedulable=true
        nodes "metadata.namespace=x": error: field label not supported: metadata.namespace
        namespaces "status.phase=Active": status.phase=Active
        namespaces "metadata.namespace=x": error: field label not supported: metadata.namespace
        secrets "type=Opaque": type=Opaque
        services "spec.type=ClusterIP,spec.clusterIP=10.96.0.1": spec.clusterIP=10.96.0.1,spec.type=ClusterIP
        services "spec.ports=80": error: field label not supported: spec.ports
        events "involvedObject.name=web,involvedObject.kind=Pod,reason=Started,source=kubelet,type=Normal": involvedObject.kind=Pod,involvedObject.name=web,reason=Started,source=kubelet,type=Normal
        events "message=x": error: field label not supported: message
        configmaps "metadata.name=c": metadata.name=c
        configmaps "data=x": error: "data" is not a known field selector: only "metadata.name", "metadata.namespace"
        deployments "status.replicas=1": error: "status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"
        replicasets "status.replicas=1": error: "status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"
        ingressclasses "metadata.namespace=x": metadata.namespace=x
        endpointslices "b=1,a=1": error: "a" is not a known field selector: only "metadata.name", "metadata.namespace""#]]
    .assert_eq(&out.join("\n"));
    assert_eq!(supported_fields(resource("", "nodes")), ["metadata.name", "spec.unschedulable"]);
    assert_eq!(supported_fields(resource("apps", "deployments")), ["metadata.name", "metadata.namespace"]);
}

fn select(group: &str, plural: &str, text: &str, object: &Value) -> bool {
    let resource = resource(group, plural);
    match FieldSelector::parse_for(resource, text) {
        Ok(selector) => selector.matches(resource, object),
        Err(error) => panic!("{text}: {error}"),
    }
}

#[test]
fn pods_match_on_their_selectable_fields() {
    let pod = json!({
        "metadata": {"name": "web-1", "namespace": "shop"},
        "spec": {"nodeName": "node-1", "restartPolicy": "Always", "serviceAccountName": "default"},
        "status": {"phase": "Running", "podIP": "10.244.0.9", "podIPs": [{"ip": "10.244.0.5"}]}
    });
    assert!(select("", "pods", "metadata.name=web-1,metadata.namespace=shop", &pod));
    assert!(select("", "pods", "spec.nodeName=node-1,spec.host=node-1,status.phase!=Pending", &pod));
    // Unset booleans read as false; the pod IP is the first of podIPs.
    assert!(select("", "pods", "spec.hostNetwork=false,status.podIP=10.244.0.5", &pod));
    assert!(!select("", "pods", "spec.hostNetwork=true", &pod));
    // status.podIPs is accepted but never projected: it reads as the empty string.
    assert!(!select("", "pods", "status.podIPs=10.244.0.5", &pod));
    assert!(select("", "pods", "status.podIPs=", &pod));
    assert!(select("", "pods", "status.nominatedNodeName=", &pod));
    assert!(!select("", "pods", "metadata.name=web-2", &pod));
    assert!(FieldSelector::everything().matches(resource("", "pods"), &pod));
}

#[test]
fn events_match_what_kubectl_describe_asks_for() {
    let event = json!({
        "metadata": {"name": "web-1.17", "namespace": "shop"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "u-1"},
        "reason": "Started", "type": "Normal", "reportingComponent": "kubelet", "source": {}
    });
    let describe = "involvedObject.name=web-1,involvedObject.namespace=shop,involvedObject.uid=u-1";
    assert!(select("", "events", describe, &event));
    // `source` falls back to the reporting component when `source.component` is empty.
    assert!(select("", "events", "source=kubelet,reportingComponent=kubelet,type=Normal", &event));
    assert!(!select("", "events", "involvedObject.uid=u-2", &event));
}

#[test]
fn cluster_scoped_objects_have_no_namespace_field() {
    let class = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}});
    assert!(select("networking.k8s.io", "ingressclasses", "metadata.namespace=", &class));
    assert!(!select("networking.k8s.io", "ingressclasses", "metadata.namespace=default", &class));
    let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
    assert!(select("", "nodes", "spec.unschedulable=true,metadata.name=n1", &node));
    let secret = json!({"metadata": {"name": "s", "namespace": "a"}, "type": "kubernetes.io/tls"});
    assert!(select("", "secrets", "type=kubernetes.io/tls", &secret));
}

#[test]
fn exact_match_serves_name_lookups() {
    let selector = FieldSelector::parse("metadata.name=web,status.phase!=Failed");
    assert_eq!(selector.as_ref().ok().and_then(|s| s.requires_exact_match("metadata.name")), Some("web"));
    assert_eq!(selector.as_ref().ok().and_then(|s| s.requires_exact_match("status.phase")), None);
}

proptest! {
    #[test]
    fn parsing_never_panics(text in any::<String>()) {
        let _ = FieldSelector::parse(&text);
        let _ = FieldSelector::parse_for(&RESOURCES[2], &text);
    }

    #[test]
    fn printing_then_parsing_gives_the_same_selector(text in r"([a-z.!=\\,]|é|==|!=|\\,|\\=|\\\\){0,16}") {
        if let Ok(selector) = FieldSelector::parse(&text) {
            prop_assert_eq!(FieldSelector::parse(&selector.to_string()), Ok(selector));
        }
    }

    #[test]
    fn any_value_survives_escaping(field in "[a-z]{1,4}(\\.[a-z]{1,4})?", value in any::<String>(), negate: bool) {
        let operator = if negate { FieldOperator::NotEquals } else { FieldOperator::Equals };
        let requirement = FieldRequirement { field, operator, value };
        let parsed = FieldSelector::parse(&requirement.to_string());
        prop_assert_eq!(parsed.map(|s| s.requirements().to_vec()), Ok(vec![requirement]));
    }
}
