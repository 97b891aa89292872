//! NetworkPolicies, after `ValidateNetworkPolicy` in `k8s.io/kubernetes/pkg/apis/networking/validation`.
//!
//! ```text
//! [NetworkPolicy] -podSelector-> [Pod]            (the pods it isolates)
//!      `-ingress[].from[] / egress[].to[] peers:  podSelector, namespaceSelector, ipBlock
//! ```

use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::content;
use super::field::{ErrorList, Path, Raw, go};
use super::meta::{self, NameFormat};
use super::net;
use super::service::CIDR_MESSAGE;

/// `ValidateNetworkPolicy`.
pub(crate) fn network_policy(policy: &NetworkPolicy, errors: &mut ErrorList) {
    meta::object_meta(&policy.metadata, true, NameFormat::DnsSubdomain, errors);
    let path = Path::root("spec");
    let default_spec = Default::default();
    let spec = policy.spec.as_ref().unwrap_or(&default_spec);
    if let Some(selector) = &spec.pod_selector {
        meta::label_selector(selector, &path.child("podSelector"), errors);
    }
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let path = path.child("ingress").index(i);
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            policy_port(port, &path.child("ports").index(j), errors);
        }
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            policy_peer(peer, &path.child("from").index(j), errors);
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let path = path.child("egress").index(i);
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            policy_port(port, &path.child("ports").index(j), errors);
        }
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            policy_peer(peer, &path.child("to").index(j), errors);
        }
    }
    let types = spec.policy_types.as_deref().unwrap_or_default();
    if types.len() > 2 {
        return errors.invalid(
            &path.child("policyTypes"),
            Raw(go::string_slice("networking.PolicyType", Some(types))),
            "may not specify more than two policyTypes",
        );
    }
    for (i, policy_type) in types.iter().enumerate() {
        if !matches!(policy_type.as_str(), "Ingress" | "Egress") {
            errors.not_supported(&path.child("policyTypes").index(i), policy_type, &["Ingress", "Egress"]);
        }
    }
}

/// `ValidateNetworkPolicyPort`: protocol, a numeric or named port, and an `endPort` only after a numeric port.
fn policy_port(port: &NetworkPolicyPort, path: &Path, errors: &mut ErrorList) {
    match port.protocol.as_deref() {
        None | Some("TCP" | "UDP" | "SCTP") => {}
        Some(protocol) => errors.not_supported(&path.child("protocol"), protocol, &["TCP", "UDP", "SCTP"]),
    }
    let end_path = path.child("endPort");
    match (&port.port, port.end_port) {
        (Some(IntOrString::Int(number)), end_port) => {
            for message in content::port_num(i64::from(*number)) {
                errors.invalid(&path.child("port"), *number, &message);
            }
            if let Some(end_port) = end_port {
                if end_port < *number {
                    errors.invalid(&end_path, end_port, "must be greater than or equal to `port`");
                }
                for message in content::port_num(i64::from(end_port)) {
                    errors.invalid(&end_path, end_port, &message);
                }
            }
        }
        (Some(IntOrString::String(name)), end_port) => {
            if let Some(end_port) = end_port {
                errors.invalid(&end_path, end_port, "may not be specified when `port` is non-numeric");
            }
            errors.invalid_each(&path.child("port"), name, content::port_name(name));
        }
        (None, Some(end_port)) => {
            errors.invalid(&end_path, end_port, "may not be specified when `port` is not specified")
        }
        (None, None) => {}
    }
}

/// `ValidateNetworkPolicyPeer`: at least one of the three, and an `ipBlock` only alone.
fn policy_peer(peer: &NetworkPolicyPeer, path: &Path, errors: &mut ErrorList) {
    let mut count = 0;
    if let Some(selector) = &peer.pod_selector {
        count += 1;
        meta::label_selector(selector, &path.child("podSelector"), errors);
    }
    if let Some(selector) = &peer.namespace_selector {
        count += 1;
        meta::label_selector(selector, &path.child("namespaceSelector"), errors);
    }
    if let Some(block) = &peer.ip_block {
        count += 1;
        ip_block(block, &path.child("ipBlock"), errors);
    }
    if count == 0 {
        errors.required(path, "must specify a peer");
    } else if count > 1 && peer.ip_block.is_some() {
        errors.forbidden(path, "may not specify both ipBlock and another peer");
    }
}

/// `ValidateIPBlock`: a CIDR, and exceptions strictly inside it.
fn ip_block(block: &IPBlock, path: &Path, errors: &mut ErrorList) {
    if block.cidr.is_empty() {
        return errors.required(&path.child("cidr"), "");
    }
    let Some(cidr) = net::parse_cidr(&block.cidr) else {
        return errors.invalid(&path.child("cidr"), &block.cidr, CIDR_MESSAGE);
    };
    for (i, except) in block.except.iter().flatten().enumerate() {
        let path = path.child("except").index(i);
        let Some(except_cidr) = net::parse_cidr(except) else {
            errors.invalid(&path, except, CIDR_MESSAGE);
            continue;
        };
        if !cidr.contains_network_of(&except_cidr) || cidr.prefix() >= except_cidr.prefix() {
            errors.invalid(&path, except, "must be a strict subset of `cidr`");
        }
    }
}
