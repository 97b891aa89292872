//! `kubectl get pods`: the Ready, Status and Restarts logic over the states a pod goes through.

use expect_test::expect;
use serde_json::{Value, json};

use super::{IncludeObject, NOW, ago, meta, render, resource, table};

fn running(name: &str) -> Value {
    json!({"name": name, "ready": true, "started": true, "restartCount": 0, "state": {"running": {"startedAt": ago(60)}}})
}

fn pod(name: &str, containers: &[&str], status: Value) -> Value {
    let containers: Vec<Value> = containers.iter().map(|c| json!({"name": c, "image": "busybox:1.36"})).collect();
    json!({
        "metadata": meta(name, "microservices", 61),
        "spec": {"containers": containers, "nodeName": "knet-node"},
        "status": status
    })
}

#[test]
fn the_tutorial_pods() {
    // As the tutorial printed them: running, not yet ready.
    let not_ready = |name: &str, ip: &str| {
        pod(
            name,
            &["backend"],
            json!({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": "False"}],
                   "containerStatuses": [{"name": "backend", "ready": false, "restartCount": 0,
                                          "state": {"running": {"startedAt": ago(1)}}}]}),
        )
    };
    let pods =
        [not_ready("backend-kfgbkdkdb-w7gxz", "10.244.0.14"), not_ready("backend-kfgbkdkdb-xqxjc", "10.244.0.13")];
    let mut out = render(resource("", "pods"), &pods, false);
    out.push_str(&render(resource("", "pods"), &pods, true));
    expect![[r#"
        NAME                      READY   STATUS    RESTARTS   AGE
        backend-kfgbkdkdb-w7gxz   0/1     Running   0          61s
        backend-kfgbkdkdb-xqxjc   0/1     Running   0          61s
        NAME                      READY   STATUS    RESTARTS   AGE   IP            NODE        NOMINATED NODE   READINESS GATES
        backend-kfgbkdkdb-w7gxz   0/1     Running   0          61s   10.244.0.14   knet-node   <none>           <none>
        backend-kfgbkdkdb-xqxjc   0/1     Running   0          61s   10.244.0.13   knet-node   <none>           <none>
    "#]]
    .assert_eq(&out);
}

#[test]
fn pod_statuses() {
    let waiting = |reason: &str| json!({"waiting": {"reason": reason}});
    let crash_looping = json!({
        "name": "app", "ready": false, "restartCount": 3, "state": waiting("CrashLoopBackOff"),
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}}
    });
    let mut terminating =
        pod("terminating", &["app"], json!({"phase": "Running", "containerStatuses": [running("app")]}));
    terminating["metadata"]["deletionTimestamp"] = Value::from(ago(5));
    let mut lost = pod("lost", &["app"], json!({"phase": "Running", "reason": "NodeLost"}));
    lost["metadata"]["deletionTimestamp"] = Value::from(ago(5));
    let mut finished_deleted = pod("finished-deleted", &["app"], json!({"phase": "Succeeded"}));
    finished_deleted["metadata"]["deletionTimestamp"] = Value::from(ago(5));
    let mut gated = pod(
        "gated",
        &["app"],
        json!({"phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
    );
    gated["spec"].as_object_mut().map(|spec| spec.remove("nodeName"));

    let pods = [
        pod(
            "ready",
            &["app"],
            json!({"phase": "Running", "podIPs": [{"ip": "10.244.0.5"}, {"ip": "fd00::5"}],
            "containerStatuses": [running("app")]}),
        ),
        pod(
            "creating",
            &["app"],
            json!({"phase": "Pending",
            "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0, "state": waiting("ContainerCreating")}]}),
        ),
        pod("pending", &["app"], json!({"phase": "Pending"})),
        pod("no-status", &["app"], json!({})),
        pod(
            "completed",
            &["app"],
            json!({"phase": "Succeeded", "containerStatuses": [{"name": "app", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        ),
        pod(
            "failed",
            &["app"],
            json!({"phase": "Failed", "containerStatuses": [{"name": "app", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 2}}}]}),
        ),
        pod(
            "killed",
            &["app"],
            json!({"phase": "Failed", "containerStatuses": [{"name": "app", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
        ),
        pod("crashing", &["app"], json!({"phase": "Running", "containerStatuses": [crash_looping]})),
        pod(
            "half-done",
            &["main", "helper"],
            json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {"name": "main", "ready": true, "restartCount": 0, "state": {"running": {}}},
                {"name": "helper", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        ),
        pod("evicted", &["app"], json!({"phase": "Failed", "reason": "Evicted"})),
        terminating,
        lost,
        finished_deleted,
        gated,
    ];
    expect![[r#"
        NAME               READY   STATUS              RESTARTS     AGE   IP           NODE        NOMINATED NODE   READINESS GATES
        ready              1/1     Running             0            61s   10.244.0.5   knet-node   <none>           <none>
        creating           0/1     ContainerCreating   0            61s   <none>       knet-node   <none>           <none>
        pending            0/1     Pending             0            61s   <none>       knet-node   <none>           <none>
        no-status          0/1                         0            61s   <none>       knet-node   <none>           <none>
        completed          0/1     Completed           0            61s   <none>       knet-node   <none>           <none>
        failed             0/1     ExitCode:2          0            61s   <none>       knet-node   <none>           <none>
        killed             0/1     Signal:9            0            61s   <none>       knet-node   <none>           <none>
        crashing           0/1     CrashLoopBackOff    3 (5m ago)   61s   <none>       knet-node   <none>           <none>
        half-done          1/2     NotReady            0            61s   <none>       knet-node   <none>           <none>
        evicted            0/1     Evicted             0            61s   <none>       knet-node   <none>           <none>
        terminating        1/1     Terminating         0            61s   <none>       knet-node   <none>           <none>
        lost               0/1     Unknown             0            61s   <none>       knet-node   <none>           <none>
        finished-deleted   0/1     Succeeded           0            61s   <none>       knet-node   <none>           <none>
        gated              0/1     SchedulingGated     0            61s   <none>       <none>      <none>           <none>
    "#]]
    .assert_eq(&render(resource("", "pods"), &pods, true));
}

#[test]
fn init_containers_and_sidecars() {
    let with_init = |name: &str, init: Value, statuses: Value, extra: Value| {
        let mut pod = pod(name, &["app"], json!({"phase": "Pending", "initContainerStatuses": statuses}));
        pod["spec"]["initContainers"] = init;
        if let (Some(status), Some(extra)) = (pod["status"].as_object_mut(), extra.as_object()) {
            status.extend(extra.clone());
        }
        pod
    };
    let two_inits = json!([{"name": "migrate"}, {"name": "warm"}]);
    let init_status =
        |name: &str, state: Value| json!({"name": name, "ready": false, "restartCount": 0, "state": state});
    let sidecar_spec = json!([{"name": "proxy", "restartPolicy": "Always"}]);
    let pods = [
        with_init(
            "init-waiting",
            two_inits.clone(),
            json!([init_status("migrate", json!({"waiting": {"reason": "PodInitializing"}}))]),
            json!({}),
        ),
        with_init(
            "init-second",
            two_inits.clone(),
            json!([
                init_status("migrate", json!({"terminated": {"exitCode": 0}})),
                init_status("warm", json!({"running": {}}))
            ]),
            json!({}),
        ),
        with_init(
            "init-crash",
            two_inits.clone(),
            json!([
            {"name": "migrate", "ready": false, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30)}}}]),
            json!({}),
        ),
        with_init(
            "init-error",
            two_inits.clone(),
            json!([init_status("migrate", json!({"terminated": {"exitCode": 3, "reason": "Error"}}))]),
            json!({}),
        ),
        with_init(
            "init-exit",
            two_inits,
            json!([init_status("migrate", json!({"terminated": {"exitCode": 3}}))]),
            json!({}),
        ),
        with_init(
            "sidecar",
            sidecar_spec,
            json!([
            {"name": "proxy", "ready": true, "started": true, "restartCount": 1, "state": {"running": {}},
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(7200)}}}]),
            json!({"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
                   "containerStatuses": [running("app")]}),
        ),
    ];
    expect![[r#"
        NAME           READY   STATUS                  RESTARTS       AGE
        init-waiting   0/1     Init:0/2                0              61s
        init-second    0/1     Init:1/2                0              61s
        init-crash     0/1     Init:CrashLoopBackOff   4 (30s ago)    61s
        init-error     0/1     Init:Error              0              61s
        init-exit      0/1     Init:ExitCode:3         0              61s
        sidecar        2/2     Running                 1 (120m ago)   61s
    "#]]
    .assert_eq(&render(resource("", "pods"), &pods, false));
}

#[test]
fn readiness_gates_and_row_conditions() {
    let mut gated = pod(
        "gated",
        &["app"],
        json!({"phase": "Running", "containerStatuses": [running("app")],
        "conditions": [{"type": "example.com/lb", "status": "True"}, {"type": "example.com/dns", "status": "False"}]}),
    );
    gated["spec"]["readinessGates"] = json!([{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"},
        {"conditionType": "example.com/missing"}]);
    let printed = table(resource("", "pods"), &[gated], NOW, IncludeObject::None);
    assert_eq!(printed.pointer("/rows/0/cells/8"), Some(&json!("1/3")));
    assert_eq!(printed.pointer("/rows/0/conditions"), None);

    let done = pod("done", &["app"], json!({"phase": "Succeeded"}));
    let failed = pod("failed", &["app"], json!({"phase": "Failed"}));
    let printed = table(resource("", "pods"), &[done, failed], NOW, IncludeObject::None);
    assert_eq!(
        printed.pointer("/rows/0/conditions"),
        Some(
            &json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])
        )
    );
    assert_eq!(
        printed.pointer("/rows/1/conditions"),
        Some(&json!([{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]))
    );
}
