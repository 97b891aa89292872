//! Server-side apply (`kubectl apply --server-side`), enough of structured-merge-diff for the served kinds: the applied
//! configuration merges into the live object, and `metadata.managedFields` records which manager owns which field.
//!
//! What is modelled:
//! - Merge: objects key by key, keyed lists element by element (keys from [`merge_keys`], defaulted key fields such
//!   as a port's `protocol: TCP` filled in), sets as unions, every other list and label selectors replaced whole.
//!   New list elements join after the live ones they follow in the configuration; live-only elements keep their place.
//! - Ownership: the manager's `Apply` entry becomes exactly the fields of its configuration. Fields it applied before
//!   and now omits are removed from the object, unless another manager also owns them (then only its ownership goes).
//! - Conflicts: a field the configuration sets to a new value while another manager owns it is a conflict, reported
//!   with kube-apiserver's message (409) unless `force`, which takes the field over from the other manager.
//! - An object without `managedFields` is first given to `before-first-apply` (operation `Update`), as kube-apiserver
//!   does, so an apply that changes fields some earlier write set conflicts.
//! - `apiVersion`, `kind`, `metadata.name`, `.namespace`, `.uid`, `.resourceVersion`, `.generation`,
//!   `.creationTimestamp`, `.selfLink` and `.managedFields` are never owned; `status` is neither applied nor owned on
//!   kinds with a status subresource (kube-apiserver resets it on the main resource).
//! - [`track_update`] does the bookkeeping of ordinary writes (create, update, the other patches): the writer takes
//!   the fields it changed, as an `Update` entry; a write may also replace or clear `managedFields` itself.
//!
//! What is not: conversion between API versions (each kind has one); schemas of custom resources (an unknown kind
//! is applied with lists atomic and objects merged key by key, what structured-merge-diff deduces without a schema);
//! `time` (the crate reads no clock: the server stamps it with [`stamp_time`]); apply to subresources;
//! structured-merge-diff's handling of duplicate keys in live lists (here such elements are kept and never matched);
//! explicit `null` in a configuration is treated as removing the field while owning it.
//!
//! [`merge_keys`]: super::merge_keys

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::ApplyError;
use super::fieldset::{FieldSet, Path, Step, canonical, display};
use super::json::{json_equal, kind_of};
use super::merge_keys::{self, FieldMeta, ListType};
use crate::resources;

/// The outcome of a server-side apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The object to store, with its `metadata.managedFields`.
    pub object: Value,
    /// Whether there was no live object: the server answers 201 instead of 200.
    pub created: bool,
}

/// A field the configuration would change although another manager owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager (`kubectl-client-side-apply`).
    pub manager: String,
    /// Its operation: `Apply` or `Update`.
    pub operation: String,
    /// The `apiVersion` it wrote with.
    pub api_version: String,
    /// When it last wrote, if its entry says.
    pub time: Option<String>,
    /// The subresource it wrote through (`status`), or empty.
    pub subresource: String,
    /// The field, in kube-apiserver's notation: `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`.
    pub path: String,
}

impl Conflict {
    /// The manager as kube-apiserver names it: `"kubectl"` for an apply, `"kubectl-edit" using apps/v1` for an update.
    pub fn manager_display(&self) -> String {
        let mut name = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            name = format!("{name} with subresource {:?}", self.subresource);
        }
        match (self.operation.as_str(), &self.time) {
            ("Update", Some(time)) => format!("{name} using {} at {time}", self.api_version),
            ("Update", None) => format!("{name} using {}", self.api_version),
            _ => name,
        }
    }

    /// The `message` of its `FieldManagerConflict` cause in the 409 `Status`.
    pub fn cause_message(&self) -> String {
        format!("conflict with {}", self.manager_display())
    }
}

