//! Path types and how a rule path matches a request path.
//!
//! | pathType | plain host | regex host (`use-regex` / `rewrite-target` on any of its Ingresses) |
//! |---|---|---|
//! | `Exact` | the whole path, case-sensitive | `~* "^<path>"`: a case-insensitive prefix of the string |
//! | `Prefix` | element-wise on `/`, trailing slashes ignored | same as above |
//! | `ImplementationSpecific` | ingress-nginx's nginx prefix location: a string prefix | same as above |
//!
//! On a plain host the longest path wins, Exact before Prefix before ImplementationSpecific when equally long. On a
//! regex host nginx tries the locations longest first and takes the first that matches.
//!
//! Request paths are matched after nginx's normalization ([`normalize_request_path`]): `%XX` decoded, `.` and `..`
//! resolved, repeated slashes merged.

use std::fmt;

/// `spec.rules[].http.paths[].pathType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathType {
    Exact,
    Prefix,
    ImplementationSpecific,
}

impl PathType {
    /// The API spelling; anything else is rejected by the API server.
    pub fn parse(value: &str) -> Option<PathType> {
        match value {
            "Exact" => Some(PathType::Exact),
            "Prefix" => Some(PathType::Prefix),
            "ImplementationSpecific" => Some(PathType::ImplementationSpecific),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PathType::Exact => "Exact",
            PathType::Prefix => "Prefix",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }

    /// Precedence among equally long paths on a plain host: Exact, then Prefix, then ImplementationSpecific. (ingress-nginx
    /// turns a Prefix `/foo` into `= /foo` plus `/foo/`, both of which nginx prefers to a plain `/foo` location.)
    pub(crate) fn precedence(self) -> u8 {
        match self {
            PathType::Exact => 2,
            PathType::Prefix => 1,
            PathType::ImplementationSpecific => 0,
        }
    }
}

impl fmt::Display for PathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Exact: the whole path, byte for byte.
pub fn exact_matches(path: &str, request: &str) -> bool {
    path == request
}

/// Prefix: the rule path's `/`-separated elements are a prefix of the request's. Empty elements (from leading,
/// trailing or doubled slashes) do not count, so `/foo/` matches `/foo` and `/` matches everything, while `/aaa/bb`
/// does not match `/aaa/bbb`.
pub fn prefix_matches(path: &str, request: &str) -> bool {
    let mut request_elements = request.split('/').filter(|e| !e.is_empty());
    path.split('/').filter(|e| !e.is_empty()).all(|element| request_elements.next() == Some(element))
}

/// An nginx prefix location: the request starts with the path, as strings (`/foo` matches `/foobar`).
pub fn plain_prefix_matches(path: &str, request: &str) -> bool {
    request.starts_with(path)
}

/// The answer of a regex location when the path is evaluated offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexVerdict {
    Matches,
    NoMatch,
    /// The path uses regex syntax beyond literal characters and `.`; it is not evaluated (no regex engine here yet).
    Unevaluated,
}

/// Regex syntax that this module does not evaluate. `.` is handled (any character but a newline).
const REGEX_SYNTAX: &[u8] = b"\\^$*+?()[]{}|";

/// Whether a path is made only of characters that match themselves (and `.`), so it can be evaluated without a regex
/// engine.
pub(crate) fn is_literal_regex(path: &str) -> bool {
    !path.bytes().any(|b| REGEX_SYNTAX.contains(&b))
}

/// A regex location `~* "^<path>"`: a case-insensitive match anchored at the start of the request path.
pub fn regex_location_matches(path: &str, request: &str) -> RegexVerdict {
    if !is_literal_regex(path) {
        return RegexVerdict::Unevaluated;
    }
    if literal_regex_at(path.as_bytes(), request.as_bytes(), 0) { RegexVerdict::Matches } else { RegexVerdict::NoMatch }
}

/// Whether the literal regex `pattern` matches `text` at byte offset `at`, case-insensitively (ASCII, as PCRE's
/// caseless mode without UTF), with `.` matching any byte but a newline.
pub(crate) fn literal_regex_at(pattern: &[u8], text: &[u8], at: usize) -> bool {
    let Some(window) = text.get(at..at + pattern.len()) else {
        return false;
    };
    pattern.iter().zip(window).all(|(&p, &t)| match p {
        b'.' => t != b'\n',
        _ => p.eq_ignore_ascii_case(&t),
    })
}

/// Why a request path is refused before any location is consulted (nginx answers 400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadPath(pub String);

