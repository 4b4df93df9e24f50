// Connect-MgGraph, Disconnect-MgGraph, Get-MgContext, Add-MgEnvironment and Get-MgEnvironment: the connection lives in
// the engine; these turn its answers into PowerShell output and error records.
using System;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Text.Json;

namespace MgPresence.Runtime
{
    public static class Connection
    {
        public static void Connect(PSCmdlet cmdlet, SecureString accessToken, string? environment, double clientTimeoutSeconds, bool noWelcome)
        {
            var token = Plain(accessToken);
            var timeout = clientTimeoutSeconds > 0 ? (uint)Math.Min(clientTimeoutSeconds, uint.MaxValue) : 0u;
            var error = Engine.Connect(environment ?? "", token, timeout);
            if (error is not null)
            {
                cmdlet.ThrowTerminatingError(ErrorRecords.From(error, 0, null));
                return;
            }
            if (noWelcome) return;
            var context = Engine.ContextJson();
            using var doc = JsonDocument.Parse(context);
            var env = doc.RootElement.GetProperty("Environment").GetString();
            cmdlet.WriteObject("Welcome to Microsoft Graph!");
            cmdlet.WriteObject("");
            cmdlet.WriteObject($"Connected via userprovidedaccesstoken access to the {env} environment (MgPresence)");
            cmdlet.WriteObject("NOTE: You can use the -NoWelcome parameter to suppress this message.");
        }

        public static void Disconnect(PSCmdlet cmdlet)
        {
            var error = Engine.Disconnect();
            if (error is not null) cmdlet.ThrowTerminatingError(ErrorRecords.From(error, 0, null));
        }

        public static void WriteContext(PSCmdlet cmdlet)
        {
            var json = Engine.ContextJson();
            if (json.Length == 0) return;
            using var doc = JsonDocument.Parse(json);
            var context = (PSObject)OutputObjects.Convert(doc.RootElement)!;
            context.TypeNames.Insert(0, "Microsoft.Graph.PowerShell.Authentication.AuthContext");
            cmdlet.WriteObject(context);
        }

        public static void AddEnvironment(PSCmdlet cmdlet, string name, string graphEndpoint, string azureAdEndpoint)
        {
            var error = Engine.AddEnvironment(name, graphEndpoint, azureAdEndpoint);
            if (error is not null)
            {
                cmdlet.WriteError(ErrorRecords.From(error, 0, name));
                return;
            }
            WriteEnvironments(cmdlet, name);
        }

        public static void WriteEnvironments(PSCmdlet cmdlet, string? name)
        {
            using var doc = JsonDocument.Parse(Engine.EnvironmentsJson());
            foreach (var environment in doc.RootElement.EnumerateArray())
            {
                var environmentName = environment.GetProperty("Name").GetString();
                if (!string.IsNullOrEmpty(name) && !string.Equals(name, environmentName, StringComparison.OrdinalIgnoreCase)) continue;
                var pso = (PSObject)OutputObjects.Convert(environment)!;
                pso.TypeNames.Insert(0, "Microsoft.Graph.PowerShell.Authentication.GraphEnvironment");
                cmdlet.WriteObject(pso);
            }
        }

        private static string Plain(SecureString secure)
        {
            var pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
            try { return Marshal.PtrToStringUni(pointer) ?? ""; }
            finally { Marshal.ZeroFreeGlobalAllocUnicode(pointer); }
        }
    }
}
