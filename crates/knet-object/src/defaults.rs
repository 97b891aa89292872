//! API-server defaulting for the kinds knet analyses (Service type and ports, NetworkPolicy policyTypes, container port
//! protocols, ...), applied before validation exactly as kube-apiserver applies it on create.
//!
//! The rules come from the `SetDefaults_*` functions of `k8s.io/kubernetes/pkg/apis/{core,apps,batch,networking,
//! discovery}/v1/defaults.go` and the declarative `+default` markers of `k8s.io/api`. Two create-time steps of the
//! Service REST storage are included because every later reader relies on them and they need no cluster state:
//! `clusterIPs` is filled from `clusterIP` (`NormalizeClusterIPs`), and `ipFamilyPolicy` gets the allocator's
//! default. Nothing is *allocated* here: no cluster IP, node port or health-check port is chosen, and
//! `ipFamilies` (which depends on the cluster's families) is left alone.
//!
//! A missing `spec` is defaulted as an empty one, because Go's specs are values, not pointers: an object without a
//! spec is validated (and refused) as one with an empty spec.
//!
//! Defaulting is idempotent: every rule only fills a field that is unset (or, as in Go, zero).

use k8s_openapi::api::apps::v1::{
    DaemonSetSpec, DaemonSetUpdateStrategy, DeploymentSpec, DeploymentStrategy, RollingUpdateDaemonSet,
    RollingUpdateDeployment, RollingUpdateStatefulSetStrategy, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::batch::v1::{CronJobSpec, JobSpec};
use k8s_openapi::api::core::v1::ClientIPConfig;
use k8s_openapi::api::core::v1::{
    Container, HTTPGetAction, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ServiceSpec, SessionAffinityConfig,
};
use k8s_openapi::api::networking::v1::{NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::object::Object;

/// The label every Namespace carries, naming itself, so that selectors can pick namespaces by name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Fills every field kube-apiserver defaults on create. Idempotent: defaulting a defaulted object changes nothing.
pub fn apply(object: &mut Object) {
    match object {
        Object::Namespace(namespace) => namespace_labels(&mut namespace.metadata),
        Object::Pod(pod) => {
            let spec = pod.spec.get_or_insert_with(Default::default);
            pod_spec(spec);
            pod_only(spec);
        }
        Object::Deployment(deployment) => deployment_spec(deployment.spec.get_or_insert_with(Default::default)),
        Object::ReplicaSet(replica_set) => {
            let spec = replica_set.spec.get_or_insert_with(Default::default);
            spec.replicas.get_or_insert(1);
            // Go's template is a value; a missing one is an empty one, whose pods have no containers.
            pod_template(spec.template.get_or_insert_with(Default::default));
        }
        Object::StatefulSet(stateful_set) => stateful_set_spec(stateful_set.spec.get_or_insert_with(Default::default)),
        Object::DaemonSet(daemon_set) => daemon_set_spec(daemon_set.spec.get_or_insert_with(Default::default)),
        Object::Job(job) => {
            let spec = job.spec.get_or_insert_with(Default::default);
            job_spec(spec);
            // A Job without labels of its own takes its pods' labels.
            let template_labels = spec.template.metadata.as_ref().and_then(|m| m.labels.clone());
            let unlabelled = job.metadata.labels.as_ref().is_none_or(|l| l.is_empty());
            if let Some(labels) = template_labels.filter(|_| unlabelled) {
                job.metadata.labels = Some(labels);
            }
        }
        Object::CronJob(cron_job) => cron_job_spec(cron_job.spec.get_or_insert_with(Default::default)),
        Object::Service(service) => service_spec(service.spec.get_or_insert_with(Default::default)),
        Object::Endpoints(endpoints) => {
            for subset in endpoints.subsets.iter_mut().flatten() {
                for port in subset.ports.iter_mut().flatten() {
                    port.protocol.get_or_insert_with(tcp);
                }
            }
        }
        Object::EndpointSlice(slice) => {
            for port in slice.ports.iter_mut().flatten() {
                port.name.get_or_insert_with(String::new);
                port.protocol.get_or_insert_with(tcp);
            }
        }
        Object::Ingress(_) => {}
        Object::IngressClass(class) => {
            let parameters = class.spec.as_mut().and_then(|s| s.parameters.as_mut());
            if let Some(parameters) = parameters {
                parameters.scope.get_or_insert_with(|| "Cluster".to_owned());
            }
        }
        Object::NetworkPolicy(policy) => network_policy_spec(policy.spec.get_or_insert_with(Default::default)),
        Object::ConfigMap(_) => {}
        Object::Secret(secret) => {
            secret.type_.get_or_insert_with(|| "Opaque".to_owned());
        }
        Object::Other(_) => {}
    }
}

fn tcp() -> String {
    "TCP".to_owned()
}

/// Go's defaulting treats a zero string like a missing one.
fn default_str(field: &mut Option<String>, value: &str) {
    if field.as_deref().unwrap_or_default().is_empty() {
        *field = Some(value.to_owned());
    }
}

/// Likewise for numbers: `0` is "unset" to Go.
fn default_i32(field: &mut Option<i32>, value: i32) {
    if field.unwrap_or_default() == 0 {
        *field = Some(value);
    }
}

/// `SetDefaults_Namespace`: the `kubernetes.io/metadata.name` label (not for a nameless, generated Namespace).
fn namespace_labels(meta: &mut ObjectMeta) {
    let Some(name) = meta.name.clone().filter(|n| !n.is_empty()) else {
        return;
    };
    meta.labels.get_or_insert_with(Default::default).insert(NAMESPACE_NAME_LABEL.to_owned(), name);
}

/// `SetDefaults_Service`, then the REST storage's `NormalizeClusterIPs` and the allocator's `ipFamilyPolicy`.
fn service_spec(spec: &mut ServiceSpec) {
    default_str(&mut spec.session_affinity, "None");
    match spec.session_affinity.as_deref() {
        Some("None") => spec.session_affinity_config = None,
        Some("ClientIP") => {
            let has_timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .is_some_and(|c| c.timeout_seconds.is_some());
            if !has_timeout {
                spec.session_affinity_config =
                    Some(SessionAffinityConfig { client_ip: Some(ClientIPConfig { timeout_seconds: Some(10800) }) });
            }
        }
        _ => {}
    }
    default_str(&mut spec.type_, "ClusterIP");
    for port in spec.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
        let unset = match &port.target_port {
            None => true,
            Some(IntOrString::Int(n)) => *n == 0,
            Some(IntOrString::String(s)) => s.is_empty(),
        };
        if unset {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    let type_ = spec.type_.clone().unwrap_or_default();
    let external_ips = spec.external_ips.as_ref().is_some_and(|ips| !ips.is_empty());
    let externally_accessible =
        matches!(type_.as_str(), "LoadBalancer" | "NodePort") || (type_ == "ClusterIP" && external_ips);
    if externally_accessible {
        default_str(&mut spec.external_traffic_policy, "Cluster");
    }
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        spec.internal_traffic_policy.get_or_insert_with(|| "Cluster".to_owned());
    }
    if type_ == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }

    // Create-time steps of the Service storage (see the module documentation).
    let cluster_ip = spec.cluster_ip.clone().unwrap_or_default();
    if !cluster_ip.is_empty() && spec.cluster_ips.as_ref().is_none_or(|ips| ips.is_empty()) {
        spec.cluster_ips = Some(vec![cluster_ip.clone()]);
    }
    if type_ != "ExternalName" && spec.ip_family_policy.is_none() {
        let selectorless = spec.selector.as_ref().is_none_or(|s| s.is_empty());
        // A headless Service without a selector gets addresses of every family its endpoints have.
        let policy = if cluster_ip == "None" && selectorless { "RequireDualStack" } else { "SingleStack" };
        spec.ip_family_policy = Some(policy.to_owned());
    }
}

/// `SetDefaults_NetworkPolicy` and `SetDefaults_NetworkPolicyPort`: a policy isolates ingress unless it says
/// otherwise, and egress too when it has egress rules; a port without protocol is TCP.
fn network_policy_spec(spec: &mut NetworkPolicySpec) {
    if spec.policy_types.as_ref().is_none_or(|t| t.is_empty()) {
        let mut types = vec!["Ingress".to_owned()];
        if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
            types.push("Egress".to_owned());
        }
        spec.policy_types = Some(types);
    }
    let default_port = |port: &mut NetworkPolicyPort| {
        port.protocol.get_or_insert_with(tcp);
    };
    for rule in spec.ingress.iter_mut().flatten() {
        rule.ports.iter_mut().flatten().for_each(default_port);
    }
    for rule in spec.egress.iter_mut().flatten() {
        rule.ports.iter_mut().flatten().for_each(default_port);
    }
}

