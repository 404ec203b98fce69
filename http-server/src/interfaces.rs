//! A network interface's name (`eth0`) as the host to bind: its address, read from
//! Linux's `/proc/net` (no `getifaddrs` call, so no unsafe code and no extra crate).
//!
//! IPv4: the local addresses in `/proc/net/fib_trie` (`/32 host LOCAL`), the first one
//! inside a network `/proc/net/route` sends through the interface (`lo`: 127.0.0.1).
//! Else IPv6: the interface's first global address in `/proc/net/if_inet6` (link-local
//! addresses need a scope and are skipped). Elsewhere than Linux, names are not looked up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The address of the interface called `name`; `None` when `name` is an address, not an
/// interface, or the interface has no usable address (the host is then resolved as usual).
pub(crate) fn address_of(name: &str) -> Option<IpAddr> {
    if name.is_empty()
        || name.len() > 15
        || name.parse::<IpAddr>().is_ok()
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
        || name.starts_with('.')
    {
        return None;
    }
    if !std::path::Path::new("/sys/class/net").join(name).exists() {
        return None;
    }
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    ipv4_of(name, &read("/proc/net/route"), &read("/proc/net/fib_trie"))
        .map(IpAddr::V4)
        .or_else(|| ipv6_of(name, &read("/proc/net/if_inet6")).map(IpAddr::V6))
}

fn ipv4_of(name: &str, route: &str, fib_trie: &str) -> Option<Ipv4Addr> {
    let hex = |s: &str| u32::from_str_radix(s, 16).ok().map(|x| Ipv4Addr::from(x.to_le_bytes()));
    let nets: Vec<(u32, u32)> = route
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (dest, mask) = (hex(f.get(1)?)?, hex(f.get(7)?)?);
            (f[0] == name && !mask.is_unspecified()).then_some((u32::from(dest), u32::from(mask)))
        })
        .collect();
    let mut lines = fib_trie.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(ip) = line.trim().strip_prefix("|-- ").and_then(|a| a.parse::<Ipv4Addr>().ok()) else {
            continue;
        };
        if !lines.peek().is_some_and(|l| l.contains("/32 host LOCAL")) {
            continue;
        }
        let on_iface = if name == "lo" { ip.is_loopback() } else { nets.iter().any(|&(d, m)| u32::from(ip) & m == d) };
        if on_iface {
            return Some(ip);
        }
    }
    None
}

fn ipv6_of(name: &str, if_inet6: &str) -> Option<Ipv6Addr> {
    if_inet6.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let ip = Ipv6Addr::from(u128::from_str_radix(f.first()?, 16).ok()?);
        (f.last() == Some(&name) && !ip.is_unicast_link_local()).then_some(ip)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
";
    const FIB: &str = "Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
";
    const INET6: &str = "00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     eth1
fd000000000000000000000000000002 04 40 00 82     eth1
";

    #[test]
    fn proc_net_table() {
        assert_eq!(ipv4_of("eth0", ROUTE, FIB), Some(Ipv4Addr::new(192, 0, 2, 2)));
        assert_eq!(ipv4_of("lo", ROUTE, FIB), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(ipv4_of("eth1", ROUTE, FIB), None);
        assert_eq!(ipv6_of("eth1", INET6), Some("fd00::2".parse().unwrap()), "link-local skipped");
        assert_eq!(ipv6_of("lo", INET6), Some(Ipv6Addr::LOCALHOST));
        assert_eq!(ipv6_of("eth9", INET6), None);
    }

    #[test]
    fn names_that_are_not_interfaces() {
        for host in ["127.0.0.1", "::1", "localhost.invalid", "../../etc", "", "no-such-interface0"] {
            assert_eq!(address_of(host), None, "{host:?}");
        }
        // the loopback interface exists on every Linux machine
        if cfg!(target_os = "linux") && std::path::Path::new("/sys/class/net/lo").exists() {
            assert_eq!(address_of("lo"), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        }
    }
}
