//! `kubectl get deployments` and `kubectl get replicasets` for exercise 1, as controllers leave its status.

use expect_test::expect;
use serde_json::{Value, json};

use super::{meta, render, resource};

fn deployment(name: &str, image: &str, replicas: Option<i64>, status: Value, age: i64) -> Value {
    let mut spec = json!({
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": image}]}}
    });
    if let Some(replicas) = replicas {
        spec["replicas"] = Value::from(replicas);
    }
    json!({"metadata": meta(name, "microservices", age), "spec": spec, "status": status})
}

fn exercise_1() -> Vec<Value> {
    vec![
        deployment(
            "backend",
            "node:16-alpine",
            Some(2),
            json!({"replicas": 2, "updatedReplicas": 2, "readyReplicas": 1, "availableReplicas": 1}),
            95,
        ),
        deployment("frontend", "nginx:1.21", Some(3), json!({}), 4),
        deployment(
            "postgres",
            "postgres:13",
            Some(1),
            json!({"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}),
            3 * 3600 + 125,
        ),
    ]
}

#[test]
fn deployments() {
    let deployments = resource("apps", "deployments");
    expect![[r#"
        NAME       READY   UP-TO-DATE   AVAILABLE   AGE
        backend    1/2     2            1           95s
        frontend   0/3     0            0           4s
        postgres   1/1     1            1           3h2m
    "#]]
    .assert_eq(&render(deployments, &exercise_1(), false));
    expect![[r#"
        NAME       READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS   IMAGES           SELECTOR
        backend    1/2     2            1           95s    backend      node:16-alpine   app=backend
        frontend   0/3     0            0           4s     frontend     nginx:1.21       app=frontend
        postgres   1/1     1            1           3h2m   postgres     postgres:13      app=postgres
    "#]]
    .assert_eq(&render(deployments, &exercise_1(), true));
}

#[test]
fn deployment_defaults_and_selectors() {
    let mut sidecar = deployment("web", "nginx", None, json!({"readyReplicas": 1}), 700);
    sidecar["spec"]["template"]["spec"]["containers"] =
        json!([{"name": "web", "image": "nginx"}, {"name": "log", "image": "busybox:1.36"}]);
    sidecar["spec"]["selector"] = json!({
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]}]
    });
    let mut unselected = deployment("orphan", "nginx", Some(0), json!({}), 50);
    unselected["spec"].as_object_mut().map(|spec| spec.remove("selector"));
    expect![[r#"
        NAME     READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES               SELECTOR
        web      1/1     0            0           11m   web,log      nginx,busybox:1.36   app=web,tier in (edge,front)
        orphan   0/0     0            0           50s   orphan       nginx
    "#]]
    .assert_eq(&render(resource("apps", "deployments"), &[sidecar, unselected], true));
}

#[test]
fn replicasets() {
    let replica_set = |name: &str, hash: &str, desired: i64, current: i64, ready: i64| {
        json!({
            "metadata": meta(&format!("{name}-{hash}"), "microservices", 95),
            "spec": {
                "replicas": desired,
                "selector": {"matchLabels": {"app": name, "pod-template-hash": hash}},
                "template": {"spec": {"containers": [{"name": name, "image": "busybox:1.36"}]}}
            },
            "status": {"replicas": current, "readyReplicas": ready}
        })
    };
    let sets = [
        replica_set("backend", "kfgbkdkdb", 2, 2, 1),
        replica_set("frontend", "7d4b9c8f6", 3, 3, 3),
        json!({"metadata": meta("bare", "microservices", 10), "spec": {"template": {}}}),
    ];
    let replicasets = resource("apps", "replicasets");
    expect![[r#"
        NAME                 DESIRED   CURRENT   READY   AGE
        backend-kfgbkdkdb    2         2         1       95s
        frontend-7d4b9c8f6   3         3         3       95s
        bare                 1         0         0       10s
    "#]]
    .assert_eq(&render(replicasets, &sets, false));
    expect![[r#"
        NAME                 DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES         SELECTOR
        backend-kfgbkdkdb    2         2         1       95s   backend      busybox:1.36   app=backend,pod-template-hash=kfgbkdkdb
        frontend-7d4b9c8f6   3         3         3       95s   frontend     busybox:1.36   app=frontend,pod-template-hash=7d4b9c8f6
        bare                 1         0         0       10s                               <none>
    "#]]
    .assert_eq(&render(replicasets, &sets, true));
    // Desired, Current and Ready are integers in the Table, as kube-apiserver sends them.
    let table = super::table(replicasets, &sets[..1], super::NOW, super::IncludeObject::None);
    assert_eq!(table.pointer("/rows/0/cells/1"), Some(&json!(2)));
}
