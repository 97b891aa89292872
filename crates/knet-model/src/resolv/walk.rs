//! The search walk of a pod's stub resolver over its resolv.conf, query by query, each answered by the cluster DNS
//! model where knet can know the answer.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use crate::cluster::{Cluster, Pod};
use crate::dns::name::DomainName;
use crate::dns::{self, Answer, RecordType};

use super::{ResolvConf, ResolvError, resolv_conf};

/// The order a stub resolver tries a name in, from its dots and `ndots`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOrder {
    /// A trailing dot: the name is absolute, asked once as is.
    Absolute,
    /// At least `ndots` dots: as is first, then with each search domain.
    AsIsFirst,
    /// Fewer than `ndots` dots: each search domain first, then as is.
    SearchFirst,
}

/// What became of one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// The cluster DNS answered it from its zones.
    Answered(Answer),
    /// The cluster DNS forwards it upstream (the name is outside its zones): knet cannot know the answer offline.
    Upstream,
    /// The pod's nameserver is not the cluster DNS and the name is a cluster name: that server does not serve the
    /// cluster zone (public resolvers answer NXDOMAIN for `cluster.local`).
    NotServed,
    /// The pod's nameserver is not the cluster DNS: knet cannot know its answer offline.
    External,
    /// Not sent: the name built from a search domain is not a valid DNS name. glibc then skips the remaining search
    /// domains, but still asks the name as is if it has not yet.
    NotSent(String),
}

impl QueryOutcome {
    /// An answer that ends the search: NOERROR with records.
    pub fn is_success(&self) -> bool {
        matches!(self, QueryOutcome::Answered(answer) if answer.is_success())
    }

    /// A known failure, after which glibc goes on with the next name: NXDOMAIN, NODATA, or a server that does not
    /// serve the zone.
    pub fn is_negative(&self) -> bool {
        match self {
            QueryOutcome::Answered(answer) => !answer.is_success(),
            QueryOutcome::NotServed => true,
            _ => false,
        }
    }

    /// An answer knet cannot know offline.
    pub fn is_unknown(&self) -> bool {
        matches!(self, QueryOutcome::Upstream | QueryOutcome::External)
    }

    fn describe(&self) -> String {
        match self {
            QueryOutcome::Answered(answer) => answer.summary(),
            QueryOutcome::Upstream => "not in the cluster zones: forwarded upstream, answer unknown offline".into(),
            QueryOutcome::NotServed => "external nameserver: cluster names are not served (NXDOMAIN)".into(),
            QueryOutcome::External => "external nameserver: answer unknown offline".into(),
            QueryOutcome::NotSent(reason) => {
                format!("not sent: {reason}; the remaining search domains are skipped")
            }
        }
    }
}

/// One query the stub resolver sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The name asked, fully qualified.
    pub name: String,
    pub qtype: RecordType,
    /// The first nameserver of resolv.conf: glibc moves to the next only when one does not respond.
    pub nameserver: IpAddr,
    pub outcome: QueryOutcome,
}

/// How a pod resolves one name: its resolv.conf, each query in order, and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub conf: ResolvConf,
    /// The name as the application passed it.
    pub name: String,
    pub qtype: RecordType,
    pub order: SearchOrder,
    /// The queries sent, up to the first success or the first answer knet cannot know.
    pub queries: Vec<Query>,
    /// The answer of the query that ended the search, if it succeeded.
    pub answer: Option<Answer>,
    /// When the walk stopped at an answer knet cannot know: the names the resolver asks next if that answer is
    /// negative.
    pub pending: Vec<String>,
    /// Why nothing was sent: the name is empty or not a valid DNS name.
    pub problem: Option<String>,
}

impl Resolution {
    /// Queries that failed before the walk ended: the price of the search list and `ndots`.
    pub fn wasted_queries(&self) -> usize {
        self.queries.iter().filter(|q| q.outcome.is_negative()).count()
    }

    /// Whether the outcome depends on a server knet cannot see.
    pub fn depends_on_upstream(&self) -> bool {
        self.answer.is_none() && self.queries.iter().any(|q| q.outcome.is_unknown())
    }
}

/// How `pod` resolves `name`: its resolv.conf, then [`walk`].
pub fn resolve(cluster: &Cluster, pod: &Pod, name: &str, qtype: RecordType) -> Result<Resolution, ResolvError> {
    let conf = resolv_conf(cluster, pod)?;
    Ok(walk(cluster, &conf, name, qtype))
}

/// A name the resolver will ask, and whether a search domain made it.
struct Candidate {
    name: String,
    from_search: bool,
}

/// The walk of glibc's `res_nsearch` over `conf`: a name with a trailing dot is asked once; a name with at least
/// `ndots` dots is asked as is, then with each search domain; any other name with each search domain, then as is. The
/// walk stops at the first answer with records; NXDOMAIN and NODATA go on to the next name (musl would stop at
/// NODATA). Queries to the cluster DNS are answered by [`dns::lookup`]; at the first query whose answer knet cannot
/// know, the walk stops and lists the names still to come in [`Resolution::pending`].
pub fn walk(cluster: &Cluster, conf: &ResolvConf, name: &str, qtype: RecordType) -> Resolution {
    let ndots = usize::from(conf.ndots());
    let dots = name.matches('.').count();
    let order = if name.ends_with('.') {
        SearchOrder::Absolute
    } else if dots >= ndots {
        SearchOrder::AsIsFirst
    } else {
        SearchOrder::SearchFirst
    };
    let mut resolution = Resolution {
        conf: conf.clone(),
        name: name.to_owned(),
        qtype,
        order,
        queries: Vec::new(),
        answer: None,
        pending: Vec::new(),
        problem: None,
    };
    if let Err(problem) = DomainName::parse(name) {
        resolution.problem = Some(problem.describe().to_owned());
        return resolution;
    }
    let candidates = candidates(conf, name, order);
    let nameserver = conf.nameservers.first().copied().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let mut skip_search = false;
    for (index, candidate) in candidates.iter().enumerate() {
        if skip_search && candidate.from_search {
            continue;
        }
        let outcome = ask(cluster, nameserver, &candidate.name, qtype);
        let (success, unknown) = (outcome.is_success(), outcome.is_unknown());
        skip_search |= matches!(outcome, QueryOutcome::NotSent(_));
        if let QueryOutcome::Answered(answer) = &outcome
            && success
        {
            resolution.answer = Some(answer.clone());
        }
        resolution.queries.push(Query { name: candidate.name.clone(), qtype, nameserver, outcome });
        if unknown {
            resolution.pending = pending(&candidates[index + 1..], skip_search);
        }
        if success || unknown {
            break;
        }
    }
    resolution
}

