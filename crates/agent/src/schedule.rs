//! When each hold must be renewed, with which `expirationDuration`, and whether holds fit the throttle budget.
//!
//! A session lasts `expirationDuration` (PT5M..PT4H) after it was last set, and an `Available` one fades after
//! 5 minutes however long it was set for (graph-presence-api.md §4). So a renewal asks for the longest expiration that
//! outlasts the hold's `until` by no more than the margin (PT4H at most, PT5M at least), and the next one is due a
//! margin before the earlier of the fade and the expiry. A hold whose `until` has come is cleared instead.

use jiff::{SignedDuration, Timestamp};
use mgpresence_domain::IsoDuration;
use mgpresence_domain::duration::{SESSION_EXPIRATION_RANGE, SESSION_FADE_AFTER};
use mgpresence_domain::values::Availability;

use crate::store::Hold;

/// What to do with a hold now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// setPresence with this expiration; the next renewal is due at `next_due`.
    Set { expiration: IsoDuration, next_due: Timestamp },
    /// The hold's `until` has come: clearPresence, then forget the hold.
    Clear,
}

/// How renewals are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPolicy {
    /// How long before a deadline (fade or expiry) a renewal is due.
    pub margin: SignedDuration,
}

impl Default for RenewalPolicy {
    /// A minute before each deadline: room for a throttled batch and its retries.
    fn default() -> Self {
        Self { margin: SignedDuration::from_mins(1) }
    }
}

impl RenewalPolicy {
    /// The renewal of `hold` at `now`.
    pub fn renewal(&self, hold: &Hold, now: Timestamp) -> Renewal {
        if hold.until.is_some_and(|until| until <= now) {
            return Renewal::Clear;
        }
        let longest = SESSION_EXPIRATION_RANGE.max.as_signed_duration();
        let shortest = SESSION_EXPIRATION_RANGE.min.as_signed_duration();
        // A margin past the hold's end, so the session is still there when the clear comes (a session that expired
        // first would be a lapse by the service's count).
        let left = hold.until.map_or(longest, |until| until.duration_since(now).saturating_add(self.margin));
        let expiration = left.clamp(shortest, longest);
        let lifetime = if hold.availability == Availability::Available { expiration.min(SESSION_FADE_AFTER.as_signed_duration()) } else { expiration };
        let mut next_due = now.saturating_add(lifetime.saturating_sub(self.margin)).unwrap_or(now);
        // When this session lasts past the hold's end by the margin, the next thing due is the clear, at the end
        // itself (a session that faded or expired just before the clear would be a lapse by the service's count).
        if let Some(until) = hold.until
            && (now.saturating_add(lifetime).unwrap_or(now) >= until.saturating_add(self.margin).unwrap_or(until) || next_due > until)
        {
            next_due = until;
        }
        let expiration = IsoDuration::try_from_signed(round_up_to_minute(expiration)).unwrap_or(SESSION_EXPIRATION_RANGE.min);
        Renewal::Set { expiration, next_due }
    }
}

/// Whole minutes, so the expiration reads `PT1H13M`, not `PT1H12M37S`.
fn round_up_to_minute(d: SignedDuration) -> SignedDuration {
    // A part of a second counts as a second: 39 min 0.9 s is PT40M, never shorter than asked.
    let seconds = d.as_secs() + i64::from(d.subsec_nanos() > 0);
    SignedDuration::from_secs((seconds + 59) / 60 * 60).min(SESSION_EXPIRATION_RANGE.max.as_signed_duration())
}

/// The throttle budget holds share: at most `requests` per `window` for the application in its tenant
/// (graph-presence-api.md §5: 10,000 requests per 30 seconds for presence writes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub requests: u32,
    pub window: SignedDuration,
}

impl Default for Capacity {
    fn default() -> Self {
        Self { requests: 10_000, window: SignedDuration::from_secs(30) }
    }
}

/// Holds that do not fit the budget, with the numbers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{holds} holds ({available} Available) need {needed:.0} renewals per {window_seconds} s, more than the {budget} the throttle allows \
     ({share:.0}% of it). Available holds need one every 5 minutes, others one every 4 hours. Add fewer, or force it and accept lapses."
)]
pub struct CapacityError {
    pub holds: usize,
    pub available: usize,
    pub needed: f64,
    pub budget: u32,
    pub window_seconds: i64,
    pub share: f64,
}

impl Capacity {
    /// The agent's one rate budget over this limit, by the system clock.
    pub fn budget(&self) -> mgpresence_graph::budget::RequestBudget {
        mgpresence_graph::budget::RequestBudget::new(self.requests, self.window.unsigned_abs())
    }

    /// The renewals per window one hold needs at the least: an `Available` one before every fade, another before
    /// every expiry of the longest session.
    pub fn renewals_per_window(&self, availability: Availability) -> f64 {
        let interval = if availability == Availability::Available { SESSION_FADE_AFTER } else { SESSION_EXPIRATION_RANGE.max };
        self.window.as_secs_f64() / interval.as_signed_duration().as_secs_f64()
    }

