//! Namespace deletion, as kube-apiserver and the namespace controller do it between them: a DELETE marks the
//! namespace `Terminating` (with a `deletionTimestamp`) and answers at once; new objects in it are refused (403);
//! after a short grace its contents are deleted, then the namespace itself. A namespace left `Terminating` by a
//! stop is finished at the next start.
//!
//! This is a stand-in for the namespace controller of issue 3, section 3, which will do the same through the API.

use std::sync::Arc;

use knet_apimachinery::resources::RESOURCES;
use knet_apimachinery::status::{self, Status};
use serde_json::{Value, json};

use crate::resource::list_all;
use crate::resource::read::Selectors;
use crate::resource::store_error;
use crate::state::{State, key, namespace_resource, service_resource};
use crate::util;

/// Namespaces kube-apiserver refuses to delete.
pub const UNDELETABLE: &[&str] = &["default", "kube-system", "kube-public"];

/// Marks `live` (a namespace) as terminating and schedules the deletion of its contents and of itself. Returns the
/// namespace as stored.
pub fn begin_delete(state: &Arc<State>, live: Value) -> Result<Value, Status> {
    let resource = namespace_resource();
    let name = live.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    if UNDELETABLE.contains(&name.as_str()) {
        return Err(status::forbidden(resource, &name, "this namespace may not be deleted"));
    }
    let stored = if live.pointer("/metadata/deletionTimestamp").is_some() {
        live
    } else {
        let mut terminating = live.clone();
        terminating["metadata"]["deletionTimestamp"] = json!(util::rfc3339(util::now_unix()));
        terminating["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        terminating["status"] = json!({ "phase": "Terminating" });
        let rv = live.pointer("/metadata/resourceVersion").and_then(Value::as_str).and_then(|rv| rv.parse().ok());
        state
            .store
            .update(&key(resource, None, &name), terminating, rv)
            .map_err(|e| store_error(resource, &name, e))?
            .object
    };
    schedule(state, name);
    Ok(stored)
}

/// Finishes the namespaces a previous run left terminating.
pub fn resume(state: &Arc<State>) -> Result<(), Status> {
    let (namespaces, _) = list_all(&state.store, namespace_resource(), None, &Selectors::everything())?;
    for namespace in namespaces.iter().filter(|n| n.pointer("/metadata/deletionTimestamp").is_some()) {
        let name = namespace.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        schedule(state, name.to_owned());
    }
    Ok(())
}

fn schedule(state: &Arc<State>, name: String) {
    let state = Arc::clone(state);
    std::thread::spawn(move || {
        // The grace lets `kubectl delete -f dir/` delete the namespace's objects itself, as it does on a real
        // cluster, where the namespace controller takes a moment.
        std::thread::sleep(state.namespace_grace);
        if let Err(status) = finish(&state, &name) {
            eprintln!("knet: deleting namespace {name}: {}", status.message);
        }
    });
}

/// Deletes every object in `namespace`, then the namespace.
fn finish(state: &State, namespace: &str) -> Result<(), Status> {
    let everything = Selectors::everything();
    for resource in RESOURCES.iter().filter(|r| r.namespaced) {
        let (items, _) = list_all(&state.store, resource, Some(namespace), &everything)?;
        for item in items {
            let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            match state.store.delete(&key(resource, Some(namespace), name), None) {
                Ok(event) if resource == service_resource() => state.allocator().release(&event.object),
                Ok(_) | Err(knet_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(store_error(resource, name, error)),
            }
        }
    }
    match state.store.delete(&key(namespace_resource(), None, namespace), None) {
        Ok(_) | Err(knet_store::Error::NotFound { .. }) => Ok(()),
        Err(error) => Err(store_error(namespace_resource(), namespace, error)),
    }
}
