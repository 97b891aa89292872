//! Services: selector → endpoints, port → targetPort resolved per pod, and how each Service is exposed.
//!
//! ```text
//! [Service] -selector-> [Pod] ; port --targetPort (number | container port name, per pod)--> pod port
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use knet_object::Origin;

use crate::cluster::{Cluster, PodId};
use crate::ip::Cidr;
use crate::ports::Protocol;
use crate::selector::Selector;

/// `spec.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::ExternalName => "ExternalName",
        }
    }
}

/// `targetPort`: a number, or the name of a container port resolved on each endpoint pod.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetPort {
    Number(u16),
    Name(String),
}

impl std::fmt::Display for TargetPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetPort::Number(n) => write!(f, "{n}"),
            TargetPort::Name(name) => f.write_str(name),
        }
    }
}

/// One entry of `spec.ports`, defaulted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServicePort {
    pub name: Option<String>,
    pub protocol: Protocol,
    pub port: u16,
    pub target: TargetPort,
    pub node_port: Option<u16>,
}

/// Which addresses the model allocated because the object did not carry them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allocated {
    pub cluster_ip: bool,
    pub node_ports: bool,
    pub load_balancer_ip: bool,
}

/// A compiled Service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub service_type: ServiceType,
    /// The virtual IP; `None` for headless and ExternalName Services.
    pub cluster_ip: Option<IpAddr>,
    /// `clusterIP: None`.
    pub headless: bool,
    /// `None` when the Service has no selector: its endpoints are managed by hand (Endpoints / EndpointSlices).
    pub selector: Option<Selector>,
    pub ports: Vec<ServicePort>,
    pub external_name: Option<String>,
    /// `Some(timeout seconds)` for `sessionAffinity: ClientIP`.
    pub session_affinity: Option<u32>,
    pub load_balancer_source_ranges: Vec<Cidr>,
    pub load_balancer_ips: Vec<IpAddr>,
    pub external_ips: Vec<IpAddr>,
    pub publish_not_ready_addresses: bool,
    pub annotations: BTreeMap<String, String>,
    pub allocated: Allocated,
    pub origin: Origin,
}

/// One backend of a Service port: a pod (replica) and the port the traffic lands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The pod (workload) behind it, when the address belongs to one.
    pub pod: Option<PodId>,
    pub ip: IpAddr,
    /// The replica's name, or the address for a manual endpoint.
    pub target_name: String,
    pub hostname: Option<String>,
    pub port: u16,
    pub ready: bool,
}

/// How a Service port resolves on one selected pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortResolution {
    /// The target port, and whether a container declares it (a numeric target works even if undeclared).
    Resolved { port: u16, declared: bool },
    /// A named targetPort that no container of the pod declares with that protocol: the pod is not an endpoint.
    UnknownName,
}

