//! What a pod needs from its namespace before its containers can start, as the kubelet checks it: the ConfigMaps and
//! Secrets its volumes mount and its environment reads (optional references excepted), and the keys it picks from
//! them. A missing volume source keeps the pod `ContainerCreating` (FailedMount); a missing environment source or key
//! stops the container with `CreateContainerConfigError`. The messages are the kubelet's.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};

/// The kinds of object a pod can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    ConfigMap,
    Secret,
}

impl Source {
    /// The lowercase word of the kubelet's "not found" messages.
    fn word(self) -> &'static str {
        match self {
            Source::ConfigMap => "configmap",
            Source::Secret => "secret",
        }
    }

    /// The kind as the kubelet names it in "couldn't find key" messages.
    fn kind(self) -> &'static str {
        match self {
            Source::ConfigMap => "ConfigMap",
            Source::Secret => "Secret",
        }
    }
}

/// Where a reference is used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Use {
    /// A volume of this name.
    Volume(String),
    /// The environment of this container.
    Env(String),
}

/// One required reference of a pod.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub source: Source,
    pub name: String,
    /// The key picked (`configMapKeyRef.key`), if one is.
    pub key: Option<String>,
    pub used_by: Use,
}

/// Why a pod cannot start yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// A volume cannot be mounted: the pod stays `ContainerCreating`.
    Mount { volume: String, message: String },
    /// A container's environment cannot be built: `CreateContainerConfigError`.
    Config { container: String, message: String },
}

impl Blocked {
    /// The event reason and message the kubelet records.
    pub fn event(&self) -> (&'static str, String) {
        match self {
            Blocked::Mount { volume, message } => {
                ("FailedMount", format!("MountVolume.SetUp failed for volume {volume:?} : {message}"))
            }
            Blocked::Config { message, .. } => ("Failed", format!("Error: {message}")),
        }
    }
}

/// The ConfigMaps and Secrets `pod` requires (optional ones left out), in the order the kubelet checks them:
/// volumes, then each container's `envFrom`, then its `env`.
pub fn required(pod: &Pod) -> Vec<Reference> {
    let Some(spec) = pod.spec.as_ref() else { return Vec::new() };
    let mut references: Vec<Reference> = Vec::new();
    let mut add = |source, name: &str, key: Option<&str>, optional: Option<bool>, used_by: Use| {
        let reference = Reference { source, name: name.to_owned(), key: key.map(str::to_owned), used_by };
        if optional != Some(true) && !name.is_empty() && !references.contains(&reference) {
            references.push(reference);
        }
    };
    for volume in spec.volumes.iter().flatten() {
        let used_by = || Use::Volume(volume.name.clone());
        if let Some(map) = &volume.config_map {
            add(Source::ConfigMap, &map.name, None, map.optional, used_by());
        }
        if let Some(secret) = &volume.secret {
            add(Source::Secret, secret.secret_name.as_deref().unwrap_or_default(), None, secret.optional, used_by());
        }
    }
    let containers = spec.init_containers.iter().flatten().chain(&spec.containers);
    for container in containers {
        let used_by = || Use::Env(container.name.clone());
        for from in container.env_from.iter().flatten() {
            if let Some(map) = &from.config_map_ref {
                add(Source::ConfigMap, &map.name, None, map.optional, used_by());
            }
            if let Some(secret) = &from.secret_ref {
                add(Source::Secret, &secret.name, None, secret.optional, used_by());
            }
        }
        for variable in container.env.iter().flatten() {
            let Some(from) = &variable.value_from else { continue };
            if let Some(key) = &from.config_map_key_ref {
                add(Source::ConfigMap, &key.name, Some(&key.key), key.optional, used_by());
            }
            if let Some(key) = &from.secret_key_ref {
                add(Source::Secret, &key.name, Some(&key.key), key.optional, used_by());
            }
        }
    }
    references
}

/// The keys a ConfigMap offers (`data` and `binaryData`).
pub fn config_map_keys(map: &ConfigMap) -> BTreeSet<String> {
    let data = map.data.iter().flat_map(|d| d.keys());
    data.chain(map.binary_data.iter().flat_map(|d| d.keys())).cloned().collect()
}

