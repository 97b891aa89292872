//! The cluster DNS zone as CoreDNS's `kubernetes` plugin answers it (Kubernetes DNS specification 1.1.0).
//!
//! [`lookup`] answers one question the way the cluster DNS server would, and [`zone_records`] lists the zone for
//! `knet analyze` and snapshot tests. Both read a [`Cluster`] snapshot and nothing else, so knet's DNS server and the
//! analyzer cannot disagree.
//!
//! ```text
//! <zone>                                       SOA, NS ns.dns.<zone>
//! ├─ dns-version.<zone>                        TXT "1.1.0"
//! ├─ ns.dns.<zone>                             A <cluster DNS Service IP>
//! ├─ svc.<zone>
//! │  └─ <ns>.svc.<zone>
//! │     └─ <svc>.<ns>.svc.<zone>               A ClusterIP | A per ready endpoint (headless) | CNAME (ExternalName)
//! │        ├─ _<port>._<proto>.<svc>.<ns>...   SRV 0 <100/N> <port> <svc or endpoint name>  (named ports)
//! │        └─ <hostname|a-b-c-d>.<svc>.<ns>... A endpoint IP
//! └─ pod.<zone>
//!    └─ <ns>.pod.<zone>
//!       └─ a-b-c-d.<ns>.pod.<zone>             A a.b.c.d (CoreDNS `pods insecure`: any well-formed address)
//! d.c.b.a.in-addr.arpa (reverse zones of the service and pod ranges)   PTR → Service, or endpoint name
//! ```
//!
//! Negative answers follow CoreDNS: a name that does not exist (unknown namespace, Service, endpoint or port) is
//! NXDOMAIN; a name that exists but has no record of the asked type is NODATA (NOERROR with an empty answer). Both
//! carry the zone's SOA in the authority section, so resolvers cache them for the SOA's minimum TTL. `svc.<zone>`,
//! `pod.<zone>` and `<ns>.svc.<zone>` of an existing namespace exist (NODATA); they have no records of their own.
//!
//! Where knet departs from CoreDNS, on purpose:
//! - CoreDNS answers NXDOMAIN for some names that exist when asked a type it does not expect (A for `dns-version`,
//!   TXT for `svc.<zone>`, anything but PTR for a reverse name); knet answers NODATA, as RFC 8020 requires.
//! - A ClusterIP Service without ports (which the API server rejects) still answers its A record.
//! - An ExternalName's target outside the zone is answered with the CNAME alone: CoreDNS would also resolve the target
//!   upstream and append its addresses, which knet cannot know offline.
//! - Wildcard labels (`*`, `any`) are deprecated and removed from current CoreDNS: they match nothing (NXDOMAIN).
//! - The SOA serial is the constant [`SOA_SERIAL`] (CoreDNS uses the time of the last change), so answers are
//!   deterministic.

mod answer;
mod endpoints;
pub(crate) mod name;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::cluster::{Cluster, ClusterConfig};

pub use name::is_cluster_name;

/// The TTL of every record the zone serves (CoreDNS's default), and the minimum TTL of its SOA.
pub const TTL: u32 = 5;
/// The TTL CoreDNS gives `dns-version.<zone>`: the schema version changes with the software, not with the cluster.
pub const DNS_VERSION_TTL: u32 = 28800;
/// The version of the Kubernetes DNS specification the zone implements, served at `dns-version.<zone>`.
pub const DNS_SCHEMA_VERSION: &str = "1.1.0";
/// The SOA serial. CoreDNS uses the time of the last change; a constant keeps every answer reproducible.
pub const SOA_SERIAL: u32 = 1;

/// A query type, as `dig` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    A,
    Aaaa,
    Srv,
    Ptr,
    Txt,
    Cname,
    Soa,
    Ns,
    /// `ANY`: CoreDNS answers it like a type the name has no record of (RFC 8482 allows a minimal answer).
    Any,
    /// Zone transfer: refused, as CoreDNS does without a `transfer` block.
    Axfr,
}

