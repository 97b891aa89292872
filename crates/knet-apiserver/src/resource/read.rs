//! get and list: one object by name, or a page of a collection filtered by label and field selectors.

use knet_apimachinery::field_selector::FieldSelector;
use knet_apimachinery::negotiate::Target;
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::selector_text::LabelSelector;
use knet_apimachinery::status::{self, Status};
use knet_store::Store;
use serde_json::{Value, json};

use super::{ApiRequest, Form, Reply, store_error, with_type};
use crate::state::{State, key, store_resource};
use crate::util;

/// GET of one object (also `/status`).
pub fn get(state: &State, request: &ApiRequest) -> Result<Reply, Status> {
    let path = &request.path;
    let resource = path.resource;
    let name = path.name.as_deref().unwrap_or_default();
    let form = Form::of(request, Target::Object)?;
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
    let continue_from = request.query.get("continue").filter(|c| !c.is_empty());
    let namespace = path.namespace.as_deref().filter(|_| resource.namespaced);
    let (items, resource_version, continue_token) =
        page(&state.store, resource, namespace, &selectors, continue_from, limit)?;
    let mut metadata = json!({ "resourceVersion": resource_version.to_string() });
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    let items: Vec<Value> = items.into_iter().map(|i| with_type(resource, i)).collect();
    let (content_type, value) = form.list(resource, items, metadata, util::now_unix());
    Ok(Reply::json(200, content_type, &value))
}

/// Up to `limit` matching objects (0: all) after `continue_from`, the resourceVersion of the first page read, and
/// the token to continue after the last returned object when more may follow.
///
/// The store's pages are asked for exactly the number of items still missing, so a page never holds more matches
/// than fit and its continue token is always right after the last returned item.
fn page(
    store: &Store,
    resource: &ResourceType,
    namespace: Option<&str>,
    selectors: &Selectors,
    continue_from: Option<&str>,
    limit: usize,
) -> Result<(Vec<Value>, u64, Option<String>), Status> {
    let store_resource = store_resource(resource);
    let mut items = Vec::new();
    let mut token = continue_from.map(str::to_owned);
    let mut resource_version = None;
    loop {
        let want = if limit == 0 { None } else { Some(limit - items.len()) };
        let page =
            store.list(&store_resource, namespace, token.as_deref(), want).map_err(|e| store_error(resource, "", e))?;
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
    let (items, resource_version, _) = page(store, resource, namespace, selectors, None, 0)?;
    Ok((items, resource_version))
}