/// `SetDefaults_Deployment`.
fn deployment_spec(spec: &mut DeploymentSpec) {
    spec.replicas.get_or_insert(1);
    let strategy = spec.strategy.get_or_insert_with(DeploymentStrategy::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let rolling = strategy.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
        rolling.max_unavailable.get_or_insert_with(|| IntOrString::String("25%".to_owned()));
        rolling.max_surge.get_or_insert_with(|| IntOrString::String("25%".to_owned()));
    }
    spec.revision_history_limit.get_or_insert(10);
    spec.progress_deadline_seconds.get_or_insert(600);
    pod_template(&mut spec.template);
}

/// `SetDefaults_StatefulSet`.
fn stateful_set_spec(spec: &mut StatefulSetSpec) {
    default_str(&mut spec.pod_management_policy, "OrderedReady");
    let strategy = spec.update_strategy.get_or_insert_with(StatefulSetUpdateStrategy::default);
    if strategy.type_.as_deref().unwrap_or_default().is_empty() {
        strategy.type_ = Some("RollingUpdate".to_owned());
        strategy.rolling_update.get_or_insert_with(RollingUpdateStatefulSetStrategy::default);
    }
    let rolling_update = strategy.type_.as_deref() == Some("RollingUpdate");
    if let Some(rolling) = strategy.rolling_update.as_mut().filter(|_| rolling_update) {
        rolling.partition.get_or_insert(0);
    }
    let retention = spec
        .persistent_volume_claim_retention_policy
        .get_or_insert_with(StatefulSetPersistentVolumeClaimRetentionPolicy::default);
    default_str(&mut retention.when_deleted, "Retain");
    default_str(&mut retention.when_scaled, "Retain");
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    pod_template(&mut spec.template);
}

