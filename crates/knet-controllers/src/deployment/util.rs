//! The deployment controller's small pure pieces, after kube's `deployment/util`: the rolling-update fenceposts
//! (maxSurge rounds up, maxUnavailable down, both 0 makes unavailable 1), the pod-template-hash, template equality
//! that ignores it, the annotations a Deployment puts on its ReplicaSets, and its status conditions.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::replicaset::controller_reference;

/// The revision of a ReplicaSet (and, copied, of its Deployment): 1 for the first template, +1 for each new one.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The earlier revisions of a ReplicaSet that a rollback brought back, comma-separated.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// The Deployment's `spec.replicas` when it last sized the ReplicaSet.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's `spec.replicas + maxSurge` when it last sized the ReplicaSet.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// The label that tells the pods of a Deployment's ReplicaSets apart.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// Deployment annotations that are not copied to its ReplicaSets.
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// How long `revision-history` may grow, in characters.
const MAX_REVISION_HISTORY_CHARS: usize = 2000;

/// `spec.replicas`, 1 when unset.
pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// The ReplicaSet's `spec.replicas`, 1 when unset.
pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    crate::replicaset::replicas(rs)
}

/// Whether the Deployment rolls (the default) rather than recreates.
pub fn is_rolling(d: &Deployment) -> bool {
    let kind = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.type_.as_deref());
    kind.unwrap_or("RollingUpdate") == "RollingUpdate"
}

/// `GetScaledValueFromIntOrPercent`: a number, or a percentage of `total` rounded up or down. A value that is
/// neither (validation refuses it) counts as 0.
pub fn scaled_value(value: &IntOrString, total: i32, round_up: bool) -> i32 {
    match value {
        IntOrString::Int(n) => *n,
        IntOrString::String(text) => {
            let Some(percent) = text.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else { return 0 };
            let product = percent * i64::from(total);
            let scaled = if round_up {
                product.div_euclid(100) + i64::from(product.rem_euclid(100) != 0)
            } else {
                product.div_euclid(100)
            };
            i32::try_from(scaled).unwrap_or(i32::MAX)
        }
    }
}

/// `ResolveFenceposts` for the Deployment's replicas: (maxSurge, maxUnavailable), surge rounded up, unavailable
/// down, and unavailable 1 when both come to 0 (so a rollout can always move). Unset values are the API server's
/// defaults, 25% each.
pub fn fenceposts(d: &Deployment) -> (i32, i32) {
    let rolling = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.rolling_update.as_ref());
    let quarter = IntOrString::String("25%".to_owned());
    let surge_value = rolling.and_then(|r| r.max_surge.as_ref()).unwrap_or(&quarter);
    let unavailable_value = rolling.and_then(|r| r.max_unavailable.as_ref()).unwrap_or(&quarter);
    let desired = replicas(d);
    let surge = scaled_value(surge_value, desired, true);
    let unavailable = scaled_value(unavailable_value, desired, false);
    if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable) }
}

/// `MaxSurge`: 0 unless rolling.
pub fn max_surge(d: &Deployment) -> i32 {
    if is_rolling(d) { fenceposts(d).0 } else { 0 }
}

/// `MaxUnavailable`: 0 unless rolling or with no replicas, and never more than the replicas.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

/// The pod-template-hash of a template: kube hashes the template with FNV-32a and prints the number with
/// `rand.SafeEncodeString`; knet hashes the template's JSON (stable: struct fields in declaration order, maps sorted)
/// the same way, with the collision count appended as kube appends it.
pub fn pod_template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let mut write = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    write(canonical(template).to_string().as_bytes());
    if let Some(count) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&count.to_le_bytes());
        write(&bytes);
    }
    safe_encode(&hash.to_string())
}

/// `rand.SafeEncodeString`: each byte mapped into an alphabet without vowels or confusable characters, so the
/// result never spells a word.
fn safe_encode(text: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    text.bytes().map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()])).collect()
}

/// `EqualIgnoreHash`: whether two templates are the same but for their pod-template-hash label, as Go's semantic
/// equality sees them (see `canonical`).
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    fn without_hash(template: &PodTemplateSpec) -> Value {
        let mut template = template.clone();
        if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(POD_TEMPLATE_HASH);
        }
        canonical(&template)
    }
    without_hash(a) == without_hash(b)
}

/// A template as JSON with every null, empty object and empty list left out. Go decodes a missing struct field and
/// `{}` alike (`resources: {}`, which kubectl writes back on `rollout undo`, is no change), and its semantic equality
/// takes a nil list or map for an empty one; k8s-openapi keeps `None` and `Some(empty)` apart, so both the equality
/// and the hash go through this form.
fn canonical(template: &PodTemplateSpec) -> Value {
    fn prune(value: Value) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::Object(map) => {
                let map: serde_json::Map<String, Value> =
                    map.into_iter().filter_map(|(k, v)| prune(v).map(|v| (k, v))).collect();
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Value::Array(items) => {
                // Items stay (even empty ones), so that positions in a list keep their meaning.
                let items: Vec<Value> = items.into_iter().map(|v| prune(v).unwrap_or(Value::Null)).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            other => Some(other),
        }
    }
    prune(serde_json::to_value(template).unwrap_or(Value::Null)).unwrap_or(Value::Null)
}

