//! Ingress checks (KN3xxx): the model's route table (`knet_model::ingress::RouteTable`) already says what is wrong
//! with the Ingresses; this file gives each of its problems a code, a field path and a hint.
//!
//! The table is built for knet's controller, ingress-nginx with class `nginx`, which ignores Ingresses of other classes
//! (KN3009). Their backends, TLS Secrets and path claims are still worth checking — whichever controller serves them
//! needs the Service to exist — so the Ingresses it ignores are checked again, class by class, each class with a
//! controller of its own. Conflicts are therefore only reported between Ingresses of the same class.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::Ingress;
use knet_model::Cluster;
use knet_model::cluster::Located;
use knet_model::ingress::{
    AnnotationStatus, CLASS_ANNOTATION, ClassSource, ControllerIdentity, HostPattern, IngressRef,
    NGINX_ANNOTATION_PREFIX, Problem, RouteTable, Site,
};
use knet_model::policy::judge_pods;
use knet_model::ports::Protocol;

use super::rules::{
    AMBIGUOUS_DEFAULT_CLASS, AUTH_SECRET_MISSING, BACKEND_MATCHES_TARGET_PORT, CANARY_WITHOUT_MAIN,
    DEPRECATED_INGRESS_CLASS_ANNOTATION, INGRESS_BACKEND_BLOCKED_BY_POLICY, INGRESS_BACKEND_MISSING,
    INGRESS_BACKEND_NO_ENDPOINTS, INGRESS_BACKEND_PORT_MISSING, INGRESS_CLASS_NOT_SERVED, INGRESS_PATH_CONFLICT,
    MODEL_PROBLEM, NOT_A_SERVICE_BACKEND, Rule, TLS_NOT_APPLIED, TLS_SECRET_MISSING, UNKNOWN_NGINX_ANNOTATION,
};
use super::{Finding, Severity, object_name};

pub(super) fn check(cluster: &Cluster, out: &mut Vec<Finding>) {
    if cluster.ingresses.is_empty() {
        return;
    }
    let knet = RouteTable::build(cluster, &ControllerIdentity::default());
    out.extend(blocked_by_policy(cluster, &knet));
    for status in knet.ingresses() {
        if status.class.uses_deprecated_annotation() {
            let Some(ingress) = find(cluster, &status.ingress) else {
                continue;
            };
            out.push(deprecated_annotation(ingress, &status.class.field));
        }
    }
    // The Ingresses knet's controller ignores, grouped by class, each checked by a controller serving that class.
    let mut others: BTreeMap<Option<String>, Vec<&IngressRef>> = BTreeMap::new();
    for status in knet.ingresses().iter().filter(|s| !s.decision.is_served()) {
        others.entry(status.class.class.clone()).or_default().push(&status.ingress);
    }
    let mut problems: Vec<(Problem, Option<&str>)> = knet.problems().iter().map(|p| (p.clone(), None)).collect();
    let tables: Vec<(Option<String>, RouteTable)> = others
        .keys()
        .map(|class| (class.clone(), RouteTable::build(cluster, &identity(cluster, class.as_deref()))))
        .collect();
    for (class, table) in &tables {
        let class = class.as_deref().or(Some(""));
        problems.extend(
            table.problems().iter().filter(|p| !matches!(p, Problem::NotServed { .. })).map(|p| (p.clone(), class)),
        );
    }
    for (problem, class) in problems {
        if let Some(finding) = finding(cluster, &problem, class) {
            out.push(finding);
        }
    }
}

