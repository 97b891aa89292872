//! Which pods a ReplicaSet deletes first when it has too many: kube's `ActivePodsWithRanks` order, least valuable
//! first. Unscheduled before scheduled, Pending before Unknown before Running, not ready before ready, lower
//! `controller.kubernetes.io/pod-deletion-cost` first, more recently ready first, more restarts first, newer first.
//! Times are compared in logarithmic buckets of their age (the `LogarithmicScaleDown` rule, on since 1.22), ties
//! broken by uid, so pods of about the same age go in an arbitrary but stable order.
//!
//! kube's rank 5 ("doubled up": pods sharing a node with more ready pods of the same owner go first) is left out:
//! with one node every scheduled pod has the same rank.

use std::cmp::Ordering;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

/// The annotation by which users say how costly deleting a pod is.
pub const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// `Less` means `a` is deleted before `b`.
pub fn compare(a: &Pod, b: &Pod, now: Timestamp) -> Ordering {
    let node = |p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
    let (node_a, node_b) = (node(a), node(b));
    if node_a != node_b && (node_a.is_empty() || node_b.is_empty()) {
        return if node_a.is_empty() { Ordering::Less } else { Ordering::Greater };
    }
    let by_phase = phase_ordinal(a).cmp(&phase_ordinal(b));
    if by_phase != Ordering::Equal {
        return by_phase;
    }
    let (ready_a, ready_b) = (super::is_ready(a), super::is_ready(b));
    if ready_a != ready_b {
        return if ready_a { Ordering::Greater } else { Ordering::Less };
    }
    let by_cost = deletion_cost(a).cmp(&deletion_cost(b));
    if by_cost != Ordering::Equal {
        return by_cost;
    }
    if ready_a && ready_b {
        let (since_a, since_b) = (super::ready_since(a), super::ready_since(b));
        if since_a != since_b {
            return younger_first(since_a, since_b, a, b, now);
        }
    }
    // More restarts first, regular containers before sidecars.
    let (restarts_a, restarts_b) = (restarts(a), restarts(b));
    if restarts_a != restarts_b {
        return restarts_b.cmp(&restarts_a);
    }
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let (created_a, created_b) = (created(a), created(b));
    if created_a != created_b {
        return younger_first(created_a, created_b, a, b, now);
    }
    Ordering::Equal
}

/// `PodPending < PodUnknown < PodRunning` (any other phase counts as pending, as a missing map key does in Go).
fn phase_ordinal(pod: &Pod) -> u8 {
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    }
}

/// The pod's deletion cost; an unparsable value counts as 0, as kube ignores it.
fn deletion_cost(pod: &Pod) -> i32 {
    pod.metadata.annotations.as_ref().and_then(|a| a.get(DELETION_COST)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The highest restart count of the regular containers and of the sidecars (restartable init containers).
fn restarts(pod: &Pod) -> (i32, i32) {
    let Some(status) = pod.status.as_ref() else { return (0, 0) };
    let regular = status.container_statuses.iter().flatten().map(|c| c.restart_count).max().unwrap_or(0);
    let sidecars: Vec<&str> = pod
        .spec
        .iter()
        .flat_map(|s| s.init_containers.iter().flatten())
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .map(|c| c.name.as_str())
        .collect();
    let sidecar = status
        .init_container_statuses
        .iter()
        .flatten()
        .filter(|c| sidecars.contains(&c.name.as_str()))
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0);
    (regular, sidecar)
}

/// The later (younger) time first; a missing time before any; times in the same power-of-two bucket of age are
/// ordered by uid.
fn younger_first(a: Option<Timestamp>, b: Option<Timestamp>, pod_a: &Pod, pod_b: &Pod, now: Timestamp) -> Ordering {
    let (Some(a), Some(b)) = (a, b) else {
        return if a.is_none() { Ordering::Less } else { Ordering::Greater };
    };
    let rank_a = age_rank(a, now);
    let rank_b = age_rank(b, now);
    if rank_a == rank_b {
        return pod_a.metadata.uid.cmp(&pod_b.metadata.uid);
    }
    rank_a.cmp(&rank_b)
}

/// `floor(log2(age in nanoseconds))`, -1 for no age.
fn age_rank(time: Timestamp, now: Timestamp) -> i64 {
    let age = now.as_nanosecond() - time.as_nanosecond();
    if age <= 0 { -1 } else { i64::from(127 - age.leading_zeros()) }
}
