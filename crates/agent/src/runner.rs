//! The agent's rounds: at each instant the caller gives (the system clock in service, a clock tests drive over a
//! simulated day), every hold that is due — the earliest deadline first — is renewed with setPresence, or cleared
//! with clearPresence at its end, through the bulk path's JSON `$batch` (its throttling, Retry-After and retries),
//! and the outcome is written to the store before the round ends.
//!
//! Every request of the agent comes out of one [`RequestBudget`] (the throttle limit, 10,000 per 30 s by default):
//! a round takes no more due holds than the budget has room for, so under overload the holds left wait for the next
//! round with the earliest deadline first, and each lapse falls to the hold that has waited longest.

use crate::schedule::{Renewal, RenewalPolicy};
use crate::store::{Hold, HoldKey, KeepAliveStore, StoreError};
use jiff::{SignedDuration, Timestamp};
use mgpresence_catalog::find_cmdlet;
use mgpresence_graph::GraphClient;
use mgpresence_graph::budget::RequestBudget;
use mgpresence_graph::bulk::{BulkItem, BulkOptions, BulkOutcome, MAX_BATCH, NOT_SENT, run_bulk};
use std::sync::Arc;
use serde_json::{Map, Value, json};

/// How soon a renewal the service did not take (throttled past the retries, unavailable, cut off) is tried again.
pub const RETRY_AFTER_FAILURE: SignedDuration = SignedDuration::from_secs(15);

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundReport {
    pub renewed: usize,
    pub cleared: usize,
    /// Holds renewed after their deadline had passed (their session had lapsed), by key.
    pub late: Vec<HoldKey>,
    /// Renewals the service did not take this round, with why; they are tried again soon.
    pub failed: Vec<(HoldKey, String)>,
    /// Holds ended because the service refuses them for good (an unknown user, a refused pair), with why.
    pub ended: Vec<(HoldKey, String)>,
    /// Holds that were due but left for a later round: the budget had no room for them.
    pub deferred: usize,
}

/// The agent over a store and a connection.
pub struct KeepAliveAgent<'a> {
    pub store: &'a KeepAliveStore,
    pub client: &'a GraphClient,
    pub policy: RenewalPolicy,
    /// At most this many holds a round.
    pub round_limit: usize,
    /// The bulk path's options; its `budget` is the agent's one rate budget.
    pub bulk: BulkOptions,
}

fn key_text(key: &HoldKey) -> String {
    format!("{}\u{1f}{}", key.user_id, key.session_id)
}

/// Whether an outcome means the hold can never be renewed (rather than "not now"): the service's answer to the
/// hold's own request that the user is not there (404) or the request is not one it takes (400), or a pair refused
/// before sending. Never the `$batch` request's own answer (a wrong endpoint, say), which says nothing of the hold,
/// nor a 401/403 (the application's sign-in or permission, which an administrator can mend): those keep the hold.
fn refused_for_good(outcome: &BulkOutcome) -> bool {
    !outcome.whole_batch && (matches!(outcome.status, 400 | 404) || outcome.error_code() == Some("InvalidArgument"))
}

impl<'a> KeepAliveAgent<'a> {
    /// An agent whose budget is the service's documented throttle limit, by the system clock.
    pub fn new(store: &'a KeepAliveStore, client: &'a GraphClient) -> Self {
        Self::with_budget(store, client, Arc::new(crate::Capacity::default().budget()))
    }

    /// An agent over the given budget (another limit, or a clock a test drives).
    pub fn with_budget(store: &'a KeepAliveStore, client: &'a GraphClient, budget: Arc<RequestBudget>) -> Self {
        // The agent's rounds are its waiting: a batch the budget has no room for waits for the next round.
        let bulk = BulkOptions { budget: Some(budget), wait_for_budget: false, ..BulkOptions::default() };
        Self { store, client, policy: RenewalPolicy::default(), round_limit: 20_000, bulk }
    }

    /// The agent's rate budget.
    pub fn budget(&self) -> Option<&Arc<RequestBudget>> {
        self.bulk.budget.as_ref()
    }

    /// When the round after `report` (run at `now`) should come: after `idle` (so holds added meanwhile are taken
    /// up), when the renewals the service did not take are due again, or as soon as the budget has room again for
    /// holds the round had to leave.
    pub fn next_round_at(&self, report: &RoundReport, now: Timestamp, idle: SignedDuration) -> Timestamp {
        let mut later = now.saturating_add(idle).unwrap_or(now);
        if !report.failed.is_empty() {
            later = later.min(now.saturating_add(RETRY_AFTER_FAILURE).unwrap_or(now));
        }
        let Some(budget) = self.budget().filter(|_| report.deferred > 0) else { return later };
        // As soon as one batch can go: waiting for more would leave the slots freed first unused meanwhile.
        let wanted = u32::try_from(report.deferred.min(MAX_BATCH)).unwrap_or(u32::MAX);
        let room_in = budget.room_at(wanted).duration_since(budget.now()).unwrap_or_default();
        let room = now.saturating_add(SignedDuration::try_from(room_in).unwrap_or(idle)).unwrap_or(now);
        // A few milliseconds past the instant the room frees, so the round finds it free.
        later.min(room.saturating_add(SignedDuration::from_millis(5)).unwrap_or(room))
    }

