// The emulator these tests run Microsoft's clients against: `mgpresence serve --https --require-issued-tokens`,
// started from the CLI that `cargo xtask test` names (MGPRESENCE_CLI), with the CA certificate it makes, so the
// clients trust exactly that CA (as docs/emulator.md tells users to). Graph endpoints take only tokens the emulator's
// identity provider issued, so each sign-in is shown to work by a presence call that needs its token.
using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Core.Pipeline;
using Xunit;

namespace MicrosoftClients.Tests
{
    public sealed class HttpsEmulator : IDisposable
    {
        /// <summary>The demo directory of docs/emulator.md.</summary>
        public const string TenantId = "00000000-0000-0000-0000-00000000c0de";
        public const string DemoAppId = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346";
        public const string DemoAppSecret = "mgpresence-emulator-demo-secret";
        public const string DemoUserId = "00000000-0000-0000-0000-0000000000a1";
        public const string IdentityHeader = "mgpresence-emulator-identity-header";
        public const string GraphScope = "https://graph.microsoft.com/.default";

        private readonly Process process;
        private readonly string directory;

        public HttpsEmulator()
        {
            var cli = Environment.GetEnvironmentVariable("MGPRESENCE_CLI")
                ?? throw new InvalidOperationException("MGPRESENCE_CLI is not set: run these tests with `cargo xtask test`.");
            directory = Directory.CreateTempSubdirectory("mgpresence-clients-").FullName;
            var caPath = Path.Combine(directory, "ca.pem");
            var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "serve", "--https", "--require-issued-tokens", "--ca-file", caPath }) start.ArgumentList.Add(a);
            process = Process.Start(start) ?? throw new InvalidOperationException($"{cli} did not start");
            const string prefix = "MgPresence emulator listening on ";
            var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the emulator printed nothing");
            Assert.StartsWith(prefix, line);
            Url = line.Substring(prefix.Length).Trim();
            Assert.StartsWith("https://127.0.0.1:", Url);
            // The second line names the CA file; the file is there once the first line is out.
            _ = process.StandardOutput.ReadLine();
            CaPath = caPath;
            CaCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            Control = new HttpClient(TrustingHandler()) { BaseAddress = new Uri(Url) };
        }

        /// <summary>The emulator's address: `https://127.0.0.1:port`.</summary>
        public string Url { get; }

        public Uri Authority => new(Url);

        public X509Certificate2 CaCertificate { get; }

        /// <summary>The PEM file of the emulator's CA.</summary>
        public string CaPath { get; }

        /// <summary>For the control endpoints (/_emulator/…).</summary>
        public HttpClient Control { get; }

        /// <summary>An HTTP handler that trusts the emulator's CA, and only it, for the emulator's certificate.</summary>
        public HttpClientHandler TrustingHandler()
        {
            var ca = CaCertificate;
            return new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate);
                },
            };
        }

        /// <summary>Azure.Identity's HTTP transport over <see cref="TrustingHandler"/>.</summary>
        public HttpPipelineTransport Transport() => new HttpClientTransport(new HttpClient(TrustingHandler()));

        /// <summary>The recorded Graph requests.</summary>
        public async Task<JsonArray> Requests()
        {
            var log = await Control.GetFromJsonAsync<JsonObject>("/_emulator/requests");
            return log!["requests"]!.AsArray();
        }

        public async Task ClearRequests()
        {
            (await Control.DeleteAsync("/_emulator/requests")).EnsureSuccessStatusCode();
            (await Control.DeleteAsync("/_emulator/faults")).EnsureSuccessStatusCode();
        }

        public async Task Post(string path, object body)
        {
            var response = await Control.PostAsJsonAsync(path, body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        public void Dispose()
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit(5000);
            process.Dispose();
            Control.Dispose();
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    [CollectionDefinition(Name)]
    public sealed class EmulatorCollection : ICollectionFixture<HttpsEmulator>
    {
        public const string Name = "HTTPS emulator";
    }
}
