//! The store of holds: one SQLite file (WAL, `synchronous = FULL`), so a hold the store acknowledged is on disk
//! whatever instant the process dies at. The schema is versioned (`PRAGMA user_version`) and migrates forward when
//! a newer agent opens an older file; a file from a newer agent, a file that is not a store, and a file another process
//! holds locked are clear errors, never a silent reset.

use jiff::Timestamp;
use mgpresence_domain::values::{Activity, Availability, SESSION_PRESENCE_PAIRS, describe_pairs};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema version this agent writes.
pub const SCHEMA_VERSION: i64 = 1;

/// The migrations, in order: entry `n` takes a file from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1: the holds.
    "CREATE TABLE holds (
        user_key TEXT NOT NULL,
        session_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        availability TEXT NOT NULL,
        activity TEXT NOT NULL,
        until_s INTEGER,
        added_s INTEGER NOT NULL,
        next_due_s INTEGER NOT NULL,
        last_renewed_s INTEGER,
        last_result TEXT,
        lapses INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_key, session_key)
    );
    CREATE INDEX holds_by_next_due ON holds (next_due_s);",
];

/// How long a call waits for another process that holds the file locked.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the store cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a keep-alive store (or damaged): {reason}. Move it away to start a new store; it is not reset.")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: another process holds the store locked; try again when it is done.")]
    Locked { path: PathBuf },
    #[error("{path}: made by a newer MgPresence (schema {found}, this one knows {known}).")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("'{availability}/{activity}' cannot be held: setPresence takes {supported}.")]
    UnsupportedPair { availability: Availability, activity: Activity, supported: String },
    #[error("the user id and the session id must not be empty")]
    EmptyKey,
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: another agent is running over this store (it holds {lock}); one agent per store, or every hold would be sent twice.")]
    AgentRunning { path: PathBuf, lock: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The claim of the one agent running over a store: an exclusive lock on `<store>.agent-lock`, held while this
/// lives. The operating system lets it go when the process ends, however it ends (SIGKILL included), so a stale
/// claim never keeps an agent from starting.
#[derive(Debug)]
pub struct AgentClaim {
    _file: std::fs::File,
}

/// Which hold: a user's presence session of one application (the session id is the application's client id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HoldKey {
    pub user_id: String,
    pub session_id: String,
}

/// A hold to add: the presence to keep, and until when (`None`: until removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub key: HoldKey,
    pub availability: Availability,
    pub activity: Activity,
    pub until: Option<Timestamp>,
}

/// A hold as the store keeps it, with its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub key: HoldKey,
    pub availability: Availability,
    pub activity: Activity,
    pub until: Option<Timestamp>,
    pub added: Timestamp,
    /// When the hold must be renewed next.
    pub next_due: Timestamp,
    pub last_renewed: Option<Timestamp>,
    /// What the last renewal got (`200`, or the error), if there was one.
    pub last_result: Option<String>,
    /// How many times the hold's session faded or expired before it was renewed.
    pub lapses: u32,
}

fn seconds(t: Timestamp) -> i64 {
    t.as_second()
}

/// A hold's end, in whole seconds rounded up: the store keeps seconds, and a hold is never cleared before its end.
fn end_seconds(t: Timestamp) -> i64 {
    t.as_second() + i64::from(t.subsec_nanosecond() > 0)
}

