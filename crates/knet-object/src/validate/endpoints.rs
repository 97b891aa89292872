//! Endpoints and EndpointSlices, lightly: addresses, ports and names, after `ValidateEndpointsCreate` in
//! `pkg/apis/core/validation` and `ValidateEndpointSliceCreate` in `pkg/apis/discovery/validation`.
//!
//! These objects are usually written by controllers; a manifest carries them for Services without selectors, so the
//! checks here are the ones such a hand-written object gets wrong.

use std::collections::HashSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, Endpoints};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::content::{self, NameUse};
use super::field::{ErrorList, Path};
use super::meta::{self, NameFormat};
use super::net;
use super::service::{IP_MESSAGE, PROTOCOLS, non_special_ip};

/// The most addresses of one EndpointSlice endpoint, ports of one slice, and endpoints of one slice.
const MAX_ADDRESSES: usize = 100;
const MAX_PORTS: usize = 100;
const MAX_ENDPOINTS: usize = 1000;

/// `ValidateEndpointsCreate`: every subset's addresses are real, non-special IPs; ports are named when several.
pub(crate) fn endpoints(endpoints: &Endpoints, errors: &mut ErrorList) {
    meta::object_meta(&endpoints.metadata, true, NameFormat::DnsSubdomain, errors);
    for (i, subset) in endpoints.subsets.iter().flatten().enumerate() {
        let path = Path::root("subsets").index(i);
        let addresses = subset.addresses.as_deref().unwrap_or_default();
        let not_ready = subset.not_ready_addresses.as_deref().unwrap_or_default();
        if addresses.is_empty() && not_ready.is_empty() {
            errors.required(&path, "must specify `addresses` or `notReadyAddresses`");
        }
        for (j, address) in addresses.iter().enumerate() {
            endpoint_address(address, &path.child("addresses").index(j), errors);
        }
        for (j, address) in not_ready.iter().enumerate() {
            endpoint_address(address, &path.child("notReadyAddresses").index(j), errors);
        }
        let ports = subset.ports.as_deref().unwrap_or_default();
        for (j, port) in ports.iter().enumerate() {
            endpoint_port(port, ports.len() > 1, &path.child("ports").index(j), errors);
        }
    }
}

/// `validateEndpointAddress`.
fn endpoint_address(address: &EndpointAddress, path: &Path, errors: &mut ErrorList) {
    let ip_path = path.child("ip");
    let ip = net::parse_ip(&address.ip);
    if ip.is_none() {
        errors.invalid(&ip_path, &address.ip, IP_MESSAGE);
    }
    if let Some(hostname) = address.hostname.as_deref().filter(|h| !h.is_empty()) {
        errors.invalid_each(&path.child("hostname"), hostname, content::dns1123_label(hostname));
    }
    if let Some(node) = &address.node_name {
        errors.invalid_each(&path.child("nodeName"), node, content::name_is_dns_subdomain(node, NameUse::Name));
    }
    // `ValidateNonSpecialIP` runs last and repeats, in its own words, that an unparsable address is not an IP.
    match ip {
        Some(ip) => non_special_ip(&address.ip, ip, &ip_path, errors),
        None => errors.invalid(&ip_path, &address.ip, "must be a valid IP address"),
    }
}

/// `validateEndpointPort`.
fn endpoint_port(port: &EndpointPort, require_name: bool, path: &Path, errors: &mut ErrorList) {
    let name = port.name.as_deref().unwrap_or_default();
    if require_name && name.is_empty() {
        errors.required(&path.child("name"), "");
    } else if !name.is_empty() {
        errors.invalid_each(&path.child("name"), name, content::dns1123_label(name));
    }
    for message in content::port_num(i64::from(port.port)) {
        errors.invalid(&path.child("port"), port.port, &message);
    }
    match port.protocol.as_deref().unwrap_or_default() {
        "" => errors.required(&path.child("protocol"), ""),
        p if PROTOCOLS.contains(&p) => {}
        p => errors.not_supported(&path.child("protocol"), p, &PROTOCOLS),
    }
}

