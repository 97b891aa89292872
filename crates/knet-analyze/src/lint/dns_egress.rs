//! DNS under egress isolation (KN2006, KN2007): may a pod that policies isolate for egress still reach its nameserver
//! on UDP 53 and TCP 53?
//!
//! The check asks the model the real question — may this pod send UDP 53 and TCP 53 to the pods behind its nameserver,
//! after DNAT? — with `policy::judge_pods`, so a rule that allows DNS by accident (the guide's `namespaceSelector: {}`)
//! counts, and a rule that looks right but matches nothing does not. Nameservers outside the cluster (dnsPolicy
//! `Default` or `None`) are judged as external addresses.
//!
//! When the cluster DNS works over both protocols but a policy allows UDP 53 to every address and TCP 53 to none
//! outside the cluster (the guide's `allow-dns-egress`), one info finding on that policy rule says so: it only matters
//! to a pod that uses a resolver outside the cluster.

use std::collections::BTreeMap;
use std::net::IpAddr;

use knet_model::ip::{Family, IpRange};
use knet_model::policy::{Direction, PolicyId, Remote, isolating_policies, judge, judge_pods};
use knet_model::resolv::resolv_conf;
use knet_model::{Cluster, PodId, Protocol};

use super::policies::fields;
use super::rules::{DNS_TCP_BLOCKED, DNS_UDP_BLOCKED};
use super::{Finding, Severity, and_list, is_synthetic, object_name};

/// The egress rule to suggest.
const DNS_RULE: &str = "Add an egress rule `to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]` with `ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]`.";

/// Where a pod's DNS queries go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nameserver {
    /// The cluster DNS Service's address: judged against the pods behind it, after DNAT.
    Cluster(IpAddr),
    /// Any other address: judged as an address outside the cluster.
    External(IpAddr),
}

/// The nameservers of the pod's resolv.conf, as the kubelet writes it (`resolv::resolv_conf`); empty when the pod's
/// DNS settings are invalid.
fn nameservers(cluster: &Cluster, pod: PodId) -> Vec<Nameserver> {
    let Ok(conf) = resolv_conf(cluster, cluster.pod(pod)) else {
        return Vec::new();
    };
    conf.nameservers
        .into_iter()
        .map(|ip| if ip == cluster.config.dns_service_ip { Nameserver::Cluster(ip) } else { Nameserver::External(ip) })
        .collect()
}

/// `Ok`, or the side of the flow that denies it.
type Verdict = Result<(), String>;

/// Whether a pod may send DNS on `protocol` to a nameserver: `None` when the nameserver has nothing to judge (a
/// cluster DNS Service without that port or without endpoints), `Err` with the side that denies otherwise.
fn dns_allowed(cluster: &Cluster, pod: PodId, server: Nameserver, protocol: Protocol) -> Option<Verdict> {
    match server {
        Nameserver::Cluster(ip) => {
            let service = cluster.services.iter().find(|s| s.cluster_ip == Some(ip))?;
            let port = service.ports.iter().find(|p| p.protocol == protocol && p.port == 53)?;
            let targets: Vec<(PodId, u16)> =
                service.serving_endpoints(cluster, port).iter().filter_map(|e| Some((e.pod?, e.port))).collect();
            if targets.is_empty() {
                return None;
            }
            // kube-proxy picks any endpoint: DNS works only if every one of them is allowed.
            for (target, target_port) in targets {
                let verdict = judge_pods(cluster, pod, target, protocol, target_port);
                if !verdict.egress.allowed {
                    return Some(Err("no egress rule of the pod allows it".into()));
                }
                if !verdict.ingress.allowed {
                    return Some(Err(format!(
                        "the ingress policies of {} do not allow it",
                        cluster.pod(target).qualified_name()
                    )));
                }
            }
            Some(Ok(()))
        }
        Nameserver::External(ip) => {
            let remote = Remote::External(IpRange::single(ip));
            let verdict = judge(cluster, Direction::Egress, pod, &remote, protocol, 53);
            Some(if verdict.allowed { Ok(()) } else { Err("no egress rule of the pod allows it".into()) })
        }
    }
}

fn describe_server(cluster: &Cluster, server: Nameserver) -> String {
    match server {
        Nameserver::Cluster(ip) => match cluster.services.iter().find(|s| s.cluster_ip == Some(ip)) {
            Some(s) => format!("the cluster DNS (service {} at {ip})", s.qualified_name()),
            None => format!("the cluster DNS ({ip})"),
        },
        Nameserver::External(ip) => format!("nameserver {ip}"),
    }
}

/// Pods allowed UDP 53 but not TCP 53 to every address outside the cluster, by the policy rule that allows the UDP.
type ExternalTcpGaps = BTreeMap<(PolicyId, usize), Vec<String>>;

