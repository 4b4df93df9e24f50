//! The rules the presence service enforces on request bodies.
//!
//! The client checks them before sending (nothing invalid reaches the wire) and the emulator checks them on receipt
//! (it rejects what the service rejects). Microsoft documents no error codes for these cases; the codes here are the
//! project's choice, recorded in `docs/decisions.md`.

use crate::duration::{IsoDuration, SESSION_EXPIRATION_RANGE};
use crate::models::{
    ClearPresenceRequest, GetPresencesByUserIdRequest, SetLocationRequest, SetPresenceRequest, SetStatusMessageRequest,
    SetUserPreferredPresenceRequest,
};
use crate::values::{PREFERRED_PRESENCE_PAIRS, PresencePair, SESSION_PRESENCE_PAIRS, describe_pairs};

/// A request body the service would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// A required member is absent (or null, or empty).
    #[error("The request body has no '{property}'; {action} requires {required}.")]
    MissingProperty { property: &'static str, action: &'static str, required: &'static str },
    /// A member has a value of the wrong type or an unknown enumeration value.
    #[error("The request body is not valid: {reason}")]
    InvalidValue { reason: String },
    /// The same member was given twice under different casing.
    #[error("The request body gives '{property}' more than once (keys are matched case-insensitively).")]
    DuplicateProperty { property: String },
    /// The (availability, activity) pair is not one the action supports.
    #[error("The combination availability '{availability}' / activity '{activity}' is not supported by {action}. Supported combinations: {supported}.")]
    UnsupportedCombination { availability: String, activity: String, action: &'static str, supported: String },
    /// The expiration duration lies outside the accepted range.
    #[error("The provided [ExpirationDuration] is out of range: {value} is not between {min} and {max}.")]
    ExpirationDurationOutOfRange { value: IsoDuration, min: IsoDuration, max: IsoDuration },
    /// A value outside the set the action accepts.
    #[error("'{value}' is not a valid {property} for {action}. Valid values: {valid}.")]
    UnsupportedValue { property: &'static str, value: String, action: &'static str, valid: &'static str },
    /// More ids than getPresencesByUserId takes in one request.
    #[error("getPresencesByUserId takes at most {max} ids in one request; {count} were given.")]
    TooManyIds { count: usize, max: usize },
    /// The body is not a JSON object at all.
    #[error("The request body must be a JSON object, not {found}.")]
    NotAnObject { found: String },
}

impl RuleViolation {
    /// A specific, stable identifier for the violation (used as the PowerShell error id and as the inner error code).
    pub fn error_id(&self) -> &'static str {
        match self {
            Self::MissingProperty { .. } => "MissingProperty",
            Self::InvalidValue { .. } => "InvalidPropertyValue",
            Self::DuplicateProperty { .. } => "DuplicateProperty",
            Self::UnsupportedCombination { .. } => "UnsupportedPresenceCombination",
            Self::ExpirationDurationOutOfRange { .. } => "ExpirationDurationOutOfRange",
            Self::NotAnObject { .. } => "InvalidRequestBody",
            Self::UnsupportedValue { .. } => "UnsupportedPropertyValue",
            Self::TooManyIds { .. } => "TooManyIds",
        }
    }

    /// The Graph error code the emulator answers with (HTTP 400).
    pub fn graph_code(&self) -> &'static str {
        match self {
            Self::NotAnObject { .. } | Self::InvalidValue { .. } | Self::DuplicateProperty { .. } => "BadRequest",
            _ => "InvalidArgument",
        }
    }
}

fn require<T>(value: &Option<T>, property: &'static str, action: &'static str, required: &'static str) -> Result<(), RuleViolation> {
    match value {
        Some(_) => Ok(()),
        None => Err(RuleViolation::MissingProperty { property, action, required }),
    }
}

fn require_text(value: &Option<String>, property: &'static str, action: &'static str, required: &'static str) -> Result<(), RuleViolation> {
    match value.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Ok(()),
        _ => Err(RuleViolation::MissingProperty { property, action, required }),
    }
}

fn check_pair(pair: PresencePair, allowed: &[PresencePair], action: &'static str) -> Result<(), RuleViolation> {
    if allowed.contains(&pair) {
        Ok(())
    } else {
        Err(RuleViolation::UnsupportedCombination {
            availability: pair.0.to_string(),
            activity: pair.1.to_string(),
            action,
            supported: describe_pairs(allowed),
        })
    }
}

