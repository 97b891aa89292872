//! String formats: DNS labels and subdomains, label keys and values, port names and numbers, with the exact messages
//! of `k8s.io/apimachinery/pkg/util/validation` (`IsDNS1123Label`, `IsQualifiedName`, `IsValidPortName`, ...).
//!
//! Each check returns every message that applies, as the Go functions do; callers turn each one into a
//! `field.Invalid`. The regular expressions are matched by hand (the crate takes no regex dependency) and each
//! function names the expression it implements, because that expression is also part of the message.

/// The longest DNS-1123 / DNS-1035 label.
pub(crate) const DNS_LABEL_MAX: usize = 63;
/// The longest DNS-1123 subdomain.
pub(crate) const DNS_SUBDOMAIN_MAX: usize = 253;
/// The longest label value, and the longest name part of a label key.
const LABEL_MAX: usize = 63;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const WILDCARD_FMT: &str = "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const WILDCARD_MSG: &str = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_MSG: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const HTTP_PATH_FMT: &str = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const HTTP_HEADER_FMT: &str = "[-A-Za-z0-9]+";
const HTTP_HEADER_MSG: &str = "a valid HTTP header must consist of alphanumeric characters or '-'";

/// `validation.MaxLenError`.
pub(crate) fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

/// `validation.RegexError`: the message, the examples and the expression.
fn regex_error(message: &str, format: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{message} (regex used for validation is '{format}')");
    }
    let mut out = format!("{message} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{format}')"));
    out
}

/// `validation.InclusiveRangeError`.
pub(crate) fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

/// Matches `^first(middle*last)?$` where the first and last characters come from `ends`, as the label-like
/// expressions above all have that shape.
fn shaped(value: &str, first: fn(u8) -> bool, middle: fn(u8) -> bool, last: fn(u8) -> bool) -> bool {
    let bytes = value.as_bytes();
    match bytes {
        [] => false,
        [only] => first(*only) && last(*only),
        [head, inner @ .., tail] => first(*head) && last(*tail) && inner.iter().all(|b| middle(*b)),
    }
}

fn lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn lower_alnum_dash(b: u8) -> bool {
    lower_alnum(b) || b == b'-'
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn label_key_middle(b: u8) -> bool {
    alnum(b) || matches!(b, b'-' | b'_' | b'.')
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn is_dns1123_label_shape(value: &str) -> bool {
    shaped(value, lower_alnum, lower_alnum_dash, lower_alnum)
}

/// `^label(\.label)*$` with DNS-1123 labels.
fn is_dns1123_subdomain_shape(value: &str) -> bool {
    value.split('.').all(is_dns1123_label_shape)
}

/// `IsDNS1123Label`.
pub(crate) fn dns1123_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS_LABEL_MAX {
        errors.push(max_len_error(DNS_LABEL_MAX));
    }
    if !is_dns1123_label_shape(value) {
        if is_dns1123_subdomain_shape(value) {
            // A valid subdomain that is not a label can only be one with dots, the length having been checked.
            errors.push("must not contain dots".to_owned());
        } else {
            errors.push(regex_error(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
        }
    }
    errors
}

/// `IsDNS1123Subdomain`.
pub(crate) fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS_SUBDOMAIN_MAX));
    }
    if !is_dns1123_subdomain_shape(value) {
        errors.push(regex_error(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, &["example.com"]));
    }
    errors
}

/// `IsDNS1123SubdomainWithUnderscore`: a subdomain whose labels may also start with `_` and contain `_`, as DNS
/// search domains may (`_http._tcp.example.com`).
pub(crate) fn dns1123_subdomain_with_underscore(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS_SUBDOMAIN_MAX));
    }
    let label = |part: &str| {
        let part = part.strip_prefix('_').unwrap_or(part);
        shaped(part, lower_alnum, |b| lower_alnum_dash(b) || b == b'_', lower_alnum)
    };
    if !value.split('.').all(label) {
        errors.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
            "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*",
            &["example.com"],
        ));
    }
    errors
}

/// `IsDNS1035Label`.
pub(crate) fn dns1035_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS_LABEL_MAX {
        errors.push(max_len_error(DNS_LABEL_MAX));
    }
    if !shaped(value, |b| b.is_ascii_lowercase(), lower_alnum_dash, lower_alnum) {
        errors.push(regex_error(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, &["my-name", "abc-123"]));
    }
    errors
}

/// `IsWildcardDNS1123Subdomain`: `*.` followed by a subdomain.
pub(crate) fn wildcard_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS_SUBDOMAIN_MAX));
    }
    let valid = value.strip_prefix("*.").is_some_and(is_dns1123_subdomain_shape);
    if !valid {
        errors.push(regex_error(WILDCARD_MSG, WILDCARD_FMT, &["*.example.com"]));
    }
    errors
}

/// How a name may be used: as is, or as a `generateName` prefix to which random characters are appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameUse {
    Name,
    Prefix,
}

/// `maskTrailingDash`: a prefix may end in `-` because a suffix follows it. Go replaces the last *two* bytes with
/// `a` (`name[:len(name)-2] + "a"`); that quirk is kept because it decides which prefixes validate.
fn mask_trailing_dash(name: &str, usage: NameUse) -> String {
    if usage == NameUse::Prefix && name.len() > 1 && name.ends_with('-') {
        let stem = name.get(..name.len() - 2).unwrap_or_default();
        format!("{stem}a")
    } else {
        name.to_owned()
    }
}

/// `NameIsDNSSubdomain`.
pub(crate) fn name_is_dns_subdomain(name: &str, usage: NameUse) -> Vec<String> {
    dns1123_subdomain(&mask_trailing_dash(name, usage))
}

