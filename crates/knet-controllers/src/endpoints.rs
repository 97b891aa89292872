//! The endpoints controller: for every Service with a selector, the Endpoints and EndpointSlice that list its pods,
//! ready or not, with named target ports resolved per pod. `desired` is the decision, a pure function from a Service
//! and the pods of its namespace to the objects kube-controller-manager would write; `run` is the loop around it,
//! woken by any change to a Service, a pod, or a slice it owns.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Resource, ResourceExt};

use crate::{Context, Result};

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort as SlicePort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The label naming the Service of an EndpointSlice.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label naming the controller that manages an EndpointSlice, and its value for this one.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
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
    /// Write these objects (create or replace), and delete the Service's other slices.
    Write { endpoints: Box<Endpoints>, slices: Vec<EndpointSlice> },
}

/// The component name on what this controller writes.
const COMPONENT: &str = "endpoint-controller";

/// Runs the endpoints controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    let client = context.client.clone();
    let controller = Controller::new(Api::<Service>::all(client.clone()), watcher::Config::default());
    let services = controller.store();
    let running = controller
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
        .run(reconcile, |_, error, _| crate::retry(COMPONENT, error), Arc::clone(&context))
        .for_each(|_| std::future::ready(()));
    futures::join!(running, remove_leftovers(context));
}

/// Deletes the Endpoints of a Service that is gone, as kube-controller-manager does: when the Service is deleted
/// (selector or not: hand-made Endpoints go with their Service too), and, once at start, those left behind while the
/// controller was not running. (Endpoints carry no owner reference; EndpointSlices do, and the
/// garbage collector takes them.)
async fn remove_leftovers(context: Arc<Context>) {
    let client = context.client.clone();
    let services = watcher(Api::<Service>::all(client.clone()), watcher::Config::default()).default_backoff();
    let mut services = std::pin::pin!(services);
    let mut listed: HashSet<(String, String)> = HashSet::new();
    let mut swept = false;
    let key = |service: &Service| (service.namespace().unwrap_or_default(), service.name_any());
    while let Some(event) = services.next().await {
        let result = match event {
            Ok(watcher::Event::Init) => {
                listed.clear();
                Ok(())
            }
            Ok(watcher::Event::InitApply(service)) => {
                listed.insert(key(&service));
                Ok(())
            }
            Ok(watcher::Event::InitDone) if !swept => {
                swept = true;
                delete_orphaned_endpoints(&client, &listed).await
            }
            Ok(watcher::Event::InitDone) => Ok(()),
            Ok(watcher::Event::Apply(_)) => Ok(()),
            Ok(watcher::Event::Delete(service)) => {
                let (namespace, name) = key(&service);
                delete_endpoints(&client, &namespace, &name).await
            }
            Err(error) => {
                Err(crate::Error::Invalid { what: "the Service watch".to_owned(), message: error.to_string() })
            }
        };
        if let Err(error) = result {
            let _ = crate::retry(COMPONENT, &error);
        }
    }
}

/// Deletes every Endpoints object whose Service is not among `services`.
async fn delete_orphaned_endpoints(client: &kube::Client, services: &HashSet<(String, String)>) -> Result<()> {
    for endpoints in Api::<Endpoints>::all(client.clone()).list_metadata(&ListParams::default()).await?.items {
        let (namespace, name) = (endpoints.namespace().unwrap_or_default(), endpoints.name_any());
        if !services.contains(&(namespace.clone(), name.clone())) {
            delete_endpoints(client, &namespace, &name).await?;
        }
    }
    Ok(())
}

async fn delete_endpoints(client: &kube::Client, namespace: &str, name: &str) -> Result<()> {
    let api = Api::<Endpoints>::namespaced(client.clone(), namespace);
    Ok(crate::ignore_not_found(api.delete(name, &Default::default()).await)?)
}

