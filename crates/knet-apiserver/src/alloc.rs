//! Address allocation for Services, as kube-apiserver's Service REST storage does it at create: ClusterIPs from the
//! service CIDR, NodePorts from the node port range, and (what a cloud's load-balancer controller would do)
//! LoadBalancer addresses from a local pool, written into `status.loadBalancer`. Released on delete; rebuilt from the
//! store at start by [`Allocator::mark`].
//!
//! ```text
//!  [Service] --spec.clusterIPs--> service CIDR 10.96.0.0/12   (10.96.0.1 kubernetes, 10.96.0.10 kube-dns)
//!            --spec.ports[].nodePort, healthCheckNodePort--> 30000-32767
//!            --status.loadBalancer.ingress[].ip--> 10.250.0.0/24
//! ```
//!
//! Like kube-apiserver's allocators, dynamic picks are random and prefer the upper part of each range, leaving the
//! lower band (the first 256 addresses, the first 86 ports) to clients that ask for a specific value. Everything here
//! works on the Service's JSON, under the one lock of the server's state: an allocation either takes everything the
//! Service needs or nothing.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use knet_object::{FieldError, FieldErrorKind};
use serde_json::{Value, json};

/// The ranges allocated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranges {
    /// The service CIDR's network address and prefix length.
    pub service_cidr: (Ipv4Addr, u8),
    /// The NodePort range.
    pub node_ports: RangeInclusive<u16>,
    /// The LoadBalancer pool's network address and prefix length.
    pub load_balancer_pool: (Ipv4Addr, u8),
}

impl Default for Ranges {
    fn default() -> Self {
        Ranges {
            service_cidr: (Ipv4Addr::new(10, 96, 0, 0), 12),
            node_ports: 30000..=32767,
            load_balancer_pool: (Ipv4Addr::new(10, 250, 0, 0), 24),
        }
    }
}

/// What is allocated, and a small random generator for dynamic picks.
#[derive(Debug)]
pub struct Allocator {
    ranges: Ranges,
    cluster_ips: HashSet<u32>,
    node_ports: HashSet<u16>,
    load_balancer_ips: HashSet<u32>,
    rng: u64,
}

/// xorshift64: dynamic picks need spread, not secrecy.
fn next_random(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}

/// Picks an offset in `0..size` that `excluded` does not reject, trying the upper band (`band..size`) first, from a
/// random start walking up and around, then the lower band.
fn pick(rng: &mut u64, size: u32, band: u32, excluded: impl Fn(u32) -> bool) -> Option<u32> {
    let band = band.min(size);
    let upper_len = u64::from(size - band).max(1);
    let start = band + (next_random(rng) % upper_len) as u32;
    (start..size).chain(band..start).chain(0..band).find(|&offset| !excluded(offset))
}

/// A block of IPv4 addresses as (first, count).
fn block((network, prefix): (Ipv4Addr, u8)) -> (u32, u32) {
    let size = 1u32 << (32 - u32::from(prefix.clamp(1, 31)));
    (u32::from(network) & !(size - 1), size)
}

fn invalid(field: &str, value: String, detail: String) -> FieldError {
    FieldError { kind: FieldErrorKind::Invalid, field: field.to_owned(), value: Some(value), detail }
}

fn ip_list(ip: &str) -> String {
    format!("[]string{{{ip:?}}}")
}

impl Allocator {
    /// An empty allocator over `ranges`; `seed` drives the dynamic picks.
    pub fn new(ranges: Ranges, seed: u64) -> Allocator {
        Allocator {
            ranges,
            cluster_ips: HashSet::new(),
            node_ports: HashSet::new(),
            load_balancer_ips: HashSet::new(),
            rng: seed | 1,
        }
    }

    /// Records the addresses of a stored Service (at start, and to undo a failed update).
    pub fn mark(&mut self, service: &Value) {
        let (first, size) = block(self.ranges.service_cidr);
        for ip in cluster_ips(service) {
            let ip = u32::from(ip);
            if ip.wrapping_sub(first) < size {
                self.cluster_ips.insert(ip);
            }
        }
        for port in node_ports(service) {
            self.node_ports.insert(port);
        }
        let (lb_first, lb_size) = block(self.ranges.load_balancer_pool);
        for ip in load_balancer_ips(service) {
            let ip = u32::from(ip);
            if ip.wrapping_sub(lb_first) < lb_size {
                self.load_balancer_ips.insert(ip);
            }
        }
    }

