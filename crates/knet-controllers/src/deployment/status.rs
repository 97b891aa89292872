//! A Deployment's status as kube reports it: the conditions and their reasons, and the tests on a status that the
//! rollout uses (complete, progressing, past its deadline), with the `omitempty` form statuses are compared in.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus};
use k8s_openapi::jiff::Timestamp;

use super::util::{condition, replicas};

/// The `Available` condition: whether at least `replicas - maxUnavailable` replicas are available.
pub const AVAILABLE: &str = "Available";
/// The `Progressing` condition: how the latest rollout goes.
pub const PROGRESSING: &str = "Progressing";
/// The `ReplicaFailure` condition (copied from a ReplicaSet that fails to create or delete pods).
pub const REPLICA_FAILURE: &str = "ReplicaFailure";
// kube's reasons for them, in its words.
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";

/// `HasProgressDeadline`.
pub fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec.as_ref().and_then(|s| s.progress_deadline_seconds).is_some_and(|s| s != i32::MAX)
}

/// `DeploymentComplete`: all replicas updated and available, and the latest spec observed.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let wanted = replicas(d);
    status.updated_replicas.unwrap_or(0) == wanted
        && status.replicas.unwrap_or(0) == wanted
        && status.available_replicas.unwrap_or(0) == wanted
        && status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
}

/// `DeploymentProgressing`: more updated, fewer old, more ready or more available replicas than before.
pub fn deployment_progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let count = |v: Option<i32>| v.unwrap_or(0);
    let old_old = count(old.replicas) - count(old.updated_replicas);
    let new_old = count(new.replicas) - count(new.updated_replicas);
    count(new.updated_replicas) > count(old.updated_replicas)
        || new_old < old_old
        || count(new.ready_replicas) > count(old.ready_replicas)
        || count(new.available_replicas) > count(old.available_replicas)
}

/// `DeploymentTimedOut`: no progress for `progressDeadlineSeconds` since the condition's last update.
pub fn timed_out(d: &Deployment, status: &DeploymentStatus, now: Timestamp) -> bool {
    let Some(deadline) = d.spec.as_ref().and_then(|s| s.progress_deadline_seconds).filter(|_| has_progress_deadline(d))
    else {
        return false;
    };
    let Some(current) = condition(status, PROGRESSING) else { return false };
    match current.reason.as_deref() {
        Some(NEW_RS_AVAILABLE) => false,
        Some(TIMED_OUT) => true,
        _ => current.last_update_time.as_ref().is_some_and(|t| t.0.as_second() + i64::from(deadline) < now.as_second()),
    }
}

/// The status as Go's `omitempty` serializes it (zero counts and no conditions left out), so that a status read
/// back compares equal to the one written.
pub fn normalized(mut status: DeploymentStatus) -> DeploymentStatus {
    crate::omit_zeros([
        &mut status.replicas,
        &mut status.updated_replicas,
        &mut status.ready_replicas,
        &mut status.available_replicas,
        &mut status.unavailable_replicas,
        &mut status.terminating_replicas,
    ]);
    crate::omit_zeros([&mut status.observed_generation]);
    if status.conditions.as_ref().is_some_and(Vec::is_empty) {
        status.conditions = None;
    }
    status
}
