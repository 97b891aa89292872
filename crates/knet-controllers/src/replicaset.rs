//! The replicaset controller, as kube-controller-manager's: a ReplicaSet keeps `spec.replicas` active pods made from
//! its template. `plan` is the decision, a pure function from a ReplicaSet, the pods of its namespace and the time to
//! the pods to adopt, release, create and delete and the status to report; `run` is the loop around it, woken by any
//! change to a ReplicaSet or to a pod it controls (or could adopt).
//!
//! ```text
//!   [ReplicaSet] -selector-> [Pod]   (counted only with a controller ownerReference to the ReplicaSet's uid)
//!        │ spec.template --create (generateName "<rs>-")--> [Pod] ; excess pods deleted, least valuable first
//!        └ status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration
//! ```
//!
//! Pods are listed from the API server on every reconcile rather than from a cache, so the controller needs no
//! "expectations" (kube's guard against acting twice on a lagging cache). Selectors are matched by the model's
//! `Selector` (through `selects`, which the deployment controller shares).

mod ranking;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use knet_model::selector::Selector;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};

use crate::events::Type;
use crate::{Context, Error, Result};

/// The component name on what this controller writes and on its events.
pub const COMPONENT: &str = "replicaset-controller";
/// The condition a ReplicaSet carries while it fails to create or delete pods.
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// What the controller does for one ReplicaSet, in this order.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Pods without a controller that match the selector: set the ReplicaSet as their controller.
    pub adopt: Vec<String>,
    /// Pods the ReplicaSet controls that its selector no longer matches: take its ownerReference off them.
    pub release: Vec<String>,
    /// How many pods to create from the template (`pod_from_template`).
    pub create: usize,
    /// Pods to delete, least valuable first (kube's ranking).
    pub delete: Vec<String>,
    /// The status the pods as they are give (kube reports what it saw before acting, and looks again on the
    /// events its actions cause).
    pub status: ReplicaSetStatus,
    /// Look again after this long even without a change: a ready pod becomes available `minReadySeconds` later.
    pub requeue_after: Option<Duration>,
}

