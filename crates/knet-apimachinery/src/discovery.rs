//! The discovery documents kubectl reads before anything else: `/version`, aggregated discovery
//! (`apidiscovery.k8s.io/v2` and `v2beta1`) for `/api` and `/apis`, and legacy discovery (`APIVersions`,
//! `APIGroupList`, `APIGroup`, `APIResourceList`), all generated from [`resources::RESOURCES`] and
//! [`resources::GROUPS`].
//!
//! Which document to serve is the negotiator's decision ([`crate::negotiate`]): kubectl 1.30+ asks for aggregated
//! discovery v2, 1.27–1.29 for v2beta1, and any client that accepts only `application/json` gets the legacy form
//! and then asks `/api/v1` and `/apis/{group}/{version}` one by one. Both forms list the same resources, so a
//! resource added to the registry appears in every document at once.
//!
//! ```text
//! /api                  -> ApiGroupDiscoveryList { items: [""] }          (aggregated)  | ApiVersions    (legacy)
//! /apis                 -> ApiGroupDiscoveryList { items: [apps, ...] }   (aggregated)  | ApiGroupList   (legacy)
//! /apis/{group}         -> ApiGroup                                                      (legacy only)
//! /api/v1, /apis/{g}/{v} -> ApiResourceList                                              (legacy only)
//! ```

use serde::Serialize;

use crate::protobuf::base64;
use crate::resources::{self, ResourceType};

/// The Kubernetes version knet reports. The kubectl dispatcher picks `kubectl.1.<minor>` from `major`/`minor`, so
/// these decide which kubectl binary talks to knet.
pub const MAJOR: &str = "1";
/// See [`MAJOR`].
pub const MINOR: &str = "33";
/// A plain semantic version (no `+knet` build suffix): kubectl's version-skew check and clients that parse
/// `gitVersion` then see exactly what a kube-apiserver 1.33.1 reports.
pub const GIT_VERSION: &str = "v1.33.1";

/// The `/version` document (`version.Info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub major: &'static str,
    pub minor: &'static str,
    /// Since 1.31 kube-apiserver also reports the version it emulates and the oldest it stays compatible with.
    pub emulation_major: &'static str,
    pub emulation_minor: &'static str,
    pub min_compatibility_major: &'static str,
    pub min_compatibility_minor: &'static str,
    pub git_version: &'static str,
    pub git_commit: &'static str,
    pub git_tree_state: &'static str,
    pub build_date: &'static str,
    pub go_version: &'static str,
    pub compiler: &'static str,
    pub platform: &'static str,
}

/// The body of `GET /version`.
pub fn version() -> VersionInfo {
    VersionInfo {
        major: MAJOR,
        minor: MINOR,
        emulation_major: MAJOR,
        emulation_minor: MINOR,
        min_compatibility_major: MAJOR,
        min_compatibility_minor: "32",
        git_version: GIT_VERSION,
        git_commit: "0000000000000000000000000000000000000000",
        git_tree_state: "clean",
        build_date: "2025-05-15T08:00:00Z",
        go_version: "go1.24.2",
        compiler: "gc",
        platform: "linux/amd64",
    }
}

/// The version of aggregated discovery a client asked for. Both have the same shape; only `apiVersion` differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiscoveryVersion {
    /// `apidiscovery.k8s.io/v2`, asked for by kubectl 1.30 and later.
    V2,
    /// `apidiscovery.k8s.io/v2beta1`, the only form kubectl 1.27–1.29 ask for.
    V2Beta1,
}

impl DiscoveryVersion {
    /// `apidiscovery.k8s.io/v2` or `apidiscovery.k8s.io/v2beta1`.
    pub fn api_version(self) -> &'static str {
        match self {
            DiscoveryVersion::V2 => "apidiscovery.k8s.io/v2",
            DiscoveryVersion::V2Beta1 => "apidiscovery.k8s.io/v2beta1",
        }
    }
}

/// A group, version and kind, as `responseKind` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupVersionKind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
}

/// `metadata` of a list: always `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ListMeta {}

/// `metadata` of one aggregated group: its name (`""` for the core group) and the `creationTimestamp: null` that
/// kube-apiserver's Go types always write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMeta {
    pub name: &'static str,
    pub creation_timestamp: Option<&'static str>,
}

