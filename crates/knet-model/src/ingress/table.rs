//! Building the route table from a cluster snapshot, the way ingress-nginx builds its nginx servers.
//!
//! The steps follow ingress-nginx's `createServers` and `getBackendServers`:
//!
//! 1. Decide each Ingress's class and keep the ones this controller serves.
//! 2. Order them: oldest `creationTimestamp` first; equal timestamps (every offline manifest) by `namespace/name`
//!    descending. Every "first one wins" below follows this order.
//! 3. Create one server per rule host. The first Ingress naming a host creates it; its `defaultBackend`, if any,
//!    becomes the host's fallback. An Ingress with a `defaultBackend` and no rules becomes the catch-all server's
//!    fallback; without one, unmatched requests get the controller's own default backend, which answers 404.
//! 4. Add every rule path as a route of its host's server. A second claim on the same path and pathType is dropped;
//!    resource backends are dropped (ingress-nginx proxies only to Services). Canary Ingresses add no routes of their
//!    own: they attach to the main route with the same host, path and pathType.
//! 5. Switch a host to regex mode when any of its routes uses `use-regex` or a `rewrite-target` that differs from the
//!    path.
//! 6. Give each host the certificate of the first Ingress that has a rule for it and a TLS section.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressRule, IngressTLS};

use crate::cluster::{Cluster, Located};

use super::annotations::{AnnotationStatus, NGINX_ANNOTATION_PREFIX, nginx_annotation_status};
use super::backend::{Resolver, ServiceBackend};
use super::class::{ControllerIdentity, Decision, ingress_class};
use super::host::HostPattern;
use super::lookup::HostMatch;
use super::path::PathType;
use super::problem::{Problem, Site};
use super::rewrite::needs_rewrite;
use super::route::{Canary, DefaultRoute, Fallback, IngressRef, IngressStatus, RegexCause, Route, Server};
use super::tls::assign_tls;

/// Every route the controller serves, the Ingresses it ignores, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    controller: ControllerIdentity,
    ingresses: Vec<IngressStatus>,
    /// Sorted by host; the catch-all server last.
    servers: Vec<Server>,
    default_backend: Option<DefaultRoute>,
    problems: Vec<Problem>,
}

impl RouteTable {
    /// Builds the table for one controller from a cluster snapshot.
    pub fn build(cluster: &Cluster, controller: &ControllerIdentity) -> RouteTable {
        Builder::new(cluster, controller).build()
    }

    pub fn controller(&self) -> &ControllerIdentity {
        &self.controller
    }

    /// Every Ingress of the input, in input order, with its class and the controller's decision.
    pub fn ingresses(&self) -> &[IngressStatus] {
        &self.ingresses
    }

    /// The servers, sorted by host, the catch-all last.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// The catch-all default backend, if an Ingress without rules defines one.
    pub fn default_backend(&self) -> Option<&DefaultRoute> {
        self.default_backend.as_ref()
    }

    /// Every route, sorted by host (catch-all last), path and pathType.
    pub fn routes(&self) -> Vec<&Route> {
        let mut routes: Vec<&Route> = self.servers.iter().flat_map(|s| &s.routes).collect();
        routes.sort_by(|a, b| {
            a.host
                .sort_key()
                .cmp(&b.host.sort_key())
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.path_type.cmp(&b.path_type))
        });
        routes
    }

    /// Everything wrong or surprising, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The server nginx picks for a (normalized) request host: an exact name, else the wildcard over it, else the
    /// catch-all. `None` only if the table has no catch-all, which [`RouteTable::build`] always creates.
    pub(crate) fn server_for(&self, host: &str) -> Option<(&Server, HostMatch)> {
        let exact = self.servers.iter().find(|s| matches!(&s.host, HostPattern::Exact(name) if name == host));
        if let Some(server) = exact {
            return Some((server, HostMatch::Exact));
        }
        let wildcard = self.servers.iter().find(|s| matches!(s.host, HostPattern::Wildcard(_)) && s.host.matches(host));
        if let Some(server) = wildcard {
            return Some((server, HostMatch::Wildcard));
        }
        self.servers.iter().find(|s| s.host == HostPattern::Any).map(|server| (server, HostMatch::CatchAll))
    }
}

