//! The four ways a client changes a stored object in place: JSON merge patch, JSON patch, strategic merge patch and
//! server-side apply, each a pure function from JSON to JSON.
//!
//! Which one to call follows the request's `Content-Type` ([`PatchType::from_content_type`]):
//!
//! | Content-Type | function | when kubectl sends it |
//! |---|---|---|
//! | `application/merge-patch+json` | [`merge_patch`] (RFC 7386) | `kubectl patch --type=merge` |
//! | `application/json-patch+json` | [`json_patch`] (RFC 6902) | `kubectl patch --type=json` |
//! | `application/strategic-merge-patch+json` | [`strategic_merge_patch`] | the second `kubectl apply`, `kubectl patch` |
//! | `application/apply-patch+yaml` | [`server_side_apply`] | `kubectl apply --server-side` (the body is JSON) |
//!
//! A strategic merge patch needs to know, for every list of the object, whether it is merged by a key or replaced:
//! [`merge_keys`] holds that table, taken from the `patchStrategy` / `patchMergeKey` tags of the real Kubernetes
//! types, for the kinds knet serves. Server-side apply reads the same table for its list types and records who owns
//! which field in `metadata.managedFields`; [`track_update`] records the owners of ordinary writes, so that a later
//! apply can name the manager it conflicts with, as kube-apiserver does.
//!
//! Errors carry the HTTP status and `reason` kube-apiserver would answer with ([`PatchError::code`],
//! [`ApplyError::code`]), so the server builds its `Status` objects in one place without guessing.

mod apply;
mod fieldset;
mod json;
mod merge;
pub mod merge_keys;
mod strategic;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_apply;
#[cfg(test)]
mod tests_rfc;

pub use apply::{Applied, Conflict, server_side_apply, stamp_time, track_update};
pub use json::{MAX_JSON_PATCH_OPERATIONS, json_patch};
pub use merge::merge_patch;
pub use strategic::strategic_merge_patch;

/// The patch formats kube-apiserver accepts, named by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`: a list of RFC 6902 operations.
    Json,
    /// `application/merge-patch+json`: an RFC 7386 merge patch.
    Merge,
    /// `application/strategic-merge-patch+json`: Kubernetes' strategic merge patch.
    StrategicMerge,
    /// `application/apply-patch+yaml`: a server-side apply configuration (kubectl sends it as JSON text).
    Apply,
}

impl PatchType {
    /// The patch type a `Content-Type` header names, ignoring parameters (`; charset=utf-8`) and case.
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }

    /// The media type, as discovery and OpenAPI documents list it.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Why a JSON patch or a strategic merge patch could not be applied.
///
/// [`PatchError::code`] and [`PatchError::reason`] give the `Status` kube-apiserver answers with. For 422 it frames the
/// error generically: `message` is `the server rejected our request due to an error in our request` and the text of
/// this error goes into `details.causes[0].message` (cause type `UnexpectedServerResponse`), which kubectl prints.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    /// The patch body does not have the shape its type needs: a JSON patch that is not an array of operation objects,
    /// a strategic merge patch that is not an object, a directive whose value is not a list
    /// (`$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`). 400 `BadRequest`.
    #[error("{message}")]
    BadRequest {
        /// What was wrong, in kube-apiserver's words where it has some (`invalid patch format of retainKeys`).
        message: String,
    },
    /// A JSON patch has more operations than kube-apiserver accepts. 413 `RequestEntityTooLarge`.
    #[error("The allowed maximum operations in a JSON patch is {max}, got: {count}")]
    TooManyOperations {
        /// The number of operations in the patch.
        count: usize,
        /// [`MAX_JSON_PATCH_OPERATIONS`].
        max: usize,
    },
    /// A JSON patch operation could not be applied: unknown `op`, a missing member, a path that does not exist, an
    /// array index out of range, a move into its own child. The whole patch is refused. 422 `Invalid`.
    #[error("json patch operation {index} ({op} {path:?}): {message}")]
    JsonPatchOperation {
        /// The position of the operation in the patch, from 0.
        index: usize,
        /// The `op` member as sent (`add`, `remove`, …), or `?` when it is missing.
        op: String,
        /// The `path` member as sent.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A JSON patch `test` operation found another value. 422 `Invalid`.
    #[error("json patch operation {index} (test {path:?}): test failed: the value is {actual}, not {expected}")]
    JsonPatchTestFailed {
        /// The position of the operation in the patch, from 0.
        index: usize,
        /// The `path` member as sent.
        path: String,
        /// The value found, as compact JSON (shortened when long).
        actual: String,
        /// The value the operation expected, as compact JSON (shortened when long).
        expected: String,
    },
    /// A strategic merge patch cannot be merged into the object: a list element without its merge key, an unknown
    /// `$patch` directive, list elements of different types, a `$setElementOrder` list that contradicts the patch.
    /// 422 `Invalid`.
    #[error("{path}: {message}")]
    Invalid {
        /// Where, as a field path of the object (`spec.template.spec.containers[1]`); `<root>` for the whole object.
        path: String,
        /// What was wrong, in kube-apiserver's words where it has some.
        message: String,
    },
    /// The kind has no strategic merge patch table (a custom resource, or a kind knet does not serve). kube-apiserver
    /// refuses strategic merge patches of custom resources with 415; JSON patch, merge patch and apply still work.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )]
    UnsupportedKind {
        /// The `apiVersion` asked for.
        api_version: String,
        /// The `kind` asked for.
        kind: String,
    },
}

