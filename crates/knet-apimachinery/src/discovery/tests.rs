//! Tests of the discovery documents: against the samples kubectl accepted (`testdata/`, copied from
//! `shared/reference/kubectl/samples/`), and snapshots of what knet serves.

use expect_test::{Expect, expect};
use serde_json::{Value, json};

use super::*;

fn sample(name: &str) -> Value {
    let text = match name {
        "api-aggregated-v2" => include_str!("testdata/api-aggregated-v2.json"),
        "apis-aggregated-v2" => include_str!("testdata/apis-aggregated-v2.json"),
        "api-legacy" => include_str!("testdata/api-legacy.json"),
        "apis-legacy" => include_str!("testdata/apis-legacy.json"),
        "api-v1-resourcelist" => include_str!("testdata/api-v1-resourcelist.json"),
        "version" => include_str!("testdata/version.json"),
        other => panic!("no sample {other}"),
    };
    serde_json::from_str(text).expect("samples are JSON")
}

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("discovery documents serialize")
}

/// The resources of an aggregated document, by `group/version/resource`.
fn aggregated_resources(document: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for group in document["items"].as_array().into_iter().flatten() {
        for version in group["versions"].as_array().into_iter().flatten() {
            for resource in version["resources"].as_array().into_iter().flatten() {
                let name = format!(
                    "{}/{}/{}",
                    group["metadata"]["name"].as_str().unwrap_or("?"),
                    version["version"].as_str().unwrap_or("?"),
                    resource["resource"].as_str().unwrap_or("?")
                );
                out.push((name, resource.clone()));
            }
        }
    }
    out
}

/// A resource with its subresources sorted by name: kube-apiserver's order of subresources is not the registry's,
/// and no client depends on it.
fn sorted_subresources(resource: &Value) -> Value {
    let mut resource = resource.clone();
    if let Some(subresources) = resource.get_mut("subresources").and_then(Value::as_array_mut) {
        subresources.sort_by_key(|s| s["subresource"].as_str().unwrap_or_default().to_owned());
    }
    resource
}

