// Finds the Rust engine (mgpresence_ffi) that ships with the module, so users never touch PATH or LD_LIBRARY_PATH.
//
// The module (dev build and package alike) lays it out per platform:
//   <module>/bin/MgPresence.Runtime.dll
//   <module>/runtimes/<rid>/native/<libmgpresence_ffi.so | libmgpresence_ffi.dylib | mgpresence_ffi.dll>
// where <rid> is linux-x64, linux-arm64, osx-x64, osx-arm64, win-x64 or win-arm64, picked from the running OS and
// the process's architecture. MGPRESENCE_NATIVE_LIBRARY overrides it; a library beside the assembly (the .NET build
// output the xunit tests use) comes next.
using System;
using System.Collections.Generic;
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

        /// <summary>
        /// The runtime identifier of the package folder for this OS and process architecture (<c>linux-x64</c>,
        /// <c>osx-arm64</c>, <c>win-x64</c>, …), or null on a platform the package has no folder for. Not
        /// <see cref="RuntimeInformation.RuntimeIdentifier"/>: a distribution's own .NET build reports e.g.
        /// <c>ubuntu.24.04-x64</c> there.
        /// </summary>
        internal static string? PackageRuntimeIdentifier()
        {
            string os;
            if (OperatingSystem.IsWindows()) os = "win";
            else if (OperatingSystem.IsMacOS()) os = "osx";
            else if (OperatingSystem.IsLinux()) os = "linux";
            else return null;
            string? arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                _ => null,
            };
            return arch is null ? null : os + "-" + arch;
        }

        /// <summary>Where the engine is looked for, in order, for an assembly in <paramref name="assemblyDirectory"/>.</summary>
        internal static IEnumerable<string> Candidates(string assemblyDirectory, string fileName)
        {
            yield return Path.Combine(assemblyDirectory, fileName);
            var rid = PackageRuntimeIdentifier();
            if (rid is null) yield break;
            var moduleDirectory = Path.GetDirectoryName(assemblyDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
            if (!string.IsNullOrEmpty(moduleDirectory)) yield return Path.Combine(moduleDirectory, "runtimes", rid, "native", fileName);
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != MgPresence.Interop.Interop.NativeLib) return IntPtr.Zero;
            var explicitPath = Environment.GetEnvironmentVariable(OverrideVariable);
            if (!string.IsNullOrEmpty(explicitPath) && NativeLibrary.TryLoad(explicitPath, out var handle)) return handle;

            var directory = Path.GetDirectoryName(assembly.Location);
            if (string.IsNullOrEmpty(directory)) directory = AppContext.BaseDirectory;
            foreach (var candidate in Candidates(directory, PlatformFileName(libraryName)))
            {
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle)) return handle;
            }
            return IntPtr.Zero; // fall back to the platform's own search
        }
    }
}
