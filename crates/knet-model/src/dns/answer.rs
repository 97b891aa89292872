//! How the server answers one name. The name is first classified into what it stands for ([`Node`]), then the query
//! type picks records from that. This mirrors CoreDNS's `kubernetes` plugin, where `parseRequest` and `findServices`
//! turn a name into a list of `msg.Service` items ([`Target`] here) and `plugin.A`, `plugin.SRV`, ... turn the items
//! into records; keeping the two steps apart is what makes NXDOMAIN (no node) and NODATA (a node without records of
//! the type) fall out naturally.

use std::collections::BTreeMap;
use std::iter;
use std::net::{IpAddr, Ipv4Addr};

use crate::cluster::Cluster;
use crate::ports::Protocol;
use crate::service::{Service, ServiceType};

use super::endpoints::dns_endpoints;
use super::name::{self, DomainName, Zone};
use super::{Answer, DNS_SCHEMA_VERSION, DNS_VERSION_TTL, Rcode, Record, RecordData, RecordType, SOA_SERIAL, Soa, TTL};

/// How many CNAMEs inside the zone an answer follows before giving up (CoreDNS stops after 8).
const MAX_CNAME_CHAIN: usize = 8;

/// The authoritative server for the cluster zone and the owned reverse zones, over one snapshot.
#[derive(Debug)]
pub(super) struct Server<'c> {
    cluster: &'c Cluster,
    /// The cluster zone; `None` only when `config.domain` is not a valid name.
    zone: Option<Zone>,
    reverse: Vec<Zone>,
}

/// What a name stands for, before the query type picks records from it.
#[derive(Debug)]
enum Node {
    /// No such name: NXDOMAIN.
    Missing,
    /// A name that exists only because names below it do (`svc.<zone>`, `<ns>.svc.<zone>`): NODATA for every type.
    Empty,
    /// A zone apex: SOA and NS.
    Apex,
    /// `ns.dns.<zone>`: the address of the cluster DNS Service.
    NameServer,
    /// `dns-version.<zone>`: the specification version.
    DnsVersion,
    /// A Service, endpoint, SRV or pod name: what CoreDNS's `findServices` / `findPods` return. Never empty.
    Targets(Vec<Target>),
    /// An address in a reverse zone: the names it points back to. Never empty.
    Pointers(Vec<String>),
}

/// One item a forward name resolves to (CoreDNS's `msg.Service`).
#[derive(Debug, Clone)]
struct Target {
    host: Host,
    /// The port an SRV record carries; `None` for a Service or endpoint without ports and for pods (no SRV record).
    port: Option<u16>,
    /// The canonical name SRV records point at: `backend.ns.svc.<zone>.` or `web-0.web.ns.svc.<zone>.`.
    key: String,
}

#[derive(Debug, Clone)]
enum Host {
    Ip(IpAddr),
    /// An ExternalName's target, fully qualified: answered as a CNAME.
    Name(String),
}

/// Which part of a Service a name under `<svc>.<ns>.svc.<zone>` selects.
#[derive(Debug, Clone, Copy)]
enum Part<'q> {
    /// `<svc>.<ns>.svc.<zone>`.
    Whole,
    /// `<endpoint>.<svc>.<ns>.svc.<zone>`: the endpoints with that hostname or dashed address.
    Endpoint(&'q str),
    /// `_<port>._<proto>.<svc>.<ns>.svc.<zone>`, underscores stripped; an empty port or protocol matches any.
    Port { port: &'q str, protocol: &'q str },
}

impl Part<'_> {
    /// CoreDNS's `matchPortAndProtocol`: names compare case-insensitively, and an unnamed port never matches a name.
    fn matches_port(self, name: Option<&str>, protocol: Protocol) -> bool {
        let Part::Port { port, protocol: wanted } = self else {
            return true;
        };
        let name_ok = port.is_empty() || name.is_some_and(|n| n.eq_ignore_ascii_case(port));
        let protocol_ok = wanted.is_empty() || protocol.as_str().eq_ignore_ascii_case(wanted);
        name_ok && protocol_ok
    }
}

