// What every variant cmdlet (generated/Variants.cs) does: describe the call (validation, -WhatIf text), ask
// ShouldProcess, let the engine bind/send/map it, then write debug text, errors, output and the response headers
// variable.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text.Json;
using System.Threading;

namespace MgPresence.Runtime
{
    public static class CmdletInvoker
    {
        /// <summary>
        /// One call of <paramref name="name"/> (the public cmdlet) in <paramref name="parameterSet"/>; errors are
        /// written with <paramref name="target"/> as their TargetObject.
        /// </summary>
        public static void Invoke(PSCmdlet cmdlet, string name, string parameterSet, IDictionary boundParameters, Func<object?> target)
        {
            if (boundParameters.Contains("Break")) DebuggerBreak.WaitForDebugger(cmdlet);

            string boundJson;
            try
            {
                boundJson = PowerShellValueJson.SerializeParameters(boundParameters);
            }
            catch (ArgumentException e)
            {
                cmdlet.WriteError(ErrorRecords.From(e, "InvalidParameterValue", ErrorCategory.InvalidArgument, null));
                return;
            }

            if (cmdlet.MyInvocation.MyCommand.Parameters.ContainsKey("WhatIf") && ShouldProcessMayShow(cmdlet))
            {
                var (whatIfTarget, action, describeError) = Engine.Describe(name, parameterSet, boundJson);
                if (describeError is not null)
                {
                    Fail(cmdlet, describeError, target);
                    return;
                }
                if (!cmdlet.ShouldProcess(whatIfTarget, action)) return;
            }

            // Watched, so Ctrl+C (cmdlet.Stopping) cancels the call inside the engine.
            var trace = DebugWanted(cmdlet);
            if (trace) WriteBeginDebug(cmdlet, name, parameterSet);
            var userAgentSuffix = UserAgentSuffix(cmdlet, name);
            var result = CallWatcher.Watched(cmdlet, callId => Engine.Invoke(name, parameterSet, boundJson, trace, userAgentSuffix, callId));
            if (result.Cancelled) throw new PipelineStoppedException();
            if (result.DebugText.Length > 0)
            {
                foreach (var block in result.DebugText.Split('\f')) cmdlet.WriteDebug(block);
            }
            if (result.Error is not null)
            {
                // What earlier pages of -All brought is output before the error, as Microsoft's cmdlets write each
                // page as it comes.
                WriteOutput(cmdlet, result);
                if (trace) cmdlet.WriteDebug($"[CmdletException]: Received exception with message '{result.Error.Message}'");
                if (trace) cmdlet.WriteDebug($"[CmdletEndProcessing]: - {name} end processing.");
                Fail(cmdlet, result.Error, target);
                return;
            }
            if (result.ResponseHeadersVariable.Length > 0 && result.ResponseHeadersJson.Length > 0)
            {
                cmdlet.SessionState.PSVariable.Set(new PSVariable(
                    "global:" + result.ResponseHeadersVariable, ResponseHeaders(result.ResponseHeadersJson)));
            }
            if (result.CountVariable.Length > 0)
            {
                // Microsoft sets the count in the global scope unless the name says otherwise ("script:n").
                var countName = result.CountVariable.Contains(':') ? result.CountVariable : "global:" + result.CountVariable;
                cmdlet.SessionState.PSVariable.Set(new PSVariable(countName, result.Count));
            }
            WriteOutput(cmdlet, result);
            if (trace) cmdlet.WriteDebug($"[CmdletEndProcessing]: - {name} end processing.");
        }

        /// <summary>
        /// The first -Debug lines of Microsoft's cmdlets (their Module.EventHandler): the command and parameter set, and
        /// how the session signed in.
        /// </summary>
        private static void WriteBeginDebug(PSCmdlet cmdlet, string name, string parameterSet)
        {
            cmdlet.WriteDebug($"[CmdletBeginProcessing]: - {name} begin processing with parameterSet '{parameterSet}'.");
            var json = Engine.ContextJson();
            if (json.Length == 0) return;
            using var document = JsonDocument.Parse(json);
            var context = document.RootElement;
            string Text(string property) => context.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
            cmdlet.WriteDebug($"[Authentication]: - AuthType: '{Text("AuthType")}', TokenCredentialType: '{Text("TokenCredentialType")}', ContextScope: '{Text("ContextScope")}', AppName: '{Text("AppName")}'.");
            var scopes = new List<string>();
            if (context.TryGetProperty("Scopes", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var scope in list.EnumerateArray()) scopes.Add(scope.GetString() ?? "");
            }
            cmdlet.WriteDebug($"[Authentication]: - Scopes: [{string.Join(", ", scopes)}].");
        }

