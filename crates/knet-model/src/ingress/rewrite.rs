//! `nginx.ingress.kubernetes.io/rewrite-target`: what URI the upstream receives.
//!
//! ingress-nginx applies a rewrite only when the target differs from the rule's path, and writes it into the location
//! as `rewrite "(?i)<path>" <target> break;`. That is nginx's `rewrite`, which replaces the *whole* URI with the target
//! whenever the (unanchored, case-insensitive) path regex matches anywhere in it, after substituting the regex's capture
//! groups for `$1`…`$9`. So without capture groups every request of the location goes upstream as the bare target:
//! `rewrite-target: /` with path `/api` sends `/api/health` upstream as `/`, not `/health`. Keeping the rest of the path
//! takes a capture group: path `/api(/|$)(.*)` with target `/$2`.
//!
//! nginx keeps the original query string: it appends `?<args>` to the target (or `&<args>` when the target has its own
//! query), unless the target ends with `?`. A target that starts with `http://`, `https://` or `$scheme` makes nginx
//! answer with a redirect (302) instead of proxying.

use super::path::{is_literal_regex, literal_regex_at};

/// What happens to a request's URI on a route with a rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteOutcome {
    /// The URI (path and query) the upstream receives.
    Upstream(String),
    /// nginx answers with a 302 to this location instead of proxying.
    Redirect(String),
    /// The path uses regex syntax, or the target nginx variables, that are not evaluated here.
    Unevaluated { reason: String },
}

/// Whether ingress-nginx rewrites a location: the target is set and differs from the location's path. (A target equal
/// to the path, such as `rewrite-target: /` on the path `/`, leaves the URI as it is and does not switch the host to
/// regex mode.)
pub fn needs_rewrite(target: &str, path: &str) -> bool {
    !target.is_empty() && target != path
}

/// Applies a location's rewrite to a request, as nginx would: `path` is the rule's path (a regex), `target` the
/// annotation's value, `request_path` the normalized request path and `query` the query string without `?`.
pub fn rewrite(path: &str, target: &str, request_path: &str, query: Option<&str>) -> RewriteOutcome {
    if !is_literal_regex(path) {
        return RewriteOutcome::Unevaluated {
            reason: format!(
                "the path {path:?} is a regex with capture groups or other syntax; regex rewrites are not evaluated"
            ),
        };
    }
    let pattern = path.as_bytes();
    let text = request_path.as_bytes();
    let matched = (0..=text.len().saturating_sub(pattern.len())).any(|at| literal_regex_at(pattern, text, at));
    if !matched {
        // nginx leaves the URI alone when the rewrite regex does not match (it always does for a request the location
        // matched, since the location regex is the same path anchored at the start).
        return RewriteOutcome::Upstream(with_query(request_path, query));
    }
    let replaced = match substitute_captures(target) {
        Ok(replaced) => replaced,
        Err(reason) => return RewriteOutcome::Unevaluated { reason },
    };
    if replaced.starts_with("http://") || replaced.starts_with("https://") {
        return RewriteOutcome::Redirect(append_query(&replaced, query));
    }
    RewriteOutcome::Upstream(append_query(&replaced, query))
}

/// Replaces `$1`…`$9` with the (empty) captures of a literal path. Any other `$` names an nginx variable.
fn substitute_captures(target: &str) -> Result<String, String> {
    let mut out = String::with_capacity(target.len());
    let mut chars = target.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some(d) if ('1'..='9').contains(d) => {
                // A literal path has no capture groups: the reference expands to nothing.
                chars.next();
            }
            _ => {
                return Err(format!("the target {target:?} uses nginx variables, which are not evaluated"));
            }
        }
    }
    Ok(out)
}

/// nginx's handling of the original query string after a rewrite.
fn append_query(target: &str, query: Option<&str>) -> String {
    if let Some(without) = target.strip_suffix('?') {
        return without.to_owned();
    }
    match query.filter(|q| !q.is_empty()) {
        None => target.to_owned(),
        Some(query) if target.contains('?') => format!("{target}&{query}"),
        Some(query) => format!("{target}?{query}"),
    }
}

fn with_query(path: &str, query: Option<&str>) -> String {
    match query.filter(|q| !q.is_empty()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_capture_groups_the_whole_uri_becomes_the_target() {
        assert_eq!(rewrite("/api", "/", "/api/health", None), RewriteOutcome::Upstream("/".into()));
        assert_eq!(rewrite("/api", "/", "/API/health", Some("x=1")), RewriteOutcome::Upstream("/?x=1".into()));
        assert_eq!(rewrite("/api", "/v2/$1", "/api/health", None), RewriteOutcome::Upstream("/v2/".into()));
        assert_eq!(rewrite("/api", "/new?a=b", "/api", Some("x=1")), RewriteOutcome::Upstream("/new?a=b&x=1".into()));
        assert_eq!(rewrite("/api", "/new?", "/api", Some("x=1")), RewriteOutcome::Upstream("/new".into()));
        assert_eq!(
            rewrite("/old", "https://example.com/new", "/old/x", None),
            RewriteOutcome::Redirect("https://example.com/new".into())
        );
    }

    #[test]
    fn regex_paths_and_variables_are_not_evaluated() {
        assert!(matches!(rewrite("/api(/|$)(.*)", "/$2", "/api/health", None), RewriteOutcome::Unevaluated { .. }));
        assert!(matches!(rewrite("/api", "$scheme://example.com", "/api", None), RewriteOutcome::Unevaluated { .. }));
    }

    #[test]
    fn a_target_equal_to_the_path_is_no_rewrite() {
        assert!(!needs_rewrite("/", "/"));
        assert!(needs_rewrite("/", "/api"));
        assert!(!needs_rewrite("", "/api"));
    }
}
