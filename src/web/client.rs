//! Who a request comes from: the client address every limit is keyed on,
//! and the cap on connections one client may hold open.
//!
//! The address is the TCP peer's, unless the peer is a configured trusted
//! proxy (`--trusted-proxies`): then the proxy's forwarding header is read
//! from right to left, skipping the hops that are trusted proxies too, and
//! the first other hop is the client. Only the header the proxy is set to
//! write is read (`--proxy-header`), so a client cannot choose its address
//! by sending the other one; a header that cannot be read gives the peer.
//! Clients are grouped as the limits count them: IPv4 by host, IPv6 by /64
//! (one subscriber's network).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::AppState;

/// One address or network (`10.0.0.0/8`, `::1`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit number.
fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network (such as 10.0.0.1, 10.0.0.0/8 or fd00::/8)"))?;
        let addr = canonical(addr);
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= width => n,
                _ => return Err(format!("{s:?}: the prefix length must be a number from 0 to {width}")),
            },
        };
        Ok(Network { addr, prefix })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Which header a trusted proxy writes the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, Caddy, HAProxy, Traefik).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

impl FromStr for ProxyHeader {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ProxyHeader::XForwardedFor),
            "forwarded" => Ok(ProxyHeader::Forwarded),
            other => Err(format!("{other:?}: the proxy header is x-forwarded-for or forwarded")),
        }
    }
}

/// How the server tells clients apart and how many connections each may hold.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Peers whose forwarding header is believed. Empty: none (the default).
    pub trusted_proxies: Vec<Network>,
    /// The header they write.
    pub proxy_header: ProxyHeader,
    /// Connections one client address (IPv6: one /64) may hold open at once.
    pub max_connections_per_client: usize,
    /// Connections a trusted proxy may hold open at once (it carries many clients).
    pub max_connections_per_proxy: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            trusted_proxies: vec![],
            proxy_header: ProxyHeader::default(),
            max_connections_per_client: 128,
            max_connections_per_proxy: 4096,
        }
    }
}

impl ClientSettings {
    /// Parse a comma- or space-separated list of addresses and networks.
    pub fn parse_proxies(list: &str) -> Result<Vec<Network>, String> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }

    /// Whether `ip` is a trusted proxy.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// The key limits count a client by: IPv4 by host, IPv6 by /64 network.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

/// The client address of a request that arrived from `peer`: see the module
/// documentation. The one place a client address is derived.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, settings: &ClientSettings) -> IpAddr {
    let peer = canonical(peer);
    if !settings.is_trusted(peer) {
        return peer;
    }
    let hops = match settings.proxy_header {
        ProxyHeader::XForwardedFor => header_elements(headers, "x-forwarded-for")
            .map(parse_hop)
            .collect::<Vec<_>>(),
        ProxyHeader::Forwarded => header_elements(headers, header::FORWARDED.as_str())
            .map(|e| forwarded_for(e).and_then(parse_hop))
            .collect(),
    };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            // A hop we cannot read was written by someone we do not trust
            // (or garbled): stop at the last address we could believe.
            None => return client,
            Some(ip) => {
                client = ip;
                if !settings.is_trusted(ip) {
                    return ip;
                }
            }
        }
    }
    // Every hop was a trusted proxy (say, its own health check).
    client
}

/// The comma-separated elements of every instance of a header, in order.
fn header_elements<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| match v.to_str() {
            Ok(s) => s.split(',').collect::<Vec<_>>(),
            // Bytes that are not text: one unreadable hop.
            Err(_) => vec![""],
        })
        .map(str::trim)
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.1;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value.trim())
    })
}

/// One hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`,
/// or any of these in double quotes. Anything else (`unknown`, `_hidden`,
/// junk) is unreadable.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    if t.len() > 64 {
        return None;
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    // `[2001:db8::1]` without a port.
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<Ipv6Addr>().ok().map(|ip| canonical(IpAddr::V6(ip)))
}

/// The client address of a request, for handlers: see [`client_address`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Every connection is tagged with its peer by the accept loop; a
        // request without one (an in-process call) counts as local.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        Ok(ClientAddr(client_address(
            peer,
            &parts.headers,
            state.client_settings(),
        )))
    }
}

/// The connections each client holds open, for the accept loop's cap.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One counted connection; dropping it (when the connection ends) uncounts it.
#[derive(Debug)]
pub struct ConnectionSlot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    key: IpAddr,
}

impl Connections {
    /// Count a new connection from `peer`, or `None` when `peer` already
    /// holds `max` of them. The map holds only clients with open
    /// connections, so it is no larger than the connections themselves.
    pub fn open(&self, peer: IpAddr, max: usize) -> Option<ConnectionSlot> {
        let key = client_key(peer);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= max {
            if *n == 0 {
                open.remove(&key);
            }
            return None;
        }
        *n += 1;
        Some(ConnectionSlot {
            open: self.open.clone(),
            key,
        })
    }

