//! `knet explain`: the whole chain from one pod to a target — name resolution as the pod would do it, Service port →
//! targetPort → endpoints, the source's egress policies, the destination's ingress policies — with the reason at
//! each step and, for a denial, the rule that would allow it.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use knet_model::ip::IpRange;
use knet_model::policy::{Direction, DirectionVerdict, FlowVerdict, Remote, judge, judge_pods};
use knet_model::ports::Protocol;
use knet_model::service::{Endpoint, PortResolution, Service};
use knet_model::{Cluster, PodId};

/// What the user asked to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `NS/NAME`: a pod or workload.
    Pod {
        namespace: String,
        name: String,
    },
    /// A DNS name, resolved from the source pod (`backend-service`, `backend-service.microservices`, an FQDN).
    Name(String),
    Ip(IpAddr),
}

/// `--to` parsed: the target and the optional `:PORT[/PROTO]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub target: Target,
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
}

/// Why a `--from` or `--to` argument is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("--to {0:?}: expected NS/NAME, a service name or an IP, optionally followed by :PORT or :PORT/PROTOCOL")]
    BadTarget(String),
    #[error("--from {0:?}: expected NS/NAME of a pod or workload")]
    BadSource(String),
    #[error("--from {namespace}/{name}: no pod or workload of that name in the input")]
    UnknownSource { namespace: String, name: String },
    #[error("--to {namespace}/{name}: no pod or workload of that name in the input")]
    UnknownTarget { namespace: String, name: String },
}

impl Request {
    /// Parses `--to`: `ns/name`, `name`, `name.ns.svc.cluster.local`, `10.0.0.1`, each with `:80` or `:80/UDP`.
    pub fn parse(text: &str) -> Result<Request, ExplainError> {
        let bad = || ExplainError::BadTarget(text.to_owned());
        let (target, port_part) = match text.parse::<IpAddr>() {
            Ok(_) => (text, None),
            Err(_) => match text.rsplit_once(':') {
                Some((target, port)) => (target, Some(port)),
                None => (text, None),
            },
        };
        let (port, protocol) = match port_part {
            None => (None, None),
            Some(part) => {
                let (number, protocol) = match part.split_once('/') {
                    Some((number, protocol)) => {
                        let protocol = protocol.to_ascii_uppercase().parse::<Protocol>().map_err(|()| bad())?;
                        (number, Some(protocol))
                    }
                    None => (part, None),
                };
                let number = number.parse::<u16>().ok().filter(|&n| n > 0).ok_or_else(bad)?;
                (Some(number), protocol)
            }
        };
        if target.is_empty() {
            return Err(bad());
        }
        let target = if let Ok(ip) = target.parse::<IpAddr>() {
            Target::Ip(ip)
        } else if let Some((namespace, name)) = target.split_once('/') {
            if namespace.is_empty() || name.is_empty() || name.contains('/') {
                return Err(bad());
            }
            Target::Pod { namespace: namespace.to_owned(), name: name.to_owned() }
        } else {
            Target::Name(target.trim_end_matches('.').to_owned())
        };
        Ok(Request { target, port, protocol })
    }
}

/// One step of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub ok: bool,
    pub lines: Vec<String>,
}

/// The chain, its verdict, and fixes for what it denies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub summary: String,
    pub steps: Vec<Step>,
    pub allowed: bool,
    /// NetworkPolicy manifests that would allow what was denied.
    pub fixes: Vec<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        for (index, step) in self.steps.iter().enumerate() {
            let mark = if step.ok { "ok" } else { "BLOCKED" };
            writeln!(f, "\n{}. {} [{mark}]", index + 1, step.title)?;
            for line in &step.lines {
                writeln!(f, "   {line}")?;
            }
        }
        let verdict = if self.allowed { "ALLOWED" } else { "DENIED" };
        writeln!(f, "\nverdict: {verdict}")?;
        for fix in &self.fixes {
            writeln!(f, "\nTo allow it, add:\n---\n{fix}")?;
        }
        Ok(())
    }
}

