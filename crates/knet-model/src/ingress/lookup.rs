//! Answering one request: which server the Host picks, which route the path picks, and why.
//!
//! nginx first chooses a server by Host (exact name, then wildcard, then the catch-all), and only then a location
//! inside it; a rule without a host is therefore never consulted for a Host that has its own server. On a plain host
//! the longest matching path wins (Exact, then Prefix, then ImplementationSpecific when equally long). On a regex host
//! the locations ingress-nginx generates are tried longest first and the first match wins. No match falls back to the
//! host's default backend, or to the controller's, which answers 404.

use std::fmt;

use super::backend::ServiceBackend;
use super::host::normalize_request_host;
use super::path::{
    BadPath, PathType, RegexVerdict, exact_matches, normalize_request_path, plain_prefix_matches, prefix_matches,
    regex_location_matches,
};
use super::rewrite::{RewriteOutcome, rewrite};
use super::route::{Fallback, IngressRef, Route, Server};
use super::table::RouteTable;

/// How the request's Host found its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostMatch {
    Exact,
    Wildcard,
    /// No server claims the Host: the catch-all server (rules without a host) answers.
    CatchAll,
}

/// Whether one route's path matches the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Matches,
    NoMatch,
    /// A regex path with syntax this module does not evaluate.
    Unevaluated,
}

/// One route of the chosen server, as considered for the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'t> {
    pub route: &'t Route,
    pub verdict: Verdict,
    /// On a regex host, the regex locations ingress-nginx generates for the route (a Prefix `/foo` becomes `^/foo/`
    /// and `^/foo`).
    pub locations: Vec<String>,
}

/// Why the winning route beat the other matching ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WinReason {
    /// No other path matched.
    OnlyMatch,
    /// It is longer than the next matching path.
    LongerPath { over: String },
    /// As long as the next matching path, and its type comes first (Exact, Prefix, ImplementationSpecific).
    PathTypePrecedence { winner: PathType, over: PathType },
    /// Equal in every respect to the next matching path, and processed first.
    DeclarationOrder,
    /// On a regex host, the first location in longest-first order that matches.
    FirstRegexLocation { location: String },
}

impl fmt::Display for WinReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WinReason::OnlyMatch => f.write_str("the only matching path"),
            WinReason::LongerPath { over } => write!(f, "the longest matching path, over {over}"),
            WinReason::PathTypePrecedence { winner, over } => {
                write!(f, "as long as the {over} path, and {winner} comes before {over}")
            }
            WinReason::DeclarationOrder => f.write_str("tied with another path, and processed first"),
            WinReason::FirstRegexLocation { location } => {
                write!(f, "the first matching regex location, tried longest first: ~* \"{location}\"")
            }
        }
    }
}

/// What answers the request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'t> {
    /// A rule path.
    Route {
        route: &'t Route,
        why: WinReason,
        /// The URI the upstream receives.
        upstream: RewriteOutcome,
    },
    /// An Ingress's `defaultBackend`: the host's (from the Ingress that created the host) or, on the catch-all
    /// server, the controller-wide one (from an Ingress without rules).
    DefaultBackend { ingress: &'t IngressRef, backend: &'t ServiceBackend, catch_all: bool },
    /// The controller's own default backend answers 404.
    NotFound,
    /// nginx refuses the request path with 400.
    BadRequest { reason: String },
}

/// The answer to one request, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch<'t> {
    /// The Host as nginx uses it (lower case, no port, no trailing dot).
    pub host: String,
    /// The path after nginx's normalization.
    pub path: String,
    pub query: Option<String>,
    /// The server the Host picked (none for a bad request).
    pub server: Option<(&'t Server, HostMatch)>,
    /// Every route of that server, in the order they were tried.
    pub candidates: Vec<Candidate<'t>>,
    pub outcome: Outcome<'t>,
    /// Set when a regex path that was not evaluated might have answered first.
    pub caveat: Option<String>,
}

impl RouteMatch<'_> {
    /// The route that answers, if a rule path does.
    pub fn route(&self) -> Option<&Route> {
        match &self.outcome {
            Outcome::Route { route, .. } => Some(route),
            _ => None,
        }
    }
}

