//! The writes: create, update, patch (JSON merge, JSON patch, strategic merge, server-side apply), delete and
//! deletecollection, and the `scale` subresource. Each goes through admission (`objects.rs`) and, for Services,
//! the allocator, before one store write; a failed write gives its allocation back.

use std::sync::Arc;

use knet_apimachinery::negotiate::{BodyFormat, Target};
use knet_apimachinery::patch::{self, PatchError};
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::status::{self, Status, StatusCause};
use serde_json::{Value, json};

use super::read::{Selectors, list_all};
use super::{ApiRequest, Form, Reply, negotiation_error, store_error, with_type};
use crate::objects::{self, FieldValidation};
use crate::state::{State, key, namespace_resource, pod_resource, service_resource};
use crate::util;

/// How many times a patch is retried when another write slipped in between its read and its write.
const PATCH_ATTEMPTS: usize = 5;

/// The options every write shares.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub validation: FieldValidation,
    /// The field manager, for `managedFields`.
    pub manager: String,
    /// `dryRun=All`: everything but the store write.
    pub dry_run: bool,
    /// The duplicate keys of the request body, reported as `validation` asks.
    pub duplicates: objects::Duplicates,
}

impl WriteOptions {
    fn of(request: &ApiRequest, default_manager: &str) -> Result<WriteOptions, Status> {
        let validation = FieldValidation::from_query(request.query.get("fieldValidation"))?;
        let manager = match request.query.get("fieldManager").filter(|m| !m.is_empty()) {
            Some(manager) => manager.to_owned(),
            None => request
                .user_agent
                .as_deref()
                .and_then(|agent| agent.split('/').next())
                .filter(|m| !m.is_empty())
                .unwrap_or(default_manager)
                .to_owned(),
        };
        let dry_run = match request.query.get("dryRun") {
            None | Some("") => false,
            Some("All") => true,
            Some(other) => {
                return Err(status::bad_request(format!(
                    "dryRun: Unsupported value: {other:?}: supported values: \"All\""
                )));
            }
        };
        Ok(WriteOptions { validation, manager, dry_run, duplicates: objects::Duplicates::default() })
    }
}

fn body_value(request: &ApiRequest) -> Result<(Value, objects::Duplicates), Status> {
    let format = BodyFormat::parse(request.content_type.as_deref()).for_create().map_err(negotiation_error)?;
    objects::decode_body_noting_duplicates(&format, &request.body)
}

fn reply(request: &ApiRequest, code: u16, object: Value, warnings: Vec<String>) -> Result<Reply, Status> {
    let resource = request.path.resource;
    let form = Form::of(request, Target::Object)?;
    let (content_type, value) = form.object(resource, with_type(resource, object), util::now_unix());
    let mut reply = Reply::json(code, content_type, &value);
    reply.warnings = warnings;
    Ok(reply)
}

/// POST to a collection.
pub fn create(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let options = WriteOptions::of(request, "unknown")?;
    let (value, duplicates) = body_value(request)?;
    let options = WriteOptions { duplicates, ..options };
    let (object, warnings) =
        create_object(state, request.path.resource, request.path.namespace.as_deref(), value, &options, true)?;
    reply(request, 201, object, warnings)
}

