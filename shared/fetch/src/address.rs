//! Which IP addresses a feed may be fetched from, and the DNS resolver that hands the HTTP
//! client only those: the address connected to is always one this module allowed.

use std::error::Error;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// What an address is, as far as fetching goes: only `Public` is reachable (and `Loopback` in
/// development).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    Public,
    Loopback,
    Private,
    LinkLocal,
    Shared,
    Unspecified,
    Broadcast,
    Multicast,
    Documentation,
    Reserved,
}

impl Range {
    pub(crate) fn allowed(self, allow_loopback: bool) -> bool {
        match self {
            Range::Public => true,
            Range::Loopback => allow_loopback,
            _ => false,
        }
    }

    /// Why a URL pointing straight at such an address is refused, fit for a calendar's error.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Range::Public => "its address is public",
            Range::Loopback => "it points to a loopback address",
            Range::Private => "it points to a private address",
            Range::LinkLocal => "it points to a link-local or metadata address",
            Range::Shared => "it points to a carrier-grade NAT address",
            Range::Unspecified => "it points to an unspecified address",
            Range::Broadcast => "it points to a broadcast address",
            Range::Multicast => "it points to a multicast address",
            Range::Documentation => "it points to a documentation address",
            Range::Reserved => "it points to a reserved address",
        }
    }
}

/// The IPv4 ranges that are not the public internet, most specific first (broadcast sits in
/// 240/4). 0.0.0.0/8 covers the unspecified address, which Linux connects to loopback.
const V4: &[([u8; 4], u32, Range)] = &[
    ([0, 0, 0, 0], 8, Range::Unspecified),
    ([10, 0, 0, 0], 8, Range::Private),
    ([100, 64, 0, 0], 10, Range::Shared),
    ([127, 0, 0, 0], 8, Range::Loopback),
    ([169, 254, 0, 0], 16, Range::LinkLocal),
    ([172, 16, 0, 0], 12, Range::Private),
    ([192, 0, 0, 0], 24, Range::Reserved),
    ([192, 0, 2, 0], 24, Range::Documentation),
    ([192, 88, 99, 0], 24, Range::Reserved),
    ([192, 168, 0, 0], 16, Range::Private),
    ([198, 18, 0, 0], 15, Range::Reserved),
    ([198, 51, 100, 0], 24, Range::Documentation),
    ([203, 0, 113, 0], 24, Range::Documentation),
    ([224, 0, 0, 0], 4, Range::Multicast),
    ([255, 255, 255, 255], 32, Range::Broadcast),
    ([240, 0, 0, 0], 4, Range::Reserved),
];

/// The IPv6 ranges that are not the public internet. Ranges that embed an IPv4 address
/// (mapped, NAT64, 6to4) are classified by that address instead, in `classify_v6`.
const V6: &[(u128, u32, Range)] = &[
    (0, 128, Range::Unspecified),
    (1, 128, Range::Loopback),
    // IPv4-compatible (::a.b.c.d), deprecated: nothing public lives there.
    (0, 96, Range::Reserved),
    // Local-use NAT64 would translate to whatever the site's network holds.
    (0x0064_ff9b_0001 << 80, 48, Range::Private),
    (0x0100 << 112, 64, Range::Reserved),
    (0x2001_0db8 << 96, 32, Range::Documentation),
    (0x3fff << 112, 20, Range::Documentation),
    // Unique local: includes fd00:ec2::254, the EC2 metadata service over IPv6.
    (0xfc00 << 112, 7, Range::Private),
    (0xfe80 << 112, 10, Range::LinkLocal),
    // Site-local, deprecated but still routed inside some sites.
    (0xfec0 << 112, 10, Range::Private),
    (0xff00 << 112, 8, Range::Multicast),
];

pub(crate) fn classify(ip: IpAddr) -> Range {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Range {
    let bits = u32::from(ip);
    V4.iter()
        .find(|(net, prefix, _)| bits >> (32 - prefix) == u32::from_be_bytes(*net) >> (32 - prefix))
        .map_or(Range::Public, |&(_, _, range)| range)
}

fn classify_v6(ip: Ipv6Addr) -> Range {
    let bits = u128::from(ip);
    let embedded = |shift: u32| Ipv4Addr::from((bits >> shift) as u32);
    // ::ffff:a.b.c.d is the IPv4 address itself to a dual-stack socket.
    if bits >> 32 == 0xffff {
        return classify_v4(embedded(0));
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the embedded address through a
    // gateway; its loopback is the gateway's, never anything of ours.
    let translated = if bits >> 32 == 0x0064_ff9b << 64 {
        Some(classify_v4(embedded(0)))
    } else if bits >> 112 == 0x2002 {
        Some(classify_v4(embedded(80)))
    } else {
        None
    };
    if let Some(range) = translated {
        return if range == Range::Loopback {
            Range::Reserved
        } else {
            range
        };
    }
    V6.iter()
        .find(|(net, prefix, _)| bits >> (128 - prefix) == net >> (128 - prefix))
        .map_or(Range::Public, |&(_, _, range)| range)
}

/// The resolver failed because every address of the name is forbidden; found again in the
/// client's error chain to tell a refusal from an unreachable host.
#[derive(Debug)]
pub(crate) struct NoAllowedAddress;

impl fmt::Display for NoAllowedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the name resolves only to forbidden addresses")
    }
}

