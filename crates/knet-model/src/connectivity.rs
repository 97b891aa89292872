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

    /// The intersection if it needs no new set: a shortcut, or one computed before. Read-only, for lookups.
    fn intersection_of(&self, a: u32, b: u32) -> Option<u32> {
        match (a, b) {
            (NONE, _) | (_, NONE) => Some(NONE),
            (ALL, x) | (x, ALL) => Some(x),
            (a, b) if a == b => Some(a),
            (a, b) => self.intersections.get(&(a.min(b), a.max(b))).copied(),
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
        BitSet { words: vec![0; size.div_ceil(64)] }
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

/// The policies of one direction, compiled once, and which of them isolate each class.
#[derive(Debug)]
struct Compiled<'c> {
    /// Per policy (indexed like `Cluster::policies`), its rules in this direction.
    rules: Vec<Vec<CompiledRule<'c>>>,
    /// Per class, the policies that select it and isolate it in this direction (empty: not isolated).
    isolating: Vec<Vec<usize>>,
}

/// One judged line of the matrix: the connections towards (or from) every class and every external range.
#[derive(Debug, Clone)]
struct Line {
    classes: Vec<u32>,
    externals: Vec<u32>,
}

/// The connectivity of a whole cluster.
///
/// Classes whose isolating policies are the same share one egress row and one ingress column, so memory is
/// (distinct rows + distinct columns) × classes; a pair's answer is the intersection of its row and column cells.
#[derive(Debug)]
pub struct Connectivity {
    externals: Vec<IpRange>,
    class_of: Vec<usize>,
    class_count: usize,
    interner: Interner,
    /// Per class, its egress row, or `None` when it is not isolated for egress (everything allowed).
    row_of: Vec<Option<usize>>,
    rows: Vec<Line>,
    /// Per class, its ingress column, or `None` when it is not isolated for ingress.
    column_of: Vec<Option<usize>>,
    columns: Vec<Line>,
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
        let egress =
            |class: usize, cell: &dyn Fn(&Line) -> u32| self.row_of[class].map_or(ALL, |row| cell(&self.rows[row]));
        let ingress = |class: usize, cell: &dyn Fn(&Line) -> u32| {
            self.column_of[class].map_or(ALL, |column| cell(&self.columns[column]))
        };
        let (allowed_out, allowed_in) = match (source, destination) {
            (Node::Pod(s), Node::Pod(d)) => {
                let (s, d) = (self.class_of[s.0], self.class_of[d.0]);
                (egress(s, &|line| line.classes[d]), ingress(d, &|line| line.classes[s]))
            }
            (Node::Pod(s), Node::External(e)) => (egress(self.class_of[s.0], &|line| line.externals[e]), ALL),
            (Node::External(e), Node::Pod(d)) => (ALL, ingress(self.class_of[d.0], &|line| line.externals[e])),
            (Node::External(_), Node::External(_)) => (NONE, NONE),
        };
        let id = self.interner.intersection_of(allowed_out, allowed_in).unwrap_or(NONE);
        &self.interner.values[id as usize]
    }

    /// How many distinct pod classes the computation worked on.
    pub fn class_count(&self) -> usize {
        self.class_count
    }

    /// Computes, once, every intersection of a row cell and a column cell that a pair of classes needs, so that
    /// [`Connectivity::between`] is a lookup.
    fn memoise_intersections(&mut self) {
        for source in 0..self.class_count {
            let Some(row) = self.row_of[source] else {
                continue;
            };
            for destination in 0..self.class_count {
                let Some(column) = self.column_of[destination] else {
                    continue;
                };
                let (a, b) = (self.rows[row].classes[destination], self.columns[column].classes[source]);
                self.interner.intersection(a, b);
            }
        }
    }

    /// How many distinct egress rows and ingress columns the classes share.
    pub fn line_count(&self) -> (usize, usize) {
        (self.rows.len(), self.columns.len())
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
                classes.push(Class { representative: PodId(index), namespace });
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
                Peer::IpBlock { cidr, except } => {
                    std::iter::once(cidr.range()).chain(except.iter().map(|e| e.range())).collect()
                }
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
        let ingress = self.compile(Direction::Ingress);
        let egress = self.compile(Direction::Egress);
        let (column_of, columns) = self.ingress_columns(&ingress);
        let (row_of, rows) = self.egress_rows(&egress);
        let mut connectivity = Connectivity {
            externals: self.externals,
            class_of: self.class_of,
            class_count: self.classes.len(),
            interner: self.interner,
            row_of,
            rows,
            column_of,
            columns,
        };
        connectivity.memoise_intersections();
        connectivity
    }

    /// For each class isolated for ingress, what every source class and external range may open to it. Classes with
    /// the same isolating policies (and the same named-port resolutions) share one column.
    fn ingress_columns(&mut self, compiled: &Compiled<'c>) -> (Vec<Option<usize>>, Vec<Line>) {
        let mut column_of = vec![None; self.classes.len()];
        let mut columns: Vec<Line> = Vec::new();
        let mut by_signature: HashMap<(Vec<usize>, Vec<u32>), usize> = HashMap::new();
        for (destination, slot) in column_of.iter_mut().enumerate() {
            let policies = &compiled.isolating[destination];
            if policies.is_empty() {
                continue;
            }
            let named: Vec<u32> = policies
                .iter()
                .flat_map(|&p| &compiled.rules[p])
                .filter(|rule| rule.fixed.is_none())
                .map(|rule| self.rule_connections(rule, Some(destination)))
                .collect();
            let signature = (policies.clone(), named);
            if let Some(&column) = by_signature.get(&signature) {
                *slot = Some(column);
                continue;
            }
            let mut line =
                Line { classes: vec![NONE; self.classes.len()], externals: vec![NONE; self.externals.len()] };
            for rule in policies.iter().flat_map(|&p| &compiled.rules[p]) {
                let connections = self.rule_connections(rule, Some(destination));
                self.apply_rule(&mut line, rule, |_| connections);
            }
            columns.push(line);
            by_signature.insert(signature, columns.len() - 1);
            *slot = Some(columns.len() - 1);
        }
        (column_of, columns)
    }

    /// For each class isolated for egress, what it may open to every class and external range. Named ports resolve
    /// on each destination, so a row depends only on the isolating policies: classes share rows by that set.
    fn egress_rows(&mut self, compiled: &Compiled<'c>) -> (Vec<Option<usize>>, Vec<Line>) {
        let mut row_of = vec![None; self.classes.len()];
        let mut rows: Vec<Line> = Vec::new();
        let mut by_signature: HashMap<Vec<usize>, usize> = HashMap::new();
        for (source, slot) in row_of.iter_mut().enumerate() {
            let policies = &compiled.isolating[source];
            if policies.is_empty() {
                continue;
            }
            if let Some(&row) = by_signature.get(policies) {
                *slot = Some(row);
                continue;
            }
            let mut line =
                Line { classes: vec![NONE; self.classes.len()], externals: vec![NONE; self.externals.len()] };
            for rule in policies.iter().flat_map(|&p| &compiled.rules[p]) {
                let mut per_destination: HashMap<usize, u32> = HashMap::new();
                if rule.fixed.is_none() {
                    for destination in rule.peer_classes.iter() {
                        per_destination.insert(destination, self.rule_connections(rule, Some(destination)));
                    }
                }
                let external = self.rule_connections(rule, None);
                self.apply_rule(&mut line, rule, |destination| match destination {
                    Some(d) => per_destination.get(&d).copied().or(rule.fixed).unwrap_or(NONE),
                    None => external,
                });
            }
            rows.push(line);
            by_signature.insert(policies.clone(), rows.len() - 1);
            *slot = Some(rows.len() - 1);
        }
        (row_of, rows)
    }

    /// Adds a rule's connections to every class and external range its peers match.
    fn apply_rule(&mut self, line: &mut Line, rule: &CompiledRule<'_>, connections: impl Fn(Option<usize>) -> u32) {
        for class in rule.peer_classes.iter() {
            line.classes[class] = self.interner.union(line.classes[class], connections(Some(class)));
        }
        for (range, matched) in rule.peer_externals.iter().enumerate() {
            if *matched {
                line.externals[range] = self.interner.union(line.externals[range], connections(None));
            }
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

    /// Compiles every policy's rules of one direction once, and finds the policies isolating each class.
    fn compile(&mut self, direction: Direction) -> Compiled<'c> {
        let cluster = self.cluster;
        let mut isolating: Vec<Vec<usize>> = vec![Vec::new(); self.classes.len()];
        let mut rules = Vec::with_capacity(cluster.policies.len());
        for (index, policy) in cluster.policies.iter().enumerate() {
            let namespace = self.namespaces.iter().position(|(name, _)| *name == policy.namespace);
            let selected: Vec<usize> = match (policy.isolates(direction), namespace) {
                (true, Some(namespace)) => self.by_namespace[namespace]
                    .iter()
                    .copied()
                    .filter(|&c| policy.pod_selector.matches(&cluster.pod(self.classes[c].representative).labels))
                    .collect(),
                _ => Vec::new(),
            };
            if selected.is_empty() {
                rules.push(Vec::new());
                continue;
            }
            for class in selected {
                isolating[class].push(index);
            }
            let compiled = policy
                .rules(direction)
                .iter()
                .map(|rule| {
                    let (peer_classes, peer_externals) = self.compile_peers(rule);
                    let fixed = (!rule.ports.iter().any(|p| matches!(p, PortMatch::Named { .. })))
                        .then(|| self.interner.intern(rule.connections(None)));
                    CompiledRule { peer_classes, peer_externals, rule, fixed }
                })
                .collect();
            rules.push(compiled);
        }
        Compiled { rules, isolating }
    }

    /// Evaluates a rule's peers once per class and per external range.
    fn compile_peers(&self, rule: &Rule) -> (BitSet, Vec<bool>) {
        let class_count = self.classes.len();
        let mut classes = BitSet::new(class_count);
        let mut externals = vec![false; self.externals.len()];
        if rule.peers.is_empty() {
            for class in 0..class_count {
                classes.insert(class);
            }
            externals.iter_mut().for_each(|e| *e = true);
            return (classes, externals);
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
        (classes, externals)
    }

    fn remote_of(&self, class: usize) -> Remote<'_> {
        let pod = self.cluster.pod(self.classes[class].representative);
        Remote::Pod { pod, namespace_labels: &self.namespaces[self.classes[class].namespace].1, ip: pod.observed_ip }
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
            Node::Pod(id) => allowed_connections(
                cluster,
                Direction::Egress,
                id,
                &remote(cluster, destination, &destination_labels, externals),
            ),
            Node::External(_) => Connections::all(),
        };
        let ingress = match destination {
            Node::Pod(id) => allowed_connections(
                cluster,
                Direction::Ingress,
                id,
                &remote(cluster, source, &source_labels, externals),
            ),
            Node::External(_) => Connections::all(),
        };
        egress.intersection(&ingress)
    }

    fn pod_yaml(
        namespace: &str,
        name: &str,
        app: &str,
        tier: Option<&str>,
        ports: &[(u16, &str, &str)],
        ip: Option<&str>,
    ) -> String {
        let mut yaml = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels:\n    app: {app}\n"
        );
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
            1 => {
                format!("    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {a}\n")
            }
            2 => format!(
                "    - namespaceSelector:\n        matchLabels:\n          team: {a}\n      podSelector:\n        matchExpressions:\n        - key: tier\n          operator: Exists\n"
            ),
            3 => "    - ipBlock:\n        cidr: 10.0.0.0/8\n        except:\n        - 10.1.0.0/16\n".to_owned(),
            4 => "    - namespaceSelector: {}\n".to_owned(),
            _ => format!(
                "    - podSelector:\n        matchExpressions:\n        - key: app\n          operator: NotIn\n          values: [{a}]\n"
            ),
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
