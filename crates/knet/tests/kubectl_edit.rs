//! The real kubectl (1.33 and 1.27) against `knet up` on what editing a manifest goes through: `kubectl diff`
//! (a server-side dry run) shows nothing right after `kubectl apply` of the same files and only the edited
//! field after an edit, and the typo `kubectl edit` lets through — a string in `spec.replicas` — is refused in
//! kube-apiserver's words.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{KnetUp as Cluster, kubectl_binary, repo};

impl Cluster {
    fn run(&self, kubectl: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(self.dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(self.dir.join(format!("cache-{}", kubectl.display().to_string().replace('/', "_"))))
            .args(args)
            .current_dir(repo())
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.unwrap_or("").as_bytes()).expect("kubectl reads its input");
        drop(input);
        child.wait_with_output().expect("kubectl finishes")
    }

    fn ok(&self, kubectl: &Path, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run(kubectl, args, stdin);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "kubectl {args:?}:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        stdout
    }

    /// `kubectl diff` until it gives `done` an answer it accepts, or the deadline passes: a controller may
    /// write the object (its status) between kubectl's read and its dry run, which is a real difference.
    fn diff_until(&self, kubectl: &Path, args: &[&str], done: impl Fn(i32, &str) -> bool) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let output = self.run(kubectl, args, None);
            let code = output.status.code().unwrap_or(-1);
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(code <= 1, "kubectl diff failed ({code}):\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
            if done(code, &stdout) || Instant::now() > deadline {
                return (code, stdout);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The changed lines of a unified diff, without the file headers.
fn changed_lines(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| (l.starts_with('+') || l.starts_with('-')) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect()
}

#[test]
fn kubectl_diff_shows_only_real_changes_and_replicas_typo_gets_kube_words() {
    let dir = std::env::temp_dir().join(format!("knet-kubectl-edit-{}", std::process::id()));
    let cluster = Cluster::start(dir.clone());
    let edited_dir = dir.join("edited");
    std::fs::create_dir_all(&edited_dir).unwrap();
    for (round, minor) in [33, 27].into_iter().enumerate() {
        let kubectl = kubectl_binary(minor);
        cluster.ok(&kubectl, &["apply", "-f", "examples/exercise-1"], None);
        let settled = cluster.run(
            &kubectl,
            &["wait", "--for=condition=Available", "deployment", "--all", "-n", "microservices", "--timeout=60s"],
            None,
        );
        assert!(settled.status.success(), "{}", String::from_utf8_lossy(&settled.stderr));

        // Unchanged manifests: no difference at all.
        let (code, out) = cluster.diff_until(&kubectl, &["diff", "-f", "examples/exercise-1"], |code, _| code == 0);
        assert_eq!((code, out.as_str()), (0, ""), "kubectl 1.{minor} diff right after apply");

        // One edited field: its lines, the generation it moves, and the last-applied annotation kubectl updates.
        let replicas = 3 + round;
        let original = std::fs::read_to_string(repo().join("examples/exercise-1/02-backend.yaml")).unwrap();
        let edited = original.replacen("replicas: 2", &format!("replicas: {replicas}"), 1);
        assert_ne!(edited, original);
        let edited_file = edited_dir.join("02-backend.yaml");
        std::fs::write(&edited_file, edited).unwrap();
        let file = edited_file.display().to_string();
        let only_edit = |code: i32, out: &str| {
            code == 1
                && changed_lines(out).iter().all(|l| {
                    l.contains("replicas:") || l.contains("generation:") || l.contains("last-applied-configuration")
                })
        };
        let (code, out) = cluster.diff_until(&kubectl, &["diff", "-f", &file], only_edit);
        assert_eq!(code, 1, "kubectl 1.{minor} diff of an edit:\n{out}");
        let changed = changed_lines(&out);
        // Each round starts from the guide's manifests, re-applied: two replicas.
        assert!(changed.contains(&"-  replicas: 2"), "{out}");
        assert!(changed.contains(&format!("+  replicas: {replicas}").as_str()), "{out}");
        assert!(
            changed.iter().all(|l| l.contains("replicas:")
                || l.contains("generation:")
                || l.contains("last-applied-configuration")),
            "kubectl 1.{minor} diff shows more than the edit:\n{out}"
        );
        // Apply the edit, so the next round starts from it.
        cluster.ok(&kubectl, &["apply", "-f", &file], None);
        let (code, out) = cluster.diff_until(&kubectl, &["diff", "-f", &file], |code, _| code == 0);
        assert_eq!((code, out.as_str()), (0, ""), "kubectl 1.{minor} diff right after applying the edit");
    }

    // The typo `kubectl edit` lets through: kube-apiserver's words, for a create and for a replace.
    let kubectl = kubectl_binary(33);
    let typo = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: microservices\nspec:\n  replicas: \"three\"\n  selector:\n    matchLabels:\n      app: backend\n  template:\n    metadata:\n      labels:\n        app: backend\n    spec:\n      containers:\n      - name: backend\n        image: node:16-alpine\n"
        )
    };
    let words = r#"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"#;
    for args in [&["apply", "-f", "-"][..], &["replace", "-f", "-"][..]] {
        let name = if args[0] == "apply" { "typo" } else { "backend" };
        let output = cluster.run(&kubectl, args, Some(&typo(name)));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "kubectl {args:?} accepted replicas: \"three\"");
        assert!(stderr.contains("Error from server (BadRequest)"), "kubectl {args:?}: {stderr}");
        assert!(stderr.contains(words), "kubectl {args:?}: {stderr}");
    }
}