/// Creates an object: type and namespace checks, admission, system metadata, allocation, the store write. `track`
/// is false when `managedFields` were computed already (server-side apply).
pub fn create_object(
    state: &State,
    resource: &ResourceType,
    url_namespace: Option<&str>,
    mut value: Value,
    options: &WriteOptions,
    track: bool,
) -> Result<(Value, Vec<String>), Status> {
    objects::check_type(resource, &mut value)?;
    objects::name_and_namespace(resource, url_namespace, &mut value)?;
    let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_owned();
    let namespace = value.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_owned);
    if let Some(namespace) = namespace.as_deref() {
        check_namespace_open(state, resource, &name, namespace)?;
    }
    if resource.plural == "ingresses" {
        default_ingress_class(state, &mut value)?;
    }
    let admitted = objects::admit_with(resource, value, options.validation, &options.duplicates)?;
    let now = util::now_unix();
    let manager = track.then_some(options.manager.as_str());
    let mut object = objects::for_create(resource, admitted.object, manager, now)?;
    let is_service = resource == service_resource();
    let mut allocator = is_service.then(|| state.allocator());
    if let Some(allocator) = allocator.as_mut() {
        allocator
            .allocate(&mut object)
            .map_err(|errors| status::invalid(resource.kind, resource.group, &name, &errors))?;
    }
    if options.dry_run {
        if let Some(allocator) = allocator.as_mut() {
            allocator.release(&object);
        }
        return Ok((object, admitted.warnings));
    }
    match state.store.create(&key(resource, namespace.as_deref(), &name), object.clone()) {
        Ok(event) => Ok((event.object, admitted.warnings)),
        Err(error) => {
            if let Some(allocator) = allocator.as_mut() {
                allocator.release(&object);
            }
            Err(store_error(resource, &name, error))
        }
    }
}

/// Creates an object unless one of that name exists (system objects at start).
pub fn ensure_object(
    state: &State,
    resource: &ResourceType,
    namespace: Option<&str>,
    value: Value,
) -> Result<bool, Status> {
    let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_owned();
    if state.store.get(&key(resource, namespace, &name)).map_err(|e| store_error(resource, &name, e))?.is_some() {
        return Ok(false);
    }
    let options = WriteOptions {
        validation: FieldValidation::Strict,
        manager: "knet".to_owned(),
        dry_run: false,
        duplicates: objects::Duplicates::default(),
    };
    create_object(state, resource, namespace, value, &options, true).map(|_| true)
}

/// The DefaultIngressClass admission plugin: an Ingress created without a class (neither `spec.ingressClassName`
/// nor the legacy `kubernetes.io/ingress.class` annotation) gets the one IngressClass marked as the default.
fn default_ingress_class(state: &State, ingress: &mut Value) -> Result<(), Status> {
    let named = ingress.pointer("/spec/ingressClassName").and_then(Value::as_str).is_some_and(|c| !c.is_empty());
    let annotated = ingress.pointer("/metadata/annotations/kubernetes.io~1ingress.class").is_some();
    if named || annotated {
        return Ok(());
    }
    let classes = knet_apimachinery::resources::by_path("networking.k8s.io", "v1", "ingressclasses");
    let Some(classes) = classes else { return Ok(()) };
    let (items, _) = list_all(&state.store, classes, None, &Selectors::everything())?;
    let defaults: Vec<&str> = items
        .iter()
        .filter(|c| {
            c.pointer("/metadata/annotations/ingressclass.kubernetes.io~1is-default-class").and_then(Value::as_str)
                == Some("true")
        })
        .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
        .collect();
    if let [only] = defaults.as_slice()
        && let Some(object) = ingress.as_object_mut()
    {
        let spec = object.entry("spec").or_insert_with(|| json!({}));
        if let Some(spec) = spec.as_object_mut() {
            spec.insert("ingressClassName".to_owned(), json!(only));
        }
    }
    Ok(())
}

/// NamespaceLifecycle: objects are created only in namespaces that exist and are not being deleted.
fn check_namespace_open(state: &State, resource: &ResourceType, name: &str, namespace: &str) -> Result<(), Status> {
    let namespaces = namespace_resource();
    let found = state
        .store
        .get(&key(namespaces, None, namespace))
        .map_err(|e| store_error(namespaces, namespace, e))?
        .ok_or_else(|| status::not_found(namespaces, namespace))?;
    if found.pointer("/metadata/deletionTimestamp").is_some() {
        return Err(status::namespace_terminating(resource, name, namespace));
    }
    Ok(())
}

/// PUT of an object (or its `status`).
pub fn update(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let options = WriteOptions::of(request, "unknown")?;
    let (value, duplicates) = body_value(request)?;
    let options = WriteOptions { duplicates, ..options };
    let (object, warnings) = update_object(state, request, None, value, &options, true)?;
    reply(request, 200, object, warnings)
}

