//! IP networks and address ranges: CIDR parsing for ipBlocks, and the split of the address space into the disjoint
//! ranges that every ipBlock either wholly contains or wholly excludes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    fn addr(self, value: u128) -> IpAddr {
        match self {
            // The value of a V4 range never exceeds u32::MAX; the conversion is total to keep the code panic-free.
            Family::V4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX))),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(value)),
        }
    }
}

fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

fn numeric(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpRange {
    pub family: Family,
    pub start: u128,
    pub end: u128,
}

impl IpRange {
    /// Every address of the family: `0.0.0.0-255.255.255.255`.
    pub fn everything(family: Family) -> IpRange {
        IpRange { family, start: 0, end: family.max() }
    }

    pub fn single(addr: IpAddr) -> IpRange {
        IpRange { family: family_of(addr), start: numeric(addr), end: numeric(addr) }
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        family_of(addr) == self.family && self.start <= numeric(addr) && numeric(addr) <= self.end
    }

    /// Whether `other` lies wholly inside this range.
    pub fn covers(&self, other: &IpRange) -> bool {
        self.family == other.family && self.start <= other.start && other.end <= self.end
    }

    pub fn start_addr(&self) -> IpAddr {
        self.family.addr(self.start)
    }

    pub fn end_addr(&self) -> IpAddr {
        self.family.addr(self.end)
    }
}

/// `10.0.0.0-10.255.255.255`, the netpol-analyzer form.
impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start_addr(), self.end_addr())
    }
}

/// A CIDR block such as `10.0.0.0/8`. Host bits may be set, as the API allows (`10.1.2.3/8` means `10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Why a CIDR string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR {0:?}: must be an address and a prefix length, e.g. 10.9.8.0/24 or 2001:db8::/64")]
pub struct CidrError(pub String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Cidr, CidrError> {
        let error = || CidrError(s.to_owned());
        let (addr, prefix) = s.split_once('/').ok_or_else(error)?;
        let addr: IpAddr = addr.parse().map_err(|_| error())?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
            return Err(error());
        }
        let prefix: u8 = prefix.parse().map_err(|_| error())?;
        if prefix > family_of(addr).bits() {
            return Err(error());
        }
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    pub fn family(&self) -> Family {
        family_of(self.addr)
    }

    pub fn range(&self) -> IpRange {
        let family = self.family();
        let host_bits = u32::from(family.bits() - self.prefix);
        let host_mask = if host_bits == 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
        let start = numeric(self.addr) & !host_mask & family.max();
        IpRange { family, start, end: start | (host_mask & family.max()) }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Splits each family's whole address space at every boundary of `blocks`, returning disjoint ranges in order.
/// Every block, and every union or difference of blocks, is then a union of whole returned ranges.
pub fn partition(blocks: &[IpRange]) -> Vec<IpRange> {
    let mut out = Vec::new();
    for family in [Family::V4, Family::V6] {
        let mut cuts: Vec<u128> = vec![0];
        for block in blocks.iter().filter(|b| b.family == family) {
            cuts.push(block.start);
            if block.end < family.max() {
                cuts.push(block.end + 1);
            }
        }
        let has_blocks = blocks.iter().any(|b| b.family == family);
        if family == Family::V6 && !has_blocks {
            // IPv6 is only shown when a policy mentions it, to keep IPv4-only reports short.
            continue;
        }
        cuts.sort_unstable();
        cuts.dedup();
        for (index, &start) in cuts.iter().enumerate() {
            let end = cuts.get(index + 1).map_or(family.max(), |next| next - 1);
            out.push(IpRange { family, start, end });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cidr_parsing() {
        let c: Cidr = "10.1.2.3/8".parse().unwrap();
        assert_eq!(c.range().to_string(), "10.0.0.0-10.255.255.255");
        assert_eq!("0.0.0.0/0".parse::<Cidr>().unwrap().range().to_string(), "0.0.0.0-255.255.255.255");
        assert_eq!("::/0".parse::<Cidr>().unwrap().range().end, u128::MAX);
        for bad in ["10.0.0.0/33", "10.0.0.0", "10.0.0/8", "10.0.0.0/+8", "10.0.0.0/", "x/1", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn partition_splits_at_block_edges() {
        let blocks: Vec<IpRange> =
            ["10.0.0.0/8", "10.1.0.0/16"].iter().map(|s| s.parse::<Cidr>().unwrap().range()).collect();
        let parts: Vec<String> = partition(&blocks).iter().map(ToString::to_string).collect();
        assert_eq!(
            parts,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.0.255.255",
                "10.1.0.0-10.1.255.255",
                "10.2.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = s.parse::<Cidr>();
        }

        #[test]
        fn partition_is_exact_cover(a in any::<u32>(), pa in 0u8..=32, b in any::<u32>(), pb in 0u8..=32) {
            let blocks = [
                Cidr { addr: IpAddr::V4(a.into()), prefix: pa }.range(),
                Cidr { addr: IpAddr::V4(b.into()), prefix: pb }.range(),
            ];
            let parts = partition(&blocks);
            prop_assert_eq!(parts[0].start, 0);
            prop_assert_eq!(parts.last().unwrap().end, u128::from(u32::MAX));
            for pair in parts.windows(2) {
                prop_assert_eq!(pair[0].end + 1, pair[1].start);
            }
            for part in &parts {
                for block in &blocks {
                    let disjoint = part.end < block.start || block.end < part.start;
                    prop_assert!(block.covers(part) || disjoint);
                }
            }
        }
    }
}
