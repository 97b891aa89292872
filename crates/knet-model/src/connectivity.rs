//! The full connectivity matrix: for every ordered pair of pods (and every pod and external address range), the
//! connections the NetworkPolicies allow.
//!
//! The cost grows with the number of *classes*, not pods: pods with the same namespace, labels, container ports and
//! observed IP are indistinguishable to every policy, so they are judged once. Within a class pair the work is a few
//! lookups, because connection sets are interned and their unions and intersections memoised; the rule peers are
//! evaluated once per class into bitsets. The per-pair, explained evaluation in [`crate::policy`] is the reference this
//! module must agree with (a property test checks it).

use std::collections::HashMap;

use crate::cluster::{Cluster, ContainerPort, PodId};
use crate::ip::{IpRange, partition};
use crate::policy::{Direction, NamespaceScope, Peer, PortMatch, Remote, Rule};
use crate::ports::Connections;
use crate::selector::Labels;

/// One end of a connection in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Pod(PodId),
    /// An index into [`Connectivity::externals`].
    External(usize),
}

/// Interned connection sets: equal sets share one id, so the matrix stores `u32`s and set algebra is memoised.
#[derive(Debug, Default)]
struct Interner {
    values: Vec<Connections>,
    ids: HashMap<Connections, u32>,
    unions: HashMap<(u32, u32), u32>,
    intersections: HashMap<(u32, u32), u32>,
}

const NONE: u32 = 0;
const ALL: u32 = 1;

impl Interner {
    fn new() -> Interner {
        let mut interner = Interner::default();
        interner.intern(Connections::none());
        interner.intern(Connections::all());
        interner
    }

    fn intern(&mut self, connections: Connections) -> u32 {
        if let Some(&id) = self.ids.get(&connections) {
            return id;
        }
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(connections.clone());
        self.ids.insert(connections, id);
        id
    }

    fn union(&mut self, a: u32, b: u32) -> u32 {
        match (a, b) {
            (NONE, x) | (x, NONE) => x,
            (ALL, _) | (_, ALL) => ALL,
            (a, b) if a == b => a,
            (a, b) => {
                let key = (a.min(b), a.max(b));
                if let Some(&id) = self.unions.get(&key) {
                    return id;
                }
                let value = self.values[a as usize].union(&self.values[b as usize]);
                let id = self.intern(value);
                self.unions.insert(key, id);
                id
            }
        }
    }

    fn intersection(&mut self, a: u32, b: u32) -> u32 {
        match (a, b) {
            (NONE, _) | (_, NONE) => NONE,
            (ALL, x) | (x, ALL) => x,
            (a, b) if a == b => a,
            (a, b) => {
                let key = (a.min(b), a.max(b));
                if let Some(&id) = self.intersections.get(&key) {
                    return id;
                }
                let value = self.values[a as usize].intersection(&self.values[b as usize]);
                let id = self.intern(value);
                self.intersections.insert(key, id);
                id
            }
        }
    }
}

/// A fixed-size set of small integers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    fn new(size: usize) -> BitSet {
        BitSet {
            words: vec![0; size.div_ceil(64)],
        }
    }

    fn insert(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }

    fn contains(&self, index: usize) -> bool {
        self.words[index / 64] & (1 << (index % 64)) != 0
    }

    fn union_with(&mut self, other: &BitSet) {
        for (word, other) in self.words.iter_mut().zip(&other.words) {
            *word |= other;
        }
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(index, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(index * 64 + bit)
            })
        })
    }
}

/// A class of indistinguishable pods.
#[derive(Debug, Clone)]
struct Class {
    representative: PodId,
    namespace: usize,
}

/// A rule compiled against the classes: which classes and external ranges its peers match, and its ports.
#[derive(Debug)]
struct CompiledRule<'c> {
    peer_classes: BitSet,
    peer_externals: Vec<bool>,
    rule: &'c Rule,
    /// The connection set when it does not depend on the destination (no named ports).
    fixed: Option<u32>,
}

/// The connectivity of a whole cluster.
#[derive(Debug)]
pub struct Connectivity {
    externals: Vec<IpRange>,
    class_of: Vec<usize>,
    class_count: usize,
    interner: Interner,
    /// `pod_pod[src_class * classes + dst_class]`.
    pod_pod: Vec<u32>,
    /// `pod_external[src_class * externals + range]`.
    pod_external: Vec<u32>,
    /// `external_pod[range * classes + dst_class]`.
    external_pod: Vec<u32>,
}

