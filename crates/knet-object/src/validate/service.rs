//! Services, after `ValidateService` in `k8s.io/kubernetes/pkg/apis/core/validation` and the create-time checks of the
//! Service REST storage that run before it.
//!
//! On create, kube-apiserver first allocates (`BeginCreate`: cluster IPs, then node ports) and only then validates.
//! The allocator refuses some inputs on its own, and its refusal is the whole answer: malformed `clusterIPs` are
//! reported alone, and so is a `nodePort` outside `--service-node-port-range`. [`service`] keeps that order, so a
//! Service with both a bad cluster IP and a missing port gets the same single error as from a real cluster.
//! Allocation itself (choosing free IPs and ports) is not done here.

use std::collections::HashSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::content::{self, NameUse};
use super::field::{ErrorList, Path, Raw, go};
use super::meta::{self, NameFormat};
use super::{ValidationConfig, net};

/// `supportedPortProtocols`, sorted as `sets.List` returns them.
pub(crate) const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

/// Validates a defaulted Service as a create request would.
pub(crate) fn service(service: &Service, config: &ValidationConfig, errors: &mut ErrorList) {
    let default_spec = ServiceSpec::default();
    let spec = service.spec.as_ref().unwrap_or(&default_spec);
    let type_ = spec.type_.as_deref().unwrap_or_default();

    // The allocator runs first and answers alone.
    if type_ != "ExternalName" {
        cluster_ips_related_fields(spec, errors);
        if errors.len() == 0 {
            family_policy(spec, errors);
        }
        if errors.len() > 0 {
            return;
        }
    }
    if matches!(type_, "NodePort" | "LoadBalancer") && !node_ports_allocate(spec, type_, config, errors) {
        return;
    }

    meta::object_meta(&service.metadata, true, NameFormat::Dns1035Label, errors);
    validate_spec(spec, type_, errors);
}

fn validate_spec(spec: &ServiceSpec, type_: &str, errors: &mut ErrorList) {
    let path = Path::root("spec");
    let ports = spec.ports.as_deref().unwrap_or_default();
    let cluster_ips = spec.cluster_ips.as_deref().unwrap_or_default();
    let headless = is_headless(spec);

    if ports.is_empty() && !headless && type_ != "ExternalName" {
        errors.required(&path.child("ports"), "");
    }
    match type_ {
        "LoadBalancer" | "NodePort" if headless => errors.invalid(
            &path.child("clusterIPs").index(0),
            "None",
            &format!("may not be set to 'None' for {type_} services"),
        ),
        "ExternalName" => {
            let forbidden = "may not be set for ExternalName services";
            if !cluster_ips.is_empty() {
                errors.forbidden(&path.child("clusterIPs"), forbidden);
            }
            if spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()) {
                errors.forbidden(&path.child("ipFamilies"), forbidden);
            }
            if spec.ip_family_policy.is_some() {
                errors.forbidden(&path.child("ipFamilyPolicy"), forbidden);
            }
            // The value is a CNAME target and may end with the root dot.
            let external_name = spec.external_name.as_deref().unwrap_or_default();
            let cname = external_name.strip_suffix('.').unwrap_or(external_name);
            if cname.is_empty() {
                errors.required(&path.child("externalName"), "");
            } else {
                errors.invalid_each(&path.child("externalName"), cname, content::dns1123_subdomain(cname));
            }
        }
        _ => {}
    }

    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        service_port(port, ports.len() > 1, &mut names, &path.child("ports").index(i), errors);
    }

    meta::labels(spec.selector.as_ref(), &path.child("selector"), errors);

    match spec.session_affinity.as_deref().unwrap_or_default() {
        "" => errors.required(&path.child("sessionAffinity"), ""),
        "ClientIP" => client_ip_affinity(spec, &path.child("sessionAffinityConfig"), errors),
        "None" => {
            if spec.session_affinity_config.is_some() {
                errors.forbidden(&path.child("sessionAffinityConfig"), "must not be set when session affinity is None");
            }
        }
        other => errors.not_supported(&path.child("sessionAffinity"), other, &["ClientIP", "None"]),
    }

    // Validated again after allocation; nothing new can be found at this point, but the call order is kept.
    if type_ != "ExternalName" {
        cluster_ips_related_fields(spec, errors);
    }

    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        let path = path.child("externalIPs").index(i);
        match net::parse_ip(ip) {
            None => errors.invalid(&path, ip, IP_MESSAGE),
            Some(parsed) => non_special_ip(ip, parsed, &path, errors),
        }
    }

    match type_ {
        "" => errors.required(&path.child("type"), ""),
        "ClusterIP" | "ExternalName" | "LoadBalancer" | "NodePort" => {}
        other => {
            errors.not_supported(&path.child("type"), other, &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])
        }
    }

    if type_ == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if port.node_port.unwrap_or_default() != 0 {
                errors.forbidden(
                    &path.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                );
            }
        }
    }
    duplicate_ports(ports, &path, errors);
    load_balancer_fields(spec, type_, &path, errors);
    traffic_policies(spec, type_, &path, errors);
}

