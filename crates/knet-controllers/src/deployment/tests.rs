//! Tests of the deployment controller's decision: the fenceposts and the hash, a first rollout, rolling updates
//! within maxSurge and maxUnavailable, scaling during a rollout, Recreate, pause, history cleanup, the conditions;
//! and a property test that simulates rolling updates of any size to their end.

use super::rollout::Event;
use super::status::normalized;
use super::util::*;
use super::*;
use crate::events::Type;
use k8s_openapi::api::apps::v1::{DeploymentStatus, ReplicaSetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const NOW: &str = "2026-11-28T12:00:00Z";

/// A Deployment `web` of `replicas` pods running `image`, with the API server's defaults.
fn deployment(replicas: i32, image: &str) -> Deployment {
    from_json(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "d-uid", "generation": 1},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }
        }
    }))
}

/// The ReplicaSet `d` made for `image`: `replicas` of them, all reporting and `available` available, at `revision`,
/// sized for `d`'s current replicas, created `created`.
fn replica_set(d: &Deployment, image: &str, replicas: i32, available: i32, revision: i64, created: &str) -> ReplicaSet {
    let mut for_image = d.clone();
    for_image.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].image = Some(image.to_owned());
    let template = for_image.spec.as_ref().unwrap().template.clone();
    let mut rs = new_replica_set(&for_image, &pod_template_hash(&template, None), at(created));
    rs.metadata.uid = Some(format!("uid-{image}"));
    rs.metadata.generation = Some(1);
    rs.spec.as_mut().unwrap().replicas = Some(replicas);
    rs.metadata.annotations = Some(
        [
            (REVISION.to_owned(), revision.to_string()),
            (DESIRED_REPLICAS.to_owned(), util::replicas(d).to_string()),
            (MAX_REPLICAS.to_owned(), (util::replicas(d) + max_surge(d)).to_string()),
        ]
        .into(),
    );
    rs.status = Some(ReplicaSetStatus {
        replicas,
        ready_replicas: Some(available),
        available_replicas: Some(available),
        observed_generation: Some(1),
        ..Default::default()
    });
    rs
}

fn name(rs: &ReplicaSet) -> &str {
    rs.metadata.name.as_deref().unwrap()
}

/// The writes of a sync in a compact form: `create web-x 3`, `scale web-x 2`, `delete web-x`, `revision 2`,
/// `event ScalingReplicaSet: ...`, `status`.
fn summary(sync: &Sync) -> Vec<String> {
    sync.writes
        .iter()
        .map(|write| match write {
            Write::OwnerReferences { name, owner_references } => format!("owners {name} {}", owner_references.len()),
            Write::Create(rs) => format!("create {} {}", name(rs), util::rs_replicas(rs)),
            Write::Update(rs) => format!("scale {} {}", name(rs), util::rs_replicas(rs)),
            Write::Delete { name } => format!("delete {name}"),
            Write::Revision(revision) => format!("revision {revision}"),
            Write::Event(Event { kind, reason, message }) => format!("event {kind:?} {reason}: {message}"),
            Write::Status(_) => "status".to_owned(),
        })
        .collect()
}

/// Only the ReplicaSet creations and scalings of `summary`.
fn scales(sync: &Sync) -> Vec<String> {
    summary(sync).into_iter().filter(|w| w.starts_with("create") || w.starts_with("scale")).collect()
}

fn status_of(sync: &Sync) -> DeploymentStatus {
    sync.writes
        .iter()
        .find_map(|w| match w {
            Write::Status(status) => Some((**status).clone()),
            _ => None,
        })
        .expect("a status write")
}

fn condition_of(status: &DeploymentStatus, kind: &str) -> (String, String, String) {
    let c = condition(status, kind).unwrap_or_else(|| panic!("no {kind} condition"));
    (c.status.clone(), c.reason.clone().unwrap_or_default(), c.message.clone().unwrap_or_default())
}

fn hash_of(d: &Deployment) -> String {
    pod_template_hash(&d.spec.as_ref().unwrap().template, None)
}

