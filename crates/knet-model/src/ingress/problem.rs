//! What is wrong with the Ingresses, or surprising about how ingress-nginx treats them, in words a user can act on:
//! what, where, and what the controller does about it.

use std::fmt;

use super::annotations::{AnnotationStatus, NGINX_ANNOTATION_PREFIX};
use super::backend::BackendPort;
use super::host::HostPattern;
use super::path::PathType;
use super::route::IngressRef;

/// Where in an Ingress a backend is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// A rule path.
    Path { host: HostPattern, path: String, path_type: PathType },
    /// `spec.defaultBackend`.
    DefaultBackend,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Path { host, path, path_type } => write!(f, "{host} {path} ({path_type})"),
            Site::DefaultBackend => f.write_str("defaultBackend"),
        }
    }
}

/// One finding about the Ingresses, naming its Ingress.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The controller does not serve this Ingress (another class, or no class at all).
    #[error("ingress \"{ingress}\": not served by this controller: {reason}")]
    NotServed { ingress: IngressRef, reason: String },

    /// The class annotation and field disagree, which the API server rejects on create.
    #[error(
        "ingress \"{ingress}\": annotation kubernetes.io/ingress.class {annotation:?} does not match \
         ingressClassName {field:?}: the API server rejects this Ingress; drop the deprecated annotation"
    )]
    ClassConflict { ingress: IngressRef, field: String, annotation: String },

    /// Several IngressClasses are marked default; the admission plugin picks the newest.
    #[error(
        "ingress \"{ingress}\": {} IngressClasses are marked default ({}); the newest is assigned, taken here to be \
         {chosen:?}: mark only one default",
        .defaults.len(), .defaults.join(", ")
    )]
    AmbiguousDefaultClass { ingress: IngressRef, chosen: String, defaults: Vec<String> },

    /// Neither rules nor a default backend: the API server rejects it.
    #[error(
        "ingress \"{ingress}\": neither rules nor defaultBackend: the API server rejects it (one of them is required)"
    )]
    Empty { ingress: IngressRef },

    /// A rule host the API server rejects; the rule is left out.
    #[error("ingress \"{ingress}\": rule host {reason}: the API server rejects this Ingress; the rule is left out")]
    InvalidHost { ingress: IngressRef, reason: String },

    /// `pathType` is missing.
    #[error(
        "ingress \"{ingress}\" at {host} {path}: pathType is required in networking.k8s.io/v1 and the API server \
         rejects a path without it; ingress-nginx would treat it as ImplementationSpecific (a string prefix)"
    )]
    MissingPathType { ingress: IngressRef, host: HostPattern, path: String },

    /// `pathType` is not one of the three values.
    #[error(
        "ingress \"{ingress}\" at {host} {path}: pathType {value:?} is not Exact, Prefix or ImplementationSpecific: \
         the API server rejects it; the path is left out"
    )]
    InvalidPathType { ingress: IngressRef, host: HostPattern, path: String, value: String },

    /// A path the API server rejects for its type.
    #[error(
        "ingress \"{ingress}\" at {host} {path} ({path_type}): {reason}: the API server rejects it; the path is left out"
    )]
    InvalidPath { ingress: IngressRef, host: HostPattern, path: String, path_type: PathType, reason: String },

    /// A backend with neither a service nor a resource.
    #[error("ingress \"{ingress}\" at {site}: the backend names neither a service nor a resource")]
    NoBackend { ingress: IngressRef, site: Site },

    /// A resource backend, which ingress-nginx cannot proxy to.
    #[error(
        "ingress \"{ingress}\" at {site}: resource backend {kind} {name:?}: ingress-nginx routes only to Services and \
         leaves this path to its default backend (404)"
    )]
    ResourceBackend { ingress: IngressRef, site: Site, kind: String, name: String },

    /// The backend's Service does not exist in the Ingress's namespace.
    #[error(
        "ingress \"{ingress}\" at {site}: service \"{service}\" not found in namespace \"{namespace}\" (a backend can \
         only name a Service in the Ingress's own namespace): ingress-nginx answers 503"
    )]
    ServiceMissing { ingress: IngressRef, site: Site, namespace: String, service: String },

    /// The Service has no port the backend names.
    #[error(
        "ingress \"{ingress}\" at {site}: service \"{namespace}/{service}\" has no port {port} (it has {}): \
         ingress-nginx answers 503",
        if .available.is_empty() { "none".to_owned() } else { .available.join(", ") }
    )]
    PortMissing {
        ingress: IngressRef,
        site: Site,
        namespace: String,
        service: String,
        port: BackendPort,
        available: Vec<String>,
    },

    /// The backend port matched only a Service port's targetPort, which ingress-nginx accepts but the API means not.
    #[error(
        "ingress \"{ingress}\" at {site}: service \"{namespace}/{service}\" has no port {port}; ingress-nginx falls \
         back to the port whose targetPort is {port} (port {service_port}) where other controllers do not: name the \
         Service port {service_port} instead"
    )]
    PortMatchedTargetPort {
        ingress: IngressRef,
        site: Site,
        namespace: String,
        service: String,
        port: BackendPort,
        service_port: u16,
    },

    /// The Service port has no ready endpoint.
    #[error(
        "ingress \"{ingress}\" at {site}: service \"{namespace}/{service}\" port {port} has no ready endpoints: \
         ingress-nginx answers 503"
    )]
    NoEndpoints { ingress: IngressRef, site: Site, namespace: String, service: String, port: u16 },

    /// Two Ingresses (or one Ingress twice) claim the same host, path and pathType; the first in ingress-nginx's
    /// order keeps it.
    #[error("{}", describe_conflict(.host, .path, *.path_type, .kept, .dropped))]
    PathConflict { host: HostPattern, path: String, path_type: PathType, kept: IngressRef, dropped: IngressRef },

    /// Two Ingresses without rules both name a default backend; the first becomes the controller's default.
    #[error(
        "ingresses \"{kept}\" and \"{dropped}\" both define a defaultBackend without rules: ingress-nginx uses \
         \"{kept}\" as the catch-all default and ignores the other"
    )]
    DefaultBackendConflict { kept: IngressRef, dropped: IngressRef },

    /// A TLS Secret that does not exist.
    #[error(
        "ingress \"{ingress}\": TLS for {host} names secret \"{namespace}/{secret}\", which does not exist: \
         ingress-nginx presents its default self-signed certificate"
    )]
    SecretMissing { ingress: IngressRef, host: HostPattern, namespace: String, secret: String },

    /// A TLS entry without `secretName`.
    #[error("ingress \"{ingress}\": TLS for {host} has no secretName: ingress-nginx presents its default certificate")]
    TlsWithoutSecret { ingress: IngressRef, host: HostPattern },

    /// A TLS host that no rule of the same Ingress serves.
    #[error(
        "ingress \"{ingress}\": TLS host {host} is not the host of any rule of this Ingress, so its certificate is \
         never presented for it (TLS applies to the hosts of the Ingress's own rules)"
    )]
    TlsHostUnused { ingress: IngressRef, host: String },

    /// An earlier Ingress already decided the certificate of a host.
    #[error(
        "ingress \"{ingress}\": TLS for {host} is ignored: ingress \"{by}\" comes first and already set the host's \
         certificate"
    )]
    TlsIgnored { ingress: IngressRef, host: HostPattern, by: IngressRef },

    /// An `nginx.ingress.kubernetes.io/*` annotation ingress-nginx does not read.
    #[error("ingress \"{ingress}\": annotation {NGINX_ANNOTATION_PREFIX}{annotation} {}", describe(.status))]
    Annotation {
        ingress: IngressRef,
        /// The suffix after the prefix.
        annotation: String,
        status: AnnotationStatus,
    },

    /// `auth-secret` names a Secret that does not exist.
    #[error(
        "ingress \"{ingress}\": auth-secret \"{namespace}/{secret}\" does not exist: ingress-nginx answers 503 on \
         every path of this Ingress"
    )]
    AuthSecretMissing { ingress: IngressRef, namespace: String, secret: String },

    /// A canary Ingress whose host and path no main Ingress serves.
    #[error(
        "ingress \"{ingress}\" at {host} {path} ({path_type}): a canary, but no main Ingress serves this host and path, so \
         ingress-nginx drops the canary backend"
    )]
    CanaryWithoutMain { ingress: IngressRef, host: HostPattern, path: String, path_type: PathType },
}

