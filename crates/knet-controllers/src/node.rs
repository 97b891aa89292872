//! The stand-in node: what the scheduler and the kubelet do for a pod when there is no node data plane to run it.
//! A new pod is bound to the one node, given the next free IP of the node's pod CIDR (round-robin from the last one
//! given, as the host-local IPAM plugin does, so a freed address is not handed out again at once), and reported
//! Running with every container started and ready. A pod being deleted gracefully is let go at once: there are no
//! processes to stop. The node data plane replaces this with real sandboxes.

mod readiness;
mod references;

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use serde_json::{Value, json};

use self::references::{Blocked, Source};
use crate::events::Type;
use crate::{Context, Error, Result};

/// How often a pod held back by a missing ConfigMap or Secret is looked at again (besides when one appears).
const RECHECK: std::time::Duration = std::time::Duration::from_secs(10);
/// The scheduler's name on the events it records.
const SCHEDULER: &str = "default-scheduler";
/// The name on the network's events (as Multus names itself on its `AddedInterface`).
const NETWORK: &str = "knet";
/// The kubelet's name on the events it records.
const KUBELET: &str = "kubelet";

/// The node's pod CIDR as addresses: the network, its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodCidr {
    network: Ipv4Addr,
    prefix: u8,
}

impl PodCidr {
    /// Parses `a.b.c.d/n` (n from 8 to 30: room for the gateway and at least one pod).
    pub fn parse(text: &str) -> Option<PodCidr> {
        let (address, prefix) = text.split_once('/')?;
        let address: Ipv4Addr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok().filter(|p| (8..=30).contains(p))?;
        let mask = u32::MAX << (32 - prefix);
        Some(PodCidr { network: Ipv4Addr::from(u32::from(address) & mask), prefix })
    }

    /// The addresses pods may get: all but the network address, the gateway (`.1`) and the broadcast address.
    fn pod_addresses(&self) -> std::ops::RangeInclusive<u32> {
        let first = u32::from(self.network);
        let last = first | (u32::MAX >> self.prefix);
        (first + 2)..=(last - 1)
    }
}

/// The next address to give a pod: the first free one after `last` (wrapping around), or `None` when all are used.
pub fn next_address(cidr: PodCidr, used: &BTreeSet<Ipv4Addr>, last: Option<Ipv4Addr>) -> Option<Ipv4Addr> {
    let range = cidr.pod_addresses();
    let start = last.map(u32::from).filter(|l| range.contains(l)).map_or(*range.start(), |l| l + 1);
    let after = start..=*range.end();
    let before = *range.start()..start;
    after.chain(before).map(Ipv4Addr::from).find(|address| !used.contains(address))
}

/// What the node does next for a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing: the pod runs, or belongs to another node.
    Nothing,
    /// Bind it to this node.
    Bind,
    /// Start it: give it an address and report it Running (and Ready, unless a readiness probe waits).
    Start,
    /// It runs, and a container waits for its first readiness probe.
    Probe,
    /// It is being deleted: confirm the deletion.
    Remove,
}

/// What the node does for `pod`.
pub fn step(pod: &Pod, node: &str) -> Step {
    let bound_to = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
    if pod.metadata.deletion_timestamp.is_some() {
        return if bound_to.is_none_or(|n| n == node) { Step::Remove } else { Step::Nothing };
    }
    match bound_to {
        None => Step::Bind,
        Some(name) if name != node => Step::Nothing,
        Some(_) => {
            let status = pod.status.as_ref();
            let running = status.and_then(|s| s.phase.as_deref()) == Some("Running");
            let addressed = status.and_then(|s| s.pod_ip.as_deref()).is_some();
            let all_ready = status
                .and_then(|s| s.container_statuses.as_ref())
                .is_none_or(|containers| containers.iter().all(|c| c.ready));
            match (running && addressed, all_ready) {
                (false, _) => Step::Start,
                (true, false) => Step::Probe,
                (true, true) => Step::Nothing,
            }
        }
    }
}