/// Routes whose backend pods' ingress policies do not admit the ingress controller on the target port: one finding
/// per route and workload, judged by the same verdict as `knet explain`.
fn blocked_by_policy(cluster: &Cluster, table: &RouteTable) -> Vec<Finding> {
    let Some(controller) = cluster.ingress_controller() else { return Vec::new() };
    let mut out = Vec::new();
    for route in table.routes() {
        let mut seen = Vec::new();
        for endpoint in route.backend.endpoints() {
            let Some(pod) = endpoint.pod else { continue };
            if seen.contains(&(pod, endpoint.port)) {
                continue;
            }
            seen.push((pod, endpoint.port));
            let verdict = judge_pods(cluster, controller, pod, Protocol::Tcp, endpoint.port);
            if verdict.allowed() {
                continue;
            }
            let blocking = if verdict.ingress.allowed { &verdict.egress } else { &verdict.ingress };
            let policies: Vec<String> =
                blocking.isolating.iter().map(|id| cluster.policies[id.0].qualified_name()).collect();
            let message = format!(
                "ingress \"{}\" at {} {} ({}): {} does not admit the ingress controller ({}) on TCP {}: {} isolated by {}, and no rule admits the controller, so the route times out",
                route.ingress,
                route.host,
                route.path,
                route.path_type,
                cluster.pod(pod).peer_name(),
                cluster.pod(controller).qualified_name(),
                endpoint.port,
                blocking.direction.as_str().to_lowercase(),
                policies.join(", ")
            );
            let finding = about(cluster, &INGRESS_BACKEND_BLOCKED_BY_POLICY, &route.ingress, message)
                .hint(format!(
                    "Add to the pods' ingress rules: `from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {}}}}}}}]` with `ports: [{{protocol: TCP, port: {}}}]`; `knet explain --from {} --to {}:{}` shows the whole chain.",
                    cluster.pod(controller).namespace,
                    endpoint.port,
                    cluster.pod(controller).qualified_name(),
                    cluster.pod(pod).qualified_name(),
                    endpoint.port
                ));
            out.push(match path_field(cluster, &route.ingress, &route.host, &route.path) {
                Some(field) => finding.field(format!("{field}.backend")),
                None => finding,
            });
        }
    }
    out
}

/// A controller that serves exactly one class (or, for `None`, the Ingresses that name no class): the class's
/// IngressClass object decides by its `spec.controller` when the input has one.
fn identity(cluster: &Cluster, class: Option<&str>) -> ControllerIdentity {
    let controller = class
        .and_then(|name| cluster.ingress_classes.iter().find(|c| c.name() == name))
        .and_then(|c| c.value.spec.as_ref())
        .and_then(|s| s.controller.clone())
        .unwrap_or_default();
    ControllerIdentity {
        class_names: class.map(str::to_owned).into_iter().collect(),
        controller,
        watch_without_class: class.is_none(),
    }
}

fn find<'c>(cluster: &'c Cluster, reference: &IngressRef) -> Option<&'c Located<Ingress>> {
    cluster.ingresses.iter().find(|i| i.namespace() == reference.namespace && i.name() == reference.name)
}

fn object(reference: &IngressRef) -> String {
    object_name("Ingress", Some(&reference.namespace), &reference.name)
}

/// A finding about one Ingress, located at its document.
fn about(cluster: &Cluster, rule: &'static Rule, reference: &IngressRef, message: String) -> Finding {
    let finding = Finding::new(rule, object(reference), sentence(message));
    match find(cluster, reference) {
        Some(ingress) => finding.origin(&ingress.origin),
        None => finding,
    }
}

fn sentence(mut text: String) -> String {
    if !text.ends_with(['.', '?', '!']) {
        text.push('.');
    }
    text
}

fn deprecated_annotation(ingress: &Located<Ingress>, field: &Option<String>) -> Finding {
    let reference = IngressRef { namespace: ingress.namespace().to_owned(), name: ingress.name().to_owned() };
    let value =
        ingress.value.metadata.annotations.as_ref().and_then(|a| a.get(CLASS_ANNOTATION)).cloned().unwrap_or_default();
    let mut finding = Finding::new(
        &DEPRECATED_INGRESS_CLASS_ANNOTATION,
        object(&reference),
        format!(
            "ingress \"{}\" selects its class with the deprecated annotation {CLASS_ANNOTATION}: {value:?}; it is still honoured, but spec.ingressClassName replaces it.",
            reference.name
        ),
    )
    .field(format!("metadata.annotations[{CLASS_ANNOTATION}]"))
    .origin(&ingress.origin)
    .hint(format!(
        "Remove the annotation and set `spec.ingressClassName: {value}` (an IngressClass named {value:?} must exist; the two cannot be combined)."
    ));
    if let Some(field) = field.as_ref().filter(|f| **f != value) {
        finding.message = format!(
            "ingress \"{}\" sets both {CLASS_ANNOTATION}: {value:?} and spec.ingressClassName {field:?}: the API server rejects an Ingress with both.",
            reference.name
        );
        finding.severity = Severity::Error;
    }
    finding
}

