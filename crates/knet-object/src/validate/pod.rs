//! Pod specs, wherever they appear (Pods and the templates of every workload), after `ValidatePodSpec` and the
//! container, port, probe and DNS checks of `k8s.io/kubernetes/pkg/apis/core/validation`.
//!
//! Only what matters to networking, or is a common manifest mistake, is checked: containers and their ports,
//! probes and lifecycle handlers, DNS policy and config, host networking, volume mounts naming declared volumes.
//! Resources, security contexts, affinity and volume sources are not validated.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, HTTPGetAction, LifecycleHandler, PodDNSConfig, PodSpec, Probe,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::content::{self, NameUse};
use super::field::{ErrorList, Path, Raw, go};
use super::meta;
use super::net;
use super::service::{IP_MESSAGE, PROTOCOLS, port_num_or_name};

/// Where a pod spec lives, because a few rules differ between Pods and templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpecOf {
    /// A Pod object (`opts.ResourceIsPod`).
    Pod,
    /// The pod template of a workload.
    Template,
}

/// `ValidatePodSpec`, in kube-apiserver's order.
pub(crate) fn pod_spec(spec: &PodSpec, of: SpecOf, path: &Path, errors: &mut ErrorList) {
    if spec.termination_grace_period_seconds.is_none() {
        errors.required(&path.child("terminationGracePeriodSeconds"), "");
    }
    let grace_period = spec.termination_grace_period_seconds;
    let volumes = volumes(spec, &path.child("volumes"), errors);
    containers(spec, &volumes, grace_period, &path.child("containers"), errors);
    init_containers(spec, &volumes, grace_period, &path.child("initContainers"), errors);
    host_network_ports(spec, of, path, errors);

    let restart_policy = spec.restart_policy.as_deref().unwrap_or_default();
    match restart_policy {
        "" => errors.required(&path.child("restartPolicy"), ""),
        "Always" | "OnFailure" | "Never" => {}
        other => errors.not_supported(&path.child("restartPolicy"), other, &["Always", "OnFailure", "Never"]),
    }
    let dns_policy = spec.dns_policy.as_deref().unwrap_or_default();
    match dns_policy {
        "" => errors.required(&path.child("dnsPolicy"), ""),
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        other => errors.not_supported(
            &path.child("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        ),
    }
    meta::labels(spec.node_selector.as_ref(), &path.child("nodeSelector"), errors);
    dns_config(spec.dns_config.as_ref(), dns_policy, &path.child("dnsConfig"), errors);

    let named = [(&spec.service_account_name, "serviceAccountName"), (&spec.node_name, "nodeName")];
    for (value, field) in named {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            errors.invalid_each(&path.child(field), value, content::name_is_dns_subdomain(value, NameUse::Name));
        }
    }
    let deadline_range = 1..=i64::from(i32::MAX);
    if let Some(deadline) = spec.active_deadline_seconds.filter(|d| !deadline_range.contains(d)) {
        errors.invalid(
            &path.child("activeDeadlineSeconds"),
            deadline,
            &content::inclusive_range_error(1, i64::from(i32::MAX)),
        );
    }
    for (value, field) in [(&spec.hostname, "hostname"), (&spec.subdomain, "subdomain")] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            errors.invalid_each(&path.child(field), value, content::dns1123_label(value));
        }
    }
    for (i, alias) in spec.host_aliases.iter().flatten().enumerate() {
        let path = path.child("hostAliases").index(i);
        let ip = alias.ip.as_str();
        if net::parse_ip(ip).is_none() {
            errors.invalid(&path.child("ip"), ip, IP_MESSAGE);
        }
        for (j, hostname) in alias.hostnames.iter().flatten().enumerate() {
            errors.invalid_each(&path.child("hostnames").index(j), hostname, content::dns1123_subdomain(hostname));
        }
    }
    if let Some(class) = spec.priority_class_name.as_deref().filter(|c| !c.is_empty()) {
        errors.invalid_each(
            &path.child("priorityClassName"),
            class,
            content::name_is_dns_subdomain(class, NameUse::Name),
        );
    }
}

