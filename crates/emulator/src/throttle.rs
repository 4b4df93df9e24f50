//! Throttling and random faults, as Graph applies them to presence (graph-presence-api.md §5.2):
//!
//! - per application (the token's `appid`, or the token itself when it is not one the emulator issued) and tenant, a
//!   sliding window of requests: by default 1,500 reads (GET, getPresencesByUserId) and 10,000 requests in all per
//!   30 seconds, by the emulator's clock. Past a limit the answer is 429 with `Retry-After` (whole seconds until the
//!   window has room). Throttled requests count toward usage too (§5.2), so a client that does not wait stays
//!   throttled. A `$batch` envelope is not a presence request: only the requests inside it are counted (§5.3);
//! - random faults at configurable rates: 429 (with Retry-After), 503, 504, a cut connection, and an added delay.
//!
//! Both are set by CLI flags and changed at run time through `/_emulator/throttling` and `/_emulator/fault-rates`.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Request limits per application per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleLimits {
    pub enabled: bool,
    /// All presence requests in one window.
    pub requests: u32,
    /// Reads (GET, getPresencesByUserId) in one window.
    pub reads: u32,
    pub window_seconds: u32,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self { enabled: true, requests: 10_000, reads: 1_500, window_seconds: 30 }
    }
}

/// Random fault rates, each from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRates {
    #[serde(default)]
    pub throttled: f64,
    #[serde(default)]
    pub unavailable: f64,
    #[serde(default)]
    pub gateway_timeout: f64,
    /// Share of requests whose connection is cut instead of answered (the request is not applied).
    #[serde(default)]
    pub reset: f64,
    /// Share of requests that wait `delay_ms` before being handled.
    #[serde(default)]
    pub delayed: f64,
    #[serde(default)]
    pub delay_ms: u64,
    /// The Retry-After of injected 429s, in seconds.
    #[serde(default)]
    pub retry_after_seconds: u64,
}

/// What the throttle decides for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// 429 with this Retry-After.
    Throttled { retry_after: u64 },
    Unavailable,
    GatewayTimeout,
    /// Cut the connection without an answer.
    Reset,
}

/// What a request counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// GET and getPresencesByUserId: counted against both limits.
    Read,
    /// Every other presence request: counted against the request limit.
    Write,
    /// A `$batch` envelope: subject to random faults only; the requests inside it are each counted on their own.
    Batch,
}

/// At most this many times the limit is remembered per window: a client that keeps sending while throttled stays
/// throttled for a whole window either way, and the memory stays bounded.
const REMEMBERED_PER_LIMIT: usize = 4;

#[derive(Default)]
struct Windows {
    all: VecDeque<Timestamp>,
    reads: VecDeque<Timestamp>,
}

/// The throttle's state.
pub struct Throttle {
    limits: Mutex<ThrottleLimits>,
    rates: Mutex<FaultRates>,
    windows: Mutex<HashMap<String, Windows>>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle").field("limits", &self.limits()).field("rates", &self.rates()).finish_non_exhaustive()
    }
}

impl Throttle {
    pub fn new(limits: ThrottleLimits, rates: FaultRates) -> Self {
        Self { limits: Mutex::new(limits), rates: Mutex::new(rates), windows: Mutex::new(HashMap::new()) }
    }

    pub fn limits(&self) -> ThrottleLimits {
        *self.limits.lock().expect("limits lock")
    }

    pub fn set_limits(&self, limits: ThrottleLimits) {
        *self.limits.lock().expect("limits lock") = limits;
        self.windows.lock().expect("windows lock").clear();
    }

    pub fn rates(&self) -> FaultRates {
        *self.rates.lock().expect("rates lock")
    }

    pub fn set_rates(&self, rates: FaultRates) {
        *self.rates.lock().expect("rates lock") = rates;
    }

    /// A number in [0, 1).
    fn next_unit(&self) -> f64 {
        rand::random::<f64>()
    }

    /// Whether to delay this request (and how long).
    pub fn delay(&self) -> Option<std::time::Duration> {
        let rates = self.rates();
        (rates.delayed > 0.0 && rates.delay_ms > 0 && self.next_unit() < rates.delayed)
            .then(|| std::time::Duration::from_millis(rates.delay_ms))
    }

    /// Decides one request of `key` (application and tenant) at `now`.
    pub fn check(&self, key: &str, kind: RequestKind, now: Timestamp) -> Verdict {
        let rates = self.rates();
        let roll = self.next_unit();
        if roll < rates.throttled {
            return Verdict::Throttled { retry_after: rates.retry_after_seconds };
        }
        if roll < rates.throttled + rates.unavailable {
            return Verdict::Unavailable;
        }
        if roll < rates.throttled + rates.unavailable + rates.gateway_timeout {
            return Verdict::GatewayTimeout;
        }
        if roll < rates.throttled + rates.unavailable + rates.gateway_timeout + rates.reset {
            return Verdict::Reset;
        }
        let limits = self.limits();
        if !limits.enabled || kind == RequestKind::Batch {
            return Verdict::Pass;
        }
        let is_read = kind == RequestKind::Read;
        let window = SignedDuration::from_secs(i64::from(limits.window_seconds));
        let mut windows = self.windows.lock().expect("windows lock");
        let w = windows.entry(key.to_owned()).or_default();
        for q in [&mut w.all, &mut w.reads] {
            while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
                q.pop_front();
            }
        }
        let full = |q: &VecDeque<Timestamp>, limit: u32| q.len() >= limit as usize;
        let throttled = full(&w.all, limits.requests) || (is_read && full(&w.reads, limits.reads));
        // Throttled requests count toward usage as well.
        let remember = |q: &mut VecDeque<Timestamp>, limit: u32| {
            if q.len() < (limit as usize).max(1) * REMEMBERED_PER_LIMIT {
                q.push_back(now);
            }
        };
        remember(&mut w.all, limits.requests);
        if is_read {
            remember(&mut w.reads, limits.reads);
        }
        if !throttled {
            return Verdict::Pass;
        }
        // The window has room again once enough of its oldest requests (this one included) have left it.
        let room_at = |q: &VecDeque<Timestamp>, limit: u32| {
            let limit = (limit as usize).max(1);
            (q.len() >= limit).then(|| q[q.len() - limit])
        };
        let leaves = room_at(&w.all, limits.requests).max(if is_read { room_at(&w.reads, limits.reads) } else { None }).unwrap_or(now);
        let wait = window - now.duration_since(leaves);
        Verdict::Throttled { retry_after: (wait.as_millis().max(0) as u64).div_ceil(1000).max(1) }
    }
}

