//! The keep-alive agent: it holds a user's presence past the service's limits (a session lasts at most PT4H, and an
//! `Available` one fades after 5 minutes unless set again) by renewing each hold before its deadline.
//!
//! - [`store`]: the holds, in one SQLite file ([`store::KeepAliveStore`]): versioned schema, WAL, nothing
//!   acknowledged is lost.
//! - [`schedule`]: when each hold must be renewed and with which expiration, and whether a set of holds fits the
//!   throttle budget ([`schedule::Capacity`]).
//! - [`runner`]: the rounds that renew (or clear) the holds that are due, through the bulk path's `$batch`.
//! - [`registration`]: adding holds from loose rows, checked against the budget, and holds as JSON (the CLI's and
//!   the PowerShell cmdlets' shared way in and out).

pub mod registration;
pub mod runner;
pub mod schedule;
pub mod store;

pub use runner::{KeepAliveAgent, RoundReport};
pub use schedule::{Capacity, CapacityError, Renewal, RenewalPolicy};
pub use store::{AgentClaim, Hold, HoldKey, KeepAliveStore, NewHold, StoreError};
