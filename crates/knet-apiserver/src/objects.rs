//! Admission of an object into the store, as kube-apiserver's decoding and REST strategies do it: the body decoded
//! (JSON, YAML or protobuf), its type checked against the URL, decoded into its typed form by `knet-object` (unknown
//! fields found on the way, for `fieldValidation`), defaulted and validated (422 with field causes), and the system
//! metadata set: `uid`, `creationTimestamp`, `generation`, the kind's initial status, `managedFields`.
//!
//! ```text
//!  body --decode_body--> JSON (+ duplicate keys) --check_type--> --typed round trip--> unknown fields
//!       (duplicates and unknown fields: Strict 400, Warn header)
//!       --defaults::apply--> --validate--> 422 | --for_create / for_update--> object to store
//! ```

use knet_apimachinery::negotiate::BodyFormat;
use knet_apimachinery::patch;
use knet_apimachinery::protobuf;
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::status::{self, Status};
use knet_object::{FieldError, Object, defaults, load_str, validate};
use serde_json::{Map, Value, json};

use crate::util;

/// Resources whose objects carry a `metadata.generation` that changes with their spec.
const GENERATION_RESOURCES: &[&str] =
    &["deployments", "replicasets", "endpointslices", "ingresses", "ingressclasses", "networkpolicies"];

/// What `fieldValidation` asks of unknown fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Refuse the request (400) naming the fields.
    Strict,
    /// Accept and drop them, with a `Warning` header per field (kube-apiserver's default).
    Warn,
    /// Accept and drop them silently.
    Ignore,
}

impl FieldValidation {
    /// Reads the `fieldValidation` query parameter.
    pub fn from_query(value: Option<&str>) -> Result<FieldValidation, Status> {
        match value.unwrap_or("") {
            "" | "Warn" => Ok(FieldValidation::Warn),
            "Strict" => Ok(FieldValidation::Strict),
            "Ignore" => Ok(FieldValidation::Ignore),
            other => Err(status::bad_request(format!(
                "fieldValidation parameter unsupported: {other}. Must be one of: Ignore, Warn, Strict"
            ))),
        }
    }
}

/// Decodes a create or update body in the format its `Content-Type` names into a JSON object.
pub fn decode_body(format: &BodyFormat, body: &[u8]) -> Result<Value, Status> {
    decode_body_noting_duplicates(format, body).map(|(value, _)| value)
}

/// Duplicate keys of a request body, for `fieldValidation`. kube-apiserver reports them in three forms: by path
/// from the root for a JSON create or update body (`duplicate field "spec.paused"`, among the unknown fields in
/// document order), as go-yaml's list for a YAML body (`line 5: key "name" already set in map`, before the
/// unknown fields), and by path for a patch body, before the unknown fields of the patched object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Duplicates {
    form: DuplicateForm,
    /// Paths (`Body`), go-yaml lines (`Yaml`) or whole messages (`Patch`).
    found: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum DuplicateForm {
    #[default]
    Body,
    Yaml,
    Patch,
}

impl Duplicates {
    /// The duplicate keys of a merge or strategic merge patch, by path (`spec.paused`).
    pub fn of_patch(paths: Vec<String>) -> Duplicates {
        let found = paths.into_iter().map(|p| format!("duplicate field {p:?}")).collect();
        Duplicates { form: DuplicateForm::Patch, found }
    }

    /// The duplicate keys of a JSON patch's operations (`[1].path`); duplicates inside an operation's `value`
    /// are not reported, as kube-apiserver's JSON patch library drops them.
    pub fn of_json_patch(paths: Vec<String>) -> Duplicates {
        let found = paths
            .into_iter()
            .filter(|p| p.starts_with('[') && p.matches('.').count() == 1 && !p.contains("]["))
            .map(|p| format!("json patch duplicate field {p:?}"))
            .collect();
        Duplicates { form: DuplicateForm::Patch, found }
    }
}

