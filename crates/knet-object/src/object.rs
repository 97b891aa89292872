//! The closed set of kinds knet understands, as typed k8s-openapi values, plus a catch-all for every other kind.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Namespace, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A Kubernetes kind that knet analyses, identified by `apiVersion` and `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Service,
    Endpoints,
    EndpointSlice,
    Ingress,
    IngressClass,
    NetworkPolicy,
    ConfigMap,
    Secret,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 16] = [
        Kind::Namespace,
        Kind::Pod,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::Job,
        Kind::CronJob,
        Kind::Service,
        Kind::Endpoints,
        Kind::EndpointSlice,
        Kind::Ingress,
        Kind::IngressClass,
        Kind::NetworkPolicy,
        Kind::ConfigMap,
        Kind::Secret,
    ];

    /// The `kind` field value, e.g. `NetworkPolicy`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Pod => "Pod",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::Service => "Service",
            Kind::Endpoints => "Endpoints",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::Ingress => "Ingress",
            Kind::IngressClass => "IngressClass",
            Kind::NetworkPolicy => "NetworkPolicy",
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }

    /// The `apiVersion` this kind is served at (the only one knet accepts for it).
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Namespace | Kind::Pod | Kind::Service | Kind::Endpoints | Kind::ConfigMap | Kind::Secret => "v1",
            Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => "apps/v1",
            Kind::Job | Kind::CronJob => "batch/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            Kind::Ingress | Kind::IngressClass | Kind::NetworkPolicy => "networking.k8s.io/v1",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn is_namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::IngressClass)
    }

    /// The lower-case plural resource name, as kube-apiserver uses it in messages (`services "x" not found`).
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Pod => "pods",
            Kind::Deployment => "deployments.apps",
            Kind::ReplicaSet => "replicasets.apps",
            Kind::StatefulSet => "statefulsets.apps",
            Kind::DaemonSet => "daemonsets.apps",
            Kind::Job => "jobs.batch",
            Kind::CronJob => "cronjobs.batch",
            Kind::Service => "services",
            Kind::Endpoints => "endpoints",
            Kind::EndpointSlice => "endpointslices.discovery.k8s.io",
            Kind::Ingress => "ingresses.networking.k8s.io",
            Kind::IngressClass => "ingressclasses.networking.k8s.io",
            Kind::NetworkPolicy => "networkpolicies.networking.k8s.io",
            Kind::ConfigMap => "configmaps",
            Kind::Secret => "secrets",
        }
    }

    /// Looks a kind up by its `apiVersion` and `kind` fields.
    pub fn from_type(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == kind && k.api_version() == api_version)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An object of a kind knet does not analyse (a `ServiceMonitor`, say): kept whole so it can be reported, never an error.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherObject {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    /// The whole object as it was written.
    pub raw: serde_json::Value,
}

/// One decoded Kubernetes object.
// The typed values differ in size (a Deployment is larger than a Secret); boxing them would put an indirection in
// every match across the code base for no measurable gain, since objects are few and long-lived.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    Pod(Pod),
    Deployment(Deployment),
    ReplicaSet(ReplicaSet),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    Job(Job),
    CronJob(CronJob),
    Service(Service),
    Endpoints(Endpoints),
    EndpointSlice(EndpointSlice),
    Ingress(Ingress),
    IngressClass(IngressClass),
    NetworkPolicy(NetworkPolicy),
    ConfigMap(ConfigMap),
    Secret(Secret),
    Other(OtherObject),
}

/// Applies `$body` to the typed value inside an [`Object`], whatever its kind.
macro_rules! each_kind {
    ($object:expr, $value:ident => $body:expr, other $other:ident => $other_body:expr) => {
        match $object {
            Object::Namespace($value) => $body,
            Object::Pod($value) => $body,
            Object::Deployment($value) => $body,
            Object::ReplicaSet($value) => $body,
            Object::StatefulSet($value) => $body,
            Object::DaemonSet($value) => $body,
            Object::Job($value) => $body,
            Object::CronJob($value) => $body,
            Object::Service($value) => $body,
            Object::Endpoints($value) => $body,
            Object::EndpointSlice($value) => $body,
            Object::Ingress($value) => $body,
            Object::IngressClass($value) => $body,
            Object::NetworkPolicy($value) => $body,
            Object::ConfigMap($value) => $body,
            Object::Secret($value) => $body,
            Object::Other($other) => $other_body,
        }
    };
}

impl Object {
    /// The kind, or `None` for an object knet does not analyse.
    pub fn kind(&self) -> Option<Kind> {
        Some(match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Pod(_) => Kind::Pod,
            Object::Deployment(_) => Kind::Deployment,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::StatefulSet(_) => Kind::StatefulSet,
            Object::DaemonSet(_) => Kind::DaemonSet,
            Object::Job(_) => Kind::Job,
            Object::CronJob(_) => Kind::CronJob,
            Object::Service(_) => Kind::Service,
            Object::Endpoints(_) => Kind::Endpoints,
            Object::EndpointSlice(_) => Kind::EndpointSlice,
            Object::Ingress(_) => Kind::Ingress,
            Object::IngressClass(_) => Kind::IngressClass,
            Object::NetworkPolicy(_) => Kind::NetworkPolicy,
            Object::ConfigMap(_) => Kind::ConfigMap,
            Object::Secret(_) => Kind::Secret,
            Object::Other(_) => return None,
        })
    }

    /// The `kind` field as written, for any object.
    pub fn kind_name(&self) -> &str {
        match self {
            Object::Other(other) => &other.kind,
            known => known.kind().map(Kind::name).unwrap_or_default(),
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        each_kind!(self, value => &value.metadata, other other => &other.metadata)
    }

    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        each_kind!(self, value => &mut value.metadata, other other => &mut other.metadata)
    }

    /// `metadata.name`, or `""` when it is missing (validation reports that).
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// `metadata.namespace`, or `None` for a cluster-scoped object or one that does not say.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }
}
