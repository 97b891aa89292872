//! How each list and map of the served kinds merges: the `patchStrategy` / `patchMergeKey` struct tags of the real
//! Kubernetes types (for strategic merge patch) and their `listType` / `listMapKey` markers (for server-side apply).
//!
//! The table is keyed by the shape of the JSON path: a type name and a field name (`PodSpec` `containers` merges by
//! `name`, and its elements are `Container`s). A field that is not listed has no strategy: a list is replaced whole
//! (atomic for server-side apply), a map merges key by key, and nothing below it has a strategy either. So every field
//! whose subtree holds a merging list is listed, with the type of its value.
//!
//! ```text
//! Deployment/ReplicaSet ─spec─> *Spec ─template─> PodTemplateSpec ─spec─> PodSpec ─containers─> Container ─ports─> ContainerPort
//!        every kind ─metadata─> ObjectMeta (ownerReferences by uid, finalizers as a set)
//! ```
//!
//! Source: the struct tags compiled into kubectl 1.33 (k8s.io/api v0.33), read with `strings` from the binary, and
//! checked list by list against kubectl's own strategic merge patch (`kubectl patch --local`; the test
//! `lists_merge_or_are_replaced_as_kubectl_does` keeps the answers). The server-side apply list keys
//! (`containerPort`+`protocol`, `port`+`protocol`, `topologyKey`+`whenUnsatisfiable`) and the atomic `LabelSelector`
//! come from the `+listMapKey` / `+structType` markers of the same types, from memory rather than from a source read
//! here: they are the keys a real cluster prints in `managedFields`. Less sure: whether 1.33 keys a pod's
//! `imagePullSecrets` for apply (taken, like every merging list, as keyed by its merge key) and which other structs
//! are `+structType=atomic` (only label selectors are treated so).

/// What a strategic merge patch does with a list or map field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Replace the whole value (the default: no `patchStrategy` tag).
    Replace,
    /// `patchStrategy:"merge"`: lists of objects merge by [`FieldMeta::merge_key`], lists of scalars are unioned.
    Merge,
}

/// What server-side apply does with a list (`x-kubernetes-list-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// The list is one value, owned and replaced whole.
    Atomic,
    /// A set of scalars: each value is owned on its own (`v:"x"` in `managedFields`).
    Set,
    /// Objects identified by these key fields (`k:{"name":"web"}` in `managedFields`).
    Map(&'static [&'static str]),
}

/// The merge behaviour of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMeta {
    /// Strategic merge patch strategy.
    pub strategy: Strategy,
    /// `patchMergeKey`: the field that identifies an element of a merging list of objects.
    pub merge_key: Option<&'static str>,
    /// `patchStrategy` includes `retainKeys`: kubectl sends `$retainKeys` for this field (a union such as a
    /// Deployment's `strategy` or a Volume's source), and the server clears the keys it does not list.
    pub retain_keys: bool,
    /// Server-side apply list type.
    pub list_type: ListType,
    /// `+structType=atomic`: server-side apply owns and replaces the object whole (label selectors).
    pub atomic_object: bool,
    /// The type of the value, or of each element of a list, when it has fields of its own in this table.
    pub ty: Option<&'static str>,
}

impl FieldMeta {
    /// A field without any strategy: lists replaced, maps merged, nothing known below.
    pub const PLAIN: FieldMeta = FieldMeta {
        strategy: Strategy::Replace,
        merge_key: None,
        retain_keys: false,
        list_type: ListType::Atomic,
        atomic_object: false,
        ty: None,
    };
}

/// One row of the table: field `field` of type `owner`.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    /// The Go type name that holds the field (`PodSpec`).
    pub owner: &'static str,
    /// The JSON name of the field (`containers`).
    pub field: &'static str,
    /// How it merges.
    pub meta: FieldMeta,
}

/// A map or an object whose own fields are in the table.
const fn nested(owner: &'static str, field: &'static str, ty: &'static str) -> FieldRule {
    FieldRule { owner, field, meta: FieldMeta { ty: Some(ty), ..FieldMeta::PLAIN } }
}