#[test]
fn fenceposts_round_surge_up_and_unavailable_down() {
    let mut d = deployment(10, "nginx:1");
    assert_eq!(fenceposts(&d), (3, 2));
    d.spec.as_mut().unwrap().replicas = Some(3);
    assert_eq!(fenceposts(&d), (1, 0));
    assert_eq!(max_unavailable(&d), 0);
    d.spec.as_mut().unwrap().replicas = Some(1);
    assert_eq!(fenceposts(&d), (1, 0));
    let rolling = d.spec.as_mut().unwrap().strategy.as_mut().unwrap().rolling_update.as_mut().unwrap();
    rolling.max_surge = Some(IntOrString::Int(0));
    rolling.max_unavailable = Some(IntOrString::String("10%".to_owned()));
    // Both come to 0: one may be unavailable, so that the rollout can move.
    assert_eq!(fenceposts(&d), (0, 1));
    let rolling = d.spec.as_mut().unwrap().strategy.as_mut().unwrap().rolling_update.as_mut().unwrap();
    rolling.max_unavailable = Some(IntOrString::Int(5));
    // Never more unavailable than there are replicas.
    assert_eq!(max_unavailable(&d), 1);
    d.spec.as_mut().unwrap().strategy.as_mut().unwrap().type_ = Some("Recreate".to_owned());
    assert_eq!((max_surge(&d), max_unavailable(&d)), (0, 0));
    assert_eq!(scaled_value(&IntOrString::String("33%".to_owned()), 10, true), 4);
    assert_eq!(scaled_value(&IntOrString::String("33%".to_owned()), 10, false), 3);
}

#[test]
fn the_hash_is_stable_safe_and_moved_by_the_template_and_collisions() {
    let d = deployment(1, "nginx:1");
    let template = &d.spec.as_ref().unwrap().template;
    let hash = pod_template_hash(template, None);
    assert_eq!(hash, pod_template_hash(template, None));
    assert!(!hash.is_empty() && hash.len() <= 10);
    // Decimal digits mapped into kube's alphabet land on these characters only.
    assert!(hash.chars().all(|c| "456789bcdf".contains(c)), "{hash}");
    assert_ne!(hash, pod_template_hash(template, Some(1)));
    assert_ne!(hash, hash_of(&deployment(1, "nginx:2")));
    let with_hash = new_replica_set(&d, &hash, at(NOW)).spec.unwrap().template.unwrap();
    assert!(equal_ignore_hash(&with_hash, template));
    assert!(!equal_ignore_hash(&with_hash, &deployment(1, "nginx:2").spec.unwrap().template));
}

#[test]
fn a_new_deployment_creates_its_replica_set() {
    let d = deployment(3, "nginx:1");
    let hash = hash_of(&d);
    let sync = sync(&d, &[], &[], at(NOW));
    let rs_name = format!("web-{hash}");
    assert_eq!(
        summary(&sync),
        [
            format!("create {rs_name} 3"),
            format!("event Normal ScalingReplicaSet: Scaled up replica set {rs_name} from 0 to 3"),
            "revision 1".to_owned(),
            "status".to_owned(),
        ]
    );
    let Write::Create(rs) = &sync.writes[0] else { unreachable!() };
    let annotations = rs.metadata.annotations.as_ref().unwrap();
    assert_eq!((annotations[REVISION].as_str(), annotations[DESIRED_REPLICAS].as_str()), ("1", "3"));
    assert_eq!(annotations[MAX_REPLICAS], "4");
    assert_eq!(rs.metadata.labels.as_ref().unwrap()[POD_TEMPLATE_HASH], hash);
    let spec = rs.spec.as_ref().unwrap();
    assert_eq!(spec.selector.match_labels.as_ref().unwrap()[POD_TEMPLATE_HASH], hash);
    assert_eq!(spec.template.as_ref().unwrap().metadata.as_ref().unwrap().labels.as_ref().unwrap()["app"], "web");
    let owner = &rs.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!((owner.kind.as_str(), owner.uid.as_str(), owner.controller), ("Deployment", "d-uid", Some(true)));
    let status = status_of(&sync);
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!((status.replicas, status.updated_replicas, status.available_replicas), (None, None, None));
    assert_eq!(
        condition_of(&status, "Available"),
        ("False".into(), "MinimumReplicasUnavailable".into(), "Deployment does not have minimum availability.".into())
    );
    assert_eq!(
        condition_of(&status, "Progressing"),
        ("True".into(), "NewReplicaSetCreated".into(), format!("Created new replica set \"{rs_name}\""))
    );
}