/// The field path of a backend: `spec.rules[0].http.paths[1].backend`, or `spec.defaultBackend`.
fn site_field(cluster: &Cluster, reference: &IngressRef, site: &Site) -> Option<String> {
    match site {
        Site::DefaultBackend => Some("spec.defaultBackend".to_owned()),
        Site::Path { host, path, .. } => path_field(cluster, reference, host, path).map(|p| format!("{p}.backend")),
    }
}

/// `spec.rules[i].http.paths[j]` for a host and path as the table names them.
fn path_field(cluster: &Cluster, reference: &IngressRef, host: &HostPattern, path: &str) -> Option<String> {
    let spec = find(cluster, reference)?.value.spec.as_ref()?;
    spec.rules.iter().flatten().enumerate().find_map(|(i, rule)| {
        if HostPattern::parse(rule.host.as_deref()).ok().as_ref() != Some(host) {
            return None;
        }
        let paths = &rule.http.as_ref()?.paths;
        let j = paths.iter().position(|p| p.path.as_deref().unwrap_or("/") == path)?;
        Some(format!("spec.rules[{i}].http.paths[{j}]"))
    })
}

/// `spec.tls[k].secretName` of the TLS entry that names `secret` (when given) and lists `host`, or failing that the
/// first entry that names the secret, or lists the host.
fn tls_field(cluster: &Cluster, reference: &IngressRef, secret: Option<&str>, host: &str) -> Option<String> {
    let spec = find(cluster, reference)?.value.spec.as_ref()?;
    let entries: Vec<_> = spec.tls.iter().flatten().enumerate().collect();
    let names = |tls: &k8s_openapi::api::networking::v1::IngressTLS| {
        secret.is_none_or(|s| tls.secret_name.as_deref() == Some(s))
    };
    let lists = |tls: &k8s_openapi::api::networking::v1::IngressTLS| tls.hosts.iter().flatten().any(|h| h == host);
    let index = entries
        .iter()
        .find(|(_, tls)| names(tls) && lists(tls))
        .or_else(|| entries.iter().find(|(_, tls)| secret.is_some() && names(tls)))
        .or_else(|| entries.iter().find(|(_, tls)| lists(tls)))
        .map(|(k, _)| *k)?;
    Some(format!("spec.tls[{index}].secretName"))
}

fn annotation_field(suffix: &str) -> String {
    format!("metadata.annotations[{NGINX_ANNOTATION_PREFIX}{suffix}]")
}

