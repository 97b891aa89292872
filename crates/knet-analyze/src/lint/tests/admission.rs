//! KN0xxx: what admission refused and what the model could not compile becomes findings.

use expect_test::expect;
use knet_model::ClusterConfig;
use knet_object::load_str;

use super::{codes, report};
use crate::input::Input;
use crate::lint::{AsWritten, lint_snapshot, render_text};

pub(super) const BROKEN: &str = "
apiVersion: v1
kind: Service
metadata: {name: ok}
spec:
  selector: {app: ok}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: bad
---
apiVersion: v1
kind: Service
metadata: {name: typed}
spec:
  ports: [{port: eighty}]
---
kind: Service
metadata: {name: untyped}
";

#[test]
fn kn0001_undecodable_documents() {
    expect![[r#"
        fixture.yaml:1   warning  KN1001  Service default/ok  spec.selector
            service "ok": selector app=ok matches no pod in namespace default in the given manifests, so the Service has no endpoints and connections to it are refused.
        fixture.yaml:12  error    KN0001  document
            The document is not valid YAML at column 1: did not find expected ',' or '}'.
        fixture.yaml:13  error    KN0001  Service typed       spec.ports[0].port
            spec.ports[0].port: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32.
        fixture.yaml:19  error    KN0001  document            apiVersion
            The document has no apiVersion: a manifest needs apiVersion and kind.

        3 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(BROKEN));
    assert!(!codes("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n").contains("KN0001"));
}

pub(super) const INVALID: &str = "
apiVersion: v1
kind: Service
metadata: {name: debug}
spec:
  type: NodePort
  selector: {app: debug}
  ports: [{port: 80, nodePort: 80}]
";

#[test]
fn kn0002_invalid_object_names_the_field() {
    let yaml = INVALID;
    expect![[r#"
        fixture.yaml:1  error  KN0002  Service default/debug  spec.ports[0].nodePort
            The Service "debug" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767.
            hint: Fix the field: until then knet leaves the object out of every other check, as the API server would never store it.

        1 error, 0 warnings, 0 infos.
    "#]].assert_eq(&report(yaml));
    assert!(!codes(&yaml.replace("nodePort: 80", "nodePort: 30080")).contains("KN0002"));
}

/// The model records what it cannot compile; validation refuses all of that first, so the problem is added by hand.
#[test]
fn kn0003_model_problem_points_at_the_object() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: odd}\nspec: {ports: [{port: 80}]}\n";
    let input = Input::admit(load_str("fixture.yaml", yaml), "default");
    let mut cluster = input.cluster(ClusterConfig::default());
    cluster.problems.push("service \"default/odd\": spec.clusterIP \"10.0.0\" is not an IP address".into());
    let written = AsWritten::default();
    expect![[r#"
        fixture.yaml:1  error  KN0003  Service default/odd  spec.clusterIP
            spec.clusterIP "10.0.0" is not an IP address; knet leaves that part out of the analysis.

        1 error, 0 warnings, 0 infos.
    "#]]
    .assert_eq(&render_text(&lint_snapshot(&cluster, &input, &written), false));
    let clean = input.cluster(ClusterConfig::default());
    assert!(lint_snapshot(&clean, &input, &written).iter().all(|f| f.code != "KN0003"));
}