/// Replaces the object of `request`'s path with `new`: name and namespace checks, admission, the other half and
/// the system fields kept from the live object, reallocation, the store write with `precondition` (the body's
/// resourceVersion when `None` is given and the body has one). `live` is read if not given.
fn update_object(
    state: &State,
    request: &ApiRequest,
    live: Option<Value>,
    mut new: Value,
    options: &WriteOptions,
    track: bool,
) -> Result<(Value, Vec<String>), Status> {
    let path = &request.path;
    let resource = path.resource;
    let name = path.name.as_deref().unwrap_or_default();
    let object_key = key(resource, path.namespace.as_deref(), name);
    objects::check_type(resource, &mut new)?;
    let metadata = objects::metadata_mut(&mut new)?;
    let body_name = metadata.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
    if body_name.is_empty() {
        metadata.insert("name".to_owned(), json!(name));
    } else if body_name != name {
        return Err(status::name_mismatch(&body_name, name));
    }
    if resource.namespaced {
        let url_namespace = path.namespace.as_deref().unwrap_or_default();
        match metadata.get("namespace").and_then(Value::as_str).unwrap_or("") {
            "" => {
                metadata.insert("namespace".to_owned(), json!(url_namespace));
            }
            body if body != url_namespace => return Err(status::namespace_mismatch_on_update(body, url_namespace)),
            _ => {}
        }
    } else {
        metadata.remove("namespace");
    }
    let precondition = match metadata.get("resourceVersion").and_then(Value::as_str).filter(|rv| !rv.is_empty()) {
        Some(rv) => Some(rv.parse::<u64>().map_err(|_| status::conflict_modified(resource, name))?),
        None => None,
    };
    let live = match live {
        Some(live) => live,
        None => state
            .store
            .get(&object_key)
            .map_err(|e| store_error(resource, name, e))?
            .ok_or_else(|| status::not_found(resource, name))?,
    };
    if let Some(expected) = precondition
        && live.pointer("/metadata/resourceVersion").and_then(Value::as_str) != Some(expected.to_string().as_str())
    {
        return Err(status::conflict_modified(resource, name));
    }
    let admitted = objects::admit_with(resource, new, options.validation, &options.duplicates)?;
    let subresource = path.subresource.as_deref().filter(|s| *s == "status");
    let manager = track.then_some(options.manager.as_str());
    let mut object = objects::for_update(resource, &live, admitted.object, subresource, manager, util::now_unix())?;
    if let Some(map) = object.pointer_mut("/metadata").and_then(Value::as_object_mut) {
        map.remove("resourceVersion");
    }
    let is_service = resource == service_resource();
    let mut allocator = is_service.then(|| state.allocator());
    if let Some(allocator) = allocator.as_mut() {
        allocator
            .reallocate(&live, &mut object)
            .map_err(|errors| status::invalid(resource.kind, resource.group, name, &errors))?;
    }
    let undo = |allocator: &mut Option<std::sync::MutexGuard<'_, crate::alloc::Allocator>>, object: &Value| {
        if let Some(allocator) = allocator.as_mut() {
            allocator.release(object);
            allocator.mark(&live);
        }
    };
    if options.dry_run {
        undo(&mut allocator, &object);
        // Nothing was written, so the object keeps the version it has: kube-apiserver's dry run answers with the
        // live resourceVersion, and `kubectl diff` shows no difference there.
        if let (Some(rv), Some(map)) = (
            live.pointer("/metadata/resourceVersion").cloned(),
            object.pointer_mut("/metadata").and_then(Value::as_object_mut),
        ) {
            map.insert("resourceVersion".to_owned(), rv);
        }
        return Ok((object, admitted.warnings));
    }
    let live_rv = objects::resource_version(&live);
    match state.store.update(&object_key, object.clone(), precondition.or(live_rv)) {
        Ok(event) => Ok((event.object, admitted.warnings)),
        Err(error) => {
            undo(&mut allocator, &object);
            Err(store_error(resource, name, error))
        }
    }
}

