//! Findings for what admission refused (KN0001, KN0002) and what the model could not compile (KN0003).
//!
//! Admission already said these things as diagnostics; lint repeats them as findings so that one command, one exit
//! status and one SARIF file carry everything wrong with the input.

use knet_model::Cluster;
use knet_object::{LoadError, Origin};

use super::rules::{INVALID_OBJECT, MODEL_PROBLEM, UNDECODABLE_DOCUMENT};
use super::{Finding, object_name};
use crate::input::{Diagnostic, Input};

pub(super) fn check(cluster: &Cluster, input: &Input, out: &mut Vec<Finding>) {
    for diagnostic in &input.diagnostics {
        match diagnostic {
            Diagnostic::Load(error) => out.push(load_error(error)),
            Diagnostic::Invalid { origin, kind, namespace, name, errors } => {
                let object = object_name(kind, namespace.as_deref(), name);
                let shown = if name.is_empty() { "<no name>" } else { name };
                for error in errors {
                    out.push(
                        Finding::new(
                            &INVALID_OBJECT,
                            object.clone(),
                            sentence(&format!("The {kind} \"{shown}\" is invalid: {error}")),
                        )
                        .field(error.field.clone())
                        .origin(origin)
                        .hint("Fix the field: until then knet leaves the object out of every other check, as the API server would never store it."),
                    );
                }
            }
        }
    }
    for problem in &cluster.problems {
        out.push(model_problem(input, problem));
    }
}

fn load_error(error: &LoadError) -> Finding {
    let document = "document".to_owned();
    match error {
        LoadError::Syntax { source_name, line, column, message } => {
            let origin = Origin { source: source_name.clone(), line: *line, item: None };
            Finding::new(
                &UNDECODABLE_DOCUMENT,
                document,
                format!("The document is not valid YAML at column {column}: {message}."),
            )
            .origin(&origin)
        }
        LoadError::NotAnObject { origin, found } => Finding::new(
            &UNDECODABLE_DOCUMENT,
            document,
            format!("The document is {found}, not an object with apiVersion and kind."),
        )
        .origin(origin),
        LoadError::MissingType { origin, field } => Finding::new(
            &UNDECODABLE_DOCUMENT,
            document,
            format!("The document has no {field}: a manifest needs apiVersion and kind."),
        )
        .field(*field)
        .origin(origin),
        LoadError::UnservedVersion { origin, kind, api_version, expected } => Finding::new(
            &UNDECODABLE_DOCUMENT,
            document,
            format!("The API server serves no kind \"{kind}\" in version \"{api_version}\"."),
        )
        .field("apiVersion")
        .origin(origin)
        .hint(format!("Use apiVersion: {expected}.")),
        LoadError::Decode { origin, kind, name, field, message } => Finding::new(
            &UNDECODABLE_DOCUMENT,
            object_name(kind.name(), None, name),
            sentence(&format!("{field}: {message}")),
        )
        .field(field.clone())
        .origin(origin),
    }
}

/// A compile problem reads `<kind> "<namespace>/<name>": <what>`; the object is looked up in the input for its origin.
fn model_problem(input: &Input, problem: &str) -> Finding {
    let parsed = problem.split_once(": ").and_then(|(head, rest)| {
        let (kind, quoted) = head.split_once(' ')?;
        let qualified = quoted.strip_prefix('"')?.strip_suffix('"')?;
        let (namespace, name) = qualified.split_once('/')?;
        Some((kind, namespace, name, rest))
    });
    let Some((kind, namespace, name, rest)) = parsed else {
        return Finding::new(&MODEL_PROBLEM, "input".into(), sentence(problem));
    };
    let manifest = input.manifests.iter().find(|m| {
        m.object.kind_name().eq_ignore_ascii_case(kind)
            && m.object.namespace() == Some(namespace)
            && m.object.name() == name
    });
    let kind_name = manifest.map_or(kind, |m| m.object.kind_name());
    // The problem starts with the field path: `spec.clusterIP "x" is not ...`, `spec.ingress[0]...: invalid CIDR`.
    let field = rest.split([' ', ':']).next().filter(|f| f.starts_with("spec.") || f.starts_with("metadata."));
    let mut finding = Finding::new(
        &MODEL_PROBLEM,
        object_name(kind_name, Some(namespace), name),
        format!("{}; knet leaves that part out of the analysis.", rest.trim_end_matches('.')),
    );
    finding.field = field.map(str::to_owned);
    if let Some(manifest) = manifest {
        finding = finding.origin(&manifest.origin);
    }
    finding
}

/// Ends a message with a full stop.
fn sentence(text: &str) -> String {
    if text.ends_with('.') { text.to_owned() } else { format!("{text}.") }
}
