//! DNS checks (KN4xxx): host names written in configuration (ConfigMap data, container env) that the `ndots:5` search
//! list makes expensive or that name no Service, and pods whose resolvers cannot answer for the cluster zone.
//!
//! Host names are found by shape: the host of a URL (`postgresql://user:password@db:5432/app`), a `host:port` value,
//! and the value of a key ending in `host`, `hostname`, `server` or `addr`. Each is then resolved by the model, the way
//! the pod's stub resolver would (`resolv::walk` over its resolv.conf, answered by `dns::lookup`), so the counts in the
//! messages are the queries the resolver really sends. A ConfigMap is judged from a ClusterFirst pod of its namespace,
//! an env value from its own pod.
//!
//! ExternalName targets are not checked for cost: the cluster DNS resolves the CNAME target itself, so the pod's
//! search list never sees it.

use std::collections::BTreeSet;

use knet_model::Cluster;
use knet_model::cluster::Pod;
use knet_model::dns::RecordType;
use knet_model::resolv::{Resolution, ResolvConf, SearchOrder, resolv_conf, walk};

use super::rules::{RESOLVER_MISSES_CLUSTER_DNS, SEARCH_LIST_WALK, SHORT_NAME_NO_SERVICE};
use super::workloads::{containers, manifest_of, pod_spec};
use super::{Finding, and_list, is_synthetic, object_name};
use crate::input::Input;

pub(super) fn check(cluster: &Cluster, input: &Input, out: &mut Vec<Finding>) {
    config_maps(cluster, out);
    environment(cluster, input, out);
    resolvers(cluster, out);
}

/// Where a host name was written, for the findings about it.
struct Place<'a> {
    object: String,
    field: String,
    origin: &'a knet_object::Origin,
    /// `configmap "app-config" data[redis_url]`, the start of the message.
    subject: String,
    namespace: &'a str,
    /// Who resolves the name: `a ClusterFirst pod of namespace production`, `deployment backend`.
    resolver: String,
}

fn config_maps(cluster: &Cluster, out: &mut Vec<Finding>) {
    for config_map in &cluster.config_maps {
        let namespace = config_map.namespace();
        let Some(pod) = stand_in(cluster, namespace) else {
            return;
        };
        let Ok(conf) = resolv_conf(cluster, &pod) else {
            continue;
        };
        for (key, value) in config_map.value.data.iter().flatten() {
            let place = Place {
                object: object_name("ConfigMap", Some(namespace), config_map.name()),
                field: format!("data[{key}]"),
                origin: &config_map.origin,
                subject: format!("configmap \"{}\" data[{key}]", config_map.name()),
                namespace,
                resolver: format!("a ClusterFirst pod of namespace {namespace}"),
            };
            for host in hosts_in(key, value) {
                check_name(cluster, &conf, &place, &host, out);
            }
        }
    }
}

/// A ClusterFirst pod of `namespace` with no DNS settings of its own: whoever reads a ConfigMap there. It is a copy of
/// any pod of the snapshot with its DNS fields replaced, so that it stays complete whatever fields `Pod` grows.
fn stand_in(cluster: &Cluster, namespace: &str) -> Option<Pod> {
    let mut pod = cluster.pods.first()?.clone();
    pod.namespace = namespace.to_owned();
    pod.name = "<reader>".to_owned();
    pod.dns_policy = "ClusterFirst".to_owned();
    pod.dns_config = None;
    pod.host_network = false;
    Some(pod)
}

fn environment(cluster: &Cluster, input: &Input, out: &mut Vec<Finding>) {
    for pod in cluster.pods.iter().filter(|p| !p.system && !is_synthetic(&p.origin)) {
        let Some(manifest) = manifest_of(input, pod) else {
            continue;
        };
        let Some((spec, prefix)) = pod_spec(&manifest.object) else {
            continue;
        };
        let Ok(conf) = resolv_conf(cluster, pod) else {
            continue;
        };
        for container in containers(spec, prefix) {
            for (index, env) in container.container.env.iter().flatten().enumerate() {
                let Some(value) = &env.value else {
                    continue;
                };
                let place = Place {
                    object: object_name(pod.kind.as_str(), Some(&pod.namespace), &pod.name),
                    field: format!("{}.env[{index}].value", container.path),
                    origin: &manifest.origin,
                    subject: format!("{} {} env {}", pod.kind.as_str().to_lowercase(), pod.name, env.name),
                    namespace: &pod.namespace,
                    resolver: format!("{} {}", pod.kind.as_str().to_lowercase(), pod.name),
                };
                for host in hosts_in(&env.name, value) {
                    check_name(cluster, &conf, &place, &host, out);
                }
            }
        }
    }
}