/// Decodes a body like [`decode_body`], noting its duplicate keys (protobuf has none).
pub fn decode_body_noting_duplicates(format: &BodyFormat, body: &[u8]) -> Result<(Value, Duplicates), Status> {
    let (value, duplicates) = match format {
        BodyFormat::Json => {
            let parsed = knet_object::strict::json(body)
                .map_err(|e| status::bad_request(format!("the request body is not valid JSON: {e}")))?;
            (parsed.value, Duplicates { form: DuplicateForm::Body, found: parsed.duplicates })
        }
        BodyFormat::Yaml => {
            let text = std::str::from_utf8(body).map_err(|_| status::bad_request("the YAML body is not UTF-8"))?;
            let (value, duplicates) = knet_object::strict::yaml(text)
                .map_err(|e| status::bad_request(format!("the request body is not valid YAML: {e}")))?;
            let found = duplicates.iter().map(ToString::to_string).collect();
            (value, Duplicates { form: DuplicateForm::Yaml, found })
        }
        BodyFormat::Protobuf => (
            protobuf::decode(body).map_err(|e| match e.status_code() {
                415 => {
                    let mut status = status::unsupported_media_type(status::BODY_MEDIA_TYPES);
                    status.message = e.to_string();
                    status
                }
                _ => status::bad_request(e.to_string()),
            })?,
            Duplicates::default(),
        ),
        _ => return Err(status::unsupported_media_type(status::BODY_MEDIA_TYPES)),
    };
    if !value.is_object() {
        return Err(status::bad_request("the request body must be a JSON object"));
    }
    Ok((value, duplicates))
}

/// Checks `apiVersion` and `kind` against the resource of the URL, filling them in when the body leaves them out.
pub fn check_type(resource: &ResourceType, value: &mut Value) -> Result<(), Status> {
    let Some(object) = value.as_object_mut() else {
        return Err(status::bad_request("the request body must be a JSON object"));
    };
    let expected_version = resource.api_version();
    match object.get("apiVersion").and_then(Value::as_str).filter(|v| !v.is_empty()) {
        Some(version) if version != expected_version => {
            return Err(status::bad_request(format!(
                "the API version in the data ({version}) does not match the expected API version ({expected_version})"
            )));
        }
        Some(_) => {}
        None => {
            object.insert("apiVersion".to_owned(), json!(expected_version));
        }
    }
    match object.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty()) {
        Some(kind) if kind != resource.kind => Err(status::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({}) of {}",
            resource.kind,
            resource.qualified_plural()
        ))),
        Some(_) => Ok(()),
        None => {
            object.insert("kind".to_owned(), json!(resource.kind));
            Ok(())
        }
    }
}