/// `SetDefaults_DaemonSet`.
fn daemon_set_spec(spec: &mut DaemonSetSpec) {
    let strategy = spec.update_strategy.get_or_insert_with(DaemonSetUpdateStrategy::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let rolling = strategy.rolling_update.get_or_insert_with(RollingUpdateDaemonSet::default);
        rolling.max_unavailable.get_or_insert(IntOrString::Int(1));
        rolling.max_surge.get_or_insert(IntOrString::Int(0));
    }
    spec.revision_history_limit.get_or_insert(10);
    pod_template(&mut spec.template);
}

/// `SetDefaults_Job` (the parts that need no UID: the selector and its label are generated on create).
fn job_spec(spec: &mut JobSpec) {
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    let backoff = if spec.backoff_limit_per_index.is_some() { i32::MAX } else { 6 };
    spec.backoff_limit.get_or_insert(backoff);
    spec.completion_mode.get_or_insert_with(|| "NonIndexed".to_owned());
    spec.suspend.get_or_insert(false);
    let replacement = if spec.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" };
    spec.pod_replacement_policy.get_or_insert_with(|| replacement.to_owned());
    pod_template(&mut spec.template);
}

/// `SetDefaults_CronJob`. The job template's own spec gets only the pod defaults: `SetDefaults_Job` applies to
/// Jobs, which the CronJob controller creates later.
fn cron_job_spec(spec: &mut CronJobSpec) {
    default_str(&mut spec.concurrency_policy, "Allow");
    spec.suspend.get_or_insert(false);
    spec.successful_jobs_history_limit.get_or_insert(3);
    spec.failed_jobs_history_limit.get_or_insert(1);
    if let Some(job) = &mut spec.job_template.spec {
        pod_template(&mut job.template);
    }
}