        private static void WriteOutput(PSCmdlet cmdlet, CallResult result)
        {
            foreach (var item in OutputObjects.FromJsonArray(result.OutputJson)) cmdlet.WriteObject(item);
        }

        /// <summary>
        /// Whether ShouldProcess could print or ask anything for a cmdlet of ConfirmImpact Medium (every generated one):
        /// -WhatIf, -Confirm, -Verbose (its "Performing the operation" line), or the preference variables that turn
        /// them on. Otherwise ShouldProcess would return true without a word, so neither it nor the engine's -WhatIf text
        /// is needed, and the call binds once instead of twice.
        /// </summary>
        internal static bool ShouldProcessMayShow(PSCmdlet cmdlet)
        {
            var bound = cmdlet.MyInvocation.BoundParameters;
            if (bound.ContainsKey("WhatIf") || bound.ContainsKey("Confirm") || bound.ContainsKey("Verbose")) return true;
            if (LanguagePrimitives.IsTrue(cmdlet.GetVariableValue("WhatIfPreference"))) return true;
            // Medium asks when $ConfirmPreference is Low or Medium; None never asks, High asks only for High.
            if (cmdlet.GetVariableValue("ConfirmPreference") is not ConfirmImpact confirm || (confirm != ConfirmImpact.None && confirm <= ConfirmImpact.Medium)) return true;
            return cmdlet.GetVariableValue("VerbosePreference") is not ActionPreference verbose
                || (verbose != ActionPreference.SilentlyContinue && verbose != ActionPreference.Ignore);
        }

        private static void Fail(PSCmdlet cmdlet, CallFailure failure, Func<object?> target)
        {
            var record = ErrorRecords.From(failure, target);
            if (failure.Terminating) cmdlet.ThrowTerminatingError(record);
            else cmdlet.WriteError(record);
        }

        private static bool DebugWanted(PSCmdlet cmdlet)
        {
            if (cmdlet.MyInvocation.BoundParameters.ContainsKey("Debug")) return true;
            return cmdlet.GetVariableValue("DebugPreference") is ActionPreference p && p != ActionPreference.SilentlyContinue && p != ActionPreference.Ignore;
        }

        private static string UserAgentSuffix(PSCmdlet cmdlet, string command)
        {
            var version = cmdlet.Host?.Version?.ToString() ?? "";
            return $"PowerShell/{version} {command}";
        }

        /// <summary>Response headers as Microsoft's cmdlets give them (<see cref="ResponseHeaderSet.ToDictionary"/>).</summary>
        public static Dictionary<string, IEnumerable<string>> ResponseHeaders(string json)
        {
            var pairs = new List<(string, string)>();
            using var document = JsonDocument.Parse(json);
            foreach (var header in document.RootElement.EnumerateObject())
            {
                foreach (var v in header.Value.EnumerateArray()) pairs.Add((header.Name, v.GetString() ?? ""));
            }
            return ResponseHeaderSet.From(pairs).ToDictionary();
        }
    }

    /// <summary>-Break: waits for a .NET debugger to attach, then breaks into it (Microsoft's AttachDebugger.Break).</summary>
    public static class DebuggerBreak
    {
        public static void WaitForDebugger(PSCmdlet cmdlet)
        {
            if (!System.Diagnostics.Debugger.IsAttached)
            {
                var pid = Environment.ProcessId;
                cmdlet.Host?.UI?.WriteWarningLine($"Waiting for a debugger to attach to process {pid}. Press Ctrl+C to stop.");
                while (!System.Diagnostics.Debugger.IsAttached)
                {
                    Thread.Sleep(200);
                    if (cmdlet.Stopping) throw new PipelineStoppedException();
                }
            }
            System.Diagnostics.Debugger.Break();
        }
    }
}
