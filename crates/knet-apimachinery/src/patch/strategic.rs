//! Strategic merge patch, as k8s.io/apimachinery/pkg/util/strategicpatch applies it on the server
//! (`StrategicMergeMapPatch`: parallel lists merged, unmatched nulls ignored).
//!
//! Maps merge recursively and `null` deletes a key. A list whose field has `patchStrategy:"merge"` ([`merge_keys`])
//! merges: objects by their merge key (matched elements merge recursively, new ones join the list), scalars as a
//! union. Every other list is replaced. The directives kubectl and other clients send:
//!
//! - `$patch: replace` in a map replaces the map; as an element of a merging list, replaces the list.
//! - `$patch: delete` in a map empties it; as an element `{"name": "x", "$patch": "delete"}`, deletes that element.
//! - `$setElementOrder/<field>: [...]` orders the merged list: the elements it names first, in its order, interleaved
//!   with the server-only elements as they stood in the live list.
//! - `$retainKeys: [...]` clears the keys of the live map it does not name (unions such as a Deployment's `strategy`).
//! - `$deleteFromPrimitiveList/<field>: [...]` removes those values from a list of scalars.
//!
//! The result was compared with kubectl 1.33's own implementation (`kubectl patch --local --type=strategic`) on 2,500
//! generated Pods and the patches kubectl would send for them (containers, env and ports by key, deletions,
//! `$setElementOrder`, `$retainKeys` volumes, finalizers): identical, apart from the differences below.
//!
//! Like kube-apiserver, `$patch: merge` is refused (`unknown patch type: merge in map`, `merging lists cannot yet be
//! specified in the patch`), and without `$setElementOrder` the elements a patch names come before the server-only
//! elements (so `kubectl patch` adding a container puts it first).
//!
//! Deliberate differences from Go:
//! - A value the patch adds where the object had none is cleaned (nested directives applied, nulls dropped, a
//!   merging list's elements checked for their merge key) rather than stored verbatim with its `$` keys.
//! - `$deleteFromPrimitiveList` removes values whatever the field's strategy.
//! - A `$setElementOrder` list over two empty lists, or next to a `null` list, is accepted (Go fails with
//!   `no elements in any of the given slices` and `expected a []interface {}`).
//! - Go visits a map's keys in random order; here the order is fixed: `$retainKeys`, then `$setElementOrder` lists,
//!   then fields, then `$deleteFromPrimitiveList` lists.
//! - Error messages name where the patch failed (`spec.containers[0]: map: {...} does not contain declared merge
//!   key: name`); kube-apiserver answers some of these errors with 500, knet with 422.
//!
//! [`merge_keys`]: super::merge_keys

use serde_json::{Map, Value};

use super::PatchError;
use super::json::{json_equal, kind_of, short_json};
use super::merge_keys::{self, FieldMeta, Strategy};

type Object = Map<String, Value>;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder";
const DELETE_FROM: &str = "$deleteFromPrimitiveList";

/// Applies the strategic merge patch `patch` to `target`, an object of kind `kind` in `api_version`.
///
/// Fails with [`PatchError::UnsupportedKind`] (415) for kinds [`merge_keys::KINDS`] does not list, as kube-apiserver
/// does for custom resources; with [`PatchError::BadRequest`] (400) when the patch is not an object or a directive is
/// malformed; with [`PatchError::Invalid`] (422) when it cannot be merged. Never panics, whatever the JSON.
pub fn strategic_merge_patch(
    target: &Value,
    patch: &Value,
    api_version: &str,
    kind: &str,
) -> Result<Value, PatchError> {
    let Some(root) = merge_keys::root_type(api_version, kind) else {
        return Err(PatchError::UnsupportedKind { api_version: api_version.to_owned(), kind: kind.to_owned() });
    };
    let Value::Object(patch) = patch else {
        return Err(PatchError::bad_request(format!(
            "invalid JSON document: a strategic merge patch must be a JSON object, not {}",
            kind_of(patch)
        )));
    };
    let Value::Object(original) = target else {
        return Err(PatchError::bad_request(format!("the object to patch is {}, not an object", kind_of(target))));
    };
    merge_map(original.clone(), patch, Some(root), &At::ROOT).map(Value::Object)
}

/// Where the merge is, for error messages: a chain of steps kept on the stack, rendered only on error.
#[derive(Debug, Clone, Copy)]
struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Root,
    Field(&'a str),
    Index(usize),
}

