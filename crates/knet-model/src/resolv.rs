//! A pod's `/etc/resolv.conf` as the kubelet writes it, and the walk the pod's stub resolver makes through it.
//!
//! ```text
//! [Pod] dnsPolicy, dnsConfig, hostNetwork --kubelet--> resolv.conf --stub resolver (search, ndots)--> queries
//!                                                                   queries --> cluster DNS (dns::lookup) | upstream
//! ```
//!
//! [`resolv_conf`] follows kubelet's `pkg/kubelet/network/dns`; [`resolve`] follows glibc's `res_nsearch`, which is
//! what `getaddrinfo`, `nslookup` and `curl` in most images use. The walk is where `ndots:5` shows its cost: a name
//! with fewer than five dots tries every search domain before itself, so `kubernetes.default.svc.cluster.local` costs
//! three failed queries and an external name pays one per search domain. Real resolvers double that again:
//! `getaddrinfo` asks A and AAAA for every name it tries. A [`Resolution`] asks one type.
//!
//! musl (Alpine images) differs in two ways knet does not model: it never searches a name with `ndots` or more dots,
//! and it stops at the first NOERROR answer even when that answer is empty (NODATA).

use std::fmt;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::PodDNSConfig;

use crate::cluster::{Cluster, ClusterConfig, Pod};

#[cfg(test)]
mod tests;
mod walk;

pub use walk::{Query, QueryOutcome, Resolution, SearchOrder, resolve, walk};

/// At most this many nameservers reach resolv.conf: resolvers ignore the rest (glibc `MAXNS`).
pub const MAX_NAMESERVERS: usize = 3;
/// At most this many search domains reach resolv.conf (kubelet and API validation).
pub const MAX_SEARCH_PATHS: usize = 32;
/// The longest search line, spaces included (kubelet and API validation).
pub const MAX_SEARCH_LIST_CHARS: usize = 2048;
/// The `ndots` kubelet writes for cluster DNS: enough dots that `<svc>.<ns>.svc` is still searched.
pub const CLUSTER_FIRST_NDOTS: u8 = 5;
/// The `ndots` of a resolv.conf that sets none (glibc and musl).
pub const DEFAULT_NDOTS: u8 = 1;
/// glibc caps `ndots` here (`RES_MAXNDOTS`).
const MAX_NDOTS: u8 = 15;
/// The longest search domain kubelet keeps: longer ones abort some glibc versions.
const MAX_SEARCH_DOMAIN_LEN: usize = 253;

/// `spec.dnsPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnsPolicy {
    /// Cluster DNS, unless the pod uses the host network (then `Default`).
    ClusterFirst,
    /// Cluster DNS, also for host-network pods.
    ClusterFirstWithHostNet,
    /// The node's resolv.conf.
    Default,
    /// Nothing but `dnsConfig`.
    None,
}

impl DnsPolicy {
    pub const ALL: [DnsPolicy; 4] =
        [DnsPolicy::ClusterFirst, DnsPolicy::ClusterFirstWithHostNet, DnsPolicy::Default, DnsPolicy::None];

    pub fn as_str(self) -> &'static str {
        match self {
            DnsPolicy::ClusterFirst => "ClusterFirst",
            DnsPolicy::ClusterFirstWithHostNet => "ClusterFirstWithHostNet",
            DnsPolicy::Default => "Default",
            DnsPolicy::None => "None",
        }
    }

    /// The API spelling only: the API server rejects `clusterfirst`.
    pub fn parse(value: &str) -> Option<DnsPolicy> {
        DnsPolicy::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// The contents of a pod's `/etc/resolv.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<IpAddr>,
    /// Search domains, in order, as written (a `dnsConfig` entry may keep its trailing dot).
    pub searches: Vec<String>,
    /// `options`: each name with its value (`ndots:5` is `("ndots", Some("5"))`, `edns0` is `("edns0", None)`).
    pub options: Vec<(String, Option<String>)>,
    /// What kubelet dropped to fit the limits, worded as the `DNSConfigForming` events it records. Not in the file.
    pub warnings: Vec<String>,
}

