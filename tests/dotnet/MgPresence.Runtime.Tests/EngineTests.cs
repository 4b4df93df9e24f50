using System;
using System.Text.Json;
using MgPresence.Runtime;
using Xunit;

namespace MgPresence.Runtime.Tests
{
    /// <summary>The real engine (native library beside the assembly) against the emulator that `cargo xtask test` starts.</summary>
    public class EngineTests
    {
        private static string EmulatorUrl =>
            Environment.GetEnvironmentVariable("MGPRESENCE_EMULATOR_URL")
            ?? throw new InvalidOperationException("MGPRESENCE_EMULATOR_URL is not set: run these tests with `cargo xtask test`.");

        private static void Connect()
        {
            Assert.Null(Engine.AddEnvironment("DotnetTests", EmulatorUrl, EmulatorUrl));
            Assert.Null(Engine.Connect("DotnetTests", "dotnet-test-token", 30));
        }

        [Fact]
        public void TheEngineLoadsFromBesideTheAssembly()
        {
            Assert.Matches(@"^\d+\.\d+\.\d+", Engine.Version());
        }

        [Fact]
        public void SetThenGetThroughTheEngine()
        {
            Connect();
            var bound = "{\"UserId\":\"dotnet-user\",\"SessionId\":\"app\",\"Availability\":\"Busy\",\"Activity\":\"InACall\",\"ExpirationDuration\":\"PT1H\",\"PassThru\":true}";
            var set = Engine.Invoke("Set-MgUserPresence", "SetExpanded", bound, true, "xunit");
            Assert.Null(set.Error);
            Assert.Equal(200, set.Status);
            Assert.Equal("[true]", set.OutputJson);
            Assert.Contains("HTTP REQUEST", set.DebugText);
            Assert.DoesNotContain("dotnet-test-token", set.DebugText);

            var get = Engine.Invoke("Get-MgUserPresence", "Get", "{\"UserId\":\"dotnet-user\"}", false, "xunit");
            Assert.Null(get.Error);
            using var doc = JsonDocument.Parse(get.OutputJson);
            Assert.Equal("Busy", doc.RootElement[0].GetProperty("$value").GetProperty("availability").GetString());
        }

        [Fact]
        public void DescribeGivesTheWhatIfTextOrTheValidationError()
        {
            var (target, action, error) = Engine.Describe("Set-MgBetaUserPresence", "Set", "{\"UserId\":\"u\",\"BodyParameter\":{\"sessionId\":\"s\",\"availability\":\"Away\",\"activity\":\"Away\"}}");
            Assert.Null(error);
            Assert.Equal("Set-MgBetaUserPresence_Set", action);
            Assert.Equal("Call remote 'POST /users/{user-id}/presence/microsoft.graph.setPresence' operation", target);

            var refused = Engine.Describe("Set-MgUserPresence", "SetExpanded", "{\"UserId\":\"u\",\"SessionId\":\"s\",\"Availability\":\"Available\",\"Activity\":\"Available\",\"ExpirationDuration\":\"PT5H\"}");
            Assert.NotNull(refused.Error);
            Assert.Equal("InvalidArgument", refused.Error!.ErrorId);
            Assert.StartsWith("[InvalidArgument] : The provided [ExpirationDuration] is out of range", refused.Error.Message);
            Assert.Equal("InvalidOperation", refused.Error.Category);
        }

        [Fact]
        public void APanicInTheEngineIsAnExceptionAndTheProcessGoesOn()
        {
            var e = Assert.Throws<EngineException>(() => Engine.PanicForDiagnostics("xunit panic"));
            Assert.Contains("xunit panic", e.Message);
            Assert.Matches(@"^\d+\.\d+\.\d+", Engine.Version());
        }

        [Fact]
        public void AnUnknownEnvironmentIsAClearError()
        {
            var error = Engine.Connect("Nowhere", "token", 0);
            Assert.NotNull(error);
            Assert.Equal("InvalidEnvironment", error!.ErrorId);
            Assert.Contains("Global", error.Message);
        }
    }
}
