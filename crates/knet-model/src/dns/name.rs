//! Domain names as the cluster DNS compares them: parsed into labels once, matched case-insensitively against the
//! cluster zone and the reverse zones it owns, and ordered canonically for zone listings.

use std::net::{IpAddr, Ipv4Addr};

use crate::cluster::ClusterConfig;

/// The longest name, in text form without the final dot, that fits the 255 octets of a DNS message's name.
pub(crate) const MAX_NAME_LEN: usize = 253;
/// The longest label a DNS name may have.
pub(crate) const MAX_LABEL_LEN: usize = 63;

/// Why a string is not a name a resolver could put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameError {
    Empty,
    EmptyLabel,
    LabelTooLong,
    TooLong,
}

impl NameError {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            NameError::Empty => "the name is empty",
            NameError::EmptyLabel => "the name has an empty label (two dots in a row, or a leading dot)",
            NameError::LabelTooLong => "a label is longer than 63 characters",
            NameError::TooLong => "the name is longer than 253 characters",
        }
    }
}

/// A syntactically valid domain name split into labels, in the letter case it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DomainName<'a> {
    labels: Vec<&'a str>,
}

impl<'a> DomainName<'a> {
    /// Parses `name`, with or without its trailing dot. The root name (`.`) is not accepted: nothing in the cluster
    /// lives there.
    pub(crate) fn parse(name: &'a str) -> Result<DomainName<'a>, NameError> {
        let text = name.strip_suffix('.').unwrap_or(name);
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong);
        }
        let labels: Vec<&str> = text.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return Err(NameError::EmptyLabel);
        }
        if labels.iter().any(|l| l.len() > MAX_LABEL_LEN) {
            return Err(NameError::LabelTooLong);
        }
        Ok(DomainName { labels })
    }

    pub(crate) fn labels(&self) -> &[&'a str] {
        &self.labels
    }

    /// The name as written, with the trailing dot: what owner names of answers carry.
    pub(crate) fn fqdn(&self) -> String {
        format!("{}.", self.labels.join("."))
    }
}

/// A zone the cluster DNS is authoritative for, as lowercase labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    labels: Vec<String>,
}

impl Zone {
    /// The zone named `origin` (`cluster.local` or `cluster.local.`); `None` when that is not a valid name.
    pub(crate) fn new(origin: &str) -> Option<Zone> {
        let name = DomainName::parse(origin).ok()?;
        Some(Zone { labels: name.labels().iter().map(|l| l.to_ascii_lowercase()).collect() })
    }

    /// `cluster.local.`
    pub(crate) fn fqdn(&self) -> String {
        format!("{}.", self.labels.join("."))
    }

    /// `<labels>.<zone>.`, for names the zone itself makes up (SRV targets, PTR targets, the name server).
    pub(crate) fn child(&self, labels: &[&str]) -> String {
        if labels.is_empty() {
            return self.fqdn();
        }
        format!("{}.{}", labels.join("."), self.fqdn())
    }

    /// The labels of `name` in front of this zone (empty at the apex), or `None` when the name is not inside it.
    pub(crate) fn relative<'n, 'a>(&self, name: &'n DomainName<'a>) -> Option<&'n [&'a str]> {
        let labels = name.labels();
        let split = labels.len().checked_sub(self.labels.len())?;
        let (front, suffix) = labels.split_at(split);
        suffix.iter().zip(&self.labels).all(|(a, b)| a.eq_ignore_ascii_case(b)).then_some(front)
    }

    /// Whether `other` lies inside this zone (or is it).
    fn contains(&self, other: &Zone) -> bool {
        other.labels.ends_with(&self.labels)
    }
}

/// Whether the cluster DNS, not an upstream server, is authoritative for `name`: it lies inside the cluster zone or a
/// reverse zone the cluster owns. Invalid names are not cluster names.
pub fn is_cluster_name(config: &ClusterConfig, name: &str) -> bool {
    let Ok(name) = DomainName::parse(name) else {
        return false;
    };
    Zone::new(&config.domain).into_iter().chain(reverse_zones(config)).any(|zone| zone.relative(&name).is_some())
}