/// The status a started pod reports: Running, its address, every container running, and ready unless it waits for
/// its first readiness probe. (The QoS class was set by the API server at creation.)
pub fn running_status(pod: &Pod, pod_ip: Ipv4Addr, host_ip: &str, now: &str) -> Value {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|container| {
            json!({
                "name": container.name,
                "image": container.image.clone().unwrap_or_default(),
                "imageID": "",
                "containerID": format!("knet://{}-{}", pod.metadata.uid.as_deref().unwrap_or(""), container.name),
                "ready": readiness::delay(container).is_zero(),
                "started": true,
                "restartCount": 0,
                "state": { "running": { "startedAt": now } },
            })
        })
        .collect();
    let unready: Vec<&str> =
        containers.iter().filter(|c| !readiness::delay(c).is_zero()).map(|c| c.name.as_str()).collect();
    json!({
        "phase": "Running",
        "hostIP": host_ip,
        "hostIPs": [{ "ip": host_ip }],
        "podIP": pod_ip.to_string(),
        "podIPs": [{ "ip": pod_ip.to_string() }],
        "startTime": now,
        "conditions": readiness::conditions(&unready, now),
        "containerStatuses": statuses,
    })
}

/// The addresses handed out: the last one (where the next search starts), and those given to pods the watch has
/// not yet shown with their address.
#[derive(Debug, Default)]
struct Addresses {
    last: Option<Ipv4Addr>,
    in_flight: HashMap<String, Ipv4Addr>,
}

struct Node {
    context: Arc<Context>,
    cidr: PodCidr,
    pods: Store<Pod>,
    addresses: Mutex<Addresses>,
    /// When each held-back pod was last warned about.
    warned: Mutex<HashMap<String, std::time::Instant>>,
}

/// Runs the stand-in node until it is stopped.
pub async fn run(context: Arc<Context>) {
    let Some(cidr) = PodCidr::parse(&context.config.pod_cidr) else {
        eprintln!("knet: node: the pod CIDR {:?} is not an IPv4 CIDR with room for pods", context.config.pod_cidr);
        return;
    };
    let client = context.client.clone();
    let controller = Controller::new(Api::<Pod>::all(client.clone()), watcher::Config::default());
    let pods = controller.store();
    let node =
        Arc::new(Node { pods: pods.clone(), context, cidr, addresses: Mutex::default(), warned: Mutex::default() });
    // A ConfigMap or Secret appearing (or changing) lets the pods waiting for it start at once.
    let waiting_on = move |source: Source, namespace: Option<String>, name: String| {
        pods.state()
            .into_iter()
            .filter(|pod| {
                pod.namespace() == namespace && pod.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Running")
            })
            .filter(|pod| references::required(pod).iter().any(|r| r.source == source && r.name == name))
            .map(|pod| ObjectRef::from_obj(&*pod))
            .collect::<Vec<_>>()
    };
    let on_secret = waiting_on.clone();
    controller
        .watches(Api::<ConfigMap>::all(client.clone()), watcher::Config::default(), move |map| {
            waiting_on(Source::ConfigMap, map.namespace(), map.name_any())
        })
        .watches(Api::<Secret>::all(client), watcher::Config::default(), move |secret| {
            on_secret(Source::Secret, secret.namespace(), secret.name_any())
        })
        .run(reconcile, |_, error, _| crate::retry("node", error), node)
        .for_each(|_| std::future::ready(()))
        .await;
}

