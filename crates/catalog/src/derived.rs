//! What the catalog derives from its specs, computed once per process: each cmdlet's name, parameter sets and
//! parameters. The engine looks a cmdlet up and binds its parameters on every call; deriving them again each time
//! (names formatted, sets and parameters built by the generator rules) was a measurable part of a call.

use crate::inventory::{Cmdlet, all_cmdlets};
use crate::parameter::{self, Parameter, ParameterSet};
use std::sync::OnceLock;

/// One cmdlet with what is derived from it.
struct DerivedCmdlet {
    cmdlet: Cmdlet,
    name: String,
    parameter_sets: Vec<ParameterSet>,
    parameters: Vec<Parameter>,
}

fn derived() -> &'static [DerivedCmdlet] {
    static DERIVED: OnceLock<Vec<DerivedCmdlet>> = OnceLock::new();
    DERIVED.get_or_init(|| {
        all_cmdlets()
            .into_iter()
            .map(|cmdlet| DerivedCmdlet {
                name: cmdlet.name(),
                parameter_sets: parameter::parameter_sets(&cmdlet),
                parameters: parameter::parameters(&cmdlet),
                cmdlet,
            })
            .collect()
    })
}

fn entry(cmdlet: &Cmdlet) -> &'static DerivedCmdlet {
    derived()
        .iter()
        .find(|d| std::ptr::eq(d.cmdlet.spec, cmdlet.spec) && d.cmdlet.version == cmdlet.version)
        .expect("every Cmdlet comes from the catalog's specs")
}

/// The cmdlet of that name, compared case-insensitively as PowerShell compares command names.
pub(crate) fn find(name: &str) -> Option<Cmdlet> {
    derived().iter().find(|d| d.name.eq_ignore_ascii_case(name)).map(|d| d.cmdlet)
}

pub(crate) fn parameter_sets(cmdlet: &Cmdlet) -> &'static [ParameterSet] {
    &entry(cmdlet).parameter_sets
}

pub(crate) fn parameters(cmdlet: &Cmdlet) -> &'static [Parameter] {
    &entry(cmdlet).parameters
}
