//! The scheduler alone — the store's due list and the renewal policy, no network — over simulated days, judged by a
//! model of the service's sessions (graph-presence-api.md §4: a session lasts its `expirationDuration` after it was
//! last set, an `Available` one fades after 5 minutes). Rounds come at uneven gaps (a slow round, a busy machine),
//! holds are added and removed while it runs, and some end during the run.

use jiff::{SignedDuration, Timestamp};
use mgpresence_agent::{HoldKey, KeepAliveStore, NewHold, Renewal, RenewalPolicy};
use mgpresence_domain::duration::SESSION_FADE_AFTER;
use mgpresence_domain::values::{Activity, Availability};
use std::collections::HashMap;

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the model of the service knows of one hold's session.
#[derive(Default)]
struct Session {
    /// When the session fades or expires unless set again.
    deadline: Option<Timestamp>,
    renewals: u32,
    first: Option<Timestamp>,
}

const PAIRS: [(Availability, Activity); 3] =
    [(Availability::Available, Activity::Available), (Availability::Busy, Activity::InACall), (Availability::Away, Activity::Away)];

fn new_hold(random: &mut XorShift, n: usize, now: Timestamp, hours: i64) -> NewHold {
    let (availability, activity) = PAIRS[random.below(3) as usize];
    // A third end during the run, at any second of it.
    let until = (random.below(3) == 0).then(|| now + SignedDuration::from_secs(60 + random.below((hours * 3_600) as u64) as i64));
    NewHold { key: HoldKey { user_id: format!("day-user-{n}"), session_id: "app".into() }, availability, activity, until }
}

#[test]
fn three_simulated_days_of_holds_renew_before_every_deadline_and_clear_each_end_within_the_round_gap() {
    let hours = 72;
    let dir = tempfile::tempdir().unwrap();
    let mut store = KeepAliveStore::open(&dir.path().join("holds.db")).unwrap();
    let policy = RenewalPolicy::default();
    let mut random = XorShift(0x2545_f491_4f6c_dd1d);
    let start = Timestamp::from_second(1_800_000_000).unwrap();
    let end = start + SignedDuration::from_hours(hours);
    let mut now = start;

    let first: Vec<NewHold> = (0..300).map(|n| new_hold(&mut random, n, now, hours)).collect();
    store.add_all(&first, now).unwrap();
    let mut holds: HashMap<String, NewHold> = first.into_iter().map(|h| (h.key.user_id.clone(), h)).collect();
    let mut sessions: HashMap<String, Session> = HashMap::new();
    let mut removed: Vec<String> = Vec::new();
    let (mut lapses, mut late_clears, mut cleared, mut renewed_after_removal) = (Vec::new(), Vec::new(), 0, 0);
    let mut added = holds.len();
    // Rounds come every 1 to 20 seconds: the agent's second, and slow rounds.
    let longest_gap = SignedDuration::from_secs(20);

    while now < end {
        now += SignedDuration::from_secs(1 + random.below(20) as i64);
        // Holds come and go while it runs.
        if random.below(200) == 0 {
            let hold = new_hold(&mut random, added, now, hours);
            added += 1;
            store.add(&hold, now).unwrap();
            holds.insert(hold.key.user_id.clone(), hold);
        }
        if random.below(400) == 0 && !holds.is_empty() {
            let mut ids: Vec<&String> = holds.keys().collect();
            ids.sort();
            let id = ids[random.below(ids.len() as u64) as usize].clone();
            assert!(store.remove(&holds[&id].key).unwrap());
            holds.remove(&id);
            removed.push(id);
        }
        for hold in store.due(now, usize::MAX).unwrap() {
            let id = hold.key.user_id.clone();
            if removed.contains(&id) {
                renewed_after_removal += 1;
            }
            let session = sessions.entry(id.clone()).or_default();
            if session.deadline.is_some_and(|deadline| deadline <= now) {
                lapses.push((id.clone(), session.deadline, now));
            }
            match policy.renewal(&hold, now) {
                Renewal::Set { expiration, next_due } => {
                    let mut lifetime = expiration.as_signed_duration();
                    if hold.availability == Availability::Available {
                        lifetime = lifetime.min(SESSION_FADE_AFTER.as_signed_duration());
                    }
                    session.deadline = Some(now + lifetime);
                    session.renewals += 1;
                    session.first.get_or_insert(now);
                    store.record_renewal(&hold.key, now, "200", next_due, false).unwrap();
                }
                Renewal::Clear => {
                    let until = hold.until.expect("only a hold with an end is cleared");
                    if now.duration_since(until) > SignedDuration::from_mins(1) {
                        late_clears.push((id.clone(), until, now));
                    }
                    store.remove(&hold.key).unwrap();
                    holds.remove(&id);
                    cleared += 1;
                }
            }
        }
    }

    assert!(lapses.is_empty(), "{} session(s) faded or expired before their renewal, e.g. {:?}", lapses.len(), &lapses[..lapses.len().min(3)]);
    assert!(late_clears.is_empty(), "cleared more than a minute after the end: {late_clears:?}");
    assert_eq!(renewed_after_removal, 0, "a removed hold is never renewed");
    // Every hold is either still held, or ended (cleared at its end or removed): none lost.
    let left: Vec<String> = store.list().unwrap().into_iter().map(|h| h.key.user_id).collect();
    let mut expected: Vec<String> = holds.keys().cloned().collect();
    expected.sort();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(left_sorted, expected);
    assert_eq!(left.len() + cleared + removed.len(), added, "every hold added is held, cleared or removed");
    assert!(cleared > 50, "a third of the holds end during the run: {cleared}");
    assert!(removed.len() > 10, "holds were removed while it ran: {}", removed.len());
    assert!(longest_gap < policy.margin, "the gaps tested are within the margin");

    // No more renewals than the deadlines need: an Available hold at most once per 4 minutes (its fade less the
    // margin), others once per 3 h 59 min; renewals near an end may come sooner, so those holds are left out.
    for (id, session) in &sessions {
        let Some(hold) = holds.get(id).filter(|h| h.until.is_none()) else { continue };
        let held = now.duration_since(session.first.unwrap());
        let every = if hold.availability == Availability::Available { SignedDuration::from_mins(4) } else { SignedDuration::from_mins(239) };
        let most = (held.as_secs() / every.as_secs()) as u32 + 1;
        assert!(session.renewals <= most, "{id}: {} renewals in {held:?}, at most {most}", session.renewals);
        let least = (held.as_secs() / (every + longest_gap).as_secs()) as u32;
        assert!(session.renewals >= least, "{id}: {} renewals in {held:?}, at least {least}", session.renewals);
    }
}
