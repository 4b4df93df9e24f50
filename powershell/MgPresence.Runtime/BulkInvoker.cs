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
        /// <summary>
        /// A CSV gives text: an item's "01:30:00" is a [TimeSpan], as PowerShell's binder would make it on the command
        /// line. Everything else about the items (which members count, items over common values) is the engine's.
        /// </summary>
        private static object? ItemValue(object item)
        {
            if (item is PSObject pso && pso.BaseObject is not PSCustomObject) item = pso.BaseObject;
            var copy = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            IEnumerable<(string, object?)> members = item is IDictionary d
                ? EnumerateDictionary(d)
                : EnumerateProperties(PSObject.AsPSObject(item));
            foreach (var (name, value) in members)
            {
                copy[name] = name.Equals("ExpirationDuration", StringComparison.OrdinalIgnoreCase) && value is string text
                    && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) ? span : value;
            }
            return copy;
        }

        private static IEnumerable<(string, object?)> EnumerateDictionary(IDictionary dictionary)
        {
            foreach (DictionaryEntry e in dictionary) yield return (e.Key?.ToString() ?? "", e.Value);
        }

        private static IEnumerable<(string, object?)> EnumerateProperties(PSObject pso)
        {
            foreach (var p in pso.Properties)
            {
                if (p.IsGettable) yield return (p.Name, p.Value);
            }
        }

        public static void Invoke(PSCmdlet cmdlet, IList items, string action, IDictionary bound)
        {
            var beta = bound.Contains("Beta");
            var common = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var name in new[] { "SessionId", "Availability", "Activity", "ExpirationDuration" })
            {
                if (bound.Contains(name)) common[name] = bound[name];
            }
            var count = items.Count;
            if (!cmdlet.ShouldProcess($"{count} users", $"{action} through $batch{(beta ? " (beta)" : "")}")) return;

            var itemValues = new List<object?>(count);
            foreach (var item in items) itemValues.Add(ItemValue(item!));
            var itemsJson = PowerShellValueJson.Serialize(itemValues);
            var commonJson = PowerShellValueJson.Serialize(common);
            var concurrency = bound["ThrottleLimit"] is int limit ? (uint)limit : 4u;
            var run = Task.Run(() => Engine.InvokeBulk(action, beta, commonJson, itemsJson, concurrency));
            var progress = new ProgressRecord(1, $"{action} for {count} users", "Starting");
            try
            {
                while (!run.Wait(250))
                {
                    var done = Engine.BulkProgress();
                    progress.StatusDescription = $"{done} of {count} done";
                    progress.PercentComplete = count == 0 ? 100 : (int)Math.Min(100, done * 100L / count);
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
                cmdlet.ThrowTerminatingError(ErrorRecords.From(error, () => null));
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