/// The ReplicaSet for the Deployment's current template: named `<deployment>-<hash>`, the hash added to its labels,
/// selector and template labels, controlled by the Deployment, with no replicas yet.
pub fn new_replica_set(d: &Deployment, hash: &str, now: Timestamp) -> ReplicaSet {
    let spec = d.spec.clone().unwrap_or_default();
    let mut template = spec.template;
    let labels = template.metadata.get_or_insert_with(ObjectMeta::default).labels.get_or_insert_with(BTreeMap::new);
    labels.insert(POD_TEMPLATE_HASH.to_owned(), hash.to_owned());
    let labels = labels.clone();
    let mut selector: LabelSelector = spec.selector;
    selector.match_labels.get_or_insert_with(BTreeMap::new).insert(POD_TEMPLATE_HASH.to_owned(), hash.to_owned());
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(format!("{}-{hash}", d.metadata.name.as_deref().unwrap_or_default())),
            namespace: d.metadata.namespace.clone(),
            owner_references: Some(vec![controller_reference(d)]),
            labels: Some(labels),
            // What the API server will say; the controller orders ReplicaSets by it.
            creation_timestamp: Some(Time(now)),
            ..Default::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(0),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    }
}

/// A ReplicaSet's revision; 0 when it has none (or an unreadable one).
pub fn revision(rs: &ReplicaSet) -> i64 {
    annotation(&rs.metadata, REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

/// An integer annotation, as `getIntFromAnnotation` reads it.
pub fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    annotation(&rs.metadata, key)?.parse().ok()
}

/// `SetNewReplicaSetAnnotations`: the Deployment's own annotations copied, the revision raised to `new_revision`
/// (keeping the one it replaces in `revision-history`), and for a ReplicaSet about to be created (`exists` false)
/// the replica annotations. Whether anything changed.
pub fn set_new_rs_annotations(d: &Deployment, rs: &mut ReplicaSet, new_revision: &str, exists: bool) -> bool {
    let mut changed = false;
    let annotations = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for (key, value) in d.metadata.annotations.iter().flatten() {
        if NOT_COPIED.contains(&key.as_str()) || annotations.get(key) == Some(value) {
            continue;
        }
        annotations.insert(key.clone(), value.clone());
        changed = true;
    }
    let old_revision = annotations.get(REVISION).cloned();
    let old_number = match old_revision.as_deref().map(str::parse::<i64>) {
        None => 0,
        Some(Ok(n)) => n,
        // An unreadable revision is left alone, as kube leaves it.
        Some(Err(_)) => return changed,
    };
    let Ok(new_number) = new_revision.parse::<i64>() else { return changed };
    if old_number < new_number {
        annotations.insert(REVISION.to_owned(), new_revision.to_owned());
        changed = true;
        // A ReplicaSet that had a revision and gets a newer one is being rolled back to: remember the old one.
        if let Some(old) = old_revision {
            let history = annotations.get(REVISION_HISTORY).cloned().unwrap_or_default();
            if history.is_empty() {
                annotations.insert(REVISION_HISTORY.to_owned(), old);
            } else {
                let mut revisions: Vec<&str> = history.split(',').collect();
                let mut length = history.len() + old.len() + 1;
                let mut start = 0;
                while length > MAX_REVISION_HISTORY_CHARS && start < revisions.len() {
                    length -= revisions[start].len() + 1;
                    start += 1;
                }
                if length <= MAX_REVISION_HISTORY_CHARS {
                    revisions.drain(..start);
                    revisions.push(&old);
                    let joined = revisions.join(",");
                    annotations.insert(REVISION_HISTORY.to_owned(), joined);
                }
            }
        }
    }
    if !exists {
        let desired = replicas(d);
        changed |= set_replicas_annotations(rs, desired, desired + max_surge(d));
    }
    changed
}

/// `SetReplicasAnnotations`: records the Deployment's size on the ReplicaSet; whether that changed anything.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let annotations = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut changed = false;
    for (key, value) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let value = value.to_string();
        if annotations.get(key) != Some(&value) {
            annotations.insert(key.to_owned(), value);
            changed = true;
        }
    }
    changed
}

/// Whether `set_replicas_annotations` would change anything.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    annotation(&rs.metadata, DESIRED_REPLICAS) != Some(desired.to_string().as_str())
        || annotation(&rs.metadata, MAX_REPLICAS) != Some(max.to_string().as_str())
}

/// A condition that starts and was last updated `now`.
pub fn new_condition(kind: &str, status: &str, reason: &str, message: String, now: Timestamp) -> DeploymentCondition {
    DeploymentCondition {
        type_: kind.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

/// The condition of a type, if present.
pub fn condition<'a>(status: &'a DeploymentStatus, kind: &str) -> Option<&'a DeploymentCondition> {
    status.conditions.as_ref()?.iter().find(|c| c.type_ == kind)
}

/// `SetDeploymentCondition`: nothing if the condition has the same status and reason already; otherwise it
/// replaces the one of its type (keeping its transition time when the status is unchanged) and goes last.
pub fn set_condition(status: &mut DeploymentStatus, mut new: DeploymentCondition) {
    if let Some(current) = condition(status, &new.type_) {
        if current.status == new.status && current.reason == new.reason {
            return;
        }
        if current.status == new.status {
            new.last_transition_time = current.last_transition_time.clone();
        }
    }
    remove_condition(status, &new.type_);
    status.conditions.get_or_insert_with(Vec::new).push(new);
}

/// Removes the condition of a type.
pub fn remove_condition(status: &mut DeploymentStatus, kind: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != kind);
    }
}
