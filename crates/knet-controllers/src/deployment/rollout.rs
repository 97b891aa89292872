//! One sync of a Deployment, as kube's `syncDeployment` does it, as a pure function: `sync` walks kube's steps
//! (claim the ReplicaSets, paused conditions, scaling event or rollout, Recreate or RollingUpdate, cleanup, status)
//! over working copies of the ReplicaSets, and returns the writes kube would make, in order, with the events that
//! follow them. The loop applies them and stops at the first failure; the next sync starts again from what is
//! there, as kube's requeue does.
//!
//! ```text
//!   syncDeployment ─ selector empty ─────────────→ SelectingAll event, observedGeneration
//!                  ├ being deleted ──────────────→ status only
//!                  ├ paused / scaling event ─────→ scale (proportionally) [+ cleanup if paused] → status
//!                  ├ Recreate ───────────────────→ old to 0 → wait for old pods → new to replicas → status
//!                  └ RollingUpdate ──────────────→ new up within maxSurge | old down within maxUnavailable
//!                                                   → cleanup when complete → status with progress conditions
//! ```
//!
//! kube writes a ReplicaSet as soon as it decides to; here several changes to one ReplicaSet in one sync become one
//! write, and the status changes kube writes on the way (paused, new ReplicaSet found or created) go out with the
//! final status.

use std::cmp::Ordering;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::jiff::Timestamp;

use super::status::*;
use super::util::{self, condition, max_surge, max_unavailable, new_condition, replicas, rs_replicas, set_condition};
use crate::events::Type;
use crate::replicaset::{controller_of, controller_reference, selects};

/// An event about the Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: Type,
    pub reason: &'static str,
    pub message: String,
}

/// One write of a sync.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Set a ReplicaSet's ownerReferences to these (adopting an orphan, or releasing one the selector lost).
    OwnerReferences { name: String, owner_references: Vec<OwnerReference> },
    /// Create this ReplicaSet.
    Create(Box<ReplicaSet>),
    /// Set this ReplicaSet's `spec.replicas`, `spec.minReadySeconds` and annotations to these.
    Update(Box<ReplicaSet>),
    /// Delete an old ReplicaSet (beyond `revisionHistoryLimit`).
    Delete { name: String },
    /// Set the Deployment's `deployment.kubernetes.io/revision` annotation.
    Revision(String),
    /// Record an event (once the writes before it succeeded).
    Event(Event),
    /// Replace the Deployment's status.
    Status(Box<DeploymentStatus>),
}

/// What one sync does.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub struct Sync {
    pub writes: Vec<Write>,
    /// Look again after this long even without a change (to notice a missed progress deadline).
    pub requeue_after: Option<Duration>,
}

/// One sync of `d`, given the ReplicaSets of its namespace, its namespace's pods (only looked at for `Recreate`) and
/// the time.
pub fn sync(d: &Deployment, replica_sets: &[ReplicaSet], pods: &[Pod], now: Timestamp) -> Sync {
    let mut rollout = Rollout {
        d,
        now,
        namespace_replica_sets: replica_sets,
        status: d.status.clone().unwrap_or_default(),
        revision: d.metadata.annotations.as_ref().and_then(|a| a.get(util::REVISION)).cloned(),
        rses: Vec::new(),
        writes: Vec::new(),
        aborted: false,
    };
    let spec = d.spec.clone().unwrap_or_default();
    let selector = &spec.selector;
    if selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector.match_expressions.as_ref().is_none_or(|m| m.is_empty())
    {
        rollout.event(
            Type::Warning,
            "SelectingAll",
            "This deployment is selecting all pods. A non-empty selector is required.".to_owned(),
        );
        if rollout.status.observed_generation.unwrap_or(0) < d.metadata.generation.unwrap_or(0) {
            rollout.status.observed_generation = d.metadata.generation;
        }
        let status = rollout.status.clone();
        return rollout.finish(status);
    }
    rollout.claim();
    if d.metadata.deletion_timestamp.is_some() {
        let (new, old) = rollout.replica_sets(false).unwrap_or_default();
        return rollout.sync_status(&old, new);
    }
    rollout.check_paused_conditions();
    if spec.paused == Some(true) || rollout.is_scaling_event() {
        return rollout.sync_scale();
    }
    if util::is_rolling(d) { rollout.rolling() } else { rollout.recreate(pods) }
}