/// `validateServicePort`. Service port names are DNS-1123 labels, not IANA service names (those are for container
/// ports), and a name is required as soon as there is more than one port.
fn service_port(
    port: &ServicePort,
    require_name: bool,
    names: &mut HashSet<String>,
    path: &Path,
    errors: &mut ErrorList,
) {
    let name = port.name.as_deref().unwrap_or_default();
    if require_name && name.is_empty() {
        errors.required(&path.child("name"), "");
    } else if !name.is_empty() {
        errors.invalid_each(&path.child("name"), name, content::dns1123_label(name));
        if !names.insert(name.to_owned()) {
            errors.duplicate(&path.child("name"), name);
        }
    }
    errors_for_port_num(port.port, &path.child("port"), errors);
    match port.protocol.as_deref().unwrap_or_default() {
        "" => errors.required(&path.child("protocol"), ""),
        p if PROTOCOLS.contains(&p) => {}
        p => errors.not_supported(&path.child("protocol"), p, &PROTOCOLS),
    }
    port_num_or_name(port.target_port.as_ref().unwrap_or(&IntOrString::Int(0)), &path.child("targetPort"), errors);
    if let Some(app_protocol) = &port.app_protocol {
        errors.invalid_each(&path.child("appProtocol"), app_protocol, content::qualified_name(app_protocol));
    }
}

fn errors_for_port_num(port: i32, path: &Path, errors: &mut ErrorList) {
    for message in content::port_num(i64::from(port)) {
        errors.invalid(path, port, &message);
    }
}

/// `ValidatePortNumOrName`: a number in range, or an IANA service name.
pub(crate) fn port_num_or_name(port: &IntOrString, path: &Path, errors: &mut ErrorList) {
    match port {
        IntOrString::Int(number) => errors_for_port_num(*number, path, errors),
        IntOrString::String(name) => errors.invalid_each(path, name, content::port_name(name)),
    }
}

/// `validateClientIPAffinityConfig`.
fn client_ip_affinity(spec: &ServiceSpec, path: &Path, errors: &mut ErrorList) {
    let detail = "when session affinity type is ClientIP";
    let Some(config) = &spec.session_affinity_config else {
        return errors.required(path, detail);
    };
    let Some(client_ip) = &config.client_ip else {
        return errors.required(&path.child("clientIP"), detail);
    };
    let path = path.child("clientIP").child("timeoutSeconds");
    match client_ip.timeout_seconds {
        None => errors.required(&path, detail),
        Some(timeout) if !(1..=86400).contains(&timeout) => {
            errors.invalid(&path, timeout, "must be greater than 0 and less than 86400")
        }
        Some(_) => {}
    }
}

/// The message of `IsValidIP`, used for every IP-address field.
pub(crate) const IP_MESSAGE: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

