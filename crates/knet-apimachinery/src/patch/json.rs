//! JSON patch (RFC 6902): a list of `add`, `remove`, `replace`, `move`, `copy` and `test` operations addressed by
//! JSON pointers (RFC 6901), applied in order, all or nothing.
//!
//! kube-apiserver applies these for `application/json-patch+json` on every kind. It refuses a body that is not a list
//! of operation objects with 400, more than [`MAX_JSON_PATCH_OPERATIONS`] operations with 413, and an operation that
//! cannot be applied (including a failed `test`) with 422; the errors here name the operation's index and path.

use serde_json::{Map, Value};

use super::PatchError;

/// kube-apiserver's limit on the number of operations in one JSON patch (`maxJSONPatchOperations`).
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// Applies the RFC 6902 `patch` (a JSON array of operation objects) to `target`.
///
/// The operations apply in order to a copy; if one fails, the error names it and `target` is untouched. Members an
/// operation does not know are ignored (RFC 6902 section 4). Numbers compare by value in `test` (`1` equals `1.0`).
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(operations) = patch else {
        return Err(PatchError::bad_request(format!(
            "a JSON patch must be a JSON array of operations, not {}",
            kind_of(patch)
        )));
    };
    if operations.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations { count: operations.len(), max: MAX_JSON_PATCH_OPERATIONS });
    }
    let mut document = target.clone();
    for (index, operation) in operations.iter().enumerate() {
        let Value::Object(operation) = operation else {
            return Err(PatchError::bad_request(format!(
                "JSON patch operation {index} must be an object with \"op\" and \"path\", not {}",
                kind_of(operation)
            )));
        };
        apply_operation(&mut document, operation, index)?;
    }
    Ok(document)
}

fn apply_operation(document: &mut Value, operation: &Map<String, Value>, index: usize) -> Result<(), PatchError> {
    let op = operation.get("op").and_then(Value::as_str);
    let path_text = operation.get("path").and_then(Value::as_str);
    let fail = |message: String| PatchError::JsonPatchOperation {
        index,
        op: op.unwrap_or("?").to_owned(),
        path: path_text.unwrap_or_default().to_owned(),
        message,
    };
    let Some(op) = op else {
        return Err(fail("the operation has no \"op\" string member".to_owned()));
    };
    let Some(path_text) = path_text else {
        return Err(fail("the operation has no \"path\" string member".to_owned()));
    };
    let path = parse_pointer(path_text).map_err(|message| fail(format!("path: {message}")))?;
    let value =
        || operation.get("value").cloned().ok_or_else(|| fail("the operation has no \"value\" member".to_owned()));
    let from = || -> Result<Vec<String>, PatchError> {
        let text = operation
            .get("from")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("the operation has no \"from\" string member".to_owned()))?;
        parse_pointer(text).map_err(|message| fail(format!("from: {message}")))
    };
    match op {
        "add" => add(document, &path, value()?).map_err(fail),
        "remove" => remove(document, &path).map(drop).map_err(fail),
        "replace" => {
            let value = value()?;
            let slot = get_mut(document, &path).map_err(fail)?;
            *slot = value;
            Ok(())
        }
        "move" => {
            let from = from()?;
            if from == path {
                return Ok(());
            }
            if path.starts_with(&from) {
                return Err(fail("a value cannot be moved into one of its own children".to_owned()));
            }
            let moved = remove(document, &from).map_err(|m| fail(format!("from: {m}")))?;
            add(document, &path, moved).map_err(fail)
        }
        "copy" => {
            let copied = get(document, &from()?).map_err(|m| fail(format!("from: {m}")))?.clone();
            add(document, &path, copied).map_err(fail)
        }
        "test" => {
            let expected = value()?;
            let actual = get(document, &path).map_err(fail)?;
            if json_equal(actual, &expected) {
                Ok(())
            } else {
                Err(PatchError::JsonPatchTestFailed {
                    index,
                    path: path_text.to_owned(),
                    actual: short_json(actual),
                    expected: short_json(&expected),
                })
            }
        }
        other => Err(fail(format!("unknown operation {other:?}: expected add, remove, replace, move, copy or test"))),
    }
}

/// Splits an RFC 6901 pointer into unescaped reference tokens (`~1` is `/`, `~0` is `~`).
fn parse_pointer(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("{text:?} is not a JSON pointer: it must be empty or start with \"/\""));
    };
    rest.split('/').map(unescape).collect()
}

fn unescape(token: &str) -> Result<String, String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return Err(format!("{token:?} has a \"~\" that is not followed by 0 or 1")),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// An array index token: digits without a leading zero, below `len` (or equal to it when `append` is allowed).
fn array_index(token: &str, len: usize, append: bool) -> Result<usize, String> {
    if append && token == "-" {
        return Ok(len);
    }
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return Err(format!("{token:?} is not an array index"));
    }
    let index: usize = token.parse().map_err(|_| format!("array index {token} is too large"))?;
    let limit = if append { len } else { len.saturating_sub(1) };
    if index > limit || (!append && len == 0) {
        return Err(format!("array index {index} is out of range: the array has {len} elements"));
    }
    Ok(index)
}

fn get<'v>(document: &'v Value, path: &[String]) -> Result<&'v Value, String> {
    let mut current = document;
    for (depth, token) in path.iter().enumerate() {
        current = match current {
            Value::Object(members) => members.get(token),
            Value::Array(items) => Some(&items[array_index(token, items.len(), false)?]),
            _ => None,
        }
        .ok_or_else(|| missing(path, depth))?;
    }
    Ok(current)
}

