// The process-wide connection to the Rust engine (one GraphSession, like Microsoft's GraphSession.Instance), and a
// facade over the generated interop that takes and returns plain .NET strings and frees every native string.
using System;
using System.Threading;
using MgPresence.Interop;
using static MgPresence.Interop.Interop;

namespace MgPresence.Runtime
{
    /// <summary>
    /// An error of a call. <see cref="ServiceJson"/> is the service's answer (or the one it would give, for input
    /// refused before sending) for errors reported as Microsoft's cmdlets report service errors; empty otherwise.
    /// </summary>
    public sealed record CallFailure(string ErrorId, string Message, string Category, bool Terminating, string ServiceJson = "");

    /// <summary>What a cmdlet call produced.</summary>
    public sealed record CallResult(
        int Status,
        CallFailure? Error,
        string OutputJson,
        string ResponseHeadersJson,
        string ResponseHeadersVariable,
        string CountVariable,
        long Count,
        string DebugText,
        bool Cancelled = false);

    /// <summary>How Connect-MgGraph signs in (the engine's ConnectRequest kinds).</summary>
    public enum SignInKind : byte
    {
        AccessToken = 0,
        ClientSecret = 1,
        ClientCertificate = 2,
        ManagedIdentity = 3,
    }

    /// <summary>What Connect-MgGraph passes to the engine. Secrets live here only for the duration of the call.</summary>
    public sealed class SignIn
    {
        public string Environment { get; set; } = "";
        public SignInKind Kind { get; set; }
        public string AccessToken { get; set; } = "";
        public string ClientId { get; set; } = "";
        public string TenantId { get; set; } = "";
        public string ClientSecret { get; set; } = "";
        public string PrivateKeyPem { get; set; } = "";
        public string CertificateBase64 { get; set; } = "";
        public string IdentityEndpoint { get; set; } = "";
        public string IdentityHeader { get; set; } = "";
        public string ImdsEndpoint { get; set; } = "";
        public uint TimeoutSeconds { get; set; }

        /// <summary>Never prints a secret.</summary>
        public override string ToString() => $"SignIn({Kind}, {Environment})";
    }

    /// <summary>The engine failed in a way that is not a cmdlet error (a caught panic).</summary>
    public sealed class EngineException : Exception
    {
        public EngineException(string message) : base(message) { }
    }

    public static class Engine
    {
        // The process's one session; its handle is never destroyed (the engine lives as long as the process).
        private static readonly Lazy<SessionHandle> SessionInstance =
            new(() => Guarded(() => graph_session_create().AsOk()), LazyThreadSafetyMode.ExecutionAndPublication);

        internal static SessionHandle Session => SessionInstance.Value;

        /// <summary>The engine's version.</summary>
        public static string Version()
        {
            using var text = Guarded(() => mgpresence_version().AsOk());
            return text.String;
        }

