//! Slowing down guessing of voting codes (and staff passwords).
//!
//! Codes carry 130 random bits, so guessing cannot succeed; limiting it keeps
//! it from costing anything either. Only failed attempts (malformed,
//! mistyped, unknown or already used codes) count:
//!
//! - per client (the address [`super::client::client_address`] derives,
//!   IPv6 by /64): after `client_max` failures in `client_window`, that
//!   client's guesses are refused until the window ends;
//! - per election (or for the site as a whole, where the code names no
//!   election): after `target_max` failures in `target_window`, guesses from
//!   clients that have failed recently are refused until it ends.
//!
//! A limit never refuses a valid, unused code: callers still check the code
//! of a limited client (cheaply, without casting) and let its owner through;
//! only codes that do not work are answered `429` with `Retry-After`, after
//! `refusal_delay`. So neither a guesser behind the same proxy or NAT nor a
//! flood on an election keeps a member from voting.
//!
//! Memory is bounded whatever clients send: keys have a fixed size (targets
//! are kept as a digest of their name), each map holds at most
//! `max_entries`, and once a map is full of live windows, newcomers share one
//! overflow window (limiting them together costs members nothing, see above).
//!
//! The counts live in each server instance's memory: behind a load balancer
//! the limits apply per instance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::client::client_key;

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
    /// Clients (and, separately, targets) counted individually at most.
    pub max_entries: usize,
    /// How long a refused guess waits for its answer.
    pub refusal_delay: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            client_max: 10,
            client_window: Duration::from_secs(600),
            target_max: 100,
            target_window: Duration::from_secs(60),
            max_entries: 100_000,
            refusal_delay: Duration::from_millis(500),
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
        max_entries: 100_000,
        refusal_delay: Duration::from_millis(500),
    };
}

/// How often a full map is swept for expired windows, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

impl Window {
    fn fresh(now: Instant) -> Self {
        Window {
            start: now,
            failures: 0,
        }
    }

    fn current(&mut self, now: Instant, length: Duration) -> &mut Self {
        if now.duration_since(self.start) >= length {
            *self = Window::fresh(now);
        }
        self
    }
}

/// A target's name, kept as a fixed-size digest whatever its length.
type TargetKey = [u8; 16];

fn target_key(target: &str) -> TargetKey {
    let d = ring::digest::digest(&ring::digest::SHA256, target.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d.as_ref()[..16]);
    k
}

/// Windows by key, at most `max` of them, then one shared overflow window.
#[derive(Debug)]
struct Windows<K> {
    map: HashMap<K, Window>,
    overflow: Window,
    swept: Instant,
}

impl<K: std::hash::Hash + Eq> Windows<K> {
    fn new(now: Instant) -> Self {
        Windows {
            map: HashMap::new(),
            overflow: Window::fresh(now),
            swept: now,
        }
    }

    /// The window counting `key` now, if it has one.
    fn get(&mut self, key: &K, now: Instant, length: Duration, max: usize) -> Option<Window> {
        let full = self.map.len() >= max;
        match self.map.get_mut(key) {
            Some(w) => Some(*w.current(now, length)),
            None if full => Some(*self.overflow.current(now, length)),
            None => None,
        }
    }

    /// The window counting `key` now, made if need be.
    fn entry(&mut self, key: K, now: Instant, length: Duration, max: usize) -> &mut Window {
        if self.map.len() >= max && !self.map.contains_key(&key) && now.duration_since(self.swept) >= SWEEP_EVERY {
            self.swept = now;
            self.map.retain(|_, w| now.duration_since(w.start) < length);
        }
        if self.map.len() >= max && !self.map.contains_key(&key) {
            return self.overflow.current(now, length);
        }
        self.map.entry(key).or_insert(Window::fresh(now)).current(now, length)
    }
}

/// The failed-attempt counters.
#[derive(Debug)]
pub struct Limiter {
    settings: LimitSettings,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    clients: Windows<IpAddr>,
    targets: Windows<TargetKey>,
}

/// The site-wide target, for codes that name no election.
pub const SITE: &str = "*";

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(LimitSettings::default())
    }
}