fn get_mut<'v>(document: &'v mut Value, path: &[String]) -> Result<&'v mut Value, String> {
    let mut current = document;
    for (depth, token) in path.iter().enumerate() {
        current = match current {
            Value::Object(members) => members.get_mut(token),
            Value::Array(items) => {
                let index = array_index(token, items.len(), false)?;
                Some(&mut items[index])
            }
            _ => None,
        }
        .ok_or_else(|| missing(path, depth))?;
    }
    Ok(current)
}

fn missing(path: &[String], depth: usize) -> String {
    let prefix: String =
        path[..=depth].iter().map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1"))).collect();
    format!("{prefix:?} does not exist")
}

fn add(document: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parent_path)) = path.split_last() else {
        *document = value;
        return Ok(());
    };
    match get_mut(document, parent_path)? {
        Value::Object(members) => {
            members.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index = array_index(last, items.len(), true)?;
            items.insert(index, value);
            Ok(())
        }
        other => Err(format!("cannot add a member to {}", kind_of(other))),
    }
}

fn remove(document: &mut Value, path: &[String]) -> Result<Value, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("the whole document cannot be removed".to_owned());
    };
    match get_mut(document, parent_path)? {
        Value::Object(members) => members.remove(last).ok_or_else(|| missing(path, path.len() - 1)),
        Value::Array(items) => {
            let index = array_index(last, items.len(), false)?;
            Ok(items.remove(index))
        }
        _ => Err(missing(path, path.len() - 1)),
    }
}

/// JSON equality with numbers compared by value, as RFC 6902 `test` requires (`1` equals `1.0`).
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Compact JSON for a message, cut at 120 characters.
pub(crate) fn short_json(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 120 { text } else { format!("{}…", text.chars().take(120).collect::<String>()) }
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn error(target: Value, patch: Value) -> String {
        json_patch(&target, &patch).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_operation_and_path() {
        assert_eq!(
            error(json!({"spec": {}}), json!([{"op": "replace", "path": "/spec/replicas", "value": 3}])),
            r#"json patch operation 0 (replace "/spec/replicas"): "/spec/replicas" does not exist"#
        );
        assert_eq!(
            error(
                json!({"a": [1]}),
                json!([{"op": "test", "path": "/a/0", "value": 1}, {"op": "remove", "path": "/a/1"}])
            ),
            r#"json patch operation 1 (remove "/a/1"): array index 1 is out of range: the array has 1 elements"#
        );
        assert_eq!(
            error(json!({"a": 1}), json!([{"op": "test", "path": "/a", "value": 2}])),
            r#"json patch operation 0 (test "/a"): test failed: the value is 1, not 2"#
        );
        assert_eq!(
            error(json!({}), json!([{"op": "frobnicate", "path": ""}])),
            r#"json patch operation 0 (frobnicate ""): unknown operation "frobnicate": expected add, remove, replace, move, copy or test"#
        );
        assert_eq!(
            error(json!({"a": {"b": 1}}), json!([{"op": "move", "from": "/a", "path": "/a/c"}])),
            r#"json patch operation 0 (move "/a/c"): a value cannot be moved into one of its own children"#
        );
        assert_eq!(
            error(json!({}), json!([{"op": "add", "path": "a", "value": 1}])),
            r#"json patch operation 0 (add "a"): path: "a" is not a JSON pointer: it must be empty or start with "/""#
        );
        assert_eq!(
            error(json!({"a": [0]}), json!([{"op": "add", "path": "/a/01", "value": 1}])),
            r#"json patch operation 0 (add "/a/01"): "01" is not an array index"#
        );
    }

    #[test]
    fn malformed_patches_are_bad_requests() {
        let not_a_list = json_patch(&json!({}), &json!({"op": "add"})).unwrap_err();
        assert_eq!(not_a_list.code(), 400);
        assert_eq!(not_a_list.to_string(), "a JSON patch must be a JSON array of operations, not an object");
        let too_many =
            Value::Array(vec![json!({"op": "test", "path": "", "value": {}}); MAX_JSON_PATCH_OPERATIONS + 1]);
        let error = json_patch(&json!({}), &too_many).unwrap_err();
        assert_eq!((error.code(), error.reason()), (413, "RequestEntityTooLarge"));
        assert_eq!(error.to_string(), "The allowed maximum operations in a JSON patch is 10000, got: 10001");
    }

    #[test]
    fn failure_leaves_nothing_half_applied() {
        let target = json!({"a": 1});
        let patch = json!([{"op": "add", "path": "/b", "value": 2}, {"op": "remove", "path": "/c"}]);
        assert!(json_patch(&target, &patch).is_err());
        assert_eq!(target, json!({"a": 1}));
    }

    #[test]
    fn root_pointer_replaces_the_document() {
        assert_eq!(
            json_patch(&json!({"a": 1}), &json!([{"op": "add", "path": "", "value": [1]}])).unwrap(),
            json!([1])
        );
        assert_eq!(
            json_patch(&json!({"a": 1}), &json!([{"op": "replace", "path": "", "value": {"b": 2}}])).unwrap(),
            json!({"b": 2})
        );
    }

    #[test]
    fn empty_keys_and_escapes_address_members() {
        let target = json!({"": 1, "a/b": {"m~n": 2}});
        let patch = json!([
            {"op": "replace", "path": "/", "value": 10},
            {"op": "copy", "from": "/a~1b/m~0n", "path": "/c"},
        ]);
        assert_eq!(json_patch(&target, &patch).unwrap(), json!({"": 10, "a/b": {"m~n": 2}, "c": 2}));
    }
}