/// A list of objects merged by `keys[0]` in a strategic merge patch and keyed by all of `keys` in server-side apply.
const fn keyed(
    owner: &'static str,
    field: &'static str,
    keys: &'static [&'static str],
    ty: Option<&'static str>,
) -> FieldRule {
    FieldRule {
        owner,
        field,
        meta: FieldMeta {
            strategy: Strategy::Merge,
            merge_key: Some(keys[0]),
            list_type: ListType::Map(keys),
            ty,
            ..FieldMeta::PLAIN
        },
    }
}

/// A list of scalars with `patchStrategy:"merge"`: unioned, and a set for server-side apply.
const fn set(owner: &'static str, field: &'static str) -> FieldRule {
    FieldRule {
        owner,
        field,
        meta: FieldMeta { strategy: Strategy::Merge, list_type: ListType::Set, ..FieldMeta::PLAIN },
    }
}

/// A list replaced whole by both patch kinds. Listed although it is the default, to record that it was checked.
const fn atomic(owner: &'static str, field: &'static str) -> FieldRule {
    FieldRule { owner, field, meta: FieldMeta::PLAIN }
}

/// A label selector: merged by a strategic merge patch, owned whole by server-side apply (`+structType=atomic`).
const fn selector(owner: &'static str, field: &'static str) -> FieldRule {
    FieldRule { owner, field, meta: FieldMeta { atomic_object: true, ..FieldMeta::PLAIN } }
}

/// A list replaced by a strategic merge patch (no `patchStrategy`) but keyed for server-side apply.
const fn apply_keyed(owner: &'static str, field: &'static str, keys: &'static [&'static str]) -> FieldRule {
    FieldRule { owner, field, meta: FieldMeta { list_type: ListType::Map(keys), ..FieldMeta::PLAIN } }
}

const fn with_retain_keys(rule: FieldRule) -> FieldRule {
    FieldRule { meta: FieldMeta { retain_keys: true, ..rule.meta }, ..rule }
}

