//! Address sets for `ipBlock` peers: a CIDR minus its `except` CIDRs, IPv4 and IPv6,
//! and the cutting of the whole address space into pieces that every block either
//! contains or misses (the external peers of a connectivity list).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }
}

/// An inclusive range of addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpRange {
    /// The family.
    pub family: Family,
    /// The first address.
    pub first: u128,
    /// The last address.
    pub last: u128,
}

impl IpRange {
    /// Every address of a family.
    pub fn everything(family: Family) -> Self {
        IpRange {
            family,
            first: 0,
            last: family.max(),
        }
    }

    /// The range of one address.
    pub fn address(ip: IpAddr) -> Self {
        let (family, n) = split(ip);
        IpRange {
            family,
            first: n,
            last: n,
        }
    }

    /// Parses `10.0.0.0/8` or `fd00::/8` (host bits are masked off, as Go's
    /// `net.ParseCIDR` does for the network).
    pub fn parse_cidr(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a CIDR (no `/prefix`)"))?;
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IP address"))?;
        let (family, n) = split(ip);
        let bits = match family {
            Family::V4 => 32,
            Family::V6 => 128,
        };
        let prefix: u32 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= bits)
            .ok_or_else(|| format!("`/{prefix}` is not a prefix length for `{addr}`"))?;
        let host_bits = bits - prefix;
        let host_mask = if host_bits == 0 {
            0
        } else if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let first = n & !host_mask & family.max();
        Ok(IpRange {
            family,
            first,
            last: first | host_mask,
        })
    }

    /// Parses an address, a CIDR or a `first-last` range.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.contains('/') {
            return Self::parse_cidr(text);
        }
        if let Some((a, b)) = text.split_once('-') {
            let (a, b) = (Self::parse(a)?, Self::parse(b)?);
            if a.family != b.family || b.last < a.first {
                return Err(format!("`{text}` is not an address range"));
            }
            return Ok(IpRange {
                family: a.family,
                first: a.first,
                last: b.last,
            });
        }
        text.trim()
            .parse::<IpAddr>()
            .map(Self::address)
            .map_err(|_| format!("`{text}` is not an IP address, CIDR or range"))
    }

    /// Whether every address of `self` is in `other`.
    pub fn within(&self, other: &IpRange) -> bool {
        self.family == other.family && other.first <= self.first && self.last <= other.last
    }
}

fn split(ip: IpAddr) -> (Family, u128) {
    match ip {
        IpAddr::V4(v4) => (Family::V4, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (Family::V6, u128::from(v6)),
    }
}

fn show(family: Family, n: u128) -> String {
    match family {
        Family::V4 => Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)).to_string(),
        Family::V6 => Ipv6Addr::from(n).to_string(),
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            show(self.family, self.first),
            show(self.family, self.last)
        )
    }
}

/// The addresses of an `ipBlock`: sorted, disjoint ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpSet(Vec<IpRange>);

impl IpSet {
    /// `cidr` minus every `except`.
    pub fn block(cidr: &str, except: &[String]) -> Result<Self, String> {
        let mut ranges = vec![IpRange::parse_cidr(cidr)?];
        for e in except {
            let cut = IpRange::parse_cidr(e)?;
            ranges = ranges.into_iter().flat_map(|r| subtract(r, cut)).collect();
        }
        Ok(IpSet(ranges))
    }

    /// The addresses of both sets.
    #[must_use]
    pub fn union(&self, other: &IpSet) -> IpSet {
        let mut ranges: Vec<IpRange> = self.0.iter().chain(&other.0).copied().collect();
        ranges.sort();
        let mut out: Vec<IpRange> = Vec::new();
        for r in ranges {
            match out.last_mut() {
                Some(last) if last.family == r.family && r.first <= last.last.saturating_add(1) => {
                    last.last = last.last.max(r.last);
                }
                _ => out.push(r),
            }
        }
        IpSet(out)
    }

