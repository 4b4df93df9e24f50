// Turns the values PowerShell bound to a cmdlet's parameters into JSON for the engine, which applies Microsoft's
// binding rules to them. Values keep their shape: hashtables and objects become JSON objects (keys as given),
// [TimeSpan] becomes ISO 8601 text (XmlConvert, as Microsoft's serializer writes it), dates become round-trip text.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Xml;
using MgPresence.Models;

namespace MgPresence.Runtime
{
    public static class PowerShellValueJson
    {
        /// <summary>How deeply values may nest; deeper values are refused rather than followed (cycles).</summary>
        public const int MaxDepth = 24;

        /// <summary>The common parameters PowerShell adds, which are not part of a request.</summary>
        private static readonly HashSet<string> CommonParameters = new(StringComparer.OrdinalIgnoreCase)
        {
            "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable",
            "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
        };

        /// <summary>The bound parameters, without the common ones, as a JSON object.</summary>
        public static string SerializeParameters(IDictionary boundParameters)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in boundParameters)
                {
                    var name = entry.Key?.ToString() ?? "";
                    if (CommonParameters.Contains(name)) continue;
                    writer.WritePropertyName(name);
                    WriteValue(writer, entry.Value, 0, name);
                }
                writer.WriteEndObject();
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        /// <summary>One value as JSON text.</summary>
        public static string Serialize(object? value)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream)) WriteValue(writer, value, 0, "value");
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private static void WriteValue(Utf8JsonWriter w, object? value, int depth, string path)
        {
            if (depth > MaxDepth)
                throw new ArgumentException($"The value of '{path}' nests more than {MaxDepth} levels deep (a cycle?).");
            switch (value)
            {
                case null:
                    w.WriteNullValue();
                    return;
                case PSObject pso when pso.BaseObject is PSCustomObject:
                    WriteProperties(w, pso, depth, path);
                    return;
                case PSObject pso:
                    WriteValue(w, pso.BaseObject, depth, path);
                    return;
                case string s:
                    w.WriteStringValue(s);
                    return;
                case char c:
                    w.WriteStringValue(c.ToString());
                    return;
                case bool b:
                    w.WriteBooleanValue(b);
                    return;
                case SwitchParameter sp:
                    w.WriteBooleanValue(sp.IsPresent);
                    return;
                case TimeSpan ts:
                    w.WriteStringValue(XmlConvert.ToString(ts));
                    return;
                case DateTime dt:
                    w.WriteStringValue(dt.ToUniversalTime().ToString("o"));
                    return;
                case DateTimeOffset dto:
                    w.WriteStringValue(dto.ToString("o"));
                    return;
                case Enum e:
                    w.WriteStringValue(e.ToString());
                    return;
                case byte or sbyte or short or ushort or int or uint or long:
                    w.WriteNumberValue(Convert.ToInt64(value));
                    return;
                case ulong ul:
                    w.WriteNumberValue(ul);
                    return;
                case float or double:
                    w.WriteNumberValue(Convert.ToDouble(value));
                    return;
                case decimal m:
                    w.WriteNumberValue(m);
                    return;
                case Guid or Uri:
                    w.WriteStringValue(value.ToString());
                    return;
                case ScriptBlock or Delegate:
                    // Code cannot cross into the engine; the engine sees that the parameter was given.
                    w.WriteStringValue(value.GetType().FullName);
                    return;
                case SecureString:
                    throw new ArgumentException($"'{path}' is a SecureString, which is never sent in a request.");
                case PSCredential credential:
                    w.WriteStartObject();
                    w.WriteString("UserName", credential.UserName);
                    w.WriteString("Password", credential.GetNetworkCredential().Password);
                    w.WriteEndObject();
                    return;
                case GraphModel graphModel:
                    // A model (from a Get cmdlet, New-Object or a cast) is sent as its wire JSON.
                    graphModel.WriteJson(w, depth);
                    return;
                case CloudCommunicationsIdentity identity:
                    WriteValue(w, identity.Properties, depth, path);
                    return;
                case RequestBody body:
                    WriteValue(w, body.Value, depth, path);
                    return;
                case GraphObject model:
                    WriteValue(w, model.Value, depth, path);
                    return;
                case IDictionary dictionary:
                    w.WriteStartObject();
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        var key = entry.Key?.ToString() ?? "";
                        w.WritePropertyName(key);
                        WriteValue(w, entry.Value, depth + 1, path + "." + key);
                    }
                    w.WriteEndObject();
                    return;
                case IEnumerable items:
                    w.WriteStartArray();
                    var i = 0;
                    foreach (var item in items) WriteValue(w, item, depth + 1, $"{path}[{i++}]");
                    w.WriteEndArray();
                    return;
                default:
                    WriteProperties(w, PSObject.AsPSObject(value), depth, path);
                    return;
            }
        }

        private static void WriteProperties(Utf8JsonWriter w, PSObject pso, int depth, string path)
        {
            w.WriteStartObject();
            foreach (var property in pso.Properties)
            {
                if (!property.IsGettable) continue;
                object? propertyValue;
                try { propertyValue = property.Value; }
                catch (GetValueException) { continue; }
                w.WritePropertyName(property.Name);
                WriteValue(w, propertyValue, depth + 1, path + "." + property.Name);
            }
            w.WriteEndObject();
        }
    }
}