/// `ValidateNonSpecialIP`: addresses that make no sense as endpoints or external IPs.
pub(crate) fn non_special_ip(value: &str, ip: IpAddr, path: &Path, errors: &mut ErrorList) {
    // Go treats IPv4-mapped IPv6 addresses as IPv4 for these tests.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_unspecified() {
        errors.invalid(path, value, &format!("may not be unspecified ({value})"));
    }
    if ip.is_loopback() {
        errors.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
    }
    let (link_local, link_local_multicast) = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            (v4.is_link_local(), o[0] == 224 && o[1] == 0 && o[2] == 0)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            (s[0] & 0xffc0 == 0xfe80, s[0] & 0xff0f == 0xff02)
        }
    };
    if link_local {
        errors.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    }
    if link_local_multicast {
        errors.invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
    }
}

fn is_headless(spec: &ServiceSpec) -> bool {
    matches!(spec.cluster_ips.as_deref(), Some([only]) if only == "None")
}

/// `ValidateServiceClusterIPsRelatedFields`: `clusterIP` and `clusterIPs` agree, are IPs (or `None` alone), at
/// most one per family, and match `ipFamilies`.
fn cluster_ips_related_fields(spec: &ServiceSpec, errors: &mut ErrorList) {
    let path = Path::root("spec");
    let ips_path = path.child("clusterIPs");
    let cluster_ip = spec.cluster_ip.as_deref().unwrap_or_default();
    let cluster_ips = spec.cluster_ips.as_deref().unwrap_or_default();
    let ips_value = || Raw(go::string_slice("string", spec.cluster_ips.as_deref()));

    if !cluster_ip.is_empty() {
        match cluster_ips.first() {
            None => errors.required(&ips_path, ""),
            Some(first) if first != cluster_ip => {
                errors.invalid(&ips_path, ips_value(), "first value must match `clusterIP`")
            }
            Some(_) => {}
        }
    } else if !cluster_ips.is_empty() {
        errors.invalid(&ips_path, ips_value(), "must be empty when `clusterIP` is not specified");
    }

    let families = spec.ip_families.as_deref().unwrap_or_default();
    let mut seen = HashSet::new();
    for (i, family) in families.iter().enumerate() {
        let path = path.child("ipFamilies").index(i);
        if !matches!(family.as_str(), "IPv4" | "IPv6") {
            errors.not_supported(&path, family, &["IPv4", "IPv6"]);
        }
        if !seen.insert(family) {
            errors.duplicate(&path, family);
        }
    }
    let policy = spec.ip_family_policy.as_deref().unwrap_or("SingleStack");
    if !matches!(policy, "SingleStack" | "PreferDualStack" | "RequireDualStack") {
        errors.not_supported(
            &path.child("ipFamilyPolicy"),
            policy,
            &["PreferDualStack", "RequireDualStack", "SingleStack"],
        );
    }

    let mut invalid = false;
    let mut parsed = Vec::new();
    for (i, ip) in cluster_ips.iter().enumerate() {
        if i == 0 && ip == "None" {
            if cluster_ips.len() > 1 {
                invalid = true;
                errors.invalid(&ips_path, ips_value(), "'None' must be the first and only value");
            }
            continue;
        }
        match net::parse_ip(ip) {
            Some(addr) => parsed.push(addr),
            None => {
                invalid = true;
                errors.invalid(&ips_path.index(i), ip, IP_MESSAGE);
            }
        }
    }
    if cluster_ips.len() > 2 {
        errors.invalid(&ips_path, ips_value(), "may only hold up to 2 values");
    }
    if invalid {
        return;
    }
    // `IsDualStackIPStrings`: several IPs must include both families.
    let dual_stack = parsed.iter().any(IpAddr::is_ipv4) && parsed.iter().any(IpAddr::is_ipv6);
    if parsed.len() > 1 && !dual_stack {
        errors.invalid(&ips_path, ips_value(), "may specify no more than one IP for each IP family");
    }
    if !is_headless(spec) {
        let typed = cluster_ips.iter().zip(&parsed).zip(families);
        for (i, ((text, ip), family)) in typed.enumerate() {
            let expected = match (family.as_str(), ip) {
                ("IPv4", IpAddr::V6(_)) => "IPv4",
                ("IPv6", IpAddr::V4(_)) => "IPv6",
                _ => continue,
            };
            errors.invalid(
                &ips_path.index(i),
                text,
                &format!("expected an {expected} value as indicated by `ipFamilies[{i}]`"),
            );
        }
    }
}