/// Resources present in both documents agree field by field; subresources knet serves agree with the sample's.
/// Returns the names compared, and for each the subresources the sample has that knet does not serve.
fn compare_aggregated(ours: &Value, sample: &Value) -> Vec<String> {
    let theirs = aggregated_resources(sample);
    let mut report = Vec::new();
    for (name, resource) in aggregated_resources(ours) {
        let Some((_, expected)) = theirs.iter().find(|(n, _)| *n == name) else {
            report.push(format!("{name}: not in the sample"));
            continue;
        };
        for key in ["resource", "responseKind", "scope", "singularResource", "verbs", "shortNames", "categories"] {
            assert_eq!(resource.get(key), expected.get(key), "{name}: {key}");
        }
        let expected_subresources = expected["subresources"].as_array().cloned().unwrap_or_default();
        let mut missing = Vec::new();
        for sub in &expected_subresources {
            match resource["subresources"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["subresource"] == sub["subresource"])
            {
                Some(ours) => assert_eq!(ours, sub, "{name}: subresource {}", sub["subresource"]),
                None => missing.push(sub["subresource"].as_str().unwrap_or("?").to_owned()),
            }
        }
        let extra: Vec<&str> = resource["subresources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| !expected_subresources.iter().any(|e| e["subresource"] == s["subresource"]))
            .filter_map(|s| s["subresource"].as_str())
            .collect();
        let mut notes = Vec::new();
        if !missing.is_empty() {
            notes.push(format!("sample also has {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            notes.push(format!("knet also has {}", extra.join(", ")));
        }
        let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
        report.push(format!("{name}: equal{notes}"));
    }
    report
}

fn check(actual: &[String], expected: Expect) {
    expected.assert_eq(&(actual.join("\n") + "\n"));
}

#[test]
fn version_is_the_sample_plus_emulation_fields() {
    let ours = to_json(&version());
    let sample = sample("version");
    for (key, value) in sample.as_object().expect("an object") {
        assert_eq!(ours.get(key), Some(value), "{key}");
    }
    assert_eq!(ours["emulationMinor"], "33");
    assert_eq!(ours["minCompatibilityMinor"], "32");
}

#[test]
fn aggregated_core_matches_the_sample() {
    let ours = to_json(&aggregated_core(DiscoveryVersion::V2));
    let sample = sample("api-aggregated-v2");
    for key in ["kind", "apiVersion", "metadata"] {
        assert_eq!(ours[key], sample[key], "{key}");
    }
    assert_eq!(ours["items"][0]["metadata"], sample["items"][0]["metadata"]);
    assert_eq!(ours["items"][0]["versions"][0]["freshness"], "Current");
    check(
        &compare_aggregated(&ours, &sample),
        expect![[r#"
            /v1/namespaces: equal
            /v1/nodes: equal (knet also has status)
            /v1/pods: equal (sample also has ephemeralcontainers)
            /v1/services: equal (sample also has proxy)
            /v1/endpoints: equal
            /v1/configmaps: equal
            /v1/secrets: equal
            /v1/serviceaccounts: equal
            /v1/events: equal
        "#]],
    );
}

#[test]
fn aggregated_groups_match_the_sample() {
    let ours = to_json(&aggregated_groups(DiscoveryVersion::V2));
    let sample = sample("apis-aggregated-v2");
    for key in ["kind", "apiVersion", "metadata"] {
        assert_eq!(ours[key], sample[key], "{key}");
    }
    check(
        &compare_aggregated(&ours, &sample),
        expect![[r#"
            apps/v1/deployments: equal
            apps/v1/replicasets: equal
            authentication.k8s.io/v1/selfsubjectreviews: not in the sample
            authorization.k8s.io/v1/selfsubjectaccessreviews: not in the sample
            authorization.k8s.io/v1/selfsubjectrulesreviews: not in the sample
            discovery.k8s.io/v1/endpointslices: equal
            networking.k8s.io/v1/ingresses: equal
            networking.k8s.io/v1/ingressclasses: equal
            networking.k8s.io/v1/networkpolicies: equal
        "#]],
    );
}

/// The four resources the tutorial leans on, exactly as the samples have them (subresources in any order).
#[test]
fn tutorial_resources_are_exactly_the_samples() {
    let core = to_json(&aggregated_core(DiscoveryVersion::V2));
    let groups = to_json(&aggregated_groups(DiscoveryVersion::V2));
    let core_sample = sample("api-aggregated-v2");
    let groups_sample = sample("apis-aggregated-v2");
    let find = |document: &Value, name: &str| {
        aggregated_resources(document).into_iter().find(|(n, _)| n == name).map(|(_, r)| sorted_subresources(&r))
    };
    for (name, ours, theirs) in [
        ("/v1/namespaces", &core, &core_sample),
        ("apps/v1/deployments", &groups, &groups_sample),
        ("networking.k8s.io/v1/networkpolicies", &groups, &groups_sample),
    ] {
        assert_eq!(find(ours, name), find(theirs, name), "{name}");
    }
    // Services: everything but the `proxy` subresource, which knet does not serve.
    let mut services = find(&core_sample, "/v1/services").expect("services in the sample");
    if let Some(subresources) = services["subresources"].as_array_mut() {
        subresources.retain(|s| s["subresource"] != "proxy");
    }
    assert_eq!(find(&core, "/v1/services"), Some(services));
    assert_eq!(
        find(&core, "/v1/namespaces"),
        Some(json!({
            "resource": "namespaces",
            "responseKind": {"group": "", "version": "v1", "kind": "Namespace"},
            "scope": "Cluster",
            "singularResource": "namespace",
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            "shortNames": ["ns"],
            "subresources": [
                {"subresource": "finalize", "responseKind": {"group": "", "version": "v1", "kind": "Namespace"}, "verbs": ["update"]},
                {"subresource": "status", "responseKind": {"group": "", "version": "v1", "kind": "Namespace"}, "verbs": ["get", "patch", "update"]},
            ],
        }))
    );
}

#[test]
fn v2beta1_differs_from_v2_only_in_api_version() {
    for (v2, v2beta1) in [
        (aggregated_core(DiscoveryVersion::V2), aggregated_core(DiscoveryVersion::V2Beta1)),
        (aggregated_groups(DiscoveryVersion::V2), aggregated_groups(DiscoveryVersion::V2Beta1)),
    ] {
        assert_eq!(v2beta1.api_version, "apidiscovery.k8s.io/v2beta1");
        assert_eq!(ApiGroupDiscoveryList { api_version: v2.api_version, ..v2beta1 }, v2);
    }
}

/// Every resource of the registry appears in exactly one aggregated document, once, and every subresource the
/// registry names is one this module can describe.
#[test]
fn every_registered_resource_is_discoverable() {
    let mut listed: Vec<String> = aggregated_resources(&to_json(&aggregated_core(DiscoveryVersion::V2)))
        .into_iter()
        .chain(aggregated_resources(&to_json(&aggregated_groups(DiscoveryVersion::V2))))
        .map(|(name, _)| name)
        .collect();
    let mut registered: Vec<String> =
        resources::RESOURCES.iter().map(|r| format!("{}/{}/{}", r.group, r.version, r.plural)).collect();
    listed.sort();
    registered.sort();
    assert_eq!(listed, registered);
    for resource in resources::RESOURCES {
        for name in resource.subresources {
            assert!(subresource(resource, name).is_some(), "{}/{name} is not described", resource.plural);
        }
        assert!(
            resource.verbs.windows(2).all(|w| w[0] < w[1]),
            "{}: verbs sorted, as kube-apiserver sorts",
            resource.plural
        );
    }
}

#[test]
fn legacy_api_versions_is_the_sample() {
    assert_eq!(to_json(&api_versions(Some("127.0.0.1:18109"))), sample("api-legacy"));
    assert_eq!(to_json(&api_versions(None))["serverAddressByClientCIDRs"], json!([]));
}

#[test]
fn legacy_group_list_matches_the_sample() {
    let ours = to_json(&api_group_list());
    let sample = sample("apis-legacy");
    assert_eq!((&ours["kind"], &ours["apiVersion"]), (&sample["kind"], &sample["apiVersion"]));
    let groups = ours["groups"].as_array().expect("groups");
    // The sample was recorded before knet served the identity groups: those are checked by their shape.
    for group in groups {
        match sample["groups"].as_array().into_iter().flatten().find(|g| g["name"] == group["name"]) {
            Some(expected) => assert_eq!(group, expected, "{}", group["name"]),
            None => {
                let version = format!("{}/v1", group["name"].as_str().unwrap_or_default());
                let expected = json!({"groupVersion": version, "version": "v1"});
                assert_eq!(group["versions"], json!([expected]), "{}", group["name"]);
                assert_eq!(group["preferredVersion"], expected, "{}", group["name"]);
            }
        }
    }
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(
        names,
        ["apps", "authentication.k8s.io", "authorization.k8s.io", "discovery.k8s.io", "networking.k8s.io"]
    );
    assert_eq!(
        to_json(&api_group("apps")),
        json!({
            "kind": "APIGroup", "apiVersion": "v1", "name": "apps",
            "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
        })
    );
    assert_eq!(api_group("batch"), None);
    assert_eq!(api_group(""), None);
}

#[test]
fn legacy_core_resource_list_matches_the_sample() {
    let ours = to_json(&api_resource_list("", "v1").expect("core v1 is served"));
    let sample = sample("api-v1-resourcelist");
    for key in ["kind", "apiVersion", "groupVersion"] {
        assert_eq!(ours[key], sample[key], "{key}");
    }
    let mut compared = Vec::new();
    for resource in ours["resources"].as_array().expect("resources") {
        let name = resource["name"].as_str().expect("a name");
        let expected = sample["resources"].as_array().into_iter().flatten().find(|r| r["name"] == resource["name"]);
        let Some(expected) = expected else {
            compared.push(format!("{name}: not in the sample"));
            continue;
        };
        let strip = |r: &Value| {
            let mut r = r.clone();
            r.as_object_mut().map(|o| o.remove("storageVersionHash"));
            r
        };
        // The sample's hashes are a stand-in's; knet's are its own, present exactly where the sample has one.
        assert_eq!(strip(resource), strip(expected), "{name}");
        assert_eq!(
            resource.get("storageVersionHash").is_some(),
            expected.get("storageVersionHash").is_some(),
            "{name}"
        );
        compared.push(format!("{name}: equal"));
    }
    check(
        &compared,
        expect![[r#"
            namespaces: equal
            namespaces/status: equal
            namespaces/finalize: equal
            nodes: equal
            nodes/status: not in the sample
            pods: equal
            pods/status: equal
            pods/log: equal
            pods/exec: equal
            pods/attach: equal
            pods/portforward: equal
            services: equal
            services/status: equal
            endpoints: equal
            configmaps: equal
            secrets: equal
            serviceaccounts: equal
            events: equal
        "#]],
    );
}

#[test]
fn legacy_group_resource_lists() {
    let apps = to_json(&api_resource_list("apps", "v1").expect("apps/v1 is served"));
    assert_eq!(apps["groupVersion"], "apps/v1");
    let scale = apps["resources"].as_array().into_iter().flatten().find(|r| r["name"] == "deployments/scale");
    assert_eq!(
        scale,
        Some(&json!({
            "name": "deployments/scale", "singularName": "", "namespaced": true,
            "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
        }))
    );
    let netpol = to_json(&api_resource_list("networking.k8s.io", "v1").expect("networking is served"));
    let netpol = netpol["resources"].as_array().into_iter().flatten().find(|r| r["name"] == "networkpolicies");
    assert_eq!(
        netpol,
        Some(&json!({
            "name": "networkpolicies", "singularName": "networkpolicy", "namespaced": true, "kind": "NetworkPolicy",
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ["netpol"], "storageVersionHash": storage_version_hash(
                resources::by_kind("networking.k8s.io/v1", "NetworkPolicy").expect("registered")),
        }))
    );
    assert_eq!(api_resource_list("apps", "v1beta1"), None);
    assert_eq!(api_resource_list("batch", "v1"), None);
}

#[test]
fn storage_version_hashes_are_stable_and_distinct() {
    let hashes: Vec<String> = resources::RESOURCES.iter().map(storage_version_hash).collect();
    for (index, hash) in hashes.iter().enumerate() {
        assert_eq!(hash.len(), 12, "8 bytes in base64: {hash}");
        assert!(!hashes[..index].contains(hash), "{hash} repeats");
    }
    // Pinned: a change would make clients think the storage version changed.
    let namespaces = resources::by_path("", "v1", "namespaces").expect("registered");
    expect![[r#""pijTwqKQPgM=""#]].assert_eq(&format!("{:?}", storage_version_hash(namespaces)));
}

#[test]
fn etags_follow_the_content() {
    let v2 = serde_json::to_vec(&aggregated_groups(DiscoveryVersion::V2)).expect("serializes");
    let v2beta1 = serde_json::to_vec(&aggregated_groups(DiscoveryVersion::V2Beta1)).expect("serializes");
    assert_eq!(etag(&v2), etag(&v2.clone()));
    assert_ne!(etag(&v2), etag(&v2beta1));
    expect![[r#""\"CBF29CE484222325\"""#]].assert_eq(&format!("{:?}", etag(b"")));
}

/// What `kubectl api-resources` would print from knet's discovery, as a reviewable snapshot.
#[test]
fn snapshot_of_served_resources() {
    let mut lines = Vec::new();
    for document in [aggregated_core(DiscoveryVersion::V2), aggregated_groups(DiscoveryVersion::V2)] {
        for group in &document.items {
            for version in &group.versions {
                for r in &version.resources {
                    let subresources: Vec<String> = r
                        .subresources
                        .iter()
                        .map(|s| {
                            let kind = &s.response_kind;
                            format!(
                                "{}={}/{}/{}[{}]",
                                s.subresource,
                                kind.group,
                                kind.version,
                                kind.kind,
                                s.verbs.join(",")
                            )
                        })
                        .collect();
                    lines.push(format!(
                        "{}/{} {} {} {} short={} cat={} sub={}",
                        group.metadata.name,
                        version.version,
                        r.resource,
                        r.response_kind.kind,
                        r.scope,
                        r.short_names.join(","),
                        r.categories.join(","),
                        subresources.join(" "),
                    ));
                }
            }
        }
    }
    check(
        &lines,
        expect![[r#"
            /v1 namespaces Namespace Cluster short=ns cat= sub=status=/v1/Namespace[get,patch,update] finalize=/v1/Namespace[update]
            /v1 nodes Node Cluster short=no cat= sub=status=/v1/Node[get,patch,update]
            /v1 pods Pod Namespaced short=po cat=all sub=status=/v1/Pod[get,patch,update] log=/v1/Pod[get] exec=/v1/PodExecOptions[create,get] attach=/v1/PodAttachOptions[create,get] portforward=/v1/PodPortForwardOptions[create,get]
            /v1 services Service Namespaced short=svc cat=all sub=status=/v1/Service[get,patch,update]
            /v1 endpoints Endpoints Namespaced short=ep cat= sub=
            /v1 configmaps ConfigMap Namespaced short=cm cat= sub=
            /v1 secrets Secret Namespaced short= cat= sub=
            /v1 serviceaccounts ServiceAccount Namespaced short=sa cat= sub=
            /v1 events Event Namespaced short=ev cat= sub=
            apps/v1 deployments Deployment Namespaced short=deploy cat=all sub=status=apps/v1/Deployment[get,patch,update] scale=autoscaling/v1/Scale[get,patch,update]
            apps/v1 replicasets ReplicaSet Namespaced short=rs cat=all sub=status=apps/v1/ReplicaSet[get,patch,update] scale=autoscaling/v1/Scale[get,patch,update]
            authentication.k8s.io/v1 selfsubjectreviews SelfSubjectReview Cluster short= cat= sub=
            authorization.k8s.io/v1 selfsubjectaccessreviews SelfSubjectAccessReview Cluster short= cat= sub=
            authorization.k8s.io/v1 selfsubjectrulesreviews SelfSubjectRulesReview Cluster short= cat= sub=
            discovery.k8s.io/v1 endpointslices EndpointSlice Namespaced short= cat= sub=
            networking.k8s.io/v1 ingresses Ingress Namespaced short=ing cat= sub=status=networking.k8s.io/v1/Ingress[get,patch,update]
            networking.k8s.io/v1 ingressclasses IngressClass Cluster short= cat= sub=
            networking.k8s.io/v1 networkpolicies NetworkPolicy Namespaced short=netpol cat= sub=
        "#]],
    );
}
