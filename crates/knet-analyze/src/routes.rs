//! The bridge from Ingress routes to pods: which pods, on which target ports, the ingress controller sends traffic to.

use k8s_openapi::api::networking::v1::IngressBackend;
use knet_model::{Cluster, PodId};

/// Every (backend pod, target port) an Ingress of the cluster routes to, through its Service.
pub fn ingress_backends(cluster: &Cluster) -> Vec<(PodId, u16)> {
    let mut out = Vec::new();
    for ingress in &cluster.ingresses {
        let Some(spec) = &ingress.value.spec else {
            continue;
        };
        let rule_backends = spec
            .rules
            .iter()
            .flatten()
            .filter_map(|rule| rule.http.as_ref())
            .flat_map(|http| http.paths.iter().map(|p| &p.backend));
        for backend in spec.default_backend.iter().chain(rule_backends) {
            out.extend(backend_pods(cluster, ingress.namespace(), backend));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn backend_pods(cluster: &Cluster, namespace: &str, backend: &IngressBackend) -> Vec<(PodId, u16)> {
    let Some(service_ref) = &backend.service else {
        return Vec::new();
    };
    let Some(service) = cluster.find_service(namespace, &service_ref.name) else {
        return Vec::new();
    };
    let port = service_ref.port.as_ref();
    let number = port
        .and_then(|p| p.number)
        .and_then(|n| u16::try_from(n).ok());
    let name = port.and_then(|p| p.name.as_deref());
    let Some(service_port) = service.find_port(number, name, None) else {
        return Vec::new();
    };
    service
        .serving_endpoints(cluster, service_port)
        .into_iter()
        .filter_map(|e| Some((e.pod?, e.port)))
        .collect()
}