async fn reconcile(service: Arc<Service>, context: Arc<Context>) -> Result<Requeue> {
    if service.meta().deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let namespace = service.namespace().unwrap_or_default();
    let pods = Api::<Pod>::namespaced(context.client.clone(), &namespace).list(&ListParams::default()).await?;
    let Action::Write { endpoints, slices } = desired(&service, &pods.items, &crate::now_rfc3339()) else {
        return Ok(Requeue::await_change());
    };
    write(Api::namespaced(context.client.clone(), &namespace), *endpoints, |e: &Endpoints| e.subsets.clone()).await?;
    let slice_api: Api<EndpointSlice> = Api::namespaced(context.client.clone(), &namespace);
    let ours = format!("{SERVICE_NAME_LABEL}={},{MANAGED_BY_LABEL}={MANAGED_BY}", service.name_any());
    let wanted: Vec<String> = slices.iter().map(ResourceExt::name_any).collect();
    for stale in slice_api.list_metadata(&ListParams::default().labels(&ours)).await?.items {
        if !wanted.contains(&stale.name_any()) {
            crate::ignore_not_found(slice_api.delete(&stale.name_any(), &Default::default()).await)?;
        }
    }
    for slice in slices {
        write(slice_api.clone(), slice, |s: &EndpointSlice| {
            (s.endpoints.clone(), s.ports.clone(), s.address_type.clone())
        })
        .await?;
    }
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

/// The name of one of a Service's EndpointSlices: the Service's name and five characters derived from `identity`
/// (the Service's uid, its port set, the chunk), in the alphabet of kube's generated names. The real controller draws
/// them at random; deriving them lets a restarted controller find its slices again by name.
pub fn slice_name(service: &str, identity: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut hash = identity.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
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

/// The most endpoints one EndpointSlice holds (kube-controller-manager's `--max-endpoints-per-slice` default).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// One selected pod as the Service sees it.
struct Backend<'p> {
    pod: &'p Pod,
    ip: String,
    ports: Vec<Port>,
    ready: bool,
    terminating: bool,
}

/// The Endpoints and EndpointSlices of `service` from the pods of its namespace; `now` is the RFC 3339 trigger time.
///
/// Endpoints list ready pods as addresses and the others as not-ready addresses (all as addresses with
/// `publishNotReadyAddresses`), one subset per distinct set of resolved ports; terminating pods are left out. The
/// slices hold every pod with an address, terminating ones marked so, one slice per distinct port set and at most
/// `MAX_ENDPOINTS_PER_SLICE` each; a Service that selects no pod still gets one empty slice.
pub fn desired(service: &Service, pods: &[Pod], now: &str) -> Action {
    // An empty selector is no selector: kube-apiserver stores `{}` as absent.
    let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else {
        return Action::Leave;
    };
    let name = service.metadata.name.clone().unwrap_or_default();
    let uid = service.metadata.uid.clone().unwrap_or_default();
    let publish_not_ready = service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses).unwrap_or(false);
    let service_ports = service.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    // One label-selector semantic for the whole project: the model's.
    let selector = knet_model::selector::Selector::from_map(selector);
    let no_labels = BTreeMap::new();
    let mut selected: Vec<&Pod> =
        pods.iter().filter(|p| selector.matches(p.metadata.labels.as_ref().unwrap_or(&no_labels))).collect();
    selected.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let backends: Vec<Backend<'_>> = selected
        .into_iter()
        .filter_map(|pod| {
            let ip = pod.status.as_ref()?.pod_ip.clone()?;
            let ports = service_ports
                .iter()
                .filter_map(|p| {
                    let target = p.target_port.clone().unwrap_or(IntOrString::Int(p.port));
                    let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                    let port = resolve(&target, &protocol, pod)?;
                    Some((p.name.clone().unwrap_or_default(), port, protocol))
                })
                .collect();
            let terminating = pod.metadata.deletion_timestamp.is_some();
            Some(Backend { pod, ip, ports, ready: ready(pod) && !terminating, terminating })
        })
        .collect();

    let annotations = BTreeMap::from([(LAST_CHANGE_TRIGGER_TIME.to_owned(), now.to_owned())]);
    let owner = OwnerReference {
        api_version: "v1".to_owned(),
        kind: "Service".to_owned(),
        name: name.clone(),
        uid: uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    // Slices are owned by the Service; Endpoints carry no owner reference (kube's do not): `remove_leftovers`
    // deletes them with their Service.
    let meta = |object_name: String, labels: Option<BTreeMap<String, String>>, owned: bool| ObjectMeta {
        name: Some(object_name),
        namespace: service.metadata.namespace.clone(),
        labels,
        annotations: Some(annotations.clone()),
        owner_references: owned.then(|| vec![owner.clone()]),
        ..Default::default()
    };

    // Endpoints: one subset per distinct port list; pods whose named ports resolve alike share one.
    let mut subsets: BTreeMap<&[Port], Addresses> = BTreeMap::new();
    for backend in backends.iter().filter(|b| !b.terminating && !b.ports.is_empty()) {
        let entry = subsets.entry(&backend.ports).or_default();
        if backend.ready || publish_not_ready { entry.0.push(address(backend)) } else { entry.1.push(address(backend)) }
    }
    let subsets: Vec<EndpointSubset> = subsets
        .into_iter()
        .map(|(ports, (ready, not_ready))| EndpointSubset {
            addresses: (!ready.is_empty()).then_some(ready),
            not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
            ports: Some(
                ports
                    .iter()
                    .map(|(name, port, protocol)| EndpointPort {
                        name: (!name.is_empty()).then(|| name.clone()),
                        port: *port,
                        protocol: Some(protocol.clone()),
                        ..Default::default()
                    })
                    .collect(),
            ),
        })
        .collect();
    let metadata = meta(name.clone(), service.metadata.labels.clone(), false);
    let endpoints = Endpoints { metadata, subsets: (!subsets.is_empty()).then_some(subsets) };

    // EndpointSlices: one per distinct port list, split at the size limit.
    let mut labels = service.metadata.labels.clone().unwrap_or_default();
    labels.insert(SERVICE_NAME_LABEL.to_owned(), name.clone());
    labels.insert(MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned());
    let mut by_ports: BTreeMap<&[Port], Vec<&Backend<'_>>> = BTreeMap::new();
    for backend in &backends {
        by_ports.entry(&backend.ports).or_default().push(backend);
    }
    let mut slices = Vec::new();
    for (ports, group) in &by_ports {
        for (chunk_index, chunk) in group.chunks(MAX_ENDPOINTS_PER_SLICE).enumerate() {
            let identity = format!("{uid}/{ports:?}/{chunk_index}");
            slices.push(EndpointSlice {
                metadata: meta(slice_name(&name, &identity), Some(labels.clone()), true),
                address_type: "IPv4".to_owned(),
                endpoints: chunk.iter().map(|b| slice_endpoint(b, publish_not_ready)).collect(),
                ports: Some(
                    ports
                        .iter()
                        .map(|(name, port, protocol)| SlicePort {
                            name: Some(name.clone()),
                            port: Some(*port),
                            protocol: Some(protocol.clone()),
                            ..Default::default()
                        })
                        .collect(),
                ),
            });
        }
    }
    if slices.is_empty() {
        slices.push(EndpointSlice {
            metadata: meta(slice_name(&name, &uid), Some(labels), true),
            address_type: "IPv4".to_owned(),
            endpoints: Vec::new(),
            ports: None,
        });
    }
    Action::Write { endpoints: Box::new(endpoints), slices }
}

fn target_ref(pod: &Pod) -> k8s_openapi::api::core::v1::ObjectReference {
    k8s_openapi::api::core::v1::ObjectReference {
        kind: Some("Pod".to_owned()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    }
}

fn address(backend: &Backend<'_>) -> EndpointAddress {
    EndpointAddress {
        ip: backend.ip.clone(),
        node_name: backend.pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        target_ref: Some(target_ref(backend.pod)),
        ..Default::default()
    }
}

/// A slice endpoint: `ready` is false while terminating (unless the Service publishes not-ready addresses),
/// `serving` is the pod's readiness, terminating or not.
fn slice_endpoint(backend: &Backend<'_>, publish_not_ready: bool) -> Endpoint {
    let serving = ready(backend.pod);
    Endpoint {
        addresses: vec![backend.ip.clone()],
        conditions: Some(EndpointConditions {
            ready: Some(backend.ready || (publish_not_ready && !backend.terminating)),
            serving: Some(serving || publish_not_ready),
            terminating: Some(backend.terminating),
        }),
        node_name: backend.pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        target_ref: Some(target_ref(backend.pod)),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    fn web(spec: serde_json::Value) -> Service {
        from_json(json!({ "metadata": { "name": "web", "namespace": "default", "uid": "u1" }, "spec": spec }))
    }

    /// A pod of app `web` whose container port `http` is `port`.
    fn pod(name: &str, ip: &str, ready: &str, port: i32) -> Pod {
        from_json(json!({
            "metadata": { "name": name, "namespace": "default", "labels": { "app": "web" } },
            "spec": { "nodeName": "knet", "containers": [{ "name": "c", "ports": [{ "name": "http", "containerPort": port }] }] },
            "status": { "podIP": ip, "conditions": [{ "type": "Ready", "status": ready }] }
        }))
    }

    fn write(action: Action) -> (Endpoints, Vec<EndpointSlice>) {
        match action {
            Action::Write { endpoints, slices } => (*endpoints, slices),
            Action::Leave => panic!("a Service with a selector gets endpoints"),
        }
    }

    #[test]
    fn ready_and_not_ready_pods_with_named_ports() {
        let service = web(json!({ "selector": { "app": "web" }, "ports": [{ "port": 80, "targetPort": "http" }] }));
        let other: Pod = from_json(json!({ "metadata": { "name": "x", "labels": { "app": "db" } } }));
        let pods = [pod("a", "10.244.0.2", "True", 8080), pod("b", "10.244.0.3", "False", 8080), other];
        let (endpoints, slices) = write(desired(&service, &pods, "2026-11-28T06:00:00Z"));
        let subset = &endpoints.subsets.as_ref().unwrap()[0];
        assert_eq!(subset.addresses.as_ref().unwrap()[0].ip, "10.244.0.2");
        assert_eq!(subset.not_ready_addresses.as_ref().unwrap()[0].ip, "10.244.0.3");
        let port = &subset.ports.as_ref().unwrap()[0];
        assert_eq!((port.name.as_deref(), port.port), (None, 8080), "an unnamed Endpoints port has no name");
        assert_eq!(slices.len(), 1);
        let slice = &slices[0];
        assert_eq!(slice.metadata.labels.as_ref().unwrap()[SERVICE_NAME_LABEL], "web");
        let slice_name = slice.metadata.name.as_deref().unwrap();
        assert!(slice_name.starts_with("web-") && slice_name.len() == 9, "{slice_name}");
        let again = write(desired(&service, &pods, "later")).1;
        assert_eq!(again[0].metadata.name.as_deref(), Some(slice_name), "names are stable");
        let readiness: Vec<Option<bool>> =
            slice.endpoints.iter().map(|e| e.conditions.as_ref().unwrap().ready).collect();
        assert_eq!(readiness, [Some(true), Some(false)]);
        assert_eq!(slice.ports.as_ref().unwrap()[0].name.as_deref(), Some(""));
        assert_eq!(endpoints.metadata.owner_references, None, "kube's Endpoints have no owner");
        assert_eq!(slice.metadata.owner_references.as_ref().unwrap()[0].uid, "u1");
        assert!(endpoints.metadata.annotations.as_ref().unwrap().contains_key(LAST_CHANGE_TRIGGER_TIME));
    }

    #[test]
    fn a_named_port_resolving_differently_splits_subsets_and_slices() {
        let service = web(
            json!({ "selector": { "app": "web" }, "ports": [{ "name": "web", "port": 80, "targetPort": "http" }] }),
        );
        let pods = [pod("a", "10.244.0.2", "True", 8080), pod("b", "10.244.0.3", "True", 9090)];
        let (endpoints, slices) = write(desired(&service, &pods, "t"));
        let mut ports: Vec<i32> =
            endpoints.subsets.unwrap().iter().map(|s| s.ports.as_ref().unwrap()[0].port).collect();
        ports.sort();
        assert_eq!(ports, [8080, 9090]);
        assert_eq!(slices.len(), 2);
        for slice in &slices {
            assert_eq!(slice.endpoints.len(), 1);
            let port = slice.ports.as_ref().unwrap()[0].port.unwrap();
            let ip = &slice.endpoints[0].addresses[0];
            let pair = (ip.as_str(), port);
            assert!(pair == ("10.244.0.2", 8080) || pair == ("10.244.0.3", 9090), "{pair:?}");
        }
        assert_ne!(slices[0].metadata.name, slices[1].metadata.name);
    }

    #[test]
    fn slices_hold_at_most_a_hundred_endpoints() {
        let service = web(json!({ "selector": { "app": "web" }, "ports": [{ "port": 80 }] }));
        let pods: Vec<Pod> = (0..150)
            .map(|i| pod(&format!("p{i:03}"), &format!("10.244.{}.{}", i / 200, i % 200 + 2), "True", 80))
            .collect();
        let (endpoints, slices) = write(desired(&service, &pods, "t"));
        let sizes: Vec<usize> = slices.iter().map(|s| s.endpoints.len()).collect();
        assert_eq!(sizes, [100, 50]);
        assert_eq!(endpoints.subsets.unwrap()[0].addresses.as_ref().unwrap().len(), 150);
    }

    #[test]
    fn terminating_pods_stay_in_slices_marked_and_leave_endpoints() {
        let service = web(json!({ "selector": { "app": "web" }, "ports": [{ "port": 80 }] }));
        let mut leaving = pod("a", "10.244.0.2", "True", 80);
        leaving.metadata.deletion_timestamp = from_json(json!("2026-11-28T12:00:00Z"));
        let (endpoints, slices) = write(desired(&service, &[leaving.clone(), pod("b", "10.244.0.3", "True", 80)], "t"));
        let addresses = &endpoints.subsets.unwrap()[0].addresses.clone().unwrap();
        assert_eq!(addresses.iter().map(|a| a.ip.as_str()).collect::<Vec<_>>(), ["10.244.0.3"]);
        let conditions = slices[0].endpoints[0].conditions.clone().unwrap();
        assert_eq!(
            (conditions.ready, conditions.serving, conditions.terminating),
            (Some(false), Some(true), Some(true))
        );
        // publishNotReadyAddresses: not-ready pods are addresses all the same.
        let published =
            web(json!({ "selector": { "app": "web" }, "ports": [{ "port": 80 }], "publishNotReadyAddresses": true }));
        let (endpoints, slices) = write(desired(&published, &[pod("c", "10.244.0.4", "False", 80)], "t"));
        assert_eq!(endpoints.subsets.unwrap()[0].addresses.as_ref().unwrap()[0].ip, "10.244.0.4");
        assert_eq!(slices[0].endpoints[0].conditions.as_ref().unwrap().ready, Some(true));
    }

    #[test]
    fn a_service_selecting_nothing_gets_one_empty_slice() {
        let service = web(json!({ "selector": { "app": "none" }, "ports": [{ "port": 80 }] }));
        let (endpoints, slices) = write(desired(&service, &[pod("a", "10.244.0.2", "True", 80)], "t"));
        assert_eq!(endpoints.subsets, None);
        assert_eq!(slices.len(), 1);
        assert!(slices[0].endpoints.is_empty() && slices[0].ports.is_none());
    }

    #[test]
    fn no_selector_leaves_the_endpoints() {
        let service: Service = from_json(json!({ "metadata": { "name": "ext" }, "spec": {} }));
        assert_eq!(desired(&service, &[], "t"), Action::Leave);
        let empty: Service = from_json(json!({ "metadata": { "name": "e" }, "spec": { "selector": {} } }));
        assert_eq!(desired(&empty, &[], "t"), Action::Leave);
    }
}
