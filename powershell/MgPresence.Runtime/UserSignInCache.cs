// `Connect-MgGraph -ContextScope CurrentUser` (the default for a user's sign-in, as in Microsoft's module): the
// user's sign-in is kept between PowerShell sessions, so the next Connect-MgGraph for the same environment, app and
// tenant signs in without the user. What is kept is the sign-in's refresh token, in one file of the user's profile,
// `~/.mg/mgpresence.tokencache` (Microsoft's module keeps its cache in `~/.mg` too):
// - Windows: encrypted for the user with DPAPI (CryptProtectData, CurrentUser);
// - macOS and Linux: not encrypted (no protected store is used), readable and writable by the user only (file 0600
//   in a directory 0700), as docs/decisions.md says;
// written through a temporary file, so a reader never sees half a file. Disconnect-MgGraph removes it.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MgPresence.Runtime
{
    public static class UserSignInCache
    {
        /// <summary>The cache file.</summary>
        public static string FilePath =>
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mg", "mgpresence.tokencache");

        /// <summary>Connects from a kept sign-in of this environment, app and tenant that covers the scopes; false when there is none or it no longer works (it is then forgotten).</summary>
        public static bool TryResume(string environment, string clientId, string tenantId, string scopes, uint timeoutSeconds)
        {
            var signIns = Load();
            var kept = signIns.Find(s => Matches(s, environment, clientId, tenantId));
            if (kept is null || !Covers(kept["scope"]?.GetValue<string>() ?? "", scopes)) return false;
            var error = Engine.ResumeUserSignIn(
                environment,
                clientId,
                tenantId,
                kept["scope"]?.GetValue<string>() ?? "",
                kept["flow"]?.GetValue<int>() == 1,
                kept["refreshToken"]?.GetValue<string>() ?? "",
                timeoutSeconds);
            if (error is null) return true;
            signIns.Remove(kept);
            Save(signIns);
            return false;
        }

        /// <summary>Keeps the connection's sign-in for the user; the reason when it could not be kept (then it lasts for the process).</summary>
        public static string? Keep(string environment)
        {
            var json = Engine.KeepUserSignIn();
            if (json.Length == 0) return "the sign-in gave no refresh token";
            var kept = JsonNode.Parse(json)!.AsObject();
            kept["environment"] = environment;
            try
            {
                var signIns = Load();
                signIns.RemoveAll(s => Matches(s, environment, kept["clientId"]!.GetValue<string>(), kept["tenantId"]!.GetValue<string>()));
                signIns.Add(kept);
                Save(signIns);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Win32Exception)
            {
                return e.Message;
            }
        }

        /// <summary>Forgets every kept sign-in (Disconnect-MgGraph).</summary>
        public static void Forget()
        {
            if (File.Exists(FilePath)) File.Delete(FilePath);
        }

        private static bool Matches(JsonObject s, string environment, string clientId, string tenantId) =>
            string.Equals(s["environment"]?.GetValue<string>(), environment, StringComparison.OrdinalIgnoreCase)
            && string.Equals(s["clientId"]?.GetValue<string>(), clientId, StringComparison.OrdinalIgnoreCase)
            && string.Equals(s["tenantId"]?.GetValue<string>(), tenantId, StringComparison.OrdinalIgnoreCase);

        /// <summary>Whether a kept sign-in's scopes hold every scope asked for now (`Presence.ReadWrite` or its full name).</summary>
        private static bool Covers(string keptScope, string wanted)
        {
            var kept = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var s in keptScope.Split(' ', StringSplitOptions.RemoveEmptyEntries)) kept.Add(s[(s.LastIndexOf('/') + 1)..]);
            foreach (var s in wanted.Split(new[] { ' ', ',' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!kept.Contains(s[(s.LastIndexOf('/') + 1)..])) return false;
            }
            return true;
        }

        private static List<JsonObject> Load()
        {
            var list = new List<JsonObject>();
            if (!File.Exists(FilePath)) return list;
            try
            {
                var bytes = File.ReadAllBytes(FilePath);
                if (OperatingSystem.IsWindows()) bytes = Dpapi.Unprotect(bytes);
                if (JsonNode.Parse(bytes)?["signIns"] is JsonArray signIns)
                {
                    foreach (var s in signIns)
                    {
                        if (s is JsonObject o) list.Add((JsonObject)o.DeepClone());
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or Win32Exception)
            {
                // A cache that cannot be read is as good as none: the user signs in, and a new one is written.
            }
            return list;
        }

        private static void Save(List<JsonObject> signIns)
        {
            var directory = Path.GetDirectoryName(FilePath)!;
            var array = new JsonArray();
            foreach (var s in signIns) array.Add(s.DeepClone());
            var bytes = Encoding.UTF8.GetBytes(new JsonObject { ["version"] = 1, ["signIns"] = array }.ToJsonString());
            var temporary = FilePath + "." + Guid.NewGuid().ToString("N") + ".tmp";
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
                File.WriteAllBytes(temporary, Dpapi.Protect(bytes));
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
                using (var stream = new FileStream(temporary, options)) stream.Write(bytes);
            }
            File.Move(temporary, FilePath, overwrite: true);
        }

        /// <summary>Windows' data protection for the current user (crypt32).</summary>
        private static class Dpapi
        {
            [StructLayout(LayoutKind.Sequential)]
            private struct Blob
            {
                public int Size;
                public IntPtr Data;
            }

            private const int UiForbidden = 0x1;

            [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
            private static extern bool CryptProtectData(ref Blob input, string? description, IntPtr entropy, IntPtr reserved, IntPtr prompt, int flags, out Blob output);

            [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
            private static extern bool CryptUnprotectData(ref Blob input, IntPtr description, IntPtr entropy, IntPtr reserved, IntPtr prompt, int flags, out Blob output);

            [DllImport("kernel32.dll")]
            private static extern IntPtr LocalFree(IntPtr memory);

            public static byte[] Protect(byte[] plain) => Run(plain, true);

            public static byte[] Unprotect(byte[] protectedBytes) => Run(protectedBytes, false);

            private static byte[] Run(byte[] bytes, bool protect)
            {
                var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
                try
                {
                    var input = new Blob { Size = bytes.Length, Data = handle.AddrOfPinnedObject() };
                    var ok = protect
                        ? CryptProtectData(ref input, "MgPresence sign-in", IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, UiForbidden, out var output)
                        : CryptUnprotectData(ref input, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, UiForbidden, out output);
                    if (!ok) throw new Win32Exception(Marshal.GetLastWin32Error());
                    try
                    {
                        var result = new byte[output.Size];
                        Marshal.Copy(output.Data, result, 0, output.Size);
                        return result;
                    }
                    finally
                    {
                        LocalFree(output.Data);
                    }
                }
                finally
                {
                    handle.Free();
                }
            }
        }
    }
}
