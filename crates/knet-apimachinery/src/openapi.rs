//! The OpenAPI documents kubectl downloads before `apply` and `create -f`: the smallest OpenAPI v3 that kubectl
//! 1.29–1.33 accepts, generated from [`crate::resources::RESOURCES`].
//!
//! kubectl reads them for one question only: does the server validate fields itself? It looks for a path item
//! whose `patch` operation carries `x-kubernetes-group-version-kind` for the kind at hand and lists a
//! `fieldValidation` query parameter; if so it sends `fieldValidation=Strict` and leaves validation to the
//! server. So each group-version document holds, per kind, exactly that operation and no schemas.
//!
//! What is deliberately absent: request bodies and schemas. A document that advertises
//! `application/strategic-merge-patch+json` in a `requestBody` makes kubectl compute strategic merge patches from
//! the served schemas, which would then have to be complete; without it kubectl uses its built-in Go types, which
//! is what knet wants.
//!
//! `GET /openapi/v2` answers an empty Swagger 2.0 document (no paths, no definitions), in protobuf as kubectl asks
//! for it or in JSON. kubectl 1.29+ reads it only for a kind that OpenAPI v3 does not describe, to validate it on the
//! client side, and skips the validation of a kind v2 does not know either; so `kubectl apply` of a custom resource
//! whose CRD is missing ends as on a real cluster ("no matches for kind ... ensure CRDs are installed first"), and
//! kubectl 1.27 and 1.28, which validate with v2 only, leave the validation to the server.

use serde_json::{Value, json};

use crate::discovery::{self, fnv1a64};
use crate::resources::{self, ResourceType};

/// The title and version of the OpenAPI v2 document.
const V2_TITLE: &str = "Kubernetes";

/// The empty OpenAPI v2 document as JSON.
pub fn v2_document() -> Value {
    json!({
        "swagger": "2.0",
        "info": { "title": V2_TITLE, "version": discovery::GIT_VERSION },
        "paths": {},
        "definitions": {},
    })
}

/// The empty OpenAPI v2 document in gnostic's `openapi_v2.Document` protobuf encoding, as kubectl asks for it
/// (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): `swagger` (field 1), `info` (2: `title` 1,
/// `version` 2) and empty `paths` (8).
pub fn v2_document_protobuf() -> Vec<u8> {
    fn string_field(out: &mut Vec<u8>, field: u8, text: &str) {
        out.push(field << 3 | 2);
        out.push(u8::try_from(text.len()).unwrap_or(0));
        out.extend_from_slice(text.as_bytes());
    }
    let mut info = Vec::new();
    string_field(&mut info, 1, V2_TITLE);
    string_field(&mut info, 2, discovery::GIT_VERSION);
    let mut document = Vec::new();
    string_field(&mut document, 1, "2.0");
    document.push(2 << 3 | 2);
    document.push(u8::try_from(info.len()).unwrap_or(0));
    document.extend_from_slice(&info);
    document.extend_from_slice(&[8 << 3 | 2, 0]);
    document
}

/// The index key of a group version: `api/v1`, `apis/apps/v1`.
pub fn group_version_key(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// Reads an index key (`api/v1`, `apis/apps/v1`, as in `/openapi/v3/<key>`) back into a served group version.
pub fn parse_group_version_key(key: &str) -> Option<(&'static str, &'static str)> {
    discovery::group_versions().into_iter().find(|(group, version)| group_version_key(group, version) == key)
}

/// `GET /openapi/v3`: every served group version with the URL of its document. The `hash` query parameter is
/// derived from the document's content, so kubectl's disk cache (keyed by that URL) picks up a changed document
/// and keeps an unchanged one.
pub fn index() -> Value {
    let paths: serde_json::Map<String, Value> = discovery::group_versions()
        .into_iter()
        .map(|(group, version)| {
            let key = group_version_key(group, version);
            let url = format!("/openapi/v3/{key}?hash={}", document_hash(group, version).unwrap_or_default());
            (key, json!({ "serverRelativeURL": url }))
        })
        .collect();
    json!({ "paths": paths })
}

/// The hash in the index's URL for a group version: 16 upper-case hex digits of a hash of the document, or `None`
/// for a group version knet does not serve.
pub fn document_hash(group: &str, version: &str) -> Option<String> {
    let body = serde_json::to_vec(&document(group, version)?).ok()?;
    Some(format!("{:016X}", fnv1a64(&body)))
}

/// `GET /openapi/v3/api/v1`, `GET /openapi/v3/apis/{group}/{version}`, or `None` (404). kubectl asks with the
/// index's `hash` query parameter; the answer does not depend on it (kube-apiserver redirects a stale hash, knet
/// serves the current document). The documents never change while the server runs, so the shell may build them
/// once.
pub fn document(group: &str, version: &str) -> Option<Value> {
    let mut kinds = resources::RESOURCES.iter().filter(|r| r.group == group && r.version == version).peekable();
    kinds.peek()?;
    let paths: serde_json::Map<String, Value> = kinds.map(|r| (object_path(r), json!({ "patch": patch(r) }))).collect();
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": discovery::GIT_VERSION },
        "paths": paths,
    }))
}

/// `/api/v1/namespaces/{namespace}/pods/{name}`, `/apis/networking.k8s.io/v1/ingressclasses/{name}`.
fn object_path(resource: &ResourceType) -> String {
    let namespace = if resource.namespaced { "/namespaces/{namespace}" } else { "" };
    format!("{}{namespace}/{}/{{name}}", resource.group_version_path(), resource.plural)
}

/// The one operation kubectl looks at.
fn patch(resource: &ResourceType) -> Value {
    json!({
        "description": format!("partially update the specified {}", resource.kind),
        "operationId": operation_id(resource),
        "parameters": [{
            "name": "fieldValidation",
            "in": "query",
            "description": "fieldValidation instructs the server on how to handle objects in the request \
                (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.",
            "schema": { "type": "string", "uniqueItems": true },
        }],
        "responses": { "200": { "description": "OK" } },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
    })
}

/// kube-apiserver's operation id: `patchCoreV1NamespacedPod`, `patchNetworkingV1IngressClass`.
fn operation_id(resource: &ResourceType) -> String {
    let group = resource.group.split('.').next().filter(|g| !g.is_empty()).unwrap_or("core");
    let namespaced = if resource.namespaced { "Namespaced" } else { "" };
    format!("patch{}{}{namespaced}{}", capitalize(group), capitalize(resource.version), resource.kind)
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