/// `ValidateEndpointSliceCreate`. Its paths start at the top level (`addressType`, `endpoints[0]`), not `spec`.
pub(crate) fn endpoint_slice(slice: &EndpointSlice, errors: &mut ErrorList) {
    meta::object_meta(&slice.metadata, true, NameFormat::DnsSubdomain, errors);
    let address_type = slice.address_type.as_str();
    match address_type {
        "" => errors.required(&Path::root("addressType"), ""),
        "IPv4" | "IPv6" | "FQDN" => {}
        other => errors.not_supported(&Path::root("addressType"), other, &["FQDN", "IPv4", "IPv6"]),
    }
    let endpoints_path = Path::root("endpoints");
    if slice.endpoints.len() > MAX_ENDPOINTS {
        errors.too_many(&endpoints_path, slice.endpoints.len(), MAX_ENDPOINTS);
    } else {
        for (i, endpoint) in slice.endpoints.iter().enumerate() {
            let path = endpoints_path.index(i);
            let addresses_path = path.child("addresses");
            if endpoint.addresses.is_empty() {
                errors.required(&addresses_path, "must contain at least 1 address");
            } else if endpoint.addresses.len() > MAX_ADDRESSES {
                errors.too_many(&addresses_path, endpoint.addresses.len(), MAX_ADDRESSES);
            }
            for (j, address) in endpoint.addresses.iter().enumerate() {
                slice_address(address, address_type, &addresses_path.index(j), errors);
            }
            if let Some(hostname) = &endpoint.hostname {
                errors.invalid_each(&path.child("hostname"), hostname, content::dns1123_label(hostname));
            }
        }
    }
    let ports = slice.ports.as_deref().unwrap_or_default();
    let ports_path = Path::root("ports");
    if ports.len() > MAX_PORTS {
        return errors.too_many(&ports_path, ports.len(), MAX_PORTS);
    }
    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let path = ports_path.index(i);
        let name = port.name.as_deref().unwrap_or_default();
        if !name.is_empty() {
            errors.invalid_each(&path.child("name"), name, content::dns1123_label(name));
        }
        if !names.insert(name) {
            errors.duplicate(&path.child("name"), name);
        }
        match port.protocol.as_deref() {
            None => errors.required(&path.child("protocol"), ""),
            Some(p) if PROTOCOLS.contains(&p) => {}
            Some(p) => errors.not_supported(&path.child("protocol"), p, &PROTOCOLS),
        }
        if let Some(app_protocol) = &port.app_protocol {
            errors.invalid_each(&path.child("appProtocol"), app_protocol, content::qualified_name(app_protocol));
        }
    }
}

/// One address of an EndpointSlice endpoint, checked against the slice's address type.
fn slice_address(address: &str, address_type: &str, path: &Path, errors: &mut ErrorList) {
    let ip = net::parse_ip(address);
    match address_type {
        "IPv4" | "IPv6" => {
            let family_ok = match (address_type, ip) {
                ("IPv4", Some(IpAddr::V4(_))) => true,
                ("IPv4", Some(IpAddr::V6(v6))) => v6.to_ipv4_mapped().is_some(),
                ("IPv6", Some(IpAddr::V6(v6))) => v6.to_ipv4_mapped().is_none(),
                _ => false,
            };
            if !family_ok {
                errors.invalid(path, address, &format!("must be a valid {address_type} address"));
            }
            match ip {
                Some(ip) => non_special_ip(address, ip, path, errors),
                None => errors.invalid(path, address, "must be a valid IP address"),
            }
        }
        "FQDN" => fully_qualified_domain_name(address, path, errors),
        _ => {}
    }
}

/// `IsFullyQualifiedDomainName`: a subdomain of at least two labels, optionally ending with the root dot.
fn fully_qualified_domain_name(value: &str, path: &Path, errors: &mut ErrorList) {
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() {
        return errors.required(path, "");
    }
    let messages = content::dns1123_subdomain(name);
    if !messages.is_empty() {
        return errors.invalid(path, name, &messages.join(","));
    }
    if !name.contains('.') {
        errors.invalid(path, name, "should be a domain with at least two segments separated by dots");
    }
}