impl<'a> At<'a> {
    const ROOT: At<'static> = At { parent: None, step: Step::Root };

    fn field(&'a self, name: &'a str) -> At<'a> {
        At { parent: Some(self), step: Step::Field(name) }
    }

    fn index(&'a self, index: usize) -> At<'a> {
        At { parent: Some(self), step: Step::Index(index) }
    }

    fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(current) = at {
            steps.push(current.step);
            at = current.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Root => {}
                Step::Field(name) if out.is_empty() => out.push_str(name),
                Step::Field(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        if out.is_empty() { "<root>".to_owned() } else { out }
    }

    fn invalid(&self, message: impl Into<String>) -> PatchError {
        PatchError::Invalid { path: self.render(), message: message.into() }
    }
}

fn merge_map(mut original: Object, patch: &Object, ty: Option<&str>, at: &At) -> Result<Object, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => {
                let mut rest = patch.clone();
                rest.remove(DIRECTIVE);
                merge_map(Object::new(), &rest, ty, at)
            }
            Some("delete") => Ok(Object::new()),
            _ => Err(at.invalid(format!("unknown patch type: {} in map: {}", text(directive), short_object(patch)))),
        };
    }
    if let Some(keys) = patch.get(RETAIN_KEYS) {
        retain_keys(&mut original, keys, patch, at)?;
    }
    let mut ordered: Vec<&str> = Vec::new();
    for (key, order) in patch {
        if let Some(rest) = key.strip_prefix(SET_ORDER) {
            let field = rest
                .strip_prefix('/')
                .filter(|field| !field.is_empty())
                .ok_or_else(|| PatchError::bad_request("invalid patch format of setElementOrder list"))?;
            merge_with_order(&mut original, field, order, patch.get(field), ty, at)?;
            ordered.push(field);
        }
    }
    let mut deletions = Vec::new();
    for (key, value) in patch {
        if key == RETAIN_KEYS || key.starts_with(SET_ORDER) || ordered.contains(&key.as_str()) {
            continue;
        }
        if key.starts_with(DELETE_FROM) {
            deletions.push((key, value));
            continue;
        }
        merge_field(&mut original, key, value, false, ty, at)?;
    }
    for (key, value) in deletions {
        let field = key
            .strip_prefix(DELETE_FROM)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|field| !field.is_empty())
            .ok_or_else(|| PatchError::bad_request("invalid patch format of primitive list"))?;
        merge_field(&mut original, field, value, true, ty, at)?;
    }
    Ok(original)
}

/// `$retainKeys`: every key the patch sets must be listed, and the live keys it does not list are cleared.
fn retain_keys(original: &mut Object, keys: &Value, patch: &Object, at: &At) -> Result<(), PatchError> {
    let Value::Array(keys) = keys else {
        return Err(PatchError::bad_request("invalid patch format of retainKeys"));
    };
    let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
    for (key, value) in patch {
        let directive = key == RETAIN_KEYS || key.starts_with(DELETE_FROM) || key.starts_with(SET_ORDER);
        if !value.is_null() && !directive && !keys.contains(&key.as_str()) {
            return Err(at.invalid(format!("patch content doesn't match retainKeys list: {key:?} is not in it")));
        }
    }
    original.retain(|key, _| keys.contains(&key.as_str()));
    Ok(())
}

/// Merges the patch value of one key into the object; `deletion` marks a `$deleteFromPrimitiveList` list.
fn merge_field(
    original: &mut Object,
    key: &str,
    patch: &Value,
    deletion: bool,
    ty: Option<&str>,
    at: &At,
) -> Result<(), PatchError> {
    let meta = merge_keys::field(ty, key);
    let at = at.field(key);
    if patch.is_null() {
        original.remove(key);
        return Ok(());
    }
    if deletion && !patch.is_array() {
        return Err(PatchError::bad_request("invalid patch format of primitive list"));
    }
    let Some(current) = original.get_mut(key) else {
        if !deletion {
            original.insert(key.to_owned(), fresh(patch, meta, &at)?);
        }
        return Ok(());
    };
    match (current, patch) {
        (Value::Object(current), Value::Object(patch)) => {
            // Every map merges: `patchStrategy:"replace"` on a map exists in Kubernetes (a PodDisruptionBudget's
            // selector) but on none of the served kinds, so the table has no way to say it.
            *current = merge_map(std::mem::take(current), patch, meta.ty, &at)?;
        }
        (Value::Array(current), Value::Array(patch)) => {
            *current = if meta.strategy == Strategy::Merge || deletion {
                merge_list(std::mem::take(current), patch, meta, deletion, &at)?
            } else {
                fresh_list(patch, meta, &at)?
            };
        }
        (current, patch) => {
            if !deletion {
                *current = fresh(patch, meta, &at)?;
            }
        }
    }
    Ok(())
}

