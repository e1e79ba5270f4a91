//! CIDR and port-range tests.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde_json::Value;

use crate::lang::path::field;

/// A network, or a bare address as a host network.
pub fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Some(n);
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

/// The whole internet: `0.0.0.0/0` or `::/0`.
pub fn is_internet(n: &IpNet) -> bool {
    n.prefix_len() == 0
}

/// Inside RFC 1918 (10/8, 172.16/12, 192.168/16), shared 100.64/10, or
/// IPv6 unique-local fc00::/7. Loopback and link-local are not "private".
pub fn is_private(n: &IpNet) -> bool {
    match n {
        IpNet::V4(n) => {
            const NETS: [(u8, u8, u8); 4] =
                [(10, 0, 8), (172, 16, 12), (192, 168, 16), (100, 64, 10)];
            NETS.iter().any(|(a, b, len)| {
                Ipv4Net::new([*a, *b, 0, 0].into(), *len).is_ok_and(|p| p.contains(n))
            })
        }
        IpNet::V6(n) => Ipv6Net::new(
            "fc00::".parse().unwrap_or(std::net::Ipv6Addr::UNSPECIFIED),
            7,
        )
        .is_ok_and(|p| p.contains(n)),
    }
}

pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

/// The port range a security-group rule opens, or None when ports do not
/// apply (icmp, esp, …). Protocol `all`/`-1` (or none given) means every
/// port; a TCP/UDP rule without ports means every port.
pub fn rule_ports(rule: &Value) -> Option<(&str, u16, u16)> {
    let proto = match field(rule, "protocol") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Number(n)) if n.as_i64() == Some(-1) => "all",
        None | Some(Value::Null) => "all",
        _ => return None,
    };
    let proto = if proto == "-1" { "all" } else { proto };
    // Only TCP and UDP have ports; ICMP, ESP, GRE and the rest open none.
    let proto = match proto {
        "all" => return Some(("all", 0, 65535)),
        "tcp" | "6" => "tcp",
        "udp" | "17" => "udp",
        _ => return None,
    };
    let port = |k: &str| {
        field(rule, k)
            .and_then(Value::as_i64)
            .filter(|p| (0..=65535).contains(p))
            .map(|p| p as u16)
    };
    match (port("from_port"), port("to_port")) {
        (Some(f), Some(t)) => Some((proto, f.min(t), f.max(t))),
        (Some(p), None) | (None, Some(p)) => Some((proto, p, p)),
        (None, None) => Some((proto, 0, 65535)),
    }
}

/// Whether the rule opens any of `ports`.
pub fn port_includes(rule: &Value, ports: &[u16]) -> bool {
    rule_ports(rule).is_some_and(|(_, f, t)| ports.iter().any(|p| (f..=t).contains(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(s: &str) -> IpNet {
        parse_net(s).unwrap()
    }

    #[test]
    fn cidr_tests() {
        assert!(is_internet(&n("0.0.0.0/0")) && is_internet(&n("::/0")));
        assert!(!is_internet(&n("10.0.0.0/8")));
        assert!(is_private(&n("10.1.2.0/24")) && is_private(&n("172.31.0.5")));
        assert!(is_private(&n("192.168.1.1/32")) && is_private(&n("fd00::/8")));
        assert!(!is_private(&n("8.8.8.8")) && !is_private(&n("0.0.0.0/0")));
        assert!(!is_private(&n("172.32.0.0/16")));
        assert!(n("10.0.0.0/8").contains(&n("10.2.3.4")));
        assert!(overlaps(&n("10.0.0.0/8"), &n("10.5.0.0/16")));
        assert!(overlaps(&n("10.5.0.0/16"), &n("10.0.0.0/8")));
        assert!(!overlaps(&n("10.0.0.0/8"), &n("192.168.0.0/16")));
        assert!(parse_net("nope").is_none() && parse_net("10.0.0.0/33").is_none());
    }

    #[test]
    fn port_ranges() {
        let ssh = json!({"protocol": "tcp", "from_port": 22, "to_port": 22});
        assert!(port_includes(&ssh, &[22]) && !port_includes(&ssh, &[3389]));
        let range = json!({"protocol": "tcp", "from_port": 0, "to_port": 1024});
        assert!(port_includes(&range, &[3389, 22]));
        let all = json!({"protocol": "all"});
        assert!(port_includes(&all, &[3306]));
        assert!(port_includes(&json!({"protocol": "-1"}), &[1]));
        assert!(port_includes(&json!({"protocol": "udp"}), &[53]));
        let icmp = json!({"protocol": "icmp", "from_port": 8, "to_port": 0});
        assert!(!port_includes(&icmp, &[8]));
        let esp = json!({"protocol": "50", "from_port": null, "to_port": null});
        assert!(!port_includes(&esp, &[22]));
        assert!(port_includes(
            &json!({"protocol": "6", "from_port": 22, "to_port": 22}),
            &[22]
        ));
        assert_eq!(rule_ports(&json!({})), Some(("all", 0, 65535)));
    }
}