/// The allocator's check that a single-stack policy (the default) is not given two IPs or two families.
fn family_policy(spec: &ServiceSpec, errors: &mut ErrorList) {
    if spec.ip_family_policy.as_deref() != Some("SingleStack") {
        return;
    }
    let path = Path::root("spec").child("ipFamilyPolicy");
    if spec.cluster_ips.as_ref().is_some_and(|ips| ips.len() == 2) {
        errors.invalid(
            &path,
            "SingleStack",
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
        );
    }
    if spec.ip_families.as_ref().is_some_and(|f| f.len() == 2) {
        errors.invalid(
            &path,
            "SingleStack",
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        );
    }
}

/// The node-port allocator (`initNodePorts`) for the ports that ask for a specific node port: each must be in
/// `--service-node-port-range` and not taken by another port of the same Service (ports with the same number,
/// say TCP and UDP 53, share one). Returns false when it refused the Service, with the first port it could not
/// allocate, which is all the allocator reports.
fn node_ports_allocate(spec: &ServiceSpec, type_: &str, config: &ValidationConfig, errors: &mut ErrorList) -> bool {
    let ports = spec.ports.as_deref().unwrap_or_default();
    let allocate_all = type_ == "NodePort" || spec.allocate_load_balancer_node_ports == Some(true);
    let range = &config.node_port_range;
    let mut by_port: std::collections::HashMap<i32, i32> = Default::default();
    let mut taken = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let node_port = port.node_port.unwrap_or_default();
        if node_port == 0 && !allocate_all {
            continue;
        }
        let requested = match by_port.get(&port.port) {
            Some(&done) if node_port == 0 || node_port == done => continue,
            Some(_) => node_port,
            None => {
                // The first node port asked for by any port with this number.
                let asked = ports.iter().filter(|p| p.port == port.port).find_map(|p| p.node_port.filter(|n| *n != 0));
                match asked {
                    Some(asked) => asked,
                    None => {
                        // Any free port would do; nothing can fail here offline.
                        by_port.insert(port.port, 0);
                        continue;
                    }
                }
            }
        };
        let problem = if !u16::try_from(requested).is_ok_and(|p| range.contains(&p)) {
            Some(format!(
                "provided port is not in the valid range. The range of valid ports is {}-{}",
                range.start(),
                range.end()
            ))
        } else if !taken.insert(requested) {
            Some("provided port is already allocated".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            let path = Path::root("spec").child("ports").index(i).child("nodePort");
            errors.invalid(&path, requested, &problem);
            return false;
        }
        by_port.entry(port.port).or_insert(requested);
    }
    true
}

/// Duplicate node ports and duplicate `port`/`protocol` pairs.
fn duplicate_ports(ports: &[ServicePort], path: &Path, errors: &mut ErrorList) {
    let mut node_ports = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let node_port = port.node_port.unwrap_or_default();
        if node_port != 0 && !node_ports.insert((port.protocol.clone(), node_port)) {
            errors.duplicate(&path.child("ports").index(i).child("nodePort"), node_port);
        }
    }
    let mut seen = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let protocol = port.protocol.as_deref().unwrap_or_default();
        if !seen.insert((protocol, port.port)) {
            // The key is an internal `core.ServicePort` holding only the protocol and port, printed with `%#v`.
            errors.duplicate(
                &path.child("ports").index(i),
                Raw(format!(
                    "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{}, \
                     TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                    go::quote(protocol),
                    port.port
                )),
            );
        }
    }
}

