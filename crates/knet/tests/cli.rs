//! The `knet` binary end to end on the guide's examples: what a user types, what they read, and the exit status.
//! Snapshots live in `tests/snapshots/`; re-bless them with `UPDATE_EXPECT=1 cargo test -p knet --test cli`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `knet ARGS` from the repository root, feeding `stdin`; returns (status, stdout, stderr).
fn knet(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("knet runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("knet finishes");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The exit status, stderr and stdout of one run, as one snapshot text.
fn transcript(args: &[&str]) -> String {
    let (status, stdout, stderr) = knet(args, "");
    format!("$ knet {}\nexit status: {status}\n--- stderr\n{stderr}--- stdout\n{stdout}", args.join(" "))
}

macro_rules! snapshot {
    ($name:ident, $file:literal, $($arg:literal),+) => {
        #[test]
        fn $name() {
            expect_test::expect_file![$file].assert_eq(&transcript(&[$($arg),+]));
        }
    };
}

snapshot!(analyze_service_types, "snapshots/analyze-service-types.txt", "analyze", "-f", "examples/service-types");
snapshot!(analyze_ingress, "snapshots/analyze-ingress.txt", "analyze", "-f", "examples/ingress");
snapshot!(
    analyze_network_policies,
    "snapshots/analyze-network-policies.txt",
    "analyze",
    "-f",
    "examples/network-policies"
);
snapshot!(analyze_dns, "snapshots/analyze-dns.txt", "analyze", "-f", "examples/dns");
snapshot!(analyze_exercise_1, "snapshots/analyze-exercise-1.txt", "analyze", "-f", "examples/exercise-1");
snapshot!(
    analyze_exercises,
    "snapshots/analyze-exercises.txt",
    "analyze",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2",
    "-f",
    "examples/exercise-3"
);
snapshot!(
    analyze_exercises_csv,
    "snapshots/analyze-exercises.csv",
    "analyze",
    "-o",
    "csv",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2",
    "-f",
    "examples/exercise-3"
);
snapshot!(
    analyze_exercises_md,
    "snapshots/analyze-exercises.md",
    "analyze",
    "-o",
    "md",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2"
);
snapshot!(
    analyze_exercises_dot,
    "snapshots/analyze-exercises.dot",
    "analyze",
    "-o",
    "dot",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2"
);
snapshot!(
    analyze_exercises_mermaid,
    "snapshots/analyze-exercises.mermaid",
    "analyze",
    "-o",
    "mermaid",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2"
);
snapshot!(
    explain_frontend_to_backend,
    "snapshots/explain-frontend-backend.txt",
    "explain",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2",
    "--from",
    "microservices/frontend",
    "--to",
    "backend-service:8080"
);
snapshot!(
    explain_backend_to_frontend_denied,
    "snapshots/explain-backend-frontend.txt",
    "explain",
    "-f",
    "examples/exercise-1",
    "-f",
    "examples/exercise-2",
    "--from",
    "microservices/frontend",
    "--to",
    "microservices/postgres:5432"
);
snapshot!(lint_examples, "snapshots/lint-examples.txt", "lint", "-f", "examples");
snapshot!(
    resolve_short_name,
    "snapshots/resolve-backend-service.txt",
    "resolve",
    "-f",
    "examples/exercise-1",
    "--from",
    "microservices/frontend",
    "backend-service"
);
snapshot!(
    resolve_external_name,
    "snapshots/resolve-external.txt",
    "resolve",
    "-f",
    "examples/exercise-1",
    "--from",
    "microservices/frontend",
    "rds.us-west-2.amazonaws.com"
);
snapshot!(
    resolve_custom_dns_pod,
    "snapshots/resolve-custom-dns-pod.txt",
    "resolve",
    "-f",
    "examples/dns/custom-dns-pod.yaml",
    "-f",
    "examples/dns/headless-service.yaml",
    "--from",
    "default/custom-dns-pod",
    "headless-service"
);
snapshot!(missing_path, "snapshots/missing-path.txt", "analyze", "-f", "examples/does-not-exist");

#[test]
fn json_output_is_valid_and_carries_pod_connections() {
    let (status, stdout, _) =
        knet(&["analyze", "-o", "json", "-f", "examples/exercise-1", "-f", "examples/exercise-2"], "");
    assert_eq!(status, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let connections = report["connections"].as_array().expect("connections array");
    let find = |from: &str, to: &str, port: u64| {
        connections
            .iter()
            .find(|c| c["from"] == from && c["to"] == to && c["port"] == port)
            .map(|c| c["allowed"].as_bool())
    };
    assert_eq!(find("microservices/frontend", "microservices/backend", 8080), Some(Some(true)));
    assert_eq!(find("microservices/frontend", "microservices/postgres", 5432), Some(Some(false)));
    assert_eq!(find("microservices/backend", "microservices/postgres", 5432), Some(Some(true)));
    // A pod with itself is listed too.
    assert!(find("microservices/frontend", "microservices/frontend", 80).is_some());
    assert!(report["connectivity"].as_array().is_some_and(|rows| !rows.is_empty()));
}

#[test]
fn stdin_manifests_are_read_with_dash() {
    let manifest = std::fs::read_to_string(root().join("examples/network-policies/deny-all.yaml")).expect("example");
    let (status, stdout, stderr) = knet(&["analyze", "-f", "-"], &manifest);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("Connectivity"), "{stdout}");
}

#[test]
fn malformed_yaml_names_its_line_and_keeps_the_rest() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\nspec:\n  selector:\n    app: x\n  ports:\n  - port: 80\n---\napiVersion: v1\nkind: Service\nmetadata: [unclosed\n";
    let (status, stdout, stderr) = knet(&["analyze", "-f", "-"], text);
    assert_eq!(status, 1);
    assert!(stderr.contains("-:14:1: invalid YAML"), "{stderr}");
    assert!(stdout.contains("default/ok"), "{stdout}");
}

#[test]
fn lint_exits_non_zero_on_errors_and_zero_when_clean() {
    let (status, _, _) = knet(&["lint", "-f", "examples/dns/dns-optimization-pod.yaml"], "");
    assert_eq!(status, 1);
    let (status, stdout, stderr) = knet(&["lint", "-f", "examples/exercise-1"], "");
    assert_eq!(status, 0, "{stdout}{stderr}");
}

/// `knet kubeconfig` on a state dir where `knet up` never ran says so and fails, rather than print a path that
/// `export KUBECONFIG=$(knet kubeconfig)` would hand kubectl to fail on.
#[test]
fn kubeconfig_without_a_kubeconfig_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("knet-cli-no-kubeconfig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_text = dir.display().to_string();
    let (status, stdout, stderr) = knet(&["kubeconfig", "--state-dir", &dir_text], "");
    assert_eq!(status, 2, "knet's status for an error: {stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: no kubeconfig at {dir_text}/kubeconfig: knet up has not run on the state dir {dir_text} (start it \
             with `knet up --state-dir {dir_text}`)"
        )
    );
}
