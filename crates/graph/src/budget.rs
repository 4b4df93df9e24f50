//! A request budget that a long-running sender shares across all its batches (the keep-alive agent's one rate
//! budget): at most `limit` requests in any `window`, by a clock the caller gives (the system's in service, a clock a
//! test drives). A sender that knows the service's throttle limit (graph-presence-api.md §5.2: 10,000 requests per
//! 30 s per application per tenant) thus stays under it instead of finding it by 429s, which count toward the usage
//! too and would keep it throttled.
//!
//! Requests are counted when their answer comes (a request reaches the service before its answer does, so the
//! budget frees a slot no earlier than the service's window does). When the service throttles anyway (its limit is
//! lower than the budget was told), the budget pauses until the `Retry-After` and lowers its own limit by a fifth, at
//! most once a window; each window without a 429 gives back a twentieth of the configured limit.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The clock a budget reads.
pub type BudgetClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A slot count taken from the budget for one batch; give it back with [`RequestBudget::settle`] when answered.
#[derive(Debug)]
#[must_use = "settle the reservation when its answer comes"]
pub struct Reservation {
    id: u64,
}

struct Entry {
    id: u64,
    at: SystemTime,
    requests: u32,
}

struct BudgetState {
    entries: Vec<Entry>,
    next_id: u64,
    /// The limit in force: the configured one, or lower after the service throttled.
    limit: u32,
    paused_until: Option<SystemTime>,
    /// When the limit last changed (lowered or raised).
    changed_at: Option<SystemTime>,
    throttled_count: u64,
}

/// At most `limit` requests per `window`, shared by everything that sends through it.
pub struct RequestBudget {
    configured: u32,
    window: Duration,
    clock: BudgetClock,
    state: Mutex<BudgetState>,
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget").field("configured", &self.configured).field("window", &self.window).field("limit", &self.limit()).finish()
    }
}

