//! Small fixtures, one positive (the code fires, with its exact text) and one negative (it does not) per code.

use expect_test::expect;

use super::{codes, report};

/// A Deployment `web` in `default`, labelled app=web, declaring 8080/TCP named `http`.
const WEB: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - {containerPort: 8080, name: http}
";

const SERVICE_SELECTS_NOTHING: &str = "
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web, version: v2}
  ports: [{port: 80, targetPort: 8080}]
";

const SERVICE_OK: &str = "
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
";

const TARGET_PORTS_WRONG: &str = "
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: a, port: 80, targetPort: 9090}
  - {name: b, port: 81, targetPort: metrics}
";

const IDLE_BACKEND: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers:
      - name: backend
        image: node:16-alpine
        command: [/bin/sh]
        args: [-c, echo 'Backend running' && sleep 3600]
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: backend}
spec:
  selector: {app: backend}
  ports: [{port: 8080}]
";

const EXTERNAL_NAME_IP: &str = "
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: 10.0.0.5}
";

const EXTERNAL_NAME_OK: &str = "
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com}
";

/// Every positive fixture, for the test that each code fires somewhere.
pub(super) fn all() -> Vec<String> {
    vec![
        with_web(SERVICE_SELECTS_NOTHING),
        with_web(TARGET_PORTS_WRONG),
        IDLE_BACKEND.to_owned(),
        EXTERNAL_NAME_IP.to_owned(),
        with_web(MONITORING_BY_NAME),
        with_web(PEER_IN_OTHER_NAMESPACE),
        with_web(POLICY_FOR_NOBODY),
        with_web(EGRESS_WITHOUT_TYPES),
        with_web(EGRESS_RULES_IGNORED),
        with_web(DENY_ALL),
        with_web(DNS_UDP_ONLY),
    ]
}

fn with_web(yaml: &str) -> String {
    format!("{WEB}---{yaml}")
}

#[test]
fn kn1001_service_selects_no_pod() {
    expect![[r#"
        fixture.yaml:16  warning  KN1001  Service default/web  spec.selector
            service "web": selector app=web,version=v2 matches no pod in namespace default in the given manifests, so the Service has no endpoints and connections to it are refused.
            hint: Deployment default/web has some of these labels but not version=v2; the selector needs all of them.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(SERVICE_SELECTS_NOTHING)));
    assert!(!codes(&with_web(SERVICE_OK)).contains("KN1001"));
}

#[test]
fn kn1002_kn1003_target_ports() {
    expect![[r#"
        fixture.yaml:16  error    KN1003  Service default/web  spec.ports[1].targetPort
            service "web" port 81 (b): targetPort "metrics" names no TCP container port of the pods it selects (app=web), so the Service port has no endpoints. They declare: Deployment default/web (8080/TCP "http").
            hint: Name the container port "metrics" (ports[].name, protocol TCP) in the pod template, or set targetPort to the port number.
        fixture.yaml:16  warning  KN1002  Service default/web  spec.ports[0].targetPort
            service "web" port 80 (a): targetPort 9090/TCP is not declared by any container of Deployment default/web (8080/TCP "http"); connections go to port 9090 all the same, and are refused unless the process listens there (knet's built-in workload listens only on declared ports).
            hint: Point targetPort at a declared container port, or declare containerPort 9090 if the process listens there.

        1 error, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(TARGET_PORTS_WRONG)));
    let ok = codes(&with_web(SERVICE_OK));
    assert!(!ok.contains("KN1002") && !ok.contains("KN1003"), "{ok:?}");
}

#[test]
fn kn1004_nothing_listens() {
    expect![[r#"
        fixture.yaml:1  info  KN1004  Deployment default/backend  spec.template.spec.containers[0].args
            deployment backend runs `echo 'Backend running' && sleep 3600`; nothing listens on 8080/TCP, so connections through service "backend" port 8080 reach the pod and are refused.
            hint: A containerPort only documents a port; run a server that listens on it (or expect the Service to refuse connections). No policy or Service setting is at fault.

        0 errors, 0 warnings, 1 info.
    "#]].assert_eq(&report(IDLE_BACKEND));
    assert!(!codes(&with_web(SERVICE_OK)).contains("KN1004"));
}

#[test]
fn kn1005_external_name_is_ip() {
    expect![[r#"
        fixture.yaml:1  error  KN1005  Service default/db  spec.externalName
            service "db": externalName "10.0.0.5" is an IP address; the cluster DNS answers the Service's name with a CNAME to "10.0.0.5", a name that does not exist, so lookups fail with NXDOMAIN.
            hint: Use a DNS name in externalName; for a fixed address, use a Service without a selector and an EndpointSlice holding the address.

        1 error, 0 warnings, 0 infos.
    "#]].assert_eq(&report(EXTERNAL_NAME_IP));
    assert!(codes(EXTERNAL_NAME_OK).is_empty());
}

const MONITORING_BY_NAME: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-monitoring}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {name: monitoring}}
    ports: [{port: 9090}]
";

const MONITORING_BY_METADATA_NAME: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-monitoring}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
    ports: [{port: 9090}]
";

/// `frontend` lives in namespace `shop`, the policy in `default`: a bare podSelector only covers `default`.
const PEER_IN_OTHER_NAMESPACE: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers: [{name: nginx, image: nginx}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-to-web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
";

const PEER_WITH_NAMESPACE: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers: [{name: nginx, image: nginx}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-to-web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: frontend}}
";

const POLICY_FOR_NOBODY: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api}
spec:
  podSelector: {matchLabels: {app: api}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: empty}
spec:
  podSelector: {matchLabels: {app: db}}
";

/// Egress rules, no ingress rules, no policyTypes: isolates ingress too.
const EGRESS_WITHOUT_TYPES: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
  - to: [{podSelector: {matchLabels: {app: web}}}]
";

const EGRESS_WITH_TYPES: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
";

/// `policyTypes: [Ingress]` with egress rules: the egress rules are ignored.
const EGRESS_RULES_IGNORED: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
";

const DENY_ALL: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

/// DNS over UDP only, to the cluster DNS pods.
const DNS_UDP_ONLY: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}]
";

