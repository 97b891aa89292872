//! Printers of the `apps` kinds: `printDeployment` and `printReplicaSet`.

use serde_json::Value;

use super::{Row, age, array, format_label_selector, int, label_selector_string, layout_container_cells, name};

/// `spec.replicas`, which kube-apiserver defaults to 1 when it decodes an object without it.
fn desired_replicas(object: &Value) -> i64 {
    object.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

/// `Name, Ready, Up-to-date, Available, Age` and wide `Containers, Images, Selector`.
pub(super) fn deployment(object: &Value, now: i64) -> Row {
    let (containers, images) = layout_container_cells(array(object, "/spec/template/spec/containers"));
    let selector = label_selector_string(object.pointer("/spec/selector")).unwrap_or_else(|| "<invalid>".to_owned());
    Row::new(vec![
        name(object),
        Value::from(format!("{}/{}", int(object, "/status/readyReplicas"), desired_replicas(object))),
        Value::from(int(object, "/status/updatedReplicas")),
        Value::from(int(object, "/status/availableReplicas")),
        age(object, now),
        Value::from(containers),
        Value::from(images),
        Value::from(selector),
    ])
}

/// `Name, Desired, Current, Ready, Age` and wide `Containers, Images, Selector`.
pub(super) fn replica_set(object: &Value, now: i64) -> Row {
    let (containers, images) = layout_container_cells(array(object, "/spec/template/spec/containers"));
    Row::new(vec![
        name(object),
        Value::from(desired_replicas(object)),
        Value::from(int(object, "/status/replicas")),
        Value::from(int(object, "/status/readyReplicas")),
        age(object, now),
        Value::from(containers),
        Value::from(images),
        Value::from(format_label_selector(object.pointer("/spec/selector"))),
    ])
}