/// Applies the configuration `applied` of manager `manager` to `live` (`None` to create it).
///
/// `api_version` and `kind` are those of the URL; the configuration must name the same. With `force`, fields owned by
/// other managers are taken over instead of refused. See the module documentation for what is and is not modelled.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    kind: &str,
) -> Result<Applied, ApplyError> {
    let Value::Object(config) = applied else {
        return Err(ApplyError::bad_request(format!(
            "an applied configuration must be an object, not {}",
            kind_of(applied)
        )));
    };
    match (config.get("apiVersion").and_then(Value::as_str), config.get("kind").and_then(Value::as_str)) {
        (Some(v), Some(k)) if v == api_version && k == kind => {}
        (Some(v), Some(k)) => {
            return Err(ApplyError::bad_request(format!(
                "the applied configuration is a {k} in {v}, but the request is for a {kind} in {api_version}"
            )));
        }
        _ => return Err(ApplyError::bad_request("an applied configuration must set apiVersion and kind")),
    }
    if config.get("metadata").and_then(|m| m.get("managedFields")).is_some_and(|v| !v.is_null()) {
        return Err(ApplyError::bad_request("metadata.managedFields must be nil"));
    }
    let reset_status = has_status(api_version, kind);
    let mut config = config.clone();
    if reset_status {
        config.remove("status");
    }
    let config = Value::Object(config);
    let root = FieldMeta { ty: merge_keys::root_type(api_version, kind), ..FieldMeta::PLAIN };
    let mut applied_set = fields_of(&config, root, true)?;
    applied_set.retain(|path| !untracked(path, reset_status));
    let entry = |set| Entry {
        manager: manager.to_owned(),
        operation: "Apply".to_owned(),
        api_version: api_version.to_owned(),
        time: None,
        subresource: String::new(),
        set,
    };

    let Some(live) = live else {
        let mut object = without_nulls(&config);
        write_managed_fields(&mut object, vec![entry(applied_set)]);
        return Ok(Applied { object, created: true });
    };
    let mut entries = read_managed_fields(live);
    let mut live = live.clone();
    if let Some(metadata) = live.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    if entries.is_empty() {
        let mut set = fields_of(&live, root, false)?;
        set.retain(|path| !untracked(path, reset_status));
        let live_version = live.get("apiVersion").and_then(Value::as_str).unwrap_or(api_version);
        entries.push(Entry {
            manager: "before-first-apply".to_owned(),
            operation: "Update".to_owned(),
            api_version: live_version.to_owned(),
            ..entry(set)
        });
    }
    let previous =
        entries.iter().position(|e| e.manager == manager && e.operation == "Apply" && e.subresource.is_empty());
    let last_set = previous.map(|i| entries.remove(i).set).unwrap_or_default();
    let mut merged = merge_value(&live, &config, root);

    let mut conflicts: Vec<(usize, &Path)> = Vec::new();
    for (index, other) in entries.iter().enumerate() {
        for path in applied_set.iter().filter(|path| other.set.contains(path)) {
            if changes(&live, &merged, root, path) {
                conflicts.push((index, path));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let mut conflicts: Vec<Conflict> = conflicts.into_iter().map(|(i, path)| entries[i].conflict(path)).collect();
        conflicts.sort_by(|a, b| (a.manager_display(), &a.path).cmp(&(b.manager_display(), &b.path)));
        return Err(ApplyError::Conflict(conflicts));
    }
    let taken: Vec<(usize, Path)> = conflicts.into_iter().map(|(i, path)| (i, path.clone())).collect();
    for (index, path) in taken {
        entries[index].set.remove(&path);
    }

    // Fields the manager applied before and omits now go, unless someone (itself included) still owns them or
    // something below them.
    let mut owned = applied_set.clone();
    for other in &entries {
        owned.extend(&other.set);
    }
    for path in last_set.iter().filter(|path| !owned.covers(path)) {
        remove(&mut merged, root, path, &mut Vec::new(), &owned);
    }
    entries.push(entry(applied_set));
    write_managed_fields(&mut merged, entries);
    Ok(Applied { object: merged, created: false })
}

/// Records in `updated`'s `metadata.managedFields` that `manager` wrote it over `live` (`None` for a create) with an
/// ordinary write: the manager's `Update` entry takes every field whose value changed, other managers lose those
/// fields, and fields that no longer exist leave every entry. `subresource` is `Some("status")` for writes to
/// `/status`, which own only status fields.
///
/// As in kube-apiserver, a write to the main resource may rewrite `managedFields` itself: valid entries in `updated`
/// that differ from the live ones are the starting point (kubectl does this when it hands the fields of
/// `kubectl-client-side-apply` over to its apply manager), `[{}]` clears them, and anything else (absent, empty,
/// not decodable) keeps the live ones. Returns `updated` with the new `managedFields`.
pub fn track_update(
    live: Option<&Value>,
    updated: &Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    kind: &str,
) -> Result<Value, ApplyError> {
    let mut old = live.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let subresource = subresource.unwrap_or_default();
    let mut entries = live.map(read_managed_fields).unwrap_or_default();
    if let (Some(Value::Array(requested)), true) = (updated.pointer("/metadata/managedFields"), subresource.is_empty())
    {
        let decoded = read_managed_fields(updated);
        if requested.len() == 1 && requested[0] == Value::Object(Map::new()) {
            entries = Vec::new();
        } else if !decoded.is_empty() && decoded.len() == requested.len() {
            entries = decoded;
        }
    }
    if let Some(metadata) = old.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    let mut new = updated.clone();
    if let Some(metadata) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    let root = FieldMeta { ty: merge_keys::root_type(api_version, kind), ..FieldMeta::PLAIN };
    let reset_status = subresource.is_empty() && has_status(api_version, kind);
    let mut changed = fields_of(&new, root, false)?;
    changed.retain(|path| {
        let in_scope = subresource != "status" || path.first() == Some(&Step::Field("status".to_owned()));
        in_scope && !untracked(path, reset_status) && changes(&old, &new, root, path)
    });
    let mine = entries
        .iter()
        .position(|e| e.manager == manager && e.operation == "Update" && e.subresource == subresource)
        .map(|i| entries.remove(i).set)
        .unwrap_or_default();
    for entry in &mut entries {
        entry.set.retain(|path| !changed.contains(path) && get(&new, root, path).is_some());
    }
    let mut set = mine;
    set.retain(|path| get(&new, root, path).is_some());
    set.extend(&changed);
    entries.push(Entry {
        manager: manager.to_owned(),
        operation: "Update".to_owned(),
        api_version: api_version.to_owned(),
        time: None,
        subresource: subresource.to_owned(),
        set,
    });
    write_managed_fields(&mut new, entries);
    Ok(new)
}

/// Sets `time` on the `managedFields` entries of `manager` with `operation` (`Apply` or `Update`), which
/// [`server_side_apply`] and [`track_update`] write without one, and puts the entries back in kube-apiserver's order.
pub fn stamp_time(object: &mut Value, manager: &str, operation: &str, time: &str) {
    let mut entries = read_managed_fields(object);
    for entry in entries.iter_mut().filter(|e| e.manager == manager && e.operation == operation) {
        entry.time = Some(time.to_owned());
    }
    write_managed_fields(object, entries);
}

fn has_status(api_version: &str, kind: &str) -> bool {
    resources::by_kind(api_version, kind).is_some_and(|r| r.subresources.contains(&"status"))
}

/// Fields kube-apiserver never records as owned (its `stripSet`), and `status` where the main resource resets it.
fn untracked(path: &[Step], reset_status: bool) -> bool {
    let field = |i: usize| match path.get(i) {
        Some(Step::Field(name)) => Some(name.as_str()),
        _ => None,
    };
    match (field(0), field(1)) {
        (Some("apiVersion" | "kind"), _) => true,
        (Some("status"), _) => reset_status,
        (Some("metadata"), None) => path.len() == 1,
        (Some("metadata"), Some(name)) => matches!(
            name,
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "selfLink"
                | "managedFields"
        ),
        _ => false,
    }
}

/// One `managedFields` entry.
#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: Option<String>,
    subresource: String,
    set: FieldSet,
}

impl Entry {
    fn conflict(&self, path: &[Step]) -> Conflict {
        Conflict {
            manager: self.manager.clone(),
            operation: self.operation.clone(),
            api_version: self.api_version.clone(),
            time: self.time.clone(),
            subresource: self.subresource.clone(),
            path: display(path),
        }
    }
}

/// The entries of an object's `managedFields`; entries that cannot be read are dropped, as kube-apiserver resets
/// managed fields it cannot decode.
fn read_managed_fields(object: &Value) -> Vec<Entry> {
    let Some(Value::Array(entries)) = object.pointer("/metadata/managedFields") else {
        return Vec::new();
    };
    let text =
        |entry: &Map<String, Value>, name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    entries
        .iter()
        .filter_map(Value::as_object)
        .filter(|entry| entry.get("fieldsType").and_then(Value::as_str) == Some("FieldsV1"))
        .filter_map(|entry| {
            Some(Entry {
                manager: text(entry, "manager"),
                operation: text(entry, "operation"),
                api_version: text(entry, "apiVersion"),
                time: entry.get("time").and_then(Value::as_str).map(str::to_owned),
                subresource: text(entry, "subresource"),
                set: FieldSet::from_fields_v1(entry.get("fieldsV1")?)?,
            })
        })
        .collect()
}

/// Writes the non-empty entries in kube-apiserver's order: `Apply` before `Update`, then by time, manager and
/// subresource. No entries left removes `managedFields`.
fn write_managed_fields(object: &mut Value, mut entries: Vec<Entry>) {
    entries.retain(|entry| !entry.set.is_empty());
    entries.sort_by(|a, b| {
        (&a.operation, &a.time, &a.manager, &a.subresource).cmp(&(&b.operation, &b.time, &b.manager, &b.subresource))
    });
    let encoded: Vec<Value> = entries
        .into_iter()
        .map(|entry| {
            let mut out = Map::new();
            out.insert("manager".to_owned(), Value::from(entry.manager));
            out.insert("operation".to_owned(), Value::from(entry.operation));
            out.insert("apiVersion".to_owned(), Value::from(entry.api_version));
            if let Some(time) = entry.time {
                out.insert("time".to_owned(), Value::from(time));
            }
            out.insert("fieldsType".to_owned(), Value::from("FieldsV1"));
            out.insert("fieldsV1".to_owned(), entry.set.to_fields_v1());
            if !entry.subresource.is_empty() {
                out.insert("subresource".to_owned(), Value::from(entry.subresource));
            }
            Value::Object(out)
        })
        .collect();
    let Value::Object(members) = object else { return };
    let metadata = members.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(metadata) = metadata {
        if encoded.is_empty() {
            metadata.remove("managedFields");
        } else {
            metadata.insert("managedFields".to_owned(), Value::Array(encoded));
        }
    }
}

/// The meta of the elements of a list field: their type, and nothing of the list's own strategy.
fn element(meta: FieldMeta) -> FieldMeta {
    FieldMeta { ty: meta.ty, ..FieldMeta::PLAIN }
}

/// The `k:` step of an element of a keyed list: its key fields (defaults filled in) as canonical JSON.
fn item_key(item: &Value, keys: &[&str], ty: Option<&str>) -> Result<String, String> {
    let Value::Object(fields) = item else {
        return Err(format!("associative list with keys has an element that is {}, not an object", kind_of(item)));
    };
    let mut key = Map::new();
    for name in keys {
        let value = match (fields.get(*name).filter(|v| !v.is_null()), merge_keys::key_default(ty, name)) {
            (Some(value), _) => without_nulls(value),
            (None, Some(default)) => Value::from(default),
            (None, None) => {
                return Err(format!(
                    "associative list with keys has an element that omits key field {name:?} (and doesn't have default value)"
                ));
            }
        };
        key.insert((*name).to_owned(), value);
    }
    Ok(canonical(&Value::Object(key)))
}

/// The `v:` step of a value of a set, as it will be stored (without nulls).
fn set_key(item: &Value) -> String {
    canonical(&without_nulls(item))
}

/// The set of fields a value sets: scalars, empty objects, atomic lists and objects, and every element of keyed
/// lists and sets. `strict` refuses elements without a key and duplicate keys (a configuration); otherwise they are
/// skipped (a live object).
fn fields_of(value: &Value, root: FieldMeta, strict: bool) -> Result<FieldSet, ApplyError> {
    fn walk(
        value: &Value,
        meta: FieldMeta,
        path: &mut Path,
        out: &mut FieldSet,
        strict: bool,
    ) -> Result<(), ApplyError> {
        match value {
            Value::Object(members) if !meta.atomic_object && !members.is_empty() => {
                for (name, below) in members {
                    path.push(Step::Field(name.clone()));
                    walk(below, merge_keys::field(meta.ty, name), path, out, strict)?;
                    path.pop();
                }
            }
            Value::Array(items) if meta.list_type != ListType::Atomic => {
                let mut seen = HashSet::new();
                for (index, item) in items.iter().enumerate() {
                    let step = match meta.list_type {
                        ListType::Map(keys) => match item_key(item, keys, meta.ty) {
                            Ok(key) => Step::Key(key),
                            Err(message) if strict => {
                                return Err(ApplyError::Invalid {
                                    path: display(path),
                                    message: format!("element {index}: {message}"),
                                });
                            }
                            Err(_) => continue,
                        },
                        _ => Step::Value(set_key(item)),
                    };
                    if !seen.insert(step.clone()) {
                        if strict {
                            let key = display(std::slice::from_ref(&step));
                            return Err(ApplyError::Invalid {
                                path: display(path),
                                message: format!("duplicate entries for key {key}"),
                            });
                        }
                        continue;
                    }
                    path.push(step);
                    out.insert(path.clone());
                    if matches!(meta.list_type, ListType::Map(_)) {
                        walk(item, element(meta), path, out, strict)?;
                    }
                    path.pop();
                }
            }
            _ if path.is_empty() => {}
            _ => out.insert(path.clone()),
        }
        Ok(())
    }
    let mut out = FieldSet::default();
    walk(value, root, &mut Vec::new(), &mut out, strict)?;
    Ok(out)
}

/// The value at a path of an object whose root has `root`'s type.
fn get<'v>(value: &'v Value, root: FieldMeta, path: &[Step]) -> Option<&'v Value> {
    let mut current = value;
    let mut meta = root;
    for step in path {
        let (next, next_meta) = child(current, meta, step)?;
        current = next;
        meta = next_meta;
    }
    Some(current)
}

