//! Table responses (`meta.k8s.io/v1` `Table`): what kubectl prints for `kubectl get`, every cell formatted on the
//! server as kube-apiserver's printers (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`) format it.
//!
//! kube-apiserver always prints the wide form and lets kubectl hide the `priority: 1` columns, so [`table`] fills
//! every column. Each resource family has its printer module, named after the Go functions it follows:
//!
//! - `core`: namespaces, nodes, configmaps, secrets, serviceaccounts, events;
//! - `pods`: pods (the Ready / Status / Restarts logic);
//! - `network`: services, endpoints, endpointslices, ingresses, ingressclasses, networkpolicies;
//! - `apps`: deployments, replicasets;
//! - `columns`: the column definitions; `time`: ages (`duration.HumanDuration`).
//!
//! Printers read the stored v1 JSON and apply the few defaults kube-apiserver applies when it decodes an object
//! (a Deployment without `spec.replicas` has one). Time is a parameter: ages are computed against `now`.

use serde_json::{Map, Value, json};

use crate::resources::ResourceType;
use crate::selector_text::LabelSelector;
use crate::status::{Status, bad_request, go_quote};

mod apps;
mod columns;
mod core;
mod network;
mod pods;
mod time;

pub use time::parse_rfc3339;

#[cfg(test)]
mod tests;

pub use columns::Column;
pub use time::human_duration;

/// What each row's `object` holds (the `includeObject` query parameter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IncludeObject {
    /// `null`.
    None,
    /// A `PartialObjectMetadata` (kind, apiVersion, metadata): kubectl's default, and what it needs to keep the row.
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Reads the `includeObject` query parameter: `None`, `Metadata` (also the default, for an empty value) or
    /// `Object`; anything else is kube-apiserver's 400.
    pub fn from_query(value: &str) -> Result<IncludeObject, Status> {
        match value {
            "None" => Ok(IncludeObject::None),
            "" | "Metadata" => Ok(IncludeObject::Metadata),
            "Object" => Ok(IncludeObject::Object),
            other => Err(bad_request(format!("unrecognized includeObject value: {}", go_quote(other)))),
        }
    }
}

/// One printed row: cells in column order, and the row conditions (pods that completed or failed).
#[derive(Debug, Default)]
struct Row {
    cells: Vec<Value>,
    conditions: Vec<Value>,
}

impl Row {
    fn new(cells: Vec<Value>) -> Row {
        Row { cells, conditions: Vec::new() }
    }
}

/// The printers, one per served kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printer {
    Namespace,
    Node,
    Pod,
    Service,
    Endpoints,
    EndpointSlice,
    Deployment,
    ReplicaSet,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    Ingress,
    IngressClass,
    NetworkPolicy,
    /// `rest.DefaultTableConvertor`, for a resource without a printer.
    Default,
}

impl Printer {
    fn of(resource: &ResourceType) -> Printer {
        match (resource.group, resource.kind) {
            ("", "Namespace") => Printer::Namespace,
            ("", "Node") => Printer::Node,
            ("", "Pod") => Printer::Pod,
            ("", "Service") => Printer::Service,
            ("", "Endpoints") => Printer::Endpoints,
            ("", "ConfigMap") => Printer::ConfigMap,
            ("", "Secret") => Printer::Secret,
            ("", "ServiceAccount") => Printer::ServiceAccount,
            ("", "Event") => Printer::Event,
            ("discovery.k8s.io", "EndpointSlice") => Printer::EndpointSlice,
            ("apps", "Deployment") => Printer::Deployment,
            ("apps", "ReplicaSet") => Printer::ReplicaSet,
            ("networking.k8s.io", "Ingress") => Printer::Ingress,
            ("networking.k8s.io", "IngressClass") => Printer::IngressClass,
            ("networking.k8s.io", "NetworkPolicy") => Printer::NetworkPolicy,
            _ => Printer::Default,
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Printer::Namespace => columns::NAMESPACES,
            Printer::Node => columns::NODES,
            Printer::Pod => columns::PODS,
            Printer::Service => columns::SERVICES,
            Printer::Endpoints => columns::ENDPOINTS,
            Printer::EndpointSlice => columns::ENDPOINT_SLICES,
            Printer::Deployment => columns::DEPLOYMENTS,
            Printer::ReplicaSet => columns::REPLICA_SETS,
            Printer::ConfigMap => columns::CONFIG_MAPS,
            Printer::Secret => columns::SECRETS,
            Printer::ServiceAccount => columns::SERVICE_ACCOUNTS,
            Printer::Event => columns::EVENTS,
            Printer::Ingress => columns::INGRESSES,
            Printer::IngressClass => columns::INGRESS_CLASSES,
            Printer::NetworkPolicy => columns::NETWORK_POLICIES,
            Printer::Default => columns::DEFAULT,
        }
    }

    fn row(self, object: &Value, now: i64) -> Row {
        match self {
            Printer::Namespace => core::namespace(object, now),
            Printer::Node => core::node(object, now),
            Printer::Pod => pods::pod(object, now),
            Printer::Service => network::service(object, now),
            Printer::Endpoints => network::endpoints(object, now),
            Printer::EndpointSlice => network::endpoint_slice(object, now),
            Printer::Deployment => apps::deployment(object, now),
            Printer::ReplicaSet => apps::replica_set(object, now),
            Printer::ConfigMap => core::config_map(object, now),
            Printer::Secret => core::secret(object, now),
            Printer::ServiceAccount => core::service_account(object, now),
            Printer::Event => core::event(object, now),
            Printer::Ingress => network::ingress(object, now),
            Printer::IngressClass => network::ingress_class(object, now),
            Printer::NetworkPolicy => network::network_policy(object, now),
            Printer::Default => default_row(object),
        }
    }
}