/// `APIGroupDiscoveryList`: the body of aggregated `/api` and `/apis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroupDiscoveryList {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub metadata: ListMeta,
    pub items: Vec<ApiGroupDiscovery>,
}

/// `APIGroupDiscovery`: one group with all its versions, preferred version first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiGroupDiscovery {
    pub metadata: GroupMeta,
    pub versions: Vec<ApiVersionDiscovery>,
}

/// `APIVersionDiscovery`: the resources of one group version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiVersionDiscovery {
    pub version: &'static str,
    pub resources: Vec<ApiResourceDiscovery>,
    /// Always `Current`: every served group version is built in, so the document is never stale.
    pub freshness: &'static str,
}

/// `APIResourceDiscovery`: one resource. kubectl resolves `svc`, `deploy`, `netpol` from `shortNames` and
/// `kubectl get all` from `categories`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceDiscovery {
    pub resource: &'static str,
    pub response_kind: GroupVersionKind,
    /// `Namespaced` or `Cluster`.
    pub scope: &'static str,
    pub singular_resource: &'static str,
    pub verbs: &'static [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub short_names: &'static [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub categories: &'static [&'static str],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subresources: Vec<ApiSubresourceDiscovery>,
}

/// `APISubresourceDiscovery`: one subresource of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiSubresourceDiscovery {
    pub subresource: &'static str,
    pub response_kind: GroupVersionKind,
    pub verbs: &'static [&'static str],
}

/// What a subresource answers and which verbs it takes, as kube-apiserver lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subresource {
    pub name: &'static str,
    /// The kind of the subresource's body: the resource's own kind for `status` and `log`, `autoscaling/v1 Scale`
    /// for `scale`, `PodExecOptions` for `exec`.
    pub kind: GroupVersionKind,
    pub verbs: &'static [&'static str],
}

const GET_PATCH_UPDATE: &[&str] = &["get", "patch", "update"];

/// The subresource `name` of `resource`, or `None` when the registry names a subresource this module does not know
/// (a test keeps that from happening).
pub fn subresource(resource: &ResourceType, name: &str) -> Option<Subresource> {
    let own_kind = GroupVersionKind { group: resource.group, version: resource.version, kind: resource.kind };
    let core = |kind| GroupVersionKind { group: "", version: "v1", kind };
    let (name, kind, verbs): (&'static str, _, &'static [&'static str]) = match name {
        "status" => ("status", own_kind, GET_PATCH_UPDATE),
        "scale" => ("scale", GroupVersionKind { group: "autoscaling", version: "v1", kind: "Scale" }, GET_PATCH_UPDATE),
        "finalize" => ("finalize", own_kind, &["update"]),
        "log" => ("log", core("Pod"), &["get"]),
        "exec" => ("exec", core("PodExecOptions"), &["create", "get"]),
        "attach" => ("attach", core("PodAttachOptions"), &["create", "get"]),
        "portforward" => ("portforward", core("PodPortForwardOptions"), &["create", "get"]),
        "ephemeralcontainers" => ("ephemeralcontainers", own_kind, GET_PATCH_UPDATE),
        _ => return None,
    };
    Some(Subresource { name, kind, verbs })
}

/// The subresources of `resource`, in registry order.
pub fn subresources(resource: &ResourceType) -> impl Iterator<Item = Subresource> + '_ {
    resource.subresources.iter().filter_map(|name| subresource(resource, name))
}

/// Every served group version, core first: `("", "v1")`, `("apps", "v1")`, ...
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for resource in resources::RESOURCES.iter().filter(|r| r.group.is_empty()) {
        if !out.contains(&("", resource.version)) {
            out.push(("", resource.version));
        }
    }
    out.extend(resources::GROUPS.iter().copied());
    out
}

fn resources_of(group: &str, version: &str) -> impl Iterator<Item = &'static ResourceType> {
    resources::RESOURCES.iter().filter(move |r| r.group == group && r.version == version)
}

fn versions_of(group: &str) -> Vec<&'static str> {
    group_versions().into_iter().filter(|(g, _)| *g == group).map(|(_, v)| v).collect()
}

