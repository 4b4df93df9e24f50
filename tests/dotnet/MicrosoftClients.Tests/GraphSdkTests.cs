// Microsoft.Graph 6.10.0 (Kiota 2.1.6) unchanged against the HTTPS emulator: every presence call a presence
// integration makes with it, batching, paging, errors as ODataError, and the SDK's RetryHandler honouring a 429.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Azure.Identity;
using Microsoft.Graph;
using Microsoft.Graph.Communications.GetPresencesByUserId;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Presence.ClearPresence;
using Microsoft.Graph.Users.Item.Presence.SetPresence;
using Microsoft.Graph.Users.Item.Presence.SetStatusMessage;
using Microsoft.Graph.Users.Item.Presence.SetUserPreferredPresence;
using Microsoft.Kiota.Authentication.Azure;
using Xunit;

namespace MicrosoftClients.Tests
{
    [Collection(EmulatorCollection.Name)]
    public sealed class GraphSdkTests
    {
        private readonly HttpsEmulator emulator;
        private readonly GraphServiceClient graph;

        public GraphSdkTests(HttpsEmulator emulator)
        {
            this.emulator = emulator;
            var credential = new ClientSecretCredential(HttpsEmulator.TenantId, HttpsEmulator.DemoAppId, HttpsEmulator.DemoAppSecret,
                new ClientSecretCredentialOptions { AuthorityHost = emulator.Authority, Transport = emulator.Transport(), DisableInstanceDiscovery = true });
            var provider = new AzureIdentityAuthenticationProvider(credential, new[] { "127.0.0.1" }, null, true, HttpsEmulator.GraphScope);
            graph = new GraphServiceClient(GraphClientFactory.Create(finalHandler: emulator.TrustingHandler()), provider, $"{emulator.Url}/v1.0");
        }

        private Task Set(string user, string availability, string activity) =>
            graph.Users[user].Presence.SetPresence.PostAsync(new SetPresencePostRequestBody
            {
                SessionId = HttpsEmulator.DemoAppId,
                Availability = availability,
                Activity = activity,
                ExpirationDuration = TimeSpan.FromHours(1),
            });

        [Fact]
        public async Task SetReadSelectAndClear()
        {
            await Set("sdk-user", "Busy", "InACall");
            var selected = await graph.Users["sdk-user"].Presence.GetAsync(c => c.QueryParameters.Select = new[] { "availability", "activity" });
            Assert.Equal(("Busy", "InACall"), (selected!.Availability, selected.Activity));
            await graph.Users["sdk-user"].Presence.ClearPresence.PostAsync(new ClearPresencePostRequestBody { SessionId = HttpsEmulator.DemoAppId });
            var cleared = await graph.Users["sdk-user"].Presence.GetAsync();
            Assert.Equal("Offline", cleared!.Availability);
        }

        [Fact]
        public async Task PreferredPresenceAndStatusMessage()
        {
            await Set("preferring-user", "Available", "Available");
            await graph.Users["preferring-user"].Presence.SetUserPreferredPresence.PostAsync(new SetUserPreferredPresencePostRequestBody
            {
                Availability = "DoNotDisturb",
                Activity = "DoNotDisturb",
                ExpirationDuration = TimeSpan.FromHours(8),
            });
            await graph.Users["preferring-user"].Presence.SetStatusMessage.PostAsync(new SetStatusMessagePostRequestBody
            {
                StatusMessage = new PresenceStatusMessage { Message = new ItemBody { Content = "Heads down", ContentType = BodyType.Text } },
            });
            var presence = await graph.Users["preferring-user"].Presence.GetAsync();
            Assert.Equal("DoNotDisturb", presence!.Availability);
            Assert.Equal("Heads down", presence.StatusMessage!.Message!.Content);
        }

        [Fact]
        public async Task ManyUsersByIdPagedAndCounted()
        {
            foreach (var user in new[] { "page-a", "page-b", "page-c" }) await Set(user, "Away", "Away");
            var byId = await graph.Communications.GetPresencesByUserId.PostAsGetPresencesByUserIdPostResponseAsync(
                new GetPresencesByUserIdPostRequestBody { Ids = new List<string> { "page-a", "page-c" } });
            Assert.Equal(new[] { "page-a", "page-c" }, byId!.Value!.Select(p => p.Id));

            var seen = new List<string>();
            var first = await graph.Communications.Presences.GetAsync(c => c.QueryParameters.Top = 2);
            var pages = PageIterator<Presence, PresenceCollectionResponse>.CreatePageIterator(graph, first!, p => { seen.Add(p.Id!); return true; });
            await pages.IterateAsync();
            Assert.Contains("page-b", seen);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            var count = await graph.Communications.Presences.Count.GetAsync();
            Assert.Equal(seen.Count, count);
        }

        [Fact]
        public async Task JsonBatching()
        {
            await Set("batch-a", "Busy", "InACall");
            await Set("batch-b", "Away", "Away");
            var batch = new BatchRequestContentCollection(graph);
            var a = await batch.AddBatchRequestStepAsync(graph.Users["batch-a"].Presence.ToGetRequestInformation());
            var b = await batch.AddBatchRequestStepAsync(graph.Users["batch-b"].Presence.ToGetRequestInformation());
            var answers = await graph.Batch.PostAsync(batch);
            Assert.Equal("Busy", (await answers.GetResponseByIdAsync<Presence>(a)).Availability);
            Assert.Equal("Away", (await answers.GetResponseByIdAsync<Presence>(b)).Availability);
        }

        [Fact]
        public async Task AnUnsupportedPairIsAnODataError()
        {
            var error = await Assert.ThrowsAsync<ODataError>(() => Set("odata-user", "Available", "Busy"));
            Assert.Equal(400, error.ResponseStatusCode);
            Assert.Equal("InvalidArgument", error.Error!.Code);
            Assert.Contains("not supported", error.Error.Message);
        }

        [Fact]
        public async Task TheRetryHandlerHonoursATooManyRequestsAnswer()
        {
            await emulator.ClearRequests();
            await emulator.Post("/_emulator/faults", new { method = "POST", pathContains = "retried-user", status = 429, code = "TooManyRequests", message = "Slow down.", retryAfter = 1, times = 1 });
            await Set("retried-user", "Busy", "InACall");
            var sent = (await emulator.Requests()).Where(r => r!["path"]!.GetValue<string>().Contains("retried-user")).ToList();
            Assert.Equal(new[] { 429, 200 }, sent.Select(r => r!["status"]!.GetValue<int>()));
            Assert.Equal("1", sent[1]!["headers"]!["retry-attempt"]!.GetValue<string>());
        }
    }
}