/// PATCH of an object (or its `status`), retried when a concurrent write wins the race.
pub fn patch(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let name = path.name.as_deref().unwrap_or_default();
    let format = BodyFormat::parse(request.content_type.as_deref()).for_patch().map_err(negotiation_error)?;
    // Duplicate keys of a merge, strategic merge or JSON patch; an apply patch's are not looked for yet.
    let mut patch_duplicates = objects::Duplicates::default();
    let patch_value: Value = match format {
        BodyFormat::ApplyPatchYaml => {
            let text = std::str::from_utf8(&request.body).map_err(|_| status::bad_request("the body is not UTF-8"))?;
            serde_yaml::from_str(text).map_err(|e| status::bad_request(format!("error decoding YAML: {e}")))?
        }
        _ => {
            let parsed = knet_object::strict::json(&request.body)
                .map_err(|e| status::bad_request(format!("error decoding patch: {e}")))?;
            patch_duplicates = match format {
                BodyFormat::JsonPatch => objects::Duplicates::of_json_patch(parsed.duplicates),
                _ => objects::Duplicates::of_patch(parsed.duplicates),
            };
            parsed.value
        }
    };
    let options = WriteOptions { duplicates: patch_duplicates, ..WriteOptions::of(request, "unknown")? };
    let api_version = resource.api_version();
    let object_key = key(resource, path.namespace.as_deref(), name);
    let mut last_conflict = None;
    for _ in 0..PATCH_ATTEMPTS {
        let live = state.store.get(&object_key).map_err(|e| store_error(resource, name, e))?;
        let result = match (&format, live) {
            (BodyFormat::ApplyPatchYaml, live) => {
                if request.query.get("fieldManager").is_none_or(str::is_empty) {
                    return Err(status::bad_request(
                        "PATCH, application/apply-patch+yaml: fieldManager is required for apply requests",
                    ));
                }
                let force = request.query.flag("force");
                let applied = patch::server_side_apply(
                    live.as_ref(),
                    &patch_value,
                    &options.manager,
                    force,
                    &api_version,
                    resource.kind,
                )
                .map_err(|e| objects::apply_error_status(resource, &e))?;
                let mut object = applied.object;
                patch::stamp_time(&mut object, &options.manager, "Apply", &util::rfc3339(util::now_unix()));
                match live {
                    None if path.subresource.is_none() => {
                        let (object, warnings) =
                            create_object(state, resource, path.namespace.as_deref(), object, &options, false)?;
                        return reply(request, 201, object, warnings);
                    }
                    None => return Err(status::not_found(resource, name)),
                    Some(live) => update_object(state, request, Some(live), strip_rv(object), &options, false),
                }
            }
            (_, None) => return Err(status::not_found(resource, name)),
            (format, Some(live)) => {
                let patched = match format {
                    BodyFormat::MergePatch => Ok(patch::merge_patch(&live, &patch_value)),
                    BodyFormat::JsonPatch => patch::json_patch(&live, &patch_value),
                    _ => patch::strategic_merge_patch(&live, &patch_value, &api_version, resource.kind),
                }
                .map_err(|e| patch_error_status(resource, name, &e))?;
                // A patch that sets resourceVersion asks for that version (kubectl apply never does).
                let patched = if patch_value.pointer("/metadata/resourceVersion").is_some() {
                    patched
                } else {
                    strip_rv(patched)
                };
                update_object(state, request, Some(live), patched, &options, true)
            }
        };
        match result {
            Err(status) if status.reason == Some(status::Reason::Conflict) && !explicit_rv(&patch_value) => {
                last_conflict = Some(status);
            }
            Ok((object, warnings)) => return reply(request, 200, object, warnings),
            Err(status) => return Err(status),
        }
    }
    Err(last_conflict.unwrap_or_else(|| status::conflict_modified(resource, name)))
}

fn explicit_rv(patch: &Value) -> bool {
    patch.pointer("/metadata/resourceVersion").is_some()
}

fn strip_rv(mut object: Value) -> Value {
    if let Some(metadata) = object.pointer_mut("/metadata").and_then(Value::as_object_mut) {
        metadata.remove("resourceVersion");
    }
    object
}