impl ResolvConf {
    /// The `ndots` the resolver uses: the last `ndots:n` option (glibc reads `n` like `atoi` and caps it at 15), or 1.
    pub fn ndots(&self) -> u8 {
        let last =
            self.options.iter().rev().find_map(|(name, value)| (name == "ndots").then_some(value.as_deref()).flatten());
        last.map_or(DEFAULT_NDOTS, parse_ndots)
    }

    /// The value of an option: `None` when absent, `Some(None)` for a flag such as `edns0`.
    pub fn option(&self, name: &str) -> Option<Option<&str>> {
        self.options.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_deref())
    }

    /// The file on one line: `search a b; ndots:5; nameserver 10.96.0.10`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.searches.is_empty() {
            parts.push(format!("search {}", self.searches.join(" ")));
        }
        if !self.options.is_empty() {
            parts.push(self.options_line());
        }
        let nameservers: Vec<String> = self.nameservers.iter().map(IpAddr::to_string).collect();
        if !nameservers.is_empty() {
            parts.push(format!("nameserver {}", nameservers.join(" ")));
        }
        if parts.is_empty() {
            return "(empty)".to_owned();
        }
        parts.join("; ")
    }

    fn options_line(&self) -> String {
        let options: Vec<String> = self
            .options
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name}:{value}"),
                None => name.clone(),
            })
            .collect();
        options.join(" ")
    }
}

/// `atoi`, as glibc reads `ndots:n`: leading digits, anything else 0, capped at 15.
fn parse_ndots(value: &str) -> u8 {
    let digits: String = value.trim_start().chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return 0;
    }
    digits.parse::<u64>().map_or(MAX_NDOTS, |n| u8::try_from(n.min(MAX_NDOTS.into())).unwrap_or(MAX_NDOTS))
}

/// The file as `cat /etc/resolv.conf` shows it in the pod (the container runtime writes it in this order).
impl fmt::Display for ResolvConf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.searches.is_empty() {
            writeln!(f, "search {}", self.searches.join(" "))?;
        }
        for nameserver in &self.nameservers {
            writeln!(f, "nameserver {nameserver}")?;
        }
        if !self.options.is_empty() {
            writeln!(f, "options {}", self.options_line())?;
        }
        Ok(())
    }
}

/// Why a pod has no resolv.conf: the API server would reject its DNS settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolvError {
    /// `spec.dnsPolicy` names no policy.
    #[error(
        "pod \"{pod}\": spec.dnsPolicy: Unsupported value: {policy:?}: supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\""
    )]
    UnsupportedPolicy { pod: String, policy: String },
    /// A field the policy needs is missing (`dnsPolicy: None` needs `dnsConfig.nameservers`), or an option has no name.
    #[error("pod \"{pod}\": {field}: Required value: {message}")]
    Required { pod: String, field: String, message: String },
    /// A `dnsConfig` value the API server's validation rejects.
    #[error("pod \"{pod}\": {field}: Invalid value: {value}: {message}")]
    Invalid { pod: String, field: String, value: String, message: String },
}

/// The resolv.conf kubelet writes for `pod`.
///
/// `ClusterFirst` gives the cluster DNS as the only nameserver, the search list `<ns>.svc.<zone> svc.<zone> <zone>`
/// followed by the host's search domains, and `options ndots:5` (the host's options are dropped). A host-network pod
/// with `ClusterFirst` falls back to `Default`, the host's resolv.conf; `ClusterFirstWithHostNet` keeps cluster DNS.
/// `None` starts empty. `dnsConfig` is merged last: nameservers and search domains appended without duplicates,
/// options merged by name with `dnsConfig` winning. Kubelet then keeps 3 nameservers and 32 search domains (2048
/// characters), recording what it dropped in [`ResolvConf::warnings`].
pub fn resolv_conf(cluster: &Cluster, pod: &Pod) -> Result<ResolvConf, ResolvError> {
    let policy = DnsPolicy::parse(&pod.dns_policy)
        .ok_or_else(|| ResolvError::UnsupportedPolicy { pod: pod.qualified_name(), policy: pod.dns_policy.clone() })?;
    validate_dns_config(pod, policy)?;
    let config = &cluster.config;
    let mut conf = match policy {
        DnsPolicy::ClusterFirst if pod.host_network => host_resolv_conf(config),
        DnsPolicy::ClusterFirst | DnsPolicy::ClusterFirstWithHostNet => cluster_first(config, &pod.namespace),
        DnsPolicy::Default => host_resolv_conf(config),
        DnsPolicy::None => ResolvConf::default(),
    };
    if let Some(dns_config) = &pod.dns_config {
        append_dns_config(&mut conf, dns_config);
    }
    fit_limits(&mut conf);
    Ok(conf)
}

