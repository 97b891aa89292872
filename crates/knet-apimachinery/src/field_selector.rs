//! Field selectors — the `fieldSelector` query parameter and `kubectl --field-selector` — parsed, checked per resource
//! and matched as kube-apiserver does.
//!
//! kube-apiserver handles a field selector in three steps, and so does this module:
//!
//! 1. **Parse** (`fields.ParseSelector`): comma-separated `field=value`, `field==value` or `field!=value` terms;
//!    `\,`, `\=` and `\\` escape those characters in values. [`FieldSelector::parse`].
//! 2. **Check** (`Scheme.ConvertFieldLabel`): each field must be one the resource's kind registers. Kinds without a
//!    registration accept only `metadata.name` and `metadata.namespace` and say so in their own words.
//!    [`FieldSelector::supported_by`]. An error at either step is a 400 BadRequest ([`FieldSelectorError::to_status`]).
//! 3. **Match** (the registry's `ToSelectableFields`): the object's fields as strings; a field the kind accepts but
//!    does not project (pods' `status.podIPs`) reads as the empty string, as Go's `fields.Set.Get` reads it.
//!    [`FieldSelector::matches`].

use std::fmt;

use serde_json::Value;

use crate::resources::ResourceType;
use crate::status::{Status, bad_request, go_quote};

/// A field selector that does not parse or names a field the resource does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSelectorError {
    /// A term without an operator: `invalid selector: 'a,b=c'; can't understand 'a'`.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    Term { selector: String, term: String },
    /// A backslash before anything but `\`, `,` or `=`, or at the end of a value.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscape(String),
    /// An unescaped `,` or `=` in a value. Go prints the character as its code point: `... in value: 61`.
    #[error("invalid field selector: unescaped character in value: {}", *.0 as u32)]
    UnescapedCharacter(char),
    /// A field the kind does not register (pods, nodes, namespaces, secrets, services, events).
    #[error("field label not supported: {0}")]
    NotSupported(String),
    /// A field other than `metadata.name` or `metadata.namespace`, for kinds that register no field labels.
    #[error("{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", go_quote(.0))]
    NotKnown(String),
}

impl FieldSelectorError {
    /// The 400 BadRequest kube-apiserver answers with.
    pub fn to_status(&self) -> Status {
        bad_request(self.to_string())
    }
}

/// Whether a term requires equality or inequality (`==` is `=`, as Go makes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    Equals,
    NotEquals,
}

/// One `field=value` or `field!=value` term, with the value unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRequirement {
    pub field: String,
    pub operator: FieldOperator,
    pub value: String,
}

impl FieldRequirement {
    fn matches(&self, actual: &str) -> bool {
        match self.operator {
            FieldOperator::Equals => actual == self.value,
            FieldOperator::NotEquals => actual != self.value,
        }
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operator = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{operator}{}", self.field, escape_value(&self.value))
    }
}

