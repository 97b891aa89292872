//! kube-apiserver's half of namespace deletion: a DELETE marks the namespace `Terminating` (with a
//! `deletionTimestamp`) and answers at once; new objects in it are refused (403). The namespace controller (in
//! `knet-controllers`) deletes its contents through the API and then removes the `kubernetes` finalizer through the
//! `finalize` subresource; the namespace goes when its last finalizer does.

use knet_apimachinery::status::{self, Status};
use serde_json::{Value, json};

use crate::objects;
use crate::resource::store_error;
use crate::state::{State, key, namespace_resource};
use crate::util;

/// Namespaces kube-apiserver refuses to delete.
pub const UNDELETABLE: &[&str] = &["default", "kube-system", "kube-public"];

fn name_of(namespace: &Value) -> String {
    namespace.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Whether a namespace's `spec.finalizers` and `metadata.finalizers` are both empty.
fn unfinalized(namespace: &Value) -> bool {
    let empty = |pointer: &str| namespace.pointer(pointer).and_then(Value::as_array).is_none_or(Vec::is_empty);
    empty("/spec/finalizers") && empty("/metadata/finalizers")
}

/// Marks `live` (a namespace) as terminating, or deletes it at once when nothing finalizes it. Returns the
/// namespace as stored (or as it was, when deleted).
pub fn begin_delete(state: &State, live: Value) -> Result<Value, Status> {
    let resource = namespace_resource();
    let name = name_of(&live);
    if UNDELETABLE.contains(&name.as_str()) {
        return Err(status::forbidden(resource, &name, "this namespace may not be deleted"));
    }
    let rv = objects::resource_version(&live);
    if unfinalized(&live) {
        return Ok(state
            .store
            .delete(&key(resource, None, &name), rv)
            .map_err(|e| store_error(resource, &name, e))?
            .object);
    }
    if live.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(live);
    }
    let mut terminating = live;
    objects::mark_deleting(&mut terminating, util::now_unix(), 0);
    terminating["status"]["phase"] = json!("Terminating");
    Ok(state
        .store
        .update(&key(resource, None, &name), terminating, rv)
        .map_err(|e| store_error(resource, &name, e))?
        .object)
}

/// PUT of `namespaces/{name}/finalize`: takes `spec.finalizers` from `body`, nothing else; a terminating namespace
/// left with no finalizer is deleted.
pub fn finalize(state: &State, name: &str, body: &Value) -> Result<Value, Status> {
    let resource = namespace_resource();
    let finalizers = match body.pointer("/spec/finalizers") {
        None | Some(Value::Null) => json!([]),
        Some(list @ Value::Array(items)) if items.iter().all(Value::is_string) => list.clone(),
        Some(other) => {
            return Err(status::bad_request(format!(
                "spec.finalizers: Invalid value: {other}: must be a list of strings"
            )));
        }
    };
    let object_key = key(resource, None, name);
    let live = state
        .store
        .get(&object_key)
        .map_err(|e| store_error(resource, name, e))?
        .ok_or_else(|| status::not_found(resource, name))?;
    let rv = objects::resource_version(&live);
    let mut updated = live;
    updated["spec"]["finalizers"] = finalizers;
    if updated.pointer("/metadata/deletionTimestamp").is_some() && unfinalized(&updated) {
        state.store.delete(&object_key, rv).map_err(|e| store_error(resource, name, e))?;
        return Ok(updated);
    }
    Ok(state.store.update(&object_key, updated, rv).map_err(|e| store_error(resource, name, e))?.object)
}