/// The outcome of admission: the object to store and the warnings to send.
#[derive(Debug)]
pub struct Admitted {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// [`admit_with`] for a body without duplicate keys (the unit tests' entry point).
#[cfg(test)]
pub fn admit(resource: &ResourceType, value: Value, validation: FieldValidation) -> Result<Admitted, Status> {
    admit_with(resource, value, validation, &Duplicates::default())
}

/// Decodes `value` into its typed form, applies `fieldValidation` to its unknown fields and to the `duplicates`
/// its body had, defaults and validates it. Kinds `knet-object` does not type (Node, ServiceAccount, Event) pass
/// through unchanged.
pub fn admit_with(
    resource: &ResourceType,
    value: Value,
    validation: FieldValidation,
    duplicates: &Duplicates,
) -> Result<Admitted, Status> {
    let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_owned();
    let cannot_handle = |detail: String| {
        status::bad_request(format!(
            "{kind} in version {version:?} cannot be handled as a {kind}: {detail}",
            kind = resource.kind,
            version = resource.version
        ))
    };
    let text = value.to_string();
    let mut loaded = load_str("request", &text);
    if let Some(error) = loaded.errors.pop() {
        // The message is Go's already (`json: cannot unmarshal ...`); kube-apiserver does not repeat the field.
        let detail = match error {
            knet_object::LoadError::Decode { message, .. } => message,
            other => other.to_string(),
        };
        return Err(cannot_handle(detail));
    }
    let Some(manifest) = loaded.manifests.pop().filter(|_| loaded.manifests.is_empty()) else {
        return Err(cannot_handle("expected exactly one object".to_owned()));
    };
    let mut object = manifest.object;
    let mut unknown = Vec::new();
    if let Object::Other(other) = &object {
        let errors = other_metadata_errors(&other.metadata);
        if !errors.is_empty() {
            return Err(status::invalid(resource.kind, resource.group, &name, &errors));
        }
    } else {
        let round_trip = to_value(&object);
        unknown_fields(&value, &round_trip, "", &mut unknown);
    }
    let (warnings, refusal) = strict_errors(&unknown, duplicates);
    let warnings = match validation {
        FieldValidation::Strict if !warnings.is_empty() => return Err(cannot_handle(refusal)),
        FieldValidation::Warn => warnings,
        _ => Vec::new(),
    };
    if let Object::Other(_) = &object {
        return Ok(Admitted { object: value, warnings });
    }
    defaults::apply(&mut object);
    let errors = validate(&object);
    if !errors.is_empty() {
        return Err(status::invalid(resource.kind, resource.group, &name, &errors));
    }
    let mut object = to_value(&object);
    if resource.plural == "secrets" {
        merge_string_data(&mut object);
    }
    Ok(Admitted { object, warnings })
}

/// The strict decoding errors of a body, one warning each, and the whole `strict decoding error: ...` text that
/// refuses it under `Strict`, in kube-apiserver's order (see [`Duplicates`]).
fn strict_errors(unknown: &[String], duplicates: &Duplicates) -> (Vec<String>, String) {
    let unknown_messages = unknown.iter().map(|f| format!("unknown field {f:?}"));
    match duplicates.form {
        DuplicateForm::Body => {
            // A field both unknown and repeated is reported once, as unknown, as for kube's typed decoding.
            let under_unknown = |path: &str| {
                unknown.iter().any(|u| {
                    path.strip_prefix(u.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
                })
            };
            let mut entries: Vec<(&str, String)> =
                unknown.iter().map(|f| (f.as_str(), format!("unknown field {f:?}"))).collect();
            entries.extend(
                duplicates
                    .found
                    .iter()
                    .filter(|p| !under_unknown(p))
                    .map(|p| (p.as_str(), format!("duplicate field {p:?}"))),
            );
            // kube lists them in document order; knet's parsed body keeps keys sorted, which is the order of the
            // bodies kubectl sends (it re-marshals from a map), so sorted paths stand for document order.
            entries.sort_by(|a, b| path_order(a.0, b.0));
            let messages: Vec<String> = entries.into_iter().map(|(_, m)| m).collect();
            let refusal = format!("strict decoding error: {}", messages.join(", "));
            (messages, refusal)
        }
        DuplicateForm::Yaml => {
            let mut warnings = duplicates.found.clone();
            let unknown: Vec<String> = unknown_messages.collect();
            warnings.extend(unknown.iter().cloned());
            let mut parts = Vec::new();
            if !duplicates.found.is_empty() {
                parts.push(format!("yaml: unmarshal errors:\n  {}", duplicates.found.join("\n  ")));
            }
            parts.extend(unknown);
            (warnings, format!("strict decoding error: {}", parts.join(", ")))
        }
        DuplicateForm::Patch => {
            let warnings: Vec<String> = duplicates.found.iter().cloned().chain(unknown_messages).collect();
            let refusal = format!("strict decoding error: {}", warnings.join(", "));
            (warnings, refusal)
        }
    }
}

/// Orders field paths as a walk of the object visits them: by key at each level, list indices by number.
fn path_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn segments(path: &str) -> Vec<(&str, usize)> {
        path.split(['.', '['])
            .map(|s| match s.strip_suffix(']').and_then(|n| n.parse().ok()) {
                Some(index) => ("", index),
                None => (s, 0),
            })
            .collect()
    }
    segments(a).cmp(&segments(b))
}

/// The metadata checks every kind shares (`ValidateObjectMeta`: the name a DNS subdomain, labels and annotations
/// well-formed), for the kinds `knet-object` does not type: Node, ServiceAccount and Event names are DNS subdomains,
/// as ConfigMap names are, so a ConfigMap with the same metadata is validated and its metadata errors kept.
fn other_metadata_errors(metadata: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Vec<FieldError> {
    let mut metadata = metadata.clone();
    // A cluster-scoped Node has no namespace; the stand-in needs one, and namespace errors are not the Node's.
    if metadata.namespace.as_deref().is_none_or(str::is_empty) {
        metadata.namespace = Some("default".to_owned());
    }
    let stand_in = Object::ConfigMap(k8s_openapi::api::core::v1::ConfigMap { metadata, ..Default::default() });
    validate(&stand_in).into_iter().filter(|e| e.field != "metadata.namespace").collect()
}

/// The JSON of a typed object, `apiVersion` and `kind` included.
fn to_value(object: &Object) -> Value {
    let value = match object {
        Object::Namespace(o) => serde_json::to_value(o),
        Object::Pod(o) => serde_json::to_value(o),
        Object::Deployment(o) => serde_json::to_value(o),
        Object::ReplicaSet(o) => serde_json::to_value(o),
        Object::StatefulSet(o) => serde_json::to_value(o),
        Object::DaemonSet(o) => serde_json::to_value(o),
        Object::Job(o) => serde_json::to_value(o),
        Object::CronJob(o) => serde_json::to_value(o),
        Object::Service(o) => serde_json::to_value(o),
        Object::Endpoints(o) => serde_json::to_value(o),
        Object::EndpointSlice(o) => serde_json::to_value(o),
        Object::Ingress(o) => serde_json::to_value(o),
        Object::IngressClass(o) => serde_json::to_value(o),
        Object::NetworkPolicy(o) => serde_json::to_value(o),
        Object::ConfigMap(o) => serde_json::to_value(o),
        Object::Secret(o) => serde_json::to_value(o),
        Object::Other(o) => Ok(o.raw.clone()),
    };
    // Serializing k8s-openapi values into a JSON value cannot fail: every map key is a string.
    value.unwrap_or(Value::Null)
}

/// The fields of `input` that the typed round trip dropped, as kube-apiserver names them (`spec.ports[0].foo`).
fn unknown_fields(input: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (input, typed) {
        (Value::Object(input), Value::Object(typed)) => {
            for (key, value) in input {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match typed.get(key) {
                    Some(typed_value) => unknown_fields(value, typed_value, &child, out),
                    None if !value.is_null() => out.push(child),
                    None => {}
                }
            }
        }
        (Value::Array(input), Value::Array(typed)) => {
            for (index, (value, typed_value)) in input.iter().zip(typed).enumerate() {
                unknown_fields(value, typed_value, &format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}

/// `stringData` is write-only: kube-apiserver merges it into `data` (base64) and drops it.
fn merge_string_data(secret: &mut Value) {
    let Some(object) = secret.as_object_mut() else { return };
    let Some(Value::Object(string_data)) = object.remove("stringData") else { return };
    let data = object.entry("data").or_insert_with(|| json!({}));
    if let Value::Object(data) = data {
        for (key, value) in string_data {
            let text = value.as_str().unwrap_or_default();
            data.insert(key, json!(protobuf::base64::encode(text.as_bytes())));
        }
    }
}

/// The `metadata` map of an object, created if missing (a `metadata` that is not a map is replaced); 400 if the
/// The stored `metadata.resourceVersion` of an object, as a number.
pub fn resource_version(object: &Value) -> Option<u64> {
    object.pointer("/metadata/resourceVersion").and_then(Value::as_str).and_then(|rv| rv.parse().ok())
}

/// Marks an object as being deleted: `deletionTimestamp` `grace` seconds after `now`, and the grace period itself.
pub fn mark_deleting(object: &mut Value, now: i64, grace: i64) {
    object["metadata"]["deletionTimestamp"] = json!(util::rfc3339(now + grace));
    object["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
}

/// object is not a JSON object.
pub fn metadata_mut(object: &mut Value) -> Result<&mut Map<String, Value>, Status> {
    let not_an_object = || status::bad_request("the object must be a JSON object");
    let metadata = object.as_object_mut().ok_or_else(not_an_object)?.entry("metadata").or_insert_with(|| json!({}));
    if !metadata.is_object() {
        *metadata = json!({});
    }
    metadata.as_object_mut().ok_or_else(not_an_object)
}

/// Sets the name (from `generateName` if needed) and the namespace of an object about to be created, checking the
/// namespace in the body against the URL's.
pub fn name_and_namespace(
    resource: &ResourceType,
    url_namespace: Option<&str>,
    object: &mut Value,
) -> Result<(), Status> {
    let metadata = metadata_mut(object)?;
    if resource.namespaced {
        let body_namespace = metadata.get("namespace").and_then(Value::as_str).unwrap_or("").to_owned();
        match url_namespace {
            Some(url) if body_namespace.is_empty() => {
                metadata.insert("namespace".to_owned(), json!(url));
            }
            Some(url) if body_namespace != url => return Err(status::namespace_mismatch()),
            Some(_) => {}
            None => return Err(status::bad_request("the namespace of the provided object is missing from the URL")),
        }
    } else {
        metadata.remove("namespace");
    }
    let name = metadata.get("name").and_then(Value::as_str).unwrap_or("");
    let generate = metadata.get("generateName").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() && !generate.is_empty() {
        let name = format!("{generate}{}", random_suffix());
        metadata.insert("name".to_owned(), json!(name));
    }
    Ok(())
}

/// Five characters from kube's `utilrand.String` alphabet (no vowels, no confusable characters).
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = util::random_bytes(5).unwrap_or_else(|_| util::now_unix().to_le_bytes()[..5].to_vec());
    bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

/// System metadata and initial status of a created object: `uid`, `creationTimestamp`, `generation`, status reset
/// as the kind's strategy resets it, `managedFields` for `manager` (`None`: already
/// computed).
pub fn for_create(
    resource: &ResourceType,
    mut object: Value,
    manager: Option<&str>,
    now: i64,
) -> Result<Value, Status> {
    let uid = util::uuid_v4().map_err(|e| status::internal_error(&format!("generating a uid: {e}")))?;
    let metadata = metadata_mut(&mut object)?;
    if metadata.get("resourceVersion").and_then(Value::as_str).is_some_and(|rv| !rv.is_empty()) {
        return Err(status::internal_error("resourceVersion should not be set on objects to be created"));
    }
    metadata.remove("resourceVersion");
    metadata.remove("deletionTimestamp");
    metadata.remove("deletionGracePeriodSeconds");
    metadata.insert("uid".to_owned(), json!(uid));
    metadata.insert("creationTimestamp".to_owned(), json!(util::rfc3339(now)));
    if GENERATION_RESOURCES.contains(&resource.plural) {
        metadata.insert("generation".to_owned(), json!(1));
    } else {
        metadata.remove("generation");
    }
    initial_status(resource, &mut object);
    track(resource, None, object, manager, None, now)
}

fn initial_status(resource: &ResourceType, object: &mut Value) {
    let Some(map) = object.as_object_mut() else { return };
    match resource.plural {
        "namespaces" => {
            map.insert("status".to_owned(), json!({ "phase": "Active" }));
            let spec = map.entry("spec").or_insert_with(|| json!({}));
            if spec.get("finalizers").is_none() {
                spec["finalizers"] = json!(["kubernetes"]);
            }
        }
        "pods" => {
            if let Some(spec) = map.get_mut("spec").and_then(Value::as_object_mut) {
                pod_admission(spec);
            }
            let qos = pod_qos(map.get("spec").unwrap_or(&Value::Null));
            map.insert("status".to_owned(), json!({ "phase": "Pending", "qosClass": qos }));
        }
        "services" => {
            map.insert("status".to_owned(), json!({ "loadBalancer": {} }));
        }
        "nodes" => {}
        _ if resource.subresources.contains(&"status") => {
            map.remove("status");
        }
        _ => {}
    }
}

/// What kube-apiserver's default admission plugins add to a new pod: the `default` ServiceAccount
/// (ServiceAccount), priority 0 (Priority), and five minutes of tolerance for a not-ready or unreachable node
/// (DefaultTolerationSeconds).
fn pod_admission(spec: &mut serde_json::Map<String, Value>) {
    let account = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .unwrap_or("default")
        .to_owned();
    spec.insert("serviceAccountName".to_owned(), json!(account));
    spec.insert("serviceAccount".to_owned(), json!(account));
    spec.entry("priority").or_insert(json!(0));
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    if let Some(list) = tolerations.as_array_mut() {
        for taint in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
            // A toleration of that key, or of every key, with effect NoExecute or every effect, already covers it.
            let text = |t: &Value, field: &str| t.get(field).and_then(Value::as_str).unwrap_or("").to_owned();
            let covered = list.iter().any(|t| {
                let key = text(t, "key");
                (key.is_empty() || key == taint) && matches!(text(t, "effect").as_str(), "" | "NoExecute")
            });
            if !covered {
                list.push(
                    json!({ "key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 }),
                );
            }
        }
    }
}

/// `GetPodQOS`: Guaranteed when every container limits and requests cpu and memory equally, BestEffort when none
/// asks for anything, else Burstable.
fn pod_qos(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    let resources =
        |c: &Value, kind: &str| c.pointer(&format!("/resources/{kind}")).and_then(Value::as_object).cloned();
    let any = containers.iter().any(|c| {
        resources(c, "requests").is_some_and(|r| !r.is_empty()) || resources(c, "limits").is_some_and(|l| !l.is_empty())
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        let limits = resources(c, "limits").unwrap_or_default();
        let requests = resources(c, "requests").unwrap_or_else(|| limits.clone());
        ["cpu", "memory"].iter().all(|r| limits.get(*r).is_some() && limits.get(*r) == requests.get(*r))
    });
    if guaranteed { "Guaranteed" } else { "Burstable" }
}

/// The object to store for an update of `old` by `new` through the main resource (`subresource` `None`) or
/// `status`: the other half is kept from `old`, as are the system fields; `generation` moves when the spec
/// changed. `new` has been admitted already.
pub fn for_update(
    resource: &ResourceType,
    old: &Value,
    new: Value,
    subresource: Option<&str>,
    manager: Option<&str>,
    now: i64,
) -> Result<Value, Status> {
    let mut object = if subresource == Some("status") {
        let mut object = old.clone();
        match new.get("status") {
            Some(status) => object["status"] = status.clone(),
            None => {
                if let Some(map) = object.as_object_mut() {
                    map.remove("status");
                }
            }
        }
        object
    } else {
        let mut object = new;
        if resource.subresources.contains(&"status") {
            match old.get("status") {
                Some(status) => object["status"] = status.clone(),
                None => {
                    if let Some(map) = object.as_object_mut() {
                        map.remove("status");
                    }
                }
            }
        }
        object
    };
    let old_metadata = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let spec_changed = without_meta_and_status(old) != without_meta_and_status(&object);
    let metadata = metadata_mut(&mut object)?;
    for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
        match old_metadata.get(key) {
            Some(value) => metadata.insert(key.to_owned(), value.clone()),
            None => metadata.remove(key),
        };
    }
    if spec_changed && GENERATION_RESOURCES.contains(&resource.plural) {
        let generation = old_metadata.get("generation").and_then(Value::as_i64).unwrap_or(0) + 1;
        metadata.insert("generation".to_owned(), json!(generation));
    }
    track(resource, Some(old), object, manager, subresource, now)
}

fn without_meta_and_status(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    object
}

/// Records the write in `managedFields` for `manager` (`None`: they were computed already, by server-side apply).
fn track(
    resource: &ResourceType,
    old: Option<&Value>,
    object: Value,
    manager: Option<&str>,
    subresource: Option<&str>,
    now: i64,
) -> Result<Value, Status> {
    let Some(manager) = manager else { return Ok(object) };
    let api_version = resource.api_version();
    let mut tracked = patch::track_update(old, &object, manager, subresource, &api_version, resource.kind)
        .map_err(|e| apply_error_status(resource, &e))?;
    patch::stamp_time(&mut tracked, manager, "Update", &util::rfc3339(now));
    Ok(tracked)
}

/// The `Status` of a server-side apply error, as kube-apiserver words it.
pub fn apply_error_status(resource: &ResourceType, error: &patch::ApplyError) -> Status {
    match error {
        patch::ApplyError::BadRequest { message } => status::bad_request(message.clone()),
        patch::ApplyError::Invalid { path, message } => {
            let field = FieldError {
                kind: knet_object::FieldErrorKind::Invalid,
                field: path.trim_start_matches('.').to_owned(),
                value: None,
                detail: message.clone(),
            };
            status::invalid(resource.kind, resource.group, "", &[field])
        }
        patch::ApplyError::Conflict(conflicts) => {
            let mut status = status::conflict(resource, "", &error.to_string());
            status.message = error.to_string();
            if let Some(details) = status.details.as_mut() {
                details.causes = conflicts
                    .iter()
                    .map(|c| status::StatusCause {
                        reason: "FieldManagerConflict".to_owned(),
                        message: c.cause_message(),
                        field: c.path.clone(),
                    })
                    .collect();
            }
            status
        }
    }
}

#[cfg(test)]
mod tests;