/// A parsed field selector: terms that must all hold. The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldSelector {
    /// Sorted by their printed form, so printing is canonical.
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// The selector that matches everything.
    pub fn everything() -> FieldSelector {
        FieldSelector::default()
    }

    /// Parses selector text as `fields.ParseSelector` does, terms in sorted order so the first error reported is
    /// Go's. Empty terms (`a=b,,c=d`) are skipped; the empty string selects everything.
    pub fn parse(text: &str) -> Result<FieldSelector, FieldSelectorError> {
        let mut terms = split_terms(text);
        terms.sort_unstable();
        let mut requirements = Vec::new();
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let Some((field, operator, raw)) = split_term(term) else {
                return Err(FieldSelectorError::Term { selector: text.to_owned(), term: term.to_owned() });
            };
            let value = unescape_value(raw)?;
            requirements.push(FieldRequirement { field: field.to_owned(), operator, value });
        }
        Ok(FieldSelector::sorted(requirements))
    }

    /// Parses and checks in one step: what kube-apiserver does with a `fieldSelector` parameter.
    pub fn parse_for(resource: &ResourceType, text: &str) -> Result<FieldSelector, FieldSelectorError> {
        FieldSelector::parse(text)?.supported_by(resource)
    }

    /// Checks every field against the resource's kind (`ConvertFieldLabel`), rewriting pods' legacy `spec.host` to
    /// `spec.nodeName`. The first unsupported field, in Go's order, is the error.
    pub fn supported_by(self, resource: &ResourceType) -> Result<FieldSelector, FieldSelectorError> {
        let fields = KindFields::of(resource);
        let mut requirements = Vec::with_capacity(self.requirements.len());
        for requirement in self.requirements {
            let field = fields.convert(&requirement.field)?;
            requirements.push(FieldRequirement { field, ..requirement });
        }
        Ok(FieldSelector::sorted(requirements))
    }

    fn sorted(mut requirements: Vec<FieldRequirement>) -> FieldSelector {
        requirements.sort_by_cached_key(|r| r.to_string());
        FieldSelector { requirements }
    }

    /// True when the selector has no terms and so matches everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// True when every term holds for the object's selectable fields (see [`selectable_field`]).
    pub fn matches(&self, resource: &ResourceType, object: &Value) -> bool {
        self.requirements.iter().all(|requirement| {
            let actual = selectable_field(resource, object, &requirement.field).unwrap_or_default();
            requirement.matches(&actual)
        })
    }

    /// `RequiresExactMatch`: the value a `field=value` term requires, which lets a store answer
    /// `metadata.name=x` with one lookup.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator == FieldOperator::Equals)
            .map(|r| r.value.as_str())
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, requirement) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{requirement}")?;
        }
        Ok(())
    }
}

/// `splitTerms`: split at commas not escaped by a backslash (the backslash stays in the term).
fn split_terms(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&text[start..i]);
            start = i + 1;
        }
    }
    terms.push(&text[start..]);
    terms
}

/// `splitTerm`: the first `!=`, `==` or `=` splits field from raw value (fields have no escapes).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (operator, kind) in
            [("!=", FieldOperator::NotEquals), ("==", FieldOperator::Equals), ("=", FieldOperator::Equals)]
        {
            if let Some(value) = rest.strip_prefix(operator) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

/// `UnescapeValue`.
fn unescape_value(raw: &str) -> Result<String, FieldSelectorError> {
    let mut value = String::with_capacity(raw.len());
    let mut escaped = false;
    for c in raw.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(FieldSelectorError::InvalidEscape(format!("\\{c}")));
            }
            value.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ',' | '=' => return Err(FieldSelectorError::UnescapedCharacter(c)),
            c => value.push(c),
        }
    }
    if escaped {
        return Err(FieldSelectorError::InvalidEscape("\\".to_owned()));
    }
    Ok(value)
}

/// `EscapeValue`: `\`, `,` and `=` escaped with a backslash.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The field labels a kind registers (`AddFieldLabelConversionFunc` in `pkg/apis/core/v1/conversion.go`), or the
/// metadata-only default (`runtime.DefaultMetaV1FieldSelectorConversion`) for kinds that register none — which
/// includes everything in `apps`, `discovery.k8s.io` and `networking.k8s.io`.
struct KindFields {
    /// `None` for the default conversion.
    registered: Option<&'static [&'static str]>,
    /// Pods also take the legacy `spec.host`, rewritten to `spec.nodeName`.
    legacy_host: bool,
}

const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
];
// Nodes and namespaces are cluster-scoped: their conversions do not accept `metadata.namespace`.
const NODE_FIELDS: &[&str] = &["metadata.name", "spec.unschedulable"];
const NAMESPACE_FIELDS: &[&str] = &["status.phase", "metadata.name"];
const SECRET_FIELDS: &[&str] = &["type", "metadata.namespace", "metadata.name"];
const SERVICE_FIELDS: &[&str] = &["metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"];
const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];

