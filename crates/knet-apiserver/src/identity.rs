//! Who the client is and what it may do, as kube-apiserver's identity APIs answer it: `SelfSubjectReview`
//! (`kubectl auth whoami`), `SelfSubjectAccessReview` (`kubectl auth can-i VERB RESOURCE`) and
//! `SelfSubjectRulesReview` (`kubectl auth can-i --list`). These are create-only resources that store nothing: the
//! answer is computed from the request.
//!
//! knet has one user, the cluster admin of the kubeconfig it writes, in `system:masters` as kubeadm's admin is; a
//! real cluster's authorizer lets that group do everything, and so does knet. Impersonation (`kubectl --as`, the
//! `Impersonate-*` headers) would ask knet to answer as a user it has no authorization for, so it is refused with a
//! 403 that says so, never ignored: a client that asked to act as someone else must not silently act as the admin.

use hyper::HeaderMap;
use knet_apimachinery::negotiate::BodyFormat;
use knet_apimachinery::resources::ResourceType;
use knet_apimachinery::status::{self, Status};
use knet_object::{FieldError, FieldErrorKind};
use serde_json::{Value, json};

use crate::objects;
use crate::resource::{ApiRequest, negotiation_error};

/// The admin user's name, as the kubeconfig names it.
pub const ADMIN_USER: &str = "knet-admin";

/// The admin user's groups: `system:masters` (everything is allowed) and `system:authenticated` (every user
/// with a valid credential is in it).
pub const ADMIN_GROUPS: &[&str] = &["system:masters", "system:authenticated"];

/// Whether `resource` is one of the review resources answered here instead of stored.
pub fn is_review(resource: &ResourceType) -> bool {
    matches!(resource.kind, "SelfSubjectReview" | "SelfSubjectAccessReview" | "SelfSubjectRulesReview")
}

/// Answers a create of a review resource: the request's object, completed with its `status`.
pub fn review(request: &ApiRequest) -> Result<Value, Status> {
    let resource = request.path.resource;
    let format = BodyFormat::parse(request.content_type.as_deref()).for_create().map_err(negotiation_error)?;
    let mut object = objects::decode_body(&format, &request.body)?;
    objects::check_type(resource, &mut object)?;
    let spec = object.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match resource.kind {
        "SelfSubjectReview" => json!({ "userInfo": { "username": ADMIN_USER, "groups": ADMIN_GROUPS } }),
        "SelfSubjectAccessReview" => access_review(resource, &spec)?,
        _ => json!({
            // cluster-admin's rules, which `system:masters` holds.
            "resourceRules": [{ "verbs": ["*"], "apiGroups": ["*"], "resources": ["*"] }],
            "nonResourceRules": [{ "verbs": ["*"], "nonResourceURLs": ["*"] }],
            "incomplete": false,
        }),
    };
    Ok(json!({
        "kind": resource.kind,
        "apiVersion": resource.api_version(),
        "metadata": { "creationTimestamp": null },
        "spec": spec,
        "status": status,
    }))
}

/// The status of a `SelfSubjectAccessReview`: allowed, after the spec is checked as kube-apiserver checks it (exactly
/// one of `resourceAttributes` and `nonResourceAttributes`).
fn access_review(resource: &ResourceType, spec: &Value) -> Result<Value, Status> {
    let present = |field: &str| spec.get(field).is_some_and(|v| !v.is_null());
    let error = match (present("resourceAttributes"), present("nonResourceAttributes")) {
        (true, false) | (false, true) => None,
        (true, true) => {
            Some(("spec.nonResourceAttributes", "cannot be specified in combination with resourceAttributes"))
        }
        (false, false) => Some((
            "spec.resourceAttributes",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )),
    };
    let error = error.map(|(field, detail)| FieldError {
        kind: FieldErrorKind::Invalid,
        field: field.to_owned(),
        value: Some("null".to_owned()),
        detail: detail.to_owned(),
    });
    if let Some(error) = error {
        return Err(status::invalid(resource.kind, resource.group, "", &[error]));
    }
    Ok(json!({ "allowed": true }))
}

/// The 403 for a request that asks to impersonate someone, or `None` when it does not.
pub fn refuse_impersonation(headers: &HeaderMap) -> Option<Status> {
    let (target_kind, target) = headers.iter().find_map(|(name, value)| {
        let value = value.to_str().unwrap_or("").to_owned();
        match name.as_str() {
            "impersonate-user" => Some(("users", value)),
            "impersonate-group" => Some(("groups", value)),
            "impersonate-uid" => Some(("uids", value)),
            other => other.strip_prefix("impersonate-extra-").map(|key| ("userextras", format!("{key}={value}"))),
        }
    })?;
    Some(status::forbidden_impersonation(
        target_kind,
        &target,
        ADMIN_USER,
        "knet has one user, its cluster admin, and no authorization for others yet; run the command without --as / \
         --as-group / --as-uid",
    ))
}
