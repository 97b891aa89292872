//! `metadata` (names, namespace, labels, annotations) and label selectors, after
//! `k8s.io/apimachinery/pkg/api/validation/objectmeta.go` and `pkg/apis/meta/v1/validation`.
//!
//! Selectors are also *evaluated* here, because workload validation must check that a controller's selector matches
//! its own pod template (`` `selector` does not match template `labels` ``).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::content::{self, NameUse};
use super::field::{ErrorList, Path, Raw};

/// The total size of all annotation keys and values, `TotalAnnotationSizeLimitB`.
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

/// Which format a kind's `metadata.name` must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameFormat {
    /// `NameIsDNSSubdomain`: most kinds.
    DnsSubdomain,
    /// `NameIsDNSLabel`: Namespaces.
    DnsLabel,
    /// `NameIsDNS1035Label`: Services, whose names become DNS labels and environment variable prefixes.
    Dns1035Label,
}

impl NameFormat {
    pub(crate) fn check(self, name: &str, usage: NameUse) -> Vec<String> {
        match self {
            NameFormat::DnsSubdomain => content::name_is_dns_subdomain(name, usage),
            NameFormat::DnsLabel => content::name_is_dns_label(name, usage),
            NameFormat::Dns1035Label => content::name_is_dns1035_label(name, usage),
        }
    }
}

/// `ValidateObjectMeta` on create.
///
/// Two differences from the API server, both because a manifest is not a request: a missing namespace is not an
/// error (the request path supplies it), and a `generateName` without a name is accepted (the server generates the
/// name; the prefix itself is still checked).
pub(crate) fn object_meta(meta: &ObjectMeta, namespaced: bool, format: NameFormat, errors: &mut ErrorList) {
    let path = Path::root("metadata");
    let generate_name = meta.generate_name.as_deref().unwrap_or_default();
    if !generate_name.is_empty() {
        errors.invalid_each(&path.child("generateName"), generate_name, format.check(generate_name, NameUse::Prefix));
    }
    match meta.name.as_deref().unwrap_or_default() {
        "" if !generate_name.is_empty() => {}
        "" => errors.required(&path.child("name"), "name or generateName is required"),
        name => errors.invalid_each(&path.child("name"), name, format.check(name, NameUse::Name)),
    }
    if namespaced {
        let namespace = meta.namespace.as_deref().unwrap_or_default();
        if !namespace.is_empty() {
            errors.invalid_each(
                &path.child("namespace"),
                namespace,
                content::name_is_dns_label(namespace, NameUse::Name),
            );
        }
    }
    if let Some(generation) = meta.generation {
        nonnegative(generation, &path.child("generation"), errors);
    }
    labels(meta.labels.as_ref(), &path.child("labels"), errors);
    annotations(meta.annotations.as_ref(), &path.child("annotations"), errors);
}

/// The metadata part of `ValidatePodTemplateSpec`. kube-apiserver reports these at `spec.template.labels`, not
/// `spec.template.metadata.labels`, and so does this.
pub(crate) fn template_metadata(meta: Option<&ObjectMeta>, path: &Path, errors: &mut ErrorList) {
    labels(meta.and_then(|m| m.labels.as_ref()), &path.child("labels"), errors);
    annotations(meta.and_then(|m| m.annotations.as_ref()), &path.child("annotations"), errors);
}

/// `ValidateNonnegativeField`.
pub(crate) fn nonnegative(value: i64, path: &Path, errors: &mut ErrorList) {
    if value < 0 {
        errors.invalid(path, value, "must be greater than or equal to 0");
    }
}

/// `ValidateLabels`: every key a qualified name, every value a label value. Go walks the map in random order; this
/// walks it sorted, so reports are stable.
pub(crate) fn labels(labels: Option<&BTreeMap<String, String>>, path: &Path, errors: &mut ErrorList) {
    for (key, value) in labels.into_iter().flatten() {
        label_name(key, path, errors);
        errors.invalid_each(path, value, content::label_value(value));
    }
}