async fn reconcile(pod: Arc<Pod>, node: Arc<Node>) -> Result<Requeue> {
    let context = &node.context;
    let name = pod.name_any();
    let api: Api<Pod> = Api::namespaced(context.client.clone(), &pod.namespace().unwrap_or_default());
    match step(&pod, &context.config.node_name) {
        Step::Nothing => {}
        Step::Probe => {
            let (patch, next) = readiness::update(&pod, k8s_openapi::jiff::Timestamp::now());
            if let Some(status) = patch {
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&json!({ "status": status }))).await?;
            }
            if let Some(next) = next {
                return Ok(Requeue::requeue(next));
            }
        }
        Step::Remove => {
            for container in pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default() {
                let message = format!("Stopping container {}", container.name);
                context.events.record(KUBELET, &*pod, Type::Normal, "Killing", &message).await;
            }
            let now = DeleteParams { grace_period_seconds: Some(0), ..Default::default() };
            crate::ignore_not_found(api.delete(&name, &now).await)?;
        }
        Step::Bind => {
            let patch = json!({ "spec": { "nodeName": context.config.node_name } });
            api.patch(&name, &PatchParams::default(), &Patch::Strategic(&patch)).await?;
            let message = format!(
                "Successfully assigned {}/{name} to {}",
                pod.namespace().unwrap_or_default(),
                context.config.node_name
            );
            context.events.record(SCHEDULER, &*pod, Type::Normal, "Scheduled", &message).await;
        }
        Step::Start => {
            // Every pod's address must be known before one is chosen.
            node.pods
                .wait_until_ready()
                .await
                .map_err(|e| Error::Invalid { what: "the pod cache".into(), message: e.to_string() })?;
            if let Some(blocked) = node.blocked(&pod).await? {
                node.hold(&pod, &api, &blocked).await?;
                return Ok(Requeue::requeue(RECHECK));
            }
            let address = node.reserve(&pod)?;
            let now = crate::now_rfc3339();
            let status = running_status(&pod, address, &context.config.node_ip, &now);
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&json!({ "status": status }))).await?;
            let prefix = node.cidr.prefix;
            let interface = format!("Add eth0 [{address}/{prefix}] from knet");
            context.events.record(NETWORK, &*pod, Type::Normal, "AddedInterface", &interface).await;
            for container in pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default() {
                let image = container.image.as_deref().unwrap_or_default();
                let pulled = format!("Container image \"{image}\" already present on machine");
                context.events.record(KUBELET, &*pod, Type::Normal, "Pulled", &pulled).await;
                let created = format!("Created container: {}", container.name);
                context.events.record(KUBELET, &*pod, Type::Normal, "Created", &created).await;
                let started = format!("Started container {}", container.name);
                context.events.record(KUBELET, &*pod, Type::Normal, "Started", &started).await;
            }
        }
    }
    Ok(Requeue::await_change())
}

impl Node {
    /// The address of `pod`: the one it has, or the one it was given, or the next free one.
    fn reserve(&self, pod: &Pod) -> Result<Ipv4Addr> {
        let current = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()).and_then(|ip| ip.parse().ok());
        if let Some(address) = current {
            return Ok(address);
        }
        let uid = pod.uid().unwrap_or_default();
        let pods = self.pods.state();
        let mut addresses = self.addresses.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // An address in flight is settled once the watch shows the pod with it, or the pod gone.
        addresses.in_flight.retain(|uid, address| {
            pods.iter().any(|p| p.uid().as_deref() == Some(uid.as_str()) && pod_ip(p) != Some(*address))
        });
        if let Some(address) = addresses.in_flight.get(&uid) {
            return Ok(*address);
        }
        let used: BTreeSet<Ipv4Addr> =
            pods.iter().filter_map(|p| pod_ip(p)).chain(addresses.in_flight.values().copied()).collect();
        let address = next_address(self.cidr, &used, addresses.last).ok_or_else(|| Error::Invalid {
            what: format!("pod {}/{}", pod.namespace().unwrap_or_default(), pod.name_any()),
            message: format!("no free address left in the pod CIDR {}", self.context.config.pod_cidr),
        })?;
        addresses.last = Some(address);
        addresses.in_flight.insert(uid, address);
        Ok(address)
    }
}

impl Node {
    /// What keeps `pod` from starting, if anything: the first of its missing references, as the kubelet reports it.
    async fn blocked(&self, pod: &Pod) -> Result<Option<Blocked>> {
        let required = references::required(pod);
        if required.is_empty() {
            return Ok(None);
        }
        let namespace = pod.namespace().unwrap_or_default();
        let client = &self.context.client;
        let mut found: HashMap<(Source, String), Option<BTreeSet<String>>> = HashMap::new();
        for reference in &required {
            let id = (reference.source, reference.name.clone());
            if found.contains_key(&id) {
                continue;
            }
            let keys = match reference.source {
                Source::ConfigMap => {
                    let maps = Api::<ConfigMap>::namespaced(client.clone(), &namespace);
                    maps.get_opt(&reference.name).await?.as_ref().map(references::config_map_keys)
                }
                Source::Secret => {
                    let secrets = Api::<Secret>::namespaced(client.clone(), &namespace);
                    secrets.get_opt(&reference.name).await?.as_ref().map(references::secret_keys)
                }
            };
            found.insert(id, keys);
        }
        let blocked = references::blocked(&namespace, &required, |source, name| {
            found.get(&(source, name.to_owned())).cloned().flatten()
        });
        Ok(blocked.into_iter().next())
    }