/// A valid rule path with a service backend.
struct RulePath {
    path: String,
    path_type: PathType,
    backend: ServiceBackend,
}

/// What the builder needs of each served Ingress.
pub(super) struct Served<'c> {
    pub(super) reference: IngressRef,
    object: &'c Located<Ingress>,
    nginx_annotations: BTreeMap<String, String>,
    canary: bool,
    rewrite_target: Option<String>,
    use_regex: bool,
}

impl Served<'_> {
    fn rules(&self) -> &[IngressRule] {
        self.object.value.spec.as_ref().and_then(|s| s.rules.as_deref()).unwrap_or_default()
    }

    fn default_backend(&self) -> Option<&IngressBackend> {
        self.object.value.spec.as_ref().and_then(|s| s.default_backend.as_ref())
    }

    pub(super) fn tls(&self) -> &[IngressTLS] {
        self.object.value.spec.as_ref().and_then(|s| s.tls.as_deref()).unwrap_or_default()
    }

    fn annotation(&self, suffix: &str) -> Option<&str> {
        self.nginx_annotations.get(&format!("{NGINX_ANNOTATION_PREFIX}{suffix}")).map(String::as_str)
    }

    /// The valid hosts of this Ingress's rules, in order.
    pub(super) fn rule_hosts(&self) -> impl Iterator<Item = HostPattern> + '_ {
        self.rules().iter().filter_map(|rule| HostPattern::parse(rule.host.as_deref()).ok())
    }
}

struct Builder<'c> {
    cluster: &'c Cluster,
    controller: &'c ControllerIdentity,
    statuses: Vec<IngressStatus>,
    servers: BTreeMap<HostPattern, Server>,
    default_backend: Option<DefaultRoute>,
    problems: Vec<Problem>,
    next_rank: usize,
}

impl<'c> Builder<'c> {
    fn new(cluster: &'c Cluster, controller: &'c ControllerIdentity) -> Self {
        let mut servers = BTreeMap::new();
        servers.insert(
            HostPattern::Any,
            Server {
                host: HostPattern::Any,
                routes: Vec::new(),
                regex: None,
                fallback: Fallback::Controller,
                tls: None,
                created_by: None,
            },
        );
        Builder {
            cluster,
            controller,
            statuses: Vec::new(),
            servers,
            default_backend: None,
            problems: Vec::new(),
            next_rank: 0,
        }
    }

    fn build(mut self) -> RouteTable {
        let served = self.served_ingresses();
        for ingress in &served {
            self.check_annotations(ingress);
        }
        let (canaries, main): (Vec<&Served>, Vec<&Served>) = served.iter().partition(|i| i.canary);
        self.create_servers(&main);
        for ingress in &main {
            self.add_routes(ingress);
        }
        for ingress in &canaries {
            self.attach_canary(ingress);
        }
        self.decide_regex_mode(&main);
        assign_tls(self.cluster, &mut self.servers, &main, &mut self.problems);
        self.finish()
    }

