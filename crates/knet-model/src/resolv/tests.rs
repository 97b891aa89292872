//! Snapshot tests of resolv.conf generation and of the search walk. Re-bless with `UPDATE_EXPECT=1`.

use std::fmt::Write as _;

use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::*;
use crate::dns::RecordType;

/// The guide's microservices namespace, its `custom-dns-pod` and DNS-tuning pod, and one pod per policy.
const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: microservices}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: microservices}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers: [{name: frontend, image: nginx}]
---
apiVersion: v1
kind: Service
metadata: {name: backend-service, namespace: microservices}
spec:
  clusterIP: 10.96.0.12
  selector: {app: backend}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: custom-dns-pod
spec:
  dnsPolicy: "None"
  dnsConfig:
    nameservers:
    - 8.8.8.8
    - 1.1.1.1
    searches:
    - production.svc.cluster.local
    - svc.cluster.local
    - cluster.local
    options:
    - name: ndots
      value: "2"
  containers:
  - name: app
    image: nginx
---
apiVersion: v1
kind: Pod
metadata: {name: dns-tuned, namespace: microservices}
spec:
  dnsConfig:
    options:
    - name: ndots
      value: "1"
    - name: timeout
      value: "1"
    - name: attempts
      value: "2"
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: merged, namespace: microservices}
spec:
  dnsConfig:
    nameservers: [10.96.0.10, 192.0.2.53]
    searches: [svc.cluster.local, corp.example.com, partner.example.net.]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: host-net, namespace: microservices}
spec:
  hostNetwork: true
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: host-net-cluster-dns, namespace: microservices}
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: node-dns, namespace: microservices}
spec:
  dnsPolicy: Default
  dnsConfig:
    nameservers: [192.0.2.53, 192.0.2.54]
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: none-without-config, namespace: microservices}
spec:
  dnsPolicy: None
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: lowercase-policy, namespace: microservices}
spec:
  dnsPolicy: clusterfirst
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: named-nameserver, namespace: microservices}
spec:
  dnsConfig:
    nameservers: [dns.google]
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: uppercase-search, namespace: microservices}
spec:
  dnsConfig:
    searches: [Corp.Example.com]
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: four-nameservers, namespace: microservices}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]
  containers: [{name: app, image: nginx}]
"#;

fn cluster_with(config: ClusterConfig) -> Cluster {
    let loaded = knet_object::load_str("test.yaml", FIXTURE);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Cluster::build(config, &loaded.manifests)
}

/// A node whose own resolv.conf has two nameservers and two search domains.
fn with_host_dns() -> Cluster {
    cluster_with(ClusterConfig {
        host_search: vec!["corp.example.com".into(), "example.com.".into()],
        host_nameservers: vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()],
        ..ClusterConfig::default()
    })
}

fn pod<'c>(cluster: &'c Cluster, qualified: &str) -> &'c Pod {
    let (namespace, name) = qualified.split_once('/').expect("namespace/name");
    cluster.pod(cluster.find_pod(namespace, name).expect("pod exists"))
}

fn check_confs(cluster: &Cluster, pods: &[&str], expect: Expect) {
    let mut out = String::new();
    for qualified in pods {
        let pod = pod(cluster, qualified);
        let host = if pod.host_network { ", hostNetwork" } else { "" };
        let _ = writeln!(out, "== {qualified} (dnsPolicy {}{host})", pod.dns_policy);
        match resolv_conf(cluster, pod) {
            Ok(conf) => {
                out.push_str(&conf.to_string());
                for warning in &conf.warnings {
                    let _ = writeln!(out, "# warning: {warning}");
                }
            }
            Err(error) => {
                let _ = writeln!(out, "error: {error}");
            }
        }
    }
    expect.assert_eq(&out);
}

fn check_walks(cluster: &Cluster, qualified: &str, names: &[(&str, &str)], expect: Expect) {
    let pod = pod(cluster, qualified);
    let mut out = String::new();
    for (name, qtype) in names {
        let qtype = qtype.parse().expect("known type");
        let resolution = resolve(cluster, pod, name, qtype).expect("valid pod");
        let _ = writeln!(out, "{resolution}");
    }
    expect.assert_eq(&out);
}

