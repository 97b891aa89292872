//! NetworkPolicy, complete: isolation per direction, peers, ports, and a verdict that says why.
//!
//! ```text
//! [NetworkPolicy] -podSelector-> [Pod]            (the pods it isolates, in its namespace)
//!       rule -peer(podSelector ∧ namespaceSelector | ipBlock - except)-> [Pod | address]
//!       rule -ports(number | name on the destination pod | range | protocol only)-> connections
//! ```
//!
//! A flow from A to B is allowed when A's egress allows it and B's ingress allows it. A direction allows everything
//! unless some policy selecting the pod names that direction in `policyTypes`; then it allows the union of the rules
//! of every such policy. Named ports always resolve against the *destination* pod, also in egress rules. The flow is
//! judged after Service DNAT: the destination is the endpoint pod and its target port.

use std::fmt::Write as _;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use knet_object::Origin;

use crate::cluster::{Cluster, Pod, PodId};
use crate::ip::{Cidr, IpRange};
use crate::ports::{Connections, PortRanges, Protocol};
use crate::selector::{Labels, Selector};

/// A traffic direction, as seen by the pod a policy selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The field name of the rule list and of the peer list inside a rule.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Direction::Ingress => ("ingress", "from"),
            Direction::Egress => ("egress", "to"),
        }
    }
}

/// Which namespaces a pod peer may be in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NamespaceScope {
    /// Only the policy's own namespace (a peer without `namespaceSelector`).
    Own(String),
    /// Namespaces whose labels match.
    Matching(Selector),
}

/// One entry of `from` / `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector`: both present means both must match.
    Pods { namespaces: NamespaceScope, pods: Selector },
    /// `ipBlock`: `cidr` minus each `except`.
    IpBlock { cidr: Cidr, except: Vec<Cidr> },
}

/// One entry of `ports`, compiled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortMatch {
    /// `port` (and `endPort`) numeric, or neither: every port of the protocol.
    Numbers { protocol: Protocol, ports: PortRanges },
    /// A container port name, resolved on the destination pod.
    Named { protocol: Protocol, name: String },
}

/// One ingress or egress rule. Empty `peers` means every peer; empty `ports` means every port and protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    pub peers: Vec<Peer>,
    pub ports: Vec<PortMatch>,
}

/// A compiled NetworkPolicy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub namespace: String,
    pub name: String,
    pub pod_selector: Selector,
    /// Whether the policy isolates the pods it selects for ingress (`Ingress` in the defaulted `policyTypes`).
    pub isolates_ingress: bool,
    pub isolates_egress: bool,
    /// Whether `policyTypes` was written, or inferred by defaulting (for lint messages).
    pub policy_types_written: bool,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    pub origin: Origin,
}

/// A rule as the API writes it: its peers (`from` / `to`) and its ports.
type RawRule = (Option<Vec<NetworkPolicyPeer>>, Option<Vec<NetworkPolicyPort>>);

/// Index of a policy in [`Cluster::policies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(pub usize);

/// The other end of a flow, from the point of view of the pod whose policies are consulted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Remote<'a> {
    /// A pod of the cluster. `ip` is the address ipBlocks see: the pod's observed IP, if it has one.
    Pod { pod: &'a Pod, namespace_labels: &'a Labels, ip: Option<IpAddr> },
    /// An address outside the cluster, or a whole range of them.
    External(IpRange),
}