/// Every field with a strategy, and every field on the way to one.
pub const FIELDS: &[FieldRule] = &[
    // Every kind.
    keyed("ObjectMeta", "ownerReferences", &["uid"], None),
    set("ObjectMeta", "finalizers"),
    atomic("ObjectMeta", "managedFields"),
    // Pods and pod templates.
    nested("Pod", "metadata", "ObjectMeta"),
    nested("Pod", "spec", "PodSpec"),
    nested("Pod", "status", "PodStatus"),
    nested("PodTemplateSpec", "metadata", "ObjectMeta"),
    nested("PodTemplateSpec", "spec", "PodSpec"),
    keyed("PodSpec", "containers", &["name"], Some("Container")),
    keyed("PodSpec", "initContainers", &["name"], Some("Container")),
    // EphemeralContainer inlines EphemeralContainerCommon, whose tags are Container's.
    keyed("PodSpec", "ephemeralContainers", &["name"], Some("Container")),
    with_retain_keys(keyed("PodSpec", "volumes", &["name"], None)),
    keyed("PodSpec", "imagePullSecrets", &["name"], None),
    keyed("PodSpec", "hostAliases", &["ip"], None),
    keyed("PodSpec", "topologySpreadConstraints", &["topologyKey", "whenUnsatisfiable"], None),
    with_retain_keys(keyed("PodSpec", "resourceClaims", &["name"], None)),
    keyed("PodSpec", "schedulingGates", &["name"], None),
    atomic("PodSpec", "tolerations"),
    atomic("PodSpec", "readinessGates"),
    keyed("Container", "ports", &["containerPort", "protocol"], Some("ContainerPort")),
    keyed("Container", "env", &["name"], None),
    keyed("Container", "volumeMounts", &["mountPath"], None),
    keyed("Container", "volumeDevices", &["devicePath"], None),
    atomic("Container", "envFrom"),
    atomic("Container", "command"),
    atomic("Container", "args"),
    atomic("Container", "resizePolicy"),
    nested("Container", "resources", "ResourceRequirements"),
    apply_keyed("ResourceRequirements", "claims", &["name"]),
    keyed("PodStatus", "conditions", &["type"], None),
    keyed("PodStatus", "podIPs", &["ip"], None),
    keyed("PodStatus", "hostIPs", &["ip"], None),
    with_retain_keys(keyed("PodStatus", "resourceClaimStatuses", &["name"], None)),
    atomic("PodStatus", "containerStatuses"),
    atomic("PodStatus", "initContainerStatuses"),
    atomic("PodStatus", "ephemeralContainerStatuses"),
    // Services.
    nested("Service", "metadata", "ObjectMeta"),
    nested("Service", "spec", "ServiceSpec"),
    nested("Service", "status", "ServiceStatus"),
    keyed("ServiceSpec", "ports", &["port", "protocol"], Some("ServicePort")),
    atomic("ServiceSpec", "clusterIPs"),
    atomic("ServiceSpec", "externalIPs"),
    atomic("ServiceSpec", "ipFamilies"),
    atomic("ServiceSpec", "loadBalancerSourceRanges"),
    keyed("ServiceStatus", "conditions", &["type"], None),
    // Endpoints: subsets, their addresses and ports are all replaced whole.
    nested("Endpoints", "metadata", "ObjectMeta"),
    atomic("Endpoints", "subsets"),
    // Nodes.
    nested("Node", "metadata", "ObjectMeta"),
    nested("Node", "spec", "NodeSpec"),
    nested("Node", "status", "NodeStatus"),
    set("NodeSpec", "podCIDRs"),
    atomic("NodeSpec", "taints"),
    keyed("NodeStatus", "conditions", &["type"], None),
    keyed("NodeStatus", "addresses", &["type"], None),
    atomic("NodeStatus", "images"),
    // Namespaces: spec.finalizers has no strategy, unlike metadata.finalizers.
    nested("Namespace", "metadata", "ObjectMeta"),
    nested("Namespace", "spec", "NamespaceSpec"),
    nested("Namespace", "status", "NamespaceStatus"),
    atomic("NamespaceSpec", "finalizers"),
    keyed("NamespaceStatus", "conditions", &["type"], None),
    // ServiceAccounts: secrets merge by name, imagePullSecrets (unlike a pod's) have no strategy.
    nested("ServiceAccount", "metadata", "ObjectMeta"),
    keyed("ServiceAccount", "secrets", &["name"], None),
    atomic("ServiceAccount", "imagePullSecrets"),
    // Kinds with nothing but metadata to merge.
    nested("ConfigMap", "metadata", "ObjectMeta"),
    nested("Secret", "metadata", "ObjectMeta"),
    nested("Event", "metadata", "ObjectMeta"),
    nested("IngressClass", "metadata", "ObjectMeta"),
    // Deployments and ReplicaSets.
    nested("Deployment", "metadata", "ObjectMeta"),
    nested("Deployment", "spec", "DeploymentSpec"),
    nested("Deployment", "status", "DeploymentStatus"),
    nested("DeploymentSpec", "template", "PodTemplateSpec"),
    selector("DeploymentSpec", "selector"),
    FieldRule { owner: "DeploymentSpec", field: "strategy", meta: FieldMeta { retain_keys: true, ..FieldMeta::PLAIN } },
    keyed("DeploymentStatus", "conditions", &["type"], None),
    nested("ReplicaSet", "metadata", "ObjectMeta"),
    nested("ReplicaSet", "spec", "ReplicaSetSpec"),
    nested("ReplicaSet", "status", "ReplicaSetStatus"),
    nested("ReplicaSetSpec", "template", "PodTemplateSpec"),
    selector("ReplicaSetSpec", "selector"),
    keyed("ReplicaSetStatus", "conditions", &["type"], None),
    // discovery.k8s.io: endpoints and ports are atomic.
    nested("EndpointSlice", "metadata", "ObjectMeta"),
    atomic("EndpointSlice", "endpoints"),
    atomic("EndpointSlice", "ports"),
    // networking.k8s.io: every list of Ingress and NetworkPolicy is atomic.
    nested("Ingress", "metadata", "ObjectMeta"),
    nested("Ingress", "spec", "IngressSpec"),
    atomic("IngressSpec", "rules"),
    atomic("IngressSpec", "tls"),
    nested("NetworkPolicy", "metadata", "ObjectMeta"),
    nested("NetworkPolicy", "spec", "NetworkPolicySpec"),
    selector("NetworkPolicySpec", "podSelector"),
    atomic("NetworkPolicySpec", "ingress"),
    atomic("NetworkPolicySpec", "egress"),
    atomic("NetworkPolicySpec", "policyTypes"),
];

