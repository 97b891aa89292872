//! The objects every cluster starts with, created at start when missing (so a restart changes nothing, and a user
//! who deleted one gets it back): the namespaces `default`, `kube-system`, `kube-public` and `kube-node-lease`; the
//! Services `kubernetes` (10.96.0.1:443) and `kube-dns` (10.96.0.10: 53/UDP, 53/TCP, 9153/TCP); the Deployment
//! `coredns` whose pods (labelled `k8s-app=kube-dns`) stand for the cluster DNS server; the one Node; and
//! ingress-nginx's IngressClass `nginx`, marked default. They go through the same admission as a client's objects.

use knet_apimachinery::resources::{RESOURCES, ResourceType};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::resource::ensure_object;
use crate::state::State;
use crate::util;

/// The name of the one Node.
pub const NODE_NAME: &str = "knet";

fn resource(group: &str, plural: &str) -> &'static ResourceType {
    RESOURCES.iter().find(|r| r.group == group && r.plural == plural).unwrap_or(&RESOURCES[0])
}

/// Creates the system objects that are missing.
pub fn ensure(state: &State) -> Result<()> {
    let now = util::rfc3339(util::now_unix());
    let objects: Vec<(&ResourceType, Option<&str>, Value)> = vec![
        (resource("", "namespaces"), None, namespace("default")),
        (resource("", "namespaces"), None, namespace("kube-system")),
        (resource("", "namespaces"), None, namespace("kube-public")),
        (resource("", "namespaces"), None, namespace("kube-node-lease")),
        (resource("", "services"), Some("default"), kubernetes_service()),
        (resource("", "services"), Some("kube-system"), kube_dns_service()),
        (resource("apps", "deployments"), Some("kube-system"), coredns_deployment()),
        (resource("", "nodes"), None, node(&now)),
        (resource("networking.k8s.io", "ingressclasses"), None, ingress_class()),
    ];
    for (resource, namespace, object) in objects {
        ensure_object(state, resource, namespace, object).map_err(|status| Error::SystemObject {
            what: format!("{} {}", resource.qualified_plural(), namespace.unwrap_or("")).trim().to_owned(),
            message: status.message,
        })?;
    }
    Ok(())
}

fn namespace(name: &str) -> Value {
    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name } })
}

fn kubernetes_service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": { "component": "apiserver", "provider": "kubernetes" },
        },
        "spec": {
            "clusterIP": "10.96.0.1",
            "ports": [{ "name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443 }],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
    })
}

fn kube_dns_service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
            "annotations": { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
        },
        "spec": {
            "clusterIP": "10.96.0.10",
            "ports": [
                { "name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53 },
                { "name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53 },
                { "name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153 },
            ],
            "selector": { "k8s-app": "kube-dns" },
            "type": "ClusterIP",
        },
    })
}

/// kubeadm's CoreDNS Deployment, as far as the network sees it: two replicas serving 53/UDP, 53/TCP and 9153/TCP.
fn coredns_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "coredns", "namespace": "kube-system", "labels": { "k8s-app": "kube-dns" } },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "k8s-app": "kube-dns" } },
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": 1 } },
            "template": {
                "metadata": { "labels": { "k8s-app": "kube-dns" } },
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "dnsPolicy": "Default",
                    "containers": [{
                        "name": "coredns",
                        "image": "registry.k8s.io/coredns/coredns:v1.12.0",
                        "args": ["-conf", "/etc/coredns/Corefile"],
                        "ports": [
                            { "name": "dns", "containerPort": 53, "protocol": "UDP" },
                            { "name": "dns-tcp", "containerPort": 53, "protocol": "TCP" },
                            { "name": "metrics", "containerPort": 9153, "protocol": "TCP" },
                        ],
                        "resources": { "limits": { "memory": "170Mi" }, "requests": { "cpu": "100m", "memory": "70Mi" } },
                    }],
                },
            },
        },
    })
}

fn node(now: &str) -> Value {
    let capacity = json!({
        "cpu": std::thread::available_parallelism().map_or(1, |n| n.get()).to_string(),
        "memory": host_memory(),
        "pods": "110",
        "ephemeral-storage": "20Gi",
    });
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": { "podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"] },
        "status": {
            "addresses": [
                { "type": "InternalIP", "address": "127.0.0.1" },
                { "type": "Hostname", "address": NODE_NAME },
            ],
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [{
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }],
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": host_os_image(),
                "kernelVersion": host_kernel_version(),
                "kubeletVersion": knet_apimachinery::discovery::GIT_VERSION,
                "kubeProxyVersion": knet_apimachinery::discovery::GIT_VERSION,
                "containerRuntimeVersion": concat!("knet://", env!("CARGO_PKG_VERSION")),
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        },
    })
}

/// The host's memory as the kubelet reports it (`MemTotal` of /proc/meminfo, in Ki), or 8Gi when unreadable.
fn host_memory() -> String {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map_or_else(|| "8Gi".to_owned(), |kib| format!("{kib}Ki"))
}

/// The host's kernel release, as the kubelet reports it (`uname -r`), or `""` when unreadable.
fn host_kernel_version() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// The host's `PRETTY_NAME` from os-release, as the kubelet reports it, or `knet` when there is none.
fn host_os_image() -> String {
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim_matches('"').to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "knet".to_owned())
}

fn ingress_class() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": "nginx",
            "labels": { "app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx" },
            "annotations": { "ingressclass.kubernetes.io/is-default-class": "true" },
        },
        "spec": { "controller": "k8s.io/ingress-nginx" },
    })
}
