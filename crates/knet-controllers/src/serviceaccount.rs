//! What every namespace holds from its first moment on a real cluster: the `default` ServiceAccount (the
//! serviceaccount controller) and the `kube-root-ca.crt` ConfigMap with the cluster CA (the root-ca-cert-publisher),
//! recreated if deleted. Pods name the `default` account unless they say otherwise (the API server's admission).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use crate::{Context, Result};

/// The ServiceAccount every namespace has.
pub const DEFAULT_ACCOUNT: &str = "default";
/// The ConfigMap carrying the cluster CA, under the key `ca.crt`.
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";

/// Runs the controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    let client = context.client.clone();
    let by_namespace = |namespace: Option<String>| namespace.map(|n| ObjectRef::<Namespace>::new(&n));
    Controller::new(Api::<Namespace>::all(client.clone()), watcher::Config::default())
        .watches(
            Api::<ServiceAccount>::all(client.clone()),
            watcher::Config::default().fields(&format!("metadata.name={DEFAULT_ACCOUNT}")),
            move |account| by_namespace(account.namespace()),
        )
        .watches(
            Api::<ConfigMap>::all(client),
            watcher::Config::default().fields(&format!("metadata.name={ROOT_CA_CONFIGMAP}")),
            move |map| by_namespace(map.namespace()),
        )
        .run(reconcile, |_, error, _| crate::retry("serviceaccount-controller", error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

/// The objects a namespace should hold: the default account, and the CA ConfigMap when the CA is known.
pub fn desired(namespace: &str, root_ca: Option<&str>) -> (ServiceAccount, Option<ConfigMap>) {
    let meta = |name: &str| ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        ..ObjectMeta::default()
    };
    let account = ServiceAccount { metadata: meta(DEFAULT_ACCOUNT), ..ServiceAccount::default() };
    let config_map = root_ca.map(|ca| ConfigMap {
        metadata: ObjectMeta {
            annotations: Some(BTreeMap::from([(
                "kubernetes.io/description".to_owned(),
                "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.".to_owned(),
            )])),
            ..meta(ROOT_CA_CONFIGMAP)
        },
        data: Some(BTreeMap::from([("ca.crt".to_owned(), ca.to_owned())])),
        ..ConfigMap::default()
    });
    (account, config_map)
}

async fn reconcile(namespace: Arc<Namespace>, context: Arc<Context>) -> Result<Requeue> {
    if namespace.meta().deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let name = namespace.name_any();
    let (account, config_map) = desired(&name, context.config.root_ca.as_deref());
    ensure(Api::namespaced(context.client.clone(), &name), account).await?;
    if let Some(config_map) = config_map {
        ensure(Api::namespaced(context.client.clone(), &name), config_map).await?;
    }
    Ok(Requeue::await_change())
}

/// Creates `object` unless one of its name exists (a namespace being deleted refuses it: that is fine too).
async fn ensure<K>(api: Api<K>, object: K) -> Result<()>
where
    K: Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if api.get_opt(&object.name_any()).await?.is_some() {
        return Ok(());
    }
    match api
        .create(
            &PostParams { field_manager: Some("serviceaccount-controller".to_owned()), ..Default::default() },
            &object,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 || status.code == 403 => Ok(()),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespace_gets_its_account_and_the_ca_when_known() {
        let (account, config_map) = desired("web", Some("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(account.metadata.name.as_deref(), Some("default"));
        assert_eq!(account.metadata.namespace.as_deref(), Some("web"));
        let config_map = config_map.expect("the CA is known");
        assert_eq!(config_map.metadata.name.as_deref(), Some("kube-root-ca.crt"));
        assert!(config_map.data.unwrap()["ca.crt"].starts_with("-----BEGIN CERTIFICATE"));
        assert_eq!(desired("web", None).1, None);
    }
}
