//! NetworkPolicy checks (KN2xxx): selectors that match nothing in the given manifests, `policyTypes` that say more or
//! less than the rules, and egress isolation that leaves a pod without DNS.
//! The DNS checks (KN2006, KN2007) are in `dns_egress`.

use knet_model::policy::{Direction, NamespaceScope, Peer, Policy, name_label_hint};
use knet_model::{Cluster, Selector};

use super::rules::{
    EGRESS_POLICY_ISOLATES_INGRESS, NAMESPACE_SELECTOR_MATCHES_NOTHING, POD_SELECTOR_MATCHES_NOTHING,
    POLICY_SELECTS_NO_POD, RULES_IGNORED_BY_POLICY_TYPES,
};
use super::{AsWritten, Finding, Severity, and_list, object_name, plural};

pub(super) fn check(cluster: &Cluster, written: &AsWritten, out: &mut Vec<Finding>) {
    for policy in &cluster.policies {
        let object = object_name("NetworkPolicy", Some(&policy.namespace), &policy.name);
        selects_no_pod(cluster, policy, &object, out);
        // Admission fills in policyTypes, so the model sees it as written; the manifests as loaded know better.
        let key = (policy.namespace.clone(), policy.name.clone());
        let types_written = policy.policy_types_written && !written.policies_without_types.contains(&key);
        policy_types(policy, types_written, &object, out);
        for direction in [Direction::Ingress, Direction::Egress] {
            peers(cluster, policy, &object, direction, out);
        }
    }
}

pub(super) fn fields(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    }
}

/// KN2003.
fn selects_no_pod(cluster: &Cluster, policy: &Policy, object: &str, out: &mut Vec<Finding>) {
    if cluster.pods.iter().any(|p| policy.selects(p)) {
        return;
    }
    let in_namespace = cluster.pods.iter().filter(|p| p.namespace == policy.namespace).count();
    let selector = &policy.pod_selector;
    let shown = if selector.is_everything() { "{} (every pod)".to_owned() } else { selector.to_string() };
    let (severity, why) = if in_namespace == 0 {
        (Severity::Info, format!("namespace {} has no pods in the given manifests", policy.namespace))
    } else {
        (
            Severity::Warning,
            format!(
                "no workload of namespace {} has labels {selector} ({} in the given manifests)",
                policy.namespace,
                plural(in_namespace, "workload", "workloads")
            ),
        )
    };
    let elsewhere: Vec<String> = cluster
        .pods
        .iter()
        .filter(|p| p.namespace != policy.namespace && !p.system && !selector.is_everything())
        .filter(|p| selector.matches(&p.labels))
        .map(|p| format!("{} {}", p.kind.as_str(), p.qualified_name()))
        .collect();
    let hint = (!elsewhere.is_empty()).then(|| {
        format!(
            "{} in another namespace would match; a NetworkPolicy only selects pods of its own namespace.",
            and_list(&elsewhere)
        )
    });
    out.push(
        Finding::new(
            &POLICY_SELECTS_NO_POD,
            object.to_owned(),
            format!(
                "networkpolicy \"{}\": podSelector {shown} selects no pod: {why}, so the policy has no effect here.",
                policy.name
            ),
        )
        .severity(severity)
        .field("spec.podSelector")
        .origin(&policy.origin)
        .hint_opt(hint),
    );
}

/// KN2004 and KN2005.
fn policy_types(policy: &Policy, types_written: bool, object: &str, out: &mut Vec<Finding>) {
    if !types_written && !policy.egress.is_empty() && policy.ingress.is_empty() {
        out.push(
            Finding::new(
                &EGRESS_POLICY_ISOLATES_INGRESS,
                object.to_owned(),
                format!(
                    "networkpolicy \"{}\" has egress rules, no ingress rules and no policyTypes, so policyTypes defaults to [Ingress, Egress]: it also denies all incoming traffic to the pods it selects.",
                    policy.name
                ),
            )
            .field("spec.policyTypes")
            .origin(&policy.origin)
            .hint("Write `policyTypes: [Egress]` if the policy is meant to restrict egress only."),
        );
    }
    if !types_written {
        return;
    }
    for (direction, isolates, rules) in [
        (Direction::Ingress, policy.isolates_ingress, &policy.ingress),
        (Direction::Egress, policy.isolates_egress, &policy.egress),
    ] {
        if isolates || rules.is_empty() {
            continue;
        }
        let (list, _) = fields(direction);
        out.push(
            Finding::new(
                &RULES_IGNORED_BY_POLICY_TYPES,
                object.to_owned(),
                format!(
                    "networkpolicy \"{}\" has {list} rules, but policyTypes does not list {}, so the {list} rules are ignored.",
                    policy.name,
                    direction.as_str()
                ),
            )
            .field(format!("spec.{list}"))
            .origin(&policy.origin)
            .hint(format!(
                "Add {} to spec.policyTypes (which also isolates the selected pods for {list}), or remove the rules.",
                direction.as_str()
            )),
        );
    }
}

