//! `knet up` driven by the real kubectl 1.33 over HTTPS on a free loopback port: version, namespaces, apply of
//! the guide's exercises (and a second apply that changes nothing), get with server-side Tables, kube-apiserver's
//! error wording, delete, a second `knet up` refused, `knet kubeconfig`, and `knet down`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kubectl.1.33` beside the dispatcher's target, as `../shared/reference/kubectl/README.md` describes.
fn kubectl_133() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dispatcher = std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .expect("kubectl on the PATH");
    let target = std::fs::canonicalize(&dispatcher).expect("the dispatcher's target");
    let versioned = target.parent().expect("a directory").join("kubectl.1.33");
    assert!(versioned.is_file(), "{} is missing", versioned.display());
    versioned
}

/// A running `knet up` in a temporary state dir, stopped and removed when dropped.
struct Cluster {
    child: Option<Child>,
    dir: PathBuf,
    kubeconfig: PathBuf,
    kubectl: PathBuf,
}

impl Cluster {
    fn start(dir: PathBuf) -> Cluster {
        let _ = std::fs::remove_dir_all(&dir);
        let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
            .args(["up", "--port", "0", "--state-dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("knet up starts");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let cluster = Cluster { child: Some(child), kubeconfig: dir.join("kubeconfig"), dir, kubectl: kubectl_133() };
        let ready = received.recv_timeout(Duration::from_secs(20)).expect("knet up prints a line when ready");
        assert!(ready.starts_with("knet API server ready at https://127.0.0.1:"), "{ready}");
        assert!(ready.contains(&cluster.kubeconfig.display().to_string()), "{ready}");
        cluster
    }

    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(&self.kubectl);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.join("kubectl-cache"))
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
    // The dispatcher picks its 1.33 from /version; kubectl 1.30 (discovery v2, OpenAPI v3) works too.
    let dispatched =
        Command::new("kubectl").arg("--kubeconfig").arg(&cluster.kubeconfig).arg("version").output().unwrap();
    assert!(String::from_utf8_lossy(&dispatched.stdout).contains("Server Version: v1.33"));
    let kubectl_130 = cluster.kubectl.with_file_name("kubectl.1.30");
    let old = Command::new(&kubectl_130)
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("kubectl-cache-130"))
        .args(["apply", "-f", "examples/exercise-1/02-backend.yaml"])
        .current_dir(repo())
        .output()
        .unwrap();
    let old_stdout = String::from_utf8_lossy(&old.stdout);
    assert!(old.status.success() && old_stdout.contains("service/backend-service unchanged"), "{old_stdout}");

    let unauthorized = cluster.fails(&["get", "ns", "--token", "wrong"], None);
    assert!(unauthorized.contains("Unauthorized"), "{unauthorized}");

    let deleted = cluster.ok(&["delete", "-f", "examples/exercise-2/"]);
    assert!(deleted.contains(r#"networkpolicy.networking.k8s.io "deny-all" deleted"#), "{deleted}");
    let empty = cluster.kubectl(&["get", "networkpolicy", "-n", "microservices"], None);
    assert!(String::from_utf8_lossy(&empty.stderr).contains("No resources found in microservices namespace."));
    assert_eq!(cluster.ok(&["delete", "namespace", "microservices"]), "namespace \"microservices\" deleted\n");
    assert!(cluster.fails(&["get", "namespace", "microservices"], None).contains("NotFound"));

    cluster.down();
}
