//! Service checks (KN1xxx): selectors that select no pod, target ports that resolve to nothing declared, workloads
//! that listen on nothing, and ExternalNames that hold an address.

use std::collections::BTreeSet;
use std::net::IpAddr;

use knet_model::cluster::{ContainerPort, Pod};
use knet_model::selector::Requirement;
use knet_model::service::{PortResolution, Service, ServicePort, ServiceType, TargetPort};
use knet_model::{Cluster, PodId, Selector};

use super::rules::{
    EXTERNAL_NAME_IS_IP, NAMED_TARGET_PORT_UNKNOWN, NOTHING_LISTENS, SERVICE_SELECTS_NO_POD, TARGET_PORT_NOT_DECLARED,
};
use super::workloads::{command_field, containers, idle_command, manifest_of, pod_spec};
use super::{Finding, and_list, is_synthetic, object_name};
use crate::input::Input;

pub(super) fn check(cluster: &Cluster, input: &Input, out: &mut Vec<Finding>) {
    let mut idle_reported = BTreeSet::new();
    for service in cluster.services.iter().filter(|s| !is_synthetic(&s.origin)) {
        let object = object_name("Service", Some(&service.namespace), &service.name);
        if service.service_type == ServiceType::ExternalName {
            external_name(service, &object, out);
            continue;
        }
        let Some(selector) = service.selector.as_ref().filter(|s| !s.is_everything()) else {
            // Without a selector the endpoints are managed by hand (Endpoints / EndpointSlices).
            continue;
        };
        let selected: Vec<PodId> = service.selected_pods(cluster).collect();
        if selected.is_empty() {
            let consequence = if service.headless {
                "its name does not resolve (a headless Service without ready endpoints is NXDOMAIN)"
            } else {
                "connections to it are refused"
            };
            out.push(
                Finding::new(
                    &SERVICE_SELECTS_NO_POD,
                    object,
                    format!(
                        "service \"{}\": selector {selector} matches no pod in namespace {} in the given manifests, so the Service has no endpoints and {consequence}.",
                        service.name, service.namespace
                    ),
                )
                .field("spec.selector")
                .origin(&service.origin)
                .hint_opt(no_pod_hint(cluster, service, selector)),
            );
            continue;
        }
        for (index, port) in service.ports.iter().enumerate() {
            target_port(cluster, service, &object, index, port, &selected, out);
            nothing_listens(cluster, input, service, port, &selected, &mut idle_reported, out);
        }
    }
}

fn external_name(service: &Service, object: &str, out: &mut Vec<Finding>) {
    let Some(name) = &service.external_name else {
        return;
    };
    if name.trim_end_matches('.').parse::<IpAddr>().is_ok() {
        out.push(
            Finding::new(
                &EXTERNAL_NAME_IS_IP,
                object.to_owned(),
                format!(
                    "service \"{}\": externalName {name:?} is an IP address; the cluster DNS answers the Service's name with a CNAME to {name:?}, a name that does not exist, so lookups fail with NXDOMAIN.",
                    service.name
                ),
            )
            .field("spec.externalName")
            .origin(&service.origin)
            .hint("Use a DNS name in externalName; for a fixed address, use a Service without a selector and an EndpointSlice holding the address."),
        );
    }
}

/// Why a selector selects nothing: pods of another namespace that it would select, or pods of its own namespace that
/// miss some of its labels.
fn no_pod_hint(cluster: &Cluster, service: &Service, selector: &Selector) -> Option<String> {
    let elsewhere: Vec<String> = cluster
        .pods
        .iter()
        .filter(|p| p.namespace != service.namespace && !p.system && selector.matches(&p.labels))
        .map(|p| format!("{} {}", p.kind.as_str(), p.qualified_name()))
        .collect();
    if !elsewhere.is_empty() {
        return Some(format!(
            "{} in another namespace would match; a Service only selects pods of its own namespace, so move the Service (or the workload) to the same namespace.",
            and_list(&elsewhere)
        ));
    }
    // The pod of the namespace that has the most of the selector's labels, and the ones it lacks.
    let closest = cluster
        .pods
        .iter()
        .filter(|p| p.namespace == service.namespace && !p.system)
        .map(|p| (missing_labels(selector, p), p))
        .filter(|(missing, _)| missing.len() < selector.requirements().len())
        .min_by_key(|(missing, p)| (missing.len(), p.name.clone()))?;
    let (missing, pod) = closest;
    Some(format!(
        "{} {} has some of these labels but not {}; the selector needs all of them.",
        pod.kind.as_str(),
        pod.qualified_name(),
        and_list(&missing)
    ))
}

