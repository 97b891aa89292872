//! `Status` objects as kube-apiserver words them: the one place an API error (or a delete's success) is built.
//!
//! Every builder follows the Go constructor it names (`k8s.io/apimachinery/pkg/api/errors`: `NewNotFound`,
//! `NewAlreadyExists`, `NewConflict`, `NewInvalid`, ...), with the same message, `reason`, `code` and `details`, so
//! kubectl prints what it prints against a real cluster: `Error from server (NotFound): services "x" not found`.
//!
//! A [`Status`] serializes in kube-apiserver's field order with [`Status::to_json_string`] (the bytes to send) or as
//! a [`serde_json::Value`] with [`Status::to_json`]; [`Status::code`] is the HTTP status to answer with.

use std::fmt;

use knet_object::FieldError;
use serde::Serialize;

use crate::resources::ResourceType;

/// The most a request body may hold, as kube-apiserver's `MaxRequestBodyBytes` (3 MiB).
pub const MAX_REQUEST_BODY_BYTES: u64 = 3 * 1024 * 1024;

/// The media types kube-apiserver accepts for a PATCH of a built-in resource, in the order its 415 lists them.
pub const PATCH_MEDIA_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// The media types kube-apiserver accepts for a POST or PUT body, in the order its 415 lists them.
pub const BODY_MEDIA_TYPES: &[&str] = &["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

/// The optimistic-lock message of a stale `resourceVersion` (`registry.OptimisticLockErrorMsg`).
pub const OPTIMISTIC_LOCK_MESSAGE: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// `status` of a Status: whether the operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Success,
    Failure,
}

/// `metav1.StatusReason`: the machine-readable why of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Reason {
    /// 401: no valid credential.
    Unauthorized,
    /// 403: the request is not allowed (for knet: content in a terminating namespace).
    Forbidden,
    /// 404: the object or resource does not exist.
    NotFound,
    /// 409: an object of that name exists already.
    AlreadyExists,
    /// 409: the write lost a race (stale `resourceVersion`).
    Conflict,
    /// 410: the requested resource version is older than the retained history.
    Expired,
    /// 422: the object fails validation; `details.causes` names the fields.
    Invalid,
    /// 400: the request itself is malformed.
    BadRequest,
    /// 405: the verb is not served for the resource.
    MethodNotAllowed,
    /// 406: no acceptable response media type.
    NotAcceptable,
    /// 413: the body is over the limit.
    RequestEntityTooLarge,
    /// 415: the body's media type is not accepted.
    UnsupportedMediaType,
    /// 500: the server failed.
    InternalError,
    /// 504: the request could not be served in time (a resourceVersion not reached yet).
    Timeout,
    /// 503: the service cannot answer now.
    ServiceUnavailable,
}

impl Reason {
    /// The reason as it appears on the wire: `NotFound`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unauthorized => "Unauthorized",
            Reason::Forbidden => "Forbidden",
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Expired => "Expired",
            Reason::Invalid => "Invalid",
            Reason::BadRequest => "BadRequest",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::NotAcceptable => "NotAcceptable",
            Reason::RequestEntityTooLarge => "RequestEntityTooLarge",
            Reason::UnsupportedMediaType => "UnsupportedMediaType",
            Reason::InternalError => "InternalError",
            Reason::Timeout => "Timeout",
            Reason::ServiceUnavailable => "ServiceUnavailable",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `metav1.StatusDetails`. Empty fields are left out of the JSON, as Go's `omitempty` leaves them out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The resource (`services`) for most errors, the kind (`Service`) for `Invalid`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    #[serde(skip_serializing_if = "is_zero")]
    pub retry_after_seconds: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `metav1.StatusCause`: one field that made the request fail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusCause {
    /// `FieldValueInvalid`, `FieldValueRequired`, ... (Go's `Type`, serialized as `reason`).
    #[serde(rename = "reason", skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// A `Status` object (`kind: Status`, `apiVersion: v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub status: Outcome,
    pub message: String,
    pub reason: Option<Reason>,
    /// Boxed, so a `Result<_, Status>` stays small.
    pub details: Option<Box<StatusDetails>>,
    /// The `code` field. `None` only for a delete's success, which kube-apiserver sends without one (HTTP 200).
    pub code: Option<u16>,
    /// `metadata.continue`: the token a 410 for an expired `continue` offers to go on with an inconsistent list.
    pub continue_token: Option<String>,
}

/// The wire form, in kube-apiserver's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    kind: &'static str,
    api_version: &'static str,
    metadata: ListMeta<'a>,
    status: Outcome,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a StatusDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
}