impl Connectivity {
    /// Computes the connections allowed between every pair of pods, and between pods and external address ranges.
    pub fn compute(cluster: &Cluster) -> Connectivity {
        Builder::new(cluster).build()
    }

    /// The disjoint external address ranges: every ipBlock of every policy is a union of whole ranges.
    pub fn externals(&self) -> &[IpRange] {
        &self.externals
    }

    /// The connections allowed from `source` to `destination`. Between two external ranges nothing is judged, so
    /// the answer is "no connections".
    pub fn between(&self, source: Node, destination: Node) -> &Connections {
        let id = match (source, destination) {
            (Node::Pod(s), Node::Pod(d)) => self.pod_pod[self.class_of[s.0] * self.class_count + self.class_of[d.0]],
            (Node::Pod(s), Node::External(e)) => self.pod_external[self.class_of[s.0] * self.externals.len() + e],
            (Node::External(e), Node::Pod(d)) => self.external_pod[e * self.class_count + self.class_of[d.0]],
            (Node::External(_), Node::External(_)) => NONE,
        };
        &self.interner.values[id as usize]
    }

    /// How many distinct pod classes the computation worked on.
    pub fn class_count(&self) -> usize {
        self.class_count
    }
}

struct Builder<'c> {
    cluster: &'c Cluster,
    classes: Vec<Class>,
    class_of: Vec<usize>,
    namespaces: Vec<(String, Labels)>,
    /// Classes per namespace index.
    by_namespace: Vec<Vec<usize>>,
    externals: Vec<IpRange>,
    interner: Interner,
}

type ClassKey<'a> = (&'a str, &'a Labels, Vec<&'a ContainerPort>, Option<std::net::IpAddr>);

