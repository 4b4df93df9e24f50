// Connect-MgGraph, Disconnect-MgGraph, Get-MgContext, Add-MgEnvironment and Get-MgEnvironment: the connection lives in
// the engine; these turn its answers into PowerShell output and error records.
using System;
using System.Collections;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Runtime.InteropServices;
using System.Security;
using System.Text.Json;

namespace MgPresence.Runtime
{
    public static class Connection
    {
        /// <summary>Connect-MgGraph: reads the parameter set's parameters, signs in through the engine.</summary>
        /// <summary>The client id Microsoft Graph PowerShell signs users in with when -ClientId is not given.</summary>
        public const string DefaultDelegatedClientId = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

        /// <summary>How long a sign-in (device code or browser) waits for the user (Microsoft's authentication timeout).</summary>
        public const uint SignInWaitSeconds = 120;

        public static void Connect(PSCmdlet cmdlet, IDictionary bound)
        {
            if (cmdlet.ParameterSetName == "UserParameterSet")
            {
                ConnectDelegated(cmdlet, bound);
                return;
            }
            SignIn signIn;
            try
            {
                signIn = SignInFor(cmdlet.ParameterSetName, bound);
            }
            catch (ArgumentException e)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(e, e.ParamName ?? "InvalidArgument", ErrorCategory.InvalidArgument, null));
                return;
            }
            catch (CryptographicException e)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("The certificate's private key cannot be used: " + e.Message), "InvalidCertificate", ErrorCategory.InvalidArgument, null));
                return;
            }
            signIn.Environment = bound["Environment"]?.ToString() ?? "";
            var timeout = bound["ClientTimeout"] is double seconds && seconds > 0 ? (uint)Math.Min(seconds, uint.MaxValue) : 0u;
            signIn.TimeoutSeconds = timeout;
            var error = Engine.Connect(signIn);
            if (error is not null)
            {
                cmdlet.ThrowTerminatingError(ErrorRecords.From(error, () => null));
                return;
            }
            if (bound.Contains("NoWelcome")) return;
            using var doc = JsonDocument.Parse(Engine.ContextJson());
            var authType = doc.RootElement.GetProperty("TokenCredentialType").GetString()?.ToLowerInvariant();
            var clientId = doc.RootElement.TryGetProperty("ClientId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            var env = doc.RootElement.GetProperty("Environment").GetString();
            cmdlet.WriteObject("Welcome to Microsoft Graph!");
            cmdlet.WriteObject("");
            cmdlet.WriteObject(clientId is null
                ? $"Connected via {authType} access to the {env} environment (MgPresence)"
                : $"Connected via {authType} access using {clientId} to the {env} environment (MgPresence)");
            cmdlet.WriteObject("NOTE: You can use the -NoWelcome parameter to suppress this message.");
        }

        /// <summary>
        /// Delegated sign-in, as Microsoft's module does it: through the browser where one can be opened (authorization
        /// code with PKCE, the browser sent back to a loopback port), otherwise, or with -UseDeviceCode, with a device
        /// code whose message goes to the host. Then the engine waits for the user.
        /// </summary>
        private static void ConnectDelegated(PSCmdlet cmdlet, IDictionary bound)
        {
            var scopes = bound["Scopes"] is string[] list ? string.Join(" ", list) : "";
            var clientId = Text(bound, "ClientId");
            clientId = clientId.Length > 0 ? clientId : DefaultDelegatedClientId;
            var tenantId = Text(bound, "TenantId");
            tenantId = tenantId.Length > 0 ? tenantId : "common";
            var timeout = bound["ClientTimeout"] is double seconds && seconds > 0 ? (uint)Math.Min(seconds, uint.MaxValue) : 0u;
            var environment = Text(bound, "Environment");
            var useDeviceCode = bound["UseDeviceCode"] is SwitchParameter s && s.IsPresent;
            // CurrentUser unless -ContextScope Process, as Microsoft's module does for a user: the sign-in is kept
            // between sessions (UserSignInCache), and a kept one that covers the scopes signs in without the user.
            var keep = !string.Equals(Text(bound, "ContextScope"), "Process", StringComparison.OrdinalIgnoreCase);
            if (keep && UserSignInCache.TryResume(environment, clientId, tenantId, scopes, timeout))
            {
                if (!bound.Contains("NoWelcome")) cmdlet.WriteObject("Welcome to Microsoft Graph!");
                return;
            }
            var signedInWithBrowser = false;
            if (!useDeviceCode && BrowserLauncher.CanOpen())
            {
                var (url, browserError) = Engine.BeginBrowserSignIn(environment, clientId, tenantId, scopes, timeout);
                if (browserError is not null)
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.From(browserError, () => null));
                    return;
                }
                if (BrowserLauncher.TryOpen(url, out var problem))
                {
                    // As Azure CLI says it: the address too, in case the browser opened somewhere the user does not look.
                    cmdlet.Host.UI.WriteLine($"A web browser has been opened at {url}. Please continue the sign-in in the web browser.");
                    signedInWithBrowser = true;
                }
                else
                {
                    cmdlet.WriteWarning($"The browser could not be opened ({problem}); signing in with a device code instead.");
                }
            }
            if (!signedInWithBrowser && !BeginDeviceCode(cmdlet, environment, clientId, tenantId, scopes, timeout)) return;
            // Watched, so Ctrl+C stops the wait for the user inside the engine.
            var finished = CallWatcher.Watched(cmdlet, callId => Engine.FinishUserSignIn(SignInWaitSeconds, callId));
            if (finished?.Category == nameof(ErrorCategory.OperationStopped)) throw new PipelineStoppedException();
            if (finished is not null)
            {
                cmdlet.ThrowTerminatingError(ErrorRecords.From(finished, () => null));
                return;
            }
            if (keep && UserSignInCache.Keep(environment) is { } keepProblem)
            {
                cmdlet.WriteWarning($"The sign-in could not be kept for the next session ({keepProblem}); it lasts for this session.");
            }
            if (!bound.Contains("NoWelcome")) cmdlet.WriteObject("Welcome to Microsoft Graph!");
        }

        /// <summary>Starts a device code sign-in and shows its message on the host; false when it could not start.</summary>
        private static bool BeginDeviceCode(PSCmdlet cmdlet, string environment, string clientId, string tenantId, string scopes, uint timeout)
        {
            var (message, error) = Engine.BeginDeviceCode(environment, clientId, tenantId, scopes, timeout);
            if (error is not null)
            {
                cmdlet.ThrowTerminatingError(ErrorRecords.From(error, () => null));
                return false;
            }
            // Shown on the host, as Microsoft's module does, so it reaches the user even when output is captured.
            cmdlet.Host.UI.WriteLine(message);
            return true;
        }

        private static string Text(IDictionary bound, string name) => bound[name]?.ToString() ?? "";

        private static SignIn SignInFor(string parameterSet, IDictionary bound)
        {
            switch (parameterSet)
            {
                case "AccessTokenParameterSet":
                    return new SignIn { Kind = SignInKind.AccessToken, AccessToken = Plain((SecureString)bound["AccessToken"]!) };
                case "AppSecretCredentialParameterSet":
                    var credential = (PSCredential)bound["ClientSecretCredential"]!;
                    return new SignIn
                    {
                        Kind = SignInKind.ClientSecret,
                        ClientId = credential.UserName,
                        ClientSecret = credential.GetNetworkCredential().Password,
                        TenantId = Text(bound, "TenantId"),
                    };
                case "AppCertificateParameterSet":
                    var certificate = bound["Certificate"] as X509Certificate2
                        ?? FindCertificate(Text(bound, "CertificateThumbprint"), Text(bound, "CertificateSubjectName"));
                    return CertificateSignIn(Text(bound, "ClientId"), Text(bound, "TenantId"), certificate);
                case "IdentityParameterSet":
                    return new SignIn
                    {
                        Kind = SignInKind.ManagedIdentity,
                        ClientId = Text(bound, "ClientId"),
                        IdentityEndpoint = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT") ?? "",
                        IdentityHeader = Environment.GetEnvironmentVariable("IDENTITY_HEADER") ?? "",
                        ImdsEndpoint = Environment.GetEnvironmentVariable("IMDS_ENDPOINT") ?? "",
                    };
                case "EnvironmentVariableParameterSet":
                    return EnvironmentSignIn();
                default:
                    throw new ArgumentException($"The sign-in '{parameterSet}' is not supported by MgPresence yet; use -AccessToken, -ClientSecretCredential, a certificate, -Identity or -EnvironmentVariable.", "SignInNotSupported");
            }
        }

        private static SignIn CertificateSignIn(string clientId, string tenantId, X509Certificate2 certificate)
        {
            using var rsa = certificate.GetRSAPrivateKey()
                ?? throw new ArgumentException($"The certificate {certificate.Thumbprint} has no RSA private key this session can use.", "InvalidCertificate");
            return new SignIn
            {
                Kind = SignInKind.ClientCertificate,
                ClientId = clientId,
                TenantId = tenantId,
                PrivateKeyPem = rsa.ExportPkcs8PrivateKeyPem(),
                CertificateBase64 = Convert.ToBase64String(certificate.RawData),
            };
        }

        /// <summary>A certificate with a private key from the current user's store, by thumbprint or subject name.</summary>
        public static X509Certificate2 FindCertificate(string thumbprint, string subjectName)
        {
            using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            X509Certificate2Collection found = thumbprint.Length > 0
                ? store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, false)
                : subjectName.StartsWith("CN=", StringComparison.OrdinalIgnoreCase)
                    ? store.Certificates.Find(X509FindType.FindBySubjectDistinguishedName, subjectName, false)
                    : store.Certificates.Find(X509FindType.FindBySubjectName, subjectName, false);
            foreach (var certificate in found)
            {
                if (certificate.HasPrivateKey) return certificate;
            }
            var what = thumbprint.Length > 0 ? $"thumbprint {thumbprint}" : $"subject '{subjectName}'";
            throw new ArgumentException($"No certificate with a private key and {what} is in the current user's certificate store (My).", "CertificateNotFound");
        }

        private static SignIn EnvironmentSignIn()
        {
            string Variable(string name) => Environment.GetEnvironmentVariable(name) ?? "";
            var clientId = Variable("AZURE_CLIENT_ID");
            var tenantId = Variable("AZURE_TENANT_ID");
            var secret = Variable("AZURE_CLIENT_SECRET");
            var certificatePath = Variable("AZURE_CLIENT_CERTIFICATE_PATH");
            if (clientId.Length > 0 && tenantId.Length > 0 && secret.Length > 0)
            {
                return new SignIn { Kind = SignInKind.ClientSecret, ClientId = clientId, TenantId = tenantId, ClientSecret = secret };
            }
            if (clientId.Length > 0 && tenantId.Length > 0 && certificatePath.Length > 0)
            {
                var password = Environment.GetEnvironmentVariable("AZURE_CLIENT_CERTIFICATE_PASSWORD");
                var certificate = certificatePath.EndsWith(".pem", StringComparison.OrdinalIgnoreCase)
                    ? X509Certificate2.CreateFromPemFile(certificatePath)
                    : new X509Certificate2(certificatePath, password, X509KeyStorageFlags.Exportable);
                return CertificateSignIn(clientId, tenantId, certificate);
            }
            if (Variable("AZURE_USERNAME").Length > 0)
            {
                throw new ArgumentException("AuthNotSupported: signing in with AZURE_USERNAME and AZURE_PASSWORD is not supported.", "AuthNotSupported");
            }
            throw new ArgumentException(
                "-EnvironmentVariable needs AZURE_CLIENT_ID and AZURE_TENANT_ID, with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (and AZURE_CLIENT_CERTIFICATE_PASSWORD).",
                "EnvironmentNotConfigured");
        }

        public static void Disconnect(PSCmdlet cmdlet)
        {
            // The kept sign-in goes too: the next session signs the user in again.
            UserSignInCache.Forget();
            var error = Engine.Disconnect();
            if (error is not null) cmdlet.ThrowTerminatingError(ErrorRecords.From(error, () => null));
        }

        /// <summary>Set-MgRequestContext: unbound parameters keep their current values.</summary>
        public static void SetRequestContext(PSCmdlet cmdlet, IDictionary bound)
        {
            using var current = JsonDocument.Parse(Engine.RequestContextJson());
            uint Value(string name) => bound.Contains(name) ? Convert.ToUInt32(bound[name]) : current.RootElement.GetProperty(name).GetUInt32();
            var error = Engine.SetRequestContext(Value("MaxRetry"), Value("RetryDelay"), Value("RetriesTimeLimit"));
            if (error is not null) cmdlet.ThrowTerminatingError(ErrorRecords.From(error, () => null));
            WriteRequestContext(cmdlet);
        }

        public static void WriteRequestContext(PSCmdlet cmdlet)
        {
            using var doc = JsonDocument.Parse(Engine.RequestContextJson());
            var context = (PSObject)OutputObjects.Convert(doc.RootElement)!;
            context.TypeNames.Insert(0, "Microsoft.Graph.PowerShell.Authentication.RequestContext");
            cmdlet.WriteObject(context);
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
                cmdlet.WriteError(ErrorRecords.From(error, () => name));
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
