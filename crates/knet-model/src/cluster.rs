//! The snapshot every model function reads: namespaces, pods (or the workloads that stand for them), Services,
//! policies, Ingresses and the rest, compiled once from decoded objects.
//!
//! Offline, a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob stands for its pods: one [`Pod`] carries the
//! template's labels and ports, and its `replicas` list the addresses the pods would get. A bare Pod is its own
//! workload; a Pod that has owner references (read from a live cluster) is folded into its top owner. Addresses that a
//! real cluster would allocate (pod IPs, ClusterIPs, NodePorts, LoadBalancer IPs) are allocated here deterministically
//! when the objects do not carry them, so DNS answers and explanations are concrete. Only an address the object itself
//! carries (`status.podIP`) is used for ipBlock matching.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::api::core::v1::{PodDNSConfig, PodSpec, PodTemplateSpec};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use knet_object::{Manifest, Object, Origin};

use crate::policy::Policy;
use crate::ports::Protocol;
use crate::selector::Labels;
use crate::service::Service;

mod system;

pub use system::INGRESS_CONTROLLER_NAMESPACE;
use system::is_ingress_controller;

/// The label every namespace carries automatically (Kubernetes 1.22+).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Cluster-wide settings: the conventions a real cluster is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The DNS zone, `cluster.local`.
    pub domain: String,
    /// The ClusterIP of the cluster DNS Service (`kube-dns`), `10.96.0.10`.
    pub dns_service_ip: IpAddr,
    /// The ClusterIP of the `kubernetes` Service, `10.96.0.1`.
    pub api_service_ip: IpAddr,
    /// First and last address ClusterIPs are allocated from (`10.96.0.0/12`).
    pub service_ip_range: (Ipv4Addr, Ipv4Addr),
    /// First and last address pod IPs are allocated from (node 0's share of `10.244.0.0/16`).
    pub pod_ip_range: (Ipv4Addr, Ipv4Addr),
    /// First and last address LoadBalancer IPs are allocated from.
    pub load_balancer_ip_range: (Ipv4Addr, Ipv4Addr),
    /// NodePort range, `30000-32767`.
    pub node_port_range: (u16, u16),
    /// Search domains of the host's resolv.conf, appended to a ClusterFirst pod's search list.
    pub host_search: Vec<String>,
    /// Nameservers of the host's resolv.conf, used by `dnsPolicy: Default`.
    pub host_nameservers: Vec<IpAddr>,
    /// Add the IngressClass `nginx`, marked as the default class unless the input has a default, as
    /// `minikube addons enable ingress` and `knet up` do. Part of the system objects.
    pub default_ingress_class: bool,
    /// Add the objects every cluster has (`default` and `kube-system` namespaces, the `kubernetes` and `kube-dns`
    /// Services and the DNS pods) when the input does not define them.
    pub system_objects: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            domain: "cluster.local".into(),
            dns_service_ip: IpAddr::V4(Ipv4Addr::new(10, 96, 0, 10)),
            api_service_ip: IpAddr::V4(Ipv4Addr::new(10, 96, 0, 1)),
            service_ip_range: (Ipv4Addr::new(10, 96, 0, 1), Ipv4Addr::new(10, 111, 255, 254)),
            pod_ip_range: (Ipv4Addr::new(10, 244, 0, 2), Ipv4Addr::new(10, 244, 255, 254)),
            load_balancer_ip_range: (Ipv4Addr::new(10, 250, 0, 1), Ipv4Addr::new(10, 250, 0, 254)),
            node_port_range: (30000, 32767),
            host_search: Vec::new(),
            host_nameservers: Vec::new(),
            default_ingress_class: true,
            system_objects: true,
        }
    }
}

/// An object kept as written, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T: k8s_openapi::Metadata<Ty = ObjectMeta>> Located<T> {
    pub fn name(&self) -> &str {
        self.value.metadata().name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.value.metadata().namespace.as_deref().unwrap_or("default")
    }
}

/// A namespace: declared by a manifest, or implied because an object lives in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    /// Its labels, including the automatic `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// Whether a manifest declared it (otherwise it is implied by the objects in it).
    pub declared: bool,
}

/// The kind of a pod's top owner, as the connectivity report names it (`ns/name[Deployment]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

/// A port a container declares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// One container: its name and declared ports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Container {
    pub name: String,
    pub ports: Vec<ContainerPort>,
    /// `command` followed by `args`, when the container names its own program. knet runs that program as written,
    /// so whether anything listens on the declared ports is up to it; without a command, knet's built-in workload
    /// serves every declared port.
    pub command: Option<Vec<String>>,
}

