//! The presence service's state and rules (graph-presence-api.md §1, §4), as pure functions of the time they are
//! given.
//!
//! - A user has one presence session per application (`sessionId`). setPresence creates or replaces it and keeps it
//!   alive; it expires `expirationDuration` (default 5 minutes) after it was last set.
//! - An `Available/Available` session fades: after 5 minutes to `Available/AvailableInactive`, after 5 more to
//!   `Away/Away`. Setting it again restarts the fade.
//! - The user's presence aggregates the live sessions: the preferred presence wins while at least one session
//!   lives; otherwise the highest session by DoNotDisturb > Busy > Available > BeRightBack > Away > Offline (where
//!   BeRightBack and Offline rank is not documented; this order is the project's choice). No live session: Offline.
//! - `sequenceNumber` grows whenever the aggregated presence a reader would see changes.

use jiff::{SignedDuration, Timestamp};
use mgpresence_domain::duration::SESSION_DEFAULT_EXPIRATION;
use mgpresence_domain::{Activity, Availability, Presence, SetPresenceRequest, SetUserPreferredPresenceRequest};
use std::collections::{BTreeMap, HashMap};

/// After this long without being set, an Available session turns AvailableInactive, and after twice this long, Away.
pub const FADE_AFTER: SignedDuration = SignedDuration::from_mins(5);

/// One application's presence session for a user.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceSession {
    pub availability: Availability,
    pub activity: Activity,
    pub set_at: Timestamp,
    pub expires_at: Timestamp,
}

impl PresenceSession {
    /// The session's state at `now`, or `None` once it has expired.
    pub fn state_at(&self, now: Timestamp) -> Option<(Availability, Activity)> {
        if now >= self.expires_at {
            return None;
        }
        if (self.availability, self.activity) == (Availability::Available, Activity::Available) {
            let idle = now.duration_since(self.set_at);
            if idle >= FADE_AFTER * 2 {
                return Some((Availability::Away, Activity::Away));
            }
            if idle >= FADE_AFTER {
                return Some((Availability::Available, Activity::AvailableInactive));
            }
        }
        Some((self.availability, self.activity))
    }
}

/// The user's preferred presence (setUserPreferredPresence).
#[derive(Debug, Clone, PartialEq)]
pub struct PreferredPresence {
    pub availability: Availability,
    pub activity: Activity,
    pub expires_at: Timestamp,
}

/// The preferred presence's expiry when none is given: 1 day for DoNotDisturb and Busy, 7 days otherwise.
pub fn default_preferred_expiration(availability: Availability) -> SignedDuration {
    match availability {
        Availability::DoNotDisturb | Availability::Busy => SignedDuration::from_hours(24),
        _ => SignedDuration::from_hours(24 * 7),
    }
}

/// Where an availability ranks among sessions; higher wins.
fn rank(availability: Availability) -> u8 {
    match availability {
        Availability::DoNotDisturb => 6,
        Availability::Busy | Availability::BusyIdle => 5,
        Availability::Available | Availability::AvailableIdle => 4,
        Availability::BeRightBack => 3,
        Availability::Away => 2,
        Availability::Offline => 1,
        Availability::PresenceUnknown => 0,
    }
}

/// One user's presence.
#[derive(Debug, Clone, Default)]
pub struct UserPresence {
    pub sessions: BTreeMap<String, PresenceSession>,
    pub preferred: Option<PreferredPresence>,
    sequence: u64,
    last_seen: Option<(Availability, Activity)>,
}

impl UserPresence {
    /// The aggregated (availability, activity) at `now`.
    pub fn aggregate_at(&self, now: Timestamp) -> (Availability, Activity) {
        let any_session = self.sessions.values().any(|s| s.state_at(now).is_some());
        if let Some(p) = self.preferred.as_ref().filter(|p| any_session && now < p.expires_at) {
            return (p.availability, p.activity);
        }
        self.sessions
            .values()
            .filter_map(|s| s.state_at(now))
            .max_by_key(|(a, _)| rank(*a))
            .unwrap_or((Availability::Offline, Activity::Offline))
    }