/// The state of one sync: the Deployment's status and revision as kube's in-memory copy has them, and working
/// copies of the ReplicaSets it controls, changed as kube's writes would change them.
struct Rollout<'a> {
    d: &'a Deployment,
    now: Timestamp,
    namespace_replica_sets: &'a [ReplicaSet],
    status: DeploymentStatus,
    revision: Option<String>,
    rses: Vec<ReplicaSet>,
    writes: Vec<Write>,
    /// The sync stopped as kube's does on an error: no status is written, and it is tried again.
    aborted: bool,
}

/// How soon an aborted sync is tried again (the ReplicaSet status it waits for usually wakes it first).
const ABORT_RETRY: Duration = Duration::from_secs(1);

/// A hash collision: a ReplicaSet of the new name exists with another template.
struct Collision;

impl Rollout<'_> {
    fn event(&mut self, kind: Type, reason: &'static str, message: String) {
        self.writes.push(Write::Event(Event { kind, reason, message }));
    }

    fn name(&self, i: usize) -> &str {
        self.rses[i].metadata.name.as_deref().unwrap_or_default()
    }

    /// `getReplicaSetsForDeployment`: the ReplicaSets it controls and its selector matches; matching orphans are
    /// adopted, controlled ones it no longer matches released.
    fn claim(&mut self) {
        let d = self.d;
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let selector = d.spec.as_ref().map(|s| &s.selector);
        let deleting = d.metadata.deletion_timestamp.is_some();
        for rs in self.namespace_replica_sets {
            let matches = selects(selector, &rs.metadata);
            let name = rs.metadata.name.clone().unwrap_or_default();
            let references = rs.metadata.owner_references.clone().unwrap_or_default();
            match controller_of(&rs.metadata) {
                Some(owner) if owner.uid == uid => {
                    if matches {
                        self.rses.push(rs.clone());
                    } else if !deleting && rs.metadata.deletion_timestamp.is_none() {
                        let owner_references = references.into_iter().filter(|r| r.uid != uid).collect();
                        self.writes.push(Write::OwnerReferences { name, owner_references });
                    }
                }
                None if matches && !deleting && rs.metadata.deletion_timestamp.is_none() => {
                    let mut owner_references = references;
                    owner_references.push(controller_reference(d));
                    let mut adopted = rs.clone();
                    adopted.metadata.owner_references = Some(owner_references.clone());
                    self.writes.push(Write::OwnerReferences { name, owner_references });
                    self.rses.push(adopted);
                }
                _ => {}
            }
        }
    }

    /// `checkPausedConditions`: `Progressing` Unknown with `DeploymentPaused` while paused, `DeploymentResumed`
    /// once resumed, unless the deadline was already missed.
    fn check_paused_conditions(&mut self) {
        if !has_progress_deadline(self.d) {
            return;
        }
        let current = condition(&self.status, PROGRESSING);
        if current.is_some_and(|c| c.reason.as_deref() == Some(TIMED_OUT)) {
            return;
        }
        let paused_condition = current.is_some_and(|c| c.reason.as_deref() == Some(PAUSED));
        let paused = self.d.spec.as_ref().and_then(|s| s.paused) == Some(true);
        if paused && !paused_condition {
            let condition = new_condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused".to_owned(), self.now);
            set_condition(&mut self.status, condition);
        } else if !paused && paused_condition {
            let condition =
                new_condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed".to_owned(), self.now);
            set_condition(&mut self.status, condition);
        }
    }

    /// The ReplicaSets' indices ordered oldest first (by creation, then name).
    fn by_creation(&self, mut indices: Vec<usize>) -> Vec<usize> {
        indices.sort_by(|a, b| by_creation(&self.rses[*a], &self.rses[*b]));
        indices
    }

    /// `getAllReplicaSetsAndSyncRevision`: the new ReplicaSet (the oldest with the Deployment's template; created
    /// when `create` and there is none) and all the others.
    fn replica_sets(&mut self, create: bool) -> Result<(Option<usize>, Vec<usize>), Collision> {
        let template = self.d.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
        let existing = self.by_creation((0..self.rses.len()).collect()).into_iter().find(|i| {
            self.rses[*i]
                .spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .is_some_and(|t| util::equal_ignore_hash(t, &template))
        });
        let old: Vec<usize> = (0..self.rses.len()).filter(|i| Some(*i) != existing).collect();
        let new = self.new_replica_set(existing, &old, create)?;
        Ok((new, old))
    }

    /// `getNewReplicaSet`.
    fn new_replica_set(
        &mut self,
        existing: Option<usize>,
        old: &[usize],
        create: bool,
    ) -> Result<Option<usize>, Collision> {
        let d = self.d;
        let max_old_revision = old.iter().map(|i| util::revision(&self.rses[*i])).max().unwrap_or(0);
        let new_revision = (max_old_revision + 1).to_string();
        let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
        if let Some(i) = existing {
            let mut copy = self.rses[i].clone();
            let annotations_updated = util::set_new_rs_annotations(d, &mut copy, &new_revision, true);
            let spec = copy.spec.get_or_insert_with(Default::default);
            if annotations_updated || spec.min_ready_seconds.unwrap_or(0) != min_ready {
                spec.min_ready_seconds = (min_ready != 0).then_some(min_ready);
                self.update(i, copy);
                return Ok(Some(i));
            }
            let revision = copy.metadata.annotations.as_ref().and_then(|a| a.get(util::REVISION)).cloned();
            self.set_revision(revision.unwrap_or_default());
            if has_progress_deadline(d) && condition(&self.status, PROGRESSING).is_none() {
                let message = format!("Found new replica set \"{}\"", self.name(i));
                set_condition(&mut self.status, new_condition(PROGRESSING, "True", FOUND_NEW_RS, message, self.now));
            }
            return Ok(Some(i));
        }
        if !create {
            return Ok(None);
        }
        let template = d.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
        let hash = util::pod_template_hash(&template, self.status.collision_count);
        let mut rs = util::new_replica_set(d, &hash, self.now);
        if self.namespace_replica_sets.iter().any(|other| other.metadata.name == rs.metadata.name) {
            // Taken by a ReplicaSet with another template (one with this template would be the new one): count the
            // collision, which changes the hash of the next sync.
            *self.status.collision_count.get_or_insert(0) += 1;
            return Err(Collision);
        }
        let mut all: Vec<&ReplicaSet> = old.iter().map(|i| &self.rses[*i]).collect();
        all.push(&rs);
        let count = new_rs_new_replicas(d, &all, &rs);
        rs.spec.get_or_insert_with(Default::default).replicas = Some(count);
        util::set_new_rs_annotations(d, &mut rs, &new_revision, false);
        let name = rs.metadata.name.clone().unwrap_or_default();
        self.writes.push(Write::Create(Box::new(rs.clone())));
        self.rses.push(rs);
        if count > 0 {
            self.event(Type::Normal, "ScalingReplicaSet", format!("Scaled up replica set {name} from 0 to {count}"));
        }
        self.set_revision(new_revision);
        if has_progress_deadline(d) {
            let message = format!("Created new replica set \"{name}\"");
            set_condition(&mut self.status, new_condition(PROGRESSING, "True", NEW_RS_CREATED, message, self.now));
        }
        Ok(Some(self.rses.len() - 1))
    }

    /// `SetDeploymentRevision`.
    fn set_revision(&mut self, revision: String) {
        if self.revision.as_deref() != Some(revision.as_str()) {
            self.revision = Some(revision.clone());
            self.writes.push(Write::Revision(revision));
        }
    }

    /// Records a change to ReplicaSet `i`: one write per ReplicaSet per sync (a create stays a create).
    fn update(&mut self, i: usize, rs: ReplicaSet) {
        self.rses[i] = rs.clone();
        for write in &mut self.writes {
            match write {
                Write::Create(existing) | Write::Update(existing) if existing.metadata.name == rs.metadata.name => {
                    **existing = rs;
                    return;
                }
                _ => {}
            }
        }
        self.writes.push(Write::Update(Box::new(rs)));
    }

    /// `scaleReplicaSetAndRecordEvent`: whether the ReplicaSet was scaled.
    fn scale_if_needed(&mut self, i: usize, new_scale: i32) -> bool {
        if rs_replicas(&self.rses[i]) == new_scale {
            return false;
        }
        self.scale(i, new_scale)
    }

    /// `scaleReplicaSet`: sets the size and the replica annotations; whether the size changed.
    fn scale(&mut self, i: usize, new_scale: i32) -> bool {
        let d = self.d;
        let old_scale = rs_replicas(&self.rses[i]);
        let (desired, max) = (replicas(d), replicas(d) + max_surge(d));
        let size_changes = old_scale != new_scale;
        if !size_changes && !util::replicas_annotations_need_update(&self.rses[i], desired, max) {
            return false;
        }
        let mut copy = self.rses[i].clone();
        copy.spec.get_or_insert_with(Default::default).replicas = Some(new_scale);
        util::set_replicas_annotations(&mut copy, desired, max);
        self.update(i, copy);
        if size_changes {
            let direction = if old_scale < new_scale { "up" } else { "down" };
            let message = format!("Scaled {direction} replica set {} from {old_scale} to {new_scale}", self.name(i));
            self.event(Type::Normal, "ScalingReplicaSet", message);
        }
        size_changes
    }

    fn active(&self, indices: &[usize]) -> Vec<usize> {
        indices.iter().copied().filter(|i| rs_replicas(&self.rses[*i]) > 0).collect()
    }

    fn sum(&self, indices: &[usize], count: impl Fn(&ReplicaSet) -> i32) -> i32 {
        indices.iter().map(|i| count(&self.rses[*i])).sum()
    }

    /// `isScalingEvent`: an active ReplicaSet was sized for another `spec.replicas`.
    fn is_scaling_event(&mut self) -> bool {
        let Ok((new, old)) = self.replica_sets(false) else { return false };
        let all: Vec<usize> = old.into_iter().chain(new).collect();
        self.active(&all)
            .into_iter()
            .filter_map(|i| util::int_annotation(&self.rses[i], util::DESIRED_REPLICAS))
            .any(|desired| desired != replicas(self.d))
    }

    /// `sync`: for a paused Deployment or a change of `spec.replicas`, scale without rolling.
    fn sync_scale(mut self) -> Sync {
        let Ok((new, old)) = self.replica_sets(false) else { return self.collided() };
        self.scale_proportionally(new, &old);
        if self.d.spec.as_ref().and_then(|s| s.paused) == Some(true) {
            self.cleanup(&old);
        }
        self.sync_status(&old, new)
    }

    /// `scale`: one active ReplicaSet (or none: the newest) takes all the replicas; a saturated new one means the
    /// old go to 0; otherwise a rolling Deployment spreads the change over the active ReplicaSets in proportion.
    fn scale_proportionally(&mut self, new: Option<usize>, old: &[usize]) {
        let d = self.d;
        let wanted = replicas(d);
        if let Some(i) = self.active_or_latest(new, old) {
            if rs_replicas(&self.rses[i]) != wanted {
                self.scale_if_needed(i, wanted);
            }
            return;
        }
        if new.is_some_and(|i| self.is_saturated(i)) {
            for i in self.active(old) {
                self.scale_if_needed(i, 0);
            }
            return;
        }
        if !util::is_rolling(d) {
            return;
        }
        let mut all = self.active(&old.iter().copied().chain(new).collect::<Vec<_>>());
        let current = self.sum(&all, rs_replicas);
        let allowed = if wanted > 0 { wanted + max_surge(d) } else { 0 };
        let to_add = allowed - current;
        match to_add.cmp(&0) {
            // Larger first; among equals, newer first when scaling up, older first when scaling down.
            Ordering::Greater => all.sort_by(|a, b| {
                rs_replicas(&self.rses[*b])
                    .cmp(&rs_replicas(&self.rses[*a]))
                    .then_with(|| by_creation(&self.rses[*b], &self.rses[*a]))
            }),
            Ordering::Less => all.sort_by(|a, b| {
                rs_replicas(&self.rses[*b])
                    .cmp(&rs_replicas(&self.rses[*a]))
                    .then_with(|| by_creation(&self.rses[*a], &self.rses[*b]))
            }),
            Ordering::Equal => {}
        }
        let mut added = 0;
        let mut sizes = Vec::new();
        for i in &all {
            let size = rs_replicas(&self.rses[*i]);
            if to_add != 0 {
                let proportion = self.proportion(*i, to_add, added);
                sizes.push(size + proportion);
                added += proportion;
            } else {
                sizes.push(size);
            }
        }
        for (k, i) in all.into_iter().enumerate() {
            if k == 0 && to_add != 0 {
                // The leftover of rounding goes to the largest.
                sizes[0] = (sizes[0] + to_add - added).max(0);
            }
            self.scale(i, sizes[k]);
        }
    }

    /// `FindActiveOrLatest`.
    fn active_or_latest(&self, new: Option<usize>, old: &[usize]) -> Option<usize> {
        if new.is_none() && old.is_empty() {
            return None;
        }
        let mut newest_first = self.by_creation(old.to_vec());
        newest_first.reverse();
        let all: Vec<usize> = newest_first.iter().copied().chain(new).collect();
        let active = self.active(&all);
        match active.len() {
            0 => new.or_else(|| newest_first.first().copied()),
            1 => Some(active[0]),
            _ => None,
        }
    }

    /// `IsSaturated`: the new ReplicaSet has all the replicas, sized for them, all available.
    fn is_saturated(&self, i: usize) -> bool {
        let rs = &self.rses[i];
        let wanted = replicas(self.d);
        let available = rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0);
        util::int_annotation(rs, util::DESIRED_REPLICAS) == Some(wanted)
            && rs_replicas(rs) == wanted
            && available == wanted
    }

    /// `GetReplicaSetProportion`: this ReplicaSet's share of `to_add`, within what is left of it.
    fn proportion(&self, i: usize, to_add: i32, added: i32) -> i32 {
        let rs = &self.rses[i];
        let size = rs_replicas(rs);
        if size == 0 || to_add == 0 || to_add == added {
            return 0;
        }
        let fraction = self.fraction(rs);
        let allowed = to_add - added;
        if to_add > 0 { fraction.min(allowed) } else { fraction.max(allowed) }
    }

    /// `getReplicaSetFraction`: how many replicas the ReplicaSet gains or loses if it keeps its share of the
    /// Deployment's maximum size.
    fn fraction(&self, rs: &ReplicaSet) -> i32 {
        let d = self.d;
        let size = rs_replicas(rs);
        if replicas(d) == 0 {
            return -size;
        }
        let max = replicas(d) + max_surge(d);
        let before = match util::int_annotation(rs, util::MAX_REPLICAS) {
            Some(before) if before != 0 => before,
            _ => match self.d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0) {
                0 => return 0,
                replicas => replicas,
            },
        };
        let new_size = (f64::from(size) * f64::from(max) / f64::from(before)).round();
        // In range: the sizes are i32 and the ratio is modest.
        #[allow(clippy::cast_possible_truncation)]
        let new_size = new_size as i32;
        new_size - size
    }

    /// `rolloutRolling`.
    fn rolling(mut self) -> Sync {
        let Ok((Some(new), old)) = self.replica_sets(true) else { return self.collided() };
        if self.reconcile_new(&old, new) {
            return self.sync_rollout_status(&old, Some(new));
        }
        let active_old = self.active(&old);
        let scaled_down = self.reconcile_old(&old, &active_old, new);
        if self.aborted {
            return Sync { writes: self.writes, requeue_after: Some(ABORT_RETRY) };
        }
        if scaled_down {
            return self.sync_rollout_status(&old, Some(new));
        }
        if deployment_complete(self.d, &self.status) {
            self.cleanup(&old);
        }
        self.sync_rollout_status(&old, Some(new))
    }

    /// `reconcileNewReplicaSet`: scale the new ReplicaSet down to the replicas, or up as far as maxSurge allows.
    fn reconcile_new(&mut self, old: &[usize], new: usize) -> bool {
        let wanted = replicas(self.d);
        let size = rs_replicas(&self.rses[new]);
        if size == wanted {
            return false;
        }
        if size > wanted {
            return self.scale_if_needed(new, wanted);
        }
        let all: Vec<&ReplicaSet> = old.iter().chain([&new]).map(|i| &self.rses[*i]).collect();
        let count = new_rs_new_replicas(self.d, &all, &self.rses[new]);
        self.scale_if_needed(new, count)
    }

    /// `reconcileOldReplicaSets`: scale old ReplicaSets down as far as availability allows, their unhealthy
    /// replicas first.
    fn reconcile_old(&mut self, old: &[usize], active_old: &[usize], new: usize) -> bool {
        if self.sum(active_old, rs_replicas) == 0 {
            return false;
        }
        let all: Vec<usize> = old.iter().copied().chain([new]).collect();
        let all_pods = self.sum(&all, rs_replicas);
        let min_available = replicas(self.d) - max_unavailable(self.d);
        let new_unavailable = rs_replicas(&self.rses[new]) - available(&self.rses[new]);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        let cleaned = self.cleanup_unhealthy(active_old, max_scaled_down);
        if self.aborted {
            return true;
        }
        let active_and_new: Vec<usize> = active_old.iter().copied().chain([new]).collect();
        let scaled = self.scale_down_old(&active_and_new, active_old);
        cleaned + scaled > 0
    }

    /// `cleanupUnhealthyReplicas`: take away old replicas that are not available, up to `max`.
    fn cleanup_unhealthy(&mut self, old: &[usize], max: i32) -> i32 {
        let mut total = 0;
        for i in self.by_creation(old.to_vec()) {
            if total >= max {
                break;
            }
            let (size, available) = (rs_replicas(&self.rses[i]), available(&self.rses[i]));
            if size == 0 || size == available {
                continue;
            }
            let count = (max - total).min(size - available);
            if count < 0 {
                // More available than wanted: the ReplicaSet's status lags its scale-down. kube refuses ("got
                // invalid request to scale down") and tries again; so does this sync.
                self.aborted = true;
                return total;
            }
            self.scale_if_needed(i, size - count);
            total += count;
        }
        total
    }

    /// `scaleDownOldReplicaSetsForRollingUpdate`: take away old replicas while more than the minimum are
    /// available, oldest ReplicaSets first.
    fn scale_down_old(&mut self, all: &[usize], old: &[usize]) -> i32 {
        let min_available = replicas(self.d) - max_unavailable(self.d);
        let available_pods = self.sum(all, available);
        if available_pods <= min_available {
            return 0;
        }
        let to_scale_down = available_pods - min_available;
        let mut total = 0;
        for i in self.by_creation(old.to_vec()) {
            if total >= to_scale_down {
                break;
            }
            let size = rs_replicas(&self.rses[i]);
            if size == 0 {
                continue;
            }
            let count = size.min(to_scale_down - total);
            self.scale_if_needed(i, size - count);
            total += count;
        }
        total
    }

    /// `rolloutRecreate`: old ReplicaSets to 0, then, once none of their pods runs, the new one to the replicas.
    fn recreate(mut self, pods: &[Pod]) -> Sync {
        let Ok((new, old)) = self.replica_sets(false) else { return self.collided() };
        let mut scaled_down = false;
        for i in self.active(&old) {
            scaled_down |= self.scale_if_needed(i, 0);
        }
        if scaled_down || self.old_pods_running(new, &old, pods) {
            return self.sync_rollout_status(&old, new);
        }
        let (new, old) = match new {
            Some(new) => (new, old),
            None => match self.replica_sets(true) {
                Ok((Some(new), old)) => (new, old),
                _ => return self.collided(),
            },
        };
        self.scale_if_needed(new, replicas(self.d));
        if deployment_complete(self.d, &self.status) {
            self.cleanup(&old);
        }
        self.sync_rollout_status(&old, Some(new))
    }

    /// `oldPodsRunning`: an old ReplicaSet still reports pods, or a pod of one (even terminating) has not finished.
    fn old_pods_running(&self, new: Option<usize>, old: &[usize], pods: &[Pod]) -> bool {
        if self.sum(old, |rs| rs.status.as_ref().map_or(0, |s| s.replicas)) > 0 {
            return true;
        }
        let selector = self.d.spec.as_ref().map(|s| &s.selector);
        let new_uid = new.and_then(|i| self.rses[i].metadata.uid.clone());
        let old_uids: Vec<&str> = old.iter().filter_map(|i| self.rses[*i].metadata.uid.as_deref()).collect();
        pods.iter().filter(|pod| selects(selector, &pod.metadata)).any(|pod| {
            let Some(owner) = controller_of(&pod.metadata) else { return false };
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            Some(&owner.uid) != new_uid.as_ref()
                && old_uids.contains(&owner.uid.as_str())
                && !matches!(phase, Some("Failed" | "Succeeded"))
        })
    }

    /// `cleanupDeployment`: delete the oldest revisions beyond `revisionHistoryLimit`, if they are scaled to 0
    /// and settled.
    fn cleanup(&mut self, old: &[usize]) {
        let Some(limit) = self.d.spec.as_ref().and_then(|s| s.revision_history_limit).filter(|l| *l != i32::MAX) else {
            return;
        };
        let mut cleanable: Vec<usize> =
            old.iter().copied().filter(|i| self.rses[*i].metadata.deletion_timestamp.is_none()).collect();
        let excess = i32::try_from(cleanable.len()).unwrap_or(i32::MAX) - limit;
        if excess <= 0 {
            return;
        }
        cleanable.sort_by(|a, b| {
            let (a, b) = (&self.rses[*a], &self.rses[*b]);
            match (util::revision(a), util::revision(b)) {
                (ra, rb) if ra != rb => ra.cmp(&rb),
                _ => by_creation(a, b),
            }
        });
        for i in cleanable.into_iter().take(usize::try_from(excess).unwrap_or(0)) {
            let rs = &self.rses[i];
            let status = rs.status.clone().unwrap_or_default();
            if status.replicas != 0
                || rs_replicas(rs) != 0
                || rs.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0)
            {
                continue;
            }
            let name = self.name(i).to_owned();
            self.writes.push(Write::Delete { name });
        }
    }

    /// `calculateStatus`: the counts over the ReplicaSets, and `Available` from the minimum availability.
    fn calculate_status(&self, old: &[usize], new: Option<usize>) -> DeploymentStatus {
        let all: Vec<usize> = old.iter().copied().chain(new).collect();
        let available_replicas = self.sum(&all, available);
        let unavailable = (self.sum(&all, rs_replicas) - available_replicas).max(0);
        let actual = |rs: &ReplicaSet| rs.status.as_ref().map_or(0, |s| s.replicas);
        let mut status = DeploymentStatus {
            observed_generation: self.d.metadata.generation,
            replicas: Some(self.sum(&all, actual)),
            updated_replicas: Some(new.map_or(0, |i| actual(&self.rses[i]))),
            ready_replicas: Some(self.sum(&all, |rs| rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0))),
            available_replicas: Some(available_replicas),
            unavailable_replicas: Some(unavailable),
            collision_count: self.status.collision_count,
            conditions: self.status.conditions.clone(),
            terminating_replicas: None,
        };
        let condition = if available_replicas >= replicas(self.d) - max_unavailable(self.d) {
            let message = "Deployment has minimum availability.".to_owned();
            new_condition(AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, message, self.now)
        } else {
            let message = "Deployment does not have minimum availability.".to_owned();
            new_condition(AVAILABLE, "False", MINIMUM_REPLICAS_UNAVAILABLE, message, self.now)
        };
        set_condition(&mut status, condition);
        normalized(status)
    }

    /// `syncDeploymentStatus`.
    fn sync_status(self, old: &[usize], new: Option<usize>) -> Sync {
        let status = self.calculate_status(old, new);
        self.finish(status)
    }

    /// `syncRolloutStatus`: the status with the `Progressing` condition (created, progressing, complete, or past
    /// its deadline) and any `ReplicaFailure` of the ReplicaSets.
    fn sync_rollout_status(self, old: &[usize], new: Option<usize>) -> Sync {
        let d = self.d;
        let mut status = self.calculate_status(old, new);
        if !has_progress_deadline(d) {
            util::remove_condition(&mut status, PROGRESSING);
        }
        let current = condition(&self.status, PROGRESSING).cloned();
        let complete_before = status.replicas == status.updated_replicas
            && current.as_ref().is_some_and(|c| c.reason.as_deref() == Some(NEW_RS_AVAILABLE));
        let new_name = new.map(|i| self.name(i).to_owned());
        let subject = match &new_name {
            Some(name) => format!("ReplicaSet \"{name}\""),
            None => format!("Deployment \"{}\"", d.metadata.name.as_deref().unwrap_or_default()),
        };
        if has_progress_deadline(d) && !complete_before {
            if deployment_complete(d, &status) {
                let message = format!("{subject} has successfully progressed.");
                set_condition(&mut status, new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, message, self.now));
            } else if deployment_progressing(&self.status, &status) {
                let message = format!("{subject} is progressing.");
                let mut condition = new_condition(PROGRESSING, "True", RS_UPDATED, message, self.now);
                // Progress moves lastUpdateTime even with the same reason; the transition time stays while True.
                if let Some(current) = &current {
                    if current.status == "True" {
                        condition.last_transition_time = current.last_transition_time.clone();
                    }
                    util::remove_condition(&mut status, PROGRESSING);
                }
                set_condition(&mut status, condition);
            } else if timed_out(d, &status, self.now) {
                let message = format!("{subject} has timed out progressing.");
                set_condition(&mut status, new_condition(PROGRESSING, "False", TIMED_OUT, message, self.now));
            }
        }
        match self.replica_failure(old, new) {
            Some(failure) => set_condition(&mut status, failure),
            None => util::remove_condition(&mut status, REPLICA_FAILURE),
        }
        let requeue_after = self.stuck_requeue(&status);
        let mut sync = self.finish(normalized(status));
        sync.requeue_after = requeue_after;
        sync
    }

    /// `getReplicaFailures`: the new ReplicaSet's `ReplicaFailure`, else an old one's.
    fn replica_failure(
        &self,
        old: &[usize],
        new: Option<usize>,
    ) -> Option<k8s_openapi::api::apps::v1::DeploymentCondition> {
        let failure = |i: usize| {
            let conditions = self.rses[i].status.as_ref()?.conditions.as_ref()?;
            conditions.iter().find(|c| c.type_ == REPLICA_FAILURE).cloned()
        };
        let found = new.and_then(failure).or_else(|| old.iter().copied().chain(new).find_map(failure))?;
        Some(k8s_openapi::api::apps::v1::DeploymentCondition {
            type_: REPLICA_FAILURE.to_owned(),
            status: found.status,
            reason: found.reason,
            message: found.message,
            last_update_time: found.last_transition_time.clone(),
            last_transition_time: found.last_transition_time,
        })
    }

    /// `requeueStuckDeployment`: when a rollout is under way, look again when its deadline passes.
    fn stuck_requeue(&self, new_status: &DeploymentStatus) -> Option<Duration> {
        let d = self.d;
        let current = condition(&self.status, PROGRESSING)?;
        let deadline =
            d.spec.as_ref().and_then(|s| s.progress_deadline_seconds).filter(|_| has_progress_deadline(d))?;
        if deployment_complete(d, new_status) || current.reason.as_deref() == Some(TIMED_OUT) {
            return None;
        }
        let updated = current.last_update_time.as_ref()?.0.as_second();
        let after = updated + i64::from(deadline) - self.now.as_second();
        Some(Duration::from_secs(u64::try_from(after.max(0)).unwrap_or(0) + 1))
    }

    /// The sync after a hash collision: only the raised collision count.
    fn collided(self) -> Sync {
        let status = self.status.clone();
        self.finish(status)
    }

    /// Ends the sync: the status is written if it differs from the Deployment's.
    fn finish(mut self, status: DeploymentStatus) -> Sync {
        let status = normalized(status);
        if normalized(self.d.status.clone().unwrap_or_default()) != status {
            self.writes.push(Write::Status(Box::new(status)));
        }
        Sync { writes: self.writes, requeue_after: None }
    }
}

/// `NewRSNewReplicas`: what the new ReplicaSet may grow to now.
fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new: &ReplicaSet) -> i32 {
    let wanted = replicas(d);
    if !util::is_rolling(d) {
        return wanted;
    }
    let current: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let max_total = wanted + max_surge(d);
    let size = rs_replicas(new);
    if current >= max_total {
        return size;
    }
    size + (max_total - current).min(wanted - size)
}

fn available(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0)
}

/// `ReplicaSetsByCreationTimestamp`: older first, then by name.
fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    let created = |rs: &ReplicaSet| rs.metadata.creation_timestamp.as_ref().map(|t| t.0);
    created(a).cmp(&created(b)).then_with(|| a.metadata.name.cmp(&b.metadata.name))
}
