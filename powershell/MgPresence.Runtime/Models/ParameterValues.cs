// The types of -InputObject and -BodyParameter. Like Microsoft's model types they accept a hashtable, an object with
// properties, or a JSON object string through a type converter; unlike them they keep the value as given, and the
// engine applies the binding rules (case-insensitive keys, extra keys kept as additional properties).
using System;
using System.Collections;
using System.ComponentModel;
using System.Management.Automation;
using System.Text.Json;
using MgPresence.Runtime;

namespace MgPresence.Models
{
    /// <summary>The identity of a presence: UserId or PresenceId (Microsoft's ICloudCommunicationsIdentity).</summary>
    [TypeConverter(typeof(ParameterValueConverter))]
    public sealed class CloudCommunicationsIdentity
    {
        internal CloudCommunicationsIdentity(Hashtable properties) => Properties = properties;

        /// <summary>The identity's properties, compared case-insensitively.</summary>
        public Hashtable Properties { get; }

        public string? UserId => Properties["UserId"]?.ToString();

        public string? PresenceId => Properties["PresenceId"]?.ToString();

        public string? SessionId => Properties["SessionId"]?.ToString();

        public override string ToString() => UserId ?? PresenceId ?? "";
    }

    /// <summary>A -BodyParameter value: a hashtable, an object with properties, or JSON text.</summary>
    [TypeConverter(typeof(ParameterValueConverter))]
    public sealed class RequestBody
    {
        internal RequestBody(object value) => Value = value;

        public object Value { get; }

        public override string ToString() => Value is string s ? s : PowerShellValueJson.Serialize(Value);
    }

    /// <summary>
    /// A nested model value of an expanded parameter (-StatusMessage, -OutOfOfficeSettings, -WorkLocation): a hashtable,
    /// an object with properties (such as a property of a presence that Get-MgUserPresence returned), or JSON text.
    /// </summary>
    [TypeConverter(typeof(ParameterValueConverter))]
    public sealed class GraphObject
    {
        internal GraphObject(object value) => Value = value;

        public object Value { get; }

        public override string ToString() => Value is string s ? s : PowerShellValueJson.Serialize(Value);
    }

    /// <summary>Converts hashtables, objects with properties and JSON object strings to the types above.</summary>
    public sealed class ParameterValueConverter : PSTypeConverter
    {
        private static object? Unwrap(object? value) =>
            value is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : value;

        private static bool IsObjectLike(object? value) =>
            value switch
            {
                null => false,
                string => false,
                PSObject => true,
                IDictionary => true,
                _ => !value.GetType().IsPrimitive && value is not decimal && value is not IEnumerable,
            };

        private static bool IsJsonObject(string text)
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                return doc.RootElement.ValueKind == JsonValueKind.Object;
            }
            catch (JsonException) { return false; }
        }

        public override bool CanConvertFrom(object sourceValue, Type destinationType)
        {
            var value = Unwrap(sourceValue);
            if (destinationType == typeof(RequestBody)) return IsObjectLike(value) || value is string;
            if (destinationType == typeof(GraphObject)) return IsObjectLike(value) || (value is string s0 && IsJsonObject(s0));
            if (destinationType == typeof(CloudCommunicationsIdentity))
                return IsObjectLike(value) || (value is string s && IsJsonObject(s));
            return false;
        }

        public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
        {
            var value = Unwrap(sourceValue);
            if (destinationType == typeof(RequestBody))
            {
                if (value is string || IsObjectLike(value)) return new RequestBody(value!);
            }
            else if (destinationType == typeof(GraphObject))
            {
                if (value is string text && IsJsonObject(text))
                {
                    using var doc = JsonDocument.Parse(text);
                    return new GraphObject(OutputObjects.ToHashtable(doc.RootElement));
                }
                if (IsObjectLike(value)) return new GraphObject(value!);
            }
            else if (destinationType == typeof(CloudCommunicationsIdentity))
            {
                var properties = new Hashtable(StringComparer.OrdinalIgnoreCase);
                switch (value)
                {
                    case IDictionary dictionary:
                        foreach (DictionaryEntry entry in dictionary) properties[entry.Key?.ToString() ?? ""] = entry.Value;
                        return new CloudCommunicationsIdentity(properties);
                    case string text when IsJsonObject(text):
                        using (var doc = JsonDocument.Parse(text))
                        {
                            foreach (var p in doc.RootElement.EnumerateObject()) properties[p.Name] = OutputObjects.Convert(p.Value);
                        }
                        return new CloudCommunicationsIdentity(properties);
                    case not null when IsObjectLike(value):
                        foreach (var p in PSObject.AsPSObject(value).Properties)
                        {
                            if (!p.IsGettable) continue;
                            try { properties[p.Name] = p.Value; }
                            catch (GetValueException) { }
                        }
                        return new CloudCommunicationsIdentity(properties);
                }
            }
            throw new PSInvalidCastException(
                $"Cannot convert a value of type {sourceValue?.GetType().FullName ?? "null"} to {destinationType.Name}: " +
                "pass a hashtable, an object with properties, or a JSON object string.");
        }

        public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

        public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
            throw new PSInvalidCastException($"Cannot convert to {destinationType.Name}.");
    }
}
