//! The `knet analyze` report as data: connectivity lines, per-port pod connections, Services with their endpoints,
//! DNS names, Ingress routes and exposure. Rendering into text and machine formats is [`crate::render`]'s job.

use std::collections::BTreeMap;

use knet_model::connectivity::{Connectivity, Node};
use knet_model::ingress::{RouteTable, ServiceTarget};
use knet_model::ports::{Connections, Protocol};
use knet_model::service::{PortResolution, ServiceType};
use knet_model::{Cluster, PodId};
use serde::Serialize;

/// The peer name of the ingress controller in connectivity lines, as netpol-analyzer writes it.
pub const INGRESS_CONTROLLER_PEER: &str = "{ingress-controller}";

/// One `<src> => <dst> : <conns>` line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConnectivityLine {
    pub src: String,
    pub dst: String,
    pub conn: String,
}

/// One probe of the pod-level table: may `from` open `port/protocol` on `to`?
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PodConnection {
    pub from: String,
    pub to: String,
    pub port: u16,
    pub protocol: String,
    pub allowed: bool,
}

/// A Service, its addresses, and its endpoints per port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRow {
    pub name: String,
    #[serde(rename = "type")]
    pub service_type: String,
    pub cluster_ip: String,
    pub external: Vec<String>,
    pub ports: Vec<ServicePortRow>,
    /// Addresses the model allocated because the object did not carry them.
    pub allocated: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePortRow {
    /// `8080/TCP`, `http 8080/TCP`, with `:30080` for a NodePort.
    pub port: String,
    pub target: String,
    /// `ns/workload -> 8080` per selected workload on which the target resolves.
    pub endpoints: Vec<String>,
}

/// Something reachable from outside the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Exposure {
    /// `NodePort 30080/TCP`, `LoadBalancer 10.250.0.1:80/TCP`, `Ingress myapp.local/api`.
    pub entry: String,
    pub via: String,
    pub backend: String,
    /// What the backend's policies let through from outside, or why nothing reaches it.
    pub verdict: String,
}

/// The whole analysis.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub connectivity: Vec<ConnectivityLine>,
    pub connections: Vec<PodConnection>,
    pub services: Vec<ServiceRow>,
    pub dns: Vec<String>,
    pub ingress: Vec<String>,
    pub exposure: Vec<Exposure>,
    pub unanalyzed: Vec<String>,
    pub problems: Vec<String>,
    /// Distinct pod classes the connectivity computation judged.
    #[serde(skip)]
    pub classes: usize,
}

/// Which pods appear in the report: the input's own, and the system pods only when asked.
fn shown(cluster: &Cluster, include_system: bool) -> Vec<PodId> {
    cluster.pod_ids().filter(|&id| include_system || !cluster.pod(id).system).collect()
}

/// Builds the report for a compiled cluster.
pub fn analyze(cluster: &Cluster, include_system: bool) -> Report {
    let matrix = Connectivity::compute(cluster);
    let table = crate::routes::route_table(cluster);
    let pods = shown(cluster, include_system);
    let mut report = Report {
        classes: matrix.class_count(),
        connectivity: connectivity_lines(cluster, &matrix, &pods),
        connections: pod_connections(cluster, &matrix, &pods),
        services: service_rows(cluster),
        dns: dns_rows(cluster),
        ingress: ingress_rows(&table),
        exposure: node_port_exposure(cluster, &matrix)
            .into_iter()
            .chain(ingress_exposure(cluster, &matrix, &table))
            .collect(),
        unanalyzed: cluster
            .unanalyzed
            .iter()
            .map(|u| {
                let name = match &u.namespace {
                    Some(ns) => format!("{ns}/{}", u.name),
                    None => u.name.clone(),
                };
                format!("{} {name} ({}): kind not analyzed by knet", u.kind, u.origin)
            })
            .collect(),
        problems: cluster.problems.iter().cloned().chain(table.problems().iter().map(ToString::to_string)).collect(),
    };
    report.connectivity.extend(ingress_controller_lines(cluster, &matrix, &table));
    report.connectivity.sort();
    report
}