/// Runs the controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    let client = context.client.clone();
    let controller = Controller::new(Api::<ReplicaSet>::all(client.clone()), watcher::Config::default());
    let replica_sets = controller.store();
    controller
        // One pod stream for both: a controlled pod wakes its ReplicaSet, an orphan every ReplicaSet that could adopt
        // it.
        .watches(Api::<Pod>::all(client), watcher::Config::default(), move |pod| {
            if let Some(owner) = controller_of(&pod.metadata) {
                if owner.kind != "ReplicaSet" || !owner.api_version.starts_with("apps/") {
                    return Vec::new();
                }
                let namespace = pod.namespace().unwrap_or_default();
                return vec![ObjectRef::<ReplicaSet>::new(&owner.name).within(&namespace)];
            }
            let namespace = pod.namespace();
            replica_sets
                .state()
                .into_iter()
                .filter(|rs| {
                    rs.namespace() == namespace && selects(rs.spec.as_ref().map(|s| &s.selector), &pod.metadata)
                })
                .map(|rs| ObjectRef::from_obj(&*rs))
                .collect()
        })
        .run(reconcile, |_, error, _| crate::retry(COMPONENT, error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

async fn reconcile(rs: Arc<ReplicaSet>, context: Arc<Context>) -> Result<Requeue> {
    let namespace = rs.namespace().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(context.client.clone(), &namespace);
    let listed = pods.list(&ListParams::default()).await?.items;
    let plan = plan(&rs, &listed, crate::now());
    let patch_params = PatchParams { field_manager: Some(COMPONENT.to_owned()), ..Default::default() };
    let owner = controller_reference(&*rs);
    for (names, adopting) in [(&plan.adopt, true), (&plan.release, false)] {
        for name in names {
            let Some(pod) = listed.iter().find(|p| p.metadata.name.as_deref() == Some(name.as_str())) else { continue };
            let mut references: Vec<OwnerReference> = pod.metadata.owner_references.clone().unwrap_or_default();
            references.retain(|r| r.uid != owner.uid);
            if adopting {
                references.push(owner.clone());
            }
            let patch = json!({ "metadata": { "ownerReferences": references } });
            crate::ignore_not_found(pods.patch(name, &patch_params, &Patch::Merge(&patch)).await)?;
        }
    }
    let mut failure: Option<(&str, Error)> = None;
    if plan.create > 0 {
        let pod = pod_from_template(&rs);
        let post = PostParams { field_manager: Some(COMPONENT.to_owned()), ..Default::default() };
        for _ in 0..plan.create {
            match pods.create(&post, &pod).await {
                Ok(created) => {
                    let message = format!("Created pod: {}", created.name_any());
                    context.events.record(COMPONENT, &*rs, Type::Normal, "SuccessfulCreate", &message).await;
                }
                Err(error) => {
                    let message = format!("Error creating: {}", api_message(&error));
                    context.events.record(COMPONENT, &*rs, Type::Warning, "FailedCreate", &message).await;
                    failure = Some(("FailedCreate", error.into()));
                    break;
                }
            }
        }
    }
    for name in &plan.delete {
        match pods.delete(name, &DeleteParams::default()).await {
            Ok(_) => {
                let message = format!("Deleted pod: {name}");
                context.events.record(COMPONENT, &*rs, Type::Normal, "SuccessfulDelete", &message).await;
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => {
                let message = format!("Error deleting: {}", api_message(&error));
                context.events.record(COMPONENT, &*rs, Type::Warning, "FailedDelete", &message).await;
                failure.get_or_insert(("FailedDelete", error.into()));
            }
        }
    }
    let mut status = plan.status;
    if let Some((reason, error)) = &failure {
        set_failure(&mut status, rs.status.as_ref(), reason, &api_message_of(error), crate::now());
    }
    if normalized(rs.status.clone().unwrap_or_default()) != normalized(status.clone()) {
        let replica_sets: Api<ReplicaSet> = Api::namespaced(context.client.clone(), &namespace);
        let patch = json!({ "status": status_patch(&status, RS_STATUS_FIELDS) });
        crate::ignore_not_found(replica_sets.patch_status(&rs.name_any(), &patch_params, &Patch::Merge(&patch)).await)?;
    }
    if let Some((_, error)) = failure {
        return Err(error);
    }
    Ok(plan.requeue_after.map_or_else(Requeue::await_change, Requeue::requeue))
}

/// The message of an API error as kube's events quote it (the `Status` message), or the error itself.
fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

fn api_message_of(error: &Error) -> String {
    match error {
        Error::Kube(error) => api_message(error),
        other => other.to_string(),
    }
}

/// What the controller does for `rs`, given the pods of its namespace, at `now`.
pub fn plan(rs: &ReplicaSet, pods: &[Pod], now: Timestamp) -> Plan {
    let uid = rs.metadata.uid.clone().unwrap_or_default();
    let selector = rs.spec.as_ref().map(|s| &s.selector);
    let deleting = rs.metadata.deletion_timestamp.is_some();
    let mut adopt = Vec::new();
    let mut release = Vec::new();
    let mut active: Vec<&Pod> = Vec::new();
    // `claimPods`: keep the controlled pods the selector matches, release the others, adopt matching orphans; only
    // active pods are looked at (kube filters before claiming).
    for pod in pods.iter().filter(|p| is_active(p)) {
        let matches = selects(selector, &pod.metadata);
        match controller_of(&pod.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches {
                    active.push(pod);
                } else if !deleting {
                    release.push(pod.metadata.name.clone().unwrap_or_default());
                }
            }
            Some(_) => {}
            None if matches && !deleting && pod.metadata.namespace == rs.metadata.namespace => {
                adopt.push(pod.metadata.name.clone().unwrap_or_default());
                active.push(pod);
            }
            None => {}
        }
    }
    let wanted = usize::try_from(replicas(rs)).unwrap_or(0);
    let (mut create, mut delete) = (0, Vec::new());
    if !deleting {
        if active.len() < wanted {
            create = (wanted - active.len()).min(BURST_REPLICAS);
        } else if active.len() > wanted {
            let excess = (active.len() - wanted).min(BURST_REPLICAS);
            let mut ranked = active.clone();
            if excess < ranked.len() {
                ranked.sort_by(|a, b| ranking::compare(a, b, now));
            }
            delete = ranked[..excess].iter().map(|p| p.metadata.name.clone().unwrap_or_default()).collect();
        }
    }
    let min_ready = rs.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
    let status = status(rs, &active, now);
    let requeue_after = next_availability(&active, min_ready, now);
    Plan { adopt, release, create, delete, status, requeue_after }
}

/// How many pods one reconcile creates or deletes at most (kube's `BurstReplicas`).
const BURST_REPLICAS: usize = 500;

/// `spec.replicas`, 1 when unset (the API server's default).
pub(crate) fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `calculateStatus`: the counts over the active pods the ReplicaSet controls; a `ReplicaFailure` condition is
/// dropped (it is set again by `set_failure` if this reconcile fails).
pub fn status(rs: &ReplicaSet, active: &[&Pod], now: Timestamp) -> ReplicaSetStatus {
    let template_labels = rs.spec.as_ref().and_then(|s| s.template.as_ref()).and_then(|t| t.metadata.as_ref());
    let template_labels = template_labels.and_then(|m| m.labels.clone()).unwrap_or_default();
    let min_ready = rs.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
    let mut status = rs.status.clone().unwrap_or_default();
    let (mut fully_labeled, mut ready, mut available) = (0, 0, 0);
    for pod in active {
        let labels = pod.metadata.labels.as_ref();
        if template_labels.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)) {
            fully_labeled += 1;
        }
        if is_ready(pod) {
            ready += 1;
            if is_available(pod, min_ready, now) {
                available += 1;
            }
        }
    }
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != REPLICA_FAILURE);
    }
    status.replicas = i32::try_from(active.len()).unwrap_or(i32::MAX);
    status.fully_labeled_replicas = Some(fully_labeled);
    status.ready_replicas = Some(ready);
    status.available_replicas = Some(available);
    status.observed_generation = rs.metadata.generation;
    normalized(status)
}

