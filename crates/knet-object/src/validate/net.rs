//! IP addresses and CIDRs parsed as `k8s.io/utils/net.ParseIPSloppy` and `ParseCIDRSloppy` parse them.
//!
//! "Sloppy" is Go 1.16's parser, which kube-apiserver keeps for compatibility: IPv4 octets may have leading zeros
//! (`010.1.1.1` is 10.1.1.1). Rust's parser refuses those, so IPv4 is parsed by hand here and IPv6 by the standard
//! library.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IP address as Go's sloppy parser accepts it.
pub(crate) fn parse_ip(value: &str) -> Option<IpAddr> {
    if value.contains(':') { value.parse::<Ipv6Addr>().ok().map(IpAddr::V6) } else { parse_ipv4(value).map(IpAddr::V4) }
}

/// Dotted-quad IPv4 with decimal octets that may have leading zeros.
fn parse_ipv4(value: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = value.split('.');
    for octet in &mut octets {
        *octet = parse_decimal(parts.next()?, 255)? as u8;
    }
    match parts.next() {
        Some(_) => None,
        None => Some(Ipv4Addr::from(octets)),
    }
}

/// A non-empty run of ASCII digits with a value of at most `max`.
fn parse_decimal(digits: &str, max: u32) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: u32 = 0;
    for b in digits.bytes() {
        value = value.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        if value > max {
            return None;
        }
    }
    Some(value)
}

/// A parsed CIDR: the network address (host bits cleared) and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `other`'s network address lies inside this CIDR (`net.IPNet.Contains` of `other.IP`).
    pub(crate) fn contains_network_of(&self, other: &Cidr) -> bool {
        match (self.network, other.network) {
            (IpAddr::V4(a), IpAddr::V4(b)) => mask_v4(u32::from(b), self.prefix) == u32::from(a),
            (IpAddr::V6(a), IpAddr::V6(b)) => mask_v6(u128::from(b), self.prefix) == u128::from(a),
            _ => false,
        }
    }

    pub(crate) fn prefix(&self) -> u8 {
        self.prefix
    }
}

fn mask_v4(addr: u32, prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p if p >= 32 => addr,
        p => addr & (u32::MAX << (32 - u32::from(p))),
    }
}

fn mask_v6(addr: u128, prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p if p >= 128 => addr,
        p => addr & (u128::MAX << (128 - u32::from(p))),
    }
}

/// `ParseCIDRSloppy`: `address/prefix`, the prefix at most 32 (IPv4) or 128 (IPv6).
pub(crate) fn parse_cidr(value: &str) -> Option<Cidr> {
    let (address, prefix) = value.split_once('/')?;
    let ip = parse_ip(address)?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = parse_decimal(prefix, max)? as u8;
    let network = match ip {
        IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(mask_v4(u32::from(v4), prefix))),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(mask_v6(u128::from(v6), prefix))),
    };
    Some(Cidr { network, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sloppy_ipv4_allows_leading_zeros() {
        assert_eq!(parse_ip("010.001.0.1"), Some("10.1.0.1".parse().unwrap()));
        assert_eq!(parse_ip("1.2.3"), None);
        assert_eq!(parse_ip("1.2.3.256"), None);
        assert_eq!(parse_ip("1.2.3.4.5"), None);
        assert_eq!(parse_ip(""), None);
        assert!(parse_ip("2001:db8::1").is_some());
    }

    #[test]
    fn cidrs_and_containment() {
        let outer = parse_cidr("10.0.0.0/16").unwrap();
        let inner = parse_cidr("10.0.1.0/24").unwrap();
        let other = parse_cidr("10.1.0.0/16").unwrap();
        assert!(outer.contains_network_of(&inner));
        assert!(!outer.contains_network_of(&other));
        assert_eq!(parse_cidr("10.0.0.0/33"), None);
        assert_eq!(parse_cidr("10.0.0.0"), None);
        assert_eq!(parse_cidr("10.0.0.0/"), None);
        assert_eq!(parse_cidr("10.0.0.5/8"), parse_cidr("10.0.0.0/8"));
        assert!(parse_cidr("2001:db8::/64").is_some());
    }
}