/// The node's resolv.conf, as kubelet reads it: search domains without their trailing dot, `.` dropped, no options.
fn host_resolv_conf(config: &ClusterConfig) -> ResolvConf {
    ResolvConf {
        nameservers: config.host_nameservers.clone(),
        searches: host_searches(config),
        ..ResolvConf::default()
    }
}

fn host_searches(config: &ClusterConfig) -> Vec<String> {
    let searches =
        config.host_search.iter().map(|s| s.trim().trim_end_matches('.').to_owned()).filter(|s| !s.is_empty());
    without_duplicates(searches)
}

fn cluster_first(config: &ClusterConfig, namespace: &str) -> ResolvConf {
    let domain = config.domain.trim_end_matches('.');
    let mut searches = Vec::new();
    if !domain.is_empty() {
        searches.extend([format!("{namespace}.svc.{domain}"), format!("svc.{domain}"), domain.to_owned()]);
    }
    searches.extend(host_searches(config));
    ResolvConf {
        nameservers: vec![config.dns_service_ip],
        searches: without_duplicates(searches),
        options: vec![("ndots".into(), Some(CLUSTER_FIRST_NDOTS.to_string()))],
        warnings: Vec::new(),
    }
}

/// Kubelet's `appendDNSConfig`. Kubelet merges options through a Go map, so their order in the file varies from
/// pod to pod; knet keeps existing options in place and appends new ones in `dnsConfig` order.
fn append_dns_config(conf: &mut ResolvConf, dns_config: &PodDNSConfig) {
    let nameservers = dns_config.nameservers.iter().flatten();
    let parsed = nameservers.filter_map(|ns| ns.trim().parse::<IpAddr>().ok());
    conf.nameservers = without_duplicates(conf.nameservers.iter().copied().chain(parsed));
    let searches = dns_config.searches.iter().flatten().cloned();
    conf.searches = without_duplicates(conf.searches.iter().cloned().chain(searches));
    for option in dns_config.options.iter().flatten() {
        let Some(name) = option.name.clone().filter(|n| !n.is_empty()) else {
            continue;
        };
        // Kubelet writes an empty value as a bare flag.
        let value = option.value.clone().filter(|v| !v.is_empty());
        match conf.options.iter_mut().find(|(n, _)| *n == name) {
            Some(existing) => existing.1 = value,
            None => conf.options.push((name, value)),
        }
    }
}

/// Kubelet's `formDNSConfigFitsLimits`: extra nameservers and search domains are dropped, with a warning event.
fn fit_limits(conf: &mut ResolvConf) {
    if conf.nameservers.len() > MAX_NAMESERVERS {
        conf.nameservers.truncate(MAX_NAMESERVERS);
        let line: Vec<String> = conf.nameservers.iter().map(IpAddr::to_string).collect();
        conf.warnings.push(format!(
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: {}",
            line.join(" ")
        ));
    }
    let before = conf.searches.len();
    conf.searches.truncate(MAX_SEARCH_PATHS);
    conf.searches.retain(|s| s.len() <= MAX_SEARCH_DOMAIN_LEN);
    while conf.searches.join(" ").len() > MAX_SEARCH_LIST_CHARS {
        conf.searches.pop();
    }
    if conf.searches.len() < before {
        conf.warnings.push(format!(
            "Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {}",
            conf.searches.join(" ")
        ));
    }
}