    /// The ranges.
    pub fn ranges(&self) -> &[IpRange] {
        &self.0
    }

    /// Whether every address of `range` is in the set.
    pub fn contains(&self, range: &IpRange) -> bool {
        self.0.iter().any(|r| range.within(r))
    }

    /// Whether the set and `range` share an address.
    pub fn overlaps(&self, range: &IpRange) -> bool {
        self.0
            .iter()
            .any(|r| r.family == range.family && r.first <= range.last && range.first <= r.last)
    }
}

fn subtract(r: IpRange, cut: IpRange) -> Vec<IpRange> {
    if r.family != cut.family || cut.last < r.first || r.last < cut.first {
        return vec![r];
    }
    let mut out = Vec::new();
    if r.first < cut.first {
        out.push(IpRange {
            last: cut.first - 1,
            ..r
        });
    }
    if cut.last < r.last {
        out.push(IpRange {
            first: cut.last + 1,
            ..r
        });
    }
    out
}

/// Cuts the whole IPv4 space (and the IPv6 space, when a block uses it) at the edges
/// of every block, so each piece is either inside or outside each block. This is the
/// same partition as netpol-analyzer's `DisjointIPBlocks` with `0.0.0.0/0`.
pub fn pieces<'a>(blocks: impl IntoIterator<Item = &'a IpSet>) -> Vec<IpRange> {
    let mut cuts_v4 = vec![0u128];
    let mut cuts_v6 = vec![0u128];
    let mut has_v6 = false;
    for r in blocks.into_iter().flat_map(|b| b.0.iter()) {
        let cuts = match r.family {
            Family::V4 => &mut cuts_v4,
            Family::V6 => {
                has_v6 = true;
                &mut cuts_v6
            }
        };
        cuts.push(r.first);
        if r.last < r.family.max() {
            cuts.push(r.last + 1);
        }
    }
    let mut out = Vec::new();
    let mut families = vec![(Family::V4, cuts_v4)];
    if has_v6 {
        families.push((Family::V6, cuts_v6));
    }
    for (family, mut cuts) in families {
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &first) in cuts.iter().enumerate() {
            let last = cuts.get(i + 1).map_or(family.max(), |next| next - 1);
            out.push(IpRange {
                family,
                first,
                last,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_match_netpol_analyzer_disjoint_blocks() {
        // netpol-analyzer's TestDisjointIpBlocks on its ipblockstest policies.
        let blocks = [
            IpSet::block("10.0.0.0/8", &[]).unwrap(),
            IpSet::block("172.21.0.0/16", &[]).unwrap(),
            IpSet::block("172.30.0.0/16", &[]).unwrap(),
        ];
        let got: Vec<String> = pieces(&blocks).iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-172.20.255.255",
                "172.21.0.0-172.21.255.255",
                "172.22.0.0-172.29.255.255",
                "172.30.0.0-172.30.255.255",
                "172.31.0.0-255.255.255.255",
            ]
        );
    }

    #[test]
    fn except_and_ipv6() {
        let b = IpSet::block("0.0.0.0/0", &["169.254.169.254/32".into()]).unwrap();
        assert!(!b.contains(&IpRange::parse("169.254.169.254").unwrap()));
        assert!(b.contains(&IpRange::parse("8.8.8.8").unwrap()));
        let v6 = IpSet::block("fd00::/8", &["fd00::/16".into()]).unwrap();
        assert!(v6.contains(&IpRange::parse("fd01::1").unwrap()));
        assert!(!v6.contains(&IpRange::parse("fd00::1").unwrap()));
        assert!(!v6.contains(&IpRange::parse("10.0.0.1").unwrap()));
        assert_eq!(
            IpRange::parse_cidr("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0-10.255.255.255"
        );
        assert!(IpRange::parse_cidr("10.0.0.0/33").is_err());
        assert!(IpRange::parse_cidr("nope/8").is_err());
        let p = pieces([&v6]);
        assert_eq!(p.len(), 1 + 3);
    }
}