/// A Status's `metadata`: empty but for the `continue` of an expired list.
#[derive(Serialize)]
struct ListMeta<'a> {
    #[serde(rename = "continue", skip_serializing_if = "Option::is_none")]
    continue_token: Option<&'a str>,
}

impl Status {
    /// The HTTP status to answer with.
    pub fn code(&self) -> u16 {
        self.code.unwrap_or(200)
    }

    /// The Status as JSON text, fields in kube-apiserver's order: the bytes to send.
    pub fn to_json_string(&self) -> String {
        // Serializing plain strings, numbers and derived structs cannot fail.
        serde_json::to_string(&self.wire()).unwrap_or_default()
    }

    /// The Status as a JSON value (key order is not kept; use [`Status::to_json_string`] to send it).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.wire()).unwrap_or_default()
    }

    fn wire(&self) -> Wire<'_> {
        Wire {
            kind: "Status",
            api_version: "v1",
            metadata: ListMeta { continue_token: self.continue_token.as_deref() },
            status: self.status,
            message: &self.message,
            reason: self.reason,
            details: self.details.as_deref(),
            code: self.code,
        }
    }

    fn failure(code: u16, reason: Reason, message: String, details: Option<StatusDetails>) -> Status {
        let details = details.map(Box::new);
        Status {
            status: Outcome::Failure,
            message,
            reason: Some(reason),
            details,
            code: Some(code),
            continue_token: None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failure Status is an error, so handlers can return `Result<_, Status>` and use `?`.
impl std::error::Error for Status {}

/// `details` naming an object by group, resource and name, as most errors carry them.
fn resource_details(resource: &ResourceType, name: &str) -> StatusDetails {
    StatusDetails {
        name: name.to_owned(),
        group: resource.group.to_owned(),
        kind: resource.plural.to_owned(),
        ..StatusDetails::default()
    }
}

/// 404 `NewNotFound`: `services "x" not found`, `deployments.apps "x" not found`.
pub fn not_found(resource: &ResourceType, name: &str) -> Status {
    let message = format!("{} {} not found", resource.qualified_plural(), go_quote(name));
    Status::failure(404, Reason::NotFound, message, Some(resource_details(resource, name)))
}

/// 404 for a path that names no served resource: `the server could not find the requested resource`.
pub fn resource_not_found() -> Status {
    let message = "the server could not find the requested resource".to_owned();
    Status::failure(404, Reason::NotFound, message, Some(StatusDetails::default()))
}

/// 409 `NewAlreadyExists`: `namespaces "microservices" already exists`.
pub fn already_exists(resource: &ResourceType, name: &str) -> Status {
    let message = format!("{} {} already exists", resource.qualified_plural(), go_quote(name));
    Status::failure(409, Reason::AlreadyExists, message, Some(resource_details(resource, name)))
}

/// 409 `NewConflict` with any cause: `Operation cannot be fulfilled on services "x": <cause>`.
pub fn conflict(resource: &ResourceType, name: &str, cause: &str) -> Status {
    let message =
        format!("Operation cannot be fulfilled on {} {}: {cause}", resource.qualified_plural(), go_quote(name));
    Status::failure(409, Reason::Conflict, message, Some(resource_details(resource, name)))
}

/// 409 for a stale `resourceVersion`: `Operation cannot be fulfilled on services "x": the object has been modified;
/// please apply your changes to the latest version and try again`.
pub fn conflict_modified(resource: &ResourceType, name: &str) -> Status {
    conflict(resource, name, OPTIMISTIC_LOCK_MESSAGE)
}

/// 422 `NewInvalid`: `Service "x" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535,
/// inclusive`, one cause per field error. Several distinct errors print as Go's aggregate does, `[a, b]`.
///
/// `kind` and `group` name the kind (`Deployment`, `apps`): the message qualifies it as `Deployment.apps`. kubectl
/// prefixes `The ` itself when it prints the error.
pub fn invalid(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> Status {
    let qualified_kind = if group.is_empty() { kind.to_owned() } else { format!("{kind}.{group}") };
    let causes = errors
        .iter()
        .map(|error| StatusCause {
            reason: error.kind.cause_reason().to_owned(),
            message: error_body(error),
            field: error.field.clone(),
        })
        .collect();
    let message = match aggregate(errors) {
        Some(aggregate) => format!("{qualified_kind} {} is invalid: {aggregate}", go_quote(name)),
        None => format!("{qualified_kind} {} is invalid", go_quote(name)),
    };
    let details = StatusDetails {
        name: name.to_owned(),
        group: group.to_owned(),
        kind: kind.to_owned(),
        causes,
        ..StatusDetails::default()
    };
    Status::failure(422, Reason::Invalid, message, Some(details))
}

/// `field.Error.ErrorBody`: the error without its field path, `Invalid value: 0: must be between ...`.
fn error_body(error: &FieldError) -> String {
    let mut body = error.kind.phrase().to_owned();
    if let Some(value) = &error.value {
        body.push_str(": ");
        body.push_str(value);
    }
    if !error.detail.is_empty() {
        body.push_str(": ");
        body.push_str(&error.detail);
    }
    body
}

/// `ErrorList.ToAggregate().Error()`: repeated messages dropped, one message bare, several as `[a, b]`.
fn aggregate(errors: &[FieldError]) -> Option<String> {
    let mut messages: Vec<String> = Vec::new();
    for error in errors {
        let message = error.to_string();
        if !messages.contains(&message) {
            messages.push(message);
        }
    }
    match messages.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(format!("[{}]", many.join(", "))),
    }
}

/// 400 `NewBadRequest` with the message as given.
pub fn bad_request(message: impl Into<String>) -> Status {
    Status::failure(400, Reason::BadRequest, message.into(), None)
}

/// 400 on create: the object's namespace differs from the URL's.
pub fn namespace_mismatch() -> Status {
    bad_request("the namespace of the provided object does not match the namespace sent on the request")
}

/// 400 on update: the object's namespace differs from the URL's (`checkName`).
pub fn namespace_mismatch_on_update(object_namespace: &str, request_namespace: &str) -> Status {
    bad_request(format!(
        "the namespace of the object ({object_namespace}) does not match the namespace on the request \
         ({request_namespace})"
    ))
}

/// 400 on update: the object's name differs from the URL's (`checkName`).
pub fn name_mismatch(object_name: &str, url_name: &str) -> Status {
    bad_request(format!("the name of the object ({object_name}) does not match the name on the URL ({url_name})"))
}

/// 405 `NewMethodNotSupported`: `deletecollection is not supported on resources of kind "namespaces"`.
pub fn method_not_allowed(resource: &ResourceType, verb: &str) -> Status {
    let message = format!("{verb} is not supported on resources of kind {}", go_quote(&resource.qualified_plural()));
    let details = StatusDetails {
        group: resource.group.to_owned(),
        kind: resource.plural.to_owned(),
        ..StatusDetails::default()
    };
    Status::failure(405, Reason::MethodNotAllowed, message, Some(details))
}

/// 406 `NewNotAcceptableError`: `only the following media types are accepted: application/json, ...`.
pub fn not_acceptable(accepted: &[&str]) -> Status {
    let message = format!("only the following media types are accepted: {}", accepted.join(", "));
    Status::failure(406, Reason::NotAcceptable, message, None)
}

/// 413 `NewRequestEntityTooLargeError`: `Request entity too large: limit is 3145728`.
pub fn request_entity_too_large(limit: u64) -> Status {
    let message = format!("Request entity too large: limit is {limit}");
    Status::failure(413, Reason::RequestEntityTooLarge, message, None)
}

/// 414 for a request whose URL is over the limit. kube-apiserver has no `Status` for it (Go's server answers a head
/// over 1 MiB with a bare 431), so the reason is left empty (`StatusReasonUnknown`) and the message says what to do.
pub fn uri_too_long(length: usize, limit: usize) -> Status {
    let message = format!(
        "Request-URI Too Long: the URL is {length} bytes, the limit is {limit}: select fewer objects per request"
    );
    Status { status: Outcome::Failure, message, reason: None, details: None, code: Some(414), continue_token: None }
}

/// 431 for a request whose headers are over the limit (reason empty, as for [`uri_too_long`]).
pub fn header_fields_too_large(length: usize, limit: usize) -> Status {
    let message = format!("Request Header Fields Too Large: the headers take {length} bytes, the limit is {limit}");
    Status { status: Outcome::Failure, message, reason: None, details: None, code: Some(431), continue_token: None }
}

/// 415 `NewUnsupportedMediaTypeError`: `the body of the request was in an unknown format - accepted media types
/// include: ...`. `accepted` is [`PATCH_MEDIA_TYPES`] for a PATCH, [`BODY_MEDIA_TYPES`] for a POST or PUT.
pub fn unsupported_media_type(accepted: &[&str]) -> Status {
    let message = format!(
        "the body of the request was in an unknown format - accepted media types include: {}",
        accepted.join(", ")
    );
    Status::failure(415, Reason::UnsupportedMediaType, message, None)
}

/// 410 `NewResourceExpired` for a watch or list from a version older than the history kept:
/// `too old resource version: 5 (10)`.
pub fn gone_expired(requested: u64, oldest: u64) -> Status {
    expired(format!("too old resource version: {requested} ({oldest})"))
}

/// 410 for a list at an exact resourceVersion the history no longer holds (etcd3 storage's `expired`).
pub fn list_expired() -> Status {
    expired("The resourceVersion for the provided list is too old.")
}

/// 410 for a `continue` token whose resourceVersion the history no longer holds, with the token that goes on from the
/// same place at the latest state (`inconsistentContinue` of kube-apiserver's etcd3 storage), when there is one.
pub fn continue_expired(inconsistent: Option<String>) -> Status {
    let mut message = "The provided continue parameter is too old to display a consistent list result. You can start \
                       a new list without the continue parameter"
        .to_owned();
    if inconsistent.is_some() {
        message.push_str(
            ", or use the continue token in this response to retrieve the remainder of the results. Continuing with \
             the provided token results in an inconsistent list - objects that were created, modified, or deleted \
             between the time the first chunk was returned and now may show up in the list",
        );
    }
    message.push('.');
    let mut status = expired(message);
    status.continue_token = inconsistent;
    status
}

/// 504 `NewTooLargeResourceVersionError`: a read asked for a resourceVersion the server has not reached, and it did
/// not come while the server waited: `Timeout: Too large resource version: 9000, current: 512`, to retry in a second.
pub fn too_large_resource_version(requested: u64, current: u64) -> Status {
    let details = StatusDetails {
        causes: vec![StatusCause {
            reason: "ResourceVersionTooLarge".to_owned(),
            message: "Too large resource version".to_owned(),
            field: String::new(),
        }],
        retry_after_seconds: 1,
        ..StatusDetails::default()
    };
    let message = format!("Timeout: Too large resource version: {requested}, current: {current}");
    Status::failure(504, Reason::Timeout, message, Some(details))
}

/// 410 `NewResourceExpired` with any message (an expired `continue` token, for example).
pub fn expired(message: impl Into<String>) -> Status {
    Status::failure(410, Reason::Expired, message.into(), None)
}

/// 401 as kube-apiserver answers a request without a valid credential: message `Unauthorized`.
pub fn unauthorized() -> Status {
    Status::failure(401, Reason::Unauthorized, "Unauthorized".to_owned(), None)
}

/// 403 `NewForbidden`: `services "x" is forbidden: <why>` (`services is forbidden: <why>` without a name).
pub fn forbidden(resource: &ResourceType, name: &str, why: &str) -> Status {
    let message = if name.is_empty() {
        format!("{} is forbidden: {why}", resource.qualified_plural())
    } else {
        format!("{} {} is forbidden: {why}", resource.qualified_plural(), go_quote(name))
    };
    Status::failure(403, Reason::Forbidden, message, Some(resource_details(resource, name)))
}

/// 403 from the impersonation filter: `users "bob" is forbidden: User "admin" cannot impersonate resource "users" in
/// API group "" at the cluster scope: <why>`. `target_resource` is `users`, `groups`, `uids` or `userextras` (the
/// last two in group `authentication.k8s.io`, as kube-apiserver authorizes them).
pub fn forbidden_impersonation(target_resource: &str, target: &str, user: &str, why: &str) -> Status {
    let group = if matches!(target_resource, "uids" | "userextras") { "authentication.k8s.io" } else { "" };
    let qualified = if group.is_empty() { target_resource.to_owned() } else { format!("{target_resource}.{group}") };
    let message = format!(
        "{qualified} {} is forbidden: User {} cannot impersonate resource {} in API group {} at the cluster scope: \
         {why}",
        go_quote(target),
        go_quote(user),
        go_quote(target_resource),
        go_quote(group)
    );
    let details = StatusDetails {
        name: target.to_owned(),
        group: group.to_owned(),
        kind: target_resource.to_owned(),
        ..StatusDetails::default()
    };
    Status::failure(403, Reason::Forbidden, message, Some(details))
}

/// 404 for a resource path whose resource is not served: `the server doesn't have a resource type
/// "horizontalpodautoscalers"`, the words kubectl prints when discovery lacks it.
pub fn resource_type_not_served(group: &str, plural: &str) -> Status {
    let message = format!("the server doesn't have a resource type {}", go_quote(plural));
    let details = StatusDetails { group: group.to_owned(), kind: plural.to_owned(), ..StatusDetails::default() };
    Status::failure(404, Reason::NotFound, message, Some(details))
}

/// 403 from the NamespaceLifecycle admission plugin: content created in a namespace being deleted.
pub fn namespace_terminating(resource: &ResourceType, name: &str, namespace: &str) -> Status {
    let why = format!("unable to create new content in namespace {namespace} because it is being terminated");
    let mut status = forbidden(resource, name, &why);
    if let Some(details) = status.details.as_mut() {
        details.causes.push(StatusCause {
            reason: "NamespaceTerminating".to_owned(),
            message: format!("namespace {namespace} is being terminated"),
            field: "metadata.namespace".to_owned(),
        });
    }
    status
}

/// 500 `NewInternalError`: `Internal error occurred: <error>`, the error also as the one cause.
pub fn internal_error(error: &str) -> Status {
    let details = StatusDetails {
        causes: vec![StatusCause { message: error.to_owned(), ..StatusCause::default() }],
        ..StatusDetails::default()
    };
    Status::failure(500, Reason::InternalError, format!("Internal error occurred: {error}"), Some(details))
}

/// 503 `NewServiceUnavailable` with the message as given.
pub fn service_unavailable(message: impl Into<String>) -> Status {
    Status::failure(503, Reason::ServiceUnavailable, message.into(), None)
}

/// The Status a delete answers when it does not return the object (the generic store's `finalizeDelete`):
/// `status: Success` with the object's name, group, resource and uid, and no `code`.
pub fn success(resource: &ResourceType, name: &str, uid: &str) -> Status {
    let details = StatusDetails { uid: uid.to_owned(), ..resource_details(resource, name) };
    Status {
        status: Outcome::Success,
        message: String::new(),
        reason: None,
        details: Some(Box::new(details)),
        code: None,
        continue_token: None,
    }
}

/// Go's `%q` of a string (`strconv.Quote`): double-quoted, with `\"`, `\\`, the C escapes, `\xNN` for other ASCII
/// controls and `\uNNNN` / `\UNNNNNNNN` for characters Go does not consider printable.
///
/// Go's `unicode.IsPrint` is approximated: control characters, whitespace other than the ASCII space and the common
/// invisible format characters are escaped; every other character is printed as is.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_ascii() && (c.is_ascii_control()) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if !go_printable(c) => {
                let code = c as u32;
                if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let invisible_format = matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0xFEFF);
    !(c.is_control() || c.is_whitespace() || invisible_format)
}

#[cfg(test)]
mod tests;
