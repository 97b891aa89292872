//! Generated clusters for benchmarks: many namespaces, workloads and policies with the mix real clusters have —
//! default-deny per namespace, app-to-app rules on numeric and named ports, namespace selectors, set expressions and
//! ipBlocks with exceptions. Deterministic for a given size, so runs compare.

use std::fmt::Write as _;

/// The size of a generated cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub workloads: usize,
    pub policies: usize,
}

/// A small deterministic generator (SplitMix64), so the benchmark needs no random-number crate.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TIERS: [&str; 4] = ["web", "api", "db", "cache"];

/// Container port sets the workloads draw from: (port, name, protocol).
const PORT_SETS: [&[(u16, &str, &str)]; 4] = [
    &[(80, "http", "TCP")],
    &[(8080, "http", "TCP"), (9090, "metrics", "TCP")],
    &[(5432, "postgres", "TCP")],
    &[(53, "dns", "UDP"), (53, "dns-tcp", "TCP")],
];

/// Generates the manifests of a cluster of the given shape as one multi-document YAML text.
pub fn generate(shape: Shape) -> String {
    let mut rng = Rng(0x6b6e_6574 ^ (shape.workloads as u64) << 20 ^ shape.policies as u64);
    let namespaces = (shape.workloads / 100).max(1);
    let apps = (shape.workloads / 4).max(1);
    let mut out = String::with_capacity(shape.workloads * 400 + shape.policies * 500);
    for ns in 0..namespaces {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{ns}\n  labels:\n    team: t{}\n    env: {}\n---\n",
            ns % 10,
            if ns % 3 == 0 { "prod" } else { "dev" }
        );
    }
    for w in 0..shape.workloads {
        let ns = w % namespaces;
        let app = rng.below(apps);
        let tier = TIERS[rng.below(TIERS.len())];
        let ports = PORT_SETS[rng.below(PORT_SETS.len())];
        let _ = write!(
            out,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w-{w}\n  namespace: ns-{ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: a{app}\n  template:\n    metadata:\n      labels:\n        app: a{app}\n        tier: {tier}\n    spec:\n      containers:\n      - name: main\n        image: app\n        ports:\n"
        );
        for (port, name, protocol) in ports {
            let _ = write!(
                out,
                "        - containerPort: {port}\n          name: {name}\n          protocol: {protocol}\n"
            );
        }
        out.push_str("---\n");
    }
    for p in 0..shape.policies {
        let ns = rng.below(namespaces);
        let app = rng.below(apps);
        let other = rng.below(apps);
        let _ = write!(
            out,
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p-{p}\n  namespace: ns-{ns}\nspec:\n"
        );
        match p % 6 {
            0 => out.push_str("  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\n  egress:\n  - ports:\n    - protocol: UDP\n      port: 53\n"),
            1 => {
                let _ = write!(out, "  podSelector:\n    matchLabels:\n      app: a{app}\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: a{other}\n    ports:\n    - port: 8080\n    - port: 80\n");
            }
            2 => {
                let _ = write!(out, "  podSelector:\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [web, api]\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: t{}\n      podSelector:\n        matchLabels:\n          tier: web\n    ports:\n    - port: http\n", rng.below(10));
            }
            3 => {
                let _ = write!(out, "  podSelector:\n    matchLabels:\n      tier: db\n  policyTypes:\n  - Ingress\n  - Egress\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: api\n    - namespaceSelector:\n        matchLabels:\n          env: prod\n    ports:\n    - port: 5432\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.{0}.0.0/16\n        except:\n        - 10.{0}.{1}.0/24\n    ports:\n    - port: 443\n", p % 250, rng.below(250));
            }
            4 => {
                let _ = write!(out, "  podSelector:\n    matchLabels:\n      app: a{app}\n  policyTypes:\n  - Egress\n  egress:\n  - to:\n    - namespaceSelector: {{}}\n      podSelector:\n        matchExpressions:\n        - key: app\n          operator: NotIn\n          values: [a{other}]\n    ports:\n    - port: metrics\n    - port: 8000\n      endPort: 8100\n");
            }
            _ => {
                let _ = write!(out, "  podSelector:\n    matchLabels:\n      tier: cache\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 192.168.{}.0/24\n    - podSelector:\n        matchLabels:\n          app: a{app}\n", p % 250);
            }
        }
        out.push_str("---\n");
    }
    out
}
