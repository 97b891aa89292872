//! The `nginx.ingress.kubernetes.io/*` annotations ingress-nginx reads, the ones it used to read, and the likely
//! intent behind the ones it never read.
//!
//! ingress-nginx ignores an annotation it does not know without a word, so a misspelt or invented annotation (the
//! guide's `rate-limit`) silently does nothing. The list follows ingress-nginx's own annotation table
//! (`docs/user-guide/nginx-configuration/annotations-risk.md`, v1.12 and later) plus the aliases its parsers accept.

/// The prefix of every ingress-nginx annotation (configurable with `--annotations-prefix`; this is the default).
pub const NGINX_ANNOTATION_PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// Annotation suffixes ingress-nginx reads today, sorted.
const KNOWN: &[&str] = &[
    "affinity",
    "affinity-canary-behavior",
    "affinity-mode",
    "allowlist-source-range",
    "app-root",
    "auth-always-set-cookie",
    "auth-cache-duration",
    "auth-cache-key",
    "auth-keepalive",
    "auth-keepalive-requests",
    "auth-keepalive-share-vars",
    "auth-keepalive-timeout",
    "auth-method",
    "auth-proxy-set-headers",
    "auth-realm",
    "auth-request-redirect",
    "auth-response-headers",
    "auth-secret",
    "auth-secret-type",
    "auth-signin",
    "auth-signin-redirect-param",
    "auth-snippet",
    "auth-tls-error-page",
    "auth-tls-match-cn",
    "auth-tls-pass-certificate-to-upstream",
    "auth-tls-secret",
    "auth-tls-verify-client",
    "auth-tls-verify-depth",
    "auth-type",
    "auth-url",
    "backend-protocol",
    "canary",
    "canary-by-cookie",
    "canary-by-header",
    "canary-by-header-pattern",
    "canary-by-header-value",
    "canary-weight",
    "canary-weight-total",
    "client-body-buffer-size",
    "configuration-snippet",
    "connection-proxy-header",
    "cors-allow-credentials",
    "cors-allow-headers",
    "cors-allow-methods",
    "cors-allow-origin",
    "cors-expose-headers",
    "cors-max-age",
    "custom-headers",
    "custom-http-errors",
    "default-backend",
    "denylist-source-range",
    "disable-proxy-intercept-errors",
    "enable-access-log",
    "enable-cors",
    "enable-global-auth",
    "enable-modsecurity",
    "enable-opentelemetry",
    "enable-owasp-core-rules",
    "enable-rewrite-log",
    "fastcgi-index",
    "fastcgi-params-configmap",
    "force-ssl-redirect",
    "from-to-www-redirect",
    "http2-push-preload",
    "limit-allowlist",
    "limit-burst-multiplier",
    "limit-connections",
    "limit-rate",
    "limit-rate-after",
    "limit-rpm",
    "limit-rps",
    "limit-whitelist",
    "load-balance",
    "mirror-host",
    "mirror-request-body",
    "mirror-target",
    "modsecurity-snippet",
    "modsecurity-transaction-id",
    "opentelemetry-operation-name",
    "opentelemetry-trust-incoming-span",
    "permanent-redirect",
    "permanent-redirect-code",
    "preserve-trailing-slash",
    "proxy-body-size",
    "proxy-buffer-size",
    "proxy-buffering",
    "proxy-buffers-number",
    "proxy-busy-buffers-size",
    "proxy-connect-timeout",
    "proxy-cookie-domain",
    "proxy-cookie-path",
    "proxy-http-version",
    "proxy-max-temp-file-size",
    "proxy-next-upstream",
    "proxy-next-upstream-timeout",
    "proxy-next-upstream-tries",
    "proxy-read-timeout",
    "proxy-redirect-from",
    "proxy-redirect-to",
    "proxy-request-buffering",
    "proxy-send-timeout",
    "proxy-ssl-ciphers",
    "proxy-ssl-name",
    "proxy-ssl-protocols",
    "proxy-ssl-secret",
    "proxy-ssl-server-name",
    "proxy-ssl-verify",
    "proxy-ssl-verify-depth",
    "rewrite-target",
    "satisfy",
    "server-alias",
    "server-snippet",
    "service-upstream",
    "session-cookie-change-on-failure",
    "session-cookie-conditional-samesite-none",
    "session-cookie-domain",
    "session-cookie-expires",
    "session-cookie-max-age",
    "session-cookie-name",
    "session-cookie-partitioned",
    "session-cookie-path",
    "session-cookie-samesite",
    "session-cookie-secure",
    "ssl-ciphers",
    "ssl-passthrough",
    "ssl-prefer-server-ciphers",
    "ssl-redirect",
    "stream-snippet",
    "temporal-redirect",
    "temporal-redirect-code",
    "upstream-hash-by",
    "upstream-hash-by-subset",
    "upstream-hash-by-subset-size",
    "upstream-vhost",
    "use-port-in-redirects",
    "use-regex",
    "whitelist-source-range",
    "x-forwarded-prefix",
];