/// The finding for one problem of the route table. `class` is `None` for knet's own controller (ingress-nginx), and
/// the class name (empty for none) for the Ingresses checked as another controller's.
fn finding(cluster: &Cluster, problem: &Problem, class: Option<&str>) -> Option<Finding> {
    let text = problem.to_string();
    let reference = problem.ingress();
    let controller = if class.is_none() { "ingress-nginx" } else { "the ingress controller" };
    Some(match problem {
        Problem::NotServed { reason, .. } => {
            let class_choice = find(cluster, reference).map(|i| knet_model::ingress::ingress_class(cluster, i));
            let no_class = class_choice.as_ref().is_none_or(|c| c.source == ClassSource::None);
            let mut finding = about(
                cluster,
                &INGRESS_CLASS_NOT_SERVED,
                reference,
                format!("ingress \"{}\" is not served by knet's ingress-nginx: {reason}", reference.name),
            )
            .field("spec.ingressClassName");
            if no_class {
                finding = finding.severity(Severity::Warning).hint(
                    "Set `spec.ingressClassName: nginx` (or mark an IngressClass as the default with ingressclass.kubernetes.io/is-default-class); an Ingress without a class is served only by a controller that watches Ingresses without class.",
                );
            }
            finding
        }
        Problem::ClassConflict { .. } => {
            // Reported with the deprecated annotation (KN3004), as an error.
            return None;
        }
        Problem::AmbiguousDefaultClass { .. } => {
            about(cluster, &AMBIGUOUS_DEFAULT_CLASS, reference, text)
                .field("spec.ingressClassName")
                .hint("Mark exactly one IngressClass with ingressclass.kubernetes.io/is-default-class: \"true\", or set spec.ingressClassName.")
        }
        Problem::Empty { .. }
        | Problem::InvalidHost { .. }
        | Problem::MissingPathType { .. }
        | Problem::InvalidPathType { .. }
        | Problem::InvalidPath { .. } => about(cluster, &MODEL_PROBLEM, reference, text),
        Problem::NoBackend { site, .. } | Problem::ResourceBackend { site, .. } => {
            let mut finding = about(cluster, &NOT_A_SERVICE_BACKEND, reference, text);
            finding.field = site_field(cluster, reference, site);
            finding
        }
        Problem::ServiceMissing { site, namespace, service, .. } => {
            let elsewhere: Vec<String> = cluster
                .services
                .iter()
                .filter(|s| s.name == *service && s.namespace != *namespace)
                .map(|s| s.namespace.clone())
                .collect();
            let mut finding = about(
                cluster,
                &INGRESS_BACKEND_MISSING,
                reference,
                format!(
                    "ingress \"{}\" at {site}: service \"{service}\" is not in namespace {namespace} in the given manifests (a backend can only name a Service of the Ingress's own namespace), so {controller} answers 503",
                    reference.name
                ),
            );
            finding.field = site_field(cluster, reference, site).map(|f| format!("{f}.service.name"));
            let hint = if elsewhere.is_empty() {
                format!("Create Service {service:?} in namespace {namespace}, or name an existing Service.")
            } else {
                format!(
                    "A Service {service:?} exists in namespace {}; an Ingress cannot route across namespaces, so move the Ingress there or create the Service in {namespace}.",
                    elsewhere.join(", ")
                )
            };
            finding.hint(hint)
        }
        Problem::PortMissing { site, namespace, service, port, available, .. } => {
            let has = if available.is_empty() { "no ports".to_owned() } else { available.join(", ") };
            let mut finding = about(
                cluster,
                &INGRESS_BACKEND_PORT_MISSING,
                reference,
                format!(
                    "ingress \"{}\" at {site}: service \"{namespace}/{service}\" has no port {port} (it has {has}), so {controller} answers 503",
                    reference.name
                ),
            )
            .hint("Name one of the Service's ports (spec.ports[].port or .name), not the targetPort.");
            finding.field = site_field(cluster, reference, site).map(|f| format!("{f}.service.port"));
            finding
        }
        Problem::PortMatchedTargetPort { site, .. } => {
            let mut finding = about(cluster, &BACKEND_MATCHES_TARGET_PORT, reference, text);
            finding.field = site_field(cluster, reference, site).map(|f| format!("{f}.service.port"));
            finding
        }
        Problem::NoEndpoints { site, namespace, service, port, .. } => {
            let mut finding = about(
                cluster,
                &INGRESS_BACKEND_NO_ENDPOINTS,
                reference,
                format!(
                    "ingress \"{}\" at {site}: service \"{namespace}/{service}\" port {port} has no ready endpoints, so {controller} answers 503",
                    reference.name
                ),
            )
            .hint("Make the Service select running pods whose containers declare its target port (see the Service's own findings).");
            finding.field = site_field(cluster, reference, site).map(|f| format!("{f}.service"));
            finding
        }
        Problem::PathConflict { host, path, .. } => {
            let mut finding = about(cluster, &INGRESS_PATH_CONFLICT, reference, text)
                .hint("Give one of the routes another host or path, or merge the two Ingresses into one.");
            finding.field = path_field(cluster, reference, host, path);
            finding
        }
        Problem::DefaultBackendConflict { .. } => about(cluster, &INGRESS_PATH_CONFLICT, reference, text)
            .field("spec.defaultBackend")
            .hint("Keep one catch-all defaultBackend in the cluster."),
        Problem::SecretMissing { host, secret, namespace, .. } => {
            let mut finding = about(cluster, &TLS_SECRET_MISSING, reference, text).hint(format!(
                "Create the TLS Secret: `kubectl create secret tls {secret} --cert=... --key=... -n {namespace}`."
            ));
            finding.field = tls_field(cluster, reference, Some(secret), &host.to_string());
            finding
        }
        Problem::TlsWithoutSecret { host, .. } => {
            let mut finding = about(cluster, &TLS_SECRET_MISSING, reference, text)
                .hint("Set secretName to a kubernetes.io/tls Secret in the Ingress's namespace.");
            finding.field = tls_field(cluster, reference, None, &host.to_string());
            finding
        }
        Problem::TlsHostUnused { host, .. } => {
            let mut finding = about(cluster, &TLS_NOT_APPLIED, reference, text);
            finding.field = tls_field(cluster, reference, None, host).map(|f| f.replace(".secretName", ".hosts"));
            finding
        }
        Problem::TlsIgnored { host, .. } => {
            let mut finding = about(cluster, &TLS_NOT_APPLIED, reference, text);
            finding.field = tls_field(cluster, reference, None, &host.to_string());
            finding
        }
        Problem::Annotation { annotation, status, .. } => annotation_finding(cluster, reference, annotation, status, text),
        Problem::AuthSecretMissing { .. } => about(cluster, &AUTH_SECRET_MISSING, reference, text)
            .field(annotation_field("auth-secret"))
            .hint("Create the Secret with an htpasswd file under the key `auth`: `htpasswd -c auth user && kubectl create secret generic <name> --from-file=auth`."),
        Problem::CanaryWithoutMain { host, path, .. } => {
            let mut finding = about(cluster, &CANARY_WITHOUT_MAIN, reference, text)
                .hint("A canary Ingress needs a main Ingress with the same host and path.");
            finding.field = path_field(cluster, reference, host, path);
            finding
        }
    })
}