/// The kinds with a strategic merge patch table, by `apiVersion` and `kind`, with the type of the whole object.
pub const KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Endpoints"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "Event"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("authentication.k8s.io/v1", "SelfSubjectReview"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
];

/// Key fields that server-side apply fills in when an element omits them, as the OpenAPI schema's defaults do:
/// `ports: [{containerPort: 80}]` is owned as `k:{"containerPort":80,"protocol":"TCP"}`.
pub const KEY_DEFAULTS: &[(&str, &str, &str)] =
    &[("ContainerPort", "protocol", "TCP"), ("ServicePort", "protocol", "TCP")];

/// The type name of a whole object of this kind (the kind itself), when the table knows it.
pub fn root_type(api_version: &str, kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|(v, k)| *v == api_version && *k == kind).map(|(_, k)| *k)
}

/// How field `field` of a value of type `owner` merges; [`FieldMeta::PLAIN`] for anything not in the table.
pub fn field(owner: Option<&str>, field: &str) -> FieldMeta {
    let Some(owner) = owner else {
        return FieldMeta::PLAIN;
    };
    FIELDS.iter().find(|rule| rule.owner == owner && rule.field == field).map_or(FieldMeta::PLAIN, |rule| rule.meta)
}

/// The default of a key field of a list element of type `ty`, if the schema has one.
pub fn key_default(ty: Option<&str>, key: &str) -> Option<&'static str> {
    let ty = ty?;
    KEY_DEFAULTS.iter().find(|(t, k, _)| *t == ty && *k == key).map(|(_, _, default)| *default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::RESOURCES;

    #[test]
    fn every_served_kind_has_a_table_and_nothing_else_does() {
        for resource in RESOURCES {
            assert!(
                root_type(&resource.api_version(), resource.kind).is_some(),
                "{} {} is served but has no merge table",
                resource.api_version(),
                resource.kind
            );
        }
        assert_eq!(KINDS.len(), RESOURCES.len());
        assert_eq!(root_type("example.com/v1", "Widget"), None);
        assert_eq!(root_type("v1", "Deployment"), None);
    }

    #[test]
    fn every_named_type_is_reachable_and_rules_are_unique() {
        let mut reachable: Vec<&str> = KINDS.iter().map(|(_, kind)| *kind).collect();
        let mut i = 0;
        while i < reachable.len() {
            let owner = reachable[i];
            for rule in FIELDS.iter().filter(|r| r.owner == owner) {
                if let Some(ty) = rule.meta.ty.filter(|ty| !reachable.contains(ty)) {
                    reachable.push(ty);
                }
            }
            i += 1;
        }
        for rule in FIELDS {
            assert!(reachable.contains(&rule.owner), "{}.{} is never reached from a kind", rule.owner, rule.field);
            let same = FIELDS.iter().filter(|r| r.owner == rule.owner && r.field == rule.field).count();
            assert_eq!(same, 1, "{}.{} is listed twice", rule.owner, rule.field);
        }
    }

    #[test]
    fn the_lookups_kubectl_relies_on() {
        let containers = field(Some("PodSpec"), "containers");
        assert_eq!(
            (containers.strategy, containers.merge_key, containers.ty),
            (Strategy::Merge, Some("name"), Some("Container"))
        );
        let ports = field(Some("Container"), "ports");
        assert_eq!(ports.merge_key, Some("containerPort"));
        assert_eq!(ports.list_type, ListType::Map(&["containerPort", "protocol"]));
        assert_eq!(field(Some("ServiceSpec"), "ports").merge_key, Some("port"));
        assert_eq!(field(Some("Container"), "envFrom").strategy, Strategy::Replace);
        assert_eq!(field(Some("ObjectMeta"), "finalizers").list_type, ListType::Set);
        assert_eq!(field(Some("NetworkPolicySpec"), "ingress"), FieldMeta::PLAIN);
        assert_eq!(field(None, "containers"), FieldMeta::PLAIN);
        assert_eq!(key_default(Some("ContainerPort"), "protocol"), Some("TCP"));
        assert_eq!(key_default(Some("Container"), "protocol"), None);
    }
}