    /// Whether holds of these availabilities fit the budget together.
    pub fn check(&self, availabilities: impl IntoIterator<Item = Availability>) -> Result<f64, CapacityError> {
        let (mut holds, mut available, mut needed) = (0_usize, 0_usize, 0.0_f64);
        for availability in availabilities {
            holds += 1;
            available += usize::from(availability == Availability::Available);
            needed += self.renewals_per_window(availability);
        }
        let budget = f64::from(self.requests);
        // A hair over the budget from rounding is still within it.
        if needed > budget + 1e-6 {
            return Err(CapacityError { holds, available, needed, budget: self.requests, window_seconds: self.window.as_secs(), share: needed / budget * 100.0 });
        }
        Ok(needed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::HoldKey;
    use mgpresence_domain::values::Activity;
    use proptest::prelude::*;

    fn hold(availability: Availability, activity: Activity, until: Option<Timestamp>) -> Hold {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        Hold {
            key: HoldKey { user_id: "u".into(), session_id: "app".into() },
            availability,
            activity,
            until,
            added: t,
            next_due: t,
            last_renewed: None,
            last_result: None,
            lapses: 0,
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    #[test]
    fn available_holds_renew_before_they_fade_others_before_they_expire() {
        let policy = RenewalPolicy::default();
        let available = policy.renewal(&hold(Availability::Available, Activity::Available, None), now());
        assert_eq!(available, Renewal::Set { expiration: IsoDuration::from_hours(4), next_due: now() + SignedDuration::from_mins(4) });
        let busy = policy.renewal(&hold(Availability::Busy, Activity::InACall, None), now());
        assert_eq!(busy, Renewal::Set { expiration: IsoDuration::from_hours(4), next_due: now() + SignedDuration::from_mins(239) });
    }

    #[test]
    fn a_hold_ending_soon_asks_no_longer_than_its_end_and_is_cleared_at_it() {
        let policy = RenewalPolicy::default();
        let until = now() + SignedDuration::from_mins(72) + SignedDuration::from_secs(30);
        let Renewal::Set { expiration, next_due } = policy.renewal(&hold(Availability::Busy, Activity::InACall, Some(until)), now()) else { panic!() };
        assert_eq!(expiration, IsoDuration::from_minutes(74), "its end and the margin, in whole minutes");
        assert_eq!(next_due, until, "due at its end, to be cleared then");
        assert_eq!(policy.renewal(&hold(Availability::Busy, Activity::InACall, Some(until)), until), Renewal::Clear);
        let Renewal::Set { expiration, .. } = policy.renewal(&hold(Availability::Away, Activity::Away, Some(now() + SignedDuration::from_secs(30))), now()) else { panic!() };
        assert_eq!(expiration, IsoDuration::from_minutes(5), "never shorter than the service takes");
    }

    #[test]
    fn capacity_is_refused_with_the_numbers() {
        let capacity = Capacity::default();
        let full = capacity.check(std::iter::repeat_n(Availability::Available, 100_000)).unwrap();
        assert!((full - 10_000.0).abs() < 1e-6, "100,000 Available holds take the whole budget: {full}");
        let over = capacity.check(std::iter::repeat_n(Availability::Available, 120_000)).unwrap_err();
        assert_eq!((over.holds, over.available, over.budget), (120_000, 120_000, 10_000));
        assert!((over.needed - 12_000.0).abs() < 1e-6);
        assert!(over.to_string().contains("need 12000 renewals per 30 s, more than the 10000"), "{over}");
        assert!(capacity.check(std::iter::repeat_n(Availability::Busy, 1_000_000)).is_ok(), "Busy holds renew every 4 hours");
    }

    proptest! {
        /// Whatever the hold and the time, a renewal is due before the session can fade or expire, and never later
        /// than the hold's end.
        #[test]
        fn renewals_come_before_every_deadline(available in any::<bool>(), until_s in proptest::option::of(0_i64..40_000), at_s in 0_i64..40_000) {
            let (availability, activity) = if available { (Availability::Available, Activity::Available) } else { (Availability::Busy, Activity::InACall) };
            let until = until_s.map(|s| now() + SignedDuration::from_secs(s));
            let at = now() + SignedDuration::from_secs(at_s);
            match RenewalPolicy::default().renewal(&hold(availability, activity, until), at) {
                Renewal::Clear => prop_assert!(until.is_some_and(|u| u <= at)),
                Renewal::Set { expiration, next_due } => {
                    prop_assert!(SESSION_EXPIRATION_RANGE.contains(expiration));
                    let lifetime = if available { expiration.as_signed_duration().min(SESSION_FADE_AFTER.as_signed_duration()) } else { expiration.as_signed_duration() };
                    prop_assert!(next_due < at + lifetime || until == Some(next_due), "due {next_due} after the deadline {}", at + lifetime);
                    prop_assert!(next_due > at || until.is_some_and(|u| next_due >= u));
                    if let Some(u) = until { prop_assert!(next_due <= u); }
                }
            }
        }
    }
}
