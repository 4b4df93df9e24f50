// Invoke-MgBulkUserPresence: the items piped in become one bulk call to the engine, which sends them through
// $batch. The call runs on a worker thread while the pipeline thread writes progress; Ctrl+C stops the engine's run
// and reports what was and was not applied.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Text.Json;
using System.Threading.Tasks;

namespace MgPresence.Runtime
{
    public static class BulkInvoker
    {
        /// <summary>The actions, and the cmdlet and parameter set each runs per item.</summary>
        private static readonly Dictionary<string, (string Noun, string Verb, string[] Members)> Actions = new(StringComparer.OrdinalIgnoreCase)
        {
            ["SetPresence"] = ("UserPresence", "Set", new[] { "SessionId", "Availability", "Activity", "ExpirationDuration" }),
            ["ClearPresence"] = ("UserPresence", "Clear", new[] { "SessionId" }),
            ["SetUserPreferredPresence"] = ("UserPresenceUserPreferredPresence", "Set", new[] { "Availability", "Activity", "ExpirationDuration" }),
            ["ClearUserPreferredPresence"] = ("UserPresenceUserPreferredPresence", "Clear", Array.Empty<string>()),
        };

        private static object? Member(object item, string name)
        {
            if (item is PSObject pso && pso.BaseObject is IDictionary d0) item = d0;
            if (item is IDictionary dictionary)
            {
                foreach (DictionaryEntry e in dictionary)
                {
                    if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return e.Value;
                }
                return null;
            }
            return PSObject.AsPSObject(item).Properties[name]?.Value;
        }

        private static object? Normalized(string member, object? value)
        {
            // A CSV gives text: "01:30:00" is a [TimeSpan] for ExpirationDuration, as on the command line.
            if (member == "ExpirationDuration" && value is string text && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span)) return span;
            return value;
        }

        public static void Invoke(PSCmdlet cmdlet, IList items, string action, IDictionary bound)
        {
            if (!Actions.TryGetValue(action, out var spec))
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"Unknown action '{action}'."), "UnknownAction", ErrorCategory.InvalidArgument, action));
                return;
            }
            var beta = bound.Contains("Beta");
            var cmdletName = $"{spec.Verb}-{(beta ? "MgBeta" : "Mg")}{spec.Noun}";
            var parameterSet = spec.Members.Length > 0 ? spec.Verb + "Expanded" : spec.Verb;
            var calls = new List<IDictionary>(items.Count);
            foreach (var item in items)
            {
                var call = new OrderedDictionary { ["UserId"] = Member(item!, "UserId") ?? Member(item!, "Id") };
                foreach (var member in spec.Members)
                {
                    var value = Member(item!, member) ?? bound[member];
                    if (value is not null) call[member] = Normalized(member, value);
                }
                calls.Add(call);
            }
            if (!cmdlet.ShouldProcess($"{calls.Count} users", $"{cmdletName} through $batch")) return;

            var itemsJson = PowerShellValueJson.Serialize(calls);
            var concurrency = bound["ThrottleLimit"] is int limit ? (uint)limit : 4u;
            var run = Task.Run(() => Engine.InvokeBulk(cmdletName, parameterSet, itemsJson, concurrency));
            var progress = new ProgressRecord(1, $"{cmdletName} for {calls.Count} users", "Starting");
            try
            {
                while (!run.Wait(250))
                {
                    var done = Engine.BulkProgress();
                    progress.StatusDescription = $"{done} of {calls.Count} done";
                    progress.PercentComplete = calls.Count == 0 ? 100 : (int)Math.Min(100, done * 100L / calls.Count);
                    cmdlet.WriteProgress(progress);
                }
            }
            catch (PipelineStoppedException)
            {
                Engine.CancelBulk();
                var (stopped, _) = run.GetAwaiter().GetResult();
                cmdlet.Host?.UI?.WriteWarningLine("Stopped: " + Summary(stopped));
                throw;
            }
            progress.RecordType = ProgressRecordType.Completed;
            cmdlet.WriteProgress(progress);
            var (outcomesJson, error) = run.GetAwaiter().GetResult();
            if (error is not null)
            {
                cmdlet.ThrowTerminatingError(ErrorRecords.From(error, 0, null));
                return;
            }
            using var doc = JsonDocument.Parse(outcomesJson);
            foreach (var outcome in doc.RootElement.EnumerateArray())
            {
                var pso = (PSObject)OutputObjects.Convert(outcome)!;
                pso.TypeNames.Insert(0, "MgPresence.BulkOutcome");
                cmdlet.WriteObject(pso);
            }
        }

        private static string Summary(string outcomesJson)
        {
            int applied = 0, failed = 0, notSent = 0;
            using var doc = JsonDocument.Parse(outcomesJson);
            foreach (var o in doc.RootElement.EnumerateArray())
            {
                if (o.GetProperty("Succeeded").GetBoolean()) applied++;
                else if (o.GetProperty("ErrorCode").GetString() == "NotSent") notSent++;
                else failed++;
            }
            return $"{applied} applied, {failed} failed, {notSent} not sent.";
        }
    }
}
