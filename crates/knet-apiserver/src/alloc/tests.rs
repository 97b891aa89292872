//! Allocation: requested values honoured, taken ones refused with kube-apiserver's words, releases, updates.

use serde_json::{Value, json};

use super::*;

fn allocator() -> Allocator {
    Allocator::new(Ranges::default(), 42)
}

fn service(spec: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" }, "spec": spec })
}

fn messages(errors: Vec<FieldError>) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn requested_cluster_ips_are_honoured_once() {
    let mut a = allocator();
    let mut first = service(json!({ "clusterIP": "10.96.0.5", "ports": [{ "port": 80 }] }));
    a.allocate(&mut first).unwrap();
    assert_eq!(first["spec"]["clusterIPs"], json!(["10.96.0.5"]));
    let mut second = service(json!({ "clusterIP": "10.96.0.5" }));
    assert_eq!(
        messages(a.allocate(&mut second).unwrap_err()),
        [
            r#"spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated"#
        ]
    );
    let mut outside = service(json!({ "clusterIP": "10.200.0.1" }));
    assert_eq!(
        messages(a.allocate(&mut outside).unwrap_err()),
        [
            r#"spec.clusterIPs: Invalid value: []string{"10.200.0.1"}: failed to allocate IP 10.200.0.1: the provided IP (10.200.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"#
        ]
    );
    a.release(&first);
    a.allocate(&mut second).unwrap();
}

#[test]
fn dynamic_cluster_ips_avoid_the_static_band_and_headless_gets_none() {
    let mut a = allocator();
    for _ in 0..50 {
        let mut s = service(json!({}));
        a.allocate(&mut s).unwrap();
        let ip: Ipv4Addr = s["spec"]["clusterIP"].as_str().unwrap().parse().unwrap();
        let offset = u32::from(ip) - u32::from(Ipv4Addr::new(10, 96, 0, 0));
        assert!((256..(1 << 20) - 1).contains(&offset), "{ip}");
    }
    let mut headless = service(json!({ "clusterIP": "None" }));
    a.allocate(&mut headless).unwrap();
    assert_eq!(headless["spec"]["clusterIP"], "None");
}

#[test]
fn node_ports_are_allocated_and_conflicts_refused() {
    let mut a = allocator();
    let mut web = service(json!({ "type": "NodePort", "ports": [{ "port": 80, "nodePort": 30080 }, { "port": 443 }] }));
    a.allocate(&mut web).unwrap();
    let dynamic = web["spec"]["ports"][1]["nodePort"].as_u64().unwrap();
    assert!((30000..=32767).contains(&dynamic) && dynamic != 30080);
    let mut other = service(json!({ "type": "NodePort", "ports": [{ "port": 80, "nodePort": 30080 }] }));
    assert_eq!(
        messages(a.allocate(&mut other).unwrap_err()),
        ["spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"]
    );
    // The failed allocation took nothing: its ClusterIP is free again, and only the two ports are taken.
    assert_eq!(a.cluster_ips.len(), 1);
    assert_eq!(a.node_ports.len(), 2);
    // TCP and UDP of one port share a node port.
    let mut dns = service(json!({ "type": "NodePort", "ports": [
        { "port": 53, "protocol": "UDP", "nodePort": 30053 }, { "port": 53, "protocol": "TCP", "nodePort": 30053 }] }));
    a.allocate(&mut dns).unwrap();
}

#[test]
fn load_balancers_get_pool_addresses_in_status() {
    let mut a = allocator();
    let mut lb =
        service(json!({ "type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{ "port": 80 }] }));
    a.allocate(&mut lb).unwrap();
    assert_eq!(lb["status"]["loadBalancer"]["ingress"], json!([{ "ip": "10.250.0.1", "ipMode": "VIP" }]));
    assert!(lb["spec"]["healthCheckNodePort"].is_u64());
    let mut second = service(json!({ "type": "LoadBalancer", "ports": [{ "port": 80 }] }));
    a.allocate(&mut second).unwrap();
    assert_eq!(second["status"]["loadBalancer"]["ingress"][0]["ip"], "10.250.0.2");
    a.release(&lb);
    let mut third = service(json!({ "type": "LoadBalancer", "ports": [{ "port": 80 }] }));
    a.allocate(&mut third).unwrap();
    assert_eq!(third["status"]["loadBalancer"]["ingress"][0]["ip"], "10.250.0.1");
}

#[test]
fn updates_keep_allocated_values_and_refuse_a_changed_cluster_ip() {
    let mut a = allocator();
    let mut old = service(json!({ "type": "NodePort", "ports": [{ "port": 80, "protocol": "TCP" }] }));
    a.allocate(&mut old).unwrap();
    let mut new = service(json!({ "type": "NodePort", "ports": [{ "port": 80, "protocol": "TCP" }] }));
    a.reallocate(&old, &mut new).unwrap();
    assert_eq!(new["spec"]["clusterIP"], old["spec"]["clusterIP"]);
    assert_eq!(new["spec"]["ports"][0]["nodePort"], old["spec"]["ports"][0]["nodePort"]);
    let mut to_cluster_ip = service(json!({ "type": "ClusterIP", "ports": [{ "port": 80, "nodePort": 31000 }] }));
    a.reallocate(&new, &mut to_cluster_ip).unwrap();
    assert!(to_cluster_ip["spec"]["ports"][0].get("nodePort").is_none());
    assert!(a.node_ports.is_empty());
    let mut moved = service(json!({ "clusterIP": "10.96.0.99" }));
    let errors = a.reallocate(&to_cluster_ip, &mut moved).unwrap_err();
    assert_eq!(messages(errors), [r#"spec.clusterIPs[0]: Invalid value: "10.96.0.99": may not change once set"#]);
    assert_eq!(a.cluster_ips.len(), 1);
}
