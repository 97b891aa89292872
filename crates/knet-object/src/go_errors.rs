//! Decode errors in kube-apiserver's words: what Go's `encoding/json` (as forked by `sigs.k8s.io/json`) and the
//! custom unmarshalers of apimachinery say about a body that does not fit its Go type.
//!
//! knet decodes into k8s-openapi types with serde, whose messages (`invalid type: string "x", expected i32`) name
//! Rust types. kube-apiserver names Go types and the field's path from the object root:
//!
//! ```text
//! json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32
//!                        ^ JSON type                ^ innermost struct  ^ JSON path, no indices   ^ Go type
//! ```
//!
//! The Go names come from k8s-openapi's schemars schemas: `io.k8s.api.apps.v1.DeploymentSpec` is Go's
//! `v1.DeploymentSpec`, walked along the failing path; a small table adds the named string types (`v1.Protocol`,
//! `v1.ResourceList`, ...) that the OpenAPI schema flattens to `string`. Three apimachinery types decode
//! themselves and word their own errors: `IntOrString` (an int32 unless quoted), `Quantity` (its grammar) and
//! `Time` (RFC 3339). Byte fields (Secret `data`, ConfigMap `binaryData`) are base64 as Go's `encoding/base64`
//! reads it, newlines allowed: [`normalise`] checks them before serde sees them, so a value Go accepts is never
//! refused and a value Go refuses gets Go's `illegal base64 data at input byte N`.
//!
//! Everything here is total: any body, path and message give a non-empty message, never a panic.

use std::sync::OnceLock;

use k8s_openapi::schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

use crate::object::Kind;

/// The type a body is decoded into: a served kind, or only the `metadata` of a kind knet does not type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Kind(Kind),
    /// An object of another kind, whose `metadata` is decoded as an `ObjectMeta`.
    Metadata,
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// What Go's `ParseQuantity` says about text that is not a quantity (`resource.ErrFormatWrong`).
pub const QUANTITY_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// What Go's `ParseQuantity` says about an unknown suffix (`resource.ErrSuffix`).
pub const QUANTITY_SUFFIX: &str = "unable to parse quantity's suffix";

/// The message kube-apiserver gives when the value at `path` of `body` does not decode. `serde_message` is what
/// serde said; it is the answer only when the path leads nowhere the schema knows.
pub fn type_error(root: Root, body: &Value, path: &[Step], serde_message: &str) -> String {
    let schema = root_schema(root);
    let found = lookup(body, path);
    let mut at = Cursor::root(root, schema);
    let mut walked = 0;
    for step in path {
        match at.step(schema, step) {
            Some(next) => at = next,
            None => break,
        }
        walked += 1;
    }
    match found {
        // The schema ended before the path did (a kind knet does not model deeply): say what serde said, placed.
        Some(value) if walked == path.len() => at.message(value),
        _ if serde_message.is_empty() => "json: cannot unmarshal into Go value".to_owned(),
        _ => serde_message.to_owned(),
    }
}

/// Checks what Go checks and serde does not, in place: base64 byte fields are decoded as Go decodes them and
/// re-encoded canonically (so serde accepts them), quantities are parsed with Go's grammar. The first failure
/// is returned as (field path, kube-apiserver's message).
pub fn normalise(root: Root, body: &mut Value) -> Result<(), (String, String)> {
    let schema = root_schema(root);
    let at = Cursor::root(root, schema);
    let mut path = String::new();
    normalise_at(schema, &at, body, &mut path)
}