/// Checks that apply to Pods only (`validateContainersOnlyForPod`): images without surrounding whitespace.
pub(crate) fn pod_only(spec: &PodSpec, path: &Path, errors: &mut ErrorList) {
    let lists = [("containers", Some(&spec.containers)), ("initContainers", spec.init_containers.as_ref())];
    for (field, list) in lists {
        for (i, container) in list.into_iter().flatten().enumerate() {
            let image = container.image.as_deref().unwrap_or_default();
            if image.len() != image.trim().len() {
                errors.invalid(
                    &path.child(field).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                );
            }
        }
    }
}

/// Volume names: required, DNS labels, unique. Returns the declared names for the mount checks.
fn volumes(spec: &PodSpec, path: &Path, errors: &mut ErrorList) -> HashSet<String> {
    let mut names = HashSet::new();
    for (i, volume) in spec.volumes.iter().flatten().enumerate() {
        let path = path.index(i).child("name");
        if volume.name.is_empty() {
            errors.required(&path, "");
        } else {
            errors.invalid_each(&path, &volume.name, content::dns1123_label(&volume.name));
        }
        if !volume.name.is_empty() && !names.insert(volume.name.clone()) {
            errors.duplicate(&path, &volume.name);
        }
    }
    names
}

/// `validateContainers`: at least one, names unique, probes and lifecycle allowed, host ports not shared.
fn containers(
    spec: &PodSpec,
    volumes: &HashSet<String>,
    grace_period: Option<i64>,
    path: &Path,
    errors: &mut ErrorList,
) {
    if spec.containers.is_empty() {
        return errors.required(path, "");
    }
    let mut names = HashSet::new();
    for (i, container) in spec.containers.iter().enumerate() {
        let path = path.index(i);
        container_common(container, volumes, &path, errors);
        if !names.insert(container.name.as_str()) {
            errors.duplicate(&path.child("name"), &container.name);
        }
        if let Some(lifecycle) = &container.lifecycle {
            lifecycle_handler(
                lifecycle.post_start.as_ref(),
                grace_period,
                &path.child("lifecycle").child("postStart"),
                errors,
            );
            lifecycle_handler(
                lifecycle.pre_stop.as_ref(),
                grace_period,
                &path.child("lifecycle").child("preStop"),
                errors,
            );
        }
        probes(container, grace_period, &path, errors);
        if container.restart_policy.is_some() {
            errors.forbidden(&path.child("restartPolicy"), "may not be set for non-init containers");
        }
    }
    host_port_conflicts(spec.containers.iter().enumerate(), path, errors);
}

/// `validateInitContainers`: like regular containers, but probes and lifecycle only for sidecars
/// (`restartPolicy: Always`), and names unique across both lists.
fn init_containers(
    spec: &PodSpec,
    volumes: &HashSet<String>,
    grace_period: Option<i64>,
    path: &Path,
    errors: &mut ErrorList,
) {
    let list_path = path;
    let mut names: HashSet<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    for (i, container) in spec.init_containers.iter().flatten().enumerate() {
        let path = list_path.index(i);
        container_common(container, volumes, &path, errors);
        let mut sidecar = false;
        if let Some(policy) = &container.restart_policy {
            if policy == "Always" {
                sidecar = true;
            } else {
                errors.not_supported(&path.child("restartPolicy"), policy, &["Always"]);
            }
        }
        if names.contains(container.name.as_str()) {
            errors.duplicate(&path.child("name"), &container.name);
        } else if !container.name.is_empty() {
            names.insert(&container.name);
        }
        // Init containers run one at a time, so only ports within one of them can conflict. kube-apiserver checks
        // each as a one-element list, which is why the reported index is always 0.
        host_port_conflicts(std::iter::once((0, container)), list_path, errors);
        if sidecar {
            if let Some(lifecycle) = &container.lifecycle {
                lifecycle_handler(
                    lifecycle.post_start.as_ref(),
                    grace_period,
                    &path.child("lifecycle").child("postStart"),
                    errors,
                );
                lifecycle_handler(
                    lifecycle.pre_stop.as_ref(),
                    grace_period,
                    &path.child("lifecycle").child("preStop"),
                    errors,
                );
            }
            probes(container, grace_period, &path, errors);
        } else {
            let forbidden = "may not be set for init containers without restartPolicy=Always";
            let set = [
                ("lifecycle", container.lifecycle.is_some()),
                ("livenessProbe", container.liveness_probe.is_some()),
                ("readinessProbe", container.readiness_probe.is_some()),
                ("startupProbe", container.startup_probe.is_some()),
            ];
            for (field, is_set) in set {
                if is_set {
                    errors.forbidden(&path.child(field), forbidden);
                }
            }
        }
    }
}