fn child<'v>(value: &'v Value, meta: FieldMeta, step: &Step) -> Option<(&'v Value, FieldMeta)> {
    let index = match (value, step) {
        (Value::Object(members), Step::Field(name)) => {
            return Some((members.get(name)?, merge_keys::field(meta.ty, name)));
        }
        (Value::Array(items), step) => position(items, meta, step)?,
        _ => return None,
    };
    let Value::Array(items) = value else { return None };
    Some((&items[index], element(meta)))
}

fn position(items: &[Value], meta: FieldMeta, step: &Step) -> Option<usize> {
    match (step, meta.list_type) {
        (Step::Key(key), ListType::Map(keys)) => {
            items.iter().position(|item| item_key(item, keys, meta.ty).is_ok_and(|k| &k == key))
        }
        (Step::Value(value), _) => items.iter().position(|item| &set_key(item) == value),
        (Step::Index(index), _) => (*index < items.len()).then_some(*index),
        _ => None,
    }
}

/// Whether applying changes the field at `path`: an element that was not there, or a value that differs.
fn changes(live: &Value, merged: &Value, root: FieldMeta, path: &[Step]) -> bool {
    match (get(live, root, path), get(merged, root, path)) {
        (None, None) => false,
        (Some(_), _) if matches!(path.last(), Some(Step::Key(_) | Step::Value(_))) => false,
        (Some(before), Some(after)) => !json_equal(before, after),
        _ => true,
    }
}

