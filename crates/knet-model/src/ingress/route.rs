//! The data of the route table: servers (one per host), their routes, fallbacks and certificates.

use std::collections::BTreeMap;
use std::fmt;

use knet_object::Origin;

use super::backend::ServiceBackend;
use super::class::{ClassChoice, Decision};
use super::host::HostPattern;
use super::path::PathType;

/// `namespace/name` of an Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IngressRef {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for IngressRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A canary Ingress attached to a main route: ingress-nginx sends part of the route's traffic to its backend,
/// according to its `canary-*` annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    pub ingress: IngressRef,
    pub backend: ServiceBackend,
    pub annotations: BTreeMap<String, String>,
}

/// One rule path of a served Ingress, on its host's server.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub ingress: IngressRef,
    pub origin: Origin,
    pub host: HostPattern,
    /// The path as written; an empty path is `/`.
    pub path: String,
    pub path_type: PathType,
    pub backend: ServiceBackend,
    /// The Ingress's `nginx.ingress.kubernetes.io/*` annotations (full keys), for the gateway to interpret.
    pub annotations: BTreeMap<String, String>,
    /// `rewrite-target`, when it applies to this route (set and different from the path).
    pub rewrite_target: Option<String>,
    /// `use-regex: "true"` on the Ingress.
    pub use_regex: bool,
    /// Whether the host is in regex mode, so this path is matched as `~* "^<path>"`.
    pub regex: bool,
    /// The certificate of the route's host, if the host has TLS.
    pub tls: Option<TlsBinding>,
    pub canaries: Vec<Canary>,
    /// Position in ingress-nginx's processing order, which breaks ties.
    pub(crate) rank: usize,
}

/// `myapp.example.com /api (Prefix) -> backend-service:8080 -> ... tls=tls-secret [default/web-ingress]`.
impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({}) -> {}", self.host, self.path, self.path_type, self.backend)?;
        if let Some(target) = &self.rewrite_target {
            write!(f, " rewrite={target}")?;
        } else if self.regex {
            f.write_str(" regex")?;
        }
        if let Some(tls) = &self.tls {
            write!(f, " tls={}", tls.certificate)?;
        }
        for canary in &self.canaries {
            write!(f, " canary={}:{}", canary.backend.name, canary.backend.port)?;
        }
        write!(f, " [{}]", self.ingress)
    }
}

/// Why a host is in regex mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexCause {
    pub ingress: IngressRef,
    /// `use-regex` or `rewrite-target`.
    pub annotation: &'static str,
    /// The path whose location carries the annotation.
    pub path: String,
}

/// What answers a request that no route of a server matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// The controller's own default backend, which answers 404.
    Controller,
    /// An Ingress's `defaultBackend`.
    Ingress { ingress: IngressRef, backend: ServiceBackend },
}

/// The certificate a host presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsCertificate {
    /// A TLS Secret in the Ingress's namespace.
    Secret { name: String, exists: bool },
    /// The controller's default (self-signed) certificate, and why.
    Default { reason: String },
}

impl fmt::Display for TlsCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsCertificate::Secret { name, exists: true } => f.write_str(name),
            TlsCertificate::Secret { name, exists: false } => write!(f, "{name} (missing: default certificate)"),
            TlsCertificate::Default { .. } => f.write_str("(default certificate)"),
        }
    }
}

/// A host's TLS: the certificate and the Ingress whose TLS section decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsBinding {
    pub ingress: IngressRef,
    pub certificate: TlsCertificate,
}

/// One nginx server: a host and everything routed under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub host: HostPattern,
    /// Routes in ingress-nginx's processing order.
    pub routes: Vec<Route>,
    pub regex: Option<RegexCause>,
    pub fallback: Fallback,
    pub tls: Option<TlsBinding>,
    /// The Ingress that created the server (none for the catch-all).
    pub created_by: Option<IngressRef>,
}

/// The controller-wide default: an Ingress with a `defaultBackend` and no rules.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultRoute {
    pub ingress: IngressRef,
    pub backend: ServiceBackend,
}

/// One Ingress of the input: its class, and whether the controller serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct IngressStatus {
    pub ingress: IngressRef,
    pub origin: Origin,
    pub class: ClassChoice,
    pub decision: Decision,
}
