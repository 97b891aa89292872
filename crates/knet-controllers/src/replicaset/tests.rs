//! Tests of the replicaset controller's decision: claiming, creating, the deletion order, the status.

use super::*;
use serde_json::json;

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const NOW: &str = "2026-11-28T12:00:00Z";

fn rs(replicas: i32) -> ReplicaSet {
    from_json(json!({
        "metadata": {"name": "web-abc", "namespace": "default", "uid": "rs-uid", "generation": 3},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "front"}, "annotations": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}
            }
        }
    }))
}

/// A pod of the ReplicaSet: `name`, scheduled or not, phase, ready since (None: not ready), created at.
fn pod(name: &str, node: Option<&str>, phase: &str, ready_since: Option<&str>, created: &str) -> Pod {
    let mut pod: Pod = from_json(json!({
        "metadata": {
            "name": name, "namespace": "default", "uid": format!("uid-{name}"), "creationTimestamp": created,
            "labels": {"app": "web", "tier": "front"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "rs-uid", "controller": true}]
        },
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        "status": {"phase": phase}
    }));
    if let Some(node) = node {
        pod.spec.as_mut().unwrap().node_name = Some(node.to_owned());
    }
    if let Some(since) = ready_since {
        pod.status.as_mut().unwrap().conditions =
            Some(vec![from_json(json!({"type": "Ready", "status": "True", "lastTransitionTime": since}))]);
    }
    pod
}

fn running(name: &str, created: &str) -> Pod {
    pod(name, Some("knet"), "Running", Some(created), created)
}

#[test]
fn creates_the_missing_pods_and_reports_what_it_saw() {
    let pods = [running("web-abc-1", "2026-11-28T11:00:00Z")];
    let plan = plan(&rs(3), &pods, at(NOW));
    assert_eq!(plan.create, 2);
    assert!(plan.delete.is_empty() && plan.adopt.is_empty() && plan.release.is_empty());
    assert_eq!(plan.status.replicas, 1);
    assert_eq!(plan.status.ready_replicas, Some(1));
    assert_eq!(plan.status.available_replicas, Some(1));
    assert_eq!(plan.status.fully_labeled_replicas, Some(1));
    assert_eq!(plan.status.observed_generation, Some(3));
    assert_eq!(plan.requeue_after, None);
}

#[test]
fn the_new_pod_comes_from_the_template() {
    let pod = pod_from_template(&rs(1));
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("web-abc-"));
    assert_eq!(pod.metadata.name, None);
    assert_eq!(pod.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(pod.metadata.labels.unwrap()["tier"], "front");
    assert_eq!(pod.metadata.annotations.unwrap()["a"], "b");
    let owner = &pod.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.api_version.as_str(), owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("apps/v1", "ReplicaSet", "web-abc", "rs-uid")
    );
    assert_eq!((owner.controller, owner.block_owner_deletion), (Some(true), Some(true)));
    assert_eq!(pod.spec.unwrap().containers[0].image.as_deref(), Some("nginx"));
}

#[test]
fn terminating_finished_and_foreign_pods_do_not_count() {
    let mut terminating = running("t", "2026-11-28T11:00:00Z");
    terminating.metadata.deletion_timestamp = Some(Time(at(NOW)));
    let succeeded = pod("s", Some("knet"), "Succeeded", None, "2026-11-28T11:00:00Z");
    let mut foreign = running("f", "2026-11-28T11:00:00Z");
    foreign.metadata.owner_references.as_mut().unwrap()[0].uid = "other".to_owned();
    let plan = plan(&rs(2), &[terminating, succeeded, foreign], at(NOW));
    assert_eq!(plan.create, 2);
    assert_eq!(plan.status.replicas, 0);
    assert!(plan.adopt.is_empty());
}

#[test]
fn adopts_matching_orphans_and_releases_pods_it_no_longer_selects() {
    let mut orphan = running("orphan", "2026-11-28T11:00:00Z");
    orphan.metadata.owner_references = None;
    let mut unmatched = running("relabelled", "2026-11-28T11:00:00Z");
    unmatched.metadata.labels = Some(BTreeMap::from([("app".to_owned(), "debug".to_owned())]));
    let mut other_orphan = unmatched.clone();
    other_orphan.metadata.name = Some("stranger".to_owned());
    other_orphan.metadata.owner_references = None;
    let plan = plan(&rs(1), &[orphan, unmatched, other_orphan], at(NOW));
    assert_eq!(plan.adopt, ["orphan"]);
    assert_eq!(plan.release, ["relabelled"]);
    assert_eq!((plan.create, plan.status.replicas), (0, 1));
}

