//! Manifest text → typed objects: multi-document YAML, JSON, `kind: List` and typed lists, each object with its origin.
//!
//! Loading never stops at the first problem: a document that cannot be decoded becomes a [`LoadError`] with its
//! position, and every other document is still decoded. The caller supplies text, never a path to open: reading files
//! and stdin is the binary's business.

use std::fmt;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::go_errors::{self, Root, Step};
use crate::object::{Kind, Object, OtherObject};

/// Where an object was written: the source's name, the line its document starts on, and its index inside a list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// A file path, or `-` for stdin.
    pub source: Arc<str>,
    /// The 1-based line where the object's document starts.
    pub line: usize,
    /// The index inside a `List` document, when the object came from one.
    pub item: Option<usize>,
}

impl Origin {
    /// An origin for objects that were not read from text (a live cluster, a generated benchmark).
    pub fn synthetic(source: &str) -> Origin {
        Origin { source: source.into(), line: 0, item: None }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(item) = self.item {
            write!(f, " (items[{item}])")?;
        }
        Ok(())
    }
}

/// A decoded object with the place it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub object: Object,
    pub origin: Origin,
}

/// Why one document (or one list item) could not be decoded. The rest of the input is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The text is not well-formed YAML or JSON.
    #[error("{source_name}:{line}:{column}: invalid YAML: {message}")]
    Syntax { source_name: Arc<str>, line: usize, column: usize, message: String },
    /// The document is YAML, but not a mapping (a bare string or a sequence of non-objects).
    #[error("{origin}: a manifest must be an object with apiVersion and kind, found {found}")]
    NotAnObject { origin: Origin, found: &'static str },
    /// `apiVersion` or `kind` is missing or empty.
    #[error("{origin}: Object 'Kind' is missing or empty: {field} is required")]
    MissingType { origin: Origin, field: &'static str },
    /// A kind knet knows, at an `apiVersion` the API server does not serve it at.
    #[error("{origin}: no matches for kind \"{kind}\" in version \"{api_version}\" (use apiVersion {expected})")]
    UnservedVersion { origin: Origin, kind: String, api_version: String, expected: &'static str },
    /// A field has the wrong type or shape for its kind.
    #[error("{origin}: {kind} \"{name}\": {field}: {message}")]
    Decode { origin: Origin, kind: Kind, name: String, field: String, message: String },
}

impl LoadError {
    /// The source the error is in.
    pub fn source_name(&self) -> &str {
        match self {
            LoadError::Syntax { source_name, .. } => source_name,
            LoadError::NotAnObject { origin, .. }
            | LoadError::MissingType { origin, .. }
            | LoadError::UnservedVersion { origin, .. }
            | LoadError::Decode { origin, .. } => &origin.source,
        }
    }
}

/// Everything decoded from some text, and everything that could not be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub manifests: Vec<Manifest>,
    pub errors: Vec<LoadError>,
}

impl Loaded {
    /// Appends another load's results, keeping order.
    pub fn extend(&mut self, other: Loaded) {
        self.manifests.extend(other.manifests);
        self.errors.extend(other.errors);
    }
}

/// Decodes every object in `text`, which came from `source` (a path, or `-`).
pub fn load_str(source: &str, text: &str) -> Loaded {
    let source: Arc<str> = source.into();
    let mut loaded = Loaded::default();
    if looks_like_json(text) {
        load_json_stream(&source, text, &mut loaded);
    } else {
        for document in split_documents(text) {
            match serde_yaml::from_str::<Value>(document.text) {
                Ok(Value::Null) => {}
                Ok(value) => {
                    let origin = Origin { source: source.clone(), line: document.first_line, item: None };
                    decode_document(value, origin, &mut loaded);
                }
                Err(error) => {
                    let (line, column) = error.location().map(|at| (at.line(), at.column())).unwrap_or((1, 1));
                    loaded.errors.push(LoadError::Syntax {
                        source_name: source.clone(),
                        line: document.first_line + line - 1,
                        column,
                        message: yaml_message(&error),
                    });
                }
            }
        }
    }
    loaded
}

/// Sets `metadata.namespace` on namespaced objects that do not name one, as `kubectl apply -n NAMESPACE` does.
pub fn assign_namespace(manifests: &mut [Manifest], namespace: &str) {
    for manifest in manifests {
        let namespaced = match &manifest.object {
            Object::Other(_) => true,
            object => object.kind().is_some_and(Kind::is_namespaced),
        };
        let meta = manifest.object.metadata_mut();
        if namespaced && meta.namespace.as_deref().unwrap_or_default().is_empty() {
            meta.namespace = Some(namespace.to_owned());
        }
    }
}

fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// One `---`-separated YAML document and the 1-based line it starts on.
struct Document<'a> {
    text: &'a str,
    first_line: usize,
}