    /// Frees the addresses of a deleted Service.
    pub fn release(&mut self, service: &Value) {
        for ip in cluster_ips(service) {
            self.cluster_ips.remove(&u32::from(ip));
        }
        for port in node_ports(service) {
            self.node_ports.remove(&port);
        }
        for ip in load_balancer_ips(service) {
            self.load_balancer_ips.remove(&u32::from(ip));
        }
    }

    /// Allocates what a new (defaulted, valid) Service needs and writes it into the object: honours requested
    /// values that are free, refuses taken ones with kube-apiserver's field errors, picks the rest. On error
    /// nothing stays allocated.
    pub fn allocate(&mut self, service: &mut Value) -> Result<(), Vec<FieldError>> {
        let mut taken = Taken::default();
        let result = self.allocate_into(service, &mut taken);
        if result.is_err() {
            taken.undo(self);
        }
        result
    }

    /// Moves a Service's allocation from `old` to `new` (an update): values `new` leaves unset are carried over
    /// from `old` (kube-apiserver's `patchAllocatedValues`), a changed ClusterIP is refused, addresses the new type
    /// does not need are released. On error the old allocation stays as it was.
    pub fn reallocate(&mut self, old: &Value, new: &mut Value) -> Result<(), Vec<FieldError>> {
        carry_over(old, new)?;
        self.release(old);
        match self.allocate(new) {
            Ok(()) => Ok(()),
            Err(errors) => {
                self.mark(old);
                Err(errors)
            }
        }
    }

