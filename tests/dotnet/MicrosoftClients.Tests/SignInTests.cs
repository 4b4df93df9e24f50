// Azure.Identity 1.21.0 (MSAL underneath) signing in against the HTTPS emulator in each way a presence integration
// does, each followed by a Graph presence call that needs the token it got (the emulator takes only the tokens it
// issued). The credentials are configured as docs/emulator.md says: the emulator as AuthorityHost, instance
// discovery off, a transport that trusts the emulator's CA.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Identity;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Users.Item.Presence.SetPresence;
using Microsoft.Kiota.Authentication.Azure;
using Xunit;

namespace MicrosoftClients.Tests
{
    [Collection(EmulatorCollection.Name)]
    public sealed class SignInTests
    {
        private readonly HttpsEmulator emulator;

        public SignInTests(HttpsEmulator emulator) => this.emulator = emulator;

        private T Configure<T>(T options) where T : TokenCredentialOptions
        {
            options.AuthorityHost = emulator.Authority;
            options.Transport = emulator.Transport();
            options.Retry.MaxRetries = 0;
            return options;
        }

        /// <summary>Graph's SDK over the emulator with a credential; 127.0.0.1 among the hosts that get tokens.</summary>
        private GraphServiceClient Graph(TokenCredential credential)
        {
            var provider = new AzureIdentityAuthenticationProvider(credential, new[] { "127.0.0.1" }, null, true, HttpsEmulator.GraphScope);
            var http = GraphClientFactory.Create(finalHandler: emulator.TrustingHandler());
            return new GraphServiceClient(http, provider, $"{emulator.Url}/v1.0");
        }

        private static async Task SetAndRead(GraphServiceClient graph, string userId)
        {
            await graph.Users[userId].Presence.SetPresence.PostAsync(new SetPresencePostRequestBody
            {
                SessionId = HttpsEmulator.DemoAppId,
                Availability = "Busy",
                Activity = "InACall",
                ExpirationDuration = TimeSpan.FromMinutes(30),
            });
            var presence = await graph.Users[userId].Presence.GetAsync();
            Assert.Equal("Busy", presence!.Availability);
        }

        [Fact]
        public async Task ClientSecretCredential()
        {
            var credential = new ClientSecretCredential(HttpsEmulator.TenantId, HttpsEmulator.DemoAppId, HttpsEmulator.DemoAppSecret,
                Configure(new ClientSecretCredentialOptions { DisableInstanceDiscovery = true }));
            await SetAndRead(Graph(credential), "secret-user");

            var wrong = new ClientSecretCredential(HttpsEmulator.TenantId, HttpsEmulator.DemoAppId, "not-the-secret",
                Configure(new ClientSecretCredentialOptions { DisableInstanceDiscovery = true }));
            var refused = await Assert.ThrowsAsync<AuthenticationFailedException>(() => wrong.GetTokenAsync(new TokenRequestContext(new[] { HttpsEmulator.GraphScope }), default).AsTask());
            Assert.Contains("AADSTS7000215", refused.ToString());
        }

        [Fact]
        public async Task ClientCertificateCredential()
        {
            // A certificate of the app's, registered with the emulator as an admin uploads one to the app registration.
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=MgPresence test app", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            const string appId = "0b1f6e7a-4c6d-4b7e-9f4a-1e2d3c4b5a60";
            await emulator.Post("/_emulator/apps", new
            {
                clientId = appId,
                displayName = "certificate app",
                certificates = new[] { certificate.ExportCertificatePem() },
                roles = new[] { "Presence.ReadWrite.All" },
            });
            var credential = new ClientCertificateCredential(HttpsEmulator.TenantId, appId, certificate,
                Configure(new ClientCertificateCredentialOptions { DisableInstanceDiscovery = true }));
            await SetAndRead(Graph(credential), "certificate-user");
        }

