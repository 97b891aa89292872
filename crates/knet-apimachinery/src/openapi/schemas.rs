//! The schemas of the served kinds, generated from k8s-openapi's types (their `JsonSchema` implementations carry
//! kube-apiserver's definition names, descriptions, types, formats and required fields) and completed in one place
//! with what only knet's registries know: `x-kubernetes-group-version-kind` from [`crate::resources::RESOURCES`] and
//! the patch strategies and list types from [`crate::patch::merge_keys`].
//!
//! ```text
//! k8s-openapi types ─schemars─> definitions (refs under #/components/schemas/)
//!        RESOURCES ──────────────> x-kubernetes-group-version-kind on each kind
//!        merge_keys::FIELDS ──────> x-kubernetes-patch-strategy / -patch-merge-key / -list-type / -map-type
//!                                   │
//!                  ┌────────────────┴────────────────┐
//!     OpenAPI v3: a $ref with siblings       OpenAPI v2: refs under #/definitions/,
//!     becomes allOf: [{$ref}] + siblings     siblings kept beside the $ref
//! ```
//!
//! Both shapes are kube-apiserver's. kubectl reads the patch extensions of the v2 definitions when it computes a
//! client-side `apply` patch for a kind whose definition carries its group, version and kind, so they must be
//! exactly the strategies the server applies: they come from the same table.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{SelfSubjectAccessReview, SelfSubjectRulesReview};
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Event, Namespace, Node, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::schemars::generate::{SchemaGenerator, SchemaSettings};
use k8s_openapi::schemars::transform::{RemoveRefSiblings, Transform};
use k8s_openapi::schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::patch::merge_keys::{self, FieldMeta, ListType, Strategy};
use crate::resources::{RESOURCES, ResourceType};

/// Where the generator puts references: OpenAPI v3's place, rewritten for v2 by [`v2_definitions`].
const V3_REFS: &str = "#/components/schemas/";
/// Where OpenAPI v2 keeps its definitions.
const V2_REFS: &str = "#/definitions/";

/// A served kind's k8s-openapi type: its group, version and kind as k8s-openapi states them, and a function that
/// adds its schema (and every schema it references) to a generator and returns the name of its definition.
#[derive(Debug, Clone, Copy)]
pub(super) struct KindType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    add: fn(&mut SchemaGenerator) -> String,
}

fn kind_type<T: k8s_openapi::Resource + JsonSchema>() -> KindType {
    fn add<T: JsonSchema>(generator: &mut SchemaGenerator) -> String {
        generator.subschema_for::<T>();
        T::schema_name().into_owned()
    }
    KindType { group: T::GROUP, version: T::VERSION, kind: T::KIND, add: add::<T> }
}

/// The Rust type of every served kind. The registry names kinds as strings; this is the one place that ties them to
/// types, and a test checks that it names exactly the registry's kinds.
pub(super) fn kind_types() -> [KindType; 18] {
    [
        kind_type::<Namespace>(),
        kind_type::<Node>(),
        kind_type::<Pod>(),
        kind_type::<Service>(),
        kind_type::<Endpoints>(),
        kind_type::<ConfigMap>(),
        kind_type::<Secret>(),
        kind_type::<ServiceAccount>(),
        kind_type::<Event>(),
        kind_type::<Deployment>(),
        kind_type::<ReplicaSet>(),
        kind_type::<SelfSubjectReview>(),
        kind_type::<SelfSubjectAccessReview>(),
        kind_type::<SelfSubjectRulesReview>(),
        kind_type::<EndpointSlice>(),
        kind_type::<Ingress>(),
        kind_type::<IngressClass>(),
        kind_type::<NetworkPolicy>(),
    ]
}

/// The definitions of the served kinds that `served` selects and of everything they reference, keyed by
/// kube-apiserver's definition names, with refs under `#/components/schemas/` and every extension added, but with
/// `$ref` siblings still beside the `$ref` (see [`v3_definitions`] and [`v2_definitions`]). Also returns the
/// `merge_keys` rules applied, as `Owner.field`, for tests.
pub(super) fn definitions(served: impl Fn(&ResourceType) -> bool) -> (Map<String, Value>, BTreeSet<String>) {
    // No transforms: the two document versions want different shapes, made from this one.
    let mut generator = SchemaSettings::openapi3()
        .with(|settings| {
            settings.transforms.clear();
            settings.meta_schema = None;
        })
        .into_generator();
    let types = kind_types();
    let roots: Vec<(&ResourceType, String)> = RESOURCES
        .iter()
        .filter(|resource| served(resource))
        .filter_map(|resource| {
            let ty = types
                .iter()
                .find(|t| (t.group, t.version, t.kind) == (resource.group, resource.version, resource.kind))?;
            Some((resource, (ty.add)(&mut generator)))
        })
        .collect();
    let mut definitions = generator.take_definitions(false);
    let mut applied = BTreeSet::new();
    let mut visited = BTreeSet::new();
    for (resource, name) in &roots {
        if let Some(kind) = definitions.get_mut(name).and_then(Value::as_object_mut) {
            mark_kind(kind, resource);
        }
        let owner = merge_keys::root_type(&resource.api_version(), resource.kind);
        if let Some(owner) = owner {
            annotate(&mut definitions, name, owner, &mut visited, &mut applied);
        }
    }
    (definitions, applied)
}