    fn allocate_into(&mut self, service: &mut Value, taken: &mut Taken) -> Result<(), Vec<FieldError>> {
        let service_type = service.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP").to_owned();
        if service_type != "ExternalName" {
            self.allocate_cluster_ip(service, taken)?;
        }
        if service_type == "NodePort" || service_type == "LoadBalancer" {
            let with_node_ports = service_type == "NodePort"
                || service.pointer("/spec/allocateLoadBalancerNodePorts").and_then(Value::as_bool) != Some(false);
            if with_node_ports {
                self.allocate_node_ports(service, taken)?;
            }
        } else if let Some(ports) = service.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
            // Only NodePort and LoadBalancer Services keep node ports; another type drops them.
            for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                port.remove("nodePort");
            }
        }
        if service_type == "LoadBalancer" {
            let local = service.pointer("/spec/externalTrafficPolicy").and_then(Value::as_str) == Some("Local");
            if local {
                self.allocate_health_check_port(service, taken)?;
            }
            self.allocate_load_balancer_ip(service, taken);
        } else if let Some(status) = service.get_mut("status").and_then(Value::as_object_mut) {
            status.remove("loadBalancer");
        }
        Ok(())
    }

    fn allocate_cluster_ip(&mut self, service: &mut Value, taken: &mut Taken) -> Result<(), Vec<FieldError>> {
        let requested = service
            .pointer("/spec/clusterIPs/0")
            .or_else(|| service.pointer("/spec/clusterIP"))
            .and_then(Value::as_str)
            .filter(|ip| !ip.is_empty())
            .map(str::to_owned);
        if requested.as_deref() == Some("None") {
            return Ok(());
        }
        let (first, size) = block(self.ranges.service_cidr);
        let ip = match requested {
            Some(text) => {
                let refuse = |detail: String| vec![invalid("spec.clusterIPs", ip_list(&text), detail)];
                let Ok(ip) = text.parse::<Ipv4Addr>() else {
                    return Err(refuse(format!("failed to allocate IP {text}: not an IPv4 address")));
                };
                let offset = u32::from(ip).wrapping_sub(first);
                if offset >= size || offset == 0 || offset == size - 1 {
                    let (network, prefix) = self.ranges.service_cidr;
                    return Err(refuse(format!(
                        "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of \
                         valid IPs is {network}/{prefix}"
                    )));
                }
                if !self.cluster_ips.insert(u32::from(ip)) {
                    return Err(refuse(format!("failed to allocate IP {ip}: provided IP is already allocated")));
                }
                ip
            }
            None => {
                let band = (size / 16).clamp(16, 256);
                let allocated = &self.cluster_ips;
                let excluded = |offset: u32| offset == 0 || offset == size - 1 || allocated.contains(&(first + offset));
                let Some(offset) = pick(&mut self.rng, size, band, excluded) else {
                    let detail = "failed to allocate a serviceIP: range is full".to_owned();
                    return Err(vec![invalid("spec.clusterIPs", "[]string(nil)".to_owned(), detail)]);
                };
                self.cluster_ips.insert(first + offset);
                Ipv4Addr::from(first + offset)
            }
        };
        taken.cluster_ips.push(u32::from(ip));
        if let Some(spec) = spec_mut(service) {
            spec.insert("clusterIP".to_owned(), json!(ip.to_string()));
            spec.insert("clusterIPs".to_owned(), json!([ip.to_string()]));
            spec.entry("ipFamilies").or_insert_with(|| json!(["IPv4"]));
            spec.entry("ipFamilyPolicy").or_insert_with(|| json!("SingleStack"));
        }
        Ok(())
    }

    fn take_port(&mut self, requested: Option<u16>, field: &str, taken: &mut Taken) -> Result<u16, Vec<FieldError>> {
        let range = self.ranges.node_ports.clone();
        let port = match requested {
            // A port this Service already took (TCP and UDP of one port number share it) is its own.
            Some(port) if taken.node_ports.contains(&port) => return Ok(port),
            Some(port) => {
                if !range.contains(&port) {
                    let detail = format!(
                        "provided port is not in the valid range. The range of valid ports is {}-{}",
                        range.start(),
                        range.end()
                    );
                    return Err(vec![invalid(field, port.to_string(), detail)]);
                }
                if self.node_ports.contains(&port) {
                    return Err(vec![invalid(
                        field,
                        port.to_string(),
                        "provided port is already allocated".to_owned(),
                    )]);
                }
                port
            }
            None => {
                let size = u32::from(range.end() - range.start()) + 1;
                let band = (size / 32).clamp(16, 128);
                let allocated = &self.node_ports;
                let start = *range.start();
                let excluded = |offset: u32| allocated.contains(&(start + offset as u16));
                let Some(offset) = pick(&mut self.rng, size, band, excluded) else {
                    let detail = "failed to allocate a nodePort: range is full".to_owned();
                    return Err(vec![invalid(field, "0".to_owned(), detail)]);
                };
                start + offset as u16
            }
        };
        self.node_ports.insert(port);
        taken.node_ports.push(port);
        Ok(port)
    }

    fn allocate_node_ports(&mut self, service: &mut Value, taken: &mut Taken) -> Result<(), Vec<FieldError>> {
        let count = service.pointer("/spec/ports").and_then(Value::as_array).map_or(0, Vec::len);
        for index in 0..count {
            let pointer = format!("/spec/ports/{index}");
            let requested = service
                .pointer(&format!("{pointer}/nodePort"))
                .and_then(Value::as_u64)
                .filter(|&p| p != 0)
                .map(|p| u16::try_from(p).unwrap_or(u16::MAX));
            let port = self.take_port(requested, &format!("spec.ports[{index}].nodePort"), taken)?;
            if let Some(entry) = service.pointer_mut(&pointer).and_then(Value::as_object_mut) {
                entry.insert("nodePort".to_owned(), json!(port));
            }
        }
        Ok(())
    }

    fn allocate_health_check_port(&mut self, service: &mut Value, taken: &mut Taken) -> Result<(), Vec<FieldError>> {
        let requested = service
            .pointer("/spec/healthCheckNodePort")
            .and_then(Value::as_u64)
            .filter(|&p| p != 0)
            .map(|p| u16::try_from(p).unwrap_or(u16::MAX));
        let port = self.take_port(requested, "spec.healthCheckNodePort", taken)?;
        if let Some(spec) = spec_mut(service) {
            spec.insert("healthCheckNodePort".to_owned(), json!(port));
        }
        Ok(())
    }

    /// Takes the requested (`spec.loadBalancerIP`, or the address the Service already has) or the lowest free
    /// address of the pool. A full pool leaves the Service pending, as a cloud without capacity does: not an error.
    fn allocate_load_balancer_ip(&mut self, service: &mut Value, taken: &mut Taken) {
        let (first, size) = block(self.ranges.load_balancer_pool);
        let requested = service
            .pointer("/spec/loadBalancerIP")
            .or_else(|| service.pointer("/status/loadBalancer/ingress/0/ip"))
            .and_then(Value::as_str)
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
            .map(u32::from)
            .filter(|ip| {
                let offset = ip.wrapping_sub(first);
                offset > 0 && offset < size - 1 && !self.load_balancer_ips.contains(ip)
            });
        let ip = requested.or_else(|| (1..size - 1).map(|o| first + o).find(|ip| !self.load_balancer_ips.contains(ip)));
        let Some(ip) = ip else { return };
        self.load_balancer_ips.insert(ip);
        taken.load_balancer_ips.push(ip);
        let Value::Object(object) = service else { return };
        let status = object.entry("status").or_insert_with(|| json!({}));
        if let Value::Object(status) = status {
            let ingress = json!({ "ingress": [{ "ip": Ipv4Addr::from(ip).to_string(), "ipMode": "VIP" }] });
            status.insert("loadBalancer".to_owned(), ingress);
        }
    }
}