#[test]
fn a_rolled_out_deployment_reports_complete_and_then_rests() {
    let mut d = deployment(3, "nginx:1");
    let rs = replica_set(&d, "nginx:1", 3, 3, 1, "2026-11-28T11:00:00Z");
    d.metadata.annotations = Some([(REVISION.to_owned(), "1".to_owned())].into());
    let first = sync(&d, std::slice::from_ref(&rs), &[], at(NOW));
    assert_eq!(summary(&first), ["status"]);
    let status = status_of(&first);
    assert_eq!((status.replicas, status.updated_replicas, status.ready_replicas), (Some(3), Some(3), Some(3)));
    assert_eq!((status.available_replicas, status.unavailable_replicas), (Some(3), None));
    assert_eq!(
        condition_of(&status, "Available"),
        ("True".into(), "MinimumReplicasAvailable".into(), "Deployment has minimum availability.".into())
    );
    assert_eq!(
        condition_of(&status, "Progressing"),
        (
            "True".into(),
            "NewReplicaSetAvailable".into(),
            format!("ReplicaSet \"{}\" has successfully progressed.", name(&rs))
        )
    );
    // What `kubectl rollout status` reads.
    assert!(status.observed_generation >= d.metadata.generation);
    d.status = Some(status);
    let second = sync(&d, &[rs], &[], at("2026-11-28T12:05:00Z"));
    assert_eq!(summary(&second), Vec::<String>::new());
    assert_eq!(second.requeue_after, None);
}

#[test]
fn a_template_change_rolls_within_surge_and_unavailability() {
    let mut d = deployment(4, "nginx:2");
    d.metadata.generation = Some(2);
    let old = replica_set(&d, "nginx:1", 4, 4, 1, "2026-11-28T11:00:00Z");
    let new_name = format!("web-{}", hash_of(&d));
    // maxSurge 1 and maxUnavailable 1 of 4: one new pod, and one old pod may go at once.
    let first = sync(&d, std::slice::from_ref(&old), &[], at(NOW));
    assert_eq!(
        summary(&first),
        [
            format!("create {new_name} 1"),
            format!("event Normal ScalingReplicaSet: Scaled up replica set {new_name} from 0 to 1"),
            "revision 2".to_owned(),
            format!("scale {} 3", name(&old)),
            format!("event Normal ScalingReplicaSet: Scaled down replica set {} from 4 to 3", name(&old)),
            "status".to_owned(),
        ]
    );
    let Write::Create(created) = &first.writes[0] else { unreachable!() };
    assert_eq!(created.metadata.annotations.as_ref().unwrap()[REVISION], "2");

    // Old 3 (all available) and new 1 (not ready): 4 of at most 5, so the new one grows to 2 at once.
    let mut old = old;
    old.spec.as_mut().unwrap().replicas = Some(3);
    old.status = Some(ReplicaSetStatus {
        replicas: 3,
        ready_replicas: Some(3),
        available_replicas: Some(3),
        ..Default::default()
    });
    let mut new = replica_set(&d, "nginx:2", 1, 0, 2, NOW);
    let grow = sync(&d, &[old.clone(), new.clone()], &[], at(NOW));
    assert_eq!(scales(&grow), [format!("scale {new_name} 2")]);

    // Old 3 and new 2 not ready: 3 available is the minimum (4 - 1), nothing may go.
    new.spec.as_mut().unwrap().replicas = Some(2);
    new.status = Some(ReplicaSetStatus { replicas: 2, ..Default::default() });
    let waiting = sync(&d, &[old.clone(), new.clone()], &[], at(NOW));
    assert_eq!(scales(&waiting), Vec::<String>::new());
    let status = status_of(&waiting);
    assert_eq!((status.replicas, status.updated_replicas, status.available_replicas), (Some(5), Some(2), Some(3)));
    assert_eq!(status.unavailable_replicas, Some(2));
    assert_eq!(condition_of(&status, "Available").0, "True");

    // The new pods are available: 5 available, 3 needed, two old ones go.
    new.status = Some(ReplicaSetStatus {
        replicas: 2,
        ready_replicas: Some(2),
        available_replicas: Some(2),
        ..Default::default()
    });
    let shrink = sync(&d, &[old.clone(), new.clone()], &[], at(NOW));
    assert_eq!(scales(&shrink), [format!("scale {} 1", name(&old))]);
}

