//! What the model does not keep about a workload, read from its manifest: the pod template's containers, with the
//! commands they run and the environment they get, and the field path of each.

use k8s_openapi::api::core::v1::{Container, PodSpec};
use knet_model::Pod;
use knet_object::{Manifest, Object};

use crate::input::Input;

/// The pod spec of a workload object, and the field path that leads to it.
pub(super) fn pod_spec(object: &Object) -> Option<(&PodSpec, &'static str)> {
    match object {
        Object::Pod(pod) => pod.spec.as_ref().map(|s| (s, "spec")),
        Object::Deployment(d) => {
            d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| (s, "spec.template.spec"))
        }
        Object::ReplicaSet(r) => r
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref())
            .map(|s| (s, "spec.template.spec")),
        Object::StatefulSet(s) => {
            s.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| (s, "spec.template.spec"))
        }
        Object::DaemonSet(d) => {
            d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| (s, "spec.template.spec"))
        }
        Object::Job(j) => j.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| (s, "spec.template.spec")),
        Object::CronJob(c) => c
            .spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref())
            .map(|s| (s, "spec.jobTemplate.spec.template.spec")),
        _ => None,
    }
}

/// The manifest a model pod (workload) was compiled from: same kind, namespace and name.
pub(super) fn manifest_of<'i>(input: &'i Input, pod: &Pod) -> Option<&'i Manifest> {
    input.manifests.iter().find(|m| {
        m.object.kind_name() == pod.kind.as_str()
            && m.object.namespace().unwrap_or("default") == pod.namespace
            && m.object.name() == pod.name
    })
}

/// A container with its index and the field path of the list it is in (`spec.template.spec.containers`).
pub(super) struct ContainerRef<'a> {
    pub container: &'a Container,
    /// `spec.template.spec.containers[0]`.
    pub path: String,
}

/// Every container of a pod spec, then every init container.
pub(super) fn containers<'a>(spec: &'a PodSpec, prefix: &str) -> Vec<ContainerRef<'a>> {
    let main = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| ContainerRef { container: c, path: format!("{prefix}.containers[{i}]") });
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| ContainerRef { container: c, path: format!("{prefix}.initContainers[{i}]") });
    main.chain(init).collect()
}

/// The commands a shell script may consist of for the container to count as idle: it prints and waits, and opens no
/// socket. Anything else (including a command this list does not know) counts as possibly serving.
const IDLE_COMMANDS: &[&str] = &["echo", "printf", "sleep", "true", ":", "date", "env", "wait"];

/// When a command line (`command` followed by `args`) runs only an idle command (`sleep 3600`,
/// `sh -c "echo hi && sleep 3600"`, `tail -f /dev/null`): the command as a user would read it, and the index in
/// `argv` of the word that holds it (the script of `sh -c`, else the program), to name the field.
pub(super) fn idle_command(argv: &[String]) -> Option<(String, usize)> {
    let program = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p))?;
    if matches!(program, "sh" | "bash" | "ash" | "dash" | "zsh") {
        let flag = argv.iter().position(|a| a == "-c")?;
        let script = argv.get(flag + 1)?;
        return script_is_idle(script).then(|| (script.clone(), flag + 1));
    }
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    simple_command_is_idle(&words).then(|| (argv.join(" "), 0))
}

/// The field that holds word `index` of a container's command line: `...containers[0].command` or `.args`.
pub(super) fn command_field(container: &ContainerRef<'_>, index: usize) -> String {
    let command_len = container.container.command.as_ref().map_or(0, Vec::len);
    if index < command_len { format!("{}.command", container.path) } else { format!("{}.args", container.path) }
}

/// Whether every simple command of a shell script is idle and at least one of them waits (`sleep`, `tail -f`).
fn script_is_idle(script: &str) -> bool {
    let mut waits = false;
    for statement in script.split(['\n', ';', '&', '|']) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !simple_command_is_idle(&words) {
            return false;
        }
        waits |= waits_forever(&words);
    }
    waits
}

fn simple_command_is_idle(words: &[&str]) -> bool {
    let Some(program) = words.first().map(|p| p.rsplit('/').next().unwrap_or(p)) else {
        return false;
    };
    IDLE_COMMANDS.contains(&program) || waits_forever(words)
}

/// `sleep N` / `sleep infinity`, or `tail -f /dev/null`.
fn waits_forever(words: &[&str]) -> bool {
    let program = words.first().map(|p| p.rsplit('/').next().unwrap_or(p));
    match program {
        Some("sleep") => true,
        Some("tail") => words.contains(&"-f") && words.contains(&"/dev/null"),
        _ => false,
    }
}