impl Policy {
    /// Compiles a NetworkPolicy; an invalid selector or CIDR (already refused by validation) is reported as text.
    pub fn compile(policy: &NetworkPolicy, origin: Origin) -> Result<Policy, String> {
        let namespace = policy.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let name = policy.metadata.name.clone().unwrap_or_default();
        let context = |what: String| format!("networkpolicy \"{namespace}/{name}\": {what}");
        let spec = policy.spec.clone().unwrap_or_default();
        let pod_selector = Selector::from_label_selector(&spec.pod_selector.clone().unwrap_or_default())
            .map_err(|e| context(format!("spec.podSelector.{e}")))?;
        let has_egress_rules = spec.egress.as_ref().is_some_and(|rules| !rules.is_empty());
        let written = spec.policy_types.as_ref().is_some_and(|t| !t.is_empty());
        let types: Vec<String> = if written {
            spec.policy_types.clone().unwrap_or_default()
        } else if has_egress_rules {
            vec!["Ingress".into(), "Egress".into()]
        } else {
            vec!["Ingress".into()]
        };
        let compile_rules = |direction: Direction| -> Result<Vec<Rule>, String> {
            let (list, peer_field) = direction.fields();
            let rules: Vec<RawRule> = match direction {
                Direction::Ingress => {
                    spec.ingress.iter().flatten().map(|r| (r.from.clone(), r.ports.clone())).collect()
                }
                Direction::Egress => spec.egress.iter().flatten().map(|r| (r.to.clone(), r.ports.clone())).collect(),
            };
            rules
                .into_iter()
                .enumerate()
                .map(|(i, (peers, ports))| {
                    let peers = peers
                        .iter()
                        .flatten()
                        .enumerate()
                        .map(|(j, peer)| {
                            compile_peer(peer, &namespace)
                                .map_err(|e| context(format!("spec.{list}[{i}].{peer_field}[{j}]{e}")))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let ports = ports
                        .iter()
                        .flatten()
                        .enumerate()
                        .map(|(j, port)| {
                            compile_port(port).map_err(|e| context(format!("spec.{list}[{i}].ports[{j}]{e}")))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Rule { peers, ports })
                })
                .collect()
        };
        let ingress = compile_rules(Direction::Ingress)?;
        let egress = compile_rules(Direction::Egress)?;
        Ok(Policy {
            isolates_ingress: types.iter().any(|t| t == "Ingress"),
            isolates_egress: types.iter().any(|t| t == "Egress"),
            policy_types_written: written,
            namespace,
            name,
            pod_selector,
            ingress,
            egress,
            origin,
        })
    }

    pub fn isolates(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.isolates_ingress,
            Direction::Egress => self.isolates_egress,
        }
    }

    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Whether the policy selects the pod (same namespace, podSelector matches).
    pub fn selects(&self, pod: &Pod) -> bool {
        pod.namespace == self.namespace && self.pod_selector.matches(&pod.labels)
    }

    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

fn compile_peer(peer: &NetworkPolicyPeer, namespace: &str) -> Result<Peer, String> {
    if let Some(block) = &peer.ip_block {
        let cidr: Cidr = block.cidr.parse().map_err(|_| format!(".ipBlock.cidr: invalid CIDR {:?}", block.cidr))?;
        let except = block
            .except
            .iter()
            .flatten()
            .map(|e| e.parse::<Cidr>().map_err(|_| format!(".ipBlock.except: invalid CIDR {e:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Peer::IpBlock { cidr, except });
    }
    let pods = match &peer.pod_selector {
        Some(selector) => Selector::from_label_selector(selector).map_err(|e| format!(".podSelector.{e}"))?,
        None => Selector::everything(),
    };
    let namespaces = match &peer.namespace_selector {
        Some(selector) => NamespaceScope::Matching(
            Selector::from_label_selector(selector).map_err(|e| format!(".namespaceSelector.{e}"))?,
        ),
        None => NamespaceScope::Own(namespace.to_owned()),
    };
    Ok(Peer::Pods { namespaces, pods })
}

fn compile_port(port: &NetworkPolicyPort) -> Result<PortMatch, String> {
    let protocol = Protocol::from_field(port.protocol.as_deref())
        .ok_or_else(|| format!(".protocol: unsupported protocol {:?}", port.protocol.as_deref().unwrap_or_default()))?;
    let number = |n: i32| u16::try_from(n).map_err(|_| format!(".port: {n} is not a port number"));
    Ok(match &port.port {
        None => PortMatch::Numbers { protocol, ports: PortRanges::all() },
        Some(IntOrString::Int(n)) => {
            let low = number(*n)?;
            let high = match port.end_port {
                Some(end) => u16::try_from(end).map_err(|_| format!(".endPort: {end} is not a port number"))?,
                None => low,
            };
            PortMatch::Numbers { protocol, ports: PortRanges::range(low, high) }
        }
        Some(IntOrString::String(name)) => match name.parse::<i32>() {
            Ok(n) => PortMatch::Numbers { protocol, ports: PortRanges::single(number(n)?) },
            Err(_) => PortMatch::Named { protocol, name: name.clone() },
        },
    })
}

impl Peer {
    /// Whether the peer matches the remote end of a flow.
    pub fn matches(&self, cluster: &Cluster, remote: &Remote<'_>) -> bool {
        match (self, remote) {
            (Peer::Pods { namespaces, pods }, Remote::Pod { pod, namespace_labels, .. }) => {
                let namespace_ok = match namespaces {
                    NamespaceScope::Own(ns) => pod.namespace == *ns,
                    NamespaceScope::Matching(selector) => selector.matches(namespace_labels),
                };
                let _ = cluster;
                namespace_ok && pods.matches(&pod.labels)
            }
            (Peer::Pods { .. }, Remote::External(_)) => false,
            (Peer::IpBlock { cidr, except }, Remote::Pod { ip, .. }) => {
                ip.is_some_and(|ip| cidr.range().contains(ip) && !except.iter().any(|e| e.range().contains(ip)))
            }
            (Peer::IpBlock { cidr, except }, Remote::External(range)) => {
                cidr.range().covers(range) && !except.iter().any(|e| e.range().covers(range))
            }
        }
    }

    /// Describes the peer as a user wrote it: `podSelector app=frontend`, `namespaceSelector name=monitoring AND podSelector <all>`.
    pub fn describe(&self) -> String {
        match self {
            Peer::Pods { namespaces: NamespaceScope::Own(ns), pods } => {
                format!("pods {} in namespace {ns}", describe_selector(pods))
            }
            Peer::Pods { namespaces: NamespaceScope::Matching(ns), pods } if pods.is_everything() => {
                format!("every pod in namespaces {}", describe_selector(ns))
            }
            Peer::Pods { namespaces: NamespaceScope::Matching(ns), pods } => {
                format!("pods {} in namespaces {}", describe_selector(pods), describe_selector(ns))
            }
            Peer::IpBlock { cidr, except } if except.is_empty() => format!("ipBlock {cidr}"),
            Peer::IpBlock { cidr, except } => {
                let except: Vec<String> = except.iter().map(ToString::to_string).collect();
                format!("ipBlock {cidr} except {}", except.join(", "))
            }
        }
    }

    /// Why the peer does not match a remote pod or address, for a denial's explanation.
    pub fn why_not(&self, cluster: &Cluster, remote: &Remote<'_>) -> String {
        match (self, remote) {
            (Peer::Pods { namespaces, pods }, Remote::Pod { pod, namespace_labels, .. }) => {
                let mut reasons = Vec::new();
                match namespaces {
                    NamespaceScope::Own(ns) if pod.namespace != *ns => {
                        reasons.push(format!("the pod is in namespace {}, not {ns}", pod.namespace));
                    }
                    NamespaceScope::Matching(selector) if !selector.matches(namespace_labels) => {
                        let matching = cluster.namespaces.values().filter(|n| selector.matches(&n.labels)).count();
                        let mut reason = format!(
                            "namespaceSelector {selector} does not match namespace {} ({})",
                            pod.namespace,
                            format_labels(namespace_labels)
                        );
                        if matching == 0 {
                            reason = format!("namespaceSelector {selector} matches no namespace");
                        }
                        if let Some(hint) = name_label_hint(selector) {
                            let _ = write!(reason, "; {hint}");
                        }
                        reasons.push(reason);
                    }
                    _ => {}
                }
                if !pods.matches(&pod.labels) {
                    reasons.push(format!(
                        "podSelector {pods} does not match the pod's labels ({})",
                        format_labels(&pod.labels)
                    ));
                }
                reasons.join(", and ")
            }
            (Peer::Pods { .. }, Remote::External(range)) => {
                format!("{range} is outside the cluster, and a pod selector only matches pods")
            }
            (Peer::IpBlock { cidr, except }, Remote::Pod { ip, .. }) => match ip {
                None => format!("ipBlock {cidr} is matched against pod IPs, and this pod's IP is not known offline"),
                Some(ip) if except.iter().any(|e| e.range().contains(*ip)) => {
                    format!("{ip} is in an except range of {cidr}")
                }
                Some(ip) => format!("{ip} is not in {cidr}"),
            },
            (Peer::IpBlock { cidr, except }, Remote::External(range)) => {
                if except.iter().any(|e| e.range().covers(range)) {
                    format!("{range} is in an except range of {cidr}")
                } else {
                    format!("{range} is not in {cidr}")
                }
            }
        }
    }
}

/// The hint for the classic mistake of selecting namespaces by a `name` label that namespaces do not carry.
pub fn name_label_hint(selector: &Selector) -> Option<String> {
    selector.requirements().iter().find_map(|r| match r {
        crate::selector::Requirement::In { key, values } if key == "name" && values.len() == 1 => Some(format!(
            "namespaces carry the label kubernetes.io/metadata.name={0}, not name={0}, unless someone added it",
            values[0]
        )),
        _ => None,
    })
}

fn describe_selector(selector: &Selector) -> String {
    if selector.is_everything() { "<all>".into() } else { selector.to_string() }
}

fn format_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "no labels".into();
    }
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

impl PortMatch {
    /// The connections this entry allows to a destination pod (`None` when the destination is outside the cluster:
    /// a named port then matches nothing, since there is no container to name it).
    pub fn connections(&self, destination: Option<&Pod>) -> Connections {
        match self {
            PortMatch::Numbers { protocol, ports } => Connections::of(*protocol, ports.clone()),
            PortMatch::Named { protocol, name } => destination
                .and_then(|pod| pod.named_port(name, *protocol))
                .map_or_else(Connections::none, |port| Connections::port(*protocol, port)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            PortMatch::Numbers { protocol, ports } if ports.is_all() => {
                format!("{protocol} (every port)")
            }
            PortMatch::Numbers { protocol, ports } => format!("{protocol} {ports}"),
            PortMatch::Named { protocol, name } => format!("{protocol} {name:?} (named)"),
        }
    }
}

impl Rule {
    /// The connections the rule's ports allow towards `destination`.
    pub fn connections(&self, destination: Option<&Pod>) -> Connections {
        if self.ports.is_empty() {
            return Connections::all();
        }
        self.ports.iter().fold(Connections::none(), |acc, port| acc.union(&port.connections(destination)))
    }

    /// Whether any peer of the rule matches the remote end (a rule without peers matches every peer).
    pub fn matches_peer(&self, cluster: &Cluster, remote: &Remote<'_>) -> Option<Option<usize>> {
        if self.peers.is_empty() {
            return Some(None);
        }
        self.peers.iter().position(|p| p.matches(cluster, remote)).map(Some)
    }
}

/// One half of a flow's verdict: what the policies of one pod, in one direction, say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionVerdict {
    pub direction: Direction,
    pub allowed: bool,
    /// The policies that select the pod and isolate it in this direction; empty means not isolated.
    pub isolating: Vec<PolicyId>,
    /// The policy, rule and peer that allowed the flow, when one did.
    pub allowed_by: Option<RuleRef>,
    /// For a denial: for each isolating policy, why each of its rules does not allow the flow.
    pub misses: Vec<PolicyMiss>,
}

/// A rule of a policy, and the peer and port entry that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef {
    pub policy: PolicyId,
    pub rule: usize,
    /// `None` when the rule has no peers (matches everyone).
    pub peer: Option<usize>,
}

/// Why one isolating policy does not allow a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMiss {
    pub policy: PolicyId,
    /// One line per rule; empty when the policy has no rules in this direction (it denies everything).
    pub rules: Vec<String>,
}

/// The pod named ports resolve on: the local pod for ingress, the remote pod for egress (none outside the cluster).
fn destination_pod<'a>(direction: Direction, local: &'a Pod, remote: &Remote<'a>) -> Option<&'a Pod> {
    match (direction, remote) {
        (Direction::Ingress, _) => Some(local),
        (Direction::Egress, Remote::Pod { pod, .. }) => Some(*pod),
        (Direction::Egress, Remote::External(_)) => None,
    }
}

/// The policies of the cluster that select `pod` and isolate it in `direction`.
pub fn isolating_policies(cluster: &Cluster, pod: &Pod, direction: Direction) -> Vec<PolicyId> {
    cluster
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.isolates(direction) && p.selects(pod))
        .map(|(i, _)| PolicyId(i))
        .collect()
}

/// Judges one direction of a flow for `local` (the pod whose policies apply), talking to `remote`, on one port.
/// For ingress, `local` is the destination; for egress, the source. `destination` is the pod that named ports resolve
/// on: `local` for ingress, the remote pod (or nothing, outside the cluster) for egress.
pub fn judge(
    cluster: &Cluster,
    direction: Direction,
    local: PodId,
    remote: &Remote<'_>,
    protocol: Protocol,
    port: u16,
) -> DirectionVerdict {
    let local_pod = cluster.pod(local);
    let destination = destination_pod(direction, local_pod, remote);
    let isolating = isolating_policies(cluster, local_pod, direction);
    if isolating.is_empty() {
        return DirectionVerdict { direction, allowed: true, isolating, allowed_by: None, misses: Vec::new() };
    }
    let mut misses = Vec::new();
    for &id in &isolating {
        let policy = &cluster.policies[id.0];
        let mut rule_misses = Vec::new();
        for (index, rule) in policy.rules(direction).iter().enumerate() {
            let peer = rule.matches_peer(cluster, remote);
            let allows_port = rule.connections(destination).allows(protocol, port);
            if let (Some(peer), true) = (peer, allows_port) {
                return DirectionVerdict {
                    direction,
                    allowed: true,
                    isolating,
                    allowed_by: Some(RuleRef { policy: id, rule: index, peer }),
                    misses: Vec::new(),
                };
            }
            let (list, field) = direction.fields();
            let mut why = Vec::new();
            if peer.is_none() {
                for (peer_index, p) in rule.peers.iter().enumerate() {
                    why.push(format!("{field}[{peer_index}] {}: {}", p.describe(), p.why_not(cluster, remote)));
                }
            }
            if !allows_port {
                let ports: Vec<String> = rule.ports.iter().map(PortMatch::describe).collect();
                let named_unresolved = rule.ports.iter().any(|p| {
                    matches!(p, PortMatch::Named { protocol: proto, name } if destination.is_none_or(|d| d.named_port(name, *proto).is_none()))
                });
                let mut reason = format!("ports {} do not include {protocol} {port}", ports.join(", "));
                if named_unresolved {
                    reason.push_str(" (a named port resolves on the destination pod, which does not declare it)");
                }
                why.push(reason);
            }
            rule_misses.push(format!("{list}[{index}]: {}", why.join("; ")));
        }
        misses.push(PolicyMiss { policy: id, rules: rule_misses });
    }
    DirectionVerdict { direction, allowed: false, isolating, allowed_by: None, misses }
}

/// Both halves of a flow from one pod to another pod (after DNAT), on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowVerdict {
    pub egress: DirectionVerdict,
    pub ingress: DirectionVerdict,
}

impl FlowVerdict {
    pub fn allowed(&self) -> bool {
        self.egress.allowed && self.ingress.allowed
    }
}

/// What ipBlocks see as a pod's address.
pub fn remote_pod<'a>(cluster: &'a Cluster, pod: PodId, namespace_labels: &'a Labels) -> Remote<'a> {
    let pod = cluster.pod(pod);
    Remote::Pod { pod, namespace_labels, ip: pod.observed_ip }
}

/// Judges a pod-to-pod flow: the source's egress, then the destination's ingress.
pub fn judge_pods(cluster: &Cluster, source: PodId, destination: PodId, protocol: Protocol, port: u16) -> FlowVerdict {
    let source_ns = cluster.namespace_labels(&cluster.pod(source).namespace);
    let destination_ns = cluster.namespace_labels(&cluster.pod(destination).namespace);
    FlowVerdict {
        egress: judge(
            cluster,
            Direction::Egress,
            source,
            &remote_pod(cluster, destination, &destination_ns),
            protocol,
            port,
        ),
        ingress: judge(
            cluster,
            Direction::Ingress,
            destination,
            &remote_pod(cluster, source, &source_ns),
            protocol,
            port,
        ),
    }
}

/// The connections one direction allows between `local` and `remote`: the union over isolating policies' rules.
pub fn allowed_connections(cluster: &Cluster, direction: Direction, local: PodId, remote: &Remote<'_>) -> Connections {
    let local_pod = cluster.pod(local);
    let destination = destination_pod(direction, local_pod, remote);
    let isolating = isolating_policies(cluster, local_pod, direction);
    if isolating.is_empty() {
        return Connections::all();
    }
    let mut allowed = Connections::none();
    for id in isolating {
        for rule in cluster.policies[id.0].rules(direction) {
            if rule.matches_peer(cluster, remote).is_some() {
                allowed = allowed.union(&rule.connections(destination));
            }
        }
    }
    allowed
}