/// Splits a YAML stream on document markers, remembering where each document starts so errors keep file positions.
fn split_documents(text: &str) -> Vec<Document<'_>> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let is_marker =
            content == "---" || content.starts_with("--- ") || content.starts_with("---\t") || content == "...";
        if is_marker {
            documents.push(Document { text: &text[start..offset], first_line });
            // A `--- ` marker may carry the start of the document on its own line; keep that content.
            let rest = content.strip_prefix("---").filter(|_| content != "...");
            let rest_is_content = rest.is_some_and(|r| !r.trim().is_empty() && !r.trim().starts_with('#'));
            if rest_is_content {
                start = offset + 3;
                first_line = index + 1;
            } else {
                start = offset + line.len();
                first_line = index + 2;
            }
        }
        offset += line.len();
    }
    documents.push(Document { text: &text[start..], first_line });
    documents
        .into_iter()
        .filter(|d| d.text.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')))
        .collect()
}

/// serde_yaml appends " at line L column C" to its messages; the position is reported separately, so drop it.
fn yaml_message(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

fn load_json_stream(source: &Arc<str>, text: &str, loaded: &mut Loaded) {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let leading = text[start..].len() - text[start..].trim_start().len();
                let line = text[..start + leading].matches('\n').count() + 1;
                let origin = Origin { source: source.clone(), line, item: None };
                match value {
                    Value::Array(items) => {
                        for (index, item) in items.into_iter().enumerate() {
                            let origin = Origin { item: Some(index), ..origin.clone() };
                            decode_document(item, origin, loaded);
                        }
                    }
                    value => decode_document(value, origin, loaded),
                }
            }
            Some(Err(error)) => {
                loaded.errors.push(LoadError::Syntax {
                    source_name: source.clone(),
                    line: error.line(),
                    column: error.column(),
                    message: json_message(&error),
                });
                break;
            }
        }
    }
}

fn json_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

fn value_shape(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Decodes one document: a single object, or a `List` / `<Kind>List` whose items are decoded one by one.
fn decode_document(value: Value, origin: Origin, loaded: &mut Loaded) {
    let Value::Object(mut map) = value else {
        loaded.errors.push(LoadError::NotAnObject { origin, found: value_shape(&value) });
        return;
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    let items = match map.remove("items") {
        Some(Value::Array(items)) if kind.ends_with("List") => items,
        Some(other) => {
            map.insert("items".to_owned(), other);
            return decode_object(Value::Object(map), origin, None, loaded);
        }
        None => return decode_object(Value::Object(map), origin, None, loaded),
    };
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let api_version = map.get("apiVersion").and_then(Value::as_str);
    // A typed list (`PodList`) may leave kind and apiVersion off its items.
    let implied = item_kind.zip(api_version);
    for (index, item) in items.into_iter().enumerate() {
        let origin = Origin { item: Some(index), ..origin.clone() };
        decode_object(item, origin, implied, loaded);
    }
}

fn decode_object(mut value: Value, origin: Origin, implied: Option<(&str, &str)>, loaded: &mut Loaded) {
    let Value::Object(map) = &mut value else {
        loaded.errors.push(LoadError::NotAnObject { origin, found: value_shape(&value) });
        return;
    };
    if let Some((kind, api_version)) = implied {
        map.entry("kind").or_insert_with(|| Value::String(kind.to_owned()));
        map.entry("apiVersion").or_insert_with(|| Value::String(api_version.to_owned()));
    }
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_owned();
    let kind_name = map.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    if kind_name.is_empty() {
        loaded.errors.push(LoadError::MissingType { origin, field: "kind" });
        return;
    }
    if api_version.is_empty() {
        loaded.errors.push(LoadError::MissingType { origin, field: "apiVersion" });
        return;
    }
    let name = map.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let Some(kind) = Kind::from_type(&api_version, &kind_name) else {
        if let Some(known) = Kind::ALL.into_iter().find(|k| k.name() == kind_name) {
            loaded.errors.push(LoadError::UnservedVersion {
                origin,
                kind: kind_name,
                api_version,
                expected: known.api_version(),
            });
            return;
        }
        match decode_other(value, api_version, kind_name) {
            Ok(other) => loaded.manifests.push(Manifest { object: Object::Other(other), origin }),
            Err((field, message)) => {
                loaded.errors.push(LoadError::Decode { origin, kind: Kind::Namespace, name, field, message })
            }
        }
        return;
    };
    match decode_known(kind, value) {
        Ok(object) => loaded.manifests.push(Manifest { object, origin }),
        Err((field, message)) => loaded.errors.push(LoadError::Decode { origin, kind, name, field, message }),
    }
}

type DecodeFailure = (String, String);

/// Decodes `value` into `T`, a failure worded as kube-apiserver words it (see `go_errors`), at the field serde
/// names (`spec.ports[0].port`).
fn typed<T: DeserializeOwned>(root: Root, value: &Value) -> Result<T, DecodeFailure> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let steps: Vec<Step> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
                _ => None,
            })
            .collect();
        let message = go_errors::type_error(root, value, &steps, &error.into_inner().to_string());
        (field, message)
    })
}