#[test]
fn resolv_conf_for_every_policy() {
    check_confs(
        &with_host_dns(),
        &[
            "microservices/frontend",
            "default/custom-dns-pod",
            "microservices/dns-tuned",
            "microservices/merged",
            "microservices/host-net",
            "microservices/host-net-cluster-dns",
            "microservices/node-dns",
            "microservices/none-without-config",
            "microservices/lowercase-policy",
            "microservices/named-nameserver",
            "microservices/uppercase-search",
            "microservices/four-nameservers",
        ],
        expect![[r#"
            == microservices/frontend (dnsPolicy ClusterFirst)
            search microservices.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com
            nameserver 10.96.0.10
            options ndots:5
            == default/custom-dns-pod (dnsPolicy None)
            search production.svc.cluster.local svc.cluster.local cluster.local
            nameserver 8.8.8.8
            nameserver 1.1.1.1
            options ndots:2
            == microservices/dns-tuned (dnsPolicy ClusterFirst)
            search microservices.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com
            nameserver 10.96.0.10
            options ndots:1 timeout:1 attempts:2
            == microservices/merged (dnsPolicy ClusterFirst)
            search microservices.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com partner.example.net.
            nameserver 10.96.0.10
            nameserver 192.0.2.53
            options ndots:2 edns0
            == microservices/host-net (dnsPolicy ClusterFirst, hostNetwork)
            search corp.example.com example.com
            nameserver 192.0.2.1
            nameserver 192.0.2.2
            == microservices/host-net-cluster-dns (dnsPolicy ClusterFirstWithHostNet, hostNetwork)
            search microservices.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com
            nameserver 10.96.0.10
            options ndots:5
            == microservices/node-dns (dnsPolicy Default)
            search corp.example.com example.com
            nameserver 192.0.2.1
            nameserver 192.0.2.2
            nameserver 192.0.2.53
            # warning: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 192.0.2.1 192.0.2.2 192.0.2.53
            == microservices/none-without-config (dnsPolicy None)
            error: pod "microservices/none-without-config": spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None
            == microservices/lowercase-policy (dnsPolicy clusterfirst)
            error: pod "microservices/lowercase-policy": spec.dnsPolicy: Unsupported value: "clusterfirst": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"
            == microservices/named-nameserver (dnsPolicy ClusterFirst)
            error: pod "microservices/named-nameserver": spec.dnsConfig.nameservers[0]: Invalid value: "dns.google": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
            == microservices/uppercase-search (dnsPolicy ClusterFirst)
            error: pod "microservices/uppercase-search": spec.dnsConfig.searches[0]: Invalid value: "Corp.Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')
            == microservices/four-nameservers (dnsPolicy None)
            error: pod "microservices/four-nameservers": spec.dnsConfig.nameservers: Invalid value: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]: must not have more than 3 nameservers
        "#]],
    );
}

#[test]
fn ndots_follows_glibc() {
    let conf =
        |value: &str| ResolvConf { options: vec![("ndots".into(), Some(value.into()))], ..ResolvConf::default() };
    assert_eq!(ResolvConf::default().ndots(), 1);
    assert_eq!(conf("5").ndots(), 5);
    assert_eq!(conf("99").ndots(), 15);
    assert_eq!(conf("x").ndots(), 0);
    assert_eq!(conf("3abc").ndots(), 3);
}

#[test]
fn search_limits_drop_domains_with_a_warning() {
    let cluster = cluster_with(ClusterConfig {
        host_search: (0..40).map(|i| format!("d{i}.example.com")).collect(),
        ..ClusterConfig::default()
    });
    let conf = resolv_conf(&cluster, pod(&cluster, "microservices/frontend")).expect("valid");
    assert_eq!(conf.searches.len(), MAX_SEARCH_PATHS);
    assert_eq!(conf.searches[3], "d0.example.com");
    assert_eq!(conf.warnings.len(), 1);
    assert!(conf.warnings[0].starts_with("Search Line limits were exceeded"));
}

#[test]
fn ndots_5_walk_from_a_cluster_first_pod() {
    let cluster = cluster_with(ClusterConfig::default());
    check_walks(
        &cluster,
        "microservices/frontend",
        &[
            ("backend-service", "A"),
            ("backend-service.microservices", "A"),
            ("kubernetes.default.svc.cluster.local", "A"),
            ("backend-service.microservices.svc.cluster.local.", "A"),
            ("rds.us-west-2.amazonaws.com", "A"),
            ("backend-service", "AAAA"),
        ],
        expect![[r#"
            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
            backend-service has 0 dots (< ndots:5): each search domain first, then as is
            1.  backend-service.microservices.svc.cluster.local. A → NOERROR 10.96.0.12
            answered by query 1; no query wasted

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
            backend-service.microservices has 1 dot (< ndots:5): each search domain first, then as is
            1.  backend-service.microservices.microservices.svc.cluster.local. A → NXDOMAIN
            2.  backend-service.microservices.svc.cluster.local.               A → NOERROR 10.96.0.12
            answered by query 2; 1 query wasted (getaddrinfo asks A and AAAA, so 2 on the wire)

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
            kubernetes.default.svc.cluster.local has 4 dots (< ndots:5): each search domain first, then as is
            1.  kubernetes.default.svc.cluster.local.microservices.svc.cluster.local. A → NXDOMAIN
            2.  kubernetes.default.svc.cluster.local.svc.cluster.local.               A → NXDOMAIN
            3.  kubernetes.default.svc.cluster.local.cluster.local.                   A → NXDOMAIN
            4.  kubernetes.default.svc.cluster.local.                                 A → NOERROR 10.96.0.1
            answered by query 4; 3 queries wasted (getaddrinfo asks A and AAAA, so 6 on the wire)

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
            backend-service.microservices.svc.cluster.local. ends with a dot: absolute, asked as is only
            1.  backend-service.microservices.svc.cluster.local. A → NOERROR 10.96.0.12
            answered by query 1; no query wasted

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
            rds.us-west-2.amazonaws.com has 3 dots (< ndots:5): each search domain first, then as is
            1.  rds.us-west-2.amazonaws.com.microservices.svc.cluster.local. A → NXDOMAIN
            2.  rds.us-west-2.amazonaws.com.svc.cluster.local.               A → NXDOMAIN
            3.  rds.us-west-2.amazonaws.com.cluster.local.                   A → NXDOMAIN
            4.  rds.us-west-2.amazonaws.com.                                 A → not in the cluster zones: forwarded upstream, answer unknown offline
            the answer comes from a server knet cannot see; 3 queries wasted (getaddrinfo asks A and AAAA, so 6 on the wire)

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
            backend-service has 0 dots (< ndots:5): each search domain first, then as is
            1.  backend-service.microservices.svc.cluster.local. AAAA → NOERROR, no records of that type (NODATA)
            2.  backend-service.svc.cluster.local.               AAAA → NXDOMAIN
            3.  backend-service.cluster.local.                   AAAA → NXDOMAIN
            4.  backend-service.                                 AAAA → not in the cluster zones: forwarded upstream, answer unknown offline
            the answer comes from a server knet cannot see; 3 queries wasted (getaddrinfo asks A and AAAA, so 6 on the wire)

        "#]],
    );
    let frontend = pod(&cluster, "microservices/frontend");
    let wasted = |name: &str| resolve(&cluster, frontend, name, RecordType::A).expect("valid pod").wasted_queries();
    assert_eq!(wasted("backend-service"), 0);
    assert_eq!(wasted("backend-service.microservices"), 1);
    assert_eq!(wasted("kubernetes.default.svc.cluster.local"), 3);
    assert_eq!(wasted("rds.us-west-2.amazonaws.com"), 3);
}

#[test]
fn host_search_domains_go_upstream() {
    check_walks(
        &with_host_dns(),
        "microservices/frontend",
        &[("rds.us-west-2.amazonaws.com", "A")],
        expect![[r#"
            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com; ndots:5; nameserver 10.96.0.10
            rds.us-west-2.amazonaws.com has 3 dots (< ndots:5): each search domain first, then as is
            1.  rds.us-west-2.amazonaws.com.microservices.svc.cluster.local. A → NXDOMAIN
            2.  rds.us-west-2.amazonaws.com.svc.cluster.local.               A → NXDOMAIN
            3.  rds.us-west-2.amazonaws.com.cluster.local.                   A → NXDOMAIN
            4.  rds.us-west-2.amazonaws.com.corp.example.com.                A → not in the cluster zones: forwarded upstream, answer unknown offline
            the answer comes from a server knet cannot see; 3 queries wasted (getaddrinfo asks A and AAAA, so 6 on the wire); if it is negative, next: rds.us-west-2.amazonaws.com.example.com. rds.us-west-2.amazonaws.com.

        "#]],
    );
}

#[test]
fn custom_nameservers_do_not_serve_cluster_names() {
    check_walks(
        &cluster_with(ClusterConfig::default()),
        "default/custom-dns-pod",
        &[("backend-service.microservices", "A"), ("example.com", "A")],
        expect![[r#"
            resolv.conf: search production.svc.cluster.local svc.cluster.local cluster.local; ndots:2; nameserver 8.8.8.8 1.1.1.1
            backend-service.microservices has 1 dot (< ndots:2): each search domain first, then as is
            1.  backend-service.microservices.production.svc.cluster.local. A → external nameserver: cluster names are not served (NXDOMAIN)
            2.  backend-service.microservices.svc.cluster.local.            A → external nameserver: cluster names are not served (NXDOMAIN)
            3.  backend-service.microservices.cluster.local.                A → external nameserver: cluster names are not served (NXDOMAIN)
            4.  backend-service.microservices.                              A → external nameserver: answer unknown offline
            the answer comes from a server knet cannot see; 3 queries wasted (getaddrinfo asks A and AAAA, so 6 on the wire)

            resolv.conf: search production.svc.cluster.local svc.cluster.local cluster.local; ndots:2; nameserver 8.8.8.8 1.1.1.1
            example.com has 1 dot (< ndots:2): each search domain first, then as is
            1.  example.com.production.svc.cluster.local. A → external nameserver: cluster names are not served (NXDOMAIN)
            2.  example.com.svc.cluster.local.            A → external nameserver: cluster names are not served (NXDOMAIN)
            3.  example.com.cluster.local.                A → external nameserver: cluster names are not served (NXDOMAIN)
            4.  example.com.                              A → external nameserver: answer unknown offline
            the answer comes from a server knet cannot see; 3 queries wasted (getaddrinfo asks A and AAAA, so 6 on the wire)

        "#]],
    );
}

#[test]
fn ndots_1_asks_dotted_names_as_is_first() {
    check_walks(
        &cluster_with(ClusterConfig::default()),
        "microservices/dns-tuned",
        &[("backend-service", "A"), ("backend-service.microservices", "A"), ("", "A"), ("a..b", "A")],
        expect![[r#"
            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:1 timeout:1 attempts:2; nameserver 10.96.0.10
            backend-service has 0 dots (< ndots:1): each search domain first, then as is
            1.  backend-service.microservices.svc.cluster.local. A → NOERROR 10.96.0.12
            answered by query 1; no query wasted

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:1 timeout:1 attempts:2; nameserver 10.96.0.10
            backend-service.microservices has 1 dot (>= ndots:1): as is first, then each search domain
            1.  backend-service.microservices. A → not in the cluster zones: forwarded upstream, answer unknown offline
            the answer comes from a server knet cannot see; no query wasted; if it is negative, next: backend-service.microservices.microservices.svc.cluster.local. backend-service.microservices.svc.cluster.local. backend-service.microservices.cluster.local.

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:1 timeout:1 attempts:2; nameserver 10.96.0.10
            no query sent for "": the name is empty

            resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:1 timeout:1 attempts:2; nameserver 10.96.0.10
            no query sent for "a..b": the name has an empty label (two dots in a row, or a leading dot)

        "#]],
    );
}

/// glibc: a search name too long for DNS is not sent, the remaining search domains are skipped, and the name is
/// still asked as is.
#[test]
fn a_too_long_search_name_skips_the_rest_of_the_search_list() {
    let cluster = cluster_with(ClusterConfig::default());
    let long = ["a", "b", "c", "d"].map(|l| l.repeat(60)).join(".");
    let conf = ResolvConf {
        nameservers: vec![cluster.config.dns_service_ip],
        searches: vec![long, "microservices.svc.cluster.local".into()],
        ..ResolvConf::default()
    };
    let resolution = walk(&cluster, &conf, "backend-service", RecordType::A);
    let outcomes: Vec<(&str, &QueryOutcome)> =
        resolution.queries.iter().map(|q| (q.name.as_str(), &q.outcome)).collect();
    assert_eq!(outcomes[0].1, &QueryOutcome::NotSent("the name is longer than 253 characters".into()));
    assert_eq!(outcomes[1..], [("backend-service.", &QueryOutcome::Upstream)]);
    assert_eq!(resolution.wasted_queries(), 0);
}

fn arb_name() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        Just(String::new()),
        Just("backend-service".to_owned()),
        Just("microservices".to_owned()),
        Just("svc".to_owned()),
        Just("cluster".to_owned()),
        Just("local".to_owned()),
        "[a-z0-9-]{0,70}",
        "\\PC{0,12}",
    ];
    let names = proptest::collection::vec(label, 0..12).prop_map(|labels| labels.join("."));
    (names, proptest::bool::ANY).prop_map(|(name, dot)| if dot { name + "." } else { name })
}

proptest! {
    #[test]
    fn resolve_never_panics(
        name in arb_name(),
        qtype in proptest::sample::select(RecordType::ALL.to_vec()),
        which in proptest::sample::select(vec![
            "microservices/frontend", "default/custom-dns-pod", "microservices/dns-tuned", "microservices/merged",
        ]),
    ) {
        let cluster = with_host_dns();
        let resolution = resolve(&cluster, pod(&cluster, which), &name, qtype).expect("valid pod");
        let _ = resolution.to_string();
        // The walk stops at the first success: every query before the last one failed.
        let before_last = resolution.queries.len().saturating_sub(1);
        prop_assert!(resolution.queries[..before_last].iter().all(|q| !q.outcome.is_success()));
        prop_assert!(resolution.wasted_queries() <= resolution.queries.len());
    }
}