/// The guide's exercise 2 shape: UDP 53 to anywhere, and everything to every pod of the cluster.
const DNS_UDP_ANYWHERE_AND_ALL_PODS: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: []
    ports: [{protocol: UDP, port: 53}]
  - to: [{namespaceSelector: {}}]
";

/// A Pod whose resolver is outside the cluster (dnsPolicy Default uses the node's; here None with 8.8.8.8).
const OUTSIDE_RESOLVER_POD: &str = "
apiVersion: v1
kind: Pod
metadata: {name: outside, labels: {app: outside}}
spec:
  dnsPolicy: None
  dnsConfig: {nameservers: [8.8.8.8]}
  containers: [{name: c, image: busybox}]
";

#[test]
fn kn2001_namespace_selector_matches_nothing() {
    expect![[r#"
        fixture.yaml:16  warning  KN2001  NetworkPolicy default/allow-monitoring  spec.ingress[0].from[0].namespaceSelector
            networkpolicy "allow-monitoring" spec.ingress[0].from[0]: namespaceSelector name=monitoring matches no namespace in the given manifests, so this peer allows nothing (unless a namespace of the real cluster carries that label).
            hint: namespaces carry the label kubernetes.io/metadata.name=monitoring, not name=monitoring, unless someone added it: select `kubernetes.io/metadata.name: monitoring` instead.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(MONITORING_BY_NAME)));
    assert!(!codes(&with_web(MONITORING_BY_METADATA_NAME)).contains("KN2001"));
}