/// Where a flow starts: a pod of the cluster, or a client outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Pod(PodId),
    External(IpAddr),
}

/// Resolves `--from`: `NS/NAME` of a pod or workload, or an IP address outside the cluster.
pub fn find_source(cluster: &Cluster, from: &str) -> Result<Source, ExplainError> {
    if let Ok(ip) = from.parse::<IpAddr>() {
        return Ok(match cluster.pod_by_ip(ip) {
            Some((pod, _)) => Source::Pod(pod),
            None => Source::External(ip),
        });
    }
    let (namespace, name) = from
        .split_once('/')
        .filter(|(ns, name)| !ns.is_empty() && !name.is_empty())
        .ok_or_else(|| ExplainError::BadSource(from.to_owned()))?;
    cluster
        .find_pod(namespace, name)
        .map(Source::Pod)
        .ok_or_else(|| ExplainError::UnknownSource { namespace: namespace.to_owned(), name: name.to_owned() })
}

/// Explains a flow from `source` to the requested target.
pub fn explain(cluster: &Cluster, source: Source, request: &Request) -> Result<Explanation, ExplainError> {
    match source {
        Source::Pod(pod) => explain_from_pod(cluster, pod, request),
        Source::External(ip) => explain_from_external(cluster, ip, request),
    }
}

fn explain_from_pod(cluster: &Cluster, source: PodId, request: &Request) -> Result<Explanation, ExplainError> {
    let pod = cluster.pod(source);
    let mut explanation = Explanation { summary: String::new(), steps: Vec::new(), allowed: true, fixes: Vec::new() };
    let ip = match &request.target {
        Target::Pod { namespace, name } => {
            let destination = cluster
                .find_pod(namespace, name)
                .ok_or_else(|| ExplainError::UnknownTarget { namespace: namespace.clone(), name: name.clone() })?;
            explanation.summary = format!("{} -> {}", pod.peer_name(), cluster.pod(destination).peer_name());
            explain_to_pod(cluster, source, destination, request, &mut explanation);
            return Ok(explanation);
        }
        Target::Ip(ip) => *ip,
        Target::Name(name) => {
            let step = resolve_step(cluster, source, name);
            explanation.steps.extend(step.dns_traffic);
            let ok = step.step.ok;
            explanation.steps.push(step.step);
            match (ok, step.address) {
                (true, Some(ip)) => ip,
                _ => {
                    explanation.summary = format!("{} -> {name}", pod.peer_name());
                    explanation.allowed = false;
                    return Ok(explanation);
                }
            }
        }
    };
    let target_label = match &request.target {
        Target::Name(name) => format!("{name} ({ip})"),
        _ => ip.to_string(),
    };
    explanation.summary = format!("{} -> {target_label}{}", pod.peer_name(), port_suffix(request));
    if let Some(service) =
        cluster.services.iter().find(|s| s.cluster_ip == Some(ip) || s.load_balancer_ips.contains(&ip))
    {
        explain_via_service(cluster, source, service, request, &mut explanation);
    } else if let Some((destination, _)) = cluster.pod_by_ip(ip) {
        explain_to_pod(cluster, source, destination, request, &mut explanation);
    } else {
        explain_to_external(cluster, source, ip, request, &mut explanation);
    }
    Ok(explanation)
}

fn port_suffix(request: &Request) -> String {
    match (request.port, request.protocol) {
        (Some(port), Some(protocol)) => format!(":{port}/{protocol}"),
        (Some(port), None) => format!(":{port}"),
        _ => String::new(),
    }
}

/// The outcome of resolving a name from the source pod.
struct Resolved {
    dns_traffic: Vec<Step>,
    step: Step,
    address: Option<IpAddr>,
}

