//! Which class an Ingress belongs to, and whether a given controller serves it.
//!
//! Three places can name the class, tried in this order by both the admission plugin and ingress-nginx:
//! `spec.ingressClassName`; the deprecated `kubernetes.io/ingress.class` annotation (still honoured; the API server
//! rejects an Ingress whose annotation and field disagree); and, for an Ingress with neither, the default IngressClass,
//! which the `DefaultIngressClass` admission plugin writes into `spec.ingressClassName` on creation. A live Ingress
//! therefore already carries the default; an offline manifest gets it here, the way the API server would give it.

use std::fmt;

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use crate::cluster::{Cluster, Located};

/// The deprecated annotation that names an Ingress's class.
pub const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
/// The annotation that marks an IngressClass as the default for Ingresses that name none.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// Who a controller is, as its command line says: the classes it answers to and its controller string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerIdentity {
    /// `--ingress-class`: the annotation value it accepts, and the IngressClass names it assumes are its own when the
    /// input holds no IngressClass object of that name (ingress-nginx's install creates IngressClass `nginx`).
    pub class_names: Vec<String>,
    /// `--controller-class`: the `spec.controller` of the IngressClasses it serves.
    pub controller: String,
    /// `--watch-ingress-without-class`: also serve Ingresses that name no class at all.
    pub watch_without_class: bool,
}

impl Default for ControllerIdentity {
    /// ingress-nginx's defaults: class `nginx`, controller `k8s.io/ingress-nginx`, Ingresses without a class ignored.
    fn default() -> Self {
        ControllerIdentity {
            class_names: vec!["nginx".to_owned()],
            controller: "k8s.io/ingress-nginx".to_owned(),
            watch_without_class: false,
        }
    }
}

/// Where an Ingress's class came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassSource {
    /// `spec.ingressClassName`.
    Field,
    /// The deprecated `kubernetes.io/ingress.class` annotation.
    Annotation,
    /// Neither was set; the default IngressClass would be assigned on creation.
    DefaultClass,
    /// Neither was set and no IngressClass is marked default.
    None,
}

/// The class of one Ingress and how it was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassChoice {
    /// The class name, if any source gave one.
    pub class: Option<String>,
    pub source: ClassSource,
    /// `spec.ingressClassName` as written.
    pub field: Option<String>,
    /// The `kubernetes.io/ingress.class` annotation as written.
    pub annotation: Option<String>,
    /// Every IngressClass marked default, the chosen one first (newest, then by name). More than one is ambiguous:
    /// the admission plugin picks the newest, which offline manifests cannot tell apart, so the name decides.
    pub defaults: Vec<String>,
}

impl ClassChoice {
    /// Whether the deprecated annotation is present (whether or not it decided).
    pub fn uses_deprecated_annotation(&self) -> bool {
        self.annotation.is_some()
    }

    /// The annotation and field name different classes: the API server rejects such an Ingress on create.
    pub fn annotation_conflicts(&self) -> bool {
        matches!((&self.field, &self.annotation), (Some(f), Some(a)) if f != a)
    }

    /// More than one IngressClass is marked default and the choice among them was made by age or name.
    pub fn ambiguous_default(&self) -> bool {
        self.source == ClassSource::DefaultClass && self.defaults.len() > 1
    }
}

impl fmt::Display for ClassChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.source, &self.class) {
            (ClassSource::Field, Some(class)) => write!(f, "ingressClassName {class:?}"),
            (ClassSource::Annotation, Some(class)) => {
                write!(f, "{CLASS_ANNOTATION}: {class:?} (deprecated annotation)")
            }
            (ClassSource::DefaultClass, Some(class)) => {
                write!(f, "default IngressClass {class:?}")
            }
            _ => f.write_str("no class"),
        }
    }
}

/// Whether a controller serves an Ingress, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Served { reason: String },
    Ignored { reason: String },
}

impl Decision {
    pub fn is_served(&self) -> bool {
        matches!(self, Decision::Served { .. })
    }

    pub fn reason(&self) -> &str {
        match self {
            Decision::Served { reason } | Decision::Ignored { reason } => reason,
        }
    }
}

