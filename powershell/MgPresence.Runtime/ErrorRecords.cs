// Error records in the shape Microsoft's cmdlets write them (mg-cmdlet-behavior.md §2.12). For an error the service
// answered, or would answer (input refused before sending): a System.Exception "[code] : message", ErrorId the code,
// category InvalidOperation, the call's ids, Headers and body as TargetObject, and in ErrorDetails the service's
// message with the Status/ErrorCode/Date/Headers block and the recommended action. Being written by the variant
// cmdlet, the record's FullyQualifiedErrorId ends with its class (…Cmdlets.SetMgUserPresence_SetExpanded).
// MgPresence's own errors (not connected, a -Headers value it cannot send, …) keep their ids and categories.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MgPresence.Runtime
{
    /// <summary>A failed MgPresence call that is not a service error. <see cref="ErrorCode"/> is its error id.</summary>
    public sealed class MgPresenceException : Exception
    {
        public MgPresenceException(string errorCode, string message) : base(message) => ErrorCode = errorCode;

        public string ErrorCode { get; }
    }

    public static class ErrorRecords
    {
        /// <summary>The recommended action of Microsoft's service error records.</summary>
        public const string ServiceErrorAction = "See service error codes: https://learn.microsoft.com/graph/errors";

        public static ErrorRecord From(CallFailure failure, Func<object?> target)
        {
            if (failure.ServiceJson.Length > 0)
            {
                return new ErrorRecord(new Exception(failure.Message), failure.ErrorId, ErrorCategory.InvalidOperation, target())
                {
                    ErrorDetails = new ErrorDetails(ServiceErrorText(failure.ServiceJson)) { RecommendedAction = ServiceErrorAction },
                };
            }
            var category = Enum.TryParse<ErrorCategory>(failure.Category, out var parsed) ? parsed : ErrorCategory.NotSpecified;
            return new ErrorRecord(new MgPresenceException(failure.ErrorId, failure.Message), failure.ErrorId, category, target());
        }

        public static ErrorRecord From(Exception exception, string errorId, ErrorCategory category, object? target) =>
            new(exception, errorId, category, target);

        /// <summary>
        /// ErrorDetails.Message of a service error, as Microsoft's HttpMessageLogFormatter builds it: the message, then
        /// Status, ErrorCode, Date (innerError.date), and the response headers (not the content headers), one per line,
        /// the name padded to 30, values joined by commas.
        /// </summary>
        internal static string ServiceErrorText(string serviceJson)
        {
            using var document = JsonDocument.Parse(serviceJson);
            var root = document.RootElement;
            var nl = Environment.NewLine;
            var headers = new List<(string, string)>();
            foreach (var pair in root.GetProperty("headers").EnumerateArray()) headers.Add((pair[0].GetString() ?? "", pair[1].GetString() ?? ""));
            var lines = new List<string>();
            foreach (var header in ResponseHeaderSet.From(headers).Response)
            {
                if (header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)) continue;
                lines.Add(string.Format("{0,-30}: {1}", header.Key, string.Join(",", header.Value)));
            }
            var text = new StringBuilder();
            text.Append(root.GetProperty("message").GetString()).Append(nl).Append(nl);
            text.Append("Status: ").Append(root.GetProperty("status").GetInt32()).Append(" (").Append(root.GetProperty("reason").GetString()).Append(')').Append(nl);
            text.Append("ErrorCode: ").Append(root.GetProperty("code").GetString()).Append(nl);
            text.Append("Date: ").Append(root.GetProperty("date").GetString()).Append(nl).Append(nl);
            text.Append("Headers:").Append(nl).Append(string.Join(nl, lines)).Append(nl).Append(nl);
            return text.ToString();
        }
    }

    /// <summary>
    /// Response headers as .NET's HttpClient gives them to Microsoft's cmdlets: split into response and content
    /// headers, the names of headers .NET knows in its casing (<c>Content-Length</c>, <c>Date</c>), others as sent
    /// (<c>request-id</c>), each with a <c>string[]</c> of values.
    /// </summary>
    public sealed class ResponseHeaderSet
    {
        private ResponseHeaderSet(HttpResponseHeaders response, HttpContentHeaders content)
        {
            Response = response;
            Content = content;
        }

        public HttpResponseHeaders Response { get; }

        public HttpContentHeaders Content { get; }

        public static ResponseHeaderSet From(IEnumerable<(string Name, string Value)> headers)
        {
            var message = new HttpResponseMessage { Content = new ByteArrayContent(Array.Empty<byte>()) };
            message.Content.Headers.Clear();
            foreach (var (name, value) in headers)
            {
                if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content.Headers.TryAddWithoutValidation(name, value);
            }
            return new ResponseHeaderSet(message.Headers, message.Content.Headers);
        }

        /// <summary>
        /// The -ResponseHeadersVariable value (Microsoft's ResponseHeaderHelper): response headers, then content headers,
        /// names compared case-insensitively.
        /// </summary>
        public Dictionary<string, IEnumerable<string>> ToDictionary()
        {
            var headers = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in Response) headers[entry.Key] = entry.Value;
            foreach (var entry in Content) headers[entry.Key] = entry.Value;
            return headers;
        }
    }
}
