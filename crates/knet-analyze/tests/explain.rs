//! `knet explain` on the guide's exercises: the chain, the verdict and the fix, as a user reads them.

use std::path::Path;

use knet_analyze::Input;
use knet_analyze::explain::{Request, explain, find_source};
use knet_model::{Cluster, ClusterConfig};

/// Loads example directories (relative to the repository root) as `knet -f` would.
fn cluster(dirs: &[&str]) -> Cluster {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut loaded = knet_object::Loaded::default();
    for dir in dirs {
        let mut files: Vec<_> =
            std::fs::read_dir(root.join(dir)).expect("example dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "yaml")) {
            let text = std::fs::read_to_string(file).expect("example file");
            loaded.extend(knet_object::load_str(
                &format!("{dir}/{}", file.file_name().unwrap_or_default().to_string_lossy()),
                &text,
            ));
        }
    }
    let input = Input::admit(loaded, "default");
    assert!(input.diagnostics.is_empty(), "{:?}", input.diagnostics);
    input.cluster(ClusterConfig::default())
}

fn run(cluster: &Cluster, from: &str, to: &str) -> String {
    let source = find_source(cluster, from).expect("source");
    let request = Request::parse(to).expect("target");
    explain(cluster, source, &request).expect("explanation").to_string()
}

