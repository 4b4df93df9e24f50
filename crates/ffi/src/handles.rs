//! The live sessions, by handle. A foreign caller holds a [`SessionHandle`] (a number), never a pointer: a zero,
//! made-up, destroyed or twice-destroyed handle is answered with `FfiError::InvalidHandle` instead of reading freed or
//! null memory. A call in flight keeps its session alive even if another thread destroys the handle meanwhile.

use crate::session::GraphSession;
use crate::types::{FfiError, SessionHandle};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

static SESSIONS: LazyLock<RwLock<Table>> = LazyLock::new(Default::default);
/// Handles are never reused: 0 is never issued.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

type Table = HashMap<u64, Arc<GraphSession>>;

// The table holds no invariant a panic could break half-way, so a poisoned lock is used as it is.
fn read() -> RwLockReadGuard<'static, Table> {
    SESSIONS.read().unwrap_or_else(PoisonError::into_inner)
}

fn write() -> RwLockWriteGuard<'static, Table> {
    SESSIONS.write().unwrap_or_else(PoisonError::into_inner)
}

/// Registers a session and returns its handle.
pub fn insert(session: GraphSession) -> SessionHandle {
    let id = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
    write().insert(id, Arc::new(session));
    SessionHandle { id }
}

/// The session behind a handle.
pub fn get(handle: SessionHandle) -> Result<Arc<GraphSession>, FfiError> {
    read().get(&handle.id).cloned().ok_or(FfiError::InvalidHandle)
}

/// Forgets a handle; its session ends when the last call using it returns.
pub fn remove(handle: SessionHandle) -> Result<(), FfiError> {
    // The lock is released before the session is dropped: ending its HTTP runtime must not hold up other lookups.
    let removed = write().remove(&handle.id);
    removed.map(drop).ok_or(FfiError::InvalidHandle)
}

/// How many sessions are live (for leak checks).
pub fn live() -> usize {
    read().len()
}
