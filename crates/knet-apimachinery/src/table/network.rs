//! Printers of the networking kinds: `printService`, `printEndpoints`, `printEndpointSlice`, `printIngress`,
//! `printIngressClass` and `printNetworkPolicy`.

use serde_json::Value;

use super::{
    Row, age, array, format_label_selector, format_labels, int, list_with_more, load_balancer_addresses, name, text,
};

/// `Name, Type, Cluster-IP, External-IP, Port(s), Age` and wide `Selector`.
pub(super) fn service(object: &Value, now: i64) -> Row {
    // The first of `clusterIPs`; v1 objects written before dual-stack carry only `clusterIP`.
    let cluster_ip = match object.pointer("/spec/clusterIPs/0").and_then(Value::as_str) {
        Some(ip) => ip,
        None => text(object, "/spec/clusterIP"),
    };
    let cluster_ip = if cluster_ip.is_empty() { "<none>" } else { cluster_ip };
    let ports = port_string(array(object, "/spec/ports"));
    let ports = if ports.is_empty() { "<none>".to_owned() } else { ports };
    Row::new(vec![
        name(object),
        Value::from(text(object, "/spec/type")),
        Value::from(cluster_ip),
        Value::from(external_ip(object)),
        Value::from(ports),
        age(object, now),
        Value::from(format_labels(object.pointer("/spec/selector"))),
    ])
}

/// `getServiceExternalIP`, wide: external IPs for ClusterIP and NodePort Services, load-balancer addresses (then
/// external IPs) for LoadBalancer ones, `<pending>` until the load balancer has an address, and the external name
/// for ExternalName Services.
fn external_ip(object: &Value) -> String {
    let external: Vec<&str> = array(object, "/spec/externalIPs").iter().filter_map(Value::as_str).collect();
    match text(object, "/spec/type") {
        "ClusterIP" | "NodePort" if external.is_empty() => "<none>".to_owned(),
        "ClusterIP" | "NodePort" => external.join(","),
        "LoadBalancer" => {
            let balancer = load_balancer_addresses(array(object, "/status/loadBalancer/ingress"));
            if !external.is_empty() {
                let mut all: Vec<&str> = if balancer.is_empty() { Vec::new() } else { balancer.split(',').collect() };
                all.extend(external);
                all.join(",")
            } else if !balancer.is_empty() {
                balancer
            } else {
                "<pending>".to_owned()
            }
        }
        "ExternalName" => text(object, "/spec/externalName").to_owned(),
        _ => "<unknown>".to_owned(),
    }
}

/// `makePortString`: `80/TCP`, or `80:30080/TCP` with a node port, comma-joined.
fn port_string(ports: &[Value]) -> String {
    let pieces: Vec<String> = ports
        .iter()
        .map(|port| {
            let (number, protocol) = (int(port, "/port"), text(port, "/protocol"));
            match int(port, "/nodePort") {
                node_port if node_port > 0 => format!("{number}:{node_port}/{protocol}"),
                _ => format!("{number}/{protocol}"),
            }
        })
        .collect();
    pieces.join(",")
}

/// `Name, Endpoints, Age`.
pub(super) fn endpoints(object: &Value, now: i64) -> Row {
    Row::new(vec![name(object), Value::from(format_endpoints(array(object, "/subsets"))), age(object, now)])
}

/// `formatEndpoints` with every port: `ip:port` for each address and port of each subset (bare IPs for a subset
/// without ports), the first three, then ` + N more...`; `<none>` without subsets.
fn format_endpoints(subsets: &[Value]) -> String {
    const MAX: usize = 3;
    if subsets.is_empty() {
        return "<none>".to_owned();
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for subset in subsets {
        let addresses = array(subset, "/addresses");
        let ports = array(subset, "/ports");
        if ports.is_empty() {
            // Headless Services may have no ports.
            count += addresses.len();
            for address in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(text(address, "/ip").to_owned());
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            for address in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(text(address, "/ip"), int(port, "/port")));
            }
        }
    }
    let joined = list.join(",");
    if more { format!("{joined} + {} more...", count - MAX) } else { joined }
}