        [Fact]
        public async Task DeviceCodeCredential()
        {
            var credential = new DeviceCodeCredential(Configure(new DeviceCodeCredentialOptions
            {
                ClientId = HttpsEmulator.DemoAppId,
                TenantId = HttpsEmulator.TenantId,
                DisableInstanceDiscovery = true,
                // The user enters the code: the control endpoint plays that part.
                DeviceCodeCallback = async (code, cancel) =>
                {
                    Assert.Contains(code.UserCode, code.Message);
                    await emulator.Post("/_emulator/devicecode/complete", new { userCode = code.UserCode, userId = HttpsEmulator.DemoUserId });
                },
            }));
            var graph = Graph(credential);
            await graph.Me.Presence.SetPresence.PostAsync(new Microsoft.Graph.Me.Presence.SetPresence.SetPresencePostRequestBody
            {
                SessionId = HttpsEmulator.DemoAppId,
                Availability = "Away",
                Activity = "Away",
            });
            var mine = await graph.Me.Presence.GetAsync();
            Assert.Equal(HttpsEmulator.DemoUserId, mine!.Id);
            Assert.Equal("Away", mine.Availability);
        }

        [Fact]
        public async Task InteractiveBrowserCredential()
        {
            // MSAL opens the sign-in address with xdg-open on Linux. The stand-in xdg-open leaves the address in a
            // file, and the test plays the browser of a signed-in user: it loads the address (the emulator's
            // /authorize signs the user in) and submits the form the page posts back to MSAL's loopback port.
            if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the stand-in browser is an xdg-open script");
            var browserDirectory = Directory.CreateTempSubdirectory("mgpresence-browser-").FullName;
            var opened = Path.Combine(browserDirectory, "opened-url");
            var opener = Path.Combine(browserDirectory, "xdg-open");
            File.WriteAllText(opener, $"#!/bin/sh\nprintf '%s' \"$1\" > '{opened}.tmp' && mv '{opened}.tmp' '{opened}'\n");
            File.SetUnixFileMode(opener, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var path = Environment.GetEnvironmentVariable("PATH");
            Environment.SetEnvironmentVariable("PATH", browserDirectory + Path.PathSeparator + path);
            try
            {
                await emulator.Post("/_emulator/authorize/user", new { userId = HttpsEmulator.DemoUserId });
                var credential = new InteractiveBrowserCredential(Configure(new InteractiveBrowserCredentialOptions
                {
                    ClientId = HttpsEmulator.DemoAppId,
                    TenantId = HttpsEmulator.TenantId,
                    DisableInstanceDiscovery = true,
                    RedirectUri = new Uri("http://localhost"),
                }));
                var graph = Graph(credential);
                var setting = graph.Me.Presence.SetPresence.PostAsync(new Microsoft.Graph.Me.Presence.SetPresence.SetPresencePostRequestBody
                {
                    SessionId = HttpsEmulator.DemoAppId,
                    Availability = "DoNotDisturb",
                    Activity = "Presenting",
                });
                await Browse(opened);
                await setting;
                var mine = await graph.Me.Presence.GetAsync();
                Assert.Equal(HttpsEmulator.DemoUserId, mine!.Id);
                Assert.Equal("DoNotDisturb", mine.Availability);
            }
            finally
            {
                Environment.SetEnvironmentVariable("PATH", path);
                Directory.Delete(browserDirectory, recursive: true);
            }
        }

        /// <summary>The browser: waits for the address MSAL opens, loads it, and posts the form the page holds.</summary>
        private async Task Browse(string opened)
        {
            for (var waited = 0; !File.Exists(opened); waited += 50)
            {
                Assert.True(waited < 30_000, "MSAL did not open the browser");
                await Task.Delay(50);
            }
            using var browser = new HttpClient(emulator.TrustingHandler());
            var page = await browser.GetStringAsync(File.ReadAllText(opened));
            var action = Regex.Match(page, "<form method=\"POST\" name=\"hiddenform\" action=\"([^\"]+)\"").Groups[1].Value;
            Assert.StartsWith("http://localhost:", action);
            var fields = Regex.Matches(page, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")
                .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
                .ToList();
            Assert.Contains(fields, f => f.Key == "code");
            var posted = await browser.PostAsync(WebUtility.HtmlDecode(action), new FormUrlEncodedContent(fields));
            Assert.True(posted.IsSuccessStatusCode, $"MSAL's loopback answered {(int)posted.StatusCode}");
        }

        [Fact]
        public async Task ManagedIdentityCredential()
        {
            // App Service and Azure Automation give the identity endpoint and header in these variables.
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", $"{emulator.Url}/msi/token");
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", HttpsEmulator.IdentityHeader);
            try
            {
                var credential = new ManagedIdentityCredential(Configure(new ManagedIdentityCredentialOptions(ManagedIdentityId.SystemAssigned)));
                await SetAndRead(Graph(credential), "managed-identity-user");
            }
            finally
            {
                Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
                Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
            }
        }
    }
}
