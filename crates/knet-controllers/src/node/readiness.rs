//! Readiness without a data plane: a container with a readiness probe is not ready when it starts, and becomes ready
//! at its first probe, `initialDelaySeconds` later (the probe passes: nothing runs that could fail it). So a pod of
//! the guide's `web-app` shows `0/1 Running` for five seconds, and its Service lists it as not ready meanwhile, as on
//! a real cluster. The node data plane replaces this with probes that really run.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

/// How long after it starts `container` is first ready.
pub fn delay(container: &Container) -> Duration {
    let Some(probe) = container.readiness_probe.as_ref() else { return Duration::ZERO };
    let startup = container.startup_probe.as_ref().and_then(|p| p.initial_delay_seconds).unwrap_or(0);
    let seconds = probe.initial_delay_seconds.unwrap_or(0).max(startup).max(0);
    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// The conditions of a pod whose sandbox runs, from its unready containers (none: Ready).
pub fn conditions(unready: &[&str], now: &str) -> Vec<Value> {
    let ready = unready.is_empty();
    let condition = |kind: &str, ok: bool| {
        let mut condition = json!({
            "type": kind, "status": if ok { "True" } else { "False" }, "lastTransitionTime": now, "lastProbeTime": null,
        });
        if !ok && (kind == "Ready" || kind == "ContainersReady") {
            condition["reason"] = json!("ContainersNotReady");
            condition["message"] = json!(format!("containers with unready status: [{}]", unready.join(" ")));
        }
        condition
    };
    vec![
        condition("PodReadyToStartContainers", true),
        condition("Initialized", true),
        condition("Ready", ready),
        condition("ContainersReady", ready),
        condition("PodScheduled", true),
    ]
}

/// For a running pod at `now`: the status patch that marks the containers whose delay has passed ready (`None`
/// when none newly is), and how long until the next one is due (`None` when all are ready).
pub fn update(pod: &Pod, now: Timestamp) -> (Option<Value>, Option<Duration>) {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let Some(statuses) = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref()) else { return (None, None) };
    let mut changed = false;
    let mut next: Option<Duration> = None;
    let mut patched = Vec::new();
    let mut unready = Vec::new();
    for status in statuses {
        let mut value = serde_json::to_value(status).unwrap_or_default();
        if !status.ready {
            let started = status.state.as_ref().and_then(|s| s.running.as_ref()).and_then(|r| r.started_at.as_ref());
            let delay = containers.iter().find(|c| c.name == status.name).map(delay).unwrap_or_default();
            let due = started.map(|t| t.0).and_then(|t| t.checked_add(delay).ok());
            match due {
                Some(due) if due <= now => {
                    value["ready"] = json!(true);
                    changed = true;
                }
                Some(due) => {
                    let wait = Duration::try_from(due.duration_since(now)).unwrap_or_default();
                    next = Some(next.map_or(wait, |n| n.min(wait)));
                    unready.push(status.name.as_str());
                }
                None => unready.push(status.name.as_str()),
            }
        }
        patched.push(value);
    }
    if !changed {
        return (None, next);
    }
    let at = now.to_string();
    (Some(json!({ "containerStatuses": patched, "conditions": conditions(&unready, &at) })), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(started: &str, ready: bool) -> Pod {
        serde_json::from_value(json!({
            "metadata": { "name": "web" },
            "spec": { "containers": [
                { "name": "web", "readinessProbe": { "httpGet": { "port": 80 }, "initialDelaySeconds": 5 } },
                { "name": "side" }
            ] },
            "status": { "phase": "Running", "podIP": "10.244.0.2", "containerStatuses": [
                { "name": "web", "image": "nginx", "imageID": "", "ready": ready, "restartCount": 0,
                  "state": { "running": { "startedAt": started } } },
                { "name": "side", "image": "busybox", "imageID": "", "ready": true, "restartCount": 0,
                  "state": { "running": { "startedAt": started } } }
            ] }
        }))
        .unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_probed_container_is_ready_after_its_initial_delay() {
        let p = pod("2026-11-28T12:00:00Z", false);
        assert_eq!(delay(&p.spec.as_ref().unwrap().containers[0]), Duration::from_secs(5));
        assert_eq!(delay(&p.spec.as_ref().unwrap().containers[1]), Duration::ZERO);
        let (patch, next) = update(&p, at("2026-11-28T12:00:02Z"));
        assert_eq!((patch, next), (None, Some(Duration::from_secs(3))));
        let (patch, next) = update(&p, at("2026-11-28T12:00:05Z"));
        let patch = patch.expect("ready now");
        assert_eq!(next, None);
        assert_eq!(patch["containerStatuses"][0]["ready"], true);
        let ready = patch["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone();
        assert_eq!(ready["status"], "True");
        assert_eq!(update(&pod("2026-11-28T12:00:00Z", true), at("2026-11-28T12:00:09Z")), (None, None));
    }

    #[test]
    fn unready_pods_say_which_containers() {
        let conditions = conditions(&["web"], "t");
        let ready = conditions.iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(ready["message"], "containers with unready status: [web]");
    }
}