    /// Reports `pod` held back by `blocked`: Pending, its containers waiting (`ContainerCreating` while a volume
    /// cannot be mounted, `CreateContainerConfigError` for the one whose environment cannot be built, which has a
    /// sandbox and so an address), and the kubelet's warning event.
    async fn hold(&self, pod: &Pod, api: &Api<Pod>, blocked: &Blocked) -> Result<()> {
        let context = &self.context;
        let address = match blocked {
            Blocked::Mount { .. } => None,
            Blocked::Config { .. } => Some(self.reserve(pod)?),
        };
        let status = held_status(pod, blocked, address, &context.config.node_ip, &crate::now_rfc3339());
        let waiting = |status: &Value| status["containerStatuses"].clone();
        let current = serde_json::to_value(pod.status.clone().unwrap_or_default()).unwrap_or_default();
        if waiting(&current) != waiting(&status) || current.get("podIP") != status.get("podIP") {
            api.patch_status(&pod.name_any(), &PatchParams::default(), &Patch::Merge(&json!({ "status": status })))
                .await?;
        }
        // The kubelet repeats the warning at each of its syncs, not at each change it makes itself.
        let uid = pod.uid().unwrap_or_default();
        let due = {
            let mut warned = self.warned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            warned.retain(|_, at| at.elapsed() < RECHECK * 6);
            let due = warned.get(&uid).is_none_or(|at| at.elapsed() >= RECHECK);
            if due {
                warned.insert(uid, std::time::Instant::now());
            }
            due
        };
        if due {
            let (reason, message) = blocked.event();
            context.events.record(KUBELET, pod, Type::Warning, reason, &message).await;
        }
        Ok(())
    }
}

/// The status of a pod held back by `blocked` (see `Node::hold`).
pub fn held_status(pod: &Pod, blocked: &Blocked, address: Option<Ipv4Addr>, host_ip: &str, now: &str) -> Value {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|container| {
            let waiting = match blocked {
                Blocked::Config { container: failing, message } if *failing == container.name => {
                    json!({ "reason": "CreateContainerConfigError", "message": message })
                }
                _ => json!({ "reason": "ContainerCreating" }),
            };
            json!({
                "name": container.name,
                "image": container.image.clone().unwrap_or_default(),
                "imageID": "",
                "ready": false,
                "started": false,
                "restartCount": 0,
                "state": { "waiting": waiting },
            })
        })
        .collect();
    let mut conditions = readiness::conditions(&names, now);
    // Without a sandbox (a volume could not be mounted) the pod is not ready to start containers either.
    if address.is_none() {
        conditions[0]["status"] = json!("False");
    }
    let mut status = json!({
        "phase": "Pending",
        "hostIP": host_ip,
        "hostIPs": [{ "ip": host_ip }],
        "startTime": now,
        "conditions": conditions,
        "containerStatuses": statuses,
    });
    if let Some(address) = address {
        status["podIP"] = json!(address.to_string());
        status["podIPs"] = json!([{ "ip": address.to_string() }]);
    }
    status
}