#[test]
fn unhealthy_old_replicas_go_first() {
    let d = deployment(4, "nginx:2");
    // The old ReplicaSet has 4 replicas of which only 1 is available; the new one exists and has 1, unavailable.
    let old = replica_set(&d, "nginx:1", 4, 1, 1, "2026-11-28T11:00:00Z");
    let new = replica_set(&d, "nginx:2", 1, 0, 2, NOW);
    let sync = sync(&d, &[old.clone(), new], &[], at(NOW));
    // 5 pods, 3 must stay available, 1 new is unavailable: 1 old may go, an unavailable one.
    assert_eq!(scales(&sync), [format!("scale {} 3", name(&old))]);
}

#[test]
fn an_old_replica_set_whose_status_lags_its_scale_down_is_not_scaled_up() {
    // Regression: the old ReplicaSet was scaled to 1 and still reports 3 available. kube's cleanup would "scale it
    // down" by -2 and refuses; knet scaled it up to 3 and at once down again.
    let d = deployment(5, "nginx:2");
    let mut old = replica_set(&d, "nginx:1", 1, 3, 1, "2026-11-28T11:00:00Z");
    old.status.as_mut().unwrap().replicas = 3;
    let new = replica_set(&d, "nginx:2", 5, 4, 2, NOW);
    let sync = sync(&d, &[old, new], &[], at(NOW));
    assert_eq!(scales(&sync), Vec::<String>::new());
    assert!(summary(&sync).iter().all(|w| w != "status" && !w.starts_with("event")), "{:?}", summary(&sync));
    assert_eq!(sync.requeue_after, Some(std::time::Duration::from_secs(1)));
}

#[test]
fn an_empty_resources_block_is_no_template_change() {
    // Regression: `kubectl rollout undo` writes the old template back with `resources: {}`, which made a third
    // ReplicaSet instead of bringing back the first.
    let d = deployment(1, "nginx:1");
    let mut undone = d.spec.as_ref().unwrap().template.clone();
    undone.spec.as_mut().unwrap().containers[0].resources = Some(Default::default());
    undone.spec.as_mut().unwrap().volumes = Some(Vec::new());
    assert!(equal_ignore_hash(&undone, &d.spec.as_ref().unwrap().template));
    assert_eq!(pod_template_hash(&undone, None), hash_of(&d));
    let mut undone_d = d.clone();
    undone_d.spec.as_mut().unwrap().template = undone;
    let first = replica_set(&d, "nginx:1", 0, 0, 1, "2026-11-28T11:00:00Z");
    let second = replica_set(&d, "nginx:2", 1, 1, 2, "2026-11-28T11:30:00Z");
    let sync = sync(&undone_d, &[first.clone(), second], &[], at(NOW));
    let writes = summary(&sync);
    assert!(writes.iter().all(|w| !w.starts_with("create")), "{writes:?}");
    // The first ReplicaSet is the new one again, at revision 3, remembering it was 1.
    let Write::Update(back) = &sync.writes[0] else { panic!("{writes:?}") };
    assert_eq!(back.metadata.name, first.metadata.name);
    let annotations = back.metadata.annotations.as_ref().unwrap();
    assert_eq!((annotations[REVISION].as_str(), annotations[REVISION_HISTORY].as_str()), ("3", "1"));
}