impl RouteTable {
    /// Routes a request the way ingress-nginx would. `path` may carry a query string; `host` may carry a port. Never
    /// panics, whatever the strings.
    pub fn route(&self, host: &str, path: &str) -> RouteMatch<'_> {
        let host = normalize_request_host(host);
        let (raw_path, query) = split_target(path);
        let mut answer = RouteMatch {
            host,
            path: raw_path.to_owned(),
            query: query.map(str::to_owned),
            server: None,
            candidates: Vec::new(),
            outcome: Outcome::NotFound,
            caveat: None,
        };
        let normalized = match normalize_request_path(raw_path) {
            Ok(path) => path,
            Err(BadPath(reason)) => {
                answer.outcome = Outcome::BadRequest { reason };
                return answer;
            }
        };
        answer.path = normalized;
        let Some((server, how)) = self.server_for(&answer.host) else {
            return answer;
        };
        answer.server = Some((server, how));
        let winner =
            if server.regex.is_some() { regex_lookup(server, &mut answer) } else { plain_lookup(server, &mut answer) };
        answer.outcome = match winner {
            Some((route, why)) => {
                let upstream = match &route.rewrite_target {
                    Some(target) => rewrite(&route.path, target, &answer.path, query),
                    None => RewriteOutcome::Upstream(match query {
                        Some(query) => format!("{}?{query}", non_empty(raw_path)),
                        None => non_empty(raw_path).to_owned(),
                    }),
                };
                Outcome::Route { route, why, upstream }
            }
            None => match &server.fallback {
                Fallback::Ingress { ingress, backend } => {
                    Outcome::DefaultBackend { ingress, backend, catch_all: how == HostMatch::CatchAll }
                }
                Fallback::Controller => Outcome::NotFound,
            },
        };
        answer
    }
}

fn non_empty(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

/// Splits a request target into path and query, dropping a fragment.
fn split_target(target: &str) -> (&str, Option<&str>) {
    let target = target.split('#').next().unwrap_or_default();
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// A plain host: each route by its type's rule, the longest match winning.
fn plain_lookup<'t>(server: &'t Server, answer: &mut RouteMatch<'t>) -> Option<(&'t Route, WinReason)> {
    let path = answer.path.as_str();
    answer.candidates = server
        .routes
        .iter()
        .map(|route| {
            let matched = match route.path_type {
                PathType::Exact => exact_matches(&route.path, path),
                PathType::Prefix => prefix_matches(&route.path, path),
                PathType::ImplementationSpecific => plain_prefix_matches(&route.path, path),
            };
            Candidate {
                route,
                verdict: if matched { Verdict::Matches } else { Verdict::NoMatch },
                locations: Vec::new(),
            }
        })
        .collect();
    let mut matching: Vec<&'t Route> =
        answer.candidates.iter().filter(|c| c.verdict == Verdict::Matches).map(|c| c.route).collect();
    matching.sort_by(|a, b| {
        b.path
            .len()
            .cmp(&a.path.len())
            .then_with(|| b.path_type.precedence().cmp(&a.path_type.precedence()))
            .then_with(|| a.rank.cmp(&b.rank))
    });
    let winner = *matching.first()?;
    let why = match matching.get(1) {
        None => WinReason::OnlyMatch,
        Some(next) if next.path.len() < winner.path.len() => WinReason::LongerPath { over: next.path.clone() },
        Some(next) if next.path_type.precedence() < winner.path_type.precedence() => {
            WinReason::PathTypePrecedence { winner: winner.path_type, over: next.path_type }
        }
        Some(_) => WinReason::DeclarationOrder,
    };
    Some((winner, why))
}

/// One nginx regex location and the route it belongs to.
struct Location<'t> {
    pattern: String,
    route: &'t Route,
}

/// The locations ingress-nginx writes for a regex host, in the order nginx tries them. A Prefix route without its own
/// rewrite or `use-regex` becomes `<path>/` plus a copy for `<path>` (unless an Exact route has that path); everything
/// else keeps its path. ingress-nginx sorts them by path descending, then (stably) by length descending.
fn regex_locations(server: &Server) -> Vec<Location<'_>> {
    let mut locations = Vec::new();
    for route in &server.routes {
        let own_regex = route.rewrite_target.is_some() || route.use_regex;
        if route.path == "/" || route.path_type != PathType::Prefix || own_regex {
            locations.push(Location { pattern: route.path.clone(), route });
            continue;
        }
        let normalized = if route.path.ends_with('/') { route.path.clone() } else { format!("{}/", route.path) };
        locations.push(Location { pattern: normalized, route });
        let has_exact = server.routes.iter().any(|r| r.path_type == PathType::Exact && r.path == route.path);
        if !has_exact {
            locations.push(Location { pattern: route.path.clone(), route });
        }
    }
    locations.sort_by(|a, b| b.pattern.cmp(&a.pattern));
    locations.sort_by_key(|location| std::cmp::Reverse(location.pattern.len()));
    locations
}

