//! `knet lint`: the mistakes a set of manifests holds, each as a [`Finding`] with a stable code, the object and field it
//! is about, where it was written, what goes wrong and what to do.
//!
//! The checks come in families, one file each, and every code is listed once in [`rules::RULES`] (which
//! `docs/lint.md` documents, and a test keeps the two equal):
//!
//! - `KN0xxx` (`admission`): documents that could not be decoded and objects the API server would refuse. Those objects
//!   are left out of the snapshot, so every other check runs without them.
//! - `KN1xxx` (`services`): selectors that select nothing, target ports no container declares, ExternalNames that
//!   hold an address, and workloads whose command listens on nothing.
//! - `KN2xxx` (`policies`, `dns_egress`): NetworkPolicy selectors that match nothing in the given manifests,
//!   `policyTypes` that isolate more or less than the rules suggest, and egress isolation that blocks DNS.
//! - `KN3xxx` (`ingress`): Ingress backends, classes, annotations, TLS and auth Secrets, and host + path conflicts.
//! - `KN4xxx` (`dns`): names in configuration that the `ndots:5` search list makes expensive, short names that name
//!   no Service, and resolver settings that cannot reach the cluster zone.
//!
//! Every verdict comes from the model (`knet_model`): a selector match is `Selector::matches`, an endpoint is
//! `Service::resolve_target`, a DNS flow is `policy::judge_pods`. Lint never re-implements a semantic; it only decides
//! which answers of the model are worth a word. Selectors are judged against the given manifests only, and messages
//! say so: a namespace that is missing here may exist in the real cluster.

mod admission;
mod dns;
mod dns_egress;
mod ingress;
mod policies;
mod render;
mod rules;
mod services;
mod workloads;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use knet_model::{Cluster, ClusterConfig};
use knet_object::{Loaded, Object, Origin};

use crate::input::Input;

pub use render::{render_json, render_sarif, render_text};
pub use rules::{RULES, Rule, rule};

/// How bad a finding is. `knet lint` exits non-zero when any finding is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The configuration does not do what it says: traffic is refused, a name never resolves, an object is refused.
    Error,
    /// Probably a mistake, or something that works only by accident or only in part.
    Warning,
    /// Worth knowing, not wrong: a cost, or something nothing in the given manifests can confirm.
    Info,
}

impl Severity {
    /// `error`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// The SARIF `level`: `error`, `warning`, `note`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The stable code of the rule, e.g. `KN1003`; see [`RULES`].
    pub code: &'static str,
    pub severity: Severity,
    /// The object the finding is about: `Service microservices/backend-service`, `IngressClass nginx`.
    pub object: String,
    /// The API field path, e.g. `spec.ports[0].targetPort`, when the finding is about one field.
    pub field: Option<String>,
    /// Where the object was written; `None` for objects the model added (cluster DNS) or that have no position.
    pub origin: Option<Origin>,
    /// What is wrong, where, and what follows from it: one or more full sentences.
    pub message: String,
    /// What to do about it, when there is something specific to say.
    pub hint: Option<String>,
}

impl Finding {
    /// A finding of `rule`, with the rule's default severity.
    fn new(rule: &'static Rule, object: String, message: String) -> Finding {
        Finding { code: rule.code, severity: rule.severity, object, field: None, origin: None, message, hint: None }
    }

    fn field(mut self, field: impl Into<String>) -> Finding {
        self.field = Some(field.into());
        self
    }

    fn origin(mut self, origin: &Origin) -> Finding {
        self.origin = written(origin);
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    fn hint_opt(mut self, hint: Option<String>) -> Finding {
        self.hint = hint;
        self
    }

    fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    /// Whether this finding makes `knet lint` fail.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order findings are reported in: by file and line, then severity, code, object, field and message.
    /// Findings without a position come last.
    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.origin.is_none(),
            self.origin.as_ref().map(|o| (o.source.clone(), o.line, o.item)),
            self.severity,
            self.code,
            &self.object,
            &self.field,
            &self.message,
        )
    }
}

/// `knet lint`: admits the loaded manifests (objects without a namespace go to `namespace`), compiles them with
/// `config`, and returns every finding, sorted by file and line, without duplicates. Documents that could not be
/// decoded and objects the API server would refuse are findings too (KN0001, KN0002), so this is everything the
/// command reports; [`Finding::is_error`] says which findings make it fail.
///
/// It takes the manifests before admission because defaulting erases what some checks look at: an omitted
/// `policyTypes` (KN2004) is indistinguishable from a written one afterwards.
pub fn lint(loaded: Loaded, namespace: &str, config: ClusterConfig) -> Vec<Finding> {
    let written = AsWritten::record(&loaded, namespace);
    let input = Input::admit(loaded, namespace);
    let cluster = input.cluster(config);
    lint_snapshot(&cluster, &input, &written)
}

/// What admission's defaulting fills in, recorded from the manifests as written.
#[derive(Debug, Clone, Default)]
struct AsWritten {
    /// `(namespace, name)` of the NetworkPolicies written without `policyTypes`.
    policies_without_types: BTreeSet<(String, String)>,
}

impl AsWritten {
    fn record(loaded: &Loaded, namespace: &str) -> AsWritten {
        let policies_without_types = loaded
            .manifests
            .iter()
            .filter_map(|m| match &m.object {
                Object::NetworkPolicy(policy) => Some((m, policy)),
                _ => None,
            })
            .filter(|(_, policy)| {
                let types = policy.spec.as_ref().and_then(|s| s.policy_types.as_ref());
                types.is_none_or(|t| t.is_empty())
            })
            .map(|(m, _)| {
                let namespace = m.object.namespace().unwrap_or(namespace);
                (namespace.to_owned(), m.object.name().to_owned())
            })
            .collect();
        AsWritten { policies_without_types }
    }
}

/// Lints a compiled snapshot. `cluster` must be compiled from `input`: most checks read the model, and a few read the
/// manifests themselves for what the model does not keep (container commands and environment).
fn lint_snapshot(cluster: &Cluster, input: &Input, written: &AsWritten) -> Vec<Finding> {
    let mut findings = Vec::new();
    admission::check(cluster, input, &mut findings);
    services::check(cluster, input, &mut findings);
    policies::check(cluster, written, &mut findings);
    dns_egress::check(cluster, &mut findings);
    ingress::check(cluster, &mut findings);
    dns::check(cluster, input, &mut findings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
    findings
}

/// The origin to report: `None` for objects the model made up (`<cluster>`), which have no file to point at.
fn written(origin: &Origin) -> Option<Origin> {
    (!is_synthetic(origin)).then(|| origin.clone())
}

/// Whether the object was added by the model (cluster DNS, the ingress controller) rather than read from the input.
fn is_synthetic(origin: &Origin) -> bool {
    origin.line == 0 && origin.source.starts_with('<')
}

/// `Service microservices/backend-service`; `IngressClass nginx` for a cluster-scoped object; a missing name is
/// shown as `<no name>`.
fn object_name(kind: &str, namespace: Option<&str>, name: &str) -> String {
    let name = if name.is_empty() { "<no name>" } else { name };
    match namespace {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// A list for a message: `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `1 pod`, `2 pods`.
fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 { format!("{count} {singular}") } else { format!("{count} {plural}") }
}
