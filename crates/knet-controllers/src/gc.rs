//! The garbage collector: an object whose every owner (by `ownerReferences`: kind, name and uid) is gone is deleted,
//! so deleting a Deployment takes its ReplicaSets and their Pods with it, and deleting a Service its EndpointSlices.
//! (Endpoints, like kube's, have no owner; the endpoints controller deletes them with their Service.)
//! An owner is gone when no object of its kind and name exists, or the one that does has another uid (a new object
//! of the same name owns nothing of the old one). Owners of a kind the collector cannot look up are assumed present:
//! it never deletes what it cannot prove orphaned.
//!
//! Each dependent kind has a loop woken by its own changes and by the deletion of any owner kind.

use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, PropagationPolicy};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use crate::{Context, Result};

/// Runs the collector for every dependent kind until it is stopped.
pub async fn run(context: Arc<Context>) {
    futures::join!(
        collect::<Pod>(Arc::clone(&context)),
        collect::<ReplicaSet>(Arc::clone(&context)),
        collect::<EndpointSlice>(Arc::clone(&context)),
        collect::<Endpoints>(context),
    );
}

/// The owner kinds the collector can look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    Deployment,
    ReplicaSet,
    Service,
}

impl OwnerKind {
    /// The kind an owner reference names, if the collector knows it.
    pub fn of(reference: &OwnerReference) -> Option<OwnerKind> {
        match (reference.api_version.as_str(), reference.kind.as_str()) {
            ("apps/v1", "Deployment") => Some(OwnerKind::Deployment),
            ("apps/v1", "ReplicaSet") => Some(OwnerKind::ReplicaSet),
            ("v1", "Service") => Some(OwnerKind::Service),
            _ => None,
        }
    }
}

/// What is known of one owner reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// An object of that kind and name exists with that uid, or the kind is not one the collector can check.
    Present,
    /// No such object, or one with another uid.
    Gone,
}

/// Whether a dependent is garbage: it has owners, and every one of them is gone.
pub fn is_garbage(owners: &[Owner]) -> bool {
    !owners.is_empty() && owners.iter().all(|o| *o == Owner::Gone)
}

async fn collect<K>(context: Arc<Context>)
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned
        + serde::Serialize
        + Send
        + Sync
        + 'static,
{
    let client = context.client.clone();
    let controller = Controller::new(Api::<K>::all(client.clone()), watcher::Config::default());
    let dependents = controller.store();
    let owned_by = move |owner_uid: Option<String>| dependents_of(&dependents, owner_uid);
    let (by_deployment, by_replicaset) = (owned_by.clone(), owned_by.clone());
    controller
        .watches(Api::<Deployment>::all(client.clone()), watcher::Config::default(), move |d| by_deployment(d.uid()))
        .watches(Api::<ReplicaSet>::all(client.clone()), watcher::Config::default(), move |r| by_replicaset(r.uid()))
        .watches(Api::<Service>::all(client), watcher::Config::default(), move |s| owned_by(s.uid()))
        .run(reconcile::<K>, |_, error, _| crate::retry("garbage-collector", error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

/// The dependents in the cache that name `owner_uid` among their owners.
fn dependents_of<K>(dependents: &Store<K>, owner_uid: Option<String>) -> Vec<ObjectRef<K>>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    let Some(uid) = owner_uid else { return Vec::new() };
    dependents
        .state()
        .iter()
        .filter(|d| d.owner_references().iter().any(|o| o.uid == uid))
        .map(|d| ObjectRef::from_obj(&**d))
        .collect()
}

async fn reconcile<K>(dependent: Arc<K>, context: Arc<Context>) -> Result<Requeue>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope> + Clone + Debug + DeserializeOwned + serde::Serialize,
{
    if dependent.owner_references().is_empty() || dependent.meta().deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let namespace = dependent.namespace().unwrap_or_default();
    let mut owners = Vec::new();
    for reference in dependent.owner_references() {
        owners.push(owner(&context.client, &namespace, reference).await?);
    }
    if is_garbage(&owners) {
        let api: Api<K> = Api::namespaced(context.client.clone(), &namespace);
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            preconditions: Some(kube::api::Preconditions { uid: dependent.uid(), resource_version: None }),
            ..Default::default()
        };
        match api.delete(&dependent.name_any(), &params).await {
            Ok(_) => {}
            // Gone already, or replaced by a new object of the same name: nothing of ours to delete.
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Requeue::await_change())
}

/// Looks up one owner.
async fn owner(client: &Client, namespace: &str, reference: &OwnerReference) -> Result<Owner> {
    async fn uid_of<O>(client: &Client, namespace: &str, name: &str) -> Result<Option<String>>
    where
        O: Resource<DynamicType = (), Scope = NamespaceResourceScope> + Clone + Debug + DeserializeOwned,
    {
        Ok(Api::<O>::namespaced(client.clone(), namespace).get_opt(name).await?.and_then(|o| o.uid()))
    }
    let found = match OwnerKind::of(reference) {
        None => return Ok(Owner::Present),
        Some(OwnerKind::Deployment) => uid_of::<Deployment>(client, namespace, &reference.name).await?,
        Some(OwnerKind::ReplicaSet) => uid_of::<ReplicaSet>(client, namespace, &reference.name).await?,
        Some(OwnerKind::Service) => uid_of::<Service>(client, namespace, &reference.name).await?,
    };
    Ok(if found.as_deref() == Some(reference.uid.as_str()) { Owner::Present } else { Owner::Gone })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_only_when_every_owner_is_gone() {
        assert!(!is_garbage(&[]));
        assert!(is_garbage(&[Owner::Gone]));
        assert!(!is_garbage(&[Owner::Gone, Owner::Present]));
        assert!(is_garbage(&[Owner::Gone, Owner::Gone]));
    }

    #[test]
    fn owner_kinds_are_matched_by_group_version_and_kind() {
        let reference = |api_version: &str, kind: &str| OwnerReference {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: "x".to_owned(),
            uid: "u".to_owned(),
            ..Default::default()
        };
        assert_eq!(OwnerKind::of(&reference("apps/v1", "ReplicaSet")), Some(OwnerKind::ReplicaSet));
        assert_eq!(OwnerKind::of(&reference("v1", "Service")), Some(OwnerKind::Service));
        assert_eq!(OwnerKind::of(&reference("apps/v1", "StatefulSet")), None);
        assert_eq!(OwnerKind::of(&reference("v1", "ReplicaSet")), None);
    }
}
