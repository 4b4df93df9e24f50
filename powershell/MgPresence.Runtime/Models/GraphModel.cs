// What every model type of generated/Models.cs shares (Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence and
// the complex types it holds, in both API versions): reading the service's JSON, building a model from a hashtable,
// an object with properties or JSON text (casts, New-Object -Property, parameter binding), and writing the wire JSON
// a request sends. Each generated class lists its members once, as ModelProperty values; this file does the rest.
using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Text.Json;

namespace MgPresence.Runtime
{
    /// <summary>The .NET type of a model member.</summary>
    public enum ModelPropertyKind
    {
        String,
        Boolean,
        /// <summary>A date and time, held in UTC as Microsoft's models hold Edm.DateTimeOffset.</summary>
        DateTime,
        Model,
    }

    /// <summary>One typed member of a model: its .NET and JSON names, its kind, and how to read and set it.</summary>
    public sealed class ModelProperty
    {
        public ModelProperty(string name, string wireName, ModelPropertyKind kind, Func<GraphModel, object?> get, Action<GraphModel, object?> set, Func<GraphModel>? create = null)
        {
            Name = name;
            WireName = wireName;
            Kind = kind;
            Get = get;
            Set = set;
            Create = create;
        }

        public string Name { get; }
        public string WireName { get; }
        public ModelPropertyKind Kind { get; }
        /// <summary>The value as set; for nested models the backing field, so reading never creates one.</summary>
        internal Func<GraphModel, object?> Get { get; }
        internal Action<GraphModel, object?> Set { get; }
        /// <summary>A new, empty instance of a nested model's type.</summary>
        internal Func<GraphModel>? Create { get; }
    }

    /// <summary>The base of every generated model type.</summary>
    public abstract class GraphModel
    {
        /// <summary>The typed members, in Microsoft's order.</summary>
        internal abstract IReadOnlyList<ModelProperty> ModelProperties { get; }

        /// <summary>What the model does not type; each generated class exposes it as AdditionalProperties.</summary>
        internal abstract Dictionary<string, object?> Extra { get; }

        /// <summary>Fills the model from a JSON object as the service sends it.</summary>
        internal void ReadJson(JsonElement json)
        {
            if (json.ValueKind != JsonValueKind.Object) return;
            foreach (var member in json.EnumerateObject())
            {
                var property = Find(member.Name, wire: true);
                if (property is null)
                {
                    Extra[member.Name] = PlainValue(member.Value);
                    continue;
                }
                switch (property.Kind)
                {
                    case ModelPropertyKind.Model when member.Value.ValueKind == JsonValueKind.Object:
                        var nested = property.Create!();
                        nested.ReadJson(member.Value);
                        property.Set(this, nested);
                        break;
                    case ModelPropertyKind.Boolean when member.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        property.Set(this, member.Value.GetBoolean());
                        break;
                    case ModelPropertyKind.DateTime when member.Value.ValueKind == JsonValueKind.String:
                        property.Set(this, ParseDateTime(member.Value.GetString()!) ?? (object?)null);
                        break;
                    case ModelPropertyKind.String when member.Value.ValueKind == JsonValueKind.String:
                        property.Set(this, member.Value.GetString());
                        break;
                    case ModelPropertyKind.String when member.Value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                        property.Set(this, member.Value.GetRawText());
                        break;
                    default:
                        // null, or a value of a type the model does not give the member: kept untyped, not lost.
                        if (member.Value.ValueKind != JsonValueKind.Null) Extra[member.Name] = PlainValue(member.Value);
                        break;
                }
            }
        }

        /// <summary>Fills the model from a hashtable, an object with properties or JSON text; keys match case-insensitively.</summary>
        internal void ReadValue(object? source, int depth = 0)
        {
            if (depth > PowerShellValueJson.MaxDepth) throw new PSInvalidCastException($"The value nests more than {PowerShellValueJson.MaxDepth} levels deep (a cycle?).");
            switch (Unwrap(source))
            {
                case null:
                    return;
                case GraphModel model:
                    ReadJson(JsonDocument.Parse(model.ToJsonString()).RootElement);
                    return;
                case string text:
                    using (var document = ParseJsonObject(text)) ReadJson(document.RootElement);
                    return;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary) ReadMember(entry.Key?.ToString() ?? "", entry.Value, depth);
                    return;
                case var other:
                    foreach (var p in PSObject.AsPSObject(other).Properties)
                    {
                        if (!p.IsGettable) continue;
                        object? value;
                        try { value = p.Value; }
                        catch (GetValueException) { continue; }
                        ReadMember(p.Name, value, depth);
                    }
                    return;
            }
        }

