//! Backends: a `service` backend resolved to its Service, Service port and ready endpoints; what is missing on the
//! way is reported. ingress-nginx proxies only to Services, so `resource` backends are reported and dropped.

use std::fmt;

use k8s_openapi::api::networking::v1::{IngressBackend, IngressServiceBackend};

use crate::cluster::Cluster;
use crate::ports::Protocol;
use crate::service::{Endpoint, Service, ServicePort, ServiceType, TargetPort};

use super::problem::{Problem, Site};
use super::route::IngressRef;

/// The port a backend names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BackendPort {
    Number(u16),
    Name(String),
    /// Neither a valid number nor a name (the API server rejects this).
    Missing,
}

impl fmt::Display for BackendPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendPort::Number(n) => write!(f, "{n}"),
            BackendPort::Name(name) => f.write_str(name),
            BackendPort::Missing => f.write_str("(none)"),
        }
    }
}

/// How a backend port found its Service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMatch {
    /// The backend's number is the Service port's `port`.
    Number,
    /// The backend's name is the Service port's `name`.
    Name,
    /// Only the Service port's `targetPort` matched: ingress-nginx accepts this, the API does not mean it.
    TargetPort,
}

/// What a service backend resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceTarget {
    /// No Service of that name in the Ingress's namespace.
    NoService,
    /// The Service exists but has no such port.
    NoPort,
    /// An ExternalName Service: ingress-nginx proxies to the DNS name.
    ExternalName { host: String, port: Option<u16> },
    /// A Service port and its ready endpoints (possibly none).
    Port { port: u16, name: Option<String>, matched_by: PortMatch, endpoints: Vec<Endpoint> },
}

/// A `service` backend, resolved against the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBackend {
    /// The Ingress's namespace: a backend cannot name a Service elsewhere.
    pub namespace: String,
    pub name: String,
    pub port: BackendPort,
    pub target: ServiceTarget,
}

impl ServiceBackend {
    /// The ready endpoints traffic can go to (none unless the backend resolved to a Service port).
    pub fn endpoints(&self) -> &[Endpoint] {
        match &self.target {
            ServiceTarget::Port { endpoints, .. } => endpoints,
            _ => &[],
        }
    }
}

/// `backend-service:8080 -> 10.244.0.5:8080 (backend-0), ...`, or what is missing.
impl fmt::Display for ServiceBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.port)?;
        match &self.target {
            ServiceTarget::NoService => f.write_str(" (no such Service: 503)"),
            ServiceTarget::NoPort => f.write_str(" (no such Service port: 503)"),
            ServiceTarget::ExternalName { host, port } => match port {
                Some(port) => write!(f, " -> ExternalName {host}:{port}"),
                None => write!(f, " -> ExternalName {host}"),
            },
            ServiceTarget::Port { endpoints, .. } if endpoints.is_empty() => f.write_str(" (no ready endpoints: 503)"),
            ServiceTarget::Port { endpoints, .. } => {
                f.write_str(" ->")?;
                for (index, endpoint) in endpoints.iter().enumerate() {
                    let separator = if index == 0 { " " } else { ", " };
                    write!(f, "{separator}{}:{} ({})", endpoint.ip, endpoint.port, endpoint.target_name)?;
                }
                Ok(())
            }
        }
    }
}

/// Resolves the backends of one Ingress against the cluster, collecting problems.
pub(super) struct Resolver<'a> {
    pub(super) cluster: &'a Cluster,
    pub(super) problems: &'a mut Vec<Problem>,
}