/// The reverse zones of the service and pod address ranges; see [`super::reverse_zones`].
pub(crate) fn reverse_zones(config: &ClusterConfig) -> Vec<Zone> {
    let mut zones: Vec<Zone> = [config.service_ip_range, config.pod_ip_range]
        .into_iter()
        .map(|(first, last)| reverse_zone_of(first, last))
        .collect();
    // Outer zones first, so that a nested zone finds the zone that holds it already kept.
    zones.sort_by_key(|z| z.labels.len());
    let mut kept: Vec<Zone> = Vec::new();
    for zone in zones {
        if !kept.iter().any(|k| k.contains(&zone)) {
            kept.push(zone);
        }
    }
    kept
}

/// The smallest `in-addr.arpa` zone on an octet boundary that holds every address from `first` to `last`.
fn reverse_zone_of(first: Ipv4Addr, last: Ipv4Addr) -> Zone {
    let (a, b) = (first.octets(), last.octets());
    let shared = a.iter().zip(&b).take(3).take_while(|(x, y)| x == y).count();
    let mut labels: Vec<String> = a[..shared].iter().rev().map(u8::to_string).collect();
    labels.extend(["in-addr".to_owned(), "arpa".to_owned()]);
    Zone { labels }
}

/// `d.c.b.a.in-addr.arpa.` for `a.b.c.d`.
pub(crate) fn reverse_name(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
}

/// The address octets a name under `in-addr.arpa` spells, most significant first: `[10, 96]` for
/// `96.10.in-addr.arpa`. `None` when the name is not under `in-addr.arpa`, has more than four octet labels, or a label
/// is not a decimal octet without leading zeros.
pub(crate) fn reverse_octets(labels: &[&str]) -> Option<Vec<u8>> {
    let [octets @ .., in_addr, arpa] = labels else {
        return None;
    };
    let is_arpa = in_addr.eq_ignore_ascii_case("in-addr") && arpa.eq_ignore_ascii_case("arpa");
    if !is_arpa || octets.len() > 4 {
        return None;
    }
    octets.iter().rev().map(|l| parse_octet(l)).collect()
}

fn parse_octet(label: &str) -> Option<u8> {
    let canonical = label.len() == 1 || !label.starts_with('0');
    if !canonical || !label.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    label.parse().ok()
}

/// The label CoreDNS names an address by when it has no hostname: `10-244-0-5`, `fd00--5`.
pub(crate) fn dashed(ip: IpAddr) -> String {
    ip.to_string().replace(['.', ':'], "-")
}

/// The address a pod name label spells, as CoreDNS reads it: three dashes and no `--` make an IPv4 address
/// (`10-244-0-5`), anything else is tried as IPv6 with dashes for colons (`fd00--5`).
pub(crate) fn parse_dashed(label: &str) -> Option<IpAddr> {
    let ipv4_shape = label.matches('-').count() == 3 && !label.contains("--");
    let text = if ipv4_shape { label.replace('-', ".") } else { label.replace('-', ":") };
    text.parse().ok()
}

/// One label of a canonical sort key: numbers by value (so `9` sorts before `10` in reverse names), then text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LabelKey {
    Number(u64),
    Text(String),
}

/// A sort key that orders names as DNS canonical order does (RFC 4034 §6.1: label by label from the right,
/// case-insensitively), so that a zone listing keeps each Service next to its SRV and endpoint names.
pub(crate) fn canonical_key(name: &str) -> Vec<LabelKey> {
    name.trim_end_matches('.')
        .rsplit('.')
        .map(|label| match label.parse::<u64>() {
            Ok(n) => LabelKey::Number(n),
            Err(_) => LabelKey::Text(label.to_ascii_lowercase()),
        })
        .collect()
}