fn normalise_at(schema: &Value, at: &Cursor<'_>, value: &mut Value, path: &mut String) -> Result<(), (String, String)> {
    match (&at.shape, value) {
        (Shape::Bytes, Value::String(text)) => match go_base64(text.as_bytes()) {
            Ok(bytes) => {
                *text = encode_base64(&bytes);
                Ok(())
            }
            Err(offset) => Err((path.clone(), format!("illegal base64 data at input byte {offset}"))),
        },
        (Shape::Quantity, value @ (Value::String(_) | Value::Number(_))) => {
            let text = match value {
                Value::String(s) => s.trim().to_owned(),
                other => other.to_string(),
            };
            parse_quantity(&text).map_err(|message| (path.clone(), message.to_owned()))
        }
        (Shape::Struct | Shape::Map, Value::Object(map)) => {
            for (key, child) in map.iter_mut() {
                let Some(next) = at.step(schema, &Step::Key(key.clone())) else { continue };
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let result = normalise_at(schema, &next, child, path);
                path.truncate(len);
                result?;
            }
            Ok(())
        }
        (Shape::Slice, Value::Array(items)) => {
            for (index, child) in items.iter_mut().enumerate() {
                let Some(next) = at.step(schema, &Step::Index(index)) else { continue };
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                let result = normalise_at(schema, &next, child, path);
                path.truncate(len);
                result?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn lookup<'v>(body: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(body, |value, step| match step {
        Step::Key(key) => value.get(key.as_str()),
        Step::Index(index) => value.get(*index),
    })
}

/// How Go decodes a value of one type, which decides its error wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// An integer of this many bits.
    Int,
    Float,
    Bool,
    Str,
    /// `[]byte`, base64 in JSON.
    Bytes,
    IntOrString,
    Quantity,
    Time,
    Struct,
    Slice,
    Map,
    /// Anything goes (`RawExtension`, `FieldsV1`), or a schema knet does not know.
    Any,
}

/// A position in the Go type being decoded: the type there, and the error context Go keeps on the way (the
/// innermost struct and the JSON field names from the root, without list indices or map keys).
#[derive(Debug, Clone)]
struct Cursor<'s> {
    shape: Shape,
    /// Go's name of the type: `int32`, `[]v1.Container`, `map[string]string`, `v1.PodSpec`.
    go_name: String,
    /// The (resolved) schema of the type.
    schema: Option<&'s Value>,
    /// The innermost struct's bare name (`DeploymentSpec`) and the field path.
    parent: String,
    fields: Vec<String>,
}

