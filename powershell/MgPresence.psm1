# MgPresence module loader.
# The manifest has already loaded bin/MgPresence.Runtime.dll (RequiredAssemblies); the Rust engine beside it is
# loaded on the first call, not here, so importing stays cheap. This file only defines the functions; the manifest's
# FunctionsToExport (generated from the catalog and these scripts) is the export list.
# The build (cargo xtask build) writes each dot-sourced script in place of its line, so the built module is one file.
. "$PSScriptRoot/MgPresence.Cmdlets.ps1"
. "$PSScriptRoot/MgPresence.Authentication.ps1"
. "$PSScriptRoot/MgPresence.Bulk.ps1"
. "$PSScriptRoot/MgPresence.KeepAlive.ps1"