/// The defaults of a template's pod spec. A template without a spec gets an empty one, as in Go.
fn pod_template(template: &mut PodTemplateSpec) {
    pod_spec(template.spec.get_or_insert_with(Default::default));
}

/// `SetDefaults_PodSpec` and everything nested in it (containers, ports, probes). Jobs' templates get
/// `restartPolicy: Always` here too, and are then refused by Job validation unless they say `OnFailure` or `Never`:
/// that is kube-apiserver's behaviour and its message.
fn pod_spec(spec: &mut PodSpec) {
    default_str(&mut spec.dns_policy, "ClusterFirst");
    default_str(&mut spec.restart_policy, "Always");
    spec.security_context.get_or_insert_with(PodSecurityContext::default);
    spec.termination_grace_period_seconds.get_or_insert(30);
    default_str(&mut spec.scheduler_name, "default-scheduler");
    spec.containers.iter_mut().for_each(container);
    spec.init_containers.iter_mut().flatten().for_each(container);
}

/// `SetDefaults_Pod`: the defaults only Pods get (not templates).
fn pod_only(spec: &mut PodSpec) {
    spec.enable_service_links.get_or_insert(true);
    // With host networking every container port is a host port.
    if spec.host_network == Some(true) {
        let init = spec.init_containers.iter_mut().flatten();
        for container in spec.containers.iter_mut().chain(init) {
            for port in container.ports.iter_mut().flatten() {
                if port.host_port.unwrap_or_default() == 0 {
                    port.host_port = Some(port.container_port);
                }
            }
        }
    }
}

/// `SetDefaults_Container` plus its ports, probes and lifecycle hooks.
fn container(container: &mut Container) {
    if container.image_pull_policy.as_deref().unwrap_or_default().is_empty() {
        let policy = if image_tag(container.image.as_deref().unwrap_or_default()) == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        container.image_pull_policy = Some(policy.to_owned());
    }
    default_str(&mut container.termination_message_path, "/dev/termination-log");
    default_str(&mut container.termination_message_policy, "File");
    for port in container.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
    }
    let probes = [&mut container.liveness_probe, &mut container.readiness_probe, &mut container.startup_probe];
    for probe in probes.into_iter().flatten() {
        self::probe(probe);
    }
    if let Some(lifecycle) = &mut container.lifecycle {
        for hook in [&mut lifecycle.post_start, &mut lifecycle.pre_stop].into_iter().flatten() {
            if let Some(http) = &mut hook.http_get {
                http_get(http);
            }
        }
    }
}

/// `SetDefaults_Probe`.
fn probe(probe: &mut Probe) {
    default_i32(&mut probe.timeout_seconds, 1);
    default_i32(&mut probe.period_seconds, 10);
    default_i32(&mut probe.success_threshold, 1);
    default_i32(&mut probe.failure_threshold, 3);
    if let Some(http) = &mut probe.http_get {
        http_get(http);
    }
}

/// `SetDefaults_HTTPGetAction`.
fn http_get(http: &mut HTTPGetAction) {
    default_str(&mut http.path, "/");
    default_str(&mut http.scheme, "HTTP");
}

/// The tag of an image reference as `parsers.ParseImageName` finds it: `latest` when there is neither a tag nor a
/// digest, empty when there is only a digest.
fn image_tag(image: &str) -> &str {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    // A registry port (`host:5000/app`) is before the last `/`; a tag is after it.
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.split_once(':') {
        Some((_, tag)) => tag,
        None if digest => "",
        None => "latest",
    }
}

#[cfg(test)]
mod tests;