    /// Connections now open from `peer`'s group.
    pub fn count(&self, peer: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(&client_key(peer)).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn settings(proxies: &str, header: ProxyHeader) -> ClientSettings {
        ClientSettings {
            trusted_proxies: ClientSettings::parse_proxies(proxies).unwrap(),
            proxy_header: header,
            ..ClientSettings::default()
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn networks_parse_and_match() {
        let n: Network = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains(ip("10.1.200.3")));
        assert!(!n.contains(ip("10.2.0.1")));
        assert!(n.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped addresses are IPv4");
        let n: Network = "fd00::/8".parse().unwrap();
        assert!(n.contains(ip("fd12::1")) && !n.contains(ip("fe80::1")));
        assert!("0.0.0.0/0".parse::<Network>().unwrap().contains(ip("8.8.8.8")));
        assert!("127.0.0.1".parse::<Network>().unwrap().contains(ip("127.0.0.1")));
        for bad in ["", "10.0.0.0/33", "fd00::/129", "nginx", "10.0.0.0/x", "10.0.0"] {
            assert!(bad.parse::<Network>().is_err(), "{bad:?}");
        }
        assert_eq!(
            ClientSettings::parse_proxies("127.0.0.1, ::1 10.0.0.0/8")
                .unwrap()
                .len(),
            3
        );
        assert!(ClientSettings::parse_proxies("127.0.0.1, bogus").is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let s = settings("10.0.0.1", ProxyHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_address(ip("192.0.2.9"), &h, &s), ip("192.0.2.9"));
        let none = ClientSettings::default();
        assert_eq!(client_address(ip("10.0.0.1"), &h, &none), ip("10.0.0.1"));
    }

    #[test]
    fn a_trusted_proxy_chain_is_read_from_the_right() {
        let s = settings("10.0.0.0/24", ProxyHeader::XForwardedFor);
        let peer = ip("10.0.0.1");
        // The client may write anything on the left; the proxy appends the truth.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.66")]);
        assert_eq!(client_address(peer, &h, &s), ip("203.0.113.66"));
        // Trusted hops are skipped.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.66, 10.0.0.7")]);
        assert_eq!(client_address(peer, &h, &s), ip("203.0.113.66"));
        // Several header lines are one list.
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.66")]);
        assert_eq!(client_address(peer, &h, &s), ip("203.0.113.66"));
        // No header: the proxy itself.
        assert_eq!(client_address(peer, &HeaderMap::new(), &s), peer);
        // All hops trusted: the first of them.
        let h = headers(&[("x-forwarded-for", "10.0.0.5, 10.0.0.6")]);
        assert_eq!(client_address(peer, &h, &s), ip("10.0.0.5"));
    }

    #[test]
    fn garbage_falls_back_to_the_peer() {
        let s = settings("10.0.0.1", ProxyHeader::XForwardedFor);
        let peer = ip("10.0.0.1");
        for junk in [
            "",
            "unknown",
            "nonsense",
            "300.1.1.1",
            "1.2.3.4 5.6.7.8",
            &"9".repeat(5000),
        ] {
            let h = headers(&[("x-forwarded-for", junk)]);
            assert_eq!(client_address(peer, &h, &s), peer, "{junk:?}");
        }
        // Junk left of the client the proxy wrote is never reached.
        let h = headers(&[("x-forwarded-for", "junk, 203.0.113.66")]);
        assert_eq!(client_address(peer, &h, &s), ip("203.0.113.66"));
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        assert_eq!(client_address(peer, &h, &s), peer);
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let xff = settings("10.0.0.1", ProxyHeader::XForwardedFor);
        let fwd = settings("10.0.0.1", ProxyHeader::Forwarded);
        let peer = ip("10.0.0.1");
        let h = headers(&[("forwarded", "for=198.51.100.1"), ("x-forwarded-for", "203.0.113.66")]);
        assert_eq!(client_address(peer, &h, &xff), ip("203.0.113.66"));
        assert_eq!(client_address(peer, &h, &fwd), ip("198.51.100.1"));
    }

    #[test]
    fn forwarded_elements_are_read_per_rfc_7239() {
        let s = settings("10.0.0.1", ProxyHeader::Forwarded);
        let peer = ip("10.0.0.1");
        let cases = [
            ("for=192.0.2.60;proto=https;by=203.0.113.43", "192.0.2.60"),
            ("for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("for=\"[2001:db8:cafe::17]\"", "2001:db8:cafe::17"),
            ("For=\"192.0.2.43:47011\"", "192.0.2.43"),
            ("for=192.0.2.43, for=198.51.100.17", "198.51.100.17"),
            ("for=unknown", "10.0.0.1"),
            ("for=_hidden", "10.0.0.1"),
            ("proto=https", "10.0.0.1"),
        ];
        for (value, want) in cases {
            let h = headers(&[("forwarded", value)]);
            assert_eq!(client_address(peer, &h, &s), ip(want), "{value}");
        }
    }

    #[test]
    fn ipv6_clients_are_grouped_by_slash_64() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            client_key(ip("2001:db8:1:2:ffff::9")),
            client_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(client_key(ip("2001:db8:1:3::1")), client_key(ip("2001:db8:1:2::1")));
        assert_eq!(client_key(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn connections_are_capped_per_client_and_released() {
        let c = Connections::default();
        let a: Vec<_> = (0..3).map(|_| c.open(ip("192.0.2.1"), 3)).collect();
        assert!(a.iter().all(Option::is_some));
        assert!(c.open(ip("192.0.2.1"), 3).is_none());
        assert!(c.open(ip("192.0.2.2"), 3).is_some(), "others are not affected");
        drop(a);
        assert_eq!(c.count(ip("192.0.2.1")), 0);
        assert!(c.open(ip("192.0.2.1"), 3).is_some());
        assert!(c.open(ip("192.0.2.1"), 0).is_none());
        assert_eq!(c.open.lock().unwrap().len(), 0, "nothing kept for closed connections");
    }
}