/// `NameIsDNSLabel`.
pub(crate) fn name_is_dns_label(name: &str, usage: NameUse) -> Vec<String> {
    dns1123_label(&mask_trailing_dash(name, usage))
}

/// `NameIsDNS1035Label`.
pub(crate) fn name_is_dns1035_label(name: &str, usage: NameUse) -> Vec<String> {
    dns1035_label(&mask_trailing_dash(name, usage))
}

/// `IsQualifiedName` (`content.IsLabelKey`): an optional DNS subdomain prefix and `/`, then a name part.
pub(crate) fn qualified_name(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_owned());
            } else {
                for message in dns1123_subdomain(prefix) {
                    errors.push(format!("prefix part {message}"));
                }
            }
            *name
        }
        _ => {
            errors.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_MSG, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errors;
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else if name.len() > LABEL_MAX {
        errors.push(format!("name part {}", max_len_error(LABEL_MAX)));
    }
    if !shaped(name, alnum, label_key_middle, alnum) {
        errors.push(format!(
            "name part {}",
            regex_error(LABEL_KEY_MSG, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errors
}

/// `IsValidLabelValue`.
pub(crate) fn label_value(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > LABEL_MAX {
        errors.push(max_len_error(LABEL_MAX));
    }
    if !value.is_empty() && !shaped(value, alnum, label_key_middle, alnum) {
        errors.push(regex_error(LABEL_VALUE_MSG, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    errors
}

/// `IsValidPortNum`: 1 to 65535.
pub(crate) fn port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) { Vec::new() } else { vec![inclusive_range_error(1, 65535)] }
}

/// `IsValidPortName`: an IANA_SVC_NAME (RFC 6335), lower case only.
pub(crate) fn port_name(port: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if port.len() > 15 {
        errors.push(max_len_error(15));
    }
    if port.is_empty() || !port.bytes().all(lower_alnum_dash) {
        errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned());
    }
    if !port.bytes().any(|b| b.is_ascii_lowercase()) {
        errors.push("must contain at least one letter (a-z)".to_owned());
    }
    if port.contains("--") {
        errors.push("must not contain consecutive hyphens".to_owned());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errors.push("must not begin or end with a hyphen".to_owned());
    }
    errors
}

/// `IsConfigMapKey`: the keys of ConfigMap and Secret data.
pub(crate) fn config_map_key(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS_SUBDOMAIN_MAX));
    }
    let charset = |b: u8| alnum(b) || matches!(b, b'-' | b'.' | b'_');
    if value.is_empty() || !value.bytes().all(charset) {
        errors.push(regex_error(CONFIG_KEY_MSG, CONFIG_KEY_FMT, &["key.name", "KEY_NAME", "key-name"]));
    }
    match value {
        "." => errors.push("must not be '.'".to_owned()),
        ".." => errors.push("must not be '..'".to_owned()),
        v if v.starts_with("..") => errors.push("must not start with '..'".to_owned()),
        _ => {}
    }
    errors
}

/// `IsHTTPHeaderName`.
pub(crate) fn http_header_name(value: &str) -> Vec<String> {
    if !value.is_empty() && value.bytes().all(|b| alnum(b) || b == b'-') {
        Vec::new()
    } else {
        vec![regex_error(HTTP_HEADER_MSG, HTTP_HEADER_FMT, &["X-Header-Name"])]
    }
}

/// Whether `value` matches the RFC 3986 path characters of `IsDomainPrefixedPath`.
pub(crate) fn is_http_path(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| alnum(b) || b"/-._~%!$&'()*+,;=:".contains(&b))
}

/// The message `IsDomainPrefixedPath` gives for a path part with other characters.
pub(crate) fn http_path_error() -> String {
    regex_error("Invalid path", HTTP_PATH_FMT, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_label_with_dots_gets_the_short_message() {
        assert_eq!(dns1123_label("a.b"), ["must not contain dots"]);
        assert!(dns1123_label("a-1").is_empty());
        assert_eq!(dns1123_label("-a").len(), 1);
    }

    #[test]
    fn subdomain_and_wildcard() {
        assert!(dns1123_subdomain("a.b-c.d").is_empty());
        assert_eq!(dns1123_subdomain("a..b").len(), 1);
        assert!(wildcard_dns1123_subdomain("*.example.com").is_empty());
        assert_eq!(wildcard_dns1123_subdomain("*.*.example.com").len(), 1);
        assert_eq!(wildcard_dns1123_subdomain("a.*.com").len(), 1);
    }

    #[test]
    fn qualified_names() {
        assert!(qualified_name("app.kubernetes.io/name").is_empty());
        assert!(qualified_name("A_b.c").is_empty());
        assert_eq!(qualified_name("/x"), ["prefix part must be non-empty"]);
        assert_eq!(qualified_name("a/b/c").len(), 1);
        assert_eq!(qualified_name("x/").len(), 2);
    }

    #[test]
    fn port_names_follow_iana() {
        assert!(port_name("http-alt").is_empty());
        assert_eq!(
            port_name("-8080"),
            ["must contain at least one letter (a-z)", "must not begin or end with a hyphen"]
        );
        assert_eq!(port_name("a--b"), ["must not contain consecutive hyphens"]);
        assert_eq!(port_name("abcdefghijklmnop"), ["must be no more than 15 characters"]);
    }

    #[test]
    fn generate_name_prefixes_may_end_with_a_dash() {
        assert!(name_is_dns_subdomain("web-", NameUse::Prefix).is_empty());
        assert_eq!(name_is_dns_subdomain("web-", NameUse::Name).len(), 1);
    }
}
