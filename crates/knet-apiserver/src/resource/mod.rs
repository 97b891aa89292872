//! The resource endpoints: one synchronous function per verb over the store, called on a blocking thread (the store
//! fsyncs), plus what they share — the request as the handlers see it, the reply, the mapping of store errors to
//! `Status`, and the forms an answer can take (JSON, Table, PartialObjectMetadata).
//!
//! | method | collection                 | object                 | subresource                               |
//! |--------|----------------------------|------------------------|-------------------------------------------|
//! | GET    | list (watch: `watch.rs`)   | get                    | `status` (get), `scale`                   |
//! | POST   | create                     | 405                    |                                           |
//! | PUT    | 405                        | update                 | `status`, `scale`                         |
//! | PATCH  | 405                        | patch (4 types)        | `status`, `scale`                         |
//! | DELETE | deletecollection           | delete                 |                                           |
//!
//! `log` and `exec` answer 503 until the node data plane serves them.

pub(crate) mod read;
mod write;

use std::sync::Arc;

use hyper::Method;
use hyper::body::Bytes;
use knet_apimachinery::negotiate::{self, MetaVersion, Representation, Target};
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::status::{self, Status};
use knet_apimachinery::table::{self, IncludeObject};
use knet_store::Error as StoreError;
use serde_json::{Value, json};

use crate::identity;
use crate::routes::ResourcePath;
use crate::state::State;

pub(crate) use read::list_all;
pub(crate) use write::ensure_object;

/// A resource request, read whole.
#[derive(Debug)]
pub struct ApiRequest {
    pub method: Method,
    pub path: ResourcePath,
    pub query: Query,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub body: Bytes,
}

/// The decoded query string.
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether `name` is `true` or `1` (as Go's `strconv.ParseBool` reads a query flag).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1" | "True" | "TRUE" | "t" | "T"))
    }
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// `Warning` headers (`299 - "..."`).
    pub warnings: Vec<String>,
}

impl Reply {
    fn json(code: u16, content_type: &'static str, value: &Value) -> Reply {
        Reply { code, content_type, body: serde_json::to_vec(value).unwrap_or_default(), warnings: Vec::new() }
    }

    /// A `Status` answer.
    pub fn status(status: &Status) -> Reply {
        Reply {
            code: status.code(),
            content_type: negotiate::JSON,
            body: status.to_json_string().into_bytes(),
            warnings: Vec::new(),
        }
    }
}

/// Serves one resource request.
pub fn handle(state: &Arc<State>, request: &ApiRequest) -> Reply {
    let mut reply = match dispatch(state, request) {
        Ok(reply) => reply,
        Err(status) => Reply::status(&status),
    };
    if let Some(warning) = deprecation(request.path.resource) {
        reply.warnings.push(warning.to_owned());
    }
    reply
}

/// The deprecation warning kube-apiserver 1.33 attaches to every answer about a resource, if it has one.
pub fn deprecation(resource: &ResourceType) -> Option<&'static str> {
    (resource.group.is_empty() && resource.plural == "endpoints")
        .then_some("v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice")
}

fn dispatch(state: &Arc<State>, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    // A namespaced object is addressed inside its namespace; `/api/v1/services/x` names nothing.
    if resource.namespaced && path.namespace.is_none() && path.name.is_some() {
        return Err(status::resource_not_found());
    }
    let verb = verb(request)?;
    if !resource.verbs.contains(&verb) {
        return Err(status::method_not_allowed(resource, verb));
    }
    match (verb, path.subresource.as_deref()) {
        (_, Some(sub)) if !resource.subresources.contains(&sub) => Err(status::resource_not_found()),
        ("create", None) if identity::is_review(resource) => {
            let object = identity::review(request)?;
            Ok(Reply::json(201, negotiate::JSON, &object))
        }
        (_, Some("log" | "exec" | "attach" | "portforward")) => Err(status::service_unavailable(format!(
            "{}/{} is served by the node data plane, which this knet does not run yet",
            resource.plural,
            path.subresource.as_deref().unwrap_or_default()
        ))),
        ("get", Some("scale")) => write::get_scale(state, request),
        ("update" | "patch", Some("scale")) => write::update_scale(state, request, verb),
        ("update", Some("finalize")) => write::finalize(state, request),
        (_, Some("finalize")) => Err(status::method_not_allowed(resource, verb)),
        ("get", _) => read::get(state, request),
        ("list", _) => read::list(state, request),
        ("create", _) => write::create(state, request),
        ("update", _) => write::update(state, request),
        ("patch", _) => write::patch(state, request),
        ("delete", _) => write::delete(state, request),
        ("deletecollection", _) => write::delete_collection(state, request),
        _ => Err(status::method_not_allowed(resource, verb)),
    }
}

