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
//! - A status message lives until its expiry (never without one). The signed-in user reads it whole (no expiry reads
//!   back as 9999-12-31T23:59:59.9999999 UTC); other readers get only the message.
//! - Work location: manual > automatic > none (the emulator has no calendar, so no scheduled signal).

use jiff::{SignedDuration, Timestamp};
use mgpresence_domain::duration::SESSION_DEFAULT_EXPIRATION;
use mgpresence_domain::{
    Activity, Availability, DateTimeTimeZone, ItemBody, Presence, PresenceStatusMessage, SetLocationRequest, SetPresenceRequest,
    SetStatusMessageRequest, SetUserPreferredPresenceRequest, UserWorkLocation,
};
use std::collections::{BTreeMap, HashMap};

/// After this long without being set, an Available session turns AvailableInactive, and after twice this long, Away.
pub const FADE_AFTER: SignedDuration = mgpresence_domain::duration::SESSION_FADE_AFTER.as_signed_duration();

/// One application's presence session for a user.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceSession {
    pub availability: Availability,
    pub activity: Activity,
    pub set_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Why a session stopped showing what its application set: an `Available` one faded, or the session expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LapseKind {
    Faded,
    Expired,
}

/// A presence session that faded or expired before its application set it again (or cleared it), by the service's
/// own rules: what a keep-alive agent must avoid, recorded so tests count lapses by the service's word.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lapse {
    pub user_id: String,
    pub session_id: String,
    pub kind: LapseKind,
    /// When the session faded or expired.
    pub at: Timestamp,
    /// When it was set again (or cleared); `None` while it is still lapsed.
    pub until: Option<Timestamp>,
}

impl PresenceSession {
    /// When and how the session lapses if it is not set again: an `Available` one fades after [`FADE_AFTER`] unless it
    /// expires first.
    pub fn lapses_at(&self) -> (LapseKind, Timestamp) {
        let available = (self.availability, self.activity) == (Availability::Available, Activity::Available);
        match self.set_at.checked_add(FADE_AFTER) {
            Ok(fades) if available && fades < self.expires_at => (LapseKind::Faded, fades),
            _ => (LapseKind::Expired, self.expires_at),
        }
    }

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

/// A status message as set, with its expiry as an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStatusMessage {
    pub message: Option<ItemBody>,
    pub expiry: Option<DateTimeTimeZone>,
    pub expires_at: Option<Timestamp>,
    pub published_at: Timestamp,
}

/// One work-location signal.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationSignal {
    pub work_location_type: String,
    pub place_id: Option<String>,
}

/// Which location layer an action writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationLayer {
    Manual,
    Automatic,
}

/// Windows time-zone names the emulator understands, with their IANA equivalents. Status message expiries in other
/// zones must use an IANA name (or UTC).
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC"),
    ("Coordinated Universal Time", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
];

/// The instant a `dateTimeTimeZone` names.
pub fn instant_of(value: &DateTimeTimeZone) -> Result<Timestamp, StoreError> {
    let date_time = value.date_time.as_deref().unwrap_or_default();
    let civil: jiff::civil::DateTime =
        date_time.parse().map_err(|_| StoreError::InvalidDateTime { value: date_time.to_owned() })?;
    let zone_name = value.time_zone.as_deref().unwrap_or("UTC");
    let iana = WINDOWS_ZONES.iter().find(|(w, _)| w.eq_ignore_ascii_case(zone_name)).map_or(zone_name, |(_, i)| *i);
    let zone = jiff::tz::TimeZone::get(iana).map_err(|_| StoreError::UnknownTimeZone { name: zone_name.to_owned() })?;
    civil.to_zoned(zone).map(|z| z.timestamp()).map_err(|_| StoreError::InvalidDateTime { value: date_time.to_owned() })
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
    pub status_message: Option<StoredStatusMessage>,
    pub manual_location: Option<LocationSignal>,
    pub automatic_location: Option<LocationSignal>,
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
    /// The lapses of sessions that were set again or cleared afterwards ([`Self::lapses`] adds the current ones).
    lapses: Vec<Lapse>,
}