/// `validateContainerCommon`: what every kind of container must satisfy.
fn container_common(container: &Container, volumes: &HashSet<String>, path: &Path, errors: &mut ErrorList) {
    if container.name.is_empty() {
        errors.required(&path.child("name"), "");
    } else {
        errors.invalid_each(&path.child("name"), &container.name, content::dns1123_label(&container.name));
    }
    if container.image.as_deref().unwrap_or_default().is_empty() {
        errors.required(&path.child("image"), "");
    }
    match container.termination_message_policy.as_deref().unwrap_or_default() {
        "File" | "FallbackToLogsOnError" => {}
        "" => errors.required(&path.child("terminationMessagePolicy"), ""),
        other => {
            errors.not_supported(&path.child("terminationMessagePolicy"), other, &["File", "FallbackToLogsOnError"])
        }
    }
    container_ports(container.ports.as_deref().unwrap_or_default(), &path.child("ports"), errors);
    for (i, env) in container.env.iter().flatten().enumerate() {
        let path = path.child("env").index(i).child("name");
        if env.name.is_empty() {
            errors.required(&path, "");
        } else if env.name.chars().any(|c| !c.is_ascii() || c.is_ascii_control() || c == '=') {
            errors.invalid(
                &path,
                &env.name,
                "a valid environment variable name must consist only of printable ASCII characters other than '='",
            );
        }
    }
    let mut mount_paths = HashSet::new();
    for (i, mount) in container.volume_mounts.iter().flatten().enumerate() {
        let path = path.child("volumeMounts").index(i);
        if mount.name.is_empty() {
            errors.required(&path.child("name"), "");
        }
        if !volumes.contains(&mount.name) {
            errors.not_found(&path.child("name"), &mount.name);
        }
        if mount.mount_path.is_empty() {
            errors.required(&path.child("mountPath"), "");
        }
        if !mount_paths.insert(mount.mount_path.as_str()) {
            errors.invalid(&path.child("mountPath"), &mount.mount_path, "must be unique");
        }
    }
    match container.image_pull_policy.as_deref().unwrap_or_default() {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errors.required(&path.child("imagePullPolicy"), ""),
        other => errors.not_supported(&path.child("imagePullPolicy"), other, &["Always", "IfNotPresent", "Never"]),
    }
}

/// `validateContainerPorts`: names are IANA service names unique within the container, ports in range.
fn container_ports(ports: &[ContainerPort], path: &Path, errors: &mut ErrorList) {
    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let path = path.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let messages = content::port_name(name);
            if !messages.is_empty() {
                errors.invalid_each(&path.child("name"), name, messages);
            } else if !names.insert(name) {
                errors.duplicate(&path.child("name"), name);
            }
        }
        if port.container_port == 0 {
            errors.required(&path.child("containerPort"), "");
        } else {
            for message in content::port_num(i64::from(port.container_port)) {
                errors.invalid(&path.child("containerPort"), port.container_port, &message);
            }
        }
        let host_port = port.host_port.unwrap_or_default();
        if host_port != 0 {
            for message in content::port_num(i64::from(host_port)) {
                errors.invalid(&path.child("hostPort"), host_port, &message);
            }
        }
        match port.protocol.as_deref().unwrap_or_default() {
            "" => errors.required(&path.child("protocol"), ""),
            p if PROTOCOLS.contains(&p) => {}
            p => errors.not_supported(&path.child("protocol"), p, &PROTOCOLS),
        }
    }
}

/// `AccumulateUniqueHostPorts`: two ports may not claim the same protocol, host IP and host port.
fn host_port_conflicts<'a>(
    containers: impl Iterator<Item = (usize, &'a Container)>,
    path: &Path,
    errors: &mut ErrorList,
) {
    let mut seen = HashSet::new();
    for (i, container) in containers {
        for (j, port) in container.ports.iter().flatten().enumerate() {
            let host_port = port.host_port.unwrap_or_default();
            if host_port == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{host_port}",
                port.protocol.as_deref().unwrap_or_default(),
                port.host_ip.as_deref().unwrap_or_default()
            );
            if seen.contains(&key) {
                let path = path.index(i).child("ports").index(j).child("hostPort");
                errors.duplicate(&path, &key);
            } else {
                seen.insert(key);
            }
        }
    }
}