fn describe_conflict(
    host: &HostPattern,
    path: &str,
    path_type: PathType,
    kept: &IngressRef,
    dropped: &IngressRef,
) -> String {
    if kept == dropped {
        return format!(
            "ingress \"{kept}\" lists {host} {path} ({path_type}) more than once: ingress-nginx uses the first and \
             ignores the rest"
        );
    }
    format!(
        "host {host} path {path} ({path_type}) is claimed by ingress \"{kept}\" and ingress \"{dropped}\": \
         ingress-nginx keeps \"{kept}\", which it processes first (oldest first; with equal creation times, the \
         greater namespace/name first), and ignores the other"
    )
}

fn describe(status: &AnnotationStatus) -> String {
    match status {
        AnnotationStatus::Known => "is read by ingress-nginx".to_owned(),
        AnnotationStatus::Alias { of } => {
            format!("is the old name of {NGINX_ANNOTATION_PREFIX}{of}; prefer the new name")
        }
        AnnotationStatus::Removed { note } => {
            format!("is no longer read by ingress-nginx ({note}): it is ignored")
        }
        AnnotationStatus::ConfigMapKey => {
            "is a key of the ingress-nginx ConfigMap, not an annotation: it is ignored".to_owned()
        }
        AnnotationStatus::Unknown { suggestion: Some(suggestion) } => format!(
            "does not exist and ingress-nginx ignores it silently; did you mean \
             {NGINX_ANNOTATION_PREFIX}{suggestion}?"
        ),
        AnnotationStatus::Unknown { suggestion: None } => {
            "does not exist and ingress-nginx ignores it silently".to_owned()
        }
    }
}

impl Problem {
    /// The Ingress the problem is about (the one that lost, for conflicts).
    pub fn ingress(&self) -> &IngressRef {
        match self {
            Problem::NotServed { ingress, .. }
            | Problem::ClassConflict { ingress, .. }
            | Problem::AmbiguousDefaultClass { ingress, .. }
            | Problem::Empty { ingress }
            | Problem::InvalidHost { ingress, .. }
            | Problem::MissingPathType { ingress, .. }
            | Problem::InvalidPathType { ingress, .. }
            | Problem::InvalidPath { ingress, .. }
            | Problem::NoBackend { ingress, .. }
            | Problem::ResourceBackend { ingress, .. }
            | Problem::ServiceMissing { ingress, .. }
            | Problem::PortMissing { ingress, .. }
            | Problem::PortMatchedTargetPort { ingress, .. }
            | Problem::NoEndpoints { ingress, .. }
            | Problem::SecretMissing { ingress, .. }
            | Problem::TlsWithoutSecret { ingress, .. }
            | Problem::TlsHostUnused { ingress, .. }
            | Problem::TlsIgnored { ingress, .. }
            | Problem::Annotation { ingress, .. }
            | Problem::AuthSecretMissing { ingress, .. }
            | Problem::CanaryWithoutMain { ingress, .. } => ingress,
            Problem::PathConflict { dropped, .. } | Problem::DefaultBackendConflict { dropped, .. } => dropped,
        }
    }
}