/// The `Status` of a patch error, as kube-apiserver frames it (422s carry the error as their one cause).
fn patch_error_status(resource: &ResourceType, name: &str, error: &PatchError) -> Status {
    match error.code() {
        400 => status::bad_request(error.to_string()),
        413 => {
            let mut status = status::request_entity_too_large(status::MAX_REQUEST_BODY_BYTES);
            status.message = error.to_string();
            status
        }
        415 => status::unsupported_media_type(&[
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ]),
        _ => {
            let mut status = status::invalid(resource.kind, resource.group, name, &[]);
            status.message = "the server rejected our request due to an error in our request".to_owned();
            if let Some(details) = status.details.as_mut() {
                details.causes = vec![StatusCause {
                    reason: "UnexpectedServerResponse".to_owned(),
                    message: error.to_string(),
                    field: String::new(),
                }];
            }
            status
        }
    }
}

/// The `DeleteOptions` of a delete body (empty or absent is allowed).
#[derive(Debug, Default)]
struct DeleteOptions {
    uid: Option<String>,
    resource_version: Option<u64>,
    dry_run: bool,
    /// `gracePeriodSeconds` of the body or the query, when given.
    grace_period: Option<i64>,
    /// `propagationPolicy: Orphan` (or the older `orphanDependents: true`): the dependents stay, without the owner.
    orphan: bool,
}

fn delete_options(request: &ApiRequest) -> Result<DeleteOptions, Status> {
    let mut options = DeleteOptions { dry_run: request.query.get("dryRun") == Some("All"), ..DeleteOptions::default() };
    let body = if request.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice::<Value>(&request.body)
            .map_err(|e| status::bad_request(format!("the delete options are not valid JSON: {e}")))?
    };
    let policy = body.get("propagationPolicy").and_then(Value::as_str).or(request.query.get("propagationPolicy"));
    if let Some(policy) = policy.filter(|p| !["Orphan", "Background", "Foreground", ""].contains(p)) {
        return Err(status::bad_request(format!(
            "propagationPolicy: Unsupported value: {policy:?}: supported values: \"Foreground\", \"Background\", \"Orphan\""
        )));
    }
    options.orphan = policy == Some("Orphan")
        || (policy.is_none()
            && (body.get("orphanDependents").and_then(Value::as_bool) == Some(true)
                || request.query.get("orphanDependents") == Some("true")));
    options.uid = body.pointer("/preconditions/uid").and_then(Value::as_str).map(str::to_owned);
    if let Some(rv) = body.pointer("/preconditions/resourceVersion").and_then(Value::as_str) {
        options.resource_version =
            Some(rv.parse().map_err(|_| status::bad_request("invalid precondition resourceVersion"))?);
    }
    if body.get("dryRun").and_then(Value::as_array).is_some_and(|d| d.iter().any(|v| v == "All")) {
        options.dry_run = true;
    }
    options.grace_period = match body.get("gracePeriodSeconds") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(other) if !other.is_null() => {
            return Err(status::bad_request(format!("gracePeriodSeconds: Invalid value: {other}: must be an integer")));
        }
        _ => match request.query.get("gracePeriodSeconds") {
            Some(text) => Some(text.parse().map_err(|_| {
                status::bad_request(format!("gracePeriodSeconds: Invalid value: {text:?}: must be an integer"))
            })?),
            None => None,
        },
    };
    Ok(options)
}