/// Resolves a name from the source pod through the model's resolver, and checks that the DNS query itself may leave
/// the pod and reach the cluster DNS pods (a default-deny egress policy breaks every name, not just external ones).
fn resolve_step(cluster: &Cluster, source: PodId, name: &str) -> Resolved {
    let pod = cluster.pod(source);
    let resolution = match knet_model::resolv::resolve(cluster, pod, name, knet_model::dns::RecordType::A) {
        Ok(resolution) => resolution,
        Err(error) => {
            return Resolved {
                dns_traffic: Vec::new(),
                step: Step {
                    title: format!("resolve {name:?} from {}", pod.peer_name()),
                    ok: false,
                    lines: vec![format!("the pod has no usable resolv.conf: {error}")],
                },
                address: None,
            };
        }
    };
    let mut dns_traffic = Vec::new();
    let nameserver = resolution.conf.nameservers.first().copied();
    if let Some(dns_service) = nameserver.and_then(|ns| cluster.services.iter().find(|s| s.cluster_ip == Some(ns))) {
        let mut lines = Vec::new();
        let mut ok = true;
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            let Some(port) = dns_service.find_port(Some(53), None, Some(protocol)) else {
                continue;
            };
            for endpoint in distinct_pods(dns_service.serving_endpoints(cluster, port)) {
                let Some(dns_pod) = endpoint.pod else {
                    continue;
                };
                let verdict = judge_pods(cluster, source, dns_pod, protocol, endpoint.port);
                let allowed = verdict.allowed();
                // Resolvers use UDP first and fall back to TCP for large answers: UDP is what every lookup needs.
                if protocol == Protocol::Udp {
                    ok &= allowed;
                }
                lines.push(format!(
                    "{protocol} 53 to {} ({}): {}",
                    dns_service.qualified_name(),
                    cluster.pod(dns_pod).peer_name(),
                    if allowed {
                        "allowed".to_owned()
                    } else {
                        format!("blocked: {}", first_reason(cluster, &verdict))
                    }
                ));
            }
        }
        dns_traffic.push(Step { title: format!("DNS traffic from {} to the cluster DNS", pod.peer_name()), ok, lines });
    }
    let mut lines: Vec<String> = resolution.to_string().lines().map(str::to_owned).collect();
    let address = resolution.answer.as_ref().and_then(|answer| {
        answer.answers.iter().find_map(|record| match &record.data {
            knet_model::dns::RecordData::A(ip) => Some(IpAddr::V4(*ip)),
            _ => None,
        })
    });
    let dns_ok = dns_traffic.iter().all(|s| s.ok);
    if address.is_none() {
        if resolution.depends_on_upstream() {
            lines.push(format!("{name} is answered outside the cluster: knet cannot know the address offline; pass --to IP:PORT to judge the flow"));
        } else {
            lines.push(format!("{name} does not resolve from this pod"));
        }
    }
    Resolved {
        step: Step {
            title: format!("resolve {name:?} from {}", pod.peer_name()),
            ok: address.is_some() && dns_ok,
            lines,
        },
        dns_traffic,
        address,
    }
}

/// One endpoint per workload: replicas of a workload share every verdict.
fn distinct_pods(endpoints: Vec<Endpoint>) -> Vec<Endpoint> {
    let mut seen = Vec::new();
    endpoints
        .into_iter()
        .filter(|e| {
            let key = (e.pod, e.port);
            let new = !seen.contains(&key);
            seen.push(key);
            new
        })
        .collect()
}