impl RecordType {
    pub const ALL: [RecordType; 10] = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Srv,
        RecordType::Ptr,
        RecordType::Txt,
        RecordType::Cname,
        RecordType::Soa,
        RecordType::Ns,
        RecordType::Any,
        RecordType::Axfr,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Srv => "SRV",
            RecordType::Ptr => "PTR",
            RecordType::Txt => "TXT",
            RecordType::Cname => "CNAME",
            RecordType::Soa => "SOA",
            RecordType::Ns => "NS",
            RecordType::Any => "ANY",
            RecordType::Axfr => "AXFR",
        }
    }
}

/// A query type knet does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown DNS record type {0:?}: expected one of A, AAAA, SRV, PTR, TXT, CNAME, SOA, NS, ANY, AXFR")]
pub struct UnknownRecordType(pub String);

impl FromStr for RecordType {
    type Err = UnknownRecordType;

    /// Accepts any letter case, as `dig` does (`aaaa`, `Srv`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownRecordType(s.to_owned()))
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The response code of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rcode {
    /// The name exists; the answer may still be empty (NODATA).
    NoError,
    /// The name does not exist, with any type.
    NxDomain,
    /// The server could not answer (CoreDNS before its first sync with the API server).
    ServFail,
    /// The server will not answer (zone transfers).
    Refused,
}

impl Rcode {
    pub fn as_str(self) -> &'static str {
        match self {
            Rcode::NoError => "NOERROR",
            Rcode::NxDomain => "NXDOMAIN",
            Rcode::ServFail => "SERVFAIL",
            Rcode::Refused => "REFUSED",
        }
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The data of a zone's SOA record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Soa {
    /// The primary name server, `ns.dns.<zone>.`.
    pub mname: String,
    /// The mailbox of the zone's administrator, `hostmaster.<zone>.`.
    pub rname: String,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    /// How long resolvers cache negative answers (RFC 2308): the zone's TTL.
    pub minimum: u32,
}

/// The data of one record. Names inside it are fully qualified, with the trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Srv { priority: u16, weight: u16, port: u16, target: String },
    Ptr(String),
    Txt(String),
    Cname(String),
    Ns(String),
    Soa(Soa),
}

impl RecordData {
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordData::A(_) => RecordType::A,
            RecordData::Aaaa(_) => RecordType::Aaaa,
            RecordData::Srv { .. } => RecordType::Srv,
            RecordData::Ptr(_) => RecordType::Ptr,
            RecordData::Txt(_) => RecordType::Txt,
            RecordData::Cname(_) => RecordType::Cname,
            RecordData::Ns(_) => RecordType::Ns,
            RecordData::Soa(_) => RecordType::Soa,
        }
    }
}

/// The record data in zone-file form: `10.96.0.12`, `0 100 8080 backend.ns.svc.cluster.local.`, `"1.1.0"`.
impl fmt::Display for RecordData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::A(ip) => write!(f, "{ip}"),
            RecordData::Aaaa(ip) => write!(f, "{ip}"),
            RecordData::Srv { priority, weight, port, target } => write!(f, "{priority} {weight} {port} {target}"),
            RecordData::Ptr(name) | RecordData::Cname(name) | RecordData::Ns(name) => f.write_str(name),
            RecordData::Txt(text) => {
                write!(f, "\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
            RecordData::Soa(soa) => write!(
                f,
                "{} {} {} {} {} {} {}",
                soa.mname, soa.rname, soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum
            ),
        }
    }
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// The owner name, fully qualified with the trailing dot, in the letter case the question used.
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

impl Record {
    pub fn new(name: impl Into<String>, ttl: u32, data: RecordData) -> Record {
        Record { name: name.into(), ttl, data }
    }

    pub fn record_type(&self) -> RecordType {
        self.data.record_type()
    }
}