fn pod_ip(pod: &Pod) -> Option<Ipv4Addr> {
    pod.status.as_ref()?.pod_ip.as_deref()?.parse().ok()
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("cidr", &self.cidr).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> PodCidr {
        PodCidr::parse(text).unwrap()
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_skip_network_gateway_and_broadcast_and_go_round() {
        let pods = cidr("10.244.0.0/24");
        let mut used = BTreeSet::new();
        assert_eq!(next_address(pods, &used, None), Some(ip("10.244.0.2")));
        used.insert(ip("10.244.0.2"));
        assert_eq!(next_address(pods, &used, Some(ip("10.244.0.2"))), Some(ip("10.244.0.3")));
        // Freed .2 is not handed out again until the range wraps.
        used.clear();
        assert_eq!(next_address(pods, &used, Some(ip("10.244.0.3"))), Some(ip("10.244.0.4")));
        assert_eq!(next_address(pods, &used, Some(ip("10.244.0.254"))), Some(ip("10.244.0.2")));
        let full: BTreeSet<Ipv4Addr> = (2..=254).map(|n| Ipv4Addr::new(10, 244, 0, n)).collect();
        assert_eq!(next_address(pods, &full, None), None);
    }

    #[test]
    fn cidr_parsing_masks_and_refuses_what_has_no_room() {
        assert_eq!(cidr("10.244.0.7/24"), cidr("10.244.0.0/24"));
        assert_eq!(PodCidr::parse("10.244.0.0/31"), None);
        assert_eq!(PodCidr::parse("10.244.0.0"), None);
        assert_eq!(PodCidr::parse("fd00::/64"), None);
        assert_eq!(next_address(cidr("10.0.0.0/30"), &BTreeSet::new(), None), Some(ip("10.0.0.2")));
    }

    fn pod(value: Value) -> Pod {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn steps_follow_the_pods_life() {
        let new = pod(json!({ "metadata": { "name": "a" }, "spec": { "containers": [{ "name": "c" }] } }));
        assert_eq!(step(&new, "knet"), Step::Bind);
        let bound = pod(
            json!({ "metadata": { "name": "a" }, "spec": { "nodeName": "knet", "containers": [{ "name": "c" }] } }),
        );
        assert_eq!(step(&bound, "knet"), Step::Start);
        assert_eq!(step(&bound, "elsewhere"), Step::Nothing);
        let mut running = bound.clone();
        running.status = serde_json::from_value(json!({ "phase": "Running", "podIP": "10.244.0.2" })).unwrap();
        assert_eq!(step(&running, "knet"), Step::Nothing);
        let mut leaving = running.clone();
        leaving.metadata.deletion_timestamp = serde_json::from_value(json!("2026-11-28T12:00:00Z")).unwrap();
        assert_eq!(step(&leaving, "knet"), Step::Remove);
    }

    #[test]
    fn running_status_reports_every_container_ready() {
        let p = pod(json!({
            "metadata": { "name": "a", "uid": "u" },
            "spec": { "nodeName": "knet", "containers": [
                { "name": "web", "image": "nginx:1.27", "resources": { "requests": { "cpu": "100m" } } },
                { "name": "side", "image": "busybox" }
            ] }
        }));
        let status = running_status(&p, ip("10.244.0.9"), "127.0.0.1", "2026-11-28T12:00:00Z");
        assert_eq!(status["podIP"], "10.244.0.9");
        assert_eq!(status["phase"], "Running");
        assert_eq!(status["containerStatuses"][1]["name"], "side");
        assert_eq!(status["containerStatuses"][1]["ready"], true);
        let ready = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(ready["status"], "True");
        let parsed: k8s_openapi::api::core::v1::PodStatus = serde_json::from_value(status).unwrap();
        assert_eq!(parsed.container_statuses.unwrap().len(), 2);
    }

    #[test]
    fn a_held_pod_is_pending_with_its_containers_waiting() {
        let p = pod(json!({ "metadata": { "name": "a" }, "spec": { "nodeName": "knet", "containers": [
            { "name": "web", "image": "nginx" }, { "name": "side", "image": "busybox" }
        ] } }));
        let config = Blocked::Config { container: "side".into(), message: r#"configmap "x" not found"#.into() };
        let status = held_status(&p, &config, Some(ip("10.244.0.7")), "127.0.0.1", "2026-11-28T12:00:00Z");
        assert_eq!((status["phase"].as_str(), status["podIP"].as_str()), (Some("Pending"), Some("10.244.0.7")));
        assert_eq!(status["containerStatuses"][0]["state"]["waiting"]["reason"], "ContainerCreating");
        assert_eq!(status["containerStatuses"][1]["state"]["waiting"]["reason"], "CreateContainerConfigError");
        let ready = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(
            (ready["status"].as_str(), ready["message"].as_str()),
            (Some("False"), Some("containers with unready status: [web side]"))
        );
        let mount = Blocked::Mount { volume: "v".into(), message: "m".into() };
        let status = held_status(&p, &mount, None, "127.0.0.1", "2026-11-28T12:00:00Z");
        assert!(status.get("podIP").is_none(), "no sandbox, no address, until the volume mounts");
        let parsed: k8s_openapi::api::core::v1::PodStatus = serde_json::from_value(status).unwrap();
        assert_eq!(parsed.container_statuses.unwrap().len(), 2);
    }
}