fn annotation_finding(
    cluster: &Cluster,
    reference: &IngressRef,
    annotation: &str,
    status: &AnnotationStatus,
    text: String,
) -> Finding {
    let finding = about(cluster, &UNKNOWN_NGINX_ANNOTATION, reference, text).field(annotation_field(annotation));
    match status {
        AnnotationStatus::Known => finding,
        AnnotationStatus::Alias { of } => finding
            .severity(Severity::Info)
            .hint(format!("Rename it to {NGINX_ANNOTATION_PREFIX}{of}.")),
        AnnotationStatus::Unknown { .. } if annotation.starts_with("rate-limit") => finding.hint(
            "ingress-nginx limits requests per client IP with `limit-rps` or `limit-rpm` (for example `nginx.ingress.kubernetes.io/limit-rpm: \"100\"`); `limit-burst-multiplier` sets the burst. A refused request gets 503.",
        ),
        AnnotationStatus::Unknown { suggestion: Some(suggestion) } => {
            finding.hint(format!("Use {NGINX_ANNOTATION_PREFIX}{suggestion}, or remove the annotation."))
        }
        AnnotationStatus::Unknown { suggestion: None } => {
            finding.hint("Remove the annotation, or look up the intended one in ingress-nginx's annotation list.")
        }
        AnnotationStatus::Removed { .. } => finding.hint("Remove the annotation or use its replacement."),
        AnnotationStatus::ConfigMapKey => finding.hint("Set it in the ingress-nginx controller's ConfigMap instead."),
    }
}
