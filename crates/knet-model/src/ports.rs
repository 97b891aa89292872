//! Protocols, port ranges and connection sets: the "what may flow" half of every verdict.
//!
//! A [`Connections`] value is a set of (protocol, port) pairs stored as sorted disjoint ranges per protocol, so a
//! rule that allows `TCP 1-65535` costs the same as one that allows `TCP 80`, and union and intersection are linear.

use std::fmt;
use std::str::FromStr;

/// A transport protocol that Services, container ports and NetworkPolicies name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// The API spelling: `TCP`, `UDP`, `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Parses an API field, where an absent protocol means TCP.
    pub fn from_field(field: Option<&str>) -> Option<Protocol> {
        field.map_or(Some(Protocol::Tcp), |p| p.parse().ok())
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for Protocol {
    type Err = ();

    /// Accepts the API spelling only (`TCP`); the API server rejects `tcp`.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "TCP" => Ok(Protocol::Tcp),
            "UDP" => Ok(Protocol::Udp),
            "SCTP" => Ok(Protocol::Sctp),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lowest and highest port a connection can use.
pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of ports as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRanges {
    ranges: Vec<(u16, u16)>,
}

impl PortRanges {
    pub fn empty() -> PortRanges {
        PortRanges::default()
    }

    pub fn all() -> PortRanges {
        PortRanges { ranges: vec![(MIN_PORT, MAX_PORT)] }
    }

    /// The ports `low..=high`; empty when `low > high`.
    pub fn range(low: u16, high: u16) -> PortRanges {
        let low = low.max(MIN_PORT);
        if low > high {
            return PortRanges::empty();
        }
        PortRanges { ranges: vec![(low, high)] }
    }

    pub fn single(port: u16) -> PortRanges {
        PortRanges::range(port, port)
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.ranges == [(MIN_PORT, MAX_PORT)]
    }

    pub fn contains(&self, port: u16) -> bool {
        self.ranges.iter().any(|&(low, high)| low <= port && port <= high)
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    pub fn union(&self, other: &PortRanges) -> PortRanges {
        let mut all: Vec<(u16, u16)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (low, high) in all {
            match merged.last_mut() {
                Some(last) if u32::from(low) <= u32::from(last.1) + 1 => last.1 = last.1.max(high),
                _ => merged.push((low, high)),
            }
        }
        PortRanges { ranges: merged }
    }

    pub fn intersection(&self, other: &PortRanges) -> PortRanges {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a_low, a_high) = self.ranges[i];
            let (b_low, b_high) = other.ranges[j];
            let low = a_low.max(b_low);
            let high = a_high.min(b_high);
            if low <= high {
                out.push((low, high));
            }
            if a_high < b_high {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortRanges { ranges: out }
    }
}

/// `80,8000-8090`.
impl fmt::Display for PortRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, &(low, high)) in self.ranges.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}-{high}")?;
            }
        }
        Ok(())
    }
}

/// A set of (protocol, port) pairs: what one peer may open to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Connections {
    by_protocol: [PortRanges; 3],
}

impl Connections {
    pub fn none() -> Connections {
        Connections::default()
    }

    pub fn all() -> Connections {
        Connections { by_protocol: [PortRanges::all(), PortRanges::all(), PortRanges::all()] }
    }

    pub fn of(protocol: Protocol, ports: PortRanges) -> Connections {
        let mut connections = Connections::none();
        connections.by_protocol[protocol.index()] = ports;
        connections
    }

    pub fn port(protocol: Protocol, port: u16) -> Connections {
        Connections::of(protocol, PortRanges::single(port))
    }

    pub fn ports(&self, protocol: Protocol) -> &PortRanges {
        &self.by_protocol[protocol.index()]
    }

    pub fn is_empty(&self) -> bool {
        self.by_protocol.iter().all(PortRanges::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.by_protocol.iter().all(PortRanges::is_all)
    }

    pub fn allows(&self, protocol: Protocol, port: u16) -> bool {
        self.ports(protocol).contains(port)
    }

    pub fn union(&self, other: &Connections) -> Connections {
        Connections { by_protocol: std::array::from_fn(|i| self.by_protocol[i].union(&other.by_protocol[i])) }
    }

    pub fn intersection(&self, other: &Connections) -> Connections {
        Connections { by_protocol: std::array::from_fn(|i| self.by_protocol[i].intersection(&other.by_protocol[i])) }
    }
}

/// The netpol-analyzer wording: `All Connections`, `No Connections`, or `TCP 80,8000-8090,UDP 53`.
impl fmt::Display for Connections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for protocol in Protocol::ALL {
            let ports = self.ports(protocol);
            if ports.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{protocol} {ports}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display_matches_netpol_analyzer() {
        let c = Connections::port(Protocol::Tcp, 8090)
            .union(&Connections::port(Protocol::Tcp, 8000))
            .union(&Connections::port(Protocol::Udp, 53))
            .union(&Connections::of(Protocol::Tcp, PortRanges::range(1, 79)));
        assert_eq!(c.to_string(), "TCP 1-79,8000,8090,UDP 53");
        assert_eq!(Connections::all().to_string(), "All Connections");
        assert_eq!(PortRanges::range(1, 80).union(&PortRanges::range(81, 90)).to_string(), "1-90");
    }

    fn arb_ranges() -> impl Strategy<Value = PortRanges> {
        proptest::collection::vec((1u16..200, 0u16..20), 0..5).prop_map(|v| {
            v.into_iter().fold(PortRanges::empty(), |acc, (low, len)| acc.union(&PortRanges::range(low, low + len)))
        })
    }

    proptest! {
        #[test]
        fn set_operations_agree_with_membership(a in arb_ranges(), b in arb_ranges(), port in 1u16..230) {
            prop_assert_eq!(a.union(&b).contains(port), a.contains(port) || b.contains(port));
            prop_assert_eq!(a.intersection(&b).contains(port), a.contains(port) && b.contains(port));
        }

        #[test]
        fn ranges_stay_canonical(a in arb_ranges(), b in arb_ranges()) {
            let u = a.union(&b);
            for pair in u.ranges().windows(2) {
                prop_assert!(u32::from(pair[0].1) + 1 < u32::from(pair[1].0));
            }
            prop_assert_eq!(u.clone(), b.union(&a));
        }
    }
}