/// A regex host: the first location, longest first, that matches.
fn regex_lookup<'t>(server: &'t Server, answer: &mut RouteMatch<'t>) -> Option<(&'t Route, WinReason)> {
    let locations = regex_locations(server);
    let mut winner: Option<(&'t Route, WinReason)> = None;
    let mut unevaluated_before: Vec<String> = Vec::new();
    let mut verdicts: Vec<(usize, Verdict, String)> = Vec::new();
    for location in &locations {
        let verdict = match regex_location_matches(&location.pattern, &answer.path) {
            RegexVerdict::Matches => Verdict::Matches,
            RegexVerdict::NoMatch => Verdict::NoMatch,
            RegexVerdict::Unevaluated => Verdict::Unevaluated,
        };
        let rendered = format!("^{}", location.pattern);
        if winner.is_none() {
            match verdict {
                Verdict::Matches => {
                    winner = Some((location.route, WinReason::FirstRegexLocation { location: rendered.clone() }));
                }
                Verdict::Unevaluated => unevaluated_before.push(rendered.clone()),
                Verdict::NoMatch => {}
            }
        }
        verdicts.push((location.route.rank, verdict, rendered));
    }
    // One candidate per route, in the order of its first location.
    let mut candidates: Vec<Candidate<'t>> = Vec::new();
    for location in &locations {
        if candidates.iter().any(|c| c.route.rank == location.route.rank) {
            continue;
        }
        let own: Vec<&(usize, Verdict, String)> =
            verdicts.iter().filter(|(rank, _, _)| *rank == location.route.rank).collect();
        let verdict = if own.iter().any(|(_, v, _)| *v == Verdict::Matches) {
            Verdict::Matches
        } else if own.iter().any(|(_, v, _)| *v == Verdict::Unevaluated) {
            Verdict::Unevaluated
        } else {
            Verdict::NoMatch
        };
        candidates.push(Candidate {
            route: location.route,
            verdict,
            locations: own.iter().map(|(_, _, pattern)| pattern.clone()).collect(),
        });
    }
    answer.candidates = candidates;
    if !unevaluated_before.is_empty() {
        answer.caveat = Some(format!(
            "the regex location(s) {} come first and were not evaluated; if one matches, it answers instead",
            unevaluated_before.join(", ")
        ));
    }
    winner
}

/// A multi-line explanation: the server, every candidate with its verdict, the answer and why.
impl fmt::Display for RouteMatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request: host {:?}, path {}", self.host, self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        writeln!(f)?;
        if let Some((server, how)) = &self.server {
            let how = match how {
                HostMatch::Exact => "exact host",
                HostMatch::Wildcard => "wildcard host",
                HostMatch::CatchAll => "no server for this host: catch-all",
            };
            writeln!(f, "server: {} ({how})", server.host)?;
            if let Some(cause) = &server.regex {
                writeln!(
                    f,
                    "regex mode: {} on ingress {} (path {}) makes every path of this host a case-insensitive \
                     regex, tried longest first",
                    cause.annotation, cause.ingress, cause.path
                )?;
            }
        }
        for candidate in &self.candidates {
            let verdict = match candidate.verdict {
                Verdict::Matches => "matches",
                Verdict::NoMatch => "no match",
                Verdict::Unevaluated => "regex not evaluated",
            };
            write!(
                f,
                "  {} ({}) [{}]: {verdict}",
                candidate.route.path, candidate.route.path_type, candidate.route.ingress
            )?;
            if !candidate.locations.is_empty() {
                write!(f, " (as {})", candidate.locations.join(", "))?;
            }
            writeln!(f)?;
        }
        match &self.outcome {
            Outcome::Route { route, why, upstream } => {
                writeln!(
                    f,
                    "answer: {} ({}) of ingress {} -> {} ({why})",
                    route.path, route.path_type, route.ingress, route.backend
                )?;
                match upstream {
                    RewriteOutcome::Upstream(uri) => match &route.rewrite_target {
                        Some(target) => {
                            writeln!(f, "upstream URI: {uri} (rewrite-target {target:?} replaces the whole URI)")?
                        }
                        None => writeln!(f, "upstream URI: {uri}")?,
                    },
                    RewriteOutcome::Redirect(location) => {
                        writeln!(f, "nginx answers 302 to {location} (rewrite-target is a URL)")?
                    }
                    RewriteOutcome::Unevaluated { reason } => writeln!(f, "upstream URI: not evaluated ({reason})")?,
                }
            }
            Outcome::DefaultBackend { ingress, backend, catch_all } => {
                let scope = if *catch_all { "the controller-wide defaultBackend" } else { "the host's defaultBackend" };
                writeln!(f, "answer: no path matched: {scope} of ingress {ingress} -> {backend}")?;
            }
            Outcome::NotFound => writeln!(
                f,
                "answer: 404 from the controller's default backend (no path matched and no defaultBackend applies)"
            )?,
            Outcome::BadRequest { reason } => writeln!(f, "answer: 400 Bad Request ({reason})")?,
        }
        if let Some(caveat) = &self.caveat {
            writeln!(f, "caveat: {caveat}")?;
        }
        Ok(())
    }
}