#[test]
fn kn2002_pod_selector_matches_nothing() {
    expect![[r#"
        fixture.yaml:26  warning  KN2002  NetworkPolicy default/frontend-to-web  spec.ingress[0].from[0].podSelector
            networkpolicy "frontend-to-web" spec.ingress[0].from[0]: podSelector app=frontend matches no pod in namespace default in the given manifests, so this peer allows nothing here (it may match pods of the real cluster).
            hint: Deployment shop/frontend would match, in another namespace: a podSelector without a namespaceSelector only covers the policy's own namespace; add a namespaceSelector (kubernetes.io/metadata.name) in the same peer.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(PEER_IN_OTHER_NAMESPACE)));
    assert!(!codes(&with_web(PEER_WITH_NAMESPACE)).contains("KN2002"));
}

#[test]
fn kn2003_policy_selects_no_pod() {
    expect![[r#"
        fixture.yaml:16  warning  KN2003  NetworkPolicy default/api  spec.podSelector
            networkpolicy "api": podSelector app=api selects no pod: no workload of namespace default has labels app=api (1 workload in the given manifests), so the policy has no effect here.
        fixture.yaml:22  info     KN2003  NetworkPolicy empty/db     spec.podSelector
            networkpolicy "db": podSelector app=db selects no pod: namespace empty has no pods in the given manifests, so the policy has no effect here.

        0 errors, 1 warning, 1 info.
    "#]].assert_eq(&report(&with_web(POLICY_FOR_NOBODY)));
    assert!(!codes(&with_web(EGRESS_WITH_TYPES)).contains("KN2003"));
}

#[test]
fn kn2004_egress_policy_isolates_ingress() {
    expect![[r#"
        fixture.yaml:16  warning  KN2004  NetworkPolicy default/web-egress  spec.policyTypes
            networkpolicy "web-egress" has egress rules, no ingress rules and no policyTypes, so policyTypes defaults to [Ingress, Egress]: it also denies all incoming traffic to the pods it selects.
            hint: Write `policyTypes: [Egress]` if the policy is meant to restrict egress only.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(EGRESS_WITHOUT_TYPES)));
    assert!(!codes(&with_web(EGRESS_WITH_TYPES)).contains("KN2004"));
}

#[test]
fn kn2005_rules_ignored_by_policy_types() {
    expect![[r#"
        fixture.yaml:16  warning  KN2005  NetworkPolicy default/web  spec.egress
            networkpolicy "web" has egress rules, but policyTypes does not list Egress, so the egress rules are ignored.
            hint: Add Egress to spec.policyTypes (which also isolates the selected pods for egress), or remove the rules.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(EGRESS_RULES_IGNORED)));
    assert!(!codes(&with_web(EGRESS_WITH_TYPES)).contains("KN2005"));
}

#[test]
fn kn2006_dns_udp_blocked() {
    expect![[r#"
        fixture.yaml:1  error  KN2006  Deployment default/web
            deployment web is isolated for egress by networkpolicy "deny-all", and UDP 53 to the cluster DNS (service kube-system/kube-dns at 10.96.0.10) is blocked (no egress rule of the pod allows it), so every DNS lookup of the pod fails.
            hint: Add an egress rule `to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]` with `ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]`.

        1 error, 0 warnings, 0 infos.
    "#]].assert_eq(&report(&with_web(DENY_ALL)));
    // Both DNS protocols allowed: nothing to say.
    let fine = codes(&with_web(EGRESS_WITH_TYPES));
    assert!(!fine.contains("KN2006") && !fine.contains("KN2007"), "{fine:?}");
}

#[test]
fn kn2007_dns_tcp_blocked() {
    expect![[r#"
        fixture.yaml:1  warning  KN2007  Deployment default/web
            deployment web is isolated for egress by networkpolicy "dns"; UDP 53 to the cluster DNS (service kube-system/kube-dns at 10.96.0.10) is allowed but TCP 53 is blocked (no egress rule of the pod allows it), so lookups whose answers are truncated (large records, many endpoints) fail.
            hint: Allow TCP 53 next to UDP 53 in the DNS egress rule.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&with_web(DNS_UDP_ONLY)));
}

/// Regression: the guide's `allow-dns-egress` allows UDP 53 anywhere and all ports to every pod, so the cluster DNS
/// works over TCP too; lint must not claim otherwise, and notes only the gap towards resolvers outside the cluster.
#[test]
fn kn2007_follows_the_model_not_the_rule_shape() {
    expect![[r#"
        fixture.yaml:16  info  KN2007  NetworkPolicy default/allow-dns-egress  spec.egress[0].ports
            networkpolicy "allow-dns-egress" spec.egress[0] allows UDP 53 to every address, but no policy allows TCP 53 outside the cluster for deployment web. The cluster DNS is reachable over UDP and TCP, so this only matters to a resolver outside the cluster, where lookups with truncated answers fail.
            hint: Add `{protocol: TCP, port: 53}` next to the UDP entry.

        0 errors, 0 warnings, 1 info.
    "#]].assert_eq(&report(&with_web(DNS_UDP_ANYWHERE_AND_ALL_PODS)));
    // A pod whose resolver is outside the cluster does lose TCP 53.
    let yaml = format!("{OUTSIDE_RESOLVER_POD}---{DNS_UDP_ANYWHERE_AND_ALL_PODS}");
    expect![[r#"
        fixture.yaml:1  warning  KN2007  Pod default/outside
            pod outside is isolated for egress by networkpolicy "allow-dns-egress"; UDP 53 to nameserver 8.8.8.8 is allowed but TCP 53 is blocked (no egress rule of the pod allows it), so lookups whose answers are truncated (large records, many endpoints) fail.
            hint: Allow TCP 53 next to UDP 53 in the DNS egress rule.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&yaml));
}