/// Why a request could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("The presence session '{session_id}' does not exist.")]
    SessionNotFound { session_id: String },
    #[error("The time zone '{name}' is not known to the emulator; use UTC, an IANA name or a common Windows name.")]
    UnknownTimeZone { name: String },
    #[error("'{value}' is not a date and time.")]
    InvalidDateTime { value: String },
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
        let session_id = body.session_id.clone().expect("validated");
        let user = self.user(user_id);
        let previous = user.sessions.insert(session_id.clone(), session);
        user.touch();
        self.record_lapse(user_id, &session_id, previous.as_ref(), now);
    }

    /// Records the lapse of a session that is being replaced or removed at `now`, if it had lapsed.
    fn record_lapse(&mut self, user_id: &str, session_id: &str, previous: Option<&PresenceSession>, now: Timestamp) {
        if let Some(previous) = previous {
            let (kind, at) = previous.lapses_at();
            if at < now {
                self.lapses.push(Lapse { user_id: user_id.to_ascii_lowercase(), session_id: session_id.to_owned(), kind, at, until: Some(now) });
            }
        }
    }

    /// Every lapse so far: those recorded, then the sessions lapsed at `now` and not set again yet, the earliest first.
    pub fn lapses(&self, now: Timestamp) -> Vec<Lapse> {
        let mut all = self.lapses.clone();
        for (user_id, user) in &self.users {
            for (session_id, session) in &user.sessions {
                let (kind, at) = session.lapses_at();
                if at <= now {
                    all.push(Lapse { user_id: user_id.clone(), session_id: session_id.clone(), kind, at, until: None });
                }
            }
        }
        all.sort_by(|a, b| (a.at, &a.user_id, &a.session_id).cmp(&(b.at, &b.user_id, &b.session_id)));
        all
    }

    /// Forgets the recorded lapses.
    pub fn clear_lapses(&mut self) {
        self.lapses.clear();
    }

    /// clearPresence: removes the application's session; 404 when there is none (or it has expired).
    pub fn clear_presence(&mut self, user_id: &str, session_id: &str, now: Timestamp) -> Result<(), StoreError> {
        let user = self.user(user_id);
        let removed = user.sessions.remove(session_id);
        let result = match &removed {
            Some(s) if s.state_at(now).is_some() => {
                user.touch();
                Ok(())
            }
            _ => Err(StoreError::SessionNotFound { session_id: session_id.to_owned() }),
        };
        self.record_lapse(user_id, session_id, removed.as_ref(), now);
        result
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

    /// setStatusMessage: replaces the status message. The body must already be validated.
    pub fn set_status_message(&mut self, user_id: &str, body: &SetStatusMessageRequest, now: Timestamp) -> Result<(), StoreError> {
        let message = body.status_message.clone().unwrap_or_default();
        let expires_at = message.expiry_date_time.as_ref().map(instant_of).transpose()?;
        // Members the service does not define are ignored, at every level: they are not stored or read back.
        let text = message.message.map(|m| ItemBody { additional_properties: Default::default(), ..m });
        let expiry = message.expiry_date_time.map(|e| DateTimeTimeZone { additional_properties: Default::default(), ..e });
        let user = self.user(user_id);
        user.status_message = Some(StoredStatusMessage {
            message: text,
            expiry,
            expires_at,
            published_at: now,
        });
        user.touch();
        Ok(())
    }

    /// setManualLocation / setAutomaticLocation. The body must already be validated.
    pub fn set_location(&mut self, user_id: &str, layer: LocationLayer, body: &SetLocationRequest) {
        let value = body.work_location_type.as_deref().unwrap_or_default().trim();
        let canonical = mgpresence_domain::rules::SETTABLE_WORK_LOCATION_TYPES
            .iter()
            .find(|v| v.eq_ignore_ascii_case(value))
            .copied()
            .unwrap_or(value);
        let signal = LocationSignal { work_location_type: canonical.to_owned(), place_id: body.place_id.clone() };
        let user = self.user(user_id);
        match layer {
            LocationLayer::Manual => user.manual_location = Some(signal),
            LocationLayer::Automatic => user.automatic_location = Some(signal),
        }
        user.touch();
    }

    /// clearAutomaticLocation clears the automatic layer; clearLocation clears the manual and automatic layers.
    pub fn clear_location(&mut self, user_id: &str, manual_too: bool) {
        let user = self.user(user_id);
        user.automatic_location = None;
        if manual_too {
            user.manual_location = None;
        }
        user.touch();
    }

    /// The users the store knows, in id order.
    pub fn user_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.users.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The presence resource a reader sees at `now`. `reader_is_user` tells whether the reader is the user
    /// (who sees the status message's expiry and publication time) or someone else (who does not).
    pub fn presence(&mut self, user_id: &str, now: Timestamp, reader_is_user: bool) -> Presence {
        let user = self.user(user_id);
        user.sessions.retain(|_, s| s.state_at(now).is_some());
        if user.status_message.as_ref().and_then(|m| m.expires_at).is_some_and(|t| now >= t) {
            user.status_message = None;
            user.touch();
        }
        let (availability, activity) = user.observe(now);
        let status_message = user.status_message.as_ref().map(|m| PresenceStatusMessage {
            message: m.message.clone(),
            expiry_date_time: reader_is_user.then(|| {
                m.expiry.clone().unwrap_or(DateTimeTimeZone {
                    date_time: Some("9999-12-31T23:59:59.9999999".into()),
                    time_zone: Some("UTC".into()),
                    ..Default::default()
                })
            }),
            published_date_time: reader_is_user.then(|| m.published_at.strftime("%Y-%m-%dT%H:%M:%S%.7fZ").to_string()),
            ..Default::default()
        });
        let work_location = match (&user.manual_location, &user.automatic_location) {
            (Some(m), _) => UserWorkLocation { place_id: m.place_id.clone(), source: "manual".into(), work_location_type: m.work_location_type.clone(), ..Default::default() },
            (None, Some(a)) => UserWorkLocation { place_id: a.place_id.clone(), source: "automatic".into(), work_location_type: a.work_location_type.clone(), ..Default::default() },
            (None, None) => UserWorkLocation { place_id: None, source: "none".into(), work_location_type: "unspecified".into(), ..Default::default() },
        };
        Presence {
            id: user_id.to_owned(),
            availability,
            activity,
            out_of_office_settings: Default::default(),
            sequence_number: Some(format!("A{:010}", user.sequence)),
            status_message,
            work_location: Some(work_location),
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
        let p = PresenceStore::default().presence("user", at(0), true);
        assert_eq!((p.availability, p.activity), (Availability::Offline, Activity::Offline));
    }

    #[test]
    fn a_session_expires_after_its_duration_default_five_minutes() {
        let mut store = PresenceStore::default();
        set(&mut store, "app", Availability::Busy, Activity::InACall, None, at(0));
        assert_eq!(store.presence("user", at(4), true).availability, Availability::Busy);
        assert_eq!(store.presence("user", at(5), true).availability, Availability::Offline);
        set(&mut store, "app", Availability::Busy, Activity::InACall, Some(60), at(10));
        assert_eq!(store.presence("user", at(69), true).availability, Availability::Busy);
        assert_eq!(store.presence("user", at(70), true).availability, Availability::Offline);
    }

    #[test]
    fn lapses_are_what_the_rules_say_faded_or_expired_before_the_next_set() {
        let mut store = PresenceStore::default();
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(0));
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(4));
        assert!(store.lapses(at(8)).is_empty(), "renewed before its fade, and not faded yet");
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(10));
        set(&mut store, "busy-app", Availability::Busy, Activity::InACall, Some(5), at(0));
        let lapses = store.lapses(at(12));
        let seen: Vec<_> = lapses.iter().map(|l| (l.session_id.as_str(), l.kind, l.at, l.until)).collect();
        assert_eq!(
            seen,
            [("busy-app", LapseKind::Expired, at(5), None), ("app", LapseKind::Faded, at(9), Some(at(10)))],
            "the Available session faded 5 minutes after its set at 4; the Busy one expired and is still lapsed"
        );
        store.clear_lapses();
        assert_eq!(store.lapses(at(12)).len(), 1, "a session lapsed now stays listed");
    }

    #[test]
    fn available_fades_to_inactive_then_away() {
        let mut store = PresenceStore::default();
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(0));
        let state = |store: &mut PresenceStore, m| {
            let p = store.presence("user", at(m), true);
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
        assert_eq!(store.presence("user", at(1), true).availability, Availability::Available);
        set(&mut store, "c", Availability::DoNotDisturb, Activity::Presenting, Some(60), at(0));
        set(&mut store, "d", Availability::Busy, Activity::InACall, Some(60), at(0));
        assert_eq!(store.presence("user", at(1), true).activity, Activity::Presenting);
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
        assert_eq!(store.presence("user", at(1), true).availability, Availability::Offline);
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(1));
        assert_eq!(store.presence("user", at(2), true).activity, Activity::DoNotDisturb);
        // DoNotDisturb defaults to one day.
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(24 * 60));
        assert_eq!(store.presence("user", at(24 * 60 + 1), true).activity, Activity::Available);
        store.clear_preferred_presence("user");
        assert!(store.users["user"].preferred.is_none());
    }

    #[test]
    fn clearing_a_missing_session_fails_and_the_last_session_leaves_offline() {
        let mut store = PresenceStore::default();
        assert!(store.clear_presence("user", "app", at(0)).is_err());
        set(&mut store, "app", Availability::Busy, Activity::InACall, None, at(0));
        store.clear_presence("user", "app", at(1)).unwrap();
        assert_eq!(store.presence("user", at(1), true).availability, Availability::Offline);
    }

    #[test]
    fn sequence_number_grows_with_each_change() {
        let mut store = PresenceStore::default();
        let s0 = store.presence("user", at(0), true).sequence_number.unwrap();
        assert_eq!(store.presence("user", at(0), true).sequence_number.unwrap(), s0, "reading alone changes nothing");
        set(&mut store, "app", Availability::Available, Activity::Available, Some(60), at(0));
        let s1 = store.presence("user", at(0), true).sequence_number.unwrap();
        let s2 = store.presence("user", at(6), true).sequence_number.unwrap();
        assert!(s0 < s1 && s1 < s2, "{s0} {s1} {s2}");
    }

    #[test]
    fn status_messages_expire_and_hide_their_times_from_others() {
        use mgpresence_domain::{DateTimeTimeZone, ItemBody, PresenceStatusMessage, SetStatusMessageRequest};
        let mut store = PresenceStore::default();
        let body = |expiry: Option<&str>| SetStatusMessageRequest {
            status_message: Some(PresenceStatusMessage {
                message: Some(ItemBody { content: Some("In a workshop".into()), content_type: Some("text".into()), ..Default::default() }),
                expiry_date_time: expiry.map(|d| DateTimeTimeZone { date_time: Some(d.into()), time_zone: Some("UTC".into()), ..Default::default() }),
                published_date_time: None,
                ..Default::default()
            }),
            ..Default::default()
        };
        store.set_status_message("user", &body(None), at(0)).unwrap();
        let own = store.presence("user", at(1), true).status_message.unwrap();
        assert_eq!(own.expiry_date_time.unwrap().date_time.as_deref(), Some("9999-12-31T23:59:59.9999999"));
        assert!(own.published_date_time.is_some());
        let theirs = store.presence("user", at(1), false).status_message.unwrap();
        assert!(theirs.expiry_date_time.is_none() && theirs.published_date_time.is_none());
        assert_eq!(theirs.message.unwrap().content.as_deref(), Some("In a workshop"));

        store.set_status_message("user", &body(Some("1970-01-01T01:00:00")), at(0)).unwrap();
        assert!(store.presence("user", at(59), true).status_message.is_some());
        assert!(store.presence("user", at(60), true).status_message.is_none());
    }

    #[test]
    fn windows_and_iana_zones_give_the_same_instant() {
        let zoned = |zone: &str| instant_of(&DateTimeTimeZone { date_time: Some("2026-01-15T09:00:00".into()), time_zone: Some(zone.into()), ..Default::default() });
        assert_eq!(zoned("Pacific Standard Time").unwrap(), zoned("America/Los_Angeles").unwrap());
        assert!(matches!(zoned("Mars Standard Time"), Err(StoreError::UnknownTimeZone { .. })));
    }

    #[test]
    fn manual_location_beats_automatic_and_clearing_falls_back() {
        use mgpresence_domain::SetLocationRequest;
        let mut store = PresenceStore::default();
        let location = |t: &str| SetLocationRequest { work_location_type: Some(t.into()), place_id: None, ..Default::default() };
        let current = |store: &mut PresenceStore| {
            let w = store.presence("user", at(0), true).work_location.unwrap();
            (w.source, w.work_location_type)
        };
        assert_eq!(current(&mut store), ("none".into(), "unspecified".into()));
        store.set_location("user", LocationLayer::Automatic, &location("office"));
        assert_eq!(current(&mut store), ("automatic".into(), "office".into()));
        store.set_location("user", LocationLayer::Manual, &location("REMOTE"));
        assert_eq!(current(&mut store), ("manual".into(), "remote".into()));
        store.clear_location("user", false);
        assert_eq!(current(&mut store), ("manual".into(), "remote".into()));
        store.set_location("user", LocationLayer::Automatic, &location("timeOff"));
        store.clear_location("user", true);
        assert_eq!(current(&mut store), ("none".into(), "unspecified".into()));
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
        assert_eq!(store.presence("abc", at(1), true).availability, Availability::Busy);
    }
}