impl<'s> Cursor<'s> {
    fn root(root: Root, schema: &'s Value) -> Cursor<'s> {
        // Kinds knet does not type are unstructured in kube-apiserver; `Object` only names the struct in messages.
        let go_name = match root {
            Root::Kind(kind) => format!("{}.{}", package(kind.api_version()), kind.name()),
            Root::Metadata => "unstructured.Object".to_owned(),
        };
        Cursor { shape: Shape::Struct, parent: bare_name(&go_name), go_name, schema: Some(schema), fields: Vec::new() }
    }

    /// The cursor one step further, or `None` when the step leaves what the schema describes.
    fn step(&self, root: &'s Value, step: &Step) -> Option<Cursor<'s>> {
        let schema = self.schema?;
        match (self.shape, step) {
            (Shape::Struct, Step::Key(key)) => {
                let field = schema.get("properties")?.get(key.as_str())?;
                let parent = bare_name(&self.go_name);
                let mut next = describe(root, field, named_type(&parent, key));
                next.parent = parent;
                next.fields = self.fields.clone();
                next.fields.push(key.clone());
                Some(next)
            }
            (Shape::Slice, Step::Index(_)) => {
                let elem_name = self.go_name.strip_prefix("[]").map(str::to_owned);
                Some(self.inherit(describe_owned(root, schema.get("items")?, elem_name)))
            }
            (Shape::Map, Step::Key(_)) => {
                Some(self.inherit(describe_owned(root, schema.get("additionalProperties")?, None)))
            }
            _ => None,
        }
    }

    /// A list element or map value keeps the struct context of its list or map, as Go's decoder does.
    fn inherit(&self, mut next: Cursor<'s>) -> Cursor<'s> {
        next.parent = self.parent.clone();
        next.fields = self.fields.clone();
        next
    }

    /// Go's message for `value` found where this cursor's type was expected.
    fn message(&self, value: &Value) -> String {
        match (self.shape, value) {
            (Shape::Bytes, Value::String(text)) => match go_base64(text.as_bytes()) {
                Err(offset) => format!("illegal base64 data at input byte {offset}"),
                Ok(_) => self.unmarshal(value, &self.go_name),
            },
            (Shape::Quantity, value) => {
                let text = match value {
                    Value::String(s) => s.trim().to_owned(),
                    other => other.to_string(),
                };
                parse_quantity(&text).err().unwrap_or(QUANTITY_FORMAT).to_owned()
            }
            // IntOrString unmarshals anything unquoted as an int32, and Time anything as a string first.
            (Shape::IntOrString, value) => self.unmarshal(value, "int32"),
            (Shape::Time, Value::String(text)) => time_error(text),
            (Shape::Time, value) => self.unmarshal(value, "string"),
            (_, value) => self.unmarshal(value, &self.go_name),
        }
    }

    /// Go's `UnmarshalTypeError` text, with the struct context when there is one.
    fn unmarshal(&self, value: &Value, go_type: &str) -> String {
        let found = match value {
            Value::Null => "null".to_owned(),
            Value::Bool(_) => "bool".to_owned(),
            // A number only names itself when it is a number that does not fit a numeric type.
            Value::Number(n) if matches!(self.shape, Shape::Int | Shape::Float | Shape::IntOrString) => {
                format!("number {n}")
            }
            Value::Number(_) => "number".to_owned(),
            Value::String(_) => "string".to_owned(),
            Value::Array(_) => "array".to_owned(),
            Value::Object(_) => "object".to_owned(),
        };
        if self.fields.is_empty() {
            format!("json: cannot unmarshal {found} into Go value of type {go_type}")
        } else {
            format!(
                "json: cannot unmarshal {found} into Go struct field {}.{} of type {go_type}",
                self.parent,
                self.fields.join(".")
            )
        }
    }
}

fn describe<'s>(root: &'s Value, schema: &'s Value, named: Option<&str>) -> Cursor<'s> {
    describe_owned(root, schema, named.map(str::to_owned))
}

/// The cursor for a value of `schema` (a `$ref` is resolved against `root`'s `$defs`); `named` is the Go name when
/// the table knows a named type the schema cannot say.
fn describe_owned<'s>(root: &'s Value, schema: &'s Value, named: Option<String>) -> Cursor<'s> {
    let cursor = |shape, go_name: String, schema| Cursor {
        shape,
        go_name: named.clone().unwrap_or(go_name),
        schema,
        parent: String::new(),
        fields: Vec::new(),
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        let resolved = root.get("$defs").and_then(|defs| defs.get(name));
        let go_name = go_type_name(name);
        return match name {
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => cursor(Shape::IntOrString, go_name, resolved),
            "io.k8s.apimachinery.pkg.api.resource.Quantity" => cursor(Shape::Quantity, go_name, resolved),
            "io.k8s.apimachinery.pkg.apis.meta.v1.Time" | "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => {
                cursor(Shape::Time, go_name, resolved)
            }
            _ => match resolved {
                Some(def) if def.get("properties").is_some() => cursor(Shape::Struct, go_name, Some(def)),
                Some(def) if def.get("type").is_some() => describe_owned(root, def, Some(go_name)),
                _ => cursor(Shape::Any, go_name, resolved),
            },
        };
    }
    let format = schema.get("format").and_then(Value::as_str).unwrap_or_default();
    match schema.get("type").and_then(Value::as_str).unwrap_or_default() {
        "integer" => cursor(Shape::Int, if format == "int32" { "int32" } else { "int64" }.to_owned(), Some(schema)),
        "number" => cursor(Shape::Float, "float64".to_owned(), Some(schema)),
        "boolean" => cursor(Shape::Bool, "bool".to_owned(), Some(schema)),
        "string" if format == "byte" => cursor(Shape::Bytes, "[]uint8".to_owned(), Some(schema)),
        "string" => cursor(Shape::Str, "string".to_owned(), Some(schema)),
        "array" => {
            let elem = schema.get("items").map(|items| describe_owned(root, items, None).go_name);
            cursor(Shape::Slice, format!("[]{}", elem.unwrap_or_else(|| "interface {}".to_owned())), Some(schema))
        }
        "object" if schema.get("additionalProperties").is_some_and(Value::is_object) => {
            let elem = schema.get("additionalProperties").map(|v| describe_owned(root, v, None).go_name);
            let elem = elem.unwrap_or_else(|| "interface {}".to_owned());
            cursor(Shape::Map, format!("map[string]{elem}"), Some(schema))
        }
        "object" if schema.get("properties").is_some() => cursor(Shape::Struct, "struct".to_owned(), Some(schema)),
        _ => cursor(Shape::Any, "interface {}".to_owned(), Some(schema)),
    }
}

/// `io.k8s.api.apps.v1.DeploymentSpec` → `v1.DeploymentSpec`, as Go's `reflect.Type.String` names it.
fn go_type_name(schema_name: &str) -> String {
    let mut parts = schema_name.rsplit('.');
    let name = parts.next().unwrap_or_default();
    match parts.next() {
        Some(package) => format!("{package}.{name}"),
        None => name.to_owned(),
    }
}

/// `v1.DeploymentSpec` → `DeploymentSpec`, the struct name Go's error context carries.
fn bare_name(go_name: &str) -> String {
    go_name.rsplit('.').next().unwrap_or(go_name).to_owned()
}

/// The Go package name of an `apiVersion`: its version (`apps/v1` → `v1`).
fn package(api_version: &str) -> &str {
    api_version.rsplit('/').next().unwrap_or(api_version)
}

/// The named Go types that the OpenAPI schema flattens to `string`, a list or a map: Go's messages name them.
fn named_type(parent: &str, field: &str) -> Option<&'static str> {
    Some(match (parent, field) {
        ("ServicePort" | "ContainerPort" | "EndpointPort" | "NetworkPolicyPort", "protocol") => "v1.Protocol",
        ("Container" | "EphemeralContainer", "imagePullPolicy") => "v1.PullPolicy",
        ("Container" | "EphemeralContainer", "terminationMessagePolicy") => "v1.TerminationMessagePolicy",
        ("Container" | "EphemeralContainer", "restartPolicy") => "v1.ContainerRestartPolicy",
        ("PodSpec", "restartPolicy") => "v1.RestartPolicy",
        ("PodSpec", "dnsPolicy") => "v1.DNSPolicy",
        ("PodSpec", "preemptionPolicy") => "v1.PreemptionPolicy",
        ("PodStatus", "phase") => "v1.PodPhase",
        ("PodStatus", "qosClass") => "v1.PodQOSClass",
        ("ServiceSpec", "type") => "v1.ServiceType",
        ("ServiceSpec", "sessionAffinity") => "v1.ServiceAffinity",
        ("ServiceSpec", "externalTrafficPolicy") => "v1.ServiceExternalTrafficPolicy",
        ("ServiceSpec", "internalTrafficPolicy") => "v1.ServiceInternalTrafficPolicy",
        ("ServiceSpec", "ipFamilies") => "[]v1.IPFamily",
        ("ServiceSpec", "ipFamilyPolicy") => "v1.IPFamilyPolicy",
        ("ResourceRequirements" | "VolumeResourceRequirements", "limits" | "requests") => "v1.ResourceList",
        ("DeploymentStrategy", "type") => "v1.DeploymentStrategyType",
        ("StatefulSetSpec", "podManagementPolicy") => "v1.PodManagementPolicyType",
        ("StatefulSetUpdateStrategy", "type") => "v1.StatefulSetUpdateStrategyType",
        ("DaemonSetUpdateStrategy", "type") => "v1.DaemonSetUpdateStrategyType",
        ("NetworkPolicySpec", "policyTypes") => "[]v1.PolicyType",
        ("CronJobSpec", "concurrencyPolicy") => "v1.ConcurrencyPolicy",
        ("JobSpec", "completionMode") => "v1.CompletionMode",
        ("Secret", "type") => "v1.SecretType",
        ("HTTPIngressPath", "pathType") => "v1.PathType",
        ("EndpointSlice", "addressType") => "v1.AddressType",
        ("NamespaceSpec", "finalizers") => "[]v1.FinalizerName",
        ("NamespaceStatus", "phase") => "v1.NamespacePhase",
        ("Toleration", "operator") => "v1.TolerationOperator",
        ("Toleration" | "Taint", "effect") => "v1.TaintEffect",
        ("LabelSelectorRequirement", "operator") => "v1.LabelSelectorOperator",
        ("NodeSelectorRequirement", "operator") => "v1.NodeSelectorOperator",
        ("Capabilities", "add" | "drop") => "[]v1.Capability",
        ("ObjectMeta" | "OwnerReference", "uid") => "types.UID",
        ("HostPathVolumeSource", "type") => "v1.HostPathType",
        ("EmptyDirVolumeSource", "medium") => "v1.StorageMedium",
        ("PersistentVolumeClaimSpec", "accessModes") => "[]v1.PersistentVolumeAccessMode",
        _ => return None,
    })
}

/// The JSON schema of each root type, generated once from k8s-openapi (descriptions and all; it is only read).
fn root_schema(root: Root) -> &'static Value {
    static SCHEMAS: [OnceLock<Value>; 17] = [const { OnceLock::new() }; 17];
    let index = match root {
        Root::Kind(kind) => Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0),
        Root::Metadata => 16,
    };
    SCHEMAS[index.min(16)].get_or_init(|| {
        use k8s_openapi::api::{apps, batch, core, discovery, networking};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
        match root {
            Root::Metadata => metadata_only(schema_of::<ObjectMeta>()),
            Root::Kind(kind) => match kind {
                Kind::Namespace => schema_of::<core::v1::Namespace>(),
                Kind::Pod => schema_of::<core::v1::Pod>(),
                Kind::Deployment => schema_of::<apps::v1::Deployment>(),
                Kind::ReplicaSet => schema_of::<apps::v1::ReplicaSet>(),
                Kind::StatefulSet => schema_of::<apps::v1::StatefulSet>(),
                Kind::DaemonSet => schema_of::<apps::v1::DaemonSet>(),
                Kind::Job => schema_of::<batch::v1::Job>(),
                Kind::CronJob => schema_of::<batch::v1::CronJob>(),
                Kind::Service => schema_of::<core::v1::Service>(),
                Kind::Endpoints => schema_of::<core::v1::Endpoints>(),
                Kind::EndpointSlice => schema_of::<discovery::v1::EndpointSlice>(),
                Kind::Ingress => schema_of::<networking::v1::Ingress>(),
                Kind::IngressClass => schema_of::<networking::v1::IngressClass>(),
                Kind::NetworkPolicy => schema_of::<networking::v1::NetworkPolicy>(),
                Kind::ConfigMap => schema_of::<core::v1::ConfigMap>(),
                Kind::Secret => schema_of::<core::v1::Secret>(),
            },
        }
    })
}

