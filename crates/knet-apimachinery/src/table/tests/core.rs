//! `kubectl get namespaces, nodes, configmaps, secrets, serviceaccounts, events`.

use expect_test::expect;
use serde_json::{Value, json};

use super::{ago, meta, render, resource};

#[test]
fn namespaces() {
    let namespace =
        |name: &str, phase: &str, age: i64| json!({"metadata": meta(name, "", age), "status": {"phase": phase}});
    let objects = [
        namespace("default", "Active", 5 * 86_400 + 3 * 3600),
        namespace("microservices", "Active", 1),
        namespace("old-project", "Terminating", 600),
        json!({"metadata": meta("no-status", "", 61)}),
    ];
    expect![[r#"
        NAME            STATUS        AGE
        default         Active        5d3h
        microservices   Active        1s
        old-project     Terminating   10m
        no-status                     61s
    "#]]
    .assert_eq(&render(resource("", "namespaces"), &objects, false));
}

#[test]
fn nodes() {
    let info = json!({"kubeletVersion": "v1.33.1", "osImage": "Ubuntu 24.04 LTS", "kernelVersion": "6.8.0-45-generic",
                      "containerRuntimeVersion": "containerd://1.7.22"});
    let mut control_plane = json!({
        "metadata": meta("knet-node", "", 9 * 86_400),
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "Hostname", "address": "knet-node"}, {"type": "InternalIP", "address": "172.18.0.2"}],
                   "nodeInfo": info}
    });
    control_plane["metadata"]["labels"] = json!({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "", "kubernetes.io/role": "infra"});
    let cordoned = json!({
        "metadata": meta("worker-1", "", 3600),
        "spec": {"unschedulable": true},
        "status": {"conditions": [{"type": "Ready", "status": "Unknown"}],
                   "addresses": [{"type": "ExternalIP", "address": "203.0.113.7"}, {"type": "InternalIP", "address": "10.0.0.7"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.0"}}
    });
    let new = json!({"metadata": meta("worker-2", "", 3)});
    let nodes = [control_plane, cordoned, new];
    let mut out = render(resource("", "nodes"), &nodes, false);
    out.push_str(&render(resource("", "nodes"), &nodes, true));
    expect![[r#"
        NAME        STATUS                        ROLES                 AGE   VERSION
        knet-node   Ready                         control-plane,infra   9d    v1.33.1
        worker-1    NotReady,SchedulingDisabled   <none>                60m   v1.32.0
        worker-2    Unknown                       <none>                3s
        NAME        STATUS                        ROLES                 AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE           KERNEL-VERSION     CONTAINER-RUNTIME
        knet-node   Ready                         control-plane,infra   9d    v1.33.1   172.18.0.2    <none>        Ubuntu 24.04 LTS   6.8.0-45-generic   containerd://1.7.22
        worker-1    NotReady,SchedulingDisabled   <none>                60m   v1.32.0   10.0.0.7      203.0.113.7   <unknown>          <unknown>          <unknown>
        worker-2    Unknown                       <none>                3s              <none>        <none>        <unknown>          <unknown>          <unknown>
    "#]]
    .assert_eq(&out);
}

#[test]
fn config_maps_secrets_and_service_accounts() {
    let config_maps = [
        json!({"metadata": meta("backend-config", "microservices", 1), "data": {"LOG_LEVEL": "info", "PORT": "8080"},
               "binaryData": {"logo.png": "iVBORw0K"}}),
        json!({"metadata": meta("kube-root-ca.crt", "microservices", 2), "data": {"ca.crt": "..."}}),
        json!({"metadata": meta("empty", "microservices", 3)}),
    ];
    let secrets = [
        json!({"metadata": meta("db-password", "microservices", 1), "type": "Opaque", "data": {"password": "cGFzcw=="},
               "stringData": {"user": "app", "password": "pass"}}),
        json!({"metadata": meta("shop-tls", "microservices", 1), "type": "kubernetes.io/tls",
               "data": {"tls.crt": "", "tls.key": ""}}),
    ];
    let accounts = [
        json!({"metadata": meta("default", "microservices", 1)}),
        json!({"metadata": meta("builder", "microservices", 1), "secrets": [{"name": "builder-token"}]}),
    ];
    let mut out = render(resource("", "configmaps"), &config_maps, false);
    out.push_str(&render(resource("", "secrets"), &secrets, false));
    out.push_str(&render(resource("", "serviceaccounts"), &accounts, false));
    expect![[r#"
        NAME               DATA   AGE
        backend-config     3      1s
        kube-root-ca.crt   1      2s
        empty              0      3s
        NAME          TYPE                DATA   AGE
        db-password   Opaque              2      1s
        shop-tls      kubernetes.io/tls   2      1s
        NAME      SECRETS   AGE
        default   0         1s
        builder   1         1s
    "#]]
    .assert_eq(&out);
}

#[test]
fn events() {
    let event = |name: &str, fields: Value| {
        let mut event = json!({"metadata": meta(name, "microservices", 120)});
        if let (Some(event), Some(fields)) = (event.as_object_mut(), fields.as_object()) {
            event.extend(fields.clone());
        }
        event
    };
    let pod = |name: &str| json!({"kind": "Pod", "name": name, "namespace": "microservices"});
    let objects = [
        event(
            "backend-kfgbkdkdb-w7gxz.1",
            json!({
            "involvedObject": pod("backend-kfgbkdkdb-w7gxz"), "type": "Normal", "reason": "Scheduled",
            "message": "Successfully assigned microservices/backend-kfgbkdkdb-w7gxz to knet-node\n",
            "source": {"component": "default-scheduler"}, "firstTimestamp": ago(2), "lastTimestamp": ago(2), "count": 1}),
        ),
        event(
            "backend-kfgbkdkdb-w7gxz.2",
            json!({
            "involvedObject": {"kind": "Pod", "name": "backend-kfgbkdkdb-w7gxz", "fieldPath": "spec.containers{backend}"},
            "type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
            "source": {"component": "kubelet", "host": "knet-node"},
            "firstTimestamp": ago(900), "lastTimestamp": ago(30), "count": 14}),
        ),
        event(
            "backend.3",
            json!({
            "involvedObject": {"kind": "Deployment", "name": "backend"}, "type": "Normal", "reason": "ScalingReplicaSet",
            "message": "Scaled up replica set backend-kfgbkdkdb from 0 to 2",
            "eventTime": "2026-11-28T02:59:50.123456Z", "reportingComponent": "deployment-controller",
            "reportingInstance": "knet", "series": {"count": 4, "lastObservedTime": "2026-11-28T02:59:58.000000Z"}}),
        ),
        event(
            "cluster.4",
            json!({
            "involvedObject": {"kind": "Node"}, "type": "Normal", "reason": "Starting", "message": "",
            "eventTime": "2026-11-28T02:59:00.000000Z", "reportingComponent": "kube-proxy"}),
        ),
        event("undated.5", json!({"involvedObject": pod("x"), "type": "Normal", "reason": "Pulled"})),
    ];
    let mut out = render(resource("", "events"), &objects, false);
    out.push_str(&render(resource("", "events"), &objects, true));
    expect![[r#"
        LAST SEEN   TYPE      REASON              OBJECT                        MESSAGE
        2s          Normal    Scheduled           pod/backend-kfgbkdkdb-w7gxz   Successfully assigned microservices/backend-kfgbkdkdb-w7gxz to knet-node
        30s         Warning   BackOff             pod/backend-kfgbkdkdb-w7gxz   Back-off restarting failed container
        2s          Normal    ScalingReplicaSet   deployment/backend            Scaled up replica set backend-kfgbkdkdb from 0 to 2
        60s         Normal    Starting            node
        <unknown>   Normal    Pulled              pod/x
        LAST SEEN   TYPE      REASON              OBJECT                        SUBOBJECT                  SOURCE                        MESSAGE                                                                    FIRST SEEN   COUNT   NAME
        2s          Normal    Scheduled           pod/backend-kfgbkdkdb-w7gxz                              default-scheduler             Successfully assigned microservices/backend-kfgbkdkdb-w7gxz to knet-node   2s           1       backend-kfgbkdkdb-w7gxz.1
        30s         Warning   BackOff             pod/backend-kfgbkdkdb-w7gxz   spec.containers{backend}   kubelet, knet-node            Back-off restarting failed container                                       15m          14      backend-kfgbkdkdb-w7gxz.2
        2s          Normal    ScalingReplicaSet   deployment/backend                                       deployment-controller, knet   Scaled up replica set backend-kfgbkdkdb from 0 to 2                        9s           4       backend.3
        60s         Normal    Starting            node                                                     kube-proxy                                                                                               60s          1       cluster.4
        <unknown>   Normal    Pulled              pod/x                                                                                                                                                             <unknown>    1       undated.5
    "#]]
    .assert_eq(&out);
}
