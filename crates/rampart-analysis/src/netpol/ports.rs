//! Protocols, port sets and connection sets, with the text forms netpol-analyzer's
//! connectivity lists use (`All Connections`, `SCTP 1-9002,9004-65535,TCP 80`).

use std::fmt;

/// A protocol NetworkPolicy can name. The order is the order of the text form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// SCTP.
    Sctp,
    /// TCP, the default when a rule names none.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// Every protocol, in display order.
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// Parses `TCP`, `UDP` or `SCTP` (as the API spells them; case matters there too).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The API spelling.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// The lowest and highest port a connection can use.
pub const MIN_PORT: u16 = 1;
/// See [`MIN_PORT`].
pub const MAX_PORT: u16 = 65535;

/// A set of ports: sorted, disjoint, non-adjacent inclusive ranges within 1–65535.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    /// Every port.
    pub fn all() -> Self {
        PortSet(vec![(MIN_PORT, MAX_PORT)])
    }

    /// The ports `first..=last` (empty when `last < first`; port 0 is dropped).
    pub fn range(first: u16, last: u16) -> Self {
        let first = first.max(MIN_PORT);
        if last < first {
            PortSet::default()
        } else {
            PortSet(vec![(first, last)])
        }
    }

    /// No port.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every port.
    pub fn is_all(&self) -> bool {
        self.0 == [(MIN_PORT, MAX_PORT)]
    }

    /// The ranges.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    /// Adds every port of `other`.
    pub fn union_with(&mut self, other: &PortSet) {
        if other.0.is_empty() || self.is_all() {
            return;
        }
        if self.0.is_empty() {
            self.0.extend_from_slice(&other.0);
            return;
        }
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        self.0.clear();
        for (a, b) in all {
            match self.0.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => self.0.push((a, b)),
            }
        }
    }

    /// The ports in both sets.
    #[must_use]
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        if self.is_all() {
            return other.clone();
        }
        if other.is_all() {
            return self.clone();
        }
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a1, b1)), Some(&(a2, b2))) = (self.0.get(i), other.0.get(j)) {
            let (a, b) = (a1.max(a2), b1.min(b2));
            if a <= b {
                out.push((a, b));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet(out)
    }
}

impl PortSet {
    /// The ports of `self` that are not in `other`.
    #[must_use]
    pub fn subtract(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut start = u32::from(a);
            let end = u32::from(b);
            for &(x, y) in &other.0 {
                let (x, y) = (u32::from(x), u32::from(y));
                if y < start || x > end {
                    continue;
                }
                if x > start {
                    out.push((start, x - 1));
                }
                start = start.max(y + 1);
            }
            if start <= end {
                out.push((start, end));
            }
        }
        PortSet(
            out.into_iter()
                .filter_map(|(a, b)| Some((u16::try_from(a).ok()?, u16::try_from(b).ok()?)))
                .collect(),
        )
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

/// Allowed connections: a port set per protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnSet([PortSet; 3]);

impl ConnSet {
    /// No connection.
    pub fn none() -> Self {
        ConnSet::default()
    }

    /// Every protocol on every port.
    pub fn all() -> Self {
        ConnSet([PortSet::all(), PortSet::all(), PortSet::all()])
    }

    /// Nothing allowed.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(PortSet::is_empty)
    }

    /// Everything allowed.
    pub fn is_all(&self) -> bool {
        self.0.iter().all(PortSet::is_all)
    }

    /// The ports of one protocol.
    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        match protocol {
            Protocol::Sctp => &self.0[0],
            Protocol::Tcp => &self.0[1],
            Protocol::Udp => &self.0[2],
        }
    }

    /// Allows `ports` over `protocol` too.
    pub fn add(&mut self, protocol: Protocol, ports: &PortSet) {
        let slot = match protocol {
            Protocol::Sctp => &mut self.0[0],
            Protocol::Tcp => &mut self.0[1],
            Protocol::Udp => &mut self.0[2],
        };
        slot.union_with(ports);
    }

    /// Allows everything `other` allows too.
    pub fn union_with(&mut self, other: &ConnSet) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            mine.union_with(theirs);
        }
    }

    /// What both allow.
    #[must_use]
    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet([
            self.0[0].intersect(&other.0[0]),
            self.0[1].intersect(&other.0[1]),
            self.0[2].intersect(&other.0[2]),
        ])
    }

    /// What `self` allows and `other` does not.
    #[must_use]
    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        ConnSet([
            self.0[0].subtract(&other.0[0]),
            self.0[1].subtract(&other.0[1]),
            self.0[2].subtract(&other.0[2]),
        ])
    }

    /// Whether a connection to `port` over `protocol` is allowed.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports(protocol).contains(port)
    }
}

impl fmt::Display for ConnSet {
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
            write!(f, "{} {ports}", protocol.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_adjacent_and_overlapping_ranges() {
        let mut p = PortSet::range(80, 80);
        p.union_with(&PortSet::range(81, 90));
        p.union_with(&PortSet::range(100, 200));
        p.union_with(&PortSet::range(150, 300));
        assert_eq!(p.to_string(), "80-90,100-300");
        assert_eq!(
            p.intersect(&PortSet::range(85, 120)).to_string(),
            "85-90,100-120"
        );
    }

    #[test]
    fn text_form_orders_protocols_sctp_tcp_udp() {
        let mut c = ConnSet::none();
        c.add(Protocol::Udp, &PortSet::range(53, 53));
        c.add(Protocol::Tcp, &PortSet::range(53, 53));
        let mut sctp = PortSet::range(1, 9002);
        sctp.union_with(&PortSet::range(9004, 65535));
        c.add(Protocol::Sctp, &sctp);
        assert_eq!(c.to_string(), "SCTP 1-9002,9004-65535,TCP 53,UDP 53");
        let mut all = ConnSet::none();
        for p in Protocol::ALL {
            all.add(p, &PortSet::all());
        }
        assert_eq!(all.to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        assert!(PortSet::range(0, 0).is_empty());
        let mut holes = PortSet::all().subtract(&PortSet::range(80, 80));
        holes = holes.subtract(&PortSet::range(1, 10));
        assert_eq!(holes.to_string(), "11-79,81-65535");
        assert_eq!(ConnSet::all().subtract(&ConnSet::all()), ConnSet::none());
    }
}
