//! get and list: one object by name, or a page of a collection filtered by label and field selectors, read where
//! `resourceVersion`, `resourceVersionMatch` and `continue` say, as kube-apiserver reads them:
//!
//! ```text
//!  resourceVersion   match          get / list                         list with limit
//!  ""                ""             the current state                  the current state
//!  "0"               "" or NotOlder the current state ("any")          the current state
//!  N                 "" or NotOlder the current state once it is ≥ N   (match ""): exactly N, as etcd's legacy paging
//!  N                 Exact          exactly N, from the history        exactly N
//!  continue token    -              the token's resourceVersion, from the history (410 with an inconsistent
//!                                   continue token when it is gone)
//! ```
//!
//! A resourceVersion the server has not reached yet is waited for, a moment (`Timing::freshness_wait`), and then answered
//! with kube-apiserver's 504 "Too large resource version", never with a silent hang.

use knet_apimachinery::field_selector::FieldSelector;
use knet_apimachinery::negotiate::Target;
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::selector_text::LabelSelector;

use knet_apimachinery::status::{self, Status};
use knet_object::{FieldError, FieldErrorKind};
use knet_store::{Error as StoreError, Store};
use serde_json::{Value, json};

use super::{ApiRequest, Form, Query, Reply, store_error, with_type};
use crate::state::{State, key, store_resource};
use crate::util;

/// Where a read is served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAt {
    /// The current state, once the store has reached `not_older_than` (if given).
    Current { not_older_than: Option<u64> },
    /// The state exactly at a resourceVersion.
    Exact(u64),
}

/// Reads `resourceVersion` of a get.
pub fn get_read_at(query: &Query) -> Result<ReadAt, Status> {
    Ok(ReadAt::Current { not_older_than: parse_version(query.get("resourceVersion").unwrap_or(""))? })
}