/// `validatePodHostNetworkDeps`: with host networking a container port *is* a host port, so a different
/// `hostPort` is refused (templates may leave it 0; it is defaulted when the Pod is created).
fn host_network_ports(spec: &PodSpec, of: SpecOf, path: &Path, errors: &mut ErrorList) {
    if spec.host_network != Some(true) {
        return;
    }
    for (i, container) in spec.containers.iter().enumerate() {
        for (j, port) in container.ports.iter().flatten().enumerate() {
            let host_port = port.host_port.unwrap_or_default();
            if (of == SpecOf::Pod || host_port != 0) && host_port != port.container_port {
                errors.invalid(
                    &path.child("containers").index(i).child("ports").index(j).child("hostPort"),
                    host_port,
                    "must match `containerPort` when `hostNetwork` is true",
                );
            }
        }
    }
}

/// The three probes of a container: handler and timings, plus each kind's own rule.
fn probes(container: &Container, grace_period: Option<i64>, path: &Path, errors: &mut ErrorList) {
    if let Some(probe) = &container.liveness_probe {
        let path = path.child("livenessProbe");
        self::probe(probe, grace_period, &path, errors);
        success_threshold_is_one(probe, &path, errors);
    }
    if let Some(probe) = &container.readiness_probe {
        let path = path.child("readinessProbe");
        self::probe(probe, grace_period, &path, errors);
        if let Some(seconds) = probe.termination_grace_period_seconds {
            errors.invalid(
                &path.child("terminationGracePeriodSeconds"),
                seconds,
                "must not be set for readinessProbes",
            );
        }
    }
    if let Some(probe) = &container.startup_probe {
        let path = path.child("startupProbe");
        self::probe(probe, grace_period, &path, errors);
        success_threshold_is_one(probe, &path, errors);
    }
}

fn success_threshold_is_one(probe: &Probe, path: &Path, errors: &mut ErrorList) {
    let threshold = probe.success_threshold.unwrap_or_default();
    if threshold != 1 {
        errors.invalid(&path.child("successThreshold"), threshold, "must be 1");
    }
}

/// One action of a probe or lifecycle hook; exactly one must be set.
enum Action<'a> {
    Exec(bool),
    HttpGet(&'a HTTPGetAction),
    TcpSocket(&'a IntOrString),
    Grpc(i32),
    Sleep(i64),
}

/// `validateProbe`.
fn probe(probe: &Probe, grace_period: Option<i64>, path: &Path, errors: &mut ErrorList) {
    let actions = [
        probe.exec.as_ref().map(|e| ("exec", Action::Exec(e.command.as_ref().is_some_and(|c| !c.is_empty())))),
        probe.http_get.as_ref().map(|h| ("httpGet", Action::HttpGet(h))),
        probe.tcp_socket.as_ref().map(|t| ("tcpSocket", Action::TcpSocket(&t.port))),
        probe.grpc.as_ref().map(|g| ("grpc", Action::Grpc(g.port))),
    ];
    handler(actions.into_iter().flatten(), grace_period, path, errors);
    let timings = [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ];
    for (field, value) in timings {
        meta::nonnegative(i64::from(value.unwrap_or_default()), &path.child(field), errors);
    }
    if let Some(seconds) = probe.termination_grace_period_seconds.filter(|s| *s <= 0) {
        errors.invalid(&path.child("terminationGracePeriodSeconds"), seconds, "must be greater than 0");
    }
}

/// A `postStart` or `preStop` hook.
fn lifecycle_handler(hook: Option<&LifecycleHandler>, grace_period: Option<i64>, path: &Path, errors: &mut ErrorList) {
    let Some(hook) = hook else { return };
    let actions = [
        hook.exec.as_ref().map(|e| ("exec", Action::Exec(e.command.as_ref().is_some_and(|c| !c.is_empty())))),
        hook.http_get.as_ref().map(|h| ("httpGet", Action::HttpGet(h))),
        hook.tcp_socket.as_ref().map(|t| ("tcpSocket", Action::TcpSocket(&t.port))),
        hook.sleep.as_ref().map(|s| ("sleep", Action::Sleep(s.seconds))),
    ];
    handler(actions.into_iter().flatten(), grace_period, path, errors);
}

/// `validateHandler`: the first action is validated, any further one is forbidden, none at all is required.
fn handler<'a>(
    actions: impl Iterator<Item = (&'static str, Action<'a>)>,
    grace_period: Option<i64>,
    path: &Path,
    errors: &mut ErrorList,
) {
    let mut count = 0;
    for (field, action) in actions {
        let path = path.child(field);
        count += 1;
        if count > 1 {
            errors.forbidden(&path, "may not specify more than 1 handler type");
            continue;
        }
        match action {
            Action::Exec(has_command) => {
                if !has_command {
                    errors.required(&path.child("command"), "");
                }
            }
            Action::HttpGet(http) => http_get(http, &path, errors),
            Action::TcpSocket(port) => port_num_or_name(port, &path.child("port"), errors),
            Action::Grpc(port) => port_num_or_name(&IntOrString::Int(port), &path.child("port"), errors),
            Action::Sleep(seconds) => {
                if let Some(grace) = grace_period.filter(|g| seconds < 0 || seconds > *g) {
                    errors.invalid(
                        &path,
                        seconds,
                        &format!("must be non-negative and less than terminationGracePeriodSeconds ({grace})"),
                    );
                }
            }
        }
    }
    if count == 0 {
        errors.required(path, "must specify a handler type");
    }
}

