//! The ingress route table: which Ingresses the ingress controller serves, and for a request's host and path, which
//! backend answers and why.
//!
//! ```text
//!                 [IngressClass] <-ingressClassName / kubernetes.io/ingress.class / default class- [Ingress]
//!                                                                                                      │ served by
//!  request ─Host─> [Server: exact host | *.one-label wildcard | catch-all "_"]  <── rules merged by host ┘
//!                        │ path: Exact | Prefix | ImplementationSpecific  (or case-insensitive regex for the whole
//!                        │       host when any of its Ingresses sets use-regex or rewrite-target)
//!                        ▼
//!                     [Route] -backend-> [Service] -port (number | name)-> [ServicePort] -selector-> endpoints
//!                        │ nothing matched
//!                        ▼
//!                 host fallback: defaultBackend of the Ingress that created the host
//!                        │ none
//!                        ▼
//!                 controller default: defaultBackend of an Ingress without rules, or 404
//! ```
//!
//! The semantics are those of `networking.k8s.io/v1` where the API fixes them, and ingress-nginx's where it leaves them
//! to the controller:
//!
//! - Class: `spec.ingressClassName`, else the deprecated `kubernetes.io/ingress.class` annotation, else the default
//!   IngressClass the admission plugin would have assigned on creation. See [`ingress_class`].
//! - Hosts: nginx picks the server by Host first (exact, then `*.suffix`, then the catch-all), and only then the path;
//!   a rule without a host lives on the catch-all server and is *not* consulted for a Host another server owns.
//! - Paths: Exact and Prefix as the API defines them; ImplementationSpecific as a plain nginx prefix location. When any
//!   Ingress of a host sets `use-regex` or `rewrite-target`, every path of the host becomes a case-insensitive regex
//!   location `~* "^<path>"` tried longest first. Regex paths made only of literal characters and `.` are evaluated;
//!   paths using other regex syntax are kept as data and reported as not evaluated (no regex engine here yet).
//! - Conflicts: Ingresses are processed in ingress-nginx's order (oldest `creationTimestamp` first; equal timestamps,
//!   which is every offline manifest, by `namespace/name` descending) and the first to claim a host + path + pathType
//!   keeps it.
//!
//! Known deviations from ingress-nginx, all in favour of the API's wording: a Prefix path written with a trailing slash
//! (`/aaa/bbb/`) matches `/aaa/bbb` here, where nginx answers that request with a 301 to `/aaa/bbb/`; and "longest
//! path wins" compares the paths as written, so a Prefix `/foo/` beats an Exact `/foo` for the request `/foo`, where
//! nginx's `= /foo` location would win.
//!
//! - Rewrites: `rewrite-target` replaces the *whole* URI (nginx's `rewrite`), so the guide's `rewrite-target: /` sends
//!   `/api/health` upstream as `/`; only capture groups keep part of the path. See [`rewrite()`].
//!
//! Entry points: [`RouteTable::build`] compiles the table for a [`ControllerIdentity`] (ingress-nginx's by default);
//! [`RouteTable::route`] answers one request with its candidates and the reason the winner won;
//! [`RouteTable::routes`] lists every route for `knet analyze`; [`RouteTable::problems`] says what is wrong.
//! The submodules: `class` (which Ingresses are served), `host` and `path` (matching), `table` (the build steps),
//! `backend` (Service, port, endpoints), `tls` (certificates), `lookup` (one request), `rewrite`, `annotations` (the
//! annotation catalogue and suggestions) and `problem` (the findings).
//!
//! Not modelled yet: regex paths beyond literals and `.`, and capture-group rewrites; the traffic split among canaries;
//! the annotations' own effects (auth, rate limits, redirects: the gateway interprets [`Route::annotations`]); the
//! rewrite of a host's fallback location; ingress-nginx's `strict-validate-path-type` check of Exact and Prefix paths.
//!
//! Everything here is pure: the table is built from a [`Cluster`](crate::Cluster) snapshot and answers lookups without
//! I/O, so `knet analyze` and the ingress gateway route the same way.

mod annotations;
mod backend;
mod class;
mod host;
mod lookup;
mod path;
mod problem;
mod rewrite;
mod route;
mod table;
mod tls;

#[cfg(test)]
mod matching_tests;
#[cfg(test)]
mod tests;

pub use annotations::{
    AnnotationStatus, NGINX_ANNOTATION_PREFIX, known_nginx_annotation, nginx_annotation_status,
    suggest_nginx_annotation,
};
pub use backend::{BackendPort, PortMatch, ServiceBackend, ServiceTarget};
pub use class::{
    CLASS_ANNOTATION, ClassChoice, ClassSource, ControllerIdentity, DEFAULT_CLASS_ANNOTATION, Decision,
    default_ingress_classes, ingress_class,
};
pub use host::{HostPattern, normalize_request_host};
pub use lookup::{Candidate, HostMatch, Outcome, RouteMatch, Verdict, WinReason};
pub use path::{PathType, RegexVerdict, exact_matches, plain_prefix_matches, prefix_matches, regex_location_matches};
pub use problem::{Problem, Site};
pub use rewrite::{RewriteOutcome, needs_rewrite, rewrite};
pub use route::{
    Canary, DefaultRoute, Fallback, IngressRef, IngressStatus, RegexCause, Route, Server, TlsBinding, TlsCertificate,
};
pub use table::RouteTable;