/// The `key=value` requirements of a selector that the pod's labels do not meet.
fn missing_labels(selector: &Selector, pod: &Pod) -> Vec<String> {
    selector
        .requirements()
        .iter()
        .filter_map(|r| match r {
            Requirement::In { key, values } => match values.as_slice() {
                [value] => (pod.labels.get(key) != Some(value)).then(|| format!("{key}={value}")),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// `8080 (http)` or `8080`.
fn port_label(port: &ServicePort) -> String {
    match &port.name {
        Some(name) => format!("{} ({name})", port.port),
        None => port.port.to_string(),
    }
}

/// What a pod declares, for messages: `80/TCP, 9090/TCP "metrics"`, or `no ports`.
fn declared(pod: &Pod) -> String {
    let ports: Vec<String> = pod.ports().map(describe_port).collect();
    if ports.is_empty() { "no ports".to_owned() } else { ports.join(", ") }
}

fn describe_port(port: &ContainerPort) -> String {
    match &port.name {
        Some(name) => format!("{}/{} \"{name}\"", port.port, port.protocol),
        None => format!("{}/{}", port.port, port.protocol),
    }
}

fn target_port(
    cluster: &Cluster,
    service: &Service,
    object: &str,
    index: usize,
    port: &ServicePort,
    selected: &[PodId],
    out: &mut Vec<Finding>,
) {
    let selector = service.selector.as_ref().map(ToString::to_string).unwrap_or_default();
    let mut unknown = Vec::new();
    let mut undeclared = Vec::new();
    for &id in selected {
        match service.resolve_target(cluster, port, id) {
            PortResolution::UnknownName => unknown.push(cluster.pod(id)),
            PortResolution::Resolved { declared: false, .. } => undeclared.push(cluster.pod(id)),
            PortResolution::Resolved { declared: true, .. } => {}
        }
    }
    let field = format!("spec.ports[{index}].targetPort");
    let pods_of = |pods: &[&Pod]| -> Vec<String> {
        pods.iter().map(|p| format!("{} {} ({})", p.kind.as_str(), p.qualified_name(), declared(p))).collect()
    };
    if !unknown.is_empty() {
        let TargetPort::Name(name) = &port.target else {
            return;
        };
        let whom = if unknown.len() == selected.len() {
            format!("the pods it selects ({selector}), so the Service port has no endpoints")
        } else {
            format!("{}, so those pods are not endpoints of this port", and_list(&pods_of(&unknown)))
        };
        let declares = if unknown.len() == selected.len() {
            format!(" They declare: {}.", and_list(&pods_of(&unknown)))
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                &NAMED_TARGET_PORT_UNKNOWN,
                object.to_owned(),
                format!(
                    "service \"{}\" port {}: targetPort \"{name}\" names no {} container port of {whom}.{declares}",
                    service.name,
                    port_label(port),
                    port.protocol
                ),
            )
            .field(field.clone())
            .origin(&service.origin)
            .hint(format!(
                "Name the container port \"{name}\" (ports[].name, protocol {}) in the pod template, or set targetPort to the port number.",
                port.protocol
            )),
        );
    }
    if !undeclared.is_empty() {
        let TargetPort::Number(number) = &port.target else {
            return;
        };
        let other_protocol =
            undeclared.iter().any(|p| p.ports().any(|c| c.port == *number && c.protocol != port.protocol));
        let mut message = format!(
            "service \"{}\" port {}: targetPort {number}/{} is not declared by any container of {}; connections go to port {number} all the same, and are refused unless the process listens there (knet's built-in workload listens only on declared ports).",
            service.name,
            port_label(port),
            port.protocol,
            and_list(&pods_of(&undeclared))
        );
        if other_protocol {
            message.push_str(" The port is declared, but with another protocol.");
        }
        let no_ports = undeclared.iter().all(|p| p.ports().next().is_none());
        let hint = if no_ports {
            format!(
                "Declare containerPort {number} in the pod template, or point targetPort at the port the container listens on."
            )
        } else {
            format!(
                "Point targetPort at a declared container port, or declare containerPort {number} if the process listens there."
            )
        };
        out.push(
            Finding::new(&TARGET_PORT_NOT_DECLARED, object.to_owned(), message)
                .field(field)
                .origin(&service.origin)
                .hint(hint),
        );
    }
}

/// KN1004: a Service port whose target pods only run idle commands. Reported once per workload and target port, on
/// the workload (where the command is), naming the Service. The model keeps each container's command line; without
/// one, knet's built-in workload serves the declared ports, so such a container is never idle.
fn nothing_listens(
    cluster: &Cluster,
    input: &Input,
    service: &Service,
    port: &ServicePort,
    selected: &[PodId],
    reported: &mut BTreeSet<(PodId, u16)>,
    out: &mut Vec<Finding>,
) {
    for &id in selected {
        let PortResolution::Resolved { port: target, .. } = service.resolve_target(cluster, port, id) else {
            continue;
        };
        let pod = cluster.pod(id);
        let idle: Option<Vec<(usize, String, usize)>> = pod
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (command, word) = idle_command(c.command.as_deref()?)?;
                Some((i, command, word))
            })
            .collect();
        let Some(idle) = idle.filter(|idle| !idle.is_empty()) else {
            continue;
        };
        if !reported.insert((id, target)) {
            continue;
        }
        let manifest = manifest_of(input, pod);
        let Some((first, _, word)) = idle.first() else {
            continue;
        };
        let field = manifest
            .and_then(|m| pod_spec(&m.object))
            .and_then(|(spec, prefix)| containers(spec, prefix).into_iter().nth(*first))
            .map(|container| command_field(&container, *word));
        let commands: Vec<String> = idle.iter().map(|(_, c, _)| format!("`{c}`")).collect();
        let runs = if commands.len() == 1 {
            format!("runs {}", commands.join(""))
        } else {
            format!("runs only {}", and_list(&commands))
        };
        let mut finding = Finding::new(
            &NOTHING_LISTENS,
            object_name(pod.kind.as_str(), Some(&pod.namespace), &pod.name),
            format!(
                "{} {} {runs}; nothing listens on {target}/{}, so connections through service \"{}\" port {} reach the pod and are refused.",
                pod.kind.as_str().to_lowercase(),
                pod.name,
                port.protocol,
                service.name,
                port_label(port)
            ),
        )
        .origin(&pod.origin)
        .hint("A containerPort only documents a port; run a server that listens on it (or expect the Service to refuse connections). No policy or Service setting is at fault.");
        finding.field = field;
        out.push(finding);
    }
}