/// The Service a cluster name means, `(service, namespace)`, when its shape says it is one: a bare name (the reader's
/// namespace), `<svc>.<ns>` for a namespace of the snapshot, or anything under `svc.<zone>` / `.svc`.
fn intended_service(cluster: &Cluster, namespace: &str, name: &str) -> Option<(String, String)> {
    let zone = cluster.config.domain.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let relative = name
        .strip_suffix(&format!(".{zone}"))
        .map(|n| n.strip_suffix(".svc").unwrap_or(n).to_owned())
        .or_else(|| name.strip_suffix(".svc").map(str::to_owned));
    let labels: Vec<&str> = match &relative {
        Some(relative) => relative.split('.').collect(),
        None => name.split('.').collect(),
    };
    match (relative.is_some(), labels.as_slice()) {
        (false, [service]) => Some(((*service).to_owned(), namespace.to_owned())),
        (false, [service, ns]) if cluster.namespaces.contains_key(*ns) => {
            Some(((*service).to_owned(), (*ns).to_owned()))
        }
        // `<svc>.<ns>.svc[.zone]`, or `<endpoint>.<svc>.<ns>.svc[.zone]` for a headless Service's endpoint.
        (true, [service, ns]) | (true, [_, service, ns]) => Some(((*service).to_owned(), (*ns).to_owned())),
        _ => None,
    }
}

/// KN4001 and KN4002 for one host name.
fn check_name(cluster: &Cluster, conf: &ResolvConf, place: &Place<'_>, host: &str, out: &mut Vec<Finding>) {
    let resolution = walk(cluster, conf, host, RecordType::A);
    if resolution.problem.is_some() {
        return;
    }
    if let Some((service, namespace)) = intended_service(cluster, place.namespace, host)
        && resolution.answer.is_none()
        && cluster.find_service(&namespace, &service).is_none()
    {
        out.push(no_service(cluster, place, host, &service, &namespace));
        return;
    }
    let zone = cluster.config.domain.trim_end_matches('.');
    let in_zone = host.to_ascii_lowercase().ends_with(&format!(".{zone}"));
    let external = resolution.answer.is_none() && resolution.depends_on_upstream();
    let wasted = resolution.wasted_queries();
    if resolution.order == SearchOrder::SearchFirst && wasted > 0 && (external || in_zone) {
        out.push(search_walk(place, host, &resolution, external));
    }
}

fn no_service(cluster: &Cluster, place: &Place<'_>, host: &str, service: &str, namespace: &str) -> Finding {
    let elsewhere: Vec<String> = cluster
        .services
        .iter()
        .filter(|s| s.name == service && s.namespace != namespace)
        .map(|s| if s.namespace == place.namespace { service.to_owned() } else { format!("{service}.{}", s.namespace) })
        .collect();
    let hint = if elsewhere.is_empty() {
        format!("Create Service {service:?} in namespace {namespace}, or correct the name.")
    } else {
        format!(
            "A Service of that name exists elsewhere: write {} to reach it from namespace {}.",
            and_list(&elsewhere),
            place.namespace
        )
    };
    Finding::new(
        &SHORT_NAME_NO_SERVICE,
        place.object.clone(),
        format!(
            "{}: host {host:?} means service \"{service}\" in namespace {namespace}, which is not in the given manifests, so from {} the name does not resolve (NXDOMAIN through the search list, then asked upstream).",
            place.subject, place.resolver
        ),
    )
    .field(place.field.clone())
    .origin(place.origin)
    .hint(hint)
}

fn search_walk(place: &Place<'_>, host: &str, resolution: &Resolution, external: bool) -> Finding {
    let dots = host.matches('.').count();
    let ndots = resolution.conf.ndots();
    let names = resolution.queries.len();
    let wasted = resolution.wasted_queries();
    let tried: Vec<String> = resolution.queries.iter().take(wasted).map(|q| q.name.clone()).collect();
    let what = if external { "outside the cluster" } else { "a full cluster name without the trailing dot" };
    Finding::new(
        &SEARCH_LIST_WALK,
        place.object.clone(),
        format!(
            "{}: host {host:?} ({what}) has {dots} dots, fewer than ndots:{ndots}, so {} tries {} first ({}): {} queries (A and AAAA for {names} names) where 2 would do.",
            place.subject,
            place.resolver,
            super::plural(wasted, "search domain", "search domains"),
            tried.join(", "),
            names * 2
        ),
    )
    .field(place.field.clone())
    .origin(place.origin)
    .hint(format!(
        "Write \"{host}.\" with a trailing dot where the client accepts it, or set `dnsConfig: {{options: [{{name: ndots, value: \"{}\"}}]}}` on the pods that read it.",
        dots.max(1)
    ))
}