#[test]
fn exercise_2_frontend_reaches_backend_by_service_name() {
    let cluster = cluster(&["examples/exercise-1", "examples/exercise-2"]);
    expect_test::expect![[r#"
        microservices/frontend[Deployment] -> backend-service (10.96.0.3):8080

        1. DNS traffic from microservices/frontend[Deployment] to the cluster DNS [ok]
           UDP 53 to kube-system/kube-dns (kube-system/coredns[Deployment]): allowed
           TCP 53 to kube-system/kube-dns (kube-system/coredns[Deployment]): allowed

        2. resolve "backend-service" from microservices/frontend[Deployment] [ok]
           resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
           backend-service has 0 dots (< ndots:5): each search domain first, then as is
           1.  backend-service.microservices.svc.cluster.local. A → NOERROR 10.96.0.3
           answered by query 1; no query wasted

        3. Service microservices/backend-service (DNAT to an endpoint) [ok]
           ClusterIP microservices/backend-service 10.96.0.3 selector app=backend
           port 8080/TCP -> targetPort 8080
             endpoint microservices/backend[Deployment]:8080
               container "backend" runs its own program (/bin/sh -c echo 'Backend running' && sleep 3600): it must listen on 8080 itself, or the connection is refused

        4. egress of microservices/frontend[Deployment] [ok]
           microservices/frontend[Deployment] -> microservices/backend[Deployment] TCP 8080
           isolated for egress by microservices/deny-all, microservices/allow-dns-egress
           allowed by microservices/allow-dns-egress egress[2]: to[0] every pod in namespaces <all>

        5. ingress of microservices/backend[Deployment] [ok]
           microservices/frontend[Deployment] -> microservices/backend[Deployment] TCP 8080
           isolated for ingress by microservices/deny-all, microservices/frontend-to-backend
           allowed by microservices/frontend-to-backend ingress[0]: from[0] pods app=frontend in namespace microservices

        verdict: ALLOWED
    "#]].assert_eq(&run(&cluster, "microservices/frontend", "backend-service:8080"));
}

#[test]
fn exercise_2_frontend_cannot_reach_the_database() {
    let cluster = cluster(&["examples/exercise-1", "examples/exercise-2"]);
    expect_test::expect![[r#"
        microservices/frontend[Deployment] -> postgres-service (10.96.0.2):5432

        1. DNS traffic from microservices/frontend[Deployment] to the cluster DNS [ok]
           UDP 53 to kube-system/kube-dns (kube-system/coredns[Deployment]): allowed
           TCP 53 to kube-system/kube-dns (kube-system/coredns[Deployment]): allowed

        2. resolve "postgres-service" from microservices/frontend[Deployment] [ok]
           resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
           postgres-service has 0 dots (< ndots:5): each search domain first, then as is
           1.  postgres-service.microservices.svc.cluster.local. A → NOERROR 10.96.0.2
           answered by query 1; no query wasted

        3. Service microservices/postgres-service (DNAT to an endpoint) [ok]
           ClusterIP microservices/postgres-service 10.96.0.2 selector app=postgres
           port 5432/TCP -> targetPort 5432
             endpoint microservices/postgres[Deployment]:5432

        4. egress of microservices/frontend[Deployment] [ok]
           microservices/frontend[Deployment] -> microservices/postgres[Deployment] TCP 5432
           isolated for egress by microservices/deny-all, microservices/allow-dns-egress
           allowed by microservices/allow-dns-egress egress[2]: to[0] every pod in namespaces <all>

        5. ingress of microservices/postgres[Deployment] [BLOCKED]
           microservices/frontend[Deployment] -> microservices/postgres[Deployment] TCP 5432
           isolated for ingress by microservices/deny-all, microservices/backend-to-database
           microservices/deny-all has no ingress rules: it allows nothing
           microservices/backend-to-database: ingress[0]: from[0] pods app=backend in namespace microservices: podSelector app=backend does not match the pod's labels (app=frontend)

        verdict: DENIED

        To allow it, add:
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: allow-ingress-frontend-postgres-5432
          namespace: microservices
        spec:
          podSelector:
            matchLabels:
              app: "postgres"
          policyTypes:
          - Ingress
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  app: "frontend"
            ports:
            - protocol: TCP
              port: 5432

    "#]].assert_eq(&run(&cluster, "microservices/frontend", "postgres-service:5432"));
}

#[test]
fn outside_client_through_the_load_balancer() {
    let cluster = cluster(&["examples/exercise-1", "examples/exercise-2"]);
    expect_test::expect![[r#"
        203.0.113.7 -> service microservices/frontend-service:80

        1. Service microservices/frontend-service from outside [ok]
           port 80/TCP (nodePort 30000) -> microservices/frontend[Deployment]:80

        2. ingress of microservices/frontend[Deployment] [ok]
           203.0.113.7 (outside the cluster) -> microservices/frontend[Deployment] TCP 80
           isolated for ingress by microservices/deny-all, microservices/allow-frontend-ingress
           allowed by microservices/allow-frontend-ingress ingress[0]: every source

        verdict: ALLOWED
    "#]]
    .assert_eq(&run(&cluster, "203.0.113.7", "microservices/frontend-service:80"));
}

#[test]
fn target_parsing_rejects_garbage() {
    for bad in ["", ":80", "svc:0", "svc:http", "svc:80/ICMP", "a/b/c", "/x"] {
        assert!(Request::parse(bad).is_err(), "{bad:?} should be refused");
    }
    assert!(Request::parse("backend-service:8080/tcp").is_ok());
    assert!(Request::parse("10.0.0.1").is_ok());
}

#[test]
fn exercise_1_backend_runs_sleep_so_nothing_listens() {
    let cluster = cluster(&["examples/exercise-1"]);
    expect_test::expect![[r#"
        microservices/frontend[Deployment] -> backend-service.microservices (10.96.0.3):8080

        1. DNS traffic from microservices/frontend[Deployment] to the cluster DNS [ok]
           UDP 53 to kube-system/kube-dns (kube-system/coredns[Deployment]): allowed
           TCP 53 to kube-system/kube-dns (kube-system/coredns[Deployment]): allowed

        2. resolve "backend-service.microservices" from microservices/frontend[Deployment] [ok]
           resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
           backend-service.microservices has 1 dot (< ndots:5): each search domain first, then as is
           1.  backend-service.microservices.microservices.svc.cluster.local. A → NXDOMAIN
           2.  backend-service.microservices.svc.cluster.local.               A → NOERROR 10.96.0.3
           answered by query 2; 1 query wasted (getaddrinfo asks A and AAAA, so 2 on the wire)

        3. Service microservices/backend-service (DNAT to an endpoint) [ok]
           ClusterIP microservices/backend-service 10.96.0.3 selector app=backend
           port 8080/TCP -> targetPort 8080
             endpoint microservices/backend[Deployment]:8080
               container "backend" runs its own program (/bin/sh -c echo 'Backend running' && sleep 3600): it must listen on 8080 itself, or the connection is refused

        4. egress of microservices/frontend[Deployment] [ok]
           microservices/frontend[Deployment] -> microservices/backend[Deployment] TCP 8080
           no NetworkPolicy selecting the source isolates egress: everything is allowed

        5. ingress of microservices/backend[Deployment] [ok]
           microservices/frontend[Deployment] -> microservices/backend[Deployment] TCP 8080
           no NetworkPolicy selecting the destination isolates ingress: everything is allowed

        verdict: ALLOWED
    "#]].assert_eq(&run(&cluster, "microservices/frontend", "backend-service.microservices:8080"));
}

proptest::proptest! {
    /// `--to` and `--from` come straight from the command line: no text makes the parsers panic.
    #[test]
    fn target_and_source_parsing_never_panic(text in "\\PC{0,40}") {
        let _ = Request::parse(&text);
        let cluster = Cluster::from_manifests(&[]);
        let _ = find_source(&cluster, &text);
    }
}