fn decode_known(kind: Kind, mut value: Value) -> Result<Object, DecodeFailure> {
    // What Go checks and serde does not (base64 as Go reads it, quantities), before serde sees the value.
    let root = Root::Kind(kind);
    go_errors::normalise(root, &mut value)?;
    let value = &value;
    Ok(match kind {
        Kind::Namespace => Object::Namespace(typed(root, value)?),
        Kind::Pod => Object::Pod(typed(root, value)?),
        Kind::Deployment => Object::Deployment(typed(root, value)?),
        Kind::ReplicaSet => Object::ReplicaSet(typed(root, value)?),
        Kind::StatefulSet => Object::StatefulSet(typed(root, value)?),
        Kind::DaemonSet => Object::DaemonSet(typed(root, value)?),
        Kind::Job => Object::Job(typed(root, value)?),
        Kind::CronJob => Object::CronJob(typed(root, value)?),
        Kind::Service => Object::Service(typed(root, value)?),
        Kind::Endpoints => Object::Endpoints(typed(root, value)?),
        Kind::EndpointSlice => Object::EndpointSlice(typed(root, value)?),
        Kind::Ingress => Object::Ingress(typed(root, value)?),
        Kind::IngressClass => Object::IngressClass(typed(root, value)?),
        Kind::NetworkPolicy => Object::NetworkPolicy(typed(root, value)?),
        Kind::ConfigMap => Object::ConfigMap(typed(root, value)?),
        Kind::Secret => Object::Secret(typed(root, value)?),
    })
}

fn decode_other(value: Value, api_version: String, kind: String) -> Result<OtherObject, DecodeFailure> {
    let metadata = match value.get("metadata") {
        // Decoded inside a stand-in root whose one field is `metadata`, so paths and messages start at the root.
        Some(meta) => {
            let wrapped = serde_json::json!({ "metadata": meta });
            typed::<MetadataOnly>(Root::Metadata, &wrapped)?.metadata
        }
        None => ObjectMeta::default(),
    };
    Ok(OtherObject { api_version, kind, metadata, raw: value })
}

/// The part of a kind knet does not type that it reads.
#[derive(serde::Deserialize)]
struct MetadataOnly {
    #[serde(default)]
    metadata: ObjectMeta,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(loaded: &Loaded) -> String {
        let mut out = String::new();
        for m in &loaded.manifests {
            out += &format!("{} {} {}\n", m.origin, m.object.kind_name(), m.object.name());
        }
        for e in &loaded.errors {
            out += &format!("error: {e}\n");
        }
        out
    }

    #[test]
    fn multi_document_yaml_keeps_document_lines() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# comment only\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n";
        expect_test::expect![[r#"
            f.yaml:1 Namespace a
            f.yaml:8 Service s
        "#]]
        .assert_eq(&summary(&load_str("f.yaml", text)));
    }

    #[test]
    fn syntax_error_reports_absolute_line() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: [\n";
        let loaded = load_str("f.yaml", text);
        assert_eq!(loaded.manifests.len(), 1);
        match &loaded.errors[..] {
            [LoadError::Syntax { line, .. }] => assert!(*line >= 7, "line {line}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn lists_and_typed_lists_are_flattened() {
        let text = r#"{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"p"}}]}
{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}"#;
        expect_test::expect![[r#"
            f.json:1 (items[0]) Pod p
            f.json:2 (items[0]) Service s
        "#]]
        .assert_eq(&summary(&load_str("f.json", text)));
    }

    #[test]
    fn unknown_kinds_are_kept_and_bad_fields_are_named() {
        let text = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: m\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: eighty\n---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n";
        expect_test::expect![[r#"
            f.yaml:1 ServiceMonitor m
            error: f.yaml:6: Service "bad": spec.ports[0].port: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32
            error: f.yaml:14: no matches for kind "Ingress" in version "extensions/v1beta1" (use apiVersion networking.k8s.io/v1)
        "#]]
        .assert_eq(&summary(&load_str("f.yaml", text)));
    }

    #[test]
    fn missing_kind_is_reported() {
        let loaded = load_str("f.yaml", "apiVersion: v1\nmetadata:\n  name: x\n");
        expect_test::expect![[r#"
            error: f.yaml:1: Object 'Kind' is missing or empty: kind is required
        "#]]
        .assert_eq(&summary(&loaded));
    }

    proptest::proptest! {
        #[test]
        fn loader_never_panics(text in "\\PC{0,200}") {
            let _ = load_str("fuzz.yaml", &text);
        }

        #[test]
        fn loader_never_panics_on_yamlish(text in "(apiVersion: v1\n|kind: (Pod|Service|List|NetworkPolicy)\n|---\n|items:\n|- |  |metadata:\n|name: x\n|spec:\n|ports:\n|port: 80\n|\\{|\\}|\\[|\\]|: |\"|'){0,40}") {
            let _ = load_str("fuzz.yaml", &text);
        }
    }
}
