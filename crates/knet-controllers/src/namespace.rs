//! The namespace controller: a namespace being deleted has its contents deleted, every namespaced resource the
//! server's discovery lists, and once nothing is left (pods may take their grace period), its `kubernetes`
//! finalizer removed through the `finalize` subresource, upon which the API server deletes it. The contents wait a
//! moment first, as they do on a real cluster: `kubectl delete -f dir/` deletes a namespace and then the objects in
//! it, and finds them there.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::discovery::{Discovery, Scope, verbs};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use crate::{Context, Result};

/// The finalizer this controller owns.
pub const FINALIZER: &str = "kubernetes";
/// How long after the deletion request the contents are left alone.
const GRACE: Duration = Duration::from_secs(1);
/// How often a namespace whose contents are still going is looked at again.
const POLL: Duration = Duration::from_millis(500);

/// Runs the namespace controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    Controller::new(Api::<Namespace>::all(context.client.clone()), watcher::Config::default())
        .run(reconcile, |_, error, _| crate::retry("namespace-controller", error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

/// What to do with a namespace being deleted, from how long ago that was asked and what is left in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Not yet: look again after this long.
    Wait(Duration),
    /// Delete what is left, then look again.
    DeleteContents,
    /// Nothing is left: remove the finalizer.
    Finalize,
}

/// The step for a namespace whose deletion was asked `since` ago, with `remaining` objects in it (`None`: not
/// counted yet).
pub fn step(since: Duration, remaining: Option<usize>) -> Step {
    match remaining {
        _ if since < GRACE => Step::Wait(GRACE - since),
        Some(0) => Step::Finalize,
        _ => Step::DeleteContents,
    }
}

async fn reconcile(namespace: Arc<Namespace>, context: Arc<Context>) -> Result<Requeue> {
    let Some(deleted_at) = namespace.metadata.deletion_timestamp.as_ref() else { return Ok(Requeue::await_change()) };
    let finalizers = namespace.spec.as_ref().and_then(|s| s.finalizers.clone()).unwrap_or_default();
    if !finalizers.iter().any(|f| f == FINALIZER) {
        return Ok(Requeue::await_change());
    }
    let since = Timestamp::now().duration_since(deleted_at.0).unsigned_abs();
    let name = namespace.name_any();
    let client = &context.client;
    if let Step::Wait(wait) = step(since, None) {
        return Ok(Requeue::requeue(wait));
    }
    let remaining = delete_contents(client, &name).await?;
    if step(since, Some(remaining)) != Step::Finalize {
        return Ok(Requeue::requeue(POLL));
    }
    let mut finalized = (*namespace).clone();
    finalized.metadata.managed_fields = None;
    if let Some(spec) = finalized.spec.as_mut() {
        spec.finalizers = Some(finalizers.into_iter().filter(|f| f != FINALIZER).collect());
    }
    let namespaces = Api::<Namespace>::all(client.clone());
    crate::ignore_not_found(
        namespaces.replace_subresource("finalize", &name, &PostParams::default(), &finalized).await,
    )?;
    Ok(Requeue::await_change())
}

/// Deletes every object of every namespaced resource in `namespace`; returns how many were still there.
async fn delete_contents(client: &Client, namespace: &str) -> Result<usize> {
    let discovery = Discovery::new(client.clone()).run().await?;
    let mut remaining = 0;
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            let deletable = capabilities.supports_operation(verbs::LIST)
                && capabilities.supports_operation(verbs::DELETE_COLLECTION);
            if capabilities.scope != Scope::Namespaced || !deletable {
                continue;
            }
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
            let present = api.list_metadata(&ListParams::default()).await?.items.len();
            if present == 0 {
                continue;
            }
            remaining += present;
            api.delete_collection(&DeleteParams::background(), &ListParams::default()).await?;
        }
    }
    Ok(remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_wait_for_the_grace_then_go_then_the_finalizer() {
        assert_eq!(step(Duration::ZERO, None), Step::Wait(GRACE));
        assert_eq!(step(Duration::from_millis(300), Some(0)), Step::Wait(GRACE - Duration::from_millis(300)));
        assert_eq!(step(GRACE, None), Step::DeleteContents);
        assert_eq!(step(GRACE, Some(3)), Step::DeleteContents);
        assert_eq!(step(Duration::from_secs(5), Some(0)), Step::Finalize);
    }
}
