//! Field paths and error lists as `k8s.io/apimachinery/pkg/util/validation/field` builds and prints them.
//!
//! Every validator in this module tree appends to an [`ErrorList`] through the constructors here, so the shape of a
//! message (`<path>: <kind>: <value>: <detail>`) and the way values are rendered live in one place. Values are
//! rendered the way `field.Error.ErrorBody` renders Go values: strings with `%q`, numbers bare, and composite values
//! with `%#v` (`map[string]string{"app":"web"}`), which is why [`go`] exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{FieldError, FieldErrorKind};

/// A field path under construction: `spec.ports[0].nodePort`, `metadata.annotations[key]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path(String);

impl Path {
    /// A path that starts at a top-level field (`metadata`, `spec`).
    pub(crate) fn root(name: &str) -> Path {
        Path(name.to_owned())
    }

    /// `parent.name`.
    pub(crate) fn child(&self, name: &str) -> Path {
        if self.0.is_empty() { Path(name.to_owned()) } else { Path(format!("{}.{name}", self.0)) }
    }

    /// `parent[index]`.
    pub(crate) fn index(&self, index: usize) -> Path {
        Path(format!("{}[{index}]", self.0))
    }

    /// `parent[key]`, for map entries.
    pub(crate) fn key(&self, key: &str) -> Path {
        Path(format!("{}[{key}]", self.0))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The errors found so far, in the order kube-apiserver appends them.
#[derive(Debug, Default)]
pub(crate) struct ErrorList(pub(crate) Vec<FieldError>);

impl ErrorList {
    fn push(&mut self, kind: FieldErrorKind, path: &Path, value: Option<String>, detail: &str) {
        self.0.push(FieldError { kind, field: path.as_str().to_owned(), value, detail: detail.to_owned() });
    }

    /// `field.Required`: prints no value.
    pub(crate) fn required(&mut self, path: &Path, detail: &str) {
        self.push(FieldErrorKind::Required, path, None, detail);
    }

    /// `field.Forbidden`: prints no value.
    pub(crate) fn forbidden(&mut self, path: &Path, detail: &str) {
        self.push(FieldErrorKind::Forbidden, path, None, detail);
    }

    /// `field.Invalid` with an already rendered value (see [`go`]).
    pub(crate) fn invalid(&mut self, path: &Path, value: impl GoValue, detail: &str) {
        self.push(FieldErrorKind::Invalid, path, Some(value.go()), detail);
    }

    /// `field.Invalid` once per message, as the `for _, msg := range validation.IsXxx(value)` loops do.
    pub(crate) fn invalid_each(&mut self, path: &Path, value: &str, messages: Vec<String>) {
        for message in messages {
            self.invalid(path, value, &message);
        }
    }

    /// `field.NotSupported`: lists the supported values, quoted, in the order given (callers pass them in the order
    /// kube-apiserver does, which is sorted wherever it uses `sets.List`).
    pub(crate) fn not_supported(&mut self, path: &Path, value: impl GoValue, supported: &[&str]) {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go::quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        self.push(FieldErrorKind::NotSupported, path, Some(value.go()), &detail);
    }

    /// `field.Duplicate`: prints the value and no detail.
    pub(crate) fn duplicate(&mut self, path: &Path, value: impl GoValue) {
        self.push(FieldErrorKind::Duplicate, path, Some(value.go()), "");
    }

    /// `field.NotFound`: prints the value and no detail.
    pub(crate) fn not_found(&mut self, path: &Path, value: impl GoValue) {
        self.push(FieldErrorKind::NotFound, path, Some(value.go()), "");
    }

    /// `field.TooLong`: prints no value, only the limit in bytes.
    pub(crate) fn too_long(&mut self, path: &Path, max_bytes: usize) {
        let unit = if max_bytes == 1 { "byte" } else { "bytes" };
        self.push(FieldErrorKind::TooLong, path, None, &format!("may not be more than {max_bytes} {unit}"));
    }

    /// `field.TooMany`: prints the actual count and the limit.
    pub(crate) fn too_many(&mut self, path: &Path, actual: usize, max: usize) {
        self.push(FieldErrorKind::TooMany, path, Some(actual.to_string()), &format!("must have at most {max} items"));
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Drops repeated messages, keeping the first, as `ErrorList.ToAggregate` does before the API server answers.
    pub(crate) fn into_deduplicated(self) -> Vec<FieldError> {
        let mut seen = std::collections::HashSet::new();
        self.0.into_iter().filter(|error| seen.insert(error.to_string())).collect()
    }
}

/// A value as `field.Error` prints it.
pub(crate) trait GoValue {
    fn go(&self) -> String;
}

impl GoValue for &str {
    fn go(&self) -> String {
        go::quote(self)
    }
}

impl GoValue for &String {
    fn go(&self) -> String {
        go::quote(self)
    }
}

impl GoValue for i32 {
    fn go(&self) -> String {
        self.to_string()
    }
}

impl GoValue for i64 {
    fn go(&self) -> String {
        self.to_string()
    }
}

/// A value already rendered in Go syntax (`%#v` of a struct, a map or a slice).
pub(crate) struct Raw(pub(crate) String);

impl GoValue for Raw {
    fn go(&self) -> String {
        self.0.clone()
    }
}

/// Renderings of Go values, for the messages that print a composite value with `%#v`.
pub(crate) mod go {
    use super::*;

    /// `strconv.Quote`: double quotes, with Go's escapes for quotes, backslashes and unprintable characters.
    pub(crate) fn quote(s: &str) -> String {
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
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() || c == '\u{feff}' => {
                    if (c as u32) <= 0xffff {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    } else {
                        let _ = write!(out, "\\U{:08x}", c as u32);
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// `%#v` of a `map[string]string` (Go prints map keys sorted); `None` is the nil map.
    pub(crate) fn string_map(map: Option<&BTreeMap<String, String>>) -> String {
        match map {
            None => "map[string]string(nil)".to_owned(),
            Some(map) => {
                let entries: Vec<String> = map.iter().map(|(k, v)| format!("{}:{}", quote(k), quote(v))).collect();
                format!("map[string]string{{{}}}", entries.join(", "))
            }
        }
    }

    /// `%#v` of a slice of strings or string-typed values: `[]string{"a", "b"}`; `None` is the nil slice.
    pub(crate) fn string_slice(type_name: &str, items: Option<&[String]>) -> String {
        match items {
            None => format!("[]{type_name}(nil)"),
            Some(items) => {
                let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
                format!("[]{type_name}{{{}}}", quoted.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go_strconv() {
        assert_eq!(go::quote("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\x01é""#);
    }

    #[test]
    fn maps_and_slices_render_like_percent_sharp_v() {
        let map: BTreeMap<String, String> =
            [("b", "2"), ("a", "1")].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        assert_eq!(go::string_map(Some(&map)), r#"map[string]string{"a":"1", "b":"2"}"#);
        assert_eq!(go::string_map(None), "map[string]string(nil)");
        assert_eq!(go::string_slice("string", Some(&["x".to_owned(), "y".to_owned()])), r#"[]string{"x", "y"}"#);
    }

    #[test]
    fn duplicates_are_dropped_keeping_the_first() {
        let mut errors = ErrorList::default();
        let path = Path::root("spec").child("a");
        errors.required(&path, "");
        errors.forbidden(&path, "x");
        errors.required(&path, "");
        let kept: Vec<String> = errors.into_deduplicated().iter().map(ToString::to_string).collect();
        assert_eq!(kept, ["spec.a: Required value", "spec.a: Forbidden: x"]);
    }
}