impl Service {
    /// Compiles a defaulted Service; problems (unparsable addresses) are recorded and the rest is kept.
    pub fn compile(
        service: &k8s_openapi::api::core::v1::Service,
        origin: Origin,
        problems: &mut Vec<String>,
    ) -> Service {
        let namespace = service.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let name = service.metadata.name.clone().unwrap_or_default();
        let spec = service.spec.clone().unwrap_or_default();
        let service_type = match spec.type_.as_deref() {
            Some("NodePort") => ServiceType::NodePort,
            Some("LoadBalancer") => ServiceType::LoadBalancer,
            Some("ExternalName") => ServiceType::ExternalName,
            _ => ServiceType::ClusterIP,
        };
        let headless = spec.cluster_ip.as_deref() == Some("None");
        let cluster_ip =
            spec.cluster_ip.as_deref().filter(|ip| !ip.is_empty() && *ip != "None").and_then(|ip| match ip.parse() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    problems
                        .push(format!("service \"{namespace}/{name}\": spec.clusterIP {ip:?} is not an IP address"));
                    None
                }
            });
        let ports = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|p| {
                let port = u16::try_from(p.port).ok()?;
                Some(ServicePort {
                    name: p.name.clone().filter(|n| !n.is_empty()),
                    protocol: Protocol::from_field(p.protocol.as_deref())?,
                    port,
                    target: match &p.target_port {
                        None => TargetPort::Number(port),
                        Some(IntOrString::Int(n)) => TargetPort::Number(u16::try_from(*n).unwrap_or(port)),
                        Some(IntOrString::String(s)) => match s.parse::<u16>() {
                            Ok(n) => TargetPort::Number(n),
                            Err(_) => TargetPort::Name(s.clone()),
                        },
                    },
                    node_port: p.node_port.and_then(|n| u16::try_from(n).ok()).filter(|&n| n > 0),
                })
            })
            .collect();
        let parse_ips = |ips: Option<Vec<String>>| -> Vec<IpAddr> {
            ips.into_iter().flatten().filter_map(|ip| ip.parse().ok()).collect()
        };
        let load_balancer_ips = parse_ips(
            service
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.as_ref())
                .map(|ingress| ingress.iter().filter_map(|i| i.ip.clone()).collect()),
        );
        Service {
            selector: spec.selector.as_ref().map(Selector::from_map),
            session_affinity: (spec.session_affinity.as_deref() == Some("ClientIP")).then(|| {
                spec.session_affinity_config
                    .as_ref()
                    .and_then(|c| c.client_ip.as_ref())
                    .and_then(|c| c.timeout_seconds)
                    .and_then(|t| u32::try_from(t).ok())
                    .unwrap_or(10800)
            }),
            load_balancer_source_ranges: spec
                .load_balancer_source_ranges
                .iter()
                .flatten()
                .filter_map(|c| c.trim().parse().ok())
                .collect(),
            external_ips: parse_ips(spec.external_ips.clone()),
            load_balancer_ips,
            external_name: spec.external_name.clone().filter(|n| !n.is_empty()),
            publish_not_ready_addresses: spec.publish_not_ready_addresses.unwrap_or(false),
            annotations: service.metadata.annotations.clone().unwrap_or_default(),
            namespace,
            name,
            service_type,
            cluster_ip,
            headless,
            ports,
            allocated: Allocated::default(),
            origin,
        }
    }

    /// Whether a ClusterIP is allocated for this Service (not headless, not ExternalName).
    pub fn needs_cluster_ip(&self) -> bool {
        !self.headless && self.service_type != ServiceType::ExternalName
    }

    /// Whether the Service opens NodePorts on every node.
    pub fn exposes_node_ports(&self) -> bool {
        matches!(self.service_type, ServiceType::NodePort | ServiceType::LoadBalancer)
    }

    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The pods the selector picks, in the Service's namespace. A Service without a selector picks none.
    pub fn selected_pods<'c>(&self, cluster: &'c Cluster) -> impl Iterator<Item = PodId> + 'c {
        let selector = self.selector.clone();
        let namespace = self.namespace.clone();
        cluster.pod_ids().filter(move |&id| {
            let pod = cluster.pod(id);
            pod.namespace == namespace
                && selector.as_ref().is_some_and(|s| !s.is_everything() && s.matches(&pod.labels))
        })
    }

    /// Resolves a port's targetPort on one pod.
    pub fn resolve_target(&self, cluster: &Cluster, port: &ServicePort, pod: PodId) -> PortResolution {
        let pod = cluster.pod(pod);
        match &port.target {
            TargetPort::Number(n) => PortResolution::Resolved {
                port: *n,
                declared: pod.ports().any(|p| p.port == *n && p.protocol == port.protocol),
            },
            TargetPort::Name(name) => match pod.named_port(name, port.protocol) {
                Some(n) => PortResolution::Resolved { port: n, declared: true },
                None => PortResolution::UnknownName,
            },
        }
    }

    /// The endpoints of one Service port: every replica of every selected pod on which the target port resolves, or,
    /// for a Service without a selector, the addresses of its Endpoints / EndpointSlices objects.
    pub fn endpoints(&self, cluster: &Cluster, port: &ServicePort) -> Vec<Endpoint> {
        if self.selector.is_none() {
            return self.manual_endpoints(cluster, port);
        }
        let mut endpoints = Vec::new();
        for id in self.selected_pods(cluster) {
            let PortResolution::Resolved { port: target, .. } = self.resolve_target(cluster, port, id) else {
                continue;
            };
            let pod = cluster.pod(id);
            for replica in &pod.replicas {
                endpoints.push(Endpoint {
                    pod: Some(id),
                    ip: replica.ip,
                    target_name: replica.name.clone(),
                    hostname: replica.hostname.clone(),
                    port: target,
                    ready: pod.ready,
                });
            }
        }
        endpoints
    }

    /// Endpoints that count for traffic and DNS: ready ones, or all when `publishNotReadyAddresses` is set.
    pub fn serving_endpoints(&self, cluster: &Cluster, port: &ServicePort) -> Vec<Endpoint> {
        self.endpoints(cluster, port).into_iter().filter(|e| e.ready || self.publish_not_ready_addresses).collect()
    }

    fn manual_endpoints(&self, cluster: &Cluster, port: &ServicePort) -> Vec<Endpoint> {
        let mut out = Vec::new();
        let owned = |ns: &str, name: &str| ns == self.namespace && name == self.name;
        for endpoints in &cluster.endpoints {
            if !owned(endpoints.namespace(), endpoints.name()) {
                continue;
            }
            for subset in endpoints.value.subsets.iter().flatten() {
                let matching_port = subset.ports.iter().flatten().find(|p| {
                    p.name.as_deref().filter(|n| !n.is_empty()) == port.name.as_deref()
                        && Protocol::from_field(p.protocol.as_deref()) == Some(port.protocol)
                });
                let Some(target) = matching_port.and_then(|p| u16::try_from(p.port).ok()) else {
                    continue;
                };
                let ready = subset.addresses.iter().flatten().map(|a| (a, true));
                let not_ready = subset.not_ready_addresses.iter().flatten().map(|a| (a, false));
                for (address, is_ready) in ready.chain(not_ready) {
                    let Ok(ip) = address.ip.parse::<IpAddr>() else {
                        continue;
                    };
                    out.push(Endpoint {
                        pod: cluster.pod_by_ip(ip).map(|(id, _)| id),
                        ip,
                        target_name: address
                            .target_ref
                            .as_ref()
                            .and_then(|t| t.name.clone())
                            .unwrap_or_else(|| ip.to_string()),
                        hostname: address.hostname.clone(),
                        port: target,
                        ready: is_ready,
                    });
                }
            }
        }
        for slice in &cluster.endpoint_slices {
            let labels = slice.value.metadata.labels.clone().unwrap_or_default();
            let service = labels.get("kubernetes.io/service-name").map(String::as_str);
            if slice.namespace() != self.namespace || service != Some(self.name.as_str()) {
                continue;
            }
            let matching_port = slice.value.ports.iter().flatten().find(|p| {
                p.name.as_deref().filter(|n| !n.is_empty()) == port.name.as_deref()
                    && Protocol::from_field(p.protocol.as_deref()) == Some(port.protocol)
            });
            let Some(target) = matching_port.and_then(|p| p.port).and_then(|p| u16::try_from(p).ok()) else {
                continue;
            };
            for endpoint in &slice.value.endpoints {
                let ready = endpoint.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
                for address in &endpoint.addresses {
                    let Ok(ip) = address.parse::<IpAddr>() else {
                        continue;
                    };
                    if out.iter().any(|e| e.ip == ip && e.port == target) {
                        continue;
                    }
                    out.push(Endpoint {
                        pod: cluster.pod_by_ip(ip).map(|(id, _)| id),
                        ip,
                        target_name: endpoint
                            .target_ref
                            .as_ref()
                            .and_then(|t| t.name.clone())
                            .unwrap_or_else(|| ip.to_string()),
                        hostname: endpoint.hostname.clone(),
                        port: target,
                        ready,
                    });
                }
            }
        }
        out
    }

    /// The port entry a request names: by number, or by port name.
    pub fn find_port(
        &self,
        number: Option<u16>,
        name: Option<&str>,
        protocol: Option<Protocol>,
    ) -> Option<&ServicePort> {
        self.ports.iter().find(|p| {
            number.is_none_or(|n| p.port == n)
                && name.is_none_or(|n| p.name.as_deref() == Some(n))
                && protocol.is_none_or(|proto| p.protocol == proto)
        })
    }
}