/// Removes the field or element at `path`, and the objects and lists that removing it left empty, unless `owned`
/// covers them. Returns whether something was removed.
fn remove(value: &mut Value, meta: FieldMeta, path: &[Step], prefix: &mut Path, owned: &FieldSet) -> bool {
    let Some((step, rest)) = path.split_first() else { return false };
    match value {
        Value::Object(members) => {
            let Step::Field(name) = step else { return false };
            if rest.is_empty() {
                return members.remove(name).is_some();
            }
            let Some(below) = members.get_mut(name) else { return false };
            prefix.push(step.clone());
            let removed = remove(below, merge_keys::field(meta.ty, name), rest, prefix, owned);
            let emptied =
                matches!(below, Value::Object(m) if m.is_empty()) || matches!(below, Value::Array(a) if a.is_empty());
            if removed && emptied && !owned.covers(prefix) {
                members.remove(name);
            }
            prefix.pop();
            removed
        }
        Value::Array(items) => {
            let Some(index) = position(items, meta, step) else { return false };
            if rest.is_empty() {
                items.remove(index);
                return true;
            }
            prefix.push(step.clone());
            let removed = remove(&mut items[index], element(meta), rest, prefix, owned);
            prefix.pop();
            removed
        }
        _ => false,
    }
}

/// A copy without the `null` members of objects (an explicit null removes a field).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Merges a configuration into a live value: the configuration wins on every field it sets.
fn merge_value(live: &Value, config: &Value, meta: FieldMeta) -> Value {
    match (live, config) {
        (Value::Object(live), Value::Object(config)) if !meta.atomic_object => {
            let mut out = live.clone();
            for (name, value) in config {
                if value.is_null() {
                    out.remove(name);
                    continue;
                }
                let merged = match out.get(name) {
                    Some(current) => merge_value(current, value, merge_keys::field(meta.ty, name)),
                    None => without_nulls(value),
                };
                out.insert(name.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(live), Value::Array(config)) => match meta.list_type {
            ListType::Atomic => without_nulls(&Value::Array(config.clone())),
            ListType::Set => {
                Value::Array(merge_ordered(live, config, |item| Some(set_key(item)), |_, c| without_nulls(c)))
            }
            ListType::Map(keys) => {
                let key = |item: &Value| item_key(item, keys, meta.ty).ok();
                Value::Array(merge_ordered(live, config, key, |l, c| merge_value(l, c, element(meta))))
            }
        },
        _ => without_nulls(config),
    }
}

/// Merges two keyed lists: matched elements merge where the live one stood, live-only elements keep their place, and
/// configuration elements keep the configuration's order. Elements without a key (or with a duplicate one) are
/// never matched and are kept as they are.
fn merge_ordered(
    live: &[Value],
    config: &[Value],
    key: impl Fn(&Value) -> Option<String>,
    merge: impl Fn(&Value, &Value) -> Value,
) -> Vec<Value> {
    fn unique(items: &[Value], key: &dyn Fn(&Value) -> Option<String>) -> Vec<Option<String>> {
        let mut seen = HashSet::new();
        items.iter().map(|item| key(item).filter(|k| seen.insert(k.clone()))).collect()
    }
    let live_keys = unique(live, &key);
    let config_keys = unique(config, &key);
    let find = |keys: &[Option<String>], wanted: &Option<String>| {
        wanted.as_ref().and_then(|w| keys.iter().position(|k| k.as_ref() == Some(w)))
    };
    let mut out = Vec::with_capacity(live.len() + config.len());
    let mut emitted: HashSet<String> = HashSet::new();
    let (mut l, mut c) = (0, 0);
    while l < live.len() || c < config.len() {
        if live_keys.get(l).and_then(Option::as_ref).is_some_and(|k| emitted.contains(k)) {
            l += 1;
            continue;
        }
        if l < live.len() && c < config.len() && live_keys[l].is_some() && live_keys[l] == config_keys[c] {
            out.push(merge(&live[l], &config[c]));
            emitted.extend(live_keys[l].clone());
            l += 1;
            c += 1;
        } else if l < live.len() && find(&config_keys, &live_keys[l]).is_none() {
            out.push(live[l].clone());
            emitted.extend(live_keys[l].clone());
            l += 1;
        } else if c < config.len() {
            let merged = match find(&live_keys, &config_keys[c]) {
                Some(i) => merge(&live[i], &config[c]),
                None => without_nulls(&config[c]),
            };
            out.push(merged);
            emitted.extend(config_keys[c].clone());
            c += 1;
        } else {
            l += 1;
        }
    }
    out
}
