//! The pure network model of knet: given a snapshot of Kubernetes objects, who can reach whom, on which port, through
//! which name, and why.
//!
//! ```text
//! [Namespace] <-namespaceSelector- [NetworkPolicy] -podSelector-> [Pod] <-selector- [Service] <-backend- [Ingress]
//!                                        │ rules: peers × ports                 │ DNS: <svc>.<ns>.svc.<zone>
//!                                        ▼                                      ▼
//!                               verdicts + explanations                 records, resolv.conf search walk
//! ```
//!
//! Everything here is a plain function over plain data: no sockets, no files, no clock, no async. The API server,
//! the node data plane, the DNS server and the ingress gateway all consult this crate, so the analyzer's answers and
//! the kernel's behaviour come from the same code.

pub mod cluster;
pub mod connectivity;
pub mod dns;
pub mod ingress;
pub mod ip;
pub mod policy;
pub mod ports;
pub mod resolv;
pub mod selector;
pub mod service;

pub use cluster::{Cluster, ClusterConfig, Pod, PodId};
pub use ports::{Connections, Protocol};
pub use selector::{Labels, Selector};