#[cfg(test)]
mod tests {
    use super::RequestKind::{Batch, Read, Write};
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn a_full_window_throttles_until_its_oldest_request_leaves() {
        let t = Throttle::new(ThrottleLimits { enabled: true, requests: 3, reads: 2, window_seconds: 30 }, FaultRates::default());
        assert_eq!(t.check("app", Write, at(0)), Verdict::Pass);
        assert_eq!(t.check("app", Write, at(10)), Verdict::Pass);
        assert_eq!(t.check("app", Write, at(20)), Verdict::Pass);
        // The throttled request counts too, so room for one more comes when the requests of 0 and 10 have left.
        assert_eq!(t.check("app", Write, at(25)), Verdict::Throttled { retry_after: 15 });
        assert_eq!(t.check("other", Write, at(25)), Verdict::Pass, "limits are per application");
        assert_eq!(t.check("app", Write, at(40)), Verdict::Pass, "as Retry-After said");
    }

    #[test]
    fn throttled_requests_count_toward_usage() {
        let limits = ThrottleLimits { enabled: true, requests: 2, reads: 2, window_seconds: 10 };
        // A client that sends again while throttled stays throttled.
        let t = Throttle::new(limits, FaultRates::default());
        assert_eq!(t.check("app", Write, at(0)), Verdict::Pass);
        assert_eq!(t.check("app", Write, at(1)), Verdict::Pass);
        assert_eq!(t.check("app", Write, at(2)), Verdict::Throttled { retry_after: 9 });
        assert_eq!(t.check("app", Write, at(3)), Verdict::Throttled { retry_after: 9 });
        assert_eq!(t.check("app", Write, at(10)), Verdict::Throttled { retry_after: 3 }, "the throttled requests of 2 and 3 fill the window");
        assert_eq!(t.check("app", Write, at(14)), Verdict::Pass);
        // A client that waits as told gets through.
        let t = Throttle::new(limits, FaultRates::default());
        assert_eq!(t.check("app", Write, at(0)), Verdict::Pass);
        assert_eq!(t.check("app", Write, at(1)), Verdict::Pass);
        assert_eq!(t.check("app", Write, at(2)), Verdict::Throttled { retry_after: 9 });
        assert_eq!(t.check("app", Write, at(11)), Verdict::Pass);
    }

    #[test]
    fn a_batch_envelope_is_not_counted() {
        let t = Throttle::new(ThrottleLimits { enabled: true, requests: 1, reads: 1, window_seconds: 10 }, FaultRates::default());
        for second in 0..5 {
            assert_eq!(t.check("app", Batch, at(second)), Verdict::Pass);
        }
        assert_eq!(t.check("app", Write, at(5)), Verdict::Pass, "the envelopes took no room");
        assert!(matches!(t.check("app", Write, at(6)), Verdict::Throttled { .. }));
        assert_eq!(t.check("app", Batch, at(6)), Verdict::Pass, "an envelope is never throttled by the limit");
    }

    #[test]
    fn memory_per_application_is_bounded() {
        let t = Throttle::new(ThrottleLimits { enabled: true, requests: 3, reads: 3, window_seconds: 30 }, FaultRates::default());
        for _ in 0..10_000 {
            t.check("app", Read, at(0));
        }
        let windows = t.windows.lock().unwrap();
        assert_eq!(windows["app"].all.len(), 3 * REMEMBERED_PER_LIMIT);
        assert_eq!(windows["app"].reads.len(), 3 * REMEMBERED_PER_LIMIT);
    }

    #[test]
    fn reads_have_their_own_lower_limit() {
        let t = Throttle::new(ThrottleLimits { enabled: true, requests: 10, reads: 2, window_seconds: 30 }, FaultRates::default());
        assert_eq!(t.check("app", Read, at(0)), Verdict::Pass);
        assert_eq!(t.check("app", Read, at(1)), Verdict::Pass);
        assert!(matches!(t.check("app", Read, at(2)), Verdict::Throttled { .. }));
        assert_eq!(t.check("app", Write, at(2)), Verdict::Pass, "writes are not read-limited");
    }

    #[test]
    fn fault_rates_come_out_near_their_setting() {
        let t = Throttle::new(ThrottleLimits { enabled: false, ..ThrottleLimits::default() }, FaultRates { throttled: 0.2, unavailable: 0.1, ..FaultRates::default() });
        let verdicts: Vec<Verdict> = (0..10_000).map(|i| t.check("app", Write, at(i))).collect();
        let throttled = verdicts.iter().filter(|v| matches!(v, Verdict::Throttled { .. })).count();
        let unavailable = verdicts.iter().filter(|v| **v == Verdict::Unavailable).count();
        assert!((1_700..2_300).contains(&throttled), "{throttled}");
        assert!((800..1_200).contains(&unavailable), "{unavailable}");
    }
}