/// DELETE of an object. Objects go at once, except a namespace, which takes its contents with it first, and a pod
/// running on a node, which is deleted gracefully: it gets a `deletionTimestamp` its grace period ahead, and the node
/// deletes it for good (with a grace period of 0) once its containers have stopped.
pub fn delete(state: &Arc<State>, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let name = path.name.as_deref().unwrap_or_default();
    let options = delete_options(request)?;
    let object_key = key(resource, path.namespace.as_deref(), name);
    let live = state
        .store
        .get(&object_key)
        .map_err(|e| store_error(resource, name, e))?
        .ok_or_else(|| status::not_found(resource, name))?;
    let uid = live.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(wanted) = options.uid.as_deref().filter(|w| *w != uid) {
        return Err(status::conflict(
            resource,
            name,
            &format!("Precondition failed: UID in precondition: {wanted}, UID in object meta: {uid}"),
        ));
    }
    if options.dry_run {
        return Ok(Reply::status(&status::success(resource, name, &uid)));
    }
    if resource == namespace_resource() {
        let stored = crate::namespaces::begin_delete(state, live)?;
        return reply(request, 200, stored, Vec::new());
    }
    if resource == pod_resource()
        && let Some(grace) = pod_grace_period(&live, options.grace_period)
    {
        let stored = if live.pointer("/metadata/deletionTimestamp").is_some() {
            live
        } else {
            let mut terminating = live;
            objects::mark_deleting(&mut terminating, util::now_unix(), grace);
            state
                .store
                .update(&object_key, terminating, options.resource_version)
                .map_err(|e| store_error(resource, name, e))?
                .object
        };
        return reply(request, 200, stored, Vec::new());
    }
    if options.orphan {
        orphan_dependents(state, path.namespace.as_deref(), &uid)?;
    }
    let event =
        state.store.delete(&object_key, options.resource_version).map_err(|e| store_error(resource, name, e))?;
    if resource == service_resource() {
        state.allocator().release(&event.object);
    }
    Ok(Reply::status(&status::success(resource, name, &uid)))
}

/// PUT of a namespace's `finalize` subresource (the namespace controller's last step).
pub fn finalize(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let body: Value = serde_json::from_slice(&request.body)
        .map_err(|e| status::bad_request(format!("the request body is not valid JSON: {e}")))?;
    let stored = crate::namespaces::finalize(state, request.path.name.as_deref().unwrap_or_default(), &body)?;
    reply(request, 200, stored, Vec::new())
}

/// Removes the owner reference to `owner_uid` from every object that has one: what the garbage collector's orphan
/// finalizer does before an owner deleted with `propagationPolicy: Orphan` goes, done here at once. Dependents live
/// in the owner's namespace (any namespace, for a cluster-scoped owner).
fn orphan_dependents(state: &State, namespace: Option<&str>, owner_uid: &str) -> Result<(), Status> {
    let everything = crate::resource::read::Selectors::everything();
    for resource in knet_apimachinery::resources::RESOURCES.iter() {
        let scope = if resource.namespaced { namespace } else { None };
        let (items, _) = crate::resource::list_all(&state.store, resource, scope, &everything)?;
        for mut item in items {
            let Some(references) = item.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) else {
                continue;
            };
            let before = references.len();
            references.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
            if references.len() == before {
                continue;
            }
            if references.is_empty()
                && let Some(metadata) = item.get_mut("metadata").and_then(Value::as_object_mut)
            {
                metadata.remove("ownerReferences");
            }
            let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
            let item_namespace = item.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_owned);
            let rv = objects::resource_version(&item);
            state
                .store
                .update(&key(resource, item_namespace.as_deref(), &name), item, rv)
                .map_err(|e| store_error(resource, &name, e))?;
        }
    }
    Ok(())
}

