//! Slowing down guessing of voting codes.
//!
//! Codes carry 130 random bits, so guessing cannot succeed; limiting it keeps
//! it from costing anything either. Only failed attempts (malformed,
//! mistyped or unknown codes) count:
//!
//! - per client address (IPv6 by /64): after `client_max` failures in
//!   `client_window`, that address is refused until the window ends;
//! - per election (or for the site as a whole, where the code names no
//!   election): after `target_max` failures in `target_window`, addresses
//!   that have failed recently are refused until it ends, while addresses
//!   with no failure are still served — so a member with a good code is not
//!   locked out by someone else's guessing.
//!
//! The counts live in each server instance's memory: behind a load balancer
//! the limits apply per instance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The thresholds.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// Failures one address may make per window.
    pub client_max: u32,
    /// The per-address window.
    pub client_window: Duration,
    /// Failures one election (or the site) may see per window before
    /// addresses that failed recently are refused.
    pub target_max: u32,
    /// The per-election window.
    pub target_window: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            client_max: 10,
            client_window: Duration::from_secs(600),
            target_max: 100,
            target_window: Duration::from_secs(60),
        }
    }
}

impl LimitSettings {
    /// Staff sign-ins: 10 failures per address, or 20 per account, in 10 minutes.
    pub const LOGINS: LimitSettings = LimitSettings {
        client_max: 10,
        client_window: Duration::from_secs(600),
        target_max: 20,
        target_window: Duration::from_secs(600),
    };
}

/// Entries kept before expired ones are dropped.
const PRUNE_AT: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

impl Window {
    fn current(&mut self, now: Instant, length: Duration) -> &mut Self {
        if now.duration_since(self.start) >= length {
            *self = Window {
                start: now,
                failures: 0,
            };
        }
        self
    }
}

/// The failed-attempt counters.
#[derive(Debug, Default)]
pub struct Limiter {
    settings: LimitSettings,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    clients: HashMap<IpAddr, Window>,
    targets: HashMap<String, Window>,
}

/// The site-wide target, for codes that name no election.
pub const SITE: &str = "*";

/// Addresses are counted per host (IPv4) or per /64 network (IPv6).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut seg = v6.segments();
            for s in &mut seg[4..] {
                *s = 0;
            }
            IpAddr::V6(seg.into())
        }
    }
}

impl Limiter {
    /// Counters with these thresholds.
    pub fn new(settings: LimitSettings) -> Self {
        Limiter {
            settings,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Counters are advisory: a poisoned lock still holds usable counts.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `ip` may try a code for `target` now; `Err` says how long to wait.
    pub fn check(&self, ip: IpAddr, target: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let s = self.settings;
        let mut state = self.state();
        let client = state
            .clients
            .get_mut(&client_key(ip))
            .map(|w| *w.current(now, s.client_window));
        if let Some(c) = client {
            if c.failures >= s.client_max {
                return Err(s.client_window.saturating_sub(now.duration_since(c.start)));
            }
        }
        let failed_recently = client.is_some_and(|c| c.failures > 0);
        if let Some(t) = state.targets.get_mut(target).map(|w| *w.current(now, s.target_window)) {
            if t.failures >= s.target_max && failed_recently {
                return Err(s.target_window.saturating_sub(now.duration_since(t.start)));
            }
        }
        Ok(())
    }

    /// Count a failed attempt by `ip` on `target`.
    pub fn failed(&self, ip: IpAddr, target: &str) {
        let now = Instant::now();
        let s = self.settings;
        let mut state = self.state();
        if state.clients.len() > PRUNE_AT {
            state
                .clients
                .retain(|_, w| now.duration_since(w.start) < s.client_window);
        }
        if state.targets.len() > PRUNE_AT {
            state
                .targets
                .retain(|_, w| now.duration_since(w.start) < s.target_window);
        }
        let fresh = Window {
            start: now,
            failures: 0,
        };
        state
            .clients
            .entry(client_key(ip))
            .or_insert(fresh)
            .current(now, s.client_window)
            .failures += 1;
        state
            .targets
            .entry(target.to_string())
            .or_insert(fresh)
            .current(now, s.target_window)
            .failures += 1;
    }
}

/// Whole minutes to wait, rounded up, for messages.
pub fn minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_is_refused_after_its_failures_and_others_are_not() {
        let l = Limiter::new(LimitSettings::default());
        for _ in 0..10 {
            assert!(l.check(ip("10.0.0.1"), SITE).is_ok());
            l.failed(ip("10.0.0.1"), SITE);
        }
        let wait = l.check(ip("10.0.0.1"), SITE).unwrap_err();
        assert!(wait <= Duration::from_secs(600) && wait > Duration::from_secs(590));
        assert!(l.check(ip("10.0.0.2"), SITE).is_ok());
    }

    #[test]
    fn a_flood_on_an_election_refuses_failing_addresses_only() {
        let l = Limiter::new(LimitSettings {
            target_max: 20,
            ..LimitSettings::default()
        });
        for i in 0..20 {
            l.failed(ip(&format!("10.0.1.{i}")), "e");
        }
        assert!(
            l.check(ip("10.0.1.3"), "e").is_err(),
            "an address that failed is refused"
        );
        assert!(l.check(ip("10.0.2.1"), "e").is_ok(), "a clean address is served");
        assert!(
            l.check(ip("10.0.1.3"), "other").is_ok(),
            "other elections are not affected"
        );
    }

    #[test]
    fn ipv6_addresses_count_by_network() {
        let l = Limiter::new(LimitSettings::default());
        for i in 0..10 {
            l.failed(ip(&format!("2001:db8::{i:x}")), SITE);
        }
        assert!(l.check(ip("2001:db8::ffff"), SITE).is_err());
        assert!(l.check(ip("2001:db8:0:1::1"), SITE).is_ok());
    }

    #[test]
    fn windows_expire() {
        let l = Limiter::new(LimitSettings {
            client_window: Duration::from_millis(30),
            ..LimitSettings::default()
        });
        for _ in 0..10 {
            l.failed(ip("10.0.0.9"), SITE);
        }
        assert!(l.check(ip("10.0.0.9"), SITE).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(l.check(ip("10.0.0.9"), SITE).is_ok());
    }
}