/// The IngressClasses marked default, the one the admission plugin would pick first: newest `creationTimestamp`, then
/// name ascending (so offline, without timestamps, the alphabetically first).
pub fn default_ingress_classes(cluster: &Cluster) -> Vec<&Located<IngressClass>> {
    let mut defaults: Vec<&Located<IngressClass>> = cluster
        .ingress_classes
        .iter()
        .filter(|class| {
            class
                .value
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
                .is_some_and(|v| v == "true")
        })
        .collect();
    defaults.sort_by(|a, b| {
        let created = |c: &Located<IngressClass>| c.value.metadata.creation_timestamp.clone();
        created(b).cmp(&created(a)).then_with(|| a.name().cmp(b.name()))
    });
    defaults
}

/// The class of an Ingress: the field, else the deprecated annotation, else the default IngressClass.
pub fn ingress_class(cluster: &Cluster, ingress: &Located<Ingress>) -> ClassChoice {
    let field = ingress.value.spec.as_ref().and_then(|s| s.ingress_class_name.clone()).filter(|name| !name.is_empty());
    let annotation = ingress.value.metadata.annotations.as_ref().and_then(|a| a.get(CLASS_ANNOTATION)).cloned();
    let defaults: Vec<String> = default_ingress_classes(cluster).into_iter().map(|c| c.name().to_owned()).collect();
    let (class, source) = if let Some(field) = &field {
        (Some(field.clone()), ClassSource::Field)
    } else if let Some(annotation) = &annotation {
        (Some(annotation.clone()), ClassSource::Annotation)
    } else if let Some(first) = defaults.first() {
        (Some(first.clone()), ClassSource::DefaultClass)
    } else {
        (None, ClassSource::None)
    };
    ClassChoice { class, source, field, annotation, defaults }
}

impl ControllerIdentity {
    /// Whether this controller serves an Ingress of the given class, and why.
    ///
    /// An IngressClass object in the input decides by its `spec.controller`; a class name with no object decides by
    /// [`ControllerIdentity::class_names`], because `Cluster::from_manifests` holds only what the manifests define and
    /// the IngressClass `nginx` comes with the controller's install, not with the user's manifests.
    pub fn decide(&self, cluster: &Cluster, choice: &ClassChoice) -> Decision {
        let names = self.class_names.join(", ");
        match (choice.source, choice.class.as_deref()) {
            (ClassSource::Annotation, Some(class)) => {
                if self.class_names.iter().any(|n| n == class) {
                    Decision::Served {
                        reason: format!(
                            "{CLASS_ANNOTATION}: {class:?} names this controller's class (the annotation is \
                             deprecated: use spec.ingressClassName)"
                        ),
                    }
                } else {
                    Decision::Ignored {
                        reason: format!(
                            "{CLASS_ANNOTATION}: {class:?} is not this controller's class ({names}): left to \
                             another ingress controller"
                        ),
                    }
                }
            }
            (ClassSource::Field | ClassSource::DefaultClass, Some(class)) => {
                let how = if choice.source == ClassSource::Field {
                    format!("ingressClassName {class:?}:")
                } else {
                    format!("no class set, so the default IngressClass {class:?} is assigned on creation;")
                };
                self.decide_class_name(cluster, class, &how, &names)
            }
            _ if self.watch_without_class => Decision::Served {
                reason: "no class set; served because --watch-ingress-without-class is on".to_owned(),
            },
            _ => Decision::Ignored {
                reason: "no ingressClassName, no kubernetes.io/ingress.class annotation and no default \
                         IngressClass: ingress-nginx ignores it"
                    .to_owned(),
            },
        }
    }

    fn decide_class_name(&self, cluster: &Cluster, class: &str, how: &str, names: &str) -> Decision {
        let object = cluster.ingress_classes.iter().find(|c| c.name() == class);
        match object {
            Some(object) => {
                let controller = object.value.spec.as_ref().and_then(|s| s.controller.as_deref()).unwrap_or_default();
                if controller == self.controller {
                    Decision::Served { reason: format!("{how} IngressClass {class:?} has controller {controller}") }
                } else {
                    Decision::Ignored {
                        reason: format!(
                            "{how} IngressClass {class:?} has controller {controller:?}, not {}: left to that \
                             controller",
                            self.controller
                        ),
                    }
                }
            }
            None if self.class_names.iter().any(|n| n == class) => Decision::Served {
                reason: format!(
                    "{how} this controller's class (no IngressClass {class:?} in the input; assuming the \
                     one ingress-nginx installs, controller {})",
                    self.controller
                ),
            },
            None => Decision::Ignored {
                reason: format!(
                    "{how} no IngressClass {class:?} in the input and it is not this controller's class \
                     ({names}): left to another ingress controller"
                ),
            },
        }
    }
}
