# MgPresence module loader.
# The manifest has already loaded bin/MgPresence.Runtime.dll (RequiredAssemblies); the Rust engine beside it is
# loaded on the first call, not here, so importing stays cheap. This file only defines the functions; the manifest's
# FunctionsToExport (generated from the catalog and these scripts) is the export list.
. "$PSScriptRoot/MgPresence.Cmdlets.ps1"
. "$PSScriptRoot/MgPresence.Authentication.ps1"
. "$PSScriptRoot/MgPresence.Bulk.ps1"