        /// <summary>
        /// For `cargo xtask bench`: the mean cost, in nanoseconds, of one C ABI round trip without text
        /// (graph_session_bulk_progress: a handle lookup), of one that returns text (mgpresence_version: a native string
        /// made, copied into .NET and freed), and of a non-inlined managed call, the peer measured in the same run.
        /// </summary>
        public static (double NativeNs, double NativeTextNs, double ManagedNs) MeasureRoundTrips(int calls)
        {
            var session = Session;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            uint sink = 0;
            for (var i = 0; i < calls; i++) sink += graph_session_bulk_progress(session).AsOk();
            var native = clock.Elapsed.TotalMilliseconds * 1e6 / calls;
            clock.Restart();
            for (var i = 0; i < calls; i++) sink += (uint)Version().Length;
            var nativeText = clock.Elapsed.TotalMilliseconds * 1e6 / calls;
            clock.Restart();
            for (var i = 0; i < calls; i++) sink += ManagedPeer(session);
            var managed = clock.Elapsed.TotalMilliseconds * 1e6 / calls;
            GC.KeepAlive(sink);
            return (native, nativeText, managed);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static uint ManagedPeer(SessionHandle session) => (uint)(session.id & 1);

        /// <summary>Raises a panic inside the engine, which must come back as an exception (used by the tests).</summary>
        public static void PanicForDiagnostics(string message) => Guarded(() => mgpresence_diagnostics_panic(message.Utf8()).AsOk());

        private static string LastPanic()
        {
            var result = Interop.Interop.mgpresence_last_panic();
            try { return result.IsOk ? result.AsOk().String : "unknown failure"; }
            finally { result.Dispose(); }
        }

        private static string MessageOf(FfiError error) =>
            error.IsInvalidHandle ? "The MgPresence engine session is not valid (it was never created or was already destroyed)."
            : error.IsInvalidArguments ? "The MgPresence engine could not read the arguments: text that is not UTF-8, or too large."
            : "The MgPresence engine failed: " + LastPanic();

        private static T Guarded<T>(Func<T> call)
        {
            try { return call(); }
            catch (EnumException<FfiError> e) { throw new EngineException(MessageOf(e.Value)); }
            catch (EnumException) { throw new EngineException(MessageOf(FfiError.Panicked)); }
        }

        internal static CallFailure? Failure(CallError error)
        {
            var id = error.error_id.String;
            if (id.Length == 0) return null;
            return new CallFailure(id, error.message.String, error.category.String, error.terminating != 0, error.service_json.String);
        }

        private static CmdletCall NewCall(string cmdlet, string parameterSet, string boundJson, bool trace, string userAgentSuffix, ulong callId = 0) =>
            new()
            {
                cmdlet = cmdlet.Utf8(),
                parameter_set = parameterSet.Utf8(),
                bound_parameters_json = boundJson.Utf8(),
                trace = trace ? (byte)1 : (byte)0,
                user_agent_suffix = userAgentSuffix.Utf8(),
                call_id = callId,
            };

        /// <summary>The -WhatIf target and action, or why the call cannot be made.</summary>
        public static (string Target, string Action, CallFailure? Error) Describe(string cmdlet, string parameterSet, string boundJson)
        {
            using var description = Guarded(() => graph_session_describe(Session, NewCall(cmdlet, parameterSet, boundJson, false, "")).AsOk());
            return (description.target.String, description.action.String, Failure(description.error));
        }

        /// <summary>
        /// Makes a cmdlet call. A non-zero <paramref name="callId"/> (see <see cref="CallWatcher"/>) lets
        /// <see cref="CancelCall"/> stop it; a stopped call comes back with <see cref="CallResult.Cancelled"/>.
        /// </summary>
        public static CallResult Invoke(string cmdlet, string parameterSet, string boundJson, bool trace, string userAgentSuffix, ulong callId = 0)
        {
            using var outcome = Guarded(() => graph_session_invoke(Session, NewCall(cmdlet, parameterSet, boundJson, trace, userAgentSuffix, callId)).AsOk());
            return new CallResult(
                outcome.status,
                Failure(outcome.error),
                outcome.output_json.String,
                outcome.response_headers_json.String,
                outcome.response_headers_variable.String,
                outcome.count_variable.String,
                outcome.count,
                outcome.debug_text.String,
                outcome.cancelled != 0);
        }

        /// <summary>
        /// Stops the call running with <paramref name="callId"/>: true when the engine had it, false when it has not
        /// taken it yet or has finished it.
        /// </summary>
        public static bool CancelCall(ulong callId) => Guarded(() => graph_session_cancel_call(Session, callId).AsOk()) != 0;

        /// <summary>Connects with an access token; returns the error, if any.</summary>
        public static CallFailure? Connect(string environment, string accessToken, uint timeoutSeconds) =>
            Connect(new SignIn { Environment = environment, Kind = SignInKind.AccessToken, AccessToken = accessToken, TimeoutSeconds = timeoutSeconds });

        /// <summary>Connects (signs in now, for the kinds that fetch tokens); returns the error, if any.</summary>
        public static CallFailure? Connect(SignIn signIn)
        {
            using var error = Guarded(() => graph_session_connect(Session, new ConnectRequest
            {
                environment = signIn.Environment.Utf8(),
                kind = (byte)signIn.Kind,
                access_token = signIn.AccessToken.Utf8(),
                client_id = signIn.ClientId.Utf8(),
                tenant_id = signIn.TenantId.Utf8(),
                client_secret = signIn.ClientSecret.Utf8(),
                private_key_pem = signIn.PrivateKeyPem.Utf8(),
                certificate_base64 = signIn.CertificateBase64.Utf8(),
                identity_endpoint = signIn.IdentityEndpoint.Utf8(),
                identity_header = signIn.IdentityHeader.Utf8(),
                imds_endpoint = signIn.ImdsEndpoint.Utf8(),
                timeout_seconds = signIn.TimeoutSeconds,
            }).AsOk());
            return Failure(error);
        }

        /// <summary>Starts a device code sign-in; returns the message for the user, or the error.</summary>
        public static (string Message, CallFailure? Error) BeginDeviceCode(string environment, string clientId, string tenantId, string scopes, uint timeoutSeconds)
        {
            using var start = Guarded(() => graph_session_begin_device_code(Session, SignInRequest(environment, clientId, tenantId, scopes, timeoutSeconds)).AsOk());
            return (start.message.String, Failure(start.error));
        }

        /// <summary>Starts a browser sign-in; returns the address to open in the browser, or the error.</summary>
        public static (string Url, CallFailure? Error) BeginBrowserSignIn(string environment, string clientId, string tenantId, string scopes, uint timeoutSeconds)
        {
            using var start = Guarded(() => graph_session_begin_browser_sign_in(Session, SignInRequest(environment, clientId, tenantId, scopes, timeoutSeconds)).AsOk());
            return (start.message.String, Failure(start.error));
        }

        private static UserSignInRequest SignInRequest(string environment, string clientId, string tenantId, string scopes, uint timeoutSeconds) =>
            new()
            {
                environment = environment.Utf8(),
                client_id = clientId.Utf8(),
                tenant_id = tenantId.Utf8(),
                scopes = scopes.Utf8(),
                timeout_seconds = timeoutSeconds,
            };

        /// <summary>
        /// Waits for the user to complete the sign-in begun (device code or browser), then connects. A call id (not 0, from
        /// <see cref="CallWatcher.Begin"/>) lets Ctrl+C stop the wait; the failure is then OperationStopped.
        /// </summary>
        public static CallFailure? FinishUserSignIn(uint waitSeconds, ulong callId = 0)
        {
            using var error = Guarded(() => graph_session_finish_user_sign_in(Session, waitSeconds, callId).AsOk());
            return Failure(error);
        }

        /// <summary>Runs a bulk call; returns the outcomes JSON array, or the error.</summary>
        /// <summary>
        /// A keep-alive store request: action 0 adds the holds of <paramref name="holdsJson"/>, 1 removes them, 2 lists
        /// every hold. Returns the holds touched as a JSON array, or the error.
        /// </summary>
        public static (string HoldsJson, CallFailure? Error) KeepAlive(byte action, string storePath, string holdsJson, bool force)
        {
            using var result = Guarded(() => graph_session_keep_alive(Session, new KeepAliveRequest
            {
                action = action,
                store_path = storePath.Utf8(),
                holds_json = holdsJson.Utf8(),
                force = force ? (byte)1 : (byte)0,
            }).AsOk());
            return (result.holds_json.String, Failure(result.error));
        }

        public static (string OutcomesJson, CallFailure? Error) InvokeBulk(string action, bool beta, string commonJson, string itemsJson, uint concurrency)
        {
            using var result = Guarded(() => graph_session_invoke_bulk(Session, new BulkCall
            {
                action = action.Utf8(),
                beta = beta ? (byte)1 : (byte)0,
                common_json = commonJson.Utf8(),
                items_json = itemsJson.Utf8(),
                concurrency = concurrency,
            }).AsOk());
            return (result.outcomes_json.String, Failure(result.error));
        }

        /// <summary>How many items of the running bulk call are finished.</summary>
        public static uint BulkProgress() => Guarded(() => graph_session_bulk_progress(Session).AsOk());

        /// <summary>Stops the running bulk call.</summary>
        public static void CancelBulk() => Guarded(() => graph_session_cancel_bulk(Session).AsOk());

        /// <summary>Set-MgRequestContext's retry settings.</summary>
        public static CallFailure? SetRequestContext(uint maxRetry, uint retryDelaySeconds, uint retriesTimeLimitSeconds)
        {
            using var error = Guarded(() => graph_session_set_request_context(Session, maxRetry, retryDelaySeconds, retriesTimeLimitSeconds).AsOk());
            return Failure(error);
        }

        public static string RequestContextJson()
        {
            using var text = Guarded(() => graph_session_request_context_json(Session).AsOk());
            return text.String;
        }

        /// <summary>The connection's sign-in to keep for the user (JSON with its refresh token), or empty text.</summary>
        public static string KeepUserSignIn()
        {
            using var text = Guarded(() => graph_session_keep_user_sign_in(Session).AsOk());
            return text.String;
        }

        /// <summary>Connects from a kept sign-in; the failure when its refresh token no longer works.</summary>
        public static CallFailure? ResumeUserSignIn(string environment, string clientId, string tenantId, string scope, bool browser, string refreshToken, uint timeoutSeconds)
        {
            using var error = Guarded(() => graph_session_resume_user_sign_in(Session, new KeptSignInRequest
            {
                environment = environment.Utf8(),
                client_id = clientId.Utf8(),
                tenant_id = tenantId.Utf8(),
                scope = scope.Utf8(),
                flow = browser ? (byte)1 : (byte)0,
                refresh_token = refreshToken.Utf8(),
                timeout_seconds = timeoutSeconds,
            }).AsOk());
            return Failure(error);
        }

        public static CallFailure? Disconnect()
        {
            using var error = Guarded(() => graph_session_disconnect(Session).AsOk());
            return Failure(error);
        }

        public static string ContextJson()
        {
            using var text = Guarded(() => graph_session_context_json(Session).AsOk());
            return text.String;
        }

        public static CallFailure? AddEnvironment(string name, string graphEndpoint, string azureAdEndpoint)
        {
            using var error = Guarded(() => graph_session_add_environment(Session, new EnvironmentRequest
            {
                name = name.Utf8(),
                graph_endpoint = graphEndpoint.Utf8(),
                azure_ad_endpoint = azureAdEndpoint.Utf8(),
            }).AsOk());
            return Failure(error);
        }

        public static string EnvironmentsJson()
        {
            using var text = Guarded(() => graph_session_environments_json(Session).AsOk());
            return text.String;
        }
    }
}
