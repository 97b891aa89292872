//! Ingresses and IngressClasses, after `ValidateIngressCreate` and `ValidateIngressClass` in
//! `k8s.io/kubernetes/pkg/apis/networking/validation`.
//!
//! ```text
//! [Ingress] -ingressClassName-> [IngressClass] -controller-> (ingress controller)
//!     `-rules[].http.paths[].backend.service-> [Service] -port name|number-> ServicePort
//! ```

use k8s_openapi::api::core::v1::TypedLocalObjectReference;
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, Ingress, IngressBackend, IngressClass, IngressClassParametersReference, IngressSpec,
};

use super::content::{self, NameUse};
use super::field::{ErrorList, Path, Raw};
use super::meta::{self, NameFormat};
use super::{net, service};

/// The deprecated annotation that `spec.ingressClassName` replaced.
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
/// Sequences that would let a path escape its prefix after normalisation.
const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];
/// The longest `spec.controller` of an IngressClass.
const CONTROLLER_MAX: usize = 250;

/// `ValidateIngressCreate`.
pub(crate) fn ingress(ingress: &Ingress, errors: &mut ErrorList) {
    meta::object_meta(&ingress.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = IngressSpec::default();
    let spec = ingress.spec.as_ref().unwrap_or(&default_spec);
    ingress_spec(spec, &Path::root("spec"), errors);

    let annotation = ingress.metadata.annotations.as_ref().and_then(|a| a.get(CLASS_ANNOTATION));
    match (annotation, &spec.ingress_class_name) {
        (Some(annotation), Some(class)) if annotation != class => errors.invalid(
            &Path::root("annotations").child(CLASS_ANNOTATION),
            annotation,
            "must match `ingressClassName` when both are specified",
        ),
        _ => {}
    }
}

/// `ValidateIngressSpec`.
fn ingress_spec(spec: &IngressSpec, path: &Path, errors: &mut ErrorList) {
    let rules = spec.rules.as_deref().unwrap_or_default();
    if rules.is_empty() && spec.default_backend.is_none() {
        let value = match &spec.rules {
            None => "[]networking.IngressRule(nil)",
            Some(_) => "[]networking.IngressRule{}",
        };
        errors.invalid(path, Raw(value.to_owned()), "either `defaultBackend` or `rules` must be specified");
    }
    if let Some(backend) = &spec.default_backend {
        ingress_backend(backend, &path.child("defaultBackend"), errors);
    }
    for (i, rule) in rules.iter().enumerate() {
        let path = path.child("rules").index(i);
        let host = rule.host.as_deref().unwrap_or_default();
        if !host.is_empty() {
            if net::parse_ip(host).is_some() {
                errors.invalid(&path.child("host"), host, "must be a DNS name, not an IP address");
            }
            errors.invalid_each(&path.child("host"), host, host_errors(host));
        }
        if let Some(http) = &rule.http {
            let paths_path = path.child("http").child("paths");
            if http.paths.is_empty() {
                errors.required(&paths_path, "");
            }
            for (j, http_path) in http.paths.iter().enumerate() {
                ingress_path(http_path, &paths_path.index(j), errors);
            }
        }
    }
    for (i, tls) in spec.tls.iter().flatten().enumerate() {
        let path = path.child("tls").index(i);
        for (j, host) in tls.hosts.iter().flatten().enumerate() {
            errors.invalid_each(&path.child("hosts").index(j), host, host_errors(host));
        }
        if let Some(secret) = tls.secret_name.as_deref().filter(|s| !s.is_empty()) {
            errors.invalid_each(
                &path.child("secretName"),
                secret,
                content::name_is_dns_subdomain(secret, NameUse::Name),
            );
        }
    }
    if let Some(class) = &spec.ingress_class_name {
        errors.invalid_each(
            &path.child("ingressClassName"),
            class,
            content::name_is_dns_subdomain(class, NameUse::Name),
        );
    }
}

/// A rule or TLS host: a DNS subdomain, or `*.` and a subdomain.
fn host_errors(host: &str) -> Vec<String> {
    if host.contains('*') { content::wildcard_dns1123_subdomain(host) } else { content::dns1123_subdomain(host) }
}

/// `validateHTTPIngressPath`. Without a path type nothing else is checked, as in kube-apiserver.
fn ingress_path(http_path: &HTTPIngressPath, path: &Path, errors: &mut ErrorList) {
    let value = http_path.path.as_deref().unwrap_or_default();
    let path_path = path.child("path");
    match http_path.path_type.as_str() {
        "" => return errors.required(&path.child("pathType"), "pathType must be specified"),
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                errors.invalid(&path_path, value, "must be an absolute path");
            }
            if !value.is_empty() {
                for sequence in INVALID_PATH_SEQUENCES {
                    if value.contains(sequence) {
                        errors.invalid(&path_path, value, &format!("must not contain '{sequence}'"));
                    }
                }
                for suffix in INVALID_PATH_SUFFIXES {
                    if value.ends_with(suffix) {
                        errors.invalid(&path_path, value, &format!("cannot end with '{suffix}'"));
                    }
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errors.invalid(&path_path, value, "must be an absolute path");
            }
        }
        other => errors.not_supported(&path.child("pathType"), other, &["Exact", "ImplementationSpecific", "Prefix"]),
    }
    ingress_backend(&http_path.backend, &path.child("backend"), errors);
}

