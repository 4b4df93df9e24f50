//! Adding holds as the CLI and the PowerShell cmdlets do it, and holds as JSON: rows of loose members
//! (`UserId`, `SessionId`, `Availability`, `Activity`, `Until`, any case) become holds; the holds are added in one
//! transaction only when all of them, with those already kept, fit the throttle budget (unless forced).

use crate::schedule::{Capacity, CapacityError};
use crate::store::{Hold, HoldKey, KeepAliveStore, NewHold, StoreError};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// Why holds were not added.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{0}")]
    Row(String),
    #[error("{0} Nothing was added.")]
    Capacity(CapacityError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A hold as JSON (`userId`, `sessionId`, `availability`, `activity`, `until`, `nextRenewal`, `lastRenewed`,
/// `lastResult`, `lapses`).
pub fn hold_json(h: &Hold) -> Value {
    json!({
        "userId": h.key.user_id,
        "sessionId": h.key.session_id,
        "availability": h.availability.as_str(),
        "activity": h.activity.as_str(),
        "until": h.until.map(|t| t.to_string()),
        "nextRenewal": h.next_due.to_string(),
        "lastRenewed": h.last_renewed.map(|t| t.to_string()),
        "lastResult": h.last_result,
        "lapses": h.lapses,
    })
}

fn member<'a>(row: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    row.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str()).map(str::trim).filter(|v| !v.is_empty())
}

/// The key a row names (`UserId`, `SessionId`).
pub fn key_of(row: &Map<String, Value>) -> Result<HoldKey, String> {
    let user_id = member(row, "UserId").ok_or("a hold has no UserId")?.to_owned();
    let session_id = member(row, "SessionId").ok_or_else(|| format!("{user_id}: no SessionId (the application's client id)"))?.to_owned();
    Ok(HoldKey { user_id, session_id })
}

/// The hold a row describes; `Until` is an RFC 3339 instant that must be after `now`.
pub fn new_hold_of(row: &Map<String, Value>, now: Timestamp) -> Result<NewHold, String> {
    let key = key_of(row)?;
    let user = key.user_id.clone();
    let availability = member(row, "Availability").ok_or_else(|| format!("{user}: no Availability"))?.parse().map_err(|e| format!("{user}: {e}"))?;
    let activity = member(row, "Activity").ok_or_else(|| format!("{user}: no Activity"))?.parse().map_err(|e| format!("{user}: {e}"))?;
    let until = match member(row, "Until") {
        None => None,
        Some(text) => {
            let until: Timestamp = text.parse().map_err(|_| format!("{user}: Until '{text}' is not an RFC 3339 instant"))?;
            if until <= now {
                return Err(format!("{user}: Until {until} has passed"));
            }
            Some(until)
        }
    };
    Ok(NewHold { key, availability, activity, until })
}

/// Adds the holds of `rows` at `now`: all or none, and only when they fit the budget with the holds already kept
/// (the ones they replace excepted), unless `force`. Returns the holds as stored.
pub fn register(store: &mut KeepAliveStore, rows: &[Map<String, Value>], now: Timestamp, force: bool, capacity: Capacity) -> Result<Vec<Hold>, RegisterError> {
    let holds = rows.iter().map(|row| new_hold_of(row, now)).collect::<Result<Vec<_>, _>>().map_err(RegisterError::Row)?;
    let existing = store.list()?;
    let replaced = |h: &Hold| holds.iter().any(|n| n.key.user_id.eq_ignore_ascii_case(&h.key.user_id) && n.key.session_id.eq_ignore_ascii_case(&h.key.session_id));
    let together = existing.iter().filter(|h| !replaced(h)).map(|h| h.availability).chain(holds.iter().map(|h| h.availability));
    if let Err(over) = capacity.check(together)
        && !force
    {
        return Err(RegisterError::Capacity(over));
    }
    store.add_all(&holds, now)?;
    let mut added = Vec::with_capacity(holds.len());
    for hold in &holds {
        if let Some(stored) = store.get(&hold.key)? {
            added.push(stored);
        }
    }
    Ok(added)
}

/// The default store: `keepalive.db` in the user's data directory for MgPresence (made when missing).
pub fn default_store_path() -> Result<std::path::PathBuf, String> {
    let dirs = directories::ProjectDirs::from("", "", "MgPresence").ok_or("no data directory for this user: give a store path")?;
    std::fs::create_dir_all(dirs.data_dir()).map_err(|e| format!("{}: {e}", dirs.data_dir().display()))?;
    Ok(dirs.data_dir().join("keepalive.db"))
}