/// `validateHTTPGetAction`.
fn http_get(http: &HTTPGetAction, path: &Path, errors: &mut ErrorList) {
    if http.path.as_deref().unwrap_or_default().is_empty() {
        errors.required(&path.child("path"), "");
    }
    port_num_or_name(&http.port, &path.child("port"), errors);
    let scheme = http.scheme.as_deref().unwrap_or_default();
    if !matches!(scheme, "HTTP" | "HTTPS") {
        errors.not_supported(&path.child("scheme"), scheme, &["HTTP", "HTTPS"]);
    }
    for header in http.http_headers.iter().flatten() {
        errors.invalid_each(&path.child("httpHeaders"), &header.name, content::http_header_name(&header.name));
    }
}

/// The limits of a resolver (`MaxDNSNameservers`, `MaxDNSSearchPaths`, `MaxDNSSearchListChars`).
const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCHES: usize = 32;
const MAX_SEARCH_CHARS: usize = 2048;

/// `validatePodDNSConfig`, with the relaxed search-domain rule (underscores allowed, `.` alone allowed) that is on
/// by default since Kubernetes 1.33.
fn dns_config(config: Option<&PodDNSConfig>, policy: &str, path: &Path, errors: &mut ErrorList) {
    let nameservers = config.and_then(|c| c.nameservers.as_deref()).unwrap_or_default();
    if policy == "None" {
        let Some(_) = config else {
            return errors.required(path, "must provide `dnsConfig` when `dnsPolicy` is None");
        };
        if nameservers.is_empty() {
            return errors.required(
                &path.child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            );
        }
    }
    let Some(config) = config else { return };
    if nameservers.len() > MAX_NAMESERVERS {
        errors.invalid(
            &path.child("nameservers"),
            Raw(go::string_slice("string", config.nameservers.as_deref())),
            &format!("must not have more than {MAX_NAMESERVERS} nameservers"),
        );
    }
    for (i, nameserver) in nameservers.iter().enumerate() {
        if net::parse_ip(nameserver).is_none() {
            errors.invalid(&path.child("nameservers").index(i), nameserver, IP_MESSAGE);
        }
    }
    let searches = config.searches.as_deref().unwrap_or_default();
    let searches_value = || Raw(go::string_slice("string", config.searches.as_deref()));
    if searches.len() > MAX_SEARCHES {
        errors.invalid(
            &path.child("searches"),
            searches_value(),
            &format!("must not have more than {MAX_SEARCHES} search paths"),
        );
    }
    if searches.join(" ").len() > MAX_SEARCH_CHARS {
        errors.invalid(
            &path.child("searches"),
            searches_value(),
            &format!("must not have more than {MAX_SEARCH_CHARS} characters (including spaces) in the search list"),
        );
    }
    for (i, search) in searches.iter().enumerate() {
        if search != "." {
            let search = search.strip_suffix('.').unwrap_or(search);
            errors.invalid_each(
                &path.child("searches").index(i),
                search,
                content::dns1123_subdomain_with_underscore(search),
            );
        }
    }
    for (i, option) in config.options.iter().flatten().enumerate() {
        if option.name.as_deref().unwrap_or_default().is_empty() {
            errors.required(&path.child("options").index(i), "must not be empty");
        }
    }
}