        private void ReadMember(string name, object? value, int depth)
        {
            if (name.Equals("AdditionalProperties", StringComparison.OrdinalIgnoreCase) && Unwrap(value) is IDictionary extra)
            {
                foreach (DictionaryEntry entry in extra) Extra[entry.Key?.ToString() ?? ""] = Unwrap(entry.Value);
                return;
            }
            var property = Find(name, wire: false);
            if (property is null)
            {
                Extra[name] = Unwrap(value);
                return;
            }
            value = Unwrap(value);
            if (value is null)
            {
                property.Set(this, null);
                return;
            }
            try
            {
                switch (property.Kind)
                {
                    case ModelPropertyKind.Model:
                        var nested = property.Create!();
                        if (value.GetType() == nested.GetType())
                        {
                            property.Set(this, value);
                            return;
                        }
                        nested.ReadValue(value, depth + 1);
                        property.Set(this, nested);
                        return;
                    case ModelPropertyKind.Boolean:
                        property.Set(this, LanguagePrimitives.ConvertTo<bool>(value));
                        return;
                    case ModelPropertyKind.DateTime:
                        var when = value is string s ? ParseDateTime(s) ?? throw new FormatException($"'{s}' is not a date and time") : LanguagePrimitives.ConvertTo<DateTime>(value);
                        property.Set(this, when.ToUniversalTime());
                        return;
                    default:
                        property.Set(this, value is string text ? text : LanguagePrimitives.ConvertTo<string>(value));
                        return;
                }
            }
            catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or FormatException or ArgumentException)
            {
                throw new PSInvalidCastException($"Cannot set {GetType().Name}.{property.Name}: {e.Message}", e);
            }
        }

        /// <summary>The wire JSON of the model: members that are set, in camelCase, then AdditionalProperties.</summary>
        public string ToJsonString()
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream)) WriteJson(writer, 0);
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        /// <summary>Writes the wire JSON; nulls and empty nested models are left out, as Microsoft's serializer does.</summary>
        internal void WriteJson(Utf8JsonWriter w, int depth)
        {
            w.WriteStartObject();
            foreach (var property in ModelProperties)
            {
                var value = property.Get(this);
                if (value is null) continue;
                if (value is GraphModel nested)
                {
                    if (nested.IsEmpty) continue;
                    w.WritePropertyName(property.WireName);
                    nested.WriteJson(w, depth + 1);
                    continue;
                }
                w.WritePropertyName(property.WireName);
                switch (value)
                {
                    case bool b: w.WriteBooleanValue(b); break;
                    case DateTime dt: w.WriteStringValue(dt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)); break;
                    default: w.WriteStringValue(value.ToString()); break;
                }
            }
            foreach (var entry in Extra)
            {
                if (entry.Value is null) continue;
                w.WritePropertyName(entry.Key);
                w.WriteRawValue(PowerShellValueJson.Serialize(entry.Value));
            }
            w.WriteEndObject();
        }

        /// <summary>Whether nothing is set: such a nested model is not sent.</summary>
        internal bool IsEmpty
        {
            get
            {
                foreach (var property in ModelProperties)
                {
                    var value = property.Get(this);
                    if (value is GraphModel nested ? !nested.IsEmpty : value is not null) return false;
                }
                foreach (var entry in Extra)
                {
                    if (entry.Value is not null) return false;
                }
                return true;
            }
        }

        private ModelProperty? Find(string name, bool wire)
        {
            foreach (var property in ModelProperties)
            {
                if (wire ? property.WireName == name : property.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return property;
            }
            // The service's member names are camelCase; anything else matches case-insensitively as Graph does.
            if (wire)
            {
                foreach (var property in ModelProperties)
                {
                    if (property.WireName.Equals(name, StringComparison.OrdinalIgnoreCase)) return property;
                }
            }
            return null;
        }

        internal static object? Unwrap(object? value) => value is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : value;

        internal static JsonDocument ParseJsonObject(string text)
        {
            JsonDocument document;
            try { document = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new PSInvalidCastException($"The text is not a JSON object: {e.Message}", e); }
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new PSInvalidCastException("The text is not a JSON object.");
            }
            return document;
        }

        internal static DateTime? ParseDateTime(string text) =>
            DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when) ? when : null;

        /// <summary>
        /// A JSON value the model does not type, as PowerShell values: text, numbers, booleans, objects as
        /// Dictionary[string, object], arrays as object[].
        /// </summary>
        internal static object? PlainValue(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var table = new Dictionary<string, object?>();
                    foreach (var member in element.EnumerateObject()) table[member.Name] = PlainValue(member.Value);
                    return table;
                case JsonValueKind.Array:
                    var items = new List<object?>();
                    foreach (var item in element.EnumerateArray()) items.Add(PlainValue(item));
                    return items.ToArray();
                case JsonValueKind.String:
                    return element.GetString();
                case JsonValueKind.Number:
                    if (element.TryGetInt32(out var i)) return i;
                    if (element.TryGetInt64(out var l)) return l;
                    return element.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// Converts hashtables, objects with properties and JSON object text to a model type or its interface, as
    /// Microsoft's model type converters do: <c>[MicrosoftGraphPresence]@{ Activity = 'Busy' }</c>, a hashtable bound to
    /// a parameter of a model type. Keys match case-insensitively; unknown keys go to AdditionalProperties.
    /// </summary>
    public sealed class GraphModelConverter : PSTypeConverter
    {
        public override bool CanConvertFrom(object sourceValue, Type destinationType)
        {
            if (ModelTypes.ConcreteType(destinationType) is null) return false;
            return GraphModel.Unwrap(sourceValue) switch
            {
                null => false,
                string text => text.TrimStart().StartsWith('{'),
                IDictionary or PSObject or GraphModel => true,
                var other => !other.GetType().IsPrimitive && other is not IEnumerable,
            };
        }

        public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
        {
            var concrete = ModelTypes.ConcreteType(destinationType) ?? throw new PSInvalidCastException($"{destinationType.FullName} is not a model type.");
            if (destinationType.IsInstanceOfType(GraphModel.Unwrap(sourceValue))) return GraphModel.Unwrap(sourceValue)!;
            var model = (GraphModel)Activator.CreateInstance(concrete)!;
            model.ReadValue(sourceValue);
            return model;
        }

        public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

        public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
            throw new PSInvalidCastException($"Cannot convert a model to {destinationType.Name}.");
    }
}