impl KindFields {
    fn of(resource: &ResourceType) -> KindFields {
        let registered = match (resource.group, resource.kind) {
            ("", "Pod") => Some(POD_FIELDS),
            ("", "Node") => Some(NODE_FIELDS),
            ("", "Namespace") => Some(NAMESPACE_FIELDS),
            ("", "Secret") => Some(SECRET_FIELDS),
            ("", "Service") => Some(SERVICE_FIELDS),
            ("", "Event") => Some(EVENT_FIELDS),
            _ => None,
        };
        KindFields { registered, legacy_host: resource.group.is_empty() && resource.kind == "Pod" }
    }

    /// The field as the conversion returns it, or the kind's refusal.
    fn convert(&self, field: &str) -> Result<String, FieldSelectorError> {
        match self.registered {
            None if matches!(field, "metadata.name" | "metadata.namespace") => Ok(field.to_owned()),
            None => Err(FieldSelectorError::NotKnown(field.to_owned())),
            Some(fields) if fields.contains(&field) => Ok(field.to_owned()),
            // Old v1 clients send `spec.host`; the pod conversion rewrites it.
            Some(_) if self.legacy_host && field == "spec.host" => Ok("spec.nodeName".to_owned()),
            Some(_) => Err(FieldSelectorError::NotSupported(field.to_owned())),
        }
    }
}

/// The fields a resource's field selectors may name, as kube-apiserver accepts them.
pub fn supported_fields(resource: &ResourceType) -> &'static [&'static str] {
    KindFields::of(resource).registered.unwrap_or(&["metadata.name", "metadata.namespace"])
}

/// An object's value for a selectable field, as the registry's `ToSelectableFields` projects it from a v1 object:
/// strings as they are, booleans as `true`/`false` (defaulted to `false`), pods' `status.podIP` from `podIPs[0]`,
/// events' `source` from `source.component` or else `reportingComponent`. `None` for a field the kind does not
/// project, which a selector reads as the empty string.
pub fn selectable_field(resource: &ResourceType, object: &Value, field: &str) -> Option<String> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    let flag = |pointer: &str| object.pointer(pointer).and_then(Value::as_bool).unwrap_or(false).to_string();
    match field {
        "metadata.name" => return Some(text("/metadata/name")),
        "metadata.namespace" if resource.namespaced => return Some(text("/metadata/namespace")),
        _ => {}
    }
    let value = match (resource.group, resource.kind, field) {
        ("", "Pod", "spec.nodeName") => text("/spec/nodeName"),
        ("", "Pod", "spec.restartPolicy") => text("/spec/restartPolicy"),
        ("", "Pod", "spec.schedulerName") => text("/spec/schedulerName"),
        ("", "Pod", "spec.serviceAccountName") => text("/spec/serviceAccountName"),
        ("", "Pod", "spec.hostNetwork") => flag("/spec/hostNetwork"),
        ("", "Pod", "status.phase") => text("/status/phase"),
        ("", "Pod", "status.podIP") => match object.pointer("/status/podIPs/0/ip").and_then(Value::as_str) {
            Some(ip) => ip.to_owned(),
            None => text("/status/podIP"),
        },
        ("", "Pod", "status.nominatedNodeName") => text("/status/nominatedNodeName"),
        ("", "Node", "spec.unschedulable") => flag("/spec/unschedulable"),
        ("", "Namespace", "status.phase") => text("/status/phase"),
        ("", "Secret", "type") => text("/type"),
        ("", "Service", "spec.clusterIP") => text("/spec/clusterIP"),
        ("", "Service", "spec.type") => text("/spec/type"),
        ("", "Event", "source") => match text("/source/component") {
            component if !component.is_empty() => component,
            _ => text("/reportingComponent"),
        },
        ("", "Event", field) if EVENT_FIELDS.contains(&field) && !field.starts_with("metadata.") => {
            text(&format!("/{}", field.replace('.', "/")))
        }
        _ => return None,
    };
    Some(value)
}

#[cfg(test)]
mod tests;
