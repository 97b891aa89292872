//! Table snapshot tests: each family's objects (the guide's exercises, with status as controllers write it) are
//! printed as kubectl prints the Table — upper-case headers, columns padded by three spaces, wide columns only with
//! `-o wide` — and compared with what a real cluster prints.

use serde_json::{Value, json};

use super::*;
use crate::resources::{RESOURCES, by_path};

mod apps;
mod core;
mod network;
mod pods;

/// The clock of every test: 2026-11-28T03:00:00Z.
const NOW: i64 = 1_795_834_800;

fn resource(group: &str, plural: &str) -> &'static ResourceType {
    by_path(group, "v1", plural).unwrap_or(&RESOURCES[0])
}

/// An RFC 3339 timestamp `seconds` before [`NOW`].
fn ago(seconds: i64) -> String {
    let t = NOW - seconds;
    let (days, rest) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // 2026-11-28 is day 20785 since the epoch; the fixtures stay within that month.
    let day = 28 + (days - 20_785);
    format!("2026-11-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)
}

/// `metadata` with a name, a namespace (empty for cluster-scoped objects) and an age in seconds.
fn meta(name: &str, namespace: &str, age_seconds: i64) -> Value {
    let mut metadata = json!({"name": name, "creationTimestamp": ago(age_seconds), "uid": format!("uid-{name}")});
    if !namespace.is_empty() {
        metadata["namespace"] = Value::from(namespace);
    }
    metadata
}

/// The table as kubectl prints it: `wide` shows the priority-1 columns.
fn render(resource: &ResourceType, objects: &[Value], wide: bool) -> String {
    let table = table(resource, objects, NOW, IncludeObject::Metadata);
    let columns = table["columnDefinitions"].as_array().cloned().unwrap_or_default();
    let shown: Vec<usize> =
        (0..columns.len()).filter(|&i| wide || columns[i]["priority"].as_u64() == Some(0)).collect();
    let mut lines: Vec<Vec<String>> =
        vec![shown.iter().map(|&i| columns[i]["name"].as_str().unwrap_or_default().to_uppercase()).collect()];
    for row in table["rows"].as_array().into_iter().flatten() {
        let cells = row["cells"].as_array().cloned().unwrap_or_default();
        assert_eq!(cells.len(), columns.len(), "one cell per column: {row}");
        lines.push(
            shown
                .iter()
                .map(|&i| match &cells[i] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    // kubectl's tabwriter: minimum width 6, padding 3, the last column unpadded.
    let widths: Vec<usize> = (0..shown.len())
        .map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0).saturating_add(3).max(6))
        .collect();
    let mut out = String::new();
    for line in lines {
        let mut text = String::new();
        for (c, cell) in line.iter().enumerate() {
            if c + 1 == line.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}", width = widths[c]));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_resource_has_columns_and_one_cell_per_column() {
    for resource in RESOURCES {
        let columns = columns(resource);
        assert!(columns.iter().any(|c| c.format == "name"), "{} has a name column", resource.plural);
        let object = json!({"metadata": meta("x", "default", 5)});
        let table = table(resource, &[object], NOW, IncludeObject::None);
        let cells = table.pointer("/rows/0/cells").and_then(Value::as_array).map_or(0, Vec::len);
        assert_eq!(cells, columns.len(), "{}", resource.plural);
    }
}

#[test]
fn services_table_matches_the_sample_kubectl_accepted() {
    // `reference/kubectl/samples/table-services.json`, whose descriptions and resourceVersion are the stand-in's.
    let sample = json!({
        "cells": ["kube-dns", "ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP", "25s", "k8s-app=kube-dns"],
        "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {
            "name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"},
            "uid": "3fc04ad4-2644-3399-5977-f8fb06c1fe86", "creationTimestamp": "2026-11-28T02:38:30Z",
            "resourceVersion": "1019"}}
    });
    let service = json!({
        "kind": "Service", "apiVersion": "v1",
        "metadata": {
            "name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"},
            "uid": "3fc04ad4-2644-3399-5977-f8fb06c1fe86", "creationTimestamp": "2026-11-28T02:38:30Z",
            "resourceVersion": "1019",
            "managedFields": [{"manager": "knet", "operation": "Update"}]
        },
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                 "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}
    });
    let table = table(resource("", "services"), &[service], 1_795_833_510 + 25, IncludeObject::Metadata);
    assert_eq!(table["rows"], json!([sample]));
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(table["metadata"], json!({}));
    let headers: Vec<(String, u64)> = table["columnDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["name"].as_str().unwrap_or_default().to_owned(), c["priority"].as_u64().unwrap_or(9)))
        .collect();
    let expected =
        [("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0), ("Selector", 1)];
    assert_eq!(headers, expected.map(|(n, p)| (n.to_owned(), p)));
    assert_eq!(table.pointer("/columnDefinitions/0/format"), Some(&json!("name")));
    assert_eq!(table.pointer("/columnDefinitions/1/format"), Some(&json!("")));
}

#[test]
fn include_object_chooses_what_each_row_carries() {
    let config_map = json!({"metadata": {"name": "c", "namespace": "n", "managedFields": []}, "data": {"a": "1"}});
    let configmaps = resource("", "configmaps");
    let row = |include| table(configmaps, std::slice::from_ref(&config_map), NOW, include)["rows"][0]["object"].clone();
    assert_eq!(row(IncludeObject::None), Value::Null);
    assert_eq!(
        row(IncludeObject::Metadata),
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "c", "namespace": "n"}})
    );
    let full = row(IncludeObject::Object);
    assert_eq!((full["kind"].as_str(), full["apiVersion"].as_str()), (Some("ConfigMap"), Some("v1")));
    assert_eq!(full["data"], json!({"a": "1"}));
    assert_eq!(IncludeObject::from_query(""), Ok(IncludeObject::Metadata));
    assert_eq!(IncludeObject::from_query("Object"), Ok(IncludeObject::Object));
    assert_eq!(
        IncludeObject::from_query("All").map_err(|s| s.message),
        Err("unrecognized includeObject value: \"All\"".to_owned())
    );
}

#[test]
fn an_empty_list_is_a_table_without_rows() {
    let table = table(resource("", "pods"), &[], NOW, IncludeObject::Metadata);
    assert_eq!(table["rows"], json!([]));
    assert_eq!(table["columnDefinitions"].as_array().map(Vec::len), Some(9));
}

#[test]
fn missing_timestamps_age_as_unknown() {
    let out = render(resource("", "configmaps"), &[json!({"metadata": {"name": "no-time"}})], false);
    expect_test::expect![[r#"
        NAME      DATA   AGE
        no-time   0      <unknown>
    "#]]
    .assert_eq(&out);
}