fn scope(resource: &ResourceType) -> &'static str {
    if resource.namespaced { "Namespaced" } else { "Cluster" }
}

fn resource_discovery(resource: &ResourceType) -> ApiResourceDiscovery {
    ApiResourceDiscovery {
        resource: resource.plural,
        response_kind: GroupVersionKind { group: resource.group, version: resource.version, kind: resource.kind },
        scope: scope(resource),
        singular_resource: resource.singular,
        verbs: resource.verbs,
        short_names: resource.short_names,
        categories: resource.categories,
        subresources: subresources(resource)
            .map(|sub| ApiSubresourceDiscovery { subresource: sub.name, response_kind: sub.kind, verbs: sub.verbs })
            .collect(),
    }
}

fn group_discovery(group: &'static str) -> ApiGroupDiscovery {
    ApiGroupDiscovery {
        metadata: GroupMeta { name: group, creation_timestamp: None },
        versions: versions_of(group)
            .into_iter()
            .map(|version| ApiVersionDiscovery {
                version,
                resources: resources_of(group, version).map(resource_discovery).collect(),
                freshness: "Current",
            })
            .collect(),
    }
}

fn discovery_list(version: DiscoveryVersion, items: Vec<ApiGroupDiscovery>) -> ApiGroupDiscoveryList {
    ApiGroupDiscoveryList {
        kind: "APIGroupDiscoveryList",
        api_version: version.api_version(),
        metadata: ListMeta {},
        items,
    }
}

/// Aggregated discovery for `GET /api`: one item, the core group `""`.
pub fn aggregated_core(version: DiscoveryVersion) -> ApiGroupDiscoveryList {
    discovery_list(version, vec![group_discovery("")])
}

/// Aggregated discovery for `GET /apis`: every named group, in [`resources::GROUPS`] order.
pub fn aggregated_groups(version: DiscoveryVersion) -> ApiGroupDiscoveryList {
    let mut groups: Vec<&'static str> = Vec::new();
    for (group, _) in resources::GROUPS {
        if !groups.contains(group) {
            groups.push(group);
        }
    }
    discovery_list(version, groups.into_iter().map(group_discovery).collect())
}

/// One entry of `serverAddressByClientCIDRs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddressByClientCidr {
    #[serde(rename = "clientCIDR")]
    pub client_cidr: String,
    pub server_address: String,
}

/// Legacy `GET /api`: `APIVersions` (kube-apiserver writes no `apiVersion` here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiVersions {
    pub kind: &'static str,
    pub versions: Vec<&'static str>,
    #[serde(rename = "serverAddressByClientCIDRs")]
    pub server_address_by_client_cidrs: Vec<ServerAddressByClientCidr>,
}

/// Legacy `GET /api`. `server_address` (`host:port`) is what kube-apiserver advertises for every client CIDR; the
/// HTTP shell knows it, this crate does not. kubectl ignores it, so `None` (an empty list) is fine.
pub fn api_versions(server_address: Option<&str>) -> ApiVersions {
    ApiVersions {
        kind: "APIVersions",
        versions: versions_of(""),
        server_address_by_client_cidrs: server_address
            .map(|address| ServerAddressByClientCidr {
                client_cidr: "0.0.0.0/0".to_owned(),
                server_address: address.to_owned(),
            })
            .into_iter()
            .collect(),
    }
}

/// `GroupVersionForDiscovery`: `{"groupVersion": "apps/v1", "version": "v1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupVersionForDiscovery {
    pub group_version: String,
    pub version: &'static str,
}

/// `APIGroup`: one named group with its versions. `kind`/`apiVersion` are set when it stands alone
/// (`GET /apis/{group}`) and left out inside an `APIGroupList`, as kube-apiserver does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<&'static str>,
    pub name: &'static str,
    pub versions: Vec<GroupVersionForDiscovery>,
    pub preferred_version: GroupVersionForDiscovery,
}

/// Legacy `GET /apis`: `APIGroupList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroupList {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub groups: Vec<ApiGroup>,
}

