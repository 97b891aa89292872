//! `knet up` driven by the real kubectl over HTTPS on a free loopback port. The first test covers the API server:
//! version, namespaces, apply of the guide's exercises (and a second apply that changes nothing), get with
//! server-side Tables, kube-apiserver's error wording, delete, a second `knet up` refused, `knet kubeconfig`, and
//! `knet down`. The second walks the guide's kubectl commands, as written, with kubectl 1.33, 1.30 and the
//! dispatcher, against the controllers: Deployments become available, pods Running with IPs from the pod CIDR,
//! Services list their endpoints, scale and rollouts work, and deleting the namespace takes everything with it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{kubectl_binary, repo, start_knet_up};

/// A running `knet up` in a temporary state dir, stopped and removed when dropped.
struct Cluster {
    child: Option<Child>,
    dir: PathBuf,
    kubeconfig: PathBuf,
    kubectl: PathBuf,
}

impl Cluster {
    fn start(dir: PathBuf) -> Cluster {
        let child = start_knet_up(&dir);
        Cluster { child: Some(child), kubeconfig: dir.join("kubeconfig"), dir, kubectl: kubectl_binary(33) }
    }

    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.kubectl_with(&self.kubectl, args, stdin)
    }

    fn kubectl_with(&self, kubectl: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(kubectl);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.join(format!("kubectl-cache-{}", kubectl.display().to_string().replace('/', "_"))))
            .args(args)
            .current_dir(repo())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("kubectl runs");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.unwrap_or("").as_bytes()).expect("kubectl reads its input");
        drop(input);
        child.wait_with_output().expect("kubectl finishes")
    }

    /// Runs kubectl and returns its stdout, failing the test if it fails.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args, None);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "kubectl {args:?} failed:\n{stdout}\n{stderr}");
        stdout
    }

    /// Runs kubectl expecting a failure, and returns its stderr.
    fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.kubectl(args, stdin);
        assert!(!output.status.success(), "kubectl {args:?} succeeded");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// `knet down`, then waits (with a deadline) for the server process to exit.
    fn down(&mut self) {
        let down =
            Command::new(env!("CARGO_BIN_EXE_knet")).args(["down", "--state-dir"]).arg(&self.dir).output().unwrap();
        assert!(down.status.success(), "knet down: {}", String::from_utf8_lossy(&down.stderr));
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "knet up exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "knet up did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The rows of a kubectl table as columns split on runs of spaces.
fn rows(table: &str) -> Vec<Vec<String>> {
    table.lines().map(|l| l.split_whitespace().map(str::to_owned).collect()).collect()
}

#[test]
fn the_real_kubectl_drives_knet_up() {
    let dir = std::env::temp_dir().join(format!("knet-kubectl-test-{}", std::process::id()));
    let mut cluster = Cluster::start(dir.clone());

    let version = cluster.ok(&["version"]);
    assert!(version.contains("Server Version: v1.33"), "{version}");

    // A second server on the same state dir refuses clearly.
    let second =
        Command::new(env!("CARGO_BIN_EXE_knet")).args(["up", "--port", "0", "--state-dir"]).arg(&dir).output().unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another knet up is already running"));
    let printed =
        Command::new(env!("CARGO_BIN_EXE_knet")).args(["kubeconfig", "--state-dir"]).arg(&dir).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), cluster.kubeconfig.display().to_string());

    // kubectl 1.33 sends `create namespace` in protobuf.
    assert_eq!(cluster.ok(&["create", "namespace", "microservices"]), "namespace/microservices created\n");
    let exists = cluster.fails(&["create", "namespace", "microservices"], None);
    assert_eq!(exists.trim(), r#"Error from server (AlreadyExists): namespaces "microservices" already exists"#);

    let applied = cluster.ok(&[
        "apply",
        "-f",
        "examples/exercise-1/01-postgres.yaml",
        "-f",
        "examples/exercise-1/02-backend.yaml",
        "-f",
        "examples/exercise-1/03-frontend.yaml",
    ]);
    expect_test::expect![[r#"
        deployment.apps/postgres created
        service/postgres-service created
        deployment.apps/backend created
        service/backend-service created
        deployment.apps/frontend created
        service/frontend-service created
    "#]]
    .assert_eq(&applied);
    let applied = cluster.ok(&["apply", "-f", "examples/exercise-2/"]);
    assert!(applied.contains("networkpolicy.networking.k8s.io/deny-all created"), "{applied}");

    let applied = cluster.ok(&["apply", "-f", "examples/exercise-3/"]);
    assert!(applied.contains("ingress.networking.k8s.io/microservices-ingress created"), "{applied}");
    let ingresses = rows(&cluster.ok(&["get", "ingress", "-n", "microservices"]));
    assert_eq!(ingresses[0], ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]);
    assert_eq!(ingresses[1][..3], ["microservices-ingress", "nginx", "myapp.local"], "the default IngressClass");

    let services = rows(&cluster.ok(&["get", "svc", "-n", "microservices"]));
    assert_eq!(services[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    let names: Vec<&str> = services[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["backend-service", "frontend-service", "postgres-service"]);
    for row in &services[1..] {
        let ip: std::net::Ipv4Addr = row[2].parse().expect("a ClusterIP");
        assert_eq!(u32::from(ip) >> 20, u32::from(std::net::Ipv4Addr::new(10, 96, 0, 0)) >> 20, "{row:?}");
    }
    assert_eq!(services[1][1..2], ["ClusterIP"]);
    assert_eq!(services[1][3..5], ["<none>", "8080/TCP"]);
    assert_eq!(services[2][1], "LoadBalancer");
    assert_eq!(services[2][3], "10.250.0.1");
    assert!(services[2][4].starts_with("80:3") && services[2][4].ends_with("/TCP"), "{:?}", services[2]);
    let wide = rows(&cluster.ok(&["get", "svc", "backend-service", "-n", "microservices", "-o", "wide"]));
    assert_eq!(wide[0].last().map(String::as_str), Some("SELECTOR"));
    assert_eq!(wide[1].last().map(String::as_str), Some("app=backend"));

    let policies = rows(&cluster.ok(&["get", "networkpolicy", "-n", "microservices"]));
    assert_eq!(policies[0], ["NAME", "POD-SELECTOR", "AGE"]);
    let deny_all = policies.iter().find(|r| r[0] == "deny-all").expect("deny-all listed");
    assert_eq!(deny_all[1], "<none>");

    let again = cluster.ok(&["apply", "-f", "examples/exercise-1/02-backend.yaml", "-f", "examples/exercise-2/"]);
    for line in again.lines() {
        assert!(line.ends_with(" unchanged"), "{again}");
    }

    let missing = cluster.fails(&["get", "svc", "nope", "-n", "microservices"], None);
    assert_eq!(missing.trim(), r#"Error from server (NotFound): services "nope" not found"#);
    let bad = "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n  namespace: microservices\nspec:\n  ports:\n  - port: 70000\n";
    let invalid = cluster.fails(&["apply", "-f", "-"], Some(bad));
    assert!(
        invalid.contains(r#"The Service "bad" is invalid: "#)
            && invalid.contains("spec.ports[0].port: Invalid value: 70000"),
        "{invalid}"
    );
    let taken = "apiVersion: v1\nkind: Service\nmetadata:\n  name: taken\n  namespace: microservices\nspec:\n  clusterIP: 10.96.0.10\n  ports:\n  - port: 53\n";
    let taken = cluster.fails(&["apply", "-f", "-"], Some(taken));
    assert!(
        taken.contains(r#"spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"#),
        "{taken}"
    );
    // The dispatcher picks its 1.33 from /version.
    let dispatched =
        Command::new("kubectl").arg("--kubeconfig").arg(&cluster.kubeconfig).arg("version").output().unwrap();
    assert!(String::from_utf8_lossy(&dispatched.stdout).contains("Server Version: v1.33"));
    // kubectl 1.30 (discovery v2, OpenAPI v3) works too, and 1.27, which would validate with OpenAPI v2 if the
    // OpenAPI v3 documents did not say that the server validates fields itself.
    for version in ["kubectl.1.30", "kubectl.1.27"] {
        let args = ["apply", "-f", "examples/exercise-1/02-backend.yaml"];
        let old = cluster.kubectl_with(&cluster.kubectl.with_file_name(version), &args, None);
        let old_stdout = String::from_utf8_lossy(&old.stdout);
        assert!(old.status.success() && old_stdout.contains("service/backend-service unchanged"), "{old_stdout}");
    }
    // A custom resource without its CRD: kubectl's own words, as on a real cluster.
    let unknown = cluster.fails(&["apply", "-f", "examples/monitoring/servicemonitor.yaml"], None);
    assert!(
        unknown.contains(r#"no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1""#)
            && unknown.contains("ensure CRDs are installed first"),
        "{unknown}"
    );

    let unauthorized = cluster.fails(&["get", "ns", "--token", "wrong"], None);
    assert!(unauthorized.contains("Unauthorized"), "{unauthorized}");

    // Who the kubeconfig's user is, and what it may do (kubectl 1.33 sends these reviews in protobuf).
    expect_test::expect![[r#"
        ATTRIBUTE   VALUE
        Username    knet-admin
        Groups      [system:masters system:authenticated]
    "#]]
    .assert_eq(&cluster.ok(&["auth", "whoami"]));
    assert_eq!(cluster.ok(&["auth", "can-i", "delete", "networkpolicies", "-n", "microservices"]), "yes\n");
    assert_eq!(cluster.ok(&["auth", "can-i", "get", "/healthz"]), "yes\n");
    let rules = rows(&cluster.ok(&["auth", "can-i", "--list", "-n", "microservices"]));
    assert_eq!(rules[1], ["*.*", "[]", "[]", "[*]"]);
    // Acting as someone else is refused with the reason, never answered as the admin.
    let impersonated = cluster.fails(&["auth", "can-i", "get", "pods", "--as", "bob"], None);
    assert!(
        impersonated.contains(
            r#"Error from server (Forbidden): users "bob" is forbidden: User "knet-admin" cannot impersonate"#
        ) && impersonated.contains("knet has one user"),
        "{impersonated}"
    );
    let impersonated = cluster.fails(&["get", "pods", "--as", "bob", "--as-group", "devs"], None);
    assert!(impersonated.contains("cannot impersonate"), "{impersonated}");
    // A kind knet does not serve is named; the node's subresources say what is missing.
    let hpa =
        cluster.fails(&["get", "--raw", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"], None);
    assert_eq!(
        hpa.trim(),
        r#"Error from server (NotFound): the server doesn't have a resource type "horizontalpodautoscalers""#
    );
    // kubectl debug node/NAME sends its Pod in protobuf: it is created, then attaching needs the data plane.
    let node = cluster.ok(&["get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"]);
    let debug =
        cluster.kubectl(&["debug", &format!("node/{node}"), "--image=busybox", "--profile=general", "-it"], Some(""));
    assert!(!debug.status.success());
    let debug = format!("{}{}", String::from_utf8_lossy(&debug.stdout), String::from_utf8_lossy(&debug.stderr));
    assert!(debug.contains(&format!("Creating debugging pod node-debugger-{node}-")), "{debug}");
    assert!(debug.contains("is served by the node data plane, which this knet does not run yet"), "{debug}");
    cluster.ok(&["run", "web", "-n", "default", "--image=nginx", "--port=80"]);
    cluster.ok(&["wait", "-n", "default", "--for=condition=Ready", "pod/web", "--timeout=30s"]);
    for args in [&["port-forward", "-n", "default", "pod/web", "18080:80"][..], &["attach", "-n", "default", "web"]] {
        let refused = cluster.fails(args, None);
        assert!(refused.contains("is served by the node data plane, which this knet does not run yet"), "{refused}");
    }

    let deleted = cluster.ok(&["delete", "-f", "examples/exercise-2/"]);
    assert!(deleted.contains(r#"networkpolicy.networking.k8s.io "deny-all" deleted"#), "{deleted}");
    let empty = cluster.kubectl(&["get", "networkpolicy", "-n", "microservices"], None);
    assert!(String::from_utf8_lossy(&empty.stderr).contains("No resources found in microservices namespace."));
    assert_eq!(cluster.ok(&["delete", "namespace", "microservices"]), "namespace \"microservices\" deleted\n");
    assert!(cluster.fails(&["get", "namespace", "microservices"], None).contains("NotFound"));

    cluster.down();
}

/// One kubectl binary walking the guide's commands on a running cluster.
struct Guide<'a> {
    cluster: &'a Cluster,
    kubectl: PathBuf,
}

impl Guide<'_> {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.cluster.kubectl_with(&self.kubectl, args, stdin)
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, None)
    }

    fn ok_with(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run(args, stdin);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{} {args:?} failed:\n{stdout}\n{stderr}", self.kubectl.display());
        stdout
    }

    /// Runs `args` until `done` holds for its output (controllers take a moment), failing after a deadline.
    fn eventually(&self, args: &[&str], done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.ok(args);
            if done(&out) {
                return out;
            }
            assert!(Instant::now() < deadline, "{args:?} never settled; last output:\n{out}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn example(path: &str) -> String {
    std::fs::read_to_string(repo().join("examples").join(path)).expect("an example of the guide")
}

/// Whether `ip` is in the node's pod CIDR, 10.244.0.0/24.
fn in_pod_cidr(ip: &str) -> bool {
    ip.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.octets()[..3] == [10, 244, 0])
}

/// The addresses of a `kubectl get endpoints` row's ENDPOINTS column (`<none>`: none).
fn endpoint_addresses(table: &str) -> Vec<String> {
    let rows = rows(table);
    let column = rows[1][1].as_str();
    if column == "<none>" { Vec::new() } else { column.split(',').map(str::to_owned).collect() }
}

fn walk_the_guide(guide: &Guide<'_>) {
    // 演習1: the namespace, then each tier with `kubectl apply -f - <<EOF`.
    assert_eq!(guide.ok(&["create", "namespace", "microservices"]), "namespace/microservices created\n");
    for (file, deployment, service) in [
        ("exercise-1/01-postgres.yaml", "postgres", "postgres-service"),
        ("exercise-1/02-backend.yaml", "backend", "backend-service"),
        ("exercise-1/03-frontend.yaml", "frontend", "frontend-service"),
    ] {
        let applied = guide.ok_with(&["apply", "-f", "-"], Some(&example(file)));
        assert_eq!(applied, format!("deployment.apps/{deployment} created\nservice/{service} created\n"));
    }
    let waited =
        guide.ok(&["wait", "--for=condition=available", "deployment", "--all", "-n", "microservices", "--timeout=60s"]);
    for deployment in ["backend", "frontend", "postgres"] {
        assert!(waited.contains(&format!("deployment.apps/{deployment} condition met")), "{waited}");
    }
    let services = rows(&guide.ok(&["get", "services", "-n", "microservices"]));
    assert_eq!(services[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    assert_eq!(services.len(), 4);

    // The exec commands need the node data plane; until then the answer says so.
    let exec =
        guide.run(&["exec", "-n", "microservices", "deployment/backend", "--", "nslookup", "postgres-service"], None);
    assert!(!exec.status.success());
    let exec_error = String::from_utf8_lossy(&exec.stderr);
    assert!(exec_error.contains("node data plane"), "{exec_error}");

    // 演習2 and 演習3.
    let denied = guide.ok_with(&["apply", "-f", "-"], Some(&example("exercise-2/01-deny-all.yaml")));
    assert_eq!(denied, "networkpolicy.networking.k8s.io/deny-all created\n");
    let allowed = guide.ok_with(&["apply", "-f", "-"], Some(&example("exercise-2/02-allow.yaml")));
    assert_eq!(allowed.lines().count(), 4, "{allowed}");
    let ingress = guide.ok_with(&["apply", "-f", "-"], Some(&example("exercise-3/01-ingress.yaml")));
    assert_eq!(ingress, "ingress.networking.k8s.io/microservices-ingress created\n");

    // トラブルシューティング: Services, endpoints, pods.
    let described = guide.ok(&["describe", "svc", "backend-service", "-n", "microservices"]);
    let endpoints_line = described.lines().find(|l| l.starts_with("Endpoints:")).expect("an Endpoints line");
    let listed: Vec<&str> = endpoints_line["Endpoints:".len()..].trim().split(',').collect();
    assert_eq!(listed.len(), 2, "{described}");
    for address in &listed {
        let (ip, port) = address.split_once(':').expect("ip:port");
        assert!(in_pod_cidr(ip) && port == "8080", "{described}");
    }
    let selector = described.lines().find_map(|l| l.strip_prefix("Selector:")).map(str::trim);
    assert_eq!(selector, Some("app=backend"), "{described}");
    let endpoints = guide.run(&["get", "endpoints", "backend-service", "-n", "microservices"], None);
    let warning = String::from_utf8_lossy(&endpoints.stderr);
    assert!(warning.contains("Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"));
    let endpoints = String::from_utf8_lossy(&endpoints.stdout).into_owned();
    assert_eq!(rows(&endpoints)[0], ["NAME", "ENDPOINTS", "AGE"]);
    let mut from_endpoints = endpoint_addresses(&endpoints);
    let mut from_describe: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
    from_endpoints.sort();
    from_describe.sort();
    assert_eq!(from_endpoints, from_describe);

    let pods = rows(&guide.ok(&["get", "pods", "-n", "microservices", "-l", "app=backend"]));
    assert_eq!(pods[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert_eq!(pods.len(), 3, "two backend pods: {pods:?}");
    for pod in &pods[1..] {
        assert!(pod[0].starts_with("backend-"), "{pod:?}");
        assert_eq!(pod[1..4], ["1/1", "Running", "0"]);
    }
    let pod = guide.ok(&["describe", "pod", &pods[1][0], "-n", "microservices"]);
    for expected in
        ["Status:           Running", "Node:             knet/127.0.0.1", "Controlled By:  ReplicaSet/backend-"]
    {
        assert!(pod.contains(expected), "{expected:?} in:\n{pod}");
    }
    let ip_line = pod.lines().find(|l| l.starts_with("IP:")).expect("an IP line");
    assert!(in_pod_cidr(ip_line["IP:".len()..].trim()), "{pod}");
    assert!(pod.contains("Successfully assigned microservices/"), "the scheduler's event:\n{pod}");

    // NetworkPolicy の診断.
    let policies = rows(&guide.ok(&["get", "networkpolicy", "-n", "microservices"]));
    assert_eq!(policies[0], ["NAME", "POD-SELECTOR", "AGE"]);
    assert_eq!(policies.len(), 6, "deny-all and four allowing policies");
    let deny_all = guide.ok(&["describe", "networkpolicy", "deny-all", "-n", "microservices"]);
    assert!(deny_all.contains("PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)"));
    assert!(deny_all.contains("Policy Types: Ingress, Egress"), "{deny_all}");

    // DNS の診断: CoreDNS pods stand for the cluster DNS server.
    let dns = rows(&guide.ok(&["get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns"]));
    assert_eq!(dns.len(), 3, "two coredns pods: {dns:?}");
    assert!(dns[1..].iter().all(|p| p[0].starts_with("coredns-") && p[2] == "Running"), "{dns:?}");

    // Scale and roll out.
    assert_eq!(
        guide.ok(&["scale", "deployment", "backend", "--replicas=3", "-n", "microservices"]),
        "deployment.apps/backend scaled\n"
    );
    let rolled = guide.ok(&["rollout", "status", "deployment/backend", "-n", "microservices", "--timeout=60s"]);
    assert!(rolled.ends_with("deployment \"backend\" successfully rolled out\n"), "{rolled}");
    guide.eventually(&["get", "endpoints", "backend-service", "-n", "microservices"], |t| {
        endpoint_addresses(t).len() == 3
    });
    let changed = example("exercise-1/02-backend.yaml").replace("node:16-alpine", "node:20-alpine");
    let reapplied = guide.ok_with(&["apply", "-f", "-"], Some(&changed));
    assert_eq!(reapplied, "deployment.apps/backend configured\nservice/backend-service unchanged\n");
    let rolled = guide.ok(&["rollout", "status", "deployment/backend", "-n", "microservices", "--timeout=60s"]);
    assert!(rolled.ends_with("deployment \"backend\" successfully rolled out\n"), "{rolled}");
    let images = guide.eventually(
        &[
            "get",
            "pods",
            "-n",
            "microservices",
            "-l",
            "app=backend",
            "-o",
            "jsonpath={.items[*].spec.containers[0].image}",
        ],
        |out| out.split_whitespace().count() == 2 && out.split_whitespace().all(|i| i == "node:20-alpine"),
    );
    assert!(images.contains("node:20-alpine"));
    let sets = rows(&guide.ok(&["get", "replicasets", "-n", "microservices", "-l", "app=backend"]));
    assert_eq!(sets.len(), 3, "the old and the new ReplicaSet: {sets:?}");

    // A pod whose environment names a ConfigMap that is not there waits, as the kubelet makes it, until it is.
    let waiting = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: configured\n  namespace: microservices\nspec:\n  containers:\n  - name: app\n    image: busybox\n    env:\n    - name: LEVEL\n      valueFrom:\n        configMapKeyRef: {name: app-config, key: level}\n";
    guide.ok_with(&["apply", "-f", "-"], Some(waiting));
    let status = ["get", "pod", "configured", "-n", "microservices", "--no-headers"];
    guide.eventually(&status, |row| row.split_whitespace().nth(2) == Some("CreateContainerConfigError"));
    let described = guide.ok(&["describe", "pod", "configured", "-n", "microservices"]);
    assert!(described.contains(r#"Error: configmap "app-config" not found"#), "{described}");
    guide.ok(&["create", "configmap", "app-config", "-n", "microservices", "--from-literal=level=debug"]);
    guide.eventually(&status, |row| row.split_whitespace().nth(2) == Some("Running"));

    // Deleting an owner: its dependents go with it, or stay without it when orphaned.
    let orphaned = guide.ok(&["delete", "deployment", "frontend", "-n", "microservices", "--cascade=orphan"]);
    assert_eq!(orphaned, "deployment.apps \"frontend\" deleted\n");
    let owners = guide.ok(&[
        "get",
        "replicasets",
        "-n",
        "microservices",
        "-l",
        "app=frontend",
        "-o",
        "jsonpath={.items[*].metadata.name}|{.items[*].metadata.ownerReferences}",
    ]);
    let (names, references) = owners.split_once('|').expect("names|owners");
    assert!(names.starts_with("frontend-") && references.is_empty(), "{owners}");
    guide.ok(&["delete", "deployment", "postgres", "-n", "microservices"]);
    guide.eventually(&["get", "replicasets,pods", "-n", "microservices", "-l", "app=postgres", "-o", "name"], |out| {
        out.trim().is_empty()
    });

    // A Service's Endpoints go with it (they carry no owner reference; the endpoints controller deletes them).
    guide.ok(&["delete", "service", "postgres-service", "-n", "microservices"]);
    guide.eventually(&["get", "endpoints", "-n", "microservices", "-o", "name"], |out| {
        !out.contains("postgres-service")
    });

    // Deleting the namespace takes everything in it; kube-system is untouched.
    assert_eq!(guide.ok(&["delete", "namespace", "microservices"]), "namespace \"microservices\" deleted\n");
    let gone = guide.run(&["get", "pods", "-n", "microservices"], None);
    assert!(String::from_utf8_lossy(&gone.stderr).contains("No resources found"));
    let dns = rows(&guide.ok(&["get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns"]));
    assert_eq!(dns.len(), 3);
}

#[test]
fn the_guide_runs_on_knet_up() {
    let dir = std::env::temp_dir().join(format!("knet-guide-test-{}", std::process::id()));
    let mut cluster = Cluster::start(dir);
    let kubectl_130 = cluster.kubectl.with_file_name("kubectl.1.30");
    for kubectl in [cluster.kubectl.clone(), kubectl_130, PathBuf::from("kubectl")] {
        walk_the_guide(&Guide { cluster: &cluster, kubectl });
    }
    cluster.down();
}
