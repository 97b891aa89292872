//! Sets of field paths, as server-side apply records them in `metadata.managedFields[].fieldsV1`.
//!
//! A path is a list of steps: `f:<field>` into an object, `k:{"name":"web"}` to the element of a keyed list with that
//! key, `v:"x"` to a value of a set, `i:3` to an index of a list that has neither. In `fieldsV1` the set is a tree of
//! those steps; `.` marks a node that is a member itself and also has members below it (a list element that is owned
//! as a whole and field by field):
//!
//! ```text
//! {"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}
//!     = { .spec.containers[name="web"], .spec.containers[name="web"].image }
//! ```

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Step {
    /// A field of an object: `f:name`.
    Field(String),
    /// The element of a keyed list whose key fields have these values, as canonical JSON: `k:{"name":"web"}`.
    Key(String),
    /// A value of a set, as canonical JSON: `v:"x"`.
    Value(String),
    /// A position in a list: `i:0`.
    Index(usize),
}

impl Step {
    fn encode(&self) -> String {
        match self {
            Step::Field(name) => format!("f:{name}"),
            Step::Key(key) => format!("k:{key}"),
            Step::Value(value) => format!("v:{value}"),
            Step::Index(index) => format!("i:{index}"),
        }
    }

    fn decode(text: &str) -> Option<Step> {
        let (prefix, rest) = text.split_at_checked(2)?;
        match prefix {
            "f:" => Some(Step::Field(rest.to_owned())),
            "k:" => {
                serde_json::from_str::<Value>(rest).ok().filter(Value::is_object).map(|key| Step::Key(canonical(&key)))
            }
            "v:" => serde_json::from_str::<Value>(rest).ok().map(|value| Step::Value(canonical(&value))),
            "i:" => rest.parse().ok().map(Step::Index),
            _ => None,
        }
    }
}

/// A field path.
pub(crate) type Path = Vec<Step>;

/// Renders a path as kube-apiserver prints it in conflicts: `.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]`.
pub(crate) fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Field(name) => {
                out.push('.');
                out.push_str(name);
            }
            Step::Key(key) => {
                let fields = serde_json::from_str::<Map<String, Value>>(key).unwrap_or_default();
                let fields: Vec<String> = fields.iter().map(|(name, value)| format!("{name}={value}")).collect();
                out.push_str(&format!("[{}]", fields.join(",")));
            }
            Step::Value(value) => out.push_str(&format!("[={value}]")),
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Compact JSON with object keys sorted, so equal values always give equal steps.
pub(crate) fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(members) => {
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|key| (key.clone(), sorted(&members[key]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// A set of field paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSet(BTreeSet<Path>);

impl FieldSet {
    pub(crate) fn insert(&mut self, path: Path) {
        self.0.insert(path);
    }

    pub(crate) fn contains(&self, path: &[Step]) -> bool {
        self.0.contains(path)
    }

    pub(crate) fn remove(&mut self, path: &[Step]) {
        self.0.remove(path);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Path> {
        self.0.iter()
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&Path) -> bool) {
        self.0.retain(keep);
    }

    pub(crate) fn extend(&mut self, other: &FieldSet) {
        self.0.extend(other.0.iter().cloned());
    }

    /// Whether `prefix` or any path below it is a member.
    pub(crate) fn covers(&self, prefix: &[Step]) -> bool {
        // Paths sort lexicographically, so every path that starts with `prefix` comes right at or after it.
        self.0.range(prefix.to_vec()..).next().is_some_and(|path| path.starts_with(prefix))
    }

    /// The `fieldsV1` tree.
    pub(crate) fn to_fields_v1(&self) -> Value {
        fn node(paths: &[&[Step]]) -> Value {
            let member = paths.iter().any(|path| path.is_empty());
            let mut children: Vec<(&Step, Vec<&[Step]>)> = Vec::new();
            for path in paths {
                if let Some((first, rest)) = path.split_first() {
                    match children.last_mut() {
                        Some((step, below)) if *step == first => below.push(rest),
                        _ => children.push((first, vec![rest])),
                    }
                }
            }
            let mut out = Map::new();
            if member && !children.is_empty() {
                out.insert(".".to_owned(), Value::Object(Map::new()));
            }
            for (step, below) in children {
                out.insert(step.encode(), node(&below));
            }
            Value::Object(out)
        }
        let paths: Vec<&[Step]> = self.0.iter().map(Vec::as_slice).collect();
        node(&paths)
    }

    /// Reads a `fieldsV1` tree; `None` when it is not one.
    pub(crate) fn from_fields_v1(value: &Value) -> Option<FieldSet> {
        fn walk(value: &Value, path: &mut Path, out: &mut BTreeSet<Path>) -> Option<()> {
            let Value::Object(members) = value else { return None };
            if !path.is_empty() && (members.is_empty() || members.contains_key(".")) {
                out.insert(path.clone());
            }
            for (name, below) in members {
                if name == "." {
                    continue;
                }
                path.push(Step::decode(name)?);
                walk(below, path, out)?;
                path.pop();
            }
            Some(())
        }
        let mut out = BTreeSet::new();
        walk(value, &mut Vec::new(), &mut out)?;
        Some(FieldSet(out))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_v1_round_trips_with_dots_only_where_needed() {
        let fields = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                    ".": {},
                    "f:image": {},
                    "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}},
                }}}},
            },
            "f:finalizers": {"v:\"a\"": {}},
        });
        let set = FieldSet::from_fields_v1(&fields).unwrap();
        assert_eq!(set.to_fields_v1(), fields);
        let rendered: Vec<String> = set.iter().map(|path| display(path)).collect();
        assert_eq!(
            rendered,
            [
                r#".finalizers[="a"]"#,
                ".metadata.labels.app",
                ".spec.replicas",
                r#".spec.template.spec.containers[name="web"]"#,
                r#".spec.template.spec.containers[name="web"].image"#,
                r#".spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]"#,
                r#".spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort"#,
            ]
        );
        let containers = [Step::Field("spec".into()), Step::Field("template".into())];
        assert!(set.covers(&containers));
        assert!(!set.covers(&[Step::Field("status".into())]));
    }

    #[test]
    fn malformed_fields_are_refused() {
        assert_eq!(FieldSet::from_fields_v1(&json!({"x:a": {}})), None);
        assert_eq!(FieldSet::from_fields_v1(&json!({"k:notjson": {}})), None);
        assert_eq!(FieldSet::from_fields_v1(&json!({"f:a": 1})), None);
    }
}