fn explain_via_service(
    cluster: &Cluster,
    source: PodId,
    service: &Service,
    request: &Request,
    explanation: &mut Explanation,
) {
    let mut lines = vec![format!(
        "{} {} {} selector {}",
        service.service_type.as_str(),
        service.qualified_name(),
        service.cluster_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        service.selector.as_ref().map_or_else(|| "<none> (endpoints managed by hand)".to_owned(), ToString::to_string)
    )];
    let ports: Vec<_> = service
        .ports
        .iter()
        .filter(|p| {
            request.port.is_none_or(|n| p.port == n) && request.protocol.is_none_or(|proto| p.protocol == proto)
        })
        .collect();
    if ports.is_empty() {
        let offered: Vec<String> = service.ports.iter().map(|p| format!("{}/{}", p.port, p.protocol)).collect();
        lines.push(format!(
            "the Service has no port {}; it offers {} — the connection is rejected",
            port_suffix(request).trim_start_matches(':'),
            if offered.is_empty() { "none".to_owned() } else { offered.join(", ") }
        ));
        explanation.steps.push(Step { title: format!("Service {}", service.qualified_name()), ok: false, lines });
        explanation.allowed = false;
        return;
    }
    let mut any_endpoint = false;
    let mut flows = Vec::new();
    for port in ports {
        lines.push(format!("port {}/{} -> targetPort {}", port.port, port.protocol, port.target));
        for id in service.selected_pods(cluster) {
            let name = cluster.pod(id).peer_name();
            match service.resolve_target(cluster, port, id) {
                PortResolution::Resolved { port: target, declared } => {
                    let note = if declared {
                        String::new()
                    } else {
                        format!(" (no container declares {target}/{})", port.protocol)
                    };
                    lines.push(format!(
                        "  endpoint {name}:{target}{note}{}",
                        if cluster.pod(id).ready { "" } else { " (not ready: not serving)" }
                    ));
                    if let Some(listener) = own_program_note(cluster, id, target) {
                        lines.push(format!("    {listener}"));
                    }
                    if cluster.pod(id).ready || service.publish_not_ready_addresses {
                        any_endpoint = true;
                        flows.push((id, port.protocol, target));
                    }
                }
                PortResolution::UnknownName => {
                    lines.push(format!(
                        "  {name}: targetPort {:?} names no container port, so the pod is not an endpoint",
                        port.target.to_string()
                    ));
                }
            }
        }
    }
    if service.selector.is_none() {
        for port in &service.ports {
            for endpoint in service.serving_endpoints(cluster, port) {
                lines.push(format!("  endpoint {}:{} (from Endpoints/EndpointSlice)", endpoint.ip, endpoint.port));
                any_endpoint = true;
                if let Some(pod) = endpoint.pod {
                    flows.push((pod, port.protocol, endpoint.port));
                }
            }
        }
    }
    if !any_endpoint {
        lines.push("no ready endpoint: kube-proxy rejects the connection".to_owned());
    }
    explanation.steps.push(Step {
        title: format!("Service {} (DNAT to an endpoint)", service.qualified_name()),
        ok: any_endpoint,
        lines,
    });
    explanation.allowed &= any_endpoint;
    flows.dedup();
    for (destination, protocol, port) in flows {
        explain_flow(cluster, source, destination, protocol, port, explanation);
    }
}

/// When the container declaring a port runs its own program, knet does not serve that port for it: say so, since
/// a policy verdict of "allowed" then still ends in "connection refused" if the program does not listen.
fn own_program_note(cluster: &Cluster, pod: PodId, port: u16) -> Option<String> {
    let pod = cluster.pod(pod);
    let container =
        pod.containers.iter().find(|c| c.ports.iter().any(|p| p.port == port)).or_else(|| pod.containers.first())?;
    let command = container.command.as_ref()?;
    Some(format!(
        "container {:?} runs its own program ({}): it must listen on {port} itself, or the connection is refused",
        container.name,
        command.join(" ")
    ))
}

fn explain_to_pod(
    cluster: &Cluster,
    source: PodId,
    destination: PodId,
    request: &Request,
    explanation: &mut Explanation,
) {
    let pod = cluster.pod(destination);
    let ports: Vec<(Protocol, u16)> = match request.port {
        Some(port) => vec![(request.protocol.unwrap_or(Protocol::Tcp), port)],
        None => {
            let mut declared: Vec<(Protocol, u16)> = pod.ports().map(|p| (p.protocol, p.port)).collect();
            declared.sort();
            declared.dedup();
            declared
        }
    };
    if ports.is_empty() {
        explanation.steps.push(Step {
            title: format!("ports of {}", pod.peer_name()),
            ok: false,
            lines: vec!["no port given and the destination declares none: add :PORT to --to".to_owned()],
        });
        explanation.allowed = false;
    }
    for (protocol, port) in ports {
        explain_flow(cluster, source, destination, protocol, port, explanation);
    }
}

