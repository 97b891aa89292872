//! JSON merge patch (RFC 7386): objects merge member by member, `null` deletes a member, anything else replaces.
//!
//! This is what kube-apiserver applies for `application/merge-patch+json`, for every kind, custom resources included.
//! Lists are always replaced whole; use a strategic merge patch to merge them by key.

use serde_json::{Map, Value};

/// Applies `patch` to `target` as RFC 7386 section 2 defines it.
///
/// A patch that is not an object replaces the target whole (`[1]` turns any document into `[1]`). Never fails: every
/// JSON value is a valid merge patch. Applying the same patch twice gives the same result as applying it once.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(members) = patch else {
        return patch.clone();
    };
    let mut result = match target {
        Value::Object(existing) => existing.clone(),
        _ => Map::new(),
    };
    for (name, value) in members {
        if value.is_null() {
            result.remove(name);
        } else {
            let merged = merge_patch(result.get(name).unwrap_or(&Value::Null), value);
            result.insert(name.clone(), merged);
        }
    }
    Value::Object(result)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn members_merge_and_null_deletes() {
        let target = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}, "spec": {"replicas": 1}});
        let patch = json!({"metadata": {"labels": {"tier": null, "team": "a"}}, "spec": {"replicas": 3}});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"metadata": {"labels": {"app": "web", "team": "a"}}, "spec": {"replicas": 3}})
        );
    }

    #[test]
    fn nulls_inside_new_members_are_dropped() {
        // RFC 7386: a new member is the merge of its patch value into nothing, so nested nulls vanish.
        assert_eq!(merge_patch(&json!({}), &json!({"a": {"b": null, "c": 1}})), json!({"a": {"c": 1}}));
    }

    #[test]
    fn lists_are_replaced() {
        assert_eq!(merge_patch(&json!({"a": [1, 2]}), &json!({"a": [3]})), json!({"a": [3]}));
    }
}
