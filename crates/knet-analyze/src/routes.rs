//! The bridge from Ingress routes to pods: which pods, on which target ports, the ingress controller sends traffic to.

use knet_model::ingress::{ControllerIdentity, RouteTable};
use knet_model::{Cluster, PodId};

/// The route table of the ingress controller knet models (ingress-nginx, class `nginx`).
pub fn route_table(cluster: &Cluster) -> RouteTable {
    RouteTable::build(cluster, &ControllerIdentity::default())
}

/// Every (backend pod, target port) a served Ingress route (or default backend) sends traffic to.
pub fn ingress_backends(table: &RouteTable) -> Vec<(PodId, u16)> {
    let route_backends = table.routes().into_iter().map(|route| &route.backend);
    let default_backend = table.default_backend().map(|d| &d.backend);
    let mut out: Vec<(PodId, u16)> = route_backends
        .chain(default_backend)
        .flat_map(|backend| backend.endpoints().iter().filter_map(|e| Some((e.pod?, e.port))))
        .collect();
    out.sort();
    out.dedup();
    out
}