/// `validateIngressBackend`: exactly one of a Service (by name, with a port name or number) or a resource.
fn ingress_backend(backend: &IngressBackend, path: &Path, errors: &mut ErrorList) {
    match (&backend.service, &backend.resource) {
        (Some(_), Some(_)) => errors.invalid(path, "", "cannot set both resource and service backends"),
        (None, Some(resource)) => typed_reference(resource, &path.child("resource"), errors),
        (Some(svc), None) => {
            let name_path = path.child("service").child("name");
            if svc.name.is_empty() {
                errors.required(&name_path, "");
            } else {
                errors.invalid_each(&name_path, &svc.name, service::service_name_errors(&svc.name));
            }
            let port = svc.port.as_ref();
            let name = port.and_then(|p| p.name.as_deref()).unwrap_or_default();
            let number = port.and_then(|p| p.number).unwrap_or_default();
            let port_path = path.child("service").child("port");
            match (name.is_empty(), number == 0) {
                (false, false) => errors.invalid(path, "", "cannot set both port name & port number"),
                (false, true) => errors.invalid_each(&port_path.child("name"), name, content::port_name(name)),
                (true, false) => {
                    for message in content::port_num(i64::from(number)) {
                        errors.invalid(&port_path.child("number"), number, &message);
                    }
                }
                (true, true) => errors.required(path, "port name or number is required"),
            }
        }
        (None, None) => errors.invalid(path, "", "resource or service backend is required"),
    }
}

/// `validateIngressTypedLocalObjectReference`.
fn typed_reference(reference: &TypedLocalObjectReference, path: &Path, errors: &mut ErrorList) {
    if let Some(group) = &reference.api_group {
        errors.invalid_each(&path.child("apiGroup"), group, content::dns1123_subdomain(group));
    }
    path_segment(&reference.kind, &path.child("kind"), errors);
    path_segment(&reference.name, &path.child("name"), errors);
}

/// A required path segment name (`IsPathSegmentName`): not `.` or `..`, no `/` or `%`.
fn path_segment(value: &str, path: &Path, errors: &mut ErrorList) {
    if value.is_empty() {
        return errors.required(path, "");
    }
    let mut messages = Vec::new();
    match value {
        "." | ".." => messages.push(format!("may not be '{value}'")),
        _ => {
            for forbidden in ["/", "%"] {
                if value.contains(forbidden) {
                    messages.push(format!("may not contain '{forbidden}'"));
                }
            }
        }
    }
    errors.invalid_each(path, value, messages);
}

/// `ValidateIngressClass`.
pub(crate) fn ingress_class(class: &IngressClass, errors: &mut ErrorList) {
    meta::object_meta(&class.metadata, false, NameFormat::DnsSubdomain, errors);
    let path = Path::root("spec");
    let spec = class.spec.as_ref();
    let controller = spec.and_then(|s| s.controller.as_deref()).unwrap_or_default();
    let controller_path = path.child("controller");
    if controller.is_empty() {
        errors.required(&controller_path, "");
    } else {
        if controller.len() > CONTROLLER_MAX {
            errors.too_long(&controller_path, CONTROLLER_MAX);
        }
        domain_prefixed_path(controller, &controller_path, errors);
    }
    if let Some(parameters) = spec.and_then(|s| s.parameters.as_ref()) {
        class_parameters(parameters, &path.child("parameters"), errors);
    }
}

/// `IsDomainPrefixedPath`: `example.com/some/path`.
fn domain_prefixed_path(value: &str, path: &Path, errors: &mut ErrorList) {
    let Some((host, rest)) = value.split_once('/').filter(|(h, r)| !h.is_empty() && !r.is_empty()) else {
        return errors.invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")");
    };
    errors.invalid_each(path, host, content::dns1123_subdomain(host));
    if !content::is_http_path(rest) {
        errors.invalid(path, rest, &content::http_path_error());
    }
}

/// `validateIngressClassParametersReference`.
fn class_parameters(parameters: &IngressClassParametersReference, path: &Path, errors: &mut ErrorList) {
    if let Some(group) = &parameters.api_group {
        errors.invalid_each(&path.child("apiGroup"), group, content::dns1123_subdomain(group));
    }
    path_segment(&parameters.kind, &path.child("kind"), errors);
    path_segment(&parameters.name, &path.child("name"), errors);
    let Some(scope) = &parameters.scope else {
        return errors.required(&path.child("scope"), "");
    };
    match scope.as_str() {
        "Namespace" => match &parameters.namespace {
            None => errors.required(&path.child("namespace"), "`parameters.scope` is set to 'Namespace'"),
            Some(namespace) => errors.invalid_each(
                &path.child("namespace"),
                namespace,
                content::name_is_dns_label(namespace, NameUse::Name),
            ),
        },
        "Cluster" => {
            if parameters.namespace.is_some() {
                errors.forbidden(&path.child("namespace"), "`parameters.scope` is set to 'Cluster'");
            }
        }
        other => errors.not_supported(&path.child("scope"), other, &["Cluster", "Namespace"]),
    }
}
