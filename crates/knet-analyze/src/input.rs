//! From loaded manifests to a compiled cluster, the way the API server would admit them: namespace assignment,
//! defaulting, validation. Invalid objects are reported and left out; everything valid is still analysed.

use std::fmt;

use knet_model::{Cluster, ClusterConfig};
use knet_object::validate::{FieldError, ValidationConfig, validate_with};
use knet_object::{LoadError, Loaded, Manifest, Origin, assign_namespace, defaults};

/// Something wrong with the input, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    /// A document that could not be decoded.
    Load(LoadError),
    /// An object the API server would refuse (HTTP 422): every invalid field.
    Invalid { origin: Origin, kind: String, namespace: Option<String>, name: String, errors: Vec<FieldError> },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::Load(error) => write!(f, "{error}"),
            Diagnostic::Invalid { origin, kind, name, errors, .. } => {
                write!(f, "{origin}: {}", knet_object::validate::invalid_message(kind, name, errors))
            }
        }
    }
}

/// The admitted objects and what was refused.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub manifests: Vec<Manifest>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Input {
    /// Admits loaded manifests: objects without a namespace go to `namespace`, every object is defaulted and
    /// validated, and invalid ones are moved to the diagnostics.
    pub fn admit(loaded: Loaded, namespace: &str) -> Input {
        let Loaded { mut manifests, errors } = loaded;
        assign_namespace(&mut manifests, namespace);
        let mut input = Input {
            manifests: Vec::with_capacity(manifests.len()),
            diagnostics: errors.into_iter().map(Diagnostic::Load).collect(),
        };
        let config = ValidationConfig::default();
        for mut manifest in manifests {
            defaults::apply(&mut manifest.object);
            let errors = validate_with(&manifest.object, &config);
            if errors.is_empty() {
                input.manifests.push(manifest);
            } else {
                input.diagnostics.push(Diagnostic::Invalid {
                    kind: manifest.object.kind_name().to_owned(),
                    namespace: manifest.object.namespace().map(str::to_owned),
                    name: manifest.object.name().to_owned(),
                    origin: manifest.origin,
                    errors,
                });
            }
        }
        input
    }

    /// Compiles the admitted objects into the model's snapshot.
    pub fn cluster(&self, config: ClusterConfig) -> Cluster {
        Cluster::build(config, &self.manifests)
    }
}