#[test]
fn scaling_during_a_rollout_is_proportional() {
    let mut d = deployment(4, "nginx:2");
    // Mid-rollout at 4 replicas (max 5): 3 old and 2 new. Then `kubectl scale --replicas=8` (max 10).
    let old = replica_set(&d, "nginx:1", 3, 3, 1, "2026-11-28T11:00:00Z");
    let new = replica_set(&d, "nginx:2", 2, 2, 2, NOW);
    d.spec.as_mut().unwrap().replicas = Some(8);
    d.metadata.generation = Some(2);
    let up = sync(&d, &[old.clone(), new.clone()], &[], at(NOW));
    let writes = summary(&up);
    assert!(writes.contains(&format!("scale {} 6", name(&old))), "{writes:?}");
    assert!(writes.contains(&format!("scale {} 4", name(&new))), "{writes:?}");
    for rs in up.writes.iter().filter_map(|w| if let Write::Update(rs) = w { Some(rs) } else { None }) {
        let annotations = rs.metadata.annotations.as_ref().unwrap();
        assert_eq!((annotations[DESIRED_REPLICAS].as_str(), annotations[MAX_REPLICAS].as_str()), ("8", "10"));
    }
    // And back down to 2 (max 3): 7 of the 10 to take away, in proportion.
    let mut d2 = d.clone();
    d2.spec.as_mut().unwrap().replicas = Some(2);
    let mut old6 = old.clone();
    old6.spec.as_mut().unwrap().replicas = Some(6);
    let mut new4 = new.clone();
    new4.spec.as_mut().unwrap().replicas = Some(4);
    for rs in [&mut old6, &mut new4] {
        set_replicas_annotations(rs, 8, 10);
    }
    let down = sync(&d2, &[old6.clone(), new4.clone()], &[], at(NOW));
    let writes = summary(&down);
    // 10 → 3: old 6 → round(6·3/10) = 2, new 4 → round(4·3/10) = 1.
    assert!(writes.contains(&format!("scale {} 2", name(&old6))), "{writes:?}");
    assert!(writes.contains(&format!("scale {} 1", name(&new4))), "{writes:?}");
}

#[test]
fn scaling_without_a_rollout_scales_the_one_active_replica_set() {
    let mut d = deployment(2, "nginx:1");
    let rs = replica_set(&d, "nginx:1", 2, 2, 1, "2026-11-28T11:00:00Z");
    d.spec.as_mut().unwrap().replicas = Some(5);
    let sync = sync(&d, std::slice::from_ref(&rs), &[], at(NOW));
    let writes = summary(&sync);
    assert_eq!(scales(&sync), [format!("scale {} 5", name(&rs))]);
    assert!(
        writes.contains(&format!("event Normal ScalingReplicaSet: Scaled up replica set {} from 2 to 5", name(&rs)))
    );
    let updated = sync.writes.iter().find_map(|w| if let Write::Update(rs) = w { Some(rs) } else { None }).unwrap();
    assert_eq!(updated.metadata.annotations.as_ref().unwrap()[DESIRED_REPLICAS], "5");
}

#[test]
fn recreate_scales_old_down_waits_for_its_pods_then_creates() {
    let mut d = deployment(2, "nginx:2");
    let strategy = d.spec.as_mut().unwrap().strategy.as_mut().unwrap();
    strategy.type_ = Some("Recreate".to_owned());
    strategy.rolling_update = None;
    let old = replica_set(&d, "nginx:1", 2, 2, 1, "2026-11-28T11:00:00Z");
    let first = sync(&d, std::slice::from_ref(&old), &[], at(NOW));
    assert_eq!(summary(&first)[0], format!("scale {} 0", name(&old)));
    assert!(summary(&first).iter().all(|w| !w.starts_with("create")));

    // Scaled to 0 and reporting none, but a pod of it is still terminating: wait.
    let mut old = old;
    old.spec.as_mut().unwrap().replicas = Some(0);
    old.status = Some(ReplicaSetStatus { replicas: 0, ..Default::default() });
    let pod: Pod = from_json(json!({
        "metadata": {
            "name": "old-pod", "namespace": "default", "labels": {"app": "web"},
            "deletionTimestamp": NOW,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name(&old), "uid": "uid-nginx:1", "controller": true}]
        },
        "status": {"phase": "Running"}
    }));
    let waiting = sync(&d, std::slice::from_ref(&old), std::slice::from_ref(&pod), at(NOW));
    assert!(summary(&waiting).iter().all(|w| !w.starts_with("create") && !w.starts_with("scale")));

    // Gone: the new ReplicaSet is created at full size.
    let go = sync(&d, std::slice::from_ref(&old), &[], at(NOW));
    assert_eq!(summary(&go)[0], format!("create web-{} 2", hash_of(&d)));
    let Write::Create(created) = &go.writes[0] else { unreachable!() };
    assert_eq!(created.metadata.annotations.as_ref().unwrap()[MAX_REPLICAS], "2");
}