/// setPresence: sessionId, availability and activity are required; the pair must be one of the five supported; an
/// expiration must lie in PT5M..=PT4H.
pub fn check_set_presence(body: &SetPresenceRequest) -> Result<(), RuleViolation> {
    const ACTION: &str = "setPresence";
    const REQUIRED: &str = "sessionId, availability and activity";
    require_text(&body.session_id, "sessionId", ACTION, REQUIRED)?;
    require(&body.availability, "availability", ACTION, REQUIRED)?;
    require(&body.activity, "activity", ACTION, REQUIRED)?;
    let pair = (body.availability.expect("checked"), body.activity.expect("checked"));
    check_pair(pair, SESSION_PRESENCE_PAIRS, ACTION)?;
    if let Some(d) = body.expiration_duration
        && !SESSION_EXPIRATION_RANGE.contains(d)
    {
        return Err(RuleViolation::ExpirationDurationOutOfRange {
            value: d,
            min: SESSION_EXPIRATION_RANGE.min,
            max: SESSION_EXPIRATION_RANGE.max,
        });
    }
    Ok(())
}

/// clearPresence: sessionId is required.
pub fn check_clear_presence(body: &ClearPresenceRequest) -> Result<(), RuleViolation> {
    require_text(&body.session_id, "sessionId", "clearPresence", "sessionId")
}

/// setUserPreferredPresence: availability and activity are required and must be one of the six supported pairs. No
/// maximum expiration is documented, so any non-negative duration is accepted.
pub fn check_set_user_preferred_presence(body: &SetUserPreferredPresenceRequest) -> Result<(), RuleViolation> {
    const ACTION: &str = "setUserPreferredPresence";
    const REQUIRED: &str = "availability and activity";
    require(&body.availability, "availability", ACTION, REQUIRED)?;
    require(&body.activity, "activity", ACTION, REQUIRED)?;
    check_pair((body.availability.expect("checked"), body.activity.expect("checked")), PREFERRED_PRESENCE_PAIRS, ACTION)
}

/// The most ids getPresencesByUserId takes (graph-presence-api.md §1.2).
pub const MAX_PRESENCE_IDS: usize = 650;

/// The work location types the location actions accept (graph-presence-api.md §1.8).
pub const SETTABLE_WORK_LOCATION_TYPES: &[&str] = &["office", "remote", "timeOff"];

/// setStatusMessage: a statusMessage is required; its message's contentType, when given, must be `text`; an
/// expiryDateTime needs a dateTime without a time-zone offset.
pub fn check_set_status_message(body: &SetStatusMessageRequest) -> Result<(), RuleViolation> {
    const ACTION: &str = "setStatusMessage";
    require(&body.status_message, "statusMessage", ACTION, "statusMessage")?;
    let message = body.status_message.as_ref().expect("checked");
    if let Some(content_type) = message.message.as_ref().and_then(|m| m.content_type.as_deref())
        && !content_type.eq_ignore_ascii_case("text")
    {
        return Err(RuleViolation::UnsupportedValue {
            property: "statusMessage.message.contentType",
            value: content_type.to_owned(),
            action: ACTION,
            valid: "text",
        });
    }
    if let Some(expiry) = &message.expiry_date_time {
        let Some(date_time) = expiry.date_time.as_deref().filter(|d| !d.trim().is_empty()) else {
            return Err(RuleViolation::MissingProperty { property: "statusMessage.expiryDateTime.dateTime", action: ACTION, required: "a dateTime in expiryDateTime" });
        };
        // jiff's civil parser would accept and drop an offset; the service wants none.
        let has_offset = date_time.split_once(['T', 't']).is_some_and(|(_, time)| time.contains(['+', '-', 'Z', 'z']));
        if has_offset || date_time.parse::<jiff::civil::DateTime>().is_err() {
            return Err(RuleViolation::InvalidValue {
                reason: format!("statusMessage.expiryDateTime.dateTime '{date_time}' is not a date and time without an offset, such as 2026-10-18T17:05:33"),
            });
        }
    }
    Ok(())
}

/// setAutomaticLocation/setManualLocation: workLocationType is required and one of office, remote, timeOff
/// (compared case-insensitively).
pub fn check_set_location(body: &SetLocationRequest) -> Result<(), RuleViolation> {
    const ACTION: &str = "setAutomaticLocation/setManualLocation";
    require_text(&body.work_location_type, "workLocationType", ACTION, "workLocationType")?;
    let value = body.work_location_type.as_deref().expect("checked");
    if SETTABLE_WORK_LOCATION_TYPES.iter().any(|v| v.eq_ignore_ascii_case(value.trim())) {
        Ok(())
    } else {
        Err(RuleViolation::UnsupportedValue { property: "workLocationType", value: value.to_owned(), action: ACTION, valid: "office, remote, timeOff" })
    }
}