fn instant(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Keys compare case-insensitively, as Graph compares ids.
fn key_text(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The store of holds, in one SQLite file.
pub struct KeepAliveStore {
    connection: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for KeepAliveStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeepAliveStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl KeepAliveStore {
    /// Opens the store at `path`, making it (and migrating it) when needed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let fail = |e: rusqlite::Error| Self::error_of(path, e);
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(fail)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // Reading the schema version reads the file's header: a file that is not a database fails here.
        let version: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(fail)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: path.to_owned(), found: version, known: SCHEMA_VERSION });
        }
        let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt { path: path.to_owned(), reason: format!("the journal cannot be WAL (it is {mode})") });
        }
        connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").map_err(fail)?;
        let mut store = Self { connection, path: path.to_owned() };
        store.migrate(version)?;
        Ok(store)
    }

    fn error_of(path: &Path, e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path: path.to_owned(), reason: e.to_string() },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path: path.to_owned() },
            _ => StoreError::Sqlite { path: path.to_owned(), source: e },
        }
    }

    fn fail(&self, e: rusqlite::Error) -> StoreError {
        Self::error_of(&self.path, e)
    }

    fn migrate(&mut self, from: i64) -> Result<(), StoreError> {
        let path = self.path.clone();
        let transaction = self.connection.transaction().map_err(|e| Self::error_of(&path, e))?;
        // Another process may have migrated between the version read and the lock.
        let current: i64 = transaction.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| Self::error_of(&path, e))?;
        for (version, step) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current.max(from)).unwrap_or(0)) {
            transaction.execute_batch(step).map_err(|e| Self::error_of(&path, e))?;
            transaction.pragma_update(None, "user_version", version as i64 + 1).map_err(|e| Self::error_of(&path, e))?;
        }
        transaction.commit().map_err(|e| Self::error_of(&path, e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds holds (or replaces those of the same user and session) in one transaction: all of them or none are on
    /// disk when this returns. Each is due for renewal at `now`.
    pub fn add_all(&mut self, holds: &[NewHold], now: Timestamp) -> Result<usize, StoreError> {
        for hold in holds {
            Self::check_new(hold)?;
        }
        let path = self.path.clone();
        let transaction = self.connection.transaction().map_err(|e| Self::error_of(&path, e))?;
        for hold in holds {
            Self::upsert(&transaction, hold, now).map_err(|e| Self::error_of(&path, e))?;
        }
        transaction.commit().map_err(|e| Self::error_of(&path, e))?;
        Ok(holds.len())
    }

    fn check_new(hold: &NewHold) -> Result<(), StoreError> {
        if hold.key.user_id.trim().is_empty() || hold.key.session_id.trim().is_empty() {
            return Err(StoreError::EmptyKey);
        }
        if !SESSION_PRESENCE_PAIRS.contains(&(hold.availability, hold.activity)) {
            return Err(StoreError::UnsupportedPair {
                availability: hold.availability,
                activity: hold.activity,
                supported: describe_pairs(SESSION_PRESENCE_PAIRS),
            });
        }
        Ok(())
    }

    fn upsert(connection: &Connection, hold: &NewHold, now: Timestamp) -> rusqlite::Result<usize> {
        connection.execute(
            "INSERT INTO holds (user_key, session_key, user_id, session_id, availability, activity, until_s, added_s, next_due_s)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
             ON CONFLICT (user_key, session_key) DO UPDATE SET
                availability = excluded.availability, activity = excluded.activity, until_s = excluded.until_s, next_due_s = excluded.next_due_s",
            params![
                key_text(&hold.key.user_id),
                key_text(&hold.key.session_id),
                hold.key.user_id.trim(),
                hold.key.session_id.trim(),
                hold.availability.as_str(),
                hold.activity.as_str(),
                hold.until.map(end_seconds),
                seconds(now),
            ],
        )
    }

    /// Adds a hold, or replaces the one of the same user and session; it is due for renewal at `now`. The hold is on
    /// disk when this returns.
    pub fn add(&self, hold: &NewHold, now: Timestamp) -> Result<Hold, StoreError> {
        Self::check_new(hold)?;
        Self::upsert(&self.connection, hold, now).map_err(|e| self.fail(e))?;
        self.get(&hold.key)?.ok_or_else(|| StoreError::Corrupt { path: self.path.clone(), reason: "a hold just written cannot be read".into() })
    }

    /// Removes a hold; whether there was one.
    pub fn remove(&self, key: &HoldKey) -> Result<bool, StoreError> {
        let removed = self
            .connection
            .execute("DELETE FROM holds WHERE user_key = ?1 AND session_key = ?2", params![key_text(&key.user_id), key_text(&key.session_id)])
            .map_err(|e| self.fail(e))?;
        Ok(removed > 0)
    }

    pub fn get(&self, key: &HoldKey) -> Result<Option<Hold>, StoreError> {
        self.connection
            .query_row(
                &format!("SELECT {COLUMNS} FROM holds WHERE user_key = ?1 AND session_key = ?2"),
                params![key_text(&key.user_id), key_text(&key.session_id)],
                Self::hold_of,
            )
            .optional()
            .map_err(|e| self.fail(e))
    }

    /// Every hold, the earliest due first.
    pub fn list(&self) -> Result<Vec<Hold>, StoreError> {
        self.query(&format!("SELECT {COLUMNS} FROM holds ORDER BY next_due_s, user_key, session_key"), params![])
    }

    /// The holds due at or before `by`, the earliest first, at most `limit`.
    pub fn due(&self, by: Timestamp, limit: usize) -> Result<Vec<Hold>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query(&format!("SELECT {COLUMNS} FROM holds WHERE next_due_s <= ?1 ORDER BY next_due_s, user_key, session_key LIMIT ?2"), params![seconds(by), limit])
    }

    /// How many holds are due by `by`.
    pub fn due_count(&self, by: Timestamp) -> Result<usize, StoreError> {
        let n: i64 = self.connection.query_row("SELECT COUNT(*) FROM holds WHERE next_due_s <= ?1", params![seconds(by)], |r| r.get(0)).map_err(|e| self.fail(e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// How many holds there are.
    pub fn count(&self) -> Result<usize, StoreError> {
        let n: i64 = self.connection.query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0)).map_err(|e| self.fail(e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Claims the store for one running agent; an error when another agent has it.
    pub fn claim_for_agent(&self) -> Result<AgentClaim, StoreError> {
        let mut name = self.path.clone().into_os_string();
        name.push(".agent-lock");
        let lock = PathBuf::from(name);
        let io = |source| StoreError::Io { path: lock.clone(), source };
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock).map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(AgentClaim { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::AgentRunning { path: self.path.clone(), lock }),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// Runs `write` in one transaction: what it writes is on disk together when this returns, or none of it is. A
    /// round writes its outcomes this way, one commit (one sync to disk) for the round rather than one per hold; a
    /// crash before the commit leaves those holds due as they were, to be renewed again.
    pub fn write_together<T>(&self, write: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let transaction = self.connection.unchecked_transaction().map_err(|e| self.fail(e))?;
        let written = write()?;
        transaction.commit().map_err(|e| self.fail(e))?;
        Ok(written)
    }

    /// Records a renewal's outcome: when it was sent, what came back, when the hold is due next, and whether the
    /// session had lapsed before it.
    pub fn record_renewal(&self, key: &HoldKey, renewed: Timestamp, result: &str, next_due: Timestamp, lapsed: bool) -> Result<(), StoreError> {
        self.connection
            .execute(
                "UPDATE holds SET last_renewed_s = ?3, last_result = ?4, next_due_s = ?5, lapses = lapses + ?6 WHERE user_key = ?1 AND session_key = ?2",
                params![key_text(&key.user_id), key_text(&key.session_id), seconds(renewed), result, seconds(next_due), i64::from(lapsed)],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn query(&self, sql: &str, values: impl rusqlite::Params) -> Result<Vec<Hold>, StoreError> {
        let mut statement = self.connection.prepare_cached(sql).map_err(|e| self.fail(e))?;
        let rows = statement.query_map(values, Self::hold_of).map_err(|e| self.fail(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.fail(e))
    }

    fn hold_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Hold> {
        let text = |i: usize| row.get::<_, String>(i);
        let value_error = |i: usize, e: mgpresence_domain::values::UnknownValue| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        };
        Ok(Hold {
            key: HoldKey { user_id: text(0)?, session_id: text(1)? },
            availability: text(2)?.parse().map_err(|e| value_error(2, e))?,
            activity: text(3)?.parse().map_err(|e| value_error(3, e))?,
            until: row.get::<_, Option<i64>>(4)?.map(instant),
            added: instant(row.get(5)?),
            next_due: instant(row.get(6)?),
            last_renewed: row.get::<_, Option<i64>>(7)?.map(instant),
            last_result: row.get(8)?,
            lapses: u32::try_from(row.get::<_, i64>(9)?).unwrap_or(u32::MAX),
        })
    }
}

const COLUMNS: &str = "user_id, session_id, availability, activity, until_s, added_s, next_due_s, last_renewed_s, last_result, lapses";

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(user: &str, availability: Availability, activity: Activity) -> NewHold {
        NewHold { key: HoldKey { user_id: user.into(), session_id: "app".into() }, availability, activity, until: None }
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn one_agent_claims_a_store_at_a_time_and_the_claim_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeepAliveStore::open(&dir.path().join("holds.db")).unwrap();
        let claim = store.claim_for_agent().unwrap();
        let again = KeepAliveStore::open(&dir.path().join("holds.db")).unwrap();
        let refused = again.claim_for_agent().unwrap_err();
        assert!(matches!(refused, StoreError::AgentRunning { .. }), "{refused}");
        assert!(refused.to_string().contains("another agent is running over this store"), "{refused}");
        drop(claim);
        again.claim_for_agent().expect("free once the first agent is gone");
    }

    #[test]
    fn an_end_between_seconds_is_kept_as_the_next_second_so_no_hold_is_cleared_early() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeepAliveStore::open(&dir.path().join("holds.db")).unwrap();
        let end = at(100) + jiff::SignedDuration::from_millis(250);
        let kept = store.add(&NewHold { until: Some(end), ..hold("a", Availability::Away, Activity::Away) }, at(0)).unwrap();
        assert_eq!(kept.until, Some(at(101)));
        let whole = store.add(&NewHold { until: Some(at(200)), ..hold("b", Availability::Away, Activity::Away) }, at(0)).unwrap();
        assert_eq!(whole.until, Some(at(200)), "a whole second stays as it is");
    }

    #[test]
    fn holds_are_kept_listed_by_due_time_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("holds.db");
        {
            let store = KeepAliveStore::open(&path).unwrap();
            store.add(&hold("b", Availability::Available, Activity::Available), at(10)).unwrap();
            store.add(&hold("a", Availability::Busy, Activity::InACall), at(5)).unwrap();
            let replaced = store.add(&NewHold { until: Some(at(100)), ..hold("A", Availability::Away, Activity::Away) }, at(20)).unwrap();
            assert_eq!((replaced.availability, replaced.until), (Availability::Away, Some(at(100))), "the same user and session, case-insensitively");
            store.record_renewal(&HoldKey { user_id: "b".into(), session_id: "app".into() }, at(11), "200", at(250), true).unwrap();
        }
        let store = KeepAliveStore::open(&path).unwrap();
        let holds = store.list().unwrap();
        assert_eq!(holds.iter().map(|h| h.key.user_id.as_str()).collect::<Vec<_>>(), ["a", "b"], "the first spelling is kept");
        assert_eq!((holds[1].lapses, holds[1].last_result.as_deref(), holds[1].next_due), (1, Some("200"), at(250)));
        assert_eq!(store.due(at(20), 10).unwrap().len(), 1);
        assert!(store.remove(&HoldKey { user_id: "a".into(), session_id: "APP".into() }).unwrap());
        assert_eq!(store.count().unwrap(), 1);
    }

    #[test]
    fn a_pair_set_presence_refuses_is_not_held() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeepAliveStore::open(&dir.path().join("holds.db")).unwrap();
        let refused = store.add(&hold("u", Availability::Available, Activity::Busy), at(0)).unwrap_err();
        assert!(matches!(refused, StoreError::UnsupportedPair { .. }), "{refused}");
        assert!(matches!(store.add(&hold(" ", Availability::Away, Activity::Away), at(0)), Err(StoreError::EmptyKey)));
        assert_eq!(store.count().unwrap(), 0);
    }

    #[test]
    fn a_file_that_is_not_a_store_or_is_newer_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, vec![0x42_u8; 8192]).unwrap();
        let refused = KeepAliveStore::open(&garbage).unwrap_err();
        assert!(matches!(refused, StoreError::Corrupt { .. }), "{refused}");
        assert_eq!(std::fs::read(&garbage).unwrap(), vec![0x42_u8; 8192], "the file is left as it was");

        let newer = dir.path().join("newer.db");
        Connection::open(&newer).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        assert!(matches!(KeepAliveStore::open(&newer), Err(StoreError::TooNew { found, .. }) if found == SCHEMA_VERSION + 1));
    }

    #[test]
    fn a_store_locked_by_another_writer_is_said_to_be_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("holds.db");
        let store = KeepAliveStore::open(&path).unwrap();
        let other = Connection::open(&path).unwrap();
        other.busy_timeout(Duration::ZERO).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let mut waiting = KeepAliveStore::open(&path);
        if let Ok(opened) = &mut waiting {
            // Opening may read through WAL; writing waits for the lock, then says so.
            let written = opened.add(&hold("u", Availability::Away, Activity::Away), at(0));
            assert!(matches!(written, Err(StoreError::Locked { .. })), "{written:?}");
        } else {
            assert!(matches!(waiting, Err(StoreError::Locked { .. })), "{waiting:?}");
        }
        other.execute_batch("ROLLBACK").unwrap();
        drop(store);
    }
}