/// The keys a Secret offers (`data` and `stringData`).
pub fn secret_keys(secret: &Secret) -> BTreeSet<String> {
    let data = secret.data.iter().flat_map(|d| d.keys());
    data.chain(secret.string_data.iter().flat_map(|d| d.keys())).cloned().collect()
}

/// What keeps the pod in `namespace` from starting, given the keys of each referenced object (`None`: the object
/// does not exist). Mount problems come first: the kubelet mounts volumes before it builds environments.
pub fn blocked(
    namespace: &str,
    references: &[Reference],
    keys_of: impl Fn(Source, &str) -> Option<BTreeSet<String>>,
) -> Vec<Blocked> {
    let mut mounts = Vec::new();
    let mut configs = Vec::new();
    for reference in references {
        let message = match (keys_of(reference.source, &reference.name), &reference.key) {
            (None, _) => format!("{} {:?} not found", reference.source.word(), reference.name),
            (Some(keys), Some(key)) if !keys.contains(key) => {
                format!("couldn't find key {key} in {} {namespace}/{}", reference.source.kind(), reference.name)
            }
            (Some(_), _) => continue,
        };
        match &reference.used_by {
            Use::Volume(volume) => mounts.push(Blocked::Mount { volume: volume.clone(), message }),
            Use::Env(container) => configs.push(Blocked::Config { container: container.clone(), message }),
        }
    }
    if mounts.is_empty() { configs } else { mounts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Pod {
        serde_json::from_value(json!({
            "metadata": { "name": "app" },
            "spec": {
                "volumes": [
                    { "name": "config", "configMap": { "name": "app-config" } },
                    { "name": "maybe", "configMap": { "name": "extra", "optional": true } },
                    { "name": "certs", "secret": { "secretName": "tls" } }
                ],
                "containers": [{
                    "name": "web",
                    "envFrom": [{ "configMapRef": { "name": "env" } }],
                    "env": [
                        { "name": "LEVEL", "valueFrom": { "configMapKeyRef": { "name": "app-config", "key": "level" } } },
                        { "name": "PLAIN", "value": "x" }
                    ]
                }]
            }
        }))
        .unwrap()
    }

    fn keys(list: &[&str]) -> Option<BTreeSet<String>> {
        Some(list.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn optional_references_are_not_required() {
        let names: Vec<(Source, String)> = required(&pod()).into_iter().map(|r| (r.source, r.name)).collect();
        assert!(!names.contains(&(Source::ConfigMap, "extra".to_owned())));
        assert_eq!(names.len(), 4, "{names:?}");
    }

    #[test]
    fn volumes_block_first_then_the_environment_with_the_kubelets_words() {
        let references = required(&pod());
        let nothing = blocked("default", &references, |_, _| None);
        assert_eq!(nothing.len(), 2, "only the two mounts: {nothing:?}");
        assert_eq!(
            nothing[0].event(),
            (
                "FailedMount",
                r#"MountVolume.SetUp failed for volume "config" : configmap "app-config" not found"#.into()
            )
        );
        assert_eq!(nothing[1].event().1, r#"MountVolume.SetUp failed for volume "certs" : secret "tls" not found"#);
        let volumes_there = blocked("default", &references, |source, name| match (source, name) {
            (Source::ConfigMap, "app-config") => keys(&["other"]),
            (Source::Secret, "tls") => keys(&["tls.crt"]),
            _ => None,
        });
        let messages: Vec<String> = volumes_there.iter().map(|b| b.event().1).collect();
        assert_eq!(
            messages,
            [r#"Error: configmap "env" not found"#, "Error: couldn't find key level in ConfigMap default/app-config"]
        );
        let everything = blocked("default", &references, |source, name| match (source, name) {
            (Source::ConfigMap, "app-config") => keys(&["level"]),
            _ => keys(&[]),
        });
        assert_eq!(everything, []);
    }
}