/// getPresencesByUserId: ids are required, at most 650.
pub fn check_get_presences_by_user_id(body: &GetPresencesByUserIdRequest) -> Result<(), RuleViolation> {
    require(&body.ids, "ids", "getPresencesByUserId", "ids")?;
    let count = body.ids.as_ref().map_or(0, Vec::len);
    if count > MAX_PRESENCE_IDS {
        return Err(RuleViolation::TooManyIds { count, max: MAX_PRESENCE_IDS });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{Activity, Availability};

    fn set(a: Availability, b: Activity, d: Option<&str>) -> SetPresenceRequest {
        SetPresenceRequest {
            session_id: Some("app".into()),
            availability: Some(a),
            activity: Some(b),
            expiration_duration: d.map(|t| t.parse().unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_five_session_pairs_are_accepted() {
        for a in Availability::all() {
            for b in Activity::all() {
                let ok = check_set_presence(&set(a, b, None)).is_ok();
                assert_eq!(ok, SESSION_PRESENCE_PAIRS.contains(&(a, b)), "{a}/{b}");
            }
        }
    }

    #[test]
    fn dnd_out_of_office_is_refused_with_the_supported_list() {
        let err = check_set_presence(&set(Availability::DoNotDisturb, Activity::OutOfOffice, None)).unwrap_err();
        assert_eq!(err.error_id(), "UnsupportedPresenceCombination");
        assert!(err.to_string().contains("DoNotDisturb/Presenting"), "{err}");
    }

    #[test]
    fn expiration_must_lie_between_five_minutes_and_four_hours() {
        let ok = |d| check_set_presence(&set(Availability::Available, Activity::Available, Some(d))).is_ok();
        assert!(ok("PT5M") && ok("PT4H") && ok("PT1H30M"));
        assert!(!ok("PT3M") && !ok("PT5H") && !ok("PT0S"));
    }

    #[test]
    fn missing_or_blank_session_id_is_refused() {
        let mut body = set(Availability::Available, Activity::Available, None);
        body.session_id = Some("  ".into());
        assert!(matches!(check_set_presence(&body), Err(RuleViolation::MissingProperty { property: "sessionId", .. })));
        body.session_id = None;
        assert!(matches!(check_set_presence(&body), Err(RuleViolation::MissingProperty { property: "sessionId", .. })));
    }

    #[test]
    fn status_messages_are_text_with_an_offset_free_expiry() {
        use crate::models::{DateTimeTimeZone, ItemBody, PresenceStatusMessage};
        let body = |content_type: &str, expiry: Option<&str>| SetStatusMessageRequest {
            status_message: Some(PresenceStatusMessage {
                message: Some(ItemBody { content: Some("Hi".into()), content_type: Some(content_type.into()), ..Default::default() }),
                expiry_date_time: expiry.map(|d| DateTimeTimeZone { date_time: Some(d.into()), time_zone: Some("UTC".into()), ..Default::default() }),
                published_date_time: None,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(check_set_status_message(&body("text", Some("2026-10-18T17:05:33.2079781"))).is_ok());
        assert_eq!(check_set_status_message(&body("html", None)).unwrap_err().error_id(), "UnsupportedPropertyValue");
        assert_eq!(check_set_status_message(&body("text", Some("2026-10-18T17:05:33+02:00"))).unwrap_err().error_id(), "InvalidPropertyValue");
        assert_eq!(check_set_status_message(&SetStatusMessageRequest::default()).unwrap_err().error_id(), "MissingProperty");
    }

    #[test]
    fn locations_and_id_lists_are_checked() {
        let location = |t: &str| SetLocationRequest { work_location_type: Some(t.into()), ..Default::default() };
        assert!(check_set_location(&location("office")).is_ok() && check_set_location(&location("TIMEOFF")).is_ok());
        assert!(check_set_location(&location("moon")).is_err());
        let ids = |n: usize| GetPresencesByUserIdRequest { ids: Some(vec!["x".into(); n]), ..Default::default() };
        assert!(check_get_presences_by_user_id(&ids(650)).is_ok());
        assert_eq!(check_get_presences_by_user_id(&ids(651)).unwrap_err().error_id(), "TooManyIds");
    }

    #[test]
    fn preferred_presence_accepts_its_six_pairs() {
        let body = |a, b| SetUserPreferredPresenceRequest { availability: Some(a), activity: Some(b), ..Default::default() };
        assert!(check_set_user_preferred_presence(&body(Availability::Offline, Activity::OffWork)).is_ok());
        assert!(check_set_user_preferred_presence(&body(Availability::Busy, Activity::InACall)).is_err());
    }
}