/// Zone-file form: `backend-service.microservices.svc.cluster.local. 5 IN A 10.96.0.12`.
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} IN {} {}", self.name, self.ttl, self.record_type(), self.data)
    }
}

/// A DNS response: the code and its three record sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: Rcode,
    pub answers: Vec<Record>,
    /// The zone's SOA on NXDOMAIN and NODATA, so resolvers know how long to cache the negative answer.
    pub authority: Vec<Record>,
    /// Addresses of names the answers point at (SRV targets, the name server).
    pub additional: Vec<Record>,
}

impl Answer {
    /// NOERROR with an empty answer section: the name exists, but has no record of the asked type.
    pub fn is_nodata(&self) -> bool {
        self.rcode == Rcode::NoError && self.answers.is_empty()
    }

    pub fn is_nxdomain(&self) -> bool {
        self.rcode == Rcode::NxDomain
    }

    /// Whether a stub resolver takes this answer as a success and stops its search: NOERROR with records.
    pub fn is_success(&self) -> bool {
        self.rcode == Rcode::NoError && !self.answers.is_empty()
    }

    /// One line for walk listings: `NOERROR 10.96.0.12`, `NXDOMAIN`, `NOERROR, no AAAA records (NODATA)`.
    pub fn summary(&self) -> String {
        if self.rcode != Rcode::NoError {
            return self.rcode.to_string();
        }
        if self.answers.is_empty() {
            return "NOERROR, no records of that type (NODATA)".to_owned();
        }
        let data: Vec<String> = self
            .answers
            .iter()
            .map(|r| match &r.data {
                RecordData::A(_) | RecordData::Aaaa(_) => r.data.to_string(),
                other => format!("{} {other}", other.record_type()),
            })
            .collect();
        format!("NOERROR {}", data.join(", "))
    }
}

/// `dig`-like sections: the status, then each non-empty section in zone-file form.
impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "status: {}", self.rcode)?;
        let sections = [("answer", &self.answers), ("authority", &self.authority), ("additional", &self.additional)];
        for (title, records) in sections {
            if records.is_empty() {
                continue;
            }
            writeln!(f, ";; {title}")?;
            for record in records {
                writeln!(f, "{record}")?;
            }
        }
        Ok(())
    }
}

/// Answers one question as the cluster DNS server would.
///
/// `None` means the name is outside the cluster zone (`cluster.config.domain`) and the reverse zones the cluster owns
/// (see [`reverse_zones`]): the server forwards it upstream, and knet cannot know that answer. A name that is not a
/// valid domain name (empty label, label over 63 or name over 253 characters) is never in the zone either. Names
/// match case-insensitively; answers keep the question's letter case in their owner names.
pub fn lookup(cluster: &Cluster, name: &str, qtype: RecordType) -> Option<Answer> {
    answer::Server::new(cluster).lookup(name, qtype)
}

/// Every record of the cluster zone and the owned reverse zones, in DNS canonical order (forward zone first): the
/// SOA and NS of each zone, `dns-version`, `ns.dns`, each Service's A/AAAA or CNAME, SRV records of named ports,
/// headless endpoint names, and PTR records.
///
/// Names that [`lookup`] answers but that cannot be listed are left out: pod names (`pods insecure` answers every
/// well-formed address), the SRV records of a Service's bare name (CoreDNS answers those for every port, named or
/// not), and the endpoint names of ClusterIP Services (a CoreDNS extension of the specification).
pub fn zone_records(cluster: &Cluster) -> Vec<Record> {
    answer::Server::new(cluster).zone_records()
}

/// The reverse zones the cluster DNS is authoritative for: the smallest `in-addr.arpa` zones on octet boundaries that
/// hold the service and pod address ranges, without zones nested in another (`10.in-addr.arpa.` for the defaults).
pub fn reverse_zones(config: &ClusterConfig) -> Vec<String> {
    name::reverse_zones(config).iter().map(name::Zone::fqdn).collect()
}