/// Old names the parsers still accept, and the annotation they stand for.
const ALIASES: &[(&str, &str)] =
    &[("limit-whitelist", "limit-allowlist"), ("whitelist-source-range", "allowlist-source-range")];

/// Annotations ingress-nginx once read and no longer does, with what happened to them.
const REMOVED: &[(&str, &str)] = &[
    ("add-base-url", "removed in 0.22; ingress-nginx no longer injects a <base> tag"),
    ("base-url-scheme", "removed in 0.22 together with add-base-url"),
    ("enable-influxdb", "the InfluxDB module was removed"),
    ("enable-opentracing", "OpenTracing was removed in v1.10; use enable-opentelemetry"),
    ("global-rate-limit", "the memcached-backed global rate limit was removed in v1.12; use limit-rps or limit-rpm"),
    ("global-rate-limit-ignored-cidrs", "the global rate limit was removed in v1.12; use limit-allowlist"),
    ("global-rate-limit-key", "the global rate limit was removed in v1.12"),
    ("global-rate-limit-window", "the global rate limit was removed in v1.12; use limit-rpm"),
    ("grpc-backend", "replaced by backend-protocol: GRPC (0.21) and since removed"),
    ("influxdb-host", "the InfluxDB module was removed"),
    ("influxdb-measurement", "the InfluxDB module was removed"),
    ("influxdb-port", "the InfluxDB module was removed"),
    ("influxdb-server-name", "the InfluxDB module was removed"),
    ("lua-resty-waf", "lua-resty-waf was removed in a 0.x release; use enable-modsecurity"),
    ("opentracing-operation-name", "OpenTracing was removed in v1.10; use opentelemetry-operation-name"),
    ("opentracing-trust-incoming-span", "OpenTracing was removed in v1.10; use opentelemetry-trust-incoming-span"),
    ("secure-backends", "replaced by backend-protocol: HTTPS (0.21) and since removed"),
    ("secure-verify-ca-secret", "removed in a 0.x release; use proxy-ssl-secret"),
    ("session-cookie-hash", "removed in a 0.x release"),
    ("upstream-fail-timeout", "removed with the move to the Lua balancer (0.x)"),
    ("upstream-max-fails", "removed with the move to the Lua balancer (0.x)"),
];

/// Settings that exist only as keys of the controller's ConfigMap; as an annotation they do nothing.
const CONFIGMAP_ONLY: &[&str] = &[
    "hsts",
    "hsts-include-subdomains",
    "hsts-max-age",
    "hsts-preload",
    "limit-conn-status-code",
    "limit-req-status-code",
    "proxy-real-ip-cidr",
    "ssl-protocols",
    "use-forwarded-headers",
    "use-http2",
];

/// Names people write that never existed, and the annotation that does what they meant.
const INTENDED: &[(&str, &str)] = &[
    ("client-max-body-size", "proxy-body-size"),
    ("cors", "enable-cors"),
    ("force-https", "force-ssl-redirect"),
    ("https-redirect", "ssl-redirect"),
    ("ip-whitelist", "allowlist-source-range"),
    ("limit-req", "limit-rps"),
    ("max-body-size", "proxy-body-size"),
    ("rate-limit", "limit-rps"),
    ("rate-limit-burst", "limit-burst-multiplier"),
    ("rate-limit-connections", "limit-connections"),
    ("rate-limit-rpm", "limit-rpm"),
    ("rate-limit-rps", "limit-rps"),
    ("rate-limit-window", "limit-rpm"),
    ("ratelimit", "limit-rps"),
    ("rewrite", "rewrite-target"),
    ("rewrite-path", "rewrite-target"),
    ("ssl-redirect-code", "permanent-redirect-code"),
    ("timeout", "proxy-read-timeout"),
    ("whitelist", "allowlist-source-range"),
];

