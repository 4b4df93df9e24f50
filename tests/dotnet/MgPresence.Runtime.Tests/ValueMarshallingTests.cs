using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Security;
using System.Text.Json;
using MgPresence.Models;
using MgPresence.Runtime;
using Xunit;

namespace MgPresence.Runtime.Tests
{
    public class ValueMarshallingTests
    {
        [Fact]
        public void TimeSpansBecomeIso8601AsMicrosoftWritesThem()
        {
            Assert.Equal("\"PT1H30M\"", PowerShellValueJson.Serialize(TimeSpan.FromMinutes(90)));
            Assert.Equal("\"PT4H\"", PowerShellValueJson.Serialize(TimeSpan.FromHours(4)));
            Assert.Equal("\"P1D\"", PowerShellValueJson.Serialize(TimeSpan.FromDays(1)));
        }

        [Fact]
        public void HashtablesAndObjectsKeepTheirKeysAndNesting()
        {
            var inner = new OrderedDictionary { ["a"] = 1, ["b"] = new[] { "x", "y" } };
            var outer = new OrderedDictionary { ["SessionId"] = "s", ["nested"] = inner, ["flag"] = true };
            Assert.Equal("{\"SessionId\":\"s\",\"nested\":{\"a\":1,\"b\":[\"x\",\"y\"]},\"flag\":true}", PowerShellValueJson.Serialize(outer));

            var pso = new PSObject();
            pso.Properties.Add(new PSNoteProperty("UserId", "u1"));
            pso.Properties.Add(new PSNoteProperty("When", TimeSpan.FromMinutes(5)));
            Assert.Equal("{\"UserId\":\"u1\",\"When\":\"PT5M\"}", PowerShellValueJson.Serialize(pso));
        }

        [Fact]
        public void CommonParametersAreNotPartOfTheCall()
        {
            var bound = new OrderedDictionary { ["UserId"] = "u", ["Verbose"] = new SwitchParameter(true), ["ErrorAction"] = ActionPreference.Stop, ["PassThru"] = new SwitchParameter(true) };
            Assert.Equal("{\"UserId\":\"u\",\"PassThru\":true}", PowerShellValueJson.SerializeParameters(bound));
        }

        [Fact]
        public void CyclesAreRefusedNotFollowed()
        {
            var table = new Hashtable();
            table["self"] = table;
            var e = Assert.Throws<ArgumentException>(() => PowerShellValueJson.Serialize(table));
            Assert.Contains("nests more than", e.Message);
        }

        [Fact]
        public void SecureStringsAreNeverSerialized()
        {
            using var secure = new SecureString();
            secure.AppendChar('x');
            Assert.Throws<ArgumentException>(() => PowerShellValueJson.Serialize(new Hashtable { ["token"] = secure }));
        }

        [Fact]
        public void IdentitiesConvertFromHashtablesObjectsAndJson()
        {
            var converter = new ParameterValueConverter();
            var fromTable = (CloudCommunicationsIdentity)converter.ConvertFrom(new Hashtable { ["userid"] = "u1" }, typeof(CloudCommunicationsIdentity), null!, true);
            Assert.Equal("u1", fromTable.UserId);
            var pso = new PSObject();
            pso.Properties.Add(new PSNoteProperty("PresenceId", "p1"));
            var fromObject = (CloudCommunicationsIdentity)converter.ConvertFrom(pso, typeof(CloudCommunicationsIdentity), null!, true);
            Assert.Equal("p1", fromObject.PresenceId);
            var fromJson = (CloudCommunicationsIdentity)converter.ConvertFrom("{\"UserId\":\"u2\"}", typeof(CloudCommunicationsIdentity), null!, true);
            Assert.Equal("u2", fromJson.UserId);
            Assert.False(converter.CanConvertFrom(42, typeof(CloudCommunicationsIdentity)));
            Assert.False(converter.CanConvertFrom("plain text", typeof(CloudCommunicationsIdentity)));
        }

        [Fact]
        public void ModelOutputObjectsBecomeInstancesOfTheirModelType()
        {
            var items = OutputObjects.FromJsonArray("[{\"$type\":\"Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence\",\"$value\":{\"@odata.context\":\"c\",\"id\":\"u\",\"outOfOfficeSettings\":{\"message\":null,\"isOutOfOffice\":false},\"custom\":{\"n\":[1,2]}}}, true]");
            var presence = Assert.IsType<Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence>(items[0]);
            Assert.Equal("u", presence.Id);
            Assert.False(presence.OutOfOfficeSettings.IsOutOfOffice);
            Assert.Null(presence.OutOfOfficeSettings.Message);
            Assert.Equal("c", presence.AdditionalProperties["@odata.context"]);
            var custom = Assert.IsType<Dictionary<string, object?>>(presence.AdditionalProperties["custom"]);
            Assert.Equal(new object[] { 1, 2 }, custom["n"]);
            Assert.Null(presence.StatusMessage.Message.Content);
            Assert.Equal("{\"id\":\"u\",\"outOfOfficeSettings\":{\"isOutOfOffice\":false},\"@odata.context\":\"c\",\"custom\":{\"n\":[1,2]}}", presence.ToJsonString());
            Assert.Equal(true, items[1]);
        }

        [Fact]
        public void ResponseHeadersAreCaseInsensitiveWithAllTheirValues()
        {
            var headers = CmdletInvoker.ResponseHeaders("{\"request-id\":[\"r1\"],\"vary\":[\"a\",\"b\"],\"content-length\":[\"3\"],\"date\":[\"d\"]}");
            Assert.Equal(new[] { "r1" }, headers["Request-Id"]);
            Assert.Equal(new[] { "a", "b" }, headers["vary"]);
            Assert.IsType<string[]>(headers["Date"]);
            Assert.Equal(new[] { "request-id", "Vary", "Date", "Content-Length" }, headers.Keys);
        }
    }
}