/// `loadBalancerSourceRanges`, `allocateLoadBalancerNodePorts` and `loadBalancerClass`, all LoadBalancer-only.
fn load_balancer_fields(spec: &ServiceSpec, type_: &str, path: &Path, errors: &mut ErrorList) {
    let lb_only = "may only be used when `type` is 'LoadBalancer'";
    let ranges = spec.load_balancer_source_ranges.as_deref().unwrap_or_default();
    if !ranges.is_empty() {
        // The capital L is kube-apiserver's, kept for compatibility since the field moved from an annotation.
        let ranges_path = path.child("LoadBalancerSourceRanges");
        if type_ != "LoadBalancer" {
            errors.forbidden(&ranges_path, lb_only);
        }
        for (i, range) in ranges.iter().enumerate() {
            // Historically these may be space-padded.
            let range = range.trim();
            if net::parse_cidr(range).is_none() {
                errors.invalid(&ranges_path.index(i), range, CIDR_MESSAGE);
            }
        }
    }
    if spec.allocate_load_balancer_node_ports.is_some() && type_ != "LoadBalancer" {
        errors.forbidden(&path.child("allocateLoadBalancerNodePorts"), lb_only);
    }
    if type_ == "LoadBalancer" && spec.allocate_load_balancer_node_ports.is_none() {
        errors.required(&Path::root("allocateLoadBalancerNodePorts"), "");
    }
    if let Some(class) = &spec.load_balancer_class {
        if type_ == "LoadBalancer" {
            errors.invalid_each(&path.child("loadBalancerClass"), class, content::qualified_name(class));
        } else {
            errors.forbidden(&path.child("loadBalancerClass"), lb_only);
        }
    }
}

/// The message of `IsValidCIDR`.
pub(crate) const CIDR_MESSAGE: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// `externalTrafficPolicy`, `healthCheckNodePort`, `internalTrafficPolicy` and `trafficDistribution`.
fn traffic_policies(spec: &ServiceSpec, type_: &str, path: &Path, errors: &mut ErrorList) {
    let external_ips = spec.external_ips.as_ref().is_some_and(|ips| !ips.is_empty());
    let externally_accessible = matches!(type_, "LoadBalancer" | "NodePort") || (type_ == "ClusterIP" && external_ips);
    let external_policy = spec.external_traffic_policy.as_deref().unwrap_or_default();
    let policy_path = path.child("externalTrafficPolicy");
    if !externally_accessible {
        if !external_policy.is_empty() {
            errors.invalid(&policy_path, external_policy, "may only be set for externally-accessible services");
        }
    } else {
        match external_policy {
            "" => errors.required(&policy_path, ""),
            "Cluster" | "Local" => {}
            other => errors.not_supported(&policy_path, other, &["Cluster", "Local"]),
        }
    }
    // A LoadBalancer with the Local policy gets a health-check port from the allocator when it has none; any other
    // Service may not set one.
    let needs_health_check = type_ == "LoadBalancer" && external_policy == "Local";
    let health_check_port = spec.health_check_node_port.unwrap_or_default();
    if !needs_health_check && health_check_port != 0 {
        errors.invalid(
            &path.child("healthCheckNodePort"),
            health_check_port,
            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        );
    } else if needs_health_check && health_check_port != 0 {
        errors_for_port_num(health_check_port, &path.child("healthCheckNodePort"), errors);
    }

    let internal_path = path.child("internalTrafficPolicy");
    match spec.internal_traffic_policy.as_deref() {
        None if matches!(type_, "NodePort" | "LoadBalancer" | "ClusterIP") => errors.required(&internal_path, ""),
        None | Some("Cluster" | "Local") => {}
        Some(other) => errors.not_supported(&internal_path, other, &["Cluster", "Local"]),
    }
    match spec.traffic_distribution.as_deref() {
        None | Some("PreferClose") => {}
        Some(other) => errors.not_supported(&path.child("trafficDistribution"), other, &["PreferClose"]),
    }
}

/// Whether `name` is a valid Service name, for other objects that refer to Services.
pub(crate) fn service_name_errors(name: &str) -> Vec<String> {
    content::name_is_dns1035_label(name, NameUse::Name)
}