/// nginx's normalization of the request path before location matching: `%XX` decoded, `//` merged, `.` and `..`
/// segments resolved. A path that does not start with `/`, has a bad escape or a NUL, or climbs above the root is
/// refused, as nginx refuses it. The query string must already be split off.
pub(crate) fn normalize_request_path(raw: &str) -> Result<String, BadPath> {
    if raw.is_empty() {
        return Ok("/".to_owned());
    }
    if !raw.starts_with('/') {
        return Err(BadPath(format!("request path {raw:?} does not start with `/`")));
    }
    let decoded = percent_decode(raw)?;
    let mut segments: Vec<&[u8]> = Vec::new();
    let parts: Vec<&[u8]> = decoded.split(|&b| b == b'/').collect();
    let last = parts.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (index, part) in parts.iter().enumerate() {
        match *part {
            b"" => {
                if index == last {
                    trailing_slash = true;
                }
            }
            b"." => trailing_slash = index == last,
            b".." => {
                if segments.pop().is_none() {
                    return Err(BadPath(format!("request path {raw:?} climbs above the root")));
                }
                trailing_slash = index == last;
            }
            segment => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = Vec::with_capacity(decoded.len());
    for segment in &segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if out.is_empty() || trailing_slash {
        out.push(b'/');
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn percent_decode(raw: &str) -> Result<Vec<u8>, BadPath> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(0) | None => {
                    return Err(BadPath(format!("request path {raw:?} has an invalid %-escape")));
                }
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The table of the Kubernetes documentation ("Ingress" → "Examples"), row by row.
    #[test]
    fn kubernetes_docs_table() {
        let rows = [
            ("Prefix", "/", "/aaa/bbb", true),
            ("Prefix", "/", "/", true),
            ("Exact", "/foo", "/foo", true),
            ("Exact", "/foo", "/bar", false),
            ("Exact", "/foo", "/foo/", false),
            ("Exact", "/foo/", "/foo", false),
            ("Prefix", "/foo", "/foo", true),
            ("Prefix", "/foo", "/foo/", true),
            ("Prefix", "/foo/", "/foo", true),
            ("Prefix", "/foo/", "/foo/", true),
            ("Prefix", "/aaa/bb", "/aaa/bbb", false),
            ("Prefix", "/aaa/bbb", "/aaa/bbb", true),
            ("Prefix", "/aaa/bbb/", "/aaa/bbb", true),
            ("Prefix", "/aaa/bbb", "/aaa/bbb/", true),
            ("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", true),
            ("Prefix", "/aaa/bbb", "/aaa/bbbxyz", false),
            ("Prefix", "/foo", "/foobar", false),
            ("Prefix", "/foo", "/FOO", false),
        ];
        for (path_type, path, request, expected) in rows {
            let matched = match path_type {
                "Exact" => exact_matches(path, request),
                _ => prefix_matches(path, request),
            };
            assert_eq!(matched, expected, "{path_type} {path} vs request {request}");
        }
    }

    #[test]
    fn regex_locations_are_case_insensitive_string_prefixes() {
        assert_eq!(regex_location_matches("/api", "/API/x"), RegexVerdict::Matches);
        assert_eq!(regex_location_matches("/api", "/apix"), RegexVerdict::Matches);
        assert_eq!(regex_location_matches("/api", "/ap"), RegexVerdict::NoMatch);
        assert_eq!(regex_location_matches("/a.c", "/abc"), RegexVerdict::Matches);
        assert_eq!(regex_location_matches("/api(/|$)(.*)", "/api"), RegexVerdict::Unevaluated);
    }

    #[test]
    fn nginx_normalizes_before_matching() {
        let cases = ["", "/a//b/", "/a/./b/../c", "/%41pi", "/a/..", "/a/.", "x", "/..", "/%zz", "/%00"];
        let normalized: Vec<_> = cases
            .iter()
            .map(|c| match normalize_request_path(c) {
                Ok(path) => path,
                Err(BadPath(reason)) => format!("400: {reason}"),
            })
            .collect();
        expect_test::expect![[r#"
            [
                "/",
                "/a/b/",
                "/a/c",
                "/Api",
                "/",
                "/a/",
                "400: request path \"x\" does not start with `/`",
                "400: request path \"/..\" climbs above the root",
                "400: request path \"/%zz\" has an invalid %-escape",
                "400: request path \"/%00\" has an invalid %-escape",
            ]
        "#]]
        .assert_debug_eq(&normalized);
    }

    fn segments() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[ab]{1,3}", 0..4)
    }

    fn join(segments: &[String], leading: bool, trailing: bool) -> String {
        let mut path = String::new();
        if leading || segments.is_empty() {
            path.push('/');
        }
        path.push_str(&segments.join("/"));
        if trailing && !segments.is_empty() {
            path.push('/');
        }
        path
    }

    proptest! {
        /// Prefix matching is exactly "the rule's non-empty segments are a prefix of the request's".
        #[test]
        fn prefix_is_segment_prefix(
            rule in segments(),
            request in segments(),
            rule_trailing in any::<bool>(),
            request_trailing in any::<bool>(),
        ) {
            let path = join(&rule, true, rule_trailing);
            let request_path = join(&request, true, request_trailing);
            let expected = request.len() >= rule.len() && request[..rule.len()] == rule[..];
            prop_assert_eq!(prefix_matches(&path, &request_path), expected);
        }

        /// Every path matches itself under every type, and a request that extends a Prefix by a segment still matches.
        #[test]
        fn paths_match_themselves(rule in segments(), extra in "[ab]{1,3}") {
            let path = join(&rule, true, false);
            prop_assert!(exact_matches(&path, &path));
            prop_assert!(prefix_matches(&path, &path));
            prop_assert!(plain_prefix_matches(&path, &path));
            prop_assert_eq!(regex_location_matches(&path, &path), RegexVerdict::Matches);
            let longer = format!("{}/{extra}", path.trim_end_matches('/'));
            prop_assert!(prefix_matches(&path, &longer));
        }

        #[test]
        fn normalization_never_panics(raw in "\\PC*") {
            let _ = normalize_request_path(&raw);
        }
    }
}