impl RequestBudget {
    /// A budget by the system clock.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_clock(limit, window, Arc::new(SystemTime::now))
    }

    /// A budget by the given clock.
    pub fn with_clock(limit: u32, window: Duration, clock: BudgetClock) -> Self {
        let limit = limit.max(1);
        Self {
            configured: limit,
            window,
            clock,
            state: Mutex::new(BudgetState { entries: Vec::new(), next_id: 0, limit, paused_until: None, changed_at: None, throttled_count: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The clock's time.
    pub fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The limit in force now (lower than the configured one after the service throttled).
    pub fn limit(&self) -> u32 {
        self.lock().limit
    }

    /// How many times the service throttled a request sent through this budget.
    pub fn throttled_count(&self) -> u64 {
        self.lock().throttled_count
    }

    /// Drops the entries that left the window, and gives back part of the limit after a quiet window.
    fn refresh(&self, state: &mut BudgetState, now: SystemTime) {
        state.entries.retain(|e| now.duration_since(e.at).map_or(true, |age| age < self.window));
        if state.limit < self.configured
            && state.changed_at.is_none_or(|at| now.duration_since(at).is_ok_and(|quiet| quiet >= self.window))
        {
            state.limit = (state.limit + (self.configured / 20).max(1)).min(self.configured);
            state.changed_at = Some(now);
        }
    }

    fn used(state: &BudgetState) -> u32 {
        state.entries.iter().map(|e| e.requests).sum()
    }

    /// How many requests may be sent now.
    pub fn room(&self) -> u32 {
        let now = self.now();
        let mut state = self.lock();
        self.refresh(&mut state, now);
        if state.paused_until.is_some_and(|until| until > now) {
            return 0;
        }
        state.limit.saturating_sub(Self::used(&state))
    }

    /// When `requests` slots will be free (now, when they are), by the budget's clock, a pause included.
    pub fn room_at(&self, requests: u32) -> SystemTime {
        let now = self.now();
        let mut state = self.lock();
        self.refresh(&mut state, now);
        let resume = state.paused_until.filter(|until| *until > now).unwrap_or(now);
        let limit = state.limit;
        let requests = requests.min(limit);
        let mut used = Self::used(&state);
        if used + requests <= limit {
            return resume;
        }
        let mut by_age: Vec<(SystemTime, u32)> = state.entries.iter().map(|e| (e.at, e.requests)).collect();
        by_age.sort_by_key(|(at, _)| *at);
        for (at, n) in by_age {
            used -= n;
            if used + requests <= limit {
                return (at + self.window).max(resume);
            }
        }
        resume
    }

    /// Takes `requests` slots if the budget has them now (and is not paused by a 429).
    pub fn try_reserve(&self, requests: u32) -> Option<Reservation> {
        let now = self.now();
        let mut state = self.lock();
        self.refresh(&mut state, now);
        if state.paused_until.is_some_and(|until| until > now) || Self::used(&state) + requests > state.limit && !state.entries.is_empty() {
            return None;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.entries.push(Entry { id, at: now, requests });
        Some(Reservation { id })
    }

    /// Takes `requests` slots, waiting (in real time) until the budget has them and any pause is over.
    pub async fn reserve(&self, requests: u32) -> Reservation {
        loop {
            if let Some(reservation) = self.try_reserve(requests) {
                return reservation;
            }
            let wait = self.room_at(requests).duration_since(self.now()).unwrap_or_default();
            tokio::time::sleep(wait.clamp(Duration::from_millis(1), Duration::from_secs(1))).await;
        }
    }

    /// The answer to a reserved batch came: its requests count from now.
    pub fn settle(&self, reservation: Reservation) {
        let now = self.now();
        let mut state = self.lock();
        if let Some(entry) = state.entries.iter_mut().find(|e| e.id == reservation.id) {
            entry.at = now;
        }
    }

    /// The service throttled a request anyway: no room until `retry_after` has passed, and a lower limit (at most
    /// once a window).
    pub fn throttled(&self, retry_after: Option<Duration>) {
        let now = self.now();
        let mut state = self.lock();
        state.throttled_count += 1;
        let until = now + retry_after.unwrap_or(Duration::from_secs(1));
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
        if state.changed_at.is_none_or(|at| now.duration_since(at).is_ok_and(|since| since >= self.window)) {
            state.limit = (state.limit - state.limit / 5).max(1);
            state.changed_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A clock the test moves, in milliseconds from an origin.
    fn driven() -> (BudgetClock, Arc<AtomicU64>) {
        let millis = Arc::new(AtomicU64::new(0));
        let read = millis.clone();
        let origin = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        (Arc::new(move || origin + Duration::from_millis(read.load(Ordering::SeqCst))), millis)
    }

    #[test]
    fn the_budget_lets_the_limit_through_per_window_and_frees_slots_as_answers_age_out() {
        let (clock, millis) = driven();
        let budget = RequestBudget::with_clock(100, Duration::from_secs(30), clock);
        assert_eq!(budget.room(), 100);
        let first = budget.try_reserve(60).unwrap();
        millis.store(1_000, Ordering::SeqCst);
        budget.settle(first);
        let second = budget.try_reserve(40).unwrap();
        budget.settle(second);
        assert_eq!(budget.room(), 0);
        assert!(budget.try_reserve(1).is_none(), "the window is full");
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(budget.room_at(10), start + Duration::from_secs(31), "the first answer leaves the window at 31 s");
        millis.store(30_999, Ordering::SeqCst);
        assert_eq!(budget.room(), 0);
        millis.store(31_000, Ordering::SeqCst);
        assert_eq!(budget.room(), 100, "both answers came at 1 s and left the window together");
    }

    #[test]
    fn a_429_pauses_the_budget_and_lowers_its_limit_which_comes_back_after_quiet_windows() {
        let (clock, millis) = driven();
        let budget = RequestBudget::with_clock(100, Duration::from_secs(10), clock);
        budget.throttled(Some(Duration::from_secs(4)));
        budget.throttled(Some(Duration::from_secs(2)));
        assert_eq!(budget.room(), 0, "paused until the Retry-After");
        assert_eq!(budget.limit(), 80, "lowered by a fifth, once in the window");
        assert_eq!(budget.throttled_count(), 2);
        assert!(budget.try_reserve(1).is_none(), "nothing is sent during the pause");
        assert_eq!(budget.room_at(1), SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_004));
        millis.store(4_000, Ordering::SeqCst);
        assert_eq!(budget.room(), 80);
        millis.store(10_000, Ordering::SeqCst);
        assert_eq!(budget.room(), 85, "a quiet window gives back a twentieth");
        millis.store(100_000, Ordering::SeqCst);
        budget.room();
        millis.store(200_000, Ordering::SeqCst);
        budget.room();
        millis.store(300_000, Ordering::SeqCst);
        assert_eq!(budget.room(), 100, "never above the configured limit");
    }

    #[test]
    fn a_batch_larger_than_the_limit_is_still_sent_into_an_empty_window() {
        let (clock, _) = driven();
        let budget = RequestBudget::with_clock(5, Duration::from_secs(1), clock);
        let r = budget.try_reserve(20).expect("an empty window takes any batch, or nothing would ever be sent");
        budget.settle(r);
        assert!(budget.try_reserve(1).is_none());
    }
}