/// One of the pods a workload stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// The pod's name (`web-0` for a StatefulSet; for other workloads a stand-in, `backend-1`).
    pub name: String,
    /// Its pod IP: observed, or allocated by the model.
    pub ip: IpAddr,
    /// `spec.hostname`, or the pod name for a StatefulSet pod: used for headless-Service DNS records.
    pub hostname: Option<String>,
}

/// Index of a [`Pod`] in [`Cluster::pods`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodId(pub usize);

/// A pod, or the workload that stands for a set of identical pods.
#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    pub namespace: String,
    /// The workload's name (or the bare pod's).
    pub name: String,
    pub kind: WorkloadKind,
    pub labels: Labels,
    pub containers: Vec<Container>,
    /// The address the object reports (`status.podIP`), used for ipBlock matching.
    pub observed_ip: Option<IpAddr>,
    pub replicas: Vec<Replica>,
    /// `spec.subdomain` (or a StatefulSet's `serviceName`): with a headless Service of that name, pods get DNS names.
    pub subdomain: Option<String>,
    pub host_network: bool,
    /// `spec.dnsPolicy`, defaulted to `ClusterFirst`.
    pub dns_policy: String,
    pub dns_config: Option<PodDNSConfig>,
    /// Whether the pods count as ready for endpoints. Offline, a workload is assumed ready; a live pod reports it.
    pub ready: bool,
    /// A system pod (cluster DNS) added by the model, not by the input.
    pub system: bool,
    pub origin: Origin,
}

impl Pod {
    /// Every declared port of every container.
    pub fn ports(&self) -> impl Iterator<Item = &ContainerPort> {
        self.containers.iter().flat_map(|c| &c.ports)
    }

    /// The container port a name refers to, for a protocol: how Services and policies resolve named ports.
    pub fn named_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        self.ports().find(|p| p.name.as_deref() == Some(name) && p.protocol == protocol).map(|p| p.port)
    }

    /// `ns/name[Kind]`, the peer name netpol-analyzer users script against.
    pub fn peer_name(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind.as_str())
    }

    /// `ns/name`.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// An object the model does not analyse, reported as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanalyzed {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub origin: Origin,
}

/// The compiled snapshot.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub config: ClusterConfig,
    pub namespaces: BTreeMap<String, Namespace>,
    pub pods: Vec<Pod>,
    pub services: Vec<Service>,
    pub policies: Vec<Policy>,
    pub ingresses: Vec<Located<Ingress>>,
    pub ingress_classes: Vec<Located<IngressClass>>,
    /// Endpoints and EndpointSlices as written: the addresses of Services without a selector.
    pub endpoints: Vec<Located<k8s_openapi::api::core::v1::Endpoints>>,
    pub endpoint_slices: Vec<Located<k8s_openapi::api::discovery::v1::EndpointSlice>>,
    /// `(namespace, name)` of every Secret, so TLS and auth references can be checked.
    pub secrets: BTreeSet<(String, String)>,
    pub config_maps: Vec<Located<k8s_openapi::api::core::v1::ConfigMap>>,
    pub unanalyzed: Vec<Unanalyzed>,
    /// Problems met while compiling (a selector with an unknown operator, an unparsable CIDR): each names its object.
    pub problems: Vec<String>,
}

impl Cluster {
    /// Compiles decoded (and already defaulted and validated) manifests with the default settings.
    pub fn from_manifests(manifests: &[Manifest]) -> Cluster {
        Cluster::build(ClusterConfig::default(), manifests)
    }

    /// Compiles decoded (and already defaulted and validated) manifests.
    pub fn build(config: ClusterConfig, manifests: &[Manifest]) -> Cluster {
        let mut builder = Builder { cluster: Cluster { config, ..Cluster::default() }, ips: Allocator::default() };
        for manifest in manifests {
            builder.add(manifest);
        }
        if builder.cluster.config.system_objects {
            builder.add_system_objects();
            if builder.cluster.config.default_ingress_class {
                builder.add_ingress_class();
            }
            builder.add_ingress_controller();
        }
        builder.finish()
    }

    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.0]
    }

    pub fn pod_ids(&self) -> impl Iterator<Item = PodId> + '_ {
        (0..self.pods.len()).map(PodId)
    }

    /// The labels of a namespace; an unknown namespace has only its automatic name label.
    pub fn namespace_labels(&self, name: &str) -> Labels {
        self.namespaces
            .get(name)
            .map(|ns| ns.labels.clone())
            .unwrap_or_else(|| [(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned())].into())
    }

    pub fn find_pod(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.pods
            .iter()
            .position(|p| p.namespace == namespace && p.name == name)
            .or_else(|| {
                // A replica's name (`web-0`) finds its workload.
                self.pods.iter().position(|p| p.namespace == namespace && p.replicas.iter().any(|r| r.name == name))
            })
            .map(PodId)
    }

    /// The pod that stands for the ingress controller (the real one if the input has it, else the model's).
    pub fn ingress_controller(&self) -> Option<PodId> {
        self.pods.iter().position(is_ingress_controller).map(PodId)
    }

    pub fn find_service(&self, namespace: &str, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.namespace == namespace && s.name == name)
    }

    /// The pod whose replica has this IP, when the address belongs to the pod network.
    pub fn pod_by_ip(&self, ip: IpAddr) -> Option<(PodId, &Replica)> {
        self.pods
            .iter()
            .enumerate()
            .find_map(|(index, pod)| pod.replicas.iter().find(|r| r.ip == ip).map(|r| (PodId(index), r)))
    }
}

