//! knet's embedded Kubernetes API server: the one crate that speaks HTTP for the Kubernetes API.
//!
//! kubectl and kube-rs clients talk to it over HTTPS with the bearer token of the kubeconfig it writes into the state
//! dir. Everything kube-apiserver decides without I/O (the resource registry, Status wording, selectors, patches,
//! discovery and OpenAPI documents) comes from `knet-apimachinery`; objects are decoded, defaulted and validated by
//! `knet-object` and kept in `knet-store`. This crate adds what needs a socket, a disk or a clock.

/// How `knet up` runs the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The directory holding the store, the TLS material, the token and the kubeconfig.
    pub state_dir: std::path::PathBuf,
    /// The port to listen on at 127.0.0.1.
    pub port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config { state_dir: "/var/lib/knet".into(), port: 6443 }
    }
}
