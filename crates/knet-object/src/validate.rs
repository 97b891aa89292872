//! API-server validation for every networking-relevant field, with kube-apiserver's field paths and wording.
//!
//! The same functions answer HTTP 422 in the API server and report invalid manifests offline, so an object the
//! analyzer accepts is one a real cluster would accept.
//!
//! Validation expects a defaulted object ([`crate::defaults::apply`]), as kube-apiserver validates after defaulting:
//! an undefaulted Service, for example, is missing its `type` and `sessionAffinity`. Each kind has its own module,
//! named after the Go package function it follows (`ValidateService`, `ValidateIngressCreate`, ...), so a message
//! can be checked against its source:
//!
//! - `meta`: names, namespaces, labels, annotations, label selectors;
//! - `service`, `pod`, `workload`, `ingress`, `netpol`, `endpoints`: the kinds;
//! - `content` and `net`: string formats and IP/CIDR parsing with the exact Go messages;
//! - `field`: field paths, the error list, and Go's rendering of values.
//!
//! Errors come in kube-apiserver's order, with repeated messages dropped as `ErrorList.ToAggregate` drops them.
//! Where Go walks a map (labels, selectors), this walks it sorted, so reports are stable.

use std::fmt;
use std::ops::RangeInclusive;

use crate::object::Object;

mod content;
mod endpoints;
mod field;
mod ingress;
mod meta;
mod net;
mod netpol;
mod pod;
mod service;
mod workload;

#[cfg(test)]
mod tests;

use field::{ErrorList, Path};
use meta::NameFormat;

/// The kind of a field error, mirroring `k8s.io/apimachinery/pkg/util/validation/field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    /// `Required value`: a field that must be set is missing or empty.
    Required,
    /// `Invalid value`: the value is malformed or out of range.
    Invalid,
    /// `Unsupported value`: the value is not one of an enumerated set.
    NotSupported,
    /// `Duplicate value`: the value repeats one that must be unique.
    Duplicate,
    /// `Forbidden`: the field may not be set in this combination.
    Forbidden,
    /// `Too long`: the value exceeds a length limit.
    TooLong,
    /// `Not found`: the value refers to something that does not exist (a volume mount naming no volume).
    NotFound,
    /// `Too many`: a list has more items than allowed.
    TooMany,
}

impl FieldErrorKind {
    /// The phrase kube-apiserver prints for this kind, e.g. `Invalid value`.
    pub fn phrase(self) -> &'static str {
        match self {
            FieldErrorKind::Required => "Required value",
            FieldErrorKind::Invalid => "Invalid value",
            FieldErrorKind::NotSupported => "Unsupported value",
            FieldErrorKind::Duplicate => "Duplicate value",
            FieldErrorKind::Forbidden => "Forbidden",
            FieldErrorKind::TooLong => "Too long",
            FieldErrorKind::NotFound => "Not found",
            FieldErrorKind::TooMany => "Too many",
        }
    }

    /// The `reason` of a `StatusCause` in a 422 answer, e.g. `FieldValueInvalid`.
    pub fn cause_reason(self) -> &'static str {
        match self {
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::Invalid => "FieldValueInvalid",
            FieldErrorKind::NotSupported => "FieldValueNotSupported",
            FieldErrorKind::Duplicate => "FieldValueDuplicate",
            FieldErrorKind::Forbidden => "FieldValueForbidden",
            FieldErrorKind::TooLong => "FieldValueTooLong",
            FieldErrorKind::NotFound => "FieldValueNotFound",
            FieldErrorKind::TooMany => "FieldValueTooMany",
        }
    }
}

/// One invalid field: `spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. ...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    pub kind: FieldErrorKind,
    /// The field path as kube-apiserver writes it: `spec.ports[0].nodePort`, `metadata.labels`.
    pub field: String,
    /// The offending value rendered as kube-apiserver renders it (strings quoted, numbers bare), when it prints one.
    pub value: Option<String>,
    /// The explanation after the value; may be empty.
    pub detail: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.kind.phrase())?;
        if let Some(value) = &self.value {
            write!(f, ": {value}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// Cluster settings that validation depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationConfig {
    /// The NodePort range (`--service-node-port-range`), `30000-32767` by default.
    pub node_port_range: RangeInclusive<u16>,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig { node_port_range: 30000..=32767 }
    }
}

/// Validates an object (after defaulting) as kube-apiserver does on create, with the default cluster settings.
pub fn validate(object: &Object) -> Vec<FieldError> {
    validate_with(object, &ValidationConfig::default())
}

