using System.Collections;
using System.Linq;
using System.Management.Automation;
using MgPresence.Runtime;
using Xunit;

namespace MgPresence.Runtime.Tests
{
    /// <summary>The -Availability/-Activity completers (values generated from the domain) and the engine's call cancel.</summary>
    public class CompletionAndCancelTests
    {
        private static string[] Complete(PresenceValueCompleter completer, string parameter, string word, IDictionary? bound = null) =>
            completer.CompleteArgument("Set-Whatever", parameter, word, null!, bound ?? new Hashtable()).Select(r => r.CompletionText).ToArray();

        [Fact]
        public void PreferredPresenceActivitiesFollowTheTypedAvailability()
        {
            var completer = new SetUserPreferredPresenceValueCompleter();
            Assert.Equal(new[] { "OffWork" }, Complete(completer, "Activity", "", new Hashtable { ["Availability"] = "offline" }));
            Assert.Equal(new[] { "Available", "Away", "BeRightBack", "Busy", "DoNotDisturb", "Offline" }, Complete(completer, "Availability", ""));
        }

        [Fact]
        public void SessionPresenceFiltersByPrefixAndKeepsTheQuote()
        {
            var completer = new SetPresenceValueCompleter();
            Assert.Equal(new[] { "InACall", "InAConferenceCall" }, Complete(completer, "Activity", "ina", new Hashtable { ["Availability"] = PSObject.AsPSObject("Busy") }));
            Assert.Equal(new[] { "'Busy'" }, Complete(completer, "Availability", "'bu"));
            var result = completer.CompleteArgument("x", "Availability", "Bu", null!, new Hashtable()).Single();
            Assert.Equal(CompletionResultType.ParameterValue, result.ResultType);
        }

        [Fact]
        public void ThePresenceEntityOffersEveryDomainValue()
        {
            Assert.Equal(PresenceValues.Availabilities, Complete(new PresenceEntityValueCompleter(), "Availability", ""));
            Assert.Equal(new[] { "Available", "AvailableIdle" }, Complete(new PresenceEntityValueCompleter(), "Availability", "AV"));
        }

        [Fact]
        public void CancellingACallThatIsNotRunningIsANoOp()
        {
            Assert.False(Engine.CancelCall(ulong.MaxValue));
            Assert.False(Engine.CancelCall(0));
        }
    }
}
