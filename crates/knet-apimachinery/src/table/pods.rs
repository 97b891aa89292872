//! `printPod`: the Ready, Status and Restarts columns of `kubectl get pods`, with kube-apiserver's precedence of
//! init containers, container states, pod conditions and deletion.
//!
//! Status is the pod's phase, or its `status.reason`, overridden in order by: a scheduling gate; the first init
//! container that has not finished (`Init:0/2`, `Init:CrashLoopBackOff`, `Init:ExitCode:1`); the last container in
//! the list that is waiting or terminated (`ContainerCreating`, `CrashLoopBackOff`, `Completed`, `ExitCode:2`);
//! and finally deletion (`Terminating`, or `Unknown` for a pod on a lost node).

use serde_json::{Value, json};

use super::{Row, age, array, int, name, text, time};

/// `Name, Ready, Status, Restarts, Age` and wide `IP, Node, Nominated Node, Readiness Gates`.
pub(super) fn pod(object: &Value, now: i64) -> Row {
    let containers = array(object, "/spec/containers");
    let init_containers = array(object, "/spec/initContainers");
    let phase = text(object, "/status/phase");
    let conditions = array(object, "/status/conditions");

    let mut reason = match text(object, "/status/reason") {
        "" => phase.to_owned(),
        pod_reason => pod_reason.to_owned(),
    };
    if conditions.iter().any(|c| text(c, "/type") == "PodScheduled" && text(c, "/reason") == "SchedulingGated") {
        reason = "SchedulingGated".to_owned();
    }

    let restartable = |container_name: &str| {
        init_containers
            .iter()
            .find(|c| text(c, "/name") == container_name)
            .is_some_and(|c| text(c, "/restartPolicy") == "Always")
    };
    let total = containers.len() + init_containers.iter().filter(|c| text(c, "/restartPolicy") == "Always").count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart: Option<i128> = None;
    let mut last_sidecar_restart: Option<i128> = None;

    let mut initializing = false;
    for (i, status) in array(object, "/status/initContainerStatuses").iter().enumerate() {
        restarts += int(status, "/restartCount");
        let finished = last_termination(status);
        last_restart = later(last_restart, finished);
        let sidecar = restartable(text(status, "/name"));
        if sidecar {
            sidecar_restarts += int(status, "/restartCount");
            last_sidecar_restart = later(last_sidecar_restart, finished);
        }
        let terminated = status.pointer("/state/terminated").filter(|t| t.is_object());
        let waiting = status.pointer("/state/waiting").filter(|w| w.is_object());
        if terminated.is_some_and(|t| int(t, "/exitCode") == 0) {
            continue;
        }
        if sidecar && status.get("started").and_then(Value::as_bool) == Some(true) {
            if status.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = match (terminated, waiting) {
            (Some(terminated), _) => match text(terminated, "/reason") {
                "" if int(terminated, "/signal") != 0 => format!("Init:Signal:{}", int(terminated, "/signal")),
                "" => format!("Init:ExitCode:{}", int(terminated, "/exitCode")),
                terminated_reason => format!("Init:{terminated_reason}"),
            },
            (None, Some(waiting)) if !matches!(text(waiting, "/reason"), "" | "PodInitializing") => {
                format!("Init:{}", text(waiting, "/reason"))
            }
            _ => format!("Init:{i}/{}", init_containers.len()),
        };
        initializing = true;
        break;
    }

    let initialized = conditions.iter().find(|c| text(c, "/type") == "Initialized").map(|c| text(c, "/status"));
    if !initializing || initialized == Some("True") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in array(object, "/status/containerStatuses").iter().rev() {
            restarts += int(status, "/restartCount");
            last_restart = later(last_restart, last_termination(status));
            let terminated = status.pointer("/state/terminated").filter(|t| t.is_object());
            let waiting = status.pointer("/state/waiting").filter(|w| w.is_object());
            let running = status.pointer("/state/running").is_some_and(Value::is_object);
            if let Some(waiting) = waiting.filter(|w| !text(w, "/reason").is_empty()) {
                reason = text(waiting, "/reason").to_owned();
            } else if let Some(terminated) = terminated {
                reason = match text(terminated, "/reason") {
                    "" if int(terminated, "/signal") != 0 => format!("Signal:{}", int(terminated, "/signal")),
                    "" => format!("ExitCode:{}", int(terminated, "/exitCode")),
                    terminated_reason => terminated_reason.to_owned(),
                };
            } else if status.get("ready").and_then(Value::as_bool) == Some(true) && running {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed but another still runs is Running (or NotReady).
        if reason == "Completed" && has_running {
            let pod_ready = conditions.iter().any(|c| text(c, "/type") == "Ready" && text(c, "/status") == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.to_owned();
        }
    }

    if object.pointer("/metadata/deletionTimestamp").is_some_and(Value::is_string) {
        if text(object, "/status/reason") == "NodeLost" {
            reason = "Unknown".to_owned();
        } else if !matches!(phase, "Succeeded" | "Failed") {
            reason = "Terminating".to_owned();
        }
    }

    let restarts_cell = match last_restart {
        Some(finished) if restarts != 0 => {
            format!("{restarts} ({} ago)", time::human_duration_nanos(i128::from(now) * 1_000_000_000 - finished))
        }
        _ => restarts.to_string(),
    };

    let ip = match object.pointer("/status/podIPs/0/ip").and_then(Value::as_str) {
        Some(ip) => ip,
        None => text(object, "/status/podIP"),
    };
    let or_none = |value: &str| Value::from(if value.is_empty() { "<none>" } else { value });
    let gates = array(object, "/spec/readinessGates");
    let readiness_gates = if gates.is_empty() {
        "<none>".to_owned()
    } else {
        let met = gates
            .iter()
            .filter(|gate| {
                let kind = text(gate, "/conditionType");
                conditions.iter().find(|c| text(c, "/type") == kind).is_some_and(|c| text(c, "/status") == "True")
            })
            .count();
        format!("{met}/{}", gates.len())
    };

    let mut row = Row::new(vec![
        name(object),
        Value::from(format!("{ready}/{total}")),
        Value::from(reason),
        Value::from(restarts_cell),
        age(object, now),
        or_none(ip),
        or_none(text(object, "/spec/nodeName")),
        or_none(text(object, "/status/nominatedNodeName")),
        Value::from(readiness_gates),
    ]);
    row.conditions = match phase {
        "Succeeded" => vec![completed("Succeeded", "The pod has completed successfully.")],
        "Failed" => vec![completed("Failed", "The pod failed.")],
        _ => Vec::new(),
    };
    row
}

/// A `Completed` row condition, as kube-apiserver marks finished pods.
fn completed(reason: &str, message: &str) -> Value {
    json!({"type": "Completed", "status": "True", "reason": reason, "message": message})
}

/// When the container last terminated (`lastState.terminated.finishedAt`), if it did.
fn last_termination(status: &Value) -> Option<i128> {
    status.pointer("/lastState/terminated/finishedAt").and_then(Value::as_str).and_then(time::parse_rfc3339)
}

fn later(a: Option<i128>, b: Option<i128>) -> Option<i128> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