    fn observe(&mut self, now: Timestamp) -> (Availability, Activity) {
        let state = self.aggregate_at(now);
        if self.last_seen != Some(state) {
            self.last_seen = Some(state);
            self.sequence += 1;
        }
        state
    }

    fn touch(&mut self) {
        self.sequence += 1;
    }
}

/// Every user's presence.
#[derive(Debug, Default)]
pub struct PresenceStore {
    users: HashMap<String, UserPresence>,
}

/// Why a request could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("The presence session '{session_id}' does not exist.")]
    SessionNotFound { session_id: String },
}

impl PresenceStore {
    fn user(&mut self, user_id: &str) -> &mut UserPresence {
        // Object IDs are GUIDs, which Graph compares case-insensitively.
        self.users.entry(user_id.to_ascii_lowercase()).or_default()
    }

    /// setPresence: creates or replaces the application's session. The body must already be validated.
    pub fn set_presence(&mut self, user_id: &str, body: &SetPresenceRequest, now: Timestamp) {
        let expiration = body.expiration_duration.unwrap_or(SESSION_DEFAULT_EXPIRATION).as_signed_duration();
        let session = PresenceSession {
            availability: body.availability.expect("validated"),
            activity: body.activity.expect("validated"),
            set_at: now,
            expires_at: now.saturating_add(expiration).expect("expiry in range"),
        };
        let user = self.user(user_id);
        user.sessions.insert(body.session_id.clone().expect("validated"), session);
        user.touch();
    }

    /// clearPresence: removes the application's session; 404 when there is none (or it has expired).
    pub fn clear_presence(&mut self, user_id: &str, session_id: &str, now: Timestamp) -> Result<(), StoreError> {
        let user = self.user(user_id);
        match user.sessions.remove(session_id) {
            Some(s) if s.state_at(now).is_some() => {
                user.touch();
                Ok(())
            }
            _ => Err(StoreError::SessionNotFound { session_id: session_id.to_owned() }),
        }
    }

    /// setUserPreferredPresence: sets the preferred presence. The body must already be validated.
    pub fn set_preferred_presence(&mut self, user_id: &str, body: &SetUserPreferredPresenceRequest, now: Timestamp) {
        let availability = body.availability.expect("validated");
        let expiration = body
            .expiration_duration
            .map(|d| d.as_signed_duration())
            .unwrap_or_else(|| default_preferred_expiration(availability));
        let user = self.user(user_id);
        user.preferred = Some(PreferredPresence {
            availability,
            activity: body.activity.expect("validated"),
            expires_at: now.saturating_add(expiration).expect("expiry in range"),
        });
        user.touch();
    }

    /// clearUserPreferredPresence: removes the preferred presence (succeeds when there is none).
    pub fn clear_preferred_presence(&mut self, user_id: &str) {
        let user = self.user(user_id);
        if user.preferred.take().is_some() {
            user.touch();
        }
    }

    /// The presence resource a reader sees at `now`.
    pub fn presence(&mut self, user_id: &str, now: Timestamp) -> Presence {
        let user = self.user(user_id);
        user.sessions.retain(|_, s| s.state_at(now).is_some());
        let (availability, activity) = user.observe(now);
        Presence {
            id: user_id.to_owned(),
            availability,
            activity,
            out_of_office_settings: Default::default(),
            sequence_number: Some(format!("A{:010}", user.sequence)),
            status_message: None,
            work_location: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(store: &mut PresenceStore, session: &str, a: Availability, b: Activity, minutes: Option<i64>, now: Timestamp) {
        let body = SetPresenceRequest {
            session_id: Some(session.into()),
            availability: Some(a),
            activity: Some(b),
            expiration_duration: minutes.map(mgpresence_domain::IsoDuration::from_minutes),
            ..Default::default()
        };
        store.set_presence("user", &body, now);
    }

    fn at(minutes: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH.saturating_add(SignedDuration::from_mins(minutes)).unwrap()
    }

    #[test]
    fn a_user_without_sessions_is_offline() {
        let p = PresenceStore::default().presence("user", at(0));
        assert_eq!((p.availability, p.activity), (Availability::Offline, Activity::Offline));
    }

    #[test]
    fn a_session_expires_after_its_duration_default_five_minutes() {
        let mut store = PresenceStore::default();
        set(&mut store, "app", Availability::Busy, Activity::InACall, None, at(0));
        assert_eq!(store.presence("user", at(4)).availability, Availability::Busy);
        assert_eq!(store.presence("user", at(5)).availability, Availability::Offline);
        set(&mut store, "app", Availability::Busy, Activity::InACall, Some(60), at(10));
        assert_eq!(store.presence("user", at(69)).availability, Availability::Busy);
        assert_eq!(store.presence("user", at(70)).availability, Availability::Offline);
    }

    #[test]
    fn available_fades_to_inactive_then_away() {
        let mut store = PresenceStore::default();
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(0));
        let state = |store: &mut PresenceStore, m| {
            let p = store.presence("user", at(m));
            (p.availability, p.activity)
        };
        assert_eq!(state(&mut store, 4), (Availability::Available, Activity::Available));
        assert_eq!(state(&mut store, 5), (Availability::Available, Activity::AvailableInactive));
        assert_eq!(state(&mut store, 10), (Availability::Away, Activity::Away));
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(11));
        assert_eq!(state(&mut store, 12), (Availability::Available, Activity::Available));
    }