/// Adds the `ReplicaFailure` condition for a failed create or delete, unless the ReplicaSet already has one (kube
/// keeps the first failure's time and words until the failures stop).
pub fn set_failure(
    status: &mut ReplicaSetStatus,
    live: Option<&ReplicaSetStatus>,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    let existing = live.and_then(|s| s.conditions.as_ref()).and_then(|c| c.iter().find(|c| c.type_ == REPLICA_FAILURE));
    let condition = existing.cloned().unwrap_or_else(|| ReplicaSetCondition {
        type_: REPLICA_FAILURE.to_owned(),
        status: "True".to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message.to_owned()),
        last_transition_time: Some(Time(now)),
    });
    status.conditions.get_or_insert_with(Vec::new).push(condition);
}

/// The status as Go's `omitempty` serializes it: zero counts and an empty condition list left out, so a status read
/// back compares equal to the one written.
fn normalized(mut status: ReplicaSetStatus) -> ReplicaSetStatus {
    crate::omit_zeros([
        &mut status.fully_labeled_replicas,
        &mut status.ready_replicas,
        &mut status.available_replicas,
        &mut status.terminating_replicas,
    ]);
    crate::omit_zeros([&mut status.observed_generation]);
    if status.conditions.as_ref().is_some_and(Vec::is_empty) {
        status.conditions = None;
    }
    status
}