/// `ValidateLabelName`.
pub(crate) fn label_name(key: &str, path: &Path, errors: &mut ErrorList) {
    errors.invalid_each(path, key, content::qualified_name(key));
}

/// `ValidateAnnotations`: keys are qualified names compared in lower case; the whole map is limited in size.
fn annotations(annotations: Option<&BTreeMap<String, String>>, path: &Path, errors: &mut ErrorList) {
    let Some(annotations) = annotations else {
        return;
    };
    for key in annotations.keys() {
        errors.invalid_each(path, key, content::qualified_name(&key.to_lowercase()));
    }
    let size: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > ANNOTATIONS_MAX_BYTES {
        errors.too_long(path, ANNOTATIONS_MAX_BYTES);
    }
}

/// `ValidateLabelSelector` (`unversionedvalidation`), with label values in expressions checked as on create.
pub(crate) fn label_selector(selector: &LabelSelector, path: &Path, errors: &mut ErrorList) {
    labels(selector.match_labels.as_ref(), &path.child("matchLabels"), errors);
    for (i, requirement) in selector.match_expressions.iter().flatten().enumerate() {
        let path = path.child("matchExpressions").index(i);
        let values = requirement.values.as_deref().unwrap_or_default();
        match requirement.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errors.required(&path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'");
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errors.forbidden(
                        &path.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    );
                }
            }
            operator => errors.invalid(&path.child("operator"), operator, "not a valid selector operator"),
        }
        label_name(&requirement.key, &path.child("key"), errors);
        for (j, value) in values.iter().enumerate() {
            errors.invalid_each(&path.child("values").index(j), value, content::label_value(value));
        }
    }
}

/// Whether a selector has no terms at all, which k8s-openapi cannot tell apart from a missing one: both decode to
/// `LabelSelector { match_labels: None, match_expressions: None }`.
pub(crate) fn is_unset(selector: &LabelSelector) -> bool {
    selector.match_labels.is_none() && selector.match_expressions.is_none()
}

/// Whether a present selector selects everything (`{}` or empty term lists).
pub(crate) fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// Whether `metav1.LabelSelectorAsSelector` would accept the selector: it refuses exactly what
/// [`label_selector`] reports.
pub(crate) fn converts(selector: &LabelSelector) -> bool {
    let mut errors = ErrorList::default();
    label_selector(selector, &Path::root(""), &mut errors);
    errors.len() == 0
}

/// Whether a (valid) selector matches a set of labels.
pub(crate) fn matches(selector: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let get = |key: &str| labels.and_then(|l| l.get(key));
    let labels_match = selector.match_labels.iter().flatten().all(|(k, v)| get(k) == Some(v));
    let expressions_match = selector.match_expressions.iter().flatten().all(|r| {
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" => get(&r.key).is_some_and(|v| values.contains(v)),
            "NotIn" => get(&r.key).is_none_or(|v| !values.contains(v)),
            "Exists" => get(&r.key).is_some(),
            "DoesNotExist" => get(&r.key).is_none(),
            _ => false,
        }
    });
    labels_match && expressions_match
}

/// A selector as its generated protobuf `String()` prints it, which is how `field.Error` shows a
/// `*metav1.LabelSelector`: `&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]...{},}`.
pub(crate) fn selector_value(selector: &LabelSelector) -> Raw {
    let mut labels = String::from("map[string]string{");
    for (k, v) in selector.match_labels.iter().flatten() {
        labels.push_str(&format!("{k}: {v},"));
    }
    labels.push('}');
    let mut expressions = String::from("[]LabelSelectorRequirement{");
    for r in selector.match_expressions.iter().flatten() {
        let values = r.values.as_deref().unwrap_or_default().join(" ");
        expressions.push_str(&format!(
            "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{values}],}},",
            r.key, r.operator
        ));
    }
    expressions.push('}');
    Raw(format!("&LabelSelector{{MatchLabels:{labels},MatchExpressions:{expressions},}}"))
}