fn explain_flow(
    cluster: &Cluster,
    source: PodId,
    destination: PodId,
    protocol: Protocol,
    port: u16,
    explanation: &mut Explanation,
) {
    let verdict = judge_pods(cluster, source, destination, protocol, port);
    let flow =
        format!("{} -> {} {protocol} {port}", cluster.pod(source).peer_name(), cluster.pod(destination).peer_name());
    for half in [&verdict.egress, &verdict.ingress] {
        let (local, remote) = match half.direction {
            Direction::Egress => (source, destination),
            Direction::Ingress => (destination, source),
        };
        explanation.steps.push(direction_step(cluster, half, local, &flow));
        if !half.allowed {
            explanation.fixes.push(fix_policy(cluster, half.direction, local, remote, protocol, port));
        }
    }
    explanation.allowed &= verdict.allowed();
}

/// A client outside the cluster: it reaches pods through a LoadBalancer address or a NodePort (kube-proxy DNATs to
/// an endpoint), or a pod address directly; only the destination's ingress policies judge it.
fn explain_from_external(cluster: &Cluster, client: IpAddr, request: &Request) -> Result<Explanation, ExplainError> {
    let mut explanation = Explanation { summary: String::new(), steps: Vec::new(), allowed: true, fixes: Vec::new() };
    let service = match &request.target {
        Target::Name(name) => {
            explanation.summary = format!("{client} -> {name}");
            explanation.steps.push(Step {
                title: format!("resolve {name:?} from outside the cluster"),
                ok: false,
                lines: vec![
                    "a client outside the cluster does not use the cluster DNS: give the Service as NS/NAME (its NodePort or LoadBalancer address is used) or an IP".to_owned(),
                ],
            });
            explanation.allowed = false;
            return Ok(explanation);
        }
        Target::Pod { namespace, name } => match cluster.find_pod(namespace, name) {
            Some(pod) => {
                explanation.summary = format!("{client} -> {}", cluster.pod(pod).peer_name());
                external_to_pods(
                    cluster,
                    client,
                    &[(pod, request.protocol.unwrap_or(Protocol::Tcp), request.port)],
                    &mut explanation,
                );
                return Ok(explanation);
            }
            None => cluster
                .find_service(namespace, name)
                .ok_or_else(|| ExplainError::UnknownTarget { namespace: namespace.clone(), name: name.clone() })?,
        },
        Target::Ip(ip) => {
            if let Some((pod, _)) = cluster.pod_by_ip(*ip) {
                explanation.summary = format!("{client} -> {}", cluster.pod(pod).peer_name());
                external_to_pods(
                    cluster,
                    client,
                    &[(pod, request.protocol.unwrap_or(Protocol::Tcp), request.port)],
                    &mut explanation,
                );
                return Ok(explanation);
            }
            match cluster.services.iter().find(|s| s.load_balancer_ips.contains(ip) || s.cluster_ip == Some(*ip)) {
                Some(service) => service,
                None => {
                    explanation.summary = format!("{client} -> {ip}");
                    explanation.steps.push(Step {
                        title: format!("{ip}"),
                        ok: false,
                        lines: vec![format!(
                            "{ip} is neither a pod, a LoadBalancer address nor a Service of the cluster"
                        )],
                    });
                    explanation.allowed = false;
                    return Ok(explanation);
                }
            }
        }
    };
    explanation.summary = format!("{client} -> service {}{}", service.qualified_name(), port_suffix(request));
    let mut lines = Vec::new();
    let mut ok = true;
    if !service.exposes_node_ports() {
        lines.push(format!(
            "{} is a {} Service: its address is only reachable inside the cluster; use NodePort, LoadBalancer or an Ingress to expose it",
            service.qualified_name(),
            service.service_type.as_str()
        ));
        ok = false;
    } else if !service.load_balancer_source_ranges.is_empty() {
        let admitted = service.load_balancer_source_ranges.iter().any(|c| c.range().contains(client));
        let ranges: Vec<String> = service.load_balancer_source_ranges.iter().map(ToString::to_string).collect();
        lines.push(format!(
            "loadBalancerSourceRanges {}: {client} is {} (the NodePort itself is not filtered by them)",
            ranges.join(", "),
            if admitted { "admitted" } else { "refused at the load balancer" }
        ));
        ok = admitted;
    }
    let mut flows = Vec::new();
    for port in service.ports.iter().filter(|p| {
        request.port.is_none_or(|n| p.port == n || p.node_port == Some(n))
            && request.protocol.is_none_or(|proto| p.protocol == proto)
    }) {
        let entry = match port.node_port {
            Some(node_port) => format!("port {}/{} (nodePort {node_port})", port.port, port.protocol),
            None => format!("port {}/{}", port.port, port.protocol),
        };
        let endpoints = distinct_pods(service.serving_endpoints(cluster, port));
        if endpoints.is_empty() {
            lines.push(format!("{entry}: no ready endpoint, the connection is rejected"));
            ok = false;
        }
        for endpoint in endpoints {
            if let Some(pod) = endpoint.pod {
                lines.push(format!("{entry} -> {}:{}", cluster.pod(pod).peer_name(), endpoint.port));
                flows.push((pod, port.protocol, Some(endpoint.port)));
            }
        }
    }
    explanation.steps.push(Step { title: format!("Service {} from outside", service.qualified_name()), ok, lines });
    explanation.allowed &= ok;
    if ok {
        external_to_pods(cluster, client, &flows, &mut explanation);
    }
    Ok(explanation)
}