    /// Steps 1 and 2: the class of every Ingress, and the served ones in processing order.
    fn served_ingresses(&mut self) -> Vec<Served<'c>> {
        let cluster = self.cluster;
        let mut served = Vec::new();
        for object in &cluster.ingresses {
            let reference = IngressRef { namespace: object.namespace().to_owned(), name: object.name().to_owned() };
            let class = ingress_class(cluster, object);
            let decision = self.controller.decide(cluster, &class);
            if class.annotation_conflicts() {
                self.problems.push(Problem::ClassConflict {
                    ingress: reference.clone(),
                    field: class.field.clone().unwrap_or_default(),
                    annotation: class.annotation.clone().unwrap_or_default(),
                });
            }
            if class.ambiguous_default() {
                self.problems.push(Problem::AmbiguousDefaultClass {
                    ingress: reference.clone(),
                    chosen: class.class.clone().unwrap_or_default(),
                    defaults: class.defaults.clone(),
                });
            }
            match &decision {
                Decision::Served { .. } => served.push(served_ingress(reference.clone(), object)),
                Decision::Ignored { reason } => {
                    self.problems.push(Problem::NotServed { ingress: reference.clone(), reason: reason.clone() })
                }
            }
            self.statuses.push(IngressStatus { ingress: reference, origin: object.origin.clone(), class, decision });
        }
        // ingress-nginx's `sortIngressSlice`: by creation time, ties by the "namespace/name" string, greater first.
        // (Comparing the joined string, not the pair, matters: "default/a" > "default-x/b" because '/' > '-'.)
        served.sort_by_cached_key(|i| {
            (i.object.value.metadata.creation_timestamp.clone(), std::cmp::Reverse(i.reference.to_string()))
        });
        served
    }

    /// Unknown, removed and ConfigMap-only annotations, and a basic-auth Secret that does not exist.
    fn check_annotations(&mut self, ingress: &Served) {
        for key in ingress.nginx_annotations.keys() {
            let suffix = key.strip_prefix(NGINX_ANNOTATION_PREFIX).unwrap_or(key.as_str());
            let status = nginx_annotation_status(suffix);
            if status != AnnotationStatus::Known {
                self.problems.push(Problem::Annotation {
                    ingress: ingress.reference.clone(),
                    annotation: suffix.to_owned(),
                    status,
                });
            }
        }
        let auth = ingress.annotation("auth-type");
        if let (Some("basic" | "digest"), Some(secret)) = (auth, ingress.annotation("auth-secret")) {
            let (namespace, name) = match secret.split_once('/') {
                Some((namespace, name)) => (namespace, name),
                None => (ingress.reference.namespace.as_str(), secret),
            };
            if !self.cluster.secrets.contains(&(namespace.to_owned(), name.to_owned())) {
                self.problems.push(Problem::AuthSecretMissing {
                    ingress: ingress.reference.clone(),
                    namespace: namespace.to_owned(),
                    secret: name.to_owned(),
                });
            }
        }
    }

    /// Step 3: one server per rule host, created by the first Ingress naming it, and the catch-all default.
    fn create_servers(&mut self, main: &[&Served]) {
        for ingress in main {
            let rules = ingress.rules();
            let default_backend = ingress.default_backend();
            if rules.is_empty() && default_backend.is_none() {
                self.problems.push(Problem::Empty { ingress: ingress.reference.clone() });
            }
            let service_default =
                default_backend.and_then(|backend| self.service_backend(ingress, &Site::DefaultBackend, backend));
            if rules.is_empty()
                && let Some(backend) = service_default.clone()
            {
                match &self.default_backend {
                    None => self.default_backend = Some(DefaultRoute { ingress: ingress.reference.clone(), backend }),
                    Some(kept) => self.problems.push(Problem::DefaultBackendConflict {
                        kept: kept.ingress.clone(),
                        dropped: ingress.reference.clone(),
                    }),
                }
            }
            for rule in rules {
                let host = match HostPattern::parse(rule.host.as_deref()) {
                    Ok(host) => host,
                    Err(reason) => {
                        self.problems.push(Problem::InvalidHost { ingress: ingress.reference.clone(), reason });
                        continue;
                    }
                };
                self.servers.entry(host.clone()).or_insert_with(|| Server {
                    fallback: match &service_default {
                        Some(backend) => {
                            Fallback::Ingress { ingress: ingress.reference.clone(), backend: backend.clone() }
                        }
                        None => Fallback::Controller,
                    },
                    host,
                    routes: Vec::new(),
                    regex: None,
                    tls: None,
                    created_by: Some(ingress.reference.clone()),
                });
            }
        }
        if let Some(default) = &self.default_backend
            && let Some(catch_all) = self.servers.get_mut(&HostPattern::Any)
        {
            catch_all.fallback =
                Fallback::Ingress { ingress: default.ingress.clone(), backend: default.backend.clone() };
        }
    }

    /// Step 4: the rule paths of one main Ingress.
    fn add_routes(&mut self, ingress: &Served) {
        for (host, paths) in self.rule_paths(ingress) {
            for RulePath { path, path_type, backend } in paths {
                let Some(server) = self.servers.get_mut(&host) else {
                    continue;
                };
                if let Some(kept) = server.routes.iter().find(|r| r.path == path && r.path_type == path_type) {
                    // The same Ingress twice is reported as a conflict with itself.
                    self.problems.push(Problem::PathConflict {
                        host: host.clone(),
                        path: path.clone(),
                        path_type,
                        kept: kept.ingress.clone(),
                        dropped: ingress.reference.clone(),
                    });
                    continue;
                }
                let rewrite_target = ingress.rewrite_target.clone().filter(|target| needs_rewrite(target, &path));
                server.routes.push(Route {
                    ingress: ingress.reference.clone(),
                    origin: ingress.object.origin.clone(),
                    host: host.clone(),
                    path,
                    path_type,
                    backend,
                    annotations: ingress.nginx_annotations.clone(),
                    rewrite_target,
                    use_regex: ingress.use_regex,
                    regex: false,
                    tls: None,
                    canaries: Vec::new(),
                    rank: self.next_rank,
                });
                self.next_rank += 1;
            }
        }
    }

    /// A canary Ingress's paths join the main routes with the same host, path and pathType.
    fn attach_canary(&mut self, ingress: &Served) {
        for (host, paths) in self.rule_paths(ingress) {
            for RulePath { path, path_type, backend } in paths {
                let main = self
                    .servers
                    .get_mut(&host)
                    .and_then(|s| s.routes.iter_mut().find(|r| r.path == path && r.path_type == path_type));
                match main {
                    Some(route) => route.canaries.push(Canary {
                        ingress: ingress.reference.clone(),
                        backend,
                        annotations: ingress.nginx_annotations.clone(),
                    }),
                    None => self.problems.push(Problem::CanaryWithoutMain {
                        ingress: ingress.reference.clone(),
                        host: host.clone(),
                        path,
                        path_type,
                    }),
                }
            }
        }
    }

    /// The valid paths of an Ingress's rules with resolved service backends, grouped by host. Invalid hosts, paths
    /// and non-service backends are reported and left out.
    fn rule_paths(&mut self, ingress: &Served) -> Vec<(HostPattern, Vec<RulePath>)> {
        let mut out = Vec::new();
        for rule in ingress.rules() {
            // Invalid hosts were reported when the servers were created.
            let Ok(host) = HostPattern::parse(rule.host.as_deref()) else {
                continue;
            };
            let mut paths = Vec::new();
            for http_path in rule.http.iter().flat_map(|http| &http.paths) {
                let path = http_path.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
                let Some(path_type) = self.path_type(ingress, &host, &path, &http_path.path_type) else {
                    continue;
                };
                if let Some(reason) = invalid_path(&path, path_type) {
                    self.problems.push(Problem::InvalidPath {
                        ingress: ingress.reference.clone(),
                        host: host.clone(),
                        path,
                        path_type,
                        reason,
                    });
                    continue;
                }
                let site = Site::Path { host: host.clone(), path: path.clone(), path_type };
                if let Some(backend) = self.service_backend(ingress, &site, &http_path.backend) {
                    paths.push(RulePath { path, path_type, backend });
                }
            }
            out.push((host, paths));
        }
        out
    }

    /// The path type, defaulting a missing one to ImplementationSpecific as ingress-nginx does.
    fn path_type(&mut self, ingress: &Served, host: &HostPattern, path: &str, value: &str) -> Option<PathType> {
        if value.is_empty() {
            self.problems.push(Problem::MissingPathType {
                ingress: ingress.reference.clone(),
                host: host.clone(),
                path: path.to_owned(),
            });
            return Some(PathType::ImplementationSpecific);
        }
        let parsed = PathType::parse(value);
        if parsed.is_none() {
            self.problems.push(Problem::InvalidPathType {
                ingress: ingress.reference.clone(),
                host: host.clone(),
                path: path.to_owned(),
                value: value.to_owned(),
            });
        }
        parsed
    }

    /// Resolves a backend of `ingress`, reporting what is missing.
    fn service_backend(&mut self, ingress: &Served, site: &Site, backend: &IngressBackend) -> Option<ServiceBackend> {
        Resolver { cluster: self.cluster, problems: &mut self.problems }.service_backend(
            &ingress.reference,
            site,
            backend,
        )
    }

    /// Step 5: a host is in regex mode when any of its locations rewrites or asks for regex. That includes the host's
    /// root location, which carries the annotations of the Ingress that created the host unless a `/` Prefix route
    /// replaced it.
    fn decide_regex_mode(&mut self, main: &[&Served]) {
        for server in self.servers.values_mut() {
            let from_routes = server.routes.iter().find_map(|route| {
                let annotation = if route.rewrite_target.is_some() {
                    "rewrite-target"
                } else if route.use_regex {
                    "use-regex"
                } else {
                    return None;
                };
                Some(RegexCause { ingress: route.ingress.clone(), annotation, path: route.path.clone() })
            });
            let root_replaced = server.routes.iter().any(|r| r.path == "/" && r.path_type == PathType::Prefix);
            let creator = server.created_by.as_ref().and_then(|by| main.iter().find(|i| &i.reference == by));
            let from_root = creator.filter(|_| !root_replaced).and_then(|creator| {
                let annotation = if creator.rewrite_target.as_deref().is_some_and(|t| needs_rewrite(t, "/")) {
                    "rewrite-target"
                } else if creator.use_regex {
                    "use-regex"
                } else {
                    return None;
                };
                Some(RegexCause { ingress: creator.reference.clone(), annotation, path: "/".to_owned() })
            });
            server.regex = from_routes.or(from_root);
            let regex = server.regex.is_some();
            for route in &mut server.routes {
                route.regex = regex;
            }
        }
    }

    fn finish(self) -> RouteTable {
        let mut servers: Vec<Server> = self.servers.into_values().collect();
        for server in &mut servers {
            let tls = server.tls.clone();
            for route in &mut server.routes {
                route.tls = tls.clone();
            }
        }
        servers.sort_by(|a, b| a.host.sort_key().cmp(&b.host.sort_key()));
        RouteTable {
            controller: self.controller.clone(),
            ingresses: self.statuses,
            servers,
            default_backend: self.default_backend,
            problems: self.problems,
        }
    }
}