    #[test]
    fn sessions_aggregate_by_rank() {
        let mut store = PresenceStore::default();
        set(&mut store, "a", Availability::Away, Activity::Away, Some(60), at(0));
        set(&mut store, "b", Availability::Available, Activity::Available, Some(60), at(0));
        assert_eq!(store.presence("user", at(1)).availability, Availability::Available);
        set(&mut store, "c", Availability::DoNotDisturb, Activity::Presenting, Some(60), at(0));
        set(&mut store, "d", Availability::Busy, Activity::InACall, Some(60), at(0));
        assert_eq!(store.presence("user", at(1)).activity, Activity::Presenting);
    }

    #[test]
    fn preferred_presence_wins_only_while_a_session_lives() {
        let mut store = PresenceStore::default();
        let preferred = SetUserPreferredPresenceRequest {
            availability: Some(Availability::DoNotDisturb),
            activity: Some(Activity::DoNotDisturb),
            ..Default::default()
        };
        store.set_preferred_presence("user", &preferred, at(0));
        assert_eq!(store.presence("user", at(1)).availability, Availability::Offline);
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(1));
        assert_eq!(store.presence("user", at(2)).activity, Activity::DoNotDisturb);
        // DoNotDisturb defaults to one day.
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(24 * 60));
        assert_eq!(store.presence("user", at(24 * 60 + 1)).activity, Activity::Available);
        store.clear_preferred_presence("user");
        assert!(store.users["user"].preferred.is_none());
    }

    #[test]
    fn clearing_a_missing_session_fails_and_the_last_session_leaves_offline() {
        let mut store = PresenceStore::default();
        assert!(store.clear_presence("user", "app", at(0)).is_err());
        set(&mut store, "app", Availability::Busy, Activity::InACall, None, at(0));
        store.clear_presence("user", "app", at(1)).unwrap();
        assert_eq!(store.presence("user", at(1)).availability, Availability::Offline);
    }

    #[test]
    fn sequence_number_grows_with_each_change() {
        let mut store = PresenceStore::default();
        let s0 = store.presence("user", at(0)).sequence_number.unwrap();
        assert_eq!(store.presence("user", at(0)).sequence_number.unwrap(), s0, "reading alone changes nothing");
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(0));
        let s1 = store.presence("user", at(0)).sequence_number.unwrap();
        let s2 = store.presence("user", at(6)).sequence_number.unwrap();
        assert!(s0 < s1 && s1 < s2, "{s0} {s1} {s2}");
    }

    #[test]
    fn user_ids_compare_case_insensitively() {
        let mut store = PresenceStore::default();
        let body = SetPresenceRequest {
            session_id: Some("app".into()),
            availability: Some(Availability::Busy),
            activity: Some(Activity::InACall),
            ..Default::default()
        };
        store.set_presence("ABC", &body, at(0));
        assert_eq!(store.presence("abc", at(1)).availability, Availability::Busy);
    }
}