/// Judges the ingress of each destination pod for a client outside the cluster.
fn external_to_pods(
    cluster: &Cluster,
    client: IpAddr,
    flows: &[(PodId, Protocol, Option<u16>)],
    explanation: &mut Explanation,
) {
    for &(pod, protocol, port) in flows {
        let ports: Vec<(Protocol, u16)> = match port {
            Some(port) => vec![(protocol, port)],
            None => cluster.pod(pod).ports().map(|p| (p.protocol, p.port)).collect(),
        };
        for (protocol, port) in ports {
            let flow = format!("{client} (outside the cluster) -> {} {protocol} {port}", cluster.pod(pod).peer_name());
            external_step(cluster, Direction::Ingress, pod, client, (protocol, port), &flow, explanation);
        }
    }
}

fn explain_to_external(cluster: &Cluster, source: PodId, ip: IpAddr, request: &Request, explanation: &mut Explanation) {
    let protocol = request.protocol.unwrap_or(Protocol::Tcp);
    let Some(port) = request.port else {
        explanation.steps.push(Step {
            title: format!("{ip} is outside the cluster"),
            ok: false,
            lines: vec!["give a port (:PORT) to judge egress to an external address".to_owned()],
        });
        explanation.allowed = false;
        return;
    };
    let flow = format!("{} -> {ip} (outside the cluster) {protocol} {port}", cluster.pod(source).peer_name());
    external_step(cluster, Direction::Egress, source, ip, (protocol, port), &flow, explanation);
}

/// Judges one direction of a flow between a pod and an address outside the cluster, as one step.
fn external_step(
    cluster: &Cluster,
    direction: Direction,
    pod: PodId,
    address: IpAddr,
    (protocol, port): (Protocol, u16),
    flow: &str,
    explanation: &mut Explanation,
) {
    let remote = Remote::External(IpRange::single(address));
    let verdict = judge(cluster, direction, pod, &remote, protocol, port);
    explanation.steps.push(direction_step(cluster, &verdict, pod, flow));
    explanation.allowed &= verdict.allowed;
}

