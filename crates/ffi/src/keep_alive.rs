//! The keep-alive store through the C ABI, for the PowerShell cmdlets (Register-/Unregister-/Get-MgPresenceKeepAlive):
//! the same registration rules as `mgpresence agent` ([`mgpresence_agent::registration`]), holds in and out as JSON.

use crate::types::{CallError, KeepAliveRequest, KeepAliveResult};
use interoptopus::ffi;
use mgpresence_agent::registration::{self, RegisterError, hold_json, key_of};
use mgpresence_agent::{Capacity, KeepAliveStore, StoreError};
use mgpresence_catalog::{CmdletError, ErrorCategory};
use serde_json::{Map, Value};

fn refusal(error_id: &str, message: String, category: ErrorCategory) -> CmdletError {
    CmdletError { error_id: error_id.to_owned(), message, category, terminating: false, service: None }
}

fn store_refusal(e: &StoreError) -> CmdletError {
    let (id, category) = match e {
        StoreError::Corrupt { .. } => ("KeepAliveStoreCorrupt", ErrorCategory::InvalidData),
        StoreError::Locked { .. } => ("KeepAliveStoreLocked", ErrorCategory::ResourceBusy),
        StoreError::TooNew { .. } => ("KeepAliveStoreTooNew", ErrorCategory::InvalidData),
        StoreError::UnsupportedPair { .. } => ("UnsupportedPresenceCombination", ErrorCategory::InvalidArgument),
        StoreError::EmptyKey => ("KeepAliveHoldKeyMissing", ErrorCategory::InvalidArgument),
        StoreError::Sqlite { .. } => ("KeepAliveStoreFailed", ErrorCategory::WriteError),
        StoreError::AgentRunning { .. } => ("KeepAliveAgentRunning", ErrorCategory::ResourceBusy),
        StoreError::Io { .. } => ("KeepAliveStoreFailed", ErrorCategory::WriteError),
    };
    refusal(id, e.to_string(), category)
}

/// Does what the request asks.
pub fn handle(request: &KeepAliveRequest) -> KeepAliveResult {
    match run(request) {
        Ok(holds) => KeepAliveResult { holds_json: ffi::String::from_string(Value::Array(holds).to_string()), error: CallError::none() },
        Err(e) => KeepAliveResult { holds_json: ffi::String::from_string("[]".to_owned()), error: CallError::from_cmdlet_error(&e) },
    }
}

fn run(request: &KeepAliveRequest) -> Result<Vec<Value>, CmdletError> {
    let path = match request.store_path.as_str().trim() {
        "" => registration::default_store_path().map_err(|e| refusal("KeepAliveStoreUnavailable", e, ErrorCategory::ResourceUnavailable))?,
        given => given.into(),
    };
    let mut store = KeepAliveStore::open(&path).map_err(|e| store_refusal(&e))?;
    let rows = || -> Result<Vec<Map<String, Value>>, CmdletError> {
        let value: Value = serde_json::from_str(request.holds_json.as_str())
            .map_err(|e| refusal("InvalidKeepAliveHolds", format!("The holds are not JSON: {e}"), ErrorCategory::InvalidArgument))?;
        let Value::Array(items) = value else {
            return Err(refusal("InvalidKeepAliveHolds", "The holds must be a JSON array.".into(), ErrorCategory::InvalidArgument));
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::Object(row) => Ok(row),
                _ => Err(refusal("InvalidKeepAliveHolds", "Each hold must be a JSON object.".into(), ErrorCategory::InvalidArgument)),
            })
            .collect()
    };
    match request.action {
        0 => {
            let added = registration::register(&mut store, &rows()?, jiff::Timestamp::now(), request.force != 0, Capacity::default()).map_err(|e| match e {
                RegisterError::Row(why) => refusal("InvalidKeepAliveHold", why, ErrorCategory::InvalidArgument),
                RegisterError::Capacity(over) => refusal("KeepAliveCapacityExceeded", format!("{over} Nothing was added."), ErrorCategory::LimitsExceeded),
                RegisterError::Store(e) => store_refusal(&e),
            })?;
            Ok(added.iter().map(hold_json).collect())
        }
        1 => {
            let mut removed = Vec::new();
            for row in rows()? {
                let key = key_of(&row).map_err(|why| refusal("InvalidKeepAliveHold", why, ErrorCategory::InvalidArgument))?;
                if let Some(hold) = store.get(&key).map_err(|e| store_refusal(&e))? {
                    store.remove(&key).map_err(|e| store_refusal(&e))?;
                    removed.push(hold_json(&hold));
                }
            }
            Ok(removed)
        }
        2 => Ok(store.list().map_err(|e| store_refusal(&e))?.iter().map(hold_json).collect()),
        other => Err(refusal("InvalidKeepAliveAction", format!("Keep-alive action {other} is not 0 (add), 1 (remove) or 2 (list)."), ErrorCategory::InvalidArgument)),
    }
}