impl PatchError {
    /// The HTTP status code of the `Status` kube-apiserver answers with.
    pub fn code(&self) -> u16 {
        match self {
            PatchError::BadRequest { .. } => 400,
            PatchError::TooManyOperations { .. } => 413,
            PatchError::JsonPatchOperation { .. }
            | PatchError::JsonPatchTestFailed { .. }
            | PatchError::Invalid { .. } => 422,
            PatchError::UnsupportedKind { .. } => 415,
        }
    }

    /// The `reason` of that `Status`.
    pub fn reason(&self) -> &'static str {
        match self.code() {
            400 => "BadRequest",
            413 => "RequestEntityTooLarge",
            415 => "UnsupportedMediaType",
            _ => "Invalid",
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> PatchError {
        PatchError::BadRequest { message: message.into() }
    }
}

/// Why a server-side apply (or the bookkeeping of an update) was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// The applied configuration is not an object, lacks `apiVersion` or `kind`, names another kind than the URL, or
    /// sets `metadata.managedFields`. 400 `BadRequest`.
    #[error("{message}")]
    BadRequest {
        /// What was wrong.
        message: String,
    },
    /// The configuration is not valid for its schema: an element of a keyed list lacks a key field, or two elements
    /// have the same key. 422 `Invalid`.
    #[error("{path}: {message}")]
    Invalid {
        /// Where, in server-side apply's path notation (`.spec.template.spec.containers`).
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The configuration changes fields another manager owns, and `force` was not given. 409 `Conflict`; each
    /// [`Conflict`] becomes a `details.causes[]` entry of type `FieldManagerConflict` ([`Conflict::cause_message`],
    /// `field` = [`Conflict::path`]).
    #[error("{}", conflict_message(.0))]
    Conflict(Vec<Conflict>),
}

impl ApplyError {
    /// The HTTP status code of the `Status` kube-apiserver answers with.
    pub fn code(&self) -> u16 {
        match self {
            ApplyError::BadRequest { .. } => 400,
            ApplyError::Invalid { .. } => 422,
            ApplyError::Conflict(_) => 409,
        }
    }

    /// The `reason` of that `Status`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApplyError::BadRequest { .. } => "BadRequest",
            ApplyError::Invalid { .. } => "Invalid",
            ApplyError::Conflict(_) => "Conflict",
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApplyError {
        ApplyError::BadRequest { message: message.into() }
    }
}

/// kube-apiserver's wording: one conflict on one line; several grouped by manager, managers sorted.
fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!("Apply failed with 1 conflict: conflict with {}: {}", only.manager_display(), only.path);
    }
    let mut managers: Vec<String> = conflicts.iter().map(Conflict::manager_display).collect();
    managers.sort();
    managers.dedup();
    let mut lines = Vec::new();
    for manager in &managers {
        lines.push(format!("conflicts with {manager}:"));
        for conflict in conflicts.iter().filter(|c| &c.manager_display() == manager) {
            lines.push(format!("- {}", conflict.path));
        }
    }
    format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
}