/// What a top-level kind carries beyond its type: the group, version and kind kubectl finds it by.
fn mark_kind(kind: &mut Map<String, Value>, resource: &ResourceType) {
    kind.insert(
        "x-kubernetes-group-version-kind".into(),
        json!([{ "group": resource.group, "kind": resource.kind, "version": resource.version }]),
    );
    // k8s-openapi lists `metadata` as required because its Rust field is not optional; kube-apiserver does not
    // (an object without metadata is refused by name validation, not by the schema), and `kubectl explain` would
    // print `-required-` beside it.
    if let Some(required) = kind.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|field| field != "metadata");
        if required.is_empty() {
            kind.remove("required");
        }
    }
}

/// Adds the extensions of every `merge_keys` rule of type `owner` to the properties of definition `name`, and
/// follows the rules that name the type of their value into the definitions their properties reference. A
/// definition is annotated once, under the first table type that reaches it (the table gives shared definitions
/// one type: `EphemeralContainer` is walked as a `Container`, whose tags it shares).
fn annotate(
    definitions: &mut Map<String, Value>,
    name: &str,
    owner: &'static str,
    visited: &mut BTreeSet<String>,
    applied: &mut BTreeSet<String>,
) {
    if !visited.insert(name.to_owned()) {
        return;
    }
    let mut next = Vec::new();
    for rule in merge_keys::FIELDS.iter().filter(|rule| rule.owner == owner) {
        let property = definitions
            .get_mut(name)
            .and_then(|definition| definition.get_mut("properties"))
            .and_then(|properties| properties.get_mut(rule.field))
            .and_then(Value::as_object_mut);
        let Some(property) = property else { continue };
        let is_list = property.get("type").and_then(Value::as_str) == Some("array");
        for (key, value) in extensions(&rule.meta, is_list) {
            property.insert(key.into(), value);
        }
        applied.insert(format!("{}.{}", rule.owner, rule.field));
        if let Some((ty, target)) = rule.meta.ty.zip(referenced(property)) {
            next.push((target, ty));
        }
    }
    for (target, ty) in next {
        annotate(definitions, &target, ty, visited, applied);
    }
}

/// The definition a property refers to, directly or through its list elements or map values.
fn referenced(property: &Map<String, Value>) -> Option<String> {
    let reference = property
        .get("$ref")
        .or_else(|| property.get("items").and_then(|items| items.get("$ref")))
        .or_else(|| property.get("additionalProperties").and_then(|values| values.get("$ref")))?;
    reference.as_str()?.strip_prefix(V3_REFS).map(str::to_owned)
}

/// kube-apiserver's extensions for a field with this merge behaviour: the struct tags (`patchStrategy`,
/// `patchMergeKey`) and the markers (`listType`, `listMapKey`, `structType`). A list the table records is atomic
/// unless it says otherwise; other fields get nothing for the default.
fn extensions(meta: &FieldMeta, is_list: bool) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let strategy: Vec<&str> = [(meta.strategy == Strategy::Merge, "merge"), (meta.retain_keys, "retainKeys")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    if !strategy.is_empty() {
        out.push(("x-kubernetes-patch-strategy", json!(strategy.join(","))));
    }
    if let Some(key) = meta.merge_key {
        out.push(("x-kubernetes-patch-merge-key", json!(key)));
    }
    match meta.list_type {
        ListType::Map(keys) => {
            out.push(("x-kubernetes-list-map-keys", json!(keys)));
            out.push(("x-kubernetes-list-type", json!("map")));
        }
        ListType::Set => out.push(("x-kubernetes-list-type", json!("set"))),
        ListType::Atomic if is_list => out.push(("x-kubernetes-list-type", json!("atomic"))),
        ListType::Atomic => {}
    }
    if meta.atomic_object {
        out.push(("x-kubernetes-map-type", json!("atomic")));
    }
    out
}

/// OpenAPI v3's shape (kube-apiserver's): a `$ref` with a sibling description or extension becomes
/// `allOf: [{"$ref": ...}]` beside the siblings, since OpenAPI 3.0 ignores the siblings of a `$ref`.
pub(super) fn v3_definitions(mut definitions: Map<String, Value>) -> Map<String, Value> {
    // Every definition is a schema object; anything else would be left as it is.
    for schema in definitions.values_mut().flat_map(<&mut Schema>::try_from) {
        RemoveRefSiblings::default().transform(schema);
    }
    definitions
}

/// OpenAPI v2's shape (kube-apiserver's): refs under `#/definitions/`, siblings kept beside the `$ref`.
pub(super) fn v2_definitions(mut definitions: Map<String, Value>) -> Map<String, Value> {
    fn rewrite(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get_mut("$ref")
                    && let Some(name) = reference.strip_prefix(V3_REFS)
                {
                    *reference = format!("{V2_REFS}{name}");
                }
                map.values_mut().for_each(rewrite);
            }
            Value::Array(items) => items.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    definitions.values_mut().for_each(rewrite);
    definitions
}