#[test]
fn a_paused_deployment_does_not_roll_but_scales() {
    let mut d = deployment(2, "nginx:2");
    d.spec.as_mut().unwrap().paused = Some(true);
    let old = replica_set(&d, "nginx:1", 2, 2, 1, "2026-11-28T11:00:00Z");
    let paused = sync(&d, std::slice::from_ref(&old), &[], at(NOW));
    assert_eq!(summary(&paused), ["status"]);
    assert_eq!(
        condition_of(&status_of(&paused), "Progressing"),
        ("Unknown".into(), "DeploymentPaused".into(), "Deployment is paused".into())
    );
    d.spec.as_mut().unwrap().replicas = Some(3);
    let scaled = sync(&d, std::slice::from_ref(&old), &[], at(NOW));
    assert_eq!(summary(&scaled)[0], format!("scale {} 3", name(&old)));
    assert!(summary(&scaled).iter().all(|w| !w.starts_with("create")));
    // Resumed: DeploymentResumed, and the rollout starts.
    d.spec.as_mut().unwrap().paused = None;
    d.spec.as_mut().unwrap().replicas = Some(2);
    d.status = Some(status_of(&paused));
    let resumed = sync(&d, std::slice::from_ref(&old), &[], at(NOW));
    assert!(summary(&resumed)[0].starts_with("create web-"));
    assert_eq!(condition_of(&status_of(&resumed), "Progressing").1, "NewReplicaSetCreated");
}

#[test]
fn old_replica_sets_beyond_the_history_limit_are_deleted_once_complete() {
    let mut d = deployment(1, "nginx:4");
    d.spec.as_mut().unwrap().revision_history_limit = Some(1);
    let rs1 = replica_set(&d, "nginx:1", 0, 0, 1, "2026-11-28T08:00:00Z");
    let rs2 = replica_set(&d, "nginx:2", 0, 0, 2, "2026-11-28T09:00:00Z");
    let rs3 = replica_set(&d, "nginx:3", 0, 0, 3, "2026-11-28T10:00:00Z");
    let current = replica_set(&d, "nginx:4", 1, 1, 4, "2026-11-28T11:00:00Z");
    let all = [rs3.clone(), rs1.clone(), current.clone(), rs2.clone()];
    // Not complete yet as the stored status says: nothing is deleted.
    assert!(summary(&sync(&d, &all, &[], at(NOW))).iter().all(|w| !w.starts_with("delete")));
    d.status = Some(DeploymentStatus {
        observed_generation: Some(1),
        replicas: Some(1),
        updated_replicas: Some(1),
        available_replicas: Some(1),
        ..Default::default()
    });
    let writes = summary(&sync(&d, &all, &[], at(NOW)));
    assert!(writes.contains(&format!("delete {}", name(&rs1))), "{writes:?}");
    assert!(writes.contains(&format!("delete {}", name(&rs2))), "{writes:?}");
    assert!(!writes.contains(&format!("delete {}", name(&rs3))), "{writes:?}");
}

#[test]
fn a_taken_name_counts_a_collision_instead_of_creating() {
    let d = deployment(1, "nginx:1");
    let mut squatter: ReplicaSet = from_json(json!({
        "metadata": {"name": format!("web-{}", hash_of(&d)), "namespace": "default", "uid": "other"},
        "spec": {"selector": {"matchLabels": {"app": "other"}}, "template": {"metadata": {"labels": {"app": "other"}}}}
    }));
    squatter.spec.as_mut().unwrap().replicas = Some(1);
    let sync = sync(&d, &[squatter], &[], at(NOW));
    assert_eq!(summary(&sync), ["status"]);
    assert_eq!(status_of(&sync).collision_count, Some(1));
    let mut d = d;
    d.status = Some(status_of(&sync));
    let retried = super::sync(&d, &[], &[], at(NOW));
    assert_eq!(
        summary(&retried)[0],
        format!("create web-{} 1", pod_template_hash(&d.spec.as_ref().unwrap().template, Some(1)))
    );
}