#[test]
fn deletes_the_least_valuable_pods_first() {
    let old = "2026-11-28T10:00:00Z";
    let pods = [
        running("ready-old", old),
        pod("unscheduled", None, "Pending", None, old),
        pod("pending", Some("knet"), "Pending", None, old),
        pod("not-ready", Some("knet"), "Running", None, old),
        // Ready a minute ago rather than two hours: younger, so it goes before `ready-old`.
        pod("ready-recently", Some("knet"), "Running", Some("2026-11-28T11:59:00Z"), old),
    ];
    let order = plan(&rs(1), &pods, at(NOW)).delete;
    assert_eq!(order, ["unscheduled", "pending", "not-ready", "ready-recently"]);
    // Deleting them all, kube does not bother to sort.
    assert_eq!(plan(&rs(0), &pods, at(NOW)).delete.len(), 5);
    let two = plan(&rs(3), &pods, at(NOW)).delete;
    assert_eq!(two, ["unscheduled", "pending"]);
}

#[test]
fn deletion_cost_and_age_break_ties() {
    let mut cheap = running("cheap", "2026-11-28T10:00:00Z");
    cheap.metadata.annotations = Some(BTreeMap::from([(ranking::DELETION_COST.to_owned(), "-5".to_owned())]));
    // Same readiness time, created a second ago versus two hours ago: the newer one goes first.
    let mut newer = running("newer", "2026-11-28T11:59:59Z");
    let mut older = running("older", "2026-11-28T10:00:00Z");
    for pod in [&mut newer, &mut older] {
        pod.status.as_mut().unwrap().conditions.as_mut().unwrap()[0].last_transition_time =
            Some(Time(at("2026-11-28T11:59:59Z")));
    }
    let plan = plan(&rs(1), &[older, newer, cheap], at(NOW));
    assert_eq!(plan.delete, ["cheap", "newer"]);
}

#[test]
fn available_only_after_min_ready_seconds() {
    let mut replica_set = rs(2);
    replica_set.spec.as_mut().unwrap().min_ready_seconds = Some(30);
    let pods = [running("long-ready", "2026-11-28T11:00:00Z"), running("just-ready", "2026-11-28T11:59:50Z")];
    let plan = plan(&replica_set, &pods, at(NOW));
    assert_eq!((plan.status.ready_replicas, plan.status.available_replicas), (Some(2), Some(1)));
    // Ready at 11:59:50, available once 30 s have passed: look again in 20 s, and a second to be past it.
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(21)));
}

#[test]
fn a_replica_set_being_deleted_only_reports() {
    let mut replica_set = rs(3);
    replica_set.metadata.deletion_timestamp = Some(Time(at(NOW)));
    let plan = plan(&replica_set, &[running("a", NOW)], at(NOW));
    assert_eq!((plan.create, plan.delete.len(), plan.status.replicas), (0, 0, 1));
}

#[test]
fn zero_counts_are_left_out_and_a_failure_is_kept_once() {
    let plan = plan(&rs(1), &[], at(NOW));
    assert_eq!(serde_json::to_value(&plan.status).unwrap(), json!({"replicas": 0, "observedGeneration": 3}));
    let mut status = plan.status.clone();
    set_failure(&mut status, None, "FailedCreate", "pods \"x\" is forbidden", at(NOW));
    let condition = &status.conditions.as_ref().unwrap()[0];
    assert_eq!((condition.type_.as_str(), condition.reason.as_deref()), ("ReplicaFailure", Some("FailedCreate")));
    let patch = status_patch(&plan.status, RS_STATUS_FIELDS);
    assert_eq!(patch["conditions"], Value::Null);
    assert_eq!(patch["replicas"], json!(0));
}

#[test]
fn selectors_with_expressions() {
    let selector: LabelSelector = from_json(json!({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "env", "operator": "NotIn", "values": ["dev"]}
        ]
    }));
    let meta = |labels: Value| -> ObjectMeta { from_json(json!({ "labels": labels })) };
    assert!(selects(Some(&selector), &meta(json!({"app": "web", "tier": "edge"}))));
    assert!(!selects(Some(&selector), &meta(json!({"app": "web", "tier": "back"}))));
    assert!(!selects(Some(&selector), &meta(json!({"app": "web", "tier": "front", "canary": "1"}))));
    assert!(!selects(Some(&selector), &meta(json!({"app": "web", "tier": "front", "env": "dev"}))));
    assert!(selects(Some(&LabelSelector::default()), &meta(json!({}))));
    assert!(!selects(None, &meta(json!({"app": "web"}))));
}