/// The optional fields of a ReplicaSet status, cleared explicitly by a merge patch when absent.
const RS_STATUS_FIELDS: &[&str] = &[
    "availableReplicas",
    "conditions",
    "fullyLabeledReplicas",
    "observedGeneration",
    "readyReplicas",
    "terminatingReplicas",
];

/// A status as a JSON merge patch: every optional field in `fields` that the status leaves out becomes `null`, so the
/// patch replaces the stored status as a whole.
pub(crate) fn status_patch<S: serde::Serialize>(status: &S, fields: &[&str]) -> Value {
    let mut value = serde_json::to_value(status).unwrap_or_else(|_| json!({}));
    if let Some(map) = value.as_object_mut() {
        for field in fields {
            map.entry(*field).or_insert(Value::Null);
        }
    }
    value
}

/// After how long the first ready but not yet available pod becomes available (a second late, to be past it).
fn next_availability(active: &[&Pod], min_ready: i32, now: Timestamp) -> Option<Duration> {
    if min_ready <= 0 {
        return None;
    }
    active
        .iter()
        .filter(|p| is_ready(p) && !is_available(p, min_ready, now))
        .filter_map(|p| ready_since(p))
        .map(|since| since.as_second() + i64::from(min_ready) - now.as_second())
        .min()
        .map(|seconds| Duration::from_secs(u64::try_from(seconds.max(0)).unwrap_or(0) + 1))
}

/// The pod the ReplicaSet creates: its template's labels, annotations, finalizers and spec, named by the API server
/// from `<rs>-`, controlled by the ReplicaSet (`GetPodFromTemplate`).
pub fn pod_from_template(rs: &ReplicaSet) -> Pod {
    let template = rs.spec.as_ref().and_then(|s| s.template.clone()).unwrap_or_default();
    let template_meta = template.metadata.unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", rs.name_any())),
            namespace: rs.metadata.namespace.clone(),
            labels: template_meta.labels,
            annotations: template_meta.annotations,
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![controller_reference(rs)]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    }
}

/// The controller ownerReference `object` puts on what it creates.
pub(crate) fn controller_reference<K: Resource<DynamicType = ()>>(object: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: object.meta().name.clone().unwrap_or_default(),
        uid: object.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The ownerReference marked `controller`, if any.
pub(crate) fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references.as_ref()?.iter().find(|r| r.controller == Some(true))
}

/// Whether a label selector selects an object with these labels, as `LabelSelectorAsSelector` reads it: no selector
/// selects nothing, an empty one everything, an invalid one (an unknown operator, say) nothing. The matching is the
/// model's, the project's one label-selector semantic.
pub(crate) fn selects(selector: Option<&LabelSelector>, meta: &ObjectMeta) -> bool {
    let Some(selector) = selector.and_then(|s| Selector::from_label_selector(s).ok()) else { return false };
    let empty = BTreeMap::new();
    selector.matches(meta.labels.as_ref().unwrap_or(&empty))
}

/// `IsPodActive`: not finished and not being deleted.
pub(crate) fn is_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    pod.metadata.deletion_timestamp.is_none() && !matches!(phase, Some("Succeeded" | "Failed"))
}

fn ready_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "Ready")
}

/// `IsPodReady`: the `Ready` condition is `True`.
pub(crate) fn is_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

/// When the pod last became ready (its `Ready` condition's transition time).
fn ready_since(pod: &Pod) -> Option<Timestamp> {
    ready_condition(pod).and_then(|c| c.last_transition_time.as_ref()).map(|t| t.0)
}

/// `IsPodAvailable`: ready, and for at least `min_ready` seconds.
pub(crate) fn is_available(pod: &Pod, min_ready: i32, now: Timestamp) -> bool {
    if !is_ready(pod) {
        return false;
    }
    if min_ready <= 0 {
        return true;
    }
    ready_since(pod).is_some_and(|since| since.as_second() + i64::from(min_ready) < now.as_second())
}

#[cfg(test)]
mod tests;
