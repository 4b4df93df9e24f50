//! The keep-alive agent: it holds a user's presence past the service's limits (a session lasts at most PT4H, and an
//! `Available` one fades after 5 minutes unless set again) by renewing each hold before its deadline.
//!
//! - [`store`]: the holds, in one SQLite file ([`store::KeepAliveStore`]): versioned schema, WAL, nothing
//!   acknowledged is lost.
//! - [`schedule`]: when each hold must be renewed and with which expiration, and whether a set of holds fits the
//!   throttle budget ([`schedule::Capacity`]).

pub mod schedule;
pub mod store;

pub use schedule::{Capacity, CapacityError, RenewalPolicy};
pub use store::{Hold, HoldKey, KeepAliveStore, NewHold, StoreError};