/// The Kubernetes verb of a request (`watch` is handled before this point).
fn verb(request: &ApiRequest) -> Result<&'static str, Status> {
    let object = request.path.name.is_some();
    Ok(match (&request.method, object) {
        (&Method::GET, true) => "get",
        (&Method::GET, false) => "list",
        (&Method::POST, false) => "create",
        // `pods/exec`, `pods/attach`, `pods/portforward`: connecting to an object is creating a session.
        (&Method::POST, true) if request.path.subresource.is_some() => "create",
        (&Method::PUT, true) => "update",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        (method, _) => {
            let verb = match *method {
                Method::POST => "create",
                Method::PUT => "update",
                Method::PATCH => "patch",
                _ => "method",
            };
            return Err(status::method_not_allowed(request.path.resource, verb));
        }
    })
}

/// The `Status` of a store error about `name` of `resource`.
pub fn store_error(resource: &ResourceType, name: &str, error: StoreError) -> Status {
    match error {
        StoreError::AlreadyExists { .. } => status::already_exists(resource, name),
        StoreError::NotFound { .. } => status::not_found(resource, name),
        StoreError::Conflict { .. } => status::conflict_modified(resource, name),
        StoreError::Expired { requested, oldest } => status::gone_expired(requested, oldest),
        StoreError::InvalidContinue { token } => {
            status::bad_request(format!("the provided continue parameter is not valid: {token:?}"))
        }
        StoreError::InvalidKey { reason, .. } => status::bad_request(format!("invalid object key: {reason}")),
        other => status::internal_error(&format!("{other:#}")),
    }
}

/// The `Status` of a negotiation error.
pub fn negotiation_error(error: negotiate::Error) -> Status {
    match error {
        negotiate::Error::NotAcceptable { accepted, .. } => status::not_acceptable(&accepted),
        negotiate::Error::UnsupportedMediaType { accepted, .. } => status::unsupported_media_type(&accepted),
    }
}

/// How the request wants objects shown.
#[derive(Debug, Clone, Copy)]
pub struct Form {
    pub representation: Representation,
    pub include: IncludeObject,
}

impl Form {
    /// Reads `Accept` and `includeObject` for `target`.
    pub fn of(request: &ApiRequest, target: Target) -> Result<Form, Status> {
        let representation = negotiate::negotiate(request.accept.as_deref(), target).map_err(negotiation_error)?;
        let include = IncludeObject::from_query(request.query.get("includeObject").unwrap_or(""))?;
        Ok(Form { representation, include })
    }

    /// One object in this form, with the Content-Type to send.
    pub fn object(&self, resource: &ResourceType, object: Value, now: i64) -> (&'static str, Value) {
        let content_type = self.representation.content_type();
        let value = match self.representation {
            Representation::Table { version } => {
                let mut table = table::table(resource, std::slice::from_ref(&object), now, self.include);
                table_version(&mut table, version);
                if let Some(rv) = object.pointer("/metadata/resourceVersion") {
                    table["metadata"] = json!({ "resourceVersion": rv });
                }
                table
            }
            Representation::PartialObjectMetadata { version } => partial(&object, version),
            _ => object,
        };
        (content_type, value)
    }

    /// A list in this form: `items` with the list's `metadata`.
    pub fn list(&self, resource: &ResourceType, items: Vec<Value>, metadata: Value, now: i64) -> (&'static str, Value) {
        let content_type = self.representation.content_type();
        let value = match self.representation {
            Representation::Table { version } => {
                let mut table = table::table(resource, &items, now, self.include);
                table_version(&mut table, version);
                table["metadata"] = metadata;
                table
            }
            Representation::PartialObjectMetadataList { version } => json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": format!("meta.k8s.io/{}", version.as_str()),
                "metadata": metadata,
                "items": items.iter().map(|i| partial(i, version)).collect::<Vec<_>>(),
            }),
            _ => json!({
                "kind": format!("{}List", resource.kind),
                "apiVersion": resource.api_version(),
                "metadata": metadata,
                "items": items,
            }),
        };
        (content_type, value)
    }
}

fn table_version(table: &mut Value, version: MetaVersion) {
    table["apiVersion"] = json!(format!("meta.k8s.io/{}", version.as_str()));
}

fn partial(object: &Value, version: MetaVersion) -> Value {
    let mut metadata = object.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if let Some(map) = metadata.as_object_mut() {
        map.remove("managedFields");
    }
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{}", version.as_str()),
        "metadata": metadata,
    })
}

/// `kind` and `apiVersion` on a stored object (every stored object has them; this is the guard for old rows).
pub fn with_type(resource: &ResourceType, mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.entry("apiVersion").or_insert_with(|| json!(resource.api_version()));
        map.entry("kind").or_insert_with(|| json!(resource.kind));
    }
    object
}
