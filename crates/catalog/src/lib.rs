//! The cmdlet catalog: the single source of truth for what MgPresence offers.
//!
//! - [`operation`]: Graph operations — HTTP method, resource path, action, body and response kinds.
//! - [`inventory`]: the cmdlets (one entry per verb and noun, expanded into the v1.0 and beta modules).
//! - [`parameter`]: the parameter sets and parameters each cmdlet has, derived from its operation by Microsoft's
//!   generator rules (mg-cmdlet-behavior.md §2.1, cmdlet-inventory.md §2).
//! - [`binding`]: how the parameters bound in one call become a [`binding::PreparedRequest`].
//! - [`response`]: how a response becomes cmdlet output or an error.
//! - [`models`]: the .NET model types of presence objects, as Microsoft names and shapes them.
//! - `derived`: each cmdlet's name, parameter sets and parameters, derived once per process.
//!
//! The code generator (PowerShell functions, help, manifest exports), the FFI layer, the CLI and the tests all read
//! this crate; nothing else lists cmdlets or parameters.

pub mod binding;
pub mod bulk;
mod derived;
pub mod examples;
pub mod inventory;
pub mod models;
pub mod operation;
pub mod parameter;
pub mod response;

pub use binding::{CmdletError, ErrorCategory, PreparedRequest, prepare};
pub use inventory::{Cmdlet, all_cmdlets, find_cmdlet};
pub use operation::{Action, ApiVersion, HttpMethod, Operation, Resource, ResponseKind};
pub use parameter::{Parameter, ParameterSet, PsType, SetMembership};
