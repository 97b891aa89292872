//! Kubernetes objects as knet reads them: manifests decoded with their origins, then defaulted and validated exactly as
//! kube-apiserver would, so that the offline analyzer and the API server refuse the same objects with the same words.
//!
//! This crate is pure: it takes text and returns values. It never opens files, reads the clock or touches the network.

pub mod defaults;
pub mod go_errors;
pub mod load;
pub mod object;
pub mod strict;
pub mod validate;

pub use load::{LoadError, Loaded, Manifest, Origin, assign_namespace, load_str};
pub use object::{Kind, Object, OtherObject};
pub use validate::{FieldError, FieldErrorKind, ValidationConfig, validate, validate_with};