fn group_entry(name: &'static str) -> Option<ApiGroup> {
    let versions: Vec<GroupVersionForDiscovery> = versions_of(name)
        .into_iter()
        .map(|version| GroupVersionForDiscovery { group_version: format!("{name}/{version}"), version })
        .collect();
    let preferred_version = versions.first()?.clone();
    Some(ApiGroup { kind: None, api_version: None, name, versions, preferred_version })
}

/// Legacy `GET /apis`: every named group.
pub fn api_group_list() -> ApiGroupList {
    let mut groups: Vec<ApiGroup> = Vec::new();
    for (name, _) in resources::GROUPS {
        if !groups.iter().any(|g| g.name == *name) {
            groups.extend(group_entry(name));
        }
    }
    ApiGroupList { kind: "APIGroupList", api_version: "v1", groups }
}

/// Legacy `GET /apis/{group}`, or `None` (404) for a group knet does not serve.
pub fn api_group(name: &str) -> Option<ApiGroup> {
    let (name, _) = resources::GROUPS.iter().find(|(g, _)| *g == name)?;
    group_entry(name).map(|group| ApiGroup { kind: Some("APIGroup"), api_version: Some("v1"), ..group })
}

/// `APIResource`: one resource or subresource (`pods/log`) of a legacy `APIResourceList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    pub name: String,
    /// Empty for subresources, as kube-apiserver writes them.
    pub singular_name: &'static str,
    pub namespaced: bool,
    /// Set only when it differs from the list's group version (`deployments/scale` is `autoscaling/v1 Scale`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub short_names: &'static [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub categories: &'static [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_version_hash: Option<String>,
}

/// Legacy `GET /api/v1` and `GET /apis/{group}/{version}`: `APIResourceList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceList {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub group_version: String,
    pub resources: Vec<ApiResource>,
}

/// Legacy `APIResourceList` of one group version (`""`, `"v1"` for `/api/v1`), or `None` (404) when knet serves
/// nothing there.
pub fn api_resource_list(group: &str, version: &str) -> Option<ApiResourceList> {
    let mut members = resources_of(group, version).peekable();
    let first = members.peek()?;
    let group_version = first.api_version();
    let mut list = Vec::new();
    for resource in members {
        list.push(ApiResource {
            name: resource.plural.to_owned(),
            singular_name: resource.singular,
            namespaced: resource.namespaced,
            group: None,
            version: None,
            kind: resource.kind,
            verbs: resource.verbs,
            short_names: resource.short_names,
            categories: resource.categories,
            storage_version_hash: Some(storage_version_hash(resource)),
        });
        for sub in subresources(resource) {
            let foreign = sub.kind.group != resource.group || sub.kind.version != resource.version;
            list.push(ApiResource {
                name: format!("{}/{}", resource.plural, sub.name),
                singular_name: "",
                namespaced: resource.namespaced,
                group: foreign.then_some(sub.kind.group),
                version: foreign.then_some(sub.kind.version),
                kind: sub.kind.kind,
                verbs: sub.verbs,
                short_names: &[],
                categories: &[],
                storage_version_hash: None,
            });
        }
    }
    Some(ApiResourceList { kind: "APIResourceList", api_version: "v1", group_version, resources: list })
}

/// A stable, opaque `storageVersionHash`: kube-apiserver takes the first 8 bytes of SHA-256 over
/// `group/version/kind` of the storage version; knet (no SHA-256 in a dependency-free crate) takes FNV-1a over the
/// same string. Clients only compare the value with itself, to notice a change of storage version.
pub fn storage_version_hash(resource: &ResourceType) -> String {
    let key = format!("{}/{}/{}", resource.group, resource.version, resource.kind);
    base64::encode(&fnv1a64(key.as_bytes()).to_be_bytes())
}

/// An `ETag` for a serialized discovery document: a quoted hash of its bytes. kube-apiserver tags aggregated
/// discovery so that client-go's disk cache can revalidate with `If-None-Match` and get a 304; the HTTP shell
/// compares the header with this value.
pub fn etag(body: &[u8]) -> String {
    format!("\"{:016X}\"", fnv1a64(body))
}

/// FNV-1a, 64 bits: a small stable hash for content-derived identifiers (storage version hashes, OpenAPI
/// document hashes). Not for anything that must resist an adversary.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests;
