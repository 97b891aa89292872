//! Printers of the core kinds other than pods and Services: `printNamespace`, `printNode`, `printConfigMap`,
//! `printSecret`, `printServiceAccount` and `printEvent`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Row, age, array, int, map_len, name, text, time};

/// `Name, Status, Age`.
pub(super) fn namespace(object: &Value, now: i64) -> Row {
    Row::new(vec![name(object), Value::from(text(object, "/status/phase")), age(object, now)])
}

/// `Name, Status, Roles, Age, Version` and wide `Internal-IP, External-IP, OS-Image, Kernel-Version,
/// Container-Runtime`.
pub(super) fn node(object: &Value, now: i64) -> Row {
    // Only the Ready condition is reported; the last one of that type wins, as in Go's condition map.
    let ready = array(object, "/status/conditions").iter().rev().find(|c| text(c, "/type") == "Ready");
    let mut status = vec![match ready {
        Some(condition) if text(condition, "/status") == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if object.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    let roles = node_roles(object);
    let roles = if roles.is_empty() { "<none>".to_owned() } else { roles.join(",") };
    let info = |field: &str| {
        let value = text(object, &format!("/status/nodeInfo/{field}"));
        Value::from(if value.is_empty() { "<unknown>" } else { value })
    };
    Row::new(vec![
        name(object),
        Value::from(status.join(",")),
        Value::from(roles),
        age(object, now),
        Value::from(text(object, "/status/nodeInfo/kubeletVersion")),
        Value::from(node_address(object, "InternalIP")),
        Value::from(node_address(object, "ExternalIP")),
        info("osImage"),
        info("kernelVersion"),
        info("containerRuntimeVersion"),
    ])
}

/// `findNodeRoles`: `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` label's value, sorted.
fn node_roles(object: &Value) -> Vec<String> {
    let mut roles = BTreeSet::new();
    for (key, value) in object.pointer("/metadata/labels").and_then(Value::as_object).into_iter().flatten() {
        if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_owned());
            }
        } else if key == "kubernetes.io/role" {
            let value = value.as_str().unwrap_or_default();
            if !value.is_empty() {
                roles.insert(value.to_owned());
            }
        }
    }
    roles.into_iter().collect()
}

/// `getNodeInternalIP` / `getNodeExternalIP`: the first address of the type, or `<none>`.
fn node_address<'a>(object: &'a Value, kind: &str) -> &'a str {
    array(object, "/status/addresses")
        .iter()
        .find(|address| text(address, "/type") == kind)
        .map_or("<none>", |address| text(address, "/address"))
}

/// `Name, Data, Age`, with `Data` counting `data` and `binaryData` keys.
pub(super) fn config_map(object: &Value, now: i64) -> Row {
    let data = map_len(object, "/data") + map_len(object, "/binaryData");
    Row::new(vec![name(object), Value::from(data), age(object, now)])
}

/// `Name, Type, Data, Age`. `stringData` is merged into `data` when kube-apiserver decodes a Secret, so its keys
/// count too.
pub(super) fn secret(object: &Value, now: i64) -> Row {
    let keys = |pointer: &str| object.pointer(pointer).and_then(Value::as_object).into_iter().flat_map(|m| m.keys());
    let data: BTreeSet<&String> = keys("/data").chain(keys("/stringData")).collect();
    Row::new(vec![name(object), Value::from(text(object, "/type")), Value::from(data.len()), age(object, now)])
}

/// `Name, Secrets, Age`.
pub(super) fn service_account(object: &Value, now: i64) -> Row {
    Row::new(vec![name(object), Value::from(array(object, "/secrets").len()), age(object, now)])
}

/// `Last Seen, Type, Reason, Object, Subobject, Source, Message, First Seen, Count, Name`.
pub(super) fn event(object: &Value, now: i64) -> Row {
    let is_set = |field: &str| object.get(field).and_then(Value::as_str).and_then(time::parse_rfc3339).is_some();
    let first_seen =
        time::since(object.get(if is_set("firstTimestamp") { "firstTimestamp" } else { "eventTime" }), now);
    let mut last_seen =
        if is_set("lastTimestamp") { time::since(object.get("lastTimestamp"), now) } else { first_seen.clone() };
    let mut count = int(object, "/count");
    if let Some(series) = object.get("series").filter(|s| s.is_object()) {
        last_seen = time::since(series.get("lastObservedTime"), now);
        count = int(series, "/count");
    } else if count == 0 {
        // Singleton events of the new API have no count.
        count = 1;
    }
    let kind = text(object, "/involvedObject/kind").to_lowercase();
    let involved = text(object, "/involvedObject/name");
    let target = if involved.is_empty() { kind } else { format!("{kind}/{involved}") };
    Row::new(vec![
        Value::from(last_seen),
        Value::from(text(object, "/type")),
        Value::from(text(object, "/reason")),
        Value::from(target),
        Value::from(text(object, "/involvedObject/fieldPath")),
        Value::from(event_source(object)),
        Value::from(text(object, "/message").trim()),
        Value::from(first_seen),
        Value::from(count),
        name(object),
    ])
}

/// `formatEventSource`: the component (or reporting controller), then `, host` (or reporting instance) if any.
fn event_source(object: &Value) -> String {
    let first_non_empty = |a: &'static str, b: &'static str| {
        let first = text(object, a);
        if first.is_empty() { text(object, b) } else { first }
    };
    let component = first_non_empty("/source/component", "/reportingComponent");
    let instance = first_non_empty("/source/host", "/reportingInstance");
    if instance.is_empty() { component.to_owned() } else { format!("{component}, {instance}") }
}
