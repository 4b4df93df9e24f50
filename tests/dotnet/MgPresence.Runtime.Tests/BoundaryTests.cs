using System;
using System.Collections.Generic;
using MgPresence.Interop;
using MgPresence.Runtime;
using Xunit;
using static MgPresence.Interop.Interop;

namespace MgPresence.Runtime.Tests
{
    /// <summary>
    /// The C ABI as .NET reaches it, with input no cmdlet would send: bad session handles, and every [TimeSpan]
    /// PowerShell can pass for -ExpirationDuration, turned into text by the module's serializer (XmlConvert) and read
    /// by the real engine.
    /// </summary>
    public class BoundaryTests
    {
        [Fact]
        public void ADestroyedOrMadeUpSessionHandleIsAnErrorNotACrash()
        {
            var session = graph_session_create().AsOk();
            Assert.True(graph_session_destroy(session).IsOk);
            foreach (var bad in new[] { session, new SessionHandle { id = 0 }, new SessionHandle { id = ulong.MaxValue } })
            {
                var destroyed = graph_session_destroy(bad);
                Assert.True(destroyed.IsErr);
                Assert.True(destroyed.AsErr().IsInvalidHandle);
                using var context = graph_session_context_json(bad);
                Assert.True(context.AsErr().IsInvalidHandle);
            }
            // The module's own session is unaffected.
            Assert.Matches(@"^\d+\.\d+\.\d+", Engine.Version());
            Assert.NotEmpty(Engine.EnvironmentsJson());
        }

        public static IEnumerable<object[]> TimeSpans()
        {
            long fiveMinutes = TimeSpan.FromMinutes(5).Ticks, fourHours = TimeSpan.FromHours(4).Ticks;
            var edges = new List<long>
            {
                0, 1, -1, fiveMinutes - 1, fiveMinutes, fiveMinutes + 1, fourHours - 1, fourHours, fourHours + 1,
                TimeSpan.MaxValue.Ticks, TimeSpan.MinValue.Ticks, TimeSpan.FromDays(1).Ticks, -fiveMinutes,
            };
            var random = new Random(20261122);
            for (var i = 0; i < 400; i++) edges.Add(random.NextInt64(fiveMinutes, fourHours + 1));
            for (var i = 0; i < 200; i++) edges.Add(random.NextInt64(long.MinValue, long.MaxValue));
            foreach (var ticks in edges) yield return new object[] { ticks };
        }

        [Theory]
        [MemberData(nameof(TimeSpans))]
        public void EveryTimeSpanIsAcceptedExactlyWhenGraphAllowsIt(long ticks)
        {
            var span = TimeSpan.FromTicks(ticks);
            var bound = "{\"UserId\":\"u\",\"SessionId\":\"s\",\"Availability\":\"Busy\",\"Activity\":\"InACall\",\"ExpirationDuration\":"
                + PowerShellValueJson.Serialize(span) + "}";
            var (_, action, error) = Engine.Describe("Set-MgUserPresence", "SetExpanded", bound);
            var allowed = span >= TimeSpan.FromMinutes(5) && span <= TimeSpan.FromHours(4);
            if (allowed)
            {
                Assert.Null(error);
                Assert.Equal("Set-MgUserPresence_SetExpanded", action);
            }
            else
            {
                Assert.NotNull(error);
                Assert.Contains("expirationduration", (error!.ErrorId + error.Message).ToLowerInvariant());
                // Reported as the service answers it: InvalidArgument out of range, BadRequest for a negative span.
                Assert.Contains(error.ErrorId, new[] { "InvalidArgument", "BadRequest" });
                Assert.Contains("\"status\":400", error.ServiceJson);
            }
        }
    }
}