/// The netpol-analyzer lines between workloads and external ranges (no self lines, nothing for empty sets).
fn connectivity_lines(cluster: &Cluster, matrix: &Connectivity, pods: &[PodId]) -> Vec<ConnectivityLine> {
    let mut lines = Vec::new();
    let names: Vec<String> = pods.iter().map(|&id| cluster.pod(id).peer_name()).collect();
    for (i, &source) in pods.iter().enumerate() {
        for (j, &destination) in pods.iter().enumerate() {
            if i == j {
                continue;
            }
            let connections = matrix.between(Node::Pod(source), Node::Pod(destination));
            if !connections.is_empty() {
                lines.push(ConnectivityLine {
                    src: names[i].clone(),
                    dst: names[j].clone(),
                    conn: connections.to_string(),
                });
            }
        }
    }
    for (index, range) in matrix.externals().iter().enumerate() {
        let external = format!("{range}[External]");
        for (i, &pod) in pods.iter().enumerate() {
            let inbound = matrix.between(Node::External(index), Node::Pod(pod));
            if !inbound.is_empty() {
                lines.push(ConnectivityLine {
                    src: external.clone(),
                    dst: names[i].clone(),
                    conn: inbound.to_string(),
                });
            }
            let outbound = matrix.between(Node::Pod(pod), Node::External(index));
            if !outbound.is_empty() {
                lines.push(ConnectivityLine {
                    src: names[i].clone(),
                    dst: external.clone(),
                    conn: outbound.to_string(),
                });
            }
        }
    }
    lines
}

/// Every ordered pair of pods (a pod with itself included) and every port the destination declares.
fn pod_connections(cluster: &Cluster, matrix: &Connectivity, pods: &[PodId]) -> Vec<PodConnection> {
    let mut out = Vec::new();
    for &source in pods {
        for &destination in pods {
            let connections = matrix.between(Node::Pod(source), Node::Pod(destination));
            let mut declared: Vec<(u16, Protocol)> =
                cluster.pod(destination).ports().map(|p| (p.port, p.protocol)).collect();
            declared.sort();
            declared.dedup();
            for (port, protocol) in declared {
                out.push(PodConnection {
                    from: cluster.pod(source).qualified_name(),
                    to: cluster.pod(destination).qualified_name(),
                    port,
                    protocol: protocol.to_string(),
                    allowed: connections.allows(protocol, port),
                });
            }
        }
    }
    out.sort();
    out
}

/// The lines for what the ingress controller may open to Ingress backends: the routes' target ports, as far as the
/// backend pods' ingress policies (and the controller's egress) let them through.
fn ingress_controller_lines(cluster: &Cluster, matrix: &Connectivity, table: &RouteTable) -> Vec<ConnectivityLine> {
    let Some(controller) = cluster.ingress_controller() else {
        return Vec::new();
    };
    let mut per_pod: BTreeMap<PodId, Connections> = BTreeMap::new();
    for (pod, port) in crate::routes::ingress_backends(table) {
        let allowed =
            matrix.between(Node::Pod(controller), Node::Pod(pod)).intersection(&Connections::port(Protocol::Tcp, port));
        let entry = per_pod.entry(pod).or_default();
        *entry = entry.union(&allowed);
    }
    per_pod
        .into_iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(pod, connections)| ConnectivityLine {
            src: INGRESS_CONTROLLER_PEER.to_owned(),
            dst: cluster.pod(pod).peer_name(),
            conn: connections.to_string(),
        })
        .collect()
}

/// The DNS names of the input's Services as the cluster DNS serves them (A, SRV for named ports, CNAME for
/// ExternalName, per-endpoint names of headless Services); reverse records and the system Services are left out.
fn dns_rows(cluster: &Cluster) -> Vec<String> {
    let domain = &cluster.config.domain;
    let own: Vec<String> = cluster
        .services
        .iter()
        .filter(|s| !s.origin.source.starts_with('<'))
        .map(|s| format!(".{}.{}.svc.{domain}.", s.name, s.namespace))
        .collect();
    knet_model::dns::zone_records(cluster)
        .into_iter()
        .filter(|record| {
            let name = format!(".{}", record.name.to_ascii_lowercase());
            own.iter().any(|suffix| name.ends_with(suffix.as_str()))
        })
        .map(|record| record.to_string())
        .collect()
}