/// `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// `Name, AddressType, Ports, Endpoints, Age`.
pub(super) fn endpoint_slice(object: &Value, now: i64) -> Row {
    Row::new(vec![
        name(object),
        Value::from(text(object, "/addressType")),
        Value::from(discovery_ports(array(object, "/ports"))),
        Value::from(discovery_endpoints(array(object, "/endpoints"))),
        age(object, now),
    ])
}

/// `formatDiscoveryPorts`: each port's number, or its name when it has none, or `*`.
fn discovery_ports(ports: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list = Vec::new();
    let mut more = false;
    for port in ports {
        if list.len() < MAX {
            let number = match (port.get("port").and_then(Value::as_i64), port.get("name").and_then(Value::as_str)) {
                (Some(number), _) => number.to_string(),
                (None, Some(name)) => name.to_owned(),
                (None, None) => "*".to_owned(),
            };
            list.push(number);
        } else if list.len() == MAX {
            more = true;
        }
    }
    list_with_more(&list, more, ports.len(), MAX)
}

/// `formatDiscoveryEndpoints`: every address of every endpoint, the first three, then ` + N more...`.
fn discovery_endpoints(endpoints: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list = Vec::new();
    let mut more = false;
    let mut count = 0;
    for endpoint in endpoints {
        for address in array(endpoint, "/addresses") {
            if list.len() < MAX {
                list.push(address.as_str().unwrap_or_default().to_owned());
            } else if list.len() == MAX {
                more = true;
            }
            count += 1;
        }
    }
    list_with_more(&list, more, count, MAX)
}

/// `Name, Class, Hosts, Address, Ports, Age`.
pub(super) fn ingress(object: &Value, now: i64) -> Row {
    let class = object.pointer("/spec/ingressClassName").and_then(Value::as_str).unwrap_or("<none>");
    let ports = if array(object, "/spec/tls").is_empty() { "80" } else { "80, 443" };
    Row::new(vec![
        name(object),
        Value::from(class),
        Value::from(format_hosts(array(object, "/spec/rules"))),
        Value::from(load_balancer_addresses(array(object, "/status/loadBalancer/ingress"))),
        Value::from(ports),
        age(object, now),
    ])
}

/// `formatHosts`: the rules' hosts, the first three then ` + N more...` (counting rules), `*` for none.
fn format_hosts(rules: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == MAX {
            more = true;
        }
        let host = text(rule, "/host");
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_owned();
    }
    let joined = list.join(",");
    if more { format!("{joined} + {} more...", rules.len() - MAX) } else { joined }
}

/// `Name, Controller, Parameters, Age`, with parameters as `Kind[.apiGroup]/name`.
pub(super) fn ingress_class(object: &Value, now: i64) -> Row {
    let parameters = match object.pointer("/spec/parameters").filter(|p| p.is_object()) {
        None => "<none>".to_owned(),
        Some(parameters) => {
            let mut out = text(parameters, "/kind").to_owned();
            if let Some(group) = parameters.get("apiGroup").and_then(Value::as_str) {
                out = format!("{out}.{group}");
            }
            format!("{out}/{}", text(parameters, "/name"))
        }
    };
    Row::new(vec![
        name(object),
        Value::from(text(object, "/spec/controller")),
        Value::from(parameters),
        age(object, now),
    ])
}

/// `Name, Pod-Selector, Age`; an empty pod selector (all pods) prints as `<none>`.
pub(super) fn network_policy(object: &Value, now: i64) -> Row {
    // `&obj.Spec.PodSelector` is never nil: a missing selector is the empty one.
    let empty = Value::Object(serde_json::Map::new());
    let selector = object.pointer("/spec/podSelector").filter(|s| !s.is_null()).unwrap_or(&empty);
    Row::new(vec![name(object), Value::from(format_label_selector(Some(selector))), age(object, now)])
}
