//! Rule hosts and request hosts: parsing, validation and matching.
//!
//! A rule host is precise (`foo.bar.com`), a wildcard whose `*` stands for exactly one leading label (`*.bar.com`
//! matches `foo.bar.com`, not `bar.com` and not `a.foo.bar.com`), or absent (the catch-all). ingress-nginx writes a
//! wildcard as the nginx server name `~^(?<subdomain>[\w-]+)\.bar\.com$`, so the label may hold letters, digits, `_`
//! and `-`. nginx lower-cases the Host header, drops a trailing dot and ignores the port before choosing a server.

use std::fmt;
use std::net::IpAddr;

/// The host part of an Ingress rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostPattern {
    /// A precise host name, lower case.
    Exact(String),
    /// `*.<suffix>`: any single label in front of the suffix (stored without `*.`).
    Wildcard(String),
    /// No host: the rule lives on the catch-all server, which answers Hosts no other server claims.
    Any,
}

impl HostPattern {
    /// Parses and validates `spec.rules[].host` (or a TLS host) the way the API server does: a lower-case DNS subdomain,
    /// optionally with `*.` in front; no IP address, no port. The error says what is wrong.
    pub fn parse(host: Option<&str>) -> Result<HostPattern, String> {
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            return Ok(HostPattern::Any);
        };
        if host.parse::<IpAddr>().is_ok() {
            return Err(format!("{host:?} is an IP address; a rule host must be a DNS name"));
        }
        if host.contains(':') {
            return Err(format!("{host:?} has a port; rule hosts cannot name ports"));
        }
        let (wildcard, name) = match host.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, host),
        };
        if let Some(reason) = dns_subdomain_problem(name) {
            return Err(format!("{host:?} {reason}"));
        }
        if wildcard { Ok(HostPattern::Wildcard(name.to_owned())) } else { Ok(HostPattern::Exact(name.to_owned())) }
    }

    /// Whether a request host (already [normalized](normalize_request_host)) is this pattern's.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(name) => name == host,
            HostPattern::Wildcard(suffix) => host
                .strip_suffix(suffix.as_str())
                .and_then(|front| front.strip_suffix('.'))
                .is_some_and(is_wildcard_label),
            HostPattern::Any => true,
        }
    }

    /// Whether this pattern (a TLS host) covers every host of `rule` (a rule host): the same name, or a wildcard over
    /// it. This stands in for ingress-nginx's check of the certificate's names, which offline manifests do not have.
    pub fn covers(&self, rule: &HostPattern) -> bool {
        match (self, rule) {
            (HostPattern::Exact(a), HostPattern::Exact(b)) => a == b,
            (HostPattern::Wildcard(a), HostPattern::Wildcard(b)) => a == b,
            (HostPattern::Wildcard(_), HostPattern::Exact(name)) => self.matches(name),
            _ => false,
        }
    }

    /// Sort order for listings: names alphabetically (wildcards by their suffix, after the precise names of the same
    /// text), the catch-all last.
    pub(crate) fn sort_key(&self) -> (u8, &str, u8) {
        match self {
            HostPattern::Exact(name) => (0, name, 0),
            HostPattern::Wildcard(suffix) => (0, suffix, 1),
            HostPattern::Any => (1, "", 0),
        }
    }
}

/// `foo.bar.com`, `*.bar.com`, or `*` for the catch-all (as `kubectl get ingress` shows it).
impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(name) => f.write_str(name),
            HostPattern::Wildcard(suffix) => write!(f, "*.{suffix}"),
            HostPattern::Any => f.write_str("*"),
        }
    }
}

/// The label a wildcard server name accepts: `[A-Za-z0-9_-]+` (the request host is already lower case).
fn is_wildcard_label(label: &str) -> bool {
    !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Why `name` is not a lower-case RFC 1123 subdomain, if it is not.
fn dns_subdomain_problem(name: &str) -> Option<&'static str> {
    if name.len() > 253 {
        return Some("is longer than 253 characters");
    }
    if name.contains('*') {
        return Some("has a `*` that is not a whole first label (`*.example.com`)");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("has an empty label");
        }
        if label.len() > 63 {
            return Some("has a label longer than 63 characters");
        }
        if label.bytes().any(|b| b.is_ascii_uppercase()) {
            return Some("has upper-case letters; hosts must be lower case");
        }
        if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Some("has characters other than a-z, 0-9, `-` and `.`");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("has a label that starts or ends with `-`");
        }
    }
    None
}

/// The host nginx chooses a server by: the Host header lower-cased, without its port and without a trailing dot.
/// An IPv6 literal keeps its brackets (`[::1]:8080` → `[::1]`).
pub fn normalize_request_host(host: &str) -> String {
    let host = host.trim();
    let without_port = if host.starts_with('[') {
        // `[v6]` or `[v6]:port`.
        match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    };
    without_port.strip_suffix('.').unwrap_or(without_port).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_exactly_one_label() {
        let pattern = HostPattern::parse(Some("*.example.com")).unwrap();
        assert!(pattern.matches("foo.example.com"));
        assert!(pattern.matches("a_b-1.example.com"));
        assert!(!pattern.matches("example.com"));
        assert!(!pattern.matches("a.b.example.com"));
        assert!(!pattern.matches(".example.com"));
        assert!(!pattern.matches("fooexample.com"));
    }

    #[test]
    fn request_hosts_are_normalized() {
        assert_eq!(normalize_request_host("MyApp.Example.com:8443"), "myapp.example.com");
        assert_eq!(normalize_request_host("myapp.local."), "myapp.local");
        assert_eq!(normalize_request_host("[::1]:80"), "[::1]");
        assert_eq!(normalize_request_host(""), "");
    }

    #[test]
    fn invalid_rule_hosts_say_why() {
        let errors: Vec<String> = ["10.0.0.1", "foo.com:80", "*", "a.*.com", "Foo.com", "-a.com"]
            .into_iter()
            .map(|h| HostPattern::parse(Some(h)).unwrap_err())
            .collect();
        expect_test::expect![[r#"
            [
                "\"10.0.0.1\" is an IP address; a rule host must be a DNS name",
                "\"foo.com:80\" has a port; rule hosts cannot name ports",
                "\"*\" has a `*` that is not a whole first label (`*.example.com`)",
                "\"a.*.com\" has a `*` that is not a whole first label (`*.example.com`)",
                "\"Foo.com\" has upper-case letters; hosts must be lower case",
                "\"-a.com\" has a label that starts or ends with `-`",
            ]
        "#]]
        .assert_debug_eq(&errors);
    }
}
