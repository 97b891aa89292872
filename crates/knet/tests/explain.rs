//! The OpenAPI documents of `knet up` as the real kubectl 1.27 and 1.33 use them: `kubectl explain` prints the
//! field documentation of the served kinds (from OpenAPI v3, and from the v2 protobuf with
//! `--output=plaintext-openapiv2`), a client-side `apply` of an edited Deployment merges its lists by their merge
//! keys (kubectl computes that patch from the v2 definitions' `x-kubernetes-patch-*` extensions), and a misspelt
//! field is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

mod support;
use support::{KnetUp as Cluster, kubectl_binary};

impl Cluster {
    /// Runs kubectl 1.`minor` with its own cache dir; returns whether it succeeded, its stdout and its stderr.
    fn kubectl(&self, minor: u32, args: &[&str], file: Option<&Path>) -> (bool, String, String) {
        let mut command = Command::new(kubectl_binary(minor));
        command
            .arg("--kubeconfig")
            .arg(self.dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(self.dir.join(format!("kubectl-cache-1.{minor}")))
            .args(args);
        if let Some(file) = file {
            command.arg("-f").arg(file);
        }
        let output = command.output().expect("kubectl runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn ok(&self, minor: u32, args: &[&str], file: Option<&Path>) -> String {
        let (success, stdout, stderr) = self.kubectl(minor, args, file);
        assert!(success, "kubectl 1.{minor} {args:?} failed:\n{stdout}\n{stderr}");
        stdout
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("a manifest written");
        path
    }
}

/// A Deployment with two containers, the first with two ports and two environment variables.
fn deployment(name: &str, second_port: bool, b: &str) -> String {
    let port = if second_port { "\n        - containerPort: 443" } else { "" };
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80{port}
        env:
        - {{name: A, value: "1"}}
        - {{name: B, value: "{b}"}}
      - name: side
        image: busybox
        ports:
        - containerPort: 9000
"#
    )
}

#[test]
fn kubectl_explains_the_served_kinds_and_applies_with_their_merge_keys() {
    let cluster = Cluster::start(std::env::temp_dir().join(format!("knet-explain-test-{}", std::process::id())));

    for minor in [27, 33] {
        let spec = cluster.ok(minor, &["explain", "service.spec"], None);
        assert!(spec.contains("KIND:       Service"), "1.{minor}:\n{spec}");
        assert!(spec.contains("FIELD: spec <ServiceSpec>"), "1.{minor}:\n{spec}");
        assert!(spec.contains("FIELDS:"), "1.{minor}:\n{spec}");
        assert!(spec.contains("  clusterIP\t<string>"), "1.{minor}:\n{spec}");
        assert!(spec.contains("clusterIP is the IP address of the service and is usually assigned randomly."));
        assert!(spec.contains("  ports\t<[]ServicePort>"), "1.{minor}:\n{spec}");

        let ports = cluster.ok(minor, &["explain", "deployment.spec.template.spec.containers.ports"], None);
        assert!(ports.contains("GROUP:      apps"), "1.{minor}:\n{ports}");
        assert!(ports.contains("FIELD: ports <[]ContainerPort>"), "1.{minor}:\n{ports}");
        assert!(ports.contains("  containerPort\t<integer> -required-"), "1.{minor}:\n{ports}");

        let from = cluster.ok(minor, &["explain", "networkpolicy.spec.ingress.from"], None);
        assert!(from.contains("FIELD: from <[]NetworkPolicyPeer>"), "1.{minor}:\n{from}");
        for field in ["ipBlock\t<IPBlock>", "namespaceSelector\t<LabelSelector>", "podSelector\t<LabelSelector>"] {
            assert!(from.contains(field), "1.{minor}: {field}\n{from}");
        }

        let rules = cluster.ok(minor, &["explain", "ingress.spec.rules"], None);
        assert!(rules.contains("FIELD: rules <[]IngressRule>"), "1.{minor}:\n{rules}");
        assert!(rules.contains("  host\t<string>") && rules.contains("  http\t<HTTPIngressRuleValue>"), "{rules}");

        // Every served kind, through its short name where it has one.
        for kind in ["ns", "no", "po", "svc", "ep", "cm", "secret", "sa", "ev", "deploy", "rs", "endpointslice"] {
            let explained = cluster.ok(minor, &["explain", kind], None);
            assert!(explained.contains("DESCRIPTION:") && explained.contains("metadata\t<ObjectMeta>"), "{kind}");
        }
        for kind in ["ing", "ingressclass", "netpol"] {
            assert!(cluster.ok(minor, &["explain", kind], None).contains("spec\t<"), "{kind}");
        }
    }

    // kubectl 1.27 reads OpenAPI v2, in protobuf, when asked to.
    let v2 = cluster.ok(27, &["explain", "service.spec.ports", "--output=plaintext-openapiv2"], None);
    assert!(v2.contains("RESOURCE: ports <[]Object>"), "{v2}");
    assert!(v2.contains("targetPort\t<string>") || v2.contains("targetPort\t<>"), "{v2}");
    assert!(v2.contains("The list of ports that are exposed by this service."), "{v2}");

    // A client-side apply of an edited manifest: one port removed, one variable changed. With list replacement the
    // side container's port would survive only by chance and a removed port could come back; with the merge keys
    // the stored object is exactly the new manifest plus the server's defaults.
    for minor in [27, 33] {
        let name = format!("smp-{minor}");
        let first = cluster.write(&format!("{name}-1.yaml"), &deployment(&name, true, "2"));
        let second = cluster.write(&format!("{name}-2.yaml"), &deployment(&name, false, "22"));
        cluster.ok(minor, &["apply"], Some(&first));
        let configured = cluster.ok(minor, &["apply"], Some(&second));
        assert_eq!(configured, format!("deployment.apps/{name} configured\n"));
        let stored: Value =
            serde_json::from_str(&cluster.ok(minor, &["get", "deployment", &name, "-o", "json"], None)).expect("JSON");
        let containers = &stored["spec"]["template"]["spec"]["containers"];
        let summary: Vec<Value> = containers
            .as_array()
            .expect("containers")
            .iter()
            .map(|c| json!({"name": c["name"], "ports": c["ports"], "env": c["env"]}))
            .collect();
        assert_eq!(
            json!(summary),
            json!([
                {
                    "name": "web",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "22"}],
                },
                {"name": "side", "ports": [{"containerPort": 9000, "protocol": "TCP"}], "env": null},
            ]),
            "kubectl 1.{minor}"
        );
    }

    // A misspelt field is refused. kubectl validates on the client only against a server that does not validate
    // fields itself; knet's OpenAPI v3 says it does, so kubectl (1.27 too) sends fieldValidation=Strict and the
    // server names the field, as kube-apiserver does.
    let typo = cluster.write(
        "typo.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n  ports:\n  - port: 80\n    targetPortt: 8080\n",
    );
    for minor in [27, 33] {
        let (success, _, stderr) = cluster.kubectl(minor, &["apply", "--validate=strict"], Some(&typo));
        assert!(!success, "1.{minor}");
        assert!(stderr.contains(r#"unknown field "spec.ports[0].targetPortt""#), "1.{minor}: {stderr}");
    }
}