impl<'c> Builder<'c> {
    fn new(cluster: &'c Cluster) -> Builder<'c> {
        let mut namespace_index: HashMap<&str, usize> = HashMap::new();
        let mut namespaces = Vec::new();
        let mut keys: HashMap<ClassKey<'c>, usize> = HashMap::new();
        let mut classes = Vec::new();
        let mut class_of = Vec::with_capacity(cluster.pods.len());
        let mut by_namespace: Vec<Vec<usize>> = Vec::new();
        for (index, pod) in cluster.pods.iter().enumerate() {
            let namespace = *namespace_index.entry(pod.namespace.as_str()).or_insert_with(|| {
                namespaces.push((pod.namespace.clone(), cluster.namespace_labels(&pod.namespace)));
                by_namespace.push(Vec::new());
                namespaces.len() - 1
            });
            let mut ports: Vec<&ContainerPort> = pod.ports().collect();
            ports.sort();
            let key = (pod.namespace.as_str(), &pod.labels, ports, pod.observed_ip);
            let class = *keys.entry(key).or_insert_with(|| {
                classes.push(Class {
                    representative: PodId(index),
                    namespace,
                });
                by_namespace[namespace].push(classes.len() - 1);
                classes.len() - 1
            });
            class_of.push(class);
        }
        let blocks: Vec<IpRange> = cluster
            .policies
            .iter()
            .flat_map(|p| p.ingress.iter().chain(&p.egress))
            .flat_map(|r| &r.peers)
            .flat_map(|peer| match peer {
                Peer::IpBlock { cidr, except } => std::iter::once(cidr.range()).chain(except.iter().map(|e| e.range())).collect(),
                Peer::Pods { .. } => Vec::new(),
            })
            .collect();
        Builder {
            cluster,
            classes,
            class_of,
            namespaces,
            by_namespace,
            externals: partition(&blocks),
            interner: Interner::new(),
        }
    }

    fn build(mut self) -> Connectivity {
        let class_count = self.classes.len();
        let external_count = self.externals.len();
        let ingress_rules = self.compile_rules(Direction::Ingress);
        let egress_rules = self.compile_rules(Direction::Egress);

        // Ingress side: for each destination class, what each source class and external range may open.
        let mut pod_pod = vec![ALL; class_count * class_count];
        let mut external_pod = vec![ALL; external_count * class_count];
        for destination in 0..class_count {
            let Some(rules) = &ingress_rules[destination] else { continue };
            let mut from_classes = vec![NONE; class_count];
            let mut from_externals = vec![NONE; external_count];
            for rule in rules {
                let connections = self.rule_connections(rule, Some(destination));
                for source in rule.peer_classes.iter() {
                    from_classes[source] = self.interner.union(from_classes[source], connections);
                }
                for (range, matched) in rule.peer_externals.iter().enumerate() {
                    if *matched {
                        from_externals[range] = self.interner.union(from_externals[range], connections);
                    }
                }
            }
            for source in 0..class_count {
                pod_pod[source * class_count + destination] = from_classes[source];
            }
            for range in 0..external_count {
                external_pod[range * class_count + destination] = from_externals[range];
            }
        }

        // Egress side, intersected in place: for each source class, what it may open to each destination.
        let mut pod_external = vec![ALL; class_count * external_count];
        for source in 0..class_count {
            let Some(rules) = &egress_rules[source] else { continue };
            let mut to_classes = vec![NONE; class_count];
            let mut to_externals = vec![NONE; external_count];
            for rule in rules {
                match rule.fixed {
                    Some(connections) => {
                        for destination in rule.peer_classes.iter() {
                            to_classes[destination] = self.interner.union(to_classes[destination], connections);
                        }
                    }
                    None => {
                        for destination in rule.peer_classes.iter() {
                            let connections = self.rule_connections(rule, Some(destination));
                            to_classes[destination] = self.interner.union(to_classes[destination], connections);
                        }
                    }
                }
                let external_connections = self.rule_connections(rule, None);
                for (range, matched) in rule.peer_externals.iter().enumerate() {
                    if *matched {
                        to_externals[range] = self.interner.union(to_externals[range], external_connections);
                    }
                }
            }
            let row = &mut pod_pod[source * class_count..(source + 1) * class_count];
            for (cell, egress) in row.iter_mut().zip(to_classes) {
                *cell = self.interner.intersection(*cell, egress);
            }
            pod_external[source * external_count..(source + 1) * external_count].copy_from_slice(&to_externals);
        }

        Connectivity {
            externals: self.externals,
            class_of: self.class_of,
            class_count,
            interner: self.interner,
            pod_pod,
            pod_external,
            external_pod,
        }
    }

    /// The connections a rule allows towards a destination class (or an external range, `None`).
    fn rule_connections(&mut self, rule: &CompiledRule<'_>, destination: Option<usize>) -> u32 {
        if let Some(fixed) = rule.fixed {
            return fixed;
        }
        let pod = destination.map(|d| self.cluster.pod(self.classes[d].representative));
        let connections = rule.rule.connections(pod);
        self.interner.intern(connections)
    }

    /// For each class, the rules of the policies that isolate it in `direction`; `None` when it is not isolated.
    fn compile_rules(&mut self, direction: Direction) -> Vec<Option<Vec<CompiledRule<'c>>>> {
        let class_count = self.classes.len();
        let mut per_class: Vec<Option<Vec<CompiledRule<'c>>>> = (0..class_count).map(|_| None).collect();
        let cluster = self.cluster;
        for policy in cluster.policies.iter().filter(|p| p.isolates(direction)) {
            let Some(namespace) = self.namespaces.iter().position(|(name, _)| *name == policy.namespace) else {
                continue;
            };
            let selected: Vec<usize> = self.by_namespace[namespace]
                .iter()
                .copied()
                .filter(|&c| policy.pod_selector.matches(&cluster.pod(self.classes[c].representative).labels))
                .collect();
            if selected.is_empty() {
                continue;
            }
            let rules: Vec<(BitSet, Vec<bool>, &'c Rule)> =
                policy.rules(direction).iter().map(|rule| self.compile_peers(rule)).collect();
            for class in selected {
                let entry = per_class[class].get_or_insert_with(Vec::new);
                for (peer_classes, peer_externals, rule) in &rules {
                    let fixed = (!rule.ports.iter().any(|p| matches!(p, PortMatch::Named { .. })))
                        .then(|| rule.connections(None))
                        .map(|c| self.interner.intern(c));
                    entry.push(CompiledRule {
                        peer_classes: peer_classes.clone(),
                        peer_externals: peer_externals.clone(),
                        rule,
                        fixed,
                    });
                }
            }
        }
        per_class
    }

    /// Evaluates a rule's peers once per class and per external range.
    fn compile_peers(&self, rule: &'c Rule) -> (BitSet, Vec<bool>, &'c Rule) {
        let class_count = self.classes.len();
        let mut classes = BitSet::new(class_count);
        let mut externals = vec![false; self.externals.len()];
        if rule.peers.is_empty() {
            for class in 0..class_count {
                classes.insert(class);
            }
            externals.iter_mut().for_each(|e| *e = true);
            return (classes, externals, rule);
        }
        for peer in &rule.peers {
            match peer {
                Peer::Pods { namespaces, pods } => {
                    let mut matched = BitSet::new(class_count);
                    for (index, (name, labels)) in self.namespaces.iter().enumerate() {
                        let namespace_ok = match namespaces {
                            NamespaceScope::Own(own) => own == name,
                            NamespaceScope::Matching(selector) => selector.matches(labels),
                        };
                        if !namespace_ok {
                            continue;
                        }
                        for &class in &self.by_namespace[index] {
                            if pods.matches(&self.cluster.pod(self.classes[class].representative).labels) {
                                matched.insert(class);
                            }
                        }
                    }
                    classes.union_with(&matched);
                }
                Peer::IpBlock { .. } => {
                    for class in 0..class_count {
                        if !classes.contains(class) && peer.matches(self.cluster, &self.remote_of(class)) {
                            classes.insert(class);
                        }
                    }
                    for (index, range) in self.externals.iter().enumerate() {
                        if peer.matches(self.cluster, &Remote::External(*range)) {
                            externals[index] = true;
                        }
                    }
                }
            }
        }
        (classes, externals, rule)
    }

    fn remote_of(&self, class: usize) -> Remote<'_> {
        let pod = self.cluster.pod(self.classes[class].representative);
        Remote::Pod {
            pod,
            namespace_labels: &self.namespaces[self.classes[class].namespace].1,
            ip: pod.observed_ip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{allowed_connections, remote_pod};
    use proptest::prelude::*;

    /// The per-pair reference: the source's egress intersected with the destination's ingress.
    fn reference(cluster: &Cluster, source: Node, destination: Node, externals: &[IpRange]) -> Connections {
        fn remote<'a>(cluster: &'a Cluster, node: Node, labels: &'a Labels, externals: &[IpRange]) -> Remote<'a> {
            match node {
                Node::Pod(id) => remote_pod(cluster, id, labels),
                Node::External(e) => Remote::External(externals[e]),
            }
        }
        let labels_of = |node: Node| match node {
            Node::Pod(id) => cluster.namespace_labels(&cluster.pod(id).namespace),
            Node::External(_) => Labels::new(),
        };
        let (source_labels, destination_labels) = (labels_of(source), labels_of(destination));
        let egress = match source {
            Node::Pod(id) => allowed_connections(cluster, Direction::Egress, id, &remote(cluster, destination, &destination_labels, externals)),
            Node::External(_) => Connections::all(),
        };
        let ingress = match destination {
            Node::Pod(id) => allowed_connections(cluster, Direction::Ingress, id, &remote(cluster, source, &source_labels, externals)),
            Node::External(_) => Connections::all(),
        };
        egress.intersection(&ingress)
    }

    fn pod_yaml(namespace: &str, name: &str, app: &str, tier: Option<&str>, ports: &[(u16, &str, &str)], ip: Option<&str>) -> String {
        let mut yaml = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels:\n    app: {app}\n");
        if let Some(tier) = tier {
            yaml += &format!("    tier: {tier}\n");
        }
        yaml += "spec:\n  containers:\n  - name: c\n    image: x\n";
        if !ports.is_empty() {
            yaml += "    ports:\n";
            for (port, name, protocol) in ports {
                yaml += &format!("    - containerPort: {port}\n      name: {name}\n      protocol: {protocol}\n");
            }
        }
        if let Some(ip) = ip {
            yaml += &format!("status:\n  podIP: {ip}\n");
        }
        yaml
    }

    fn peer_yaml(kind: u8, a: &str) -> String {
        match kind % 6 {
            0 => format!("    - podSelector:\n        matchLabels:\n          app: {a}\n"),
            1 => format!("    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {a}\n"),
            2 => format!("    - namespaceSelector:\n        matchLabels:\n          team: {a}\n      podSelector:\n        matchExpressions:\n        - key: tier\n          operator: Exists\n"),
            3 => "    - ipBlock:\n        cidr: 10.0.0.0/8\n        except:\n        - 10.1.0.0/16\n".to_owned(),
            4 => "    - namespaceSelector: {}\n".to_owned(),
            _ => format!("    - podSelector:\n        matchExpressions:\n        - key: app\n          operator: NotIn\n          values: [{a}]\n"),
        }
    }

    fn ports_yaml(kind: u8) -> &'static str {
        match kind % 5 {
            0 => "",
            1 => "    ports:\n    - port: 80\n",
            2 => "    ports:\n    - port: web\n    - protocol: UDP\n      port: 53\n",
            3 => "    ports:\n    - port: 70\n      endPort: 90\n",
            _ => "    ports:\n    - protocol: UDP\n",
        }
    }

    prop_compose! {
        fn arb_cluster()(
            pods in proptest::collection::vec((0usize..3, 0usize..3, any::<bool>(), 0u8..4, any::<bool>()), 1..7),
            policies in proptest::collection::vec((0usize..3, 0usize..4, any::<bool>(), any::<bool>(), proptest::collection::vec((0u8..6, 0usize..3, 0u8..5), 0..3)), 0..5),
        ) -> String {
            let namespaces = ["x", "y", "z"];
            let apps = ["a", "b", "c"];
            let mut yaml = String::new();
            for (index, namespace) in namespaces.iter().enumerate() {
                yaml += &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n    team: {}\n---\n", apps[index % 2]);
            }
            for (index, (ns, app, tiered, ports, has_ip)) in pods.iter().enumerate() {
                let port_list: &[(u16, &str, &str)] = match ports {
                    0 => &[],
                    1 => &[(80, "web", "TCP")],
                    2 => &[(81, "web", "TCP"), (53, "dns", "UDP")],
                    _ => &[(8080, "http", "TCP")],
                };
                let ip = format!("10.{}.0.{}", index % 3, index + 2);
                yaml += &pod_yaml(namespaces[*ns], &format!("p{index}"), apps[*app], tiered.then_some("t"), port_list, has_ip.then_some(ip.as_str()));
                yaml += "---\n";
            }
            for (index, (ns, selected, ingress, egress, rules)) in policies.iter().enumerate() {
                yaml += &format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np{index}\n  namespace: {}\nspec:\n", namespaces[*ns]);
                yaml += &match selected { 3 => "  podSelector: {}\n".to_owned(), s => format!("  podSelector:\n    matchLabels:\n      app: {}\n", apps[*s]) };
                yaml += "  policyTypes:\n";
                if *ingress || !*egress { yaml += "  - Ingress\n"; }
                if *egress { yaml += "  - Egress\n"; }
                for direction in ["ingress", "egress"] {
                    yaml += &format!("  {direction}:\n");
                    let peers_field = if direction == "ingress" { "from" } else { "to" };
                    if rules.is_empty() { yaml += "  - {}\n"; }
                    for (peer, app, ports) in rules {
                        yaml += &format!("  - {peers_field}:\n{}", peer_yaml(*peer, apps[*app]));
                        yaml += ports_yaml(*ports);
                    }
                }
                yaml += "---\n";
            }
            yaml
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matrix_agrees_with_pairwise_evaluation(yaml in arb_cluster()) {
            let loaded = knet_object::load_str("gen.yaml", &yaml);
            prop_assert!(loaded.errors.is_empty(), "{:?}\n{yaml}", loaded.errors);
            let cluster = Cluster::from_manifests(&loaded.manifests);
            prop_assert!(cluster.problems.is_empty(), "{:?}", cluster.problems);
            let matrix = Connectivity::compute(&cluster);
            let mut nodes: Vec<Node> = cluster.pod_ids().map(Node::Pod).collect();
            nodes.extend((0..matrix.externals().len()).map(Node::External));
            for &source in &nodes {
                for &destination in &nodes {
                    if matches!((source, destination), (Node::External(_), Node::External(_))) { continue; }
                    let expected = reference(&cluster, source, destination, matrix.externals());
                    prop_assert_eq!(matrix.between(source, destination), &expected, "{:?} -> {:?}\n{}", source, destination, yaml);
                }
            }
        }
    }
}
