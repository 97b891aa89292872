//! Snapshot tests of the cluster DNS zone: a fixture in, `dig`-like answers out. Re-bless with `UPDATE_EXPECT=1`.

use std::fmt::Write as _;

use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::*;

/// The guide's microservices namespace, with one Service of every kind the zone distinguishes.
const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: microservices}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: microservices}
spec:
  replicas: 2
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers:
      - name: backend
        image: nginx
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: backend-service, namespace: microservices}
spec:
  clusterIP: 10.96.0.12
  selector: {app: backend}
  ports:
  - {name: http, port: 8080, targetPort: http}
  - {name: metrics, port: 9090}
---
apiVersion: v1
kind: Service
metadata: {name: orphan, namespace: microservices}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: microservices}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports: [{name: web, containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: microservices}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: web, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: database, namespace: microservices}
spec:
  replicas: 2
  selector: {matchLabels: {app: database}}
  template:
    metadata: {labels: {app: database}}
    spec:
      containers:
      - name: postgres
        image: postgres:13
        ports: [{name: postgres, containerPort: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-primary, namespace: microservices, labels: {app: database}}
spec:
  hostname: primary
  subdomain: headless-service
  containers:
  - name: postgres
    image: postgres:13
    ports: [{name: postgres, containerPort: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-starting, namespace: microservices, labels: {app: database}}
spec:
  containers:
  - name: postgres
    image: postgres:13
    ports: [{name: postgres, containerPort: 5432}]
status:
  podIP: 10.244.0.99
  conditions: [{type: Ready, status: "False"}]
---
apiVersion: v1
kind: Service
metadata: {name: headless-service, namespace: microservices}
spec:
  clusterIP: None
  selector: {app: database}
  ports: [{name: postgres, port: 5432, targetPort: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: db-portless, namespace: microservices}
spec:
  clusterIP: None
  selector: {app: database}
---
apiVersion: v1
kind: Service
metadata: {name: empty-headless, namespace: microservices}
spec:
  clusterIP: None
  selector: {app: nothing}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: rds, namespace: microservices}
spec:
  type: ExternalName
  externalName: mydb.abc123.us-west-2.rds.amazonaws.com
---
apiVersion: v1
kind: Service
metadata: {name: by-ip, namespace: microservices}
spec:
  type: ExternalName
  externalName: 203.0.113.10
---
apiVersion: v1
kind: Service
metadata: {name: alias, namespace: microservices}
spec:
  type: ExternalName
  externalName: backend-service.microservices.svc.cluster.local
---
apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: microservices}
spec:
  containers: [{name: app, image: busybox}]
"#;

pub(crate) fn cluster(yaml: &str) -> Cluster {
    let loaded = knet_object::load_str("test.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Cluster::from_manifests(&loaded.manifests)
}

fn fixture() -> Cluster {
    cluster(FIXTURE)
}

/// Asks every question and prints the answers, `dig`-style.
fn check(cluster: &Cluster, questions: &[(&str, &str)], expect: Expect) {
    let mut out = String::new();
    for (name, qtype) in questions {
        let qtype: RecordType = qtype.parse().expect("test uses known types");
        let _ = writeln!(out, "; {name} {qtype}");
        match lookup(cluster, name, qtype) {
            Some(answer) => out.push_str(&answer.to_string()),
            None => out.push_str("not in the cluster's zones: forwarded upstream\n"),
        }
    }
    expect.assert_eq(&out);
}

fn pod_ip(cluster: &Cluster, replica: &str) -> String {
    let id = cluster.find_pod("microservices", replica).expect("pod exists");
    let pod = cluster.pod(id);
    let found = pod.replicas.iter().find(|r| r.name == replica);
    found.expect("replica exists").ip.to_string()
}

#[test]
fn zone_listing() {
    let zone: Vec<String> = zone_records(&fixture()).iter().map(Record::to_string).collect();
    expect![[r#"
        cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
        cluster.local. 5 IN NS ns.dns.cluster.local.
        ns.dns.cluster.local. 5 IN A 10.96.0.10
        dns-version.cluster.local. 28800 IN TXT "1.1.0"
        kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1
        _https._tcp.kubernetes.default.svc.cluster.local. 5 IN SRV 0 100 443 kubernetes.default.svc.cluster.local.
        kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10
        _dns-tcp._tcp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local.
        _metrics._tcp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 100 9153 kube-dns.kube-system.svc.cluster.local.
        _dns._udp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local.
        alias.microservices.svc.cluster.local. 5 IN CNAME backend-service.microservices.svc.cluster.local.
        backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12
        _http._tcp.backend-service.microservices.svc.cluster.local. 5 IN SRV 0 100 8080 backend-service.microservices.svc.cluster.local.
        _metrics._tcp.backend-service.microservices.svc.cluster.local. 5 IN SRV 0 100 9090 backend-service.microservices.svc.cluster.local.
        db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.6
        db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.7
        db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.8
        10-244-0-6.db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.6
        10-244-0-7.db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.7
        10-244-0-8.db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.8
        headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.6
        headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.7
        headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.8
        10-244-0-6.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.6
        10-244-0-7.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.7
        _postgres._tcp.headless-service.microservices.svc.cluster.local. 5 IN SRV 0 33 5432 10-244-0-6.headless-service.microservices.svc.cluster.local.
        _postgres._tcp.headless-service.microservices.svc.cluster.local. 5 IN SRV 0 33 5432 10-244-0-7.headless-service.microservices.svc.cluster.local.
        _postgres._tcp.headless-service.microservices.svc.cluster.local. 5 IN SRV 0 33 5432 primary.headless-service.microservices.svc.cluster.local.
        primary.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.8
        orphan.microservices.svc.cluster.local. 5 IN A 10.96.0.2
        rds.microservices.svc.cluster.local. 5 IN CNAME mydb.abc123.us-west-2.rds.amazonaws.com.
        web.microservices.svc.cluster.local. 5 IN A 10.244.0.4
        web.microservices.svc.cluster.local. 5 IN A 10.244.0.5
        _web._tcp.web.microservices.svc.cluster.local. 5 IN SRV 0 50 80 web-0.web.microservices.svc.cluster.local.
        _web._tcp.web.microservices.svc.cluster.local. 5 IN SRV 0 50 80 web-1.web.microservices.svc.cluster.local.
        web-0.web.microservices.svc.cluster.local. 5 IN A 10.244.0.4
        web-1.web.microservices.svc.cluster.local. 5 IN A 10.244.0.5
        10.in-addr.arpa. 5 IN SOA ns.dns.cluster.local. hostmaster.10.in-addr.arpa. 1 7200 1800 86400 5
        10.in-addr.arpa. 5 IN NS ns.dns.cluster.local.
        1.0.96.10.in-addr.arpa. 5 IN PTR kubernetes.default.svc.cluster.local.
        2.0.96.10.in-addr.arpa. 5 IN PTR orphan.microservices.svc.cluster.local.
        10.0.96.10.in-addr.arpa. 5 IN PTR kube-dns.kube-system.svc.cluster.local.
        12.0.96.10.in-addr.arpa. 5 IN PTR backend-service.microservices.svc.cluster.local.
        2.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-2.backend-service.microservices.svc.cluster.local.
        3.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-3.backend-service.microservices.svc.cluster.local.
        4.0.244.10.in-addr.arpa. 5 IN PTR web-0.web.microservices.svc.cluster.local.
        5.0.244.10.in-addr.arpa. 5 IN PTR web-1.web.microservices.svc.cluster.local.
        6.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-6.db-portless.microservices.svc.cluster.local.
        6.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-6.headless-service.microservices.svc.cluster.local.
        7.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-7.db-portless.microservices.svc.cluster.local.
        7.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-7.headless-service.microservices.svc.cluster.local.
        8.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-8.db-portless.microservices.svc.cluster.local.
        8.0.244.10.in-addr.arpa. 5 IN PTR primary.headless-service.microservices.svc.cluster.local.
        10.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-10.kube-dns.kube-system.svc.cluster.local."#]]
    .assert_eq(&zone.join("\n"));
}

#[test]
fn cluster_ip_service_answers_a_and_nodata_for_other_types() {
    check(
        &fixture(),
        &[
            ("backend-service.microservices.svc.cluster.local", "A"),
            ("backend-service.microservices.svc.cluster.local.", "AAAA"),
            ("backend-service.microservices.svc.cluster.local", "TXT"),
            ("backend-service.microservices.svc.cluster.local", "ANY"),
            ("orphan.microservices.svc.cluster.local", "A"),
            ("kubernetes.default.svc.cluster.local", "A"),
            // CoreDNS also names the endpoints of ClusterIP Services, beyond the specification.
            ("10-244-0-2.backend-service.microservices.svc.cluster.local", "A"),
        ],
        expect![[r#"
            ; backend-service.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12
            ; backend-service.microservices.svc.cluster.local. AAAA
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; backend-service.microservices.svc.cluster.local TXT
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; backend-service.microservices.svc.cluster.local ANY
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; orphan.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            orphan.microservices.svc.cluster.local. 5 IN A 10.96.0.2
            ; kubernetes.default.svc.cluster.local A
            status: NOERROR
            ;; answer
            kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1
            ; 10-244-0-2.backend-service.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            10-244-0-2.backend-service.microservices.svc.cluster.local. 5 IN A 10.244.0.2
        "#]],
    );
}

#[test]
fn srv_records_of_named_ports() {
    check(
        &fixture(),
        &[
            ("_http._tcp.backend-service.microservices.svc.cluster.local", "SRV"),
            ("backend-service.microservices.svc.cluster.local", "SRV"),
            ("_http._udp.backend-service.microservices.svc.cluster.local", "SRV"),
            ("_grpc._tcp.backend-service.microservices.svc.cluster.local", "SRV"),
            ("_dns._udp.kube-dns.kube-system.svc.cluster.local", "SRV"),
        ],
        expect![[r#"
            ; _http._tcp.backend-service.microservices.svc.cluster.local SRV
            status: NOERROR
            ;; answer
            _http._tcp.backend-service.microservices.svc.cluster.local. 5 IN SRV 0 100 8080 backend-service.microservices.svc.cluster.local.
            ;; additional
            backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12
            ; backend-service.microservices.svc.cluster.local SRV
            status: NOERROR
            ;; answer
            backend-service.microservices.svc.cluster.local. 5 IN SRV 0 50 8080 backend-service.microservices.svc.cluster.local.
            backend-service.microservices.svc.cluster.local. 5 IN SRV 0 50 9090 backend-service.microservices.svc.cluster.local.
            ;; additional
            backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12
            ; _http._udp.backend-service.microservices.svc.cluster.local SRV
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; _grpc._tcp.backend-service.microservices.svc.cluster.local SRV
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; _dns._udp.kube-dns.kube-system.svc.cluster.local SRV
            status: NOERROR
            ;; answer
            _dns._udp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local.
            ;; additional
            kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10
        "#]],
    );
}

#[test]
fn headless_statefulset_has_hostnames() {
    check(
        &fixture(),
        &[
            ("web.microservices.svc.cluster.local", "A"),
            ("web-0.web.microservices.svc.cluster.local", "A"),
            ("web-7.web.microservices.svc.cluster.local", "A"),
            ("_web._tcp.web.microservices.svc.cluster.local", "SRV"),
        ],
        expect![[r#"
            ; web.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            web.microservices.svc.cluster.local. 5 IN A 10.244.0.4
            web.microservices.svc.cluster.local. 5 IN A 10.244.0.5
            ; web-0.web.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            web-0.web.microservices.svc.cluster.local. 5 IN A 10.244.0.4
            ; web-7.web.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; _web._tcp.web.microservices.svc.cluster.local SRV
            status: NOERROR
            ;; answer
            _web._tcp.web.microservices.svc.cluster.local. 5 IN SRV 0 50 80 web-0.web.microservices.svc.cluster.local.
            _web._tcp.web.microservices.svc.cluster.local. 5 IN SRV 0 50 80 web-1.web.microservices.svc.cluster.local.
            ;; additional
            web-0.web.microservices.svc.cluster.local. 5 IN A 10.244.0.4
            web-1.web.microservices.svc.cluster.local. 5 IN A 10.244.0.5
        "#]],
    );
}

#[test]
fn headless_deployment_endpoints_are_named_by_dashed_address() {
    let cluster = fixture();
    let dashed = pod_ip(&cluster, "database-0").replace('.', "-");
    check(
        &cluster,
        &[
            ("headless-service.microservices.svc.cluster.local", "A"),
            ("_postgres._tcp.headless-service.microservices.svc.cluster.local", "SRV"),
            (&format!("{dashed}.headless-service.microservices.svc.cluster.local"), "A"),
            ("primary.headless-service.microservices.svc.cluster.local", "A"),
            // The not-ready pod is no endpoint, so its name does not exist.
            ("10-244-0-99.headless-service.microservices.svc.cluster.local", "A"),
        ],
        expect![[r#"
            ; headless-service.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.6
            headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.7
            headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.8
            ; _postgres._tcp.headless-service.microservices.svc.cluster.local SRV
            status: NOERROR
            ;; answer
            _postgres._tcp.headless-service.microservices.svc.cluster.local. 5 IN SRV 0 33 5432 10-244-0-6.headless-service.microservices.svc.cluster.local.
            _postgres._tcp.headless-service.microservices.svc.cluster.local. 5 IN SRV 0 33 5432 10-244-0-7.headless-service.microservices.svc.cluster.local.
            _postgres._tcp.headless-service.microservices.svc.cluster.local. 5 IN SRV 0 33 5432 primary.headless-service.microservices.svc.cluster.local.
            ;; additional
            10-244-0-6.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.6
            10-244-0-7.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.7
            primary.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.8
            ; 10-244-0-6.headless-service.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            10-244-0-6.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.6
            ; primary.headless-service.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            primary.headless-service.microservices.svc.cluster.local. 5 IN A 10.244.0.8
            ; 10-244-0-99.headless-service.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
        "#]],
    );
}

#[test]
fn headless_without_ports_or_endpoints() {
    check(
        &fixture(),
        &[
            ("db-portless.microservices.svc.cluster.local", "A"),
            ("db-portless.microservices.svc.cluster.local", "SRV"),
            ("empty-headless.microservices.svc.cluster.local", "A"),
        ],
        expect![[r#"
            ; db-portless.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.6
            db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.7
            db-portless.microservices.svc.cluster.local. 5 IN A 10.244.0.8
            ; db-portless.microservices.svc.cluster.local SRV
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; empty-headless.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
        "#]],
    );
}

#[test]
fn external_name_is_a_cname() {
    check(
        &fixture(),
        &[
            ("rds.microservices.svc.cluster.local", "A"),
            ("rds.microservices.svc.cluster.local", "CNAME"),
            ("rds.microservices.svc.cluster.local", "SRV"),
            ("alias.microservices.svc.cluster.local", "A"),
            ("by-ip.microservices.svc.cluster.local", "A"),
        ],
        expect![[r#"
            ; rds.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            rds.microservices.svc.cluster.local. 5 IN CNAME mydb.abc123.us-west-2.rds.amazonaws.com.
            ; rds.microservices.svc.cluster.local CNAME
            status: NOERROR
            ;; answer
            rds.microservices.svc.cluster.local. 5 IN CNAME mydb.abc123.us-west-2.rds.amazonaws.com.
            ; rds.microservices.svc.cluster.local SRV
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; alias.microservices.svc.cluster.local A
            status: NOERROR
            ;; answer
            alias.microservices.svc.cluster.local. 5 IN CNAME backend-service.microservices.svc.cluster.local.
            backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12
            ; by-ip.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
        "#]],
    );
}

#[test]
fn reverse_lookups() {
    let cluster = fixture();
    let web = pod_ip(&cluster, "web-0").parse().expect("an IPv4 address");
    let database = pod_ip(&cluster, "database-1").parse().expect("an IPv4 address");
    let lonely = pod_ip(&cluster, "lonely").parse().expect("an IPv4 address");
    check(
        &cluster,
        &[
            ("12.0.96.10.in-addr.arpa", "PTR"),
            (&name::reverse_name(web), "PTR"),
            (&name::reverse_name(database), "PTR"),
            (&name::reverse_name(lonely), "PTR"),
            ("96.10.in-addr.arpa", "PTR"),
            ("10.in-addr.arpa", "SOA"),
            ("1.1.168.192.in-addr.arpa", "PTR"),
        ],
        expect![[r#"
            ; 12.0.96.10.in-addr.arpa PTR
            status: NOERROR
            ;; answer
            12.0.96.10.in-addr.arpa. 5 IN PTR backend-service.microservices.svc.cluster.local.
            ; 4.0.244.10.in-addr.arpa. PTR
            status: NOERROR
            ;; answer
            4.0.244.10.in-addr.arpa. 5 IN PTR web-0.web.microservices.svc.cluster.local.
            ; 7.0.244.10.in-addr.arpa. PTR
            status: NOERROR
            ;; answer
            7.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-7.headless-service.microservices.svc.cluster.local.
            7.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-7.db-portless.microservices.svc.cluster.local.
            ; 9.0.244.10.in-addr.arpa. PTR
            status: NXDOMAIN
            ;; authority
            10.in-addr.arpa. 5 IN SOA ns.dns.cluster.local. hostmaster.10.in-addr.arpa. 1 7200 1800 86400 5
            ; 96.10.in-addr.arpa PTR
            status: NOERROR
            ;; authority
            10.in-addr.arpa. 5 IN SOA ns.dns.cluster.local. hostmaster.10.in-addr.arpa. 1 7200 1800 86400 5
            ; 10.in-addr.arpa SOA
            status: NOERROR
            ;; answer
            10.in-addr.arpa. 5 IN SOA ns.dns.cluster.local. hostmaster.10.in-addr.arpa. 1 7200 1800 86400 5
            ; 1.1.168.192.in-addr.arpa PTR
            not in the cluster's zones: forwarded upstream
        "#]],
    );
    assert_eq!(reverse_zones(&cluster.config), ["10.in-addr.arpa."]);
}

#[test]
fn zone_structure_and_negative_answers() {
    check(
        &fixture(),
        &[
            ("cluster.local", "SOA"),
            ("cluster.local", "NS"),
            ("cluster.local", "A"),
            ("svc.cluster.local", "A"),
            ("pod.cluster.local", "A"),
            ("microservices.svc.cluster.local", "A"),
            ("production.svc.cluster.local", "A"),
            ("nope.microservices.svc.cluster.local", "A"),
            ("a.b.c.backend-service.microservices.svc.cluster.local", "A"),
            ("www.cluster.local", "A"),
            ("dns-version.cluster.local", "TXT"),
            ("ns.dns.cluster.local", "A"),
            ("*.microservices.svc.cluster.local", "A"),
            ("cluster.local", "AXFR"),
            ("example.com", "A"),
        ],
        expect![[r#"
            ; cluster.local SOA
            status: NOERROR
            ;; answer
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; cluster.local NS
            status: NOERROR
            ;; answer
            cluster.local. 5 IN NS ns.dns.cluster.local.
            ;; additional
            ns.dns.cluster.local. 5 IN A 10.96.0.10
            ; cluster.local A
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; svc.cluster.local A
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; pod.cluster.local A
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; microservices.svc.cluster.local A
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; production.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; nope.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; a.b.c.backend-service.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; www.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; dns-version.cluster.local TXT
            status: NOERROR
            ;; answer
            dns-version.cluster.local. 28800 IN TXT "1.1.0"
            ; ns.dns.cluster.local A
            status: NOERROR
            ;; answer
            ns.dns.cluster.local. 5 IN A 10.96.0.10
            ; *.microservices.svc.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; cluster.local AXFR
            status: REFUSED
            ; example.com A
            not in the cluster's zones: forwarded upstream
        "#]],
    );
}

#[test]
fn pod_records_echo_dashed_addresses() {
    check(
        &fixture(),
        &[
            ("10-244-0-5.microservices.pod.cluster.local", "A"),
            ("10-244-0-5.microservices.pod.cluster.local", "AAAA"),
            ("fd00--5.microservices.pod.cluster.local", "AAAA"),
            ("10-244-0.microservices.pod.cluster.local", "A"),
            ("10-244-0-500.microservices.pod.cluster.local", "A"),
            ("10-244-0-5.production.pod.cluster.local", "A"),
        ],
        expect![[r#"
            ; 10-244-0-5.microservices.pod.cluster.local A
            status: NOERROR
            ;; answer
            10-244-0-5.microservices.pod.cluster.local. 5 IN A 10.244.0.5
            ; 10-244-0-5.microservices.pod.cluster.local AAAA
            status: NOERROR
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; fd00--5.microservices.pod.cluster.local AAAA
            status: NOERROR
            ;; answer
            fd00--5.microservices.pod.cluster.local. 5 IN AAAA fd00::5
            ; 10-244-0.microservices.pod.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; 10-244-0-500.microservices.pod.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
            ; 10-244-0-5.production.pod.cluster.local A
            status: NXDOMAIN
            ;; authority
            cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5
        "#]],
    );
}

#[test]
fn answers_keep_the_question_letter_case() {
    check(
        &fixture(),
        &[
            ("Backend-Service.MicroServices.SVC.Cluster.Local.", "A"),
            ("_HTTP._TCP.backend-service.microservices.svc.CLUSTER.local", "SRV"),
        ],
        expect![[r#"
            ; Backend-Service.MicroServices.SVC.Cluster.Local. A
            status: NOERROR
            ;; answer
            Backend-Service.MicroServices.SVC.Cluster.Local. 5 IN A 10.96.0.12
            ; _HTTP._TCP.backend-service.microservices.svc.CLUSTER.local SRV
            status: NOERROR
            ;; answer
            _HTTP._TCP.backend-service.microservices.svc.CLUSTER.local. 5 IN SRV 0 100 8080 backend-service.microservices.svc.cluster.local.
            ;; additional
            backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12
        "#]],
    );
}

#[test]
fn record_types_parse_in_any_case() {
    assert_eq!("aaaa".parse(), Ok(RecordType::Aaaa));
    assert_eq!("Srv".parse(), Ok(RecordType::Srv));
    assert_eq!(
        "MX".parse::<RecordType>().map_err(|e| e.to_string()),
        Err("unknown DNS record type \"MX\": expected one of A, AAAA, SRV, PTR, TXT, CNAME, SOA, NS, ANY, AXFR".into())
    );
}

/// Names of every shape: random labels (empty, long, unicode) around the zone's own labels.
fn arb_name() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        Just(String::new()),
        Just("svc".to_owned()),
        Just("pod".to_owned()),
        Just("microservices".to_owned()),
        Just("web".to_owned()),
        Just("_http".to_owned()),
        Just("10-244-0-5".to_owned()),
        Just("in-addr".to_owned()),
        Just("arpa".to_owned()),
        "[a-z0-9_*-]{0,70}",
        "\\PC{0,20}",
    ];
    let suffix = prop_oneof![Just(""), Just(".cluster.local"), Just(".cluster.local."), Just(".10.in-addr.arpa"),];
    (proptest::collection::vec(label, 0..8), suffix).prop_map(|(labels, suffix)| labels.join(".") + suffix)
}

proptest! {
    #[test]
    fn lookup_never_panics(name in arb_name(), qtype in proptest::sample::select(RecordType::ALL.to_vec())) {
        let cluster = fixture();
        if let Some(answer) = lookup(&cluster, &name, qtype) {
            // Negative answers always carry the SOA; positive ones never do.
            prop_assert_eq!(answer.authority.is_empty(), answer.is_success() || answer.rcode == Rcode::Refused);
        }
    }
}

#[test]
fn every_listed_record_is_answered() {
    let cluster = fixture();
    for record in zone_records(&cluster) {
        let answer = lookup(&cluster, &record.name, record.record_type()).expect("listed names are in the zone");
        assert!(answer.answers.contains(&record), "{record} missing from\n{answer}");
    }
}