#[test]
fn progress_moves_last_update_time_and_a_stall_times_out() {
    let mut d = deployment(2, "nginx:2");
    d.metadata.generation = Some(2);
    let started = "2026-11-28T11:00:00Z";
    let old = replica_set(&d, "nginx:1", 1, 1, 1, started);
    let new = replica_set(&d, "nginx:2", 2, 1, 2, started);
    let progressing = new_condition("Progressing", "True", "NewReplicaSetCreated", "Created".to_owned(), at(started));
    d.status = Some(normalized(DeploymentStatus {
        observed_generation: Some(2),
        replicas: Some(3),
        updated_replicas: Some(2),
        available_replicas: Some(1),
        conditions: Some(vec![progressing]),
        ..Default::default()
    }));
    // One more new replica available since the status was written: progress, at 11:05.
    let moved = sync(&d, &[old.clone(), new.clone()], &[], at("2026-11-28T11:05:00Z"));
    let status = status_of(&moved);
    let condition = condition(&status, "Progressing").unwrap();
    assert_eq!(condition.reason.as_deref(), Some("ReplicaSetUpdated"));
    assert_eq!(condition.message.as_deref(), Some(format!("ReplicaSet \"{}\" is progressing.", name(&new)).as_str()));
    assert_eq!(condition.last_update_time, Some(Time(at("2026-11-28T11:05:00Z"))));
    assert_eq!(condition.last_transition_time, Some(Time(at(started))));
    // Nothing moves for more than 600 s after the last update: the deadline has passed.
    d.status = Some(status);
    let stalled = sync(&d, &[old, new], &[], at("2026-11-28T11:15:01Z"));
    assert_eq!(
        condition_of(&status_of(&stalled), "Progressing"),
        (
            "False".into(),
            "ProgressDeadlineExceeded".into(),
            format!("ReplicaSet \"web-{}\" has timed out progressing.", hash_of(&d))
        )
    );
}

#[test]
fn a_stuck_rollout_is_looked_at_again_at_its_deadline() {
    let mut d = deployment(1, "nginx:1");
    let rs = replica_set(&d, "nginx:1", 1, 0, 1, "2026-11-28T11:59:00Z");
    let created =
        new_condition("Progressing", "True", "NewReplicaSetCreated", "x".to_owned(), at("2026-11-28T11:59:00Z"));
    d.status = Some(DeploymentStatus { conditions: Some(vec![created]), ..Default::default() });
    let sync = sync(&d, &[rs], &[], at(NOW));
    // Last update 11:59:00 + 600 s, now 12:00:00: 540 s, and a second to be past it.
    assert_eq!(sync.requeue_after, Some(std::time::Duration::from_secs(541)));
}

#[test]
fn an_empty_selector_is_refused_with_a_warning() {
    let mut d = deployment(1, "nginx:1");
    d.spec.as_mut().unwrap().selector = Default::default();
    let sync = sync(&d, &[], &[], at(NOW));
    assert_eq!(
        summary(&sync),
        [
            "event Warning SelectingAll: This deployment is selecting all pods. A non-empty selector is required.",
            "status"
        ]
    );
    assert_eq!(status_of(&sync).observed_generation, Some(1));
}

#[test]
fn orphan_replica_sets_are_adopted() {
    let d = deployment(1, "nginx:1");
    let mut orphan = replica_set(&d, "nginx:1", 1, 1, 1, "2026-11-28T11:00:00Z");
    orphan.metadata.owner_references = None;
    let sync = sync(&d, std::slice::from_ref(&orphan), &[], at(NOW));
    assert_eq!(summary(&sync)[0], format!("owners {} 1", name(&orphan)));
    assert!(summary(&sync).iter().all(|w| !w.starts_with("create")));
}

