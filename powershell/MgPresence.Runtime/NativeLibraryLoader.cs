// Finds the Rust engine (mgpresence_ffi) beside this assembly, so users never touch PATH or LD_LIBRARY_PATH.
using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MgPresence.Runtime
{
    internal static class NativeLibraryLoader
    {
        /// <summary>The environment variable that points at a native library to use instead of the bundled one.</summary>
        public const string OverrideVariable = "MGPRESENCE_NATIVE_LIBRARY";

#pragma warning disable CA2255 // A module initializer is the one place that runs before the first P/Invoke.
        [ModuleInitializer]
        internal static void Register()
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
        }
#pragma warning restore CA2255

        internal static string PlatformFileName(string name)
        {
            if (OperatingSystem.IsWindows()) return name + ".dll";
            if (OperatingSystem.IsMacOS()) return "lib" + name + ".dylib";
            return "lib" + name + ".so";
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != MgPresence.Interop.Interop.NativeLib) return IntPtr.Zero;
            var explicitPath = Environment.GetEnvironmentVariable(OverrideVariable);
            if (!string.IsNullOrEmpty(explicitPath) && NativeLibrary.TryLoad(explicitPath, out var handle)) return handle;

            var directory = Path.GetDirectoryName(assembly.Location);
            if (string.IsNullOrEmpty(directory)) directory = AppContext.BaseDirectory;
            var fileName = PlatformFileName(libraryName);
            foreach (var candidate in new[]
                     {
                         Path.Combine(directory, fileName),
                         Path.Combine(directory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", fileName),
                     })
            {
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle)) return handle;
            }
            return IntPtr.Zero; // fall back to the platform's own search
        }
    }
}
