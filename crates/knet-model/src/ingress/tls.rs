//! TLS: which certificate each host presents, following ingress-nginx. The first Ingress (in processing order) that
//! has a rule for a host and a TLS section decides the host's certificate: the Secret of the TLS entry listing the
//! host, else of an entry whose certificate covers it, else the controller's default certificate. A missing Secret
//! also means the default certificate. Offline there is no certificate to read, so "covers" means a wildcard TLS host
//! over the rule host, or an entry without hosts.

use std::collections::BTreeMap;

use crate::cluster::Cluster;

use super::host::HostPattern;
use super::problem::Problem;
use super::route::{Server, TlsBinding, TlsCertificate};
use super::table::Served;

/// Step 6: each host's certificate, from the first Ingress with a rule for it and a TLS section; plus missing
/// Secrets and TLS hosts no rule of their Ingress uses.
pub(super) fn assign_tls(
    cluster: &Cluster,
    servers: &mut BTreeMap<HostPattern, Server>,
    main: &[&Served],
    problems: &mut Vec<Problem>,
) {
    for ingress in main {
        let hosts: Vec<HostPattern> = ingress.rule_hosts().collect();
        let tls_entries = tls_entries(ingress, problems);
        for host in hosts.iter().filter(|h| **h != HostPattern::Any) {
            if tls_entries.is_empty() {
                continue;
            }
            let Some(server) = servers.get_mut(host) else {
                continue;
            };
            let certificate = certificate_for(host, &tls_entries, ingress, cluster);
            match &server.tls {
                Some(existing) => {
                    if existing.ingress != ingress.reference
                        && tls_entries.iter().any(|(tls_host, _)| tls_host.covers(host))
                    {
                        problems.push(Problem::TlsIgnored {
                            ingress: ingress.reference.clone(),
                            host: host.clone(),
                            by: existing.ingress.clone(),
                        });
                    }
                }
                None => {
                    server.tls = Some(TlsBinding { ingress: ingress.reference.clone(), certificate });
                }
            }
        }
        for (tls_host, secret) in &tls_entries {
            match secret {
                None => problems
                    .push(Problem::TlsWithoutSecret { ingress: ingress.reference.clone(), host: tls_host.clone() }),
                Some(secret) if !secret_exists(cluster, ingress, secret) => problems.push(Problem::SecretMissing {
                    ingress: ingress.reference.clone(),
                    host: tls_host.clone(),
                    namespace: ingress.reference.namespace.clone(),
                    secret: secret.clone(),
                }),
                Some(_) => {}
            }
            if *tls_host != HostPattern::Any && !hosts.iter().any(|h| tls_host.covers(h)) {
                problems
                    .push(Problem::TlsHostUnused { ingress: ingress.reference.clone(), host: tls_host.to_string() });
            }
        }
    }
}

/// `(host, secretName)` for every TLS host of an Ingress. An entry without hosts stands for the certificate's own
/// names, which offline manifests do not have; it is taken to cover every rule host (`HostPattern::Any`).
fn tls_entries(ingress: &Served, problems: &mut Vec<Problem>) -> Vec<(HostPattern, Option<String>)> {
    let mut entries = Vec::new();
    for tls in ingress.tls() {
        let secret = tls.secret_name.clone().filter(|s| !s.is_empty());
        let hosts = tls.hosts.as_deref().unwrap_or_default();
        if hosts.is_empty() {
            entries.push((HostPattern::Any, secret.clone()));
        }
        for host in hosts {
            match HostPattern::parse(Some(host)) {
                Ok(host) => entries.push((host, secret.clone())),
                Err(reason) => problems.push(Problem::InvalidHost {
                    ingress: ingress.reference.clone(),
                    reason: format!("(tls) {reason}"),
                }),
            }
        }
    }
    entries
}

fn secret_exists(cluster: &Cluster, ingress: &Served, secret: &str) -> bool {
    cluster.secrets.contains(&(ingress.reference.namespace.clone(), secret.to_owned()))
}

/// ingress-nginx's `extractTLSSecretName`: a TLS entry listing the host, else one whose certificate covers it (here:
/// a wildcard TLS host over it, or an entry without hosts); none of them means the default certificate.
fn certificate_for(
    host: &HostPattern,
    entries: &[(HostPattern, Option<String>)],
    ingress: &Served,
    cluster: &Cluster,
) -> TlsCertificate {
    let entry = entries
        .iter()
        .find(|(tls_host, _)| tls_host == host)
        .or_else(|| entries.iter().find(|(tls_host, _)| *tls_host != HostPattern::Any && tls_host.covers(host)))
        .or_else(|| entries.iter().find(|(tls_host, _)| *tls_host == HostPattern::Any));
    match entry {
        Some((_, Some(secret))) => {
            TlsCertificate::Secret { name: secret.clone(), exists: secret_exists(cluster, ingress, secret) }
        }
        Some((_, None)) => TlsCertificate::Default { reason: "the TLS entry has no secretName".to_owned() },
        None => TlsCertificate::Default {
            reason: format!("ingress {} has a TLS section that does not list {host}", ingress.reference),
        },
    }
}