#[test]
fn pods_lead_to_their_deployment() {
    let pod: Pod = from_json(json!({
        "metadata": {
            "name": "web-7c5ddbdf54-x2x4z", "namespace": "prod", "labels": {"app": "web", "pod-template-hash": "7c5ddbdf54"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7c5ddbdf54", "uid": "u", "controller": true}]
        }
    }));
    let reference = deployment_of_pod(&pod).unwrap();
    assert_eq!((reference.name.as_str(), reference.namespace.as_deref()), ("web", Some("prod")));
    let _ = Type::Normal;
}

/// A rolling update simulated to its end: each round applies the sync's writes, then the ReplicaSets report their
/// pods, which become available one round after they are created (and old pods go at once). Whatever the sizes,
/// the ReplicaSets never ask for more than `replicas + maxSurge` pods, never fewer than `replicas - maxUnavailable`
/// are available, and the rollout ends with every replica on the new template.
mod rollout_simulation {
    use super::*;
    use proptest::prelude::*;

    fn spec_replicas(rs: &ReplicaSet) -> i32 {
        rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
    }

    fn available(rs: &ReplicaSet) -> i32 {
        rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0)
    }

    /// The ReplicaSets report their pods: new pods (beyond those that existed last round) are not available yet.
    fn report(sets: &mut [ReplicaSet]) {
        for rs in sets {
            let wanted = spec_replicas(rs);
            let existing = rs.status.as_ref().map_or(0, |s| s.replicas);
            let generation = rs.metadata.generation;
            rs.status = Some(ReplicaSetStatus {
                replicas: wanted,
                ready_replicas: Some(existing.min(wanted)),
                available_replicas: Some(existing.min(wanted)),
                observed_generation: generation,
                ..Default::default()
            });
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn rolling_updates_stay_within_their_bounds_and_finish(
            replicas in 1..25i32,
            surge in 0..6i32,
            unavailable in 0..6i32,
            as_percent in any::<bool>(),
        ) {
            prop_assume!(surge + unavailable > 0);
            let mut d = deployment(replicas, "nginx:2");
            d.metadata.generation = Some(2);
            d.metadata.annotations = Some([(REVISION.to_owned(), "1".to_owned())].into());
            let bound = |n: i32| if as_percent { IntOrString::String(format!("{}%", n * 20)) } else { IntOrString::Int(n) };
            let strategy = d.spec.as_mut().unwrap().strategy.as_mut().unwrap().rolling_update.as_mut().unwrap();
            strategy.max_surge = Some(bound(surge));
            strategy.max_unavailable = Some(bound(unavailable));
            let (max_total, min_available) = (replicas + max_surge(&d), replicas - max_unavailable(&d));
            let mut sets = vec![replica_set(&d, "nginx:1", replicas, replicas, 1, "2026-11-28T11:00:00Z")];
            let new_name = format!("web-{}", hash_of(&d));
            let mut finished = false;
            for _ in 0..200 {
                let plan = sync(&d, &sets, &[], at(NOW));
                for write in plan.writes {
                    match write {
                        Write::Create(rs) => sets.push(*rs),
                        Write::Update(rs) => {
                            let slot = sets.iter_mut().find(|s| name(s) == name(&rs)).expect("an existing set");
                            *slot = *rs;
                            slot.metadata.generation = Some(slot.metadata.generation.unwrap_or(1) + 1);
                        }
                        Write::Delete { name: gone } => sets.retain(|s| name(s) != gone),
                        Write::Revision(revision) => {
                            d.metadata.annotations = Some([(REVISION.to_owned(), revision)].into());
                        }
                        Write::Status(status) => d.status = Some(*status),
                        Write::OwnerReferences { .. } | Write::Event(_) => {}
                    }
                }
                let asked: i32 = sets.iter().map(spec_replicas).sum();
                prop_assert!(asked <= max_total, "{asked} pods asked for, more than {max_total}");
                report(&mut sets);
                let up: i32 = sets.iter().map(available).sum();
                prop_assert!(up >= min_available.min(replicas), "{up} available, fewer than {min_available}");
                let new = sets.iter().find(|s| name(s) == new_name);
                let old_left: i32 = sets.iter().filter(|s| name(s) != new_name).map(spec_replicas).sum();
                if new.is_some_and(|n| available(n) == replicas) && old_left == 0 {
                    finished = true;
                    break;
                }
            }
            prop_assert!(finished, "the rollout did not finish: {:?}", sets.iter().map(|s| (name(s).to_owned(), spec_replicas(s), available(s))).collect::<Vec<_>>());
        }
    }
}
