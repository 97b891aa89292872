//! knet's controllers: clients of the Kubernetes API written with kube-rs, so they run unchanged against any API
//! server. Today: the pure part of the endpoints controller (`endpoints::desired`), which computes the Endpoints and
//! EndpointSlice of a Service from its pods; the watch loop that applies them is the next step.

pub mod endpoints;

pub use kube;