/// KN4003: pods that search the cluster zone with nameservers that are not the cluster DNS.
fn resolvers(cluster: &Cluster, out: &mut Vec<Finding>) {
    let zone = cluster.config.domain.trim_end_matches('.');
    for pod in cluster.pods.iter().filter(|p| !p.system && !is_synthetic(&p.origin)) {
        let Ok(conf) = resolv_conf(cluster, pod) else {
            continue;
        };
        if conf.nameservers.is_empty() || conf.nameservers.contains(&cluster.config.dns_service_ip) {
            continue;
        }
        let cluster_searches: Vec<String> = conf
            .searches
            .iter()
            .filter(|s| {
                let s = s.trim_end_matches('.');
                s == zone || s.ends_with(&format!(".{zone}"))
            })
            .cloned()
            .collect();
        if cluster_searches.is_empty() {
            continue;
        }
        let servers: Vec<String> = conf.nameservers.iter().map(ToString::to_string).collect();
        out.push(
            Finding::new(
                &RESOLVER_MISSES_CLUSTER_DNS,
                object_name(pod.kind.as_str(), Some(&pod.namespace), &pod.name),
                format!(
                    "{} {} searches the cluster zone ({}) but asks only {}, which do not serve {zone}: no Service name resolves from this pod, and every search step is a query to those servers.",
                    pod.kind.as_str().to_lowercase(),
                    pod.name,
                    cluster_searches.join(", "),
                    and_list(&servers)
                ),
            )
            .field(match pod.kind.as_str() {
                "Pod" => "spec.dnsConfig.nameservers",
                "CronJob" => "spec.jobTemplate.spec.template.spec.dnsConfig.nameservers",
                _ => "spec.template.spec.dnsConfig.nameservers",
            })
            .origin(&pod.origin)
            .hint(format!(
                "Put the cluster DNS ({}) first in dnsConfig.nameservers, or keep dnsPolicy ClusterFirst and set only dnsConfig.options.",
                cluster.config.dns_service_ip
            )),
        );
    }
}

/// Host names in a configuration value: URL hosts, a `host:port` value, or the value of a key that names a host.
fn hosts_in(key: &str, value: &str) -> Vec<String> {
    let mut hosts = BTreeSet::new();
    let mut rest = value;
    while let Some(start) = rest.find("://") {
        let after = &rest[start + 3..];
        let end = after
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | ';') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        for part in authority.split(',') {
            if let Some(host) = host_of(part) {
                hosts.insert(host);
            }
        }
        rest = &after[end..];
    }
    if !value.contains("://") {
        let trimmed = value.trim();
        let host_port = trimmed
            .rsplit_once(':')
            .filter(|(_, port)| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
            .and_then(|(host, _)| host_of(host));
        let key = key.to_ascii_lowercase();
        let names_host = ["host", "hostname", "server", "addr"].iter().any(|suffix| key.ends_with(suffix));
        if let Some(host) = host_port.or_else(|| names_host.then(|| host_of(trimmed)).flatten()) {
            hosts.insert(host);
        }
    }
    hosts.into_iter().collect()
}

/// The host of `host[:port]` when it is a DNS name (not an address, not `localhost`), lower case.
fn host_of(authority: &str) -> Option<String> {
    if authority.starts_with('[') {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        Some(_) => return None,
        None => authority,
    };
    let host = host.to_ascii_lowercase();
    let bare = host.trim_end_matches('.');
    let labels_ok = !bare.is_empty()
        && bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let has_letter = bare.chars().any(|c| c.is_ascii_alphabetic());
    (labels_ok && has_letter && bare != "localhost").then_some(host)
}

#[cfg(test)]
mod tests {
    use super::hosts_in;

    #[test]
    fn hosts_are_found_by_shape() {
        let cases = [
            ("url", "postgresql://user:password@postgres-service:5432/myapp", vec!["postgres-service"]),
            ("url", "http://backend-service:8080/api", vec!["backend-service"]),
            ("url", "mongodb://a.example.com:27017,b.example.com/db", vec!["a.example.com", "b.example.com"]),
            ("redis", "redis:6379", vec!["redis"]),
            ("DB_HOST", "Postgres.Prod", vec!["postgres.prod"]),
            ("POSTGRES_DB", "myapp", vec![]),
            ("url", "http://10.0.0.1:80/", vec![]),
            ("url", "http://[::1]:80/", vec![]),
            ("url", "http://localhost:3000", vec![]),
            ("greeting", "hello: world", vec![]),
            ("DB_HOST", "$(POSTGRES_HOST)", vec![]),
        ];
        for (key, value, expected) in cases {
            assert_eq!(hosts_in(key, value), expected, "{key}={value}");
        }
    }
}