fn schema_of<T: JsonSchema>() -> Value {
    SchemaGenerator::default().into_root_schema_for::<T>().to_value()
}

/// A root whose only known field is `metadata`, an `ObjectMeta`: how knet decodes kinds it does not type.
fn metadata_only(meta: Value) -> Value {
    let mut root = serde_json::json!({ "type": "object", "properties": { "metadata": {
        "$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" } } });
    let mut defs = meta.get("$defs").cloned().unwrap_or_else(|| serde_json::json!({}));
    let mut own = meta;
    if let Some(map) = own.as_object_mut() {
        map.remove("$defs");
        map.remove("$schema");
    }
    if let Some(defs) = defs.as_object_mut() {
        defs.insert("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".to_owned(), own);
    }
    root["$defs"] = defs;
    root
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, `\r` and `\n` ignored anywhere. The error is
/// the byte offset Go's `CorruptInputError` reports.
pub fn go_base64(src: &[u8]) -> Result<Vec<u8>, usize> {
    fn decode(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let skip_newlines = |mut si: usize| {
        while si < src.len() && matches!(src[si], b'\n' | b'\r') {
            si += 1;
        }
        si
    };
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    // One `decodeQuantum` per iteration: four symbols (or the padded end) into up to three bytes.
    while si < src.len() {
        let mut quantum = [0u8; 4];
        let mut len = 4;
        let mut j = 0;
        let mut trailing_garbage = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // Padding is required: a quantum cut short is corrupt where it started.
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(bits) = decode(c) {
                quantum[j] = bits;
                j += 1;
                continue;
            }
            if matches!(c, b'\n' | b'\r') {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            // Padding: only after two or three symbols, and "==" after two.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    si = skip_newlines(si);
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            si = skip_newlines(si);
            if si < src.len() {
                trailing_garbage = Some(si);
            }
            len = j;
            break;
        }
        let value = (u32::from(quantum[0]) << 18)
            | (u32::from(quantum[1]) << 12)
            | (u32::from(quantum[2]) << 6)
            | u32::from(quantum[3]);
        let bytes = [(value >> 16) as u8, (value >> 8) as u8, value as u8];
        out.extend_from_slice(&bytes[..len - 1]);
        if let Some(offset) = trailing_garbage {
            return Err(offset);
        }
    }
    Ok(out)
}

/// Standard, padded base64: the form serde's byte strings accept.
fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `resource.ParseQuantity`, as far as accepting or refusing goes, with its error text.
pub fn parse_quantity(text: &str) -> Result<(), &'static str> {
    let s = text.as_bytes();
    if s.is_empty() {
        return Err(QUANTITY_FORMAT);
    }
    let digits = |mut i: usize| {
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut pos = usize::from(matches!(s[0], b'+' | b'-'));
    pos = digits(pos);
    if pos < s.len() && s[pos] == b'.' {
        pos = digits(pos + 1);
    }
    let suffix_start = pos;
    while pos < s.len() && b"eEinumkKMGTP".contains(&s[pos]) {
        pos += 1;
    }
    if pos < s.len() && matches!(s[pos], b'+' | b'-') {
        pos += 1;
    }
    if digits(pos) != s.len() {
        return Err(QUANTITY_FORMAT);
    }
    let suffix = &text[suffix_start..];
    let known =
        matches!(
            suffix,
            "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
        ) || (suffix.len() > 1 && matches!(suffix.as_bytes()[0], b'e' | b'E') && suffix[1..].parse::<i32>().is_ok());
    if known { Ok(()) } else { Err(QUANTITY_SUFFIX) }
}

/// One element of Go's RFC 3339 layout, and how many bytes of the rest of the text it accepts, if any.
type LayoutElement = (&'static str, fn(&str) -> Option<usize>);

/// Go's `time.Parse(time.RFC3339, text)` error for text it refuses, naming the first layout element that failed.
fn time_error(text: &str) -> String {
    const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";
    let elements: [LayoutElement; 12] = [
        ("2006", |r| fixed_digits(r, 4)),
        ("-", |r| r.starts_with('-').then_some(1)),
        ("01", |r| fixed_digits(r, 2)),
        ("-", |r| r.starts_with('-').then_some(1)),
        ("02", |r| fixed_digits(r, 2)),
        ("T", |r| r.starts_with('T').then_some(1)),
        ("15", |r| fixed_digits(r, 2)),
        (":", |r| r.starts_with(':').then_some(1)),
        ("04", |r| fixed_digits(r, 2)),
        (":", |r| r.starts_with(':').then_some(1)),
        ("05", |r| {
            let seconds = fixed_digits(r, 2)?;
            let bytes = r.as_bytes();
            let fraction = if bytes.get(2) == Some(&b'.') {
                1 + bytes[3..].iter().take_while(|b| b.is_ascii_digit()).count()
            } else {
                0
            };
            Some(seconds + fraction)
        }),
        ("Z07:00", |r| {
            if r.starts_with('Z') {
                return Some(1);
            }
            let b = r.as_bytes();
            let ok = b.len() >= 6
                && matches!(b[0], b'+' | b'-')
                && b[1..3].iter().all(u8::is_ascii_digit)
                && b[3] == b':'
                && b[4..6].iter().all(u8::is_ascii_digit);
            ok.then_some(6)
        }),
    ];
    let quoted = go_quote(text);
    let mut rest = text;
    for (element, accept) in elements {
        match accept(rest) {
            Some(n) => rest = rest.get(n..).unwrap_or_default(),
            None => {
                return format!(
                    "parsing time {quoted} as \"{LAYOUT}\": cannot parse {} as \"{element}\"",
                    go_quote(rest)
                );
            }
        }
    }
    if rest.is_empty() {
        // The shape is right, so a value is out of range (month 13, hour 25, ...).
        format!("parsing time {quoted}: value out of range")
    } else {
        format!("parsing time {quoted}: extra text: {}", go_quote(rest))
    }
}

fn fixed_digits(rest: &str, n: usize) -> Option<usize> {
    (rest.len() >= n && rest.as_bytes()[..n].iter().all(u8::is_ascii_digit)).then_some(n)
}

/// Go's `%q` for the text kube quotes, close enough for error messages: JSON string escaping.
fn go_quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

#[cfg(test)]
mod tests;