pub(super) fn check(cluster: &Cluster, out: &mut Vec<Finding>) {
    let mut gaps = ExternalTcpGaps::new();
    for id in cluster.pod_ids() {
        let pod = cluster.pod(id);
        // Policies do not apply to host-network pods; system pods are the model's, not the user's.
        if pod.system || pod.host_network || is_synthetic(&pod.origin) {
            continue;
        }
        let isolating = isolating_policies(cluster, pod, Direction::Egress);
        if isolating.is_empty() {
            continue;
        }
        let servers = nameservers(cluster, id);
        let judged: Vec<(Nameserver, Verdict, Verdict)> = servers
            .iter()
            .filter_map(|&s| {
                let udp = dns_allowed(cluster, id, s, Protocol::Udp)?;
                let tcp = dns_allowed(cluster, id, s, Protocol::Tcp).unwrap_or(Ok(()));
                Some((s, udp, tcp))
            })
            .collect();
        let policies: Vec<String> = isolating.iter().map(|p| format!("\"{}\"", cluster.policies[p.0].name)).collect();
        let object = object_name(pod.kind.as_str(), Some(&pod.namespace), &pod.name);
        let subject = format!(
            "{} {} is isolated for egress by networkpolicy {}",
            pod.kind.as_str().to_lowercase(),
            pod.name,
            and_list(&policies)
        );
        // A resolver moves on to the next nameserver when one does not answer: DNS fails only when all are blocked.
        let udp_blocked = judged.iter().all(|(_, udp, _)| udp.is_err());
        if let (true, Some((server, Err(why), _))) = (udp_blocked, judged.first()) {
            out.push(
                Finding::new(
                    &DNS_UDP_BLOCKED,
                    object,
                    format!(
                        "{subject}, and UDP 53 to {} is blocked ({why}), so every DNS lookup of the pod fails.",
                        describe_server(cluster, *server)
                    ),
                )
                .origin(&pod.origin)
                .hint(DNS_RULE),
            );
            continue;
        }
        let usable: Vec<_> = judged.iter().filter(|(_, udp, _)| udp.is_ok()).collect();
        let tcp_blocked = usable.iter().all(|(_, _, tcp)| tcp.is_err());
        if let (true, Some((server, _, Err(why)))) = (tcp_blocked, usable.first()) {
            out.push(
                Finding::new(
                    &DNS_TCP_BLOCKED,
                    object,
                    format!(
                        "{subject}; UDP 53 to {} is allowed but TCP 53 is blocked ({why}), so lookups whose answers are truncated (large records, many endpoints) fail.",
                        describe_server(cluster, *server)
                    ),
                )
                .origin(&pod.origin)
                .hint("Allow TCP 53 next to UDP 53 in the DNS egress rule."),
            );
            continue;
        }
        if judged.iter().any(|(s, _, _)| matches!(s, Nameserver::Cluster(_))) {
            external_tcp_gap(cluster, id, &mut gaps);
        }
    }
    for ((policy, rule), pods) in gaps {
        let policy = &cluster.policies[policy.0];
        let (list, _) = fields(Direction::Egress);
        out.push(
            Finding::new(
                &DNS_TCP_BLOCKED,
                object_name("NetworkPolicy", Some(&policy.namespace), &policy.name),
                format!(
                    "networkpolicy \"{}\" spec.{list}[{rule}] allows UDP 53 to every address, but no policy allows TCP 53 outside the cluster for {}. The cluster DNS is reachable over UDP and TCP, so this only matters to a resolver outside the cluster, where lookups with truncated answers fail.",
                    policy.name,
                    and_list(&pods)
                ),
            )
            .severity(Severity::Info)
            .field(format!("spec.{list}[{rule}].ports"))
            .origin(&policy.origin)
            .hint("Add `{protocol: TCP, port: 53}` next to the UDP entry."),
        );
    }
}

/// Records a pod that may send UDP 53 but not TCP 53 to addresses outside the cluster, under the rule allowing UDP.
fn external_tcp_gap(cluster: &Cluster, pod: PodId, gaps: &mut ExternalTcpGaps) {
    let outside = Remote::External(IpRange::everything(Family::V4));
    let udp = judge(cluster, Direction::Egress, pod, &outside, Protocol::Udp, 53);
    let tcp = judge(cluster, Direction::Egress, pod, &outside, Protocol::Tcp, 53);
    if let (Some(by), false) = (udp.allowed_by, tcp.allowed) {
        let pod = cluster.pod(pod);
        gaps.entry((by.policy, by.rule)).or_default().push(format!(
            "{} {}",
            pod.kind.as_str().to_lowercase(),
            pod.name
        ));
    }
}