    /// One round at `now`.
    pub async fn round(&self, now: Timestamp) -> Result<RoundReport, StoreError> {
        let room = self.budget().map_or(self.round_limit, |b| usize::try_from(b.room()).unwrap_or(usize::MAX));
        let take = self.round_limit.min(room);
        let mut report = RoundReport::default();
        if take == 0 {
            report.deferred = self.store.due_count(now)?;
            return Ok(report);
        }
        let due = self.store.due(now, take)?;
        if due.len() == take {
            report.deferred = self.store.due_count(now)?.saturating_sub(take);
        }
        let (mut renewals, mut clears): (Vec<(Hold, Renewal)>, Vec<Hold>) = (Vec::new(), Vec::new());
        for hold in due {
            match self.policy.renewal(&hold, now) {
                Renewal::Clear => clears.push(hold),
                renewal => renewals.push((hold, renewal)),
            }
        }
        // Clears first: their deadline (the hold's end) has come, where a renewal due now still has its margin. Sent
        // after the renewals, they would find the room the round was sized to taken by the renewals' retries, round
        // after round while the budget is tight.
        if !clears.is_empty() {
            let items = clears
                .iter()
                .map(|hold| {
                    let mut bound = Map::new();
                    bound.insert("UserId".into(), Value::String(hold.key.user_id.clone()));
                    bound.insert("SessionId".into(), Value::String(hold.key.session_id.clone()));
                    BulkItem { key: key_text(&hold.key), bound }
                })
                .collect();
            let clear = find_cmdlet("Clear-MgUserPresence").expect("the catalog has Clear-MgUserPresence");
            let outcomes = run_bulk(self.client, &clear, "ClearExpanded", items, &self.bulk).await;
            self.store.write_together(|| {
                for (hold, outcome) in clears.iter().zip(outcomes) {
                    match (&outcome.error, outcome.status, outcome.whole_batch) {
                        // 404 for its own request (not the batch's): the session was gone already (expired at the
                        // hold's end); either way the hold is done.
                        (None, _, _) | (Some(_), 404, false) => {
                            self.store.remove(&hold.key)?;
                            report.cleared += 1;
                        }
                        (Some(e), _, _) if e.error_id == NOT_SENT => report.deferred += 1,
                        (Some(e), _, _) => {
                            let retry = now.saturating_add(RETRY_AFTER_FAILURE).unwrap_or(now);
                            self.store.record_renewal(&hold.key, now, &e.describe(), retry, false)?;
                            report.failed.push((hold.key.clone(), e.describe()));
                        }
                    }
                }
                Ok(())
            })?;
        }
        if !renewals.is_empty() {
            let items = renewals
                .iter()
                .map(|(hold, renewal)| {
                    let Renewal::Set { expiration, .. } = renewal else { unreachable!("only renewals here") };
                    let bound = json!({
                        "UserId": hold.key.user_id,
                        "SessionId": hold.key.session_id,
                        "Availability": hold.availability.as_str(),
                        "Activity": hold.activity.as_str(),
                        "ExpirationDuration": expiration.to_string(),
                    });
                    BulkItem { key: key_text(&hold.key), bound: bound.as_object().cloned().unwrap_or_default() }
                })
                .collect();
            let set = find_cmdlet("Set-MgUserPresence").expect("the catalog has Set-MgUserPresence");
            let outcomes = run_bulk(self.client, &set, "SetExpanded", items, &self.bulk).await;
            // The round's outcomes in one commit.
            self.store.write_together(|| {
                for ((hold, renewal), outcome) in renewals.iter().zip(outcomes) {
                    let Renewal::Set { next_due, .. } = renewal else { continue };
                    match &outcome.error {
                        None => {
                            // Renewed after its deadline: the session had faded or expired meanwhile.
                            let lapsed = hold.last_renewed.is_some() && now > hold.next_due.saturating_add(self.policy.margin).unwrap_or(hold.next_due);
                            if lapsed {
                                report.late.push(hold.key.clone());
                            }
                            self.store.record_renewal(&hold.key, now, &outcome.status.to_string(), *next_due, lapsed)?;
                            report.renewed += 1;
                        }
                        // Left for a later round (no room in the budget): still due, the earliest first, as it was.
                        Some(e) if e.error_id == NOT_SENT => report.deferred += 1,
                        Some(e) if refused_for_good(&outcome) => {
                            self.store.remove(&hold.key)?;
                            report.ended.push((hold.key.clone(), e.describe()));
                        }
                        Some(e) => {
                            let retry = now.saturating_add(RETRY_AFTER_FAILURE).unwrap_or(now).min(*next_due);
                            self.store.record_renewal(&hold.key, now, &e.describe(), retry, false)?;
                            report.failed.push((hold.key.clone(), e.describe()));
                        }
                    }
                }
                Ok(())
            })?;
        }
        Ok(report)
    }
}
