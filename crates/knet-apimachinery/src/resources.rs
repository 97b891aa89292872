//! The registry of resources the API server serves: one entry per resource, with everything discovery, routing,
//! storage and kubectl need to know about it (group, version, kind, plural and singular names, short names, scope,
//! verbs, subresources).
//!
//! Every other part of the API server looks resources up here, so adding a resource is adding one entry.

/// Verbs of a resource that supports every operation (the collection and the object).
pub const ALL_VERBS: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/// A resource the API server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// The API group: `""` for the core group, `apps`, `networking.k8s.io`, ...
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The lower-case plural used in URLs: `networkpolicies`.
    pub plural: &'static str,
    /// The lower-case singular: `networkpolicy`.
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    pub verbs: &'static [&'static str],
    /// Subresources: `status`, `scale`, `log`, `exec`.
    pub subresources: &'static [&'static str],
    /// Discovery categories (`all` makes `kubectl get all` include the resource).
    pub categories: &'static [&'static str],
}

impl ResourceType {
    /// `v1` for the core group, else `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_owned() } else { format!("{}/{}", self.group, self.version) }
    }

    /// The name kube-apiserver uses in messages: `services`, `deployments.apps`, `networkpolicies.networking.k8s.io`.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() { self.plural.to_owned() } else { format!("{}.{}", self.plural, self.group) }
    }

    /// The URL prefix of the group version: `/api/v1` or `/apis/apps/v1`.
    pub fn group_version_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }
}

macro_rules! resource {
    ($group:literal $version:literal $kind:literal $plural:literal $singular:literal [$($short:literal),*] $namespaced:literal
     verbs $verbs:expr, sub [$($sub:literal),*], cat [$($cat:literal),*]) => {
        ResourceType {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            namespaced: $namespaced,
            verbs: $verbs,
            subresources: &[$($sub),*],
            categories: &[$($cat),*],
        }
    };
}

/// Every resource served, core group first, then by group.
pub const RESOURCES: &[ResourceType] = &[
    resource!("" "v1" "Namespace" "namespaces" "namespace" ["ns"] false
        verbs &["create", "delete", "get", "list", "patch", "update", "watch"], sub ["status", "finalize"], cat []),
    resource!("" "v1" "Node" "nodes" "node" ["no"] false verbs ALL_VERBS, sub ["status"], cat []),
    resource!("" "v1" "Pod" "pods" "pod" ["po"] true
        verbs ALL_VERBS, sub ["status", "log", "exec", "attach", "portforward"], cat ["all"]),
    resource!("" "v1" "Service" "services" "service" ["svc"] true
        verbs &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], sub ["status"], cat ["all"]),
    resource!("" "v1" "Endpoints" "endpoints" "endpoints" ["ep"] true verbs ALL_VERBS, sub [], cat []),
    resource!("" "v1" "ConfigMap" "configmaps" "configmap" ["cm"] true verbs ALL_VERBS, sub [], cat []),
    resource!("" "v1" "Secret" "secrets" "secret" [] true verbs ALL_VERBS, sub [], cat []),
    resource!("" "v1" "ServiceAccount" "serviceaccounts" "serviceaccount" ["sa"] true verbs ALL_VERBS, sub [], cat []),
    resource!("" "v1" "Event" "events" "event" ["ev"] true verbs ALL_VERBS, sub [], cat []),
    resource!("apps" "v1" "Deployment" "deployments" "deployment" ["deploy"] true
        verbs ALL_VERBS, sub ["status", "scale"], cat ["all"]),
    resource!("apps" "v1" "ReplicaSet" "replicasets" "replicaset" ["rs"] true
        verbs ALL_VERBS, sub ["status", "scale"], cat ["all"]),
    resource!("authentication.k8s.io" "v1" "SelfSubjectReview" "selfsubjectreviews" "selfsubjectreview" [] false
        verbs &["create"], sub [], cat []),
    resource!("authorization.k8s.io" "v1" "SelfSubjectAccessReview" "selfsubjectaccessreviews"
        "selfsubjectaccessreview" [] false verbs &["create"], sub [], cat []),
    resource!("authorization.k8s.io" "v1" "SelfSubjectRulesReview" "selfsubjectrulesreviews"
        "selfsubjectrulesreview" [] false verbs &["create"], sub [], cat []),
    resource!("discovery.k8s.io" "v1" "EndpointSlice" "endpointslices" "endpointslice" [] true
        verbs ALL_VERBS, sub [], cat []),
    resource!("networking.k8s.io" "v1" "Ingress" "ingresses" "ingress" ["ing"] true
        verbs ALL_VERBS, sub ["status"], cat []),
    resource!("networking.k8s.io" "v1" "IngressClass" "ingressclasses" "ingressclass" [] false
        verbs ALL_VERBS, sub [], cat []),
    resource!("networking.k8s.io" "v1" "NetworkPolicy" "networkpolicies" "networkpolicy" ["netpol"] true
        verbs ALL_VERBS, sub [], cat []),
];

/// The groups served besides the core group, in discovery order, each with its one version.
pub const GROUPS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("authentication.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
];

/// Finds a resource by group, version and plural, as a URL names it.
pub fn by_path(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a resource by `apiVersion` and `kind`, as an object names itself.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES.iter().find(|r| r.kind == kind && r.api_version() == api_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lookups_agree() {
        for resource in RESOURCES {
            assert_eq!(by_path(resource.group, resource.version, resource.plural), Some(resource));
            assert_eq!(by_kind(&resource.api_version(), resource.kind), Some(resource));
        }
        assert_eq!(
            by_kind("networking.k8s.io/v1", "NetworkPolicy").map(|r| r.qualified_plural()).as_deref(),
            Some("networkpolicies.networking.k8s.io")
        );
        assert_eq!(by_path("", "v1", "services").map(|r| r.group_version_path()).as_deref(), Some("/api/v1"));
        for (group, version) in GROUPS {
            assert!(RESOURCES.iter().any(|r| r.group == *group && r.version == *version));
        }
    }
}
