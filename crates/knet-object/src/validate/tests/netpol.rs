//! NetworkPolicies: policy types, peers, IP blocks, ports.

use expect_test::expect;

use super::check;

#[test]
fn a_plain_policy_is_valid() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: prod}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports: [{port: 5432}, {port: metrics, protocol: TCP}, {port: 8000, endPort: 8080}]
  egress: [{}]
"#,
        expect![[r#"
            NetworkPolicy "db": valid
        "#]],
    );
}

#[test]
fn policy_types() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: foo}
spec: {podSelector: {}, policyTypes: [Ingress, Foo]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: three}
spec: {podSelector: {}, policyTypes: [Ingress, Egress, Ingress]}
"#,
        expect![[r#"
            NetworkPolicy "foo": spec.policyTypes[1]: Unsupported value: "Foo": supported values: "Ingress", "Egress"
            NetworkPolicy "three": spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes
        "#]],
    );
}

#[test]
fn peers() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  ingress:
  - from:
    - {}
    - ipBlock: {cidr: 10.0.0.0/8}
      podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: ""}
    - ipBlock: {cidr: 10.0.0.0/33}
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/16, 10.0.0.0/16, 10.0.1.0/24, nope]}
    - ipBlock: {cidr: "2001:db8::/64", except: ["10.0.0.0/8"]}
"#,
        expect![[r#"
            NetworkPolicy "p": spec.ingress[0].from[0]: Required value: must specify a peer
            NetworkPolicy "p": spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer
            NetworkPolicy "p": spec.egress[0].to[0].ipBlock.cidr: Required value
            NetworkPolicy "p": spec.egress[0].to[1].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)
            NetworkPolicy "p": spec.egress[0].to[2].ipBlock.except[0]: Invalid value: "10.1.0.0/16": must be a strict subset of `cidr`
            NetworkPolicy "p": spec.egress[0].to[2].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`
            NetworkPolicy "p": spec.egress[0].to[2].ipBlock.except[3]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)
            NetworkPolicy "p": spec.egress[0].to[3].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`
        "#]],
    );
}

#[test]
fn ports() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  ingress:
  - ports:
    - {port: 0}
    - {port: 80, protocol: ICMP}
    - {port: http, endPort: 90}
    - {port: 80, endPort: 79}
    - {endPort: 80}
    - {port: "-web-"}
    - {port: 80, endPort: 70000}
"#,
        expect![[r#"
            NetworkPolicy "p": spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive
            NetworkPolicy "p": spec.ingress[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"
            NetworkPolicy "p": spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is non-numeric
            NetworkPolicy "p": spec.ingress[0].ports[3].endPort: Invalid value: 79: must be greater than or equal to `port`
            NetworkPolicy "p": spec.ingress[0].ports[4].endPort: Invalid value: 80: may not be specified when `port` is not specified
            NetworkPolicy "p": spec.ingress[0].ports[5].port: Invalid value: "-web-": must not begin or end with a hyphen
            NetworkPolicy "p": spec.ingress[0].ports[6].endPort: Invalid value: 70000: must be between 1 and 65535, inclusive
        "#]],
    );
}