impl Error for NoAllowedAddress {}

/// Resolves with the system resolver and keeps only the allowed addresses, so that the client
/// cannot connect anywhere else whatever DNS answers, on the first request or on a redirect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub(crate) allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the client puts in the URL's port.
            let allowed: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| classify(addr.ip()).allowed(allow_loopback))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(NoAllowedAddress) as Box<dyn Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(ip: &str) -> Range {
        classify(ip.parse().expect("test address"))
    }

    /// Each range with its edges, and the public addresses just outside them.
    #[test]
    fn every_range_and_its_edges() {
        use Range::*;
        let cases = [
            (
                Public,
                "1.0.0.0 9.255.255.255 11.0.0.0 100.63.255.255 100.128.0.0 8.8.8.8",
            ),
            (
                Public,
                "126.255.255.255 128.0.0.0 169.253.255.255 169.255.0.0 172.15.255.255",
            ),
            (
                Public,
                "172.32.0.0 192.0.1.255 192.0.3.0 192.167.255.255 192.169.0.0",
            ),
            (
                Public,
                "198.17.255.255 198.20.0.0 203.0.114.0 223.255.255.255",
            ),
            (
                Public,
                "::1:0:0:0 ::ffff:8.8.8.8 64:ff9b::808:808 2002:0808:0808::1 100:0:0:1::",
            ),
            (
                Public,
                "2001:db9::1 3fff:1000:: fbff:ffff::1 fe00::1 fe7f:ffff::1 2606:4700::1",
            ),
            (Unspecified, "0.0.0.0 0.255.255.255 :: ::ffff:0.0.0.0"),
            (Loopback, "127.0.0.1 127.255.255.255 ::1 ::ffff:127.0.0.1"),
            (
                Private,
                "10.0.0.0 10.255.255.255 172.16.0.0 172.31.255.255 192.168.0.0",
            ),
            (
                Private,
                "192.168.255.255 ::ffff:10.1.2.3 64:ff9b:1::1 2002:c0a8:0101::1",
            ),
            (
                Private,
                "fc00:: fd00:ec2::254 fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff fec0::1",
            ),
            (Shared, "100.64.0.0 100.127.255.255 ::ffff:100.64.0.1"),
            (
                LinkLocal,
                "169.254.0.0 169.254.169.254 169.254.255.255 ::ffff:169.254.169.254",
            ),
            (LinkLocal, "64:ff9b::a9fe:a9fe fe80::1 febf:ffff::1"),
            (
                Documentation,
                "192.0.2.0 198.51.100.7 203.0.113.255 2001:db8::1 3fff::1",
            ),
            (Multicast, "224.0.0.0 239.255.255.255 ff02::1"),
            (Broadcast, "255.255.255.255"),
            (
                Reserved,
                "192.0.0.0 192.88.99.1 198.18.0.0 198.19.255.255 240.0.0.0",
            ),
            (
                Reserved,
                "255.255.255.254 ::2 ::127.0.0.1 64:ff9b::7f00:1 100::1",
            ),
        ];
        for (expected, ips) in cases {
            for ip in ips.split_whitespace() {
                assert_eq!(range(ip), expected, "{ip}");
            }
        }
    }

    #[test]
    fn only_public_is_allowed_and_loopback_only_in_development() {
        assert!(Range::Public.allowed(false));
        assert!(!Range::Loopback.allowed(false));
        assert!(Range::Loopback.allowed(true));
        for range in [
            Range::Private,
            Range::LinkLocal,
            Range::Shared,
            Range::Unspecified,
        ] {
            assert!(!range.allowed(true), "{range:?}");
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_forbidden_addresses() {
        let resolve = |allow_loopback| {
            let name: Name = "localhost".parse().expect("name");
            GuardedResolver { allow_loopback }.resolve(name)
        };
        let err = resolve(false).await.err().expect("localhost is refused");
        assert!(err.downcast_ref::<NoAllowedAddress>().is_some());
        let addrs: Vec<SocketAddr> = resolve(true)
            .await
            .expect("allowed in development")
            .collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