impl Limiter {
    /// Counters with these thresholds.
    pub fn new(settings: LimitSettings) -> Self {
        let now = Instant::now();
        Limiter {
            settings,
            state: Mutex::new(State {
                clients: Windows::new(now),
                targets: Windows::new(now),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Counters are advisory: a poisoned lock still holds usable counts.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long a refused guess waits for its answer.
    pub fn refusal_delay(&self) -> Duration {
        self.settings.refusal_delay
    }

    /// Whether `ip` is within its limits for `target` now; `Err` says how
    /// long until it is. A limited client's guesses are refused; a valid
    /// code is never refused (see the module documentation).
    pub fn check(&self, ip: IpAddr, target: &str) -> Result<(), Duration> {
        let mut state = self.state();
        self.check_locked(&mut state, Instant::now(), client_key(ip), &target_key(target))
    }

    fn check_locked(
        &self,
        state: &mut State,
        now: Instant,
        client: IpAddr,
        target: &TargetKey,
    ) -> Result<(), Duration> {
        let s = self.settings;
        let c = state.clients.get(&client, now, s.client_window, s.max_entries);
        if let Some(c) = c {
            if c.failures >= s.client_max {
                return Err(s.client_window.saturating_sub(now.duration_since(c.start)));
            }
        }
        let failed_recently = c.is_some_and(|c| c.failures > 0);
        if let Some(t) = state.targets.get(target, now, s.target_window, s.max_entries) {
            if t.failures >= s.target_max && failed_recently {
                return Err(s.target_window.saturating_sub(now.duration_since(t.start)));
            }
        }
        Ok(())
    }

    /// Count a failed attempt by `ip` on `target`.
    pub fn failed(&self, ip: IpAddr, target: &str) {
        let mut state = self.state();
        self.failed_locked(&mut state, Instant::now(), client_key(ip), target_key(target));
    }

    fn failed_locked(&self, state: &mut State, now: Instant, client: IpAddr, target: TargetKey) {
        let s = self.settings;
        let c = state.clients.entry(client, now, s.client_window, s.max_entries);
        c.failures = c.failures.saturating_add(1);
        let t = state.targets.entry(target, now, s.target_window, s.max_entries);
        t.failures = t.failures.saturating_add(1);
    }

    /// Check and count a failure in one step, before an attempt whose
    /// checking is expensive (a password hash), so that parallel attempts
    /// cannot all pass the check before any of them is counted. Call
    /// [`Limiter::release`] if the attempt turns out good (or was never made).
    pub fn reserve(&self, ip: IpAddr, target: &str) -> Result<(), Duration> {
        let (now, client, target) = (Instant::now(), client_key(ip), target_key(target));
        let mut state = self.state();
        self.check_locked(&mut state, now, client, &target)?;
        self.failed_locked(&mut state, now, client, target);
        Ok(())
    }

    /// Take back a failure [`Limiter::reserve`] counted for an attempt that succeeded.
    pub fn release(&self, ip: IpAddr, target: &str) {
        let s = self.settings;
        let (now, client, target) = (Instant::now(), client_key(ip), target_key(target));
        let mut state = self.state();
        let c = state.clients.entry(client, now, s.client_window, s.max_entries);
        c.failures = c.failures.saturating_sub(1);
        let t = state.targets.entry(target, now, s.target_window, s.max_entries);
        t.failures = t.failures.saturating_sub(1);
    }

    /// How many clients and targets are counted individually now.
    pub fn entries(&self) -> (usize, usize) {
        let state = self.state();
        (state.clients.map.len(), state.targets.map.len())
    }
}

/// Whole minutes to wait, rounded up, for messages.
pub fn minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

/// `wait` in words: "1 minute", "10 minutes".
pub fn minutes_text(wait: Duration) -> String {
    crate::i18n::t("minutes", &[("n", minutes(wait).into())])
}

/// A `Retry-After` value for `wait` (at least one second).
pub fn retry_after(wait: Duration) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from(wait.as_secs().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn waits_are_in_words() {
        assert_eq!(minutes_text(Duration::from_secs(1)), "1 minute");
        assert_eq!(minutes_text(Duration::from_secs(60)), "1 minute");
        assert_eq!(minutes_text(Duration::from_secs(61)), "2 minutes");
        assert_eq!(minutes_text(Duration::from_secs(600)), "10 minutes");
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

    #[test]
    fn maps_stay_bounded_and_newcomers_share_an_overflow_window() {
        let l = Limiter::new(LimitSettings {
            max_entries: 50,
            ..LimitSettings::default()
        });
        let huge = "x".repeat(60_000);
        for i in 0..5_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            l.failed(ip, &format!("{huge}{i}"));
        }
        assert_eq!(l.entries(), (50, 50));
        // Overflow clients are limited together, counted ones as before.
        assert!(
            l.check(ip("10.0.0.0"), &format!("{huge}0")).is_ok(),
            "one failure of its own"
        );
        assert!(l.check(ip("10.0.100.1"), SITE).is_err(), "in the overflow window");
    }

    #[test]
    fn reservations_count_before_the_attempt_and_successes_are_taken_back() {
        let l = Limiter::new(LimitSettings::LOGINS);
        for _ in 0..10 {
            assert!(l.reserve(ip("10.0.0.1"), "login:a").is_ok());
        }
        assert!(l.reserve(ip("10.0.0.1"), "login:a").is_err());
        l.release(ip("10.0.0.1"), "login:a");
        assert!(l.reserve(ip("10.0.0.1"), "login:a").is_ok());
        assert!(l.reserve(ip("10.0.0.1"), "login:a").is_err());
    }
}
