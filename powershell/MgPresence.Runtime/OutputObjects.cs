// Turns the engine's output JSON into PowerShell objects: a model object ("$type" naming a generated model type,
// "$value" the service's JSON) becomes an instance of that .NET type, as Microsoft's cmdlets output; other objects
// (the context, the request context) become PSCustomObjects, with "$type" as their PowerShell type name.
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text.Json;

namespace MgPresence.Runtime
{
    public static class OutputObjects
    {
        public const string TypeMember = "$type";
        public const string ValueMember = "$value";

        public static List<object?> FromJsonArray(string json)
        {
            var list = new List<object?>();
            if (string.IsNullOrEmpty(json) || json == "[]") return list;
            using var document = JsonDocument.Parse(json);
            foreach (var element in document.RootElement.EnumerateArray()) list.Add(Convert(element));
            return list;
        }

        public static object? Convert(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object when element.TryGetProperty(TypeMember, out var typeName)
                    && element.TryGetProperty(ValueMember, out var modelJson)
                    && ModelTypes.Create(typeName.GetString() ?? "") is { } model:
                    model.ReadJson(modelJson);
                    return model;
                case JsonValueKind.Object:
                    var pso = new PSObject();
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name == TypeMember)
                        {
                            pso.TypeNames.Insert(0, property.Value.GetString() ?? "");
                            continue;
                        }
                        pso.Properties.Add(new PSNoteProperty(property.Name, Convert(property.Value)));
                    }
                    return pso;
                case JsonValueKind.Array:
                    var items = new List<object?>();
                    foreach (var item in element.EnumerateArray()) items.Add(Convert(item));
                    return items.ToArray();
                default:
                    return GraphModel.PlainValue(element);
            }
        }

        public static Hashtable ToHashtable(JsonElement element)
        {
            var table = new Hashtable();
            foreach (var property in element.EnumerateObject()) table[property.Name] = Convert(property.Value);
            return table;
        }
    }
}