impl Resolver<'_> {
    /// Resolves a backend that names a Service; reports and drops the others.
    pub(super) fn service_backend(
        &mut self,
        ingress: &IngressRef,
        site: &Site,
        backend: &IngressBackend,
    ) -> Option<ServiceBackend> {
        match (&backend.service, &backend.resource) {
            (Some(service), _) => Some(self.resolve(ingress, site, service)),
            (None, Some(resource)) => {
                self.problems.push(Problem::ResourceBackend {
                    ingress: ingress.clone(),
                    site: site.clone(),
                    kind: match &resource.api_group {
                        Some(group) if !group.is_empty() => format!("{group}/{}", resource.kind),
                        _ => resource.kind.clone(),
                    },
                    name: resource.name.clone(),
                });
                None
            }
            (None, None) => {
                self.problems.push(Problem::NoBackend { ingress: ingress.clone(), site: site.clone() });
                None
            }
        }
    }

    /// A service backend → its Service, Service port and ready endpoints, reporting what is missing.
    fn resolve(&mut self, ingress: &IngressRef, site: &Site, backend: &IngressServiceBackend) -> ServiceBackend {
        let namespace = ingress.namespace.clone();
        let port = backend_port(backend);
        let target = match self.cluster.find_service(&namespace, &backend.name) {
            None => {
                self.problems.push(Problem::ServiceMissing {
                    ingress: ingress.clone(),
                    site: site.clone(),
                    namespace: namespace.clone(),
                    service: backend.name.clone(),
                });
                ServiceTarget::NoService
            }
            Some(service) if service.service_type == ServiceType::ExternalName => ServiceTarget::ExternalName {
                host: service.external_name.clone().unwrap_or_default(),
                port: match &port {
                    BackendPort::Number(n) => Some(*n),
                    BackendPort::Name(name) => service.find_port(None, Some(name), None).map(|p| p.port),
                    BackendPort::Missing => None,
                },
            },
            Some(service) => self.resolve_port(ingress, site, service, &port),
        };
        ServiceBackend { namespace, name: backend.name.clone(), port, target }
    }

    fn resolve_port(
        &mut self,
        ingress: &IngressRef,
        site: &Site,
        service: &Service,
        port: &BackendPort,
    ) -> ServiceTarget {
        let Some((service_port, matched_by)) = find_service_port(service, port) else {
            self.problems.push(Problem::PortMissing {
                ingress: ingress.clone(),
                site: site.clone(),
                namespace: service.namespace.clone(),
                service: service.name.clone(),
                port: port.clone(),
                available: service.ports.iter().map(describe_port).collect(),
            });
            return ServiceTarget::NoPort;
        };
        if matched_by == PortMatch::TargetPort {
            self.problems.push(Problem::PortMatchedTargetPort {
                ingress: ingress.clone(),
                site: site.clone(),
                namespace: service.namespace.clone(),
                service: service.name.clone(),
                port: port.clone(),
                service_port: service_port.port,
            });
        }
        let endpoints = service.serving_endpoints(self.cluster, service_port);
        if endpoints.is_empty() {
            self.problems.push(Problem::NoEndpoints {
                ingress: ingress.clone(),
                site: site.clone(),
                namespace: service.namespace.clone(),
                service: service.name.clone(),
                port: service_port.port,
            });
        }
        ServiceTarget::Port { port: service_port.port, name: service_port.name.clone(), matched_by, endpoints }
    }
}

fn backend_port(backend: &IngressServiceBackend) -> BackendPort {
    let Some(port) = &backend.port else {
        return BackendPort::Missing;
    };
    if let Some(number) = port.number {
        return u16::try_from(number).ok().filter(|&n| n > 0).map_or(BackendPort::Missing, BackendPort::Number);
    }
    match port.name.as_deref() {
        Some(name) if !name.is_empty() => BackendPort::Name(name.to_owned()),
        _ => BackendPort::Missing,
    }
}

/// The TCP Service port a backend port names: by `port` or `name`, else (as ingress-nginx also accepts) by
/// `targetPort`.
fn find_service_port<'s>(service: &'s Service, port: &BackendPort) -> Option<(&'s ServicePort, PortMatch)> {
    let tcp = || service.ports.iter().filter(|p| p.protocol == Protocol::Tcp);
    match port {
        BackendPort::Number(n) => tcp()
            .find(|p| p.port == *n)
            .map(|p| (p, PortMatch::Number))
            .or_else(|| tcp().find(|p| p.target == TargetPort::Number(*n)).map(|p| (p, PortMatch::TargetPort))),
        BackendPort::Name(name) => tcp()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| (p, PortMatch::Name))
            .or_else(|| tcp().find(|p| p.target == TargetPort::Name(name.clone())).map(|p| (p, PortMatch::TargetPort))),
        BackendPort::Missing => None,
    }
}

fn describe_port(port: &ServicePort) -> String {
    match &port.name {
        Some(name) => format!("{} ({name})", port.port),
        None => port.port.to_string(),
    }
}