/// Every name the walk may ask, in order: the name as is (first or last) and the name under each search domain.
fn candidates(conf: &ResolvConf, name: &str, order: SearchOrder) -> Vec<Candidate> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    let as_is = || Candidate { name: format!("{bare}."), from_search: false };
    if order == SearchOrder::Absolute {
        return vec![as_is()];
    }
    let mut out = Vec::new();
    if order == SearchOrder::AsIsFirst {
        out.push(as_is());
    }
    // A search domain of `.` (the root) stands for the name as is; glibc then does not ask it again at the end.
    let mut root_on_list = false;
    for domain in &conf.searches {
        let domain = domain.strip_prefix('.').unwrap_or(domain);
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        root_on_list |= domain.is_empty();
        let name = if domain.is_empty() { format!("{bare}.") } else { format!("{bare}.{domain}.") };
        out.push(Candidate { name, from_search: true });
    }
    if order == SearchOrder::SearchFirst && !root_on_list {
        out.push(as_is());
    }
    out
}

/// The names still to come after an unknown answer, assuming it was negative.
fn pending(rest: &[Candidate], mut skip_search: bool) -> Vec<String> {
    let mut out = Vec::new();
    for candidate in rest {
        if skip_search && candidate.from_search {
            continue;
        }
        if DomainName::parse(&candidate.name).is_err() {
            skip_search = true;
            continue;
        }
        out.push(candidate.name.clone());
    }
    out
}

/// Sends one query, as far as knet can tell what happens to it.
fn ask(cluster: &Cluster, nameserver: IpAddr, name: &str, qtype: RecordType) -> QueryOutcome {
    if let Err(problem) = DomainName::parse(name) {
        return QueryOutcome::NotSent(problem.describe().to_owned());
    }
    if nameserver == cluster.config.dns_service_ip {
        return match dns::lookup(cluster, name, qtype) {
            Some(answer) => QueryOutcome::Answered(answer),
            None => QueryOutcome::Upstream,
        };
    }
    if dns::is_cluster_name(&cluster.config, name) { QueryOutcome::NotServed } else { QueryOutcome::External }
}

/// The walk, one query a line, names aligned:
///
/// ```text
/// resolv.conf: search microservices.svc.cluster.local svc.cluster.local cluster.local; ndots:5; nameserver 10.96.0.10
/// backend-service has 0 dots (< ndots:5): each search domain first, then as is
/// 1.  backend-service.microservices.svc.cluster.local. A → NOERROR 10.96.0.12
/// answered by query 1; no query wasted
/// ```
impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "resolv.conf: {}", self.conf.summary())?;
        if self.conf.nameservers.is_empty() {
            writeln!(f, "resolv.conf has no nameserver: the resolver asks 127.0.0.1 inside the pod")?;
        }
        if let Some(problem) = &self.problem {
            return writeln!(f, "no query sent for {:?}: {problem}", self.name);
        }
        writeln!(f, "{}", self.order_line())?;
        let width = self.queries.iter().map(|q| q.name.len()).max().unwrap_or(0);
        for (index, query) in self.queries.iter().enumerate() {
            let number = format!("{}.", index + 1);
            writeln!(f, "{number:<3} {:<width$} {} → {}", query.name, query.qtype, query.outcome.describe())?;
        }
        writeln!(f, "{}", self.verdict_line())
    }
}

impl Resolution {
    fn order_line(&self) -> String {
        let ndots = self.conf.ndots();
        let dots = self.name.matches('.').count();
        let plural = if dots == 1 { "" } else { "s" };
        match self.order {
            SearchOrder::Absolute => {
                format!("{} ends with a dot: absolute, asked as is only", self.name)
            }
            SearchOrder::AsIsFirst => {
                format!("{} has {dots} dot{plural} (>= ndots:{ndots}): as is first, then each search domain", self.name)
            }
            SearchOrder::SearchFirst => {
                format!("{} has {dots} dot{plural} (< ndots:{ndots}): each search domain first, then as is", self.name)
            }
        }
    }

    fn verdict_line(&self) -> String {
        let wasted = self.wasted_queries();
        let cost = match wasted {
            0 => "no query wasted".to_owned(),
            1 => "1 query wasted (getaddrinfo asks A and AAAA, so 2 on the wire)".to_owned(),
            n => format!("{n} queries wasted (getaddrinfo asks A and AAAA, so {} on the wire)", 2 * n),
        };
        if self.answer.is_some() {
            return format!("answered by query {}; {cost}", self.queries.len());
        }
        if self.depends_on_upstream() {
            let mut line = format!("the answer comes from a server knet cannot see; {cost}");
            if !self.pending.is_empty() {
                line.push_str(&format!("; if it is negative, next: {}", self.pending.join(" ")));
            }
            return line;
        }
        format!("not found: every query failed; {cost}")
    }
}