/// Reads `resourceVersion` and `resourceVersionMatch` of a list, checked as `ValidateListOptions` checks them (422 on
/// `ListOptions`); `None` when a `continue` token decides.
pub fn list_read_at(query: &Query) -> Result<Option<ReadAt>, Status> {
    let version = query.get("resourceVersion").unwrap_or("");
    let matching = query.get("resourceVersionMatch").unwrap_or("");
    let continued = query.get("continue").is_some_and(|c| !c.is_empty());
    let mut errors = Vec::new();
    if !matching.is_empty() {
        if version.is_empty() {
            errors.push(forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        if continued {
            errors
                .push(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
        }
        if !matches!(matching, "Exact" | "NotOlderThan") {
            errors.push(FieldError {
                kind: FieldErrorKind::NotSupported,
                field: "resourceVersionMatch".to_owned(),
                value: Some(format!("{matching:?}")),
                detail: r#"supported values: "Exact", "NotOlderThan", """#.to_owned(),
            });
        }
        if matching == "Exact" && version == "0" {
            errors.push(forbidden(
                "resourceVersionMatch",
                r#"resourceVersionMatch "exact" is forbidden for resourceVersion "0""#,
            ));
        }
    }
    if query.get("sendInitialEvents").is_some() {
        errors.push(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
    }
    if !errors.is_empty() {
        return Err(status::invalid("ListOptions", "meta.k8s.io", "", &errors));
    }
    if continued {
        return Ok(None);
    }
    let limited = query.get("limit").and_then(|l| l.parse::<i64>().ok()).is_some_and(|l| l > 0);
    let version = parse_version(version)?;
    Ok(Some(match (matching, version) {
        ("Exact", Some(rv)) => ReadAt::Exact(rv),
        // etcd's legacy paging: a first page at a resourceVersion is read at exactly that resourceVersion.
        ("", Some(rv)) if limited => ReadAt::Exact(rv),
        (_, not_older_than) => ReadAt::Current { not_older_than },
    }))
}

/// `field.Forbidden` on a list option.
pub fn forbidden(field: &str, detail: &str) -> FieldError {
    FieldError { kind: FieldErrorKind::Forbidden, field: field.to_owned(), value: None, detail: detail.to_owned() }
}

/// `""` and `"0"` ask for no particular resourceVersion; anything else must be one.
fn parse_version(text: &str) -> Result<Option<u64>, Status> {
    match text {
        "" | "0" => Ok(None),
        text => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| status::bad_request(format!("resourceVersion: Invalid value: {text:?}: must be an integer"))),
    }
}

/// [`State::wait_for_revision`] from a read, which runs on the blocking pool (a GET that asks for a resourceVersion
/// is sent there too, `app::App::handle`).
fn wait_for_revision(state: &State, wanted: u64) -> Result<(), Status> {
    if state.store.current_revision() >= wanted {
        return Ok(());
    }
    tokio::runtime::Handle::current().block_on(state.wait_for_revision(wanted))
}

/// GET of one object (also `/status`).
pub fn get(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let name = path.name.as_deref().unwrap_or_default();
    let form = Form::of(request, Target::Object)?;
    if let ReadAt::Current { not_older_than: Some(wanted) } = get_read_at(&request.query)? {
        wait_for_revision(state, wanted)?;
    }
    let object = state
        .store
        .get(&key(resource, path.namespace.as_deref(), name))
        .map_err(|e| store_error(resource, name, e))?
        .ok_or_else(|| status::not_found(resource, name))?;
    let (content_type, value) = form.object(resource, with_type(resource, object), util::now_unix());
    Ok(Reply::json(200, content_type, &value))
}

/// The label and field selectors of a list or watch.
#[derive(Debug, Clone)]
pub struct Selectors {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Selectors {
    /// Selectors that match every object.
    pub fn everything() -> Selectors {
        Selectors { labels: LabelSelector::everything(), fields: FieldSelector::everything() }
    }

    /// Reads `labelSelector` and `fieldSelector`.
    pub fn of(resource: &ResourceType, request: &ApiRequest) -> Result<Selectors, Status> {
        let labels =
            LabelSelector::parse(request.query.get("labelSelector").unwrap_or("")).map_err(|e| e.to_status())?;
        let fields = FieldSelector::parse_for(resource, request.query.get("fieldSelector").unwrap_or(""))
            .map_err(|e| e.to_status())?;
        Ok(Selectors { labels, fields })
    }

    /// Whether `object` passes both selectors.
    pub fn matches(&self, resource: &ResourceType, object: &Value) -> bool {
        self.labels.matches_object(object) && self.fields.matches(resource, object)
    }
}

/// GET of a collection (not a watch).
pub fn list(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let form = Form::of(request, Target::List)?;
    let selectors = Selectors::of(resource, request)?;
    let limit = match request.query.get("limit").filter(|l| !l.is_empty()) {
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| status::bad_request(format!("limit: invalid value {text:?}: must be an integer")))?
            .max(0) as usize,
        None => 0,
    };
    let read_at = list_read_at(&request.query)?;
    let continue_from = request.query.get("continue").filter(|c| !c.is_empty());
    let namespace = path.namespace.as_deref().filter(|_| resource.namespaced);
    let start = match read_at {
        None => Start::Continue(continue_from.unwrap_or_default()),
        Some(ReadAt::Current { not_older_than }) => {
            if let Some(wanted) = not_older_than {
                wait_for_revision(state, wanted)?;
            }
            Start::Current
        }
        Some(ReadAt::Exact(rv)) => {
            wait_for_revision(state, rv)?;
            Start::At(rv)
        }
    };
    let (items, resource_version, continue_token) = page(&state.store, resource, namespace, &selectors, start, limit)?;
    let mut metadata = json!({ "resourceVersion": resource_version.to_string() });
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    let items: Vec<Value> = items.into_iter().map(|i| with_type(resource, i)).collect();
    let (content_type, value) = form.list(resource, items, metadata, util::now_unix());
    Ok(Reply::json(200, content_type, &value))
}

/// Where a list starts.
#[derive(Debug, Clone, Copy)]
pub enum Start<'a> {
    /// From the first object, at the current state.
    Current,
    /// From the first object, at exactly this resourceVersion.
    At(u64),
    /// After a page, at its resourceVersion: a `continue` token.
    Continue(&'a str),
}

/// Up to `limit` matching objects (0: all) from `start`, the resourceVersion they show, and the token to continue
/// after the last returned object when more may follow.
///
/// The store's pages are asked for exactly the number of items still missing, so a page never holds more matches
/// than fit and its continue token is always right after the last returned item. Every page after the first is read
/// at the first one's resourceVersion (its token carries it), so the items are one consistent state.
pub fn page(
    store: &Store,
    resource: &ResourceType,
    namespace: Option<&str>,
    selectors: &Selectors,
    start: Start<'_>,
    limit: usize,
) -> Result<(Vec<Value>, u64, Option<String>), Status> {
    let store_resource = store_resource(resource);
    let mut items = Vec::new();
    let mut token = match start {
        Start::Continue(token) => Some(token.to_owned()),
        Start::Current | Start::At(_) => None,
    };
    let mut resource_version = None;
    loop {
        let want = if limit == 0 { None } else { Some(limit - items.len()) };
        let read = match (start, &token) {
            (Start::At(rv), None) => store.list_at(&store_resource, namespace, rv, want),
            (_, token) => store.list(&store_resource, namespace, token.as_deref(), want),
        };
        let page = read.map_err(|error| list_error(resource, start, error))?;
        resource_version.get_or_insert(page.resource_version);
        items.extend(page.items.into_iter().filter(|item| selectors.matches(resource, item)));
        token = page.continue_token;
        if token.is_none() || (limit != 0 && items.len() >= limit) {
            break;
        }
    }
    Ok((items, resource_version.unwrap_or_default(), token))
}

/// Every object of `resource` (in `namespace`, if given) passing `selectors`, and the store's resourceVersion at
/// the first read.
pub fn list_all(
    store: &Store,
    resource: &ResourceType,
    namespace: Option<&str>,
    selectors: &Selectors,
) -> Result<(Vec<Value>, u64), Status> {
    let (items, resource_version, _) = page(store, resource, namespace, selectors, Start::Current, 0)?;
    Ok((items, resource_version))
}

/// The `Status` of a store error while listing from `start`.
fn list_error(resource: &ResourceType, start: Start<'_>, error: StoreError) -> Status {
    match (error, start) {
        (StoreError::Expired { .. }, Start::Continue(token)) => {
            status::continue_expired(knet_store::inconsistent_continue(token))
        }
        (StoreError::Expired { .. }, _) => status::list_expired(),
        (StoreError::FutureResourceVersion { requested, current }, _) => {
            status::too_large_resource_version(requested, current)
        }
        (error, _) => store_error(resource, "", error),
    }
}