/// The grace period a pod's deletion waits for, or `None` when it goes at once: a grace period of 0 was asked
/// for, or nothing runs it (not bound to a node, or already finished).
fn pod_grace_period(pod: &Value, asked: Option<i64>) -> Option<i64> {
    let bound = pod.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    let finished = matches!(pod.pointer("/status/phase").and_then(Value::as_str), Some("Succeeded" | "Failed"));
    let default = pod.pointer("/spec/terminationGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(30);
    let grace = asked.unwrap_or(default).max(0);
    (bound && !finished && grace > 0).then_some(grace)
}

/// DELETE of a collection: every object passing the selectors; the answer lists them.
pub fn delete_collection(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let options = delete_options(request)?;
    let selectors = Selectors::of(resource, request)?;
    let namespace = path.namespace.as_deref().filter(|_| resource.namespaced);
    let (items, resource_version) = list_all(&state.store, resource, namespace, &selectors)?;
    let mut deleted = Vec::new();
    for item in items {
        let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let item_namespace = item.pointer("/metadata/namespace").and_then(Value::as_str);
        if options.dry_run {
            deleted.push(item.clone());
            continue;
        }
        match state.store.delete(&key(resource, item_namespace, &name), None) {
            Ok(event) => {
                if resource == service_resource() {
                    state.allocator().release(&event.object);
                }
                deleted.push(with_type(resource, event.object));
            }
            Err(knet_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(store_error(resource, &name, error)),
        }
    }
    let form = Form::of(request, Target::List)?;
    let metadata = json!({ "resourceVersion": resource_version.to_string() });
    let (content_type, value) = form.list(resource, deleted, metadata, util::now_unix());
    Ok(Reply::json(200, content_type, &value))
}

/// The `autoscaling/v1` `Scale` of a Deployment or ReplicaSet.
fn scale_of(object: &Value) -> Value {
    let selector = object
        .pointer("/spec/selector")
        .and_then(|s| knet_apimachinery::selector_text::LabelSelector::from_json(s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let metadata = object.get("metadata").cloned().unwrap_or_else(|| json!({}));
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": metadata.get("name"),
            "namespace": metadata.get("namespace"),
            "uid": metadata.get("uid"),
            "resourceVersion": metadata.get("resourceVersion"),
            "creationTimestamp": metadata.get("creationTimestamp"),
        },
        "spec": { "replicas": object.pointer("/spec/replicas").cloned().unwrap_or(json!(1)) },
        "status": {
            "replicas": object.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

/// GET of `/scale`.
pub fn get_scale(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let name = path.name.as_deref().unwrap_or_default();
    let object = state
        .store
        .get(&key(path.resource, path.namespace.as_deref(), name))
        .map_err(|e| store_error(path.resource, name, e))?
        .ok_or_else(|| status::not_found(path.resource, name))?;
    Ok(Reply::json(200, "application/json", &scale_of(&object)))
}

/// PUT or PATCH of `/scale`: the new `spec.replicas` goes into the object.
pub fn update_scale(state: &State, request: &ApiRequest, verb: &str) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let name = path.name.as_deref().unwrap_or_default();
    let object_key = key(resource, path.namespace.as_deref(), name);
    let options = WriteOptions::of(request, "unknown")?;
    let live = state
        .store
        .get(&object_key)
        .map_err(|e| store_error(resource, name, e))?
        .ok_or_else(|| status::not_found(resource, name))?;
    let scale = scale_of(&live);
    let new_scale = if verb == "update" {
        body_value(request)?.0
    } else {
        let format = BodyFormat::parse(request.content_type.as_deref()).for_patch().map_err(negotiation_error)?;
        let patch_value: Value = serde_json::from_slice(&request.body)
            .map_err(|e| status::bad_request(format!("error decoding patch: {e}")))?;
        match format {
            BodyFormat::JsonPatch => {
                patch::json_patch(&scale, &patch_value).map_err(|e| patch_error_status(resource, name, &e))?
            }
            _ => patch::merge_patch(&scale, &patch_value),
        }
    };
    let replicas = new_scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
    if replicas < 0 {
        let error = knet_object::FieldError {
            kind: knet_object::FieldErrorKind::Invalid,
            field: "spec.replicas".to_owned(),
            value: Some(replicas.to_string()),
            detail: "must be greater than or equal to 0".to_owned(),
        };
        return Err(status::invalid("Scale", "autoscaling", name, &[error]));
    }
    let mut object = live.clone();
    object["spec"]["replicas"] = json!(replicas);
    let main = ApiRequest {
        method: request.method.clone(),
        path: crate::routes::ResourcePath { subresource: None, ..path.clone() },
        query: request.query.clone(),
        accept: None,
        content_type: None,
        user_agent: request.user_agent.clone(),
        body: Default::default(),
    };
    let (object, _) = update_object(state, &main, Some(live), strip_rv(object), &options, true)?;
    Ok(Reply::json(200, "application/json", &scale_of(&object)))
}