/// The column definitions of a resource's table, wide columns included.
pub fn columns(resource: &ResourceType) -> &'static [Column] {
    Printer::of(resource).columns()
}

/// The `Table` kube-apiserver answers for a get or list of `objects` (stored v1 JSON) when kubectl asks for one.
///
/// `metadata` is left empty for the caller to set `resourceVersion` (and `continue`). Each row's `object` is what
/// `include` asks for; a `PartialObjectMetadata` carries the object's metadata without `managedFields`.
pub fn table(resource: &ResourceType, objects: &[Value], now_unix_seconds: i64, include: IncludeObject) -> Value {
    let printer = Printer::of(resource);
    let column_definitions: Vec<Value> = printer
        .columns()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.kind,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let row = printer.row(object, now_unix_seconds);
            let mut out = Map::new();
            out.insert("cells".to_owned(), Value::Array(row.cells));
            if !row.conditions.is_empty() {
                out.insert("conditions".to_owned(), Value::Array(row.conditions));
            }
            out.insert("object".to_owned(), row_object(resource, object, include));
            Value::Object(out)
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": column_definitions,
        "rows": rows,
    })
}

/// A row's `object`: nothing, the object's metadata as a `PartialObjectMetadata`, or the object with its kind and
/// apiVersion (which kubectl needs on every row).
fn row_object(resource: &ResourceType, object: &Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Metadata => {
            let mut metadata = object.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
            metadata.remove("managedFields");
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata})
        }
        IncludeObject::Object => {
            let mut object = object.clone();
            if let Some(fields) = object.as_object_mut() {
                fields.entry("kind").or_insert_with(|| Value::from(resource.kind));
                fields.entry("apiVersion").or_insert_with(|| Value::from(resource.api_version()));
            }
            object
        }
    }
}

/// `rest.DefaultTableConvertor`: the name and the creation time in RFC 3339.
fn default_row(object: &Value) -> Row {
    let created = text(object, "/metadata/creationTimestamp");
    let created = if created.is_empty() { "0001-01-01T00:00:00Z" } else { created };
    Row::new(vec![name(object), Value::from(created)])
}

/// The string at a JSON pointer, or `""` (Go's zero value) when it is absent or not a string.
fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// The integer at a JSON pointer, or 0.
fn int(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// The array at a JSON pointer, or an empty one.
fn array<'a>(object: &'a Value, pointer: &str) -> &'a [Value] {
    object.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// The number of keys of the map at a JSON pointer.
fn map_len(object: &Value, pointer: &str) -> usize {
    object.pointer(pointer).and_then(Value::as_object).map_or(0, Map::len)
}

/// The `Name` cell.
fn name(object: &Value) -> Value {
    Value::from(text(object, "/metadata/name"))
}

/// The `Age` cell: `translateTimestampSince(obj.CreationTimestamp)`.
fn age(object: &Value, now: i64) -> Value {
    Value::from(time::since(object.pointer("/metadata/creationTimestamp"), now))
}

/// `labels.FormatLabels`: `k=v` pairs sorted as strings and comma-joined, `<none>` for none.
fn format_labels(labels: Option<&Value>) -> String {
    let mut pairs: Vec<String> = labels
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    if pairs.is_empty() { "<none>".to_owned() } else { pairs.join(",") }
}

/// `metav1.LabelSelectorAsSelector(...).String()`: `""` for a missing selector (Go's `Nothing`) and for an empty
/// one (`Everything`), `None` for one that does not convert.
fn label_selector_string(selector: Option<&Value>) -> Option<String> {
    match selector {
        None | Some(Value::Null) => Some(String::new()),
        Some(selector) => LabelSelector::from_json(selector).ok().map(|s| s.to_string()),
    }
}

/// `metav1.FormatLabelSelector`: the selector's text, `<none>` when empty, `<error>` when it does not convert.
fn format_label_selector(selector: Option<&Value>) -> String {
    match label_selector_string(selector) {
        Some(text) if text.is_empty() => "<none>".to_owned(),
        Some(text) => text,
        None => "<error>".to_owned(),
    }
}

/// `layoutContainerCells`: container names and images, each comma-joined.
fn layout_container_cells(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| text(c, "/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| text(c, "/image")).collect();
    (names.join(","), images.join(","))
}

/// `listWithMoreString`: up to three items, then ` + N more...`; `<unset>` for none.
fn list_with_more(list: &[String], more: bool, count: usize, max: usize) -> String {
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count - max)
    } else if joined.is_empty() {
        "<unset>".to_owned()
    } else {
        joined
    }
}

/// The IPs (or else hostnames) of a `loadBalancer.ingress` list as a sorted set, comma-joined
/// (`loadBalancerStatusStringer` with `wide`, as the server prints it).
fn load_balancer_addresses(ingress: &[Value]) -> String {
    let mut addresses: Vec<&str> = ingress
        .iter()
        .filter_map(|entry| {
            let ip = text(entry, "/ip");
            let hostname = text(entry, "/hostname");
            if !ip.is_empty() {
                Some(ip)
            } else if !hostname.is_empty() {
                Some(hostname)
            } else {
                None
            }
        })
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    addresses.join(",")
}