fn direction_step(cluster: &Cluster, verdict: &DirectionVerdict, local: PodId, flow: &str) -> Step {
    let pod = cluster.pod(local);
    let (side, title) = match verdict.direction {
        Direction::Egress => ("source", "egress of"),
        Direction::Ingress => ("destination", "ingress of"),
    };
    let mut lines = vec![flow.to_owned()];
    if verdict.isolating.is_empty() {
        lines.push(format!(
            "no NetworkPolicy selecting the {side} isolates {}: everything is allowed",
            verdict.direction.as_str().to_lowercase()
        ));
    } else {
        let names: Vec<String> = verdict.isolating.iter().map(|id| cluster.policies[id.0].qualified_name()).collect();
        lines.push(format!("isolated for {} by {}", verdict.direction.as_str().to_lowercase(), names.join(", ")));
    }
    if let Some(rule) = verdict.allowed_by {
        let policy = &cluster.policies[rule.policy.0];
        let (list, field) = match verdict.direction {
            Direction::Ingress => ("ingress", "from"),
            Direction::Egress => ("egress", "to"),
        };
        let peer = match rule.peer {
            Some(index) => {
                format!("{field}[{index}] {}", policy.rules(verdict.direction)[rule.rule].peers[index].describe())
            }
            None => format!("every {}", if verdict.direction == Direction::Ingress { "source" } else { "destination" }),
        };
        lines.push(format!("allowed by {} {list}[{}]: {peer}", policy.qualified_name(), rule.rule));
    }
    for miss in &verdict.misses {
        let policy = &cluster.policies[miss.policy.0];
        if miss.rules.is_empty() {
            lines.push(format!(
                "{} has no {} rules: it allows nothing",
                policy.qualified_name(),
                verdict.direction.as_str().to_lowercase()
            ));
        }
        for rule in &miss.rules {
            lines.push(format!("{}: {rule}", policy.qualified_name()));
        }
    }
    Step { title: format!("{title} {}", pod.peer_name()), ok: verdict.allowed, lines }
}

fn first_reason(cluster: &Cluster, verdict: &FlowVerdict) -> String {
    for half in [&verdict.egress, &verdict.ingress] {
        if !half.allowed {
            let names: Vec<String> = half.isolating.iter().map(|id| cluster.policies[id.0].qualified_name()).collect();
            return format!("{} isolated by {}", half.direction.as_str().to_lowercase(), names.join(", "));
        }
    }
    String::new()
}

/// A NetworkPolicy that would allow the flow in one direction: it selects the local pod by its labels and names the
/// remote pod by namespace and labels (or by address, outside the cluster), on exactly the denied port.
fn fix_policy(
    cluster: &Cluster,
    direction: Direction,
    local: PodId,
    remote: PodId,
    protocol: Protocol,
    port: u16,
) -> String {
    let local_pod = cluster.pod(local);
    let remote_pod = cluster.pod(remote);
    let (list, field) = match direction {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    let mut yaml = String::new();
    let _ = writeln!(yaml, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:");
    let _ = writeln!(yaml, "  name: allow-{}-{}-{}-{port}", list, remote_pod.name, local_pod.name);
    let _ = writeln!(yaml, "  namespace: {}\nspec:", local_pod.namespace);
    push_selector(&mut yaml, "  podSelector:", &local_pod.labels, "    ");
    let _ = writeln!(yaml, "  policyTypes:\n  - {}\n  {list}:\n  - {field}:", direction.as_str());
    if remote_pod.namespace == local_pod.namespace {
        push_selector(&mut yaml, "    - podSelector:", &remote_pod.labels, "        ");
    } else {
        let _ = writeln!(
            yaml,
            "    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {}",
            remote_pod.namespace
        );
        push_selector(&mut yaml, "      podSelector:", &remote_pod.labels, "        ");
    }
    let _ = writeln!(yaml, "    ports:\n    - protocol: {protocol}\n      port: {port}");
    yaml
}

fn push_selector(yaml: &mut String, header: &str, labels: &knet_model::Labels, indent: &str) {
    if labels.is_empty() {
        let _ = writeln!(yaml, "{header} {{}}");
        return;
    }
    let _ = writeln!(yaml, "{header}\n{indent}matchLabels:");
    for (key, value) in labels {
        let _ = writeln!(yaml, "{indent}  {key}: {value:?}");
    }
}