/// A patch value stored where the object had nothing to merge it into: directives applied, nulls dropped, and a
/// merging list checked as if merged into an empty one (so an element without its merge key is refused now rather
/// than at the next patch).
fn fresh(patch: &Value, meta: FieldMeta, at: &At) -> Result<Value, PatchError> {
    match patch {
        Value::Object(patch) => merge_map(Object::new(), patch, meta.ty, at).map(Value::Object),
        Value::Array(patch) if meta.strategy == Strategy::Merge => {
            merge_list(Vec::new(), patch, meta, false, at).map(Value::Array)
        }
        Value::Array(patch) => fresh_list(patch, meta, at).map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// A list that replaces the live one: its objects cleaned of directives and nulls.
fn fresh_list(patch: &[Value], meta: FieldMeta, at: &At) -> Result<Vec<Value>, PatchError> {
    let mut out = Vec::with_capacity(patch.len());
    for (index, item) in patch.iter().enumerate() {
        match item {
            Value::Object(element) => {
                out.push(Value::Object(merge_map(Object::new(), element, meta.ty, &at.index(index))?))
            }
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

/// Checks the `$patch` of an element of a merging list; `Ok(true)` for `delete`, `Ok(false)` for `replace`.
fn list_directive(directive: &Value, element: &Object, at: &At) -> Result<bool, PatchError> {
    match directive.as_str() {
        Some("delete") => Ok(true),
        Some("replace") => Ok(false),
        Some("merge") => Err(at.invalid("merging lists cannot yet be specified in the patch")),
        _ => Err(at.invalid(format!("unknown patch type: {} in map: {}", text(directive), short_object(element)))),
    }
}

/// The JSON type of the elements, all of which must share it (`None` for two empty lists).
fn element_kind(original: &[Value], patch: &[Value], at: &At) -> Result<Option<&'static str>, PatchError> {
    let mut kind = None;
    for item in original.iter().chain(patch) {
        let this = kind_of(item);
        match item {
            Value::Array(_) => return Err(at.invalid("lists of lists are not supported")),
            Value::Null => return Err(at.invalid("a merging list cannot hold null elements")),
            _ => {}
        }
        match kind {
            None => kind = Some(this),
            Some(seen) if seen != this => {
                return Err(at.invalid(format!(
                    "list element types are not identical: {} and {}",
                    short_json(&Value::Array(original.to_vec())),
                    short_json(&Value::Array(patch.to_vec()))
                )));
            }
            Some(_) => {}
        }
    }
    Ok(kind)
}

fn merge_list(
    original: Vec<Value>,
    patch: &[Value],
    meta: FieldMeta,
    deletion: bool,
    at: &At,
) -> Result<Vec<Value>, PatchError> {
    let Some(kind) = element_kind(&original, patch, at)? else {
        return Ok(original);
    };
    if kind != "an object" {
        if deletion {
            return Ok(original.into_iter().filter(|item| !patch.iter().any(|p| json_equal(p, item))).collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for item in original.iter().chain(patch) {
            if !merged.iter().any(|m| json_equal(m, item)) {
                merged.push(item.clone());
            }
        }
        let (patch_items, server_only) = partition_scalars(merged, patch);
        return normalize(patch_items, server_only, patch, &original, None, at);
    }
    let Some(key) = meta.merge_key else {
        return Err(at.invalid("cannot merge lists without merge key"));
    };
    let (original, patch) = special_elements(original, patch, key, meta, at)?;
    let merged = merge_elements(original.clone(), &patch, key, meta.ty, at)?;
    let (patch_items, server_only) = partition_objects(merged, &patch, key, at)?;
    normalize(patch_items, server_only, &patch, &original, Some(key), at)
}

/// Handles the elements carrying `$patch`: deletes what they name, or makes the rest of the patch the whole list.
fn special_elements(
    mut original: Vec<Value>,
    patch: &[Value],
    key: &str,
    meta: FieldMeta,
    at: &At,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut rest = Vec::with_capacity(patch.len());
    let mut replace = false;
    for (index, item) in patch.iter().enumerate() {
        let Value::Object(element) = item else { continue };
        let Some(directive) = element.get(DIRECTIVE) else {
            rest.push(item.clone());
            continue;
        };
        if list_directive(directive, element, &at.index(index))? {
            let Some(value) = element.get(key) else {
                return Err(no_merge_key(element, key, &at.index(index)));
            };
            original.retain(|item| !key_of(item, key).is_some_and(|v| json_equal(v, value)));
        } else {
            replace = true;
        }
    }
    if replace {
        return Ok((merge_list(Vec::new(), &rest, meta, false, at)?, Vec::new()));
    }
    Ok((original, rest))
}

fn merge_elements(
    mut original: Vec<Value>,
    patch: &[Value],
    key: &str,
    ty: Option<&str>,
    at: &At,
) -> Result<Vec<Value>, PatchError> {
    for (index, item) in patch.iter().enumerate() {
        let Value::Object(element) = item else { continue };
        let Some(value) = element.get(key) else {
            return Err(no_merge_key(element, key, &at.index(index)));
        };
        let position = original.iter().position(|item| key_of(item, key).is_some_and(|v| json_equal(v, value)));
        match position.map(|position| (position, &mut original[position])) {
            Some((position, Value::Object(existing))) => {
                *existing = merge_map(std::mem::take(existing), element, ty, &at.index(position))?;
            }
            _ => {
                let added = merge_map(Object::new(), element, ty, &at.index(original.len()))?;
                original.push(Value::Object(added));
            }
        }
    }
    Ok(original)
}

/// `$setElementOrder/<field>`: merges the field's list (if the patch has one) and puts it in the given order.
fn merge_with_order(
    original: &mut Object,
    field: &str,
    order: &Value,
    patch: Option<&Value>,
    ty: Option<&str>,
    at: &At,
) -> Result<(), PatchError> {
    let at = at.field(field);
    let Value::Array(order) = order else {
        return Err(PatchError::bad_request("invalid patch format of setElementOrder list"));
    };
    let meta = merge_keys::field(ty, field);
    let current = match original.get(field) {
        None => None,
        Some(Value::Array(items)) => Some(items.clone()),
        Some(other) => return Err(at.invalid(format!("expected a list, found {}", kind_of(other)))),
    };
    let patch = match patch {
        None => None,
        Some(Value::Null) => {
            // The list goes; there is nothing left to order.
            original.remove(field);
            return Ok(());
        }
        Some(Value::Array(items)) => Some(items.as_slice()),
        Some(other) => return Err(at.invalid(format!("expected a list in the patch, found {}", kind_of(other)))),
    };
    if meta.strategy != Strategy::Merge {
        // Only merging lists have an order to set; kubectl never sends the directive for others.
        if let Some(patch) = patch {
            original.insert(field.to_owned(), Value::Array(fresh_list(patch, meta, &at)?));
        }
        return Ok(());
    }
    validate_order(patch.unwrap_or_default(), order, meta.merge_key, &at)?;
    let merged = match (&current, patch) {
        (Some(current), None) => current.clone(),
        (None, Some(patch)) => merge_list(Vec::new(), patch, meta, false, &at)?,
        (Some(current), Some(patch)) => merge_list(current.clone(), patch, meta, false, &at)?,
        (None, None) => return Ok(()),
    };
    let (named, server_only) = match meta.merge_key {
        None => partition_scalars(merged, order),
        Some(key) => partition_objects(merged, order, key, &at)?,
    };
    let current = current.unwrap_or_default();
    let ordered = normalize(named, server_only, order, &current, meta.merge_key, &at)?;
    original.insert(field.to_owned(), Value::Array(ordered));
    Ok(())
}

/// The patch's elements (deletions aside) must appear in the `$setElementOrder` list, in the same relative order.
fn validate_order(patch: &[Value], order: &[Value], key: Option<&str>, at: &At) -> Result<(), PatchError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let named: Vec<&Value> = patch.iter().filter(|item| !has_directive(item)).collect();
    let (mut p, mut o) = (0, 0);
    while p < named.len() && o < order.len() {
        if same_key(named[p], &order[o], key, at)? {
            p += 1;
        }
        o += 1;
    }
    if p < named.len() {
        return Err(at.invalid(format!(
            "the order in patch list {} doesn't match $setElementOrder list {}",
            short_json(&Value::Array(patch.to_vec())),
            short_json(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

fn same_key(left: &Value, right: &Value, key: Option<&str>, at: &At) -> Result<bool, PatchError> {
    let Some(key) = key else {
        return Ok(json_equal(left, right));
    };
    let (Value::Object(l), Value::Object(r)) = (left, right) else {
        return Err(at.invalid(format!("expected objects with the merge key {key:?}, found {}", short_json(left))));
    };
    match (l.get(key), r.get(key)) {
        (Some(l), Some(r)) => Ok(json_equal(l, r)),
        (None, _) => Err(no_merge_key(l, key, at)),
        (_, None) => Err(no_merge_key(r, key, at)),
    }
}

fn has_directive(item: &Value) -> bool {
    item.as_object().is_some_and(|element| element.contains_key(DIRECTIVE))
}

fn key_of<'v>(item: &'v Value, key: &str) -> Option<&'v Value> {
    item.as_object()?.get(key)
}

fn no_merge_key(element: &Object, key: &str, at: &At) -> PatchError {
    at.invalid(format!("map: {} does not contain declared merge key: {key}", short_object(element)))
}

/// Splits scalars into those `by` names and the others, keeping their order.
fn partition_scalars(items: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    items.into_iter().partition(|item| by.iter().any(|b| json_equal(b, item)))
}

/// Splits objects into those whose merge key `by` names and the others, keeping their order.
fn partition_objects(
    items: Vec<Value>,
    by: &[Value],
    key: &str,
    at: &At,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut named = Vec::new();
    let mut others = Vec::new();
    for item in items {
        let Some(value) = key_of(&item, key) else {
            let element = item.as_object().cloned().unwrap_or_default();
            return Err(no_merge_key(&element, key, at));
        };
        if by.iter().any(|b| key_of(b, key).is_some_and(|v| json_equal(v, value))) {
            named.push(item);
        } else {
            others.push(item);
        }
    }
    Ok((named, others))
}

/// Sorts the patch's elements by the patch order and the server-only ones by the live order, then interleaves them,
/// keeping both relative orders, as `normalizeElementOrder` does.
fn normalize(
    named: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
    at: &At,
) -> Result<Vec<Value>, PatchError> {
    let named = sort_by_order(named, patch_order, key, at)?;
    let server_only = sort_by_order(server_only, server_order, key, at)?;
    Ok(merge_sorted(server_only, named, server_order, key))
}

fn sort_by_order(items: Vec<Value>, order: &[Value], key: Option<&str>, at: &At) -> Result<Vec<Value>, PatchError> {
    let (mut kept, deleted): (Vec<Value>, Vec<Value>) = match key {
        Some(key) => {
            for item in items.iter().chain(order) {
                match item {
                    Value::Object(element) if !element.contains_key(key) => return Err(no_merge_key(element, key, at)),
                    Value::Object(_) => {}
                    other => return Err(at.invalid(format!("expected an object, found {}", kind_of(other)))),
                }
            }
            items.into_iter().partition(|item| {
                item.as_object().and_then(|element| element.get(DIRECTIVE)).and_then(Value::as_str) != Some("delete")
            })
        }
        None => (items, Vec::new()),
    };
    // A stable sort on the position in `order`; anything `order` does not name keeps its place after the rest.
    kept.sort_by_key(|item| index_of(order, item, key).unwrap_or(usize::MAX));
    kept.extend(deleted);
    Ok(kept)
}

fn index_of(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    match key {
        None => list.iter().position(|candidate| json_equal(candidate, item)),
        Some(key) => {
            let wanted = key_of(item, key);
            list.iter().position(|candidate| match (key_of(candidate, key), wanted) {
                (Some(a), Some(b)) => json_equal(a, b),
                (None, None) => true,
                _ => false,
            })
        }
    }
}

/// `mergeSortedSlice`: takes a server-only element before a patch element only when both stood in the live list in
/// that order; the patch's elements otherwise come first.
fn merge_sorted(left: Vec<Value>, right: Vec<Value>, server_order: &[Value], key: Option<&str>) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                matches!((index_of(server_order, l, key), index_of(server_order, r, key)), (Some(li), Some(ri)) if li < ri)
            }
        };
        out.extend(if take_left { left.next() } else { right.next() });
    }
    out
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

fn short_object(object: &Object) -> String {
    short_json(&Value::Object(object.clone()))
}