/// KN2001 and KN2002: every pod peer of every rule in one direction.
fn peers(cluster: &Cluster, policy: &Policy, object: &str, direction: Direction, out: &mut Vec<Finding>) {
    let (list, peer_list) = fields(direction);
    for (rule_index, rule) in policy.rules(direction).iter().enumerate() {
        for (peer_index, peer) in rule.peers.iter().enumerate() {
            let Peer::Pods { namespaces, pods } = peer else {
                continue;
            };
            let path = format!("spec.{list}[{rule_index}].{peer_list}[{peer_index}]");
            let namespaces_covered: Vec<&str> = match namespaces {
                NamespaceScope::Own(namespace) => vec![namespace.as_str()],
                NamespaceScope::Matching(selector) => cluster
                    .namespaces
                    .values()
                    .filter(|n| selector.matches(&n.labels))
                    .map(|n| n.name.as_str())
                    .collect(),
            };
            if let NamespaceScope::Matching(selector) = namespaces
                && namespaces_covered.is_empty()
            {
                out.push(namespace_matches_nothing(policy, object, &path, selector));
                continue;
            }
            if pods.is_everything() {
                continue;
            }
            let matched = cluster
                .pods
                .iter()
                .any(|p| namespaces_covered.contains(&p.namespace.as_str()) && pods.matches(&p.labels));
            if matched {
                continue;
            }
            let scope = match namespaces {
                NamespaceScope::Own(namespace) => format!("namespace {namespace}"),
                NamespaceScope::Matching(_) => {
                    format!("the namespaces its namespaceSelector matches ({})", namespaces_covered.join(", "))
                }
            };
            let elsewhere: Vec<String> = cluster
                .pods
                .iter()
                .filter(|p| !namespaces_covered.contains(&p.namespace.as_str()))
                .filter(|p| pods.matches(&p.labels))
                .map(|p| format!("{} {}", p.kind.as_str(), p.qualified_name()))
                .collect();
            let hint = (!elsewhere.is_empty()).then(|| match namespaces {
                NamespaceScope::Own(_) => format!(
                    "{} would match, in another namespace: a podSelector without a namespaceSelector only covers the policy's own namespace; add a namespaceSelector (kubernetes.io/metadata.name) in the same peer.",
                    and_list(&elsewhere)
                ),
                NamespaceScope::Matching(_) => format!(
                    "{} would match, in a namespace the namespaceSelector does not cover.",
                    and_list(&elsewhere)
                ),
            });
            out.push(
                Finding::new(
                    &POD_SELECTOR_MATCHES_NOTHING,
                    object.to_owned(),
                    format!(
                        "networkpolicy \"{}\" {path}: podSelector {pods} matches no pod in {scope} in the given manifests, so this peer allows nothing here (it may match pods of the real cluster).",
                        policy.name
                    ),
                )
                .field(format!("{path}.podSelector"))
                .origin(&policy.origin)
                .hint_opt(hint),
            );
        }
    }
}

fn namespace_matches_nothing(policy: &Policy, object: &str, path: &str, selector: &Selector) -> Finding {
    let hint = match name_label_hint(selector) {
        Some(hint) => {
            let value = cluster_name_value(selector).unwrap_or_default();
            format!("{hint}: select `kubernetes.io/metadata.name: {value}` instead.")
        }
        None => "Select namespaces by `kubernetes.io/metadata.name: <name>`, the label every namespace carries, or label the namespace.".to_owned(),
    };
    Finding::new(
        &NAMESPACE_SELECTOR_MATCHES_NOTHING,
        object.to_owned(),
        format!(
            "networkpolicy \"{}\" {path}: namespaceSelector {selector} matches no namespace in the given manifests, so this peer allows nothing (unless a namespace of the real cluster carries that label).",
            policy.name
        ),
    )
    .field(format!("{path}.namespaceSelector"))
    .origin(&policy.origin)
    .hint(hint)
}

/// The value of a `name=<value>` requirement.
fn cluster_name_value(selector: &Selector) -> Option<String> {
    selector.requirements().iter().find_map(|r| match r {
        knet_model::selector::Requirement::In { key, values } if key == "name" => values.first().cloned(),
        _ => None,
    })
}