/// What one allocation took, to give back if a later step fails.
#[derive(Debug, Default)]
struct Taken {
    cluster_ips: Vec<u32>,
    node_ports: Vec<u16>,
    load_balancer_ips: Vec<u32>,
}

impl Taken {
    fn undo(self, allocator: &mut Allocator) {
        for ip in self.cluster_ips {
            allocator.cluster_ips.remove(&ip);
        }
        for port in self.node_ports {
            allocator.node_ports.remove(&port);
        }
        for ip in self.load_balancer_ips {
            allocator.load_balancer_ips.remove(&ip);
        }
    }
}

/// The Service's `spec` as a map, made one if it is missing (`None` only if the Service is not an object).
fn spec_mut(service: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    let spec = service.as_object_mut()?.entry("spec").or_insert_with(|| json!({}));
    if !spec.is_object() {
        *spec = json!({});
    }
    spec.as_object_mut()
}

/// `patchAllocatedValues`: an update that leaves allocated values unset keeps them; a changed ClusterIP is refused.
fn carry_over(old: &Value, new: &mut Value) -> Result<(), Vec<FieldError>> {
    let old_type = old.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP");
    let new_type = new.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP").to_owned();
    let old_ip = old.pointer("/spec/clusterIP").and_then(Value::as_str).unwrap_or("").to_owned();
    let new_ip = new
        .pointer("/spec/clusterIPs/0")
        .or_else(|| new.pointer("/spec/clusterIP"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if old_type != "ExternalName" && new_type != "ExternalName" && !old_ip.is_empty() {
        if new_ip.is_empty() {
            let old_ips = old.pointer("/spec/clusterIPs").cloned().unwrap_or(json!([old_ip]));
            if let Some(spec) = spec_mut(new) {
                spec.insert("clusterIP".to_owned(), json!(old_ip));
                spec.insert("clusterIPs".to_owned(), old_ips);
            }
        } else if new_ip != old_ip {
            return Err(vec![invalid(
                "spec.clusterIPs[0]",
                format!("{new_ip:?}"),
                "may not change once set".to_owned(),
            )]);
        }
    }
    let needs_node_ports = |t: &str| t == "NodePort" || t == "LoadBalancer";
    if needs_node_ports(old_type) && needs_node_ports(&new_type) {
        let old_ports: Vec<(Value, Value, Value)> = old
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| (p["port"].clone(), p.get("protocol").cloned().unwrap_or(json!("TCP")), p["nodePort"].clone()))
            .collect();
        if let Some(ports) = new.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
            for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                if port.get("nodePort").and_then(Value::as_u64).unwrap_or(0) != 0 {
                    continue;
                }
                let protocol = port.get("protocol").cloned().unwrap_or(json!("TCP"));
                let old = old_ports.iter().find(|(p, proto, _)| Some(p) == port.get("port") && *proto == protocol);
                if let Some((_, _, node_port)) = old.filter(|(_, _, n)| n.is_u64()) {
                    port.insert("nodePort".to_owned(), node_port.clone());
                }
            }
        }
        if new.pointer("/spec/healthCheckNodePort").is_none()
            && let Some(port) = old.pointer("/spec/healthCheckNodePort").cloned()
            && let Some(spec) = spec_mut(new)
        {
            spec.insert("healthCheckNodePort".to_owned(), port);
        }
    }
    Ok(())
}

fn cluster_ips(service: &Value) -> Vec<Ipv4Addr> {
    let mut ips: Vec<Ipv4Addr> = service
        .pointer("/spec/clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(service.pointer("/spec/clusterIP"))
        .filter_map(Value::as_str)
        .filter_map(|ip| ip.parse().ok())
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

fn node_ports(service: &Value) -> Vec<u16> {
    service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("nodePort"))
        .chain(service.pointer("/spec/healthCheckNodePort"))
        .filter_map(Value::as_u64)
        .filter_map(|p| u16::try_from(p).ok())
        .filter(|&p| p != 0)
        .collect()
}

fn load_balancer_ips(service: &Value) -> Vec<Ipv4Addr> {
    service
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("ip").and_then(Value::as_str))
        .filter_map(|ip| ip.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests;