/// The route table's rows: host, path, type, backend and its endpoints, TLS; then the Ingresses not served.
fn ingress_rows(table: &RouteTable) -> Vec<String> {
    let mut rows: Vec<String> = table.routes().iter().map(ToString::to_string).collect();
    if let Some(default) = table.default_backend() {
        rows.push(format!("* (default backend) -> {} [{}]", default.backend, default.ingress));
    }
    rows.extend(
        table
            .ingresses()
            .iter()
            .filter(|status| !status.decision.is_served())
            .map(|status| format!("not served: {} — {}", status.ingress, status.decision.reason())),
    );
    rows
}

fn service_rows(cluster: &Cluster) -> Vec<ServiceRow> {
    let mut rows: Vec<ServiceRow> = cluster
        .services
        .iter()
        .filter(|s| !s.origin.source.starts_with('<'))
        .map(|service| {
            let mut notes = Vec::new();
            let selected: Vec<PodId> = service.selected_pods(cluster).collect();
            if service.selector.as_ref().is_some_and(|s| !s.is_everything()) && selected.is_empty() {
                notes.push(format!(
                    "selector {} matches no pod in namespace {}",
                    service.selector.as_ref().map(ToString::to_string).unwrap_or_default(),
                    service.namespace
                ));
            }
            let ports = service
                .ports
                .iter()
                .map(|port| {
                    let mut label = format!("{}/{}", port.port, port.protocol);
                    if let Some(name) = &port.name {
                        label = format!("{name} {label}");
                    }
                    if let Some(node_port) = port.node_port {
                        label.push_str(&format!(" (nodePort {node_port})"));
                    }
                    let endpoints = selected
                        .iter()
                        .map(|&pod| {
                            let name = cluster.pod(pod).qualified_name();
                            match service.resolve_target(cluster, port, pod) {
                                PortResolution::Resolved { port: p, declared: true } => format!("{name}:{p}"),
                                PortResolution::Resolved { port: p, declared: false } => {
                                    format!("{name}:{p} (no container declares {p}/{})", port.protocol)
                                }
                                PortResolution::UnknownName => {
                                    format!(
                                        "{name}: targetPort {:?} names no container port (not an endpoint)",
                                        port.target.to_string()
                                    )
                                }
                            }
                        })
                        .collect();
                    ServicePortRow { port: label, target: port.target.to_string(), endpoints }
                })
                .collect();
            let mut allocated = Vec::new();
            if service.allocated.cluster_ip {
                allocated.push("clusterIP".to_owned());
            }
            if service.allocated.node_ports {
                allocated.push("nodePort".to_owned());
            }
            if service.allocated.load_balancer_ip {
                allocated.push("loadBalancer IP".to_owned());
            }
            let mut external: Vec<String> = service.load_balancer_ips.iter().map(ToString::to_string).collect();
            external.extend(service.external_ips.iter().map(ToString::to_string));
            if let Some(name) = &service.external_name {
                external.push(name.clone());
            }
            ServiceRow {
                name: service.qualified_name(),
                service_type: service.service_type.as_str().to_owned(),
                cluster_ip: match (service.headless, service.cluster_ip) {
                    (true, _) => "None".to_owned(),
                    (false, Some(ip)) => ip.to_string(),
                    (false, None) => "<none>".to_owned(),
                },
                external,
                ports,
                allocated,
                notes,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// NodePort and LoadBalancer Services: what reaches their pods from outside, after the pods' ingress policies.
fn node_port_exposure(cluster: &Cluster, matrix: &Connectivity) -> Vec<Exposure> {
    let mut out = Vec::new();
    for service in cluster.services.iter().filter(|s| s.exposes_node_ports()) {
        for port in &service.ports {
            let mut entries = Vec::new();
            if let Some(node_port) = port.node_port {
                entries.push((format!("NodePort {node_port}/{}", port.protocol), "any source".to_owned()));
            }
            if service.service_type == ServiceType::LoadBalancer {
                let sources = if service.load_balancer_source_ranges.is_empty() {
                    "any source".to_owned()
                } else {
                    let ranges: Vec<String> =
                        service.load_balancer_source_ranges.iter().map(ToString::to_string).collect();
                    format!("loadBalancerSourceRanges {}", ranges.join(", "))
                };
                for ip in &service.load_balancer_ips {
                    entries.push((format!("LoadBalancer {ip}:{}/{}", port.port, port.protocol), sources.clone()));
                }
            }
            let endpoints = service.serving_endpoints(cluster, port);
            if endpoints.is_empty() {
                for (entry, sources) in &entries {
                    out.push(Exposure {
                        entry: entry.clone(),
                        via: format!("service {} ({sources})", service.qualified_name()),
                        backend: "<none>".to_owned(),
                        verdict: "no ready endpoint: kube-proxy rejects the connection".to_owned(),
                    });
                }
            }
            for endpoint in endpoints {
                let Some(pod) = endpoint.pod else { continue };
                let verdict = external_verdict(matrix, pod, port.protocol, endpoint.port);
                for (entry, sources) in &entries {
                    out.push(Exposure {
                        entry: entry.clone(),
                        via: format!("service {} ({sources})", service.qualified_name()),
                        backend: format!("{}:{}", cluster.pod(pod).peer_name(), endpoint.port),
                        verdict: verdict.clone(),
                    });
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Ingress routes: reachable from outside through the ingress controller, if the backend pods' ingress policies
/// admit the controller's pod on the target port.
fn ingress_exposure(cluster: &Cluster, matrix: &Connectivity, table: &RouteTable) -> Vec<Exposure> {
    let Some(controller) = cluster.ingress_controller() else {
        return Vec::new();
    };
    let controller_name = cluster.pod(controller).qualified_name();
    let mut out = Vec::new();
    for route in table.routes() {
        let entry = format!("Ingress {}{} ({})", route.host, route.path, route.path_type);
        let via = format!("ingress {}", route.ingress);
        let endpoints = route.backend.endpoints();
        if endpoints.is_empty() {
            out.push(Exposure {
                entry,
                via,
                backend: format!("{}:{}", route.backend.name, route.backend.port),
                verdict: match &route.backend.target {
                    ServiceTarget::NoService => "no such Service: the ingress controller answers 503".to_owned(),
                    ServiceTarget::NoPort => {
                        "the Service has no such port: the ingress controller answers 503".to_owned()
                    }
                    ServiceTarget::ExternalName { host, .. } => format!("proxied to the external name {host}"),
                    ServiceTarget::Port { .. } => "no ready endpoint: the ingress controller answers 503".to_owned(),
                },
            });
            continue;
        }
        for endpoint in endpoints {
            let Some(pod) = endpoint.pod else { continue };
            let allowed = matrix.between(Node::Pod(controller), Node::Pod(pod)).allows(Protocol::Tcp, endpoint.port);
            out.push(Exposure {
                entry: entry.clone(),
                via: via.clone(),
                backend: format!("{}:{}", cluster.pod(pod).peer_name(), endpoint.port),
                verdict: if allowed {
                    "reachable from anywhere through the ingress controller".to_owned()
                } else {
                    format!("blocked: the backend's ingress policies do not admit the ingress controller ({controller_name})")
                },
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Which external ranges the backend's ingress policies admit on one port. With `externalTrafficPolicy: Cluster`
/// the packet may arrive SNATed to a node address; the verdict is for the client's own address.
fn external_verdict(matrix: &Connectivity, pod: PodId, protocol: Protocol, port: u16) -> String {
    let admitted: Vec<String> = matrix
        .externals()
        .iter()
        .enumerate()
        .filter(|(index, _)| matrix.between(Node::External(*index), Node::Pod(pod)).allows(protocol, port))
        .map(|(_, range)| range.to_string())
        .collect();
    match admitted.len() {
        0 => "blocked: the backend's ingress policies admit no external source on this port".to_owned(),
        n if n == matrix.externals().len() => "reachable from anywhere".to_owned(),
        _ => format!("reachable from {}", admitted.join(", ")),
    }
}
