//! Reading the caller's text safely. interoptopus's `ffi::String` is a pointer and a length that the caller filled in
//! (`interoptopus_string_create` does not check UTF-8), so every text argument is checked here, before the engine
//! reads it: a null pointer is empty text, bytes that are not UTF-8 and text larger than [`MAX_ARGUMENT_BYTES`] are
//! refused with a call error that names the argument. After [`CheckedArguments::check`] passes, `as_str()` is sound.

use crate::types::{BulkCall, CmdletCall, ConnectRequest, EnvironmentRequest, KeepAliveRequest, KeptSignInRequest, UserSignInRequest};
use interoptopus::ffi;
use mgpresence_catalog::binding::{CmdletError, ErrorCategory};

/// The largest text argument the engine reads: 64 MiB (a bulk call of about half a million users).
pub const MAX_ARGUMENT_BYTES: usize = 64 * 1024 * 1024;

/// Checks one text argument.
pub fn check_text(name: &str, value: &ffi::String) -> Result<(), CmdletError> {
    let bytes = value.as_str().as_bytes();
    let refuse = |message: String| CmdletError { error_id: "InvalidArgumentText".to_owned(), message, category: ErrorCategory::InvalidArgument, terminating: true, service: None };
    if bytes.len() > MAX_ARGUMENT_BYTES {
        return Err(refuse(format!(
            "The engine received {name} of {} bytes; it accepts at most {} MiB.",
            bytes.len(),
            MAX_ARGUMENT_BYTES / (1024 * 1024)
        )));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(refuse(format!("The engine received {name} that is not UTF-8 text (invalid byte at offset {}).", e.valid_up_to())));
    }
    Ok(())
}

/// A request whose text fields are all checked before use.
pub trait CheckedArguments {
    fn check(&self) -> Result<(), CmdletError>;
}

macro_rules! checked_fields {
    ($type:ty: $($field:ident),+) => {
        impl CheckedArguments for $type {
            fn check(&self) -> Result<(), CmdletError> {
                $(check_text(stringify!($field), &self.$field)?;)+
                Ok(())
            }
        }
    };
}

checked_fields!(CmdletCall: cmdlet, parameter_set, bound_parameters_json, user_agent_suffix);
checked_fields!(ConnectRequest: environment, access_token, client_id, tenant_id, client_secret, private_key_pem, certificate_base64, identity_endpoint, identity_header, imds_endpoint);
checked_fields!(EnvironmentRequest: name, graph_endpoint, azure_ad_endpoint);
checked_fields!(UserSignInRequest: environment, client_id, tenant_id, scopes);
checked_fields!(KeptSignInRequest: environment, client_id, tenant_id, scope, refresh_token);
checked_fields!(KeepAliveRequest: store_path, holds_json);
checked_fields!(BulkCall: action, common_json, items_json);