/// Hands out addresses in order, skipping those already taken.
#[derive(Debug, Default)]
struct Allocator {
    taken: BTreeSet<IpAddr>,
    next_pod: u32,
    next_service: u32,
    next_load_balancer: u32,
}

impl Allocator {
    fn next(&mut self, range: (Ipv4Addr, Ipv4Addr), cursor: fn(&mut Allocator) -> &mut u32) -> Option<IpAddr> {
        let (first, last) = (u32::from(range.0), u32::from(range.1));
        let size = last.checked_sub(first)? + 1;
        for _ in 0..size {
            let offset = *cursor(self) % size;
            *cursor(self) = offset + 1;
            let candidate = IpAddr::V4(Ipv4Addr::from(first + offset));
            if self.taken.insert(candidate) {
                return Some(candidate);
            }
        }
        None
    }
}

struct Builder {
    cluster: Cluster,
    ips: Allocator,
}

impl Builder {
    fn add(&mut self, manifest: &Manifest) {
        let origin = manifest.origin.clone();
        let object = &manifest.object;
        if let Some(namespace) = object.namespace() {
            self.imply_namespace(namespace);
        }
        match object {
            Object::Namespace(ns) => {
                let name = ns.metadata.name.clone().unwrap_or_default();
                let mut labels: Labels = ns.metadata.labels.clone().unwrap_or_default();
                labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.clone());
                self.cluster.namespaces.insert(name.clone(), Namespace { name, labels, declared: true });
            }
            Object::Pod(pod) => {
                // A pod owned by a workload that is also in the input is represented by that workload.
                let owned = pod
                    .metadata
                    .owner_references
                    .as_ref()
                    .is_some_and(|owners| owners.iter().any(|o| o.controller == Some(true)));
                if owned {
                    self.add_owned_pod(pod, origin);
                } else if let Some(spec) = &pod.spec {
                    let ip = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()).and_then(|ip| ip.parse().ok());
                    let ready = pod_is_ready(pod);
                    self.add_workload(WorkloadKind::Pod, &pod.metadata, &pod.metadata, spec, 1, ip, ready, origin);
                }
            }
            Object::Deployment(d) => {
                if let Some(spec) = &d.spec {
                    self.add_template(WorkloadKind::Deployment, &d.metadata, &spec.template, spec.replicas, origin);
                }
            }
            Object::ReplicaSet(rs) => {
                let owned = rs.metadata.owner_references.as_ref().is_some_and(|o| !o.is_empty());
                if let (Some(spec), false) = (&rs.spec, owned)
                    && let Some(template) = &spec.template
                {
                    self.add_template(WorkloadKind::ReplicaSet, &rs.metadata, template, spec.replicas, origin);
                }
            }
            Object::StatefulSet(s) => {
                if let Some(spec) = &s.spec {
                    let before = self.cluster.pods.len();
                    self.add_template(WorkloadKind::StatefulSet, &s.metadata, &spec.template, spec.replicas, origin);
                    if let Some(pod) = self.cluster.pods.get_mut(before) {
                        if pod.subdomain.is_none() {
                            pod.subdomain = spec.service_name.clone().filter(|s| !s.is_empty());
                        }
                        for replica in &mut pod.replicas {
                            replica.hostname.get_or_insert_with(|| replica.name.clone());
                        }
                    }
                }
            }
            Object::DaemonSet(d) => {
                if let Some(spec) = &d.spec {
                    self.add_template(WorkloadKind::DaemonSet, &d.metadata, &spec.template, Some(1), origin);
                }
            }
            Object::Job(j) => {
                let owned = j.metadata.owner_references.as_ref().is_some_and(|o| !o.is_empty());
                if let (Some(spec), false) = (&j.spec, owned) {
                    self.add_template(WorkloadKind::Job, &j.metadata, &spec.template, spec.parallelism, origin);
                }
            }
            Object::CronJob(c) => {
                if let Some(job) = c.spec.as_ref().and_then(|s| s.job_template.spec.as_ref()) {
                    self.add_template(WorkloadKind::CronJob, &c.metadata, &job.template, job.parallelism, origin);
                }
            }
            Object::Service(service) => {
                self.cluster.services.push(Service::compile(service, origin, &mut self.cluster.problems));
            }
            Object::NetworkPolicy(policy) => match Policy::compile(policy, origin) {
                Ok(policy) => self.cluster.policies.push(policy),
                Err(problem) => self.cluster.problems.push(problem),
            },
            Object::Ingress(ingress) => self.cluster.ingresses.push(Located { value: ingress.clone(), origin }),
            Object::IngressClass(class) => self.cluster.ingress_classes.push(Located { value: class.clone(), origin }),
            Object::Endpoints(e) => self.cluster.endpoints.push(Located { value: e.clone(), origin }),
            Object::EndpointSlice(e) => self.cluster.endpoint_slices.push(Located { value: e.clone(), origin }),
            Object::Secret(secret) => {
                self.cluster.secrets.insert((
                    object.namespace().unwrap_or("default").to_owned(),
                    secret.metadata.name.clone().unwrap_or_default(),
                ));
            }
            Object::ConfigMap(cm) => self.cluster.config_maps.push(Located { value: cm.clone(), origin }),
            Object::Other(other) => self.cluster.unanalyzed.push(Unanalyzed {
                kind: other.kind.clone(),
                namespace: other.metadata.namespace.clone(),
                name: other.metadata.name.clone().unwrap_or_default(),
                origin,
            }),
        }
    }

    fn imply_namespace(&mut self, name: &str) {
        self.cluster.namespaces.entry(name.to_owned()).or_insert_with(|| Namespace {
            name: name.to_owned(),
            labels: [(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned())].into(),
            declared: false,
        });
    }

    fn add_template(
        &mut self,
        kind: WorkloadKind,
        meta: &ObjectMeta,
        template: &PodTemplateSpec,
        replicas: Option<i32>,
        origin: Origin,
    ) {
        let Some(spec) = &template.spec else { return };
        let template_meta = template.metadata.clone().unwrap_or_default();
        let replicas = u32::try_from(replicas.unwrap_or(1)).unwrap_or(0);
        self.add_workload(kind, meta, &template_meta, spec, replicas, None, true, origin);
    }

    /// A live pod owned by a controller: fold it into the workload named by its top owner, adding it as a replica.
    fn add_owned_pod(&mut self, pod: &k8s_openapi::api::core::v1::Pod, origin: Origin) {
        let Some(spec) = &pod.spec else { return };
        let namespace = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let owner = pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true));
        let (kind, name) = match owner {
            // A ReplicaSet named `<deployment>-<hash>` belongs to that Deployment.
            Some(o) if o.kind == "ReplicaSet" => match o.name.rsplit_once('-') {
                Some((deployment, _)) => (WorkloadKind::Deployment, deployment.to_owned()),
                None => (WorkloadKind::ReplicaSet, o.name.clone()),
            },
            Some(o) => (workload_kind(&o.kind), o.name.clone()),
            None => (WorkloadKind::Pod, pod.metadata.name.clone().unwrap_or_default()),
        };
        let ip: Option<IpAddr> = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()).and_then(|ip| ip.parse().ok());
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        if let Some(existing) =
            self.cluster.pods.iter_mut().find(|p| p.namespace == namespace && p.name == name && p.kind == kind)
        {
            // Pods created from a template that is also in the input: record the live pod as a replica.
            let ip =
                ip.unwrap_or_else(|| existing.replicas.first().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |r| r.ip));
            if !existing.replicas.iter().any(|r| r.name == pod_name) {
                existing.replicas.push(Replica { name: pod_name, ip, hostname: spec.hostname.clone() });
            }
            return;
        }
        let meta = ObjectMeta { name: Some(name), namespace: Some(namespace), ..ObjectMeta::default() };
        let ready = pod_is_ready(pod);
        self.add_workload(kind, &meta, &pod.metadata, spec, 1, ip, ready, origin);
        if let Some(added) = self.cluster.pods.last_mut()
            && let Some(first) = added.replicas.first_mut()
        {
            first.name = pod_name;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_workload(
        &mut self,
        kind: WorkloadKind,
        meta: &ObjectMeta,
        pod_meta: &ObjectMeta,
        spec: &PodSpec,
        replicas: u32,
        observed_ip: Option<IpAddr>,
        ready: bool,
        origin: Origin,
    ) {
        let namespace = meta.namespace.clone().unwrap_or_else(|| "default".into());
        let name = meta.name.clone().unwrap_or_default();
        let containers = spec
            .containers
            .iter()
            .map(|c| Container {
                name: c.name.clone(),
                command: c
                    .command
                    .as_ref()
                    .filter(|command| !command.is_empty())
                    .map(|command| command.iter().chain(c.args.iter().flatten()).cloned().collect()),
                ports: c
                    .ports
                    .iter()
                    .flatten()
                    .filter_map(|p| {
                        Some(ContainerPort {
                            name: p.name.clone().filter(|n| !n.is_empty()),
                            port: u16::try_from(p.container_port).ok().filter(|&p| p > 0)?,
                            protocol: Protocol::from_field(p.protocol.as_deref())?,
                        })
                    })
                    .collect(),
            })
            .collect();
        let replica_names: Vec<String> = match (kind, replicas) {
            (WorkloadKind::Pod, _) => vec![name.clone()],
            (_, n) => (0..n).map(|i| format!("{name}-{i}")).collect(),
        };
        if let Some(ip) = observed_ip {
            self.ips.taken.insert(ip);
        }
        let replicas = replica_names
            .into_iter()
            .map(|replica| Replica {
                ip: observed_ip
                    .or_else(|| self.ips.next(self.cluster.config.pod_ip_range, |a| &mut a.next_pod))
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                hostname: spec.hostname.clone(),
                name: replica,
            })
            .collect();
        self.cluster.pods.push(Pod {
            namespace,
            name,
            kind,
            labels: pod_meta.labels.clone().unwrap_or_default(),
            containers,
            observed_ip,
            replicas,
            subdomain: spec.subdomain.clone().filter(|s| !s.is_empty()),
            host_network: spec.host_network.unwrap_or(false),
            dns_policy: spec.dns_policy.clone().unwrap_or_else(|| "ClusterFirst".into()),
            dns_config: spec.dns_config.clone(),
            ready,
            system: false,
            origin,
        });
    }

    /// Allocates what a real API server would: ClusterIPs, NodePorts and LoadBalancer IPs the input left open.
    fn finish(mut self) -> Cluster {
        for service in &self.cluster.services {
            if let Some(ip) = service.cluster_ip {
                self.ips.taken.insert(ip);
            }
        }
        let config = self.cluster.config.clone();
        let mut taken_node_ports: BTreeSet<u16> =
            self.cluster.services.iter().flat_map(|s| s.ports.iter().filter_map(|p| p.node_port)).collect();
        let mut next_node_port = config.node_port_range.0;
        for service in &mut self.cluster.services {
            if service.needs_cluster_ip() && service.cluster_ip.is_none() {
                service.cluster_ip = self.ips.next(config.service_ip_range, |a| &mut a.next_service);
                service.allocated.cluster_ip = true;
            }
            if service.exposes_node_ports() {
                for port in service.ports.iter_mut().filter(|p| p.node_port.is_none()) {
                    while taken_node_ports.contains(&next_node_port) && next_node_port < config.node_port_range.1 {
                        next_node_port += 1;
                    }
                    taken_node_ports.insert(next_node_port);
                    port.node_port = Some(next_node_port);
                    service.allocated.node_ports = true;
                }
            }
            if service.service_type == crate::service::ServiceType::LoadBalancer
                && service.load_balancer_ips.is_empty()
                && let Some(ip) = self.ips.next(config.load_balancer_ip_range, |a| &mut a.next_load_balancer)
            {
                service.load_balancer_ips.push(ip);
                service.allocated.load_balancer_ip = true;
            }
        }
        self.cluster
    }
}

fn workload_kind(kind: &str) -> WorkloadKind {
    match kind {
        "Deployment" => WorkloadKind::Deployment,
        "ReplicaSet" => WorkloadKind::ReplicaSet,
        "StatefulSet" => WorkloadKind::StatefulSet,
        "DaemonSet" => WorkloadKind::DaemonSet,
        "Job" => WorkloadKind::Job,
        "CronJob" => WorkloadKind::CronJob,
        _ => WorkloadKind::Pod,
    }
}

/// A pod counts as ready unless it reports a `Ready` condition that is not `True` (offline pods report none).
fn pod_is_ready(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready"))
        .is_none_or(|c| c.status == "True")
}