impl<'c> Server<'c> {
    pub(super) fn new(cluster: &'c Cluster) -> Server<'c> {
        Server { cluster, zone: Zone::new(&cluster.config.domain), reverse: name::reverse_zones(&cluster.config) }
    }

    pub(super) fn lookup(&self, name: &str, qtype: RecordType) -> Option<Answer> {
        self.lookup_at_depth(name, qtype, 0)
    }

    fn lookup_at_depth(&self, name: &str, qtype: RecordType, depth: usize) -> Option<Answer> {
        let name = DomainName::parse(name).ok()?;
        let (zone, node) = self.classify(&name)?;
        if qtype == RecordType::Axfr {
            return Some(Answer {
                rcode: Rcode::Refused,
                answers: Vec::new(),
                authority: Vec::new(),
                additional: Vec::new(),
            });
        }
        Some(self.respond(zone, &name.fqdn(), qtype, node, depth))
    }

    /// The zone holding `name` and what the name stands for in it; `None` outside every zone of the cluster.
    fn classify(&self, name: &DomainName<'_>) -> Option<(&Zone, Node)> {
        if let Some(zone) = &self.zone
            && let Some(front) = zone.relative(name)
        {
            return Some((zone, self.classify_forward(zone, front)));
        }
        self.reverse.iter().find_map(|zone| {
            let front = zone.relative(name)?;
            Some((zone, self.classify_reverse(name, front)))
        })
    }

    /// CoreDNS's `parseRequest`, read from the right: `svc` or `pod`, then namespace, Service, then an endpoint or a
    /// `_port._proto` pair. Longer names do not exist.
    fn classify_forward(&self, zone: &Zone, front: &[&str]) -> Node {
        let lower: Vec<String> = front.iter().map(|l| l.to_ascii_lowercase()).collect();
        let labels: Vec<&str> = lower.iter().map(String::as_str).collect();
        match labels.as_slice() {
            [] => Node::Apex,
            ["svc" | "pod" | "dns"] => Node::Empty,
            ["dns-version"] => Node::DnsVersion,
            ["ns", "dns"] => Node::NameServer,
            [front @ .., namespace, "svc"] => self.classify_service(zone, front, namespace),
            [front @ .., namespace, "pod"] => self.classify_pod(zone, front, namespace),
            _ => Node::Missing,
        }
    }

    fn classify_service(&self, zone: &Zone, front: &[&str], namespace: &str) -> Node {
        if !self.namespace_exists(namespace) {
            return Node::Missing;
        }
        let (part, service) = match *front {
            [] => return Node::Empty,
            [service] => (Part::Whole, service),
            [endpoint, service] => (Part::Endpoint(endpoint), service),
            [port, protocol, service] => {
                let port = port.strip_prefix('_').unwrap_or(port);
                let protocol = protocol.strip_prefix('_').unwrap_or(protocol);
                (Part::Port { port, protocol }, service)
            }
            _ => return Node::Missing,
        };
        let targets: Vec<Target> = self
            .cluster
            .services
            .iter()
            .filter(|s| s.namespace.eq_ignore_ascii_case(namespace) && s.name.eq_ignore_ascii_case(service))
            .flat_map(|s| self.service_targets(zone, s, part))
            .collect();
        if targets.is_empty() { Node::Missing } else { Node::Targets(targets) }
    }

    /// `a-b-c-d.<ns>.pod.<zone>` in CoreDNS's `pods insecure` mode: any well-formed address in an existing namespace
    /// answers, whether or not a pod has it.
    fn classify_pod(&self, zone: &Zone, front: &[&str], namespace: &str) -> Node {
        if !self.namespace_exists(namespace) {
            return Node::Missing;
        }
        match *front {
            [] => Node::Empty,
            [label] => match name::parse_dashed(label) {
                Some(ip) => Node::Targets(vec![Target {
                    host: Host::Ip(ip),
                    port: None,
                    key: zone.child(&[label, namespace, "pod"]),
                }]),
                None => Node::Missing,
            },
            _ => Node::Missing,
        }
    }

    /// A name in a reverse zone: a full address points at its Service or endpoint names; a shorter name exists when
    /// some such address lies below it.
    fn classify_reverse(&self, name: &DomainName<'_>, front: &[&str]) -> Node {
        if front.is_empty() {
            return Node::Apex;
        }
        let Some(octets) = name::reverse_octets(name.labels()) else {
            return Node::Missing;
        };
        let pointers = self.pointer_map();
        if let Ok(address) = <[u8; 4]>::try_from(octets.as_slice()) {
            return match pointers.get(&Ipv4Addr::from(address)) {
                Some(targets) => Node::Pointers(targets.clone()),
                None => Node::Missing,
            };
        }
        if pointers.keys().any(|ip| ip.octets().starts_with(&octets)) { Node::Empty } else { Node::Missing }
    }

    fn namespace_exists(&self, namespace: &str) -> bool {
        self.cluster.namespaces.keys().any(|n| n.eq_ignore_ascii_case(namespace))
    }

    /// CoreDNS's `findServices` for one Service.
    fn service_targets(&self, zone: &Zone, service: &Service, part: Part<'_>) -> Vec<Target> {
        let key = service_name(zone, service);
        if service.service_type == ServiceType::ExternalName {
            // ExternalName Services have neither endpoints nor ports in DNS; an address is not a valid target.
            return match (part, external_target(service)) {
                (Part::Whole, Some(target)) => vec![Target { host: Host::Name(target), port: None, key }],
                _ => Vec::new(),
            };
        }
        if service.headless || matches!(part, Part::Endpoint(_)) {
            return self.endpoint_targets(zone, service, part);
        }
        let Some(ip) = service.cluster_ip else {
            return Vec::new();
        };
        if service.ports.is_empty() {
            // The API server rejects a ClusterIP Service without ports; knet still answers its address.
            let target = Target { host: Host::Ip(ip), port: None, key };
            return only_if(matches!(part, Part::Whole), target);
        }
        service
            .ports
            .iter()
            .filter(|p| part.matches_port(p.name.as_deref(), p.protocol))
            .map(|p| Target { host: Host::Ip(ip), port: Some(p.port), key: key.clone() })
            .collect()
    }

    /// The targets of a headless Service, or of an endpoint name of any Service: one per endpoint and matching port.
    fn endpoint_targets(&self, zone: &Zone, service: &Service, part: Part<'_>) -> Vec<Target> {
        let mut targets = Vec::new();
        for endpoint in dns_endpoints(self.cluster, service) {
            if let Part::Endpoint(label) = part
                && !endpoint.label.eq_ignore_ascii_case(label)
            {
                continue;
            }
            let key = endpoint_name(zone, service, &endpoint.label);
            if endpoint.ports.is_empty() {
                if !matches!(part, Part::Port { .. }) {
                    targets.push(Target { host: Host::Ip(endpoint.ip), port: None, key });
                }
                continue;
            }
            for (port_name, protocol, port) in &endpoint.ports {
                if part.matches_port(port_name.as_deref(), *protocol) {
                    targets.push(Target { host: Host::Ip(endpoint.ip), port: Some(*port), key: key.clone() });
                }
            }
        }
        targets
    }

    /// Turns a node into the response for one query type.
    fn respond(&self, zone: &Zone, qname: &str, qtype: RecordType, node: Node, depth: usize) -> Answer {
        let (answers, additional) = match node {
            Node::Missing => return self.negative(zone, Rcode::NxDomain),
            Node::Empty => (Vec::new(), Vec::new()),
            Node::Apex => self.apex(zone, qname, qtype),
            Node::NameServer => (self.name_server_address(qname, qtype), Vec::new()),
            Node::DnsVersion => {
                let txt = Record::new(qname, DNS_VERSION_TTL, RecordData::Txt(DNS_SCHEMA_VERSION.into()));
                (only_if(qtype == RecordType::Txt, txt), Vec::new())
            }
            Node::Pointers(targets) => {
                let records = targets.into_iter().map(|t| Record::new(qname, TTL, RecordData::Ptr(t)));
                let records = records.filter(|_| qtype == RecordType::Ptr).collect();
                (records, Vec::new())
            }
            Node::Targets(targets) => self.target_records(qname, qtype, &targets, depth),
        };
        if answers.is_empty() {
            return self.negative(zone, Rcode::NoError);
        }
        Answer { rcode: Rcode::NoError, answers, authority: Vec::new(), additional }
    }

    /// NXDOMAIN, or NODATA with `NoError`: no answer, and the zone's SOA so resolvers can cache the negative answer.
    fn negative(&self, zone: &Zone, rcode: Rcode) -> Answer {
        Answer { rcode, answers: Vec::new(), authority: vec![self.soa(zone)], additional: Vec::new() }
    }

    /// `<zone>. SOA ns.dns.<zone>. hostmaster.<zone>. <serial> 7200 1800 86400 <ttl>`, as CoreDNS writes it.
    fn soa(&self, zone: &Zone) -> Record {
        Record::new(
            zone.fqdn(),
            TTL,
            RecordData::Soa(Soa {
                mname: self.name_server_name(zone),
                rname: zone.child(&["hostmaster"]),
                serial: SOA_SERIAL,
                refresh: 7200,
                retry: 1800,
                expire: 86400,
                minimum: TTL,
            }),
        )
    }

    /// `ns.dns.<cluster zone>.`: the one name server of every zone (CoreDNS makes up `ns.dns.<reverse zone>` for the
    /// reverse zones, a name nothing answers; knet points them at the cluster zone's, which resolves).
    fn name_server_name(&self, zone: &Zone) -> String {
        self.zone.as_ref().unwrap_or(zone).child(&["ns", "dns"])
    }

    fn apex(&self, zone: &Zone, qname: &str, qtype: RecordType) -> (Vec<Record>, Vec<Record>) {
        match qtype {
            RecordType::Soa => (vec![self.soa(zone)], Vec::new()),
            RecordType::Ns => {
                let ns = self.name_server_name(zone);
                let glue = address_record(&ns, self.cluster.config.dns_service_ip);
                (vec![Record::new(qname, TTL, RecordData::Ns(ns))], vec![glue])
            }
            _ => (Vec::new(), Vec::new()),
        }
    }

    fn name_server_address(&self, qname: &str, qtype: RecordType) -> Vec<Record> {
        let data = address_data(self.cluster.config.dns_service_ip, qtype);
        data.map(|d| Record::new(qname, TTL, d)).into_iter().collect()
    }

    /// CoreDNS's `plugin.A` / `AAAA` / `CNAME` / `SRV` over the targets of one name: (answers, additional).
    fn target_records(
        &self,
        qname: &str,
        qtype: RecordType,
        targets: &[Target],
        depth: usize,
    ) -> (Vec<Record>, Vec<Record>) {
        match qtype {
            RecordType::A | RecordType::Aaaa => (self.address_records(qname, qtype, targets, depth), Vec::new()),
            RecordType::Cname => {
                let cname = targets.iter().find_map(|t| match &t.host {
                    Host::Name(target) => Some(Record::new(qname, TTL, RecordData::Cname(target.clone()))),
                    Host::Ip(_) => None,
                });
                (cname.into_iter().collect(), Vec::new())
            }
            RecordType::Srv => srv_records(qname, targets),
            _ => (Vec::new(), Vec::new()),
        }
    }

    /// One A (or AAAA) per distinct address, and for an ExternalName the CNAME, followed while it stays in the zone.
    fn address_records(&self, qname: &str, qtype: RecordType, targets: &[Target], depth: usize) -> Vec<Record> {
        let mut records: Vec<Record> = Vec::new();
        for target in targets {
            match &target.host {
                Host::Ip(ip) => {
                    if let Some(data) = address_data(*ip, qtype)
                        && !records.iter().any(|r| r.data == data)
                    {
                        records.push(Record::new(qname, TTL, data));
                    }
                }
                Host::Name(external) => {
                    records.extend(self.follow_cname(qname, external, qtype, depth));
                }
            }
        }
        records
    }

    /// The CNAME to an ExternalName's target. A target inside the zone is followed, and the CNAME is only given when
    /// the target has records of the type (as CoreDNS does); a target outside is left to the resolver and upstream.
    fn follow_cname(&self, qname: &str, target: &str, qtype: RecordType, depth: usize) -> Vec<Record> {
        let same = target.trim_end_matches('.').eq_ignore_ascii_case(qname.trim_end_matches('.'));
        if same {
            return Vec::new();
        }
        let cname = Record::new(qname, TTL, RecordData::Cname(target.to_owned()));
        let parsed = DomainName::parse(target).ok();
        let inside = match (&self.zone, &parsed) {
            (Some(zone), Some(name)) => zone.relative(name).is_some(),
            _ => false,
        };
        if !inside {
            return vec![cname];
        }
        if depth >= MAX_CNAME_CHAIN {
            return Vec::new();
        }
        let next = self.lookup_at_depth(target, qtype, depth + 1).map(|a| a.answers).unwrap_or_default();
        if next.is_empty() {
            return Vec::new();
        }
        iter::once(cname).chain(next).collect()
    }

    /// CoreDNS's reverse index: a ClusterIP points at its Service (the first one that has it); any other address
    /// points at every endpoint name it has, in every Service it backs.
    fn pointer_map(&self) -> BTreeMap<Ipv4Addr, Vec<String>> {
        let mut map: BTreeMap<Ipv4Addr, Vec<String>> = BTreeMap::new();
        let Some(zone) = &self.zone else {
            return map;
        };
        for service in &self.cluster.services {
            if let Some(IpAddr::V4(ip)) = service.cluster_ip {
                map.entry(ip).or_insert_with(|| vec![service_name(zone, service)]);
            }
        }
        let cluster_ips: Vec<Ipv4Addr> = map.keys().copied().collect();
        for service in &self.cluster.services {
            if service.service_type == ServiceType::ExternalName {
                continue;
            }
            for endpoint in dns_endpoints(self.cluster, service) {
                let IpAddr::V4(ip) = endpoint.ip else {
                    continue;
                };
                if cluster_ips.contains(&ip) {
                    continue;
                }
                let target = endpoint_name(zone, service, &endpoint.label);
                let targets = map.entry(ip).or_default();
                if !targets.contains(&target) {
                    targets.push(target);
                }
            }
        }
        map
    }

    /// See [`super::zone_records`].
    pub(super) fn zone_records(&self) -> Vec<Record> {
        let mut records = Vec::new();
        if let Some(zone) = &self.zone {
            records.extend(self.apex_records(zone));
            let version = zone.child(&["dns-version"]);
            records.extend(self.respond(zone, &version, RecordType::Txt, Node::DnsVersion, 0).answers);
            let ns = self.name_server_name(zone);
            records.push(address_record(&ns, self.cluster.config.dns_service_ip));
            for service in &self.cluster.services {
                records.extend(self.service_records(zone, service));
            }
        }
        for zone in &self.reverse {
            records.extend(self.apex_records(zone));
        }
        for (ip, targets) in self.pointer_map() {
            let owner = name::reverse_name(ip);
            if !self.is_reverse_name(&owner) {
                continue;
            }
            records.extend(targets.into_iter().map(|t| Record::new(owner.clone(), TTL, RecordData::Ptr(t))));
        }
        let forward = self.zone.as_ref();
        records.sort_by_cached_key(|r| {
            let reverse =
                DomainName::parse(&r.name).ok().is_none_or(|n| forward.is_none_or(|z| z.relative(&n).is_none()));
            (reverse, name::canonical_key(&r.name), listing_rank(r.record_type()), r.data.clone())
        });
        records.dedup();
        records
    }

    fn is_reverse_name(&self, owner: &str) -> bool {
        DomainName::parse(owner).is_ok_and(|name| self.reverse.iter().any(|z| z.relative(&name).is_some()))
    }

    fn apex_records(&self, zone: &Zone) -> Vec<Record> {
        let (mut records, _) = self.apex(zone, &zone.fqdn(), RecordType::Soa);
        records.extend(self.apex(zone, &zone.fqdn(), RecordType::Ns).0);
        records
    }

    /// The records the specification defines for one Service: its address (or CNAME), the SRV record of each named
    /// port, and for a headless Service the name of each endpoint.
    fn service_records(&self, zone: &Zone, service: &Service) -> Vec<Record> {
        let owner = service_name(zone, service);
        let whole = self.service_targets(zone, service, Part::Whole);
        if service.service_type == ServiceType::ExternalName {
            return self.target_records(&owner, RecordType::Cname, &whole, 0).0;
        }
        let mut records = self.target_records(&owner, RecordType::A, &whole, 0).0;
        records.extend(self.target_records(&owner, RecordType::Aaaa, &whole, 0).0);
        for port in &service.ports {
            let Some(port_name) = port.name.as_deref() else {
                continue;
            };
            let protocol = port.protocol.as_str().to_ascii_lowercase();
            let srv_owner = zone.child(&[
                &format!("_{port_name}"),
                &format!("_{protocol}"),
                &service.name,
                &service.namespace,
                "svc",
            ]);
            let part = Part::Port { port: port_name, protocol: &protocol };
            let targets = self.service_targets(zone, service, part);
            records.extend(srv_records(&srv_owner, &targets).0);
        }
        if service.headless {
            for endpoint in dns_endpoints(self.cluster, service) {
                let owner = endpoint_name(zone, service, &endpoint.label);
                records.push(address_record(&owner, endpoint.ip));
            }
        }
        records
    }
}

/// CoreDNS's `plugin.SRV`: one record per distinct (target, port) with priority 0 and weight 100/N over the N
/// targets, and the targets' addresses as additional records. ExternalName targets give no SRV record.
fn srv_records(qname: &str, targets: &[Target]) -> (Vec<Record>, Vec<Record>) {
    let internal: Vec<(&Target, IpAddr)> = targets
        .iter()
        .filter_map(|t| match t.host {
            Host::Ip(ip) => Some((t, ip)),
            Host::Name(_) => None,
        })
        .collect();
    let weight = u16::try_from(100 / internal.len().max(1)).unwrap_or(1).max(1);
    let (mut answers, mut additional): (Vec<Record>, Vec<Record>) = (Vec::new(), Vec::new());
    for (target, ip) in internal {
        let Some(port) = target.port else { continue };
        let srv = RecordData::Srv { priority: 0, weight, port, target: target.key.clone() };
        if !answers.iter().any(|r| r.data == srv) {
            answers.push(Record::new(qname, TTL, srv));
        }
        let address = address_record(&target.key, ip);
        if !additional.contains(&address) {
            additional.push(address);
        }
    }
    (answers, additional)
}

/// The record data an address gives for a query type: A for IPv4 and AAAA for IPv6; nothing otherwise.
fn address_data(ip: IpAddr, qtype: RecordType) -> Option<RecordData> {
    match (ip, qtype) {
        (IpAddr::V4(v4), RecordType::A) => Some(RecordData::A(v4)),
        (IpAddr::V6(v6), RecordType::Aaaa) => Some(RecordData::Aaaa(v6)),
        _ => None,
    }
}

/// The A or AAAA record of an address, whichever its family is.
fn address_record(owner: &str, ip: IpAddr) -> Record {
    let data = match ip {
        IpAddr::V4(v4) => RecordData::A(v4),
        IpAddr::V6(v6) => RecordData::Aaaa(v6),
    };
    Record::new(owner, TTL, data)
}

/// Zone-file order of types at one name: the SOA first, then the NS, then the rest.
fn listing_rank(record_type: RecordType) -> (u8, RecordType) {
    match record_type {
        RecordType::Soa => (0, record_type),
        RecordType::Ns => (1, record_type),
        _ => (2, record_type),
    }
}

fn only_if<T>(condition: bool, item: T) -> Vec<T> {
    if condition { vec![item] } else { Vec::new() }
}

/// `<svc>.<ns>.svc.<zone>.`
fn service_name(zone: &Zone, service: &Service) -> String {
    zone.child(&[&service.name, &service.namespace, "svc"])
}

/// `<hostname or dashed address>.<svc>.<ns>.svc.<zone>.`
fn endpoint_name(zone: &Zone, service: &Service, label: &str) -> String {
    zone.child(&[label, &service.name, &service.namespace, "svc"])
}

/// An ExternalName's target as a fully qualified name; `None` when it is empty or an IP address, which the
/// specification does not allow (CoreDNS then answers NXDOMAIN).
fn external_target(service: &Service) -> Option<String> {
    let target = service.external_name.as_deref()?.trim();
    let bare = target.trim_end_matches('.');
    if bare.is_empty() || bare.parse::<IpAddr>().is_ok() {
        return None;
    }
    Some(format!("{bare}."))
}
