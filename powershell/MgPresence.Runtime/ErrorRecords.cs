// Error records in the shape Microsoft's cmdlets write (mg-cmdlet-behavior.md §2.12): ErrorId = the Graph error code
// (or the engine's validation id), the message in the exception and in ErrorDetails, category from the engine.
using System;
using System.Management.Automation;

namespace MgPresence.Runtime
{
    /// <summary>A failed MgPresence call. <see cref="ErrorCode"/> is the Graph error code or validation id.</summary>
    public sealed class MgPresenceException : Exception
    {
        public MgPresenceException(string errorCode, string message, int statusCode) : base(message)
        {
            ErrorCode = errorCode;
            StatusCode = statusCode;
        }

        public string ErrorCode { get; }

        /// <summary>The HTTP status, or 0 when the request was never sent.</summary>
        public int StatusCode { get; }
    }

    public static class ErrorRecords
    {
        public static ErrorRecord From(CallFailure failure, int status, object? target)
        {
            var category = Enum.TryParse<ErrorCategory>(failure.Category, out var parsed) ? parsed : ErrorCategory.NotSpecified;
            var exception = new MgPresenceException(failure.ErrorId, failure.Message, status);
            return new ErrorRecord(exception, failure.ErrorId, category, target)
            {
                ErrorDetails = new ErrorDetails(failure.Message) { RecommendedAction = "" },
            };
        }

        public static ErrorRecord From(Exception exception, string errorId, ErrorCategory category, object? target) =>
            new(exception, errorId, category, target);
    }
}