/// Validates an object (after defaulting) as kube-apiserver does on create.
///
/// Objects of kinds knet does not analyse ([`Object::Other`]) are not validated: their rules (even for names) are
/// their own.
pub fn validate_with(object: &Object, config: &ValidationConfig) -> Vec<FieldError> {
    let mut errors = ErrorList::default();
    match object {
        Object::Namespace(namespace) => {
            meta::object_meta(&namespace.metadata, false, NameFormat::DnsLabel, &mut errors)
        }
        Object::Pod(pod) => workload::pod(pod, &mut errors),
        Object::Deployment(deployment) => workload::deployment(deployment, &mut errors),
        Object::ReplicaSet(replica_set) => workload::replica_set(replica_set, &mut errors),
        Object::StatefulSet(stateful_set) => workload::stateful_set(stateful_set, &mut errors),
        Object::DaemonSet(daemon_set) => workload::daemon_set(daemon_set, &mut errors),
        Object::Job(job) => workload::job(job, &mut errors),
        Object::CronJob(cron_job) => workload::cron_job(cron_job, &mut errors),
        Object::Service(svc) => service::service(svc, config, &mut errors),
        Object::Endpoints(eps) => endpoints::endpoints(eps, &mut errors),
        Object::EndpointSlice(slice) => endpoints::endpoint_slice(slice, &mut errors),
        Object::Ingress(ing) => ingress::ingress(ing, &mut errors),
        Object::IngressClass(class) => ingress::ingress_class(class, &mut errors),
        Object::NetworkPolicy(policy) => netpol::network_policy(policy, &mut errors),
        Object::ConfigMap(config_map) => {
            meta::object_meta(&config_map.metadata, true, NameFormat::DnsSubdomain, &mut errors);
            let keys = config_map.data.iter().flatten().map(|(k, _)| k);
            data_keys(keys, &Path::root("data"), &mut errors);
            let binary = config_map.binary_data.iter().flatten().map(|(k, _)| k);
            data_keys(binary, &Path::root("binaryData"), &mut errors);
            let size = config_map.data.iter().flatten().map(|(_, v)| v.len()).sum::<usize>()
                + config_map.binary_data.iter().flatten().map(|(_, v)| v.0.len()).sum::<usize>();
            if size > MAX_DATA_BYTES {
                // kube-apiserver names the whole object with an empty path, which Go prints as `[]`.
                errors.too_long(&Path::root("[]"), MAX_DATA_BYTES);
            }
        }
        Object::Secret(secret) => {
            meta::object_meta(&secret.metadata, true, NameFormat::DnsSubdomain, &mut errors);
            // `stringData` is merged into `data` before validation, so its keys are reported under `data`.
            let keys = secret.data.iter().flatten().map(|(k, _)| k);
            let string_keys = secret.string_data.iter().flatten().map(|(k, _)| k);
            data_keys(keys.chain(string_keys), &Path::root("data"), &mut errors);
            // `stringData` overwrites `data` key by key before validation.
            let strings = secret.string_data.iter().flatten();
            let data = secret
                .data
                .iter()
                .flatten()
                .filter(|(k, _)| secret.string_data.as_ref().is_none_or(|strings| !strings.contains_key(*k)));
            let size = data.map(|(_, v)| v.0.len()).sum::<usize>() + strings.map(|(_, v)| v.len()).sum::<usize>();
            if size > MAX_DATA_BYTES {
                errors.too_long(&Path::root("data"), MAX_DATA_BYTES);
            }
        }
        Object::Other(_) => {}
    }
    errors.into_deduplicated()
}

/// The most data a ConfigMap or a Secret may hold, in bytes of values (`MaxSecretSize`, 1 MiB).
pub const MAX_DATA_BYTES: usize = 1024 * 1024;

/// ConfigMap and Secret keys (`IsConfigMapKey`).
fn data_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &Path, errors: &mut ErrorList) {
    for key in keys {
        errors.invalid_each(&path.key(key), key, content::config_map_key(key));
    }
}

/// The message kubectl prints for a refused object: `The Service "x" is invalid: <error>`, or a `* ` list for several.
pub fn invalid_message(kind: &str, name: &str, errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("The {kind} \"{name}\" is invalid: {one}"),
        many => {
            let mut message = format!("The {kind} \"{name}\" is invalid: ");
            for error in many {
                message.push_str(&format!("\n* {error}"));
            }
            message
        }
    }
}
