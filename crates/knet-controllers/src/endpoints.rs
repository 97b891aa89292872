//! The endpoints controller: for every Service with a selector, the Endpoints and EndpointSlice that list its pods,
//! ready or not, with named target ports resolved per pod. `desired` is the decision, a pure function from a Service
//! and the pods of its namespace to the objects kube-controller-manager would write; `run` is the loop around it,
//! woken by any change to a Service, a pod, or a slice it owns.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use crate::{Context, Result};

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Namespace, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort as SlicePort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The label naming the Service of an EndpointSlice.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The annotation carrying the time of the last change that triggered the endpoints (RFC 3339).
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

/// A resolved port: name (`""` if unnamed), number, protocol.
type Port = (String, i32, String);
/// The ready and not-ready addresses of one subset.
type Addresses = (Vec<EndpointAddress>, Vec<EndpointAddress>);

/// What the controller does for one Service.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The Service has no selector: its endpoints are managed by hand, leave them.
    Leave,
    /// Write these objects (create or replace).
    Write { endpoints: Box<Endpoints>, slice: Box<EndpointSlice> },
}

/// The component name on what this controller writes.
const COMPONENT: &str = "endpoint-controller";

/// Runs the endpoints controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    let client = context.client.clone();
    let controller = Controller::new(Api::<Service>::all(client.clone()), watcher::Config::default());
    let services = controller.store();
    controller
        .owns(Api::<EndpointSlice>::all(client.clone()), watcher::Config::default())
        // A pod change may add it to a Service or take it out of one: every Service of its namespace looks again.
        .watches(Api::<Pod>::all(client), watcher::Config::default(), move |pod| {
            let namespace = pod.namespace();
            services
                .state()
                .into_iter()
                .filter(|service| service.namespace() == namespace)
                .map(|service| ObjectRef::from_obj(&*service))
                .collect::<Vec<_>>()
        })
        .run(reconcile, |_, error, _| crate::retry(COMPONENT, error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

async fn reconcile(service: Arc<Service>, context: Arc<Context>) -> Result<Requeue> {
    if service.meta().deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let namespace = service.namespace().unwrap_or_default();
    let pods = Api::<Pod>::namespaced(context.client.clone(), &namespace).list(&ListParams::default()).await?;
    let Action::Write { endpoints, slice } = desired(&service, &pods.items, &crate::now_rfc3339()) else {
        return Ok(Requeue::await_change());
    };
    if let Some(ns) = Api::<Namespace>::all(context.client.clone()).get_opt(&namespace).await?
        && ns.metadata.deletion_timestamp.is_some()
    {
        // The namespace is going, and refuses new objects: nothing to write.
        return Ok(Requeue::await_change());
    }
    write(Api::namespaced(context.client.clone(), &namespace), *endpoints, |e: &Endpoints| e.subsets.clone()).await?;
    write(Api::namespaced(context.client.clone(), &namespace), *slice, |s: &EndpointSlice| {
        (s.endpoints.clone(), s.ports.clone(), s.address_type.clone())
    })
    .await?;
    Ok(Requeue::await_change())
}

/// Creates `wanted`, or replaces the live object when what `content` picks out of it, its labels or its owners
/// differ (the trigger time alone is no change).
async fn write<K, C>(api: Api<K>, mut wanted: K, content: impl Fn(&K) -> C) -> Result<()>
where
    K: Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
    C: PartialEq,
{
    let name = wanted.name_any();
    match api.get_opt(&name).await? {
        None => {
            api.create(&PostParams { field_manager: Some(COMPONENT.to_owned()), ..Default::default() }, &wanted)
                .await?;
        }
        Some(live) => {
            let same = content(&live) == content(&wanted)
                && live.meta().labels == wanted.meta().labels
                && live.meta().owner_references == wanted.meta().owner_references;
            if !same {
                wanted.meta_mut().resource_version = live.meta().resource_version.clone();
                api.replace(
                    &name,
                    &PostParams { field_manager: Some(COMPONENT.to_owned()), ..Default::default() },
                    &wanted,
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// The name of a Service's EndpointSlice: the Service's name and five characters from its uid, in the alphabet
/// of kube's generated names (the real controller draws them at random; deriving them keeps one slice per Service).
pub fn slice_name(service: &str, uid: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut hash = uid.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    let mut suffix = String::with_capacity(5);
    for _ in 0..5 {
        suffix.push(char::from(ALPHABET[(hash % 27) as usize]));
        hash /= 27;
    }
    format!("{service}-{suffix}")
}

/// Whether a pod counts as ready (its `Ready` condition is `True`).
fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The container port a target port names on `pod` for `protocol` (a name resolves only on a container port of the
/// same protocol, as kube's `FindPort` has it), or the number itself.
fn resolve(target: &IntOrString, protocol: &str, pod: &Pod) -> Option<i32> {
    match target {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(name) => pod.spec.as_ref()?.containers.iter().find_map(|c| {
            c.ports.as_ref()?.iter().find_map(|p| {
                let same_protocol = p.protocol.as_deref().unwrap_or("TCP") == protocol;
                (p.name.as_deref() == Some(name.as_str()) && same_protocol).then_some(p.container_port)
            })
        }),
    }
}

/// The Endpoints and EndpointSlice of `service` from the pods of its namespace; `now` is the RFC 3339 trigger time.
pub fn desired(service: &Service, pods: &[Pod], now: &str) -> Action {
    // An empty selector is no selector: kube-apiserver stores `{}` as absent.
    let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else {
        return Action::Leave;
    };
    let name = service.metadata.name.clone().unwrap_or_default();
    let namespace = service.metadata.namespace.clone();
    let owner = OwnerReference {
        api_version: "v1".to_owned(),
        kind: "Service".to_owned(),
        name: name.clone(),
        uid: service.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    let service_ports = service.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    // One Endpoints subset per distinct resolved port list; pods whose named ports resolve alike share one.
    let mut subsets: BTreeMap<Vec<Port>, Addresses> = BTreeMap::new();
    let mut slice_endpoints = Vec::new();
    let mut slice_ports: Option<Vec<Port>> = None;
    // One label-selector semantic for the whole project: the model's.
    let selector = knet_model::selector::Selector::from_map(selector);
    let no_labels = BTreeMap::new();
    let mut pods: Vec<&Pod> =
        pods.iter().filter(|p| selector.matches(p.metadata.labels.as_ref().unwrap_or(&no_labels))).collect();
    pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for pod in pods {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.clone()) else { continue };
        let ports: Vec<Port> = service_ports
            .iter()
            .filter_map(|p| {
                let target = p.target_port.clone().unwrap_or(IntOrString::Int(p.port));
                let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                let port = resolve(&target, &protocol, pod)?;
                Some((p.name.clone().unwrap_or_default(), port, protocol))
            })
            .collect();
        let is_ready = ready(pod);
        let address = EndpointAddress {
            ip: ip.clone(),
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(k8s_openapi::api::core::v1::ObjectReference {
                kind: Some("Pod".to_owned()),
                name: pod.metadata.name.clone(),
                namespace: pod.metadata.namespace.clone(),
                uid: pod.metadata.uid.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let entry = subsets.entry(ports.clone()).or_default();
        if is_ready {
            entry.0.push(address.clone())
        } else {
            entry.1.push(address.clone())
        }
        if slice_ports.is_none() {
            slice_ports = Some(ports);
        }
        slice_endpoints.push(Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some(is_ready),
                serving: Some(is_ready),
                terminating: Some(false),
            }),
            node_name: address.node_name,
            target_ref: address.target_ref,
            ..Default::default()
        });
    }
    let subsets: Vec<EndpointSubset> = subsets
        .into_iter()
        .filter(|(ports, _)| !ports.is_empty())
        .map(|(ports, (ready, not_ready))| EndpointSubset {
            addresses: (!ready.is_empty()).then_some(ready),
            not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
            ports: Some(
                ports
                    .into_iter()
                    .map(|(name, port, protocol)| EndpointPort {
                        name: Some(name),
                        port,
                        protocol: Some(protocol),
                        ..Default::default()
                    })
                    .collect(),
            ),
        })
        .collect();
    let annotations = BTreeMap::from([(LAST_CHANGE_TRIGGER_TIME.to_owned(), now.to_owned())]);
    let endpoints = Endpoints {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: namespace.clone(),
            labels: service.metadata.labels.clone(),
            annotations: Some(annotations.clone()),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        subsets: (!subsets.is_empty()).then_some(subsets),
    };
    let mut labels = service.metadata.labels.clone().unwrap_or_default();
    labels.insert(SERVICE_NAME_LABEL.to_owned(), name.clone());
    labels.insert("endpointslice.kubernetes.io/managed-by".to_owned(), "endpointslice-controller.k8s.io".to_owned());
    let slice = EndpointSlice {
        metadata: ObjectMeta {
            name: Some(slice_name(&name, service.metadata.uid.as_deref().unwrap_or_default())),
            namespace,
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        address_type: "IPv4".to_owned(),
        endpoints: slice_endpoints,
        ports: Some(
            slice_ports
                .unwrap_or_default()
                .into_iter()
                .map(|(name, port, protocol)| SlicePort {
                    name: Some(name),
                    port: Some(port),
                    protocol: Some(protocol),
                    ..Default::default()
                })
                .collect(),
        ),
    };
    Action::Write { endpoints: Box::new(endpoints), slice: Box::new(slice) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn ready_and_not_ready_pods_with_named_ports() {
        let service: Service = from_json(serde_json::json!({
            "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}
        }));
        let pod = |name: &str, ip: &str, ready: &str| -> Pod {
            from_json(serde_json::json!({
                "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
                "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": ready}]}
            }))
        };
        let other: Pod = from_json(serde_json::json!({"metadata": {"name": "x", "labels": {"app": "db"}}}));
        let pods = [pod("a", "10.244.0.2", "True"), pod("b", "10.244.0.3", "False"), other];
        let Action::Write { endpoints, slice } = desired(&service, &pods, "2026-11-28T06:00:00Z") else {
            panic!("a Service with a selector gets endpoints")
        };
        let subset = &endpoints.subsets.as_ref().unwrap()[0];
        assert_eq!(subset.addresses.as_ref().unwrap()[0].ip, "10.244.0.2");
        assert_eq!(subset.not_ready_addresses.as_ref().unwrap()[0].ip, "10.244.0.3");
        let port = &subset.ports.as_ref().unwrap()[0];
        assert_eq!((port.name.as_deref(), port.port), (Some(""), 8080));
        assert_eq!(slice.metadata.labels.as_ref().unwrap()[SERVICE_NAME_LABEL], "web");
        let slice_name = slice.metadata.name.as_deref().unwrap();
        assert!(slice_name.starts_with("web-") && slice_name.len() == 9, "{slice_name}");
        assert_eq!(Some(slice_name), desired_slice_name(&service).as_deref());
        assert_eq!(slice.endpoints.len(), 2);
        assert_eq!(slice.ports.as_ref().unwrap()[0].name.as_deref(), Some(""));
        assert_eq!(endpoints.metadata.owner_references.as_ref().unwrap()[0].uid, "u1");
        assert!(endpoints.metadata.annotations.as_ref().unwrap().contains_key(LAST_CHANGE_TRIGGER_TIME));
    }

    fn desired_slice_name(service: &Service) -> Option<String> {
        match desired(service, &[], "t") {
            Action::Write { slice, .. } => slice.metadata.name,
            Action::Leave => None,
        }
    }

    #[test]
    fn no_selector_leaves_the_endpoints() {
        let service: Service = from_json(serde_json::json!({"metadata": {"name": "ext"}, "spec": {}}));
        assert_eq!(desired(&service, &[], "t"), Action::Leave);
        let empty: Service = from_json(serde_json::json!({"metadata": {"name": "e"}, "spec": {"selector": {}}}));
        assert_eq!(desired(&empty, &[], "t"), Action::Leave);
    }
}
