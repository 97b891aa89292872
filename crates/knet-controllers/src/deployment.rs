//! The deployment controller, as kube-controller-manager's: a Deployment owns one ReplicaSet per pod template (named
//! `<deployment>-<pod-template-hash>`) and moves replicas from the old ones to the new one, within `maxSurge` and
//! `maxUnavailable` (RollingUpdate) or all at once after the old pods are gone (Recreate); it follows
//! `spec.replicas` proportionally, stops while `spec.paused`, keeps `revisionHistoryLimit` old ReplicaSets, and reports
//! the counts and the `Available` and `Progressing` conditions that `kubectl rollout status` and `kubectl wait` read.
//!
//! ```text
//!   [Deployment] -controls-> [ReplicaSet <deploy>-<hash>] -controls-> [Pod]
//!        spec.template ──hash──┘  annotations: revision, desired-replicas, max-replicas
//! ```
//!
//! `rollout::sync` is the decision (pure: a Deployment, its namespace's ReplicaSets and pods, the time → writes);
//! `util` holds kube's small helpers (fenceposts, hash, annotations, conditions); `run` is the loop, woken by a
//! Deployment, a ReplicaSet it controls, or a pod of one of those (Recreate waits for old pods to go).

pub mod rollout;
pub mod status;
pub mod util;

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;

use crate::replicaset::{controller_of, status_patch};
use crate::{Context, Result};

pub use rollout::{Sync, Write, sync};

/// The component name on what this controller writes and on its events.
pub const COMPONENT: &str = "deployment-controller";

/// The optional fields of a Deployment status, cleared explicitly by a merge patch when absent.
const STATUS_FIELDS: &[&str] = &[
    "availableReplicas",
    "collisionCount",
    "conditions",
    "observedGeneration",
    "readyReplicas",
    "replicas",
    "terminatingReplicas",
    "unavailableReplicas",
    "updatedReplicas",
];

/// Runs the controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    let client = context.client.clone();
    let controller = Controller::new(Api::<Deployment>::all(client.clone()), watcher::Config::default());
    let deployments = controller.store();
    controller
        .owns(Api::<ReplicaSet>::all(client.clone()), watcher::Config::default())
        // Only Recreate looks at pods (it waits for the old ones to be gone); a rolling Deployment hears of its pods
        // through its ReplicaSets' status.
        .watches(Api::<Pod>::all(client), watcher::Config::default(), move |pod| {
            let reference = deployment_of_pod(&pod)?;
            let deployment = deployments.get(&reference)?;
            (!util::is_rolling(&deployment)).then_some(reference)
        })
        .run(reconcile, |_, error, _| crate::retry(COMPONENT, error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

/// The Deployment a pod belongs to: its ReplicaSet is named `<deployment>-<pod-template-hash>`.
fn deployment_of_pod(pod: &Pod) -> Option<ObjectRef<Deployment>> {
    let owner = controller_of(&pod.metadata).filter(|o| o.kind == "ReplicaSet")?;
    let hash = pod.metadata.labels.as_ref()?.get(util::POD_TEMPLATE_HASH)?;
    let name = owner.name.strip_suffix(hash.as_str())?.strip_suffix('-')?;
    Some(ObjectRef::new(name).within(&pod.namespace()?))
}

async fn reconcile(deployment: Arc<Deployment>, context: Arc<Context>) -> Result<Requeue> {
    let namespace = deployment.namespace().unwrap_or_default();
    let client = context.client.clone();
    let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
    let listed = replica_sets.list(&ListParams::default()).await?.items;
    let recreate = !util::is_rolling(&deployment);
    let pods = if recreate {
        Api::<Pod>::namespaced(client.clone(), &namespace).list(&ListParams::default()).await?.items
    } else {
        Vec::new()
    };
    let plan = sync(&deployment, &listed, &pods, crate::now());
    let params = PatchParams { field_manager: Some(COMPONENT.to_owned()), ..Default::default() };
    let deployments: Api<Deployment> = Api::namespaced(client, &namespace);
    let name = deployment.name_any();
    for write in plan.writes {
        match write {
            Write::OwnerReferences { name, owner_references } => {
                let patch = json!({ "metadata": { "ownerReferences": owner_references } });
                crate::ignore_not_found(replica_sets.patch(&name, &params, &Patch::Merge(&patch)).await)?;
            }
            Write::Create(rs) => {
                let post = PostParams { field_manager: Some(COMPONENT.to_owned()), ..Default::default() };
                if let Err(error) = replica_sets.create(&post, &rs).await {
                    if !matches!(&error, kube::Error::Api(status) if status.code == 409) {
                        let message = format!("Failed to create new replica set \"{}\": {}", rs.name_any(), error);
                        context
                            .events
                            .record(
                                COMPONENT,
                                &*deployment,
                                crate::events::Type::Warning,
                                "ReplicaSetCreateError",
                                &message,
                            )
                            .await;
                        // As kube does: the rollout is reported not progressing, with the reason.
                        let mut status = deployment.status.clone().unwrap_or_default();
                        let condition =
                            util::new_condition("Progressing", "False", "ReplicaSetCreateError", message, crate::now());
                        util::set_condition(&mut status, condition);
                        let patch = json!({ "status": { "conditions": status.conditions } });
                        crate::ignore_not_found(deployments.patch_status(&name, &params, &Patch::Merge(&patch)).await)?;
                    }
                    return Err(error.into());
                }
            }
            Write::Update(rs) => {
                let spec = rs.spec.as_ref();
                let patch = json!({
                    "metadata": { "annotations": rs.metadata.annotations },
                    "spec": {
                        "replicas": spec.and_then(|s| s.replicas),
                        "minReadySeconds": spec.and_then(|s| s.min_ready_seconds),
                    }
                });
                replica_sets.patch(&rs.name_any(), &params, &Patch::Merge(&patch)).await?;
            }
            Write::Delete { name } => {
                crate::ignore_not_found(replica_sets.delete(&name, &DeleteParams::default()).await.map(|_| ()))?;
            }
            Write::Revision(revision) => {
                let patch = json!({ "metadata": { "annotations": { util::REVISION: revision } } });
                crate::ignore_not_found(deployments.patch(&name, &params, &Patch::Merge(&patch)).await)?;
            }
            Write::Event(event) => {
                context.events.record(COMPONENT, &*deployment, event.kind, event.reason, &event.message).await;
            }
            Write::Status(status) => {
                let patch = json!({ "status": status_patch(&*status, STATUS_FIELDS) });
                crate::ignore_not_found(deployments.patch_status(&name, &params, &Patch::Merge(&patch)).await)?;
            }
        }
    }
    Ok(plan.requeue_after.map_or_else(Requeue::await_change, Requeue::requeue))
}

#[cfg(test)]
mod tests;
