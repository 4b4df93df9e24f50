// What Register-, Unregister- and Get-MgPresenceKeepAlive do: hand the holds to the engine's keep-alive store (the
// store `mgpresence agent run` renews) and write the holds back as MgPresence.KeepAliveHold objects.
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text.Json;

namespace MgPresence.Runtime
{
    public static class KeepAliveInvoker
    {
        private const string HoldTypeName = "MgPresence.KeepAliveHold";

        /// <summary>Adds the holds (hashtables of UserId, SessionId, Availability, Activity, Until) in one go.</summary>
        public static void Register(PSCmdlet cmdlet, IList holds, bool force, string storePath) => Run(cmdlet, 0, holds, force, storePath, true);

        /// <summary>Removes the holds (hashtables of UserId, SessionId); writes those removed when <paramref name="passThru"/>.</summary>
        public static void Unregister(PSCmdlet cmdlet, IList holds, string storePath, bool passThru) => Run(cmdlet, 1, holds, false, storePath, passThru);

        /// <summary>Every hold, the earliest renewal first.</summary>
        public static List<PSObject> List(PSCmdlet cmdlet, string storePath) => Holds(cmdlet, 2, new List<object>(), false, storePath);

        private static void Run(PSCmdlet cmdlet, byte action, IList holds, bool force, string storePath, bool write)
        {
            var written = Holds(cmdlet, action, holds, force, storePath);
            if (!write) return;
            foreach (var hold in written) cmdlet.WriteObject(hold);
        }

        /// <summary>The holds the request touched, as objects with PascalCase properties (UserId, …, Lapses).</summary>
        private static List<PSObject> Holds(PSCmdlet cmdlet, byte action, IList holds, bool force, string storePath)
        {
            var (json, error) = Engine.KeepAlive(action, storePath ?? "", PowerShellValueJson.Serialize(holds), force);
            if (error is not null) cmdlet.ThrowTerminatingError(ErrorRecords.From(error, () => storePath));
            var list = new List<PSObject>();
            using var document = JsonDocument.Parse(json);
            foreach (var element in document.RootElement.EnumerateArray())
            {
                var hold = new PSObject();
                hold.TypeNames.Insert(0, HoldTypeName);
                foreach (var member in element.EnumerateObject())
                {
                    var name = char.ToUpperInvariant(member.Name[0]) + member.Name[1..];
                    hold.Properties.Add(new PSNoteProperty(name, OutputObjects.Convert(member.Value)));
                }
                list.Add(hold);
            }
            return list;
        }
    }
}