fn served_ingress<'c>(reference: IngressRef, object: &'c Located<Ingress>) -> Served<'c> {
    let nginx_annotations: BTreeMap<String, String> = object
        .value
        .metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(key, _)| key.starts_with(NGINX_ANNOTATION_PREFIX))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let get = |suffix: &str| nginx_annotations.get(&format!("{NGINX_ANNOTATION_PREFIX}{suffix}")).map(String::as_str);
    let canary = get("canary").and_then(parse_bool).unwrap_or(false);
    let rewrite_target = get("rewrite-target").filter(|t| !t.is_empty()).map(str::to_owned);
    let use_regex = get("use-regex").and_then(parse_bool).unwrap_or(false);
    Served { reference, object, nginx_annotations, canary, rewrite_target, use_regex }
}

/// Go's `strconv.ParseBool`, which ingress-nginx uses for boolean annotations.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Why the API server rejects a path of this type, if it does (`networking/v1` validation).
fn invalid_path(path: &str, path_type: PathType) -> Option<String> {
    if !path.starts_with('/') {
        return Some("must be an absolute path".to_owned());
    }
    if path_type == PathType::ImplementationSpecific {
        return None;
    }
    for sequence in ["//", "/./", "/../", "%2f", "%2F"] {
        if path.contains(sequence) {
            return Some(format!("must not contain {sequence:?}"));
        }
    }
    for suffix in ["/..", "/."] {
        if path.ends_with(suffix) {
            return Some(format!("cannot end with {suffix:?}"));
        }
    }
    None
}
