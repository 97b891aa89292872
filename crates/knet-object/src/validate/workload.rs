//! Pods and the workloads that template them (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs),
//! after `pkg/apis/apps/validation` and `pkg/apis/batch/validation`.
//!
//! The part that matters most here is the controller's selector: it must be present, non-empty and match its own
//! template's labels, or the controller would not own the pods it creates.
//!
//! ```text
//! [Deployment] -selector-> [template labels] == [Pod labels] <-selector- [Service]
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    DaemonSet, Deployment, DeploymentSpec, DeploymentStrategy, ReplicaSet, ReplicaSetSpec, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, JobSpec};
use k8s_openapi::api::core::v1::{Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::field::{ErrorList, Path, Raw, go};
use super::meta::{self, NameFormat};
use super::pod::{self, SpecOf};

/// `ValidatePodCreate` (the parts that concern the object as written).
pub(crate) fn pod(pod: &Pod, errors: &mut ErrorList) {
    meta::object_meta(&pod.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    pod::pod_spec(spec, SpecOf::Pod, &path, errors);
    pod::pod_only(spec, &path, errors);
}

/// How a controller's selector relates to its template, which differs slightly between kinds.
struct Controller {
    /// The kind as its messages name it (`empty selector is invalid for deployment`).
    noun: &'static str,
    /// The detail of the error for a selector `LabelSelectorAsSelector` refuses.
    unconvertible: &'static str,
    /// The kind as `activeDeadlineSeconds in <Kind> is not Supported` names it.
    kind: &'static str,
}

/// The selector checks shared by ReplicaSets, Deployments and StatefulSets (required, valid, not empty, matching
/// the template), then the template itself.
fn controller_selector(
    selector: &LabelSelector,
    template: &PodTemplateSpec,
    controller: &Controller,
    path: &Path,
    errors: &mut ErrorList,
) {
    let selector_path = path.child("selector");
    if meta::is_unset(selector) {
        errors.required(&selector_path, "");
    } else {
        meta::label_selector(selector, &selector_path, errors);
        if meta::is_empty(selector) {
            errors.invalid(
                &selector_path,
                meta::selector_value(selector),
                &format!("empty selector is invalid for {}", controller.noun),
            );
        }
    }
    if !meta::converts(selector) {
        errors.invalid(&selector_path, meta::selector_value(selector), controller.unconvertible);
        return;
    }
    let template_path = path.child("template");
    // A missing selector converts to "nothing", which matches no labels; an empty one to "everything", which is
    // not checked.
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    if meta::is_unset(selector) || (!meta::is_empty(selector) && !meta::matches(selector, labels)) {
        selector_mismatch(labels, &template_path, errors);
    }
    controller_template(template, controller, &template_path, errors);
}

fn selector_mismatch(labels: Option<&BTreeMap<String, String>>, template_path: &Path, errors: &mut ErrorList) {
    errors.invalid(
        &template_path.child("metadata").child("labels"),
        Raw(go::string_map(labels)),
        "`selector` does not match template `labels`",
    );
}

/// `ValidatePodTemplateSpec`: template labels, annotations and pod spec.
fn template(template: &PodTemplateSpec, path: &Path, errors: &mut ErrorList) {
    meta::template_metadata(template.metadata.as_ref(), path, errors);
    let default_spec = PodSpec::default();
    let spec = template.spec.as_ref().unwrap_or(&default_spec);
    pod::pod_spec(spec, SpecOf::Template, &path.child("spec"), errors);
}

/// A long-running controller's template: also `restartPolicy: Always` and no deadline.
fn controller_template(template: &PodTemplateSpec, controller: &Controller, path: &Path, errors: &mut ErrorList) {
    self::template(template, path, errors);
    let spec = template.spec.as_ref();
    let restart_policy = spec.and_then(|s| s.restart_policy.as_deref()).unwrap_or_default();
    if restart_policy != "Always" {
        errors.not_supported(&path.child("spec").child("restartPolicy"), restart_policy, &["Always"]);
    }
    if spec.is_some_and(|s| s.active_deadline_seconds.is_some()) {
        errors.forbidden(
            &path.child("spec").child("activeDeadlineSeconds"),
            &format!("activeDeadlineSeconds in {} is not Supported", controller.kind),
        );
    }
}

fn nonnegative_opt(value: Option<i32>, path: &Path, errors: &mut ErrorList) {
    if let Some(value) = value {
        meta::nonnegative(i64::from(value), path, errors);
    }
}

/// `ValidateDeployment`.
pub(crate) fn deployment(deployment: &Deployment, errors: &mut ErrorList) {
    meta::object_meta(&deployment.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = DeploymentSpec::default();
    let spec = deployment.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    nonnegative_opt(spec.replicas, &path.child("replicas"), errors);
    let controller = Controller { noun: "deployment", unconvertible: "invalid label selector", kind: "ReplicaSet" };
    controller_selector(&spec.selector, &spec.template, &controller, &path, errors);
    if let Some(strategy) = &spec.strategy {
        deployment_strategy(strategy, &path.child("strategy"), errors);
    }
    let min_ready = spec.min_ready_seconds.unwrap_or_default();
    meta::nonnegative(i64::from(min_ready), &path.child("minReadySeconds"), errors);
    nonnegative_opt(spec.revision_history_limit, &path.child("revisionHistoryLimit"), errors);
    if let Some(deadline) = spec.progress_deadline_seconds {
        let deadline_path = path.child("progressDeadlineSeconds");
        meta::nonnegative(i64::from(deadline), &deadline_path, errors);
        if deadline <= min_ready {
            errors.invalid(&deadline_path, deadline, "must be greater than minReadySeconds");
        }
    }
}

/// `ValidateDeploymentStrategy` and `ValidateRollingUpdateDeployment`.
fn deployment_strategy(strategy: &DeploymentStrategy, path: &Path, errors: &mut ErrorList) {
    match strategy.type_.as_deref().unwrap_or_default() {
        "Recreate" => {
            if strategy.rolling_update.is_some() {
                errors
                    .forbidden(&path.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'");
            }
        }
        "RollingUpdate" => {
            let Some(rolling) = &strategy.rolling_update else {
                return errors.required(&path.child("rollingUpdate"), "this should be defaulted and never be nil");
            };
            let path = path.child("rollingUpdate");
            let zero = IntOrString::Int(0);
            let unavailable = rolling.max_unavailable.as_ref().unwrap_or(&zero);
            let surge = rolling.max_surge.as_ref().unwrap_or(&zero);
            int_or_percent(unavailable, &path.child("maxUnavailable"), errors);
            int_or_percent(surge, &path.child("maxSurge"), errors);
            if int_or_percent_value(unavailable) == 0 && int_or_percent_value(surge) == 0 {
                errors.invalid(
                    &path.child("maxUnavailable"),
                    Raw(int_or_string_text(unavailable)),
                    "may not be 0 when `maxSurge` is 0",
                );
            }
            let over_100 = |s: &String| percent(s).is_some_and(|p| p > 100);
            match unavailable {
                IntOrString::String(s) if over_100(s) => {
                    errors.invalid(&path.child("maxUnavailable"), Raw(s.clone()), "must not be greater than 100%")
                }
                _ => {}
            }
        }
        other => {
            // kube-apiserver prints the whole internal strategy struct here.
            let rolling = if strategy.rolling_update.is_some() {
                "(*apps.RollingUpdateDeployment)(0x0)"
            } else {
                "(*apps.RollingUpdateDeployment)(nil)"
            };
            errors.not_supported(
                path,
                Raw(format!("apps.DeploymentStrategy{{Type:{}, RollingUpdate:{rolling}}}", go::quote(other))),
                &["Recreate", "RollingUpdate"],
            );
        }
    }
}

/// `IntOrString.String()`, which is how `field.Error` prints one.
fn int_or_string_text(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// The number of a `[0-9]+%` string.
fn percent(value: &str) -> Option<i64> {
    let digits = value.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<i64>().unwrap_or(i64::MAX))
}

fn int_or_percent_value(value: &IntOrString) -> i64 {
    match value {
        IntOrString::Int(i) => i64::from(*i),
        IntOrString::String(s) => percent(s).unwrap_or_default(),
    }
}

/// `ValidatePositiveIntOrPercent`.
fn int_or_percent(value: &IntOrString, path: &Path, errors: &mut ErrorList) {
    match value {
        IntOrString::String(s) if percent(s).is_none() => errors.invalid(
            path,
            Raw(s.clone()),
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ),
        IntOrString::String(_) => {}
        IntOrString::Int(i) => meta::nonnegative(i64::from(*i), path, errors),
    }
}

/// `ValidateReplicaSet`.
pub(crate) fn replica_set(replica_set: &ReplicaSet, errors: &mut ErrorList) {
    meta::object_meta(&replica_set.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = ReplicaSetSpec::default();
    let spec = replica_set.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    nonnegative_opt(spec.replicas, &path.child("replicas"), errors);
    nonnegative_opt(spec.min_ready_seconds, &path.child("minReadySeconds"), errors);
    let controller = Controller {
        // kube-apiserver says "deployment" for ReplicaSets too.
        noun: "deployment",
        unconvertible: "invalid label selector",
        kind: "ReplicaSet",
    };
    let default_template = PodTemplateSpec::default();
    let template = spec.template.as_ref().unwrap_or(&default_template);
    controller_selector(&spec.selector, template, &controller, &path, errors);
}

/// `ValidateStatefulSet`.
pub(crate) fn stateful_set(stateful_set: &StatefulSet, errors: &mut ErrorList) {
    meta::object_meta(&stateful_set.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = StatefulSetSpec::default();
    let spec = stateful_set.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    match spec.pod_management_policy.as_deref().unwrap_or_default() {
        "" => errors.required(&path.child("podManagementPolicy"), ""),
        "OrderedReady" | "Parallel" => {}
        other => errors.not_supported(&path.child("podManagementPolicy"), other, &["OrderedReady", "Parallel"]),
    }
    let strategy = spec.update_strategy.as_ref();
    match strategy.and_then(|s| s.type_.as_deref()).unwrap_or_default() {
        "" => errors.required(&path.child("updateStrategy"), ""),
        "RollingUpdate" | "OnDelete" => {}
        other => errors.invalid(
            &path.child("updateStrategy"),
            Raw(format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}}",
                go::quote(other)
            )),
            "must be 'RollingUpdate' or 'OnDelete'",
        ),
    }
    nonnegative_opt(spec.replicas, &path.child("replicas"), errors);
    nonnegative_opt(spec.min_ready_seconds, &path.child("minReadySeconds"), errors);
    let controller = Controller { noun: "statefulset", unconvertible: "", kind: "StatefulSet" };
    controller_selector(&spec.selector, &spec.template, &controller, &path, errors);
}

/// `ValidateDaemonSet`. Unlike the others, a DaemonSet without a selector is reported only through the template
/// check: kube-apiserver has no separate "required" error for it.
pub(crate) fn daemon_set(daemon_set: &DaemonSet, errors: &mut ErrorList) {
    meta::object_meta(&daemon_set.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = Default::default();
    let spec = daemon_set.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    let selector = &spec.selector;
    meta::label_selector(selector, &path.child("selector"), errors);
    let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    let converts = meta::converts(selector);
    if converts && (meta::is_unset(selector) || !meta::matches(selector, labels)) {
        selector_mismatch(labels, &path.child("template"), errors);
    }
    if !meta::is_unset(selector) && meta::is_empty(selector) {
        errors.invalid(
            &path.child("selector"),
            meta::selector_value(selector),
            "empty selector is invalid for daemonset",
        );
    }
    let controller = Controller { noun: "daemonset", unconvertible: "", kind: "DaemonSet" };
    controller_template(&spec.template, &controller, &path.child("template"), errors);
    nonnegative_opt(spec.min_ready_seconds, &path.child("minReadySeconds"), errors);
}

/// `ValidateJob`. The selector is generated by the API server unless `manualSelector` is set, so it is only
/// required (and checked against the template) in that case.
pub(crate) fn job(job: &k8s_openapi::api::batch::v1::Job, errors: &mut ErrorList) {
    meta::object_meta(&job.metadata, true, NameFormat::DnsSubdomain, errors);
    let default_spec = JobSpec::default();
    let spec = job.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    if spec.manual_selector == Some(true) {
        match &spec.selector {
            None => errors.required(&path.child("selector"), ""),
            Some(selector) => {
                meta::label_selector(selector, &path.child("selector"), errors);
                let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
                if meta::converts(selector) && !meta::matches(selector, labels) {
                    selector_mismatch(labels, &path.child("template"), errors);
                }
            }
        }
    }
    job_spec(spec, &path, errors);
}

/// `validateJobSpec`: counts, completion mode, and a template whose pods end.
fn job_spec(spec: &JobSpec, path: &Path, errors: &mut ErrorList) {
    nonnegative_opt(spec.parallelism, &path.child("parallelism"), errors);
    nonnegative_opt(spec.completions, &path.child("completions"), errors);
    if let Some(deadline) = spec.active_deadline_seconds {
        meta::nonnegative(deadline, &path.child("activeDeadlineSeconds"), errors);
    }
    nonnegative_opt(spec.backoff_limit, &path.child("backoffLimit"), errors);
    nonnegative_opt(spec.ttl_seconds_after_finished, &path.child("ttlSecondsAfterFinished"), errors);
    match spec.completion_mode.as_deref() {
        None | Some("NonIndexed" | "Indexed") => {}
        Some(mode) => errors.not_supported(&path.child("completionMode"), mode, &["NonIndexed", "Indexed"]),
    }
    let template_path = path.child("template");
    template(&spec.template, &template_path, errors);
    // An unset restart policy was defaulted to Always, which a Job cannot use; both get the same message.
    let restart_policy = spec.template.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or_default();
    let restart_path = template_path.child("spec").child("restartPolicy");
    match restart_policy {
        "" | "Always" => errors.required(&restart_path, "valid values: \"OnFailure\", \"Never\""),
        "OnFailure" | "Never" => {}
        other => errors.not_supported(&restart_path, other, &["OnFailure", "Never"]),
    }
}

/// `ValidateCronJobCreate`. The schedule's syntax is not parsed.
pub(crate) fn cron_job(cron_job: &CronJob, errors: &mut ErrorList) {
    meta::object_meta(&cron_job.metadata, true, NameFormat::DnsSubdomain, errors);
    // Jobs are named `<cronjob>-<11 characters>`, and that must stay a DNS label.
    let name = cron_job.metadata.name.as_deref().unwrap_or_default();
    if name.len() > 52 {
        errors.invalid(&Path::root("metadata").child("name"), name, "must be no more than 52 characters");
    }
    let default_spec = Default::default();
    let spec = cron_job.spec.as_ref().unwrap_or(&default_spec);
    let path = Path::root("spec");
    if spec.schedule.is_empty() {
        errors.required(&path.child("schedule"), "");
    }
    match spec.concurrency_policy.as_deref() {
        None | Some("Allow" | "Forbid" | "Replace") => {}
        Some(policy) => errors.not_supported(&path.child("concurrencyPolicy"), policy, &["Allow", "Forbid", "Replace"]),
    }
    if let Some(deadline) = spec.starting_deadline_seconds {
        meta::nonnegative(deadline, &path.child("startingDeadlineSeconds"), errors);
    }
    let job_path = path.child("jobTemplate");
    meta::template_metadata(spec.job_template.metadata.as_ref(), &job_path, errors);
    let default_job = JobSpec::default();
    let job = spec.job_template.spec.as_ref().unwrap_or(&default_job);
    let job_spec_path = job_path.child("spec");
    job_spec(job, &job_spec_path, errors);
    if job.selector.is_some() {
        errors.invalid(&job_spec_path.child("selector"), Raw("\"\"".to_owned()), "`selector` will be auto-generated");
    }
    if job.manual_selector == Some(true) {
        errors.not_supported(&job_spec_path.child("manualSelector"), Raw("true".to_owned()), &["nil", "false"]);
    }
    nonnegative_opt(spec.successful_jobs_history_limit, &path.child("successfulJobsHistoryLimit"), errors);
    nonnegative_opt(spec.failed_jobs_history_limit, &path.child("failedJobsHistoryLimit"), errors);
}