fn without_duplicates<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The API server's `validatePodDNSConfig`: a pod failing it is never created, so it has no resolv.conf. The first
/// problem is reported.
fn validate_dns_config(pod: &Pod, policy: DnsPolicy) -> Result<(), ResolvError> {
    let errors = FieldErrors { pod: pod.qualified_name() };
    let Some(config) = &pod.dns_config else {
        if policy == DnsPolicy::None {
            let message = "must provide `dnsConfig` when `dnsPolicy` is None";
            return Err(errors.required("spec.dnsConfig", message));
        }
        return Ok(());
    };
    let nameservers = config.nameservers.as_deref().unwrap_or_default();
    if policy == DnsPolicy::None && nameservers.is_empty() {
        let message = "must provide at least one DNS nameserver when `dnsPolicy` is None";
        return Err(errors.required("spec.dnsConfig.nameservers", message));
    }
    validate_nameservers(&errors, nameservers)?;
    validate_searches(&errors, config.searches.as_deref().unwrap_or_default())?;
    let options = config.options.iter().flatten();
    let unnamed = options.enumerate().find(|(_, o)| o.name.as_deref().unwrap_or_default().is_empty());
    match unnamed {
        Some((i, _)) => Err(errors.required(format!("spec.dnsConfig.options[{i}]"), "must not be empty")),
        None => Ok(()),
    }
}

fn validate_nameservers(errors: &FieldErrors, nameservers: &[String]) -> Result<(), ResolvError> {
    if nameservers.len() > MAX_NAMESERVERS {
        let message = format!("must not have more than {MAX_NAMESERVERS} nameservers");
        return Err(errors.invalid("spec.dnsConfig.nameservers", nameservers, message));
    }
    let not_ip = nameservers.iter().enumerate().find(|(_, ns)| ns.parse::<IpAddr>().is_err());
    match not_ip {
        Some((i, ns)) => {
            let message = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
            Err(errors.invalid(format!("spec.dnsConfig.nameservers[{i}]"), ns, message))
        }
        None => Ok(()),
    }
}

fn validate_searches(errors: &FieldErrors, searches: &[String]) -> Result<(), ResolvError> {
    if searches.len() > MAX_SEARCH_PATHS {
        let message = format!("must not have more than {MAX_SEARCH_PATHS} search paths");
        return Err(errors.invalid("spec.dnsConfig.searches", searches, message));
    }
    if searches.join(" ").len() > MAX_SEARCH_LIST_CHARS {
        let message =
            format!("must not have more than {MAX_SEARCH_LIST_CHARS} characters (including spaces) in the search list");
        return Err(errors.invalid("spec.dnsConfig.searches", searches, message));
    }
    // A trailing dot is allowed: the domain is then absolute.
    let invalid = searches.iter().enumerate().find(|(_, s)| !is_dns1123_subdomain(s.strip_suffix('.').unwrap_or(s)));
    match invalid {
        Some((i, search)) => {
            let message = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' \
                or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
            Err(errors.invalid(format!("spec.dnsConfig.searches[{i}]"), search, message))
        }
        None => Ok(()),
    }
}

/// Builds the API server's field errors for one pod.
struct FieldErrors {
    pod: String,
}

impl FieldErrors {
    fn required(&self, field: impl Into<String>, message: &str) -> ResolvError {
        ResolvError::Required { pod: self.pod.clone(), field: field.into(), message: message.to_owned() }
    }

    /// The value is printed quoted, as the API server prints it (`"dns.google"`, `["a", "b"]`).
    fn invalid(&self, field: impl Into<String>, value: impl fmt::Debug, message: impl Into<String>) -> ResolvError {
        ResolvError::Invalid {
            pod: self.pod.clone(),
            field: field.into(),
            value: format!("{value:?}"),
            message: message.into(),
        }
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`, at most 253 characters.
fn is_dns1123_subdomain(value: &str) -> bool {
    let label_ok = |label: &str| {
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let bytes = label.as_bytes();
        match (bytes.first(), bytes.last()) {
            (Some(&first), Some(&last)) => alnum(first) && alnum(last) && bytes.iter().all(|&b| alnum(b) || b == b'-'),
            _ => false,
        }
    };
    !value.is_empty() && value.len() <= MAX_SEARCH_DOMAIN_LEN && value.split('.').all(label_ok)
}