/// What ingress-nginx makes of one annotation under its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationStatus {
    /// Read by current ingress-nginx.
    Known,
    /// An older name the parser still accepts for `of`.
    Alias { of: &'static str },
    /// Read by an older release only; `note` says when it went and what replaces it.
    Removed { note: &'static str },
    /// A key of the controller's ConfigMap, which has no annotation form.
    ConfigMapKey,
    /// Never read by any release; `suggestion` is the annotation that was probably meant.
    Unknown { suggestion: Option<&'static str> },
}

/// The suffix after [`NGINX_ANNOTATION_PREFIX`], accepting either a full key or a bare suffix.
fn suffix(name: &str) -> &str {
    name.strip_prefix(NGINX_ANNOTATION_PREFIX).unwrap_or(name)
}

/// Whether current ingress-nginx reads this annotation (full key or suffix, e.g. `rewrite-target`).
pub fn known_nginx_annotation(name: &str) -> bool {
    KNOWN.binary_search(&suffix(name)).is_ok()
}

/// Classifies an annotation (full key or suffix).
pub fn nginx_annotation_status(name: &str) -> AnnotationStatus {
    let name = suffix(name);
    if let Some(&(_, of)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return AnnotationStatus::Alias { of };
    }
    if known_nginx_annotation(name) {
        return AnnotationStatus::Known;
    }
    if let Some(&(_, note)) = REMOVED.iter().find(|(removed, _)| *removed == name) {
        return AnnotationStatus::Removed { note };
    }
    if CONFIGMAP_ONLY.contains(&name) {
        return AnnotationStatus::ConfigMapKey;
    }
    AnnotationStatus::Unknown { suggestion: suggest_nginx_annotation(name) }
}

/// The real annotation an unknown one probably meant: `rate-limit` → `limit-rps`, `rate-limit-window` → `limit-rpm`,
/// a misspelling → the nearest known name. `None` for names that are known or too far from any.
pub fn suggest_nginx_annotation(name: &str) -> Option<&'static str> {
    let name = suffix(name);
    if known_nginx_annotation(name) {
        return None;
    }
    if let Some(&(_, intended)) = INTENDED.iter().find(|(wrong, _)| *wrong == name) {
        return Some(intended);
    }
    // A typo: the closest known name, if it is close enough that the intent is clear (about one edit per four
    // characters, and never more than three).
    let allowed = (name.len() / 4).clamp(1, 3);
    KNOWN
        .iter()
        .map(|known| (edit_distance(name, known), *known))
        .filter(|&(distance, _)| distance <= allowed)
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance over bytes (annotation names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_for_binary_search() {
        assert!(KNOWN.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn guide_annotations() {
        assert!(known_nginx_annotation("nginx.ingress.kubernetes.io/rewrite-target"));
        assert!(known_nginx_annotation("auth-type"));
        assert!(!known_nginx_annotation("rate-limit"));
        assert_eq!(suggest_nginx_annotation("rate-limit"), Some("limit-rps"));
        assert_eq!(suggest_nginx_annotation("nginx.ingress.kubernetes.io/rate-limit-window"), Some("limit-rpm"));
        assert_eq!(suggest_nginx_annotation("limit-rps"), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(
            nginx_annotation_status("whitelist-source-range"),
            AnnotationStatus::Alias { of: "allowlist-source-range" }
        );
        assert!(matches!(nginx_annotation_status("global-rate-limit"), AnnotationStatus::Removed { .. }));
        assert_eq!(nginx_annotation_status("limit-req-status-code"), AnnotationStatus::ConfigMapKey);
        assert_eq!(
            nginx_annotation_status("ssl-redirct"),
            AnnotationStatus::Unknown { suggestion: Some("ssl-redirect") }
        );
        assert_eq!(
            nginx_annotation_status("cors-allow-origins"),
            AnnotationStatus::Unknown { suggestion: Some("cors-allow-origin") }
        );
        assert_eq!(nginx_annotation_status("completely-made-up-thing"), AnnotationStatus::Unknown { suggestion: None });
    }
}
