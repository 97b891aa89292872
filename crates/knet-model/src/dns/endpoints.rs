//! The addresses behind a Service as DNS sees them: what the endpoints controller would write into the Service's
//! Endpoints object (ready addresses, hostnames only for pods whose `subdomain` names the Service), merged per
//! address so that each endpoint gets one DNS name.

use std::net::IpAddr;

use crate::cluster::Cluster;
use crate::ports::Protocol;
use crate::service::{Endpoint, Service};

use super::name;

/// An address behind a Service as its Endpoints object lists it, with the label DNS names it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DnsEndpoint {
    pub(super) ip: IpAddr,
    /// The endpoint's hostname when it has one, else its dashed address (`10-244-0-5`).
    pub(super) label: String,
    /// The Service ports it serves, as (port name, protocol, endpoint port). Empty for a Service without ports.
    pub(super) ports: Vec<(Option<String>, Protocol, u16)>,
}

/// The addresses behind a Service as its Endpoints object would list them: every serving endpoint of every port,
/// merged per (address, name), ordered by address. A Service without ports still has addresses: those of the ready
/// pods it selects (the endpoints controller writes them with no ports).
pub(super) fn dns_endpoints(cluster: &Cluster, service: &Service) -> Vec<DnsEndpoint> {
    let mut out: Vec<DnsEndpoint> = Vec::new();
    let mut add = |ip: IpAddr, hostname: Option<String>, port: Option<(Option<String>, Protocol, u16)>| {
        if ip.is_unspecified() {
            return;
        }
        let label = hostname.filter(|h| !h.is_empty()).unwrap_or_else(|| name::dashed(ip));
        let index = match out.iter().position(|e| e.ip == ip && e.label == label) {
            Some(index) => index,
            None => {
                out.push(DnsEndpoint { ip, label, ports: Vec::new() });
                out.len() - 1
            }
        };
        if let Some(port) = port
            && let Some(endpoint) = out.get_mut(index)
            && !endpoint.ports.contains(&port)
        {
            endpoint.ports.push(port);
        }
    };
    if service.ports.is_empty() {
        for (ip, hostname) in portless_addresses(cluster, service) {
            add(ip, hostname, None);
        }
    } else {
        for port in &service.ports {
            for endpoint in service.serving_endpoints(cluster, port) {
                let hostname = endpoint_hostname(cluster, service, &endpoint);
                add(endpoint.ip, hostname, Some((port.name.clone(), port.protocol, endpoint.port)));
            }
        }
    }
    out.sort_by(|a, b| (a.ip, &a.label).cmp(&(b.ip, &b.label)));
    out
}

/// The hostname the endpoints controller writes for an address: a selected pod's hostname counts only when the pod's
/// `subdomain` names this Service (a StatefulSet's `serviceName` does that); hand-written endpoints keep theirs.
fn endpoint_hostname(cluster: &Cluster, service: &Service, endpoint: &Endpoint) -> Option<String> {
    match (&service.selector, endpoint.pod) {
        (Some(_), Some(id)) => {
            let pod = cluster.pod(id);
            let named = pod.subdomain.as_deref() == Some(service.name.as_str());
            endpoint.hostname.clone().filter(|_| named)
        }
        _ => endpoint.hostname.clone(),
    }
}

/// The addresses of a Service without ports: its selected pods' replicas, or the addresses written by hand.
fn portless_addresses(cluster: &Cluster, service: &Service) -> Vec<(IpAddr, Option<String>)> {
    if service.selector.is_none() {
        return manual_addresses(cluster, service);
    }
    let mut out = Vec::new();
    for id in service.selected_pods(cluster) {
        let pod = cluster.pod(id);
        if !(pod.ready || service.publish_not_ready_addresses) {
            continue;
        }
        let named = pod.subdomain.as_deref() == Some(service.name.as_str());
        out.extend(pod.replicas.iter().map(|r| (r.ip, r.hostname.clone().filter(|_| named))));
    }
    out
}

/// The serving addresses of the Endpoints and EndpointSlices objects written for a Service without a selector.
fn manual_addresses(cluster: &Cluster, service: &Service) -> Vec<(IpAddr, Option<String>)> {
    let publish = service.publish_not_ready_addresses;
    let mut out = Vec::new();
    let endpoints = cluster.endpoints.iter().filter(|e| e.namespace() == service.namespace && e.name() == service.name);
    for subset in endpoints.flat_map(|e| e.value.subsets.iter().flatten()) {
        let ready = subset.addresses.iter().flatten();
        let not_ready = subset.not_ready_addresses.iter().flatten();
        for address in ready.chain(not_ready.filter(|_| publish)) {
            if let Ok(ip) = address.ip.parse() {
                out.push((ip, address.hostname.clone()));
            }
        }
    }
    let slices = cluster.endpoint_slices.iter().filter(|s| {
        let labels = s.value.metadata.labels.as_ref();
        let owner = labels.and_then(|l| l.get("kubernetes.io/service-name"));
        s.namespace() == service.namespace && owner == Some(&service.name)
    });
    for endpoint in slices.flat_map(|s| &s.value.endpoints) {
        let ready = endpoint.conditions.as_ref().and_then(|c| c.ready);
        if !(ready.unwrap_or(true) || publish) {
            continue;
        }
        for address in &endpoint.addresses {
            if let Ok(ip) = address.parse() {
                out.push((ip, endpoint.hostname.clone()));
            }
        }
    }
    out
}
